# SPDX-License-Identifier: MIT
# The three AR modes give byte-identical alerts: the whole library runs with the
# Linux executable as a child process (exec) and with the Windows build under
# Wine (wine), each compared with the same golden files as the in-process runs.
add_test(NAME golden.ar_exec
         COMMAND tasklab test --ar exec --ar-exe $<TARGET_FILE:analyze-scheduled-task> -j 2
                 ${PROJECT_SOURCE_DIR}/scenarios)
set_tests_properties(golden.ar_exec PROPERTIES LABELS golden SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
  ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
add_test(NAME golden.ar_wine
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/ar_wine.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(golden.ar_wine PROPERTIES LABELS "golden;wine" SKIP_RETURN_CODE 77 TIMEOUT 1200
  RESOURCE_LOCK wine
  ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
