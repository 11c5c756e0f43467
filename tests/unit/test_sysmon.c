/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Sysmon engine (simulator/include/tasklab/sysmon.h):
 * config loading and its errors, every condition operator, the §2.3
 * evaluation order (exclude wins, defaults, RuleGroup and aggregate
 * relations, RuleName inheritance and the stale-name quirk), the outcome
 * table of facts/windows.md §3 row by row on both reference configs (read
 * from ../shared, skipped when absent), the project's default config against
 * the seed's Event 12, and the renderers (System section, EventData order per
 * schema, escaping, Message text, Security and TaskScheduler events).
 * A differential test replays random events built from the reference configs'
 * own rule texts through the optimised filter and through a naive evaluator
 * written here from windows.md §2 (plain scans, strstr, no index).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tasklab/sysmon.h"

#include "sysmon_int.h"

#define MODULAR TL_SHARED_DIR "/reference/sysmon/sysmon-modular_sysmonconfig.xml"
#define SWIFT TL_SHARED_DIR "/reference/sysmon/swiftonsecurity_sysmonconfig-export.xml"
#define SEED TL_SHARED_DIR "/seed/000_21b51aff7983027c.txt"
#define DEFAULT_CFG TL_SOURCE_DIR "/pipeline/etc/sysmonconfig.xml"

#define TREE "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree"
#define TASKS "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tasks"
#define T1053 "technique_id=T1053,technique_name=Scheduled Task"
#define T1053_005 "technique_id=T1053.005,technique_name=Scheduled Task/Job"
#define SVCHOST "C:\\Windows\\system32\\svchost.exe"

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static tl_sysmon_config *load_file(const char *path)
{
    tl_sysmon_config *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_sysmon_config_load(path, &c, &d);
    if (st != TL_OK) {
        char msg[1600];
        tl_diag_format(&d, msg, sizeof msg);
        print_error("load %s: %s\n", path, msg);
    }
    assert_int_equal(st, TL_OK);
    assert_non_null(c);
    return c;
}

static tl_sysmon_config *load_str(const char *xml)
{
    tl_sysmon_config *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_sysmon_config_load_mem(xml, strlen(xml), "inline.xml", &c, &d);
    if (st != TL_OK) {
        char msg[1600];
        tl_diag_format(&d, msg, sizeof msg);
        print_error("inline config: %s\n", msg);
    }
    assert_int_equal(st, TL_OK);
    return c;
}

/* ---- event builder ------------------------------------------------------ */
/* Every schema 4.90 field of the id (no RuleName), realistic neutral defaults,
 * then the overrides given as name/value pairs ending with NULL. */

typedef struct evb {
    tl_evfield f[40];
    tl_sysmon_event ev;
} evb;

static const char *default_value(int id, const char *name)
{
    static const struct {
        const char *n, *v;
    } dv[] = {
        {"UtcTime", "2025-01-15 10:00:00.120"},
        {"ProcessGuid", "{1f2e3d4c-8a60-6787-1a00-000000000700}"},
        {"ProcessId", "4120"},
        {"Image", "C:\\Windows\\System32\\notepad.exe"},
        {"FileVersion", "10.0.19041.1 (WinBuild.160101.0800)"},
        {"Description", "Notepad"},
        {"Product", "Microsoft\xc2\xae Windows\xc2\xae Operating System"},
        {"Company", "Microsoft Corporation"},
        {"OriginalFileName", "NOTEPAD.EXE"},
        {"CommandLine", "notepad.exe"},
        {"CurrentDirectory", "C:\\Users\\alice\\"},
        {"User", "WS01\\alice"},
        {"LogonGuid", "{1f2e3d4c-8a5f-6787-2c4f-030000000000}"},
        {"LogonId", "0x34f2c"},
        {"TerminalSessionId", "1"},
        {"IntegrityLevel", "Medium"},
        {"Hashes",
         "SHA1=0A1B2C3D4E5F60718293A4B5C6D7E8F901234567,MD5=00112233445566778899AABBCCDDEEFF,"
         "SHA256=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF,"
         "IMPHASH=FFEEDDCCBBAA99887766554433221100"},
        {"ParentProcessGuid", "{1f2e3d4c-8a5f-6787-1500-000000000700}"},
        {"ParentProcessId", "5232"},
        {"ParentImage", "C:\\Windows\\explorer.exe"},
        {"ParentCommandLine", "C:\\Windows\\Explorer.EXE"},
        {"ParentUser", "WS01\\alice"},
        {"ImageLoaded", "C:\\Windows\\System32\\kernel32.dll"},
        {"Signed", "true"},
        {"Signature", "Microsoft Windows"},
        {"SignatureStatus", "Valid"},
        {"TargetFilename", "C:\\Users\\alice\\Documents\\notes.txt"},
        {"CreationUtcTime", "2025-01-15 10:00:00.120"},
        {"EventType", "SetValue"},
        {"TargetObject", "HKU\\S-1-5-21-1-2-3-1001\\Software\\Notepad\\iWindowPosX"},
        {"Details", "DWORD (0x00000001)"},
        {"NewName", "HKU\\S-1-5-21-1-2-3-1001\\Software\\Notepad2"},
    };
    (void)id;
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) {
        if (strcmp(dv[i].n, name) == 0)
            return dv[i].v;
    }
    return "-";
}

static const tl_sysmon_event *mkv(evb *b, int id, va_list ap)
{
    size_t n = 0;
    const char *const *names = tl_sysmon_event_fields(id, &n);
    assert_non_null(names);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "RuleName") == 0)
            continue;
        b->f[k].name = names[i];
        b->f[k].value = default_value(id, names[i]);
        k++;
    }
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (!name)
            break;
        const char *value = va_arg(ap, const char *);
        size_t i;
        for (i = 0; i < k; i++) {
            if (strcmp(b->f[i].name, name) == 0)
                break;
        }
        if (i == k) {
            print_error("event %d has no field %s\n", id, name);
            fail();
        }
        b->f[i].value = value;
    }
    b->ev.id = id;
    b->ev.fields = b->f;
    b->ev.nfields = k;
    return &b->ev;
}

static const tl_sysmon_event *mk(evb *b, int id, ...)
{
    va_list ap;
    va_start(ap, id);
    const tl_sysmon_event *e = mkv(b, id, ap);
    va_end(ap);
    return e;
}

/* Filter and return the verdict. */
static tl_sysmon_verdict run(const tl_sysmon_config *c, const tl_sysmon_event *e)
{
    tl_sysmon_verdict v;
    tl_sysmon_filter(c, e, &v);
    return v;
}

