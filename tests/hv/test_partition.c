/* SPDX-License-Identifier: MIT */
/* test_partition.c — partitions: config validation, GPA allocation (page 0 reserved, alignment,
 * first fit, exhaustion, free/reuse, a random model), GPA translation bounds, the VM's IOMMU
 * domain (a VF attached to vm1 DMAs into vm1 only; detached it faults; a RID belongs to one
 * partition), OOM sweep of the constructor, no leaks. */
#include <stdlib.h>

#include "hv_test.h"

#define PG HV_PAGE_SIZE

static struct hvt t;

static void
setup(void)
{
    hvt_setup(&t);
}

static void
teardown(void)
{
    hvt_teardown(&t);
}

TestSuite(hv_partition, .init = setup, .fini = teardown);

Test(hv_partition, identity_and_defaults)
{
    cr_assert_str_eq(hv_partition_name(t.vm1), "vm1");
    cr_assert_eq(hv_partition_id(t.vm2), 2);
    cr_assert_eq(hv_partition_kind(t.root), HV_PARTITION_ROOT);
    cr_assert_eq(hv_partition_kind(t.vm1), HV_PARTITION_GUEST);
    cr_assert_eq(hv_partition_mem_size(t.vm2), 2 * HVT_MEM);
    cr_assert_eq(hv_partition_mem_used(t.vm1), PG, "page 0 is reserved, nothing else used");
    cr_assert_eq(hv_partition_sched(t.vm1), t.s);
    cr_assert_eq(hv_partition_fabric(t.vm1), t.f);
    cr_assert_not_null(hv_partition_iommu_domain(t.vm1));
    cr_assert_neq(pcie_iommu_domain_id(hv_partition_iommu_domain(t.vm1)),
                  pcie_iommu_domain_id(hv_partition_iommu_domain(t.vm2)));
    struct hv_partition_config c;
    hv_partition_config_init(&c);
    cr_assert_eq(c.mem_size, HV_PARTITION_MEM_DEFAULT);
    cr_assert_eq(c.vpci_offer_delay_ns, SIM_SEC(1));
    cr_assert_eq(c.vmbus_signal_latency_ns, HV_VMBUS_SIGNAL_LATENCY_NS);
}

Test(hv_partition, bad_configs_are_refused_with_a_reason)
{
    struct hv_partition_config c;
    struct hv_partition *p = NULL;
    struct sim_diag d = {0};
    hv_partition_config_init(&c);
    c.name = "bad";
    c.mem_size = 3 * PG + 1;
    cr_assert_eq(hv_partition_create(t.s, t.f, &c, &p, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "multiple of 4096") != NULL, "%s", d.reason);
    c.mem_size = PG;
    cr_assert_eq(hv_partition_create(t.s, t.f, &c, &p, &d), SIM_EINVAL);
    c.mem_size = HV_PARTITION_MEM_MAX + PG;
    cr_assert_eq(hv_partition_create(t.s, t.f, &c, &p, &d), SIM_EINVAL);
    c.mem_size = 4 * PG;
    c.vpci_offer_delay_ns = -1;
    cr_assert_eq(hv_partition_create(t.s, t.f, &c, &p, &d), SIM_EINVAL);
    c.vpci_offer_delay_ns = 0;
    c.kind = (enum hv_partition_kind)7;
    cr_assert_eq(hv_partition_create(t.s, t.f, &c, &p, &d), SIM_EINVAL);
    cr_assert_eq(hv_partition_create(NULL, t.f, &c, &p, &d), SIM_EINVAL);
    cr_assert_null(p);
    /* A fabric driven by another scheduler is refused. */
    struct sim_sched *s2;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s2), 0);
    c.kind = HV_PARTITION_GUEST;
    cr_assert_eq(hv_partition_create(s2, t.f, &c, &p, &d), SIM_EINVAL);
    sim_sched_destroy(s2);
}

