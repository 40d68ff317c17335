/* SPDX-License-Identifier: MIT */
/*
 * hw.c — the VF's hardware access layer: BAR0 registers by MMIO through the fabric, the queue
 * pair's rings and receive buffers in guest memory (GPA = the IOVA the device uses through the
 * VM's IOMMU domain), MSI-X vectors. The only file that knows the register map of
 * nic/nic_regs.h (the datasheet); everything else calls these helpers.
 *
 * Windows counterpart: netvmini's hw.c — NdisMMapIoSpace + READ/WRITE_REGISTER_ULONG for BAR0,
 * NdisMAllocateSharedMemory for the descriptor rings and buffers (in a child partition that
 * memory is guest-physical and the device reaches it through the IOMMU set up by Hyper-V),
 * NdisMRegisterInterruptEx with MSI-X (MiniportInterrupt -> MiniportInterruptDPC).
 *
 * Surprise removal shows here first: a read of a removed function returns all-ones and the
 * fabric says SIM_ENODEV. Every helper that can observe it reports it (false / error).
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

static bool
rd(struct vf_adapter *a, uint32_t off, uint32_t *val)
{
    uint64_t v = UINT64_MAX;
    int rc = pcie_mmio_read(a->fabric, a->rid, NIC_BAR_REGS, off, 4, &v);
    *val = (uint32_t)v;
    return rc == 0;
}

static bool
wr(struct vf_adapter *a, uint32_t off, uint32_t val)
{
    return pcie_mmio_write(a->fabric, a->rid, NIC_BAR_REGS, off, 4, val) == 0;
}

/* Check that a sriovsim NIC VF answers at a->rid and read its identity. */
int
vf__hw_probe(struct vf_adapter *a, struct sim_diag *d)
{
    uint32_t id, status, lo, hi, qps;
    int rc = pcie_fn_enable(a->fabric, a->rid); /* Bus Master Enable (pci_set_master) */
    if (rc != 0)
        return sim_diag_fail(d, SIM_ENODEV, "%s: VF %02x:%02x.%x does not answer (%s)", a->name,
                             PCIE_RID_BUS(a->rid), PCIE_RID_DEV(a->rid), PCIE_RID_FN(a->rid),
                             sim_strerror(rc));
    if (!rd(a, NIC_REG_ID, &id) || id != NIC_ID_MAGIC)
        return sim_diag_fail(d, SIM_ENODEV,
                             "%s: BAR0 ID register reads 0x%08x, not a sriovsim NIC (0x%08x)",
                             a->name, id, NIC_ID_MAGIC);
    if (!rd(a, NIC_REG_STATUS, &status) || !(status & NIC_STATUS_IS_VF))
        return sim_diag_fail(d, SIM_ENODEV, "%s: the function at this RID is not a VF", a->name);
    if (status & NIC_STATUS_RESET_DONE)
        (void)wr(a, NIC_REG_STATUS_CLR, NIC_STATUS_RESET_DONE); /* ixgbevf: clear RSTD */
    if (!rd(a, NIC_REG_MAC_LO, &lo) || !rd(a, NIC_REG_MAC_HI, &hi) ||
        !rd(a, NIC_REG_QP_COUNT, &qps))
        return sim_diag_fail(d, SIM_ENODEV, "%s: VF vanished during probe", a->name);
    if (qps == 0 || qps > NIC_VF_MAX_QPS)
        return sim_diag_fail(d, SIM_ENODEV, "%s: VF reports %u queue pairs", a->name, qps);
    /* A message the PF posted before this driver loaded (e.g. a config-block invalidation at
     * ALLOCATE_VF) still holds the buffer: a fresh driver reads everything anew through the
     * VF_RESET handshake, so release it, or the PF could not attach reply words. */
    uint32_t ctrl;
    if (rd(a, NIC_REG_VF_MBX_CTRL, &ctrl) && (ctrl & NIC_VF_MBX_CTRL_PFMSG))
        (void)wr(a, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    nic_mac_from_words(lo, hi, a->perm_mac);
    memcpy(a->cur_mac, a->perm_mac, 6);
    a->qp_count = qps;
    return 0;
}

/* Rings (TX, TXC, RXF, RX) in one GPA range, receive buffers in another, zeroed guest memory. */
int
vf__hw_queues_alloc(struct vf_adapter *a, struct sim_diag *d)
{
    size_t one;
    int rc = sim_ring_memsize(a->slots, &one);
    if (rc != 0)
        return sim_diag_fail(d, rc, "%s: bad ring size %u", a->name, a->slots);
    a->ring_bytes = (one + 63) & ~(size_t)63;
    rc = hv_gpa_alloc(a->guest, (uint64_t)a->ring_bytes * VF_RINGS, 0, &a->ring_gpa, d);
    if (rc != 0)
        return rc;
    rc = hv_gpa_alloc(a->guest, (uint64_t)a->rx_count * VF_RX_BUF_SIZE, 0, &a->rxbuf_gpa, d);
    if (rc != 0) {
        (void)hv_gpa_free(a->guest, a->ring_gpa);
        a->ring_gpa = 0;
        return rc;
    }
    for (unsigned i = 0; i < VF_RINGS; i++) {
        a->ring[i] = hv_gpa_to_host(a->guest, a->ring_gpa + i * a->ring_bytes, a->ring_bytes);
        (void)sim_ring_init(a->ring[i], a->slots); /* size validated by memsize above */
    }
    for (unsigned i = 0; i < a->rx_count; i++) {
        a->rcb[i].gpa = a->rxbuf_gpa + (uint64_t)i * VF_RX_BUF_SIZE;
        a->rcb[i].host = hv_gpa_to_host(a->guest, a->rcb[i].gpa, VF_RX_BUF_SIZE);
        a->rcb[i].state = VF_RCB_IDLE;
    }
    return 0;
}

void
vf__hw_queues_free(struct vf_adapter *a)
{
    for (unsigned i = 0; i < VF_RINGS; i++) {
        if (a->ring[i] != NULL)
            sim_ring_fini(a->ring[i]);
        a->ring[i] = NULL;
    }
    if (a->rxbuf_gpa != 0)
        (void)hv_gpa_free(a->guest, a->rxbuf_gpa);
    if (a->ring_gpa != 0)
        (void)hv_gpa_free(a->guest, a->ring_gpa);
    a->rxbuf_gpa = a->ring_gpa = 0;
}

/* Program QP 0 (ring IOVAs = GPAs, size) and enable it; the device validates every ring. */
int
vf__hw_qp_enable(struct vf_adapter *a, struct sim_diag *d)
{
    uint32_t q = NIC_REG_QP(0), st = 0;
    for (unsigned i = 0; i < VF_RINGS; i++) {
        uint64_t iova = a->ring_gpa + i * a->ring_bytes;
        (void)wr(a, q + NIC_QP_TX_IOVA_LO + 8 * i, (uint32_t)iova);
        (void)wr(a, q + NIC_QP_TX_IOVA_HI + 8 * i, (uint32_t)(iova >> 32));
    }
    (void)wr(a, q + NIC_QP_SIZE, a->slots);
    /* Bench (poll) mode: no data-path interrupt; the owner polls the rings. */
    (void)wr(a, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE | (a->poll_mode ? 0 : NIC_QP_CTRL_IRQ));
    if (!rd(a, q + NIC_QP_STATUS, &st))
        return sim_diag_fail(d, SIM_ENODEV, "%s: VF vanished while enabling QP 0", a->name);
    if (!(st & NIC_QP_STATUS_ENABLED))
        return sim_diag_fail(d, SIM_EIO, "%s: the device refused QP 0 (%s)", a->name,
                             nic_err_name(st & 0xffffu));
    return 0;
}

void
vf__hw_qp_disable(struct vf_adapter *a)
{
    if (!a->removed)
        (void)wr(a, NIC_REG_QP(0) + NIC_QP_CTRL, 0);
}

/* MiniportInterrupt for the QP vector: the DPC does the work (scenario mode only). */
static void
qp_isr(void *ctx, uint16_t rid, uint16_t vector)
{
    struct vf_adapter *a = ctx;
    (void)rid;
    (void)vector;
    a->stats.interrupts++;
    if (!a->hw_up || a->removed)
        return;
    if (!sim_timer_is_pending(&a->dpc))
        (void)sim_timer_start(&a->dpc, 0); /* the DPC runs next on the loop, at this time */
}

int
vf__hw_msix_setup(struct vf_adapter *a, struct sim_diag *d)
{
    int rc = pcie_msix_connect(a->fabric, a->rid, NIC_VF_VEC_MAILBOX, vf__mbx_interrupt, a);
    if (rc == 0)
        rc = pcie_msix_connect(a->fabric, a->rid, NIC_VF_VEC_QP_BASE, qp_isr, a);
    if (rc == 0)
        rc = pcie_msix_enable(a->fabric, a->rid, true);
    if (rc == 0)
        rc = pcie_msix_mask(a->fabric, a->rid, NIC_VF_VEC_MAILBOX, false);
    if (rc == 0)
        rc = pcie_msix_mask(a->fabric, a->rid, NIC_VF_VEC_QP_BASE, false);
    if (rc != 0) {
        vf__hw_msix_teardown(a);
        return sim_diag_fail(d, rc, "%s: MSI-X setup failed (%s)", a->name, sim_strerror(rc));
    }
    return 0;
}

void
vf__hw_msix_teardown(struct vf_adapter *a)
{
    if (!a->removed)
        (void)pcie_msix_enable(a->fabric, a->rid, false);
    (void)pcie_msix_disconnect(a->fabric, a->rid, NIC_VF_VEC_MAILBOX);
    (void)pcie_msix_disconnect(a->fabric, a->rid, NIC_VF_VEC_QP_BASE);
}

bool
vf__hw_tx_doorbell(struct vf_adapter *a)
{
    return wr(a, NIC_REG_QP(0) + NIC_QP_TX_DOORBELL, 1);
}

bool
vf__hw_rxf_doorbell(struct vf_adapter *a)
{
    return wr(a, NIC_REG_QP(0) + NIC_QP_RXF_DOORBELL, 1);
}

bool
vf__hw_qp_ack(struct vf_adapter *a)
{
    uint32_t cause;
    if (!rd(a, NIC_REG_QP(0) + NIC_QP_CAUSE, &cause) || cause == UINT32_MAX)
        return false;
    if (cause != 0)
        (void)wr(a, NIC_REG_QP(0) + NIC_QP_CAUSE, cause); /* W1C */
    return true;
}

bool
vf__hw_mbx_ctrl(struct vf_adapter *a, uint32_t *ctrl)
{
    return rd(a, NIC_REG_VF_MBX_CTRL, ctrl) && *ctrl != UINT32_MAX;
}

bool
vf__hw_mbx_write_req(struct vf_adapter *a, const uint32_t *w, unsigned n)
{
    for (unsigned i = 0; i < n && i < NIC_MBX_WORDS; i++)
        if (!wr(a, NIC_REG_VF_MBX_REQ(i), w[i]))
            return false;
    return wr(a, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
}

void
vf__hw_mbx_read_msg(struct vf_adapter *a, uint32_t *w)
{
    for (unsigned i = 0; i < NIC_MBX_WORDS; i++)
        if (!rd(a, NIC_REG_VF_MBX_MSG(i), &w[i]))
            w[i] = 0;
}

void
vf__hw_mbx_release_msg(struct vf_adapter *a)
{
    (void)wr(a, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
}
