#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tasklab bench rules --input FILE --out ALERTS` (issue 11): the A/B input
# form (one JSON string a line, made by `tasklab bench queue`) is replayed and
# every alert is written to ALERTS as an alerts.json line, as many as the
# figure line reports; a bad input line is exit 2 naming file and line. No
# timing is asserted (speed is measured by the benchmark, not by tests).
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL $*"; fails=$((fails+1)); }

"$tasklab" bench --help >/dev/null 2>&1 || bad "bench --help: exit $?"
"$tasklab" bench queue --out "$tmp/lib.queue" >"$tmp/q.out" 2>"$tmp/q.err" || bad "bench queue: exit $?"
head -n 400 "$tmp/lib.queue" >"$tmp/in.queue"
[ "$(wc -l <"$tmp/in.queue")" -eq 400 ] || bad "bench queue wrote fewer than 400 messages"
"$tasklab" bench rules --input "$tmp/in.queue" --out "$tmp/alerts.json" --runs 2 \
  >"$tmp/r.out" 2>"$tmp/r.err" || bad "bench rules --input --out: exit $?"
n=$(sed -n 's/.*, \([0-9]*\) alerts\/run written to .*/\1/p' "$tmp/r.out")
[ -n "$n" ] && [ "$n" -gt 0 ] || bad "no alert count in: $(cat "$tmp/r.out")"
[ "$(wc -l <"$tmp/alerts.json")" -eq "${n:-0}" ] || bad "alerts.json has $(wc -l <"$tmp/alerts.json") lines, the figure says ${n:-?}"
grep -vc '^{"timestamp":".*"rule":{.*"location":' "$tmp/alerts.json" | grep -qx 0 ||
  bad "a line of alerts.json is not an alert"
# the same messages give the same alerts, whatever the run
"$tasklab" bench rules --input "$tmp/in.queue" --out "$tmp/alerts2.json" --runs 1 >/dev/null 2>&1
cmp -s "$tmp/alerts.json" "$tmp/alerts2.json" || bad "two runs wrote different alerts"
printf '"1:x:ok"\nnot json\n' >"$tmp/bad.queue"
"$tasklab" bench rules --input "$tmp/bad.queue" --runs 1 >/dev/null 2>"$tmp/bad.err"
rc=$?
[ $rc -eq 2 ] || bad "bad input line: exit $rc, want 2"
grep -q "bad.queue:2" "$tmp/bad.err" || bad "the error does not name file and line: $(cat "$tmp/bad.err")"
[ $fails -eq 0 ] && echo "bench_alerts: all checks passed"
exit $((fails > 0))
