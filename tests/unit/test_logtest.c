/* SPDX-License-Identifier: MIT */
/*
 * Tests of tasklab's wazuh-logtest and runtests.py re-implementations
 * (pipeline/manager/src/output/logtest.c, rstest.c; wazuh.md §12): what a user of
 * `tasklab logtest` / `tasklab ruleset-test` sees.
 *
 * A small ruleset (syslog/ossec roots, an sshd decoder with a child, rules
 * with a frequency child, a 60000-like Windows root) is written to a
 * temporary folder; one test also runs a reference INI when ../shared is
 * present (skipped otherwise).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tasklab/manager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char DECODERS[] =
    "<decoder name=\"json\">\n"
    "  <prematch>^{\\s*\"</prematch>\n"
    "  <plugin_decoder>JSON_Decoder</plugin_decoder>\n"
    "</decoder>\n"
    "<decoder name=\"sshd\">\n"
    "  <program_name>^sshd</program_name>\n"
    "</decoder>\n"
    "<decoder name=\"sshd-fail\">\n"
    "  <parent>sshd</parent>\n"
    "  <prematch>^Failed password</prematch>\n"
    "  <regex offset=\"after_prematch\">^ for (\\S+) from (\\S+)</regex>\n"
    "  <order>srcuser, srcip</order>\n"
    "</decoder>\n";

static const char RULES[] =
    "<group name=\"syslog,\">\n"
    "  <rule id=\"1\" level=\"0\" noalert=\"1\">\n"
    "    <category>syslog</category>\n"
    "    <description>Generic template for all syslog rules.</description>\n"
    "  </rule>\n"
    "</group>\n"
    "<group name=\"ossec,\">\n"
    "  <rule id=\"7\" level=\"0\" noalert=\"1\">\n"
    "    <category>ossec</category>\n"
    "    <description>Generic template for all wazuh rules.</description>\n"
    "  </rule>\n"
    "</group>\n"
    "<group name=\"sshd,\">\n"
    "  <rule id=\"5700\" level=\"0\" noalert=\"1\">\n"
    "    <decoded_as>sshd</decoded_as>\n"
    "    <description>SSHD messages grouped.</description>\n"
    "  </rule>\n"
    "  <rule id=\"5716\" level=\"5\">\n"
    "    <if_sid>5700</if_sid>\n"
    "    <match>^Failed password</match>\n"
    "    <description>sshd: authentication failed.</description>\n"
    "    <group>authentication_failed,</group>\n"
    "    <mitre><id>T1053</id></mitre>\n"
    "  </rule>\n"
    "  <rule id=\"5720\" level=\"10\" frequency=\"3\" timeframe=\"120\">\n"
    "    <if_matched_sid>5716</if_matched_sid>\n"
    "    <same_srcip />\n"
    "    <description>sshd: brute force trying to get access to the system.</description>\n"
    "  </rule>\n"
    "  <rule id=\"5701\" level=\"1\">\n"
    "    <if_sid>5700</if_sid>\n"
    "    <match>quiet</match>\n"
    "    <description>sshd: low level.</description>\n"
    "  </rule>\n"
    "</group>\n"
    "<group name=\"windows,\">\n"
    "  <rule id=\"60000\" level=\"0\">\n"
    "    <category>ossec</category>\n"
    "    <decoded_as>windows_eventchannel</decoded_as>\n"
    "    <field name=\"win.system.providerName\">\\.+</field>\n"
    "    <options>no_full_log</options>\n"
    "    <description>Group of windows rules.</description>\n"
    "  </rule>\n"
    "  <rule id=\"60004\" level=\"3\">\n"
    "    <if_sid>60000</if_sid>\n"
    "    <field name=\"win.system.channel\">^Microsoft-Windows-Sysmon/Operational$</field>\n"
    "    <description>Sysmon event $(win.system.eventID)</description>\n"
    "  </rule>\n"
    "</group>\n";

#define SSHD_FAIL "Dec 25 20:45:02 MyHost sshd[123]: Failed password for root from 1.2.3.4 port 22"

static const char SYSMON_RAW[] =
    "{\"Message\":\"Registry value set\",\"Event\":\"<Event "
    "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Sysmon' "
    "Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>13</EventID><Version>2</"
    "Version><Level>4</Level><Task>13</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</"
    "Keywords><TimeCreated SystemTime='2025-01-15T10:00:00.1234567Z'/><EventRecordID>1001</"
    "EventRecordID><Correlation/><Execution ProcessID='2900' "
    "ThreadID='3312'/><Channel>Microsoft-Windows-Sysmon/Operational</"
    "Channel><Computer>WS01</Computer><Security UserID='S-1-5-18'/></System><EventData><Data "
    "Name='EventType'>SetValue</Data></EventData></Event>\"}";

static const char SYSMON_CONVERTED[] =
    "{\"win\":{\"system\":{\"providerName\":\"Microsoft-Windows-Sysmon\",\"eventID\":\"13\","
    "\"channel\":\"Microsoft-Windows-Sysmon/Operational\"},\"eventdata\":{\"eventType\":"
    "\"SetValue\"}}}";

typedef struct fixture {
    char dir[64];
    char rules[128];
    char decoders[128];
    tl_ruleset *rs;
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tl_logtest_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->rules, sizeof fx->rules, "%s/rules.xml", fx->dir);
    snprintf(fx->decoders, sizeof fx->decoders, "%s/decoders.xml", fx->dir);
    write_file(fx->rules, RULES);
    write_file(fx->decoders, DECODERS);
    const char *rf[1] = {fx->rules}, *df[1] = {fx->decoders};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_files = rf;
    o.n_rule_files = 1;
    o.decoder_files = df;
    o.n_decoder_files = 1;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_ruleset_load(&o, &fx->rs, &d);
    if (st != TL_OK) {
        fprintf(stderr, "ruleset: %s:%d: %s\n", d.file, d.line, d.msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    tl_ruleset_free(fx->rs);
    unlink(fx->rules);
    unlink(fx->decoders);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static tl_logtest *session(fixture *fx, int debug)
{
    tl_logtest *lt = NULL;
    tl_logtest_opts o;
    memset(&o, 0, sizeof o);
    o.rules_debug = debug;
    assert_int_equal(tl_logtest_new(fx->rs, &o, &lt), TL_OK);
    return lt;
}

static void process_ok(tl_logtest *lt, const char *ev, tl_logtest_result *r)
{
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_logtest_process(lt, ev, strlen(ev), r, &d);
    if (st != TL_OK)
        fail_msg("logtest: %s", d.msg);
}

/* The three phases are printed exactly as wazuh-logtest prints them. */
static void test_logtest_phases_text(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, SSHD_FAIL, &r);
    assert_string_equal(r.text,
                        "**Phase 1: Completed pre-decoding.\n"
                        "\tfull event: '" SSHD_FAIL "'\n"
                        "\ttimestamp: 'Dec 25 20:45:02'\n"
                        "\thostname: 'MyHost'\n"
                        "\tprogram_name: 'sshd'\n"
                        "\n"
                        "**Phase 2: Completed decoding.\n"
                        "\tname: 'sshd'\n"
                        "\tparent: 'sshd'\n"
                        "\tsrcip: '1.2.3.4'\n"
                        "\tsrcuser: 'root'\n"
                        "\n"
                        "**Phase 3: Completed filtering (rules).\n"
                        "\tid: '5716'\n"
                        "\tlevel: '5'\n"
                        "\tdescription: 'sshd: authentication failed.'\n"
                        "\tgroups: '['sshd', 'authentication_failed']'\n"
                        "\tfiredtimes: '1'\n"
                        "\tmail: 'False'\n"
                        "\tmitre.id: '['T1053']'\n"
                        "\tmitre.tactic: '['Execution', 'Persistence', 'Privilege Escalation']'\n"
                        "\tmitre.technique: '['Scheduled Task/Job']'\n"
                        "**Alert to be generated.\n");
    assert_int_equal(r.matched, 1);
    assert_string_equal(r.rule_id, "5716");
    assert_int_equal(r.level, 5);
    assert_string_equal(r.decoder, "sshd");
    assert_int_equal(r.alert, 1);
    tl_logtest_free(lt);
}

