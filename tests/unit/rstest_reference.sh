#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: rstest_reference.sh TASKLAB SHARED_DIR
# runtests.py over the complete Wazuh 4.14.7 reference (see rstest_reference.cmake):
# every .ini of tests/ and tests/engine/, against the stock ruleset (the stock
# manager's <ruleset> block: six CDB lists, 0215-policy_rules.xml excluded) plus
# every test_*rules.xml / test_*decoders.xml of tests/engine/ruleset, as
# runtests.py copies them into etc/. Cases still failing are listed, each with
# its cause, in rstest_known_failures.txt. Exit 0 when every other case passes
# (and no listed one does), 1 otherwise, 77 when SHARED_DIR/reference/wazuh-full
# is absent.
set -u
tasklab=$1
ref=$2/reference/wazuh-full
here=$(dirname "$0")
if [ ! -d "$ref/tests" ]; then
    echo "skipped: $ref not found"
    exit 77
fi
exec "$tasklab" ruleset-test --ruleset "$ref" --test-ruleset "$ref/tests/engine/ruleset" \
    --known-failures "$here/rstest_known_failures.txt" "$ref"/tests/*.ini "$ref"/tests/engine/*.ini
