/* SPDX-License-Identifier: MIT */
/*
 * JSON_Decoder (wazuh.md §4.1; analysisd's plugins/json_decoder.c readJSON and
 * fillData): every leaf of a JSON object becomes a dynamic field named by its
 * dotted path, rendered as analysisd renders it:
 *
 *   string        as is (after JSON unescape)     "a\\b" -> a\b
 *   true/false    "true" / "false"
 *   number        "%i" of valueint when (double)valueint == valuedouble,
 *                 else "%f" (1.5 -> "1.500000"; 3e9 -> "3000000000.000000",
 *                 because cJSON saturates valueint at INT_MAX)
 *   null          "null" (json_null_field string, the default) or dropped
 *                 (discard)
 *   array         cJSON_Print (formatted: ["Id", "Arguments"]) by default, or
 *                 the scalar elements joined with ',' (json_array_structure
 *                 csv; objects and nested arrays skipped, no field when
 *                 nothing was joined)
 *   object        recursed; an empty object adds nothing
 *
 * Top-level keys srcip dstip srcport dstport protocol action srcuser dstuser
 * id status url data extra_data systemname fill the static fields instead
 * (the last one wins); "user" fills dstuser while dstuser is empty (4.14.1+),
 * otherwise it is an ordinary field. At most 256 dynamic fields per event
 * ("Too many fields for JSON decoder."). Bytes after the JSON value are
 * ignored; invalid JSON adds nothing (analysisd only logs a debug line).
 */
#include "decoder_int.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define TL_DECODER_ORDER_SIZE 256

static void *hook_malloc(size_t n) { return tl_malloc(n); }
static void hook_free(void *p) { tl_free(p); }

static pthread_once_t g_hooks_once = PTHREAD_ONCE_INIT;

static void hooks_init_once(void)
{
    cJSON_Hooks h = {hook_malloc, hook_free};
    cJSON_InitHooks(&h);
}

void tl_cjson_hooks_init(void) { pthread_once(&g_hooks_once, hooks_init_once); }

typedef struct jctx {
    tl_event *ev;
    tl_json_null nulls;
    tl_json_array arrays;
    tl_buf key;
    tl_status st;
} jctx;

static const struct {
    const char *key;
    tl_static_field f;
} g_json_static[] = {
    {"srcip", TL_SF_SRCIP},
    {"dstip", TL_SF_DSTIP},
    {"srcport", TL_SF_SRCPORT},
    {"dstport", TL_SF_DSTPORT},
    {"protocol", TL_SF_PROTOCOL},
    {"action", TL_SF_ACTION},
    {"srcuser", TL_SF_SRCUSER},
    {"dstuser", TL_SF_DSTUSER},
    {"id", TL_SF_ID},
    {"status", TL_SF_STATUS},
    {"url", TL_SF_URL},
    {"data", TL_SF_DATA},
    {"extra_data", TL_SF_EXTRA_DATA},
    {"systemname", TL_SF_SYSTEMNAME},
};

static void set_static(jctx *c, tl_static_field f, const char *value)
{
    char *v = tl_strdup(value);
    if (!v) {
        c->st = TL_E_NOMEM;
        return;
    }
    tl_free(c->ev->stat[f]);
    c->ev->stat[f] = v;
}

/* fillData: key is the full dotted key (len klen), NULL-free. */
static void fill(jctx *c, const char *key, size_t klen, const char *value)
{
    if (c->st != TL_OK)
        return;
    if (memchr(key, '.', klen) == NULL) {
        for (size_t i = 0; i < sizeof g_json_static / sizeof g_json_static[0]; i++)
            if (strlen(g_json_static[i].key) == klen &&
                memcmp(g_json_static[i].key, key, klen) == 0) {
                set_static(c, g_json_static[i].f, value);
                return;
            }
        if (klen == 4 && memcmp(key, "user", 4) == 0 && !c->ev->stat[TL_SF_DSTUSER]) {
            set_static(c, TL_SF_DSTUSER, value);
            return;
        }
    }
    if (c->ev->nfields >= TL_DECODER_ORDER_SIZE)
        return; /* "Too many fields for JSON decoder." */
    c->st = tl_event_add_field(c->ev, key, klen, value, strlen(value));
}

