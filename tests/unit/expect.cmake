# SPDX-License-Identifier: MIT
# Hand-written expectations (pipeline/driver expect.c): alerts, events, AR
# records, final tasks and console output; match, mismatch and loader errors.
tl_add_unit_test(test_expect SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_expect.c LIBS tl_pipeline)
