/* SPDX-License-Identifier: MIT */
/* The report's output folder, all or nothing (site.c; private to libtl_report). */
#ifndef TL_SITE_INT_H
#define TL_SITE_INT_H

#include "tasklab/base.h"

typedef struct tl_site tl_site;

/** Check DIR (absent, empty or a previous report) and create the temporary
 * sibling. TL_E_INVAL when DIR is refused, TL_E_IO when it cannot be created. */
tl_status tl_site_open(const char *dir, tl_site **out, tl_diag *d);
/** The checks of tl_site_open, creating nothing. */
tl_status tl_site_check(const char *dir, tl_diag *d);
/** Write one file (a plain name) into the temporary folder. */
tl_status tl_site_write(tl_site *s, const char *name, const char *data, size_t len, tl_diag *d);
/** Write the marker and rename into place. *old_left = 1 when a previous
 * report could not be removed entirely (files a person added). The site must
 * still be released with tl_site_abort (which then removes nothing). */
tl_status tl_site_commit(tl_site *s, int *old_left, tl_diag *d);
/** Remove the temporary folder (if still there) and free. NULL is a no-op. */
void tl_site_abort(tl_site *s);

#endif /* TL_SITE_INT_H */
