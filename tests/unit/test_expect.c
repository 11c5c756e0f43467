/* SPDX-License-Identifier: MIT */
/*
 * Hand-written expectations (pipeline/driver/src/expect.c, scenarios/README.md
 * "expect"): every kind of item — `match` (alerts), `events` (logged records),
 * `ar` (scheduled-tasks.log), `tasks` (the endpoint's final tasks), `console`
 * (what command steps printed) — counts what it should, fails with a line
 * naming the item when the count differs, and a malformed item is an error
 * naming its JSON path. Inputs are small but of the real shapes (an EvtRender
 * record, an AR line, tl_sim_tasks_json's objects).
 */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tasklab/pipeline.h"

/* A Sysmon Event 1 of schtasks and a Security 4698, as the simulator renders them. */
static const char *const ev1 =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</"
    "EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>"
    "0x8000000000000000</Keywords><TimeCreated SystemTime='2022-04-13T11:59:41.0123450Z'/>"
    "<EventRecordID>4938</EventRecordID><Correlation/><Execution ProcessID='4548' "
    "ThreadID='7572'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>"
    "DESKTOP-4E0BQFT</Computer><Security UserID='S-1-5-18'/></System><EventData><Data "
    "Name='RuleName'>-</Data><Data Name='ProcessId'>1752</Data><Data "
    "Name='Image'>C:\\Windows\\System32\\schtasks.exe</Data><Data Name='CommandLine'>schtasks  "
    "/create /tn test-task /tr &quot;C:\\Windows\\System32\\calc.exe&quot; /sc onlogon &amp; "
    "echo &#x263A;</Data><Data Name='ParentUser'/></EventData></Event>";
static const char *const ev4698 =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Security-Auditing' "
    "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4698</EventID><Version>1</"
    "Version><Level>0</Level><Task>12804</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</"
    "Keywords><TimeCreated SystemTime='2022-04-13T11:59:41.0569880Z'/><EventRecordID>48920</"
    "EventRecordID><Correlation/><Execution ProcessID='800' "
    "ThreadID='14356'/><Channel>Security</Channel><Computer>DESKTOP-4E0BQFT</"
    "Computer><Security/></System><EventData><Data Name='TaskName'>\\test-task</Data><Data "
    "Name='TaskContent'>&lt;?xml version=\"1.0\" encoding=\"UTF-16\"?&gt;\n&lt;Task&gt;&lt;"
    "Hidden&gt;true&lt;/Hidden&gt;&lt;/Task&gt;</Data><Data Name='ClientProcessId'>1752</"
    "Data></EventData></Event>";

static const char *const alerts =
    "{\"rule\":{\"id\":\"115006\",\"level\":6},\"data\":{\"win\":{\"system\":{\"eventID\":\"12\"}}}}\n"
    "{\"rule\":{\"id\":\"115009\",\"level\":10},\"data\":{\"TaskName\":\"test-task\"}}\n";
static const char *const ar_log =
    "{\"ScheduledTaskAR\": {\"Execute\": \"C:\\\\Windows\\\\System32\\\\calc.exe\", \"Arguments\": "
    "null}, \"TaskName\": \"test-task\", \"Hidden\": false, \"Actions\": [{\"Type\": \"Exec\", "
    "\"Execute\": \"C:\\\\Windows\\\\System32\\\\calc.exe\"}]}\r\n"
    "{\"ScheduledTaskAR\": null, \"TaskName\": \"gone\", \"Error\": \"task file not found: "
    "C:\\\\Windows\\\\System32\\\\Tasks\\\\gone\"}\r\n";
static const char *const tasks =
    "[{\"Name\":\"test-task\",\"Path\":\"\\\\test-task\",\"Actions\":[{\"Type\":\"Exec\","
    "\"Execute\":\"calc.exe\",\"Arguments\":null}],\"Triggers\":[{\"Type\":\"LogonTrigger\"}],"
    "\"Principal\":{\"UserId\":\"S-1-5-18\"},\"Hidden\":true,\"Enabled\":true,\"RegistryOnly\":"
    "false,\"SD\":false,\"Index\":2,\"Listed\":false},"
    "{\"Name\":\"demo\",\"Path\":\"\\\\demo\",\"Actions\":[],\"Triggers\":[],\"Principal\":{},"
    "\"Hidden\":false,\"Enabled\":true,\"RegistryOnly\":true,\"SD\":true,\"Index\":3,"
    "\"Listed\":false}]";
static const char *const console =
    "[{\"step\":0,\"command\":\"schtasks /create /tn x\",\"exit_code\":0,\"output\":\"SUCCESS: "
    "The scheduled task \\\"x\\\" has successfully been created.\\n\"},"
    "{\"step\":2,\"command\":\"schtasks /query /tn y\",\"exit_code\":1,\"output\":\"ERROR: The "
    "system cannot find the file specified.\\n\"}]";

