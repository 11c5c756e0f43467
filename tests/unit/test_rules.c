/* SPDX-License-Identifier: MIT */
/*
 * Tests of the manager's rule engine (wazuh.md §5-§11): the seed rules
 * 115006-115009 end to end from queue lines, sibling order and the §6 worked
 * example, the if_group substring quirk, context rules on the virtual clock,
 * loader errors and warnings, the stock ruleset loading cleanly, alerts.json
 * key order and AR messages.
 */
#define _POSIX_C_SOURCE 200809L
#include "rule_assert.h"
#include "rules/rules_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <dirent.h>

#include "tasklab/winevt.h"

#define T0 INT64_C(1736935200000000) /* 2025-01-15T10:00:00Z */

/* ---- fixtures ---------------------------------------------------------------- */

static const char seed_rules[] =
    "<group name=\"windows,sysmon,\">\n"
    "  <rule id=\"115006\" level=\"6\">\n"
    "    <if_group>windows</if_group>\n"
    "    <field name=\"win.eventdata.ruleName\" "
    "type=\"pcre2\">^technique_id=T1053,technique_name=Scheduled Task$</field>\n"
    "    <field name=\"win.eventdata.eventType\" type=\"pcre2\">^CreateKey$</field>\n"
    "    <description>A Newly Scheduled Task has been Detected on "
    "$(win.system.computer)</description>\n"
    "    <mitre>\n        <id>T1053</id>\n    </mitre>\n"
    "  </rule>\n"
    "  <rule id=\"115007\" level=\"0\">\n"
    "    <if_sid>115006</if_sid>\n"
    "    <field name=\"win.eventdata.targetObject\" "
    "type=\"pcre2\">^HKLM\\\\\\\\SOFTWARE\\\\\\\\Microsoft\\\\\\\\Windows "
    "NT\\\\\\\\CurrentVersion\\\\\\\\Schedule\\\\\\\\TaskCache\\\\\\\\Tree\\\\\\\\Microsoft\\\\\\\\"
    "Windows\\\\\\\\UpdateOrchestrator$</field>\n"
    "    <description>Suppression rule for scheduled task created by update "
    "orchestrator</description>\n"
    "  </rule>\n"
    "  <rule id=\"115008\" level=\"10\">\n"
    "    <decoded_as>json</decoded_as>\n"
    "    <field name=\"ScheduledTaskAR.Arguments\" type=\"pcre2\" negate=\"yes\">^null$</field>\n"
    "    <field name=\"TaskName\" type=\"pcre2\">(.|\\s)*\\S(.|\\s)*</field>\n"
    "    <description>A new scheduled task \"$(TaskName)\" has been created on "
    "\"$(ScheduledTaskAR.CimSystemProperties.ServerName)\". The task will execute the command - "
    "\"$(ScheduledTaskAR.Execute) $(ScheduledTaskAR.Arguments)\".</description>\n"
    "    <mitre>\n        <id>T1053</id>\n    </mitre>\n"
    "  </rule>\n"
    "  <rule id=\"115009\" level=\"10\">\n"
    "    <decoded_as>json</decoded_as>\n"
    "    <field name=\"ScheduledTaskAR.Arguments\" type=\"pcre2\">^null$</field>\n"
    "    <field name=\"TaskName\" type=\"pcre2\">(.|\\s)*\\S(.|\\s)*</field>\n"
    "    <description>A new scheduled task \"$(TaskName)\" has been created on "
    "\"$(ScheduledTaskAR.CimSystemProperties.ServerName)\". The task will execute the command - "
    "\"$(ScheduledTaskAR.Execute)\".</description>\n"
    "    <mitre>\n        <id>T1053</id>\n    </mitre>\n"
    "  </rule>\n"
    "</group>\n";

static const char seed_conf[] = "<ossec_config>\n"
                                "  <alerts><log_alert_level>3</log_alert_level>"
                                "<email_alert_level>12</email_alert_level></alerts>\n"
                                "  <command>\n"
                                "    <name>analyze-scheduled-task</name>\n"
                                "    <executable>analyze-scheduled-task.exe</executable>\n"
                                "    <timeout_allowed>no</timeout_allowed>\n"
                                "  </command>\n"
                                "  <active-response>\n"
                                "    <disabled>no</disabled>\n"
                                "    <command>analyze-scheduled-task</command>\n"
                                "    <location>local</location>\n"
                                "    <rules_id>115006</rules_id>\n"
                                "  </active-response>\n"
                                "</ossec_config>\n";

/* A Sysmon registry event as EvtRender gives it (single quotes, no spaces). */
static char *sysmon_reg(int eid, const char *type, const char *target) {
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b,
                  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                  "<Provider Name='Microsoft-Windows-Sysmon' "
                  "Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>%d</EventID>"
                  "<Version>2</Version><Level>4</Level><Task>%d</Task><Opcode>0</Opcode>"
                  "<Keywords>0x8000000000000000</Keywords>"
                  "<TimeCreated SystemTime='2025-01-15T10:00:00.1234567Z'/>"
                  "<EventRecordID>1001</EventRecordID><Correlation/>"
                  "<Execution ProcessID='2900' ThreadID='3312'/>"
                  "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
                  "<Computer>DESKTOP-4E0BQFT</Computer><Security UserID='S-1-5-18'/></System>"
                  "<EventData><Data Name='RuleName'>technique_id=T1053,technique_name=Scheduled "
                  "Task</Data><Data Name='EventType'>%s</Data>"
                  "<Data Name='UtcTime'>2025-01-15 10:00:00.120</Data>"
                  "<Data Name='ProcessGuid'>{1f2e3d4c-8a60-6787-1a00-000000000700}</Data>"
                  "<Data Name='ProcessId'>1188</Data>"
                  "<Data Name='Image'>C:\\Windows\\system32\\svchost.exe</Data>"
                  "<Data Name='TargetObject'>%s</Data>"
                  "<Data Name='User'>NT AUTHORITY\\SYSTEM</Data></EventData></Event>",
                  eid, eid, type, target);
    char *s = tl_buf_take(&b);
    tl_buf_free(&b);
    return s;
}

#define TREE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\"

static char *ar_json_line(const char *arguments) {
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b,
                  "1:[001] (DESKTOP-4E0BQFT) any->logs\\scheduled-tasks.log:"
                  "{\"ScheduledTaskAR\":{\"CimClass\":{\"CimSuperClassName\":\"MSFT_TaskAction\"},"
                  "\"CimInstanceProperties\":[{\"Name\":\"Id\",\"Value\":null}],"
                  "\"CimSystemProperties\":{\"Namespace\":\"Root/Microsoft/Windows/TaskScheduler\","
                  "\"ServerName\":\"DESKTOP-4E0BQFT\",\"ClassName\":\"MSFT_TaskExecAction\","
                  "\"Path\":null},\"Id\":null,\"Arguments\":%s,"
                  "\"Execute\":\"C:\\\\Windows\\\\System32\\\\calc.exe\",\"WorkingDirectory\":null,"
                  "\"PSComputerName\":null},\"TaskName\":\"test-task\"}",
                  arguments);
    char *s = tl_buf_take(&b);
    tl_buf_free(&b);
    return s;
}

typedef struct fix {
    tl_ruleset *rs;
    tl_engine *e;
    char *warnings;
} fix;

static void fix_load(fix *f, const char *xml, const char *conf) {
    tl_diag d;
    tl_diag_clear(&d);
    memset(f, 0, sizeof *f);
    tl_status st = tl_test_load(xml, conf, &f->rs, &d, &f->warnings);
    if (st != TL_OK)
        print_error("load: %s: %s:%d: %s\n", tl_strerror(st), d.file, d.line, d.msg);
    assert_int_equal(st, TL_OK);
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    assert_int_equal(tl_engine_new(f->rs, &eo, &f->e), TL_OK);
}

static void fix_free(fix *f) {
    tl_engine_free(f->e);
    tl_ruleset_free(f->rs);
    tl_free(f->warnings);
}

static void process(fix *f, const char *line, tl_time t, tl_result *r) {
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_engine_process(f->e, line, t, r, &d);
    if (st != TL_OK)
        print_error("process: %s: %s\n", tl_strerror(st), d.msg);
    assert_int_equal(st, TL_OK);
}

/* ---- seed rules ------------------------------------------------------------------ */

