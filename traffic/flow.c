/* SPDX-License-Identifier: MIT */
/*
 * flow.c — what datagram and TCP-like flows share: creation (ports, frame template, pacing),
 * the per-packet state window that makes the figures exact, and the receive-side accounting
 * (unique / duplicate / reordered / latency / gaps).
 *
 * Windows counterpart: none; an application socket plus an omniscient observer. The flow sees
 * both ends, so it knows the fate of every packet it sent:
 *
 *   slots[seq & mask]: bits 0-1 state (free, in flight, delivered, dropped), bits 2-6 the drop
 *   cause, bits 8-63 the send time. A packet is in flight from the moment the data path takes
 *   it until it arrives (delivered) or a drop is reported for it (dropped). A packet still in
 *   flight when 2^track_order newer ones have been sent is "unaccounted": it vanished without
 *   a cause. A delivery after a reported drop wins (a flooded copy may be dropped elsewhere);
 *   the drop is then counted as a surplus drop.
 */
#include "traffic/traffic_int.h"

SIM_ALLOC_TAG_DEFINE(traffic_flow);

#define SLOT_STATE(s)    ((unsigned)((s)&3u))
#define SLOT_CAUSE(s)    ((unsigned)(((s) >> 2) & 31u))
#define SLOT_TIME(s)     ((sim_time_t)((s) >> 8))
#define SLOT_MAKE(t, st) (((uint64_t)(t) << 8) | (uint64_t)(st))

static void
flow_unregister(struct traffic_flow *f)
{
    traffic__endpoint_unbind(f->src, f);
    traffic__endpoint_unbind(f->dst, f);
    f->reg->flows[f->id - 1] = NULL;
}

int
traffic__flow_create(struct traffic_registry *reg, enum traffic_flow_kind kind,
                     const struct traffic_flow_config *cfg, struct traffic_flow **out,
                     struct sim_diag *d)
{
    const char *what = kind == TRAFFIC_FLOW_TCP ? "tcp flow" : "dgram flow";
    if (reg == NULL || cfg == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "%s: NULL argument", what);
    if (cfg->src == NULL || cfg->dst == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "%s: source and destination endpoints are required",
                             what);
    if (cfg->src->reg != reg || cfg->dst->reg != reg)
        return sim_diag_fail(d, SIM_EINVAL, "%s: endpoints belong to another registry", what);
    if (cfg->src == cfg->dst)
        return sim_diag_fail(d, SIM_EINVAL, "%s: source and destination are the same endpoint %s",
                             what, cfg->src->name);
    if (cfg->name != NULL && strlen(cfg->name) >= TRAFFIC__NAME_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "%s %s: name longer than %u bytes", what, cfg->name,
                             TRAFFIC__NAME_MAX - 1);
    uint32_t l4h = kind == TRAFFIC_FLOW_TCP ? TRAFFIC_TCP_HLEN : TRAFFIC_UDP_HLEN;
    uint32_t min_len = TRAFFIC_ETH_HLEN + TRAFFIC_IPV4_HLEN + l4h + TRAFFIC_HDR_LEN;
    uint32_t frame_len = cfg->frame_len ? cfg->frame_len : 1500;
    if (frame_len < min_len || frame_len > TRAFFIC_FRAME_MAX)
        return sim_diag_fail(d, SIM_ERANGE, "%s: frame_len %u outside [%u, %u]", what, frame_len,
                             min_len, TRAFFIC_FRAME_MAX);
    if (kind == TRAFFIC_FLOW_DGRAM && cfg->rate_bps == 0)
        return sim_diag_fail(d, SIM_EINVAL, "%s: a datagram flow needs rate_bps", what);
    uint64_t step_num = (uint64_t)frame_len * 8u * (uint64_t)SIM_NSEC_PER_SEC;
    if (cfg->rate_bps > step_num)
        return sim_diag_fail(d, SIM_ERANGE, "%s: rate %llu bit/s is above one frame per ns", what,
                             (unsigned long long)cfg->rate_bps);
    uint32_t order = cfg->track_order ? cfg->track_order : 16;
    if (order < 4 || order > 24)
        return sim_diag_fail(d, SIM_ERANGE, "%s: track_order %u outside [4, 24]", what, order);
    if (cfg->duration < 0 || cfg->start_delay < 0 || cfg->inflight_limit < 0)
        return sim_diag_fail(d, SIM_EINVAL, "%s: negative time in the configuration", what);
    if (reg->next_flow_id > reg->max_flows)
        return sim_diag_fail(d, SIM_ENOSPC, "%s: no flow id left (max_flows %u)", what,
                             reg->max_flows);

