/* SPDX-License-Identifier: MIT */
/*
 * ndis_shim/oid.h — OID numbers, NDIS_OBJECT_HEADER, the SR-IOV structures and the OID
 * metadata table (request types, who handles the OID, expected header, minimum lengths).
 *
 * Windows counterpart: ntddndis.h (OID_*, NDIS_* structures, NDIS_SIZEOF_*_REVISION_n).
 * Numbers are the real ones from reference/ndis_sriov.md §2; structures keep the field order
 * of §5 with fixed-width types and natural (x64) alignment. NDIS_SIZEOF_X_REVISION_n is
 * "size through the last member of revision n" (RTL_SIZEOF_THROUGH_FIELD), computed from our
 * layout; the reference gives no numeric SIZEOF values, so these are the simulator's
 * authoritative minimum lengths (see README.md for the two INFERRED sub-layouts).
 */
#ifndef SRIOVSIM_NDIS_SHIM_OID_H
#define SRIOVSIM_NDIS_SHIM_OID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndis_shim/status.h"

typedef uint32_t ndis_oid_t;

/* ---- §2.1 identifiers and special values ------------------------------------------------ */
#define NDIS_PF_FUNCTION_ID            ((uint16_t)0xFFFFu)
#define NDIS_INVALID_VF_FUNCTION_ID    ((uint16_t)0xFFFFu)
#define NDIS_INVALID_RID               ((uint32_t)0xFFFFFFFFu)
#define NDIS_DEFAULT_VPORT_ID          0u
#define NDIS_INVALID_VPORT_ID          ((uint32_t)0xFFFFFFFFu)
#define NDIS_DEFAULT_SWITCH_ID         0u
#define NDIS_INVALID_SWITCH_ID         ((uint32_t)0xFFFFFFFFu)
#define NDIS_DEFAULT_RECEIVE_QUEUE_ID  0u /* INFERRED from usage (§2.1) */
#define NDIS_DEFAULT_RECEIVE_FILTER_ID 0u /* caller passes it; NDIS assigns 1..N */

#define NDIS_NIC_SWITCH_TYPE_UNSPECIFIED 0u
#define NDIS_NIC_SWITCH_TYPE_EXTERNAL    1u
#define NDIS_NIC_SWITCH_TYPE_MAX         2u

#define NDIS_NIC_SWITCH_VPORT_STATE_UNDEFINED   0u
#define NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED   1u
#define NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED 2u
#define NDIS_NIC_SWITCH_VPORT_STATE_MAXIMUM     3u

#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_UNDEFINED 0u
#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_ADAPTIVE  1u
#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_OFF       2u
#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_LOW       100u
#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_MEDIUM    200u
#define NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION_HIGH      300u

#define NDIS_NIC_SWITCH_PARAMETERS_DEFAULT_NUMBER_OF_QUEUE_PAIRS_FOR_DEFAULT_VPORT 1u

#define NDIS_DEVICE_POWER_STATE_UNSPECIFIED 0u
#define NDIS_DEVICE_POWER_STATE_D0          1u
#define NDIS_DEVICE_POWER_STATE_D1          2u
#define NDIS_DEVICE_POWER_STATE_D2          3u
#define NDIS_DEVICE_POWER_STATE_D3          4u
#define NDIS_DEVICE_POWER_STATE_MAXIMUM     5u

#define NDIS_OBJECT_TYPE_DEFAULT     0x80u
#define NDIS_OBJECT_TYPE_OID_REQUEST 0x96u

/* NDIS_REQUEST_TYPE (§2.1) */
enum ndis_request_type {
    NDIS_REQUEST_QUERY_INFORMATION = 0, /* NdisRequestQueryInformation */
    NDIS_REQUEST_SET_INFORMATION = 1,   /* NdisRequestSetInformation */
    NDIS_REQUEST_QUERY_STATISTICS = 2,  /* NdisRequestQueryStatistics */
    NDIS_REQUEST_METHOD = 12,           /* NdisRequestMethod */
};

