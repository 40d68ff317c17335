/* SPDX-License-Identifier: MIT */
/*
 * traffic.h — the applications at both ends of the simulated network: an iperf-like datagram
 * flow (UDP) and a TCP-like reliable stream, each with exact, reconcilable figures.
 *
 * Windows counterpart: none inside the NDIS model. These are the guest's and the external
 * peer's applications (the ones a real failover test would run: `iperf3 -u`, `ntttcp`, a TCP
 * connection that must survive the VF being pulled). They emit real Ethernet II + IPv4 + UDP/TCP
 * frames, so a capture decodes in Wireshark (including its TCP analysis), and every payload
 * starts with a small sriovsim header that names the flow, the packet's sequence number, its
 * send time and its packet id, so any layer's drop sink and the receiver can tell from the bytes
 * alone which flow a frame belongs to.
 *
 * Objects:
 *   - struct traffic_registry: one per simulated world. Holds the scheduler, the packet-id
 *     allocator (own counter or the capture registry's), every endpoint and flow, the ring of
 *     recent packet ids, and the drop sink every other layer reports its drops to.
 *   - struct traffic_endpoint: an application host (MAC, IPv4) attached to a data path through
 *     struct traffic_port_ops (NetVSC's VM adapter in a guest, a wire port for the external
 *     peer). Frames come in through traffic_endpoint_rx().
 *   - struct traffic_flow: a datagram flow or a TCP-like connection from one endpoint to
 *     another. It observes both ends, so its figures are exact: sent = delivered + dropped by
 *     cause + in flight (traffic_flow_reconcile()).
 *
 * Threading: everything belongs to the scheduler's loop thread. No function here allocates
 * after the constructors: sending, receiving and drop accounting run on preallocated buffers.
 */
#ifndef SRIOVSIM_TRAFFIC_H
#define SRIOVSIM_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Frames: Ethernet II, IPv4 (20-byte header, DF, TTL 64, header checksum), UDP or TCP (with a
 * correct L4 checksum), then the payload. Lengths count the frame without the FCS.
 * ------------------------------------------------------------------------------------------- */
#define TRAFFIC_ETH_HLEN      14u
#define TRAFFIC_IPV4_HLEN     20u
#define TRAFFIC_UDP_HLEN      8u
#define TRAFFIC_TCP_HLEN      20u   /* without options */
#define TRAFFIC_ETH_MIN       60u   /* shorter frames are zero-padded (IPv4 total length tells) */
#define TRAFFIC_FRAME_MAX     9216u /* jumbo frames included */
#define TRAFFIC_ETHERTYPE_IP4 0x0800u
#define TRAFFIC_PROTO_TCP     6u
#define TRAFFIC_PROTO_UDP     17u

/* TCP flags (the real bit values). */
#define TRAFFIC_TCP_FIN 0x01u
#define TRAFFIC_TCP_SYN 0x02u
#define TRAFFIC_TCP_RST 0x04u
#define TRAFFIC_TCP_PSH 0x08u
#define TRAFFIC_TCP_ACK 0x10u

/* The sriovsim payload header: the first TRAFFIC_HDR_LEN bytes of every data payload, all
 * fields big-endian:
 *   off  0  u32 magic      TRAFFIC_MAGIC ("SRSM")
 *   off  4  u8  version    TRAFFIC_HDR_VERSION
 *   off  5  u8  kind       enum traffic_flow_kind
 *   off  6  u16 reserved   0
 *   off  8  u32 flow_id    the flow's id in its registry (1, 2, ...)
 *   off 12  u32 reserved   0
 *   off 16  u64 seq        per-flow transmission number (0, 1, 2, ...; a TCP retransmission
 *                          gets a new one)
 *   off 24  i64 send_ns    virtual time the packet was handed to the data path
 *   off 32  u64 packet_id  the run-wide packet id (as in the capture's frame.packet_id)
 *   off 40  u64 offset     TCP-like: byte offset of this segment in the stream; datagram: 0
 * The rest of the payload is a fixed filler pattern. */