#define assert_logged(c, e, name)                                                                  \
    do {                                                                                           \
        tl_sysmon_verdict v_ = run((c), (e));                                                      \
        if (!v_.logged || strcmp(v_.rule_name, (name)) != 0) {                                     \
            print_error("expected logged as \"%s\", got logged=%d \"%s\": %s\n", (name),           \
                        v_.logged, v_.rule_name, v_.explain);                                      \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_dropped(c, e)                                                                       \
    do {                                                                                           \
        tl_sysmon_verdict v_ = run((c), (e));                                                      \
        if (v_.logged) {                                                                           \
            print_error("expected dropped, got logged \"%s\": %s\n", v_.rule_name, v_.explain);    \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- loading ------------------------------------------------------------ */

static void test_sysmon_loads_reference_configs(void **state)
{
    (void)state;
    if (!file_exists(MODULAR) || !file_exists(SWIFT))
        skip();
    tl_sysmon_config *m = load_file(MODULAR);
    assert_string_equal(tl_sysmon_config_schema(m), "4.90");
    assert_string_equal(tl_sysmon_config_hashes(m), "SHA1,MD5,SHA256,IMPHASH");
    tl_sysmon_config_free(m);
    tl_sysmon_config *s = load_file(SWIFT);
    assert_string_equal(tl_sysmon_config_schema(s), "4.50");
    tl_sysmon_config_free(s);
}

static void test_sysmon_loads_default_config(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_file(DEFAULT_CFG);
    assert_string_equal(tl_sysmon_config_schema(c), "4.90");
    assert_string_equal(tl_sysmon_config_hashes(c), "SHA1,MD5,SHA256,IMPHASH");
    tl_sysmon_config_free(c);
    tl_sysmon_config_free(NULL); /* no-op */
}

static void test_sysmon_loads_utf16_config(void **state)
{
    (void)state;
    /* configs saved by Windows tools are often UTF-16LE with a BOM */
    char *xml = NULL;
    size_t len = 0;
    tl_diag d;
    assert_int_equal(tl_file_read(DEFAULT_CFG, &xml, &len, &d), TL_OK);
    /* drop the UTF-8 declaration: the BOM says what the encoding is */
    const char *body = strstr(xml, "?>");
    assert_non_null(body);
    body += 2;
    len -= (size_t)(body - xml);
    char *w = malloc(2 * len + 2);
    assert_non_null(w);
    w[0] = (char)0xff;
    w[1] = (char)0xfe;
    for (size_t i = 0; i < len; i++) {
        w[2 + 2 * i] = body[i];
        w[3 + 2 * i] = 0;
    }
    tl_sysmon_config *c = NULL;
    assert_int_equal(tl_sysmon_config_load_mem(w, 2 * len + 2, "utf16.xml", &c, &d), TL_OK);
    evb b;
    assert_logged(c, mk(&b, 12, "EventType", "CreateKey", "TargetObject", TREE "\\x", NULL), T1053);
    tl_sysmon_config_free(c);
    free(w);
    tl_free(xml);
}

typedef struct err_case {
    const char *xml;
    int line;
    const char *needle; /* must appear in the message */
} err_case;

static void test_sysmon_config_errors_name_element_and_line(void **state)
{
    (void)state;
    static const err_case cases[] = {
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<RuleGroup groupRelation=\"or\">\n"
         "<ProcessCreate onmatch=\"include\">\n<Foo condition=\"is\">x</Foo>\n</ProcessCreate>\n"
         "</RuleGroup>\n</EventFiltering>\n</Sysmon>\n",
         5, "<Foo>"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<RuleGroup groupRelation=\"or\">\n"
         "<ProcessCreate onmatch=\"include\">\n\n<Image condition=\"starts with\">x</Image>\n"
         "</ProcessCreate>\n</RuleGroup>\n</EventFiltering>\n</Sysmon>\n",
         6, "starts with"},
        /* a field of another event type */
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<RuleGroup groupRelation=\"or\">\n"
         "<ProcessCreate onmatch=\"include\">\n<TargetObject>x</TargetObject>\n"
         "</ProcessCreate>\n</RuleGroup>\n</EventFiltering>\n</Sysmon>\n",
         5, "<TargetObject>"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<ProcessCreated "
         "onmatch=\"include\"/>\n"
         "</EventFiltering>\n</Sysmon>\n",
         3, "<ProcessCreated>"},
        {"<Sysmon schemaversion=\"4.90\">\n<Bogus/>\n</Sysmon>\n", 2, "<Bogus>"},
        /* event elements belong in EventFiltering */
        {"<Sysmon schemaversion=\"4.90\">\n\n<ImageLoad onmatch=\"include\"/>\n</Sysmon>\n", 3,
         "<ImageLoad> in <Sysmon>"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<RuleGroup groupRelation=\"xor\">\n"
         "</RuleGroup>\n</EventFiltering>\n</Sysmon>\n",
         3, "xor"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<FileCreate onmatch=\"maybe\"/>\n"
         "</EventFiltering>\n</Sysmon>\n",
         3, "maybe"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<FileCreate/>\n"
         "</EventFiltering>\n</Sysmon>\n",
         3, "onmatch"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<FileCreate onmatch=\"include\">\n"
         "<Rule>\n<Rule/>\n</Rule>\n</FileCreate>\n</EventFiltering>\n</Sysmon>\n",
         5, "nested"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<FileCreate onmatch=\"include\">\n"
         "<Image colour=\"red\">x</Image>\n</FileCreate>\n</EventFiltering>\n</Sysmon>\n",
         4, "colour"},
        {"<Sysmon>\n</Sysmon>\n", 1, "schemaversion"},
        {"<Sysmon schemaversion=\"four\">\n</Sysmon>\n", 1, "four"},
        {"<Config schemaversion=\"4.90\"/>\n", 1, "<Config>"},
        {"<Sysmon schemaversion=\"4.90\">\n<HashAlgorithms>md5,crc32</HashAlgorithms>\n</Sysmon>\n",
         2, "crc32"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<FileCreate onmatch=\"include\">\n"
         "<Image>a<b/></Image>\n</FileCreate>\n</EventFiltering>\n</Sysmon>\n",
         4, "<b>"},
        /* not XML at all, and broken XML (line of the error) */
        {"this is not xml", 1, "not a valid XML document"},
        {"<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n</Sysmon>\n", 3,
         "not a valid XML document"},
        {"", 1, "Document is empty"},
        {"<!DOCTYPE Sysmon [<!ENTITY a \"b\">]>\n<Sysmon schemaversion=\"4.90\"/>\n", 0, "DOCTYPE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tl_sysmon_config *c = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        tl_status st =
            tl_sysmon_config_load_mem(cases[i].xml, strlen(cases[i].xml), "bad.xml", &c, &d);
        if (st != TL_E_PARSE || !strstr(d.msg, cases[i].needle) || d.line != cases[i].line ||
            strcmp(d.file, "bad.xml") != 0) {
            print_error("case %zu: status %d, %s:%d: %s\n", i, st, d.file, d.line, d.msg);
            fail();
        }
        assert_null(c);
    }
    /* a missing file is an I/O error */
    tl_sysmon_config *c = NULL;
    tl_diag d;
    assert_int_equal(tl_sysmon_config_load("/nonexistent/sysmon.xml", &c, &d), TL_E_IO);
    assert_null(c);
}

static void test_sysmon_config_accepts_options_and_every_event_element(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_str(
        "<Sysmon schemaversion=\"4.90\"><HashAlgorithms>md5,sha256</HashAlgorithms>"
        "<CheckRevocation>False</CheckRevocation><DnsLookup>False</DnsLookup>"
        "<ArchiveDirectory>Sysmon</ArchiveDirectory><CaptureClipboard/>"
        "<CopyOnDeletePE>true</CopyOnDeletePE><EventFiltering>"
        "<RuleGroup name=\"g\" groupRelation=\"or\">"
        "<ProcessCreate onmatch=\"include\"/><FileCreateTime onmatch=\"include\"/>"
        "<NetworkConnect "
        "onmatch=\"include\"><DestinationPort>443</DestinationPort></NetworkConnect>"
        "<ProcessTerminate onmatch=\"include\"/><DriverLoad onmatch=\"include\"/>"
        "<ImageLoad onmatch=\"include\"/><CreateRemoteThread onmatch=\"include\"/>"
        "<RawAccessRead onmatch=\"include\"/>"
        "<ProcessAccess "
        "onmatch=\"include\"><SourceProcessGUID>x</SourceProcessGUID></ProcessAccess>"
        "<FileCreate onmatch=\"include\"/><RegistryEvent onmatch=\"include\"/>"
        "<FileCreateStreamHash onmatch=\"include\"><Contents>x</Contents></FileCreateStreamHash>"
        "<PipeEvent onmatch=\"include\"/><WmiEvent "
        "onmatch=\"include\"><Operation>x</Operation></WmiEvent>"
        "<DnsQuery onmatch=\"include\"/><FileDelete onmatch=\"include\"/>"
        "<ClipboardChange onmatch=\"include\"/><ProcessTampering onmatch=\"include\"/>"
        "<FileDeleteDetected onmatch=\"include\"/><FileBlockExecutable onmatch=\"include\"/>"
        "<FileBlockShredding onmatch=\"include\"/><FileExecutableDetected onmatch=\"include\"/>"
        "</RuleGroup></EventFiltering></Sysmon>");
    assert_string_equal(tl_sysmon_config_hashes(c), "MD5,SHA256");
    tl_sysmon_config_free(c);
}

/* ---- conditions --------------------------------------------------------- */

typedef struct cond_case {
    const char *cond;
    const char *text;
    const char *value;
    int match;
} cond_case;

static void test_sysmon_every_condition_operator(void **state)
{
    (void)state;
    static const cond_case cases[] = {
        {"is", "C:\\Windows\\System32\\cmd.exe", "c:\\windows\\SYSTEM32\\CMD.EXE", 1},
        {"is", "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\cmd.exe2", 0},
        {"is not", "a.exe", "A.EXE", 0},
        {"is not", "a.exe", "b.exe", 1},
        {"is any", "a.exe;B.exe", "b.EXE", 1},
        {"is any", "a.exe;B.exe", "c.exe", 0},
        {"is any", "a.exe;B.exe", "a.exe;b.exe", 0},
        {"contains", "TaskCache", "HKLM\\...\\TASKCACHE\\Tree", 1},
        {"contains", "TaskCache", "HKLM\\Task\\Cache", 0},
        {"excludes", "foo", "bar", 1},
        {"excludes", "foo", "xFOOx", 0},
        {"contains any", "x;TREE", "...\\tree\\a", 1},
        {"contains any", "x;TREE", "...\\tasks\\a", 0},
        {"contains all", "tree;tasks", "\\tree\\a", 0},
        {"contains all", "tree;tasks", "\\TREE\\tasks", 1},
        /* excludes any / excludes all as the CODE does (docs word them the other way) */
        {"excludes any", "a;b", "xyz", 1},
        {"excludes any", "a;b", "xaz", 0},
        {"excludes all", "a;b", "xaz", 1},
        {"excludes all", "a;b", "ab", 0},
        {"excludes all", "a;b", "xyz", 1},
        {"begin with", "C:\\Windows\\", "c:\\windows\\x.exe", 1},
        {"begin with", "C:\\Windows\\", "d:\\windows\\x.exe", 0},
        {"not begin with", "C:\\Windows\\", "d:\\windows\\x.exe", 1},
        {"not begin with", "C:\\Windows\\", "C:\\WINDOWS\\x.exe", 0},
        {"end with", ".EXE", "x.exe", 1},
        {"end with", ".EXE", "x.exe2", 0},
        {"not end with", ".exe", "x.dll", 1},
        {"not end with", ".exe", "X.EXE", 0},
        /* string comparison, not numeric */
        {"less than", "M", "apple", 1},
        {"less than", "m", "Zebra", 0},
        {"less than", "5", "10", 1},
        {"more than", "5", "10", 0},
        {"more than", "m", "Zebra", 1},
        /* image: no backslash -> file name part only; with one -> whole path */
        {"image", "schtasks.exe", "C:\\Windows\\SysWOW64\\SCHTASKS.EXE", 1},
        {"image", "schtasks.exe", "C:\\x\\notschtasks.exe", 0},
        {"image", "schtasks.exe", "schtasks.exe", 1},
        {"image", "C:\\Windows\\System32\\schtasks.exe", "c:\\windows\\system32\\schtasks.exe", 1},
        {"image", "C:\\Windows\\System32\\schtasks.exe", "C:\\Windows\\SysWOW64\\schtasks.exe", 0},
        /* environment expansion at load */
        {"begin with", "%windir%\\System32\\", "C:\\Windows\\System32\\cmd.exe", 1},
        {"is", "%SystemRoot%\\a;%ProgramFiles(x86)%", "C:\\Windows\\a;C:\\Program Files (x86)", 1},
        {"begin with", "%%SystemRoot%%\\system32", "%C:\\Windows%\\system32\\csrss.exe", 1},
        {"is", "%nosuchvar%", "%NOSUCHVAR%", 1},
        /* entities are decoded by the XML parser */
        {"contains", "a &amp; b", "x a & b y", 1},
        /* empty rule text */
        {"is", "", "", 1},
        {"contains", "", "anything", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[1024];
        snprintf(xml, sizeof xml,
                 "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
                 "<ProcessCreate onmatch=\"include\"><CommandLine name=\"hit\" condition=\"%s\">%s"
                 "</CommandLine></ProcessCreate></RuleGroup></EventFiltering></Sysmon>",
                 cases[i].cond, cases[i].text);
        tl_sysmon_config *c = load_str(xml);
        evb b;
        tl_sysmon_verdict v = run(c, mk(&b, 1, "CommandLine", cases[i].value, NULL));
        if (v.logged != cases[i].match) {
            print_error("case %zu: <CommandLine condition=\"%s\">%s vs \"%s\": got %d (%s)\n", i,
                        cases[i].cond, cases[i].text, cases[i].value, v.logged, v.explain);
            fail();
        }
        if (v.logged)
            assert_string_equal(v.rule_name, "hit");
        tl_sysmon_config_free(c);
    }
}

static void test_sysmon_missing_field_never_matches(void **state)
{
    (void)state;
    /* Details exists on 13 only: a negative condition on it still fails on 12 */
    tl_sysmon_config *c = load_str(
        "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
        "<RegistryEvent onmatch=\"include\"><Details name=\"d\" condition=\"is not\">zzz</Details>"
        "</RegistryEvent></RuleGroup></EventFiltering></Sysmon>");
    evb b;
    assert_logged(c, mk(&b, 13, "EventType", "SetValue", NULL), "d");
    assert_dropped(c, mk(&b, 12, "EventType", "CreateKey", NULL));
    assert_dropped(c, mk(&b, 14, "EventType", "RenameKey", NULL));
    /* even when a caller wrongly passes one */
    tl_evfield f12[] = {{"EventType", "CreateKey"}, {"Details", "x"}};
    tl_sysmon_event e12 = {12, f12, 2};
    assert_dropped(c, &e12);
    tl_sysmon_config_free(c);
}

/* ---- evaluation order ----------------------------------------------------- */

static void test_sysmon_exclude_wins_over_include(void **state)
{
    (void)state;
    /* the exclude set comes after the include set in the document and still wins */
    tl_sysmon_config *c =
        load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering>"
                 "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"include\">"
                 "<TargetObject name=\"" T1053 "\" condition=\"begin with\">" TREE "</TargetObject>"
                 "</RegistryEvent></RuleGroup>"
                 "<RuleGroup groupRelation=\"or\"><RegistryEvent onmatch=\"exclude\">"
                 "<EventType condition=\"is\">CreateKey</EventType>"
                 "</RegistryEvent></RuleGroup></EventFiltering></Sysmon>");
    evb b;
    assert_dropped(c, mk(&b, 12, "EventType", "CreateKey", "TargetObject", TREE "\\x", NULL));
    assert_logged(c, mk(&b, 12, "EventType", "DeleteKey", "TargetObject", TREE "\\x", NULL), T1053);
    assert_logged(c, mk(&b, 13, "TargetObject", TREE "\\x\\Index", NULL), T1053);
    assert_logged(c, mk(&b, 14, "EventType", "RenameKey", "TargetObject", TREE "\\x", NULL), T1053);
    /* include + exclude sets and no match: dropped */
    assert_dropped(c, mk(&b, 13, "TargetObject", "HKLM\\SOFTWARE\\Other", NULL));
    tl_sysmon_config_free(c);
}

static void test_sysmon_defaults_one_set_several_sets_manifest(void **state)
{
    (void)state;
    evb b;
    /* exclude-only: everything else logged with "-" */
    tl_sysmon_config *c =
        load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
                 "<ProcessCreate onmatch=\"exclude\"><Image condition=\"image\">noise.exe</Image>"
                 "</ProcessCreate></RuleGroup></EventFiltering></Sysmon>");
    assert_logged(c, mk(&b, 1, NULL), "-");
    assert_dropped(c, mk(&b, 1, "Image", "C:\\x\\NOISE.exe", NULL));
    /* no element: manifest defaults */
    assert_dropped(c, mk(&b, 11, NULL));
    assert_dropped(c, mk(&b, 12, NULL));
    assert_dropped(c, mk(&b, 13, NULL));
    assert_dropped(c, mk(&b, 7, NULL));
    tl_sysmon_config_free(c);

    /* include-only: only matches */
    c = load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
                 "<FileCreate onmatch=\"include\"><TargetFilename condition=\"end with\">.ps1"
                 "</TargetFilename></FileCreate></RuleGroup></EventFiltering></Sysmon>");
    assert_logged(c, mk(&b, 11, "TargetFilename", "C:\\t\\a.PS1", NULL), "-");
    assert_dropped(c, mk(&b, 11, NULL));
    /* ProcessCreate has no element: logged by the manifest default */
    assert_logged(c, mk(&b, 1, NULL), "-");
    tl_sysmon_config_free(c);

    /* empty elements */
    c = load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
                 "<ProcessCreate onmatch=\"include\"/><FileCreate onmatch=\"exclude\"/>"
                 "</RuleGroup></EventFiltering></Sysmon>");
    assert_dropped(c, mk(&b, 1, NULL));
    assert_logged(c, mk(&b, 11, NULL), "-");
    tl_sysmon_config_free(c);

    /* two exclude sets (two RuleGroups) and no match: several sets -> drop */
    c = load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering>"
                 "<RuleGroup groupRelation=\"or\"><FileCreate onmatch=\"exclude\">"
                 "<Image>a</Image></FileCreate></RuleGroup>"
                 "<RuleGroup groupRelation=\"or\"><FileCreate onmatch=\"exclude\">"
                 "<Image>b</Image></FileCreate></RuleGroup></EventFiltering></Sysmon>");
    assert_dropped(c, mk(&b, 11, NULL));
    tl_sysmon_config_free(c);
}

