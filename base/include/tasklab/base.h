/* SPDX-License-Identifier: MIT */
/*
 * tasklab base: status codes, allocation hooks, a growable string buffer,
 * caller-owned diagnostics, the virtual clock's time formats, a seeded PRNG
 * and whole-file I/O helpers. Every tasklab library links this one.
 *
 * Ownership: every function returning a pointer documents who frees it; all
 * heap memory handed out by tasklab is released with tl_free().
 */
#ifndef TL_BASE_H
#define TL_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tl_status {
    TL_OK = 0,
    TL_E_NOMEM,
    TL_E_INVAL,
    TL_E_IO,
    TL_E_PARSE,
    TL_E_RULE,
    TL_E_REGEX,
    TL_E_LIMIT,
    TL_E_INTERNAL,
    TL_E_NOTFOUND
} tl_status;

/** Short English name of a status ("out of memory", ...). Static string. */
const char *tl_strerror(tl_status s);

/* Jump to the function's single `cleanup:` label on failure. Needs a local
 * `tl_status st` in scope. */
#define TL_TRY(expr)                                                                               \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != TL_OK)                                                                           \
            goto cleanup;                                                                          \
    } while (0)
#define TL_TRY_ALLOC(p)                                                                            \
    do {                                                                                           \
        if ((p) == NULL) {                                                                         \
            st = TL_E_NOMEM;                                                                       \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)
#define TL_FAIL(code)                                                                              \
    do {                                                                                           \
        st = (code);                                                                               \
        goto cleanup;                                                                              \
    } while (0)

/* ---- allocation ------------------------------------------------------- */
/* All tasklab allocation goes through these; a test hook can make the N-th
 * allocation fail to exercise every TL_E_NOMEM path. */
void *tl_malloc(size_t n);
void *tl_calloc(size_t count, size_t size);
void *tl_realloc(void *p, size_t n);
/** Duplicate a NUL-terminated string; NULL in gives NULL out. Free with tl_free. */
char *tl_strdup(const char *s);
/** Duplicate at most n bytes of s and NUL-terminate. Free with tl_free. */
char *tl_strndup(const char *s, size_t n);
void tl_free(void *p);
/** Test hook: make the n-th allocation from now fail (n >= 1); n <= 0 disables. */
void tl_alloc_fail_at(long n);
/** Number of allocations made since the hook was last armed. */
long tl_alloc_count(void);

/* ---- diagnostics -------------------------------------------------------- */
/** Where and why something failed; filled by loaders, owned by the caller. */
typedef struct tl_diag {
    char file[512]; /* "" when not about a file */
    int line;       /* 0 when unknown */
    int col;        /* 0 when unknown */
    char msg[1024];
} tl_diag;

void tl_diag_clear(tl_diag *d);
/** Fill d (when non-NULL) with a location and a printf-style message. */
void tl_diag_set(tl_diag *d, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/** Render "file:line: msg" (or "file: msg", or "msg") into out. */
void tl_diag_format(const tl_diag *d, char *out, size_t outsz);

/* ---- string buffer ------------------------------------------------------ */
/** Growable NUL-terminated byte buffer. A failed append sets `oom` and makes
 * every later append a no-op; check it once with tl_buf_status(). */
typedef struct tl_buf {
    char *data;
    size_t len;
    size_t cap;
    int oom;
} tl_buf;

#define TL_BUF_INIT {NULL, 0, 0, 0}
void tl_buf_init(tl_buf *b);
void tl_buf_free(tl_buf *b);
void tl_buf_reset(tl_buf *b);
void tl_buf_append(tl_buf *b, const void *p, size_t n);
void tl_buf_puts(tl_buf *b, const char *s);
void tl_buf_putc(tl_buf *b, char c);
/** Append code point cp (<= 0x10FFFF) as UTF-8 (tl_utf8_encode). */
void tl_buf_put_utf8(tl_buf *b, unsigned long cp);
/** Room for n more bytes (and the NUL) in b, so that up to n bytes can be
 * written at b->data + b->len directly. TL_E_NOMEM (b marked out of memory)
 * when it cannot grow or was already out of memory. */
tl_status tl_buf_reserve(tl_buf *b, size_t n);
/** Append s (NULL: nothing) as XML element text: & < > escaped, the rest as is. */
void tl_buf_put_xml_text(tl_buf *b, const char *s);
void tl_buf_printf(tl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap);
/** Append s as a JSON string literal (with quotes), escaping as cJSON does. */
void tl_buf_json_str(tl_buf *b, const char *s);
void tl_buf_json_strn(tl_buf *b, const char *s, size_t n);
tl_status tl_buf_status(const tl_buf *b);
/** Append to out the text of the first <Data Name='name'>...</Data> of an
 * event record rendered as tasklab and EvtRender write it (single-quoted
 * attribute), with the five XML entities unescaped, at most max characters
 * (then an ellipsis). Returns 0 when absent (xml may be NULL). Borrowed. */
int tl_buf_event_data(tl_buf *out, const char *xml, const char *name, size_t max);
/** Give the data away (never NULL unless oom; "" for an empty buffer). The
 * buffer is reset. Caller frees with tl_free. */
char *tl_buf_take(tl_buf *b);
/** The contents as a C string ("" when empty). Borrowed. */
const char *tl_buf_cstr(const tl_buf *b);

/* ---- virtual time ------------------------------------------------------- */
/* Virtual time is microseconds since the Unix epoch, UTC. */
typedef int64_t tl_time;
#define TL_USEC_PER_SEC INT64_C(1000000)

/** Parse "YYYY-MM-DDTHH:MM:SS[.fraction][Z]" (UTC). */
tl_status tl_time_parse_iso(const char *s, tl_time *out);
/** "2022-04-13T11:59:41.5535365Z" (7 fraction digits, Windows SystemTime). */
void tl_time_fmt_systemtime(tl_time t, char out[32]);
/** "2022-04-13 11:59:41.545" (Sysmon UtcTime). */
void tl_time_fmt_sysmon(tl_time t, char out[32]);
/** "2022-04-13T11:59:41.545+0000" (Wazuh alert timestamp, UTC). */
void tl_time_fmt_wazuh(tl_time t, char out[40]);
/** "2022/04/13 11:59:41" (Wazuh active-responses.log prefix). */
void tl_time_fmt_arlog(tl_time t, char out[32]);
/** Split into civil UTC fields. */
void tl_time_civil(tl_time t, int *year, int *mon, int *day, int *hour, int *min, int *sec,
                   int *usec);
/** Days-from-civil helper: seconds since epoch for a UTC civil date. */
int64_t tl_time_from_civil(int year, int mon, int day, int hour, int min, int sec);

/* ---- seeded PRNG (splitmix64) ------------------------------------------ */
typedef struct tl_rng {
    uint64_t s;
} tl_rng;
void tl_rng_seed(tl_rng *r, uint64_t seed);
uint64_t tl_rng_next(tl_rng *r);
/** Uniform in [0, n); n > 0. */
uint64_t tl_rng_below(tl_rng *r, uint64_t n);

/* ---- digests ------------------------------------------------------------ */
/** SHA-256 of data (32 raw bytes). */
void tl_sha256(const void *data, size_t len, unsigned char out[32]);
/** SHA-256 of data as 64 lowercase hex digits + NUL. */
void tl_sha256_hex(const void *data, size_t len, char out[65]);
/** Incremental SHA-256: init, update any number of times, final (32 raw bytes). */
typedef struct tl_sha256_ctx {
    uint32_t h[8];
    unsigned char buf[64];
    size_t nbuf;
    uint64_t len;
} tl_sha256_ctx;
void tl_sha256_init(tl_sha256_ctx *c);
void tl_sha256_update(tl_sha256_ctx *c, const void *data, size_t len);
void tl_sha256_final(tl_sha256_ctx *c, unsigned char out[32]);
/** 32 raw digest bytes as 64 lowercase hex digits + NUL. */
void tl_sha256_hex_of(const unsigned char dg[32], char out[65]);
/** Choose the block function for the rest of the process: allow 1 uses the
 * x86-64 SHA extensions when the processor has them (the default, decided at
 * the first use), 0 the portable code. Returns 1 when the SHA extensions are
 * now in use. Same digests either way (for tests and benchmarks). */
int tl_sha256_accel(int allow);

/* ---- files -------------------------------------------------------------- */
/** Read a whole file; *data is NUL-terminated (not counted in *len). On
 * failure fills d with "cannot open: <strerror>". Caller frees *data. */
tl_status tl_file_read(const char *path, char **data, size_t *len, tl_diag *d);
/** Write data to path atomically (temp file "<path>.<pid>.tmp~" in the same
 * folder + rename) when path is missing or a regular file. A symbolic link is
 * followed to its target (the link stays); a device, FIFO or socket is written
 * into (as a shell redirection would), never replaced; a folder is an error. */
tl_status tl_file_write_atomic(const char *path, const void *data, size_t len, tl_diag *d);
/** Largest file tl_file_read accepts (64 MiB): every loader (scenario, Sysmon
 * config, rules, decoders, CDB lists, .ini, agent.conf, golden files) reads
 * through it, so a hostile path to /dev/zero or a huge file fails fast. */
#define TL_FILE_MAX ((size_t)64 << 20)
/** As tl_file_read with a size cap `max`: the file is opened non-blocking
 * (a FIFO never hangs), must be a regular file ("not a regular file" else,
 * TL_E_IO), and may hold at most `max` bytes (TL_E_LIMIT, "larger than N
 * bytes"). d gets one line naming path and cause. Caller frees *data. */
tl_status tl_file_read_max(const char *path, size_t max, char **data, size_t *len, tl_diag *d);
/** As tl_file_read_max for a file the user named on the command line: a
 * pipe, FIFO or character device is read too (blocking, as `cat` would), at
 * most max bytes; a folder is an error. */
tl_status tl_file_read_user(const char *path, size_t max, char **data, size_t *len, tl_diag *d);
/** Read an open descriptor to its end, at most `max` bytes (TL_E_LIMIT);
 * `name` is used in d. *data is NUL-terminated; caller frees it. */
tl_status tl_fd_read_max(int fd, size_t max, const char *name, char **data, size_t *len, tl_diag *d);
/** Append data to path (created if missing). */
tl_status tl_file_append(const char *path, const void *data, size_t len, tl_diag *d);
/** mkdir -p. */
tl_status tl_mkdirs(const char *path, tl_diag *d);
/** Join two path parts with '/'. Caller frees. */
char *tl_path_join(const char *a, const char *b);

/* ---- contained file access ---------------------------------------------- */
/* Paths below a root folder reached by a descriptor-relative walk that never
 * follows a symbolic link and never leaves the root (walk.c). `rel` uses '/'
 * or '\\' separators; "." and ".." components are refused (TL_E_INVAL). All
 * pointer parameters are borrowed; d (may be NULL) gets one line on failure. */
#define TL_WALK_FOLD 1u   /* match components ignoring ASCII case (Windows, Wine) */
#define TL_WALK_CREATE 2u /* create missing folders on the way */
#define TL_WALK_MAX_DEPTH 160 /* components in one path */
enum { TL_WALK_MISSING = 0, TL_WALK_FILE = 1, TL_WALK_FOLDER = 2, TL_WALK_OTHER = 3 };
/** Write root/rel atomically (temporary in the same folder + rename). */
tl_status tl_walk_write(const char *root, const char *rel, unsigned flags, const void *data,
                        size_t len, tl_diag *d);
/** Read the regular file root/rel, at most max bytes. TL_E_NOTFOUND when
 * missing or a folder (*kind, optional, tells which), TL_E_IO for a link,
 * FIFO or device, TL_E_LIMIT when larger. Caller frees *data. */
tl_status tl_walk_read(const char *root, const char *rel, unsigned flags, size_t max, char **data,
                       size_t *len, int *kind, tl_diag *d);
/** Append to the regular file root/rel (created if missing); a short write is
 * cut back so a reader never sees half of it. */
tl_status tl_walk_append(const char *root, const char *rel, unsigned flags, const void *data,
                         size_t len, tl_diag *d);
/** Create the folder root/rel (and the folders on the way). */
tl_status tl_walk_mkdir(const char *root, const char *rel, unsigned flags, tl_diag *d);
/** Remove root/rel: a file or link is unlinked, a folder tree removed without
 * following any link. Missing is TL_OK. */
tl_status tl_walk_remove(const char *root, const char *rel, unsigned flags, tl_diag *d);

/* ---- a drive in memory (memdrive.c) -------------------------------------- */
/* A folder tree held in memory with the semantics of the tl_walk_* functions
 * above (flags, limits, refusals, diagnostics): a replay's temporary drive that
 * touches no host file. Paths and data are copied; `name` stands for the host
 * folder in diagnostics. Not thread-safe: one owner at a time. */
typedef struct tl_memdrive tl_memdrive;
tl_status tl_memdrive_new(const char *name, tl_memdrive **out);
void tl_memdrive_free(tl_memdrive *m);
tl_status tl_memdrive_write(tl_memdrive *m, const char *rel, unsigned flags, const void *data,
                            size_t len, tl_diag *d);
tl_status tl_memdrive_read(tl_memdrive *m, const char *rel, unsigned flags, size_t max,
                           char **data, size_t *len, int *kind, tl_diag *d);
tl_status tl_memdrive_append(tl_memdrive *m, const char *rel, unsigned flags, const void *data,
                             size_t len, tl_diag *d);
tl_status tl_memdrive_mkdir(tl_memdrive *m, const char *rel, unsigned flags, tl_diag *d);
tl_status tl_memdrive_remove(tl_memdrive *m, const char *rel, unsigned flags, tl_diag *d);
/** The bytes of file rel (borrowed: valid until the drive changes), NULL when
 * missing, a folder or refused (*kind, optional, tells which). */
const char *tl_memdrive_peek(tl_memdrive *m, const char *rel, unsigned flags, size_t *len,
                             int *kind);
/** Entries in no particular order: i-th path ('/' separated), its bytes
 * (borrowed; NULL for a folder). NULL when i is past the end. */
size_t tl_memdrive_count(const tl_memdrive *m);
const char *tl_memdrive_entry(const tl_memdrive *m, size_t i, const char **data, size_t *len,
                              int *isdir);

/** 1 when path, resolved (links, ".."), lies inside one of roots[0..n)
 * (also resolved; NULL entries skipped), 0 when outside, -1 when it cannot be
 * resolved (missing). Untrusted inputs name host files only inside their roots. */
int tl_path_inside(const char *path, const char *const *roots, size_t n);

/* ---- locks, private temporary folders, stale files (lock.c) ------------- */
#define TL_LOCK_NAME ".tasklab.lock"
/** Lock folder dir for this process (flock on dir/.tasklab.lock, never
 * blocking). TL_E_INVAL with "another tasklab run is writing into this folder"
 * when another process holds it. Release with tl_dir_unlock(*fd). */
tl_status tl_dir_lock(const char *dir, int *fd, tl_diag *d);
void tl_dir_unlock(int fd);
/** Create a private (0700) "$TMPDIR/tasklab-XXXXXX" into path (n bytes) with
 * an owner lock held through *lockfd; remove it with tl_tempdir_free. TMPDIR
 * unset: in /dev/shm when it is a writable, exec-able memory file system with
 * 64 MiB free, else in /tmp. */
tl_status tl_tempdir_new(char *path, size_t n, int *lockfd, tl_diag *d);
tl_status tl_tempdir_free(const char *path, int lockfd);
/** Remove, in dir, what dead tasklab runs left: "tasklab-XXXXXX" folders whose
 * owner.lock is free, and "*.<pid>.tmp~" files of dead pids (both owned by
 * this user); nothing else. Returns how many entries were removed. */
size_t tl_clean_stale(const char *dir);
/** tl_clean_stale on $TMPDIR (unset: on /dev/shm and /tmp). */
size_t tl_clean_stale_tmpdir(void);

/* ---- all-or-nothing file sets (fileset.c) -------------------------------- */
/** One file of a set: data NULL means "remove name". Borrowed. */
typedef struct tl_fileset_entry {
    const char *name; /* a plain file name inside the folder */
    const char *data;
    size_t len;
} tl_fileset_entry;
/** Replace the files e[0..n) of folder dir all-or-nothing, even across a
 * kill: temporaries, then a journal ".<tag>.bless" (the commit point), then
 * renames; see fileset.c. */
tl_status tl_fileset_commit(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                            tl_diag *d);
/** Steps 1-2 only (temporaries + journal): what a kill after the commit point
 * leaves; for tests. */
tl_status tl_fileset_prepare(const char *dir, const char *tag, const tl_fileset_entry *e, size_t n,
                             tl_diag *d);
/** Complete every journal in dir (roll forward) and remove the temporaries
 * of dead processes that no journal names (roll back). */
tl_status tl_fileset_recover(const char *dir, tl_diag *d);

/* ---- small string helpers ---------------------------------------------- */
int tl_strcasecmp(const char *a, const char *b);
int tl_strncasecmp(const char *a, const char *b, size_t n);
/** Decode one UTF-8 character of s[0..n) (n >= 1) into *cp; returns the bytes
 * used (>= 1). An invalid sequence gives U+FFFD for its maximal valid prefix
 * (one byte at least), as the Unicode standard recommends. */
size_t tl_utf8_decode(const char *s, size_t n, unsigned long *cp);
/** Encode code point cp (<= 0x10FFFF; the caller excludes surrogates where it
 * must) as UTF-8 into out; returns the bytes written (1-4). */
size_t tl_utf8_encode(unsigned long cp, char out[4]);
/** Windows-style name comparison: UTF-8 decoded, simple upper-case mapping of
 * ASCII, Latin-1 Supplement, Latin Extended-A, Greek and Cyrillic. 0 when equal. */
int tl_wincasecmp(const char *a, const char *b);
int tl_wincasecmpn(const char *a, size_t an, const char *b, size_t bn);
/** Case-insensitive (ASCII) substring search; NULL if absent. */
const char *tl_strcasestr(const char *hay, const char *needle);

#ifdef __cplusplus
}
#endif

#endif /* TL_BASE_H */
