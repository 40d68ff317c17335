/* SPDX-License-Identifier: MIT */
/*
 * test_removal.c — surprise removal loses at most what was in flight in the VF's rings and
 * says how many (each completed with NDIS_STATUS_ADAPTER_REMOVED, reported with
 * SIM_DROP_SURPRISE_REMOVAL, counted); graceful removal (pause, halt, eject ack) loses nothing;
 * an eject the guest does not acknowledge becomes a surprise removal; MiniportResetEx aborts
 * what was in flight and the VF works again afterwards.
 */
#include "vf_test.h"

static struct venv E;

static size_t
count_status(const struct venv *e, ndis_status_t st)
{
    size_t n = 0;
    for (size_t i = 0; i < e->ntxc; i++)
        n += e->txc_st[i] == st;
    return n;
}

Test(vf_removal, surprise_removal_completes_exactly_what_was_in_flight)
{
    venv_up(&E, false, NULL);
    /* 5 frames go out and complete normally. */
    for (uint64_t i = 0; i < 5; i++)
        v_send(&E, 60, i);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 5);
    /* 7 more are posted; the function vanishes before the device fetched them. */
    for (uint64_t i = 5; i < 12; i++)
        v_send(&E, 60, i);
    cr_assert_eq(pcie_fn_surprise_remove(E.t.fabric, (uint16_t)E.rid), 0);
    cr_assert(vf_adapter_is_removed(E.a));
    cr_assert_eq(E.ntxc, 12, "every NBL came back, at once");
    cr_assert_eq(count_status(&E, NDIS_STATUS_SUCCESS), 5);
    cr_assert_eq(count_status(&E, NDIS_STATUS_ADAPTER_REMOVED), 7);
    for (size_t i = 5; i < 12; i++)
        cr_assert_eq(E.txc_id[i], i);
    cr_assert_eq(v_drops(&E, SIM_DROP_SURPRISE_REMOVAL, "vm1.vf0 tx"), 7);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.tx_removed, 7, "says how many");
    cr_assert_eq(s.tx_posted, s.tx_completed + s.tx_removed + s.tx_inflight);
    cr_assert_eq(s.tx_inflight, 0);
    cr_assert_eq(s.surprise_removals, 1);
    cr_assert(strstr(vf_adapter_last_error(E.a)->reason, "7 TX frame(s)") != NULL, "%s",
              vf_adapter_last_error(E.a)->reason);
    /* NDIS refuses new sends; nothing else happens later. */
    struct ndis_nbl *nbl = v_frame(&E, 0, 60, 99, 0);
    cr_assert_eq(ndis_binding_send(E.b, nbl, 0), SIM_ENODEV);
    cr_assert_eq(ndis_nbl_free(nbl, E.b), 0);
    t_run_for(&E.t, SIM_MSEC(5));
    cr_assert_eq(E.nwire, 5);
    cr_assert_eq(E.ntxc, 12);
    venv_down(&E); /* pause (immediate), halt without touching the device, destroy */
}

Test(vf_removal, surprise_removal_counts_received_frames_not_yet_indicated)
{
    venv_up(&E, false, NULL);
    for (uint64_t i = 0; i < 3; i++)
        v_wire_rx(&E, 700 + i); /* in the VF's RX ring; the interrupt has not run yet */
    cr_assert_eq(pcie_fn_surprise_remove(E.t.fabric, (uint16_t)E.rid), 0);
    cr_assert_eq(E.nrx, 0);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.rx_removed, 3);
    cr_assert_eq(v_drops(&E, SIM_DROP_SURPRISE_REMOVAL, "vm1.vf0 rx"), 3);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nrx, 0);
    venv_down(&E);
}

