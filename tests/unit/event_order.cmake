# SPDX-License-Identifier: MIT
# Event order (issue 14): the Security 4700-4702 and TaskScheduler 140/142 a
# change logs come after the taskschd.dll load (Event 7) of the process that
# made it, on every path that changes a task.
tl_add_unit_test(test_event_order SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_event_order.c LIBS tl_sim)
