/* SPDX-License-Identifier: MIT */
/*
 * tcbrcb.c — transmit and receive control blocks of a PF queue pair and the DMA memory behind
 * them: one TCB (with its own transmit buffer) per TX ring slot, one RCB (receive buffer + the
 * NBL that describes it to NDIS) per receive buffer, and the four descriptor rings. The default
 * VPort's queue (PF QP 0) is allocated at MiniportInitializeEx; a VMQ queue (the first QP of a
 * PF non-default VPort, smaller rings) at CREATE_VPORT — both on the control path. The memory
 * is host memory the PF maps in its own IOMMU translation domain (its RID's context), QP q at
 * PF_DMA_IOVA + q * PF_QP_IOVA_STRIDE. The data path never allocates: running out of TCBs is a
 * modelled condition (RESOURCES + ring-full drop).
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

int
pf__dma_domain_create(struct pf_adapter *a, struct sim_diag *d)
{
    char dn[PF_NAME_MAX + 8];
    snprintf(dn, sizeof dn, "%s.dma", a->name);
    int rc = pcie_iommu_domain_create(a->fabric, dn, &a->dma_dom);
    if (rc != 0)
        return sim_diag_fail(d, rc, "pf %s: cannot create the PF's IOMMU domain (%s)", a->name,
                             sim_strerror(rc));
    rc = pcie_iommu_attach(a->dma_dom, a->rid);
    if (rc != 0) {
        sim_diag_fail(d, rc, "pf %s: cannot attach the PF's RID to its IOMMU domain (%s)", a->name,
                      sim_strerror(rc));
        pf__dma_domain_destroy(a);
    }
    return rc;
}

void
pf__dma_domain_destroy(struct pf_adapter *a)
{
    if (a->dma_dom != NULL)
        pcie_iommu_domain_destroy(a->dma_dom); /* detaches the RID, drops the mappings */
    a->dma_dom = NULL;
}

static int
dma_create(struct pf_adapter *a, struct pf_qp *q, struct sim_diag *d)
{
    size_t one;
    int rc = sim_ring_memsize(q->slots, &one);
    if (rc != 0)
        return sim_diag_fail(d, rc, "pf %s: bad ring size %u", a->name, q->slots);
    q->ring_bytes = round_up(one, 64);
    size_t rx_off = round_up(q->ring_bytes * PF_QP_RINGS, PF_BUF_SIZE);
    size_t tx_off = rx_off + (size_t)q->rx_count * PF_BUF_SIZE;
    q->dma_len = round_up(tx_off + (size_t)q->slots * PF_BUF_SIZE, PCIE_IOMMU_PAGE_SIZE);
    q->dma_mem = sim_calloc(SIM_TAG(pf_tables), 1, q->dma_len + PCIE_IOMMU_PAGE_SIZE);
    if (q->dma_mem == NULL)
        return sim_diag_fail(d, SIM_ENOMEM,
                             "pf %s: out of memory for %zu bytes of DMA memory (QP %u)", a->name,
                             q->dma_len, q->index);
    q->dma_host = (uint8_t *)round_up((uintptr_t)q->dma_mem, PCIE_IOMMU_PAGE_SIZE);
    q->dma_iova = PF_DMA_IOVA + (uint64_t)q->index * PF_QP_IOVA_STRIDE;
    rc = pcie_iommu_map(a->dma_dom, q->dma_iova, q->dma_host, q->dma_len, PCIE_IOMMU_PERM_RW, d);
    if (rc != 0) {
        sim_free(q->dma_mem);
        q->dma_mem = NULL;
        q->dma_host = NULL;
        return rc;
    }
    for (unsigned i = 0; i < PF_QP_RINGS; i++) {
        q->ring[i] = (struct sim_ring *)(q->dma_host + i * q->ring_bytes);
        (void)sim_ring_init(q->ring[i], q->slots); /* size validated by memsize above */
    }
    for (unsigned i = 0; i < q->rx_count; i++) {
        q->rcb[i].iova = q->dma_iova + rx_off + (uint64_t)i * PF_BUF_SIZE;
        q->rcb[i].host = q->dma_host + rx_off + (size_t)i * PF_BUF_SIZE;
        q->rcb[i].state = PF_RCB_IDLE;
    }
    for (unsigned i = 0; i < q->slots; i++) {
        q->tcb[i].iova = q->dma_iova + tx_off + (uint64_t)i * PF_BUF_SIZE;
        q->tcb[i].host = q->dma_host + tx_off + (size_t)i * PF_BUF_SIZE;
        q->tcb[i].nbl = NULL;
    }
    return 0;
}

static void
dma_destroy(struct pf_qp *q)
{
    for (unsigned i = 0; i < PF_QP_RINGS; i++) {
        if (q->ring[i] != NULL)
            sim_ring_fini(q->ring[i]);
        q->ring[i] = NULL;
    }
    if (q->dma_mem != NULL && q->a->dma_dom != NULL)
        (void)pcie_iommu_unmap(q->a->dma_dom, q->dma_iova, q->dma_len);
    sim_free(q->dma_mem);
    q->dma_mem = NULL;
    q->dma_host = NULL;
}

