/* SPDX-License-Identifier: MIT */
/*
 * Task XML (MS-TSCH §2.5, windows.md §4.1). Every task definition, whether
 * built from schtasks switches, read from an /xml file or given to
 * Register-ScheduledTask, goes through tl_taskxml_normalize(): parse (libxml2,
 * no network, blanks dropped), check it is a Task in the task namespace with
 * at least one action, set RegistrationInfo/URI to the registered path, and
 * serialise with two-space indentation under an
 * `<?xml version="1.0" encoding="UTF-16"?>` declaration. The file on disk is
 * that text as UTF-16LE with BOM and CRLF line ends (tl_taskxml_file_bytes).
 *
 * The input text is UTF-8 whatever its declaration says (files are decoded
 * by the caller from their BOM); Atomic #8's UTF-8-with-BOM file declaring
 * UTF-16 therefore loads, as it does on Windows.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <stdio.h>
#include <string.h>

#include "service.h"
#include "sim_int.h"

#define TASK_NS "http://schemas.microsoft.com/windows/2004/02/mit/task"

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

/* The text of an element (owned), NULL when there is no element. Running out of
 * memory sets *oom, so an absent element and a failed copy stay apart. */
static char *text_of(xmlNodePtr n, int *oom)
{
    if (!n)
        return NULL;
    xmlChar *c = xmlNodeGetContent(n);
    char *r = tl_strdup(c ? (const char *)c : "");
    xmlFree(c);
    if (!r)
        *oom = 1;
    return r;
}

static int bool_of(xmlNodePtr n, int dflt)
{
    if (!n)
        return dflt;
    xmlChar *c = xmlNodeGetContent(n);
    int r = c && (strcmp((const char *)c, "true") == 0 || strcmp((const char *)c, "1") == 0);
    xmlFree(c);
    return r;
}

/* Remove leading/trailing whitespace around the document (libxml2 wants the
 * declaration first) and drop the declaration, whose encoding would lie. */
static const char *skip_decl(const char *x, size_t *len)
{
    while (*x == ' ' || *x == '\t' || *x == '\r' || *x == '\n')
        x++;
    if (strncmp(x, "<?xml", 5) == 0) {
        const char *e = strstr(x, "?>");
        if (e)
            x = e + 2;
    }
    *len = strlen(x);
    return x;
}

int tl_taskxml_has_doctype(const char *xml)
{
    const char *x = xml;
    if ((unsigned char)x[0] == 0xef && (unsigned char)x[1] == 0xbb && (unsigned char)x[2] == 0xbf)
        x += 3;
    for (;;) {
        while (*x == ' ' || *x == '\t' || *x == '\r' || *x == '\n')
            x++;
        const char *e;
        if (strncmp(x, "<!--", 4) == 0) {
            if (!(e = strstr(x + 4, "-->")))
                return 0; /* malformed: the parser reports it */
            x = e + 3;
        } else if (strncmp(x, "<?", 2) == 0) {
            if (!(e = strstr(x + 2, "?>")))
                return 0;
            x = e + 2;
        } else {
            return strncmp(x, "<!", 2) == 0;
        }
    }
}

static xmlDocPtr parse(const char *xml, char *msg, size_t msgsz)
{
    size_t len;
    const char *body = skip_decl(xml, &len);
    if (len > 4 * 1024 * 1024) {
        snprintf(msg, msgsz, "task XML too large");
        return NULL;
    }
    xmlDocPtr doc = xmlReadMemory(body, (int)len, "task.xml", "UTF-8",
                                  XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        snprintf(msg, msgsz, "malformed task XML (line %d): %s", e ? e->line : 0,
                 e && e->message ? e->message : "parse error");
        /* drop the trailing newline libxml2 puts in messages */
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
            msg[--n] = 0;
    }
    return doc;
}

static tl_status dump(xmlDocPtr doc, char **out)
{
    xmlBufferPtr b = xmlBufferCreate();
    if (!b)
        return TL_E_NOMEM;
    xmlNodeDump(b, doc, xmlDocGetRootElement(doc), 0, 1);
    tl_buf o = TL_BUF_INIT;
    tl_buf_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n");
    const char *body = (const char *)xmlBufferContent(b);
    size_t blen = (size_t)xmlBufferLength(b);
    /* libxml2 writes namespace declarations before attributes; Windows writes
     * <Task version="1.2" xmlns="..."> */
    static const char pre[] = "<Task xmlns=\"" TASK_NS "\"";
    if (blen > sizeof pre && strncmp(body, pre, sizeof pre - 1) == 0) {
        const char *gt = strchr(body, '>');
        size_t alen = (size_t)(gt - (body + sizeof pre - 1));
        tl_buf_puts(&o, "<Task");
        tl_buf_append(&o, body + sizeof pre - 1, alen);
        tl_buf_puts(&o, " xmlns=\"" TASK_NS "\">");
        tl_buf_append(&o, gt + 1, blen - (size_t)(gt + 1 - body));
    } else {
        tl_buf_append(&o, body, blen);
    }
    tl_buf_putc(&o, '\n');
    xmlBufferFree(b);
    if (tl_buf_status(&o) != TL_OK) {
        tl_buf_free(&o);
        return TL_E_NOMEM;
    }
    *out = tl_buf_take(&o);
    return TL_OK;
}

