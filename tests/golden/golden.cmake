# SPDX-License-Identifier: MIT
# One ctest per scenario and profile: golden.<profile>.<scenario>. Exit 77 = skipped
# (e.g. the wazuh profile, or a scenario using a reference Sysmon config, when
# ../shared is absent).
file(GLOB _scenarios CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.json)
list(SORT _scenarios)
foreach(_profile default tasklab wazuh)
  foreach(_s ${_scenarios})
    get_filename_component(_name ${_s} NAME_WE)
    add_test(NAME golden.${_profile}.${_name}
             COMMAND tasklab test --profile ${_profile} ${_s})
    set_tests_properties(golden.${_profile}.${_name} PROPERTIES
      LABELS golden SKIP_RETURN_CODE 77 ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
  endforeach()
endforeach()
add_test(NAME golden.determinism
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/determinism.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(golden.determinism PROPERTIES LABELS golden SKIP_RETURN_CODE 77)
add_test(NAME golden.rule_change
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/rule_change.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(golden.rule_change PROPERTIES LABELS golden)
# tasklab's rule pack, checked on its own regression cases (Wazuh .ini format).
add_test(NAME rulepack.ini
         COMMAND tasklab ruleset-test --rules ${PROJECT_SOURCE_DIR}/pipeline/etc/rulepack/tasklab_t1053_rules.xml
                 ${PROJECT_SOURCE_DIR}/pipeline/etc/rulepack/tests/tasklab_t1053.ini)
set_tests_properties(rulepack.ini PROPERTIES LABELS golden ENVIRONMENT "TASKLAB_HOME=${PROJECT_SOURCE_DIR}")
# The rule pack under all three Sysmon configs (tasklab coverage --require tasklab).
add_test(NAME golden.coverage_rulepack
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/coverage.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(golden.coverage_rulepack PROPERTIES LABELS golden SKIP_RETURN_CODE 77)
