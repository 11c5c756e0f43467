/* SPDX-License-Identifier: MIT */
/*
 * tasklab compare SCENARIO RECORDING: simulation versus reality.
 *
 * The scenario's simulated records are aligned with the recording's and
 * compared field by field (libtl_studies, tasklab/compare.h): differences that
 * legitimately vary between runs (GUIDs, PIDs, times, hashes, host names,
 * record ids, the lab's users) are shown apart from real ones.
 *
 * RECORDING is a file (.evtx, XML export, agent JSON lines); a relative name
 * that is not a file here is looked up in ../shared/reference/evtx.
 *
 * Exit: 0 only legitimate differences; 1 a real difference remains; 2 bad input
 * (a scenario that does not load, a recording that cannot be read); 77 when the
 * scenario needs ../shared or the recording is absent with ../shared, or this
 * build cannot read .evtx files.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { O_CMP_FORMAT = 1 };
static const tl_cli_opt compare_optv[] = {
    {"--format", "text|json", O_CMP_FORMAT, "the report as text (default) or one JSON object", 0},
    TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_compare_def = {
    "compare", "SCENARIO RECORDING",
    "align a scenario's simulated events with a recording of the procedure, field by field",
    compare_optv, tl_cli_cmd_compare,
    "Legitimate differences (GUIDs, PIDs, times, hashes, host and user names, record ids)\n"
    "are shown apart from real ones. Exit 1 when a real difference remains, 2 on bad input.\n"};

int tl_cli_cmd_compare(int argc, char **argv)
{
    int rc = 0, json = 0, nops = 0;
    const char *ops[2] = {NULL, NULL};
    char *etc = NULL, *shared = NULL, *rec_path = NULL;
    tl_scenario *sc = NULL;
    tl_compare *cmp = NULL;
    tl_buf out = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_compare_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR)
            return o == TL_OPT_HELP ? 0 : 2;
        if (o == TL_OPT_OPERAND) {
            if (nops == 2) {
                fprintf(stderr, "tasklab compare: one scenario and one recording, not '%s' too\n",
                        p.val);
                return 2;
            }
            ops[nops++] = p.val;
        } else if (o == O_CMP_FORMAT) {
            if (!strcmp(p.val, "json"))
                json = 1;
            else if (strcmp(p.val, "text")) {
                fprintf(stderr, "tasklab compare: --format wants text or json, not '%s'\n", p.val);
                return 2;
            }
        }
    }
    if (nops != 2) {
        fprintf(stderr, "tasklab compare: usage: tasklab compare SCENARIO RECORDING\n");
        return 2;
    }
    etc = tl_cli_etc_dir();
    shared = tl_cli_shared_dir();
    struct stat sb;
    if (stat(ops[1], &sb) == 0 || ops[1][0] == '/' || !shared) {
        rec_path = tl_strdup(ops[1]);
    } else {
        char *evtx = tl_path_join(shared, "reference/evtx");
        int have = evtx && stat(evtx, &sb) == 0;
        rec_path = have ? tl_path_join(evtx, ops[1]) : NULL;
        if (have && rec_path && stat(rec_path, &sb) != 0) {
            fprintf(stderr, "tasklab compare: %s: no such recording (here or in %s)\n", ops[1],
                    evtx);
            rc = 2;
        } else if (!have) {
            fprintf(stderr, "tasklab compare: skipped: %s is not a file and %s is absent\n",
                    ops[1], evtx ? evtx : "../shared/reference/evtx");
            rc = 77;
        }
        tl_free(evtx);
        if (rc)
            goto done;
    }
    if (!rec_path || !etc) {
        rc = 2;
        goto done;
    }
    tl_status st = tl_scenario_load(ops[0], &sc, &d);
    if (st == TL_OK) {
        tl_compare_opts co = {etc, shared, rec_path};
        st = tl_compare_run(sc, &co, &cmp, &d);
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    if (json)
        tl_compare_json(cmp, &out);
    else
        tl_compare_text(cmp, &out);
    if (tl_buf_status(&out) != TL_OK) {
        fprintf(stderr, "tasklab compare: out of memory\n");
        rc = 2;
        goto done;
    }
    fputs(tl_buf_cstr(&out), stdout);
    rc = tl_compare_real(cmp) ? 1 : 0;
done:
    tl_buf_free(&out);
    tl_compare_free(cmp);
    tl_scenario_free(sc);
    tl_free(rec_path);
    tl_free(etc);
    tl_free(shared);
    return rc;
}
