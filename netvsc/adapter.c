/* SPDX-License-Identifier: MIT */
/*
 * adapter.c — NetVSC's VM network adapter (netvsc.sys miniport side): the VMBus driver for the
 * "netvsc" channel, NVSP INIT, the synthetic TX path (the guest's copy into a send-buffer
 * section), the synthetic RX path (frames from the host's receive-buffer sections) and the
 * application endpoint both paths deliver to.
 */
#include <string.h>

#include "netvsc/netvsc_int.h"

SIM_LOG_NS_DEFINE(netvsc);
SIM_ALLOC_TAG_DEFINE(netvsc);

void
netvsc_adapter_config_init(struct netvsc_adapter_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    hv_vmbus_open_config_init(&c->open);
    c->vf_takeover_delay_ns = -1;
}

void
netvsc__tap(struct netvsc_adapter *ad, struct cap_point *p, enum cap_dir dir, uint64_t packet_id,
            const void *frame, uint32_t len, const char *comment)
{
    if (p && cap_point_is_recording(p))
        cap_tap_with_comment(p, sim_sched_now(ad->sched), dir, packet_id, CAP_QUEUE_NONE, frame,
                             len, comment);
}

void
netvsc__tap_tx(struct netvsc_adapter *ad, struct cap_point *p, uint64_t packet_id,
               const void *frame, uint32_t len)
{
    const char *comment = ad->tx_event_comment;
    ad->tx_event_comment = NULL;
    netvsc__tap(ad, p, CAP_DIR_OUT, packet_id, frame, len, comment);
}

void
netvsc__deliver(struct netvsc_adapter *ad, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    if (ad->rx.receive) {
        ad->rx.receive(ad->rx_ctx, frame, len, packet_id);
        return;
    }
    ad->stats.rx_no_app++;
    sim_drop_report(ad->has_drops ? &ad->drops : NULL, SIM_DROP_NO_ROUTE, ad->name, packet_id,
                    frame, len);
}

/* ---- completions that wait for ring space ------------------------------------------------- */

static void
complete_or_queue(struct netvsc_adapter *ad, const struct hv_vmbus_msg *req, int32_t status)
{
    if (ad->comp_count == 0) {
        int err = hv_vmbus_ep_complete(ad->ep, req, status);
        if (err == 0)
            return;
        if (err != SIM_ENOSPC) {
            ad->stats.protocol_errors++; /* not completable (bad section): never retried */
            return;
        }
    }
    if (ad->comp_count == ad->comp_cap) {
        ad->stats.protocol_errors++;
        return;
    }
    struct netvsc_pending_comp *c = &ad->comp[(ad->comp_head + ad->comp_count) % ad->comp_cap];
    c->req = *req;
    c->status = status;
    ad->comp_count++;
    ad->stats.completion_retries++;
}

static unsigned
flush_completions(struct netvsc_adapter *ad)
{
    unsigned done = 0;
    while (ad->comp_count > 0) {
        struct netvsc_pending_comp *c = &ad->comp[ad->comp_head];
        int err = hv_vmbus_ep_complete(ad->ep, &c->req, c->status);
        if (err == SIM_ENOSPC)
            break;
        if (err)
            ad->stats.protocol_errors++;
        ad->comp_head = (ad->comp_head + 1) % ad->comp_cap;
        ad->comp_count--;
        done++;
    }
    return done;
}

int
netvsc__send_ctrl(struct netvsc_adapter *ad, uint16_t type, const void *payload, size_t len,
                  bool want_completion, uint64_t *xid_out)
{
    if (!ad->ep)
        return SIM_ESTATE;
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.flags = want_completion ? HV_VMBUS_MSG_F_WANT_COMPLETION : 0;
    m.xid = NVSP_XID_CONTROL | ++ad->next_xid;
    m.section = HV_VMBUS_NO_SECTION;
    memcpy(m.data, payload, len);
    int err = hv_vmbus_ep_send(ad->ep, &m);
    if (err)
        return err == SIM_ENOSPC ? SIM_EAGAIN : err;
    if (xid_out)
        *xid_out = m.xid;
    return 0;
}

