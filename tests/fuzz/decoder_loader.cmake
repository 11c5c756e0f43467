# SPDX-License-Identifier: MIT
tl_add_fuzz_target(decoder_loader SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_decoder_loader.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/decoder_loader)
target_include_directories(decoder_loader_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(decoder_loader_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
