/* SPDX-License-Identifier: MIT */
/*
 * Private body of tl_scenario, shared by the loader (scenario.c) and the
 * simulator. Steps are kept in execution order (stable sort by time); each
 * step remembers its index in the file for messages ("$.steps[3]").
 */
#ifndef TL_SCENARIO_INT_H
#define TL_SCENARIO_INT_H

#include "tasklab/scenario.h"

typedef enum tl_step_kind {
    TL_STEP_COMMAND = 0,
    TL_STEP_REGISTRY,
    TL_STEP_FILE,
    TL_STEP_NOISE,
    TL_STEP_LOGON,
    TL_STEP_TRIGGER,
    TL_STEP_RESTART, /* {"restart": "Schedule"}: the Schedule service restarts */
    TL_STEP_REBOOT   /* {"reboot": true}: the host restarts */
} tl_step_kind;

typedef enum tl_reg_op {
    TL_REGOP_CREATE_KEY = 0,
    TL_REGOP_SET_VALUE,
    TL_REGOP_DELETE_VALUE,
    TL_REGOP_DELETE_KEY
} tl_reg_op;

typedef enum tl_file_enc { TL_ENC_UTF8 = 0, TL_ENC_UTF8_BOM, TL_ENC_UTF16LE_BOM } tl_file_enc;

typedef struct tl_scn_user {
    char *name;
    int admin;
} tl_scn_user;

typedef struct tl_step {
    size_t file_index; /* position in $.steps */
    tl_time time;      /* start + at */
    tl_step_kind kind;
    char *user;   /* NULL = default (first user; SYSTEM for registry steps) */
    int elevated; /* -1 = not given */
    int wow64;    /* command steps: the parent is a 32-bit process */
    char *parent; /* command steps: parent image, NULL = default */
    char *image;  /* registry/file steps: writer image, NULL = default */
    char *command;
    /* registry */
    tl_reg_op reg_op;
    char *reg_key;
    char *reg_value; /* NULL = key op or (Default) when "" */
    char *reg_type;  /* "REG_SZ", ... NULL = REG_SZ */
    char *reg_data;  /* textual form: decimal for DWORD/QWORD, hex for BINARY,
                        '\n'-joined for MULTI_SZ, NULL when absent */
    /* file */
    int file_delete;
    char *file_path;
    char *file_content;
    tl_file_enc file_enc;
    /* logon */
    char *logon_user;
    /* trigger: the task whose trigger fires */
    char *trigger_task;
    /* noise */
    long noise_events;
    double noise_duration; /* seconds */
} tl_step;

struct tl_scenario {
    char *path;
    char *dir; /* folder of path ("." when none) */
    char *name, *title, *description, *technique, *actor, *kind;
    char *hostname, *domain, *os_build, *arch, *sysmon_config;
    char *windir; /* endpoint.windir: "C:\Windows" in the host's casing, NULL = "C:\Windows" */
    int chan_security, chan_taskscheduler;
    tl_scn_user *users;
    size_t nusers;
    char *agent_id, *agent_name;
    tl_time start;
    uint64_t seed;
    tl_step *steps; /* execution order */
    size_t nsteps;
    char *expect_json;
    char *recording; /* "recording": the recorded events' name (then no endpoint, no steps) */
    /* "limits": the run's work budget (tasklab/limits.h), defaults filled in */
    long limit_events;
    long limit_commands;
};

#endif /* TL_SCENARIO_INT_H */
