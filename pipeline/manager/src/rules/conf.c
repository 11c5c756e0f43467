/* SPDX-License-Identifier: MIT */
/*
 * ossec.conf reading and ruleset assembly (tl_ruleset_load).
 *
 * ossec.conf is read with the same os_xml-compatible reader as the rules;
 * every <ossec_config> block is merged in file order. Sections read here:
 *   <ruleset>  decoder_dir rule_dir rule_exclude decoder_exclude list decoder rule include
 *   <command>  name executable timeout_allowed extra_args (expect: deprecated, ignored)
 *   <active-response> disabled command location agent_id rules_id rules_group level timeout
 *              repeated_offenders
 *   <alerts>   log_alert_level email_alert_level
 *   <global>   jsonout_output alerts_log white_list (other options belong to other daemons)
 *   <cluster>  node_name
 * Sections for other daemons are skipped without a word, as analysisd does.
 *
 * Assembly order (analysisd's): decoders (basename order across decoder dirs,
 * then single files), lists, rules (basename order across rule dirs minus
 * <rule_exclude>, then single files), then if_matched_* linking and AR
 * binding. Directory listings are sorted, never readdir order.
 */
#include "rules/rules_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static tl_status vpush(char ***v, size_t *n, const char *s) {
    char **nv = tl_realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return TL_E_NOMEM;
    *v = nv;
    nv[*n] = tl_strdup(s);
    if (!nv[*n])
        return TL_E_NOMEM;
    (*n)++;
    return TL_OK;
}

static void vfree(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        tl_free(v[i]);
    tl_free(v);
}

void tl_conf_clear(tl_conf *c) {
    vfree(c->rule_dirs, c->nrule_dirs);
    vfree(c->decoder_dirs, c->ndecoder_dirs);
    vfree(c->rule_files, c->nrule_files);
    vfree(c->decoder_files, c->ndecoder_files);
    vfree(c->rule_excludes, c->nrule_excludes);
    vfree(c->decoder_excludes, c->ndecoder_excludes);
    vfree(c->lists, c->nlists);
    tl_free(c->node_name);
    memset(c, 0, sizeof *c);
    c->log_alert_level = c->email_alert_level = -1;
}

static int yesno(const char *s, int *out) {
    if (strcmp(s, "yes") == 0) {
        *out = 1;
        return 1;
    }
    if (strcmp(s, "no") == 0) {
        *out = 0;
        return 1;
    }
    return 0;
}

static void cwarn(tl_ruleset *rs, const char *file, int line, const char *what) {
    tl_ruleset_warnf(rs, "%s:%d: %s", file, line, what);
}

static tl_status read_ruleset(const tl_osxml_node *n, const char *file, tl_conf *c,
                              tl_ruleset *rs) {
    tl_status st = TL_OK;
    for (size_t i = 0; i < n->nchildren; i++) {
        const tl_osxml_node *e = n->children[i];
        const char *v = e->content;
        if (strcmp(e->name, "decoder_dir") == 0)
            st = vpush(&c->decoder_dirs, &c->ndecoder_dirs, v);
        else if (strcmp(e->name, "rule_dir") == 0)
            st = vpush(&c->rule_dirs, &c->nrule_dirs, v);
        else if (strcmp(e->name, "rule_exclude") == 0)
            st = vpush(&c->rule_excludes, &c->nrule_excludes, v);
        else if (strcmp(e->name, "decoder_exclude") == 0)
            st = vpush(&c->decoder_excludes, &c->ndecoder_excludes, v);
        else if (strcmp(e->name, "list") == 0)
            st = vpush(&c->lists, &c->nlists, v);
        else if (strcmp(e->name, "decoder") == 0)
            st = vpush(&c->decoder_files, &c->ndecoder_files, v);
        else if (strcmp(e->name, "rule") == 0 || strcmp(e->name, "include") == 0)
            st = vpush(&c->rule_files, &c->nrule_files, v);
        else {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "Invalid element in the ruleset configuration: '%s' (ignored).", e->name);
            cwarn(rs, file, e->line, msg);
        }
        if (st != TL_OK)
            return st;
    }
    return TL_OK;
}

