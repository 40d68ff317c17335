/* SPDX-License-Identifier: MIT */
/* test_real_vf.c — NetVSC with the REAL VF miniport (miniport_vf/) on the real NIC model behind
 * the real PF miniport (host fixture of tests/miniport_vf), and the real NetVSP on the
 * synthetic side: the data-path switch moves TX onto the VF only after the host's completion,
 * frames leave through the NIC's physical port with their packet ids, unicast RX comes up the
 * VF, broadcast on the synthetic path, and a graceful removal loses nothing. The switch's
 * uplink is still an in-test log (the PF miniport has no NetVSP binding yet). */
#include "../miniport_vf/vf_test.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "netvsp/nvsp_proto.h"

#define SERIAL 0x1234u /* the serial vf_test.h gives the VF (VPCI offer + vf_config) */

static struct venv E;

struct frame_log {
    uint32_t count;
    uint64_t ids[8192];
};

struct syn {
    struct hv_partition *root;
    struct netvsp_switch *sw;
    struct netvsp_port *port;
    struct netvsc_adapter *ad;
    struct ndis_binding *b;
    struct frame_log wire; /* what the switch's uplink sent */
    struct frame_log app;  /* what vm1's application received */
    int released;
    bool unbind_on_release;
};

static struct syn S;

static int
uplink_send(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct frame_log *l = ctx;
    if (l->count < 8192)
        l->ids[l->count] = id;
    l->count++;
    return 0;
}

static void
app_rx(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct frame_log *l = ctx;
    if (l->count < 8192)
        l->ids[l->count] = id;
    l->count++;
}

static void
released(void *ctx, struct netvsc_adapter *ad)
{
    struct syn *s = ctx;
    s->released++;
    if (s->unbind_on_release) {
        /* The guest lets go of the VF only now (then it would ack the VPCI eject). */
        cr_assert_eq(ndis_unbind(s->b, NULL), 0);
        s->b = NULL;
    }
}

static const struct netvsp_uplink_ops up_ops = {.send = uplink_send};
static const struct netvsc_rx_ops app_ops = {.receive = app_rx};
static const struct netvsc_event_ops ev_ops = {.vf_released = released};

static void
run(sim_time_t ns)
{
    t_run_for(&E.t, ns);
}

/* Host NIC/PF/VF with its VPort and filter, the VF arrived in vm1; the synthetic world on the
 * same scheduler; NetVSC bound to the started VF miniport and switched onto it. */
static void
up(void)
{
    memset(&S, 0, sizeof S);
    venv_host(&E, false, NULL);
    venv_vf_create(&E);
    struct sim_diag d = {0};
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = 0;
    pc.name = "h1";
    pc.kind = HV_PARTITION_ROOT;
    pc.mem_size = UINT64_C(4) << 20;
    cr_assert_eq(hv_partition_create(E.t.sched, NULL, &pc, &S.root, &d), 0, "%s", d.reason);
    struct netvsp_switch_config sc = {.name = "h1.sw",
                                      .sched = E.t.sched,
                                      .drops = &E.t.sink,
                                      .uplink = &up_ops,
                                      .uplink_ctx = &S.wire};
    cr_assert_eq(netvsp_switch_create(&sc, &S.sw, &d), 0, "%s", d.reason);
    struct netvsp_port_config poc = {.host = S.root, .guest = E.guest};
    memcpy(poc.mac, E.mac, 6); /* the synthetic NIC and the VF share the MAC */
    cr_assert_eq(netvsp_port_create(S.sw, &poc, &S.port, &d), 0, "%s", d.reason);
    struct netvsc_adapter_config ac;
    netvsc_adapter_config_init(&ac);
    ac.name = "vm1";
    ac.guest = E.guest;
    memcpy(ac.mac, E.mac, 6);
    ac.drops = &E.t.sink;
    ac.rx = &app_ops;
    ac.rx_ctx = &S.app;
    ac.events = &ev_ops;
    ac.events_ctx = &S;
    ac.vf_takeover_delay_ns = 0;
    cr_assert_eq(netvsc_adapter_create(&ac, &S.ad, &d), 0, "%s", d.reason);
    run(SIM_MSEC(1));
    cr_assert(netvsc_adapter_is_ready(S.ad));

    cr_assert_eq(netvsp_port_vf_associate(S.port, true, SERIAL), 0);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_initialize(E.mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(E.mp, &st, &d), 0, "%s", d.reason);
    for (int i = 0; i < 100 && ndis_miniport_state(E.mp) != NDIS_MINIPORT_RUNNING; i++)
        run(SIM_USEC(100));
    cr_assert_eq(ndis_miniport_state(E.mp), NDIS_MINIPORT_RUNNING);
    cr_assert_eq(ndis_bind(netvsc_adapter_protocol(S.ad), E.mp, &S.b, &st, &d), 0, "%s", d.reason);
    run(SIM_MSEC(1));
    cr_assert_eq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_ON_VF, "%s",
                 netvsc_dp_state_name(netvsc_adapter_dp_state(S.ad)));
    cr_assert_eq(netvsp_port_datapath(S.port), NVSP_DATAPATH_VF);
}

