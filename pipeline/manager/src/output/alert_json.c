/* SPDX-License-Identifier: MIT */
/*
 * alerts.json lines (analysisd src/analysisd/format/to_json.c fn
 * Eventinfo_to_jsonstr; wazuh.md §10) and rule description expansion
 * (eventinfo.c fn ParseRuleComment; §9).
 *
 * Key order is owned here and is Wazuh's:
 *   timestamp, rule{level?, description, id, mitre?, cve?, info?, frequency?,
 *   firedtimes?, mail, groups, pci_dss.. (in order of first appearance)},
 *   agent{id, name, ip?}, manager{name}, id, previous_output?, full_log?,
 *   predecoder?, decoder?, data?, location
 * The line is written directly, byte for byte what cJSON_PrintUnformatted
 * printed (its escaping, its number form; see "the alert" below).
 *
 * data: static fields first (protocol, action, srcip, srcport, srcuser, dstip,
 * dstport, dstuser, id, status, url, data, extra_data, system_name), then the
 * dynamic fields in decode order re-nested on '.' (W_JSON_AddField: object
 * lookups are cJSON's case-insensitive ones; a later duplicate key is
 * dropped); a value starting with '[' that parses completely as JSON becomes
 * a real array, every other value stays a string ("null", "5", "true").
 *
 * MITRE: a fixed table stands in for Wazuh-DB's MITRE tables. Tactics are
 * listed in ATT&CK kill-chain order (the order wazuh.md §10 pins for T1053).
 * Technique names are ATT&CK's (v13 era, as shipped with Wazuh 4.x).
 */
#include "rules/rules_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TA_EXE "Execution"
#define TA_PER "Persistence"
#define TA_PRI "Privilege Escalation"
#define TA_DEF "Defense Evasion"
#define TA_CRE "Credential Access"
#define TA_DIS "Discovery"
#define TA_LAT "Lateral Movement"
#define TA_COL "Collection"
#define TA_C2 "Command and Control"
#define TA_IMP "Impact"
#define TA_INI "Initial Access"

typedef struct mitre_entry {
    const char *id;
    const char *technique;
    const char *tactics[5];
} mitre_entry;

