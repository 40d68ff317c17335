/* SPDX-License-Identifier: MIT */
/*
 * sim_int.h — private to sim/: the scheduler's internal layout shared by the common heap code
 * (sched.c) and its two backends (sched_virtual.c, sched_realtime.c).
 */
#ifndef SRIOVSIM_SIM_INT_H
#define SRIOVSIM_SIM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "sim/sim.h"

SIM_LOG_NS_DECLARE(sim);
SIM_ALLOC_TAG_DECLARE(sim_sched);

/* One fire-and-forget call (sim_sched_call / sim_sched_post), pooled on a free list. */
struct sim__call {
    struct sim_timer timer;
    sim_call_cb fn;
    void *arg;
    struct sim__call *next; /* free list, or the post inbox */
};

/* The backend half of a scheduler: how time is read and how run() waits for the next event. */
struct sim__sched_backend {
    sim_time_t (*now)(const struct sim_sched *s);
    long (*run)(struct sim_sched *s, sim_time_t until);
    int (*step)(struct sim_sched *s);
    void (*wake)(struct sim_sched *s); /* any thread: make run() look at the inbox now */
    void (*fini)(struct sim_sched *s);
};

struct sim__realtime; /* sched_realtime.c */

/* Invariants: heap[0..heap_len) is a binary min-heap on (due, seq); heap[i]->heap_index == i.
 * Only the loop thread touches the heap; other threads only push onto `inbox` under
 * inbox_lock and call backend->wake. */
struct sim_sched {
    enum sim_sched_kind kind;
    const struct sim__sched_backend *backend;
    struct sim_timer **heap;
    size_t heap_len;
    size_t heap_cap;
    uint64_t next_seq;
    sim_time_t virtual_now; /* virtual backend: the clock */
    uint64_t events_run;
    atomic_bool stop_requested;  /* set by sim_sched_stop (any thread), read by run loops */
    bool running;                /* inside sim_sched_run (loop thread only) */
    struct sim__call *call_free; /* recycled call records (loop thread only) */
    pthread_mutex_t inbox_lock;  /* guards inbox */
    struct sim__call *inbox;     /* posted from any thread, drained by the loop thread */
    struct sim__call **inbox_tail;
    atomic_bool inbox_nonempty; /* release by posters, acquire by the loop: a cheap check */
    struct sim__realtime *rt;   /* realtime backend state, NULL for virtual */
};

extern const struct sim__sched_backend sim__virtual_backend;
extern const struct sim__sched_backend sim__realtime_backend;

int sim__realtime_init(struct sim_sched *s);
/* Heap primitives (sched.c). */
struct sim_timer *sim__heap_top(const struct sim_sched *s);
void sim__heap_remove(struct sim_sched *s, struct sim_timer *t);
/* Run one timer that has been popped: calls its callback; counts it. */
void sim__fire(struct sim_sched *s, struct sim_timer *t);
/* Move everything posted from other threads into the heap, due at `now`. */
void sim__drain_inbox(struct sim_sched *s, sim_time_t now);

#endif