/* ---- the channel's guest endpoint --------------------------------------------------------- */

static void
on_receive(void *ctx, struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *m)
{
    struct netvsc_adapter *ad = ctx;
    if (m->flags & HV_VMBUS_MSG_F_COMPLETION) {
        if (!(m->xid & NVSP_XID_CONTROL))
            return; /* a send section came back (hv freed it) */
        if (m->type == NVSP_MSG_TYPE_INIT && m->xid == ad->init_xid) {
            ad->init_xid = 0;
            if (m->status == NVSP_STATUS_SUCCESS) {
                ad->ready = true;
                SIM_DEBUG(netvsc, "%s: NVSP INIT done", ad->name);
            } else {
                ad->stats.protocol_errors++;
                SIM_WARN(netvsc, "%s: the host refused NVSP INIT (status %d)", ad->name,
                         (int)m->status);
            }
            return;
        }
        if (m->type == NVSP_MSG4_TYPE_SWITCH_DATA_PATH) {
            netvsc__on_switch_completion(ad, m);
            return;
        }
        ad->stats.protocol_errors++;
        return;
    }
    switch (m->type) {
    case NVSP_MSG1_TYPE_SEND_RNDIS_PKT: {
        const uint8_t *data = hv_vmbus_ep_msg_data(ep, m);
        if (!data || m->len == 0) {
            ad->stats.protocol_errors++;
            if (m->section != HV_VMBUS_NO_SECTION || (m->flags & HV_VMBUS_MSG_F_WANT_COMPLETION))
                complete_or_queue(ad, m, NVSP_STATUS_FAIL);
            return;
        }
        ad->stats.rx_synthetic++;
        netvsc__tap(ad, ad->cap_syn, CAP_DIR_IN, m->xid, data, m->len, NULL);
        netvsc__deliver(ad, data, m->len, m->xid);
        complete_or_queue(ad, m, NVSP_STATUS_SUCCESS);
        return;
    }
    case NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION:
        netvsc__on_association(ad, m);
        if ((m->flags & HV_VMBUS_MSG_F_WANT_COMPLETION) || m->section != HV_VMBUS_NO_SECTION)
            complete_or_queue(ad, m, NVSP_STATUS_SUCCESS);
        return;
    default:
        /* Unknown here (or guest-to-host only): refuse it, and give back any section. */
        ad->stats.protocol_errors++;
        if ((m->flags & HV_VMBUS_MSG_F_WANT_COMPLETION) || m->section != HV_VMBUS_NO_SECTION)
            complete_or_queue(ad, m, NVSP_STATUS_FAIL);
        return;
    }
}

unsigned
netvsc_adapter_poll(struct netvsc_adapter *ad, unsigned budget)
{
    if (!ad || !ad->ep)
        return 0;
    unsigned done = flush_completions(ad);
    return done + hv_vmbus_ep_poll(ad->ep, budget);
}

static void
on_interrupt(void *ctx, struct hv_vmbus_ep *ep)
{
    struct netvsc_adapter *ad = ctx;
    for (int i = 0; i < 1024; i++)
        if (netvsc_adapter_poll(ad, NETVSC_POLL_BUDGET) == 0)
            break;
}

static const struct hv_vmbus_ep_ops adapter_ep_ops = {
    .interrupt = on_interrupt,
    .receive = on_receive,
};

