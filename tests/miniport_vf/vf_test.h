/* SPDX-License-Identifier: MIT */
/*
 * vf_test.h — fixture for the VF miniport tests: the host (tests/miniport_pf/pf_test.h: fabric, real NIC, real PF
 * miniport) gives VF 0 a VPort and a MAC filter; a guest partition gets the VF through virtual
 * PCI; the VF miniport is created on arrival, initialized and restarted through ndis_shim, and a
 * NetVSC-like protocol (the only kind allowed to bind a VF) binds it. A capture wire records
 * what leaves the physical port. TX frames live in guest memory (zero copy).
 */
#ifndef SRIOVSIM_TESTS_VF_TEST_H
#define SRIOVSIM_TESTS_VF_TEST_H

#include "miniport_vf/miniport_vf.h"
#include "../miniport_pf/pf_test.h"

#define V_MAX_REC   20000
#define V_TXBUFS    512
#define V_BUF       2048
#define V_BACKFILL  64 /* bytes in front of each TX frame (>= NIC_PKT_HDR_LEN) */
#define V_GUEST_MEM (UINT64_C(16) << 20)

struct venv {
    struct topo t;
    bool poll_mode;
    unsigned ring_slots;
    struct hv_partition *guest;
    struct hv_vpci_dev *vpci;
    int arrived, eject_requests, removed_kind, removed_calls;
    uint16_t vf;
    uint32_t rid, vport, filter;
    uint8_t mac[6];
    struct vf_adapter *a;
    struct ndis_miniport *mp;
    struct ndis_protocol *proto;
    struct ndis_binding *b;
    struct ndis_nbl_pool *txpool;
    uint64_t txbuf_gpa;
    uint8_t *txbuf;
    unsigned tx_next;
    /* wire capture */
    size_t nwire;
    uint64_t wire_id[V_MAX_REC];
    uint8_t wire_byte[V_MAX_REC]; /* first payload byte after the Ethernet header */
    uint8_t wire_src[6];          /* source MAC of the last frame */
    /* send completions */
    size_t ntxc;
    uint64_t txc_id[V_MAX_REC];
    ndis_status_t txc_st[V_MAX_REC];
    /* receive indications */
    size_t nrx;
    uint64_t rx_id[V_MAX_REC];
    bool rx_zero_copy_ok; /* every NB pointed into the VF's RX buffer area */
    bool hold_rx;
    struct ndis_nbl *held;
    /* mailbox callbacks */
    int req_done;
    ndis_status_t req_st;
};

static inline void
v_wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at)
{
    struct venv *e = ctx;
    (void)done_at;
    if (e->nwire < V_MAX_REC) {
        e->wire_id[e->nwire] = packet_id;
        e->wire_byte[e->nwire] = len > 14 ? ((const uint8_t *)frame)[14] : 0;
    }
    memcpy(e->wire_src, (const uint8_t *)frame + 6, 6);
    e->nwire++;
}

/* ---- the NetVSC-like protocol edge ---- */
static inline ndis_status_t
v_bind(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    (void)bp;
    ndis_binding_set_context(b, ctx);
    return NDIS_STATUS_SUCCESS;
}

static inline void
v_unbind(void *ctx, struct ndis_binding *b)
{
    (void)ctx;
    (void)b;
}

static inline void
v_recv(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct venv *e = bctx;
    (void)flags;
    uint64_t area, len;
    vf_adapter_rx_area(e->a, &area, &len);
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        if (e->nrx < V_MAX_REC)
            e->rx_id[e->nrx] = n->packet_id;
        e->nrx++;
        uint64_t gpa;
        struct ndis_nb *nb = n->first_nb;
        if (hv_gpa_from_host(e->guest, nb->data + nb->data_offset, &gpa) != 0 || gpa < area ||
            gpa + nb->data_length > area + len)
            e->rx_zero_copy_ok = false;
    }
    if (e->hold_rx) {
        struct ndis_nbl **t = &e->held;
        while (*t != NULL)
            t = &(*t)->next;
        *t = chain;
        return;
    }
    cr_assert_eq(ndis_binding_return(b, chain), 0);
}

static inline void
v_send_done(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct venv *e = bctx;
    (void)flags;
    for (struct ndis_nbl *n = chain, *next; n != NULL; n = next) {
        next = n->next;
        if (e->ntxc < V_MAX_REC) {
            e->txc_id[e->ntxc] = n->packet_id;
            e->txc_st[e->ntxc] = n->status;
        }
        e->ntxc++;
        n->next = NULL;
        cr_assert_eq(ndis_nbl_free(n, b), 0);
    }
}

static const struct ndis_protocol_ops v_proto_ops = {
    .bind_adapter = v_bind,
    .unbind_adapter = v_unbind,
    .receive_net_buffer_lists = v_recv,
    .send_net_buffer_lists_complete = v_send_done,
};

/* ---- guest VPCI ---- */
static inline void
v_arrival(void *ctx, struct hv_vpci_dev *dev)
{
    struct venv *e = ctx;
    (void)dev;
    e->arrived++;
}

