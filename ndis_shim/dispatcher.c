/* SPDX-License-Identifier: MIT */
/*
 * dispatcher.c — the OID dispatcher ("NDIS" between an overlying driver and a miniport):
 * validates every request before any handler runs, decides who handles it (NDIS itself, the
 * PF miniport, the VF miniport), serialises requests per miniport, lets handlers pend and
 * complete exactly once, delivers completions from the loop, and records everything in the
 * trace. It also keeps what NDIS learns from completed SR-IOV OIDs (switch, VFs, VPorts) to
 * answer the "N" OIDs and to check IDs, and assigns VPort ids (§4.2, §15).
 *
 * Windows counterpart: ndis.sys's NdisOidRequest / ndisMDispatchRequest path and
 * NdisMOidRequestComplete; the SR-IOV interception described in reference/ndis_sriov.md §3-4.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ndis_int.h"

/* ---- validation (no side effects except bytes_needed / rule) ------------------------------ */

/* Refuse `req` with status st and a reason naming the object and the rule it breaks. */
static ndis_status_t SIM_PRINTF(3, 4)
    reject(struct ndis_oid_request *req, ndis_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->reason, sizeof req->reason, fmt, ap);
    va_end(ap);
    req->rule = req->reason;
    return st;
}

void
ndis_oid_request_set_reason(struct ndis_oid_request *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->reason, sizeof req->reason, fmt, ap);
    va_end(ap);
    req->rule = req->reason;
}

ndis_status_t
ndis_oid_request_validate(const struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    req->bytes_needed = 0;
    req->rule = NULL;
    /* The NDIS_OID_REQUEST's own header (§3.1). */
    if (req->header.type != NDIS_OBJECT_TYPE_OID_REQUEST)
        return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                      "NDIS_OID_REQUEST Header.Type is not NDIS_OBJECT_TYPE_OID_REQUEST");
    if (req->header.revision < NDIS_OID_REQUEST_REVISION_1)
        return reject(req, NDIS_STATUS_INVALID_PARAMETER, "NDIS_OID_REQUEST Header.Revision is 0");
    if (req->header.size < NDIS_SIZEOF_OID_REQUEST_REVISION_1 ||
        (req->header.revision >= NDIS_OID_REQUEST_REVISION_2 &&
         req->header.size < NDIS_SIZEOF_OID_REQUEST_REVISION_2))
        return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                      "NDIS_OID_REQUEST Header.Size is smaller than its revision's size");
    if (mp->removed)
        return reject(req, NDIS_STATUS_ADAPTER_REMOVED, "the adapter was surprise-removed");
    const struct ndis_oid_info *info = ndis_oid_info(req->oid);
    if (info == NULL)
        return reject(req, NDIS_STATUS_INVALID_OID, "OID not recognised");
    uint8_t bit = ndis_request_type_bit(req->request_type);
    if ((bit & info->request_types) == 0)
        return reject(req, NDIS_STATUS_NOT_SUPPORTED,
                      "request type not accepted for this OID (see the OID table, §4.1)");
    if (info->target == NDIS_OID_TARGET_PF && mp->kind != NDIS_MINIPORT_PF)
        return reject(req, NDIS_STATUS_NOT_SUPPORTED, "OID is issued only to a PF miniport");
    if (info->target == NDIS_OID_TARGET_VF && mp->kind != NDIS_MINIPORT_VF)
        return reject(req, NDIS_STATUS_NOT_SUPPORTED, "OID is issued only to a VF miniport");
    if ((info->flags & NDIS_OID_F_SRIOV) && !mp->sriov_enabled)
        return reject(req, NDIS_STATUS_NOT_SUPPORTED, "SR-IOV is not enabled on this miniport");
    if ((info->flags & NDIS_OID_F_NDIS_ISSUER) && req->priv.from_protocol)
        return reject(req, NDIS_STATUS_NOT_SUPPORTED,
                      "only NDIS issues this OID (not protocols or filters)");
    if (req->information_buffer == NULL && req->information_buffer_length != 0)
        return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                      "InformationBuffer is NULL but its length is not 0");
    if (req->request_type == NDIS_REQUEST_METHOD &&
        req->input_buffer_length > req->information_buffer_length)
        return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                      "InputBufferLength exceeds OutputBufferLength (one shared buffer)");
    if (bit == NDIS_OID_Q) {
        /* Query: the buffer is output only; it must hold the structure. */
        uint32_t min = ndis_oid_min_length(info, info->min_revision);
        if (req->information_buffer_length < min) {
            req->bytes_needed = min;
            return reject(req,
                          (info->flags & NDIS_OID_F_SHORT_IS_BUFFER_TOO_SHORT)
                              ? NDIS_STATUS_BUFFER_TOO_SHORT
                              : NDIS_STATUS_INVALID_LENGTH,
                          "information buffer shorter than the structure");
        }
        req->priv.revision = info->min_revision;
        return NDIS_STATUS_SUCCESS;
    }
    /* Set / Method: the input starts with an NDIS_OBJECT_HEADER (§3.3). */
    const char *rule = NULL;
    ndis_status_t st = ndis_objhdr_check(info, req->information_buffer, ndis__input_length(req),
                                         &req->bytes_needed, &req->priv.revision, &rule);
    if (st != NDIS_STATUS_SUCCESS)
        return reject(req, st, "%s", rule);
    return NDIS_STATUS_SUCCESS;
}

