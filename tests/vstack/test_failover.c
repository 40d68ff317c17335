/* SPDX-License-Identifier: MIT */
/* test_failover.c — one host, one VM with a UDP flow and a TCP-like flow to an external peer:
 * starts on synthetic; attach-vf shows ALLOCATE_VF, CREATE_VPORT, MOVE_FILTER in order and
 * the data path becomes vf after the offer delay; graceful detach under load loses nothing
 * (DELETE_VPORT, RESET_VF, FREE_VF in order); surprise removal loses at most what was in the
 * VF's rings and says so. */
#include "vs_test.h"

#define RATE_UDP UINT64_C(200000000) /* 200 Mb/s */
#define RATE_TCP UINT64_C(300000000)

static bool
seq_in_order(const uint32_t *seq, size_t n, const ndis_oid_t *want, size_t nw)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j < nw; i++)
        if (seq[i] == want[j])
            j++;
    return j == nw;
}

static struct vstack_world *
up_on_vf(struct vstack_mark *m)
{
    struct vstack_world *w = vs_world(1, 4, 1);
    vs_run(w, SIM_MSEC(300)); /* NIC switch created (100 ms VF enable), filters set */
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, RATE_UDP);
    vs_flow(w, "t1", "vm1", "ext1", VSTACK_PROTO_TCP, RATE_TCP);
    vs_flow(w, "r1", "ext1", "vm1", VSTACK_PROTO_UDP, RATE_UDP); /* RX direction */
    vs_run(w, SIM_MSEC(500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC, "a VM starts on synthetic");
    vstack_mark_now(w, m);
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    return w;
}

Test(vstack_failover, attach_sequence_and_datapath_after_offer_delay)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    vs_run(w, SIM_MSEC(500) + SIM_MSEC(900));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC, "still synthetic before the 1 s offer");
    uint32_t seq[64];
    size_t n = vstack_oid_sequence(w, "h1.pf0", &m, seq, 64);
    static const ndis_oid_t want[] = {OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_CREATE_VPORT,
                                      OID_RECEIVE_FILTER_MOVE_FILTER};
    cr_assert(seq_in_order(seq, n, want, 3), "ALLOCATE_VF, CREATE_VPORT, MOVE_FILTER (%zu OIDs)",
              n);
    vs_run(w, SIM_MSEC(500) + SIM_MSEC(1500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF, "on the VF after offer + init + takeover");
    char vf[32];
    ok_or_die(vstack_vm_vf(w, "vm1", vf, sizeof vf, D), "vm vf");
    cr_assert_str_eq(vf, "h1.pf0.vf0");
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_OFFERED, "vm1", "vf", "h1.pf0.vf0"), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_DATAPATH_SWITCHED, "vm1", "to", "vf"), 0);
    vs_run(w, SIM_SEC(3));
    struct traffic_flow_stats u = vs_stats(w, "u1"), t = vs_stats(w, "t1");
    cr_assert_eq(u.lost, 0, "udp lost %llu", (unsigned long long)u.lost);
    cr_assert_gt(u.delivered, 1000);
    cr_assert(t.alive);
    vs_destroy(w);
}

Test(vstack_failover, graceful_detach_under_load_loses_nothing)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    vs_run(w, SIM_SEC(2) + SIM_MSEC(500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vstack_mark m2;
    vstack_mark_now(w, &m2);
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(4));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    char vf[32];
    ok_or_die(vstack_vm_vf(w, "vm1", vf, sizeof vf, D), "vm vf");
    cr_assert_str_eq(vf, "none");
    uint32_t seq[64];
    size_t n = vstack_oid_sequence(w, "h1.pf0", &m2, seq, 64);
    static const ndis_oid_t want[] = {OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT,
                                      OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF};
    cr_assert(seq_in_order(seq, n, want, 4), "MOVE_FILTER, DELETE_VPORT, RESET_VF, FREE_VF");
    cr_assert_geq(vs_find_event(w, &m2, VSTACK_EV_VF_REMOVED, "vm1", "kind", "graceful"), 0);
    struct traffic_flow_stats u = vs_stats(w, "u1"), t = vs_stats(w, "t1"), r = vs_stats(w, "r1");
    cr_assert_eq(u.lost, 0, "zero datagrams lost (lost %llu)", (unsigned long long)u.lost);
    cr_assert_eq(r.lost, 0, "zero datagrams lost towards the VM (lost %llu)",
                 (unsigned long long)r.lost);
    cr_assert_gt(r.delivered, 1000);
    cr_assert_gt(u.delivered, 1000);
    cr_assert(t.alive, "TCP alive");
    cr_assert_eq(t.retransmissions, 0, "no TCP retransmission");
    cr_assert_eq(u.unaccounted, 0);
    vs_destroy(w);
}

