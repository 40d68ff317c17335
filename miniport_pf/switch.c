/* SPDX-License-Identifier: MIT */
/*
 * switch.c — the NIC switch OIDs: CREATE_SWITCH (dynamic creation with
 * NdisMEnableVirtualization), DELETE_SWITCH, NIC_SWITCH_PARAMETERS, ENUM_SWITCHES, and the
 * local answers to the capability OIDs.
 *
 * Windows counterpart: what a PF miniport does in its OID_NIC_SWITCH_* handlers
 * ([MS:handling-the-oid-nic-switch-create-switch-request], [MS:deleting-a-nic-switch],
 * reference/ndis_sriov.md §4.2, §6.3, §7.7).
 */
#include <string.h>

#include "miniport_pf/pf_int.h"

static ndis_status_t
answer(struct ndis_oid_request *req, const void *src, uint32_t size)
{
    if (req->information_buffer_length < size) {
        req->bytes_needed = size;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(req->information_buffer, src, size);
    req->bytes_written = size;
    return NDIS_STATUS_SUCCESS;
}

static void
create_switch_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    uint16_t num_vfs = (uint16_t)c->p[0];
    if (err != 0) {
        if (num_vfs > 0)
            (void)ndis_pf_enable_virtualization(a->mp, 0, false, false, false);
        a->num_vfs = 0;
        pf__refuse(a, a->pending, pf__status_from_hw(err), "the device refused SWITCH_CREATE",
                   "CREATE_SWITCH: the device refused the switch (%s)", pf__hw_err_name(err));
        pf__oid_complete(a, pf__status_from_hw(err));
        return;
    }
    a->switch_created = true;
    a->default_qps = (uint16_t)c->p[2];
    a->pf_qp_used = (1u << a->default_qps) - 1u;
    struct pf_vport *def = &a->vports[NDIS_DEFAULT_VPORT_ID];
    memset(def, 0, sizeof *def);
    def->used = true;
    def->params.header.type = NDIS_OBJECT_TYPE_DEFAULT;
    def->params.header.revision = NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    def->params.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    def->params.switch_id = NDIS_DEFAULT_SWITCH_ID;
    def->params.vport_id = NDIS_DEFAULT_VPORT_ID;
    def->params.attached_function_id = NDIS_PF_FUNCTION_ID;
    def->params.num_queue_pairs = a->default_qps;
    def->params.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    sim_time_t now = sim_sched_now(a->sched);
    if (num_vfs > 0 && now < a->vfs_ready_at) {
        /* Touch no VF before the 100 ms VF-enable delay is over (§12.4). */
        if (sim_timer_start_at(&a->oid_timer, a->vfs_ready_at) == 0)
            return;
    }
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

void
pf__create_switch_ready(struct pf_adapter *a)
{
    if (a->pending != NULL && a->pending->oid == OID_NIC_SWITCH_CREATE_SWITCH)
        pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__create_switch(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    uint32_t in = req->input_buffer_length < sizeof p ? req->input_buffer_length : sizeof p;
    memcpy(&p, req->information_buffer, in);
    req->bytes_read = in;
    if (a->switch_created)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "only one NIC switch (§4.2)",
                          "CREATE_SWITCH: the default switch already exists");
    if (p.switch_id != NDIS_DEFAULT_SWITCH_ID || p.switch_type != NDIS_NIC_SWITCH_TYPE_EXTERNAL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "SwitchId must be default and SwitchType External",
                          "CREATE_SWITCH switch=%u: SwitchId must be NDIS_DEFAULT_SWITCH_ID and "
                          "SwitchType External (type %u)",
                          p.switch_id, p.switch_type);
    if (p.num_vfs > a->total_vfs)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "NumVFs above TotalVFs",
                          "CREATE_SWITCH: NumVFs %u exceeds the adapter's %u VFs", p.num_vfs,
                          a->total_vfs);
    uint32_t qps = 1;
    if (p.header.revision >= NDIS_NIC_SWITCH_PARAMETERS_REVISION_2 &&
        in >= NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_2 &&
        p.num_queue_pairs_for_default_vport != 0)
        qps = p.num_queue_pairs_for_default_vport;
    if (qps > a->pf_qps)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "default VPort queue pairs",
                          "CREATE_SWITCH: %u queue pairs for the default VPort, the PF has %u", qps,
                          a->pf_qps);
    if (p.num_vfs > 0) {
        /* NdisMEnableVirtualization(NumVFs, FALSE, FALSE, TRUE): NumVFs + VF Enable. */
        ndis_status_t st =
            ndis_pf_enable_virtualization(a->mp, (uint16_t)p.num_vfs, false, false, true);
        if (st != NDIS_STATUS_SUCCESS)
            return pf__refuse(a, req, st, "NdisMEnableVirtualization failed",
                              "CREATE_SWITCH: NdisMEnableVirtualization(%u) failed", p.num_vfs);
    }
    a->num_vfs = (uint16_t)p.num_vfs;
    a->switch_params = p;
    uint32_t cmd[4] = {p.num_vfs, a->max_vports, qps, 0};
    int err = pf__hw_cmd(a, PF_HW_SWITCH_CREATE, cmd, 4, create_switch_done, NULL, 0);
    if (err != 0) {
        if (p.num_vfs > 0)
            (void)ndis_pf_enable_virtualization(a->mp, 0, false, false, false);
        a->num_vfs = 0;
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "CREATE_SWITCH: cannot queue the device command (%s)", sim_strerror(err));
    }
    return NDIS_STATUS_PENDING;
}

