# SPDX-License-Identifier: MIT
# Random patterns (osmatch, osregex, pcre2) against a random subject.
tl_add_fuzz_target(osregex SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_osregex.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/osregex)
target_include_directories(osregex_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(osregex_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
