/* SPDX-License-Identifier: MIT */
/*
 * Profiles: which rules, decoders and ossec.conf a run uses.
 *
 *   default       pipeline/etc/ossec.conf (its <ruleset> dirs are relative to pipeline/etc):
 *                 tasklab's own base rules + the blog's local_rules.xml.
 *   tasklab       pipeline/etc/ossec-tasklab.conf: the default profile plus tasklab's own T1053
 *                 rule pack (pipeline/etc/rulepack/) and its AR binding.
 *   wazuh         pipeline/etc/ossec-wazuh.conf with base dir ../shared/reference/wazuh-full (the
 *                 complete Wazuh 4.14.7 ruleset, the stock manager's <ruleset> block: six CDB
 *                 lists, 0215-policy_rules.xml excluded) + pipeline/etc/rules/local_rules.xml.
 *   --ruleset D   D/rules and D/decoders (plus the profile's ossec.conf for <command> and
 *                 <active-response>; the profile's own rules are not loaded), with the stock
 *                 manager's defaults: 0215-policy_rules.xml excluded, the six stock lists
 *                 read from D/etc/lists/ when present.
 *   --wazuh-dir D an installed manager: D/etc/ossec.conf resolved against D (ruleset/rules,
 *                 ruleset/decoders, etc/rules, etc/decoders when the conf names none); a conf
 *                 without <ruleset> gets the stock block's exclude and lists.
 */
