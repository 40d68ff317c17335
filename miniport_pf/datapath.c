/* SPDX-License-Identifier: MIT */
/*
 * datapath.c — the PF's data path: the default VPort's queue pair (PF QP 0) and the VMQ queues
 * of PF non-default VPorts (one PF QP each, the VPort's first), all in the PF's own DMA memory;
 * what the host's extensible switch (NetVSP bound to the PF as a protocol) sends to the wire
 * and receives from it through the NIC switch.
 *
 * TX (MiniportSendNetBufferLists): the NBL carries the VPort id in its filtering info (§11.2).
 * DEFAULT_VPORT_ID, or an id that names no VPort any more (deleted: "ignore it and use the
 * default"), goes out on the default VPort's queue; a PF non-default VPort's id goes out on that
 * VPort's VMQ queue (the NIC switch sees it come from that VPort). A VF's VPort is not the PF's
 * to send on (refused). Each NET_BUFFER is copied into its TCB's DMA buffer behind the 16-byte
 * packet header (the packet id), and posted as one descriptor IOVA|len; the NBL completes once,
 * when its last descriptor completed (NdisMSendNetBufferListsComplete), or at once when refused.
 * RX: pre-posted DMA buffers per queue; the device writes header + frame; the driver points the
 * RCB's NBL at the frame, sets the VPort id from the header (the default VPort:
 * DEFAULT_VPORT_ID; a VMQ queue: its VPort, so the extensible switch needs no MAC lookup) and
 * indicates it; the buffer is re-posted when the NBL is returned. No indication on a
 * non-default VPort without a filter, or deleted (§11.2, §4.2).
 *
 * VMQ queue life: allocated at CREATE_VPORT (vport.c, control path), enabled when the device
 * created the VPort (pf__vmq_start), drained at DELETE_VPORT (pf__vmq_stop: completions the
 * device posted are reaped, the rest dropped with a cause, the QP disabled, memory freed — or,
 * while NBLs it indicated are still held above, freed when the last one comes back).
 *
 * Scenario mode: each QP's MSI-X interrupt schedules that queue's DPC (poll with a budget),
 * doorbells tell the device about new descriptors. Bench mode: no interrupt, no doorbell; the
 * owner calls pf_adapter_poll and the NIC runs nic_poll. Nothing here allocates. Every frame the
 * driver loses is reported to the PF's drop sink with a cause; frames the device dropped were
 * reported by the device and are only counted here (one report per lost frame).
 *
 * Windows counterpart: netvmini's datapath.c (MiniportSendNetBufferLists,
 * MiniportInterruptDPC, MiniportReturnNetBufferLists) with the PF VPort rules of
 * reference/ndis_sriov.md §11.2 (a PF non-default VPort used as a VM queue, §10).
 */
#include <string.h>

#include "miniport_pf/pf_int.h"
#include "nic/nic_regs.h"

/* The NBL's outstanding-NB count and worst status live in its MiniportReserved area. */
static void
nbl_set_pending(struct ndis_nbl *nbl, uint32_t n, ndis_status_t st)
{
    memcpy(nbl->miniport_reserved, &n, sizeof n);
    memcpy(nbl->miniport_reserved + 4, &st, sizeof st);
}

static uint32_t
nbl_pending(const struct ndis_nbl *nbl, ndis_status_t *st)
{
    uint32_t n;
    memcpy(&n, nbl->miniport_reserved, sizeof n);
    memcpy(st, nbl->miniport_reserved + 4, sizeof *st);
    return n;
}

void
pf__drop(struct pf_adapter *a, enum sim_drop_cause cause, bool tx, uint64_t packet_id,
         const void *frame, uint32_t len)
{
    a->stats.drops[cause]++;
    if (a->has_sink)
        sim_drop_report(&a->sink, cause, tx ? a->where_tx : a->where_rx, packet_id, frame, len);
}

/* A drop on one queue: reported where that queue is (the default queue: "pf0 tx" / "pf0 rx"). */
static void
qp_drop(struct pf_qp *q, enum sim_drop_cause cause, bool tx, uint64_t packet_id, const void *frame,
        uint32_t len)
{
    struct pf_adapter *a = q->a;
    a->stats.drops[cause]++;
    if (a->has_sink)
        sim_drop_report(&a->sink, cause, tx ? q->where_tx : q->where_rx, packet_id, frame, len);
}

