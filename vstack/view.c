/* SPDX-License-Identifier: MIT */
/*
 * view.c — the world as its components report it (view.h): walks hosts, PFs, switches, VMs and
 * peers, and asks each modelled part for its own state and counters — PCIe config space for VF
 * presence, the NIC switch for VPorts / queue pairs / filters, virtual PCI for the offer,
 * NetVSC for the data path, NetVSP and VMBus for ports and channels.
 *
 * Windows / Hyper-V counterpart: Get-NetAdapterSriovVf, Get-NetAdapterVPort,
 * Get-VMNetworkAdapter and adapter statistics, taken at one instant.
 */
#include <string.h>

#include "vstack/view.h"
#include "vstack/vstack_int.h"

static void
copy_name(char *dst, const char *src)
{
    snprintf(dst, VSTACK_VIEW_NAME, "%s", src != NULL ? src : "");
}

static int
view_pf(const struct vs_pf *pf, struct vstack_view_pf *out)
{
    copy_name(out->name, pf->name);
    copy_name(out->host, pf->host->name);
    out->rid = pf->rid;
    memcpy(out->mac, pf->mac, 6);
    out->segment = pf->st.segment;
    if (pf->nic != NULL) {
        out->link_up = nic_port_is_up(pf->nic);
        struct nic_port_stats ps;
        nic_port_stats(pf->nic, &ps);
        out->wire_rx = ps.rx_frames;
        out->wire_tx = ps.tx_frames;
        struct pcie_sriov_info si;
        if (pcie_sriov_info(pf->host->fabric, pf->rid, &si) == 0) {
            out->total_vfs = si.total_vfs;
            out->num_vfs = si.vf_enable ? si.num_vfs : 0;
        }
        /* VPorts and the filters that point at them, from the NIC switch. */
        struct nic_vport_view vv;
        size_t nv = 0;
        while (nic_vport_view(pf->nic, (unsigned)nv, &vv) == 0)
            nv++;
        if (nv != 0) {
            out->vports = sim_calloc(SIM_TAG(vstack), nv, sizeof *out->vports);
            if (out->vports == NULL)
                return SIM_ENOMEM;
        }
        for (size_t i = 0; i < nv; i++) {
            struct vstack_view_vport *o = &out->vports[i];
            (void)nic_vport_view(pf->nic, (unsigned)i, &vv);
            o->id = vv.id;
            o->owner_vf = vv.owner_vf;
            o->nqps = vv.nqps;
            o->qps_enabled = vv.qps_enabled;
            o->rx_packets = vv.stats.rx_packets;
            o->tx_packets = vv.stats.tx_packets;
            o->tx_to_wire = vv.stats.tx_to_wire;
            /* Room for every live filter: the count is the NIC's, the placement the filters'. */
            unsigned nf = nic_filter_count(pf->nic);
            if (vv.nfilters != 0 && nf != 0) {
                o->filters = sim_calloc(SIM_TAG(vstack), nf, sizeof *o->filters);
                if (o->filters == NULL)
                    return SIM_ENOMEM;
            }
        }
        out->n_vports = nv;
        struct nic_filter_view fv;
        for (unsigned i = 0; nic_filter_view(pf->nic, i, &fv) == 0; i++) {
            for (size_t k = 0; k < nv; k++) {
                struct vstack_view_vport *o = &out->vports[k];
                if (o->id != fv.vport || o->filters == NULL)
                    continue;
                struct vstack_view_filter *f = &o->filters[o->n_filters++];
                f->id = fv.id;
                memcpy(f->mac, fv.mac, 6);
                f->vlan = fv.vlan;
                break;
            }
        }
    }
    out->n_vfs = pf->total_vfs;
    if (out->n_vfs != 0) {
        out->vfs = sim_calloc(SIM_TAG(vstack), out->n_vfs, sizeof *out->vfs);
        if (out->vfs == NULL)
            return SIM_ENOMEM;
    }
    for (size_t i = 0; i < out->n_vfs; i++) {
        const struct vs_vf *vf = &pf->vfs[i];
        struct vstack_view_vf *o = &out->vfs[i];
        copy_name(o->name, vf->name);
        o->index = vf->index;
        if (pf->nic != NULL) {
            enum pcie_fn_state st =
                pcie_fabric_fn_state(pf->host->fabric, nic_vf_rid(pf->nic, vf->index));
            o->enabled = st != PCIE_FN_ABSENT && st != PCIE_FN_REMOVED;
        }
        /* What the completed ALLOCATE_VF returned (and no FREE_VF completed since). */
        o->allocated = vf->allocated;
        o->vf_id = vf->vf_id;
        o->rid = vf->rid;
        /* The device's VF is the one with the RID ALLOCATE_VF returned (the PF miniport picks
         * the VF id; it need not be the slot the stack named). */
        int hw_index = vf->index;
        for (uint16_t k = 0; vf->allocated && pf->nic != NULL && k < pf->total_vfs; k++) {
            if (nic_vf_rid(pf->nic, k) == vf->rid)
                hw_index = k;
        }
        for (size_t k = 0; k < out->n_vports; k++) {
            if (out->vports[k].owner_vf == hw_index) {
                o->has_vport = true;
                o->vport_id = out->vports[k].id;
            }
        }
        if (vf->vpci != NULL) {
            o->offered = true;
            copy_name(o->vpci_state, hv_vpci_state_name(hv_vpci_dev_state(vf->vpci)));
            if (vf->vm != NULL)
                copy_name(o->vm, vf->vm->name);
        }
        if (vf->a != NULL && !vf_adapter_is_removed(vf->a)) {
            o->bound = true;
            struct vf_stats vs;
            vf_adapter_stats(vf->a, &vs);
            o->tx_posted = vs.tx_posted;
            o->rx_indicated = vs.rx_indicated;
        }
    }
    return 0;
}

