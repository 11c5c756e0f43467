/* SPDX-License-Identifier: MIT */
/*
 * tasklab logtest: wazuh-logtest on stdin (wazuh.md §12).
 *
 *   tasklab logtest [-j] [-v] [-U rule:level:decoder] [--winevt-as-json]
 *                   [--profile P] [--ruleset DIR] [--wazuh-dir DIR] [--rules FILE]...
 *
 * One event a line; every line goes through the same logtest token, so
 * firedtimes and frequency / if_matched_* state carry over. Empty lines are
 * skipped. Virtual clock: the first event is received at
 * 2024-01-01T00:00:00Z, each later one 1 s after the previous (no wall
 * clock, so the output is reproducible).
 *
 * Output: the three phases of wazuh-logtest per event followed by a blank
 * line, or with -j the reply's "output" object, one JSON line per event.
 * A line that cannot be processed (longer than 65535 bytes, a NUL byte, a
 * malformed eventchannel payload) gets one message on stderr naming its line
 * number and logtest goes on with the next line; the exit status is then 2
 * unless -U decides it.
 * -U: at EOF prints "Unit test OK" (exit 0) or
 * "Unit test FAIL. Expected [...] , Result [...]" (exit 1), comparing the
 * last event's rule id, level and decoder name.
 * --winevt-as-json: runtests.py's rule 60000 rewrite (decoded_as json), so
 * the pre-converted {"win":...} lines of Wazuh's INI tests can be pasted.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGTEST_FORMS                                                                              \
    "accepted lines:\n"                                                                           \
    "  a plain log line                     decoded as a syslog line would be\n"                  \
    "  {\"Message\":...,\"Event\":\"<Event...>\"}  what the Windows agent forwards from an "         \
    "event channel\n"                                                                            \
    "  <Event xmlns=...>...</Event>         one record of tasklab's events.xml or of `wevtutil qe "  \
    "/f:xml`,\n"                                                                                  \
    "                                       wrapped as the agent would (location EventChannel);\n" \
    "                                       <?xml, <Events> and </Events> lines are skipped\n"      \
    "  {\"win\":{...}}                        a pre-converted line of Wazuh's .ini tests "          \
    "(needs --winevt-as-json)\n"                                                                 \
    "  any other JSON object                decoded by the json decoder\n"

/* wevtutil qe /f:xml writes attributes in double quotes; EvtRender, which the
 * agent forwards, in single quotes: rewrite the attribute quotes of the tags
 * (a ' inside such a value becomes &apos;). Returns an owned string. */
static char *single_quoted(const char *x, size_t n)
{
    tl_buf b = TL_BUF_INIT;
    int in_tag = 0, in_dq = 0, in_sq = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = x[i];
        if (!in_tag) {
            in_tag = ch == '<';
        } else if (in_dq) {
            if (ch == '"') {
                in_dq = 0;
                ch = '\'';
            } else if (ch == '\'') {
                tl_buf_puts(&b, "&apos;");
                continue;
            }
        } else if (in_sq) {
            in_sq = ch != '\'';
        } else if (ch == '"') {
            in_dq = 1;
            ch = '\'';
        } else if (ch == '\'') {
            in_sq = 1;
        } else if (ch == '>') {
            in_tag = 0;
        }
        tl_buf_putc(&b, ch);
    }
    return tl_buf_take(&b);
}

static void py_list3(tl_buf *b, const char *a, const char *c, const char *e)
{
    tl_buf_printf(b, "['%s', '%s', '%s']", a, c, e);
}

static int split_ut(const char *s, char out[3][256])
{
    /* wazuh_logtest.py: args.ut.split(':') must give three parts */
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *c = strchr(p, ':');
        if (i < 2 && !c)
            return -1;
        if (i == 2 && c)
            return -1;
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n >= 256)
            return -1;
        memcpy(out[i], p, n);
        out[i][n] = '\0';
        p = c ? c + 1 : p + n;
    }
    return 0;
}

