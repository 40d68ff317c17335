/* SPDX-License-Identifier: MIT */
/*
 * datapath.c — NetVSC's data-path state machine (netvsc.sys / hv_netvsc's VF teaming): the VF
 * association from the host, VF registration, SWITCH_DATA_PATH requests and their completions,
 * the switch back when the VF goes down. Traffic follows completed switches only.
 */
#include <string.h>

#include "netvsc/netvsc_int.h"

static const char *const dp_names[] = {
    [NETVSC_DP_SYNTHETIC] = "synthetic",
    [NETVSC_DP_VF_ASSOCIATED] = "vf-associated",
    [NETVSC_DP_VF_REGISTERED] = "vf-registered",
    [NETVSC_DP_SWITCH_REQUESTED] = "switch-requested",
    [NETVSC_DP_ON_VF] = "on-vf",
    [NETVSC_DP_GOING_DOWN] = "going-down",
    [NETVSC_DP_VF_RELEASED] = "vf-released",
};

const char *
netvsc_dp_state_name(enum netvsc_dp_state s)
{
    return (unsigned)s < SIM_ARRAY_SIZE(dp_names) ? dp_names[s] : "?";
}

enum netvsc_dp_state
netvsc_adapter_dp_state(const struct netvsc_adapter *ad)
{
    return ad ? ad->dp : NETVSC_DP_SYNTHETIC;
}

bool
netvsc_adapter_vf_association(const struct netvsc_adapter *ad, uint32_t *serial)
{
    if (!ad || !ad->vf_alloc)
        return false;
    if (serial)
        *serial = ad->vf_serial;
    return true;
}

void
netvsc__dp_set(struct netvsc_adapter *ad, enum netvsc_dp_state to)
{
    enum netvsc_dp_state from = ad->dp;
    if (from == to)
        return;
    ad->dp = to;
    /* TX follows only completed switches: entering ON_VF moves it to the VF, leaving ON_VF
     * moves it back to synthetic. Mark the first packet on the new path in the capture. */
    if (to == NETVSC_DP_ON_VF)
        ad->tx_event_comment = "event=datapath-switch-to-vf";
    else if (from == NETVSC_DP_ON_VF)
        ad->tx_event_comment = "event=datapath-switch-to-synthetic";
    SIM_DEBUG(netvsc, "%s: data path %s -> %s", ad->name, netvsc_dp_state_name(from),
              netvsc_dp_state_name(to));
    if (ad->events.datapath)
        ad->events.datapath(ad->events_ctx, ad, from, to);
}

/* The state a VF-less (or VF-released-and-gone) adapter rests in. */
static enum netvsc_dp_state
rest_state(const struct netvsc_adapter *ad)
{
    return ad->vf_alloc ? NETVSC_DP_VF_ASSOCIATED : NETVSC_DP_SYNTHETIC;
}

static int
send_switch(struct netvsc_adapter *ad, uint32_t to)
{
    struct nvsp_msg4_switch_data_path s = {to};
    uint64_t xid = 0;
    int err = netvsc__send_ctrl(ad, NVSP_MSG4_TYPE_SWITCH_DATA_PATH, &s, sizeof s, true, &xid);
    if (err)
        return err;
    ad->switch_xid = xid;
    ad->switch_to = to;
    ad->stats.switch_requests++;
    SIM_DEBUG(netvsc, "%s: SWITCH_DATA_PATH(%s) sent", ad->name,
              to == NVSP_DATAPATH_VF ? "VF" : "synthetic");
    return 0;
}

static void
released(struct netvsc_adapter *ad)
{
    netvsc__dp_set(ad, ad->vf_binding ? NETVSC_DP_VF_RELEASED : rest_state(ad));
    if (ad->events.vf_released)
        ad->events.vf_released(ad->events_ctx, ad);
}

/* Start the switch back to synthetic (TX already left the VF: dp is GOING_DOWN first). */
static void
start_going_down(struct netvsc_adapter *ad)
{
    netvsc__dp_set(ad, NETVSC_DP_GOING_DOWN);
    if (!ad->ep) {
        released(ad); /* no channel: nothing to tell the host */
        return;
    }
    int err = send_switch(ad, NVSP_DATAPATH_SYNTHETIC);
    if (err) {
        ad->going_down_wanted = true; /* ring full: retried by the retry timer */
        sim_timer_start(&ad->retry_timer, SIM_MSEC(1));
    }
}

static void
takeover_cb(struct sim_timer *t)
{
    struct netvsc_adapter *ad = t->data;
    if (ad->dp != NETVSC_DP_VF_REGISTERED || !ad->vf_binding)
        return;
    if (!ad->ready || send_switch(ad, NVSP_DATAPATH_VF) != 0) {
        sim_timer_start(&ad->takeover_timer, SIM_MSEC(1)); /* not ready / ring full: retry */
        return;
    }
    netvsc__dp_set(ad, NETVSC_DP_SWITCH_REQUESTED);
}

static void
retry_cb(struct sim_timer *t)
{
    struct netvsc_adapter *ad = t->data;
    if (!ad->going_down_wanted || ad->dp != NETVSC_DP_GOING_DOWN)
        return;
    if (!ad->ep) {
        ad->going_down_wanted = false;
        released(ad);
        return;
    }
    if (send_switch(ad, NVSP_DATAPATH_SYNTHETIC) == 0)
        ad->going_down_wanted = false;
    else
        sim_timer_start(&ad->retry_timer, SIM_MSEC(1));
}