static void
on_offer(void *ctx, struct hv_vmbus_channel *ch)
{
    struct netvsc_adapter *ad = ctx;
    if (hv_vmbus_channel_instance(ch) != ad->instance || ad->ch)
        return;
    struct sim_diag d = {0};
    /* Completions this side may owe: every receive section plus one ring of control. */
    uint32_t need = ad->open.recv_sections + ad->open.ring_msgs + 4u;
    if (need > ad->comp_cap) {
        struct netvsc_pending_comp *c = sim_calloc(SIM_TAG(netvsc), need, sizeof *c);
        if (!c) {
            SIM_ERROR(netvsc, "%s: out of memory opening the channel", ad->name);
            return;
        }
        sim_free(ad->comp);
        ad->comp = c;
        ad->comp_cap = need;
    }
    int err = hv_vmbus_channel_open(ch, &ad->open, &adapter_ep_ops, ad, &d);
    if (err) {
        SIM_ERROR(netvsc, "%s: cannot open the network channel: %s", ad->name, d.reason);
        return;
    }
    ad->ch = ch;
    ad->ep = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    ad->comp_head = ad->comp_count = 0;
    struct nvsp_msg_init in = {NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION};
    err = netvsc__send_ctrl(ad, NVSP_MSG_TYPE_INIT, &in, sizeof in, true, &ad->init_xid);
    if (err)
        SIM_ERROR(netvsc, "%s: cannot send NVSP INIT: %s", ad->name, sim_strerror(err));
    SIM_DEBUG(netvsc, "%s: channel opened, NVSP INIT sent", ad->name);
}

static void
on_rescind(void *ctx, struct hv_vmbus_channel *ch)
{
    struct netvsc_adapter *ad = ctx;
    if (ch != ad->ch)
        return;
    /* Drain what the host sent, then close. */
    netvsc_adapter_poll(ad, UINT32_MAX);
    hv_vmbus_channel_close(ch);
    ad->ch = NULL;
    ad->ep = NULL;
    ad->ready = false;
    ad->switch_xid = 0;
    netvsc__vf_lost(ad);
}

static const struct hv_vmbus_driver_ops driver_ops = {
    .offer = on_offer,
    .rescind = on_rescind,
};

int
netvsc_adapter_create(const struct netvsc_adapter_config *cfg, struct netvsc_adapter **out,
                      struct sim_diag *d)
{
    if (!cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "netvsc_adapter_create: NULL argument");
    *out = NULL;
    if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= NETVSC_NAME_MAX - 12)
        return sim_diag_fail(d, SIM_EINVAL, "netvsc: name missing or longer than %u bytes",
                             NETVSC_NAME_MAX - 13);
    if (!cfg->guest || hv_partition_kind(cfg->guest) != HV_PARTITION_GUEST)
        return sim_diag_fail(d, SIM_EINVAL, "netvsc %s: needs a guest partition", cfg->name);
    if (cfg->mac[0] & 1u)
        return sim_diag_fail(d, SIM_EINVAL, "netvsc %s: the adapter MAC must be unicast",
                             cfg->name);
    struct netvsc_adapter *ad = sim_calloc(SIM_TAG(netvsc), 1, sizeof *ad);
    if (!ad)
        return sim_diag_fail(d, SIM_ENOMEM, "netvsc %s: out of memory", cfg->name);
    snprintf(ad->name, sizeof ad->name, "%s", cfg->name);
    snprintf(ad->where_syn, sizeof ad->where_syn, "%s.synthetic", cfg->name);
    snprintf(ad->where_vf, sizeof ad->where_vf, "%s.vf", cfg->name);
    ad->guest = cfg->guest;
    ad->sched = hv_partition_sched(cfg->guest);
    ad->instance = cfg->instance;
    memcpy(ad->mac, cfg->mac, 6);
    if (cfg->drops) {
        ad->has_drops = true;
        ad->drops = *cfg->drops;
    }
    if (cfg->rx)
        ad->rx = *cfg->rx;
    ad->rx_ctx = cfg->rx_ctx;
    if (cfg->events)
        ad->events = *cfg->events;
    ad->events_ctx = cfg->events_ctx;
    ad->open = cfg->open;
    if (ad->open.ring_msgs == 0)
        hv_vmbus_open_config_init(&ad->open);
    ad->takeover_ns =
        cfg->vf_takeover_delay_ns < 0 ? NETVSC_VF_TAKEOVER_DELAY_NS : cfg->vf_takeover_delay_ns;
    ad->legacy_early_vf = cfg->legacy_early_vf;
    netvsc__dp_init(ad);
    int err = 0;
    if (cfg->cap) {
        char desc[96];
        snprintf(desc, sizeof desc, "NetVSC synthetic path (VMBus) in %s", ad->name);
        err = cap_point_create(cfg->cap, ad->where_syn, desc, &ad->cap_syn, d);
        if (err)
            goto fail_free;
        snprintf(desc, sizeof desc, "NetVSC VF path (VF miniport binding) in %s", ad->name);
        err = cap_point_create(cfg->cap, ad->where_vf, desc, &ad->cap_vf, d);
        if (err)
            goto fail_cap;
    }
    err = netvsc__vf_init(ad, cfg->vf_nbls ? cfg->vf_nbls : NETVSC_VF_NBLS_DEFAULT, d);
    if (err)
        goto fail_cap;
    err = hv_vmbus_driver_register(cfg->guest, "netvsc", &driver_ops, ad);
    if (err) {
        sim_diag_fail(d, err, "netvsc %s: cannot register the netvsc VMBus driver in %s (%s)",
                      ad->name, hv_partition_name(cfg->guest), sim_strerror(err));
        goto fail_vf;
    }
    ad->driver_registered = true;
    *out = ad;
    return 0;

