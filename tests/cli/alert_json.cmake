# SPDX-License-Identifier: MIT
# alerts.json bytes for awkward fields, groups and numbers (alert_json.c).
add_test(NAME cli.alert_json
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/alert_json.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.alert_json PROPERTIES LABELS cli)
