/* SPDX-License-Identifier: MIT */
/*
 * tcbrcb.c — transmit and receive control blocks from fixed pools sized at initialization:
 * one TCB per TX ring slot (a frame in flight), one RCB per receive buffer (a guest-memory
 * buffer plus the NBL that describes it to NDIS). The data path never allocates: running out
 * of TCBs or ring slots is a modelled condition (the send completes with
 * NDIS_STATUS_RESOURCES and SIM_DROP_RING_FULL is reported).
 *
 * Windows counterpart: netvmini's tcbrcb.c (TCB / RCB lists allocated in
 * MiniportInitializeEx, NdisAllocateNetBufferListPool for the receive NBLs).
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

int
vf__pools_create(struct vf_adapter *a, struct sim_diag *d)
{
    a->tcb = sim_calloc(SIM_TAG(vf), a->slots, sizeof(*a->tcb));
    a->rcb = sim_calloc(SIM_TAG(vf), a->rx_count, sizeof(*a->rcb));
    a->burst = sim_calloc(SIM_TAG(vf), a->slots, sizeof(*a->burst));
    if (a->tcb == NULL || a->rcb == NULL || a->burst == NULL) {
        sim_diag_fail(d, SIM_ENOMEM, "%s: out of memory for %u TCBs / %u RCBs", a->name, a->slots,
                      a->rx_count);
        goto undo_arrays;
    }
    char pool_name[VF_NAME_MAX + 8];
    snprintf(pool_name, sizeof pool_name, "%s.rx", a->name);
    struct ndis_nbl_pool_config pc = {
        .name = pool_name,
        .nbl_count = a->rx_count,
        .nbs_per_nbl = 1,
        .data_size = 0, /* zero copy: each NB points at its RCB's guest buffer */
        .track_owners = true,
    };
    int rc = ndis_nbl_pool_create(&pc, &a->rx_pool, d);
    if (rc != 0)
        goto undo_arrays;
    for (unsigned i = 0; i < a->rx_count; i++) {
        struct ndis_nbl *nbl = ndis_nbl_alloc(a->rx_pool, a->mp);
        if (nbl == NULL) { /* cannot happen: the pool holds exactly rx_count */
            sim_diag_fail(d, SIM_EINTERNAL, "%s: RX NBL pool short", a->name);
            goto undo_pool;
        }
        uint32_t idx = i;
        memcpy(nbl->miniport_reserved, &idx, sizeof idx);
        a->rcb[i].nbl = nbl;
    }
    a->tx_head = a->tx_tail = 0;
    a->rx_lent = 0;
    return 0;

undo_pool:
    vf__pools_destroy(a);
    return d != NULL && d->code != 0 ? d->code : SIM_EINTERNAL;
undo_arrays:
    sim_free(a->tcb);
    sim_free(a->rcb);
    sim_free(a->burst);
    a->tcb = NULL;
    a->rcb = NULL;
    a->burst = NULL;
    return d != NULL && d->code != 0 ? d->code : SIM_ENOMEM;
}

void
vf__pools_destroy(struct vf_adapter *a)
{
    if (a->rcb != NULL) {
        for (unsigned i = 0; i < a->rx_count; i++)
            if (a->rcb[i].nbl != NULL)
                (void)ndis_nbl_free(a->rcb[i].nbl, a->mp);
    }
    if (a->rx_pool != NULL && ndis_nbl_pool_destroy(a->rx_pool) != 0)
        SIM_ERROR(vf, "%s: RX NBL pool still in use at halt", a->name);
    a->rx_pool = NULL;
    sim_free(a->tcb);
    sim_free(a->rcb);
    sim_free(a->burst);
    a->tcb = NULL;
    a->rcb = NULL;
    a->burst = NULL;
}

unsigned
vf__rcb_post_idle(struct vf_adapter *a)
{
    unsigned n = 0;
    for (unsigned i = 0; i < a->rx_count; i++) {
        struct vf_rcb *r = &a->rcb[i];
        if (r->state != VF_RCB_IDLE)
            continue;
        a->burst[0] = NIC_DESC(r->gpa, VF_RX_BUF_SIZE);
        if (sim_ring_sp_enqueue_burst(a->ring[VF_RING_RXF], a->burst, 1) != 1)
            break; /* cannot happen: rx_count <= slots */
        r->state = VF_RCB_POSTED;
        n++;
    }
    return n;
}

struct vf_rcb *
vf__rcb_from_gpa(struct vf_adapter *a, uint64_t gpa)
{
    if (gpa < a->rxbuf_gpa)
        return NULL;
    uint64_t off = gpa - a->rxbuf_gpa;
    if (off % VF_RX_BUF_SIZE != 0 || off / VF_RX_BUF_SIZE >= a->rx_count)
        return NULL;
    return &a->rcb[off / VF_RX_BUF_SIZE];
}
