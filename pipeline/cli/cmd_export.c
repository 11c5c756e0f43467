/* SPDX-License-Identifier: MIT */
/*
 * tasklab export (issue 13, item 5): the events a scenario forwards to the
 * manager, in a form a user replays on their own Wazuh.
 *
 *   --format queue    the messages the manager received, in order, exactly as
 *                     remoted writes them to analysisd's queue socket
 *                     (`f:[001] (NAME) any->EventChannel:{"Message":…,"Event":…}`
 *                     for event-channel records, `1:[001] (NAME) any->LOCATION:LINE`
 *                     for the lines the logcollector read, e.g. the AR's log),
 *                     one JSON string a line: the form of the oracle's .queue
 *                     files (../shared/reference/oracle/README.md), which
 *                     `tasklab replay` reads back;
 *   --format logtest  one wazuh-logtest line per message, with the runtests.py
 *                     convention for Windows events (wazuh.md §12): the record
 *                     converted as analysisd converts it (§3) to a {"win":…}
 *                     JSON line, for a logtest whose rule 60000 takes json
 *                     (`tasklab logtest --winevt-as-json`); a log line as read;
 *   --format ini      one runtests.py section per message: `log 1 pass = ` the
 *                     logtest line, `rule`, `alert` (level) from the run, and
 *                     `decoder` (what decodes that line: json). For the user to
 *                     review: a section whose rule came from earlier events
 *                     (frequency, if_matched_*) says so in a comment, since
 *                     runtests.py runs each case in a fresh session; a message
 *                     no rule matched is a comment only.
 * Several scenarios: their outputs one after the other (ini sections are named
 * after the scenario and the message's number).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "tasklab/winevt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_X_FORMAT = 1 };
static const tl_cli_opt export_opts[] = {
    {"--format", "F", O_X_FORMAT, "queue, logtest or ini (required)", 0},
    TL_CLI_OPTS_RULESET, TL_CLI_OPT_SYSMON_CONFIG, TL_CLI_OPT_END};
const tl_cli_cmd tl_cli_cmd_export_def = {
    "export", "SCENARIO...",
    "the events a scenario forwards, for your own Wazuh: queue messages, logtest lines, .ini cases",
    export_opts, tl_cli_cmd_export,
    "formats:\n"
    "  queue    what remoted writes to analysisd's queue, one JSON string a line\n"
    "           (\"f:[001] (NAME) any->EventChannel:{...}\", \"1:[001] (NAME) any->LOCATION:LINE\");\n"
    "           `tasklab replay FILE` reads it back\n"
    "  logtest  wazuh-logtest lines; Windows records as runtests.py's {\"win\":...} JSON\n"
    "           (`tasklab logtest --winevt-as-json`, or runtests.py's rule 60000 edit)\n"
    "  ini      runtests.py sections (log 1 pass, rule, alert, decoder) with what the run\n"
    "           produced, to review before you keep them (`tasklab ruleset-test`)\n"};

/* One manager message: the queue line split, and the run's verdict on it. */
typedef struct msg {
    char *line;      /* the queue message (owned) */
    char *logtest;   /* its logtest line (owned) */
    char rule[32];   /* the run's rule ("" none) */
    int level;
} msg;

/* The logtest line of one queue message: "f:..EventChannel:{payload}" -> the
 * {"win":…} conversion; "1:..->LOCATION:LINE" -> LINE. */
static tl_status logtest_line(const char *q, char **out, tl_diag *d)
{
    const char *arrow = strstr(q, "->");
    if (!arrow || q[1] != ':') {
        tl_diag_set(d, "", 0, "not a queue message: %.60s", q);
        return TL_E_PARSE;
    }
    /* the location ends at the first ':' not escaped as "|:" */
    const char *p = arrow + 2;
    while (*p && !(*p == ':' && p[-1] != '|'))
        p++;
    if (!*p) {
        tl_diag_set(d, "", 0, "not a queue message: %.60s", q);
        return TL_E_PARSE;
    }
    if (q[0] == 'f')
        return tl_winevt_convert(p + 1, out, d);
    *out = tl_strdup(p + 1);
    return *out ? TL_OK : TL_E_NOMEM;
}

