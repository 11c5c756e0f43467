# SPDX-License-Identifier: MIT
# Recording readers (pipeline/replay): EvtRender form, XML exports, JSON lines,
# .evtx through libevtx, bad input.
tl_add_unit_test(test_replay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_replay.c LIBS tl_replay)
