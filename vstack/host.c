/* SPDX-License-Identifier: MIT */
/*
 * host.c — a Hyper-V host: its root partition and PCIe fabric, its SR-IOV NICs (the NIC device
 * on the fabric with its PF miniport under ndis_shim, NIC switch created by
 * OID_NIC_SWITCH_CREATE_SWITCH when SR-IOV is enabled), the extensible switch (NetVSP) whose
 * external port sits on the PF, the VM adapters' MAC filters on the default VPort, and the
 * host's view of the wire. Also: raw OIDs for learners, OID/PCI queries, and the host-side
 * faults (link, IOMMU, OID, FLR, mailbox).
 *
 * Windows / Hyper-V counterpart: the parent partition's NDIS stack under vmswitch: NDIS issuing
 * CREATE_SWITCH from the registry's default switch configuration (ndis_sriov.md 7.2 step 1),
 * the virtualization stack programming the default VPort with each VM adapter's MAC filter
 * (7.2 step 2), and vmswitch's external port on the PF.
 */
#include <inttypes.h>
#include <string.h>

#include "vstack/vstack_int.h"

void
vs__objhdr(struct ndis_object_header *h, uint8_t rev, size_t size)
{
    ndis_objhdr_init(h, NDIS_OBJECT_TYPE_DEFAULT, rev, (uint16_t)size);
}

/* ---- OIDs issued by the stack -------------------------------------------------------------- */
static void
req_cb(struct ndis_oid_request *req, ndis_status_t status)
{
    struct vs_req *r = req->data;
    r->pf->reqs_outstanding--;
    if (!r->cancelled && ndis_status_is_error(status)) {
        struct vstack_world *w = r->pf->host->w;
        struct vstack_event *ev = vs__event(w, VSTACK_EV_OID_FAILED, r->pf->name);
        vs__event_str(ev, "oid", ndis_oid_name(req->oid));
        char b[16];
        vs__event_str(ev, "status", ndis_status_str(status, b, sizeof b));
        if (req->rule != NULL && req->rule[0] != '\0')
            SIM_INFO(vstack, "%s: %s failed: %s", r->pf->name, ndis_oid_name(req->oid), req->rule);
    }
    if (!r->cancelled && r->done != NULL)
        r->done(r, status);
    sim_free(r);
}

int
vs__oid_submit(struct vs_pf *pf, enum ndis_request_type type, ndis_oid_t oid, const void *buf,
               uint32_t len, uint32_t out_len, vs_req_done done, void *ctx, struct vs_req **out,
               struct sim_diag *d)
{
    if (len > VS_REQ_BUF || out_len > VS_REQ_BUF)
        return sim_diag_fail(d, SIM_EINVAL, "%s: %s buffer too large", pf->name,
                             ndis_oid_name(oid));
    struct vs_req *r = sim_calloc(SIM_TAG(vstack), 1, sizeof *r);
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "%s: %s: out of memory", pf->name, ndis_oid_name(oid));
    if (buf != NULL && len > 0)
        memcpy(r->buf, buf, len);
    r->pf = pf;
    r->done = done;
    r->ctx = ctx;
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&r->req, "vstack", oid, r->buf, len,
                                     out_len > len ? out_len : len);
    else
        ndis_oid_request_init(&r->req, "vstack", type, oid, r->buf, len);
    r->req.data = r;
    int rc = ndis_oid_request_submit(pf->mp, &r->req, req_cb, d);
    if (rc != 0) {
        sim_free(r);
        return rc;
    }
    pf->reqs_outstanding++;
    if (out != NULL)
        *out = r;
    return 0;
}

struct sync_state {
    bool done;
    ndis_status_t status;
};

static void
sync_done(struct vs_req *r, ndis_status_t status)
{
    struct sync_state *s = r->ctx;
    s->done = true;
    s->status = status;
    memcpy(r->req.information_buffer, r->buf, 0); /* buffer stays in r; copied below */
}

/* A synchronous request copies the answer back into the caller's buffer from the completion. */
struct sync_req_ctx {
    struct sync_state st;
    void *buf;
    uint32_t len;
};

static void
sync_done_copy(struct vs_req *r, ndis_status_t status)
{
    struct sync_req_ctx *c = r->ctx;
    c->st.done = true;
    c->st.status = status;
    if (c->buf != NULL && c->len > 0)
        memcpy(c->buf, r->buf, c->len);
}

ndis_status_t
vs__oid_sync(struct vs_pf *pf, enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t len,
             uint32_t out_len)
{
    (void)sync_done;
    struct sync_req_ctx c = {.buf = buf, .len = out_len > len ? out_len : len};
    if (vs__oid_submit(pf, type, oid, buf, len, out_len, sync_done_copy, &c, NULL, NULL) != 0)
        return NDIS_STATUS_FAILURE;
    struct sim_sched *s = pf->host->w->sched;
    for (long i = 0; i < 10000000 && !c.st.done; i++)
        if (sim_sched_step(s) == 0)
            break;
    return c.st.done ? c.st.status : NDIS_STATUS_FAILURE;
}

/* Run the clock until every request of the PF completed (teardown). */
void
vs__pf_drain(struct vs_pf *pf)
{
    struct sim_sched *s = pf->host->w->sched;
    for (long i = 0; i < 10000000 && pf->reqs_outstanding > 0; i++)
        if (sim_sched_step(s) == 0)
            break;
}

