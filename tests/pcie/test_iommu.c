/* SPDX-License-Identifier: MIT */
/* test_iommu.c — the IOMMU: per-RID domains and RID groups, map/unmap/translate, the IOTLB fast
 * path and its invalidation on unmap, faults recorded and reported, rogue DMA that must not
 * touch memory outside its domain, the iotlb_disabled knob both ways, OOM sweeps. */
#include "pcie_test.h"

#define PG 4096

static struct fixture fx;
static struct ev_log evl;
static struct pcie_subscription sub;
/* Host memory: guard | guest page 0 | guest page 1 | guard, filled with patterns. */
static uint8_t host[4 * PG];
static uint8_t *guest = host + PG;

static void
setup(void)
{
    fx_setup(&fx);
    memset(&evl, 0, sizeof(evl));
    memset(&sub, 0, sizeof(sub));
    pcie_fabric_subscribe(fx.f, &sub, ev_record, &evl);
    memset(host, 0xee, sizeof(host));
    memset(guest, 0x11, 2 * PG);
    cr_assert_eq(pcie_fn_enable(fx.f, PF_RID), 0);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_iommu, .init = setup, .fini = teardown);

static struct pcie_iommu_domain *
domain_with_guest(uint16_t rid, uint64_t iova, unsigned perm)
{
    struct pcie_iommu_domain *d;
    cr_assert_eq(pcie_iommu_domain_create(fx.f, "vm1", &d), 0);
    cr_assert_eq(pcie_iommu_attach(d, rid), 0);
    struct sim_diag dg = {0};
    cr_assert_eq(pcie_iommu_map(d, iova, guest, 2 * PG, perm, &dg), 0, "%s", dg.reason);
    return d;
}

static void
assert_guards_untouched(void)
{
    for (int i = 0; i < PG; i++) {
        cr_assert_eq(host[i], 0xee, "guard before the domain was touched at %d", i);
        cr_assert_eq(host[3 * PG + i], 0xee, "guard after the domain was touched at %d", i);
    }
}

Test(pcie_iommu, dma_write_and_read_through_mapping)
{
    domain_with_guest(PF_RID, 0x100000, PCIE_IOMMU_PERM_RW);
    uint8_t buf[100];
    memset(buf, 0x42, sizeof(buf));
    /* crosses the page boundary inside the mapping */
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000 + PG - 50, buf, sizeof(buf)), 0);
    cr_assert_eq(guest[PG - 50], 0x42);
    cr_assert_eq(guest[PG + 49], 0x42);
    cr_assert_eq(guest[PG + 50], 0x11);
    uint8_t back[100];
    cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000 + PG - 50, back, sizeof(back)), 0);
    cr_assert_eq(memcmp(buf, back, sizeof(buf)), 0);
    void *h;
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x100010, 8, PCIE_DMA_READ, &h), 0);
    cr_assert_eq(h, guest + 0x10);
    assert_guards_untouched();
}

Test(pcie_iommu, rogue_dma_outside_domain_touches_nothing)
{
    domain_with_guest(PF_RID, 0x100000, PCIE_IOMMU_PERM_RW);
    uint8_t buf[64];
    memset(buf, 0x99, sizeof(buf));
    /* Straddles the end of the mapping: must be refused as a whole. */
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000 + 2 * PG - 8, buf, sizeof(buf)), SIM_EFAULT);
    cr_assert_eq(guest[2 * PG - 8], 0x11, "not even the mapped part was written");
    /* Entirely below and above. */
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000 - PG, buf, sizeof(buf)), SIM_EFAULT);
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000 + 2 * PG, buf, sizeof(buf)), SIM_EFAULT);
    uint8_t rd[64];
    memset(rd, 0, sizeof(rd));
    cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000 - 16, rd, sizeof(rd)), SIM_EFAULT);
    for (size_t i = 0; i < sizeof(rd); i++)
        cr_assert_eq(rd[i], 0, "nothing read outside the domain");
    /* A huge length that would wrap the address space. */
    cr_assert_eq(pcie_dma_read(fx.f, PF_RID, UINT64_MAX - 8, rd, 64), SIM_EFAULT);
    assert_guards_untouched();
    for (int i = 0; i < 2 * PG; i++)
        cr_assert_eq(guest[i], 0x11);
    cr_assert_eq(pcie_iommu_fault_count(fx.f), 5);
    cr_assert_eq(ev_count(&evl, PCIE_EV_IOMMU_FAULT), 5);
}

