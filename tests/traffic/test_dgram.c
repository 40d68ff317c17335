/* SPDX-License-Identifier: MIT */
/* test_dgram.c — the datagram flow over the in-test wire: exact figures under controlled loss,
 * duplication and reordering; pacing; determinism; no allocation per packet; OOM sweeps; the
 * 10 Gbit/s micro-figure. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "traffic/traffic.h"
#include "wire.h"

static struct traffic_flow *
make_dgram(struct world *w, uint64_t rate, uint32_t frame_len, uint64_t count)
{
    struct traffic_flow_config c = {.name = "udp1",
                                    .src = w->a,
                                    .dst = w->b,
                                    .rate_bps = rate,
                                    .frame_len = frame_len,
                                    .count = count};
    struct traffic_flow *f;
    struct sim_diag d;
    cr_assert_eq(traffic_dgram_create(w->reg, &c, &f, &d), 0, "%s", d.reason);
    return f;
}

static void
expect_reconciled(const struct traffic_flow *f)
{
    struct sim_diag d;
    int rc = traffic_flow_reconcile(f, &d);
    cr_expect_eq(rc, 0, "reconcile: %s", d.reason);
}

Test(traffic_dgram, clean_wire_exact_pacing_and_latency)
{
    struct world w;
    world_init(&w, 1, SIM_USEC(10));
    /* 1 Gbit/s of 1000-byte frames: one every 8 us. */
    struct traffic_flow *f = make_dgram(&w, 1000000000ull, 1000, 1000);
    cr_assert_eq(traffic_flow_start(f), 0);
    cr_expect_eq(traffic_flow_start(f), SIM_ESTATE);
    world_run(&w, SIM_SEC(1));
    cr_expect(traffic_flow_is_done(f));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 1000u);
    cr_expect_eq(s.delivered, 1000u);
    cr_expect_eq(s.sent_bytes, 1000u * 1000u);
    cr_expect_eq(s.lost, 0u);
    cr_expect_eq(s.in_flight, 0u);
    cr_expect_eq(s.duplicates, 0u);
    cr_expect_eq(s.reordered, 0u);
    cr_expect(s.contiguous);
    cr_expect_eq(s.first_tx, 0);
    cr_expect_eq(s.last_tx, SIM_USEC(8) * 999, "exact pacing");
    cr_expect_eq(s.gap_max, SIM_USEC(8));
    cr_expect_eq(s.latency.count, 1000u);
    cr_expect_eq(s.latency.min, SIM_USEC(10));
    cr_expect_eq(s.latency.max, SIM_USEC(10));
    cr_expect_eq(s.latency.p50, SIM_USEC(10));
    cr_expect_eq(s.latency.p999, SIM_USEC(10));
    /* 1e6 bytes over (7992 + 10) us */
    cr_expect_float_eq(s.throughput_bps, 8e9 / 8002.0 * 1e3, 1.0);
    expect_reconciled(f);
    struct traffic_endpoint_stats es;
    traffic_endpoint_stats(w.b, &es);
    cr_expect_eq(es.rx_frames, 1000u);
    traffic_endpoint_stats(w.a, &es);
    cr_expect_eq(es.tx_frames, 1000u);
    world_fini(&w);
}

