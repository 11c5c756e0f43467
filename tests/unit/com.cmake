# SPDX-License-Identifier: MIT
# Task registration through the Task Scheduler COM API from VBScript / JScript
# (wscript, cscript) and PowerShell (New-Object -ComObject Schedule.Service).
tl_add_unit_test(test_com SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_com.c LIBS tl_sim)
