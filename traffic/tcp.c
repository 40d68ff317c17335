/* SPDX-License-Identifier: MIT */
/*
 * tcp.c — the TCP-like reliable stream: a client that connects (SYN, SYN-ACK, ACK), sends
 * fixed-size segments within a fixed window, paced at a bit rate, and a server that buffers
 * out-of-order segments within the window and acknowledges cumulatively.
 *
 * Windows counterpart: a TCP connection through the guest's tcpip.sys to an external peer (or
 * the reverse) — the connection that "must not be lost during a VF failover". The state machine
 * is deliberately small: no congestion control beyond the fixed window, no SACK, no RST.
 *
 *   client: IDLE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT -> CLOSED; any -> DEAD when the
 *           retransmission timer expires more than max_retries times in a row without progress.
 *   server: LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSED (on the client's FIN it answers FIN|ACK
 *           at once; if the client retransmits its FIN, it answers again).
 *
 * Retransmission: RFC 6298 RTO (SRTT/RTTVAR, Karn: one timed segment, timing cancelled by a
 * retransmission) clamped to [rto_min, rto_max], doubled at each timeout; a timeout goes back
 * to the oldest unacknowledged byte (go-back-N, as TCP without SACK does); three duplicate ACKs
 * retransmit the oldest segment once (fast retransmit). All data leaves from the pacing timer,
 * never from inside a receive call, so a synchronous data path cannot re-enter the sender.
 *
 * Segments: every data segment carries exactly mss = frame_len - 54 payload bytes starting with
 * the sriovsim header (seq = transmission number, offset = stream offset), so the stream length
 * is a whole number of segments and the receiver's out-of-order buffer is a bitmap.
 */
#include "traffic/traffic_int.h"

static void tcp_pace_cb(struct sim_timer *t);
static void tcp_rto_cb(struct sim_timer *t);
static void tcp_delack_cb(struct sim_timer *t);

int
traffic_tcp_create(struct traffic_registry *reg, const struct traffic_flow_config *cfg,
                   struct traffic_flow **out, struct sim_diag *d)
{
    return traffic__flow_create(reg, TRAFFIC_FLOW_TCP, cfg, out, d);
}

const char *
traffic_conn_state_name(enum traffic_conn_state s)
{
    switch (s) {
    case TRAFFIC_CONN_NONE:
        return "none";
    case TRAFFIC_CONN_IDLE:
        return "idle";
    case TRAFFIC_CONN_SYN_SENT:
        return "syn-sent";
    case TRAFFIC_CONN_ESTABLISHED:
        return "established";
    case TRAFFIC_CONN_FIN_WAIT:
        return "fin-wait";
    case TRAFFIC_CONN_CLOSED:
        return "closed";
    case TRAFFIC_CONN_DEAD:
        return "dead";
    }
    return "?";
}

