#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: rstest_now.sh TASKLAB SHARED_DIR
# ruleset-test takes <time>/<weekday> from --now (default 2024-01-01T00:00:00Z),
# never from the wall clock: with 0215-policy_rules.xml loaded on purpose, rule
# 17101 ("login outside business hours", 6 pm - 8:30 am) takes pam.ini's
# session-opened case at 22:00 and not at noon. 77 without ../shared.
set -u
tasklab=$1
ref=$2/reference/wazuh-full
[ -d "$ref/tests" ] || { echo "skipped: $ref not found"; exit 77; }
run() { "$tasklab" ruleset-test --ruleset "$ref" --rules "$ref/rules/0215-policy_rules.xml" "$@" "$ref/tests/pam.ini"; }
run --now 2024-01-01T12:00:00Z >/dev/null || { echo "FAIL: at noon every pam.ini case should pass"; exit 1; }
out=$(run --now 2024-01-01T22:00:00Z) && { echo "FAIL: at 22:00 rule 17101 should win"; exit 1; }
echo "$out" | grep -q "got rule 17101" || { echo "FAIL: expected 17101 at 22:00: $out"; exit 1; }
# the stock block excludes 0215: the default run does not depend on the hour
"$tasklab" ruleset-test --ruleset "$ref" --now 2024-01-01T22:00:00Z "$ref/tests/pam.ini" >/dev/null ||
    { echo "FAIL: 0215-policy_rules.xml must be excluded by default"; exit 1; }
"$tasklab" ruleset-test --ruleset "$ref" --now nonsense "$ref/tests/pam.ini" 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: a bad --now must exit 2"; exit 1; }
echo ok
