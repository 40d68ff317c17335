/* SPDX-License-Identifier: MIT */
/* test_bind.c — the protocol edge and the adapter state machine: only NetVSC binds a VF
 * miniport; sends move NBL ownership to the miniport and back; receive indications are lent
 * and returned; status indications reach bound protocols and the trace; illegal lifecycle
 * transitions are refused; OOM sweeps; zero live allocations after teardown. */
#include "ndis_test.h"

static struct ndis_fx fx;

TestSuite(ndis_bind, .init = NULL, .fini = NULL);

struct proto {
    int binds, unbinds, receives, send_completes, statuses;
    ndis_status_t bind_result;
    bool keep_receives;
    struct ndis_nbl *received, *completed;
    ndis_status_t last_status;
    struct ndis_binding *last_binding;
};

static ndis_status_t
p_bind(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    struct proto *p = ctx;
    p->binds++;
    p->last_binding = b;
    ndis_binding_set_context(b, p);
    return p->bind_result;
}

static void
p_unbind(void *ctx, struct ndis_binding *b)
{
    ((struct proto *)ctx)->unbinds++;
}

static void
p_receive(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct proto *p = bctx;
    p->receives++;
    p->received = chain;
    if (!p->keep_receives)
        cr_assert_eq(ndis_binding_return(b, chain), 0);
}

static void
p_send_complete(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct proto *p = bctx;
    p->send_completes++;
    p->completed = chain;
}

static void
p_status(void *bctx, struct ndis_binding *b, const struct ndis_status_indication *ind)
{
    struct proto *p = bctx;
    p->statuses++;
    p->last_status = ind->status_code;
}

static const struct ndis_protocol_ops p_ops = {
    .bind_adapter = p_bind,
    .unbind_adapter = p_unbind,
    .receive_net_buffer_lists = p_receive,
    .send_net_buffer_lists_complete = p_send_complete,
    .status = p_status,
};

static struct proto netvsc_p, tcpip_p;
static struct ndis_protocol *netvsc, *tcpip;

static void
setup(void)
{
    fx_setup(&fx);
    memset(&netvsc_p, 0, sizeof netvsc_p);
    memset(&tcpip_p, 0, sizeof tcpip_p);
    struct ndis_protocol_config a = {
        .name = "netvsc", .flags = NDIS_PROTOCOL_CHAR_BINDS_VF, .ops = &p_ops, .ctx = &netvsc_p};
    struct ndis_protocol_config b = {.name = "tcpip", .ops = &p_ops, .ctx = &tcpip_p};
    cr_assert_eq(ndis_protocol_create(&a, &netvsc, NULL), 0);
    cr_assert_eq(ndis_protocol_create(&b, &tcpip, NULL), 0);
}

static void
teardown(void)
{
    /* Halting unbinds every protocol; then the protocols can go, then the fixture. */
    struct ndis_miniport *all[3] = {fx.pf, fx.vf, fx.nic};
    for (int i = 0; i < 3; i++) {
        if (ndis_miniport_state(all[i]) == NDIS_MINIPORT_RUNNING)
            cr_assert_eq(ndis_miniport_pause(all[i], NULL, NULL), 0);
        if (ndis_miniport_state(all[i]) == NDIS_MINIPORT_PAUSED)
            cr_assert_eq(ndis_miniport_halt(all[i], NULL), 0);
        cr_assert_eq(ndis_miniport_binding_count(all[i]), 0);
    }
    cr_assert_eq(ndis_protocol_destroy(netvsc), 0);
    cr_assert_eq(ndis_protocol_destroy(tcpip), 0);
    fx_teardown(&fx);
}