static const mitre_entry mitre_table[] = {
    {"T1003", "OS Credential Dumping", {TA_CRE}},
    {"T1003.001", "LSASS Memory", {TA_CRE}},
    {"T1003.002", "Security Account Manager", {TA_CRE}},
    {"T1005", "Data from Local System", {TA_COL}},
    {"T1012", "Query Registry", {TA_DIS}},
    {"T1016", "System Network Configuration Discovery", {TA_DIS}},
    {"T1021", "Remote Services", {TA_LAT}},
    {"T1021.001", "Remote Desktop Protocol", {TA_LAT}},
    {"T1021.002", "SMB/Windows Admin Shares", {TA_LAT}},
    {"T1021.006", "Windows Remote Management", {TA_LAT}},
    {"T1027", "Obfuscated Files or Information", {TA_DEF}},
    {"T1033", "System Owner/User Discovery", {TA_DIS}},
    {"T1036", "Masquerading", {TA_DEF}},
    {"T1036.003", "Rename System Utilities", {TA_DEF}},
    {"T1036.005", "Match Legitimate Name or Location", {TA_DEF}},
    {"T1047", "Windows Management Instrumentation", {TA_EXE}},
    {"T1053", "Scheduled Task/Job", {TA_EXE, TA_PER, TA_PRI}},
    {"T1053.005", "Scheduled Task", {TA_EXE, TA_PER, TA_PRI}},
    {"T1055", "Process Injection", {TA_PRI, TA_DEF}},
    {"T1057", "Process Discovery", {TA_DIS}},
    {"T1059", "Command and Scripting Interpreter", {TA_EXE}},
    {"T1059.001", "PowerShell", {TA_EXE}},
    {"T1059.003", "Windows Command Shell", {TA_EXE}},
    {"T1059.005", "Visual Basic", {TA_EXE}},
    {"T1070.004", "File Deletion", {TA_DEF}},
    {"T1070.006", "Timestomp", {TA_DEF}},
    {"T1071", "Application Layer Protocol", {TA_C2}},
    {"T1074.001", "Local Data Staging", {TA_COL}},
    {"T1078", "Valid Accounts", {TA_INI, TA_PER, TA_PRI, TA_DEF}},
    {"T1078.002", "Domain Accounts", {TA_INI, TA_PER, TA_PRI, TA_DEF}},
    {"T1082", "System Information Discovery", {TA_DIS}},
    {"T1083", "File and Directory Discovery", {TA_DIS}},
    {"T1087", "Account Discovery", {TA_DIS}},
    {"T1095", "Non-Application Layer Protocol", {TA_C2}},
    {"T1105", "Ingress Tool Transfer", {TA_C2}},
    {"T1110", "Brute Force", {TA_CRE}},
    {"T1110.001", "Password Guessing", {TA_CRE}},
    {"T1112", "Modify Registry", {TA_DEF}},
    {"T1114.001", "Local Email Collection", {TA_COL}},
    {"T1115", "Clipboard Data", {TA_COL}},
    {"T1119", "Automated Collection", {TA_COL}},
    {"T1120", "Peripheral Device Discovery", {TA_DIS}},
    {"T1136", "Create Account", {TA_PER}},
    {"T1136.001", "Local Account", {TA_PER}},
    {"T1140", "Deobfuscate/Decode Files or Information", {TA_DEF}},
    {"T1190", "Exploit Public-Facing Application", {TA_INI}},
    {"T1203", "Exploitation for Client Execution", {TA_EXE}},
    {"T1204", "User Execution", {TA_EXE}},
    {"T1204.002", "Malicious File", {TA_EXE}},
    {"T1207", "Rogue Domain Controller", {TA_DEF}},
    {"T1210", "Exploitation of Remote Services", {TA_LAT}},
    {"T1485", "Data Destruction", {TA_IMP}},
    {"T1486", "Data Encrypted for Impact", {TA_IMP}},
    {"T1489", "Service Stop", {TA_IMP}},
    {"T1490", "Inhibit System Recovery", {TA_IMP}},
    {"T1497", "Virtualization/Sandbox Evasion", {TA_DEF, TA_DIS}},
    {"T1499", "Endpoint Denial of Service", {TA_IMP}},
    {"T1518.001", "Security Software Discovery", {TA_DIS}},
    {"T1529", "System Shutdown/Reboot", {TA_IMP}},
    {"T1531", "Account Access Removal", {TA_IMP}},
    {"T1543", "Create or Modify System Process", {TA_PER, TA_PRI}},
    {"T1543.003", "Windows Service", {TA_PER, TA_PRI}},
    {"T1546.003", "Windows Management Instrumentation Event Subscription", {TA_PER, TA_PRI}},
    {"T1546.011", "Application Shimming", {TA_PER, TA_PRI}},
    {"T1546.015", "Component Object Model Hijacking", {TA_PER, TA_PRI}},
    {"T1547", "Boot or Logon Autostart Execution", {TA_PER, TA_PRI}},
    {"T1547.001", "Registry Run Keys / Startup Folder", {TA_PER, TA_PRI}},
    {"T1548", "Abuse Elevation Control Mechanism", {TA_PRI, TA_DEF}},
    {"T1548.002", "Bypass User Account Control", {TA_PRI, TA_DEF}},
    {"T1550.002", "Pass the Hash", {TA_DEF, TA_LAT}},
    {"T1560", "Archive Collected Data", {TA_COL}},
    {"T1560.001", "Archive via Utility", {TA_COL}},
    {"T1562", "Impair Defenses", {TA_DEF}},
    {"T1562.001", "Disable or Modify Tools", {TA_DEF}},
    {"T1562.004", "Disable or Modify System Firewall", {TA_DEF}},
    {"T1565.001", "Stored Data Manipulation", {TA_IMP}},
    {"T1569", "System Services", {TA_EXE}},
    {"T1569.002", "Service Execution", {TA_EXE}},
    {"T1570", "Lateral Tool Transfer", {TA_LAT}},
};