    int rc = SIM_ENOMEM;
    struct traffic_flow *f = sim_calloc(SIM_TAG(traffic_flow), 1, sizeof *f);
    if (f == NULL)
        goto fail_nomem;
    f->tx = sim_alloc(SIM_TAG(traffic_flow), 2 * (size_t)TRAFFIC_FRAME_MAX);
    if (f->tx == NULL)
        goto fail_free_flow;
    f->slot_mask = (UINT64_C(1) << order) - 1;
    f->slots = sim_calloc(SIM_TAG(traffic_flow), (size_t)f->slot_mask + 1, sizeof *f->slots);
    if (f->slots == NULL)
        goto fail_free_tx;

    f->reg = reg;
    f->id = reg->next_flow_id;
    f->kind = kind;
    if (cfg->name != NULL)
        snprintf(f->name, sizeof f->name, "%s", cfg->name);
    else
        snprintf(f->name, sizeof f->name, "flow%u", f->id);
    f->cfg = *cfg;
    f->cfg.name = f->name;
    f->src = cfg->src;
    f->dst = cfg->dst;
    f->frame_len = frame_len;
    f->cfg.frame_len = frame_len;
    if (f->cfg.src_port == 0)
        f->cfg.src_port = (uint16_t)(40000u + f->id % 20000u);
    if (f->cfg.dst_port == 0)
        f->cfg.dst_port = kind == TRAFFIC_FLOW_TCP ? 5201 : 5001;
    if (f->cfg.batch == 0)
        f->cfg.batch = 1;
    f->cfg.track_order = order;
    if (f->cfg.inflight_limit == 0)
        f->cfg.inflight_limit = SIM_SEC(1);
    f->step_num = step_num;
    if (cfg->rate_bps) {
        f->step_ns = step_num / cfg->rate_bps;
        f->step_rem = step_num % cfg->rate_bps;
    }
    f->stop_at = SIM_TIME_NEVER;
    f->st.first_tx = f->st.last_tx = f->st.first_rx = f->st.last_rx = -1;
    f->st.first_stall = -1;
    f->lat.min = INT64_MAX;

    rc = traffic__template_build(f, d);
    if (rc < 0)
        goto fail_free_slots;
    uint8_t proto = kind == TRAFFIC_FLOW_TCP ? TRAFFIC_PROTO_TCP : TRAFFIC_PROTO_UDP;
    if (kind == TRAFFIC_FLOW_TCP) {
        rc = traffic__endpoint_bind(f->src, f, proto, f->cfg.src_port, TRAFFIC__ROLE_SENDER, d);
        if (rc < 0)
            goto fail_free_slots;
    }
    rc = traffic__endpoint_bind(f->dst, f, proto, f->cfg.dst_port, TRAFFIC__ROLE_RECEIVER, d);
    if (rc < 0)
        goto fail_unbind;
    if (kind == TRAFFIC_FLOW_TCP) {
        rc = traffic__tcp_init(f, d);
        if (rc < 0)
            goto fail_unbind;
    } else {
        sim_timer_init(reg->sched, &f->pace_timer, traffic__dgram_pace_cb, f);
    }
    reg->flows[f->id - 1] = f;
    reg->next_flow_id++;
    *out = f;
    return 0;

fail_unbind:
    traffic__endpoint_unbind(f->src, f);
    traffic__endpoint_unbind(f->dst, f);
fail_free_slots:
    sim_free(f->slots);
fail_free_tx:
    sim_free(f->tx);
fail_free_flow:
    sim_free(f);
    if (rc != SIM_ENOMEM)
        return rc;
fail_nomem:
    return sim_diag_fail(d, SIM_ENOMEM, "%s: out of memory", what);
}

void
traffic_flow_destroy(struct traffic_flow *f)
{
    if (f == NULL)
        return;
    sim_timer_stop(&f->pace_timer);
    if (f->tcp != NULL)
        traffic__tcp_fini(f);
    flow_unregister(f);
    sim_free(f->slots);
    sim_free(f->tx);
    sim_free(f);
}

