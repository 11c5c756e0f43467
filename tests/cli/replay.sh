#!/bin/sh
# SPDX-License-Identifier: MIT
# tasklab replay from the outside: what a user sees for good and bad recordings.
# usage: replay.sh TASKLAB
set -u
T=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
check() { # check DESC EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, expected $2"; fail=1; else echo "ok: $1"; fi
}
printf "<Event xmlns='e'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><EventRecordID>2</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System><EventData><Data Name='Image'>C:\\\\x.exe</Data></EventData></Event>\n<Event xmlns='e'><System><EventRecordID>1</EventRecordID></System></Event>\n" > "$W/two.xml"
"$T" replay --format queue "$W/two.xml" > "$W/q" 2> "$W/err"; check "XML export, --format queue" 0 $?
[ "$(wc -l < "$W/q")" = 2 ] || { echo "FAIL: expected 2 queue lines"; fail=1; }
head -1 "$W/q" | grep -q '^"f:\[001\] (evtx-lab) any->EventChannel:{\\"Event\\":\\"<Event xmlns=.e.><System><EventRecordID>1<' \
    || { echo "FAIL: first queue line is not record 1 as a JSON string: $(head -1 "$W/q")"; fail=1; }
grep -q 'two  *2 records' "$W/err" || { echo "FAIL: no summary line: $(cat "$W/err")"; fail=1; }
"$T" replay --agent 007:ws9 --format queue --out "$W/o" "$W/two.xml" > /dev/null 2>&1; check "--out" 0 $?
grep -q '(ws9)' "$W/o/"*"two/"*two.queue || { echo "FAIL: --agent or --out"; fail=1; }
"$T" replay --agent bad "$W/two.xml" > /dev/null 2>&1; check "--agent without ID:" 2 $?
: > "$W/empty.evtx"
"$T" replay "$W/empty.evtx" > /dev/null 2> "$W/err"; check "empty file" 2 $?
grep -q 'empty.evtx: empty file' "$W/err" || { echo "FAIL: message: $(cat "$W/err")"; fail=1; }
printf 'PK\003\004 not a log' > "$W/zip.evtx"
"$T" replay "$W/zip.evtx" > /dev/null 2> "$W/err"; check "not a recording" 2 $?
grep -q 'zip.evtx: not a recording' "$W/err" || { echo "FAIL: message: $(cat "$W/err")"; fail=1; }
"$T" replay /dev/zero > /dev/null 2>&1; check "/dev/zero (never read)" 2 $?
mkfifo "$W/fifo" 2>/dev/null && { "$T" replay "$W/fifo" > /dev/null 2>&1; check "a FIFO (never opened)" 2 $?; }
printf 'ElfFile\000' > "$W/hdr.evtx"; head -c 8000 /dev/zero >> "$W/hdr.evtx"
"$T" replay --format queue "$W/hdr.evtx" > /dev/null 2>&1; rc=$?
[ $rc = 2 ] || [ $rc = 77 ] || { echo "FAIL: EVTX header + zeros: exit $rc"; fail=1; }
# a file with one good record and a cut one: the good one is replayed, the damage named
printf "<Event><System><EventRecordID>1</EventRecordID></System></Event><Event><System><EventRecordID>2</Eve" > "$W/cut.xml"
"$T" replay --format queue "$W/cut.xml" > "$W/q" 2> "$W/err"; check "truncated export" 0 $?
grep -q 'damaged: record 2: cut short' "$W/err" || { echo "FAIL: damage not reported: $(cat "$W/err")"; fail=1; }
exit $fail
