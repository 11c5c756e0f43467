# SPDX-License-Identifier: MIT
# tasklab's own EVTX reader on synthetic files (value types, templates,
# BinXml substitutions, damage, hostile nesting).
tl_add_unit_test(test_evtx SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_evtx.c LIBS tl_replay)
