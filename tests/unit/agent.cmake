# SPDX-License-Identifier: MIT
tl_add_unit_test(test_agent SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_agent.c
  LIBS tl_agent PkgConfig::CJSON)
# exec mode runs the Linux AR executable built here.
add_dependencies(test_agent analyze-scheduled-task)
target_compile_definitions(test_agent PRIVATE TL_AR_EXE="$<TARGET_FILE:analyze-scheduled-task>")
