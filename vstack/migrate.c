/* SPDX-License-Identifier: MIT */
/*
 * migrate.c — live migration of a VM between hosts on the virtual clock (ndis_sriov.md 7.6):
 * failover to synthetic on the source (the graceful VF detach of failover.c), save of the
 * switch-port state (MAC, port policy, priority), pre-copy while the VM runs, blackout (the VM
 * is paused: its sends wait, frames to it are dropped with cause `paused`), restore on the
 * destination (a port with the same MAC and policy on the destination host's switch, NetVSC
 * reconnected, the MAC filter on the destination PF's default VPort), then VF bring-up there if
 * the VM had one (a free VF now, or the next one freed).
 *
 * Windows / Hyper-V counterpart: VMMS live migration (Move-VM) with OID_SWITCH_NIC_SAVE /
 * OID_SWITCH_NIC_RESTORE on the extensible switch; the guest's NetVSC falling back to the
 * synthetic path before the VF disappears.
 *
 * Model note: the guest partition is re-created on the destination (each host has its own
 * PCIe fabric and the VF comes from the destination's); the guest application endpoint and its
 * flows persist, so flow figures span the migration.
 */
#include <string.h>

#include "vstack/vstack_int.h"

static void mig_timer(struct sim_timer *t);

static struct vs_switch *
dest_switch(struct vstack_world *w, const struct vs_vm *vm, const struct vs_host *to)
{
    const char *suffix = strchr(vm->sw->name, '.');
    struct vs_switch *first = NULL;
    for (size_t i = 0; i < w->n_sws; i++) {
        struct vs_switch *sw = w->sws[i];
        if (sw->host != to)
            continue;
        if (first == NULL)
            first = sw;
        if (suffix != NULL && strcmp(strchr(sw->name, '.'), suffix) == 0)
            return sw;
    }
    return first;
}

int
vstack_migrate(struct vstack_world *w, const char *name, const char *to_host, sim_time_t precopy,
               sim_time_t blackout, struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "migrate %s: no such VM", name ? name : "(null)");
    struct vs_host *to = vs__host(w, to_host);
    if (to == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "migrate %s: no host %s", name,
                             to_host ? to_host : "(null)");
    if (vm->state != VS_VM_RUNNING)
        return sim_diag_fail(d, SIM_ESTATE, "migrate %s: the VM is already migrating", name);
    if (to == vm->host)
        return sim_diag_fail(d, SIM_EINVAL, "migrate %s: the VM already runs on %s", name, to_host);
    struct vs_switch *sw = dest_switch(w, vm, to);
    if (sw == NULL)
        return sim_diag_fail(d, SIM_ESTATE, "migrate %s: host %s has no virtual switch", name,
                             to_host);
    vm->state = VS_VM_MIGRATING;
    vm->mig_to = to;
    vm->mig_precopy = precopy >= 0 ? precopy : w->cost[VS_COST_MIGRATION_PRECOPY];
    vm->mig_blackout = blackout >= 0 ? blackout : w->cost[VS_COST_MIGRATION_BLACKOUT];
    vm->mig_started = sim_sched_now(w->sched);
    vm->reattach_after = vm->vf != NULL || vm->wants_vf;
    vm->wants_vf = false;
    vm->want = NULL;
    sim_timer_init(w->sched, &vm->mig_tm, mig_timer, vm);
    struct vstack_event *ev = vs__event(w, VSTACK_EV_MIGRATION_STARTED, vm->name);
    vs__event_str(ev, "from", vm->host->name);
    vs__event_str(ev, "to", to->name);
    vm->mig = VS_MIG_FAILOVER;
    if (vm->vf != NULL) {
        if (!vm->vf->tearing_down && vm->vf->state != VS_VF_DETACHING)
            (void)vs__detach_start(vm, VSTACK_DETACH_GRACEFUL, NULL);
        return 0; /* release() calls vs__migrate_vf_gone */
    }
    vs__migrate_vf_gone(vm);
    return 0;
}

/* The source is on synthetic with no VF: save the port state and pre-copy. */
void
vs__migrate_vf_gone(struct vs_vm *vm)
{
    vm->mig = VS_MIG_PRECOPY;
    (void)sim_timer_start(&vm->mig_tm, vm->mig_precopy);
}

static void
restore(struct vs_vm *vm)
{
    struct vstack_world *w = vm->w;
    /* Save: what the destination port needs (MAC, policy, priority) lives in vm; the source
     * port, channel and NetVSC go away; frames still in the channel are reported by hv. */
    (void)vs__vm_filter_clear(vm);
    (void)vs__vm_vmq_release(vm); /* after its filter: CLEAR_FILTER, then DELETE_VPORT */
    vs__vm_guest_destroy(vm);
    struct vs_switch *sw = dest_switch(w, vm, vm->mig_to);
    vm->sw = sw;
    vm->host = vm->mig_to;
    struct sim_diag d;
    sim_diag_clear(&d);
    if (vs__vm_guest_create(vm, vm->mig_to, &d) != 0) {
        SIM_ERROR(vstack, "migrate %s: restore on %s failed: %s", vm->name, vm->mig_to->name,
                  d.reason);
        vm->state = VS_VM_OFF;
        vm->mig = VS_MIG_NONE;
        return;
    }
}

static void
mig_timer(struct sim_timer *t)
{
    struct vs_vm *vm = t->data;
    struct vstack_world *w = vm->w;
    if (vm->mig == VS_MIG_PRECOPY) {
        vm->mig = VS_MIG_BLACKOUT;
        vm->paused = true;
        struct vstack_event *ev = vs__event(w, VSTACK_EV_MIGRATION_BLACKOUT, vm->name);
        vs__event_dur(ev, "duration", vm->mig_blackout);
        restore(vm);
        if (vm->state == VS_VM_OFF)
            return;
        (void)sim_timer_start(&vm->mig_tm, vm->mig_blackout);
        return;
    }
    if (vm->mig == VS_MIG_BLACKOUT) {
        vm->mig = VS_MIG_NONE;
        vm->paused = false;
        vm->state = VS_VM_RUNNING;
        (void)vs__vm_filter_set(vm, NULL);
        struct vstack_event *ev = vs__event(w, VSTACK_EV_MIGRATION_DONE, vm->name);
        vs__event_str(ev, "host", vm->host->name);
        vs__event_dur(ev, "duration", sim_sched_now(w->sched) - vm->mig_started);
        if (vm->reattach_after) {
            vm->reattach_after = false;
            struct sim_diag d;
            sim_diag_clear(&d);
            if (vstack_vf_attach(w, vm->name, "auto", &d) != 0)
                SIM_INFO(vstack, "migrate %s: no VF on %s: %s", vm->name, vm->host->name, d.reason);
        }
    }
}
