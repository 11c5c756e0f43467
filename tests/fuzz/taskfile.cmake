# SPDX-License-Identifier: MIT
tl_add_fuzz_target(taskfile SOURCES ${CMAKE_CURRENT_LIST_DIR}/taskfile.c LIBS tl_ar
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/taskfile)