/* Flags of §4.2 / §5 ([HDR] values). */
#define NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED             0x00010000u
#define NDIS_NIC_SWITCH_PARAMETERS_CHANGE_MASK                     0xFFFF0000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_LOOKAHEAD_SPLIT_ENABLED       0x00000001u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_PACKET_DIRECT_RX_ONLY         0x00000002u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_ENFORCE_MAX_SG_LIST           0x00008000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_FLAGS_CHANGED                 0x00010000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED                  0x00020000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED               0x00040000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED                 0x00080000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED    0x00100000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_NDK_PARAMS_CHANGED            0x00200000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_QOS_SQ_ID_CHANGED             0x00400000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_NUM_QUEUE_PAIRS_CHANGED       0x00800000u
#define NDIS_NIC_SWITCH_VPORT_PARAMS_CHANGE_MASK                   0xFFFF0000u
#define NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION 0x00000001u
#define NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_SWITCH   0x00000002u
#define NDIS_NIC_SWITCH_VF_INFO_ARRAY_ENUM_ON_SPECIFIC_SWITCH      0x00000001u
#define NDIS_SRIOV_CAPS_SRIOV_SUPPORTED                            0x00000001u
#define NDIS_SRIOV_CAPS_PF_MINIPORT                                0x00000002u
#define NDIS_SRIOV_CAPS_VF_MINIPORT                                0x00000004u
#define NDIS_OID_REQUEST_FLAGS_VPORT_ID_VALID                      0x0001u

/* ---- §2.2 OID numbers -------------------------------------------------------------------- */
#define OID_RECEIVE_FILTER_ALLOCATE_QUEUE            0x00010223u
#define OID_RECEIVE_FILTER_FREE_QUEUE                0x00010224u
#define OID_RECEIVE_FILTER_ENUM_QUEUES               0x00010225u
#define OID_RECEIVE_FILTER_QUEUE_PARAMETERS          0x00010226u
#define OID_RECEIVE_FILTER_SET_FILTER                0x00010227u
#define OID_RECEIVE_FILTER_CLEAR_FILTER              0x00010228u
#define OID_RECEIVE_FILTER_ENUM_FILTERS              0x00010229u
#define OID_RECEIVE_FILTER_PARAMETERS                0x0001022Au
#define OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE 0x0001022Bu
#define OID_RECEIVE_FILTER_CURRENT_CAPABILITIES      0x0001022Du
#define OID_NIC_SWITCH_HARDWARE_CAPABILITIES         0x0001022Eu
#define OID_NIC_SWITCH_CURRENT_CAPABILITIES          0x0001022Fu
#define OID_RECEIVE_FILTER_MOVE_FILTER               0x00010230u
#define OID_NIC_SWITCH_CREATE_SWITCH                 0x00010237u
#define OID_NIC_SWITCH_PARAMETERS                    0x00010238u
#define OID_NIC_SWITCH_DELETE_SWITCH                 0x00010239u
#define OID_NIC_SWITCH_ENUM_SWITCHES                 0x00010240u
#define OID_NIC_SWITCH_CREATE_VPORT                  0x00010241u
#define OID_NIC_SWITCH_VPORT_PARAMETERS              0x00010242u
#define OID_NIC_SWITCH_ENUM_VPORTS                   0x00010243u
#define OID_NIC_SWITCH_DELETE_VPORT                  0x00010244u
#define OID_NIC_SWITCH_ALLOCATE_VF                   0x00010245u
#define OID_NIC_SWITCH_FREE_VF                       0x00010246u
#define OID_NIC_SWITCH_VF_PARAMETERS                 0x00010247u
#define OID_NIC_SWITCH_ENUM_VFS                      0x00010248u
#define OID_SRIOV_HARDWARE_CAPABILITIES              0x00010249u
#define OID_SRIOV_CURRENT_CAPABILITIES               0x00010250u
#define OID_SRIOV_READ_VF_CONFIG_SPACE               0x00010251u
#define OID_SRIOV_WRITE_VF_CONFIG_SPACE              0x00010252u
#define OID_SRIOV_READ_VF_CONFIG_BLOCK               0x00010253u
#define OID_SRIOV_WRITE_VF_CONFIG_BLOCK              0x00010254u
#define OID_SRIOV_RESET_VF                           0x00010255u
#define OID_SRIOV_SET_VF_POWER_STATE                 0x00010256u
#define OID_SRIOV_VF_VENDOR_DEVICE_ID                0x00010257u
#define OID_SRIOV_PROBED_BARS                        0x00010258u
#define OID_SRIOV_BAR_RESOURCES                      0x00010259u
#define OID_SRIOV_PF_LUID                            0x00010260u
#define OID_SRIOV_CONFIG_STATE                       0x00010261u
#define OID_SRIOV_VF_SERIAL_NUMBER                   0x00010262u
#define OID_SRIOV_OVERLYING_ADAPTER_INFO             0x00010268u
#define OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK         0x00010269u
#define OID_SWITCH_NIC_ARRAY                         0x00010277u
#define OID_SWITCH_NIC_SAVE                          0x00010290u
#define OID_SWITCH_NIC_SAVE_COMPLETE                 0x00010291u
#define OID_SWITCH_NIC_RESTORE                       0x00010292u
#define OID_SWITCH_NIC_RESTORE_COMPLETE              0x00010293u
#define OID_SWITCH_NIC_UPDATED                       0x00010294u
#define OID_SWITCH_NIC_SUSPEND                       0x00010297u
#define OID_SWITCH_NIC_RESUME                        0x00010298u
#define OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_STARTED   0x00010299u
#define OID_SWITCH_NIC_SUSPENDED_LM_SOURCE_FINISHED  0x0001029Au

