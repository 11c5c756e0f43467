#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the scenario library with the Windows build of analyze-scheduled-task under
# Wine (wine.md §4 environment, a fresh prefix, a persistent wineserver killed on
# exit) and compare alerts.json/events.xml with the golden files. Exit 77 when
# Wine or mingw-w64 is missing. Prints the time spent preparing the prefix.
set -euo pipefail
tasklab=$1
home=$2
for t in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
  command -v "$t" >/dev/null 2>&1 || { echo "ar_wine.sh: $t not found; skipping"; exit 77; }
done
exe="$home/build-mingw/analyze-scheduled-task.exe"
if [ ! -f "$exe" ]; then
  exe=$("$home/ci/build-windows-ar.sh" "$home/build-mingw") || { echo "ar_wine.sh: the Windows AR build is unavailable; skipping"; exit 77; }
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tasklab-arwine.XXXXXX")
# Our own copy: another test may rebuild build-mingw/ while this one runs.
cp "$exe" "$work/analyze-scheduled-task.exe"
exe="$work/analyze-scheduled-task.exe"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
t0=$(date +%s%N)
# Prefix set-up is environmental (Wine itself, not tasklab): retry once, and if
# Wine cannot make a prefix here, say why and report the test as skipped.
prep() { wineboot --init >"$work/wineboot.log" 2>&1 && wineserver -w && wineserver -p; }
if ! prep; then
  wineserver -k >/dev/null 2>&1 || true
  rm -rf "$WINEPREFIX"
  if ! prep; then
    echo "ar_wine.sh: Wine could not prepare a prefix; skipping:"; tail -5 "$work/wineboot.log"
    exit 77
  fi
fi
t1=$(date +%s%N)
"$tasklab" test --ar wine --ar-exe "$exe" --wineprefix "$WINEPREFIX" "$home/scenarios"
t2=$(date +%s%N)
echo "wine prefix set-up $(( (t1 - t0) / 1000000 )) ms, scenario library under wine $(( (t2 - t1) / 1000000 )) ms"
# A failed AR run counts under Wine too (issue 10): the Windows program refuses a
# task file that is not XML and exits 1; tasklab must say so and exit 1.
set +e
"$tasklab" run --ar wine --ar-exe "$exe" --wineprefix "$WINEPREFIX" \
  "$home/tests/cli/ar/ar-bad-task-file.json" >"$work/bad.out" 2>"$work/bad.err"
rc=$?
set -e
if [ "$rc" != 1 ] || ! grep -q 'exited with status 1: ERROR: .*not XML' "$work/bad.err"; then
  echo "ar_wine.sh: a failed AR run under Wine was not reported (exit $rc):"
  cat "$work/bad.out" "$work/bad.err"
  exit 1
fi
echo "failed AR run under Wine reported: $(cat "$work/bad.err")"
