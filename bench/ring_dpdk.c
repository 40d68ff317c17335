/* SPDX-License-Identifier: MIT */
/*
 * ring_dpdk.c — DPDK's rte_ring (single-producer / single-consumer burst mode) as a second
 * implementation for the ring benchmark, so `sriovsim bench ring` can report sim_ring as a
 * ratio against the reference lock-free ring measured in the same run. Built only when
 * pkg-config finds libdpdk (Debian: dpdk-dev); compiled with DPDK's own flags.
 *
 * No EAL initialisation is needed: the ring lives in caller memory (rte_ring_get_memsize +
 * rte_ring_init) and rte_ring_sp_enqueue_burst / rte_ring_sc_dequeue_burst are header-inline.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_version.h>

#include "bench/ring_bench_int.h"
#include "sim/sim.h"

/* rte_ring stores void *; our descriptors are uint64_t of the same size. */
_Static_assert(sizeof(void *) == sizeof(uint64_t), "descriptors are pointer-sized");

static inline unsigned
dpdk_enq(struct rte_ring *r, const uint64_t *objs, unsigned n)
{
    return rte_ring_sp_enqueue_burst(r, (void *const *)(const void *)objs, n, NULL);
}

static inline unsigned
dpdk_deq(struct rte_ring *r, uint64_t *objs, unsigned n)
{
    return rte_ring_sc_dequeue_burst(r, (void **)(void *)objs, n, NULL);
}

#define BENCH_LOOPS_PREFIX       dpdk_
#define BENCH_LOOPS_RING_T       struct rte_ring
#define BENCH_LOOPS_ENQ(r, o, n) dpdk_enq((r), (o), (n))
#define BENCH_LOOPS_DEQ(r, o, n) dpdk_deq((r), (o), (n))
#define BENCH_LOOPS_COUNT(r)     rte_ring_count(r)
#include "bench/ring_bench_loops.h"

static int
dpdk_create(unsigned slots, void **ring)
{
    *ring = NULL;
    ssize_t bytes = rte_ring_get_memsize(slots);
    if (bytes < 0)
        return SIM_EINVAL;
    size_t rounded = ((size_t)bytes + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
    struct rte_ring *r = aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
    if (r == NULL)
        return SIM_ENOMEM;
    if (rte_ring_init(r, "bench", slots, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
        free(r);
        return SIM_EINVAL;
    }
    *ring = r;
    return 0;
}

static void
dpdk_destroy(void *ring)
{
    free(ring);
}

static unsigned
dpdk_count(void *ring)
{
    return rte_ring_count(ring);
}

static unsigned
dpdk_capacity(void *ring)
{
    return rte_ring_get_capacity(ring);
}

#define DPDK_STR_(x) #x
#define DPDK_STR(x)  DPDK_STR_(x)

const struct bench_ring_impl bench__ring_impl_dpdk = {
    .name = "rte_ring",
    .version =
        "DPDK " DPDK_STR(RTE_VER_YEAR) "." DPDK_STR(RTE_VER_MONTH) "." DPDK_STR(RTE_VER_MINOR),
    .create = dpdk_create,
    .destroy = dpdk_destroy,
    .count = dpdk_count,
    .capacity = dpdk_capacity,
    .produce = dpdk_produce,
    .consume = dpdk_consume,
    .single = dpdk_single,
    .poll_empty = dpdk_poll_empty,
    .poll_full = dpdk_poll_full,
};
