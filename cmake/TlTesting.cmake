# SPDX-License-Identifier: MIT
# Test helpers: one CMocka binary per module, fuzz targets with a replay main,
# and golden scenario tests.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# tl_add_unit_test(name SOURCES a.c ... LIBS x y)
function(tl_add_unit_test name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${A_LIBS} PkgConfig::CMOCKA)
  target_compile_definitions(${name} PRIVATE
    TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" TL_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  tl_warnings(${name})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endfunction()

# tl_add_fuzz_target(name SOURCES a.c ... LIBS x y CORPUS dir)
# Always builds <name>_replay (reads files or folders given on the command
# line and feeds each to LLVMFuzzerTestOneInput) and registers the committed
# corpus as a ctest; with TL_BUILD_FUZZERS also a libFuzzer binary.
function(tl_add_fuzz_target name)
  cmake_parse_arguments(A "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name}_replay ${A_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
  set_target_properties(${name}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name}_replay PRIVATE ${A_LIBS})
  tl_warnings(${name}_replay)
  add_test(NAME fuzz.${name} COMMAND ${name}_replay ${A_CORPUS})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz)
  if(TL_BUILD_FUZZERS)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "TL_BUILD_FUZZERS needs clang")
    endif()
    add_executable(${name}_fuzzer ${A_SOURCES})
    set_target_properties(${name}_fuzzer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    target_compile_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_compile_definitions(${name}_fuzzer PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION=1)
    target_link_libraries(${name}_fuzzer PRIVATE ${A_LIBS})
  endif()
endfunction()
