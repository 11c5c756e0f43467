#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every external symbol of tasklab's libraries carries the tl_ prefix (style.md §3).
set -euo pipefail
bad=0
for lib in "$@"; do
  out=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /[TDBRCVW]/ {print $3}' | grep -v '^tl_' || true)
  if [ -n "$out" ]; then echo "$lib exports unprefixed symbols:"; echo "$out" | sed 's/^/  /'; bad=1; fi
done
[ "$bad" = 0 ] && echo "all exported symbols are tl_-prefixed ($# libraries)"
exit $bad
