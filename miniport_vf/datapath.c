/* SPDX-License-Identifier: MIT */
/*
 * datapath.c — send and receive through the VF's queue pair with zero copy.
 *
 * TX: the sender's frame already lives in guest memory (NetVSC's NBL points into it) with at
 * least NIC_PKT_HDR_LEN bytes of backfill in front of it. The driver writes the simulation's
 * packet header (the global packet id: the NBL's out-of-band data) into that backfill and posts
 * a descriptor GPA|len; the device DMA-reads header and frame through the VM's IOMMU domain.
 * The payload is never copied by the driver. Completions come back in order on the TXC ring.
 * RX: pre-posted guest-memory buffers from a fixed pool; the device writes header + frame; the
 * driver points the RCB's NBL at the frame and indicates it; the buffer is re-posted when NDIS
 * returns the NBL.
 *
 * Everything here is poll-mode: vf_adapter_poll(budget) does TX-completion and RX processing;
 * in scenario mode the QP's MSI-X interrupt runs it as a DPC on the scheduler. No allocation.
 *
 * Windows counterpart: netvmini's datapath.c — MiniportSendNetBufferLists (a NET_BUFFER per
 * descriptor, NdisMSendNetBufferListsComplete when every NB of the NBL completed),
 * MiniportInterruptDPC (TX completion + NdisMIndicateReceiveNetBufferLists),
 * MiniportReturnNetBufferLists (RCB back to the hardware).
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

/* The NBL's outstanding-NB count and completion status live in its MiniportReserved area. */
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
vf__drop(struct vf_adapter *a, enum sim_drop_cause cause, bool tx, uint64_t packet_id,
         const void *frame, uint32_t len)
{
    a->stats.drops[cause]++;
    if (a->has_sink)
        sim_drop_report(&a->sink, cause, tx ? a->where_tx : a->where_rx, packet_id, frame, len);
}

/* One NBL: validate every NET_BUFFER (zero copy needs a GPA and backfill) and prepare a TCB and
 * a descriptor for each, after the `*posted` ones this send call already prepared; all of them
 * or none. The caller publishes the descriptors of the whole call at once (one ring update per
 * MiniportSendNetBufferLists, as a driver writes its tail register once per batch). Returns
 * SUCCESS (prepared; completes later) or the status to complete it with. */
static ndis_status_t
tx_nbl(struct vf_adapter *a, struct ndis_nbl *nbl, unsigned *posted)
{
    enum sim_drop_cause cause;
    ndis_status_t st;
    uint32_t n = 0;

    if (a->removed) {
        st = NDIS_STATUS_ADAPTER_REMOVED;
        cause = SIM_DROP_SURPRISE_REMOVAL;
        goto refuse;
    }
    if (!a->running || a->pausing) {
        /* NDIS never sends to a paused adapter; NDIS_STATUS_PAUSED is not in status.h. */
        st = NDIS_STATUS_NOT_ACCEPTED;
        cause = SIM_DROP_PAUSED;
        goto refuse;
    }
    unsigned room = a->slots - vf__tx_inflight(a) - *posted;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next) {
        uint64_t gpa;
        void *host;
        /* Backfill for the packet header, and the whole buffer inside guest memory: the only
         * thing the device can reach is the VM's memory, so a frame elsewhere cannot be sent
         * without a copy — and this driver does not copy. */
        if (nb->data == NULL || nb->data_length < NIC_MIN_FRAME_LEN ||
            nb->data_length > NIC_MAX_FRAME_LEN || nb->data_offset < NIC_PKT_HDR_LEN ||
            hv_gpa_from_host(a->guest, nb->data + nb->data_offset - NIC_PKT_HDR_LEN, &gpa) != 0 ||
            hv_gpa_translate(a->guest, gpa, NIC_PKT_HDR_LEN + (uint64_t)nb->data_length, &host) !=
                0) {
            st = NDIS_STATUS_INVALID_PARAMETER;
            cause = SIM_DROP_MALFORMED;
            goto refuse;
        }
        if (n >= room) {
            st = NDIS_STATUS_RESOURCES;
            cause = SIM_DROP_RING_FULL;
            goto refuse;
        }
        /* TX ring slots == TCBs, so a free TCB is a free ring slot. */
        struct vf_tcb *t = &a->tcb[(a->tx_head + *posted + n) & (a->slots - 1)];
        t->nbl = nbl;
        t->gpa = gpa;
        t->packet_id = nbl->packet_id;
        t->len = nb->data_length;
        a->burst[*posted + n] = NIC_DESC(gpa, nb->data_length);
        n++;
    }
    if (n == 0) {
        st = NDIS_STATUS_INVALID_PARAMETER;
        cause = SIM_DROP_MALFORMED;
        goto refuse;
    }
    /* Metadata into each backfill; the payload stays where the caller built it. */
    struct nic_pkt_hdr h = {.packet_id = nbl->packet_id};
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next)
        memcpy(nb->data + nb->data_offset - NIC_PKT_HDR_LEN, &h, sizeof h);
    nbl_set_pending(nbl, n, NDIS_STATUS_SUCCESS);
    *posted += n;
    return NDIS_STATUS_SUCCESS;

