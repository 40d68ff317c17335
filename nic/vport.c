/* SPDX-License-Identifier: MIT */
/*
 * vport.c — the NIC switch object and its VPorts: creation of the switch with the default
 * VPort 0 on the PF, VPorts attached to the PF or to one VF, their queue pairs, state and
 * policy (activated, trusted, anti-spoof, MAC, port VLAN).
 *
 * Windows counterpart: what OID_NIC_SWITCH_CREATE_SWITCH / DELETE_SWITCH, CREATE_VPORT /
 * DELETE_VPORT and OID_NIC_SWITCH_VPORT_PARAMETERS program in the hardware (ndis_sriov.md 6.2,
 * 7.2, 7.3). VPort ids are chosen by NDIS and passed in.
 */
#include <string.h>

#include "nic/nic_int.h"

struct nic_vport *
nic__vport_get(struct nic *nic, uint32_t id)
{
    if (id >= nic->max_vports || !nic->vports[id].in_use)
        return NULL;
    return &nic->vports[id];
}

/* Point the VPort's QPs at it (assign) or release them. */
void
nic__vport_assign_qps(struct nic *nic, struct nic_vport *vp, bool assign)
{
    (void)nic;
    for (unsigned q = vp->first_qp; q < (unsigned)vp->first_qp + vp->nqps; q++)
        vp->fn->qps[q].vport = assign ? vp->id : NIC_VPORT_NONE;
}

static void
nic_vport_names(struct nic *nic, struct nic_vport *vp)
{
    snprintf(vp->where_rx, sizeof(vp->where_rx), "%s.vport%u rx", nic->name, vp->id);
    snprintf(vp->where_tx, sizeof(vp->where_tx), "%s.vport%u tx", nic->name, vp->id);
}

/* (Re)build the default VPort 0 on PF QPs 0..nqps-1. It is the PF's own port: activated,
 * trusted (the host stack sends for every VM on the synthetic path). Counters survive. */
void
nic__vport_init_default(struct nic *nic, uint16_t nqps)
{
    struct nic_vport *vp = &nic->vports[NIC_DEFAULT_VPORT];
    if (vp->in_use)
        nic__vport_assign_qps(nic, vp, false);
    vp->in_use = true;
    vp->id = NIC_DEFAULT_VPORT;
    vp->fn = &nic->pf;
    vp->first_qp = 0;
    vp->nqps = nqps;
    vp->flags = NIC_VPORT_F_ACTIVATED | NIC_VPORT_F_TRUSTED;
    memcpy(vp->mac, nic->pf.mac, 6);
    vp->port_vlan = 0;
    nic_vport_names(nic, vp);
    nic__vport_assign_qps(nic, vp, true);
}

/* Power-on state: no switch, no filters, VPort 0 on PF QP 0 takes every frame. */
void
nic__switch_reset(struct nic *nic)
{
    for (unsigned i = 0; i < nic->max_vports; i++) {
        if (nic->vports[i].in_use)
            nic__vport_assign_qps(nic, &nic->vports[i], false);
        memset(&nic->vports[i], 0, sizeof(nic->vports[i]));
    }
    for (unsigned i = 0; i <= nic->max_filters; i++) {
        nic->filters[i].in_use = false;
        atomic_store_explicit(&nic->filters[i].vport, NIC_VPORT_NONE, memory_order_release);
    }
    nic->nfilters = 0;
    nic->pf.vport = NIC_VPORT_NONE;
    for (unsigned i = 0; i < nic->total_vfs; i++)
        nic->vfs[i].vport = NIC_VPORT_NONE;
    nic->switch_on = false;
    nic->sw_num_vfs = 0;
    nic->sw_num_vports = 1;
    nic->sw_default_qps = 1;
    nic__vport_init_default(nic, 1);
}

/* NIC_CMD_SWITCH_CREATE (OID_NIC_SWITCH_CREATE_SWITCH). */
int
nic__switch_create(struct nic *nic, const uint32_t *p)
{
    if (nic->switch_on)
        return NIC_ERR_STATE;
    if (p[3] != 0)
        return NIC_ERR_BAD_PARAM;
    if (p[0] > nic->total_vfs || p[1] < p[0] + 1 || p[1] > nic->max_vports || p[2] < 1 ||
        p[2] > NIC_PF_MAX_QPS)
        return NIC_ERR_RANGE;
    nic->switch_on = true;
    nic->sw_num_vfs = (uint16_t)p[0];
    nic->sw_num_vports = (uint16_t)p[1];
    nic->sw_default_qps = (uint16_t)p[2];
    nic__vport_init_default(nic, (uint16_t)p[2]);
    SIM_DEBUG(nic, "%s: switch created: %u VFs, %u VPorts, default VPort %u QPs", nic->name, p[0],
              p[1], p[2]);
    return NIC_ERR_OK;
}

/* NIC_CMD_SWITCH_DELETE (OID_NIC_SWITCH_DELETE_SWITCH): only an empty switch goes. */
int
nic__switch_delete(struct nic *nic)
{
    if (!nic->switch_on)
        return NIC_ERR_STATE;
    if (nic->nfilters > 0)
        return NIC_ERR_BUSY;
    for (unsigned i = 1; i < nic->max_vports; i++)
        if (nic->vports[i].in_use)
            return NIC_ERR_BUSY;
    nic->switch_on = false;
    nic->sw_num_vfs = 0;
    nic->sw_num_vports = 1;
    nic->sw_default_qps = 1;
    nic__vport_init_default(nic, 1);
    return NIC_ERR_OK;
}

