/* SPDX-License-Identifier: MIT */
/*
 * CDB lists for rule <list> conditions and IP/CIDR lists for <srcip>,
 * <dstip> and the AR <white_list>.
 *
 * Wazuh compiles text lists ("key:value" per line) into .cdb files; here the
 * text file is read directly into a sorted array, so lookups are a binary
 * search and never allocate. Keys may be quoted ("a:b":value) to hold ':'.
 * address_* lookups try the whole value, then each prefix ending in '.'
 * ("10.1.2.3", "10.1.2.", "10.1.", "10."), as OS_DBSearchKeyAddress does.
 * Line format (Lists_OP_MakeCDB, wazuh.md §5.4): a line without ':' is
 * ignored; `"a:b":"v"` quotes a key holding ':'; a quoted value is the text
 * between its first two quotes; an unclosed value quote drops the line.
 */
#include "rules/rules_int.h"
#include "tasklab/platform.h"

#include <stdlib.h>
#include <string.h>

typedef struct lpair {
    char *k;
    char *v;
    size_t i;
} lpair;

static int lpair_cmp(const void *a, const void *b) {
    const lpair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    if (c)
        return c;
    return x->i < y->i ? -1 : (x->i > y->i);
}

void tl_list_free(tl_list *l) {
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        tl_free(l->keys[i]);
        tl_free(l->vals[i]);
    }
    tl_free(l->keys);
    tl_free(l->vals);
    tl_free(l->path);
    tl_free(l);
}

tl_status tl_list_load(const char *path, const char *name, tl_list **out, tl_diag *d) {
    tl_status st = TL_OK;
    char *data = NULL;
    size_t len = 0, cap = 0;
    tl_list *l = NULL;
    char **keys = NULL, **vals = NULL;
    st = tl_file_read(path, &data, &len, d);
    if (st != TL_OK) {
        /* Wazuh lists may be given with or without .cdb; try the text name too */
        size_t pl = strlen(path);
        if (pl > 4 && strcmp(path + pl - 4, ".cdb") == 0) {
            char *alt = tl_strndup(path, pl - 4);
            if (!alt)
                return TL_E_NOMEM;
            st = tl_file_read(alt, &data, &len, d);
            tl_free(alt);
        }
        if (st != TL_OK)
            return st;
    }
    l = tl_calloc(1, sizeof *l);
    TL_TRY_ALLOC(l);
    l->path = tl_strdup(name);
    TL_TRY_ALLOC(l->path);
    char *p = data;
    while (p && *p) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        /* Lists_OP_MakeCDB: the line ends at its first CR/LF; a line without
         * ':' is ignored (there is no comment syntax) */
        char *cr = strchr(p, '\r');
        if (cr)
            *cr = '\0';
        const char *ks = NULL, *ke = NULL, *vs = NULL, *ve = NULL;
        char *colon = strchr(p, ':');
        char *q1 = strchr(p, '"');
        if (colon) {
            const char *after;
            if (q1 && q1 < colon) {
                /* "quoted:key":value -- the key is between the first two quotes
                 * and the value is searched after the closing one */
                const char *q2 = strchr(q1 + 1, '"');
                const char *c2 = q2 ? strchr(q2 + 1, ':') : NULL;
                if (c2) {
                    ks = q1 + 1;
                    ke = q2;
                    after = c2 + 1;
                } else {
                    after = NULL;
                }
            } else {
                ks = p;
                ke = colon;
                after = colon + 1;
            }
            if (after) {
                const char *vq1 = strchr(after, '"');
                if (vq1) {
                    const char *vq2 = strchr(vq1 + 1, '"');
                    if (vq2) {
                        vs = vq1 + 1;
                        ve = vq2;
                    } /* an unclosed quote drops the line */
                } else {
                    vs = after;
                    ve = after + strlen(after);
                }
            }
        }
        if (ks && vs) {
            if (l->n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nk = tl_realloc(keys, cap * sizeof *nk);
                TL_TRY_ALLOC(nk);
                keys = nk;
                char **nv = tl_realloc(vals, cap * sizeof *nv);
                TL_TRY_ALLOC(nv);
                vals = nv;
            }
            keys[l->n] = tl_strndup(ks, (size_t)(ke - ks));
            vals[l->n] = tl_strndup(vs, (size_t)(ve - vs));
            if (!keys[l->n] || !vals[l->n]) {
                tl_free(keys[l->n]);
                tl_free(vals[l->n]);
                TL_FAIL(TL_E_NOMEM);
            }
            l->n++;
        }
        p = e ? e + 1 : NULL;
    }
    /* sort key/value pairs together; qsort is not stable, so ties break on
     * the original line number (duplicate keys: the first line wins) */
    if (l->n > 1) {
        lpair *pr = tl_malloc(l->n * sizeof *pr);
        TL_TRY_ALLOC(pr);
        for (size_t i = 0; i < l->n; i++) {
            pr[i].k = keys[i];
            pr[i].v = vals[i];
            pr[i].i = i;
        }
        qsort(pr, l->n, sizeof *pr, lpair_cmp);
        for (size_t i = 0; i < l->n; i++) {
            keys[i] = pr[i].k;
            vals[i] = pr[i].v;
        }
        tl_free(pr);
    }
    l->keys = keys;
    l->vals = vals;
    keys = vals = NULL;
    *out = l;
    l = NULL;