/* Sends in flight and indications held above, over every queue (closing ones too). */
static bool
dp_idle(const struct pf_adapter *a)
{
    if (pf__tx_inflight(&a->qp0) != 0 || a->qp0.rx_lent != 0)
        return false;
    for (unsigned i = 0; i < PF_PF_MAX_QPS; i++)
        if (a->vmq[i] != NULL && (pf__tx_inflight(a->vmq[i]) != 0 || a->vmq[i]->rx_lent != 0))
            return false;
    for (const struct pf_qp *q = a->vmq_closing; q != NULL; q = q->next_closing)
        if (q->rx_lent != 0)
            return false;
    return true;
}

static void
pause_check(struct pf_adapter *a)
{
    if (!a->pausing || !dp_idle(a))
        return;
    a->pausing = false;
    a->running = false;
    (void)ndis_miniport_pause_complete(a->mp, NDIS_STATUS_SUCCESS);
}

/* §11.2: which queue a send naming vport_id goes to. SUCCESS (*out: the default VPort's queue
 * or the PF VPort's VMQ queue) or the status to complete the NBL with (cause set). */
static ndis_status_t
tx_vport(struct pf_adapter *a, struct ndis_nbl *nbl, struct pf_qp **out, enum sim_drop_cause *cause)
{
    *out = &a->qp0;
    if (nbl->vport_id == NDIS_DEFAULT_VPORT_ID)
        return NDIS_STATUS_SUCCESS;
    const struct pf_vport *vp = pf__vport(a, nbl->vport_id);
    if (vp == NULL) {
        /* A VPort id that was deleted (or never existed): ignore it, use the default. */
        a->stats.tx_vport_fallback++;
        return NDIS_STATUS_SUCCESS;
    }
    if (vp->params.attached_function_id != NDIS_PF_FUNCTION_ID) {
        SIM_DEBUG(pf, "%s: send on VPort %u refused: attached to VF %u, not the PF", a->name,
                  nbl->vport_id, vp->params.attached_function_id);
        *cause = SIM_DROP_POLICY;
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    struct pf_qp *q = vp->first_qp < PF_PF_MAX_QPS ? a->vmq[vp->first_qp] : NULL;
    if (q == NULL || !q->up || q->vport_id != nbl->vport_id) {
        /* Cannot normally happen: a PF VPort has its queue from CREATE_VPORT to DELETE_VPORT. */
        SIM_DEBUG(pf, "%s: send on PF VPort %u refused: its queue is not up", a->name,
                  nbl->vport_id);
        *cause = SIM_DROP_PATH_INACTIVE;
        return NDIS_STATUS_NOT_SUPPORTED;
    }
    *out = q;
    return NDIS_STATUS_SUCCESS;
}

/* One NBL: validate every NET_BUFFER, then post all of them or none. Returns SUCCESS (posted on
 * *qout; completes later) or the status to complete it with now. */
static ndis_status_t
tx_nbl(struct pf_adapter *a, struct ndis_nbl *nbl, struct pf_qp **qout)
{
    enum sim_drop_cause cause = SIM_DROP_MALFORMED;
    ndis_status_t st;
    uint32_t n = 0;
    struct pf_qp *q = NULL;

    if (a->removed) {
        st = NDIS_STATUS_ADAPTER_REMOVED;
        cause = SIM_DROP_SURPRISE_REMOVAL;
        goto refuse;
    }
    if (!a->dp_up || !a->running || a->pausing) {
        st = NDIS_STATUS_NOT_ACCEPTED; /* NDIS never sends to a paused adapter */
        cause = SIM_DROP_PAUSED;
        goto refuse;
    }
    st = tx_vport(a, nbl, &q, &cause);
    if (st != NDIS_STATUS_SUCCESS)
        goto refuse;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next) {
        if (nb->data == NULL || nb->data_length < NIC_MIN_FRAME_LEN ||
            nb->data_offset > nb->capacity || nb->data_length > nb->capacity - nb->data_offset) {
            st = NDIS_STATUS_INVALID_PARAMETER;
            cause = SIM_DROP_MALFORMED;
            goto refuse;
        }
        if (nb->data_length > PF_BUF_SIZE - NIC_PKT_HDR_LEN) {
            st = NDIS_STATUS_INVALID_LENGTH;
            cause = SIM_DROP_MTU;
            goto refuse;
        }
        n++;
    }
    if (n == 0) {
        st = NDIS_STATUS_INVALID_PARAMETER;
        cause = SIM_DROP_MALFORMED;
        goto refuse;
    }
    if (q->slots - pf__tx_inflight(q) < n) {
        st = NDIS_STATUS_RESOURCES;
        cause = SIM_DROP_RING_FULL;
        goto refuse;
    }
    unsigned k = 0;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next, k++) {
        struct pf_tcb *t = &q->tcb[(q->tx_head + k) & (q->slots - 1)];
        struct nic_pkt_hdr h = {.packet_id = nbl->packet_id};
        memcpy(t->host, &h, sizeof h);
        memcpy(t->host + NIC_PKT_HDR_LEN, nb->data + nb->data_offset, nb->data_length);
        t->nbl = nbl;
        t->packet_id = nbl->packet_id;
        t->len = nb->data_length;
        q->burst[k] = NIC_DESC(t->iova, nb->data_length);
    }
    /* Room checked: TX ring slots == TCBs, and in flight <= slots - n. */
    (void)sim_ring_sp_enqueue_bulk(q->ring[PF_RING_TX], q->burst, n);
    q->tx_head += n;
    a->stats.tx_posted += n;
    nbl_set_pending(nbl, n, NDIS_STATUS_SUCCESS);
    *qout = q;
    return NDIS_STATUS_SUCCESS;

