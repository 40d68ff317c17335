/* SPDX-License-Identifier: MIT */
/*
 * sched_virtual.c — the virtual-clock backend: a discrete-event loop. Time is an integer count
 * of nanoseconds that jumps to the next event; nothing depends on the wall clock, so the same
 * inputs give the same event order, output and capture on every run.
 */
#include "sim/sim_int.h"

static sim_time_t
virtual_now(const struct sim_sched *s)
{
    return s->virtual_now;
}

static bool
stop_requested(struct sim_sched *s)
{
    /* acquire: pairs with the release in sim_sched_stop. */
    return atomic_load_explicit(&s->stop_requested, memory_order_acquire);
}

static int
virtual_step(struct sim_sched *s)
{
    sim__drain_inbox(s, s->virtual_now);
    struct sim_timer *t = sim__heap_top(s);
    if (t == NULL)
        return 0;
    sim__heap_remove(s, t);
    if (t->due > s->virtual_now)
        s->virtual_now = t->due;
    sim__fire(s, t);
    return 1;
}

static long
virtual_run(struct sim_sched *s, sim_time_t until)
{
    long ran = 0;
    while (!stop_requested(s)) {
        sim__drain_inbox(s, s->virtual_now);
        struct sim_timer *t = sim__heap_top(s);
        if (t == NULL || t->due > until)
            break;
        sim__heap_remove(s, t);
        if (t->due > s->virtual_now)
            s->virtual_now = t->due;
        sim__fire(s, t);
        ran++;
    }
    /* Time passes up to `until` even where nothing happens (unless stopped early). */
    if (!stop_requested(s) && until != SIM_TIME_NEVER && until > s->virtual_now)
        s->virtual_now = until;
    return ran;
}

const struct sim__sched_backend sim__virtual_backend = {
    .now = virtual_now,
    .run = virtual_run,
    .step = virtual_step,
    .wake = NULL,
    .fini = NULL,
};
