#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Warnings a user cannot miss (issue 13, item 1), and CI gates that can fail:
#  - a user rule whose if_sid parent does not exist, and a duplicate rule id
#    without overwrite, are printed by default as file:line: rule N: message;
#    --strict-rules makes them exit 2;
#  - a --ruleset DIR with rules/ but no decoders/ uses the profile's decoders
#    and says so (before: zero alerts, exit 0);
#  - the stock ruleset's warnings are one summary line, listed with --verbose-warnings;
#  - coverage --require with a profile not computed, or unknown, is exit 2.
set -u
tasklab=$1
home=$2
export TASKLAB_HOME=$home
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0; passes=0
ok() { passes=$((passes+1)); }
bad() { echo "FAIL $*"; fails=$((fails+1)); }
scen=$home/scenarios/seed-test-task.json

# 1. a missing parent
cat >"$tmp/orphan.xml" <<'X'
<group name="local,">
  <rule id="100100" level="12">
    <if_sid>99999999</if_sid>
    <description>child of nothing</description>
  </rule>
</group>
X
"$tasklab" run --rules "$tmp/orphan.xml" "$scen" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok || bad "orphan: exit $rc"
grep -q "orphan\.xml:2: rule 100100: .*'99999999'" "$tmp/err" && ok || bad "orphan: no warning naming file, line and rule: $(cat "$tmp/err")"
"$tasklab" run --strict-rules --rules "$tmp/orphan.xml" "$scen" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && ok || bad "orphan --strict-rules: exit $rc"
grep -q "strict-rules" "$tmp/err" && ok || bad "orphan --strict-rules: $(cat "$tmp/err")"
"$tasklab" test --strict-rules --rules "$tmp/orphan.xml" "$scen" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && ok || bad "test --strict-rules orphan: exit $rc"

# 2. a duplicate id without overwrite (115006 is the blog's rule in local_rules.xml)
cat >"$tmp/dup.xml" <<'X'
<group name="local,">

  <rule id="115006" level="3">
    <if_sid>61600</if_sid>
    <description>my own 115006</description>
  </rule>
</group>
X
"$tasklab" run --rules "$tmp/dup.xml" "$scen" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok || bad "dup: exit $rc"
grep -q "dup\.xml:3: rule 115006: (7612)" "$tmp/err" && ok || bad "dup: no warning: $(cat "$tmp/err")"
"$tasklab" run --strict-rules --rules "$tmp/dup.xml" "$scen" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok || bad "dup --strict-rules: exit $rc"

# 3. --ruleset with rules/ and no decoders/: the profile's decoders, said in one line
mkdir -p "$tmp/rs/rules"
cp "$home"/pipeline/etc/rules/*.xml "$tmp/rs/rules/"
"$tasklab" run --ruleset "$tmp/rs" "$scen" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok || bad "ruleset without decoders: exit $rc"
grep -q "rs: no decoders/ folder: using the decoders of profile default" "$tmp/err" && ok || bad "ruleset without decoders: not said: $(cat "$tmp/err")"
grep -q "115006 L6, 115009 L10" "$tmp/out" && ok || bad "ruleset without decoders: the json-decoded alert 115009 is missing: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "ruleset without decoders: more than one line: $(cat "$tmp/err")"

# 4. the stock ruleset's warnings: one line by default, all with --verbose-warnings
"$tasklab" run --profile tasklab "$scen" >/dev/null 2>"$tmp/err"
grep -Eq "^tasklab: note: [0-9]+ warnings? in the stock rules and decoders of profile tasklab \(--verbose-warnings lists them\)$" "$tmp/err" && ok || bad "stock summary: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "stock summary is not one line"
"$tasklab" run --profile tasklab --verbose-warnings "$scen" >/dev/null 2>"$tmp/err"
[ "$(grep -c 'warning: .*rulepack/.*xml:[0-9]*: rule ' "$tmp/err")" -ge 1 ] && ok || bad "--verbose-warnings lists nothing"
"$tasklab" run --help | grep -q -- --verbose-warnings && ok || bad "--verbose-warnings not in run --help"

# 5. coverage --require on a profile not computed, or unknown
"$tasklab" coverage --own-config --require wazuh "$scen" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "not computed" "$tmp/err" && ok || bad "coverage --require wazuh: exit $rc $(cat "$tmp/err")"
"$tasklab" coverage --own-config --require nope "$scen" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown profile 'nope'" "$tmp/err" && ok || bad "coverage --require nope: exit $rc $(cat "$tmp/err")"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