refuse:
    a->stats.tx_refused++;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next) {
        bool ok = nb->data != NULL && nb->data_offset <= nb->capacity &&
                  nb->data_length <= nb->capacity - nb->data_offset;
        if (q != NULL)
            qp_drop(q, cause, true, nbl->packet_id, ok ? nb->data + nb->data_offset : NULL,
                    ok ? nb->data_length : 0);
        else
            pf__drop(a, cause, true, nbl->packet_id, ok ? nb->data + nb->data_offset : NULL,
                     ok ? nb->data_length : 0);
    }
    if (nbl->first_nb == NULL)
        pf__drop(a, cause, true, nbl->packet_id, NULL, 0);
    return st;
}

/* MiniportSendNetBufferLists. */
void
pf__send_nbls(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags)
{
    struct pf_adapter *a = ctx;
    struct ndis_nbl *refused = NULL, **tail = &refused;
    uint32_t ring_mask = 0; /* queues that got descriptors: one doorbell each */
    (void)port;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        a->stats.tx_nbls++;
        struct pf_qp *q = NULL;
        ndis_status_t st = tx_nbl(a, nbl, &q);
        if (st != NDIS_STATUS_SUCCESS) {
            nbl->status = st;
            *tail = nbl;
            tail = &nbl->next;
            a->stats.tx_nbls_completed++;
        } else {
            ring_mask |= 1u << q->index;
        }
    }
    if (refused != NULL)
        (void)ndis_miniport_send_complete(a->mp, refused, 0);
    if (a->poll_mode)
        return;
    for (uint16_t i = 0; ring_mask != 0; i++, ring_mask >>= 1)
        if ((ring_mask & 1u) && !pf__hw_tx_doorbell(a, i))
            SIM_WARN(pf, "%s: TX doorbell of QP %u not accepted: the device is gone", a->name, i);
}

/* Account one finished TCB; returns its NBL if that was the NBL's last NET_BUFFER. */
static struct ndis_nbl *
tcb_finish(struct pf_adapter *a, struct pf_tcb *t, ndis_status_t st)
{
    struct ndis_nbl *nbl = t->nbl;
    t->nbl = NULL;
    if (nbl == NULL)
        return NULL;
    ndis_status_t worst;
    uint32_t left = nbl_pending(nbl, &worst);
    if (st != NDIS_STATUS_SUCCESS && worst == NDIS_STATUS_SUCCESS)
        worst = st;
    nbl_set_pending(nbl, left - 1, worst);
    if (left - 1 != 0)
        return NULL;
    nbl->status = worst;
    nbl->next = NULL;
    a->stats.tx_nbls_completed++;
    return nbl;
}