#define TRAFFIC_HDR_LEN     48u
#define TRAFFIC_MAGIC       0x5352534du /* "SRSM" */
#define TRAFFIC_HDR_VERSION 1u

enum traffic_flow_kind {
    TRAFFIC_FLOW_DGRAM = 1, /* iperf-like UDP datagrams, paced at a fixed rate */
    TRAFFIC_FLOW_TCP = 2,   /* TCP-like reliable stream */
};

struct traffic_hdr {
    uint32_t magic;
    uint8_t version;
    uint8_t kind;
    uint32_t flow_id;
    uint64_t seq;
    int64_t send_ns;
    uint64_t packet_id;
    uint64_t offset;
};

/* What to build. Addresses: MACs as 6 bytes, IPv4 addresses and ports in host byte order. */
struct traffic_frame_spec {
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint32_t src_ip;
    uint32_t dst_ip;
    uint8_t proto; /* TRAFFIC_PROTO_UDP or TRAFFIC_PROTO_TCP */
    uint8_t ttl;   /* 0 means 64 */
    uint16_t ip_id;
    uint16_t src_port;
    uint16_t dst_port;
    /* TCP only */
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint8_t tcp_flags;
    uint16_t tcp_window; /* the raw 16-bit field */
    uint16_t tcp_mss;    /* nonzero: add an MSS option (SYN segments) */
    int8_t tcp_wscale;   /* >= 0: add a window-scale option (SYN segments); -1: none */
};

/* What a parse found. Multi-byte values in host order. */
struct traffic_frame_info {
    uint8_t dst_mac[6];
    uint8_t src_mac[6];
    uint16_t ethertype;
    uint32_t src_ip;
    uint32_t dst_ip;
    uint8_t proto;
    uint8_t ttl;
    uint16_t ip_id;
    uint16_t ip_total_len;
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint8_t tcp_flags;
    uint16_t tcp_window;
    uint16_t tcp_mss;  /* 0 if no MSS option */
    int8_t tcp_wscale; /* -1 if no window-scale option */
    const uint8_t *payload;
    uint32_t payload_len;
    bool has_hdr; /* payload starts with a valid sriovsim header (magic and version) */
    struct traffic_hdr hdr;
};

/* Parse flags. */
#define TRAFFIC_PARSE_VERIFY_IP 0x1u /* check the IPv4 header checksum */
#define TRAFFIC_PARSE_VERIFY_L4 0x2u /* check the UDP/TCP checksum (UDP checksum 0 = none) */

/* Build a frame into buf (capacity cap): headers from spec, then payload (payload_len bytes,
 * may be NULL when payload_len is 0). Frames shorter than 60 bytes are zero-padded to 60.
 * Returns 0 with *len_out set, SIM_EINVAL (bad spec or arguments) or SIM_ENOSPC (does not fit
 * in cap or in TRAFFIC_FRAME_MAX), with a reason in d. */
int traffic_frame_build(uint8_t *buf, uint32_t cap, const struct traffic_frame_spec *spec,
                        const void *payload, uint32_t payload_len, uint32_t *len_out,
                        struct sim_diag *d);
/* Parse an Ethernet II / IPv4 / UDP-or-TCP frame. Returns 0, SIM_EPARSE (truncated, not IPv4,
 * not UDP/TCP, IP options, fragments, bad lengths, bad checksum when asked) or SIM_EINVAL,
 * with a reason in d. Never reads beyond len. */
int traffic_frame_parse(const void *frame, uint32_t len, unsigned flags,
                        struct traffic_frame_info *out, struct sim_diag *d);
/* Write / read the sriovsim payload header (buf holds at least TRAFFIC_HDR_LEN bytes).
 * traffic_hdr_decode returns false if the magic or version is wrong. */
void traffic_hdr_encode(uint8_t *buf, const struct traffic_hdr *h);
bool traffic_hdr_decode(const uint8_t *buf, uint32_t len, struct traffic_hdr *out);
/* Internet checksum helpers: add `len` bytes to a running 32-bit sum (big-endian 16-bit
 * words; an odd tail byte is padded with zero) and fold a sum to the final complemented
 * 16-bit checksum. */