/* ---- §3.3 / §5 structures ---------------------------------------------------------------- */
/* NDIS_OBJECT_HEADER: Size is the size of the whole enclosing structure. */
struct ndis_object_header {
    uint8_t type;
    uint8_t revision;
    uint16_t size;
};

#define NDIS_SIZEOF_THROUGH(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* NDIS_IF_COUNTED_STRING (also NDIS_VM_NAME, NDIS_VM_FRIENDLYNAME, NDIS_SWITCH_NIC_NAME,
 * NDIS_VPORT_NAME, NDIS_NIC_SWITCH_FRIENDLYNAME): USHORT Length (bytes) + WCHAR[257].
 * Layout from the WDK (IF_MAX_STRING_SIZE 256), not from the reference (INFERRED). */
#define NDIS_IF_MAX_STRING_SIZE 256
struct ndis_if_counted_string {
    uint16_t length; /* in bytes, without terminator */
    uint16_t string[NDIS_IF_MAX_STRING_SIZE + 1];
};
#define NDIS_MAX_PHYS_ADDRESS_LENGTH 32 /* IF_MAX_PHYS_ADDRESS_LENGTH (WDK; INFERRED) */

/* GROUP_AFFINITY: KAFFINITY Mask; USHORT Group; USHORT Reserved[3]. */
struct ndis_group_affinity {
    uint64_t mask;
    uint16_t group;
    uint16_t reserved[3];
};

struct ndis_luid {
    uint32_t low_part;
    int32_t high_part;
};

struct ndis_nic_switch_parameters { /* NDIS_NIC_SWITCH_PARAMETERS */
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_type;
    uint32_t switch_id;
    struct ndis_if_counted_string switch_friendly_name;
    uint32_t num_vfs;
    uint32_t ndis_reserved1, ndis_reserved2, ndis_reserved3;
    uint32_t num_queue_pairs_for_default_vport; /* REVISION_2 (6.60) */
};
#define NDIS_NIC_SWITCH_PARAMETERS_REVISION_1 1
#define NDIS_NIC_SWITCH_PARAMETERS_REVISION_2 2
#define NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1                                               \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_parameters, ndis_reserved3)
#define NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_2                                               \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_parameters, num_queue_pairs_for_default_vport)

struct ndis_nic_switch_delete_switch_parameters {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_id;
};
#define NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1                                 \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_delete_switch_parameters, switch_id)

struct ndis_nic_switch_info {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_type;
    uint32_t switch_id;
    struct ndis_if_counted_string switch_friendly_name;
    uint32_t num_vfs;
    uint32_t num_allocated_vfs;
    uint32_t num_vports;
    uint32_t num_active_vports;
    uint32_t num_queue_pairs_for_default_vport;
    uint32_t num_queue_pairs_for_non_default_vports;
    uint32_t num_active_default_vport_mac_addresses;
    uint32_t num_active_non_default_vport_mac_addresses;
    uint32_t num_active_default_vport_vlan_ids;
    uint32_t num_active_non_default_vport_vlan_ids;
};
#define NDIS_NIC_SWITCH_INFO_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1                                                     \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_info, num_active_non_default_vport_vlan_ids)