static unsigned
tx_reap(struct pf_qp *q, unsigned budget)
{
    struct pf_adapter *a = q->a;
    uint64_t descs[64];
    struct ndis_nbl *done = NULL, **tail = &done;
    unsigned total = 0;
    while (total < budget) {
        unsigned want = budget - total;
        if (want > SIM_ARRAY_SIZE(descs))
            want = SIM_ARRAY_SIZE(descs);
        unsigned n = sim_ring_sc_dequeue_burst(q->ring[PF_RING_TXC], descs, want);
        for (unsigned i = 0; i < n; i++) {
            if (q->tx_tail == q->tx_head) { /* a completion for nothing: device bug */
                a->stats.completion_mismatch++;
                continue;
            }
            struct pf_tcb *t = &q->tcb[q->tx_tail & (q->slots - 1)];
            q->tx_tail++;
            a->stats.tx_completed++;
            if (NIC_DESC_IOVA(descs[i]) != t->iova)
                a->stats.completion_mismatch++;
            uint16_t status = NIC_DESC_LEN(descs[i]);
            ndis_status_t st = NDIS_STATUS_SUCCESS;
            if (status == 0) {
                a->stats.tx_ok++;
                a->stats.tx_bytes += t->len;
            } else {
                /* The device dropped it and reported it to its own sink: count, fail it. */
                unsigned cause = status & ~NIC_TXC_DROPPED;
                if (cause < SIM_DROP_CAUSE_COUNT)
                    a->stats.drops[cause]++;
                st = NDIS_STATUS_FAILURE;
            }
            struct ndis_nbl *nbl = tcb_finish(a, t, st);
            if (nbl != NULL) {
                *tail = nbl;
                tail = &nbl->next;
            }
        }
        total += n;
        if (n < want)
            break;
    }
    if (done != NULL)
        (void)ndis_miniport_send_complete(a->mp, done, 0);
    return total;
}

/* Complete every TCB still in flight with `status`, reporting each frame with `cause`. */
static unsigned
tx_flush(struct pf_qp *q, ndis_status_t status, enum sim_drop_cause cause)
{
    struct pf_adapter *a = q->a;
    struct ndis_nbl *done = NULL, **tail = &done;
    unsigned n = 0;
    while (q->tx_tail != q->tx_head) {
        struct pf_tcb *t = &q->tcb[q->tx_tail & (q->slots - 1)];
        q->tx_tail++;
        n++;
        qp_drop(q, cause, true, t->packet_id, t->host + NIC_PKT_HDR_LEN, t->len);
        struct ndis_nbl *nbl = tcb_finish(a, t, status);
        if (nbl != NULL) {
            *tail = nbl;
            tail = &nbl->next;
        }
    }
    a->stats.tx_flushed += n;
    if (done != NULL)
        (void)ndis_miniport_send_complete(a->mp, done, 0);
    return n;
}

/* Give an RCB back to the device (RX fill ring). */
static unsigned
rcb_post(struct pf_qp *q, struct pf_rcb *r)
{
    q->burst[0] = NIC_DESC(r->iova, PF_BUF_SIZE);
    if (sim_ring_sp_enqueue_bulk(q->ring[PF_RING_RXF], q->burst, 1) != 1) {
        r->state = PF_RCB_IDLE; /* cannot happen: rx_count <= slots */
        return 0;
    }
    r->state = PF_RCB_POSTED;
    return 1;
}

/* §11.2 / §4.2: the default VPort always indicates (on the default queue); a non-default one
 * only on its own VMQ queue, while it exists and has at least one filter. */
static bool
rx_vport_may_indicate(struct pf_qp *q, uint16_t vport_id)
{
    if (vport_id == NIC_DEFAULT_VPORT)
        return q->index == 0;
    const struct pf_vport *vp = pf__vport(q->a, vport_id);
    return vp != NULL && vp->nfilters > 0 &&
           vp->params.attached_function_id == NDIS_PF_FUNCTION_ID && q->vport_id == vport_id;
}