static void facts_clear(tl_task *t)
{
    tl_free(t->author);
    tl_free(t->date);
    tl_free(t->description);
    tl_free(t->uri);
    tl_free(t->context);
    tl_free(t->user_id);
    tl_free(t->logon_user_id);
    tl_task_actions_free(t->actions, t->nactions);
    t->author = t->date = t->description = t->uri = t->context = t->user_id = NULL;
    t->logon_user_id = NULL;
    t->logon_trigger = t->highest = 0;
    t->actions = NULL;
    t->nactions = 0;
}

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" */
static int is_guid(const char *g)
{
    static const char pat[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
    if (strlen(g) != sizeof pat - 1)
        return 0;
    for (size_t i = 0; pat[i]; i++) {
        char c = g[i];
        if (pat[i] == 'x') {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return 0;
        } else if (c != pat[i]) {
            return 0;
        }
    }
    return 1;
}

static tl_status extract(xmlNodePtr root, tl_task *t, char *msg, size_t msgsz)
{
    tl_status st = TL_OK;
    int oom = 0;
    facts_clear(t);
    xmlNodePtr ri = child(root, "RegistrationInfo");
    t->author = text_of(child(ri, "Author"), &oom);
    t->date = text_of(child(ri, "Date"), &oom);
    t->description = text_of(child(ri, "Description"), &oom);
    t->uri = text_of(child(ri, "URI"), &oom);
    xmlNodePtr pr = child(child(root, "Principals"), "Principal");
    t->user_id = text_of(child(pr, "UserId"), &oom);
    if (!t->user_id)
        t->user_id = text_of(child(pr, "GroupId"), &oom);
    {
        char *rl = text_of(child(pr, "RunLevel"), &oom);
        t->highest = rl && !strcmp(rl, "HighestAvailable");
        tl_free(rl);
    }
    xmlNodePtr acts = child(root, "Actions");
    xmlChar *ctx = acts ? xmlGetProp(acts, (const xmlChar *)"Context") : NULL;
    t->context = tl_strdup(ctx ? (const char *)ctx : "Author");
    xmlFree(ctx);
    xmlNodePtr set = child(root, "Settings");
    t->enabled = bool_of(child(set, "Enabled"), 1);
    t->hidden = bool_of(child(set, "Hidden"), 0);
    t->trigger_class = 3;
    xmlNodePtr trs = child(root, "Triggers");
    for (xmlNodePtr c = trs ? trs->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, "BootTrigger") == 0)
            t->trigger_class = 1;
        else if (strcmp((const char *)c->name, "LogonTrigger") == 0 && t->trigger_class != 1)
            t->trigger_class = 2;
        if (strcmp((const char *)c->name, "LogonTrigger") == 0 && !t->logon_trigger) {
            t->logon_trigger = 1; /* the first one decides whose logon runs the task */
            t->logon_user_id = text_of(child(c, "UserId"), &oom);
        }
    }
    size_t n = 0;
    for (xmlNodePtr c = acts ? acts->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            n++;
    if (n == 0) {
        snprintf(msg, msgsz,
                 "the task XML is missing a required element: Actions (Exec or "
                 "ComHandler)");
        return TL_E_PARSE;
    }
    if (n > 32) {
        snprintf(msg, msgsz, "the task XML has more than 32 actions");
        return TL_E_PARSE;
    }
    t->actions = tl_calloc(n, sizeof *t->actions);
    if (!t->actions)
        return TL_E_NOMEM;
    for (xmlNodePtr c = acts->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        tl_task_action *a = &t->actions[t->nactions++];
        xmlChar *id = xmlGetProp(c, (const xmlChar *)"id");
        a->id = id ? tl_strdup((const char *)id) : NULL;
        oom |= id && !a->id;
        xmlFree(id);
        if (strcmp((const char *)c->name, "Exec") == 0) {
            a->command = text_of(child(c, "Command"), &oom);
            a->arguments = text_of(child(c, "Arguments"), &oom);
            a->workdir = text_of(child(c, "WorkingDirectory"), &oom);
            if (oom)
                return TL_E_NOMEM;
            if (!a->command) {
                snprintf(msg, msgsz, "the task XML is missing a required element: Exec/Command");
                return TL_E_PARSE;
            }
        } else if (strcmp((const char *)c->name, "ComHandler") == 0) {
            a->com = 1;
            a->command = text_of(child(c, "ClassId"), &oom);
            a->arguments = text_of(child(c, "Data"), &oom);
            if (oom)
                return TL_E_NOMEM;
            if (!a->command) {
                snprintf(msg, msgsz,
                         "the task XML is missing a required element: "
                         "ComHandler/ClassId");
                return TL_E_PARSE;
            }
            if (!is_guid(a->command)) {
                snprintf(msg, msgsz, "ComHandler/ClassId: incorrect format (a {GUID} is needed)");
                return TL_E_PARSE;
            }
        } else if (strcmp((const char *)c->name, "SendEmail") == 0 ||
                   strcmp((const char *)c->name, "ShowMessage") == 0) {
            a->com = 2;
            a->command = tl_strdup("");
            oom |= !a->command;
        } else {
            snprintf(msg, msgsz, "unknown action element <%s>", (const char *)c->name);
            return TL_E_PARSE;
        }
    }
    if (!t->context || oom)
        st = TL_E_NOMEM;
    return st;
}