static void
delete_switch_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    (void)c;
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, a->pending, st, "the device refused SWITCH_DELETE",
                   "DELETE_SWITCH: the device refused (%s)", pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    /* Dynamic mode, no switch left: NdisMEnableVirtualization(0, FALSE) (§4.2). */
    if (a->num_vfs > 0)
        (void)ndis_pf_enable_virtualization(a->mp, 0, false, false, false);
    a->num_vfs = 0;
    a->switch_created = false;
    a->pf_qp_used = 0;
    memset(&a->vports[NDIS_DEFAULT_VPORT_ID], 0, sizeof a->vports[0]);
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__delete_switch(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_delete_switch_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1;
    if (!a->switch_created || p.switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(a, req, NDIS_STATUS_FILE_NOT_FOUND, "no switch with that SwitchId",
                          "DELETE_SWITCH switch=%u: no such switch", p.switch_id);
    /* §4.2/§7.7: before DELETE_SWITCH every filter is cleared, every non-default VPort
     * deleted and every VF freed. The page gives no status for a violation (NDIS guarantees
     * it); we use INVALID_PARAMETER, as ndis_shim does (README: status picks). */
    for (uint16_t i = 0; i < a->total_vfs; i++)
        if (a->vfs[i].allocated)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a VF is allocated (§7.7)",
                              "DELETE_SWITCH: VF %u is still allocated (FREE_VF every VF first, "
                              "§7.7)",
                              i);
    for (uint32_t v = 1; v < a->max_vports; v++)
        if (a->vports[v].used)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a non-default VPort exists (§7.7)",
                              "DELETE_SWITCH: VPort %u still exists (DELETE_VPORT first, §7.7)", v);
    for (uint32_t f = 1; f <= a->max_filters; f++)
        if (a->filters[f].used)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "DELETE_SWITCH while a receive filter is set (§7.7)",
                              "DELETE_SWITCH: filter %u is still set on VPort %u (CLEAR_FILTER "
                              "first, §7.7)",
                              f, a->filters[f].vport_id);
    int err = pf__hw_cmd(a, PF_HW_SWITCH_DELETE, NULL, 0, delete_switch_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "DELETE_SWITCH: cannot queue the device command (%s)", sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

ndis_status_t
pf__switch_parameters_set(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    uint32_t in =
        req->information_buffer_length < sizeof p ? req->information_buffer_length : sizeof p;
    memcpy(&p, req->information_buffer, in);
    req->bytes_read = in;
    if (!a->switch_created || p.switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no switch with that SwitchId",
                          "NIC_SWITCH_PARAMETERS switch=%u: no such switch", p.switch_id);
    uint32_t changes = p.flags & NDIS_NIC_SWITCH_PARAMETERS_CHANGE_MASK;
    if (changes & ~NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "only SwitchName may change (§4.2)",
                          "NIC_SWITCH_PARAMETERS: change flags 0x%08x; only SwitchName "
                          "(SWITCH_NAME_CHANGED) may change since WS2012",
                          changes);
    if (p.switch_friendly_name.length > NDIS_IF_MAX_STRING_SIZE * 2)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "SwitchFriendlyName too long",
                          "NIC_SWITCH_PARAMETERS: SwitchFriendlyName length %u",
                          p.switch_friendly_name.length);
    if (changes & NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED)
        a->switch_params.switch_friendly_name = p.switch_friendly_name;
    req->supported_revision = NDIS_NIC_SWITCH_PARAMETERS_REVISION_1;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__switch_parameters_get(struct pf_adapter *a, struct ndis_oid_request *req)
{
    if (!a->switch_created)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no switch",
                          "NIC_SWITCH_PARAMETERS: no switch was created");
    struct ndis_nic_switch_parameters p = a->switch_params;
    p.header.type = NDIS_OBJECT_TYPE_DEFAULT;
    p.header.revision = NDIS_NIC_SWITCH_PARAMETERS_REVISION_1;
    p.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
    return answer(req, &p, (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
}

ndis_status_t
pf__enum_switches(struct pf_adapter *a, struct ndis_oid_request *req)
{
    uint32_t n = a->switch_created ? 1 : 0;
    uint32_t need = (uint32_t)(sizeof(struct ndis_nic_switch_info_array) +
                               n * sizeof(struct ndis_nic_switch_info));
    if (req->information_buffer_length < need) {
        req->bytes_needed = need;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    struct ndis_nic_switch_info_array arr = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_NIC_SWITCH_INFO_ARRAY_REVISION_1,
                   (uint16_t)NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1},
        .first_element_offset = (uint32_t)sizeof arr,
        .num_elements = n,
        .element_size = (uint32_t)sizeof(struct ndis_nic_switch_info),
    };
    uint8_t *buf = req->information_buffer;
    memcpy(buf, &arr, sizeof arr);
    if (n == 1) {
        struct ndis_nic_switch_info si;
        memset(&si, 0, sizeof si);
        si.header.type = NDIS_OBJECT_TYPE_DEFAULT;
        si.header.revision = NDIS_NIC_SWITCH_INFO_REVISION_1;
        si.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1;
        si.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
        si.switch_id = NDIS_DEFAULT_SWITCH_ID;
        si.switch_friendly_name = a->switch_params.switch_friendly_name;
        si.num_vfs = a->num_vfs;
        for (uint16_t i = 0; i < a->total_vfs; i++)
            si.num_allocated_vfs += a->vfs[i].allocated;
        si.num_vports = a->max_vports;
        for (uint32_t v = 0; v < a->max_vports; v++)
            si.num_active_vports += a->vports[v].used;
        si.num_queue_pairs_for_default_vport =
            NDIS_NIC_SWITCH_PARAMETERS_DEFAULT_NUMBER_OF_QUEUE_PAIRS_FOR_DEFAULT_VPORT;
        memcpy(buf + sizeof arr, &si, sizeof si);
    }
    req->bytes_written = need;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf_oid_answer_local(struct pf_adapter *a, struct ndis_oid_request *req)
{
    req->bytes_written = req->bytes_needed = 0;
    switch (req->oid) {
    case OID_SRIOV_HARDWARE_CAPABILITIES:
    case OID_SRIOV_CURRENT_CAPABILITIES: {
        if (a->total_vfs == 0 ||
            (req->oid == OID_SRIOV_CURRENT_CAPABILITIES && !ndis_miniport_is_sriov_enabled(a->mp)))
            return NDIS_STATUS_NOT_SUPPORTED;
        struct ndis_sriov_capabilities c = {
            .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_SRIOV_CAPABILITIES_REVISION_1,
                       (uint16_t)NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1},
            .sriov_capabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT,
        };
        return answer(req, &c, (uint32_t)NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1);
    }
    case OID_NIC_SWITCH_HARDWARE_CAPABILITIES:
    case OID_NIC_SWITCH_CURRENT_CAPABILITIES: {
        if (a->total_vfs == 0 || (req->oid == OID_NIC_SWITCH_CURRENT_CAPABILITIES &&
                                  !ndis_miniport_is_sriov_enabled(a->mp)))
            return NDIS_STATUS_NOT_SUPPORTED;
        struct ndis_nic_switch_capabilities c;
        pf__nic_switch_caps(a, &c);
        return answer(req, &c, c.header.size);
    }
    case OID_NIC_SWITCH_ENUM_SWITCHES:
        return pf__enum_switches(a, req);
    case OID_NIC_SWITCH_PARAMETERS:
        return pf__switch_parameters_get(a, req);
    case OID_NIC_SWITCH_VF_PARAMETERS:
        return pf__vf_parameters(a, req);
    case OID_NIC_SWITCH_ENUM_VFS:
        return pf__enum_vfs(a, req);
    case OID_NIC_SWITCH_VPORT_PARAMETERS:
        return pf__vport_parameters_get(a, req);
    case OID_NIC_SWITCH_ENUM_VPORTS:
        return pf__enum_vports(a, req);
    default:
        return NDIS_STATUS_NOT_SUPPORTED;
    }
}
