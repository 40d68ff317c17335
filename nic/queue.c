/* SPDX-License-Identifier: MIT */
/*
 * queue.c — queue pairs: the four descriptor rings of a QP (TX, TX completion, RX fill, RX)
 * living in the function's own memory (host memory for the PF, guest memory for a VF), reached
 * through the IOMMU by the function's RID; the TX service (fetch descriptor, DMA the frame in,
 * anti-spoof, switch, complete) and RX delivery (take a fill buffer, DMA the frame out, post).
 *
 * Windows / hardware counterpart: a hardware TX/RX queue pair with its descriptor rings and
 * doorbells (82599 TDT/RDT, E810 QTX_COMM_DBELL), whose rings a miniport allocates with
 * NdisMAllocateSharedMemory; interrupts per queue (MSI-X) as NDIS VPort queue pairs use them.
 *
 * IOTLB fast path: the rings are translated once at enable to host pointers (the device then
 * runs the lock-free sim_ring protocol on them directly, also in bench mode with the driver on
 * another thread). Scenario mode re-validates that translation before every use (an unmap or a
 * detach takes effect at once: the QP goes to the error state); poll mode trusts it (the bench
 * sets mappings up before it starts, the fabric's own rule for concurrent DMA). Packet buffers
 * are always moved by pcie_dma_read / pcie_dma_write, so their IOMMU checks are per frame.
 */
#include <string.h>

#include "nic/nic_int.h"

static void nic_qp_tx_timer(struct sim_timer *t);

/* One-descriptor ring operations. Out of line on purpose: GCC 12 inlines the ring's copy
 * loops against a single uint64_t and reports -Warray-bounds false positives for the
 * wrap-around branch it cannot prove dead. */
static __attribute__((noinline)) unsigned
nic_ring_put(struct sim_ring *r, const uint64_t *d)
{
    return sim_ring_sp_enqueue_burst(r, d, 1);
}

static __attribute__((noinline)) unsigned
nic_ring_get(struct sim_ring *r, uint64_t *d)
{
    return sim_ring_sc_dequeue_burst(r, d, 1);
}

void
nic__qp_init(struct nic_qp *qp, struct nic_fn *fn, uint16_t index)
{
    memset(qp, 0, sizeof(*qp));
    qp->fn = fn;
    qp->index = index;
    qp->vport = NIC_VPORT_NONE;
    sim_timer_init(fn->nic->sched, &qp->tx_timer, nic_qp_tx_timer, qp);
}

/* ---------------------------------------------------------------------------------------------
 * The transmit arbiter of the physical port (scenario mode).
 * ------------------------------------------------------------------------------------------- */
static void nic_port_timer(struct sim_timer *t);

void
nic__port_init(struct nic *nic)
{
    nic->port_wait_head = nic->port_wait_tail = nic->port_turn = NULL;
    sim_timer_init(nic->sched, &nic->port_timer, nic_port_timer, nic);
}

void
nic__port_fini(struct nic *nic)
{
    sim_timer_stop(&nic->port_timer);
    for (struct nic_qp *q = nic->port_wait_head; q != NULL; q = q->port_next)
        q->port_waiting = false;
    nic->port_wait_head = nic->port_wait_tail = NULL;
}

static void
nic_port_arm(struct nic *nic)
{
    if (nic->port_wait_head == NULL || sim_timer_is_pending(&nic->port_timer))
        return;
    sim_time_t now = sim_sched_now(nic->sched);
    if (sim_timer_start_at(&nic->port_timer,
                           nic->port_busy_until > now ? nic->port_busy_until : now) != 0)
        nic->stats.sched_errors++;
}

static void
nic_port_wait(struct nic *nic, struct nic_qp *qp)
{
    if (qp->port_waiting)
        return;
    qp->port_waiting = true;
    qp->port_next = NULL;
    if (nic->port_wait_tail != NULL)
        nic->port_wait_tail->port_next = qp;
    else
        nic->port_wait_head = qp;
    nic->port_wait_tail = qp;
    nic_port_arm(nic);
}