/* Run the items of `expect` on the data above; returns the number of failed items
 * (-1 on an error, message in *d). */
static int check(const char *expect, const char *profile, tl_buf *rep, tl_diag *d)
{
    tl_expect *e = NULL;
    int failed = -1;
    tl_diag_clear(d);
    if (tl_expect_new(expect, profile, &e, d) != TL_OK)
        return -1;
    tl_expect_events_begin(e);
    if (tl_expect_event(e, ev1) != TL_OK || tl_expect_event(e, ev4698) != TL_OK) {
        tl_expect_free(e);
        return -1;
    }
    tl_expect_data in = {alerts, ar_log, tasks, console};
    if (tl_expect_finish(e, &in, rep, &failed, d) != TL_OK)
        failed = -1;
    tl_expect_free(e);
    return failed;
}

static int fails(const char *expect)
{
    tl_buf rep = TL_BUF_INIT;
    tl_diag d;
    int n = check(expect, "default", &rep, &d);
    if (n < 0)
        print_error("unexpected error: %s\n", d.msg);
    tl_buf_free(&rep);
    return n;
}

static void test_expect_alerts(void **state)
{
    (void)state;
    assert_int_equal(fails("[{\"count\":1,\"match\":{\"rule.id\":\"115009\",\"data.TaskName\":\"test-task\"}}]"), 0);
    assert_int_equal(fails("[{\"count\":2,\"match\":{\"rule.level__gte\":6}}]"), 0);
    assert_int_equal(fails("[{\"count\":1,\"match\":{\"rule.id\":\"115008\"}}]"), 1);
    /* the profile decides which items apply */
    assert_int_equal(fails("[{\"count\":5,\"match\":{\"rule.id\":\"1\"},\"profiles\":[\"wazuh\"]}]"), 0);
}

static void test_expect_events(void **state)
{
    (void)state;
    /* System values that are numbers in the schema are numbers; attributes by name */
    assert_int_equal(fails("[{\"count\":1,\"events\":{\"System.EventID\":1,\"System.Provider.Name\":"
                           "\"Microsoft-Windows-Sysmon\",\"System.Execution.ProcessID\":4548,"
                           "\"System.TimeCreated.SystemTime__startswith\":\"2022-04-13T11:59:41\","
                           "\"System.Security.UserID\":\"S-1-5-18\"}}]"),
                     0);
    /* EventData: entities decoded, single backslashes, empty Data is "" */
    assert_int_equal(fails("[{\"count\":1,\"events\":{\"EventData.Image__endswith\":\"\\\\schtasks.exe\","
                           "\"EventData.CommandLine__contains\":\"/tr \\\"C:\\\\Windows\\\\System32\\\\calc.exe\\\" "
                           "/sc onlogon & echo \\u263a\",\"EventData.ParentUser\":\"\","
                           "\"EventData.ProcessId\":\"1752\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":1,\"events\":{\"System.EventID\":4698,\"System.Task\":12804,"
                           "\"EventData.TaskContent__contains\":\"<Hidden>true</Hidden>\","
                           "\"EventData.ClientProcessId\":\"1752\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":2,\"events\":{\"System.Computer\":\"DESKTOP-4E0BQFT\"}}]"), 0);
    /* mismatches: a type (EventID is a number), a value, a count */
    assert_int_equal(fails("[{\"count\":1,\"events\":{\"System.EventID\":\"1\"}}]"), 1);
    assert_int_equal(fails("[{\"count\":1,\"events\":{\"System.EventID\":7}}]"), 1);
    assert_int_equal(fails("[{\"count\":0,\"events\":{\"System.EventID__lt\":5000}}]"), 1);
}

static void test_expect_ar(void **state)
{
    (void)state;
    assert_int_equal(fails("[{\"count\":1,\"ar\":{\"TaskName\":\"test-task\",\"Actions[0].Execute\":"
                           "\"C:\\\\Windows\\\\System32\\\\calc.exe\",\"Hidden\":false,"
                           "\"not-has-key\":\"Error\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":1,\"ar\":{\"Error__startswith\":\"task file not found\"}}]"), 0);
    assert_int_equal(fails("[{\"count\":1,\"ar\":{\"TaskName\":\"test-task\",\"Hidden\":true}}]"), 1);
}

static void test_expect_tasks(void **state)
{
    (void)state;
    assert_int_equal(fails("[{\"count\":1,\"tasks\":{\"Path\":\"\\\\test-task\",\"Hidden\":true,"
                           "\"SD\":false,\"Listed\":false,\"Actions[0].Execute\":\"calc.exe\","
                           "\"Triggers[0].Type\":\"LogonTrigger\",\"Principal.UserId\":\"S-1-5-18\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":1,\"tasks\":{\"RegistryOnly\":true,\"Actions__len\":0}}]"), 0);
    assert_int_equal(fails("[{\"count\":2,\"tasks\":{\"Listed\":true}}]"), 1);
}