/* ---- the NDIS registry and NDIS-side checks ----------------------------------------------- */

static bool
registry_on(const struct ndis_miniport *mp)
{
    return mp->kind == NDIS_MINIPORT_PF && mp->vports != NULL;
}

static struct ndis_vf_entry *
vf_entry(struct ndis_miniport *mp, uint32_t vf_id)
{
    if (!registry_on(mp) || vf_id >= mp->vf_slots || !mp->vfs[vf_id].allocated)
        return NULL;
    return &mp->vfs[vf_id];
}

static struct ndis_vport_entry *
vport_entry(struct ndis_miniport *mp, uint32_t vport_id)
{
    if (!registry_on(mp) || vport_id >= mp->vport_slots || !mp->vports[vport_id].used)
        return NULL;
    return &mp->vports[vport_id];
}

/* The non-default VPort attached to VF vf_id, or 0 (the default VPort never attaches a VF). */
static uint32_t
vf_vport_id(const struct ndis_miniport *mp, uint16_t vf_id)
{
    for (uint32_t i = 1; i < mp->vport_slots; i++)
        if (mp->vports[i].used && mp->vports[i].params.attached_function_id == vf_id)
            return i;
    return 0;
}

static bool
vf_has_vport(const struct ndis_miniport *mp, uint16_t vf_id)
{
    return vf_vport_id(mp, vf_id) != 0;
}

static uint32_t
vport_filter_count(const struct ndis_miniport *mp, uint32_t vport_id)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < mp->filter_slots; i++)
        n += mp->filters[i].used && mp->filters[i].vport_id == vport_id;
    return n;
}

static struct ndis_filter_entry *
filter_entry(struct ndis_miniport *mp, uint32_t filter_id)
{
    if (filter_id == 0 || filter_id > mp->filter_slots || !mp->filters[filter_id - 1].used)
        return NULL;
    return &mp->filters[filter_id - 1];
}

