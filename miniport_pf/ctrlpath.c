/* SPDX-License-Identifier: MIT */
/*
 * ctrlpath.c — MiniportOidRequest: one `case` per OID, each saying what the OID means and what
 * this device does with it. The handlers live with their objects (switch.c, vf.c, vport.c,
 * filter.c); this file is the map a newcomer greps.
 *
 * Windows counterpart: ctrlpath.c of the netvmini sample (MPOidRequest -> MpQueryInformation /
 * MpSetInformation / MpMethodRequest) with the SR-IOV OIDs of reference/ndis_sriov.md §4.
 *
 * Before any handler runs, NDIS (ndis_shim's dispatcher) has validated the request: request
 * header, known OID, request type, PF-only target, SR-IOV enabled, issuer, buffer length and the
 * structure's NDIS_OBJECT_HEADER; for several OIDs also the ids (§15). The handlers still check
 * everything they rely on — a PF miniport cannot assume a perfect NDIS — and refuse with the
 * status the OID's page documents plus a human reason (pf_adapter_last_refusal).
 */
#include "miniport_pf/pf_int.h"

ndis_status_t
pf__oid_request(struct pf_adapter *a, struct ndis_oid_request *req)
{
    bool set = req->request_type == NDIS_REQUEST_SET_INFORMATION;
    bool method = req->request_type == NDIS_REQUEST_METHOD;
    ndis_status_t st;

    a->stats.oids++;
    if (a->removed)
        return pf__refuse(a, req, NDIS_STATUS_ADAPTER_REMOVED, "the adapter was surprise-removed",
                          "%s: the adapter was surprise-removed", pf__oid_short(req->oid));
    if (a->pending != NULL)
        return pf__refuse(a, req, NDIS_STATUS_NOT_ACCEPTED, "another OID is still pending",
                          "%s: %s is still pending (NDIS serialises OIDs; this is a framework bug)",
                          pf__oid_short(req->oid), pf__oid_short(a->pending->oid));

    switch (req->oid) {
    /* ---- NIC switch ------------------------------------------------------------------------ */
    case OID_NIC_SWITCH_CREATE_SWITCH:
        /* Method, issued by NDIS only: create the default NIC switch (dynamic creation, §6.3
         * step 4). This device: NdisMEnableVirtualization(NumVFs) sets NumVFs + VF Enable in
         * the SR-IOV capability, then the SWITCH_CREATE command builds the switch with the
         * default VPort 0 on PF queue pairs; completes (pended) once the device answered and the
         * 100 ms VF-enable delay has passed, so the VFs answer when ALLOCATE_VF comes. */
        st = pf__create_switch(a, req);
        break;
    case OID_NIC_SWITCH_DELETE_SWITCH:
        /* Set, NDIS only: delete the switch and its default VPort. NDIS guarantees no filter,
         * non-default VPort or VF is left (§4.2); we check again. This device: SWITCH_DELETE
         * command, then NdisMEnableVirtualization(0, FALSE) clears VF Enable (dynamic mode). */
        st = pf__delete_switch(a, req);
        break;
    case OID_NIC_SWITCH_PARAMETERS:
        /* Method (get) is answered by NDIS from its cache; set reaches the PF: only members
         * with a defined *_CHANGED flag may change — since WS2012 only SwitchName. This device
         * keeps the name in software: SUCCESS without touching hardware. */
        st = set ? pf__switch_parameters_set(a, req) : pf__switch_parameters_get(a, req);
        break;
    case OID_NIC_SWITCH_ENUM_SWITCHES:
        /* Query, answered by NDIS ("N"): the one default switch. If it reaches us, we answer
         * from our own state (NDIS_NIC_SWITCH_INFO_ARRAY + one NDIS_NIC_SWITCH_INFO). */
        st = pf__enum_switches(a, req);
        break;
    case OID_NIC_SWITCH_HARDWARE_CAPABILITIES:
    case OID_NIC_SWITCH_CURRENT_CAPABILITIES:
    case OID_SRIOV_HARDWARE_CAPABILITIES:
    case OID_SRIOV_CURRENT_CAPABILITIES:
        /* Query, answered by NDIS from the capabilities registered at init (§6.1): hardware
         * caps always, current caps only with *SRIOV = 1. This device registers
         * SRIOV_SUPPORTED|PF_MINIPORT and NIC switch caps read from its CAP_* registers; if the
         * query reaches us we answer the same from the device's figures. */
        st = pf_oid_answer_local(a, req);
        break;

    /* ---- VFs --------------------------------------------------------------------------------- */
    case OID_NIC_SWITCH_ALLOCATE_VF:
        /* Method, from the virtualization stack: allocate the software resources of a VF
         * (hardware ones came with VF Enable), return its zero-based VFId and its RID
         * (NdisMGetVirtualFunctionLocation + NDIS_MAKE_RID). This device: the lowest free VF
         * index below NumVFs; RID from the SR-IOV capability's offset/stride; the VF's
         * parameters are frozen from now on (§7.1). Synchronous. */
        st = pf__allocate_vf(a, req);
        break;
    case OID_NIC_SWITCH_FREE_VF:
        /* Set: free a VF. FILE_NOT_FOUND if it is not allocated or still has a VPort (§4.2),
         * and — our reading of §7.3 step 3 — if it was not reset (RESET_VF) since it last
         * could have run. Synchronous: the hardware resources stay with VF Enable. */
        st = pf__free_vf(a, req);
        break;
    case OID_NIC_SWITCH_VF_PARAMETERS:
        /* Method (get), answered by NDIS: the parameters of an allocated VF. Immutable after
         * allocation (§7.1): a set is refused by NDIS (request type) and by us. */
        st = method ? pf__vf_parameters(a, req)
                    : pf__refuse(a, req, NDIS_STATUS_NOT_SUPPORTED,
                                 "VF parameters are immutable after allocation (§7.1)",
                                 "VF_PARAMETERS: a VF's parameters cannot change after "
                                 "ALLOCATE_VF (§7.1)");
        break;
    case OID_NIC_SWITCH_ENUM_VFS:
        /* Method, answered by NDIS: every allocated VF (NDIS_NIC_SWITCH_VF_INFO_ARRAY). */
        st = pf__enum_vfs(a, req);
        break;
    case OID_SRIOV_RESET_VF:
        /* Set: PCIe Function Level Reset of the VF (§4.2, §12.5): quiesces it and clears its
         * pending interrupts, affects no other function. This device: a real FLR through the
         * fabric (Initiate FLR, 100 ms bound); pended, completed when the fabric reports the FLR
         * done: SUCCESS, or FAILURE if the VF missed the 100 ms bound. */
        st = pf__reset_vf(a, req);
        break;
    case OID_SRIOV_SET_VF_POWER_STATE:
        /* Set: follow the child partition's power state (D0..D3, WakeEnable FALSE for D0).
         * This device: PMCSR of the VF's PCI PM capability through config space. */
        st = pf__set_vf_power_state(a, req);
        break;
    case OID_SRIOV_READ_VF_CONFIG_SPACE:
        /* Method: the guest's NdisMGetBusData on its VF, proxied by the virtualization stack.
         * This device: NdisMGetVirtualFunctionBusData -> config reads of the VF's RID. */
        st = pf__vf_config_space(a, req, false);
        break;
    case OID_SRIOV_WRITE_VF_CONFIG_SPACE:
        /* Set: the guest's NdisMSetBusData on its VF. NdisMSetVirtualFunctionBusData. */
        st = pf__vf_config_space(a, req, true);
        break;
    case OID_SRIOV_READ_VF_CONFIG_BLOCK:
        /* Method: backchannel read (the VF's NdisMReadConfigBlock, §8). This device keeps
         * PF_CFG_BLOCKS blocks per VF in PF memory; block 0 = MAC, 1 = VPort. */
        st = pf__vf_config_block(a, req, false);
        break;
    case OID_SRIOV_WRITE_VF_CONFIG_BLOCK:
        /* Set: backchannel write (the VF's NdisMWriteConfigBlock). Stored in the block. */
        st = pf__vf_config_block(a, req, true);
        break;
    case OID_SRIOV_VF_VENDOR_DEVICE_ID:
        /* Method: the PCI ids the guest enumerates the VF with. This device returns the PF's
         * vendor id and the SR-IOV capability's VF Device ID (same driver family). */
        st = pf__vf_vendor_device_id(a, req);
        break;
    case OID_SRIOV_PROBED_BARS:
        /* Query, NDIS only: what a BAR probe of the adapter reads, for the guest's VPCI. This
         * device: NdisMQueryProbedBars = probe of the SR-IOV VF BAR templates. */
        st = pf__probed_bars(a, req);
        break;
    case OID_SRIOV_BAR_RESOURCES:
        /* Method, NDIS only: the system physical address and length of one VF BAR, as a
         * CM_PARTIAL_RESOURCE_DESCRIPTOR. This device: IOV BAR base + VFId x BAR size. */
        st = pf__bar_resources(a, req);
        break;
    case OID_SRIOV_PF_LUID:
        /* Query, answered by NDIS: it generated the PF LUID before MiniportInitializeEx. The
         * miniport has nothing to add. */
        st = pf__refuse(a, req, NDIS_STATUS_NOT_SUPPORTED, "NDIS answers OID_SRIOV_PF_LUID",
                        "PF_LUID: NDIS generates and answers the PF LUID");
        break;

    /* ---- VPorts ------------------------------------------------------------------------------ */
    case OID_NIC_SWITCH_CREATE_VPORT:
        /* Method: create a non-default VPort with the VPortId NDIS assigned, attached to the PF
         * or to an allocated VF; at most one per VF; attachment immutable (§4.2). This device:
         * VPORT_CREATE command (VF VPorts activated + anti-spoof on the VF's MAC; PF VPorts on
         * free PF queue pairs, activated only if asked); pended until the device answers. */
        st = pf__create_vport(a, req);
        break;
    case OID_NIC_SWITCH_DELETE_VPORT:
        /* Set: delete a non-default VPort; never the default; its filters must be cleared or
         * moved first. This device: VPORT_DELETE command; pended. */
        st = pf__delete_vport(a, req);
        break;
    case OID_NIC_SWITCH_VPORT_PARAMETERS:
        /* Method (get) answered by NDIS; set reaches the PF: name, interrupt moderation,
         * state (Deactivated -> Activated only, never back; a VF VPort is always Activated),
         * processor affinity (PF VPorts only). Attachment and queue pairs are immutable. This
         * device: a state change is a VPORT_SET command (pended); the rest is software. */
        st = set ? pf__vport_parameters_set(a, req) : pf__vport_parameters_get(a, req);
        break;
    case OID_NIC_SWITCH_ENUM_VPORTS:
        /* Method/query, answered by NDIS: the VPorts (all, of one function, of the switch). */
        st = pf__enum_vports(a, req);
        break;

    /* ---- receive filters --------------------------------------------------------------------- */
    case OID_RECEIVE_FILTER_SET_FILTER:
        /* Method: set a MAC and/or VLAN filter on a VPort's default queue (VMQueue filter type,
         * fields ANDed, §11.1). NDIS assigns the FilterId (1..N, unique on the adapter) and
         * the PF keeps it. This device: FILTER_SET with that id; pended. */
        st = pf__set_filter(a, req);
        break;
    case OID_RECEIVE_FILTER_CLEAR_FILTER:
        /* Set: clear a filter; FILE_NOT_FOUND for an unknown FilterId. FILTER_CLEAR; pended. */
        st = pf__clear_filter(a, req);
        break;
    case OID_RECEIVE_FILTER_MOVE_FILTER:
        /* Set, PF only: move a filter to another VPort atomically — no window in which its
         * MAC/VLAN matches nothing or both (§4.2). This device: one FILTER_MOVE command, whose
         * single store re-points the filter; pended. */
        st = pf__move_filter(a, req);
        break;
    case OID_RECEIVE_FILTER_ALLOCATE_QUEUE:
    case OID_RECEIVE_FILTER_FREE_QUEUE:
    case OID_RECEIVE_FILTER_ENUM_QUEUES:
    case OID_RECEIVE_FILTER_QUEUE_PARAMETERS:
    case OID_RECEIVE_FILTER_ENUM_FILTERS:
    case OID_RECEIVE_FILTER_PARAMETERS:
    case OID_RECEIVE_FILTER_QUEUE_ALLOCATION_COMPLETE:
    case OID_RECEIVE_FILTER_CURRENT_CAPABILITIES:
        /* VMQ queue management: with SR-IOV only the default queue of each VPort exists
         * (§4.2 SET_FILTER) and this device reports NumQueues = 0, so none of these apply. */
        st = pf__refuse(a, req, NDIS_STATUS_NOT_SUPPORTED,
                        "VMQ queues are not used with SR-IOV (NumQueues = 0)",
                        "%s: VMQ receive queues are not supported by this PF (SR-IOV uses only "
                        "each VPort's default queue)",
                        pf__oid_short(req->oid));
        break;

    default:
        /* Anything else: not an OID this miniport knows. */
        st = pf__refuse(a, req, NDIS_STATUS_INVALID_OID, "OID not handled by the PF miniport",
                        "OID 0x%08X (%s) is not handled by this PF miniport", req->oid,
                        ndis_oid_name(req->oid) ? ndis_oid_name(req->oid) : "unknown");
        break;
    }
    if (st == NDIS_STATUS_PENDING) {
        a->stats.oids_pended++;
        a->pending = req;
    }
    return st;
}
