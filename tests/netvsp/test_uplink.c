/* SPDX-License-Identifier: MIT */
/* test_uplink.c — the external port bound through NDIS to a NIC miniport. The NIC is an IN-TEST
 * NIC DRIVER (an ndis_shim miniport of kind PLAIN — a host without SR-IOV — whose "hardware" is
 * a frame log) because the PF miniport has no data path yet; the binding code is the same for
 * the PF. */
#include "vsp_test.h"

struct test_nic {
    struct ndis_miniport *mp;
    struct ndis_nbl_pool *pool;
    struct vt_log sent;
    ndis_status_t complete_with;
    bool hold; /* keep sent NBLs (complete later) */
    struct ndis_nbl *held;
    const struct sim_drop_sink *sink; /* the NIC reports the sends it fails */
};

static ndis_status_t
ok0(void *ctx)
{
    return NDIS_STATUS_SUCCESS;
}

static ndis_status_t
init0(void *ctx, struct ndis_miniport *mp)
{
    return NDIS_STATUS_SUCCESS;
}

static void
halt0(void *ctx)
{
}

static ndis_status_t
oid0(void *ctx, struct ndis_oid_request *r)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}

static void
nic_send(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags)
{
    struct test_nic *n = ctx;
    for (struct ndis_nbl *b = chain; b; b = b->next) {
        struct ndis_nb *nb = b->first_nb;
        cr_assert_eq(b->vport_id, 0, "the switch sends on the default VPort");
        if (n->complete_with == NDIS_STATUS_SUCCESS)
            vt_log_add(&n->sent, nb->data + nb->data_offset, nb->data_length, b->packet_id);
        else
            sim_drop_report(n->sink, SIM_DROP_SURPRISE_REMOVAL, "h1.nic0 tx", b->packet_id,
                            nb->data + nb->data_offset, nb->data_length);
        b->status = n->complete_with;
    }
    if (n->hold) {
        struct ndis_nbl **tail = &n->held;
        while (*tail)
            tail = &(*tail)->next;
        *tail = chain;
        return;
    }
    ndis_miniport_send_complete(n->mp, chain, 0);
}

static void
nic_return(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct test_nic *n = ctx;
    for (struct ndis_nbl *b = chain, *next; b; b = next) {
        next = b->next;
        b->next = NULL;
        ndis_nbl_free(b, n->mp);
    }
}

static const struct ndis_miniport_ops nic_ops = {
    .initialize = init0,
    .halt = halt0,
    .pause = ok0,
    .restart = ok0,
    .oid_request = oid0,
    .send_net_buffer_lists = nic_send,
    .return_net_buffer_lists = nic_return,
};

