# SPDX-License-Identifier: MIT
# The oracle test (label oracle): all recordings of ../shared/reference/evtx
# against what a real wazuh-analysisd 4.14.7 made of them. Skipped (77)
# without ../shared.
add_executable(oracle_evtx ${CMAKE_CURRENT_LIST_DIR}/oracle_evtx.c)
set_target_properties(oracle_evtx PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_link_libraries(oracle_evtx PRIVATE tl_pipeline tl_replay tl_manager tl_base PkgConfig::CJSON)
tl_warnings(oracle_evtx)
add_test(NAME oracle.evtx_wazuh
  COMMAND oracle_evtx ${PROJECT_SOURCE_DIR}/../shared ${PROJECT_SOURCE_DIR}/pipeline/etc
          ${CMAKE_CURRENT_LIST_DIR}/known-differences.txt wazuh)
set_tests_properties(oracle.evtx_wazuh PROPERTIES LABELS oracle SKIP_RETURN_CODE 77 TIMEOUT 300)