int tl_mitre_lookup(const char *id, const char **technique, const char *const **tactics) {
    for (size_t i = 0; i < sizeof mitre_table / sizeof mitre_table[0]; i++) {
        if (strcmp(mitre_table[i].id, id) == 0) {
            if (technique)
                *technique = mitre_table[i].technique;
            if (tactics)
                *tactics = mitre_table[i].tactics;
            return 1;
        }
    }
    return 0;
}

/* ---- description ---------------------------------------------------------- */

#define TL_COMMENT_MAX 1024

static const char *desc_value(const tl_event *ev, const char *name) {
    static const struct {
        const char *n;
        tl_static_field f;
    } st[] = {{"dstuser", TL_SF_DSTUSER},
              {"srcuser", TL_SF_SRCUSER},
              {"srcip", TL_SF_SRCIP},
              {"dstip", TL_SF_DSTIP},
              {"srcport", TL_SF_SRCPORT},
              {"dstport", TL_SF_DSTPORT},
              {"protocol", TL_SF_PROTOCOL},
              {"action", TL_SF_ACTION},
              {"id", TL_SF_ID},
              {"url", TL_SF_URL},
              {"data", TL_SF_DATA},
              {"status", TL_SF_STATUS},
              {"extra_data", TL_SF_EXTRA_DATA},
              {"system_name", TL_SF_SYSTEMNAME}};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        if (strcmp(name, st[i].n) == 0)
            return ev->stat[st[i].f];
    if (strcmp(name, "program_name") == 0)
        return ev->program_name;
    if (strcmp(name, "hostname") == 0)
        return ev->hostname;
    return tl_event_find_field(ev, name);
}

void tl_description_expand(const char *desc, const tl_event *ev, tl_buf *out) {
    size_t start = out->len;
    const char *p = desc;
    const char *tok = strstr(p, "$(");
    if (!tok) {
        tl_buf_puts(out, desc);
        return;
    }
    while (tok) {
        tl_buf_append(out, p, (size_t)(tok - p));
        const char *var = tok + 2;
        const char *close = strchr(var, ')');
        if (!close) {
            p = tok; /* "$(" without ")" stays literal */
            break;
        }
        char name[256];
        size_t nl = (size_t)(close - var);
        if (nl >= sizeof name)
            nl = sizeof name - 1;
        memcpy(name, var, nl);
        name[nl] = '\0';
        const char *v = desc_value(ev, name);
        if (v)
            tl_buf_puts(out, v);
        p = close + 1;
        tok = strstr(p, "$(");
        if (out->len - start >= TL_COMMENT_MAX)
            break;
    }
    tl_buf_puts(out, p);
    if (out->len - start >= TL_COMMENT_MAX) {
        /* too long: analysisd falls back to the raw description */
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        tl_buf_puts(out, desc);
    }
}

/* ---- the alert --------------------------------------------------------------- */

/*
 * The line is written straight into the output buffer, byte for byte what
 * cJSON_PrintUnformatted printed for the object tree this file used to build
 * (cJSON 1.7.15): strings escaped by tl_buf_json_strn (cJSON's escapes: `"`
 * `\` \b \f \n \r \t, other bytes below 0x20 as \u00xx, the rest as they
 * are), numbers as "%1.15g" (integers below 1e15 print as themselves), keys in
 * insertion order. Only the data object needs a tree (a dotted field joins
 * the object its prefix made, wherever that was created): a small array of
 * nodes on the stack, grown on the heap past 128 fields. cJSON itself is used
 * only to re-print a value that parses as a JSON array, as before.
 */