refuse:
    a->stats.tx_refused++;
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next)
        vf__drop(a, cause, true, nbl->packet_id,
                 nb->data != NULL ? nb->data + nb->data_offset : NULL,
                 nb->data != NULL ? nb->data_length : 0);
    if (nbl->first_nb == NULL)
        vf__drop(a, cause, true, nbl->packet_id, NULL, 0);
    return st;
}

/* MiniportSendNetBufferLists. */
void
vf__send_nbls(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags)
{
    struct vf_adapter *a = ctx;
    struct ndis_nbl *refused = NULL, **tail = &refused;
    unsigned posted = 0;
    (void)port;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        ndis_status_t st = tx_nbl(a, nbl, &posted);
        if (st != NDIS_STATUS_SUCCESS) {
            nbl->status = st;
            *tail = nbl;
            tail = &nbl->next;
        }
    }
    if (posted > 0) {
        /* Room checked per NB: the ring has `posted` free slots. One publish for the call. */
        (void)sim_ring_sp_enqueue_bulk(a->ring[VF_RING_TX], a->burst, posted);
        a->tx_head += posted;
        a->stats.tx_posted += posted;
    }
    if (refused != NULL) {
        for (struct ndis_nbl *n = refused; n != NULL; n = n->next)
            a->stats.tx_nbls_completed++;
        (void)ndis_miniport_send_complete(a->mp, refused, 0);
    }
    if (posted > 0 && !a->poll_mode && !vf__hw_tx_doorbell(a))
        vf__device_gone(a, "TX doorbell");
}

int
vf_adapter_send_gpa(struct vf_adapter *a, uint64_t gpa, uint32_t len, uint64_t packet_id)
{
    if (a == NULL || len < NIC_MIN_FRAME_LEN || len > NIC_MAX_FRAME_LEN)
        return SIM_EINVAL;
    if (a->removed)
        return SIM_ENODEV;
    if (!a->running || a->pausing)
        return SIM_ESTATE;
    if (vf__tx_inflight(a) >= a->slots)
        return SIM_ENOSPC;
    struct vf_tcb *t = &a->tcb[a->tx_head & (a->slots - 1)];
    t->nbl = NULL;
    t->gpa = gpa;
    t->packet_id = packet_id;
    t->len = len;
    a->burst[0] = NIC_DESC(gpa, len);
    (void)sim_ring_sp_enqueue_bulk(a->ring[VF_RING_TX], a->burst, 1);
    a->tx_head++;
    a->stats.tx_posted++;
    if (!a->poll_mode && !vf__hw_tx_doorbell(a))
        vf__device_gone(a, "TX doorbell");
    return 0;
}

/* Account one finished TCB; returns its NBL if that was the NBL's last NET_BUFFER. */
static struct ndis_nbl *
tcb_finish(struct vf_adapter *a, struct vf_tcb *t, ndis_status_t st)
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

