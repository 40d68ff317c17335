/* SPDX-License-Identifier: MIT */
/*
 * mailbox.c — the PF<->VF mailbox (nic_regs.h section 9): per VF a request buffer (VF -> PF)
 * and a message buffer (PF -> VF), control bits, a per-VF pending bitmap on the PF and MSI-X
 * interrupts both ways.
 *
 * Hardware counterpart: the Intel 82576/82599 mailbox (PFMAILBOX/VFMAILBOX, VMBMEM, MBVFICR,
 * VFLRE; ixgbe_mbx.h). Windows counterpart: the transport under the SR-IOV backchannel
 * (NdisMReadConfigBlock / NdisMWriteConfigBlock / NdisMInvalidateConfigBlock, ndis_sriov.md 8)
 * — the message protocol on top belongs to the PF/VF miniport pair.
 */
#include <string.h>

#include "nic/nic_int.h"

void
nic__mbx_vf_reset(struct nic_fn *vf)
{
    if (vf->vf_index < 0)
        return;
    memset(&vf->mbx, 0, sizeof(vf->mbx));
    vf->nic->mbx_req_pending &= ~(UINT64_C(1) << vf->vf_index);
}

/* PF BAR0: pending bitmaps and the per-VF windows. */
uint32_t
nic__mbx_pf_read(struct nic *nic, uint32_t off, bool *known)
{
    switch (off) {
    case NIC_REG_MBX_REQ_PENDING_LO:
        return (uint32_t)nic->mbx_req_pending;
    case NIC_REG_MBX_REQ_PENDING_HI:
        return (uint32_t)(nic->mbx_req_pending >> 32);
    case NIC_REG_MBX_VFLR_PENDING_LO:
        return (uint32_t)nic->mbx_vflr_pending;
    case NIC_REG_MBX_VFLR_PENDING_HI:
        return (uint32_t)(nic->mbx_vflr_pending >> 32);
    default:
        break;
    }
    if (off >= NIC_REG_PF_MBX_BASE &&
        off < NIC_REG_PF_MBX_BASE + NIC_REG_PF_MBX_STRIDE * (uint32_t)nic->total_vfs) {
        struct nic_fn *vf = &nic->vfs[(off - NIC_REG_PF_MBX_BASE) / NIC_REG_PF_MBX_STRIDE];
        uint32_t o = (off - NIC_REG_PF_MBX_BASE) % NIC_REG_PF_MBX_STRIDE;
        if (o < 0x40)
            return vf->mbx.req[o / 4];
        if (o < 0x80)
            return vf->mbx.msg[(o - 0x40) / 4];
        if (o == 0x80) {
            uint32_t v = 0;
            if (vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_REQ)
                v |= NIC_PF_MBX_CTRL_REQ;
            if (vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_PFMSG)
                v |= NIC_PF_MBX_CTRL_MSG;
            return v;
        }
    }
    *known = false;
    return 0;
}

