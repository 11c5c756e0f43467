#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# schtasks /create /s SRV02 (issue 14): the task goes to a host tasklab does not
# simulate. The run summary, console.txt (after schtasks' own SUCCESS line) and
# explain say "remote host SRV02 not simulated: no task created on it"; locally the
# events are Windows' own: schtasks' Event 1 and its taskschd.dll load, no 4698,
# and no task on this endpoint. Other verbs with /s say what they did not do.
set -u
T=$1
SRC=$2
export TASKLAB_HOME=$SRC NO_COLOR=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
cat >"$W/remote.json" <<'J'
{"name": "remote", "title": "schtasks /create /s to another host", "kind": "attack",
 "endpoint": {"hostname": "WS1", "channels": {"security": true, "taskscheduler": true},
              "users": [{"name": "alice", "admin": true}]},
 "start": "2024-01-01T00:00:00.000Z", "seed": 1,
 "steps": [{"at": 0, "user": "alice", "elevated": true,
            "command": "schtasks /create /s SRV02 /u CORP\\adm /p Pw1 /tn Updater /tr C:\\Windows\\Temp\\u.exe /sc onstart /ru SYSTEM"},
           {"at": 5, "user": "alice", "elevated": true, "command": "schtasks /run /s \\\\SRV02 /tn Updater"},
           {"at": 9, "user": "alice", "elevated": true, "command": "schtasks /create /s WS1 /tn Local /tr calc.exe /sc onlogon"}],
 "expect": [{"count": 1, "console": {"step": 0, "exit_code": 0,
             "output": "SUCCESS: The scheduled task \"Updater\" has successfully been created.\n",
             "notes[0]": "remote host SRV02 not simulated: no task created on it"}}]}
J
N='remote host SRV02 not simulated: no task created on it'
"$T" run --out "$W/out" "$W/remote.json" >"$W/run" 2>&1 || bad "run exit $?: $(cat "$W/run")"
grep -qF "note: \$.steps[0]: $N" "$W/run" && ok || bad "run summary lacks the note: $(cat "$W/run")"
grep -qF 'note: $.steps[1]: remote host SRV02 not simulated: no task run on it' "$W/run" && ok ||
  bad "run summary lacks the /run note: $(cat "$W/run")"
[ "$(grep -c 'note:' "$W/run")" = 2 ] && ok || bad "a local /s host got a note: $(cat "$W/run")"
C=$W/out/remote/console.txt
grep -qxF 'SUCCESS: The scheduled task "Updater" has successfully been created.' "$C" && ok ||
  bad "console.txt lacks schtasks' own line: $(cat "$C")"
grep -qxF "[tasklab] $N" "$C" && ok || bad "console.txt lacks the note: $(cat "$C")"
# the note follows schtasks' output, before the exit code
sed -n '/^\$.steps\[0\]/,/^exit code/p' "$C" | tail -2 | head -1 | grep -qxF "[tasklab] $N" && ok ||
  bad "note not right before 'exit code': $(cat "$C")"
E=$W/out/remote/events.xml
grep -q "<EventID>1</EventID>.*schtasks  /create /s SRV02" "$E" && ok || bad "no Event 1 of schtasks"
grep -q "<EventID>7</EventID>.*taskschd.dll" "$E" && ok || bad "no Event 7 taskschd.dll"
grep -c "<EventID>4698</EventID>" "$E" | grep -qx 1 && ok || bad "want exactly one 4698 (the local task): $(grep -c 4698 "$E")"
grep -q "<Data Name='TaskName'>\\\\Updater<" "$E" && bad "a local event names \\Updater" || ok
grep -qF '"Path":"\\Updater"' "$W/out/remote/tasks.json" && bad "\\Updater is on this endpoint" || ok
grep -qF '"Path":"\\Local"' "$W/out/remote/tasks.json" && ok || bad "/s WS1 (this host) created no task"
"$T" explain "$W/remote.json" >"$W/explain" 2>&1 || bad "explain exit $?"
grep -qF "tasklab: $N" "$W/explain" && ok || bad "explain lacks the note: $(sed -n '1,30p' "$W/explain")"
grep -qF "note: \$.steps[0]: $N" "$W/explain" && ok || bad "explain's summary lacks the note"
"$T" test --expect-only "$W/remote.json" >"$W/test" 2>&1 && ok || bad "console notes expectation: $(cat "$W/test")"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