static void test_rules_seed_115006_fires_with_ar(void **state) {
    (void)state;
    fix f;
    fix_load(&f, seed_rules, seed_conf);
    char *xml = sysmon_reg(12, "CreateKey", TREE "test-task");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted:\r\nEventType: CreateKey");
    tl_result r;
    process(&f, q, T0 + 250000, &r);
    assert_true(r.matched);
    assert_string_equal(r.rule_id, "115006");
    assert_int_equal(r.level, 6);
    assert_non_null(r.alert_json);
    assert_non_null(strstr(r.alert_json, "\"description\":\"A Newly Scheduled Task has been "
                                         "Detected on DESKTOP-4E0BQFT\""));
    assert_non_null(strstr(r.alert_json, "\"groups\":[\"windows\",\"sysmon\"]"));
    assert_non_null(strstr(r.alert_json, "\"mitre\":{\"id\":[\"T1053\"],\"tactic\":[\"Execution\","
                                         "\"Persistence\",\"Privilege Escalation\"],\"technique\":"
                                         "[\"Scheduled Task/Job\"]}"));
    assert_non_null(strstr(r.alert_json, "\"decoder\":{\"name\":\"windows_eventchannel\"}"));
    assert_non_null(strstr(r.alert_json, "\"location\":\"EventChannel\"}"));
    assert_non_null(strstr(r.alert_json, "\"id\":\"1736935200.0\""));
    assert_non_null(strstr(r.alert_json, "\"timestamp\":\"2025-01-15T10:00:00.250+0000\""));
    /* the AR of the blog post, bound through rules_id */
    assert_int_equal(r.n_ar, 1);
    assert_string_equal(r.ar[0].name, "analyze-scheduled-task0");
    assert_string_equal(r.ar[0].executable, "analyze-scheduled-task.exe");
    assert_string_equal(r.ar[0].location, "local");
    assert_string_equal(r.ar[0].agent_id, "001");
    const char *pre =
        "{\"version\":1,\"origin\":{\"name\":\"node01\",\"module\":\"wazuh-analysisd\"},"
        "\"command\":\"analyze-scheduled-task0\",\"parameters\":{\"extra_args\":[],"
        "\"alert\":";
    assert_memory_equal(r.ar[0].message, pre, strlen(pre));
    assert_non_null(strstr(r.ar[0].message, r.alert_json));
    size_t first_len = strlen(r.alert_json);
    /* second alert: firedtimes 2, id offset = first line + '\n' */
    process(&f, q, T0 + 2 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "115006");
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "\"id\":\"1736935202.%zu\"", first_len + 1);
    assert_non_null(strstr(r.alert_json, idbuf));
    assert_non_null(strstr(r.alert_json, "\"firedtimes\":2"));
    tl_free(q);
    tl_free(xml);
    fix_free(&f);
}

static void test_rules_seed_115007_suppresses(void **state) {
    (void)state;
    fix f;
    fix_load(&f, seed_rules, seed_conf);
    char *xml = sysmon_reg(12, "CreateKey", TREE "Microsoft\\Windows\\UpdateOrchestrator");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted");
    tl_result r;
    process(&f, q, T0, &r);
    assert_true(r.matched);
    assert_string_equal(r.rule_id, "115007");
    assert_int_equal(r.level, 0);
    assert_null(r.alert_json);
    assert_int_equal(r.n_ar, 0);
    tl_free(q);
    tl_free(xml);
    /* a SetValue (Event 13) is no CreateKey: the level-0 EID rule wins */
    xml = sysmon_reg(13, "SetValue", TREE "test-task\\Index");
    q = tl_test_winevt_line(xml, "Registry value set");
    process(&f, q, T0, &r);
    assert_string_equal(r.rule_id, "61615");
    assert_null(r.alert_json);
    tl_free(q);
    tl_free(xml);
    fix_free(&f);
}

static void test_rules_seed_115008_115009_on_ar_json(void **state) {
    (void)state;
    fix f;
    fix_load(&f, seed_rules, seed_conf);
    char *q = ar_json_line("null");
    tl_result r;
    process(&f, q, T0, &r);
    assert_string_equal(r.rule_id, "115009");
    assert_int_equal(r.level, 10);
    assert_non_null(strstr(
        r.alert_json, "\"description\":\"A new scheduled task \\\"test-task\\\" has been "
                      "created on \\\"DESKTOP-4E0BQFT\\\". The task will execute the command - "
                      "\\\"C:\\\\Windows\\\\System32\\\\calc.exe\\\".\""));
    assert_non_null(strstr(r.alert_json, "\"decoder\":{\"name\":\"json\"}"));
    assert_non_null(strstr(r.alert_json, "\"location\":\"logs\\\\scheduled-tasks.log\"}"));
    /* null stays the string "null"; the array value is a real array */
    assert_non_null(strstr(r.alert_json, "\"Arguments\":\"null\""));
    assert_int_equal(r.n_ar, 0);
    tl_free(q);
    q = ar_json_line("\"/c whoami\"");
    process(&f, q, T0, &r);
    assert_string_equal(r.rule_id, "115008");
    assert_non_null(strstr(r.alert_json, "calc.exe /c whoami\\\".\""));
    tl_free(q);
    fix_free(&f);
}

static void test_rules_decoded_fields_seen_by_rules(void **state) {
    (void)state;
    char *xml = sysmon_reg(13, "SetValue", TREE "test-task\\Index");
    /* eventchannel values keep the doubled backslashes; "-"/empty Data are dropped */
    assert_decoded_field(xml, "win.eventdata.image", "C:\\\\Windows\\\\system32\\\\svchost.exe");
    assert_decoded_field(xml, "WIN.SYSTEM.COMPUTER", "DESKTOP-4E0BQFT");
    assert_decoded_field(xml, "win.eventdata.details", NULL);
    tl_free(xml);
    /* JSON nulls are the string "null", nested keys joined with '.' */
    char *q = ar_json_line("null");
    assert_decoded_field(q, "ScheduledTaskAR.Arguments", "null");
    assert_decoded_field(q, "ScheduledTaskAR.CimSystemProperties.ServerName", "DESKTOP-4E0BQFT");
    tl_free(q);
}

static void test_rules_alert_key_order(void **state) {
    (void)state;
    fix f;
    fix_load(&f, seed_rules, seed_conf);
    char *xml = sysmon_reg(12, "CreateKey", TREE "test-task");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted");
    tl_result r;
    process(&f, q, T0, &r);
    assert_non_null(r.alert_json);
    cJSON *j = cJSON_Parse(r.alert_json);
    assert_non_null(j);
    const char *top[] = {"timestamp", "rule",    "agent", "manager", "id",
                         "full_log",  "decoder", "data",  "location"};
    size_t i = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, j) {
        assert_true(i < 9);
        assert_string_equal(it->string, top[i]);
        i++;
    }
    assert_int_equal(i, 9);
    const char *rk[] = {"level", "description", "id", "mitre", "firedtimes", "mail", "groups"};
    i = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "rule")) {
        assert_true(i < 7);
        assert_string_equal(it->string, rk[i]);
        i++;
    }
    assert_int_equal(i, 7);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "rule"), "mail")));
    cJSON *agent = cJSON_GetObjectItem(j, "agent");
    assert_string_equal(agent->child->string, "id");
    assert_string_equal(agent->child->valuestring, "001");
    assert_string_equal(agent->child->next->valuestring, "WS01");
    assert_null(agent->child->next->next);
    /* data re-nested on '.', doubled backslashes kept */
    cJSON *ed = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "win"),
                                    "eventdata");
    assert_string_equal(cJSON_GetObjectItem(ed, "image")->valuestring,
                        "C:\\\\Windows\\\\system32\\\\svchost.exe");
    cJSON_Delete(j);
    tl_free(q);
    tl_free(xml);
    fix_free(&f);
}

static void test_rules_groups_and_compliance(void **state) {
    (void)state;
    const char *xml =
        "<group name=\"windows, WEF,\">\n"
        "  <rule id=\"100\" level=\"5\"><decoded_as>json</decoded_as>"
        "<field name=\"k\">v</field><description>grp</description>"
        "<group>pci_dss_10.6.1,custom,</group><group>gdpr_IV_35.7.d,pci_dss_10.2.4,</group>"
        "</rule>\n"
        "</group>\n";
    fix f;
    fix_load(&f, xml, NULL);
    tl_result r;
    process(&f, "1:[001] (WS01) any->x.log:{\"k\":\"v\"}", T0, &r);
    assert_string_equal(r.rule_id, "100");
    /* plain strcat of the <group>s, split on ',' with spaces kept; compliance
     * prefixes move to their own arrays in order of first appearance */
    assert_non_null(strstr(r.alert_json, "\"groups\":[\"windows\",\" WEF\",\"custom\"],"
                                         "\"pci_dss\":[\"10.6.1\",\"10.2.4\"],"
                                         "\"gdpr\":[\"IV_35.7.d\"]}"));
    fix_free(&f);
}

static void test_rules_description_expansion(void **state) {
    (void)state;
    const char *xml =
        "<group name=\"t,\">\n"
        "  <rule id=\"100\" level=\"5\"><decoded_as>json</decoded_as><field name=\"a.b\">x</field>"
        "<description>ip=$(srcip) ab=$(A.B) none=[$(nope)] open $(a.b</description></rule>\n"
        "</group>\n";
    fix f;
    fix_load(&f, xml, NULL);
    tl_result r;
    process(&f, "1:[001] (WS01) any->x.log:{\"srcip\":\"10.1.1.1\",\"a\":{\"b\":\"x\"}}", T0, &r);
    assert_string_equal(r.rule_id, "100");
    assert_non_null(
        strstr(r.alert_json, "\"description\":\"ip=10.1.1.1 ab=x none=[] open $(a.b\""));
    fix_free(&f);
}

static void test_rules_data_values(void **state) {
    (void)state;
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"5\"><decoded_as>json</decoded_as>"
                      "<field name=\"n\">5</field><description>data</description></rule>\n"
                      "</group>\n";
    fix f;
    fix_load(&f, xml, NULL);
    tl_result r;
    process(&f,
            "1:[001] (WS01) 10.0.0.9->x.log:{\"n\":5,\"z\":null,\"t\":true,\"l\":[\"a\",1],"
            "\"e\":\"\",\"srcuser\":\"bob\",\"o\":{\"p\":\"q\"}}",
            T0, &r);
    assert_string_equal(r.rule_id, "100");
    /* static fields first; "5", "null", "true" stay strings; a '[' value is an array */
    assert_non_null(strstr(r.alert_json, "\"data\":{\"srcuser\":\"bob\",\"n\":\"5\",\"z\":\"null\","
                                         "\"t\":\"true\",\"l\":[\"a\",1],\"o\":{\"p\":\"q\"}}"));
    assert_non_null(
        strstr(r.alert_json, "\"agent\":{\"id\":\"001\",\"name\":\"WS01\",\"ip\":\"10.0.0.9\"}"));
    fix_free(&f);
}

