/* SPDX-License-Identifier: MIT */
/* test_flr.c — Function Level Reset: state cleared through the device model, config space back
 * to reset values, completion within the 100 ms bound on the virtual clock, the flr_timeout
 * knob both ways, VF FLR isolation, PF FLR removing the VFs. */
#include "pcie_test.h"

static struct fixture fx;
static struct ev_log evl;
static struct pcie_subscription sub;

struct done_log {
    int calls;
    int status;
    sim_time_t at;
} dl;

static void
flr_done(void *ctx, uint16_t rid, int status)
{
    struct done_log *l = ctx;
    l->calls++;
    l->status = status;
    l->at = sim_sched_now(fx.s);
}

static void
setup(void)
{
    fx_setup(&fx);
    memset(&evl, 0, sizeof(evl));
    memset(&dl, 0, sizeof(dl));
    memset(&sub, 0, sizeof(sub));
    pcie_fabric_subscribe(fx.f, &sub, ev_record, &evl);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_flr, .init = setup, .fini = teardown);

Test(pcie_flr, vf_flr_clears_state_and_completes_within_bound)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0), vf1 = PCIE_RID(1, 0x10, 2);
    pcie_fn_enable(fx.f, vf0);
    pcie_fn_enable(fx.f, vf1);
    pcie_mmio_write(fx.f, vf0, 0, 0, 8, 0xaa);
    pcie_mmio_write(fx.f, vf1, 0, 0, 8, 0xbb);
    pcie_msix_enable(fx.f, vf0, true);
    pcie_msix_fire(fx.f, vf0, 1); /* masked: pending */
    cr_assert(pcie_msix_is_pending(fx.f, vf0, 1));
    sim_time_t t0 = sim_sched_now(fx.s);

    cr_assert_eq(pcie_flr(fx.f, vf0, flr_done, &dl), 0);
    cr_assert_eq(fx.td.flr_calls[1], 1, "device model reset callback");
    cr_assert_eq(fx.td.regs[1][0], 0, "VF state cleared");
    cr_assert_eq(fx.td.regs[2][0], 0xbb, "the other VF untouched");
    cr_assert_eq(fx.td.flr_calls[2] + fx.td.flr_calls[0], 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_IN_RESET);
    uint32_t v;
    cr_assert_eq(pcie_cfg_read(fx.f, vf0, PCIE_CFG_COMMAND, 2, &v), SIM_ENODEV, "silent in FLR");
    cr_assert_eq(pcie_flr(fx.f, vf0, flr_done, &dl), SIM_EBUSY);
    uint64_t m;
    cr_assert_eq(pcie_mmio_read(fx.f, vf1, 0, 0, 8, &m), 0);
    cr_assert_eq(m, 0xbb, "the other VF keeps working during the FLR");

    sim_sched_run(fx.s, t0 + PCIE_FLR_DURATION_NS);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_READY);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FLR_DONE), 1);
    cr_assert_eq(dl.calls, 0, "driver waits the full 100 ms");
    sim_sched_run(fx.s, t0 + PCIE_FLR_BOUND_NS);
    cr_assert_eq(dl.calls, 1);
    cr_assert_eq(dl.status, 0);
    cr_assert_eq(dl.at, t0 + PCIE_FLR_BOUND_NS);
    /* Config back at reset values: BME cleared, MSI-X disabled, nothing pending. */
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_COMMAND, 2), 0);
    cr_assert_eq(cfg_rd(&fx, vf1, PCIE_CFG_COMMAND, 2), PCIE_CMD_MASTER);
    cr_assert_not(pcie_msix_is_pending(fx.f, vf0, 1));
    uint16_t exp = pcie_cfg_find_cap(fx.f, vf0, PCIE_CAP_ID_EXP, false);
    cr_assert_eq(cfg_rd(&fx, vf0, exp + PCIE_EXP_DEVCTL, 2) & PCIE_EXP_DEVCTL_BCR_FLR, 0,
                 "Initiate FLR reads 0");
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 2, "VF Enable / NumVFs in the PF untouched");
}

Test(pcie_flr, raw_config_write_initiates_flr)
{
    pcie_fn_enable(fx.f, PF_RID);
    uint16_t exp = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_EXP, false);
    uint32_t ctl = cfg_rd(&fx, PF_RID, exp + PCIE_EXP_DEVCTL, 2);
    cr_assert_eq(pcie_cfg_write(fx.f, PF_RID, exp + PCIE_EXP_DEVCTL, 2, ctl | 0x8000), 0);
    cr_assert_eq(fx.td.flr_calls[0], 1);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_IN_RESET);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_READY);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_COMMAND, 2), 0, "Command reset");
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0, 4), 0x0c, "BAR address reset");
}

Test(pcie_flr, knob_flr_timeout_both_ways)
{
    pcie_fabric_knobs(fx.f)->flr_timeout = true;
    cr_assert_eq(pcie_flr(fx.f, PF_RID, flr_done, &dl), 0);
    sim_sched_run(fx.s, PCIE_FLR_BOUND_NS);
    cr_assert_eq(dl.calls, 1);
    cr_assert_eq(dl.status, SIM_ETIMEDOUT);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_IN_RESET);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.flr_timeouts, 1);
    /* It completes late; the event says so. */
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_READY);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FLR_DONE), 1);
    cr_assert_eq(evl.ev[evl.n - 1].status, SIM_ETIMEDOUT);
    cr_assert_eq(evl.ev[evl.n - 1].time, PCIE_FLR_LATE_NS);

    pcie_fabric_knobs(fx.f)->flr_timeout = false;
    memset(&dl, 0, sizeof(dl));
    cr_assert_eq(pcie_flr(fx.f, PF_RID, flr_done, &dl), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(dl.calls, 1);
    cr_assert_eq(dl.status, 0);
    cr_assert_eq(evl.ev[evl.n - 1].status, 0);
}

Test(pcie_flr, pf_flr_removes_vfs)
{
    fx_enable_vfs(&fx, 3, true);
    evl.n = 0;
    cr_assert_eq(pcie_flr(fx.f, PF_RID, NULL, NULL), 0);
    cr_assert_eq(pcie_pf_num_vfs(fx.pf), 0);
    cr_assert_eq(fx.td.vf_removed, 3);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 3);
    cr_assert_eq(ev_count(&evl, PCIE_EV_VFS_DISABLED), 1);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    struct pcie_sriov_info in;
    cr_assert_eq(pcie_sriov_info(fx.f, PF_RID, &in), 0);
    cr_assert_not(in.vf_enable);
    cr_assert_eq(in.num_vfs, 0);
}

Test(pcie_flr, removal_during_flr_completes_wait_once)
{
    cr_assert_eq(pcie_flr(fx.f, PF_RID, flr_done, &dl), 0);
    cr_assert_eq(pcie_fn_surprise_remove(fx.f, PF_RID), 0);
    cr_assert_eq(dl.calls, 1);
    cr_assert_eq(dl.status, SIM_ENODEV);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(dl.calls, 1, "exactly once");
    cr_assert_eq(ev_count(&evl, PCIE_EV_FLR_DONE), 0);
}

Test(pcie_flr, flr_of_absent_function_fails_without_callback)
{
    cr_assert_eq(pcie_flr(fx.f, PCIE_RID(5, 0, 0), flr_done, &dl), SIM_ENODEV);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(dl.calls, 0);
}
