#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install tasklab's build and test dependencies from Debian packages.
# Idempotent and quiet when everything is present. Pass --no-wine to skip the
# (large) Wine + mingw-w64 toolchain used by the Windows AR build.
set -euo pipefail
want_wine=1
for a in "$@"; do
  case "$a" in
    --no-wine) want_wine=0 ;;
    *) echo "install-deps.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done
pkgs=(build-essential cmake pkg-config libxml2-dev libcjson-dev libpcre2-dev libcmocka-dev
      clang libclang-rt-14-dev libevtx-dev libbfio-dev strace python3)
# the report's browser test (tests/report): Chromium, tidy, zlib for its PNG check
pkgs+=(zlib1g-dev)
# Optional: the browser test (report.browser) skips, with its reason, without them; a
# failed install of these must not fail the whole CI run.
optional=(chromium tidy)
if [ "$want_wine" = 1 ]; then
  pkgs+=(wine gcc-mingw-w64-x86-64-win32)
fi
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
opt_missing=()
for p in "${optional[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    opt_missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && [ ${#opt_missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps.sh: optional packages missing (${opt_missing[*]}); the browser test will be skipped" >&2
    exit 0
  fi
  echo "install-deps.sh: missing packages (${missing[*]}); run as root" >&2
  exit 2
fi
echo "install-deps.sh: installing ${missing[*]} ${opt_missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#opt_missing[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${opt_missing[@]}" >/dev/null ||
    echo "install-deps.sh: could not install ${opt_missing[*]}; the browser test will be skipped" >&2
fi
