# SPDX-License-Identifier: MIT
# Console output of command steps: schtasks' messages and /query listing, reg's
# messages, exit codes, cmd.exe redirections, task actions (no console).
tl_add_unit_test(test_console SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console.c LIBS tl_sim)
