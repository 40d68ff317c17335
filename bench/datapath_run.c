/* SPDX-License-Identifier: MIT */
/*
 * datapath_run.c — one measured run of `sriovsim bench datapath`: the three roles of the
 * modelled system as poll loops, on one, two or three pinned threads (libuv threads; the main
 * thread runs a libuv loop for Ctrl-C, the progress line and the end-of-run wake-up).
 *
 *   guest  — the application (builds frames in its buffers in guest memory, hands NBLs to
 *            NetVSC), NetVSC's poll (VMBus completions), the VF miniport's poll (TX
 *            completions). What the VM's vCPU pays.
 *   host   — NetVSP's poll (the VM port's VMBus ring: copy out of the section, switch, stage
 *            for the external port, send to the PF) and the PF miniport's poll (completions).
 *            What the root partition's CPU pays. On the VF path it finds nothing to do.
 *   device — the NIC (descriptor fetch, DMA of the frame through the IOMMU, anti-spoof, the
 *            NIC switch, the physical port) and the wire that counts what left. Hardware in
 *            the modelled system: reported as "device", never as host or guest CPU.
 *
 * The roles meet only where the real parts meet: descriptor rings in guest / host memory, the
 * VMBus channel's rings and sections. Each role function is out of line so callgrind can count
 * its instructions inclusively (bench/README.md).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "bench/dp_int.h"

static atomic_bool dp_stop_flag; /* Ctrl-C: set from the libuv signal callback */

void
bench__dp_stop(void)
{
    atomic_store_explicit(&dp_stop_flag, true, memory_order_relaxed);
}

bool
bench__dp_stopped(void)
{
    return atomic_load_explicit(&dp_stop_flag, memory_order_relaxed);
}

struct dp_ctx {
    struct dp_world *w;
    const struct dp_run_config *rc;
    atomic_bool go;          /* [G1] release by main <-> acquire by every thread */
    atomic_bool device_done; /* [D1] release by the device role <-> acquire by the host role */
    atomic_bool abort_run;   /* a thread saw no progress for timeout_s */
    atomic_uint running;     /* threads still running */
    uv_async_t done_async;
    struct dp_role_figures role[DP_ROLES];
    uint64_t thread_cpu[3], ctxsw[3], yields[3];
    bool done[DP_ROLES];
    char error[160];
};

struct dp_thread {
    struct dp_ctx *c;
    unsigned index;
    unsigned roles; /* bit per enum dp_role */
    uv_thread_t th;
};

/* ---- the roles ------------------------------------------------------------------------------ */

/* The application: up to `burst` frames from its free NBLs, handed to NetVSC as one chain. */
static unsigned
dp_app_send(struct dp_world *w)
{
    struct dp_app *app = &w->app;
    struct ndis_nbl *chain = NULL, **tail = &chain;
    unsigned k = 0;
    while (k < app->burst && app->sent + k < app->to_send) {
        struct ndis_nbl *n = ndis_nbl_alloc(app->pool, w->ad);
        if (n == NULL)
            break; /* every NBL is in flight */
        struct ndis_nb *nb = n->first_nb;
        nb->data_offset = NETVSC_VF_BACKFILL;
        nb->data_length = app->len;
        uint8_t *f = nb->data + NETVSC_VF_BACKFILL;
        uint64_t id = app->next_id + k;
        n->packet_id = id;
        if (id % DP_SAMPLE_EVERY == 0) {
            uint64_t ts = dp_now_ns();
            f[DP_MARK_OFF] = DP_MARK_SAMPLED;
            memcpy(f + DP_TS_OFF, &ts, sizeof ts);
        } else {
            f[DP_MARK_OFF] = 0;
        }
        *tail = n;
        tail = &n->next;
        k++;
    }
    if (k == 0)
        return 0;
    struct ndis_nbl *rest = NULL;
    app->outstanding += k;
    int err = netvsc_adapter_send_nbls(w->ad, chain, &rest);
    if (err != 0 && err != SIM_ESTATE)
        rest = chain; /* cannot happen with well-formed NBLs: nothing taken */
    unsigned back = 0;
    for (struct ndis_nbl *n = rest, *next; n != NULL; n = next) {
        next = n->next;
        n->next = NULL;
        (void)ndis_nbl_free(n, w->ad);
        back++;
    }
    app->outstanding -= back;
    app->sent += k - back;
    app->next_id += k - back;
    return k - back;
}

__attribute__((noinline)) unsigned bench_dp_guest(struct dp_world *w);
__attribute__((noinline)) unsigned bench_dp_host(struct dp_world *w);
__attribute__((noinline)) unsigned bench_dp_device(struct dp_world *w);

