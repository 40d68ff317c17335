/* SPDX-License-Identifier: MIT */
/* test_dispatch.c — the OID dispatcher: malformed-request classes rejected before any handler
 * runs, routing by the OID table, pending requests completed exactly once, per-miniport FIFO
 * serialisation, the trace, faults, cancel, reset, NDIS-answered OIDs and the NDIS registry. */
#include "ndis_test.h"

static struct ndis_fx fx;

static void
setup(void)
{
    fx_setup(&fx);
}

static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(ndis_dispatch, .init = setup, .fini = teardown);

static struct ndis_nic_switch_parameters swp;
static struct ndis_nic_switch_vf_parameters vfp;
static struct ndis_nic_switch_vport_parameters vpp;

static void
init_switch_params(void)
{
    memset(&swp, 0, sizeof swp);
    ndis_objhdr_init(&swp.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    swp.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    swp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    swp.num_vfs = 4;
}

static void
init_vf_params(void)
{
    memset(&vfp, 0, sizeof vfp);
    ndis_objhdr_init(&vfp.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    vfp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    vfp.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
    vfp.requestor_id = NDIS_INVALID_RID;
    vfp.mac_address_length = 6;
}

static void
init_vport_params(uint16_t fn)
{
    memset(&vpp, 0, sizeof vpp);
    ndis_objhdr_init(&vpp.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    vpp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    vpp.vport_id = NDIS_DEFAULT_VPORT_ID;
    vpp.attached_function_id = fn;
    vpp.num_queue_pairs = 1;
    vpp.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
}

static ndis_status_t
method(struct ndis_miniport *mp, ndis_oid_t oid, void *buf, uint32_t len,
       struct ndis_oid_request *req)
{
    ndis_oid_request_init_method(req, "vstack", oid, buf, len, len);
    return fx_run(&fx, mp, req);
}

static ndis_status_t
set(struct ndis_miniport *mp, ndis_oid_t oid, void *buf, uint32_t len, struct ndis_oid_request *req)
{
    ndis_oid_request_init(req, "vstack", NDIS_REQUEST_SET_INFORMATION, oid, buf, len);
    return fx_run(&fx, mp, req);
}

static void
create_switch(void)
{
    struct ndis_oid_request r;
    init_switch_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_CREATE_SWITCH, &swp, sizeof swp, &r),
                 NDIS_STATUS_SUCCESS, "%s", r.rule ? r.rule : "");
}

/* ---- malformed-request classes: the handler never runs ---------------------------------- */

Test(ndis_dispatch, short_buffer_is_invalid_length_with_bytes_needed)
{
    create_switch();
    int calls = fx.pf_drv.oid_calls;
    struct ndis_oid_request r;
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, 100, &r),
                 NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(r.bytes_needed, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    cr_assert_eq(r.bytes_written, 0);
    cr_assert_eq(fx.pf_drv.oid_calls, calls, "handler must not run");
    /* Zero-length query (the NDISTest pattern, §13.1). */
    uint8_t b[4];
    ndis_oid_request_init(&r, "vstack", NDIS_REQUEST_QUERY_INFORMATION,
                          OID_NIC_SWITCH_HARDWARE_CAPABILITIES, b, 0);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(r.bytes_needed, NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2);
    cr_assert_eq(r.bytes_written, 0);
}

Test(ndis_dispatch, bad_object_header_is_invalid_parameter)
{
    create_switch();
    int calls = fx.pf_drv.oid_calls;
    struct ndis_oid_request r;
    init_vf_params();
    vfp.header.type = 0x81;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    init_vf_params();
    vfp.header.revision = 0;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    init_vf_params();
    vfp.header.size = 100;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(fx.pf_drv.oid_calls, calls);
    cr_assert_eq(ndis_miniport_stats(fx.pf)->rejected, 3);
}

Test(ndis_dispatch, bad_oid_request_header_is_invalid_parameter)
{
    struct ndis_oid_request r;
    uint8_t b[64];
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, b, 64);
    r.header.type = NDIS_OBJECT_TYPE_DEFAULT;
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_PARAMETER);
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, b, 64);
    r.header.revision = 0;
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_PARAMETER);
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, b, 64);
    r.header.size = 8;
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_PARAMETER);
}

Test(ndis_dispatch, unknown_oid_is_invalid_oid)
{
    struct ndis_oid_request r;
    uint8_t b[64];
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, 0x0001FFFFu, b, sizeof b);
    cr_assert_eq(fx_run(&fx, fx.nic, &r), NDIS_STATUS_INVALID_OID);
    cr_assert_eq(fx.nic_drv.oid_calls, 0);
    cr_assert_not_null(r.rule);
}