/* The run's verdicts, in the manager's order: timeline items it processed
 * (forwarded records and collected lines). */
static size_t verdicts(const char *timeline_json, msg *m, size_t n, int *omitted)
{
    cJSON *tl = cJSON_Parse(timeline_json ? timeline_json : "");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(tl, "items");
    const cJSON *om = cJSON_GetObjectItemCaseSensitive(tl, "omitted");
    *omitted = cJSON_IsNumber(om) && om->valuedouble > 0;
    size_t k = 0;
    for (const cJSON *it = items ? items->child : NULL; it; it = it->next) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
        const cJSON *fw = cJSON_GetObjectItemCaseSensitive(it, "forwarded");
        if (!cJSON_IsString(kind))
            continue;
        if (!(!strcmp(kind->valuestring, "line") ||
              (!strcmp(kind->valuestring, "record") && cJSON_IsTrue(fw))))
            continue;
        if (k < n) {
            const cJSON *mg = cJSON_GetObjectItemCaseSensitive(it, "manager");
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(mg, "rule_id");
            const cJSON *lv = cJSON_GetObjectItemCaseSensitive(mg, "level");
            if (cJSON_IsString(id))
                snprintf(m[k].rule, sizeof m[k].rule, "%s", id->valuestring);
            m[k].level = cJSON_IsNumber(lv) ? lv->valueint : 0;
        }
        k++;
    }
    cJSON_Delete(tl);
    return k;
}

static int export_one(tl_cli_common *c, const char *argv0, const tl_ruleset *rs, const char *path,
                      const char *format)
{
    int rc = 0;
    tl_scenario *sc = NULL;
    tl_run_result res;
    memset(&res, 0, sizeof res);
    msg *m = NULL;
    size_t n = 0;
    tl_logtest *lt = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_scenario_load(path, &sc, &d);
    if (st == TL_OK) {
        tl_run_opts ro;
        tl_cli_fill_run_opts(c, argv0, &ro);
        ro.keep_queue = 1;
        ro.timeline = !strcmp(format, "ini");
        st = tl_pipeline_run(sc, rs, &ro, &res, &d);
    }
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto out;
    }
    if (!strcmp(format, "queue")) {
        fputs(res.queue ? res.queue : "", stdout);
        goto out;
    }
    /* the queue: one JSON string a line */
    for (const char *q = res.queue; q && *q;) {
        const char *nl = strchr(q, '\n');
        size_t l = nl ? (size_t)(nl - q) : strlen(q);
        cJSON *s = cJSON_ParseWithLength(q, l);
        if (cJSON_IsString(s)) {
            msg *nm = tl_realloc(m, (n + 1) * sizeof *m);
            if (!nm) {
                cJSON_Delete(s);
                rc = 2;
                goto out;
            }
            m = nm;
            memset(&m[n], 0, sizeof m[n]);
            m[n].line = tl_strdup(s->valuestring);
            if (!m[n].line || logtest_line(m[n].line, &m[n].logtest, &d) != TL_OK) {
                n++;
                cJSON_Delete(s);
                fprintf(stderr, "tasklab export: %s: message %zu: %s\n", tl_scenario_name(sc), n,
                        d.msg);
                rc = 2;
                goto out;
            }
            n++;
        }
        cJSON_Delete(s);
        q = nl ? nl + 1 : q + l;
    }
    if (!strcmp(format, "logtest")) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", m[i].logtest);
        goto out;
    }
    /* ini */
    int omitted = 0;
    size_t nv = verdicts(res.timeline_json, m, n, &omitted);
    if (omitted || nv != n) {
        fprintf(stderr,
                "tasklab export: %s: %zu messages but %zu verdicts in the run's timeline%s: "
                "--format ini needs them all\n",
                tl_scenario_name(sc), n, nv, omitted ? " (cut at its size limit)" : "");
        rc = 2;
        goto out;
    }
    /* each line alone in a fresh session, as runtests.py runs it (rule 60000
     * taking json, as its edit makes it) */
    tl_ruleset *wrs = NULL;
    if (tl_cli_load_ruleset(c, &wrs, &d) != TL_OK || tl_ruleset_winevt_as_json(wrs, &d) != TL_OK) {
        tl_cli_error(&d);
        tl_ruleset_free(wrs);
        rc = 2;
        goto out;
    }
    printf("; tasklab export --format ini %s: what tasklab's run produced for each message the\n"
           "; manager received. Review each case before you keep it.\n",
           tl_scenario_name(sc));
    for (size_t i = 0; i < n; i++) {
        /* a fresh session per case, as runtests.py runs it */
        tl_logtest_result lr;
        memset(&lr, 0, sizeof lr);
        if (tl_logtest_new(wrs, NULL, &lt) == TL_OK)
            tl_logtest_process(lt, m[i].logtest, strlen(m[i].logtest), &lr, &d);
        printf("\n[%s message %zu]\n", tl_scenario_name(sc), i + 1);
        if (!m[i].rule[0]) {
            printf("; no rule matched this message in the run\n");
            printf("; log 1 pass = %s\n", m[i].logtest);
        } else {
            if (lr.matched && (strcmp(lr.rule_id, m[i].rule) || lr.level != m[i].level))
                printf("; note: alone (a fresh session) this line matches rule %s level %d: the "
                       "run's rule depended on earlier events\n",
                       lr.rule_id, lr.level);
            else if (!lr.matched)
                printf("; note: alone (a fresh session) no rule matches this line: the run's "
                       "rule depended on earlier events\n");
            printf("log 1 pass = %s\nrule = %s\nalert = %d\ndecoder = %s\n", m[i].logtest,
                   m[i].rule, m[i].level, lr.decoder && *lr.decoder ? lr.decoder : "json");
        }
        tl_logtest_free(lt);
        lt = NULL;
    }
    tl_ruleset_free(wrs);
