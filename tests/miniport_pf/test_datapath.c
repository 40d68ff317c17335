/* SPDX-License-Identifier: MIT */
/*
 * test_datapath.c — the PF miniport's default-VPort data path on the real NIC through the real
 * fabric: a protocol bound to the PF sends on VPort 0 and the frames leave the physical port
 * with their packet ids (send-complete exactly once per NBL); frames from the wire that match
 * no filter (or are broadcast) come up as receive indications with the default VPort id, are
 * returned and the buffers reposted; frames that a VF VPort's filter takes never reach the PF;
 * the real NetVSP bound to the PF carries a guest's frames to the wire and back; no allocation
 * per packet; OOM during MiniportInitializeEx leaks nothing; bench (poll) mode.
 */
#include <stdio.h>

#include "hv/hv.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "pf_test.h"

#include "pf_proto_test.h"

static const uint8_t PEER[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};

/* One frame from the protocol: PF MAC -> PEER, on vport_id. 0 or what NDIS said. */
static int
p_send(struct topo *t, uint64_t id, uint32_t vport_id, uint32_t len)
{
    (void)t;
    struct ndis_nbl *n = ndis_nbl_alloc(P.pool, P.b);
    cr_assert_not_null(n);
    struct ndis_nb *nb = n->first_nb;
    memset(nb->data, 0, 64);
    memcpy(nb->data, PEER, 6);
    static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00}; /* the PF's MAC */
    memcpy(nb->data + 6, src, 6);
    nb->data[12] = 0x08;
    nb->data_offset = 0;
    nb->data_length = len;
    n->packet_id = id;
    n->vport_id = vport_id;
    int err = ndis_binding_send(P.b, n, 0);
    if (err != 0)
        cr_assert_eq(ndis_nbl_free(n, P.b), 0);
    return err;
}

static void
return_held(void)
{
    for (uint32_t i = 0; i < P.nheld; i++)
        cr_assert_eq(ndis_binding_return(P.b, P.held[i]), 0);
    P.nheld = 0;
}

static size_t
drops_with(struct topo *t, enum sim_drop_cause cause, const char *where)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ndrops; i++)
        if (t->drops[i].cause == cause && (where == NULL || strcmp(t->drops[i].where, where) == 0))
            n++;
    return n;
}

/* (1) sends on VPort 0 reach the wire with their ids; send-complete once each. */
Test(pf_datapath, send_on_default_vport_reaches_the_wire)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    for (uint64_t id = 1; id <= 300; id++) {
        cr_assert_eq(p_send(&t, id, NDIS_DEFAULT_VPORT_ID, 60 + (uint32_t)(id % 1000)), 0);
        if (id % 50 == 0)
            t_run_for(&t, SIM_MSEC(1));
    }
    t_run_for(&t, SIM_MSEC(5));
    cr_assert_eq(W.n, 300, "wire got %u", W.n);
    for (uint32_t i = 0; i < 300; i++)
        cr_assert_eq(W.ids[i], i + 1, "packet id carried to the wire, in order");
    cr_assert_arr_eq(W.last_dst, PEER, 6);
    for (uint64_t id = 1; id <= 300; id++)
        cr_assert_eq(P.completions[id], 1, "NBL %llu completed %u times", (unsigned long long)id,
                     P.completions[id]);
    cr_assert_eq(P.completed_ok, 300);
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->tx_nbls, 300);
    cr_assert_eq(s->tx_nbls_completed, 300);
    cr_assert_eq(s->tx_ok, 300);
    cr_assert_gt(s->dpcs, 0, "completions came through the QP interrupt's DPC");
    cr_assert_eq(t.ndrops, 0);
    down(&t);
}

/* §11.2: a send naming a deleted VPort goes out on the default; a VF's VPort is refused with a
 * reported drop; a bad frame is refused; each completes exactly once. */
Test(pf_datapath, send_vport_rules_and_refusals)
{
    struct topo t;
    up(&t, false, 0);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint8_t m[6];
    uint16_t vf;
    uint32_t vport;
    t_vf_mac(0, m);
    cr_assert_eq(t_allocate_vf(&t, m, &vf, NULL), 0);
    cr_assert_eq(t_create_vport(&t, vf, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &vport), 0);
    bind_proto(&t);
    cr_assert_eq(p_send(&t, 1, 7, 60), 0);     /* no VPort 7: use the default */
    cr_assert_eq(p_send(&t, 2, vport, 60), 0); /* the VF's VPort: not the PF's */
    cr_assert_eq(p_send(&t, 3, 0, 4000), 0);   /* longer than the PF's buffers */
    cr_assert_eq(p_send(&t, 4, 0, 10), 0);     /* shorter than an Ethernet header */
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(W.n, 1);
    cr_assert_eq(W.ids[0], 1);
    for (int id = 1; id <= 4; id++)
        cr_assert_eq(P.completions[id], 1);
    cr_assert_eq(P.completed_ok, 1);
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->tx_vport_fallback, 1);
    cr_assert_eq(s->tx_refused, 3);
    cr_assert_eq(drops_with(&t, SIM_DROP_POLICY, "pf0 tx"), 1);
    cr_assert_eq(drops_with(&t, SIM_DROP_MTU, "pf0 tx"), 1);
    cr_assert_eq(drops_with(&t, SIM_DROP_MALFORMED, "pf0 tx"), 1);
    cr_assert_eq(t.ndrops, 3);
    cr_assert_eq(ndis_unbind(P.b, NULL), 0);
    P.b = NULL;
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (2) unmatched unicast and broadcast from the wire: indications on the default VPort with
 * vport_id 0; held NBLs starve the ring (ring-full at the NIC), returned ones are reposted. */