/* A disabled queue leaves the wait list (a short list: one entry per busy queue). */
static void
nic_port_unwait(struct nic *nic, struct nic_qp *qp)
{
    if (!qp->port_waiting)
        return;
    struct nic_qp *prev = NULL;
    for (struct nic_qp *q = nic->port_wait_head; q != NULL; prev = q, q = q->port_next) {
        if (q != qp)
            continue;
        if (prev != NULL)
            prev->port_next = q->port_next;
        else
            nic->port_wait_head = q->port_next;
        if (nic->port_wait_tail == q)
            nic->port_wait_tail = prev;
        break;
    }
    qp->port_waiting = false;
    qp->port_next = NULL;
}

/* The port is free: give it to the queues waiting, in turn, until it is busy again. */
static void
nic_port_timer(struct sim_timer *t)
{
    struct nic *nic = t->data;
    while (nic->port_wait_head != NULL &&
           nic->port_busy_until <= sim_sched_now(nic->sched)) {
        struct nic_qp *qp = nic->port_wait_head;
        nic->port_wait_head = qp->port_next;
        if (nic->port_wait_head == NULL)
            nic->port_wait_tail = NULL;
        qp->port_waiting = false;
        qp->port_next = NULL;
        nic->port_turn = qp;
        (void)nic__qp_tx_service(qp, NIC_TX_BURST); /* back to the tail if frames are left */
        nic->port_turn = NULL;
    }
    nic_port_arm(nic);
}

static void
nic_qp_disable(struct nic_qp *qp, uint32_t status)
{
    sim_timer_stop(&qp->tx_timer);
    nic_port_unwait(qp->fn->nic, qp);
    for (unsigned i = 0; i < NIC_RING_COUNT; i++)
        qp->ring[i] = NULL;
    qp->ctrl &= ~NIC_QP_CTRL_ENABLE;
    qp->status = status;
}

/* Function reset: every register back to 0; the QP's VPort assignment (PF-owned) stays. */
void
nic__qp_reset(struct nic_qp *qp)
{
    nic_qp_disable(qp, 0);
    memset(qp->iova, 0, sizeof(qp->iova));
    qp->size = qp->ctrl = qp->cause = 0;
}

void
nic__fn_reset_queues(struct nic_fn *fn)
{
    for (unsigned q = 0; q < fn->nqps; q++)
        nic__qp_reset(&fn->qps[q]);
}

/* Is the ring header at r what the driver promised (initialised, `size` slots)? The device
 * reads only these copies of size/mask, so a corrupt header cannot steer it out of bounds. */
static bool
nic_ring_header_ok(const struct sim_ring *r, uint32_t size)
{
    return r->magic == SIM_RING__MAGIC && r->size == size && r->mask == size - 1 &&
           r->prod_priv.size == size && r->prod_priv.mask == size - 1 &&
           r->cons_priv.size == size && r->cons_priv.mask == size - 1;
}

/* Translate ring i of qp to a host pointer (both directions, whole ring in one mapping). */
static int
nic_ring_translate(struct nic_qp *qp, unsigned i, struct sim_ring **out)
{
    struct nic *nic = qp->fn->nic;
    size_t len;
    void *rd, *wr;
    if (sim_ring_memsize(qp->size, &len) != 0)
        return NIC_ERR_BAD_PARAM;
    uint16_t rid = nic__fn_rid(qp->fn);
    if (pcie_iommu_translate(nic->fabric, rid, qp->iova[i], len, PCIE_DMA_READ, &rd) != 0 ||
        pcie_iommu_translate(nic->fabric, rid, qp->iova[i], len, PCIE_DMA_WRITE, &wr) != 0 ||
        rd != wr)
        return NIC_ERR_DMA;
    if (((uintptr_t)rd % SIM_RING_CACHE_LINE) != 0)
        return NIC_ERR_BAD_PARAM;
    *out = rd;
    return NIC_ERR_OK;
}

