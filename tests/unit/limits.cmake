# SPDX-License-Identifier: MIT
# Limits on untrusted input (tasklab/limits.h): parser depth, nesting, command-line
# length and the per-run work budget end as clear step errors, never as crashes.
tl_add_unit_test(test_limits SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_limits.c LIBS tl_sim)
target_link_libraries(test_limits PRIVATE tl_sim_internal)
