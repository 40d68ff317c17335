/* SPDX-License-Identifier: MIT */
/*
 * pf_proto_test.h — shared by the PF data-path tests (test_datapath.c, test_vmq.c): a wire log
 * attached to the NIC's physical port, an in-test protocol driver bound to the PF miniport that
 * records send-completes and receive indications (with their VPort id), and up()/down() that
 * build the fixture hardware (pf_test.h), the PF with a drop sink, and bind the protocol.
 * Included by one test file each (static state).
 */
#ifndef SRIOVSIM_TESTS_PF_PROTO_TEST_H
#define SRIOVSIM_TESTS_PF_PROTO_TEST_H

#include "hv/hv.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "pf_test.h"

#define D_MAX 8192

/* ---- the wire: records what the physical port sent ---------------------------------------- */
struct wire_log {
    uint32_t n;
    uint64_t ids[D_MAX];
    uint8_t last_dst[6];
};
static struct wire_log W;

static void
wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at)
{
    struct wire_log *w = ctx;
    (void)done_at;
    if (w->n < D_MAX)
        w->ids[w->n] = packet_id;
    w->n++;
    if (len >= 6)
        memcpy(w->last_dst, frame, 6);
}

/* ---- an in-test protocol bound to the PF ---------------------------------------------------- */
struct proto {
    struct ndis_protocol *p;
    struct ndis_binding *b;
    struct ndis_nbl_pool *pool;
    uint32_t completions[D_MAX]; /* send-completes per packet id */
    uint64_t completed, completed_ok;
    uint32_t nrx;
    uint64_t rx_ids[D_MAX];
    uint32_t rx_vport[D_MAX];
    bool hold; /* keep indicated NBLs (return later) */
    struct ndis_nbl *held[D_MAX];
    uint32_t nheld;
};
static struct proto P;

static ndis_status_t
p_bind(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    (void)bp;
    ndis_binding_set_context(b, ctx);
    return NDIS_STATUS_SUCCESS;
}

static void
p_unbind(void *ctx, struct ndis_binding *b)
{
    (void)ctx;
    (void)b;
}

static void
p_receive(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct proto *p = bctx;
    (void)flags;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        if (p->nrx < D_MAX) {
            p->rx_ids[p->nrx] = n->packet_id;
            p->rx_vport[p->nrx] = n->vport_id;
        }
        p->nrx++;
        cr_assert_geq(n->first_nb->data_length, 14u);
    }
    if (!p->hold) {
        cr_assert_eq(ndis_binding_return(b, chain), 0);
        return;
    }
    for (struct ndis_nbl *n = chain, *next; n != NULL; n = next) {
        next = n->next;
        n->next = NULL;
        p->held[p->nheld++] = n;
    }
}

static void
p_send_complete(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct proto *p = bctx;
    (void)flags;
    for (struct ndis_nbl *n = chain, *next; n != NULL; n = next) {
        next = n->next;
        n->next = NULL;
        if (n->packet_id < D_MAX)
            p->completions[n->packet_id]++;
        p->completed++;
        if (n->status == NDIS_STATUS_SUCCESS)
            p->completed_ok++;
        cr_assert_eq(ndis_nbl_free(n, b), 0);
    }
}

static const struct ndis_protocol_ops p_ops = {
    .bind_adapter = p_bind,
    .unbind_adapter = p_unbind,
    .receive_net_buffer_lists = p_receive,
    .send_net_buffer_lists_complete = p_send_complete,
};

/* Topology: fixture hardware, our wire log, the PF with a drop sink, our protocol bound. */
static void
up(struct topo *t, bool poll_mode, unsigned slots)
{
    memset(&P, 0, sizeof P);
    memset(&W, 0, sizeof W);
    topo_hw(t, poll_mode);
    static const struct nic_wire_ops wire = {.tx = wire_tx};
    nic_port_attach(t->nic, &wire, &W);
    struct pf_config pc = {
        .name = "pf0",
        .sched = t->sched,
        .fabric = t->fabric,
        .rid = T_PF_RID,
        .trace = t->trace,
        .poll_mode = poll_mode,
        .ring_slots = slots,
        .drop_sink = &t->sink,
    };
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(pf_adapter_create(&pc, &t->pf, &d), 0, "pf_adapter_create: %s", d.reason);
    t->mp = pf_adapter_miniport(t->pf);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_initialize(t->mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(t->mp, &st, &d), 0, "%s", d.reason);
}