ndis_status_t
ndis__preprocess(struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    if (!registry_on(mp))
        return NDIS_STATUS_SUCCESS;
    void *buf = req->information_buffer;
    bool set = req->request_type == NDIS_REQUEST_SET_INFORMATION;
    switch (req->oid) {
    case OID_NIC_SWITCH_CREATE_SWITCH: {
        /* NDIS fills SwitchType External and SwitchId default; one switch only (§4.2). */
        struct ndis_nic_switch_parameters p;
        memcpy(&p, buf, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
        if (mp->switch_created)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "the default switch already exists");
        if (p.switch_id != NDIS_DEFAULT_SWITCH_ID || p.switch_type != NDIS_NIC_SWITCH_TYPE_EXTERNAL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "SwitchId must be NDIS_DEFAULT_SWITCH_ID and SwitchType External");
        if (p.num_vfs > mp->vf_slots)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "NumVFs exceeds the registered MaxNumVFs");
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_DELETE_SWITCH: {
        /* FILE_NOT_FOUND for invalid DELETE_SWITCH_PARAMETERS members (§4.2); NDIS
         * guarantees no VF / non-default VPort is left before issuing it. */
        struct ndis_nic_switch_delete_switch_parameters p;
        memcpy(&p, buf, sizeof p);
        if (!mp->switch_created || p.switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_FILE_NOT_FOUND, "no switch with that SwitchId");
        for (uint32_t i = 0; i < mp->vf_slots; i++)
            if (mp->vfs[i].allocated)
                return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a VF is still allocated (INFERRED status)");
        for (uint32_t i = 1; i < mp->vport_slots; i++)
            if (mp->vports[i].used)
                return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a non-default VPort exists (INFERRED status)");
        for (uint32_t i = 0; i < mp->filter_slots; i++)
            if (mp->filters[i].used)
                return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a receive filter is set (INFERRED status)");
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        /* NDIS verifies the VF parameters and fails INVALID_PARAMETER without forwarding. */
        struct ndis_nic_switch_vf_parameters *p = buf;
        if (!mp->switch_created || p->switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "ALLOCATE_VF: SwitchId is not a created switch");
        if (p->vf_id != NDIS_INVALID_VF_FUNCTION_ID || p->requestor_id != NDIS_INVALID_RID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "ALLOCATE_VF: VFId/RequestorId must be NDIS_INVALID_VF_FUNCTION_ID/"
                          "NDIS_INVALID_RID on input");
        if (p->mac_address_length > NDIS_MAX_PHYS_ADDRESS_LENGTH)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "ALLOCATE_VF: MacAddressLength too large");
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_FREE_VF: {
        /* FILE_NOT_FOUND: VF not allocated, or it still has VPorts (§4.2). */
        struct ndis_nic_switch_free_vf_parameters p;
        memcpy(&p, buf, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        if (vf_entry(mp, p.vf_id) == NULL)
            return reject(req, NDIS_STATUS_FILE_NOT_FOUND, "FREE_VF vf=%u: VF was not allocated",
                          (unsigned)p.vf_id);
        if (vf_has_vport(mp, p.vf_id))
            return reject(req, NDIS_STATUS_FILE_NOT_FOUND,
                          "FREE_VF vf=%u: VF still has VPort %u attached (delete it first)",
                          (unsigned)p.vf_id, (unsigned)vf_vport_id(mp, p.vf_id));
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        /* NDIS validates, then assigns a VPortId unique on the switch (1..NumVPorts-1). */
        struct ndis_nic_switch_vport_parameters *p = buf;
        if (!mp->switch_created || p->switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "CREATE_VPORT: SwitchId is not a created switch");
        if (p->attached_function_id != NDIS_PF_FUNCTION_ID) {
            if (vf_entry(mp, p->attached_function_id) == NULL)
                return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                              "CREATE_VPORT vf=%u: AttachedFunctionId is not an allocated VF",
                              (unsigned)p->attached_function_id);
            if (vf_has_vport(mp, p->attached_function_id))
                return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                              "CREATE_VPORT vf=%u: VF already has VPort %u (only one non-default "
                              "VPort may attach to a VF)",
                              (unsigned)p->attached_function_id,
                              (unsigned)vf_vport_id(mp, p->attached_function_id));
        }
        if (p->lookahead_size != 0)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "CREATE_VPORT: LookaheadSize != 0");
        if (p->num_queue_pairs == 0)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "CREATE_VPORT: NumQueuePairs is 0");
        for (uint32_t id = 1; id < mp->vport_slots; id++) {
            if (!mp->vports[id].used) {
                p->vport_id = id;
                return NDIS_STATUS_SUCCESS;
            }
        }
        return reject(req, NDIS_STATUS_RESOURCES, "CREATE_VPORT: every VPortId is in use");
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        struct ndis_nic_switch_delete_vport_parameters p;
        memcpy(&p, buf, sizeof p);
        if (p.vport_id == NDIS_DEFAULT_VPORT_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "DELETE_VPORT: the default VPort is deleted only by DELETE_SWITCH");
        if (vport_entry(mp, p.vport_id) == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "DELETE_VPORT vport=%u: no such VPort", (unsigned)p.vport_id);
        if (vport_filter_count(mp, p.vport_id) != 0)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "DELETE_VPORT vport=%u: %u receive filter(s) still set; clear or move "
                          "them first (INFERRED status)",
                          (unsigned)p.vport_id, (unsigned)vport_filter_count(mp, p.vport_id));
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_VPORT_PARAMETERS: {
        struct ndis_nic_switch_vport_parameters *p = buf;
        struct ndis_vport_entry *v = vport_entry(mp, p->vport_id);
        if (v == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "VPORT_PARAMETERS: no such VPortId");
        if (set && (p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED) &&
            v->params.vport_state == NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED &&
            p->vport_state != NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "VPORT_PARAMETERS: an Activated VPort never returns to Deactivated");
        return NDIS_STATUS_SUCCESS;
    }
    case OID_RECEIVE_FILTER_MOVE_FILTER: {
        /* NDIS validates before forwarding: both VPorts exist, default queues only. */
        struct ndis_receive_filter_move_filter_parameters p;
        memcpy(&p, buf, sizeof p);
        if (p.source_queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
            p.dest_queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "MOVE_FILTER: queue ids must be NDIS_DEFAULT_RECEIVE_QUEUE_ID");
        if (vport_entry(mp, p.source_vport_id) == NULL || vport_entry(mp, p.dest_vport_id) == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "MOVE_FILTER: source or destination VPort does not exist");
        struct ndis_filter_entry *f = filter_entry(mp, p.filter_id);
        if (f == NULL || f->vport_id != p.source_vport_id)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "MOVE_FILTER: FilterId is not set on the source VPort");
        return NDIS_STATUS_SUCCESS;
    }
    case OID_RECEIVE_FILTER_SET_FILTER: {
        /* NDIS verifies, then assigns a FilterId unique on the adapter (§4.2). Checked once the
         * NIC switch exists (SR-IOV mode); before that the request goes to the miniport as is. */
        if (!mp->switch_created)
            return NDIS_STATUS_SUCCESS;
        struct ndis_receive_filter_parameters *p = buf;
        uint32_t vport = req->priv.revision >= NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2
                             ? p->vport_id
                             : NDIS_DEFAULT_VPORT_ID;
        if (p->filter_id != NDIS_DEFAULT_RECEIVE_FILTER_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "SET_FILTER: FilterId must be NDIS_DEFAULT_RECEIVE_FILTER_ID on input");
        if (p->queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "SET_FILTER: only the default queue of a VPort is supported");
        if (p->requested_filter_id_bit_count != 0)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "SET_FILTER: RequestedFilterIdBitCount must be 0");
        if (vport_entry(mp, vport) == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "SET_FILTER: no such VPortId");
        for (uint32_t i = 0; i < mp->filter_slots; i++) {
            if (!mp->filters[i].used) {
                p->filter_id = i + 1;
                return NDIS_STATUS_SUCCESS;
            }
        }
        return reject(req, NDIS_STATUS_RESOURCES, "SET_FILTER: every FilterId is in use");
    }
    case OID_RECEIVE_FILTER_CLEAR_FILTER: {
        /* FILE_NOT_FOUND for an invalid filter id (§4.2). */
        if (!mp->switch_created)
            return NDIS_STATUS_SUCCESS;
        struct ndis_receive_filter_clear_parameters p;
        memcpy(&p, buf, sizeof p);
        if (filter_entry(mp, p.filter_id) == NULL)
            return reject(req, NDIS_STATUS_FILE_NOT_FOUND, "CLEAR_FILTER: no such FilterId");
        return NDIS_STATUS_SUCCESS;
    }
    default:
        return NDIS_STATUS_SUCCESS;
    }
}

