# SPDX-License-Identifier: MIT
# The hostile corpus (README.md here): every file of expect.tsv through
# `tasklab <command>` in a scratch folder with a canary folder next to --out.
add_test(NAME hostile.corpus
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_corpus.sh $<TARGET_FILE:tasklab> ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(hostile.corpus PROPERTIES LABELS hostile TIMEOUT 600)
# Outputs outside the drive: --junit through links/FIFOs, the --out lock,
# cleaning what killed runs left (outputs.sh).
add_test(NAME hostile.outputs
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/outputs.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(hostile.outputs PROPERTIES LABELS hostile TIMEOUT 600)