static void test_rules_ar_binding_and_safety(void **state) {
    (void)state;
    const char *xml = "<group name=\"authentication_failed,\">\n"
                      "  <rule id=\"100\" level=\"5\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^fail$</field><description>fail</description></rule>\n"
                      "  <rule id=\"101\" level=\"2\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^low$</field><description>low</description></rule>\n"
                      "  <rule id=\"102\" level=\"12\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^high$</field><options>no_ar</options>"
                      "<description>high</description></rule>\n"
                      "</group>\n";
    const char *conf =
        "<ossec_config>\n"
        "  <cluster><node_name>nodeX</node_name></cluster>\n"
        "  <command><name>block</name><executable>block.sh</executable>"
        "<timeout_allowed>yes</timeout_allowed><extra_args>-a  -b</extra_args></command>\n"
        "  <command><name>note</name><executable>note.sh</executable>"
        "<timeout_allowed>no</timeout_allowed></command>\n"
        "  <active-response><command>block</command><location>server</location>"
        "<rules_group>authentication_failed</rules_group><level>4</level>"
        "<timeout>600</timeout></active-response>\n"
        "  <active-response><command>note</command><location>defined-agent</location>"
        "<agent_id>007</agent_id><rules_id>101</rules_id><timeout>30</timeout>"
        "</active-response>\n"
        "</ossec_config>\n";
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    char *w = NULL;
    assert_int_equal(tl_test_load(xml, conf, &rs, &d, &w), TL_OK);
    tl_free(w);
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", NULL}; /* node name from <cluster> */
    assert_int_equal(tl_engine_new(rs, &eo, &e), TL_OK);
    tl_result r;
    assert_int_equal(tl_engine_process(e, "1:[001] (WS01) any->x:{\"k\":\"fail\"}", T0, &r, &d),
                     TL_OK);
    assert_string_equal(r.rule_id, "100");
    assert_int_equal(r.n_ar, 1);
    assert_string_equal(r.ar[0].name, "block600");
    assert_string_equal(r.ar[0].location, "server");
    assert_string_equal(r.ar[0].agent_id, "000");
    assert_non_null(strstr(r.ar[0].message, "{\"version\":1,\"origin\":{\"name\":\"nodeX\","
                                            "\"module\":\"wazuh-analysisd\"},\"command\":"
                                            "\"block600\",\"parameters\":{\"extra_args\":"
                                            "[\"-a\",\"-b\"],\"alert\":{"));
    /* below log_alert_level: no alert line, the AR still runs (timeout reset to 0) */
    assert_int_equal(tl_engine_process(e, "1:[001] (WS01) any->x:{\"k\":\"low\"}", T0, &r, &d),
                     TL_OK);
    assert_string_equal(r.rule_id, "101");
    assert_null(r.alert_json);
    assert_int_equal(r.n_ar, 1);
    assert_string_equal(r.ar[0].name, "note0");
    assert_string_equal(r.ar[0].agent_id, "007");
    /* no_ar */
    assert_int_equal(tl_engine_process(e, "1:[001] (WS01) any->x:{\"k\":\"high\"}", T0, &r, &d),
                     TL_OK);
    assert_string_equal(r.rule_id, "102");
    assert_non_null(strstr(r.alert_json, "\"mail\":true"));
    assert_int_equal(r.n_ar, 0);
    /* a crafted user name skips the AR */
    assert_int_equal(
        tl_engine_process(e, "1:[001] (WS01) any->x:{\"k\":\"fail\",\"dstuser\":\"bob;rm -rf\"}",
                          T0, &r, &d),
        TL_OK);
    assert_string_equal(r.rule_id, "100");
    assert_non_null(r.alert_json);
    assert_int_equal(r.n_ar, 0);
    tl_engine_free(e);
    tl_ruleset_free(rs);
}

static void test_rules_if_matched_group_and_ignore(void **state) {
    (void)state;
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"3\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^fail$</field><description>fail</description>"
                      "<group>authentication_failed,</group></rule>\n"
                      "  <rule id=\"101\" level=\"3\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^other$</field><description>other</description></rule>\n"
                      "  <rule id=\"102\" level=\"10\" frequency=\"2\" timeframe=\"60\">"
                      "<if_matched_group>authentication_failed</if_matched_group>"
                      "<decoded_as>json</decoded_as><field name=\"k\">^other$</field>"
                      "<description>other after a failure</description></rule>\n"
                      "  <rule id=\"103\" level=\"4\" ignore=\"60\"><decoded_as>json</decoded_as>"
                      "<field name=\"k\">^noisy$</field><description>noisy</description></rule>\n"
                      "</group>\n";
    fix f;
    fix_load(&f, xml, NULL);
    tl_result r;
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"other\"}", T0, &r);
    assert_string_equal(r.rule_id, "101");
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"fail\"}", T0 + TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "100");
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"other\"}", T0 + 2 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "102");
    /* ignore="60": one alert, then silence for 60 s */
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"noisy\"}", T0, &r);
    assert_non_null(r.alert_json);
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"noisy\"}", T0 + 30 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "103");
    assert_null(r.alert_json);
    process(&f, "1:[001] (WS01) any->x:{\"k\":\"noisy\"}", T0 + 61 * TL_USEC_PER_SEC, &r);
    assert_non_null(r.alert_json);
    fix_free(&f);
}

/* ---- tree ------------------------------------------------------------------------ */

static const char order_rules[] =
    "<group name=\"windows,sysmon,sysmon_event7,\">\n"
    "  <rule id=\"61609\" level=\"0\"><if_sid>1</if_sid><match>ImageLoad</match>"
    "<description>Sysmon - Event 7</description></rule>\n"
    "</group>\n"
    "<group name=\"sysmon,sysmon_eid7_detections,windows,\">\n"
    "  <rule id=\"92151\" level=\"12\"><if_group>sysmon_event7</if_group><match>aaa.dll</match>"
    "<description>x</description></rule>\n"
    "  <rule id=\"92152\" level=\"6\"><if_group>sysmon_event7</if_group><match>bbb.dll</match>"
    "<description>x</description></rule>\n"
    "  <rule id=\"92153\" level=\"10\"><if_group>sysmon_event7</if_group><match>ccc.dll</match>"
    "<description>x</description></rule>\n"
    "  <rule id=\"92154\" level=\"4\"><if_group>sysmon_event7</if_group><match>taskschd.dll</match>"
    "<description>taskschd loaded</description></rule>\n"
    "  <rule id=\"92156\" level=\"12\"><if_group>sysmon_event7</if_group><match>ddd.dll</match>"
    "<description>x</description></rule>\n"
    "  <rule id=\"92157\" level=\"6\"><if_group>sysmon_event7</if_group><match>eee.dll</match>"
    "<description>x</description></rule>\n"
    "</group>\n"
    "<group name=\"windows,sysmon,\">\n"
    "  <rule id=\"115001\" level=\"10\"><if_group>sysmon_event7</if_group>"
    "<match>technique_id=T1053</match><description>new task</description></rule>\n"
    "  <rule id=\"115002\" level=\"0\"><if_sid>61609</if_sid><match>never-ever</match>"
    "<description>zero</description></rule>\n"
    "</group>\n";

