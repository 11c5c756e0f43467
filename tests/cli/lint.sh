#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab lint (issue 13 item 2): each file of tests/cli/lint/ is broken in
# one way, named after the check that must find it; the expected line and
# column are below. Then: a clean file is exit 0, an unreadable one exit 2,
# --format json, and (with ../shared) the complete stock Wazuh ruleset gives
# exactly the findings justified in the list at the end.
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
dir=$(dirname "$0")/lint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
# check  line:col  severity
while read -r check where sev; do
  "$tasklab" lint --profile default "$dir/$check.xml" >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc = 1 ] && ok || bad "$check: exit $rc ($(cat "$tmp/err"))"
  grep -q "^$dir/$check\.xml:$where: $sev: .* \[$check\]$" "$tmp/out" && ok ||
    bad "$check: expected $check.xml:$where: $sev: ... [$check], got: $(cat "$tmp/out")"
  [ "$(grep -vc "\[$check\]$" "$tmp/out")" = 0 ] && ok || bad "$check: other findings: $(cat "$tmp/out")"
done <<'T'
unknown-option 4:5 error
missing-parent 2:3 warning
duplicate-id 7:3 warning
overwrite-missing 2:3 warning
unknown-decoder 3:5 warning
regex-compile 4:55 error
osregex-syntax 4:13 error
description-field 2:3 warning
shadowed-sibling 6:3 warning
T
# no-scenario needs --coverage: a library of one scenario keeps it fast
mkdir -p "$tmp/home/scenarios"
ln -s "$home/pipeline" "$tmp/home/pipeline"
cp "$home/scenarios/seed-test-task.json" "$tmp/home/scenarios/"
TASKLAB_SHARED=${TASKLAB_SHARED:-$home/../shared} TASKLAB_HOME=$tmp/home \
  "$tasklab" lint --profile default --coverage "$dir/no-scenario.xml" >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "^$dir/no-scenario\.xml:2:3: note: rule 100310 (level 5) fires in no scenario of the library \[no-scenario\]$" "$tmp/out" && ok ||
  bad "no-scenario: exit $rc: $(cat "$tmp/out")"
"$tasklab" lint --profile default "$dir/no-scenario.xml" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/out" ] && ok || bad "no-scenario without --coverage: exit $rc $(cat "$tmp/out")"
# a sound rule is clean; a missing file and a malformed one are exit 2
printf '<group name="local,">\n  <rule id="100311" level="7">\n    <if_sid>115006</if_sid>\n    <field name="win.eventdata.image" type="pcre2">(?i)\\\\svchost\\.exe$</field>\n    <description>new task by $(win.eventdata.image) on $(win.system.computer)</description>\n  </rule>\n</group>\n' >"$tmp/clean.xml"
"$tasklab" lint --profile default "$tmp/clean.xml" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/out" ] && ok || bad "clean rule: exit $rc $(cat "$tmp/out")"
"$tasklab" lint "$tmp/nosuch.xml" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok || bad "missing file: exit $rc"
printf '<group name="x,">\n  <rule id="1" level="3">\n' >"$tmp/trunc.xml"
"$tasklab" lint --profile default "$tmp/trunc.xml" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "trunc\.xml" "$tmp/err" && ok || bad "malformed XML: exit $rc $(cat "$tmp/err")"
# --format json
"$tasklab" lint --profile default --format json "$dir/duplicate-id.xml" >"$tmp/out"; rc=$?
[ $rc = 1 ] && grep -q '"check":[[:space:]]*"duplicate-id"' "$tmp/out" && grep -q '"line":[[:space:]]*7' "$tmp/out" && ok ||
  bad "--format json: exit $rc $(cat "$tmp/out")"
# the complete stock ruleset: only the findings justified here
full=${TASKLAB_SHARED:-$home/../shared}/reference/wazuh-full
if [ -d "$full" ]; then
  "$tasklab" lint "$full" | sed -e "s|^$full/||" -e 's/:[0-9]*:[0-9]*: .*\[/ [/' >"$tmp/full"
  cat >"$tmp/want" <<'W'
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0015-ossec_rules.xml [unknown-decoder]
rules/0915-win-powershell_rules.xml [missing-parent]
W
  diff "$tmp/want" "$tmp/full" >/dev/null && ok || bad "stock ruleset findings changed: $(diff "$tmp/want" "$tmp/full" | head -20)"
else
  echo "note: $full absent, the stock ruleset is not linted"
fi
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
