/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle.c — the PF miniport end to end: bring-up (CREATE_SWITCH, 7 x (ALLOCATE_VF,
 * CREATE_VPORT, SET_FILTER)), frames from the wire reaching the right VPorts through the NIC
 * switch, the documented teardown (CLEAR_FILTER, DELETE_VPORT, RESET_VF, FREE_VF per VF, then
 * DELETE_SWITCH, then halt) checked through the NDIS trace, the halt rule, out-of-memory sweeps
 * of the constructor, and zero live allocations after teardown.
 */
#include "pf_test.h"

#define NVF 7

struct vf_setup {
    uint16_t vf;
    uint32_t rid, vport, filter;
    uint8_t mac[6];
};

static void
bring_up(struct topo *t, struct vf_setup s[NVF])
{
    cr_assert_eq(t_create_switch(t, T_TOTAL_VFS), NDIS_STATUS_SUCCESS);
    for (uint16_t i = 0; i < NVF; i++) {
        t_vf_mac(i, s[i].mac);
        cr_assert_eq(t_allocate_vf(t, s[i].mac, &s[i].vf, &s[i].rid), NDIS_STATUS_SUCCESS);
        cr_assert_eq(
            t_create_vport(t, s[i].vf, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &s[i].vport),
            NDIS_STATUS_SUCCESS, "CREATE_VPORT vf %u: %s", i,
            pf_adapter_last_refusal(t->pf)->reason);
        cr_assert_eq(t_set_filter(t, s[i].vport, s[i].mac, -1, &s[i].filter), NDIS_STATUS_SUCCESS,
                     "SET_FILTER %u: %08x %s / %s", i, t->status, t->req.rule ? t->req.rule : "-",
                     pf_adapter_last_refusal(t->pf)->reason);
    }
}

static void
tear_down(struct topo *t, struct vf_setup s[NVF])
{
    for (int i = 0; i < NVF; i++) {
        cr_assert_eq(t_clear_filter(t, s[i].filter), NDIS_STATUS_SUCCESS);
        cr_assert_eq(t_delete_vport(t, s[i].vport), NDIS_STATUS_SUCCESS);
        cr_assert_eq(t_reset_vf(t, s[i].vf), NDIS_STATUS_SUCCESS);
        cr_assert_eq(t_free_vf(t, s[i].vf), NDIS_STATUS_SUCCESS, "FREE_VF: %s",
                     pf_adapter_last_refusal(t->pf)->reason);
    }
    cr_assert_eq(t_delete_switch(t), NDIS_STATUS_SUCCESS, "%s",
                 pf_adapter_last_refusal(t->pf)->reason);
}