static void test_rules_sibling_order_worked_example(void **state) {
    (void)state;
    fix f;
    fix_load(&f, order_rules, NULL);
    const tl_rule *p = tl_ruleset_find(f.rs, 61609);
    assert_non_null(p);
    const int want[] = {115002, 92151, 92156, 92153, 115001, 92152, 92157, 92154};
    assert_int_equal(p->nchildren, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(p->children[i]->id, want[i]);
    /* schtasks loads taskschd.dll with the T1053 RuleName: 115001 wins, 92154 never fires */
    tl_result r;
    process(&f, "1:[001] (WS01) any->x:ImageLoad schtasks.exe taskschd.dll technique_id=T1053", T0,
            &r);
    assert_string_equal(r.rule_id, "115001");
    process(&f, "1:[001] (WS01) any->x:ImageLoad other.exe taskschd.dll", T0, &r);
    assert_string_equal(r.rule_id, "92154");
    fix_free(&f);
}

static void test_rules_if_group_substring_quirk(void **state) {
    (void)state;
    assert_true(tl_word_match("sysmon_event1", "windows,sysmon,sysmon_event1,"));
    assert_true(tl_word_match("sysmon_event1", "windows,sysmon,sysmon_event15,"));
    assert_false(tl_word_match("sysmon_event1", "windows,sysmon,sysmon_event_13,"));
    assert_true(tl_word_match("SYSMON_EVENT1", "sysmon_event1,"));
    assert_true(tl_word_match("nomatch|sysmon", "windows,sysmon,"));
    assert_true(tl_word_match("^windows", "windows,sysmon,"));
    assert_false(tl_word_match("^sysmon", "windows,sysmon,"));
    const char *xml = "<group name=\"sysmon_event1,\">\n"
                      "  <rule id=\"100\" level=\"0\"><if_sid>1</if_sid><match>A</match>"
                      "<description>a</description></rule>\n"
                      "</group>\n"
                      "<group name=\"sysmon_event15,\">\n"
                      "  <rule id=\"101\" level=\"0\"><if_sid>1</if_sid><match>B</match>"
                      "<description>b</description></rule>\n"
                      "</group>\n"
                      "<group name=\"x,\">\n"
                      "  <rule id=\"102\" level=\"5\"><if_group>sysmon_event1</if_group>"
                      "<match>C</match><description>c</description></rule>\n"
                      "</group>\n";
    /* 102 hangs under both 100 and 101 */
    assert_rule_fires(xml, "A C", "102");
    assert_rule_fires(xml, "B C", "102");
    assert_rule_fires(xml, "B", "101");
}

static void test_rules_noalert_is_transparent(void **state) {
    (void)state;
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"3\" noalert=\"1\"><if_sid>1</if_sid>"
                      "<match>foo</match><description>transparent</description></rule>\n"
                      "  <rule id=\"101\" level=\"2\"><if_sid>1</if_sid><match>foo</match>"
                      "<description>sibling</description></rule>\n"
                      "</group>\n";
    assert_rule_level(xml, "foo bar", "101", 2);
}

static void test_rules_concatenation_and_no_entities(void **state) {
    (void)state;
    const char *xml =
        "<group name=\"t,\">\n"
        "  <rule id=\"100\" level=\"5\"><if_sid>1</if_sid>"
        "<match>a &amp;</match><match> b</match><description>amp</description></rule>\n"
        "  <rule id=\"101\" level=\"5\"><if_sid>1</if_sid>"
        "<regex type=\"pcre2\">x\\<y</regex><description>lt</description></rule>\n"
        "</group>\n";
    assert_rule_fires(xml, "this is a &amp; b here", "100");
    assert_rule_silent(xml, "this is a & b here");
    assert_rule_fires(xml, "x<y", "101");
}

static void test_rules_frequency_on_virtual_clock(void **state) {
    (void)state;
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"3\"><if_sid>1</if_sid><match>login failed</match>"
                      "<description>failure</description></rule>\n"
                      "  <rule id=\"101\" level=\"10\" frequency=\"3\" timeframe=\"60\">"
                      "<if_matched_sid>100</if_matched_sid><same_location />"
                      "<description>brute force</description></rule>\n"
                      "</group>\n";
    fix f;
    fix_load(&f, xml, NULL);
    const char *ev = "1:[001] (WS01) any->auth.log:login failed for bob";
    tl_result r;
    process(&f, ev, T0, &r);
    assert_string_equal(r.rule_id, "100");
    process(&f, ev, T0 + 10 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "100");
    process(&f, ev, T0 + 20 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "101");
    assert_non_null(strstr(r.alert_json, "\"frequency\":3"));
    assert_non_null(strstr(r.alert_json, "\"previous_output\":"));
    /* events used by 101 are not reused; a far later burst starts over */
    process(&f, ev, T0 + 500 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "100");
    /* another agent's failures do not count (no global_frequency) */
    process(&f, "1:[002] (WS02) any->auth.log:login failed", T0 + 501 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "100");
    process(&f, ev, T0 + 502 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "100");
    process(&f, ev, T0 + 503 * TL_USEC_PER_SEC, &r);
    assert_string_equal(r.rule_id, "101");
    fix_free(&f);
}

static void test_rules_time_and_weekday(void **state) {
    (void)state;
    /* T0 is Wednesday 10:00 UTC */
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"5\"><if_sid>1</if_sid><match>x</match>"
                      "<time>9 am - 11 am</time><weekday>weekdays</weekday>"
                      "<description>office</description></rule>\n"
                      "  <rule id=\"101\" level=\"4\"><if_sid>1</if_sid><match>x</match>"
                      "<description>other</description></rule>\n"
                      "</group>\n";
    assert_rule_fires(xml, "x", "100");
    const char *night = "<group name=\"t,\">\n"
                        "  <rule id=\"100\" level=\"5\"><if_sid>1</if_sid><match>x</match>"
                        "<time>10:30 pm - 6 am</time><description>night</description></rule>\n"
                        "  <rule id=\"101\" level=\"4\"><if_sid>1</if_sid><match>x</match>"
                        "<description>other</description></rule>\n"
                        "</group>\n";
    assert_rule_fires(night, "x", "101");
}

static void test_rules_srcip_cidr_and_lists(void **state) {
    (void)state;
    const char *xml = "<group name=\"t,\">\n"
                      "  <rule id=\"100\" level=\"5\"><decoded_as>json</decoded_as>"
                      "<srcip>10.0.0.0/8</srcip><srcip>192.168.1.7</srcip>"
                      "<description>internal</description></rule>\n"
                      "  <rule id=\"101\" level=\"4\"><decoded_as>json</decoded_as>"
                      "<srcip>!10.0.0.0/8</srcip><description>external</description></rule>\n"
                      "</group>\n";
    assert_rule_fires(xml, "{\"srcip\":\"10.2.3.4\"}", "100");
    assert_rule_fires(xml, "{\"srcip\":\"192.168.1.7\"}", "100");
    assert_rule_fires(xml, "{\"srcip\":\"8.8.8.8\"}", "101");
}

/* ---- loader errors and warnings ---------------------------------------------- */

static void test_rules_error_malformed_xml(void **state) {
    (void)state;
    assert_ruleset_error("<group name=\"t,\">\n<rule id=\"100\" level=\"3\">\n"
                         "<match>x</match>\n<description>d</description>\n</group>\n",
                         TL_E_PARSE, "XMLERR: Element 'rule' not closed.");
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\" level=\"4\">"
                         "<match>x</match><description>d</description></rule></group>",
                         TL_E_PARSE, "XMLERR: Attribute 'level' already defined.");
    assert_ruleset_error("<rules><rule id=\"100\" level=\"3\"><match>x</match>"
                         "<description>d</description></rule></rules>",
                         TL_E_RULE, "Invalid root element \"rules\"");
}

static void test_rules_error_unknown_option(void **state) {
    (void)state;
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
                         "<frobnicate>x</frobnicate><description>d</description></rule></group>",
                         TL_E_RULE, "Invalid option 'frobnicate' for rule '100'.");
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\" colour=\"red\">"
                         "<match>x</match><description>d</description></rule></group>",
                         TL_E_RULE, "Invalid attribute \"colour\"");
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\"><match>x</match>"
                         "</rule></group>",
                         TL_E_RULE, "No such description at rule '100'.");
    assert_ruleset_error(
        "<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
        "<field name=\"srcip\">x</field><description>d</description></rule></group>",
        TL_E_RULE, "Field 'srcip' is static.");
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
                         "<same_srcip/><description>d</description></rule></group>",
                         TL_E_RULE, "Missing if_matched on rule '100'.");
    assert_ruleset_warning("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
                           "<match negate=\"maybe\">x</match><description>d</description></rule>"
                           "</group>",
                           "(7600): Invalid value 'maybe' for attribute 'negate' in rule 100.");
}

static void test_rules_error_bad_regex(void **state) {
    (void)state;
    assert_ruleset_error("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
                         "<field name=\"x\" type=\"pcre2\">a(b</field><description>d</description>"
                         "</rule></group>",
                         TL_E_REGEX, "(5107): Syntax error on tag 'field' in rule 100");
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_test_load("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1</if_sid>"
                                "<regex type=\"pcre2\">a(b</regex><description>d</description>"
                                "</rule></group>",
                                NULL, &rs, &d, NULL);
    assert_int_equal(st, TL_E_REGEX);
    assert_non_null(strstr(d.msg, "offset")); /* PCRE2 message + offset */
    assert_non_null(strstr(d.file, "test_rules.xml"));
    assert_int_equal(d.line, 1);
}

static void test_rules_duplicate_and_missing_parents(void **state) {
    (void)state;
    const char *dup = "<group name=\"t,\">"
                      "<rule id=\"100\" level=\"3\"><if_sid>1</if_sid><match>first</match>"
                      "<description>first</description></rule>\n"
                      "<rule id=\"100\" level=\"9\"><if_sid>1</if_sid><match>second</match>"
                      "<description>second</description></rule></group>";
    assert_ruleset_warning(dup, "rule 100: (7612): Rule ID '100' is duplicated.");
    assert_rule_fires(dup, "first", "100");
    assert_rule_silent(dup, "second");
    const char *ow = "<group name=\"t,\">"
                     "<rule id=\"100\" level=\"3\"><if_sid>1</if_sid><match>first</match>"
                     "<description>first</description></rule>\n"
                     "<rule id=\"100\" level=\"9\" overwrite=\"yes\"><if_sid>1</if_sid>"
                     "<match>second</match><description>second</description></rule></group>";
    assert_rule_level(ow, "second", "100", 9);
    assert_rule_silent(ow, "first");
    /* wazuh.md §5.2: an overwrite keeps the original's if_matched_sid search;
     * without if_matched_* of its own it has context 0 (no frequency): 102
     * fires on the first event instead of waiting for 3 matches of 101 */
    const char *ctx = "<group name=\"t,\">"
                      "<rule id=\"101\" level=\"3\"><if_sid>1</if_sid><match>tick</match>"
                      "<description>tick</description></rule>\n"
                      "<rule id=\"102\" level=\"8\" frequency=\"3\" timeframe=\"60\">"
                      "<if_matched_sid>101</if_matched_sid><match>tick</match>"
                      "<description>many</description></rule>\n"
                      "<rule id=\"102\" level=\"9\" overwrite=\"yes\"><if_sid>101</if_sid>"
                      "<match>tick</match><description>overwritten</description></rule></group>";
    assert_rule_level(ctx, "tick", "102", 9);
    const char *ctx2 = "<group name=\"t,\">"
                       "<rule id=\"101\" level=\"3\"><if_sid>1</if_sid><match>tick</match>"
                       "<description>tick</description></rule>\n"
                       "<rule id=\"102\" level=\"8\" frequency=\"3\" timeframe=\"60\">"
                       "<if_matched_sid>101</if_matched_sid><match>tick</match>"
                       "<description>many</description></rule>\n"
                       "<rule id=\"102\" level=\"9\" overwrite=\"yes\" frequency=\"3\" "
                       "timeframe=\"60\"><if_matched_sid>555</if_matched_sid><match>tick</match>"
                       "<description>overwritten</description></rule></group>";
    assert_ruleset_warning(ctx2, "(7605): It is not possible to overwrite 'if_matched_sid' value "
                                 "in rule '102'.");
    assert_rule_fires(ctx2, "tick", "101"); /* still searches 101, 3 needed */
    assert_ruleset_warning("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>999</if_sid>"
                           "<match>x</match><description>d</description></rule></group>",
                           "(7617): Signature ID '999' was not found");
    assert_ruleset_warning("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>999</if_sid>"
                           "<match>x</match><description>d</description></rule></group>",
                           "Rule '100' will be ignored.");
    assert_ruleset_warning("<group name=\"t,\"><rule id=\"100\" level=\"3\"><if_sid>1a</if_sid>"
                           "<match>x</match><description>d</description></rule></group>",
                           "(7618): Invalid 'if_sid' value: '1a'.");
}

