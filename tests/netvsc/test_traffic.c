/* SPDX-License-Identifier: MIT */
/* test_traffic.c — real applications over the synthetic path: a traffic/ TCP-like connection
 * from vm1 (its endpoint attached to NetVSC's VM adapter) to a peer behind the wire (the
 * in-test wire hands frames to the peer endpoint; the peer's xmit enters the switch from the
 * wire), and a datagram flow vm1 -> vm2 through the switch. Figures must reconcile exactly. */
#include "../netvsp/vsp_test.h"
#include "traffic/traffic.h"

struct tw {
    struct vt t;
    struct traffic_registry *reg;
    struct traffic_endpoint *ep[VT_VMS], *peer;
};

static void
wire_to_peer(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct tw *w = ctx;
    traffic_endpoint_rx(w->peer, frame, len);
}

static int
peer_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct tw *w = ctx;
    return netvsp_switch_uplink_receive(w->t.sw, frame, len, id, 0);
}

static void
app_to_endpoint(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    traffic_endpoint_rx(ctx, frame, len);
}

static const struct traffic_port_ops peer_ops = {.xmit = peer_xmit};
static const struct traffic_port_ops vm_ops = {.xmit = netvsc_adapter_xmit};
static const struct netvsc_rx_ops app_ops = {.receive = app_to_endpoint};

Test(netvsc_traffic, tcp_to_the_wire_and_datagrams_vm_to_vm)
{
    struct tw w;
    /* A switch CPU cost of 1 us per frame + 0.1 ns per byte (INFERRED, for this test): the
     * synthetic path then has a throughput ceiling the TCP-like flow must find. */
    struct vt_opts o = {.cost_per_frame_ns = 1000, .cost_per_byte_ps = 100};
    vt_setup_opts(&w.t, &o);
    w.t.wire.forward = wire_to_peer;
    w.t.wire.forward_ctx = &w;
    struct sim_diag d = {0};
    struct traffic_registry_config rc = {.sched = w.t.s, .seed = 1};
    cr_assert_eq(traffic_registry_create(&rc, &w.reg, &d), 0, "%s", d.reason);
    for (int i = 0; i < VT_VMS; i++) {
        struct traffic_endpoint_config ec = {.name = i ? "vm2" : "vm1",
                                             .ipv4 = 0x0a000001u + (uint32_t)i,
                                             .ops = &vm_ops,
                                             .ops_ctx = w.t.ad[i]};
        memcpy(ec.mac, vt_mac[i], 6);
        cr_assert_eq(traffic_endpoint_create(w.reg, &ec, &w.ep[i], &d), 0, "%s", d.reason);
        netvsc_adapter_set_rx(w.t.ad[i], &app_ops, w.ep[i]);
    }
    struct traffic_endpoint_config pc = {
        .name = "peer", .ipv4 = 0x0a0000feu, .ops = &peer_ops, .ops_ctx = &w};
    memcpy(pc.mac, vt_peer_mac, 6);
    cr_assert_eq(traffic_endpoint_create(w.reg, &pc, &w.peer, &d), 0, "%s", d.reason);

    struct traffic_flow *tcp = NULL, *dg = NULL;
    struct traffic_flow_config tc = {
        .name = "tcp", .src = w.ep[0], .dst = w.peer, .count = 4u << 20, .frame_len = 1500};
    cr_assert_eq(traffic_tcp_create(w.reg, &tc, &tcp, &d), 0, "%s", d.reason);
    struct traffic_flow_config dc = {.name = "dgram",
                                     .src = w.ep[0],
                                     .dst = w.ep[1],
                                     .rate_bps = 1000000000ull,
                                     .count = 5000,
                                     .frame_len = 1000};
    cr_assert_eq(traffic_dgram_create(w.reg, &dc, &dg, &d), 0, "%s", d.reason);
    cr_assert_eq(traffic_flow_start(tcp), 0);
    cr_assert_eq(traffic_flow_start(dg), 0);
    vt_run(&w.t, SIM_SEC(2));
    traffic_flow_stop(tcp);
    vt_run(&w.t, SIM_SEC(1));
    struct traffic_flow_stats ts, ds;
    traffic_flow_stats(tcp, &ts);
    traffic_flow_stats(dg, &ds);
    cr_assert_eq(traffic_flow_reconcile(tcp, &d), 0, "%s", d.reason);
    cr_assert_eq(traffic_flow_reconcile(dg, &d), 0, "%s", d.reason);
    cr_assert(ts.contiguous, "tcp stream intact");
    cr_assert_geq(ts.bytes_delivered, 4u << 20);
    cr_assert(ts.alive);
    cr_assert_eq(ds.delivered, 5000);
    cr_assert(ds.contiguous);
    cr_assert_eq(ds.dropped_total, 0);
    cr_assert_eq(w.t.drops.total, 0);
    /* Each data segment and its ACK cross the switch: (1000 + 150) + (1000 + 6) ns per
     * 1446-byte segment: about 5.3 Gbit/s of goodput at most (the datagram flow shares the
     * CPU at 1 Gbit/s for its first 40 ms). */
    cr_log_info("synthetic TCP: %llu bytes, goodput %.2f Gbit/s (virtual time)",
                (unsigned long long)ts.bytes_delivered, ts.goodput_bps / 1e9);
    cr_assert_lt(ts.goodput_bps, 5.5e9);
    cr_assert_gt(ts.goodput_bps, 1e9);
    traffic_registry_destroy(w.reg);
    vt_teardown(&w.t);
}
