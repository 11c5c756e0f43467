# SPDX-License-Identifier: MIT
# The differential test of the two EVTX readers: tasklab's own and libevtx
# give the same records on every recording of ../shared/reference/evtx.
# Skipped (77) without ../shared or without libevtx.
add_executable(evtx_diff ${CMAKE_CURRENT_LIST_DIR}/evtx_diff.c)
set_target_properties(evtx_diff PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_link_libraries(evtx_diff PRIVATE tl_replay tl_base)
tl_warnings(evtx_diff)
add_test(NAME replay.evtx_diff COMMAND evtx_diff ${PROJECT_SOURCE_DIR}/../shared/reference/evtx)
set_tests_properties(replay.evtx_diff PROPERTIES LABELS "replay;oracle" SKIP_RETURN_CODE 77 TIMEOUT 300)
