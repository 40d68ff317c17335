/* SPDX-License-Identifier: MIT */
/*
 * diag.c — human-readable failure reasons carried next to error codes (struct sim_diag).
 * Windows counterpart: the event-log text a driver writes next to a failing NDIS_STATUS.
 */
#include <stdio.h>
#include <string.h>

#include "sim/sim.h"

void
sim_diag_clear(struct sim_diag *d)
{
    if (d == NULL)
        return;
    d->code = 0;
    d->reason[0] = '\0';
}

int
sim_diag_fail(struct sim_diag *d, int code, const char *fmt, ...)
{
    if (d == NULL)
        return code;
    d->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
    return code;
}
