# SPDX-License-Identifier: MIT
# libtl_studies: the record/replay seam (replay == run for the whole library) and
# tasklab mutate on a small fixture (killed vs survived, -j independence, bad input).
tl_add_unit_test(test_record_replay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_record_replay.c LIBS tl_pipeline)
add_test(NAME studies.mutate
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/mutate.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(studies.mutate PROPERTIES LABELS cli)
