# SPDX-License-Identifier: MIT
# bench rules --input FILE --out ALERTS writes the alerts it times (issue 11).
add_test(NAME cli.bench_alerts
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/bench_alerts.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.bench_alerts PROPERTIES LABELS cli)
