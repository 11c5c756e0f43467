/* SPDX-License-Identifier: MIT */
/*
 * Running a scenario's steps on the endpoint (tl_sim_run_step): a command
 * line handed to the interpreter of its parent process (through the one
 * dispatch table, interp/dispatch.c), a registry or file write by a named
 * process, a task's own trigger, a user's logon, a noise generator.
 *
 * Processes a step names that are not running yet (its parent, the writer of
 * a registry or file step) are created quietly, as if started before the step.
 */
#include "tasklab/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "service.h"
#include "sim_int.h"

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '\\');
    return b ? b + 1 : p;
}
static tl_status find_or_make_proc(tl_sim *s, const char *image, size_t user, int integ, long *out)
{
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].user == user && s->procs[i].integrity == integ && !s->procs[i].exited &&
            tl_strcasecmp(s->procs[i].image, image) == 0) {
            *out = (long)i;
            return TL_OK;
        }
    /* a process that existed before the step: no event */
    long parent = -1;
    for (size_t i = 0; i < s->nprocs; i++)
        if (s->procs[i].user == user && user != 0 && !s->procs[i].exited &&
            tl_strcasecmp(base_name(s->procs[i].image), "explorer.exe") == 0)
            parent = (long)i;
    if (user == 0)
        parent = s->services_exe;
    tl_buf cmd = TL_BUF_INIT;
    if (tl_strcasecmp(base_name(image), "cmd.exe") == 0)
        tl_buf_printf(&cmd, "\"%s\" ", image);
    else if (tl_strcasecmp(base_name(image), "powershell.exe") == 0)
        tl_buf_printf(&cmd, "\"%s\" ", image);
    else
        tl_buf_printf(&cmd, "\"%s\"", image);
    if (tl_buf_status(&cmd) != TL_OK)
        return TL_E_NOMEM;
    /* started before the step from %SystemRoot%'s path (ComSpec, the Start menu): the
     * Windows folder in the host's casing (endpoint.windir) */
    char *cl = tl_sim_windir_spell(s, tl_buf_cstr(&cmd));
    tl_buf_free(&cmd);
    if (!cl)
        return TL_E_NOMEM;
    int q = s->quiet;
    s->quiet = 1;
    tl_time save = s->now;
    s->now -= (tl_time)(30 + tl_rng_below(&s->rng, 600)) * TL_USEC_PER_SEC;
    tl_status st = tl_sim_proc_create(s, parent, user, integ, image, cl,
                                      user ? NULL : "C:\\Windows\\system32\\", out);
    tl_free(cl);
    s->now = save;
    s->quiet = q;
    if (st == TL_OK && !s->x86 &&
        (tl_strncasecmp(image, "C:\\Windows\\SysWOW64\\", 20) == 0 ||
         tl_strncasecmp(image, "C:\\Program Files (x86)\\", 23) == 0))
        s->procs[*out].wow64 = 1;
    if (st == TL_OK && user != 0) {
        char *cwd = NULL;
        tl_buf b = TL_BUF_INIT;
        if (integ >= 2)
            tl_buf_puts(&b, "C:\\Windows\\system32\\");
        else
            tl_buf_printf(&b, "C:\\Users\\%s\\", s->users[user].name);
        cwd = tl_buf_take(&b);
        if (!cwd)
            st = TL_E_NOMEM;
        else {
            tl_free(s->procs[*out].cwd);
            s->procs[*out].cwd = cwd;
        }
    }
    tl_buf_free(&cmd);
    return st;
}

static tl_status hex_decode(const char *h, unsigned char **out, size_t *len)
{
    size_t n = 0;
    unsigned char *b = tl_malloc(strlen(h) / 2 + 1);
    if (!b)
        return TL_E_NOMEM;
    int hi = -1;
    for (const char *p = h; *p; p++) {
        int v = *p >= '0' && *p <= '9'   ? *p - '0'
                : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                         : -1;
        if (v < 0)
            continue;
        if (hi < 0)
            hi = v;
        else {
            b[n++] = (unsigned char)(hi * 16 + v);
            hi = -1;
        }
    }
    *out = b;
    *len = n;
    return TL_OK;
}

