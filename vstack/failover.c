/* SPDX-License-Identifier: MIT */
/*
 * failover.c — VF offer and revoke: the bring-up sequence (ndis_sriov.md 7.2) and the
 * failover / teardown sequence (7.3), host side and guest side, on the virtual clock.
 *
 *   attach: ALLOCATE_VF -> CREATE_VPORT(VF) -> MOVE_FILTER default -> VF VPort (or SET_FILTER
 *           on the VF VPort if the VM had none) -> NVSP VF_ASSOCIATION -> VPCI offer (arrives
 *           after cost.vf_offer_delay) -> guest: VF miniport created, initialized, restarted
 *           (VF_RESET handshake with the PF) -> NetVSC binds -> SWITCH_DATA_PATH(VF) completes.
 *   detach: VPCI eject (graceful: the guest switches its data path back, unbinds and halts the
 *           VF, acknowledges; after cost.graceful_removal_timeout without an ack the VF is
 *           surprise-removed) -> MOVE_FILTER VF VPort -> default (one atomic move in the NIC)
 *           -> DELETE_VPORT (after the guest's VF miniport halted) -> RESET_VF (FLR; a
 *           surprise-removed function is hot-added first) -> FREE_VF -> the VF goes to the
 *           next waiting VM.
 *
 * Windows / Hyper-V counterpart: the virtualization stack's VF orchestration in the root (the
 * OIDs vmswitch / NDIS issue to the PF miniport) and, in the guest, the VPCI bus driver and PnP
 * loading the VF miniport; the host's handling of NVSP SWITCH_DATA_PATH.
 *
 * Receive steering while a VF is attached (7.2 data-path note): the host delivers a VM's
 * unicast on the synthetic path until the guest's SWITCH_DATA_PATH(VF) completed, then through
 * the VF VPort's filter (host.c vs__pf_wire_rx); broadcast, multicast and inbound SYN stay
 * synthetic.
 */
#include <string.h>

#include "vstack/vstack_int.h"

static void host_next(struct vs_vf *vf);
static void guest_timer(struct sim_timer *t);
static void host_timer(struct sim_timer *t);
static void assoc_timer(struct sim_timer *t);

void
vs__vf_slot_init(struct vs_pf *pf, struct vs_vf *vf, uint16_t index)
{
    memset(vf, 0, sizeof *vf);
    vf->pf = pf;
    vf->index = index;
    snprintf(vf->name, sizeof vf->name, "%.40s.vf%u", pf->name, (unsigned)(index & 0xfff));
    vf->state = VS_VF_DISABLED;
    sim_timer_init(pf->host->w->sched, &vf->host_tm, host_timer, vf);
    sim_timer_init(pf->host->w->sched, &vf->guest_tm, guest_timer, vf);
    sim_timer_init(pf->host->w->sched, &vf->assoc_tm, assoc_timer, vf);
}

static struct vstack_world *
vf_world(const struct vs_vf *vf)
{
    return vf->pf->host->w;
}

/* ---- the end of a sequence ----------------------------------------------------------------- */
/* The VM lets go of the VF: its data path is synthetic, its filter is back on the default VPort
 * and the guest has no VF miniport left. What remains (DELETE_VPORT, RESET_VF, FREE_VF) is the
 * host's business; the VM may get another VF meanwhile, never this one until it is freed. */
static void
vm_let_go(struct vs_vf *vf)
{
    struct vs_vm *vm = vf->vm;
    if (vm == NULL || vm->vf != vf)
        return;
    vm->vf = NULL;
    if (vm->mig == VS_MIG_FAILOVER)
        vs__migrate_vf_gone(vm);
}

