# SPDX-License-Identifier: MIT
# Toolchain for the Windows build of analyze-scheduled-task (64-bit only: Debian's
# Wine 8 without wine32 cannot run 32-bit PE files). Use with -DTL_AR_ONLY=ON.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# C99 printf (%zu, %lld) from mingw's own stdio rather than msvcrt's. GCC checks
# format(printf) attributes against the MS dialect on this target, which would
# flag every %zu: pipeline/ar adds -Wno-format for WIN32; the Linux build checks formats.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")
