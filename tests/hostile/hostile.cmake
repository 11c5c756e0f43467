# SPDX-License-Identifier: MIT
# The hostile corpus (README.md here): every file of expect.tsv through
# `tasklab <command>` in a scratch folder with a canary folder next to --out.
add_test(NAME hostile.corpus
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_corpus.sh $<TARGET_FILE:tasklab> ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(hostile.corpus PROPERTIES LABELS hostile TIMEOUT 600)
