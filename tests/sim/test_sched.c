/* SPDX-License-Identifier: MIT */
/* test_sched.c — the virtual-clock scheduler: ordering, ties, cancellation, determinism. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/sim.h"

SIM_ALLOC_TAG_DECLARE(sim_sched);

struct log_entry {
    int id;
    sim_time_t at;
};

struct recorder {
    struct sim_sched *s;
    struct log_entry log[4096];
    int n;
};

struct tagged_timer {
    struct sim_timer timer;
    struct recorder *rec;
    int id;
};

static void
record(struct sim_timer *t)
{
    struct tagged_timer *tt = t->data;
    struct recorder *r = tt->rec;
    r->log[r->n].id = tt->id;
    r->log[r->n].at = sim_sched_now(r->s);
    r->n++;
}

static struct sim_sched *
make_virtual(void)
{
    struct sim_sched *s = NULL;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
    return s;
}

Test(sim_sched, events_run_in_time_order_and_clock_jumps)
{
    static struct recorder rec;
    rec.s = make_virtual();
    static struct tagged_timer t[5];
    sim_time_t delays[5] = {SIM_MSEC(30), SIM_MSEC(10), SIM_SEC(2), SIM_USEC(5), SIM_MSEC(10) + 1};
    for (int i = 0; i < 5; i++) {
        t[i].rec = &rec;
        t[i].id = i;
        sim_timer_init(rec.s, &t[i].timer, record, &t[i]);
        cr_assert_eq(sim_timer_start(&t[i].timer, delays[i]), 0);
    }
    cr_assert_eq(sim_sched_pending(rec.s), 5);
    cr_assert_eq(sim_sched_run(rec.s, SIM_TIME_NEVER), 5);
    int expect_order[5] = {3, 1, 4, 0, 2};
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(rec.log[i].id, expect_order[i], "position %d", i);
        cr_expect_eq(rec.log[i].at, delays[expect_order[i]], "time of %d", i);
    }
    cr_expect_eq(sim_sched_now(rec.s), SIM_SEC(2));
    cr_expect_eq(sim_sched_events_run(rec.s), 5);
    sim_sched_destroy(rec.s);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
}

Test(sim_sched, ties_run_in_start_order)
{
    static struct recorder rec;
    rec.s = make_virtual();
    static struct tagged_timer t[100];
    /* Start 100 timers all due at 1 ms, in a shuffled order: they must run in start order. */
    struct sim_prng p;
    sim_prng_init(&p, 7);
    int order[100];
    for (int i = 0; i < 100; i++)
        order[i] = i;
    for (int i = 99; i > 0; i--) {
        int j = (int)sim_prng_below(&p, (uint64_t)i + 1);
        int tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (int k = 0; k < 100; k++) {
        int i = order[k];
        t[i].rec = &rec;
        t[i].id = i;
        sim_timer_init(rec.s, &t[i].timer, record, &t[i]);
        cr_assert_eq(sim_timer_start_at(&t[i].timer, SIM_MSEC(1)), 0);
    }
    sim_sched_run(rec.s, SIM_TIME_NEVER);
    cr_assert_eq(rec.n, 100);
    for (int k = 0; k < 100; k++)
        cr_expect_eq(rec.log[k].id, order[k], "tie position %d", k);
    sim_sched_destroy(rec.s);
}

Test(sim_sched, restart_moves_to_back_of_ties)
{
    static struct recorder rec;
    rec.s = make_virtual();
    static struct tagged_timer a, b;
    a.rec = b.rec = &rec;
    a.id = 1;
    b.id = 2;
    sim_timer_init(rec.s, &a.timer, record, &a);
    sim_timer_init(rec.s, &b.timer, record, &b);
    sim_timer_start(&a.timer, 100);
    sim_timer_start(&b.timer, 100);
    sim_timer_start(&a.timer, 100); /* re-armed: one occurrence, now after b */
    cr_expect_eq(sim_sched_pending(rec.s), 2);
    sim_sched_run(rec.s, SIM_TIME_NEVER);
    cr_assert_eq(rec.n, 2);
    cr_expect_eq(rec.log[0].id, 2);
    cr_expect_eq(rec.log[1].id, 1);
    sim_sched_destroy(rec.s);
}

