/* SPDX-License-Identifier: MIT */
/*
 * The evasion-variant generator (pipeline/studies/src/vary_gen.c): each
 * transformation writes the spelling ../shared/facts/evasion.md gives, touches
 * only switches, the program token and the shell around them (never /tn, /tr,
 * a key path, /v or /d), is deterministic for a seed, and does not apply where
 * the sheet does not say it works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vary_int.h"

#include <cjson/cJSON.h>
#include <string.h>

static const char SEED_CMD[] =
    "schtasks /create /tn test-task /tr \"C:\\Windows\\System32\\calc.exe\" /sc onlogon /ru System /f";

static char *ap(const char *shell, const char *line, const char *name, uint64_t seed)
{
    int vt = tl_vt_find(name);
    assert_true(vt >= 0);
    return tl_vary_apply_line(shell, line, vt, seed);
}

/* Values (/tn, /tr, /ru) are kept byte for byte by every token transformation. */
static void assert_values_kept(const char *v)
{
    assert_non_null(strstr(v, " test-task "));
    assert_non_null(strstr(v, " \"C:\\Windows\\System32\\calc.exe\" "));
    assert_non_null(strstr(v, " System "));
}

static void test_vary_dash(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "dash", 1);
    assert_non_null(v);
    assert_string_equal(v, "schtasks -create -tn test-task -tr \"C:\\Windows\\System32\\calc.exe\" "
                           "-sc onlogon -ru System -f");
    tl_free(v);
}

static void test_vary_fe63(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "fe63", 1);
    assert_non_null(v);
    assert_non_null(strstr(v, "\xEF\xB9\xA3" "create \xEF\xB9\xA3tn test-task"));
    assert_null(strstr(v, "/"));
    tl_free(v);
    /* U+FE63 is a Win10 2004 row only */
    assert_int_equal(tl_vt_defs[tl_vt_find("fe63")].builds, TL_VB_W10);
    assert_int_equal(tl_vt_defs[tl_vt_find("dash")].builds, TL_VB_BOTH);
}

static void test_vary_quote(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed < 40; seed++) {
        char *v = ap("cmd", SEED_CMD, "quote", seed);
        assert_non_null(v);
        assert_values_kept(v);
        /* two quotes more than the original's two, always in pairs */
        size_t q = 0;
        for (const char *p = v; *p; p++)
            q += *p == '"';
        assert_true(q >= 4 && q % 2 == 0);
        /* never more than two quotes in a row (B21), never inside the program name */
        assert_null(strstr(v, "\"\"\""));
        assert_int_equal(strncmp(v, "schtasks ", 9), 0);
        tl_free(v);
    }
}

static void test_vary_case(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "case", 3);
    assert_non_null(v);
    assert_string_not_equal(v, SEED_CMD);
    assert_int_equal(tl_strcasecmp(v, SEED_CMD), 0);
    assert_values_kept(v); /* /tn and /tr values keep their case: they are stored */
    tl_free(v);
}

static void test_vary_sups(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "sup-s", 1);
    assert_non_null(v);
    assert_non_null(strstr(v, "/\xCB\xA2" "c onlogon")); /* /ˢc */
    tl_free(v);
}

static void test_vary_caret(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "caret", 5);
    assert_non_null(v);
    /* removing the carets gives the original line back (cmd's phase 2) */
    char clean[512];
    size_t k = 0;
    for (const char *p = v; *p && k + 1 < sizeof clean; p++)
        if (*p != '^')
            clean[k++] = *p;
    clean[k] = 0;
    assert_string_equal(clean, SEED_CMD);
    assert_non_null(strchr(v, '^'));
    /* none inside the quoted /tr value, none before a space */
    assert_non_null(strstr(v, "\"C:\\Windows\\System32\\calc.exe\""));
    assert_null(strstr(v, "^ "));
    tl_free(v);
    /* only cmd.exe reads carets */
    assert_null(ap("powershell", SEED_CMD, "caret", 5));
    assert_null(ap("direct", "\"C:\\Windows\\System32\\schtasks.exe\" /create /tn x /tr y /sc onlogon",
                   "caret", 5));
}