void
ndis__postprocess(struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    if (!registry_on(mp))
        return;
    void *buf = req->information_buffer;
    switch (req->oid) {
    case OID_NIC_SWITCH_CREATE_SWITCH: {
        /* The switch and its default VPort (attached to the PF, always Activated) exist. */
        mp->switch_created = true;
        memset(&mp->switch_params, 0, sizeof mp->switch_params);
        memcpy(&mp->switch_params, buf, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
        struct ndis_vport_entry *d = &mp->vports[NDIS_DEFAULT_VPORT_ID];
        memset(d, 0, sizeof *d);
        d->used = true;
        d->params.header.type = NDIS_OBJECT_TYPE_DEFAULT;
        d->params.header.revision = NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
        d->params.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
        d->params.switch_id = NDIS_DEFAULT_SWITCH_ID;
        d->params.vport_id = NDIS_DEFAULT_VPORT_ID;
        d->params.attached_function_id = NDIS_PF_FUNCTION_ID;
        d->params.num_queue_pairs =
            NDIS_NIC_SWITCH_PARAMETERS_DEFAULT_NUMBER_OF_QUEUE_PAIRS_FOR_DEFAULT_VPORT;
        d->params.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
        break;
    }
    case OID_RECEIVE_FILTER_SET_FILTER: {
        const struct ndis_receive_filter_parameters *p = buf;
        if (mp->switch_created && p->filter_id >= 1 && p->filter_id <= mp->filter_slots) {
            mp->filters[p->filter_id - 1].used = true;
            mp->filters[p->filter_id - 1].vport_id =
                req->priv.revision >= NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2
                    ? p->vport_id
                    : NDIS_DEFAULT_VPORT_ID;
        }
        break;
    }
    case OID_RECEIVE_FILTER_CLEAR_FILTER: {
        const struct ndis_receive_filter_clear_parameters *p = buf;
        struct ndis_filter_entry *f = filter_entry(mp, p->filter_id);
        if (f != NULL)
            f->used = false;
        break;
    }
    case OID_RECEIVE_FILTER_MOVE_FILTER: {
        const struct ndis_receive_filter_move_filter_parameters *p = buf;
        struct ndis_filter_entry *f = filter_entry(mp, p->filter_id);
        if (f != NULL)
            f->vport_id = p->dest_vport_id;
        break;
    }
    case OID_NIC_SWITCH_DELETE_SWITCH:
        mp->switch_created = false;
        mp->vports[NDIS_DEFAULT_VPORT_ID].used = false;
        break;
    case OID_NIC_SWITCH_PARAMETERS:
        if (req->request_type == NDIS_REQUEST_SET_INFORMATION) {
            const struct ndis_nic_switch_parameters *p = buf;
            if (p->flags & NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED)
                mp->switch_params.switch_friendly_name = p->switch_friendly_name;
        }
        break;
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        const struct ndis_nic_switch_vf_parameters *p = buf;
        if (p->vf_id < mp->vf_slots) {
            mp->vfs[p->vf_id].allocated = true;
            mp->vfs[p->vf_id].params = *p;
        } else {
            SIM_WARN(ndis, "%s: ALLOCATE_VF completed with VFId %u beyond MaxNumVFs %u", mp->name,
                     p->vf_id, mp->vf_slots);
        }
        break;
    }
    case OID_NIC_SWITCH_FREE_VF: {
        const struct ndis_nic_switch_free_vf_parameters *p = buf;
        if (p->vf_id < mp->vf_slots)
            mp->vfs[p->vf_id].allocated = false;
        break;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        const struct ndis_nic_switch_vport_parameters *p = buf;
        if (p->vport_id < mp->vport_slots) {
            mp->vports[p->vport_id].used = true;
            memset(&mp->vports[p->vport_id].params, 0, sizeof mp->vports[p->vport_id].params);
            memcpy(&mp->vports[p->vport_id].params, p,
                   NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
        }
        break;
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        const struct ndis_nic_switch_delete_vport_parameters *p = buf;
        if (p->vport_id < mp->vport_slots && p->vport_id != NDIS_DEFAULT_VPORT_ID)
            mp->vports[p->vport_id].used = false;
        break;
    }
    case OID_NIC_SWITCH_VPORT_PARAMETERS:
        if (req->request_type == NDIS_REQUEST_SET_INFORMATION) {
            const struct ndis_nic_switch_vport_parameters *p = buf;
            struct ndis_vport_entry *v = vport_entry(mp, p->vport_id);
            if (v == NULL)
                break;
            if (p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED)
                v->params.vport_name = p->vport_name;
            if (p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED)
                v->params.interrupt_moderation = p->interrupt_moderation;
            if (p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED)
                v->params.vport_state = p->vport_state;
            if (p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED)
                v->params.processor_affinity = p->processor_affinity;
        }
        break;
    default:
        break;
    }
}

/* ---- OIDs NDIS answers itself ("N") ------------------------------------------------------- */

static ndis_status_t
answer_copy(struct ndis_oid_request *req, const void *src, uint32_t size)
{
    if (req->information_buffer_length < size) {
        req->bytes_needed = size;
        return reject(req, NDIS_STATUS_INVALID_LENGTH,
                      "information buffer too short for the answer");
    }
    memcpy(req->information_buffer, src, size);
    req->bytes_written = size;
    return NDIS_STATUS_SUCCESS;
}

static void
vport_info_from(struct ndis_nic_switch_vport_info *vi, const struct ndis_vport_entry *v,
                uint32_t num_filters)
{
    memset(vi, 0, sizeof *vi);
    vi->header.type = NDIS_OBJECT_TYPE_DEFAULT;
    vi->header.revision = NDIS_NIC_SWITCH_VPORT_INFO_REVISION_1;
    vi->header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1;
    vi->vport_id = v->params.vport_id;
    vi->flags = v->params.flags & 0xFFFFu;
    vi->switch_id = v->params.switch_id;
    vi->vport_name = v->params.vport_name;
    vi->attached_function_id = v->params.attached_function_id;
    vi->num_queue_pairs = v->params.num_queue_pairs;
    vi->interrupt_moderation = v->params.interrupt_moderation;
    vi->vport_state = v->params.vport_state;
    vi->processor_affinity = v->params.processor_affinity;
    vi->lookahead_size = v->params.lookahead_size;
    vi->num_filters = num_filters;
}

ndis_status_t
ndis__answer(struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    uint8_t *buf = req->information_buffer;
    uint32_t len = req->information_buffer_length;
    bool method = req->request_type == NDIS_REQUEST_METHOD;
    switch (req->oid) {
    case OID_SRIOV_HARDWARE_CAPABILITIES:
    case OID_SRIOV_CURRENT_CAPABILITIES: {
        /* NDIS answers from NdisMSetMiniportAttributes data (§4.2). */
        if (mp->sriov_caps == 0)
            return reject(req, NDIS_STATUS_NOT_SUPPORTED, "the miniport registered no SR-IOV caps");
        struct ndis_sriov_capabilities c = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_SRIOV_CAPABILITIES_REVISION_1,
                       (uint16_t)NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1},
            .sriov_capabilities = mp->sriov_caps,
        };
        return answer_copy(req, &c, NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1);
    }
    case OID_NIC_SWITCH_HARDWARE_CAPABILITIES:
    case OID_NIC_SWITCH_CURRENT_CAPABILITIES: {
        if (mp->nic_switch_caps.header.revision == 0)
            return reject(req, NDIS_STATUS_NOT_SUPPORTED,
                          "the miniport registered no NIC switch caps");
        return answer_copy(req, &mp->nic_switch_caps, mp->nic_switch_caps.header.size);
    }
    case OID_SRIOV_PF_LUID: {
        struct ndis_sriov_pf_luid_info l = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_SRIOV_PF_LUID_INFO_REVISION_1,
                       (uint16_t)NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1},
            .luid = mp->pf_luid,
        };
        return answer_copy(req, &l, NDIS_SIZEOF_SRIOV_PF_LUID_INFO_REVISION_1);
    }
    case OID_SRIOV_VF_SERIAL_NUMBER: {
        struct ndis_sriov_vf_serial_number_info s = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1,
                       (uint16_t)NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1},
            .serial_number = mp->vf_serial_number,
        };
        return answer_copy(req, &s, NDIS_SIZEOF_SRIOV_VF_SERIAL_NUMBER_INFO_REVISION_1);
    }
    default:
        break;
    }
    if (!registry_on(mp))
        return reject(req, NDIS_STATUS_NOT_SUPPORTED,
                      "NDIS has no NIC switch data for this miniport (no NIC switch caps)");
    switch (req->oid) {
    case OID_NIC_SWITCH_PARAMETERS: { /* method: get */
        const struct ndis_nic_switch_parameters *in = (const void *)buf;
        if (!mp->switch_created || in->switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "no switch with that SwitchId");
        req->bytes_read = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
        return answer_copy(req, &mp->switch_params, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    }
    case OID_NIC_SWITCH_ENUM_SWITCHES: {
        uint32_t n = mp->switch_created ? 1 : 0;
        uint32_t esz = (uint32_t)sizeof(struct ndis_nic_switch_info);
        uint32_t need = (uint32_t)sizeof(struct ndis_nic_switch_info_array) + n * esz;
        if (len < need) {
            req->bytes_needed = need;
            return reject(req, NDIS_STATUS_INVALID_LENGTH, "buffer too short for the switch array");
        }
        struct ndis_nic_switch_info_array a = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_NIC_SWITCH_INFO_ARRAY_REVISION_1,
                       (uint16_t)NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1},
            .first_element_offset = (uint32_t)sizeof a,
            .num_elements = n,
            .element_size = esz,
        };
        memcpy(buf, &a, sizeof a);
        if (n == 1) {
            struct ndis_nic_switch_info si;
            memset(&si, 0, sizeof si);
            si.header.type = NDIS_OBJECT_TYPE_DEFAULT;
            si.header.revision = NDIS_NIC_SWITCH_INFO_REVISION_1;
            si.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
            si.switch_type = mp->switch_params.switch_type;
            si.switch_id = mp->switch_params.switch_id;
            si.switch_friendly_name = mp->switch_params.switch_friendly_name;
            si.num_vfs = mp->switch_params.num_vfs;
            for (uint32_t i = 0; i < mp->vf_slots; i++)
                si.num_allocated_vfs += mp->vfs[i].allocated;
            si.num_vports = mp->vport_slots;
            for (uint32_t i = 0; i < mp->vport_slots; i++)
                si.num_active_vports += mp->vports[i].used;
            si.num_queue_pairs_for_default_vport =
                NDIS_NIC_SWITCH_PARAMETERS_DEFAULT_NUMBER_OF_QUEUE_PAIRS_FOR_DEFAULT_VPORT;
            memcpy(buf + sizeof a, &si, sizeof si);
        }
        req->bytes_written = need;
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_VF_PARAMETERS: { /* method: get one VF by VFId */
        const struct ndis_nic_switch_vf_parameters *in = (const void *)buf;
        struct ndis_vf_entry *v = vf_entry(mp, in->vf_id);
        if (v == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "VF_PARAMETERS: only allocated VFs can be queried");
        req->bytes_read = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
        return answer_copy(req, &v->params, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    }
    case OID_NIC_SWITCH_ENUM_VFS: {
        const struct ndis_nic_switch_vf_info_array *in = (const void *)buf;
        if (in->switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "ENUM_VFS: SwitchId must be NDIS_DEFAULT_SWITCH_ID");
        uint32_t n = 0;
        for (uint32_t i = 0; i < mp->vf_slots; i++)
            n += mp->vfs[i].allocated;
        uint32_t esz = (uint32_t)sizeof(struct ndis_nic_switch_vf_info);
        uint32_t need = (uint32_t)sizeof(struct ndis_nic_switch_vf_info_array) + n * esz;
        req->bytes_read = NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
        if (len < need) {
            req->bytes_needed = need;
            return reject(req, NDIS_STATUS_INVALID_LENGTH, "buffer too short for the VF array");
        }
        struct ndis_nic_switch_vf_info_array a = *in;
        a.first_element_offset = (uint32_t)sizeof a;
        a.num_elements = n;
        a.element_size = esz;
        memcpy(buf, &a, sizeof a);
        uint8_t *p = buf + sizeof a;
        for (uint32_t i = 0; i < mp->vf_slots; i++) {
            if (mp->vfs[i].allocated) {
                memcpy(p, &mp->vfs[i].params, esz);
                p += esz;
            }
        }
        req->bytes_written = need;
        return NDIS_STATUS_SUCCESS;
    }
    case OID_NIC_SWITCH_VPORT_PARAMETERS: { /* method: get one VPort */
        const struct ndis_nic_switch_vport_parameters *in = (const void *)buf;
        struct ndis_vport_entry *v = vport_entry(mp, in->vport_id);
        if (v == NULL)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER, "VPORT_PARAMETERS: no such VPortId");
        req->bytes_read = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
        return answer_copy(req, &v->params, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    }
    case OID_NIC_SWITCH_ENUM_VPORTS: {
        struct ndis_nic_switch_vport_info_array a;
        memset(&a, 0, sizeof a);
        if (method)
            memcpy(&a, buf, sizeof a);
        if ((a.flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_SWITCH) &&
            a.switch_id != NDIS_DEFAULT_SWITCH_ID)
            return reject(req, NDIS_STATUS_INVALID_PARAMETER,
                          "ENUM_VPORTS: SwitchId must be NDIS_DEFAULT_SWITCH_ID");
        bool by_fn = (a.flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION) != 0;
        uint32_t n = 0;
        for (uint32_t i = 0; i < mp->vport_slots; i++)
            if (mp->vports[i].used &&
                (!by_fn || mp->vports[i].params.attached_function_id == a.attached_function_id))
                n++;
        uint32_t esz = (uint32_t)sizeof(struct ndis_nic_switch_vport_info);
        uint32_t need = (uint32_t)sizeof a + n * esz;
        if (method)
            req->bytes_read = NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
        if (len < need) {
            req->bytes_needed = need;
            return reject(req, NDIS_STATUS_INVALID_LENGTH, "buffer too short for the VPort array");
        }
        a.header.type = NDIS_OBJECT_TYPE_DEFAULT;
        a.header.revision = NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
        a.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
        a.first_element_offset = (uint32_t)sizeof a;
        a.num_elements = n;
        a.element_size = esz;
        memcpy(buf, &a, sizeof a);
        uint8_t *p = buf + sizeof a;
        for (uint32_t i = 0; i < mp->vport_slots; i++) {
            if (mp->vports[i].used &&
                (!by_fn || mp->vports[i].params.attached_function_id == a.attached_function_id)) {
                struct ndis_nic_switch_vport_info vi;
                vport_info_from(&vi, &mp->vports[i], vport_filter_count(mp, i));
                memcpy(p, &vi, esz);
                p += esz;
            }
        }
        req->bytes_written = need;
        return NDIS_STATUS_SUCCESS;
    }
    default:
        return reject(req, NDIS_STATUS_NOT_SUPPORTED, "NDIS does not answer this OID");
    }
}