Test(ndis_dispatch, wrong_request_type_is_not_supported)
{
    create_switch();
    struct ndis_oid_request r;
    init_vf_params();
    /* ALLOCATE_VF is a method; several DDI pages wrongly call it a set (§14). */
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(r.rule, "request type") != NULL, "%s", r.rule);
    ndis_oid_request_init(&r, "x", (enum ndis_request_type)7, OID_NIC_SWITCH_ALLOCATE_VF, &vfp,
                          sizeof vfp);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_eq(fx.pf_drv.oid_calls, 1, "only CREATE_SWITCH reached the PF");
}

Test(ndis_dispatch, oid_to_the_wrong_function_is_not_supported)
{
    struct ndis_oid_request r;
    init_vf_params();
    /* PF-only OID to a VF miniport and to a plain NIC. */
    cr_assert_eq(method(fx.vf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(r.rule, "PF") != NULL, "%s", r.rule);
    cr_assert_eq(method(fx.nic, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_NOT_SUPPORTED);
    /* VF-only OID to the PF. */
    struct ndis_sriov_vf_invalidate_config_block_info inv = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1},
        .block_mask = 1};
    cr_assert_eq(method(fx.pf, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, &inv, sizeof inv, &r),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(r.rule, "VF") != NULL, "%s", r.rule);
    /* ... and it does reach the VF. */
    cr_assert_eq(method(fx.vf, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, &inv, sizeof inv, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(fx.vf_drv.oid_calls, 1);
    cr_assert_eq(fx.pf_drv.oid_calls, 0);
    cr_assert_eq(fx.nic_drv.oid_calls, 0);
}

Test(ndis_dispatch, sriov_off_is_not_supported)
{
    ndis_miniport_set_sriov_enabled(fx.pf, false);
    struct ndis_oid_request r;
    init_switch_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_CREATE_SWITCH, &swp, sizeof swp, &r),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(r.rule, "SR-IOV") != NULL, "%s", r.rule);
    /* Hardware caps are answered regardless of *SRIOV; current caps are not. */
    struct ndis_nic_switch_capabilities caps;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION,
                          OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &caps, sizeof caps);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION,
                          OID_NIC_SWITCH_CURRENT_CAPABILITIES, &caps, sizeof caps);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_eq(fx.pf_drv.oid_calls, 0);
}

Test(ndis_dispatch, null_buffer_and_method_lengths)
{
    struct ndis_oid_request r;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, NULL, 12);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_PARAMETER);
    init_vf_params();
    ndis_oid_request_init_method(&r, "x", OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, 16);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_PARAMETER);
}

/* ---- routing: NDIS answers the "N" OIDs itself ---------------------------------------- */