static void test_vary_envsub(void **state)
{
    (void)state;
    char *v = ap("cmd", SEED_CMD, "env-substring", 1);
    assert_non_null(v);
    assert_true(strstr(v, "%windir:~") || strstr(v, "%ComSpec:~"));
    assert_non_null(strstr(v, ",1%"));
    tl_free(v);
}

static void test_vary_delayed_and_call(void **state)
{
    (void)state;
    char *v = ap("cmd", "schtasks /create /tn x /tr calc.exe /sc onlogon", "delayed", 2);
    assert_non_null(v);
    assert_int_equal(strncmp(v, "cmd /v:on /c \"set a=", 20), 0);
    assert_non_null(strstr(v, "&&!a!!b! /create /tn x /tr calc.exe /sc onlogon\""));
    tl_free(v);
    v = ap("cmd", "schtasks /create /tn x /tr calc.exe /sc onlogon >nul 2>&1", "call", 2);
    assert_non_null(v);
    assert_string_equal(v, "set tlv0=schtasks&&call %tlv0% /create /tn x /tr calc.exe /sc onlogon >nul 2>&1");
    tl_free(v);
    /* a '!' in the arguments would be eaten by delayed expansion: not applied */
    assert_null(ap("cmd", "schtasks /create /tn x /tr calc.exe /sc onlogon /rp Spring2022!",
                   "delayed", 2));
}

static void test_vary_launchers(void **state)
{
    (void)state;
    char *v = ap("cmd", "SCHTASKS /Delete /TN spawn /F >nul 2>&1", "powershell", 1);
    assert_non_null(v);
    assert_string_equal(v, "SCHTASKS /Delete /TN spawn /F");
    tl_free(v);
    v = ap("cmd", SEED_CMD, "dotnet", 1);
    assert_non_null(v);
    assert_string_equal(v, "\"C:\\Windows\\System32\\schtasks.exe\" /create /tn test-task /tr "
                           "\"C:\\Windows\\System32\\calc.exe\" /sc onlogon /ru System /f");
    tl_free(v);
    /* \" inside a quoted value means something else to PowerShell: not carried over */
    assert_null(ap("cmd", "schtasks /create /tn x /tr \"cmd /c start \\\"\\\" calc\" /sc onlogon",
                   "powershell", 1));
    /* a PowerShell call of a quoted path keeps '&' */
    v = ap("powershell", "& \"C:\\Windows\\system32\\schtasks.exe\" /Create /TN u /TR calc.exe /SC DAILY",
           "dash", 1);
    assert_non_null(v);
    assert_string_equal(v, "& \"C:\\Windows\\system32\\schtasks.exe\" -Create -TN u -TR calc.exe -SC DAILY");
    tl_free(v);
}

