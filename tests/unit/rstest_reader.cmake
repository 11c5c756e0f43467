# SPDX-License-Identifier: MIT
# The .ini reader of ruleset-test on hostile bytes (issue 10).
tl_add_unit_test(test_rstest_reader SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rstest_reader.c
  LIBS tl_manager)
