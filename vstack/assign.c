/* SPDX-License-Identifier: MIT */
/*
 * assign.c — VF assignment policy and port policy: which VM gets which VF (a named VF, or any
 * free VF of the VM's switch uplink; when VMs outnumber VFs the rest stay synthetic in a queue
 * ordered by priority, then arrival, and get the next VF freed), the switch's veto of
 * ALLOCATE_VF, and the answer to VF mailbox requests (apply / refuse / refuse silently).
 *
 * Windows / Hyper-V counterpart: the IOV weight of a VM network adapter (`Set-VMNetworkAdapter
 * -IovWeight`, 0 = no VF, higher = preferred) and VMMS's assignment of VFs as they free up; a
 * switch extension refusing offload; the PF driver's VF-request policy (Intel NACK, vSphere
 * silent refusal).
 */
#include <string.h>

#include "vstack/vstack_int.h"

/* The first free VF on the VM's uplink PF (lowest index). */
struct vs_vf *
vs__vf_pick(struct vs_vm *vm)
{
    struct vs_pf *pf = vm->sw ? vm->sw->uplink : NULL;
    if (pf == NULL)
        return NULL;
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        if (pf->vfs[i].state == VS_VF_FREE)
            return &pf->vfs[i];
    return NULL;
}

void
vs__queue_vm(struct vs_vm *vm)
{
    vm->wants_vf = true;
    vm->queue_seq = vm->w->queue_seq++;
    struct vstack_event *ev = vs__event(vm->w, VSTACK_EV_VF_QUEUED, vm->name);
    vs__event_num(ev, "priority", vm->priority);
    if (vm->want != NULL)
        vs__event_str(ev, "vf", vm->want->name);
}

/* A VF became free (or a NIC switch came up): serve the waiting VMs, highest priority first,
 * then in arrival order. */
void
vs__vf_freed(struct vstack_world *w)
{
    for (;;) {
        struct vs_vm *best = NULL;
        struct vs_vf *best_vf = NULL;
        for (size_t i = 0; i < w->n_vms; i++) {
            struct vs_vm *vm = w->vms[i];
            if (!vm->wants_vf || vm->vf != NULL || vm->state != VS_VM_RUNNING ||
                vm->host->servicing)
                continue;
            struct vs_vf *vf = vm->want;
            if (vf != NULL) {
                if (vf->state != VS_VF_FREE || vf->pf != vm->sw->uplink)
                    continue;
            } else {
                vf = vs__vf_pick(vm);
                if (vf == NULL)
                    continue;
            }
            if (best == NULL || vm->priority > best->priority ||
                (vm->priority == best->priority && vm->queue_seq < best->queue_seq)) {
                best = vm;
                best_vf = vf;
            }
        }
        if (best == NULL)
            return;
        (void)vs__attach_start(best, best_vf, NULL);
    }
}

