/* SPDX-License-Identifier: MIT */
/* vsp_test.h — shared fixture for the netvsp and netvsc tests: a virtual-clock scheduler, a
 * root partition and two VMs, the extensible switch with an in-test wire as its uplink (records
 * every frame sent to it), a port per VM and a NetVSC adapter per VM whose application endpoint
 * records what it receives, and a drop sink that counts by cause. */
#ifndef SRIOVSIM_TESTS_VSP_TEST_H
#define SRIOVSIM_TESTS_VSP_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "capture/capture.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "netvsp/nvsp_proto.h"

#define VT_LOG_MAX 4096u

/* A frame log (in-test wire, application endpoint, in-test VF driver). */
struct vt_log {
    uint32_t count;
    uint64_t ids[VT_LOG_MAX];
    sim_time_t times[VT_LOG_MAX];  /* arrival times when clock is set */
    const struct sim_sched *clock; /* may be NULL */
    uint32_t lens[VT_LOG_MAX];
    uint8_t last[NETVSP_FRAME_MAX];
    uint32_t last_len;
    int refuse; /* in-test wire: return this from send (0: take) */
    /* in-test wire: also hand each frame to this (e.g. a peer application) */
    void (*forward)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id);
    void *forward_ctx;
};

static inline void
vt_log_add(struct vt_log *l, const uint8_t *frame, uint32_t len, uint64_t id)
{
    if (l->count < VT_LOG_MAX) {
        l->ids[l->count] = id;
        l->lens[l->count] = len;
        l->times[l->count] = l->clock ? sim_sched_now(l->clock) : 0;
    }
    l->count++;
    memcpy(l->last, frame, len);
    l->last_len = len;
}

struct vt_drops {
    uint64_t by_cause[SIM_DROP_CAUSE_COUNT];
    uint64_t total;
    uint64_t last_id;
    char last_where[64];
};

static void
vt_drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
           const void *frame, uint32_t len)
{
    struct vt_drops *d = ctx;
    d->by_cause[cause]++;
    d->total++;
    d->last_id = packet_id;
    snprintf(d->last_where, sizeof d->last_where, "%s", where);
}

static int
vt_wire_send(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct vt_log *l = ctx;
    if (l->refuse)
        return l->refuse;
    vt_log_add(l, frame, len, packet_id);
    if (l->forward)
        l->forward(l->forward_ctx, frame, len, packet_id);
    return 0;
}

static void
vt_app_rx(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    vt_log_add(ctx, frame, len, packet_id);
}

static const struct netvsp_uplink_ops vt_wire_ops = {.send = vt_wire_send};
static const struct netvsc_rx_ops vt_app_ops = {.receive = vt_app_rx};

#define VT_VMS 2

struct vt {
    struct sim_sched *s;
    struct hv_partition *root, *vm[VT_VMS];
    struct vt_drops drops;
    struct sim_drop_sink sink;
    struct vt_log wire;
    struct vt_log app[VT_VMS];
    struct netvsp_switch *sw;
    struct netvsp_port *port[VT_VMS];
    struct netvsc_adapter *ad[VT_VMS];
    struct cap_registry *cap;
};

static const uint8_t vt_mac[VT_VMS][6] = {{0x02, 0, 0, 0, 0, 0x01}, {0x02, 0, 0, 0, 0, 0x02}};
static const uint8_t vt_peer_mac[6] = {0x02, 0, 0, 0, 0, 0xee};
static const uint8_t vt_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static inline struct hv_partition *
vt_partition(struct sim_sched *s, uint32_t id, const char *name, enum hv_partition_kind kind)
{
    struct hv_partition_config c;
    hv_partition_config_init(&c);
    c.id = id;
    c.name = name;
    c.kind = kind;
    c.mem_size = UINT64_C(8) << 20;
    struct hv_partition *p = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(hv_partition_create(s, NULL, &c, &p, &d), 0, "%s", d.reason);
    return p;
}

/* Build an Ethernet II frame of len bytes (IPv4 ethertype, filler payload). */
static inline uint32_t
vt_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint32_t len, uint8_t fill)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    for (uint32_t i = 14; i < len; i++)
        buf[i] = (uint8_t)(fill + i);
    return len;
}

/* An IPv4/TCP frame with the given TCP flags (checksums not needed by the switch). */
static inline uint32_t
vt_tcp_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint8_t flags)
{
    memset(buf, 0, 64);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    uint8_t *ip = buf + 14;
    ip[0] = 0x45;
    ip[3] = 40;
    ip[8] = 64;
    ip[9] = 6;
    ip[20 + 12] = 0x50;
    ip[20 + 13] = flags;
    return 64;
}

/* Options of a world: policies may be NULL (defaults); with_cap creates a capture registry;
 * events / port_ops apply to vm1. */