static tl_status run_registry_step(tl_sim *s, const tl_step *t, size_t user, tl_diag *d)
{
    tl_status st;
    char *npath = NULL;
    unsigned char *bin = NULL;
    const char *image = t->image    ? t->image
                        : user == 0 ? "C:\\Windows\\system32\\svchost.exe"
                                    : "C:\\Windows\\regedit.exe";
    int integ = user == 0 ? 3 : (t->elevated == 1 ? 2 : 1);
    long proc;
    if (user == 0 && tl_strcasecmp(image, "C:\\Windows\\system32\\svchost.exe") == 0)
        proc = s->schedule_svc;
    else
        TL_TRY(find_or_make_proc(s, image, user, integ, &proc));
    st = tl_reg_normalize(t->reg_key, s->users[user].sid, &npath);
    if (st == TL_E_PARSE) {
        st =
            tl_sim_step_error(s, d, TL_E_PARSE, "key: unknown registry root in \"%s\"", t->reg_key);
        goto cleanup;
    }
    TL_TRY(st);
    switch (t->reg_op) {
    case TL_REGOP_CREATE_KEY:
        TL_TRY(tl_sim_reg_create_key(s, proc, npath, 1, NULL));
        break;
    case TL_REGOP_SET_VALUE: {
        uint32_t ty = tl_reg_type_from_name(t->reg_type);
        if (ty == TL_REG_DWORD || ty == TL_REG_QWORD) {
            unsigned long long v = strtoull(t->reg_data, NULL, 10);
            unsigned char b[8];
            for (int i = 0; i < 8; i++)
                b[i] = (unsigned char)(v >> (8 * i));
            TL_TRY(tl_sim_reg_set(s, proc, npath, t->reg_value, ty, b, ty == TL_REG_DWORD ? 4 : 8));
        } else if (ty == TL_REG_BINARY || ty == TL_REG_NONE) {
            size_t n = 0;
            TL_TRY(hex_decode(t->reg_data ? t->reg_data : "", &bin, &n));
            TL_TRY(tl_sim_reg_set(s, proc, npath, t->reg_value, ty, bin, n));
        } else {
            TL_TRY(
                tl_sim_reg_set(s, proc, npath, t->reg_value, ty, t->reg_data, strlen(t->reg_data)));
        }
        break;
    }
    case TL_REGOP_DELETE_VALUE:
        st = tl_sim_reg_delete_value(s, proc, npath, t->reg_value);
        if (st == TL_E_NOTFOUND) {
            st = tl_sim_step_error(s, d, TL_E_INVAL, "value \"%s\" of %s does not exist",
                                   t->reg_value, npath);
            goto cleanup;
        }
        TL_TRY(st);
        break;
    case TL_REGOP_DELETE_KEY:
        st = tl_sim_reg_delete_key(s, proc, npath);
        if (st == TL_E_NOTFOUND) {
            st = tl_sim_step_error(s, d, TL_E_INVAL, "key %s does not exist", npath);
            goto cleanup;
        }
        TL_TRY(st);
        break;
    }
    st = TL_OK;
cleanup:
    tl_free(npath);
    tl_free(bin);
    return st;
}

