/* SPDX-License-Identifier: MIT */
/*
 * The single-pass EventChannel converter (pipeline/manager/src/decode/
 * winevt.c) against the converter it replaced (tests/winevt_ref/winevt_ref.c,
 * the XML tree reader and walk as they were): same status, same diagnostic,
 * same full_log byte for byte, same fields in the same order, on
 *  - every EventChannel message the scenario library forwards (the simulator
 *    and the agent's payload, with and without the Message member),
 *  - every message of the recorded event logs (../shared/reference/oracle/
 *    evtx/NAME.queue; skipped without ../shared),
 *  - the eventchannel fuzz corpus,
 *  - hostile text: every prefix of a real payload (truncated XML), random
 *    token soup over everything os_xml treats specially (comments, <?..?>,
 *    CDATA and entities it does not know, odd and even backslash runs
 *    before '<', quotes, self-closing tags, stray close tags, several roots,
 *    UserData, audit-policy Data, spaces to trim), nesting around the
 *    129-level limit, and elements with thousands of attributes.
 * Every payload is compared in an exact-size allocation, so a read past a
 * text's end shows under ASan.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decoder_int.h"
#include "tasklab/agent.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"
#include "winevt_ref.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <sys/stat.h>

static size_t g_compared, g_ok, g_rich; /* rich: more than the message */

static void fail_on(const char *what, const char *payload, const char *a, const char *b)
{
    print_error("%s differs\npayload: %.2000s\nnew: %.2000s\nref: %.2000s\n", what, payload,
                a ? a : "(null)", b ? b : "(null)");
    fail();
}

/* Both converters on payload (copied to an exact-size block): status,
 * diagnostic, output, and through the event, full_log and fields. */
static void compare_n(const char *src, size_t n)
{
    char *payload = tl_malloc(n + 1);
    assert_non_null(payload);
    memcpy(payload, src, n);
    payload[n] = '\0';
    g_compared++;

    tl_diag d1, d2;
    tl_diag_clear(&d1);
    tl_diag_clear(&d2);
    char *a = NULL, *b = NULL;
    tl_status s1 = tl_winevt_convert(payload, &a, &d1);
    tl_status s2 = tl_winevt_ref_convert(payload, &b, &d2);
    if (s1 != s2)
        fail_on("status", payload, tl_strerror(s1), tl_strerror(s2));
    if (strcmp(d1.msg, d2.msg) != 0)
        fail_on("diagnostic", payload, d1.msg, d2.msg);
    if (s1 == TL_OK) {
        g_ok++;
        if (strcmp(a, "{\"win\":{\"system\":{}}}") != 0 && strncmp(a, "{\"win\":{\"system\":{\"message\":", 29) != 0)
            g_rich++;
        if (strcmp(a, b) != 0)
            fail_on("conversion", payload, a, b);
    }
    tl_free(a);
    tl_free(b);

    tl_event e1, e2;
    tl_event_init(&e1);
    tl_event_init(&e2);
    e1.queue = e2.queue = 'f';
    e1.full_log = tl_malloc(n + 1);
    e2.full_log = tl_malloc(n + 1);
    assert_non_null(e1.full_log);
    assert_non_null(e2.full_log);
    memcpy(e1.full_log, payload, n + 1);
    memcpy(e2.full_log, payload, n + 1);
    e1.full_log_end = e1.full_log + n;
    e2.full_log_end = e2.full_log + n;
    e1.log = e1.full_log;
    e2.log = e2.full_log;
    tl_diag_clear(&d1);
    tl_diag_clear(&d2);
    s1 = tl_winevt_decode_event(&e1, &d1);
    s2 = tl_winevt_ref_decode_event(&e2, &d2);
    if (s1 != s2)
        fail_on("decode status", payload, tl_strerror(s1), tl_strerror(s2));
    if (s1 == TL_OK) {
        if (strcmp(e1.full_log, e2.full_log) != 0)
            fail_on("full_log", payload, e1.full_log, e2.full_log);
        assert_ptr_equal(e1.full_log_end, e1.full_log + strlen(e1.full_log));
        if (e1.nfields != e2.nfields) {
            print_error("%zu fields, reference %zu\n", e1.nfields, e2.nfields);
            fail_on("field count", payload, e1.full_log, e2.full_log);
        }
        for (size_t i = 0; i < e1.nfields; i++) {
            if (strcmp(e1.fields[i].name, e2.fields[i].name) != 0)
                fail_on("field name", payload, e1.fields[i].name, e2.fields[i].name);
            if (strcmp(e1.fields[i].value, e2.fields[i].value) != 0)
                fail_on("field value", payload, e1.fields[i].value, e2.fields[i].value);
        }
    }
    tl_event_clear(&e1);
    tl_event_clear(&e2);
    tl_free(payload);
}

