/* SPDX-License-Identifier: MIT */
/*
 * tasklab's own EVTX reader on synthetic files (tests/unit/evtx_synth.h):
 * every value type, arrays, NULL and empty values, text escaping, shared
 * template definitions, BinXml inside a substitution, and damage (a bad
 * substitution, a bad checksum, a cut file, hostile nesting). The real
 * recordings are covered by the oracle and the differential test; these
 * cases hold what those 208 files never show.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/replay.h"
#include "evtx_synth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char *const NS = "http://schemas.microsoft.com/win/2004/08/events/event";

static char *tmp_path(const char *name)
{
    char *p = malloc(256);
    snprintf(p, 256, "/tmp/tl_test_evtx_%ld_%s", (long)getpid(), name);
    return p;
}

/* Read every record of path; the events joined by '\n' into out. */
static tl_status read_all(const char *path, tl_buf *out, size_t *damaged, tl_buf *damage)
{
    tl_replay *r = NULL;
    tl_diag d;
    tl_status st = tl_replay_open(path, TL_REPLAY_AUTO, &r, &d);
    if (st != TL_OK) {
        if (damage)
            tl_buf_puts(damage, d.msg);
        return st;
    }
    tl_replay_record rec;
    int got = 0;
    while ((st = tl_replay_next(r, &rec, &got)) == TL_OK && got) {
        tl_buf_append(out, rec.event, rec.event_len);
        tl_buf_putc(out, '\n');
    }
    if (damaged)
        *damaged = tl_replay_damaged(r);
    if (damage)
        tl_buf_puts(damage, tl_replay_damage(r));
    tl_replay_free(r);
    return st;
}

/* <Data Name='name'>{substitution idx}</Data> */
static void data_sub(ev_chunk *c, const char *name, uint16_t idx, uint8_t type, int optional)
{
    size_t e = ev_open(c, "Data", 1, 1);
    size_t a = ev_attrs_begin(c);
    ev_attr(c, "Name");
    ev_text(c, name);
    ev_attrs_end(c, a);
    ev_close_start(c);
    ev_sub(c, idx, type, optional);
    ev_end(c, e);
}

/* The definition of the main test template (values 0..24). */
static void main_definition(ev_chunk *c)
{
    size_t ev = ev_open(c, "Event", 1, 1);
    size_t a = ev_attrs_begin(c);
    ev_attr(c, "xmlns");
    ev_text(c, NS);
    ev_attrs_end(c, a);
    ev_close_start(c);
    size_t sys = ev_open(c, "System", 0, 1);
    ev_close_start(c);
    size_t e = ev_open(c, "Provider", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "Name");
    ev_sub(c, 0, 0x01, 1);
    ev_attr(c, "Guid");
    ev_sub(c, 1, 0x0F, 1);
    ev_attrs_end(c, a);
    ev_end_empty(c, e);
    static const char *const leaf[] = {"EventID", "Keywords"};
    static const uint8_t leaf_t[] = {0x06, 0x15};
    for (int i = 0; i < 2; i++) {
        e = ev_open(c, leaf[i], 0, 1);
        ev_close_start(c);
        ev_sub(c, (uint16_t)(2 + i), leaf_t[i], 1);
        ev_end(c, e);
    }
    e = ev_open(c, "TimeCreated", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "SystemTime");
    ev_sub(c, 4, 0x11, 1);
    ev_attrs_end(c, a);
    ev_end_empty(c, e);
    e = ev_open(c, "EventRecordID", 0, 1);
    ev_close_start(c);
    ev_sub(c, 5, 0x0A, 1);
    ev_end(c, e);
    e = ev_open(c, "Correlation", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "ActivityID");
    ev_sub(c, 6, 0x0F, 1);
    ev_attrs_end(c, a);
    ev_end_empty(c, e);
    e = ev_open(c, "Channel", 0, 1);
    ev_close_start(c);
    ev_sub(c, 7, 0x01, 1);
    ev_end(c, e);
    e = ev_open(c, "Security", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "UserID");
    ev_sub(c, 8, 0x13, 1);
    ev_attrs_end(c, a);
    ev_end_empty(c, e);
    ev_end(c, sys);
    size_t ed = ev_open(c, "EventData", 0, 1);
    ev_close_start(c);
    static const struct {
        const char *name;
        uint8_t type;
    } d[] = {{"i8", 0x03},      {"i16", 0x05},     {"i32", 0x07},  {"i64", 0x09},
             {"u8", 0x04},      {"hex32", 0x14},   {"bool", 0x0D}, {"size", 0x10},
             {"systime", 0x12}, {"bin", 0x0E},     {"arr", 0x81},  {"u16arr", 0x86},
             {"null", 0x01},    {"empty", 0x01}};
    for (uint16_t i = 0; i < sizeof d / sizeof d[0]; i++)
        data_sub(c, d[i].name, (uint16_t)(9 + i), d[i].type, 1);
    e = ev_open(c, "Data", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "Name");
    ev_text(c, "text");
    ev_attrs_end(c, a);
    ev_close_start(c);
    ev_text(c, "x<y & 'z'\r\n");
    ev_end(c, e);
    data_sub(c, "ansi", 23, 0x02, 1);
    data_sub(c, "nl", 24, 0x01, 1);
    data_sub(c, "esc", 25, 0x01, 1);
    ev_end(c, ed);
    ev_end(c, ev);
}

