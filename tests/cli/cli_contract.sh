#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks tasklab's exit statuses and error messages for bad input.
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
check() { # name expected_rc expected_stderr_regex cmd...
  local name=$1 want=$2 re=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -- "$re" "$tmp/err" || [ "$(wc -l <"$tmp/err")" -gt 3 ]; then
    echo "FAIL $name: rc=$rc (want $want)"; sed 's/^/  stderr: /' "$tmp/err" | head -5; fails=$((fails+1))
  else
    passes=$((passes+1))
  fi
}
check missing-scenario 2 "nosuch\.json: no such scenario file" "$tasklab" run "$tmp/nosuch.json"
printf '{"name": "bad",\n  "title": }\n' >"$tmp/bad.json"
check malformed-json 2 "bad\.json:2" "$tasklab" run "$tmp/bad.json"
check unknown-switch 2 "unknown option '--frobnicate'" "$tasklab" run --frobnicate "$home/scenarios/seed-test-task.json"
check unknown-command 2 "unknown command 'frob'" "$tasklab" frob
check unknown-profile 2 "unknown profile 'nope'" "$tasklab" run --profile nope "$home/scenarios/seed-test-task.json"
printf '<group name="x,">\n  <rule id="100001" level="3">\n    <match>a</match>\n' >"$tmp/bad_rules.xml"
check bad-rule-file 2 "bad_rules\.xml" "$tasklab" run --rules "$tmp/bad_rules.xml" "$home/scenarios/seed-test-task.json"
# no partial output: a failing run leaves no alerts.json behind
mkdir -p "$tmp/out1"
check no-partial-output 2 "bad\.json" "$tasklab" run --out "$tmp/out1" "$tmp/bad.json"
if [ -e "$tmp/out1/bad/alerts.json" ]; then echo "FAIL no-partial-output: alerts.json written"; fails=$((fails+1)); fi
printf '<Sysmon schemaversion="4.90"><EventFiltering><Bogus/></EventFiltering></Sysmon>' >"$tmp/badsm.xml"
check coverage-bad-sysmon-config 2 "badsm\.xml:1: unknown element <Bogus>" "$tasklab" coverage --sysmon-config "$tmp/badsm.xml" "$home/scenarios/seed-test-task.json"
# a malformed expectation (issue 14: events/ar/tasks/console items) is a load error of run and test
sed 's/"expect": \[/"expect": [{"count": 1, "tasks": {"Hidden__gt": true}},/' "$home/scenarios/seed-test-task.json" >"$tmp/seed-test-task.json"
check bad-expect-run 2 'seed-test-task\.json: \$\.expect\[0\]\.tasks\.Hidden__gt: expected a number' "$tasklab" run "$tmp/seed-test-task.json"
"$tasklab" test --expect-only "$tmp/seed-test-task.json" >"$tmp/out" 2>&1; rc=$?
if [ $rc = 2 ] && grep -q 'seed-test-task\.json: \$\.expect\[0\]\.tasks\.Hidden__gt: expected a number' "$tmp/out"; then passes=$((passes+1)); else echo "FAIL bad-expect-test: rc=$rc $(head -3 "$tmp/out")"; fails=$((fails+1)); fi
CI=true check bless-refused-in-ci 2 "refused when CI is set" "$tasklab" test --bless "$home/scenarios/seed-test-task.json"
# explain, for a training lab: each step, what each record is about, the chain to the alert
"$tasklab" explain "$home/scenarios/seed-logon-persistence.json" >"$tmp/explain" 2>&1
for want in 'step 2 at \+3600s: bob logs on' \
    'event 1 \(step 2\): C:\\Windows\\System32\\calc\.exe  \[NT AUTHORITY\\SYSTEM, System; parent C:\\Windows\\system32\\svchost\.exe\]' \
    'event 12 \(step 1\): CreateKey HKLM\\SOFTWARE.*TaskCache\\Tree\\test-task  \[by C:\\Windows\\system32\\svchost\.exe\]' \
    'rule 115006 level 6 -> ALERT  \(chain 7 -> 60000 -> 60004 -> 61600 -> 61614 -> 115006\)'; do
  if grep -Eq -- "$want" "$tmp/explain"; then passes=$((passes+1)); else echo "FAIL explain: no line matching $want"; fails=$((fails+1)); fi
done
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