typedef struct jnode {
    const char *key;
    size_t klen;
    const char *val; /* leaf: NUL-terminated string, or the raw JSON text of an array */
    size_t vlen;     /* raw array: its length */
    int kind;        /* 0 object, 1 string, 2 raw JSON */
    int first, last, next; /* children and sibling, -1 for none */
} jnode;

typedef struct jtree {
    jnode *v;
    size_t n, cap;
    jnode stack[128];
    tl_buf raw; /* re-printed arrays, NUL-separated; node val is an offset until the end */
    int oom;
} jtree;

static int jt_add(jtree *t, int parent, const char *key, size_t klen, int kind, const char *val,
                  size_t vlen) {
    if (t->n == t->cap) {
        size_t nc = t->cap * 2;
        jnode *nv = tl_malloc(nc * sizeof *nv);
        if (!nv) {
            t->oom = 1;
            return -1;
        }
        memcpy(nv, t->v, t->n * sizeof *nv);
        if (t->v != t->stack)
            tl_free(t->v);
        t->v = nv;
        t->cap = nc;
    }
    int i = (int)t->n++;
    jnode *nd = &t->v[i];
    nd->key = key;
    nd->klen = klen;
    nd->val = val;
    nd->vlen = vlen;
    nd->kind = kind;
    nd->first = nd->last = nd->next = -1;
    if (parent >= 0) {
        jnode *p = &t->v[parent];
        if (p->last >= 0)
            t->v[p->last].next = i;
        else
            p->first = i;
        p->last = i;
    }
    return i;
}

static int lower_ascii(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* cJSON_GetObjectItem: the first child whose key equals key[0..klen)
 * ignoring ASCII case, or -1. */
static int jt_find(const jtree *t, int parent, const char *key, size_t klen) {
    for (int i = t->v[parent].first; i >= 0; i = t->v[i].next) {
        const jnode *c = &t->v[i];
        if (c->klen != klen)
            continue;
        size_t k = 0;
        while (k < klen && lower_ascii((unsigned char)c->key[k]) ==
                               lower_ascii((unsigned char)key[k]))
            k++;
        if (k == klen)
            return i;
    }
    return -1;
}

/* W_JSON_AddField: key re-nested on '.', a later duplicate dropped. */
static void json_add_field(jtree *t, int obj, const char *key, const char *value) {
    for (;;) {
        const char *nest = strchr(key, '.');
        if (!nest)
            break;
        size_t len = (size_t)(nest - key);
        int c = jt_find(t, obj, key, len);
        if (c < 0)
            c = jt_add(t, obj, key, len, 0, NULL, 0);
        if (c < 0 || t->v[c].kind != 0)
            return;
        obj = c;
        key = nest + 1;
    }
    size_t kl = strlen(key);
    if (jt_find(t, obj, key, kl) >= 0)
        return;
    if (*value == '[') {
        const char *endp = NULL;
        cJSON *arr = cJSON_ParseWithOpts(value, &endp, 0);
        if (arr && endp && *endp == '\0') {
            char *txt = cJSON_PrintUnformatted(arr);
            cJSON_Delete(arr);
            if (!txt) {
                t->oom = 1;
                return;
            }
            size_t at = t->raw.len, tl = strlen(txt);
            tl_buf_append(&t->raw, txt, tl);
            tl_buf_putc(&t->raw, '\0');
            cJSON_free(txt);
            if (tl_buf_status(&t->raw) != TL_OK) {
                t->oom = 1;
                return;
            }
            jt_add(t, obj, key, kl, 2, NULL, at); /* vlen: its offset in raw */
            return;
        }
        // not JSON (or the parser ran out of memory: cJSON cannot tell)
        cJSON_Delete(arr);
    }
    jt_add(t, obj, key, kl, 1, value, 0);
}

static void jt_print(const jtree *t, int i, tl_buf *out) {
    tl_buf_putc(out, '{');
    for (int c = t->v[i].first; c >= 0; c = t->v[c].next) {
        const jnode *nd = &t->v[c];
        if (c != t->v[i].first)
            tl_buf_putc(out, ',');
        tl_buf_json_strn(out, nd->key, nd->klen);
        tl_buf_putc(out, ':');
        if (nd->kind == 0)
            jt_print(t, c, out);
        else if (nd->kind == 1)
            tl_buf_json_str(out, nd->val);
        else
            tl_buf_puts(out, t->raw.data + nd->vlen);
    }
    tl_buf_putc(out, '}');
}

/* "key":"value" after a comma unless first */
static void put_kv(tl_buf *out, int *first, const char *key, const char *val) {
    if (!*first)
        tl_buf_putc(out, ',');
    *first = 0;
    tl_buf_putc(out, '"');
    tl_buf_puts(out, key);
    tl_buf_puts(out, "\":");
    tl_buf_json_str(out, val);
}

/* cJSON's print_number ("%1.15g", "%1.17g" when that does not read back) */
static void put_num(tl_buf *out, double d) {
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
        tl_buf_printf(out, "%lld", (long long)d);
        return;
    }
    char b[40];
    snprintf(b, sizeof b, "%1.15g", d);
    if (strtod(b, NULL) != d)
        snprintf(b, sizeof b, "%1.17g", d);
    tl_buf_puts(out, b);
}