static int
nic_vport_check_flags(uint32_t flags)
{
    return (flags & ~NIC_VPORT_F_ALL) ? NIC_ERR_BAD_PARAM : NIC_ERR_OK;
}

/* NIC_CMD_VPORT_CREATE (OID_NIC_SWITCH_CREATE_VPORT). */
int
nic__vport_create(struct nic *nic, const uint32_t *p)
{
    uint32_t id = p[0], func = p[1], nqps = p[2], first = p[3], flags = p[4];
    struct nic_fn *fn;

    if (!nic->switch_on)
        return NIC_ERR_STATE;
    if (id == NIC_DEFAULT_VPORT || id >= nic->sw_num_vports)
        return NIC_ERR_RANGE;
    if (nic->vports[id].in_use)
        return NIC_ERR_EXISTS;
    if (nic_vport_check_flags(flags) != NIC_ERR_OK || p[6] > 0xffffu)
        return NIC_ERR_BAD_PARAM;
    if (p[7] > NIC_VLAN_ID_MAX)
        return NIC_ERR_RANGE;
    if (func == NIC_FN_PF) {
        fn = &nic->pf;
    } else {
        if (func >= nic->sw_num_vfs)
            return NIC_ERR_NOT_FOUND;
        fn = &nic->vfs[func];
        if (fn->vport != NIC_VPORT_NONE)
            return NIC_ERR_EXISTS; /* one non-default VPort per VF */
        flags |= NIC_VPORT_F_ACTIVATED;
    }
    if (nqps < 1 || first >= fn->nqps || nqps > fn->nqps - first)
        return NIC_ERR_RANGE;
    for (unsigned q = first; q < first + nqps; q++)
        if (fn->qps[q].vport != NIC_VPORT_NONE)
            return NIC_ERR_NO_SPACE;

    struct nic_vport *vp = &nic->vports[id];
    memset(vp, 0, sizeof(*vp));
    vp->in_use = true;
    vp->id = (uint16_t)id;
    vp->fn = fn;
    vp->first_qp = (uint16_t)first;
    vp->nqps = (uint16_t)nqps;
    vp->flags = flags;
    nic_mac_from_words(p[5], p[6], vp->mac);
    vp->port_vlan = (uint16_t)p[7];
    nic_vport_names(nic, vp);
    nic__vport_assign_qps(nic, vp, true);
    if (fn->vf_index >= 0)
        fn->vport = vp->id;
    SIM_DEBUG(nic, "%s: VPort %u created on %s%d, QPs %u..%u", nic->name, id,
              fn->vf_index < 0 ? "PF" : "VF", fn->vf_index, first, first + nqps - 1);
    return NIC_ERR_OK;
}

/* NIC_CMD_VPORT_DELETE (OID_NIC_SWITCH_DELETE_VPORT): refused while filters remain. */
int
nic__vport_delete(struct nic *nic, uint32_t id)
{
    if (id == NIC_DEFAULT_VPORT)
        return NIC_ERR_PERM;
    struct nic_vport *vp = nic__vport_get(nic, id);
    if (vp == NULL)
        return NIC_ERR_NOT_FOUND;
    if (vp->nfilters > 0)
        return NIC_ERR_BUSY;
    nic__vport_assign_qps(nic, vp, false);
    if (vp->fn->vf_index >= 0)
        vp->fn->vport = NIC_VPORT_NONE;
    memset(vp, 0, sizeof(*vp));
    return NIC_ERR_OK;
}

/* NIC_CMD_VPORT_SET (OID_NIC_SWITCH_VPORT_PARAMETERS, set). */
int
nic__vport_set(struct nic *nic, const uint32_t *p)
{
    struct nic_vport *vp = nic__vport_get(nic, p[0]);
    uint32_t mask = p[1];
    if (vp == NULL)
        return NIC_ERR_NOT_FOUND;
    if (mask & ~(NIC_VPORT_SET_FLAGS | NIC_VPORT_SET_MAC | NIC_VPORT_SET_VLAN))
        return NIC_ERR_BAD_PARAM;
    if ((mask & NIC_VPORT_SET_FLAGS) && nic_vport_check_flags(p[2]) != NIC_ERR_OK)
        return NIC_ERR_BAD_PARAM;
    if ((mask & NIC_VPORT_SET_MAC) && p[4] > 0xffffu)
        return NIC_ERR_BAD_PARAM;
    if ((mask & NIC_VPORT_SET_VLAN) && p[5] > NIC_VLAN_ID_MAX)
        return NIC_ERR_RANGE;
    if (mask & NIC_VPORT_SET_FLAGS)
        vp->flags = p[2];
    if (mask & NIC_VPORT_SET_MAC)
        nic_mac_from_words(p[3], p[4], vp->mac);
    if (mask & NIC_VPORT_SET_VLAN)
        vp->port_vlan = (uint16_t)p[5];
    return NIC_ERR_OK;
}

/* NIC_CMD_VPORT_QUERY. */
int
nic__vport_query(struct nic *nic, uint32_t id, uint32_t *r)
{
    struct nic_vport *vp = nic__vport_get(nic, id);
    if (vp == NULL)
        return NIC_ERR_NOT_FOUND;
    r[0] = vp->fn->vf_index < 0 ? NIC_FN_PF : (uint32_t)vp->fn->vf_index;
    r[1] = vp->nqps;
    r[2] = vp->first_qp;
    r[3] = vp->flags;
    nic_mac_to_words(vp->mac, &r[4], &r[5]);
    r[6] = vp->port_vlan;
    r[7] = vp->nfilters;
    return NIC_ERR_OK;
}

unsigned
nic_vport_count(const struct nic *nic)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nic->max_vports; i++)
        n += nic->vports[i].in_use;
    return n;
}
