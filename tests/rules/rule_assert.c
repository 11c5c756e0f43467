/* SPDX-License-Identifier: MIT */
/*
 * Support code of the rule assertions (see rule_assert.h). Files are written
 * to a fresh mkdtemp() folder per load and removed afterwards.
 */
#define _POSIX_C_SOURCE 200809L
#include "rule_assert.h"
#include "rules/rules_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

const char tl_test_base_rules[] =
    "<group name=\"syslog,\">\n"
    "  <rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
    "<description>syslog root</description></rule>\n"
    "</group>\n"
    "<group name=\"windows,\">\n"
    "  <rule id=\"6\" level=\"0\" noalert=\"1\"><category>windows</category>"
    "<description>windows root</description></rule>\n"
    "</group>\n"
    "<group name=\"ossec,\">\n"
    "  <rule id=\"7\" level=\"0\" noalert=\"1\"><category>ossec</category>"
    "<description>ossec root</description></rule>\n"
    "</group>\n"
    "<group name=\"windows,\">\n"
    "  <rule id=\"60000\" level=\"0\"><category>ossec</category>"
    "<decoded_as>windows_eventchannel</decoded_as>"
    "<field name=\"win.system.providerName\">\\.+</field><options>no_full_log</options>"
    "<description>Group of windows rules.</description></rule>\n"
    "  <rule id=\"60004\" level=\"0\"><if_sid>60000</if_sid>"
    "<field name=\"win.system.channel\">^Microsoft-Windows-Sysmon/Operational$</field>"
    "<options>no_full_log</options><description>sysmon channel</description></rule>\n"
    "</group>\n"
    "<group name=\"windows,sysmon,\">\n"
    "  <rule id=\"61600\" level=\"0\"><if_sid>60004</if_sid>"
    "<field name=\"win.system.severityValue\">^INFORMATION$</field>"
    "<options>no_full_log</options><description>Sysmon information</description></rule>\n"
    "  <rule id=\"61614\" level=\"0\"><if_sid>61600</if_sid>"
    "<field name=\"win.system.eventID\">^12$</field><options>no_full_log</options>"
    "<description>Sysmon - Event 12</description><group>sysmon_event_12,</group></rule>\n"
    "  <rule id=\"61615\" level=\"0\"><if_sid>61600</if_sid>"
    "<field name=\"win.system.eventID\">^13$</field><options>no_full_log</options>"
    "<description>Sysmon - Event 13</description><group>sysmon_event_13,</group></rule>\n"
    "</group>\n";

static const char json_decoder[] = "<decoder name=\"json\">\n"
                                   "  <prematch>^{\\s*\"</prematch>\n"
                                   "  <plugin_decoder>JSON_Decoder</plugin_decoder>\n"
                                   "</decoder>\n";

static char *write_tmp(const char *dir, const char *name, const char *text) {
    char *p = tl_path_join(dir, name);
    if (!p)
        return NULL;
    tl_diag d;
    if (tl_file_write_atomic(p, text, strlen(text), &d) != TL_OK) {
        tl_free(p);
        return NULL;
    }
    return p;
}

typedef struct wctx {
    tl_buf b;
} wctx;

static void collect_warn(void *ctx, const char *msg) {
    wctx *w = ctx;
    tl_buf_puts(&w->b, msg);
    tl_buf_putc(&w->b, '\n');
}

