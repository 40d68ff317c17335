/* SPDX-License-Identifier: MIT */
/*
 * test_ring.c — the lock-free SPSC descriptor ring: lifecycle and out-of-memory, single-thread
 * semantics (empty, full, exact capacity, bulk all-or-nothing vs burst partial, wrap-around of
 * the slot array and of the 32-bit indices, counts), a randomised comparison with a reference
 * queue, and a two-thread stress run that checks every descriptor arrives exactly once, in order.
 *
 * Random tests print their seed; replay one with SRIOVSIM_SEED=<seed>.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* ThreadSanitizer slows the stress test down by 10x or more; keep it within seconds there. */
#if defined(__SANITIZE_THREAD__)
#define STRESS_COUNT UINT64_C(2000000)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_COUNT UINT64_C(2000000)
#endif
#endif
#ifndef STRESS_COUNT
#define STRESS_COUNT UINT64_C(20000000)
#endif

static struct sim_ring *
make_ring(unsigned count)
{
    struct sim_ring *r = NULL;
    cr_assert_eq(sim_ring_create(count, &r), 0, "create(%u)", count);
    cr_assert_not_null(r);
    return r;
}

static uint64_t
test_seed(void)
{
    uint64_t seed = 0;
    cr_assert_eq(sim_seed_parse_or_draw(getenv("SRIOVSIM_SEED"), &seed), 0,
                 "SRIOVSIM_SEED must be a number");
    fprintf(stderr, "test_ring: seed %" PRIu64 " (replay with SRIOVSIM_SEED=%" PRIu64 ")\n", seed,
            seed);
    return seed;
}

/* Enqueue `n` consecutive values starting at `first` with one burst call; returns how many. */
static unsigned
enq_seq(struct sim_ring *r, uint64_t first, unsigned n, bool bulk)
{
    uint64_t buf[1024];
    cr_assert_leq(n, SIM_ARRAY_SIZE(buf));
    for (unsigned i = 0; i < n; i++)
        buf[i] = first + i;
    return bulk ? sim_ring_sp_enqueue_bulk(r, buf, n) : sim_ring_sp_enqueue_burst(r, buf, n);
}

/* Dequeue up to `n` with one call and assert they are first, first+1, ...; returns how many. */
static unsigned
deq_check(struct sim_ring *r, uint64_t first, unsigned n, bool bulk)
{
    uint64_t buf[1024];
    cr_assert_leq(n, SIM_ARRAY_SIZE(buf));
    unsigned got =
        bulk ? sim_ring_sc_dequeue_bulk(r, buf, n) : sim_ring_sc_dequeue_burst(r, buf, n);
    for (unsigned i = 0; i < got; i++)
        cr_assert_eq(buf[i], first + i, "slot %u: got %" PRIu64 ", want %" PRIu64, i, buf[i],
                     first + i);
    return got;
}

/* ---------------------------------------------------------------------------------------------
 * Lifecycle.
 * ------------------------------------------------------------------------------------------- */
Test(sim_ring, create_rejects_counts_that_are_not_powers_of_two)
{
    static const unsigned bad[] = {0, 1, 3, 6, 12, 100, 4095, 4097, 0x80000001u, 0xffffffffu};
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++) {
        struct sim_ring *r = (struct sim_ring *)(uintptr_t)0x1; /* must stay untouched */
        size_t sz = 7;
        cr_expect_eq(sim_ring_create(bad[i], &r), SIM_EINVAL, "count %u", bad[i]);
        cr_expect_eq(r, (struct sim_ring *)(uintptr_t)0x1, "out untouched for count %u", bad[i]);
        cr_expect_eq(sim_ring_memsize(bad[i], &sz), SIM_EINVAL, "memsize(%u)", bad[i]);
        cr_expect_eq(sz, 7);
    }
    cr_expect_eq(sim_ring_create(8, NULL), SIM_EINVAL);
    cr_expect_eq(sim_ring_memsize(8, NULL), SIM_EINVAL);
    cr_expect_eq(sim_ring_init(NULL, 8), SIM_EINVAL);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0);
}