Test(vstack_failover, surprise_removal_loses_at_most_the_rings_with_cause)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    /* An odd moment, so that frames are in the VF's rings when it vanishes. */
    vs_run(w, SIM_SEC(2) + SIM_MSEC(500) + 1234);
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vstack_mark m2;
    vstack_mark_now(w, &m2);
    ok_or_die(vstack_fault_surprise_remove(w, "h1.pf0.vf0", D), "surprise");
    vs_run(w, SIM_SEC(4));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    long i = vs_find_event(w, &m2, VSTACK_EV_VF_REMOVED, "vm1", "kind", "surprise");
    cr_assert_geq(i, 0);
    const struct vstack_event *ev[256];
    size_t n = vstack_events_since(w, &m2, ev, 256);
    cr_assert_lt((size_t)i, n);
    const struct vstack_event_field *lost = vstack_event_field(ev[i], "lost");
    cr_assert_not_null(lost);
    cr_assert(lost->has_num);
    cr_assert_str_eq(vstack_event_field(ev[i], "cause")->text, "surprise-removal");
    const char *flows[] = {"u1", "t1", "r1"};
    uint64_t total = 0, sr = 0;
    for (int f = 0; f < 3; f++) {
        struct traffic_flow_stats s = vs_stats(w, flows[f]);
        uint64_t caused = 0;
        for (int c = 0; c < SIM_DROP_CAUSE_COUNT; c++)
            caused += s.dropped[c];
        cr_assert_eq(s.lost, caused, "%s: every loss has its cause", flows[f]);
        cr_assert_eq(s.unaccounted, 0);
        total += s.lost + s.ctl_fwd.dropped_total + s.ctl_rev.dropped_total;
        sr += s.dropped[SIM_DROP_SURPRISE_REMOVAL] + s.ctl_fwd.dropped[SIM_DROP_SURPRISE_REMOVAL] +
              s.ctl_rev.dropped[SIM_DROP_SURPRISE_REMOVAL];
    }
    /* The VF's rings hold at most 256 TX + 256 RX descriptors; every loss is one the VF
     * miniport counted as in flight at the removal, and nothing else was lost. */
    cr_assert_leq(total, 512);
    cr_assert_eq(total, sr, "all losses are surprise-removal losses");
    cr_assert_eq(sr, (uint64_t)lost->num, "flows lost %llu, the VF reported %lld",
                 (unsigned long long)sr, (long long)lost->num);
    struct traffic_flow_stats t = vs_stats(w, "t1");
    cr_assert(t.alive, "TCP survives");
    uint32_t seq[64];
    size_t k = vstack_oid_sequence(w, "h1.pf0", &m2, seq, 64);
    static const ndis_oid_t want[] = {OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
                                      OID_NIC_SWITCH_FREE_VF};
    cr_assert(seq_in_order(seq, k, want, 3));
    /* The VF is usable again. */
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "re-attach");
    vs_run(w, SIM_SEC(7));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    vs_destroy(w);
}

/* Surprise removal at several moments under 2 Gb/s each way: whenever frames sit in the VF's
 * rings they are lost, and exactly those — the flows' surprise-removal drops equal what the VF
 * miniport reported in flight, at every moment. At least one moment catches frames. */
Test(vstack_failover, surprise_removal_loss_equals_the_frames_in_the_rings)
{
    uint64_t caught = 0;
    for (int k = 0; k < 16 && caught == 0; k++) {
        struct vstack_world *w = vs_world(1, 4, 1);
        vs_run(w, SIM_MSEC(300));
        vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(2000000000));
        vs_flow(w, "t1", "vm1", "ext1", VSTACK_PROTO_TCP, RATE_TCP);
        vs_flow(w, "r1", "ext1", "vm1", VSTACK_PROTO_UDP, UINT64_C(2000000000));
        vs_run(w, SIM_MSEC(500));
        ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
        vs_run(w, SIM_MSEC(2500) + k * 777);
        cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
        struct vstack_mark m;
        vstack_mark_now(w, &m);
        ok_or_die(vstack_fault_surprise_remove(w, "h1.pf0.vf0", D), "surprise");
        vs_run(w, SIM_MSEC(3000));
        long i = vs_find_event(w, &m, VSTACK_EV_VF_REMOVED, "vm1", "kind", "surprise");
        cr_assert_geq(i, 0);
        const struct vstack_event *ev[256];
        (void)vstack_events_since(w, &m, ev, 256);
        int64_t lost = vstack_event_field(ev[i], "lost")->num;
        uint64_t all = 0, sr = 0;
        const char *flows[] = {"u1", "t1", "r1"};
        for (int f = 0; f < 3; f++) {
            struct traffic_flow_stats s = vs_stats(w, flows[f]);
            all += s.lost + s.ctl_fwd.dropped_total + s.ctl_rev.dropped_total;
            sr += s.dropped[SIM_DROP_SURPRISE_REMOVAL] +
                  s.ctl_fwd.dropped[SIM_DROP_SURPRISE_REMOVAL] +
                  s.ctl_rev.dropped[SIM_DROP_SURPRISE_REMOVAL];
        }
        cr_assert_eq(all, sr, "k=%d: every loss is a surprise-removal loss", k);
        cr_assert_eq(sr, (uint64_t)lost, "k=%d: flows lost %llu, the VF reported %lld", k,
                     (unsigned long long)sr, (long long)lost);
        caught += (uint64_t)lost;
        vs_destroy(w);
    }
    cr_assert_gt(caught, 0, "no moment caught a frame in the VF's rings");
}

