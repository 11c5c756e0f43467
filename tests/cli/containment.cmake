# SPDX-License-Identifier: MIT
# hostile.containment (issue 10): every command on the hostile corpus under strace -f;
# nothing outside the output folder, the temporary drive and the Wine prefix may change.
# hostile.containment runs in both CI passes; hostile.containment_wine (the wine mode) only in
# the first, as the other Wine tests.
add_test(NAME hostile.containment
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/containment.sh $<TARGET_FILE:tasklab>
                 $<TARGET_FILE:analyze-scheduled-task> ${PROJECT_SOURCE_DIR})
set_tests_properties(hostile.containment PROPERTIES LABELS "hostile;cli" TIMEOUT 1500
  SKIP_RETURN_CODE 77 ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
add_test(NAME hostile.containment_wine
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/containment.sh --wine $<TARGET_FILE:tasklab>
                 $<TARGET_FILE:analyze-scheduled-task> ${PROJECT_SOURCE_DIR})
set_tests_properties(hostile.containment_wine PROPERTIES LABELS "hostile;wine" TIMEOUT 1500
  SKIP_RETURN_CODE 77 RESOURCE_LOCK wine ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
