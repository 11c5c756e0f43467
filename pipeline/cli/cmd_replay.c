/* SPDX-License-Identifier: MIT */
/*
 * tasklab replay: recorded Windows event logs through the manager.
 *
 *   tasklab replay [--profile P | --ruleset DIR | --wazuh-dir DIR] [--out DIR]
 *                  [--agent ID:NAME] [--message none|render] [--format alerts|queue]
 *                  [--merge] FILE...
 *
 * Each FILE (.evtx, XML export, agent JSON lines; tl_replay) is read in
 * EventRecordID order, each record becomes the queue line remoted hands
 * analysisd for the agent's eventchannel event, and a fresh engine (no
 * firedtimes, frequency or if_matched_* memory carried over) processes the
 * file's records, all received at one instant (the first record's
 * TimeCreated): a recording is sent in one burst, as the oracle did
 * (../shared/reference/oracle/README.md). --merge runs all files through one
 * engine, interleaved by TimeCreated.
 *
 * Output: without --out, the alerts.json lines (or, with --format queue, the
 * queue lines, each as a JSON string like the oracle's .queue files) go to
 * stdout and one summary line per file to stderr; with --out DIR they go to
 * DIR/<slug>/alerts.json (or DIR/<slug>/<slug>.queue) and the summaries to
 * stdout. <slug> is the file's path with its extension removed, '/' turned
 * into "__" and every other run of characters outside [A-Za-z0-9._-] into
 * '_' (the oracle's naming, when paths are given relative to the recordings'
 * folder). No active response runs: a recording has no endpoint.
 *
 * A queue capture (`tasklab export --format queue`, `replay --format queue`:
 * one analysisd queue message a line) is fed as the manager read it: each
 * message verbatim (its own agent header; --agent does not apply), in file
 * order, the `1:` lines of the agent's logcollector (the active response's
 * output) included.
 *
 * Exit: 0; 2 when a file could not be read at all (damage inside a file that
 * still gave records is reported, not fatal). .evtx files are read by
 * tasklab's own EVTX reader (pipeline/replay), so no library is needed.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "tasklab/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct replay_opts {
    const char *out;
    const char *agent_id;
    const char *agent_name;
    int queue; /* --format queue */
    int merge;
} replay_opts;

/* The oracle's slug of a recording path. */
static char *slug_of(const char *path)
{
    tl_buf b = TL_BUF_INIT;
    const char *p = path;
    for (;;) { /* "./x", "/tmp/x": no leading separators in the slug */
        if (p[0] == '.' && p[1] == '/')
            p += 2;
        else if (p[0] == '/')
            p++;
        else
            break;
    }
    const char *end = p + strlen(p);
    const char *dot = strrchr(p, '.');
    const char *slash = strrchr(p, '/');
    if (dot && (!slash || dot > slash) && dot != p)
        end = dot;
    int in_bad = 0;
    for (const char *s = p; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '/') {
            while (s + 1 < end && s[1] == '/')
                s++;
            tl_buf_puts(&b, "__");
            in_bad = 0;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-') {
            tl_buf_putc(&b, (char)c);
            in_bad = 0;
        } else if (!in_bad) {
            tl_buf_putc(&b, '_');
            in_bad = 1;
        }
    }
    return tl_buf_take(&b);
}

typedef struct file_out {
    FILE *fp;      /* stdout or DIR/<slug>/<file>, written as lines come (bounded memory) */
    int own;       /* fp was opened here */
    tl_buf lines;  /* alerts.json or queue lines not written yet */
    tl_buf fired;  /* "60228 L4, ..." */
    size_t n_records, n_alerts, n_dropped;
} file_out;

static void file_out_free(file_out *fo)
{
    if (fo->own && fo->fp)
        fclose(fo->fp);
    fo->fp = NULL;
    tl_buf_free(&fo->lines);
    tl_buf_free(&fo->fired);
}

static tl_status flush_out(file_out *fo, int force);

