/* SPDX-License-Identifier: MIT */
/*
 * test_move.c — MOVE_FILTER atomicity: frames keep arriving from the wire while the filter
 * moves from one VF's VPort to another's; every frame lands on exactly one of the two VPorts,
 * none is unmatched (which would put it on the default VPort), and once a frame reached the
 * destination no later frame goes back to the source.
 */
#include <stdio.h>

#include "pf_test.h"

struct gen {
    struct topo *t;
    struct sim_timer timer;
    uint8_t mac[6];
    uint64_t next_id, sent;
    bool stop;
};

static void
gen_cb(struct sim_timer *tm)
{
    struct gen *g = tm->data;
    if (g->stop)
        return;
    t_frame_rx(g->t, g->mac, -1, g->next_id++);
    g->sent++;
    cr_assert_eq(sim_timer_start(&g->timer, SIM_NSEC_PER_USEC), 0);
}

static void
move_under_traffic(bool back_to_default)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint8_t m0[6], m1[6];
    uint16_t v0, v1;
    uint32_t a, b, fid;
    t_vf_mac(0, m0);
    t_vf_mac(1, m1);
    cr_assert_eq(t_allocate_vf(&t, m0, &v0, NULL), 0);
    cr_assert_eq(t_allocate_vf(&t, m1, &v1, NULL), 0);
    cr_assert_eq(t_create_vport(&t, v0, 1, 0, &a), 0);
    cr_assert_eq(t_create_vport(&t, v1, 1, 0, &b), 0);
    uint32_t from = a, to = back_to_default ? NDIS_DEFAULT_VPORT_ID : b;
    cr_assert_eq(t_set_filter(&t, from, m0, -1, &fid), 0);

    struct gen g = {.t = &t, .next_id = 1};
    memcpy(g.mac, m0, 6);
    sim_timer_init(t.sched, &g.timer, gen_cb, &g);
    cr_assert_eq(sim_timer_start(&g.timer, 0), 0);
    t_run_for(&t, SIM_USEC(30)); /* traffic on the source VPort */
    cr_assert_eq(t_move_filter(&t, fid, from, to), NDIS_STATUS_SUCCESS); /* frames keep coming */
    t_run_for(&t, SIM_USEC(30));
    g.stop = true;
    sim_timer_stop(&g.timer);
    t_run_for(&t, SIM_MSEC(1));

    char wa[32], wb[32];
    snprintf(wa, sizeof wa, "nic.vport%u rx", from);
    snprintf(wb, sizeof wb, "nic.vport%u rx", to);
    cr_assert_gt(g.sent, 40);
    /* Frames that land on a VF VPort whose VF has no driver are dropped there by the NIC (one
     * record each, naming the VPort). Frames that land on the default VPort are received by
     * the PF's data path and indicated: those show in the PF's counters, not as drops. */
    uint64_t on_pf = pf_adapter_stats(t.pf)->rx_indicated;
    cr_assert_eq(t.ndrops + on_pf, g.sent, "every frame is accounted for exactly once");
    uint64_t on_a = 0, on_b = back_to_default ? on_pf : 0, last_a = 0;
    uint64_t first_b = back_to_default ? t.ndrops + 1 : UINT64_MAX;
    for (size_t i = 0; i < t.ndrops; i++) {
        cr_assert_eq(t.drops[i].packet_id, i + 1, "one record per frame, in order");
        cr_assert_neq(t.drops[i].cause, SIM_DROP_NO_FILTER_MATCH);
        if (strcmp(t.drops[i].where, wa) == 0) {
            on_a++;
            last_a = t.drops[i].packet_id;
        } else if (strcmp(t.drops[i].where, wb) == 0) {
            on_b++;
            if (first_b == UINT64_MAX)
                first_b = t.drops[i].packet_id;
        } else {
            cr_assert_fail("frame %llu landed on %s", (unsigned long long)t.drops[i].packet_id,
                           t.drops[i].where);
        }
    }
    cr_assert_gt(on_a, 0, "frames before the move went to the source");
    cr_assert_gt(on_b, 0, "frames after the move went to the destination");
    cr_assert_eq(on_a + on_b, g.sent);
    cr_assert_lt(last_a, first_b, "never back to the source once moved");
    cr_assert_eq(t_landed(&t, (uint16_t)from), on_a);
    cr_assert_eq(t_landed(&t, (uint16_t)to), on_b);
    if (!back_to_default)
        cr_assert_eq(t_landed(&t, NDIS_DEFAULT_VPORT_ID), 0, "nothing unmatched");
    cr_assert_eq(nic_filter_vport(t.nic, (uint16_t)fid), to);

    cr_assert_eq(t_clear_filter(&t, fid), 0);
    cr_assert_eq(t_delete_vport(&t, a), 0);
    cr_assert_eq(t_delete_vport(&t, b), 0);
    cr_assert_eq(t_reset_vf(&t, v0), 0);
    cr_assert_eq(t_reset_vf(&t, v1), 0);
    cr_assert_eq(t_free_vf(&t, v0), 0);
    cr_assert_eq(t_free_vf(&t, v1), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_move, atomic_between_two_vf_vports_under_traffic)
{
    move_under_traffic(false);
}

Test(pf_move, atomic_back_to_the_default_vport_under_traffic)
{
    move_under_traffic(true);
}

Test(pf_move, failed_move_leaves_the_filter_in_place)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint8_t m0[6];
    uint16_t v0;
    uint32_t a, fid;
    t_vf_mac(0, m0);
    cr_assert_eq(t_allocate_vf(&t, m0, &v0, NULL), 0);
    cr_assert_eq(t_create_vport(&t, v0, 1, 0, &a), 0);
    cr_assert_eq(t_set_filter(&t, a, m0, -1, &fid), 0);
    nic_knobs(t.nic)->cmd_fail_next = 1; /* firmware error on the next command */
    cr_assert_eq(t_move_filter(&t, fid, a, NDIS_DEFAULT_VPORT_ID), NDIS_STATUS_FAILURE);
    cr_assert(strstr(pf_adapter_last_refusal(t.pf)->reason, "NIC_ERR_INJECTED") != NULL, "%s",
              pf_adapter_last_refusal(t.pf)->reason);
    cr_assert_eq(nic_filter_vport(t.nic, (uint16_t)fid), a);
    /* The PF's and NDIS's registries still agree: moving from a works. */
    cr_assert_eq(t_move_filter(&t, fid, a, NDIS_DEFAULT_VPORT_ID), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_clear_filter(&t, fid), 0);
    cr_assert_eq(t_delete_vport(&t, a), 0);
    cr_assert_eq(t_reset_vf(&t, v0), 0);
    cr_assert_eq(t_free_vf(&t, v0), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_move, lost_command_interrupt_is_recovered_by_the_watchdog)
{
    struct topo t;
    topo_init(&t, NULL);
    pcie_fabric_knobs(t.fabric)->msix_lost = true;
    cr_assert_eq(t_create_switch(&t, 2), NDIS_STATUS_SUCCESS);
    cr_assert_geq(pf_adapter_stats(t.pf)->lost_irq_recovered, 1);
    pcie_fabric_knobs(t.fabric)->msix_lost = false;
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}
