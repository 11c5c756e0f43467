#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A ready CI step for a Wazuh rules repository: lint YOUR rules, then run your
# own scenarios and tasklab's scenario library through the real Wazuh ruleset
# with your rules on top, and fail when a detection breaks, a level changes or
# a false positive appears.
#
# Copy this file into your rules repository (e.g. as ci/tasklab-check.sh) and
# run it from the repository root. The repository layout it expects (each
# folder may be absent):
#   rules/*.xml                your rules (as in a manager's etc/rules/; a
#                              local_rules.xml replaces the blog's one)
#   decoders/*.xml             your decoders (as in etc/decoders/)
#   tasklab/scenarios/*.json   your own scenarios (scenarios/README.md of tasklab)
#   tasklab/golden/<profile>/  the golden alerts.json / events.xml of every
#                              scenario run (yours and the library's), kept in
#                              your repository
# Steps:
#   1. tasklab lint --profile $PROFILE rules/ decoders/  (missing parents,
#      duplicate ids, bad regexes...: fails the job with file:line: messages)
#   2. tasklab test --profile $PROFILE --rules rules/*.xml --decoders decoders/*.xml
#      --strict-rules --scenarios tasklab/scenarios --golden tasklab/golden/$PROFILE
#      $LIBRARY: each scenario's hand-written expectations, then the golden
#      files; a mismatch prints the rule ids, levels and scenarios that changed,
#      then a unified diff. JUnit XML goes to $JUNIT_OUT.
# Merge (the last job of a CI matrix of SHARD=I/N jobs): MERGE=OUT.xml
#   ci/tasklab-check.sh PART.xml...   writes the JUnit report of the unsharded
#   run to OUT.xml from every slice's JUNIT_OUT (tasklab test --merge-results):
#   exit 1 when a test failed, 2 when a slice is missing, twice, of another run.
# Bless (create or update the golden files) on your machine, never in CI:
#   BLESS=1 ci/tasklab-check.sh       (refused when CI is set)
#
# Environment: TASKLAB_DIR (a tasklab checkout; default ./.tasklab), TASKLAB_REPO
# (where to clone it from when TASKLAB_DIR is missing), TASKLAB_BIN (a built
# tasklab: skips the clone and the build), TASKLAB_SHARED (the folder holding
# reference/wazuh-full, the stock Wazuh ruleset the wazuh profile loads),
# PROFILE (default wazuh; default|tasklab use tasklab's own base rules),
# RULES_DIR (rules), DECODERS_DIR (decoders), SCENARIOS_DIR (tasklab/scenarios),
# GOLDEN_DIR (tasklab/golden/$PROFILE), LIBRARY (tasklab's scenarios to run as
# well: default all of $TASKLAB_DIR/scenarios; "none" for none), EXPECT_ONLY=1
# (expectations only, no golden files), SHARD (I/N: a slice, for a CI matrix),
# MERGE (OUT.xml: merge the slices' JUnit given as arguments, see above),
# JUNIT_OUT (default tasklab-junit.xml), JOBS (default nproc).
# Exit status: 0 passed, 1 a test failed, 2 bad rules or input, 77 skipped
# (the wazuh profile without its reference ruleset).
set -euo pipefail
TASKLAB_DIR=${TASKLAB_DIR:-.tasklab}
PROFILE=${PROFILE:-wazuh}
RULES_DIR=${RULES_DIR:-rules}
DECODERS_DIR=${DECODERS_DIR:-decoders}
SCENARIOS_DIR=${SCENARIOS_DIR:-tasklab/scenarios}
GOLDEN_DIR=${GOLDEN_DIR:-tasklab/golden/$PROFILE}
JUNIT_OUT=${JUNIT_OUT:-tasklab-junit.xml}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
if [ -n "${TASKLAB_BIN:-}" ]; then
  tasklab=$TASKLAB_BIN
else
  if [ ! -d "$TASKLAB_DIR" ]; then
    : "${TASKLAB_REPO:?set TASKLAB_REPO to the tasklab git URL, or TASKLAB_DIR to a checkout}"
    git clone --depth 1 "$TASKLAB_REPO" "$TASKLAB_DIR"
  fi
  "$TASKLAB_DIR/ci/install-deps.sh" --no-wine
  cmake -S "$TASKLAB_DIR" -B "$TASKLAB_DIR/build" >/dev/null
  cmake --build "$TASKLAB_DIR/build" -j"$JOBS" --target tasklab >/dev/null
  tasklab=$TASKLAB_DIR/build/tasklab
fi
LIBRARY=${LIBRARY:-$TASKLAB_DIR/scenarios}

if [ -n "${MERGE:-}" ]; then
  echo "== tasklab test --merge-results: $# part(s) into $MERGE"
  exec "$tasklab" test --merge-results --junit "$MERGE" "$@"
fi

rules=() decoders=() files=()
shopt -s nullglob
for f in "$RULES_DIR"/*.xml; do rules+=(--rules "$f"); files+=("$f"); done
for f in "$DECODERS_DIR"/*.xml; do decoders+=(--decoders "$f"); files+=("$f"); done
scen=()
[ -d "$SCENARIOS_DIR" ] && scen+=(--scenarios "$SCENARIOS_DIR")
if [ "$LIBRARY" != none ]; then
  for l in $LIBRARY; do scen+=("$l"); done
fi
[ ${#scen[@]} -gt 0 ] || { echo "tasklab-check: no scenario to run ($SCENARIOS_DIR absent, LIBRARY=none)" >&2; exit 2; }

echo "== tasklab lint --profile $PROFILE (${#files[@]} file(s) of yours)"
if [ ${#files[@]} -gt 0 ] && "$tasklab" lint --help >/dev/null 2>&1; then
  "$tasklab" lint --profile "$PROFILE" "${files[@]}"
fi

mode=()
[ "${EXPECT_ONLY:-0}" = 1 ] && mode+=(--expect-only)
[ -n "${SHARD:-}" ] && mode+=(--shard "$SHARD")
if [ "${BLESS:-0}" = 1 ]; then
  mode+=(--bless)
  mkdir -p "$GOLDEN_DIR"
fi
echo "== tasklab test --profile $PROFILE + your rules, your scenarios and the library"
exec "$tasklab" test --profile "$PROFILE" "${rules[@]}" "${decoders[@]}" --strict-rules \
  --golden "$GOLDEN_DIR" -j "$JOBS" --junit "$JUNIT_OUT" "${mode[@]}" "${scen[@]}"
