/* SPDX-License-Identifier: MIT */
/*
 * filter.c — the receive filter table of the NIC switch: set, clear, atomic move, and the
 * per-frame match (MAC and VLAN tests ANDed inside one filter; first matching filter wins).
 *
 * Windows counterpart: the hardware behind OID_RECEIVE_FILTER_SET_FILTER / CLEAR_FILTER /
 * MOVE_FILTER with NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_DEST_ADDR, _VLAN_ID and the
 * VLAN_UNTAGGED_OR_ZERO flag (ndis_sriov.md 11.1).
 *
 * Lookup is a scan of the live filters in the order they were set: allocation-free, O(filters)
 * with at most NIC_MAX_FILTERS (256) entries — the size of a real NIC's MAC/VLAN table. When
 * two VPorts' filters match the same frame the one set first wins (NDIS never sets the same
 * MAC/VLAN pair on two VPorts; MOVE_FILTER keeps a filter's place in the order).
 */
#include <string.h>

#include "nic/nic_int.h"

bool
nic__filter_matches(const struct nic_filter *flt, const struct nic_frame *f)
{
    if ((flt->flags & NIC_FILTER_F_MAC) && memcmp(flt->mac, f->data, 6) != 0)
        return false;
    if ((flt->flags & NIC_FILTER_F_VLAN) && (!f->tagged || f->vid != flt->vlan))
        return false;
    if ((flt->flags & NIC_FILTER_F_UNTAGGED_OR_ZERO) && f->tagged && f->vid != 0)
        return false;
    return true;
}

const struct nic_filter *
nic__filter_lookup(struct nic *nic, const struct nic_frame *f, uint16_t *vport_out)
{
    for (unsigned i = 0; i < nic->nfilters; i++) {
        const struct nic_filter *flt = &nic->filters[nic->filter_order[i]];
        if (!nic__filter_matches(flt, f))
            continue;
        /* Acquire; partner: the release store in nic__filter_move / set. One load: the frame
         * goes to the old VPort or the new one, never to neither. */
        *vport_out = atomic_load_explicit(&flt->vport, memory_order_acquire);
        return flt;
    }
    *vport_out = NIC_VPORT_NONE;
    return NULL;
}

/* NIC_CMD_FILTER_SET (OID_RECEIVE_FILTER_SET_FILTER). */
int
nic__filter_set(struct nic *nic, const uint32_t *p)
{
    uint32_t id = p[0], flags = p[5];
    struct nic_vport *vp;

    if (id == 0 || id > nic->max_filters)
        return NIC_ERR_RANGE;
    if ((flags & ~NIC_FILTER_F_ALL) || flags == 0 || flags == NIC_FILTER_F_UNTAGGED_OR_ZERO ||
        ((flags & NIC_FILTER_F_VLAN) && (flags & NIC_FILTER_F_UNTAGGED_OR_ZERO)) || p[3] > 0xffffu)
        return NIC_ERR_BAD_PARAM;
    if ((flags & NIC_FILTER_F_VLAN) && p[4] > NIC_VLAN_ID_MAX)
        return NIC_ERR_RANGE;
    vp = nic__vport_get(nic, p[1]);
    if (vp == NULL)
        return NIC_ERR_NOT_FOUND;
    struct nic_filter *flt = &nic->filters[id];
    if (flt->in_use)
        return NIC_ERR_EXISTS;
    if (nic->nfilters >= nic->max_filters)
        return NIC_ERR_NO_SPACE;
    flt->id = (uint16_t)id;
    flt->flags = flags;
    nic_mac_from_words(p[2], p[3], flt->mac);
    if ((flags & NIC_FILTER_F_MAC) && (flt->mac[0] & 1)) {
        memset(flt->mac, 0, 6);
        return NIC_ERR_BAD_PARAM; /* receive filters are unicast: multicast goes to default */
    }
    flt->vlan = (flags & NIC_FILTER_F_VLAN) ? (uint16_t)p[4] : 0;
    flt->in_use = true;
    /* Release; partner: the acquire in nic__filter_lookup. Fields above first. */
    atomic_store_explicit(&flt->vport, vp->id, memory_order_release);
    nic->filter_order[nic->nfilters++] = (uint16_t)id;
    vp->nfilters++;
    return NIC_ERR_OK;
}

/* NIC_CMD_FILTER_CLEAR (OID_RECEIVE_FILTER_CLEAR_FILTER). */
int
nic__filter_clear(struct nic *nic, uint32_t id)
{
    if (id == 0 || id > nic->max_filters || !nic->filters[id].in_use)
        return NIC_ERR_NOT_FOUND;
    struct nic_filter *flt = &nic->filters[id];
    struct nic_vport *vp =
        nic__vport_get(nic, atomic_load_explicit(&flt->vport, memory_order_relaxed));
    if (vp != NULL)
        vp->nfilters--;
    for (unsigned i = 0; i < nic->nfilters; i++) {
        if (nic->filter_order[i] == id) {
            memmove(&nic->filter_order[i], &nic->filter_order[i + 1],
                    (nic->nfilters - i - 1) * sizeof(nic->filter_order[0]));
            nic->nfilters--;
            break;
        }
    }
    flt->in_use = false;
    atomic_store_explicit(&flt->vport, NIC_VPORT_NONE, memory_order_release);
    return NIC_ERR_OK;
}

/* NIC_CMD_FILTER_MOVE (OID_RECEIVE_FILTER_MOVE_FILTER): one atomic re-point. */
int
nic__filter_move(struct nic *nic, uint32_t id, uint32_t vport)
{
    if (id == 0 || id > nic->max_filters || !nic->filters[id].in_use)
        return NIC_ERR_NOT_FOUND;
    struct nic_vport *to = nic__vport_get(nic, vport);
    if (to == NULL)
        return NIC_ERR_NOT_FOUND;
    struct nic_filter *flt = &nic->filters[id];
    struct nic_vport *from =
        nic__vport_get(nic, atomic_load_explicit(&flt->vport, memory_order_relaxed));
    if (from == to)
        return NIC_ERR_OK;
    /* Release; partner: the acquire in nic__filter_lookup. The single store is the move. */
    atomic_store_explicit(&flt->vport, to->id, memory_order_release);
    if (from != NULL)
        from->nfilters--;
    to->nfilters++;
    return NIC_ERR_OK;
}

unsigned
nic_filter_count(const struct nic *nic)
{
    return nic->nfilters;
}

uint16_t
nic_filter_vport(const struct nic *nic, uint16_t filter_id)
{
    if (filter_id == 0 || filter_id > nic->max_filters || !nic->filters[filter_id].in_use)
        return NIC_VPORT_NONE;
    return atomic_load_explicit(&nic->filters[filter_id].vport, memory_order_acquire);
}