/* An event no decoder knows says so in Phase 2 and has no Phase 3. */
static void test_logtest_no_decoder(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, "hello world", &r);
    assert_string_equal(r.text, "**Phase 1: Completed pre-decoding.\n"
                                "\tfull event: 'hello world'\n"
                                "\n"
                                "**Phase 2: Completed decoding.\n"
                                "\tNo decoder matched.\n");
    assert_int_equal(r.matched, 0);
    assert_string_equal(r.decoder, "");
    assert_null(strstr(r.json, "\"rule\""));
    assert_non_null(strstr(r.json, "\"location\":\"stdin\""));
    tl_logtest_free(lt);
}

/* One session is one token: firedtimes and frequency state carry over. */
static void test_logtest_state_carries_over(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, SSHD_FAIL, &r);
    process_ok(lt, SSHD_FAIL, &r);
    assert_string_equal(r.rule_id, "5716");
    assert_non_null(strstr(r.text, "\tfiredtimes: '2'\n"));
    process_ok(lt, SSHD_FAIL, &r);
    assert_string_equal(r.rule_id, "5720");
    assert_int_equal(r.level, 10);
    assert_non_null(strstr(r.text, "\tfrequency: '"));
    tl_logtest_free(lt);

    /* a new session starts from scratch */
    lt = session(fx, 0);
    process_ok(lt, SSHD_FAIL, &r);
    assert_non_null(strstr(r.text, "\tfiredtimes: '1'\n"));
    tl_logtest_free(lt);
}