static void
down(void)
{
    if (S.b)
        cr_assert_eq(ndis_unbind(S.b, NULL), 0);
    cr_assert_eq(netvsc_adapter_destroy(S.ad), 0);
    run(SIM_MSEC(1));
    netvsp_switch_destroy(S.sw);
    hv_partition_destroy(S.root);
    venv_down(&E); /* halts the VF, tears the host down, asserts nothing is left */
}

static uint32_t
frame_to_peer(uint8_t *f, uint32_t len, uint64_t id)
{
    static const uint8_t peer[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
    memset(f, 0, len);
    memcpy(f, peer, 6);
    memcpy(f + 6, E.mac, 6);
    f[12] = 0x08;
    f[14] = (uint8_t)id;
    return len;
}

Test(netvsc_real_vf, tx_and_rx_on_the_vf_broadcast_on_synthetic)
{
    up();
    uint8_t f[200];
    for (uint64_t i = 0; i < 50; i++)
        cr_assert_eq(netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, 100 + i), 100 + i), 0);
    run(SIM_MSEC(1));
    cr_assert_eq(E.nwire, 50, "through the VF and the NIC's physical port");
    for (size_t i = 0; i < 50; i++)
        cr_assert_eq(E.wire_id[i], 100 + i);
    cr_assert_arr_eq(E.wire_src, E.mac, 6);
    cr_assert_eq(S.wire.count, 0, "nothing on the synthetic path");
    /* Unicast from the wire: the NIC switch's filter sends it to the VF's VPort. */
    for (uint64_t i = 0; i < 20; i++)
        v_wire_rx(&E, 500 + i);
    run(SIM_MSEC(1));
    /* A broadcast (default VPort -> NetVSP -> synthetic). */
    uint8_t bc[100];
    memset(bc, 0xff, 6);
    memset(bc + 6, 0x02, 6);
    bc[12] = 0x08;
    netvsp_switch_uplink_receive(S.sw, bc, 100, 900, 0);
    run(SIM_MSEC(1));
    cr_assert_eq(S.app.count, 21);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(S.ad, &st);
    cr_assert_eq(st.rx_vf, 20);
    cr_assert_eq(st.rx_synthetic, 1);
    cr_assert_eq(st.tx_vf, 50);
    cr_assert_eq(E.t.ndrops, 0);
    down();
}

struct pacer {
    struct sim_timer tm;
    uint64_t next, last;
};

static void
pace(struct sim_timer *tm)
{
    struct pacer *p = tm->data;
    uint8_t f[200];
    if (netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, p->next), p->next) == 0)
        p->next++;
    if (p->next <= p->last)
        sim_timer_start(tm, SIM_USEC(10));
}

Test(netvsc_real_vf, graceful_removal_loses_nothing)
{
    up();
    S.unbind_on_release = true;
    struct pacer p = {.next = 1, .last = 2000};
    sim_timer_init(E.t.sched, &p.tm, pace, &p);
    sim_timer_start(&p.tm, 0);
    run(SIM_MSEC(5));
    cr_assert_eq(netvsc_adapter_vf_going_down(S.ad), 0);
    run(SIM_MSEC(30));
    cr_assert_eq(S.released, 1);
    cr_assert_null(S.b, "unbound once released");
    cr_assert_eq(p.next, p.last + 1);
    cr_assert_eq(E.nwire + S.wire.count, p.last, "vf %zu + synthetic %u", E.nwire, S.wire.count);
    cr_assert_gt(E.nwire, 100);
    cr_assert_gt(S.wire.count, 100);
    for (size_t i = 0; i < E.nwire; i++)
        cr_assert_eq(E.wire_id[i], 1 + i, "the VF carried a prefix, in order");
    for (uint32_t i = 0; i < S.wire.count; i++)
        cr_assert_eq(S.wire.ids[i], E.nwire + 1 + i, "synthetic carried the rest, in order");
    cr_assert_eq(E.t.ndrops, 0);
    cr_assert_eq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_VF_ASSOCIATED);
    sim_timer_stop(&p.tm);
    down();
}

