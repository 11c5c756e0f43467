/* SPDX-License-Identifier: MIT */
/*
 * Sysmon configuration loader (schema 4.x) and the static Sysmon schema.
 *
 * Reads a real Sysmon configuration with libxml2 and compiles it into the
 * rule sets described in sysmon_int.h, following SysmonCommon's xml.cpp as
 * summarised in facts/windows.md §2:
 *
 *   <Sysmon schemaversion="4.90">
 *     <HashAlgorithms>*</HashAlgorithms>          option elements are accepted
 *     <EventFiltering>
 *       <RuleGroup name="" groupRelation="or">     one set per (group, element, onmatch)
 *         <RegistryEvent onmatch="include">        RegistryEvent covers ids 12, 13, 14
 *           <TargetObject name="…" condition="begin with">HKLM\…\Tree</TargetObject>
 *           <Rule name="…" groupRelation="and"> …filters… </Rule>
 *
 * Rule text is %-expanded against the simulated endpoint's SYSTEM environment
 * and ASCII lower-cased at load (comparisons are case-insensitive). Anything
 * the schema does not know -- an element, a field for that event type, a
 * condition, an attribute, an onmatch or groupRelation value -- is a TL_E_PARSE
 * error naming the offending text and its line. Documents with a DTD are
 * rejected (no entity expansion, so hostile input cannot blow up).
 *
 * Model choices not in the fact sheet ([A]): manifest defaults of event
 * types the sheet does not list (see tl_sm_kinds); a <Rule> without
 * groupRelation is "and"; names longer than 255 bytes are truncated; list
 * items are split on ';' with empty items skipped; only ASCII letters fold.
 */
#include "tasklab/sysmon.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sysmon_int.h"

/* ---- static schema -------------------------------------------------------- */

const char *const tl_sm_cond_names[TL_SM_NCOND] = {
    "is",           "is not",       "is any",       "contains",   "excludes",       "contains any",
    "contains all", "excludes any", "excludes all", "begin with", "not begin with", "end with",
    "not end with", "less than",    "more than",    "image",
};

/* Event elements. default_log: what Sysmon does for the type when the config
 * has no element for it. ProcessCreate/ProcessTerminate log, FileCreate,
 * RegistryEvent, PipeEvent, WmiEvent, DnsQuery, FileCreateStreamHash drop [V];
 * the rest follow Sysmon's no-config behaviour [A]: FileCreateTime, DriverLoad,
 * CreateRemoteThread, RawAccessRead log; NetworkConnect and ImageLoad (need -n /
 * -l), ProcessAccess and the archive/block types drop. */
const tl_sm_kind tl_sm_kinds[] = {
    {"ProcessCreate", {1}, 1, 1},
    {"FileCreateTime", {2}, 1, 1},
    {"NetworkConnect", {3}, 1, 0},
    {"ProcessTerminate", {5}, 1, 1},
    {"DriverLoad", {6}, 1, 1},
    {"ImageLoad", {7}, 1, 0},
    {"CreateRemoteThread", {8}, 1, 1},
    {"RawAccessRead", {9}, 1, 1},
    {"ProcessAccess", {10}, 1, 0},
    {"FileCreate", {11}, 1, 0},
    {"RegistryEvent", {12, 13, 14}, 3, 0},
    {"FileCreateStreamHash", {15}, 1, 0},
    {"PipeEvent", {17, 18}, 2, 0},
    {"WmiEvent", {19, 20, 21}, 3, 0},
    {"DnsQuery", {22}, 1, 0},
    {"FileDelete", {23}, 1, 0},
    {"ClipboardChange", {24}, 1, 0},
    {"ProcessTampering", {25}, 1, 0},
    {"FileDeleteDetected", {26}, 1, 0},
    {"FileBlockExecutable", {27}, 1, 0},
    {"FileBlockShredding", {28}, 1, 0},
    {"FileExecutableDetected", {29}, 1, 0},
};
const size_t tl_sm_nkinds = sizeof tl_sm_kinds / sizeof tl_sm_kinds[0];

/* Schema 4.90 EventData layouts (windows.md §1.1 for 1, 7, 11-14 [V]; the
 * others from the 4.90 schema dump as remembered [A]). */
static const char *const f1[] = {"RuleName",
                                 "UtcTime",
                                 "ProcessGuid",
                                 "ProcessId",
                                 "Image",
                                 "FileVersion",
                                 "Description",
                                 "Product",
                                 "Company",
                                 "OriginalFileName",
                                 "CommandLine",
                                 "CurrentDirectory",
                                 "User",
                                 "LogonGuid",
                                 "LogonId",
                                 "TerminalSessionId",
                                 "IntegrityLevel",
                                 "Hashes",
                                 "ParentProcessGuid",
                                 "ParentProcessId",
                                 "ParentImage",
                                 "ParentCommandLine",
                                 "ParentUser"};
static const char *const f2[] = {
    "RuleName", "UtcTime",        "ProcessGuid",     "ProcessId",
    "Image",    "TargetFilename", "CreationUtcTime", "PreviousCreationUtcTime",
    "User"};
static const char *const f3[] = {"RuleName",        "UtcTime",
                                 "ProcessGuid",     "ProcessId",
                                 "Image",           "User",
                                 "Protocol",        "Initiated",
                                 "SourceIsIpv6",    "SourceIp",
                                 "SourceHostname",  "SourcePort",
                                 "SourcePortName",  "DestinationIsIpv6",
                                 "DestinationIp",   "DestinationHostname",
                                 "DestinationPort", "DestinationPortName"};
static const char *const f4[] = {"UtcTime", "State", "Version", "SchemaVersion"};
static const char *const f5[] = {"RuleName",  "UtcTime", "ProcessGuid",
                                 "ProcessId", "Image",   "User"};
static const char *const f6[] = {"RuleName", "UtcTime",   "ImageLoaded",    "Hashes",
                                 "Signed",   "Signature", "SignatureStatus"};
static const char *const f7[] = {"RuleName", "UtcTime",     "ProcessGuid",      "ProcessId",
                                 "Image",    "ImageLoaded", "FileVersion",      "Description",
                                 "Product",  "Company",     "OriginalFileName", "Hashes",
                                 "Signed",   "Signature",   "SignatureStatus",  "User"};
static const char *const f8[] = {
    "RuleName",          "UtcTime",         "SourceProcessGuid", "SourceProcessId", "SourceImage",
    "TargetProcessGuid", "TargetProcessId", "TargetImage",       "NewThreadId",     "StartAddress",
    "StartModule",       "StartFunction",   "SourceUser",        "TargetUser"};
