#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --shard I/N and --merge-results (issue 13, item 4): the reports of slices 1/3,
# 2/3 and 3/3, merged in any order, are the unsharded run's report byte for byte
# (JUnit times aside: they are wall-clock times), for
#  - tasklab test --junit (10 scenarios, one of them failing on its golden file,
#    so a multi-line failure message travels through the merge),
#  - tasklab coverage --json (rows and summary counts),
#  - tasklab mutate --format json and --format junit (the studies fixture),
#  - tasklab vary --format json and --format junit (4 scenarios, one benign);
# and the merge step gates as the unsharded run would (test: exit 1 on a
# failure; coverage --require; mutate --min-score). Bad input exits 2 with one
# line naming the file and the JSON path (JUnit: an XPath): a missing slice, a
# slice twice, slices of another run (options, profile, list), a malformed
# file, a slice with entries missing, a mix of JSON and JUnit, another command's
# report.
set -u
T=$1
SRC=$2
export TASKLAB_HOME=$SRC
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
nt() { sed 's/ time="[0-9.]*"//g' "$1"; }

# ---- tasklab test: 10 scenarios (not a multiple of 3), one failing; only
# scenarios on the default Sysmon config, so none is skipped when ../shared
# (the reference configs) is absent and the counts below hold either way
mkdir -p "$W/scen" "$W/golden"
for s in $(grep -l '"sysmon_config": "default"' "$SRC/scenarios"/*.json | sort | head -10); do
  n=$(basename "$s" .json)
  cp "$s" "$W/scen/"
  cp "$SRC/golden/default/$n".* "$W/golden/" 2>/dev/null
done
victim=$(grep -l '"level":6' "$W/golden"/*.alerts.json | sed -n 2p)
sed -i 's/"level":6/"level":5/' "$victim"
t() { "$T" test --golden "$W/golden" "$@" "$W/scen"; }
t --junit "$W/all.xml" >/dev/null; rc=$?
[ $rc = 1 ] && ok || bad "unsharded test: exit $rc, expected 1 (one golden file changed)"
for i in 1 2 3; do t --shard $i/3 --junit "$W/part$i.xml" >"$W/out$i" 2>&1; done
tot=0
for i in 1 2 3; do tot=$((tot + $(grep -c '^\(PASS\|FAIL\|SKIP\|ERROR\) ' "$W/out$i"))); done
[ $tot = 10 ] && ok || bad "the three slices ran $tot scenarios, not 10"
"$T" test --merge-results --junit "$W/merged.xml" "$W/part3.xml" "$W/part1.xml" "$W/part2.xml" >"$W/mout" 2>&1; rc=$?
[ $rc = 1 ] && grep -q '^9 passed, 1 failed$' "$W/mout" && ok || bad "test merge: exit $rc $(cat "$W/mout")"
cmp -s <(nt "$W/all.xml") <(nt "$W/merged.xml") && ok ||
  bad "merged JUnit differs from the unsharded one: $(diff <(nt "$W/all.xml") <(nt "$W/merged.xml") | head -20)"
grep -q '<failure message="mismatch">' "$W/merged.xml" && ok || bad "the failure did not travel"
grep -q 'property name="tasklab.shard" value="1/1"' "$W/merged.xml" && ok || bad "merged report is not slice 1/1"
# times: each testcase keeps its slice's; the suite's is the sum of the slices'
want=$(grep -ho '<testsuite [^>]*time="[0-9.]*"' "$W"/part?.xml | sed 's/.*time="//; s/"//' | awk '{s+=$1} END {printf "%.3f", s}')
grep -q "<testsuite [^>]*time=\"$want\"" "$W/merged.xml" && ok || bad "suite time is not the sum of the slices' ($want)"
for i in 1 2 3; do
  grep -o '<testcase [^>]*>' "$W/part$i.xml"
done | sort >"$W/cases.parts"
grep -o '<testcase [^>]*>' "$W/merged.xml" | sort >"$W/cases.merged"
cmp -s "$W/cases.parts" "$W/cases.merged" && ok || bad "testcase times were not copied verbatim"
# the merged report is a report of slice 1/1: merging it alone gives it back
"$T" test --merge-results "$W/merged.xml" >"$W/again.xml" 2>/dev/null
cmp -s "$W/merged.xml" "$W/again.xml" && ok || bad "merging the merged report alone changed it"
# stdout holds the report when no --junit is given; the summary goes to stderr
"$T" test --merge-results "$W/part1.xml" "$W/part2.xml" "$W/part3.xml" >"$W/so.xml" 2>"$W/se"
cmp -s "$W/so.xml" "$W/merged.xml" && grep -q '^9 passed, 1 failed$' "$W/se" && ok || bad "merge to stdout"

# ---- bad input: exit 2, one line naming the file and the path
expect2() { # label, expected regex on stderr, command...
  local label=$1 re=$2; shift 2
  "$@" >"$W/o" 2>"$W/e"; local rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$W/e")" = 1 ] && grep -Eq "$re" "$W/e"; then ok
  else bad "$label: exit $rc, stderr: $(cat "$W/e")"; fi
}
M=("$T" test --merge-results)
expect2 "missing slice" "part1.xml: /testsuite/properties/property\[@name='tasklab.shard'\]: slice 3/3 is missing" \
  "${M[@]}" "$W/part1.xml" "$W/part2.xml"
expect2 "slice twice" "part2.xml: .*tasklab.shard.*: slice 2/3 is given twice" \
  "${M[@]}" "$W/part1.xml" "$W/part2.xml" "$W/part2.xml" "$W/part3.xml"
t --expect-only --shard 2/3 --junit "$W/other2.xml" >/dev/null 2>&1
expect2 "another run's options" "other2.xml: .*tasklab.options.*: a different run: options '--golden .* --expect-only'" \
  "${M[@]}" "$W/part1.xml" "$W/other2.xml" "$W/part3.xml"
t --profile tasklab --shard 2/3 --junit "$W/prof2.xml" >/dev/null 2>&1
expect2 "another profile" "prof2.xml: .*tasklab.options.*--profile tasklab" \
  "${M[@]}" "$W/part1.xml" "$W/prof2.xml" "$W/part3.xml"
eleventh=$(grep -l '"sysmon_config": "default"' "$SRC/scenarios"/*.json | sort | sed -n 11p)
cp "$eleventh" "$W/scen/"
t --shard 2/3 --junit "$W/list2.xml" >/dev/null 2>&1
expect2 "another list of scenarios" "list2.xml: .*tasklab.items.*: a different run: 11 items" \
  "${M[@]}" "$W/part1.xml" "$W/list2.xml" "$W/part3.xml"
rm -f "$W/scen/$(basename "$eleventh")"
t --shard 2/4 --junit "$W/four2.xml" >/dev/null 2>&1
expect2 "another N" "four2.xml: .*tasklab.shard.*: slice 2/4, but .*part1.xml is 1/3" \
  "${M[@]}" "$W/part1.xml" "$W/four2.xml" "$W/part3.xml"
head -c 400 "$W/part2.xml" >"$W/trunc2.xml"
expect2 "truncated XML" "trunc2.xml: line [0-9]+: not well-formed XML" \
  "${M[@]}" "$W/part1.xml" "$W/trunc2.xml" "$W/part3.xml"
awk '/<testcase/ && !done {done=1; next} {print}' "$W/part2.xml" >"$W/short2.xml"
expect2 "a slice with a testcase missing" "short2.xml: /testsuite/testcase: [0-9]+ entries, but slice 2/3 of 10 items holds" \
  "${M[@]}" "$W/part1.xml" "$W/short2.xml" "$W/part3.xml"
sed '/tasklab.run/d' "$W/part2.xml" >"$W/norun2.xml"
expect2 "no envelope" "norun2.xml: .*property\[@name='tasklab.run'\]: missing" \
  "${M[@]}" "$W/part1.xml" "$W/norun2.xml" "$W/part3.xml"
expect2 "not a report" "scen/.*: \\$: tasklab test writes no JSON report" \
  "${M[@]}" "$W/part1.xml" "$(ls "$W"/scen/*.json | head -1)"

# ---- tasklab coverage --json
C=("$T" coverage --json --own-config)
"${C[@]}" "$W/scen" >"$W/cov.json" 2>/dev/null || bad "coverage exit $?"
for i in 1 2 3; do "${C[@]}" --shard $i/3 "$W/scen" >"$W/cov$i.json" 2>/dev/null; done
"$T" coverage --merge-results "$W/cov2.json" "$W/cov3.json" "$W/cov1.json" >"$W/covm.json"; rc=$?
[ $rc = 0 ] && cmp -s "$W/cov.json" "$W/covm.json" && ok ||
  bad "coverage merge: exit $rc $(diff "$W/cov.json" "$W/covm.json" | head -20)"
"${C[@]}" --require default "$W/scen" >/dev/null 2>&1; want=$?
"$T" coverage --merge-results --require default "$W/cov1.json" "$W/cov2.json" "$W/cov3.json" >/dev/null 2>&1; rc=$?
[ $rc = $want ] && ok || bad "coverage --require on the merge: exit $rc, the unsharded run $want"
expect2 "coverage: JUnit of test" "part1.xml: /: tasklab coverage writes no JUnit report" \
  "$T" coverage --merge-results "$W/part1.xml" "$W/part2.xml" "$W/part3.xml"
head -c 300 "$W/cov2.json" >"$W/covbad.json"
expect2 "coverage: truncated JSON" "covbad.json: line [0-9]+: not valid JSON" \
  "$T" coverage --merge-results "$W/cov1.json" "$W/covbad.json" "$W/cov3.json"
expect2 "test: coverage's JSON" "cov1.json: \\$: tasklab test writes no JSON report" \
  "${M[@]}" "$W/cov1.json" "$W/cov2.json" "$W/cov3.json"

# ---- tasklab mutate --format json|junit (the studies fixture)
cp -r "$SRC/tests/studies/fixture" "$W/fx"
mut() { "$T" mutate --rules "$W/fx/fixture_rules.xml" --golden "$W/fx/golden" --scenarios "$W/fx/two" "$@"; }
for f in json junit; do
  mut --format $f >"$W/mu.$f" 2>/dev/null || bad "mutate $f exit $?"
  for i in 1 2 3; do mut --format $f --shard $i/3 >"$W/mu$i.$f" 2>/dev/null; done
  "$T" mutate --merge-results "$W/mu3.$f" "$W/mu1.$f" "$W/mu2.$f" >"$W/mum.$f"; rc=$?
  [ $rc = 0 ] && cmp -s "$W/mu.$f" "$W/mum.$f" && ok || bad "mutate $f merge: exit $rc $(diff "$W/mu.$f" "$W/mum.$f" | head)"
done
"$T" mutate --merge-results --min-score 99 "$W/mu1.json" "$W/mu2.json" "$W/mu3.json" >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok || bad "mutate --min-score on the merge: exit $rc"
expect2 "mutate: JSON and JUnit mixed" "mu2.junit: /: JUnit XML, but .*mu1.json is JSON" \
  "$T" mutate --merge-results "$W/mu1.json" "$W/mu2.junit" "$W/mu3.json"
sed 's/"status":"killed"/"status":"dead"/' "$W/mu2.json" >"$W/mubad.json"
if cmp -s "$W/mu2.json" "$W/mubad.json"; then sed 's/"status":"survived"/"status":"dead"/' "$W/mu2.json" >"$W/mubad.json"; fi
expect2 "mutate: bad status" "mubad.json: \\$.mutants\[[0-9]+\].status: not killed" \
  "$T" mutate --merge-results "$W/mu1.json" "$W/mubad.json" "$W/mu3.json"

# ---- tasklab vary --format json|junit (issue 15): 4 scenarios (2 attack, 1 benign,
# 1 attack with few variants) in 3 slices; per-rule tallies recounted on merge
mkdir -p "$W/vs"
for n in seed-test-task atomic-t1053-005-02-local benign-onedrive atomic-t1053-005-10-ghosttask; do
  cp "$SRC/scenarios/$n.json" "$W/vs/"
done
for f in json junit; do
  "$T" vary --n 4 --format $f "$W/vs" >"$W/va.$f" 2>/dev/null || bad "vary $f exit $?"
  for i in 1 2 3; do "$T" vary --n 4 --format $f -j 2 --shard $i/3 "$W/vs" >"$W/va$i.$f" 2>/dev/null; done
  "$T" vary --merge-results "$W/va2.$f" "$W/va3.$f" "$W/va1.$f" >"$W/vam.$f"; rc=$?
  [ $rc = 0 ] && cmp -s <(nt "$W/va.$f") <(nt "$W/vam.$f") && ok ||
    bad "vary $f merge: exit $rc $(diff <(nt "$W/va.$f") <(nt "$W/vam.$f") | head -20)"
done
grep -q '"shard":[[:space:]]*"1/1"' "$W/vam.json" && ok || bad "merged vary JSON is not slice 1/1"
"$T" vary --merge-results --require default "$W/va1.json" "$W/va2.json" "$W/va3.json" >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && ok || bad "vary --require on the merge: exit $rc (nothing evades)"
"$T" vary --n 3 --format json --shard 2/3 "$W/vs" >"$W/vother2.json" 2>/dev/null
expect2 "vary: another run's options" "vother2.json: \\$.run.options: a different run: options '--n 3'" \
  "$T" vary --merge-results "$W/va1.json" "$W/vother2.json" "$W/va3.json"
expect2 "vary: mutate's report" "mu1.json: \\$.run.command: a report of tasklab mutate, not of tasklab vary" \
  "$T" vary --merge-results "$W/mu1.json" "$W/va2.json" "$W/va3.json"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
