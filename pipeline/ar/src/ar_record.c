/* SPDX-License-Identifier: MIT */
/*
 * Task path resolution and the scheduled-tasks.log record.
 *
 * Path: the alert's data.win.eventdata.targetObject arrives with every
 * backslash doubled (wazuh.md §3 step 2). We undo the doubling, require the
 * TaskCache\Tree prefix, and for value events (Event 13 SetValue, Event 12
 * DeleteValue) drop the value name — the seed's regex answers "Index" for
 * `Tree\X\Index`; we answer "\X". Components are validated (no empty, ".",
 * "..", control characters or characters Windows forbids in names), so the
 * path cannot climb out of C:\Windows\System32\Tasks.
 *
 * Record: one JSON line in the seed's shape (windows.md §9), built by hand in
 * a fixed key order:
 *   {"ScheduledTaskAR": <action object | [objects] | null>, "TaskName": "<leaf>",
 *    "TaskPath": "\\F\\N", "Source": "task-file", "File": "C:\\…", "Hidden": b,
 *    "Enabled": b, "Author": s|null, "Actions": [...], "Triggers": [...],
 *    "Principal": {...}|null, "RegistryEvent": {...}, "SD": "deleted|set|unknown"}
 * The outer separators are `": "` and `", "` as the seed script's string
 * concatenation writes them; the action object is compact like
 * ConvertTo-Json -Compress. Strings are escaped as cJSON prints them
 * (tl_buf_json_str), after each invalid UTF-8 sequence (a registry path or
 * task file can hold any bytes) is replaced with U+FFFD, so a strict JSON
 * reader accepts the line ([A]: what Windows' UTF-16 to UTF-8 conversion gives
 * for a lone surrogate). Values are trimmed of XML whitespace; an empty value is
 * null (Task Scheduler does not keep empty strings). Everything after TaskName
 * is a tasklab extension: the seed's rules 115008/115009 only read
 * ScheduledTaskAR.*, TaskName.
 */
#include "tasklab/ar.h"

#include "ar_fs_int.h"
#include "task_xml_int.h"

#include <string.h>

#define TREE_PREFIX "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\"
#define TREE_PREFIX2                                                                               \
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\"
#define TASKS_DIR "C:\\Windows\\System32\\Tasks"

/* s[0..n) as a JSON string, invalid UTF-8 replaced with U+FFFD. */
static void json_strn(tl_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned long cp;
        size_t k = tl_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xfffd && !(k == 3 && memcmp(s + i, "\xef\xbf\xbd", 3) == 0))
            break;
        i += k;
    }
    if (i == n) {
        tl_buf_json_strn(b, s, n);
        return;
    }
    tl_buf t = TL_BUF_INIT;
    for (i = 0; i < n;) {
        unsigned long cp;
        size_t k = tl_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xfffd)
            tl_buf_puts(&t, "\xef\xbf\xbd");
        else
            tl_buf_append(&t, s + i, k);
        i += k;
    }
    if (tl_buf_status(&t) == TL_OK)
        tl_buf_json_strn(b, tl_buf_cstr(&t), t.len);
    else
        b->oom = 1;
    tl_buf_free(&t);
}

static void json_str(tl_buf *b, const char *s) { json_strn(b, s, strlen(s)); }

int tl_ar_int_is_value_event(const char *leaf, const char *event_id, const char *event_type)
{
    if (event_type && *event_type)
        return strcmp(event_type, "SetValue") == 0 || strcmp(event_type, "DeleteValue") == 0;
    if (event_id && strcmp(event_id, "13") == 0)
        return 1;
    return tl_strcasecmp(leaf, "Id") == 0 || tl_strcasecmp(leaf, "Index") == 0 ||
           tl_strcasecmp(leaf, "SD") == 0;
}

static int bad_component(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 1;
    if (n > 255)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || strchr("/:*?\"<>|", c))
            return 1;
    }
    return 0;
}

