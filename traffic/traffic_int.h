/* SPDX-License-Identifier: MIT */
/*
 * traffic_int.h — private structures of the traffic module (registry, endpoints, flows, the
 * per-packet state window, the latency histogram, the TCP-like state).
 */
#ifndef SRIOVSIM_TRAFFIC_INT_H
#define SRIOVSIM_TRAFFIC_INT_H

#include <string.h>

#include "traffic/traffic.h"

SIM_LOG_NS_DECLARE(traffic);
SIM_ALLOC_TAG_DECLARE(traffic_registry);
SIM_ALLOC_TAG_DECLARE(traffic_endpoint);
SIM_ALLOC_TAG_DECLARE(traffic_flow);

#define TRAFFIC__NAME_MAX      32u
#define TRAFFIC__BINDINGS_MAX  32u /* flow ports bound per endpoint */
#define TRAFFIC__HIST_SUB_BITS 3u  /* 8 sub-buckets per power of two */
#define TRAFFIC__HIST_BUCKETS  (64u << TRAFFIC__HIST_SUB_BITS)

/* Byte order helpers (frames are big-endian). */
static inline void
traffic__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void
traffic__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void
traffic__put64(uint8_t *p, uint64_t v)
{
    traffic__put32(p, (uint32_t)(v >> 32));
    traffic__put32(p + 4, (uint32_t)v);
}
static inline uint16_t
traffic__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t
traffic__get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t
traffic__get64(const uint8_t *p)
{
    return ((uint64_t)traffic__get32(p) << 32) | traffic__get32(p + 4);
}

/* What a packet-id ring entry or a drop refers to. */
enum traffic__pkt_kind {
    TRAFFIC__PKT_DATA = 1,    /* a data packet with a sriovsim header (seq tracked) */
    TRAFFIC__PKT_CTL_FWD = 2, /* TCP control segment client -> server */
    TRAFFIC__PKT_CTL_REV = 3, /* TCP control segment server -> client */
};

struct traffic__id_entry {
    uint64_t packet_id; /* 0: empty */
    uint64_t seq;
    uint32_t flow_id;
    uint32_t kind; /* enum traffic__pkt_kind */
};

struct traffic_registry {
    struct sim_sched *sched;
    uint64_t (*packet_id_next)(void *ctx);
    void *packet_id_ctx;
    uint64_t own_packet_id; /* last id drawn from the own counter */
    struct sim_prng prng;
    struct sim_drop_sink sink;
    struct traffic_flow **flows; /* index = flow id - 1 */
    uint32_t max_flows;
    uint32_t next_flow_id;
    struct traffic_endpoint **endpoints;
    uint32_t max_endpoints;
    struct traffic__id_entry *ids;
    uint64_t id_mask;
    struct traffic_registry_stats st;
};

enum traffic__role {
    TRAFFIC__ROLE_SENDER = 1,   /* the flow's source side (TCP client: receives ACKs) */
    TRAFFIC__ROLE_RECEIVER = 2, /* the flow's destination side (TCP server) */
};

struct traffic__binding {
    struct traffic_flow *flow;
    uint16_t port;
    uint8_t proto;
    uint8_t role;
};

struct traffic_endpoint {
    struct traffic_registry *reg;
    char name[TRAFFIC__NAME_MAX];
    char where_rx[TRAFFIC__NAME_MAX + 8]; /* "<name> rx", for drop reports */
    uint8_t mac[6];
    uint32_t ip;
    const struct traffic_port_ops *ops;
    void *ops_ctx;
    uint32_t slot; /* index in reg->endpoints */
    uint32_t nbindings;
    struct traffic__binding bindings[TRAFFIC__BINDINGS_MAX];
    struct traffic_endpoint_stats st;
};

/* Per-packet state slot: bits 0-1 state, bits 2-6 drop cause, bits 8-63 send time (ns). */
enum traffic__slot_state {
    TRAFFIC__SLOT_FREE = 0,
    TRAFFIC__SLOT_INFLIGHT = 1,
    TRAFFIC__SLOT_DELIVERED = 2,
    TRAFFIC__SLOT_DROPPED = 3,
};

struct traffic__hist {
    uint64_t count;
    uint64_t sum;
    sim_time_t min;
    sim_time_t max;
    uint64_t bucket[TRAFFIC__HIST_BUCKETS];
};

