/* SPDX-License-Identifier: MIT */
/*
 * miniport.c — the miniport driver model: an adapter instance with its ops table (the model
 * of NDIS_MINIPORT_DRIVER_CHARACTERISTICS), the adapter state machine (halted, initializing,
 * paused, restarting, running, pausing, halting), reset, PnP events and status indications.
 *
 * Windows counterpart: NdisMRegisterMiniportDriver + the NDIS_MINIPORT_BLOCK state machine
 * that calls MiniportInitializeEx / MiniportRestart / MiniportPause / MiniportHaltEx /
 * MiniportResetEx / MiniportDevicePnPEventNotify, and NdisMIndicateStatusEx.
 */
#include <string.h>

#include "ndis_int.h"

SIM_LOG_NS_DEFINE(ndis);
SIM_ALLOC_TAG_DEFINE(ndis_miniport);
SIM_ALLOC_TAG_DEFINE(ndis_registry);

static const char *const state_names[] = {
    [NDIS_MINIPORT_HALTED] = "halted",   [NDIS_MINIPORT_INITIALIZING] = "initializing",
    [NDIS_MINIPORT_PAUSED] = "paused",   [NDIS_MINIPORT_RESTARTING] = "restarting",
    [NDIS_MINIPORT_RUNNING] = "running", [NDIS_MINIPORT_PAUSING] = "pausing",
    [NDIS_MINIPORT_HALTING] = "halting",
};

const char *
ndis_miniport_state_name(enum ndis_miniport_state s)
{
    if ((unsigned)s < SIM_ARRAY_SIZE(state_names))
        return state_names[s];
    return "state?";
}

