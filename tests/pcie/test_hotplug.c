/* SPDX-License-Identifier: MIT */
/* test_hotplug.c — hot add, graceful removal (ack and timeout), surprise removal, events and
 * subscriptions, and removal while MMIO is in flight. */
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
    pcie_fabric_subscribe(fx.f, &sub, ev_record, &evl);
    cr_assert_eq(pcie_fn_enable(fx.f, PF_RID), 0);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_hotplug, .init = setup, .fini = teardown);

Test(pcie_hotplug, surprise_removal_reads_all_ones_and_counts)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0);
    evl.n = 0;
    cr_assert_eq(pcie_fn_surprise_remove(fx.f, vf0), 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_REMOVED);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 1);
    cr_assert(evl.ev[0].surprise);
    cr_assert(evl.ev[0].is_vf);
    uint64_t v;
    uint32_t c;
    cr_assert_eq(pcie_mmio_read(fx.f, vf0, 0, 0, 4, &v), SIM_ENODEV);
    cr_assert_eq(v, 0xffffffff);
    cr_assert_eq(pcie_mmio_write(fx.f, vf0, 0, 0, 4, 1), SIM_ENODEV);
    cr_assert_eq(pcie_cfg_read(fx.f, vf0, 0, 4, &c), SIM_ENODEV);
    cr_assert_eq(c, 0xffffffff);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.mmio_absent_reads, 1);
    cr_assert_eq(st.mmio_dropped_writes, 1);
    cr_assert_eq(st.surprise_removals, 1);
    cr_assert_eq(fx.td.mmio_reads + fx.td.mmio_writes, 0);
    cr_assert_eq(pcie_fn_surprise_remove(fx.f, vf0), SIM_ENODEV);
    /* The other VF is unaffected. */
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PCIE_RID(1, 0x10, 2)), PCIE_FN_READY);
    /* Hot add brings it back fresh. */
    cr_assert_eq(pcie_fn_hot_add(fx.f, vf0), 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_READY);
    cr_assert_eq(evl.ev[evl.n - 1].type, PCIE_EV_FN_ADDED);
    cr_assert_eq(pcie_fn_hot_add(fx.f, vf0), SIM_EEXIST);
    cr_assert_eq(pcie_fn_hot_add(fx.f, PCIE_RID(9, 0, 0)), SIM_ENOENT);
}

Test(pcie_hotplug, pf_surprise_removal_takes_vfs_and_hot_add_restores)
{
    fx_enable_vfs(&fx, 3, true);
    evl.n = 0;
    cr_assert_eq(pcie_fn_surprise_remove(fx.f, PF_RID), 0);
    cr_assert_eq(ev_count(&evl, PCIE_EV_FN_REMOVED), 4);
    cr_assert_eq(fx.td.vf_removed, 3);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_REMOVED);
    uint16_t r;
    cr_assert_eq(pcie_fabric_next_rid(fx.f, -1, &r), SIM_ENOENT);
    cr_assert_eq(pcie_fn_hot_add(fx.f, PF_RID), 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_READY);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_VENDOR_ID, 2), 0x8086);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_COMMAND, 2), 0, "fresh config space");
    cr_assert_neq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0, 4) & ~0xfu, 0, "BARs re-assigned");
    fx_enable_vfs(&fx, 1, true);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_READY);
}

static void
ack_on_request(void *ctx, const struct pcie_event *ev)
{
    struct pcie_fabric *f = ctx;
    if (ev->type == PCIE_EV_FN_REMOVE_REQUESTED)
        cr_assert_eq(pcie_fn_remove_ack(f, ev->rid), 0);
}

Test(pcie_hotplug, graceful_removal_with_ack)
{
    fx_enable_vfs(&fx, 1, true);
    uint16_t vf0 = 0x180;
    static struct pcie_subscription drv;
    memset(&drv, 0, sizeof(drv));
    evl.n = 0;
    cr_assert_eq(pcie_fabric_subscribe(fx.f, &drv, ack_on_request, fx.f), 0);
    cr_assert_eq(pcie_fn_remove_request(fx.f, vf0, SIM_SEC(5)), 0);
    cr_assert_eq(evl.ev[0].type, PCIE_EV_FN_REMOVE_REQUESTED);
    cr_assert_eq(evl.ev[1].type, PCIE_EV_FN_REMOVED);
    cr_assert_not(evl.ev[1].surprise);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_REMOVED);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(evl.n, 2, "the timeout timer was cancelled");
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.graceful_removals, 1);
    cr_assert_eq(st.surprise_removals, 0);
}