static void compare(const char *payload) { compare_n(payload, strlen(payload)); }

/* {"Message":<msg>,"Event":<xml>} as the agent writes it (msg may be NULL). */
static char *agent_payload(const char *msg, const char *xml)
{
    char *p = tl_agent_eventchannel_payload(msg, xml);
    assert_non_null(p);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir ending in suffix; NULL when dir is absent. */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
    DIR *dh = opendir(dir);
    *n = 0;
    if (!dh)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    size_t sl = strlen(suffix);
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < sl || strcmp(de->d_name + l - sl, suffix) != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(dh);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- the scenario library -------------------------------------------------- */

static void test_winevt_library_matches_reference(void **state)
{
    (void)state;
    size_t n = 0;
    char **names = list_dir(TL_SOURCE_DIR "/scenarios", ".json", &n);
    assert_non_null(names);
    size_t records = 0, scenarios = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", TL_SOURCE_DIR, names[i]);
        tl_diag d;
        tl_diag_clear(&d);
        tl_scenario *sc = NULL;
        tl_sim *sim = NULL;
        if (tl_scenario_load(path, &sc, &d) != TL_OK) {
            print_message("library: %s not loaded: %s\n", names[i], d.msg);
            continue;
        }
        tl_sim_opts so;
        memset(&so, 0, sizeof so);
        so.etc_dir = TL_SOURCE_DIR "/pipeline/etc";
        so.shared_dir = TL_SHARED_DIR;
        if (tl_sim_new(sc, &so, &sim, &d) != TL_OK)
            print_message("library: %s not simulated: %s\n", names[i], d.msg);
        else {
            scenarios++;
            for (size_t s = 0; s < tl_sim_step_count(sim); s++) {
                if (tl_sim_run_step(sim, s, &d) != TL_OK)
                    break;
                tl_record r;
                while (tl_sim_next_record(sim, &r)) {
                    char *p = agent_payload(r.message, r.xml);
                    compare(p);
                    tl_free(p);
                    if (records++ % 7 == 0) { /* without the Message member */
                        p = agent_payload(NULL, r.xml);
                        compare(p);
                        tl_free(p);
                    }
                }
            }
        }
        tl_sim_free(sim);
        tl_scenario_free(sc);
    }
    free_list(names, n);
    print_message("library: %zu scenarios, %zu records\n", scenarios, records);
    assert_true(scenarios >= 50);
    assert_true(records > 1000);
}

/* ---- recorded event logs ---------------------------------------------------- */

#define ORACLE_EVTX TL_SHARED_DIR "/reference/oracle/evtx"

static void test_winevt_recordings_match_reference(void **state)
{
    (void)state;
    size_t n = 0;
    char **names = list_dir(ORACLE_EVTX, ".queue", &n);
    if (!names)
        skip();
    size_t msgs = 0;
    tl_cjson_hooks_init();
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", ORACLE_EVTX, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
            /* one JSON string a line: "f:[001] (host) any->EventChannel:{...}" */
            cJSON *j = cJSON_Parse(line);
            assert_true(cJSON_IsString(j));
            const char *pl = strstr(j->valuestring, "->EventChannel:");
            assert_non_null(pl);
            compare(pl + 15);
            msgs++;
            cJSON_Delete(j);
        }
        free(line);
        fclose(f);
    }
    free_list(names, n);
    print_message("recordings: %zu files, %zu messages\n", n, msgs);
    assert_true(msgs > 1000);
}

