# SPDX-License-Identifier: MIT
# Toolchain for the Windows builds (64-bit only: Debian's Wine 8 without wine32
# cannot run 32-bit PE files):
#  - tasklab.exe + analyze-scheduled-task.exe: ci/build-windows.sh, which builds
#    libxml2, PCRE2 and cJSON from Debian's source packages into a prefix and
#    passes it as -DTL_WIN_DEPS_PREFIX (found there through pkg-config);
#  - the AR alone: ci/build-windows-ar.sh, -DTL_AR_ONLY=ON.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TL_WIN_DEPS_PREFIX)
if(TL_WIN_DEPS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH ${TL_WIN_DEPS_PREFIX})
  # pkg-config sees only the cross prefix (never the host's .pc files)
  set(ENV{PKG_CONFIG_LIBDIR} "${TL_WIN_DEPS_PREFIX}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# C99 printf (%zu, %lld) from mingw's own stdio rather than msvcrt's
# (__USE_MINGW_ANSI_STDIO, set for every MinGW build in CMakeLists.txt). GCC checks
# format(printf) attributes against the MS dialect on this target, which would
# flag every %zu: Windows targets add -Wno-format; the Linux build checks formats.
# The dependencies are static libraries (LIBXML_STATIC, PCRE2_STATIC: no dllimport).
set(CMAKE_C_FLAGS_INIT "-DLIBXML_STATIC -DPCRE2_STATIC")
# One self-contained PE per program: no libgcc/libwinpthread DLL to ship.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")
