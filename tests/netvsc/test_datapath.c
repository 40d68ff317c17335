/* SPDX-License-Identifier: MIT */
/* test_datapath.c — NetVSC's data-path state machine and the SWITCH_DATA_PATH protocol with
 * completions, against the real NetVSP host side. The VF is an IN-TEST VF DRIVER (an NDIS
 * miniport of kind VF whose "hardware" is a frame log) until miniport_vf/ lands: it answers
 * OID_SRIOV_VF_SERIAL_NUMBER through NDIS, completes sends at once and indicates receives. */
#include <stdlib.h>
#include <unistd.h>

#include "../netvsp/vsp_test.h"

#define VF_SERIAL 7u

/* ---- the in-test VF driver ------------------------------------------------------------------ */
struct test_vf {
    struct ndis_miniport *mp;
    struct ndis_nbl_pool *pool; /* receive NBLs */
    struct vt_log sent;         /* what NetVSC sent on the VF */
    bool fail_sends;
};

static ndis_status_t
tvf_ok(void *ctx)
{
    return NDIS_STATUS_SUCCESS;
}

static ndis_status_t
tvf_init(void *ctx, struct ndis_miniport *mp)
{
    return NDIS_STATUS_SUCCESS;
}

static void
tvf_halt(void *ctx)
{
}

static ndis_status_t
tvf_oid(void *ctx, struct ndis_oid_request *req)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}

static void
tvf_send(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags)
{
    struct test_vf *v = ctx;
    for (struct ndis_nbl *n = chain; n; n = n->next) {
        struct ndis_nb *nb = n->first_nb;
        if (!v->fail_sends)
            vt_log_add(&v->sent, nb->data + nb->data_offset, nb->data_length, n->packet_id);
        n->status = v->fail_sends ? NDIS_STATUS_ADAPTER_REMOVED : NDIS_STATUS_SUCCESS;
    }
    ndis_miniport_send_complete(v->mp, chain, 0);
}

static void
tvf_return(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct test_vf *v = ctx;
    for (struct ndis_nbl *n = chain, *next; n; n = next) {
        next = n->next;
        n->next = NULL;
        ndis_nbl_free(n, v->mp);
    }
}

static const struct ndis_miniport_ops tvf_ops = {
    .initialize = tvf_init,
    .halt = tvf_halt,
    .pause = tvf_ok,
    .restart = tvf_ok,
    .oid_request = tvf_oid,
    .send_net_buffer_lists = tvf_send,
    .return_net_buffer_lists = tvf_return,
};

