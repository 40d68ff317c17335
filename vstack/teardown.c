/* SPDX-License-Identifier: MIT */
/*
 * teardown.c — PF teardown in the documented order (ndis_sriov.md 7.7): every receive filter
 * cleared (default and non-default VPorts), every non-default VPort deleted, every VF reset
 * and freed, then DELETE_SWITCH, then MiniportPause + MiniportHaltEx, then the device leaves
 * the fabric. Runs the virtual clock until each OID completed (world teardown only).
 *
 * Windows counterpart: NDIS unbinding the protocols and filters of a PF before halting it (each
 * clears its filters, deletes its VPorts and frees its VFs), issuing OID_NIC_SWITCH_DELETE_SWITCH
 * for every switch and then calling MiniportHaltEx.
 */
#include <string.h>

#include "vstack/vstack_int.h"

static ndis_status_t
clear_filter(struct vs_pf *pf, uint32_t filter_id)
{
    struct ndis_receive_filter_clear_parameters p;
    memset(&p, 0, sizeof p);
    vs__objhdr(&p.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
    p.filter_id = filter_id;
    return vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_CLEAR_FILTER, &p,
                        (uint32_t)sizeof p, 0);
}

static void
check(struct vs_pf *pf, const char *what, ndis_status_t st)
{
    if (st != NDIS_STATUS_SUCCESS) {
        char b[16];
        SIM_ERROR(vstack, "%s teardown: %s -> %s (%s)", pf->name, what,
                  ndis_status_str(st, b, sizeof b), pf->drv->last_refusal != NULL ? pf->drv->last_refusal(pf->pf) : "");
    }
}

void
vs__pf_teardown(struct vs_pf *pf)
{
    struct vstack_world *w = pf->host->w;
    vs__pf_drain(pf);
    /* Guests let go of their VFs first (their VF miniports must be halted, 7.3 step 2). */
    for (uint16_t i = 0; i < pf->total_vfs; i++) {
        struct vs_vf *vf = &pf->vfs[i];
        sim_timer_stop(&vf->host_tm);
        sim_timer_stop(&vf->assoc_tm);
        if (vf->a != NULL)
            vs__vf_guest_force_down(vf);
        if (vf->vpci != NULL) {
            hv_vpci_revoke(vf->vpci);
            vf->vpci = NULL;
        }
    }
    vs__pf_drain(pf);
    /* 1. Clear every filter. */
    for (size_t i = 0; i < w->n_vms; i++) {
        struct vs_vm *vm = w->vms[i];
        if (vm->has_filter && vm->filter_pf == pf) {
            check(pf, "CLEAR_FILTER", clear_filter(pf, vm->filter_id));
            vm->has_filter = false;
        }
    }
    for (uint16_t i = 0; i < pf->total_vfs; i++)
        pf->vfs[i].filter_on_vf = false;
    /* 2. Delete every non-default VPort: the VMs' VMQ VPorts, then the VFs'. */
    for (size_t i = 0; i < w->n_vms; i++) {
        struct vs_vm *vm = w->vms[i];
        if (!vm->has_vmq_vport || vm->vmq_pf != pf)
            continue;
        struct ndis_nic_switch_delete_vport_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        p.vport_id = vm->vmq_vport;
        check(pf, "DELETE_VPORT",
              vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p,
                           (uint32_t)sizeof p, 0));
        vm->has_vmq_vport = false;
    }
    for (uint16_t i = 0; i < pf->total_vfs; i++) {
        struct vs_vf *vf = &pf->vfs[i];
        if (!vf->has_vport)
            continue;
        struct ndis_nic_switch_delete_vport_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        p.vport_id = vf->vport_id;
        check(pf, "DELETE_VPORT",
              vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p,
                           (uint32_t)sizeof p, 0));
        vf->has_vport = false;
    }
    /* 3. Reset (FLR) and free every VF. */
    pcie_fabric_knobs(pf->host->fabric)->flr_timeout = false;
    for (uint16_t i = 0; i < pf->total_vfs; i++) {
        struct vs_vf *vf = &pf->vfs[i];
        if (!vf->allocated)
            continue;
        if (pcie_fabric_fn_state(pf->host->fabric, vf->rid) == PCIE_FN_REMOVED)
            (void)pcie_fn_hot_add(pf->host->fabric, vf->rid);
        /* A reset still running (a late FLR, a RESET_VF of the host's own retry) must finish
         * before the PF can start the one FREE_VF needs: RESET_VF would fail "busy". */
        for (long k = 0; k < 10000000 &&
                         pcie_fabric_fn_state(pf->host->fabric, vf->rid) == PCIE_FN_IN_RESET;
             k++)
            if (sim_sched_step(w->sched) == 0)
                break;
        vs__pf_drain(pf);
        struct ndis_sriov_reset_vf_parameters r;
        memset(&r, 0, sizeof r);
        vs__objhdr(&r.header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
        r.vf_id = vf->vf_id;
        check(pf, "RESET_VF",
              vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_RESET_VF, &r,
                           (uint32_t)sizeof r, 0));
        struct ndis_nic_switch_free_vf_parameters f;
        memset(&f, 0, sizeof f);
        vs__objhdr(&f.header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        f.vf_id = vf->vf_id;
        check(pf, "FREE_VF",
              vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_FREE_VF, &f,
                           (uint32_t)sizeof f, 0));
        vf->allocated = false;
        if (vf->vm != NULL && vf->vm->vf == vf)
            vf->vm->vf = NULL;
        vf->vm = NULL;
    }
    /* 4. DELETE_SWITCH. */
    if (pf->nic_switch) {
        struct ndis_nic_switch_delete_switch_parameters p;
        memset(&p, 0, sizeof p);
        vs__objhdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
        p.switch_id = NDIS_DEFAULT_SWITCH_ID;
        check(pf, "DELETE_SWITCH",
              vs__oid_sync(pf, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_SWITCH, &p,
                           (uint32_t)sizeof p, 0));
        pf->nic_switch = false;
    }
    vs__pf_drain(pf);
    /* 5. Pause and halt the PF miniport, then the device leaves the fabric. */
    if (ndis_miniport_state(pf->mp) == NDIS_MINIPORT_RUNNING)
        (void)ndis_miniport_pause(pf->mp, NULL, NULL);
    for (int i = 0; i < 100000 && ndis_miniport_state(pf->mp) == NDIS_MINIPORT_PAUSING; i++)
        if (sim_sched_step(w->sched) == 0)
            break;
    if (ndis_miniport_state(pf->mp) != NDIS_MINIPORT_HALTED &&
        ndis_miniport_halt(pf->mp, NULL) != 0)
        SIM_ERROR(vstack, "%s teardown: the PF miniport would not halt", pf->name);
    (void)pf->drv->destroy(pf->pf);
    nic_port_attach(pf->nic, NULL, NULL);
    nic_destroy(pf->nic);
    vs__station_fini(&pf->st);
    for (uint16_t i = 0; i < pf->total_vfs; i++) {
        sim_timer_stop(&pf->vfs[i].host_tm);
        sim_timer_stop(&pf->vfs[i].guest_tm);
        sim_timer_stop(&pf->vfs[i].assoc_tm); /* a VF association still held back */
        if (pf->vfs[i].vm != NULL && pf->vfs[i].vm->vf == &pf->vfs[i])
            pf->vfs[i].vm->vf = NULL;
    }
    /* pf itself is freed by vs__pf_free once every PF is down (see there). */
}

void
vs__pf_free(struct vs_pf *pf)
{
    sim_free(pf->vfs);
    sim_free(pf);
}