struct ndis_nic_switch_info_array {
    struct ndis_object_header header;
    uint32_t first_element_offset;
    uint32_t num_elements;
    uint32_t element_size;
};
#define NDIS_NIC_SWITCH_INFO_ARRAY_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1                                               \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_info_array, element_size)

struct ndis_nic_switch_vport_parameters {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_id;
    uint32_t vport_id; /* in/out: NDIS assigns it on CREATE_VPORT */
    struct ndis_if_counted_string vport_name;
    uint16_t attached_function_id;
    uint32_t num_queue_pairs;
    uint32_t interrupt_moderation;
    uint32_t vport_state;
    struct ndis_group_affinity processor_affinity;
    uint32_t lookahead_size; /* must be 0 */
    /* REVISION_2 (6.50: NdkParams, QosSqId) is not modelled; a REVISION_2 struct is read as
     * REVISION_1 (the rule of §3.3 for higher revisions). */
};
#define NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1                                         \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_vport_parameters, lookahead_size)

struct ndis_nic_switch_delete_vport_parameters {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t vport_id;
};
#define NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1                                  \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_delete_vport_parameters, vport_id)

struct ndis_nic_switch_vport_info {
    struct ndis_object_header header;
    uint32_t vport_id;
    uint32_t flags;
    uint32_t switch_id;
    struct ndis_if_counted_string vport_name;
    uint16_t attached_function_id;
    uint32_t num_queue_pairs;
    uint32_t interrupt_moderation;
    uint32_t vport_state;
    struct ndis_group_affinity processor_affinity;
    uint32_t lookahead_size;
    uint32_t num_filters;
};
#define NDIS_NIC_SWITCH_VPORT_INFO_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1                                               \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_vport_info, num_filters)

struct ndis_nic_switch_vport_info_array {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_id;
    uint16_t attached_function_id;
    uint32_t first_element_offset;
    uint32_t num_elements;
    uint32_t element_size;
};
#define NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1                                         \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_vport_info_array, element_size)