int
traffic__tcp_init(struct traffic_flow *f, struct sim_diag *d)
{
    struct traffic_flow_config *c = &f->cfg;
    if (c->window_bytes == 0)
        c->window_bytes = 256u * 1024u;
    if (c->rto_initial == 0)
        c->rto_initial = SIM_MSEC(10);
    if (c->rto_min == 0)
        c->rto_min = SIM_MSEC(1);
    if (c->rto_max == 0)
        c->rto_max = SIM_SEC(1);
    if (c->max_retries == 0)
        c->max_retries = 8;
    if (c->ack_every == 0)
        c->ack_every = 1;
    if (c->ack_delay == 0)
        c->ack_delay = SIM_USEC(50);
    uint32_t mss = f->frame_len - TRAFFIC_ETH_HLEN - TRAFFIC_IPV4_HLEN - TRAFFIC_TCP_HLEN;
    if (c->window_bytes < mss || c->window_bytes > (1u << 30))
        return sim_diag_fail(d, SIM_ERANGE, "tcp flow %s: window %u bytes outside [%u, 2^30]",
                             f->name, c->window_bytes, mss);
    if (c->rto_min < 0 || c->rto_initial < 0 || c->rto_max < c->rto_min || c->ack_delay < 0)
        return sim_diag_fail(d, SIM_EINVAL, "tcp flow %s: bad RTO/ACK timer settings", f->name);
    struct traffic__tcp *t = sim_calloc(SIM_TAG(traffic_flow), 1, sizeof *t);
    if (t == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "tcp flow %s: out of memory", f->name);
    t->mss = mss;
    t->window = c->window_bytes;
    t->ooo_slots = c->window_bytes / mss + 1;
    t->ooo = sim_calloc(SIM_TAG(traffic_flow), t->ooo_slots, 1);
    if (t->ooo == NULL)
        goto fail_free_tcp;
    t->ctl_state[0] = sim_calloc(SIM_TAG(traffic_flow), 2, 65536);
    if (t->ctl_state[0] == NULL)
        goto fail_free_ooo;
    t->ctl_state[1] = t->ctl_state[0] + 65536;
    while ((t->window >> t->wscale) > 65535u)
        t->wscale++;
    struct sim_prng p;
    sim_prng_fork(&f->reg->prng, f->id, &p);
    t->iss = (uint32_t)sim_prng_next(&p);
    t->srv_iss = (uint32_t)sim_prng_next(&p);
    t->state = TRAFFIC_CONN_IDLE;
    t->srv_state = TRAFFIC__SRV_LISTEN;
    t->rto = c->rto_initial;
    t->end_off = UINT64_MAX;
    if (c->count != 0)
        t->end_off = (c->count + mss - 1) / mss * mss;
    t->ctl_last_tx[0] = t->ctl_last_tx[1] = -1;
    f->tcp = t;
    sim_timer_init(f->reg->sched, &f->pace_timer, tcp_pace_cb, f);
    sim_timer_init(f->reg->sched, &t->rto_timer, tcp_rto_cb, f);
    sim_timer_init(f->reg->sched, &t->delack_timer, tcp_delack_cb, f);
    return 0;

fail_free_ooo:
    sim_free(t->ooo);
fail_free_tcp:
    sim_free(t);
    return sim_diag_fail(d, SIM_ENOMEM, "tcp flow %s: out of memory", f->name);
}

