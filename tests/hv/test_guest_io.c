/* SPDX-License-Identifier: MIT */
/*
 * test_guest_io.c — isolation of a rogue guest VF driver at the hypervisor (issue 13 item 4):
 * MMIO to another function's BAR, config access to another function, config writes to the
 * read-only identity registers and the BARs, DMA outside the VM's memory. Each attempt is
 * blocked, counted for the partition that tried, logged with what was attempted, and the
 * other VM's function is left exactly as it was.
 */
#include "hv_test.h"

static struct hvt t;
static char last_log[256];
static int log_lines;

static void
log_sink(void *ctx, const char *ns, enum sim_log_level level, int64_t time_ns, const char *text)
{
    snprintf(last_log, sizeof last_log, "%s", text);
    log_lines++;
}

static void
noop_arrival(void *ctx, struct hv_vpci_dev *dev)
{
}

static const struct hv_vpci_guest_ops gops = {.arrival = noop_arrival};

/* vm1 gets VF 0, vm2 gets VF 1; both arrived. */
static void
setup(struct hv_vpci_dev **d1, struct hv_vpci_dev **d2)
{
    hvt_setup(&t);
    hv_vpci_guest_set_ops(t.vm1, &gops, NULL);
    hv_vpci_guest_set_ops(t.vm2, &gops, NULL);
    struct sim_diag d = {0};
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(0), NULL, d1, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_vpci_offer(t.vm2, hvt_vf_rid(1), NULL, d2, &d), 0, "%s", d.reason);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(hv_vpci_dev_state(*d1), HV_VPCI_PRESENT);
    (void)sim_log_configure("warn", NULL);
    sim_log_set_sink(log_sink, NULL);
    log_lines = 0;
}

static void
teardown(void)
{
    sim_log_set_sink(NULL, NULL);
    hvt_teardown(&t);
}

Test(hv_guest_io, mmio_to_another_functions_bar_is_blocked_counted_and_logged)
{
    struct hv_vpci_dev *d1, *d2;
    setup(&d1, &d2);
    struct hv_guest_io_stats s;
    uint64_t v = 0;
    /* Its own VF: the fabric's answer, never a refusal. */
    cr_assert_neq(hv_guest_mmio_write(t.vm1, hvt_vf_rid(0), 0, 0x200, 4, 1), SIM_EPERM);
    hv_guest_io_stats(t.vm1, &s);
    cr_assert_eq(s.mmio_blocked, 0);
    /* vm2's VF and the host's PF. */
    cr_assert_eq(hv_guest_mmio_write(t.vm1, hvt_vf_rid(1), 0, 0x200, 4, 0xbad), SIM_EPERM);
    cr_assert(strstr(last_log, "vm1: MMIO write of 4 bytes at") != NULL, "%s", last_log);
    cr_assert(strstr(last_log, "BAR0+0x200 blocked: function not assigned") != NULL, "%s",
              last_log);
    cr_assert_eq(hv_guest_mmio_read(t.vm1, hvt_vf_rid(1), 0, 0x200, 4, &v), SIM_EPERM);
    cr_assert_eq(v, ~UINT64_C(0), "a blocked read returns all ones");
    cr_assert_eq(hv_guest_mmio_write(t.vm1, HVT_PF_RID, 0, 0, 8, 0), SIM_EPERM);
    /* A RID nobody has. */
    cr_assert_eq(hv_guest_mmio_write(t.vm1, PCIE_RID(9, 0, 0), 0, 0, 4, 0), SIM_EPERM);
    hv_guest_io_stats(t.vm1, &s);
    cr_assert_eq(s.mmio_blocked, 4);
    cr_assert_eq(log_lines, 4);
    hv_guest_io_stats(t.vm2, &s);
    cr_assert_eq(s.mmio_blocked, 0, "counted for the partition that tried");
    teardown();
}

Test(hv_guest_io, a_device_reaches_the_guest_only_while_it_is_offered)
{
    struct hv_vpci_dev *d1, *d2;
    setup(&d1, &d2);
    cr_assert_neq(hv_guest_mmio_write(t.vm1, hvt_vf_rid(0), 0, 0, 4, 0), SIM_EPERM);
    hv_vpci_revoke(d1);
    cr_assert_eq(hv_guest_mmio_write(t.vm1, hvt_vf_rid(0), 0, 0, 4, 0), SIM_EPERM,
                 "a revoked VF is out of the guest's reach");
    uint32_t c;
    cr_assert_eq(hv_guest_cfg_read(t.vm1, hvt_vf_rid(0), 0, 4, &c), SIM_EPERM);
    cr_assert_eq(c, UINT32_MAX);
    /* Offered but not arrived yet: not reachable either. */
    struct hv_vpci_dev *d3;
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(2), NULL, &d3, NULL), 0);
    cr_assert_eq(hv_guest_cfg_read(t.vm1, hvt_vf_rid(2), 0, 4, &c), SIM_EPERM);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(hv_guest_cfg_read(t.vm1, hvt_vf_rid(2), 0, 4, &c), 0);
    teardown();
}