uint32_t traffic_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t traffic_csum_fold(uint32_t sum);
/* "02:00:00:00:00:01" -> 6 bytes; "10.0.0.1" -> host-order u32. SIM_EINVAL if malformed. */
int traffic_mac_parse(const char *text, uint8_t mac[6]);
int traffic_ipv4_parse(const char *text, uint32_t *out);

/* ---------------------------------------------------------------------------------------------
 * Registry.
 * ------------------------------------------------------------------------------------------- */
struct traffic_registry;
struct traffic_endpoint;
struct traffic_flow;

struct traffic_registry_config {
    struct sim_sched *sched; /* required */
    uint64_t seed;           /* derives TCP initial sequence numbers */
    /* Packet ids: the run-wide allocator (e.g. a wrapper around cap_packet_id_next). NULL:
     * the registry's own monotonic counter, starting at 1. */
    uint64_t (*packet_id_next)(void *ctx);
    void *packet_id_ctx;
    uint32_t max_flows;     /* 0: 256. Flow ids are 1..max_flows and never reused. */
    uint32_t max_endpoints; /* 0: 64 */
    /* Packet-id ring: remembers the last 2^id_ring_order packet ids this registry sent, so
     * that a drop reported without its frame is still charged to its flow. 0: 16 (65,536). */
    uint32_t id_ring_order;
};

/* Create a registry. Returns 0, SIM_EINVAL (with d) or SIM_ENOMEM. */
int traffic_registry_create(const struct traffic_registry_config *cfg,
                            struct traffic_registry **out, struct sim_diag *d);
/* Destroy the registry and every endpoint and flow still in it (their timers are stopped).
 * NULL is ignored. */
void traffic_registry_destroy(struct traffic_registry *reg);
struct sim_sched *traffic_registry_sched(const struct traffic_registry *reg);
/* Draw the next packet id (from the configured allocator). */
uint64_t traffic_registry_packet_id_next(struct traffic_registry *reg);
/* The drop sink every layer reports drops to (see drop.c): it parses the frame when given and
 * charges the drop to its flow and sequence number by cause; drops it cannot attribute (not
 * our frame, or no frame and a packet id older than the ring) are counted as unattributed by
 * cause. The pointer lives as long as the registry. */
const struct sim_drop_sink *traffic_registry_drop_sink(struct traffic_registry *reg);
/* Look up a flow by id (NULL if none). */
struct traffic_flow *traffic_registry_flow(const struct traffic_registry *reg, uint32_t flow_id);

struct traffic_registry_stats {
    uint64_t drop_reports;                       /* every call of the drop sink */
    uint64_t attributed;                         /* charged to a flow */
    uint64_t attributed_by_id;                   /* ... found through the packet-id ring */
    uint64_t unattributed_total;                 /* not ours, or no longer known */
    uint64_t unattributed[SIM_DROP_CAUSE_COUNT]; /* by cause */
    uint64_t bad_cause;                          /* reports with an out-of-range cause */
    uint64_t packet_ids;                         /* packet ids drawn by this registry */
    uint32_t flows;                              /* live flows */
    uint32_t endpoints;                          /* live endpoints */
};
void traffic_registry_stats(const struct traffic_registry *reg, struct traffic_registry_stats *out);

/* ---------------------------------------------------------------------------------------------
 * Endpoints.
 * ------------------------------------------------------------------------------------------- */

/* How an endpoint sends: supplied by whatever connects it (NetVSC's VM adapter, a wire port).
 * xmit: hand one frame to the data path. The frame is valid only during the call (the data
 * path copies it or reports its drop before returning). Return 0 when the data path took the
 * frame: from then on it either delivers it or reports its drop, with a cause, to the
 * registry's drop sink (an immediate drop inside xmit is reported the same way and still
 * returns 0). A negative SIM_E* return means the frame was refused and not taken: the flow
 * counts it as refused (not sent) and tries again later. xmit may deliver synchronously
 * (traffic_endpoint_rx of the peer inside the call). */