static void test_sysmon_group_relation_and_or(void **state)
{
    (void)state;
    evb b;
    static const char and_xml[] =
        "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup name=\"G\" "
        "groupRelation=\"and\">"
        "<ProcessCreate onmatch=\"include\"><Image condition=\"image\">a.exe</Image>"
        "<Image condition=\"image\">b.exe</Image><User condition=\"is\">WS01\\bob</User>"
        "</ProcessCreate></RuleGroup></EventFiltering></Sysmon>";
    tl_sysmon_config *c = load_str(and_xml);
    /* same field ORed, different fields ANDed */
    assert_logged(c, mk(&b, 1, "Image", "C:\\a.exe", "User", "WS01\\bob", NULL), "G");
    assert_logged(c, mk(&b, 1, "Image", "C:\\b.exe", "User", "ws01\\BOB", NULL), "G");
    assert_dropped(c, mk(&b, 1, "Image", "C:\\c.exe", "User", "WS01\\bob", NULL));
    assert_dropped(c, mk(&b, 1, "Image", "C:\\a.exe", "User", "WS01\\alice", NULL));
    tl_sysmon_config_free(c);

    c = load_str(
        "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
        "<ProcessCreate onmatch=\"include\"><Image name=\"first\" condition=\"image\">a.exe"
        "</Image><User name=\"second\" condition=\"is\">WS01\\bob</User>"
        "</ProcessCreate></RuleGroup></EventFiltering></Sysmon>");
    /* or: first match in document order gives the name */
    assert_logged(c, mk(&b, 1, "Image", "C:\\a.exe", "User", "WS01\\bob", NULL), "first");
    assert_logged(c, mk(&b, 1, "Image", "C:\\c.exe", "User", "WS01\\bob", NULL), "second");
    assert_dropped(c, mk(&b, 1, "Image", "C:\\c.exe", NULL));
    tl_sysmon_config_free(c);

    /* groupRelation missing: "and" (schema > 4.1) */
    c = load_str("<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup>"
                 "<ProcessCreate onmatch=\"include\"><Image condition=\"image\">a.exe</Image>"
                 "<User condition=\"is\">WS01\\bob</User></ProcessCreate></RuleGroup>"
                 "</EventFiltering></Sysmon>");
    assert_dropped(c, mk(&b, 1, "Image", "C:\\a.exe", NULL));
    assert_logged(c, mk(&b, 1, "Image", "C:\\a.exe", "User", "WS01\\bob", NULL), "-");
    tl_sysmon_config_free(c);

    /* elements directly under EventFiltering: AND after 4.1, OR up to 4.1 */
    static const char direct[] =
        "<Sysmon schemaversion=\"%s\"><EventFiltering><ProcessCreate onmatch=\"include\">"
        "<Image condition=\"image\">a.exe</Image><User condition=\"is\">WS01\\bob</User>"
        "</ProcessCreate></EventFiltering></Sysmon>";
    char xml[512];
    snprintf(xml, sizeof xml, direct, "4.22");
    c = load_str(xml);
    assert_dropped(c, mk(&b, 1, "Image", "C:\\a.exe", NULL));
    tl_sysmon_config_free(c);
    snprintf(xml, sizeof xml, direct, "4.1");
    c = load_str(xml);
    assert_logged(c, mk(&b, 1, "Image", "C:\\a.exe", NULL), "-");
    tl_sysmon_config_free(c);
}

static void test_sysmon_rule_aggregates(void **state)
{
    (void)state;
    evb b;
    tl_sysmon_config *c = load_str(
        "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
        "<RegistryEvent onmatch=\"include\">"
        "<Rule name=\"both\" groupRelation=\"and\"><Image condition=\"image\">reg.exe</Image>"
        "<TargetObject condition=\"begin with\">" TREE "</TargetObject>"
        "<TargetObject condition=\"end with\">\\SD</TargetObject></Rule>"
        "<Rule name=\"either\" groupRelation=\"or\"><Image condition=\"image\">evil.exe</Image>"
        "<Details condition=\"is\">Binary Data</Details></Rule>"
        "</RegistryEvent></RuleGroup></EventFiltering></Sysmon>");
    /* and aggregate: same-field filters are ANDed inside a <Rule> */
    assert_logged(c,
                  mk(&b, 12, "EventType", "DeleteValue", "Image", "C:\\Windows\\system32\\reg.exe",
                     "TargetObject", TREE "\\WinUpdate\\SD", NULL),
                  "both");
    assert_dropped(c,
                   mk(&b, 12, "EventType", "DeleteValue", "Image", "C:\\Windows\\system32\\reg.exe",
                      "TargetObject", TREE "\\WinUpdate\\Id", NULL));
    /* or aggregate */
    assert_logged(c, mk(&b, 13, "Details", "Binary Data", NULL), "either");
    assert_logged(c, mk(&b, 12, "Image", "C:\\evil.exe", NULL), "either");
    assert_dropped(c, mk(&b, 12, NULL));
    tl_sysmon_config_free(c);
}

static void test_sysmon_rulename_inheritance_and_stale_name(void **state)
{
    (void)state;
    evb b;
    tl_sysmon_config *c = load_str(
        "<Sysmon schemaversion=\"4.90\"><EventFiltering>"
        "<RuleGroup name=\"group\" groupRelation=\"or\"><ProcessCreate onmatch=\"include\">"
        "<Image name=\"own\" condition=\"image\">own.exe</Image>"
        "<Rule name=\"rule\" groupRelation=\"and\"><Image condition=\"image\">rule.exe</Image>"
        "</Rule>"
        "<Image condition=\"image\">group.exe</Image>"
        "<Rule name=\"rule2\" groupRelation=\"and\"><Image name=\"f1\" condition=\"image\">two.exe"
        "</Image><User condition=\"is\">WS01\\bob</User></Rule>"
        "</ProcessCreate></RuleGroup>"
        "<RuleGroup groupRelation=\"or\"><FileCreate onmatch=\"include\">"
        "<Rule name=\"stale\" groupRelation=\"and\"><Image condition=\"image\">x.exe</Image>"
        "<User condition=\"is\">nobody</User></Rule>"
        "<TargetFilename condition=\"end with\">.lnk</TargetFilename>"
        "</FileCreate></RuleGroup></EventFiltering></Sysmon>");
    assert_logged(c, mk(&b, 1, "Image", "C:\\own.exe", NULL), "own");
    assert_logged(c, mk(&b, 1, "Image", "C:\\rule.exe", NULL), "rule");
    assert_logged(c, mk(&b, 1, "Image", "C:\\group.exe", NULL), "group");
    /* and aggregate: the last matched filter's (inherited) name is kept */
    assert_logged(c, mk(&b, 1, "Image", "C:\\two.exe", "User", "WS01\\bob", NULL), "rule2");
    /* unnamed everywhere -> "-"; a half-matched aggregate leaves its name behind */
    assert_logged(c, mk(&b, 11, "Image", "C:\\y.exe", "TargetFilename", "C:\\a.lnk", NULL), "-");
    assert_logged(c, mk(&b, 11, "Image", "C:\\x.exe", "TargetFilename", "C:\\a.lnk", NULL),
                  "stale");
    tl_sysmon_config_free(c);
}

