#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command-line basics a careful Unix tool has (issue 13, item 6):
#  - every command answers -h/--help with exit 0, and its help lists every
#    option the top-level usage gives it (both come from one option table);
#  - tasklab --version prints a version;
#  - no colour with NO_COLOR or TERM=dumb, colour otherwise, on a terminal;
#  - stdout is line-buffered even into a pipe or file (a CI log shows each
#    scenario as it finishes);
#  - progress on stderr only on a terminal;
#  - JUnit carries time attributes, and they are the only bytes that change;
#  - "1 event", not "1 events".
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }

# --- help on every command, from the command list of `tasklab --help`
"$tasklab" --help >"$tmp/usage" || bad "tasklab --help exit $?"
cmds=$(sed -n '/^commands:/,/^$/p' "$tmp/usage" | awk 'NR>1 && NF {print $1}')
[ "$(echo "$cmds" | wc -w)" -ge 8 ] && ok || bad "tasklab --help lists too few commands: $cmds"
# every command defined in the sources (a tl_cli_cmd … = {"name", …} of
# pipeline/cli/, the ones added later too: replay, mutate, lint, export, vary…)
# is listed, so the loop below reaches it
defined=$(cat "$home"/pipeline/cli/*.c | tr '\n' ' ' | grep -oE 'const tl_cli_cmd tl_cli_cmd_[a-z_]+_def = \{ *"[a-z-]+"' |
          sed 's/.*"\([a-z-]*\)"$/\1/' | sort -u)
[ "$(echo "$defined" | wc -w)" -ge 15 ] && ok || bad "could not read the command definitions: $defined"
for c in $defined; do
  echo "$cmds" | grep -qx "$c" && ok || bad "command $c is defined but not in tasklab --help (commands.c)"
done
for c in $cmds; do
  for h in --help -h; do
    if "$tasklab" "$c" $h >"$tmp/help" 2>"$tmp/err"; then ok; else bad "tasklab $c $h: exit $?"; continue; fi
    grep -q "^usage: tasklab $c" "$tmp/help" && ok || bad "tasklab $c $h: no usage line"
  done
  # every option the top-level synopsis shows for $c is in c's own help
  opts=$(awk -v c="$c" '/^options of each command:/ {on=1; next} on && /^  [a-z]/ {cur=$1} on && /^$/ {on=0}
         on && cur==c {print}' "$tmp/usage" | grep -oE '\[-{1,2}[A-Za-z-]+' | tr -d '[')
  for o in $opts; do
    grep -qE "^  $o( |,|$)" "$tmp/help" && ok || bad "tasklab $c --help does not describe $o"
  done
done
for o in --golden --verbose-warnings --strict-rules; do
  grep -q -- "$o" "$tmp/usage" && ok || bad "top-level usage omits $o"
done
"$tasklab" run --help | grep -q -- '--sysmon-config FILE' && ok || bad "run --help omits --sysmon-config"
"$tasklab" logtest --help | grep -q -- '-U RULE:LEVEL:DECODER' && ok || bad "logtest --help omits -U"
"$tasklab" run --bogus x.json 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown option '--bogus'" "$tmp/err" && ok || bad "unknown option: rc=$rc $(cat "$tmp/err")"

# --- version
v=$("$tasklab" --version) && ok || bad "tasklab --version exit $?"
echo "$v" | head -1 | grep -Eq '^tasklab [0-9a-z]' && ok || bad "tasklab --version printed: $v"
echo "$v" | grep -q '^wazuh profile: ' && ok || bad "tasklab --version does not name the wazuh profile's ruleset"

# --- colour: only on a terminal, and never with NO_COLOR or TERM=dumb
if command -v script >/dev/null 2>&1; then
  scen="$home/scenarios/seed-test-task.json"
  TERM=xterm script -qec "$tasklab explain $scen" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\033\[' "$tmp/tty" && ok || bad "explain on a terminal has no colour"
  TERM=xterm NO_COLOR=1 script -qec "$tasklab explain $scen" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\033\[' "$tmp/tty" && bad "explain colours with NO_COLOR set" || ok
  TERM=dumb script -qec "$tasklab explain $scen" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\033\[' "$tmp/tty" && bad "explain colours with TERM=dumb" || ok
  # progress on a terminal once the work has run TASKLAB_PROGRESS_AFTER seconds
  # (default 1; 0 here, so the check does not depend on the machine's speed),
  # never into a pipe or file
  TERM=xterm TASKLAB_PROGRESS_AFTER=0 script -qec "$tasklab test $home/scenarios/soak-benign-with-attack.json $scen" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\rtasklab test: [0-9]*/2' "$tmp/tty" && ok || bad "no progress line on a terminal"
  TERM=xterm TASKLAB_PROGRESS_AFTER=3600 script -qec "$tasklab test $scen" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\rtasklab test: ' "$tmp/tty" && bad "a progress line before TASKLAB_PROGRESS_AFTER" || ok
else
  echo "note: script(1) absent, terminal checks not run"
fi
TASKLAB_PROGRESS_AFTER=0 "$tasklab" test "$home/scenarios/soak-benign-with-attack.json" >/dev/null 2>"$tmp/err"
[ -s "$tmp/err" ] && bad "progress written to stderr that is not a terminal: $(head -c 200 "$tmp/err")" || ok

# --- line-buffered stdout: tasklab waits on a FIFO scenario after the first
# one; its first line must be in the output file by then.
python_free_scen='{"name": "late", "title": "late", "kind": "benign",
 "endpoint": {"hostname": "PC1", "users": [{"name": "alice", "admin": true}]},
 "start": "2024-01-01T00:00:00.000Z", "seed": 1, "steps": []}'
