/* SPDX-License-Identifier: MIT */
/* test_sriov.c — the SR-IOV capability: NumVFs / VF Enable rules, offset and stride re-read,
 * VF creation at RIDs (ARI and non-ARI, last VF, bus crossing), the 100 ms VF Enable delay,
 * VF MSE, the OS-side checks, and the vf_enable_ignored / vf_ready_extra_ns knobs. */
#include "pcie_test.h"

static struct fixture fx;
static struct ev_log evl;
static struct pcie_subscription sub;

static void
setup(void)
{
    fx_setup(&fx);
    memset(&evl, 0, sizeof(evl));
    memset(&sub, 0, sizeof(sub));
    cr_assert_eq(pcie_fabric_subscribe(fx.f, &sub, ev_record, &evl), 0);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_sriov, .init = setup, .fini = teardown);

static void
ctrl_write(uint16_t v)
{
    pcie_cfg_write(fx.f, PF_RID, sriov_cap(&fx) + PCIE_SRIOV_CTRL, 2, v);
}
static void
numvfs_write(uint16_t v)
{
    pcie_cfg_write(fx.f, PF_RID, sriov_cap(&fx) + PCIE_SRIOV_NUM_VF, 2, v);
}
static uint16_t
sr(uint16_t reg)
{
    return (uint16_t)cfg_rd(&fx, PF_RID, sriov_cap(&fx) + reg, 2);
}

Test(pcie_sriov, numvfs_writable_only_while_vf_enable_clear)
{
    numvfs_write(4);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 4);
    numvfs_write(3);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 3);
    ctrl_write(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE | PCIE_SRIOV_CTRL_ARI);
    numvfs_write(5);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 3, "NumVFs frozen while VF Enable is set");
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 3);
    /* System Page Size and ARI Capable Hierarchy are frozen too. */
    pcie_cfg_write(fx.f, PF_RID, sriov_cap(&fx) + PCIE_SRIOV_SYS_PGSIZE, 4, 2);
    cr_assert_eq(cfg_rd(&fx, PF_RID, sriov_cap(&fx) + PCIE_SRIOV_SYS_PGSIZE, 4), 1);
    ctrl_write(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE);
    cr_assert(sr(PCIE_SRIOV_CTRL) & PCIE_SRIOV_CTRL_ARI);
    /* Clear VF Enable: NumVFs writable again. */
    ctrl_write(0);
    numvfs_write(5);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 5);
}

Test(pcie_sriov, numvfs_above_totalvfs_is_ignored)
{
    numvfs_write(2);
    numvfs_write(9);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 2);
    numvfs_write(8);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 8);
}

Test(pcie_sriov, offset_and_stride_change_with_numvfs_and_ari)
{
    fx.td.custom_layout = true;
    ctrl_write(PCIE_SRIOV_CTRL_ARI);
    numvfs_write(3);
    cr_assert_eq(sr(PCIE_SRIOV_VF_OFFSET), 0x83);
    cr_assert_eq(sr(PCIE_SRIOV_VF_STRIDE), 4);
    numvfs_write(5);
    cr_assert_eq(sr(PCIE_SRIOV_VF_OFFSET), 0x85, "re-computed after NumVFs");
    ctrl_write(0); /* ARI Capable Hierarchy cleared */
    cr_assert_eq(sr(PCIE_SRIOV_VF_OFFSET), 1, "re-computed after ARI change");
    cr_assert_eq(sr(PCIE_SRIOV_VF_STRIDE), 1);
    /* The OS reads them after writing NumVFs and enables at the new place. */
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 2, true, &d), 0, "%s", d.reason);
    cr_assert_eq(sr(PCIE_SRIOV_VF_OFFSET), 0x82);
    cr_assert_eq(pcie_fn_rid(pcie_pf_vf(fx.pf, 0)), PF_RID + 0x82);
    cr_assert_eq(pcie_fn_rid(pcie_pf_vf(fx.pf, 1)), PF_RID + 0x86);
}

