/* SPDX-License-Identifier: MIT */
/*
 * test_malformed.c — every malformed-request class against the PF miniport through the real
 * dispatcher: short buffer (INVALID_LENGTH + BytesNeeded), wrong header type / revision / size
 * (INVALID_PARAMETER), unknown OID (INVALID_OID), wrong request type and OID to the wrong
 * function (NOT_SUPPORTED), VF id out of range, double free (FILE_NOT_FOUND), delete of the
 * default VPort (INVALID_PARAMETER). None reaches the device or changes state.
 */
#include "pf_test.h"

static void
assert_nothing_changed(struct topo *t, unsigned vports)
{
    cr_assert_eq(nic_vport_count(t->nic), vports);
    cr_assert_eq(nic_filter_count(t->nic), 0);
}

Test(pf_malformed, short_buffer)
{
    struct topo t;
    topo_init(&t, NULL);
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_SWITCH, &p, 8, sizeof p),
                 NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(t.req.bytes_needed, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    cr_assert_eq(t.req.bytes_written, 0);
    struct ndis_nic_switch_capabilities c;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &c, 0, 0),
        NDIS_STATUS_INVALID_LENGTH);
    cr_assert_gt(t.req.bytes_needed, 0);
    assert_nothing_changed(&t, 1);
    topo_fini(&t);
}

Test(pf_malformed, wrong_header_type_revision_size)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    struct ndis_nic_switch_delete_vport_parameters p;
    memset(&p, 0, sizeof p);
    p.vport_id = 1;
    ndis_objhdr_init(&p.header, 0x81, 1, sizeof p); /* type */
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p, 0),
        NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_not_null(t.req.rule);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 0, sizeof p); /* revision 0 */
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p, 0),
        NDIS_STATUS_INVALID_PARAMETER);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 4); /* size < SIZEOF_REVISION_1 */
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p, 0),
        NDIS_STATUS_INVALID_PARAMETER);
    /* The OID request's own header. */
    t_hdr(&p.header, 1, sizeof p);
    ndis_oid_request_init(&t.req, "vstack", NDIS_REQUEST_SET_INFORMATION,
                          OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p);
    t.req.header.type = NDIS_OBJECT_TYPE_DEFAULT;
    t.req.data = &t;
    int before = t.completions;
    cr_assert_eq(ndis_oid_request_submit(t.mp, &t.req, t_oid_cb, NULL), 0);
    t_run_for(&t, SIM_MSEC(1));
    cr_assert_eq(t.completions, before + 1);
    cr_assert_eq(t.status, NDIS_STATUS_INVALID_PARAMETER);
    assert_nothing_changed(&t, 1);
    cr_assert_eq(pf_adapter_stats(t.pf)->oids, 1, "only CREATE_SWITCH reached the miniport");
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_malformed, unknown_oid_wrong_type_wrong_function)
{
    struct topo t;
    topo_init(&t, NULL);
    uint8_t buf[64] = {0};
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, 0x0001FFFFu, buf, sizeof buf, 0),
                 NDIS_STATUS_INVALID_OID);
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_CREATE_SWITCH, buf, sizeof buf, 0),
        NDIS_STATUS_NOT_SUPPORTED);
    /* A VF-only OID issued to the PF. */
    struct ndis_sriov_vf_invalidate_config_block_info inv;
    memset(&inv, 0, sizeof inv);
    t_hdr(&inv.header, 1, NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1);
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_METHOD, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, &inv,
                       sizeof inv, sizeof inv),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(t.req.rule, "VF miniport") != NULL, "%s", t.req.rule);
    /* VMQ queue OIDs reach the PF and are refused with a reason. */
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_RECEIVE_FILTER_ENUM_QUEUES, buf,
                       sizeof buf, 0),
                 NDIS_STATUS_NOT_SUPPORTED);
    cr_assert(strstr(pf_adapter_last_refusal(t.pf)->reason, "VMQ") != NULL);
    assert_nothing_changed(&t, 1);
    topo_fini(&t);
}

Test(pf_malformed, vf_id_out_of_range)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    cr_assert_eq(t_reset_vf(&t, 200), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(pf_adapter_last_refusal(t.pf)->reason, "vf=200: VFId out of range") != NULL,
              "%s", pf_adapter_last_refusal(t.pf)->reason);
    cr_assert_eq(t_free_vf(&t, 200), NDIS_STATUS_FILE_NOT_FOUND);
    uint32_t vp;
    cr_assert_eq(t_create_vport(&t, 7, 1, 0, &vp), NDIS_STATUS_INVALID_PARAMETER);
    /* Only NumVFs = 2 were enabled: the third allocation finds none. */
    uint8_t mac[6];
    uint16_t v0, v1;
    t_vf_mac(0, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, &v0, NULL), 0);
    t_vf_mac(1, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, &v1, NULL), 0);
    t_vf_mac(2, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, NULL, NULL), NDIS_STATUS_RESOURCES);
    cr_assert(strstr(pf_adapter_last_refusal(t.pf)->reason, "all 2 enabled VFs") != NULL);
    cr_assert_eq(t_reset_vf(&t, v0), 0);
    cr_assert_eq(t_free_vf(&t, v0), 0);
    cr_assert_eq(t_reset_vf(&t, v1), 0);
    cr_assert_eq(t_free_vf(&t, v1), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_malformed, double_free_and_delete_default_vport)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint8_t mac[6];
    uint16_t vf;
    t_vf_mac(0, mac);
    cr_assert_eq(t_allocate_vf(&t, mac, &vf, NULL), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_FILE_NOT_FOUND);
    cr_assert_not_null(t.req.rule);
    cr_assert_eq(t_delete_vport(&t, NDIS_DEFAULT_VPORT_ID), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(t.req.rule, "default VPort") != NULL, "%s", t.req.rule);
    cr_assert_eq(t_delete_vport(&t, 9), NDIS_STATUS_INVALID_PARAMETER);
    assert_nothing_changed(&t, 1);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_malformed, bad_filter_requests)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    /* A multicast MAC filter is refused by the PF with a reason; no filter reaches the device. */
    static const uint8_t mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    cr_assert_eq(t_set_filter(&t, NDIS_DEFAULT_VPORT_ID, mc, -1, NULL),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(pf_adapter_last_refusal(t.pf)->reason, "multicast") != NULL);
    /* A VLAN id beyond 4095. */
    static const uint8_t uc[6] = {0x02, 0, 0, 0, 0, 1};
    cr_assert_eq(t_set_filter(&t, NDIS_DEFAULT_VPORT_ID, uc, 5000, NULL),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* MOVE_FILTER of an unknown filter. */
    cr_assert_eq(t_move_filter(&t, 77, 0, 0), NDIS_STATUS_INVALID_PARAMETER);
    assert_nothing_changed(&t, 1);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}
