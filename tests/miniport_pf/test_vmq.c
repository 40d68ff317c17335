/* SPDX-License-Identifier: MIT */
/*
 * test_vmq.c — VMQ on the PF miniport: a PF non-default VPort gets its own queue pair (the
 * VPort's first PF QP, enabled through the datasheet's QP registers when CREATE_VPORT completes)
 * on the real NIC through the real fabric. Frames a VPort filter takes are indicated with that
 * VPort id (others on the default VPort); the real NetVSP delivers them to the VM without a MAC
 * lookup once the port is told the VPort (netvsp_port_set_vmq); sends naming the VPort go out on
 * its queue, after DELETE_VPORT on the default one; a VPort deleted with frames in flight
 * accounts for every frame; no allocation per packet; nothing left allocated.
 *
 * Windows counterpart: the hardware-assisted synthetic path of reference/ndis_sriov.md §10 and
 * §11.2 ("with SR-IOV+VMQ, PF non-default VPorts are used instead of VM queues").
 */
#include <stdio.h>

#include "hv/hv.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "nic/nic_regs.h"
#include "pf_test.h"

#include "pf_proto_test.h"

static const uint8_t PEER[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
static const uint8_t M[6] = {0x00, 0x15, 0x5d, 0x00, 0x00, 0x42}; /* the VM's MAC */
static const uint8_t OTHER[6] = {0x00, 0x15, 0x5d, 0x00, 0x00, 0x77};

/* One frame from the protocol: PF MAC -> PEER, on vport_id. 0 or what NDIS said. */
static int
p_send(uint64_t id, uint32_t vport_id, uint32_t len)
{
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

static size_t
drops_with(struct topo *t, enum sim_drop_cause cause, const char *where)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ndrops; i++)
        if (t->drops[i].cause == cause && (where == NULL || strcmp(t->drops[i].where, where) == 0))
            n++;
    return n;
}

/* The device's view of PF QP q, read through BAR0 as the datasheet defines it. */
static uint32_t
qp_status(struct topo *t, unsigned q)
{
    uint64_t v = 0;
    cr_assert_eq(
        pcie_mmio_read(t->fabric, T_PF_RID, NIC_BAR_REGS, NIC_REG_QP(q) + NIC_QP_STATUS, 4, &v), 0);
    return (uint32_t)v;
}

/* A PF VPort (activated, one queue pair) and a MAC filter for M on it. */
static uint32_t
vmq_vport(struct topo *t, uint32_t *filter)
{
    uint32_t vp = 0;
    cr_assert_eq(
        t_create_vport(t, NDIS_PF_FUNCTION_ID, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &vp), 0);
    cr_assert_neq(vp, NDIS_DEFAULT_VPORT_ID);
    if (filter != NULL)
        cr_assert_eq(t_set_filter(t, vp, M, -1, filter), 0);
    return vp;
}

/* (1) CREATE_VPORT enables the VPort's queue on the device (QP 1: the default VPort holds 0);
 * frames a filter on it takes are indicated with its id, other frames on the default VPort;
 * nothing is indicated on it before its first filter or after its last one is cleared, and the
 * queue is off again after DELETE_VPORT. */