static void
release(struct vs_vf *vf)
{
    struct vstack_world *w = vf_world(vf);
    struct vs_vm *vm = vf->vm;
    sim_timer_stop(&vf->host_tm);
    sim_timer_stop(&vf->guest_tm);
    sim_timer_stop(&vf->assoc_tm);
    if (vf->vpci != NULL) {
        hv_vpci_revoke(vf->vpci);
        vf->vpci = NULL;
    }
    vf->state = vf->index < vf->pf->num_vfs && vf->pf->nic_switch ? VS_VF_FREE : VS_VF_DISABLED;
    vm_let_go(vf);
    vf->vm = NULL;
    vf->step = VS_H_NONE;
    vf->tearing_down = false;
    vf->detach_requested = false;
    vf->eject_pending = false;
    vf->guest_removed = false;
    vf->surprise = false;
    vf->retries = 0;
    struct vstack_event *ev = vs__event(w, VSTACK_EV_VF_FREED, vf->name);
    if (vm != NULL)
        vs__event_str(ev, "vm", vm->name);
    if (!w->destroying)
        vs__vf_freed(w);
}

static void
oid_failed_stuck(struct vs_vf *vf, const char *what)
{
    struct vstack_world *w = vf_world(vf);
    struct vstack_event *ev = vs__event(w, VSTACK_EV_OID_FAILED, vf->name);
    vs__event_str(ev, "step", what);
    vs__event_str(ev, "result", "vf-stuck");
    SIM_WARN(vstack, "%s: %s kept failing; the VF is out of service", vf->name, what);
    vf->state = VS_VF_STUCK;
    if (vf->vpci != NULL) {
        hv_vpci_revoke(vf->vpci);
        vf->vpci = NULL;
    }
    vm_let_go(vf);
    vf->vm = NULL;
}

/* ---- host OIDs ----------------------------------------------------------------------------- */
static void step_done(struct vs_req *r, ndis_status_t st);

static int
submit(struct vs_vf *vf, enum vs_host_step step, enum ndis_request_type type, ndis_oid_t oid,
       const void *buf, uint32_t len, uint32_t out_len)
{
    vf->step = step;
    struct sim_diag d;
    sim_diag_clear(&d);
    int rc = vs__oid_submit(vf->pf, type, oid, buf, len, out_len, step_done, vf, &vf->pending, &d);
    if (rc != 0)
        SIM_WARN(vstack, "%s: cannot submit %s: %s", vf->name, ndis_oid_name(oid), d.reason);
    return rc;
}

static void
go_down(struct vs_vf *vf)
{
    vf->tearing_down = true;
    vf->state = VS_VF_DETACHING;
    host_next(vf);
}

/* NVSP SEND_VF_ASSOCIATION {allocated, serial}: tells NetVSC which VF to team with. */
static void
associate(struct vs_vf *vf)
{
    struct vs_vm *vm = vf->vm;
    (void)netvsp_port_vf_associate(vm->port, true, vf->serial);
    struct vstack_event *ev = vs__event(vm->w, VSTACK_EV_VF_ASSOCIATED, vm->name);
    vs__event_str(ev, "vf", vf->name);
}

/* Withdraw the association (and one still held back by cost.vf_association_delay). */
static void
dissociate(struct vs_vf *vf, struct vs_vm *vm)
{
    sim_timer_stop(&vf->assoc_tm);
    (void)netvsp_port_vf_associate(vm->port, false, 0);
}

static void
assoc_timer(struct sim_timer *t)
{
    struct vs_vf *vf = t->data;
    if (vf->vm != NULL && vf->state == VS_VF_OFFERED && !vf->tearing_down)
        associate(vf);
}