static unsigned
rx_reap(struct pf_qp *q, unsigned budget)
{
    struct pf_adapter *a = q->a;
    uint64_t descs[64];
    unsigned want = budget < SIM_ARRAY_SIZE(descs) ? budget : SIM_ARRAY_SIZE(descs);
    unsigned n = sim_ring_sc_dequeue_burst(q->ring[PF_RING_RX], descs, want);
    struct ndis_nbl *chain = NULL, **tail = &chain;
    unsigned reposted = 0, indicated = 0;
    bool up = a->running && !a->pausing;
    for (unsigned i = 0; i < n; i++) {
        struct pf_rcb *r = pf__rcb_from_iova(q, NIC_DESC_IOVA(descs[i]));
        if (r == NULL || r->state != PF_RCB_POSTED) {
            a->stats.bad_rx_desc++;
            continue;
        }
        uint32_t len = NIC_DESC_LEN(descs[i]);
        if (len == NIC_RXD_LEN_UNUSED) {
            a->stats.rx_unused++; /* the device dropped that frame and reported it */
            reposted += rcb_post(q, r);
            continue;
        }
        struct nic_pkt_hdr h;
        memcpy(&h, r->host, sizeof h);
        bool fits = len <= PF_BUF_SIZE - NIC_PKT_HDR_LEN;
        enum sim_drop_cause cause = SIM_DROP_PAUSED;
        bool ok = up;
        if (ok && !fits) {
            ok = false;
            cause = SIM_DROP_MALFORMED;
        }
        if (ok && !rx_vport_may_indicate(q, h.vport_id)) {
            ok = false;
            cause = SIM_DROP_NO_FILTER_MATCH;
        }
        if (!ok) {
            qp_drop(q, cause, false, h.packet_id, r->host + NIC_PKT_HDR_LEN, fits ? len : 0);
            reposted += rcb_post(q, r);
            continue;
        }
        struct ndis_nbl *nbl = r->nbl;
        struct ndis_nb *nb = nbl->first_nb;
        nb->data = r->host; /* the NB describes the DMA buffer the device wrote */
        nb->capacity = PF_BUF_SIZE;
        nb->data_offset = NIC_PKT_HDR_LEN;
        nb->data_length = len;
        nbl->packet_id = h.packet_id;
        nbl->vlan_id = (h.flags & NIC_RXH_F_VLAN) ? (uint16_t)(h.vlan_tci & 0x0fffu) : 0;
        nbl->priority = (h.flags & NIC_RXH_F_VLAN) ? (uint8_t)(h.vlan_tci >> 13) : 0;
        /* NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID (§11.2): the VPort that took the frame. */
        nbl->vport_id = h.vport_id == NIC_DEFAULT_VPORT ? NDIS_DEFAULT_VPORT_ID : h.vport_id;
        nbl->status = NDIS_STATUS_SUCCESS;
        nbl->next = NULL;
        r->state = PF_RCB_LENT;
        q->rx_lent++;
        a->stats.rx_bytes += len;
        *tail = nbl;
        tail = &nbl->next;
        indicated++;
    }
    if (reposted > 0 && !a->poll_mode && !pf__hw_rxf_doorbell(a, q->index))
        SIM_WARN(pf, "%s: RX fill doorbell not accepted: the device is gone", a->name);
    if (chain != NULL) {
        a->stats.rx_indicated += indicated;
        if (ndis_miniport_indicate_receive(a->mp, chain, 0) != 0) {
            /* NDIS refused (the adapter is not running): the frames are lost here. */
            a->stats.rx_indicated -= indicated;
            unsigned again = 0;
            for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
                next = nbl->next;
                nbl->next = NULL;
                uint32_t idx;
                memcpy(&idx, nbl->miniport_reserved, sizeof idx);
                struct pf_rcb *r = &q->rcb[idx];
                q->rx_lent--;
                qp_drop(q, SIM_DROP_PAUSED, false, nbl->packet_id, r->host + NIC_PKT_HDR_LEN,
                        nbl->first_nb->data_length);
                again += rcb_post(q, r);
            }
            if (again > 0 && !a->poll_mode)
                (void)pf__hw_rxf_doorbell(a, q->index);
        }
    }
    return n;
}

static unsigned
rx_flush_one(struct pf_qp *q, uint64_t d, enum sim_drop_cause cause)
{
    struct pf_rcb *r = pf__rcb_from_iova(q, NIC_DESC_IOVA(d));
    if (r == NULL)
        return 0;
    r->state = PF_RCB_IDLE;
    uint32_t len = NIC_DESC_LEN(d);
    if (len == NIC_RXD_LEN_UNUSED)
        return 0;
    struct nic_pkt_hdr h;
    memcpy(&h, r->host, sizeof h);
    qp_drop(q, cause, false, h.packet_id, r->host + NIC_PKT_HDR_LEN,
            len <= PF_BUF_SIZE - NIC_PKT_HDR_LEN ? len : 0);
    return 1;
}