static tl_status read_command(const tl_osxml_node *n, const char *file, tl_ruleset *rs,
                              tl_diag *d) {
    tl_ar_command cmd;
    memset(&cmd, 0, sizeof cmd);
    tl_status st = TL_OK;
    for (size_t i = 0; i < n->nchildren; i++) {
        const tl_osxml_node *e = n->children[i];
        const char *v = e->content;
        if (strcmp(e->name, "name") == 0) {
            tl_free(cmd.name);
            cmd.name = tl_strdup(v);
            TL_TRY_ALLOC(cmd.name);
        } else if (strcmp(e->name, "executable") == 0) {
            tl_free(cmd.executable);
            cmd.executable = tl_strdup(v);
            TL_TRY_ALLOC(cmd.executable);
        } else if (strcmp(e->name, "timeout_allowed") == 0) {
            if (!yesno(v, &cmd.timeout_allowed)) {
                tl_diag_set(d, file, e->line, "Invalid value for element 'timeout_allowed': %s.",
                            v);
                TL_FAIL(TL_E_PARSE);
            }
        } else if (strcmp(e->name, "extra_args") == 0) {
            tl_free(cmd.extra_args);
            cmd.extra_args = tl_strdup(v);
            TL_TRY_ALLOC(cmd.extra_args);
        } else if (strcmp(e->name, "expect") == 0) {
            /* deprecated since 4.2, ignored by analysisd */
        } else {
            tl_diag_set(d, file, e->line, "Invalid element in the configuration: '%s'.", e->name);
            TL_FAIL(TL_E_PARSE);
        }
    }
    if (!cmd.name || !*cmd.name || cmd.name[0] == '!' || !cmd.executable || !*cmd.executable) {
        tl_diag_set(d, file, n->line,
                    "Command configuration needs a <name> (not starting with '!') and an "
                    "<executable>.");
        TL_FAIL(TL_E_PARSE);
    }
    tl_ar_command *nv = tl_realloc(rs->cmds, (rs->ncmds + 1) * sizeof *nv);
    TL_TRY_ALLOC(nv);
    rs->cmds = nv;
    rs->cmds[rs->ncmds++] = cmd;
    return TL_OK;
cleanup:
    tl_free(cmd.name);
    tl_free(cmd.executable);
    tl_free(cmd.extra_args);
    return st;
}

static const tl_ar_command *find_cmd(const tl_ruleset *rs, const char *name) {
    for (size_t i = 0; i < rs->ncmds; i++)
        if (strcmp(rs->cmds[i].name, name) == 0)
            return &rs->cmds[i];
    return NULL;
}

static void ar_clear(tl_ar_binding *a) {
    tl_free(a->name);
    tl_free(a->agent_id);
    tl_free(a->rules_id);
    tl_free(a->rules_group);
    tl_osregex_free(a->group_re);
    memset(a, 0, sizeof *a);
}