tl_status tl_test_load(const char *xml, const char *ossec_conf, tl_ruleset **rs, tl_diag *d,
                       char **warnings) {
    char tmpl[] = "/tmp/tl_rules_XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir)
        return TL_E_IO;
    char *base = write_tmp(dir, "0000-base_rules.xml", tl_test_base_rules);
    char *rules = write_tmp(dir, "test_rules.xml", xml);
    char *dec = write_tmp(dir, "0006-json_decoders.xml", json_decoder);
    char *conf = ossec_conf ? write_tmp(dir, "ossec.conf", ossec_conf) : NULL;
    /* the ruleset keeps warn_ctx for the warnings engines give while they run,
     * so the collector outlives this call (one per test process) */
    static wctx w;
    tl_buf_reset(&w.b);
    const char *rfiles[2] = {base, rules};
    const char *dfiles[1] = {dec};
    tl_ruleset_opts o;
    memset(&o, 0, sizeof o);
    o.ossec_conf = conf;
    o.base_dir = dir;
    o.rule_files = rfiles;
    o.n_rule_files = 2;
    o.decoder_files = dfiles;
    o.n_decoder_files = 1;
    o.warn = collect_warn;
    o.warn_ctx = &w;
    tl_status st =
        (base && rules && dec && (conf || !ossec_conf)) ? tl_ruleset_load(&o, rs, d) : TL_E_IO;
    if (warnings)
        *warnings = tl_buf_take(&w.b);
    tl_buf_reset(&w.b);
    const char *const all[] = {base, rules, dec, conf};
    for (size_t i = 0; i < 4; i++) {
        if (all[i])
            unlink(all[i]);
        tl_free((void *)all[i]);
    }
    rmdir(dir);
    return st;
}

char *tl_test_winevt_line(const char *event_xml, const char *message) {
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "f:[001] (WS01) any->EventChannel:{\"Message\":");
    tl_buf_json_str(&b, message ? message : "");
    tl_buf_puts(&b, ",\"Event\":");
    tl_buf_json_str(&b, event_xml);
    tl_buf_puts(&b, "}");
    char *s = tl_buf_take(&b);
    tl_buf_free(&b);
    return s;
}

char *tl_test_queue_line(const char *event) {
    if (strncmp(event, "<Event", 6) == 0)
        return tl_test_winevt_line(event, "");
    if ((event[0] == '1' || event[0] == 'f') && event[1] == ':')
        return tl_strdup(event);
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "1:[001] (WS01) any->test.log:");
    tl_buf_puts(&b, event);
    char *s = tl_buf_take(&b);
    tl_buf_free(&b);
    return s;
}

static const char *const noise[] = {
    "1:[002] (OTHER) any->noise.log:nothing to see here",
    "1:[001] (WS01) any->noise.log:{\"noise\":\"value\"}",
};

/* mode 0: fresh engine; mode 1: noise first. Returns 0 on success. */
static int run_one(tl_ruleset *rs, const char *line, int mode, tl_result *res, char *err,
                   size_t errsz) {
    tl_engine *e = NULL;
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    if (tl_engine_new(rs, &eo, &e) != TL_OK) {
        snprintf(err, errsz, "engine_new failed");
        return -1;
    }
    tl_diag d;
    tl_time t = INT64_C(1736935200000000);
    if (mode == 1) {
        for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++) {
            tl_result r;
            tl_engine_process(e, noise[i], t, &r, &d);
            t += 1000;
        }
    }
    tl_status st = tl_engine_process(e, line, t, res, &d);
    if (st != TL_OK) {
        snprintf(err, errsz, "process failed: %s: %s", tl_strerror(st), d.msg);
        tl_engine_free(e);
        return -1;
    }
    /* copy what we check before the engine goes */
    static char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%s", res->rule_id ? res->rule_id : "");
    res->rule_id = res->rule_id ? idbuf : NULL;
    res->alert_json = res->alert_json ? "" : NULL;
    res->ar = NULL;
    tl_engine_free(e);
    return 0;
}

void tl_assert_rule_fires(const char *xml, const char *event, const char *rule_id, int level,
                          const char *file, int line) {
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_test_load(xml, NULL, &rs, &d, NULL);
    if (st != TL_OK) {
        char m[1200];
        tl_diag_format(&d, m, sizeof m);
        print_error("ruleset failed to load: %s (%s)\n", m, tl_strerror(st));
        _fail(file, line);
        return;
    }
    char *q = tl_test_queue_line(event);
    for (int mode = 0; mode < 2; mode++) {
        tl_result res;
        char err[1200];
        if (run_one(rs, q, mode, &res, err, sizeof err) != 0) {
            print_error("%s\n", err);
            tl_free(q);
            tl_ruleset_free(rs);
            _fail(file, line);
            return;
        }
        if (!res.rule_id || strcmp(res.rule_id, rule_id) != 0 ||
            (level >= 0 && res.level != level)) {
            print_error("expected rule %s (level %d), got %s (level %d) [delivery mode %d]\n",
                        rule_id, level, res.rule_id ? res.rule_id : "none", res.level, mode);
            tl_free(q);
            tl_ruleset_free(rs);
            _fail(file, line);
            return;
        }
    }
    tl_free(q);
    tl_ruleset_free(rs);
}