static void test_sysmon_long_values_and_odd_input(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_str(
        "<Sysmon schemaversion=\"4.90\"><EventFiltering><RuleGroup groupRelation=\"or\">"
        "<ProcessCreate onmatch=\"include\"><CommandLine name=\"tail\" condition=\"end with\">"
        "-EncodedCommand ZQBjAGgAbwA=</CommandLine></ProcessCreate></RuleGroup>"
        "</EventFiltering></Sysmon>");
    /* 40 KB of command line: more than the filter's stack buffer */
    size_t n = 40000;
    char *cmd = malloc(n + 64);
    assert_non_null(cmd);
    memset(cmd, 'A', n);
    memcpy(cmd + n, " -encodedcommand ZQBjAGgAbwA=", 30);
    evb b;
    assert_logged(c, mk(&b, 1, "CommandLine", cmd, NULL), "tail");
    /* the one heap buffer failing: dropped, and the explanation says why */
    tl_alloc_fail_at(1);
    tl_sysmon_verdict v = run(c, mk(&b, 1, "CommandLine", cmd, NULL));
    tl_alloc_fail_at(0);
    assert_false(v.logged);
    assert_string_equal(v.explain, "dropped: out of memory");
    free(cmd);
    /* NULL config, unknown id, unfilterable ids, NULL field values */
    v = run(NULL, mk(&b, 1, NULL));
    assert_false(v.logged);
    assert_string_equal(v.rule_name, "-");
    tl_sysmon_event odd = {99, NULL, 0};
    v = run(c, &odd);
    assert_false(v.logged);
    assert_non_null(strstr(v.explain, "not a Sysmon event id"));
    tl_evfield f4[] = {{"UtcTime", "2025-01-15 10:00:00.120"}, {"State", "Started"}};
    tl_sysmon_event e4 = {4, f4, 2};
    v = run(c, &e4);
    assert_true(v.logged);
    mk(&b, 1, NULL);
    b.f[9].value = NULL; /* CommandLine */
    assert_dropped(c, &b.ev);
    tl_sysmon_config_free(c);
}

static void test_sysmon_explain_names_the_rule(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_file(DEFAULT_CFG);
    evb b;
    tl_sysmon_verdict v = run(c, mk(&b, 12, "EventType", "CreateKey", "Image", SVCHOST,
                                    "TargetObject", TREE "\\test-task", NULL));
    assert_true(v.logged);
    assert_non_null(
        strstr(v.explain, "logged by include rule <TargetObject condition=\"begin with\">"));
    assert_non_null(strstr(v.explain, "TaskCache\\Tree</TargetObject>"));
    assert_non_null(strstr(v.explain, "sysmonconfig.xml line "));
    assert_non_null(strstr(v.explain, "<RegistryEvent onmatch=\"include\">"));
    assert_non_null(strstr(v.explain, "RuleGroup"));
    assert_non_null(strstr(v.explain, "; RuleName " T1053));
    v = run(c, mk(&b, 13, "Image", SVCHOST, "TargetObject", TASKS "\\{A}\\Actions", NULL));
    assert_false(v.logged);
    assert_non_null(strstr(v.explain, "dropped by exclude rule"));
    assert_non_null(strstr(v.explain, "<Rule name=\"\" groupRelation=\"and\">"));
    v = run(c, mk(&b, 11, "TargetFilename", "C:\\Users\\x.txt", NULL));
    assert_false(v.logged);
    assert_non_null(strstr(v.explain, "only rule set"));
    tl_sysmon_config_free(c);
}

/* Issue 13 item 8: the explanation names the config file whole (it was cut at
 * 60 bytes, so `tasklab explain` showed ".../sysmon-modular_sysmonco") and the
 * RuleGroup name whole; a cut elsewhere is marked with an ellipsis. */
static void test_sysmon_explain_keeps_whole_paths(void **state)
{
    (void)state;
    char path[400];
    int n = snprintf(path, sizeof path, "/a/very/long/folder/name/%0300d/sysmon-modular.xml", 7);
    assert_true(n > 0 && (size_t)n < sizeof path);
    char group[200];
    memset(group, 'g', sizeof group - 1);
    group[sizeof group - 1] = '\0';
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<Sysmon schemaversion=\"4.90\"><EventFiltering>\n"
             "<RuleGroup name=\"%s\" groupRelation=\"or\">\n"
             "<RegistryEvent onmatch=\"exclude\">\n"
             "<EventType condition=\"is\">CreateKey</EventType>\n"
             "</RegistryEvent></RuleGroup></EventFiltering></Sysmon>\n",
             group);
    tl_sysmon_config *c = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_sysmon_config_load_mem(xml, strlen(xml), path, &c, &d), TL_OK);
    evb b;
    tl_sysmon_verdict v = run(c, mk(&b, 12, "EventType", "CreateKey", "Image", SVCHOST,
                                    "TargetObject", TREE "\\test-task", NULL));
    assert_false(v.logged);
    char want[600];
    snprintf(want, sizeof want, "(%s line 4)", path);
    if (!strstr(v.explain, want))
        fail_msg("config path cut: %s", v.explain);
    snprintf(want, sizeof want, "in RuleGroup name=\"%s\" groupRelation=\"or\" (line 2)", group);
    if (!strstr(v.explain, want))
        fail_msg("RuleGroup name cut: %s", v.explain);
    tl_sysmon_config_free(c);
}

/* ---- windows.md §3 outcome table ---------------------------------------- */

typedef struct row {
    const char *what;
    int id;
    const char *kv[24];  /* name, value, ..., NULL */
    const char *modular; /* NULL = dropped, else RuleName */
    const char *swift;
} row;

#define SCHTASKS_CMD                                                                               \
    "schtasks  /create /tn WinUpdate /tr \"C:\\Users\\Public\\update.exe\" /sc onlogon /ru "       \
    "System /f"