/* ---- dispatch, completion, the pump ------------------------------------------------------- */

static void
finish(struct ndis_miniport *mp, struct ndis_oid_request *req, ndis_status_t st, bool forwarded)
{
    if (mp->active == req)
        mp->active = NULL;
    req->status = st;
    if (forwarded && st == NDIS_STATUS_SUCCESS)
        ndis__postprocess(mp, req);
    if (st == NDIS_STATUS_INVALID_LENGTH || st == NDIS_STATUS_BUFFER_TOO_SHORT)
        req->bytes_written = 0; /* meaningless with INVALID_LENGTH (§3.1); keep it 0 */
    ndis__trace_request(mp->trace, mp, req, NDIS_TRACE_COMPLETION);
    ndis__observe_complete(mp, req, forwarded);
    if (SIM_UNLIKELY(sim_log_is_enabled(&sim_log_ns_ndis, SIM_LOG_DEBUG))) {
        char sb[16];
        SIM_DEBUG(ndis, "%s <- %s %s %s -> %s%s%s", mp->name, req->requester,
                  ndis_request_type_name(req->request_type),
                  ndis_oid_name(req->oid) ? ndis_oid_name(req->oid) : "OID?",
                  ndis_status_str(st, sb, sizeof sb), req->rule ? ": " : "",
                  req->rule ? req->rule : "");
    }
    mp->stats.completions++;
    req->priv.state = NDIS_OID_REQUEST_IDLE;
    req->priv.mp = NULL;
    req->priv.next = NULL;
    req->cb(req, st); /* the issuer may reuse or free req from here on */
}

