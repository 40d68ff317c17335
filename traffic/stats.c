/* SPDX-License-Identifier: MIT */
/*
 * stats.c — a flow's figures: the latency histogram, the plain (JSON-friendly) stats struct,
 * and reconciliation, which checks that every packet sent is delivered, dropped with a cause,
 * or plausibly still in flight, and says in words what does not add up.
 *
 * Windows counterpart: none; what a tester would like `netstat -s` and iperf to agree on.
 */
#include <stdarg.h>
#include <stddef.h>

#include "traffic/traffic_int.h"

/* Bucket of v: exact below 8; above, 8 sub-buckets per power of two. */
static unsigned
hist_index(uint64_t v)
{
    if (v < 8)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)(v >> (msb - TRAFFIC__HIST_SUB_BITS)) & 7u;
    return ((msb - 2u) << TRAFFIC__HIST_SUB_BITS) | sub;
}

static uint64_t
hist_upper(unsigned idx)
{
    if (idx < 8)
        return idx;
    unsigned msb = (idx >> TRAFFIC__HIST_SUB_BITS) + 2u;
    unsigned sub = idx & 7u;
    uint64_t lo = (uint64_t)(8u + sub) << (msb - TRAFFIC__HIST_SUB_BITS);
    return lo + (UINT64_C(1) << (msb - TRAFFIC__HIST_SUB_BITS)) - 1;
}

void
traffic__hist_add(struct traffic__hist *h, sim_time_t v)
{
    if (v < 0)
        v = 0;
    h->count++;
    h->sum += (uint64_t)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->bucket[hist_index((uint64_t)v)]++;
}

