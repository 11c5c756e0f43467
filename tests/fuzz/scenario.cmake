# SPDX-License-Identifier: MIT
# Scenario loader (and, for loadable scenarios with little noise, the simulator run).
tl_add_fuzz_target(scenario SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_scenario.c LIBS tl_sim
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/scenario)
foreach(t scenario_replay scenario_fuzzer)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE tl_sim_internal)
    target_compile_definitions(${t} PRIVATE TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
endforeach()
