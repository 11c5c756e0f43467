/* SPDX-License-Identifier: MIT */
/*
 * The endpoint's tasks as data (tl_sim_tasks_json): what a scenario's `tasks`
 * expectations count (scenarios/README.md). One object per task the Schedule
 * service has (registered, imported or written into TaskCache), in
 * registration order, baseline Microsoft tasks included, deleted ones not:
 *
 *   {"Name": "WinUpdate", "Path": "\\WinUpdate", "Id": "{GUID}", "Author": "…",
 *    "Actions": [{"Type": "Exec", "Id": null, "Execute": "…", "Arguments": null,
 *                 "WorkingDirectory": null}],
 *    "Triggers": [{"Type": "LogonTrigger", "Enabled": "true", "UserId": "…"}],
 *    "Principal": {"Id": "Author", "UserId": "S-1-5-18", "RunLevel": "HighestAvailable"},
 *    "Hidden": false, "Enabled": true, "RegistryOnly": false, "Loaded": true,
 *    "SD": true, "Index": 3, "Listed": true, "File": "C:\\Windows\\System32\\Tasks\\WinUpdate"}
 *
 * Actions use the AR's short form (pipeline/ar README, "Actions"); Triggers and
 * Principal hold the text of the task XML's child elements, by element name
 * (Triggers' "Type" is the trigger element). "SD" and "Index" read the task's
 * TaskCache\Tree key now (Index null when the value is gone), "Listed" is
 * whether `schtasks /query` shows it (SD present, Index non-zero: windows.md
 * §4.4), "File" the task file when it exists. A registry-only task (GhostTask)
 * has no file and no XML: its Triggers say only what the service knows of it
 * (a LogonTrigger, or a "TimeTrigger" for the other GhostTask schedules [A]).
 */
#include <cjson/cJSON.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "service.h"
#include "sim_int.h"

static cJSON *str_or_null(const char *s)
{
    return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int add(cJSON *o, const char *k, cJSON *v)
{
    if (!v)
        return 0;
    cJSON_AddItemToObject(o, k, v);
    return 1;
}

static int push(cJSON *arr, cJSON *v)
{
    if (!v)
        return 0;
    cJSON_AddItemToArray(arr, v);
    return 1;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* Every element child of n with only text inside, as name -> text (first wins). */
static int add_texts(cJSON *o, const xmlNode *n)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || cJSON_GetObjectItemCaseSensitive(o, (const char *)c->name))
            continue;
        int simple = 1;
        for (const xmlNode *g = c->children; g; g = g->next)
            simple &= g->type != XML_ELEMENT_NODE;
        if (!simple)
            continue;
        xmlChar *t = xmlNodeGetContent(c);
        int ok = add(o, (const char *)c->name, cJSON_CreateString(t ? (const char *)t : ""));
        xmlFree(t);
        if (!ok)
            return 0;
    }
    return 1;
}

