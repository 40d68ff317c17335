/* SPDX-License-Identifier: MIT */
/* test_tcp.c — the TCP-like flow over the in-test wire: handshake (a real SYN on the wire),
 * clean transfer and close, a 50 ms blackout survived with every byte delivered once and in
 * order, death after N fruitless retries, fast retransmit, lost handshake segments, no
 * allocation per packet, determinism. */
#include <criterion/criterion.h>
#include <string.h>

#include "traffic/traffic.h"
#include "wire.h"

struct syn_tap {
    int frames;
    struct traffic_frame_info first;
    bool first_ok;
    int syns;
};

static void
tap_first(void *ctx, int dir, const uint8_t *frame, uint32_t len)
{
    struct syn_tap *t = ctx;
    struct traffic_frame_info fi;
    int rc = traffic_frame_parse(frame, len, TRAFFIC_PARSE_VERIFY_IP | TRAFFIC_PARSE_VERIFY_L4, &fi,
                                 NULL);
    cr_expect_eq(rc, 0, "every frame on the wire parses with valid checksums (dir %d)", dir);
    if (t->frames++ == 0) {
        t->first = fi;
        t->first_ok = rc == 0;
    }
    if (rc == 0 && fi.tcp_flags == TRAFFIC_TCP_SYN)
        t->syns++;
}

static struct traffic_flow *
make_tcp(struct world *w, uint64_t rate, uint64_t bytes, uint32_t max_retries)
{
    struct traffic_flow_config c = {.name = "tcp1",
                                    .src = w->a,
                                    .dst = w->b,
                                    .rate_bps = rate,
                                    .frame_len = 1500,
                                    .count = bytes,
                                    .max_retries = max_retries};
    struct traffic_flow *f;
    struct sim_diag d;
    cr_assert_eq(traffic_tcp_create(w->reg, &c, &f, &d), 0, "%s", d.reason);
    return f;
}

static void
expect_reconciled(const struct traffic_flow *f)
{
    struct sim_diag d;
    int rc = traffic_flow_reconcile(f, &d);
    cr_expect_eq(rc, 0, "reconcile: %s", d.reason);
}

#define MSS 1446u /* 1500 - 14 - 20 - 20 */

