# SPDX-License-Identifier: MIT
# runtests.py's INI cases of the Wazuh reference (../shared/reference/wazuh-full/tests)
# through `tasklab ruleset-test`: the product INIs against the stock ruleset,
# the engine INIs (tests/engine/*.ini) against the stock ruleset plus
# tests/engine/ruleset/test_*_{rules,decoders}.xml. Skipped (77) without ../shared.
add_test(NAME unit.rstest_reference
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/rstest_reference.sh $<TARGET_FILE:tasklab>
                 ${PROJECT_SOURCE_DIR}/../shared)
set_tests_properties(unit.rstest_reference PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
# --now feeds <time>/<weekday>; 0215-policy_rules.xml is excluded by default.
add_test(NAME unit.rstest_now
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/rstest_now.sh $<TARGET_FILE:tasklab>
                 ${PROJECT_SOURCE_DIR}/../shared)
set_tests_properties(unit.rstest_now PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