static struct ndis_fault *
fault_find(struct ndis_miniport *mp, ndis_oid_t oid)
{
    for (size_t i = 0; i < NDIS_FAULT_MAX; i++)
        if (mp->faults[i].oid == oid && oid != 0)
            return &mp->faults[i];
    return NULL;
}

static void
dispatch(struct ndis_miniport *mp, struct ndis_oid_request *req)
{
    req->bytes_written = 0;
    req->bytes_read = 0;
    req->bytes_needed = 0;
    req->rule = NULL;
    req->priv.fault = false;
    ndis__trace_request(mp->trace, mp, req, NDIS_TRACE_REQUEST);
    ndis__observe_request(mp, req);
    ndis_status_t st = ndis_oid_request_validate(mp, req);
    if (st == NDIS_STATUS_SUCCESS) {
        struct ndis_fault *f = fault_find(mp, req->oid);
        if (f != NULL) {
            st = f->status;
            req->priv.fault = true;
            req->rule = "injected fault (ndis_miniport_fault_oid)";
            mp->stats.faults_injected++;
            if (f->remaining > 0 && --f->remaining == 0)
                f->oid = 0;
            finish(mp, req, st, false);
            return;
        }
        st = req->probe ? NDIS_STATUS_SUCCESS : ndis__preprocess(mp, req);
    }
    if (st != NDIS_STATUS_SUCCESS) {
        mp->stats.rejected++;
        finish(mp, req, st, false);
        return;
    }
    const struct ndis_oid_info *info = ndis_oid_info(req->oid);
    if (info->ndis_handles & ndis_request_type_bit(req->request_type)) {
        finish(mp, req, ndis__answer(mp, req), false);
        return;
    }
    if (mp->ops->oid_request == NULL) {
        finish(mp, req, reject(req, NDIS_STATUS_NOT_SUPPORTED, "miniport has no OID handler"),
               false);
        return;
    }
    mp->active = req;
    req->priv.state = NDIS_OID_REQUEST_AT_MINIPORT;
    st = mp->ops->oid_request(mp->ctx, req);
    if (st == NDIS_STATUS_PENDING) {
        mp->stats.pended++;
        if (req->priv.state == NDIS_OID_REQUEST_COMPLETING) /* completed inside the handler */
            finish(mp, req, req->status, true);
        else
            req->priv.state = NDIS_OID_REQUEST_PENDING;
        return;
    }
    if (req->priv.state == NDIS_OID_REQUEST_COMPLETING) {
        /* Completed with NdisMOidRequestComplete and also returned a final status. */
        mp->stats.double_completions++;
        ndis__observe_misuse(mp, NDIS_MISUSE_DOUBLE_COMPLETION, req, NULL);
        SIM_WARN(ndis, "%s: %s completed twice (handler called complete and returned %08X)",
                 mp->name, ndis_oid_name(req->oid), st);
        st = req->status;
    }
    finish(mp, req, st, true);
}