static void test_rules_error_undefined_var(void **state) {
    (void)state;
    assert_ruleset_error("<var name=\"GOOD\">x</var>\n<group name=\"t,\">\n"
                         "<rule id=\"100\" level=\"3\"><if_sid>1</if_sid><match>$BAD</match>"
                         "<description>d</description></rule></group>",
                         TL_E_PARSE, "XMLERR: Unknown variable: 'BAD'.");
    const char *ok = "<var name=\"FREQ\">hello|world</var>\n<group name=\"t,\">\n"
                     "<rule id=\"100\" level=\"3\"><if_sid>1</if_sid><match>$FREQ</match>"
                     "<description>on $(hostname)</description></rule></group>";
    assert_rule_fires(ok, "say world", "100");
}

/* ---- the stock ruleset ----------------------------------------------------------- */

static void count_warn(void *ctx, const char *msg) {
    (void)msg;
    (*(int *)ctx)++;
}

static void test_rules_reference_ruleset_loads(void **state) {
    (void)state;
    const char *rdir = TL_SHARED_DIR "/reference/wazuh-full/rules";
    const char *ddir = TL_SHARED_DIR "/reference/wazuh-full/decoders";
    if (access(rdir, R_OK) != 0 || access(ddir, R_OK) != 0)
        skip();
    int nwarn = 0;
    const char *rd[1] = {rdir}, *dd[1] = {ddir};
    const char *lf[1] = {TL_SOURCE_DIR "/pipeline/etc/rules/local_rules.xml"};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_dirs = rd;
    o.n_rule_dirs = 1;
    o.decoder_dirs = dd;
    o.n_decoder_dirs = 1;
    o.rule_files = lf;
    o.n_rule_files = access(lf[0], R_OK) == 0 ? 1 : 0;
    o.warn = count_warn;
    o.warn_ctx = &nwarn;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_ruleset_load(&o, &rs, &d);
    if (st != TL_OK)
        print_error("%s:%d: %s\n", d.file, d.line, d.msg);
    assert_int_equal(st, TL_OK);
    assert_true(tl_ruleset_rule_count(rs) > 1000);
    /* §6 worked example on the real files: under 61609 the order is 92151 92156 92153 ... */
    const tl_rule *p = tl_ruleset_find(rs, 61609);
    assert_non_null(p);
    int seen151 = -1, seen153 = -1, seen154 = -1;
    for (size_t i = 0; i < p->nchildren; i++) {
        if (p->children[i]->id == 92151)
            seen151 = (int)i;
        if (p->children[i]->id == 92153)
            seen153 = (int)i;
        if (p->children[i]->id == 92154)
            seen154 = (int)i;
    }
    assert_true(seen151 >= 0 && seen153 > seen151 && seen154 > seen153);
    tl_ruleset_free(rs);
}

/* ---- the indexed walk changes nothing --------------------------------------- */

static void noop_trace(void *ctx, const char *rule_id, const char *description, int depth,
                       int matched, const char *failed) {
    (void)ctx, (void)rule_id, (void)description, (void)depth, (void)matched, (void)failed;
}

typedef struct walk_pair {
    tl_engine *full, *indexed; /* with a trace (every child tried), without */
    tl_time t;
    int n, alerts, nini, nq;
} walk_pair;

static void walk_compare(walk_pair *w, const char *line) {
    tl_result a, b;
    tl_diag d;
    tl_diag_clear(&d);
    w->t += 1000;
    tl_expr_prefilter_off = 1; /* the reference walk: PCRE2 alone */
    tl_status sa = tl_engine_process(w->full, line, w->t, &a, &d);
    tl_expr_prefilter_off = 0;
    tl_status sb = tl_engine_process(w->indexed, line, w->t, &b, &d);
    assert_int_equal(sa, sb);
    if (sa != TL_OK)
        return;
    w->n++;
    assert_int_equal(a.matched, b.matched);
    if (strcmp(a.rule_id ? a.rule_id : "-", b.rule_id ? b.rule_id : "-") != 0)
        print_error("%s: rule %s with every child tried, %s indexed\n", line,
                    a.rule_id ? a.rule_id : "-", b.rule_id ? b.rule_id : "-");
    assert_string_equal(a.rule_id ? a.rule_id : "-", b.rule_id ? b.rule_id : "-");
    assert_string_equal(a.alert_json ? a.alert_json : "-", b.alert_json ? b.alert_json : "-");
    assert_int_equal(a.n_ar, b.n_ar);
    w->alerts += a.alert_json != NULL;
}

/* Each line of every file of dir ending in ext, sorted by name (the
 * engines keep state, so both get the same order). */
static void walk_files(walk_pair *w, const char *dir, const char *ext,
                       void (*each)(walk_pair *, char *)) {
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        size_t l = strlen(nm), el = strlen(ext);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        FILE *f = l > el && strcmp(nm + l - el, ext) == 0 ? fopen(path, "rb") : NULL;
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0)
            each(w, line);
        free(line);
        if (f)
            fclose(f);
        free(names[i]);
    }
    free(names);
}

/* "log ... = <text>" of a Wazuh .ini file: the text as a log read from a file */
static void walk_ini_line(walk_pair *w, char *line) {
    char *eq = strstr(line, " = ");
    if (strncmp(line, "log ", 4) != 0 || !eq)
        return;
    char *v = eq + 3;
    v[strcspn(v, "\r\n")] = '\0';
    tl_buf q = TL_BUF_INIT;
    tl_buf_puts(&q, "1:stdin:");
    tl_buf_puts(&q, v);
    walk_compare(w, tl_buf_cstr(&q));
    tl_buf_free(&q);
    w->nini++;
}

/* One JSON string of an oracle .queue file: the message as received, then
 * pre-converted to {"win":...} JSON (read by the json decoder). */
static void walk_queue_line(walk_pair *w, char *line) {
    cJSON *j = cJSON_Parse(line);
    if (!cJSON_IsString(j)) {
        cJSON_Delete(j);
        return;
    }
    const char *q = j->valuestring;
    walk_compare(w, q);
    const char *pl = strstr(q, "->EventChannel:");
    char *json = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (pl && tl_winevt_convert(pl + 15, &json, &d) == TL_OK) {
        tl_buf conv = TL_BUF_INIT;
        tl_buf_puts(&conv, "1:[001] (h) any->EventChannel:");
        tl_buf_puts(&conv, json);
        walk_compare(w, tl_buf_cstr(&conv));
        tl_buf_free(&conv);
    }
    tl_free(json);
    cJSON_Delete(j);
    w->nq++;
}

/* The walk skips what cannot match (children whose decoded_as or
 * program_name cannot pass, children keyed on another exact field value,
 * rules whose first <field> the event lacks, PCRE2 patterns whose required
 * literal is absent); a trace and tl_expr_prefilter_off turn every skip off. Both walks must give the same alerts, with the
 * complete stock ruleset, on every log of Wazuh's .ini tests, on the
 * oracle's recorded eventchannel messages and on those messages
 * pre-converted to {"win":...} JSON (json decoder). */