#define _POSIX_C_SOURCE 200809L
#include "tasklab/pipeline.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *p)
{
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

tl_status tl_profile_load(const tl_profile_opts *o, tl_ruleset **out, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_ruleset_opts ro;
    char *conf = NULL, *base = NULL, *local = NULL, *rdir = NULL, *ddir = NULL;
    char *wr[2] = {NULL, NULL}, *wd[2] = {NULL, NULL};
    const char *rule_dirs[2], *dec_dirs[2];
    const char **files = NULL;
    size_t nfiles = 0;

    memset(&ro, 0, sizeof ro);
    ro.warn = o->warn;
    ro.warn_ctx = o->warn_ctx;
    ro.subst_path = o->subst_path;
    ro.subst_data = o->subst_data;
    ro.subst_len = o->subst_len;
    ro.rule_file_fn = o->rule_file_fn;
    ro.rule_file_ctx = o->rule_file_ctx;
    const char *profile = o->profile ? o->profile : "default";

    files = tl_calloc(o->n_extra_rules + 1, sizeof *files);
    TL_TRY_ALLOC(files);

    if (o->wazuh_dir) {
        if (!is_dir(o->wazuh_dir)) {
            tl_diag_set(d, o->wazuh_dir, 0, "--wazuh-dir: not a folder");
            TL_FAIL(TL_E_INVAL);
        }
        conf = tl_path_join(o->wazuh_dir, "etc/ossec.conf");
        TL_TRY_ALLOC(conf);
        if (!is_file(conf)) {
            tl_diag_set(d, conf, 0, "--wazuh-dir: no etc/ossec.conf in this folder");
            TL_FAIL(TL_E_INVAL);
        }
        ro.ossec_conf = conf;
        ro.base_dir = o->wazuh_dir;
        ro.stock_ruleset = 1;
        /* A manager's built-in defaults when its ossec.conf names no dirs are
         * ruleset/{rules,decoders} then etc/{rules,decoders}; the conf's own list
         * comes first and the loader skips basenames already loaded. */
        wr[0] = tl_path_join(o->wazuh_dir, "ruleset/rules");
        wr[1] = tl_path_join(o->wazuh_dir, "etc/rules");
        wd[0] = tl_path_join(o->wazuh_dir, "ruleset/decoders");
        wd[1] = tl_path_join(o->wazuh_dir, "etc/decoders");
        TL_TRY_ALLOC(wr[0]);
        TL_TRY_ALLOC(wr[1]);
        TL_TRY_ALLOC(wd[0]);
        TL_TRY_ALLOC(wd[1]);
        size_t nr = 0, nd = 0;
        for (int i = 0; i < 2; i++) {
            if (is_dir(wr[i]))
                rule_dirs[nr++] = wr[i];
            if (is_dir(wd[i]))
                dec_dirs[nd++] = wd[i];
        }
        ro.rule_dirs = rule_dirs;
        ro.n_rule_dirs = nr;
        ro.decoder_dirs = dec_dirs;
        ro.n_decoder_dirs = nd;
    } else if (!strcmp(profile, "default")) {
        conf = tl_path_join(o->etc_dir, "ossec.conf");
        TL_TRY_ALLOC(conf);
        ro.ossec_conf = conf;
        ro.base_dir = o->etc_dir;
    } else if (!strcmp(profile, "tasklab")) {
        conf = tl_path_join(o->etc_dir, "ossec-tasklab.conf");
        TL_TRY_ALLOC(conf);
        ro.ossec_conf = conf;
        ro.base_dir = o->etc_dir;
    } else if (!strcmp(profile, "wazuh")) {
        base = tl_path_join(o->shared_dir ? o->shared_dir : "", "reference/wazuh-full");
        TL_TRY_ALLOC(base);
        if (!is_dir(base)) {
            tl_diag_set(d, base, 0, "the wazuh profile needs the Wazuh reference ruleset, not found");
            TL_FAIL(TL_E_NOTFOUND);
        }
        conf = tl_path_join(o->etc_dir, "ossec-wazuh.conf");
        local = tl_path_join(o->etc_dir, "rules/local_rules.xml");
        TL_TRY_ALLOC(conf);
        TL_TRY_ALLOC(local);
        ro.ossec_conf = conf;
        ro.base_dir = base;
        /* A user's own local_rules.xml (--rules) takes the place of the blog's,
         * as a manager's etc/rules/local_rules.xml is one file. */
        int own_local = 0;
        for (size_t i = 0; i < o->n_extra_rules; i++) {
            const char *bn = strrchr(o->extra_rules[i], '/');
            own_local |= !strcmp(bn ? bn + 1 : o->extra_rules[i], "local_rules.xml");
        }
        if (!own_local)
            files[nfiles++] = local;
    } else {
        tl_diag_set(d, "", 0, "unknown profile '%s' (expected default, tasklab or wazuh)", profile);
        TL_FAIL(TL_E_INVAL);
    }

    if (o->ruleset_dir) {
        /* A user's ruleset replaces the profile's rules and decoders; the profile's
         * ossec.conf still supplies <command>, <active-response> and <alerts>. */
        if (!is_dir(o->ruleset_dir)) {
            tl_diag_set(d, o->ruleset_dir, 0, "--ruleset: not a folder");
            TL_FAIL(TL_E_INVAL);
        }
        rdir = tl_path_join(o->ruleset_dir, "rules");
        ddir = tl_path_join(o->ruleset_dir, "decoders");
        TL_TRY_ALLOC(rdir);
        TL_TRY_ALLOC(ddir);
        if (!is_dir(rdir)) {
            tl_diag_set(d, o->ruleset_dir, 0, "--ruleset: no rules/ folder in it");
            TL_FAIL(TL_E_INVAL);
        }
        rule_dirs[0] = rdir;
        ro.rule_dirs = rule_dirs;
        ro.n_rule_dirs = 1;
        if (is_dir(ddir)) {
            dec_dirs[0] = ddir;
            ro.decoder_dirs = dec_dirs;
            ro.n_decoder_dirs = 1;
        } else {
            /* Rules without decoders would never see a decoded field: use the
             * profile's decoders, and say so. */
            ro.keep_conf_decoders = 1;
            if (o->warn) {
                char msg[1200];
                snprintf(msg, sizeof msg, "%s: no decoders/ folder: using the decoders of profile %s",
                         o->ruleset_dir, profile);
                o->warn(o->warn_ctx, msg);
            }
        }
        /* Take only AR/alert settings from the profile's conf. */
        ro.skip_conf_ruleset = 1;
        ro.stock_ruleset = 1;
        ro.stock_dir = o->ruleset_dir;
        nfiles = 0;
    }
    for (size_t i = 0; i < o->n_extra_rules; i++)
        files[nfiles++] = o->extra_rules[i];
    ro.rule_files = files;
    ro.n_rule_files = nfiles;
    ro.decoder_files = o->extra_decoders;
    ro.n_decoder_files = o->n_extra_decoders;
    st = tl_ruleset_load(&ro, out, d);

cleanup:
    tl_free(files);
    tl_free(conf);
    tl_free(base);
    tl_free(local);
    tl_free(rdir);
    tl_free(ddir);
    for (int i = 0; i < 2; i++) {
        tl_free(wr[i]);
        tl_free(wd[i]);
    }
    return st;
}
