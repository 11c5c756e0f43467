# SPDX-License-Identifier: MIT
# ruleset-test's .ini reader and runner (issue 10), on the default profile's ruleset.
tl_add_fuzz_target(rstest_ini SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_rstest_ini.c
  LIBS tl_pipeline tl_manager CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/rstest_ini)
foreach(t rstest_ini_replay rstest_ini_fuzzer)
  if(TARGET ${t})
    target_compile_definitions(${t} PRIVATE TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
endforeach()
