/* SPDX-License-Identifier: MIT */
/*
 * Active-response binding and messages (wazuh.md §11.1, §11.2;
 * analysisd rules.c fn Rule_AddAR, ar_json.c fn getActiveResponseInJSON).
 *
 * Binding happens once, after all rules are loaded: an <active-response>
 * binds to a rule when
 *   (level and rules_group both set: rule level >= level AND OS_Regex(group))
 *   else (level set and rule level >= level) OR (rules_group matches),
 *   OR the rule id is in rules_id (always ORed).
 * Rules with level 0 or <options>no_ar</options> never bind.
 *
 * Message: {"version":1,"origin":{"name":"<node>","module":"wazuh-analysisd"},
 * "command":"<command><timeout>","parameters":{"extra_args":[...],"alert":{...}}}
 * with extra_args split on spaces and the alert exactly as alerts.json has it.
 */
#include "rules/rules_int.h"

#include <stdlib.h>
#include <string.h>

static int id_listed(const char *list, int id) {
    const char *p = list;
    while (p && *p) {
        if (atoi(p) == id)
            return 1;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return 0;
}

tl_status tl_ar_bind_all(tl_ruleset *rs, tl_diag *d) {
    (void)d;
    for (size_t i = 0; i < rs->nrules; i++) {
        tl_rule *r = rs->rules[i];
        if (r->level == 0 || (r->options & TL_OPT_NO_AR))
            continue;
        for (size_t k = 0; k < rs->nars; k++) {
            const tl_ar_binding *ar = &rs->ars[k];
            int mark = 0;
            int lvl = ar->level > 0;
            if (lvl && ar->group_re) {
                mark = r->level >= ar->level &&
                       tl_osregex_exec(ar->group_re, r->groups, NULL, 0, NULL, NULL);
            } else {
                if (lvl && r->level >= ar->level)
                    mark = 1;
                else if (ar->group_re &&
                         tl_osregex_exec(ar->group_re, r->groups, NULL, 0, NULL, NULL))
                    mark = 1;
            }
            if (ar->rules_id && id_listed(ar->rules_id, r->id))
                mark = 1;
            if (!mark)
                continue;
            const tl_ar_binding **nv = tl_realloc(r->ars, (r->nars + 1) * sizeof *nv);
            if (!nv)
                return TL_E_NOMEM;
            r->ars = nv;
            r->ars[r->nars++] = ar;
        }
    }
    return TL_OK;
}

void tl_ar_build_message(const tl_ar_binding *ar, const char *node_name, const char *alert_json,
                         tl_buf *out) {
    tl_buf_puts(out, "{\"version\":1,\"origin\":{\"name\":");
    tl_buf_json_str(out, node_name ? node_name : "undefined");
    tl_buf_puts(out, ",\"module\":\"wazuh-analysisd\"},\"command\":");
    tl_buf_json_str(out, ar->name);
    tl_buf_puts(out, ",\"parameters\":{\"extra_args\":[");
    int first = 1;
    const char *p = ar->cmd->extra_args;
    while (p && *p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if (!first)
            tl_buf_putc(out, ',');
        tl_buf_json_strn(out, w, (size_t)(p - w));
        first = 0;
    }
    tl_buf_puts(out, "],\"alert\":");
    tl_buf_puts(out, alert_json);
    tl_buf_puts(out, "}}");
}
