/* SPDX-License-Identifier: MIT */
/* test_both_paths.c — the same behaviour tests on both data paths (issue 5: "write once, run on
 * each"). Every behaviour is one function taking the path; it runs once with the VMs on the
 * synthetic path (no VF: NetVSC -> VMBus -> extensible switch -> PF default VPort) and once with
 * each VM's VF attached and the data path switched to it (VF miniport -> NIC switch). The path
 * is proved, not assumed: the capture points "vmN.synthetic" / "vmN.vf" (NetVSC's two paths),
 * "h1.pf0" (the PF's wire side) and "ext1" (the peer) count the frames each one saw.
 *
 * Windows / Hyper-V counterpart: what a VM's network adapter guarantees whether or not SR-IOV
 * is in use (ndis_sriov.md 2 and 7): the same delivery, the same anti-spoof, VM-to-VM traffic
 * that never leaves the host, and broadcast / multicast received through the synthetic path
 * even while unicast comes over the VF. */
#include <stdlib.h>
#include <unistd.h>

#include "capture/capture.h"
#include "vs_test.h"

enum path { PATH_SYNTHETIC = 0, PATH_VF = 1 };

#define RATE  UINT64_C(100000000) /* 100 Mb/s */
#define COUNT 2000u               /* packets per flow */