Test(ndis_dispatch, ndis_answers_capabilities_luid_and_serial)
{
    struct ndis_oid_request r;
    struct ndis_sriov_capabilities sc;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_CURRENT_CAPABILITIES,
                          &sc, sizeof sc);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(sc.sriov_capabilities,
                 NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT);
    cr_assert_eq(sc.header.type, NDIS_OBJECT_TYPE_DEFAULT);
    cr_assert_eq(r.bytes_written, NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1);
    cr_assert_eq(fx_run(&fx, fx.vf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(sc.sriov_capabilities,
                 NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT);
    /* A plain NIC registered no SR-IOV caps. */
    cr_assert_eq(fx_run(&fx, fx.nic, &r), NDIS_STATUS_NOT_SUPPORTED);
    struct ndis_nic_switch_capabilities nc;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION,
                          OID_NIC_SWITCH_CURRENT_CAPABILITIES, &nc, sizeof nc);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(nc.max_num_vfs, 4);
    cr_assert_eq(nc.max_num_vports, 8);
    cr_assert_eq(r.bytes_written, NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2);
    struct ndis_sriov_pf_luid_info l;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, &l, sizeof l);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(l.luid.low_part, 0x1234);
    cr_assert_eq(l.luid.high_part, 7);
    struct ndis_sriov_vf_serial_number_info sn;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_VF_SERIAL_NUMBER, &sn,
                          sizeof sn);
    cr_assert_eq(fx_run(&fx, fx.vf, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(sn.serial_number, 42);
    cr_assert_eq(fx.pf_drv.oid_calls + fx.vf_drv.oid_calls + fx.nic_drv.oid_calls, 0,
                 "no miniport handler ran for an N OID");
}

Test(ndis_dispatch, registry_follows_the_vf_lifecycle)
{
    create_switch();
    struct ndis_oid_request r;
    /* ALLOCATE_VF: NDIS checks VFId/RID placeholders, the PF assigns. */
    init_vf_params();
    vfp.vf_id = 3;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(vfp.vf_id, 0);
    cr_assert_eq(r.bytes_written, 1632);
    /* CREATE_VPORT on the VF: NDIS assigns VPortId 1. */
    init_vport_params(0);
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_CREATE_VPORT, &vpp, sizeof vpp, &r),
                 NDIS_STATUS_SUCCESS, "%s", r.rule ? r.rule : "");
    cr_assert_eq(vpp.vport_id, 1);
    /* A second VPort on the same VF is refused by NDIS. */
    init_vport_params(0);
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_CREATE_VPORT, &vpp, sizeof vpp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* VF_PARAMETERS (NDIS): the VF as allocated. */
    struct ndis_nic_switch_vf_parameters q;
    init_vf_params();
    q = vfp;
    q.vf_id = 0;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_VF_PARAMETERS, &q, sizeof q, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(q.requestor_id, NDIS_MAKE_RID(0, 1, 0x80));
    q.vf_id = 2;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_VF_PARAMETERS, &q, sizeof q, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* FREE_VF with its VPort still there: FILE_NOT_FOUND (§4.2). */
    struct ndis_nic_switch_free_vf_parameters fv = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1},
        .vf_id = 0};
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_FREE_VF, &fv, sizeof fv, &r),
                 NDIS_STATUS_FILE_NOT_FOUND);
    /* DELETE_SWITCH while a VF is allocated is refused. */
    struct ndis_nic_switch_delete_switch_parameters ds = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1}};
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof ds, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* Default VPort cannot be deleted; the VF's can. */
    struct ndis_nic_switch_delete_vport_parameters dv = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1},
        .vport_id = 0};
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof dv, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    dv.vport_id = 1;
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof dv, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_FREE_VF, &fv, sizeof fv, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_FREE_VF, &fv, sizeof fv, &r), NDIS_STATUS_FILE_NOT_FOUND,
                 "freeing an unallocated VF");
    ds.switch_id = 5;
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof ds, &r),
                 NDIS_STATUS_FILE_NOT_FOUND);
    ds.switch_id = 0;
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof ds, &r), NDIS_STATUS_SUCCESS);
    ndis_oid_t seq[16];
    size_t n = ndis_trace_oid_sequence(fx.trace, 0, "h1.pf0", NDIS_TRACE_COMPLETION, seq, 16);
    cr_assert_geq(n, 5);
    cr_assert_eq(fx.pf_drv.oids[0], OID_NIC_SWITCH_CREATE_SWITCH);
    cr_assert_eq(fx.pf_drv.oids[1], OID_NIC_SWITCH_ALLOCATE_VF);
    cr_assert_eq(fx.pf_drv.oids[2], OID_NIC_SWITCH_CREATE_VPORT);
    cr_assert_eq(fx.pf_drv.oids[3], OID_NIC_SWITCH_DELETE_VPORT);
    cr_assert_eq(fx.pf_drv.oids[4], OID_NIC_SWITCH_FREE_VF);
    cr_assert_eq(fx.pf_drv.oids[5], OID_NIC_SWITCH_DELETE_SWITCH);
    cr_assert_eq(fx.pf_drv.oid_calls, 6);
}

Test(ndis_dispatch, enum_oids_report_what_ndis_knows)
{
    create_switch();
    struct ndis_oid_request r;
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_SUCCESS);
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_SUCCESS);
    static uint8_t buf[8192];
    struct ndis_nic_switch_vf_info_array a = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1}};
    memcpy(buf, &a, sizeof a);
    /* Too small: INVALID_LENGTH with the size of two elements. */
    ndis_oid_request_init_method(&r, "x", OID_NIC_SWITCH_ENUM_VFS, buf, sizeof a, 100);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(r.bytes_needed, sizeof a + 2 * sizeof(struct ndis_nic_switch_vf_info));
    ndis_oid_request_init_method(&r, "x", OID_NIC_SWITCH_ENUM_VFS, buf, sizeof a, sizeof buf);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    memcpy(&a, buf, sizeof a);
    cr_assert_eq(a.num_elements, 2);
    struct ndis_nic_switch_vf_info e1;
    memcpy(&e1, buf + a.first_element_offset + a.element_size, sizeof e1);
    cr_assert_eq(e1.vf_id, 1);
    /* ENUM_SWITCHES: one element, the default switch. */
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_ENUM_SWITCHES,
                          buf, sizeof buf);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    struct ndis_nic_switch_info_array sa;
    memcpy(&sa, buf, sizeof sa);
    cr_assert_eq(sa.num_elements, 1);
    struct ndis_nic_switch_info si;
    memcpy(&si, buf + sa.first_element_offset, sizeof si);
    cr_assert_eq(si.num_allocated_vfs, 2);
    cr_assert_eq(si.num_vfs, 4);
    cr_assert_eq(si.num_active_vports, 1, "the default VPort");
    /* ENUM_VPORTS (query form): only the default VPort. */
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_ENUM_VPORTS, buf,
                          sizeof buf);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    struct ndis_nic_switch_vport_info_array va;
    memcpy(&va, buf, sizeof va);
    cr_assert_eq(va.num_elements, 1);
    struct ndis_nic_switch_vport_info vi;
    memcpy(&vi, buf + va.first_element_offset, sizeof vi);
    cr_assert_eq(vi.attached_function_id, NDIS_PF_FUNCTION_ID);
    cr_assert_eq(vi.vport_state, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED);
    /* NIC_SWITCH_PARAMETERS get (method, NDIS). */
    init_switch_params();
    swp.num_vfs = 0;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_PARAMETERS, &swp, sizeof swp, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(swp.num_vfs, 4);
    cr_assert_eq(fx.pf_drv.oid_calls, 3, "CREATE_SWITCH + 2 ALLOCATE_VF only");
}