mkfifo "$tmp/late.json"
"$tasklab" run "$home/scenarios/seed-test-task.json" "$tmp/late.json" >"$tmp/lb" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -s "$tmp/lb" ] && break; sleep 0.1; done
if ! kill -0 $pid 2>/dev/null; then
  echo "note: tasklab did not wait on the FIFO scenario; line-buffering check not run"
elif grep -q '^seed-test-task ' "$tmp/lb"; then ok
else bad "stdout not line-buffered: nothing written while tasklab waits"; fi
printf '%s\n' "$python_free_scen" >"$tmp/late.json" 2>/dev/null &
wait $pid 2>/dev/null

# --- JUnit: time attributes, and nothing else differs between two runs
"$tasklab" test --junit "$tmp/j1.xml" "$home/scenarios/seed-test-task.json" >/dev/null
"$tasklab" test --junit "$tmp/j2.xml" "$home/scenarios/seed-test-task.json" >/dev/null
grep -q '<testsuite [^>]* time="[0-9.]*"' "$tmp/j1.xml" && ok || bad "JUnit testsuite has no time attribute"
grep -q '<testcase [^>]* time="[0-9.]*"' "$tmp/j1.xml" && ok || bad "JUnit testcase has no time attribute"
if cmp -s <(sed 's/ time="[0-9.]*"//g' "$tmp/j1.xml") <(sed 's/ time="[0-9.]*"//g' "$tmp/j2.xml"); then ok
else bad "two JUnit reports differ in more than times"; fi

# --- plurals
cat >"$tmp/one.json" <<'J'
{"name": "one", "title": "one registry key", "kind": "benign",
 "endpoint": {"hostname": "PC1", "users": [{"name": "alice", "admin": true}]},
 "start": "2024-01-01T00:00:00.000Z", "seed": 1,
 "steps": [{"at": 0, "user": "alice", "image": "C:\\Windows\\regedit.exe", "registry": {"op": "create_key",
   "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x"}}]}
J
"$tasklab" run "$tmp/one.json" >"$tmp/out" 2>&1
grep -q '1 event, 1 alert (115006 L6), 1 AR run$' "$tmp/out" && ok || bad "plurals: $(cat "$tmp/out")"
grep -q '^1 scenario run$' "$tmp/out" && ok || bad "plurals: $(cat "$tmp/out")"

# --- list, new, test --draft-expect
"$tasklab" list --kind benign --technique T1053 >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -q '^benign-onedrive  *benign T1053.005 ' "$tmp/out" && grep -q '^    source: https://' "$tmp/out" &&
  ! grep -q ' attack ' "$tmp/out" && grep -Eq '^[0-9]+ scenarios?$' "$tmp/out" && ok || bad "list: exit $rc $(head -5 "$tmp/out")"
"$tasklab" new --dir "$tmp" my-task.1 >/dev/null; rc=$?
[ $rc = 0 ] && [ -f "$tmp/my-task.1.json" ] && ok || bad "new: exit $rc"
cp "$tmp/my-task.1.json" "$tmp/before"
"$tasklab" new --dir "$tmp" my-task.1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q 'exists already' "$tmp/err" && cmp -s "$tmp/before" "$tmp/my-task.1.json" && ok || bad "new over an existing file: exit $rc"
for n in ../up -lead .dot 'a b' 'a/b'; do
  "$tasklab" new --dir "$tmp" -- "$n" >/dev/null 2>&1; rc=$?
  [ $rc = 2 ] && ok || bad "new accepted the name '$n'"
done
"$tasklab" test --expect-only "$tmp/my-task.1.json" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && ok || bad "the skeleton does not pass as written: $(cat "$tmp/out")"
"$tasklab" test --draft-expect "$tmp/my-task.1.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -q '{"count": 1, "match": {"rule.id": "115009", "rule.level": 10}' "$tmp/out" && grep -q 'nothing was written' "$tmp/err" &&
  cmp -s "$tmp/before" "$tmp/my-task.1.json" && ok || bad "draft-expect: exit $rc $(cat "$tmp/out" "$tmp/err")"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
