/* SPDX-License-Identifier: MIT */
/*
 * pf_test.h — fixture for the PF miniport tests: a virtual scheduler, the PCIe fabric, the real
 * simulated NIC as PF 01:00.0 with TotalVFs 8, an NDIS trace, and the PF miniport registered
 * with ndis_shim and brought up (initialize + restart). OIDs go through the real dispatcher with
 * correct headers. The tests that play a VF driver (mailbox) talk to the VF's BAR0 through the
 * fabric using the datasheet, as the VF miniport would. The VF miniport tests reuse it as their
 * host side, with the NIC in poll mode where they run the data path on threads.
 */
#ifndef SRIOVSIM_TESTS_PF_TEST_H
#define SRIOVSIM_TESTS_PF_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "miniport_pf/miniport_pf.h"
#include "ndis_shim/ndis_shim.h"
#include "nic/nic.h"
#include "pcie/pcie.h"

#define T_PF_RID    PCIE_RID(1, 0, 0)
#define T_TOTAL_VFS 8
#define T_MAX_DROPS 4096

struct t_drop {
    uint64_t packet_id;
    char where[48];
    enum sim_drop_cause cause;
};

struct topo {
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    struct nic *nic;
    struct ndis_trace *trace;
    struct pf_adapter *pf;
    struct ndis_miniport *mp;
    struct sim_drop_sink sink;
    struct t_drop drops[T_MAX_DROPS];
    size_t ndrops;
    uint64_t wire_tx; /* frames the port put on the wire */
    /* last OID */
    struct ndis_oid_request req;
    int completions;
    ndis_status_t status;
};

static inline void
t_drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
          const void *frame, uint32_t len)
{
    struct topo *t = ctx;
    (void)frame;
    (void)len;
    if (t->ndrops < T_MAX_DROPS) {
        struct t_drop *d = &t->drops[t->ndrops++];
        d->packet_id = packet_id;
        d->cause = cause;
        strncpy(d->where, where, sizeof d->where - 1);
        d->where[sizeof d->where - 1] = '\0';
    }
}

static inline void
t_wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at)
{
    (void)frame;
    (void)len;
    (void)packet_id;
    (void)done_at;
    ((struct topo *)ctx)->wire_tx++;
}

/* Hardware only: scheduler, fabric, NIC (wire attached, link up; poll_mode: bench mode, the
 * device is driven by nic_poll instead of doorbells), trace. */
static inline void
topo_hw(struct topo *t, bool poll_mode)
{
    memset(t, 0, sizeof *t);
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &t->sched), 0);
    cr_assert_eq(pcie_fabric_create(t->sched, &t->fabric), 0);
    t->sink.drop = t_drop_cb;
    t->sink.ctx = t;
    struct nic_config nc = {
        .rid = T_PF_RID,
        .total_vfs = T_TOTAL_VFS,
        .mac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00},
        .name = "nic",
        .drop_sink = &t->sink,
        .poll_mode = poll_mode,
    };
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(nic_create(t->fabric, &nc, &t->nic, &d), 0, "nic_create: %s", d.reason);
    static const struct nic_wire_ops wire = {.tx = t_wire_tx};
    nic_port_attach(t->nic, &wire, t);
    cr_assert_eq(ndis_trace_create(4096, &t->trace), 0);
}

static inline void
topo_pf(struct topo *t, pf_policy_fn policy, bool sriov_disabled)
{
    struct pf_config pc = {
        .name = "pf0",
        .sched = t->sched,
        .fabric = t->fabric,
        .rid = T_PF_RID,
        .trace = t->trace,
        .policy = policy,
        .sriov_disabled = sriov_disabled,
    };
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(pf_adapter_create(&pc, &t->pf, &d), 0, "pf_adapter_create: %s", d.reason);
    t->mp = pf_adapter_miniport(t->pf);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_miniport_initialize(t->mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(t->mp, &st, &d), 0, "%s", d.reason);
}

static inline void
topo_init(struct topo *t, pf_policy_fn policy)
{
    topo_hw(t, false);
    topo_pf(t, policy, false);
}

static inline void
topo_fini_hw(struct topo *t)
{
    nic_destroy(t->nic);
    pcie_fabric_destroy(t->fabric);
    ndis_trace_destroy(t->trace);
    sim_sched_destroy(t->sched);
}

