# SPDX-License-Identifier: MIT
# Simulator: scenario loader, endpoint model, Task Scheduler service, command
# interpreters (schtasks, cmd, reg, PowerShell), Sysmon integration, noise.
tl_add_unit_test(test_sim SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sim.c LIBS tl_sim)
target_link_libraries(test_sim PRIVATE tl_sim_internal)
add_test(NAME unit.sim_layering
         COMMAND ${CMAKE_COMMAND} -DSIM_DIR=${PROJECT_SOURCE_DIR}/simulator
                 -P ${CMAKE_CURRENT_LIST_DIR}/scripts/sim_layering.cmake)
set_tests_properties(unit.sim_layering PROPERTIES LABELS unit)