/* Feed one record; collect the alert line or the queue line. */
static tl_status feed(tl_engine *e, const replay_opts *o, const tl_replay_record *rec, tl_time now,
                      tl_buf *qline, file_out *fo)
{
    tl_buf_reset(qline);
    tl_replay_queue_line(rec, o->agent_id, o->agent_name, 1, qline);
    tl_status st = tl_buf_status(qline);
    if (st != TL_OK)
        return st;
    fo->n_records++;
    if (o->queue) {
        tl_buf_json_str(&fo->lines, tl_buf_cstr(qline));
        tl_buf_putc(&fo->lines, '\n');
        return flush_out(fo, 0);
    }
    tl_result res;
    tl_diag d;
    tl_diag_clear(&d);
    st = tl_engine_process(e, tl_buf_cstr(qline), now, &res, &d);
    if (st == TL_E_PARSE) {
        fo->n_dropped++; /* analysisd drops a malformed event and goes on */
        return TL_OK;
    }
    if (st != TL_OK)
        return st;
    if (res.alert_json) {
        tl_buf_puts(&fo->lines, res.alert_json);
        tl_buf_putc(&fo->lines, '\n');
        fo->n_alerts++;
        if (fo->n_alerts <= 12)
            tl_buf_printf(&fo->fired, "%s%s L%d", fo->fired.len ? ", " : "",
                          res.rule_id ? res.rule_id : "?", res.level);
        else if (fo->n_alerts == 13)
            tl_buf_puts(&fo->fired, ", ...");
    }
    return flush_out(fo, 0);
}

/* Open where the lines of one output go (before any record is fed). */
static int open_out(const replay_opts *o, const char *slug, file_out *fo, tl_diag *d)
{
    if (!o->out) {
        fo->fp = stdout;
        fo->own = 0;
        return 0;
    }
    char *dir = tl_path_join(o->out, slug);
    tl_buf name = TL_BUF_INIT;
    if (o->queue)
        tl_buf_printf(&name, "%s.queue", slug);
    else
        tl_buf_puts(&name, "alerts.json");
    char *file = dir ? tl_path_join(dir, tl_buf_cstr(&name)) : NULL;
    int rc = 0;
    if (!dir || !file || tl_mkdirs(dir, d) != TL_OK)
        rc = 2;
    else if (!(fo->fp = fopen(file, "wb"))) {
        tl_diag_set(d, file, 0, "cannot write");
        rc = 2;
    }
    fo->own = fo->fp != NULL;
    tl_free(file);
    tl_free(dir);
    tl_buf_free(&name);
    return rc;
}

/* Write what is pending once it passes 1 MiB (force: all of it). */
static tl_status flush_out(file_out *fo, int force)
{
    tl_status st = tl_buf_status(&fo->lines);
    if (st != TL_OK)
        return st;
    if (fo->lines.len && (force || fo->lines.len > (1u << 20))) {
        if (!fo->fp || fwrite(fo->lines.data, 1, fo->lines.len, fo->fp) != fo->lines.len)
            return TL_E_IO;
        tl_buf_reset(&fo->lines);
    }
    if (force && fo->fp && fflush(fo->fp) != 0)
        return TL_E_IO;
    return TL_OK;
}

static void summary(const replay_opts *o, const char *slug, const file_out *fo,
                    const char *damage)
{
    FILE *to = o->out ? stdout : stderr;
    fprintf(to, "%-34s %zu record%s", slug, fo->n_records, fo->n_records == 1 ? "" : "s");
    if (!o->queue)
        fprintf(to, ", %zu alert%s%s%s%s", fo->n_alerts, fo->n_alerts == 1 ? "" : "s",
                fo->n_alerts ? " (" : "", fo->fired.len ? tl_buf_cstr(&fo->fired) : "",
                fo->n_alerts ? ")" : "");
    if (fo->n_dropped)
        fprintf(to, ", %zu dropped by the manager", fo->n_dropped);
    if (damage && *damage)
        fprintf(to, "; damaged: %s", damage);
    fputc('\n', to);
}

