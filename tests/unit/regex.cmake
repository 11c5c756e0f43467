# SPDX-License-Identifier: MIT
# Wazuh matching primitives (OS_Match, OS_Regex, PCRE2, string) of the manager.
tl_add_unit_test(test_regex SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_regex.c LIBS tl_manager)
target_include_directories(test_regex PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
find_package(Threads REQUIRED)
target_link_libraries(test_regex PRIVATE Threads::Threads)