Test(sim_ring, create_accepts_powers_of_two_and_destroy_returns_everything)
{
    for (unsigned c = 2; c <= (1u << 16); c <<= 1) {
        struct sim_ring *r = make_ring(c);
        cr_expect_eq(sim_ring_capacity(r), c, "all %u slots are usable", c);
        cr_expect_eq((uintptr_t)r % SIM_RING_CACHE_LINE, 0, "ring is cache-line aligned");
        cr_expect_eq((uintptr_t)r->slots % SIM_RING_CACHE_LINE, 0, "slots start on a line");
        cr_expect_gt(sim_alloc_live(SIM_TAG(sim_ring)), 0);
        sim_ring_destroy(r);
        cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0, "count %u leaked", c);
    }
    sim_ring_destroy(NULL); /* ignored */
}

Test(sim_ring, create_out_of_memory_returns_enomem_and_leaks_nothing)
{
    /* OOM sweep: fail allocation N = 0, 1, 2, ... until create succeeds. */
    long n = 0;
    for (;; n++) {
        cr_assert_lt(n, 16, "create never succeeded");
        struct sim_ring *r = NULL;
        sim_alloc_fail_nth(n);
        int rc = sim_ring_create(64, &r);
        sim_alloc_fail_nth(-1);
        if (rc == 0) {
            cr_assert_not_null(r);
            cr_expect_eq(enq_seq(r, 0, 3, false), 3, "the ring works after the sweep");
            sim_ring_destroy(r);
            break;
        }
        cr_expect_eq(rc, SIM_ENOMEM, "fail_nth(%ld)", n);
        cr_expect_null(r, "out untouched on failure");
        cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0, "leak after fail_nth(%ld)", n);
    }
    cr_expect_eq(n, 1, "create makes exactly one allocation");
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0);
}

Test(sim_ring, init_on_caller_memory)
{
    size_t sz = 0;
    cr_assert_eq(sim_ring_memsize(16, &sz), 0);
    cr_expect_geq(sz, sizeof(struct sim_ring) + 16 * sizeof(uint64_t));
    /* One extra line so that a misaligned start can be tried too. */
    unsigned char *mem = aligned_alloc(SIM_RING_CACHE_LINE, sz + SIM_RING_CACHE_LINE);
    cr_assert_not_null(mem);
    cr_expect_eq(sim_ring_init((struct sim_ring *)(void *)(mem + 8), 16), SIM_EINVAL,
                 "misaligned memory is refused");
    struct sim_ring *r = (struct sim_ring *)(void *)mem;
    cr_expect_eq(sim_ring_init(r, 12), SIM_EINVAL);
    cr_assert_eq(sim_ring_init(r, 16), 0);
    cr_expect_eq(sim_ring_capacity(r), 16);
    cr_expect(sim_ring_is_empty(r));
    cr_expect_eq(enq_seq(r, 100, 16, true), 16);
    cr_expect(sim_ring_is_full(r));
    cr_expect_eq(deq_check(r, 100, 16, true), 16);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0, "caller memory: no allocation");
    sim_ring_fini(r);
    sim_ring_fini(NULL);
    free(mem);
}

/* ---------------------------------------------------------------------------------------------
 * Single-thread semantics.
 * ------------------------------------------------------------------------------------------- */
Test(sim_ring, new_ring_is_empty)
{
    struct sim_ring *r = make_ring(8);
    uint64_t buf[8] = {0};
    cr_expect_eq(sim_ring_count(r), 0);
    cr_expect_eq(sim_ring_free_count(r), 8);
    cr_expect(sim_ring_is_empty(r));
    cr_expect_not(sim_ring_is_full(r));
    cr_expect_eq(sim_ring_sc_dequeue_burst(r, buf, 1), 0);
    cr_expect_eq(sim_ring_sc_dequeue_burst(r, buf, 8), 0);
    cr_expect_eq(sim_ring_sc_dequeue_bulk(r, buf, 1), 0);
    cr_expect_eq(sim_ring_sp_enqueue_burst(r, buf, 0), 0, "n = 0 moves nothing");
    cr_expect_eq(sim_ring_sp_enqueue_bulk(r, buf, 0), 0);
    cr_expect(sim_ring_is_empty(r));
    sim_ring_destroy(r);
}