int
ndis_miniport_create(const struct ndis_miniport_config *cfg, struct ndis_miniport **out,
                     struct sim_diag *d)
{
    if (out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "miniport: NULL out");
    *out = NULL;
    if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0')
        return sim_diag_fail(d, SIM_EINVAL, "miniport: a name is required");
    if (cfg->sched == NULL || cfg->ops == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "miniport %s: sched and ops are required", cfg->name);
    if (cfg->kind != NDIS_MINIPORT_PLAIN && cfg->kind != NDIS_MINIPORT_PF &&
        cfg->kind != NDIS_MINIPORT_VF)
        return sim_diag_fail(d, SIM_EINVAL, "miniport %s: bad kind %d", cfg->name, (int)cfg->kind);
    /* §6.1: the PF reports SRIOV_SUPPORTED|PF_MINIPORT, the VF VF_MINIPORT|SRIOV_SUPPORTED;
     * only the PF reports NIC switch caps; §6.2 constraints on those caps. */
    if (cfg->kind == NDIS_MINIPORT_PLAIN && cfg->sriov_enabled)
        return sim_diag_fail(d, SIM_EINVAL, "miniport %s: a plain miniport cannot enable SR-IOV",
                             cfg->name);
    if (cfg->kind == NDIS_MINIPORT_VF && cfg->nic_switch_caps.header.revision != 0)
        return sim_diag_fail(d, SIM_EINVAL,
                             "miniport %s: a VF miniport must not report NIC switch caps (§6.1)",
                             cfg->name);
    if ((cfg->kind == NDIS_MINIPORT_PF && (cfg->sriov_caps & NDIS_SRIOV_CAPS_VF_MINIPORT)) ||
        (cfg->kind == NDIS_MINIPORT_VF && (cfg->sriov_caps & NDIS_SRIOV_CAPS_PF_MINIPORT)))
        return sim_diag_fail(d, SIM_EINVAL, "miniport %s: SR-IOV caps name the wrong function kind",
                             cfg->name);
    const struct ndis_nic_switch_capabilities *nc = &cfg->nic_switch_caps;
    bool have_nc = nc->header.revision != 0;
    if (have_nc) {
        if (nc->header.revision < NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2 ||
            nc->header.revision > NDIS_NIC_SWITCH_CAPABILITIES_REVISION_3)
            return sim_diag_fail(d, SIM_EINVAL,
                                 "miniport %s: NIC switch caps revision %u "
                                 "(need 2 or 3)",
                                 cfg->name, nc->header.revision);
        if (nc->max_num_switches != 1 || nc->max_num_vports < nc->max_num_vfs + 1u ||
            nc->max_num_vports > 4096 || nc->max_num_vfs > 4096)
            return sim_diag_fail(d, SIM_EINVAL,
                                 "miniport %s: NIC switch caps break §6.2 (MaxNumSwitches=1, "
                                 "MaxNumVPorts >= MaxNumVFs+1, at most 4096)",
                                 cfg->name);
    }
    struct ndis_miniport *mp = sim_calloc(SIM_TAG(ndis_miniport), 1, sizeof *mp);
    if (mp == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "miniport %s: out of memory", cfg->name);
    ndis__copy_name(mp->name, cfg->name);
    mp->kind = cfg->kind;
    mp->state = NDIS_MINIPORT_HALTED;
    mp->sched = cfg->sched;
    mp->trace = cfg->trace;
    mp->ops = cfg->ops;
    mp->ctx = cfg->ctx;
    mp->sriov_enabled = cfg->sriov_enabled;
    mp->sriov_caps = cfg->sriov_caps;
    mp->pf_luid = cfg->pf_luid;
    mp->vf_serial_number = cfg->vf_serial_number;
    mp->pf_hw = cfg->pf_hw;
    mp->pf_hw_ctx = cfg->pf_hw_ctx;
    if (have_nc) {
        mp->nic_switch_caps = *nc;
        mp->nic_switch_caps.header.type = NDIS_OBJECT_TYPE_DEFAULT;
        mp->nic_switch_caps.header.size =
            (uint16_t)(nc->header.revision == NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2
                           ? NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2
                           : NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3);
    }
    if (cfg->kind == NDIS_MINIPORT_PF && have_nc) {
        mp->vf_slots = nc->max_num_vfs;
        mp->vport_slots = nc->max_num_vports;
        if (mp->vf_slots > 0) {
            mp->vfs = sim_calloc(SIM_TAG(ndis_registry), mp->vf_slots, sizeof *mp->vfs);
            if (mp->vfs == NULL)
                goto free_mp;
            mp->invalidate_mask =
                sim_calloc(SIM_TAG(ndis_registry), mp->vf_slots, sizeof *mp->invalidate_mask);
            if (mp->invalidate_mask == NULL)
                goto free_vfs;
            mp->invalidate_slots = mp->vf_slots;
        }
        mp->vports = sim_calloc(SIM_TAG(ndis_registry), mp->vport_slots, sizeof *mp->vports);
        if (mp->vports == NULL)
            goto free_masks;
        /* Unicast filters: MaxNumMacAddresses (>= MaxNumVPorts, §6.2). */
        mp->filter_slots = nc->max_num_mac_addresses > mp->vport_slots ? nc->max_num_mac_addresses
                                                                       : mp->vport_slots;
        if (mp->filter_slots > 65536)
            mp->filter_slots = 65536;
        mp->filters = sim_calloc(SIM_TAG(ndis_registry), mp->filter_slots, sizeof *mp->filters);
        if (mp->filters == NULL)
            goto free_vports;
    }
    ndis__pump_init(mp);
    *out = mp;
    return 0;
free_vports:
    sim_free(mp->vports);
free_masks:
    sim_free(mp->invalidate_mask);
free_vfs:
    sim_free(mp->vfs);
free_mp:
    sim_free(mp);
    return sim_diag_fail(d, SIM_ENOMEM, "miniport %s: out of memory", cfg->name);
}

int
ndis_miniport_destroy(struct ndis_miniport *mp)
{
    if (mp == NULL)
        return 0;
    if (mp->state != NDIS_MINIPORT_HALTED || mp->binding_count != 0 || mp->active != NULL ||
        mp->queue_head != NULL || mp->done_head != NULL)
        return SIM_EBUSY;
    sim_timer_stop(&mp->pump);
    sim_free(mp->filters);
    sim_free(mp->vports);
    sim_free(mp->invalidate_mask);
    sim_free(mp->vfs);
    sim_free(mp);
    return 0;
}

static int
bad_state(const struct ndis_miniport *mp, const char *op, struct sim_diag *d)
{
    return sim_diag_fail(d, SIM_ESTATE, "%s: %s not allowed in state %s", mp->name, op,
                         ndis_miniport_state_name(mp->state));
}

