# SPDX-License-Identifier: MIT
tl_add_fuzz_target(jsondec SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_jsondec.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/jsondec)
target_include_directories(jsondec_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(jsondec_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
