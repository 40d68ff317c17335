/* SPDX-License-Identifier: MIT */
/*
 * oid.c — the OID metadata table: for every OID its name, the request types NDIS accepts, who
 * handles it (NDIS itself, the PF miniport, the VF miniport), the structure it carries and the
 * minimum information-buffer length per revision.
 *
 * Windows counterpart: the "SR-IOV OIDs" table of the WDK docs ([MS:sr-iov-oids]; Q/S/M,
 * N/P/V) and ntddndis.h, as summarised in reference/ndis_sriov.md §2.2 and §4.1. Where the
 * docs disagree on the request type (§4.1 DOC CONFLICT) we accept the type documented on the
 * OID's own page: method for ENUM_VFS, VF_PARAMETERS, VPORT_PARAMETERS (get) and
 * BAR_RESOURCES; method or query for ENUM_VPORTS.
 */
#include <stdlib.h>
#include <string.h>

#include "ndis_int.h"

#define Q       NDIS_OID_Q
#define S       NDIS_OID_S
#define M       NDIS_OID_M
#define ANY     NDIS_OID_TARGET_ANY
#define PF      NDIS_OID_TARGET_PF
#define VF      NDIS_OID_TARGET_VF
#define F_SRIOV NDIS_OID_F_SRIOV
#define F_NDIS  NDIS_OID_F_NDIS_ISSUER
#define F_NOHDR NDIS_OID_F_NO_HEADER
#define F_BTS   NDIS_OID_F_SHORT_IS_BUFFER_TOO_SHORT

/* One structure, revision 1 only. */
#define R1(st, sz) NDIS_OBJECT_TYPE_DEFAULT, 1, 1, {(uint16_t)(sz), 0, 0}, 0, st
/* No header we can check (the structure is not in the reference): no minimum length. */
#define NOHDR(st) 0, 1, 1, {0, 0, 0}, 0, st

#define E(oid, types, ndis, target, flags, ...)                                                    \
    {                                                                                              \
        oid, #oid, types, ndis, target, flags, __VA_ARGS__                                         \
    }