static inline void
v_eject_request(void *ctx, struct hv_vpci_dev *dev)
{
    struct venv *e = ctx;
    (void)dev;
    e->eject_requests++;
}

static inline void
v_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    struct venv *e = ctx;
    (void)dev;
    e->removed_kind = (int)kind;
    e->removed_calls++;
}

static const struct hv_vpci_guest_ops v_guest_ops = {
    .arrival = v_arrival,
    .eject_request = v_eject_request,
    .removed = v_removed,
};

/* Host + guest up to the VF's arrival in the guest (no VF driver yet). */
static inline void
venv_host(struct venv *e, bool poll_mode, pf_policy_fn policy)
{
    unsigned slots = e->ring_slots; /* the one setting a test may make before */
    memset(e, 0, sizeof *e);
    e->ring_slots = slots;
    e->poll_mode = poll_mode;
    e->rx_zero_copy_ok = true;
    struct topo *t = &e->t;
    topo_hw(t, poll_mode);
    topo_pf(t, policy, false);
    struct nic_wire_ops w = {.tx = v_wire_tx};
    nic_port_attach(t->nic, &w, e);
    cr_assert_eq(t_create_switch(t, 2), NDIS_STATUS_SUCCESS);
    t_vf_mac(0, e->mac);
    cr_assert_eq(t_allocate_vf(t, e->mac, &e->vf, &e->rid), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_create_vport(t, e->vf, 1, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED, &e->vport),
                 NDIS_STATUS_SUCCESS, "%s", pf_adapter_last_refusal(t->pf)->reason);
    cr_assert_eq(t_set_filter(t, e->vport, e->mac, -1, &e->filter), NDIS_STATUS_SUCCESS);
    t_run_for(t, SIM_MSEC(200)); /* VFs answer 100 ms after VF Enable */

    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = 1;
    pc.name = "vm1";
    pc.mem_size = V_GUEST_MEM;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(hv_partition_create(t->sched, t->fabric, &pc, &e->guest, &d), 0, "%s", d.reason);
    hv_vpci_guest_set_ops(e->guest, &v_guest_ops, e);
    struct hv_vpci_offer_config oc;
    hv_vpci_offer_config_init(e->guest, &oc);
    oc.offer_delay_ns = SIM_MSEC(1);
    oc.serial = 0x1234;
    cr_assert_eq(hv_vpci_offer(e->guest, (uint16_t)e->rid, &oc, &e->vpci, &d), 0, "%s", d.reason);
    t_run_for(t, SIM_MSEC(2));
    cr_assert_eq(e->arrived, 1, "the VF arrived in the guest");
}

static inline void
venv_vf_create(struct venv *e)
{
    struct vf_config c = {
        .name = "vm1.vf0",
        .guest = e->guest,
        .rid = (uint16_t)e->rid,
        .serial = 0x1234,
        .ring_slots = e->ring_slots,
        .poll_mode = e->poll_mode,
        .drop_sink = &e->t.sink,
        .trace = e->t.trace,
    };
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(vf_adapter_create(&c, &e->a, &d), 0, "%s", d.reason);
    e->mp = vf_adapter_miniport(e->a);
}

