#!/bin/sh
# SPDX-License-Identifier: MIT
# alerts.json bytes (pipeline/manager/src/output/alert_json.c) for the awkward
# cases, fixed against what the cJSON tree-and-print builder wrote (cJSON
# 1.7.15): dotted fields re-nested and their case-insensitive duplicates
# dropped (a.B kept, A.b and X.y dropped, Data after the static data field),
# values that parse as JSON arrays re-printed (-0, 1e+300, nested objects;
# "[1,2] x" and "[1," stay strings), control characters, quotes, backslashes
# and UTF-8 in strings, compliance groups in order of first appearance,
# MITRE tactics de-duplicated, firedtimes, the alert id.
# usage: alert_json.sh TASKLAB SRC
set -u
T=$1
D=$2/tests/cli/alert_json
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$T" logtest -j --rules "$D/rules.xml" <"$D/events.jsonl" >"$W/got" 2>/dev/null || { echo "FAIL: logtest exit $?"; exit 1; }
if cmp -s "$D/alerts.expected" "$W/got"; then
    echo "ok: alerts.json bytes"
else
    echo "FAIL: alerts.json bytes differ"
    diff "$D/alerts.expected" "$W/got" | head -20
    exit 1
fi
