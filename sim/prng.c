/* SPDX-License-Identifier: MIT */
/*
 * prng.c — the deterministic PRNG: xoshiro256** (Blackman & Vigna) seeded through splitmix64.
 * Windows counterpart: none; it makes a scenario's random choices replayable with --seed.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "sim/sim.h"

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
sim_prng_init(struct sim_prng *p, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        p->s[i] = splitmix64(&sm);
    p->seed = seed;
}

uint64_t
sim_prng_next(struct sim_prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t
sim_prng_below(struct sim_prng *p, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Rejection sampling on the top of the range: unbiased for every bound. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t x;
    do {
        x = sim_prng_next(p);
    } while (x >= limit);
    return x % bound;
}

double
sim_prng_unit(struct sim_prng *p)
{
    return (double)(sim_prng_next(p) >> 11) * 0x1.0p-53;
}

void
sim_prng_fork(const struct sim_prng *parent, uint64_t stream_id, struct sim_prng *child)
{
    uint64_t sm = parent->seed ^ (stream_id * UINT64_C(0xd1342543de82ef95));
    sim_prng_init(child, splitmix64(&sm));
}

int
sim_seed_parse_or_draw(const char *text, uint64_t *seed_out)
{
    if (text != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 0);
        if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
            return SIM_EINVAL;
        *seed_out = (uint64_t)v;
        return 0;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sm = (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
    /* Keep drawn seeds short enough to type: 32 bits is plenty for replay. */
    *seed_out = splitmix64(&sm) & UINT64_C(0xffffffff);
    return 0;
}