static void test_rules_indexed_walk_changes_nothing(void **state) {
    (void)state;
    const char *rdir = TL_SHARED_DIR "/reference/wazuh-full/rules";
    const char *ddir = TL_SHARED_DIR "/reference/wazuh-full/decoders";
    const char *qdir = TL_SHARED_DIR "/reference/oracle/evtx";
    if (access(rdir, R_OK) != 0 || access(ddir, R_OK) != 0)
        skip();
    const char *rd[1] = {rdir}, *dd[1] = {ddir};
    const char *lf[1] = {TL_SOURCE_DIR "/pipeline/etc/rules/local_rules.xml"};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_dirs = rd;
    o.n_rule_dirs = 1;
    o.decoder_dirs = dd;
    o.n_decoder_dirs = 1;
    o.rule_files = lf;
    o.n_rule_files = access(lf[0], R_OK) == 0 ? 1 : 0;
    int nwarn = 0;
    o.warn = count_warn;
    o.warn_ctx = &nwarn;
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_ruleset_load(&o, &rs, &d), TL_OK);
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    walk_pair w = {NULL, NULL, T0, 0, 0, 0, 0};
    assert_int_equal(tl_engine_new(rs, &eo, &w.full), TL_OK);
    assert_int_equal(tl_engine_new(rs, &eo, &w.indexed), TL_OK);
    tl_engine_set_trace(w.full, noop_trace, NULL);
    walk_files(&w, TL_SHARED_DIR "/reference/wazuh-full/tests", ".ini", walk_ini_line);
    walk_files(&w, TL_SHARED_DIR "/reference/wazuh-full/tests/engine", ".ini", walk_ini_line);
    walk_files(&w, qdir, ".queue", walk_queue_line);
    assert_true(w.nini > 1000);
    if (access(qdir, R_OK) == 0)
        assert_true(w.nq > 4000);
    assert_true(w.alerts > 500);
    tl_engine_free(w.full);
    tl_engine_free(w.indexed);
    tl_ruleset_free(rs);
}

/* The complete stock ruleset with the blog's local rules; 0 when ../shared
 * is absent (the caller skips). */
static int load_stock(tl_ruleset **rs) {
    const char *rdir = TL_SHARED_DIR "/reference/wazuh-full/rules";
    const char *ddir = TL_SHARED_DIR "/reference/wazuh-full/decoders";
    if (access(rdir, R_OK) != 0 || access(ddir, R_OK) != 0)
        return 0;
    const char *rd[1] = {rdir}, *dd[1] = {ddir};
    const char *lf[1] = {TL_SOURCE_DIR "/pipeline/etc/rules/local_rules.xml"};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_dirs = rd;
    o.n_rule_dirs = 1;
    o.decoder_dirs = dd;
    o.n_decoder_dirs = 1;
    o.rule_files = lf;
    o.n_rule_files = access(lf[0], R_OK) == 0 ? 1 : 0;
    int nwarn = 0;
    o.warn = count_warn;
    o.warn_ctx = &nwarn;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_ruleset_load(&o, rs, &d), TL_OK);
    return 1;
}

/* A child the value index leaves out of the list for value v (NULL: field
 * missing) must fail on v: some <field> of it on the keyed field must refuse
 * v. Checked for every value-indexed child list of the complete stock
 * ruleset, on every keyed value and near misses of it (other case, one byte
 * more or less, surrounding blanks, a newline), so the recognizer of exact
 * value sets (rules_tree.c) never claims more than OS_Regex does. */
static void vidx_check(const tl_kids *L, const char *v, size_t *excluded) {
    const tl_vidx *vx = L->vx;
    const tl_kids *K = tl_vidx_pick(L, v);
    for (size_t i = 0; i < L->n; i++) {
        const tl_rule *c = L->v[i];
        int in = 0;
        for (size_t j = 0; j < K->n && !in; j++)
            in = K->v[j] == c;
        if (in)
            continue;
        int fails = 0;
        for (size_t f = 0; f < c->nfields && !fails; f++)
            fails = c->fields[f].fid == vx->fid && !tl_expr_match(c->fields[f].e, v);
        if (!fails)
            print_error("rule %d left out for value '%s' but its fields accept it\n", c->id,
                        v ? v : "(missing)");
        assert_true(fails);
        (*excluded)++;
    }
}

static void test_rules_value_sets_are_exact(void **state) {
    (void)state;
    tl_ruleset *rs = NULL;
    if (!load_stock(&rs))
        skip();
    size_t lists = 0, excluded = 0;
    int saw_eventid = 0;
    for (size_t r = 0; r < rs->nrules; r++) {
        const tl_kidx *k = rs->rules[r]->kidx;
        for (size_t li = 0; k && li < 2 * k->npairs; li++) {
            const tl_kids *L = &k->lists[li];
            if (!L->vx)
                continue;
            lists++;
            if (rs->rules[r]->id == 61600 &&
                tl_ascii_casecmp(rs->fnames[L->vx->fid], "win.system.eventID") == 0)
                saw_eventid = 1;
            vidx_check(L, NULL, &excluded);
            vidx_check(L, "", &excluded);
            for (size_t kk = 0; kk < L->vx->nkeys; kk++) {
                const char *val = L->vx->keys[kk].val;
                size_t n = strlen(val);
                char b[300];
                if (n > 200)
                    continue;
                vidx_check(L, val, &excluded);
                for (size_t i = 0; i <= n; i++) /* other case */
                    b[i] = (char)(val[i] >= 'a' && val[i] <= 'z' ? val[i] - 32 : val[i]);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, "%s0", val);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, "1%s", val);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, " %s ", val);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, "%s\n", val);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, "%.*s", (int)(n - 1), val);
                vidx_check(L, b, &excluded);
                snprintf(b, sizeof b, "%s", val + 1);
                vidx_check(L, b, &excluded);
            }
        }
    }
    print_message("value-indexed child lists: %zu, exclusions checked: %zu\n", lists, excluded);
    assert_true(saw_eventid);
    assert_true(lists >= 10);
    assert_true(excluded > 10000);
    tl_ruleset_free(rs);
}

/* wazuh.md §6 worked example on the real files: schtasks.exe loads
 * taskschd.dll with the T1053 RuleName; with the E2E rule 115001 loaded it
 * wins under 61609 and 92154 never fires; without it, 92154 fires. */
static void test_rules_reference_worked_example(void **state) {
    (void)state;
    const char *rdir = TL_SHARED_DIR "/reference/wazuh-full/rules";
    const char *ddir = TL_SHARED_DIR "/reference/wazuh-full/decoders";
    if (access(rdir, R_OK) != 0 || access(ddir, R_OK) != 0)
        skip();
    static const char e2e[] =
        "<group name=\"windows,sysmon,\">\n"
        "  <rule id=\"115001\" level=\"10\">\n"
        "    <if_group>windows</if_group>\n"
        "    <field name=\"win.eventdata.ruleName\" "
        "type=\"pcre2\">technique_id=T1053,technique_name=Scheduled Task</field>\n"
        "    <description>A Newly Scheduled Task has been Detected on "
        "$(win.system.computer)</description>\n"
        "    <mitre><id>T1053</id></mitre>\n"
        "  </rule>\n"
        "</group>\n";
    char path[] = "/tmp/tl_e2e_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tl_diag d;
    assert_int_equal(tl_file_write_atomic(path, e2e, strlen(e2e), &d), TL_OK);
    const char *ev7 =
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
        "<EventID>7</EventID><Version>3</Version><Level>4</Level><Task>7</Task><Opcode>0</Opcode>"
        "<Keywords>0x8000000000000000</Keywords><TimeCreated "
        "SystemTime='2025-01-15T10:00:00.1234567Z'/>"
        "<EventRecordID>1002</EventRecordID><Correlation/><Execution ProcessID='2900' "
        "ThreadID='3312'/>"
        "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS01.corp.example</"
        "Computer>"
        "<Security UserID='S-1-5-18'/></System><EventData>"
        "<Data Name='RuleName'>technique_id=T1053,technique_name=Scheduled Task</Data>"
        "<Data Name='UtcTime'>2025-01-15 10:00:00.120</Data>"
        "<Data Name='ProcessGuid'>{1f2e3d4c-8a60-6787-1a00-000000000701}</Data>"
        "<Data Name='ProcessId'>4242</Data><Data "
        "Name='Image'>C:\\Windows\\System32\\schtasks.exe</Data>"
        "<Data Name='ImageLoaded'>C:\\Windows\\System32\\taskschd.dll</Data>"
        "<Data Name='Signed'>true</Data><Data Name='User'>CORP\\bob</Data></EventData></Event>";
    char *q = tl_test_winevt_line(ev7, "Image loaded");
    for (int with = 0; with < 2; with++) {
        const char *rd[1] = {rdir}, *dd[1] = {ddir}, *rf[1] = {path};
        tl_ruleset_opts o;
        memset(&o, 0, sizeof o);
        o.rule_dirs = rd;
        o.n_rule_dirs = 1;
        o.decoder_dirs = dd;
        o.n_decoder_dirs = 1;
        o.rule_files = rf;
        o.n_rule_files = with ? 1 : 0;
        tl_ruleset *rs = NULL;
        tl_diag_clear(&d);
        assert_int_equal(tl_ruleset_load(&o, &rs, &d), TL_OK);
        tl_engine *e = NULL;
        tl_engine_opts eo = {"wazuh-manager", "node01"};
        assert_int_equal(tl_engine_new(rs, &eo, &e), TL_OK);
        tl_result r;
        assert_int_equal(tl_engine_process(e, q, T0, &r, &d), TL_OK);
        assert_string_equal(r.rule_id, with ? "115001" : "92154");
        assert_non_null(r.alert_json);
        if (!with)
            assert_non_null(strstr(r.alert_json,
                                   "\"mitre\":{\"id\":[\"T1053.005\"],\"tactic\":"
                                   "[\"Execution\",\"Persistence\",\"Privilege "
                                   "Escalation\"],\"technique\":[\"Scheduled Task\"]}"));
        tl_engine_free(e);
        tl_ruleset_free(rs);
    }
    unlink(path);
    tl_free(q);
}

