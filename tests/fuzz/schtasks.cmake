# SPDX-License-Identifier: MIT
# Command lines (cmd, schtasks, reg, powershell ...) run on a fresh endpoint.
tl_add_fuzz_target(schtasks SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_schtasks.c LIBS tl_sim
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/schtasks)
foreach(t schtasks_replay schtasks_fuzzer)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE tl_sim_internal)
    target_compile_definitions(${t} PRIVATE TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
endforeach()
