/* SPDX-License-Identifier: MIT */
/*
 * .NET DateTime text (dotnet_time.c): DateTime.Parse under en-US for the
 * PowerShell interpreter, the StartBoundary text tasks are written with, and
 * DateTime.ToString(format). Not an interpreter: any file of interp/ may use it.
 */
#ifndef TL_SIM_DOTNET_TIME_H
#define TL_SIM_DOTNET_TIME_H

#include "tasklab/base.h"

/** Parse s as DateTime.Parse does under en-US; a time alone takes the date of
 * now (the virtual clock, local time = UTC). Returns 1 and sets *out, or 0 (out
 * untouched) when .NET would throw FormatException. */
int tl_dotnet_datetime_parse(const char *s, tl_time now, tl_time *out);
/** "2026-12-07T09:00:00": the StartBoundary text the library's triggers carry
 * (seconds, no fraction, no zone). */
void tl_dotnet_datetime_boundary(tl_time t, char out[32]);
/** Append DateTime.ToString(fmt) (custom specifiers; NULL or "" = the invariant
 * "MM/dd/yyyy HH:mm:ss") to b. Returns b's status. */
tl_status tl_dotnet_datetime_format(tl_time t, const char *fmt, tl_buf *b);

#endif /* TL_SIM_DOTNET_TIME_H */
