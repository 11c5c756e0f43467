#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab report without a browser (ctest label `cli`):
#   - same input, same bytes: two reports (one thread, two threads) are
#     identical, and a report replaces a previous one in place;
#   - bad input exits 2 with one line and leaves nothing behind: a missing
#     scenario, a bad scenario, a missing or malformed --mutate file, an --out
#     that cannot be created, an --out that is a folder of other files (refused
#     and untouched);
#   - --mutate FILE.json adds the mutation section; without it there is none;
#   - a scenario whose every file name and field is markup still validates.
set -u
tasklab=$1 home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
scen=(seed-test-task tarrask-sd-delete benign-onedrive "$home/tests/report/html-hostile.json")

# determinism
"$tasklab" report -j 1 --out "$tmp/a" "${scen[@]}" >/dev/null 2>"$tmp/err" || { bad "report a: $(cat "$tmp/err")"; }
"$tasklab" report -j 2 --out "$tmp/b" "${scen[@]}" >/dev/null 2>"$tmp/err" || { bad "report b: $(cat "$tmp/err")"; }
if diff -r "$tmp/a" "$tmp/b" >"$tmp/diff"; then ok; else bad "two reports differ:"; head -20 "$tmp/diff"; fi
[ -f "$tmp/a/index.html" ] && [ -f "$tmp/a/seed-test-task.html" ] && [ -f "$tmp/a/report.css" ] && ok || bad "missing pages"
grep -q "$home" "$tmp/a"/*.html && bad "a page names the checkout's absolute path" || ok
# the timeline's rule chain: no unfilled $(field); the alert's rule as alerts.json has it
grep -qF '$(' "$tmp/a"/*.html && bad "a rule description with an unfilled \$(field): $(grep -oF -m1 '$(' "$tmp/a"/*.html)" || ok
grep -qF '<li class="fired"><code>115009</code> A new scheduled task &quot;test-task&quot; has been created on &quot;DESKTOP-4E0BQFT&quot;.' "$tmp/a/seed-test-task.html" && ok || bad "115009's filled description"
grep -qF 'by C:\\Windows\\system32\\svchost.exe <small class="filled"' "$tmp/a/seed-test-task.html" && ok || bad "a parent rule's filled, marked description"
# a report over a previous report: replaced, nothing else left
"$tasklab" report -j 2 --out "$tmp/a" "${scen[@]}" >/dev/null 2>"$tmp/err" && ok || bad "re-report: $(cat "$tmp/err")"
if diff -r "$tmp/a" "$tmp/b" >/dev/null; then ok; else bad "the replaced report differs"; fi
[ "$(ls -A "$tmp" | grep -c '^\.a\.')" = 0 ] && ok || bad "temporary folders left: $(ls -A "$tmp")"

check() { # name want_rc stderr_regex cmd...
  local name=$1 want=$2 re=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" != "$want" ] || ! grep -Eq -- "$re" "$tmp/err" || [ "$(wc -l <"$tmp/err")" != 1 ]; then
    bad "$name: rc=$rc (want $want)"; sed 's/^/  stderr: /' "$tmp/err" | head -5
  else ok; fi
}
check missing-scenario 2 "nosuch\.json: no such scenario file" "$tasklab" report --out "$tmp/c" "$tmp/nosuch.json"
[ -e "$tmp/c" ] && bad "missing-scenario: --out created" || ok
printf '{"name": "broken",\n  "title": }\n' >"$tmp/broken.json"
check bad-scenario 2 "broken\.json:2" "$tasklab" report --out "$tmp/c" "$tmp/broken.json"
[ -e "$tmp/c" ] && bad "bad-scenario: --out created" || ok
check missing-mutate 2 "nosuch-mutate\.json" "$tasklab" report --out "$tmp/c" --mutate "$tmp/nosuch-mutate.json" seed-test-task
printf '[1,\n2' >"$tmp/badmut.json"
check bad-mutate 2 "badmut\.json" "$tasklab" report --out "$tmp/c" --mutate "$tmp/badmut.json" seed-test-task
: >"$tmp/afile"
check unwritable-out 2 "afile/r" "$tasklab" report --out "$tmp/afile/r" seed-test-task
mkdir -p "$tmp/mine" && echo "precious" >"$tmp/mine/notes.txt"
check foreign-out 2 "not a tasklab report" "$tasklab" report --out "$tmp/mine" seed-test-task
[ "$(cat "$tmp/mine/notes.txt")" = precious ] && [ "$(ls -A "$tmp/mine")" = notes.txt ] && ok || bad "foreign-out: folder changed"
check no-out 2 "--out DIR is required" "$tasklab" report seed-test-task
# nothing half-written anywhere
[ "$(ls -A "$tmp" | grep -c '\.tmp-')" = 0 ] && ok || bad "temporary folders left: $(ls -A "$tmp")"
[ -e "$tmp/c" ] && bad "a failed report left --out behind" || ok

# a previous report that holds a file a person added: replaced, the file kept aside
echo "mine" >"$tmp/b/added.txt"
"$tasklab" report --out "$tmp/b" seed-test-task >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && ok || bad "report over a report with an added file: rc=$rc"
kept=$(ls -d "$tmp"/.b.old-* 2>/dev/null | head -1)
[ -n "$kept" ] && [ "$(cat "$kept/added.txt")" = mine ] && ok || bad "the added file was not kept"
[ -f "$tmp/b/index.html" ] && [ ! -e "$tmp/b/tarrask-sd-delete.html" ] && ok || bad "the new report is not in place"

# --mutate with what `tasklab mutate --format json` really writes (the studies fixture:
# rule 199001 and one scenario; "cut powershell" survives there, tests/studies/mutate.sh)
cp -r "$home/tests/studies/fixture" "$tmp/fx"
"$tasklab" mutate --rules "$tmp/fx/fixture_rules.xml" --golden "$tmp/fx/golden" --scenarios "$tmp/fx/one" \
  --format json >"$tmp/mut.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tasklab_mutate"]==1 and d["counts"]["survived"]>=1' "$tmp/mut.json" && ok || bad "mutate --format json fixture output"
nsurv=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["counts"]["survived"])' "$tmp/mut.json")
score=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f%%" % d["score"])' "$tmp/mut.json")
"$tasklab" report --out "$tmp/m" --mutate "$tmp/mut.json" seed-test-task >/dev/null 2>&1 && ok || bad "report --mutate"
grep -q 'id="mutation"' "$tmp/m/index.html" && ok || bad "no mutation section"
grep -qF "Mutation score: <strong>$score</strong>" "$tmp/m/index.html" && ok || bad "score $score not shown as mutate wrote it"
grep -qF "Survivors ($nsurv)" "$tmp/m/index.html" && ok || bad "survivor count $nsurv not shown"
grep -qF 'cut &quot;powershell&quot; from &lt;field name=&quot;win.eventdata.parentImage&quot;&gt;' "$tmp/m/index.html" &&
  grep -qF '<td>fixture-schtasks</td>' "$tmp/m/index.html" && ok || bad "the surviving mutant (escaped) and where it is tried are not listed"
# an object of another shape is refused, naming the JSON path
printf '{"score": 0.75, "killed": 3, "mutants": 4}' >"$tmp/oldmut.json"
check old-shape-mutate 2 'oldmut\.json.*tasklab_mutate' "$tasklab" report --out "$tmp/c" --mutate "$tmp/oldmut.json" seed-test-task
grep -q 'id="mutation"' "$tmp/a/index.html" && bad "a mutation section without --mutate" || ok

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
