/* SPDX-License-Identifier: MIT */
/*
 * Containment tests (issue 10, filesystem part): what a hostile scenario or a
 * hostile file inside the drive folder can do to the host. Each test builds a
 * scratch folder T = <tmp>/contain.XXXXXX with T/drive (the endpoint's C:) and
 * T/outside (files nobody may touch), runs the simulator or the walk, and
 * checks that T/outside is untouched and that every failure names its cause.
 */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ar_fs_int.h"
#include "tasklab/base.h"
#include "tasklab/scenario.h"
#include "tasklab/sim.h"

#define ETC TL_SOURCE_DIR "/pipeline/etc"

/* ---- scratch folders ------------------------------------------------------------ */

typedef struct scratch {
    char root[512];
    char drive[600];
    char outside[600];
} scratch;

static void scratch_new(scratch *s)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s->root, sizeof s->root, "%s/contain.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(s->root));
    snprintf(s->drive, sizeof s->drive, "%s/drive", s->root);
    snprintf(s->outside, sizeof s->outside, "%s/outside", s->root);
    assert_int_equal(mkdir(s->drive, 0700), 0);
    assert_int_equal(mkdir(s->outside, 0700), 0);
}

static void scratch_free(scratch *s)
{
    char *slash = strrchr(s->root, '/');
    *slash = '\0';
    tl_walk_remove(s->root, slash + 1, 0, NULL);
}

static int exists(const char *dir, const char *rel)
{
    char p[1200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return lstat(p, &sb) == 0;
}

static void put(const char *dir, const char *rel, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static size_t count_entries(const char *dir)
{
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned long n = 0;
    assert_int_equal(fscanf(p, "%lu", &n), 1);
    pclose(p);
    return n;
}

/* ---- scenarios ------------------------------------------------------------------- */

static char *scen_json(const char *name, const char *steps)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b,
                  "{\"name\":\"%s\",\"title\":\"test\",\"kind\":\"attack\","
                  "\"endpoint\":{\"hostname\":\"DESKTOP-4E0BQFT\",\"users\":[{\"name\":\"alice\","
                  "\"admin\":true},{\"name\":\"bob\"}]},"
                  "\"start\":\"2022-04-13T11:59:41.000Z\",\"seed\":7,\"steps\":%s}",
                  name, steps);
    return tl_buf_take(&b);
}

/* Run every step of a scenario with drive_c = drive; returns the first
 * failing status (d says why) or TL_OK. */
static tl_status run_scenario(const char *drive, const char *steps, tl_diag *d)
{
    tl_scenario *sc = NULL;
    tl_sim *sim = NULL;
    char *j = scen_json("t", steps);
    assert_non_null(j);
    tl_diag_clear(d);
    tl_status st = tl_scenario_load_mem("scenarios/t.json", j, strlen(j), &sc, d);
    tl_free(j);
    if (st != TL_OK)
        return st;
    tl_sim_opts o = {ETC, NULL, NULL, drive};
    st = tl_sim_new(sc, &o, &sim, d);
    for (size_t i = 0; st == TL_OK && i < tl_sim_step_count(sim); i++) {
        st = tl_sim_run_step(sim, i, d);
        tl_record rec;
        while (tl_sim_next_record(sim, &rec))
            ;
    }
    tl_sim_free(sim);
    tl_scenario_free(sc);
    return st;
}

static void file_step(tl_buf *b, double at, const char *op, const char *path)
{
    tl_buf_printf(b, "%s{\"at\":%g,\"user\":\"alice\",\"file\":{\"op\":\"%s\",\"path\":", b->len > 1 ? "," : "",
                  at, op);
    tl_buf_json_str(b, path);
    if (!strcmp(op, "write"))
        tl_buf_puts(b, ",\"content\":\"owned\"");
    tl_buf_puts(b, "}}");
}

/* ---- 1: scenario names ------------------------------------------------------------ */

