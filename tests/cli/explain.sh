#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab explain answers "why" and "why not" (issue 13 item 8):
#  - an Event 12 line says CreateKey or DeleteKey (they looked alike);
#  - every rule of an alert's chain is printed with its description, parent first,
#    its $(field)s filled as the alert fills them;
#  - the Sysmon events the config dropped are shown, marked [dropped], each with the
#    config rule that dropped it: file (whole, however long its path), line, RuleGroup;
#  - every item line (step, record, dropped event, AR run, logcollector line) has its
#    time on the virtual clock;
#  - --why-not RULE says for each event why RULE did not match (its failing condition
#    and the value seen, the parent that failed, the event's decoder/category);
#  - long AR records fold to one line unless -v.
set -u
T=$1
SRC=$2
export TASKLAB_HOME=$SRC NO_COLOR=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0 passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
cat >"$W/keys.json" <<'J'
{"name": "keys", "title": "a TaskCache key created, then deleted", "kind": "benign",
 "endpoint": {"hostname": "PC1", "users": [{"name": "alice", "admin": true}]},
 "start": "2024-01-01T00:00:00.000Z", "seed": 1,
 "steps": [{"at": 0, "user": "alice", "image": "C:\\Windows\\regedit.exe", "registry": {"op": "create_key",
   "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x"}},
  {"at": 1, "user": "alice", "image": "C:\\Windows\\regedit.exe", "registry": {"op": "delete_key",
   "key": "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x"}}]}
J
"$T" explain "$W/keys.json" >"$W/out" 2>&1 || bad "explain exit $?"
grep -q 'event 12 (step 1): CreateKey HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\x ' "$W/out" && ok ||
  bad "no CreateKey on the step 1 Event 12 line: $(grep 'event 12' "$W/out")"
grep -q 'event 12 (step 2): DeleteKey HKLM\\' "$W/out" && ok || bad "no DeleteKey on the step 2 Event 12 line: $(grep 'event 12' "$W/out")"
"$T" explain "$SRC/scenarios/seed-test-task.json" >"$W/seed" 2>&1 || bad "explain seed exit $?"
# the alert's chain 7 -> 60000 -> 60004 -> 61600 -> 61614 -> 115006, each with its description
sed -n '/rule 115006 level 6 -> ALERT/,/decoder:/p' "$W/seed" >"$W/chain"
for r in 7 60000 60004 61600 61614 115006; do
  grep -qE "^      rule $r: [A-Za-z]" "$W/chain" && ok || bad "chain rule $r without its description: $(cat "$W/chain")"
done
grep -q '^      rule 115006: A Newly Scheduled Task' "$W/chain" && ok || bad "115006's description: $(cat "$W/chain")"
[ "$(grep -c '^      rule ' "$W/chain")" = 6 ] && ok || bad "chain lines: $(cat "$W/chain")"
grep -q '^      rule 61614: Sysmon - Event 12: RegistryEvent CreateKey on HKLM' "$W/chain" && ok ||
  bad "61614's description not filled: $(grep 'rule 61614' "$W/chain")"
grep -q '^      rule 115006: A Newly Scheduled Task has been Detected on DESKTOP-4E0BQFT$' "$W/chain" && ok ||
  bad "115006's description not filled: $(grep 'rule 115006:' "$W/chain")"
grep -q '^      rule [0-9]*: .*\$(' "$W/seed" && bad "a chain description with \$(field) unfilled: $(grep '^      rule [0-9]*: .*\$(' "$W/seed" | head -2)" || ok

# times on every item line: HH:MM:SS.mmm after the indent, the day on its own line
grep -q '^-- 2022-04-13 (UTC, virtual clock) --$' "$W/seed" && ok || bad "no day line"
grep -q '^11:59:41\.000 step 1 at +0s' "$W/seed" && ok || bad "step line without its time: $(grep 'step 1' "$W/seed" | head -1)"
grep -q '^  11:59:41\.549 execd runs analyze-scheduled-task\.exe$' "$W/seed" && ok || bad "AR line without its time: $(grep 'execd runs' "$W/seed")"
grep -q '^  11:59:42\.549 logcollector logs\\scheduled-tasks\.log: {' "$W/seed" && ok ||
  bad "logcollector line without its time: $(grep 'logcollector logs' "$W/seed" | cut -c1-120)"
grep -q '^  11:59:41\.0[0-9][0-9] Microsoft-Windows-Sysmon/Operational event 12 (step 1): CreateKey' "$W/seed" && ok ||
  bad "record line without its time: $(grep 'event 12' "$W/seed")"
