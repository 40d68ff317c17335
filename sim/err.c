/* SPDX-License-Identifier: MIT */
/*
 * err.c — the SIM_E* error table: names and messages generated from SIM_ERRNO_MAP.
 * Windows counterpart: the NTSTATUS message table, for the simulator's own infrastructure.
 */
#include "sim/sim.h"

const char *
sim_strerror(int err)
{
    switch (err) {
#define SIM_ERRNO_MSG(name, value, msg)                                                            \
    case SIM_E##name:                                                                              \
        return msg;
        SIM_ERRNO_MAP(SIM_ERRNO_MSG)
#undef SIM_ERRNO_MSG
    case 0:
        return "success";
    default:
        return "unknown error";
    }
}

const char *
sim_err_name(int err)
{
    switch (err) {
#define SIM_ERRNO_NAME(name, value, msg)                                                           \
    case SIM_E##name:                                                                              \
        return "SIM_E" #name;
        SIM_ERRNO_MAP(SIM_ERRNO_NAME)
#undef SIM_ERRNO_NAME
    case 0:
        return "SIM_OK";
    default:
        return "SIM_E?";
    }
}
