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
 * The line is printed by cJSON_PrintUnformatted, so escaping is cJSON's.
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

static void json_add_field(cJSON *root, const char *key, const char *value, int *oom) {
    const char *nest = strchr(key, '.');
    if (nest) {
        size_t len = (size_t)(nest - key);
        char stackbuf[256];
        char *cur = len < sizeof stackbuf ? stackbuf : tl_malloc(len + 1);
        if (!cur) {
            *oom = 1;
            return;
        }
        memcpy(cur, key, len);
        cur[len] = '\0';
        cJSON *obj = cJSON_GetObjectItem(root, cur);
        if (!obj) {
            obj = cJSON_CreateObject();
            if (!obj || !cJSON_AddItemToObject(root, cur, obj)) {
                cJSON_Delete(obj);
                obj = NULL;
                *oom = 1;
            }
        }
        if (cur != stackbuf)
            tl_free(cur);
        if (obj && cJSON_IsObject(obj))
            json_add_field(obj, nest + 1, value, oom);
        return;
    }
    if (cJSON_GetObjectItem(root, key))
        return;
    if (*value == '[') {
        const char *endp = NULL;
        cJSON *arr = cJSON_ParseWithOpts(value, &endp, 0);
        if (arr && endp && *endp == '\0') {
            if (!cJSON_AddItemToObject(root, key, arr)) {
                cJSON_Delete(arr);
                *oom = 1;
            }
            return;
        }
        // not JSON (or the parser ran out of memory: cJSON cannot tell)
        cJSON_Delete(arr);
    }
    if (!cJSON_AddStringToObject(root, key, value))
        *oom = 1;
}

static int add_str(cJSON *arr, const char *s) {
    cJSON *it = cJSON_CreateString(s);
    if (!it || !cJSON_AddItemToArray(arr, it)) {
        cJSON_Delete(it);
        return 0;
    }
    return 1;
}

static void add_groups(cJSON *rule, const char *groups, int *oom) {
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
    cJSON *garr = cJSON_CreateArray();
    if (!garr || !cJSON_AddItemToObject(rule, "groups", garr)) {
        cJSON_Delete(garr);
        *oom = 1;
        return;
    }
    const char *p = groups ? groups : "";
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            char buf[512];
            if (len >= sizeof buf)
                len = sizeof buf - 1;
            memcpy(buf, p, len);
            buf[len] = '\0';
            int done = 0;
            for (size_t i = 0; i < sizeof comp / sizeof comp[0] && !done; i++) {
                size_t pl = strlen(comp[i].prefix);
                if (strncmp(buf, comp[i].prefix, pl) == 0) {
                    cJSON *arr = cJSON_GetObjectItemCaseSensitive(rule, comp[i].key);
                    if (!arr) {
                        arr = cJSON_CreateArray();
                        if (!arr || !cJSON_AddItemToObject(rule, comp[i].key, arr)) {
                            cJSON_Delete(arr);
                            *oom = 1;
                            return;
                        }
                    }
                    if (!add_str(arr, buf + pl))
                        *oom = 1;
                    done = 1;
                }
            }
            if (!done && !add_str(garr, buf))
                *oom = 1;
        }
        if (!e)
            break;
        p = e + 1;
    }
}

static void add_mitre(cJSON *rule, const tl_rule *r, int *oom) {
    if (!r->nmitre)
        return;
    cJSON *m = cJSON_CreateObject(), *ids = cJSON_CreateArray(), *tac = cJSON_CreateArray(),
          *tec = cJSON_CreateArray();
    if (!m || !ids || !tac || !tec) {
        cJSON_Delete(m);
        cJSON_Delete(ids);
        cJSON_Delete(tac);
        cJSON_Delete(tec);
        *oom = 1;
        return;
    }
    int ok_i = cJSON_AddItemToObject(m, "id", ids);
    if (!ok_i)
        cJSON_Delete(ids);
    int ok_ta = cJSON_AddItemToObject(m, "tactic", tac);
    if (!ok_ta)
        cJSON_Delete(tac);
    int ok_te = cJSON_AddItemToObject(m, "technique", tec);
    if (!ok_te)
        cJSON_Delete(tec);
    if (!ok_i || !ok_ta || !ok_te) {
        cJSON_Delete(m);
        *oom = 1;
        return;
    }
    int ntac = 0;
    for (size_t i = 0; i < r->nmitre; i++) {
        if (!add_str(ids, r->mitre_ids[i]))
            *oom = 1;
        const char *tech = NULL;
        const char *const *tactics = NULL;
        if (!tl_mitre_lookup(r->mitre_ids[i], &tech, &tactics))
            continue;
        for (size_t k = 0; k < 5 && tactics[k]; k++) {
            int dup = 0;
            cJSON *it;
            cJSON_ArrayForEach(it, tac) if (strcmp(it->valuestring, tactics[k]) == 0) dup = 1;
            if (!dup) {
                if (!add_str(tac, tactics[k]))
                    *oom = 1;
                ntac++;
            }
        }
        if (!add_str(tec, tech))
            *oom = 1;
    }
    if (!ntac) {
        cJSON_Delete(m);
        return;
    }
    if (!cJSON_AddItemToObject(rule, "mitre", m)) {
        cJSON_Delete(m);
        *oom = 1;
    }
}

#define CHK(x)                                                                                     \
    do {                                                                                           \
        if (!(x))                                                                                  \
            oom = 1;                                                                               \
    } while (0)