static void
tvf_create(struct vt *t, struct test_vf *v, uint32_t serial)
{
    memset(v, 0, sizeof *v);
    struct ndis_miniport_config c = {
        .name = "vm1.vf0",
        .kind = NDIS_MINIPORT_VF,
        .sched = t->s,
        .ops = &tvf_ops,
        .ctx = v,
        .sriov_enabled = true,
        .sriov_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT,
        .vf_serial_number = serial,
    };
    struct sim_diag d = {0};
    cr_assert_eq(ndis_miniport_create(&c, &v->mp, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_initialize(v->mp, NULL, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(v->mp, NULL, &d), 0, "%s", d.reason);
    struct ndis_nbl_pool_config pc = {.name = "vf0.rx",
                                      .nbl_count = 64,
                                      .nbs_per_nbl = 1,
                                      .data_size = 2048,
                                      .track_owners = true};
    cr_assert_eq(ndis_nbl_pool_create(&pc, &v->pool, &d), 0, "%s", d.reason);
}

/* The VF receives a frame from the NIC switch and indicates it to NetVSC. */
static void
tvf_rx(struct test_vf *v, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct ndis_nbl *n = ndis_nbl_alloc(v->pool, v->mp);
    cr_assert_not_null(n);
    memcpy(n->first_nb->data, frame, len);
    n->first_nb->data_length = len;
    n->packet_id = id;
    cr_assert_eq(ndis_miniport_indicate_receive(v->mp, n, 0), 0);
}

static struct ndis_binding *
tvf_bind(struct vt *t, struct test_vf *v)
{
    struct ndis_binding *b = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(ndis_bind(netvsc_adapter_protocol(t->ad[0]), v->mp, &b, NULL, &d), 0, "%s",
                 d.reason);
    return b;
}

static void
tvf_destroy(struct test_vf *v)
{
    struct sim_diag d = {0};
    if (ndis_miniport_state(v->mp) == NDIS_MINIPORT_RUNNING)
        cr_assert_eq(ndis_miniport_pause(v->mp, NULL, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_halt(v->mp, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_destroy(v->mp), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(v->pool), 0);
}

/* ---- transitions log ------------------------------------------------------------------------ */
struct dp_log {
    enum netvsc_dp_state seq[32];
    int n;
    int released;
};

static void
on_dp(void *ctx, struct netvsc_adapter *ad, enum netvsc_dp_state from, enum netvsc_dp_state to)
{
    struct dp_log *l = ctx;
    if (l->n < 32)
        l->seq[l->n++] = to;
}

static void
on_released(void *ctx, struct netvsc_adapter *ad)
{
    ((struct dp_log *)ctx)->released++;
}

static const struct netvsc_event_ops dp_events = {.datapath = on_dp, .vf_released = on_released};

/* A world where vm1's NetVSC reports its transitions and the host takes `delay` to complete a
 * switch. */
static void
dp_setup_ops(struct vt *t, struct dp_log *log, sim_time_t delay, sim_time_t takeover,
             const struct netvsp_port_ops *port_ops)
{
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    pol.switch_completion_delay_ns = delay;
    memset(log, 0, sizeof *log);
    struct vt_opts o = {.pol = {&pol, NULL},
                        .takeover_ns = takeover,
                        .events = &dp_events,
                        .events_ctx = log,
                        .port_ops = port_ops};
    vt_setup_opts(t, &o);
}

static void
dp_setup(struct vt *t, struct dp_log *log, sim_time_t delay, sim_time_t takeover)
{
    dp_setup_ops(t, log, delay, takeover, NULL);
}

static uint32_t
send_n(struct vt *t, uint32_t n, uint64_t first_id)
{
    uint8_t f[256];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 256, 1);
    uint32_t ok = 0;
    for (uint32_t i = 0; i < n; i++)
        if (netvsc_adapter_xmit(t->ad[0], f, len, first_id + i) == 0)
            ok++;
    return ok;
}

Test(netvsc_datapath, full_cycle_every_transition)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, SIM_MSEC(1), SIM_MSEC(100));
    struct test_vf vf;
    tvf_create(&t, &vf, VF_SERIAL);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SYNTHETIC);

    /* synthetic -> VF associated (host message). */
    cr_assert_eq(netvsp_port_vf_associate(t.port[0], true, VF_SERIAL), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_ASSOCIATED);
    uint32_t serial = 0;
    cr_assert(netvsc_adapter_vf_association(t.ad[0], &serial));
    cr_assert_eq(serial, VF_SERIAL);

    /* VF associated -> VF registered (VF bound, serial queried and matching). */
    struct ndis_binding *b = tvf_bind(&t, &vf);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_ASSOCIATED,
                 "registered only once the serial is known");
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_REGISTERED);

    /* VF registered -> switch requested after the takeover delay. */
    vt_run(&t, SIM_MSEC(99));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_REGISTERED);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SWITCH_REQUESTED);

    /* The pending window: the host has not completed yet (1 ms); traffic stays synthetic. */
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SWITCH_REQUESTED);
    cr_assert_eq(send_n(&t, 20, 1000), 20);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SWITCH_REQUESTED);
    cr_assert_eq(vf.sent.count, 0, "nothing may reach the VF before the completion");
    cr_assert_eq(t.wire.count, 20);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_SYNTHETIC);

    /* Switch completed -> on VF: TX on the VF only. */
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_ON_VF);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_VF);
    cr_assert_eq(send_n(&t, 10, 2000), 10);
    cr_assert_eq(vf.sent.count, 10);
    cr_assert_eq(vf.sent.ids[0], 2000);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 20, "nothing on the synthetic path while on the VF");

    /* On VF -> going down: TX leaves the VF at once, before the completion. */
    cr_assert_eq(netvsc_adapter_vf_going_down(t.ad[0]), 0);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_GOING_DOWN);
    cr_assert_eq(send_n(&t, 5, 3000), 5);
    cr_assert_eq(vf.sent.count, 10);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 25);
    cr_assert_eq(log.released, 0);

    /* Switch back completed -> VF released; then the VF is unbound -> VF associated. */
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_RELEASED);
    cr_assert_eq(log.released, 1);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_SYNTHETIC);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_ASSOCIATED);

    /* The host withdraws the association -> synthetic. */
    netvsp_port_vf_associate(t.port[0], false, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SYNTHETIC);

    enum netvsc_dp_state want[] = {
        NETVSC_DP_VF_ASSOCIATED, NETVSC_DP_VF_REGISTERED, NETVSC_DP_SWITCH_REQUESTED,
        NETVSC_DP_ON_VF,         NETVSC_DP_GOING_DOWN,    NETVSC_DP_VF_RELEASED,
        NETVSC_DP_VF_ASSOCIATED, NETVSC_DP_SYNTHETIC,
    };
    cr_assert_eq(log.n, (int)SIM_ARRAY_SIZE(want));
    for (int i = 0; i < log.n; i++)
        cr_assert_eq(log.seq[i], want[i], "transition %d: %s, want %s", i,
                     netvsc_dp_state_name(log.seq[i]), netvsc_dp_state_name(want[i]));
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(t.ad[0], &st);
    cr_assert_eq(st.switch_requests, 2);
    cr_assert_eq(st.switch_completions, 2);
    cr_assert_eq(st.tx_vf, 10);
    cr_assert_eq(st.tx_synthetic, 25);
    cr_assert_eq(t.drops.total, 0);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, vf_registering_before_the_association_waits_for_it)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, 0, 0);
    struct test_vf vf;
    tvf_create(&t, &vf, VF_SERIAL);
    struct ndis_binding *b = tvf_bind(&t, &vf);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SYNTHETIC,
                 "no association yet: the VF is not used (2022 Linux race)");
    cr_assert_eq(send_n(&t, 3, 1), 3);
    cr_assert_eq(vf.sent.count, 0);
    netvsp_port_vf_associate(t.port[0], true, VF_SERIAL);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_ON_VF);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    vt_run(&t, SIM_MSEC(1));
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, serial_mismatch_never_registers)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, 0, 0);
    struct test_vf vf;
    tvf_create(&t, &vf, VF_SERIAL + 1);
    netvsp_port_vf_associate(t.port[0], true, VF_SERIAL);
    struct ndis_binding *b = tvf_bind(&t, &vf);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_ASSOCIATED);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(t.ad[0], &st);
    cr_assert_eq(st.vf_serial_mismatch, 1);
    cr_assert_eq(st.switch_requests, 0);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