/* Pause + halt (PF must have no VF left) + destroy everything; no live allocation after. */
static inline void
topo_fini(struct topo *t)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    if (ndis_miniport_state(t->mp) == NDIS_MINIPORT_RUNNING)
        cr_assert_eq(ndis_miniport_pause(t->mp, NULL, &d), 0, "%s", d.reason);
    if (ndis_miniport_state(t->mp) != NDIS_MINIPORT_HALTED)
        cr_assert_eq(ndis_miniport_halt(t->mp, &d), 0, "halt: %s", d.reason);
    cr_assert_eq(pf_adapter_destroy(t->pf), 0);
    topo_fini_hw(t);
    cr_assert_eq(sim_alloc_live_total(), 0, "live allocations after teardown");
}

/* Run the loop for `ns` of virtual time. */
static inline void
t_run_for(struct topo *t, sim_time_t ns)
{
    (void)sim_sched_run(t->sched, sim_sched_now(t->sched) + ns);
}

static inline void
t_oid_cb(struct ndis_oid_request *req, ndis_status_t status)
{
    struct topo *t = req->data;
    t->completions++;
    t->status = status;
}

/* Submit and run until the callback ran (exactly once). Returns the final status. */
static inline ndis_status_t
t_oid(struct topo *t, enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t in_len,
      uint32_t out_len)
{
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&t->req, "vstack", oid, buf, in_len, out_len);
    else
        ndis_oid_request_init(&t->req, "vstack", type, oid, buf, in_len);
    t->req.data = t;
    int before = t->completions;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(ndis_oid_request_submit(t->mp, &t->req, t_oid_cb, &d), 0, "submit: %s", d.reason);
    for (int i = 0; i < 100000 && t->completions == before; i++)
        if (sim_sched_step(t->sched) == 0)
            break;
    cr_assert_eq(t->completions, before + 1, "OID 0x%08x completed %d times", oid,
                 t->completions - before);
    return t->status;
}

static inline void
t_hdr(struct ndis_object_header *h, uint8_t rev, size_t size)
{
    ndis_objhdr_init(h, NDIS_OBJECT_TYPE_DEFAULT, rev, (uint16_t)size);
}

/* ---- builders for the common OIDs ------------------------------------------------------------ */
static inline ndis_status_t
t_create_switch(struct topo *t, uint32_t num_vfs)
{
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, NDIS_NIC_SWITCH_PARAMETERS_REVISION_1,
          NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.num_vfs = num_vfs;
    return t_oid(t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_SWITCH, &p,
                 (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, (uint32_t)sizeof p);
}

static inline ndis_status_t
t_delete_switch(struct topo *t)
{
    struct ndis_nic_switch_delete_switch_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_SWITCH, &p,
                 (uint32_t)sizeof p, 0);
}

static inline void
t_vf_mac(uint16_t i, uint8_t mac[6])
{
    static const uint8_t base[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x10};
    memcpy(mac, base, 6);
    mac[5] = (uint8_t)(0x10 + i);
}

static inline ndis_status_t
t_allocate_vf(struct topo *t, const uint8_t mac[6], uint16_t *vf_id, uint32_t *rid)
{
    static struct ndis_nic_switch_vf_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
    p.requestor_id = NDIS_INVALID_RID;
    p.mac_address_length = 6;
    memcpy(p.permanent_mac_address, mac, 6);
    memcpy(p.current_mac_address, mac, 6);
    ndis_status_t st = t_oid(t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ALLOCATE_VF, &p,
                             (uint32_t)sizeof p, (uint32_t)sizeof p);
    if (vf_id)
        *vf_id = p.vf_id;
    if (rid)
        *rid = p.requestor_id;
    return st;
}

static inline ndis_status_t
t_vf_oid16(struct topo *t, ndis_oid_t oid, uint16_t vf_id)
{
    if (oid == OID_NIC_SWITCH_FREE_VF) {
        struct ndis_nic_switch_free_vf_parameters p;
        memset(&p, 0, sizeof p);
        t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        p.vf_id = vf_id;
        return t_oid(t, NDIS_REQUEST_SET_INFORMATION, oid, &p, (uint32_t)sizeof p, 0);
    }
    struct ndis_sriov_reset_vf_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
    p.vf_id = vf_id;
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, oid, &p, (uint32_t)sizeof p, 0);
}
#define t_free_vf(t, v)  t_vf_oid16((t), OID_NIC_SWITCH_FREE_VF, (v))
#define t_reset_vf(t, v) t_vf_oid16((t), OID_SRIOV_RESET_VF, (v))

static inline ndis_status_t
t_create_vport(struct topo *t, uint16_t fn, uint32_t nqps, uint32_t state, uint32_t *vport_id)
{
    static struct ndis_nic_switch_vport_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vport_id = NDIS_DEFAULT_VPORT_ID;
    p.attached_function_id = fn;
    p.num_queue_pairs = nqps;
    p.vport_state = state;
    ndis_status_t st = t_oid(t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_VPORT, &p,
                             (uint32_t)sizeof p, (uint32_t)sizeof p);
    if (vport_id)
        *vport_id = p.vport_id;
    return st;
}