Test(sim_sched, cancelled_timer_never_runs)
{
    static struct recorder rec;
    rec.s = make_virtual();
    static struct tagged_timer t[64];
    for (int i = 0; i < 64; i++) {
        t[i].rec = &rec;
        t[i].id = i;
        sim_timer_init(rec.s, &t[i].timer, record, &t[i]);
        sim_timer_start(&t[i].timer, (sim_time_t)(64 - i) * 10);
    }
    /* Cancel every third timer, from various heap positions. */
    int cancelled = 0;
    for (int i = 0; i < 64; i += 3) {
        cr_expect(sim_timer_stop(&t[i].timer));
        cr_expect_not(sim_timer_is_pending(&t[i].timer));
        cancelled++;
    }
    cr_expect_not(sim_timer_stop(&t[0].timer), "second stop reports not pending");
    sim_sched_run(rec.s, SIM_TIME_NEVER);
    cr_assert_eq(rec.n, 64 - cancelled);
    for (int k = 0; k < rec.n; k++) {
        cr_expect_neq(rec.log[k].id % 3, 0, "cancelled timer %d ran", rec.log[k].id);
        if (k > 0)
            cr_expect_geq(rec.log[k].at, rec.log[k - 1].at);
    }
    sim_sched_destroy(rec.s);
}

static void
cancel_other(struct sim_timer *t)
{
    struct sim_timer *other = t->data;
    cr_expect(sim_timer_stop(other), "the other timer was still pending");
}

static void
must_not_run(struct sim_timer *timer)
{
    cr_assert_fail("a timer stopped from a callback at the same time ran");
}

Test(sim_sched, callback_can_cancel_a_same_time_timer)
{
    struct sim_sched *s = make_virtual();
    struct sim_timer a, b;
    sim_timer_init(s, &b, must_not_run, NULL);
    sim_timer_init(s, &a, cancel_other, &b);
    sim_timer_start(&a, 50);
    sim_timer_start(&b, 50);
    cr_expect_eq(sim_sched_run(s, SIM_TIME_NEVER), 1);
    sim_sched_destroy(s);
}

Test(sim_sched, run_until_stops_before_later_events_and_advances_clock)
{
    static struct recorder rec;
    rec.s = make_virtual();
    static struct tagged_timer t[3];
    for (int i = 0; i < 3; i++) {
        t[i].rec = &rec;
        t[i].id = i;
        sim_timer_init(rec.s, &t[i].timer, record, &t[i]);
        sim_timer_start(&t[i].timer, SIM_SEC(i + 1));
    }
    cr_expect_eq(sim_sched_run(rec.s, SIM_MSEC(2500)), 2);
    cr_expect_eq(sim_sched_now(rec.s), SIM_MSEC(2500));
    cr_expect_eq(sim_sched_pending(rec.s), 1);
    /* An event exactly at `until` runs. */
    cr_expect_eq(sim_sched_run(rec.s, SIM_SEC(3)), 1);
    cr_expect_eq(rec.log[2].at, SIM_SEC(3));
    /* Nothing pending: time still passes to `until`. */
    cr_expect_eq(sim_sched_run(rec.s, SIM_SEC(10)), 0);
    cr_expect_eq(sim_sched_now(rec.s), SIM_SEC(10));
    sim_sched_destroy(rec.s);
}

static void
past_start(struct sim_timer *t)
{
    struct recorder *r = t->data;
    r->log[r->n++].at = sim_sched_now(r->s);
}

Test(sim_sched, start_at_in_the_past_fires_now)
{
    static struct recorder rec;
    rec.s = make_virtual();
    sim_sched_run(rec.s, SIM_SEC(1));
    struct sim_timer t;
    sim_timer_init(rec.s, &t, past_start, &rec);
    cr_assert_eq(sim_timer_start_at(&t, SIM_MSEC(5)), 0);
    sim_sched_run(rec.s, SIM_TIME_NEVER);
    cr_expect_eq(rec.log[0].at, SIM_SEC(1), "clock never goes backwards");
    sim_sched_destroy(rec.s);
}

Test(sim_sched, bad_arguments_are_refused)
{
    struct sim_sched *s = make_virtual();
    struct sim_timer t;
    sim_timer_init(s, &t, past_start, NULL);
    cr_expect_eq(sim_timer_start(&t, -1), SIM_EINVAL);
    cr_expect_eq(sim_sched_call(s, 5, NULL, NULL), SIM_EINVAL);
    cr_expect_eq(sim_sched_create((enum sim_sched_kind)7, &s), SIM_EINVAL);
    cr_expect_not(sim_timer_is_pending(&t));
    sim_sched_destroy(s);
}

/* A self-rescheduling chain that also spawns calls, driven by a PRNG: its trace must be
 * identical across runs with the same seed, and differ with another seed. */
struct chaos {
    struct sim_sched *s;
    struct sim_prng prng;
    struct sim_timer timers[8];
    uint64_t hash;
    int budget;
};

static void
chaos_mix(struct chaos *c, uint64_t v)
{
    c->hash = (c->hash ^ v) * UINT64_C(0x100000001b3);
}