struct traffic__tcp {
    /* client (sender) side; offsets are stream byte offsets, seq = iss + 1 + offset */
    enum traffic_conn_state state;
    uint32_t iss;
    uint32_t mss; /* payload bytes per segment (all segments are this long) */
    uint64_t window;
    uint8_t wscale;
    uint64_t end_off; /* stream length once known (UINT64_MAX: not yet) */
    uint64_t una_off; /* oldest unacknowledged byte */
    uint64_t nxt_off; /* next byte to (re)send */
    uint64_t max_off; /* highest byte ever sent + 1 */
    bool fin_sent;
    bool fin_acked;
    bool fast_rexmit_pending;
    uint32_t dupacks;
    uint32_t retries; /* consecutive timeouts without progress */
    sim_time_t rto;
    sim_time_t srtt;
    sim_time_t rttvar;
    bool rtt_valid;
    bool rtt_active; /* timing one segment (Karn: cancelled by any retransmission) */
    uint64_t rtt_end_off;
    sim_time_t rtt_start;
    bool syn_retransmitted;
    sim_time_t syn_time;
    struct sim_timer rto_timer;
    /* server (receiver) side */
    int srv_state; /* enum traffic__srv_state */
    uint32_t srv_iss;
    uint32_t rcv_iss;      /* the client's ISS learned from its SYN */
    uint64_t rcv_off;      /* next in-order byte expected */
    uint32_t ooo_slots;    /* out-of-order bitmap slots (segments) */
    uint8_t *ooo;          /* one byte per segment slot: 1 = buffered */
    uint32_t unacked_segs; /* in-order segments not yet acknowledged (delayed ACK) */
    struct sim_timer delack_timer;
    bool fin_rcvd;
    /* figures */
    uint64_t stream_bytes;
    uint64_t bytes_acked;
    uint64_t bytes_delivered;
    uint64_t retransmissions;
    uint64_t fast_retransmits;
    uint64_t timeouts;
    uint64_t dup_segments;
    uint64_t out_of_window;
    bool syn_seen;
    bool probe_only; /* after a timeout: one segment until an ACK makes progress */
    /* control segments, index 0 = client->server, 1 = server->client */
    struct traffic_ctl_counts ctl[2];
    sim_time_t ctl_last_tx[2];
    uint16_t ctl_next_id[2];
    uint8_t *ctl_state[2]; /* 65,536 entries: bits 0-1 slot state, bits 2-6 drop cause */
};

enum traffic__srv_state {
    TRAFFIC__SRV_LISTEN = 0,
    TRAFFIC__SRV_SYN_RCVD = 1,
    TRAFFIC__SRV_ESTABLISHED = 2,
    TRAFFIC__SRV_CLOSED = 3,
};

struct traffic_flow {
    struct traffic_registry *reg;
    uint32_t id;
    enum traffic_flow_kind kind;
    char name[TRAFFIC__NAME_MAX];
    struct traffic_flow_config cfg; /* defaults applied; cfg.name points at name */
    struct traffic_endpoint *src;
    struct traffic_endpoint *dst;
    /* pacing: next_send advances by step_ns + carry of (frame bits * 1e9) / rate */
    struct sim_timer pace_timer;
    bool started;
    bool sending; /* new data may still be sent */
    bool done;
    sim_time_t next_send;
    sim_time_t stop_at; /* SIM_TIME_NEVER if no duration */
    uint64_t step_num;  /* frame bits * 1e9 */
    uint64_t step_ns;   /* step_num / rate */
    uint64_t step_rem;  /* step_num % rate */
    uint64_t rem_acc;
    /* data frame template: headers + sriovsim header + filler */
    uint8_t *tx;
    uint32_t frame_len;
    uint32_t l4_off;     /* offset of the UDP/TCP header */
    uint32_t hdr_off;    /* offset of the sriovsim header */
    uint32_t filler_sum; /* checksum sum of the filler after the sriovsim header */
    uint32_t pseudo_sum; /* pseudo header sum (addresses, protocol, L4 length) */
    /* per-packet state window */
    uint64_t *slots;
    uint64_t slot_mask;
    uint64_t next_seq; /* next transmission number */
    uint64_t oldest;   /* every seq below is resolved or expired */
    /* receiver */
    bool any_rx;
    uint64_t highest_seq;
    sim_time_t last_arrival;
    struct traffic__hist lat;
    struct traffic_flow_stats st; /* counters kept live; derived fields filled on read */
    /* liveness: st.stalls / st.first_stall are updated by traffic__live_note() after every
     * callback that may leave the sender without an armed timer */
    struct traffic__tcp *tcp;     /* TCP-like only */
};