tl_status tl_ar_task_path(const char *target_object, const char *event_id,
                          const char *event_type, char **path, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_buf u = TL_BUF_INIT, out = TL_BUF_INIT;
    if (!target_object || !*target_object) {
        tl_diag_set(d, "", 0, "targetObject is empty");
        return TL_E_INVAL;
    }
    /* Undo Wazuh's doubling: every "\\\\" pair is one backslash. */
    for (const char *p = target_object; *p; p++) {
        tl_buf_putc(&u, *p);
        if (p[0] == '\\' && p[1] == '\\')
            p++;
    }
    TL_TRY(tl_buf_status(&u));
    const char *t = tl_buf_cstr(&u);
    size_t pl;
    if (tl_strncasecmp(t, TREE_PREFIX, strlen(TREE_PREFIX)) == 0)
        pl = strlen(TREE_PREFIX);
    else if (tl_strncasecmp(t, TREE_PREFIX2, strlen(TREE_PREFIX2)) == 0)
        pl = strlen(TREE_PREFIX2);
    else {
        tl_diag_set(d, "", 0, "targetObject is not under TaskCache\\Tree: %.200s", t);
        TL_FAIL(TL_E_INVAL);
    }
    const char *rest = t + pl;
    size_t rl = strlen(rest);
    /* Decide whether the last component is a value name. */
    const char *last = strrchr(rest, '\\');
    const char *leaf = last ? last + 1 : rest;
    if (tl_ar_int_is_value_event(leaf, event_id, event_type)) {
        if (!last) {
            tl_diag_set(d, "", 0, "value event on the Tree key itself: %.200s", t);
            TL_FAIL(TL_E_INVAL);
        }
        rl = (size_t)(last - rest);
    }
    if (rl == 0) {
        tl_diag_set(d, "", 0, "targetObject names no task: %.200s", t);
        TL_FAIL(TL_E_INVAL);
    }
    if (rl > 1024) {
        tl_diag_set(d, "", 0, "task path longer than 1024 bytes");
        TL_FAIL(TL_E_LIMIT);
    }
    size_t i = 0;
    while (i <= rl) {
        size_t j = i;
        while (j < rl && rest[j] != '\\')
            j++;
        if (bad_component(rest + i, j - i)) {
            tl_diag_set(d, "", 0, "invalid task path component in targetObject: %.200s", t);
            TL_FAIL(TL_E_INVAL);
        }
        tl_buf_putc(&out, '\\');
        tl_buf_append(&out, rest + i, j - i);
        i = j + 1;
    }
    TL_TRY(tl_buf_status(&out));
    *path = tl_buf_take(&out);
cleanup:
    tl_buf_free(&u);
    tl_buf_free(&out);
    return st;
}

char *tl_ar_host_path(const char *drive_c, const char *winpath)
{
    if (!drive_c)
        return tl_strdup(winpath);
    const char *p = winpath;
    if ((p[0] == 'C' || p[0] == 'c') && p[1] == ':')
        p += 2;
    return tl_arfs_join(drive_c, p);
}

/* ---- JSON helpers ---------------------------------------------------------- */

static int is_xws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Trimmed copy of s into b as a JSON string, or null when NULL/empty. */
static void put_val(tl_buf *b, const char *s)
{
    if (!s) {
        tl_buf_puts(b, "null");
        return;
    }
    size_t n = strlen(s);
    while (n && is_xws(s[n - 1]))
        n--;
    while (n && is_xws(*s)) {
        s++;
        n--;
    }
    if (n == 0)
        tl_buf_puts(b, "null");
    else
        json_strn(b, s, n);
}

static int val_null(const char *s)
{
    if (!s)
        return 1;
    while (*s && is_xws(*s))
        s++;
    return *s == '\0';
}

static int val_true(const char *s, int dflt)
{
    if (val_null(s))
        return dflt;
    while (is_xws(*s))
        s++;
    return strncmp(s, "true", 4) == 0 || s[0] == '1';
}