static void expect_name(const char *name, int ok)
{
    char *j = scen_json(name, "[]");
    char path[300];
    snprintf(path, sizeof path, "x/%s.json", name);
    tl_scenario *sc = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_scenario_load_mem(path, j, strlen(j), &sc, &d);
    tl_free(j);
    if (ok) {
        if (st != TL_OK)
            print_error("name \"%s\" refused: %s\n", name, d.msg);
        assert_int_equal(st, TL_OK);
    } else {
        assert_int_equal(st, TL_E_PARSE);
        assert_non_null(strstr(d.msg, "$.name: invalid scenario name"));
        assert_non_null(strstr(d.msg, "[A-Za-z0-9][A-Za-z0-9._-]*"));
    }
    tl_scenario_free(sc);
}

static void test_contain_scenario_names(void **state)
{
    (void)state;
    expect_name("..", 0);
    expect_name(".", 0);
    expect_name(".hidden", 0);
    expect_name("-x", 0);
    expect_name("a b", 0);
    expect_name("a\\\\b", 0);
    expect_name("seed-test-task", 1);
    expect_name("A1.b_c-d", 1);
}

/* ---- 2: endpoint paths --------------------------------------------------------------- */

static void test_contain_dotdot_clamped_at_drive_root(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    put(s.outside, "keep.txt", "keep");
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '[');
    /* drive is T/drive: one ".." would be T, two T/.. */
    file_step(&b, 0, "write", "C:\\..\\outside\\keep.txt");
    file_step(&b, 1, "write", "C:\\..\\..\\..\\..\\..\\..\\outside\\new.txt");
    file_step(&b, 2, "delete", "C:\\..\\outside\\keep.txt");
    file_step(&b, 3, "write", "c:\\Data. \\.\\...\\x.txt. ");
    file_step(&b, 4, "write", "C:\\DATA\\y.txt");
    file_step(&b, 5, "write", "C:\\data\\sub\\..\\..\\..\\z.txt");
    file_step(&b, 6, "write", "Z:\\..\\outside\\other-drive.txt");
    tl_buf_putc(&b, ']');
    tl_diag d;
    tl_status st = run_scenario(s.drive, tl_buf_cstr(&b), &d);
    if (st != TL_OK)
        print_error("%s\n", d.msg);
    assert_int_equal(st, TL_OK);
    /* nothing outside changed */
    assert_true(exists(s.outside, "keep.txt"));
    assert_int_equal(count_entries(s.outside), 1);
    assert_int_equal(count_entries(s.root), 2 + count_entries(s.outside) + count_entries(s.drive));
    /* where Windows puts them */
    assert_true(exists(s.drive, "outside/new.txt"));
    assert_false(exists(s.drive, "outside/keep.txt"));
    assert_true(exists(s.drive, "Data/x.txt"));
    assert_true(exists(s.drive, "Data/y.txt")); /* case folded into the existing folder */
    assert_false(exists(s.drive, "DATA"));
    assert_true(exists(s.drive, "z.txt"));
    /* another drive is not mirrored at all */
    assert_false(exists(s.drive, "outside/other-drive.txt"));
    assert_false(exists(s.drive, "other-drive.txt"));
    tl_buf_free(&b);
    scratch_free(&s);
}

static void test_contain_cmd_redirect_clamped(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    const char *steps = "[{\"at\":0,\"user\":\"alice\",\"parent\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
                        "\"command\":\"cmd /c echo x > C:\\\\..\\\\..\\\\outside\\\\redir.txt\"}]";
    tl_diag d;
    tl_status st = run_scenario(s.drive, steps, &d);
    if (st != TL_OK)
        print_error("%s\n", d.msg);
    assert_int_equal(st, TL_OK);
    assert_int_equal(count_entries(s.outside), 0);
    assert_true(exists(s.drive, "outside/redir.txt"));
    scratch_free(&s);
}

