/* SPDX-License-Identifier: MIT */
/*
 * Internal to base/: helpers the platform layer's Windows halves share
 * (platform.c, walk.c, lock.c, file.c), the own address parsers that
 * test_platform compares with the system's on Linux, and the path-component
 * splitter that the contained walk and the in-memory drive share (one reading
 * of a relative path, so both refuse and resolve the same names).
 */
#ifndef TL_PLATFORM_INT_H
#define TL_PLATFORM_INT_H

#include <stddef.h>

/* Next component of rel at *pos (skipping '/' and '\\' separators); NULL when
 * none. *len is the component's length; *pos moves past it. */
static inline const char *tl_rel_next_comp(const char *rel, size_t *pos, size_t *len)
{
    size_t i = *pos;
    while (rel[i] == '/' || rel[i] == '\\')
        i++;
    if (!rel[i]) {
        *pos = i;
        return NULL;
    }
    size_t j = i;
    while (rel[j] && rel[j] != '/' && rel[j] != '\\')
        j++;
    *pos = j;
    *len = j - i;
    return rel + i;
}

int tl_own_pton4(const char *s, unsigned char out[4]);
int tl_own_pton6(const char *s, unsigned char out[16]);

#ifdef _WIN32
#include <wchar.h>
/** UTF-8 -> UTF-16 (caller tl_free()s); NULL (errno EINVAL) for bad UTF-8. */
wchar_t *tl_win_wide(const char *s);
/** UTF-16 -> UTF-8 (caller tl_free()s). */
char *tl_win_utf8(const wchar_t *w);
/** A GetLastError() code as the errno value POSIX would give. */
int tl_win_errno(unsigned long err);
#endif

#endif
