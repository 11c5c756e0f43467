#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the libFuzzer targets of tests/fuzz/ (clang, -DTL_BUILD_FUZZERS=ON, in
# build-fuzz/), each for SECONDS, on a scratch copy of its committed corpus.
#
#   ci/fuzz.sh [SECONDS] [TARGET...]       default: 60 s, every target
#   FUZZ_JOBS=2 ci/fuzz.sh 600 rstest_ini logtest_stdin
#
# Inputs go up to -max_len=65536 (libFuzzer's own default is the largest seed
# or 4096 bytes, which kept every target below 4 KiB before issue 10: the
# scenario, ini and logtest readers have limits above that). New inputs land in
# build-fuzz/fuzz-out/<target>/corpus (never in the committed corpus: pick the
# interesting ones by hand, e.g. with -merge=1 into a fresh folder); a finding
# is build-fuzz/fuzz-out/<target>/crash-*, and the script exits 1.
# Runs under `nice -n 10` (the machine is shared). Prints one line per target:
#   <target>: <execs> execs in <s> s, corpus <n> inputs, max_len 65536, no finding
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
build=${FUZZ_BUILD:-$here/build-fuzz}
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-65536}
if [ ! -x "$build/tests/scenario_fuzzer" ]; then
  CC=clang cmake -S "$here" -B "$build" -DTL_BUILD_FUZZERS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
  nice -n 10 cmake --build "$build" -j2 >/dev/null || exit 2
fi
if [ $# -eq 0 ]; then
  set -- $(cd "$here/tests/fuzz/corpus" && ls)
fi
run_one() {
  local t=$1 out=$build/fuzz-out/$1
  rm -rf "$out"
  mkdir -p "$out/corpus"
  cp -r "$here/tests/fuzz/corpus/$t/." "$out/corpus/"
  local dict=()
  [ -f "$here/tests/fuzz/$t.dict" ] && dict=(-dict="$here/tests/fuzz/$t.dict")
  (cd "$out" && TMPDIR=$out nice -n 10 "$build/tests/${t}_fuzzer" corpus "${dict[@]}" \
    -max_total_time="$secs" -max_len="$max_len" -timeout=25 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$out/" >"$out/log" 2>&1)
  local rc=$?
  local execs secs_run n
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  secs_run=$(sed -n 's/^stat::.*average_exec_per_sec: *//p' "$out/log" | tail -1)
  n=$(ls "$out/corpus" | wc -l)
  if [ $rc -eq 0 ] && ! ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* >/dev/null 2>&1; then
    echo "$t: ${execs:-?} execs in $secs s (${secs_run:-?}/s), corpus $n inputs, max_len $max_len, no finding"
  else
    echo "$t: FINDING (exit $rc) after ${execs:-?} execs: $(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | tr '\n' ' ')"
    grep -m5 -E 'ERROR|SUMMARY|==[0-9]+==' "$out/log" | sed 's/^/    /'
    return 1
  fi
}
fail=0
pids=()
for t in "$@"; do
  if [ ! -x "$build/tests/${t}_fuzzer" ]; then echo "$t: no fuzzer binary in $build/tests"; fail=1; continue; fi
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || fail=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
