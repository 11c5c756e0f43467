#!/bin/sh
# SPDX-License-Identifier: MIT
# Recording scenarios (issue 12): a scenario that names a recording instead of
# steps. Checks, on a small XML export written here (no shared data needed):
#  - names are validated ("..", absolute, backslash, unknown extension) and
#    "recording" excludes endpoint/steps: exit 2, one line naming $.recording;
#  - a recording found in the scenario's folder runs through test/explain;
#  - the golden files hold digests only: no text of the recording, and a change
#    of one data value (not shown in any rule description) fails the comparison;
#  - a link in the scenario's folder pointing outside it is refused (exit 2);
#  - a recording in neither place, with ../shared absent, is SKIPPED (exit 77).
set -u
tl=$1
home=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { :; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
export TASKLAB_HOME="$home" TASKLAB_SHARED="$tmp/no-shared"
unset CI || true

mkdir -p "$tmp/s" "$tmp/g"
rec() { # $1 = the value of a data field nothing describes
  cat <<XML
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-A5BA-3E3B0328C30D}"/><EventID>4698</EventID><Version>1</Version><Level>0</Level><Task>12804</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime="2024-05-01T10:00:00.000000000Z"/><EventRecordID>77</EventRecordID><Correlation/><Execution ProcessID="4" ThreadID="8"/><Channel>Security</Channel><Computer>LAB-PC</Computer><Security/></System><EventData><Data Name="SubjectUserSid">S-1-5-18</Data><Data Name="SubjectUserName">LAB-PC\$</Data><Data Name="SubjectDomainName">WORKGROUP</Data><Data Name="SubjectLogonId">0x3e7</Data><Data Name="TaskName">\\RecTask</Data><Data Name="TaskContent">$1</Data></EventData></Event>
</Events>
XML
}
rec "UNIQUEMARKER-one" > "$tmp/s/lab.xml"
cat > "$tmp/s/rec-ok.json" <<'J'
{"name": "rec-ok", "title": "t", "kind": "attack", "recording": "lab.xml",
 "expect": [{"count": 1, "match": {"rule.id": "60228", "data.win.eventdata.taskName": "\\\\RecTask"}}]}
J
out=$("$tl" test --profile default --golden "$tmp/g" --bless "$tmp/s/rec-ok.json" 2>&1); rc=$?
[ $rc -eq 0 ] || bad "bless of a recording scenario: rc=$rc: $out"
[ -f "$tmp/g/rec-ok.alerts.digest" ] && [ -f "$tmp/g/rec-ok.events.xml.sha256" ] || bad "no digest golden files: $(ls "$tmp/g")"
[ -e "$tmp/g/rec-ok.alerts.json" ] && bad "an alerts.json golden file was written for a recording"
grep -q '"id":"60228"' "$tmp/g/rec-ok.alerts.digest" || bad "digest lacks the rule id"
grep -q '"sha256":"[0-9a-f]\{64\}"' "$tmp/g/rec-ok.alerts.digest" || bad "digest lacks the sha256"
if grep -rq "UNIQUEMARKER\|RecTask\|LAB-PC" "$tmp/g"; then bad "golden files hold the recording's text"; fi
out=$("$tl" test --profile default --golden "$tmp/g" "$tmp/s/rec-ok.json" 2>&1); rc=$?
[ $rc -eq 0 ] || bad "test after bless: rc=$rc: $out"
"$tl" explain "$tmp/s/rec-ok.json" 2>&1 | grep -q "Security event 4698 (record 77)" || bad "explain does not show the record"
# one data value changes: the digest must notice
rec "UNIQUEMARKER-two" > "$tmp/s/lab.xml"
out=$("$tl" test --profile default --golden "$tmp/g" "$tmp/s/rec-ok.json" 2>&1); rc=$?
[ $rc -eq 1 ] || bad "a changed data value passed the golden comparison (rc=$rc): $out"
echo "$out" | grep -q "rec-ok.alerts.digest differs" || bad "no digest difference reported: $out"
if echo "$out" | grep -q "UNIQUEMARKER"; then bad "the report shows the recording's text"; fi

# bad names and combinations: exit 2, one line naming $.recording (or the key)
badcase() { # $1 = file stem, $2 = JSON, $3 = expected text
  printf '%s\n' "$2" > "$tmp/s/$1.json"
  out=$("$tl" test --profile default --golden "$tmp/g" "$tmp/s/$1.json" 2>&1); rc=$?
  [ $rc -eq 2 ] || bad "$1: rc=$rc, expected 2: $out"
  echo "$out" | grep -q -- "$3" || bad "$1: message lacks '$3': $out"
}
badcase dotdot '{"name":"dotdot","title":"t","kind":"benign","recording":"../s/lab.xml"}' '\$\.recording: invalid recording name'
badcase abs '{"name":"abs","title":"t","kind":"benign","recording":"/etc/passwd.xml"}' '\$\.recording: invalid recording name'
badcase bslash '{"name":"bslash","title":"t","kind":"benign","recording":"a\\b.xml"}' '\$\.recording: invalid recording name'
badcase ext '{"name":"ext","title":"t","kind":"benign","recording":"lab.txt"}' '\$\.recording: invalid recording name'
badcase inner '{"name":"inner","title":"t","kind":"benign","recording":"a/../lab.xml"}' '\$\.recording: invalid recording name'
badcase steps '{"name":"steps","title":"t","kind":"benign","recording":"lab.xml","steps":[]}' '\$\.steps: not allowed with "recording"'
badcase endpoint '{"name":"endpoint","title":"t","kind":"benign","recording":"lab.xml","endpoint":{"hostname":"X"}}' '\$\.endpoint: not allowed'
badcase number '{"name":"number","title":"t","kind":"benign","recording":7}' '\$\.recording: expected a string'
# a link in the scenario's folder that leaves it
mkdir -p "$tmp/outside"
cp "$tmp/s/lab.xml" "$tmp/outside/o.xml"
ln -s "$tmp/outside/o.xml" "$tmp/s/link.xml"
badcase link '{"name":"link","title":"t","kind":"benign","recording":"link.xml"}' 'resolves outside'
# neither in the folder nor in an absent ../shared: skipped, never passed
printf '%s\n' '{"name":"gone","title":"t","kind":"benign","recording":"Execution/nothere.evtx"}' > "$tmp/s/gone.json"
out=$("$tl" test --profile default --golden "$tmp/g" "$tmp/s/gone.json" 2>&1); rc=$?
[ $rc -eq 77 ] || bad "missing recording without ../shared: rc=$rc, expected 77 (skipped): $out"
echo "$out" | grep -q "0 passed, 0 failed, 1 skipped" || bad "not reported as skipped: $out"
# with ../shared present but the file missing there and here: an error
mkdir -p "$tmp/fake-shared/reference/evtx"
out=$(TASKLAB_SHARED="$tmp/fake-shared" "$tl" test --profile default --golden "$tmp/g" "$tmp/s/gone.json" 2>&1); rc=$?
[ $rc -eq 2 ] || bad "missing recording with ../shared present: rc=$rc, expected 2: $out"
# a recording scenario has nothing to simulate
out=$("$tl" sysmon "$tmp/s/rec-ok.json" 2>&1); rc=$?
[ $rc -eq 2 ] || bad "sysmon on a recording scenario: rc=$rc: $out"
[ $fails -eq 0 ] && echo "recording scenarios: all checks passed"
exit $((fails > 0))