/* stats.c: after a sender callback, record a stall (should send, nothing armed). */
void traffic__live_note(struct traffic_flow *f);

/* frame.c: data frame templates for the hot path */
int traffic__template_build(struct traffic_flow *f, struct sim_diag *d);
/* Stamp the template with this packet's fields and checksums. tcp_seq/tcp_ack/flags/window are
 * ignored for UDP. */
void traffic__template_stamp(struct traffic_flow *f, const struct traffic_hdr *h, uint32_t tcp_seq,
                             uint32_t tcp_ack, uint8_t tcp_flags, uint16_t tcp_window);

/* registry.c */
uint64_t traffic__packet_id(struct traffic_registry *reg, uint32_t flow_id,
                            enum traffic__pkt_kind kind, uint64_t seq);
const struct traffic__id_entry *traffic__id_lookup(const struct traffic_registry *reg,
                                                   uint64_t packet_id);
struct traffic_flow *traffic__flow_by_ports(const struct traffic_registry *reg, uint8_t proto,
                                            uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                                            uint16_t dst_port, enum traffic__pkt_kind *kind);

/* endpoint.c */
int traffic__endpoint_bind(struct traffic_endpoint *ep, struct traffic_flow *f, uint8_t proto,
                           uint16_t port, enum traffic__role role, struct sim_diag *d);
void traffic__endpoint_unbind(struct traffic_endpoint *ep, struct traffic_flow *f);
int traffic__endpoint_xmit(struct traffic_endpoint *ep, const uint8_t *frame, uint32_t len,
                           uint64_t packet_id);

/* flow.c: common flow machinery */
int traffic__flow_create(struct traffic_registry *reg, enum traffic_flow_kind kind,
                         const struct traffic_flow_config *cfg, struct traffic_flow **out,
                         struct sim_diag *d);
void traffic__pace_next(struct traffic_flow *f, uint32_t frames);
/* Send the template as data packet `seq` (already stamped). Returns 0 if taken, else the
 * refusal (state rolled back, refused counted). */
int traffic__data_send(struct traffic_flow *f, uint64_t seq, uint64_t packet_id);
/* Start tracking seq before xmit / roll back after a refusal. */
void traffic__track_sent(struct traffic_flow *f, uint64_t seq, sim_time_t now);
/* Receiver side: a data packet arrived. Returns true if it is the first copy (unique). */
bool traffic__data_arrived(struct traffic_flow *f, const struct traffic_hdr *h, sim_time_t now);
/* A drop report for data packet seq. */
void traffic__data_dropped(struct traffic_flow *f, uint64_t seq, enum sim_drop_cause cause);
void traffic__ctl_dropped(struct traffic_flow *f, enum traffic__pkt_kind kind, uint16_t id,
                          enum sim_drop_cause cause);
void traffic__flow_finish(struct traffic_flow *f);
/* Count packets in flight for longer than the flow's inflight_limit (send times grow with seq,
 * so the scan stops at the first young packet); *first = the oldest such seq. */
uint64_t traffic__stale_inflight(const struct traffic_flow *f, sim_time_t now, uint64_t *first);

/* dgram.c / tcp.c: per-kind hooks */
void traffic__dgram_rx(struct traffic_flow *f, const struct traffic_frame_info *fi);
int traffic__tcp_init(struct traffic_flow *f, struct sim_diag *d);
void traffic__tcp_fini(struct traffic_flow *f);
int traffic__tcp_start(struct traffic_flow *f);
void traffic__tcp_stop(struct traffic_flow *f);
void traffic__tcp_rx(struct traffic_flow *f, enum traffic__role role,
                     const struct traffic_frame_info *fi);
void traffic__dgram_pace_cb(struct sim_timer *t);

/* drop.c: the sink callback */
void traffic__drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
                      const void *frame, uint32_t len);

/* stats.c */
void traffic__hist_add(struct traffic__hist *h, sim_time_t v);
void traffic__hist_fill(const struct traffic__hist *h, struct traffic_latency *out);

#endif /* SRIOVSIM_TRAFFIC_INT_H */