fail_vf:
    netvsc__vf_fini(ad);
fail_cap:
    cap_point_destroy(ad->cap_vf);
    cap_point_destroy(ad->cap_syn);
fail_free:
    netvsc__dp_fini(ad);
    sim_free(ad);
    return err;
}

int
netvsc_adapter_destroy(struct netvsc_adapter *ad)
{
    if (!ad)
        return 0;
    if (ad->vf_binding)
        return SIM_EBUSY;
    if (ad->driver_registered)
        hv_vmbus_driver_unregister(ad->guest, "netvsc");
    if (ad->ch && hv_vmbus_channel_is_open(ad->ch))
        hv_vmbus_channel_close(ad->ch);
    netvsc__dp_fini(ad);
    netvsc__vf_fini(ad);
    cap_point_destroy(ad->cap_vf);
    cap_point_destroy(ad->cap_syn);
    sim_free(ad->comp);
    sim_free(ad);
    return 0;
}

static int
xmit_synthetic(struct netvsc_adapter *ad, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    if (!ad->ready || !ad->ep)
        return SIM_ESTATE;
    /* Back-pressure instead of loss: take the frame only if a section and ring room exist. */
    if (hv_vmbus_ep_sections_free(ad->ep) == 0 || hv_vmbus_ep_space(ad->ep) == 0) {
        ad->stats.tx_busy++;
        return SIM_EAGAIN;
    }
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT;
    m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
    m.xid = packet_id;
    struct nvsp_msg_rndis_pkt pkt = {0, 0};
    NVSP_PUT(&m, pkt);
    netvsc__tap_tx(ad, ad->cap_syn, packet_id, frame, len);
    /* The copy the synthetic path pays in the guest: the frame into a send-buffer section. */
    int err = hv_vmbus_ep_send_copy(ad->ep, &m, frame, len);
    if (err == SIM_ENOSPC)
        return 0; /* lost and reported by hv (cannot happen after the checks above) */
    if (err)
        return err;
    ad->stats.tx_synthetic++;
    ad->stats.copies++;
    ad->stats.bytes_copied += len;
    return 0;
}

