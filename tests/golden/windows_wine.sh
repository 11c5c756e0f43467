#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab.exe (the mingw-w64 build of ci/build-windows.sh) under Wine, against
# the Linux build given as LINUX_TASKLAB (issue 18). Modes:
#   library PROFILE  `tasklab.exe test --profile PROFILE` over the whole library:
#                    every scenario byte-identical to golden/PROFILE (tasklab
#                    test compares), and the report equal to the Linux build's
#                    (same lines, same order, no CR); then `run --out` over the
#                    library: every file written equal to the Linux build's
#   ruleset          `tasklab.exe ruleset-test` over the Wazuh reference .ini
#                    files (as unit.rstest_reference): the same report and exit
#                    status as the Linux build
#   hostile          the hostile corpus (tests/hostile/run_corpus.sh) through
#                    tasklab.exe: the same exit statuses and messages, and
#                    nothing outside the scratch folder's out/ and tmp/ touched
# Scenarios (or .ini cases) the Windows build gets wrong are listed in
# windows_known_failures.txt ("MODE[/PROFILE] NAME  # cause"); the list is
# printed every run, and the test fails when anything not listed fails or a
# listed item passes. Exit 77 (skipped, with the reason) when Wine, mingw-w64
# or ../shared is missing, or when the dependencies' Debian sources cannot be
# fetched, and for library profiles the rotation leaves out (TL_WINE_PROFILES);
# a Windows build that does not compile fails.
# usage: windows_wine.sh MODE LINUX_TASKLAB SOURCE_DIR [PROFILE]
set -u
mode=$1
linux=$2
home=$3
profile=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "windows_wine.sh[$mode${profile:+/$profile}]: $*"; }
for t in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
  command -v "$t" >/dev/null 2>&1 || { say "$t not found; skipping (ci/install-deps.sh installs it)"; exit 77; }