static tl_status read_ar(const tl_osxml_node *n, const char *file, tl_ruleset *rs, tl_diag *d) {
    tl_ar_binding ar;
    memset(&ar, 0, sizeof ar);
    ar.level = -1;
    tl_status st = TL_OK;
    int disabled = 0, have_loc = 0;
    const char *cmdname = NULL;
    for (size_t i = 0; i < n->nchildren; i++) {
        const tl_osxml_node *e = n->children[i];
        const char *v = e->content;
        if (strcmp(e->name, "disabled") == 0) {
            if (!yesno(v, &disabled)) {
                tl_diag_set(d, file, e->line, "Invalid value for element 'disabled': %s.", v);
                TL_FAIL(TL_E_PARSE);
            }
        } else if (strcmp(e->name, "command") == 0) {
            cmdname = v;
        } else if (strcmp(e->name, "location") == 0) {
            have_loc = 1;
            if (tl_strcasestr(v, "AS") || tl_strcasestr(v, "analysisd") ||
                tl_strcasestr(v, "analysis-server") || tl_strcasestr(v, "server"))
                ar.location |= TL_AR_LOC_SERVER;
            if (tl_strcasestr(v, "local"))
                ar.location |= TL_AR_LOC_LOCAL;
            if (tl_strcasestr(v, "defined-agent"))
                ar.location |= TL_AR_LOC_DEFINED;
            if (tl_strcasestr(v, "all") || tl_strcasestr(v, "any"))
                ar.location |= TL_AR_LOC_ALL;
            if (!ar.location) {
                tl_diag_set(d, file, e->line, "Invalid value for element 'location': %s.", v);
                TL_FAIL(TL_E_PARSE);
            }
        } else if (strcmp(e->name, "agent_id") == 0) {
            tl_free(ar.agent_id);
            ar.agent_id = tl_strdup(v);
            TL_TRY_ALLOC(ar.agent_id);
        } else if (strcmp(e->name, "rules_id") == 0) {
            tl_free(ar.rules_id);
            ar.rules_id = tl_strdup(v);
            TL_TRY_ALLOC(ar.rules_id);
        } else if (strcmp(e->name, "rules_group") == 0) {
            tl_free(ar.rules_group);
            ar.rules_group = tl_strdup(v);
            TL_TRY_ALLOC(ar.rules_group);
        } else if (strcmp(e->name, "level") == 0) {
            char *end = NULL;
            long lv = strtol(v, &end, 10);
            if (!*v || *end || lv < 0 || lv > 20) {
                tl_diag_set(d, file, e->line, "Invalid value for element 'level': %s.", v);
                TL_FAIL(TL_E_PARSE);
            }
            ar.level = (int)lv;
        } else if (strcmp(e->name, "timeout") == 0) {
            char *end = NULL;
            long t = strtol(v, &end, 10);
            if (!*v || *end || t < 0) {
                tl_diag_set(d, file, e->line, "Invalid value for element 'timeout': %s.", v);
                TL_FAIL(TL_E_PARSE);
            }
            ar.timeout = (int)t;
        } else if (strcmp(e->name, "repeated_offenders") == 0) {
            ar.repeated_offenders_set = 1;
        } else {
            tl_diag_set(d, file, e->line, "Invalid element in the configuration: '%s'.", e->name);
            TL_FAIL(TL_E_PARSE);
        }
    }
    if (disabled) {
        ar_clear(&ar);
        return TL_OK;
    }
    if (!cmdname) {
        tl_diag_set(d, file, n->line, "Active response without <command>.");
        TL_FAIL(TL_E_PARSE);
    }
    ar.cmd = find_cmd(rs, cmdname);
    if (!ar.cmd) {
        tl_diag_set(d, file, n->line, "Active response command '%s' not defined.", cmdname);
        TL_FAIL(TL_E_PARSE);
    }
    if (!have_loc) {
        tl_diag_set(d, file, n->line, "Active response '%s' without <location>.", cmdname);
        TL_FAIL(TL_E_PARSE);
    }
    if ((ar.location & TL_AR_LOC_DEFINED) && !ar.agent_id) {
        tl_diag_set(d, file, n->line, "Active response '%s': defined-agent needs <agent_id>.",
                    cmdname);
        TL_FAIL(TL_E_PARSE);
    }
    if (!ar.cmd->timeout_allowed)
        ar.timeout = 0;
    if (ar.rules_group) {
        tl_diag sub;
        tl_diag_clear(&sub);
        st = tl_osregex_compile(ar.rules_group, &ar.group_re, &sub);
        if (st != TL_OK) {
            if (st != TL_E_NOMEM)
                tl_diag_set(d, file, n->line, "Invalid rules_group '%s': %s", ar.rules_group,
                            sub.msg);
            goto cleanup;
        }
    }
    {
        tl_buf b = TL_BUF_INIT;
        tl_buf_printf(&b, "%s%d", ar.cmd->name, ar.timeout);
        st = tl_buf_status(&b);
        ar.name = tl_buf_take(&b);
        tl_buf_free(&b);
        TL_TRY(st);
        TL_TRY_ALLOC(ar.name);
    }
    tl_ar_binding *nv = tl_realloc(rs->ars, (rs->nars + 1) * sizeof *nv);
    TL_TRY_ALLOC(nv);
    rs->ars = nv;
    rs->ars[rs->nars++] = ar;
    return TL_OK;
cleanup:
    ar_clear(&ar);
    return st;
}