static int
view_switch(const struct vstack_world *w, const struct vs_switch *sw,
            struct vstack_view_switch *out)
{
    copy_name(out->name, sw->name);
    copy_name(out->host, sw->host->name);
    copy_name(out->uplink, sw->uplink != NULL ? sw->uplink->name : "");
    out->iov = sw->iov;
    if (sw->sw != NULL) {
        struct netvsp_switch_stats st;
        netvsp_switch_stats(sw->sw, &st);
        out->to_wire = st.to_wire;
        out->from_wire = st.from_wire;
    }
    size_t n = 0;
    for (size_t i = 0; i < w->n_vms; i++)
        n += w->vms[i]->sw == sw && w->vms[i]->port != NULL;
    if (n != 0) {
        out->ports = sim_calloc(SIM_TAG(vstack), n, sizeof *out->ports);
        if (out->ports == NULL)
            return SIM_ENOMEM;
    }
    for (size_t i = 0; i < w->n_vms; i++) {
        const struct vs_vm *vm = w->vms[i];
        if (vm->sw != sw || vm->port == NULL)
            continue;
        struct vstack_view_port *p = &out->ports[out->n_ports++];
        p->number = netvsp_port_number(vm->port);
        copy_name(p->vm, vm->name);
        netvsp_port_mac(vm->port, p->mac);
        p->ready = netvsp_port_is_ready(vm->port);
        p->on_vf = netvsp_port_datapath(vm->port) == NVSP_DATAPATH_VF;
        struct hv_vmbus_channel *ch = netvsp_port_channel(vm->port);
        p->channel_open = ch != NULL && hv_vmbus_channel_is_open(ch);
        struct netvsp_port_stats ps;
        netvsp_port_stats(vm->port, &ps);
        p->from_vm = ps.rx_frames;
        p->to_vm = ps.tx_frames;
    }
    return 0;
}