int
ndis_miniport_initialize(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d)
{
    ndis_status_t dummy;
    if (status == NULL)
        status = &dummy;
    *status = NDIS_STATUS_FAILURE;
    if (mp == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "initialize: NULL miniport");
    if (mp->state != NDIS_MINIPORT_HALTED)
        return bad_state(mp, "MiniportInitializeEx", d);
    mp->state = NDIS_MINIPORT_INITIALIZING;
    mp->removed = false;
    *status = mp->ops->initialize != NULL ? mp->ops->initialize(mp->ctx, mp) : NDIS_STATUS_SUCCESS;
    if (*status != NDIS_STATUS_SUCCESS) {
        char sb[16];
        mp->state = NDIS_MINIPORT_HALTED;
        return sim_diag_fail(d, SIM_EIO, "%s: MiniportInitializeEx failed (%s)", mp->name,
                             ndis_status_str(*status, sb, sizeof sb));
    }
    mp->state = NDIS_MINIPORT_PAUSED; /* NDIS 6: an initialised adapter starts paused */
    return 0;
}

static int
transition(struct ndis_miniport *mp, enum ndis_miniport_state from, enum ndis_miniport_state mid,
           enum ndis_miniport_state to, ndis_status_t (*fn)(void *), const char *op,
           ndis_status_t *status, struct sim_diag *d)
{
    ndis_status_t dummy;
    if (status == NULL)
        status = &dummy;
    *status = NDIS_STATUS_FAILURE;
    if (mp == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "%s: NULL miniport", op);
    if (mp->state != from)
        return bad_state(mp, op, d);
    mp->state = mid;
    *status = fn != NULL ? fn(mp->ctx) : NDIS_STATUS_SUCCESS;
    if (*status == NDIS_STATUS_PENDING)
        return 0;
    if (*status != NDIS_STATUS_SUCCESS) {
        char sb[16];
        mp->state = from;
        return sim_diag_fail(d, SIM_EIO, "%s: %s failed (%s)", mp->name, op,
                             ndis_status_str(*status, sb, sizeof sb));
    }
    mp->state = to;
    return 0;
}

int
ndis_miniport_restart(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d)
{
    return transition(mp, NDIS_MINIPORT_PAUSED, NDIS_MINIPORT_RESTARTING, NDIS_MINIPORT_RUNNING,
                      mp != NULL ? mp->ops->restart : NULL, "MiniportRestart", status, d);
}

int
ndis_miniport_pause(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d)
{
    return transition(mp, NDIS_MINIPORT_RUNNING, NDIS_MINIPORT_PAUSING, NDIS_MINIPORT_PAUSED,
                      mp != NULL ? mp->ops->pause : NULL, "MiniportPause", status, d);
}

static int
pending_complete(struct ndis_miniport *mp, enum ndis_miniport_state mid,
                 enum ndis_miniport_state ok, enum ndis_miniport_state fail, ndis_status_t st)
{
    if (mp == NULL || st == NDIS_STATUS_PENDING)
        return SIM_EINVAL;
    if (mp->state != mid)
        return SIM_ESTATE;
    mp->state = st == NDIS_STATUS_SUCCESS ? ok : fail;
    return 0;
}

int
ndis_miniport_pause_complete(struct ndis_miniport *mp, ndis_status_t status)
{
    /* NdisMPauseComplete: pausing cannot fail in NDIS; a failure leaves the adapter running. */
    return pending_complete(mp, NDIS_MINIPORT_PAUSING, NDIS_MINIPORT_PAUSED, NDIS_MINIPORT_RUNNING,
                            status);
}

int
ndis_miniport_restart_complete(struct ndis_miniport *mp, ndis_status_t status)
{
    return pending_complete(mp, NDIS_MINIPORT_RESTARTING, NDIS_MINIPORT_RUNNING,
                            NDIS_MINIPORT_PAUSED, status);
}

int
ndis_miniport_halt(struct ndis_miniport *mp, struct sim_diag *d)
{
    if (mp == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "halt: NULL miniport");
    if (mp->state != NDIS_MINIPORT_PAUSED)
        return bad_state(mp, "MiniportHaltEx (the adapter must be paused)", d);
    if (mp->active != NULL || mp->queue_head != NULL || mp->done_head != NULL)
        return sim_diag_fail(d, SIM_EBUSY, "%s: halt with OID requests still outstanding",
                             mp->name);
    if (mp->kind == NDIS_MINIPORT_PF) {
        for (uint32_t i = 0; i < mp->vf_slots; i++)
            if (mp->vfs[i].allocated)
                return sim_diag_fail(d, SIM_EBUSY,
                                     "%s: PF halted while VF %u is still allocated (§7.7: the PF "
                                     "is halted only after every VF is freed)",
                                     mp->name, i);
    }
    /* NDIS unbinds every protocol before halting (§7.7 step 1). */
    while (mp->bindings != NULL) {
        int err = ndis_unbind(mp->bindings, d);
        if (err != 0)
            return err;
    }
    mp->state = NDIS_MINIPORT_HALTING;
    if (mp->ops->halt != NULL)
        mp->ops->halt(mp->ctx);
    mp->state = NDIS_MINIPORT_HALTED;
    mp->resetting = false;
    return 0;
}

