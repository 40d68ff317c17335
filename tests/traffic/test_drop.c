/* SPDX-License-Identifier: MIT */
/* test_drop.c — the drop sink (attribution by frame, by packet id, unattributed by cause) and
 * reconciliation, including proof that it fails when a drop goes unreported. */
#include <criterion/criterion.h>
#include <string.h>

#include "traffic/traffic.h"
#include "wire.h"

static struct traffic_flow *
make_dgram(struct world *w, uint64_t count)
{
    struct traffic_flow_config c = {.src = w->a,
                                    .dst = w->b,
                                    .rate_bps = 1000000000ull,
                                    .frame_len = 1000,
                                    .count = count,
                                    .inflight_limit = SIM_MSEC(10)};
    struct traffic_flow *f;
    cr_assert_eq(traffic_dgram_create(w->reg, &c, &f, NULL), 0);
    return f;
}

/* A wire tap that keeps a copy of the Nth A->B frame. */
struct keep {
    int want, seen;
    uint8_t frame[2048];
    uint32_t len;
};

static void
keep_nth(void *ctx, int dir, const uint8_t *frame, uint32_t len)
{
    struct keep *k = ctx;
    if (dir == 0 && k->seen++ == k->want) {
        memcpy(k->frame, frame, len);
        k->len = len;
    }
}

Test(traffic_drop, unreported_drop_makes_reconcile_fail)
{
    struct world w;
    world_init(&w, 21, SIM_USEC(10));
    w.wire->silent_index = 42;
    struct traffic_flow *f = make_dgram(&w, 100);
    cr_assert_eq(traffic_flow_start(f), 0);
    /* Just after the last send, frame 42 (sent at 336 us) may still be on its way. */
    world_run(&w, SIM_USEC(800));
    struct sim_diag d;
    cr_expect_eq(traffic_flow_reconcile(f, &d), 0, "not yet suspicious: %s", d.reason);
    world_run(&w, SIM_MSEC(20));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 100u);
    cr_expect_eq(s.delivered, 99u);
    cr_expect_eq(s.in_flight, 1u);
    cr_expect_eq(s.stale_inflight, 1u);
    cr_expect_eq(s.lost, 0u, "nobody said it was lost");
    cr_expect_eq(traffic_flow_reconcile(f, &d), SIM_EPROTO);
    cr_expect(strstr(d.reason, "1 packet(s) in flight for more than") != NULL, "%s", d.reason);
    cr_expect(strstr(d.reason, "first seq 42") != NULL, "%s", d.reason);
    cr_log_info("reconcile said: %s", d.reason);
    world_fini(&w);
}

Test(traffic_drop, packet_lost_without_cause_beyond_the_window_is_unaccounted)
{
    struct world w;
    world_init(&w, 22, SIM_USEC(10));
    w.wire->silent_index = 3;
    struct traffic_flow_config c = {.src = w.a,
                                    .dst = w.b,
                                    .rate_bps = 1000000000ull,
                                    .frame_len = 1000,
                                    .count = 100,
                                    .track_order = 4};
    struct traffic_flow *f;
    cr_assert_eq(traffic_dgram_create(w.reg, &c, &f, NULL), 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.unaccounted, 1u);
    cr_expect_eq(s.in_flight, 0u);
    cr_expect_eq(s.sent, s.delivered + s.dropped_total + s.in_flight + s.unaccounted);
    struct sim_diag d;
    cr_expect_eq(traffic_flow_reconcile(f, &d), SIM_EPROTO);
    cr_expect(strstr(d.reason, "vanished without a cause") != NULL, "%s", d.reason);
    world_fini(&w);
}

