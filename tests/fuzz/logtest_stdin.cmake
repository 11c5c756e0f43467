# SPDX-License-Identifier: MIT
# logtest's stdin reader (issue 10), on the default profile's ruleset.
tl_add_fuzz_target(logtest_stdin SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_logtest_stdin.c
  LIBS tl_cli CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/logtest_stdin)
foreach(t logtest_stdin_replay logtest_stdin_fuzzer)
  if(TARGET ${t})
    target_compile_definitions(${t} PRIVATE TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
endforeach()