__attribute__((noinline)) unsigned
bench_dp_guest(struct dp_world *w)
{
    unsigned n = 0;
    if (w->vf != NULL)
        n += vf_adapter_poll(w->vf, DP_BUDGET);
    n += netvsc_adapter_poll(w->ad, DP_BUDGET);
    n += dp_app_send(w);
    return n;
}

__attribute__((noinline)) unsigned
bench_dp_host(struct dp_world *w)
{
    unsigned n = netvsp_switch_poll(w->sw, DP_BUDGET);
    n += pf_adapter_poll(w->pf, DP_BUDGET);
    return n;
}

__attribute__((noinline)) unsigned
bench_dp_device(struct dp_world *w)
{
    return (unsigned)nic_poll(w->nic, DP_BUDGET);
}

typedef unsigned (*dp_role_fn)(struct dp_world *w);
static const dp_role_fn dp_roles[DP_ROLES] = {bench_dp_guest, bench_dp_host, bench_dp_device};

/* Is this role finished? Each looks only at what it owns (and the device's published flag). */
static bool
dp_role_finished(struct dp_ctx *c, unsigned r, unsigned did)
{
    struct dp_world *w = c->w;
    switch (r) {
    case DP_ROLE_GUEST:
        return w->app.sent == w->app.to_send && w->app.outstanding == 0;
    case DP_ROLE_DEVICE:
        if (atomic_load_explicit(&w->wire.frames, memory_order_relaxed) >= w->app.to_send) {
            atomic_store_explicit(&c->device_done, true, memory_order_release); /* [D1] */
            return true;
        }
        return false;
    default:
        /* The host is done once the wire has every frame and its last poll found nothing. */
        return did == 0 && atomic_load_explicit(&c->device_done, memory_order_acquire); /* [D1] */
    }
}

