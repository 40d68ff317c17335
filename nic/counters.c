/* SPDX-License-Identifier: MIT */
/*
 * counters.c — per-VPort counters with drop causes, the STATS_READ command that DMA-writes
 * them into PF memory, and the read-out for tests and tools.
 *
 * Windows counterpart: the hardware counters behind OID_NIC_SWITCH_VPORT statistics /
 * NDIS_STATISTICS_INFO of a VPort; the per-cause drops are the simulator's own addition (the
 * "never silently lost" contract: sent = delivered + dropped by cause + in flight).
 */
#include <string.h>

#include "nic/nic_int.h"

void
nic__vport_count_rx(struct nic_vport *vp, const struct nic_frame *f, bool switched)
{
    vp->stats.rx_packets++;
    vp->stats.rx_bytes += f->len;
    if (switched)
        vp->stats.rx_from_vport++;
    if (f->bcast)
        vp->stats.rx_bcast++;
}

void
nic__vport_count_tx(struct nic_vport *vp, const struct nic_frame *f, bool to_wire)
{
    vp->stats.tx_packets++;
    vp->stats.tx_bytes += f->len;
    if (to_wire)
        vp->stats.tx_to_wire++;
    else
        vp->stats.tx_to_vport++;
}

/* NIC_CMD_STATS_READ: P0 vport, P1/P2 IOVA, P3 length, P4 flags; R0 bytes written. */
int
nic__stats_read(struct nic *nic, const uint32_t *p, uint32_t *r)
{
    struct nic_vport *vp = nic__vport_get(nic, p[0]);
    if (vp == NULL)
        return NIC_ERR_NOT_FOUND;
    if (p[4] & ~NIC_STATS_F_CLEAR)
        return NIC_ERR_BAD_PARAM;
    if (p[3] < sizeof(struct nic_hw_vport_stats))
        return NIC_ERR_RANGE;
    uint64_t iova = (uint64_t)p[1] | (uint64_t)p[2] << 32;
    if (pcie_dma_write(nic->fabric, nic->pf_rid, iova, &vp->stats, sizeof(vp->stats)) != 0)
        return NIC_ERR_DMA;
    if (p[4] & NIC_STATS_F_CLEAR)
        memset(&vp->stats, 0, sizeof(vp->stats));
    r[0] = sizeof(struct nic_hw_vport_stats);
    return NIC_ERR_OK;
}

int
nic_vport_stats(const struct nic *nic, uint16_t vport_id, struct nic_hw_vport_stats *out)
{
    if (nic == NULL || out == NULL)
        return SIM_EINVAL;
    if (vport_id >= nic->max_vports || !nic->vports[vport_id].in_use)
        return SIM_ENOENT;
    *out = nic->vports[vport_id].stats;
    return 0;
}

void
nic_stats(const struct nic *nic, struct nic_stats *out)
{
    *out = nic->stats;
}