static size_t
drops_of(enum sim_drop_cause cause)
{
    size_t n = 0;
    for (size_t i = 0; i < E.t.ndrops; i++)
        n += E.t.drops[i].cause == cause;
    return n;
}

Test(netvsc_real_vf, surprise_removal_loses_only_what_was_in_flight_once)
{
    up();
    uint8_t f[200];
    for (uint64_t i = 0; i < 5; i++)
        cr_assert_eq(netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, 1 + i), 1 + i), 0);
    run(SIM_MSEC(1));
    cr_assert_eq(E.nwire, 5);
    /* 7 more posted to the VF; the function vanishes before the device fetched them. */
    for (uint64_t i = 5; i < 12; i++)
        cr_assert_eq(netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, 1 + i), 1 + i), 0);
    cr_assert_eq(pcie_fn_surprise_remove(E.t.fabric, (uint16_t)E.rid), 0);
    /* The VF miniport completed them with ADAPTER_REMOVED and reported each one; NetVSC left
     * the VF at once without reporting them again. */
    cr_assert_eq(drops_of(SIM_DROP_SURPRISE_REMOVAL), 7, "each lost frame reported once");
    cr_assert_eq(E.t.ndrops, 7);
    cr_assert_eq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_GOING_DOWN);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(S.ad, &st);
    cr_assert_eq(st.tx_vf_failed, 7);
    /* Traffic continues on the synthetic path right away. */
    for (uint64_t i = 12; i < 20; i++)
        cr_assert_eq(netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, 1 + i), 1 + i), 0);
    run(SIM_MSEC(1));
    cr_assert_eq(S.wire.count, 8);
    cr_assert_eq(S.wire.ids[0], 13);
    cr_assert_eq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_VF_RELEASED);
    cr_assert_eq(netvsp_port_datapath(S.port), NVSP_DATAPATH_SYNTHETIC);
    /* sent = on the wire via the VF + via synthetic + reported lost. */
    cr_assert_eq(E.nwire + S.wire.count + drops_of(SIM_DROP_SURPRISE_REMOVAL), 20);
    /* The guest's PnP unbinds NetVSC from the removed VF. */
    cr_assert_eq(ndis_unbind(S.b, NULL), 0);
    S.b = NULL;
    cr_assert_eq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_VF_ASSOCIATED);
    down();
}

/* ---- zero copy: the application's own NBLs go down to the VF ------------------------------- */
struct app_tx {
    struct ndis_nbl_pool *pool;
    uint64_t gpa;
    uint8_t *buf;
    unsigned completed, failed;
    struct ndis_nbl *done[64];
};

static void
app_tx_done(void *ctx, struct ndis_nbl *chain)
{
    struct app_tx *a = ctx;
    for (struct ndis_nbl *n = chain; n; n = n->next) {
        if (n->status != NDIS_STATUS_SUCCESS)
            a->failed++;
        if (a->completed < 64)
            a->done[a->completed] = n;
        a->completed++;
    }
}

static const struct netvsc_tx_ops app_tx_ops = {.send_complete = app_tx_done};

/* n NBLs from a pool whose buffers live in vm1's memory, backfill in front, chained. */
static struct ndis_nbl *
app_chain(struct app_tx *a, unsigned n, uint64_t first_id)
{
    struct sim_diag d = {0};
    if (!a->pool) {
        struct ndis_nbl_pool_config pc = {
            .name = "vm1.app", .nbl_count = 64, .nbs_per_nbl = 1, .track_owners = true};
        cr_assert_eq(ndis_nbl_pool_create(&pc, &a->pool, &d), 0, "%s", d.reason);
        cr_assert_eq(hv_gpa_alloc(E.guest, 64 * 2048, 0, &a->gpa, &d), 0, "%s", d.reason);
        a->buf = hv_gpa_to_host(E.guest, a->gpa, 64 * 2048);
    }
    struct ndis_nbl *chain = NULL, **tail = &chain;
    for (unsigned i = 0; i < n; i++) {
        struct ndis_nbl *nbl = ndis_nbl_alloc(a->pool, S.ad); /* held by the adapter: handed down */
        cr_assert_not_null(nbl);
        struct ndis_nb *nb = nbl->first_nb;
        nb->data = a->buf + (size_t)i * 2048;
        nb->capacity = 2048;
        nb->data_offset = NETVSC_VF_BACKFILL;
        nb->data_length = 200;
        frame_to_peer(nb->data + NETVSC_VF_BACKFILL, 200, first_id + i);
        nbl->packet_id = first_id + i;
        *tail = nbl;
        tail = &nbl->next;
    }
    return chain;
}

