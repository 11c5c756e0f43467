# SPDX-License-Identifier: MIT
# Differential: compared with the converter the single pass replaced.
tl_add_fuzz_target(eventchannel SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_eventchannel.c
  ${PROJECT_SOURCE_DIR}/tests/winevt_ref/winevt_ref.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/eventchannel)
target_include_directories(eventchannel_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src
  ${PROJECT_SOURCE_DIR}/tests/winevt_ref)
if(TL_BUILD_FUZZERS)
  target_include_directories(eventchannel_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src
    ${PROJECT_SOURCE_DIR}/tests/winevt_ref)
endif()