static void put_kn(tl_buf *out, const char *key, double d) {
    tl_buf_printf(out, ",\"%s\":", key);
    put_num(out, d);
}

static void put_groups(tl_buf *out, const char *groups) {
    static const struct {
        const char *prefix;
        const char *key;
    } comp[] = {{"pci_dss_", "pci_dss"},
                {"gpg13_", "gpg13"},
                {"gdpr_", "gdpr"},
                {"hipaa_", "hipaa"},
                {"nist_800_53_", "nist_800_53"},
                {"tsc_", "tsc"},
                {"cis_", "cis"}};
    enum { NCOMP = sizeof comp / sizeof comp[0] };
    /* pass -1: the groups array; then each compliance array in the order its
     * first item appears (cJSON added them to the rule object that way) */
    int order[NCOMP], norder = 0;
    for (int pass = -1; pass < norder; pass++) {
        int want = pass < 0 ? -1 : order[pass];
        if (pass < 0)
            tl_buf_puts(out, ",\"groups\":[");
        else
            tl_buf_printf(out, ",\"%s\":[", comp[want].key);
        int first = 1;
        const char *p = groups ? groups : "";
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len) {
                if (len > 511)
                    len = 511;
                int which = -1;
                size_t pl = 0;
                for (int i = 0; i < NCOMP && which < 0; i++) {
                    pl = strlen(comp[i].prefix);
                    if (len >= pl && !strncmp(p, comp[i].prefix, pl))
                        which = i;
                }
                if (pass < 0 && which >= 0) {
                    int seen = 0;
                    for (int k = 0; k < norder; k++)
                        seen |= order[k] == which;
                    if (!seen)
                        order[norder++] = which;
                }
                if (which == want) {
                    size_t skip = which >= 0 ? pl : 0;
                    if (!first)
                        tl_buf_putc(out, ',');
                    first = 0;
                    tl_buf_json_strn(out, p + skip, len - skip);
                }
            }
            if (!e)
                break;
            p = e + 1;
        }
        tl_buf_putc(out, ']');
    }
}