static const row rows[] = {
    {"1 schtasks.exe /create",
     1,
     {"Image", "C:\\Windows\\System32\\schtasks.exe", "FileVersion",
      "10.0.19041.1503 (WinBuild.160101.0800)", "Description", "Task Scheduler Configuration Tool",
      "OriginalFileName", "schtasks.exe", "CommandLine", SCHTASKS_CMD, "CurrentDirectory",
      "C:\\Windows\\system32\\", "IntegrityLevel", "High", "ParentImage",
      "C:\\Windows\\System32\\cmd.exe", "ParentCommandLine", "\"C:\\Windows\\system32\\cmd.exe\" ",
      NULL},
     T1053_005,
     "-"},
    {"1 powershell.exe Register-ScheduledTask",
     1,
     {"Image", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "Description",
      "Windows PowerShell", "OriginalFileName", "PowerShell.EXE", "CommandLine",
      "powershell.exe -NoProfile -Command \"Register-ScheduledTask -TaskName WinUpdate -Action "
      "(New-ScheduledTaskAction -Execute 'C:\\Users\\Public\\update.exe') -Trigger "
      "(New-ScheduledTaskTrigger -AtLogOn) -User SYSTEM\"",
      "IntegrityLevel", "High", "ParentImage", "C:\\Windows\\System32\\cmd.exe",
      "ParentCommandLine", "\"C:\\Windows\\system32\\cmd.exe\" ", NULL},
     "technique_id=T1059.001,technique_name=PowerShell",
     "-"},
    {"1 cmd.exe child of the Schedule svchost",
     1,
     {"Image", "C:\\Windows\\System32\\cmd.exe", "Description", "Windows Command Processor",
      "OriginalFileName", "Cmd.Exe", "CommandLine",
      "C:\\Windows\\system32\\cmd.exe /c C:\\Users\\Public\\update.bat", "CurrentDirectory",
      "C:\\Windows\\system32\\", "User", "NT AUTHORITY\\SYSTEM", "IntegrityLevel", "System",
      "ParentImage", "C:\\Windows\\System32\\svchost.exe", "ParentCommandLine",
      "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", NULL},
     "technique_id=T1059.003,technique_name=Windows Command Shell",
     "-"},
    {"1 MicrosoftEdgeUpdate.exe child of svchost",
     1,
     {"Image", "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
      "Description", "Microsoft Edge Update", "Product", "Microsoft Edge Update",
      "OriginalFileName", "MicrosoftEdgeUpdate.exe", "CommandLine",
      "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /c", "User",
      "NT AUTHORITY\\SYSTEM", "IntegrityLevel", "System", "ParentImage",
      "C:\\Windows\\System32\\svchost.exe", "ParentCommandLine",
      "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", NULL},
     NULL,
     "-"},
    {"7 schtasks loads taskschd.dll",
     7,
     {"Image", "C:\\Windows\\System32\\schtasks.exe", "ImageLoaded",
      "C:\\Windows\\System32\\taskschd.dll", "Description", "Task Scheduler COM API",
      "OriginalFileName", "taskschd.dll", NULL},
     T1053,
     NULL},
    {"11 svchost writes the task file",
     11,
     {"Image", SVCHOST, "TargetFilename", "C:\\Windows\\System32\\Tasks\\WinUpdate", "User",
      "NT AUTHORITY\\SYSTEM", NULL},
     "-",
     "T1053"},
    {"11 SvcRestartTask file",
     11,
     {"Image", SVCHOST, "TargetFilename",
      "C:"
      "\\Windows\\System32\\Tasks\\Microsoft\\Windows\\SoftwareProtectionPlatform\\SvcRestartTask",
      "User", "NT AUTHORITY\\SYSTEM", NULL},
     NULL,
     "T1053"},
    {"12 CreateKey Tree\\WinUpdate",
     12,
     {"EventType", "CreateKey", "Image", SVCHOST, "TargetObject", TREE "\\WinUpdate", "User",
      "NT AUTHORITY\\SYSTEM", NULL},
     NULL,
     NULL},
    {"13 SetValue Tree\\WinUpdate\\Id",
     13,
     {"Image", SVCHOST, "TargetObject", TREE "\\WinUpdate\\Id", "Details",
      "{0F5E3C1A-9B2D-4E7F-8A6C-1D2E3F4A5B6C}", "User", "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"13 SetValue Tree\\WinUpdate\\Index",
     13,
     {"Image", SVCHOST, "TargetObject", TREE "\\WinUpdate\\Index", "Details", "DWORD (0x00000003)",
      "User", "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"13 SetValue Tree\\WinUpdate\\SD",
     13,
     {"Image", SVCHOST, "TargetObject", TREE "\\WinUpdate\\SD", "Details", "Binary Data", "User",
      "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"13 SetValue Tasks\\{GUID}\\Actions by svchost",
     13,
     {"Image", SVCHOST, "TargetObject", TASKS "\\{0F5E3C1A-9B2D-4E7F-8A6C-1D2E3F4A5B6C}\\Actions",
      "Details", "Binary Data", "User", "NT AUTHORITY\\SYSTEM", NULL},
     NULL,
     NULL},
    {"13 SetValue Tasks\\{GUID}\\Path by svchost",
     13,
     {"Image", SVCHOST, "TargetObject", TASKS "\\{0F5E3C1A-9B2D-4E7F-8A6C-1D2E3F4A5B6C}\\Path",
      "Details", "\\WinUpdate", "User", "NT AUTHORITY\\SYSTEM", NULL},
     NULL,
     NULL},
    {"13 SetValue Tasks\\{GUID}\\Actions by a GhostTask-like writer",
     13,
     {"Image", "C:\\Users\\Public\\GhostTask.exe", "TargetObject",
      TASKS "\\{0F5E3C1A-9B2D-4E7F-8A6C-1D2E3F4A5B6C}\\Actions", "Details", "Binary Data", "User",
      "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"12 DeleteValue Tree\\WinUpdate\\SD (Tarrask)",
     12,
     {"EventType", "DeleteValue", "Image", "C:\\Windows\\system32\\reg.exe", "TargetObject",
      TREE "\\WinUpdate\\SD", "User", "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"12 DeleteKey Tree\\WinUpdate",
     12,
     {"EventType", "DeleteKey", "Image", SVCHOST, "TargetObject", TREE "\\WinUpdate", "User",
      "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
    {"13 SetValue Tree\\WinUpdate\\Index = 0 by reg.exe",
     13,
     {"Image", "C:\\Windows\\system32\\reg.exe", "TargetObject", TREE "\\WinUpdate\\Index",
      "Details", "DWORD (0x00000000)", "User", "NT AUTHORITY\\SYSTEM", NULL},
     T1053,
     NULL},
};

static const tl_sysmon_event *row_event(evb *b, const row *r)
{
    const tl_sysmon_event *e = mk(b, r->id, NULL);
    for (size_t i = 0; r->kv[i]; i += 2) {
        size_t k;
        for (k = 0; k < b->ev.nfields; k++) {
            if (strcmp(b->f[k].name, r->kv[i]) == 0)
                break;
        }
        assert_true(k < b->ev.nfields);
        b->f[k].value = r->kv[i + 1];
    }
    return e;
}

static void check_table(const char *path, int modular)
{
    tl_sysmon_config *c = load_file(path);
    int bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        evb b;
        tl_sysmon_verdict v = run(c, row_event(&b, &rows[i]));
        const char *want = modular ? rows[i].modular : rows[i].swift;
        int ok = want ? (v.logged && strcmp(v.rule_name, want) == 0) : !v.logged;
        if (!ok) {
            print_error("%s row \"%s\": want %s%s%s, got %s \"%s\"\n  %s\n",
                        modular ? "sysmon-modular" : "SwiftOnSecurity", rows[i].what,
                        want ? "logged \"" : "dropped", want ? want : "", want ? "\"" : "",
                        v.logged ? "logged" : "dropped", v.rule_name, v.explain);
            bad++;
        }
    }
    tl_sysmon_config_free(c);
    assert_int_equal(bad, 0);
}

static void test_sysmon_outcome_table_sysmon_modular(void **state)
{
    (void)state;
    if (!file_exists(MODULAR))
        skip();
    check_table(MODULAR, 1);
}

static void test_sysmon_outcome_table_swiftonsecurity(void **state)
{
    (void)state;
    if (!file_exists(SWIFT))
        skip();
    check_table(SWIFT, 0);
}

static void test_sysmon_default_config_logs_the_blog_setup(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_file(DEFAULT_CFG);
    evb b;
    /* the seed's Event 12 */
    assert_logged(c,
                  mk(&b, 12, "EventType", "CreateKey", "Image", SVCHOST, "TargetObject",
                     TREE "\\test-task", "User", "NT AUTHORITY\\SYSTEM", NULL),
                  T1053);
    /* value sets and deletes under Tree */
    assert_logged(c, mk(&b, 13, "Image", SVCHOST, "TargetObject", TREE "\\test-task\\Index", NULL),
                  T1053);
    assert_logged(
        c, mk(&b, 12, "EventType", "DeleteValue", "TargetObject", TREE "\\test-task\\SD", NULL),
        T1053);
    assert_logged(c, mk(&b, 12, "EventType", "DeleteKey", "TargetObject", TREE "\\test-task", NULL),
                  T1053);
    /* the Schedule service's own Tasks\{GUID} writes are excluded, other writers are not */
    assert_dropped(c, mk(&b, 13, "Image", SVCHOST, "TargetObject", TASKS "\\{A}\\Actions", NULL));
    assert_logged(c,
                  mk(&b, 13, "Image", "C:\\Users\\Public\\g.exe", "TargetObject",
                     TASKS "\\{A}\\Actions", NULL),
                  T1053);
    assert_dropped(c, mk(&b, 13, "TargetObject", "HKLM\\SOFTWARE\\Other\\x", NULL));
    /* schtasks.exe, 32-bit path too */
    assert_logged(c,
                  mk(&b, 1, "Image", "C:\\Windows\\System32\\schtasks.exe", "OriginalFileName",
                     "schtasks.exe", NULL),
                  T1053_005);
    assert_logged(
        c, mk(&b, 1, "Image", "C:\\Windows\\SysWOW64\\schtasks.exe", "OriginalFileName", "-", NULL),
        T1053_005);
    assert_dropped(c, mk(&b, 1, NULL));
    /* taskschd.dll and the task file */
    assert_logged(c,
                  mk(&b, 7, "ImageLoaded", "C:\\Windows\\System32\\taskschd.dll",
                     "OriginalFileName", "taskschd.dll", NULL),
                  T1053);
    assert_dropped(c, mk(&b, 7, NULL));
    assert_logged(c,
                  mk(&b, 11, "Image", SVCHOST, "TargetFilename",
                     "C:\\Windows\\System32\\Tasks\\test-task", NULL),
                  T1053_005);
    assert_dropped(c, mk(&b, 11, NULL));
    /* unused types log nothing */
    assert_dropped(c, mk(&b, 5, NULL));
    tl_sysmon_config_free(c);
}

/* ---- differential test against a naive evaluator ------------------------ */

static void lower_into(char *out, size_t outsz, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < outsz; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    out[i] = '\0';
}

static const char *naive_value(const tl_sysmon_event *e, const char *field)
{
    for (size_t i = 0; i < e->nfields; i++) {
        if (tl_strcasecmp(e->fields[i].name, field) == 0)
            return e->fields[i].value;
    }
    return NULL;
}

/* ';'-separated items of t (empty ones skipped), one by one */
static int naive_items(const char *t, char items[][256], int max)
{
    int n = 0;
    const char *p = t;
    while (n < max) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && len < 256) {
            memcpy(items[n], p, len);
            items[n][len] = '\0';
            n++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

static int naive_filter(const tl_sm_filter *f, const tl_sysmon_event *e)
{
    const char *raw = naive_value(e, tl_sm_field_name(f->field));
    if (!raw || tl_sm_evtype_get(e->id) == NULL)
        return 0;
    /* a field the id lacks does not exist even if the caller passed it */
    size_t nf;
    const char *const *names = tl_sysmon_event_fields(e->id, &nf);
    int known = 0;
    for (size_t i = 0; i < nf; i++)
        known |= strcmp(names[i], tl_sm_field_name(f->field)) == 0;
    if (!known)
        return 0;
    static char v[4096], d[4096];
    static char items[64][256];
    lower_into(v, sizeof v, raw);
    lower_into(d, sizeof d, f->text);
    size_t vl = strlen(v), dl = strlen(d);
    int n, i;
    switch (f->cond) {
    case TL_SM_IS:
        return strcmp(v, d) == 0;
    case TL_SM_IS_NOT:
        return strcmp(v, d) != 0;
    case TL_SM_IS_ANY:
        n = naive_items(d, items, 64);
        for (i = 0; i < n; i++)
            if (strcmp(v, items[i]) == 0)
                return 1;
        return 0;
    case TL_SM_CONTAINS:
        return strstr(v, d) != NULL;
    case TL_SM_EXCLUDES:
        return strstr(v, d) == NULL;
    case TL_SM_CONTAINS_ANY:
        n = naive_items(d, items, 64);
        for (i = 0; i < n; i++)
            if (strstr(v, items[i]))
                return 1;
        return 0;
    case TL_SM_CONTAINS_ALL:
        n = naive_items(d, items, 64);
        for (i = 0; i < n; i++)
            if (!strstr(v, items[i]))
                return 0;
        return n > 0;
    case TL_SM_EXCLUDES_ANY:
        n = naive_items(d, items, 64);
        for (i = 0; i < n; i++)
            if (strstr(v, items[i]))
                return 0;
        return 1;
    case TL_SM_EXCLUDES_ALL:
        n = naive_items(d, items, 64);
        for (i = 0; i < n; i++)
            if (!strstr(v, items[i]))
                return 1;
        return 0;
    case TL_SM_BEGIN_WITH:
        return strncmp(v, d, dl) == 0;
    case TL_SM_NOT_BEGIN_WITH:
        return strncmp(v, d, dl) != 0;
    case TL_SM_END_WITH:
        return vl >= dl && strcmp(v + vl - dl, d) == 0;
    case TL_SM_NOT_END_WITH:
        return !(vl >= dl && strcmp(v + vl - dl, d) == 0);
    case TL_SM_LESS_THAN:
        return strcmp(v, d) < 0;
    case TL_SM_MORE_THAN:
        return strcmp(v, d) > 0;
    case TL_SM_IMAGE:
        if (!strchr(d, '\\')) {
            const char *t = strrchr(v, '\\');
            return strcmp(t ? t + 1 : v, d) == 0;
        }
        return strcmp(v, d) == 0;
    }
    return 0;
}

typedef struct naive_ctx {
    const char *name;
} naive_ctx;

static int naive_item(const tl_sm_set *s, const tl_sm_item *it, const tl_sysmon_event *e,
                      naive_ctx *n)
{
    const tl_sm_filter *f = &s->filters[it->first];
    if (it->kind == TL_SM_ITEM_FILTER || it->relation == TL_SM_REL_OR) {
        for (uint32_t i = 0; i < it->count; i++) {
            if (naive_filter(&f[i], e)) {
                if (f[i].name)
                    n->name = f[i].name;
                return 1;
            }
        }
        return 0;
    }
    for (uint32_t i = 0; i < it->count; i++) {
        if (!naive_filter(&f[i], e))
            return 0;
        if (f[i].name)
            n->name = f[i].name;
    }
    return it->count > 0;
}

static int naive_set(const tl_sm_set *s, const tl_sysmon_event *e, naive_ctx *n)
{
    if (s->relation == TL_SM_REL_OR) {
        for (size_t i = 0; i < s->nitems; i++)
            if (naive_item(s, &s->items[i], e, n))
                return 1;
        return 0;
    }
    /* and: conjuncts in order of first appearance; plain filters of one field share one */
    int done[512] = {0};
    int any = 0;
    for (size_t i = 0; i < s->nitems && i < 512; i++) {
        if (done[i])
            continue;
        any = 1;
        int ok = 0;
        for (size_t j = i; j < s->nitems && j < 512; j++) {
            int same =
                j == i ||
                (s->items[i].kind == TL_SM_ITEM_FILTER && s->items[j].kind == TL_SM_ITEM_FILTER &&
                 s->filters[s->items[i].first].field == s->filters[s->items[j].first].field);
            if (!same)
                continue;
            done[j] = 1;
            if (!ok)
                ok = naive_item(s, &s->items[j], e, n);
        }
        if (!ok)
            return 0;
    }
    return any;
}

static tl_sysmon_verdict naive_verdict(const tl_sysmon_config *c, const tl_sysmon_event *e)
{
    tl_sysmon_verdict v;
    memset(&v, 0, sizeof v);
    v.rule_name = "-";
    const tl_sm_evtype *t = tl_sm_evtype_get(e->id);
    size_t ne = 0, ni = 0;
    for (size_t i = 0; i < c->nsets; i++) {
        if (c->sets[i]->kind == t->kind) {
            ne += c->sets[i]->onmatch == TL_SM_EXCLUDE;
            ni += c->sets[i]->onmatch == TL_SM_INCLUDE;
        }
    }
    if (ne + ni == 0) {
        v.logged = tl_sm_kinds[t->kind].default_log;
        return v;
    }
    naive_ctx n = {NULL};
    for (int pass = 0; pass < 2; pass++) {
        int want = pass == 0 ? TL_SM_EXCLUDE : TL_SM_INCLUDE;
        for (size_t i = 0; i < c->nsets; i++) {
            const tl_sm_set *s = c->sets[i];
            if (s->kind != t->kind || s->onmatch != want)
                continue;
            if (naive_set(s, e, &n)) {
                v.logged = want == TL_SM_INCLUDE;
                v.rule_name = v.logged && n.name ? n.name : "-";
                return v;
            }
        }
    }
    if (ne + ni == 1)
        v.logged = ne == 1;
    return v;
}

/* Random events whose values come from the config's own rule texts. */
static void random_event(const tl_sysmon_config *c, tl_rng *r, evb *b, int id, char store[][512])
{
    mk(b, id, NULL);
    const tl_sm_evtype *t = tl_sm_evtype_get(id);
    for (size_t i = 0; i < b->ev.nfields; i++) {
        if (tl_rng_below(r, 3) == 0)
            continue; /* keep the neutral default */
        /* pick a filter on this field */
        const tl_sm_filter *pick = NULL;
        size_t seen = 0;
        int fid = tl_sm_field_id(b->f[i].name);
        for (size_t k = 0; k < c->nsets; k++) {
            const tl_sm_set *s = c->sets[k];
            if (s->kind != t->kind)
                continue;
            for (size_t j = 0; j < s->nfilters; j++) {
                if (s->filters[j].field == fid && tl_rng_below(r, ++seen) == 0)
                    pick = &s->filters[j];
            }
        }
        if (!pick)
            continue;
        const char *txt = pick->text;
        char item[256];
        if (pick->nitems && tl_rng_below(r, 2)) {
            const tl_sm_str *it = &pick->items[tl_rng_below(r, pick->nitems)];
            size_t l = it->len < 255 ? it->len : 255;
            memcpy(item, it->s, l);
            item[l] = '\0';
            txt = item;
        }
        static const char *const pre[] = {"", "", "C:\\Windows\\System32\\", "x", "\\"};
        static const char *const suf[] = {"", "", ".exe", "\\y", " /c"};
        char *o = store[i];
        snprintf(o, 512, "%s%s%s", pre[tl_rng_below(r, 5)], txt, suf[tl_rng_below(r, 5)]);
        for (char *p = o; *p; p++) /* random case */
            if (*p >= 'a' && *p <= 'z' && tl_rng_below(r, 2))
                *p = (char)(*p - 32);
        b->f[i].value = o;
    }
}

/* The memo (sysmon_int.h) gives tl_sysmon_filter's verdict, explanation included: for
 * the event itself (kept or recomputed), and for a copy whose fields no set of the id
 * references were changed (a hit on the same key). */
static int memo_agrees(tl_sm_memo *m, const tl_sysmon_config *c, evb *b,
                       const tl_sysmon_verdict *want)
{
    int bad = 0;
    for (int pass = 0; pass < 3; pass++) {
        evb v = *b;
        v.ev.fields = v.f;
        if (pass == 2 && b->ev.id < TL_SM_MAX_ID) {
            for (size_t i = 0; i < v.ev.nfields; i++) {
                int fid = tl_sm_field_id(v.f[i].name), refd = 0;
                for (size_t k = 0; k < c->nrefs[b->ev.id]; k++)
                    refd |= c->refs[b->ev.id][k].field == fid;
                if (!refd)
                    v.f[i].value = "{changed-unreferenced-value}";
            }
        }
        tl_sm_result got;
        assert_int_equal(tl_sm_memo_filter(m, &v.ev, &got), TL_OK);
        if (got.logged != want->logged || strcmp(got.rule_name, want->rule_name) != 0 ||
            strcmp(got.explain, want->explain) != 0) {
            print_error("memo pass %d id %d: %d \"%s\" %s; filter %d \"%s\" %s\n", pass,
                        b->ev.id, got.logged, got.rule_name, got.explain, want->logged,
                        want->rule_name, want->explain);
            bad++;
        }
    }
    return bad;
}

static void differential(const char *path)
{
    tl_sysmon_config *c = load_file(path);
    tl_sm_memo *m = tl_sm_memo_new(c);
    assert_non_null(m);
    tl_rng r;
    tl_rng_seed(&r, 20250115);
    static const int ids[] = {1, 3, 7, 8, 10, 11, 12, 13, 14, 15, 17, 22, 23};
    static char store[40][512];
    int logged = 0, named = 0, bad = 0;
    for (int n = 0; n < 20000 && bad < 5; n++) {
        evb b;
        int id = ids[tl_rng_below(&r, sizeof ids / sizeof ids[0])];
        random_event(c, &r, &b, id, store);
        tl_sysmon_verdict fast = run(c, &b.ev);
        tl_sysmon_verdict slow = naive_verdict(c, &b.ev);
        bad += memo_agrees(m, c, &b, &fast);
        logged += fast.logged;
        named += fast.logged && strcmp(fast.rule_name, "-") != 0;
        if (fast.logged != slow.logged || strcmp(fast.rule_name, slow.rule_name) != 0) {
            print_error("event %d id %d: filter %d \"%s\", naive %d \"%s\" (%s)\n", n, id,
                        fast.logged, fast.rule_name, slow.logged, slow.rule_name, fast.explain);
            bad++;
        }
    }
    tl_sm_memo_free(m);
    tl_sysmon_config_free(c);
    assert_int_equal(bad, 0);
    /* the generator does reach the rules */
    if (logged < 1000 || named < 200) {
        print_error("%s: only %d logged, %d named\n", path, logged, named);
        fail();
    }
}

static void test_sysmon_filter_matches_naive_evaluator(void **state)
{
    (void)state;
    differential(DEFAULT_CFG);
    if (!file_exists(MODULAR) || !file_exists(SWIFT))
        skip();
    differential(MODULAR);
    differential(SWIFT);
}

/* ---- rendering ------------------------------------------------------------ */

static const char SEED_XML[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
    "<EventID>12</EventID><Version>2</Version><Level>4</Level><Task>12</Task><Opcode>0</Opcode>"
    "<Keywords>0x8000000000000000</Keywords><TimeCreated "
    "SystemTime='2022-04-13T11:59:41.5535360Z'/>"
    "<EventRecordID>184</EventRecordID><Correlation/><Execution ProcessID='5944' ThreadID='4436'/>"
    "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>DESKTOP-4E0BQFT</Computer>"
    "<Security UserID='S-1-5-18'/></System><EventData>"
    "<Data Name='RuleName'>technique_id=T1053,technique_name=Scheduled Task</Data>"
    "<Data Name='EventType'>CreateKey</Data><Data Name='UtcTime'>2022-04-13 11:59:41.545</Data>"
    "<Data Name='ProcessGuid'>{76e50f37-2fc0-6244-1300-000000000300}</Data>"
    "<Data Name='ProcessId'>364</Data><Data Name='Image'>C:\\Windows\\system32\\svchost.exe</Data>"
    "<Data Name='TargetObject'>HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule"
    "\\TaskCache\\Tree\\test-task</Data><Data Name='User'>NT AUTHORITY\\SYSTEM</Data>"
    "</EventData></Event>";

static const tl_sysmon_event *seed_event(evb *b)
{
    return mk(b, 12, "EventType", "CreateKey", "UtcTime", "2022-04-13 11:59:41.545", "ProcessGuid",
              "{76e50f37-2fc0-6244-1300-000000000300}", "ProcessId", "364", "Image", SVCHOST,
              "TargetObject", TREE "\\test-task", "User", "NT AUTHORITY\\SYSTEM", NULL);
}

static void seed_system(tl_winevt_system *sys)
{
    tl_sysmon_system_defaults(12, sys);
    tl_time t;
    assert_int_equal(tl_time_parse_iso("2022-04-13T11:59:41.553536Z", &t), TL_OK);
    sys->time_created = t;
    sys->record_id = 184;
    sys->pid = 5944;
    sys->tid = 4436;
    sys->computer = "DESKTOP-4E0BQFT";
}

/* Values of `attr="v"` / `attr='v'` or `<Tag>v</Tag>` / `<Data Name="X">v</Data>` in a
 * rendered or pretty-printed event, quote style ignored. */
static int xml_value(const char *doc, const char *key, char *out, size_t outsz)
{
    char pat[128];
    const char *p;
    /* <Data Name="key"> or <Data Name='key'> */
    for (int q = 0; q < 2; q++) {
        snprintf(pat, sizeof pat, "<Data Name=%c%s%c>", q ? '\'' : '"', key, q ? '\'' : '"');
        if ((p = strstr(doc, pat))) {
            p += strlen(pat);
            const char *e = strstr(p, "</Data>");
            size_t n = e ? (size_t)(e - p) : 0;
            if (n >= outsz)
                n = outsz - 1;
            memcpy(out, p, n);
            out[n] = '\0';
            return 1;
        }
    }
    snprintf(pat, sizeof pat, "<%s>", key);
    if ((p = strstr(doc, pat))) {
        p += strlen(pat);
        const char *e = strchr(p, '<');
        size_t n = e ? (size_t)(e - p) : 0;
        if (n >= outsz)
            n = outsz - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
    }
    snprintf(pat, sizeof pat, " %s=", key);
    if ((p = strstr(doc, pat))) {
        p += strlen(pat);
        char q = *p++;
        const char *e = strchr(p, q);
        size_t n = e ? (size_t)(e - p) : 0;
        if (n >= outsz)
            n = outsz - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

static void test_sysmon_render_seed_event12(void **state)
{
    (void)state;
    tl_sysmon_config *c = load_file(DEFAULT_CFG);
    evb b;
    const tl_sysmon_event *e = seed_event(&b);
    tl_sysmon_verdict v = run(c, e);
    assert_true(v.logged);
    tl_winevt_system sys;
    seed_system(&sys);
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    assert_int_equal(tl_sysmon_render(c, e, v.rule_name, &sys, &x, &m), TL_OK);
    assert_string_equal(tl_buf_cstr(&x), SEED_XML);
    assert_null(strchr(tl_buf_cstr(&x), '\n'));

    /* field for field against the blog's own sample, when ../shared is there */
    char *blog = NULL;
    size_t blen = 0;
    tl_diag d;
    if (tl_file_read(SEED, &blog, &blen, &d) == TL_OK) {
        const char *ev = strstr(blog, "<Event xmlns=");
        assert_non_null(ev);
        static const char *const keys[] = {
            "Name",      "Guid",     "EventID",       "Version",   "Level",    "Task",
            "Opcode",    "Keywords", "EventRecordID", "ProcessID", "ThreadID", "Channel",
            "Computer",  "UserID",   "RuleName",      "EventType", "UtcTime",  "ProcessGuid",
            "ProcessId", "Image",    "TargetObject",  "User"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char want[512], got[512];
            assert_true(xml_value(ev, keys[i], want, sizeof want));
            assert_true(xml_value(tl_buf_cstr(&x), keys[i], got, sizeof got));
            if (strcmp(want, got) != 0) {
                print_error("%s: blog \"%s\", rendered \"%s\"\n", keys[i], want, got);
                fail();
            }
        }
        /* times aside: same second */
        char want[64], got[64];
        assert_true(xml_value(ev, "SystemTime", want, sizeof want));
        assert_true(xml_value(tl_buf_cstr(&x), "SystemTime", got, sizeof got));
        assert_int_equal(strlen(want), strlen(got));
        assert_memory_equal(want, got, 19);
        tl_free(blog);
    }
    assert_string_equal(tl_buf_cstr(&m),
                        "Registry object added or deleted:\r\n"
                        "RuleName: technique_id=T1053,technique_name=Scheduled Task\r\n"
                        "EventType: CreateKey\r\nUtcTime: 2022-04-13 11:59:41.545\r\n"
                        "ProcessGuid: {76e50f37-2fc0-6244-1300-000000000300}\r\nProcessId: 364\r\n"
                        "Image: C:\\Windows\\system32\\svchost.exe\r\n"
                        "TargetObject: " TREE "\\test-task\r\nUser: NT AUTHORITY\\SYSTEM");
    tl_buf_free(&x);
    tl_buf_free(&m);
    tl_sysmon_config_free(c);
}

static void test_sysmon_message_format(void **state)
{
    (void)state;
    evb b;
    const tl_sysmon_event *e =
        mk(&b, 13, "UtcTime", "2025-01-15 10:00:00.120", "ProcessGuid",
           "{1f2e3d4c-8a60-6787-1a00-000000000700}", "ProcessId", "1188", "Image", SVCHOST,
           "TargetObject", TREE "\\WinUpdate\\Index", "Details", "DWORD (0x00000003)", "User",
           "NT AUTHORITY\\SYSTEM", NULL);
    tl_winevt_system sys;
    tl_sysmon_system_defaults(13, &sys);
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    assert_int_equal(tl_sysmon_render(NULL, e, NULL, &sys, &x, &m), TL_OK);
    assert_string_equal(tl_buf_cstr(&m),
                        "Registry value set:\r\nRuleName: -\r\nEventType: SetValue\r\n"
                        "UtcTime: 2025-01-15 10:00:00.120\r\n"
                        "ProcessGuid: {1f2e3d4c-8a60-6787-1a00-000000000700}\r\nProcessId: 1188\r\n"
                        "Image: C:\\Windows\\system32\\svchost.exe\r\n"
                        "TargetObject: " TREE "\\WinUpdate\\Index\r\n"
                        "Details: DWORD (0x00000003)\r\nUser: NT AUTHORITY\\SYSTEM");
    assert_non_null(strstr(tl_buf_cstr(&x), "<Data Name='RuleName'>-</Data>"));
    assert_non_null(strstr(tl_buf_cstr(&x), "<EventID>13</EventID><Version>2</Version>"
                                            "<Level>4</Level><Task>13</Task>"));
    /* titles of the other rendered types */
    assert_string_equal(tl_sysmon_event_title(1), "Process Create:");
    assert_string_equal(tl_sysmon_event_title(7), "Image loaded:");
    assert_string_equal(tl_sysmon_event_title(11), "File created:");
    assert_string_equal(tl_sysmon_event_title(14), "Registry object renamed:");
    assert_null(tl_sysmon_event_title(99));
    tl_buf_free(&x);
    tl_buf_free(&m);
}

static int count_data(const char *xml)
{
    int n = 0;
    for (const char *p = xml; (p = strstr(p, "<Data ")); p++)
        n++;
    return n;
}

static void test_sysmon_render_follows_config_schema(void **state)
{
    (void)state;
    evb b;
    tl_winevt_system sys;
    tl_buf x = TL_BUF_INIT;
    const char *fmt = "<Sysmon schemaversion=\"%s\"/>";
    static const struct {
        const char *schema;
        int n1, n11, n7;
        int has_ofn, has_rulename;
    } cases[] = {
        {"4.90", 23, 8, 16, 1, 1}, {"4.83", 23, 8, 16, 1, 1}, {"4.50", 22, 7, 15, 1, 1},
        {"4.22", 22, 7, 15, 1, 1}, {"4.1", 21, 7, 14, 0, 1},  {"4.0", 20, 6, 13, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char xml[128];
        snprintf(xml, sizeof xml, fmt, cases[i].schema);
        tl_sysmon_config *c = load_str(xml);
        tl_sysmon_system_defaults(1, &sys);
        tl_buf_reset(&x);
        assert_int_equal(tl_sysmon_render(c, mk(&b, 1, NULL), "-", &sys, &x, NULL), TL_OK);
        assert_int_equal(count_data(tl_buf_cstr(&x)), cases[i].n1);
        assert_int_equal(strstr(tl_buf_cstr(&x), "OriginalFileName") != NULL, cases[i].has_ofn);
        assert_int_equal(strstr(tl_buf_cstr(&x), "RuleName") != NULL, cases[i].has_rulename);
        /* ParentUser is the last field from 4.80 on */
        if (cases[i].n1 == 23)
            assert_non_null(strstr(tl_buf_cstr(&x), "<Data Name='ParentUser'>WS01\\alice</Data>"
                                                    "</EventData>"));
        tl_buf_reset(&x);
        tl_sysmon_system_defaults(11, &sys);
        assert_int_equal(tl_sysmon_render(c, mk(&b, 11, NULL), "-", &sys, &x, NULL), TL_OK);
        assert_int_equal(count_data(tl_buf_cstr(&x)), cases[i].n11);
        tl_buf_reset(&x);
        tl_sysmon_system_defaults(7, &sys);
        assert_int_equal(tl_sysmon_render(c, mk(&b, 7, NULL), "-", &sys, &x, NULL), TL_OK);
        assert_int_equal(count_data(tl_buf_cstr(&x)), cases[i].n7);
        tl_sysmon_config_free(c);
    }
    tl_buf_free(&x);
}

static void test_sysmon_render_escapes_like_evtrender(void **state)
{
    (void)state;
    evb b;
    tl_winevt_system sys;
    tl_sysmon_system_defaults(1, &sys);
    sys.computer = "WS01 & <lab>";
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    const char *cmd = "cmd.exe /c \"echo 'a' > C:\\t.txt & type C:\\t.txt\"";
    assert_int_equal(tl_sysmon_render(NULL, mk(&b, 1, "CommandLine", cmd, "Description", "", NULL),
                                      "a'b", &sys, &x, &m),
                     TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&x),
                           "<Data Name='CommandLine'>cmd.exe /c \"echo 'a' &gt; C:\\t.txt &amp; "
                           "type C:\\t.txt\"</Data>"));
    assert_non_null(strstr(tl_buf_cstr(&x), "<Computer>WS01 &amp; &lt;lab&gt;</Computer>"));
    assert_non_null(strstr(tl_buf_cstr(&x), "<Data Name='RuleName'>a'b</Data>"));
    /* empty value rendered as "-" */
    assert_non_null(strstr(tl_buf_cstr(&x), "<Data Name='Description'>-</Data>"));
    /* the Message is verbatim */
    assert_non_null(strstr(tl_buf_cstr(&m), "\r\nCommandLine: cmd.exe /c \"echo 'a' > C:\\t.txt & "
                                            "type C:\\t.txt\"\r\n"));
    /* escapes at every offset around the 8-byte scan, control characters */
    tl_buf_reset(&x);
    assert_int_equal(tl_sysmon_render(NULL,
                                      mk(&b, 1, "CommandLine",
                                         "abcdefgh&ijklmnopq<rstuvwxyz0>\x01\t\r\n'\x1f\"z", NULL),
                                      "-", &sys, &x, NULL),
                     TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&x), "<Data Name='CommandLine'>abcdefgh&amp;ijklmnopq&lt;"
                                            "rstuvwxyz0&gt;&#x1;\t\r\n'&#x1F;\"z</Data>"));
    /* attribute values escape the quote */
    tl_buf_reset(&x);
    sys.provider_name = "a'b<";
    assert_int_equal(tl_winevt_render(&sys, NULL, 0, NULL, NULL, &x, NULL), TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&x), "<Provider Name='a&apos;b&lt;' Guid="));
    tl_buf_reset(&x);
    sys.provider_name = "12345678'12345678";
    assert_int_equal(tl_winevt_render(&sys, NULL, 0, NULL, NULL, &x, NULL), TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&x), "<Provider Name='12345678&apos;12345678' Guid="));
    /* random texts up to 80 bytes (the 16- and 8-byte scans and the byte loop at every
     * offset): element text and attribute value against a byte-by-byte escaper */
    tl_rng r;
    tl_rng_seed(&r, 1717);
    static const char alpha[] = "ab\\&<>'\"\t\r\n\x01\x1f\x7f\xc3\xa9 ";
    tl_winevt_taskscheduler_defaults(106, &sys);
    for (int n = 0; n < 3000; n++) {
        char v[96], want[1024];
        size_t len = 1 + (size_t)tl_rng_below(&r, 80);
        for (size_t i = 0; i < len; i++)
            v[i] = tl_rng_below(&r, 3) ? (char)('a' + tl_rng_below(&r, 26))
                                       : alpha[tl_rng_below(&r, sizeof alpha - 1)];
        v[len] = '\0';
        tl_evfield f = {"X", v};
        tl_buf_reset(&x);
        assert_int_equal(tl_winevt_render(&sys, &f, 1, v, NULL, &x, NULL), TL_OK);
        for (int attr = 0; attr < 2; attr++) {
            size_t o = (size_t)snprintf(want, sizeof want, "%s", attr ? "<EventData Name='" : "<Data Name='X'>");
            for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)v[i];
                if (c == '&')
                    o += (size_t)snprintf(want + o, sizeof want - o, "&amp;");
                else if (c == '<')
                    o += (size_t)snprintf(want + o, sizeof want - o, "&lt;");
                else if (c == '>')
                    o += (size_t)snprintf(want + o, sizeof want - o, "&gt;");
                else if (c == '\'' && attr)
                    o += (size_t)snprintf(want + o, sizeof want - o, "&apos;");
                else if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
                    o += (size_t)snprintf(want + o, sizeof want - o, "&#x%X;", c);
                else
                    want[o++] = (char)c;
            }
            snprintf(want + o, sizeof want - o, "%s", attr ? "'><Data" : "</Data>");
            if (!strstr(tl_buf_cstr(&x), want)) {
                print_error("text %d (attr %d): want %s in %s\n", n, attr, want, tl_buf_cstr(&x));
                fail();
            }
        }
    }
    tl_buf_free(&x);
    tl_buf_free(&m);
}

static void test_sysmon_render_security_4698(void **state)
{
    (void)state;
    tl_winevt_system sys;
    tl_winevt_security_defaults(4698, &sys);
    assert_int_equal(tl_time_parse_iso("2025-01-15T10:00:00.25Z", &sys.time_created), TL_OK);
    sys.record_id = 90211;
    sys.pid = 4;
    sys.tid = 5040;
    sys.computer = "WS01.corp.example";
    const tl_evfield f[] = {
        {"SubjectUserSid", "S-1-5-21-1-2-3-1001"},
        {"SubjectUserName", "alice"},
        {"SubjectDomainName", "CORP"},
        {"SubjectLogonId", "0x3144c"},
        {"TaskName", "\\WinUpdate"},
        {"TaskContent", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task version=\"1.2\">"
                        "<Arguments>/C a &gt; b</Arguments></Task>"},
        {"ClientProcessStartKey", "2251799813685292"},
        {"ClientProcessId", "6612"},
        {"ParentProcessId", "5232"},
        {"RpcCallClientLocality", "0"},
        {"FQDN", "WS01.corp.example"},
    };
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    assert_int_equal(tl_winevt_render(&sys, f, sizeof f / sizeof f[0], NULL,
                                      "A scheduled task was created.", &x, &m),
                     TL_OK);
    assert_string_equal(
        tl_buf_cstr(&x),
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Microsoft-Windows-Security-Auditing' "
        "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4698</EventID><Version>1</Version>"
        "<Level>0</Level><Task>12804</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</"
        "Keywords>"
        "<TimeCreated "
        "SystemTime='2025-01-15T10:00:00.2500000Z'/><EventRecordID>90211</EventRecordID>"
        "<Correlation/><Execution ProcessID='4' ThreadID='5040'/><Channel>Security</Channel>"
        "<Computer>WS01.corp.example</Computer><Security/></System><EventData>"
        "<Data Name='SubjectUserSid'>S-1-5-21-1-2-3-1001</Data><Data "
        "Name='SubjectUserName'>alice</Data>"
        "<Data Name='SubjectDomainName'>CORP</Data><Data Name='SubjectLogonId'>0x3144c</Data>"
        "<Data Name='TaskName'>\\WinUpdate</Data><Data Name='TaskContent'>&lt;?xml version=\"1.0\" "
        "encoding=\"UTF-16\"?&gt;\r\n&lt;Task version=\"1.2\"&gt;&lt;Arguments&gt;/C a &amp;gt; b"
        "&lt;/Arguments&gt;&lt;/Task&gt;</Data>"
        "<Data Name='ClientProcessStartKey'>2251799813685292</Data>"
        "<Data Name='ClientProcessId'>6612</Data><Data Name='ParentProcessId'>5232</Data>"
        "<Data Name='RpcCallClientLocality'>0</Data><Data Name='FQDN'>WS01.corp.example</Data>"
        "</EventData></Event>");
    assert_true(strncmp(tl_buf_cstr(&m),
                        "A scheduled task was created.\r\nSubjectUserSid: S-1-5-21", 55) == 0);
    /* no first line: no Message */
    tl_buf_reset(&m);
    tl_buf_reset(&x);
    assert_int_equal(tl_winevt_render(&sys, f, 2, NULL, NULL, &x, &m), TL_OK);
    assert_int_equal(m.len, 0);
    tl_buf_free(&x);
    tl_buf_free(&m);
}

static void test_sysmon_render_taskscheduler_operational(void **state)
{
    (void)state;
    tl_winevt_system sys;
    tl_winevt_taskscheduler_defaults(106, &sys);
    sys.computer = "WS01";
    const tl_evfield f[] = {{"TaskName", "\\WinUpdate"}, {"UserContext", "CORP\\alice"}};
    tl_buf x = TL_BUF_INIT;
    assert_int_equal(tl_winevt_render(&sys, f, 2, "TaskRegisteredEvent", NULL, &x, NULL), TL_OK);
    const char *s = tl_buf_cstr(&x);
    assert_non_null(strstr(s,
                           "<Provider Name='Microsoft-Windows-TaskScheduler' "
                           "Guid='{de7b24ea-73c8-4a09-985d-5bdadcfa9017}'/><EventID>106</EventID>"
                           "<Version>0</Version><Level>4</Level><Task>106</Task><Opcode>0</Opcode>"
                           "<Keywords>0x8000000000000000</Keywords>"));
    assert_non_null(strstr(s, "<Channel>Microsoft-Windows-TaskScheduler/Operational</Channel>"));
    assert_non_null(strstr(s, "<EventData Name='TaskRegisteredEvent'><Data Name='TaskName'>"
                              "\\WinUpdate</Data><Data Name='UserContext'>CORP\\alice</Data>"
                              "</EventData></Event>"));
    tl_winevt_taskscheduler_defaults(200, &sys);
    assert_int_equal(sys.opcode, 1);
    tl_winevt_taskscheduler_defaults(201, &sys);
    assert_int_equal(sys.opcode, 2);
    tl_winevt_taskscheduler_defaults(141, &sys);
    assert_int_equal(sys.opcode, 0);
    /* a NULL provider GUID is omitted */
    tl_buf_reset(&x);
    sys.provider_guid = NULL;
    assert_int_equal(tl_winevt_render(&sys, f, 2, NULL, NULL, &x, NULL), TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&x), "<Provider Name='Microsoft-Windows-TaskScheduler'/>"));
    tl_buf_free(&x);
}