static int add_xml_parts(cJSON *o, const tl_task *t, cJSON *triggers, cJSON *principal)
{
    if (!t->xml)
        return 1;
    xmlDocPtr doc = xmlReadMemory(t->xml, (int)strlen(t->xml), "task.xml", "UTF-8",
                                  XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    if (!doc)
        return 1; /* the service validated it at registration: cannot happen */
    int ok = 1;
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *trs = child(root, "Triggers");
    for (const xmlNode *c = trs ? trs->children : NULL; ok && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        cJSON *tr = cJSON_CreateObject();
        ok = tr && add(tr, "Type", cJSON_CreateString((const char *)c->name)) && add_texts(tr, c);
        if (tr)
            cJSON_AddItemToArray(triggers, tr);
    }
    const xmlNode *pr = child(child(root, "Principals"), "Principal");
    if (ok && pr) {
        xmlChar *id = xmlGetProp(pr, (const xmlChar *)"id");
        if (id)
            ok = add(principal, "Id", cJSON_CreateString((const char *)id));
        xmlFree(id);
        ok = ok && add_texts(principal, pr);
    }
    xmlFreeDoc(doc);
    (void)o;
    return ok;
}

static cJSON *task_object(tl_sim *s, const tl_task *t)
{
    cJSON *o = cJSON_CreateObject(), *acts = NULL, *trs = NULL, *pr = NULL;
    if (!o)
        return NULL;
    const char *leaf = strrchr(t->path, '\\');
    leaf = leaf ? leaf + 1 : t->path;
    int ok = add(o, "Name", cJSON_CreateString(leaf)) && add(o, "Path", cJSON_CreateString(t->path)) &&
             add(o, "Id", cJSON_CreateString(t->guid)) && add(o, "Author", str_or_null(t->author));
    ok = ok && add(o, "Actions", acts = cJSON_CreateArray());
    for (size_t i = 0; ok && i < t->nactions; i++) {
        const tl_task_action *a = &t->actions[i];
        cJSON *x = cJSON_CreateObject();
        ok = push(acts, x);
        if (!ok)
            break;
        if (a->com)
            ok = add(x, "Type", cJSON_CreateString("ComHandler")) &&
                 add(x, "Id", str_or_null(a->id)) && add(x, "ClassId", str_or_null(a->command)) &&
                 add(x, "Data", str_or_null(a->arguments));
        else
            ok = add(x, "Type", cJSON_CreateString("Exec")) && add(x, "Id", str_or_null(a->id)) &&
                 add(x, "Execute", str_or_null(a->command)) &&
                 add(x, "Arguments", str_or_null(a->arguments)) &&
                 add(x, "WorkingDirectory", str_or_null(a->workdir));
    }
    ok = ok && add(o, "Triggers", trs = cJSON_CreateArray()) &&
         add(o, "Principal", pr = cJSON_CreateObject()) && add_xml_parts(o, t, trs, pr);
    if (ok && !t->xml) {
        cJSON *tr = cJSON_CreateObject();
        ok = push(trs, tr) &&
             add(tr, "Type", cJSON_CreateString(t->logon_trigger ? "LogonTrigger" : "TimeTrigger"));
        if (ok && t->user_id)
            ok = add(pr, "UserId", cJSON_CreateString(t->user_id));
        if (ok)
            ok = add(pr, "RunLevel",
                     cJSON_CreateString(t->highest ? "HighestAvailable" : "LeastPrivilege"));
    }
    ok = ok && add(o, "Hidden", cJSON_CreateBool(t->hidden)) &&
         add(o, "Enabled", cJSON_CreateBool(t->enabled)) &&
         add(o, "RegistryOnly", cJSON_CreateBool(t->registry_only)) &&
         add(o, "Loaded", cJSON_CreateBool(!t->unloaded));
    /* the Tree key as it is now (Tarrask deletes SD, others zero or delete Index) */
    tl_buf b = TL_BUF_INIT;
    tl_buf_printf(&b, TL_TASKCACHE "\\Tree%s", t->path);
    tl_regkey *k = tl_buf_status(&b) == TL_OK ? tl_reg_find(s, tl_buf_cstr(&b)) : NULL;
    tl_buf_free(&b);
    tl_regval *sd = k ? tl_reg_val_find(k, "SD") : NULL;
    tl_regval *ix = k ? tl_reg_val_find(k, "Index") : NULL;
    uint32_t v = 0;
    for (size_t i = 0; ix && i < 4 && i < ix->len; i++)
        v |= (uint32_t)ix->data[i] << (8 * i);
    ok = ok && add(o, "SD", cJSON_CreateBool(sd != NULL)) &&
         add(o, "Index", ix ? cJSON_CreateNumber(v) : cJSON_CreateNull()) &&
         add(o, "Listed", cJSON_CreateBool(!t->unloaded && tl_task_visible(s, t)));
    tl_buf f = TL_BUF_INIT;
    tl_buf_printf(&f, "C:\\Windows\\System32\\Tasks%s", t->path);
    if (ok && tl_buf_status(&f) == TL_OK)
        ok = add(o, "File", tl_fs_find(s, tl_buf_cstr(&f)) ? cJSON_CreateString(tl_buf_cstr(&f))
                                                          : cJSON_CreateNull());
    else
        ok = 0;
    tl_buf_free(&f);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

tl_status tl_sim_tasks_json(tl_sim *s, char **out)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return TL_E_NOMEM;
    for (size_t i = 0; i < s->ntasks; i++) {
        if (s->tasks[i].deleted)
            continue;
        cJSON *o = task_object(s, &s->tasks[i]);
        if (!o) {
            cJSON_Delete(arr);
            return TL_E_NOMEM;
        }
        cJSON_AddItemToArray(arr, o);
    }
    char *txt = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!txt)
        return TL_E_NOMEM;
    *out = tl_strdup(txt);
    cJSON_free(txt);
    return *out ? TL_OK : TL_E_NOMEM;
}
