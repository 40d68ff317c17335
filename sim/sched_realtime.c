/* SPDX-License-Identifier: MIT */
/*
 * sched_realtime.c — the real-time backend: the same timers, paced by a libuv loop on the wall
 * clock. A uv_timer is armed for the earliest deadline (libuv timers have millisecond
 * resolution, so events run up to 1 ms late, never early); a uv_async wakes the loop when
 * another thread posts work or asks it to stop. Used by bench mode and `run --realtime`.
 */
#include <uv.h>

#include "sim/sim_int.h"

struct sim__realtime {
    uv_loop_t loop;
    uv_timer_t timer;
    uv_async_t async;
    uint64_t start_hrtime; /* uv_hrtime() at creation: time 0 */
    sim_time_t until;      /* deadline of the current run */
    long ran;              /* callbacks run in the current run */
};

static sim_time_t
realtime_now(const struct sim_sched *s)
{
    return (sim_time_t)(uv_hrtime() - s->rt->start_hrtime);
}

static bool
stop_requested(struct sim_sched *s)
{
    /* acquire: pairs with the release in sim_sched_stop. */
    return atomic_load_explicit(&s->stop_requested, memory_order_acquire);
}

static void on_timer(uv_timer_t *handle);

/* Run everything due, then either arm the uv_timer for the next deadline or stop the loop. */
static void
realtime_process(struct sim_sched *s)
{
    struct sim__realtime *rt = s->rt;
    for (;;) {
        if (stop_requested(s)) {
            uv_stop(&rt->loop);
            return;
        }
        sim_time_t now = realtime_now(s);
        sim__drain_inbox(s, now);
        struct sim_timer *t = sim__heap_top(s);
        if (t != NULL && t->due <= now && t->due <= rt->until) {
            sim__heap_remove(s, t);
            sim__fire(s, t);
            rt->ran++;
            continue;
        }
        sim_time_t deadline = t != NULL ? t->due : SIM_TIME_NEVER;
        if (rt->until < deadline)
            deadline = rt->until;
        if (deadline == SIM_TIME_NEVER || now >= rt->until) {
            uv_stop(&rt->loop); /* ran dry, or the run's time is up */
            return;
        }
        sim_time_t wait = deadline - now;
        uint64_t ms = (uint64_t)((wait + SIM_NSEC_PER_MSEC - 1) / SIM_NSEC_PER_MSEC);
        uv_timer_start(&rt->timer, on_timer, ms, 0);
        return;
    }
}

static void
on_timer(uv_timer_t *handle)
{
    realtime_process(handle->data);
}

static void
on_async(uv_async_t *handle)
{
    realtime_process(handle->data);
}

static long
realtime_run(struct sim_sched *s, sim_time_t until)
{
    struct sim__realtime *rt = s->rt;
    rt->until = until;
    rt->ran = 0;
    realtime_process(s);
    uv_run(&rt->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&rt->timer);
    return rt->ran;
}

static int
realtime_step(struct sim_sched *s)
{
    sim_time_t now = realtime_now(s);
    sim__drain_inbox(s, now);
    struct sim_timer *t = sim__heap_top(s);
    if (t == NULL)
        return 0;
    if (t->due > now) {
        sim_time_t wait = t->due - now;
        uv_sleep((unsigned)((wait + SIM_NSEC_PER_MSEC - 1) / SIM_NSEC_PER_MSEC));
    }
    sim__heap_remove(s, t);
    sim__fire(s, t);
    return 1;
}

static void
realtime_wake(struct sim_sched *s)
{
    uv_async_send(&s->rt->async); /* thread-safe by libuv's contract */
}

static void
realtime_fini(struct sim_sched *s)
{
    struct sim__realtime *rt = s->rt;
    uv_close((uv_handle_t *)&rt->timer, NULL);
    uv_close((uv_handle_t *)&rt->async, NULL);
    uv_run(&rt->loop, UV_RUN_DEFAULT); /* lets the close callbacks run */
    uv_loop_close(&rt->loop);
    sim_free(rt);
    s->rt = NULL;
}

int
sim__realtime_init(struct sim_sched *s)
{
    struct sim__realtime *rt = sim_calloc(SIM_TAG(sim_sched), 1, sizeof *rt);
    if (rt == NULL)
        return SIM_ENOMEM;
    if (uv_loop_init(&rt->loop) != 0)
        goto free_rt;
    if (uv_timer_init(&rt->loop, &rt->timer) != 0)
        goto close_loop;
    if (uv_async_init(&rt->loop, &rt->async, on_async) != 0)
        goto close_timer;
    rt->timer.data = s;
    rt->async.data = s;
    rt->start_hrtime = uv_hrtime();
    s->rt = rt;
    return 0;

close_timer:
    uv_close((uv_handle_t *)&rt->timer, NULL);
    uv_run(&rt->loop, UV_RUN_DEFAULT);
close_loop:
    uv_loop_close(&rt->loop);
free_rt:
    sim_free(rt);
    return SIM_EIO;
}

const struct sim__sched_backend sim__realtime_backend = {
    .now = realtime_now,
    .run = realtime_run,
    .step = realtime_step,
    .wake = realtime_wake,
    .fini = realtime_fini,
};