Test(pcie_sriov, vf_enable_creates_vfs_ready_after_delay)
{
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 7, true, &d), 0, "%s", d.reason);
    cr_assert_eq(fx.td.vf_added, 7);
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 7);
    cr_assert_eq(ev_count(&evl, PCIE_EV_VFS_ENABLED), 1);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0);
    /* Before the 100 ms delay the VFs exist but do not answer. */
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_NOT_READY);
    uint32_t v;
    cr_assert_eq(pcie_cfg_read(fx.f, vf0, PCIE_CFG_COMMAND, 2, &v), SIM_ENODEV);
    cr_assert_eq(v, 0xffff);
    sim_sched_run(fx.s, PCIE_VF_ENABLE_DELAY_NS - 1);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_NOT_READY);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_ADDED), 0);
    sim_sched_run(fx.s, PCIE_VF_ENABLE_DELAY_NS);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_READY);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_ADDED), 7);
    /* VF n at PF RID + 0x80 + (n-1) * 2: 01:10.0, 01:10.2 ... 01:11.4 */
    static const uint16_t expect[7] = {0x180, 0x182, 0x184, 0x186, 0x188, 0x18a, 0x18c};
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(pcie_fn_rid(pcie_pf_vf(fx.pf, (uint16_t)i)), expect[i]);
        cr_assert_eq(pcie_fabric_fn_state(fx.f, expect[i]), PCIE_FN_READY);
        cr_assert_eq(evl.ev[1 + i].rid, expect[i]);
        cr_assert(evl.ev[1 + i].is_vf);
        cr_assert_eq(evl.ev[1 + i].time, PCIE_VF_ENABLE_DELAY_NS);
    }
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x181), PCIE_FN_ABSENT, "between VFs");
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x18e), PCIE_FN_ABSENT, "after the last VF");
    cr_assert_null(pcie_pf_vf(fx.pf, 7));
    struct pcie_sriov_info in;
    cr_assert_eq(pcie_sriov_info(fx.f, PF_RID, &in), 0);
    cr_assert(in.vf_enable && in.vf_mse && in.ari_hierarchy);
    cr_assert_eq(in.num_vfs, 7);
}

Test(pcie_sriov, vf_enable_clear_removes_vfs)
{
    fx_enable_vfs(&fx, 4, true);
    evl.n = 0;
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_disable(fx.f, PF_RID, &d), 0);
    cr_assert_eq(fx.td.vf_removed, 4);
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 0);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 4);
    cr_assert_eq(ev_count(&evl, PCIE_EV_VFS_DISABLED), 1);
    cr_assert_not(evl.ev[0].surprise);
    for (uint16_t r = 0x180; r < 0x188; r++)
        cr_assert_eq(pcie_fabric_fn_state(fx.f, r), PCIE_FN_ABSENT);
    cr_assert_eq(sr(PCIE_SRIOV_NUM_VF), 0);
    /* Re-enable works and VFs come back fresh. */
    fx_enable_vfs(&fx, 2, true);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x182), PCIE_FN_READY);
    cr_assert_eq(fx.td.vf_added, 6);
}

Test(pcie_sriov, disable_before_ready_never_announces)
{
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 3, true, &d), 0);
    cr_assert_eq(pcie_sriov_disable(fx.f, PF_RID, &d), 0);
    sim_sched_run(fx.s, SIM_SEC(1));
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_ADDED), 0);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 0, "never announced, never removed");
    cr_assert_eq(fx.td.vf_removed, 3);
}

Test(pcie_sriov, vf_mse_gates_vf_mmio)
{
    fx_enable_vfs(&fx, 1, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0);
    uint64_t v;
    cr_assert_eq(pcie_mmio_write(fx.f, vf0, 0, 8, 8, 0x55), 0);
    cr_assert_eq(pcie_mmio_read(fx.f, vf0, 0, 8, 8, &v), 0);
    cr_assert_eq(v, 0x55);
    ctrl_write(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_ARI); /* VF MSE off */
    cr_assert_eq(pcie_mmio_read(fx.f, vf0, 0, 8, 8, &v), SIM_ENODEV);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(pcie_mmio_write(fx.f, vf0, 0, 8, 8, 0x66), SIM_ENODEV);
    cr_assert_eq(fx.td.regs[1][1], 0x55, "write dropped");
}