/* The JSON output is the alert, with the virtual clock's timestamp and
 * rule.level kept for a level under log_alert_level; no alert is announced. */
static void test_logtest_json_output(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, "Dec 25 20:45:02 MyHost sshd[123]: quiet please", &r);
    assert_string_equal(r.rule_id, "5701");
    assert_int_equal(r.alert, 0);
    assert_null(strstr(r.text, "**Alert to be generated."));
    assert_non_null(strstr(r.json, "\"timestamp\":\"2024-01-01T00:00:00.000+0000\""));
    assert_non_null(strstr(r.json, "\"rule\":{\"level\":1,"));
    assert_non_null(strstr(r.json, "\"decoder\":{\"name\":\"sshd\"}"));
    process_ok(lt, "Dec 25 20:45:02 MyHost sshd[123]: quiet please", &r);
    assert_non_null(strstr(r.json, "\"timestamp\":\"2024-01-01T00:00:01.000+0000\""));
    tl_logtest_free(lt);
}

/* A 1 MB line and a line with a NUL byte give a clear error; the session
 * goes on with the next event. */
static void test_logtest_bad_lines_are_skipped(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    size_t n = 1024 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    tl_logtest_result r;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_logtest_process(lt, big, n, &r, &d), TL_E_LIMIT);
    assert_non_null(strstr(d.msg, "65535"));
    free(big);
    tl_diag_clear(&d);
    assert_int_equal(tl_logtest_process(lt, "a\0b", 3, &r, &d), TL_E_PARSE);
    assert_non_null(strstr(d.msg, "NUL"));
    process_ok(lt, SSHD_FAIL, &r);
    assert_string_equal(r.rule_id, "5716");
    tl_logtest_free(lt);
}