out:
    for (size_t i = 0; i < n; i++) {
        tl_free(m[i].line);
        tl_free(m[i].logtest);
    }
    tl_free(m);
    tl_logtest_free(lt);
    tl_run_result_clear(&res);
    tl_scenario_free(sc);
    return rc;
}

int tl_cli_cmd_export(int argc, char **argv)
{
    tl_cli_common c;
    tl_cli_common_init(&c);
    int rc = 0, nargs = 0;
    const char *format = NULL;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    tl_cli_list files = {0};
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (!args)
        return 2;
    tl_cli_parse p;
    tl_cli_parse_init(&p, &tl_cli_cmd_export_def, argc, argv);
    for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;) {
        if (o == TL_OPT_HELP || o == TL_OPT_ERR) {
            rc = o == TL_OPT_HELP ? 0 : 2;
            goto done;
        }
        if (o == TL_OPT_OPERAND)
            args[nargs++] = (char *)p.val;
        else if (o == O_X_FORMAT) {
            format = p.val;
            if (strcmp(format, "queue") && strcmp(format, "logtest") && strcmp(format, "ini")) {
                fprintf(stderr, "tasklab export: --format queue|logtest|ini, not '%s'\n", format);
                rc = 2;
                goto done;
            }
        } else if (tl_cli_common_set(&c, o, p.val) < 0) {
            rc = 2;
            goto done;
        }
    }
    if (!format || !nargs) {
        fprintf(stderr, "tasklab export: %s (see tasklab export --help)\n",
                !format ? "--format queue|logtest|ini is required" : "no scenario given");
        rc = 2;
        goto done;
    }
    if (tl_cli_expand_scenarios(args, nargs, &files, &d) != TL_OK) {
        tl_cli_error(&d);
        rc = 2;
        goto done;
    }
    tl_status st = tl_cli_load_ruleset(&c, &rs, &d);
    if (st != TL_OK) {
        tl_cli_error(&d);
        rc = st == TL_E_NOTFOUND ? 77 : 2;
        goto done;
    }
    for (size_t i = 0; i < files.n; i++) {
        int r = export_one(&c, argv[0], rs, files.v[i], format);
        if (r > rc)
            rc = r;
    }
done:
    tl_ruleset_free(rs);
    tl_cli_list_free(&files);
    tl_cli_common_free(&c);
    free(args);
    return rc;
}
