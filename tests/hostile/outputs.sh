#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostile.outputs: what tasklab writes outside its drive (issue 10 items 3, 4, 8).
#  - `test --junit` onto a symbolic link writes the link's target (the link stays),
#    onto a FIFO writes into the FIFO (it stays a FIFO);
#  - `run --out OUT` refuses, with a message, while another process holds OUT's lock;
#  - a run removes what killed runs left in TMPDIR (tasklab-XXXXXX folders with a free
#    owner lock, *.<pid>.tmp~ of dead pids) and nothing else.
# Usage: outputs.sh TASKLAB SOURCE_DIR
set -u
tasklab=$1
home=$2
scen=$home/scenarios/seed-test-task.json
T=$(mktemp -d "${TMPDIR:-/tmp}/hostile-outputs.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
export CI=1 TMPDIR=$T/tmp
mkdir -p "$T/tmp" "$T/real"

# --- 3: --junit through a link and into a FIFO
echo old >"$T/real/junit.xml"
ln -s "$T/real/junit.xml" "$T/link.xml"
"$tasklab" test --junit "$T/link.xml" "$scen" >/dev/null 2>"$T/err"
[ -L "$T/link.xml" ] || bad "--junit replaced the symbolic link"
grep -q '<testsuite' "$T/real/junit.xml" || bad "--junit did not write the link's target"
mkfifo "$T/fifo.xml"
(timeout 60 cat "$T/fifo.xml" >"$T/from-fifo") &
reader=$!
timeout 120 "$tasklab" test --junit "$T/fifo.xml" "$scen" >/dev/null 2>"$T/err"
wait $reader
[ -p "$T/fifo.xml" ] || bad "--junit replaced the FIFO"
grep -q '<testsuite' "$T/from-fifo" || bad "nothing came out of the FIFO"

# --- 4: a second run into a locked --out
mkdir -p "$T/out"
if command -v flock >/dev/null; then
  touch "$T/out/.tasklab.lock"
  flock "$T/out/.tasklab.lock" -c "\"$tasklab\" run --out \"$T/out\" \"$scen\" >\"$T/o\" 2>\"$T/e\"; echo \$? >\"$T/rc\""
  [ "$(cat "$T/rc")" = 2 ] || bad "run into a locked --out exited $(cat "$T/rc"), expected 2"
  grep -q 'another tasklab run is writing into this folder' "$T/e" || bad "no clear message: $(cat "$T/e")"
  [ ! -e "$T/out/seed-test-task" ] || bad "the refused run wrote into --out"
  "$tasklab" run --out "$T/out" "$scen" >/dev/null 2>&1 || bad "run after the lock was released failed"
else
  echo "note: flock(1) absent, lock check not run"
fi

# --- 8: leftovers of killed runs
mkdir -p "$T/tmp/tasklab-Dead01/drive_c" "$T/tmp/tasklab-NoLck1"
: >"$T/tmp/tasklab-Dead01/owner.lock"
echo x >"$T/tmp/x.json.999999999.tmp~"
echo x >"$T/tmp/notes.tmp~"
echo x >"$T/tmp/tasklab-notes.txt"
"$tasklab" test "$scen" >/dev/null 2>&1
[ ! -e "$T/tmp/tasklab-Dead01" ] || bad "a dead run's temporary drive was not removed"
[ ! -e "$T/tmp/x.json.999999999.tmp~" ] || bad "a dead run's .tmp~ file was not removed"
for k in tasklab-NoLck1 notes.tmp~ tasklab-notes.txt; do
  [ -e "$T/tmp/$k" ] || bad "removed $k, which tasklab cannot prove it left"
done
left=$(ls -A "$T/tmp" | grep -v -x -e tasklab-NoLck1 -e notes.tmp~ -e tasklab-notes.txt)
[ -z "$left" ] || bad "runs left in TMPDIR: $left"
[ $fail = 0 ] && echo "hostile.outputs: all checks passed"
exit $fail