static void test_expect_console(void **state)
{
    (void)state;
    assert_int_equal(fails("[{\"count\":1,\"console\":{\"step\":0,\"exit_code\":0,\"output__contains\":"
                           "\"SUCCESS: The scheduled task \\\"x\\\" has successfully been created.\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":1,\"console\":{\"step\":2,\"exit_code\":1,"
                           "\"output__startswith\":\"ERROR:\"}}]"),
                     0);
    assert_int_equal(fails("[{\"count\":1,\"console\":{\"step\":2,\"exit_code\":0}}]"), 1);
}

/* The failure line names the item, the kind and both counts. */
static void test_expect_report(void **state)
{
    (void)state;
    tl_buf rep = TL_BUF_INIT;
    tl_diag d;
    int n = check("[{\"count\":1,\"match\":{\"rule.id\":\"115009\"}},"
                  "{\"count\":3,\"events\":{\"System.EventID\":1}}]",
                  NULL, &rep, &d);
    assert_int_equal(n, 1);
    assert_non_null(strstr(tl_buf_cstr(&rep),
                           "expectation $.expect[1] failed: 1 event matched {\"System.EventID\":1}, "
                           "expected 3"));
    tl_buf_free(&rep);
}

/* A kind the caller has no data for is not checked (studies replaying rules
 * only have alerts); events are checked only once the records were counted. */
static void test_expect_unchecked_kinds(void **state)
{
    (void)state;
    tl_expect *e = NULL;
    tl_diag d;
    tl_buf rep = TL_BUF_INIT;
    int failed = -1;
    assert_int_equal(tl_expect_new("[{\"count\":9,\"events\":{}},{\"count\":9,\"tasks\":{}},"
                                   "{\"count\":2,\"match\":{}}]",
                                   NULL, &e, &d),
                     TL_OK);
    tl_expect_data in = {alerts, NULL, NULL, NULL};
    assert_int_equal(tl_expect_finish(e, &in, &rep, &failed, &d), TL_OK);
    assert_int_equal(failed, 0);
    tl_expect_events_begin(e); /* a run with no record at all: 0 events, not 9 */
    assert_int_equal(tl_expect_finish(e, &in, &rep, &failed, &d), TL_OK);
    assert_int_equal(failed, 1);
    tl_expect_free(e);
    failed = -1;
    assert_int_equal(tl_expect_check("[{\"count\":1,\"ar\":{}}]", NULL, alerts, &rep, &failed, &d),
                     TL_OK);
    assert_int_equal(failed, 0);
    tl_buf_free(&rep);
}

static void expect_error(const char *expect, const char *msg)
{
    tl_buf rep = TL_BUF_INIT;
    tl_diag d;
    int n = check(expect, NULL, &rep, &d);
    if (n != -1 || strcmp(d.msg, msg) != 0)
        fail_msg("%s: got %d \"%s\", want \"%s\"", expect, n, d.msg, msg);
    tl_buf_free(&rep);
}

static void test_expect_errors(void **state)
{
    (void)state;
    expect_error("{}", "$.expect: expected an array");
    expect_error("[{\"count\":1}]",
                 "$.expect[0]: missing the conditions (match, events, ar, tasks or console)");
    expect_error("[{\"count\":1,\"events\":{},\"tasks\":{}}]",
                 "$.expect[0].tasks: an item has one of match, events, ar, tasks, console (it also "
                 "has events)");
    expect_error("[{\"count\":1,\"events\":{\"System.EventID__gt\":\"1\"}}]",
                 "$.expect[0].events.System.EventID__gt: expected a number");
    expect_error("[{\"count\":1,\"ar\":{\"TaskName__like\":\"x\"}}]",
                 "$.expect[0].ar.TaskName__like: unknown operator '__like'");
    expect_error("[{\"count\":1,\"tasks\":[]}]", "$.expect[0].tasks: expected an object");
    expect_error("[{\"count\":1,\"console\":{\"output__endswith\":1}}]",
                 "$.expect[0].console.output__endswith: expected a string");
    expect_error("[{\"count\":1,\"console\":{\"step\":1,\"step\":2}}]",
                 "$.expect[0].console.step: duplicate key");
    expect_error("[{\"count\":1.5,\"tasks\":{}}]", "$.expect[0].count: expected a whole number");
    expect_error("[{\"count\":1,\"task\":{}}]", "$.expect[0].task: unknown key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_alerts),  cmocka_unit_test(test_expect_events),
        cmocka_unit_test(test_expect_ar),      cmocka_unit_test(test_expect_tasks),
        cmocka_unit_test(test_expect_console), cmocka_unit_test(test_expect_report),
        cmocka_unit_test(test_expect_unchecked_kinds), cmocka_unit_test(test_expect_errors),
    };
    return cmocka_run_group_tests_name("expect", tests, NULL, NULL);
}
