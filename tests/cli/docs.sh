#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The documentation a user reads (issue 13 item 9):
#  - scenarios/README.md documents the whole expect vocabulary: every operator
#    the checker knows (pipeline/driver/src/expect.c) has a row, and the
#    complete example is real: run on seed-test-task with --expect-only, it passes;
#  - the README's Quick start says what it installs and changes (apt sources)
#    and how to skip Wine.
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
doc=$home/scenarios/README.md
ops=$(grep -oE '\{"__[a-z]+"' "$home/pipeline/driver/src/expect.c" | tr -d '{"' | sort -u)
[ "$(echo "$ops" | wc -w)" -ge 8 ] && ok || bad "could not read the operators of expect.c: $ops"
for k in $ops has-key not-has-key profiles count why match events ar tasks console; do
  grep -q -- "| \`[a-z_-]*$k\`\|\`path$k\`\|\`$k\`" "$doc" && ok || bad "scenarios/README.md does not document $k"
  sed -n '/<!-- expect-example:begin -->/,/<!-- expect-example:end -->/p' "$doc" | grep -q -- "$k" && ok ||
    bad "the expect example has no $k"
done
# the example, as the expect of seed-test-task
{ sed -e '/"expect": \[/,$d' "$home/scenarios/seed-test-task.json"
  sed -n '/<!-- expect-example:begin -->/,/<!-- expect-example:end -->/p' "$doc" | sed -e '1,2d' -e '$d' | sed '$d'
  echo "}"; } >"$tmp/seed-test-task.json"
"$tasklab" test --expect-only "$tmp/seed-test-task.json" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^1 passed, 0 failed$' "$tmp/out" && ok || bad "the README's expect example does not pass: $(cat "$tmp/out")"
# "A complete example" loads and runs; its strings hold single Windows backslashes (JSON
# "\\"): a doubled one (JSON "\\\\") is what the README says values never need (issue 14)
sed -n '/^## A complete example/,/^## Top level/p' "$doc" | sed -n '/^```json$/,/^```$/p' | sed -e '1d' -e '$d' >"$tmp/example.json"
grep -qF '\\\\' "$tmp/example.json" && bad "the complete example doubles backslashes: $(grep -F '\\\\' "$tmp/example.json")" || ok
mkdir -p "$tmp/ex" && cp "$tmp/example.json" "$tmp/ex/seed-test-task.json"
"$tasklab" run --out "$tmp/exout" "$tmp/ex/seed-test-task.json" >"$tmp/exrun" 2>&1 && ok || bad "the complete example does not run: $(cat "$tmp/exrun")"
want="<Data Name='TargetObject'>"'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\test-task\SD<'
grep 'DeleteValue</Data>' "$tmp/exout/seed-test-task/events.xml" | grep -qF "$want" && ok ||
  bad "the complete example's registry step deleted no Tree\\test-task\\SD"
readme=$home/README.md
qs=$(sed -n '/^## Quick start/,/^## Using it/p' "$readme")
for w in 'apt-get update' 'deb-src' 'sources.list.d' '--no-wine' 'ci/test.sh --no-wine'; do
  echo "$qs" | grep -q -- "$w" && ok || bad "README Quick start does not mention $w"
done
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