static void test_vary_reg(void **state)
{
    (void)state;
    const char *line = "reg add HKCU\\SOFTWARE\\x /v test /t REG_SZ /d cGluZw== /f";
    char *v = ap("cmd", line, "rootkey", 1);
    assert_non_null(v);
    assert_string_equal(v, "reg add HKEY_CURRENT_USER\\SOFTWARE\\x /v test /t REG_SZ /d cGluZw== /f");
    tl_free(v);
    for (uint64_t seed = 1; seed < 20; seed++) {
        v = ap("cmd", line, "reg-sup", seed);
        assert_non_null(v);
        /* the key path, the value name and the data are never touched */
        assert_non_null(strstr(v, " HKCU\\SOFTWARE\\x "));
        assert_non_null(strstr(v, " test "));
        assert_non_null(strstr(v, " cGluZw== "));
        assert_string_not_equal(v, line);
        tl_free(v);
        v = ap("cmd", line, "reg-insert", seed);
        assert_non_null(v);
        assert_non_null(strstr(v, " HKCU\\SOFTWARE\\x "));
        assert_true(strlen(v) > strlen(line));
        tl_free(v);
    }
    /* superscripts then an insertion: the inserted code point never splits a UTF-8
     * sequence (a split one made the simulator refuse the variant) */
    const char *json = "{\"steps\":[{\"at\":0,\"command\":\"reg add HKCU\\\\x /v v /d d /f\"}]}";
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    for (uint64_t seed = 1; seed < 60; seed++) {
        cJSON *out = NULL;
        uint32_t ap = 0;
        assert_int_equal(tl_vary_make(doc, (1u << TL_VT_REGSUP) | (1u << TL_VT_REGINSERT), seed,
                                      NULL, 0, &out, &ap, NULL),
                         TL_OK);
        assert_non_null(out);
        const char *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
                                                             cJSON_GetObjectItemCaseSensitive(out, "steps"), 0),
                                                         "command")
                            ->valuestring;
        for (size_t i = 0, n = strlen(c); i < n;) {
            unsigned long cp = 0;
            size_t k = tl_utf8_decode(c + i, n - i, &cp);
            assert_true(k > 0);
            i += k;
        }
        cJSON_Delete(out);
    }
    cJSON_Delete(doc);
    /* superscripts and insertions are reg's, not schtasks' (§2.1 rejects insertion) */
    assert_null(ap("cmd", SEED_CMD, "reg-insert", 1));
    assert_null(ap("cmd", SEED_CMD, "reg-sup", 1));
}

static void test_vary_not_varied(void **state)
{
    (void)state;
    /* other programs, scripts and several statements are left alone */
    assert_null(ap("cmd", "whoami /all", "dash", 1));
    assert_null(ap("powershell", "$a = 1\nschtasks /create /tn x /tr y /sc onlogon", "dash", 1));
    assert_null(ap("cmd", "echo x & schtasks /create /tn x", "caret", 1));
    assert_null(ap("cmd", "schtasks /create /tn \"unterminated", "dash", 1));
}

static void test_vary_deterministic(void **state)
{
    (void)state;
    const char *json =
        "{\"name\":\"t\",\"kind\":\"attack\",\"steps\":[{\"at\":0,\"command\":"
        "\"schtasks /create /tn a /tr calc.exe /sc onlogon\"},{\"at\":1,\"command\":"
        "\"reg add HKCU\\\\x /v v /d d /f\"}]}";
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    uint32_t set = (1u << TL_VT_QUOTE) | (1u << TL_VT_CASE) | (1u << TL_VT_CARET);
    cJSON *a = NULL, *b = NULL;
    uint32_t apa = 0, apb = 0;
    assert_int_equal(tl_vary_make(doc, set, 42, NULL, 0, &a, &apa, NULL), TL_OK);
    assert_int_equal(tl_vary_make(doc, set, 42, NULL, 0, &b, &apb, NULL), TL_OK);
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
    assert_string_equal(ta, tb);
    assert_int_equal(apa, set);
    cJSON_free(ta);
    cJSON_free(tb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    /* alternative paths need the task the step registered */
    tl_vstep_task tk[2] = {{"\\a", "<Task><Actions><Exec><Command>calc.exe</Command></Exec></Actions></Task>"},
                           {NULL, NULL}};
    uint32_t m = tl_vary_applicable(doc, tk, 2);
    assert_true(m & (1u << TL_VT_XML));
    assert_true(m & (1u << TL_VT_CIM));
    m = tl_vary_applicable(doc, NULL, 0);
    assert_false(m & (1u << TL_VT_XML));
    /* the /xml import: a file step with the XML, then the import, same user and time */
    assert_int_equal(tl_vary_make(doc, 1u << TL_VT_XML, 1, tk, 2, &a, &apa, NULL), TL_OK);
    assert_non_null(a);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(a, "steps");
    assert_int_equal(cJSON_GetArraySize(steps), 3);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 0), "file");
    assert_non_null(f);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "content")->valuestring, tk[0].xml);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(steps, 1), "command")->valuestring,
        "schtasks /create /xml \"C:\\Users\\Public\\Documents\\task.xml\" /tn \"\\a\"");
    cJSON_Delete(a);
    cJSON_Delete(doc);
}