struct traffic_port_ops {
    int (*xmit)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id);
};

struct traffic_endpoint_config {
    const char *name; /* "vm1", "peer"; copied (up to 31 bytes) */
    uint8_t mac[6];
    uint32_t ipv4;                      /* host order */
    const struct traffic_port_ops *ops; /* may be NULL until traffic_endpoint_connect() */
    void *ops_ctx;
};

struct traffic_endpoint_stats {
    uint64_t tx_frames;    /* frames the data path took */
    uint64_t tx_refused;   /* xmit returned an error, or no data path connected */
    uint64_t rx_frames;    /* every frame given to traffic_endpoint_rx */
    uint64_t rx_malformed; /* failed to parse or bad IPv4 checksum (counted here; not a flow's) */
    uint64_t rx_not_ours;  /* wrong destination MAC/IP: reported as no-filter-match */
    uint64_t rx_no_flow;   /* no flow bound to the port: reported as no-route */
};

/* Create an endpoint in reg. Returns 0, SIM_EINVAL (with d), SIM_EXIST (name or IPv4 already
 * used), SIM_NOSPC (max_endpoints) or SIM_ENOMEM. */
int traffic_endpoint_create(struct traffic_registry *reg, const struct traffic_endpoint_config *cfg,
                            struct traffic_endpoint **out, struct sim_diag *d);
/* Destroy an endpoint; flows using it must have been destroyed (else SIM_EBUSY, nothing
 * done). NULL is ignored (returns 0). */
int traffic_endpoint_destroy(struct traffic_endpoint *ep);
/* (Re)connect the endpoint to a data path (ops NULL: disconnected; sends are refused). */
void traffic_endpoint_connect(struct traffic_endpoint *ep, const struct traffic_port_ops *ops,
                              void *ctx);
/* A frame arrives from the data path (valid only during the call). The endpoint checks the
 * destination MAC (its own or broadcast) and IPv4, verifies the IPv4 header checksum and hands
 * the frame to the flow bound to its protocol and port. Frames for another host are reported
 * to the drop sink as no-filter-match; frames for no flow as no-route. Returns 0 when a flow
 * took it, or SIM_EPARSE / SIM_ENOENT (after counting and, for the latter, reporting). */
int traffic_endpoint_rx(struct traffic_endpoint *ep, const uint8_t *frame, uint32_t len);
const char *traffic_endpoint_name(const struct traffic_endpoint *ep);
void traffic_endpoint_stats(const struct traffic_endpoint *ep, struct traffic_endpoint_stats *out);

/* ---------------------------------------------------------------------------------------------
 * Flows.
 * ------------------------------------------------------------------------------------------- */
enum traffic_conn_state {
    TRAFFIC_CONN_NONE = 0,        /* datagram flows have no connection */
    TRAFFIC_CONN_IDLE = 1,        /* created, not started */
    TRAFFIC_CONN_SYN_SENT = 2,    /* handshake in progress */
    TRAFFIC_CONN_ESTABLISHED = 3, /* sending / receiving data */
    TRAFFIC_CONN_FIN_WAIT = 4,    /* all data acknowledged, FIN sent */
    TRAFFIC_CONN_CLOSED = 5,      /* FIN exchanged: a clean end */
    TRAFFIC_CONN_DEAD = 6,        /* gave up after max_retries fruitless retransmissions */
};
const char *traffic_conn_state_name(enum traffic_conn_state s);