static void test_contain_symlink_in_drive_never_followed(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    char link[700];
    snprintf(link, sizeof link, "%s/evil", s.drive);
    assert_int_equal(symlink(s.outside, link), 0);
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '[');
    file_step(&b, 0, "write", "C:\\EVIL\\x.txt");
    tl_buf_putc(&b, ']');
    tl_diag d;
    tl_status st = run_scenario(s.drive, tl_buf_cstr(&b), &d);
    assert_int_not_equal(st, TL_OK);
    assert_non_null(strstr(d.msg, "$.steps[0].file:"));
    assert_non_null(strstr(d.msg, "symbolic link"));
    assert_int_equal(count_entries(s.outside), 0);
    tl_buf_free(&b);
    /* a final component that is a link is replaced, not written through */
    snprintf(link, sizeof link, "%s/victim.txt", s.drive);
    put(s.outside, "victim.txt", "keep");
    char target[700];
    snprintf(target, sizeof target, "%s/victim.txt", s.outside);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(tl_walk_write(s.drive, "victim.txt", TL_WALK_FOLD, "new", 3, NULL), TL_OK);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_file_read(target, &data, &len, NULL), TL_OK);
    assert_string_equal(data, "keep");
    tl_free(data);
    /* removal of a tree holding a link leaves the link's target alone */
    assert_int_equal(tl_walk_remove(s.root, "drive", 0, NULL), TL_OK);
    assert_true(exists(s.outside, "victim.txt"));
    assert_int_equal(mkdir(s.drive, 0700), 0);
    scratch_free(&s);
}

static void test_contain_walk_refuses_dot_components(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_walk_write(s.drive, "a/../../outside/x", TL_WALK_CREATE, "x", 1, &d),
                     TL_E_INVAL);
    assert_non_null(strstr(d.msg, "\"..\""));
    assert_int_equal(tl_walk_write(s.drive, ".", TL_WALK_CREATE, "x", 1, NULL), TL_E_INVAL);
    assert_int_equal(tl_walk_remove(s.drive, "..", 0, NULL), TL_E_INVAL);
    assert_int_equal(tl_walk_remove(s.drive, "", 0, NULL), TL_E_INVAL);
    assert_int_equal(count_entries(s.outside), 0);
    scratch_free(&s);
}

/* The memory drive (base memdrive.c: the replay's drive for the inproc AR and
 * the recording's mirror) behaves as the host walk, operation by operation:
 * the same statuses, kinds and bytes for the same sequence, case folding
 * (exact match first, else the smallest by byte order), missing folders on
 * the way, folders read as files, tree removal, ".." refused; and nothing is
 * created on the host. */