Test(traffic_dgram, exact_figures_under_controlled_loss_dup_reorder)
{
    struct world w;
    world_init(&w, 2, SIM_USEC(10));
    w.wire->loss_every = 10; /* frames 3, 13, 23, ...: 100 lost, reported as ring-full */
    w.wire->loss_offset = 3;
    w.wire->loss_cause = SIM_DROP_RING_FULL;
    w.wire->dup_every = 25; /* frames 0, 25, 50, ...: 40 duplicated */
    w.wire->dup_offset = 0;
    w.wire->reorder_every = 50; /* frames 7, 57, ...: 20 held back by 20 us, behind 2 others */
    w.wire->reorder_offset = 7;
    w.wire->reorder_extra = SIM_USEC(20);
    struct traffic_flow *f = make_dgram(&w, 1000000000ull, 1000, 1000);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 1000u);
    cr_expect_eq(s.delivered, 900u);
    cr_expect_eq(s.lost, 100u);
    cr_expect_eq(s.dropped_total, 100u);
    cr_expect_eq(s.dropped[SIM_DROP_RING_FULL], 100u);
    cr_expect_eq(s.dropped[SIM_DROP_LINK_DOWN], 0u);
    cr_expect_eq(s.duplicates, 40u);
    cr_expect_eq(s.reordered, 20u);
    cr_expect_eq(s.in_flight, 0u);
    cr_expect_eq(s.unaccounted, 0u);
    cr_expect_eq(s.surplus_drops, 0u);
    cr_expect_not(s.contiguous);
    cr_expect_eq(s.latency.min, SIM_USEC(10));
    cr_expect_eq(s.latency.max, SIM_USEC(30), "held-back frames");
    cr_expect_eq(s.latency.count, 900u);
    cr_expect_eq(s.gap_max, SIM_USEC(16), "one lost frame = one missing 8 us slot");
    expect_reconciled(f);
    struct traffic_registry_stats rs;
    traffic_registry_stats(w.reg, &rs);
    cr_expect_eq(rs.drop_reports, 100u);
    cr_expect_eq(rs.attributed, 100u);
    cr_expect_eq(rs.unattributed_total, 0u);
    world_fini(&w);
}

Test(traffic_dgram, duration_batch_and_stop)
{
    struct world w;
    world_init(&w, 3, SIM_USEC(1));
    struct traffic_flow_config c = {.src = w.a,
                                    .dst = w.b,
                                    .rate_bps = 1000000000ull,
                                    .frame_len = 1000,
                                    .batch = 4,
                                    .duration = SIM_MSEC(1),
                                    .start_delay = SIM_USEC(100)};
    struct traffic_flow *f;
    cr_assert_eq(traffic_dgram_create(w.reg, &c, &f, NULL), 0);
    cr_expect_str_eq(traffic_flow_name(f), "flow1");
    cr_expect_eq(traffic_flow_kind(f), TRAFFIC_FLOW_DGRAM);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_MSEC(5));
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    /* 1 ms at 8 us per frame = 125 frames, sent 4 at a time from t = 100 us. */
    cr_expect_eq(s.sent, 128u, "sent %llu", (unsigned long long)s.sent);
    cr_expect_eq(s.first_tx, SIM_USEC(100));
    cr_expect_eq(s.delivered, s.sent);
    expect_reconciled(f);

    /* A second flow stopped by hand. */
    c.duration = 0;
    c.batch = 1;
    c.start_delay = 0;
    c.dst_port = 6000;
    struct traffic_flow *g;
    cr_assert_eq(traffic_dgram_create(w.reg, &c, &g, NULL), 0);
    cr_assert_eq(traffic_flow_start(g), 0);
    world_run(&w, SIM_MSEC(5) + SIM_USEC(80) - 1);
    traffic_flow_stop(g);
    cr_expect(traffic_flow_is_done(g));
    world_run(&w, SIM_MSEC(6));
    traffic_flow_stats(g, &s);
    cr_expect_eq(s.sent, 10u);
    cr_expect_eq(s.delivered, 10u);
    world_fini(&w);
}

