/* SPDX-License-Identifier: MIT */
/*
 * objhdr.c — NDIS_OBJECT_HEADER validation, as NDIS and drivers must do before touching any
 * member (reference/ndis_sriov.md §3.3): Type must be the expected one, Revision at least the
 * lowest defined one, Size at least NDIS_SIZEOF_<struct>_REVISION_<Revision>; a higher
 * revision than we know is read as the highest known one.
 *
 * Windows counterpart: the header checks in ndis.sys and in every NDIS 6 driver (the
 * NDIS_CHECK_HEADER pattern), and the INVALID_LENGTH/BytesNeeded contract of OID requests.
 */
#include <string.h>

#include "ndis_int.h"

void
ndis_objhdr_init(struct ndis_object_header *h, uint8_t type, uint8_t revision, uint16_t size)
{
    h->type = type;
    h->revision = revision;
    h->size = size;
}

ndis_status_t
ndis_objhdr_check(const struct ndis_oid_info *info, const void *buf, uint32_t len,
                  uint32_t *bytes_needed, uint8_t *revision_out, const char **rule)
{
    const char *dummy_rule;
    uint32_t dummy_needed;
    if (rule == NULL)
        rule = &dummy_rule;
    if (bytes_needed == NULL)
        bytes_needed = &dummy_needed;
    *rule = NULL;
    *bytes_needed = 0;
    if (info == NULL) {
        *rule = "unknown OID";
        return NDIS_STATUS_INVALID_OID;
    }
    ndis_status_t short_status = (info->flags & NDIS_OID_F_SHORT_IS_BUFFER_TOO_SHORT)
                                     ? NDIS_STATUS_BUFFER_TOO_SHORT
                                     : NDIS_STATUS_INVALID_LENGTH;
    uint32_t min = ndis_oid_min_length(info, info->min_revision);
    /* Buffer shorter than the lowest revision: nothing can be read; say what is needed. */
    if (len < min) {
        *bytes_needed = min;
        *rule = "information buffer shorter than the structure's lowest revision";
        return short_status;
    }
    if (info->flags & NDIS_OID_F_NO_HEADER) {
        if (revision_out != NULL)
            *revision_out = 0;
        return NDIS_STATUS_SUCCESS;
    }
    if (buf == NULL) {
        *bytes_needed = min;
        *rule = "information buffer is NULL";
        return short_status;
    }
    struct ndis_object_header h;
    memcpy(&h, buf, sizeof h);
    if (h.type != info->header_type) {
        *rule = "Header.Type is not the structure's object type";
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if (h.revision == 0 || h.revision < info->min_revision) {
        *rule = "Header.Revision is below the lowest revision of the structure";
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    uint8_t rev = h.revision > info->max_revision ? info->max_revision : h.revision;
    uint32_t rev_size = ndis_oid_min_length(info, rev) - info->trailing_length;
    if (h.size < rev_size) {
        *rule = "Header.Size is smaller than NDIS_SIZEOF_<struct>_REVISION_<Revision>";
        return NDIS_STATUS_INVALID_PARAMETER;
    }
    if ((uint32_t)h.size + info->trailing_length > len) {
        *bytes_needed = (uint32_t)h.size + info->trailing_length;
        *rule = "Header.Size (plus trailing data) exceeds the information buffer";
        return short_status;
    }
    if (revision_out != NULL)
        *revision_out = rev;
    return NDIS_STATUS_SUCCESS;
}