enum { O_LT_JSON = 1, O_LT_VERBOSE, O_LT_UT, O_LT_WINEVT_JSON };
static const tl_cli_opt logtest_opts[] = {
    {"-j", NULL, O_LT_JSON, "one JSON line per event (the reply's \"output\" object)", 0},
    {"-v", NULL, O_LT_VERBOSE, "rule debugging: every rule tried and why it did not match", 0},
    {"-U", "RULE:LEVEL:DECODER", O_LT_UT, "unit test on the last event: exit 0 if it matches, else 1", 0},
    {"--winevt-as-json", NULL, O_LT_WINEVT_JSON,
     "rule 60000 takes JSON lines (runtests.py), for pasted {\"win\":...} lines", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_logtest_def = {
    "logtest", "< EVENTS", "wazuh-logtest: one event a line on stdin, its decoding and matching rule",
    logtest_opts, tl_cli_cmd_logtest, LOGTEST_FORMS};

/* One line of `in` into b (without "\n"), keeping at most `keep` bytes;
 * *total is the line's real length. 0 at EOF with nothing read. */
static int read_line(FILE *in, tl_buf *b, size_t keep, size_t *total)
{
    int ch, any = 0;
    tl_buf_reset(b);
    *total = 0;
    while ((ch = getc(in)) != EOF) {
        any = 1;
        if (ch == '\n')
            break;
        if (b->len < keep)
            tl_buf_putc(b, (char)ch);
        (*total)++;
    }
    return any;
}

tl_status tl_cli_logtest_stream(tl_logtest *lt, FILE *in, FILE *out, FILE *err, int json,
                                tl_cli_logtest_last *last)
{
    tl_status st = TL_OK;
    tl_buf line = TL_BUF_INIT;
    unsigned long lineno = 0;
    size_t total = 0;
    tl_diag d;
    memset(last, 0, sizeof *last);
    /* keep one byte more than an event may have, plus a '\r' */
    const size_t keep = (size_t)TL_LOGTEST_MAX_EVENT + 2;
    while (read_line(in, &line, keep, &total)) {
        lineno++;
        if (tl_buf_status(&line) != TL_OK) {
            fprintf(err, "tasklab logtest: line %lu: out of memory\n", lineno);
            st = TL_E_NOMEM;
            goto cleanup;
        }
        size_t len = line.len;
        if (len && line.data[len - 1] == '\r' && total == len) {
            len--;
            total--;
        }
        if (!total)
            continue;
        if (total > len) {
            /* too long to keep: say so as analysisd's limit check would */
            fprintf(err,
                    "tasklab logtest: line %lu: event of %zu bytes is longer than the %d bytes "
                    "analysisd accepts; skipped\n",
                    lineno, total, TL_LOGTEST_MAX_EVENT);
            last->errors++;
            fflush(err);
            continue;
        }
        /* events.xml / wevtutil qe /f:xml: skip the document's own lines, and
         * wrap a bare <Event> record as the agent forwards it */
        char *ev = line.data + strspn(line.data, " \t");
        size_t evlen = len - (size_t)(ev - line.data);
        if ((evlen == 8 && !memcmp(ev, "<Events>", 8)) || (evlen == 9 && !memcmp(ev, "</Events>", 9)) ||
            (evlen >= 5 && !memcmp(ev, "<?xml", 5)))
            continue;
        char *wrapped = NULL;
        if (evlen > 7 && (!memcmp(ev, "<Event ", 7) || !memcmp(ev, "<Event>", 7)) &&
            !memchr(ev, '\0', evlen)) {
            char *xml = single_quoted(ev, evlen);
            wrapped = xml ? tl_agent_eventchannel_payload(NULL, xml) : NULL;
            tl_free(xml);
            if (!wrapped) {
                fprintf(err, "tasklab logtest: line %lu: out of memory\n", lineno);
                st = TL_E_NOMEM;
                goto cleanup;
            }
            ev = wrapped;
            evlen = strlen(wrapped);
        }
        tl_logtest_result res;
        tl_diag_clear(&d);
        st = tl_logtest_process(lt, ev, evlen, &res, &d);
        tl_free(wrapped);
        if (st == TL_E_NOMEM) {
            fprintf(err, "tasklab logtest: line %lu: out of memory\n", lineno);
            goto cleanup;
        }
        if (st != TL_OK) {
            fprintf(err, "tasklab logtest: line %lu: %s\n", lineno,
                    d.msg[0] ? d.msg : tl_strerror(st));
            last->errors++;
            fflush(err);
            st = TL_OK;
            continue;
        }
        fprintf(out, "%s\n", json ? res.json : res.text);
        fflush(out);
        last->have = res.matched;
        snprintf(last->rule, sizeof last->rule, "%s", res.rule_id);
        if (res.matched)
            snprintf(last->level, sizeof last->level, "%d", res.level);
        else
            last->level[0] = '\0';
        snprintf(last->dec, sizeof last->dec, "%s", res.decoder);
    }
    if (ferror(in)) {
        fprintf(err, "tasklab logtest: error reading stdin\n");
        st = TL_E_IO;
    }
cleanup:
    tl_buf_free(&line);
    return st;
}

int tl_cli_cmd_logtest(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, json = 0, verbose = 0, errors = 0, winevt_json = 0;
    const char *ut = NULL;
    char ut_exp[3][256];
    char last_rule[16] = "", last_level[16] = "", last_dec[256] = "";
    int have_last = 0;
    tl_ruleset *rs = NULL;
    tl_logtest *lt = NULL;
    tl_diag d;
    tl_diag_clear(&d);

    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_logtest_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == O_LT_JSON)
            json = 1;
        else if (o == O_LT_VERBOSE)
            verbose = 1;
        else if (o == O_LT_WINEVT_JSON)
            winevt_json = 1;
        else if (o == O_LT_UT) {
            ut = p.val;
            if (split_ut(ut, ut_exp) != 0) {
                fprintf(stderr,
                        "tasklab logtest: -U '%s': expected rule:level:decoder (three fields)\n",
                        ut);
                rc = 2;
                goto done;
            }
        } else if (o == TL_OPT_OPERAND) {
            fprintf(stderr,
                    "tasklab logtest: unexpected argument '%s': events are read on stdin (see "
                    "tasklab logtest --help)\n",
                    p.val);
            rc = 2;
            goto done;
        } else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }

    tl_status st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    if (winevt_json && tl_ruleset_winevt_as_json(rs, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_logtest_opts o;
    memset(&o, 0, sizeof o);
    o.rules_debug = verbose;
    st = tl_logtest_new(rs, &o, &lt);
    if (st != TL_OK) {
        fprintf(stderr, "tasklab logtest: %s\n", tl_strerror(st));
        rc = 2;
        goto done;
    }

    tl_cli_logtest_last last;
    st = tl_cli_logtest_stream(lt, stdin, stdout, stderr, json, &last);
    if (st != TL_OK) {
        rc = 2;
        goto done;
    }
    errors = last.errors;
    have_last = last.have;
    snprintf(last_rule, sizeof last_rule, "%s", last.rule);
    snprintf(last_level, sizeof last_level, "%s", last.level);
    snprintf(last_dec, sizeof last_dec, "%s", last.dec);
    if (ut) {
        tl_buf b = TL_BUF_INIT;
        int ok = have_last && !strcmp(last_rule, ut_exp[0]) && !strcmp(last_level, ut_exp[1]) &&
                 !strcmp(last_dec, ut_exp[2]);
        if (ok) {
            printf("Unit test OK\n");
            rc = 0;
        } else {
            tl_buf_puts(&b, "Unit test FAIL. Expected ");
            py_list3(&b, ut_exp[0], ut_exp[1], ut_exp[2]);
            tl_buf_puts(&b, " , Result ");
            if (have_last)
                py_list3(&b, last_rule, last_level, last_dec);
            else
                tl_buf_puts(&b, "[]");
            printf("%s\n", tl_buf_cstr(&b));
            rc = 1;
        }
        tl_buf_free(&b);
    } else if (errors) {
        rc = 2;
    }
done:
    tl_logtest_free(lt);
    tl_ruleset_free(rs);
    tl_cli_common_free(&c);
    return rc;
}
