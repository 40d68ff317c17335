/* SPDX-License-Identifier: MIT */
/*
 * gpa.c — guest-physical address space of a partition: a page-granular allocator of GPA ranges
 * (for VMBus ring buffers and send/receive buffers, VF queue rings, packet buffers) and the
 * partition's own (CPU) view, GPA -> host pointer. Windows counterpart: the guest's physical
 * memory as the guest kernel allocates it (MmAllocateContiguousMemory for a ring-buffer GPADL)
 * and the hypervisor's GPA -> SPA map for the partition. Devices do not use this view: they go
 * through the IOMMU domain (pcie_dma_*), which maps the same pages.
 */
#include <string.h>

#include "hv/hv_int.h"

int
hv__gpa_table_init(struct hv_partition *p)
{
    p->pages = sim_calloc(SIM_TAG(hv_memory), p->npages, sizeof(*p->pages));
    if (!p->pages)
        return SIM_ENOMEM;
    /* Page 0 stays reserved for the whole life of the partition: GPA 0 means "no buffer". */
    p->pages[0] = 1;
    p->pages_used = 1;
    return 0;
}

int
hv_gpa_alloc(struct hv_partition *p, uint64_t len, uint64_t align, uint64_t *gpa,
             struct sim_diag *d)
{
    if (!p || !gpa)
        return sim_diag_fail(d, SIM_EINVAL, "hv_gpa_alloc: NULL argument");
    if (len == 0 || len > p->mem_size)
        return sim_diag_fail(d, len == 0 ? SIM_EINVAL : SIM_ENOSPC,
                             "partition %s: cannot allocate %llu bytes of guest memory (size %llu)",
                             p->name, (unsigned long long)len, (unsigned long long)p->mem_size);
    if (align != 0 && (align & (align - 1)) != 0)
        return sim_diag_fail(d, SIM_EINVAL, "partition %s: alignment %llu is not a power of two",
                             p->name, (unsigned long long)align);
    uint64_t align_pages = align <= HV_PAGE_SIZE ? 1 : align / HV_PAGE_SIZE;
    uint32_t n = (uint32_t)((len + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE);

    /* First fit, walking ranges (an allocated range is skipped in one step). */
    uint32_t i = 0;
    while (i < p->npages) {
        if (p->pages[i] == HV__PAGE_TAIL) {
            i++; /* inside a range (reached through an aligned start): step out of it */
            continue;
        }
        if (p->pages[i] != HV__PAGE_FREE) {
            i += p->pages[i]; /* a range start: skip the whole range */
            continue;
        }
        uint64_t start = (i + align_pages - 1) / align_pages * align_pages;
        if (start + n > p->npages)
            break;
        uint32_t j = (uint32_t)start;
        uint32_t end = (uint32_t)(start + n);
        while (j < end && p->pages[j] == HV__PAGE_FREE)
            j++;
        if (j == end) {
            p->pages[start] = n;
            for (uint32_t k = (uint32_t)start + 1; k < end; k++)
                p->pages[k] = HV__PAGE_TAIL;
            p->pages_used += n;
            memset(p->mem + start * HV_PAGE_SIZE, 0, (size_t)n * HV_PAGE_SIZE);
            *gpa = start * HV_PAGE_SIZE;
            return 0;
        }
        i = j; /* pages[j] is allocated: resume the walk there */
    }
    return sim_diag_fail(d, SIM_ENOSPC,
                         "partition %s: no free guest-physical range of %u pages (%llu of %llu "
                         "bytes in use)",
                         p->name, n, (unsigned long long)p->pages_used * HV_PAGE_SIZE,
                         (unsigned long long)p->mem_size);
}

int
hv_gpa_free(struct hv_partition *p, uint64_t gpa)
{
    if (!p || gpa % HV_PAGE_SIZE != 0 || gpa >= p->mem_size || gpa == 0)
        return SIM_EINVAL;
    uint32_t i = (uint32_t)(gpa / HV_PAGE_SIZE);
    uint32_t n = p->pages[i];
    if (n == HV__PAGE_FREE || n == HV__PAGE_TAIL)
        return SIM_EINVAL;
    for (uint32_t k = i; k < i + n; k++)
        p->pages[k] = HV__PAGE_FREE;
    p->pages_used -= n;
    return 0;
}

uint64_t
hv_gpa_range_size(const struct hv_partition *p, uint64_t gpa)
{
    if (!p || gpa % HV_PAGE_SIZE != 0 || gpa >= p->mem_size)
        return 0;
    uint32_t n = p->pages[gpa / HV_PAGE_SIZE];
    if (n == HV__PAGE_FREE || n == HV__PAGE_TAIL)
        return 0;
    return (uint64_t)n * HV_PAGE_SIZE;
}

int
hv_gpa_translate(const struct hv_partition *p, uint64_t gpa, uint64_t len, void **host)
{
    if (!p || !host || len == 0 || gpa >= p->mem_size || len > p->mem_size - gpa)
        return SIM_EFAULT;
    *host = p->mem + gpa;
    return 0;
}

void *
hv_gpa_to_host(const struct hv_partition *p, uint64_t gpa, uint64_t len)
{
    void *h = NULL;
    return hv_gpa_translate(p, gpa, len, &h) == 0 ? h : NULL;
}

int
hv_gpa_from_host(const struct hv_partition *p, const void *host, uint64_t *gpa)
{
    if (!p || !host || !gpa)
        return SIM_EFAULT;
    uintptr_t h = (uintptr_t)host, base = (uintptr_t)p->mem;
    if (h < base || h - base >= p->mem_size)
        return SIM_EFAULT;
    *gpa = (uint64_t)(h - base);
    return 0;
}

int
hv_gpa_write(struct hv_partition *p, uint64_t gpa, const void *src, uint64_t len)
{
    void *h;
    if (!src)
        return SIM_EFAULT;
    int err = hv_gpa_translate(p, gpa, len, &h);
    if (err)
        return err;
    memcpy(h, src, (size_t)len);
    return 0;
}

int
hv_gpa_read(const struct hv_partition *p, uint64_t gpa, void *dst, uint64_t len)
{
    void *h;
    if (!dst)
        return SIM_EFAULT;
    int err = hv_gpa_translate(p, gpa, len, &h);
    if (err)
        return err;
    memcpy(dst, h, (size_t)len);
    return 0;
}
