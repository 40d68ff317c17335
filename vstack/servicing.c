/* SPDX-License-Identifier: MIT */
/*
 * servicing.c — host servicing: every VF of a host is revoked (graceful detach) for a while,
 * traffic continues on the synthetic path, then the VMs that had a VF get one again.
 *
 * Windows / Hyper-V counterpart: Azure host servicing (peers.md 7), which revokes the VF for
 * ~30 s to minutes while the guest keeps its connectivity over NetVSC's synthetic path.
 */
#include <string.h>

#include "vstack/vstack_int.h"

static void
servicing_end(struct sim_timer *t)
{
    struct vs_host *h = t->data;
    struct vstack_world *w = h->w;
    h->servicing = false;
    vs__event(w, VSTACK_EV_SERVICING_ENDED, h->name);
    for (size_t i = 0; i < w->n_vms; i++) {
        struct vs_vm *vm = w->vms[i];
        if (vm->host != h || !vm->reattach_after || vm->state != VS_VM_RUNNING)
            continue;
        vm->reattach_after = false;
        if (vm->vf == NULL && !vm->wants_vf)
            (void)vstack_vf_attach(w, vm->name, "auto", NULL);
    }
    vs__vf_freed(w); /* VMs that queued meanwhile */
}

int
vstack_servicing(struct vstack_world *w, const char *host, sim_time_t duration, struct sim_diag *d)
{
    struct vs_host *h = vs__host(w, host);
    if (h == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "servicing %s: no such host", host ? host : "(null)");
    if (duration < 0)
        return sim_diag_fail(d, SIM_EINVAL, "servicing %s: negative duration", host);
    if (h->servicing)
        return sim_diag_fail(d, SIM_EBUSY, "servicing %s: servicing is already running", host);
    h->servicing = true;
    struct vstack_event *ev = vs__event(w, VSTACK_EV_SERVICING_STARTED, h->name);
    vs__event_dur(ev, "duration", duration);
    for (size_t i = 0; i < w->n_vms; i++) {
        struct vs_vm *vm = w->vms[i];
        if (vm->host != h || vm->state != VS_VM_RUNNING)
            continue;
        if (vm->vf != NULL) {
            vm->reattach_after = true;
            struct vstack_event *e2 = vs__event(w, VSTACK_EV_VF_REVOKED, vm->name);
            vs__event_str(e2, "vf", vm->vf->name);
            vs__event_str(e2, "reason", "servicing");
            if (!vm->vf->tearing_down && vm->vf->state != VS_VF_DETACHING)
                (void)vs__detach_start(vm, VSTACK_DETACH_GRACEFUL, NULL);
        }
    }
    sim_timer_init(w->sched, &h->serv_tm, servicing_end, h);
    return sim_timer_start(&h->serv_tm, duration);
}