int
vstack_vf_attach(struct vstack_world *w, const char *name, const char *vfname, struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "attach-vf %s: no such VM", name ? name : "(null)");
    if (vm->state != VS_VM_RUNNING)
        return sim_diag_fail(d, SIM_ESTATE, "attach-vf %s: the VM is migrating", name);
    if (vm->vf != NULL)
        return sim_diag_fail(d, SIM_EBUSY, "attach-vf %s: the VM already has %s", name,
                             vm->vf->name);
    if (vm->wants_vf)
        return sim_diag_fail(d, SIM_EBUSY, "attach-vf %s: the VM is already waiting for a VF",
                             name);
    struct vs_pf *pf = vm->sw->uplink;
    if (pf == NULL || !vm->sw->iov)
        return sim_diag_fail(
            d, SIM_ESTATE, "attach-vf %s: switch %s %s: SR-IOV is not possible on it", name,
            vm->sw->name, pf == NULL ? "has no uplink PF" : "was created iov=false");
    struct sim_diag why;
    sim_diag_clear(&why);
    if (!netvsp_port_vf_allowed(vm->port, &why)) {
        struct vstack_event *ev = vs__event(w, VSTACK_EV_POLICY_DENIED, vm->name);
        vs__event_str(ev, "oid", "OID_NIC_SWITCH_ALLOCATE_VF");
        vs__event_str(ev, "switch", vm->sw->name);
        return sim_diag_fail(d, SIM_EPERM,
                             "attach-vf %s: OID_NIC_SWITCH_ALLOCATE_VF vetoed by the port policy "
                             "of %s (%s)",
                             name, vm->sw->name, why.reason[0] ? why.reason : "VF not allowed");
    }
    struct vs_vf *vf = NULL;
    if (vfname != NULL && strcmp(vfname, "auto") != 0) {
        vf = vs__vf(w, vfname);
        if (vf == NULL)
            return sim_diag_fail(d, SIM_ENOENT, "attach-vf %s: no VF %s", name, vfname);
        if (vf->pf != pf)
            return sim_diag_fail(d, SIM_EINVAL, "attach-vf %s: %s is not on %s, the uplink of %s",
                                 name, vf->name, pf->name, vm->sw->name);
        if (vf->state == VS_VF_DISABLED) {
            if (pf->switch_pending && vf->index < pf->num_vfs) {
                vm->want = vf;
                vs__queue_vm(vm); /* NIC switch still being created */
                return 0;
            }
            return sim_diag_fail(d, SIM_ESTATE,
                                 "attach-vf %s: %s is not enabled (sriov %s num_vfs=%u)", name,
                                 vf->name, pf->name, pf->num_vfs);
        }
        if (vf->state == VS_VF_STUCK)
            return sim_diag_fail(d, SIM_ESTATE,
                                 "attach-vf %s: %s is out of service (a teardown "
                                 "OID kept failing)",
                                 name, vf->name);
        if (vf->state != VS_VF_FREE)
            return sim_diag_fail(d, SIM_EBUSY, "attach-vf %s: %s is already assigned to %s", name,
                                 vf->name, vf->vm ? vf->vm->name : "another VM");
        return vs__attach_start(vm, vf, d);
    }
    vf = vs__vf_pick(vm);
    if (vf == NULL) {
        vm->want = NULL;
        vs__queue_vm(vm); /* stays synthetic until a VF is freed */
        return 0;
    }
    return vs__attach_start(vm, vf, d);
}

int
vstack_vf_detach(struct vstack_world *w, const char *name, enum vstack_detach_mode mode,
                 struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "detach-vf %s: no such VM", name ? name : "(null)");
    if (mode != VSTACK_DETACH_GRACEFUL && mode != VSTACK_DETACH_SURPRISE)
        return sim_diag_fail(d, SIM_EINVAL, "detach-vf %s: bad mode %d", name, (int)mode);
    if (vm->vf == NULL && vm->wants_vf) {
        vm->wants_vf = false; /* cancel the queued request */
        vm->want = NULL;
        return 0;
    }
    return vs__detach_start(vm, mode, d);
}

/* ---- policy ---------------------------------------------------------------------------------
 */
static void
merge(struct vstack_policy *dst, const struct vstack_policy *p)
{
    if (p->allocate_vf != VSTACK_UNSET)
        dst->allocate_vf = p->allocate_vf;
    if (p->mac_change != VSTACK_MBX_UNSET)
        dst->mac_change = p->mac_change;
    if (p->vlan_change != VSTACK_MBX_UNSET)
        dst->vlan_change = p->vlan_change;
    if (p->trusted != VSTACK_UNSET)
        dst->trusted = p->trusted;
    if (p->spoof_check != VSTACK_UNSET)
        dst->spoof_check = p->spoof_check;
}

