/* SPDX-License-Identifier: MIT */
/*
 * tcbrcb.c — the default VPort's transmit and receive control blocks and the DMA memory behind
 * them, all sized and allocated at MiniportInitializeEx: one TCB (with its own transmit buffer)
 * per TX ring slot, one RCB (receive buffer + the NBL that describes it to NDIS) per receive
 * buffer, and the four descriptor rings of PF queue pair 0. The memory is host memory the PF
 * maps in its own IOMMU translation domain (its RID's context), at PF_DMA_IOVA. The data path
 * never allocates: running out of TCBs is a modelled condition (RESOURCES + ring-full drop).
 *
 * Windows counterpart: netvmini's tcbrcb.c (TCB / RCB lists allocated in MiniportInitializeEx,
 * NdisAllocateNetBufferListPool for the receive NBLs) with NdisMAllocateSharedMemory for the
 * rings and buffers (the DMA adapter maps them for the device).
 */
#include <stdio.h>
#include <string.h>

#include "miniport_pf/pf_int.h"
#include "nic/nic_regs.h"

static size_t
round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

static int
dma_create(struct pf_adapter *a, struct sim_diag *d)
{
    size_t one;
    int rc = sim_ring_memsize(a->slots, &one);
    if (rc != 0)
        return sim_diag_fail(d, rc, "pf %s: bad ring size %u", a->name, a->slots);
    a->ring_bytes = round_up(one, 64);
    size_t rx_off = round_up(a->ring_bytes * PF_QP_RINGS, PF_BUF_SIZE);
    size_t tx_off = rx_off + (size_t)a->rx_count * PF_BUF_SIZE;
    a->dma_len = round_up(tx_off + (size_t)a->slots * PF_BUF_SIZE, PCIE_IOMMU_PAGE_SIZE);
    a->dma_mem = sim_calloc(SIM_TAG(pf_tables), 1, a->dma_len + PCIE_IOMMU_PAGE_SIZE);
    if (a->dma_mem == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory for %zu bytes of DMA memory",
                             a->name, a->dma_len);
    a->dma_host = (uint8_t *)round_up((uintptr_t)a->dma_mem, PCIE_IOMMU_PAGE_SIZE);

    char dn[PF_NAME_MAX + 8];
    snprintf(dn, sizeof dn, "%s.dma", a->name);
    rc = pcie_iommu_domain_create(a->fabric, dn, &a->dma_dom);
    if (rc != 0) {
        sim_diag_fail(d, rc, "pf %s: cannot create the PF's IOMMU domain (%s)", a->name,
                      sim_strerror(rc));
        goto free_mem;
    }
    rc = pcie_iommu_attach(a->dma_dom, a->rid);
    if (rc != 0) {
        sim_diag_fail(d, rc, "pf %s: cannot attach the PF's RID to its IOMMU domain (%s)", a->name,
                      sim_strerror(rc));
        goto free_dom;
    }
    rc = pcie_iommu_map(a->dma_dom, PF_DMA_IOVA, a->dma_host, a->dma_len, PCIE_IOMMU_PERM_RW, d);
    if (rc != 0)
        goto free_dom;
    for (unsigned i = 0; i < PF_QP_RINGS; i++) {
        a->ring[i] = (struct sim_ring *)(a->dma_host + i * a->ring_bytes);
        (void)sim_ring_init(a->ring[i], a->slots); /* size validated by memsize above */
    }
    for (unsigned i = 0; i < a->rx_count; i++) {
        a->rcb[i].iova = PF_DMA_IOVA + rx_off + (uint64_t)i * PF_BUF_SIZE;
        a->rcb[i].host = a->dma_host + rx_off + (size_t)i * PF_BUF_SIZE;
        a->rcb[i].state = PF_RCB_IDLE;
    }
    for (unsigned i = 0; i < a->slots; i++) {
        a->tcb[i].iova = PF_DMA_IOVA + tx_off + (uint64_t)i * PF_BUF_SIZE;
        a->tcb[i].host = a->dma_host + tx_off + (size_t)i * PF_BUF_SIZE;
        a->tcb[i].nbl = NULL;
    }
    return 0;
free_dom:
    pcie_iommu_domain_destroy(a->dma_dom); /* detaches the RID, drops the mappings */
    a->dma_dom = NULL;
free_mem:
    sim_free(a->dma_mem);
    a->dma_mem = NULL;
    a->dma_host = NULL;
    return rc;
}