static void
nic_qp_enable(struct nic_qp *qp)
{
    struct nic *nic = qp->fn->nic;
    uint16_t rid = nic__fn_rid(qp->fn);
    struct sim_ring *r[NIC_RING_COUNT];
    int code = NIC_ERR_OK;

    if (qp->size < 2 || qp->size > NIC_QP_RING_MAX || (qp->size & (qp->size - 1)) != 0)
        code = NIC_ERR_BAD_PARAM;
    for (unsigned i = 0; i < NIC_RING_COUNT && code == NIC_ERR_OK; i++) {
        if (qp->iova[i] % SIM_RING_CACHE_LINE != 0 || qp->iova[i] > NIC_DESC_IOVA_MASK) {
            code = NIC_ERR_BAD_PARAM;
            break;
        }
        /* A real first access by DMA: an address outside the domain is refused and recorded
         * by the IOMMU (fault log + event), exactly like a descriptor fetch would be. */
        uint8_t probe[SIM_RING_CACHE_LINE];
        int rc = pcie_dma_read(nic->fabric, rid, qp->iova[i], probe, sizeof(probe));
        if (rc == SIM_EFAULT)
            code = NIC_ERR_DMA;
        else if (rc != 0)
            code = NIC_ERR_STATE; /* Bus Master Enable clear, or function in reset */
        else
            code = nic_ring_translate(qp, i, &r[i]);
        if (code == NIC_ERR_OK && !nic_ring_header_ok(r[i], qp->size))
            code = NIC_ERR_BAD_PARAM;
    }
    if (code != NIC_ERR_OK) {
        nic->stats.qp_enable_errors++;
        nic_qp_disable(qp, NIC_QP_STATUS_ERROR | (uint32_t)code);
        SIM_DEBUG(nic, "%s: QP %u enable refused: %s", qp->fn->where_tx, qp->index,
                  nic_err_name((unsigned)code));
        return;
    }
    for (unsigned i = 0; i < NIC_RING_COUNT; i++)
        qp->ring[i] = r[i];
    qp->ctrl |= NIC_QP_CTRL_ENABLE;
    qp->status = NIC_QP_STATUS_ENABLED;
}

/* Before each use: still enabled, still mapped to the same memory, headers intact. On failure
 * the QP enters the error state (the driver sees NIC_QP_STATUS_ERROR). */
static bool
nic_qp_check(struct nic_qp *qp)
{
    struct nic *nic = qp->fn->nic;
    if (!(qp->status & NIC_QP_STATUS_ENABLED))
        return false;
    for (unsigned i = 0; i < NIC_RING_COUNT; i++) {
        int code = NIC_ERR_OK;
        if (!nic->poll_mode) {
            struct sim_ring *r;
            code = nic_ring_translate(qp, i, &r);
            if (code == NIC_ERR_OK && r != qp->ring[i])
                code = NIC_ERR_DMA;
        }
        if (code == NIC_ERR_OK && !nic_ring_header_ok(qp->ring[i], qp->size))
            code = NIC_ERR_BAD_PARAM;
        if (code != NIC_ERR_OK) {
            nic->stats.qp_iommu_errors++;
            nic_qp_disable(qp, NIC_QP_STATUS_ERROR | (uint32_t)code);
            return false;
        }
    }
    return true;
}

static void
nic_qp_irq(struct nic_qp *qp, uint32_t cause)
{
    qp->cause |= cause;
    /* Poll mode (bench): the driver polls its rings; no data-path interrupts. */
    if ((qp->ctrl & NIC_QP_CTRL_IRQ) && !qp->fn->nic->poll_mode) {
        uint16_t base = qp->fn->vf_index < 0 ? NIC_PF_VEC_QP_BASE : NIC_VF_VEC_QP_BASE;
        nic__fire(qp->fn, (uint16_t)(base + qp->index));
    }
}

/* ---------------------------------------------------------------------------------------------
 * Registers.
 * ------------------------------------------------------------------------------------------- */
