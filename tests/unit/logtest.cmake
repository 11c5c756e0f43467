# SPDX-License-Identifier: MIT
# wazuh-logtest and runtests.py re-implementations (manager logtest.c, rstest.c).
tl_add_unit_test(test_logtest SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_logtest.c LIBS tl_manager)
