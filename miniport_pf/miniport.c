/* SPDX-License-Identifier: MIT */
/*
 * miniport.c — registration and the adapter lifecycle: create (DriverEntry +
 * NdisMRegisterMiniportDriver + the attributes of NdisMSetMiniportAttributes), initialize,
 * pause, restart, halt, PnP events, destroy.
 *
 * Windows counterpart: miniport.c of the netvmini sample (DriverEntry, MiniportInitializeEx,
 * MiniportHaltEx, MiniportPause, MiniportRestart, MiniportDevicePnPEventNotify) with the PF
 * rules of reference/ndis_sriov.md §6.1, §6.3 and §7.7.
 *
 * Deviation from Windows, forced by ndis_shim's model: the shim takes the registered
 * capabilities when the miniport object is created, so the device is probed (ID, capability
 * registers, SR-IOV capability) in pf_adapter_create rather than in MiniportInitializeEx.
 */
#include <stdio.h>
#include <string.h>

#include "miniport_pf/pf_int.h"

SIM_LOG_NS_DEFINE(pf);
SIM_ALLOC_TAG_DEFINE(pf_adapter);
SIM_ALLOC_TAG_DEFINE(pf_tables);

/* MiniportInitializeEx: the hardware part (memory space, bus master, MSI-X) and the default
 * VPort's data path (DMA memory in the PF's IOMMU domain, TCB/RCB pools, QP 0 enabled, receive
 * buffers posted). The switch is created later by OID_NIC_SWITCH_CREATE_SWITCH (dynamic
 * creation, §6.3 step 4). */
static ndis_status_t
mp_initialize(void *ctx, struct ndis_miniport *mp)
{
    struct pf_adapter *a = ctx;
    struct sim_diag d;
    sim_diag_clear(&d);
    (void)mp;
    a->removed = false;
    a->initialized = true;
    if (pf__hw_start(a, &d) != 0) {
        a->initialized = false;
        SIM_ERROR(pf, "%s: MiniportInitializeEx: %s", a->name, d.reason);
        return NDIS_STATUS_DEVICE_FAILED;
    }
    int err = pf__dp_start(a, &d);
    if (err != 0) {
        pf__hw_stop(a);
        a->initialized = false;
        SIM_ERROR(pf, "%s: MiniportInitializeEx: %s", a->name, d.reason);
        return err == SIM_ENOMEM ? NDIS_STATUS_RESOURCES : NDIS_STATUS_DEVICE_FAILED;
    }
    SIM_DEBUG(pf, "%s: initialized (%u VFs, %u VPorts, %u filters)", a->name, a->total_vfs,
              a->max_vports, a->max_filters);
    return NDIS_STATUS_SUCCESS;
}

/* MiniportHaltEx. §7.7: NDIS halts the PF only after every VF was freed and DELETE_SWITCH was
 * issued; ndis_shim refuses the halt itself while a VF is allocated. Should a halt reach us
 * anyway with VFs or the switch left (a framework that does not check), we flag it — an error
 * line naming what was left and stats.halt_with_vfs — and release it in the documented order
 * (filters, VPorts, VFs, then virtualization off) so nothing leaks. */
static void
mp_halt(void *ctx)
{
    struct pf_adapter *a = ctx;
    bool vfs_left = false;
    for (uint16_t i = 0; i < a->total_vfs; i++) {
        if (a->vfs[i].allocated) {
            if (!vfs_left)
                SIM_ERROR(pf,
                          "%s: MiniportHaltEx with VF %u still allocated: the PF must be halted "
                          "only after every VF is freed (§7.7); releasing it now",
                          a->name, i);
            vfs_left = true;
        }
    }
    if (vfs_left)
        a->stats.halt_with_vfs++;
    if (a->switch_created)
        SIM_ERROR(pf,
                  "%s: MiniportHaltEx with the NIC switch still created (DELETE_SWITCH comes "
                  "first, §7.7 step 2); disabling virtualization now",
                  a->name);
    pf__dp_stop(a, a->removed ? SIM_DROP_SURPRISE_REMOVAL : SIM_DROP_PAUSED);
    pf__hw_stop(a);
    pf__vf_force_release_all(a);
    a->initialized = false;
}

/* MiniportPause: pends until every send completed and every indicated receive came back. */
static ndis_status_t
mp_pause(void *ctx)
{
    return pf__dp_pause(ctx);
}

static ndis_status_t
mp_restart(void *ctx)
{
    struct pf_adapter *a = ctx;
    a->pausing = false;
    a->running = a->dp_up;
    return NDIS_STATUS_SUCCESS;
}

static ndis_status_t
mp_oid_request(void *ctx, struct ndis_oid_request *req)
{
    return pf__oid_request(ctx, req);
}

/* MiniportDevicePnPEventNotify: on surprise removal the device is gone; commands in flight can
 * never complete, so they are cancelled and a pended OID completes now. */
static void
mp_pnp_event(void *ctx, enum ndis_device_pnp_event ev)
{
    struct pf_adapter *a = ctx;
    if (ev != NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED)
        return;
    a->removed = true;
    SIM_WARN(pf, "%s: surprise removed", a->name);
    pf__hw_cmd_cancel_all(a);
    if (a->pending != NULL)
        pf__oid_complete(a, NDIS_STATUS_ADAPTER_REMOVED);
    pf__dp_removed(a);
}

const struct ndis_miniport_ops pf_miniport_ops = {
    .initialize = mp_initialize,
    .halt = mp_halt,
    .pause = mp_pause,
    .restart = mp_restart,
    .oid_request = mp_oid_request,
    .send_net_buffer_lists = pf__send_nbls,
    .return_net_buffer_lists = pf__return_nbls,
    .device_pnp_event = mp_pnp_event,
};

