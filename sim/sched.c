/* SPDX-License-Identifier: MIT */
/*
 * sched.c — the scheduler's common half: timers in a binary min-heap ordered by (due time,
 * start sequence), fire-and-forget calls, and the cross-thread post inbox. The backends
 * (sched_virtual.c, sched_realtime.c) decide how time passes.
 *
 * Windows counterpart: the KTIMER / KDPC machinery a driver arms (KeSetTimer, KeInsertQueueDpc),
 * reduced to one loop so that the simulation is deterministic.
 */
#include <string.h>

#include "sim/sim_int.h"

SIM_ALLOC_TAG_DEFINE(sim_sched);

/* (due, seq) order: equal due times run in the order they were started. */
static inline bool
timer_before(const struct sim_timer *a, const struct sim_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static inline void
heap_set(struct sim_sched *s, size_t i, struct sim_timer *t)
{
    s->heap[i] = t;
    t->heap_index = (long)i;
}

static void
sift_up(struct sim_sched *s, size_t i)
{
    struct sim_timer *t = s->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, s->heap[parent]))
            break;
        heap_set(s, i, s->heap[parent]);
        i = parent;
    }
    heap_set(s, i, t);
}

static void
sift_down(struct sim_sched *s, size_t i)
{
    struct sim_timer *t = s->heap[i];
    size_t n = s->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && timer_before(s->heap[child + 1], s->heap[child]))
            child++;
        if (!timer_before(s->heap[child], t))
            break;
        heap_set(s, i, s->heap[child]);
        i = child;
    }
    heap_set(s, i, t);
}

struct sim_timer *
sim__heap_top(const struct sim_sched *s)
{
    return s->heap_len > 0 ? s->heap[0] : NULL;
}

void
sim__heap_remove(struct sim_sched *s, struct sim_timer *t)
{
    size_t i = (size_t)t->heap_index;
    struct sim_timer *last = s->heap[--s->heap_len];
    t->heap_index = -1;
    if (last == t)
        return;
    heap_set(s, i, last);
    if (i > 0 && timer_before(last, s->heap[(i - 1) / 2]))
        sift_up(s, i);
    else
        sift_down(s, i);
}

int
sim_sched_reserve(struct sim_sched *s, size_t n)
{
    if (n <= s->heap_cap)
        return 0;
    if (n > SIZE_MAX / sizeof(struct sim_timer *))
        return SIM_ENOMEM;
    struct sim_timer **h = sim_realloc(SIM_TAG(sim_sched), s->heap, n * sizeof *h);
    if (h == NULL)
        return SIM_ENOMEM;
    s->heap = h;
    s->heap_cap = n;
    return 0;
}

static int
heap_push(struct sim_sched *s, struct sim_timer *t)
{
    if (s->heap_len == s->heap_cap) {
        int err = sim_sched_reserve(s, s->heap_cap ? s->heap_cap * 2 : 64);
        if (err != 0)
            return err;
    }
    s->heap[s->heap_len] = t;
    t->heap_index = (long)s->heap_len;
    s->heap_len++;
    sift_up(s, s->heap_len - 1);
    return 0;
}

int
sim_sched_create(enum sim_sched_kind kind, struct sim_sched **out)
{
    if (out == NULL || (kind != SIM_SCHED_VIRTUAL && kind != SIM_SCHED_REALTIME))
        return SIM_EINVAL;
    struct sim_sched *s = sim_calloc(SIM_TAG(sim_sched), 1, sizeof *s);
    if (s == NULL)
        return SIM_ENOMEM;
    s->kind = kind;
    s->inbox_tail = &s->inbox;
    atomic_init(&s->stop_requested, false);
    atomic_init(&s->inbox_nonempty, false);
    if (pthread_mutex_init(&s->inbox_lock, NULL) != 0) {
        sim_free(s);
        return SIM_ENOMEM;
    }
    if (kind == SIM_SCHED_VIRTUAL) {
        s->backend = &sim__virtual_backend;
    } else {
        s->backend = &sim__realtime_backend;
        int err = sim__realtime_init(s);
        if (err != 0) {
            pthread_mutex_destroy(&s->inbox_lock);
            sim_free(s);
            return err;
        }
    }
    *out = s;
    return 0;
}