static const char *const f9[] = {"RuleName", "UtcTime", "ProcessGuid", "ProcessId",
                                 "Image",    "Device",  "User"};
static const char *const f10[] = {
    "RuleName",    "UtcTime",           "SourceProcessGUID", "SourceProcessId", "SourceThreadId",
    "SourceImage", "TargetProcessGUID", "TargetProcessId",   "TargetImage",     "GrantedAccess",
    "CallTrace",   "SourceUser",        "TargetUser"};
static const char *const f11[] = {"RuleName", "UtcTime",        "ProcessGuid",     "ProcessId",
                                  "Image",    "TargetFilename", "CreationUtcTime", "User"};
static const char *const f12[] = {"RuleName",  "EventType", "UtcTime",      "ProcessGuid",
                                  "ProcessId", "Image",     "TargetObject", "User"};
static const char *const f13[] = {"RuleName", "EventType",    "UtcTime", "ProcessGuid", "ProcessId",
                                  "Image",    "TargetObject", "Details", "User"};
static const char *const f14[] = {"RuleName", "EventType",    "UtcTime", "ProcessGuid", "ProcessId",
                                  "Image",    "TargetObject", "NewName", "User"};
static const char *const f15[] = {
    "RuleName",       "UtcTime",         "ProcessGuid", "ProcessId", "Image",
    "TargetFilename", "CreationUtcTime", "Hash",        "Contents",  "User"};
static const char *const f16[] = {"UtcTime", "Configuration", "ConfigurationFileHash"};
static const char *const f17[] = {"RuleName",  "EventType", "UtcTime", "ProcessGuid",
                                  "ProcessId", "PipeName",  "Image",   "User"};
static const char *const f19[] = {"RuleName", "EventType",      "UtcTime", "Operation",
                                  "User",     "EventNamespace", "Name",    "Query"};
static const char *const f20[] = {"RuleName", "EventType", "UtcTime", "Operation",
                                  "User",     "Name",      "Type",    "Destination"};
static const char *const f21[] = {"RuleName", "EventType", "UtcTime", "Operation",
                                  "User",     "Consumer",  "Filter"};
static const char *const f22[] = {"RuleName",     "UtcTime",   "ProcessGuid",
                                  "ProcessId",    "QueryName", "QueryStatus",
                                  "QueryResults", "Image",     "User"};
static const char *const f23[] = {"RuleName",     "UtcTime", "ProcessGuid",    "ProcessId",
                                  "User",         "Image",   "TargetFilename", "Hashes",
                                  "IsExecutable", "Archived"};
static const char *const f24[] = {"RuleName", "UtcTime",    "ProcessGuid", "ProcessId", "Image",
                                  "Session",  "ClientInfo", "Hashes",      "Archived",  "User"};
static const char *const f25[] = {"RuleName", "UtcTime", "ProcessGuid", "ProcessId",
                                  "Image",    "Type",    "User"};
static const char *const f26[] = {"RuleName",       "UtcTime", "ProcessGuid",
                                  "ProcessId",      "User",    "Image",
                                  "TargetFilename", "Hashes",  "IsExecutable"};
static const char *const f27[] = {"RuleName", "UtcTime", "ProcessGuid",    "ProcessId",
                                  "User",     "Image",   "TargetFilename", "Hashes"};

#define NF(a) (sizeof(a) / sizeof((a)[0]))
/* kind indexes into tl_sm_kinds (order above) */
static const tl_sm_evtype evtypes[] = {
    {1, 5, "Process Create:", f1, NF(f1), 0},
    {2, 5, "File creation time changed:", f2, NF(f2), 1},
    {3, 5, "Network connection detected:", f3, NF(f3), 2},
    {4, 3, "Sysmon service state changed:", f4, NF(f4), -1},
    {5, 3, "Process terminated:", f5, NF(f5), 3},
    {6, 4, "Driver loaded:", f6, NF(f6), 4},
    {7, 3, "Image loaded:", f7, NF(f7), 5},
    {8, 2, "CreateRemoteThread detected:", f8, NF(f8), 6},
    {9, 2, "RawAccessRead detected:", f9, NF(f9), 7},
    {10, 3, "Process accessed:", f10, NF(f10), 8},
    {11, 2, "File created:", f11, NF(f11), 9},
    {12, 2, "Registry object added or deleted:", f12, NF(f12), 10},
    {13, 2, "Registry value set:", f13, NF(f13), 10},
    {14, 2, "Registry object renamed:", f14, NF(f14), 10},
    {15, 2, "File stream created:", f15, NF(f15), 11},
    {16, 3, "Sysmon config state changed:", f16, NF(f16), -1},
    {17, 1, "Pipe Created:", f17, NF(f17), 12},
    {18, 1, "Pipe Connected:", f17, NF(f17), 12},
    {19, 3, "WmiEventFilter activity detected:", f19, NF(f19), 13},
    {20, 3, "WmiEventConsumer activity detected:", f20, NF(f20), 13},
    {21, 3, "WmiEventConsumerToFilter activity detected:", f21, NF(f21), 13},
    {22, 5, "Dns query:", f22, NF(f22), 14},
    {23, 5, "File Delete archived:", f23, NF(f23), 15},
    {24, 5, "Clipboard changed:", f24, NF(f24), 16},
    {25, 5, "Process Tampering:", f25, NF(f25), 17},
    {26, 5, "File Delete logged:", f26, NF(f26), 18},
    {27, 5, "File Block Executable:", f27, NF(f27), 19},
    {28, 5, "File Block Shredding:", f26, NF(f26), 20},
    {29, 5, "File Executable Detected:", f27, NF(f27), 21},
};

const tl_sm_evtype *tl_sm_evtype_get(int id)
{
    if (id < 1 || id > 29)
        return NULL;
    return &evtypes[id - 1];
}

const char *const *tl_sysmon_event_fields(int id, size_t *n)
{
    const tl_sm_evtype *t = tl_sm_evtype_get(id);
    if (n)
        *n = t ? t->nfields : 0;
    return t ? t->fields : NULL;
}

const char *tl_sysmon_event_title(int id)
{
    const tl_sm_evtype *t = tl_sm_evtype_get(id);
    return t ? t->title : NULL;
}

/* Global field ids: every distinct EventData name of the layouts above (exact
 * spelling: ProcessAccess's SourceProcessGUID is its own id). */