int
vstack_policy_set(struct vstack_world *w, const char *target, const struct vstack_policy *p,
                  struct sim_diag *d)
{
    if (p == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "policy %s: no keys", target ? target : "(null)");
    struct vs_switch *sw = vs__switch(w, target);
    struct vs_vm *vm = sw ? NULL : vs__vm(w, target);
    if (sw == NULL && vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "policy %s: no such switch or VM",
                             target ? target : "(null)");
    if (sw != NULL) {
        merge(&sw->policy, p);
        for (size_t i = 0; i < w->n_vms; i++)
            if (w->vms[i]->sw == sw)
                vs__vm_apply_policy(w->vms[i]);
    } else {
        merge(&vm->policy, p);
        vm->has_policy = true;
        vs__vm_apply_policy(vm);
    }
    /* trusted applies at once to VFs already allocated. */
    if (p->trusted != VSTACK_UNSET)
        for (size_t i = 0; i < w->n_vms; i++) {
            struct vs_vm *v = w->vms[i];
            if ((v == vm || (sw != NULL && v->sw == sw)) && v->vf != NULL && v->vf->allocated)
                if (v->vf->pf->drv->vf_set_trusted != NULL)
                    (void)v->vf->pf->drv->vf_set_trusted(v->vf->pf->pf, v->vf->vf_id,
                                                         p->trusted == VSTACK_TRUE);
        }
    return 0;
}

static const char *
req_name(enum pf_vf_request_type t)
{
    switch (t) {
    case PF_VF_REQ_SET_MAC:
        return "mac";
    case PF_VF_REQ_SET_VLAN:
        return "vlan";
    case PF_VF_REQ_SET_MULTICAST:
        return "multicast";
    case PF_VF_REQ_RESET:
        return "reset";
    }
    return "?";
}

static bool
fault_matches(enum vstack_mbx_request want, enum pf_vf_request_type t)
{
    switch (want) {
    case VSTACK_MBX_ANY:
        return t != PF_VF_REQ_RESET;
    case VSTACK_MBX_MAC:
        return t == PF_VF_REQ_SET_MAC;
    case VSTACK_MBX_VLAN:
        return t == PF_VF_REQ_SET_VLAN;
    case VSTACK_MBX_MULTICAST:
        return t == PF_VF_REQ_SET_MULTICAST;
    case VSTACK_MBX_PROMISCUOUS:
        return false; /* the mailbox has no promiscuous request (see README) */
    }
    return false;
}

/* The PF miniport's VF-request policy hook (miniport_pf.h): the VM's port policy, then the
 * switch's; a `fault mailbox-refuse` overrides both for its count. */
enum pf_verdict
vs__mbx_policy(void *ctx, const struct pf_vf_request *req, struct sim_diag *why)
{
    struct vs_pf *pf = ctx;
    struct vs_vf *vf = NULL;
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        if (pf->vfs[i].allocated && pf->vfs[i].vf_id == req->vf_id)
            vf = &pf->vfs[i];
    struct vs_vm *vm = vf ? vf->vm : NULL;
    enum pf_verdict v = PF_VERDICT_ACCEPT;
    const char *rule = NULL;
    if (pf->mbx_refuse_count > 0 && fault_matches(pf->mbx_refuse_req, req->type) &&
        (pf->mbx_refuse_vf == UINT16_MAX || (vf != NULL && vf->index == pf->mbx_refuse_vf))) {
        pf->mbx_refuse_count--;
        v = pf->mbx_refuse_silent ? PF_VERDICT_REFUSE_SILENT : PF_VERDICT_REFUSE;
        rule = "injected fault (fault mailbox-refuse)";
    } else if (vm != NULL && (req->type == PF_VF_REQ_SET_MAC || req->type == PF_VF_REQ_SET_VLAN)) {
        struct vstack_policy eff = vm->sw->policy;
        if (vm->has_policy)
            merge(&eff, &vm->policy);
        enum vstack_mailbox_policy mp =
            req->type == PF_VF_REQ_SET_MAC ? eff.mac_change : eff.vlan_change;
        if (mp == VSTACK_MBX_REFUSE)
            v = PF_VERDICT_REFUSE;
        else if (mp == VSTACK_MBX_REFUSE_SILENT)
            v = PF_VERDICT_REFUSE_SILENT;
        rule =
            req->type == PF_VF_REQ_SET_MAC ? "port policy mac-change" : "port policy vlan-change";
    }
    if (v == PF_VERDICT_ACCEPT)
        return v;
    const char *vfname = vf ? vf->name : "?";
    sim_diag_fail(why, SIM_EPERM, "%s (%s): %s request refused%s by %s", vfname,
                  vm ? vm->name : "no VM", req_name(req->type),
                  v == PF_VERDICT_REFUSE_SILENT ? " silently" : "", rule);
    struct vstack_event *ev = vs__event(pf->host->w, VSTACK_EV_MAILBOX_REFUSED, vfname);
    vs__event_str(ev, "request", req_name(req->type));
    vs__event_str(ev, "silent", v == PF_VERDICT_REFUSE_SILENT ? "true" : "false");
    if (vm != NULL)
        vs__event_str(ev, "vm", vm->name);
    return v;
}