void
vs__fill_filter(struct vs_filter_req *r, uint32_t vport_id, const uint8_t mac[6])
{
    memset(r, 0, sizeof *r);
    vs__objhdr(&r->p.header, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
               NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
    r->p.filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE;
    r->p.queue_id = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    r->p.filter_id = NDIS_DEFAULT_RECEIVE_FILTER_ID;
    r->p.vport_id = vport_id;
    r->p.field_parameters_array_offset = (uint32_t)offsetof(struct vs_filter_req, f);
    r->p.field_parameters_array_element_size = (uint32_t)sizeof r->f[0];
    r->p.field_parameters_array_num_elements = 1;
    vs__objhdr(&r->f[0].header, 1, sizeof r->f[0]);
    r->f[0].frame_header = PF_FRAME_HEADER_MAC;
    r->f[0].receive_filter_test = PF_RECEIVE_FILTER_TEST_EQUAL;
    r->f[0].mac_header_field = PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS;
    memcpy(r->f[0].field_value.byte_array, mac, 6);
    r->f[0].flags = PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
}

/* ---- the VM adapter's MAC filter on the default VPort (7.2 step 2) ------------------------ */
static void
filter_set_done(struct vs_req *r, ndis_status_t st)
{
    struct vs_vm *vm = r->ctx;
    if (st != NDIS_STATUS_SUCCESS)
        return;
    const struct vs_filter_req *f = (const void *)r->buf;
    vm->filter_id = (uint16_t)f->p.filter_id;
    vm->has_filter = true;
    vm->filter_pf = r->pf;
}

/* ---- VMQ: the VM's own PF VPort (ndis_sriov.md 10 / 11.2) --------------------------------- */
uint32_t
vs__vm_home_vport(const struct vs_vm *vm)
{
    return vm != NULL && vm->has_vmq_vport ? vm->vmq_vport : NDIS_DEFAULT_VPORT_ID;
}

static int
filter_submit(struct vs_vm *vm, struct vs_pf *pf, uint32_t vport_id, struct sim_diag *d)
{
    struct vs_filter_req fr;
    vs__fill_filter(&fr, vport_id, vm->mac);
    return vs__oid_submit(pf, NDIS_REQUEST_METHOD, OID_RECEIVE_FILTER_SET_FILTER, &fr,
                          (uint32_t)sizeof fr, (uint32_t)sizeof fr, filter_set_done, vm, NULL, d);
}

/* CREATE_VPORT (attached to the PF) completed: NetVSP maps the VPort id to the VM's port, and
 * the VM's filter goes on it — unless a VF attach already placed it (its MOVE_BACK comes here). */
static void
vmq_vport_done(struct vs_req *r, ndis_status_t st)
{
    struct vs_vm *vm = r->ctx;
    vm->vmq_pending = false;
    if (st != NDIS_STATUS_SUCCESS) {
        SIM_ERROR(vstack, "vm %s: VMQ CREATE_VPORT on %s failed (0x%08x): default VPort", vm->name,
                  r->pf->name, (unsigned)st);
        if (!vm->has_filter && vm->vf == NULL)
            (void)filter_submit(vm, r->pf, NDIS_DEFAULT_VPORT_ID, NULL);
        return;
    }
    const struct ndis_nic_switch_vport_parameters *p = (const void *)r->buf;
    vm->has_vmq_vport = true;
    vm->vmq_vport = p->vport_id;
    vm->vmq_pf = r->pf;
    if (vm->port != NULL)
        (void)netvsp_port_set_vmq(vm->port, vm->vmq_vport);
    if (!vm->has_filter && vm->vf == NULL)
        (void)filter_submit(vm, r->pf, vm->vmq_vport, NULL);
}

int
vs__vm_vmq_release(struct vs_vm *vm)
{
    if (!vm->has_vmq_vport)
        return 0;
    struct ndis_nic_switch_delete_vport_parameters p;
    memset(&p, 0, sizeof p);
    vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
    p.vport_id = vm->vmq_vport;
    vm->has_vmq_vport = false;
    if (vm->port != NULL)
        (void)netvsp_port_set_vmq(vm->port, 0);
    return vs__oid_submit(vm->vmq_pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p,
                          (uint32_t)sizeof p, 0, NULL, NULL, NULL, NULL);
}

int
vs__vm_filter_set(struct vs_vm *vm, struct sim_diag *d)
{
    struct vs_pf *pf = vm->sw ? vm->sw->uplink : NULL;
    if (pf == NULL || !pf->nic_switch || vm->has_filter)
        return 0;
    if (vm->vmq && vm->has_vmq_vport && vm->vmq_pf != pf)
        (void)vs__vm_vmq_release(vm); /* left over from another PF */
    if (vm->vmq && !vm->has_vmq_vport) {
        if (vm->vmq_pending)
            return 0;
        struct ndis_nic_switch_vport_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
        p.switch_id = NDIS_DEFAULT_SWITCH_ID;
        p.vport_id = NDIS_DEFAULT_VPORT_ID;
        p.attached_function_id = NDIS_PF_FUNCTION_ID;
        p.num_queue_pairs = 1;
        p.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
        int rc =
            vs__oid_submit(pf, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_VPORT, &p,
                           (uint32_t)sizeof p, (uint32_t)sizeof p, vmq_vport_done, vm, NULL, d);
        if (rc == 0)
            vm->vmq_pending = true;
        return rc;
    }
    if (vm->vmq && vm->port != NULL)
        (void)netvsp_port_set_vmq(vm->port, vm->vmq_vport);
    return filter_submit(vm, pf, vs__vm_home_vport(vm), d);
}

int
vs__vm_filter_clear(struct vs_vm *vm)
{
    if (!vm->has_filter)
        return 0;
    struct ndis_receive_filter_clear_parameters p;
    memset(&p, 0, sizeof p);
    vs__objhdr(&p.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
    p.filter_id = vm->filter_id;
    vm->has_filter = false;
    return vs__oid_submit(vm->filter_pf, NDIS_REQUEST_SET_INFORMATION,
                          OID_RECEIVE_FILTER_CLEAR_FILTER, &p, (uint32_t)sizeof p, 0, NULL, NULL,
                          NULL, NULL);
}

/* ---- hosts -------------------------------------------------------------------------------- */
/* The name of the function with RID rid on host h ("h1.pf0", "h1.pf0.vf3"), or NULL. */
static const char *
fn_name(const struct vs_host *h, uint16_t rid, struct vs_vf **vf_out)
{
    struct vstack_world *w = h->w;
    *vf_out = NULL;
    for (size_t i = 0; i < w->n_pfs; i++) {
        struct vs_pf *pf = w->pfs[i];
        if (pf->host != h || pf->nic == NULL)
            continue;
        if (pf->rid == rid)
            return pf->name;
        for (uint16_t k = 0; k < pf->total_vfs; k++)
            if (nic_vf_rid(pf->nic, k) == rid) {
                *vf_out = &pf->vfs[k];
                return pf->vfs[k].name;
            }
    }
    return NULL;
}

/* Events the fabric reports (the IOMMU's fault record, a function removed, an FLR finished):
 * logged here with what the fabric saw, whoever caused them (a driver, an injected fault, a
 * raw OID). */
static void
fabric_event(void *ctx, const struct pcie_event *pe)
{
    struct vs_host *h = ctx;
    struct vstack_world *w = h->w;
    if (w->destroying)
        return; /* PFs already torn down are freed: nothing left to name, nobody to tell */
    struct vs_vf *vf = NULL;
    const char *name = fn_name(h, pe->rid, &vf);
    char rid[PCIE_RID_STRLEN];
    if (name == NULL)
        name = pcie_rid_format(pe->rid, rid, sizeof rid);
    switch (pe->type) {
    case PCIE_EV_IOMMU_FAULT: {
        if (pe->fault == NULL)
            return;
        struct vstack_event *ev = vs__event(w, VSTACK_EV_IOMMU_FAULT, name);
        vs__event_num(ev, "addr", (int64_t)pe->fault->iova);
        vs__event_str(ev, "dir", pe->fault->dir == PCIE_DMA_WRITE ? "write" : "read");
        vs__event_num(ev, "len", (int64_t)pe->fault->len);
        vs__event_str(ev, "reason", pcie_fault_reason_name(pe->fault->reason));
        vs__event_str(ev, "result", "blocked");
        return;
    }
    case PCIE_EV_FN_REMOVED: {
        if (!pe->surprise)
            return;
        struct vstack_event *ev = vs__event(w, VSTACK_EV_SURPRISE_REMOVAL, name);
        if (vf != NULL && vf->vm != NULL)
            vs__event_str(ev, "vm", vf->vm->name);
        vs__event_str(ev, "timed_out", pe->timed_out ? "true" : "false");
        return;
    }
    case PCIE_EV_FLR_DONE: {
        struct vstack_event *ev = vs__event(w, VSTACK_EV_FLR, name);
        vs__event_str(ev, "result", pe->status == 0 ? "ok" : "timeout");
        if (vf != NULL && vf->vm != NULL)
            vs__event_str(ev, "vm", vf->vm->name);
        /* A reset the host did not ask for (a raw RESET_VF) under a running guest: the VF's
         * state is gone under its driver, so the host takes the VF back (graceful eject, the
         * usual failover and teardown), which ends its assignment. */
        if (vf != NULL && vf->vm != NULL && vf->vm->vf == vf && vf->state == VS_VF_OFFERED &&
            !vf->tearing_down && !w->destroying) {
            SIM_WARN(vstack, "%s: reset under its guest %s: the host takes the VF back", name,
                     vf->vm->name);
            (void)vs__detach_start(vf->vm, VSTACK_DETACH_GRACEFUL, NULL);
        }
        return;
    }
    default:
        return;
    }
}

int
vstack_host_add(struct vstack_world *w, const char *name, struct sim_diag *d)
{
    int rc = vs__name_check(name, d, "host");
    if (rc != 0)
        return rc;
    if (strchr(name, '.') != NULL)
        return sim_diag_fail(d, SIM_EINVAL, "host %s: a host name is one word (no '.')", name);
    if (vs__name_taken(w, name))
        return sim_diag_fail(d, SIM_EEXIST, "host %s: the name is already used", name);
    struct vs_host *h = sim_calloc(SIM_TAG(vstack), 1, sizeof *h);
    if (h == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "host %s: out of memory", name);
    snprintf(h->name, sizeof h->name, "%s", name);
    h->w = w;
    h->next_bus = 1;
    sim_timer_init(w->sched, &h->serv_tm, NULL, h);
    rc = pcie_fabric_create(w->sched, &h->fabric);
    if (rc != 0) {
        sim_diag_fail(d, rc, "host %s: cannot create its PCIe fabric", name);
        goto fail_fabric;
    }
    (void)pcie_fabric_subscribe(h->fabric, &h->sub, fabric_event, h); /* cannot fail: fresh */
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = 0;
    pc.name = name;
    pc.kind = HV_PARTITION_ROOT;
    pc.mem_size = UINT64_C(4) << 20;
    rc = hv_partition_create(w->sched, NULL, &pc, &h->root, d);
    if (rc != 0)
        goto fail_root;
    rc = vs__push((void ***)&w->hosts, &w->n_hosts, h);
    if (rc != 0) {
        sim_diag_fail(d, rc, "host %s: out of memory", name);
        goto fail_push;
    }
    vs__trace_host_added(h);
    return 0;
fail_push:
    hv_partition_destroy(h->root);
fail_root:
    pcie_fabric_unsubscribe(&h->sub);
    pcie_fabric_destroy(h->fabric);
fail_fabric:
    sim_free(h);
    return rc;
}

void
vs__host_destroy(struct vs_host *h)
{
    sim_timer_stop(&h->serv_tm);
    pcie_fabric_unsubscribe(&h->sub);
    hv_partition_destroy(h->root);
    pcie_fabric_destroy(h->fabric);
    sim_free(h);
}

/* ---- PFs ---------------------------------------------------------------------------------- */
void
vstack_pf_config_init(struct vstack_pf_config *c)
{
    memset(c, 0, sizeof *c);
    c->total_vfs = 8;
    c->vf_offset = 0x80;
    c->vf_stride = 2;
    c->vendor_id = 0x8086;
    c->device_id = 0x10fb;
    c->vf_device_id = 0x10ed;
}

/* The NIC's physical port put a frame on the wire (VF path and NIC-switch traffic). */
static void
nic_wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at)
{
    struct vs_pf *pf = ctx;
    struct vstack_world *w = pf->host->w;
    cap_tap(pf->st.cap, sim_sched_now(w->sched), CAP_DIR_OUT, packet_id, CAP_QUEUE_NONE, frame,
            len);
    if (done_at > pf->st.busy_until)
        pf->st.busy_until = done_at;
    vs__wire_send(&pf->st, frame, len, packet_id, done_at + w->cost[VS_COST_HOP_LATENCY]);
}

static const struct nic_wire_ops nic_wire = {.tx = nic_wire_tx};

/* A frame from the wire arrives at this PF's physical port. The NIC switch classifies it: a
 * frame matching a VM's filter on its VF's VPort goes to the VF's RX ring, everything else to
 * the default VPort, where the PF miniport indicates it to NetVSP's binding.
 *
 * One host rule sits in front of the NIC (ndis_sriov.md 7.2 data-path note; Hyper-V behaviour
 * seen by Linux/FreeBSD guests): the host delivers a VM's traffic on the synthetic path until
 * the guest's SWITCH_DATA_PATH(VF) completed, and broadcast, multicast and inbound TCP SYN on
 * the synthetic path always. So while the VM's filter sits on its VF's VPort (moved before the
 * offer, 7.2 step 5) but the data path is not (or no longer) the VF — offer delay, guest
 * bring-up, switch back, a VF being removed — its frames are indicated on the default VPort
 * (netvsp_switch_uplink_receive with the default VPort id, as the PF would) instead of entering
 * the VF's VPort. How the real host does this is not documented (INFERRED). */
void
vs__pf_wire_rx(struct vs_pf *pf, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct vstack_world *w = pf->host->w;
    char where[VSTACK_NAME_MAX + 8];
    cap_tap(pf->st.cap, sim_sched_now(w->sched), CAP_DIR_IN, packet_id, CAP_QUEUE_NONE, frame, len);
    struct vs_vm *vm = len >= 6 ? vs__vm_by_mac(w, frame) : NULL;
    if (vm != NULL && vm->paused) {
        snprintf(where, sizeof where, "%s rx", vm->name);
        vs__drop(w, SIM_DROP_PAUSED, where, packet_id, frame, len);
        return;
    }
    struct vs_vf *vf = vm != NULL ? vm->vf : NULL;
    /* A MOVE_FILTER in flight may already have moved the filter in the NIC. */
    bool filter_maybe_on_vf =
        vf != NULL && (vf->filter_on_vf || (vf->pending != NULL && vf->step == VS_H_MOVE_FILTER));
    if (filter_maybe_on_vf && vf->pf == pf && pf->sw != NULL && nic_port_is_up(pf->nic)) {
        bool on_vf = vf->state == VS_VF_OFFERED && !vf->tearing_down && vm->port != NULL &&
                     netvsp_port_datapath(vm->port) == NVSP_DATAPATH_VF &&
                     pcie_fabric_fn_state(pf->host->fabric, vf->rid) != PCIE_FN_REMOVED;
        if (!on_vf || netvsp_frame_is_synthetic_only(frame, len)) {
            (void)netvsp_switch_uplink_receive(pf->sw->sw, frame, len, packet_id,
                                               vs__vm_home_vport(vm));
            return;
        }
    }
    (void)nic_port_rx(pf->nic, frame, len, packet_id);
}

/* For the objects named HOST.NAME (`pf`, `vswitch`): check the name, find its host and refuse
 * a name already in use. Returns the host, or NULL with *rc set and the reason in d. */
static struct vs_host *
host_of_child(struct vstack_world *w, const char *path, const char *verb, const char *what,
              struct sim_diag *d, int *rc)
{
    *rc = vs__name_check(path, d, verb);
    if (*rc != 0)
        return NULL;
    const char *dot = strchr(path, '.');
    if (dot == NULL || strchr(dot + 1, '.') != NULL || dot[1] == '\0') {
        *rc = sim_diag_fail(d, SIM_EINVAL, "%s %s: %s is named HOST.NAME", verb, path, what);
        return NULL;
    }
    char hname[VSTACK_NAME_MAX];
    memcpy(hname, path, (size_t)(dot - path));
    hname[dot - path] = '\0';
    struct vs_host *h = vs__host(w, hname);
    if (h == NULL) {
        *rc = sim_diag_fail(d, SIM_ENOENT, "%s %s: no host %s", verb, path, hname);
        return NULL;
    }
    if (vs__name_taken(w, path)) {
        *rc = sim_diag_fail(d, SIM_EEXIST, "%s %s: the name is already used", verb, path);
        return NULL;
    }
    return h;
}

int
vstack_pf_add(struct vstack_world *w, const char *path, const struct vstack_pf_config *cfg,
              struct sim_diag *d)
{
    int rc = 0;
    struct vs_host *h = host_of_child(w, path, "pf", "a PF", d, &rc);
    if (h == NULL)
        return rc;
    struct vstack_pf_config defc;
    if (cfg == NULL) {
        vstack_pf_config_init(&defc);
        cfg = &defc;
    }
    if (cfg->total_vfs < 1 || cfg->total_vfs > NIC_MAX_VFS)
        return sim_diag_fail(d, SIM_ERANGE, "pf %s: total_vfs=%u outside 1..%u", path,
                             cfg->total_vfs, (unsigned)NIC_MAX_VFS);
    if (cfg->vf_offset != 0x80 || cfg->vf_stride != 2)
        return sim_diag_fail(d, SIM_ENOTSUP,
                             "pf %s: vf_offset=0x%x vf_stride=%u: the simulated NIC has a fixed "
                             "First VF Offset 0x80 and VF Stride 2",
                             path, cfg->vf_offset, cfg->vf_stride);
    uint16_t rid;
    if (cfg->has_bdf) {
        if (cfg->domain != 0)
            return sim_diag_fail(d, SIM_ENOTSUP, "pf %s: PCI domain %04x: only domain 0", path,
                                 cfg->domain);
        rid = PCIE_RID(cfg->bus, cfg->dev, cfg->fn);
    } else {
        rid = PCIE_RID(h->next_bus, 0, 0);
    }
    /* VF RIDs run to rid + 0x80 + 2 * (total_vfs - 1); keep the next PF's bus above them. */
    unsigned last_bus = PCIE_RID_BUS((unsigned)rid + 0x80u + 2u * (cfg->total_vfs - 1u));
    if ((unsigned)rid + 0x80u + 2u * (cfg->total_vfs - 1u) > 0xffffu)
        return sim_diag_fail(d, SIM_ERANGE, "pf %s: VF routing IDs would pass bus 0xff", path);
    for (size_t i = 0; i < w->n_pfs; i++)
        if (w->pfs[i]->host == h && w->pfs[i]->rid == rid)
            return sim_diag_fail(d, SIM_EEXIST, "pf %s: %02x:%02x.%x is already %s", path,
                                 PCIE_RID_BUS(rid), PCIE_RID_DEV(rid), rid & 7, w->pfs[i]->name);

    struct vs_pf *pf = sim_calloc(SIM_TAG(vstack), 1, sizeof *pf);
    if (pf == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory", path);
    snprintf(pf->name, sizeof pf->name, "%s", path);
    pf->host = h;
    pf->cfg = *cfg;
    pf->rid = rid;
    pf->total_vfs = cfg->total_vfs;
    pf->mbx_refuse_vf = UINT16_MAX;
    if (cfg->has_mac)
        memcpy(pf->mac, cfg->mac, 6);
    else
        vs__derive_mac(path, 0x50, pf->mac);
    pf->vfs = sim_calloc(SIM_TAG(vstack), pf->total_vfs, sizeof *pf->vfs);
    if (pf->vfs == NULL) {
        rc = sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory", path);
        goto fail_vfs;
    }
    rc = vs__station_init(w, &pf->st, false, pf, path, d);
    if (rc != 0)
        goto fail_station;
    if (cfg->rate_bps != 0)
        pf->st.rate_bps = cfg->rate_bps;
    struct nic_config nc = {
        .rid = rid,
        .total_vfs = pf->total_vfs,
        .link_rate_bps = pf->st.rate_bps,
        .name = path,
        .drop_sink = &w->sink,
    };
    memcpy(nc.mac, pf->mac, 6);
    rc = nic_create(h->fabric, &nc, &pf->nic, d);
    if (rc != 0)
        goto fail_nic;
    nic_port_attach(pf->nic, &nic_wire, pf);
    struct pf_config pc = {
        .name = path,
        .sched = w->sched,
        .fabric = h->fabric,
        .rid = rid,
        .trace = w->trace,
        .policy = vs__mbx_policy,
        .policy_ctx = pf,
        .drop_sink = &w->sink, /* a send refused for a full TX ring is a drop with a cause */
    };
    pf->drv = cfg->driver != NULL       ? cfg->driver
              : w->pf_driver != NULL ? w->pf_driver
                                     : &pf_driver_shipped;
    rc = pf->drv->create(&pc, &pf->pf, d);
    if (rc != 0)
        goto fail_pf;
    pf->mp = pf->drv->miniport(pf->pf);
    ndis_status_t st = 0;
    rc = ndis_miniport_initialize(pf->mp, &st, d);
    if (rc == 0)
        rc = ndis_miniport_restart(pf->mp, &st, d);
    if (rc != 0)
        goto fail_init;
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        vs__vf_slot_init(pf, &pf->vfs[i], i);
    rc = vs__push((void ***)&w->pfs, &w->n_pfs, pf);
    if (rc != 0) {
        sim_diag_fail(d, rc, "pf %s: out of memory", path);
        goto fail_init;
    }
    if (!cfg->has_bdf || PCIE_RID_BUS(rid) >= h->next_bus)
        h->next_bus = (uint8_t)(last_bus + 1 > 0xff ? 0xff : last_bus + 1);
    return 0;
fail_init:
    if (ndis_miniport_state(pf->mp) == NDIS_MINIPORT_RUNNING)
        (void)ndis_miniport_pause(pf->mp, NULL, NULL);
    if (ndis_miniport_state(pf->mp) != NDIS_MINIPORT_HALTED)
        (void)ndis_miniport_halt(pf->mp, NULL);
    (void)pf->drv->destroy(pf->pf);
fail_pf:
    nic_destroy(pf->nic);
fail_nic:
    vs__station_fini(&pf->st);
fail_station:
    sim_free(pf->vfs);
fail_vfs:
    sim_free(pf);
    return rc;
}

/* ---- SR-IOV enable: CREATE_SWITCH / DELETE_SWITCH ------------------------------------------ */
static void
create_switch_done(struct vs_req *r, ndis_status_t st)
{
    struct vs_pf *pf = r->ctx;
    pf->switch_pending = false;
    if (st != NDIS_STATUS_SUCCESS) {
        pf->num_vfs = 0;
        return;
    }
    pf->nic_switch = true;
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        if (pf->vfs[i].state == VS_VF_DISABLED && i < pf->num_vfs)
            pf->vfs[i].state = VS_VF_FREE;
    struct vstack_world *w = pf->host->w;
    for (size_t i = 0; i < w->n_vms; i++)
        if (w->vms[i]->sw != NULL && w->vms[i]->sw->uplink == pf)
            (void)vs__vm_filter_set(w->vms[i], NULL);
    vs__vf_freed(w); /* VMs waiting for a VF */
}

static void
delete_switch_done(struct vs_req *r, ndis_status_t st)
{
    struct vs_pf *pf = r->ctx;
    pf->switch_pending = false;
    if (st == NDIS_STATUS_SUCCESS)
        pf->nic_switch = false;
}

int
vstack_sriov_set(struct vstack_world *w, const char *name, unsigned num_vfs, struct sim_diag *d)
{
    struct vs_pf *pf = vs__pf(w, name);
    if (pf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "sriov %s: no such PF", name ? name : "(null)");
    if (num_vfs > pf->total_vfs)
        return sim_diag_fail(d, SIM_ERANGE, "sriov %s: num_vfs=%u exceeds TotalVFs %u", name,
                             num_vfs, pf->total_vfs);
    if (pf->switch_pending)
        return sim_diag_fail(d, SIM_EBUSY, "sriov %s: a NIC switch change is still running", name);
    if (num_vfs == pf->num_vfs)
        return 0;
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        if (pf->vfs[i].state != VS_VF_DISABLED && pf->vfs[i].state != VS_VF_FREE)
            return sim_diag_fail(d, SIM_EBUSY,
                                 "sriov %s: %s is in use (assigned to %s): detach it first", name,
                                 pf->vfs[i].name, pf->vfs[i].vm ? pf->vfs[i].vm->name : "no VM");
    if (pf->nic_switch && num_vfs != 0)
        return sim_diag_fail(d, SIM_ENOTSUP,
                             "sriov %s: num_vfs %u -> %u: the NIC switch is created once with "
                             "its VF count; set num_vfs=0 first",
                             name, pf->num_vfs, num_vfs);
    if (num_vfs == 0) {
        /* DELETE_SWITCH needs every filter and non-default VPort gone (ndis_sriov.md 7.7). */
        for (size_t i = 0; i < w->n_vms; i++)
            if (w->vms[i]->has_filter && w->vms[i]->filter_pf == pf)
                (void)vs__vm_filter_clear(w->vms[i]);
        for (size_t i = 0; i < w->n_vms; i++)
            if (w->vms[i]->has_vmq_vport && w->vms[i]->vmq_pf == pf)
                (void)vs__vm_vmq_release(w->vms[i]);
        struct ndis_nic_switch_delete_switch_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
        p.switch_id = NDIS_DEFAULT_SWITCH_ID;
        int rc = vs__oid_submit(pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_SWITCH, &p,
                                (uint32_t)sizeof p, 0, delete_switch_done, pf, NULL, d);
        if (rc != 0)
            return rc;
        for (uint16_t i = 0; i < pf->total_vfs; i++)
            pf->vfs[i].state = VS_VF_DISABLED;
        pf->num_vfs = 0;
        pf->switch_pending = true;
        return 0;
    }
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    vs__objhdr(&p.header, NDIS_NIC_SWITCH_PARAMETERS_REVISION_1,
               NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.num_vfs = num_vfs;
    int rc = vs__oid_submit(pf, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_SWITCH, &p,
                            (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1,
                            (uint32_t)sizeof p, create_switch_done, pf, NULL, d);
    if (rc != 0)
        return rc;
    pf->num_vfs = (uint16_t)num_vfs;
    pf->switch_pending = true;
    return 0;
}

/* ---- switches ----------------------------------------------------------------------------- */
void
vstack_switch_config_init(struct vstack_switch_config *c)
{
    memset(c, 0, sizeof *c);
    c->iov = true;
}

int
vstack_switch_add(struct vstack_world *w, const char *path, const struct vstack_switch_config *cfg,
                  struct sim_diag *d)
{
    int rc = 0;
    struct vs_host *h = host_of_child(w, path, "vswitch", "a switch", d, &rc);
    if (h == NULL)
        return rc;
    struct vstack_switch_config defc;
    if (cfg == NULL) {
        vstack_switch_config_init(&defc);
        cfg = &defc;
    }
    struct vs_pf *up = NULL;
    if (cfg->uplink != NULL) {
        up = vs__pf(w, cfg->uplink);
        if (up == NULL)
            return sim_diag_fail(d, SIM_ENOENT, "vswitch %s: no PF %s", path, cfg->uplink);
        if (up->host != h)
            return sim_diag_fail(d, SIM_EINVAL, "vswitch %s: uplink %s is on another host", path,
                                 cfg->uplink);
        if (up->sw != NULL)
            return sim_diag_fail(d, SIM_EBUSY, "vswitch %s: %s is already the uplink of %s", path,
                                 cfg->uplink, up->sw->name);
    }
    struct vs_switch *sw = sim_calloc(SIM_TAG(vstack), 1, sizeof *sw);
    if (sw == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "vswitch %s: out of memory", path);
    snprintf(sw->name, sizeof sw->name, "%s", path);
    sw->host = h;
    sw->uplink = up;
    sw->iov = cfg->iov;
    struct netvsp_switch_config sc = {
        .name = path,
        .sched = w->sched,
        .cap = w->cap,
        .drops = &w->sink,
        .cost_per_frame_ns = w->cost[VS_COST_VSWITCH_PER_PACKET],
        .cost_per_byte_ps = (uint32_t)w->cost[VS_COST_VSWITCH_PER_BYTE_PS],
        .nbls = (uint32_t)w->cost[VS_LIMIT_VSWITCH_NBLS],
    };
    rc = netvsp_switch_create(&sc, &sw->sw, d);
    if (rc != 0) {
        sim_free(sw);
        return rc;
    }
    if (up != NULL) {
        /* NetVSP's protocol edge binds to the PF miniport: frames to the wire are NBLs on the
         * default VPort, the PF indicates what the NIC switch gives the default VPort. */
        rc = netvsp_switch_bind_nic(sw->sw, up->mp, d);
        if (rc != 0) {
            netvsp_switch_destroy(sw->sw);
            sim_free(sw);
            return rc;
        }
    }
    rc = vs__push((void ***)&w->sws, &w->n_sws, sw);
    if (rc != 0) {
        if (up != NULL)
            (void)netvsp_switch_unbind_nic(sw->sw, NULL);
        netvsp_switch_destroy(sw->sw);
        sim_free(sw);
        return sim_diag_fail(d, rc, "vswitch %s: out of memory", path);
    }
    if (up != NULL)
        up->sw = sw;
    return 0;
}

/* ---- queries: PCI ------------------------------------------------------------------------- */
static int
fn_lookup(const struct vstack_world *w, const char *fn, struct vs_pf **pf_out,
          struct vs_vf **vf_out, uint16_t *rid, struct sim_diag *d)
{
    struct vs_pf *pf = vs__pf(w, fn);
    struct vs_vf *vf = NULL;
    if (pf == NULL) {
        vf = vs__vf(w, fn);
        if (vf == NULL)
            return sim_diag_fail(d, SIM_ENOENT, "pci %s: no such PF or VF", fn ? fn : "(null)");
        pf = vf->pf;
        *rid = nic_vf_rid(pf->nic, vf->index);
    } else {
        *rid = pf->rid;
    }
    *pf_out = pf;
    *vf_out = vf;
    return 0;
}

int
vstack_pci_cfg_read(const struct vstack_world *w, const char *fn, uint32_t offset, unsigned width,
                    uint32_t *out, struct sim_diag *d)
{
    struct vs_pf *pf = NULL;
    struct vs_vf *vf = NULL;
    uint16_t rid = 0;
    int rc = fn_lookup(w, fn, &pf, &vf, &rid, d);
    if (rc != 0)
        return rc;
    if ((width != 1 && width != 2 && width != 4) || offset + width > 4096 || offset % width)
        return sim_diag_fail(d, SIM_EINVAL, "pci %s: bad config read cfg%u.0x%x", fn, width * 8,
                             offset);
    if (pcie_fabric_fn_state(pf->host->fabric, rid) == PCIE_FN_ABSENT)
        return sim_diag_fail(d, SIM_ENODEV, "pci %s: the function is not present (VF not enabled)",
                             fn);
    rc = pcie_cfg_read(pf->host->fabric, rid, (uint16_t)offset, width, out);
    if (rc != 0)
        return sim_diag_fail(d, rc, "pci %s: config read at 0x%x failed", fn, offset);
    return 0;
}

int
vstack_pci_field(const struct vstack_world *w, const char *fn, enum vstack_pci_field f,
                 uint64_t *out, struct sim_diag *d)
{
    struct vs_pf *pf = NULL;
    struct vs_vf *vf = NULL;
    uint16_t rid = 0;
    int rc = fn_lookup(w, fn, &pf, &vf, &rid, d);
    if (rc != 0)
        return rc;
    struct pcie_fabric *fab = pf->host->fabric;
    enum pcie_fn_state state = pcie_fabric_fn_state(fab, rid);
    if (f == VSTACK_PCI_PRESENT) {
        *out = state != PCIE_FN_ABSENT && state != PCIE_FN_REMOVED;
        return 0;
    }
    if (state == PCIE_FN_ABSENT || state == PCIE_FN_REMOVED)
        return sim_diag_fail(d, SIM_ENODEV, "pci %s: the function is not present", fn);
    uint32_t v = 0;
    switch (f) {
    case VSTACK_PCI_VENDOR_ID:
        rc = pcie_cfg_read(fab, rid, 0x00, 2, &v);
        break;
    case VSTACK_PCI_DEVICE_ID:
        rc = pcie_cfg_read(fab, rid, 0x02, 2, &v);
        break;
    case VSTACK_PCI_COMMAND_MEMORY:
        rc = pcie_cfg_read(fab, rid, 0x04, 2, &v);
        v = (v >> 1) & 1;
        break;
    case VSTACK_PCI_COMMAND_BUS_MASTER:
        rc = pcie_cfg_read(fab, rid, 0x04, 2, &v);
        v = (v >> 2) & 1;
        break;
    case VSTACK_PCI_MSIX_ENABLE:
    case VSTACK_PCI_MSIX_TABLE_SIZE: {
        uint16_t cap = pcie_cfg_find_cap(fab, rid, 0x11, false);
        if (cap == 0)
            return sim_diag_fail(d, SIM_ENOENT, "pci %s: no MSI-X capability", fn);
        rc = pcie_cfg_read(fab, rid, (uint16_t)(cap + 2), 2, &v);
        v = f == VSTACK_PCI_MSIX_ENABLE ? (v >> 15) & 1 : (v & 0x7ff) + 1;
        break;
    }
    default: {
        if (vf != NULL)
            return sim_diag_fail(d, SIM_EINVAL, "pci %s: SR-IOV fields exist on the PF only", fn);
        struct pcie_sriov_info si;
        rc = pcie_sriov_info(fab, rid, &si);
        if (rc != 0)
            return sim_diag_fail(d, rc, "pci %s: no SR-IOV capability", fn);
        switch (f) {
        case VSTACK_PCI_SRIOV_TOTAL_VFS:
            v = si.total_vfs;
            break;
        case VSTACK_PCI_SRIOV_INITIAL_VFS:
            v = si.initial_vfs;
            break;
        case VSTACK_PCI_SRIOV_NUM_VFS:
            v = si.num_vfs;
            break;
        case VSTACK_PCI_SRIOV_VF_OFFSET:
            v = si.vf_offset;
            break;
        case VSTACK_PCI_SRIOV_VF_STRIDE:
            v = si.vf_stride;
            break;
        case VSTACK_PCI_SRIOV_VF_DID:
            v = si.vf_device_id;
            break;
        case VSTACK_PCI_SRIOV_VF_ENABLE:
            v = si.vf_enable;
            break;
        case VSTACK_PCI_SRIOV_VF_MSE:
            v = si.vf_mse;
            break;
        default:
            return sim_diag_fail(d, SIM_EINVAL, "pci %s: unknown field %d", fn, (int)f);
        }
        break;
    }
    }
    if (rc != 0)
        return sim_diag_fail(d, rc, "pci %s: config read failed", fn);
    *out = v;
    return 0;
}

int
vstack_pci_assigned(const struct vstack_world *w, const char *vfname, char *buf, size_t len,
                    struct sim_diag *d)
{
    struct vs_vf *vf = vs__vf(w, vfname);
    if (vf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "pci %s: no such VF", vfname ? vfname : "(null)");
    /* Read from virtual PCI: the VF is assigned to the partition its VPCI device is offered to
     * (offering, present or being ejected), not to whatever the host's bookkeeping intends. */
    const char *who = "none";
    if (vf->vpci != NULL && hv_vpci_dev_state(vf->vpci) != HV_VPCI_REMOVED &&
        hv_vpci_dev_guest(vf->vpci) != NULL)
        who = hv_partition_name(hv_vpci_dev_guest(vf->vpci));
    snprintf(buf, len, "%s", who);
    return 0;
}

/* ---- queries: the NDIS trace -------------------------------------------------------------- */
size_t
vstack_oid_sequence(const struct vstack_world *w, const char *adapter,
                    const struct vstack_mark *mark, uint32_t *out, size_t max)
{
    ndis_oid_t tmp[1];
    return ndis_trace_oid_sequence(w->trace, mark ? mark->trace_seq : 0, adapter,
                                   NDIS_TRACE_COMPLETION, out ? (ndis_oid_t *)out : tmp,
                                   out ? max : 0);
}

int
vstack_oid_last(const struct vstack_world *w, const char *adapter, const char *oid,
                uint32_t *status, uint64_t *count, struct sim_diag *d)
{
    ndis_oid_t o;
    if (oid == NULL || !ndis_oid_parse(oid, &o))
        return sim_diag_fail(d, SIM_EINVAL, "oid %s: unknown OID", oid ? oid : "(null)");
    uint64_t n = 0;
    for (size_t i = 0; i < ndis_trace_count(w->trace); i++) {
        const struct ndis_trace_record *r = ndis_trace_at(w->trace, i);
        if (r->phase == NDIS_TRACE_COMPLETION && r->oid == o &&
            (adapter == NULL || strcmp(r->target, adapter) == 0))
            n++;
    }
    if (count != NULL)
        *count = n;
    const struct ndis_trace_record *r = ndis_trace_last_completion(w->trace, adapter, o);
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "oid %s %s: never completed", adapter ? adapter : "*",
                             oid);
    if (status != NULL)
        *status = r->status;
    return 0;
}

void
vstack_trace_dump(const struct vstack_world *w, FILE *out)
{
    ndis_trace_dump(w->trace, out);
}