/* ---- the fuzz corpus --------------------------------------------------------- */

#define FUZZ_CORPUS TL_SOURCE_DIR "/tests/fuzz/corpus/eventchannel"

static void test_winevt_fuzz_corpus_matches_reference(void **state)
{
    (void)state;
    size_t n = 0;
    char **names = list_dir(FUZZ_CORPUS, "", &n);
    assert_non_null(names);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", FUZZ_CORPUS, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        /* the fuzz target's view: the text up to its first NUL */
        compare_n(buf, strnlen(buf, len));
    }
    free_list(names, n);
    assert_true(n >= 40);
}

/* ---- hostile text --------------------------------------------------------------- */

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static const char *const SAMPLE_XML =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
    "Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
    "<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>"
    "<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2025-01-15T10:00:00.1Z'/>"
    "<EventRecordID>7</EventRecordID><Correlation/><Execution ProcessID='2900' ThreadID='3312'/>"
    "<Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS01</Computer>"
    "<Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'>-</Data>"
    "<Data Name='Image'>C:\\Windows\\System32\\schtasks.exe</Data>"
    "<Data Name='CommandLine'>schtasks /create /tn \"x\" /tr \"C:\\a b\\c.exe\" /sc onlogon</Data>"
    "<Data Name='CurrentDirectory'>C:\\Windows\\system32\\</Data><Data>anon  </Data>"
    "<Data Name='CategoryId'>%%8273</Data><Data Name='SubcategoryId'>%%12544</Data>"
    "<Data Name='AuditPolicyChanges'>%%8449, %%8451</Data></EventData></Event>";

/* Every prefix of a real payload (and of its XML inside a complete payload):
 * truncated JSON and truncated XML at every byte. */
static void test_winevt_truncations_match_reference(void **state)
{
    (void)state;
    char *full = agent_payload("Process Create:\r\nImage: C:\\x.exe  ", SAMPLE_XML);
    size_t n = strlen(full);
    for (size_t i = 0; i <= n; i++)
        compare_n(full, i);
    tl_free(full);
    size_t xn = strlen(SAMPLE_XML);
    char *cut = malloc(xn + 1);
    assert_non_null(cut);
    for (size_t i = 0; i <= xn; i++) {
        memcpy(cut, SAMPLE_XML, i);
        cut[i] = '\0';
        char *p = agent_payload(i % 2 ? "m" : NULL, cut);
        compare(p);
        tl_free(p);
    }
    free(cut);
}