/* ---- the guest's MAC change request ------------------------------------------------------- */
struct mac_req {
    struct vstack_world *w;
    char vm[VSTACK_NAME_MAX];
    struct vs_pf *pf;
    uint16_t vf_id;
    uint8_t mac[6];
};

static void
mac_done(void *ctx, struct vf_adapter *a, ndis_status_t status, const struct sim_diag *why)
{
    struct mac_req *r = ctx;
    (void)a;
    if (!r->w->destroying) {
        struct vstack_event *ev = vs__event(r->w, VSTACK_EV_MAC_CHANGE, r->vm);
        char b[32];
        snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", r->mac[0], r->mac[1], r->mac[2],
                 r->mac[3], r->mac[4], r->mac[5]);
        vs__event_str(ev, "mac", b);
        char s[16];
        vs__event_str(ev, "status", ndis_status_str(status, s, sizeof s));
        uint8_t cur[6];
        bool applied =
            r->pf->drv->vf_current_mac != NULL &&
            r->pf->drv->vf_current_mac(r->pf->pf, r->vf_id, cur) == 0 && memcmp(cur, r->mac, 6) == 0;
        vs__event_str(ev, "applied", applied ? "true" : "false");
        struct vs_vm *vm = vs__vm(r->w, r->vm);
        if (status == NDIS_STATUS_SUCCESS && vm != NULL)
            vs__vm_guest_mac_set(vm, r->mac); /* the guest believes it: its stack follows */
        if (why != NULL && why->reason[0] != '\0')
            SIM_INFO(vstack, "%s: MAC change: %s", r->vm, why->reason);
    }
    sim_free(r);
}

int
vstack_vf_request_mac(struct vstack_world *w, const char *name, const uint8_t mac[6],
                      struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "mac change %s: no such VM", name ? name : "(null)");
    if (mac == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "mac change %s: no MAC", name);
    struct vs_vf *vf = vm->vf;
    if (vf == NULL || vf->a == NULL || !vf->allocated)
        return sim_diag_fail(d, SIM_ESTATE, "mac change %s: the VM has no running VF miniport",
                             name);
    struct mac_req *r = sim_calloc(SIM_TAG(vstack), 1, sizeof *r);
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "mac change %s: out of memory", name);
    r->w = w;
    snprintf(r->vm, sizeof r->vm, "%s", vm->name);
    r->pf = vf->pf;
    r->vf_id = vf->vf_id;
    memcpy(r->mac, mac, 6);
    int rc = vf_adapter_set_mac(vf->a, mac, mac_done, r);
    if (rc != 0) {
        sim_free(r);
        return sim_diag_fail(d, rc, "mac change %s: the VF miniport refused the request (%s)", name,
                             sim_strerror(rc));
    }
    return 0;
}