Test(ndis_dispatch, vport_state_and_parameters)
{
    create_switch();
    struct ndis_oid_request r;
    init_vport_params(NDIS_PF_FUNCTION_ID);
    vpp.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_CREATE_VPORT, &vpp, sizeof vpp, &r),
                 NDIS_STATUS_SUCCESS);
    uint32_t id = vpp.vport_id;
    cr_assert_eq(id, 1);
    vpp.flags = NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED;
    vpp.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_VPORT_PARAMETERS, &vpp, sizeof vpp, &r),
                 NDIS_STATUS_SUCCESS);
    vpp.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED;
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_VPORT_PARAMETERS, &vpp, sizeof vpp, &r),
                 NDIS_STATUS_INVALID_PARAMETER, "Activated never goes back");
    struct ndis_nic_switch_vport_parameters g;
    init_vport_params(0);
    g = vpp;
    g.vport_id = id;
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_VPORT_PARAMETERS, &g, sizeof g, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(g.vport_state, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED);
    cr_assert_eq(g.attached_function_id, NDIS_PF_FUNCTION_ID);
    /* SET_FILTER on the default VPort: NDIS assigns FilterId 1. */
    struct ndis_receive_filter_parameters fp = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
                   (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2},
        .filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE,
        .vport_id = NDIS_DEFAULT_VPORT_ID};
    cr_assert_eq(method(fx.pf, OID_RECEIVE_FILTER_SET_FILTER, &fp, sizeof fp, &r),
                 NDIS_STATUS_SUCCESS, "%s", r.rule ? r.rule : "");
    cr_assert_eq(fp.filter_id, 1);
    /* MOVE_FILTER: NDIS checks both VPorts exist and the filter sits on the source. */
    struct ndis_receive_filter_move_filter_parameters mv = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1},
        .filter_id = 1,
        .source_vport_id = 0,
        .dest_vport_id = 5};
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof mv, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    mv.dest_vport_id = id;
    mv.filter_id = 2;
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof mv, &r),
                 NDIS_STATUS_INVALID_PARAMETER, "no filter 2");
    mv.filter_id = 1;
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof mv, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof mv, &r),
                 NDIS_STATUS_INVALID_PARAMETER, "the filter left the source VPort");
    /* ENUM_VPORTS counts it on the new VPort. */
    static uint8_t buf[4096];
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_ENUM_VPORTS, buf,
                          sizeof buf);
    cr_assert_eq(fx_run(&fx, fx.pf, &r), NDIS_STATUS_SUCCESS);
    struct ndis_nic_switch_vport_info_array va;
    memcpy(&va, buf, sizeof va);
    cr_assert_eq(va.num_elements, 2);
    struct ndis_nic_switch_vport_info vi;
    memcpy(&vi, buf + va.first_element_offset + va.element_size, sizeof vi);
    cr_assert_eq(vi.vport_id, id);
    cr_assert_eq(vi.num_filters, 1);
    /* A VPort with a filter cannot be deleted; clear it first. */
    struct ndis_nic_switch_delete_vport_parameters dv = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1},
        .vport_id = id};
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof dv, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    struct ndis_receive_filter_clear_parameters cf = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, 1,
                   (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1},
        .filter_id = 7};
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_CLEAR_FILTER, &cf, sizeof cf, &r),
                 NDIS_STATUS_FILE_NOT_FOUND);
    cf.filter_id = 1;
    cr_assert_eq(set(fx.pf, OID_RECEIVE_FILTER_CLEAR_FILTER, &cf, sizeof cf, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(set(fx.pf, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof dv, &r), NDIS_STATUS_SUCCESS);
    /* SET_FILTER input rules. */
    fp.filter_id = 3;
    cr_assert_eq(method(fx.pf, OID_RECEIVE_FILTER_SET_FILTER, &fp, sizeof fp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
    fp.filter_id = 0;
    fp.vport_id = id; /* deleted */
    cr_assert_eq(method(fx.pf, OID_RECEIVE_FILTER_SET_FILTER, &fp, sizeof fp, &r),
                 NDIS_STATUS_INVALID_PARAMETER);
}

/* ---- pending, exactly once, serialisation -------------------------------------------------- */

Test(ndis_dispatch, pending_request_completes_exactly_once_from_the_loop)
{
    fx.nic_drv.mode = TMP_PEND;
    struct done_log log = {0};
    struct ndis_oid_request r;
    ndis_oid_request_init(&r, "tcpip", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL,
                          0);
    r.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 0, "still pending");
    cr_assert(ndis_miniport_has_outstanding(fx.nic));
    cr_assert_eq(fx.nic_drv.pending, &r);
    cr_assert_eq(ndis_oid_request_complete(fx.nic, &r, NDIS_STATUS_SUCCESS), 0);
    cr_assert_eq(log.calls, 0, "completion is not delivered inside complete()");
    /* A second completion is caught and counted. */
    cr_assert_eq(ndis_oid_request_complete(fx.nic, &r, NDIS_STATUS_SUCCESS), SIM_EINVAL);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->double_completions, 1);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.status[0], NDIS_STATUS_SUCCESS);
    cr_assert(!ndis_miniport_has_outstanding(fx.nic));
    /* After delivery, completing again is still an error, and no callback runs. */
    cr_assert_eq(ndis_oid_request_complete(fx.nic, &r, NDIS_STATUS_SUCCESS), SIM_EINVAL);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->double_completions, 2);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->pended, 1);
}

