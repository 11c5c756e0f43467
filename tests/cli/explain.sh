#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab explain answers more of "why" (issue 13 item 8, the parts done):
#  - an Event 12 line says CreateKey or DeleteKey (they looked alike);
#  - every rule of an alert's chain is printed with its description, parent first.
set -u
T=$1
SRC=$2
export TASKLAB_HOME=$SRC NO_COLOR=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
cat >"$W/keys.json" <<'J'
{"name": "keys", "title": "a TaskCache key created, then deleted", "kind": "benign",
 "endpoint": {"hostname": "PC1", "users": [{"name": "alice", "admin": true}]},
 "start": "2024-01-01T00:00:00.000Z", "seed": 1,
 "steps": [{"at": 0, "user": "alice", "image": "C:\\Windows\\regedit.exe", "registry": {"op": "create_key",
   "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x"}},
  {"at": 1, "user": "alice", "image": "C:\\Windows\\regedit.exe", "registry": {"op": "delete_key",
   "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x"}}]}
J
"$T" explain "$W/keys.json" >"$W/out" 2>&1 || bad "explain exit $?"
grep -q 'event 12 (step 1): CreateKey HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x ' "$W/out" && ok ||
  bad "no CreateKey on the step 1 Event 12 line: $(grep 'event 12' "$W/out")"
grep -q 'event 12 (step 2): DeleteKey HKLM\\' "$W/out" && ok || bad "no DeleteKey on the step 2 Event 12 line: $(grep 'event 12' "$W/out")"
"$T" explain "$SRC/scenarios/seed-test-task.json" >"$W/seed" 2>&1 || bad "explain seed exit $?"
# the alert's chain 7 -> 60000 -> 60004 -> 61600 -> 61614 -> 115006, each with its description
sed -n '/rule 115006 level 6 -> ALERT/,/decoder:/p' "$W/seed" >"$W/chain"
for r in 7 60000 60004 61600 61614 115006; do
  grep -qE "^      rule $r: [A-Za-z]" "$W/chain" && ok || bad "chain rule $r without its description: $(cat "$W/chain")"
done
grep -q '^      rule 115006: A Newly Scheduled Task' "$W/chain" && ok || bad "115006's description: $(cat "$W/chain")"
[ "$(grep -c '^      rule ' "$W/chain")" = 6 ] && ok || bad "chain lines: $(cat "$W/chain")"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