static const struct ndis_oid_info oid_table[] = {
    /* ---- receive filtering (VMQ and SR-IOV). Structures of the VMQ-only OIDs are not in the
     * reference, so only request type and target are checked for them. ---- */
    E(OID_RECEIVE_FILTER_ALLOCATE_QUEUE, M, 0, ANY, F_NOHDR,
      NOHDR("NDIS_RECEIVE_QUEUE_PARAMETERS")),
    E(OID_RECEIVE_FILTER_FREE_QUEUE, S, 0, ANY, F_NOHDR,
      NOHDR("NDIS_RECEIVE_QUEUE_FREE_PARAMETERS")),
    E(OID_RECEIVE_FILTER_ENUM_QUEUES, Q, 0, ANY, F_NOHDR, NOHDR("NDIS_RECEIVE_QUEUE_INFO_ARRAY")),
    E(OID_RECEIVE_FILTER_QUEUE_PARAMETERS, M | S, 0, ANY, F_NOHDR,
      NOHDR("NDIS_RECEIVE_QUEUE_PARAMETERS")),
    E(OID_RECEIVE_FILTER_SET_FILTER, M, 0, ANY, 0, NDIS_OBJECT_TYPE_DEFAULT, 1, 2,
      {NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_1,
       NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2, 0},
      0, "NDIS_RECEIVE_FILTER_PARAMETERS"),
    E(OID_RECEIVE_FILTER_CLEAR_FILTER, S, 0, ANY, 0,
      R1("NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS",
         NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1)),
    E(OID_RECEIVE_FILTER_ENUM_FILTERS, M, 0, ANY, F_NOHDR, NOHDR("NDIS_RECEIVE_FILTER_INFO_ARRAY")),
    E(OID_RECEIVE_FILTER_PARAMETERS, M, 0, ANY, 0, NDIS_OBJECT_TYPE_DEFAULT, 1, 2,
      {NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_1,
       NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2, 0},
      0, "NDIS_RECEIVE_FILTER_PARAMETERS"),
    E(OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE, M, 0, ANY, F_NOHDR,
      NOHDR("NDIS_RECEIVE_QUEUE_ALLOCATION_COMPLETE_ARRAY")),
    E(OID_RECEIVE_FILTER_CURRENT_CAPABILITIES, Q, 0, ANY, F_NOHDR,
      NOHDR("NDIS_RECEIVE_FILTER_CAPABILITIES")),
    /* ---- NIC switch ---- */
    /* Hardware caps are registered regardless of *SRIOV; current caps only when it is 1. */
    E(OID_NIC_SWITCH_HARDWARE_CAPABILITIES, Q, Q, PF, 0, NDIS_OBJECT_TYPE_DEFAULT, 2, 3,
      {NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1,
       NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2,
       NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3},
      0, "NDIS_NIC_SWITCH_CAPABILITIES"),
    E(OID_NIC_SWITCH_CURRENT_CAPABILITIES, Q, Q, PF, F_SRIOV, NDIS_OBJECT_TYPE_DEFAULT, 2, 3,
      {NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1,
       NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2,
       NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3},
      0, "NDIS_NIC_SWITCH_CAPABILITIES"),
    E(OID_RECEIVE_FILTER_MOVE_FILTER, S, 0, PF, F_SRIOV,
      R1("NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS",
         NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_CREATE_SWITCH, M, 0, PF, F_SRIOV | F_NDIS, NDIS_OBJECT_TYPE_DEFAULT, 1, 2,
      {NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_2,
       0},
      0, "NDIS_NIC_SWITCH_PARAMETERS"),
    /* Method (get): NDIS answers; set: the PF applies it. */
    E(OID_NIC_SWITCH_PARAMETERS, M | S, M, PF, F_SRIOV, NDIS_OBJECT_TYPE_DEFAULT, 1, 2,
      {NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_2,
       0},
      0, "NDIS_NIC_SWITCH_PARAMETERS"),
    E(OID_NIC_SWITCH_DELETE_SWITCH, S, 0, PF, F_SRIOV | F_NDIS,
      R1("NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS",
         NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_ENUM_SWITCHES, Q, Q, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_INFO_ARRAY", NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1)),
    E(OID_NIC_SWITCH_CREATE_VPORT, M, 0, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VPORT_PARAMETERS", NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_VPORT_PARAMETERS, M | S, M, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VPORT_PARAMETERS", NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_ENUM_VPORTS, M | Q, M | Q, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VPORT_INFO_ARRAY", NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1)),
    E(OID_NIC_SWITCH_DELETE_VPORT, S, 0, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS",
         NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_ALLOCATE_VF, M, 0, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VF_PARAMETERS", NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_FREE_VF, S, 0, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_FREE_VF_PARAMETERS",
         NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_VF_PARAMETERS, M, M, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VF_PARAMETERS", NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1)),
    E(OID_NIC_SWITCH_ENUM_VFS, M, M, PF, F_SRIOV,
      R1("NDIS_NIC_SWITCH_VF_INFO_ARRAY", NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1)),
    /* ---- SR-IOV ---- */
    E(OID_SRIOV_HARDWARE_CAPABILITIES, Q, Q, ANY, 0,
      R1("NDIS_SRIOV_CAPABILITIES", NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1)),
    E(OID_SRIOV_CURRENT_CAPABILITIES, Q, Q, ANY, F_SRIOV,
      R1("NDIS_SRIOV_CAPABILITIES", NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1)),
    E(OID_SRIOV_READ_VF_CONFIG_SPACE, M, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS",
         NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_WRITE_VF_CONFIG_SPACE, S, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_WRITE_VF_CONFIG_SPACE_PARAMETERS",
         NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_READ_VF_CONFIG_BLOCK, M, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS",
         NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_WRITE_VF_CONFIG_BLOCK, S, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS",
         NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_RESET_VF, S, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_RESET_VF_PARAMETERS", NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_SET_VF_POWER_STATE, S, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS",
         NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_VF_VENDOR_DEVICE_ID, M, 0, PF, F_SRIOV,
      R1("NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO",
         NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1)),
    /* The page says "sizeof(info) + PCI_TYPE0_ADDRESSES"; we require the ULONG array. */
    E(OID_SRIOV_PROBED_BARS, Q, 0, PF, F_SRIOV | F_NDIS, NDIS_OBJECT_TYPE_DEFAULT, 1, 1,
      {NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1, 0, 0},
      NDIS_PCI_TYPE0_ADDRESSES * sizeof(uint32_t), "NDIS_SRIOV_PROBED_BARS_INFO"),
    E(OID_SRIOV_BAR_RESOURCES, M, 0, PF, F_SRIOV | F_NDIS, NDIS_OBJECT_TYPE_DEFAULT, 1, 1,
      {NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1, 0, 0},
      sizeof(struct ndis_cm_partial_resource_descriptor), "NDIS_SRIOV_BAR_RESOURCES_INFO"),
    E(OID_SRIOV_PF_LUID, Q, Q, PF, F_SRIOV,
      R1("NDIS_SRIOV_PF_LUID_INFO", NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1)),
    E(OID_SRIOV_CONFIG_STATE, S, 0, VF, F_SRIOV,
      R1("NDIS_SRIOV_CONFIG_STATE_PARAMETERS",
         NDIS_SIZEOF_SRIOV_CONFIG_STATE_PARAMETERS_REVISION_1)),
    E(OID_SRIOV_VF_SERIAL_NUMBER, Q, Q, VF, F_SRIOV,
      R1("NDIS_SRIOV_VF_SERIAL_NUMBER_INFO", NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1)),
    E(OID_SRIOV_OVERLYING_ADAPTER_INFO, S, 0, VF, F_SRIOV,
      R1("NDIS_SRIOV_OVERLYING_ADAPTER_INFO", NDIS_SIZEOF_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1)),
    E(OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, M, 0, VF, F_SRIOV | F_NDIS,
      R1("NDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO",
         NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1)),
    /* ---- Hyper-V extensible switch (failover / live migration). Only SAVE's type is in the
     * reference (method, BUFFER_TOO_SHORT on a short buffer); the others are INFERRED from the
     * WDK pages: query for NIC_ARRAY, set for the rest. Structures not modelled. ---- */
    E(OID_SWITCH_NIC_ARRAY, Q, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_ARRAY")),
    E(OID_SWITCH_NIC_SAVE, M, 0, ANY, F_NOHDR | F_BTS, NOHDR("NDIS_SWITCH_NIC_SAVE_STATE")),
    E(OID_SWITCH_NIC_SAVE_COMPLETE, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_SAVE_STATE")),
    E(OID_SWITCH_NIC_RESTORE, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_SAVE_STATE")),
    E(OID_SWITCH_NIC_RESTORE_COMPLETE, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_SAVE_STATE")),
    E(OID_SWITCH_NIC_UPDATED, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_PARAMETERS")),
    E(OID_SWITCH_NIC_SUSPEND, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_PARAMETERS")),
    E(OID_SWITCH_NIC_RESUME, S, 0, ANY, F_NOHDR, NOHDR("NDIS_SWITCH_NIC_PARAMETERS")),
    E(OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_STARTED, S, 0, ANY, F_NOHDR,
      NOHDR("NDIS_SWITCH_NIC_PARAMETERS")),
    E(OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_FINISHED, S, 0, ANY, F_NOHDR,
      NOHDR("NDIS_SWITCH_NIC_PARAMETERS")),
};

const struct ndis_oid_info *
ndis_oid_info(ndis_oid_t oid)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(oid_table); i++)
        if (oid_table[i].oid == oid)
            return &oid_table[i];
    return NULL;
}

const char *
ndis_oid_name(ndis_oid_t oid)
{
    const struct ndis_oid_info *info = ndis_oid_info(oid);
    return info != NULL ? info->name : NULL;
}

bool
ndis_oid_parse(const char *text, ndis_oid_t *out)
{
    if (text == NULL || out == NULL || *text == '\0')
        return false;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(oid_table); i++) {
        if (strcmp(text, oid_table[i].name) == 0) {
            *out = oid_table[i].oid;
            return true;
        }
    }
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 0);
    if (end == text || *end != '\0' || v > UINT32_MAX || text[0] == '-')
        return false;
    *out = (ndis_oid_t)v;
    return true;
}

size_t
ndis_oid_count(void)
{
    return SIM_ARRAY_SIZE(oid_table);
}

const struct ndis_oid_info *
ndis_oid_at(size_t i)
{
    return i < SIM_ARRAY_SIZE(oid_table) ? &oid_table[i] : NULL;
}

uint32_t
ndis_oid_min_length(const struct ndis_oid_info *info, uint8_t revision)
{
    if (info == NULL)
        return 0;
    if (revision < info->min_revision)
        revision = info->min_revision;
    if (revision > info->max_revision)
        revision = info->max_revision;
    if (revision < 1 || revision > 3)
        return info->trailing_length;
    return (uint32_t)info->min_length[revision - 1] + info->trailing_length;
}

const char *
ndis_request_type_name(enum ndis_request_type t)
{
    switch (t) {
    case NDIS_REQUEST_QUERY_INFORMATION:
        return "QUERY";
    case NDIS_REQUEST_SET_INFORMATION:
        return "SET";
    case NDIS_REQUEST_QUERY_STATISTICS:
        return "STATS";
    case NDIS_REQUEST_METHOD:
        return "METHOD";
    }
    return "TYPE?";
}

uint8_t
ndis_request_type_bit(enum ndis_request_type t)
{
    switch (t) {
    case NDIS_REQUEST_QUERY_INFORMATION:
    case NDIS_REQUEST_QUERY_STATISTICS:
        return NDIS_OID_Q;
    case NDIS_REQUEST_SET_INFORMATION:
        return NDIS_OID_S;
    case NDIS_REQUEST_METHOD:
        return NDIS_OID_M;
    }
    return 0;
}