unsigned
vf__tx_reap(struct vf_adapter *a, unsigned budget)
{
    unsigned want = budget < a->slots ? budget : a->slots;
    unsigned n = sim_ring_sc_dequeue_burst(a->ring[VF_RING_TXC], a->burst, want);
    struct ndis_nbl *done = NULL, **tail = &done;
    for (unsigned i = 0; i < n; i++) {
        uint64_t c = a->burst[i];
        if (a->tx_tail == a->tx_head) { /* a completion for nothing: device bug */
            a->stats.completion_mismatch++;
            continue;
        }
        struct vf_tcb *t = &a->tcb[a->tx_tail & (a->slots - 1)];
        a->tx_tail++;
        a->stats.tx_completed++;
        if (NIC_DESC_IOVA(c) != NIC_DESC_IOVA(t->gpa))
            a->stats.completion_mismatch++;
        uint16_t status = NIC_DESC_LEN(c);
        ndis_status_t st = NDIS_STATUS_SUCCESS;
        if (status == 0) {
            a->stats.tx_ok++;
            a->stats.tx_bytes += t->len;
        } else {
            /* The device dropped it and reported it to its own drop sink (one report per lost
             * frame): the driver only counts it and fails the NBL. */
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
    if (done != NULL)
        (void)ndis_miniport_send_complete(a->mp, done, 0);
    return n;
}

unsigned
vf__tx_flush(struct vf_adapter *a, ndis_status_t status, enum sim_drop_cause cause)
{
    struct ndis_nbl *done = NULL, **tail = &done;
    unsigned n = 0;
    while (a->tx_tail != a->tx_head) {
        struct vf_tcb *t = &a->tcb[a->tx_tail & (a->slots - 1)];
        a->tx_tail++;
        n++;
        const void *frame = hv_gpa_to_host(a->guest, t->gpa + NIC_PKT_HDR_LEN, t->len);
        vf__drop(a, cause, true, t->packet_id, frame, frame != NULL ? t->len : 0);
        struct ndis_nbl *nbl = tcb_finish(a, t, status);
        if (nbl != NULL) {
            *tail = nbl;
            tail = &nbl->next;
        }
    }
    if (done != NULL)
        (void)ndis_miniport_send_complete(a->mp, done, 0);
    return n;
}

/* Give an RCB back to the device (RXF ring). */
static bool
rcb_post(struct vf_adapter *a, struct vf_rcb *r)
{
    uint64_t desc = NIC_DESC(r->gpa, VF_RX_BUF_SIZE);
    a->burst[0] = desc;
    if (sim_ring_sp_enqueue_bulk(a->ring[VF_RING_RXF], a->burst, 1) != 1)
        return false; /* cannot happen: rx_count <= slots */
    r->state = VF_RCB_POSTED;
    return true;
}

static unsigned
rx_reap(struct vf_adapter *a, unsigned budget)
{
    unsigned want = budget < a->slots ? budget : a->slots;
    uint64_t descs[64];
    if (want > SIM_ARRAY_SIZE(descs))
        want = SIM_ARRAY_SIZE(descs);
    unsigned n = sim_ring_sc_dequeue_burst(a->ring[VF_RING_RX], descs, want);
    struct ndis_nbl *chain = NULL, **tail = &chain;
    unsigned reposted = 0, indicated = 0;
    bool up = a->running && !a->pausing;
    for (unsigned i = 0; i < n; i++) {
        struct vf_rcb *r = vf__rcb_from_gpa(a, NIC_DESC_IOVA(descs[i]));
        if (r == NULL || r->state != VF_RCB_POSTED) {
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
        if (!up || len + NIC_PKT_HDR_LEN > VF_RX_BUF_SIZE) {
            vf__drop(a, up ? SIM_DROP_MALFORMED : SIM_DROP_PAUSED, false, h.packet_id,
                     r->host + NIC_PKT_HDR_LEN, len <= VF_RX_BUF_SIZE - NIC_PKT_HDR_LEN ? len : 0);
            reposted += rcb_post(a, r);
            continue;
        }
        struct ndis_nbl *nbl = r->nbl;
        struct ndis_nb *nb = nbl->first_nb;
        nb->data = r->host; /* zero copy: the NB describes the guest buffer the device wrote */
        nb->capacity = VF_RX_BUF_SIZE;
        nb->data_offset = NIC_PKT_HDR_LEN;
        nb->data_length = len;
        nbl->packet_id = h.packet_id;
        nbl->vlan_id = (h.flags & NIC_RXH_F_VLAN) ? (uint16_t)(h.vlan_tci & 0x0fffu) : 0;
        nbl->priority = (h.flags & NIC_RXH_F_VLAN) ? (uint8_t)(h.vlan_tci >> 13) : 0;
        nbl->vport_id = 0; /* a VF miniport never reads or sets the VPort id (§11.2) */
        nbl->status = NDIS_STATUS_SUCCESS;
        nbl->next = NULL;
        r->state = VF_RCB_LENT;
        a->rx_lent++;
        a->stats.rx_bytes += len;
        *tail = nbl;
        tail = &nbl->next;
        indicated++;
    }
    if (reposted > 0 && !a->poll_mode && !vf__hw_rxf_doorbell(a)) {
        vf__device_gone(a, "RX fill doorbell");
        return n;
    }
    if (chain != NULL) {
        a->stats.rx_indicated += indicated;
        if (ndis_miniport_indicate_receive(a->mp, chain, 0) != 0) {
            /* NDIS refused (the adapter is not running): the frames are lost here. */
            a->stats.rx_indicated -= indicated;
            for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
                next = nbl->next;
                uint32_t idx;
                memcpy(&idx, nbl->miniport_reserved, sizeof idx);
                struct vf_rcb *r = &a->rcb[idx];
                a->rx_lent--;
                vf__drop(a, SIM_DROP_PAUSED, false, nbl->packet_id, r->host + NIC_PKT_HDR_LEN,
                         nbl->first_nb->data_length);
                (void)rcb_post(a, r);
            }
        }
    }
    return n;
}

unsigned
vf__rx_flush(struct vf_adapter *a, enum sim_drop_cause cause)
{
    unsigned lost = 0;
    uint64_t d;
    while (sim_ring_sc_dequeue_burst(a->ring[VF_RING_RX], a->burst, 1) == 1) {
        d = a->burst[0];
        struct vf_rcb *r = vf__rcb_from_gpa(a, NIC_DESC_IOVA(d));
        if (r == NULL)
            continue;
        r->state = VF_RCB_IDLE;
        if (NIC_DESC_LEN(d) == NIC_RXD_LEN_UNUSED)
            continue;
        struct nic_pkt_hdr h;
        memcpy(&h, r->host, sizeof h);
        uint32_t len = NIC_DESC_LEN(d);
        vf__drop(a, cause, false, h.packet_id, r->host + NIC_PKT_HDR_LEN,
                 len <= VF_RX_BUF_SIZE - NIC_PKT_HDR_LEN ? len : 0);
        lost++;
    }
    /* Buffers still in the fill ring hold no frame: they just become idle. */
    for (unsigned i = 0; i < a->rx_count; i++)
        if (a->rcb[i].state == VF_RCB_POSTED)
            a->rcb[i].state = VF_RCB_IDLE;
    return lost;
}

/* MiniportReturnNetBufferLists: the RCBs go back to the device. */
void
vf__return_nbls(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct vf_adapter *a = ctx;
    unsigned posted = 0;
    (void)flags;
    for (struct ndis_nbl *nbl = chain, *next; nbl != NULL; nbl = next) {
        next = nbl->next;
        nbl->next = NULL;
        uint32_t idx;
        memcpy(&idx, nbl->miniport_reserved, sizeof idx);
        if (idx >= a->rx_count || a->rcb[idx].nbl != nbl || a->rcb[idx].state != VF_RCB_LENT) {
            SIM_ERROR(vf, "%s: returned NBL is not one this miniport lent", a->name);
            continue;
        }
        struct vf_rcb *r = &a->rcb[idx];
        a->rx_lent--;
        a->stats.rx_returned++;
        if (a->hw_up && !a->removed)
            posted += rcb_post(a, r);
        else
            r->state = VF_RCB_IDLE;
    }
    if (posted > 0 && !a->poll_mode && !vf__hw_rxf_doorbell(a))
        vf__device_gone(a, "RX fill doorbell");
    vf__pause_check(a);
}

unsigned
vf_adapter_poll(struct vf_adapter *a, unsigned budget)
{
    if (a == NULL || !a->hw_up)
        return 0;
    if (a->removed) {
        vf__removal_flush(a); /* poll mode: the removal is accounted for here, on our thread */
        return 0;
    }
    a->stats.polls++;
    unsigned n = vf__tx_reap(a, budget);
    if (!a->removed)
        n += rx_reap(a, budget);
    if (a->pausing)
        vf__pause_check(a);
    return n;
}

/* MiniportInterruptDPC for the QP vector (scenario mode). */
void
vf__dpc(struct sim_timer *t)
{
    struct vf_adapter *a = t->data;
    a->stats.dpcs++;
    if (!a->hw_up || a->removed)
        return;
    if (!vf__hw_qp_ack(a)) {
        vf__device_gone(a, "QP interrupt cause");
        return;
    }
    unsigned n = vf_adapter_poll(a, VF_DPC_BUDGET);
    if (n >= VF_DPC_BUDGET && a->hw_up && !a->removed && !sim_timer_is_pending(&a->dpc))
        (void)sim_timer_start(&a->dpc, 0); /* more work: run again (NAPI-style budget) */
}