static void call_trampoline(struct sim_timer *t);

static void
free_call_list(struct sim__call *c)
{
    while (c != NULL) {
        struct sim__call *next = c->next;
        sim_free(c);
        c = next;
    }
}

void
sim_sched_destroy(struct sim_sched *s)
{
    if (s == NULL)
        return;
    /* Pending timers are dropped: caller-owned ones are detached, pooled calls are freed. */
    for (size_t i = 0; i < s->heap_len; i++) {
        struct sim_timer *t = s->heap[i];
        t->heap_index = -1;
        if (t->cb == call_trampoline)
            sim_free(t->data);
    }
    s->heap_len = 0;
    sim_free(s->heap);
    free_call_list(s->call_free);
    free_call_list(s->inbox);
    if (s->backend->fini != NULL)
        s->backend->fini(s);
    pthread_mutex_destroy(&s->inbox_lock);
    sim_free(s);
}

enum sim_sched_kind
sim_sched_kind(const struct sim_sched *s)
{
    return s->kind;
}

sim_time_t
sim_sched_now(const struct sim_sched *s)
{
    return s->backend->now(s);
}

long
sim_sched_run(struct sim_sched *s, sim_time_t until)
{
    if (s->running)
        return SIM_ESTATE; /* not re-entrant: a callback may not run the loop */
    s->running = true;
    long n = s->backend->run(s, until);
    s->running = false;
    /* relaxed: the flag only matters to this thread from here on. */
    atomic_store_explicit(&s->stop_requested, false, memory_order_relaxed);
    return n;
}

int
sim_sched_step(struct sim_sched *s)
{
    if (s->running)
        return SIM_ESTATE;
    return s->backend->step(s);
}

void
sim_sched_stop(struct sim_sched *s)
{
    /* release: pairs with the acquire loads in the run loops. */
    atomic_store_explicit(&s->stop_requested, true, memory_order_release);
    if (s->backend->wake != NULL)
        s->backend->wake(s);
}

sim_time_t
sim_sched_next_due(const struct sim_sched *s)
{
    sim_time_t now = sim_sched_now(s);
    /* acquire: pairs with the release in sim_sched_post. */
    if (atomic_load_explicit(&s->inbox_nonempty, memory_order_acquire))
        return now;
    const struct sim_timer *t = sim__heap_top(s);
    if (t == NULL)
        return SIM_TIME_NEVER;
    return t->due > now ? t->due : now;
}

size_t
sim_sched_pending(const struct sim_sched *s)
{
    return s->heap_len;
}

uint64_t
sim_sched_events_run(const struct sim_sched *s)
{
    return s->events_run;
}

void
sim__fire(struct sim_sched *s, struct sim_timer *t)
{
    s->events_run++;
    t->cb(t);
}

/* ---- timers -------------------------------------------------------------------------------- */

void
sim_timer_init(struct sim_sched *s, struct sim_timer *t, sim_timer_cb cb, void *data)
{
    t->sched = s;
    t->cb = cb;
    t->data = data;
    t->due = 0;
    t->seq = 0;
    t->heap_index = -1;
}

int
sim_timer_start_at(struct sim_timer *t, sim_time_t when)
{
    struct sim_sched *s = t->sched;
    if (s == NULL || t->cb == NULL)
        return SIM_EINVAL;
    sim_time_t now = sim_sched_now(s);
    if (t->heap_index >= 0)
        sim__heap_remove(s, t);
    t->due = when < now ? now : when;
    t->seq = s->next_seq++;
    return heap_push(s, t);
}