static void
nic_up(struct vt *t, struct test_nic *n)
{
    memset(n, 0, sizeof *n);
    n->sink = &t->sink;
    struct ndis_miniport_config c = {
        .name = "h1.nic0", .kind = NDIS_MINIPORT_PLAIN, .sched = t->s, .ops = &nic_ops, .ctx = n};
    struct sim_diag d = {0};
    cr_assert_eq(ndis_miniport_create(&c, &n->mp, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_initialize(n->mp, NULL, &d), 0);
    cr_assert_eq(ndis_miniport_restart(n->mp, NULL, &d), 0);
    struct ndis_nbl_pool_config pc = {.name = "nic0.rx",
                                      .nbl_count = 16,
                                      .nbs_per_nbl = 1,
                                      .data_size = 2048,
                                      .track_owners = true};
    cr_assert_eq(ndis_nbl_pool_create(&pc, &n->pool, &d), 0);
    cr_assert_eq(netvsp_switch_bind_nic(t->sw, n->mp, &d), 0, "%s", d.reason);
    cr_assert_not_null(netvsp_switch_nic_binding(t->sw));
}

static void
nic_rx(struct test_nic *n, const uint8_t *frame, uint32_t len, uint64_t id, uint32_t vport)
{
    struct ndis_nbl *b = ndis_nbl_alloc(n->pool, n->mp);
    cr_assert_not_null(b);
    memcpy(b->first_nb->data, frame, len);
    b->first_nb->data_length = len;
    b->packet_id = id;
    b->vport_id = vport;
    cr_assert_eq(ndis_miniport_indicate_receive(n->mp, b, 0), 0);
}

static void
nic_down(struct test_nic *n)
{
    struct sim_diag d = {0};
    if (ndis_miniport_state(n->mp) == NDIS_MINIPORT_RUNNING)
        cr_assert_eq(ndis_miniport_pause(n->mp, NULL, &d), 0);
    cr_assert_eq(ndis_miniport_halt(n->mp, &d), 0, "%s", d.reason); /* unbinds NetVSP */
    cr_assert_eq(ndis_miniport_destroy(n->mp), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(n->pool), 0);
}

Test(netvsp_uplink, frames_cross_the_ndis_binding_both_ways)
{
    struct vt t;
    vt_setup(&t);
    struct test_nic n;
    nic_up(&t, &n);
    uint8_t f[300];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 300, 1);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 61), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(n.sent.count, 1);
    cr_assert_eq(n.sent.ids[0], 61);
    cr_assert_arr_eq(n.sent.last, f, len);
    cr_assert_eq(t.wire.count, 0, "the config's uplink is replaced while bound");
    len = vt_frame(f, vt_mac[1], vt_peer_mac, 300, 2);
    nic_rx(&n, f, len, 62, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 1);
    cr_assert_eq(t.app[1].ids[0], 62);
    /* A receive indication on a non-default VPort with VMQ: no lookup. */
    netvsp_port_set_vmq(t.port[1], 5);
    struct netvsp_switch_stats a, b;
    netvsp_switch_stats(t.sw, &a);
    nic_rx(&n, f, len, 63, 5);
    netvsp_switch_stats(t.sw, &b);
    cr_assert_eq(b.vmq_hits, a.vmq_hits + 1);
    cr_assert_eq(b.lookups, a.lookups);
    cr_assert_eq(b.uplink_copies, 1);
    /* Allocation-free across the binding. */
    cr_assert_eq(sim_sched_reserve(t.s, 64), 0);
    long before = sim_alloc_attempts();
    for (uint64_t i = 0; i < 200; i++) {
        len = vt_frame(f, vt_peer_mac, vt_mac[0], 300, 3);
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 1000 + i), 0);
        len = vt_frame(f, vt_mac[0], vt_peer_mac, 300, 4);
        nic_rx(&n, f, len, 5000 + i, 0);
        vt_run(&t, SIM_USEC(10));
    }
    cr_assert_eq(sim_alloc_attempts(), before);
    cr_assert_eq(n.sent.count, 201);
    cr_assert_eq(t.app[0].count, 200);
    cr_assert_eq(t.drops.total, 0);
    nic_down(&n);
    cr_assert_null(netvsp_switch_nic_binding(t.sw), "halt unbound NetVSP");
    /* Back on the config's uplink. */
    len = vt_frame(f, vt_peer_mac, vt_mac[0], 300, 1);
    netvsc_adapter_xmit(t.ad[0], f, len, 64);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 1);
    vt_teardown(&t);
}

Test(netvsp_uplink, nic_refusals_are_drops_with_causes)
{
    struct vt t;
    vt_setup(&t);
    struct test_nic n;
    nic_up(&t, &n);
    uint8_t f[300];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 300, 1);
    /* Completed with an error status by the miniport. */
    n.complete_with = NDIS_STATUS_ADAPTER_REMOVED;
    netvsc_adapter_xmit(t.ad[0], f, len, 1);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_SURPRISE_REMOVAL], 1, "reported once, by the NIC");
    cr_assert_eq(t.drops.last_id, 1);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(t.sw, &ss);
    cr_assert_eq(ss.uplink_failed, 1);
    n.complete_with = NDIS_STATUS_SUCCESS;
    /* Refused by NDIS: the miniport is paused. */
    struct sim_diag d = {0};
    cr_assert_eq(ndis_miniport_pause(n.mp, NULL, &d), 0);
    netvsc_adapter_xmit(t.ad[0], f, len, 2);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_PAUSED], 1);
    cr_assert_eq(ndis_miniport_restart(n.mp, NULL, &d), 0);
    /* NBLs held by the miniport: the switch's TX pool runs dry -> pool-exhausted; unbinding
     * waits for the send-completes. */
    n.hold = true;
    for (uint64_t i = 0; i < NETVSP_NBLS_DEFAULT + 3; i++) {
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 100 + i), 0);
        vt_run(&t, SIM_USEC(20));
    }
    cr_assert_eq(ndis_nbl_chain_length(n.held), NETVSP_NBLS_DEFAULT);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_POOL_EXHAUSTED], 3);
    cr_assert_eq(netvsp_switch_unbind_nic(t.sw, &d), SIM_EBUSY);
    n.hold = false;
    ndis_miniport_send_complete(n.mp, n.held, 0);
    n.held = NULL;
    cr_assert_eq(n.sent.count, NETVSP_NBLS_DEFAULT);
    cr_assert_eq(netvsp_switch_unbind_nic(t.sw, &d), 0, "%s", d.reason);
    cr_assert_eq(netvsp_switch_unbind_nic(t.sw, &d), SIM_ENOENT);
    nic_down(&n);
    vt_teardown(&t);
}