/* Bring vm1 onto the VF (no delays). */
static struct ndis_binding *
onto_vf(struct vt *t, struct test_vf *vf)
{
    tvf_create(t, vf, VF_SERIAL);
    netvsp_port_vf_associate(t->port[0], true, VF_SERIAL);
    struct ndis_binding *b = tvf_bind(t, vf);
    vt_run(t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t->ad[0]), NETVSC_DP_ON_VF);
    return b;
}

/* A paced flow while the VF goes away gracefully: every frame arrives exactly once, on one path
 * or the other; nothing is dropped. */
struct pacer {
    struct vt *t;
    struct sim_timer tm;
    uint64_t next_id, last_id;
    uint32_t refused;
};

static void
pace_cb(struct sim_timer *tm)
{
    struct pacer *p = tm->data;
    uint8_t f[256];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 256, 1);
    if (netvsc_adapter_xmit(p->t->ad[0], f, len, p->next_id) == 0)
        p->next_id++;
    else
        p->refused++;
    if (p->next_id <= p->last_id)
        sim_timer_start(tm, SIM_USEC(10));
}

struct remover {
    struct ndis_binding *b;
    struct test_vf *vf;
    int unbound;
};

static void
unbind_when_released(void *ctx, struct netvsc_adapter *ad)
{
    struct remover *r = ctx;
    /* The guest lets go of the VF only now (then acks the VPCI eject). */
    cr_assert_eq(ndis_unbind(r->b, NULL), 0);
    r->unbound++;
}

