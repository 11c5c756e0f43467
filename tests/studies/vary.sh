#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab vary end to end:
#  - bad input exits 2 with a message: an unknown --transform, a --build evasion.md
#    does not cover, a U+FE63 transformation without the build that accepts it, an
#    attack scenario with no command step named on its own (one found by listing
#    a folder is listed "not varied");
#  - the report's bytes are the same for -j 1 and -j 2 and for two runs (text, JSON,
#    JUnit), and differ for another seed;
#  - every variant of the seed scenario under the xml/cmdlet/cim paths leaves the
#    same task (equivalent) and is detected by the Schedule service's own writes;
#  - --require exits 1 when a variant evades: a user rule at level 12 on a literal
#    "/create" loses the "dash" variant (evasion.md §0 row 1), and 0 when nothing does.
set -u
T=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
S=$SRC/scenarios/seed-test-task.json
S2=$SRC/scenarios/atomic-t1053-005-02-local.json

expect2() { # expect2 "what" "message fragment" args...
    local what=$1 frag=$2
    shift 2
    "$T" vary "$@" > "$W/out" 2> "$W/err"
    local rc=$?
    [ $rc -eq 2 ] || no "$what: exit $rc, expected 2"
    grep -qF -- "$frag" "$W/err" || { no "$what: message lacks '$frag'"; cat "$W/err"; }
}
expect2 "unknown transform" "--transform nosuch: unknown transformation" --transform nosuch "$S"
expect2 "uncovered build" "--build 10.0.17763: evasion.md covers only" --build 10.0.17763 "$S"
expect2 "fe63 without its build" "--transform fe63: evasion.md marks it accepted only on Windows 10 2004" --transform fe63 "$S"
python3 - "$S" "$W/nocmd/seed-test-task.json" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
s["steps"] = [{"at": 0, "registry": {"op": "create_key", "key": "HKCU\\Software\\x"}}]
os.makedirs(os.path.dirname(sys.argv[2]))
json.dump(s, open(sys.argv[2], "w"))
PY
expect2 "no command steps" "no command steps" "$W/nocmd/seed-test-task.json"
# found by listing a folder, the same scenario is listed "not varied" and the
# rest of the folder is varied (the library holds file-write-only attack scenarios)
cp "$S2" "$W/nocmd/"
"$T" vary --n 2 --seed 1 "$W/nocmd" > "$W/out" 2> "$W/err" || { no "folder with a no-command scenario: exit $?"; cat "$W/err"; }
grep -qF "seed-test-task: no command steps (nothing to respell), not varied" "$W/out" || { no "folder: no 'not varied' line"; cat "$W/out"; }
grep -q "^atomic-t1053-005-02-local: original detected by" "$W/out" || { no "folder: the other scenario was not varied"; cat "$W/out"; }

# determinism: -j, repeated runs, formats
for fmt in text json junit; do
    "$T" vary --n 6 --seed 7 -j 1 --format $fmt "$S" "$S2" > "$W/a.$fmt" || no "-j 1 $fmt: exit $?"
    "$T" vary --n 6 --seed 7 -j 2 --format $fmt "$S" "$S2" > "$W/b.$fmt" || no "-j 2 $fmt: exit $?"
    cmp -s "$W/a.$fmt" "$W/b.$fmt" || no "$fmt differs between -j 1 and -j 2"
done
"$T" vary --n 6 --seed 8 "$S" "$S2" > "$W/c.text" || no "seed 8"
cmp -s "$W/a.text" "$W/c.text" && no "seed 8 gives the same variants as seed 7"
python3 - "$W/a.json" <<'PY' || no "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tasklab_vary"] == 1 and d["seed"] == 7 and d["n"] == 6, d
names = [s["name"] for s in d["scenarios"]]
assert names == ["seed-test-task", "atomic-t1053-005-02-local"], names
for s in d["scenarios"]:
    assert 1 <= len(s["variants"]) <= 6
    # the singles come first, in the order of the transformation table
    assert s["variants"][0]["transforms"] == ["dash"], s["variants"][0]
    assert s["variants"][0]["status"] == "equivalent", s["variants"][0]
c = d["counts"]
assert c["variants"] == c["equivalent"] + c["generator_bug"] + c["refused"], c
assert c["equivalent"] == c["detected"] + c["evaded"] + c["undetected"], c
PY

# alternative creation paths: the same task, no schtasks process for cmdlet/cim
"$T" vary --transform xml --transform cmdlet --transform cim --format json "$S" > "$W/alt.json" || no "alt: exit $?"
python3 - "$W/alt.json" <<'PY' || no "alternative paths"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["scenarios"][0]["variants"]
assert [x["transforms"] for x in v] == [["xml"], ["cmdlet"], ["cim"]], v
for x in v:
    assert x["status"] == "equivalent", x
    assert x["detected"] and "115006" in [r["rule"] for r in x["rules"]], x
assert "Register-ScheduledTask -Xml $x -TaskName 'test-task'" in v[1]["changes"], v[1]
PY

# --require: a literal "/create" rule is evaded by "-create"
cat > "$W/create_rule.xml" <<'XML'
<group name="vary_test,">
  <rule id="199500" level="12">
    <if_group>sysmon_event1</if_group>
    <field name="win.eventdata.commandLine">/create</field>
    <description>literal /create</description>
  </rule>
</group>
XML
"$T" vary --require default --rules "$W/create_rule.xml" --level 12 --transform dash "$S" > "$W/req.txt" 2> "$W/req.err"
rc=$?
[ $rc -eq 1 ] || no "--require with an evaded rule: exit $rc, expected 1"
grep -q "EVADED" "$W/req.txt" || no "the dash variant should be EVADED"
grep -q "profile default entirely" "$W/req.err" || no "--require message"
"$T" vary --require default --transform quote "$S" > /dev/null 2>&1 || no "--require default, quote: exit $?"

exit $fail
