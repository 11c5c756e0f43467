# SPDX-License-Identifier: MIT
# Time formatters: the printf-free Sysmon and SYSTEMTIME forms equal printf's.
tl_add_unit_test(test_timefmt SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_timefmt.c LIBS tl_base)