static void
random_run(uint64_t seed, struct traffic_flow_stats *out)
{
    struct world w;
    world_init(&w, seed, SIM_USEC(5));
    w.wire->p_loss = 0.01;
    w.wire->p_dup = 0.01;
    w.wire->p_reorder = 0.02;
    w.wire->reorder_extra = SIM_USEC(7);
    struct traffic_flow *f = make_dgram(&w, 10000000000ull, 1500, 20000);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_SEC(1));
    traffic_flow_stats(f, out);
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_dgram, same_seed_same_figures)
{
    uint64_t seed = 0x5eed1234;
    cr_log_info("seed %llu", (unsigned long long)seed);
    struct traffic_flow_stats s1, s2, s3;
    random_run(seed, &s1);
    random_run(seed, &s2);
    random_run(seed + 1, &s3);
    cr_expect_gt(s1.lost, 100u);
    cr_expect_gt(s1.duplicates, 100u);
    cr_expect_gt(s1.reordered, 100u);
    cr_expect_eq(s1.sent, s1.delivered + s1.lost);
    cr_expect_eq(memcmp(&s1, &s2, sizeof s1), 0, "same seed, different figures");
    cr_expect_neq(s1.lost * 1000003 + s1.duplicates, s3.lost * 1000003 + s3.duplicates,
                  "another seed should differ");
}

Test(traffic_dgram, per_packet_path_does_not_allocate)
{
    struct world w;
    world_init(&w, 4, SIM_USEC(10));
    w.wire->loss_every = 7; /* exercise the drop path too */
    w.wire->dup_every = 11;
    struct traffic_flow *f = make_dgram(&w, 10000000000ull, 1500, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    world_run(&w, SIM_USEC(1200)); /* warm-up: ~1000 packets, the timer heap reaches its size */
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    uint64_t before_sent = s.sent;
    long before = sim_alloc_attempts();
    world_run(&w, SIM_USEC(1200) + SIM_USEC(12000)); /* 10,000 more */
    traffic_flow_stats(f, &s);
    cr_expect_geq(s.sent - before_sent, 10000u);
    cr_expect_eq(sim_alloc_attempts(), before, "allocations on the per-packet path");
    traffic_flow_stop(f);
    world_run(&w, SIM_MSEC(20));
    expect_reconciled(f);
    world_fini(&w);
}

Test(traffic_dgram, constructors_survive_oom_sweep)
{
    struct sim_sched *sched;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &sched), 0);
    long base = sim_alloc_live_total();
    struct traffic_registry_config rc = {.sched = sched};
    struct traffic_registry *reg = NULL;
    int n, rcode;
    for (n = 0;; n++) {
        sim_alloc_fail_nth(n);
        struct sim_diag d;
        rcode = traffic_registry_create(&rc, &reg, &d);
        if (rcode == 0)
            break;
        cr_assert_eq(rcode, SIM_ENOMEM, "n=%d: %s", n, d.reason);
        cr_assert_eq(sim_alloc_live_total(), base, "leak at n=%d", n);
    }
    sim_alloc_fail_nth(-1);
    cr_expect_gt(n, 0);
    struct traffic_endpoint *a = NULL, *b = NULL;
    struct traffic_endpoint_config ca = {.name = "a", .mac = {2, 0, 0, 0, 0, 1}, .ipv4 = 1};
    struct traffic_endpoint_config cb = {.name = "b", .mac = {2, 0, 0, 0, 0, 2}, .ipv4 = 2};
    for (n = 0;; n++) {
        long live = sim_alloc_live_total();
        sim_alloc_fail_nth(n);
        rcode = traffic_endpoint_create(reg, &ca, &a, NULL);
        if (rcode == 0)
            break;
        cr_assert_eq(rcode, SIM_ENOMEM);
        cr_assert_eq(sim_alloc_live_total(), live);
    }
    sim_alloc_fail_nth(-1);
    cr_assert_eq(traffic_endpoint_create(reg, &cb, &b, NULL), 0);
    for (int kind = 0; kind < 2; kind++) {
        struct traffic_flow_config c = {.src = a, .dst = b, .rate_bps = 1000000};
        struct traffic_flow *f = NULL;
        int sweeps = 0;
        for (n = 0;; n++) {
            long live = sim_alloc_live_total();
            sim_alloc_fail_nth(n);
            rcode = kind == 0 ? traffic_dgram_create(reg, &c, &f, NULL)
                              : traffic_tcp_create(reg, &c, &f, NULL);
            if (rcode == 0)
                break;
            sweeps++;
            cr_assert_eq(rcode, SIM_ENOMEM, "kind %d n=%d rc=%d", kind, n, rcode);
            cr_assert_eq(sim_alloc_live_total(), live, "kind %d leak at n=%d", kind, n);
        }
        sim_alloc_fail_nth(-1);
        cr_expect_geq(sweeps, kind == 0 ? 3 : 5, "every allocation was failed once");
        traffic_flow_destroy(f);
    }
    traffic_registry_destroy(reg);
    sim_sched_destroy(sched);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