Test(vf_removal, graceful_eject_pauses_halts_and_loses_nothing)
{
    venv_up(&E, false, NULL);
    cr_assert_eq(hv_vpci_eject(E.vpci, -1, NULL), 0);
    t_run_for(&E.t, SIM_USEC(100)); /* the eject request reaches the guest */
    cr_assert_eq(E.eject_requests, 1);
    for (uint64_t i = 0; i < 20; i++) /* still sending when it decides to let go */
        v_send(&E, 60, i);
    /* The guest lets go: NetVSC unbinds, NDIS pauses (pends until the sends completed)... */
    struct sim_diag d;
    sim_diag_clear(&d);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_unbind(E.b, &d), SIM_EBUSY, "sends still at the miniport");
    cr_assert_eq(ndis_miniport_pause(E.mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(st, NDIS_STATUS_PENDING);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(ndis_miniport_state(E.mp), NDIS_MINIPORT_PAUSED);
    cr_assert_eq(ndis_unbind(E.b, &d), 0, "%s", d.reason);
    E.b = NULL;
    /* ...halts, and the guest acknowledges the eject. */
    cr_assert_eq(ndis_miniport_halt(E.mp, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_vpci_eject_ack(E.vpci), 0);
    cr_assert_eq(E.removed_kind, HV_VPCI_REMOVAL_GRACEFUL);
    cr_assert_eq(E.nwire, 20);
    cr_assert_eq(E.ntxc, 20);
    cr_assert_eq(count_status(&E, NDIS_STATUS_SUCCESS), 20);
    cr_assert_eq(E.t.ndrops, 0, "nothing lost");
    t_run_for(&E.t, SIM_SEC(6)); /* past the eject timeout: nothing happens */
    cr_assert_eq(E.t.ndrops, 0);
    venv_down(&E);
}

Test(vf_removal, unacknowledged_eject_becomes_surprise_removal)
{
    venv_up(&E, false, NULL);
    cr_assert_eq(hv_vpci_eject(E.vpci, SIM_MSEC(5), NULL), 0);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.eject_requests, 1);
    for (uint64_t i = 0; i < 4; i++)
        v_send(&E, 60, i);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 4);
    for (uint64_t i = 4; i < 9; i++)
        v_send(&E, 60, i);
    /* The guest never acks: the eject times out exactly now, with 5 frames just posted. */
    t_run_for(&E.t, SIM_MSEC(3) - SIM_NSEC_PER_USEC);
    cr_assert(!vf_adapter_is_removed(E.a));
    for (int i = 0; i < 10 && !vf_adapter_is_removed(E.a); i++)
        (void)sim_sched_step(E.t.sched);
    cr_assert(vf_adapter_is_removed(E.a));
    cr_assert_eq(E.removed_kind, HV_VPCI_REMOVAL_SURPRISE);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(E.nwire + s.tx_removed, 9, "every frame either sent or counted as lost");
    cr_assert_eq(v_drops(&E, SIM_DROP_SURPRISE_REMOVAL, NULL), s.tx_removed);
    cr_assert_eq(count_status(&E, NDIS_STATUS_ADAPTER_REMOVED), s.tx_removed);
    venv_down(&E);
}

Test(vf_removal, reset_aborts_in_flight_and_the_vf_works_again)
{
    venv_up(&E, false, NULL);
    for (uint64_t i = 0; i < 6; i++)
        v_send(&E, 60, i);
    struct sim_diag d;
    sim_diag_clear(&d);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_reset(E.mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(st, NDIS_STATUS_SUCCESS);
    cr_assert_eq(count_status(&E, NDIS_STATUS_REQUEST_ABORTED), 6);
    cr_assert_eq(v_drops(&E, SIM_DROP_FUNCTION_RESET, "vm1.vf0 tx"), 6);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 0);
    v_send(&E, 60, 50);
    v_wire_rx(&E, 51);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 1);
    cr_assert_eq(E.wire_id[0], 50);
    cr_assert_eq(E.nrx, 1);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.tx_aborted, 6);
    cr_assert_eq(s.resets, 1);
    venv_down(&E);
}

Test(vf_removal, poll_mode_removal_is_accounted_on_the_data_path_owner)
{
    venv_up(&E, true, NULL);
    for (uint64_t i = 0; i < 6; i++)
        v_send(&E, 60, i);
    cr_assert_eq(nic_poll(E.t.nic, 2), 2); /* the device took two */
    cr_assert_eq(pcie_fn_surprise_remove(E.t.fabric, (uint16_t)E.rid), 0);
    /* The loop thread only marks the removal: the rings belong to the data-path thread. */
    cr_assert_eq(E.ntxc, 0);
    cr_assert_eq(vf_adapter_poll(E.a, 64), 0);
    cr_assert_eq(E.ntxc, 6);
    cr_assert_eq(count_status(&E, NDIS_STATUS_SUCCESS), 2);
    cr_assert_eq(count_status(&E, NDIS_STATUS_ADAPTER_REMOVED), 4);
    cr_assert_eq(v_drops(&E, SIM_DROP_SURPRISE_REMOVAL, "vm1.vf0 tx"), 4);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.tx_removed, 4);
    cr_assert_eq(E.nwire, 2);
    (void)vf_adapter_poll(E.a, 64); /* idempotent */
    cr_assert_eq(E.ntxc, 6);
    venv_down(&E);
}