static void
app_free(struct app_tx *a)
{
    for (unsigned i = 0; i < a->completed && i < 64; i++) {
        a->done[i]->next = NULL;
        cr_assert_eq(ndis_nbl_free(a->done[i], S.ad), 0, "completed NBLs are the adapter's again");
    }
    cr_assert_eq(ndis_nbl_pool_destroy(a->pool), 0);
    hv_gpa_free(E.guest, a->gpa);
}

Test(netvsc_real_vf, send_nbls_on_the_vf_is_zero_copy)
{
    up();
    struct app_tx a = {0};
    netvsc_adapter_set_tx(S.ad, &app_tx_ops, &a);
    struct ndis_nbl *rest = NULL;
    cr_assert_eq(netvsc_adapter_send_nbls(S.ad, app_chain(&a, 8, 300), &rest), 0);
    cr_assert_null(rest, "all taken");
    /* The device has not fetched them yet (its doorbell timer runs later): change the payload
     * in the application's buffers now. Zero copy means the wire sees the new bytes. */
    for (unsigned i = 0; i < 8; i++)
        a.buf[(size_t)i * 2048 + NETVSC_VF_BACKFILL + 14] = (uint8_t)(0xc0 + i);
    cr_assert_eq(a.completed, 0, "a VF send completes only after the device sent it");
    run(SIM_MSEC(1));
    cr_assert_eq(E.nwire, 8);
    for (unsigned i = 0; i < 8; i++) {
        cr_assert_eq(E.wire_id[i], 300 + i);
        cr_assert_eq(E.wire_byte[i], 0xc0 + i, "the device read the application's own buffer");
    }
    cr_assert_eq(a.completed, 8);
    cr_assert_eq(a.failed, 0);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(S.ad, &st);
    cr_assert_eq(st.tx_vf, 8);
    cr_assert_eq(st.vf_stage_copies, 0, "no software copy on the VF path");
    cr_assert_eq(st.copies, 0);
    cr_assert_eq(st.tx_nbls, 8);
    cr_assert_eq(st.tx_nbls_completed, 8);
    /* The transient-buffer API stages (and counts) a copy. */
    uint8_t f[200];
    cr_assert_eq(netvsc_adapter_xmit(S.ad, f, frame_to_peer(f, 200, 400), 400), 0);
    run(SIM_MSEC(1));
    netvsc_adapter_stats(S.ad, &st);
    cr_assert_eq(st.vf_stage_copies, 1);
    cr_assert_eq(st.vf_stage_bytes, 200);
    app_free(&a);
    down();
}

Test(netvsc_real_vf, send_nbls_on_synthetic_copies_and_completes_at_once)
{
    up();
    cr_assert_eq(netvsc_adapter_vf_going_down(S.ad), 0);
    run(SIM_MSEC(1));
    cr_assert_neq(netvsc_adapter_dp_state(S.ad), NETVSC_DP_ON_VF);
    struct app_tx a = {0};
    netvsc_adapter_set_tx(S.ad, &app_tx_ops, &a);
    struct ndis_nbl *rest = NULL;
    cr_assert_eq(netvsc_adapter_send_nbls(S.ad, app_chain(&a, 4, 500), &rest), 0);
    cr_assert_null(rest);
    cr_assert_eq(a.completed, 4, "copied into sections: the buffers are free at once");
    run(SIM_MSEC(1));
    cr_assert_eq(S.wire.count, 4);
    cr_assert_eq(S.wire.ids[0], 500);
    struct netvsc_adapter_stats st;
    netvsc_adapter_stats(S.ad, &st);
    cr_assert_eq(st.copies, 4);
    cr_assert_eq(st.tx_vf, 0);
    app_free(&a);
    down();
}