Test(pcie_sriov, rid_computation_edges)
{
    uint16_t r;
    /* ARI: offset 0x80 stride 2 from 01:00.0 */
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 0x80, 2, 0, &r), 0);
    cr_assert_eq(r, PCIE_RID(1, 0x10, 0));
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 0x80, 2, 6, &r), 0);
    cr_assert_eq(r, PCIE_RID(1, 0x11, 4), "VF 7 (last of 7)");
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 0x80, 2, 63, &r), 0);
    cr_assert_eq(r, PCIE_RID(1, 0x1f, 6), "last VF on bus 1");
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 0x80, 2, 64, &r), 0);
    cr_assert_eq(r, PCIE_RID(2, 0, 0), "bus crossing");
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 0x80, 2, 99, &r), 0);
    cr_assert_eq(r, PCIE_RID(2, 0x08, 6));
    /* non-ARI: offset 1 stride 1 fills functions 1-7 of device 0 */
    cr_assert_eq(pcie_sriov_vf_rid(0x0100, 1, 1, 6, &r), 0);
    cr_assert_eq(r, PCIE_RID(1, 0, 7));
    /* a PF that is not function 0 */
    cr_assert_eq(pcie_sriov_vf_rid(PCIE_RID(3, 4, 2), 1, 1, 0, &r), 0);
    cr_assert_eq(r, PCIE_RID(3, 4, 3));
    /* running off the end of the RID space */
    cr_assert_eq(pcie_sriov_vf_rid(0xff00, 0x80, 2, 63, &r), 0);
    cr_assert_eq(r, 0xfffe);
    cr_assert_eq(pcie_sriov_vf_rid(0xff00, 0x80, 2, 64, &r), SIM_ERANGE);
}

Test(pcie_sriov, bus_crossing_vfs_are_created_and_reachable)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.total_vfs = 100;
    c.vf_msix_vectors = 1;
    fx_setup_cfg(&fx, &c);
    fx_enable_vfs(&fx, 100, true);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(1, 0x1f, 6)), PCIE_FN_READY);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(2, 0, 0)), PCIE_FN_READY);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(2, 8, 6)), PCIE_FN_READY, "last VF");
    cr_assert_eq(pcie_fn_vf_index(pcie_pf_vf(fx.pf, 99)), 99);
    cr_assert_eq(cfg_rd(&fx, PCIE_RID(2, 8, 6), PCIE_CFG_VENDOR_ID, 2), 0xffff);
}

Test(pcie_sriov, bus_limit_blocks_crossing_vfs)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.total_vfs = 100;
    c.vf_msix_vectors = 1;
    c.bus_limit = 1; /* the bridge routes only bus 1 */
    fx_setup_cfg(&fx, &c);
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 64, true, &d), 0, "%s", d.reason);
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 65, true, &d), SIM_ERANGE);
    cr_assert(strstr(d.reason, "NoBusResources"), "%s", d.reason);
    cr_assert(strstr(d.reason, "02:00.0"), "names the VF: %s", d.reason);
    /* A driver that ignores the check and sets VF Enable anyway: VFs past bus 1 unreachable. */
    ctrl_write(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE | PCIE_SRIOV_CTRL_ARI);
    sim_sched_run(fx.s, SIM_SEC(1));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(1, 0x1f, 6)), PCIE_FN_READY);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(2, 0, 0)), PCIE_FN_UNREACHABLE);
    uint32_t v;
    cr_assert_eq(pcie_cfg_read(fx.f, PCIE_RID(2, 0, 0), 0, 4, &v), SIM_ENODEV);
}

Test(pcie_sriov, non_ari_reaches_only_eight_functions)
{
    struct sim_diag d = {0};
    /* offset 0x80 puts VF 1 at device 0x10: unreachable without ARI. */
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 7, false, &d), SIM_ERANGE);
    cr_assert(strstr(d.reason, "ARI"), "%s", d.reason);
    /* Raw VF Enable without ARI: the VFs exist but cannot be reached. */
    numvfs_write(2);
    ctrl_write(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE);
    sim_sched_run(fx.s, SIM_SEC(1));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(1, 0x10, 0)), PCIE_FN_UNREACHABLE);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_ADDED), 0);
}

Test(pcie_sriov, non_ari_layout_inside_the_device)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.ari = false;
    c.total_vfs = 7;
    c.vf_offset = 1;
    c.vf_stride = 1;
    fx_setup_cfg(&fx, &c);
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 7, true, &d), SIM_ENOTSUP, "no ARI capability");
    cr_assert(strstr(d.reason, "ARI"), "%s", d.reason);
    fx_enable_vfs(&fx, 7, false);
    for (unsigned fn = 1; fn <= 7; fn++)
        cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(1, 0, fn)), PCIE_FN_READY);
}

Test(pcie_sriov, os_checks_name_the_rule)
{
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 9, true, &d), SIM_ERANGE);
    cr_assert(strstr(d.reason, "NumVFs 9 > TotalVFs 8"), "%s", d.reason);
    cr_assert_eq(pcie_sriov_check(fx.f, PCIE_RID(9, 0, 0), 1, true, &d), SIM_ENODEV);
    fx_enable_vfs(&fx, 2, true);
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 2, true, &d), SIM_ESTATE);
    cr_assert(strstr(d.reason, "VF Enable is already set"), "%s", d.reason);
    cr_assert_eq(pcie_sriov_check(fx.f, PCIE_RID(1, 0x10, 0), 1, true, &d), SIM_ENOTSUP,
                 "a VF is not a PF");
}

