# SPDX-License-Identifier: MIT
# tasklab replay: exit codes and messages for good, damaged and bad recordings.
add_test(NAME cli.replay COMMAND ${CMAKE_CURRENT_LIST_DIR}/replay.sh $<TARGET_FILE:tasklab>)
set_tests_properties(cli.replay PROPERTIES LABELS cli SKIP_RETURN_CODE 77)
add_test(NAME style.exported_symbols_replay
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/symbols.sh $<TARGET_FILE:tl_replay>)
set_tests_properties(style.exported_symbols_replay PROPERTIES LABELS cli)
