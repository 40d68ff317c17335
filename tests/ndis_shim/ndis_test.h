/* SPDX-License-Identifier: MIT */
/* ndis_test.h — shared fixture for the ndis_shim tests: a virtual-clock scheduler, a trace,
 * and a small test miniport driver (a netvmini-sized driver written for these tests) whose OID
 * handler can answer at once, pend, or misbehave, counting every call. */
#ifndef SRIOVSIM_TESTS_NDIS_TEST_H
#define SRIOVSIM_TESTS_NDIS_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"

SIM_ALLOC_TAG_DECLARE(ndis_miniport);
SIM_ALLOC_TAG_DECLARE(ndis_registry);
SIM_ALLOC_TAG_DECLARE(ndis_protocol);
SIM_ALLOC_TAG_DECLARE(ndis_binding);
SIM_ALLOC_TAG_DECLARE(ndis_trace);
SIM_ALLOC_TAG_DECLARE(ndis_nbl_pool);

enum tmp_mode {
    TMP_SUCCESS = 0,     /* complete synchronously with SUCCESS (bytes_read = input) */
    TMP_PEND,            /* return PENDING; the test completes it */
    TMP_COMPLETE_INSIDE, /* call complete inside the handler, then return PENDING */
    TMP_COMPLETE_TWICE,  /* call complete inside the handler and return SUCCESS too */
    TMP_FAIL,            /* return NDIS_STATUS_FAILURE */
};

struct tmp_driver {
    struct ndis_miniport *mp;
    enum tmp_mode mode;
    int oid_calls;
    ndis_oid_t oids[64];
    struct ndis_oid_request *pending;
    int init_calls, halt_calls, pause_calls, restart_calls, reset_calls, pnp_calls;
    ndis_status_t pause_result, restart_result, reset_result, init_result;
    uint16_t next_vf;
    int sends, returns;
    struct ndis_nbl *sent; /* last chain sent */
    struct ndis_nbl *returned;
    uint64_t cancelled_id;
};

static inline ndis_status_t
tmp_initialize(void *ctx, struct ndis_miniport *mp)
{
    struct tmp_driver *d = ctx;
    d->init_calls++;
    d->mp = mp;
    return d->init_result;
}

static inline void
tmp_halt(void *ctx)
{
    ((struct tmp_driver *)ctx)->halt_calls++;
}

static inline ndis_status_t
tmp_pause(void *ctx)
{
    struct tmp_driver *d = ctx;
    d->pause_calls++;
    return d->pause_result;
}

static inline ndis_status_t
tmp_restart(void *ctx)
{
    struct tmp_driver *d = ctx;
    d->restart_calls++;
    return d->restart_result;
}

static inline ndis_status_t
tmp_reset(void *ctx, bool *addressing_reset)
{
    struct tmp_driver *d = ctx;
    d->reset_calls++;
    return d->reset_result;
}

static inline void
tmp_pnp(void *ctx, enum ndis_device_pnp_event ev)
{
    ((struct tmp_driver *)ctx)->pnp_calls++;
}

static inline void
tmp_cancel(void *ctx, uint64_t id)
{
    struct tmp_driver *d = ctx;
    d->cancelled_id = id;
    if (d->pending != NULL && d->pending->request_id == id) {
        struct ndis_oid_request *r = d->pending;
        d->pending = NULL;
        ndis_oid_request_complete(d->mp, r, NDIS_STATUS_REQUEST_ABORTED);
    }
}

static inline ndis_status_t
tmp_oid_request(void *ctx, struct ndis_oid_request *req)
{
    struct tmp_driver *d = ctx;
    if (d->oid_calls < 64)
        d->oids[d->oid_calls] = req->oid;
    d->oid_calls++;
    req->bytes_read = req->request_type == NDIS_REQUEST_METHOD ? req->input_buffer_length
                                                               : req->information_buffer_length;
    if (req->oid == OID_NIC_SWITCH_ALLOCATE_VF) {
        /* What a PF does: assign a zero-based VFId and its RID. */
        struct ndis_nic_switch_vf_parameters *p = req->information_buffer;
        p->vf_id = d->next_vf++;
        p->requestor_id = NDIS_MAKE_RID(0, 1, 0x80 + p->vf_id);
        req->bytes_written = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
    }
    switch (d->mode) {
    case TMP_SUCCESS:
        return NDIS_STATUS_SUCCESS;
    case TMP_PEND:
        d->pending = req;
        return NDIS_STATUS_PENDING;
    case TMP_COMPLETE_INSIDE:
        cr_assert_eq(ndis_oid_request_complete(d->mp, req, NDIS_STATUS_SUCCESS), 0);
        return NDIS_STATUS_PENDING;
    case TMP_COMPLETE_TWICE:
        cr_assert_eq(ndis_oid_request_complete(d->mp, req, NDIS_STATUS_SUCCESS), 0);
        return NDIS_STATUS_SUCCESS;
    case TMP_FAIL:
        return NDIS_STATUS_FAILURE;
    }
    return NDIS_STATUS_FAILURE;
}

static inline void
tmp_send(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags)
{
    struct tmp_driver *d = ctx;
    d->sends++;
    d->sent = chain;
}

static inline void
tmp_return(void *ctx, struct ndis_nbl *chain, uint32_t flags)
{
    struct tmp_driver *d = ctx;
    d->returns++;
    d->returned = chain;
}