static const char *const field_names[] = {"RuleName",
                                          "UtcTime",
                                          "ProcessGuid",
                                          "ProcessId",
                                          "Image",
                                          "FileVersion",
                                          "Description",
                                          "Product",
                                          "Company",
                                          "OriginalFileName",
                                          "CommandLine",
                                          "CurrentDirectory",
                                          "User",
                                          "LogonGuid",
                                          "LogonId",
                                          "TerminalSessionId",
                                          "IntegrityLevel",
                                          "Hashes",
                                          "ParentProcessGuid",
                                          "ParentProcessId",
                                          "ParentImage",
                                          "ParentCommandLine",
                                          "ParentUser",
                                          "TargetFilename",
                                          "CreationUtcTime",
                                          "PreviousCreationUtcTime",
                                          "Protocol",
                                          "Initiated",
                                          "SourceIsIpv6",
                                          "SourceIp",
                                          "SourceHostname",
                                          "SourcePort",
                                          "SourcePortName",
                                          "DestinationIsIpv6",
                                          "DestinationIp",
                                          "DestinationHostname",
                                          "DestinationPort",
                                          "DestinationPortName",
                                          "State",
                                          "Version",
                                          "SchemaVersion",
                                          "ImageLoaded",
                                          "Signed",
                                          "Signature",
                                          "SignatureStatus",
                                          "SourceProcessGuid",
                                          "SourceProcessId",
                                          "SourceImage",
                                          "TargetProcessGuid",
                                          "TargetProcessId",
                                          "TargetImage",
                                          "NewThreadId",
                                          "StartAddress",
                                          "StartModule",
                                          "StartFunction",
                                          "SourceUser",
                                          "TargetUser",
                                          "Device",
                                          "SourceProcessGUID",
                                          "SourceThreadId",
                                          "TargetProcessGUID",
                                          "GrantedAccess",
                                          "CallTrace",
                                          "EventType",
                                          "TargetObject",
                                          "Details",
                                          "NewName",
                                          "Hash",
                                          "Contents",
                                          "Configuration",
                                          "ConfigurationFileHash",
                                          "PipeName",
                                          "Operation",
                                          "EventNamespace",
                                          "Name",
                                          "Query",
                                          "Type",
                                          "Destination",
                                          "Consumer",
                                          "Filter",
                                          "QueryName",
                                          "QueryStatus",
                                          "QueryResults",
                                          "IsExecutable",
                                          "Archived",
                                          "Session",
                                          "ClientInfo"};

_Static_assert(NF(field_names) <= TL_SM_MAX_FIELDS, "raise TL_SM_MAX_FIELDS");

int tl_sm_field_id(const char *name)
{
    for (size_t i = 0; i < NF(field_names); i++) {
        if (strcmp(field_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

const char *tl_sm_field_name(int field)
{
    return field >= 0 && (size_t)field < NF(field_names) ? field_names[field] : "?";
}

/* ---- arena -------------------------------------------------------------- */

static void *arena_alloc(tl_sysmon_config *c, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    tl_sm_chunk *k = c->arena;
    if (!k || k->cap - k->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        tl_sm_chunk *nk = tl_malloc(sizeof *nk + cap);
        if (!nk)
            return NULL;
        nk->used = 0;
        nk->cap = cap;
        if (k && n > 4096) {
            /* big block: keep filling the current chunk afterwards */
            nk->next = k->next;
            k->next = nk;
        } else {
            nk->next = k;
            c->arena = nk;
        }
        k = nk;
    }
    void *p = (char *)(k + 1) + k->used;
    k->used += n;
    return p;
}

static char *arena_strndup(tl_sysmon_config *c, const char *s, size_t n)
{
    char *p = arena_alloc(c, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- helpers ------------------------------------------------------------ */

static inline char lc(char ch) { return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch; }

/* The SYSTEM environment Sysmon expands rule text with on the simulated
 * endpoint (a default Windows 10/11 x64 install). */
static const struct {
    const char *name, *value;
} sm_env[] = {
    {"ALLUSERSPROFILE", "C:\\ProgramData"},
    {"APPDATA", "C:\\Windows\\system32\\config\\systemprofile\\AppData\\Roaming"},
    {"CommonProgramFiles", "C:\\Program Files\\Common Files"},
    {"CommonProgramFiles(x86)", "C:\\Program Files (x86)\\Common Files"},
    {"CommonProgramW6432", "C:\\Program Files\\Common Files"},
    {"ComSpec", "C:\\Windows\\system32\\cmd.exe"},
    {"LOCALAPPDATA", "C:\\Windows\\system32\\config\\systemprofile\\AppData\\Local"},
    {"ProgramData", "C:\\ProgramData"},
    {"ProgramFiles", "C:\\Program Files"},
    {"ProgramFiles(x86)", "C:\\Program Files (x86)"},
    {"ProgramW6432", "C:\\Program Files"},
    {"PUBLIC", "C:\\Users\\Public"},
    {"SystemDrive", "C:"},
    {"SystemRoot", "C:\\Windows"},
    {"TEMP", "C:\\Windows\\TEMP"},
    {"TMP", "C:\\Windows\\TEMP"},
    {"USERPROFILE", "C:\\Windows\\system32\\config\\systemprofile"},
    {"windir", "C:\\Windows"},
};

static const char *env_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof sm_env / sizeof sm_env[0]; i++) {
        if (strlen(sm_env[i].name) == n && tl_strncasecmp(sm_env[i].name, name, n) == 0)
            return sm_env[i].value;
    }
    return NULL;
}

/* ExpandEnvironmentStrings: %NAME% of a known variable is replaced; an
 * unknown or unterminated reference keeps its '%' and scanning resumes just
 * after it (so "%%SystemRoot%%" -> "%C:\Windows%"). */
static void env_expand(tl_buf *out, const char *s)
{
    while (*s) {
        if (*s == '%') {
            const char *end = strchr(s + 1, '%');
            if (end) {
                const char *v = env_lookup(s + 1, (size_t)(end - s - 1));
                if (v) {
                    tl_buf_puts(out, v);
                    s = end + 1;
                    continue;
                }
            }
        }
        tl_buf_putc(out, *s++);
    }
}

static int str_is_blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    }
    return 1;
}

static int schema_parse(const char *s, int *out)
{
    int major = 0, frac = 0, nd = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        major = major * 10 + (*p - '0');
        if (major > 1000)
            return -1;
        p++;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9') {
            if (nd < 2)
                frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 1)
            frac *= 10;
    }
    if (*p != '\0')
        return -1;
    *out = major * 100 + frac;
    return 0;
}

int tl_sm_schema_num(const tl_sysmon_config *c) { return c ? c->schema_num : 490; }

/* ---- loader ------------------------------------------------------------- */

typedef struct ld {
    tl_sysmon_config *c;
    const char *file;
    tl_diag *d;
    tl_buf tmp;
} ld;

