/* SPDX-License-Identifier: MIT */
/* test_status.c — the NDIS_STATUS table against a second list typed from
 * reference/ndis_sriov.md §2.3 (and the few values the header documents as from elsewhere). */
#include <criterion/criterion.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"

static const struct {
    const char *name;
    uint32_t value;
} expected[] = {
    {"NDIS_STATUS_SUCCESS", 0x00000000},
    {"NDIS_STATUS_PENDING", 0x00000103},
    {"NDIS_STATUS_NOT_ACCEPTED", 0x00010003},
    {"NDIS_STATUS_MEDIA_CONNECT", 0x4001000B},
    {"NDIS_STATUS_MEDIA_DISCONNECT", 0x4001000C},
    {"NDIS_STATUS_LINK_STATE", 0x40010017},
    {"NDIS_STATUS_BUSY", 0x80000011},
    {"NDIS_STATUS_FAILURE", 0xC0000001},
    {"NDIS_STATUS_INVALID_PARAMETER", 0xC000000D},
    {"NDIS_STATUS_RESOURCES", 0xC000009A},
    {"NDIS_STATUS_NOT_SUPPORTED", 0xC00000BB},
    {"NDIS_STATUS_DEVICE_FAILED", 0xC0010008},
    {"NDIS_STATUS_REQUEST_ABORTED", 0xC001000C},
    {"NDIS_STATUS_RESET_IN_PROGRESS", 0xC001000D},
    {"NDIS_STATUS_INVALID_LENGTH", 0xC0010014},
    {"NDIS_STATUS_INVALID_DATA", 0xC0010015},
    {"NDIS_STATUS_BUFFER_TOO_SHORT", 0xC0010016},
    {"NDIS_STATUS_INVALID_OID", 0xC0010017},
    {"NDIS_STATUS_ADAPTER_REMOVED", 0xC0010018},
    {"NDIS_STATUS_FILE_NOT_FOUND", 0xC001001B},
    {"NDIS_STATUS_REINIT_REQUIRED", 0xC0230030},
    {"NDIS_STATUS_SWITCH_PORT_REMOVE_VF", 0xC0241001},
    {"NDIS_STATUS_SWITCH_NIC_STATUS", 0xC0241002},
};

Test(ndis_status, every_entry_matches_the_reference_list)
{
    cr_assert_eq(ndis_status_count(), sizeof expected / sizeof expected[0],
                 "table and reference list differ in length");
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        const char *name = ndis_status_name(expected[i].value);
        cr_assert_not_null(name, "value 0x%08X missing", expected[i].value);
        cr_assert_str_eq(name, expected[i].name);
        ndis_status_t parsed;
        cr_assert(ndis_status_parse(expected[i].name, &parsed));
        cr_assert_eq(parsed, expected[i].value, "%s", expected[i].name);
        cr_assert_str_neq(ndis_status_message(expected[i].value), "unknown NDIS_STATUS");
    }
}

Test(ndis_status, macros_carry_the_windows_values)
{
    cr_assert_eq(NDIS_STATUS_INVALID_LENGTH, 0xC0010014u);
    cr_assert_eq(NDIS_STATUS_FILE_NOT_FOUND, 0xC001001Bu);
    cr_assert_eq(NDIS_STATUS_NOT_SUPPORTED, 0xC00000BBu);
    cr_assert_eq(NDIS_STATUS_SWITCH_PORT_REMOVE_VF, 0xC0241001u);
    cr_assert_eq(NDIS_STATUS_PENDING, 0x103u);
}

Test(ndis_status, values_are_unique_and_errors_classified)
{
    for (size_t i = 0; i < ndis_status_count(); i++)
        for (size_t j = i + 1; j < ndis_status_count(); j++)
            cr_assert_neq(ndis_status_at(i), ndis_status_at(j));
    cr_assert(ndis_status_is_error(NDIS_STATUS_INVALID_LENGTH));
    cr_assert(!ndis_status_is_error(NDIS_STATUS_SUCCESS));
    cr_assert(!ndis_status_is_error(NDIS_STATUS_PENDING));
    cr_assert(!ndis_status_is_error(NDIS_STATUS_LINK_STATE));
}

Test(ndis_status, unknown_values_and_parse_forms)
{
    char buf[16];
    cr_assert_null(ndis_status_name(0xC0FFEE00u));
    cr_assert_str_eq(ndis_status_message(0xC0FFEE00u), "unknown NDIS_STATUS");
    cr_assert_str_eq(ndis_status_str(0xC0FFEE00u, buf, sizeof buf), "0xC0FFEE00");
    cr_assert_str_eq(ndis_status_str(NDIS_STATUS_RESOURCES, buf, sizeof buf),
                     "NDIS_STATUS_RESOURCES");
    ndis_status_t s;
    cr_assert(ndis_status_parse("RESOURCES", &s));
    cr_assert_eq(s, NDIS_STATUS_RESOURCES);
    cr_assert(ndis_status_parse("0xC0010014", &s));
    cr_assert_eq(s, NDIS_STATUS_INVALID_LENGTH);
    cr_assert(!ndis_status_parse("NDIS_STATUS_NOPE", &s));
    cr_assert(!ndis_status_parse("", &s));
    cr_assert(!ndis_status_parse("-1", &s));
    cr_assert(!ndis_status_parse("0x1ffffffff", &s));
}
