#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostile.corpus: run every scenario of tests/hostile/expect.tsv through
# `tasklab <command>` inside a scratch folder T laid out as
#     T/out/     the --out folder
#     T/tmp/     TMPDIR (temporary drives)
#     T/canary/  files nobody may touch
# and check the exit status, the stderr substring, and that nothing outside
# T/out and T/tmp changed: the canary folder keeps its exact content and T
# gains no new entry. The payloads climb exactly three levels from
# T/out/<name>/drive_c, so an escape lands in T/canary and is caught here
# instead of touching the real host.
# Usage: run_corpus.sh TASKLAB HOSTILE_DIR [FILE...]
set -u
tasklab=$1
dir=$2
shift 2
only=("$@")
fail=0
n=0
snapshot() { (cd "$1" && find . -printf '%p %y %s\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }
while IFS=$'\t' read -r file cmd want_rc want_err; do
  case "$file" in ''|'#'*) continue ;; esac
  if [ ${#only[@]} -gt 0 ]; then
    keep=0; for o in "${only[@]}"; do [ "$o" = "$file" ] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  n=$((n + 1))
  T=$(mktemp -d "${TMPDIR:-/tmp}/hostile-corpus.XXXXXX")
  mkdir -p "$T/out" "$T/tmp" "$T/canary/sub"
  echo keep >"$T/canary/keep.txt"
  echo keep >"$T/canary/sub/deep.txt"
  before=$(snapshot "$T/canary")
  top_before=$(ls -A "$T")
  case "$cmd" in
    run) args=(run --out "$T/out" "$dir/$file") ;;
    test) args=(test --expect-only "$dir/$file") ;;
    explain) args=(explain "$dir/$file") ;;
    *) echo "FAIL $file: unknown command '$cmd' in expect.tsv"; fail=1; rm -rf "$T"; continue ;;
  esac
  (cd "$T/out" && TMPDIR="$T/tmp" CI=1 timeout 120 "$tasklab" "${args[@]}") >"$T/stdout" 2>"$T/stderr"
  rc=$?
  msg=""
  [ "$rc" = "$want_rc" ] || msg="exit $rc, expected $want_rc"
  # `test` reports a scenario's error in its per-scenario report on stdout
  if [ -n "$want_err" ] && ! cat "$T/stderr" "$T/stdout" | grep -qF -- "$want_err"; then
    msg="$msg; output lacks '$want_err'"
  fi
  if [ "$rc" = 2 ] && ! grep -q 'tasklab: ..*[^ ]' "$T/stderr" && ! grep -q '^ERROR ' "$T/stdout"; then
    msg="$msg; exit 2 without a message"
  fi
  if [ ! -d "$T/canary" ] || [ "$(snapshot "$T/canary")" != "$before" ]; then
    msg="$msg; the canary folder next to --out changed"
  fi
  top_after=$(ls -A "$T" | grep -vx -e stdout -e stderr)
  [ "$top_after" = "$top_before" ] || msg="$msg; new entries next to --out: $(echo $top_after)"
  if [ -n "$msg" ]; then
    echo "FAIL $file ($cmd): ${msg#; }"
    sed 's/^/    stderr: /' "$T/stderr" | head -5
    fail=1
  else
    echo "ok   $file ($cmd): exit $rc"
  fi
  rm -rf "$T"
done <"$dir/expect.tsv"
if [ "$n" = 0 ]; then echo "no case ran"; exit 1; fi
exit $fail