static void put_sysprops(tl_buf *b, const char *server, const char *cls)
{
    tl_buf_puts(b, "{\"Namespace\":\"Root/Microsoft/Windows/TaskScheduler\",\"ServerName\":");
    if (server)
        json_str(b, server);
    else
        tl_buf_puts(b, "null");
    tl_buf_puts(b, ",\"ClassName\":");
    json_str(b, cls);
    tl_buf_puts(b, ",\"Path\":null}");
}

/* One MSFT_Task*Action object exactly as windows.md §9 (compressed). */
static void put_cim_action(tl_buf *b, const char *cls, const char *const *props,
                           const char *const *vals, size_t n, const char *server)
{
    tl_buf_puts(b, "{\"CimClass\":{\"CimSuperClassName\":\"MSFT_TaskAction\",\"CimSuperClass\":{"
                   "\"CimSuperClassName\":null,\"CimSuperClass\":null,\"CimClassProperties\":\"Id\","
                   "\"CimClassQualifiers\":\"\",\"CimClassMethods\":\"\",\"CimSystemProperties\":"
                   "\"Microsoft.Management.Infrastructure.CimSystemProperties\"},"
                   "\"CimClassProperties\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tl_buf_putc(b, ',');
        json_str(b, props[i]);
    }
    tl_buf_puts(b, "],\"CimClassQualifiers\":[],\"CimClassMethods\":[],\"CimSystemProperties\":");
    put_sysprops(b, server, cls);
    tl_buf_puts(b, "},\"CimInstanceProperties\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tl_buf_putc(b, ',');
        tl_buf_puts(b, "{\"Name\":");
        json_str(b, props[i]);
        tl_buf_puts(b, ",\"Value\":");
        put_val(b, vals[i]);
        tl_buf_puts(b, ",\"CimType\":14,\"Flags\":");
        tl_buf_puts(b, val_null(vals[i]) ? "\"Property, NotModified, NullValue\""
                                         : "\"Property, NotModified\"");
        tl_buf_puts(b, ",\"IsValueModified\":false}");
    }
    tl_buf_puts(b, "],\"CimSystemProperties\":");
    put_sysprops(b, server, cls);
    for (size_t i = 0; i < n; i++) {
        tl_buf_putc(b, ',');
        json_str(b, props[i]);
        tl_buf_putc(b, ':');
        put_val(b, vals[i]);
    }
    tl_buf_puts(b, ",\"PSComputerName\":null}");
}

static int is_cim_action(const tl_xnode *a)
{
    return strcmp(a->name, "Exec") == 0 || strcmp(a->name, "ComHandler") == 0;
}

static void put_one_action(tl_buf *b, const tl_xnode *a, const char *server)
{
    if (strcmp(a->name, "Exec") == 0) {
        static const char *const props[] = {"Id", "Arguments", "Execute", "WorkingDirectory"};
        const char *vals[] = {tl_arxml_attr(a, "id"), tl_arxml_child_text(a, "Arguments"),
                              tl_arxml_child_text(a, "Command"),
                              tl_arxml_child_text(a, "WorkingDirectory")};
        put_cim_action(b, "MSFT_TaskExecAction", props, vals, 4, server);
    } else {
        static const char *const props[] = {"Id", "ClassId", "Data"};
        const char *vals[] = {tl_arxml_attr(a, "id"), tl_arxml_child_text(a, "ClassId"),
                              tl_arxml_child_text(a, "Data")};
        put_cim_action(b, "MSFT_TaskComHandlerAction", props, vals, 3, server);
    }
}

/* Generic dump of an element's children: leaves as strings, others as objects. */
static void put_children(tl_buf *b, const tl_xnode *n, int first, int depth)
{
    for (const tl_xnode *k = n->kids; k; k = k->next) {
        if (!first)
            tl_buf_putc(b, ',');
        first = 0;
        json_str(b, k->name);
        tl_buf_putc(b, ':');
        if (k->kids && depth < 8) {
            tl_buf_putc(b, '{');
            put_children(b, k, 1, depth + 1);
            tl_buf_putc(b, '}');
        } else if (k->kids) {
            tl_buf_puts(b, "null");
        } else {
            if (val_null(k->text))
                tl_buf_puts(b, "\"\"");
            else
                put_val(b, k->text);
        }
    }
}