untimed=$(grep -E '(^step [0-9]| event [0-9]+ \((step|record) [0-9]+\)|execd runs |logcollector )' "$W/seed" |
  grep -vE '^(  )?[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} ')
[ -z "$untimed" ] && ok || bad "item lines without a time: $untimed"

# long AR records fold to one line; -v shows them whole
line=$(grep 'logcollector logs\\scheduled-tasks\.log: ' "$W/seed")
case "$line" in *"… ("*" bytes; -v shows it whole)") ok ;; *) bad "the scheduled-tasks.log line is not folded: ${line:0:80}" ;; esac
[ "${#line}" -lt 400 ] && ok || bad "folded line too long: ${#line}"
"$T" run --out "$W/run" "$SRC/scenarios/seed-test-task.json" >/dev/null 2>&1 || bad "run exit $?"
"$T" explain -v "$SRC/scenarios/seed-test-task.json" >"$W/seedv" 2>&1 || bad "explain -v exit $?"
full=$(head -1 "$W/run/seed-test-task/scheduled-tasks.log" | tr -d '\r')
grep -qF "logcollector logs\scheduled-tasks.log: $full" "$W/seedv" && ok || bad "-v does not show the scheduled-tasks.log line whole"
grep -q 'bytes; -v shows it whole' "$W/seedv" && bad "-v still folds" || ok
grep -q '^    stdin: {"version":1,' "$W/seed" && ok || bad "the AR's stdin is not shown"

# dropped events, with the config rule that dropped them: a config at a long path
# (paths were cut at 63 characters) with a named RuleGroup that drops CreateKey
long="$W/a-folder-whose-name-is-long-enough-to-push-the-path-past-sixty-three-characters/and-deeper"
mkdir -p "$long"
cat >"$long/sysmon-no-createkey.xml" <<'X'
<Sysmon schemaversion="4.90"><EventFiltering>
<RuleGroup name="drop CreateKey (a RuleGroup name longer than forty characters, whole)" groupRelation="or">
<RegistryEvent onmatch="exclude">
<EventType condition="is">CreateKey</EventType>
</RegistryEvent>
</RuleGroup>
<RuleGroup name="" groupRelation="or"><ProcessCreate onmatch="exclude"/><FileCreate onmatch="exclude"/><ImageLoad onmatch="exclude"/></RuleGroup>
</EventFiltering></Sysmon>
X
"$T" explain --sysmon-config "$long/sysmon-no-createkey.xml" --why-not 115006 "$SRC/scenarios/seed-test-task.json" >"$W/drop" 2>&1 ||
  bad "explain --sysmon-config exit $?"
grep -qE '^  11:59:41\.[0-9]{3} Microsoft-Windows-Sysmon/Operational event 12 \(step 1\) \[dropped\]: CreateKey HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\test-task  \[by C:\\Windows\\system32\\svchost\.exe\]$' "$W/drop" && ok ||
  bad "the dropped CreateKey is not shown: $(grep -c dropped "$W/drop") dropped lines"
grep -qF "    dropped by exclude rule <EventType condition=\"is\">CreateKey</EventType> ($long/sysmon-no-createkey.xml line 4) of <RegistryEvent onmatch=\"exclude\"> (line 3) in RuleGroup name=\"drop CreateKey (a RuleGroup name longer than forty characters, whole)\" groupRelation=\"or\" (line 2)" "$W/drop" && ok ||
  bad "the dropping rule (whole file path, line, RuleGroup) is not named: $(grep -m1 'dropped by' "$W/drop")"
# this config names no rule, so Event 13 has no RuleName: 115006's first field fails on it
grep -q "why not 115006: tried (its parent 61615 matched) and failed: field win.eventdata.ruleName (pcre2 '^technique_id=T1053,technique_name=Scheduled Task\$'; value missing)" "$W/drop" && ok ||
  bad "--why-not 115006 on an Event 13: $(grep 'why not 115006' "$W/drop" | sort -u)"
grep -q 'why not: never reached the manager (the Sysmon config dropped it)' "$W/drop" && ok || bad "a dropped event does not say why not"
grep -q '^  rule 115006 ' "$W/drop" && bad "115006 fired although CreateKey was dropped" || ok