void
traffic__tcp_fini(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    sim_timer_stop(&t->rto_timer);
    sim_timer_stop(&t->delack_timer);
    sim_free(t->ctl_state[0]);
    sim_free(t->ooo);
    sim_free(t);
    f->tcp = NULL;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static inline sim_time_t
now_of(const struct traffic_flow *f)
{
    return sim_sched_now(f->reg->sched);
}

static inline uint16_t
win_field(const struct traffic__tcp *t)
{
    return (uint16_t)(t->window >> t->wscale);
}

/* Extend a 32-bit sequence number to the 64-bit stream offset nearest to `near`. */
static inline uint64_t
seq_to_off(uint32_t seq, uint32_t base, uint64_t near)
{
    uint32_t rel = seq - base;
    int32_t delta = (int32_t)(rel - (uint32_t)near);
    return (uint64_t)((int64_t)near + delta);
}

static void
kick(struct traffic_flow *f, bool now_please)
{
    sim_time_t now = now_of(f);
    sim_time_t when = now_please || f->next_send < now ? now : f->next_send;
    if (sim_timer_is_pending(&f->pace_timer) && f->pace_timer.due <= when)
        return;
    if (sim_timer_start_at(&f->pace_timer, when) < 0)
        SIM_ERROR(traffic, "flow %s: cannot arm its pacing timer", f->name);
}

static void
rto_arm(struct traffic_flow *f)
{
    if (sim_timer_start(&f->tcp->rto_timer, f->tcp->rto) < 0)
        SIM_ERROR(traffic, "flow %s: cannot arm its retransmission timer", f->name);
}

/* Send a control segment (no payload) in direction `kind` from a stack buffer: re-entrant. */
static void
ctl_send(struct traffic_flow *f, enum traffic__pkt_kind kind, uint8_t flags, uint32_t seq,
         uint32_t ack)
{
    struct traffic__tcp *t = f->tcp;
    bool fwd = kind == TRAFFIC__PKT_CTL_FWD;
    struct traffic_endpoint *from = fwd ? f->src : f->dst;
    struct traffic_endpoint *to = fwd ? f->dst : f->src;
    struct traffic_frame_spec s = {0};
    memcpy(s.src_mac, from->mac, 6);
    memcpy(s.dst_mac, to->mac, 6);
    s.src_ip = from->ip;
    s.dst_ip = to->ip;
    int dir = fwd ? 0 : 1;
    uint16_t id = t->ctl_next_id[dir];
    s.proto = TRAFFIC_PROTO_TCP;
    s.ip_id = id; /* names this control segment (see traffic_ctl_counts) */
    s.src_port = fwd ? f->cfg.src_port : f->cfg.dst_port;
    s.dst_port = fwd ? f->cfg.dst_port : f->cfg.src_port;
    s.tcp_seq = seq;
    s.tcp_ack = ack;
    s.tcp_flags = flags;
    s.tcp_wscale = -1;
    if (flags & TRAFFIC_TCP_SYN) {
        /* SYN segments: unscaled window, MSS and window-scale options (RFC 7323). */
        s.tcp_window = (uint16_t)(t->window > 65535u ? 65535u : t->window);
        s.tcp_mss = (uint16_t)(t->mss > 65535u ? 65535u : t->mss);
        s.tcp_wscale = (int8_t)t->wscale;
    } else {
        s.tcp_window = win_field(t);
    }
    uint8_t buf[128];
    uint32_t len;
    if (traffic_frame_build(buf, sizeof buf, &s, NULL, 0, &len, NULL) < 0)
        return; /* cannot happen: fixed sizes */
    struct traffic_ctl_counts *c = &t->ctl[dir];
    uint8_t *state = &t->ctl_state[dir][id];
    if ((*state & 3u) == TRAFFIC__SLOT_INFLIGHT) { /* 65,536 sends ago and still unresolved */
        c->unaccounted++;
        c->in_flight--;
    }
    *state = TRAFFIC__SLOT_INFLIGHT;
    t->ctl_next_id[dir] = (uint16_t)(id + 1u);
    uint64_t pid = traffic__packet_id(f->reg, f->id, kind, id);
    c->sent++;
    c->in_flight++;
    t->ctl_last_tx[dir] = now_of(f);
    if (traffic__endpoint_xmit(from, buf, len, pid) < 0) {
        f->st.refused++;
        if (*state == TRAFFIC__SLOT_INFLIGHT) { /* not taken: as if never sent */
            *state = TRAFFIC__SLOT_FREE;
            t->ctl_next_id[dir] = id;
            c->sent--;
            c->in_flight--;
        }
    }
}

static void
send_syn(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    t->syn_time = now_of(f);
    ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_SYN, t->iss, 0);
}

static void
send_fin(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_FIN | TRAFFIC_TCP_ACK,
             t->iss + 1u + (uint32_t)t->end_off, t->srv_iss + 1u);
}

/* The server's cumulative ACK (and FIN|ACK once the client's FIN arrived). */
static void
srv_send_ack(struct traffic_flow *f, bool fin)
{
    struct traffic__tcp *t = f->tcp;
    t->unacked_segs = 0;
    sim_timer_stop(&t->delack_timer);
    uint32_t ack = t->rcv_iss + 1u + (uint32_t)t->rcv_off + (t->fin_rcvd ? 1u : 0u);
    uint8_t flags = TRAFFIC_TCP_ACK | (fin ? TRAFFIC_TCP_FIN : 0);
    ctl_send(f, TRAFFIC__PKT_CTL_REV, flags, t->srv_iss + 1u, ack);
}

static void
go_dead(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    t->state = TRAFFIC_CONN_DEAD;
    sim_timer_stop(&t->rto_timer);
    SIM_INFO(traffic, "flow %s: connection dead after %u fruitless retransmissions", f->name,
             t->retries);
    traffic__flow_finish(f);
}

static void
close_client(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    t->state = TRAFFIC_CONN_CLOSED;
    sim_timer_stop(&t->rto_timer);
    traffic__flow_finish(f);
}

