/* SPDX-License-Identifier: MIT */
/*
 * A small, hardened XML reader for Task Scheduler task files (private).
 *
 * Why our own reader: the Windows build must not carry copied third-party
 * source, and the task file is a narrow dialect (MS-TSCH §2.5): elements,
 * attributes, character data, the five predefined entities and character
 * references, comments, processing instructions, CDATA. This reader accepts
 * exactly that and rejects DOCTYPE (so no entity expansion, no external
 * fetches), unknown entities, mismatched or unclosed tags, content after the
 * root, NUL characters, and anything beyond fixed limits (depth, node count,
 * size). It behaves identically on Linux and under Wine (no XmlLite/libxml2
 * version differences), which the byte-identical AR modes need, and it is
 * fuzzed (tests/fuzz/taskfile).
 *
 * Input: bytes of the file as stored. Encoding is taken from the bytes, never
 * from the declaration (Atomic T1053.005 #8 ships a UTF-8 file declaring
 * UTF-16): BOM FF FE → UTF-16LE, FE FF → UTF-16BE, EF BB BF → UTF-8; without a
 * BOM "<\0" / "\0<" means UTF-16LE/BE, else strict UTF-8. Line ends are
 * normalised to "\n" (XML 1.0 §2.11). Names keep only their local part
 * (`t:Exec` → `Exec`).
 */
#ifndef TL_TASK_XML_INT_H
#define TL_TASK_XML_INT_H

#include "tasklab/base.h"

#define TL_XML_MAX_DEPTH 64
#define TL_XML_MAX_NODES 20000

typedef struct tl_xattr {
    char *name;
    char *value;
    struct tl_xattr *next;
} tl_xattr;

typedef struct tl_xnode {
    char *name;            /* local name */
    char *text;            /* direct character data, entity-decoded ("" when none) */
    tl_xattr *attrs;
    struct tl_xnode *kids; /* first child element */
    struct tl_xnode *next; /* next sibling */
} tl_xnode;

/** Transcode the file bytes to NUL-terminated UTF-8 with "\n" line ends.
 * TL_E_INVAL with a message naming the byte offset on bad encoding. */
tl_status tl_arxml_to_utf8(const char *data, size_t len, char **out, size_t *outlen, tl_diag *d);

/** Parse the file bytes into a tree (root element returned). */
tl_status tl_arxml_parse(const char *data, size_t len, tl_xnode **root, tl_diag *d);
void tl_arxml_free(tl_xnode *n);

/** First child element with this local name, or NULL. */
const tl_xnode *tl_arxml_child(const tl_xnode *n, const char *name);
/** Text of the first child `name`, or NULL when there is no such child. */
const char *tl_arxml_child_text(const tl_xnode *n, const char *name);
/** Attribute value or NULL. */
const char *tl_arxml_attr(const tl_xnode *n, const char *name);

#endif /* TL_TASK_XML_INT_H */