static int line_of(xmlNode *n)
{
    long l = xmlGetLineNo(n);
    return l > 0 && l < 0x7fffffff ? (int)l : 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static tl_status
perr(ld *L, xmlNode *n, const char *fmt, ...)
{
    char msg[sizeof L->d->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tl_diag_set(L->d, L->file, n ? line_of(n) : 0, "%s", msg);
    return TL_E_PARSE;
}

/* Text of a leaf element: concatenated text/CDATA children; NULL with an
 * error when it has element children. *out owned by xmlFree. */
static tl_status leaf_text(ld *L, xmlNode *n, char **out)
{
    for (xmlNode *k = n->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE)
            return perr(L, k, "unexpected element <%s> inside <%s>", (const char *)k->name,
                        (const char *)n->name);
        if (k->type == XML_ENTITY_REF_NODE)
            return perr(L, k, "entity reference &%s; not supported in <%s>", (const char *)k->name,
                        (const char *)n->name);
    }
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        t = xmlStrdup((const xmlChar *)"");
    if (!t)
        return TL_E_NOMEM;
    *out = (char *)t;
    return TL_OK;
}

/* Containers may only hold elements, comments and whitespace. */
static tl_status check_container_node(ld *L, xmlNode *parent, xmlNode *k)
{
    if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
        if (k->content && !str_is_blank((const char *)k->content))
            return perr(L, k, "unexpected text inside <%s>", (const char *)parent->name);
        return TL_OK;
    }
    if (k->type == XML_ENTITY_REF_NODE)
        return perr(L, k, "entity reference &%s; not supported in <%s>", (const char *)k->name,
                    (const char *)parent->name);
    return TL_OK; /* comments, processing instructions */
}