struct vt_opts {
    const struct netvsp_port_policy *pol[VT_VMS];
    bool with_cap;
    sim_time_t takeover_ns;
    const struct netvsc_event_ops *events;
    void *events_ctx;
    const struct netvsp_port_ops *port_ops;
    void *port_ops_ctx;
    sim_time_t cost_per_frame_ns; /* the switch's cost model */
    uint32_t cost_per_byte_ps;
};

static inline void
vt_setup_opts(struct vt *t, const struct vt_opts *o)
{
    memset(t, 0, sizeof *t);
    bool with_cap = o->with_cap;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &t->s), 0);
    t->root = vt_partition(t->s, 0, "h1", HV_PARTITION_ROOT);
    t->vm[0] = vt_partition(t->s, 1, "vm1", HV_PARTITION_GUEST);
    t->vm[1] = vt_partition(t->s, 2, "vm2", HV_PARTITION_GUEST);
    t->sink.drop = vt_drop_cb;
    t->sink.ctx = &t->drops;
    if (with_cap)
        cr_assert_eq(cap_registry_create(&t->cap), 0);
    struct sim_diag d = {0};
    struct netvsp_switch_config sc = {
        .name = "h1.sw",
        .sched = t->s,
        .cap = t->cap,
        .drops = &t->sink,
        .uplink = &vt_wire_ops,
        .uplink_ctx = &t->wire,
        .cost_per_frame_ns = o->cost_per_frame_ns,
        .cost_per_byte_ps = o->cost_per_byte_ps,
    };
    cr_assert_eq(netvsp_switch_create(&sc, &t->sw, &d), 0, "%s", d.reason);
    t->wire.clock = t->s;
    for (int i = 0; i < VT_VMS; i++) {
        struct netvsp_port_config pc = {
            .host = t->root,
            .guest = t->vm[i],
            .instance = 0,
            .signal = HV_VMBUS_SIGNAL_SCHED,
            .policy = o->pol[i],
            .ops = i == 0 ? o->port_ops : NULL,
            .ops_ctx = i == 0 ? o->port_ops_ctx : NULL,
        };
        memcpy(pc.mac, vt_mac[i], 6);
        cr_assert_eq(netvsp_port_create(t->sw, &pc, &t->port[i], &d), 0, "%s", d.reason);
        struct netvsc_adapter_config ac;
        netvsc_adapter_config_init(&ac);
        ac.name = i == 0 ? "vm1" : "vm2";
        ac.guest = t->vm[i];
        memcpy(ac.mac, vt_mac[i], 6);
        ac.cap = t->cap;
        ac.drops = &t->sink;
        ac.rx = &vt_app_ops;
        ac.rx_ctx = &t->app[i];
        ac.vf_takeover_delay_ns = o->takeover_ns;
        if (i == 0) {
            ac.events = o->events;
            ac.events_ctx = o->events_ctx;
        }
        cr_assert_eq(netvsc_adapter_create(&ac, &t->ad[i], &d), 0, "%s", d.reason);
    }
    sim_sched_run(t->s, sim_sched_now(t->s) + SIM_MSEC(1));
    for (int i = 0; i < VT_VMS; i++) {
        cr_assert(netvsc_adapter_is_ready(t->ad[i]), "vm%d NetVSC not ready", i + 1);
        cr_assert(netvsp_port_is_ready(t->port[i]), "port %d not ready", i + 1);
    }
}

static inline void
vt_setup_ex(struct vt *t, const struct netvsp_port_policy *pol0,
            const struct netvsp_port_policy *pol1, bool with_cap, sim_time_t takeover_ns)
{
    struct vt_opts o = {.pol = {pol0, pol1}, .with_cap = with_cap, .takeover_ns = takeover_ns};
    vt_setup_opts(t, &o);
}

static inline void
vt_setup(struct vt *t)
{
    vt_setup_ex(t, NULL, NULL, false, 0);
}

static inline void
vt_run(struct vt *t, sim_time_t dt)
{
    sim_sched_run(t->s, sim_sched_now(t->s) + dt);
}

/* Teardown: NetVSC adapters first (they close their channels), then the switch, partitions,
 * scheduler; everything allocated must be back. */
static inline void
vt_teardown(struct vt *t)
{
    for (int i = 0; i < VT_VMS; i++)
        cr_assert_eq(netvsc_adapter_destroy(t->ad[i]), 0);
    vt_run(t, SIM_MSEC(1));
    netvsp_switch_destroy(t->sw);
    for (int i = 0; i < VT_VMS; i++)
        hv_partition_destroy(t->vm[i]);
    hv_partition_destroy(t->root);
    cap_registry_destroy(t->cap);
    sim_sched_destroy(t->s);
    cr_assert_eq(sim_alloc_live_total(), 0, "live allocations after teardown: %ld",
                 sim_alloc_live_total());
}

#endif /* SRIOVSIM_TESTS_VSP_TEST_H */