static void put_mitre(tl_buf *out, const tl_rule *r) {
    if (!r->nmitre)
        return;
    const char *tac[64];
    size_t ntac = 0;
    for (size_t i = 0; i < r->nmitre; i++) {
        const char *tech = NULL;
        const char *const *tactics = NULL;
        if (!tl_mitre_lookup(r->mitre_ids[i], &tech, &tactics))
            continue;
        for (size_t k = 0; k < 5 && tactics[k]; k++) {
            int dup = 0;
            for (size_t j = 0; j < ntac && !dup; j++)
                dup = !strcmp(tac[j], tactics[k]);
            if (!dup && ntac < sizeof tac / sizeof tac[0])
                tac[ntac++] = tactics[k];
        }
    }
    if (!ntac)
        return;
    tl_buf_puts(out, ",\"mitre\":{\"id\":[");
    for (size_t i = 0; i < r->nmitre; i++) {
        if (i)
            tl_buf_putc(out, ',');
        tl_buf_json_str(out, r->mitre_ids[i]);
    }
    tl_buf_puts(out, "],\"tactic\":[");
    for (size_t j = 0; j < ntac; j++) {
        if (j)
            tl_buf_putc(out, ',');
        tl_buf_json_str(out, tac[j]);
    }
    tl_buf_puts(out, "],\"technique\":[");
    int first = 1;
    for (size_t i = 0; i < r->nmitre; i++) {
        const char *tech = NULL;
        if (!tl_mitre_lookup(r->mitre_ids[i], &tech, NULL))
            continue;
        if (!first)
            tl_buf_putc(out, ',');
        first = 0;
        tl_buf_json_str(out, tech);
    }
    tl_buf_puts(out, "]}");
}