/* Send data segment at stream offset `off` (a retransmission if rexmit). */
static int
send_segment(struct traffic_flow *f, uint64_t off, bool rexmit)
{
    struct traffic__tcp *t = f->tcp;
    sim_time_t now = now_of(f);
    uint64_t seq = f->next_seq;
    struct traffic_hdr h = {
        .magic = TRAFFIC_MAGIC,
        .version = TRAFFIC_HDR_VERSION,
        .kind = TRAFFIC_FLOW_TCP,
        .flow_id = f->id,
        .seq = seq,
        .send_ns = now,
        .packet_id = traffic__packet_id(f->reg, f->id, TRAFFIC__PKT_DATA, seq),
        .offset = off,
    };
    traffic__template_stamp(f, &h, t->iss + 1u + (uint32_t)off, t->srv_iss + 1u,
                            TRAFFIC_TCP_ACK | TRAFFIC_TCP_PSH, win_field(t));
    int rc = traffic__data_send(f, seq, h.packet_id);
    if (rc < 0)
        return rc;
    if (rexmit) {
        t->retransmissions++;
        t->rtt_active = false; /* Karn */
    } else {
        t->stream_bytes += t->mss;
        t->max_off = off + t->mss;
        if (!t->rtt_active) {
            t->rtt_active = true;
            t->rtt_end_off = off + t->mss;
            t->rtt_start = now;
        }
    }
    if (!sim_timer_is_pending(&t->rto_timer))
        rto_arm(f);
    return 0;
}