Test(traffic_tcp, handshake_transfer_and_clean_close)
{
    struct world w;
    world_init(&w, 11, SIM_USEC(10));
    w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
    struct syn_tap tap = {0};
    w.wire->tap = tap_first;
    w.wire->tap_ctx = &tap;
    struct traffic_flow *f = make_tcp(&w, 1000000000ull, 1000u * MSS, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    cr_assert(tap.first_ok);
    cr_expect_eq(tap.first.tcp_flags, TRAFFIC_TCP_SYN, "the first frame is a bare SYN");
    cr_expect_eq(tap.first.proto, TRAFFIC_PROTO_TCP);
    cr_expect_eq(tap.first.tcp_mss, MSS);
    cr_expect_eq(tap.first.tcp_wscale, 3, "256 KiB window needs scale 3");
    cr_expect_eq(tap.first.dst_port, 5201);
    cr_expect_eq(tap.syns, 1);
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect(traffic_flow_is_done(f));
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED, "state %s", traffic_conn_state_name(s.state));
    cr_expect(s.alive);
    cr_expect(s.syn_seen);
    cr_expect(s.contiguous);
    cr_expect_eq(s.stream_bytes, 1000u * MSS);
    cr_expect_eq(s.bytes_delivered, 1000u * MSS);
    cr_expect_eq(s.bytes_acked, 1000u * MSS);
    cr_expect_eq(s.sent, 1000u);
    cr_expect_eq(s.delivered, 1000u);
    cr_expect_eq(s.retransmissions, 0u);
    cr_expect_eq(s.timeouts, 0u);
    cr_expect_eq(s.lost, 0u);
    cr_expect_eq(s.latency.min, SIM_USEC(10));
    cr_expect_eq(s.srtt, SIM_USEC(20), "RTT = 2 x 10 us");
    /* SYN, ACK, FIN, final ACK forward; SYN-ACK, 1000 ACKs, FIN-ACK back. */
    cr_expect_eq(s.ctl_fwd.sent, 4u);
    cr_expect_eq(s.ctl_fwd.delivered, 4u);
    cr_expect_eq(s.ctl_rev.sent, 1002u);
    cr_expect_eq(s.ctl_rev.delivered, 1002u);
    cr_expect_eq(s.ctl_rev.in_flight, 0);
    cr_expect_float_eq(s.goodput_bps, 1e9 * MSS / 1500.0, 1e7);
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_tcp, survives_a_50ms_blackout_with_zero_data_loss)
{
    struct world w;
    world_init(&w, 12, SIM_USEC(10));
    w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
    w.wire->blackout_from = SIM_MSEC(20);
    w.wire->blackout_to = SIM_MSEC(70);
    /* 1 Gbit/s for ~100 ms: the transfer spans the blackout. */
    struct traffic_flow *f = make_tcp(&w, 1000000000ull, 8000u * MSS, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(69));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_ESTABLISHED, "alive but stalled in the blackout");
    cr_expect_gt(s.timeouts, 3u);
    expect_reconciled(f); /* in flight is plausible: nothing older than the limit */
    world_run(&w, SIM_SEC(2));
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED, "state %s", traffic_conn_state_name(s.state));
    cr_expect(s.alive);
    cr_expect(s.contiguous, "every byte delivered once, in order");
    cr_expect_eq(s.bytes_delivered, 8000u * MSS);
    cr_expect_eq(s.stream_bytes, 8000u * MSS);
    cr_expect_gt(s.dropped[SIM_DROP_LINK_DOWN], 0u);
    cr_expect_eq(s.dropped_total, s.dropped[SIM_DROP_LINK_DOWN]);
    cr_expect_gt(s.retransmissions, 0u);
    cr_expect_gt(s.gap_max, SIM_MSEC(50), "the receiver saw the outage");
    cr_expect_eq(s.in_flight, 0u);
    cr_expect_eq(s.integrity_errors, 0u);
    cr_expect_eq(s.ctl_rev.in_flight, 0);
    /* ~83 segments went out before the first timeout (1 ms at 12 us), all lost: they are
     * resent once after the blackout; during it only single probes go out (not the window). */
    cr_expect_lt(s.retransmissions, 100u, "probe after a timeout, do not resend the window");
    cr_expect_geq(s.retransmissions, 83u);
    expect_reconciled(f);
    cr_log_info("blackout: %llu timeouts, %llu retransmissions, gap %lld ns",
                (unsigned long long)s.timeouts, (unsigned long long)s.retransmissions,
                (long long)s.gap_max);
    world_fini(&w);
}

static int done_calls;
static void
on_done(void *ctx, struct traffic_flow *f)
{
    (void)f;
    *(int *)ctx += 1;
    done_calls++;
}

Test(traffic_tcp, declared_dead_after_n_fruitless_retries)
{
    for (uint32_t n = 1; n <= 5; n += 2) {
        struct world w;
        world_init(&w, 13, SIM_USEC(10));
        w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
        w.wire->cut_at = SIM_MSEC(5);
        int calls = 0;
        struct traffic_flow_config c = {.src = w.a,
                                        .dst = w.b,
                                        .rate_bps = 1000000000ull,
                                        .max_retries = n,
                                        .rto_min = SIM_MSEC(2),
                                        .on_done = on_done,
                                        .on_done_ctx = &calls};
        struct traffic_flow *f;
        cr_assert_eq(traffic_tcp_create(w.reg, &c, &f, NULL), 0);
        cr_assert_eq(traffic_flow_start(f), 0);
        world_run(&w, SIM_SEC(30));
        struct traffic_flow_stats s;
        traffic_flow_stats(f, &s);
        cr_expect_eq(s.state, TRAFFIC_CONN_DEAD, "n=%u: state %s", n,
                     traffic_conn_state_name(s.state));
        cr_expect_not(s.alive);
        cr_expect_eq(s.timeouts, n + 1, "n=%u: N retransmission timeouts, then death", n);
        cr_expect_not(s.contiguous, "data was sent that never arrived");
        cr_expect_eq(calls, 1);
        cr_expect(traffic_flow_is_done(f));
        cr_expect_eq(sim_sched_pending(w.sched), 0u, "a dead connection leaves no timer");
        expect_reconciled(f); /* every loss was reported by the wire */
        world_fini(&w);
    }
}