/* Token soup over what the reader and writer treat specially. */
static void soup(uint32_t *x, tl_buf *b, int ntok)
{
    static const char *const tok[] = {
        "<Event>", "</Event>", "<System>", "</System>", "<EventData>", "</EventData>",
        "<UserData>", "</UserData>", "<Op xmlns='x'>", "</Op>", "<Data Name='Image'>",
        "<Data Name='CategoryId'>", "<Data Name='SubcategoryId'>", "<Data Name='auditPolicyChanges'>",
        "<Data>", "</Data>", "<Data Name='A' Name='B'>", "<Data Name=\"Q\">", "<Data Name = 'S' >",
        "<Level>", "</Level>", "<Keywords>", "</Keywords>", "<Channel>", "</Channel>",
        "<Channel/>", "<Provider Name='P' Guid='G' EventSourceName='E'/>", "<Provider Name='P'>",
        "</Provider>", "<TimeCreated SystemTime='t'/>", "<TimeCreated X='1' SystemTime='t'/>",
        "<Execution ProcessID='1' ThreadID='2'/>", "<Execution ThreadID='2'/>",
        "<Security UserID='UserID'/>", "<Security UserID='S-1'/>", "<Correlation/>",
        "<Correlation ActivityID='{1}'/>", "<EventID>", "</EventID>", "<X/>", "<X a='1'/>",
        "<x>", "</x>", "<>", "</>", "<a/b>", "</a/b>", "<!-- c -->", "<!-- <x> -->", "<!--",
        "<?pi x?>", "<?", "<!DOCTYPE x>", "<![CDATA[ <y> ]]>", "&lt;", "&amp;", "&#x41;",
        "\\", "\\\\", "\\<", "\\\\<", "\\\\\\<", "\"", "'", "-", "(NULL)", " ", "  ", "\t",
        "\r\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "%%8449", ", ", "%%8451", "8273", "12544",
        "C:\\Windows", "value", "0", "4", "0x8010000000000000", ">", "/", "=", "<a b='", "'>",
        "<a b=", "<a b>", "<a  b='1'  c='2'>", "</a>", "<a>", "<a\tb='x'/>", "<a\n/>",
        "<a\rb='1'>", "<a\v/>", "<a\fc='2'/>", "<b\r>", "</b>", "<a b\r='1'>", "<a b=\v'1'>",
    };
    for (int i = 0; i < ntok; i++)
        tl_buf_puts(b, tok[lcg(x) % (sizeof tok / sizeof tok[0])]);
}

static void test_winevt_token_soup_matches_reference(void **state)
{
    (void)state;
    uint32_t x = 20261206u;
    size_t rich0 = g_rich, ok0 = g_ok;
    for (int round = 0; round < 15000; round++) {
        tl_buf xml = TL_BUF_INIT;
        int shape = (int)(lcg(&x) % 4);
        if (shape == 0) { /* soup anywhere */
            soup(&x, &xml, 1 + (int)(lcg(&x) % 40));
        } else { /* soup inside a plausible event */
            tl_buf_puts(&xml, "<Event xmlns='x'><System><Provider Name='P'/><EventID>4719</EventID>"
                              "<Level>0</Level><Keywords>0x8020000000000000</Keywords>");
            if (shape == 1)
                soup(&x, &xml, (int)(lcg(&x) % 12));
            tl_buf_puts(&xml, "</System><EventData>");
            soup(&x, &xml, (int)(lcg(&x) % 24));
            tl_buf_puts(&xml, "</EventData>");
            if (shape == 3) {
                tl_buf_puts(&xml, "<UserData><Op>");
                soup(&x, &xml, (int)(lcg(&x) % 12));
                tl_buf_puts(&xml, "</Op></UserData>");
            }
            tl_buf_puts(&xml, "</Event>");
            if (lcg(&x) % 8 == 0)
                soup(&x, &xml, (int)(lcg(&x) % 6)); /* more top-level text */
        }
        tl_buf msg = TL_BUF_INIT;
        if (lcg(&x) % 2)
            soup(&x, &msg, (int)(lcg(&x) % 8));
        char *p = agent_payload(lcg(&x) % 3 ? tl_buf_cstr(&msg) : NULL, tl_buf_cstr(&xml));
        compare(p);
        /* the same XML as raw JSON text (not re-escaped by the agent): odd
         * backslash runs, raw quotes and control bytes reach both payload paths */
        tl_buf raw = TL_BUF_INIT;
        tl_buf_puts(&raw, "{\"Event\":\"");
        tl_buf_puts(&raw, tl_buf_cstr(&xml));
        tl_buf_puts(&raw, lcg(&x) % 4 ? "\"}" : "\",\"n\":1}");
        compare(tl_buf_cstr(&raw));
        tl_buf_free(&raw);
        tl_free(p);
        tl_buf_free(&msg);
        tl_buf_free(&xml);
    }
    print_message("soup: %zu converted, %zu with the XML read\n", g_ok - ok0, g_rich - rich0);
}

