# SPDX-License-Identifier: MIT
tl_add_unit_test(test_ar SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ar.c LIBS tl_ar)
# No way to start a process in the AR program: its objects and executable
# import none of these (the source-level check is in test_ar.c).
add_test(NAME unit.ar_no_process_symbols
  COMMAND sh -c "nm -u \"$1\" \"$2\" | grep -E '\\b(system|popen|fork|vfork|execv|execve|execvp|execvpe|execl|execlp|posix_spawn|posix_spawnp|CreateProcess)' && exit 1 || exit 0"
  sh $<TARGET_FILE:tl_ar> $<TARGET_FILE:analyze-scheduled-task>)
set_tests_properties(unit.ar_no_process_symbols PROPERTIES LABELS unit)