static int kind_of(const char *name)
{
    for (size_t i = 0; i < tl_sm_nkinds; i++) {
        if (strcmp(tl_sm_kinds[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Field id of element name ename for an element of this kind (the event
 * types' field names, case-insensitive; RuleName is not filterable), or -1. */
static int kind_field(int kind, const char *ename)
{
    for (int j = 0; j < tl_sm_kinds[kind].nids; j++) {
        const tl_sm_evtype *t = tl_sm_evtype_get(tl_sm_kinds[kind].ids[j]);
        for (size_t i = 0; i < t->nfields; i++) {
            if (strcmp(t->fields[i], "RuleName") != 0 && tl_strcasecmp(t->fields[i], ename) == 0)
                return tl_sm_field_id(t->fields[i]);
        }
    }
    return -1;
}

/* Top-level configuration options of Sysmon 15 (values are not interpreted
 * except HashAlgorithms). */
static const char *const option_elems[] = {
    "HashAlgorithms",        "CheckRevocation", "DnsLookup",        "ArchiveDirectory",
    "CaptureClipboard",      "CopyOnDeletePE",  "CopyOnDeleteSIDs", "CopyOnDeleteExtensions",
    "CopyOnDeleteProcesses", "FieldSizes"};

static int is_option(const char *name)
{
    for (size_t i = 0; i < sizeof option_elems / sizeof option_elems[0]; i++) {
        if (strcmp(option_elems[i], name) == 0)
            return 1;
    }
    return 0;
}

/* Normalise HashAlgorithms: "*" -> all four, else the configured list upper-cased. */
static tl_status parse_hashes(ld *L, xmlNode *n, const char *text)
{
    static const char *const known[] = {"SHA1", "MD5", "SHA256", "IMPHASH"};
    tl_buf b = TL_BUF_INIT;
    tl_status st = TL_OK;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            e--;
        size_t len = (size_t)(e - s);
        if (len == 1 && *s == '*') {
            tl_buf_reset(&b);
            tl_buf_puts(&b, "SHA1,MD5,SHA256,IMPHASH");
            break;
        }
        size_t k;
        for (k = 0; k < 4; k++) {
            if (strlen(known[k]) == len && tl_strncasecmp(known[k], s, len) == 0)
                break;
        }
        if (k == 4) {
            char tmp[64];
            size_t m = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
            memcpy(tmp, s, m);
            tmp[m] = '\0';
            TL_FAIL(perr(L, n, "unknown hash algorithm \"%s\" in <HashAlgorithms>", tmp));
        }
        if (b.len)
            tl_buf_putc(&b, ',');
        tl_buf_puts(&b, known[k]);
    }
    TL_TRY(tl_buf_status(&b));
    tl_free(L->c->hashes);
    L->c->hashes = tl_buf_take(&b);
    TL_TRY_ALLOC(L->c->hashes);
cleanup:
    tl_buf_free(&b);
    return st;
}

typedef struct grp {
    const char *name; /* arena */
    int relation;
    int line;
    size_t first_set; /* sets of this group start here in c->sets */
} grp;

static tl_status get_set(ld *L, grp *g, int kind, int onmatch, int elem_line, tl_sm_set **out)
{
    tl_sysmon_config *c = L->c;
    for (size_t i = g->first_set; i < c->nsets; i++) {
        if (c->sets[i]->kind == kind && c->sets[i]->onmatch == onmatch) {
            *out = c->sets[i];
            return TL_OK;
        }
    }
    if (c->nsets == c->cap_sets) {
        size_t nc = c->cap_sets ? c->cap_sets * 2 : 16;
        tl_sm_set **ns = tl_realloc(c->sets, nc * sizeof *ns);
        if (!ns)
            return TL_E_NOMEM;
        c->sets = ns;
        c->cap_sets = nc;
    }
    tl_sm_set *s = tl_calloc(1, sizeof *s);
    if (!s)
        return TL_E_NOMEM;
    s->kind = kind;
    s->onmatch = onmatch;
    s->relation = g->relation;
    s->elem_line = elem_line;
    s->group_line = g->line;
    s->group_name = g->name;
    c->sets[c->nsets++] = s;
    *out = s;
    return TL_OK;
}

static tl_status set_push_item(tl_sm_set *s, tl_sm_item **out)
{
    if (s->nitems == s->cap_items) {
        size_t nc = s->cap_items ? s->cap_items * 2 : 16;
        tl_sm_item *ni = tl_realloc(s->items, nc * sizeof *ni);
        if (!ni)
            return TL_E_NOMEM;
        s->items = ni;
        s->cap_items = nc;
    }
    *out = &s->items[s->nitems++];
    memset(*out, 0, sizeof **out);
    return TL_OK;
}

static tl_status set_push_filter(tl_sm_set *s, tl_sm_filter **out)
{
    if (s->nfilters == s->cap_filters) {
        size_t nc = s->cap_filters ? s->cap_filters * 2 : 32;
        tl_sm_filter *nf = tl_realloc(s->filters, nc * sizeof *nf);
        if (!nf)
            return TL_E_NOMEM;
        s->filters = nf;
        s->cap_filters = nc;
    }
    *out = &s->filters[s->nfilters++];
    memset(*out, 0, sizeof **out);
    return TL_OK;
}

/* Copy a name into the arena, truncated to Sysmon's 255 characters; "" -> NULL. */
static tl_status name_dup(ld *L, const char *s, const char **out)
{
    *out = NULL;
    if (!s || !*s)
        return TL_OK;
    size_t n = strlen(s);
    if (n > 255)
        n = 255;
    *out = arena_strndup(L->c, s, n);
    return *out ? TL_OK : TL_E_NOMEM;
}

/* Up to three distinct byte pairs of s: first, middle and last. */
static uint8_t sample_bigrams(const char *s, uint32_t n, uint16_t bg[3])
{
    uint8_t k = 0;
    if (n < 2)
        return 0;
    uint32_t pos[3] = {0, (n - 2) / 2, n - 2};
    for (int i = 0; i < 3; i++) {
        uint16_t b = tl_sm_bigram((unsigned char)s[pos[i]], (unsigned char)s[pos[i] + 1]);
        int dup = 0;
        for (uint8_t j = 0; j < k; j++)
            dup |= bg[j] == b;
        if (!dup)
            bg[k++] = b;
    }
    return k;
}

static int parse_cond(const char *s)
{
    for (int i = 0; i < TL_SM_NCOND; i++) {
        if (tl_strcasecmp(tl_sm_cond_names[i], s) == 0)
            return i;
    }
    return -1;
}

static int cond_is_list(int cond)
{
    return cond == TL_SM_IS_ANY || cond == TL_SM_CONTAINS_ANY || cond == TL_SM_CONTAINS_ALL ||
           cond == TL_SM_EXCLUDES_ANY || cond == TL_SM_EXCLUDES_ALL;
}

/* Parse one field filter element into set s. */
static tl_status parse_filter(ld *L, tl_sm_set *s, xmlNode *n, const char *rule_name,
                              const char *group_name)
{
    tl_status st = TL_OK;
    char *text = NULL;
    xmlChar *aname = NULL, *acond = NULL;
    const char *ename = (const char *)n->name;
    int field = kind_field(s->kind, ename);
    if (field < 0)
        return perr(L, n, "unknown element <%s> in <%s> (not a field of this event type)", ename,
                    tl_sm_kinds[s->kind].name);
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        if (strcmp(an, "name") != 0 && strcmp(an, "condition") != 0)
            return perr(L, n, "unknown attribute \"%s\" on <%s>", an, ename);
    }
    aname = xmlGetProp(n, (const xmlChar *)"name");
    acond = xmlGetProp(n, (const xmlChar *)"condition");
    int cond = TL_SM_IS;
    if (acond) {
        cond = parse_cond((const char *)acond);
        if (cond < 0)
            TL_FAIL(perr(L, n, "unknown condition \"%s\" on <%s>", (const char *)acond, ename));
    }
    TL_TRY(leaf_text(L, n, &text));

    tl_sm_filter *f;
    TL_TRY(set_push_filter(s, &f));
    f->field = (uint16_t)field;
    f->cond = (uint8_t)cond;
    f->line = line_of(n);
    const char *nm = NULL;
    TL_TRY(name_dup(L, aname ? (const char *)aname : NULL, &nm));
    f->name = nm ? nm : rule_name ? rule_name : (group_name && *group_name) ? group_name : NULL;
    f->orig = arena_strndup(L->c, text, strlen(text));
    TL_TRY_ALLOC(f->orig);

    tl_buf_reset(&L->tmp);
    if (strchr(text, '%'))
        env_expand(&L->tmp, text);
    else
        tl_buf_puts(&L->tmp, text);
    TL_TRY(tl_buf_status(&L->tmp));
    if (L->tmp.len > 0xffffffu)
        TL_FAIL(perr(L, n, "rule text of <%s> too long", ename));
    char *low = arena_strndup(L->c, tl_buf_cstr(&L->tmp), L->tmp.len);
    TL_TRY_ALLOC(low);
    for (char *p = low; *p; p++)
        *p = lc(*p);
    f->text = low;
    f->len = (uint32_t)L->tmp.len;
    f->nbg = sample_bigrams(low, f->len, f->bg);
    if (cond == TL_SM_IMAGE)
        f->image_tail = strchr(low, '\\') == NULL;
    if (cond_is_list(cond)) {
        uint32_t cnt = 0;
        for (const char *p = low;;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len)
                cnt++;
            if (!e)
                break;
            p = e + 1;
        }
        tl_sm_str *items = NULL;
        if (cnt) {
            items = arena_alloc(L->c, cnt * sizeof *items);
            TL_TRY_ALLOC(items);
        }
        uint32_t k = 0;
        for (const char *p = low;;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len) {
                items[k].s = p;
                items[k].len = (uint32_t)len;
                items[k].nbg = sample_bigrams(p, (uint32_t)len, items[k].bg);
                k++;
            }
            if (!e)
                break;
            p = e + 1;
        }
        f->items = items;
        f->nitems = cnt;
    }
cleanup:
    if (text)
        xmlFree(text);
    if (aname)
        xmlFree(aname);
    if (acond)
        xmlFree(acond);
    return st;
}

static tl_status parse_relation(ld *L, xmlNode *n, int dflt, int *out)
{
    xmlChar *r = xmlGetProp(n, (const xmlChar *)"groupRelation");
    *out = dflt;
    if (!r)
        return TL_OK;
    tl_status st = TL_OK;
    if (tl_strcasecmp((const char *)r, "or") == 0)
        *out = TL_SM_REL_OR;
    else if (tl_strcasecmp((const char *)r, "and") == 0)
        *out = TL_SM_REL_AND;
    else
        st = perr(L, n, "bad groupRelation \"%s\" on <%s> (expected \"and\" or \"or\")",
                  (const char *)r, (const char *)n->name);
    xmlFree(r);
    return st;
}

static tl_status check_attrs(ld *L, xmlNode *n, const char *a1, const char *a2)
{
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        if ((a1 && strcmp(an, a1) == 0) || (a2 && strcmp(an, a2) == 0))
            continue;
        return perr(L, n, "unknown attribute \"%s\" on <%s>", an, (const char *)n->name);
    }
    return TL_OK;
}

static tl_status parse_rule(ld *L, tl_sm_set *s, xmlNode *n, const char *group_name)
{
    tl_status st = TL_OK;
    xmlChar *aname = NULL;
    TL_TRY(check_attrs(L, n, "name", "groupRelation"));
    int rel;
    TL_TRY(parse_relation(L, n, TL_SM_REL_AND, &rel));
    aname = xmlGetProp(n, (const xmlChar *)"name");
    const char *rname = NULL;
    TL_TRY(name_dup(L, aname ? (const char *)aname : NULL, &rname));
    uint32_t first = (uint32_t)s->nfilters;
    for (xmlNode *k = n->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            TL_TRY(check_container_node(L, n, k));
            continue;
        }
        if (strcmp((const char *)k->name, "Rule") == 0)
            TL_FAIL(perr(L, k, "<Rule> cannot be nested in <Rule>"));
        TL_TRY(parse_filter(L, s, k, rname, group_name));
    }
    tl_sm_item *it;
    TL_TRY(set_push_item(s, &it));
    it->kind = TL_SM_ITEM_RULE;
    it->relation = (uint8_t)rel;
    it->first = first;
    it->count = (uint32_t)s->nfilters - first;
    it->line = line_of(n);
    it->rule_name = rname;
cleanup:
    if (aname)
        xmlFree(aname);
    return st;
}

