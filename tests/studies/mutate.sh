#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tasklab mutate on a small fixture (tests/studies/fixture): rule 199001 and two
# scenarios whose expectations pin it.
#  - "cut powershell" survives with only the cmd.exe scenario (nothing covers that
#    alternative) and is killed once the PowerShell scenario is there;
#  - "negate image" is killed by the cmd.exe scenario's expectation;
#  - the report bytes are the same for -j 1 and -j 2 (text and JSON);
#  - the allowlist counts a mutant apart; --min-score gives exit 1 below it;
#  - bad input exits 2 naming the file and line: a malformed or stale allowlist line,
#    an unknown --rule id, a rule file that does not load;
#  - a level mutant just below an <active-response> <level> threshold is generated.
set -u
T=$1
SRC=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp -r "$SRC/tests/studies/fixture" "$W/fx"
fail=0
no() { echo "FAIL: $*"; fail=1; }
mut() { "$T" mutate --rules "$W/fx/fixture_rules.xml" --golden "$W/fx/golden" "$@"; }

CUT='199001: cut "powershell" from <field name="win.eventdata.parentImage">'
NEG='199001: negate <field name="win.eventdata.image">'

mut --scenarios "$W/fx/one" > "$W/one.txt" 2> "$W/one.err" || no "one: exit $?"
grep -qF "SURVIVED    $CUT" "$W/one.txt" || no "one: cut powershell should survive"
grep -qF "$NEG" "$W/one.txt" && no "one: negate image should be killed"
mut --scenarios "$W/fx/one" --format json > "$W/one.json" || no "one json"
python3 - "$W/one.json" "$CUT" "$NEG" <<'PY' || no "one: JSON verdicts"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["mutants"]}
assert m[sys.argv[2]]["status"] == "survived", m[sys.argv[2]]
assert m[sys.argv[2]]["tried_in"] == ["fixture-schtasks"]
k = m[sys.argv[3]]
assert k["status"] == "killed" and k["killed_by"] == "fixture-schtasks" and k["check"] == "expectation", k
assert d["counts"]["killed"] + d["counts"]["survived"] == d["counts"]["total"]
PY

mut --scenarios "$W/fx/two" --format json > "$W/two.json" || no "two json"
python3 - "$W/two.json" "$CUT" <<'PY' || no "two: cut powershell should be killed by the PowerShell scenario"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["mutants"]}
k = m[sys.argv[2]]
assert k["status"] == "killed" and k["killed_by"] == "fixture-schtasks-powershell", k
PY

for fmt in text json junit; do
    mut --scenarios "$W/fx/two" --format $fmt -j 1 > "$W/j1.$fmt" || no "-j 1 $fmt"
    mut --scenarios "$W/fx/two" --format $fmt -j 2 > "$W/j2.$fmt" || no "-j 2 $fmt"
    cmp -s "$W/j1.$fmt" "$W/j2.$fmt" || no "$fmt report differs between -j 1 and -j 2"
done

mut --scenarios "$W/fx/one" --min-score 99 > /dev/null 2>&1
[ $? -eq 1 ] || no "--min-score 99 should exit 1"
mut --scenarios "$W/fx/one" --min-score 10 > /dev/null 2>&1 || no "--min-score 10 should exit 0"

printf '# reviewed\n%s: the fixture says so\n' "$CUT" > "$W/fx/mutants-equivalent.txt"
mut --scenarios "$W/fx/one" > "$W/eq.txt" || no "allowlist run"
grep -qF "EQUIVALENT  $CUT: the fixture says so" "$W/eq.txt" || no "allowlisted mutant not shown as equivalent"
grep -qF "SURVIVED    $CUT" "$W/eq.txt" && no "allowlisted mutant still counted as survived"

printf '# reviewed\n199001 delete everything\n' > "$W/fx/mutants-equivalent.txt"
mut --scenarios "$W/fx/one" > /dev/null 2> "$W/bad.err"
[ $? -eq 2 ] || no "malformed allowlist line should exit 2"
grep -q "mutants-equivalent.txt:2:" "$W/bad.err" || no "malformed allowlist: no file:line ($(cat "$W/bad.err"))"

printf '199001: delete <match>: no such condition\n' > "$W/fx/mutants-equivalent.txt"
mut --scenarios "$W/fx/one" > /dev/null 2> "$W/stale.err"
[ $? -eq 2 ] || no "stale allowlist line should exit 2"
grep -q "mutants-equivalent.txt:1:.*no such mutant" "$W/stale.err" || no "stale allowlist: $(cat "$W/stale.err")"
rm -f "$W/fx/mutants-equivalent.txt"

mut --scenarios "$W/fx/one" --rule 424242 > /dev/null 2> "$W/rule.err"
[ $? -eq 2 ] || no "unknown --rule should exit 2"
grep -q "424242" "$W/rule.err" || no "unknown --rule: $(cat "$W/rule.err")"

printf '<group name="x,">\n  <rule id="199002" level="3">\n    <if_sid>61603\n  </rule>\n</group>\n' > "$W/broken.xml"
"$T" mutate --rules "$W/broken.xml" --scenarios "$W/fx/one" > /dev/null 2> "$W/broken.err"
[ $? -eq 2 ] || no "rules that fail to load should exit 2"
grep -q "broken.xml:[0-9]" "$W/broken.err" || no "broken rules: no file:line ($(cat "$W/broken.err"))"

# An <active-response> that binds by <level> (4): the rule at level 5 gets a
# "level 5 -> 3" mutant (just below it) besides "-> 2" (below log_alert_level 3)
# and "-> 0"; an installed-manager tree whose etc/ holds the rule under test.
WD="$W/wazuh"
mkdir -p "$WD/etc/rules" "$WD/ruleset/rules" "$WD/ruleset/decoders"
cp "$SRC/pipeline/etc/rules/0010-tasklab_base_rules.xml" "$WD/ruleset/rules/"
cp "$SRC"/pipeline/etc/decoders/*.xml "$WD/ruleset/decoders/"
cp "$W/fx/fixture_rules.xml" "$WD/etc/rules/"
cat > "$WD/etc/ossec.conf" <<'XML'
<ossec_config>
  <alerts><log_alert_level>3</log_alert_level></alerts>
  <command><name>block</name><executable>block.exe</executable><timeout_allowed>no</timeout_allowed></command>
  <active-response><command>block</command><location>local</location><level>4</level></active-response>
</ossec_config>
XML
"$T" mutate --wazuh-dir "$WD" --scenarios "$W/fx/one" --format json > "$W/ar.json" 2> "$W/ar.err" || no "AR level run: $(cat "$W/ar.err")"
python3 - "$W/ar.json" <<'PY' || no "AR level threshold mutant missing"
import json, sys
d = json.load(open(sys.argv[1]))
names = [x["name"] for x in d["mutants"] if x["rule"] == "199001"]
lv = [n for n in names if ": level " in n]
assert lv == ["199001: level 5 -> 3", "199001: level 5 -> 2", "199001: level 5 -> 0"], lv
PY

if [ $fail -eq 0 ]; then echo "studies.mutate: all checks passed"; fi
exit $fail