/* A random, mostly well-formed event: a tree of the elements the writer
 * treats specially, with text atoms, comments and rare breakage (a wrong
 * or missing close tag, a double-quoted or duplicate attribute). */
static const char *const NAMES[] = {"System",   "EventData", "Data",        "UserData", "Level",
                                    "Keywords", "Channel",   "Provider",    "Execution", "TimeCreated",
                                    "Security", "Correlation", "EventID",   "Op",       "x",
                                    "Binary",   "Computer",  "a/b",         ""};
static const char *const NAME_ATTRS[] = {"Name='Image'", "Name='CategoryId'", "Name='SubcategoryId'",
                                         "Name='AuditPolicyChanges'", "Name='auditPolicyChanges'",
                                         "Name=''", "Name='P\\x'", "Name = 'K'"};
static const char *const ATTRS[] = {"Guid='{g}'",       "EventSourceName='E'", "SystemTime='t'",
                                    "ProcessID='1'",    "ThreadID='2'",        "UserID='UserID'",
                                    "xmlns='u'",        "a = 'b'",             "k='v'"};
static const char *const TEXT[] = {"C:\\Windows\\", "value", " ", "  ", "-", "(NULL)", "%%8273",
                                   "%%12544", "%%8449, %%8451", "%%8450,%%8448", "0", "4", "5",
                                   "0x8010000000000000", "0x8020000000000000", "\"q\"", "'", "\t",
                                   "\r\n", "\x01", "&amp;", "&lt;x&gt;", "<!-- c<x> -->",
                                   "<?pi?>", "\xc3\xa9", "/", ">", "=", "12288"};
/* what breaks the XML (rarely drawn) */
static const char *const BREAK[] = {"<![CDATA[z]]>", "Name=\"dq\"", "<!-- open", "</Data>",
                                    "<?", "k='v' k='w'", "<x"};

static const char *text_atom(uint32_t *x)
{
    if (lcg(x) % 400 == 0)
        return BREAK[lcg(x) % (sizeof BREAK / sizeof BREAK[0])];
    return TEXT[lcg(x) % (sizeof TEXT / sizeof TEXT[0])];
}

static void gen_elem(uint32_t *x, tl_buf *b, int depth, int parent)
{
    int ni = (int)(lcg(x) % (sizeof NAMES / sizeof NAMES[0]));
    if (depth == 1)
        ni = lcg(x) % 4 == 0 ? 3 : (int)(lcg(x) % 2); /* System / EventData / UserData */
    else if (depth == 2 && parent == 1)
        ni = lcg(x) % 4 ? 2 : (int)(lcg(x) % (sizeof NAMES / sizeof NAMES[0]));
    else if (depth == 2 && parent == 0)
        ni = 4 + (int)(lcg(x) % 13);
    const char *name = NAMES[ni];
    tl_buf_printf(b, "<%s", name);
    /* distinct attribute names: at most one Name, the others from ATTRS in order */
    int na = 0;
    if (lcg(x) % (ni == 2 ? 5 : 3) != 0) {
        tl_buf_printf(b, " %s", NAME_ATTRS[lcg(x) % (sizeof NAME_ATTRS / sizeof NAME_ATTRS[0])]);
        na++;
    }
    for (size_t i = lcg(x) % 12; i < sizeof ATTRS / sizeof ATTRS[0]; i += 1 + lcg(x) % 6, na++)
        tl_buf_printf(b, " %s", ATTRS[i]);
    if (lcg(x) % 300 == 0)
        tl_buf_printf(b, " %s", BREAK[lcg(x) % (sizeof BREAK / sizeof BREAK[0])]);
    uint32_t form = lcg(x) % 16;
    if (form == 0) {
        tl_buf_puts(b, "/>");
        return;
    }
    if (form == 1) {
        tl_buf_puts(b, na ? " />" : "/>");
        return;
    }
    tl_buf_putc(b, '>');
    int nc = (int)(lcg(x) % 5);
    for (int i = 0; i < nc; i++) {
        if (depth < 4 && lcg(x) % 3 == 0 && (depth < 3 || lcg(x) % 3 == 0))
            gen_elem(x, b, depth + 1, ni);
        else
            tl_buf_puts(b, text_atom(x));
    }
    uint32_t close = lcg(x) % 400;
    if (close == 0)
        return; /* not closed */
    tl_buf_printf(b, close == 1 ? "</%s >" : close == 2 ? "</%sx>" : "</%s>", name);
}