static void test_sysmon_alloc_fail_load_and_render(void **state)
{
    (void)state;
    char *xml = NULL;
    size_t len = 0;
    tl_diag d;
    assert_int_equal(tl_file_read(DEFAULT_CFG, &xml, &len, &d), TL_OK);
    int ok = 0;
    for (long n = 1; n < 10000 && !ok; n++) {
        tl_sysmon_config *c = NULL;
        tl_alloc_fail_at(n);
        tl_status st = tl_sysmon_config_load_mem(xml, len, "default", &c, &d);
        tl_alloc_fail_at(0);
        if (st == TL_OK) {
            ok = 1;
            tl_sysmon_config_free(c);
        } else {
            assert_int_equal(st, TL_E_NOMEM);
            assert_null(c);
        }
    }
    assert_true(ok);
    tl_free(xml);

    evb b;
    tl_winevt_system sys;
    tl_sysmon_system_defaults(12, &sys);
    tl_buf x = TL_BUF_INIT, m = TL_BUF_INIT;
    tl_alloc_fail_at(1);
    tl_status st = tl_sysmon_render(NULL, seed_event(&b), "-", &sys, &x, &m);
    tl_alloc_fail_at(0);
    assert_int_equal(st, TL_E_NOMEM);
    tl_buf_free(&x);
    tl_buf_free(&m);
}