static void test_rules_engine_tests_rulesets_load(void **state) {
    (void)state;
    const char *dir = TL_SHARED_DIR "/reference/wazuh-full/tests/engine/ruleset";
    if (access(dir, R_OK) != 0)
        skip();
    static const char *const pairs[][2] = {
        {"test_osmatch_regex_decoders.xml", "test_osmatch_regex_rules.xml"},
        {"test_osregex_regex_decoders.xml", "test_osregex_regex_rules.xml"},
        {"test_pcre2_regex_decoders.xml", "test_pcre2_regex_rules.xml"},
        {"test_expr_negation_decoders.xml", "test_expr_negation_rules.xml"},
        {"test_static_filters_decoders.xml", "test_static_filters_rules.xml"},
        {"test_decoders.xml", "test_rules.xml"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *dp = tl_path_join(dir, pairs[i][0]);
        char *rp = tl_path_join(dir, pairs[i][1]);
        char base[] = "/tmp/tl_base_XXXXXX";
        int fd = mkstemp(base);
        assert_true(fd >= 0);
        close(fd);
        tl_diag d;
        assert_int_equal(
            tl_file_write_atomic(base, tl_test_base_rules, strlen(tl_test_base_rules), &d), TL_OK);
        const char *rf[2] = {base, rp}, *df[1] = {dp};
        tl_ruleset_opts o;
        memset(&o, 0, sizeof o);
        o.rule_files = rf;
        o.n_rule_files = 2;
        o.decoder_files = df;
        o.n_decoder_files = 1;
        tl_ruleset *rs = NULL;
        tl_diag_clear(&d);
        tl_status st = tl_ruleset_load(&o, &rs, &d);
        if (st != TL_OK)
            print_error("%s: %s:%d: %s\n", pairs[i][1], d.file, d.line, d.msg);
        assert_int_equal(st, TL_OK);
        tl_ruleset_free(rs);
        unlink(base);
        tl_free(dp);
        tl_free(rp);
    }
}

static void test_rules_default_profile_end_to_end(void **state) {
    (void)state;
    const char *conf = TL_SOURCE_DIR "/pipeline/etc/ossec.conf";
    if (access(conf, R_OK) != 0)
        skip();
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.ossec_conf = conf;
    o.base_dir = TL_SOURCE_DIR "/pipeline/etc";
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_ruleset_load(&o, &rs, &d);
    if (st != TL_OK)
        print_error("%s:%d: %s\n", d.file, d.line, d.msg);
    assert_int_equal(st, TL_OK);
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    assert_int_equal(tl_engine_new(rs, &eo, &e), TL_OK);
    char *xml = sysmon_reg(12, "CreateKey", TREE "test-task");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted");
    tl_result r;
    assert_int_equal(tl_engine_process(e, q, T0, &r, &d), TL_OK);
    assert_string_equal(r.rule_id, "115006");
    assert_int_equal(r.n_ar, 1);
    tl_free(q);
    tl_free(xml);
    /* a malformed eventchannel event is TL_E_PARSE and the engine goes on */
    assert_int_equal(tl_engine_process(e, "f:[001] (WS01) any->EventChannel:{not json", T0, &r, &d),
                     TL_E_PARSE);
    q = ar_json_line("null");
    assert_int_equal(tl_engine_process(e, q, T0, &r, &d), TL_OK);
    assert_string_equal(r.rule_id, "115009");
    tl_free(q);
    tl_engine_free(e);
    tl_ruleset_free(rs);
}

/* Every allocation failure while loading and processing gives TL_E_NOMEM
 * (never a crash, never another status); ASan/valgrind runs catch leaks. */
static void test_rules_alloc_fail(void **state) {
    (void)state;
    static const char dec[] = "<decoder name=\"json\"><prematch>^{\\s*\"</prematch>"
                              "<plugin_decoder>JSON_Decoder</plugin_decoder></decoder>";
    char *xml = sysmon_reg(12, "CreateKey", TREE "test-task");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted");
    char *q2 = ar_json_line("null");
    int done = 0;
    for (long n = 1; n < 100000 && !done; n++) {
        tl_ruleset *rs = NULL;
        tl_engine *e = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_alloc_fail_at(n);
        tl_status st = tl_ruleset_new_empty(&rs);
        if (st == TL_OK)
            st = tl_decoder_set_load_buffer(rs->ds, "dec.xml", dec, sizeof dec - 1, NULL, NULL, &d);
        if (st == TL_OK)
            st = tl_rules_load_buffer(rs, "base.xml", tl_test_base_rules,
                                      strlen(tl_test_base_rules), NULL, &d);
        if (st == TL_OK)
            st = tl_rules_load_buffer(rs, "seed.xml", seed_rules, strlen(seed_rules), NULL, &d);
        if (st == TL_OK)
            st = tl_ruleset_finish(rs, &d);
        tl_engine_opts eo = {"wazuh-manager", "node01"};
        if (st == TL_OK)
            st = tl_engine_new(rs, &eo, &e);
        tl_result r;
        if (st == TL_OK)
            st = tl_engine_process(e, q, T0, &r, &d);
        if (st == TL_OK)
            st = tl_engine_process(e, q2, T0, &r, &d);
        tl_alloc_fail_at(0);
        if (st == TL_OK) {
            assert_string_equal(r.rule_id, "115009");
            done = 1;
        } else if (st != TL_E_NOMEM) {
            print_error("allocation %ld: %s: %s\n", n, tl_strerror(st), d.msg);
        }
        if (!done && st != TL_E_NOMEM)
            fail();
        tl_engine_free(e);
        tl_ruleset_free(rs);
    }
    assert_true(done);
    tl_free(q);
    tl_free(q2);
    tl_free(xml);
}

/* Load n generated rules (children of a few parents, levels mixed, 500
 * distinct field names) after the base rules; the loader's comparison count. */
static unsigned long long load_generated(int n) {
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "<group name=\"gen,\">\n<rule id=\"100000\" level=\"3\"><if_sid>6</if_sid>"
                    "<description>p0</description></rule>\n");
    for (int i = 1; i < n; i++) {
        int parent = i < 10 ? 100000 : 100000 + (i % 10);
        tl_buf_printf(&b,
                      "<rule id=\"%d\" level=\"%d\"><if_sid>%d</if_sid><field name=\"f%d\">x%d"
                      "</field><description>r%d</description></rule>\n",
                      100000 + i, 1 + (i * 7) % 15, parent, i % 500, i, i);
    }
    tl_buf_puts(&b, "</group>\n");
    assert_int_equal(tl_buf_status(&b), TL_OK);
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_ruleset_new_empty(&rs), TL_OK);
    assert_int_equal(tl_rules_load_buffer(rs, "base.xml", tl_test_base_rules,
                                          strlen(tl_test_base_rules), NULL, &d),
                     TL_OK);
    tl_rules_load_cmps = 0;
    assert_int_equal(tl_rules_load_buffer(rs, "gen.xml", tl_buf_cstr(&b), b.len, NULL, &d), TL_OK);
    unsigned long long c = tl_rules_load_cmps;
    assert_int_equal(tl_ruleset_finish(rs, &d), TL_OK);
    assert_non_null(tl_ruleset_find(rs, 100000 + n - 1));
    assert_true(tl_ruleset_find(rs, 100000 + n - 1)->in_tree);
    assert_int_equal(tl_ruleset_find(rs, 100007)->nchildren, (size_t)(n / 10 - 1));
    tl_ruleset_free(rs);
    tl_buf_free(&b);
    return c;
}

/* issue 16: an event decoded once (tl_engine_decode) gives, in another engine
 * over a ruleset with the same decoders, exactly what tl_engine_process gives
 * on the line; tl_engine_rule_holds answers a rule's own conditions alone. */
static void test_rules_decode_once_walk_many(void **state) {
    (void)state;
    fix a, b;
    fix_load(&a, seed_rules, seed_conf);
    fix_load(&b, seed_rules, seed_conf);
    char *xml = sysmon_reg(12, "CreateKey", TREE "test-task");
    char *q = tl_test_winevt_line(xml, "Registry object added or deleted:\r\nEventType: CreateKey");
    char *set = sysmon_reg(13, "SetValue", TREE "test-task\\Index");
    char *q2 = tl_test_winevt_line(set, "Registry value set:\r\nEventType: SetValue");
    tl_diag d;
    tl_diag_clear(&d);
    tl_decoded *dv = NULL, *dv2 = NULL;
    assert_int_equal(tl_engine_decode(a.e, q, T0, &dv, &d), TL_OK);
    assert_int_equal(tl_engine_decode(a.e, q2, T0, &dv2, &d), TL_OK);
    assert_int_equal(tl_engine_decode(a.e, "1:[001] (WS01) any->EventChannel", T0, &(tl_decoded *){NULL}, &d),
                     TL_E_PARSE);
    for (int round = 0; round < 2; round++) { /* the same event twice: firedtimes 1, 2 */
        tl_result r1, r2;
        process(&a, q, T0 + round, &r1);
        char *j1 = tl_strdup(r1.alert_json);
        char *m1 = tl_strdup(r1.ar[0].message);
        assert_int_equal(tl_engine_process_decoded(b.e, dv, T0 + round, &r2, &d), TL_OK);
        assert_string_equal(r2.rule_id, "115006");
        assert_string_equal(r2.alert_json, j1);
        assert_int_equal(r2.n_ar, 1);
        assert_string_equal(r2.ar[0].message, m1);
        tl_free(j1);
        tl_free(m1);
    }
    /* 115006: windows + ruleName + CreateKey; the SetValue event fails its eventType */
    assert_int_equal(tl_engine_rule_holds(b.e, 115006, dv, T0), 1);
    assert_int_equal(tl_engine_rule_holds(b.e, 115006, dv2, T0), 0);
    assert_int_equal(tl_engine_rule_holds(b.e, 424242, dv, T0), -1);
    /* the engine goes on normally with undecoded lines afterwards */
    tl_result r;
    process(&b, q, T0 + 5, &r);
    assert_string_equal(r.rule_id, "115006");
    assert_non_null(strstr(r.alert_json, "\"firedtimes\":3"));
    /* <active-response> thresholds by <level>: none here (rules_id binding) */
    int lv[4];
    assert_int_equal(tl_ruleset_ar_levels(b.rs, lv, 4), 0);
    tl_decoded_free(dv);
    tl_decoded_free(dv2);
    tl_decoded_free(NULL);
    tl_free(q);
    tl_free(q2);
    tl_free(xml);
    tl_free(set);
    fix_free(&a);
    fix_free(&b);
}