uint32_t
nic__qp_reg_read(struct nic_qp *qp, uint32_t off)
{
    switch (off) {
    case NIC_QP_TX_IOVA_LO:
    case NIC_QP_TXC_IOVA_LO:
    case NIC_QP_RXF_IOVA_LO:
    case NIC_QP_RX_IOVA_LO:
        return (uint32_t)qp->iova[off / 8];
    case NIC_QP_TX_IOVA_HI:
    case NIC_QP_TXC_IOVA_HI:
    case NIC_QP_RXF_IOVA_HI:
    case NIC_QP_RX_IOVA_HI:
        return (uint32_t)(qp->iova[off / 8] >> 32);
    case NIC_QP_SIZE:
        return qp->size;
    case NIC_QP_CTRL:
        return qp->ctrl;
    case NIC_QP_STATUS:
        return qp->status;
    case NIC_QP_CAUSE:
        return qp->cause;
    default:
        return 0;
    }
}

void
nic__qp_reg_write(struct nic_qp *qp, uint32_t off, uint32_t val)
{
    struct nic *nic = qp->fn->nic;
    switch (off) {
    case NIC_QP_TX_IOVA_LO:
    case NIC_QP_TXC_IOVA_LO:
    case NIC_QP_RXF_IOVA_LO:
    case NIC_QP_RX_IOVA_LO:
        qp->iova[off / 8] = (qp->iova[off / 8] & ~UINT64_C(0xffffffff)) | val;
        return;
    case NIC_QP_TX_IOVA_HI:
    case NIC_QP_TXC_IOVA_HI:
    case NIC_QP_RXF_IOVA_HI:
    case NIC_QP_RX_IOVA_HI:
        qp->iova[off / 8] = (qp->iova[off / 8] & UINT64_C(0xffffffff)) | (uint64_t)val << 32;
        return;
    case NIC_QP_SIZE:
        qp->size = val;
        return;
    case NIC_QP_CTRL: {
        bool was = (qp->ctrl & NIC_QP_CTRL_ENABLE) != 0, now = (val & NIC_QP_CTRL_ENABLE) != 0;
        qp->ctrl = (qp->ctrl & NIC_QP_CTRL_ENABLE) | (val & NIC_QP_CTRL_IRQ);
        if (!was && now)
            nic_qp_enable(qp);
        else if (was && !now)
            nic_qp_disable(qp, 0);
        return;
    }
    case NIC_QP_TX_DOORBELL:
        if (!nic->poll_mode && (qp->status & NIC_QP_STATUS_ENABLED) &&
            !sim_timer_is_pending(&qp->tx_timer) &&
            sim_timer_start(&qp->tx_timer, NIC_DOORBELL_LATENCY_NS) != 0)
            nic->stats.sched_errors++;
        return;
    case NIC_QP_RXF_DOORBELL:
        /* Fill buffers are taken on demand when a frame arrives; nothing to start. */
        return;
    case NIC_QP_CAUSE:
        qp->cause &= ~val;
        return;
    default:
        nic->stats.mmio_unknown++;
        return;
    }
}

/* ---------------------------------------------------------------------------------------------
 * TX.
 * ------------------------------------------------------------------------------------------- */