Test(pf_vmq, filtered_frames_indicated_with_the_vport_id)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    cr_assert_eq(qp_status(&t, 1) & NIC_QP_STATUS_ENABLED, 0, "QP 1 is off before the VPort");
    uint32_t vp = vmq_vport(&t, NULL);
    uint32_t st1 = qp_status(&t, 1);
    cr_assert(st1 & NIC_QP_STATUS_ENABLED, "QP 1 enabled through the QP registers (0x%08x)", st1);
    cr_assert_eq(st1 & NIC_QP_STATUS_ERROR, 0);

    /* No filter yet: M is unmatched unicast, the default VPort takes it. */
    t_frame_rx(&t, M, -1, 1);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 1);
    cr_assert_eq(P.rx_vport[0], NDIS_DEFAULT_VPORT_ID);

    uint32_t f = 0;
    cr_assert_eq(t_set_filter(&t, vp, M, -1, &f), 0);
    for (uint64_t id = 10; id < 20; id++) {
        t_frame_rx(&t, M, -1, id);
        t_frame_rx(&t, OTHER, -1, id + 100);
        t_run_for(&t, SIM_USEC(20));
    }
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 21);
    unsigned on_vp = 0, on_def = 0;
    for (uint32_t i = 1; i < P.nrx; i++) {
        if (P.rx_ids[i] < 100) {
            cr_assert_eq(P.rx_vport[i], vp, "frame %llu to M on VPort %u",
                         (unsigned long long)P.rx_ids[i], P.rx_vport[i]);
            on_vp++;
        } else {
            cr_assert_eq(P.rx_vport[i], NDIS_DEFAULT_VPORT_ID);
            on_def++;
        }
    }
    cr_assert_eq(on_vp, 10);
    cr_assert_eq(on_def, 10);
    cr_assert_eq(t_landed(&t, (uint16_t)vp), 10, "the NIC switch put them on the VPort's queue");

    /* Last filter cleared: M goes to the default VPort again. */
    cr_assert_eq(t_clear_filter(&t, f), 0);
    t_frame_rx(&t, M, -1, 50);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 22);
    cr_assert_eq(P.rx_vport[21], NDIS_DEFAULT_VPORT_ID);

    cr_assert_eq(t_delete_vport(&t, vp), 0);
    cr_assert_eq(qp_status(&t, 1) & NIC_QP_STATUS_ENABLED, 0, "QP 1 disabled after delete");
    cr_assert_eq(t.ndrops, 0, "first drop: %s %s", t.ndrops ? t.drops[0].where : "",
                 t.ndrops ? sim_drop_cause_name(t.drops[0].cause) : "");
    const struct pf_stats *s = pf_adapter_stats(t.pf);
    cr_assert_eq(s->rx_indicated, 22);
    cr_assert_eq(s->rx_returned, 22);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* Two PF VPorts get two queues (QPs 1 and 2), each indicating only its own frames. */