static tl_status parse_event_elem(ld *L, grp *g, xmlNode *n, int kind)
{
    tl_status st = TL_OK;
    xmlChar *om = NULL;
    TL_TRY(check_attrs(L, n, "onmatch", NULL));
    om = xmlGetProp(n, (const xmlChar *)"onmatch");
    if (!om)
        TL_FAIL(perr(L, n, "<%s> needs onmatch=\"include\" or \"exclude\"", (const char *)n->name));
    int onmatch;
    if (tl_strcasecmp((const char *)om, "include") == 0)
        onmatch = TL_SM_INCLUDE;
    else if (tl_strcasecmp((const char *)om, "exclude") == 0)
        onmatch = TL_SM_EXCLUDE;
    else
        TL_FAIL(perr(L, n, "bad onmatch \"%s\" on <%s> (expected include or exclude)",
                     (const char *)om, (const char *)n->name));
    tl_sm_set *s;
    TL_TRY(get_set(L, g, kind, onmatch, line_of(n), &s));
    for (xmlNode *k = n->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            TL_TRY(check_container_node(L, n, k));
            continue;
        }
        if (strcmp((const char *)k->name, "Rule") == 0) {
            TL_TRY(parse_rule(L, s, k, g->name));
            continue;
        }
        uint32_t fi = (uint32_t)s->nfilters;
        TL_TRY(parse_filter(L, s, k, NULL, g->name));
        tl_sm_item *it;
        TL_TRY(set_push_item(s, &it));
        it->kind = TL_SM_ITEM_FILTER;
        it->first = fi;
        it->count = 1;
        it->line = s->filters[fi].line;
    }
cleanup:
    if (om)
        xmlFree(om);
    return st;
}

static tl_status parse_group_children(ld *L, grp *g, xmlNode *parent)
{
    tl_status st = TL_OK;
    for (xmlNode *k = parent->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            TL_TRY(check_container_node(L, parent, k));
            continue;
        }
        int kind = kind_of((const char *)k->name);
        if (kind < 0)
            TL_FAIL(perr(L, k, "unknown element <%s> in <%s>", (const char *)k->name,
                         (const char *)parent->name));
        TL_TRY(parse_event_elem(L, g, k, kind));
    }
cleanup:
    return st;
}

static tl_status parse_event_filtering(ld *L, xmlNode *ef)
{
    tl_status st = TL_OK;
    /* elements directly under EventFiltering: one implicit group, OR up to
     * schema 4.1 and AND after it (windows.md §2.3 point 5) */
    grp top = {"", L->c->schema_num <= 410 ? TL_SM_REL_OR : TL_SM_REL_AND, 0, L->c->nsets};
    TL_TRY(check_attrs(L, ef, NULL, NULL));
    for (xmlNode *k = ef->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            TL_TRY(check_container_node(L, ef, k));
            continue;
        }
        const char *name = (const char *)k->name;
        if (strcmp(name, "RuleGroup") == 0) {
            xmlChar *gname = NULL;
            TL_TRY(check_attrs(L, k, "name", "groupRelation"));
            grp g;
            memset(&g, 0, sizeof g);
            TL_TRY(parse_relation(L, k, L->c->schema_num <= 410 ? TL_SM_REL_OR : TL_SM_REL_AND,
                                  &g.relation));
            gname = xmlGetProp(k, (const xmlChar *)"name");
            const char *gn = NULL;
            st = name_dup(L, gname ? (const char *)gname : NULL, &gn);
            if (gname)
                xmlFree(gname);
            if (st != TL_OK)
                goto cleanup;
            g.name = gn ? gn : "";
            g.line = line_of(k);
            g.first_set = L->c->nsets;
            TL_TRY(parse_group_children(L, &g, k));
            continue;
        }
        int kind = kind_of(name);
        if (kind < 0)
            TL_FAIL(perr(L, k, "unknown element <%s> in <EventFiltering>", name));
        if (top.first_set > L->c->nsets)
            top.first_set = L->c->nsets;
        TL_TRY(parse_event_elem(L, &top, k, kind));
    }
cleanup:
    return st;
}

/* AND sets: plain filters on the same field share a conjunct (ORed),
 * different fields and each aggregate are separate conjuncts (ANDed). */
static tl_status assign_buckets(ld *L, tl_sm_set *s)
{
    int bucket_of_field[TL_SM_MAX_FIELDS];
    for (size_t f = 0; f < TL_SM_MAX_FIELDS; f++)
        bucket_of_field[f] = -1;
    uint16_t nb = 0;
    for (size_t i = 0; i < s->nitems; i++) {
        tl_sm_item *it = &s->items[i];
        it->bucket = 0;
        if (s->relation != TL_SM_REL_AND)
            continue;
        if (it->kind == TL_SM_ITEM_FILTER) {
            uint16_t f = s->filters[it->first].field;
            if (bucket_of_field[f] < 0)
                bucket_of_field[f] = nb++;
            it->bucket = (uint16_t)bucket_of_field[f];
            continue;
        }
        if (nb == UINT16_MAX) {
            tl_diag_set(L->d, L->file, it->line, "too many <Rule> aggregates in one \"and\" set");
            return TL_E_LIMIT;
        }
        it->bucket = nb++;
    }
    s->nbuckets = nb;
    return TL_OK;
}

