/* SPDX-License-Identifier: MIT */
/*
 * Rule assertions over CMocka (style.md §8), YARA tests/util.h style: inline
 * rule XML + one event, checked in two delivery modes (a fresh engine, and
 * an engine that has already seen unrelated noise events) so that state bugs
 * in firedtimes / if_matched_* memory show up. Failures print a message and
 * call _fail() with the caller's file and line, so the other tests go on.
 *
 * The XML under test is loaded after a small built-in base (category roots
 * 1..7, eventchannel chain 60000 -> 60004 -> 61600 -> 61614/61615 and the json
 * decoder), so custom rules can use if_sid/if_group/decoded_as as in Wazuh.
 *
 * Events: a line starting with "<Event" is wrapped as the Windows agent sends
 * it (eventchannel payload, queue 'f', agent 001 "WS01"); a line that already
 * looks like a queue line ("1:..." / "f:...") is used as is; anything else
 * becomes "1:[001] (WS01) any->test.log:<line>".
 */
#ifndef TL_RULE_ASSERT_H
#define TL_RULE_ASSERT_H

#include "tasklab/manager.h"

#include <stddef.h>

/** The built-in base rules (XML text). */
extern const char tl_test_base_rules[];

/** Load base + xml (+ optional ossec.conf text) into *rs. Warnings are
 * appended (one per line) to *warnings when non-NULL (caller frees). */
tl_status tl_test_load(const char *xml, const char *ossec_conf, tl_ruleset **rs, tl_diag *d,
                       char **warnings);
/** Make an analysisd queue line for an event (see above). Caller frees. */
char *tl_test_queue_line(const char *event);
/** Build the eventchannel queue line for an <Event> XML and a Message. */
char *tl_test_winevt_line(const char *event_xml, const char *message);

void tl_assert_rule_fires(const char *xml, const char *event, const char *rule_id, int level,
                          const char *file, int line);
void tl_assert_rule_silent(const char *xml, const char *event, const char *file, int line);
void tl_assert_ruleset_error(const char *xml, tl_status expected, const char *msg_part,
                             const char *file, int line);
void tl_assert_ruleset_warning(const char *xml, const char *msg_part, const char *file, int line);

void tl_assert_decoded_field(const char *event, const char *field, const char *value,
                             const char *file, int line);

/** The event (decoded with the base decoders) has dynamic field `field`
 * (case-insensitive, first match) equal to value; NULL value: field absent. */
#define assert_decoded_field(event, field, value)                                                  \
    tl_assert_decoded_field((event), (field), (value), __FILE__, __LINE__)
/** The rule `rule_id` is the one returned for event (any level). */
#define assert_rule_fires(xml, event, rule_id)                                                     \
    tl_assert_rule_fires((xml), (event), (rule_id), -1, __FILE__, __LINE__)
#define assert_rule_level(xml, event, rule_id, lvl)                                                \
    tl_assert_rule_fires((xml), (event), (rule_id), (lvl), __FILE__, __LINE__)
/** No alert is logged for event (no rule, or a rule below log_alert_level). */
#define assert_rule_silent(xml, event) tl_assert_rule_silent((xml), (event), __FILE__, __LINE__)
/** Loading fails with `status` and a message containing msg_part (NULL: any). */
#define assert_ruleset_error(xml, status, msg_part)                                                \
    tl_assert_ruleset_error((xml), (status), (msg_part), __FILE__, __LINE__)
/** Loading succeeds with a warning containing msg_part. */
#define assert_ruleset_warning(xml, msg_part)                                                      \
    tl_assert_ruleset_warning((xml), (msg_part), __FILE__, __LINE__)

#endif /* TL_RULE_ASSERT_H */