done
# CI time: one library profile per run, rotating with the commit (all three are
# covered every three commits; the sheet of issue 18's report has the figures).
# TL_WINE_PROFILES=all (or a comma list) runs the named ones.
if [ "$mode" = library ]; then
  sel=${TL_WINE_PROFILES:-auto}
  if [ "$sel" = auto ]; then
    h=$(git -C "$home" rev-parse --short=6 HEAD 2>/dev/null || echo 0)
    profiles=(default tasklab wazuh)
    sel=${profiles[$(( 16#${h:-0} % 3 ))]}
    why="rotation: commit $h runs the Wine library in profile $sel"
  else
    why="TL_WINE_PROFILES=$sel"
  fi
  if [ "$sel" != all ] && ! printf ',%s,' "$sel" | grep -q ",$profile,"; then
    say "$why; skipping (TL_WINE_PROFILES=all runs every profile)"; exit 77
  fi
fi
shared=${TASKLAB_SHARED:-$home/../shared}
[ -d "$shared/reference" ] || { say "$shared/reference not found; skipping"; exit 77; }
ms() { date +%s%N | cut -c1-13; }

# The Windows build (incremental; its dependency prefix is cached in the build dir).
wbuild=${TL_WIN_BUILD_DIR:-$home/build-windows}
t0=$(ms)
mkdir -p "$wbuild"
out=$(flock "$wbuild" "$home/ci/build-windows.sh" "$wbuild" 2>"$wbuild/.build.err")
rc=$?
if [ "$rc" = 77 ] || [ "$rc" = 75 ]; then
  say "the Windows build is unavailable here; skipping:"; tail -3 "$wbuild/.build.err"; exit 77
elif [ "$rc" != 0 ]; then
  say "the Windows build failed (exit $rc):"; tail -30 "$wbuild/.build.err"; exit 1
fi
exe_src=$(printf '%s\n' "$out" | grep 'tasklab\.exe$')
work=$(mktemp -d "${TMPDIR:-/tmp}/tasklab-win.XXXXXX")
work=$(cd "$work" && pwd -P)
# our own copy: another test may rebuild build-windows/ while this one runs
cp "$exe_src" "$work/tasklab.exe"
exe="$work/tasklab.exe"
t1=$(ms)

# wine.md §4: job-local prefix, quiet, no display; a persistent wineserver,
# killed on exit. The prefix is created fresh (~11 s idle).
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
cleanup() { wineserver -k >/dev/null 2>&1 || true; [ "${TL_WIN_KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
prep() { wineboot --init >"$work/wineboot.log" 2>&1 && wineserver -w && wineserver -p; }
if ! prep; then
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$WINEPREFIX"
  prep || { say "Wine could not prepare a prefix; skipping:"; tail -5 "$work/wineboot.log"; exit 77; }
fi
t2=$(ms)
say "Windows build (incremental) $((t1 - t0)) ms, Wine prefix $((t2 - t1)) ms"

known=$here/windows_known_failures.txt
key="$mode${profile:+/$profile}"
listed=$(grep -v '^#' "$known" 2>/dev/null | awk -v k="$key" '$1 == k {print $2}' | sort -u)
if [ -n "$listed" ]; then
  say "known failures of the Windows build ($known):"
  grep -v '^#' "$known" | awk -v k="$key" '$1 == k' | sed 's/^/  /'
fi
fail=0
# judge FAILED_NAMES PASSED_NAMES: against the known-failures list
judge() {
  local failed=$1 passed=$2 n
  for n in $failed; do
    printf '%s\n' "$listed" | grep -qxF -- "$n" || { say "FAIL $n (not a known failure)"; fail=1; }
  done
  for n in $listed; do
    printf '%s\n' "$passed" | grep -qxF -- "$n" && { say "FAIL $n is listed as a known failure but passes: remove it from the list"; fail=1; }
  done
}

case "$mode" in
library)
  [ -n "$profile" ] || { say "usage: library PROFILE"; exit 2; }
  # both from the source tree (TASKLAB_HOME), as golden.* tests run
  (cd "$home" && TASKLAB_HOME="$home" timeout 3000 wine "$exe" test -j 2 --profile "$profile") \
    >"$work/win.out" 2>"$work/win.err"
  wrc=$?
  t3=$(ms)
  (cd "$home" && TASKLAB_HOME="$home" "$linux" test -j 2 --profile "$profile") >"$work/lin.out" 2>"$work/lin.err"
  lrc=$?
  t4=$(ms)
  if grep -q $'\r' "$work/win.out"; then say "FAIL: CR in the Windows build's report"; fail=1; fi
  nscen=$(ls "$home"/scenarios/*.json | wc -l)
  failed=$(awk '$1 == "FAIL" || $1 == "ERROR" {print $2}' "$work/win.out")
  passed=$(awk '$1 == "PASS" {print $2}' "$work/win.out")
  npass=$(printf '%s\n' "$passed" | grep -c . || true)
  judge "$failed" "$passed"
  if [ -z "$listed" ]; then
    [ "$wrc" = 0 ] || { say "FAIL: exit $wrc"; fail=1; }
    grep -qx "$nscen passed, 0 failed" "$work/win.out" || { say "FAIL: expected '$nscen passed, 0 failed'"; fail=1; }
    if ! cmp -s "$work/win.out" "$work/lin.out"; then
      say "FAIL: the report differs from the Linux build's:"; diff "$work/lin.out" "$work/win.out" | head -20; fail=1
    fi
  fi
  [ "$lrc" = 0 ] || say "note: the Linux build itself exits $lrc here"
  # every file `run --out` writes (events, alerts, AR logs, the drive), byte for byte
  mkdir -p "$work/run-win" "$work/run-lin"
  (cd "$home" && TASKLAB_HOME="$home" timeout 3000 wine "$exe" run --profile "$profile" \
     --out "$work/run-win" scenarios/*.json) >"$work/run-win.out" 2>&1
  rwrc=$?
  t5=$(ms)
  (cd "$home" && TASKLAB_HOME="$home" "$linux" run --profile "$profile" --out "$work/run-lin" \
     scenarios/*.json) >"$work/run-lin.out" 2>&1
  rlrc=$?
  nfiles=$(find "$work/run-win" -type f | wc -l)
  if [ -z "$listed" ]; then
    [ "$rwrc" = "$rlrc" ] || { say "FAIL: run exits $rwrc under Wine, $rlrc on Linux"; fail=1; }
    if ! diff -r "$work/run-lin" "$work/run-win" >"$work/run.diff" 2>&1; then
      say "FAIL: run --out wrote other files or bytes than the Linux build:"; head -20 "$work/run.diff"; fail=1
    fi
    if ! diff <(sed "s#$work/run-lin#OUT#g" "$work/run-lin.out") <(sed "s#$work/run-win#OUT#g" "$work/run-win.out") >/dev/null; then
      say "FAIL: run's report differs from the Linux build's:"
      diff <(sed "s#$work/run-lin#OUT#g" "$work/run-lin.out") <(sed "s#$work/run-win#OUT#g" "$work/run-win.out") | head -10; fail=1
    fi
  fi
  say "run --out: $nfiles files, identical to the Linux build's: $([ -s "$work/run.diff" ] && echo no || echo yes); under Wine $((t5 - t4)) ms"
  tail -1 "$work/win.out"
  say "$npass of $nscen scenarios pass under Wine; library under Wine $((t3 - t2)) ms, on Linux $((t4 - t3)) ms (load $(cut -d' ' -f1-3 /proc/loadavg))"
  ;;
ruleset)
  ref=$shared/reference/wazuh-full
  [ -d "$ref/tests" ] || { say "$ref/tests not found; skipping"; exit 77; }
  args=(ruleset-test --ruleset "$ref" --test-ruleset "$ref/tests/engine/ruleset"
        --known-failures "$home/tests/unit/rstest_known_failures.txt")
  (cd "$home" && timeout 3000 wine "$exe" "${args[@]}" "$ref"/tests/*.ini "$ref"/tests/engine/*.ini) \
    >"$work/win.out" 2>"$work/win.err"
  wrc=$?
  t3=$(ms)
  (cd "$home" && "$linux" "${args[@]}" "$ref"/tests/*.ini "$ref"/tests/engine/*.ini) >"$work/lin.out" 2>"$work/lin.err"
  lrc=$?
  t4=$(ms)
  if [ -z "$listed" ]; then
    [ "$wrc" = "$lrc" ] || { say "FAIL: exit $wrc under Wine, $lrc on Linux"; fail=1; }
    for s in out err; do
      if ! cmp -s "$work/win.$s" "$work/lin.$s"; then
        say "FAIL: std$s differs from the Linux build's:"; diff "$work/lin.$s" "$work/win.$s" | head -20; fail=1
      fi
    done
  else
    judge "" ""
  fi
  tail -2 "$work/win.out"
  say "ruleset-test under Wine $((t3 - t2)) ms (exit $wrc), on Linux $((t4 - t3)) ms (exit $lrc) (load $(cut -d' ' -f1-3 /proc/loadavg))"
  ;;
hostile)
  # run_corpus.sh runs "$tasklab" ARGS from inside its scratch folder
  printf '#!/bin/sh\nexec wine "%s" "$@"\n' "$exe" >"$work/tasklab-wine"
  chmod +x "$work/tasklab-wine"
  "$home/tests/hostile/run_corpus.sh" "$work/tasklab-wine" "$home/tests/hostile" >"$work/win.out" 2>&1
  wrc=$?
  t3=$(ms)
  cat "$work/win.out"
  failed=$(awk '$1 == "FAIL" {sub(":", "", $2); print $2}' "$work/win.out" | sort -u)
  judge "$failed" "$(cd "$home/tests/hostile" && ls *.json | grep -vxF -f <(printf '%s\n' "$failed" | grep . || echo //))"
  [ -n "$listed" ] || [ "$wrc" = 0 ] || { say "FAIL: run_corpus.sh exit $wrc"; fail=1; }
  say "hostile corpus under Wine $((t3 - t2)) ms (load $(cut -d' ' -f1-3 /proc/loadavg))"
  ;;
*) say "unknown mode"; exit 2 ;;
esac
if [ "$fail" = 0 ]; then say "ok"; else say "failed"; fi
exit "$fail"
