# SPDX-License-Identifier: MIT
# Task XML normaliser and the TaskCache Actions blob reader.
tl_add_fuzz_target(taskxml SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_taskxml.c LIBS tl_sim
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/taskxml)
foreach(t taskxml_replay taskxml_fuzzer)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE tl_sim_internal)
  endif()
endforeach()
