#!/bin/sh
# SPDX-License-Identifier: MIT
# tasklab compare (issue 12): the library's two twins of shared recordings show
# only legitimate differences (exit 0, "0 real differences"), a deliberately
# wrong pairing fails (exit 1, a REAL line), --format json agrees with the text,
# bad input exits 2. Skipped (77) without ../shared/reference/evtx.
set -u
tl=$1
home=$2
export TASKLAB_HOME="$home"
shared=${TASKLAB_SHARED:-$home/../shared}
[ -d "$shared/reference/evtx" ] || { echo "skip: $shared/reference/evtx absent"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
mshta=Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx
rdll=AutomatedTestingTools/Malware/rundll32_cmd_schtask.evtx
twin() { # scenario recording aligned-at-least
  "$tl" compare "$home/scenarios/$1.json" "$2" >"$tmp/out" 2>&1; rc=$?
  [ $rc -eq 77 ] && { echo "skip: $(cat "$tmp/out")"; exit 77; }
  [ $rc -eq 0 ] || { bad "$1: exit $rc, want 0"; cat "$tmp/out"; }
  grep -q "^0 real differences" "$tmp/out" || bad "$1: real differences remain"
  n=$(sed -n 's/.*records, \([0-9]*\) aligned$/\1/p' "$tmp/out")
  [ "${n:-0}" -ge "$3" ] || bad "$1: $n records aligned, want at least $3"
}
twin mshta-dropper "$mshta" 2
twin evtx-rundll32-cmd-schtasks-xml "$rdll" 1
# the schtasks process of the twin is aligned with the recorded one and its command line is equal
"$tl" compare "$home/scenarios/mshta-dropper.json" "$mshta" | grep -q "= record 4129" || bad "mshta-dropper: schtasks not aligned with record 4129"
# wrong pairings: real differences, exit 1
for pair in "mshta-dropper $rdll" "evtx-rundll32-cmd-schtasks-xml $mshta" "seed-test-task $mshta"; do
  set -- $pair
  "$tl" compare "$home/scenarios/$1.json" "$2" >"$tmp/out" 2>&1; rc=$?
  [ $rc -eq 1 ] || bad "wrong pairing $1 / $2: exit $rc, want 1"
  grep -q "REAL" "$tmp/out" || bad "wrong pairing $1 / $2: no REAL line"
done
# JSON: the same counts
"$tl" compare --format json "$home/scenarios/mshta-dropper.json" "$rdll" >"$tmp/j.json"; rc=$?
[ $rc -eq 1 ] || bad "json wrong pairing: exit $rc"
python3 - "$tmp/j.json" <<'PY' || bad "json output"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tasklab_compare"] == 1 and d["real"] >= 1, d
assert d["real"] == sum(1 for x in d["differences"] if x["real"])
assert all(x["kind"] in ("field", "only_simulated", "only_recorded") for x in d["differences"])
PY
# bad input: exit 2
"$tl" compare "$home/scenarios/mshta-dropper.json" >/dev/null 2>&1; [ $? -eq 2 ] || bad "one operand: not exit 2"
"$tl" compare "$home/scenarios/mshta-dropper.json" "$tmp/none.evtx" >/dev/null 2>&1; [ $? -eq 2 ] || bad "missing recording: not exit 2"
printf 'not a recording' >"$tmp/junk.xml"
"$tl" compare "$home/scenarios/mshta-dropper.json" "$tmp/junk.xml" >/dev/null 2>&1; [ $? -eq 2 ] || bad "junk recording: not exit 2"
"$tl" compare "$home/scenarios/recorded-atexec-4698-4699.json" "$mshta" >/dev/null 2>&1; [ $? -eq 2 ] || bad "recording scenario: not exit 2"
"$tl" compare --format yaml "$home/scenarios/mshta-dropper.json" "$mshta" >/dev/null 2>&1; [ $? -eq 2 ] || bad "--format yaml: not exit 2"
"$tl" compare --help >/dev/null 2>&1 || bad "--help"
[ $fails -eq 0 ] && echo "compare: twins legitimate only, wrong pairings fail"
exit $((fails > 0))