static void
rtt_sample(struct traffic_flow *f, sim_time_t r)
{
    struct traffic__tcp *t = f->tcp;
    if (!t->rtt_valid) {
        t->srtt = r;
        t->rttvar = r / 2;
        t->rtt_valid = true;
    } else {
        sim_time_t err = t->srtt - r;
        if (err < 0)
            err = -err;
        t->rttvar = (3 * t->rttvar + err) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
}

static sim_time_t
rto_base(const struct traffic_flow *f)
{
    const struct traffic__tcp *t = f->tcp;
    sim_time_t rto = t->rtt_valid ? t->srtt + 4 * t->rttvar : f->cfg.rto_initial;
    if (rto < f->cfg.rto_min)
        rto = f->cfg.rto_min;
    if (rto > f->cfg.rto_max)
        rto = f->cfg.rto_max;
    return rto;
}

/* ---- client ------------------------------------------------------------------------------- */

int
traffic__tcp_start(struct traffic_flow *f)
{
    sim_time_t now = now_of(f);
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
traffic__tcp_stop(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    if (!f->started || f->done || !f->sending)
        return;
    f->sending = false;
    if (t->state == TRAFFIC_CONN_IDLE) { /* SYN not sent yet: nothing to close */
        t->state = TRAFFIC_CONN_CLOSED;
        traffic__flow_finish(f);
        return;
    }
    t->end_off = t->max_off;
    if (t->state == TRAFFIC_CONN_ESTABLISHED)
        kick(f, true);
}

static void
tcp_pace(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    sim_time_t now = now_of(f);
    if (t->state == TRAFFIC_CONN_IDLE) {
        t->state = TRAFFIC_CONN_SYN_SENT;
        send_syn(f);
        rto_arm(f);
        return;
    }
    if (t->state != TRAFFIC_CONN_ESTABLISHED)
        return;
    if (f->sending && now >= f->stop_at) {
        f->sending = false;
        t->end_off = t->max_off;
    }
    if (f->next_send < now)
        f->next_send = now; /* no catch-up burst after being blocked */
    uint32_t limit = f->cfg.rate_bps ? f->cfg.batch : UINT32_MAX;
    uint32_t n = 0;
    bool refused = false;
    while (n < limit) {
        uint64_t off;
        bool rexmit = true;
        if (t->fast_rexmit_pending && t->una_off < t->max_off) {
            t->fast_rexmit_pending = false;
            off = t->una_off;
        } else if (t->probe_only && t->nxt_off > t->una_off) {
            break; /* the probe is out: wait for its ACK */
        } else if (t->nxt_off < t->max_off) {
            off = t->nxt_off; /* go-back-N after a timeout */
        } else if (f->sending && t->max_off < t->end_off &&
                   t->max_off + t->mss - t->una_off <= t->window) {
            off = t->max_off;
            rexmit = false;
        } else {
            break; /* window full, or nothing left to send */
        }
        if (send_segment(f, off, rexmit) < 0) {
            refused = true; /* try again at the next pacing event */
            break;
        }
        if (off == t->nxt_off || !rexmit)
            t->nxt_off = off + t->mss;
        n++;
    }
    if ((n > 0 || refused) && f->cfg.rate_bps) {
        /* A refused send counts one pacing step: the timer must stay armed, or a flow whose
         * every segment was already acknowledged (no RTO pending) would never send again. */
        traffic__pace_next(f, n > 0 ? n : 1);
        if (sim_timer_start_at(&f->pace_timer, f->next_send) < 0)
            SIM_ERROR(traffic, "flow %s: cannot re-arm its pacing timer", f->name);
    } else if (refused && !sim_timer_is_pending(&f->tcp->rto_timer)) {
        /* Unpaced ("as fast as the window allows") and nothing outstanding: retry after the
         * minimum RTO rather than never. */
        if (sim_timer_start(&f->pace_timer, f->cfg.rto_min) < 0)
            SIM_ERROR(traffic, "flow %s: cannot re-arm its pacing timer", f->name);
    }
    if (t->end_off != UINT64_MAX && t->una_off == t->end_off && t->max_off == t->end_off &&
        !t->fin_sent) {
        f->sending = false;
        t->fin_sent = true;
        t->state = TRAFFIC_CONN_FIN_WAIT;
        send_fin(f);
        rto_arm(f);
    }
}

static void
tcp_rto(struct traffic_flow *f)
{
    struct traffic__tcp *t = f->tcp;
    t->timeouts++;
    if (t->retries >= f->cfg.max_retries) {
        go_dead(f);
        return;
    }
    t->retries++;
    t->rto = t->rto * 2 > f->cfg.rto_max ? f->cfg.rto_max : t->rto * 2;
    t->rtt_active = false;
    switch (t->state) {
    case TRAFFIC_CONN_SYN_SENT:
        t->syn_retransmitted = true;
        t->retransmissions++;
        send_syn(f);
        break;
    case TRAFFIC_CONN_ESTABLISHED:
        if (t->una_off >= t->max_off)
            return; /* nothing outstanding (a stale timer) */
        t->nxt_off = t->una_off;
        t->fast_rexmit_pending = false;
        t->dupacks = 0;
        t->probe_only = true; /* like cwnd = 1 after a timeout: probe before going back N */
        kick(f, true);
        break;
    case TRAFFIC_CONN_FIN_WAIT:
        t->retransmissions++;
        send_fin(f);
        break;
    default:
        return;
    }
    rto_arm(f);
}

static void
tcp_pace_cb(struct sim_timer *timer)
{
    struct traffic_flow *f = timer->data;
    tcp_pace(f);
    traffic__live_note(f);
}

static void
tcp_rto_cb(struct sim_timer *timer)
{
    struct traffic_flow *f = timer->data;
    tcp_rto(f);
    traffic__live_note(f);
}

static void
client_ack(struct traffic_flow *f, const struct traffic_frame_info *fi)
{
    struct traffic__tcp *t = f->tcp;
    uint64_t ack_off = seq_to_off(fi->tcp_ack, t->iss + 1u, t->una_off);
    uint64_t top = t->max_off + (t->fin_sent ? 1u : 0u);
    if (ack_off > top || ack_off + (1ull << 31) < t->una_off)
        return; /* acknowledges what was never sent: ignore */
    if (ack_off > t->una_off) {
        uint64_t data_top = ack_off > t->max_off ? t->max_off : ack_off;
        t->bytes_acked += data_top - t->una_off;
        t->una_off = data_top;
        if (t->nxt_off < t->una_off)
            t->nxt_off = t->una_off;
        if (t->fin_sent && ack_off == t->end_off + 1)
            t->fin_acked = true;
        t->dupacks = 0;
        t->retries = 0;
        t->probe_only = false;
        if (t->rtt_active && ack_off >= t->rtt_end_off) {
            rtt_sample(f, now_of(f) - t->rtt_start);
            t->rtt_active = false;
        }
        t->rto = rto_base(f);
        if (t->una_off < t->max_off || (t->fin_sent && !t->fin_acked))
            rto_arm(f);
        else
            sim_timer_stop(&t->rto_timer);
        kick(f, false);
    } else if (ack_off == t->una_off && t->una_off < t->max_off && fi->payload_len == 0 &&
               !(fi->tcp_flags & (TRAFFIC_TCP_SYN | TRAFFIC_TCP_FIN))) {
        if (++t->dupacks == 3 && !f->cfg.no_fast_retransmit) {
            t->fast_rexmit_pending = true;
            t->fast_retransmits++;
            kick(f, true);
        }
    }
}

static void
client_rx(struct traffic_flow *f, const struct traffic_frame_info *fi)
{
    struct traffic__tcp *t = f->tcp;
    if (fi->tcp_flags & TRAFFIC_TCP_RST)
        return;
    switch (t->state) {
    case TRAFFIC_CONN_SYN_SENT:
        if ((fi->tcp_flags & (TRAFFIC_TCP_SYN | TRAFFIC_TCP_ACK)) ==
                (TRAFFIC_TCP_SYN | TRAFFIC_TCP_ACK) &&
            fi->tcp_ack == t->iss + 1u) {
            t->srv_iss = fi->tcp_seq;
            t->state = TRAFFIC_CONN_ESTABLISHED;
            t->retries = 0;
            if (!t->syn_retransmitted)
                rtt_sample(f, now_of(f) - t->syn_time);
            t->rto = rto_base(f);
            sim_timer_stop(&t->rto_timer);
            ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_ACK, t->iss + 1u, t->srv_iss + 1u);
            if (!f->sending)
                t->end_off = 0; /* stopped during the handshake: close at once */
            kick(f, true);
        }
        return;
    case TRAFFIC_CONN_ESTABLISHED:
    case TRAFFIC_CONN_FIN_WAIT:
        if (fi->tcp_flags & TRAFFIC_TCP_SYN) { /* our handshake ACK was lost: repeat it */
            ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_ACK, t->iss + 1u, t->srv_iss + 1u);
            return;
        }
        if (fi->tcp_flags & TRAFFIC_TCP_ACK)
            client_ack(f, fi);
        if ((fi->tcp_flags & TRAFFIC_TCP_FIN) && t->fin_acked) {
            ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_ACK, t->iss + 2u + (uint32_t)t->end_off,
                     fi->tcp_seq + 1u);
            close_client(f);
        }
        return;
    case TRAFFIC_CONN_CLOSED:
        if (fi->tcp_flags & TRAFFIC_TCP_FIN) /* the server repeated its FIN: ACK it again */
            ctl_send(f, TRAFFIC__PKT_CTL_FWD, TRAFFIC_TCP_ACK, t->iss + 2u + (uint32_t)t->end_off,
                     fi->tcp_seq + 1u);
        return;
    default:
        return;
    }
}

