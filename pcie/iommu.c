/* SPDX-License-Identifier: MIT */
/*
 * iommu.c — DMA remapping: a context table indexed by Requester ID (VT-d: root table by bus,
 * context table by devfn) pointing at translation domains; each domain maps I/O virtual
 * (guest-physical) pages onto host memory with read/write permissions. Translations are cached
 * in an IOTLB (direct-mapped, tagged by domain) that unmap invalidates. A DMA that leaves its
 * domain is refused as a whole, recorded (RID, address, direction, time, reason) and reported
 * as an event; no byte outside the domain is read or written. Windows counterpart: the
 * hypervisor's IOMMU (DMA remapping) that Hyper-V requires for SR-IOV (SriovSupport =
 * NoIoMmuSupport otherwise) and that uses the RID from OID_NIC_SWITCH_ALLOCATE_VF
 * (ndis_sriov.md 12.8).
 */
#include <string.h>

#include "pcie/pcie_int.h"

#define PAGE_SHIFT 12
#define PAGE_MASK  ((uint64_t)PCIE_IOMMU_PAGE_SIZE - 1)

int
pcie_iommu_domain_create(struct pcie_fabric *f, const char *name, struct pcie_iommu_domain **out)
{
    if (!f || !out)
        return SIM_EINVAL;
    struct pcie_iommu_domain *dom = sim_calloc(SIM_TAG(pcie_iommu), 1, sizeof(*dom));
    if (!dom)
        return SIM_ENOMEM;
    dom->fabric = f;
    dom->id = f->next_domain_id++;
    snprintf(dom->name, sizeof(dom->name), "%s", name ? name : "domain");
    dom->next = f->domains;
    f->domains = dom;
    *out = dom;
    return 0;
}

uint32_t
pcie_iommu_domain_id(const struct pcie_iommu_domain *dom)
{
    return dom ? dom->id : 0;
}

static size_t
iotlb_slot(uint32_t domain_id, uint64_t page)
{
    return (size_t)((page ^ ((uint64_t)domain_id * 0x9e3779b1u)) % PCIE_IOTLB_SIZE);
}

/* Invalidate cached translations of dom for pages [first, last] (all pages if last < first). */
static void
iotlb_invalidate(struct pcie_fabric *f, uint32_t domain_id, uint64_t first, uint64_t last)
{
    for (size_t i = 0; i < PCIE_IOTLB_SIZE; i++) {
        struct pcie_iotlb_ent *e = &f->iotlb[i];
        if (e->domain_id != domain_id)
            continue;
        if (last >= first && (e->page < first || e->page > last))
            continue;
        e->domain_id = 0;
        f->stats.iotlb_invalidations++;
    }
}

void
pcie_iommu_domain_destroy(struct pcie_iommu_domain *dom)
{
    if (!dom)
        return;
    struct pcie_fabric *f = dom->fabric;
    for (long r = 0; dom->attached && r < PCIE_RID_COUNT; r++) {
        if (f->ctx_by_rid[r] == dom) {
            f->ctx_by_rid[r] = NULL;
            dom->attached--;
        }
    }
    iotlb_invalidate(f, dom->id, 1, 0);
    for (struct pcie_iommu_domain **pp = &f->domains; *pp; pp = &(*pp)->next) {
        if (*pp == dom) {
            *pp = dom->next;
            break;
        }
    }
    sim_free(dom->maps);
    sim_free(dom);
}

void
pcie__iommu_fini(struct pcie_fabric *f)
{
    while (f->domains)
        pcie_iommu_domain_destroy(f->domains);
}

int
pcie_iommu_attach(struct pcie_iommu_domain *dom, uint16_t rid)
{
    if (!dom)
        return SIM_EINVAL;
    struct pcie_fabric *f = dom->fabric;
    struct pcie_iommu_domain *cur = f->ctx_by_rid[rid];
    if (cur == dom)
        return 0;
    if (cur)
        return SIM_EBUSY;
    f->ctx_by_rid[rid] = dom;
    dom->attached++;
    return 0;
}

int
pcie_iommu_detach(struct pcie_fabric *f, uint16_t rid)
{
    if (!f)
        return SIM_EINVAL;
    struct pcie_iommu_domain *cur = f->ctx_by_rid[rid];
    if (!cur)
        return SIM_ENOENT;
    f->ctx_by_rid[rid] = NULL;
    cur->attached--;
    /* The IOTLB is tagged by domain, not RID; the domain is unchanged, so nothing is stale. */
    return 0;
}