Test(pf_lifecycle, seven_vfs_bring_up_traffic_and_documented_teardown)
{
    struct topo t;
    topo_init(&t, NULL);
    struct vf_setup s[NVF];
    uint64_t mark = ndis_trace_mark(t.trace);
    bring_up(&t, s);

    /* Bring-up sequence, as NDIS recorded the completions. */
    ndis_oid_t seq[64];
    size_t n = ndis_trace_oid_sequence(t.trace, mark, "pf0", NDIS_TRACE_COMPLETION, seq, 64);
    cr_assert_eq(n, 1 + 3 * NVF);
    cr_assert_eq(seq[0], OID_NIC_SWITCH_CREATE_SWITCH);
    for (int i = 0; i < NVF; i++) {
        cr_assert_eq(seq[1 + 3 * i], OID_NIC_SWITCH_ALLOCATE_VF);
        cr_assert_eq(seq[2 + 3 * i], OID_NIC_SWITCH_CREATE_VPORT);
        cr_assert_eq(seq[3 + 3 * i], OID_RECEIVE_FILTER_SET_FILTER);
    }
    for (size_t i = 0; i < ndis_trace_count(t.trace); i++)
        if (ndis_trace_at(t.trace, i)->phase == NDIS_TRACE_COMPLETION)
            cr_assert_eq(ndis_trace_at(t.trace, i)->status, NDIS_STATUS_SUCCESS);

    /* VF ids zero-based and unique, RIDs from the SR-IOV capability (offset 0x80, stride 2 on
     * bus 1: 01:10.0, 01:10.2, ...), distinct VPorts. */
    for (int i = 0; i < NVF; i++) {
        cr_assert_eq(s[i].vf, i);
        cr_assert_eq(s[i].rid, NDIS_MAKE_RID(0, 1, 0x80 + 2 * i), "rid %x", s[i].rid);
        cr_assert_eq(nic_filter_vport(t.nic, (uint16_t)s[i].filter), s[i].vport);
        for (int j = 0; j < i; j++)
            cr_assert_neq(s[i].vport, s[j].vport);
    }
    cr_assert_eq(nic_vport_count(t.nic), 1 + NVF);
    cr_assert_eq(nic_filter_count(t.nic), NVF);

    /* Frames through the NIC switch: each VF's MAC to its VPort, an unknown MAC to the default. */
    for (int i = 0; i < NVF; i++)
        for (int k = 0; k <= i; k++)
            t_frame_rx(&t, s[i].mac, -1, (uint64_t)(100 * i + k));
    static const uint8_t stranger[6] = {0x02, 0x99, 0, 0, 0, 1};
    t_frame_rx(&t, stranger, -1, 9999);
    t_run_for(&t, SIM_MSEC(1));
    for (int i = 0; i < NVF; i++)
        cr_assert_eq(t_landed(&t, (uint16_t)s[i].vport), (uint64_t)i + 1, "vport %u", s[i].vport);
    cr_assert_eq(t_landed(&t, NDIS_DEFAULT_VPORT_ID), 1);

    /* Teardown in the documented order, checked through the trace. */
    mark = ndis_trace_mark(t.trace);
    tear_down(&t, s);
    n = ndis_trace_oid_sequence(t.trace, mark, "pf0", NDIS_TRACE_COMPLETION, seq, 64);
    cr_assert_eq(n, 4 * NVF + 1);
    for (int i = 0; i < NVF; i++) {
        cr_assert_eq(seq[4 * i + 0], OID_RECEIVE_FILTER_CLEAR_FILTER);
        cr_assert_eq(seq[4 * i + 1], OID_NIC_SWITCH_DELETE_VPORT);
        cr_assert_eq(seq[4 * i + 2], OID_SRIOV_RESET_VF);
        cr_assert_eq(seq[4 * i + 3], OID_NIC_SWITCH_FREE_VF);
    }
    cr_assert_eq(seq[4 * NVF], OID_NIC_SWITCH_DELETE_SWITCH);
    cr_assert_eq(nic_vport_count(t.nic), 1);
    cr_assert_eq(nic_filter_count(t.nic), 0);
    struct pcie_sriov_info si;
    cr_assert_eq(pcie_sriov_info(t.fabric, T_PF_RID, &si), 0);
    cr_assert(!si.vf_enable, "DELETE_SWITCH clears VF Enable (dynamic mode)");
    cr_assert_eq(pf_adapter_stats(t.pf)->flr_ok, NVF);
    cr_assert_eq(pf_adapter_stats(t.pf)->refusals, 0);
    topo_fini(&t); /* then halt; zero live allocations */
}

Test(pf_lifecycle, async_oids_pend_and_complete_exactly_once_from_the_interrupt)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), NDIS_STATUS_SUCCESS);
    uint16_t vf;
    uint8_t mac[6];
    t_vf_mac(0, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, &vf, NULL), NDIS_STATUS_SUCCESS);
    const struct ndis_miniport_stats *ms = ndis_miniport_stats(t.mp);
    uint64_t pended = ms->pended;
    uint32_t vport;
    cr_assert_eq(t_create_vport(&t, vf, 1, 0, &vport), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ms->pended, pended + 1, "CREATE_VPORT needs the device: it pends");
    cr_assert_eq(ms->double_completions, 0);
    /* The create waited for the VF-enable delay; the FLR for its 100 ms bound. */
    sim_time_t t0 = sim_sched_now(t.sched);
    cr_assert_eq(t_delete_vport(&t, vport), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_geq(sim_sched_now(t.sched) - t0, PCIE_FLR_BOUND_NS);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ms->double_completions, 0);
    cr_assert_eq(ms->completions, ms->requests);
    topo_fini(&t);
}