struct ndis_nic_switch_vf_parameters { /* also NDIS_NIC_SWITCH_VF_INFO (same members) */
    struct ndis_object_header header;
    uint32_t flags; /* reserved for NDIS */
    uint32_t switch_id;
    struct ndis_if_counted_string vm_name;
    struct ndis_if_counted_string vm_friendly_name;
    struct ndis_if_counted_string nic_name;
    uint16_t mac_address_length;
    uint8_t permanent_mac_address[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    uint8_t current_mac_address[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    uint16_t vf_id;        /* in: NDIS_INVALID_VF_FUNCTION_ID; out: zero-based VF index */
    uint32_t requestor_id; /* in: NDIS_INVALID_RID; out: the VF's RID */
};
#define NDIS_NIC_SWITCH_VF_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1                                            \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_vf_parameters, requestor_id)
#define ndis_nic_switch_vf_info                   ndis_nic_switch_vf_parameters
#define NDIS_NIC_SWITCH_VF_INFO_REVISION_1        1
#define NDIS_SIZEOF_NIC_SWITCH_VF_INFO_REVISION_1 NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1

struct ndis_nic_switch_free_vf_parameters {
    struct ndis_object_header header;
    uint32_t flags;
    uint16_t vf_id;
};
#define NDIS_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1                                       \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_free_vf_parameters, vf_id)

struct ndis_nic_switch_vf_info_array {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t switch_id;
    uint32_t first_element_offset;
    uint32_t num_elements;
    uint32_t element_size;
};
#define NDIS_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1 1
#define NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1                                            \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_vf_info_array, element_size)

struct ndis_sriov_capabilities {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t sriov_capabilities; /* NDIS_SRIOV_CAPS_* */
};
#define NDIS_SRIOV_CAPABILITIES_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1                                                  \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_capabilities, sriov_capabilities)

/* NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS / ..._WRITE_... (data at BufferOffset). */
struct ndis_sriov_vf_config_space_parameters {
    struct ndis_object_header header;
    uint16_t vf_id;
    uint32_t offset;
    uint32_t length;
    uint32_t buffer_offset;
};
#define NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1  1
#define NDIS_SRIOV_WRITE_VF_CONFIG_SPACE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1                                    \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_vf_config_space_parameters, buffer_offset)

/* NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS / ..._WRITE_... (data at BufferOffset). */
struct ndis_sriov_vf_config_block_parameters {
    struct ndis_object_header header;
    uint16_t vf_id;
    uint32_t block_id;
    uint32_t length;
    uint32_t buffer_offset;
};
#define NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1  1
#define NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1                                    \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_vf_config_block_parameters, buffer_offset)

struct ndis_sriov_reset_vf_parameters { /* no Flags member */
    struct ndis_object_header header;
    uint16_t vf_id;
};
#define NDIS_SRIOV_RESET_VF_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1                                           \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_reset_vf_parameters, vf_id)

struct ndis_sriov_set_vf_power_state_parameters {
    struct ndis_object_header header;
    uint16_t vf_id;
    uint32_t power_state; /* NDIS_DEVICE_POWER_STATE_* */
    uint8_t wake_enable;  /* BOOLEAN; must be FALSE for D0 */
};
#define NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1                                 \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_set_vf_power_state_parameters, wake_enable)

struct ndis_sriov_config_state_parameters {
    struct ndis_object_header header;
    uint32_t block_id;
    uint32_t length;
};
#define NDIS_SRIOV_CONFIG_STATE_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_CONFIG_STATE_PARAMETERS_REVISION_1                                       \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_config_state_parameters, length)

struct ndis_sriov_vf_vendor_device_id_info {
    struct ndis_object_header header;
    uint16_t vf_id;
    uint16_t vendor_id; /* out */
    uint16_t device_id; /* out */
};
#define NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1                                      \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_vf_vendor_device_id_info, device_id)

#define NDIS_PCI_TYPE0_ADDRESSES 6
struct ndis_sriov_probed_bars_info { /* followed by ULONG[PCI_TYPE0_ADDRESSES] */
    struct ndis_object_header header;
    uint32_t base_register_values_offset;
};
#define NDIS_SRIOV_PROBED_BARS_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1                                              \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_probed_bars_info, base_register_values_offset)

/* CM_PARTIAL_RESOURCE_DESCRIPTOR (pack(4), memory form): WDK layout, INFERRED. */
#define NDIS_CM_RESOURCE_TYPE_MEMORY 3
struct ndis_cm_partial_resource_descriptor {
    uint8_t type; /* CmResourceTypeMemory */
    uint8_t share_disposition;
    uint16_t flags;
    uint32_t start_low; /* PHYSICAL_ADDRESS, split because of pack(4) */
    uint32_t start_high;
    uint32_t length;
    uint32_t reserved;
};

struct ndis_sriov_bar_resources_info { /* followed by a CM_PARTIAL_RESOURCE_DESCRIPTOR */
    struct ndis_object_header header;
    uint16_t vf_id;
    uint16_t bar_index;
    uint32_t bar_resources_offset;
};
#define NDIS_SRIOV_BAR_RESOURCES_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1                                            \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_bar_resources_info, bar_resources_offset)

struct ndis_sriov_pf_luid_info {
    struct ndis_object_header header;
    struct ndis_luid luid;
};
#define NDIS_SRIOV_PF_LUID_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1                                                  \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_pf_luid_info, luid)

struct ndis_sriov_vf_serial_number_info {
    struct ndis_object_header header;
    uint32_t serial_number;
};
#define NDIS_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1                                         \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_vf_serial_number_info, serial_number)

struct ndis_sriov_overlying_adapter_info { /* NDIS 6.70, VF-only */
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t if_index;
    uint32_t reserved1, reserved2;
};
#define NDIS_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1                                        \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_overlying_adapter_info, reserved2)

struct ndis_sriov_vf_invalidate_config_block_info {
    struct ndis_object_header header;
    uint64_t block_mask; /* one bit per block, first 64 blocks */
};
#define NDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1 1
#define NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1                               \
    NDIS_SIZEOF_THROUGH(struct ndis_sriov_vf_invalidate_config_block_info, block_mask)

struct ndis_receive_filter_move_filter_parameters {
    struct ndis_object_header header;
    uint32_t filter_id;
    uint32_t source_queue_id;
    uint32_t source_vport_id;
    uint32_t dest_queue_id;
    uint32_t dest_vport_id;
};
#define NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1                               \
    NDIS_SIZEOF_THROUGH(struct ndis_receive_filter_move_filter_parameters, dest_vport_id)

#define NDIS_RECEIVE_FILTER_TYPE_VMQUEUE 1u /* NdisReceiveFilterTypeVMQueue (INFERRED value) */
struct ndis_receive_filter_parameters {     /* followed by the field-parameter array */
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t filter_type;
    uint32_t queue_id;
    uint32_t filter_id; /* in: NDIS_DEFAULT_RECEIVE_FILTER_ID; out: assigned id */
    uint32_t field_parameters_array_offset;
    uint32_t field_parameters_array_num_elements;
    uint32_t field_parameters_array_element_size;
    uint32_t requested_filter_id_bit_count; /* must be 0 since 6.20 */
    uint32_t max_coalescing_delay;          /* REVISION_2 (6.30) */
    uint32_t vport_id;                      /* REVISION_2 (6.30) */
};
#define NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_1 1
#define NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2 2
#define NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_1                                           \
    NDIS_SIZEOF_THROUGH(struct ndis_receive_filter_parameters, requested_filter_id_bit_count)
#define NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2                                           \
    NDIS_SIZEOF_THROUGH(struct ndis_receive_filter_parameters, vport_id)

struct ndis_receive_filter_clear_parameters {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t queue_id;
    uint32_t filter_id;
};
#define NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1 1
#define NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1                                     \
    NDIS_SIZEOF_THROUGH(struct ndis_receive_filter_clear_parameters, filter_id)

struct ndis_nic_switch_capabilities {
    struct ndis_object_header header;
    uint32_t flags;
    uint32_t ndis_reserved1;
    uint32_t num_total_mac_addresses;    /* 0 for revision >= 2 */
    uint32_t num_mac_addresses_per_port; /* 0 for revision >= 2 */
    uint32_t num_vlans_per_port;         /* 0 for revision >= 2 */
    uint32_t ndis_reserved2, ndis_reserved3;
    /* REVISION_2 (6.30) */
    uint32_t nic_switch_capabilities;
    uint32_t max_num_switches;
    uint32_t max_num_vports;
    uint32_t ndis_reserved4;
    uint32_t max_num_vfs;
    uint32_t max_num_queue_pairs;
    uint32_t ndis_reserved5, ndis_reserved6, ndis_reserved7;
    uint32_t max_num_queue_pairs_per_non_default_vport;
    uint32_t ndis_reserved8, ndis_reserved9, ndis_reserved10, ndis_reserved11, ndis_reserved12;
    uint32_t max_num_mac_addresses;
    uint32_t ndis_reserved13, ndis_reserved14, ndis_reserved15, ndis_reserved16, ndis_reserved17;
    /* REVISION_3 (6.60) */
    uint32_t max_num_rss_capable_non_default_pf_vports;
    uint32_t number_of_indirection_table_entries_for_default_vport;
    uint32_t number_of_indirection_table_entries_per_non_default_pf_vport;
    uint32_t max_num_queue_pairs_for_default_vport;
};
#define NDIS_NIC_SWITCH_CAPABILITIES_REVISION_1 1
#define NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2 2
#define NDIS_NIC_SWITCH_CAPABILITIES_REVISION_3 3
#define NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1                                             \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_capabilities, ndis_reserved3)
#define NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2                                             \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_capabilities, ndis_reserved17)
#define NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3                                             \
    NDIS_SIZEOF_THROUGH(struct ndis_nic_switch_capabilities, max_num_queue_pairs_for_default_vport)

/* ---- the OID metadata table -------------------------------------------------------------- */
/* Request-type bits (Q/S/M of [MS:sr-iov-oids]); QueryStatistics counts as Q. */
#define NDIS_OID_Q 0x1u
#define NDIS_OID_S 0x2u
#define NDIS_OID_M 0x4u

/* Which function an OID may be issued to ("P" / "V" of the SR-IOV OID table). */
enum ndis_oid_target {
    NDIS_OID_TARGET_ANY = 0, /* any miniport */
    NDIS_OID_TARGET_PF = 1,  /* issued only to a PF miniport */
    NDIS_OID_TARGET_VF = 2,  /* issued only to a VF miniport */
};

/* Flags of struct ndis_oid_info. */
#define NDIS_OID_F_SRIOV                     0x01u /* NOT_SUPPORTED unless SR-IOV is enabled on the target */
#define NDIS_OID_F_NDIS_ISSUER               0x02u /* only NDIS may issue it (not protocols / filters) */
#define NDIS_OID_F_NO_HEADER                 0x04u /* input has no NDIS_OBJECT_HEADER we know to check */
#define NDIS_OID_F_SHORT_IS_BUFFER_TOO_SHORT 0x08u /* short buffer -> BUFFER_TOO_SHORT */

struct ndis_oid_info {
    ndis_oid_t oid;
    const char *name;          /* "OID_NIC_SWITCH_ALLOCATE_VF" */
    uint8_t request_types;     /* NDIS_OID_Q|S|M accepted by the dispatcher */
    uint8_t ndis_handles;      /* subset of request_types that NDIS itself answers ("N") */
    uint8_t target;            /* enum ndis_oid_target */
    uint8_t flags;             /* NDIS_OID_F_* */
    uint8_t header_type;       /* expected Header.Type of the input (NDIS_OBJECT_TYPE_DEFAULT) */
    uint8_t min_revision;      /* lowest accepted Header.Revision (>= 1) */
    uint8_t max_revision;      /* highest revision we know (higher ones are read as this) */
    uint16_t min_length[3];    /* NDIS_SIZEOF_..._REVISION_1..3 (0: revision not defined) */
    uint16_t trailing_length;  /* fixed data that must follow the struct (PROBED_BARS, ...) */
    const char *buffer_struct; /* "NDIS_NIC_SWITCH_VF_PARAMETERS", for diagnostics */
};

/* Metadata of an OID, NULL if the OID is not in the table. */
const struct ndis_oid_info *ndis_oid_info(ndis_oid_t oid);
/* "OID_NIC_SWITCH_ALLOCATE_VF"; NULL if unknown. */
const char *ndis_oid_name(ndis_oid_t oid);
/* Parse "OID_SRIOV_RESET_VF" (or a number) into an OID; false if unknown/malformed. */
bool ndis_oid_parse(const char *text, ndis_oid_t *out);
size_t ndis_oid_count(void);
const struct ndis_oid_info *ndis_oid_at(size_t i);
/* Minimum buffer length for `revision` (clamped to [min_revision, max_revision]), including
 * trailing_length. */
uint32_t ndis_oid_min_length(const struct ndis_oid_info *info, uint8_t revision);
/* "QUERY", "SET", "STATS", "METHOD" or "TYPE?". */
const char *ndis_request_type_name(enum ndis_request_type t);
/* NDIS_OID_Q/S/M bit of a request type (0 for an invalid one). */
uint8_t ndis_request_type_bit(enum ndis_request_type t);

/* ---- §3.3 object-header validation ------------------------------------------------------- */
/* Check the NDIS_OBJECT_HEADER at the start of buf (len bytes) against the OID's metadata, as
 * NDIS does before any handler runs (§3.3):
 *   len < sizeof(header) or < min length of the lowest revision -> short_status (INVALID_LENGTH
 *       or BUFFER_TOO_SHORT) with *bytes_needed = minimum;
 *   Type != expected, Revision < min (incl. 0), Size < NDIS_SIZEOF_..._REVISION_n
 *       -> NDIS_STATUS_INVALID_PARAMETER;
 *   Size > len or len < min length of the header's revision -> short status, *bytes_needed set.
 * A revision above max_revision is read as max_revision. On success *revision_out (may be
 * NULL) gets the revision the struct will be interpreted as. `rule` (may be NULL) gets a
 * static string naming the broken rule. */
ndis_status_t ndis_objhdr_check(const struct ndis_oid_info *info, const void *buf, uint32_t len,
                                uint32_t *bytes_needed, uint8_t *revision_out, const char **rule);
/* Fill a header: type, revision, size. */
void ndis_objhdr_init(struct ndis_object_header *h, uint8_t type, uint8_t revision, uint16_t size);

#endif /* SRIOVSIM_NDIS_SHIM_OID_H */
