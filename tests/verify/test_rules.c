/* SPDX-License-Identifier: MIT */
/* test_rules.c — the rule verifier: every rule of verify_rules() is broken here on purpose, on
 * the real NDIS dispatcher with the small test miniport of tests/ndis_shim, and the verifier
 * must name it (once, with the offending request); the documented teardown order breaks none. */
#include "../ndis_shim/ndis_test.h"
#include "verify/verify.h"

SIM_ALLOC_TAG_DECLARE(verify);

static struct ndis_fx fx;
static struct verify *v;

static void
setup(void)
{
    fx_setup(&fx);
    cr_assert_eq(verify_create(&v), 0);
    cr_assert_eq(verify_attach(v, fx.trace), 0);
}

static ndis_status_t set(ndis_oid_t oid, void *buf, uint32_t len);
static ndis_status_t delete_vport(uint32_t id);
static ndis_status_t reset_vf(uint16_t vf);
static ndis_status_t free_vf(uint16_t vf);

/* Undo what a test left (filters, VPorts, VFs) so the PF can halt; breaches no longer count. */
static void
teardown(void)
{
    verify_destroy(v);
    fx.pf_drv.mode = TMP_SUCCESS;
    for (uint32_t f = 1; f <= 8; f++) {
        struct ndis_receive_filter_clear_parameters cf = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                       (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1},
            .filter_id = f};
        (void)set(OID_RECEIVE_FILTER_CLEAR_FILTER, &cf, sizeof cf);
    }
    for (uint32_t id = 1; id < 8; id++)
        (void)delete_vport(id);
    for (uint16_t vf = 0; vf < 4; vf++) {
        (void)reset_vf(vf);
        (void)free_vf(vf);
    }
    fx_teardown(&fx);
    cr_assert_eq(sim_alloc_live(SIM_TAG(verify)), 0);
}

TestSuite(verify_rule, .init = setup, .fini = teardown);

/* ---- requests --------------------------------------------------------------------------- */
static ndis_status_t
method(ndis_oid_t oid, void *buf, uint32_t len)
{
    struct ndis_oid_request r;
    ndis_oid_request_init_method(&r, "vstack", oid, buf, len, len);
    return fx_run(&fx, fx.pf, &r);
}

static ndis_status_t
set(ndis_oid_t oid, void *buf, uint32_t len)
{
    struct ndis_oid_request r;
    ndis_oid_request_init(&r, "vstack", NDIS_REQUEST_SET_INFORMATION, oid, buf, len);
    return fx_run(&fx, fx.pf, &r);
}

static void
create_switch(void)
{
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.num_vfs = 4;
    cr_assert_eq(method(OID_NIC_SWITCH_CREATE_SWITCH, &p, sizeof p), NDIS_STATUS_SUCCESS);
}

static uint16_t
allocate_vf(void)
{
    struct ndis_nic_switch_vf_parameters p;
    memset(&p, 0, sizeof p);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
    p.requestor_id = NDIS_INVALID_RID;
    p.mac_address_length = 6;
    memcpy(p.current_mac_address, "\x00\x15\x5d\x00\x00\x01", 6);
    cr_assert_eq(method(OID_NIC_SWITCH_ALLOCATE_VF, &p, sizeof p), NDIS_STATUS_SUCCESS);
    return p.vf_id;
}

static ndis_status_t
create_vport(uint32_t fn, uint32_t *id)
{
    struct ndis_nic_switch_vport_parameters p;
    memset(&p, 0, sizeof p);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vport_id = NDIS_DEFAULT_VPORT_ID;
    p.attached_function_id = fn;
    p.num_queue_pairs = 1;
    p.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    ndis_status_t st = method(OID_NIC_SWITCH_CREATE_VPORT, &p, sizeof p);
    if (id != NULL)
        *id = p.vport_id;
    return st;
}

static ndis_status_t
delete_vport(uint32_t id)
{
    struct ndis_nic_switch_delete_vport_parameters p = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1},
        .vport_id = id};
    return set(OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p);
}

static ndis_status_t
reset_vf(uint16_t vf)
{
    struct ndis_sriov_reset_vf_parameters p = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1},
        .vf_id = vf};
    return set(OID_SRIOV_RESET_VF, &p, sizeof p);
}

static ndis_status_t
free_vf(uint16_t vf)
{
    struct ndis_nic_switch_free_vf_parameters p = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1},
        .vf_id = vf};
    return set(OID_NIC_SWITCH_FREE_VF, &p, sizeof p);
}

