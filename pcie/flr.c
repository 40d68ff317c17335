/* SPDX-License-Identifier: MIT */
/*
 * flr.c — Function Level Reset. Writing Initiate FLR (PCIe Device Control bit 15) resets the
 * function: config space back to its power-on values, MSI-X table masked and pending bits and
 * in-flight messages dropped, the device model's own state reset through its flr callback; a PF
 * FLR also clears VF Enable, so its VFs vanish. The function does not answer until the reset
 * completes, within the 100 ms bound (ndis_sriov.md 12.5) unless the flr_timeout knob makes it
 * late. Windows counterpart: OID_SRIOV_RESET_VF, which the PF miniport implements as an FLR of
 * one VF that must not disturb any other function.
 */
#include <string.h>

#include "pcie/pcie_int.h"

static void
flr_complete_cb(struct sim_timer *t)
{
    struct pcie_fn *fn = t->data;
    struct pcie_fabric *f = fn->fabric;
    if (fn->state != PCIE_FN_IN_RESET)
        return;
    fn->state = PCIE_FN_READY;
    f->stats.flr_completed++;
    bool late = sim_sched_now(f->sched) - fn->flr_started_at > PCIE_FLR_BOUND_NS;
    char b[PCIE_RID_STRLEN];
    SIM_DEBUG(pcie, "%s: FLR complete%s", pcie_rid_format(fn->rid, b, sizeof(b)),
              late ? " (past the 100 ms bound)" : "");
    struct pcie_event ev = {.type = PCIE_EV_FLR_DONE,
                            .rid = fn->rid,
                            .is_vf = fn->vf_index >= 0,
                            .status = late ? SIM_ETIMEDOUT : 0};
    pcie__emit(f, &ev);
}

/* The driver's wait (pcie_flr): at the bound, does the function answer again? */
static void
flr_bound_cb(struct sim_timer *t)
{
    struct pcie_fn *fn = t->data;
    pcie_flr_done_fn done = fn->flr_done;
    void *ctx = fn->flr_ctx;
    fn->flr_done = NULL;
    fn->flr_ctx = NULL;
    int status = 0;
    if (fn->state == PCIE_FN_IN_RESET) {
        fn->fabric->stats.flr_timeouts++;
        status = SIM_ETIMEDOUT;
        char b[PCIE_RID_STRLEN];
        SIM_WARN(pcie, "%s: FLR not complete within 100 ms",
                 pcie_rid_format(fn->rid, b, sizeof(b)));
    }
    if (done)
        done(ctx, fn->rid, status);
}

void
pcie__fn_timers_init(struct pcie_fn *fn)
{
    struct sim_sched *s = fn->fabric->sched;
    sim_timer_init(s, &fn->flr_timer, flr_complete_cb, fn);
    sim_timer_init(s, &fn->flr_bound, flr_bound_cb, fn);
    pcie__hotplug_timer_init(fn);
}

void
pcie__flr_start(struct pcie_fn *fn)
{
    struct pcie_fabric *f = fn->fabric;
    struct pcie_fn *pf = fn->pf;
    struct pcie_pf_ext *x = pf->pfx;
    char b[PCIE_RID_STRLEN];
    pcie_rid_format(fn->rid, b, sizeof(b));
    SIM_DEBUG(pcie, "%s: FLR initiated", b);
    f->stats.flr_started++;
    fn->flr_started_at = sim_sched_now(f->sched);
    /* A PF reset clears its SR-IOV capability, VF Enable included: the VFs disappear. */
    if (fn->vf_index < 0 && fn->ecap_sriov && x->num_vfs)
        pcie__vfs_disable(fn, true, true);
    fn->state = PCIE_FN_IN_RESET;
    fn->epoch++;
    memcpy(fn->cfg, fn->cfg_reset, sizeof(fn->cfg));
    pcie__msix_reset(fn, true); /* the OS's handler connection survives; hardware state not */
    if (x->ops.flr) {
        x->busy++;
        x->ops.flr(x->ctx, fn);
        x->busy--;
    }
    sim_time_t dur = f->knobs.flr_timeout ? PCIE_FLR_LATE_NS : PCIE_FLR_DURATION_NS;
    if (sim_timer_start(&fn->flr_timer, dur) != 0)
        flr_complete_cb(&fn->flr_timer); /* cannot schedule: complete at once */
    if (x->destroy_deferred && x->busy == 0) {
        x->destroy_deferred = false;
        pcie_pf_destroy(pf);
    }
}

int
pcie_flr(struct pcie_fabric *f, uint16_t rid, pcie_flr_done_fn done, void *ctx)
{
    if (!f)
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (fn && fn->state == PCIE_FN_IN_RESET)
        return SIM_EBUSY;
    if (!pcie__fn_answers(fn))
        return SIM_ENODEV;
    if (!fn->cap_exp ||
        !(pcie__cfg_get(fn, (uint16_t)(fn->cap_exp + PCIE_EXP_DEVCAP), 4) & PCIE_EXP_DEVCAP_FLR))
        return SIM_ENOTSUP;
    if (sim_timer_is_pending(&fn->flr_bound))
        return SIM_EBUSY;
    int err = sim_timer_start(&fn->flr_bound, PCIE_FLR_BOUND_NS);
    if (err)
        return err;
    fn->flr_done = done;
    fn->flr_ctx = ctx;
    uint16_t devctl = (uint16_t)(fn->cap_exp + PCIE_EXP_DEVCTL);
    uint32_t v = pcie__cfg_get(fn, devctl, 2);
    return pcie_cfg_write(f, rid, devctl, 2, v | PCIE_EXP_DEVCTL_BCR_FLR);
}