static void
bind_proto(struct topo *t)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    struct ndis_protocol_config pc = {.name = "tcpip", .ops = &p_ops, .ctx = &P};
    cr_assert_eq(ndis_protocol_create(&pc, &P.p, &d), 0, "%s", d.reason);
    struct ndis_nbl_pool_config nc = {.name = "proto.tx",
                                      .nbl_count = 512,
                                      .nbs_per_nbl = 1,
                                      .data_size = 4096,
                                      .track_owners = true};
    cr_assert_eq(ndis_nbl_pool_create(&nc, &P.pool, &d), 0, "%s", d.reason);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_bind(P.p, t->mp, &P.b, &st, &d), 0, "%s", d.reason);
}

static void
down(struct topo *t)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    if (P.b != NULL)
        cr_assert_eq(ndis_unbind(P.b, &d), 0, "%s", d.reason);
    if (P.p != NULL)
        cr_assert_eq(ndis_protocol_destroy(P.p), 0);
    if (P.pool != NULL)
        cr_assert_eq(ndis_nbl_pool_destroy(P.pool), 0);
    topo_fini(t); /* pause, halt, destroy; asserts zero live allocations */
}

/* ---- one guest behind the real NetVSP bound to the PF -------------------------------------- */
/* Frames the guest's application received (through NetVSC), in order. */
struct app_log {
    uint32_t n;
    uint64_t ids[D_MAX];
};
static struct app_log A;

static void
app_rx(void *ctx, const uint8_t *frame, uint32_t len, uint64_t id)
{
    struct app_log *l = ctx;
    (void)frame;
    (void)len;
    if (l->n < D_MAX)
        l->ids[l->n] = id;
    l->n++;
}
static const struct netvsc_rx_ops app_ops = {.receive = app_rx};

/* The host side (root partition, NetVSP bound to the PF miniport through NDIS, the VM's port)
 * and the guest (partition, NetVSC adapter delivering to A), ready: NVSP INIT done. */
struct guest_env {
    struct hv_partition *root, *guest;
    struct netvsp_switch *sw;
    struct netvsp_port *port;
    struct netvsc_adapter *ad;
};

static void
guest_up(struct topo *t, struct guest_env *g, const uint8_t mac[6])
{
    memset(&A, 0, sizeof A);
    memset(g, 0, sizeof *g);
    struct sim_diag d;
    sim_diag_clear(&d);
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = 0;
    pc.name = "h1";
    pc.kind = HV_PARTITION_ROOT;
    pc.mem_size = UINT64_C(4) << 20;
    cr_assert_eq(hv_partition_create(t->sched, NULL, &pc, &g->root, &d), 0, "%s", d.reason);
    hv_partition_config_init(&pc);
    pc.id = 1;
    pc.name = "vm1";
    pc.mem_size = UINT64_C(16) << 20;
    cr_assert_eq(hv_partition_create(t->sched, t->fabric, &pc, &g->guest, &d), 0, "%s", d.reason);
    struct netvsp_switch_config sc = {.name = "h1.sw", .sched = t->sched, .drops = &t->sink};
    cr_assert_eq(netvsp_switch_create(&sc, &g->sw, &d), 0, "%s", d.reason);
    cr_assert_eq(netvsp_switch_bind_nic(g->sw, pf_adapter_miniport(t->pf), &d), 0, "%s", d.reason);
    struct netvsp_port_config poc = {.host = g->root, .guest = g->guest};
    memcpy(poc.mac, mac, 6);
    cr_assert_eq(netvsp_port_create(g->sw, &poc, &g->port, &d), 0, "%s", d.reason);
    struct netvsc_adapter_config ac;
    netvsc_adapter_config_init(&ac);
    ac.name = "vm1";
    ac.guest = g->guest;
    memcpy(ac.mac, mac, 6);
    ac.drops = &t->sink;
    ac.rx = &app_ops;
    ac.rx_ctx = &A;
    cr_assert_eq(netvsc_adapter_create(&ac, &g->ad, &d), 0, "%s", d.reason);
    t_run_for(t, SIM_MSEC(1));
    cr_assert(netvsc_adapter_is_ready(g->ad));
}

static void
guest_down(struct topo *t, struct guest_env *g)
{
    cr_assert_eq(netvsc_adapter_destroy(g->ad), 0);
    t_run_for(t, SIM_MSEC(1));
    netvsp_switch_destroy(g->sw);
    hv_partition_destroy(g->guest);
    hv_partition_destroy(g->root);
}

#endif /* SRIOVSIM_TESTS_PF_PROTO_TEST_H */