/* A guest that does not let go in time: the graceful eject becomes a surprise removal. */
Test(vstack_failover, graceful_removal_timeout_becomes_surprise)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    vs_run(w, SIM_SEC(2) + SIM_MSEC(500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    ok_or_die(vstack_cost_set(w, "cost.graceful_removal_timeout", SIM_USEC(10), D), "set");
    struct vstack_mark m2;
    vstack_mark_now(w, &m2);
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(4));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    cr_assert_geq(vs_find_event(w, &m2, VSTACK_EV_VF_REMOVED, "vm1", "kind", "surprise"), 0);
    cr_assert_lt(vs_find_event(w, &m2, VSTACK_EV_VF_REMOVED, "vm1", "kind", "graceful"), 0);
    char vf[32];
    ok_or_die(vstack_vm_vf(w, "vm1", vf, sizeof vf, D), "vf");
    cr_assert_str_eq(vf, "none");
    struct traffic_flow_stats t = vs_stats(w, "t1");
    cr_assert(t.alive);
    vs_destroy(w);
}

/* Detach while the offer delay runs: the offer is withdrawn, the guest never sees the VF. */
Test(vstack_failover, detach_during_offer_delay_revokes_the_offer)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    vs_run(w, SIM_MSEC(900));
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_REVOKED, "vm1", NULL, NULL), 0);
    cr_assert_lt(vs_find_event(w, &m, VSTACK_EV_VF_ADDED, "vm1", NULL, NULL), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_FREED, "h1.pf0.vf0", NULL, NULL), 0);
    struct traffic_flow_stats u = vs_stats(w, "u1");
    cr_assert_eq(u.lost, 0);
    vs_destroy(w);
}

/* The VF's FLR misses its bound once: RESET_VF fails, the stack retries, the VF is freed. */
Test(vstack_failover, flr_timeout_is_retried)
{
    struct vstack_mark m;
    struct vstack_world *w = up_on_vf(&m);
    vs_run(w, SIM_SEC(2) + SIM_MSEC(500));
    ok_or_die(vstack_fault_flr_timeout(w, "h1.pf0.vf0", SIM_TIME_NEVER, 1, D), "flr fault");
    struct vstack_mark m2;
    vstack_mark_now(w, &m2);
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(6));
    /* The fabric's view: the first FLR finished past its 100 ms bound. */
    cr_assert_geq(vs_find_event(w, &m2, VSTACK_EV_FLR, "h1.pf0.vf0", "result", "timeout"), 0);
    cr_assert_geq(vs_find_event(w, &m2, VSTACK_EV_FLR, "h1.pf0.vf0", "result", "ok"), 0);
    cr_assert_geq(vs_find_event(w, &m2, VSTACK_EV_VF_FREED, "h1.pf0.vf0", NULL, NULL), 0);
    uint64_t count = 0;
    uint32_t st = 0;
    ok_or_die(vstack_oid_last(w, "h1.pf0", "OID_SRIOV_RESET_VF", &st, &count, D), "reset");
    cr_assert_geq(count, 2, "failed (late FLR, then busy while it finishes), then succeeded");
    cr_assert_eq(st, NDIS_STATUS_SUCCESS);
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "re-attach");
    vs_run(w, SIM_SEC(9));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    vs_destroy(w);
}

/* The same at saturation: a TCP-like flow as fast as its window allows and 2 Gb/s of datagrams
 * each way. The synthetic path cannot carry it all (sends are refused: back-pressure), but the
 * switch to the VF and back loses nothing. */
Test(vstack_failover, graceful_failover_at_saturation_loses_nothing)
{
    struct vstack_world *w = vs_world(1, 4, 1);
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(2000000000));
    vs_flow(w, "t1", "vm1", "ext1", VSTACK_PROTO_TCP, 0);
    vs_flow(w, "r1", "ext1", "vm1", VSTACK_PROTO_UDP, UINT64_C(2000000000));
    vs_run(w, SIM_MSEC(500));
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    vs_run(w, SIM_MSEC(2500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_MSEC(3500));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    const char *flows[] = {"u1", "t1", "r1"};
    for (int f = 0; f < 3; f++) {
        struct traffic_flow_stats s = vs_stats(w, flows[f]);
        cr_assert_eq(s.lost, 0, "%s lost %llu", flows[f], (unsigned long long)s.lost);
        cr_assert_eq(s.unaccounted, 0);
        cr_assert_gt(s.delivered, 10000);
    }
    cr_assert(vs_stats(w, "t1").alive);
    vs_destroy(w);
}