Test(pcie_iommu, fault_record_has_rid_address_direction_time)
{
    domain_with_guest(PF_RID, 0x100000, PCIE_IOMMU_PERM_READ);
    sim_sched_run(fx.s, SIM_MSEC(3));
    uint8_t buf[16] = {0};
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100040, buf, 16), SIM_EFAULT, "read-only");
    struct pcie_iommu_fault ft;
    cr_assert_eq(pcie_iommu_fault_get(fx.f, 0, &ft), 0);
    cr_assert_eq(ft.rid, PF_RID);
    cr_assert_eq(ft.iova, 0x100040);
    cr_assert_eq(ft.len, 16);
    cr_assert_eq(ft.dir, PCIE_DMA_WRITE);
    cr_assert_eq(ft.reason, PCIE_FAULT_PERMISSION);
    cr_assert_eq(ft.time, SIM_MSEC(3));
    cr_assert_eq(evl.faults[0].iova, 0x100040, "the event carries the record");
    cr_assert_eq(evl.ev[0].rid, PF_RID);
    cr_assert_eq(guest[0x40], 0x11);
    /* Second fault: crossing into unmapped space reports the first bad byte. */
    cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000 + 2 * PG - 4, buf, 16), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_fault_get(fx.f, 0, &ft), 0);
    cr_assert_eq(ft.reason, PCIE_FAULT_NOT_MAPPED);
    cr_assert_eq(ft.iova, 0x100000 + 2 * PG);
    cr_assert_eq(ft.dir, PCIE_DMA_READ);
    cr_assert_eq(pcie_iommu_fault_get(fx.f, 1, &ft), 0);
    cr_assert_eq(ft.reason, PCIE_FAULT_PERMISSION, "older record is index 1");
    cr_assert_eq(pcie_iommu_fault_get(fx.f, 2, &ft), SIM_ENOENT);
}

Test(pcie_iommu, no_context_faults_and_isolation_between_rids)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0), vf1 = PCIE_RID(1, 0x10, 2);
    pcie_fn_enable(fx.f, vf0);
    pcie_fn_enable(fx.f, vf1);
    domain_with_guest(vf0, 0x0, PCIE_IOMMU_PERM_RW);
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_eq(pcie_dma_write(fx.f, vf0, 0x10, buf, 8), 0);
    /* VF 1 has no context: the same IOVA is blocked. */
    cr_assert_eq(pcie_dma_write(fx.f, vf1, 0x20, buf, 8), SIM_EFAULT);
    cr_assert_eq(guest[0x20], 0x11);
    struct pcie_iommu_fault ft;
    pcie_iommu_fault_get(fx.f, 0, &ft);
    cr_assert_eq(ft.reason, PCIE_FAULT_NO_CONTEXT);
    cr_assert_eq(ft.rid, vf1);
    cr_assert(evl.ev[evl.n - 1].is_vf);
    /* A second domain for VF 1 over other memory. */
    static uint8_t other[PG];
    struct pcie_iommu_domain *d2;
    cr_assert_eq(pcie_iommu_domain_create(fx.f, "vm2", &d2), 0);
    cr_assert_eq(pcie_iommu_attach(d2, vf1), 0);
    cr_assert_eq(pcie_iommu_map(d2, 0x0, other, PG, PCIE_IOMMU_PERM_RW, NULL), 0);
    cr_assert_eq(pcie_dma_write(fx.f, vf1, 0x20, buf, 8), 0);
    cr_assert_eq(other[0x20], 1);
    cr_assert_eq(guest[0x20], 0x11, "VF 1 reached its own memory, not VF 0's");
}

