/* SPDX-License-Identifier: MIT */
/* hv_test.h — shared fixture for the hv tests: a virtual-clock scheduler, a PCIe fabric with an
 * SR-IOV PF (4 VFs, ARI, offset 0x80, stride 2) whose VFs are enabled and bus-master capable, a
 * root partition and two guest partitions. */
#ifndef SRIOVSIM_TESTS_HV_TEST_H
#define SRIOVSIM_TESTS_HV_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "hv/hv.h"

#define HVT_PF_RID  PCIE_RID(1, 0, 0)
#define HVT_NUM_VFS 4
#define HVT_MEM     (UINT64_C(4) << 20)

struct hvt {
    struct sim_sched *s;
    struct pcie_fabric *f;
    struct pcie_fn *pf;
    struct hv_partition *root, *vm1, *vm2;
};

static inline uint16_t
hvt_vf_rid(uint16_t i)
{
    return (uint16_t)(HVT_PF_RID + 0x80 + 2 * i);
}

static inline struct pcie_pf_config
hvt_pf_config(void)
{
    struct pcie_pf_config c = {
        .rid = HVT_PF_RID,
        .vendor_id = 0x8086,
        .device_id = 0x10fb,
        .bars = {[0] = {.size = 0x80000, .is_64 = true, .prefetchable = true}},
        .ari = true,
        .total_vfs = 8,
        .vf_offset = 0x80,
        .vf_stride = 2,
        .vf_device_id = 0x10ed,
        .vf_bars = {[0] = {.size = 0x4000, .is_64 = true, .prefetchable = true}},
    };
    return c;
}

static inline void
hvt_partition(struct hvt *t, uint32_t id, const char *name, enum hv_partition_kind kind,
              uint64_t mem, struct hv_partition **out)
{
    struct hv_partition_config c;
    hv_partition_config_init(&c);
    c.id = id;
    c.name = name;
    c.kind = kind;
    c.mem_size = mem;
    struct sim_diag d = {0};
    int err = hv_partition_create(t->s, t->f, &c, out, &d);
    cr_assert_eq(err, 0, "partition_create %s: %s", name, d.reason);
}

/* Fabric + PF + VFs enabled (clock advanced past the VF Enable delay) + root, vm1, vm2. */
static inline void
hvt_setup(struct hvt *t)
{
    memset(t, 0, sizeof(*t));
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &t->s), 0);
    cr_assert_eq(pcie_fabric_create(t->s, &t->f), 0);
    struct pcie_pf_config c = hvt_pf_config();
    struct sim_diag d = {0};
    cr_assert_eq(pcie_pf_create(t->f, &c, NULL, NULL, &t->pf, &d), 0, "%s", d.reason);
    cr_assert_eq(pcie_fn_enable(t->f, HVT_PF_RID), 0);
    cr_assert_eq(pcie_sriov_enable(t->f, HVT_PF_RID, HVT_NUM_VFS, true, &d), 0, "%s", d.reason);
    sim_sched_run(t->s, sim_sched_now(t->s) + PCIE_VF_ENABLE_DELAY_NS);
    for (uint16_t i = 0; i < HVT_NUM_VFS; i++)
        cr_assert_eq(pcie_fn_enable(t->f, hvt_vf_rid(i)), 0, "VF %u not ready", i);
    hvt_partition(t, 0, "root", HV_PARTITION_ROOT, HVT_MEM, &t->root);
    hvt_partition(t, 1, "vm1", HV_PARTITION_GUEST, HVT_MEM, &t->vm1);
    hvt_partition(t, 2, "vm2", HV_PARTITION_GUEST, 2 * HVT_MEM, &t->vm2);
}

static inline void
hvt_teardown(struct hvt *t)
{
    hv_partition_destroy(t->vm2);
    hv_partition_destroy(t->vm1);
    hv_partition_destroy(t->root);
    pcie_fabric_destroy(t->f);
    sim_sched_destroy(t->s);
    cr_assert_eq(sim_alloc_live_total(), 0, "leaked allocations");
}

#endif
