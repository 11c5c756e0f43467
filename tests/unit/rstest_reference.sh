#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: rstest_reference.sh TASKLAB SHARED_DIR
# Runs every reference .ini through `tasklab ruleset-test` (see
# rstest_reference.cmake). Exit 0 when every case passes, 1 when some fail,
# 77 when SHARED_DIR/reference/wazuh is absent.
set -u
tasklab=$1
ref=$2/reference/wazuh
if [ ! -d "$ref/tests" ]; then
    echo "skipped: $ref not found"
    exit 77
fi
rc=0
"$tasklab" ruleset-test --ruleset "$ref" "$ref"/tests/*.ini || rc=1
set --
for f in "$ref"/tests/engine/ruleset/test_*_rules.xml; do set -- "$@" --rules "$f"; done
for f in "$ref"/tests/engine/ruleset/test_*_decoders.xml; do set -- "$@" --decoders "$f"; done
"$tasklab" ruleset-test --ruleset "$ref" "$@" "$ref"/tests/engine/*.ini || rc=1
exit $rc