static void
chaos_call(void *arg)
{
    struct chaos *c = arg;
    chaos_mix(c, (uint64_t)sim_sched_now(c->s) ^ 0xabc);
}

static void
chaos_fire(struct sim_timer *t)
{
    struct chaos *c = t->data;
    int idx = (int)(t - c->timers);
    chaos_mix(c, (uint64_t)sim_sched_now(c->s) * 31 + (uint64_t)idx);
    if (c->budget-- <= 0)
        return;
    sim_timer_start(t, (sim_time_t)sim_prng_below(&c->prng, 1000));
    int victim = (int)sim_prng_below(&c->prng, 8);
    if (sim_prng_below(&c->prng, 4) == 0)
        sim_timer_stop(&c->timers[victim]);
    else if (!sim_timer_is_pending(&c->timers[victim]))
        sim_timer_start(&c->timers[victim], (sim_time_t)sim_prng_below(&c->prng, 50));
    if (sim_prng_below(&c->prng, 3) == 0)
        sim_sched_call(c->s, (sim_time_t)sim_prng_below(&c->prng, 10), chaos_call, c);
}

static uint64_t
chaos_run(uint64_t seed)
{
    struct chaos c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &c.s), 0);
    sim_prng_init(&c.prng, seed);
    c.hash = UINT64_C(0xcbf29ce484222325);
    c.budget = 20000;
    for (int i = 0; i < 8; i++) {
        sim_timer_init(c.s, &c.timers[i], chaos_fire, &c);
        sim_timer_start(&c.timers[i], i);
    }
    sim_sched_run(c.s, SIM_TIME_NEVER);
    chaos_mix(&c, sim_sched_events_run(c.s));
    sim_sched_destroy(c.s);
    return c.hash;
}

Test(sim_sched, deterministic_across_runs)
{
    uint64_t a = chaos_run(42), b = chaos_run(42), c = chaos_run(43);
    cr_expect_eq(a, b, "same seed, same trace (seed 42)");
    cr_expect_neq(a, c, "another seed gives another trace");
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
}

static void
count_call(void *arg)
{
    (*(int *)arg)++;
}

Test(sim_sched, calls_and_posts_run_once_and_are_pooled)
{
    struct sim_sched *s = make_virtual();
    int count = 0;
    for (int i = 0; i < 100; i++)
        cr_assert_eq(sim_sched_call(s, i % 7, count_call, &count), 0);
    cr_assert_eq(sim_sched_post(s, count_call, &count), 0);
    sim_sched_run(s, SIM_TIME_NEVER);
    cr_expect_eq(count, 101);
    long attempts = sim_alloc_attempts();
    for (int i = 0; i < 100; i++)
        sim_sched_call(s, 1, count_call, &count);
    sim_sched_run(s, SIM_TIME_NEVER);
    cr_expect_eq(count, 201);
    cr_expect_eq(sim_alloc_attempts(), attempts, "recycled call records, no new allocation");
    /* Pending calls at destroy are freed, never run. */
    sim_sched_call(s, 5, count_call, &count);
    sim_sched_post(s, count_call, &count);
    sim_sched_destroy(s);
    cr_expect_eq(count, 201);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
}

Test(sim_sched, step_runs_one_event)
{
    struct sim_sched *s = make_virtual();
    int count = 0;
    sim_sched_call(s, 10, count_call, &count);
    sim_sched_call(s, 20, count_call, &count);
    cr_expect_eq(sim_sched_step(s), 1);
    cr_expect_eq(count, 1);
    cr_expect_eq(sim_sched_now(s), 10);
    cr_expect_eq(sim_sched_step(s), 1);
    cr_expect_eq(sim_sched_step(s), 0);
    cr_expect_eq(sim_sched_now(s), 20);
    sim_sched_destroy(s);
}

static void
stop_loop(void *arg)
{
    sim_sched_stop(arg);
}

Test(sim_sched, stop_returns_after_current_callback)
{
    struct sim_sched *s = make_virtual();
    int count = 0;
    sim_sched_call(s, 10, stop_loop, s);
    sim_sched_call(s, 20, count_call, &count);
    cr_expect_eq(sim_sched_run(s, SIM_TIME_NEVER), 1);
    cr_expect_eq(count, 0);
    cr_expect_eq(sim_sched_now(s), 10, "stopped: the clock stays at the stop");
    cr_expect_eq(sim_sched_run(s, SIM_TIME_NEVER), 1, "a second run resumes");
    cr_expect_eq(count, 1);
    sim_sched_destroy(s);
}

static void
nested_run(void *arg)
{
    cr_expect_eq(sim_sched_run(arg, SIM_TIME_NEVER), SIM_ESTATE);
}

