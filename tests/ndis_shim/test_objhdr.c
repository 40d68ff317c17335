/* SPDX-License-Identifier: MIT */
/* test_objhdr.c — NDIS_OBJECT_HEADER validation (reference §3.3): every malformed class. */
#include <criterion/criterion.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"

static struct ndis_nic_switch_vf_parameters vfp;

static void
good_vf_params(void)
{
    memset(&vfp, 0, sizeof vfp);
    ndis_objhdr_init(&vfp.header, NDIS_OBJECT_TYPE_DEFAULT,
                     NDIS_NIC_SWITCH_VF_PARAMETERS_REVISION_1,
                     (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
}

Test(ndis_objhdr, good_header_passes)
{
    good_vf_params();
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    uint32_t needed = 99;
    uint8_t rev = 0;
    const char *rule = "x";
    cr_assert_eq(ndis_objhdr_check(info, &vfp, sizeof vfp, &needed, &rev, &rule),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(needed, 0);
    cr_assert_eq(rev, 1);
    cr_assert_null(rule);
}

Test(ndis_objhdr, short_buffer_is_invalid_length_with_bytes_needed)
{
    good_vf_params();
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    uint32_t needed = 0;
    const char *rule = NULL;
    cr_assert_eq(ndis_objhdr_check(info, &vfp, 0, &needed, NULL, &rule),
                 NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(needed, 1632);
    cr_assert_not_null(rule);
    cr_assert_eq(ndis_objhdr_check(info, &vfp, 1631, &needed, NULL, NULL),
                 NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(needed, 1632);
    cr_assert_eq(ndis_objhdr_check(info, NULL, 1632, &needed, NULL, NULL),
                 NDIS_STATUS_INVALID_LENGTH);
}

Test(ndis_objhdr, wrong_type_is_invalid_parameter)
{
    good_vf_params();
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    vfp.header.type = NDIS_OBJECT_TYPE_OID_REQUEST;
    const char *rule = NULL;
    cr_assert_eq(ndis_objhdr_check(info, &vfp, sizeof vfp, NULL, NULL, &rule),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(rule, "Type") != NULL, "%s", rule);
}

Test(ndis_objhdr, revision_zero_or_below_minimum_is_invalid_parameter)
{
    good_vf_params();
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    vfp.header.revision = 0;
    const char *rule = NULL;
    cr_assert_eq(ndis_objhdr_check(info, &vfp, sizeof vfp, NULL, NULL, &rule),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(rule, "Revision") != NULL, "%s", rule);
}

Test(ndis_objhdr, size_smaller_than_revision_is_invalid_parameter)
{
    good_vf_params();
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_ALLOCATE_VF);
    vfp.header.size = (uint16_t)(NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1 - 1);
    const char *rule = NULL;
    cr_assert_eq(ndis_objhdr_check(info, &vfp, sizeof vfp, NULL, NULL, &rule),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(rule, "Size") != NULL, "%s", rule);
}

Test(ndis_objhdr, revision_2_needs_revision_2_size)
{
    /* NIC_SWITCH_PARAMETERS: REVISION_2 appends NumQueuePairsForDefaultVPort (548 -> 552). */
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_CREATE_SWITCH);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 2, 548);
    cr_assert_eq(ndis_objhdr_check(info, &p, sizeof p, NULL, NULL, NULL),
                 NDIS_STATUS_INVALID_PARAMETER);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 548);
    uint8_t rev = 0;
    cr_assert_eq(ndis_objhdr_check(info, &p, 548, NULL, &rev, NULL), NDIS_STATUS_SUCCESS);
    cr_assert_eq(rev, 1);
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 2, 552);
    cr_assert_eq(ndis_objhdr_check(info, &p, 552, NULL, &rev, NULL), NDIS_STATUS_SUCCESS);
    cr_assert_eq(rev, 2);
    /* A revision we do not know is read as the highest we know. */
    ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 7, 552);
    cr_assert_eq(ndis_objhdr_check(info, &p, 552, NULL, &rev, NULL), NDIS_STATUS_SUCCESS);
    cr_assert_eq(rev, 2);
}

Test(ndis_objhdr, size_beyond_buffer_is_short_with_bytes_needed)
{
    struct {
        struct ndis_nic_switch_parameters p;
        uint8_t extra[64];
    } b;
    memset(&b, 0, sizeof b);
    const struct ndis_oid_info *info = ndis_oid_info(OID_NIC_SWITCH_CREATE_SWITCH);
    ndis_objhdr_init(&b.p.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 600);
    uint32_t needed = 0;
    cr_assert_eq(ndis_objhdr_check(info, &b, 548, &needed, NULL, NULL), NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(needed, 600);
}

Test(ndis_objhdr, trailing_data_counts_toward_the_minimum)
{
    struct {
        struct ndis_sriov_probed_bars_info i;
        uint32_t bars[6];
    } b;
    memset(&b, 0, sizeof b);
    const struct ndis_oid_info *info = ndis_oid_info(OID_SRIOV_PROBED_BARS);
    ndis_objhdr_init(&b.i.header, NDIS_OBJECT_TYPE_DEFAULT, 1, 8);
    uint32_t needed = 0;
    cr_assert_eq(ndis_objhdr_check(info, &b, 8, &needed, NULL, NULL), NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(needed, 32);
    cr_assert_eq(ndis_objhdr_check(info, &b, 32, &needed, NULL, NULL), NDIS_STATUS_SUCCESS);
}

Test(ndis_objhdr, switch_nic_save_short_is_buffer_too_short)
{
    /* SAVE has no structure we model (min 0) so it never fails the length check here; the
     * flag is what makes a short buffer BUFFER_TOO_SHORT. */
    const struct ndis_oid_info *info = ndis_oid_info(OID_SWITCH_NIC_SAVE);
    cr_assert(info->flags & NDIS_OID_F_SHORT_IS_BUFFER_TOO_SHORT);
    cr_assert_eq(ndis_objhdr_check(info, NULL, 0, NULL, NULL, NULL), NDIS_STATUS_SUCCESS);
}

Test(ndis_objhdr, unknown_oid_info_is_invalid_oid)
{
    cr_assert_eq(ndis_objhdr_check(NULL, NULL, 0, NULL, NULL, NULL), NDIS_STATUS_INVALID_OID);
}