int
netvsc_adapter_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct netvsc_adapter *ad = ctx;
    if (!ad || !frame || len < 14 || len > NETVSC_FRAME_MAX)
        return SIM_EINVAL;
    /* Traffic follows completed switches only. */
    if (ad->dp == NETVSC_DP_ON_VF && ad->vf_binding) {
        int err = netvsc__vf_xmit(ad, frame, len, packet_id);
        if (err == 0 || err == SIM_EAGAIN)
            return err;
        ad->stats.tx_vf_fallback++; /* VF refused (stopping): fall back to synthetic */
    }
    if (ad->ep && len > hv_vmbus_ep_section_size(ad->ep))
        return SIM_EINVAL;
    return xmit_synthetic(ad, frame, len, packet_id);
}

int
netvsc_adapter_send_nbls(struct netvsc_adapter *ad, struct ndis_nbl *chain, struct ndis_nbl **rest)
{
    if (!ad || !chain || !rest)
        return SIM_EINVAL;
    *rest = chain;
    for (const struct ndis_nbl *n = chain; n; n = n->next) {
        const struct ndis_nb *nb = n->first_nb;
        if (!nb || nb->next || !nb->data || nb->data_length < 14 ||
            nb->data_length > NETVSC_FRAME_MAX)
            return SIM_EINVAL;
    }
    /* Traffic follows completed switches only. The VF path takes the whole chain as it is
     * when every frame has the backfill the VF miniport writes its header into. */
    if (ad->dp == NETVSC_DP_ON_VF && ad->vf_binding) {
        bool backfill = true;
        for (const struct ndis_nbl *n = chain; n && backfill; n = n->next)
            backfill = n->first_nb->data_offset >= NETVSC_VF_BACKFILL;
        if (backfill) {
            uint32_t count = (uint32_t)ndis_nbl_chain_length(chain);
            int err = netvsc__vf_send_nbls(ad, chain);
            if (err == 0) {
                ad->stats.tx_nbls += count;
                *rest = NULL;
                return 0;
            }
            if (err == SIM_EINVAL)
                return err;
            ad->stats.tx_vf_fallback += count; /* VF refused (stopping): synthetic instead */
        }
    }
    if (!ad->ready || !ad->ep)
        return SIM_ESTATE;
    /* Synthetic (or a frame without backfill on the VF: the staging copy of _xmit). Each frame
     * is copied, so its NBL completes at once. */
    struct ndis_nbl *done = NULL, **tail = &done;
    struct ndis_nbl *n = chain;
    while (n) {
        const struct ndis_nb *nb = n->first_nb;
        int err = netvsc_adapter_xmit(ad, nb->data + nb->data_offset, nb->data_length,
                                      n->packet_id);
        if (err == SIM_EAGAIN)
            break;
        struct ndis_nbl *next = n->next;
        n->next = NULL;
        n->status = err == 0 ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
        ad->stats.tx_nbls++;
        ad->stats.tx_nbls_completed++;
        *tail = n;
        tail = &n->next;
        n = next;
    }
    *rest = n;
    if (done && ad->tx.send_complete)
        ad->tx.send_complete(ad->tx_ctx, done);
    return 0;
}

void
netvsc_adapter_set_tx(struct netvsc_adapter *ad, const struct netvsc_tx_ops *tx, void *ctx)
{
    if (!ad)
        return;
    if (tx)
        ad->tx = *tx;
    else
        memset(&ad->tx, 0, sizeof ad->tx);
    ad->tx_ctx = ctx;
}

void
netvsc_adapter_set_rx(struct netvsc_adapter *ad, const struct netvsc_rx_ops *rx, void *ctx)
{
    if (!ad)
        return;
    if (rx)
        ad->rx = *rx;
    else
        memset(&ad->rx, 0, sizeof ad->rx);
    ad->rx_ctx = ctx;
}

bool
netvsc_adapter_is_ready(const struct netvsc_adapter *ad)
{
    return ad && ad->ready;
}

void
netvsc_adapter_stats(const struct netvsc_adapter *ad, struct netvsc_adapter_stats *out)
{
    if (ad && out)
        *out = ad->stats;
}

struct hv_vmbus_channel *
netvsc_adapter_channel(const struct netvsc_adapter *ad)
{
    return ad ? ad->ch : NULL;
}