Test(hv_partition, gpa_alloc_first_fit_alignment_and_reuse)
{
    struct sim_diag d = {0};
    uint64_t a, b, c, e;
    cr_assert_eq(hv_gpa_alloc(t.vm1, 100, 0, &a, &d), 0, "%s", d.reason);
    cr_assert_eq(a, PG, "page 0 is never handed out");
    cr_assert_eq(hv_gpa_range_size(t.vm1, a), PG);
    cr_assert_eq(hv_gpa_alloc(t.vm1, 3 * PG, 0, &b, &d), 0);
    cr_assert_eq(b, 2 * PG);
    cr_assert_eq(hv_gpa_range_size(t.vm1, b), 3 * PG);
    /* 64 KiB alignment: the next free page is 5, the aligned start is page 16. */
    cr_assert_eq(hv_gpa_alloc(t.vm1, PG, 0x10000, &c, &d), 0);
    cr_assert_eq(c, 0x10000);
    cr_assert_eq(hv_partition_mem_used(t.vm1), 6 * PG);
    /* The hole [5, 16) takes a 2-page request. */
    cr_assert_eq(hv_gpa_alloc(t.vm1, 2 * PG, 0, &e, &d), 0);
    cr_assert_eq(e, 5 * PG);
    /* Free b and reuse its hole exactly. */
    cr_assert_eq(hv_gpa_free(t.vm1, b), 0);
    cr_assert_eq(hv_gpa_range_size(t.vm1, b), 0);
    uint64_t b2;
    cr_assert_eq(hv_gpa_alloc(t.vm1, 3 * PG, 0, &b2, &d), 0);
    cr_assert_eq(b2, b);
    /* 8-page alignment: the first free page is 7, the aligned start 8, [8,16) is free. */
    uint64_t f8;
    cr_assert_eq(hv_gpa_alloc(t.vm1, 8 * PG, 8 * PG, &f8, &d), 0);
    cr_assert_eq(f8, 8 * PG);
    /* Pages 0..16 but 7 are taken. A 1-page range at 17, then 3 pages at [18,21); then a 4-page
     * aligned request: the free page 21 rounds up to 24 (fine); and after freeing 17, the free
     * page 17 rounds up to 20, which lies INSIDE [18,21): the walk must step out, not jump. */
    uint64_t g0, g1, g2, g;
    cr_assert_eq(hv_gpa_alloc(t.vm1, PG, 0, &g0, &d), 0);
    cr_assert_eq(g0, 7 * PG, "the last hole below 8");
    cr_assert_eq(hv_gpa_alloc(t.vm1, PG, 0, &g1, &d), 0);
    cr_assert_eq(g1, 17 * PG);
    cr_assert_eq(hv_gpa_alloc(t.vm1, 3 * PG, 0, &g2, &d), 0);
    cr_assert_eq(g2, 18 * PG);
    cr_assert_eq(hv_gpa_free(t.vm1, g1), 0);
    cr_assert_eq(hv_gpa_alloc(t.vm1, 4 * PG, 4 * PG, &g, &d), 0);
    cr_assert_eq(g, 24 * PG);
    /* Bad frees change nothing. */
    uint64_t used = hv_partition_mem_used(t.vm1);
    cr_assert_eq(hv_gpa_free(t.vm1, b2 + PG), SIM_EINVAL, "not a range start");
    cr_assert_eq(hv_gpa_free(t.vm1, 0), SIM_EINVAL, "page 0 is reserved");
    cr_assert_eq(hv_gpa_free(t.vm1, 123), SIM_EINVAL);
    cr_assert_eq(hv_gpa_free(t.vm1, HVT_MEM), SIM_EINVAL);
    cr_assert_eq(hv_gpa_free(t.vm1, 100 * PG), SIM_EINVAL, "free page");
    cr_assert_eq(hv_partition_mem_used(t.vm1), used);
    /* Bad requests. */
    cr_assert_eq(hv_gpa_alloc(t.vm1, 0, 0, &a, &d), SIM_EINVAL);
    cr_assert_eq(hv_gpa_alloc(t.vm1, PG, 3 * PG, &a, &d), SIM_EINVAL);
}

