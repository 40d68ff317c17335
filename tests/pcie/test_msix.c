/* SPDX-License-Identifier: MIT */
/* test_msix.c — MSI-X: delivery through the scheduler, per-vector and function masking with
 * pending bits, table/PBA by MMIO, coalescing, Enable / Bus Master requirements, the msix_lost
 * knob both ways. */
#include "pcie_test.h"

static struct fixture fx;

struct irq_log {
    int count[64];
    sim_time_t at[64];
    uint16_t rid;
} irq;

static void
handler(void *ctx, uint16_t rid, uint16_t vector)
{
    struct irq_log *l = ctx;
    l->count[vector]++;
    l->at[vector] = sim_sched_now(fx.s);
    l->rid = rid;
}

static void
setup(void)
{
    fx_setup(&fx);
    memset(&irq, 0, sizeof(irq));
    cr_assert_eq(pcie_fn_enable(fx.f, PF_RID), 0);
    for (uint16_t v = 0; v < 4; v++)
        cr_assert_eq(pcie_msix_connect(fx.f, PF_RID, v, handler, &irq), 0);
    cr_assert_eq(pcie_msix_enable(fx.f, PF_RID, true), 0);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_msix, .init = setup, .fini = teardown);

Test(pcie_msix, vectors_start_masked_and_stay_pending)
{
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 1), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[1], 0, "masked at reset");
    cr_assert(pcie_msix_is_pending(fx.f, PF_RID, 1));
    /* Unmasking delivers the pending vector (once) and clears its pending bit. */
    cr_assert_eq(pcie_msix_mask(fx.f, PF_RID, 1, false), 0);
    cr_assert_not(pcie_msix_is_pending(fx.f, PF_RID, 1));
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[1], 1);
    cr_assert_eq(irq.rid, PF_RID);
}

Test(pcie_msix, delivery_goes_through_the_scheduler)
{
    pcie_msix_mask(fx.f, PF_RID, 0, false);
    sim_sched_run(fx.s, SIM_MSEC(5));
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 0), 0);
    cr_assert_eq(irq.count[0], 0, "not synchronous");
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 1);
    cr_assert_eq(irq.at[0], SIM_MSEC(5) + PCIE_MSIX_LATENCY_NS);
    /* Two fires while one message is in flight coalesce into one interrupt. */
    pcie_msix_fire(fx.f, PF_RID, 0);
    pcie_msix_fire(fx.f, PF_RID, 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 2);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.msix_fired, 3);
    cr_assert_eq(st.msix_delivered, 2);
}

Test(pcie_msix, function_mask_holds_every_vector)
{
    pcie_msix_mask(fx.f, PF_RID, 2, false);
    pcie_msix_mask(fx.f, PF_RID, 3, false);
    uint16_t cap = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_MSIX, false);
    pcie_cfg_write(fx.f, PF_RID, cap + PCIE_MSIX_FLAGS, 2,
                   PCIE_MSIX_FLAGS_ENABLE | PCIE_MSIX_FLAGS_MASKALL);
    pcie_msix_fire(fx.f, PF_RID, 2);
    pcie_msix_fire(fx.f, PF_RID, 3);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[2] + irq.count[3], 0);
    cr_assert(pcie_msix_is_pending(fx.f, PF_RID, 2) && pcie_msix_is_pending(fx.f, PF_RID, 3));
    pcie_cfg_write(fx.f, PF_RID, cap + PCIE_MSIX_FLAGS, 2, PCIE_MSIX_FLAGS_ENABLE);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[2], 1);
    cr_assert_eq(irq.count[3], 1);
}

Test(pcie_msix, table_and_pba_by_mmio)
{
    /* Table in BAR4 at 0, PBA at 0x2000. Program vector 5: address, data, unmask. */
    cr_assert_eq(pcie_msix_connect(fx.f, PF_RID, 5, handler, &irq), 0);
    uint64_t v;
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 4, 5 * 16 + 12, 4, &v), 0);
    cr_assert_eq(v, 1, "vector control: masked at reset");
    cr_assert_eq(pcie_mmio_write(fx.f, PF_RID, 4, 5 * 16, 8, 0xfee00000ull), 0);
    cr_assert_eq(pcie_mmio_write(fx.f, PF_RID, 4, 5 * 16 + 8, 4, 0x4025), 0);
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 4, 5 * 16 + 8, 4, &v), 0);
    cr_assert_eq(v, 0x4025);
    pcie_msix_fire(fx.f, PF_RID, 5);
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 4, 0x2000, 8, &v), 0);
    cr_assert_eq(v, 1u << 5, "PBA shows vector 5 pending");
    cr_assert_eq(pcie_mmio_write(fx.f, PF_RID, 4, 0x2000, 8, 0), 0);
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 4, 0x2000, 8, &v), 0);
    cr_assert_eq(v, 1u << 5, "PBA is read-only");
    cr_assert_eq(pcie_mmio_write(fx.f, PF_RID, 4, 5 * 16 + 12, 4, 0), 0); /* unmask */
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[5], 1);
    cr_assert_eq(pcie_mmio_read(fx.f, PF_RID, 4, 0x2000, 8, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(fx.td.mmio_reads + fx.td.mmio_writes, 0, "never reached the device model");
}

Test(pcie_msix, disabled_or_no_bus_master_drops)
{
    pcie_msix_mask(fx.f, PF_RID, 0, false);
    pcie_msix_enable(fx.f, PF_RID, false);
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 0), SIM_ESTATE);
    pcie_msix_enable(fx.f, PF_RID, true);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY); /* BME off */
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 0), SIM_ESTATE);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 0);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.msix_disabled, 2);
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 64), SIM_ERANGE);
    cr_assert_eq(pcie_msix_fire(fx.f, PCIE_RID(7, 0, 0), 0), SIM_ENODEV);
}

Test(pcie_msix, unhandled_vector_is_counted)
{
    pcie_msix_mask(fx.f, PF_RID, 9, false);
    pcie_msix_fire(fx.f, PF_RID, 9);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.msix_unhandled, 1);
    pcie_msix_disconnect(fx.f, PF_RID, 0);
    pcie_msix_mask(fx.f, PF_RID, 0, false);
    pcie_msix_fire(fx.f, PF_RID, 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 0);
}

Test(pcie_msix, knob_msix_lost_both_ways)
{
    pcie_msix_mask(fx.f, PF_RID, 0, false);
    pcie_fabric_knobs(fx.f)->msix_lost = true;
    cr_assert_eq(pcie_msix_fire(fx.f, PF_RID, 0), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 0);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.msix_lost, 1);
    pcie_fabric_knobs(fx.f)->msix_lost = false;
    pcie_msix_fire(fx.f, PF_RID, 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(irq.count[0], 1);
}

Test(pcie_msix, vf_vectors_are_separate)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf1 = PCIE_RID(1, 0x10, 2);
    cr_assert_eq(pcie_fn_enable(fx.f, vf1), 0);
    static struct irq_log virq;
    memset(&virq, 0, sizeof(virq));
    cr_assert_eq(pcie_msix_connect(fx.f, vf1, 2, handler, &virq), 0);
    cr_assert_eq(pcie_msix_connect(fx.f, vf1, 3, handler, &virq), SIM_ERANGE, "3 vectors");
    pcie_msix_enable(fx.f, vf1, true);
    pcie_msix_mask(fx.f, vf1, 2, false);
    cr_assert_eq(pcie_msix_fire(fx.f, vf1, 2), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(virq.count[2], 1);
    cr_assert_eq(virq.rid, vf1);
    cr_assert_eq(irq.count[2], 0, "the PF's vector 2 is another vector");
}
