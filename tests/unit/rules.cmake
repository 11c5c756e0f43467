# SPDX-License-Identifier: MIT
# Manager rule engine: rule loading, tree, matching, alerts.json, AR binding.
tl_add_unit_test(test_rules SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rules.c
  ${PROJECT_SOURCE_DIR}/tests/rules/rule_assert.c LIBS tl_manager)
target_include_directories(test_rules PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src
  ${PROJECT_SOURCE_DIR}/tests/rules)
target_link_libraries(test_rules PRIVATE PkgConfig::CJSON)