static void
dma_destroy(struct pf_adapter *a)
{
    for (unsigned i = 0; i < PF_QP_RINGS; i++) {
        if (a->ring[i] != NULL)
            sim_ring_fini(a->ring[i]);
        a->ring[i] = NULL;
    }
    if (a->dma_dom != NULL)
        pcie_iommu_domain_destroy(a->dma_dom);
    a->dma_dom = NULL;
    sim_free(a->dma_mem);
    a->dma_mem = NULL;
    a->dma_host = NULL;
}

int
pf__pools_create(struct pf_adapter *a, struct sim_diag *d)
{
    int rc = SIM_ENOMEM;
    a->tcb = sim_calloc(SIM_TAG(pf_tables), a->slots, sizeof *a->tcb);
    a->rcb = sim_calloc(SIM_TAG(pf_tables), a->rx_count, sizeof *a->rcb);
    a->burst = sim_calloc(SIM_TAG(pf_tables), a->slots, sizeof *a->burst);
    if (a->tcb == NULL || a->rcb == NULL || a->burst == NULL) {
        sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory for %u TCBs / %u RCBs", a->name,
                      a->slots, a->rx_count);
        goto undo;
    }
    char pool_name[PF_NAME_MAX + 8];
    snprintf(pool_name, sizeof pool_name, "%s.rx", a->name);
    struct ndis_nbl_pool_config pc = {
        .name = pool_name,
        .nbl_count = a->rx_count,
        .nbs_per_nbl = 1,
        .data_size = 0, /* each NB points at its RCB's DMA buffer */
        .track_owners = true,
    };
    rc = ndis_nbl_pool_create(&pc, &a->rx_pool, d);
    if (rc != 0)
        goto undo;
    for (unsigned i = 0; i < a->rx_count; i++) {
        struct ndis_nbl *nbl = ndis_nbl_alloc(a->rx_pool, a->mp);
        if (nbl == NULL) { /* cannot happen: the pool holds exactly rx_count */
            rc = sim_diag_fail(d, SIM_EINTERNAL, "pf %s: RX NBL pool short", a->name);
            goto undo;
        }
        uint32_t idx = i;
        memcpy(nbl->miniport_reserved, &idx, sizeof idx);
        a->rcb[i].nbl = nbl;
    }
    rc = dma_create(a, d);
    if (rc != 0)
        goto undo;
    a->tx_head = a->tx_tail = 0;
    a->rx_lent = 0;
    return 0;
undo:
    pf__pools_destroy(a);
    return rc;
}

void
pf__pools_destroy(struct pf_adapter *a)
{
    dma_destroy(a);
    if (a->rcb != NULL)
        for (unsigned i = 0; i < a->rx_count; i++)
            if (a->rcb[i].nbl != NULL)
                (void)ndis_nbl_free(a->rcb[i].nbl, a->mp);
    if (a->rx_pool != NULL && ndis_nbl_pool_destroy(a->rx_pool) != 0)
        SIM_ERROR(pf, "%s: RX NBL pool still in use at halt", a->name);
    a->rx_pool = NULL;
    sim_free(a->tcb);
    sim_free(a->rcb);
    sim_free(a->burst);
    a->tcb = NULL;
    a->rcb = NULL;
    a->burst = NULL;
}

/* Post every idle RCB to the RX fill ring; returns how many. */
unsigned
pf__rcb_post_idle(struct pf_adapter *a)
{
    unsigned n = 0;
    for (unsigned i = 0; i < a->rx_count; i++) {
        struct pf_rcb *r = &a->rcb[i];
        if (r->state != PF_RCB_IDLE)
            continue;
        a->burst[0] = NIC_DESC(r->iova, PF_BUF_SIZE);
        if (sim_ring_sp_enqueue_bulk(a->ring[PF_RING_RXF], a->burst, 1) != 1)
            break; /* cannot happen: rx_count <= slots */
        r->state = PF_RCB_POSTED;
        n++;
    }
    return n;
}

struct pf_rcb *
pf__rcb_from_iova(struct pf_adapter *a, uint64_t iova)
{
    if (a->rcb == NULL || a->rx_count == 0 || iova < a->rcb[0].iova)
        return NULL;
    uint64_t off = iova - a->rcb[0].iova;
    if (off % PF_BUF_SIZE != 0 || off / PF_BUF_SIZE >= a->rx_count)
        return NULL;
    return &a->rcb[off / PF_BUF_SIZE];
}