Test(pcie_iommu, group_of_rids_shares_a_domain)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0), vf1 = PCIE_RID(1, 0x10, 2);
    pcie_fn_enable(fx.f, vf0);
    pcie_fn_enable(fx.f, vf1);
    struct pcie_iommu_domain *d = domain_with_guest(vf0, 0x0, PCIE_IOMMU_PERM_RW);
    cr_assert_eq(pcie_iommu_attach(d, vf1), 0);
    cr_assert_eq(pcie_iommu_attach(d, vf1), 0, "idempotent");
    uint8_t b = 7;
    cr_assert_eq(pcie_dma_write(fx.f, vf1, 0x5, &b, 1), 0);
    cr_assert_eq(guest[5], 7);
    struct pcie_iommu_domain *d2;
    cr_assert_eq(pcie_iommu_domain_create(fx.f, "other", &d2), 0);
    cr_assert_eq(pcie_iommu_attach(d2, vf1), SIM_EBUSY, "one domain per RID");
    cr_assert_eq(pcie_iommu_detach(fx.f, vf1), 0);
    cr_assert_eq(pcie_iommu_detach(fx.f, vf1), SIM_ENOENT);
    cr_assert_eq(pcie_dma_write(fx.f, vf1, 0x5, &b, 1), SIM_EFAULT);
    pcie_iommu_domain_destroy(d);
    cr_assert_eq(pcie_dma_write(fx.f, vf0, 0x5, &b, 1), SIM_EFAULT, "destroy detaches");
}

Test(pcie_iommu, iotlb_fast_path_and_invalidation_on_unmap)
{
    struct pcie_iommu_domain *d = domain_with_guest(PF_RID, 0x100000, PCIE_IOMMU_PERM_RW);
    uint8_t b[4];
    struct pcie_stats st;
    cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000, b, 4), 0);
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.iotlb_misses, 1);
    cr_assert_eq(st.iotlb_hits, 0);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000 + 8 * i, b, 4), 0);
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.iotlb_hits, 10, "repeated access hits the IOTLB");
    cr_assert_eq(st.iotlb_misses, 1);
    /* Unmap page 0: the cached translation must not let a DMA through. */
    cr_assert_eq(pcie_iommu_unmap(d, 0x100000, PG), 0);
    pcie_fabric_stats(fx.f, &st);
    cr_assert_geq(st.iotlb_invalidations, 1);
    memset(b, 0x77, 4);
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000, b, 4), SIM_EFAULT);
    cr_assert_eq(guest[0], 0x11);
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0x100000 + PG, b, 4), 0, "page 1 still mapped");
    cr_assert_eq(guest[PG], 0x77);
}

Test(pcie_iommu, knob_iotlb_disabled_both_ways)
{
    domain_with_guest(PF_RID, 0x100000, PCIE_IOMMU_PERM_RW);
    uint8_t b[4];
    struct pcie_stats st;
    pcie_fabric_knobs(fx.f)->iotlb_disabled = true;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000, b, 4), 0);
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.iotlb_hits, 0);
    cr_assert_eq(st.iotlb_misses, 5);
    pcie_fabric_knobs(fx.f)->iotlb_disabled = false;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(pcie_dma_read(fx.f, PF_RID, 0x100000, b, 4), 0);
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.iotlb_hits, 4);
    cr_assert_eq(st.iotlb_misses, 6);
}

