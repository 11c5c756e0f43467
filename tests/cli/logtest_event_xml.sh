#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# logtest accepts what users paste (issue 13 item 7): a bare <Event> record
# of tasklab's own events.xml, or of `wevtutil qe /f:xml` (double-quoted
# attributes), is wrapped as the agent forwards it and reaches the blog's
# rule; a whole events.xml piped in needs no editing; logtest --help lists
# the accepted forms.
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
ev=$home/golden/default/seed-test-task.events.xml
grep -m1 CreateKey "$ev" >"$tmp/line"
"$tasklab" logtest -U 115006:6:windows_eventchannel <"$tmp/line" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^Unit test OK$' "$tmp/out" && ok || bad "events.xml record: exit $rc: $(tail -3 "$tmp/out")"
sed "s/'/\"/g" "$tmp/line" | "$tasklab" logtest -U 115006:6:windows_eventchannel >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && ok || bad "wevtutil-style record: exit $rc: $(tail -3 "$tmp/out")"
"$tasklab" logtest -j <"$ev" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/err" ] && ok || bad "whole events.xml: exit $rc $(head -3 "$tmp/err")"
[ "$(wc -l <"$tmp/out")" = "$(grep -c '^<Event ' "$ev")" ] && ok || bad "whole events.xml: one output per record expected"
grep -q '"id":"115006"' "$tmp/out" && ok || bad "whole events.xml: rule 115006 did not fire"
"$tasklab" logtest --help >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -q '<Event xmlns=...>...</Event>' "$tmp/out" && grep -q -- '--winevt-as-json' "$tmp/out" && ok ||
  bad "logtest --help: exit $rc, accepted forms not listed"
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