/* -v: wazuh-logtest's rule debugging lines, plus why a rule failed. */
static void test_logtest_rules_debug(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 1);
    tl_logtest_result r;
    process_ok(lt, SSHD_FAIL, &r);
    const char *dbg = strstr(r.text, "\n**Rule debugging:\n");
    assert_non_null(dbg);
    assert_non_null(strstr(dbg, "\tTrying rule: 1 - Generic template for all syslog rules.\n"
                                "\t\t*Rule 1 matched\n"
                                "\t\t*Trying child rules\n"));
    assert_non_null(strstr(dbg, "\tTrying rule: 5716 - sshd: authentication failed.\n"
                                "\t\t*Rule 5716 matched\n"));
    assert_non_null(strstr(dbg, "\tTrying rule: 5720 - "));
    assert_non_null(strstr(dbg, "\t\t*Rule 5720 failed: "));
    assert_true(strstr(r.text, "**Rule debugging:") < strstr(r.text, "**Phase 3:"));
    tl_logtest_free(lt);
}

/* A raw agent eventchannel payload goes through DecodeWinevt. */
static void test_logtest_raw_eventchannel(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, SYSMON_RAW, &r);
    assert_string_equal(r.decoder, "windows_eventchannel");
    assert_string_equal(r.rule_id, "60004");
    assert_non_null(strstr(r.text, "\tdescription: 'Sysmon event 13'\n"));
    assert_non_null(strstr(r.text, "\twin.eventdata.eventType: 'SetValue'\n"));
    /* full_log is the converted JSON (only 60000 has no_full_log) */
    assert_non_null(strstr(r.text, "\tfull event: '{\"win\":{\"system\":{\"providerName\":"));
    tl_logtest_free(lt);
}

/* runtests.py's rule 60000 rewrite: pre-converted JSON reaches the Windows
 * rules through the json decoder. */
static void test_logtest_winevt_as_json(void **state)
{
    fixture *fx = *state;
    tl_logtest *lt = session(fx, 0);
    tl_logtest_result r;
    process_ok(lt, SYSMON_CONVERTED, &r);
    assert_string_equal(r.decoder, "json");
    assert_string_not_equal(r.rule_id, "60004");
    tl_logtest_free(lt);

    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_ruleset_winevt_as_json(fx->rs, &d), TL_OK);
    lt = session(fx, 0);
    process_ok(lt, SYSMON_CONVERTED, &r);
    assert_string_equal(r.decoder, "json");
    assert_string_equal(r.rule_id, "60004");
    tl_logtest_free(lt);
}

/* INI cases: repeated keys accumulate into one session, pass/fail, and one
 * line per failing case naming file, section and why. */
