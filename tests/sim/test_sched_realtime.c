/* SPDX-License-Identifier: MIT */
/* test_sched_realtime.c — the libuv real-time backend: wall-clock pacing, ordering, posts from
 * other threads, stop from another thread. Bounds are generous: the machine is shared. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <uv.h>

#include "sim/sim.h"

SIM_ALLOC_TAG_DECLARE(sim_sched);

struct rt_log {
    struct sim_sched *s;
    sim_time_t at[16];
    int id[16];
    int n;
};

struct rt_timer {
    struct sim_timer timer;
    struct rt_log *log;
    int id;
};

static void
rt_record(struct sim_timer *t)
{
    struct rt_timer *rt = t->data;
    rt->log->at[rt->log->n] = sim_sched_now(rt->log->s);
    rt->log->id[rt->log->n++] = rt->id;
}

Test(sim_sched_realtime, timers_fire_in_order_not_early)
{
    struct rt_log log = {0};
    cr_assert_eq(sim_sched_create(SIM_SCHED_REALTIME, &log.s), 0);
    cr_expect_eq(sim_sched_kind(log.s), SIM_SCHED_REALTIME);
    struct rt_timer t[3];
    sim_time_t delays[3] = {SIM_MSEC(30), SIM_MSEC(10), SIM_MSEC(20)};
    sim_time_t start = sim_sched_now(log.s);
    for (int i = 0; i < 3; i++) {
        t[i].log = &log;
        t[i].id = i;
        sim_timer_init(log.s, &t[i].timer, rt_record, &t[i]);
        sim_timer_start(&t[i].timer, delays[i]);
    }
    cr_expect_eq(sim_sched_run(log.s, SIM_TIME_NEVER), 3);
    cr_assert_eq(log.n, 3);
    cr_expect_eq(log.id[0], 1);
    cr_expect_eq(log.id[1], 2);
    cr_expect_eq(log.id[2], 0);
    for (int k = 0; k < 3; k++) {
        sim_time_t want = start + delays[log.id[k]];
        cr_expect_geq(log.at[k], want, "timer %d fired early", log.id[k]);
        cr_expect_lt(log.at[k], want + SIM_MSEC(500), "timer %d far too late", log.id[k]);
    }
    sim_sched_destroy(log.s);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
}

Test(sim_sched_realtime, run_until_returns_at_deadline)
{
    struct sim_sched *s;
    cr_assert_eq(sim_sched_create(SIM_SCHED_REALTIME, &s), 0);
    struct rt_log log = {.s = s};
    struct rt_timer t = {.log = &log, .id = 1};
    sim_timer_init(s, &t.timer, rt_record, &t);
    sim_timer_start(&t.timer, SIM_SEC(10));
    sim_time_t before = sim_sched_now(s);
    cr_expect_eq(sim_sched_run(s, before + SIM_MSEC(20)), 0);
    sim_time_t after = sim_sched_now(s);
    cr_expect_geq(after - before, SIM_MSEC(20));
    cr_expect_lt(after - before, SIM_SEC(5));
    cr_expect(sim_timer_is_pending(&t.timer));
    sim_sched_destroy(s);
}

struct poster {
    struct sim_sched *s;
    atomic_int ran;
    int posts;
};

static void
posted(void *arg)
{
    struct poster *p = arg;
    /* relaxed: the loop thread is the only writer after the posts. */
    int n = atomic_fetch_add_explicit(&p->ran, 1, memory_order_relaxed) + 1;
    if (n == p->posts)
        sim_sched_stop(p->s);
}

static void
poster_thread(void *arg)
{
    struct poster *p = arg;
    for (int i = 0; i < p->posts; i++) {
        cr_assert_eq(sim_sched_post(p->s, posted, p), 0);
        if (i % 100 == 0)
            uv_sleep(1);
    }
}

static void
keepalive(struct sim_timer *t)
{
    sim_timer_start(t, SIM_MSEC(100)); /* keeps the run alive until stopped */
}

Test(sim_sched_realtime, posts_from_another_thread_wake_the_loop)
{
    struct poster p = {.posts = 1000};
    atomic_init(&p.ran, 0);
    cr_assert_eq(sim_sched_create(SIM_SCHED_REALTIME, &p.s), 0);
    struct sim_timer keep;
    sim_timer_init(p.s, &keep, keepalive, NULL);
    sim_timer_start(&keep, SIM_MSEC(100));
    uv_thread_t th;
    cr_assert_eq(uv_thread_create(&th, poster_thread, &p), 0);
    sim_time_t before = sim_sched_now(p.s);
    sim_sched_run(p.s, before + SIM_SEC(20));
    uv_thread_join(&th);
    cr_expect_eq(atomic_load(&p.ran), 1000);
    cr_expect_lt(sim_sched_now(p.s) - before, SIM_SEC(15), "stopped by the last post");
    sim_sched_destroy(p.s);
    cr_expect_eq(sim_alloc_live(SIM_TAG(sim_sched)), 0);
}

static void
stopper_thread(void *arg)
{
    uv_sleep(30);
    sim_sched_stop(arg);
}

Test(sim_sched_realtime, stop_from_another_thread)
{
    struct sim_sched *s;
    cr_assert_eq(sim_sched_create(SIM_SCHED_REALTIME, &s), 0);
    struct sim_timer keep;
    sim_timer_init(s, &keep, keepalive, NULL);
    sim_timer_start(&keep, SIM_MSEC(100));
    uv_thread_t th;
    uv_thread_create(&th, stopper_thread, s);
    sim_time_t before = sim_sched_now(s);
    sim_sched_run(s, SIM_TIME_NEVER);
    uv_thread_join(&th);
    cr_expect_lt(sim_sched_now(s) - before, SIM_SEC(10));
    sim_sched_destroy(s);
}

Test(sim_sched_realtime, run_dry_returns)
{
    struct sim_sched *s;
    cr_assert_eq(sim_sched_create(SIM_SCHED_REALTIME, &s), 0);
    cr_expect_eq(sim_sched_run(s, SIM_TIME_NEVER), 0);
    sim_sched_destroy(s);
}
