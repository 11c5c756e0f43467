/* SPDX-License-Identifier: MIT */
/*
 * GhostTask.exe <host> add|delete <name> <program> <argument> <user>
 * <second|daily|weekly|logon> [time] [days] (threats.md §2): registry-only
 * task, needs SYSTEM. With the literal "localhost" the tool writes the local
 * registry itself (writer = GhostTask.exe); any other spelling goes through
 * the Remote Registry service (writer svchost.exe, [A]).
 */
#include <stdio.h>
#include <string.h>

#include "interpreters.h"
#include "service.h"

tl_status tl_interp_ghosttask(tl_exec_ctx *c, long proc, const char *cmdline, char **argv,
                              size_t argc, int *rc)
{
    tl_sim *s = c->s;
    (void)cmdline;
    if (argc < 4)
        return tl_sim_step_error(s, c->d, TL_E_PARSE,
                                 "GhostTask: usage: GhostTask.exe <host> "
                                 "<add|delete> <taskname> ...");
    const char *host = argv[1], *op = argv[2], *name = argv[3];
    int add = !tl_strcasecmp(op, "add");
    if (!add && tl_strcasecmp(op, "delete"))
        return tl_sim_step_error(s, c->d, TL_E_PARSE, "GhostTask: unknown operation '%s'", op);
    if (add) {
        if (argc < 8)
            return tl_sim_step_error(s, c->d, TL_E_PARSE,
                                     "GhostTask add: needs <program> <argument> <username> "
                                     "<second|daily|weekly|logon>");
        const char *trig = argv[7];
        if (tl_strcasecmp(trig, "second") && tl_strcasecmp(trig, "daily") &&
            tl_strcasecmp(trig, "weekly") && tl_strcasecmp(trig, "logon"))
            return tl_sim_step_error(s, c->d, TL_E_PARSE, "GhostTask: unknown trigger '%s'", trig);
    }
    const char *h = host;
    while (*h == '\\')
        h++;
    int local = !strcmp(host, "localhost");
    int same = local || !tl_strcasecmp(h, "localhost") || !tl_strcasecmp(h, s->sc->hostname) ||
               !tl_strcasecmp(h, "127.0.0.1");
    if (!same) {
        *rc = 0;
        return tl_sim_note(s, "remote host %s not simulated: no task written to its registry", h);
    }
    if (c->user != 0) {
        *rc = 1; /* access denied: TaskCache is writable by SYSTEM only */
        return TL_OK;
    }
    long writer = proc;
    if (!local) {
        /* Remote Registry service host [A] */
        writer = s->schedule_svc;
    }
    char msg[200], *path = NULL;
    tl_status st = tl_task_path_canon(name, &path, msg, sizeof msg);
    if (st == TL_E_PARSE)
        return tl_sim_step_error(s, c->d, st, "GhostTask: %s", msg);
    if (st != TL_OK)
        return st;
    tl_task *t = tl_task_find(s, path);
    if (add) {
        st = t ? TL_OK : tl_task_ghost_add(s, writer, name, argv[4], argv[5], argv[6], argv[7]);
        *rc = t ? 1 : 0;
    } else if (t) {
        char key[600];
        snprintf(key, sizeof key, TL_TASKCACHE "\\Tree%s", t->path);
        if (tl_reg_find(s, key))
            st = tl_sim_reg_delete_key(s, writer, key);
        snprintf(key, sizeof key, TL_TASKCACHE "\\Tasks\\%s", t->guid);
        if (st == TL_OK && tl_reg_find(s, key))
            st = tl_sim_reg_delete_key(s, writer, key);
        snprintf(key, sizeof key, TL_TASKCACHE "\\Plain\\%s", t->guid);
        if (st == TL_OK && tl_reg_find(s, key))
            st = tl_sim_reg_delete_key(s, writer, key);
        t->deleted = 1;
    } else {
        *rc = 1;
    }
    tl_free(path);
    return st;
}