Test(sim_ring, holds_exactly_capacity_then_refuses)
{
    struct sim_ring *r = make_ring(16);
    for (unsigned i = 0; i < 16; i++) {
        cr_assert_eq(enq_seq(r, i, 1, false), 1, "enqueue %u", i);
        cr_expect_eq(sim_ring_count(r), i + 1);
        cr_expect_eq(sim_ring_free_count(r), 15 - i);
    }
    cr_expect(sim_ring_is_full(r));
    cr_expect_not(sim_ring_is_empty(r));
    cr_expect_eq(enq_seq(r, 99, 1, false), 0, "burst on a full ring");
    cr_expect_eq(enq_seq(r, 99, 1, true), 0, "bulk on a full ring");
    cr_expect_eq(enq_seq(r, 99, 5, false), 0);
    cr_expect_eq(sim_ring_count(r), 16);
    /* One out, exactly one more fits. */
    cr_expect_eq(deq_check(r, 0, 1, false), 1);
    cr_expect_eq(enq_seq(r, 16, 2, false), 1, "only one slot was free");
    cr_expect(sim_ring_is_full(r));
    cr_expect_eq(deq_check(r, 1, 16, false), 16, "FIFO order across the refill");
    cr_expect(sim_ring_is_empty(r));
    sim_ring_destroy(r);
}

Test(sim_ring, bulk_is_all_or_nothing_burst_takes_what_fits)
{
    struct sim_ring *r = make_ring(8);
    cr_assert_eq(enq_seq(r, 0, 5, true), 5);
    cr_expect_eq(enq_seq(r, 5, 4, true), 0, "bulk of 4 with 3 free: nothing");
    cr_expect_eq(sim_ring_count(r), 5, "the refused bulk left the ring unchanged");
    cr_expect_eq(enq_seq(r, 5, 4, false), 3, "burst of 4 with 3 free: 3");
    cr_expect(sim_ring_is_full(r));
    cr_expect_eq(deq_check(r, 0, 9, true), 0, "bulk of 9 with 8 present: nothing");
    cr_expect_eq(sim_ring_count(r), 8);
    cr_expect_eq(deq_check(r, 0, 3, true), 3, "bulk of 3: exactly 3");
    cr_expect_eq(deq_check(r, 3, 100, false), 5, "burst of 100: the 5 present");
    cr_expect(sim_ring_is_empty(r));
    cr_expect_eq(deq_check(r, 0, 1, false), 0);
    sim_ring_destroy(r);
}

Test(sim_ring, wraps_around_the_slot_array)
{
    /* 5 in / 5 out on 8 slots: every other burst straddles the end of the array. */
    struct sim_ring *r = make_ring(8);
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 100; round++) {
        cr_assert_eq(enq_seq(r, next_in, 5, round % 2), 5, "round %d", round);
        next_in += 5;
        cr_assert_eq(sim_ring_count(r), 5);
        cr_assert_eq(deq_check(r, next_out, 5, round % 3 == 0), 5, "round %d", round);
        next_out += 5;
    }
    /* Straddling while full. */
    cr_assert_eq(enq_seq(r, next_in, 8, true), 8);
    cr_expect(sim_ring_is_full(r));
    cr_assert_eq(deq_check(r, next_in, 8, true), 8);
    sim_ring_destroy(r);
}

Test(sim_ring, large_bursts_wrap_too)
{
    /* Bursts big enough for the memcpy path, straddling the end of the array. */
    struct sim_ring *r = make_ring(512);
    uint64_t next_in = 0, next_out = 0;
    static const unsigned sizes[] = {200, 333, 64, 65, 511, 512, 63, 100};
    for (int round = 0; round < 40; round++) {
        unsigned n = sizes[round % SIM_ARRAY_SIZE(sizes)];
        cr_assert_eq(enq_seq(r, next_in, n, false), n);
        next_in += n;
        cr_assert_eq(deq_check(r, next_out, n, false), n, "round %d, n %u", round, n);
        next_out += n;
    }
    sim_ring_destroy(r);
}

Test(sim_ring, wraps_around_the_32bit_indices)
{
    struct sim_ring *r = make_ring(16);
    /* Start 6 below 2^32: the next bursts carry the free-running indices across zero. */
    sim_ring__set_start_index(r, UINT32_MAX - 5);
    cr_expect(sim_ring_is_empty(r));
    cr_expect_eq(sim_ring_free_count(r), 16);
    cr_assert_eq(enq_seq(r, 1000, 10, true), 10);
    cr_expect_eq(sim_ring_count(r), 10, "count across the index wrap");
    cr_expect_eq(sim_ring_free_count(r), 6);
    cr_expect_eq(enq_seq(r, 1010, 7, true), 0, "bulk 7 with 6 free");
    cr_expect_eq(enq_seq(r, 1010, 7, false), 6, "burst fills to exactly capacity");
    cr_expect(sim_ring_is_full(r));
    cr_expect_eq(enq_seq(r, 2000, 1, false), 0, "full while head < tail numerically");
    cr_expect_eq(deq_check(r, 1000, 4, true), 4);
    cr_expect_eq(sim_ring_count(r), 12);
    cr_expect_eq(deq_check(r, 1004, 20, false), 12);
    cr_expect(sim_ring_is_empty(r));
    cr_expect_eq(deq_check(r, 0, 1, false), 0, "empty after the wrap");
    /* Keep cycling well past the wrap. */
    uint64_t v = 5000;
    for (int i = 0; i < 50; i++, v += 13) {
        cr_assert_eq(enq_seq(r, v, 13, false), 13);
        cr_assert_eq(deq_check(r, v, 13, true), 13);
    }
    sim_ring_destroy(r);
}

