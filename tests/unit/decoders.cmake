# SPDX-License-Identifier: MIT
# Pre-decoding, eventchannel conversion, JSON decoder and Wazuh decoders.
tl_add_unit_test(test_decoders SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_decoders.c LIBS tl_manager)
target_include_directories(test_decoders PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/manager/src)
target_link_libraries(test_decoders PRIVATE PkgConfig::CJSON)
