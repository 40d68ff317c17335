/* SPDX-License-Identifier: MIT */
/*
 * ctrlpath.c — MiniportOidRequest of the VF miniport. NDIS answers the VF's capability and
 * serial-number queries itself from the registered attributes (OID_SRIOV_HARDWARE_/
 * CURRENT_CAPABILITIES, OID_SRIOV_VF_SERIAL_NUMBER); what reaches this handler is listed below,
 * each case saying what the OID means and what this VF does with it.
 *
 * Windows counterpart: netvmini's ctrlpath.c (MiniportOidRequest -> per-OID handlers).
 * Not here because ndis_shim's OID table does not carry them yet: OID_802_3_CURRENT_ADDRESS /
 * OID_GEN_* (a MAC change is requested with vf_adapter_set_mac()).
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

ndis_status_t
vf__oid_request(void *ctx, struct ndis_oid_request *req)
{
    struct vf_adapter *a = ctx;
    if (a->removed)
        return NDIS_STATUS_ADAPTER_REMOVED;

    switch (req->oid) {
    case OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK: {
        /* NDIS (only NDIS issues it) relays NdisMInvalidateConfigBlock from the PF: the PF
         * changed the config blocks whose bits are set. This VF re-reads block 0 (its MAC)
         * over the backchannel and completes the OID when the read is answered; other blocks
         * carry nothing it uses. Pends while a read is outstanding. */
        const struct ndis_sriov_vf_invalidate_config_block_info *info = req->information_buffer;
        req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
        req->bytes_written = 0;
        if (info->block_mask == 0)
            return NDIS_STATUS_INVALID_PARAMETER;
        if (a->inval_oid != NULL)
            return NDIS_STATUS_BUSY; /* NDIS serialises OIDs; a second one cannot be pending */
        unsigned n = vf__mbx_reread_blocks(a, info->block_mask);
        if (n == 0)
            return NDIS_STATUS_SUCCESS;
        a->inval_oid = req;
        a->inval_reads = n;
        return NDIS_STATUS_PENDING;
    }
    case OID_SRIOV_CONFIG_STATE: {
        /* The virtualization stack says a config block's state changed (BlockId, Length).
         * Handled as an invalidation of that one block (ids >= 64 carry nothing we use). */
        const struct ndis_sriov_config_state_parameters *p = req->information_buffer;
        req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_CONFIG_STATE_PARAMETERS_REVISION_1;
        if (p->block_id < 64)
            (void)vf__mbx_reread_blocks(a, UINT64_C(1) << p->block_id);
        return NDIS_STATUS_SUCCESS;
    }
    case OID_SRIOV_OVERLYING_ADAPTER_INFO:
        /* NDIS 6.70: tells the VF which adapter (NetVSC's) sits above it. Nothing in this
         * driver depends on it: accepted and ignored. */
        req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1;
        return NDIS_STATUS_SUCCESS;
    case OID_RECEIVE_FILTER_ALLOCATE_QUEUE:
    case OID_RECEIVE_FILTER_FREE_QUEUE:
    case OID_RECEIVE_FILTER_QUEUE_PARAMETERS:
    case OID_RECEIVE_FILTER_SET_FILTER:
    case OID_RECEIVE_FILTER_CLEAR_FILTER:
    case OID_RECEIVE_FILTER_ENUM_QUEUES:
    case OID_RECEIVE_FILTER_ENUM_FILTERS:
    case OID_RECEIVE_FILTER_PARAMETERS:
    case OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE:
    case OID_RECEIVE_FILTER_CURRENT_CAPABILITIES:
        /* VMQ / receive filtering: a VF miniport must not advertise VMQ (§6.4); the VF's
         * filters belong to the PF's NIC switch. */
        return NDIS_STATUS_NOT_SUPPORTED;
    default:
        /* Everything else (PF-only OIDs never get here: NDIS rejects them first). */
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}
