# SPDX-License-Identifier: MIT
# Simulator: scenario loader, endpoint model, Task Scheduler service, command
# interpreters (schtasks, cmd, reg, PowerShell), Sysmon integration, noise.
tl_add_unit_test(test_sim SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sim.c LIBS tl_sim)
target_include_directories(test_sim PRIVATE ${PROJECT_SOURCE_DIR}/simulator/src)
