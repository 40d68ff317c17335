/* SPDX-License-Identifier: MIT */
/*
 * hotplug.c — hot add, graceful removal and surprise removal of functions. Windows
 * counterpart: PnP arrival, IRP_MN_QUERY_REMOVE_DEVICE / IRP_MN_REMOVE_DEVICE (graceful, the
 * driver gets to quiesce) and IRP_MN_SURPRISE_REMOVAL (the device is already gone); in Hyper-V
 * the VPCI "eject" of a VF, which becomes a surprise removal when the guest does not answer in
 * time (ndis_sriov.md 15). A removed function answers nothing: config and MMIO read all-ones,
 * its DMA and interrupts are blocked.
 */
#include <string.h>

#include "pcie/pcie_int.h"

static void do_remove(struct pcie_fn *fn, bool surprise, bool timed_out);

static void
remove_timeout_cb(struct sim_timer *t)
{
    struct pcie_fn *fn = t->data;
    char b[PCIE_RID_STRLEN];
    SIM_INFO(pcie, "%s: graceful removal not acknowledged in time: surprise removal",
             pcie_rid_format(fn->rid, b, sizeof(b)));
    do_remove(fn, true, true);
}

void
pcie__hotplug_timer_init(struct pcie_fn *fn)
{
    sim_timer_init(fn->fabric->sched, &fn->remove_timer, remove_timeout_cb, fn);
}

void
pcie__fn_quiesce(struct pcie_fn *fn)
{
    struct pcie_fabric *f = fn->fabric;
    sim_timer_stop(&fn->flr_timer);
    sim_timer_stop(&fn->remove_timer);
    fn->remove_pending = false;
    fn->epoch++;
    pcie__msix_reset(fn, false);
    if (sim_timer_stop(&fn->flr_bound)) {
        /* A pcie_flr() wait in progress completes exactly once: the function is gone. */
        pcie_flr_done_fn done = fn->flr_done;
        void *ctx = fn->flr_ctx;
        fn->flr_done = NULL;
        fn->flr_ctx = NULL;
        if (done && !f->destroying)
            done(ctx, fn->rid, SIM_ENODEV);
    }
}

static void
do_remove(struct pcie_fn *fn, bool surprise, bool timed_out)
{
    struct pcie_fabric *f = fn->fabric;
    bool announced = fn->state == PCIE_FN_READY || fn->state == PCIE_FN_IN_RESET;
    if (fn->vf_index < 0 && fn->pfx->num_vfs)
        pcie__vfs_disable(fn, true, true); /* the device is gone, its VFs with it */
    pcie__fn_quiesce(fn);
    pcie__unlink(fn);
    fn->state = PCIE_FN_REMOVED;
    if (surprise)
        f->stats.surprise_removals++;
    else
        f->stats.graceful_removals++;
    if (!announced)
        return;
    struct pcie_event ev = {.type = PCIE_EV_FN_REMOVED,
                            .rid = fn->rid,
                            .is_vf = fn->vf_index >= 0,
                            .surprise = surprise,
                            .timed_out = timed_out};
    pcie__emit(f, &ev);
}

int
pcie_fn_surprise_remove(struct pcie_fabric *f, uint16_t rid)
{
    if (!f)
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!fn)
        return SIM_ENODEV;
    do_remove(fn, true, false);
    return 0;
}

int
pcie_fn_remove_request(struct pcie_fabric *f, uint16_t rid, sim_time_t timeout_ns)
{
    if (!f || timeout_ns < 0)
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!fn || fn->state != PCIE_FN_READY)
        return SIM_ENODEV;
    if (fn->remove_pending)
        return SIM_EBUSY;
    if (timeout_ns > 0) {
        int err = sim_timer_start(&fn->remove_timer, timeout_ns);
        if (err)
            return err;
    }
    fn->remove_pending = true;
    struct pcie_event ev = {
        .type = PCIE_EV_FN_REMOVE_REQUESTED, .rid = rid, .is_vf = fn->vf_index >= 0};
    pcie__emit(f, &ev);
    return 0;
}

int
pcie_fn_remove_ack(struct pcie_fabric *f, uint16_t rid)
{
    if (!f)
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!fn)
        return SIM_ENODEV;
    if (!fn->remove_pending)
        return SIM_ESTATE;
    do_remove(fn, false, false);
    return 0;
}

static void
readd(struct pcie_fn *fn)
{
    struct pcie_fabric *f = fn->fabric;
    memcpy(fn->cfg, fn->cfg_reset, sizeof(fn->cfg));
    pcie__msix_reset(fn, false);
    if (fn->vf_index < 0)
        pcie__assign_bars(fn);
    fn->epoch++;
    pcie__link(fn);
    fn->state = PCIE_FN_READY;
    f->stats.hot_adds++;
    struct pcie_event ev = {.type = PCIE_EV_FN_ADDED, .rid = fn->rid, .is_vf = fn->vf_index >= 0};
    pcie__emit(f, &ev);
}

int
pcie_fn_hot_add(struct pcie_fabric *f, uint16_t rid)
{
    if (!f)
        return SIM_EINVAL;
    if (pcie__lookup(f, rid))
        return SIM_EEXIST;
    for (struct pcie_fn *pf = f->pfs; pf; pf = pf->pfx->next) {
        if (pf->rid == rid && pf->state == PCIE_FN_REMOVED) {
            readd(pf);
            return 0;
        }
        if (!pcie__fn_answers(pf))
            continue;
        for (uint16_t i = 0; i < pf->pfx->num_vfs; i++) {
            struct pcie_fn *vf = pf->pfx->vfs[i];
            if (vf->rid == rid && vf->state == PCIE_FN_REMOVED) {
                readd(vf);
                return 0;
            }
        }
    }
    return SIM_ENOENT;
}