static void
offer(struct vs_vf *vf)
{
    struct vstack_world *w = vf_world(vf);
    struct vs_vm *vm = vf->vm;
    /* Hyper-V sends the association before the VF is offered; cost.vf_association_delay > 0
     * holds it back so the VF can bind first (the order Linux's 2022 fix had to handle). */
    sim_time_t assoc_delay = w->cost[VS_COST_VF_ASSOCIATION_DELAY];
    if (assoc_delay <= 0)
        associate(vf);
    struct hv_vpci_offer_config oc;
    hv_vpci_offer_config_init(vm->guest, &oc);
    oc.offer_delay_ns = w->cost[VS_COST_VF_OFFER_DELAY];
    oc.eject_timeout_ns = w->cost[VS_COST_GRACEFUL_REMOVAL_TIMEOUT];
    oc.timeout_action = HV_VPCI_TIMEOUT_FABRIC_REMOVE;
    oc.serial = vf->serial;
    oc.removed = NULL;
    oc.ctx = vf;
    struct sim_diag d;
    sim_diag_clear(&d);
    oc.removed = vs__vpci_host_removed;
    if (hv_vpci_offer(vm->guest, vf->rid, &oc, &vf->vpci, &d) != 0) {
        SIM_WARN(vstack, "%s: VPCI offer to %s failed: %s", vf->name, vm->name, d.reason);
        dissociate(vf, vm);
        go_down(vf);
        return;
    }
    vf->state = VS_VF_OFFERED;
    if (assoc_delay > 0)
        (void)sim_timer_start(&vf->assoc_tm, assoc_delay);
    struct vstack_event *ev = vs__event(w, VSTACK_EV_VF_OFFERED, vm->name);
    vs__event_str(ev, "vf", vf->name);
    vs__event_dur(ev, "delay", oc.offer_delay_ns);
}

static void
step_done(struct vs_req *r, ndis_status_t st)
{
    struct vs_vf *vf = r->ctx;
    struct vs_vm *vm = vf->vm;
    vf->pending = NULL;
    bool ok = st == NDIS_STATUS_SUCCESS;
    switch (vf->step) {
    case VS_H_ALLOCATE: {
        const struct ndis_nic_switch_vf_parameters *p = (const void *)r->buf;
        if (ok && p->vf_id != vf->index) {
            /* NDIS gives the host no say in which VF ALLOCATE_VF returns: the PF miniport chose
             * another function than the one this slot names. Running the guest on it would make
             * every report name the wrong VF (and a fault aimed at that name hit another VM):
             * give it back (RESET_VF, FREE_VF by the id the PF returned) and fail the attach. */
            vf->allocated = true;
            vf->reset_needed = true;
            vf->vf_id = p->vf_id;
            vf->rid = (uint16_t)p->requestor_id;
            SIM_WARN(vstack, "attach-vf %s: %s asked, but the PF allocated VF %u: giving it back",
                     vm != NULL ? vm->name : "?", vf->name, (unsigned)p->vf_id);
            struct vstack_event *ev =
                vs__event(vf_world(vf), VSTACK_EV_OID_FAILED, vm != NULL ? vm->name : vf->name);
            vs__event_str(ev, "oid", "OID_NIC_SWITCH_ALLOCATE_VF");
            vs__event_str(ev, "status", "NDIS_STATUS_SUCCESS");
            vs__event_str(ev, "result", "another-vf");
            ok = false;
        } else if (ok) {
            vf->allocated = true;
            vf->reset_needed = true;
            vf->vf_id = p->vf_id;
            vf->rid = (uint16_t)p->requestor_id;
            enum vstack_tristate t = VSTACK_UNSET;
            if (vm != NULL && vm->has_policy)
                t = vm->policy.trusted;
            if (t == VSTACK_UNSET && vm != NULL)
                t = vm->sw->policy.trusted;
            if (t != VSTACK_UNSET)
                if (vf->pf->drv->vf_set_trusted != NULL)
                    (void)vf->pf->drv->vf_set_trusted(vf->pf->pf, vf->vf_id, t == VSTACK_TRUE);
        }
        break;
    }
    case VS_H_CREATE_VPORT: {
        const struct ndis_nic_switch_vport_parameters *p = (const void *)r->buf;
        if (ok) {
            vf->has_vport = true;
            vf->vport_id = p->vport_id;
        }
        break;
    }
    case VS_H_SET_FILTER: {
        const struct vs_filter_req *f = (const void *)r->buf;
        if (ok && vm != NULL) {
            vm->filter_id = (uint16_t)f->p.filter_id;
            vm->has_filter = true;
            vm->filter_pf = vf->pf;
            vf->filter_on_vf = true;
        }
        break;
    }
    case VS_H_MOVE_FILTER:
        if (ok)
            vf->filter_on_vf = true;
        break;
    case VS_H_MOVE_BACK:
        if (ok)
            vf->filter_on_vf = false;
        break;
    case VS_H_DELETE_VPORT:
        if (ok)
            vf->has_vport = false;
        break;
    case VS_H_RESET:
        if (vf->flr_fault_count > 0 && --vf->flr_fault_count == 0)
            pcie_fabric_knobs(vf->pf->host->fabric)->flr_timeout = false;
        /* The flr event is the fabric's (host.c fabric_event): logged when the reset ends. */
        if (ok)
            vf->reset_needed = false;
        break;
    case VS_H_FREE:
        if (ok)
            vf->allocated = false;
        break;
    default:
        break;
    }
    if (vf_world(vf)->destroying)
        return; /* world teardown (teardown.c) takes over from the recorded state */
    if (!ok) {
        if (!vf->tearing_down) {
            go_down(vf); /* the attach failed: unwind what was done */
            return;
        }
        /* A teardown step failed: retry after a while, a few times. */
        if (++vf->retries > VS_OID_RETRIES) {
            oid_failed_stuck(vf, ndis_oid_name(r->req.oid));
            return;
        }
        /* Back off: delay, 2 x delay, 4 x delay, ... (a late FLR takes ~1 s to finish). */
        (void)sim_timer_start(&vf->host_tm,
                              vf_world(vf)->cost[VS_COST_OID_RETRY_DELAY] << (vf->retries - 1));
        return;
    }
    vf->retries = 0;
    if (vf->detach_requested && !vf->tearing_down) {
        vf->detach_requested = false;
        go_down(vf);
        return;
    }
    host_next(vf);
}

