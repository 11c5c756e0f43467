# SPDX-License-Identifier: MIT
# tasklab.exe, the Windows build (ci/build-windows.sh), under Wine (issue 18):
# the whole library in each profile byte-identical to golden/ and reported as
# the Linux build reports it; ruleset-test over the Wazuh reference .ini files
# with the Linux build's report; the hostile corpus with the same errors and
# nothing touched outside its folders. Label wine: left out of the sanitizer
# pass; skipped (77, with the reason) without Wine, mingw-w64 or ../shared.
# One Wine test at a time (RESOURCE_LOCK wine): they share build-windows/.
foreach(_p default tasklab wazuh)
  add_test(NAME wine.library_${_p}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/windows_wine.sh library $<TARGET_FILE:tasklab>
                   ${PROJECT_SOURCE_DIR} ${_p})
  set_tests_properties(wine.library_${_p} PROPERTIES LABELS "golden;wine" SKIP_RETURN_CODE 77
    TIMEOUT 3000 RESOURCE_LOCK wine)
endforeach()
add_test(NAME wine.ruleset_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/windows_wine.sh ruleset $<TARGET_FILE:tasklab>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(wine.ruleset_test PROPERTIES LABELS wine SKIP_RETURN_CODE 77 TIMEOUT 3000
  RESOURCE_LOCK wine)
add_test(NAME wine.hostile_corpus
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/windows_wine.sh hostile $<TARGET_FILE:tasklab>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(wine.hostile_corpus PROPERTIES LABELS "hostile;wine" SKIP_RETURN_CODE 77
  TIMEOUT 1500 RESOURCE_LOCK wine)