static int item_indexable(const tl_sm_set *s, const tl_sm_item *it)
{
    if (it->kind != TL_SM_ITEM_FILTER)
        return 0;
    const tl_sm_filter *f = &s->filters[it->first];
    return f->cond == TL_SM_IS || f->cond == TL_SM_IMAGE ||
           (f->cond == TL_SM_IS_ANY && f->nitems > 0);
}

static void key_insert(tl_sm_set *s, const char *k, uint32_t len, uint16_t field, uint8_t tail,
                       uint32_t item)
{
    uint64_t h = tl_sm_hash(k, len, field, tail);
    for (uint32_t i = (uint32_t)h & s->key_mask;; i = (i + 1) & s->key_mask) {
        tl_sm_key *e = &s->keys[i];
        if (!e->s) {
            e->h = h;
            e->s = k;
            e->len = len;
            e->item = item;
            e->field = field;
            e->tail = tail;
            return;
        }
        if (e->h == h && e->len == len && e->field == field && e->tail == tail &&
            memcmp(e->s, k, len) == 0)
            return; /* an earlier item already owns the key: it wins first */
    }
}

/* Build the exact-match index of an "or" set. Items are inserted in document
 * order so each key remembers its first item. */
static tl_status build_index(tl_sysmon_config *c, tl_sm_set *s)
{
    if (s->relation != TL_SM_REL_OR)
        return TL_OK;
    size_t nkeys = 0, nscan = 0;
    for (size_t i = 0; i < s->nitems; i++) {
        if (item_indexable(s, &s->items[i])) {
            const tl_sm_filter *f = &s->filters[s->items[i].first];
            nkeys += f->cond == TL_SM_IS_ANY ? f->nitems : 1;
        } else {
            nscan++;
        }
    }
    if (nkeys < 4)
        return TL_OK; /* not worth it: everything is scanned */
    uint32_t cap = 8;
    while (cap < nkeys * 2)
        cap *= 2;
    s->keys = arena_alloc(c, cap * sizeof *s->keys);
    s->scan = arena_alloc(c, (nscan ? nscan : 1) * sizeof *s->scan);
    s->probes = arena_alloc(c, 2 * TL_SM_MAX_FIELDS * sizeof *s->probes);
    if (!s->keys || !s->scan || !s->probes)
        return TL_E_NOMEM;
    memset(s->keys, 0, cap * sizeof *s->keys);
    s->key_mask = cap - 1;
    uint8_t seen[2][TL_SM_MAX_FIELDS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < s->nitems; i++) {
        if (!item_indexable(s, &s->items[i])) {
            s->scan[s->nscan++] = (uint32_t)i;
            continue;
        }
        const tl_sm_filter *f = &s->filters[s->items[i].first];
        uint8_t tail = f->cond == TL_SM_IMAGE && f->image_tail;
        if (f->cond == TL_SM_IS_ANY) {
            for (uint32_t k = 0; k < f->nitems; k++)
                key_insert(s, f->items[k].s, f->items[k].len, f->field, 0, (uint32_t)i);
        } else {
            key_insert(s, f->text, f->len, f->field, tail, (uint32_t)i);
        }
        if (!seen[tail][f->field]) {
            seen[tail][f->field] = 1;
            s->probes[s->nprobes].field = f->field;
            s->probes[s->nprobes].tail = tail;
            s->nprobes++;
        }
    }
    return TL_OK;
}

static tl_status index_by_id(tl_sysmon_config *c)
{
    for (int id = 1; id < TL_SM_MAX_ID; id++) {
        const tl_sm_evtype *t = tl_sm_evtype_get(id);
        if (!t || t->kind < 0)
            continue;
        size_t n = 0, ne = 0;
        for (size_t i = 0; i < c->nsets; i++) {
            if (c->sets[i]->kind == t->kind) {
                n++;
                ne += c->sets[i]->onmatch == TL_SM_EXCLUDE;
            }
        }
        c->has_kind[id] = n > 0;
        if (!n)
            continue;
        tl_sm_set **v = arena_alloc(c, n * sizeof *v);
        if (!v)
            return TL_E_NOMEM;
        size_t k = 0;
        for (int pass = 0; pass < 2; pass++) {
            int want = pass == 0 ? TL_SM_EXCLUDE : TL_SM_INCLUDE;
            for (size_t i = 0; i < c->nsets; i++) {
                if (c->sets[i]->kind == t->kind && c->sets[i]->onmatch == want)
                    v[k++] = c->sets[i];
            }
        }
        c->by_id[id] = v;
        c->nexcl[id] = (uint16_t)ne;
        c->nincl[id] = (uint16_t)(n - ne);

        /* referenced fields */
        uint8_t seen[TL_SM_MAX_FIELDS];
        memset(seen, 0, sizeof seen);
        size_t nr = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < v[i]->nfilters; j++) {
                uint16_t f = v[i]->filters[j].field;
                if (f < TL_SM_MAX_FIELDS && !seen[f]) {
                    seen[f] = 1;
                    nr++;
                }
            }
        }
        if (!nr)
            continue;
        tl_sm_ref *refs = arena_alloc(c, nr * sizeof *refs);
        if (!refs)
            return TL_E_NOMEM;
        size_t r = 0;
        for (uint16_t f = 0; f < TL_SM_MAX_FIELDS; f++) {
            if (!seen[f])
                continue;
            refs[r].field = f;
            refs[r].name = tl_sm_field_name(f);
            refs[r].pos = -1;
            /* raw events carry no RuleName: positions shift by one */
            for (size_t i = 0, p = 0; i < t->nfields; i++) {
                if (strcmp(t->fields[i], "RuleName") == 0)
                    continue;
                if (tl_sm_field_id(t->fields[i]) == (int)f) {
                    refs[r].pos = (int16_t)p;
                    break;
                }
                p++;
            }
            r++;
        }
        c->refs[id] = refs;
        c->nrefs[id] = (uint16_t)nr;
    }
    return TL_OK;
}

