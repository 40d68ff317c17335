/* SPDX-License-Identifier: MIT */
/*
 * view.c — read-only views of the NIC switch (VPorts, queue pairs, filters) for inspectors:
 * what a register dump of the device would show, used by `sriovsim draw`. Drivers never use
 * it (they program and read the device through MMIO); it models no Windows component.
 */
#include <string.h>

#include "nic_int.h"

int
nic_vport_view(const struct nic *nic, unsigned i, struct nic_vport_view *out)
{
    unsigned seen = 0;
    for (unsigned v = 0; v < nic->max_vports; v++) {
        const struct nic_vport *vp = &nic->vports[v];
        if (!vp->in_use)
            continue;
        if (seen++ != i)
            continue;
        memset(out, 0, sizeof *out);
        out->id = vp->id;
        out->owner_vf = vp->fn != NULL ? vp->fn->vf_index : -1;
        out->nqps = vp->nqps;
        for (unsigned q = vp->first_qp; vp->fn != NULL && q < (unsigned)vp->first_qp + vp->nqps;
             q++) {
            if (q < vp->fn->nqps && (vp->fn->qps[q].ctrl & NIC_QP_CTRL_ENABLE) != 0)
                out->qps_enabled++;
        }
        memcpy(out->mac, vp->mac, 6);
        out->nfilters = vp->nfilters;
        out->stats = vp->stats;
        return 0;
    }
    return SIM_ENOENT;
}

int
nic_filter_view(const struct nic *nic, unsigned i, struct nic_filter_view *out)
{
    if (i >= nic->nfilters)
        return SIM_ENOENT;
    const struct nic_filter *f = &nic->filters[nic->filter_order[i]];
    memset(out, 0, sizeof *out);
    out->id = f->id;
    out->vport = nic_filter_vport(nic, f->id);
    memcpy(out->mac, f->mac, 6);
    out->vlan = f->vlan;
    return 0;
}
