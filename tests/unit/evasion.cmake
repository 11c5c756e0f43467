# SPDX-License-Identifier: MIT
# One case per row of ../shared/facts/evasion.md §2-§4 the simulator models: accepted
# spellings give the sheet's process tree and command lines, rejected ones fail as
# Windows does (exit code, message, no task).
tl_add_unit_test(test_evasion SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_evasion.c LIBS tl_sim tl_sim_internal)