Test(pf_datapath, wire_frames_indicated_on_default_vport_and_reposted)
{
    struct topo t;
    up(&t, false, 64); /* 32 receive buffers */
    bind_proto(&t);
    static const uint8_t other[6] = {0x02, 0x77, 0x00, 0x00, 0x00, 0x09};
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* Far more frames than receive buffers, returned as they come. */
    for (uint64_t id = 1; id <= 500; id++) {
        t_frame_rx(&t, (id & 1) ? other : bcast, -1, id);
        t_run_for(&t, SIM_USEC(20));
    }
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 500, "indicated %u", P.nrx);
    for (uint32_t i = 0; i < 500; i++) {
        cr_assert_eq(P.rx_ids[i], i + 1);
        cr_assert_eq(P.rx_vport[i], NDIS_DEFAULT_VPORT_ID);
    }
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->rx_returned, 500);
    cr_assert_eq(t.ndrops, 0);

    /* The protocol keeps them: after 32 the NIC has no buffer (ring-full, reported). */
    P.hold = true;
    for (uint64_t id = 1001; id <= 1040; id++)
        t_frame_rx(&t, other, -1, id);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nheld, 32);
    cr_assert_eq(drops_with(&t, SIM_DROP_RING_FULL, NULL), 8);
    /* Returned: reposted, traffic flows again. */
    P.hold = false;
    return_held();
    for (uint64_t id = 2001; id <= 2010; id++)
        t_frame_rx(&t, other, -1, id);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 500 + 32 + 10);
    cr_assert_eq(P.rx_ids[P.nrx - 1], 2010);
    cr_assert_eq(s->rx_indicated, 542);
    cr_assert_eq(s->rx_returned, 542);
    down(&t);
}

/* (3) a VF VPort with a filter for M: frames to M go to that VPort, never to the PF. */
Test(pf_datapath, frames_for_a_vf_filter_do_not_reach_the_pf)
{
    struct topo t;
    up(&t, false, 0);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint8_t m[6];
    uint16_t vf;
    uint32_t vport, fid;
    t_vf_mac(0, m);
    cr_assert_eq(t_allocate_vf(&t, m, &vf, NULL), 0);
    cr_assert_eq(t_create_vport(&t, vf, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &vport), 0);
    cr_assert_eq(t_set_filter(&t, vport, m, -1, &fid), 0);
    bind_proto(&t);
    static const uint8_t other[6] = {0x02, 0x77, 0x00, 0x00, 0x00, 0x09};
    for (uint64_t id = 1; id <= 40; id++) {
        t_frame_rx(&t, (id % 4 == 0) ? other : m, -1, id);
        t_run_for(&t, SIM_USEC(20));
    }
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 10, "only the frames no filter took");
    for (uint32_t i = 0; i < P.nrx; i++) {
        cr_assert_eq(P.rx_ids[i] % 4, 0);
        cr_assert_eq(P.rx_vport[i], NDIS_DEFAULT_VPORT_ID);
    }
    cr_assert_eq(t_landed(&t, (uint16_t)vport), 30, "the VF VPort took the frames to M");
    /* Filter cleared: M is unmatched now and the PF gets it. */
    cr_assert_eq(t_clear_filter(&t, fid), 0);
    t_frame_rx(&t, m, -1, 99);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 11);
    cr_assert_eq(P.rx_ids[10], 99);
    cr_assert_eq(ndis_unbind(P.b, NULL), 0);
    P.b = NULL;
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (5) no allocation per packet, TX and RX, 5000 frames each. */
Test(pf_datapath, allocation_free_per_packet)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* Warm up (first use of any lazily sized structure). */
    cr_assert_eq(p_send(&t, 1, 0, 100), 0);
    t_frame_rx(&t, bcast, -1, 1);
    t_run_for(&t, SIM_MSEC(1));
    long before = sim_alloc_attempts();
    for (uint64_t id = 2; id < 5002; id++) {
        cr_assert_eq(p_send(&t, id, 0, 100), 0);
        t_frame_rx(&t, bcast, -1, id);
        if (id % 32 == 0)
            t_run_for(&t, SIM_USEC(100));
    }
    t_run_for(&t, SIM_MSEC(5));
    cr_assert_eq(sim_alloc_attempts(), before, "allocations on the data path");
    cr_assert_eq(W.n, 5001);
    cr_assert_eq(P.nrx, 5001);
    cr_assert_eq(P.completed_ok, 5001);
    cr_assert_eq(t.ndrops, 0);
    down(&t);
}