Test(pf_lifecycle, halt_refused_while_a_vf_is_allocated)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), NDIS_STATUS_SUCCESS);
    uint16_t vf;
    uint8_t mac[6];
    t_vf_mac(0, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, &vf, NULL), NDIS_STATUS_SUCCESS);
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(ndis_miniport_pause(t.mp, NULL, &d), 0);
    cr_assert_eq(ndis_miniport_halt(t.mp, &d), SIM_EBUSY);
    cr_assert(strstr(d.reason, "VF 0") != NULL, "reason names the VF: %s", d.reason);
    cr_assert_eq(ndis_miniport_state(t.mp), NDIS_MINIPORT_PAUSED);
    cr_assert_eq(pf_adapter_stats(t.pf)->halt_with_vfs, 0, "the halt never reached the PF");
    /* Finish properly: restart, free, delete, halt. */
    cr_assert_eq(ndis_miniport_restart(t.mp, NULL, &d), 0);
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_SUCCESS);
    topo_fini(&t);
}

Test(pf_lifecycle, halt_with_switch_left_is_flagged_and_cleaned)
{
    /* NDIS does not insist on DELETE_SWITCH before halt; the PF flags it and still turns
     * virtualization off so nothing is left behind. */
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 4), NDIS_STATUS_SUCCESS);
    struct pcie_sriov_info si;
    cr_assert_eq(pcie_sriov_info(t.fabric, T_PF_RID, &si), 0);
    cr_assert(si.vf_enable);
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(ndis_miniport_pause(t.mp, NULL, &d), 0);
    cr_assert_eq(ndis_miniport_halt(t.mp, &d), 0);
    cr_assert_eq(pcie_sriov_info(t.fabric, T_PF_RID, &si), 0);
    cr_assert(!si.vf_enable, "virtualization disabled at halt");
    topo_fini(&t);
}

Test(pf_lifecycle, create_oom_sweep)
{
    long baseline;
    for (long n = 0;; n++) {
        struct topo t;
        topo_hw(&t, false);
        baseline = sim_alloc_live_total();
        struct pf_config pc = {
            .name = "pf0", .sched = t.sched, .fabric = t.fabric, .rid = T_PF_RID, .trace = t.trace};
        struct sim_diag d;
        sim_diag_clear(&d);
        sim_alloc_fail_nth(n);
        int err = pf_adapter_create(&pc, &t.pf, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_gt(n, 0);
            cr_assert_eq(pf_adapter_destroy(t.pf), 0);
            topo_fini_hw(&t);
            cr_assert_eq(sim_alloc_live_total(), 0);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM, "n=%ld: %s", n, sim_err_name(err));
        cr_assert(d.reason[0] != '\0');
        cr_assert_null(t.pf);
        cr_assert_eq(sim_alloc_live_total(), baseline, "n=%ld leaked", n);
        topo_fini_hw(&t);
        cr_assert_lt(n, 100);
    }
}

Test(pf_lifecycle, create_refuses_a_function_that_is_not_the_nic)
{
    struct topo t;
    topo_hw(&t, false);
    struct pf_config pc = {
        .name = "pf0", .sched = t.sched, .fabric = t.fabric, .rid = PCIE_RID(2, 0, 0)};
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(pf_adapter_create(&pc, &t.pf, &d), SIM_ENODEV);
    cr_assert(strstr(d.reason, "02:00.0") != NULL, "%s", d.reason);
    pc.name = NULL;
    cr_assert_eq(pf_adapter_create(&pc, &t.pf, &d), SIM_EINVAL);
    topo_fini_hw(&t);
    cr_assert_eq(sim_alloc_live_total(), 0);
}

Test(pf_lifecycle, sriov_disabled_oids_not_supported)
{
    struct topo t;
    topo_hw(&t, false);
    topo_pf(&t, NULL, true);
    cr_assert_eq(t_create_switch(&t, 2), NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_not_null(t.req.rule);
    /* Hardware caps are still registered (§6.1). */
    struct ndis_nic_switch_capabilities c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &c,
                       sizeof c, 0),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(c.max_num_vfs, T_TOTAL_VFS);
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &c,
                       sizeof c, 0),
                 NDIS_STATUS_NOT_SUPPORTED);
    topo_fini(&t);
}
