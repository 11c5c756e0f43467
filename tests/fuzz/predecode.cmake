# SPDX-License-Identifier: MIT
tl_add_fuzz_target(predecode SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_predecode.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/predecode)
target_include_directories(predecode_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(predecode_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
