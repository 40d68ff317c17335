/* SPDX-License-Identifier: MIT */
/*
 * ring_bench_loops.h — the measurement loops of the ring benchmark, written once and
 * instantiated per ring implementation (a template by #include, deliberately without include
 * guard). Before including, define:
 *   BENCH_LOOPS_PREFIX        token prefixed to every function name (e.g. sim_)
 *   BENCH_LOOPS_RING_T        the ring type
 *   BENCH_LOOPS_ENQ(r, o, n)  burst enqueue of n uint64_t from o, returns how many
 *   BENCH_LOOPS_DEQ(r, o, n)  burst dequeue of up to n uint64_t into o, returns how many
 *   BENCH_LOOPS_COUNT(r)      descriptors in the ring
 * Defines static functions <prefix>produce, consume, single, poll_empty, poll_full with the
 * signatures of struct bench_ring_impl. The enqueue/dequeue calls are inline in each loop, so
 * the figures include no indirect call per burst.
 */
#include <pthread.h>
#include <sched.h>

#include "bench/ring_bench_int.h"

#define BENCH_LOOPS_CAT_(a, b) a##b
#define BENCH_LOOPS_CAT(a, b)  BENCH_LOOPS_CAT_(a, b)
#define BENCH_LOOPS_FN(name)   BENCH_LOOPS_CAT(BENCH_LOOPS_PREFIX, name)

/* Pin the calling thread, count it ready, then wait for the driver's start signal. */
static void
BENCH_LOOPS_FN(start)(struct bench_ring_side *s)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    s->pin_err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    /* Relaxed: a counter the driver polls; nothing is published through it (pin_err is read
     * after uv_thread_join, which orders it). */
    atomic_fetch_add_explicit(&s->shared->ready, 1, memory_order_relaxed);
    /* Acquire; partner: the driver's release store of `go` after both sides are ready. */
    while (!atomic_load_explicit(&s->shared->go, memory_order_acquire))
        bench_ring_relax();
}

/* Called every 65536 consecutive idle polls: true when the run must end (the other side gave
 * up, or this side has seen no progress for BENCH_RING_STALL_NS). */
static bool
BENCH_LOOPS_FN(should_give_up)(struct bench_ring_side *s, uint64_t streak, uint64_t *streak_t0)
{
    /* Relaxed: a plain stop flag; no data is published through it. */
    if (atomic_load_explicit(&s->shared->stop, memory_order_relaxed))
        return true;
    uint64_t t = bench_ring_now_ns();
    if (streak == 0x10000) {
        *streak_t0 = t;
        return false;
    }
    if (t - *streak_t0 > BENCH_RING_STALL_NS) {
        s->stalled = true;
        /* Relaxed: see the load above. */
        atomic_store_explicit(&s->shared->stop, 1, memory_order_relaxed);
        return true;
    }
    return false;
}

/* Producer thread: enqueue 0, 1, 2, ..., total-1 in bursts of s->burst. */
static void
BENCH_LOOPS_FN(produce)(struct bench_ring_side *s)
{
    BENCH_LOOPS_RING_T *r = s->ring;
    uint64_t buf[BENCH_RING_BURST_MAX];
    const uint64_t total = s->total;
    const unsigned b = s->burst;
    uint64_t seq = 0, idle = 0, streak = 0, streak_t0 = 0;

    BENCH_LOOPS_FN(start)(s);
    while (seq < total) {
        unsigned want = total - seq < b ? (unsigned)(total - seq) : b;
        for (unsigned i = 0; i < want; i++)
            buf[i] = seq + i;
        unsigned k;
        while ((k = BENCH_LOOPS_ENQ(r, buf, want)) == 0) {
            idle++;
            if ((++streak & 0xffff) == 0 && BENCH_LOOPS_FN(should_give_up)(s, streak, &streak_t0))
                goto out;
            bench_ring_relax();
        }
        streak = 0;
        seq += k;
    }
out:
    s->t_end_ns = bench_ring_now_ns();
    s->moved = seq;
    s->idle_polls = idle;
}