Test(pcie_iommu, map_rules_and_split_unmap)
{
    struct pcie_iommu_domain *d;
    cr_assert_eq(pcie_iommu_domain_create(fx.f, "vm", &d), 0);
    cr_assert_eq(pcie_iommu_attach(d, PF_RID), 0);
    struct sim_diag dg = {0};
    cr_assert_eq(pcie_iommu_map(d, 0x1001, guest, PG, PCIE_IOMMU_PERM_RW, &dg), SIM_EINVAL);
    cr_assert_eq(pcie_iommu_map(d, 0x1000, guest, 100, PCIE_IOMMU_PERM_RW, &dg), SIM_EINVAL);
    cr_assert_eq(pcie_iommu_map(d, 0x1000, guest, PG, 0, &dg), SIM_EINVAL);
    /* 3 pages 0x10000..0x12fff: guard page + 2 guest pages */
    cr_assert_eq(pcie_iommu_map(d, 0x10000, host, 3 * PG, PCIE_IOMMU_PERM_RW, &dg), 0);
    cr_assert_eq(pcie_iommu_map(d, 0x12000, guest, PG, PCIE_IOMMU_PERM_RW, &dg), SIM_EEXIST);
    cr_assert(strstr(dg.reason, "overlaps"), "%s", dg.reason);
    /* Unmap the middle page: head and tail stay, at the right host addresses. */
    cr_assert_eq(pcie_iommu_unmap(d, 0x11000, PG), 0);
    void *h;
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x10000, 1, PCIE_DMA_READ, &h), 0);
    cr_assert_eq(h, host);
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x11000, 1, PCIE_DMA_READ, &h), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x12000, 1, PCIE_DMA_READ, &h), 0);
    cr_assert_eq(h, host + 2 * PG);
    /* Unmap a range covering the tail and beyond, then remap the hole. */
    cr_assert_eq(pcie_iommu_unmap(d, 0x12000, 4 * PG), 0);
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x12000, 1, PCIE_DMA_READ, &h), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_map(d, 0x11000, guest, 2 * PG, PCIE_IOMMU_PERM_WRITE, &dg), 0);
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x11ff0, 0x20, PCIE_DMA_WRITE, &h), 0);
    cr_assert_eq(h, guest + 0xff0);
    /* Not contiguous in host memory across 0x10fff/0x11000: no single pointer. */
    cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0x10ff0, 0x20, PCIE_DMA_READ, &h), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_unmap(d, 0x123, PG), SIM_EINVAL);
    cr_assert_eq(pcie_iommu_fault_count(fx.f), 0, "translate never records faults");
}

Test(pcie_iommu, dma_needs_bus_master_and_a_present_function)
{
    domain_with_guest(PF_RID, 0, PCIE_IOMMU_PERM_RW);
    uint8_t b = 1;
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY);
    cr_assert_eq(pcie_dma_write(fx.f, PF_RID, 0, &b, 1), SIM_EPERM);
    cr_assert_eq(pcie_dma_write(fx.f, PCIE_RID(9, 0, 0), 0, &b, 1), SIM_ENODEV);
    cr_assert_eq(guest[0], 0x11);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.dma_blocked, 2);
    cr_assert_eq(pcie_iommu_fault_count(fx.f), 0);
}

Test(pcie_iommu, domain_and_map_oom_sweep)
{
    for (long n = 0;; n++) {
        long before = sim_alloc_live_total();
        struct pcie_iommu_domain *d = NULL;
        sim_alloc_fail_nth(n);
        int err = pcie_iommu_domain_create(fx.f, "x", &d);
        int err2 = err ? err : pcie_iommu_map(d, 0, guest, PG, PCIE_IOMMU_PERM_RW, NULL);
        sim_alloc_fail_nth(-1);
        if (!err && !err2) {
            cr_assert_geq(n, 1);
            pcie_iommu_domain_destroy(d);
            cr_assert_eq(sim_alloc_live_total(), before);
            break;
        }
        cr_assert_eq(err ? err : err2, SIM_ENOMEM);
        if (!err) {
            void *h;
            cr_assert_eq(pcie_iommu_attach(d, PF_RID), 0);
            cr_assert_eq(pcie_iommu_translate(fx.f, PF_RID, 0, 1, PCIE_DMA_READ, &h), SIM_EFAULT,
                         "failed map changed nothing");
            pcie_iommu_domain_destroy(d);
        }
        cr_assert_eq(sim_alloc_live_total(), before, "n=%ld leaked", n);
    }
}
