# SPDX-License-Identifier: MIT
# Sysmon engine: config loader, filter, Windows event renderers (simulator/).
tl_add_unit_test(test_sysmon SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sysmon.c LIBS tl_sim)
# The differential test walks the compiled rule sets (sysmon_int.h).
target_link_libraries(test_sysmon PRIVATE tl_sim_internal)