static void
host_timer(struct sim_timer *t)
{
    struct vs_vf *vf = t->data;
    if (!vf_world(vf)->destroying)
        host_next(vf);
}

/* Decide and issue the next host step. */
static void
host_next(struct vs_vf *vf)
{
    struct vstack_world *w = vf_world(vf);
    struct vs_vm *vm = vf->vm;
    struct vs_pf *pf = vf->pf;
    if (vf->pending != NULL)
        return;
    if (!vf->tearing_down) {
        if (!vf->allocated) {
            struct ndis_nic_switch_vf_parameters p;
            memset(&p, 0, sizeof p);
            vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
            p.switch_id = NDIS_DEFAULT_SWITCH_ID;
            p.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
            p.requestor_id = NDIS_INVALID_RID;
            p.mac_address_length = 6;
            memcpy(p.permanent_mac_address, vm->mac, 6);
            memcpy(p.current_mac_address, vm->mac, 6);
            if (submit(vf, VS_H_ALLOCATE, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ALLOCATE_VF, &p,
                       (uint32_t)sizeof p, (uint32_t)sizeof p) != 0)
                go_down(vf);
            return;
        }
        if (!vf->has_vport) {
            struct ndis_nic_switch_vport_parameters p;
            memset(&p, 0, sizeof p);
            vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
            p.switch_id = NDIS_DEFAULT_SWITCH_ID;
            p.vport_id = NDIS_DEFAULT_VPORT_ID;
            p.attached_function_id = vf->vf_id;
            p.num_queue_pairs = 1;
            p.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
            if (submit(vf, VS_H_CREATE_VPORT, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_VPORT, &p,
                       (uint32_t)sizeof p, (uint32_t)sizeof p) != 0)
                go_down(vf);
            return;
        }
        if (!vf->filter_on_vf) {
            if (vm->has_filter && vm->filter_pf == pf) {
                struct ndis_receive_filter_move_filter_parameters p;
                memset(&p, 0, sizeof p);
                vs__objhdr(&p.header, 1,
                           NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
                p.filter_id = vm->filter_id;
                p.source_vport_id = vs__vm_home_vport(vm); /* default or VMQ VPort */
                p.dest_vport_id = vf->vport_id;
                if (submit(vf, VS_H_MOVE_FILTER, NDIS_REQUEST_SET_INFORMATION,
                           OID_RECEIVE_FILTER_MOVE_FILTER, &p, (uint32_t)sizeof p, 0) != 0)
                    go_down(vf);
            } else {
                struct vs_filter_req fr;
                vs__fill_filter(&fr, vf->vport_id, vm->mac);
                if (submit(vf, VS_H_SET_FILTER, NDIS_REQUEST_METHOD, OID_RECEIVE_FILTER_SET_FILTER,
                           &fr, (uint32_t)sizeof fr, (uint32_t)sizeof fr) != 0)
                    go_down(vf);
            }
            return;
        }
        if (vf->vpci == NULL)
            offer(vf);
        return;
    }
    /* Going down (7.3 steps 1-4). */
    if (vf->removed_event_pending) {
        if (vf->a != NULL) {
            (void)sim_timer_start(&vf->host_tm, SIM_USEC(10)); /* guest still letting go */
            return;
        }
        vf->removed_event_pending = false;
        struct vstack_event *ev = vs__event(w, VSTACK_EV_VF_REMOVED, vm ? vm->name : vf->name);
        bool graceful = vf->removal == HV_VPCI_REMOVAL_GRACEFUL;
        vs__event_str(ev, "kind", graceful ? "graceful" : "surprise");
        vs__event_str(ev, "vf", vf->name);
        if (vf->detach_started != 0)
            vs__event_dur(ev, "duration", sim_sched_now(w->sched) - vf->detach_started);
        if (!graceful) {
            vs__event_num(ev, "lost", (int64_t)vf->lost_at_removal);
            vs__event_str(ev, "cause", "surprise-removal");
        }
    }
    if (vf->filter_on_vf && vm != NULL && vm->has_filter) {
        struct ndis_receive_filter_move_filter_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
        p.filter_id = vm->filter_id;
        p.source_vport_id = vf->vport_id;
        p.dest_vport_id = vs__vm_home_vport(vm); /* default or VMQ VPort */
        if (submit(vf, VS_H_MOVE_BACK, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_MOVE_FILTER,
                   &p, (uint32_t)sizeof p, 0) != 0)
            (void)sim_timer_start(&vf->host_tm, w->cost[VS_COST_OID_RETRY_DELAY]);
        return;
    }
    vf->filter_on_vf = false;
    if (vf->a == NULL && (vf->vpci == NULL || hv_vpci_dev_state(vf->vpci) == HV_VPCI_REMOVED ||
                          hv_vpci_dev_state(vf->vpci) == HV_VPCI_OFFERING))
        vm_let_go(vf);
    if (vf->has_vport) {
        if (vf->a != NULL) {
            /* DELETE_VPORT only once the guest's VF miniport is halted (7.3 step 2). */
            (void)sim_timer_start(&vf->host_tm, SIM_USEC(100));
            return;
        }
        struct ndis_nic_switch_delete_vport_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        p.vport_id = vf->vport_id;
        if (submit(vf, VS_H_DELETE_VPORT, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT,
                   &p, (uint32_t)sizeof p, 0) != 0)
            (void)sim_timer_start(&vf->host_tm, w->cost[VS_COST_OID_RETRY_DELAY]);
        return;
    }
    if (vf->allocated && vf->reset_needed) {
        struct pcie_fabric *fab = pf->host->fabric;
        if (pcie_fabric_fn_state(fab, vf->rid) == PCIE_FN_REMOVED)
            (void)pcie_fn_hot_add(fab, vf->rid); /* reuse a surprise-removed function */
        struct ndis_sriov_reset_vf_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
        p.vf_id = vf->vf_id;
        if (submit(vf, VS_H_RESET, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_RESET_VF, &p,
                   (uint32_t)sizeof p, 0) != 0)
            (void)sim_timer_start(&vf->host_tm, w->cost[VS_COST_OID_RETRY_DELAY]);
        return;
    }
    if (vf->allocated) {
        struct ndis_nic_switch_free_vf_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        p.vf_id = vf->vf_id;
        if (submit(vf, VS_H_FREE, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_FREE_VF, &p,
                   (uint32_t)sizeof p, 0) != 0)
            (void)sim_timer_start(&vf->host_tm, w->cost[VS_COST_OID_RETRY_DELAY]);
        return;
    }
    release(vf);
}

int
vs__attach_start(struct vs_vm *vm, struct vs_vf *vf, struct sim_diag *d)
{
    struct vstack_world *w = vm->w;
    vf->state = VS_VF_ATTACHING;
    vf->vm = vm;
    vm->vf = vf;
    vm->wants_vf = false;
    vm->want = NULL;
    vf->tearing_down = false;
    vf->detach_requested = false;
    vf->serial = w->next_serial++;
    vf->removal = HV_VPCI_REMOVAL_NONE;
    vf->lost_at_removal = 0;
    vf->surprise = false;
    vf->detach_started = 0;
    struct vstack_event *ev = vs__event(w, VSTACK_EV_VF_ASSIGNED, vm->name);
    vs__event_str(ev, "vf", vf->name);
    (void)d;
    host_next(vf);
    return 0;
}

int
vs__detach_start(struct vs_vm *vm, enum vstack_detach_mode mode, struct sim_diag *d)
{
    struct vs_vf *vf = vm->vf;
    if (vf == NULL)
        return sim_diag_fail(d, SIM_ESTATE, "detach-vf %s: the VM has no VF", vm->name);
    if (vf->state == VS_VF_DETACHING || vf->tearing_down)
        return sim_diag_fail(d, SIM_ESTATE, "detach-vf %s: %s is already being detached", vm->name,
                             vf->name);
    vf->detach_mode = mode;
    vf->detach_started = sim_sched_now(vm->w->sched);
    if (vf->state == VS_VF_ATTACHING) {
        if (vf->pending != NULL)
            vf->detach_requested = true; /* unwinds when the running OID completes */
        else
            go_down(vf);
        return 0;
    }
    /* OFFERED */
    enum hv_vpci_state vs = vf->vpci ? hv_vpci_dev_state(vf->vpci) : HV_VPCI_REMOVED;
    if (vs == HV_VPCI_OFFERING) {
        /* The guest never saw it: withdraw the offer. */
        hv_vpci_revoke(vf->vpci);
        vf->vpci = NULL;
        dissociate(vf, vm);
        struct vstack_event *ev = vs__event(vm->w, VSTACK_EV_VF_REVOKED, vm->name);
        vs__event_str(ev, "vf", vf->name);
        go_down(vf);
        return 0;
    }
    if (mode == VSTACK_DETACH_SURPRISE) {
        /* The surprise-removal event is the fabric's (host.c fabric_event). */
        int rc = pcie_fn_surprise_remove(vf->pf->host->fabric, vf->rid);
        if (rc != 0)
            return sim_diag_fail(d, rc, "detach-vf %s: surprise removal of %s failed", vm->name,
                                 vf->name);
        return 0;
    }
    vf->state = VS_VF_DETACHING;
    int rc = hv_vpci_eject(vf->vpci, vm->w->cost[VS_COST_GRACEFUL_REMOVAL_TIMEOUT], d);
    if (rc != 0)
        return rc;
    return 0;
}

/* ---- guest side ---------------------------------------------------------------------------- */
static void guest_down_continue(struct vs_vf *vf);

static void
guest_bring_up(struct vs_vf *vf)
{
    struct vstack_world *w = vf_world(vf);
    struct vs_vm *vm = vf->vm;
    struct sim_diag d;
    sim_diag_clear(&d);
    int64_t slots = w->cost[VS_LIMIT_VF_RING];
    struct vf_config c = {
        .name = vf->name,
        .guest = vm->guest,
        .rid = vf->rid,
        .serial = vf->serial,
        .ring_slots = slots == 256 ? 0 : (unsigned)slots,
        .drop_sink = &w->sink,
        .trace = w->trace,
    };
    if (vf_adapter_create(&c, &vf->a, &d) != 0) {
        SIM_WARN(vstack, "%s: VF miniport create failed: %s", vf->name, d.reason);
        return;
    }
    vf->mp = vf_adapter_miniport(vf->a);
    ndis_status_t st = 0;
    if (ndis_miniport_initialize(vf->mp, &st, &d) != 0 ||
        ndis_miniport_restart(vf->mp, &st, &d) != 0) {
        SIM_WARN(vstack, "%s: VF miniport did not start: %s", vf->name, d.reason);
        vs__vf_guest_force_down(vf);
        return;
    }
    vf->gstep = VS_G_WAIT_RUNNING;
    (void)sim_timer_start(&vf->guest_tm, SIM_USEC(50));
}

static void
guest_timer(struct sim_timer *t)
{
    struct vs_vf *vf = t->data;
    struct vs_vm *vm = vf->vm;
    if (vf_world(vf)->destroying && vf->gstep != VS_G_WAIT_PAUSED)
        return;
    switch (vf->gstep) {
    case VS_G_NONE:
        if (vf->a == NULL && vm != NULL && vf->vpci != NULL &&
            hv_vpci_dev_state(vf->vpci) == HV_VPCI_PRESENT)
            guest_bring_up(vf);
        return;
    case VS_G_WAIT_RUNNING: {
        if (vf->mp == NULL)
            return;
        enum ndis_miniport_state s = ndis_miniport_state(vf->mp);
        if (s == NDIS_MINIPORT_RESTARTING) {
            (void)sim_timer_start(&vf->guest_tm, SIM_USEC(50));
            return;
        }
        vf->gstep = VS_G_NONE;
        if (s != NDIS_MINIPORT_RUNNING || vm == NULL || vm->ad == NULL) {
            SIM_WARN(vstack, "%s: VF miniport ended %s: %s", vf->name, ndis_miniport_state_name(s),
                     vf_adapter_last_error(vf->a)->reason);
            vs__vf_guest_force_down(vf);
            return;
        }
        struct sim_diag d;
        sim_diag_clear(&d);
        ndis_status_t st = 0;
        if (ndis_bind(netvsc_adapter_protocol(vm->ad), vf->mp, &vf->b, &st, &d) != 0) {
            SIM_WARN(vstack, "%s: NetVSC could not bind: %s", vf->name, d.reason);
            vf->b = NULL;
        }
        return;
    }
    case VS_G_WAIT_PAUSED:
        guest_down_continue(vf);
        return;
    case VS_G_FORCE_DOWN:
        vs__vf_guest_force_down(vf);
        return;
    }
}

/* The guest lets go of the VF: unbind NetVSC, pause, halt and free the VF miniport; then, if an
 * eject is pending, acknowledge it. Asynchronous when the pause pends. */
void
vs__vf_guest_force_down(struct vs_vf *vf)
{
    sim_timer_stop(&vf->guest_tm);
    vf->gstep = VS_G_NONE;
    if (vf->b != NULL) {
        (void)ndis_unbind(vf->b, NULL);
        vf->b = NULL;
    }
    if (vf->mp != NULL) {
        enum ndis_miniport_state s = ndis_miniport_state(vf->mp);
        if (s == NDIS_MINIPORT_RUNNING) {
            ndis_status_t st = 0;
            (void)ndis_miniport_pause(vf->mp, &st, NULL);
        }
    }
    guest_down_continue(vf);
    if (vf->a != NULL && vf_world(vf)->destroying) {
        /* World teardown: finish now. */
        struct sim_sched *s = vf_world(vf)->sched;
        for (long i = 0; i < 1000000 && vf->a != NULL; i++)
            if (sim_sched_step(s) == 0)
                break;
    }
}

static void
guest_down_continue(struct vs_vf *vf)
{
    if (vf->mp != NULL) {
        enum ndis_miniport_state s = ndis_miniport_state(vf->mp);
        if (s == NDIS_MINIPORT_PAUSING || s == NDIS_MINIPORT_RESTARTING) {
            vf->gstep = VS_G_WAIT_PAUSED;
            (void)sim_timer_start(&vf->guest_tm, SIM_USEC(20));
            return;
        }
        if (s == NDIS_MINIPORT_RUNNING) {
            ndis_status_t st = 0;
            (void)ndis_miniport_pause(vf->mp, &st, NULL);
            vf->gstep = VS_G_WAIT_PAUSED;
            (void)sim_timer_start(&vf->guest_tm, SIM_USEC(20));
            return;
        }
        if (s != NDIS_MINIPORT_HALTED && ndis_miniport_halt(vf->mp, NULL) != 0) {
            vf->gstep = VS_G_WAIT_PAUSED; /* OIDs still queued: try again */
            (void)sim_timer_start(&vf->guest_tm, SIM_USEC(20));
            return;
        }
        if (vf->surprise) {
            struct vf_stats st;
            vf_adapter_stats(vf->a, &st);
            vf->lost_at_removal = st.tx_removed + st.rx_removed;
        }
        (void)vf_adapter_destroy(vf->a);
        vf->a = NULL;
        vf->mp = NULL;
    }
    vf->gstep = VS_G_NONE;
    if (vf->eject_pending && vf->vpci != NULL) {
        vf->eject_pending = false;
        (void)hv_vpci_eject_ack(vf->vpci); /* removed(GRACEFUL): guest, then host */
    }
}

static void
vpci_arrival(void *ctx, struct hv_vpci_dev *dev)
{
    struct vs_vm *vm = ctx;
    struct vs_vf *vf = vm->vf;
    if (vf == NULL || vf->vpci != dev)
        return;
    struct vstack_event *ev = vs__event(vm->w, VSTACK_EV_VF_ADDED, vm->name);
    vs__event_str(ev, "vf", vf->name);
    vf->gstep = VS_G_NONE;
    (void)sim_timer_start(&vf->guest_tm, vm->w->cost[VS_COST_VF_INIT_DELAY]);
}

static void
vpci_eject_request(void *ctx, struct hv_vpci_dev *dev)
{
    struct vs_vm *vm = ctx;
    struct vs_vf *vf = vm->vf;
    if (vf == NULL || vf->vpci != dev)
        return;
    vf->eject_pending = true;
    if (vf->b != NULL && vm->ad != NULL) {
        /* NETDEV_GOING_DOWN: TX leaves the VF now; vf_released (vm.c) finishes the job. */
        int rc = netvsc_adapter_vf_going_down(vm->ad);
        if (rc == 0)
            return;
    }
    vs__vf_guest_force_down(vf);
}

static void
vpci_guest_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    struct vs_vm *vm = ctx;
    struct vs_vf *vf = vm->vf;
    if (vf == NULL || vf->vpci != dev)
        return;
    vf->guest_removed = true;
    vf->eject_pending = false;
    if (kind == HV_VPCI_REMOVAL_SURPRISE)
        vf->surprise = true;
    if (vf->a != NULL) {
        /* Let the fabric's removal reach the VF miniport first (it completes what was in
         * flight and counts it), then let go of it from the loop. */
        sim_timer_stop(&vf->guest_tm);
        vf->gstep = VS_G_FORCE_DOWN;
        (void)sim_timer_start(&vf->guest_tm, 0);
    }
}

const struct hv_vpci_guest_ops vs__vpci_guest_ops = {
    .arrival = vpci_arrival,
    .eject_request = vpci_eject_request,
    .removed = vpci_guest_removed,
};

/* Host notification: the VF left the guest (graceful ack, eject timeout, fabric removal). */
void
vs__vpci_host_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    struct vs_vf *vf = ctx;
    struct vs_vm *vm = vf->vm;
    if (vf->vpci != dev || vm == NULL)
        return;
    vf->removed_event_pending = true;
    vf->removal = kind;
    dissociate(vf, vm);
    /* Continue from the loop, not inside hv's callback. */
    vf->tearing_down = true;
    vf->state = VS_VF_DETACHING;
    (void)sim_timer_start(&vf->host_tm, 0);
}