static void put_key(tl_buf *b, const char *key)
{
    tl_buf_puts(b, ", ");
    json_str(b, key);
    tl_buf_puts(b, ": ");
}

static const char *leaf_of(const char *task_path)
{
    const char *s = strrchr(task_path, '\\');
    return s ? s + 1 : task_path;
}

static void put_head(tl_buf *b, const tl_ar_task_ref *ref)
{
    tl_buf_puts(b, ", \"TaskName\": ");
    json_str(b, leaf_of(ref->task_path));
    put_key(b, "TaskPath");
    json_str(b, ref->task_path);
    put_key(b, "Source");
    tl_buf_puts(b, "\"task-file\"");
    put_key(b, "File");
    tl_buf f = TL_BUF_INIT;
    tl_buf_puts(&f, TASKS_DIR);
    tl_buf_puts(&f, ref->task_path);
    if (tl_buf_status(&f) == TL_OK)
        json_str(b, tl_buf_cstr(&f));
    else
        b->oom = 1;
    tl_buf_free(&f);
}

static void put_registry(tl_buf *b, const tl_ar_task_ref *ref)
{
    put_key(b, "RegistryEvent");
    tl_buf_puts(b, "{\"EventType\":");
    put_val(b, ref->event_type);
    tl_buf_puts(b, ",\"Value\":");
    put_val(b, ref->value_name);
    tl_buf_putc(b, '}');
    put_key(b, "SD");
    const char *sd = "\"unknown\"";
    if (ref->value_name && tl_strcasecmp(ref->value_name, "SD") == 0 && ref->event_type) {
        if (strcmp(ref->event_type, "DeleteValue") == 0)
            sd = "\"deleted\"";
        else if (strcmp(ref->event_type, "SetValue") == 0)
            sd = "\"set\"";
    }
    tl_buf_puts(b, sd);
}