tl_status tl_conf_load(const char *path, tl_conf *c, tl_ruleset *rs, tl_diag *d) {
    tl_status st = TL_OK;
    char *data = NULL;
    size_t len = 0;
    tl_osxml_node *root = NULL;
    tl_diag sub;
    tl_diag_clear(&sub);
    st = tl_file_read(path, &data, &len, &sub);
    if (st != TL_OK) {
        tl_diag_set(d, path, 0, "%s", sub.msg);
        goto cleanup;
    }
    st = tl_osxml_parse(data, len, path, &root, &sub);
    if (st != TL_OK) {
        if (st != TL_E_NOMEM)
            tl_diag_set(d, path, sub.line, "(1226): Error reading XML file '%s': %s (line %d).",
                        path, sub.msg, sub.line);
        goto cleanup;
    }
    /* pass 1: everything but <active-response> (commands must exist first) */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < root->nchildren; i++) {
            const tl_osxml_node *oc = root->children[i];
            if (strcmp(oc->name, "ossec_config") != 0)
                continue;
            for (size_t k = 0; k < oc->nchildren; k++) {
                const tl_osxml_node *s = oc->children[k];
                if (pass == 1) {
                    if (strcmp(s->name, "active-response") == 0)
                        TL_TRY(read_ar(s, path, rs, d));
                    continue;
                }
                if (strcmp(s->name, "ruleset") == 0) {
                    c->has_ruleset = 1;
                    TL_TRY(read_ruleset(s, path, c, rs));
                } else if (strcmp(s->name, "command") == 0) {
                    TL_TRY(read_command(s, path, rs, d));
                } else if (strcmp(s->name, "alerts") == 0) {
                    for (size_t j = 0; j < s->nchildren; j++) {
                        const tl_osxml_node *e = s->children[j];
                        int *dst = NULL;
                        if (strcmp(e->name, "log_alert_level") == 0)
                            dst = &c->log_alert_level;
                        else if (strcmp(e->name, "email_alert_level") == 0)
                            dst = &c->email_alert_level;
                        if (!dst)
                            continue;
                        char *end = NULL;
                        long lv = strtol(e->content, &end, 10);
                        if (!e->content[0] || *end || lv < 0 || lv > 16) {
                            tl_diag_set(d, path, e->line, "Invalid value for element '%s': %s.",
                                        e->name, e->content);
                            TL_FAIL(TL_E_PARSE);
                        }
                        *dst = (int)lv;
                    }
                } else if (strcmp(s->name, "global") == 0) {
                    for (size_t j = 0; j < s->nchildren; j++) {
                        const tl_osxml_node *e = s->children[j];
                        if (strcmp(e->name, "jsonout_output") == 0)
                            yesno(e->content, &c->jsonout);
                        else if (strcmp(e->name, "alerts_log") == 0)
                            yesno(e->content, &c->alerts_log);
                        else if (strcmp(e->name, "white_list") == 0) {
                            // hostnames and regexes are allowed too; only IPs matter for AR
                            tl_iplist_add(&rs->white_list, e->content);
                        }
                    }
                } else if (strcmp(s->name, "cluster") == 0) {
                    for (size_t j = 0; j < s->nchildren; j++) {
                        const tl_osxml_node *e = s->children[j];
                        if (strcmp(e->name, "node_name") == 0) {
                            tl_free(c->node_name);
                            c->node_name = tl_strdup(e->content);
                            TL_TRY_ALLOC(c->node_name);
                        }
                    }
                }
            }
        }
    }
cleanup:
    tl_osxml_free(root);
    tl_free(data);
    return st;
}

/* ---- ruleset assembly ------------------------------------------------------ */

static char *resolve(const char *base, const char *p) {
    if (!base || !*base || p[0] == '/')
        return tl_strdup(p);
    return tl_path_join(base, p);
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int cmp_base(const void *a, const void *b) {
    return strcmp(base_name(*(char *const *)a), base_name(*(char *const *)b));
}

/* Every *.xml in dirs, sorted by basename, first dir wins, excludes removed. */
static tl_status collect_xml(const char *const *dirs, size_t ndirs, char **excl, size_t nexcl,
                             char ***out, size_t *nout, tl_diag *d) {
    tl_status st = TL_OK;
    char **v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < ndirs; i++) {
        DIR *dir = opendir(dirs[i]);
        if (!dir) {
            tl_diag_set(d, dirs[i], 0, "Could not open directory '%s'.", dirs[i]);
            TL_FAIL(TL_E_IO);
        }
        size_t first = n;
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            size_t l = strlen(de->d_name);
            if (l < 5 || strcmp(de->d_name + l - 4, ".xml") != 0)
                continue;
            int skip = 0;
            for (size_t k = 0; k < nexcl && !skip; k++)
                if (strcmp(base_name(excl[k]), de->d_name) == 0)
                    skip = 1;
            for (size_t k = 0; k < first && !skip; k++)
                if (strcmp(base_name(v[k]), de->d_name) == 0)
                    skip = 1;
            if (skip)
                continue;
            char *full = tl_path_join(dirs[i], de->d_name);
            if (!full) {
                closedir(dir);
                TL_FAIL(TL_E_NOMEM);
            }
            char **nv = tl_realloc(v, (n + 1) * sizeof *nv);
            if (!nv) {
                tl_free(full);
                closedir(dir);
                TL_FAIL(TL_E_NOMEM);
            }
            v = nv;
            v[n++] = full;
        }
        closedir(dir);
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_base);
    *out = v;
    *nout = n;
    v = NULL;
    n = 0;