/* Drop every filled RX descriptor not yet indicated; posted buffers become idle. */
static unsigned
rx_flush(struct pf_qp *q, enum sim_drop_cause cause)
{
    unsigned lost = 0, n;
    uint64_t descs[64];
    while ((n = sim_ring_sc_dequeue_burst(q->ring[PF_RING_RX], descs, SIM_ARRAY_SIZE(descs))) > 0)
        for (unsigned i = 0; i < n; i++)
            lost += rx_flush_one(q, descs[i], cause);
    for (unsigned i = 0; i < q->rx_count; i++)
        if (q->rcb[i].state == PF_RCB_POSTED)
            q->rcb[i].state = PF_RCB_IDLE;
    return lost;
}

/* The queue that lent `nbl` (by the indices in its MiniportReserved), or NULL. */
static struct pf_qp *
rx_owner(struct pf_adapter *a, const struct ndis_nbl *nbl, uint32_t *idx)
{
    uint32_t qi;
    memcpy(idx, nbl->miniport_reserved, sizeof *idx);
    memcpy(&qi, nbl->miniport_reserved + 4, sizeof qi);
    struct pf_qp *cand[2] = {qi == 0 ? &a->qp0 : NULL, qi < PF_PF_MAX_QPS ? a->vmq[qi] : NULL};
    for (unsigned k = 0; k < 2; k++) {
        struct pf_qp *q = cand[k];
        if (q != NULL && q->rcb != NULL && *idx < q->rx_count && q->rcb[*idx].nbl == nbl)
            return q;
    }
    for (struct pf_qp *q = a->vmq_closing; q != NULL; q = q->next_closing)
        if (q->index == qi && *idx < q->rx_count && q->rcb[*idx].nbl == nbl)
            return q;
    return NULL;
}

/* A closing VMQ queue whose last NBL came back: free it now. */
static void
vmq_reclaim(struct pf_adapter *a, struct pf_qp *q)
{
    for (struct pf_qp **pp = &a->vmq_closing; *pp != NULL; pp = &(*pp)->next_closing) {
        if (*pp == q) {
            *pp = q->next_closing;
            pf__vmq_free(q);
            return;
        }
    }
}

/* MiniportReturnNetBufferLists: the RCBs go back to the device. */
void
pf__return_nbls(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct pf_adapter *a = ctx;
    uint32_t ring_mask = 0;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        uint32_t idx;
        struct pf_qp *q = rx_owner(a, nbl, &idx);
        if (q == NULL || q->rcb[idx].state != PF_RCB_LENT) {
            SIM_ERROR(pf, "%s: returned NBL is not one this miniport lent", a->name);
            continue;
        }
        struct pf_rcb *r = &q->rcb[idx];
        q->rx_lent--;
        a->stats.rx_returned++;
        if (q->closing) {
            r->state = PF_RCB_IDLE;
            if (q->rx_lent == 0)
                vmq_reclaim(a, q);
        } else if (a->dp_up && !a->removed && q->up && rcb_post(q, r) > 0) {
            ring_mask |= 1u << q->index;
        } else {
            r->state = PF_RCB_IDLE;
        }
    }
    if (!a->poll_mode)
        for (uint16_t i = 0; ring_mask != 0; i++, ring_mask >>= 1)
            if ((ring_mask & 1u) && !pf__hw_rxf_doorbell(a, i))
                SIM_WARN(pf, "%s: RX fill doorbell not accepted: the device is gone", a->name);
    pause_check(a);
}

static unsigned
qp_poll(struct pf_qp *q, unsigned budget)
{
    return tx_reap(q, budget) + rx_reap(q, budget);
}

unsigned
pf_adapter_poll(struct pf_adapter *a, unsigned budget)
{
    if (a == NULL || !a->dp_up || a->removed)
        return 0;
    a->stats.polls++;
    unsigned n = qp_poll(&a->qp0, budget);
    for (unsigned i = 0; i < PF_PF_MAX_QPS; i++)
        if (a->vmq[i] != NULL && a->vmq[i]->up)
            n += qp_poll(a->vmq[i], budget);
    pause_check(a);
    return n;
}

static struct pf_qp *
qp_by_index(struct pf_adapter *a, uint16_t index)
{
    if (index == 0)
        return &a->qp0;
    return index < PF_PF_MAX_QPS ? a->vmq[index] : NULL;
}

