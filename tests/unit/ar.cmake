# SPDX-License-Identifier: MIT
tl_add_unit_test(test_ar SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ar.c LIBS tl_ar)
# No way to start a process in the AR program: its objects and executable
# import none of these (the source-level check is in test_ar.c).
add_test(NAME unit.ar_no_process_symbols
  COMMAND sh -c "nm -u \"$1\" \"$2\" | grep -E '\\b(system|popen|fork|vfork|execv|execve|execvp|execvpe|execl|execlp|posix_spawn|posix_spawnp|CreateProcess)' && exit 1 || exit 0"
  sh $<TARGET_FILE:tl_ar> $<TARGET_FILE:analyze-scheduled-task>)
set_tests_properties(unit.ar_no_process_symbols PROPERTIES LABELS unit)
# The Windows build under Wine vs this Linux build (ci/wine-test.sh); skipped
# (77) without wine/mingw-w64. Reuses build-mingw/ as ci/test.sh leaves it.
add_test(NAME wine.ar_windows_vs_linux COMMAND ${PROJECT_SOURCE_DIR}/ci/wine-test.sh)
set_tests_properties(wine.ar_windows_vs_linux PROPERTIES LABELS wine SKIP_RETURN_CODE 77 RESOURCE_LOCK wine
  TIMEOUT 900 ENVIRONMENT "TL_LINUX_AR=$<TARGET_FILE:analyze-scheduled-task>;TL_MINGW_BUILD_DIR=${PROJECT_SOURCE_DIR}/build-mingw")