Test(ndis_bind, only_netvsc_binds_a_vf_miniport, .init = setup, .fini = teardown)
{
    struct ndis_binding *b = NULL;
    ndis_status_t st = 0;
    struct sim_diag d = {0};
    cr_assert_eq(ndis_bind(tcpip, fx.vf, &b, &st, &d), SIM_EPERM);
    cr_assert_eq(st, NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(d.reason, "NetVSC") != NULL, "%s", d.reason);
    cr_assert_null(b);
    cr_assert_eq(tcpip_p.binds, 0, "the protocol's bind handler never ran");
    cr_assert_eq(ndis_bind(netvsc, fx.vf, &b, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(st, NDIS_STATUS_SUCCESS);
    cr_assert_eq(netvsc_p.binds, 1);
    cr_assert_eq(ndis_binding_miniport(b), fx.vf);
    cr_assert_eq(ndis_binding_protocol(b), netvsc);
    cr_assert_eq(ndis_binding_context(b), &netvsc_p);
    cr_assert_eq(ndis_bind(netvsc, fx.vf, &b, &st, &d), SIM_EEXIST);
    /* A second protocol that also claims it may bind VFs: refused, NetVSC keeps the only one. */
    struct proto other_p;
    memset(&other_p, 0, sizeof other_p);
    struct ndis_protocol_config oc = {
        .name = "other", .flags = NDIS_PROTOCOL_CHAR_BINDS_VF, .ops = &p_ops, .ctx = &other_p};
    struct ndis_protocol *other = NULL;
    cr_assert_eq(ndis_protocol_create(&oc, &other, NULL), 0);
    struct ndis_binding *b3 = NULL;
    cr_assert_eq(ndis_bind(other, fx.vf, &b3, &st, &d), SIM_EPERM);
    cr_assert_eq(st, NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(d.reason, "already bound by netvsc") != NULL, "%s", d.reason);
    cr_assert_eq(other_p.binds, 0);
    cr_assert_eq(ndis_protocol_destroy(other), 0);
    /* tcpip binds PF and plain NICs normally. */
    struct ndis_binding *b2;
    cr_assert_eq(ndis_bind(tcpip, fx.nic, &b2, &st, &d), 0);
    cr_assert_eq(ndis_bind(tcpip, fx.pf, &b2, &st, &d), 0);
    cr_assert_eq(ndis_miniport_binding_count(fx.vf), 1);
    cr_assert_eq(ndis_protocol_destroy(tcpip), SIM_EBUSY);
}

Test(ndis_bind, bind_refused_by_protocol_and_state, .init = setup, .fini = teardown)
{
    struct ndis_binding *b;
    ndis_status_t st;
    tcpip_p.bind_result = NDIS_STATUS_RESOURCES;
    cr_assert_eq(ndis_bind(tcpip, fx.nic, &b, &st, NULL), SIM_EPERM);
    cr_assert_eq(st, NDIS_STATUS_RESOURCES);
    cr_assert_eq(ndis_miniport_binding_count(fx.nic), 0);
    tcpip_p.bind_result = NDIS_STATUS_SUCCESS;
    cr_assert_eq(ndis_miniport_pause(fx.nic, NULL, NULL), 0);
    cr_assert_eq(ndis_miniport_halt(fx.nic, NULL), 0);
    cr_assert_eq(ndis_bind(tcpip, fx.nic, &b, &st, NULL), SIM_ESTATE);
}

Test(ndis_bind, send_moves_ownership_and_completes_back, .init = setup, .fini = teardown)
{
    struct ndis_binding *b;
    cr_assert_eq(ndis_bind(netvsc, fx.vf, &b, NULL, NULL), 0);
    struct ndis_nbl_pool_config pc = {
        .name = "tx", .nbl_count = 4, .nbs_per_nbl = 1, .data_size = 64, .track_owners = true};
    struct ndis_nbl_pool *pool;
    cr_assert_eq(ndis_nbl_pool_create(&pc, &pool, NULL), 0);
    struct ndis_nbl *x = ndis_nbl_alloc(pool, b), *y = ndis_nbl_alloc(pool, b);
    struct ndis_nbl *z = ndis_nbl_alloc(pool, &fx); /* held by someone else */
    x->next = z;
    cr_assert_eq(ndis_binding_send(b, x, 0), SIM_EINVAL, "z is not the binding's to send");
    cr_assert_eq(fx.vf_drv.sends, 0);
    x->next = y;
    cr_assert_eq(ndis_binding_send(b, x, 0), 0);
    cr_assert_eq(fx.vf_drv.sends, 1);
    cr_assert_eq(ndis_nbl_owner(x), fx.vf);
    cr_assert_eq(ndis_nbl_owner(y), fx.vf);
    cr_assert_eq(ndis_nbl_free(x, b), SIM_EINVAL, "the binding no longer holds it");
    cr_assert_eq(ndis_unbind(b, NULL), SIM_EBUSY, "sends outstanding");
    cr_assert_eq(ndis_miniport_send_complete(fx.vf, fx.vf_drv.sent, 0), 0);
    cr_assert_eq(netvsc_p.send_completes, 1);
    cr_assert_eq(netvsc_p.completed, x);
    cr_assert_eq(ndis_nbl_chain_length(netvsc_p.completed), 2);
    cr_assert_eq(ndis_nbl_owner(x), b);
    cr_assert_eq(ndis_miniport_send_complete(fx.vf, x, 0), SIM_EINVAL, "not at the miniport");
    /* Paused miniport: nothing is sent, the chain stays with the caller. */
    cr_assert_eq(ndis_miniport_pause(fx.vf, NULL, NULL), 0);
    cr_assert_eq(ndis_binding_send(b, x, 0), SIM_ESTATE);
    cr_assert_eq(ndis_nbl_owner(x), b);
    x->next = NULL;
    ndis_nbl_free(x, b);
    ndis_nbl_free(y, b);
    ndis_nbl_free(z, &fx);
    cr_assert_eq(ndis_nbl_pool_destroy(pool), 0);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    cr_assert_eq(netvsc_p.unbinds, 1);
}

Test(ndis_bind, receive_is_lent_and_returned, .init = setup, .fini = teardown)
{
    struct ndis_nbl_pool_config pc = {
        .name = "rx", .nbl_count = 4, .nbs_per_nbl = 1, .data_size = 64, .track_owners = true};
    struct ndis_nbl_pool *pool;
    cr_assert_eq(ndis_nbl_pool_create(&pc, &pool, NULL), 0);
    struct ndis_nbl *r = ndis_nbl_alloc(pool, fx.nic);
    /* No binding: returned at once. */
    cr_assert_eq(ndis_miniport_indicate_receive(fx.nic, r, 0), 0);
    cr_assert_eq(fx.nic_drv.returns, 1);
    cr_assert_eq(ndis_nbl_owner(r), fx.nic);
    /* Two bindings: back to the miniport only when both returned. */
    struct ndis_binding *b1, *b2;
    cr_assert_eq(ndis_bind(tcpip, fx.nic, &b1, NULL, NULL), 0);
    cr_assert_eq(ndis_bind(netvsc, fx.nic, &b2, NULL, NULL), 0);
    netvsc_p.keep_receives = true;
    cr_assert_eq(ndis_miniport_indicate_receive(fx.nic, r, 0), 0);
    cr_assert_eq(tcpip_p.receives, 1);
    cr_assert_eq(netvsc_p.receives, 1);
    cr_assert_eq(fx.nic_drv.returns, 1, "netvsc still holds it");
    cr_assert_eq(ndis_unbind(b2, NULL), SIM_EBUSY);
    cr_assert_eq(ndis_binding_return(b2, netvsc_p.received), 0);
    cr_assert_eq(fx.nic_drv.returns, 2);
    cr_assert_eq(ndis_nbl_owner(r), fx.nic);
    cr_assert_eq(ndis_binding_return(b2, r), SIM_EINVAL, "returned twice");
    cr_assert_eq(ndis_miniport_stats(fx.nic)->receives, 2);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->returns, 2);
    /* Single binding: the binding is the owner while it holds the NBL. */
    cr_assert_eq(ndis_unbind(b1, NULL), 0);
    cr_assert_eq(ndis_miniport_indicate_receive(fx.nic, r, 0), 0);
    cr_assert_eq(ndis_nbl_owner(r), b2);
    cr_assert_eq(ndis_nbl_free(r, fx.nic), SIM_EINVAL);
    cr_assert_eq(ndis_binding_return(b2, r), 0);
    cr_assert_eq(ndis_nbl_free(r, fx.nic), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(pool), 0);
    /* Not running: refused. */
    cr_assert_eq(ndis_miniport_pause(fx.nic, NULL, NULL), 0);
    cr_assert_eq(ndis_miniport_indicate_receive(fx.nic, (struct ndis_nbl *)&fx, 0), SIM_ESTATE);
}

Test(ndis_bind, status_indication_reaches_bound_protocols_and_trace, .init = setup,
     .fini = teardown)
{
    struct ndis_binding *b;
    cr_assert_eq(ndis_bind(netvsc, fx.vf, &b, NULL, NULL), 0);
    struct ndis_status_indication ind = {.status_code = NDIS_STATUS_SWITCH_PORT_REMOVE_VF};
    cr_assert_eq(ndis_miniport_indicate_status(fx.vf, &ind), 1);
    cr_assert_eq(netvsc_p.statuses, 1);
    cr_assert_eq(netvsc_p.last_status, NDIS_STATUS_SWITCH_PORT_REMOVE_VF);
    const struct ndis_trace_record *r = ndis_trace_at(fx.trace, ndis_trace_count(fx.trace) - 1);
    cr_assert_eq(r->phase, NDIS_TRACE_INDICATION);
    cr_assert_eq(r->status, NDIS_STATUS_SWITCH_PORT_REMOVE_VF);
    char line[256];
    ndis_trace_format(r, line, sizeof line);
    cr_assert(strstr(line, "vm1.vf0 -> bound protocols  INDICATE NDIS_STATUS_SWITCH_PORT_REMOVE_VF "
                           "(0xC0241001)") != NULL,
              "%s", line);
    cr_assert_eq(ndis_miniport_indicate_status(fx.pf, &ind), 0, "nobody bound to the PF");
}

Test(ndis_bind, protocol_oid_requests_follow_the_issuer_rule, .init = setup, .fini = teardown)
{
    struct ndis_binding *b;
    cr_assert_eq(ndis_bind(tcpip, fx.pf, &b, NULL, NULL), 0);
    struct ndis_nic_switch_parameters swp;
    memset(&swp, 0, sizeof swp);
    ndis_objhdr_init(&swp.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 548);
    swp.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    struct ndis_oid_request r;
    struct done_log log = {0};
    ndis_oid_request_init_method(&r, "ignored", OID_NIC_SWITCH_CREATE_SWITCH, &swp, 548, 548);
    r.data = &log;
    cr_assert_eq(ndis_binding_oid_request(b, &r, done_cb, NULL), 0);
    cr_assert_str_eq(r.requester, "tcpip");
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.status[0], NDIS_STATUS_NOT_SUPPORTED, "only NDIS issues CREATE_SWITCH");
    cr_assert(strstr(r.rule, "only NDIS") != NULL, "%s", r.rule);
    /* The same request issued by NDIS (the virtualization stack path) goes through. */
    cr_assert_eq(ndis_oid_request_submit(fx.pf, &r, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.status[1], NDIS_STATUS_SUCCESS);
}

Test(ndis_bind, lifecycle_refuses_illegal_transitions, .init = setup, .fini = teardown)
{
    struct sim_diag d = {0};
    ndis_status_t st;
    /* running: initialize / restart / halt are illegal */
    cr_assert_eq(ndis_miniport_initialize(fx.nic, &st, &d), SIM_ESTATE);
    cr_assert(strstr(d.reason, "running") != NULL, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(fx.nic, &st, &d), SIM_ESTATE);
    cr_assert_eq(ndis_miniport_halt(fx.nic, &d), SIM_ESTATE);
    /* pause pending, then complete */
    fx.nic_drv.pause_result = NDIS_STATUS_PENDING;
    cr_assert_eq(ndis_miniport_pause(fx.nic, &st, &d), 0);
    cr_assert_eq(st, NDIS_STATUS_PENDING);
    cr_assert_eq(ndis_miniport_state(fx.nic), NDIS_MINIPORT_PAUSING);
    cr_assert_eq(ndis_miniport_restart(fx.nic, &st, &d), SIM_ESTATE);
    cr_assert_eq(ndis_miniport_restart_complete(fx.nic, NDIS_STATUS_SUCCESS), SIM_ESTATE);
    cr_assert_eq(ndis_miniport_pause_complete(fx.nic, NDIS_STATUS_SUCCESS), 0);
    cr_assert_eq(ndis_miniport_state(fx.nic), NDIS_MINIPORT_PAUSED);
    /* restart failing leaves it paused */
    fx.nic_drv.restart_result = NDIS_STATUS_FAILURE;
    cr_assert_eq(ndis_miniport_restart(fx.nic, &st, &d), SIM_EIO);
    cr_assert_eq(ndis_miniport_state(fx.nic), NDIS_MINIPORT_PAUSED);
    cr_assert_eq(ndis_miniport_halt(fx.nic, &d), 0);
    cr_assert_eq(fx.nic_drv.halt_calls, 1);
    cr_assert_eq(ndis_miniport_state(fx.nic), NDIS_MINIPORT_HALTED);
    cr_assert_eq(ndis_miniport_pause(fx.nic, &st, &d), SIM_ESTATE);
    /* initialize failing leaves it halted */
    fx.nic_drv.init_result = NDIS_STATUS_RESOURCES;
    cr_assert_eq(ndis_miniport_initialize(fx.nic, &st, &d), SIM_EIO);
    cr_assert_eq(st, NDIS_STATUS_RESOURCES);
    cr_assert_eq(ndis_miniport_state(fx.nic), NDIS_MINIPORT_HALTED);
    cr_assert_str_eq(ndis_miniport_state_name(NDIS_MINIPORT_RESTARTING), "restarting");
}

Test(ndis_bind, halt_unbinds_and_pf_waits_for_vfs, .init = setup, .fini = teardown)
{
    struct ndis_binding *b;
    cr_assert_eq(ndis_bind(tcpip, fx.pf, &b, NULL, NULL), 0);
    /* Allocate a VF so the PF cannot halt (§7.7). */
    struct ndis_nic_switch_parameters swp;
    memset(&swp, 0, sizeof swp);
    ndis_objhdr_init(&swp.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 548);
    swp.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    struct ndis_oid_request r;
    ndis_oid_request_init_method(&r, "ndis", OID_NIC_SWITCH_CREATE_SWITCH, &swp, 548, 548);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    struct ndis_nic_switch_vf_parameters vfp;
    memset(&vfp, 0, sizeof vfp);
    ndis_objhdr_init(&vfp.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 1632);
    vfp.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
    vfp.requestor_id = NDIS_INVALID_RID;
    ndis_oid_request_init_method(&r, "vstack", OID_NIC_SWITCH_ALLOCATE_VF, &vfp, 1632, 1632);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_pause(fx.pf, NULL, NULL), 0);
    struct sim_diag d = {0};
    cr_assert_eq(ndis_miniport_halt(fx.pf, &d), SIM_EBUSY);
    cr_assert(strstr(d.reason, "VF 0") != NULL, "%s", d.reason);
    cr_assert_eq(tcpip_p.unbinds, 0, "nothing was torn down by the refused halt");
    struct ndis_nic_switch_free_vf_parameters fv = {.header = {NDIS_OBJECT_TYPE_DEFAULT, 1, 10},
                                                    .vf_id = 0};
    ndis_oid_request_init(&r, "vstack", NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_FREE_VF, &fv,
                          sizeof fv);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_halt(fx.pf, &d), 0, "%s", d.reason);
    cr_assert_eq(tcpip_p.unbinds, 1);
    cr_assert_eq(ndis_miniport_binding_count(fx.pf), 0);
}

Test(ndis_bind, protocol_and_bind_oom_sweeps, .init = setup, .fini = teardown)
{
    long before = sim_alloc_live_total();
    for (long n = 0;; n++) {
        struct ndis_protocol *p = (void *)1;
        struct ndis_protocol_config c = {.name = "filter", .ops = &p_ops, .ctx = &tcpip_p};
        sim_alloc_fail_nth(n);
        int err = ndis_protocol_create(&c, &p, NULL);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_eq(n, 1);
            cr_assert_eq(ndis_protocol_destroy(p), 0);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM);
        cr_assert_null(p);
        cr_assert_eq(sim_alloc_live_total(), before);
    }
    for (long n = 0;; n++) {
        struct ndis_binding *b = (void *)1;
        ndis_status_t st;
        sim_alloc_fail_nth(n);
        int err = ndis_bind(netvsc, fx.vf, &b, &st, NULL);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_eq(n, 1);
            cr_assert_eq(ndis_unbind(b, NULL), 0);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM);
        cr_assert_eq(st, NDIS_STATUS_RESOURCES);
        cr_assert_null(b);
        cr_assert_eq(netvsc_p.binds, 0);
        cr_assert_eq(sim_alloc_live_total(), before);
    }
}