Test(netvsc_datapath, graceful_removal_loses_nothing)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, SIM_USEC(200), 0);
    struct test_vf vf;
    struct remover rm = {.vf = &vf};
    rm.b = onto_vf(&t, &vf);
    struct pacer p = {.t = &t, .next_id = 1, .last_id = 3000};
    sim_timer_init(t.s, &p.tm, pace_cb, &p);
    sim_timer_start(&p.tm, 0);
    vt_run(&t, SIM_MSEC(10)); /* ~1000 frames on the VF */
    cr_assert_eq(netvsc_adapter_vf_going_down(t.ad[0]), 0);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_RELEASED);
    unbind_when_released(&rm, t.ad[0]);
    vt_run(&t, SIM_MSEC(40));
    cr_assert_eq(p.next_id, p.last_id + 1);
    uint64_t total = vf.sent.count + t.wire.count;
    cr_assert_eq(total, p.last_id, "vf %u + synthetic %u", vf.sent.count, t.wire.count);
    cr_assert_gt(vf.sent.count, 500);
    cr_assert_gt(t.wire.count, 500);
    /* In order on each path, and the VF's ids all precede the synthetic ones after the move. */
    uint64_t last_vf = vf.sent.ids[vf.sent.count - 1];
    for (uint32_t i = 0; i < t.wire.count; i++)
        cr_assert_gt(t.wire.ids[i], last_vf);
    for (uint32_t i = 1; i < vf.sent.count; i++)
        cr_assert_eq(vf.sent.ids[i], vf.sent.ids[i - 1] + 1);
    cr_assert_eq(t.drops.total, 0);
    cr_assert_eq(rm.unbound, 1);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, surprise_unbind_moves_to_synthetic)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, SIM_USEC(200), 0);
    struct test_vf vf;
    struct ndis_binding *b = onto_vf(&t, &vf);
    cr_assert_eq(ndis_unbind(b, NULL), 0); /* no going-down first */
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_GOING_DOWN);
    cr_assert_eq(send_n(&t, 4, 10), 4);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(t.wire.count, 4);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_ASSOCIATED);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_SYNTHETIC);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, host_withdrawing_the_vf_switches_back)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, 0, 0);
    struct test_vf vf;
    struct ndis_binding *b = onto_vf(&t, &vf);
    netvsp_port_vf_associate(t.port[0], false, 0);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_RELEASED);
    cr_assert_eq(log.released, 1);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_SYNTHETIC);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

static int
refuse_vf(void *ctx, struct netvsp_port *port, uint32_t datapath)
{
    return datapath == NVSP_DATAPATH_VF ? SIM_EPERM : 0;
}

static const struct netvsp_port_ops refuse_ops = {.datapath_switch = refuse_vf};

