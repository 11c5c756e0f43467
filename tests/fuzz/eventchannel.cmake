# SPDX-License-Identifier: MIT
tl_add_fuzz_target(eventchannel SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_eventchannel.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/eventchannel)
target_include_directories(eventchannel_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(eventchannel_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
