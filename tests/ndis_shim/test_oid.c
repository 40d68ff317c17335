/* SPDX-License-Identifier: MIT */
/* test_oid.c — the OID table against a second list typed from reference/ndis_sriov.md §2.2 and
 * §4.1 (value, accepted request types, handler, target), and the structure sizes against
 * numbers worked out by hand from the §5 field order with natural x64 alignment. */
#include <criterion/criterion.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"

#define Q NDIS_OID_Q
#define S NDIS_OID_S
#define M NDIS_OID_M
enum { ANY = NDIS_OID_TARGET_ANY, PF = NDIS_OID_TARGET_PF, VF = NDIS_OID_TARGET_VF };

static const struct {
    const char *name;
    uint32_t value;
    uint8_t types;  /* accepted request types */
    uint8_t ndis;   /* answered by NDIS */
    uint8_t target; /* P / V / any */
    bool sriov;     /* NOT_SUPPORTED when SR-IOV is off */
} expected[] = {
    {"OID_RECEIVE_FILTER_ALLOCATE_QUEUE", 0x00010223, M, 0, ANY, false},
    {"OID_RECEIVE_FILTER_FREE_QUEUE", 0x00010224, S, 0, ANY, false},
    {"OID_RECEIVE_FILTER_ENUM_QUEUES", 0x00010225, Q, 0, ANY, false},
    {"OID_RECEIVE_FILTER_QUEUE_PARAMETERS", 0x00010226, M | S, 0, ANY, false},
    {"OID_RECEIVE_FILTER_SET_FILTER", 0x00010227, M, 0, ANY, false},
    {"OID_RECEIVE_FILTER_CLEAR_FILTER", 0x00010228, S, 0, ANY, false},
    {"OID_RECEIVE_FILTER_ENUM_FILTERS", 0x00010229, M, 0, ANY, false},
    {"OID_RECEIVE_FILTER_PARAMETERS", 0x0001022A, M, 0, ANY, false},
    {"OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE", 0x0001022B, M, 0, ANY, false},
    {"OID_RECEIVE_FILTER_CURRENT_CAPABILITIES", 0x0001022D, Q, 0, ANY, false},
    {"OID_NIC_SWITCH_HARDWARE_CAPABILITIES", 0x0001022E, Q, Q, PF, false},
    {"OID_NIC_SWITCH_CURRENT_CAPABILITIES", 0x0001022F, Q, Q, PF, true},
    {"OID_RECEIVE_FILTER_MOVE_FILTER", 0x00010230, S, 0, PF, true},
    {"OID_NIC_SWITCH_CREATE_SWITCH", 0x00010237, M, 0, PF, true},
    {"OID_NIC_SWITCH_PARAMETERS", 0x00010238, M | S, M, PF, true},
    {"OID_NIC_SWITCH_DELETE_SWITCH", 0x00010239, S, 0, PF, true},
    {"OID_NIC_SWITCH_ENUM_SWITCHES", 0x00010240, Q, Q, PF, true},
    {"OID_NIC_SWITCH_CREATE_VPORT", 0x00010241, M, 0, PF, true},
    {"OID_NIC_SWITCH_VPORT_PARAMETERS", 0x00010242, M | S, M, PF, true},
    {"OID_NIC_SWITCH_ENUM_VPORTS", 0x00010243, M | Q, M | Q, PF, true},
    {"OID_NIC_SWITCH_DELETE_VPORT", 0x00010244, S, 0, PF, true},
    {"OID_NIC_SWITCH_ALLOCATE_VF", 0x00010245, M, 0, PF, true},
    {"OID_NIC_SWITCH_FREE_VF", 0x00010246, S, 0, PF, true},
    {"OID_NIC_SWITCH_VF_PARAMETERS", 0x00010247, M, M, PF, true},
    {"OID_NIC_SWITCH_ENUM_VFS", 0x00010248, M, M, PF, true},
    {"OID_SRIOV_HARDWARE_CAPABILITIES", 0x00010249, Q, Q, ANY, false},
    {"OID_SRIOV_CURRENT_CAPABILITIES", 0x00010250, Q, Q, ANY, true},
    {"OID_SRIOV_READ_VF_CONFIG_SPACE", 0x00010251, M, 0, PF, true},
    {"OID_SRIOV_WRITE_VF_CONFIG_SPACE", 0x00010252, S, 0, PF, true},
    {"OID_SRIOV_READ_VF_CONFIG_BLOCK", 0x00010253, M, 0, PF, true},
    {"OID_SRIOV_WRITE_VF_CONFIG_BLOCK", 0x00010254, S, 0, PF, true},
    {"OID_SRIOV_RESET_VF", 0x00010255, S, 0, PF, true},
    {"OID_SRIOV_SET_VF_POWER_STATE", 0x00010256, S, 0, PF, true},
    {"OID_SRIOV_VF_VENDOR_DEVICE_ID", 0x00010257, M, 0, PF, true},
    {"OID_SRIOV_PROBED_BARS", 0x00010258, Q, 0, PF, true},
    {"OID_SRIOV_BAR_RESOURCES", 0x00010259, M, 0, PF, true},
    {"OID_SRIOV_PF_LUID", 0x00010260, Q, Q, PF, true},
    {"OID_SRIOV_CONFIG_STATE", 0x00010261, S, 0, VF, true},
    {"OID_SRIOV_VF_SERIAL_NUMBER", 0x00010262, Q, Q, VF, true},
    {"OID_SRIOV_OVERLYING_ADAPTER_INFO", 0x00010268, S, 0, VF, true},
    {"OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK", 0x00010269, M, 0, VF, true},
    {"OID_SWITCH_NIC_ARRAY", 0x00010277, Q, 0, ANY, false},
    {"OID_SWITCH_NIC_SAVE", 0x00010290, M, 0, ANY, false},
    {"OID_SWITCH_NIC_SAVE_COMPLETE", 0x00010291, S, 0, ANY, false},
    {"OID_SWITCH_NIC_RESTORE", 0x00010292, S, 0, ANY, false},
    {"OID_SWITCH_NIC_RESTORE_COMPLETE", 0x00010293, S, 0, ANY, false},
    {"OID_SWITCH_NIC_UPDATED", 0x00010294, S, 0, ANY, false},
    {"OID_SWITCH_NIC_SUSPEND", 0x00010297, S, 0, ANY, false},
    {"OID_SWITCH_NIC_RESUME", 0x00010298, S, 0, ANY, false},
    {"OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_STARTED", 0x00010299, S, 0, ANY, false},
    {"OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_FINISHED", 0x0001029A, S, 0, ANY, false},
};