Test(netvsc_datapath, refused_switch_stays_synthetic)
{
    struct vt t;
    struct dp_log log;
    dp_setup_ops(&t, &log, 0, 0, &refuse_ops);
    struct test_vf vf;
    tvf_create(&t, &vf, VF_SERIAL);
    netvsp_port_vf_associate(t.port[0], true, VF_SERIAL);
    struct ndis_binding *b = tvf_bind(&t, &vf);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[0]), NETVSC_DP_VF_RELEASED);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(t.ad[0], &st);
    cr_assert_eq(st.switch_failures, 1);
    cr_assert_eq(send_n(&t, 3, 1), 3);
    cr_assert_eq(vf.sent.count, 0);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, on_vf_rx_from_both_paths_bcast_and_syn_synthetic)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, 0, 0);
    struct test_vf vf;
    struct ndis_binding *b = onto_vf(&t, &vf);
    uint8_t f[128];
    /* Unicast data for vm1: the NIC switch sorts it to the VF VPort. */
    uint32_t len = vt_tcp_frame(f, vt_mac[0], vt_peer_mac, 0x10 /* ACK */);
    cr_assert_not(netvsp_frame_is_synthetic_only(f, len));
    tvf_rx(&vf, f, len, 1);
    /* An inbound SYN and a broadcast arrive on the default VPort -> NetVSP -> synthetic. */
    len = vt_tcp_frame(f, vt_mac[0], vt_peer_mac, 0x02 /* SYN */);
    cr_assert(netvsp_frame_is_synthetic_only(f, len));
    netvsp_switch_uplink_receive(t.sw, f, len, 2, 0);
    len = vt_frame(f, vt_bcast, vt_peer_mac, 100, 1);
    cr_assert(netvsp_frame_is_synthetic_only(f, len));
    netvsp_switch_uplink_receive(t.sw, f, len, 3, 0);
    len = vt_tcp_frame(f, vt_mac[0], vt_peer_mac, 0x12 /* SYN-ACK */);
    cr_assert_not(netvsp_frame_is_synthetic_only(f, len));
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 3, "one endpoint gets both paths");
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(t.ad[0], &st);
    cr_assert_eq(st.rx_vf, 1);
    cr_assert_eq(st.rx_synthetic, 2);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    vt_run(&t, SIM_MSEC(1));
    tvf_destroy(&vf);
    vt_teardown(&t);
}

Test(netvsc_datapath, vf_send_refused_falls_back_to_synthetic)
{
    struct vt t;
    struct dp_log log;
    dp_setup(&t, &log, 0, 0);
    struct test_vf vf;
    struct ndis_binding *b = onto_vf(&t, &vf);
    struct sim_diag d = {0};
    cr_assert_eq(ndis_miniport_pause(vf.mp, NULL, &d), 0, "%s", d.reason);
    cr_assert_eq(send_n(&t, 2, 1), 2);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 2);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(t.ad[0], &st);
    cr_assert_eq(st.tx_vf_fallback, 2);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    vt_run(&t, SIM_MSEC(1));
    tvf_destroy(&vf);
    vt_teardown(&t);
}

static bool
capture_has(const char *path, const char *iface, uint64_t id, enum cap_dir dir)
{
    struct cap_ng_reader *ng = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0, "%s", d.reason);
    struct cap_ng_packet pkt;
    bool found = false;
    while (cap_ng_reader_next(ng, &pkt, &d) == 1)
        if (pkt.has_packet_id && pkt.packet_id == id && strcmp(pkt.interface_name, iface) == 0 &&
            (pkt.flags & 3u) == (uint32_t)dir)
            found = true;
    cap_ng_reader_close(ng);
    return found;
}

Test(netvsc_datapath, vf_capture_point_tapped_with_packet_ids)
{
    struct vt t;
    struct dp_log log;
    memset(&log, 0, sizeof log);
    struct vt_opts o = {.with_cap = true, .events = &dp_events, .events_ctx = &log};
    vt_setup_opts(&t, &o);
    char path[] = "/tmp/sriovsim-vscvf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct cap_session_opts co = {.path = path, .format = CAP_FORMAT_PCAPNG};
    struct cap_session *cs = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(cap_session_create(t.cap, &co, &cs, &d), 0, "%s", d.reason);
    struct test_vf vf;
    struct ndis_binding *b = onto_vf(&t, &vf);
    cr_assert_eq(send_n(&t, 1, 7100), 1);
    uint8_t f[128];
    uint32_t len = vt_frame(f, vt_mac[0], vt_peer_mac, 100, 1);
    tvf_rx(&vf, f, len, 7200);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(cap_session_close(cs, &d), 0, "%s", d.reason);
    cr_assert(capture_has(path, "vm1.vf", 7100, CAP_DIR_OUT));
    cr_assert(capture_has(path, "vm1.vf", 7200, CAP_DIR_IN));
    cr_assert_not(capture_has(path, "vm1.synthetic", 7100, CAP_DIR_OUT));
    unlink(path);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    vt_run(&t, SIM_MSEC(1));
    tvf_destroy(&vf);
    vt_teardown(&t);
}