Test(ndis_dispatch, complete_inside_handler_and_complete_twice)
{
    struct ndis_oid_request r;
    fx.nic_drv.mode = TMP_COMPLETE_INSIDE;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    cr_assert_eq(fx_run(&fx, fx.nic, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->double_completions, 0);
    fx.nic_drv.mode = TMP_COMPLETE_TWICE;
    cr_assert_eq(fx_run(&fx, fx.nic, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->double_completions, 1);
}

Test(ndis_dispatch, requests_are_serialised_fifo_per_miniport)
{
    fx.nic_drv.mode = TMP_PEND;
    struct done_log log = {0};
    struct ndis_oid_request r[4];
    ndis_oid_t oids[4] = {OID_SWITCH_NIC_SUSPEND, OID_SWITCH_NIC_RESUME, OID_SWITCH_NIC_UPDATED,
                          OID_SWITCH_NIC_RESTORE};
    for (int i = 0; i < 4; i++) {
        ndis_oid_request_init(&r[i], "vstack", NDIS_REQUEST_SET_INFORMATION, oids[i], NULL, 0);
        r[i].data = &log;
        cr_assert_eq(ndis_oid_request_submit(fx.nic, &r[i], done_cb, NULL), 0);
    }
    cr_assert_eq(ndis_miniport_queue_depth(fx.nic), 4);
    for (int i = 0; i < 4; i++) {
        sim_sched_run(fx.s, SIM_TIME_NEVER);
        cr_assert_eq(fx.nic_drv.oid_calls, i + 1, "one outstanding at a time");
        cr_assert_eq(fx.nic_drv.oids[i], oids[i], "FIFO order");
        cr_assert_eq(ndis_miniport_queue_depth(fx.nic), (size_t)(3 - i));
        cr_assert_eq(ndis_oid_request_complete(fx.nic, fx.nic_drv.pending, NDIS_STATUS_SUCCESS), 0);
    }
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(log.req[i], &r[i]);
    cr_assert_eq(ndis_miniport_stats(fx.nic)->max_queue_depth, 4);
    /* Other miniports are independent: the PF answers while the NIC is busy. */
}

Test(ndis_dispatch, miniports_are_independent)
{
    fx.nic_drv.mode = TMP_PEND;
    struct done_log log = {0};
    struct ndis_oid_request a, b;
    ndis_oid_request_init(&a, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    a.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &a, done_cb, NULL), 0);
    struct ndis_sriov_pf_luid_info l;
    ndis_oid_request_init(&b, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_PF_LUID, &l, sizeof l);
    b.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.pf, &b, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.req[0], &b);
    ndis_oid_request_complete(fx.nic, &a, NDIS_STATUS_SUCCESS);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 2);
}

static struct ndis_oid_request resubmit_req;
static int resubmit_calls;

static void
resubmit_cb(struct ndis_oid_request *req, ndis_status_t st)
{
    resubmit_calls++;
    if (resubmit_calls < 3)
        cr_assert_eq(ndis_oid_request_submit(fx.nic, req, resubmit_cb, NULL), 0,
                     "a completed request may be resubmitted from its callback");
}

Test(ndis_dispatch, resubmit_from_callback)
{
    ndis_oid_request_init(&resubmit_req, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED,
                          NULL, 0);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &resubmit_req, resubmit_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(resubmit_calls, 3);
    cr_assert_eq(fx.nic_drv.oid_calls, 3);
}

/* ---- submit errors: the callback never runs ---------------------------------------------- */

Test(ndis_dispatch, submit_errors_never_run_the_callback)
{
    struct done_log log = {0};
    struct ndis_oid_request r;
    struct sim_diag d = {0};
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    r.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, NULL, &d), SIM_EINVAL);
    cr_assert_eq(ndis_oid_request_submit(NULL, &r, done_cb, &d), SIM_EINVAL);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, &d), 0);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, &d), SIM_EBUSY, "already in flight");
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(ndis_miniport_pause(fx.nic, NULL, NULL), 0);
    cr_assert_eq(ndis_miniport_halt(fx.nic, NULL), 0);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, &d), SIM_ESTATE);
    cr_assert(strstr(d.reason, "halted") != NULL, "%s", d.reason);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
}