static const uint8_t MAC_VM1[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
static const uint8_t MAC_VM2[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x02};
static const uint8_t MAC_EXT1[6] = {0x02, 0x00, 0x00, 0x00, 0x0e, 0x01};
static const uint8_t MAC_SPOOF[6] = {0x02, 0x00, 0x00, 0x00, 0x99, 0x99};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct bp {
    struct vstack_world *w;
    char cap_path[32];
};

/* h1 with h1.pf0 (4 VFs) and h1.sw0, `nvms` VMs vm1.. with fixed MACs, peer ext1; a capture of
 * every point into a temporary file; on PATH_VF every VM gets its VF and is on it at 2 s. */
static void
bp_setup(struct bp *b, enum path p, unsigned nvms)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    wc.seed = 5;
    sim_diag_clear(D);
    ok_or_die(vstack_world_create(&wc, &b->w, D), "world");
    struct vstack_world *w = b->w;
    ok_or_die(vstack_host_add(w, "h1", D), "host");
    struct vstack_pf_config pc;
    vstack_pf_config_init(&pc);
    ok_or_die(vstack_pf_add(w, "h1.pf0", &pc, D), "pf");
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h1.pf0";
    ok_or_die(vstack_switch_add(w, "h1.sw0", &sc, D), "vswitch");
    ok_or_die(vstack_sriov_set(w, "h1.pf0", 4, D), "sriov");
    for (unsigned i = 1; i <= nvms; i++) {
        char name[16];
        snprintf(name, sizeof name, "vm%u", i);
        struct vstack_vm_config vc;
        vstack_vm_config_init(&vc);
        vc.host = "h1";
        vc.sw = "h1.sw0";
        vc.has_mac = true;
        memcpy(vc.mac, i == 1 ? MAC_VM1 : MAC_VM2, 6);
        ok_or_die(vstack_vm_add(w, name, &vc, D), "vm");
    }
    struct vstack_peer_config pe;
    vstack_peer_config_init(&pe);
    pe.sw = "h1.sw0";
    pe.has_mac = true;
    memcpy(pe.mac, MAC_EXT1, 6);
    ok_or_die(vstack_peer_add(w, "ext1", &pe, D), "peer");

    snprintf(b->cap_path, sizeof b->cap_path, "/tmp/vs_pathsXXXXXX");
    int fd = mkstemp(b->cap_path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct vstack_capture_config cc = {.file = b->cap_path};
    ok_or_die(vstack_capture_start(w, &cc, D), "capture");

    vs_run(w, SIM_MSEC(100));
    if (p == PATH_VF) {
        for (unsigned i = 1; i <= nvms; i++) {
            char name[16], vf[32];
            snprintf(name, sizeof name, "vm%u", i);
            snprintf(vf, sizeof vf, "h1.pf0.vf%u", i - 1);
            ok_or_die(vstack_vf_attach(w, name, vf, D), "attach");
        }
    }
    vs_run(w, SIM_SEC(2));
    for (unsigned i = 1; i <= nvms; i++) {
        char name[16];
        snprintf(name, sizeof name, "vm%u", i);
        cr_assert_eq(vs_dp(w, name), p == PATH_VF ? VSTACK_DP_VF : VSTACK_DP_SYNTHETIC,
                     "%s is on the %s path", name, p == PATH_VF ? "vf" : "synthetic");
    }
    /* Let the host's side of SWITCH_DATA_PATH complete (cost.datapath_switch_delay): until then
     * it still steers the VM's unicast to the synthetic path, legitimately. */
    vs_run(w, SIM_SEC(3));
}

/* Run the clock for dt more. */
static void
run_for(struct bp *b, sim_time_t dt)
{
    vs_run(b->w, vstack_world_now(b->w) + dt);
}

static void
bp_teardown(struct bp *b)
{
    ok_or_die(vstack_capture_stop(b->w, D), "capture stop");
    unlink(b->cap_path);
    vs_destroy(b->w);
}

/* Frames a capture point saw (both directions) since the capture started. */
static uint64_t
taps(struct bp *b, const char *point)
{
    struct cap_point *cp = cap_point_find(vstack_world_capture(b->w), point);
    cr_assert_not_null(cp, "capture point %s exists", point);
    struct cap_stats cs;
    cr_assert_eq(cap_point_stats(cp, &cs), 0, "%s is recorded", point);
    return cs.tapped_packets;
}

static uint64_t
drops(struct bp *b, enum sim_drop_cause cause)
{
    uint64_t all[SIM_DROP_CAUSE_COUNT];
    vstack_world_drops(b->w, all);
    return all[cause];
}

static void
flow_n(struct bp *b, const char *name, const char *from, const char *to, enum vstack_proto proto)
{
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = from;
    fc.to = to;
    fc.proto = proto;
    fc.rate_bps = RATE;
    fc.count = COUNT;
    ok_or_die(vstack_flow_start(b->w, name, &fc, D), "flow start");
}

/* A 64-byte frame of a local experimental EtherType (no flow, no IP). */
static void
send_raw(struct bp *b, const char *from, const uint8_t dst[6], const uint8_t src[6], unsigned n)
{
    uint8_t f[64];
    memset(f, 0, sizeof f);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (unsigned i = 0; i < n; i++) {
        f[14] = (uint8_t)i;
        ok_or_die(vstack_send_raw(b->w, from, f, sizeof f, D), "send raw");
    }
}

/* Every datagram delivered exactly once, in order, nothing lost, figures reconciled. */
static void
assert_exact_dgram(struct bp *b, const char *name)
{
    struct traffic_flow_stats s = vs_stats(b->w, name);
    cr_assert_eq(s.sent, COUNT, "%s: sent %llu", name, (unsigned long long)s.sent);
    cr_assert_eq(s.delivered, COUNT, "%s: delivered %llu", name, (unsigned long long)s.delivered);
    cr_assert_eq(s.duplicates, 0, "%s: duplicates", name);
    cr_assert_eq(s.reordered, 0, "%s: reordered", name);
    cr_assert_eq(s.lost, 0, "%s: lost", name);
    cr_assert_eq(s.dropped_total, 0, "%s: dropped", name);
    cr_assert_eq(s.in_flight, 0, "%s: in flight", name);
    cr_assert_eq(s.unaccounted, 0, "%s: unaccounted", name);
    cr_assert_eq(s.stale_inflight, 0, "%s: stale in flight", name);
    cr_assert_eq(s.sent, s.delivered + s.dropped_total + s.in_flight, "%s reconciles", name);
}

/* The path the VM's frames took: the other one saw none of them, except, on the VF path,
 * `syn_in` inbound TCP SYNs (the host indicates those on the synthetic path always). */
static void
assert_path_syn(struct bp *b, enum path p, const char *vm, uint64_t syn0, uint64_t vf0,
                uint64_t atleast, uint64_t syn_in)
{
    char syn[32], vf[32];
    snprintf(syn, sizeof syn, "%s.synthetic", vm);
    snprintf(vf, sizeof vf, "%s.vf", vm);
    uint64_t ds = taps(b, syn) - syn0, dv = taps(b, vf) - vf0;
    if (p == PATH_VF) {
        cr_assert_geq(dv, atleast, "%s: %llu frames on the VF path", vm, (unsigned long long)dv);
        cr_assert_eq(ds, syn_in, "%s: %llu frames on the synthetic path", vm,
                     (unsigned long long)ds);
    } else {
        cr_assert_geq(ds, atleast, "%s: %llu frames on the synthetic path", vm,
                      (unsigned long long)ds);
        cr_assert_eq(dv, 0, "%s: %llu frames on the VF path", vm, (unsigned long long)dv);
    }
}

static void
assert_path(struct bp *b, enum path p, const char *vm, uint64_t syn0, uint64_t vf0,
            uint64_t atleast)
{
    assert_path_syn(b, p, vm, syn0, vf0, atleast, 0);
}

/* ---- (1) UDP both ways -------------------------------------------------------------------- */
static void
udp_both_ways(enum path p)
{
    struct bp b;
    bp_setup(&b, p, 1);
    uint64_t syn0 = taps(&b, "vm1.synthetic"), vf0 = taps(&b, "vm1.vf");
    flow_n(&b, "up", "vm1", "ext1", VSTACK_PROTO_UDP);
    flow_n(&b, "down", "ext1", "vm1", VSTACK_PROTO_UDP);
    run_for(&b, SIM_SEC(1)); /* 2000 x 1.5 kB at 100 Mb/s: 0.24 s */
    assert_exact_dgram(&b, "up");
    assert_exact_dgram(&b, "down");
    assert_path(&b, p, "vm1", syn0, vf0, 2 * COUNT);
    bp_teardown(&b);
}

Test(vstack_paths, udp_both_ways_synthetic)
{
    udp_both_ways(PATH_SYNTHETIC);
}

Test(vstack_paths, udp_both_ways_vf)
{
    udp_both_ways(PATH_VF);
}

/* ---- (2) TCP-like stream ------------------------------------------------------------------ */
static void
tcp_clean(enum path p)
{
    struct bp b;
    bp_setup(&b, p, 1);
    uint64_t syn0 = taps(&b, "vm1.synthetic"), vf0 = taps(&b, "vm1.vf");
    flow_n(&b, "t-up", "vm1", "ext1", VSTACK_PROTO_TCP);
    flow_n(&b, "t-down", "ext1", "vm1", VSTACK_PROTO_TCP);
    run_for(&b, SIM_SEC(2));
    const char *names[2] = {"t-up", "t-down"};
    for (int i = 0; i < 2; i++) {
        struct traffic_flow_stats s = vs_stats(b.w, names[i]);
        cr_assert(s.alive, "%s: alive (state %s)", names[i], traffic_conn_state_name(s.state));
        cr_assert(s.contiguous, "%s: contiguous", names[i]);
        cr_assert_eq(s.retransmissions, 0, "%s: %llu retransmissions", names[i],
                     (unsigned long long)s.retransmissions);
        cr_assert_eq(s.timeouts, 0, "%s: timeouts", names[i]);
        cr_assert_eq(s.bytes_delivered, (uint64_t)COUNT * 1448u, "%s: %llu bytes delivered",
                     names[i], (unsigned long long)s.bytes_delivered);
        cr_assert_eq(s.dropped_total, 0, "%s: dropped", names[i]);
    }
    /* t-down's SYN (ext1 -> vm1) comes on the synthetic path even on the VF: Hyper-V's rule. */
    assert_path_syn(&b, p, "vm1", syn0, vf0, 2 * COUNT, 1);
    bp_teardown(&b);
}

Test(vstack_paths, tcp_clean_synthetic)
{
    tcp_clean(PATH_SYNTHETIC);
}

Test(vstack_paths, tcp_clean_vf)
{
    tcp_clean(PATH_VF);
}

/* ---- (3) anti-spoof ------------------------------------------------------------------------ */
/* On the VF path the NIC's anti-spoof on the VF's VPort drops it; on synthetic the switch port's.
 * Either way the cause is spoof-check and nothing reaches the wire; the VM's own MAC passes. */
static void
spoofed_source_dropped(enum path p)
{
    struct bp b;
    bp_setup(&b, p, 1);
    uint64_t spoof0 = drops(&b, SIM_DROP_SPOOF_CHECK);
    uint64_t ext0 = taps(&b, "ext1"), wire0 = taps(&b, "h1.pf0");
    uint64_t syn0 = taps(&b, "vm1.synthetic"), vf0 = taps(&b, "vm1.vf");
    send_raw(&b, "vm1", MAC_EXT1, MAC_SPOOF, 10);
    run_for(&b, SIM_MSEC(50));
    cr_assert_eq(drops(&b, SIM_DROP_SPOOF_CHECK) - spoof0, 10, "10 spoof-check drops (%llu)",
                 (unsigned long long)(drops(&b, SIM_DROP_SPOOF_CHECK) - spoof0));
    cr_assert_eq(taps(&b, "ext1"), ext0, "no spoofed frame reached the peer");
    cr_assert_eq(taps(&b, "h1.pf0"), wire0, "no spoofed frame reached the wire");
    assert_path(&b, p, "vm1", syn0, vf0, 10);

    send_raw(&b, "vm1", MAC_EXT1, MAC_VM1, 10); /* control: the VM's own MAC */
    run_for(&b, SIM_MSEC(50));
    cr_assert_eq(drops(&b, SIM_DROP_SPOOF_CHECK) - spoof0, 10, "the own MAC is not spoof-checked");
    cr_assert_eq(taps(&b, "ext1") - ext0, 10, "the own-MAC frames reached the peer");
    bp_teardown(&b);
}

Test(vstack_paths, spoofed_source_dropped_synthetic)
{
    spoofed_source_dropped(PATH_SYNTHETIC);
}

Test(vstack_paths, spoofed_source_dropped_vf)
{
    spoofed_source_dropped(PATH_VF);
}

/* ---- (4) VM to VM on one host -------------------------------------------------------------- */
/* Both with VFs: through the NIC switch (VF to VF); neither: through the vSwitch. Never on the
 * wire either way. */
static void
vm_to_vm_stays_on_host(enum path p)
{
    struct bp b;
    bp_setup(&b, p, 2);
    uint64_t wire0 = taps(&b, "h1.pf0"), ext0 = taps(&b, "ext1");
    uint64_t s1 = taps(&b, "vm1.synthetic"), v1 = taps(&b, "vm1.vf");
    uint64_t s2 = taps(&b, "vm2.synthetic"), v2 = taps(&b, "vm2.vf");
    flow_n(&b, "vv", "vm1", "vm2", VSTACK_PROTO_UDP);
    run_for(&b, SIM_SEC(1));
    assert_exact_dgram(&b, "vv");
    cr_assert_eq(taps(&b, "h1.pf0") - wire0, 0, "%llu frames on the wire",
                 (unsigned long long)(taps(&b, "h1.pf0") - wire0));
    cr_assert_eq(taps(&b, "ext1") - ext0, 0, "nothing reached the peer");
    assert_path(&b, p, "vm1", s1, v1, COUNT);
    assert_path(&b, p, "vm2", s2, v2, COUNT);

    /* Control: the wire counter does count a frame that does go out. */
    send_raw(&b, "vm1", MAC_EXT1, MAC_VM1, 1);
    run_for(&b, SIM_MSEC(50));
    cr_assert_eq(taps(&b, "ext1") - ext0, 1, "the control frame reached the peer");
    cr_assert_geq(taps(&b, "h1.pf0") - wire0, 1, "and crossed the wire");
    bp_teardown(&b);
}

Test(vstack_paths, vm_to_vm_stays_on_host_synthetic)
{
    vm_to_vm_stays_on_host(PATH_SYNTHETIC);
}

Test(vstack_paths, vm_to_vm_stays_on_host_vf)
{
    vm_to_vm_stays_on_host(PATH_VF);
}

/* ---- (5) broadcast from the wire ----------------------------------------------------------- */
/* Hyper-V: broadcast and multicast from the wire go to the PF's default VPort, through the
 * vSwitch, to every VM's synthetic path — also a VM whose unicast comes over its VF. */
static void
broadcast_arrives_on_synthetic(enum path p)
{
    struct bp b;
    bp_setup(&b, p, 1);
    uint64_t syn0 = taps(&b, "vm1.synthetic"), vf0 = taps(&b, "vm1.vf");
    send_raw(&b, "ext1", MAC_BCAST, MAC_EXT1, 10);
    run_for(&b, SIM_MSEC(50));
    uint64_t ds = taps(&b, "vm1.synthetic") - syn0, dv = taps(&b, "vm1.vf") - vf0;
    cr_assert_eq(ds, 10, "10 broadcasts on the synthetic path (%llu)", (unsigned long long)ds);
    cr_assert_eq(dv, 0, "none on the VF path (%llu)", (unsigned long long)dv);
    cr_assert_eq(vs_dp(b.w, "vm1"), p == PATH_VF ? VSTACK_DP_VF : VSTACK_DP_SYNTHETIC,
                 "the data path did not change");
    bp_teardown(&b);
}

Test(vstack_paths, broadcast_arrives_on_synthetic_synthetic)
{
    broadcast_arrives_on_synthetic(PATH_SYNTHETIC);
}

Test(vstack_paths, broadcast_arrives_on_synthetic_vf)
{
    broadcast_arrives_on_synthetic(PATH_VF);
}
