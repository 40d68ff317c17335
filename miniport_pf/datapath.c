/* SPDX-License-Identifier: MIT */
/*
 * datapath.c — the PF's data path on the default VPort (PF queue pair 0): what the host's
 * extensible switch (NetVSP bound to the PF as a protocol) sends to the wire and receives from
 * it through the NIC switch.
 *
 * TX (MiniportSendNetBufferLists): the NBL carries the VPort id in its filtering info (§11.2).
 * DEFAULT_VPORT_ID, or an id that names no VPort any more (deleted: "ignore it and use the
 * default"), goes out on the default VPort's queue. A VF's VPort is not the PF's to send on
 * (refused); a PF non-default VPort has no queue of its own in this driver (refused, see
 * README). Each NET_BUFFER is copied into its TCB's DMA buffer behind the 16-byte packet
 * header (the packet id), and posted as one descriptor IOVA|len; the NBL completes once, when
 * its last descriptor completed (NdisMSendNetBufferListsComplete), or at once when refused.
 * RX: pre-posted DMA buffers; the device writes header + frame; the driver points the RCB's NBL
 * at the frame, sets the VPort id from the header (the default VPort: DEFAULT_VPORT_ID) and
 * indicates it; the buffer is re-posted when the NBL is returned. No indication on a
 * non-default VPort without a filter, or deleted (§11.2, §4.2).
 *
 * Scenario mode: the QP's MSI-X interrupt schedules the DPC (pf_adapter_poll with a budget),
 * doorbells tell the device about new descriptors. Bench mode: no interrupt, no doorbell; the
 * owner calls pf_adapter_poll and the NIC runs nic_poll. Nothing here allocates. Every frame the
 * driver loses is reported to the PF's drop sink with a cause; frames the device dropped were
 * reported by the device and are only counted here (one report per lost frame).
 *
 * Windows counterpart: netvmini's datapath.c (MiniportSendNetBufferLists,
 * MiniportInterruptDPC, MiniportReturnNetBufferLists) with the PF VPort rules of
 * reference/ndis_sriov.md §11.2.
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

static void
pause_check(struct pf_adapter *a)
{
    if (!a->pausing || pf__tx_inflight(a) != 0 || a->rx_lent != 0)
        return;
    a->pausing = false;
    a->running = false;
    (void)ndis_miniport_pause_complete(a->mp, NDIS_STATUS_SUCCESS);
}

/* §11.2: which queue a send naming vport_id goes to. SUCCESS (the default VPort's queue) or the
 * status to complete the NBL with (cause set). */
static ndis_status_t
tx_vport(struct pf_adapter *a, struct ndis_nbl *nbl, enum sim_drop_cause *cause)
{
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
    SIM_DEBUG(pf,
              "%s: send on PF VPort %u refused: non-default PF VPorts have no queue pair "
              "in this driver",
              a->name, nbl->vport_id);
    *cause = SIM_DROP_PATH_INACTIVE;
    return NDIS_STATUS_NOT_SUPPORTED;
}

/* One NBL: validate every NET_BUFFER, then post all of them or none. Returns SUCCESS (posted;
 * completes later) or the status to complete it with now. */
static ndis_status_t
tx_nbl(struct pf_adapter *a, struct ndis_nbl *nbl, unsigned *posted)
{
    enum sim_drop_cause cause = SIM_DROP_MALFORMED;
    ndis_status_t st;
    uint32_t n = 0;

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
    st = tx_vport(a, nbl, &cause);
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
    if (a->slots - pf__tx_inflight(a) < n) {
        st = NDIS_STATUS_RESOURCES;
        cause = SIM_DROP_RING_FULL;
        goto refuse;
    }
    unsigned k = 0;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next, k++) {
        struct pf_tcb *t = &a->tcb[(a->tx_head + k) & (a->slots - 1)];
        struct nic_pkt_hdr h = {.packet_id = nbl->packet_id};
        memcpy(t->host, &h, sizeof h);
        memcpy(t->host + NIC_PKT_HDR_LEN, nb->data + nb->data_offset, nb->data_length);
        t->nbl = nbl;
        t->packet_id = nbl->packet_id;
        t->len = nb->data_length;
        a->burst[k] = NIC_DESC(t->iova, nb->data_length);
    }
    /* Room checked: TX ring slots == TCBs, and in flight <= slots - n. */
    (void)sim_ring_sp_enqueue_bulk(a->ring[PF_RING_TX], a->burst, n);
    a->tx_head += n;
    a->stats.tx_posted += n;
    nbl_set_pending(nbl, n, NDIS_STATUS_SUCCESS);
    *posted += n;
    return NDIS_STATUS_SUCCESS;