# the same question under sysmon-modular (the blog's rule never fires): needs ../shared
modular="$SRC/../shared/reference/sysmon/sysmon-modular_sysmonconfig.xml"
if [ -f "$modular" ]; then
  "$T" explain --sysmon-config "$modular" --why-not 115006 "$SRC/scenarios/seed-test-task.json" >"$W/modular" 2>&1 ||
    bad "explain sysmon-modular exit $?"
  grep -A1 'event 12 (step 1) \[dropped\]: CreateKey HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\test-task ' "$W/modular" |
    grep -qF "dropped by exclude rule <EventType condition=\"is\">CreateKey</EventType> ($modular line " && ok ||
    bad "sysmon-modular: the dropped CreateKey and its rule: $(grep -m2 -A1 'dropped\]' "$W/modular")"
  grep -q '^  rule 115006 ' "$W/modular" && bad "115006 fired under sysmon-modular" || ok
  grep -q "why not 115006: tried (its parent 61615 matched) and failed: field win.eventdata.eventType (pcre2 '^CreateKey\$' vs value 'SetValue')" "$W/modular" && ok ||
    bad "sysmon-modular: 115006 on an Event 13 SetValue: $(grep 'why not 115006' "$W/modular" | sort -u)"
else
  echo "skip: sysmon-modular (no ../shared)"
fi

# --why-not: a parent that did not match, the event's category, a decoder mismatch, a match
"$T" explain --why-not 115007 "$SRC/scenarios/seed-test-task.json" >"$W/w7" 2>&1 || bad "why-not 115007 exit $?"
grep -q "why not 115007: never tried: its parent 115006 did not match: field win.eventdata.eventType (pcre2 '^CreateKey\$' vs value 'SetValue')" "$W/w7" && ok ||
  bad "115007: the failing parent: $(grep -m3 'why not' "$W/w7")"
grep -q '^  hangs under if_sid 115006$' "$W/w7" && ok || bad "115007's parents: $(grep -m1 'hangs under' "$W/w7")"
"$T" explain --why-not 115009 "$SRC/scenarios/seed-test-task.json" >"$W/w9" 2>&1 || bad "why-not 115009 exit $?"
grep -q "why not 115009: never tried: the event's decoder is windows_eventchannel (category ossec); rule 115009 hangs under top-level rule 1 (category syslog)" "$W/w9" && ok ||
  bad "115009 on a Sysmon event: $(grep -m1 'why not' "$W/w9")"
grep -q "why not 115009: tried (its parent 1 matched) and failed: decoded_as (expected 'json', decoder '(none)')" "$W/w9" && ok ||
  bad "115009 on an active-responses.log line: $(grep 'why not' "$W/w9" | tail -1)"
grep -q "why not 115009: it matched: this is the event's rule (level 10, alert)" "$W/w9" && ok || bad "115009 matched but says not"
[ "$(grep -c 'why not 115009' "$W/w9")" = "$(grep -cE '^    manager: ' "$W/w9")" ] && ok ||
  bad "not every event the manager saw says why not"
# siblings: a parent matched but an earlier child returned first; a rule higher up matched but
# another of its branches returned first; the rule matched but a child of it is the event's rule
"$T" explain --why-not 61614 "$SRC/scenarios/seed-all-channels.json" >"$W/w14" 2>&1 || bad "why-not 61614 exit $?"
grep -q "why not 61614: never tried: its parent 61600 matched, but an earlier sibling's branch returned rule 61603 first" "$W/w14" && ok ||
  bad "61614 on an Event 1: $(grep -m1 'why not 61614' "$W/w14")"
grep -q "why not 61614: never tried: rule 60000 above it matched, but the walk returned rule 60103 from an earlier branch below it first" "$W/w14" && ok ||
  bad "61614 on a Security event: $(grep 'why not 61614' "$W/w14" | sort -u)"
grep -q "why not 61614: its own conditions hold, but the walk went on to rule 115006 (level 6), the event's rule" "$W/w14" && ok ||
  bad "61614 on the CreateKey: $(grep 'why not 61614' "$W/w14" | sort -u)"
grep -q "why not 61614: tried (its parent 61600 matched) and failed: field win.system.eventID (osregex '^12\$' vs value '13')" "$W/w14" && ok ||
  bad "61614 on an Event 13: $(grep 'why not 61614' "$W/w14" | sort -u)"
"$T" explain --why-not 999999 "$SRC/scenarios/seed-test-task.json" >"$W/out" 2>"$W/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$W/err")" = 1 ] && grep -q '999999' "$W/err" && ok || bad "unknown rule: rc=$rc $(cat "$W/err")"
"$T" explain --why-not 61x "$SRC/scenarios/seed-test-task.json" >"$W/out" 2>"$W/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$W/err")" = 1 ] && ok || bad "bad rule id: rc=$rc $(cat "$W/err")"
"$T" explain --help >"$W/help" 2>&1 || bad "explain --help exit $?"
grep -q -- '--why-not RULE' "$W/help" && grep -q -- '^  -v ' "$W/help" && ok || bad "--help lacks --why-not/-v"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