Test(traffic_dgram, bad_configurations_are_refused_with_reasons)
{
    struct world w;
    world_init(&w, 5, SIM_USEC(1));
    struct traffic_flow *f;
    struct sim_diag d;
    struct traffic_flow_config c = {.src = w.a, .dst = w.b, .rate_bps = 0};
    cr_expect_eq(traffic_dgram_create(w.reg, &c, &f, &d), SIM_EINVAL);
    cr_expect(strstr(d.reason, "rate_bps") != NULL, "%s", d.reason);
    c.rate_bps = 1000;
    c.frame_len = 50;
    cr_expect_eq(traffic_dgram_create(w.reg, &c, &f, &d), SIM_ERANGE);
    cr_expect(strstr(d.reason, "frame_len") != NULL, "%s", d.reason);
    c.frame_len = 0;
    c.dst = w.a;
    cr_expect_eq(traffic_dgram_create(w.reg, &c, &f, &d), SIM_EINVAL);
    c.dst = NULL;
    cr_expect_eq(traffic_dgram_create(w.reg, &c, &f, &d), SIM_EINVAL);
    c.dst = w.b;
    cr_assert_eq(traffic_dgram_create(w.reg, &c, &f, &d), 0);
    struct traffic_flow *g;
    cr_expect_eq(traffic_dgram_create(w.reg, &c, &g, &d), SIM_EEXIST, "same port twice");
    cr_expect(strstr(d.reason, "already bound") != NULL, "%s", d.reason);
    cr_expect_eq(traffic_endpoint_destroy(w.b), SIM_EBUSY);
    struct traffic_endpoint_config ec = {.name = "peer", .mac = {2, 0, 0, 0, 0, 9}, .ipv4 = 9};
    struct traffic_endpoint *e;
    cr_expect_eq(traffic_endpoint_create(w.reg, &ec, &e, &d), SIM_EEXIST);
    ec.name = "x";
    ec.mac[0] = 1;
    cr_expect_eq(traffic_endpoint_create(w.reg, &ec, &e, &d), SIM_EINVAL);
    cr_expect(strstr(d.reason, "multicast") != NULL, "%s", d.reason);
    world_fini(&w);
}

Test(traffic_dgram, ten_gbit_one_virtual_second_micro_figure, .timeout = 120)
{
    struct world w;
    world_init(&w, 6, SIM_USEC(10));
    struct traffic_flow *f = make_dgram(&w, 10000000000ull, 1500, 0);
    cr_assert_eq(traffic_flow_start(f), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t ev0 = sim_sched_events_run(w.sched);
    world_run(&w, SIM_SEC(1));
    traffic_flow_stop(f);
    world_run(&w, SIM_SEC(1) + SIM_MSEC(1));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    cr_expect_eq(s.sent, 833334u, "10 Gbit/s of 1500-byte frames for 1 s (t = 0 included)");
    cr_expect_eq(s.delivered, s.sent);
    cr_expect_float_eq(s.throughput_gbps, 10.0, 0.01);
    expect_reconciled(f);
    uint64_t events = sim_sched_events_run(w.sched) - ev0;
    fprintf(stderr,
            "traffic micro-figure: 1 virtual s of 10 Gbit/s 1500-byte datagrams over the test "
            "wire: %llu frames, %llu events, %.3f wall s (%.0f ns/frame)\n",
            (unsigned long long)s.sent, (unsigned long long)events, wall,
            wall * 1e9 / (double)s.sent);
    world_fini(&w);
}