tl_status tl_alert_build(tl_engine *e, const tl_rule *r, long firedtimes, const char *description,
                         tl_buf *out) {
    const tl_event *ev = &e->ev;
    const tl_ruleset *rs = e->rs;
    tl_status st = TL_OK;
    int oom = 0;
    char *txt = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return TL_E_NOMEM;
    char ts[40];
    tl_time_fmt_wazuh(ev->time, ts);
    CHK(cJSON_AddStringToObject(root, "timestamp", ts));

    cJSON *rule = cJSON_AddObjectToObject(root, "rule");
    if (!rule)
        TL_FAIL(TL_E_NOMEM);
    if (r->level)
        CHK(cJSON_AddNumberToObject(rule, "level", r->level));
    CHK(cJSON_AddStringToObject(rule, "description", description));
    CHK(cJSON_AddStringToObject(rule, "id", r->id_str));
    add_mitre(rule, r, &oom);
    if (r->cve)
        CHK(cJSON_AddStringToObject(rule, "cve", r->cve));
    if (r->info)
        CHK(cJSON_AddStringToObject(rule, "info", r->info));
    if (r->frequency)
        CHK(cJSON_AddNumberToObject(rule, "frequency", r->frequency));
    if (!(r->options & TL_OPT_NO_COUNTER))
        CHK(cJSON_AddNumberToObject(rule, "firedtimes", (double)firedtimes));
    int mail = ((r->level >= rs->email_alert_level) && !(r->options & TL_OPT_NO_EMAIL_ALERT)) ||
               (r->options & TL_OPT_ALERT_BY_EMAIL);
    CHK(cJSON_AddBoolToObject(rule, "mail", mail));
    add_groups(rule, r->groups, &oom);

    cJSON *agent = cJSON_AddObjectToObject(root, "agent");
    if (!agent)
        TL_FAIL(TL_E_NOMEM);
    CHK(cJSON_AddStringToObject(agent, "id", ev->agent_id ? ev->agent_id : "000"));
    CHK(cJSON_AddStringToObject(agent, "name", ev->agent_name ? ev->agent_name : e->manager_name));
    if (ev->agent_ip && strcmp(ev->agent_ip, "any") != 0)
        CHK(cJSON_AddStringToObject(agent, "ip", ev->agent_ip));
    cJSON *mgr = cJSON_AddObjectToObject(root, "manager");
    if (!mgr)
        TL_FAIL(TL_E_NOMEM);
    CHK(cJSON_AddStringToObject(mgr, "name", e->manager_name));
    char idbuf[48];
    snprintf(idbuf, sizeof idbuf, "%lld.%lld", (long long)(ev->time / TL_USEC_PER_SEC),
             (long long)e->alert_offset);
    CHK(cJSON_AddStringToObject(root, "id", idbuf));
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
            CHK(cJSON_AddStringToObject(root, "previous_output", tl_buf_cstr(&po)));
        tl_buf_free(&po);
        TL_TRY(st);
    }
    if (!(r->options & TL_OPT_NO_FULL_LOG) && ev->full_log)
        CHK(cJSON_AddStringToObject(root, "full_log", ev->full_log));
    if (ev->program_name || ev->dec_timestamp) {
        cJSON *pd = cJSON_AddObjectToObject(root, "predecoder");
        if (!pd)
            TL_FAIL(TL_E_NOMEM);
        if (ev->program_name)
            CHK(cJSON_AddStringToObject(pd, "program_name", ev->program_name));
        if (ev->dec_timestamp)
            CHK(cJSON_AddStringToObject(pd, "timestamp", ev->dec_timestamp));
        if (ev->hostname)
            CHK(cJSON_AddStringToObject(pd, "hostname", ev->hostname));
    }
    if (ev->decoder_name) {
        const tl_decoder_info *di = tl_event_decoder_info(ev);
        cJSON *dec = cJSON_AddObjectToObject(root, "decoder");
        if (!dec)
            TL_FAIL(TL_E_NOMEM);
        if (di && di->accumulate)
            CHK(cJSON_AddNumberToObject(dec, "accumulate", 1));
        if (ev->decoder_parent)
            CHK(cJSON_AddStringToObject(dec, "parent", ev->decoder_parent));
        CHK(cJSON_AddStringToObject(dec, "name", ev->decoder_name));
        if (di && di->ftscomment && r->if_fts)
            CHK(cJSON_AddStringToObject(dec, "ftscomment", di->ftscomment));
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
        cJSON *data = cJSON_CreateObject();
        if (!data)
            TL_FAIL(TL_E_NOMEM);
        for (size_t i = 0; i < sizeof so / sizeof so[0]; i++) {
            const char *v = ev->stat[so[i].f];
            if (v && *v)
                CHK(cJSON_AddStringToObject(data, so[i].k, v));
        }
        for (size_t i = 0; i < ev->nfields; i++) {
            const tl_field *f = &ev->fields[i];
            if (f->name && f->value && *f->value)
                json_add_field(data, f->name, f->value, &oom);
        }
        if (!data->child || !cJSON_AddItemToObject(root, "data", data)) {
            oom |= data->child != NULL;
            cJSON_Delete(data);
        }
    }
    CHK(cJSON_AddStringToObject(root, "location", ev->location_path ? ev->location_path : ""));
    if (oom)
        TL_FAIL(TL_E_NOMEM);
    txt = cJSON_PrintUnformatted(root);
    TL_TRY_ALLOC(txt);
    tl_buf_reset(out);
    tl_buf_puts(out, txt);
    TL_TRY(tl_buf_status(out));
cleanup:
    if (txt)
        cJSON_free(txt);
    cJSON_Delete(root);
    return st;
}
