/* SPDX-License-Identifier: MIT */
/*
 * time.c — formatting and parsing of simulated times ("1.500000000s", "250ms").
 * Parsing is exact integer arithmetic: "0.1s" is 100000000 ns, never 99999999.
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "sim/sim.h"

char *
sim_time_format(sim_time_t t, char *buf, size_t len)
{
    const char *sign = "";
    uint64_t u = (uint64_t)t;
    if (t < 0) {
        sign = "-";
        u = (uint64_t)0 - (uint64_t)t;
    }
    snprintf(buf, len, "%s%" PRIu64 ".%09" PRIu64 "s", sign, u / 1000000000u, u % 1000000000u);
    return buf;
}

int
sim_time_parse(const char *text, sim_time_t *out)
{
    if (text == NULL || *text == '\0')
        return SIM_EINVAL;
    const char *p = text;
    uint64_t whole = 0;
    int whole_digits = 0;
    while (isdigit((unsigned char)*p)) {
        if (whole > (UINT64_MAX - 9) / 10)
            return SIM_ERANGE;
        whole = whole * 10 + (uint64_t)(*p - '0');
        whole_digits++;
        p++;
    }
    uint64_t frac = 0, frac_scale = 1;
    int frac_digits = 0;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (frac_digits >= 18)
                return SIM_ERANGE;
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_scale *= 10;
            frac_digits++;
            p++;
        }
    }
    if (whole_digits == 0 && frac_digits == 0)
        return SIM_EINVAL;
    uint64_t unit;
    if (*p == '\0' || strcmp(p, "s") == 0)
        unit = 1000000000u;
    else if (strcmp(p, "ms") == 0)
        unit = 1000000u;
    else if (strcmp(p, "us") == 0)
        unit = 1000u;
    else if (strcmp(p, "ns") == 0)
        unit = 1u;
    else
        return SIM_EINVAL;
    if (whole > (uint64_t)INT64_MAX / unit)
        return SIM_ERANGE;
    uint64_t ns = whole * unit;
    /* frac/frac_scale of a unit must be a whole number of ns. frac < frac_scale <= 1e18 and
     * unit <= 1e9: split to avoid overflow of frac * unit. */
    unsigned __int128 wide = (unsigned __int128)frac * unit;
    if (wide % frac_scale != 0)
        return SIM_EINVAL; /* finer than a nanosecond */
    uint64_t frac_ns = (uint64_t)(wide / frac_scale);
    if (ns > (uint64_t)INT64_MAX - frac_ns)
        return SIM_ERANGE;
    *out = (sim_time_t)(ns + frac_ns);
    return 0;
}