int
ndis_miniport_reset(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d)
{
    ndis_status_t dummy;
    if (status == NULL)
        status = &dummy;
    *status = NDIS_STATUS_FAILURE;
    if (mp == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "reset: NULL miniport");
    if (mp->state != NDIS_MINIPORT_RUNNING && mp->state != NDIS_MINIPORT_PAUSED)
        return bad_state(mp, "MiniportResetEx", d);
    if (mp->resetting)
        return sim_diag_fail(d, SIM_EBUSY, "%s: a reset is already in progress", mp->name);
    mp->resetting = true;
    bool addressing = false;
    *status = mp->ops->reset != NULL ? mp->ops->reset(mp->ctx, &addressing) : NDIS_STATUS_SUCCESS;
    if (*status == NDIS_STATUS_PENDING)
        return 0;
    return ndis_miniport_reset_complete(mp, *status);
}

int
ndis_miniport_reset_complete(struct ndis_miniport *mp, ndis_status_t status)
{
    if (mp == NULL || status == NDIS_STATUS_PENDING)
        return SIM_EINVAL;
    if (!mp->resetting)
        return SIM_ESTATE;
    mp->resetting = false;
    if (status != NDIS_STATUS_SUCCESS)
        SIM_WARN(ndis, "%s: reset completed with %08X", mp->name, status);
    /* Requests that queued during the reset go out now. */
    if (mp->active == NULL && (mp->queue_head != NULL || mp->done_head != NULL))
        return ndis__pump_kick(mp);
    return 0;
}

int
ndis_miniport_pnp_event(struct ndis_miniport *mp, enum ndis_device_pnp_event ev)
{
    if (mp == NULL)
        return SIM_EINVAL;
    if (ev != NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED &&
        ev != NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED)
        return SIM_EINVAL;
    if (ev == NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED)
        mp->removed = true;
    if (mp->ops->device_pnp_event != NULL)
        mp->ops->device_pnp_event(mp->ctx, ev);
    return 0;
}

int
ndis_miniport_indicate_status(struct ndis_miniport *mp, const struct ndis_status_indication *ind)
{
    if (mp == NULL || ind == NULL)
        return SIM_EINVAL;
    mp->stats.status_indications++;
    ndis__trace_indication(mp->trace, mp, ind);
    int n = 0;
    for (struct ndis_binding *b = mp->bindings; b != NULL; b = b->next_in_miniport) {
        if (b->protocol->ops->status != NULL) {
            b->protocol->ops->status(b->ctx, b, ind);
            n++;
        }
    }
    return n;
}

enum ndis_miniport_state
ndis_miniport_state(const struct ndis_miniport *mp)
{
    return mp->state;
}

const char *
ndis_miniport_name(const struct ndis_miniport *mp)
{
    return mp->name;
}

enum ndis_miniport_kind
ndis_miniport_kind(const struct ndis_miniport *mp)
{
    return mp->kind;
}

bool
ndis_miniport_is_sriov_enabled(const struct ndis_miniport *mp)
{
    return mp->sriov_enabled;
}

void
ndis_miniport_set_sriov_enabled(struct ndis_miniport *mp, bool on)
{
    mp->sriov_enabled = on && mp->kind != NDIS_MINIPORT_PLAIN;
}

void *
ndis_miniport_context(const struct ndis_miniport *mp)
{
    return mp->ctx;
}

struct sim_sched *
ndis_miniport_sched(const struct ndis_miniport *mp)
{
    return mp->sched;
}

struct ndis_trace *
ndis_miniport_trace(const struct ndis_miniport *mp)
{
    return mp->trace;
}

const struct ndis_miniport_stats *
ndis_miniport_stats(const struct ndis_miniport *mp)
{
    return &mp->stats;
}

size_t
ndis_miniport_queue_depth(const struct ndis_miniport *mp)
{
    return mp->queue_len;
}

bool
ndis_miniport_has_outstanding(const struct ndis_miniport *mp)
{
    return mp->active != NULL;
}

size_t
ndis_miniport_binding_count(const struct ndis_miniport *mp)
{
    return mp->binding_count;
}