tl_status tl_ar_render_task(const char *data, size_t len, const tl_ar_task_ref *ref,
                            char **line, tl_diag *d)
{
    tl_status st = TL_OK;
    tl_xnode *root = NULL;
    tl_buf b = TL_BUF_INIT;
    if (len > TL_AR_MAX_TASK_FILE) {
        tl_diag_set(d, "", 0, "task file larger than %zu bytes", TL_AR_MAX_TASK_FILE);
        return TL_E_LIMIT;
    }
    TL_TRY(tl_arxml_parse(data, len, &root, d));
    if (strcmp(root->name, "Task") != 0) {
        tl_diag_set(d, "", 0, "task XML: root element is <%.64s>, not <Task>", root->name);
        TL_FAIL(TL_E_PARSE);
    }
    const tl_xnode *actions = tl_arxml_child(root, "Actions");
    const tl_xnode *settings = tl_arxml_child(root, "Settings");
    const tl_xnode *reg = tl_arxml_child(root, "RegistrationInfo");
    const tl_xnode *trig = tl_arxml_child(root, "Triggers");
    const tl_xnode *prins = tl_arxml_child(root, "Principals");
    size_t ncim = 0;
    for (const tl_xnode *a = actions ? actions->kids : NULL; a; a = a->next)
        ncim += is_cim_action(a);

    tl_buf_puts(&b, "{\"ScheduledTaskAR\": ");
    if (ncim == 0)
        tl_buf_puts(&b, "null");
    if (ncim > 1)
        tl_buf_putc(&b, '[');
    size_t k = 0;
    for (const tl_xnode *a = actions ? actions->kids : NULL; a; a = a->next) {
        if (!is_cim_action(a))
            continue;
        if (k++)
            tl_buf_putc(&b, ',');
        put_one_action(&b, a, ref->server_name);
    }
    if (ncim > 1)
        tl_buf_putc(&b, ']');
    put_head(&b, ref);
    put_key(&b, "Hidden");
    tl_buf_puts(&b, val_true(tl_arxml_child_text(settings, "Hidden"), 0) ? "true" : "false");
    put_key(&b, "Enabled");
    tl_buf_puts(&b, val_true(tl_arxml_child_text(settings, "Enabled"), 1) ? "true" : "false");
    put_key(&b, "Author");
    put_val(&b, tl_arxml_child_text(reg, "Author"));
    put_key(&b, "Actions");
    tl_buf_putc(&b, '[');
    k = 0;
    for (const tl_xnode *a = actions ? actions->kids : NULL; a; a = a->next) {
        if (k++)
            tl_buf_putc(&b, ',');
        tl_buf_puts(&b, "{\"Type\":");
        json_str(&b, a->name);
        tl_buf_puts(&b, ",\"Id\":");
        put_val(&b, tl_arxml_attr(a, "id"));
        if (strcmp(a->name, "Exec") == 0) {
            tl_buf_puts(&b, ",\"Execute\":");
            put_val(&b, tl_arxml_child_text(a, "Command"));
            tl_buf_puts(&b, ",\"Arguments\":");
            put_val(&b, tl_arxml_child_text(a, "Arguments"));
            tl_buf_puts(&b, ",\"WorkingDirectory\":");
            put_val(&b, tl_arxml_child_text(a, "WorkingDirectory"));
        } else if (strcmp(a->name, "ComHandler") == 0) {
            tl_buf_puts(&b, ",\"ClassId\":");
            put_val(&b, tl_arxml_child_text(a, "ClassId"));
            tl_buf_puts(&b, ",\"Data\":");
            put_val(&b, tl_arxml_child_text(a, "Data"));
        } else {
            put_children(&b, a, 0, 1);
        }
        tl_buf_putc(&b, '}');
    }
    tl_buf_putc(&b, ']');
    put_key(&b, "Triggers");
    tl_buf_putc(&b, '[');
    k = 0;
    for (const tl_xnode *t = trig ? trig->kids : NULL; t; t = t->next) {
        if (k++)
            tl_buf_putc(&b, ',');
        tl_buf_puts(&b, "{\"Type\":");
        json_str(&b, t->name);
        if (tl_arxml_attr(t, "id")) {
            tl_buf_puts(&b, ",\"Id\":");
            put_val(&b, tl_arxml_attr(t, "id"));
        }
        put_children(&b, t, 0, 1);
        tl_buf_putc(&b, '}');
    }
    tl_buf_putc(&b, ']');
    put_key(&b, "Principal");
    {
        const char *ctx = actions ? tl_arxml_attr(actions, "Context") : NULL;
        const tl_xnode *pr = NULL;
        for (const tl_xnode *p = prins ? prins->kids : NULL; p; p = p->next) {
            if (strcmp(p->name, "Principal") != 0)
                continue;
            if (!pr)
                pr = p;
            if (ctx && tl_arxml_attr(p, "id") && strcmp(tl_arxml_attr(p, "id"), ctx) == 0) {
                pr = p;
                break;
            }
        }
        if (!pr) {
            tl_buf_puts(&b, "null");
        } else {
            tl_buf_puts(&b, "{\"Id\":");
            put_val(&b, tl_arxml_attr(pr, "id"));
            put_children(&b, pr, 0, 1);
            tl_buf_putc(&b, '}');
        }
    }
    put_registry(&b, ref);
    tl_buf_putc(&b, '}');
    TL_TRY(tl_buf_status(&b));
    *line = tl_buf_take(&b);
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, "", 0, "out of memory");
    tl_arxml_free(root);
    tl_buf_free(&b);
    return st;
}

char *tl_ar_error_record(const tl_ar_task_ref *ref, const char *why)
{
    tl_buf b = TL_BUF_INIT;
    tl_buf_puts(&b, "{\"ScheduledTaskAR\": null");
    put_head(&b, ref);
    put_registry(&b, ref);
    put_key(&b, "Error");
    json_str(&b, why);
    tl_buf_putc(&b, '}');
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return NULL;
    }
    return tl_buf_take(&b);
}