static void test_winevt_random_events_match_reference(void **state)
{
    (void)state;
    uint32_t x = 20261206u;
    size_t rich0 = g_rich, ok0 = g_ok;
    for (int round = 0; round < 20000; round++) {
        tl_buf xml = TL_BUF_INIT;
        if (lcg(&x) % 8 == 0)
            tl_buf_puts(&xml, text_atom(&x));
        tl_buf_puts(&xml, "<Event xmlns='e'>");
        int nc = 1 + (int)(lcg(&x) % 4);
        for (int i = 0; i < nc; i++)
            gen_elem(&x, &xml, 1, -1);
        tl_buf_puts(&xml, lcg(&x) % 200 ? "</Event>" : "</Evnt>");
        if (lcg(&x) % 8 == 0) /* a second top-level element, or text */
            gen_elem(&x, &xml, lcg(&x) % 2 ? 1 : 3, -1);
        tl_buf msg = TL_BUF_INIT;
        for (int i = (int)(lcg(&x) % 4); i > 0; i--)
            tl_buf_puts(&msg, text_atom(&x));
        char *p = agent_payload(lcg(&x) % 3 ? tl_buf_cstr(&msg) : NULL, tl_buf_cstr(&xml));
        compare(p);
        if (round % 4 == 0) {
            /* the same payload with a number member: cJSON reads it */
            tl_buf alt = TL_BUF_INIT;
            tl_buf_append(&alt, p, strlen(p) - 1);
            tl_buf_puts(&alt, ",\"n\":1}");
            compare(tl_buf_cstr(&alt));
            tl_buf_free(&alt);
        }
        tl_free(p);
        tl_buf_free(&msg);
        tl_buf_free(&xml);
    }
    print_message("random events: %zu converted, %zu with the XML read\n", g_ok - ok0,
                  g_rich - rich0);
    assert_true(g_rich - rich0 > (g_ok - ok0) / 4); /* mostly read, not only XML errors */
}

/* os_xml stops at 129 nested levels: 127..131 levels, in the event and in
 * a later top-level element. */
static void test_winevt_nesting_matches_reference(void **state)
{
    (void)state;
    for (int depth = 120; depth <= 135; depth++) {
        for (int where = 0; where < 3; where++) {
            tl_buf xml = TL_BUF_INIT;
            if (where == 2)
                tl_buf_puts(&xml, "<Event><System><EventID>1</EventID></System></Event>");
            tl_buf_puts(&xml, where == 1 ? "<Event><UserData>" : "");
            for (int i = 0; i < depth; i++)
                tl_buf_printf(&xml, "<n%d>", i % 3);
            tl_buf_puts(&xml, "v");
            for (int i = depth - 1; i >= 0; i--)
                tl_buf_printf(&xml, "</n%d>", i % 3);
            tl_buf_puts(&xml, where == 1 ? "</UserData></Event>" : "");
            char *p = agent_payload("m", tl_buf_cstr(&xml));
            compare(p);
            tl_free(p);
            tl_buf_free(&xml);
        }
    }
}

/* Many attributes (the duplicate check goes through a hash beyond 16),
 * duplicates early, late or absent, and one huge attribute value. */