static void test_sysmon_schema_tables(void **state)
{
    (void)state;
    size_t n;
    const char *const *f = tl_sysmon_event_fields(1, &n);
    assert_int_equal(n, 23);
    assert_string_equal(f[0], "RuleName");
    assert_string_equal(f[22], "ParentUser");
    f = tl_sysmon_event_fields(12, &n);
    assert_int_equal(n, 8);
    assert_string_equal(f[1], "EventType");
    assert_string_equal(f[7], "User");
    f = tl_sysmon_event_fields(13, &n);
    assert_string_equal(f[7], "Details");
    f = tl_sysmon_event_fields(14, &n);
    assert_string_equal(f[7], "NewName");
    assert_null(tl_sysmon_event_fields(0, &n));
    assert_int_equal(n, 0);
    tl_winevt_system sys;
    tl_sysmon_system_defaults(1, &sys);
    assert_int_equal(sys.version, 5);
    tl_sysmon_system_defaults(7, &sys);
    assert_int_equal(sys.version, 3);
    tl_sysmon_system_defaults(11, &sys);
    assert_int_equal(sys.version, 2);
    assert_int_equal(sys.task, 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sysmon_loads_reference_configs),
        cmocka_unit_test(test_sysmon_loads_default_config),
        cmocka_unit_test(test_sysmon_loads_utf16_config),
        cmocka_unit_test(test_sysmon_config_errors_name_element_and_line),
        cmocka_unit_test(test_sysmon_config_accepts_options_and_every_event_element),
        cmocka_unit_test(test_sysmon_every_condition_operator),
        cmocka_unit_test(test_sysmon_missing_field_never_matches),
        cmocka_unit_test(test_sysmon_exclude_wins_over_include),
        cmocka_unit_test(test_sysmon_defaults_one_set_several_sets_manifest),
        cmocka_unit_test(test_sysmon_group_relation_and_or),
        cmocka_unit_test(test_sysmon_rule_aggregates),
        cmocka_unit_test(test_sysmon_rulename_inheritance_and_stale_name),
        cmocka_unit_test(test_sysmon_long_values_and_odd_input),
        cmocka_unit_test(test_sysmon_explain_names_the_rule),
        cmocka_unit_test(test_sysmon_explain_keeps_whole_paths),
        cmocka_unit_test(test_sysmon_outcome_table_sysmon_modular),
        cmocka_unit_test(test_sysmon_outcome_table_swiftonsecurity),
        cmocka_unit_test(test_sysmon_default_config_logs_the_blog_setup),
        cmocka_unit_test(test_sysmon_filter_matches_naive_evaluator),
        cmocka_unit_test(test_sysmon_render_seed_event12),
        cmocka_unit_test(test_sysmon_message_format),
        cmocka_unit_test(test_sysmon_render_follows_config_schema),
        cmocka_unit_test(test_sysmon_render_escapes_like_evtrender),
        cmocka_unit_test(test_sysmon_render_security_4698),
        cmocka_unit_test(test_sysmon_render_taskscheduler_operational),
        cmocka_unit_test(test_sysmon_alloc_fail_load_and_render),
        cmocka_unit_test(test_sysmon_schema_tables),
    };
    return cmocka_run_group_tests_name("sysmon", tests, NULL, NULL);
}