/* Index of the first mapping whose end is above iova (binary search). */
static size_t
map_lower_bound(const struct pcie_iommu_domain *dom, uint64_t iova)
{
    size_t lo = 0, hi = dom->nmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct pcie_iommu_map_ent *e = &dom->maps[mid];
        if (e->iova + e->len <= iova)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
maps_reserve(struct pcie_iommu_domain *dom, size_t extra)
{
    if (dom->nmaps + extra <= dom->cap)
        return 0;
    size_t cap = dom->cap ? dom->cap * 2 : 8;
    while (cap < dom->nmaps + extra)
        cap *= 2;
    struct pcie_iommu_map_ent *m = sim_realloc(SIM_TAG(pcie_iommu), dom->maps, cap * sizeof(*m));
    if (!m)
        return SIM_ENOMEM;
    dom->maps = m;
    dom->cap = cap;
    return 0;
}

int
pcie_iommu_map(struct pcie_iommu_domain *dom, uint64_t iova, void *host, size_t len, unsigned perm,
               struct sim_diag *d)
{
    if (!dom || !host)
        return sim_diag_fail(d, SIM_EINVAL, "iommu map: NULL domain or host address");
    if (!len || (iova & PAGE_MASK) || (len & PAGE_MASK))
        return sim_diag_fail(d, SIM_EINVAL,
                             "iommu map %s: iova 0x%llx len 0x%zx must be non-empty multiples "
                             "of 4 KiB",
                             dom->name, (unsigned long long)iova, len);
    if (!perm || (perm & ~PCIE_IOMMU_PERM_RW))
        return sim_diag_fail(d, SIM_EINVAL, "iommu map %s: permission 0x%x invalid", dom->name,
                             perm);
    if (iova + len < iova)
        return sim_diag_fail(d, SIM_EINVAL, "iommu map %s: range wraps", dom->name);
    size_t i = map_lower_bound(dom, iova);
    if (i < dom->nmaps && dom->maps[i].iova < iova + len)
        return sim_diag_fail(d, SIM_EEXIST,
                             "iommu map %s: iova 0x%llx..0x%llx overlaps an existing mapping at "
                             "0x%llx",
                             dom->name, (unsigned long long)iova,
                             (unsigned long long)(iova + len - 1),
                             (unsigned long long)dom->maps[i].iova);
    if (maps_reserve(dom, 1))
        return sim_diag_fail(d, SIM_ENOMEM, "iommu map %s: out of memory", dom->name);
    memmove(&dom->maps[i + 1], &dom->maps[i], (dom->nmaps - i) * sizeof(dom->maps[0]));
    dom->maps[i] = (struct pcie_iommu_map_ent){iova, len, host, perm};
    dom->nmaps++;
    return 0;
}

int
pcie_iommu_unmap(struct pcie_iommu_domain *dom, uint64_t iova, size_t len)
{
    if (!dom || !len || (iova & PAGE_MASK) || (len & PAGE_MASK) || iova + len < iova)
        return SIM_EINVAL;
    uint64_t end = iova + len;
    /* A mapping strictly containing the range splits in two: make room first so that a
     * failure changes nothing. */
    if (maps_reserve(dom, 1))
        return SIM_ENOMEM;
    size_t i = map_lower_bound(dom, iova);
    while (i < dom->nmaps && dom->maps[i].iova < end) {
        struct pcie_iommu_map_ent e = dom->maps[i];
        uint64_t e_end = e.iova + e.len;
        if (e.iova < iova && e_end > end) {
            /* Split: [e.iova, iova) stays, [end, e_end) becomes a new entry. */
            dom->maps[i].len = iova - e.iova;
            memmove(&dom->maps[i + 2], &dom->maps[i + 1],
                    (dom->nmaps - i - 1) * sizeof(dom->maps[0]));
            dom->maps[i + 1] =
                (struct pcie_iommu_map_ent){end, e_end - end, e.host + (end - e.iova), e.perm};
            dom->nmaps++;
            break;
        }
        if (e.iova < iova) { /* keep the head */
            dom->maps[i].len = iova - e.iova;
            i++;
        } else if (e_end > end) { /* keep the tail */
            dom->maps[i].host = e.host + (end - e.iova);
            dom->maps[i].len = e_end - end;
            dom->maps[i].iova = end;
            i++;
        } else { /* fully inside: remove */
            memmove(&dom->maps[i], &dom->maps[i + 1], (dom->nmaps - i - 1) * sizeof(dom->maps[0]));
            dom->nmaps--;
        }
    }
    iotlb_invalidate(dom->fabric, dom->id, iova >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT);
    return 0;
}

static unsigned
dir_perm(enum pcie_dma_dir dir)
{
    return dir == PCIE_DMA_WRITE ? PCIE_IOMMU_PERM_WRITE : PCIE_IOMMU_PERM_READ;
}

/* Translate one page: the host address of its first byte and its permission, or NULL. Uses
 * and fills the IOTLB unless disabled; `count` says whether to count hits/misses. */
static uint8_t *
translate_page(struct pcie_fabric *f, const struct pcie_iommu_domain *dom, uint64_t page,
               unsigned *perm, bool count)
{
    bool use_tlb = !f->knobs.iotlb_disabled;
    struct pcie_iotlb_ent *e = &f->iotlb[iotlb_slot(dom->id, page)];
    if (use_tlb && e->domain_id == dom->id && e->page == page) {
        if (count)
            f->stats.iotlb_hits++;
        *perm = e->perm;
        return e->host;
    }
    if (count)
        f->stats.iotlb_misses++;
    uint64_t iova = page << PAGE_SHIFT;
    size_t i = map_lower_bound(dom, iova);
    if (i >= dom->nmaps || dom->maps[i].iova > iova)
        return NULL;
    const struct pcie_iommu_map_ent *m = &dom->maps[i];
    uint8_t *host = m->host + (iova - m->iova);
    if (use_tlb)
        *e = (struct pcie_iotlb_ent){dom->id, page, host, m->perm};
    *perm = m->perm;
    return host;
}

/* Check that every byte of [iova, iova+len) is mapped for dir. Returns 0, or the fault reason
 * with *bad = first faulting address. */
static int
check_range(struct pcie_fabric *f, const struct pcie_iommu_domain *dom, uint64_t iova, size_t len,
            enum pcie_dma_dir dir, uint64_t *bad, bool count)
{
    if (!dom) {
        *bad = iova;
        return PCIE_FAULT_NO_CONTEXT;
    }
    if (iova + len < iova) {
        *bad = iova;
        return PCIE_FAULT_NOT_MAPPED;
    }
    uint64_t first = iova >> PAGE_SHIFT, last = (iova + len - 1) >> PAGE_SHIFT;
    for (uint64_t p = first; p <= last; p++) {
        unsigned perm;
        uint64_t at = p == first ? iova : p << PAGE_SHIFT;
        if (!translate_page(f, dom, p, &perm, count)) {
            *bad = at;
            return PCIE_FAULT_NOT_MAPPED;
        }
        if (!(perm & dir_perm(dir))) {
            *bad = at;
            return PCIE_FAULT_PERMISSION;
        }
    }
    return 0;
}

int
pcie_iommu_translate(struct pcie_fabric *f, uint16_t rid, uint64_t iova, size_t len,
                     enum pcie_dma_dir dir, void **host)
{
    if (!f || !host || !len)
        return SIM_EINVAL;
    const struct pcie_iommu_domain *dom = f->ctx_by_rid[rid];
    uint64_t bad;
    if (check_range(f, dom, iova, len, dir, &bad, false))
        return SIM_EFAULT;
    /* The range must also be contiguous in host memory to hand out one pointer. */
    uint64_t first = iova >> PAGE_SHIFT, last = (iova + len - 1) >> PAGE_SHIFT;
    unsigned perm;
    uint8_t *base = translate_page(f, dom, first, &perm, false);
    for (uint64_t p = first + 1; p <= last; p++)
        if (translate_page(f, dom, p, &perm, false) != base + ((p - first) << PAGE_SHIFT))
            return SIM_EFAULT;
    *host = base + (iova & PAGE_MASK);
    return 0;
}

static void
record_fault(struct pcie_fabric *f, uint16_t rid, const struct pcie_iommu_domain *dom,
             uint64_t iova, size_t len, enum pcie_dma_dir dir, int reason)
{
    struct pcie_iommu_fault *ft = &f->faults[f->nfaults % PCIE_IOMMU_FAULT_LOG];
    *ft = (struct pcie_iommu_fault){.rid = rid,
                                    .dir = dir,
                                    .reason = (enum pcie_fault_reason)reason,
                                    .iova = iova,
                                    .len = len,
                                    .time = sim_sched_now(f->sched),
                                    .domain_id = dom ? dom->id : 0};
    f->nfaults++;
    f->stats.iommu_faults++;
    char b[PCIE_RID_STRLEN];
    SIM_INFO(pcie, "IOMMU fault: %s %s at 0x%llx (%zu bytes): %s",
             pcie_rid_format(rid, b, sizeof(b)), dir == PCIE_DMA_WRITE ? "write" : "read",
             (unsigned long long)iova, len, pcie_fault_reason_name(ft->reason));
    struct pcie_iommu_fault copy = *ft;
    struct pcie_event ev = {.type = PCIE_EV_IOMMU_FAULT, .rid = rid, .fault = &copy};
    struct pcie_fn *fn = pcie__lookup(f, rid);
    ev.is_vf = fn && fn->vf_index >= 0;
    pcie__emit(f, &ev);
}

static int
dma(struct pcie_fabric *f, uint16_t rid, uint64_t iova, uint8_t *buf, size_t len,
    enum pcie_dma_dir dir)
{
    if (!f || (!buf && len))
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!pcie__fn_answers(fn)) {
        f->stats.dma_blocked++;
        return SIM_ENODEV;
    }
    if (!pcie__bus_master(fn)) {
        f->stats.dma_blocked++;
        return SIM_EPERM;
    }
    if (!len)
        return 0;
    const struct pcie_iommu_domain *dom = f->ctx_by_rid[rid];
    uint64_t bad;
    int reason = check_range(f, dom, iova, len, dir, &bad, true);
    if (reason) {
        record_fault(f, rid, dom, bad, len, dir, reason);
        return SIM_EFAULT;
    }
    /* Every page is mapped for dir: copy page by page (translations now hit the IOTLB, but
     * these second lookups are not counted). */
    size_t done = 0;
    while (done < len) {
        uint64_t at = iova + done;
        size_t chunk = PCIE_IOMMU_PAGE_SIZE - (size_t)(at & PAGE_MASK);
        if (chunk > len - done)
            chunk = len - done;
        unsigned perm;
        uint8_t *host = translate_page(f, dom, at >> PAGE_SHIFT, &perm, false);
        if (!host)
            return SIM_EINTERNAL; /* cannot happen: check_range passed */
        host += at & PAGE_MASK;
        if (dir == PCIE_DMA_WRITE)
            memcpy(host, buf + done, chunk);
        else
            memcpy(buf + done, host, chunk);
        done += chunk;
    }
    if (dir == PCIE_DMA_WRITE)
        f->stats.dma_writes++;
    else
        f->stats.dma_reads++;
    f->stats.dma_bytes += len;
    return 0;
}

