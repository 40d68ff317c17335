/* SPDX-License-Identifier: MIT */
/*
 * ring_bench_int.h — private to bench/: what the ring benchmark driver (ring_bench.c) needs to
 * know about a ring implementation under test. Each implementation (sim_ring in ring_bench.c,
 * DPDK rte_ring in ring_dpdk.c) instantiates the same measurement loops from
 * ring_bench_loops.h with its own inline enqueue/dequeue, so both are measured by identical
 * code and neither pays an indirect call per burst.
 */
#ifndef SRIOVSIM_BENCH_RING_BENCH_INT_H
#define SRIOVSIM_BENCH_RING_BENCH_INT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Largest burst the benchmark accepts (the loops keep one burst on the stack). */
#define BENCH_RING_BURST_MAX 4096u

/* Start/stop flags shared by the driver and the two threads of one run. */
struct bench_ring_shared {
    alignas(64) atomic_int ready; /* threads pinned and waiting */
    alignas(64) atomic_int go;    /* set once by the driver: start moving */
    atomic_int stop;              /* set by a side that gave up (stall): the other stops too */
};

/* One side (producer or consumer) of a two-thread run: its parameters, then its results.
 * Each side has its own cache lines; only its own thread writes it while the run lasts. */
struct bench_ring_side {
    alignas(64) void *ring;
    const struct bench_ring_impl *impl;
    struct bench_ring_shared *shared;
    uint64_t total; /* descriptors to move */
    unsigned burst;
    int cpu; /* pin to this CPU */
    /* results */
    int pin_err;         /* pthread_setaffinity_np result (0 = pinned) */
    uint64_t moved;      /* descriptors enqueued (producer) / dequeued (consumer) */
    uint64_t idle_polls; /* calls that moved nothing (ring full / empty) */
    bool bad;            /* consumer: a descriptor arrived out of order / duplicated */
    uint64_t bad_index;  /* consumer: position of the first bad descriptor */
    uint64_t bad_value;  /* consumer: what arrived there */
    bool stalled;        /* no progress for BENCH_RING_STALL_NS */
    uint64_t t_end_ns;   /* bench_ring_now_ns() when this side finished */
};

/* A side that sees no progress for this long gives up (a lost descriptor must not hang). */
#define BENCH_RING_STALL_NS (UINT64_C(10) * 1000000000u)

/* A ring implementation under test. All functions run on the thread that calls them. */
struct bench_ring_impl {
    const char *name;    /* "sim_ring", "rte_ring" */
    const char *version; /* library version for the report */
    /* Make an empty ring of `slots` slots (power of two). 0 or a negative SIM_E* code. */
    int (*create)(unsigned slots, void **ring);
    void (*destroy)(void *ring);
    /* Descriptors currently in the ring, and how many it can hold. */
    unsigned (*count)(void *ring);
    unsigned (*capacity)(void *ring);
    /* Two-thread bodies: enqueue 0,1,2,...,total-1 in bursts / dequeue and check them. */
    void (*produce)(struct bench_ring_side *s);
    void (*consume)(struct bench_ring_side *s);
    /* Single thread: `iters` rounds of enqueue-burst + dequeue-burst of `burst` descriptors on
     * an empty ring. Returns 0, or -1 if a call moved fewer than `burst` or the data came back
     * wrong. *elapsed_ns gets the time of the loop alone. */
    int (*single)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns);
    /* Single thread: `iters` dequeue-bursts on an empty ring / enqueue-bursts on a full ring.
     * Returns how many of those calls wrongly moved something (must be 0). */
    uint64_t (*poll_empty)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns);
    uint64_t (*poll_full)(void *ring, unsigned burst, uint64_t iters, uint64_t *elapsed_ns);
};

/* Monotonic nanoseconds (clock_gettime is a vDSO call: no system call on Linux). */
static inline uint64_t
bench_ring_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Polite spin: tells an SMT sibling / the hypervisor that we are busy-waiting. */
static inline void
bench_ring_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* The implementations. The DPDK one exists only when the build found libdpdk. */
extern const struct bench_ring_impl bench__ring_impl_sim;
#ifdef SRIOVSIM_HAVE_DPDK
extern const struct bench_ring_impl bench__ring_impl_dpdk;
#endif

#endif /* SRIOVSIM_BENCH_RING_BENCH_INT_H */
