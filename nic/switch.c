/* SPDX-License-Identifier: MIT */
/*
 * switch.c — the embedded NIC switch: classifies frames arriving from the physical port and
 * frames sent by a VPort, and forwards them to a VPort's RX ring, to the wire, or both.
 *
 * Windows counterpart: the NIC switch of the NDIS SR-IOV model (ndis_sriov.md 11): "the NIC
 * switch filters packets arriving from the physical port or from another VPort; if the
 * destination MAC and VLAN match any filter on a VPort, the packet goes to that VPort".
 *
 * Rules (documented in README.md):
 *   from the wire:   unicast matching a filter -> that VPort; unmatched -> default VPort;
 *                    broadcast / multicast -> default VPort (Hyper-V delivers them on the
 *                    synthetic path, which the host vSwitch floods to the VMs).
 *   from a VPort:    unicast matching another VPort's filter -> that VPort, switched inside
 *                    the adapter without touching the wire; otherwise -> the wire;
 *                    broadcast / multicast -> the wire and, when sent by a non-default
 *                    VPort, the default VPort too (so the host's vSwitch sees it).
 * Per frame nothing is allocated: the frame sits in the device's scratch buffer.
 */
#include <string.h>

#include "nic/nic_int.h"

void
nic__frame_parse(struct nic_frame *f, const uint8_t *data, uint32_t len, uint64_t id)
{
    f->data = data;
    f->len = len;
    f->packet_id = id;
    f->tagged = false;
    f->tci = f->vid = 0;
    f->bcast = len >= 6 && (data[0] & 1) != 0;
    if (len >= 18 && ((uint16_t)data[12] << 8 | data[13]) == NIC_ETH_P_8021Q) {
        f->tagged = true;
        f->tci = (uint16_t)((uint16_t)data[14] << 8 | data[15]);
        f->vid = f->tci & 0x0fff;
    }
}

/* Should the tag be stripped into the RX header? Only for a MAC-only filter without
 * UNTAGGED_OR_ZERO (11.1: "filter on MAC only, strip any VLAN tag ... into the 802.1Q OOB"). */
static bool
nic_strip(const struct nic_filter *flt, const struct nic_frame *f)
{
    return f->tagged && flt != NULL && flt->flags == NIC_FILTER_F_MAC;
}

void
nic__switch_from_wire(struct nic *nic, const struct nic_frame *f)
{
    const struct nic_filter *flt = NULL;
    uint16_t to = NIC_VPORT_NONE;

    if (!f->bcast)
        flt = nic__filter_lookup(nic, f, &to);
    struct nic_vport *vp = nic__vport_get(nic, to != NIC_VPORT_NONE ? to : NIC_DEFAULT_VPORT);
    if (vp == NULL) {
        /* Only reachable if the filter pointed at a VPort being torn down. */
        nic__drop(nic, NULL, SIM_DROP_NO_FILTER_MATCH, nic->where_port_rx, f->packet_id, f->data,
                  f->len);
        nic->port_stats.drops[SIM_DROP_NO_FILTER_MATCH]++;
        return;
    }
    nic__qp_deliver(nic, vp, f, NULL, nic_strip(flt, f));
}

int
nic__switch_from_vport(struct nic *nic, struct nic_vport *src, const struct nic_frame *f)
{
    if (f->bcast) {
        int rc = nic__port_tx(nic, f);
        if (src->id != NIC_DEFAULT_VPORT) {
            struct nic_vport *def = nic__vport_get(nic, NIC_DEFAULT_VPORT);
            if (def != NULL)
                nic__qp_deliver(nic, def, f, src, false);
        }
        if (rc == 0)
            nic__vport_count_tx(src, f, true);
        return rc;
    }
    uint16_t to;
    const struct nic_filter *flt = nic__filter_lookup(nic, f, &to);
    struct nic_vport *dst = flt != NULL ? nic__vport_get(nic, to) : NULL;
    if (dst != NULL && dst != src) {
        /* VPort-to-VPort: switched inside the adapter, the wire never sees it. */
        nic__vport_count_tx(src, f, false);
        nic__qp_deliver(nic, dst, f, src, nic_strip(flt, f));
        return 0;
    }
    int rc = nic__port_tx(nic, f);
    if (rc == 0)
        nic__vport_count_tx(src, f, true);
    return rc;
}
