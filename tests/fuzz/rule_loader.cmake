# SPDX-License-Identifier: MIT
# Rule XML loader (os_xml reader, rule options, tree) plus a few events
# through the engine built from whatever loaded.
tl_add_fuzz_target(rule_loader SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_rule_loader.c LIBS tl_manager
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/rule_loader)
target_include_directories(rule_loader_replay PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
if(TL_BUILD_FUZZERS)
  target_include_directories(rule_loader_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
endif()
