/* SPDX-License-Identifier: MIT */
/*
 * partition.c — Hyper-V partitions: the root (parent) partition and child partitions (VMs),
 * each with guest-physical memory (a host buffer backing GPA 0..size) and the DMA-remapping
 * domain the hypervisor keeps for the devices assigned to it. Windows counterpart: the
 * partition objects of the Hyper-V hypervisor / VID (HvCreatePartition, the GPA map) and the
 * IOMMU domain Hyper-V builds for a VM when a VF is assigned (device assignment requires DMA
 * remapping: SriovSupport = NoIoMmuSupport otherwise, ndis_sriov.md 12.8).
 */
#include <string.h>

#include "hv/hv_int.h"

SIM_LOG_NS_DEFINE(hv);
SIM_ALLOC_TAG_DEFINE(hv_partition);
SIM_ALLOC_TAG_DEFINE(hv_memory);

void
hv_partition_config_init(struct hv_partition_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof(*c));
    c->kind = HV_PARTITION_GUEST;
    c->mem_size = HV_PARTITION_MEM_DEFAULT;
    c->vmbus_signal_latency_ns = HV_VMBUS_SIGNAL_LATENCY_NS;
    c->vmbus_control_latency_ns = HV_VMBUS_CONTROL_LATENCY_NS;
    c->vpci_offer_delay_ns = HV_VPCI_OFFER_DELAY_NS;
    c->vpci_eject_timeout_ns = HV_VPCI_EJECT_TIMEOUT_NS;
}

static int
check_config(const struct hv_partition_config *c, struct sim_diag *d)
{
    if (c->kind != HV_PARTITION_ROOT && c->kind != HV_PARTITION_GUEST)
        return sim_diag_fail(d, SIM_EINVAL, "partition %u: unknown kind %d", c->id, (int)c->kind);
    if (c->mem_size % HV_PAGE_SIZE != 0 || c->mem_size < 2 * HV_PAGE_SIZE ||
        c->mem_size > HV_PARTITION_MEM_MAX)
        return sim_diag_fail(d, SIM_EINVAL,
                             "partition %u: memory size %llu must be a multiple of %u bytes "
                             "between 2 pages and %llu bytes",
                             c->id, (unsigned long long)c->mem_size, HV_PAGE_SIZE,
                             (unsigned long long)HV_PARTITION_MEM_MAX);
    if (c->vmbus_signal_latency_ns < 0 || c->vmbus_control_latency_ns < 0 ||
        c->vpci_offer_delay_ns < 0 || c->vpci_eject_timeout_ns < 0)
        return sim_diag_fail(d, SIM_EINVAL, "partition %u: negative latency or delay", c->id);
    return 0;
}

int
hv_partition_create(struct sim_sched *sched, struct pcie_fabric *fabric,
                    const struct hv_partition_config *cfg, struct hv_partition **out,
                    struct sim_diag *d)
{
    if (!sched || !cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "hv_partition_create: NULL argument");
    int err = check_config(cfg, d);
    if (err)
        return err;
    if (fabric && pcie_fabric_sched(fabric) != sched)
        return sim_diag_fail(d, SIM_EINVAL, "partition %u: fabric runs on another scheduler",
                             cfg->id);

    struct hv_partition *p = sim_calloc(SIM_TAG(hv_partition), 1, sizeof(*p));
    if (!p)
        return sim_diag_fail(d, SIM_ENOMEM, "partition %u: out of memory", cfg->id);
    p->id = cfg->id;
    if (cfg->name)
        snprintf(p->name, sizeof(p->name), "%s", cfg->name);
    else
        snprintf(p->name, sizeof(p->name), "partition%u", cfg->id);
    p->kind = cfg->kind;
    p->sched = sched;
    p->fabric = fabric;
    p->cfg = *cfg;
    p->cfg.name = NULL;
    p->mem_size = cfg->mem_size;
    p->npages = (uint32_t)(cfg->mem_size / HV_PAGE_SIZE);

    /* Guest memory, zeroed, page-aligned (rings placed in it need cache-line alignment, the
     * IOMMU maps pages). calloc keeps untouched pages lazily allocated by the host OS. */
    p->mem_block = sim_calloc(SIM_TAG(hv_memory), 1, (size_t)cfg->mem_size + HV_PAGE_SIZE);
    if (!p->mem_block) {
        err = sim_diag_fail(d, SIM_ENOMEM, "partition %s: cannot back %llu bytes of memory",
                            p->name, (unsigned long long)cfg->mem_size);
        goto fail_free_partition;
    }
    uintptr_t a = (uintptr_t)p->mem_block;
    p->mem = (uint8_t *)p->mem_block + ((HV_PAGE_SIZE - (a % HV_PAGE_SIZE)) % HV_PAGE_SIZE);