/* OOM at every allocation of MiniportInitializeEx: a clean failure, nothing leaked. */
Test(pf_datapath, initialize_oom_sweep)
{
    for (long n = 0;; n++) {
        struct topo t;
        topo_hw(&t, false);
        long baseline = sim_alloc_live_total();
        struct pf_config pc = {
            .name = "pf0", .sched = t.sched, .fabric = t.fabric, .rid = T_PF_RID, .trace = t.trace};
        struct sim_diag d;
        sim_diag_clear(&d);
        cr_assert_eq(pf_adapter_create(&pc, &t.pf, &d), 0);
        t.mp = pf_adapter_miniport(t.pf);
        long created = sim_alloc_live_total();
        ndis_status_t st = 0;
        sim_alloc_fail_nth(n);
        int err = ndis_miniport_initialize(t.mp, &st, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_gt(n, 0);
            cr_assert_eq(ndis_miniport_halt(t.mp, &d), 0, "%s", d.reason);
            cr_assert_eq(sim_alloc_live_total(), created, "halt frees the data path");
            cr_assert_eq(pf_adapter_destroy(t.pf), 0);
            topo_fini_hw(&t);
            cr_assert_eq(sim_alloc_live_total(), 0);
            break;
        }
        cr_assert_eq(ndis_miniport_state(t.mp), NDIS_MINIPORT_HALTED);
        cr_assert_eq(sim_alloc_live_total(), created, "n=%ld leaked", n);
        cr_assert_eq(pf_adapter_destroy(t.pf), 0);
        cr_assert_eq(sim_alloc_live_total(), baseline);
        topo_fini_hw(&t);
        cr_assert_lt(n, 200);
    }
}

/* Bench mode: no interrupts or doorbells; nic_poll and pf_adapter_poll move the frames. */
Test(pf_datapath, poll_mode)
{
    struct topo t;
    up(&t, true, 0);
    bind_proto(&t);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    for (uint64_t id = 1; id <= 100; id++)
        cr_assert_eq(p_send(&t, id, 0, 80), 0);
    for (uint64_t id = 101; id <= 150; id++)
        t_frame_rx(&t, bcast, -1, id);
    cr_assert_eq(W.n, 0, "nothing moves before the device is polled");
    cr_assert_eq(pf_adapter_stats(t.pf)->dpcs, 0);
    for (int i = 0; i < 20; i++) {
        (void)nic_poll(t.nic, 64);
        (void)pf_adapter_poll(t.pf, 64);
    }
    cr_assert_eq(W.n, 100);
    cr_assert_eq(P.completed_ok, 100);
    cr_assert_eq(P.nrx, 50);
    cr_assert_eq(P.rx_ids[49], 150);
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->dp_interrupts, 0);
    cr_assert_gt(s->polls, 0);
    down(&t);
}

/* NDIS keeps the binding while its NBLs are at the miniport; they complete once each. */
Test(pf_datapath, binding_busy_until_every_send_completed)
{
    struct topo t;
    up(&t, true, 0);
    bind_proto(&t);
    for (uint64_t id = 1; id <= 10; id++)
        cr_assert_eq(p_send(&t, id, 0, 80), 0);
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(ndis_unbind(P.b, &d), SIM_EBUSY, "NBLs are still at the miniport");
    /* The device takes them, the PF completes them: then the protocol may go. */
    (void)nic_poll(t.nic, 64);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.completed_ok, 10);
    for (uint64_t id = 1; id <= 10; id++)
        cr_assert_eq(P.completions[id], 1);
    down(&t);
}

/* ---- (4) the real NetVSP bound to the PF, one guest with NetVSC ----------------------------- */