static void test_rstest_ini_cases(void **state)
{
    fixture *fx = *state;
    char ini[128];
    snprintf(ini, sizeof ini, "%s/cases.ini", fx->dir);
    write_file(ini, "; comment\n"
                    "[ssh brute force]\n"
                    "log 1 pass = " SSHD_FAIL "\n"
                    "log 1 pass = " SSHD_FAIL "\n"
                    "log 1 pass = " SSHD_FAIL "\n"
                    "rule = 5720\n"
                    "alert = 10\n"
                    "decoder = sshd\n"
                    "\n"
                    "[single failure]\n"
                    "log 1 pass = " SSHD_FAIL "   \n"
                    "log 2 fail = hello\n"
                    "rule = 5716\n"
                    "alert = 5\n"
                    "decoder = sshd\n"
                    "\n"
                    "[wrong expectation]\n"
                    "log 1 pass = " SSHD_FAIL "\n"
                    "rule = 5720\n"
                    "alert = 10\n"
                    "decoder = sshd\n");
    tl_buf report = TL_BUF_INIT;
    tl_rstest_stats stats = {0, 0, 0, NULL, 0, 0, 0};
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_rstest_run_file(fx->rs, ini, 0, &report, &stats, &d), TL_OK);
    assert_int_equal(stats.passed, 3);
    assert_int_equal(stats.failed, 1);
    assert_int_equal(stats.skipped, 0);
    assert_string_equal(tl_buf_cstr(&report),
                        "cases.ini:18: [wrong expectation] log 1 pass: expected rule 5720 level 10 "
                        "decoder sshd; got rule 5716 level 5 decoder sshd\n");
    tl_buf_free(&report);

    /* a case that cannot pass with this ruleset is skipped, saying why */
    write_file(ini, "[not here]\n"
                    "log 1 pass = " SSHD_FAIL "\n"
                    "rule = 99999\n"
                    "alert = 3\n"
                    "decoder = sshd\n"
                    "[unknown decoder]\n"
                    "log 1 pass = x\n"
                    "rule = 5716\n"
                    "alert = 5\n"
                    "decoder = apache-errorlog\n");
    memset(&stats, 0, sizeof stats);
    tl_buf_reset(&report);
    assert_int_equal(tl_rstest_run_file(fx->rs, ini, 0, &report, &stats, &d), TL_OK);
    assert_int_equal(stats.skipped, 2);
    assert_int_equal(stats.failed, 0);
    assert_string_equal(tl_buf_cstr(&report),
                        "cases.ini:2: [not here] log 1 pass: skipped: rule 99999 is not in this "
                        "ruleset\n"
                        "cases.ini:7: [unknown decoder] log 1 pass: skipped: decoder "
                        "apache-errorlog is not in this ruleset\n");
    memset(&stats, 0, sizeof stats);
    tl_buf_reset(&report);
    assert_int_equal(tl_rstest_run_file(fx->rs, ini, TL_RSTEST_STRICT, &report, &stats, &d),
                     TL_OK);
    assert_int_equal(stats.skipped, 0);
    assert_int_equal(stats.failed, 2);
    tl_buf_free(&report);

    write_file(ini, "log 1 pass = x\n");
    tl_buf_init(&report);
    assert_int_equal(tl_rstest_run_file(fx->rs, ini, 0, &report, &stats, &d), TL_E_PARSE);
    assert_int_equal(d.line, 1);
    tl_buf_free(&report);
    unlink(ini);
}

/* A real reference INI passes against the real ruleset (needs ../shared). */
static void test_rstest_reference_sysmon_eid_7(void **state)
{
    (void)state;
    char rules[512], decoders[512], ini[512];
    snprintf(rules, sizeof rules, "%s/reference/wazuh-full/rules", TL_SHARED_DIR);
    snprintf(decoders, sizeof decoders, "%s/reference/wazuh-full/decoders", TL_SHARED_DIR);
    snprintf(ini, sizeof ini, "%s/reference/wazuh-full/tests/sysmon_eid_7.ini", TL_SHARED_DIR);
    struct stat sb;
    if (stat(ini, &sb) != 0)
        skip();
    const char *rd[1] = {rules}, *dd[1] = {decoders};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_dirs = rd;
    o.n_rule_dirs = 1;
    o.decoder_dirs = dd;
    o.n_decoder_dirs = 1;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_ruleset_load(&o, &rs, &d);
    if (st != TL_OK)
        fail_msg("%s:%d: %s", d.file, d.line, d.msg);
    assert_int_equal(tl_ruleset_winevt_as_json(rs, &d), TL_OK);
    tl_buf report = TL_BUF_INIT;
    tl_rstest_stats stats = {0, 0, 0, NULL, 0, 0, 0};
    assert_int_equal(tl_rstest_run_file(rs, ini, 0, &report, &stats, &d), TL_OK);
    if (stats.failed)
        fprintf(stderr, "%s", tl_buf_cstr(&report));
    assert_int_equal(stats.failed, 0);
    assert_int_equal(stats.passed, 6);
    tl_buf_free(&report);
    tl_ruleset_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_logtest_phases_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_no_decoder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_state_carries_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_json_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_bad_lines_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_rules_debug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_raw_eventchannel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logtest_winevt_as_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rstest_ini_cases, setup, teardown),
        cmocka_unit_test(test_rstest_reference_sysmon_eid_7),
    };
    return cmocka_run_group_tests_name("logtest", tests, NULL, NULL);
}