struct traffic_flow_config {
    const char *name;             /* copied (up to 31 bytes); NULL: "flow<id>" */
    struct traffic_endpoint *src; /* the sender (TCP: the client) */
    struct traffic_endpoint *dst; /* the receiver (TCP: the server) */
    uint16_t src_port;            /* 0: 40000 + flow id */
    uint16_t dst_port;            /* 0: 5001 (datagram) / 5201 (TCP) */
    uint32_t frame_len;           /* bytes per data frame without FCS; 0: 1500 */
    uint64_t rate_bps;            /* bits/s of data frames (frame_len * 8 per frame). Datagram:
                                     required. TCP: 0 = as fast as the window allows */
    uint32_t batch;               /* frames sent per pacing event (same timestamp); 0: 1 */
    uint64_t count;               /* datagram: frames to send; TCP: stream bytes, rounded up to
                                     whole segments; 0: until duration or stop */
    sim_time_t duration;          /* stop sending new data after this long; 0: no limit */
    sim_time_t start_delay;       /* traffic_flow_start() begins this long after the call */
    uint32_t track_order;         /* log2 of the per-packet state window; 0: 16 */
    sim_time_t inflight_limit;    /* a packet unresolved for longer is "unaccounted" in
                                     traffic_flow_reconcile(); 0: 1 s */
    /* TCP-like only */
    uint32_t window_bytes;   /* fixed send window; 0: 256 KiB (window scaling on) */
    sim_time_t rto_initial;  /* 0: 10 ms */
    sim_time_t rto_min;      /* 0: 1 ms */
    sim_time_t rto_max;      /* 0: 1 s */
    uint32_t max_retries;    /* consecutive fruitless retransmission timeouts before the
                                connection is declared dead; 0: 8 */
    bool no_fast_retransmit; /* disable fast retransmit on 3 duplicate ACKs */
    uint32_t ack_every;      /* the receiver ACKs every Nth in-order segment; 0: 1 */
    sim_time_t ack_delay;    /* delayed-ACK timer when ack_every > 1; 0: 50 us */
    /* Called once when the flow is finished (datagram: last frame sent; TCP: closed or dead). */
    void (*on_done)(void *ctx, struct traffic_flow *flow);
    void *on_done_ctx;
};

/* Create a datagram or TCP-like flow between two endpoints of the same registry (binds the
 * source port on src and the destination port on dst). Returns 0, SIM_EINVAL (with d),
 * SIM_EXIST (port already bound), SIM_NOSPC (no flow id left) or SIM_ENOMEM. */
int traffic_dgram_create(struct traffic_registry *reg, const struct traffic_flow_config *cfg,
                         struct traffic_flow **out, struct sim_diag *d);
int traffic_tcp_create(struct traffic_registry *reg, const struct traffic_flow_config *cfg,
                       struct traffic_flow **out, struct sim_diag *d);
/* Destroy a flow (stops its timers, unbinds its ports). NULL is ignored. */
void traffic_flow_destroy(struct traffic_flow *flow);
/* Start sending (after cfg.start_delay). TCP: sends the SYN. Returns 0, SIM_ESTATE (already
 * started) or SIM_ENOMEM (timer heap growth). */
int traffic_flow_start(struct traffic_flow *flow);
/* Stop sending new data. Datagram: done at once. TCP: finish what is outstanding, then FIN. */
void traffic_flow_stop(struct traffic_flow *flow);
/* Datagram: the sender finished. TCP: closed or dead. */
bool traffic_flow_is_done(const struct traffic_flow *flow);
uint32_t traffic_flow_id(const struct traffic_flow *flow);
const char *traffic_flow_name(const struct traffic_flow *flow);
enum traffic_flow_kind traffic_flow_kind(const struct traffic_flow *flow);

/* Latency from the header's send_ns to arrival, over unique deliveries. Percentiles come from
 * a fixed log histogram (8 sub-buckets per power of two: at most 12.5% above the true value,
 * clamped to [min, max]). All zero when count is 0. */
struct traffic_latency {
    uint64_t count;
    sim_time_t min;
    sim_time_t avg;
    sim_time_t max;
    sim_time_t p50;
    sim_time_t p90;
    sim_time_t p99;
    sim_time_t p999;
};

/* TCP control segments (SYN, SYN-ACK, pure ACK, FIN) in one direction. They carry no sriovsim
 * header; each direction numbers its control segments in the IPv4 identification field, which
 * identifies them at the receiver and in the drop sink (the last 65,536 per direction). Same
 * rules as data packets: first fate wins, a delivery overrides an earlier drop report. */