static inline ndis_status_t
t_delete_vport(struct topo *t, uint32_t vport_id)
{
    struct ndis_nic_switch_delete_vport_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
    p.vport_id = vport_id;
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p,
                 (uint32_t)sizeof p, 0);
}

struct t_filter_req {
    struct ndis_receive_filter_parameters p;
    struct pf_receive_filter_field_parameters f[2];
};

/* MAC filter (vlan < 0: MAC only with UNTAGGED_OR_ZERO, as the switch sets it). */
static inline ndis_status_t
t_set_filter(struct topo *t, uint32_t vport_id, const uint8_t mac[6], int vlan, uint32_t *filter_id)
{
    static struct t_filter_req r;
    memset(&r, 0, sizeof r);
    t_hdr(&r.p.header, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
          NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
    r.p.filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE;
    r.p.queue_id = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    r.p.filter_id = NDIS_DEFAULT_RECEIVE_FILTER_ID;
    r.p.vport_id = vport_id;
    r.p.field_parameters_array_offset = (uint32_t)offsetof(struct t_filter_req, f);
    r.p.field_parameters_array_element_size = (uint32_t)sizeof r.f[0];
    r.p.field_parameters_array_num_elements = vlan < 0 ? 1 : 2;
    for (int i = 0; i < 2; i++) {
        t_hdr(&r.f[i].header, 1, sizeof r.f[i]);
        r.f[i].frame_header = PF_FRAME_HEADER_MAC;
        r.f[i].receive_filter_test = PF_RECEIVE_FILTER_TEST_EQUAL;
    }
    r.f[0].mac_header_field = PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS;
    memcpy(r.f[0].field_value.byte_array, mac, 6);
    if (vlan < 0) {
        r.f[0].flags = PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
    } else {
        r.f[1].mac_header_field = PF_MAC_HEADER_FIELD_VLAN_ID;
        r.f[1].field_value.short_value = (uint16_t)vlan;
    }
    ndis_status_t st = t_oid(t, NDIS_REQUEST_METHOD, OID_RECEIVE_FILTER_SET_FILTER, &r,
                             (uint32_t)sizeof r, (uint32_t)sizeof r);
    if (filter_id)
        *filter_id = r.p.filter_id;
    return st;
}

static inline ndis_status_t
t_clear_filter(struct topo *t, uint32_t filter_id)
{
    struct ndis_receive_filter_clear_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
    p.filter_id = filter_id;
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_CLEAR_FILTER, &p,
                 (uint32_t)sizeof p, 0);
}

static inline void
t_move_params(struct ndis_receive_filter_move_filter_parameters *p, uint32_t filter_id,
              uint32_t from, uint32_t to)
{
    memset(p, 0, sizeof *p);
    t_hdr(&p->header, 1, NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
    p->filter_id = filter_id;
    p->source_vport_id = from;
    p->dest_vport_id = to;
}

static inline ndis_status_t
t_move_filter(struct topo *t, uint32_t filter_id, uint32_t from, uint32_t to)
{
    struct ndis_receive_filter_move_filter_parameters p;
    t_move_params(&p, filter_id, from, to);
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_MOVE_FILTER, &p,
                 (uint32_t)sizeof p, 0);
}

/* ---- frames from the wire ---------------------------------------------------------------------
 */
static inline void
t_frame_rx(struct topo *t, const uint8_t dst[6], int vlan, uint64_t packet_id)
{
    uint8_t f[64];
    memset(f, 0, sizeof f);
    memcpy(f, dst, 6);
    static const uint8_t src[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};
    memcpy(f + 6, src, 6);
    uint32_t len = 60;
    if (vlan >= 0) {
        f[12] = 0x81;
        f[13] = 0x00;
        f[14] = (uint8_t)(vlan >> 8);
        f[15] = (uint8_t)vlan;
        f[16] = 0x08;
    } else {
        f[12] = 0x08;
    }
    cr_assert_eq(nic_port_rx(t->nic, f, len, packet_id), 0);
}

/* Frames that reached a VPort (delivered into its RX ring, or dropped there with a cause): the
 * NIC switch's classification result for that VPort. */
static inline uint64_t
t_landed(struct topo *t, uint16_t vport_id)
{
    struct nic_hw_vport_stats s;
    if (nic_vport_stats(t->nic, vport_id, &s) != 0)
        return 0;
    uint64_t n = s.rx_packets;
    for (int i = 0; i < SIM_DROP_CAUSE_COUNT; i++)
        n += s.drops[i];
    return n;
}

#endif /* SRIOVSIM_TESTS_PF_TEST_H */
