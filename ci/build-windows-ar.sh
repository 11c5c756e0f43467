#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the Windows (x86_64, mingw-w64) analyze-scheduled-task.exe into
# build-mingw/ (or $1). Exit 77 when the mingw-w64 compiler is missing.
#
# JSON comes from a real library: Debian's cjson source package (the same
# version and security patches as the Linux build's libcjson-dev), fetched
# with `apt-get source` into the build dir and compiled there — nothing is
# copied into the tree. deb-src entries are added (as a separate sources file)
# when apt has none. The task-file XML is read by our own hardened reader
# (pipeline/ar/src/task_xml.c, fuzzed by tests/fuzz/taskfile), so no XML
# library is needed on Windows; see the comment atop that file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build-mingw}
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  echo "build-windows-ar.sh: x86_64-w64-mingw32-gcc not found (ci/install-deps.sh installs it); skipping" >&2
  exit 77
fi
mkdir -p "$out/_deps"
src=$(find "$out/_deps" -maxdepth 3 -name cJSON.c -printf '%h\n' 2>/dev/null | head -n1 || true)
if [ -z "$src" ]; then
  dl="$out/_deps/dl"
  rm -rf "$dl"; mkdir -p "$dl"
  fetch() { (cd "$dl" && apt-get source --download-only -qq cjson >/dev/null 2>&1); }
  if ! fetch; then
    if [ "$(id -u)" = 0 ]; then
      echo "build-windows-ar.sh: enabling deb-src for apt-get source" >&2
      f=/etc/apt/sources.list.d/tasklab-deb-src.sources
      if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$f"
      else
        grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' >"${f%.sources}.list"
      fi
      apt-get update -qq >/dev/null 2>&1 || true
    fi
    fetch || { echo "build-windows-ar.sh: apt-get source cjson failed (no deb-src, or not root)" >&2; exit 1; }
  fi
  dsc=$(ls "$dl"/cjson_*.dsc | head -n1)
  if command -v dpkg-source >/dev/null 2>&1; then
    (cd "$dl" && dpkg-source -q --no-check -x "$(basename "$dsc")" cjson-src >/dev/null)
  else  # orig tarball + Debian's patch series
    mkdir -p "$dl/cjson-src"
    tar -xzf "$dl"/cjson_*.orig.tar.gz -C "$dl/cjson-src" --strip-components=1
    tar -xJf "$dl"/cjson_*.debian.tar.xz -C "$dl/cjson-src"
    if [ -f "$dl/cjson-src/debian/patches/series" ]; then
      while read -r p; do
        [ -n "$p" ] && [ "${p#\#}" = "$p" ] && patch -s -p1 -d "$dl/cjson-src" <"$dl/cjson-src/debian/patches/$p"
      done <"$dl/cjson-src/debian/patches/series"
    fi
  fi
  src="$dl/cjson-src"
fi
cmake -S "$here" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/mingw-w64-x86_64.cmake" \
  -DTL_AR_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DTL_CJSON_SOURCE_DIR="$src" ${TL_WERROR:+-DTL_WERROR=ON} >/dev/null
cmake --build "$out" -j2 --target analyze-scheduled-task >/dev/null
exe="$out/analyze-scheduled-task.exe"
test -f "$exe"
echo "$exe"