Test(pf_vmq, two_vports_two_queues)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t f1, f2, vp2 = 0;
    uint32_t vp1 = vmq_vport(&t, &f1);
    cr_assert_eq(
        t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &vp2), 0);
    cr_assert_eq(t_set_filter(&t, vp2, OTHER, -1, &f2), 0);
    cr_assert(qp_status(&t, 1) & NIC_QP_STATUS_ENABLED);
    cr_assert(qp_status(&t, 2) & NIC_QP_STATUS_ENABLED);
    for (uint64_t id = 1; id <= 20; id++)
        t_frame_rx(&t, id % 2 ? M : OTHER, -1, id);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(P.nrx, 20);
    for (uint32_t i = 0; i < P.nrx; i++)
        cr_assert_eq(P.rx_vport[i], P.rx_ids[i] % 2 ? vp1 : vp2);
    cr_assert_eq(t_clear_filter(&t, f1), 0);
    cr_assert_eq(t_clear_filter(&t, f2), 0);
    cr_assert_eq(t_delete_vport(&t, vp1), 0);
    cr_assert_eq(t_delete_vport(&t, vp2), 0);
    cr_assert_eq(t.ndrops, 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (3) A send naming the PF VPort leaves on its queue (the NIC counts it on that VPort); after
 * DELETE_VPORT the same id falls back to the default VPort (§11.2). */
Test(pf_vmq, send_on_the_vport_then_fallback_after_delete)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t vp = vmq_vport(&t, NULL);
    for (uint64_t id = 1; id <= 20; id++)
        cr_assert_eq(p_send(id, vp, 80), 0);
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(W.n, 20);
    cr_assert_eq(P.completed_ok, 20);
    struct nic_hw_vport_stats vs, ds;
    cr_assert_eq(nic_vport_stats(t.nic, (uint16_t)vp, &vs), 0);
    cr_assert_eq(nic_vport_stats(t.nic, 0, &ds), 0);
    cr_assert_eq(vs.tx_to_wire, 20, "sent from the PF VPort's queue");
    cr_assert_eq(ds.tx_to_wire, 0);
    cr_assert_eq(pf_adapter_stats(t.pf)->tx_vport_fallback, 0);

    cr_assert_eq(t_delete_vport(&t, vp), 0);
    for (uint64_t id = 21; id <= 30; id++)
        cr_assert_eq(p_send(id, vp, 80), 0);
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(W.n, 30);
    cr_assert_eq(P.completed_ok, 30);
    cr_assert_eq(nic_vport_stats(t.nic, 0, &ds), 0);
    cr_assert_eq(ds.tx_to_wire, 10, "the deleted VPort's id used the default VPort");
    cr_assert_eq(pf_adapter_stats(t.pf)->tx_vport_fallback, 10);
    for (uint64_t id = 1; id <= 30; id++)
        cr_assert_eq(P.completions[id], 1);
    cr_assert_eq(t.ndrops, 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (4) DELETE_VPORT with frames in flight (bench mode: the device moves nothing until polled):
 * sends posted on the queue, received frames not yet indicated, indications held above. Every
 * frame is delivered or dropped with a cause; the held NBLs come back after the delete and the
 * queue's memory goes with the last one. */
Test(pf_vmq, delete_with_frames_in_flight_accounts_for_every_frame)
{
    struct topo t;
    up(&t, true, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    long live0 = sim_alloc_live_total();
    uint32_t f = 0;
    uint32_t vp = vmq_vport(&t, &f);
    cr_assert_gt(sim_alloc_live_total(), live0, "the queue's memory");
    char where_tx[48], where_rx[48];
    snprintf(where_tx, sizeof where_tx, "pf0.vmq%u tx", vp);
    snprintf(where_rx, sizeof where_rx, "pf0.vmq%u rx", vp);

    /* 3 indications held above. */
    P.hold = true;
    for (uint64_t id = 1; id <= 3; id++)
        t_frame_rx(&t, M, -1, id);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.nheld, 3);
    for (uint32_t i = 0; i < 3; i++)
        cr_assert_eq(P.rx_vport[i], vp);
    /* 5 received frames in the queue's RX ring, not reaped. */
    for (uint64_t id = 4; id <= 8; id++)
        t_frame_rx(&t, M, -1, id);
    /* 10 sends posted on the queue, not taken by the device. */
    for (uint64_t id = 101; id <= 110; id++)
        cr_assert_eq(p_send(id, vp, 80), 0);

    cr_assert_eq(t_clear_filter(&t, f), 0);
    cr_assert_eq(t_delete_vport(&t, vp), 0);
    (void)nic_poll(t.nic, 64);
    (void)pf_adapter_poll(t.pf, 64);

    /* TX: 10 = 0 on the wire + 10 dropped (path-inactive), each NBL completed once. */
    cr_assert_eq(W.n, 0);
    cr_assert_eq(drops_with(&t, SIM_DROP_PATH_INACTIVE, where_tx), 10);
    for (uint64_t id = 101; id <= 110; id++)
        cr_assert_eq(P.completions[id], 1);
    cr_assert_eq(P.completed_ok, 0);
    /* RX: 8 = 3 indicated + 5 dropped (no-filter-match: the VPort lost its filter). */
    cr_assert_eq(P.nrx, 3);
    cr_assert_eq(drops_with(&t, SIM_DROP_NO_FILTER_MATCH, where_rx), 5);
    cr_assert_eq(t.ndrops, 15, "nothing else dropped");

    /* The held NBLs return after the delete; then the queue is gone entirely. */
    cr_assert_gt(sim_alloc_live_total(), live0, "kept while NBLs are held");
    for (uint32_t i = 0; i < P.nheld; i++)
        cr_assert_eq(ndis_binding_return(P.b, P.held[i]), 0);
    P.nheld = 0;
    cr_assert_eq(sim_alloc_live_total(), live0, "the queue's memory freed with the last NBL");
    cr_assert_eq(pf_adapter_stats(t.pf)->rx_returned, 3);

    /* The QP is reusable: a new PF VPort gets a working queue again. */
    P.hold = false;
    uint32_t f2 = 0;
    uint32_t vp2 = vmq_vport(&t, &f2);
    t_frame_rx(&t, M, -1, 200);
    (void)pf_adapter_poll(t.pf, 64);
    cr_assert_eq(P.nrx, 4);
    cr_assert_eq(P.rx_vport[3], vp2);
    cr_assert_eq(t_clear_filter(&t, f2), 0);
    cr_assert_eq(t_delete_vport(&t, vp2), 0);
    cr_assert_eq(sim_alloc_live_total(), live0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (4, scenario mode) sends racing DELETE_VPORT: each is on the wire or dropped with a cause. */
Test(pf_vmq, delete_racing_sends_scenario_mode)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t vp = vmq_vport(&t, NULL);
    for (uint64_t id = 1; id <= 50; id++)
        cr_assert_eq(p_send(id, vp, 1000), 0);
    cr_assert_eq(t_delete_vport(&t, vp), 0); /* runs the loop only until the OID completes */
    t_run_for(&t, SIM_MSEC(5));
    size_t dropped = t.ndrops;
    cr_assert_eq(W.n + dropped, 50, "wire %u + dropped %zu", W.n, dropped);
    for (size_t i = 0; i < t.ndrops; i++)
        cr_assert(t.drops[i].cause == SIM_DROP_PATH_INACTIVE || t.drops[i].cause == SIM_DROP_PAUSED,
                  "cause %s at %s", sim_drop_cause_name(t.drops[i].cause), t.drops[i].where);
    for (uint64_t id = 1; id <= 50; id++)
        cr_assert_eq(P.completions[id], 1);
    printf("vmq delete racing 50 sends: %u on the wire, %zu dropped with a cause\n", W.n, dropped);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* (5) No allocation per packet on the VMQ queue (TX and RX). */
Test(pf_vmq, allocation_free_per_packet)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t f = 0;
    uint32_t vp = vmq_vport(&t, &f);
    cr_assert_eq(p_send(1, vp, 100), 0);
    t_frame_rx(&t, M, -1, 1);
    t_run_for(&t, SIM_MSEC(1));
    long before = sim_alloc_attempts();
    for (uint64_t id = 2; id < 3002; id++) {
        cr_assert_eq(p_send(id, vp, 100), 0);
        t_frame_rx(&t, M, -1, id);
        if (id % 16 == 0)
            t_run_for(&t, SIM_USEC(100));
    }
    t_run_for(&t, SIM_MSEC(5));
    cr_assert_eq(sim_alloc_attempts(), before, "allocations on the data path");
    cr_assert_eq(W.n, 3001);
    cr_assert_eq(P.nrx, 3001);
    for (uint32_t i = 0; i < 3001 && i < D_MAX; i++)
        cr_assert_eq(P.rx_vport[i], vp);
    cr_assert_eq(P.completed_ok, 3001);
    cr_assert_eq(t.ndrops, 0);
    cr_assert_eq(t_clear_filter(&t, f), 0);
    cr_assert_eq(t_delete_vport(&t, vp), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* Out of memory at every allocation of CREATE_VPORT (the queue is allocated there, on the
 * control path): the OID fails, nothing leaks, the device has no VPort left; then it works. */
Test(pf_vmq, create_vport_oom_sweep)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    unsigned vports0 = nic_vport_count(t.nic);
    long live0 = sim_alloc_live_total();
    for (long n = 0;; n++) {
        uint32_t vp = 0;
        sim_alloc_fail_nth(n);
        ndis_status_t st =
            t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &vp);
        sim_alloc_fail_nth(-1);
        if (st == NDIS_STATUS_SUCCESS) {
            cr_assert_gt(n, 0, "the queue needs memory");
            cr_assert(qp_status(&t, 1) & NIC_QP_STATUS_ENABLED);
            cr_assert_eq(t_delete_vport(&t, vp), 0);
            break;
        }
        cr_assert_eq(st, NDIS_STATUS_RESOURCES, "n=%ld: status 0x%08x", n, st);
        cr_assert_eq(sim_alloc_live_total(), live0, "n=%ld leaked", n);
        cr_assert_eq(nic_vport_count(t.nic), vports0, "n=%ld: VPort left on the device", n);
        cr_assert_lt(n, 100);
    }
    cr_assert_eq(sim_alloc_live_total(), live0);
    cr_assert_eq(t_delete_switch(&t), 0);
    down(&t);
}

/* Surprise removal with sends in flight on the VMQ queue: each completes once
 * (ADAPTER_REMOVED), each frame reported at the queue's drop point; teardown frees the queue. */
Test(pf_vmq, surprise_removal_with_sends_on_the_vmq_queue)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t vp = vmq_vport(&t, NULL);
    char where_tx[48];
    snprintf(where_tx, sizeof where_tx, "pf0.vmq%u tx", vp);
    for (uint64_t id = 1; id <= 6; id++)
        cr_assert_eq(p_send(id, id % 2 ? vp : NDIS_DEFAULT_VPORT_ID, 80), 0);
    cr_assert_eq(ndis_miniport_pnp_event(t.mp, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED), 0);
    for (uint64_t id = 1; id <= 6; id++)
        cr_assert_eq(P.completions[id], 1);
    cr_assert_eq(P.completed_ok, 0);
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(W.n, 0);
    cr_assert_eq(drops_with(&t, SIM_DROP_SURPRISE_REMOVAL, where_tx), 3);
    cr_assert_eq(drops_with(&t, SIM_DROP_SURPRISE_REMOVAL, "pf0 tx"), 3);
    cr_assert_eq(t.ndrops, 6);
    down(&t); /* asserts zero live allocations */
}

/* Halt with a PF VPort (and its queue) still there: everything is freed. */
Test(pf_vmq, halt_with_a_vmq_vport_frees_its_queue)
{
    struct topo t;
    up(&t, false, 0);
    bind_proto(&t);
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t vp = vmq_vport(&t, NULL);
    for (uint64_t id = 1; id <= 5; id++)
        cr_assert_eq(p_send(id, vp, 80), 0);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(W.n, 5);
    down(&t); /* asserts zero live allocations */
}

/* ---- (2) the real NetVSP bound to the PF, one guest with NetVSC ----------------------------- */

Test(pf_vmq, netvsp_delivers_vmq_frames_without_a_lookup)
{
    struct topo t;
    up(&t, false, 0);
    struct guest_env g;
    guest_up(&t, &g, M);
    struct netvsp_switch *sw = g.sw;
    struct netvsp_port *port = g.port;

    /* Default-VPort path: the NIC has no filter for M, NetVSP looks the MAC up per frame. */
    for (uint64_t id = 1; id <= 30; id++) {
        t_frame_rx(&t, M, -1, id);
        t_run_for(&t, SIM_USEC(50));
    }
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(A.n, 30, "guest got %u", A.n);
    struct netvsp_switch_stats s0;
    netvsp_switch_stats(sw, &s0);
    cr_assert_geq(s0.lookups, 30);
    cr_assert_eq(s0.vmq_hits, 0);

    /* VMQ: a PF VPort with M's filter, the VM's port told its id. */
    cr_assert_eq(t_create_switch(&t, 0), 0);
    uint32_t f = 0;
    uint32_t vp = vmq_vport(&t, &f);
    cr_assert_eq(netvsp_port_set_vmq(port, vp), 0);
    for (uint64_t id = 101; id <= 130; id++) {
        t_frame_rx(&t, M, -1, id);
        t_run_for(&t, SIM_USEC(50));
    }
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(A.n, 60, "guest got %u", A.n);
    for (uint32_t i = 30; i < 60; i++)
        cr_assert_eq(A.ids[i], 101 + (i - 30));
    struct netvsp_switch_stats s1;
    netvsp_switch_stats(sw, &s1);
    printf("netvsp: default-VPort path %llu frames, %llu MAC lookups, %llu VMQ hits; "
           "VMQ path %llu frames, %llu MAC lookups, %llu VMQ hits\n",
           30ull, (unsigned long long)s0.lookups, (unsigned long long)s0.vmq_hits, 30ull,
           (unsigned long long)(s1.lookups - s0.lookups),
           (unsigned long long)(s1.vmq_hits - s0.vmq_hits));
    cr_assert_eq(s1.lookups - s0.lookups, 0, "VMQ frames need no MAC lookup");
    cr_assert_eq(s1.vmq_hits - s0.vmq_hits, 30);
    cr_assert_eq(t_landed(&t, (uint16_t)vp), 30);
    cr_assert_eq(t.ndrops, 0, "first drop: %s %s", t.ndrops ? t.drops[0].where : "",
                 t.ndrops ? sim_drop_cause_name(t.drops[0].cause) : "");

    /* Back to the default path: filter cleared, VPort deleted; frames still arrive. */
    cr_assert_eq(netvsp_port_set_vmq(port, 0), 0);
    cr_assert_eq(t_clear_filter(&t, f), 0);
    cr_assert_eq(t_delete_vport(&t, vp), 0);
    t_frame_rx(&t, M, -1, 200);
    t_run_for(&t, SIM_MSEC(2));
    cr_assert_eq(A.n, 61);
    cr_assert_eq(t_delete_switch(&t), 0);

    guest_down(&t, &g);
    topo_fini(&t);
}