/* ---- server ------------------------------------------------------------------------------- */

static void
tcp_delack_cb(struct sim_timer *timer)
{
    struct traffic_flow *f = timer->data;
    if (f->tcp->unacked_segs > 0)
        srv_send_ack(f, false);
}

static void
server_data(struct traffic_flow *f, const struct traffic_frame_info *fi)
{
    struct traffic__tcp *t = f->tcp;
    uint64_t off = seq_to_off(fi->tcp_seq, t->rcv_iss + 1u, t->rcv_off);
    if (fi->hdr.offset != off || fi->payload_len != t->mss || off % t->mss != 0) {
        f->st.integrity_errors++;
        srv_send_ack(f, false);
        return;
    }
    if (off == t->rcv_off) {
        bool filled = false;
        t->rcv_off += t->mss;
        t->bytes_delivered += t->mss;
        for (;;) {
            uint8_t *slot = &t->ooo[(t->rcv_off / t->mss) % t->ooo_slots];
            if (!*slot)
                break;
            *slot = 0;
            t->rcv_off += t->mss;
            t->bytes_delivered += t->mss;
            filled = true;
        }
        if (filled || ++t->unacked_segs >= f->cfg.ack_every) {
            srv_send_ack(f, false);
        } else if (!sim_timer_is_pending(&t->delack_timer)) {
            if (sim_timer_start(&t->delack_timer, f->cfg.ack_delay) < 0)
                srv_send_ack(f, false);
        }
        return;
    }
    if (off > t->rcv_off) {
        if (off + t->mss - t->rcv_off <= t->window) {
            uint8_t *slot = &t->ooo[(off / t->mss) % t->ooo_slots];
            if (*slot)
                t->dup_segments++;
            *slot = 1;
        } else {
            t->out_of_window++;
        }
    } else {
        t->dup_segments++;
    }
    srv_send_ack(f, false); /* immediate (duplicate) ACK: it tells the sender where the hole is */
}