Test(hv_guest_io, config_writes_to_read_only_registers_and_other_functions_are_blocked)
{
    struct hv_vpci_dev *d1, *d2;
    setup(&d1, &d2);
    uint16_t mine = hvt_vf_rid(0), theirs = hvt_vf_rid(1);
    uint32_t id0, cls0, bar0, cmd_theirs0, v;
    cr_assert_eq(pcie_cfg_read(t.f, mine, 0, 4, &id0), 0);
    cr_assert_eq(pcie_cfg_read(t.f, mine, 8, 4, &cls0), 0);
    cr_assert_eq(pcie_cfg_read(t.f, mine, 0x10, 4, &bar0), 0);
    cr_assert_eq(pcie_cfg_read(t.f, theirs, 4, 2, &cmd_theirs0), 0);
    /* The guest reads its own VF's identity. */
    cr_assert_eq(hv_guest_cfg_read(t.vm1, mine, 0, 4, &v), 0);
    cr_assert_eq(v, id0);
    /* Its identity, class code and BARs cannot be written, at any width or alignment. */
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0, 4, 0x12345678), SIM_EPERM);
    cr_assert(strstr(last_log, "config+0x000 blocked: vendor/device id") != NULL, "%s", last_log);
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 2, 2, 0x1234), SIM_EPERM);
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0x0b, 1, 0xff), SIM_EPERM);
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0x10, 4, 0xfee00000u), SIM_EPERM);
    cr_assert(strstr(last_log, "BARs") != NULL, "%s", last_log);
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0x2e, 2, 0x1), SIM_EPERM);
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0x0e, 4, 0x1), SIM_EPERM,
                 "0x0e..0x11 reaches into BAR0");
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 0x0c, 1, 0x10), 0, "cache line size is RW");
    struct hv_guest_io_stats s;
    hv_guest_io_stats(t.vm1, &s);
    cr_assert_eq(s.cfg_ro_blocked, 6);
    cr_assert_eq(pcie_cfg_read(t.f, mine, 0, 4, &v), 0);
    cr_assert_eq(v, id0, "identity unchanged");
    cr_assert_eq(pcie_cfg_read(t.f, mine, 8, 4, &v), 0);
    cr_assert_eq(v, cls0);
    cr_assert_eq(pcie_cfg_read(t.f, mine, 0x10, 4, &v), 0);
    cr_assert_eq(v, bar0);
    /* The command register of its own VF is the guest's to write. */
    cr_assert_eq(hv_guest_cfg_write(t.vm1, mine, 4, 2, 0x0006), 0);
    /* Another VM's function: not even the command register. */
    cr_assert_eq(hv_guest_cfg_write(t.vm1, theirs, 4, 2, 0x0000), SIM_EPERM);
    cr_assert(strstr(last_log, "not assigned") != NULL, "%s", last_log);
    cr_assert_eq(pcie_cfg_read(t.f, theirs, 4, 2, &v), 0);
    cr_assert_eq(v, cmd_theirs0, "vm2's VF untouched");
    hv_guest_io_stats(t.vm1, &s);
    cr_assert_eq(s.cfg_blocked, 1);
    hv_guest_io_stats(t.vm2, &s);
    cr_assert_eq(s.cfg_blocked + s.cfg_ro_blocked + s.mmio_blocked, 0);
    teardown();
}

Test(hv_guest_io, dma_outside_the_vms_memory_is_blocked_and_recorded)
{
    struct hv_vpci_dev *d1, *d2;
    setup(&d1, &d2);
    uint8_t b = 0x5a;
    uint64_t f0 = pcie_iommu_fault_count(t.f);
    /* vm1 has HVT_MEM bytes; vm2 has memory at that GPA. */
    cr_assert_eq(pcie_dma_write(t.f, hvt_vf_rid(0), HVT_MEM + 0x1000, &b, 1), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_fault_count(t.f), f0 + 1);
    struct pcie_iommu_fault fl;
    cr_assert_eq(pcie_iommu_fault_get(t.f, (unsigned)f0, &fl), 0);
    cr_assert_eq(fl.rid, hvt_vf_rid(0));
    cr_assert_eq(fl.reason, PCIE_FAULT_NOT_MAPPED);
    uint8_t got = 0;
    cr_assert_eq(hv_gpa_read(t.vm2, HVT_MEM + 0x1000, &got, 1), 0);
    cr_assert_eq(got, 0, "vm2's memory untouched");
    /* vm2's VF still reaches vm2's memory. */
    cr_assert_eq(pcie_dma_write(t.f, hvt_vf_rid(1), HVT_MEM + 0x1000, &b, 1), 0);
    cr_assert_eq(hv_gpa_read(t.vm2, HVT_MEM + 0x1000, &got, 1), 0);
    cr_assert_eq(got, 0x5a);
    teardown();
}