static void test_winevt_attributes_match_reference(void **state)
{
    (void)state;
    static const int counts[] = {1, 15, 16, 17, 18, 33, 64, 65, 500, 3000};
    for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
        for (int dup = -1; dup < 3; dup++) {
            int n = counts[ci];
            tl_buf xml = TL_BUF_INIT;
            tl_buf_puts(&xml, "<Event><System><Provider");
            for (int i = 0; i < n; i++)
                tl_buf_printf(&xml, " a%d='%d'", i, i);
            if (dup == 0)
                tl_buf_puts(&xml, " a0='again'");
            else if (dup == 1)
                tl_buf_printf(&xml, " a%d='again'", n - 1);
            else if (dup == 2)
                tl_buf_puts(&xml, " Name='P' ='e' ='e2'");
            tl_buf_puts(&xml, " Name='last'/><EventID>1</EventID></System><EventData><Data");
            for (int i = 0; i < n; i++)
                tl_buf_printf(&xml, " N%d='x'", i);
            tl_buf_puts(&xml, " Name='K'>v</Data></EventData></Event>");
            char *p = agent_payload(NULL, tl_buf_cstr(&xml));
            compare(p);
            tl_free(p);
            tl_buf_free(&xml);
        }
    }
    /* a 1 MiB attribute value and a 1 MiB Data value */
    tl_buf xml = TL_BUF_INIT;
    tl_buf_puts(&xml, "<Event><System><Provider Name='");
    for (int i = 0; i < (1 << 20) / 16; i++)
        tl_buf_puts(&xml, "C:\\dir\\\"q\"\t\x01 ");
    tl_buf_puts(&xml, "'/></System><EventData><Data Name='Big'>");
    for (int i = 0; i < (1 << 20) / 16; i++)
        tl_buf_puts(&xml, "<\\\\\\<x\x02\"ab\\cd/");
    tl_buf_puts(&xml, "</Data></EventData></Event>");
    char *p = agent_payload("m", tl_buf_cstr(&xml));
    compare(p);
    tl_free(p);
    tl_buf_free(&xml);
}

/* Far more attributes than the reference could check (it compares each name
 * with all before it): linear here, and a duplicate at the very end is still
 * found (only the message survives). */
static void test_winevt_attribute_flood(void **state)
{
    (void)state;
    for (int dup = 0; dup < 2; dup++) {
        tl_buf xml = TL_BUF_INIT;
        tl_buf_puts(&xml, "<Event><System><EventID>1</EventID><Provider");
        for (int i = 0; i < 200000; i++)
            tl_buf_printf(&xml, " a%d=''", i);
        tl_buf_puts(&xml, dup ? " a123456=''/>" : " Name='P'/>");
        tl_buf_puts(&xml, "</System></Event>");
        char *p = agent_payload("m", tl_buf_cstr(&xml));
        char *out = NULL;
        tl_diag d;
        tl_diag_clear(&d);
        assert_int_equal(tl_winevt_convert(p, &out, &d), TL_OK);
        assert_string_equal(out, dup ? "{\"win\":{\"system\":{\"message\":\"\\\"m\\\"\"}}}"
                                     : "{\"win\":{\"system\":{\"eventID\":\"1\",\"providerName\":"
                                       "\"P\",\"message\":\"\\\"m\\\"\"}}}");
        tl_free(out);
        tl_free(p);
        tl_buf_free(&xml);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_winevt_library_matches_reference),
        cmocka_unit_test(test_winevt_recordings_match_reference),
        cmocka_unit_test(test_winevt_fuzz_corpus_matches_reference),
        cmocka_unit_test(test_winevt_truncations_match_reference),
        cmocka_unit_test(test_winevt_token_soup_matches_reference),
        cmocka_unit_test(test_winevt_random_events_match_reference),
        cmocka_unit_test(test_winevt_nesting_matches_reference),
        cmocka_unit_test(test_winevt_attributes_match_reference),
        cmocka_unit_test(test_winevt_attribute_flood),
    };
    int rc = cmocka_run_group_tests_name("winevt", tests, NULL, NULL);
    print_message("compared %zu payloads (%zu converted)\n", g_compared, g_ok);
    return rc;
}
