# SPDX-License-Identifier: MIT
# Sysmon configuration loader (+ filter and renderer on what loads).
tl_add_fuzz_target(sysmon_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sysmon_config.c LIBS tl_sim
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/sysmon_config)