static void
server_rx(struct traffic_flow *f, const struct traffic_frame_info *fi)
{
    struct traffic__tcp *t = f->tcp;
    uint8_t fl = fi->tcp_flags;
    if (fl & TRAFFIC_TCP_RST)
        return;
    if ((fl & TRAFFIC_TCP_SYN) && !(fl & TRAFFIC_TCP_ACK)) {
        t->syn_seen = true;
        if (t->srv_state == TRAFFIC__SRV_LISTEN || t->srv_state == TRAFFIC__SRV_SYN_RCVD) {
            t->rcv_iss = fi->tcp_seq;
            t->srv_state = TRAFFIC__SRV_SYN_RCVD;
            ctl_send(f, TRAFFIC__PKT_CTL_REV, TRAFFIC_TCP_SYN | TRAFFIC_TCP_ACK, t->srv_iss,
                     t->rcv_iss + 1u);
        } else {
            srv_send_ack(f, t->fin_rcvd);
        }
        return;
    }
    if (t->srv_state == TRAFFIC__SRV_LISTEN)
        return; /* nothing before a SYN (a real stack would answer RST) */
    if (t->srv_state == TRAFFIC__SRV_SYN_RCVD && (fl & TRAFFIC_TCP_ACK) &&
        fi->tcp_ack == t->srv_iss + 1u)
        t->srv_state = TRAFFIC__SRV_ESTABLISHED;
    if (fi->payload_len > 0 && t->srv_state == TRAFFIC__SRV_ESTABLISHED)
        server_data(f, fi);
    if (fl & TRAFFIC_TCP_FIN) {
        uint64_t fin_off = seq_to_off(fi->tcp_seq, t->rcv_iss + 1u, t->rcv_off);
        if (t->fin_rcvd || fin_off == t->rcv_off) {
            t->fin_rcvd = true;
            t->srv_state = TRAFFIC__SRV_CLOSED;
            srv_send_ack(f, true);
        } else {
            srv_send_ack(f, false); /* a hole before the FIN */
        }
    }
}

/* A control segment arrived in direction dir: true if it is to be processed. */
static bool
ctl_arrived(struct traffic__tcp *t, int dir, uint16_t id)
{
    struct traffic_ctl_counts *c = &t->ctl[dir];
    uint8_t *state = &t->ctl_state[dir][id];
    switch (*state & 3u) {
    case TRAFFIC__SLOT_INFLIGHT:
        c->in_flight--;
        break;
    case TRAFFIC__SLOT_DELIVERED:
        c->duplicates++;
        return false;
    case TRAFFIC__SLOT_DROPPED: /* reported dropped, yet here: the delivery wins */
        c->dropped[*state >> 2]--;
        c->dropped_total--;
        c->surplus_drops++;
        break;
    default:
        c->unknown++; /* never sent by this flow: process it, count it */
        return true;
    }
    *state = TRAFFIC__SLOT_DELIVERED;
    c->delivered++;
    return true;
}

void
traffic__tcp_rx(struct traffic_flow *f, enum traffic__role role,
                const struct traffic_frame_info *fi)
{
    struct traffic__tcp *t = f->tcp;
    bool data = fi->payload_len > 0;
    if (data) {
        if (role != TRAFFIC__ROLE_RECEIVER || !fi->has_hdr || fi->hdr.flow_id != f->id ||
            fi->hdr.kind != TRAFFIC_FLOW_TCP) {
            f->st.integrity_errors++;
            return;
        }
        if (!traffic__data_arrived(f, &fi->hdr, now_of(f)))
            return; /* a copy of a packet already processed */
    } else if (!ctl_arrived(t, role == TRAFFIC__ROLE_RECEIVER ? 0 : 1, fi->ip_id)) {
        return; /* a copy of a control segment already processed */
    }
    if (role == TRAFFIC__ROLE_RECEIVER)
        server_rx(f, fi);
    else if (!f->done || t->state == TRAFFIC_CONN_CLOSED) {
        client_rx(f, fi);
        traffic__live_note(f);
    }
}
