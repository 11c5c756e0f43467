# SPDX-License-Identifier: MIT
# The recording readers (EVTX by tasklab's own reader, XML exports, JSON lines)
# and the EvtRender re-serialiser.
tl_add_fuzz_target(replay SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_replay.c LIBS tl_replay
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/replay)