Test(traffic_tcp, fast_retransmit_fills_a_single_hole)
{
    struct world w;
    world_init(&w, 14, SIM_USEC(10));
    w.wire->loss_every = 100000;
    w.wire->loss_offset = 500; /* one data segment (frame 500 from the client) */
    struct traffic_flow *f = make_tcp(&w, 1000000000ull, 2000u * MSS, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED);
    cr_expect_eq(s.fast_retransmits, 1u);
    cr_expect_eq(s.retransmissions, 1u);
    cr_expect_eq(s.timeouts, 0u);
    cr_expect_eq(s.dropped[SIM_DROP_RING_FULL], 1u);
    cr_expect(s.contiguous);
    cr_expect_eq(s.bytes_delivered, 2000u * MSS);
    cr_expect_eq(s.sent, 2001u);
    cr_expect_eq(s.delivered, 2000u);
    cr_expect_eq(s.dup_segments, 0u, "out-of-order segments were buffered, not resent");
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_tcp, lost_syn_and_reordered_segments)
{
    struct world w;
    world_init(&w, 15, SIM_USEC(10));
    w.wire->loss_every = 100000;
    w.wire->loss_offset = 0; /* the first SYN */
    w.wire->reorder_every = 97;
    w.wire->reorder_offset = 40;
    w.wire->reorder_extra = SIM_USEC(30);
    struct syn_tap tap = {0};
    w.wire->tap = tap_first;
    w.wire->tap_ctx = &tap;
    struct traffic_flow *f = make_tcp(&w, 1000000000ull, 1000u * MSS, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(tap.syns, 2, "SYN retransmitted once");
    cr_expect_eq(s.ctl_fwd.dropped[SIM_DROP_RING_FULL], 1u);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED);
    cr_expect(s.contiguous);
    cr_expect_gt(s.reordered, 5u);
    cr_expect_eq(s.bytes_delivered, 1000u * MSS);
    cr_expect_eq(s.timeouts, 1u, "only the SYN timed out");
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_tcp, unpaced_window_limited_and_stopped_by_hand)
{
    struct world w;
    world_init(&w, 16, SIM_USEC(50));
    w.wire->rate_bps = 10000000000ull; /* the wire serialises at 10 Gbit/s */
    w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
    struct traffic_flow_config c = {
        .src = w.a, .dst = w.b, .window_bytes = 64 * 1024, .ack_every = 2};
    struct traffic_flow *f;
    cr_assert_eq(traffic_tcp_create(w.reg, &c, &f, NULL), 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(10));
    traffic_flow_stop(f);
    world_run(&w, SIM_MSEC(20));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED);
    cr_expect(s.contiguous);
    cr_expect_eq(s.bytes_delivered, s.stream_bytes);
    cr_expect_gt(s.stream_bytes, 0u);
    /* Window-limited: 64 KiB per ~100 us RTT is about 5 Gbit/s, well below the wire's 10. */
    cr_expect_lt(s.goodput_bps, 6e9);
    cr_expect_gt(s.goodput_bps, 3e9);
    cr_expect_lt(s.ctl_rev.sent, s.sent, "delayed ACKs: fewer ACKs than segments");
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_tcp, per_packet_path_does_not_allocate)
{
    struct world w;
    world_init(&w, 17, SIM_USEC(10));
    w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
    w.wire->loss_every = 997; /* some fast retransmits on the way */
    w.wire->loss_offset = 500;
    struct traffic_flow *f = make_tcp(&w, 10000000000ull, 0, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(2));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    uint64_t sent0 = s.sent;
    long before = sim_alloc_attempts();
    world_run(&w, SIM_MSEC(16));
    traffic_flow_stats(f, &s);
    cr_expect_geq(s.sent - sent0, 10000u);
    cr_expect_gt(s.retransmissions, 0u);
    cr_expect_eq(sim_alloc_attempts(), before, "allocations on the per-packet path");
    traffic_flow_stop(f);
    world_run(&w, SIM_SEC(1));
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.state, TRAFFIC_CONN_CLOSED);
    cr_expect(s.contiguous);
    expect_reconciled(f);
    world_fini(&w);
}