Test(pf_datapath, netvsp_bound_to_pf_carries_a_guest_to_the_wire_and_back)
{
    struct topo t;
    up(&t, false, 0);
    static const uint8_t vm_mac[6] = {0x00, 0x15, 0x5d, 0x00, 0x00, 0x42};
    struct guest_env g;
    guest_up(&t, &g, vm_mac);
    struct netvsp_switch *sw = g.sw;
    struct netvsc_adapter *ad = g.ad;

    /* Guest -> NetVSC -> VMBus -> NetVSP -> PF default VPort -> NIC switch -> wire. */
    uint8_t f[200];
    for (uint64_t id = 1; id <= 40; id++) {
        memset(f, 0, sizeof f);
        memcpy(f, PEER, 6);
        memcpy(f + 6, vm_mac, 6);
        f[12] = 0x08;
        cr_assert_eq(netvsc_adapter_xmit(ad, f, sizeof f, id), 0);
        t_run_for(&t, SIM_USEC(50));
    }
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(W.n, 40, "wire got %u", W.n);
    for (uint32_t i = 0; i < 40; i++)
        cr_assert_eq(W.ids[i], i + 1);
    cr_assert_eq(pf_adapter_stats(t.pf)->tx_nbls_completed, 40);

    /* Wire -> NIC switch (no filter: default VPort) -> PF -> NetVSP -> VMBus -> NetVSC. */
    for (uint64_t id = 101; id <= 130; id++) {
        t_frame_rx(&t, vm_mac, -1, id);
        t_run_for(&t, SIM_USEC(50));
    }
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(A.n, 30, "guest got %u", A.n);
    for (uint32_t i = 0; i < 30; i++)
        cr_assert_eq(A.ids[i], 101 + i);
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->rx_indicated, 30);
    cr_assert_eq(s->rx_returned, 30);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(sw, &ss);
    cr_assert_eq(ss.uplink_copies, 40);
    cr_assert_eq(ss.from_wire, 30);
    cr_assert_eq(t.ndrops, 0, "first drop: %s %s", t.ndrops ? t.drops[0].where : "",
                 t.ndrops ? sim_drop_cause_name(t.drops[0].cause) : "");

    guest_down(&t, &g);
    topo_fini(&t);
}

/* MiniportPause pends while sends are in flight or indications are held, and completes once the
 * last one came back; restart resumes the data path. */
Test(pf_datapath, pause_waits_for_sends_and_indications)
{
    struct topo t;
    up(&t, true, 0);
    bind_proto(&t);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    P.hold = true;
    t_frame_rx(&t, bcast, -1, 500);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.nheld, 1);
    for (uint64_t id = 1; id <= 10; id++)
        cr_assert_eq(p_send(&t, id, 0, 80), 0);
    struct sim_diag d;
    sim_diag_clear(&d);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_pause(t.mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(st, NDIS_STATUS_PENDING);
    cr_assert_eq(ndis_miniport_state(t.mp), NDIS_MINIPORT_PAUSING);
    (void)nic_poll(t.nic, 64);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.completed_ok, 10, "in-flight sends finish during the pause");
    cr_assert_eq(ndis_miniport_state(t.mp), NDIS_MINIPORT_PAUSING, "an indication is held");
    return_held();
    cr_assert_eq(ndis_miniport_state(t.mp), NDIS_MINIPORT_PAUSED);
    /* Paused (bench mode: nobody polls): a frame from the wire waits in the RX ring. */
    P.hold = false;
    t_frame_rx(&t, bcast, -1, 501);
    cr_assert_eq(ndis_miniport_restart(t.mp, &st, &d), 0, "%s", d.reason);
    t_frame_rx(&t, bcast, -1, 502);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.nrx, 3);
    cr_assert_eq(P.rx_ids[1], 501);
    cr_assert_eq(P.rx_ids[2], 502);
    cr_assert_eq(drops_with(&t, SIM_DROP_PAUSED, NULL), 0,
                 "a frame that arrived while paused is indicated after restart (never lost)");
    down(&t);
}

/* Surprise removal with sends in flight: each NBL completes once with ADAPTER_REMOVED, each
 * frame is reported (surprise-removal), nothing reaches the wire afterwards, later sends are
 * refused by NDIS; halt and teardown leak nothing. */
Test(pf_datapath, surprise_removal_completes_sends_in_flight)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    for (uint64_t id = 1; id <= 5; id++)
        cr_assert_eq(p_send(&t, id, 0, 80), 0);
    cr_assert_eq(ndis_miniport_pnp_event(t.mp, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED), 0);
    for (uint64_t id = 1; id <= 5; id++)
        cr_assert_eq(P.completions[id], 1);
    cr_assert_eq(P.completed_ok, 0);
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(W.n, 0, "the device stopped using the rings");
    cr_assert_eq(drops_with(&t, SIM_DROP_SURPRISE_REMOVAL, "pf0 tx"), 5);
    cr_assert_eq(t.ndrops, 5);
    cr_assert_eq(pf_adapter_stats(t.pf)->tx_flushed, 5);
    cr_assert_neq(p_send(&t, 6, 0, 80), 0, "NDIS refuses sends to a removed adapter");
    down(&t);
}