/* The DPC of one queue: acknowledge its cause, poll it with a budget, run again if more. */
void
pf__qp_dpc(struct pf_qp *q)
{
    struct pf_adapter *a = q->a;
    a->stats.dpcs++;
    if (!a->dp_up || a->removed || !q->up)
        return;
    if (!pf__hw_qp_ack(a, q->index)) {
        SIM_WARN(pf, "%s: QP %u interrupt cause reads all-ones: the device is gone", a->name,
                 q->index);
        return;
    }
    unsigned n = qp_poll(q, PF_DPC_BUDGET);
    pause_check(a);
    if (n >= PF_DPC_BUDGET && a->dp_up && !a->removed && q->up && !sim_timer_is_pending(q->dpc))
        (void)sim_timer_start(q->dpc, 0); /* more work: run again (NAPI-style budget) */
}

void
pf__dp_interrupt(struct pf_adapter *a, uint16_t index)
{
    a->stats.dp_interrupts++;
    struct pf_qp *q = qp_by_index(a, index);
    if (!a->dp_up || a->removed || q == NULL || !q->up)
        return;
    if (!sim_timer_is_pending(q->dpc))
        (void)sim_timer_start(q->dpc, 0); /* the DPC runs next on the loop, at this time */
}

/* MiniportInterruptDPC for QP 0's vector (scenario mode). */
void
pf__dpc(struct sim_timer *t)
{
    struct pf_adapter *a = t->data;
    pf__qp_dpc(&a->qp0);
}

int
pf__dp_start(struct pf_adapter *a, struct sim_diag *d)
{
    int rc = pf__dma_domain_create(a, d);
    if (rc != 0)
        return rc;
    rc = pf__qp_pools_create(a, &a->qp0, 0, NDIS_DEFAULT_VPORT_ID, a->slots, a->rx_count, d);
    if (rc != 0) {
        pf__dma_domain_destroy(a);
        return rc;
    }
    a->qp0.dpc = &a->dpc;
    struct pf_qp *q = &a->qp0;
    rc = pf__hw_qp_enable(a, 0, q->slots, q->dma_iova, q->ring_bytes, d);
    if (rc != 0) {
        pf__hw_qp_disable(a, 0);
        pf__qp_pools_destroy(q);
        pf__dma_domain_destroy(a);
        return rc;
    }
    (void)pf__rcb_post_idle(q);
    if (!a->poll_mode)
        (void)pf__hw_rxf_doorbell(a, 0);
    q->up = true;
    a->dp_up = true;
    a->running = a->pausing = false;
    return 0;
}

int
pf__vmq_start(struct pf_adapter *a, struct pf_qp *q, struct sim_diag *d)
{
    if (!a->dp_up || a->removed)
        return sim_diag_fail(d, SIM_ESTATE, "pf %s: data path not up: no VMQ queue for VPort %u",
                             a->name, q->vport_id);
    if (a->vmq[q->index] != NULL)
        return sim_diag_fail(d, SIM_EBUSY, "pf %s: QP %u already serves VPort %u", a->name,
                             q->index, a->vmq[q->index]->vport_id);
    int rc = pf__hw_qp_enable(a, q->index, q->slots, q->dma_iova, q->ring_bytes, d);
    if (rc != 0) {
        pf__hw_qp_disable(a, q->index);
        return rc;
    }
    (void)pf__rcb_post_idle(q);
    if (!a->poll_mode)
        (void)pf__hw_rxf_doorbell(a, q->index);
    q->up = true;
    a->vmq[q->index] = q;
    SIM_DEBUG(pf, "%s: VMQ: VPort %u on PF QP %u (%u slots, %u RX buffers)", a->name, q->vport_id,
              q->index, q->slots, q->rx_count);
    return 0;
}

/* Take a queue off the device: what it completed is reaped normally, the rest is dropped. */
static void
qp_shutdown(struct pf_qp *q, ndis_status_t tx_status, enum sim_drop_cause tx_cause,
            enum sim_drop_cause rx_cause, unsigned *tx, unsigned *rx)
{
    struct pf_adapter *a = q->a;
    sim_timer_stop(q->dpc);
    pf__hw_qp_disable(a, q->index);
    q->up = false;
    /* Completions the device posted are real (the rings are host memory, still readable). */
    (void)tx_reap(q, q->slots);
    *tx = tx_flush(q, tx_status, tx_cause);
    *rx = rx_flush(q, rx_cause);
}

