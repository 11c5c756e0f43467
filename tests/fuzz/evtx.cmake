# SPDX-License-Identifier: MIT
# tasklab's own EVTX reader: whole files, or chunk bodies behind a valid
# header; seeds are synthetic (written by test_evtx, see fuzz_evtx.c).
tl_add_fuzz_target(evtx SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_evtx.c LIBS tl_replay
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/evtx)