Test(ndis_dispatch, halt_refused_while_requests_outstanding)
{
    fx.nic_drv.mode = TMP_PEND;
    struct done_log log = {0};
    struct ndis_oid_request r;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    r.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(ndis_miniport_pause(fx.nic, NULL, NULL), 0);
    cr_assert_eq(ndis_miniport_halt(fx.nic, NULL), SIM_EBUSY);
    cr_assert_eq(ndis_miniport_destroy(fx.nic), SIM_EBUSY);
    ndis_oid_request_complete(fx.nic, &r, NDIS_STATUS_SUCCESS);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
}

/* ---- trace ------------------------------------------------------------------------------ */

Test(ndis_dispatch, trace_records_requests_and_completions)
{
    sim_sched_run(fx.s, SIM_USEC(100));
    uint64_t mark = ndis_trace_mark(fx.trace);
    create_switch();
    struct ndis_oid_request r;
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, 10, &r),
                 NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(ndis_trace_count(fx.trace), 4);
    const struct ndis_trace_record *q = ndis_trace_at(fx.trace, 0);
    cr_assert_eq(q->phase, NDIS_TRACE_REQUEST);
    cr_assert_eq(q->seq, mark);
    cr_assert_eq(q->time_ns, SIM_USEC(100));
    cr_assert_str_eq(q->target, "h1.pf0");
    cr_assert_str_eq(q->requester, "vstack");
    cr_assert_eq(q->oid, OID_NIC_SWITCH_CREATE_SWITCH);
    cr_assert_eq(q->request_type, NDIS_REQUEST_METHOD);
    const struct ndis_trace_record *c = ndis_trace_at(fx.trace, 3);
    cr_assert_eq(c->phase, NDIS_TRACE_COMPLETION);
    cr_assert_eq(c->status, NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(c->bytes_needed, 1632);
    char line[512];
    ndis_trace_format(c, line, sizeof line);
    cr_assert(strstr(line, "t=0.000100000s h1.pf0 <- vstack  METHOD OID_NIC_SWITCH_ALLOCATE_VF "
                           "(0x00010245) -> NDIS_STATUS_INVALID_LENGTH written=0 read=0 "
                           "needed=1632") == line,
              "%s", line);
    cr_assert(strstr(line, "rule: ") != NULL, "%s", line);
    ndis_trace_format(ndis_trace_at(fx.trace, 1), line, sizeof line);
    cr_assert(strstr(line, "-> NDIS_STATUS_SUCCESS written=0 read=552") != NULL, "%s", line);
    ndis_oid_t seq[4];
    cr_assert_eq(ndis_trace_oid_sequence(fx.trace, mark, "h1.pf0", NDIS_TRACE_REQUEST, seq, 4), 2);
    cr_assert_eq(seq[0], OID_NIC_SWITCH_CREATE_SWITCH);
    cr_assert_eq(seq[1], OID_NIC_SWITCH_ALLOCATE_VF);
    cr_assert_eq(ndis_trace_oid_sequence(fx.trace, mark + 2, NULL, NDIS_TRACE_REQUEST, seq, 4), 1);
    cr_assert_eq(ndis_trace_oid_sequence(fx.trace, mark, "vm1.vf0", NDIS_TRACE_REQUEST, seq, 4), 0);
    const struct ndis_trace_record *last =
        ndis_trace_last_completion(fx.trace, "h1.pf0", OID_NIC_SWITCH_ALLOCATE_VF);
    cr_assert_not_null(last);
    cr_assert_eq(last->status, NDIS_STATUS_INVALID_LENGTH);
    cr_assert_null(ndis_trace_last_completion(fx.trace, "h1.pf0", OID_SRIOV_RESET_VF));
    ndis_trace_clear(fx.trace);
    cr_assert_eq(ndis_trace_count(fx.trace), 0);
    cr_assert_eq(ndis_trace_mark(fx.trace), mark + 4, "sequence numbers keep counting");
}