/* Random operations against a reference FIFO: any disagreement in count, partial sizes or
 * values is a bug in the cached-index logic. */
Test(sim_ring, random_operations_match_a_reference_queue)
{
    uint64_t seed = test_seed();
    struct sim_prng p;
    sim_prng_init(&p, seed);
    static const unsigned sizes[] = {2, 4, 8, 64, 128};
    for (size_t si = 0; si < SIM_ARRAY_SIZE(sizes); si++) {
        unsigned cap = sizes[si];
        struct sim_ring *r = make_ring(cap);
        if (sim_prng_below(&p, 2))
            sim_ring__set_start_index(r, (uint32_t)(UINT32_MAX - sim_prng_below(&p, 3 * cap)));
        uint64_t in = 0, out = 0; /* reference: the ring holds [out, in) */
        for (int op = 0; op < 20000; op++) {
            unsigned n = (unsigned)sim_prng_below(&p, cap + 3);
            bool bulk = sim_prng_below(&p, 2);
            unsigned held = (unsigned)(in - out);
            if (sim_prng_below(&p, 2)) {
                unsigned fit = cap - held;
                unsigned want = bulk ? (n <= fit ? n : 0) : (n <= fit ? n : fit);
                cr_assert_eq(enq_seq(r, in, n, bulk), want,
                             "seed %" PRIu64 " cap %u op %d: enqueue %u (%s) held %u", seed, cap,
                             op, n, bulk ? "bulk" : "burst", held);
                in += want;
            } else {
                unsigned want = bulk ? (n <= held ? n : 0) : (n <= held ? n : held);
                cr_assert_eq(deq_check(r, out, n, bulk), want,
                             "seed %" PRIu64 " cap %u op %d: dequeue %u (%s) held %u", seed, cap,
                             op, n, bulk ? "bulk" : "burst", held);
                out += want;
            }
            cr_assert_eq(sim_ring_count(r), (unsigned)(in - out));
            cr_assert_eq(sim_ring_free_count(r), cap - (unsigned)(in - out));
        }
        sim_ring_destroy(r);
    }
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Two threads.
 * ------------------------------------------------------------------------------------------- */
struct stress_side {
    struct sim_ring *ring;
    struct sim_prng prng;
    uint64_t total;
    atomic_int *stop; /* set by the consumer when it finds an error, so nobody hangs */
    atomic_int *done; /* set by the producer after its last enqueue */
    /* results */
    uint64_t moved;
    uint64_t bad_index; /* first position whose value was wrong, UINT64_MAX if none */
    uint64_t bad_value;
    uint64_t calls, empty_calls;
};

static void *
stress_producer(void *arg)
{
    struct stress_side *s = arg;
    uint64_t buf[300];
    uint64_t seq = 0, idle = 0;
    while (seq < s->total) {
        /* Relaxed: a plain stop flag, no data travels through it. */
        if (atomic_load_explicit(s->stop, memory_order_relaxed))
            break;
        unsigned n = 1 + (unsigned)sim_prng_below(&s->prng, SIM_ARRAY_SIZE(buf));
        if (n > s->total - seq)
            n = (unsigned)(s->total - seq);
        for (unsigned i = 0; i < n; i++)
            buf[i] = seq + i;
        unsigned k = sim_prng_below(&s->prng, 4) == 0 ? sim_ring_sp_enqueue_bulk(s->ring, buf, n)
                                                      : sim_ring_sp_enqueue_burst(s->ring, buf, n);
        if (k > n) { /* impossible unless the ring is broken; the test checks `moved` */
            seq = UINT64_MAX;
            break;
        }
        seq += k;
        s->calls++;
        /* Criterion runs tests in parallel: with more spinning threads than CPUs, let the
         * other side run instead of burning our whole time slice on a full ring. */
        idle = k ? 0 : idle + 1;
        if ((idle & 63) == 63)
            sched_yield();
    }
    s->moved = seq;
    /* Release; partner: the consumer's acquire load of `done`, after which every enqueue
     * above is visible to it. */
    atomic_store_explicit(s->done, 1, memory_order_release);
    return NULL;
}

static void *
stress_consumer(void *arg)
{
    struct stress_side *s = arg;
    uint64_t buf[300];
    uint64_t expect = 0, idle = 0;
    s->bad_index = UINT64_MAX;
    while (expect < s->total) {
        unsigned n = 1 + (unsigned)sim_prng_below(&s->prng, SIM_ARRAY_SIZE(buf));
        unsigned k = sim_prng_below(&s->prng, 4) == 0 ? sim_ring_sc_dequeue_bulk(s->ring, buf, n)
                                                      : sim_ring_sc_dequeue_burst(s->ring, buf, n);
        s->calls++;
        if (k == 0) {
            s->empty_calls++;
            /* Acquire; partner: the producer's release store of `done`. Once it is set, an
             * empty ring with descriptors still missing means they were lost. */
            if (atomic_load_explicit(s->done, memory_order_acquire) && sim_ring_is_empty(s->ring))
                break;
            if ((++idle & 63) == 63)
                sched_yield(); /* see the producer */
            continue;
        }
        idle = 0;
        if (k > n || expect + k > s->total) {
            s->bad_index = expect;
            s->bad_value = k;
            break;
        }
        for (unsigned i = 0; i < k; i++)
            if (buf[i] != expect + i) {
                s->bad_index = expect + i;
                s->bad_value = buf[i];
                break;
            }
        if (s->bad_index != UINT64_MAX)
            break;
        expect += k;
    }
    if (s->bad_index != UINT64_MAX) /* Relaxed: see the producer's load. */
        atomic_store_explicit(s->stop, 1, memory_order_relaxed);
    s->moved = expect;
    return NULL;
}

static void
stress_run(unsigned ring_size, uint64_t total, uint32_t start_index)
{
    uint64_t seed = test_seed();
    struct sim_prng root;
    sim_prng_init(&root, seed);
    struct sim_ring *r = make_ring(ring_size);
    sim_ring__set_start_index(r, start_index);
    atomic_int stop = 0, done = 0;
    struct stress_side prod = {.ring = r, .total = total, .stop = &stop, .done = &done};
    struct stress_side cons = {.ring = r, .total = total, .stop = &stop, .done = &done};
    sim_prng_fork(&root, 1, &prod.prng);
    sim_prng_fork(&root, 2, &cons.prng);

    pthread_t tp, tc;
    cr_assert_eq(pthread_create(&tc, NULL, stress_consumer, &cons), 0);
    cr_assert_eq(pthread_create(&tp, NULL, stress_producer, &prod), 0);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);

    cr_expect_eq(cons.bad_index, UINT64_MAX,
                 "seed %" PRIu64 ": descriptor %" PRIu64 " arrived as %" PRIu64, seed,
                 cons.bad_index, cons.bad_value);
    cr_expect_eq(prod.moved, total, "seed %" PRIu64 ": producer enqueued %" PRIu64, seed,
                 prod.moved);
    cr_expect_eq(cons.moved, total, "seed %" PRIu64 ": consumer received %" PRIu64, seed,
                 cons.moved);
    cr_expect(sim_ring_is_empty(r), "nothing left over (no duplicates)");
    fprintf(stderr,
            "test_ring: %u slots, %" PRIu64 " descriptors, producer %" PRIu64
            " calls, consumer %" PRIu64 " calls (%" PRIu64 " empty)\n",
            ring_size, total, prod.calls, cons.calls, cons.empty_calls);
    sim_ring_destroy(r);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_ring)), 0);
}

Test(sim_ring, two_threads_deliver_every_descriptor_once_in_order, .timeout = 120)
{
    /* A small ring, so both the full and the empty paths run constantly. */
    stress_run(64, STRESS_COUNT, 0);
}

Test(sim_ring, two_threads_large_ring_with_index_near_wrap, .timeout = 120)
{
    /* The free-running indices cross 2^32 a quarter of the way in. */
    stress_run(4096, STRESS_COUNT / 4, (uint32_t)(UINT32_MAX - STRESS_COUNT / 16));
}