static const uint8_t guid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t sid[28] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0,
                                2, 0, 0, 0, 3, 0, 0, 0, 0xF4, 1, 0, 0};

/* The 25 values of the main template for record id and channel ch (UTF-16). */
static void main_values(ev_chunk *c, uint64_t id, const uint8_t *ch, uint16_t chlen)
{
    static const uint8_t prov[] = {'P', 0, 'r', 0, 'o', 0, 'v', 0, ' ', 0, '&', 0, ' ', 0, 'C', 0, 'o', 0};
    static const uint8_t evid[] = {0x5A, 0x12};                 /* 4698 */
    static const uint8_t kw[] = {0, 0, 0, 0, 0, 0, 0x20, 0x80}; /* 0x8020000000000000 */
    uint64_t ft = 132479638492175625ull;                        /* 2020-10-23T21:57:29.2175625Z */
    uint8_t ftb[8], idb[8];
    for (int i = 0; i < 8; i++) {
        ftb[i] = (uint8_t)(ft >> (8 * i));
        idb[i] = (uint8_t)(id >> (8 * i));
    }
    static const uint8_t i8[] = {0x80};
    static const uint8_t i16[] = {0xFF, 0xFF};
    static const uint8_t i32[] = {0, 0, 0, 0x80};
    static const uint8_t i64[] = {42, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t u8[] = {200};
    static const uint8_t hex32[] = {0x1F, 0, 0, 0};
    static const uint8_t bl[] = {1, 0, 0, 0};
    static const uint8_t sz[] = {0, 1, 0, 0, 0, 0, 0, 0};
    static const uint8_t st[] = {0xE5, 0x07, 2, 0, 3, 0, 3, 0, 4, 0, 5, 0, 6, 0, 0x15, 0x03};
    static const uint8_t bin[] = {0xDE, 0xAD, 0xBE, 0xEF};
    static const uint8_t arr[] = {'a', 0, 0, 0, 'b', 0, '&', 0, 'c', 0, 0, 0};
    static const uint8_t u16arr[] = {1, 0, 2, 0};
    static const uint8_t ansi[] = {'c', 'a', 'f', 0xE9, ' ', 0x80};
    static const uint8_t nl[] = {'\n', 0};
    static const uint8_t esc[] = {'a', 0, '&', 0, 'b', 0, '<', 0, 'c', 0, '>', 0, '\r', 0,
                                  '\n', 0, 'd', 0, '\r', 0, 'e', 0, 0xE9, 0, 0x3D, 0xD8,
                                  0x00, 0xDE, 0x00, 0xDC, '"', 0, 0, 0, 'X', 0};
    const ev_value_desc v[] = {
        {0x01, prov, sizeof prov}, {0x0F, guid, 16},          {0x06, evid, 2},
        {0x15, kw, 8},             {0x11, ftb, 8},            {0x0A, idb, 8},
        {0x00, NULL, 0},           {0x01, ch, chlen},         {0x13, sid, sizeof sid},
        {0x03, i8, 1},             {0x05, i16, 2},            {0x07, i32, 4},
        {0x09, i64, 8},            {0x04, u8, 1},             {0x14, hex32, 4},
        {0x0D, bl, 4},             {0x10, sz, 8},             {0x12, st, 16},
        {0x0E, bin, 4},            {0x81, arr, sizeof arr},   {0x86, u16arr, 4},
        {0x00, NULL, 0},           {0x01, NULL, 0},           {0x02, ansi, sizeof ansi},
        {0x01, nl, 2},             {0x01, esc, sizeof esc}};
    ev_values(c, v, sizeof v / sizeof v[0]);
}

static const char *const expect_main =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Prov &amp; Co' Guid='{04030201-0605-0807-090A-0B0C0D0E0F10}'/>"
    "<EventID>4698</EventID><Keywords>0x8020000000000000</Keywords>"
    "<TimeCreated SystemTime='2020-10-23T21:57:29.217562500Z'/><EventRecordID>%llu</EventRecordID>"
    "<Correlation/><Channel>%s</Channel><Security UserID='S-1-5-21-1-2-3-500'/></System>"
    "<EventData><Data Name='i8'>-128</Data><Data Name='i16'>-32767</Data>"
    "<Data Name='i32'>-2147483648</Data><Data Name='i64'>42</Data><Data Name='u8'>200</Data>"
    "<Data Name='hex32'>0x0000001f</Data><Data Name='bool'>true</Data><Data Name='size'>256</Data>"
    "<Data Name='systime'>2021-02-03T04:05:06.789Z</Data><Data Name='bin'>DEADBEEF</Data>"
    "<Data Name='arr'>a</Data><Data Name='arr'>b&amp;c</Data>"
    "<Data Name='u16arr'>1</Data><Data Name='u16arr'>2</Data><Data Name='empty'/>"
    "<Data Name='text'>x&lt;y &amp; 'z'\n</Data><Data Name='ansi'>caf\xc3\xa9 \xe2\x82\xac</Data>"
    "<Data Name='nl'/>"
    /* libevtx's surrogate formula puts U+1F600 0x3FF low: U+1F201; a lone
     * low surrogate is U+FFFD; the string ends at its NUL */
    "<Data Name='esc'>a&amp;b&lt;c&gt;\nd\ne\xc3\xa9\xf0\x9f\x88\x81\xef\xbf\xbd\"</Data>"
    "</EventData></Event>";

/* Record 3's template: Event with a BinXml substitution holding a fragment
 * whose own template instance renders <UserData xmlns='urn:x'><Info a='5'>hi</Info></UserData>. */
static void binxml_record(ev_chunk *c, uint64_t id)
{
    size_t r = ev_rec_begin(c, id);
    ev_frag(c);
    size_t def = 0;
    size_t dsz = ev_tmpl_inline(c, &def);
    size_t ev = ev_open(c, "Event", 1, 1);
    size_t a = ev_attrs_begin(c);
    ev_attr(c, "xmlns");
    ev_text(c, NS);
    ev_attrs_end(c, a);
    ev_close_start(c);
    size_t sys = ev_open(c, "System", 0, 1);
    ev_close_start(c);
    size_t e = ev_open(c, "EventRecordID", 0, 1);
    ev_close_start(c);
    ev_sub(c, 0, 0x0A, 0);
    ev_end(c, e);
    e = ev_open(c, "Channel", 0, 1);
    ev_close_start(c);
    ev_sub(c, 1, 0x01, 0);
    ev_end(c, e);
    ev_end(c, sys);
    ev_sub(c, 2, 0x21, 1);
    ev_end(c, ev);
    ev_def_end(c, dsz);
    /* values: count, descriptors, then data; the BinXml value is written in
     * place (its inline definition offset is absolute) and its size patched */
    ev_u32(c, 3);
    ev_u16(c, 8);
    ev_u8(c, 0x0A);
    ev_u8(c, 0);
    ev_u16(c, 22);
    ev_u8(c, 0x01);
    ev_u8(c, 0);
    size_t bsz = c->n;
    ev_u16(c, 0);
    ev_u8(c, 0x21);
    ev_u8(c, 0);
    ev_u64(c, id);
    ev_utf16(c, "Application");
    size_t b0 = c->n;
    ev_frag(c);
    size_t def2 = 0;
    size_t dsz2 = ev_tmpl_inline(c, &def2);
    size_t ud = ev_open(c, "UserData", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "xmlns");
    ev_text(c, "urn:x");
    ev_attrs_end(c, a);
    ev_close_start(c);
    e = ev_open(c, "Info", 1, 1);
    a = ev_attrs_begin(c);
    ev_attr(c, "a");
    ev_sub(c, 0, 0x08, 0);
    ev_attrs_end(c, a);
    ev_close_start(c);
    ev_sub(c, 1, 0x01, 0);
    ev_end(c, e);
    ev_end(c, ud);
    ev_def_end(c, dsz2);
    static const uint8_t five[] = {5, 0, 0, 0};
    static const uint8_t hi[] = {'h', 0, 'i', 0};
    const ev_value_desc v2[] = {{0x08, five, 4}, {0x01, hi, 4}};
    ev_values(c, v2, 2);
    c->d[bsz] = (uint8_t)(c->n - b0);
    c->d[bsz + 1] = (uint8_t)((c->n - b0) >> 8);
    ev_eof(c);
    ev_rec_end(c, r);
}

/* A chunk of: record 7 (inline definition), 8 (shared definition),
 * 9 (BinXml substitution), 10 (a substitution index out of range). */
static void build_chunk(ev_chunk *c)
{
    static const uint8_t sec[] = {'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'i', 0, 't', 0, 'y', 0};
    static const uint8_t sys[] = {'S', 0, 'y', 0, 's', 0, 't', 0, 'e', 0, 'm', 0};
    ev_chunk_init(c, 7);
    size_t r = ev_rec_begin(c, 7);
    ev_frag(c);
    size_t def = 0;
    size_t dsz = ev_tmpl_inline(c, &def);
    main_definition(c);
    ev_def_end(c, dsz);
    main_values(c, 7, sec, sizeof sec);
    ev_eof(c);
    ev_rec_end(c, r);
    r = ev_rec_begin(c, 8);
    ev_frag(c);
    ev_tmpl_shared(c, def);
    main_values(c, 8, sys, sizeof sys);
    ev_eof(c);
    ev_rec_end(c, r);
    binxml_record(c, 9);
    /* record 10: the shared definition with only 3 values */
    r = ev_rec_begin(c, 10);
    ev_frag(c);
    ev_tmpl_shared(c, def);
    static const uint8_t one[] = {1, 0};
    const ev_value_desc v[] = {{0x01, sec, sizeof sec}, {0x0F, guid, 16}, {0x06, one, 2}};
    ev_values(c, v, 3);
    ev_eof(c);
    ev_rec_end(c, r);
    ev_chunk_finish(c);
}

static void test_evtx_value_types_and_templates(void **state)
{
    (void)state;
    static ev_chunk c;
    build_chunk(&c);
    char *p = tmp_path("types.evtx");
    assert_int_equal(ev_file_write(p, &c, 1), 0);
    tl_buf out = TL_BUF_INIT, dmg = TL_BUF_INIT, want = TL_BUF_INIT;
    size_t damaged = 0;
    assert_int_equal(read_all(p, &out, &damaged, &dmg), TL_OK);
    tl_buf_printf(&want, expect_main, 7ull, "Security");
    tl_buf_putc(&want, '\n');
    tl_buf_printf(&want, expect_main, 8ull, "System");
    tl_buf_putc(&want, '\n');
    tl_buf_printf(&want, "<Event xmlns='%s'><System><EventRecordID>9</EventRecordID>"
                         "<Channel>Application</Channel></System><UserData><Info a='5'>hi</Info>"
                         "</UserData></Event>\n",
                  NS);
    assert_string_equal(tl_buf_cstr(&out), tl_buf_cstr(&want));
    /* record 10 is reported with its number, and the rest replayed */
    assert_int_equal(damaged, 1);
    assert_non_null(strstr(tl_buf_cstr(&dmg), "record 4"));
    assert_non_null(strstr(tl_buf_cstr(&dmg), "EventRecordID 10"));
    unlink(p);
    free(p);
    tl_buf_free(&out);
    tl_buf_free(&dmg);
    tl_buf_free(&want);
}

static void test_evtx_checksum_and_cut(void **state)
{
    (void)state;
    static ev_chunk c;
    build_chunk(&c);
    /* a flipped byte near the end of record 9: the record checksum fails,
     * the chunk is reported and its records are still tried one by one */
    c.d[c.last_rec - 40] ^= 0x01;
    char *p = tmp_path("crc.evtx");
    assert_int_equal(ev_file_write(p, &c, 1), 0);
    tl_buf out = TL_BUF_INIT, dmg = TL_BUF_INIT;
    size_t damaged = 0;
    assert_int_equal(read_all(p, &out, &damaged, &dmg), TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&dmg), "chunk 1: record checksum mismatch"));
    assert_non_null(strstr(tl_buf_cstr(&out), "<EventRecordID>7</EventRecordID>"));
    /* cut in the middle of the third record: the first two are replayed */
    build_chunk(&c);
    assert_int_equal(ev_file_write(p, &c, 1), 0);
    size_t first2 = 4096 + 512;
    {
        /* offset of record 9 = after records 7 and 8 */
        size_t off = 512;
        for (int i = 0; i < 2; i++)
            off += (size_t)c.d[off + 4] | ((size_t)c.d[off + 5] << 8);
        first2 = 4096 + off + 40;
    }
    assert_int_equal(truncate(p, (off_t)first2), 0);
    tl_buf_reset(&out);
    tl_buf_reset(&dmg);
    assert_int_equal(read_all(p, &out, &damaged, &dmg), TL_OK);
    assert_non_null(strstr(tl_buf_cstr(&out), "<EventRecordID>8</EventRecordID>"));
    assert_null(strstr(tl_buf_cstr(&out), "<EventRecordID>9</EventRecordID>"));
    assert_non_null(strstr(tl_buf_cstr(&dmg), "cut short"));
    /* cut inside the chunk header: nothing readable, exit 2 territory */
    assert_int_equal(truncate(p, 4096 + 300), 0);
    tl_buf_reset(&out);
    tl_buf_reset(&dmg);
    assert_int_equal(read_all(p, &out, &damaged, &dmg), TL_E_PARSE);
    assert_non_null(strstr(tl_buf_cstr(&dmg), "no record could be read"));
    unlink(p);
    free(p);
    tl_buf_free(&out);
    tl_buf_free(&dmg);
}