void
netvsc__dp_init(struct netvsc_adapter *ad)
{
    ad->dp = NETVSC_DP_SYNTHETIC;
    sim_timer_init(ad->sched, &ad->takeover_timer, takeover_cb, ad);
    sim_timer_init(ad->sched, &ad->retry_timer, retry_cb, ad);
}

void
netvsc__dp_fini(struct netvsc_adapter *ad)
{
    sim_timer_stop(&ad->takeover_timer);
    sim_timer_stop(&ad->retry_timer);
}

/* A VF is bound with a known serial, or the association arrived: register if they match. */
void
netvsc__vf_registered_check(struct netvsc_adapter *ad)
{
    if (ad->dp != NETVSC_DP_VF_ASSOCIATED || !ad->vf_binding || !ad->vf_serial_known)
        return;
    if (ad->vf_bound_serial != ad->vf_serial) {
        ad->stats.vf_serial_mismatch++;
        return;
    }
    netvsc__dp_set(ad, NETVSC_DP_VF_REGISTERED);
    sim_timer_start(&ad->takeover_timer, ad->takeover_ns);
}

void
netvsc__on_association(struct netvsc_adapter *ad, const struct hv_vmbus_msg *m)
{
    struct nvsp_msg4_vf_association a;
    NVSP_GET(m, a);
    ad->stats.associations++;
    SIM_DEBUG(netvsc, "%s: VF association allocated=%u serial=%u", ad->name, a.allocated, a.serial);
    if (a.allocated) {
        ad->vf_alloc = true;
        ad->vf_serial = a.serial;
        if (ad->dp == NETVSC_DP_SYNTHETIC)
            netvsc__dp_set(ad, NETVSC_DP_VF_ASSOCIATED);
        /* A VF that bound before the association registers now (before the 2022 fix Linux
         * only looked when the VF registered, so such a VF stayed unused). */
        if (!ad->legacy_early_vf)
            netvsc__vf_registered_check(ad);
        return;
    }
    ad->vf_alloc = false;
    switch (ad->dp) {
    case NETVSC_DP_VF_ASSOCIATED:
    case NETVSC_DP_VF_REGISTERED:
        sim_timer_stop(&ad->takeover_timer);
        netvsc__dp_set(ad, NETVSC_DP_SYNTHETIC);
        break;
    case NETVSC_DP_SWITCH_REQUESTED:
    case NETVSC_DP_ON_VF:
        start_going_down(ad); /* the host withdraws the VF: leave it now */
        break;
    default:
        break;
    }
}

void
netvsc__on_switch_completion(struct netvsc_adapter *ad, const struct hv_vmbus_msg *m)
{
    if (m->xid != ad->switch_xid) {
        /* A superseded request (a switch to VF overtaken by going down): ignore it. */
        if (ad->switch_xid == 0)
            ad->stats.protocol_errors++;
        return;
    }
    ad->switch_xid = 0;
    bool ok = m->status == NVSP_STATUS_SUCCESS;
    if (ok)
        ad->stats.switch_completions++;
    else
        ad->stats.switch_failures++;
    if (ad->switch_to == NVSP_DATAPATH_VF) {
        if (ad->dp != NETVSC_DP_SWITCH_REQUESTED)
            return;
        if (ok && ad->vf_binding) {
            netvsc__dp_set(ad, NETVSC_DP_ON_VF);
        } else {
            /* Failed: stay on synthetic (Linux: "stay on synthetic on failure"). */
            netvsc__dp_set(ad, ad->vf_binding ? NETVSC_DP_VF_RELEASED : rest_state(ad));
        }
        return;
    }
    /* The switch back: synthetic either way (the host can only refuse the VF). */
    if (ad->dp == NETVSC_DP_GOING_DOWN)
        released(ad);
}

int
netvsc_adapter_vf_going_down(struct netvsc_adapter *ad)
{
    if (!ad || !ad->vf_binding)
        return SIM_ESTATE;
    switch (ad->dp) {
    case NETVSC_DP_SWITCH_REQUESTED:
    case NETVSC_DP_ON_VF:
        start_going_down(ad);
        return 0;
    case NETVSC_DP_GOING_DOWN:
        return 0;
    default:
        /* The data path never reached the VF: it is free to go at once. */
        sim_timer_stop(&ad->takeover_timer);
        released(ad);
        return 0;
    }
}

void
netvsc__vf_failed(struct netvsc_adapter *ad)
{
    if (ad->dp == NETVSC_DP_ON_VF || ad->dp == NETVSC_DP_SWITCH_REQUESTED) {
        SIM_DEBUG(netvsc, "%s: the VF failed on the data path: back to synthetic", ad->name);
        start_going_down(ad);
    }
}

/* The VF binding disappeared (unbind, surprise removal, channel rescinded). */
void
netvsc__vf_lost(struct netvsc_adapter *ad)
{
    sim_timer_stop(&ad->takeover_timer);
    switch (ad->dp) {
    case NETVSC_DP_SWITCH_REQUESTED:
    case NETVSC_DP_ON_VF:
        /* Not graceful: the VF went without "going down" first. Leave it now. */
        start_going_down(ad);
        break;
    case NETVSC_DP_GOING_DOWN:
        break; /* the completion moves us on */
    default:
        netvsc__dp_set(ad, rest_state(ad));
        break;
    }
}