struct traffic_ctl_counts {
    uint64_t sent;
    uint64_t delivered;  /* unique */
    uint64_t duplicates; /* further copies (not processed again) */
    uint64_t dropped_total;
    uint64_t dropped[SIM_DROP_CAUSE_COUNT];
    uint64_t surplus_drops; /* drop reports for one already delivered / dropped / unknown */
    uint64_t unknown;       /* arrivals whose number was never sent (still processed) */
    uint64_t unaccounted;   /* still unresolved when its number was reused 65,536 sends later */
    int64_t in_flight;      /* sent - delivered - dropped_total - unaccounted */
};

/* The figures of one flow. Definitions (README.md has the same table):
 *   data packets = datagrams, or TCP segments carrying data (each transmission counts; a
 *   retransmission is a new packet with a new seq).
 *   sent          data packets the data path took (refused ones not counted)
 *   delivered     unique data packets that reached the receiving flow
 *   duplicates    further copies of an already delivered packet
 *   reordered     unique deliveries whose seq is lower than the highest seq seen before
 *   dropped[c]    packets whose drop was reported with cause c (first fate; see surplus below)
 *   lost          == dropped_total: known lost, each with a cause
 *   in_flight     sent, neither delivered nor reported dropped yet
 *   unaccounted   left the tracking window (2^track_order newer packets sent) still unresolved:
 *                 lost without a cause (a contract violation; reconcile fails)
 *   stale_inflight  in flight for longer than inflight_limit (reconcile fails)
 *   surplus_drops drop reports for a packet already delivered or already dropped (a
 *                 duplicate copy that was dropped, or a double report)
 *   drop_then_delivered  packets reported dropped that arrived anyway (the delivery wins and
 *                 the drop is moved to surplus_drops)
 *   late_unknown  arrivals older than the tracking window (cannot be classified)
 *   gap_max       largest time between two consecutive data arrivals at the receiver
 *   throughput    delivered frame bits / (last delivery - first send)
 * TCP-like:
 *   retransmissions, fast_retransmits, timeouts; stream_bytes (unique bytes sent),
 *   bytes_acked (cumulatively acknowledged), bytes_delivered (handed in order to the receiving
 *   application); dup_segments (data the receiver already had); contiguous (the receiver's
 *   stream has every byte exactly once and in order, every header offset matched its TCP
 *   sequence number, and — once closed — bytes_delivered == stream_bytes);
 *   alive = state is not DEAD. */
struct traffic_flow_stats {
    uint32_t flow_id;
    char name[32];
    enum traffic_flow_kind kind;
    uint64_t sent;
    uint64_t sent_bytes; /* frame bytes */
    uint64_t refused;
    uint64_t delivered;
    uint64_t delivered_bytes; /* frame bytes of unique deliveries */
    uint64_t duplicates;
    uint64_t reordered;
    uint64_t lost;
    uint64_t dropped_total;
    uint64_t dropped[SIM_DROP_CAUSE_COUNT];
    uint64_t in_flight;
    uint64_t unaccounted;
    uint64_t stale_inflight;
    uint64_t surplus_drops;
    uint64_t drop_then_delivered;
    uint64_t late_unknown;
    struct traffic_latency latency;
    sim_time_t gap_max;
    uint64_t stalls;        /* times the sender was left with nothing armed to make it send
                               again while it should be sending (liveness broken); 0 */
    sim_time_t first_stall; /* when the first stall happened; -1 if none */
    sim_time_t first_tx; /* -1 if none */
    sim_time_t last_tx;
    sim_time_t first_rx;
    sim_time_t last_rx;
    double throughput_bps;
    double throughput_gbps;
    /* TCP-like */
    enum traffic_conn_state state;
    bool alive;
    bool syn_seen; /* the server received the client's SYN */
    bool contiguous;
    uint64_t retransmissions;
    uint64_t fast_retransmits;
    uint64_t timeouts;
    uint64_t stream_bytes;
    uint64_t bytes_acked;
    uint64_t bytes_delivered;
    uint64_t dup_segments;
    uint64_t out_of_window;
    uint64_t integrity_errors;
    sim_time_t rto;
    sim_time_t srtt;
    double goodput_bps;
    struct traffic_ctl_counts ctl_fwd; /* client -> server control segments */
    struct traffic_ctl_counts ctl_rev; /* server -> client (SYN-ACK, ACKs, FIN-ACK) */
};