int
sim_timer_start(struct sim_timer *t, sim_time_t delay)
{
    if (delay < 0 || t->sched == NULL)
        return SIM_EINVAL;
    sim_time_t now = sim_sched_now(t->sched);
    if (delay > SIM_TIME_NEVER - now)
        return SIM_ERANGE;
    return sim_timer_start_at(t, now + delay);
}

bool
sim_timer_stop(struct sim_timer *t)
{
    if (t->heap_index < 0)
        return false;
    sim__heap_remove(t->sched, t);
    return true;
}

bool
sim_timer_is_pending(const struct sim_timer *t)
{
    return t->heap_index >= 0;
}

/* ---- fire-and-forget calls ----------------------------------------------------------------- */

static void
call_trampoline(struct sim_timer *t)
{
    struct sim__call *c = t->data;
    struct sim_sched *s = t->sched;
    sim_call_cb fn = c->fn;
    void *arg = c->arg;
    /* Recycle before calling, so fn may schedule again without growing the pool. */
    c->next = s->call_free;
    s->call_free = c;
    fn(arg);
}

static struct sim__call *
call_get(struct sim_sched *s)
{
    struct sim__call *c = s->call_free;
    if (c != NULL) {
        s->call_free = c->next;
        return c;
    }
    return sim_alloc(SIM_TAG(sim_sched), sizeof *c);
}

int
sim_sched_call(struct sim_sched *s, sim_time_t delay, sim_call_cb fn, void *arg)
{
    if (fn == NULL || delay < 0)
        return SIM_EINVAL;
    struct sim__call *c = call_get(s);
    if (c == NULL)
        return SIM_ENOMEM;
    c->fn = fn;
    c->arg = arg;
    sim_timer_init(s, &c->timer, call_trampoline, c);
    int err = sim_timer_start(&c->timer, delay);
    if (err != 0) {
        c->next = s->call_free;
        s->call_free = c;
    }
    return err;
}

int
sim_sched_post(struct sim_sched *s, sim_call_cb fn, void *arg)
{
    if (fn == NULL)
        return SIM_EINVAL;
    /* Any thread: allocate a fresh record (the free list belongs to the loop thread). */
    struct sim__call *c = sim_alloc(SIM_TAG(sim_sched), sizeof *c);
    if (c == NULL)
        return SIM_ENOMEM;
    c->fn = fn;
    c->arg = arg;
    c->next = NULL;
    pthread_mutex_lock(&s->inbox_lock);
    *s->inbox_tail = c;
    s->inbox_tail = &c->next;
    /* release: pairs with the acquire in sim__drain_inbox (the lock orders the list itself). */
    atomic_store_explicit(&s->inbox_nonempty, true, memory_order_release);
    pthread_mutex_unlock(&s->inbox_lock);
    if (s->backend->wake != NULL)
        s->backend->wake(s);
    return 0;
}

void
sim__drain_inbox(struct sim_sched *s, sim_time_t now)
{
    /* acquire: pairs with the release in sim_sched_post; a cheap check before locking. */
    if (!atomic_load_explicit(&s->inbox_nonempty, memory_order_acquire))
        return;
    pthread_mutex_lock(&s->inbox_lock);
    struct sim__call *list = s->inbox;
    s->inbox = NULL;
    s->inbox_tail = &s->inbox;
    atomic_store_explicit(&s->inbox_nonempty, false, memory_order_relaxed);
    pthread_mutex_unlock(&s->inbox_lock);
    while (list != NULL) {
        struct sim__call *c = list;
        list = c->next;
        sim_timer_init(s, &c->timer, call_trampoline, c);
        if (sim_timer_start_at(&c->timer, now) != 0) {
            /* Heap growth failed: run it now rather than lose it (a post never fails late). */
            c->next = s->call_free;
            s->call_free = c;
            s->events_run++;
            c->fn(c->arg);
        }
    }
}