refuse:
    a->stats.tx_refused++;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next) {
        bool ok = nb->data != NULL && nb->data_offset <= nb->capacity &&
                  nb->data_length <= nb->capacity - nb->data_offset;
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
    unsigned posted = 0;
    (void)port;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        a->stats.tx_nbls++;
        ndis_status_t st = tx_nbl(a, nbl, &posted);
        if (st != NDIS_STATUS_SUCCESS) {
            nbl->status = st;
            *tail = nbl;
            tail = &nbl->next;
            a->stats.tx_nbls_completed++;
        }
    }
    if (refused != NULL)
        (void)ndis_miniport_send_complete(a->mp, refused, 0);
    if (posted > 0 && !a->poll_mode && !pf__hw_tx_doorbell(a))
        SIM_WARN(pf, "%s: TX doorbell not accepted: the device is gone", a->name);
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
tx_reap(struct pf_adapter *a, unsigned budget)
{
    uint64_t descs[64];
    struct ndis_nbl *done = NULL, **tail = &done;
    unsigned total = 0;
    while (total < budget) {
        unsigned want = budget - total;
        if (want > SIM_ARRAY_SIZE(descs))
            want = SIM_ARRAY_SIZE(descs);
        unsigned n = sim_ring_sc_dequeue_burst(a->ring[PF_RING_TXC], descs, want);
        for (unsigned i = 0; i < n; i++) {
            if (a->tx_tail == a->tx_head) { /* a completion for nothing: device bug */
                a->stats.completion_mismatch++;
                continue;
            }
            struct pf_tcb *t = &a->tcb[a->tx_tail & (a->slots - 1)];
            a->tx_tail++;
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
tx_flush(struct pf_adapter *a, ndis_status_t status, enum sim_drop_cause cause)
{
    struct ndis_nbl *done = NULL, **tail = &done;
    unsigned n = 0;
    while (a->tx_tail != a->tx_head) {
        struct pf_tcb *t = &a->tcb[a->tx_tail & (a->slots - 1)];
        a->tx_tail++;
        n++;
        pf__drop(a, cause, true, t->packet_id, t->host + NIC_PKT_HDR_LEN, t->len);
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
rcb_post(struct pf_adapter *a, struct pf_rcb *r)
{
    a->burst[0] = NIC_DESC(r->iova, PF_BUF_SIZE);
    if (sim_ring_sp_enqueue_bulk(a->ring[PF_RING_RXF], a->burst, 1) != 1) {
        r->state = PF_RCB_IDLE; /* cannot happen: rx_count <= slots */
        return 0;
    }
    r->state = PF_RCB_POSTED;
    return 1;
}

/* §11.2 / §4.2: the default VPort always indicates; a non-default one only while it exists and
 * has at least one filter. */
static bool
rx_vport_may_indicate(struct pf_adapter *a, uint16_t vport_id)
{
    if (vport_id == NIC_DEFAULT_VPORT)
        return true;
    const struct pf_vport *vp = pf__vport(a, vport_id);
    return vp != NULL && vp->nfilters > 0 && vp->params.attached_function_id == NDIS_PF_FUNCTION_ID;
}

static unsigned
rx_reap(struct pf_adapter *a, unsigned budget)
{
    uint64_t descs[64];
    unsigned want = budget < SIM_ARRAY_SIZE(descs) ? budget : SIM_ARRAY_SIZE(descs);
    unsigned n = sim_ring_sc_dequeue_burst(a->ring[PF_RING_RX], descs, want);
    struct ndis_nbl *chain = NULL, **tail = &chain;
    unsigned reposted = 0, indicated = 0;
    bool up = a->running && !a->pausing;
    for (unsigned i = 0; i < n; i++) {
        struct pf_rcb *r = pf__rcb_from_iova(a, NIC_DESC_IOVA(descs[i]));
        if (r == NULL || r->state != PF_RCB_POSTED) {
            a->stats.bad_rx_desc++;
            continue;
        }
        uint16_t len = NIC_DESC_LEN(descs[i]);
        if (len == NIC_RXD_LEN_UNUSED) {
            a->stats.rx_unused++; /* the device dropped that frame and reported it */
            reposted += rcb_post(a, r);
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
        if (ok && !rx_vport_may_indicate(a, h.vport_id)) {
            ok = false;
            cause = SIM_DROP_NO_FILTER_MATCH;
        }
        if (!ok) {
            pf__drop(a, cause, false, h.packet_id, r->host + NIC_PKT_HDR_LEN, fits ? len : 0);
            reposted += rcb_post(a, r);
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
        a->rx_lent++;
        a->stats.rx_bytes += len;
        *tail = nbl;
        tail = &nbl->next;
        indicated++;
    }
    if (reposted > 0 && !a->poll_mode && !pf__hw_rxf_doorbell(a))
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
                struct pf_rcb *r = &a->rcb[idx];
                a->rx_lent--;
                pf__drop(a, SIM_DROP_PAUSED, false, nbl->packet_id, r->host + NIC_PKT_HDR_LEN,
                         nbl->first_nb->data_length);
                again += rcb_post(a, r);
            }
            if (again > 0 && !a->poll_mode)
                (void)pf__hw_rxf_doorbell(a);
        }
    }
    return n;
}

static unsigned
rx_flush_one(struct pf_adapter *a, uint64_t d, enum sim_drop_cause cause)
{
    struct pf_rcb *r = pf__rcb_from_iova(a, NIC_DESC_IOVA(d));
    if (r == NULL)
        return 0;
    r->state = PF_RCB_IDLE;
    uint32_t len = NIC_DESC_LEN(d);
    if (len == NIC_RXD_LEN_UNUSED)
        return 0;
    struct nic_pkt_hdr h;
    memcpy(&h, r->host, sizeof h);
    pf__drop(a, cause, false, h.packet_id, r->host + NIC_PKT_HDR_LEN,
             len <= PF_BUF_SIZE - NIC_PKT_HDR_LEN ? len : 0);
    return 1;
}

/* Drop every filled RX descriptor not yet indicated; posted buffers become idle. */
static unsigned
rx_flush(struct pf_adapter *a, enum sim_drop_cause cause)
{
    unsigned lost = 0, n;
    uint64_t descs[64];
    while ((n = sim_ring_sc_dequeue_burst(a->ring[PF_RING_RX], descs, SIM_ARRAY_SIZE(descs))) > 0)
        for (unsigned i = 0; i < n; i++)
            lost += rx_flush_one(a, descs[i], cause);
    for (unsigned i = 0; i < a->rx_count; i++)
        if (a->rcb[i].state == PF_RCB_POSTED)
            a->rcb[i].state = PF_RCB_IDLE;
    return lost;
}

/* MiniportReturnNetBufferLists: the RCBs go back to the device. */
void
pf__return_nbls(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct pf_adapter *a = ctx;
    unsigned posted = 0;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        uint32_t idx;
        memcpy(&idx, nbl->miniport_reserved, sizeof idx);
        if (a->rcb == NULL || idx >= a->rx_count || a->rcb[idx].nbl != nbl ||
            a->rcb[idx].state != PF_RCB_LENT) {
            SIM_ERROR(pf, "%s: returned NBL is not one this miniport lent", a->name);
            continue;
        }
        struct pf_rcb *r = &a->rcb[idx];
        a->rx_lent--;
        a->stats.rx_returned++;
        if (a->dp_up && !a->removed)
            posted += rcb_post(a, r);
        else
            r->state = PF_RCB_IDLE;
    }
    if (posted > 0 && !a->poll_mode && !pf__hw_rxf_doorbell(a))
        SIM_WARN(pf, "%s: RX fill doorbell not accepted: the device is gone", a->name);
    pause_check(a);
}

unsigned
pf_adapter_poll(struct pf_adapter *a, unsigned budget)
{
    if (a == NULL || !a->dp_up || a->removed)
        return 0;
    a->stats.polls++;
    unsigned n = tx_reap(a, budget);
    n += rx_reap(a, budget);
    pause_check(a);
    return n;
}

void
pf__dp_interrupt(struct pf_adapter *a)
{
    a->stats.dp_interrupts++;
    if (!a->dp_up || a->removed)
        return;
    if (!sim_timer_is_pending(&a->dpc))
        (void)sim_timer_start(&a->dpc, 0); /* the DPC runs next on the loop, at this time */
}

/* MiniportInterruptDPC for the QP vector (scenario mode). */
void
pf__dpc(struct sim_timer *t)
{
    struct pf_adapter *a = t->data;
    a->stats.dpcs++;
    if (!a->dp_up || a->removed)
        return;
    if (!pf__hw_qp_ack(a)) {
        SIM_WARN(pf, "%s: QP interrupt cause reads all-ones: the device is gone", a->name);
        return;
    }
    unsigned n = pf_adapter_poll(a, PF_DPC_BUDGET);
    if (n >= PF_DPC_BUDGET && a->dp_up && !a->removed && !sim_timer_is_pending(&a->dpc))
        (void)sim_timer_start(&a->dpc, 0); /* more work: run again (NAPI-style budget) */
}

int
pf__dp_start(struct pf_adapter *a, struct sim_diag *d)
{
    int rc = pf__pools_create(a, d);
    if (rc != 0)
        return rc;
    rc = pf__hw_qp_enable(a, PF_DMA_IOVA, a->ring_bytes, d);
    if (rc != 0) {
        pf__hw_qp_disable(a);
        pf__pools_destroy(a);
        return rc;
    }
    (void)pf__rcb_post_idle(a);
    if (!a->poll_mode)
        (void)pf__hw_rxf_doorbell(a);
    a->dp_up = true;
    a->running = a->pausing = false;
    return 0;
}

void
pf__dp_removed(struct pf_adapter *a)
{
    if (!a->dp_up)
        return;
    sim_timer_stop(&a->dpc);
    pf__hw_qp_disable(a);
    /* Completions the device posted before it vanished are real: reap them first (the rings
     * are host memory, still readable). What is left never came back. */
    (void)tx_reap(a, a->slots);
    unsigned tx = tx_flush(a, NDIS_STATUS_ADAPTER_REMOVED, SIM_DROP_SURPRISE_REMOVAL);
    unsigned rx = rx_flush(a, SIM_DROP_SURPRISE_REMOVAL);
    if (tx + rx > 0)
        SIM_WARN(pf, "%s: surprise removal: %u TX and %u received frame(s) in flight lost", a->name,
                 tx, rx);
    pause_check(a);
}

ndis_status_t
pf__dp_pause(struct pf_adapter *a)
{
    if (!a->dp_up || a->removed || (pf__tx_inflight(a) == 0 && a->rx_lent == 0)) {
        a->running = false;
        return NDIS_STATUS_SUCCESS;
    }
    a->pausing = true; /* completes from the DPC / poll / return path */
    return NDIS_STATUS_PENDING;
}

void
pf__dp_stop(struct pf_adapter *a, enum sim_drop_cause cause)
{
    if (!a->dp_up)
        return;
    sim_timer_stop(&a->dpc);
    pf__hw_qp_disable(a);
    (void)tx_reap(a, a->slots);
    (void)tx_flush(a,
                   cause == SIM_DROP_SURPRISE_REMOVAL ? NDIS_STATUS_ADAPTER_REMOVED
                                                      : NDIS_STATUS_REQUEST_ABORTED,
                   cause);
    (void)rx_flush(a, cause);
    if (a->rx_lent != 0)
        SIM_ERROR(pf, "%s: halted with %u received NBL(s) not returned", a->name, a->rx_lent);
    a->dp_up = false;
    a->running = a->pausing = false;
    pf__pools_destroy(a);
}