Test(traffic_drop, attribution_by_frame_by_packet_id_and_unattributed)
{
    struct world w;
    world_init(&w, 23, SIM_USEC(10));
    struct keep k = {.want = 5};
    w.wire->tap = keep_nth;
    w.wire->tap_ctx = &k;
    /* Keep a copy of frame 5 (delivered) to report it again afterwards. */
    struct traffic_flow *f = make_dgram(&w, 20);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(1));
    cr_assert_gt(k.len, 0u);
    const struct sim_drop_sink *sink = traffic_registry_drop_sink(w.reg);
    struct traffic_frame_info fi;
    cr_assert_eq(traffic_frame_parse(k.frame, k.len, 0, &fi, NULL), 0);
    cr_assert(fi.has_hdr);
    cr_expect_eq(fi.hdr.seq, 5u);

    /* Frame 5 was delivered; a second report for it is a surplus drop, not a loss. */
    sim_drop_report(sink, SIM_DROP_IOMMU_FAULT, "test", fi.hdr.packet_id, k.frame, k.len);
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.surplus_drops, 1u);
    cr_expect_eq(s.dropped_total, 0u);

    /* A foreign frame (ARP) with an unknown id: unattributed, by cause. */
    uint8_t arp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 9, 0x08, 0x06};
    sim_drop_report(sink, SIM_DROP_NO_FILTER_MATCH, "test", 999999, arp, sizeof arp);
    /* No frame, unknown id. */
    sim_drop_report(sink, SIM_DROP_SURPRISE_REMOVAL, "test", 0, NULL, 0);
    /* Out-of-range cause. */
    sim_drop_report(sink, (enum sim_drop_cause)99, "test", 0, NULL, 0);
    struct traffic_registry_stats rs;
    traffic_registry_stats(w.reg, &rs);
    cr_expect_eq(rs.drop_reports, 4u);
    cr_expect_eq(rs.attributed, 1u);
    cr_expect_eq(rs.unattributed_total, 2u);
    cr_expect_eq(rs.unattributed[SIM_DROP_NO_FILTER_MATCH], 1u);
    cr_expect_eq(rs.unattributed[SIM_DROP_SURPRISE_REMOVAL], 1u);
    cr_expect_eq(rs.bad_cause, 1u);
    cr_expect_eq(rs.flows, 1u);
    cr_expect_eq(rs.endpoints, 2u);
    cr_expect_eq(rs.packet_ids, 20u);
    world_fini(&w);
}

/* A data path that drops every Nth frame itself, reporting it without the frame (the bytes
 * are behind a blocked DMA): attribution must go through the packet-id ring. */
struct idpath {
    struct traffic_endpoint *peer;
    const struct sim_drop_sink *sink;
    int n;
    uint64_t dropped;
};

static int
idpath_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct idpath *p = ctx;
    if (++p->n % 4 == 0) {
        p->dropped++;
        sim_drop_report(p->sink, SIM_DROP_IOMMU_FAULT, "idpath", packet_id, NULL, 0);
        return 0;
    }
    traffic_endpoint_rx(p->peer, frame, len); /* synchronous delivery */
    return 0;
}

static const struct traffic_port_ops idpath_ops = {.xmit = idpath_xmit};

Test(traffic_drop, frameless_drops_are_charged_through_the_packet_id_ring)
{
    struct world w;
    world_init(&w, 24, SIM_USEC(10));
    struct idpath p = {.peer = w.b, .sink = traffic_registry_drop_sink(w.reg)};
    traffic_endpoint_connect(w.a, &idpath_ops, &p);
    struct traffic_flow *f = make_dgram(&w, 1000);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 1000u);
    cr_expect_eq(s.dropped[SIM_DROP_IOMMU_FAULT], 250u);
    cr_expect_eq(s.delivered, 750u);
    cr_expect_eq(s.latency.max, 0, "synchronous path: zero latency");
    struct traffic_registry_stats rs;
    traffic_registry_stats(w.reg, &rs);
    cr_expect_eq(rs.attributed_by_id, 250u);
    struct sim_diag d;
    cr_expect_eq(traffic_flow_reconcile(f, &d), 0, "%s", d.reason);
    world_fini(&w);
}

