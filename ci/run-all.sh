#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's main job: install, build, and run every scenario through the whole
# pipeline, writing outputs to out/<scenario>/ and printing one summary line each.
set -euo pipefail
cd "$(dirname "$0")/.."
# --no-wine: do not install Wine and mingw-w64 (run-all needs neither).
nowine=()
if [ "${1:-}" = --no-wine ]; then nowine=(--no-wine); shift; fi
ci/install-deps.sh "${nowine[@]}"
build=${BUILD_DIR:-build}
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target tasklab analyze-scheduled-task >/dev/null
"$build"/tasklab run --out out scenarios/