static void
view_vm(const struct vs_vm *vm, struct vstack_view_vm *out)
{
    copy_name(out->name, vm->name);
    copy_name(out->host, vm->host->name);
    copy_name(out->sw, vm->sw != NULL ? vm->sw->name : "");
    memcpy(out->mac, vm->mac, 6);
    copy_name(out->state, vm->state == VS_VM_MIGRATING ? "migrating"
                          : vm->state == VS_VM_OFF     ? "off"
                                                       : "running");
    if (vm->ad != NULL) {
        enum netvsc_dp_state s = netvsc_adapter_dp_state(vm->ad);
        snprintf(out->dp_state, sizeof out->dp_state, "%s", netvsc_dp_state_name(s));
        out->on_vf = s == NETVSC_DP_ON_VF;
        struct netvsc_adapter_stats st;
        netvsc_adapter_stats(vm->ad, &st);
        out->tx_synthetic = st.tx_synthetic;
        out->tx_vf = st.tx_vf;
        out->rx_synthetic = st.rx_synthetic;
        out->rx_vf = st.rx_vf;
    } else {
        snprintf(out->dp_state, sizeof out->dp_state, "none");
    }
    if (vm->vf != NULL && vm->vf->a != NULL && !vf_adapter_is_removed(vm->vf->a))
        copy_name(out->vf, vm->vf->name);
}

int
vstack_view_create(const struct vstack_world *w, struct vstack_view **out, struct sim_diag *d)
{
    if (w == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "view: no world");
    struct vstack_view *v = sim_calloc(SIM_TAG(vstack), 1, sizeof *v);
    if (v == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "view: out of memory");
    v->now = vstack_world_now(w);
    int rc = 0;
#define VIEW_ARRAY(field, count, n)                                                                \
    do {                                                                                           \
        if ((n) != 0) {                                                                            \
            v->field = sim_calloc(SIM_TAG(vstack), (n), sizeof *v->field);                         \
            if (v->field == NULL) {                                                                \
                rc = SIM_ENOMEM;                                                                   \
                goto fail;                                                                         \
            }                                                                                      \
        }                                                                                          \
        v->count = (n);                                                                            \
    } while (0)
    VIEW_ARRAY(hosts, n_hosts, w->n_hosts);
    VIEW_ARRAY(pfs, n_pfs, w->n_pfs);
    VIEW_ARRAY(switches, n_switches, w->n_sws);
    VIEW_ARRAY(vms, n_vms, w->n_vms);
    VIEW_ARRAY(peers, n_peers, w->n_peers);
#undef VIEW_ARRAY
    for (size_t i = 0; i < w->n_hosts; i++)
        copy_name(v->hosts[i], w->hosts[i]->name);
    for (size_t i = 0; i < w->n_pfs; i++) {
        if ((rc = view_pf(w->pfs[i], &v->pfs[i])) != 0)
            goto fail;
    }
    for (size_t i = 0; i < w->n_sws; i++) {
        if ((rc = view_switch(w, w->sws[i], &v->switches[i])) != 0)
            goto fail;
    }
    for (size_t i = 0; i < w->n_vms; i++)
        view_vm(w->vms[i], &v->vms[i]);
    for (size_t i = 0; i < w->n_peers; i++) {
        copy_name(v->peers[i].name, w->peers[i]->name);
        memcpy(v->peers[i].mac, w->peers[i]->mac, 6);
        v->peers[i].segment = w->peers[i]->st.segment;
    }
    *out = v;
    return 0;
fail:
    vstack_view_destroy(v);
    return sim_diag_fail(d, rc, "view: out of memory");
}

void
vstack_world_set_capture_comment(struct vstack_world *w, const char *text)
{
    if (w != NULL)
        snprintf(w->capture_comment, sizeof w->capture_comment, "%s", text != NULL ? text : "");
}

void
vstack_view_destroy(struct vstack_view *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n_pfs; i++) {
        for (size_t k = 0; k < v->pfs[i].n_vports; k++)
            sim_free(v->pfs[i].vports[k].filters);
        sim_free(v->pfs[i].vports);
        sim_free(v->pfs[i].vfs);
    }
    for (size_t i = 0; i < v->n_switches; i++)
        sim_free(v->switches[i].ports);
    sim_free(v->hosts);
    sim_free(v->pfs);
    sim_free(v->switches);
    sim_free(v->vms);
    sim_free(v->peers);
    sim_free(v);
}
