#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab export (issue 13 item 5), round trips against the run itself:
#  - --format logtest lines fed to `tasklab logtest --winevt-as-json` give, in
#    order, the rules and levels of the run's alerts.json (level >= 3);
#  - --format ini fed to `tasklab ruleset-test` passes every case, and its cases
#    of level >= 3 are the run's alerts (rule and level), in order;
#  - --format queue is the oracle's .queue form: one JSON string a line,
#    "f:[001] (NAME) any->EventChannel:{...}" per forwarded record and
#    "1:[001] (NAME) any->LOCATION:LINE" per collected line;
#  - tasklab replay of the exported queue (its "1:" lines included: the AR's
#    collected output) gives the run's alerts, every field but timestamp and id,
#    and replay --format queue writes the capture back byte for byte;
#  - bad input: no --format, an unknown format, a missing scenario exit 2.
set -u
T=$1
SRC=$2
export TASKLAB_HOME=$SRC
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
pairs() { python3 -c '
import sys, json
for l in sys.stdin:
    l = l.strip()
    if not l: continue
    r = json.loads(l).get("rule") or {}
    if r.get("level", 0) >= 3: print(r["id"], r["level"])'; }

same_alerts() { python3 - "$1" "$2" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert a, "the run has no alert"
assert len(a) == len(b), ("alert count", len(a), len(b))
for i, (x, y) in enumerate(zip(a, b)):
    for k in set(x) | set(y):
        if k not in ("timestamp", "id"):
            assert x.get(k) == y.get(k), (i, k, x.get(k), y.get(k))
PY
}
replay_queue() { # replay_queue SCENARIO: the export's queue replayed == the run
  q=$W/$1.queue
  grep -q '^"1:' "$q" && ok || bad "$1: no 1: line in the exported queue"
  "$T" replay "$q" >"$W/$1.rq" 2>"$W/$1.rqerr" || bad "$1: replay of the queue: exit $?"
  grep -q damaged "$W/$1.rqerr" && bad "$1: replay of the queue: $(cat "$W/$1.rqerr")" || ok
  same_alerts "$W/run/$1/alerts.json" "$W/$1.rq" && ok || bad "$1: replay of the exported queue is not the run"
  "$T" replay --format queue "$q" 2>/dev/null | cmp -s - "$q" && ok || bad "$1: replay --format queue does not give the capture back"
}

for s in seed-test-task atomic-t1053-005-02-local; do
  S=$SRC/scenarios/$s.json
  "$T" run --out "$W/run" "$S" >/dev/null 2>&1 || bad "$s: run exit $?"
  pairs <"$W/run/$s/alerts.json" >"$W/$s.want"
  [ -s "$W/$s.want" ] && ok || bad "$s: the run has no alert to compare with"
  # logtest
  "$T" export --format logtest "$S" >"$W/$s.lines" || bad "$s: export logtest exit $?"
  "$T" logtest --winevt-as-json -j <"$W/$s.lines" 2>/dev/null | pairs >"$W/$s.lt"
  cmp -s "$W/$s.want" "$W/$s.lt" && ok || bad "$s: logtest on the exported lines: $(paste -d'|' "$W/$s.want" "$W/$s.lt" | tr '\n' ' ')"
  # ini
  "$T" export --format ini "$S" >"$W/$s.ini" || bad "$s: export ini exit $?"
  n=$(grep -c '^rule = ' "$W/$s.ini")
  "$T" ruleset-test "$W/$s.ini" >"$W/$s.rt" 2>&1; rc=$?
  [ $rc = 0 ] && grep -q "^$n passed, 0 failed" "$W/$s.rt" && ok || bad "$s: ruleset-test on the exported .ini: exit $rc $(tail -3 "$W/$s.rt")"
  awk '/^rule = / {r=$3} /^alert = / {if ($3 >= 3) print r, $3}' "$W/$s.ini" >"$W/$s.inipairs"
  cmp -s "$W/$s.want" "$W/$s.inipairs" && ok || bad "$s: the .ini's cases are not the run's alerts"
  grep -q '^decoder = json$' "$W/$s.ini" && ok || bad "$s: no decoder in the .ini"
  # queue
  "$T" export --format queue "$S" >"$W/$s.queue" || bad "$s: export queue exit $?"
  python3 - "$W/$s.queue" "$(grep -c . "$W/$s.lines")" <<'PY' && ok || bad "$s: queue form"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == int(sys.argv[2]), (len(lines), sys.argv[2])
f = [m for m in lines if m.startswith("f:")]
assert f and all(re.match(r"f:\[001\] \([^)]+\) any->EventChannel:\{\"(Message|Event)\":", m) for m in f), f[:1]
assert all(re.match(r"1:\[001\] \([^)]+\) any->[^:]+:", m) for m in lines if not m.startswith("f:"))
for m in f:
    json.loads(m.split("EventChannel:", 1)[1])
PY
  replay_queue "$s"
done
# Security and Sysmon records interleaved, with the AR's lines: file order, not EventRecordID order
s=atomic-t1053-005-08-hidden-xml-security-log
"$T" run --out "$W/run" "$SRC/scenarios/$s.json" >/dev/null 2>&1 || bad "$s: run exit $?"
"$T" export --format queue "$SRC/scenarios/$s.json" >"$W/$s.queue" || bad "$s: export queue exit $?"
replay_queue "$s"
"$T" export "$SRC/scenarios/seed-test-task.json" >/dev/null 2>"$W/e"; rc=$?
[ $rc = 2 ] && grep -q -- '--format' "$W/e" && ok || bad "no --format: exit $rc"
"$T" export --format csv "$SRC/scenarios/seed-test-task.json" >/dev/null 2>"$W/e"; rc=$?
[ $rc = 2 ] && ok || bad "unknown format: exit $rc"
"$T" export --format queue "$W/nope.json" >/dev/null 2>"$W/e"; rc=$?
[ $rc = 2 ] && grep -q 'nope.json' "$W/e" && ok || bad "missing scenario: exit $rc $(cat "$W/e")"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
