#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same scenarios give the same bytes: run the whole library twice through
# `tasklab run`, and through `tasklab test` with -j 1 and -j 2 (both must pass
# against the same golden files).
set -euo pipefail
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$tasklab" run --out "$tmp/a" "$home/scenarios" >/dev/null
"$tasklab" run --out "$tmp/b" "$home/scenarios" >/dev/null
# drive_c holds the endpoint's files: compare everything.
if ! diff -r "$tmp/a" "$tmp/b" >"$tmp/diff"; then
  echo "two runs differ:"; head -50 "$tmp/diff"; exit 1
fi
"$tasklab" test -j 1 "$home/scenarios" >"$tmp/j1" || { cat "$tmp/j1"; exit 1; }
"$tasklab" test -j 2 "$home/scenarios" >"$tmp/j2" || { cat "$tmp/j2"; exit 1; }
diff "$tmp/j1" "$tmp/j2" || { echo "-j 1 and -j 2 print different results"; exit 1; }
echo "identical bytes across runs and -j"