static void
pump_cb(struct sim_timer *t)
{
    struct ndis_miniport *mp = t->data;
    while (mp->done_head != NULL) {
        struct ndis_oid_request *req = mp->done_head;
        mp->done_head = req->priv.next;
        if (mp->done_head == NULL)
            mp->done_tail = NULL;
        finish(mp, req, req->status, false);
    }
    if (mp->active != NULL && mp->active->priv.state == NDIS_OID_REQUEST_COMPLETING)
        finish(mp, mp->active, mp->active->status, true);
    while (mp->active == NULL && mp->queue_head != NULL && !mp->resetting) {
        struct ndis_oid_request *req = mp->queue_head;
        mp->queue_head = req->priv.next;
        if (mp->queue_head == NULL)
            mp->queue_tail = NULL;
        mp->queue_len--;
        req->priv.next = NULL;
        dispatch(mp, req);
    }
}

void
ndis__pump_init(struct ndis_miniport *mp)
{
    sim_timer_init(mp->sched, &mp->pump, pump_cb, mp);
}

int
ndis__pump_kick(struct ndis_miniport *mp)
{
    if (sim_timer_is_pending(&mp->pump))
        return 0;
    return sim_timer_start(&mp->pump, 0);
}

static int
submit(struct ndis_miniport *mp, struct ndis_oid_request *req, ndis_oid_request_cb cb,
       bool from_protocol, struct sim_diag *d)
{
    if (mp == NULL || req == NULL || cb == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "OID request: NULL miniport, request or callback");
    if (req->priv.state != NDIS_OID_REQUEST_IDLE)
        return sim_diag_fail(d, SIM_EBUSY, "%s: OID request %s is already in flight", mp->name,
                             ndis_oid_name(req->oid) ? ndis_oid_name(req->oid) : "?");
    if (mp->state == NDIS_MINIPORT_HALTED || mp->state == NDIS_MINIPORT_INITIALIZING ||
        mp->state == NDIS_MINIPORT_HALTING)
        return sim_diag_fail(d, SIM_ESTATE, "%s: miniport is %s; OID requests not accepted",
                             mp->name, ndis_miniport_state_name(mp->state));
    req->cb = cb;
    req->priv.from_protocol = from_protocol;
    req->priv.mp = mp;
    req->priv.next = NULL;
    req->priv.fault = false;
    req->rule = NULL;
    if (mp->active == NULL && !mp->resetting) {
        int err = ndis__pump_kick(mp);
        if (err != 0) {
            req->priv.mp = NULL;
            return sim_diag_fail(d, err, "%s: cannot schedule the OID dispatch", mp->name);
        }
    }
    req->priv.state = NDIS_OID_REQUEST_QUEUED;
    if (mp->queue_tail != NULL)
        mp->queue_tail->priv.next = req;
    else
        mp->queue_head = req;
    mp->queue_tail = req;
    mp->queue_len++;
    if (mp->queue_len > mp->stats.max_queue_depth)
        mp->stats.max_queue_depth = mp->queue_len;
    mp->stats.requests++;
    return 0;
}