static void test_contain_memdrive_as_walk(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    tl_memdrive *m = NULL;
    assert_int_equal(tl_memdrive_new("(memory drive)", &m), TL_OK);
    const unsigned F = TL_WALK_FOLD, FC = TL_WALK_FOLD | TL_WALK_CREATE;
    struct {
        char op; /* w write, a append, m mkdir, r remove, R read */
        const char *rel;
        unsigned flags;
        const char *data;
    } ops[] = {
        {'w', "Windows/System32/Tasks/Foo", FC, "one"},
        {'R', "windows\\SYSTEM32\\tasks\\foo", F, NULL},
        {'R', "windows/System32/Tasks/Foo", 0, NULL}, /* no FOLD: missing */
        {'w', "WINDOWS/system32/TASKS/FOO", FC, "two"}, /* lands on Foo */
        {'R', "Windows/System32/Tasks/Foo", 0, NULL},
        {'w', "Windows/System32/Tasks/foo", 0, "three"}, /* exact: a second file */
        {'R', "Windows/System32/Tasks/FOO", F, NULL},   /* smallest: "Foo" */
        {'R', "Windows/System32/Tasks/foo", F, NULL},   /* exact wins */
        {'a', "Program Files (x86)/ossec-agent/logs/x.log", F, "l1\n"}, /* no folder */
        {'m', "Program Files (x86)/ossec-agent/logs", F, NULL},
        {'a', "program files (x86)/OSSEC-AGENT/logs/x.log", F, "l1\n"},
        {'a', "Program Files (x86)/ossec-agent/LOGS/X.LOG", F, "l2\n"},
        {'R', "Program Files (x86)/ossec-agent/logs/x.log", F, NULL},
        {'R', "Windows/System32/Tasks", F, NULL}, /* a folder */
        {'a', "Windows/System32/Tasks", F, "x"},
        {'w', "Windows/System32/Tasks/Foo/sub", FC, "x"}, /* a file on the way */
        {'m', "Windows/System32/Tasks/Foo", F, NULL},    /* exists, not a folder */
        {'w', "Windows/../x", FC, "x"},
        {'R', "..", F, NULL},
        {'r', "", 0, NULL},
        {'r', "windows/system32/tasks", F, NULL}, /* the tree */
        {'R', "Windows/System32/Tasks/Foo", F, NULL},
        {'R', "Windows/System32", F, NULL},
        {'r', "Windows/nothing/here", F, NULL},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        tl_status a = TL_OK, b = TL_OK;
        char *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        int ka = -1, kb = -1;
        size_t dl = ops[i].data ? strlen(ops[i].data) : 0;
        switch (ops[i].op) {
        case 'w':
            a = tl_walk_write(s.drive, ops[i].rel, ops[i].flags, ops[i].data, dl, NULL);
            b = tl_memdrive_write(m, ops[i].rel, ops[i].flags, ops[i].data, dl, NULL);
            break;
        case 'a':
            a = tl_walk_append(s.drive, ops[i].rel, ops[i].flags, ops[i].data, dl, NULL);
            b = tl_memdrive_append(m, ops[i].rel, ops[i].flags, ops[i].data, dl, NULL);
            break;
        case 'm':
            a = tl_walk_mkdir(s.drive, ops[i].rel, ops[i].flags, NULL);
            b = tl_memdrive_mkdir(m, ops[i].rel, ops[i].flags, NULL);
            break;
        case 'r':
            a = tl_walk_remove(s.drive, ops[i].rel, ops[i].flags, NULL);
            b = tl_memdrive_remove(m, ops[i].rel, ops[i].flags, NULL);
            break;
        default:
            a = tl_walk_read(s.drive, ops[i].rel, ops[i].flags, 4096, &da, &la, &ka, NULL);
            b = tl_memdrive_read(m, ops[i].rel, ops[i].flags, 4096, &db, &lb, &kb, NULL);
            break;
        }
        if (a != b || ka != kb || (a == TL_OK && ops[i].op == 'R' &&
                                   (la != lb || memcmp(da, db, la))))
            fail_msg("op %zu (%c %s): walk %d kind %d '%s', memory drive %d kind %d '%s'", i,
                     ops[i].op, ops[i].rel, a, ka, da ? da : "", b, kb, db ? db : "");
        tl_free(da);
        tl_free(db);
    }
    /* the file contents the two drives end with */
    size_t len = 0;
    const char *log = tl_memdrive_peek(m, "PROGRAM FILES (X86)/ossec-agent/logs/x.log", F, &len,
                                       NULL);
    assert_non_null(log);
    assert_int_equal(len, 6);
    assert_memory_equal(log, "l1\nl2\n", 6);
    assert_int_equal(count_entries(s.outside), 0);
    tl_memdrive_free(m);
    scratch_free(&s);
}

/* The AR reads task files through the same walk: a link or a FIFO in the
 * Tasks folder is refused at once (no hang, nothing outside is read). */
