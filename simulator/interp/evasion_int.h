/* SPDX-License-Identifier: MIT */
/*
 * Private to the simulator: the spellings of evasion.md (evasion.c).
 */
#ifndef TL_EVASION_INT_H
#define TL_EVASION_INT_H

#include "sim_int.h"

/** 1 on the Windows 10 2004 family (10.0.19041-19045) the WCO measurements cover. */
int tl_ev_win10_2004(const tl_sim *s);
/** A schtasks argument in switch position, normalised in place to "/name" when it is a
 * spelling schtasks accepts: 1 a switch (known or not: the caller looks it up), -1 a
 * spelling evasion.md §2.1 measured as rejected (another dash, a shorthand, an inserted
 * character), 0 not a switch at all. */
int tl_ev_schtasks_arg(const tl_sim *s, char *a);
/** reg's verb (verb 1) or a switch, normalised in place (U+FE63, superscript letters,
 * inserted ignorable code points, §2.2); 1 when it changed. Other tokens are left alone. */
int tl_ev_reg_arg(char *a, int verb);
/** cmd.exe expansion of %var% (mark '%') or !var! (mark '!'), with :~s,l and :a=b, for
 * process proc (variables `set` stored in it or its ancestors, then the environment);
 * undefined variables stay as typed. Owned result, NULL on out of memory. */
char *tl_ev_cmd_expand(tl_sim *s, size_t user, long proc, const char *line, char mark);
/** `set name=value` inside cmd process proc. */
tl_status tl_ev_cmd_set(tl_sim *s, long proc, const char *name, const char *value);
/** 1 when a cmd.exe command line turns on delayed expansion (/v:on before /c). */
int tl_ev_cmd_delayed(const char *cmdline);
/** The command line PowerShell gives a native program (fullpath, then each argument
 * re-quoted: 5.1 legacy or, pwsh 1, 7.3+ Standard). NULL when args use PowerShell syntax
 * tasklab does not split (the caller keeps the text verbatim) or on out of memory. */
char *tl_ev_ps_native(const char *fullpath, const char *args, int pwsh);

#endif /* TL_EVASION_INT_H */