tl_status tl_alert_build(tl_engine *e, const tl_rule *r, long firedtimes, const char *description,
                         tl_buf *out) {
    const tl_event *ev = &e->ev;
    const tl_ruleset *rs = e->rs;
    tl_status st = TL_OK;
    jtree t;
    t.v = t.stack;
    t.n = 0;
    t.cap = sizeof t.stack / sizeof t.stack[0];
    t.raw = (tl_buf)TL_BUF_INIT;
    t.oom = 0;
    tl_buf_reset(out);
    char ts[40];
    tl_time_fmt_wazuh(ev->time, ts);
    tl_buf_puts(out, "{\"timestamp\":");
    tl_buf_json_str(out, ts);

    tl_buf_puts(out, ",\"rule\":{");
    int first = 1;
    if (r->level) {
        tl_buf_puts(out, "\"level\":");
        put_num(out, r->level);
        first = 0;
    }
    put_kv(out, &first, "description", description);
    put_kv(out, &first, "id", r->id_str);
    put_mitre(out, r);
    if (r->cve)
        put_kv(out, &first, "cve", r->cve);
    if (r->info)
        put_kv(out, &first, "info", r->info);
    if (r->frequency)
        put_kn(out, "frequency", r->frequency);
    if (!(r->options & TL_OPT_NO_COUNTER))
        put_kn(out, "firedtimes", (double)firedtimes);
    int mail = ((r->level >= rs->email_alert_level) && !(r->options & TL_OPT_NO_EMAIL_ALERT)) ||
               (r->options & TL_OPT_ALERT_BY_EMAIL);
    tl_buf_puts(out, mail ? ",\"mail\":true" : ",\"mail\":false");
    put_groups(out, r->groups);
    tl_buf_putc(out, '}');

    tl_buf_puts(out, ",\"agent\":{");
    first = 1;
    put_kv(out, &first, "id", ev->agent_id ? ev->agent_id : "000");
    put_kv(out, &first, "name", ev->agent_name ? ev->agent_name : e->manager_name);
    if (ev->agent_ip && strcmp(ev->agent_ip, "any") != 0)
        put_kv(out, &first, "ip", ev->agent_ip);
    tl_buf_puts(out, "},\"manager\":{");
    first = 1;
    put_kv(out, &first, "name", e->manager_name);
    tl_buf_putc(out, '}');
    char idbuf[48];
    snprintf(idbuf, sizeof idbuf, "%lld.%lld", (long long)(ev->time / TL_USEC_PER_SEC),
             (long long)e->alert_offset);
    first = 0;
    put_kv(out, &first, "id", idbuf);
    if (e->ctx_rule == r && e->nctx_prev) {
        tl_buf po = TL_BUF_INIT;
        // analysisd keeps at most 10 previous events per context match
        for (size_t i = 0; i < e->nctx_prev && i < 10; i++) {
            if (i)
                tl_buf_putc(&po, '\n');
            tl_buf_puts(&po, e->ctx_prev[i]->full_log ? e->ctx_prev[i]->full_log : "");
        }
        st = tl_buf_status(&po);
        if (st == TL_OK)
            put_kv(out, &first, "previous_output", tl_buf_cstr(&po));
        tl_buf_free(&po);
        TL_TRY(st);
    }
    if (!(r->options & TL_OPT_NO_FULL_LOG) && ev->full_log)
        put_kv(out, &first, "full_log", ev->full_log);
    if (ev->program_name || ev->dec_timestamp) {
        tl_buf_puts(out, ",\"predecoder\":{");
        int f2 = 1;
        if (ev->program_name)
            put_kv(out, &f2, "program_name", ev->program_name);
        if (ev->dec_timestamp)
            put_kv(out, &f2, "timestamp", ev->dec_timestamp);
        if (ev->hostname)
            put_kv(out, &f2, "hostname", ev->hostname);
        tl_buf_putc(out, '}');
    }
    if (ev->decoder_name) {
        const tl_decoder_info *di = tl_event_decoder_info(ev);
        tl_buf_puts(out, ",\"decoder\":{");
        int f2 = 1;
        if (di && di->accumulate) {
            tl_buf_puts(out, "\"accumulate\":1");
            f2 = 0;
        }
        if (ev->decoder_parent)
            put_kv(out, &f2, "parent", ev->decoder_parent);
        put_kv(out, &f2, "name", ev->decoder_name);
        if (di && di->ftscomment && r->if_fts)
            put_kv(out, &f2, "ftscomment", di->ftscomment);
        tl_buf_putc(out, '}');
    }
    {
        static const struct {
            const char *k;
            tl_static_field f;
        } so[] = {{"protocol", TL_SF_PROTOCOL},
                  {"action", TL_SF_ACTION},
                  {"srcip", TL_SF_SRCIP},
                  {"srcport", TL_SF_SRCPORT},
                  {"srcuser", TL_SF_SRCUSER},
                  {"dstip", TL_SF_DSTIP},
                  {"dstport", TL_SF_DSTPORT},
                  {"dstuser", TL_SF_DSTUSER},
                  {"id", TL_SF_ID},
                  {"status", TL_SF_STATUS},
                  {"url", TL_SF_URL},
                  {"data", TL_SF_DATA},
                  {"extra_data", TL_SF_EXTRA_DATA},
                  {"system_name", TL_SF_SYSTEMNAME}};
        int data = jt_add(&t, -1, "data", 4, 0, NULL, 0);
        for (size_t i = 0; i < sizeof so / sizeof so[0]; i++) {
            const char *v = ev->stat[so[i].f];
            if (v && *v)
                jt_add(&t, data, so[i].k, strlen(so[i].k), 1, v, 0);
        }
        for (size_t i = 0; i < ev->nfields && !t.oom; i++) {
            const tl_field *f = &ev->fields[i];
            if (f->name && f->value && *f->value)
                json_add_field(&t, data, f->name, f->value);
        }
        if (t.oom)
            TL_FAIL(TL_E_NOMEM);
        if (t.v[data].first >= 0) {
            tl_buf_puts(out, ",\"data\":");
            jt_print(&t, data, out);
        }
    }
    put_kv(out, &first, "location", ev->location_path ? ev->location_path : "");
    tl_buf_putc(out, '}');
    st = tl_buf_status(out);
cleanup:
    if (t.v != t.stack)
        tl_free(t.v);
    tl_buf_free(&t.raw);
    return st;
}
