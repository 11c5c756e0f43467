#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Honest active responses (issue 10): the exec mode works whatever file system
# the output folder is on, and an AR run that fails -- exits non-zero, is killed
# by the watchdog, or writes nothing -- is reported in the run's summary and
# makes `run`, `test` and `explain` exit 1, in every AR mode (wine: see
# tests/golden/ar_wine.sh, which runs the same scenario when Wine is there).
#
# usage: ar_failures.sh TASKLAB AR_EXE SOURCE_DIR
set -u
tasklab=$1
arexe=$2
home=$3
here=$home/tests/cli/ar
work=$(mktemp -d "${TMPDIR:-/tmp}/tasklab-arfail.XXXXXX")
shmwork=""
cleanup() { rm -rf "$work"; [ -n "$shmwork" ] && rm -rf "$shmwork"; }
trap cleanup EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run NAME EXPECTED_RC ARGS... : runs tasklab, keeps stdout/stderr in $work/NAME.{out,err}
run() {
  local name=$1 want=$2
  shift 2
  "$tasklab" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  if [ "$rc" != "$want" ]; then
    fail "$name: exit $rc, expected $want ($*)"
    sed 's/^/    out: /' "$work/$name.out" | head -20
    sed 's/^/    err: /' "$work/$name.err" | head -20
    return 1
  fi
  ok "$name: exit $rc"
  return 0
}
# expect_in NAME FILE-SUFFIX REGEX
expect_in() {
  if grep -Eq -- "$3" "$work/$1.$2"; then ok "$1: $2 matches '$3'"; else
    fail "$1: $2 lacks '$3'"; sed 's/^/    /' "$work/$1.$2" | head -20; fi
}

seed=$home/scenarios/seed-test-task.json
bad=$here/ar-bad-task-file.json

# 1. exec mode with the output on another file system than the AR program
#    (link() fails with EXDEV): the AR must still run and 115009 must appear.
dev_of() { stat -c %d "$1" 2>/dev/null; }
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(dev_of /dev/shm)" != "$(dev_of "$(dirname "$arexe")")" ]; then
  shmwork=$(mktemp -d /dev/shm/tasklab-arfail.XXXXXX)
  out=$shmwork/out
  echo "exec mode across file systems: AR in $(dirname "$arexe"), output in $out"
else
  out=$work/out
  echo "note: /dev/shm is missing or on the AR program's file system; the EXDEV case runs on one file system"
fi
if run exdev 0 run --ar exec --ar-exe "$arexe" --out "$out" "$seed"; then
  if grep -q '"id":"115009"' "$out/seed-test-task/alerts.json"; then ok "exdev: 115009 present"; else
    fail "exdev: 115009 missing from alerts.json"; fi
  inst="$out/seed-test-task/drive_c/Program Files (x86)/ossec-agent/active-response/bin/analyze-scheduled-task.exe"
  if [ -L "$inst" ]; then fail "exdev: the AR is installed as a symbolic link"; else ok "exdev: installed as a file"; fi
  expect_in exdev out '1 AR run$'
fi

# Fake AR programs (exec mode copies/links whatever --ar-exe names).
printf '#!/bin/sh\nexit 3\n' >"$work/ar-exit3"
printf '#!/bin/sh\nread -r line\nexit 0\n' >"$work/ar-silent"
printf '#!/bin/sh\nexec sleep 30\n' >"$work/ar-hang"
chmod 755 "$work/ar-exit3" "$work/ar-silent" "$work/ar-hang"

# 2. an AR that exits non-zero
run exit3 1 run --ar exec --ar-exe "$work/ar-exit3" --out "$work/o2" "$seed" &&
  { expect_in exit3 out 'AR run.*failed'; expect_in exit3 err 'exited with status 3'; }
# 3. an AR that writes nothing and exits 0
run silent 1 run --ar exec --ar-exe "$work/ar-silent" --out "$work/o3" "$seed" &&
  { expect_in silent out 'AR run.*failed'; expect_in silent err 'wrote nothing'; }
# 4. an AR that hangs: killed by the watchdog (--ar-timeout seconds, wall clock)
t0=$(date +%s)
run hang 1 run --ar exec --ar-exe "$work/ar-hang" --ar-timeout 1 --out "$work/o4" "$seed" &&
  { expect_in hang out 'AR run.*failed'; expect_in hang err 'timed out'; }
t1=$(date +%s)
if [ $((t1 - t0)) -le 20 ]; then ok "hang: killed after $((t1 - t0)) s"; else fail "hang: took $((t1 - t0)) s"; fi
run badtimeout 2 run --ar-timeout 0 "$seed"
# 5. test: a failed AR fails the scenario even when expectations and golden pass
run test_exit3 1 test --ar exec --ar-exe "$work/ar-exit3" "$seed" &&
  { expect_in test_exit3 out '^0 passed, 1 failed'; expect_in test_exit3 out 'active response'; }
# 6. a real AR error (the AR refuses a task file that is not XML, exit 1), in-process and exec
run bad_inproc 1 run --out "$work/o6" "$bad" &&
  { expect_in bad_inproc out 'AR run.*failed'; expect_in bad_inproc err 'not XML'; }
run bad_exec 1 run --ar exec --ar-exe "$arexe" --out "$work/o7" "$bad" &&
  { expect_in bad_exec out 'AR run.*failed'; expect_in bad_exec err 'exited with status 1: ERROR: .*not XML'; }
run bad_explain 1 explain "$bad"
run bad_test 1 test "$bad" && expect_in bad_test out 'active response'
# 7. a healthy run still exits 0 in-process and exec
run good_inproc 0 run --out "$work/o8" "$seed"
run good_exec 0 run --ar exec --ar-exe "$arexe" --out "$work/o9" "$seed"

echo "$fails failure(s)"
[ "$fails" = 0 ]