/* A data path that refuses every 3rd frame (negative return): refused frames are not sent. */
static int
refusing_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct idpath *p = ctx;
    (void)packet_id;
    if (++p->n % 3 == 0)
        return SIM_EAGAIN;
    traffic_endpoint_rx(p->peer, frame, len);
    return 0;
}

static const struct traffic_port_ops refusing_ops = {.xmit = refusing_xmit};

Test(traffic_drop, refused_frames_are_not_counted_as_sent)
{
    struct world w;
    world_init(&w, 25, SIM_USEC(10));
    struct idpath p = {.peer = w.b};
    traffic_endpoint_connect(w.a, &refusing_ops, &p);
    struct traffic_flow *f = make_dgram(&w, 100);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 100u);
    cr_expect_eq(s.delivered, 100u);
    cr_expect_gt(s.refused, 40u);
    cr_expect_eq(s.late_unknown, 0u);
    cr_expect(s.contiguous, "refused seqs are reused: no holes");
    struct sim_diag d;
    cr_expect_eq(traffic_flow_reconcile(f, &d), 0, "%s", d.reason);
    struct traffic_endpoint_stats es;
    traffic_endpoint_stats(w.a, &es);
    cr_expect_eq(es.tx_refused, s.refused);
    world_fini(&w);
}

Test(traffic_drop, endpoint_reports_frames_for_other_hosts_and_closed_ports)
{
    struct world w;
    world_init(&w, 26, SIM_USEC(10));
    struct traffic_flow *f = make_dgram(&w, 10);
    cr_assert_eq(traffic_flow_start(f), 0);
    struct keep k = {.want = 0};
    w.wire->tap = keep_nth;
    w.wire->tap_ctx = &k;
    world_run(&w, SIM_MSEC(1));
    /* Replay frame 0 to the wrong host (the sender itself): no-filter-match, surplus (already
     * delivered). Then a copy with another destination port on the right host: no-route. */
    cr_expect_eq(traffic_endpoint_rx(w.a, k.frame, k.len), SIM_ENOENT);
    struct traffic_endpoint_stats es;
    traffic_endpoint_stats(w.a, &es);
    cr_expect_eq(es.rx_not_ours, 1u);
    struct traffic_frame_info fi;
    cr_assert_eq(traffic_frame_parse(k.frame, k.len, 0, &fi, NULL), 0);
    struct traffic_frame_spec sp = {.proto = TRAFFIC_PROTO_UDP,
                                    .src_ip = fi.src_ip,
                                    .dst_ip = fi.dst_ip,
                                    .src_port = 1,
                                    .dst_port = 9,
                                    .tcp_wscale = -1};
    memcpy(sp.src_mac, fi.src_mac, 6);
    memcpy(sp.dst_mac, fi.dst_mac, 6);
    uint8_t other[128];
    uint32_t len;
    cr_assert_eq(traffic_frame_build(other, sizeof other, &sp, "hi", 2, &len, NULL), 0);
    cr_expect_eq(traffic_endpoint_rx(w.b, other, len), SIM_ENOENT);
    traffic_endpoint_stats(w.b, &es);
    cr_expect_eq(es.rx_no_flow, 1u);
    /* Garbage. */
    cr_expect_eq(traffic_endpoint_rx(w.b, other, 20), SIM_EPARSE);
    traffic_endpoint_stats(w.b, &es);
    cr_expect_eq(es.rx_malformed, 1u);
    struct traffic_registry_stats rs;
    traffic_registry_stats(w.reg, &rs);
    cr_expect_eq(rs.drop_reports, 2u);
    cr_expect_eq(rs.attributed, 1u, "the replayed flow frame");
    cr_expect_eq(rs.unattributed[SIM_DROP_NO_ROUTE], 1u, "the stranger");
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.surplus_drops, 1u);
    cr_expect_eq(s.delivered, 10u);
    world_fini(&w);
}