static void number_str(const cJSON *n, char out[64])
{
    if ((double)n->valueint == n->valuedouble)
        snprintf(out, 64, "%i", n->valueint);
    else
        snprintf(out, 64, "%f", n->valuedouble);
}

static void read_json(jctx *c, const cJSON *item, int has_parent)
{
    for (; item && c->st == TL_OK; item = item->next) {
        size_t base = c->key.len;
        int has_key = 0;
        if (item->string) {
            if (has_parent)
                tl_buf_putc(&c->key, '.');
            tl_buf_puts(&c->key, item->string);
            has_key = 1;
            if (tl_buf_status(&c->key) != TL_OK) {
                c->st = TL_E_NOMEM;
                return;
            }
        }
        const char *k = c->key.data ? c->key.data : "";
        size_t kl = c->key.len;
        switch (item->type & 0xFF) {
        case cJSON_String:
            if (has_key)
                fill(c, k, kl, item->valuestring ? item->valuestring : "");
            break;
        case cJSON_Number:
            if (has_key) {
                char v[64];
                number_str(item, v);
                fill(c, k, kl, v);
            }
            break;
        case cJSON_True:
            if (has_key)
                fill(c, k, kl, "true");
            break;
        case cJSON_False:
            if (has_key)
                fill(c, k, kl, "false");
            break;
        case cJSON_NULL:
            if (has_key && c->nulls == TL_JSON_NULL_STRING)
                fill(c, k, kl, "null");
            break;
        case cJSON_Array:
            if (!has_key)
                break;
            if (c->arrays == TL_JSON_ARRAY_CSV) {
                tl_buf v = TL_BUF_INIT;
                int any = 0;
                for (const cJSON *e = item->child; e; e = e->next) {
                    char num[64];
                    const char *s = NULL;
                    switch (e->type & 0xFF) {
                    case cJSON_String: s = e->valuestring ? e->valuestring : ""; break;
                    case cJSON_Number:
                        number_str(e, num);
                        s = num;
                        break;
                    case cJSON_True: s = "true"; break;
                    case cJSON_False: s = "false"; break;
                    case cJSON_NULL: s = "null"; break;
                    default: break;
                    }
                    if (!s)
                        continue;
                    if (any)
                        tl_buf_putc(&v, ',');
                    tl_buf_puts(&v, s);
                    any = 1;
                }
                if (tl_buf_status(&v) != TL_OK)
                    c->st = TL_E_NOMEM;
                else if (any)
                    fill(c, k, kl, v.data ? v.data : "");
                tl_buf_free(&v);
            } else {
                char *p = cJSON_Print(item);
                if (!p) {
                    c->st = TL_E_NOMEM;
                    break;
                }
                fill(c, k, kl, p);
                cJSON_free(p);
            }
            break;
        case cJSON_Object: read_json(c, item->child, has_key || has_parent); break;
        default: break;
        }
        c->key.len = base;
        if (c->key.data)
            c->key.data[base] = '\0';
    }
}

tl_status tl_json_decode(tl_event *ev, const char *text, tl_json_null nulls, tl_json_array arrays)
{
    if (!ev || !text)
        return TL_E_INVAL;
    tl_cjson_hooks_init();
    const char *endp = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &endp, 0);
    if (!root)
        return TL_OK; /* "Malformed JSON string": decoded, no fields */
    jctx c = {ev, nulls, arrays, TL_BUF_INIT, TL_OK};
    read_json(&c, root, 0);
    tl_buf_free(&c.key);
    cJSON_Delete(root);
    return c.st;
}