/* evasion.md §2.4: powershell.exe's option characters, prefixes and -EncodedCommand; in the
 * script, backticks, concatenation and icim -- never inside strings or here-strings. */
static void test_vary_powershell(void **state)
{
    (void)state;
    static const char line[] =
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"Register-ScheduledTask "
        "-TaskName 'Register-ScheduledTask' -Action (New-ScheduledTaskAction -Execute calc.exe) "
        "-Trigger (New-ScheduledTaskTrigger -AtLogOn)\"";
    const char *script = strchr(line, '"');
    char *v = ap("cmd", line, "ps-dash", 1);
    assert_non_null(v);
    assert_null(strstr(v, " -NoProfile"));
    assert_non_null(strstr(v, "NoProfile "));
    assert_non_null(strstr(v, " Bypass "));
    assert_non_null(strstr(v, script)); /* the script itself untouched */
    tl_free(v);
    v = ap("cmd", line, "ps-prefix", 3);
    assert_non_null(v);
    assert_non_null(strstr(v, script));
    assert_true(strlen(v) < strlen(line));
    tl_free(v);
    v = ap("cmd", line, "ps-enc", 1);
    assert_non_null(v);
    /* "Register-ScheduledTask " in UTF-16LE, base64 */
    assert_non_null(strstr(v, "-ExecutionPolicy Bypass -EncodedCommand UgBlAGcAaQBzAHQAZQByAC0A"));
    assert_null(strstr(v, "Register"));
    tl_free(v);
    v = ap("cmd", line, "ps-concat", 1);
    assert_non_null(v);
    assert_non_null(strstr(v, "-TaskName 'Register-ScheduledTask' -Action (& ('New-"));
    assert_true(!strncmp(strchr(v, '"'), "\"& ('Reg", 8) || !strncmp(strchr(v, '"'), "\"& ('R'+", 8));
    tl_free(v);
    v = ap("powershell", script + 1, "ps-tick", 7); /* (the trailing quote is just text) */
    assert_non_null(v);
    assert_non_null(strchr(v, '`'));
    assert_non_null(strstr(v, "-TaskName 'Register-ScheduledTask'"));
    for (const char *t = strchr(v, '`'); t; t = strchr(t + 1, '`'))
        assert_null(strchr("abfnrtveuABFNRTVEU0", t[1]));
    tl_free(v);
    v = ap("powershell", "$x = @'\nInvoke-CimMethod\n'@\nInvoke-CimMethod -ClassName PS_ScheduledTask",
           "icim", 1);
    assert_non_null(v);
    assert_string_equal(v, "$x = @'\nInvoke-CimMethod\n'@\nicim -ClassName PS_ScheduledTask");
    tl_free(v);
    /* not for pwsh (the sheet measured powershell.exe), nor scripts with no cmdlet */
    assert_null(ap("cmd", "pwsh -NoProfile -Command \"Get-Date\"", "ps-dash", 1));
    assert_null(ap("powershell", "schtasks /create /tn x /tr calc.exe /sc onlogon", "ps-tick", 1));
    assert_null(ap("cmd", "powershell -c \"schtasks /create /tn x /tr calc.exe /sc onlogon\"", "icim", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vary_dash),     cmocka_unit_test(test_vary_fe63),
        cmocka_unit_test(test_vary_quote),    cmocka_unit_test(test_vary_case),
        cmocka_unit_test(test_vary_sups),     cmocka_unit_test(test_vary_caret),
        cmocka_unit_test(test_vary_envsub),   cmocka_unit_test(test_vary_delayed_and_call),
        cmocka_unit_test(test_vary_launchers), cmocka_unit_test(test_vary_reg),
        cmocka_unit_test(test_vary_not_varied), cmocka_unit_test(test_vary_deterministic),
        cmocka_unit_test(test_vary_powershell),
    };
    return cmocka_run_group_tests_name("vary", tests, NULL, NULL);
}