cleanup:
    vfree(v, n);
    return st;
}

/* The six lists an installed 4.14.7 manager's ossec.conf registers
 * (rules.template via WriteManager; wazuh.md §5.1), in its order. */
static const char *const stock_lists[] = {
    "etc/lists/audit-keys",
    "etc/lists/amazon/aws-eventnames",
    "etc/lists/security-eventchannel",
    "etc/lists/malicious-ioc/malware-hashes",
    "etc/lists/malicious-ioc/malicious-ip",
    "etc/lists/malicious-ioc/malicious-domains",
};

static tl_status add_list(tl_ruleset *rs, const char *conf, const char *base, const char *name,
                          int quiet_missing) {
    char *p = resolve(base, name);
    if (!p)
        return TL_E_NOMEM;
    tl_list *l = NULL;
    tl_diag sub;
    tl_diag_clear(&sub);
    tl_status st = tl_list_load(p, name, &l, &sub);
    tl_free(p);
    if (st == TL_E_NOMEM)
        return st;
    if (st != TL_OK) {
        if (!quiet_missing)
            tl_ruleset_warnf(rs, "%s: list '%s' could not be loaded: %s", conf ? conf : "", name,
                             sub.msg);
        return TL_OK;
    }
    tl_list **nv = tl_realloc(rs->lists, (rs->nlists + 1) * sizeof *nv);
    if (!nv) {
        tl_list_free(l);
        return TL_E_NOMEM;
    }
    rs->lists = nv;
    rs->lists[rs->nlists++] = l;
    return TL_OK;
}

static void dec_warn(void *ctx, const char *msg) {
    const tl_ruleset *rs = ctx;
    if (rs->warn)
        rs->warn(rs->warn_ctx, msg);
}

/* One rule file: from the disk, or from o->subst_data when it is o->subst_path. */
static tl_status load_rule_file(tl_ruleset *rs, const tl_ruleset_opts *o, const char *path,
                                const char *base_dir, tl_diag *d) {
    if (o->rule_file_fn)
        o->rule_file_fn(o->rule_file_ctx, path);
    if (o->subst_path && o->subst_data && strcmp(o->subst_path, path) == 0)
        return tl_rules_load_buffer(rs, path, o->subst_data, o->subst_len, base_dir, d);
    return tl_rules_load_file(rs, path, base_dir, d);
}