Test(sim_sched, run_is_not_reentrant)
{
    struct sim_sched *s = make_virtual();
    sim_sched_call(s, 1, nested_run, s);
    sim_sched_run(s, SIM_TIME_NEVER);
    sim_sched_destroy(s);
}

Test(sim_sched, oom_sweep_create_and_call)
{
    for (long n = 0;; n++) {
        struct sim_sched *s = NULL;
        sim_alloc_fail_nth(n);
        int err = sim_sched_create(SIM_SCHED_VIRTUAL, &s);
        if (err == 0) {
            int count = 0;
            /* Heap growth and call records may fail too: each failure is clean. */
            err = sim_sched_call(s, 1, count_call, &count);
            sim_alloc_fail_nth(-1);
            if (err != 0) {
                cr_expect_eq(err, SIM_ENOMEM);
                sim_sched_destroy(s);
                cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
                continue;
            }
            sim_sched_run(s, SIM_TIME_NEVER);
            cr_expect_eq(count, 1);
            sim_sched_destroy(s);
            cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
            cr_expect_geq(n, 2, "create and call allocate at least twice");
            break;
        }
        sim_alloc_fail_nth(-1);
        cr_expect_eq(err, SIM_ENOMEM, "n=%ld", n);
        cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0, "leak after failure n=%ld", n);
    }
}

/* Many timers: the heap stays ordered under random start/stop churn. */
Test(sim_sched, heap_order_under_churn)
{
    enum { N = 2000 };
    static struct recorder rec;
    static struct tagged_timer t[N];
    rec.s = make_virtual();
    struct sim_prng p;
    sim_prng_init(&p, 99);
    for (int i = 0; i < N; i++) {
        t[i].rec = &rec;
        t[i].id = i;
        sim_timer_init(rec.s, &t[i].timer, record, &t[i]);
        sim_timer_start(&t[i].timer, (sim_time_t)sim_prng_below(&p, 100000));
    }
    for (int k = 0; k < 5000; k++) {
        int i = (int)sim_prng_below(&p, N);
        if (sim_prng_below(&p, 2))
            sim_timer_stop(&t[i].timer);
        else
            sim_timer_start(&t[i].timer, (sim_time_t)sim_prng_below(&p, 100000));
    }
    size_t pending = sim_sched_pending(rec.s);
    sim_sched_run(rec.s, SIM_TIME_NEVER);
    cr_assert_eq((size_t)rec.n, pending);
    for (int k = 1; k < rec.n; k++)
        cr_assert_geq(rec.log[k].at, rec.log[k - 1].at, "out of order at %d", k);
    sim_sched_destroy(rec.s);
}

Test(sim_sched, reserve_makes_starts_allocation_free)
{
    enum { N = 1000 };
    static struct sim_timer t[N];
    struct sim_sched *s = make_virtual();
    cr_assert_eq(sim_sched_reserve(s, N), 0);
    long before = sim_alloc_attempts();
    for (int i = 0; i < N; i++) {
        sim_timer_init(s, &t[i], must_not_run, NULL);
        cr_assert_eq(sim_timer_start(&t[i], i + 1), 0);
    }
    cr_expect_eq(sim_alloc_attempts(), before, "no heap growth after reserve");
    cr_expect_eq(sim_sched_reserve(s, 10), 0, "shrinking is a no-op");
    sim_alloc_fail_nth(0);
    cr_expect_eq(sim_sched_reserve(s, 4 * N), SIM_ENOMEM);
    cr_expect_eq(sim_sched_pending(s), N, "heap intact after a failed reserve");
    for (int i = 0; i < N; i++)
        sim_timer_stop(&t[i]);
    sim_sched_destroy(s);
}

Test(sim_sched, next_due_peeks_without_running)
{
    struct sim_sched *s = make_virtual();
    int count = 0;
    cr_expect_eq(sim_sched_next_due(s), SIM_TIME_NEVER, "nothing pending");
    sim_sched_call(s, 70, count_call, &count);
    sim_sched_call(s, 30, count_call, &count);
    cr_expect_eq(sim_sched_next_due(s), 30);
    cr_expect_eq(count, 0, "peeking runs nothing");
    sim_sched_step(s);
    cr_expect_eq(sim_sched_next_due(s), 70);
    sim_sched_post(s, count_call, &count);
    cr_expect_eq(sim_sched_next_due(s), 30, "posted work is due now");
    sim_sched_run(s, SIM_TIME_NEVER);
    cr_expect_eq(count, 3);
    cr_expect_eq(sim_sched_next_due(s), SIM_TIME_NEVER);
    sim_sched_destroy(s);
}
