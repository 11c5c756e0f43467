# SPDX-License-Identifier: MIT
# tl_warnings(target): the house warning set; -Werror when TL_WERROR is on.
function(tl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter)
  if(WIN32)
    # GCC checks printf formats against msvcrt's dialect on this target (no %zu):
    # see cmake/mingw-w64-x86_64.cmake; the Linux build checks the formats.
    target_compile_options(${target} PRIVATE -Wno-format)
  endif()
  if(TL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
