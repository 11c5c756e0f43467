# SPDX-License-Identifier: MIT
# The platform layer (base/include/tasklab/platform.h): the Linux side is the
# call it replaces; the own address parsers the Windows build uses accept
# exactly what glibc's inet_pton accepts.
tl_add_unit_test(test_platform SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_platform.c LIBS tl_base)
target_include_directories(test_platform PRIVATE ${PROJECT_SOURCE_DIR}/base/src)