static void
random_tcp(uint64_t seed, struct traffic_flow_stats *out)
{
    struct world w;
    world_init(&w, seed, SIM_USEC(10));
    w.wire->mask = WIRE_DIR_AB | WIRE_DIR_BA;
    w.wire->p_loss = 0.01;
    w.wire->p_dup = 0.005;
    w.wire->p_reorder = 0.01;
    w.wire->reorder_extra = SIM_USEC(15);
    struct traffic_flow *f = make_tcp(&w, 2000000000ull, 5000u * MSS, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(5));
    traffic_flow_stats(f, out);
    cr_expect_eq(out->state, TRAFFIC_CONN_CLOSED);
    cr_expect(out->contiguous);
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_tcp, same_seed_same_figures)
{
    uint64_t seed = 77;
    cr_log_info("seed %llu", (unsigned long long)seed);
    struct traffic_flow_stats a, b;
    random_tcp(seed, &a);
    random_tcp(seed, &b);
    cr_expect_gt(a.retransmissions, 10u);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0, "same seed, different figures");
}

/* A data path that refuses every frame (a VM paused by a migration, a NIC not up yet). */
static int
refuse_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    (void)frame;
    (void)len;
    (void)packet_id;
    *(int *)ctx += 1;
    return SIM_EAGAIN;
}

/* Liveness: a slow paced flow has every segment acknowledged between two sends, so no
 * retransmission timer is pending when the path refuses a send. The pacing timer alone must
 * bring it back once the path takes frames again (it used to stop for good). */
Test(traffic_tcp, slow_flow_resumes_after_its_path_refused_a_send)
{
    struct world w;
    world_init(&w, 21, SIM_USEC(10));
    struct traffic_flow *f = make_tcp(&w, 100000000ull, 0, 0); /* 100 Mbit/s, no end */
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(20));
    struct traffic_flow_stats before;
    traffic_flow_stats(f, &before);
    cr_assert_gt(before.sent, 100u);
    int refusals = 0;
    struct traffic_port_ops refusing = {.xmit = refuse_xmit};
    traffic_endpoint_connect(w.a, &refusing, &refusals);
    world_run(&w, SIM_MSEC(30));
    cr_expect_gt(refusals, 0, "the path refused while paused");
    traffic_endpoint_connect(w.a, &w.wire->ops, &w.wire->port[0]);
    world_run(&w, SIM_MSEC(60));
    struct traffic_flow_stats after;
    traffic_flow_stats(f, &after);
    /* 30 ms at 100 Mbit/s is ~250 segments. */
    cr_expect_gt(after.sent, before.sent + 200u,
                 "the flow sends again after the path came back (sent %llu -> %llu)",
                 (unsigned long long)before.sent, (unsigned long long)after.sent);
    cr_expect_gt(after.last_tx, SIM_MSEC(55));
    cr_expect(after.alive);
    expect_reconciled(f);
    world_fini(&w);
}
