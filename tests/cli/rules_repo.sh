#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The rules-repository recipe (ci/rules-repo-check.sh, issue 13 item 3) on a
# throwaway repository: a rule of its own (100200, a child of the blog's
# 115009), a scenario of its own with an expect item, golden files blessed in
# the repository, plus one scenario of tasklab's library.
#  - as blessed, the recipe passes;
#  - a level change in the rule fails it, naming the rule id and the scenario;
#  - a missing parent fails it with the lint message (file:line, rule, parent);
#  - an attack scenario with no expect item is an error;
#  - --expect-only checks the expectations and no golden file.
# Needs the wazuh profile's reference ruleset: skipped (77) without ../shared.
set -u
tasklab=$(readlink -f "$1")
home=$2
export TASKLAB_HOME=$home
shared=${TASKLAB_SHARED:-$home/../shared}
[ -d "$shared/reference/wazuh-full" ] || { echo "skipped: $shared/reference/wazuh-full absent"; exit 77; }
tmp=${KEEP_TMP:-$(mktemp -d)}
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
repo=$tmp/repo
mkdir -p "$repo/rules" "$repo/tasklab/scenarios"
cp "$home/pipeline/etc/rules/local_rules.xml" "$repo/rules/"
write_rule() { # level parent
  cat >"$repo/rules/my_rules.xml" <<X
<group name="local,">
  <rule id="100200" level="$1">
    <if_sid>$2</if_sid>
    <field name="TaskName" type="pcre2">^mytask\$</field>
    <description>Scheduled task mytask: \$(ScheduledTaskAR.Execute)</description>
  </rule>
</group>
X
}
write_rule 7 115009
sed -e 's/"name": "seed-test-task"/"name": "my-task"/' -e 's|/tn test-task|/tn mytask|' \
    -e '/"expect": \[/,$d' "$home/scenarios/seed-test-task.json" >"$repo/tasklab/scenarios/my-task.json"
printf '  "expect": [\n    {"count": 1, "match": {"rule.id": "100200", "data.TaskName": "mytask"}}\n  ]\n}\n' \
    >>"$repo/tasklab/scenarios/my-task.json"
recipe() { (cd "$repo" && env TASKLAB_BIN="$tasklab" TASKLAB_DIR="$home" LIBRARY="$home/scenarios/seed-test-task.json" \
    JOBS=2 "$@" "$home/ci/rules-repo-check.sh") >"$tmp/out" 2>&1; }

# bless in the repository, then the recipe passes
env -u CI BLESS=1 bash -c "$(declare -f recipe); tmp=$tmp repo=$repo tasklab=$tasklab home=$home; recipe"; rc=$?
[ $rc = 0 ] && ok || { bad "bless: exit $rc"; cat "$tmp/out"; }
[ -f "$repo/tasklab/golden/wazuh/my-task.alerts.json" ] && ok || bad "no golden file in the repository"
[ -f "$repo/tasklab/golden/wazuh/seed-test-task.alerts.json" ] && ok || bad "no golden file of the library scenario in the repository"
grep -q '"id":"100200"' "$repo/tasklab/golden/wazuh/my-task.alerts.json" && ok || bad "rule 100200 did not fire on my-task"
CI=true recipe; rc=$?
[ $rc = 0 ] && ok || { bad "as blessed: exit $rc"; cat "$tmp/out"; }
grep -q '^2 passed, 0 failed$' "$tmp/out" && ok || bad "as blessed: $(tail -3 "$tmp/out")"

# the CI matrix of the workflow: SHARD=I/2 jobs, then the report job merges
# their JUnit parts (MERGE=...) into the unsharded run's report
CI=true JUNIT_OUT=whole.xml recipe
for i in 1 2; do CI=true SHARD=$i/2 JUNIT_OUT=part-$i.xml recipe || bad "slice $i/2: exit $?"; done
(cd "$repo" && env CI=true TASKLAB_BIN="$tasklab" TASKLAB_DIR="$home" MERGE=merged.xml \
    "$home/ci/rules-repo-check.sh" part-2.xml part-1.xml) >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^2 passed, 0 failed$' "$tmp/out" && ok || bad "merge job: exit $rc $(cat "$tmp/out")"
nt() { sed 's/ time="[0-9.]*"//g' "$1"; }
cmp -s <(nt "$repo/whole.xml") <(nt "$repo/merged.xml") && ok || bad "merged parts differ from the unsharded report"
(cd "$repo" && env CI=true TASKLAB_BIN="$tasklab" TASKLAB_DIR="$home" MERGE=merged.xml \
    "$home/ci/rules-repo-check.sh" part-1.xml) >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q 'slice 2/2 is missing' "$tmp/out" && ok || bad "merge job with a part missing: exit $rc $(cat "$tmp/out")"
grep -q 'needs: tasklab' "$home/ci/rules-repo-workflow.yml" && grep -q 'MERGE: ' "$home/ci/rules-repo-workflow.yml" &&
  ok || bad "the workflow has no merge job after the matrix"

# a level change: fails, naming the rule and the scenario
write_rule 9 115009
CI=true recipe; rc=$?
[ $rc = 1 ] && ok || bad "level change: exit $rc"
grep -q '^FAIL  my-task' "$tmp/out" && ok || bad "level change: scenario not named: $(cat "$tmp/out")"
grep -q 'rule 100200.*level' "$tmp/out" && ok || bad "level change: rule 100200 and its level not named: $(cat "$tmp/out")"
# ... which --expect-only does not see (the expect item names no level)
CI=true EXPECT_ONLY=1 recipe; rc=$?
[ $rc = 0 ] && ok || bad "--expect-only after a level change: exit $rc $(tail -5 "$tmp/out")"

# a missing parent: fails with the lint message
write_rule 7 99999
CI=true recipe; rc=$?
[ $rc != 0 ] && ok || bad "missing parent: exit 0"
grep -q "my_rules\.xml:2:3: warning: rule 100200: .*99999.*\[missing-parent\]" "$tmp/out" && ok || bad "missing parent: no message naming file, line, rule and parent: $(cat "$tmp/out")"

# an attack scenario with no expect item is an error
write_rule 7 115009
sed -i '/"expect": \[/,$d' "$repo/tasklab/scenarios/my-task.json"
printf '  "expect": []\n}\n' >>"$repo/tasklab/scenarios/my-task.json"
CI=true recipe; rc=$?
[ $rc = 2 ] && ok || bad "attack without expect: exit $rc"
grep -q 'my-task.json: \$.expect: an attack scenario needs at least one expect item' "$tmp/out" && ok || bad "attack without expect: $(cat "$tmp/out")"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