static void
assert_only(const char *rule)
{
    size_t n = verify_breach_count(v);
    char line[768] = "";
    if (n > 0)
        verify_breach_format(verify_breach_at(v, 0), line, sizeof line);
    cr_assert_eq(n, 1, "expected one breach of %s, got %zu (%s)", rule, n, line);
    cr_assert_eq(verify_breach_count_rule(v, rule), 1, "got %s", line);
    cr_assert_not_null(verify_rule_find(rule));
}

/* ---- the documented order breaks nothing ------------------------------------------------ */
Test(verify_rule, documented_teardown_order_is_clean)
{
    create_switch();
    uint16_t vf = allocate_vf();
    uint32_t id;
    cr_assert_eq(create_vport(vf, &id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(delete_vport(id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(reset_vf(vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(free_vf(vf), NDIS_STATUS_SUCCESS);
    struct ndis_nic_switch_delete_switch_parameters ds = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1},
        .switch_id = NDIS_DEFAULT_SWITCH_ID};
    cr_assert_eq(set(OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof ds), NDIS_STATUS_SUCCESS);
    cr_assert_eq(verify_breach_count(v), 0);
}

/* ---- each rule, broken ------------------------------------------------------------------ */
Test(verify_rule, free_vf_with_vport)
{
    create_switch();
    uint16_t vf = allocate_vf();
    uint32_t id;
    cr_assert_eq(create_vport(vf, &id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(free_vf(vf), NDIS_STATUS_FILE_NOT_FOUND); /* NDIS refuses it ... */
    assert_only("free-vf-with-vport");                     /* ... and the issuer is told */
    const struct verify_breach *b = verify_breach_at(v, 0);
    cr_assert_str_eq(b->requester, "vstack");
    cr_assert_str_eq(b->miniport, "h1.pf0");
    cr_assert_eq(b->oid, OID_NIC_SWITCH_FREE_VF);
    cr_assert(b->completed);
    cr_assert_eq(b->status, NDIS_STATUS_FILE_NOT_FOUND);
    char line[768];
    verify_breach_format(b, line, sizeof line);
    cr_assert(strstr(line, "learn.microsoft.com") != NULL, "%s", line);
    cr_assert(strstr(line, "vf=0 while VPort 1") != NULL, "%s", line);
}

Test(verify_rule, free_vf_without_reset)
{
    create_switch();
    uint16_t vf = allocate_vf();
    uint32_t id;
    cr_assert_eq(create_vport(vf, &id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(delete_vport(id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(free_vf(vf), NDIS_STATUS_SUCCESS); /* RESET_VF skipped */
    assert_only("free-vf-without-reset");
}

Test(verify_rule, vf_params_changed)
{
    create_switch();
    cr_assert_eq(allocate_vf(), 0);
    fx.pf_drv.next_vf = 0; /* the PF hands out VF 0 again: VF 0's parameters are replaced */
    cr_assert_eq(allocate_vf(), 0);
    assert_only("vf-params-changed");
}

Test(verify_rule, second_vport_on_vf)
{
    create_switch();
    uint16_t vf = allocate_vf();
    cr_assert_eq(create_vport(vf, NULL), NDIS_STATUS_SUCCESS);
    cr_assert_eq(create_vport(vf, NULL), NDIS_STATUS_INVALID_PARAMETER);
    assert_only("second-vport-on-vf");
}

Test(verify_rule, delete_vport_with_filters)
{
    create_switch();
    uint32_t id;
    cr_assert_eq(create_vport(NDIS_PF_FUNCTION_ID, &id), NDIS_STATUS_SUCCESS);
    struct ndis_receive_filter_parameters fp = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
                   (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2},
        .filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE,
        .vport_id = id};
    cr_assert_eq(method(OID_RECEIVE_FILTER_SET_FILTER, &fp, sizeof fp), NDIS_STATUS_SUCCESS);
    cr_assert_neq(delete_vport(id), NDIS_STATUS_SUCCESS);
    assert_only("delete-vport-with-filters");
}

Test(verify_rule, delete_switch_with_vfs)
{
    create_switch();
    (void)allocate_vf();
    struct ndis_nic_switch_delete_switch_parameters ds = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1},
        .switch_id = NDIS_DEFAULT_SWITCH_ID};
    cr_assert_neq(set(OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof ds), NDIS_STATUS_SUCCESS);
    assert_only("delete-switch-with-vfs");
}

static struct ndis_nbl_pool *
pool_create(void)
{
    struct ndis_nbl_pool_config pc = {
        .name = "t", .nbl_count = 4, .nbs_per_nbl = 1, .data_size = 64, .track_owners = true};
    struct ndis_nbl_pool *pool = NULL;
    cr_assert_eq(ndis_nbl_pool_create(&pc, &pool, NULL), 0);
    return pool;
}

Test(verify_rule, rx_on_deleted_vport)
{
    create_switch();
    uint32_t id;
    cr_assert_eq(create_vport(NDIS_PF_FUNCTION_ID, &id), NDIS_STATUS_SUCCESS);
    struct ndis_nbl_pool *pool = pool_create();
    struct ndis_nbl *n = ndis_nbl_alloc(pool, fx.pf);
    n->vport_id = id;
    cr_assert_eq(ndis_miniport_indicate_receive(fx.pf, n, 0), 0); /* live VPort: fine */
    cr_assert_eq(verify_breach_count(v), 0);
    cr_assert_eq(delete_vport(id), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_indicate_receive(fx.pf, n, 0), 0); /* deleted: a breach */
    assert_only("rx-on-deleted-vport");
    cr_assert_eq(ndis_nbl_free(n, fx.pf), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(pool), 0);
}

Test(verify_rule, oid_completed_twice)
{
    fx.pf_drv.mode = TMP_COMPLETE_TWICE;
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    (void)method(OID_NIC_SWITCH_CREATE_SWITCH, &p, sizeof p);
    assert_only("oid-completed-twice");
}

static int returned_by_proto;
static ndis_status_t
p_bind(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    return NDIS_STATUS_SUCCESS;
}
static void
p_receive(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    cr_assert_eq(ndis_binding_return(b, chain), 0);
    returned_by_proto++;
}
static void
p_send_complete(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
}
static const struct ndis_protocol_ops p_ops = {
    .bind_adapter = p_bind,
    .receive_net_buffer_lists = p_receive,
    .send_net_buffer_lists_complete = p_send_complete,
};

Test(verify_rule, return_not_indicated)
{
    struct ndis_protocol *p = NULL;
    struct ndis_protocol_config pc = {.name = "tcpip", .ops = &p_ops};
    cr_assert_eq(ndis_protocol_create(&pc, &p, NULL), 0);
    struct ndis_binding *b = NULL;
    ndis_status_t st;
    cr_assert_eq(ndis_bind(p, fx.nic, &b, &st, NULL), 0);
    struct ndis_nbl_pool *pool = pool_create();
    struct ndis_nbl *n = ndis_nbl_alloc(pool, fx.nic);
    cr_assert_eq(ndis_miniport_indicate_receive(fx.nic, n, 0), 0);
    cr_assert_eq(returned_by_proto, 1);
    cr_assert_eq(verify_breach_count(v), 0);
    cr_assert_eq(ndis_binding_return(b, n), SIM_EINVAL); /* returned a second time */
    assert_only("return-not-indicated");
    cr_assert_eq(ndis_nbl_free(n, fx.nic), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(pool), 0);
    cr_assert_eq(ndis_unbind(b, NULL), 0);
    cr_assert_eq(ndis_protocol_destroy(p), 0);
}

Test(verify_rule, send_complete_not_sent)
{
    struct ndis_nbl_pool *pool = pool_create();
    struct ndis_nbl *n = ndis_nbl_alloc(pool, fx.nic);
    cr_assert_eq(ndis_miniport_send_complete(fx.nic, n, 0), SIM_EINVAL);
    assert_only("send-complete-not-sent");
    cr_assert_eq(ndis_nbl_free(n, fx.nic), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(pool), 0);
}

/* Every rule in the table is broken by one test above (the list is kept in step). */
Test(verify_rule, every_rule_has_a_test)
{
    static const char *const tested[] = {
        "free-vf-with-vport",     "free-vf-without-reset",     "vf-params-changed",
        "second-vport-on-vf",     "delete-vport-with-filters", "delete-switch-with-vfs",
        "rx-on-deleted-vport",    "oid-completed-twice",       "return-not-indicated",
        "send-complete-not-sent",
    };
    size_t n;
    const struct verify_rule *r = verify_rules(&n);
    cr_assert_eq(n, sizeof tested / sizeof tested[0]);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(r[i].id, tested[j]) == 0;
        cr_assert(found, "rule %s has no test", r[i].id);
        cr_assert(strncmp(r[i].source, "https://", 8) == 0, "rule %s: source", r[i].id);
    }
}