static void
oid_timer_cb(struct sim_timer *t)
{
    pf__create_switch_ready(t->data);
}

static void
cmd_watchdog_stub(struct sim_timer *t)
{
    pf__hw_watchdog(t->data);
}

int
pf_adapter_create(const struct pf_config *cfg, struct pf_adapter **out, struct sim_diag *d)
{
    if (out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "pf_adapter_create: NULL out");
    *out = NULL;
    if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0' || cfg->sched == NULL ||
        cfg->fabric == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "pf_adapter_create: name, sched and fabric required");
    unsigned slots = cfg->ring_slots != 0 ? cfg->ring_slots : PF_RING_SLOTS_DEFAULT;
    if (slots < 8 || slots > PF_RING_SLOTS_MAX || (slots & (slots - 1)) != 0)
        return sim_diag_fail(d, SIM_EINVAL,
                             "pf_adapter_create: ring_slots %u is not a power of two in [8, %u]",
                             slots, PF_RING_SLOTS_MAX);
    unsigned rx_count = cfg->rx_buffers != 0 ? cfg->rx_buffers : slots / 2;
    if (rx_count > slots)
        return sim_diag_fail(d, SIM_EINVAL, "pf_adapter_create: rx_buffers %u > ring_slots %u",
                             rx_count, slots);
    struct pf_adapter *a = sim_calloc(SIM_TAG(pf_adapter), 1, sizeof *a);
    if (a == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory", cfg->name);
    strncpy(a->name, cfg->name, sizeof a->name - 1);
    a->sched = cfg->sched;
    a->fabric = cfg->fabric;
    a->rid = cfg->rid;
    a->policy = cfg->policy != NULL ? cfg->policy : pf_policy_accept_all;
    a->policy_ctx = cfg->policy_ctx;
    a->poll_mode = cfg->poll_mode;
    a->slots = slots;
    a->rx_count = rx_count;
    if (cfg->drop_sink != NULL) {
        a->sink = *cfg->drop_sink;
        a->has_sink = true;
    }
    snprintf(a->where_tx, sizeof a->where_tx, "%s tx", a->name);
    snprintf(a->where_rx, sizeof a->where_rx, "%s rx", a->name);
    sim_timer_init(a->sched, &a->oid_timer, oid_timer_cb, a);
    sim_timer_init(a->sched, &a->dpc, pf__dpc, a);
    sim_timer_init(a->sched, &a->cmd_watchdog, cmd_watchdog_stub, a);
    int err = pf__hw_probe(a, d);
    if (err != 0)
        goto free_adapter;
    err = SIM_ENOMEM;
    if (a->total_vfs > 0) {
        a->vfs = sim_calloc(SIM_TAG(pf_tables), a->total_vfs, sizeof *a->vfs);
        if (a->vfs == NULL)
            goto free_adapter;
    }
    a->vports = sim_calloc(SIM_TAG(pf_tables), a->max_vports, sizeof *a->vports);
    if (a->vports == NULL)
        goto free_vfs;
    a->filters = sim_calloc(SIM_TAG(pf_tables), (size_t)a->max_filters + 1, sizeof *a->filters);
    if (a->filters == NULL)
        goto free_vports;
    for (uint16_t i = 0; i < a->total_vfs; i++)
        a->vfs[i].vport_id = NDIS_INVALID_VPORT_ID;

    /* NdisMSetMiniportAttributes (§6.1): hardware SR-IOV and NIC switch caps always; current
     * ones only with *SRIOV = 1 (the shim keys current caps on sriov_enabled). */
    struct ndis_miniport_config mc = {
        .name = a->name,
        .kind = NDIS_MINIPORT_PF,
        .sched = a->sched,
        .trace = cfg->trace,
        .ops = cfg->ops != NULL ? cfg->ops : &pf_miniport_ops,
        .ctx = a,
        .sriov_enabled = !cfg->sriov_disabled && a->total_vfs > 0,
        .sriov_caps =
            a->total_vfs > 0 ? NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT : 0,
        .pf_luid = {.low_part = 0x5f000000u | a->rid, .high_part = 0},
        .pf_hw = &pf__hw_ops,
        .pf_hw_ctx = a,
    };
    if (a->total_vfs > 0)
        pf__nic_switch_caps(a, &mc.nic_switch_caps);
    struct sim_diag nd;
    sim_diag_clear(&nd);
    err = ndis_miniport_create(&mc, &a->mp, &nd);
    if (err != 0) {
        sim_diag_fail(d, err, "pf %s: %s", a->name, nd.reason);
        goto free_filters;
    }
    *out = a;
    return 0;
free_filters:
    sim_free(a->filters);
free_vports:
    sim_free(a->vports);
free_vfs:
    sim_free(a->vfs);
free_adapter:
    if (err == SIM_ENOMEM && (d == NULL || d->code == 0))
        sim_diag_fail(d, SIM_ENOMEM, "pf %s: out of memory", cfg->name);
    sim_free(a);
    return err;
}

int
pf_adapter_destroy(struct pf_adapter *a)
{
    if (a == NULL)
        return 0;
    if (ndis_miniport_state(a->mp) != NDIS_MINIPORT_HALTED)
        return SIM_EBUSY;
    int err = ndis_miniport_destroy(a->mp);
    if (err != 0)
        return err;
    sim_timer_stop(&a->oid_timer);
    sim_timer_stop(&a->cmd_watchdog);
    sim_timer_stop(&a->dpc);
    sim_free(a->filters);
    sim_free(a->vports);
    sim_free(a->vfs);
    sim_free(a);
    return 0;
}

struct ndis_miniport *
pf_adapter_miniport(const struct pf_adapter *a)
{
    return a->mp;
}
