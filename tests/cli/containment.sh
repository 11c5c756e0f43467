#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostile.containment (issue 10): the whole command surface on the hostile
# corpus under `strace -f`, failing when any path outside
#   - the output folder            W/out
#   - the private temporary folder W/tmp (TMPDIR: temporary drives)
#   - the Wine prefix of the test  W/prefix (and wineserver's /tmp/.wine-<uid>)
#   - /dev/null, /dev/tty
# is created, written, renamed, removed or has its metadata changed, by tasklab
# or any process it starts (the AR in exec and wine modes). Reading the
# read-only inputs (the source tree, ../shared, the corpus) is fine. The
# commands run from an empty working folder W/cwd that is NOT allowed, so a
# relative path escaping there counts too. Paths are resolved as the kernel
# saw them (tests/cli/containment_check.py).
#
# Corpus: every scenario of tests/hostile/ (and tests/cli/ar/), the .ini files
# and logtest inputs of tests/fuzz/corpus/{rstest_ini,logtest_stdin}.
# Commands: run (inproc, exec, exec with a temporary drive, wine when Wine and
# the Windows AR build exist), test (with --junit), explain, coverage, sysmon,
# logtest, ruleset-test. A command may fail (exit 1 or 2: the corpus is hostile)
# but must not crash (exit >= 125) or hang (300 s).
#
# With --wine, only the wine mode (hostile.containment_wine: label wine, left
# out of the sanitizer pass like the other Wine tests; exit 77 without Wine).
# Skips (exit 77) when strace or python3 is missing or ptrace is not allowed.
# usage: containment.sh [--wine] TASKLAB AR_EXE SOURCE_DIR
set -u
wine_mode=0
if [ "${1:-}" = --wine ]; then wine_mode=1; shift; fi
tasklab=$1
arexe=$2
home=$3
for t in strace python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "containment.sh: $t not found; skipping (ci/install-deps.sh installs it)"; exit 77; }
done
if ! strace -f -qq -o /dev/null true 2>/dev/null; then
  echo "containment.sh: strace cannot trace here (ptrace not permitted); skipping"
  exit 77
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tasklab-contain.XXXXXX")
W=$(cd "$W" && pwd -P)
keep=${TL_CONTAIN_KEEP:-0}
cleanup() { [ "$keep" = 1 ] || rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/out" "$W/tmp" "$W/cwd" "$W/traces"
export TMPDIR=$W/tmp
# LeakSanitizer cannot run under ptrace; leaks are hostile.corpus's business.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
unset CI_BLESS
checker=$home/tests/cli/containment_check.py

shopt -s dotglob nullglob # the corpus has files named ..json and ...json
scen=()
for f in "$home"/tests/hostile/*.json "$home"/tests/cli/ar/*.json; do [ -f "$f" ] && scen+=("$f"); done
if [ ${#scen[@]} -eq 0 ]; then echo "containment.sh: no hostile scenario found"; exit 1; fi
inis=("$home"/tests/fuzz/corpus/rstest_ini/*)
cat "$home"/tests/fuzz/corpus/logtest_stdin/* >"$W/logtest-input.txt"

allowed=("$W/out" "$W/tmp")
wine_ok=0
winexe=$home/build-mingw/analyze-scheduled-task.exe
if [ $wine_mode = 0 ]; then
  :
elif command -v wine >/dev/null 2>&1 && command -v wineboot >/dev/null 2>&1 && [ -f "$winexe" ]; then
  # the prefix is made before tracing (Wine's own set-up, ~10 s, not tasklab's)
  if WINEPREFIX=$W/prefix WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" \
     DISPLAY= timeout 300 wineboot --init >"$W/wineboot.log" 2>&1 &&
     WINEPREFIX=$W/prefix wineserver -w; then
    wine_ok=1
    allowed+=("$W/prefix" "/tmp/.wine-$(id -u)")
  else
    echo "containment.sh: Wine could not make a prefix; skipping"
    exit 77
  fi
else
  echo "containment.sh: Wine or build-mingw/analyze-scheduled-task.exe missing; skipping"
  exit 77
fi

n=0
fails=0
# trace NAME [--stdin FILE] ARGS... : one traced command
trace() {
  local name=$1
  shift
  local input=/dev/null
  if [ "$1" = --stdin ]; then input=$2; shift 2; fi
  n=$((n + 1))
  local pre=$W/traces/$n t0=$SECONDS
  (cd "$W/cwd" && timeout 300 strace -ff -y -x -s 65535 -qq \
     -e trace=%file,chdir,fchdir,clone,clone3,fork,vfork -o "$pre" \
     "$tasklab" "$@" <"$input" >"$W/traces/$n.out" 2>"$W/traces/$n.err")
  local rc=$?
  local v
  v=$(python3 "$checker" "$pre" "$W/cwd" "${allowed[@]}" -- /dev/null /dev/tty)
  local crc=$?
  if [ $rc -ge 124 ] || [ $crc -ne 0 ]; then
    fails=$((fails + 1))
    echo "FAIL $name: exit $rc"
    [ $rc -ge 124 ] && sed 's/^/    stderr: /' "$W/traces/$n.err" | tail -5
    [ -n "$v" ] && echo "$v" | head -20 | sed 's/^/    outside: /'
  else
    echo "ok   $name: exit $rc, nothing written outside ($((SECONDS - t0)) s)"
  fi
  rm -f "$pre".*
}

if [ $wine_mode = 0 ]; then
trace "run inproc" run --out "$W/out" "${scen[@]}"
trace "run exec" run --out "$W/out" --ar exec --ar-exe "$arexe" --ar-timeout 60 "${scen[@]}"
trace "run exec, temporary drive" run --ar exec --ar-exe "$arexe" --ar-timeout 60 "${scen[@]}"
trace "run inproc, temporary drive" run "${scen[@]}"
trace "test" test --junit "$W/out/junit.xml" -j 2 "${scen[@]}"
trace "coverage" coverage "${scen[@]}"
for f in "${scen[@]}"; do
  b=$(basename "$f")
  trace "explain $b" explain "$f"
  trace "sysmon $b" sysmon "$f"
done
trace "logtest" --stdin "$W/logtest-input.txt" logtest
trace "logtest -j" --stdin "$W/logtest-input.txt" logtest -j -v
trace "ruleset-test" ruleset-test "${inis[@]}"
fi
if [ $wine_ok = 1 ]; then
  export WINEDEBUG=-all
  # the prefix's own drive_c (reset before and after each scenario) on the whole corpus;
  # an --out drive (C: mapped to Z:\...) on the scenarios that write files
  trace "run wine, prefix drive" run --ar wine --ar-exe "$winexe" --wineprefix "$W/prefix" --ar-timeout 120 "${scen[@]}"
  few=()
  for f in "${scen[@]}"; do case "$(basename "$f")" in escape-*|ar-*) few+=("$f") ;; esac; done
  trace "run wine --out" run --out "$W/out" --ar wine --ar-exe "$winexe" --wineprefix "$W/prefix" --ar-timeout 120 "${few[@]}"
  WINEPREFIX=$W/prefix wineserver -k >/dev/null 2>&1 || true
fi
echo "$n traced commands on ${#scen[@]} scenarios, ${#inis[@]} .ini files; $fails failed"
[ $fails = 0 ]