/* Transmit one descriptor; returns the TXC status (0 or NIC_TXC_DROPPED | cause). */
static uint16_t
nic_qp_tx_one(struct nic_qp *qp, uint64_t d)
{
    struct nic *nic = qp->fn->nic;
    struct nic_vport *vp = qp->vport != NIC_VPORT_NONE ? nic__vport_get(nic, qp->vport) : NULL;
    struct nic_hw_vport_stats *vs = vp ? &vp->stats : NULL;
    const char *where = vp ? vp->where_tx : qp->fn->where_tx;
    uint32_t len = NIC_DESC_LEN(d);
    enum sim_drop_cause cause;
    struct nic_pkt_hdr hdr;
    struct nic_frame f;

    if (len < NIC_MIN_FRAME_LEN || len > NIC_MAX_FRAME_LEN) {
        cause = len < NIC_MIN_FRAME_LEN ? SIM_DROP_MALFORMED : SIM_DROP_MTU;
        nic__drop(nic, vs, cause, where, 0, NULL, 0);
        return (uint16_t)(NIC_TXC_DROPPED | cause);
    }
    int rc = pcie_dma_read(nic->fabric, nic__fn_rid(qp->fn), NIC_DESC_IOVA(d), nic->tx_buf,
                           NIC_PKT_HDR_LEN + len);
    if (rc != 0) {
        /* Nothing was read: the frame bytes are unknown, so is its packet id. */
        cause = rc == SIM_EFAULT ? SIM_DROP_IOMMU_FAULT : nic__fn_gone_cause(qp->fn);
        nic__drop(nic, vs, cause, where, 0, NULL, 0);
        return (uint16_t)(NIC_TXC_DROPPED | cause);
    }
    memcpy(&hdr, nic->tx_buf, sizeof(hdr));
    nic__frame_parse(&f, nic->tx_buf + NIC_PKT_HDR_LEN, len, hdr.packet_id);
    if (vp == NULL || !(vp->flags & NIC_VPORT_F_ACTIVATED)) {
        cause = SIM_DROP_PAUSED;
        nic__drop(nic, vs, cause, where, f.packet_id, f.data, f.len);
        return (uint16_t)(NIC_TXC_DROPPED | cause);
    }
    int bad = nic__antispoof_check(vp, &f);
    if (bad == 0)
        bad = nic__switch_from_vport(nic, vp, &f);
    if (bad != 0) {
        cause = (enum sim_drop_cause)(bad - 1);
        nic__drop(nic, vs, cause, where, f.packet_id, f.data, f.len);
        return (uint16_t)(NIC_TXC_DROPPED | cause);
    }
    return 0;
}

long
nic__qp_tx_service(struct nic_qp *qp, unsigned budget)
{
    struct nic *nic = qp->fn->nic;
    long done = 0;

    if (!nic_qp_check(qp))
        return 0;
    nic->stats.tx_services++;
    struct sim_ring *tx = qp->ring[NIC_RING_TX], *txc = qp->ring[NIC_RING_TXC];
    if (!nic->poll_mode && nic->port_turn != qp &&
        (qp->port_waiting || nic->port_wait_head != NULL ||
         nic->port_busy_until > sim_sched_now(nic->sched))) {
        /* Other queues are waiting for the port (or it is busy): wait for this one's turn. */
        if (sim_ring_count(tx) > 0 && sim_ring_free_count(txc) > 0)
            nic_port_wait(nic, qp);
        return 0;
    }
    while (done < (long)budget) {
        /* Scenario mode: one frame at a time onto a busy wire; resume when it is free. */
        if (!nic->poll_mode && nic->port_busy_until > sim_sched_now(nic->sched))
            break;
        if (sim_ring_free_count(txc) == 0)
            break; /* the driver has not reaped completions: resume at the next doorbell */
        uint64_t d;
        if (nic_ring_get(tx, &d) == 0)
            break;
        uint64_t c = NIC_DESC(NIC_DESC_IOVA(d), nic_qp_tx_one(qp, d));
        if (!(qp->status & NIC_QP_STATUS_ENABLED))
            break; /* the frame's delivery reset this very function (cannot normally happen) */
        (void)nic_ring_put(txc, &c); /* room checked above */
        done++;
    }
    if (done > 0)
        nic_qp_irq(qp, NIC_QP_CAUSE_TXC);
    if (!nic->poll_mode && (qp->status & NIC_QP_STATUS_ENABLED) && sim_ring_count(tx) > 0 &&
        sim_ring_free_count(txc) > 0)
        nic_port_wait(nic, qp); /* more to send: the back of the line */
    return done;
}

static void
nic_qp_tx_timer(struct sim_timer *t)
{
    struct nic_qp *qp = t->data;
    (void)nic__qp_tx_service(qp, NIC_TX_BURST);
}

long
nic_poll(struct nic *nic, unsigned budget)
{
    size_t nqp = NIC_PF_MAX_QPS + (size_t)nic->total_vfs * nic->vf_qps;
    long done = 0;
    for (size_t k = 0; k < nqp && done < (long)budget; k++) {
        struct nic_qp *qp = &nic->qp_mem[(nic->poll_cursor + k) % nqp];
        if (qp->status & NIC_QP_STATUS_ENABLED)
            done += nic__qp_tx_service(qp, budget - (unsigned)done);
    }
    nic->poll_cursor = (unsigned)((nic->poll_cursor + 1) % nqp);
    return done;
}