Test(ndis_oid, every_entry_matches_the_reference_list)
{
    size_t n = sizeof expected / sizeof expected[0];
    cr_assert_eq(ndis_oid_count(), n, "table has %zu OIDs, reference list %zu", ndis_oid_count(),
                 n);
    for (size_t i = 0; i < n; i++) {
        const struct ndis_oid_info *info = ndis_oid_info(expected[i].value);
        cr_assert_not_null(info, "%s (0x%08X) missing", expected[i].name, expected[i].value);
        cr_assert_str_eq(info->name, expected[i].name);
        cr_assert_str_eq(ndis_oid_name(expected[i].value), expected[i].name);
        cr_assert_eq(info->request_types, expected[i].types, "%s types", expected[i].name);
        cr_assert_eq(info->ndis_handles, expected[i].ndis, "%s handler", expected[i].name);
        cr_assert_eq(info->target, expected[i].target, "%s target", expected[i].name);
        cr_assert_eq((info->flags & NDIS_OID_F_SRIOV) != 0, expected[i].sriov, "%s sriov",
                     expected[i].name);
        ndis_oid_t parsed;
        cr_assert(ndis_oid_parse(expected[i].name, &parsed));
        cr_assert_eq(parsed, expected[i].value);
    }
}

Test(ndis_oid, macros_carry_the_windows_values)
{
    cr_assert_eq(OID_NIC_SWITCH_ALLOCATE_VF, 0x00010245u);
    cr_assert_eq(OID_NIC_SWITCH_CREATE_VPORT, 0x00010241u);
    cr_assert_eq(OID_SRIOV_RESET_VF, 0x00010255u);
    cr_assert_eq(OID_RECEIVE_FILTER_MOVE_FILTER, 0x00010230u);
    cr_assert_eq(NDIS_OBJECT_TYPE_DEFAULT, 0x80);
    cr_assert_eq(NDIS_OBJECT_TYPE_OID_REQUEST, 0x96);
    cr_assert_eq(NDIS_REQUEST_METHOD, 12);
    cr_assert_eq(NDIS_REQUEST_QUERY_STATISTICS, 2);
    cr_assert_eq(NDIS_PF_FUNCTION_ID, 0xFFFF);
    cr_assert_eq(NDIS_INVALID_RID, 0xFFFFFFFFu);
}