Test(traffic_drop, control_segments_are_tracked_one_by_one)
{
    struct world w;
    world_init(&w, 27, SIM_USEC(10));
    w.wire->silent_index = 0;    /* the first SYN vanishes without a report */
    struct keep k = {.want = 1}; /* the retransmitted SYN */
    w.wire->tap = keep_nth;
    w.wire->tap_ctx = &k;
    struct traffic_flow_config c = {.src = w.a,
                                    .dst = w.b,
                                    .rate_bps = 1000000000ull,
                                    .count = 10 * 1446,
                                    .inflight_limit = SIM_MSEC(50)};
    struct traffic_flow *f;
    cr_assert_eq(traffic_tcp_create(w.reg, &c, &f, NULL), 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(30));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED, "the SYN was retransmitted");
    cr_expect_eq(s.ctl_fwd.in_flight, 1, "the silent loss");
    struct sim_diag d;
    cr_expect_eq(traffic_flow_reconcile(f, &d), 0, "too early to tell: %s", d.reason);
    world_run(&w, SIM_MSEC(200));
    cr_expect_eq(traffic_flow_reconcile(f, &d), SIM_EPROTO);
    cr_expect(strstr(d.reason, "1 client->server control segment(s) neither delivered nor "
                               "reported dropped") != NULL,
              "%s", d.reason);

    /* A layer claims to have dropped the retransmitted SYN, which was delivered: a surplus
     * report, not a loss. */
    cr_assert_gt(k.len, 0u);
    sim_drop_report(traffic_registry_drop_sink(w.reg), SIM_DROP_PAUSED, "liar", 0, k.frame, k.len);
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.ctl_fwd.dropped[SIM_DROP_PAUSED], 0u);
    cr_expect_eq(s.ctl_fwd.surplus_drops, 1u);
    cr_expect_eq(s.ctl_fwd.in_flight, 1);
    world_fini(&w);
}

Test(traffic_drop, stats_field_table_covers_the_struct)
{
    size_t n;
    const struct traffic_stats_field *t = traffic_flow_stats_fields(&n);
    cr_assert_gt(n, 40u);
    size_t sizes[] = {[TRAFFIC_FIELD_U64] = 8,
                      [TRAFFIC_FIELD_U32] = 4,
                      [TRAFFIC_FIELD_TIME] = 8,
                      [TRAFFIC_FIELD_DOUBLE] = 8,
                      [TRAFFIC_FIELD_BOOL] = sizeof(bool),
                      [TRAFFIC_FIELD_STRING] = 32,
                      [TRAFFIC_FIELD_KIND] = sizeof(enum traffic_flow_kind),
                      [TRAFFIC_FIELD_STATE] = sizeof(enum traffic_conn_state),
                      [TRAFFIC_FIELD_CAUSES] = 8 * SIM_DROP_CAUSE_COUNT,
                      [TRAFFIC_FIELD_LATENCY] = sizeof(struct traffic_latency),
                      [TRAFFIC_FIELD_CTL] = sizeof(struct traffic_ctl_counts)};
    /* Every byte of the struct that is not padding belongs to exactly one listed field. */
    size_t covered = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect(t[i].name != NULL && t[i].name[0] != '\0');
        cr_expect_lt(t[i].offset, sizeof(struct traffic_flow_stats));
        if (i > 0)
            cr_expect_gt(t[i].offset, t[i - 1].offset, "%s out of order", t[i].name);
        covered += sizes[t[i].type];
    }
    cr_expect_leq(covered, sizeof(struct traffic_flow_stats));
    cr_expect_geq(covered + 32, sizeof(struct traffic_flow_stats), "a field is missing");
    cr_expect_str_eq(traffic_flow_kind_name(TRAFFIC_FLOW_TCP), "tcp");
    cr_expect_str_eq(traffic_conn_state_name(TRAFFIC_CONN_DEAD), "dead");
}
