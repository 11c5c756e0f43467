/* SPDX-License-Identifier: MIT */
/*
 * The command-line parser and the help texts, both generated from one option
 * table per subcommand (cli.h: tl_cli_opt, tl_cli_cmd), so `--help` cannot
 * drift from what the parser accepts.
 *
 * A command's table is an array of rows {name, metavar, id, help} ended by
 * TL_CLI_OPT_END; rows shared by several commands (profile, ruleset, AR,
 * shard…) come from the TL_CLI_OPTS_* macros of cli.h and carry ids from
 * TL_OC_FIRST up, which tl_cli_common_set() applies. A command loops:
 *
 *     tl_cli_parse p;
 *     tl_cli_parse_init(&p, &tl_cli_cmd_run_def, argc, argv);
 *     for (int o; (o = tl_cli_parse_next(&p)) != TL_OPT_END;)
 *         switch (o) {
 *         case TL_OPT_HELP: return 0;            (help already printed on stdout)
 *         case TL_OPT_ERR:  return 2;            (one-line message already on stderr)
 *         case TL_OPT_OPERAND: ...p.val...; break;
 *         case O_OUT: out = p.val; break;        (the command's own ids)
 *         default: if (tl_cli_common_set(&c, o, p.val) < 0) return 2;
 *         }
 *
 * Accepted spellings: `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`
 * (short options with a value), `-h`/`--help` anywhere, `--` ends options.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_cli_parse_init(tl_cli_parse *p, const tl_cli_cmd *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->i = 0;
}

static const tl_cli_opt *find_opt(const tl_cli_cmd *cmd, const char *a, const char **attached)
{
    *attached = NULL;
    for (const tl_cli_opt *o = cmd->opts; o && o->name; o++) {
        size_t n = strlen(o->name);
        if (strncmp(a, o->name, n) != 0)
            continue;
        if (!a[n])
            return o;
        if (o->metavar && a[n] == '=' && o->name[1] == '-') {
            *attached = a + n + 1;
            return o;
        }
        if (o->metavar && o->name[1] != '-' && n == 2) {
            *attached = a + n;
            return o;
        }
    }
    return NULL;
}

int tl_cli_parse_next(tl_cli_parse *p)
{
    p->val = NULL;
    if (++p->i >= p->argc)
        return TL_OPT_END;
    const char *a = p->argv[p->i];
    if (p->operands_only || a[0] != '-' || !a[1]) {
        p->val = a;
        return TL_OPT_OPERAND;
    }
    if (!strcmp(a, "--")) {
        p->operands_only = 1;
        return tl_cli_parse_next(p);
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        tl_cli_print_help(p->cmd, stdout);
        return TL_OPT_HELP;
    }
    const char *attached;
    const tl_cli_opt *o = find_opt(p->cmd, a, &attached);
    if (!o) {
        fprintf(stderr, "tasklab %s: unknown option '%s' (see tasklab %s --help)\n", p->cmd->name,
                a, p->cmd->name);
        return TL_OPT_ERR;
    }
    if (o->metavar) {
        if (attached)
            p->val = attached;
        else if (p->i + 1 < p->argc)
            p->val = p->argv[++p->i];
        else {
            fprintf(stderr, "tasklab %s: option '%s' needs a value (%s)\n", p->cmd->name, o->name,
                    o->metavar);
            return TL_OPT_ERR;
        }
    }
    return o->id;
}

/* Append " [--name META]" for each row and the operands, wrapping at 100
 * columns to `indent`; the text so far ends at column `col`. */
static void synopsis(const tl_cli_cmd *cmd, tl_buf *b, size_t col, size_t indent)
{
    for (const tl_cli_opt *o = cmd->opts; o && o->name; o++) {
        char item[160];
        snprintf(item, sizeof item, "[%s%s%s]%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "", o->flags & TL_OPT_MULTI ? "..." : "");
        size_t l = strlen(item);
        if (col + 1 + l > 100) {
            tl_buf_printf(b, "\n%*s", (int)indent, "");
            col = indent;
        } else {
            tl_buf_putc(b, ' ');
            col++;
        }
        tl_buf_puts(b, item);
        col += l;
    }
    if (cmd->operands && *cmd->operands) {
        if (col + 1 + strlen(cmd->operands) > 100)
            tl_buf_printf(b, "\n%*s", (int)indent, "");
        else
            tl_buf_putc(b, ' ');
        tl_buf_puts(b, cmd->operands);
    }
}

void tl_cli_print_help(const tl_cli_cmd *cmd, FILE *f)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, "usage: tasklab %s", cmd->name);
    size_t col = strlen("usage: tasklab ") + strlen(cmd->name);
    synopsis(cmd, &b, col, col + 1);
    tl_buf_printf(&b, "\n\n%s\n", cmd->summary);
    if (cmd->opts && cmd->opts->name) {
        tl_buf_puts(&b, "\noptions:\n");
        for (const tl_cli_opt *o = cmd->opts; o->name; o++) {
            char left[80];
            snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
            tl_buf_printf(&b, "  %-24s %s%s\n", left, o->help,
                          o->flags & TL_OPT_MULTI ? " (repeatable)" : "");
        }
        tl_buf_printf(&b, "  %-24s %s\n", "-h, --help", "this help");
    }
    if (cmd->more)
        tl_buf_printf(&b, "\n%s", cmd->more);
    fputs(tl_buf_cstr(&b), f);
    tl_buf_free(&b);
}

void tl_cli_print_usage(FILE *f)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "usage: tasklab <command> [options]\n"
                    "       tasklab --version | --help | <command> --help\n\ncommands:\n");
    for (const tl_cli_cmd *const *cp = tl_cli_commands; *cp; cp++) {
        const tl_cli_cmd *cmd = *cp;
        tl_buf_printf(&b, "  %-12s %s\n", cmd->name, cmd->summary);
    }
    tl_buf_puts(&b, "\noptions of each command:\n");
    for (const tl_cli_cmd *const *cp = tl_cli_commands; *cp; cp++) {
        const tl_cli_cmd *cmd = *cp;
        tl_buf_printf(&b, "  %s", cmd->name);
        synopsis(cmd, &b, 2 + strlen(cmd->name), 4 + strlen(cmd->name));
        tl_buf_putc(&b, '\n');
    }
    tl_buf_puts(&b, "\nexit status: 0 success, 1 a test or expectation failed, 2 bad input or "
                    "configuration,\n77 everything was skipped.\n"
                    "environment: TASKLAB_HOME (project root), TASKLAB_SHARED (../shared), CI "
                    "(refuses --bless),\nNO_COLOR / TERM=dumb (no colour), TASKLAB_PROGRESS_AFTER=S (progress on a "
                    "terminal after S seconds, default 1).\n");
    fputs(tl_buf_cstr(&b), f);
    tl_buf_free(&b);
}

const tl_cli_cmd *tl_cli_find_command(const char *name)
{
    for (const tl_cli_cmd *const *cp = tl_cli_commands; *cp; cp++)
        if (!strcmp((*cp)->name, name))
            return *cp;
    return NULL;
}

/* "1 event" / "2 events": the noun must take a plain "s". */
const char *tl_cli_plural(size_t n) { return n == 1 ? "" : "s"; }