Test(ndis_dispatch, trace_ring_wraps_and_counts_drops)
{
    struct ndis_trace *t = NULL;
    cr_assert_eq(ndis_trace_create(3, &t), 0);
    cr_assert_eq(ndis_trace_create(0, &t), SIM_EINVAL);
    struct sim_sched *s = fx.s;
    struct sim_diag d = {0};
    struct tmp_driver drv = {0};
    struct ndis_miniport_config c = {
        .name = "n", .sched = s, .trace = t, .ops = &tmp_ops, .ctx = &drv};
    struct ndis_miniport *mp;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), 0);
    cr_assert_eq(ndis_miniport_initialize(mp, NULL, NULL), 0);
    struct ndis_oid_request r;
    for (int i = 0; i < 3; i++) {
        ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL,
                              0);
        cr_assert_eq(fx_run(&fx, mp, &r), NDIS_STATUS_SUCCESS);
    }
    cr_assert_eq(ndis_trace_count(t), 3);
    cr_assert_eq(ndis_trace_dropped(t), 3);
    cr_assert_eq(ndis_trace_at(t, 0)->seq, 3);
    cr_assert_eq(ndis_trace_at(t, 2)->seq, 5);
    cr_assert_null(ndis_trace_at(t, 3));
    FILE *devnull = fopen("/dev/null", "w");
    ndis_trace_dump(t, devnull);
    fclose(devnull);
    cr_assert_eq(ndis_miniport_halt(mp, NULL), 0);
    cr_assert_eq(ndis_miniport_destroy(mp), 0);
    ndis_trace_destroy(t);
}

/* ---- faults, cancel, reset, removal ---------------------------------------------------- */

Test(ndis_dispatch, fault_hook_fails_n_times_then_clears)
{
    create_switch();
    cr_assert_eq(
        ndis_miniport_fault_oid(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, NDIS_STATUS_RESOURCES, 2), 0);
    struct ndis_oid_request r;
    for (int i = 0; i < 2; i++) {
        init_vf_params();
        cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                     NDIS_STATUS_RESOURCES);
        cr_assert(
            ndis_trace_last_completion(fx.trace, "h1.pf0", OID_NIC_SWITCH_ALLOCATE_VF)->fault);
    }
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_stats(fx.pf)->faults_injected, 2);
    cr_assert_eq(fx.pf_drv.oid_calls, 2, "faulted requests never reached the PF");
    /* Validation still comes first: a malformed request is not "faulted". */
    cr_assert_eq(
        ndis_miniport_fault_oid(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, NDIS_STATUS_FAILURE, -1), 0);
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, 8, &r),
                 NDIS_STATUS_INVALID_LENGTH);
    init_vf_params();
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_FAILURE);
    ndis_miniport_fault_clear(fx.pf, 0);
    cr_assert_eq(method(fx.pf, OID_NIC_SWITCH_ALLOCATE_VF, &vfp, sizeof vfp, &r),
                 NDIS_STATUS_SUCCESS);
    /* Knob validation. */
    cr_assert_eq(ndis_miniport_fault_oid(fx.pf, OID_SRIOV_RESET_VF, NDIS_STATUS_SUCCESS, 1),
                 SIM_EINVAL);
    cr_assert_eq(ndis_miniport_fault_oid(fx.pf, OID_SRIOV_RESET_VF, NDIS_STATUS_FAILURE, 0),
                 SIM_EINVAL);
    for (ndis_oid_t o = 1; o <= NDIS_FAULT_MAX; o++)
        cr_assert_eq(ndis_miniport_fault_oid(fx.pf, o, NDIS_STATUS_FAILURE, 1), 0);
    cr_assert_eq(ndis_miniport_fault_oid(fx.pf, 99, NDIS_STATUS_FAILURE, 1), SIM_ENOSPC);
    cr_assert_eq(ndis_miniport_fault_oid(fx.pf, 1, NDIS_STATUS_RESOURCES, 1), 0, "re-arm replaces");
}

Test(ndis_dispatch, cancel_queued_and_outstanding)
{
    fx.nic_drv.mode = TMP_PEND;
    struct done_log log = {0};
    struct ndis_oid_request a, b;
    ndis_oid_request_init(&a, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    ndis_oid_request_init(&b, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_RESUME, NULL, 0);
    a.request_id = 11;
    b.request_id = 22;
    a.data = b.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &a, done_cb, NULL), 0);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &b, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(ndis_oid_request_cancel(fx.nic, 22), 0);
    cr_assert_eq(log.calls, 0, "cancel completes from the loop");
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
    cr_assert_eq(log.req[0], &b);
    cr_assert_eq(log.status[0], NDIS_STATUS_REQUEST_ABORTED);
    cr_assert_eq(ndis_oid_request_cancel(fx.nic, 11), 0);
    cr_assert_eq(fx.nic_drv.cancelled_id, 11);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 2);
    cr_assert_eq(log.status[1], NDIS_STATUS_REQUEST_ABORTED);
    cr_assert_eq(ndis_oid_request_cancel(fx.nic, 33), SIM_ENOENT);
    cr_assert_eq(fx.nic_drv.oid_calls, 1, "the cancelled queued request never reached the handler");
}