static tl_status parse_root(ld *L, xmlNode *root)
{
    tl_status st = TL_OK;
    xmlChar *sv = NULL;
    if (strcmp((const char *)root->name, "Sysmon") != 0)
        TL_FAIL(perr(L, root, "root element is <%s>, expected <Sysmon>", (const char *)root->name));
    TL_TRY(check_attrs(L, root, "schemaversion", NULL));
    sv = xmlGetProp(root, (const xmlChar *)"schemaversion");
    if (!sv)
        TL_FAIL(perr(L, root, "<Sysmon> has no schemaversion attribute"));
    if (schema_parse((const char *)sv, &L->c->schema_num) != 0)
        TL_FAIL(perr(L, root, "bad schemaversion \"%s\"", (const char *)sv));
    L->c->schema = tl_strdup((const char *)sv);
    TL_TRY_ALLOC(L->c->schema);
    int seen_ef = 0;
    for (xmlNode *k = root->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            TL_TRY(check_container_node(L, root, k));
            continue;
        }
        const char *name = (const char *)k->name;
        if (strcmp(name, "EventFiltering") == 0) {
            if (seen_ef++)
                TL_FAIL(perr(L, k, "duplicate <EventFiltering>"));
            TL_TRY(parse_event_filtering(L, k));
        } else if (is_option(name)) {
            char *text = NULL;
            TL_TRY(leaf_text(L, k, &text));
            if (strcmp(name, "HashAlgorithms") == 0)
                st = parse_hashes(L, k, text);
            xmlFree(text);
            if (st != TL_OK)
                goto cleanup;
        } else {
            TL_FAIL(perr(L, k, "unknown element <%s> in <Sysmon>", name));
        }
    }
    for (size_t i = 0; i < L->c->nsets; i++) {
        TL_TRY(assign_buckets(L, L->c->sets[i]));
        TL_TRY(build_index(L->c, L->c->sets[i]));
    }
    TL_TRY(index_by_id(L->c));
cleanup:
    if (sv)
        xmlFree(sv);
    return st;
}

/* The FIRST XML error (libxml2 keeps parsing after a fatal error and its
 * "last error" is then a less helpful "Premature end of data"). The parser
 * context is the callback's data; _private points at this record. */
typedef struct first_err {
    int set;
    int line;
    char msg[256];
} first_err;

static void quiet_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void on_xml_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = data;
    first_err *fe = ctxt ? ctxt->_private : NULL;
    if (!fe || fe->set || !e || e->level < XML_ERR_ERROR)
        return;
    fe->set = 1;
    fe->line = e->line;
    size_t m = e->message ? strlen(e->message) : 0;
    while (m && (e->message[m - 1] == '\n' || e->message[m - 1] == '\r'))
        m--;
    if (m >= sizeof fe->msg)
        m = sizeof fe->msg - 1;
    if (m)
        memcpy(fe->msg, e->message, m);
    fe->msg[m] = '\0';
}

tl_status tl_sysmon_config_load_mem(const char *xml, size_t len, const char *name_for_errors,
                                    tl_sysmon_config **out, tl_diag *d)
{
    tl_status st = TL_OK;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    ld L;
    int generic_set = 0;
    xmlGenericErrorFunc old_generic = NULL;
    void *old_generic_ctx = NULL;
    memset(&L, 0, sizeof L);
    tl_buf_init(&L.tmp);
    const char *file = name_for_errors ? name_for_errors : "";
    L.file = file;
    L.d = d;
    if (!xml || !out) {
        tl_diag_set(d, file, 0, "no configuration given");
        return TL_E_INVAL;
    }
    if (len > 0x7fffffff) {
        tl_diag_set(d, file, 0, "configuration too large");
        return TL_E_LIMIT;
    }
    L.c = tl_calloc(1, sizeof *L.c);
    TL_TRY_ALLOC(L.c);
    L.c->source = tl_strdup(file);
    TL_TRY_ALLOC(L.c->source);
    L.c->hashes = tl_strdup("");
    TL_TRY_ALLOC(L.c->hashes);

    first_err fe;
    memset(&fe, 0, sizeof fe);
    /* encoding errors go to libxml2's generic (thread-local) channel: silence
     * it for this parse, the structured handler below reports them */
    old_generic = xmlGenericError;
    old_generic_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet_generic);
    generic_set = 1;
    ctxt = xmlNewParserCtxt();
    TL_TRY_ALLOC(ctxt);
    ctxt->_private = &fe;
    ctxt->userData = ctxt;
    if (ctxt->sax)
        ctxt->sax->serror = on_xml_error;
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_BIG_LINES);
    if (!doc || fe.set) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "empty document";
        int line = 0;
        if (fe.set) {
            memcpy(msg, fe.msg, sizeof msg);
            line = fe.line;
        } else if (e && e->message) {
            size_t m = strlen(e->message);
            while (m && (e->message[m - 1] == '\n' || e->message[m - 1] == '\r'))
                m--;
            if (m >= sizeof msg)
                m = sizeof msg - 1;
            memcpy(msg, e->message, m);
            msg[m] = '\0';
            line = e->line;
        }
        tl_diag_set(d, file, line, "not a valid XML document: %s", msg);
        TL_FAIL(TL_E_PARSE);
    }
    if (doc->intSubset || doc->extSubset) {
        tl_diag_set(d, file, 0, "DOCTYPE declarations are not supported in a Sysmon config");
        TL_FAIL(TL_E_PARSE);
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        tl_diag_set(d, file, 0, "not a valid XML document: no root element");
        TL_FAIL(TL_E_PARSE);
    }
    TL_TRY(parse_root(&L, root));
    *out = L.c;
    L.c = NULL;
cleanup:
    if (st == TL_E_NOMEM)
        tl_diag_set(d, file, 0, "out of memory");
    if (doc)
        xmlFreeDoc(doc);
    if (ctxt)
        xmlFreeParserCtxt(ctxt);
    if (generic_set)
        xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    tl_buf_free(&L.tmp);
    tl_sysmon_config_free(L.c);
    return st;
}

tl_status tl_sysmon_config_load(const char *path, tl_sysmon_config **out, tl_diag *d)
{
    char *data = NULL;
    size_t len = 0;
    if (!path || !out) {
        tl_diag_set(d, path ? path : "", 0, "no configuration path given");
        return TL_E_INVAL;
    }
    tl_status st = tl_file_read(path, &data, &len, d);
    if (st != TL_OK)
        return st;
    st = tl_sysmon_config_load_mem(data, len, path, out, d);
    tl_free(data);
    return st;
}

void tl_sysmon_config_free(tl_sysmon_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsets; i++) {
        tl_free(c->sets[i]->items);
        tl_free(c->sets[i]->filters);
        tl_free(c->sets[i]);
    }
    tl_free(c->sets);
    tl_sm_chunk *k = c->arena;
    while (k) {
        tl_sm_chunk *n = k->next;
        tl_free(k);
        k = n;
    }
    tl_free(c->schema);
    tl_free(c->hashes);
    tl_free(c->source);
    tl_free(c);
}

const char *tl_sysmon_config_schema(const tl_sysmon_config *c)
{
    return c && c->schema ? c->schema : "";
}

const char *tl_sysmon_config_hashes(const tl_sysmon_config *c)
{
    return c && c->hashes ? c->hashes : "";
}