/* issue 10: rule loading is n log n (comparisons counted, never wall clock):
 * 100,000 rules took 101 s with linear id lookups, field interning and
 * sibling insertion. */
static void test_rules_load_is_n_log_n(void **state) {
    (void)state;
    unsigned long long c5 = load_generated(5000), c20 = load_generated(20000);
    print_message("rule loader comparisons: 5,000 rules %llu, 20,000 rules %llu\n", c5, c20);
    /* n^2 would give 16x for 4x the rules; n log n gives about 4.6x */
    assert_true(c20 < c5 * 6);
    assert_true(c20 < 20000ull * 64);
}

/* ---- OSSECAlert_Decoder (wazuh.md §4.3) ---------------------------------------- */

static void ossec_warn(void *ctx, const char *msg) {
    tl_buf *b = ctx;
    tl_buf_puts(b, msg);
    tl_buf_putc(b, '\n');
}

/* An OSSEC_ALERT event skips rule matching: the alert's own rule is used as
 * is (no firedtimes++), a level-0 rule gives nothing, a missing one is warned
 * about and the event dropped; a line that is not a complete alert is dropped
 * even when a rule would match its text. */
static void test_rules_ossec_alert_uses_its_rule(void **state) {
    (void)state;
    char tmpl[] = "/tmp/tl_ossecalert_XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    static const char dec[] =
        "<decoder name=\"ossec\"><prematch>^ossec: </prematch><type>ossec</type></decoder>\n"
        "<decoder name=\"ossec-alert1\"><parent>ossec</parent>"
        "<prematch>^ossec: Alert Level:</prematch>"
        "<plugin_decoder>OSSECAlert_Decoder</plugin_decoder></decoder>\n";
    static const char rules[] =
        "<group name=\"t,\">\n"
        "<rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
        "<description>root</description></rule>\n"
        "<rule id=\"2\" level=\"0\" noalert=\"1\"><category>ossec</category>"
        "<description>root</description></rule>\n"
        "<rule id=\"100\" level=\"5\"><if_sid>2</if_sid><match>never-in-these-logs</match>"
        "<description>sshd: authentication success.</description></rule>\n"
        "<rule id=\"101\" level=\"0\"><if_sid>2</if_sid><match>never-in-these-logs</match>"
        "<description>quiet</description></rule>\n"
        "<rule id=\"102\" level=\"7\"><if_sid>2</if_sid>"
        "<description>any ossec line</description></rule>\n"
        "</group>\n";
    char *dp = tl_path_join(dir, "d.xml"), *rp = tl_path_join(dir, "r.xml");
    tl_diag d;
    assert_int_equal(tl_file_write_atomic(dp, dec, strlen(dec), &d), TL_OK);
    assert_int_equal(tl_file_write_atomic(rp, rules, strlen(rules), &d), TL_OK);
    tl_buf warns = TL_BUF_INIT;
    const char *rf[1] = {rp}, *df[1] = {dp};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.rule_files = rf;
    o.n_rule_files = 1;
    o.decoder_files = df;
    o.n_decoder_files = 1;
    o.warn = ossec_warn;
    o.warn_ctx = &warns;
    tl_ruleset *rs = NULL;
    assert_int_equal(tl_ruleset_load(&o, &rs, &d), TL_OK);
    assert_null(strstr(tl_buf_cstr(&warns), "OSSECAlert")); /* implemented: no load warning */
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    assert_int_equal(tl_engine_new(rs, &eo, &e), TL_OK);
    tl_result r;
    const char *alert = "1:/var/ossec/logs/alerts/alerts.log:ossec: Alert Level: 3; Rule: 100 - "
                        "sshd: authentication success.; Location: (a1) 10.0.0.2->/var/log/secure; "
                        "srcip: 10.0.0.5; user: root;  Dec 10 01:02:03 h sshd[1]: Accepted";
    for (int k = 0; k < 2; k++) {
        assert_int_equal(tl_engine_process(e, alert, T0 + k, &r, &d), TL_OK);
        assert_true(r.matched);
        assert_string_equal(r.rule_id, "100"); /* not 102, which matches any ossec line */
        assert_non_null(r.alert_json);
        assert_non_null(strstr(r.alert_json, "\"firedtimes\":0,")); /* never counted */
        assert_non_null(strstr(r.alert_json, "\"full_log\":\"Dec 10 01:02:03 h sshd[1]: Accepted\""));
        assert_non_null(strstr(r.alert_json, "\"data\":{\"srcip\":\"10.0.0.5\",\"dstuser\":\"root\"}"));
        assert_non_null(strstr(r.alert_json, "\"location\":\"/var/ossec/logs/alerts/alerts.log|"
                                             "(a1) 10.0.0.2->/var/log/secure\""));
    }
    /* level 0: nothing */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", alert);
    memcpy(strstr(buf, "Rule: 100") + 8, "1", 1);
    assert_int_equal(tl_engine_process(e, buf, T0 + 5, &r, &d), TL_OK);
    assert_null(r.alert_json);
    /* a rule that does not exist (or is not written as analysisd keys it) */
    const char *ids[] = {"999", "0100"};
    for (size_t i = 0; i < 2; i++) {
        tl_buf_reset(&warns);
        snprintf(buf, sizeof buf,
                 "1:x:ossec: Alert Level: 3; Rule: %s - d; Location: y; srcip: 1.1.1.1;  z", ids[i]);
        assert_int_equal(tl_engine_process(e, buf, T0 + 6, &r, &d), TL_OK);
        assert_false(r.matched);
        assert_null(r.alert_json);
        char want[64];
        snprintf(want, sizeof want, "Rule id '%s' not found internally", ids[i]);
        assert_non_null(strstr(tl_buf_cstr(&warns), want));
    }
    /* an incomplete alert line is dropped, though rule 102 matches any ossec line */
    assert_int_equal(tl_engine_process(e, "1:x:ossec: Alert Level: 3; Rule: 100 - d; nothing", T0 + 7,
                                       &r, &d),
                     TL_OK);
    assert_false(r.matched);
    /* and a plain ossec line still goes through the rules */
    assert_int_equal(tl_engine_process(e, "1:x:ossec: hello", T0 + 8, &r, &d), TL_OK);
    assert_true(r.matched);
    assert_string_equal(r.rule_id, "102");
    tl_engine_free(e);
    tl_ruleset_free(rs);
    tl_buf_free(&warns);
    unlink(dp);
    unlink(rp);
    rmdir(dir);
    tl_free(dp);
    tl_free(rp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_seed_115006_fires_with_ar),
        cmocka_unit_test(test_rules_decode_once_walk_many),
        cmocka_unit_test(test_rules_seed_115007_suppresses),
        cmocka_unit_test(test_rules_seed_115008_115009_on_ar_json),
        cmocka_unit_test(test_rules_decoded_fields_seen_by_rules),
        cmocka_unit_test(test_rules_alert_key_order),
        cmocka_unit_test(test_rules_groups_and_compliance),
        cmocka_unit_test(test_rules_description_expansion),
        cmocka_unit_test(test_rules_data_values),
        cmocka_unit_test(test_rules_ar_binding_and_safety),
        cmocka_unit_test(test_rules_if_matched_group_and_ignore),
        cmocka_unit_test(test_rules_sibling_order_worked_example),
        cmocka_unit_test(test_rules_if_group_substring_quirk),
        cmocka_unit_test(test_rules_noalert_is_transparent),
        cmocka_unit_test(test_rules_concatenation_and_no_entities),
        cmocka_unit_test(test_rules_frequency_on_virtual_clock),
        cmocka_unit_test(test_rules_time_and_weekday),
        cmocka_unit_test(test_rules_srcip_cidr_and_lists),
        cmocka_unit_test(test_rules_error_malformed_xml),
        cmocka_unit_test(test_rules_error_unknown_option),
        cmocka_unit_test(test_rules_error_bad_regex),
        cmocka_unit_test(test_rules_duplicate_and_missing_parents),
        cmocka_unit_test(test_rules_error_undefined_var),
        cmocka_unit_test(test_rules_reference_ruleset_loads),
        cmocka_unit_test(test_rules_indexed_walk_changes_nothing),
        cmocka_unit_test(test_rules_value_sets_are_exact),
        cmocka_unit_test(test_rules_reference_worked_example),
        cmocka_unit_test(test_rules_engine_tests_rulesets_load),
        cmocka_unit_test(test_rules_default_profile_end_to_end),
        cmocka_unit_test(test_rules_alloc_fail),
        cmocka_unit_test(test_rules_load_is_n_log_n),
        cmocka_unit_test(test_rules_ossec_alert_uses_its_rule),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