/* Hostile nesting: a template whose Event holds its BinXml value twice,
 * that value a fragment instantiating the same template again, 200 levels
 * deep (each level's values follow its instance, so the chain is data, not
 * a loop). Depth and work limits stop it: reported, never a crash or a
 * 2^200 walk. */
static void test_evtx_hostile_recursion(void **state)
{
    (void)state;
    static ev_chunk c;
    ev_chunk_init(&c, 1);
    size_t r = ev_rec_begin(&c, 1);
    ev_frag(&c);
    size_t def = 0;
    size_t dsz = ev_tmpl_inline(&c, &def);
    size_t ev = ev_open(&c, "Event", 0, 1);
    ev_close_start(&c);
    ev_sub(&c, 0, 0x21, 1);
    ev_sub(&c, 0, 0x21, 1);
    ev_end(&c, ev);
    ev_def_end(&c, dsz);
    ev_u32(&c, 1);
    ev_u16(&c, 22);
    ev_u8(&c, 0x21);
    ev_u8(&c, 0);
    for (int level = 0; level < 200; level++) {
        ev_frag(&c);
        ev_tmpl_shared(&c, def);
        ev_u32(&c, 1);
        ev_u16(&c, 22);
        ev_u8(&c, 0x21);
        ev_u8(&c, 0);
    }
    ev_eof(&c);
    ev_rec_end(&c, r);
    ev_chunk_finish(&c);
    char *p = tmp_path("loop.evtx");
    assert_int_equal(ev_file_write(p, &c, 1), 0);
    tl_buf out = TL_BUF_INIT, dmg = TL_BUF_INIT;
    size_t damaged = 0;
    assert_int_equal(read_all(p, &out, &damaged, &dmg), TL_E_PARSE); /* its only record */
    assert_non_null(strstr(tl_buf_cstr(&dmg), "record 1"));
    assert_non_null(strstr(tl_buf_cstr(&dmg), "deeper than tasklab allows"));
    unlink(p);
    free(p);
    tl_buf_free(&out);
    tl_buf_free(&dmg);
}

/* Seeds for tests/fuzz/corpus/evtx: the chunk bodies (after "ElfChnk\0")
 * of the synthetic chunks, and one whole intact file. */
static int write_seed(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_corpus(const char *dir)
{
    static ev_chunk c;
    int bad = 0;
    build_chunk(&c);
    char file[512];
    snprintf(file, sizeof file, "%s/intact.evtx", dir);
    bad |= ev_file_write(file, &c, 1);
    bad |= write_seed(dir, "chunk-types", c.d + 8, c.n - 8);
    ev_chunk_init(&c, 9);
    binxml_record(&c, 9);
    ev_chunk_finish(&c);
    bad |= write_seed(dir, "chunk-binxml", c.d + 8, c.n - 8);
    return bad ? 1 : 0;
}

int main(void)
{
    const char *corpus = getenv("TL_EVTX_CORPUS_DIR");
    if (corpus)
        return write_corpus(corpus);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evtx_value_types_and_templates),
        cmocka_unit_test(test_evtx_checksum_and_cut),
        cmocka_unit_test(test_evtx_hostile_recursion),
    };
    return cmocka_run_group_tests_name("evtx", tests, NULL, NULL);
}