enum { O_RP_OUT = 1, O_RP_AGENT, O_RP_MESSAGE, O_RP_FORMAT, O_RP_MERGE };
static const tl_cli_opt replay_optv[] = {
    {"--out", "DIR", O_RP_OUT, "write DIR/<slug>/alerts.json (or <slug>.queue) per recording", 0},
    {"--agent", "ID:NAME", O_RP_AGENT, "the agent the records come from (default: 001:evtx-lab)", 0},
    {"--message", "none|render", O_RP_MESSAGE, "the agent's Message text (default: none)", 0},
    {"--format", "alerts|queue", O_RP_FORMAT,
     "alerts.json lines, or the forwarded queue messages (JSON strings)", 0},
    {"--merge", NULL, O_RP_MERGE, "one manager run over all files, interleaved by TimeCreated", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_replay_def = {
    "replay", "FILE.evtx|FILE.xml|FILE.json...",
    "recorded Windows event logs through the manager, as the agent forwards them", replay_optv,
    tl_cli_cmd_replay,
    "Records are replayed in EventRecordID order, each file in a fresh manager run\n"
    "(no state carried over) unless --merge. A queue capture (export --format queue) is\n"
    "fed verbatim, in file order, its 1: lines included. Exit 2 when a file could not be\n"
    "read at all.\n"};

int tl_cli_cmd_replay(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    replay_opts o = {NULL, "001", "evtx-lab", 0, 0};
    char *agent_copy = NULL;
    int rc = 0, nfiles = 0, unavailable = 0, ran = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    tl_ruleset *rs = NULL;
    tl_replay **readers = NULL;
    tl_buf qline = TL_BUF_INIT;
    tl_diag d;
    tl_diag_clear(&d);
    if (!files)
        return 2;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_replay_def, argc, argv);
    for (int op; (op = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        const char *v = p.val;
        if (op == TL_OPT_HELP || op == TL_OPT_ERR) {
            rc = op == TL_OPT_HELP ? 0 : 2;
            goto done;
        } else if (op == TL_OPT_OPERAND) {
            files[nfiles++] = v;
        } else if (op == O_RP_OUT) {
            o.out = v;
        } else if (op == O_RP_AGENT) {
            const char *colon = strchr(v, ':');
            size_t il = colon ? (size_t)(colon - v) : 0;
            int ok = colon && il >= 1 && il <= 8 && colon[1];
            for (size_t k = 0; ok && k < il; k++)
                ok = v[k] >= '0' && v[k] <= '9';
            for (const char *s = colon ? colon + 1 : ""; ok && *s; s++)
                ok = (unsigned char)*s > ' ' && *s != '(' && *s != ')' && *s != ':' &&
                     *s != '[' && *s != ']';
            if (!ok) {
                fprintf(stderr,
                        "tasklab replay: --agent wants ID:NAME (digits, then a name without "
                        "spaces, brackets, parentheses or ':'), got '%s'\n",
                        v);
                rc = 2;
                goto done;
            }
            tl_free(agent_copy);
            agent_copy = tl_strdup(v);
            if (!agent_copy) {
                rc = 2;
                goto done;
            }
            agent_copy[il] = '\0';
            o.agent_id = agent_copy;
            o.agent_name = agent_copy + il + 1;
        } else if (op == O_RP_MESSAGE) {
            if (!strcmp(v, "render")) {
                fprintf(stderr, "tasklab replay: --message render: tasklab has no message "
                                "tables for recorded providers; like the agent when "
                                "EvtFormatMessage fails, Message is left out\n");
            } else if (strcmp(v, "none")) {
                fprintf(stderr, "tasklab replay: --message wants none or render\n");
                rc = 2;
                goto done;
            }
        } else if (op == O_RP_FORMAT) {
            if (!strcmp(v, "alerts"))
                o.queue = 0;
            else if (!strcmp(v, "queue"))
                o.queue = 1;
            else {
                fprintf(stderr, "tasklab replay: --format wants alerts or queue\n");
                rc = 2;
                goto done;
            }
        } else if (op == O_RP_MERGE) {
            o.merge = 1;
        } else if (tl_cli_common_set(&c, op, v) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!nfiles) {
        fprintf(stderr, "tasklab replay: no recording given (see tasklab --help)\n");
        rc = 2;
        goto done;
    }
    if (!o.queue) {
        tl_status st = tl_cli_load_ruleset(&c, &rs, &d);
        if (st != TL_OK) {
            tl_cli_error(&d);
            rc = st == TL_E_NOTFOUND ? 77 : 2;
            goto done;
        }
    }
    if (o.out && tl_mkdirs(o.out, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    readers = tl_calloc((size_t)nfiles, sizeof *readers);
    if (!readers) {
        rc = 2;
        goto done;
    }
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    if (!o.merge) {
        for (int fi = 0; fi < nfiles; fi++) {
            tl_replay *r = NULL;
            tl_engine *e = NULL;
            file_out fo;
            memset(&fo, 0, sizeof fo);
            char *slug = slug_of(files[fi]);
            tl_diag_clear(&d);
            tl_status st = tl_replay_open(files[fi], TL_REPLAY_AUTO, &r, &d);
            if (st != TL_OK) {
                tl_cli_error(&d);
                if (st == TL_E_NOTFOUND)
                    unavailable++;
                else
                    rc = 2;
                tl_free(slug);
                continue;
            }
            if (open_out(&o, slug ? slug : "recording", &fo, &d) != 0) {
                tl_cli_error(&d);
                rc = 2;
                tl_replay_free(r);
                tl_free(slug);
                continue;
            }
            if (!o.queue)
                st = tl_engine_new(rs, &eo, &e);
            tl_time now = 0;
            int got = 0, first = 1;
            tl_replay_record rec;
            while (st == TL_OK && (st = tl_replay_next(r, &rec, &got)) == TL_OK && got) {
                if (first)
                    now = rec.time;
                first = 0;
                st = feed(e, &o, &rec, now, &qline, &fo);
            }
            if (st != TL_OK) {
                fprintf(stderr, "tasklab: %s: %s\n", files[fi], tl_strerror(st));
                rc = 2;
            } else if (flush_out(&fo, 1) != TL_OK) {
                fprintf(stderr, "tasklab: %s: cannot write the output\n", files[fi]);
                rc = 2;
            } else {
                summary(&o, slug ? slug : "recording", &fo, tl_replay_damage(r));
                ran++;
            }
            file_out_free(&fo);
            tl_engine_free(e);
            tl_replay_free(r);
            tl_free(slug);
        }
    } else {
        /* one engine, files interleaved by TimeCreated (ties: command-line order) */
        tl_engine *e = NULL;
        file_out fo;
        memset(&fo, 0, sizeof fo);
        tl_replay_record *heads = tl_calloc((size_t)nfiles, sizeof *heads);
        int *live = tl_calloc((size_t)nfiles, sizeof *live);
        tl_status st = heads && live ? TL_OK : TL_E_NOMEM;
        for (int fi = 0; st == TL_OK && fi < nfiles; fi++) {
            tl_diag_clear(&d);
            tl_status os = tl_replay_open(files[fi], TL_REPLAY_AUTO, &readers[fi], &d);
            if (os != TL_OK) {
                tl_cli_error(&d);
                if (os == TL_E_NOTFOUND)
                    unavailable++;
                else
                    rc = 2;
                continue;
            }
            st = tl_replay_next(readers[fi], &heads[fi], &live[fi]);
        }
        if (st == TL_OK && open_out(&o, "merged", &fo, &d) != 0) {
            tl_cli_error(&d);
            rc = 2;
            st = TL_E_IO;
        }
        if (st == TL_OK && !o.queue)
            st = tl_engine_new(rs, &eo, &e);
        tl_time now = 0;
        int first = 1;
        for (;;) {
            int best = -1;
            for (int fi = 0; st == TL_OK && fi < nfiles; fi++)
                if (live[fi] && (best < 0 || heads[fi].time < heads[best].time))
                    best = fi;
            if (best < 0 || st != TL_OK)
                break;
            if (first)
                now = heads[best].time;
            first = 0;
            st = feed(e, &o, &heads[best], now, &qline, &fo);
            if (st == TL_OK)
                st = tl_replay_next(readers[best], &heads[best], &live[best]);
        }
        if (st != TL_OK) {
            fprintf(stderr, "tasklab replay: %s\n", tl_strerror(st));
            rc = 2;
        } else if (fo.n_records || !rc) {
            if (flush_out(&fo, 1) != TL_OK) {
                fprintf(stderr, "tasklab replay: cannot write the output\n");
                rc = 2;
            } else {
                summary(&o, "merged", &fo, "");
                ran++;
            }
            for (int fi = 0; fi < nfiles; fi++)
                if (readers[fi] && *tl_replay_damage(readers[fi]))
                    fprintf(stderr, "tasklab: %s: damaged: %s\n", files[fi],
                            tl_replay_damage(readers[fi]));
        }
        tl_free(heads);
        tl_free(live);
        file_out_free(&fo);
        tl_engine_free(e);
    }
    if (rc == 0 && !ran && unavailable)
        rc = 77;
    else if (rc == 0 && unavailable)
        rc = 2;
done:
    if (readers)
        for (int fi = 0; fi < nfiles; fi++)
            tl_replay_free(readers[fi]);
    tl_free(readers);
    tl_buf_free(&qline);
    tl_free(agent_copy);
    tl_ruleset_free(rs);
    tl_cli_common_free(&c);
    free(files);
    return rc;
}