tl_status tl_taskxml_normalize(const char *xml, const char *uri, char **out, tl_task *t, char *msg,
                               size_t msgsz)
{
    tl_status st;
    xmlDocPtr doc = parse(xml, msg, msgsz);
    if (!doc)
        return TL_E_PARSE;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, "Task") != 0 || !root->ns ||
        strcmp((const char *)root->ns->href, TASK_NS) != 0) {
        snprintf(msg, msgsz,
                 "not a task definition: the root element must be <Task> in "
                 "namespace " TASK_NS);
        TL_FAIL(TL_E_PARSE);
    }
    xmlNodePtr ri = child(root, "RegistrationInfo");
    if (ri && uri) {
        xmlNodePtr u = child(ri, "URI");
        if (u)
            xmlNodeSetContent(u, NULL);
        else
            u = xmlNewChild(ri, ri->ns, (const xmlChar *)"URI", NULL);
        if (!u)
            TL_FAIL(TL_E_NOMEM);
        xmlChar *esc = xmlEncodeSpecialChars(doc, (const xmlChar *)uri);
        xmlNodeSetContent(u, esc);
        xmlFree(esc);
    }
    if (t)
        TL_TRY(extract(root, t, msg, msgsz));
    TL_TRY(dump(doc, out));
cleanup:
    xmlFreeDoc(doc);
    return st;
}

tl_status tl_taskxml_edit(const char *xml, const tl_task_action *na, int enabled, char **out)
{
    tl_status st;
    char msg[256];
    xmlDocPtr doc = parse(xml, msg, sizeof msg);
    if (!doc)
        return TL_E_PARSE;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNsPtr ns = root->ns;
    if (na) {
        xmlNodePtr acts = child(root, "Actions");
        if (!acts)
            acts = xmlNewChild(root, ns, (const xmlChar *)"Actions", NULL);
        if (!acts)
            TL_FAIL(TL_E_NOMEM);
        xmlNodePtr c = acts->children;
        while (c) {
            xmlNodePtr nx = c->next;
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            c = nx;
        }
        xmlNodePtr ex = xmlNewChild(acts, ns, (const xmlChar *)"Exec", NULL);
        if (!ex)
            TL_FAIL(TL_E_NOMEM);
        /* xmlNewTextChild escapes the content */
        xmlNewTextChild(ex, ns, (const xmlChar *)"Command", (const xmlChar *)na->command);
        if (na->arguments && na->arguments[0])
            xmlNewTextChild(ex, ns, (const xmlChar *)"Arguments", (const xmlChar *)na->arguments);
        if (na->workdir && na->workdir[0])
            xmlNewTextChild(ex, ns, (const xmlChar *)"WorkingDirectory",
                            (const xmlChar *)na->workdir);
    }
    if (enabled >= 0) {
        xmlNodePtr set = child(root, "Settings");
        if (!set)
            set = xmlNewChild(root, ns, (const xmlChar *)"Settings", NULL);
        xmlNodePtr en = set ? child(set, "Enabled") : NULL;
        if (set && !en)
            en = xmlNewChild(set, ns, (const xmlChar *)"Enabled", NULL);
        if (!en)
            TL_FAIL(TL_E_NOMEM);
        xmlNodeSetContent(en, (const xmlChar *)(enabled ? "true" : "false"));
    }
    TL_TRY(dump(doc, out));
cleanup:
    xmlFreeDoc(doc);
    return st;
}

tl_status tl_taskxml_file_bytes(const char *xml, unsigned char **out, size_t *len)
{
    tl_buf b = TL_BUF_INIT;
    for (const char *p = xml; *p; p++) {
        if (*p == '\n' && (p == xml || p[-1] != '\r'))
            tl_buf_putc(&b, '\r');
        tl_buf_putc(&b, *p);
    }
    if (tl_buf_status(&b) != TL_OK) {
        tl_buf_free(&b);
        return TL_E_NOMEM;
    }
    unsigned char *u = NULL;
    size_t ul = 0;
    tl_status st = tl_utf8_to_utf16le(b.data ? b.data : "", b.len, &u, &ul);
    tl_buf_free(&b);
    if (st != TL_OK)
        return st;
    unsigned char *o = tl_malloc(ul + 2);
    if (!o) {
        tl_free(u);
        return TL_E_NOMEM;
    }
    o[0] = 0xff;
    o[1] = 0xfe;
    memcpy(o + 2, u, ul);
    tl_free(u);
    *out = o;
    *len = ul + 2;
    return TL_OK;
}