static tl_status run_file_step(tl_sim *s, const tl_step *t, size_t user, tl_diag *d)
{
    tl_status st;
    unsigned char *bytes = NULL;
    size_t n = 0;
    const char *image = t->image    ? t->image
                        : user == 0 ? "C:\\Windows\\system32\\svchost.exe"
                                    : "C:\\Windows\\explorer.exe";
    int integ = user == 0 ? 3 : (t->elevated == 1 ? 2 : 1);
    long proc;
    if (user == 0 && tl_strcasecmp(image, "C:\\Windows\\system32\\svchost.exe") == 0)
        proc = s->schedule_svc;
    else
        TL_TRY(find_or_make_proc(s, image, user, integ, &proc));
    if (t->file_delete) {
        st = tl_sim_file_delete(s, proc, t->file_path);
        if (st == TL_E_NOTFOUND)
            st = tl_sim_step_error(s, d, TL_E_INVAL, "path: %s does not exist", t->file_path);
        goto cleanup;
    }
    if (t->file_enc == TL_ENC_UTF16LE_BOM) {
        unsigned char *u16 = NULL;
        size_t ul = 0;
        TL_TRY(tl_utf8_to_utf16le(t->file_content, strlen(t->file_content), &u16, &ul));
        TL_TRY_ALLOC(bytes = tl_malloc(ul + 2));
        bytes[0] = 0xff;
        bytes[1] = 0xfe;
        memcpy(bytes + 2, u16, ul);
        tl_free(u16);
        n = ul + 2;
    } else {
        size_t cl = strlen(t->file_content);
        size_t off = t->file_enc == TL_ENC_UTF8_BOM ? 3 : 0;
        TL_TRY_ALLOC(bytes = tl_malloc(cl + off + 1));
        memcpy(bytes, "\xef\xbb\xbf", off);
        memcpy(bytes + off, t->file_content, cl);
        n = cl + off;
    }
    TL_TRY(tl_sim_file_write(s, proc, t->file_path, bytes, n));
cleanup:
    tl_free(bytes);
    return st;
}

size_t tl_sim_step_file_index(const tl_sim *s, size_t i)
{
    return i < s->sc->nsteps ? s->sc->steps[i].file_index : (size_t)-1;
}