tl_status tl_ruleset_load(const tl_ruleset_opts *o, tl_ruleset **out, tl_diag *d) {
    tl_status st = TL_OK;
    tl_conf c;
    memset(&c, 0, sizeof c);
    c.log_alert_level = c.email_alert_level = -1;
    char **dirs = NULL, **files = NULL;
    size_t ndirs = 0, nfiles = 0;
    tl_ruleset *rs = NULL;
    char *conf_dir = NULL;
    if (!o || !out)
        return TL_E_INVAL;
    const char *base_dir = o->base_dir;
    tl_cjson_hooks_init();
    rs = tl_calloc(1, sizeof *rs);
    TL_TRY_ALLOC(rs);
    rs->warn = o->warn;
    rs->warn_ctx = o->warn_ctx;
    rs->log_alert_level = 3;
    rs->email_alert_level = 12;
    if (o->ossec_conf) {
        TL_TRY(tl_conf_load(o->ossec_conf, &c, rs, d));
        if (o->skip_conf_ruleset) {
            tl_conf tmp = c;
            memset(&c, 0, sizeof c);
            c.log_alert_level = tmp.log_alert_level;
            c.email_alert_level = tmp.email_alert_level;
            c.node_name = tmp.node_name;
            tmp.node_name = NULL;
            if (o->keep_conf_decoders) { /* a user ruleset without decoders/ */
                c.decoder_dirs = tmp.decoder_dirs;
                c.ndecoder_dirs = tmp.ndecoder_dirs;
                c.decoder_files = tmp.decoder_files;
                c.ndecoder_files = tmp.ndecoder_files;
                c.decoder_excludes = tmp.decoder_excludes;
                c.ndecoder_excludes = tmp.ndecoder_excludes;
                tmp.decoder_dirs = tmp.decoder_files = tmp.decoder_excludes = NULL;
                tmp.ndecoder_dirs = tmp.ndecoder_files = tmp.ndecoder_excludes = 0;
            }
            tl_conf_clear(&tmp);
        }
        if (!o->base_dir) {
            const char *sl = strrchr(o->ossec_conf, '/');
            conf_dir =
                sl ? tl_strndup(o->ossec_conf, (size_t)(sl - o->ossec_conf)) : tl_strdup(".");
            TL_TRY_ALLOC(conf_dir);
            base_dir = conf_dir;
        }
        rs->log_alert_level = c.log_alert_level >= 0 ? c.log_alert_level : 3;
        rs->email_alert_level = c.email_alert_level >= 0 ? c.email_alert_level : 7;
        if (c.node_name) {
            rs->node_name = c.node_name;
            c.node_name = NULL;
        }
    }
    /* The stock manager's <ruleset> block (wazuh.md §5.1) when asked for and
     * the ossec.conf in force does not give its own. */
    int stock = o->stock_ruleset && (!o->ossec_conf || o->skip_conf_ruleset || !c.has_ruleset);
    if (stock)
        TL_TRY(vpush(&c.rule_excludes, &c.nrule_excludes, "0215-policy_rules.xml"));
    /* decoders */
    TL_TRY(tl_decoder_set_new(&rs->ds));
    for (size_t i = 0; i < c.ndecoder_dirs; i++) {
        char *p = resolve(base_dir, c.decoder_dirs[i]);
        TL_TRY_ALLOC(p);
        st = vpush(&dirs, &ndirs, p);
        tl_free(p);
        TL_TRY(st);
    }
    for (size_t i = 0; i < o->n_decoder_dirs; i++)
        TL_TRY(vpush(&dirs, &ndirs, o->decoder_dirs[i]));
    if (ndirs)
        TL_TRY(tl_decoder_set_load_dirs(rs->ds, (const char *const *)dirs, ndirs,
                                        (const char *const *)c.decoder_excludes,
                                        c.ndecoder_excludes, dec_warn, rs, d));
    vfree(dirs, ndirs);
    dirs = NULL;
    ndirs = 0;
    for (size_t i = 0; i < c.ndecoder_files; i++) {
        char *p = resolve(base_dir, c.decoder_files[i]);
        TL_TRY_ALLOC(p);
        st = tl_decoder_set_load_file(rs->ds, p, dec_warn, rs, d);
        tl_free(p);
        TL_TRY(st);
    }
    for (size_t i = 0; i < o->n_decoder_files; i++)
        TL_TRY(tl_decoder_set_load_file(rs->ds, o->decoder_files[i], dec_warn, rs, d));
    /* lists */
    for (size_t i = 0; i < c.nlists; i++)
        TL_TRY(add_list(rs, o->ossec_conf, base_dir, c.lists[i], 0));
    if (stock)
        for (size_t i = 0; i < sizeof stock_lists / sizeof stock_lists[0]; i++)
            TL_TRY(add_list(rs, o->ossec_conf, o->stock_dir ? o->stock_dir : base_dir,
                            stock_lists[i], 1));
    /* rules */
    for (size_t i = 0; i < c.nrule_dirs; i++) {
        char *p = resolve(base_dir, c.rule_dirs[i]);
        TL_TRY_ALLOC(p);
        st = vpush(&dirs, &ndirs, p);
        tl_free(p);
        TL_TRY(st);
    }
    for (size_t i = 0; i < o->n_rule_dirs; i++)
        TL_TRY(vpush(&dirs, &ndirs, o->rule_dirs[i]));
    TL_TRY(collect_xml((const char *const *)dirs, ndirs, c.rule_excludes, c.nrule_excludes, &files,
                       &nfiles, d));
    for (size_t i = 0; i < nfiles; i++)
        TL_TRY(load_rule_file(rs, o, files[i], base_dir, d));
    for (size_t i = 0; i < c.nrule_files; i++) {
        char *p = resolve(base_dir, c.rule_files[i]);
        TL_TRY_ALLOC(p);
        st = load_rule_file(rs, o, p, base_dir, d);
        tl_free(p);
        TL_TRY(st);
    }
    for (size_t i = 0; i < o->n_rule_files; i++)
        TL_TRY(load_rule_file(rs, o, o->rule_files[i], base_dir, d));
    TL_TRY(tl_ruleset_finish(rs, d));
    *out = rs;
    rs = NULL;
cleanup:
    tl_free(conf_dir);
    vfree(dirs, ndirs);
    vfree(files, nfiles);
    tl_conf_clear(&c);
    tl_ruleset_free(rs);
    return st;
}

