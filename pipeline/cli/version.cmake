# SPDX-License-Identifier: MIT
# Run at build time (cmake -P): writes OUT with TL_VERSION from `git describe`
# of SRC, or FALLBACK when SRC is not a git checkout (a tarball, a copy).
# The file is rewritten only when the text changes, so a build that changes
# nothing recompiles nothing.
execute_process(COMMAND git -C "${SRC}" describe --tags --always --dirty
                OUTPUT_VARIABLE _v RESULT_VARIABLE _r ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_r EQUAL 0 AND _v)
  set(_ver "${FALLBACK}+g${_v}")
  if(_v MATCHES "^v?[0-9]+\\.[0-9]")
    set(_ver "${_v}")
  endif()
else()
  set(_ver "${FALLBACK} (not built from a git checkout)")
endif()
file(CONFIGURE OUTPUT "${OUT}" CONTENT "#define TL_VERSION \"${_ver}\"\n")