int
traffic_flow_start(struct traffic_flow *f)
{
    if (f->started)
        return SIM_ESTATE;
    if (f->kind == TRAFFIC_FLOW_TCP)
        return traffic__tcp_start(f);
    sim_time_t now = sim_sched_now(f->reg->sched);
    f->next_send = now + f->cfg.start_delay;
    if (f->cfg.duration > 0)
        f->stop_at = f->next_send + f->cfg.duration;
    int rc = sim_timer_start_at(&f->pace_timer, f->next_send);
    if (rc < 0)
        return rc;
    f->started = true;
    f->sending = true;
    return 0;
}

void
traffic_flow_stop(struct traffic_flow *f)
{
    if (f->kind == TRAFFIC_FLOW_TCP) {
        traffic__tcp_stop(f);
        return;
    }
    if (!f->done && f->started)
        traffic__flow_finish(f);
    f->sending = false;
}

bool
traffic_flow_is_done(const struct traffic_flow *f)
{
    return f->done;
}

uint32_t
traffic_flow_id(const struct traffic_flow *f)
{
    return f->id;
}

const char *
traffic_flow_name(const struct traffic_flow *f)
{
    return f->name;
}

enum traffic_flow_kind
traffic_flow_kind(const struct traffic_flow *f)
{
    return f->kind;
}

void
traffic__flow_finish(struct traffic_flow *f)
{
    if (f->done)
        return;
    f->done = true;
    f->sending = false;
    sim_timer_stop(&f->pace_timer);
    if (f->cfg.on_done != NULL)
        f->cfg.on_done(f->cfg.on_done_ctx, f);
}

void
traffic__pace_next(struct traffic_flow *f, uint32_t frames)
{
    uint64_t rate = f->cfg.rate_bps;
    for (uint32_t i = 0; i < frames; i++) {
        f->next_send += (sim_time_t)f->step_ns;
        f->rem_acc += f->step_rem;
        if (f->rem_acc >= rate) {
            f->rem_acc -= rate;
            f->next_send++;
        }
    }
}

/* Advance `oldest` past every resolved packet (amortised O(1) per packet). */
static inline void
advance_oldest(struct traffic_flow *f)
{
    uint64_t window = f->slot_mask + 1;
    if (f->next_seq > window && f->oldest < f->next_seq - window)
        f->oldest = f->next_seq - window;
    while (f->oldest < f->next_seq &&
           SLOT_STATE(f->slots[f->oldest & f->slot_mask]) != TRAFFIC__SLOT_INFLIGHT)
        f->oldest++;
}

int
traffic__data_send(struct traffic_flow *f, uint64_t seq, uint64_t packet_id)
{
    sim_time_t now = sim_sched_now(f->reg->sched);
    uint64_t *slot = &f->slots[seq & f->slot_mask];
    if (SIM_UNLIKELY(seq > f->slot_mask && SLOT_STATE(*slot) == TRAFFIC__SLOT_INFLIGHT)) {
        /* seq - 2^order is still unresolved: it vanished without a cause. */
        f->st.unaccounted++;
        f->st.in_flight--;
    }
    *slot = SLOT_MAKE(now, TRAFFIC__SLOT_INFLIGHT);
    f->next_seq = seq + 1;
    f->st.sent++;
    f->st.in_flight++;
    advance_oldest(f);
    int rc = traffic__endpoint_xmit(f->src, f->tx, f->frame_len, packet_id);
    if (SIM_UNLIKELY(rc < 0)) {
        f->st.refused++;
        if (SLOT_STATE(*slot) == TRAFFIC__SLOT_INFLIGHT) {
            /* Not taken: as if never sent; the seq is used again by the next attempt. */
            *slot = SLOT_MAKE(0, TRAFFIC__SLOT_FREE);
            f->next_seq = seq;
            f->st.sent--;
            f->st.in_flight--;
            if (f->oldest > seq)
                f->oldest = seq;
            return rc;
        }
        /* The data path delivered or dropped it before refusing: it was sent after all. */
    }
    f->st.sent_bytes += f->frame_len;
    if (f->st.first_tx < 0)
        f->st.first_tx = now;
    f->st.last_tx = now;
    return 0;
}

