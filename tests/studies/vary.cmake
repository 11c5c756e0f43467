# SPDX-License-Identifier: MIT
# tasklab vary: the generator's spellings (unit) and the command (bad input, -j
# independence, equivalence check, --require).
tl_add_unit_test(test_vary SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vary.c LIBS tl_studies PkgConfig::CJSON)
target_include_directories(test_vary PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/studies/src)
add_test(NAME studies.vary
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/vary.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(studies.vary PROPERTIES LABELS cli)