static void test_contain_ar_task_file_link_and_fifo(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    assert_int_equal(tl_walk_mkdir(s.drive, "Windows/System32/Tasks", TL_WALK_CREATE, NULL),
                     TL_OK);
    put(s.outside, "secret.xml", "<Task>secret</Task>");
    char p[800], t[800];
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/linked", s.drive);
    snprintf(t, sizeof t, "%s/secret.xml", s.outside);
    assert_int_equal(symlink(t, p), 0);
    snprintf(p, sizeof p, "%s/Windows/System32/Tasks/fifo", s.drive);
    assert_int_equal(mkfifo(p, 0600), 0);
    put(s.drive, "Windows/System32/Tasks/real", "<Task/>");
    char *data = NULL;
    size_t len = 0;
    int kind = -1;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_arfs_read_drive(s.drive, "C:\\Windows\\System32\\Tasks\\linked", 4096,
                                        &data, &len, &kind, &d),
                     TL_E_IO);
    assert_null(data);
    assert_non_null(strstr(d.msg, "symbolic link"));
    time_t t0 = time(NULL);
    tl_diag_clear(&d);
    assert_int_equal(tl_arfs_read_drive(s.drive, "C:\\Windows\\System32\\Tasks\\fifo", 4096, &data,
                                        &len, &kind, &d),
                     TL_E_IO);
    assert_true(time(NULL) - t0 < 5);
    assert_non_null(strstr(d.msg, "not a regular file"));
    assert_int_equal(tl_arfs_read_drive(s.drive, "C:\\WINDOWS\\system32\\tasks\\REAL", 4096, &data,
                                        &len, &kind, NULL),
                     TL_OK);
    assert_string_equal(data, "<Task/>");
    tl_free(data);
    data = NULL;
    assert_int_equal(tl_arfs_read_drive(s.drive, "C:\\Windows\\System32\\Tasks\\real", 3, &data,
                                        &len, &kind, NULL),
                     TL_E_LIMIT);
    assert_int_equal(tl_arfs_read_drive(s.drive, "C:\\Windows\\System32\\Tasks", 4096, &data, &len,
                                        &kind, NULL),
                     TL_E_NOTFOUND);
    assert_int_equal(kind, TL_ARFS_FOLDER);
    scratch_free(&s);
}

/* ---- 6: every failure says what and why ------------------------------------------------ */

static void test_contain_drive_root_is_not_a_file(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    tl_buf b = TL_BUF_INIT;
    tl_buf_putc(&b, '[');
    file_step(&b, 0, "write", "C:\\..");
    tl_buf_putc(&b, ']');
    tl_diag d;
    assert_int_equal(run_scenario(s.drive, tl_buf_cstr(&b), &d), TL_E_INVAL);
    assert_non_null(strstr(d.msg, "$.steps[0].file: C:\\.. is the drive root, not a file"));
    tl_buf_free(&b);
    scratch_free(&s);
}

static void test_contain_full_disk_is_reported(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    /* a file size limit plays a full disk: write(2) fails with EFBIG */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":\"C:\\\\big.bin\","
                    "\"content\":\"");
    for (int i = 0; i < 8192; i++)
        tl_buf_putc(&b, 'A');
    tl_buf_puts(&b, "\"}}]");
    tl_diag d;
    tl_status st = run_scenario(s.drive, tl_buf_cstr(&b), &d);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(st, TL_E_IO);
    assert_non_null(strstr(d.msg, "$.steps[0].file:"));
    assert_non_null(strstr(d.msg, "big.bin"));
    assert_non_null(strstr(d.msg, strerror(EFBIG)));
    tl_buf_free(&b);
    scratch_free(&s);
}

static void test_contain_out_of_memory_is_reported(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    const char *steps = "[{\"at\":0,\"user\":\"alice\",\"file\":{\"op\":\"write\",\"path\":"
                        "\"C:\\\\Users\\\\alice\\\\x\\\\y.txt\",\"content\":\"x\"}},"
                        "{\"at\":1,\"user\":\"alice\",\"parent\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
                        "\"command\":\"cmd /c echo x > C:\\\\r.txt\"}]";
    int failures = 0;
    for (long n = 1; n < 100000; n++) {
        tl_diag d;
        tl_diag_clear(&d);
        char *j = scen_json("t", steps);
        tl_scenario *sc = NULL;
        tl_sim *sim = NULL;
        tl_status st = tl_scenario_load_mem("scenarios/t.json", j, strlen(j), &sc, &d);
        tl_free(j);
        assert_int_equal(st, TL_OK);
        tl_sim_opts o = {ETC, NULL, NULL, s.drive};
        st = tl_sim_new(sc, &o, &sim, &d);
        if (st == TL_OK) {
            tl_alloc_fail_at(n);
            for (size_t i = 0; st == TL_OK && i < tl_sim_step_count(sim); i++)
                st = tl_sim_run_step(sim, i, &d);
            tl_alloc_fail_at(0);
        }
        tl_sim_free(sim);
        tl_scenario_free(sc);
        if (st == TL_OK)
            break;
        failures++;
        if (!d.msg[0])
            print_error("allocation %ld: status %d with an empty message\n", n, (int)st);
        assert_true(d.msg[0] != '\0');
    }
    assert_true(failures > 10);
    scratch_free(&s);
}