bool
traffic__data_arrived(struct traffic_flow *f, const struct traffic_hdr *h, sim_time_t now)
{
    if (f->any_rx) {
        sim_time_t gap = now - f->last_arrival;
        if (gap > f->st.gap_max)
            f->st.gap_max = gap;
    }
    f->last_arrival = now;
    uint64_t seq = h->seq;
    if (SIM_UNLIKELY(seq >= f->next_seq || f->next_seq - seq > f->slot_mask + 1)) {
        f->st.late_unknown++;
        f->any_rx = true;
        return false;
    }
    f->any_rx = true;
    uint64_t *slot = &f->slots[seq & f->slot_mask];
    switch (SLOT_STATE(*slot)) {
    case TRAFFIC__SLOT_INFLIGHT:
        f->st.in_flight--;
        break;
    case TRAFFIC__SLOT_DELIVERED:
        f->st.duplicates++;
        return false;
    case TRAFFIC__SLOT_DROPPED: {
        /* Reported dropped, yet here it is: the delivery wins. */
        unsigned cause = SLOT_CAUSE(*slot);
        f->st.dropped[cause]--;
        f->st.dropped_total--;
        f->st.surplus_drops++;
        f->st.drop_then_delivered++;
        break;
    }
    default: /* FREE: a refused send's seq, never taken by the data path */
        f->st.late_unknown++;
        return false;
    }
    *slot = SLOT_MAKE(SLOT_TIME(*slot), TRAFFIC__SLOT_DELIVERED);
    f->st.delivered++;
    f->st.delivered_bytes += f->frame_len;
    if (f->st.delivered > 1 && seq < f->highest_seq)
        f->st.reordered++;
    if (f->st.delivered == 1 || seq > f->highest_seq)
        f->highest_seq = seq;
    traffic__hist_add(&f->lat, now - h->send_ns);
    if (f->st.first_rx < 0)
        f->st.first_rx = now;
    f->st.last_rx = now;
    if (seq == f->oldest)
        advance_oldest(f);
    return true;
}

void
traffic__data_dropped(struct traffic_flow *f, uint64_t seq, enum sim_drop_cause cause)
{
    if (seq >= f->next_seq || f->next_seq - seq > f->slot_mask + 1) {
        f->st.surplus_drops++; /* unknown or long forgotten packet */
        return;
    }
    uint64_t *slot = &f->slots[seq & f->slot_mask];
    if (SLOT_STATE(*slot) != TRAFFIC__SLOT_INFLIGHT) {
        f->st.surplus_drops++; /* already delivered or dropped: a copy, or a double report */
        return;
    }
    *slot = SLOT_MAKE(SLOT_TIME(*slot), TRAFFIC__SLOT_DROPPED) | ((uint64_t)cause << 2);
    f->st.in_flight--;
    f->st.dropped[cause]++;
    f->st.dropped_total++;
    if (seq == f->oldest)
        advance_oldest(f);
}

void
traffic__ctl_dropped(struct traffic_flow *f, enum traffic__pkt_kind kind, uint16_t id,
                     enum sim_drop_cause cause)
{
    if (f->tcp == NULL) {
        f->st.surplus_drops++;
        return;
    }
    int dir = kind == TRAFFIC__PKT_CTL_FWD ? 0 : 1;
    struct traffic_ctl_counts *c = &f->tcp->ctl[dir];
    uint8_t *state = &f->tcp->ctl_state[dir][id];
    if ((*state & 3u) != TRAFFIC__SLOT_INFLIGHT) {
        c->surplus_drops++;
        return;
    }
    *state = (uint8_t)(TRAFFIC__SLOT_DROPPED | ((unsigned)cause << 2));
    c->dropped[cause]++;
    c->dropped_total++;
    c->in_flight--;
}

uint64_t
traffic__stale_inflight(const struct traffic_flow *f, sim_time_t now, uint64_t *first)
{
    uint64_t n = 0;
    *first = UINT64_MAX;
    uint64_t window = f->slot_mask + 1;
    uint64_t s = f->oldest;
    if (f->next_seq > window && s < f->next_seq - window)
        s = f->next_seq - window;
    for (; s < f->next_seq; s++) {
        uint64_t v = f->slots[s & f->slot_mask];
        if (now - SLOT_TIME(v) <= f->cfg.inflight_limit)
            break;
        if (SLOT_STATE(v) == TRAFFIC__SLOT_INFLIGHT) {
            if (n == 0)
                *first = s;
            n++;
        }
    }
    return n;
}
