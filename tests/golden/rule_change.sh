#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The regression workflow a rules repository relies on: an unmodified copy of the
# default rules passes; changing one rule's level, or its pattern, makes
# `tasklab test --ruleset` fail with a report naming the rule and the scenarios.
set -euo pipefail
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mk() { rm -rf "$tmp/rs"; mkdir -p "$tmp/rs"; cp -r "$home/pipeline/etc/rules" "$home/pipeline/etc/decoders" "$tmp/rs/"; }
scen=("$home/scenarios/seed-test-task.json" "$home/scenarios/apt3-downloader.json" "$home/scenarios/qakbot-msra-once.json")
mk
"$tasklab" test --ruleset "$tmp/rs" "${scen[@]}" >"$tmp/base" || { echo "an unmodified copy of the rules must pass"; cat "$tmp/base"; exit 1; }

mk  # level change
sed -i 's/<rule id="115009" level="10">/<rule id="115009" level="8">/' "$tmp/rs/rules/local_rules.xml"
set +e; "$tasklab" test --ruleset "$tmp/rs" "${scen[@]}" >"$tmp/level"; rc=$?; set -e
[ "$rc" = 1 ] || { echo "level change: exit $rc, want 1"; cat "$tmp/level"; exit 1; }
grep -q 'rule 115009 (level 8) appeared' "$tmp/level" || { echo "level change not named"; cat "$tmp/level"; exit 1; }
grep -q '^FAIL  seed-test-task' "$tmp/level" && grep -q '^FAIL  apt3-downloader' "$tmp/level" \
  && grep -q '^PASS  qakbot-msra-once' "$tmp/level" || { echo "wrong scenarios flagged"; cat "$tmp/level"; exit 1; }

mk  # pattern change: 115006 no longer matches CreateKey
sed -i 's/\^CreateKey\$/^DeleteKey$/' "$tmp/rs/rules/local_rules.xml"
set +e; "$tasklab" test --ruleset "$tmp/rs" "${scen[@]}" >"$tmp/pattern"; rc=$?; set -e
[ "$rc" = 1 ] || { echo "pattern change: exit $rc, want 1"; cat "$tmp/pattern"; exit 1; }
grep -q 'rule 115006 (level 6) vanished' "$tmp/pattern" || { echo "pattern change not named"; cat "$tmp/pattern"; exit 1; }
[ "$(grep -c '^FAIL' "$tmp/pattern")" = 3 ] || { echo "all three scenarios should fail"; cat "$tmp/pattern"; exit 1; }
echo "rule changes are reported with rule ids and scenarios"