/* Sizes by hand: header 4; counted string 2 + 257*2 = 516; GROUP_AFFINITY 16 (align 8). */
Test(ndis_oid, structure_sizes_follow_the_field_order)
{
    cr_assert_eq(sizeof(struct ndis_if_counted_string), 516);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, 16 + 516 + 4 + 12);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_2, 552);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1, 12);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1, 572);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1, 16);
    /* 16 + 516 = 532; USHORT fn @532; ULONGs @536,540,544; affinity @552..568; lookahead 572 */
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1, 572);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1, 12);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1, 576);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1, 28);
    /* 12 + 3*516 = 1560; MacLen 2; 2*32 MACs -> 1626; VFId 2 -> 1628; RID 4 -> 1632 */
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1, 1632);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1, 10);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1, 24);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1, 12);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1, 20);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1, 20);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1, 6);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1, 13);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_CONFIG_STATE_PARAMETERS_REVISION_1, 12);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1, 10);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1, 8);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1, 12);
    cr_assert_eq(sizeof(struct ndis_cm_partial_resource_descriptor), 20);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1, 12);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1, 8);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1, 20);
    cr_assert_eq(NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1, 16);
    cr_assert_eq(NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1, 24);
    cr_assert_eq(NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_1, 36);
    cr_assert_eq(NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2, 44);
    cr_assert_eq(NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1, 16);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1, 32);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2, 116);
    cr_assert_eq(NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3, 132);
}

Test(ndis_oid, minimum_lengths_come_from_the_sizeof_constants)
{
    const struct ndis_oid_info *a = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    cr_assert_eq(ndis_oid_min_length(a, 1), 1632);
    cr_assert_eq(ndis_oid_min_length(a, 9), 1632, "higher revision read as the highest known");
    const struct ndis_oid_info *c = ndis_oid_info(OID_NIC_SWITCH_CREATE_SWITCH);
    cr_assert_eq(ndis_oid_min_length(c, 1), 548);
    cr_assert_eq(ndis_oid_min_length(c, 2), 552);
    cr_assert_eq(ndis_oid_min_length(c, 3), 552);
    const struct ndis_oid_info *caps = ndis_oid_info(OID_NIC_SWITCH_HARDWARE_CAPABILITIES);
    cr_assert_eq(ndis_oid_min_length(caps, 0), 116, "clamped to REVISION_2");
    const struct ndis_oid_info *bars = ndis_oid_info(OID_SRIOV_PROBED_BARS);
    cr_assert_eq(ndis_oid_min_length(bars, 1), 8 + 6 * 4);
    const struct ndis_oid_info *bar = ndis_oid_info(OID_SRIOV_BAR_RESOURCES);
    cr_assert_eq(ndis_oid_min_length(bar, 1), 12 + 20);
    for (size_t i = 0; i < ndis_oid_count(); i++) {
        const struct ndis_oid_info *info = ndis_oid_at(i);
        cr_assert(info->ndis_handles == (info->ndis_handles & info->request_types), "%s",
                  info->name);
        if (!(info->flags & NDIS_OID_F_NO_HEADER)) {
            cr_assert_eq(info->header_type, NDIS_OBJECT_TYPE_DEFAULT, "%s", info->name);
            cr_assert_geq(info->min_revision, 1, "%s", info->name);
            cr_assert_gt(ndis_oid_min_length(info, info->min_revision), 4, "%s", info->name);
        }
    }
}

Test(ndis_oid, unknown_oid_and_names)
{
    cr_assert_null(ndis_oid_info(0x00010200u));
    cr_assert_null(ndis_oid_name(0xFFFFFFFFu));
    ndis_oid_t o;
    cr_assert(!ndis_oid_parse("OID_NOPE", &o));
    cr_assert(ndis_oid_parse("0x00010245", &o));
    cr_assert_eq(o, OID_NIC_SWITCH_ALLOCATE_VF);
    cr_assert_str_eq(ndis_request_type_name(NDIS_REQUEST_METHOD), "METHOD");
    cr_assert_str_eq(ndis_request_type_name((enum ndis_request_type)5), "TYPE?");
    cr_assert_eq(ndis_request_type_bit(NDIS_REQUEST_QUERY_STATISTICS), NDIS_OID_Q);
    cr_assert_eq(ndis_request_type_bit((enum ndis_request_type)5), 0);
}