int
pf__qp_pools_create(struct pf_adapter *a, struct pf_qp *q, uint16_t index, uint32_t vport_id,
                    unsigned slots, unsigned rx_count, struct sim_diag *d)
{
    int rc = SIM_ENOMEM;
    memset(q, 0, sizeof *q);
    q->a = a;
    q->index = index;
    q->vport_id = vport_id;
    q->slots = slots;
    q->rx_count = rx_count;
    if (index == 0) {
        snprintf(q->where_tx, sizeof q->where_tx, "%s tx", a->name);
        snprintf(q->where_rx, sizeof q->where_rx, "%s rx", a->name);
    } else {
        snprintf(q->where_tx, sizeof q->where_tx, "%s.vmq%u tx", a->name, (unsigned)vport_id);
        snprintf(q->where_rx, sizeof q->where_rx, "%s.vmq%u rx", a->name, (unsigned)vport_id);
    }
    q->tcb = sim_calloc(SIM_TAG(pf_tables), slots, sizeof *q->tcb);
    q->rcb = sim_calloc(SIM_TAG(pf_tables), rx_count, sizeof *q->rcb);
    q->burst = sim_calloc(SIM_TAG(pf_tables), slots, sizeof *q->burst);
    if (q->tcb == NULL || q->rcb == NULL || q->burst == NULL) {
        sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory for %u TCBs / %u RCBs (QP %u)", a->name,
                      slots, rx_count, index);
        goto undo;
    }
    char pool_name[PF_NAME_MAX + 16];
    snprintf(pool_name, sizeof pool_name, "%s.rx%u", a->name, (unsigned)index);
    struct ndis_nbl_pool_config pc = {
        .name = pool_name,
        .nbl_count = rx_count,
        .nbs_per_nbl = 1,
        .data_size = 0, /* each NB points at its RCB's DMA buffer */
        .track_owners = true,
    };
    rc = ndis_nbl_pool_create(&pc, &q->rx_pool, d);
    if (rc != 0)
        goto undo;
    for (unsigned i = 0; i < rx_count; i++) {
        struct ndis_nbl *nbl = ndis_nbl_alloc(q->rx_pool, a->mp);
        if (nbl == NULL) { /* cannot happen: the pool holds exactly rx_count */
            rc = sim_diag_fail(d, SIM_EINTERNAL, "pf %s: RX NBL pool short", a->name);
            goto undo;
        }
        /* MiniportReserved: RCB index, then the QP index (the return path finds the queue). */
        uint32_t idx = i, qi = index;
        memcpy(nbl->miniport_reserved, &idx, sizeof idx);
        memcpy(nbl->miniport_reserved + 4, &qi, sizeof qi);
        q->rcb[i].nbl = nbl;
    }
    rc = dma_create(a, q, d);
    if (rc != 0)
        goto undo;
    q->tx_head = q->tx_tail = 0;
    q->rx_lent = 0;
    return 0;
undo:
    pf__qp_pools_destroy(q);
    return rc;
}

void
pf__qp_pools_destroy(struct pf_qp *q)
{
    if (q->a == NULL)
        return;
    dma_destroy(q);
    if (q->rcb != NULL)
        for (unsigned i = 0; i < q->rx_count; i++)
            if (q->rcb[i].nbl != NULL)
                (void)ndis_nbl_free(q->rcb[i].nbl, q->a->mp);
    if (q->rx_pool != NULL && ndis_nbl_pool_destroy(q->rx_pool) != 0)
        SIM_ERROR(pf, "%s: RX NBL pool of QP %u still in use", q->a->name, q->index);
    q->rx_pool = NULL;
    sim_free(q->tcb);
    sim_free(q->rcb);
    sim_free(q->burst);
    q->tcb = NULL;
    q->rcb = NULL;
    q->burst = NULL;
}

static void
vmq_dpc(struct sim_timer *t)
{
    pf__qp_dpc(t->data);
}

int
pf__vmq_alloc(struct pf_adapter *a, uint16_t index, uint32_t vport_id, struct pf_qp **out,
              struct sim_diag *d)
{
    if (index == 0 || index >= PF_PF_MAX_QPS)
        return sim_diag_fail(d, SIM_ERANGE, "pf %s: QP %u cannot be a VMQ queue", a->name, index);
    if (a->dma_dom == NULL)
        return sim_diag_fail(d, SIM_ESTATE, "pf %s: no DMA domain (adapter not initialized)",
                             a->name);
    struct pf_qp *q = sim_calloc(SIM_TAG(pf_tables), 1, sizeof *q);
    if (q == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory for a VMQ queue", a->name);
    int rc = pf__qp_pools_create(a, q, index, vport_id, PF_VMQ_RING_SLOTS, PF_VMQ_RX_BUFFERS, d);
    if (rc != 0) {
        sim_free(q);
        return rc;
    }
    q->dpc = &q->own_dpc;
    sim_timer_init(a->sched, &q->own_dpc, vmq_dpc, q);
    *out = q;
    return 0;
}

void
pf__vmq_free(struct pf_qp *q)
{
    if (q == NULL)
        return;
    sim_timer_stop(&q->own_dpc);
    pf__qp_pools_destroy(q);
    sim_free(q);
}

/* Post every idle RCB to the RX fill ring; returns how many. */
unsigned
pf__rcb_post_idle(struct pf_qp *q)
{
    unsigned n = 0;
    for (unsigned i = 0; i < q->rx_count; i++) {
        struct pf_rcb *r = &q->rcb[i];
        if (r->state != PF_RCB_IDLE)
            continue;
        q->burst[0] = NIC_DESC(r->iova, PF_BUF_SIZE);
        if (sim_ring_sp_enqueue_bulk(q->ring[PF_RING_RXF], q->burst, 1) != 1)
            break; /* cannot happen: rx_count <= slots */
        r->state = PF_RCB_POSTED;
        n++;
    }
    return n;
}

struct pf_rcb *
pf__rcb_from_iova(struct pf_qp *q, uint64_t iova)
{
    if (q->rcb == NULL || q->rx_count == 0 || iova < q->rcb[0].iova)
        return NULL;
    uint64_t off = iova - q->rcb[0].iova;
    if (off % PF_BUF_SIZE != 0 || off / PF_BUF_SIZE >= q->rx_count)
        return NULL;
    return &q->rcb[off / PF_BUF_SIZE];
}