int
ndis_oid_request_submit(struct ndis_miniport *mp, struct ndis_oid_request *req,
                        ndis_oid_request_cb cb, struct sim_diag *d)
{
    return submit(mp, req, cb, false, d);
}

int
ndis_binding_oid_request(struct ndis_binding *b, struct ndis_oid_request *req,
                         ndis_oid_request_cb cb, struct sim_diag *d)
{
    if (b == NULL || req == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "OID request: NULL binding or request");
    ndis__copy_name(req->requester, b->protocol->name);
    return submit(b->miniport, req, cb, true, d);
}

int
ndis_oid_request_complete(struct ndis_miniport *mp, struct ndis_oid_request *req,
                          ndis_status_t status)
{
    if (mp == NULL || req == NULL)
        return SIM_EINVAL;
    if (status == NDIS_STATUS_PENDING || mp->active != req ||
        (req->priv.state != NDIS_OID_REQUEST_AT_MINIPORT &&
         req->priv.state != NDIS_OID_REQUEST_PENDING)) {
        mp->stats.double_completions++;
        ndis__observe_misuse(mp, NDIS_MISUSE_DOUBLE_COMPLETION, req, NULL);
        SIM_WARN(ndis,
                 "%s: NdisMOidRequestComplete for a request that is not outstanding "
                 "(already completed, or never pended)",
                 mp->name);
        return SIM_EINVAL;
    }
    if (req->priv.state == NDIS_OID_REQUEST_PENDING) {
        int err = ndis__pump_kick(mp);
        if (err != 0)
            return err;
    }
    req->status = status;
    req->priv.state = NDIS_OID_REQUEST_COMPLETING;
    return 0;
}

int
ndis_oid_request_cancel(struct ndis_miniport *mp, uint64_t request_id)
{
    if (mp == NULL || request_id == 0)
        return SIM_EINVAL;
    struct ndis_oid_request **pp = &mp->queue_head, *prev = NULL;
    for (; *pp != NULL; prev = *pp, pp = &(*pp)->priv.next) {
        struct ndis_oid_request *req = *pp;
        if (req->request_id != request_id)
            continue;
        int err = ndis__pump_kick(mp);
        if (err != 0)
            return err;
        *pp = req->priv.next;
        if (mp->queue_tail == req)
            mp->queue_tail = prev;
        mp->queue_len--;
        req->priv.next = NULL;
        req->status = NDIS_STATUS_REQUEST_ABORTED;
        req->rule = "cancelled while queued (NdisCancelOidRequest)";
        req->priv.state = NDIS_OID_REQUEST_COMPLETING;
        if (mp->done_tail != NULL)
            mp->done_tail->priv.next = req;
        else
            mp->done_head = req;
        mp->done_tail = req;
        return 0;
    }
    if (mp->active != NULL && mp->active->request_id == request_id) {
        if (mp->ops->cancel_oid_request != NULL)
            mp->ops->cancel_oid_request(mp->ctx, request_id);
        return 0;
    }
    return SIM_ENOENT;
}

int
ndis_miniport_fault_oid(struct ndis_miniport *mp, ndis_oid_t oid, ndis_status_t status, long count)
{
    if (mp == NULL || oid == 0 || count == 0 || status == NDIS_STATUS_SUCCESS ||
        status == NDIS_STATUS_PENDING)
        return SIM_EINVAL;
    struct ndis_fault *f = fault_find(mp, oid);
    for (size_t i = 0; f == NULL && i < NDIS_FAULT_MAX; i++)
        if (mp->faults[i].oid == 0)
            f = &mp->faults[i];
    if (f == NULL)
        return SIM_ENOSPC;
    f->oid = oid;
    f->status = status;
    f->remaining = count;
    return 0;
}

void
ndis_miniport_fault_clear(struct ndis_miniport *mp, ndis_oid_t oid)
{
    for (size_t i = 0; i < NDIS_FAULT_MAX; i++)
        if (oid == 0 || mp->faults[i].oid == oid)
            mp->faults[i].oid = 0;
}