static void
dp_thread_main(void *arg)
{
    struct dp_thread *t = arg;
    struct dp_ctx *c = t->c;
    struct dp_world *w = c->w;
    int cpu = c->rc->cpus[t->index];
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    while (!atomic_load_explicit(&c->go, memory_order_acquire)) /* [G1] */
        ;
    struct timespec c0, c1;
    struct rusage u0, u1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    getrusage(RUSAGE_THREAD, &u0);

    struct dp_role_figures fig[DP_ROLES];
    memset(fig, 0, sizeof fig);
    bool fin[DP_ROLES] = {false, false, false};
    unsigned left = 0;
    for (unsigned r = 0; r < DP_ROLES; r++)
        if (t->roles & (1u << r))
            left++;
    uint64_t last_progress = dp_now_ns(), last_mark = 0, spins = 0, yields = 0;
    unsigned idle = 0;
    uint64_t timeout_ns = (uint64_t)(c->rc->timeout_s * 1e9);
    while (left > 0) {
        unsigned work = 0;
        for (unsigned r = 0; r < DP_ROLES; r++) {
            if (!(t->roles & (1u << r)) || fin[r])
                continue;
            uint64_t t0 = dp_now_ns();
            unsigned did = dp_roles[r](w);
            uint64_t t1 = dp_now_ns();
            fig[r].calls++;
            if (did > 0) {
                fig[r].busy_ns += t1 - t0;
                fig[r].busy_calls++;
                work += did;
            }
            if (dp_role_finished(c, r, did)) {
                fin[r] = true;
                left--;
            }
        }
        /* With more threads than free CPUs a spinning thread would keep the one it waits for
         * off the CPU: after a while without work it yields (a system call, outside the
         * work: counted and reported). */
        if (work == 0 && c->rc->threads > 1 && ++idle >= 64) {
            idle = 0;
            yields++;
            sched_yield();
        } else if (work != 0) {
            idle = 0;
        }
        if ((++spins & 1023u) == 0) {
            uint64_t mark = atomic_load_explicit(&w->wire.frames, memory_order_relaxed) +
                            (t->roles & 1u ? w->app.completed : 0);
            uint64_t now = dp_now_ns();
            if (mark != last_mark) {
                last_mark = mark;
                last_progress = now;
            } else if (now - last_progress > timeout_ns) {
                atomic_store(&c->abort_run, true);
            }
            if (atomic_load(&c->abort_run) || bench__dp_stopped())
                break;
        }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    getrusage(RUSAGE_THREAD, &u1);
    c->thread_cpu[t->index] = (uint64_t)(c1.tv_sec - c0.tv_sec) * 1000000000u +
                              (uint64_t)(c1.tv_nsec - c0.tv_nsec);
    c->ctxsw[t->index] = (uint64_t)(u1.ru_nvcsw - u0.ru_nvcsw);
    c->yields[t->index] = yields;
    for (unsigned r = 0; r < DP_ROLES; r++)
        if (t->roles & (1u << r)) {
            c->role[r] = fig[r];
            c->done[r] = fin[r];
        }
    if (atomic_fetch_sub(&c->running, 1) == 1)
        uv_async_send(&c->done_async); /* the last thread wakes the main loop */
}

/* ---- the main thread's libuv loop: Ctrl-C, progress, end of run ----------------------------- */
struct dp_loop {
    uv_loop_t loop;
    uv_signal_t sig;
    uv_timer_t progress;
    struct dp_ctx *c;
    uint64_t t0;
};

static void
dp_on_close(uv_handle_t *h)
{
    (void)h;
}

static void
dp_on_done(uv_async_t *a)
{
    struct dp_loop *l = a->data;
    uv_close((uv_handle_t *)&l->c->done_async, dp_on_close);
    uv_close((uv_handle_t *)&l->sig, dp_on_close);
    uv_close((uv_handle_t *)&l->progress, dp_on_close);
}

static void
dp_on_sigint(uv_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    bench__dp_stop();
}

static void
dp_on_progress(uv_timer_t *t)
{
    struct dp_loop *l = t->data;
    uint64_t n = atomic_load_explicit(&l->c->w->wire.frames, memory_order_relaxed);
    double s = (double)(dp_now_ns() - l->t0) / 1e9;
    fprintf(stderr, "\r  %s %u B: %llu / %llu frames, %.1f s   ",
            l->c->rc->path == DP_PATH_VF ? "vf" : "synthetic", l->c->rc->frame_len,
            (unsigned long long)n, (unsigned long long)l->c->w->app.to_send, s);
}

static int
dp_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
dp_pct(const uint64_t *v, uint32_t n, double p)
{
    if (n == 0)
        return 0;
    uint32_t i = (uint32_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

int
bench__dp_run(struct dp_world *w, const struct dp_run_config *rc, struct dp_run_result *out)
{
    memset(out, 0, sizeof *out);
    if (bench__dp_stopped()) {
        snprintf(out->error, sizeof out->error, "interrupted");
        return SIM_ESTATE;
    }
    /* Reset the per-run state (everything from the previous run has drained). */
    struct dp_app *app = &w->app;
    app->len = rc->frame_len;
    app->to_send = rc->count;
    app->sent = app->outstanding = app->completed = app->failed = 0;
    app->burst = rc->burst;
    uint64_t first_id = app->next_id == 0 ? 1 : app->next_id;
    app->next_id = first_id;
    atomic_store(&w->wire.frames, 0);
    w->wire.bytes = 0;
    w->wire.bad = 0;
    w->wire.next_id = first_id;
    w->wire.nlat = 0;
    for (unsigned i = 0; i < SIM_DROP_CAUSE_COUNT; i++)
        atomic_store(&w->drops[i], 0);
    struct netvsc_adapter_stats gs0, gs1;
    struct netvsp_switch_stats hs0, hs1;
    uint64_t pf_posted0 = pf_adapter_stats(w->pf)->tx_posted;
    netvsc_adapter_stats(w->ad, &gs0);
    netvsp_switch_stats(w->sw, &hs0);

    struct dp_ctx *c = sim_calloc(SIM_TAG(bench), 1, sizeof *c);
    if (c == NULL)
        return SIM_ENOMEM;
    c->w = w;
    c->rc = rc;
    struct dp_thread th[3];
    memset(th, 0, sizeof th);
    unsigned nth = rc->threads;
    static const unsigned layout[4][3] = {
        {0, 0, 0},
        {7u, 0, 0},                                                   /* one thread: all */
        {1u << DP_ROLE_GUEST, (1u << DP_ROLE_HOST) | (1u << DP_ROLE_DEVICE), 0},
        {1u << DP_ROLE_GUEST, 1u << DP_ROLE_HOST, 1u << DP_ROLE_DEVICE},
    };
    struct dp_loop l;
    memset(&l, 0, sizeof l);
    l.c = c;
    int err = uv_loop_init(&l.loop);
    if (err) {
        sim_free(c);
        return SIM_ENOMEM;
    }
    uv_async_init(&l.loop, &c->done_async, dp_on_done);
    c->done_async.data = &l;
    uv_signal_init(&l.loop, &l.sig);
    uv_signal_start(&l.sig, dp_on_sigint, SIGINT);
    uv_timer_init(&l.loop, &l.progress);
    l.progress.data = &l;
    bool tty = isatty(2);
    atomic_store(&c->running, nth);
    for (unsigned i = 0; i < nth; i++) {
        th[i].c = c;
        th[i].index = i;
        th[i].roles = layout[nth][i];
        if (uv_thread_create(&th[i].th, dp_thread_main, &th[i]) != 0) {
            /* Cannot happen in practice; stop the ones started. */
            atomic_store(&c->abort_run, true);
            atomic_store(&c->go, true);
            for (unsigned k = 0; k < i; k++)
                uv_thread_join(&th[k].th);
            uv_loop_close(&l.loop);
            sim_free(c);
            return SIM_ENOMEM;
        }
    }
    long allocs0 = sim_alloc_attempts();
    l.t0 = dp_now_ns();
    atomic_store_explicit(&c->go, true, memory_order_release); /* [G1] */
    if (tty)
        uv_timer_start(&l.progress, dp_on_progress, 1000, 1000);
    uv_run(&l.loop, UV_RUN_DEFAULT);
    for (unsigned i = 0; i < nth; i++)
        uv_thread_join(&th[i].th);
    uint64_t t1 = dp_now_ns();
    long allocs1 = sim_alloc_attempts();
    (void)uv_loop_close(&l.loop);
    if (tty)
        fprintf(stderr, "\r%60s\r", "");

    out->threads = nth;
    out->wall_s = (double)(t1 - l.t0) / 1e9;
    out->frames = atomic_load(&w->wire.frames);
    out->bytes = w->wire.bytes;
    memcpy(out->role, c->role, sizeof out->role);
    for (unsigned i = 0; i < nth; i++) {
        out->thread_cpu_ns[i] = c->thread_cpu[i];
        out->vol_ctxsw += c->ctxsw[i];
        out->idle_yields += c->yields[i];
    }
    out->sim_allocs = (uint64_t)(allocs1 - allocs0);
    for (unsigned i = 0; i < SIM_DROP_CAUSE_COUNT; i++) {
        out->drops[i] = atomic_load(&w->drops[i]);
        out->drops_total += out->drops[i];
    }
    netvsc_adapter_stats(w->ad, &gs1);
    netvsp_switch_stats(w->sw, &hs1);
    out->guest_copies = gs1.copies - gs0.copies;
    out->guest_stage_copies = gs1.vf_stage_copies - gs0.vf_stage_copies;
    out->host_copies = hs1.copies - hs0.copies;
    out->host_uplink_copies = hs1.uplink_copies - hs0.uplink_copies;
    out->host_pf_copies = pf_adapter_stats(w->pf)->tx_posted - pf_posted0;
    out->vf_tx = gs1.tx_vf - gs0.tx_vf;
    out->syn_tx = gs1.tx_synthetic - gs0.tx_synthetic;
    qsort(w->wire.lat, w->wire.nlat, sizeof w->wire.lat[0], dp_cmp_u64);
    out->lat_samples = w->wire.nlat;
    out->lat_p50 = dp_pct(w->wire.lat, w->wire.nlat, 0.50);
    out->lat_p99 = dp_pct(w->wire.lat, w->wire.nlat, 0.99);
    out->lat_p999 = dp_pct(w->wire.lat, w->wire.nlat, 0.999);

    /* Every packet accounted for: sent = on the wire + dropped (nothing stays in flight). */
    bool all_done = c->done[DP_ROLE_GUEST] && c->done[DP_ROLE_DEVICE];
    if (bench__dp_stopped())
        snprintf(out->error, sizeof out->error, "interrupted after %llu frames",
                 (unsigned long long)out->frames);
    else if (atomic_load(&c->abort_run) || !all_done)
        snprintf(out->error, sizeof out->error,
                 "no progress for %.0f s: %llu of %llu frames on the wire, %llu dropped",
                 rc->timeout_s, (unsigned long long)out->frames, (unsigned long long)rc->count,
                 (unsigned long long)out->drops_total);
    else if (out->frames + out->drops_total != rc->count || app->sent != rc->count)
        snprintf(out->error, sizeof out->error,
                 "accounting: sent %llu, on the wire %llu, dropped %llu",
                 (unsigned long long)app->sent, (unsigned long long)out->frames,
                 (unsigned long long)out->drops_total);
    else if (w->wire.bad != 0)
        snprintf(out->error, sizeof out->error, "%llu frames arrived out of order",
                 (unsigned long long)w->wire.bad);
    else if (app->failed != 0)
        snprintf(out->error, sizeof out->error, "%llu sends completed with an error",
                 (unsigned long long)app->failed);
    else if ((rc->path == DP_PATH_VF ? out->vf_tx : out->syn_tx) != rc->count)
        snprintf(out->error, sizeof out->error, "frames took the wrong path (vf %llu, synthetic %llu)",
                 (unsigned long long)out->vf_tx, (unsigned long long)out->syn_tx);
    else
        out->ok = true;
    sim_free(c);
    bench__dp_world_drain(w);
    return out->ok ? 0 : SIM_ESTATE;
}