Test(pcie_hotplug, graceful_removal_times_out_into_surprise)
{
    cr_assert_eq(pcie_fn_remove_request(fx.f, PF_RID, SIM_MSEC(500)), 0);
    cr_assert_eq(pcie_fn_remove_request(fx.f, PF_RID, SIM_MSEC(500)), SIM_EBUSY);
    uint64_t v;
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 0, 8, &v), 0, "usable until removed");
    sim_sched_run(fx.s, SIM_MSEC(499));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_READY);
    sim_sched_run(fx.s, SIM_MSEC(500));
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_REMOVED);
    const struct pcie_event *last = &evl.ev[evl.n - 1];
    cr_assert_eq(last->type, PCIE_EV_FN_REMOVED);
    cr_assert(last->surprise && last->timed_out);
    cr_assert_eq(last->time, SIM_MSEC(500));
    cr_assert_eq(pcie_fn_remove_ack(fx.f, PF_RID), SIM_ENODEV, "too late");
}

Test(pcie_hotplug, ack_without_request_is_refused)
{
    cr_assert_eq(pcie_fn_remove_ack(fx.f, PF_RID), SIM_ESTATE);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_READY);
}

/* The device model's MMIO read is in progress when the function is surprise-removed. */
static void
remove_mid_read(struct test_dev *td, struct pcie_fn *fn)
{
    td->in_read = NULL;
    cr_assert_eq(pcie_fn_surprise_remove(td->f, pcie_fn_rid(fn)), 0);
}

Test(pcie_hotplug, removal_while_mmio_in_flight)
{
    fx.td.regs[0][2] = 0x1234;
    uint64_t v;
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 16, 8, &v), 0);
    cr_assert_eq(v, 0x1234);
    fx.td.in_read = remove_mid_read;
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 16, 8, &v), SIM_ENODEV);
    cr_assert_eq(v, UINT64_MAX, "completion never came back: all-ones");
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.mmio_aborted, 1);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_REMOVED);
}

/* Destroying the PF from inside its own MMIO callback is deferred until the access returns. */
static void
destroy_mid_read(struct test_dev *td, struct pcie_fn *fn)
{
    td->in_read = NULL;
    pcie_pf_destroy(pcie_fn_pf(fn));
}

Test(pcie_hotplug, pf_destroy_during_mmio_is_deferred)
{
    fx_enable_vfs(&fx, 1, true);
    fx.td.in_read = destroy_mid_read;
    uint64_t v;
    cr_assert_eq(pcie_mmio_read(fx.f, 0x180, 0, 0, 8, &v), 0,
                 "the access itself completed before the destroy ran");
    cr_assert_eq(pcie_fabric_fn_state(fx.f, PF_RID), PCIE_FN_ABSENT);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, 0x180), PCIE_FN_ABSENT);
    fx.pf = NULL;
}

Test(pcie_hotplug, mmio_rules)
{
    uint64_t v;
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 0x80000, 4, &v), SIM_ERANGE, "past BAR end");
    cr_assert_eq(v, 0xffffffff);
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 2, 0, 4, &v), SIM_ERANGE, "no BAR2");
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 2, 4, &v), SIM_EINVAL, "misaligned");
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 6, 0, 4, &v), SIM_EINVAL);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_COMMAND, 2, PCIE_CMD_MASTER); /* MSE off */
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 0, 0, 2, &v), SIM_ENODEV);
    cr_assert_eq(v, 0xffff);
    cr_assert_eq(fx.td.mmio_reads, 0);
}

static int unsub_calls;
static struct pcie_subscription sub_a, sub_b;
static void
unsub_other(void *ctx, const struct pcie_event *ev)
{
    unsub_calls++;
    pcie_fabric_unsubscribe(&sub_b);
}
static void
never(void *ctx, const struct pcie_event *ev)
{
    cr_assert_fail("unsubscribed during dispatch, must not run");
}

Test(pcie_hotplug, unsubscribe_during_dispatch)
{
    memset(&sub_a, 0, sizeof(sub_a));
    memset(&sub_b, 0, sizeof(sub_b));
    cr_assert_eq(pcie_fabric_subscribe(fx.f, &sub_a, unsub_other, NULL), 0);
    cr_assert_eq(pcie_fabric_subscribe(fx.f, &sub_b, never, NULL), 0);
    cr_assert_eq(pcie_fabric_subscribe(fx.f, &sub_b, never, NULL), SIM_EINVAL, "twice");
    pcie_fn_surprise_remove(fx.f, PF_RID);
    cr_assert_eq(unsub_calls, 1);
    cr_assert_eq(evl.n, 1);
    pcie_fabric_unsubscribe(&sub);
    pcie_fabric_unsubscribe(&sub);
    pcie_fn_hot_add(fx.f, PF_RID);
    cr_assert_eq(evl.n, 1, "no events after unsubscribe");
}
