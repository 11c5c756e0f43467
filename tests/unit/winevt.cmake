# SPDX-License-Identifier: MIT
# The single-pass EventChannel converter against the one it replaced
# (tests/winevt_ref/winevt_ref.c), byte for byte, on the scenario library's
# messages, the recorded event logs, the fuzz corpus and hostile text.
tl_add_unit_test(test_winevt SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_winevt.c
  ${PROJECT_SOURCE_DIR}/tests/winevt_ref/winevt_ref.c LIBS tl_manager tl_sim tl_agent)
target_include_directories(test_winevt PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src
  ${PROJECT_SOURCE_DIR}/tests/winevt_ref)
target_link_libraries(test_winevt PRIVATE PkgConfig::CJSON)