static const struct ndis_miniport_ops tmp_ops = {
    .initialize = tmp_initialize,
    .halt = tmp_halt,
    .pause = tmp_pause,
    .restart = tmp_restart,
    .oid_request = tmp_oid_request,
    .cancel_oid_request = tmp_cancel,
    .send_net_buffer_lists = tmp_send,
    .return_net_buffer_lists = tmp_return,
    .reset = tmp_reset,
    .device_pnp_event = tmp_pnp,
};

/* A PF NIC switch capability block that satisfies §6.2. */
static inline struct ndis_nic_switch_capabilities
tmp_switch_caps(uint32_t vfs, uint32_t vports)
{
    struct ndis_nic_switch_capabilities c;
    memset(&c, 0, sizeof c);
    c.header.revision = NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2;
    c.max_num_switches = 1;
    c.max_num_vfs = vfs;
    c.max_num_vports = vports;
    c.max_num_queue_pairs = vports * 2;
    c.max_num_queue_pairs_per_non_default_vport = 2;
    c.max_num_mac_addresses = vports;
    return c;
}

struct ndis_fx {
    struct sim_sched *s;
    struct ndis_trace *trace;
    struct tmp_driver pf_drv, vf_drv, nic_drv;
    struct ndis_miniport *pf, *vf, *nic;
};

static inline struct ndis_miniport_config
fx_pf_config(struct ndis_fx *fx)
{
    struct ndis_miniport_config c = {
        .name = "h1.pf0",
        .kind = NDIS_MINIPORT_PF,
        .sched = fx->s,
        .trace = fx->trace,
        .ops = &tmp_ops,
        .ctx = &fx->pf_drv,
        .sriov_enabled = true,
        .sriov_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT,
        .nic_switch_caps = tmp_switch_caps(4, 8),
        .pf_luid = {0x1234, 7},
    };
    return c;
}

/* Build sched + trace + PF + VF + plain NIC, all initialised and running. */
static inline void
fx_setup(struct ndis_fx *fx)
{
    memset(fx, 0, sizeof *fx);
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &fx->s), 0);
    cr_assert_eq(ndis_trace_create(256, &fx->trace), 0);
    struct sim_diag d = {0};
    struct ndis_miniport_config c = fx_pf_config(fx);
    cr_assert_eq(ndis_miniport_create(&c, &fx->pf, &d), 0, "%s", d.reason);
    struct ndis_miniport_config v = {
        .name = "vm1.vf0",
        .kind = NDIS_MINIPORT_VF,
        .sched = fx->s,
        .trace = fx->trace,
        .ops = &tmp_ops,
        .ctx = &fx->vf_drv,
        .sriov_enabled = true,
        .sriov_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT,
        .vf_serial_number = 42,
    };
    cr_assert_eq(ndis_miniport_create(&v, &fx->vf, &d), 0, "%s", d.reason);
    struct ndis_miniport_config n = {
        .name = "h1.nic0",
        .kind = NDIS_MINIPORT_PLAIN,
        .sched = fx->s,
        .trace = fx->trace,
        .ops = &tmp_ops,
        .ctx = &fx->nic_drv,
    };
    cr_assert_eq(ndis_miniport_create(&n, &fx->nic, &d), 0, "%s", d.reason);
    struct ndis_miniport *all[3] = {fx->pf, fx->vf, fx->nic};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ndis_miniport_initialize(all[i], NULL, &d), 0, "%s", d.reason);
        cr_assert_eq(ndis_miniport_restart(all[i], NULL, &d), 0, "%s", d.reason);
    }
}

static inline void
fx_teardown(struct ndis_fx *fx)
{
    struct ndis_miniport *all[3] = {fx->pf, fx->vf, fx->nic};
    for (int i = 0; i < 3; i++) {
        if (all[i] == NULL)
            continue;
        if (ndis_miniport_state(all[i]) == NDIS_MINIPORT_RUNNING)
            cr_assert_eq(ndis_miniport_pause(all[i], NULL, NULL), 0);
        if (ndis_miniport_state(all[i]) == NDIS_MINIPORT_PAUSED)
            cr_assert_eq(ndis_miniport_halt(all[i], NULL), 0);
        cr_assert_eq(ndis_miniport_destroy(all[i]), 0);
    }
    ndis_trace_destroy(fx->trace);
    sim_sched_destroy(fx->s);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_miniport)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_registry)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_trace)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_binding)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_protocol)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_nbl_pool)), 0);
    cr_assert_eq(sim_alloc_live_total(), 0, "live allocations after teardown");
}

/* Completion recorder. */
struct done_log {
    int calls;
    ndis_status_t status[64];
    struct ndis_oid_request *req[64];
};

static inline void
done_cb(struct ndis_oid_request *req, ndis_status_t st)
{
    struct done_log *l = req->data;
    if (l->calls < 64) {
        l->status[l->calls] = st;
        l->req[l->calls] = req;
    }
    l->calls++;
}

/* Submit, run the loop dry, return the final status (asserting exactly one callback). */
static inline ndis_status_t
fx_run(struct ndis_fx *fx, struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    struct done_log log = {0};
    req->data = &log;
    struct sim_diag d = {0};
    cr_assert_eq(ndis_oid_request_submit(mp, req, done_cb, &d), 0, "%s", d.reason);
    cr_assert_eq(log.calls, 0, "completion must not run inside submit");
    sim_sched_run(fx->s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1, "exactly one completion");
    cr_assert_eq(log.status[0], req->status);
    req->data = NULL;
    return log.status[0];
}

#endif /* SRIOVSIM_TESTS_NDIS_TEST_H */