int
pcie_dma_read(struct pcie_fabric *f, uint16_t rid, uint64_t iova, void *buf, size_t len)
{
    return dma(f, rid, iova, buf, len, PCIE_DMA_READ);
}

int
pcie_dma_write(struct pcie_fabric *f, uint16_t rid, uint64_t iova, const void *buf, size_t len)
{
    /* dma() only reads from buf in the write direction. */
    return dma(f, rid, iova, (uint8_t *)(uintptr_t)buf, len, PCIE_DMA_WRITE);
}

uint64_t
pcie_iommu_fault_count(const struct pcie_fabric *f)
{
    return f ? f->nfaults : 0;
}

int
pcie_iommu_fault_get(const struct pcie_fabric *f, unsigned i, struct pcie_iommu_fault *out)
{
    if (!f || !out)
        return SIM_EINVAL;
    if (i >= PCIE_IOMMU_FAULT_LOG || i >= f->nfaults)
        return SIM_ENOENT;
    *out = f->faults[(f->nfaults - 1 - i) % PCIE_IOMMU_FAULT_LOG];
    return 0;
}

const char *
pcie_fault_reason_name(enum pcie_fault_reason r)
{
    switch (r) {
    case PCIE_FAULT_NO_CONTEXT:
        return "no context (RID attached to no domain)";
    case PCIE_FAULT_NOT_MAPPED:
        return "not mapped in the RID's domain";
    case PCIE_FAULT_PERMISSION:
        return "permission (mapped, not for this direction)";
    }
    return "?";
}