tl_status tl_ruleset_new_empty(tl_ruleset **out) {
    tl_cjson_hooks_init();
    tl_ruleset *rs = tl_calloc(1, sizeof *rs);
    if (!rs)
        return TL_E_NOMEM;
    rs->log_alert_level = 3;
    rs->email_alert_level = 12;
    tl_status st = tl_decoder_set_new(&rs->ds);
    if (st != TL_OK) {
        tl_free(rs);
        return st;
    }
    *out = rs;
    return TL_OK;
}

tl_status tl_ruleset_finish(tl_ruleset *rs, tl_diag *d) {
    tl_status st = tl_rules_tree_finish(rs, d);
    if (st == TL_OK)
        st = tl_ruleset_index_fields(rs);
    if (st == TL_OK)
        st = tl_ar_bind_all(rs, d);
    return st;
}

void tl_ruleset_free(tl_ruleset *rs) {
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++)
        tl_rule_free(rs->rules[i]);
    tl_free(rs->rules);
    tl_free(rs->top);
    for (size_t i = 0; i < rs->nlists; i++)
        tl_list_free(rs->lists[i]);
    tl_free(rs->lists);
    for (size_t i = 0; i < rs->ncmds; i++) {
        tl_free(rs->cmds[i].name);
        tl_free(rs->cmds[i].executable);
        tl_free(rs->cmds[i].extra_args);
    }
    tl_free(rs->cmds);
    for (size_t i = 0; i < rs->nars; i++)
        ar_clear(&rs->ars[i]);
    tl_free(rs->ars);
    tl_iplist_clear(&rs->white_list);
    tl_free(rs->node_name);
    vfree(rs->mitre_warned, rs->nmitre_warned);
    vfree(rs->fnames, rs->nfnames);
    tl_free(rs->fhash);
    tl_free(rs->idhash);
    tl_decoder_set_free(rs->ds);
    tl_free(rs);
}

size_t tl_ruleset_rule_count(const tl_ruleset *rs) {
    size_t n = 0;
    for (size_t i = 0; i < rs->nrules; i++)
        n += rs->rules[i]->in_tree ? 1 : 0;
    return n;
}

int tl_ruleset_has_rule(const tl_ruleset *rs, int id) {
    if (!rs)
        return 0;
    for (size_t i = 0; i < rs->nrules; i++)
        if (rs->rules[i]->in_tree && rs->rules[i]->id == id)
            return 1;
    return 0;
}

size_t tl_ruleset_ar_levels(const tl_ruleset *rs, int *out, size_t max) {
    size_t n = 0; /* distinct levels stored in out[0..n) (n <= max) */
    size_t more = 0;
    for (size_t k = 0; rs && k < rs->nars; k++) {
        int l = rs->ars[k].level, dup = 0;
        if (l <= 0)
            continue;
        for (size_t i = 0; i < n && !dup; i++)
            dup = out[i] == l;
        if (dup)
            continue;
        if (n == max) {
            more++;
            continue;
        }
        size_t i = n++;
        for (; i > 0 && out[i - 1] > l; i--)
            out[i] = out[i - 1];
        out[i] = l;
    }
    return n + more;
}

int tl_ruleset_log_alert_level(const tl_ruleset *rs) {
    return rs->log_alert_level;
}

int tl_ruleset_email_alert_level(const tl_ruleset *rs) {
    return rs->email_alert_level;
}

char *tl_ruleset_dump_tree(const tl_ruleset *rs) {
    tl_buf b = TL_BUF_INIT;
    tl_rules_tree_dump(rs, &b);
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    char *s = tl_buf_take(&b);
    tl_buf_free(&b);
    return s;
}
