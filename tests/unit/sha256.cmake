# SPDX-License-Identifier: MIT
# SHA-256: the FIPS 180-4 examples, the portable and the SHA-NI block functions alike.
tl_add_unit_test(test_sha256 SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sha256.c LIBS tl_base)
