# SPDX-License-Identifier: MIT
# The driver streams a large events.xml (noise) instead of holding it in memory.
tl_add_unit_test(test_noise_stream SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_noise_stream.c LIBS tl_pipeline)
