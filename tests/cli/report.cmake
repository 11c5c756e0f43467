# SPDX-License-Identifier: MIT
# tasklab report (pipeline/report/): the command line (determinism, bad input,
# the output folder) and, in headless Chromium, the pages themselves.
add_test(NAME report.cli
         COMMAND ${PROJECT_SOURCE_DIR}/tests/report/report_cli.sh $<TARGET_FILE:tasklab> ${PROJECT_SOURCE_DIR})
set_tests_properties(report.cli PROPERTIES LABELS cli)
find_package(ZLIB REQUIRED)
add_executable(png_stats ${PROJECT_SOURCE_DIR}/tests/report/png_stats.c)
set_target_properties(png_stats PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_link_libraries(png_stats PRIVATE ZLIB::ZLIB)
tl_warnings(png_stats)
add_test(NAME report.browser
         COMMAND ${PROJECT_SOURCE_DIR}/tests/report/report_browser.sh $<TARGET_FILE:tasklab>
                 ${PROJECT_SOURCE_DIR} $<TARGET_FILE:png_stats>)
set_tests_properties(report.browser PROPERTIES LABELS browser SKIP_RETURN_CODE 77 TIMEOUT 600)
tl_add_unit_test(test_report SOURCES ${PROJECT_SOURCE_DIR}/tests/report/test_report.c LIBS tl_report)
target_include_directories(test_report PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/report/src)
