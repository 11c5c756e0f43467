# SPDX-License-Identifier: MIT
# Containment (issue 10): scenario names, Windows path semantics before the
# host, the descriptor-relative walk (links, FIFOs, ".."), the AR's reads of
# the drive, and the messages of every failure.
tl_add_unit_test(test_contain SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_contain.c LIBS tl_sim tl_ar)
target_include_directories(test_contain PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/ar/src)