Test(pcie_sriov, zero_offset_and_zero_stride_are_rejected)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.vf_offset = 0;
    c.vf_stride = 0;
    c.vf_offset_non_ari = 0;
    c.vf_stride_non_ari = 0;
    fx_setup_cfg(&fx, &c);
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 1, true, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "First VF Offset is 0"), "%s", d.reason);
    fx_teardown(&fx);
    c.vf_offset = 0x80;
    fx_setup_cfg(&fx, &c);
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 1, true, &d), 0, "stride 0 is fine for 1 VF");
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 2, true, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "VF Stride is 0"), "%s", d.reason);
}

Test(pcie_sriov, initial_vfs_limits_numvfs_without_migration)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.initial_vfs = 4;
    fx_setup_cfg(&fx, &c);
    struct sim_diag d = {0};
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 5, true, &d), SIM_ERANGE);
    cr_assert(strstr(d.reason, "InitialVFs"), "%s", d.reason);
    cr_assert_eq(pcie_sriov_check(fx.f, PF_RID, 4, true, &d), 0);
}

Test(pcie_sriov, knob_vf_enable_ignored_both_ways)
{
    struct sim_diag d = {0};
    cr_assert_eq(pcie_knob_set(fx.f, "vf_enable_ignored", 1, &d), 0);
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 3, true, &d), 0);
    sim_sched_run(fx.s, SIM_SEC(1));
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_ABSENT);
    cr_assert_eq(pcie_sriov_disable(fx.f, PF_RID, &d), 0);
    pcie_fabric_knobs(fx.f)->vf_enable_ignored = false;
    fx_enable_vfs(&fx, 3, true);
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 3);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_READY);
}

Test(pcie_sriov, knob_vf_ready_extra_both_ways)
{
    struct sim_diag d = {0};
    cr_assert_eq(pcie_knob_set(fx.f, "vf_ready_extra_ns", SIM_MSEC(400), &d), 0);
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 1, true, &d), 0);
    sim_sched_run(fx.s, SIM_MSEC(499));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_NOT_READY);
    sim_sched_run(fx.s, SIM_MSEC(500));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_READY);
    pcie_sriov_disable(fx.f, PF_RID, &d);
    cr_assert_eq(pcie_knob_set(fx.f, "vf_ready_extra_ns", 0, &d), 0);
    cr_assert_eq(pcie_sriov_enable(fx.f, PF_RID, 1, true, &d), 0);
    sim_sched_run(fx.s, SIM_MSEC(600));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_READY);
}

Test(pcie_sriov, knob_names_and_values)
{
    struct sim_diag d = {0};
    int64_t v;
    cr_assert_eq(pcie_knob_set(fx.f, "no_such_knob", 1, &d), SIM_ENOENT);
    cr_assert(strstr(d.reason, "flr_timeout"), "lists known knobs: %s", d.reason);
    cr_assert_eq(pcie_knob_set(fx.f, "flr_timeout", 2, &d), SIM_ERANGE);
    cr_assert_eq(pcie_knob_set(fx.f, "vf_ready_extra_ns", -1, &d), SIM_ERANGE);
    cr_assert_eq(pcie_knob_set(fx.f, "msix_lost", 1, &d), 0);
    cr_assert(pcie_fabric_knobs(fx.f)->msix_lost);
    cr_assert_eq(pcie_knob_get(fx.f, "msix_lost", &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(pcie_knob_get(fx.f, "nope", &v), SIM_ENOENT);
}

Test(pcie_sriov, pf_destroy_with_vfs_releases_everything)
{
    fx_enable_vfs(&fx, 8, true);
    evl.n = 0;
    pcie_pf_destroy(fx.pf);
    fx.pf = NULL;
    cr_assert_eq(fx.td.vf_removed, 8);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 9);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_ABSENT);
    uint16_t r;
    cr_assert_eq(pcie_fabric_next_rid(fx.f, -1, &r), SIM_ENOENT);
}

Test(pcie_sriov, next_rid_iterates_in_order)
{
    fx_enable_vfs(&fx, 3, true);
    uint16_t want[] = {0x100, 0x180, 0x182, 0x184};
    int n = 0;
    uint16_t r;
    for (int after = -1; pcie_fabric_next_rid(fx.f, after, &r) == 0; after = r)
        cr_assert_eq(r, want[n++]);
    cr_assert_eq(n, 4);
}