void
nic__mbx_pf_write(struct nic *nic, uint32_t off, uint32_t val, bool *known)
{
    switch (off) {
    case NIC_REG_MBX_REQ_PENDING_LO:
        nic->mbx_req_pending &= ~(uint64_t)val;
        return;
    case NIC_REG_MBX_REQ_PENDING_HI:
        nic->mbx_req_pending &= ~((uint64_t)val << 32);
        return;
    case NIC_REG_MBX_VFLR_PENDING_LO:
        nic->mbx_vflr_pending &= ~(uint64_t)val;
        return;
    case NIC_REG_MBX_VFLR_PENDING_HI:
        nic->mbx_vflr_pending &= ~((uint64_t)val << 32);
        return;
    default:
        break;
    }
    if (off >= NIC_REG_PF_MBX_BASE &&
        off < NIC_REG_PF_MBX_BASE + NIC_REG_PF_MBX_STRIDE * (uint32_t)nic->total_vfs) {
        struct nic_fn *vf = &nic->vfs[(off - NIC_REG_PF_MBX_BASE) / NIC_REG_PF_MBX_STRIDE];
        uint32_t o = (off - NIC_REG_PF_MBX_BASE) % NIC_REG_PF_MBX_STRIDE;
        if (o < 0x40)
            return; /* REQ words are the VF's: read-only to the PF */
        if (o < 0x80) {
            vf->mbx.msg[(o - 0x40) / 4] = val;
            return;
        }
        if (o == 0x80) {
            bool fire = false;
            if (val & (NIC_PF_MBX_CTRL_ACK | NIC_PF_MBX_CTRL_NACK)) {
                if (vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_REQ) {
                    bool ack = (val & NIC_PF_MBX_CTRL_ACK) != 0;
                    vf->mbx.vf_ctrl &=
                        ~(NIC_VF_MBX_CTRL_REQ | NIC_VF_MBX_CTRL_ACK | NIC_VF_MBX_CTRL_NACK);
                    vf->mbx.vf_ctrl |= ack ? NIC_VF_MBX_CTRL_ACK : NIC_VF_MBX_CTRL_NACK;
                    nic->mbx_req_pending &= ~(UINT64_C(1) << vf->vf_index);
                    if (ack)
                        nic->stats.mbx_acks++;
                    else
                        nic->stats.mbx_nacks++;
                    fire = true;
                } else {
                    nic->stats.mbx_busy_ignored++; /* nothing to answer */
                }
            }
            if (val & NIC_PF_MBX_CTRL_MSG) {
                if (vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_PFMSG) {
                    nic->stats.mbx_busy_ignored++;
                } else {
                    vf->mbx.vf_ctrl |= NIC_VF_MBX_CTRL_PFMSG;
                    nic->stats.mbx_msgs++;
                    fire = true;
                }
            }
            if (fire)
                nic__fire(vf, NIC_VF_VEC_MAILBOX);
            return;
        }
    }
    *known = false;
}

/* VF BAR0: its own control register and windows. */
uint32_t
nic__mbx_vf_read(struct nic_fn *vf, uint32_t off, bool *known)
{
    if (off == NIC_REG_VF_MBX_CTRL)
        return vf->mbx.vf_ctrl;
    if (off >= NIC_REG_VF_MBX_REQ(0) && off < NIC_REG_VF_MBX_REQ(NIC_MBX_WORDS))
        return vf->mbx.req[(off - NIC_REG_VF_MBX_REQ(0)) / 4];
    if (off >= NIC_REG_VF_MBX_MSG(0) && off < NIC_REG_VF_MBX_MSG(NIC_MBX_WORDS))
        return vf->mbx.msg[(off - NIC_REG_VF_MBX_MSG(0)) / 4];
    *known = false;
    return 0;
}

void
nic__mbx_vf_write(struct nic_fn *vf, uint32_t off, uint32_t val, bool *known)
{
    struct nic *nic = vf->nic;
    if (off == NIC_REG_VF_MBX_CTRL) {
        if (val & NIC_VF_MBX_CTRL_PFMSG)
            vf->mbx.vf_ctrl &= ~NIC_VF_MBX_CTRL_PFMSG; /* message consumed: buffer free */
        if (val & NIC_VF_MBX_CTRL_REQ) {
            if (vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_REQ) {
                nic->stats.mbx_busy_ignored++;
            } else {
                vf->mbx.vf_ctrl &= ~(NIC_VF_MBX_CTRL_ACK | NIC_VF_MBX_CTRL_NACK);
                vf->mbx.vf_ctrl |= NIC_VF_MBX_CTRL_REQ;
                nic->mbx_req_pending |= UINT64_C(1) << vf->vf_index;
                nic->stats.mbx_requests++;
                nic__fire(&nic->pf, NIC_PF_VEC_MAILBOX);
            }
        }
        return;
    }
    if (off >= NIC_REG_VF_MBX_REQ(0) && off < NIC_REG_VF_MBX_REQ(NIC_MBX_WORDS)) {
        /* Words of a request already sent are frozen until the PF answers. */
        if (!(vf->mbx.vf_ctrl & NIC_VF_MBX_CTRL_REQ))
            vf->mbx.req[(off - NIC_REG_VF_MBX_REQ(0)) / 4] = val;
        else
            nic->stats.mbx_busy_ignored++;
        return;
    }
    if (off >= NIC_REG_VF_MBX_MSG(0) && off < NIC_REG_VF_MBX_MSG(NIC_MBX_WORDS))
        return; /* the PF's words: read-only to the VF */
    *known = false;
}
