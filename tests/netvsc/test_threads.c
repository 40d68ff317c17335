/* SPDX-License-Identifier: MIT */
/* test_threads.c — bench mode: the guest side (NetVSC) and the host side (NetVSP + the switch +
 * an in-test wire) on two threads, connected only by the VMBus channel's rings (signal mode
 * POLL). A flow each way; every frame must arrive exactly once and in order, with nothing
 * dropped. Run under -DSRIOVSIM_SANITIZE=thread (label "threads"). */
#include <stdatomic.h>
#include <uv.h>

#include "../netvsp/vsp_test.h"

#define N_UP   20000u /* guest -> wire */
#define N_DOWN 20000u /* wire -> guest */

struct world {
    struct sim_sched *s;
    struct hv_partition *root, *vm;
    struct netvsp_switch *sw;
    struct netvsp_port *port;
    struct netvsc_adapter *ad;
    atomic_ulong drops;
    /* host thread only */
    uint64_t wire_next; /* next id expected on the wire */
    uint32_t wire_bad;
    /* guest thread only */
    uint64_t app_next;
    uint32_t app_bad;
};

static void
drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t id, const void *f,
        uint32_t len)
{
    struct world *w = ctx;
    atomic_fetch_add_explicit(&w->drops, 1, memory_order_relaxed);
}

static int
wire_send(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct world *w = ctx;
    if (id != w->wire_next)
        w->wire_bad++;
    w->wire_next = id + 1;
    return 0;
}

static void
app_rx(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct world *w = ctx;
    if (id != w->app_next || frame[len - 1] != (uint8_t)id)
        w->app_bad++;
    w->app_next = id + 1;
}

static void
host_thread(void *arg)
{
    struct world *w = arg;
    struct hv_vmbus_ep *hep = hv_vmbus_channel_ep(netvsp_port_channel(w->port), HV_VMBUS_HOST);
    uint8_t f[600];
    uint64_t injected = 0;
    while (w->wire_next <= N_UP || injected < N_DOWN) {
        netvsp_switch_poll(w->sw, 64);
        /* The peer paces itself to the guest's receive buffer (no loss by design here). */
        for (int k = 0; k < 16 && injected < N_DOWN; k++) {
            if (hv_vmbus_ep_sections_free(hep) == 0 || hv_vmbus_ep_space(hep) < 4)
                break;
            uint64_t id = 1000000 + injected;
            uint32_t len = vt_frame(f, vt_mac[0], vt_peer_mac, 64 + (uint32_t)(injected % 500), 0);
            f[len - 1] = (uint8_t)id;
            netvsp_switch_uplink_receive(w->sw, f, len, id, 0);
            injected++;
        }
    }
}

static void
guest_thread(void *arg)
{
    struct world *w = arg;
    uint8_t f[600];
    uint64_t sent = 0;
    while (sent < N_UP || w->app_next < 1000000 + N_DOWN) {
        netvsc_adapter_poll(w->ad, 64);
        for (int k = 0; k < 16 && sent < N_UP; k++) {
            uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 64 + (uint32_t)(sent % 500), 1);
            int rc = netvsc_adapter_xmit(w->ad, f, len, 1 + sent);
            if (rc == SIM_EAGAIN)
                break;
            cr_assert_eq(rc, 0);
            sent++;
        }
    }
}

Test(netvsc_threads, synthetic_flow_guest_and_host_on_two_threads, .timeout = 120)
{
    struct world w;
    memset(&w, 0, sizeof w);
    w.wire_next = 1;
    w.app_next = 1000000;
    struct sim_drop_sink sink = {.drop = drop_cb, .ctx = &w};
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &w.s), 0);
    w.root = vt_partition(w.s, 0, "h1", HV_PARTITION_ROOT);
    w.vm = vt_partition(w.s, 1, "vm1", HV_PARTITION_GUEST);
    static const struct netvsp_uplink_ops up = {.send = wire_send};
    struct netvsp_switch_config sc = {
        .name = "h1.sw", .sched = w.s, .drops = &sink, .uplink = &up, .uplink_ctx = &w};
    struct sim_diag d = {0};
    cr_assert_eq(netvsp_switch_create(&sc, &w.sw, &d), 0, "%s", d.reason);
    struct netvsp_port_config pc = {.host = w.root, .guest = w.vm, .signal = HV_VMBUS_SIGNAL_POLL};
    memcpy(pc.mac, vt_mac[0], 6);
    cr_assert_eq(netvsp_port_create(w.sw, &pc, &w.port, &d), 0, "%s", d.reason);
    static const struct netvsc_rx_ops rx = {.receive = app_rx};
    struct netvsc_adapter_config ac;
    netvsc_adapter_config_init(&ac);
    ac.name = "vm1";
    ac.guest = w.vm;
    memcpy(ac.mac, vt_mac[0], 6);
    ac.drops = &sink;
    ac.rx = &rx;
    ac.rx_ctx = &w;
    cr_assert_eq(netvsc_adapter_create(&ac, &w.ad, &d), 0, "%s", d.reason);
    /* Control plane on this thread: offer, open, NVSP INIT (POLL mode: poll both sides). */
    for (int i = 0; i < 10 && !netvsc_adapter_is_ready(w.ad); i++) {
        sim_sched_run(w.s, sim_sched_now(w.s) + SIM_MSEC(1));
        netvsp_switch_poll(w.sw, 64);
        netvsc_adapter_poll(w.ad, 64);
    }
    cr_assert(netvsc_adapter_is_ready(w.ad));
    cr_assert(netvsp_port_is_ready(w.port));

    uv_thread_t th, tg;
    uint64_t t0 = uv_hrtime();
    cr_assert_eq(uv_thread_create(&th, host_thread, &w), 0);
    cr_assert_eq(uv_thread_create(&tg, guest_thread, &w), 0);
    uv_thread_join(&tg);
    uv_thread_join(&th);
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    cr_log_info("synthetic path, 2 threads: %u + %u frames (64..563 B) in %.3f s = %.2f Mframes/s",
                N_UP, N_DOWN, secs, (N_UP + N_DOWN) / secs / 1e6);

    cr_assert_eq(w.wire_next, N_UP + 1, "every guest frame on the wire");
    cr_assert_eq(w.wire_bad, 0, "exactly once and in order on the wire");
    cr_assert_eq(w.app_next, 1000000 + N_DOWN, "every wire frame at the guest");
    cr_assert_eq(w.app_bad, 0, "exactly once and in order at the guest");
    cr_assert_eq(atomic_load(&w.drops), 0);
    struct netvsc_adapter_stats gs;
    netvsc_adapter_stats(w.ad, &gs);
    cr_assert_eq(gs.copies, N_UP);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(w.sw, &ss);
    cr_assert_eq(ss.copies, 2ull * N_DOWN + N_UP);

    cr_assert_eq(netvsc_adapter_destroy(w.ad), 0);
    sim_sched_run(w.s, sim_sched_now(w.s) + SIM_MSEC(1));
    netvsp_switch_destroy(w.sw);
    hv_partition_destroy(w.vm);
    hv_partition_destroy(w.root);
    sim_sched_destroy(w.s);
    cr_assert_eq(sim_alloc_live_total(), 0);
}