/* ---- 3: outputs written through links and special files ------------------------------ */

static void test_contain_atomic_write_keeps_links_and_fifos(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    char target[800], link[800], fifo[800], dangling[800];
    snprintf(target, sizeof target, "%s/real.xml", s.outside);
    snprintf(link, sizeof link, "%s/link.xml", s.drive);
    put(s.outside, "real.xml", "old");
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(tl_file_write_atomic(link, "new", 3, NULL), TL_OK);
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode)); /* the link stays a link */
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_file_read(target, &data, &len, NULL), TL_OK);
    assert_string_equal(data, "new"); /* its target got the bytes */
    tl_free(data);
    /* a dangling link: its target is created */
    snprintf(dangling, sizeof dangling, "%s/d.xml", s.drive);
    snprintf(target, sizeof target, "%s/created.xml", s.outside);
    assert_int_equal(symlink(target, dangling), 0);
    assert_int_equal(tl_file_write_atomic(dangling, "x", 1, NULL), TL_OK);
    assert_int_equal(lstat(dangling, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_true(exists(s.outside, "created.xml"));
    /* a FIFO is written into, never replaced */
    snprintf(fifo, sizeof fifo, "%s/fifo", s.drive);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int rfd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rfd >= 0);
    assert_int_equal(tl_file_write_atomic(fifo, "through", 7, NULL), TL_OK);
    char buf[16] = {0};
    assert_int_equal(read(rfd, buf, sizeof buf - 1), 7);
    assert_string_equal(buf, "through");
    close(rfd);
    assert_int_equal(lstat(fifo, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    /* a folder is an error */
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_file_write_atomic(s.outside, "x", 1, &d), TL_E_IO);
    assert_non_null(strstr(d.msg, "folder"));
    scratch_free(&s);
}

/* ---- 4: one run per output folder; private temporary folders --------------------------- */

static void test_contain_dir_lock_and_private_tempdir(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    int a = -1, b = -1;
    tl_diag d;
    tl_diag_clear(&d);
    assert_int_equal(tl_dir_lock(s.drive, &a, &d), TL_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* another process: refused with a clear message */
        tl_diag d2;
        tl_diag_clear(&d2);
        int c = -1;
        _exit(tl_dir_lock(s.drive, &c, &d2) == TL_E_INVAL &&
                      strstr(d2.msg, "another tasklab run is writing into this folder")
                  ? 0
                  : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tl_dir_unlock(a);
    assert_int_equal(tl_dir_lock(s.drive, &b, NULL), TL_OK);
    tl_dir_unlock(b);

    char old[600];
    const char *t = getenv("TMPDIR");
    snprintf(old, sizeof old, "%s", t ? t : "");
    setenv("TMPDIR", s.outside, 1);
    char dir[700];
    int lk = -1;
    assert_int_equal(tl_tempdir_new(dir, sizeof dir, &lk, NULL), TL_OK);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    /* a live owner: the cleaner leaves it alone */
    assert_int_equal(tl_clean_stale(s.outside), 0);
    assert_int_equal(tl_tempdir_free(dir, lk), TL_OK);
    assert_int_equal(count_entries(s.outside), 0);
    if (old[0])
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    scratch_free(&s);
}

/* ---- 8: killed runs and blesses ------------------------------------------------------------- */

static void test_contain_clean_stale_only_ours(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    /* what dead runs left */
    char p[800];
    snprintf(p, sizeof p, "%s/tasklab-Dead01", s.outside);
    assert_int_equal(mkdir(p, 0700), 0);
    put(s.outside, "tasklab-Dead01/owner.lock", "");
    assert_int_equal(mkdir(strcat(p, "/drive_c"), 0700), 0);
    put(s.outside, "tasklab-Dead01/drive_c/x", "x");
    put(s.outside, "alerts.json.999999999.tmp~", "half");
    /* what is not ours, or not dead */
    snprintf(p, sizeof p, "%s/tasklab-NoLock", s.outside);
    assert_int_equal(mkdir(p, 0700), 0);
    put(s.outside, "keep.tmp~", "x");
    char mine[100];
    snprintf(mine, sizeof mine, "alerts.json.%ld.tmp~", (long)getpid());
    put(s.outside, mine, "live");
    put(s.outside, "tasklab-notes.txt", "x");
    assert_int_equal(tl_clean_stale(s.outside), 2);
    assert_false(exists(s.outside, "tasklab-Dead01"));
    assert_false(exists(s.outside, "alerts.json.999999999.tmp~"));
    assert_true(exists(s.outside, "tasklab-NoLock"));
    assert_true(exists(s.outside, "keep.tmp~"));
    assert_true(exists(s.outside, mine));
    assert_true(exists(s.outside, "tasklab-notes.txt"));
    scratch_free(&s);
}

static char *slurp(const char *dir, const char *name)
{
    char *data = NULL;
    size_t len = 0;
    if (tl_walk_read(dir, name, 0, 1 << 20, &data, &len, NULL, NULL) != TL_OK)
        return NULL;
    return data;
}

static void test_contain_bless_set_all_or_nothing(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    put(s.drive, "t.alerts.json", "old-a");
    put(s.drive, "t.events.xml", "old-e");
    tl_fileset_entry set[] = {{"t.alerts.json", "new-a", 5},
                              {"t.events.xml.sha256", "new-h", 5},
                              {"t.events.xml", NULL, 0}};
    /* killed after the commit point (journal written, nothing renamed) */
    assert_int_equal(tl_fileset_prepare(s.drive, "t", set, 3, NULL), TL_OK);
    char *a = slurp(s.drive, "t.alerts.json");
    assert_string_equal(a, "old-a"); /* not yet visible */
    tl_free(a);
    /* the next run completes it */
    assert_int_equal(tl_fileset_recover(s.drive, NULL), TL_OK);
    a = slurp(s.drive, "t.alerts.json");
    char *h = slurp(s.drive, "t.events.xml.sha256");
    assert_string_equal(a, "new-a");
    assert_string_equal(h, "new-h");
    assert_false(exists(s.drive, "t.events.xml"));
    assert_false(exists(s.drive, ".t.bless"));
    tl_free(a);
    tl_free(h);
    assert_int_equal(count_entries(s.drive), 2);
    /* killed before the commit point: temporaries of a dead pid only -> rolled back */
    put(s.drive, "t.alerts.json.999999999.bless~", "newer-a");
    assert_int_equal(tl_fileset_recover(s.drive, NULL), TL_OK);
    a = slurp(s.drive, "t.alerts.json");
    assert_string_equal(a, "new-a");
    tl_free(a);
    assert_int_equal(count_entries(s.drive), 2);
    /* the whole protocol in one call */
    tl_fileset_entry set2[] = {{"t.alerts.json", "v3", 2}, {"t.events.xml.sha256", NULL, 0}};
    assert_int_equal(tl_fileset_commit(s.drive, "t", set2, 2, NULL), TL_OK);
    a = slurp(s.drive, "t.alerts.json");
    assert_string_equal(a, "v3");
    tl_free(a);
    assert_int_equal(count_entries(s.drive), 1);
    scratch_free(&s);
}

/* ---- 5: one bounded reader for every loader ------------------------------------------------ */

static void test_contain_bounded_reader(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    char fifo[800];
    snprintf(fifo, sizeof fifo, "%s/cfg.xml", s.outside);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *data = NULL;
    size_t len = 0;
    tl_diag d;
    tl_diag_clear(&d);
    time_t t0 = time(NULL);
    assert_int_equal(tl_file_read(fifo, &data, &len, &d), TL_E_IO); /* no writer: no hang */
    assert_true(time(NULL) - t0 < 5);
    assert_non_null(strstr(d.msg, "not a regular file"));
    tl_diag_clear(&d);
    assert_int_equal(tl_file_read("/dev/zero", &data, &len, &d), TL_E_IO);
    assert_non_null(strstr(d.msg, "not a regular file"));
    put(s.outside, "big.xml", "0123456789");
    snprintf(fifo, sizeof fifo, "%s/big.xml", s.outside);
    tl_diag_clear(&d);
    assert_int_equal(tl_file_read_max(fifo, 9, &data, &len, &d), TL_E_LIMIT);
    assert_non_null(strstr(d.msg, "larger than 9 bytes"));
    assert_int_equal(tl_file_read_max(fifo, 10, &data, &len, NULL), TL_OK);
    assert_int_equal(len, 10);
    tl_free(data);
    /* a user-named device is read, but bounded */
    tl_diag_clear(&d);
    assert_int_equal(tl_file_read_user("/dev/zero", 4096, &data, &len, &d), TL_E_LIMIT);
    scratch_free(&s);
}

/* ---- 7: the agent's folder is not writable by a standard user ------------------------------ */

static void test_contain_agent_folder_denied_to_standard_user(void **state)
{
    (void)state;
    scratch s;
    scratch_new(&s);
    const char *log = "C:\\\\Program Files (x86)\\\\ossec-agent\\\\logs\\\\scheduled-tasks.log";
    char steps[2048];
    /* bob is a standard user: the write is denied and the step says why */
    snprintf(steps, sizeof steps,
             "[{\"at\":0,\"user\":\"bob\",\"file\":{\"op\":\"write\",\"path\":\"%s\","
             "\"content\":\"forged\"}}]",
             log);
    tl_diag d;
    assert_int_equal(run_scenario(s.drive, steps, &d), TL_E_INVAL);
    assert_non_null(strstr(d.msg, "$.steps[0].file: access denied"));
    assert_false(exists(s.drive, "Program Files (x86)/ossec-agent/logs/scheduled-tasks.log"));
    /* cmd.exe redirection by bob: "Access is denied.", nothing written, the run goes on */
    snprintf(steps, sizeof steps,
             "[{\"at\":0,\"user\":\"bob\",\"parent\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
             "\"command\":\"cmd /c echo x > \\\"%s\\\"\"}]",
             log);
    assert_int_equal(run_scenario(s.drive, steps, &d), TL_OK);
    assert_false(exists(s.drive, "Program Files (x86)/ossec-agent/logs/scheduled-tasks.log"));
    /* an elevated administrator may */
    snprintf(steps, sizeof steps,
             "[{\"at\":0,\"user\":\"alice\",\"elevated\":true,\"file\":{\"op\":\"write\","
             "\"path\":\"%s\",\"content\":\"x\"}}]",
             log);
    if (run_scenario(s.drive, steps, &d) != TL_OK)
        print_error("%s\n", d.msg);
    assert_true(exists(s.drive, "Program Files (x86)/ossec-agent/logs/scheduled-tasks.log"));
    scratch_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contain_scenario_names),
        cmocka_unit_test(test_contain_dotdot_clamped_at_drive_root),
        cmocka_unit_test(test_contain_cmd_redirect_clamped),
        cmocka_unit_test(test_contain_symlink_in_drive_never_followed),
        cmocka_unit_test(test_contain_walk_refuses_dot_components),
        cmocka_unit_test(test_contain_memdrive_as_walk),
        cmocka_unit_test(test_contain_ar_task_file_link_and_fifo),
        cmocka_unit_test(test_contain_drive_root_is_not_a_file),
        cmocka_unit_test(test_contain_full_disk_is_reported),
        cmocka_unit_test(test_contain_out_of_memory_is_reported),
        cmocka_unit_test(test_contain_agent_folder_denied_to_standard_user),
        cmocka_unit_test(test_contain_bounded_reader),
        cmocka_unit_test(test_contain_atomic_write_keeps_links_and_fifos),
        cmocka_unit_test(test_contain_dir_lock_and_private_tempdir),
        cmocka_unit_test(test_contain_clean_stale_only_ours),
        cmocka_unit_test(test_contain_bless_set_all_or_nothing),
    };
    return cmocka_run_group_tests_name("contain", tests, NULL, NULL);
}
