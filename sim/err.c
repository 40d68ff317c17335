/* SPDX-License-Identifier: MIT */
/*
 * err.c — the SIM_E* error table and the drop-cause table, generated from their X-macros.
 * Windows counterpart: the NTSTATUS message table, for the simulator's own infrastructure.
 */
#include <string.h>

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

const char *
sim_drop_cause_name(enum sim_drop_cause cause)
{
    switch (cause) {
#define SIM_DROP_NAME(name, word, msg)                                                             \
    case SIM_DROP_##name:                                                                          \
        return word;
        SIM_DROP_CAUSE_MAP(SIM_DROP_NAME)
#undef SIM_DROP_NAME
    default:
        return "?";
    }
}

const char *
sim_drop_cause_message(enum sim_drop_cause cause)
{
    switch (cause) {
#define SIM_DROP_MSG(name, word, msg)                                                              \
    case SIM_DROP_##name:                                                                          \
        return msg;
        SIM_DROP_CAUSE_MAP(SIM_DROP_MSG)
#undef SIM_DROP_MSG
    default:
        return "?";
    }
}

int
sim_drop_cause_parse(const char *name, enum sim_drop_cause *out)
{
    for (int c = 0; c < SIM_DROP_CAUSE_COUNT; c++) {
        if (strcmp(name, sim_drop_cause_name((enum sim_drop_cause)c)) == 0) {
            *out = (enum sim_drop_cause)c;
            return 0;
        }
    }
    return SIM_EINVAL;
}
