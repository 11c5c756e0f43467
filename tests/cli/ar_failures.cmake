# SPDX-License-Identifier: MIT
# Honest active responses (issue 10): exec mode across file systems, and failed
# AR runs (non-zero exit, watchdog, nothing written) fail run/test/explain.
add_test(NAME cli.ar_failures
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/ar_failures.sh $<TARGET_FILE:tasklab>
                 $<TARGET_FILE:analyze-scheduled-task> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.ar_failures PROPERTIES LABELS cli TIMEOUT 300
  ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