/* Consumer thread: dequeue in bursts of s->burst and check that exactly 0, 1, 2, ... arrive. */
static void
BENCH_LOOPS_FN(consume)(struct bench_ring_side *s)
{
    BENCH_LOOPS_RING_T *r = s->ring;
    uint64_t buf[BENCH_RING_BURST_MAX];
    const uint64_t total = s->total;
    const unsigned b = s->burst;
    uint64_t expect = 0, idle = 0, streak = 0, streak_t0 = 0;

    BENCH_LOOPS_FN(start)(s);
    while (expect < total) {
        unsigned k = BENCH_LOOPS_DEQ(r, buf, b);
        if (k == 0) {
            idle++;
            if ((++streak & 0xffff) == 0 && BENCH_LOOPS_FN(should_give_up)(s, streak, &streak_t0))
                break;
            bench_ring_relax();
            continue;
        }
        streak = 0;
        /* Branch-free check of the whole burst (vectorised); locate the culprit only on error. */
        uint64_t diff = 0;
        for (unsigned i = 0; i < k; i++)
            diff |= buf[i] ^ (expect + i);
        if (diff != 0 && !s->bad) {
            unsigned i = 0;
            while (buf[i] == expect + i)
                i++;
            s->bad = true;
            s->bad_index = expect + i;
            s->bad_value = buf[i];
        }
        expect += k;
    }
    s->t_end_ns = bench_ring_now_ns();
    s->moved = expect;
    s->idle_polls = idle;
}

/* Single thread: enqueue a burst, dequeue it, `iters` times (DPDK test_ring_perf style). */
static int
BENCH_LOOPS_FN(single)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns)
{
    BENCH_LOOPS_RING_T *r = ring;
    uint64_t in[BENCH_RING_BURST_MAX], out[BENCH_RING_BURST_MAX];
    int err = 0;

    for (unsigned i = 0; i < burst; i++) {
        in[i] = (i + 1) * UINT64_C(0x9e3779b97f4a7c15);
        out[i] = 0;
    }
    uint64_t t0 = bench_ring_now_ns();
    for (uint64_t it = 0; it < iters; it++) {
        if (BENCH_LOOPS_ENQ(r, in, burst) != burst)
            err = -1;
        if (BENCH_LOOPS_DEQ(r, out, burst) != burst)
            err = -1;
    }
    *elapsed_ns = bench_ring_now_ns() - t0;
    for (unsigned i = 0; i < burst; i++)
        if (out[i] != in[i])
            err = -1;
    if (BENCH_LOOPS_COUNT(r) != 0)
        err = -1;
    return err;
}

/* Single thread: the cost of a dequeue attempt on an empty ring. */
static uint64_t
BENCH_LOOPS_FN(poll_empty)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns)
{
    BENCH_LOOPS_RING_T *r = ring;
    uint64_t out[BENCH_RING_BURST_MAX];
    uint64_t moved = 0;

    uint64_t t0 = bench_ring_now_ns();
    for (uint64_t it = 0; it < iters; it++)
        moved += BENCH_LOOPS_DEQ(r, out, burst);
    *elapsed_ns = bench_ring_now_ns() - t0;
    return moved;
}

/* Single thread: the cost of an enqueue attempt on a full ring (filled first, drained after). */
static uint64_t
BENCH_LOOPS_FN(poll_full)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns)
{
    BENCH_LOOPS_RING_T *r = ring;
    uint64_t buf[BENCH_RING_BURST_MAX];
    uint64_t moved = 0;

    for (unsigned i = 0; i < burst; i++)
        buf[i] = i;
    while (BENCH_LOOPS_ENQ(r, buf, burst) != 0)
        ;
    uint64_t t0 = bench_ring_now_ns();
    for (uint64_t it = 0; it < iters; it++)
        moved += BENCH_LOOPS_ENQ(r, buf, burst);
    *elapsed_ns = bench_ring_now_ns() - t0;
    while (BENCH_LOOPS_DEQ(r, buf, burst) != 0)
        ;
    return moved;
}

#undef BENCH_LOOPS_FN
#undef BENCH_LOOPS_CAT
#undef BENCH_LOOPS_CAT_
