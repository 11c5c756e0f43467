# SPDX-License-Identifier: MIT
# Scenario loader and simulator with host mirroring on (a drive_c folder), checking
# that no write leaves the drive (issue 10).
tl_add_fuzz_target(scenario_drive SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_scenario_drive.c LIBS tl_sim
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/scenario_drive)
foreach(t scenario_drive_replay scenario_drive_fuzzer)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE tl_sim_internal)
    target_compile_definitions(${t} PRIVATE TL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endif()
endforeach()