    err = hv__gpa_table_init(p);
    if (err) {
        sim_diag_fail(d, err, "partition %s: out of memory (GPA table)", p->name);
        goto fail_free_memory;
    }

    if (fabric) {
        err = pcie_iommu_domain_create(fabric, p->name, &p->domain);
        if (err) {
            sim_diag_fail(d, err, "partition %s: cannot create its IOMMU domain", p->name);
            goto fail_free_table;
        }
        err = pcie_iommu_map(p->domain, 0, p->mem, (size_t)p->mem_size, PCIE_IOMMU_PERM_RW, d);
        if (err)
            goto fail_destroy_domain;
        err = pcie_fabric_subscribe(fabric, &p->sub, hv__vpci_fabric_event, p);
        if (err) {
            sim_diag_fail(d, err, "partition %s: cannot subscribe to fabric events", p->name);
            goto fail_destroy_domain;
        }
    }
    SIM_DEBUG(hv, "partition %s (%s, id %u): %llu bytes of guest memory%s", p->name,
              p->kind == HV_PARTITION_ROOT ? "root" : "guest", p->id,
              (unsigned long long)p->mem_size, p->domain ? ", IOMMU domain" : "");
    *out = p;
    return 0;

fail_destroy_domain:
    pcie_iommu_domain_destroy(p->domain);
fail_free_table:
    sim_free(p->pages);
fail_free_memory:
    sim_free(p->mem_block);
fail_free_partition:
    sim_free(p);
    return err;
}

void
hv_partition_destroy(struct hv_partition *p)
{
    if (!p)
        return;
    hv__vpci_partition_fini(p);
    hv__vmbus_partition_fini(p);
    if (p->fabric)
        pcie_fabric_unsubscribe(&p->sub);
    pcie_iommu_domain_destroy(p->domain);
    sim_free(p->pages);
    sim_free(p->mem_block);
    sim_free(p);
}

uint32_t
hv_partition_id(const struct hv_partition *p)
{
    return p ? p->id : 0;
}

const char *
hv_partition_name(const struct hv_partition *p)
{
    return p ? p->name : "?";
}

enum hv_partition_kind
hv_partition_kind(const struct hv_partition *p)
{
    return p ? p->kind : HV_PARTITION_GUEST;
}

uint64_t
hv_partition_mem_size(const struct hv_partition *p)
{
    return p ? p->mem_size : 0;
}

uint64_t
hv_partition_mem_used(const struct hv_partition *p)
{
    return p ? (uint64_t)p->pages_used * HV_PAGE_SIZE : 0;
}

struct sim_sched *
hv_partition_sched(const struct hv_partition *p)
{
    return p ? p->sched : NULL;
}

struct pcie_fabric *
hv_partition_fabric(const struct hv_partition *p)
{
    return p ? p->fabric : NULL;
}

struct pcie_iommu_domain *
hv_partition_iommu_domain(const struct hv_partition *p)
{
    return p ? p->domain : NULL;
}

int
hv_partition_attach_rid(struct hv_partition *p, uint16_t rid, struct sim_diag *d)
{
    char b[PCIE_RID_STRLEN];
    if (!p)
        return sim_diag_fail(d, SIM_EINVAL, "attach RID: NULL partition");
    if (!p->domain)
        return sim_diag_fail(d, SIM_EINVAL, "partition %s: no fabric, no IOMMU domain to attach %s",
                             p->name, pcie_rid_format(rid, b, sizeof(b)));
    int err = pcie_iommu_attach(p->domain, rid);
    if (err == SIM_EBUSY)
        return sim_diag_fail(d, err,
                             "partition %s: RID %s is attached to another IOMMU domain (a "
                             "function is assigned to one partition at a time)",
                             p->name, pcie_rid_format(rid, b, sizeof(b)));
    if (err)
        return sim_diag_fail(d, err, "partition %s: cannot attach RID %s", p->name,
                             pcie_rid_format(rid, b, sizeof(b)));
    SIM_DEBUG(hv, "partition %s: RID %s attached to its IOMMU domain", p->name,
              pcie_rid_format(rid, b, sizeof(b)));
    return 0;
}

int
hv_partition_detach_rid(struct hv_partition *p, uint16_t rid)
{
    if (!p)
        return SIM_EINVAL;
    if (!p->domain)
        return SIM_ENOENT;
    /* Detach only a RID that is ours (the IOMMU's detach takes the RID from any domain).
     * pcie has no "domain of RID" query: every partition's domain maps GPA 0 to its own
     * memory, so the RID is ours iff GPA 0 translates to our memory through it. */
    void *host = NULL;
    if (pcie_iommu_translate(p->fabric, rid, 0, 1, PCIE_DMA_READ, &host) != 0 || host != p->mem)
        return SIM_ENOENT;
    return pcie_iommu_detach(p->fabric, rid);
}