void
pf__vmq_stop(struct pf_adapter *a, uint32_t vport_id, enum sim_drop_cause cause)
{
    struct pf_qp *q = NULL;
    for (unsigned i = 0; i < PF_PF_MAX_QPS && q == NULL; i++)
        if (a->vmq[i] != NULL && a->vmq[i]->vport_id == vport_id)
            q = a->vmq[i];
    if (q == NULL)
        return;
    unsigned tx, rx;
    /* Frames received but not indicated: their VPort has no filter any more (DELETE_VPORT
     * requires that), so they are lost as unmatched; sends not completed lost their path. */
    qp_shutdown(q, NDIS_STATUS_REQUEST_ABORTED, cause, SIM_DROP_NO_FILTER_MATCH, &tx, &rx);
    a->vmq[q->index] = NULL;
    if (tx + rx > 0)
        SIM_DEBUG(pf, "%s: VMQ VPort %u deleted: %u TX and %u received frame(s) dropped", a->name,
                  vport_id, tx, rx);
    if (q->rx_lent == 0) {
        pf__vmq_free(q);
    } else {
        q->closing = true; /* freed when the protocol returns its last NBL */
        q->next_closing = a->vmq_closing;
        a->vmq_closing = q;
    }
    pause_check(a);
}

void
pf__dp_removed(struct pf_adapter *a)
{
    if (!a->dp_up)
        return;
    unsigned tx = 0, rx = 0, t1, r1;
    qp_shutdown(&a->qp0, NDIS_STATUS_ADAPTER_REMOVED, SIM_DROP_SURPRISE_REMOVAL,
                SIM_DROP_SURPRISE_REMOVAL, &tx, &rx);
    for (unsigned i = 0; i < PF_PF_MAX_QPS; i++) {
        if (a->vmq[i] == NULL)
            continue;
        qp_shutdown(a->vmq[i], NDIS_STATUS_ADAPTER_REMOVED, SIM_DROP_SURPRISE_REMOVAL,
                    SIM_DROP_SURPRISE_REMOVAL, &t1, &r1);
        tx += t1;
        rx += r1;
    }
    if (tx + rx > 0)
        SIM_WARN(pf, "%s: surprise removal: %u TX and %u received frame(s) in flight lost", a->name,
                 tx, rx);
    pause_check(a);
}

ndis_status_t
pf__dp_pause(struct pf_adapter *a)
{
    if (!a->dp_up || a->removed || dp_idle(a)) {
        a->running = false;
        return NDIS_STATUS_SUCCESS;
    }
    a->pausing = true; /* completes from the DPC / poll / return path */
    return NDIS_STATUS_PENDING;
}

/* Halt: one queue off and freed (its lent NBLs should have come back: Pause waited for them). */
static void
qp_halt(struct pf_qp *q, enum sim_drop_cause cause)
{
    unsigned tx, rx;
    if (q->up)
        qp_shutdown(q,
                    cause == SIM_DROP_SURPRISE_REMOVAL ? NDIS_STATUS_ADAPTER_REMOVED
                                                       : NDIS_STATUS_REQUEST_ABORTED,
                    cause, cause, &tx, &rx);
    if (q->rx_lent != 0)
        SIM_ERROR(pf, "%s: halted with %u received NBL(s) of QP %u not returned", q->a->name,
                  q->rx_lent, q->index);
}

void
pf__dp_stop(struct pf_adapter *a, enum sim_drop_cause cause)
{
    if (!a->dp_up)
        return;
    /* Removed (surprise): the queues were shut down already; qp_halt only frees. */
    for (unsigned i = 0; i < PF_PF_MAX_QPS; i++) {
        if (a->vmq[i] == NULL)
            continue;
        qp_halt(a->vmq[i], cause);
        pf__vmq_free(a->vmq[i]);
        a->vmq[i] = NULL;
    }
    while (a->vmq_closing != NULL) {
        struct pf_qp *q = a->vmq_closing;
        a->vmq_closing = q->next_closing;
        qp_halt(q, cause);
        pf__vmq_free(q);
    }
    if (a->vmq_pending != NULL) { /* cannot normally happen: halt waits for the OID */
        pf__vmq_free(a->vmq_pending);
        a->vmq_pending = NULL;
    }
    qp_halt(&a->qp0, cause);
    a->dp_up = false;
    a->running = a->pausing = false;
    pf__qp_pools_destroy(&a->qp0);
    memset(&a->qp0, 0, sizeof a->qp0);
    pf__dma_domain_destroy(a);
}
