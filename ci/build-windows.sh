#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the Windows (x86_64, mingw-w64) tasklab.exe and analyze-scheduled-task.exe
# into build-windows/ (or $1), statically linked (one self-contained PE each:
# Wine needs no DLL next to them). Prints the two paths. Exit 77 when the
# mingw-w64 compiler is missing, 75 when the dependencies' sources cannot be
# fetched (no deb-src entry and not root, or no network).
#
# Dependencies come from Debian's source packages, the same versions as the
# Linux build's -dev packages where apt still serves them: libxml2, pcre2 and
# cjson are fetched with `apt-get source --download-only`, unpacked with their
# Debian patches (dpkg-source, or tar + patch series when dpkg-source is absent)
# and built with CMake through cmake/mingw-w64-x86_64.cmake into a prefix under
# the dependency folder — never into the tree. When the newest .dsc is gone
# from the mirror (a superseded security update answers 404), the next version
# `apt-cache showsrc` lists is tried. deb-src entries are added as
# build-windows-ar.sh does (root only).
#
# Cache: the dependency folder is $TL_WIN_DEPS_DIR (CI: a cached path), else
# <build>/_deps. A prefix whose stamp names the same recipe is reused without
# asking apt; delete the folder to rebuild. Cold: ~2-3 min on 2 cores; warm: 0.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build-windows}
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  echo "build-windows.sh: x86_64-w64-mingw32-gcc not found (ci/install-deps.sh installs it); skipping" >&2
  exit 77
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
deps=${TL_WIN_DEPS_DIR:-$out/_deps}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
prefix="$deps/prefix"
tc="$here/cmake/mingw-w64-x86_64.cmake"
jobs=${TL_JOBS:-2}
# The recipe: bump when the options below change (the stamp then no longer matches).
recipe="r1 libxml2 pcre2 cjson static"
log() { echo "build-windows.sh: $*" >&2; }

enable_deb_src() {
  [ "$(id -u)" = 0 ] || return 1
  log "enabling deb-src for apt-get source"
  local f=/etc/apt/sources.list.d/tasklab-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$f"
  else
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' >"${f%.sources}.list"
  fi
  apt-get update -qq >/dev/null 2>&1 || true
}