Test(hv_partition, gpa_alloc_zeroes_and_exhaustion_is_reported)
{
    struct sim_diag d = {0};
    uint64_t a, b;
    cr_assert_eq(hv_gpa_alloc(t.vm1, 2 * PG, 0, &a, &d), 0);
    memset(hv_gpa_to_host(t.vm1, a, 2 * PG), 0xab, 2 * PG);
    cr_assert_eq(hv_gpa_free(t.vm1, a), 0);
    cr_assert_eq(hv_gpa_alloc(t.vm1, 2 * PG, 0, &b, &d), 0);
    cr_assert_eq(b, a);
    const uint8_t *h = hv_gpa_to_host(t.vm1, b, 2 * PG);
    for (unsigned i = 0; i < 2 * PG; i++)
        cr_assert_eq(h[i], 0, "reused memory not zeroed at %u", i);
    /* Everything but page 0 and b's 2 pages: fits exactly, then nothing more. */
    uint64_t rest;
    cr_assert_eq(hv_gpa_alloc(t.vm1, HVT_MEM - 3 * PG, 0, &rest, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_partition_mem_used(t.vm1), HVT_MEM);
    uint64_t x;
    cr_assert_eq(hv_gpa_alloc(t.vm1, PG, 0, &x, &d), SIM_ENOSPC);
    cr_assert(strstr(d.reason, "vm1") != NULL, "reason names the partition: %s", d.reason);
    cr_assert_eq(hv_gpa_alloc(t.vm1, HVT_MEM + PG, 0, &x, &d), SIM_ENOSPC);
}

Test(hv_partition, gpa_alloc_random_model)
{
    /* Random alloc/free against a shadow page map: ranges never overlap, never include page 0,
     * stay inside memory, and mem_used matches. */
    uint64_t seed;
    cr_assert_eq(sim_seed_parse_or_draw(getenv("HV_TEST_SEED"), &seed), 0);
    struct sim_prng rng;
    sim_prng_init(&rng, seed);
    cr_log_info("seed %llu", (unsigned long long)seed);
    enum { NP = HVT_MEM / PG, SLOTS = 64 };
    static uint8_t shadow[NP];
    memset(shadow, 0, sizeof(shadow));
    shadow[0] = 1;
    uint64_t gpa[SLOTS] = {0}, len[SLOTS] = {0};
    for (int step = 0; step < 4000; step++) {
        int s = (int)sim_prng_below(&rng, SLOTS);
        if (gpa[s]) {
            cr_assert_eq(hv_gpa_free(t.vm1, gpa[s]), 0, "seed %llu", (unsigned long long)seed);
            for (uint64_t p = gpa[s] / PG; p < (gpa[s] + len[s]) / PG; p++)
                shadow[p] = 0;
            gpa[s] = 0;
            continue;
        }
        uint64_t l = (1 + sim_prng_below(&rng, 40)) * PG;
        uint64_t al = sim_prng_below(&rng, 3) == 0 ? PG << sim_prng_below(&rng, 5) : 0;
        uint64_t g;
        int err = hv_gpa_alloc(t.vm1, l, al, &g, NULL);
        if (err) {
            cr_assert_eq(err, SIM_ENOSPC);
            continue;
        }
        cr_assert(g > 0 && g + l <= HVT_MEM, "seed %llu", (unsigned long long)seed);
        if (al)
            cr_assert_eq(g % al, 0, "alignment, seed %llu", (unsigned long long)seed);
        for (uint64_t p = g / PG; p < (g + l) / PG; p++) {
            cr_assert_eq(shadow[p], 0, "overlap at page %llu, seed %llu", (unsigned long long)p,
                         (unsigned long long)seed);
            shadow[p] = 1;
        }
        gpa[s] = g;
        len[s] = l;
    }
    uint64_t used = 0;
    for (int p = 0; p < NP; p++)
        used += shadow[p];
    cr_assert_eq(hv_partition_mem_used(t.vm1), used * PG, "seed %llu", (unsigned long long)seed);
}

Test(hv_partition, gpa_translation_bounds)
{
    void *h;
    cr_assert_eq(hv_gpa_translate(t.vm1, 0, HVT_MEM, &h), 0, "the whole memory");
    uint8_t *base = h;
    cr_assert_eq((uintptr_t)base % PG, 0, "page-aligned backing");
    cr_assert_eq(hv_gpa_translate(t.vm1, HVT_MEM - 1, 1, &h), 0);
    cr_assert_eq(h, base + HVT_MEM - 1);
    cr_assert_eq(hv_gpa_translate(t.vm1, HVT_MEM - 1, 2, &h), SIM_EFAULT, "one byte past");
    cr_assert_eq(hv_gpa_translate(t.vm1, HVT_MEM, 1, &h), SIM_EFAULT);
    cr_assert_eq(hv_gpa_translate(t.vm1, 16, 0, &h), SIM_EFAULT, "empty range");
    cr_assert_eq(hv_gpa_translate(t.vm1, 16, UINT64_MAX, &h), SIM_EFAULT, "overflow");
    cr_assert_null(hv_gpa_to_host(t.vm1, HVT_MEM, 1));
    uint64_t g;
    cr_assert_eq(hv_gpa_from_host(t.vm1, base + 0x1234, &g), 0);
    cr_assert_eq(g, 0x1234);
    cr_assert_eq(hv_gpa_from_host(t.vm1, base + HVT_MEM, &g), SIM_EFAULT);
    cr_assert_eq(hv_gpa_from_host(t.vm2, base + 16, &g), SIM_EFAULT, "another VM's memory");
    /* CPU copies. */
    const char msg[] = "hello guest";
    cr_assert_eq(hv_gpa_write(t.vm1, 0x2000, msg, sizeof(msg)), 0);
    char back[sizeof(msg)];
    cr_assert_eq(hv_gpa_read(t.vm1, 0x2000, back, sizeof(back)), 0);
    cr_assert_str_eq(back, msg);
    cr_assert_eq(hv_gpa_write(t.vm1, HVT_MEM - 4, msg, sizeof(msg)), SIM_EFAULT);
    cr_assert_eq(hv_gpa_read(t.vm1, HVT_MEM - 4, back, sizeof(back)), SIM_EFAULT);
    /* Each partition has its own memory. */
    cr_assert_eq(hv_gpa_read(t.vm2, 0x2000, back, sizeof(back)), 0);
    cr_assert_neq(strcmp(back, msg), 0);
}

/* A VF attached to vm1's domain DMAs into vm1's memory at GPA = IOVA, nowhere else. */
Test(hv_partition, vf_dma_into_its_vm_only)
{
    uint16_t vf = hvt_vf_rid(0);
    struct sim_diag d = {0};
    /* Before attachment: no context, fault, nothing written. */
    uint8_t buf[256];
    memset(buf, 0x5a, sizeof(buf));
    uint64_t faults0 = pcie_iommu_fault_count(t.f);
    cr_assert_eq(pcie_dma_write(t.f, vf, 0x3000, buf, sizeof(buf)), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_fault_count(t.f), faults0 + 1);

    cr_assert_eq(hv_partition_attach_rid(t.vm1, vf, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_partition_attach_rid(t.vm1, vf, &d), 0, "twice is fine");
    cr_assert_eq(pcie_dma_write(t.f, vf, 0x3000, buf, sizeof(buf)), 0);
    uint8_t back[256];
    cr_assert_eq(hv_gpa_read(t.vm1, 0x3000, back, sizeof(back)), 0);
    cr_assert_eq(memcmp(back, buf, sizeof(buf)), 0, "DMA landed in vm1 at GPA 0x3000");
    const uint8_t *vm2mem = hv_gpa_to_host(t.vm2, 0, 2 * HVT_MEM);
    for (uint64_t i = 0; i < 2 * HVT_MEM; i++)
        cr_assert_eq(vm2mem[i], 0, "vm2 memory touched at %llu", (unsigned long long)i);
    /* vm2 has memory at GPAs vm1 does not: the VF cannot reach it (fault, nothing touched). */
    cr_assert_eq(pcie_dma_write(t.f, vf, HVT_MEM + 0x1000, buf, sizeof(buf)), SIM_EFAULT);
    cr_assert_eq(pcie_dma_write(t.f, vf, HVT_MEM - 16, buf, 32), SIM_EFAULT, "straddles the end");
    for (uint64_t i = 0; i < 2 * HVT_MEM; i++)
        cr_assert_eq(vm2mem[i], 0, "vm2 memory touched at %llu", (unsigned long long)i);
    const uint8_t *vm1mem = hv_gpa_to_host(t.vm1, 0, HVT_MEM);
    for (uint64_t i = HVT_MEM - 16; i < HVT_MEM; i++)
        cr_assert_eq(vm1mem[i], 0, "refused DMA wrote vm1's last bytes");
    struct pcie_iommu_fault fl;
    cr_assert_eq(pcie_iommu_fault_get(t.f, 0, &fl), 0);
    cr_assert_eq(fl.reason, PCIE_FAULT_NOT_MAPPED);
    cr_assert_eq(fl.domain_id, pcie_iommu_domain_id(hv_partition_iommu_domain(t.vm1)));

    /* A RID belongs to one partition at a time. */
    cr_assert_eq(hv_partition_attach_rid(t.vm2, vf, &d), SIM_EBUSY);
    cr_assert(strstr(d.reason, "another IOMMU domain") != NULL, "%s", d.reason);
    cr_assert_eq(hv_partition_detach_rid(t.vm2, vf), SIM_ENOENT, "vm2 cannot detach vm1's RID");
    cr_assert_eq(pcie_dma_write(t.f, vf, 0x3000, buf, 8), 0, "still attached to vm1");

    /* Detached: faults (no context) and writes nothing. */
    cr_assert_eq(hv_partition_detach_rid(t.vm1, vf), 0);
    cr_assert_eq(hv_partition_detach_rid(t.vm1, vf), SIM_ENOENT);
    memset(buf, 0x77, sizeof(buf));
    cr_assert_eq(pcie_dma_write(t.f, vf, 0x3000, buf, sizeof(buf)), SIM_EFAULT);
    cr_assert_eq(pcie_iommu_fault_get(t.f, 0, &fl), 0);
    cr_assert_eq(fl.reason, PCIE_FAULT_NO_CONTEXT);
    cr_assert_eq(hv_gpa_read(t.vm1, 0x3000, back, sizeof(back)), 0);
    cr_assert_eq(back[0], 0x5a, "old contents intact");
    /* Now vm2 may take it, and the same GPA lands in vm2's memory. */
    cr_assert_eq(hv_partition_attach_rid(t.vm2, vf, &d), 0, "%s", d.reason);
    cr_assert_eq(pcie_dma_write(t.f, vf, 0x3000, buf, sizeof(buf)), 0);
    cr_assert_eq(hv_gpa_read(t.vm2, 0x3000, back, sizeof(back)), 0);
    cr_assert_eq(back[0], 0x77);
    cr_assert_eq(hv_gpa_read(t.vm1, 0x3000, back, sizeof(back)), 0);
    cr_assert_eq(back[0], 0x5a);
}

Test(hv_partition, no_fabric_means_no_domain)
{
    struct hv_partition_config c;
    hv_partition_config_init(&c);
    c.mem_size = 8 * PG;
    struct hv_partition *p;
    struct sim_diag d = {0};
    cr_assert_eq(hv_partition_create(t.s, NULL, &c, &p, &d), 0, "%s", d.reason);
    cr_assert_null(hv_partition_iommu_domain(p));
    cr_assert_eq(hv_partition_attach_rid(p, hvt_vf_rid(1), &d), SIM_EINVAL);
    cr_assert_str_eq(hv_partition_name(p), "partition0");
    hv_partition_destroy(p);
}

Test(hv_partition, oom_sweep_create)
{
    struct hv_partition_config c;
    hv_partition_config_init(&c);
    c.name = "oom";
    c.mem_size = 16 * PG;
    long live0 = sim_alloc_live_total();
    int n;
    for (n = 0; n < 64; n++) {
        struct hv_partition *p = NULL;
        struct sim_diag d = {0};
        sim_alloc_fail_nth(n);
        int err = hv_partition_create(t.s, t.f, &c, &p, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            hv_partition_destroy(p);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM, "n=%d: %s", n, sim_err_name(err));
        cr_assert(d.reason[0] != '\0', "n=%d: no reason", n);
        cr_assert_eq(sim_alloc_live_total(), live0, "n=%d leaked", n);
    }
    cr_assert_gt(n, 2, "the sweep failed at least the partition, memory and table");
    cr_assert_lt(n, 64);
    cr_assert_eq(sim_alloc_live_total(), live0);
}
