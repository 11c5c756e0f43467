# SPDX-License-Identifier: MIT
tl_add_fuzz_target(ar_message SOURCES ${CMAKE_CURRENT_LIST_DIR}/ar_message.c LIBS tl_ar
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/ar_message)
