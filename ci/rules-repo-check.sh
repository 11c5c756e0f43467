#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A ready CI step for a Wazuh rules repository: run tasklab's scenario library
# against YOUR rules and fail when a detection breaks or a false positive appears.
#
# Copy this file into your rules repository (e.g. as ci/tasklab-check.sh) and
# run it from the repository root. It clones and builds tasklab (or uses
# $TASKLAB_DIR), then runs:
#   tasklab test --ruleset "$RULESET_DIR" (rules/ and decoders/ of your repo)
#   or, with WAZUH_DIR set, --wazuh-dir "$WAZUH_DIR" (a manager tree: etc/ossec.conf, ruleset/)
# Each scenario's hand-written expectations are checked, then the alerts are
# compared with tasklab's golden files; the output names the rule ids, levels and
# scenarios that changed, then a unified diff. JUnit XML goes to $JUNIT_OUT.
#
# Environment: TASKLAB_DIR (a tasklab checkout; default: ./.tasklab), TASKLAB_REPO
# (where to clone it from when TASKLAB_DIR is missing), RULESET_DIR (default .),
# WAZUH_DIR, PROFILE (golden set to compare with: default|tasklab|wazuh; default
# "default"), JUNIT_OUT (default tasklab-junit.xml).
set -euo pipefail
TASKLAB_DIR=${TASKLAB_DIR:-.tasklab}
RULESET_DIR=${RULESET_DIR:-.}
PROFILE=${PROFILE:-default}
JUNIT_OUT=${JUNIT_OUT:-tasklab-junit.xml}
if [ ! -d "$TASKLAB_DIR" ]; then
  : "${TASKLAB_REPO:?set TASKLAB_REPO to the tasklab git URL, or TASKLAB_DIR to a checkout}"
  git clone --depth 1 "$TASKLAB_REPO" "$TASKLAB_DIR"
fi
"$TASKLAB_DIR/ci/install-deps.sh" --no-wine
cmake -S "$TASKLAB_DIR" -B "$TASKLAB_DIR/build" >/dev/null
cmake --build "$TASKLAB_DIR/build" -j"$(nproc)" --target tasklab >/dev/null
if [ -n "${WAZUH_DIR:-}" ]; then
  src=(--wazuh-dir "$WAZUH_DIR")
else
  src=(--ruleset "$RULESET_DIR")
fi
exec "$TASKLAB_DIR/build/tasklab" test --profile "$PROFILE" "${src[@]}" -j "$(nproc)" \
  --junit "$JUNIT_OUT" "$TASKLAB_DIR/scenarios"