# fetch PKG: download PKG's newest available source version into $deps/dl/PKG,
# unpack it (Debian patches applied) as $deps/dl/PKG/src; prints the version.
fetch() {
  local pkg=$1 d="$deps/dl/$1" v ok=""
  rm -rf "$d"; mkdir -p "$d"
  local versions
  versions=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V -r -u || true)
  if [ -z "$versions" ]; then
    enable_deb_src || true
    versions=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V -r -u || true)
  fi
  [ -n "$versions" ] || { log "no source package '$pkg' (no deb-src, or not root)"; return 1; }
  for v in $versions; do
    if (cd "$d" && apt-get source --download-only -qq "$pkg=$v" >/dev/null 2>&1); then ok=$v; break; fi
    log "$pkg $v: not downloadable (superseded?), trying the next version"
    find "$d" -mindepth 1 -maxdepth 1 ! -name '*.orig.tar.*' -exec rm -rf {} +
  done
  [ -n "$ok" ] || { log "apt-get source $pkg failed for every version ($versions)"; return 1; }
  local dsc
  dsc=$(ls "$d"/*.dsc | head -n1)
  if command -v dpkg-source >/dev/null 2>&1; then
    (cd "$d" && dpkg-source -q --no-check -x "$(basename "$dsc")" src >/dev/null 2>&1)
  else
    mkdir -p "$d/src"
    tar -xf "$(ls "$d"/*.orig.tar.* | head -n1)" -C "$d/src" --strip-components=1
    if ls "$d"/*.debian.tar.* >/dev/null 2>&1; then
      tar -xf "$(ls "$d"/*.debian.tar.* | head -n1)" -C "$d/src"
      if [ -f "$d/src/debian/patches/series" ]; then
        while read -r p _; do
          [ -n "$p" ] && [ "${p#\#}" = "$p" ] && patch -s -p1 -d "$d/src" <"$d/src/debian/patches/$p"
        done <"$d/src/debian/patches/series"
      fi
    elif ls "$d"/*.diff.gz >/dev/null 2>&1; then
      zcat "$(ls "$d"/*.diff.gz | head -n1)" | patch -s -p1 -d "$d/src"
    fi
  fi
  echo "$ok"
}

# cmake_dep NAME SRC ARGS...: configure, build and install one dependency into $prefix.
cmake_dep() {
  local name=$1 src=$2; shift 2
  local b="$deps/build/$name"
  rm -rf "$b"
  cmake -S "$src" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$tc" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF -DTL_DEPS_BUILD=ON "$@" >"$b.log" 2>&1 \
    || { mkdir -p "$b"; log "$name: configure failed, see $b.log"; tail -20 "$b.log" >&2; return 1; }
  cmake --build "$b" -j"$jobs" >>"$b.log" 2>&1 || { log "$name: build failed, see $b.log"; tail -20 "$b.log" >&2; return 1; }
  cmake --install "$b" >>"$b.log" 2>&1 || { log "$name: install failed, see $b.log"; return 1; }
}

stamp="$prefix/.tasklab-stamp"
if [ ! -f "$stamp" ] || [ "$(head -n1 "$stamp")" != "$recipe" ]; then
  t0=$(date +%s)
  rm -rf "$prefix" "$deps/build"
  mkdir -p "$deps/build"
  # sources that cannot be fetched (no deb-src, no network): 75, which the
  # Wine tests report as skipped; a dependency that does not build is an error
  vx=$(fetch libxml2) || exit 75
  vp=$(fetch pcre2) || exit 75
  vc=$(fetch cjson) || exit 75
  # libxml2: XML only (no iconv: libxml2 decodes UTF-8/UTF-16/Latin-1 itself, the
  # encodings tasklab reads; no network, compression, Python or programs).
  cmake_dep libxml2 "$deps/dl/libxml2/src" -DLIBXML2_WITH_ICONV=OFF -DLIBXML2_WITH_ICU=OFF \
    -DLIBXML2_WITH_LZMA=OFF -DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_PYTHON=OFF \
    -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_FTP=OFF -DLIBXML2_WITH_PROGRAMS=OFF \
    -DLIBXML2_WITH_TESTS=OFF -DLIBXML2_WITH_MODULES=OFF
  # PCRE2: the 8-bit library with JIT, as Debian builds it.
  cmake_dep pcre2 "$deps/dl/pcre2/src" -DPCRE2_BUILD_PCRE2_8=ON -DPCRE2_BUILD_PCRE2_16=OFF \
    -DPCRE2_BUILD_PCRE2_32=OFF -DPCRE2_SUPPORT_JIT=ON -DPCRE2_BUILD_PCRE2GREP=OFF \
    -DPCRE2_BUILD_TESTS=OFF -DPCRE2_SUPPORT_LIBBZ2=OFF -DPCRE2_SUPPORT_LIBZ=OFF \
    -DPCRE2_SUPPORT_LIBEDIT=OFF -DPCRE2_SUPPORT_LIBREADLINE=OFF
  # cJSON: the library only (include/cjson/cJSON.h, libcjson.pc).
  cmake_dep cjson "$deps/dl/cjson/src" -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF \
    -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF -DENABLE_TARGET_EXPORT=OFF
  printf '%s\nlibxml2 %s\npcre2 %s\ncjson %s\n' "$recipe" "$vx" "$vp" "$vc" >"$stamp"
  log "dependencies built in $(( $(date +%s) - t0 )) s: libxml2 $vx, pcre2 $vp, cjson $vc"
fi

cmake -S "$here" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$tc" -DTL_WIN_DEPS_PREFIX="$prefix" \
  -DCMAKE_BUILD_TYPE=Release ${TL_WERROR:+-DTL_WERROR=ON} >/dev/null
cmake --build "$out" -j"$jobs" --target tasklab analyze-scheduled-task >/dev/null
for e in tasklab.exe analyze-scheduled-task.exe; do
  test -f "$out/$e"
  echo "$out/$e"
done
