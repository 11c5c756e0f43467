/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: one command line. The first byte picks the parent (cmd.exe,
 * powershell.exe or a plain process) and the user (elevated admin, standard
 * user, SYSTEM); the rest is the command, run on a fresh endpoint that has an
 * XML task file at C:\t.xml. Parse errors are fine; crashes are not.
 */
#include <stdint.h>
#include <string.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    static const char *const parents[] = {
        "C:\\\\Windows\\\\System32\\\\cmd.exe",
        "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe",
        "C:\\\\Users\\\\bob\\\\x.exe"};
    static const char *const users[] = {"\"user\":\"alice\",\"elevated\":true", "\"user\":\"bob\"",
                                        "\"user\":\"SYSTEM\""};
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(
        &b,
        "{\"name\":\"f\",\"title\":\"f\",\"kind\":\"attack\",\"endpoint\":{\"hostname\":"
        "\"H\",\"users\":[{\"name\":\"alice\",\"admin\":true},{\"name\":\"bob\"}]},"
        "\"start\":\"2022-04-13T11:59:41Z\",\"steps\":[{\"at\":0,\"user\":\"SYSTEM\","
        "\"file\":{\"op\":\"write\",\"path\":\"C:\\\\t.xml\",\"encoding\":\"utf-16le-bom\","
        "\"content\":\"<Task version=\\\"1.2\\\" xmlns=\\\"http://schemas.microsoft.com/"
        "windows/2004/02/mit/task\\\"><Actions><Exec><Command>a.exe</Command></Exec>"
        "</Actions></Task>\"}},{\"at\":1,%s,\"parent\":\"%s\",\"command\":",
        users[data[0] % 3], parents[(data[0] / 3) % 3]);
    tl_buf_json_strn(&b, (const char *)data + 1, size - 1);
    tl_buf_puts(&b, "}]}");
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return 0;
    }
    tl_diag d;
    tl_scenario *sc = NULL;
    if (tl_scenario_load_mem("scenarios/f.json", b.data, b.len, &sc, &d) == TL_OK) {
        tl_sim_opts o = {TL_SOURCE_DIR "/pipeline/etc", NULL, NULL, NULL};
        tl_sim *s = NULL;
        if (tl_sim_new(sc, &o, &s, &d) == TL_OK) {
            for (size_t i = 0; i < tl_sim_step_count(s); i++) {
                if (tl_sim_run_step(s, i, &d) != TL_OK)
                    break;
                tl_record r;
                while (tl_sim_next_record(s, &r))
                    ;
            }
            tl_sim_free(s);
        }
        tl_scenario_free(sc);
    }
    tl_buf_free(&b);
    return 0;
}
