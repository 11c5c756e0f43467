# SPDX-License-Identifier: MIT
# .NET DateTime parsing for PowerShell's -At (issue 14): DateTime.Parse under
# en-US, and the StartBoundary New-ScheduledTaskTrigger writes for 9am, 3pm,
# (Get-Date).AddMinutes(1) and the other forms PowerShell 5.1 accepts.
tl_add_unit_test(test_dotnet_time SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dotnet_time.c LIBS tl_sim)
target_link_libraries(test_dotnet_time PRIVATE tl_sim_internal)