void tl_assert_rule_silent(const char *xml, const char *event, const char *file, int line) {
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_test_load(xml, NULL, &rs, &d, NULL) != TL_OK) {
        print_error("ruleset failed to load: %s\n", d.msg);
        _fail(file, line);
        return;
    }
    char *q = tl_test_queue_line(event);
    for (int mode = 0; mode < 2; mode++) {
        tl_result res;
        char err[1200];
        if (run_one(rs, q, mode, &res, err, sizeof err) != 0 || res.alert_json) {
            print_error("expected no alert, got rule %s\n", res.rule_id ? res.rule_id : "?");
            tl_free(q);
            tl_ruleset_free(rs);
            _fail(file, line);
            return;
        }
    }
    tl_free(q);
    tl_ruleset_free(rs);
}

void tl_assert_ruleset_error(const char *xml, tl_status expected, const char *msg_part,
                             const char *file, int line) {
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    tl_status st = tl_test_load(xml, NULL, &rs, &d, NULL);
    if (st == TL_OK) {
        tl_ruleset_free(rs);
        print_error("expected load error %s, got success\n", tl_strerror(expected));
        _fail(file, line);
        return;
    }
    if (st != expected || (msg_part && !strstr(d.msg, msg_part))) {
        print_error("expected %s containing '%s', got %s: %s\n", tl_strerror(expected),
                    msg_part ? msg_part : "", tl_strerror(st), d.msg);
        _fail(file, line);
    }
}

void tl_assert_ruleset_warning(const char *xml, const char *msg_part, const char *file, int line) {
    tl_ruleset *rs = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    char *w = NULL;
    tl_status st = tl_test_load(xml, NULL, &rs, &d, &w);
    tl_ruleset_free(rs);
    if (st != TL_OK || !w || !strstr(w, msg_part)) {
        print_error("expected a warning containing '%s'; status %s (%s); warnings:\n%s\n", msg_part,
                    tl_strerror(st), d.msg, w ? w : "");
        tl_free(w);
        _fail(file, line);
        return;
    }
    tl_free(w);
}

void tl_assert_decoded_field(const char *event, const char *field, const char *value,
                             const char *file, int line) {
    tl_ruleset *rs = NULL;
    tl_engine *e = NULL;
    tl_diag d;
    tl_diag_clear(&d);
    if (tl_test_load("<group name=\"t,\"><rule id=\"100\" level=\"0\"><if_sid>1</if_sid>"
                     "<match>^$</match><description>none</description></rule></group>",
                     NULL, &rs, &d, NULL) != TL_OK) {
        print_error("base ruleset failed to load: %s\n", d.msg);
        _fail(file, line);
        return;
    }
    tl_engine_opts eo = {"wazuh-manager", "node01"};
    char *q = tl_test_queue_line(event);
    tl_result res;
    int ok = 0;
    const char *got = NULL;
    if (q && tl_engine_new(rs, &eo, &e) == TL_OK &&
        tl_engine_process(e, q, INT64_C(1736935200000000), &res, &d) == TL_OK) {
        const tl_event *ev = tl_engine_event(e);
        got = ev ? tl_event_find_field(ev, field) : NULL;
        ok = value ? (got && strcmp(got, value) == 0) : got == NULL;
        if (!ok)
            print_error("field %s: expected %s%s%s, got %s%s%s\n", field, value ? "'" : "",
                        value ? value : "(absent)", value ? "'" : "", got ? "'" : "",
                        got ? got : "(absent)", got ? "'" : "");
    } else {
        print_error("event could not be processed: %s\n", d.msg);
    }
    tl_engine_free(e);
    tl_free(q);
    tl_ruleset_free(rs);
    if (!ok)
        _fail(file, line);
}