/* MiniportInitializeEx + MiniportRestart (pends until the PF answered VF_RESET) + bind. */
static inline void
venv_vf_start(struct venv *e)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_initialize(e->mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(e->mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(st, NDIS_STATUS_PENDING, "restart waits for the PF's VF_RESET answer");
    for (int i = 0; i < 100 && ndis_miniport_state(e->mp) != NDIS_MINIPORT_RUNNING; i++)
        t_run_for(&e->t, SIM_USEC(100));
    cr_assert_eq(ndis_miniport_state(e->mp), NDIS_MINIPORT_RUNNING, "%s",
                 vf_adapter_last_error(e->a)->reason);
    struct ndis_protocol_config pcfg = {
        .name = "netvsc", .flags = NDIS_PROTOCOL_CHAR_BINDS_VF, .ops = &v_proto_ops, .ctx = e};
    cr_assert_eq(ndis_protocol_create(&pcfg, &e->proto, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_bind(e->proto, e->mp, &e->b, &st, &d), 0, "%s", d.reason);

    struct ndis_nbl_pool_config tc = {
        .name = "netvsc.tx", .nbl_count = V_TXBUFS, .nbs_per_nbl = 1, .track_owners = true};
    cr_assert_eq(ndis_nbl_pool_create(&tc, &e->txpool, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_gpa_alloc(e->guest, (uint64_t)V_TXBUFS * V_BUF, 0, &e->txbuf_gpa, &d), 0);
    e->txbuf = hv_gpa_to_host(e->guest, e->txbuf_gpa, (uint64_t)V_TXBUFS * V_BUF);
}

static inline void
venv_up(struct venv *e, bool poll_mode, pf_policy_fn policy)
{
    venv_host(e, poll_mode, policy);
    venv_vf_create(e);
    venv_vf_start(e);
}

/* Build a frame from the VF's MAC in TX buffer `slot` and return its NBL (not yet sent). */
static inline struct ndis_nbl *
v_frame(struct venv *e, unsigned slot, uint32_t len, uint64_t id, uint8_t first)
{
    struct ndis_nbl *nbl = ndis_nbl_alloc(e->txpool, e->b);
    cr_assert_not_null(nbl, "TX pool empty");
    struct ndis_nb *nb = nbl->first_nb;
    nb->data = e->txbuf + (size_t)(slot % V_TXBUFS) * V_BUF;
    nb->capacity = V_BUF;
    nb->data_offset = V_BACKFILL;
    nb->data_length = len;
    uint8_t *f = nb->data + V_BACKFILL;
    static const uint8_t dst[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
    uint8_t src[6];
    vf_adapter_mac(e->a, src);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    for (uint32_t i = 14; i < len; i++)
        f[i] = (uint8_t)(first + i - 14);
    nbl->packet_id = id;
    return nbl;
}

static inline void
v_send(struct venv *e, uint32_t len, uint64_t id)
{
    struct ndis_nbl *nbl = v_frame(e, e->tx_next++, len, id, (uint8_t)id);
    cr_assert_eq(ndis_binding_send(e->b, nbl, 0), 0);
}

/* A frame for the VF from the wire. */
static inline void
v_wire_rx(struct venv *e, uint64_t id)
{
    uint8_t f[128];
    uint8_t dst[6];
    vf_adapter_mac(e->a, dst);
    memset(f, 0, sizeof f);
    memcpy(f, dst, 6);
    static const uint8_t src[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[14] = (uint8_t)id;
    cr_assert_eq(nic_port_rx(e->t.nic, f, 100, id), 0);
}

static inline size_t
v_drops(const struct venv *e, enum sim_drop_cause cause, const char *where)
{
    size_t n = 0;
    for (size_t i = 0; i < e->t.ndrops; i++)
        if (e->t.drops[i].cause == cause &&
            (where == NULL || strncmp(e->t.drops[i].where, where, strlen(where)) == 0))
            n++;
    return n;
}

/* Guest side down (whatever state it is in), then the host's documented teardown; asserts no
 * allocation is left. */
static inline void
venv_down(struct venv *e)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    if (e->held != NULL) {
        cr_assert_eq(ndis_binding_return(e->b, e->held), 0);
        e->held = NULL;
    }
    if (e->mp != NULL) {
        if (e->b != NULL)
            cr_assert_eq(ndis_unbind(e->b, &d), 0, "%s", d.reason);
        e->b = NULL;
        if (ndis_miniport_state(e->mp) == NDIS_MINIPORT_RUNNING) {
            ndis_status_t st = 0;
            cr_assert_eq(ndis_miniport_pause(e->mp, &st, &d), 0, "%s", d.reason);
            for (int i = 0; i < 1000 && ndis_miniport_state(e->mp) != NDIS_MINIPORT_PAUSED; i++) {
                if (e->poll_mode) {
                    (void)nic_poll(e->t.nic, 256);
                    (void)vf_adapter_poll(e->a, 256);
                }
                t_run_for(&e->t, SIM_USEC(10));
            }
        }
        if (ndis_miniport_state(e->mp) != NDIS_MINIPORT_HALTED)
            cr_assert_eq(ndis_miniport_halt(e->mp, &d), 0, "%s", d.reason);
        cr_assert_eq(vf_adapter_destroy(e->a), 0);
        e->a = NULL;
        e->mp = NULL;
    }
    cr_assert_eq(sim_alloc_live(SIM_TAG(vf)), 0, "VF miniport allocations left");
    if (e->proto != NULL)
        cr_assert_eq(ndis_protocol_destroy(e->proto), 0);
    if (e->txpool != NULL)
        cr_assert_eq(ndis_nbl_pool_destroy(e->txpool), 0);
    hv_partition_destroy(e->guest);
    struct topo *t = &e->t;
    nic_port_attach(t->nic, NULL, NULL);
    cr_assert_eq(t_clear_filter(t, e->filter), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_vport(t, e->vport), NDIS_STATUS_SUCCESS);
    /* After a surprise removal the host hot-adds the function again before its FLR. */
    if (pcie_fabric_fn_state(t->fabric, (uint16_t)e->rid) == PCIE_FN_REMOVED)
        cr_assert_eq(pcie_fn_hot_add(t->fabric, (uint16_t)e->rid), 0);
    cr_assert_eq(t_reset_vf(t, e->vf), NDIS_STATUS_SUCCESS, "%s",
                 pf_adapter_last_refusal(t->pf)->reason);
    cr_assert_eq(t_free_vf(t, e->vf), NDIS_STATUS_SUCCESS, "%s",
                 pf_adapter_last_refusal(t->pf)->reason);
    cr_assert_eq(t_delete_switch(t), NDIS_STATUS_SUCCESS, "%s",
                 pf_adapter_last_refusal(t->pf)->reason);
    topo_fini(t);
}

static inline void
v_req_cb(void *ctx, struct vf_adapter *a, ndis_status_t st, const struct sim_diag *why)
{
    struct venv *e = ctx;
    (void)a;
    (void)why;
    e->req_done++;
    e->req_st = st;
}

#endif /* SRIOVSIM_TESTS_VF_TEST_H */