cleanup:
    if (l) {
        for (size_t i = 0; i < l->n; i++) {
            tl_free(keys[i]);
            tl_free(vals[i]);
        }
        l->n = 0;
    }
    tl_free(keys);
    tl_free(vals);
    tl_list_free(l);
    tl_free(data);
    return st;
}

const char *tl_list_get(const tl_list *l, const char *key) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(l->keys[mid], key);
        if (c == 0) {
            // first of equal keys
            while (mid > 0 && strcmp(l->keys[mid - 1], key) == 0)
                mid--;
            return l->vals[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* OS_DBSearchKeyAddress: the whole value, then each prefix that ends in '.',
 * longest first ("10.1.2.3", "10.1.2.", "10.1.", "10."). */
static const char *addr_get(const tl_list *l, const char *ip) {
    char buf[256];
    size_t n = strlen(ip);
    const char *v = tl_list_get(l, ip);
    if (v || n >= sizeof buf)
        return v;
    memcpy(buf, ip, n + 1);
    while (n > 0) {
        n--;
        if (n > 0 && buf[n - 1] == '.') {
            buf[n] = '\0';
            v = tl_list_get(l, buf);
            if (v)
                return v;
        }
    }
    return NULL;
}

int tl_list_check(const tl_list *l, tl_list_lookup lk, const tl_expr *check_value,
                  const char *value) {
    if (!value || !l)
        return 0;
    const char *v;
    switch (lk) {
    case TL_LIST_MATCH_KEY: return tl_list_get(l, value) != NULL;
    case TL_LIST_NOT_MATCH_KEY: return tl_list_get(l, value) == NULL;
    case TL_LIST_MATCH_KEY_VALUE:
        v = tl_list_get(l, value);
        return v && check_value && tl_expr_match(check_value, v);
    case TL_LIST_ADDRESS_MATCH_KEY: return addr_get(l, value) != NULL;
    case TL_LIST_NOT_ADDRESS_MATCH_KEY: return addr_get(l, value) == NULL;
    case TL_LIST_ADDRESS_MATCH_KEY_VALUE:
        /* inverted in analysisd (as in OSSEC): it passes unless the key found
         * has a value that check_value matches (wazuh.md §5.4) */
        if (!check_value)
            return 1;
        v = addr_get(l, value);
        return !(v && tl_expr_match(check_value, v));
    }
    return 0;
}

/* ---- IP lists ------------------------------------------------------------- */

void tl_iplist_clear(tl_iplist *l) {
    tl_free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int parse_ip(const char *s, size_t n, tl_cidr *c) {
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memset(c, 0, sizeof *c);
    if (strchr(buf, ':')) {
        if (!tl_inet_pton6(buf, c->addr))
            return -1;
        c->v6 = 1;
        c->prefix = 128;
        return 0;
    }
    if (!tl_inet_pton4(buf, c->addr))
        return -1;
    c->prefix = 32;
    return 0;
}

int tl_iplist_add(tl_iplist *l, const char *s) {
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    const char *slash = memchr(s, '/', n);
    tl_cidr c;
    if (parse_ip(s, slash ? (size_t)(slash - s) : n, &c) != 0)
        return -1;
    if (slash) {
        const char *m = slash + 1;
        size_t ml = n - (size_t)(m - s);
        char mb[64];
        if (ml == 0 || ml >= sizeof mb)
            return -1;
        memcpy(mb, m, ml);
        mb[ml] = '\0';
        if (strchr(mb, '.')) {
            tl_cidr mask;
            if (c.v6 || parse_ip(mb, ml, &mask) != 0)
                return -1;
            uint32_t mv = ((uint32_t)mask.addr[0] << 24) | ((uint32_t)mask.addr[1] << 16) |
                          ((uint32_t)mask.addr[2] << 8) | mask.addr[3];
            int bits = 0;
            while (bits < 32 && (mv & (0x80000000u >> bits)))
                bits++;
            c.prefix = bits;
        } else {
            char *end = NULL;
            long b = strtol(mb, &end, 10);
            if (*end || b < 0 || b > (c.v6 ? 128 : 32))
                return -1;
            c.prefix = (int)b;
        }
    }
    tl_cidr *nv = tl_realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    l->v = nv;
    l->v[l->n++] = c;
    return 0;
}

int tl_iplist_contains(const tl_iplist *l, const char *ip) {
    if (!l || !ip)
        return 0;
    tl_cidr a;
    if (parse_ip(ip, strlen(ip), &a) != 0)
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        const tl_cidr *c = &l->v[i];
        if (c->v6 != a.v6)
            continue;
        int bits = c->prefix, ok = 1;
        for (int b = 0; b < bits; b++) {
            int byte = b / 8, bit = 7 - (b % 8);
            if (((a.addr[byte] >> bit) & 1) != ((c->addr[byte] >> bit) & 1)) {
                ok = 0;
                break;
            }
        }
        if (ok)
            return 1;
    }
    return 0;
}