/* ---------------------------------------------------------------------------------------------
 * RX.
 * ------------------------------------------------------------------------------------------- */
static void
nic_rx_return_unused(struct nic_qp *qp, uint64_t fill)
{
    uint64_t d = NIC_DESC(NIC_DESC_IOVA(fill), NIC_RXD_LEN_UNUSED);
    (void)nic_ring_put(qp->ring[NIC_RING_RX], &d); /* room checked */
    nic_qp_irq(qp, NIC_QP_CAUSE_RX);
}

void
nic__qp_deliver(struct nic *nic, struct nic_vport *vp, const struct nic_frame *f,
                const struct nic_vport *src, bool strip)
{
    struct nic_hw_vport_stats *vs = &vp->stats;
    struct nic_fn *fn = vp->fn;
    struct nic_qp *qp = &fn->qps[vp->first_qp];
    enum sim_drop_cause cause;
    uint64_t fill;

    if (!(vp->flags & NIC_VPORT_F_ACTIVATED)) {
        cause = SIM_DROP_PAUSED;
        goto drop;
    }
    if (nic->knobs.rx_force_full) {
        cause = SIM_DROP_RING_FULL;
        goto drop;
    }
    if (fn->vf_index >= 0 && fn->pcie == NULL) {
        cause = SIM_DROP_PAUSED; /* the VF does not exist (VF Enable clear) */
        goto drop;
    }
    if (!(qp->status & NIC_QP_STATUS_ENABLED)) {
        cause = nic__fn_gone_cause(fn);
        goto drop;
    }
    if (!nic_qp_check(qp)) {
        cause = SIM_DROP_IOMMU_FAULT;
        goto drop;
    }
    if (sim_ring_free_count(qp->ring[NIC_RING_RX]) == 0 ||
        nic_ring_get(qp->ring[NIC_RING_RXF], &fill) == 0) {
        cause = SIM_DROP_RING_FULL;
        goto drop;
    }

    /* Build header + frame (tag stripped if asked) in the RX scratch buffer: one DMA write, so
     * a refused buffer is not touched at all. */
    struct nic_pkt_hdr hdr = {
        .packet_id = f->packet_id,
        .vlan_tci = strip ? f->tci : 0,
        .flags = (uint16_t)((strip ? NIC_RXH_F_VLAN : 0) | (src ? NIC_RXH_F_SWITCHED : 0) |
                            (f->bcast ? NIC_RXH_F_BCAST : 0)),
        .vport_id = vp->id,
        .src_vport = src ? src->id : NIC_VPORT_NONE,
    };
    uint8_t *out = nic->rx_buf + NIC_PKT_HDR_LEN;
    uint32_t len;
    memcpy(nic->rx_buf, &hdr, sizeof(hdr));
    if (strip) {
        memcpy(out, f->data, 12);
        memcpy(out + 12, f->data + 16, f->len - 16);
        len = f->len - 4;
    } else {
        memcpy(out, f->data, f->len);
        len = f->len;
    }
    if (NIC_DESC_LEN(fill) < NIC_PKT_HDR_LEN + len) {
        nic_rx_return_unused(qp, fill);
        cause = SIM_DROP_MTU;
        goto drop;
    }
    int rc = pcie_dma_write(nic->fabric, nic__fn_rid(fn), NIC_DESC_IOVA(fill), nic->rx_buf,
                            NIC_PKT_HDR_LEN + len);
    if (rc != 0) {
        nic_rx_return_unused(qp, fill);
        cause = rc == SIM_EFAULT ? SIM_DROP_IOMMU_FAULT : nic__fn_gone_cause(fn);
        goto drop;
    }
    uint64_t d = NIC_DESC(NIC_DESC_IOVA(fill), len);
    (void)nic_ring_put(qp->ring[NIC_RING_RX], &d); /* room checked */
    nic__vport_count_rx(vp, f, src != NULL);
    nic_qp_irq(qp, NIC_QP_CAUSE_RX);
    return;

drop:
    nic__drop(nic, vs, cause, vp->where_rx, f->packet_id, f->data, f->len);
}