static sim_time_t
hist_quantile(const struct traffic__hist *h, uint64_t num, uint64_t den)
{
    uint64_t rank = (h->count * num + den - 1) / den; /* ceil */
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < TRAFFIC__HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            sim_time_t v = (sim_time_t)hist_upper(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

void
traffic__hist_fill(const struct traffic__hist *h, struct traffic_latency *out)
{
    memset(out, 0, sizeof *out);
    if (h->count == 0)
        return;
    out->count = h->count;
    out->min = h->min;
    out->max = h->max;
    out->avg = (sim_time_t)(h->sum / h->count);
    out->p50 = hist_quantile(h, 50, 100);
    out->p90 = hist_quantile(h, 90, 100);
    out->p99 = hist_quantile(h, 99, 100);
    out->p999 = hist_quantile(h, 999, 1000);
}

void
traffic_flow_stats(const struct traffic_flow *f, struct traffic_flow_stats *out)
{
    sim_time_t now = sim_sched_now(f->reg->sched);
    *out = f->st;
    out->flow_id = f->id;
    snprintf(out->name, sizeof out->name, "%s", f->name);
    out->kind = f->kind;
    out->lost = f->st.dropped_total;
    uint64_t first;
    out->stale_inflight = traffic__stale_inflight(f, now, &first);
    traffic__hist_fill(&f->lat, &out->latency);
    double active_ns = 0;
    if (f->st.first_tx >= 0 && f->st.last_rx > f->st.first_tx)
        active_ns = (double)(f->st.last_rx - f->st.first_tx);
    if (active_ns > 0)
        out->throughput_bps = (double)f->st.delivered_bytes * 8.0 * 1e9 / active_ns;
    out->throughput_gbps = out->throughput_bps / 1e9;
    const struct traffic__tcp *t = f->tcp;
    if (t == NULL) {
        out->state = TRAFFIC_CONN_NONE;
        out->alive = true;
        out->contiguous = f->st.delivered == f->st.sent && f->st.reordered == 0 &&
                          f->st.duplicates == 0 && f->st.integrity_errors == 0;
        return;
    }
    out->state = t->state;
    out->alive = t->state != TRAFFIC_CONN_DEAD;
    out->syn_seen = t->syn_seen;
    out->retransmissions = t->retransmissions;
    out->fast_retransmits = t->fast_retransmits;
    out->timeouts = t->timeouts;
    out->stream_bytes = t->stream_bytes;
    out->bytes_acked = t->bytes_acked;
    out->bytes_delivered = t->bytes_delivered;
    out->dup_segments = t->dup_segments;
    out->out_of_window = t->out_of_window;
    out->rto = t->rto;
    out->srtt = t->srtt;
    bool finished = t->state == TRAFFIC_CONN_CLOSED || t->state == TRAFFIC_CONN_DEAD;
    out->contiguous = f->st.integrity_errors == 0 && t->bytes_delivered == t->rcv_off &&
                      t->bytes_delivered >= t->bytes_acked &&
                      (!finished || t->bytes_delivered == t->stream_bytes);
    if (active_ns > 0)
        out->goodput_bps = (double)t->bytes_delivered * 8.0 * 1e9 / active_ns;
    out->ctl_fwd = t->ctl[0];
    out->ctl_rev = t->ctl[1];
}

/* Append one reason to a bounded buffer. */
static void SIM_PRINTF(3, 4) add_reason(char *buf, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 3 >= cap)
        return;
    if (used > 0) {
        buf[used++] = ';';
        buf[used++] = ' ';
        buf[used] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

static void
check_ctl(const struct traffic_ctl_counts *c, const char *dir, sim_time_t last_tx, sim_time_t now,
          sim_time_t limit, char *buf, size_t cap, int *bad)
{
    if (c->unaccounted > 0) {
        add_reason(buf, cap, "%llu %s control segment(s) vanished without a cause",
                   (unsigned long long)c->unaccounted, dir);
        (*bad)++;
    }
    if (c->in_flight < 0) {
        add_reason(buf, cap,
                   "%s control segments over-reported: %llu sent < %llu delivered + %llu dropped",
                   dir, (unsigned long long)c->sent, (unsigned long long)c->delivered,
                   (unsigned long long)c->dropped_total);
        (*bad)++;
    } else if (c->in_flight > 0 && last_tx >= 0 && now - last_tx > limit) {
        add_reason(buf, cap,
                   "%lld %s control segment(s) neither delivered nor reported dropped, the last "
                   "sent %.6fs ago",
                   (long long)c->in_flight, dir, (double)(now - last_tx) / 1e9);
        (*bad)++;
    }
}

int
traffic_flow_reconcile(const struct traffic_flow *f, struct sim_diag *d)
{
    struct traffic_flow_stats s;
    traffic_flow_stats(f, &s);
    sim_time_t now = sim_sched_now(f->reg->sched);
    char buf[SIM_DIAG_REASON_MAX] = "";
    int bad = 0;
    uint64_t rhs = s.delivered + s.dropped_total + s.in_flight + s.unaccounted;
    if (s.sent != rhs) {
        add_reason(buf, sizeof buf,
                   "sent %llu != delivered %llu + dropped %llu + in flight %llu + unaccounted %llu",
                   (unsigned long long)s.sent, (unsigned long long)s.delivered,
                   (unsigned long long)s.dropped_total, (unsigned long long)s.in_flight,
                   (unsigned long long)s.unaccounted);
        bad++;
    }
    if (s.unaccounted > 0) {
        add_reason(buf, sizeof buf,
                   "%llu packet(s) vanished without a cause (still unresolved after 2^%u newer "
                   "sends)",
                   (unsigned long long)s.unaccounted, f->cfg.track_order);
        bad++;
    }
    if (s.stale_inflight > 0) {
        uint64_t first;
        traffic__stale_inflight(f, now, &first);
        add_reason(buf, sizeof buf,
                   "%llu packet(s) in flight for more than %.6fs (first seq %llu): dropped "
                   "without a report?",
                   (unsigned long long)s.stale_inflight, (double)f->cfg.inflight_limit / 1e9,
                   (unsigned long long)first);
        bad++;
    }
    if (f->tcp != NULL) {
        check_ctl(&s.ctl_fwd, "client->server", f->tcp->ctl_last_tx[0], now, f->cfg.inflight_limit,
                  buf, sizeof buf, &bad);
        check_ctl(&s.ctl_rev, "server->client", f->tcp->ctl_last_tx[1], now, f->cfg.inflight_limit,
                  buf, sizeof buf, &bad);
    }
    if (bad == 0) {
        sim_diag_clear(d);
        return 0;
    }
    if (s.surplus_drops > 0 || s.late_unknown > 0)
        add_reason(buf, sizeof buf,
                   "(notes: %llu surplus drop report(s), %llu unclassified arrival(s))",
                   (unsigned long long)s.surplus_drops, (unsigned long long)s.late_unknown);
    return sim_diag_fail(d, SIM_EPROTO, "flow %s: %s", f->name, buf);
}

/* Should the sender be sending, and is nothing armed that will make it? */
static bool
is_stalled(const struct traffic_flow *f)
{
    bool should, armed = sim_timer_is_pending(&f->pace_timer);
    if (f->tcp != NULL) {
        enum traffic_conn_state cs = f->tcp->state;
        should = f->started && (cs == TRAFFIC_CONN_SYN_SENT || cs == TRAFFIC_CONN_ESTABLISHED ||
                                cs == TRAFFIC_CONN_FIN_WAIT);
        armed = armed || sim_timer_is_pending(&f->tcp->rto_timer);
    } else {
        should = f->started && f->sending && !f->done;
    }
    return should && !armed;
}

void
traffic__live_note(struct traffic_flow *f)
{
    if (!is_stalled(f))
        return;
    if (f->st.stalls++ == 0)
        f->st.first_stall = sim_sched_now(f->reg->sched);
    SIM_WARN(traffic, "flow %s: stalled: it should be sending but nothing is armed to make it",
             f->name);
}

int
traffic_flow_check_live(const struct traffic_flow *f, struct sim_diag *d)
{
    bool now = is_stalled(f);
    if (!now && f->st.stalls == 0) {
        sim_diag_clear(d);
        return 0;
    }
    char t1[40], t2[40];
    const char *state =
        f->tcp != NULL ? traffic_conn_state_name(f->tcp->state) : (f->done ? "done" : "sending");
    return sim_diag_fail(d, SIM_ESTATE,
                         "flow %s stalled at %s (%llu time(s)%s): should send, nothing armed; "
                         "state %s, last tx %s, %llu sent, %llu refused",
                         f->name,
                         f->st.stalls > 0 ? sim_time_format(f->st.first_stall, t1, sizeof t1)
                                          : "now",
                         (unsigned long long)f->st.stalls, now ? ", still" : ", revived later",
                         state,
                         f->st.last_tx >= 0 ? sim_time_format(f->st.last_tx, t2, sizeof t2)
                                            : "never",
                         (unsigned long long)f->st.sent, (unsigned long long)f->st.refused);
}

#define F(name, type)                                                                              \
    {                                                                                              \
#name, TRAFFIC_FIELD_##type, offsetof(struct traffic_flow_stats, name)                     \
    }
static const struct traffic_stats_field stats_fields[] = {
    F(flow_id, U32),
    F(name, STRING),
    F(kind, KIND),
    F(sent, U64),
    F(sent_bytes, U64),
    F(refused, U64),
    F(delivered, U64),
    F(delivered_bytes, U64),
    F(duplicates, U64),
    F(reordered, U64),
    F(lost, U64),
    F(dropped_total, U64),
    F(dropped, CAUSES),
    F(in_flight, U64),
    F(unaccounted, U64),
    F(stale_inflight, U64),
    F(surplus_drops, U64),
    F(drop_then_delivered, U64),
    F(late_unknown, U64),
    F(latency, LATENCY),
    F(gap_max, TIME),
    F(stalls, U64),
    F(first_stall, TIME),
    F(first_tx, TIME),
    F(last_tx, TIME),
    F(first_rx, TIME),
    F(last_rx, TIME),
    F(throughput_bps, DOUBLE),
    F(throughput_gbps, DOUBLE),
    F(state, STATE),
    F(alive, BOOL),
    F(syn_seen, BOOL),
    F(contiguous, BOOL),
    F(retransmissions, U64),
    F(fast_retransmits, U64),
    F(timeouts, U64),
    F(stream_bytes, U64),
    F(bytes_acked, U64),
    F(bytes_delivered, U64),
    F(dup_segments, U64),
    F(out_of_window, U64),
    F(integrity_errors, U64),
    F(rto, TIME),
    F(srtt, TIME),
    F(goodput_bps, DOUBLE),
    F(ctl_fwd, CTL),
    F(ctl_rev, CTL),
};
#undef F

const struct traffic_stats_field *
traffic_flow_stats_fields(size_t *count)
{
    if (count != NULL)
        *count = SIM_ARRAY_SIZE(stats_fields);
    return stats_fields;
}

const char *
traffic_flow_kind_name(enum traffic_flow_kind kind)
{
    switch (kind) {
    case TRAFFIC_FLOW_DGRAM:
        return "dgram";
    case TRAFFIC_FLOW_TCP:
        return "tcp";
    }
    return "?";
}