Test(ndis_dispatch, reset_holds_dispatch_until_complete)
{
    fx.nic_drv.reset_result = NDIS_STATUS_PENDING;
    cr_assert_eq(ndis_miniport_reset(fx.nic, NULL, NULL), 0);
    cr_assert_eq(ndis_miniport_reset(fx.nic, NULL, NULL), SIM_EBUSY);
    struct done_log log = {0};
    struct ndis_oid_request r;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    r.data = &log;
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, NULL), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(fx.nic_drv.oid_calls, 0);
    cr_assert_eq(ndis_miniport_reset_complete(fx.nic, NDIS_STATUS_SUCCESS), 0);
    cr_assert_eq(ndis_miniport_reset_complete(fx.nic, NDIS_STATUS_SUCCESS), SIM_ESTATE);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(fx.nic_drv.oid_calls, 1);
    cr_assert_eq(log.calls, 1);
}

Test(ndis_dispatch, surprise_removed_adapter_fails_requests)
{
    cr_assert_eq(ndis_miniport_pnp_event(fx.vf, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED), 0);
    cr_assert_eq(fx.vf_drv.pnp_calls, 1);
    struct ndis_oid_request r;
    struct ndis_sriov_vf_serial_number_info sn;
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_QUERY_INFORMATION, OID_SRIOV_VF_SERIAL_NUMBER, &sn,
                          sizeof sn);
    cr_assert_eq(fx_run(&fx, fx.vf, &r), NDIS_STATUS_ADAPTER_REMOVED);
    cr_assert_eq(ndis_miniport_pnp_event(fx.vf, (enum ndis_device_pnp_event)99), SIM_EINVAL);
}

/* ---- constructors: OOM sweeps, zero live allocations ------------------------------------- */

Test(ndis_dispatch, miniport_create_oom_sweep)
{
    long before = sim_alloc_live_total();
    for (long n = 0;; n++) {
        struct ndis_miniport *mp = (void *)1;
        struct ndis_miniport_config c = fx_pf_config(&fx);
        c.name = "oom.pf";
        struct sim_diag d = {0};
        sim_alloc_fail_nth(n);
        int err = ndis_miniport_create(&c, &mp, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_geq(n, 4, "miniport + VF table + masks + VPort table");
            cr_assert_eq(ndis_miniport_destroy(mp), 0);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM);
        cr_assert_null(mp);
        cr_assert_eq(sim_alloc_live_total(), before, "n=%ld leaked", n);
    }
    cr_assert_eq(sim_alloc_live_total(), before);
}

Test(ndis_dispatch, trace_create_oom_sweep)
{
    long before = sim_alloc_live_total();
    for (long n = 0;; n++) {
        struct ndis_trace *t = (void *)1;
        sim_alloc_fail_nth(n);
        int err = ndis_trace_create(16, &t);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_eq(n, 2);
            ndis_trace_destroy(t);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM);
        cr_assert_null(t);
        cr_assert_eq(sim_alloc_live_total(), before);
    }
}

Test(ndis_dispatch, miniport_config_is_validated)
{
    struct sim_diag d = {0};
    struct ndis_miniport *mp;
    struct ndis_miniport_config c = fx_pf_config(&fx);
    c.nic_switch_caps.max_num_vports = 4; /* < MaxNumVFs + 1 */
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "MaxNumVPorts") != NULL, "%s", d.reason);
    c = fx_pf_config(&fx);
    c.kind = NDIS_MINIPORT_VF;
    c.sriov_caps = NDIS_SRIOV_CAPS_VF_MINIPORT;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL, "VF with NIC switch caps");
    c = fx_pf_config(&fx);
    c.sriov_caps = NDIS_SRIOV_CAPS_VF_MINIPORT;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL);
    c = fx_pf_config(&fx);
    c.sched = NULL;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL);
    c = fx_pf_config(&fx);
    c.kind = NDIS_MINIPORT_PLAIN;
    c.nic_switch_caps.header.revision = 0;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL, "plain miniport with SR-IOV on");
    c = fx_pf_config(&fx);
    c.nic_switch_caps.header.revision = 1;
    cr_assert_eq(ndis_miniport_create(&c, &mp, &d), SIM_EINVAL);
}

Test(ndis_dispatch, submit_oom_never_runs_the_callback)
{
    /* The first dispatch event grows the scheduler's heap: fail that allocation. */
    struct done_log log = {0};
    struct ndis_oid_request r;
    struct sim_diag d = {0};
    ndis_oid_request_init(&r, "x", NDIS_REQUEST_SET_INFORMATION, OID_SWITCH_NIC_UPDATED, NULL, 0);
    r.data = &log;
    sim_alloc_fail_nth(0);
    int err = ndis_oid_request_submit(fx.nic, &r, done_cb, &d);
    sim_alloc_fail_nth(-1);
    cr_assert_eq(err, SIM_ENOMEM, "%s", d.reason);
    cr_assert_eq(ndis_miniport_queue_depth(fx.nic), 0);
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 0);
    cr_assert_eq(fx.nic_drv.oid_calls, 0);
    cr_assert_eq(ndis_oid_request_submit(fx.nic, &r, done_cb, &d), 0, "the request is reusable");
    sim_sched_run(fx.s, SIM_TIME_NEVER);
    cr_assert_eq(log.calls, 1);
}