/* A description of every field of struct traffic_flow_stats, in a stable order, so that a tool
 * can print the figures (JSON, tables) without knowing them one by one. */
enum traffic_field_type {
    TRAFFIC_FIELD_U64 = 1,      /* uint64_t */
    TRAFFIC_FIELD_U32 = 2,      /* uint32_t */
    TRAFFIC_FIELD_TIME = 3,     /* sim_time_t, ns */
    TRAFFIC_FIELD_DOUBLE = 4,   /* double */
    TRAFFIC_FIELD_BOOL = 5,     /* bool */
    TRAFFIC_FIELD_STRING = 6,   /* char[] NUL-terminated */
    TRAFFIC_FIELD_KIND = 7,     /* enum traffic_flow_kind: print "dgram" / "tcp" */
    TRAFFIC_FIELD_STATE = 8,    /* enum traffic_conn_state: print traffic_conn_state_name() */
    TRAFFIC_FIELD_CAUSES = 9,   /* uint64_t[SIM_DROP_CAUSE_COUNT]: print by sim_drop_cause_name() */
    TRAFFIC_FIELD_LATENCY = 10, /* struct traffic_latency */
    TRAFFIC_FIELD_CTL = 11,     /* struct traffic_ctl_counts */
};

struct traffic_stats_field {
    const char *name; /* the struct member's name, also the JSON key */
    enum traffic_field_type type;
    size_t offset; /* offsetof(struct traffic_flow_stats, member) */
};

/* The table (never NULL) and its length in *count. */
const struct traffic_stats_field *traffic_flow_stats_fields(size_t *count);
/* "dgram" or "tcp". */
const char *traffic_flow_kind_name(enum traffic_flow_kind kind);

/* Fill out with the flow's figures at the current virtual time (never fails). */
void traffic_flow_stats(const struct traffic_flow *flow, struct traffic_flow_stats *out);

/* Check that the flow's figures reconcile: sent == delivered + dropped_total + in_flight +
 * unaccounted, no packet unaccounted, none in flight longer than inflight_limit, and (TCP) the
 * same for control segments in each direction (none unaccounted, none over-reported, none left
 * in flight longer than inflight_limit after the last one was sent). Surplus drop reports (a
 * flooded copy dropped elsewhere, a drop reported for a packet that then arrived) do not fail
 * it; they are counted and named in the reason when something else fails. Safe to call at any
 * time; "in flight" is only suspicious once older than inflight_limit. Returns 0, or
 * SIM_EPROTO with every mismatch explained in words in d. */
int traffic_flow_reconcile(const struct traffic_flow *flow, struct sim_diag *d);

/* Liveness: a flow that should be sending has something scheduled that will make it send
 * (its pacing timer, or for a TCP-like client its retransmission timer). A datagram flow that
 * is started, not stopped and not finished, or a TCP-like client in SYN_SENT / ESTABLISHED /
 * FIN_WAIT, with neither armed will never send again: a stall. The flow checks this after each
 * of its sender's callbacks and counts stalls (stats.stalls, first_stall), so a stall is caught
 * even if something later revives the flow (a `flow stop` kicks the sender). A connection
 * declared dead is not a stall (it gave up; `alive` reports it). Returns 0, or SIM_ESTATE with
 * the stall described in d (the flow, its state, when it stalled, its last transmission). */
int traffic_flow_check_live(const struct traffic_flow *flow, struct sim_diag *d);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_TRAFFIC_H */