tl_status tl_sim_run_step(tl_sim *s, size_t i, tl_diag *d)
{
    tl_status st = TL_OK;
    if (i >= s->sc->nsteps)
        return TL_E_INVAL;
    const tl_step *t = &s->sc->steps[i];
    s->cur = t;
    s->cur_step = i;
    s->cur_diag = d;
    tl_diag_clear(&s->fs_diag);
    if (s->now < t->time)
        s->now = t->time;
    long u = t->user                                       ? tl_sim_user_find(s, t->user)
             : t->kind == TL_STEP_COMMAND && s->nusers > 1 ? 1
                                                           : 0;
    if (u < 0) {
        st = tl_sim_step_error(s, d, TL_E_INVAL, "unknown user \"%s\"", t->user);
        goto done;
    }
    switch (t->kind) {
    case TL_STEP_COMMAND: {
        int elevated = u == 0 ? 1 : t->elevated == 1;
        if (elevated && u != 0 && !s->users[u].admin) {
            st = tl_sim_step_error(s, d, TL_E_INVAL,
                                   "user \"%s\" is not an administrator and cannot run elevated",
                                   s->users[u].name);
            goto done;
        }
        int integ = u == 0 ? 3 : elevated ? 2 : 1;
        const char *parent = t->parent ? t->parent : "C:\\Windows\\System32\\cmd.exe";
        long pp;
        st = find_or_make_proc(s, parent, (size_t)u, integ, &pp);
        if (st != TL_OK)
            goto done;
        tl_exec_ctx c = {s, d, (size_t)u, integ, elevated, pp, t->wow64 && !s->x86, NULL};
        int rc = 0;
        st = tl_sim_console_begin(s, t->file_index, s->users[u].name, parent, t->command);
        if (st != TL_OK)
            goto done;
        /* typed into the parent (a shell: cmd.exe, powershell.exe), else started by it */
        const tl_interp *in = tl_interp_find(tl_sim_image_origin(s, parent));
        if (t->image) /* CreateProcess(image, command): argv[0] may be anything (§3.3) */
            st = tl_sim_launch(&c, t->image, t->command, &rc);
        else if (in && in->run_text)
            st = in->run_text(&c, pp, t->command, &rc);
        else
            st = tl_sim_exec(&c, t->command, &rc);
        tl_sim_console_end(s, rc);
        break;
    }
    case TL_STEP_REGISTRY:
        st = run_registry_step(s, t, (size_t)u, d);
        break;
    case TL_STEP_FILE:
        st = run_file_step(s, t, (size_t)u, d);
        break;
    case TL_STEP_TRIGGER: {
        /* the task's own trigger fires (its time comes, its event occurs): the
         * Schedule service runs it; no schtasks.exe, no caller */
        char *canon = NULL;
        char msg[300];
        st = tl_task_path_canon(t->trigger_task, &canon, msg, sizeof msg);
        if (st == TL_E_PARSE || st == TL_E_INVAL) {
            st = tl_sim_step_error(s, d, TL_E_PARSE, "%s", msg);
            goto done;
        }
        if (st != TL_OK)
            goto done;
        tl_task *tk = tl_task_find(s, canon);
        int existed = 0;
        for (size_t k = 0; !tk && k < s->ntasks; k++)
            existed |= !tl_strcasecmp(s->tasks[k].path, canon);
        const int in_cache = tl_task_in_cache(s, canon);
        tl_free(canon);
        if (!tk && existed)
            break; /* deleted before its trigger came: nothing runs */
        if (!tk && in_cache)
            break; /* only in TaskCache (reg import, registry steps): not loaded, nothing runs */
        if (!tk) {
            st = tl_sim_step_error(s, d, TL_E_INVAL, "no task \"%s\" on the endpoint",
                                   t->trigger_task);
            goto done;
        }
        if (!tk->enabled || tk->unloaded)
            break; /* disabled, or not loaded until the service restarts: nothing runs */
        long save = s->caller_proc;
        s->caller_proc = -1;
        st = tl_task_run(s, tk);
        s->caller_proc = save;
        break;
    }
    case TL_STEP_LOGON: {
        long lu = tl_sim_user_find(s, t->logon_user);
        if (lu <= 0) {
            st = tl_sim_step_error(s, d, TL_E_INVAL, "unknown user \"%s\"", t->logon_user);
            goto done;
        }
        if (tl_sim_proc_find(s, (size_t)lu, "C:\\Windows\\explorer.exe") < 0) {
            /* logged off by a reboot: the logon starts the user's shell again (quietly,
             * as at the scenario's start: userinit is not simulated) */
            long idx;
            int q = s->quiet;
            s->quiet = 1;
            st = tl_sim_proc_create(s, -1, (size_t)lu, 1, "C:\\Windows\\explorer.exe",
                                    "C:\\Windows\\Explorer.EXE", NULL, &idx);
            s->quiet = q;
            if (st != TL_OK)
                goto done;
        }
        st = tl_task_logon(s, (size_t)lu);
        break;
    }
    case TL_STEP_RESTART:
    case TL_STEP_REBOOT:
        st = tl_task_service_restart(s, t->kind == TL_STEP_REBOOT);
        break;
    case TL_STEP_NOISE:
        if (t->noise_events > 0) {
            if (s->nnoise == s->capnoise) {
                size_t nc = s->capnoise ? s->capnoise * 2 : 4;
                tl_noise *nn = tl_realloc(s->noise, nc * sizeof *nn);
                if (!nn) {
                    st = TL_E_NOMEM;
                    goto done;
                }
                s->noise = nn;
                s->capnoise = nc;
            }
            tl_noise *g = &s->noise[s->nnoise++];
            memset(g, 0, sizeof *g);
            g->stream.id = (uint32_t)s->nnoise; /* 1 + index */
            g->step = i;
            g->start = t->time;
            g->duration = t->noise_duration;
            g->total = t->noise_events;
            g->done = 0;
            tl_rng_seed(&g->rng, s->sc->seed * 1000003u + i);
        }
        break;
    }
done:
    if (s->over_budget && st != TL_E_NOMEM)
        st = TL_E_LIMIT; /* even where a caller dropped the status: the diag says why */
    /* every failure names its cause: a drive path or host mirror error that
     * surfaced without a message (from any interpreter) is reported here */
    if (st != TL_OK && d && (s->fs_diag.msg[0] || !d->msg[0])) {
        char m[1600];
        if (s->fs_diag.msg[0])
            tl_diag_format(&s->fs_diag, m, sizeof m);
        else
            snprintf(m, sizeof m, "%s", tl_strerror(st));
        tl_sim_step_error(s, d, st, "%s", m);
    }
    if (s->steps_run <= i)
        s->steps_run = i + 1;
    s->cur = NULL;
    s->cur_diag = NULL;
    return st;
}
