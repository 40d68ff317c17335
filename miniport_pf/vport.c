/* SPDX-License-Identifier: MIT */
/*
 * vport.c — the VPort OIDs: CREATE_VPORT, DELETE_VPORT, VPORT_PARAMETERS, ENUM_VPORTS.
 *
 * A PF non-default VPort is a VMQ queue here (§10, §11.2: "with SR-IOV+VMQ, PF non-default
 * VPorts are used instead of VM queues"): CREATE_VPORT allocates the queue pair of its first
 * PF QP (control path: rings, TCBs, RCBs, DMA memory) before the device command and enables it
 * when the device has the VPort; DELETE_VPORT drains, disables and frees it (datapath.c).
 *
 * Windows counterpart: a PF miniport's VPort handlers ([MS:creating-a-virtual-port],
 * [MS:deleting-a-virtual-port], [MS:setting-the-parameters-of-a-virtual-port];
 * reference/ndis_sriov.md §4.2, §6.2, §11.2).
 */
#include <string.h>

#include "miniport_pf/pf_int.h"

/* A free run of n PF queue pairs (the default VPort holds 0..default_qps-1). */
static int
pf_qps_find(const struct pf_adapter *a, uint32_t n)
{
    for (uint32_t first = 0; first + n <= a->pf_qps; first++) {
        uint32_t mask = ((n >= 32 ? 0u : (1u << n)) - 1u) << first;
        if ((a->pf_qp_used & mask) == 0)
            return (int)first;
    }
    return -1;
}

/* The device has a PF VPort whose queue could not be enabled: it is deleted again and the OID
 * fails with the reason recorded when the enable failed. */
static void
create_vport_undone(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    if (err != 0)
        SIM_WARN(pf, "%s: VPort %u left on the device after a failed CREATE_VPORT (%s)", a->name,
                 c->p[0], pf__hw_err_name(err));
    pf__oid_complete(a, NDIS_STATUS_RESOURCES);
}

static void
create_vport_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    struct ndis_oid_request *req = a->pending;
    uint32_t id = c->p[0];
    struct pf_qp *vmq = a->vmq_pending;
    a->vmq_pending = NULL;
    if (err == 0 && vmq != NULL) {
        struct sim_diag d;
        sim_diag_clear(&d);
        int rc = pf__vmq_start(a, vmq, &d);
        if (rc != 0) {
            pf__vmq_free(vmq);
            pf__refuse(a, req, NDIS_STATUS_RESOURCES, "the VPort's queue pair could not start",
                       "CREATE_VPORT vport=%u: VMQ queue (PF QP %u) not enabled: %s", id, c->p[3],
                       d.reason);
            uint32_t cmd[1] = {id};
            if (pf__hw_cmd(a, PF_HW_VPORT_DELETE, cmd, 1, create_vport_undone, NULL, 0) != 0)
                pf__oid_complete(a, NDIS_STATUS_RESOURCES);
            return;
        }
    } else if (vmq != NULL) {
        pf__vmq_free(vmq);
    }
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, req, st, "the device refused VPORT_CREATE",
                   "CREATE_VPORT vport=%u: the device refused (%s)", id, pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    struct pf_vport *vp = &a->vports[id];
    memset(vp, 0, sizeof *vp);
    vp->used = true;
    memcpy(&vp->params, req->information_buffer,
           NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    vp->first_qp = (uint16_t)c->p[3];
    if (c->p[1] == NDIS_PF_FUNCTION_ID) {
        a->pf_qp_used |= ((1u << c->p[2]) - 1u) << c->p[3];
    } else {
        struct pf_vf *vf = &a->vfs[c->p[1]];
        vf->vport_id = id;
        vf->needs_flr = true; /* attached: the guest can now run it */
        vp->params.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
        pf__vf_blocks_refresh(a, (uint16_t)c->p[1], true);
    }
    ((struct ndis_nic_switch_vport_parameters *)req->information_buffer)->vport_state =
        vp->params.vport_state;
    req->bytes_written = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__create_vport(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_vport_parameters *p = req->information_buffer;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    if (!a->switch_created || p->switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(
            a, req, NDIS_STATUS_INVALID_PARAMETER, "VPorts exist only on a created switch (§4.2)",
            "CREATE_VPORT switch=%u: no such switch (CREATE_SWITCH first)", p->switch_id);
    if (p->vport_id == NDIS_DEFAULT_VPORT_ID || p->vport_id >= a->max_vports)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "VPortId must be 1..NumVPorts-1 (assigned by NDIS)",
                          "CREATE_VPORT vport=%u: VPortId must be 1..%u", p->vport_id,
                          a->max_vports - 1u);
    if (a->vports[p->vport_id].used)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "VPortId already in use",
                          "CREATE_VPORT vport=%u: that VPortId is in use", p->vport_id);
    if (p->num_queue_pairs == 0 || p->lookahead_size != 0)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "NumQueuePairs >= 1 and LookaheadSize 0",
                          "CREATE_VPORT vport=%u: NumQueuePairs %u, LookaheadSize %u (need >= 1 "
                          "and 0)",
                          p->vport_id, p->num_queue_pairs, p->lookahead_size);
    uint32_t cmd[8] = {p->vport_id, 0, p->num_queue_pairs, 0, 0, 0, 0, 0};
    if (p->attached_function_id == NDIS_PF_FUNCTION_ID) {
        if (p->vport_state != NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED &&
            p->vport_state != NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED &&
            p->vport_state != NDIS_NIC_SWITCH_VPORT_STATE_UNDEFINED)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "bad VPortState",
                              "CREATE_VPORT vport=%u: VPortState %u", p->vport_id, p->vport_state);
        if (p->vport_state == NDIS_NIC_SWITCH_VPORT_STATE_UNDEFINED)
            p->vport_state = NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED; /* PF VPorts start so */
        int first = pf_qps_find(a, p->num_queue_pairs);
        if (first < 0)
            return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "PF queue pairs exhausted",
                              "CREATE_VPORT vport=%u: no %u free PF queue pairs (of %u)",
                              p->vport_id, p->num_queue_pairs, a->pf_qps);
        /* VMQ: the VPort's queue (its first PF QP) is allocated now, on the control path. */
        struct sim_diag d;
        sim_diag_clear(&d);
        if (pf__vmq_alloc(a, (uint16_t)first, p->vport_id, &a->vmq_pending, &d) != 0)
            return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "no memory for the VPort's queue",
                              "CREATE_VPORT vport=%u: %s", p->vport_id, d.reason);
        cmd[1] = 0xffffu; /* the PF */
        cmd[3] = (uint32_t)first;
        cmd[4] = PF_VPF_TRUSTED |
                 (p->vport_state == NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED ? PF_VPF_ACTIVATED : 0);
        pf__mac_to_words(a->mac, &cmd[5], &cmd[6]);
    } else {
        struct pf_vf *vf = pf__vf(a, p->attached_function_id);
        if (vf == NULL)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "AttachedFunctionId is not an allocated VF",
                              "CREATE_VPORT vport=%u: AttachedFunctionId %u is not an allocated "
                              "VF",
                              p->vport_id, p->attached_function_id);
        if (vf->vport_id != NDIS_INVALID_VPORT_ID)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "one non-default VPort per VF (§4.2)",
                              "CREATE_VPORT vport=%u: VF %u already has VPort %u (one non-default "
                              "VPort per VF)",
                              p->vport_id, p->attached_function_id, vf->vport_id);
        if (p->num_queue_pairs > a->vf_qps)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "too many queue pairs for a VF",
                              "CREATE_VPORT vport=%u: %u queue pairs, a VF has %u", p->vport_id,
                              p->num_queue_pairs, a->vf_qps);
        if (p->processor_affinity.mask != 0)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "ProcessorAffinity only for PF VPorts",
                              "CREATE_VPORT vport=%u: ProcessorAffinity is valid only for PF "
                              "VPorts",
                              p->vport_id);
        /* A VF VPort is Activated at creation and never deactivated (§4.2). */
        p->vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
        cmd[1] = p->attached_function_id;
        cmd[3] = 0;
        cmd[4] = PF_VPF_ACTIVATED | (vf->trusted ? PF_VPF_TRUSTED : PF_VPF_ANTISPOOF);
        pf__mac_to_words(vf->cur_mac, &cmd[5], &cmd[6]);
        cmd[7] = vf->cur_vlan;
    }
    int err = pf__hw_cmd(a, PF_HW_VPORT_CREATE, cmd, 8, create_vport_done, NULL, 0);
    if (err != 0) {
        pf__vmq_free(a->vmq_pending);
        a->vmq_pending = NULL;
    }
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "CREATE_VPORT vport=%u: cannot queue the device command (%s)",
                          p->vport_id, sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

static void
delete_vport_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    uint32_t id = c->p[0];
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, a->pending, st, "the device refused VPORT_DELETE",
                   "DELETE_VPORT vport=%u: the device refused (%s)", id, pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    struct pf_vport *vp = &a->vports[id];
    uint16_t fn = vp->params.attached_function_id;
    if (fn == NDIS_PF_FUNCTION_ID) {
        /* Its queue: completions reaped, the rest dropped, disabled, memory freed. */
        pf__vmq_stop(a, id, SIM_DROP_PATH_INACTIVE);
        a->pf_qp_used &= ~(((1u << vp->params.num_queue_pairs) - 1u) << vp->first_qp);
    } else if (fn < a->total_vfs) {
        a->vfs[fn].vport_id = NDIS_INVALID_VPORT_ID;
        if (a->vfs[fn].allocated)
            pf__vf_blocks_refresh(a, fn, true);
    }
    memset(vp, 0, sizeof *vp);
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__delete_vport(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_delete_vport_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1;
    if (p.vport_id == NDIS_DEFAULT_VPORT_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "the default VPort is deleted only by DELETE_SWITCH (§4.2)",
                          "DELETE_VPORT vport=0: the default VPort is deleted only by "
                          "DELETE_SWITCH");
    struct pf_vport *vp = pf__vport(a, p.vport_id);
    if (vp == NULL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such VPortId",
                          "DELETE_VPORT vport=%u: no such VPort", p.vport_id);
    if (vp->nfilters > 0) {
        uint32_t f = 1;
        while (f <= a->max_filters && !(a->filters[f].used && a->filters[f].vport_id == p.vport_id))
            f++;
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "clear or move the VPort's filters first (§4.2)",
                          "DELETE_VPORT vport=%u: %u receive filter(s) still set, e.g. filter %u "
                          "(CLEAR_FILTER or MOVE_FILTER first)",
                          p.vport_id, vp->nfilters, f);
    }
    uint32_t cmd[1] = {p.vport_id};
    int err = pf__hw_cmd(a, PF_HW_VPORT_DELETE, cmd, 1, delete_vport_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "DELETE_VPORT vport=%u: cannot queue the device command (%s)", p.vport_id,
                          sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

static void
vport_set_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, a->pending, st, "the device refused VPORT_SET",
                   "VPORT_PARAMETERS vport=%u: the device refused (%s)", c->p[0],
                   pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    a->vports[c->p[0]].params.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__vport_parameters_set(struct pf_adapter *a, struct ndis_oid_request *req)
{
    const struct ndis_nic_switch_vport_parameters *p = req->information_buffer;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    struct pf_vport *vp = pf__vport(a, p->vport_id);
    if (vp == NULL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such VPortId",
                          "VPORT_PARAMETERS vport=%u: no such VPort", p->vport_id);
    if (p->attached_function_id != vp->params.attached_function_id)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "VPort attachment is immutable (§4.2)",
                          "VPORT_PARAMETERS vport=%u: attached to function 0x%04x, cannot move "
                          "to 0x%04x (attachment is immutable)",
                          p->vport_id, vp->params.attached_function_id, p->attached_function_id);
    uint32_t changes = p->flags & NDIS_NIC_SWITCH_VPORT_PARAMS_CHANGE_MASK;
    const uint32_t allowed = NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED |
                             NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED |
                             NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED |
                             NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED;
    if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_NUM_QUEUE_PAIRS_CHANGED)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "queue pairs are immutable after creation (NDIS 6.30, §4.2)",
                          "VPORT_PARAMETERS vport=%u: NumQueuePairs cannot change after "
                          "CREATE_VPORT",
                          p->vport_id);
    if (changes & ~allowed)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "unsupported change flags",
                          "VPORT_PARAMETERS vport=%u: change flags 0x%08x not supported "
                          "(name, interrupt moderation, state, affinity only)",
                          p->vport_id, changes & ~allowed);
    bool is_vf = vp->params.attached_function_id != NDIS_PF_FUNCTION_ID;
    if ((changes & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED) && is_vf)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "ProcessorAffinity only for PF VPorts (§4.2)",
                          "VPORT_PARAMETERS vport=%u: ProcessorAffinity is valid only for PF "
                          "VPorts (this one is on VF %u)",
                          p->vport_id, vp->params.attached_function_id);
    bool activate = false;
    if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED) {
        if (p->vport_state != NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED) {
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "an Activated VPort never returns to Deactivated (§4.2)",
                              "VPORT_PARAMETERS vport=%u: state %u refused: %s", p->vport_id,
                              p->vport_state,
                              vp->params.vport_state == NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED
                                  ? "an Activated VPort never returns to Deactivated"
                                  : "a VPort can only be set to Activated");
        }
        activate = vp->params.vport_state != NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    }
    if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED)
        vp->params.vport_name = p->vport_name;
    if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED)
        vp->params.interrupt_moderation = p->interrupt_moderation;
    if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED)
        vp->params.processor_affinity = p->processor_affinity;
    req->supported_revision = NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    if (!activate)
        return NDIS_STATUS_SUCCESS;
    uint32_t cmd[3] = {p->vport_id, PF_VPSET_FLAGS, PF_VPF_ACTIVATED | PF_VPF_TRUSTED};
    int err = pf__hw_cmd(a, PF_HW_VPORT_SET, cmd, 3, vport_set_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "VPORT_PARAMETERS vport=%u: cannot queue the device command (%s)",
                          p->vport_id, sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

ndis_status_t
pf__vport_parameters_get(struct pf_adapter *a, struct ndis_oid_request *req)
{
    const struct ndis_nic_switch_vport_parameters *in = req->information_buffer;
    struct pf_vport *vp = pf__vport(a, in->vport_id);
    if (vp == NULL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such VPortId",
                          "VPORT_PARAMETERS vport=%u: no such VPort", in->vport_id);
    uint32_t size = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
    req->bytes_read = size;
    if (req->information_buffer_length < size) {
        req->bytes_needed = size;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(req->information_buffer, &vp->params, size);
    req->bytes_written = size;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__enum_vports(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_vport_info_array arr;
    memset(&arr, 0, sizeof arr);
    if (req->request_type == NDIS_REQUEST_METHOD)
        memcpy(&arr, req->information_buffer, sizeof arr);
    if ((arr.flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_SWITCH) &&
        arr.switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "SwitchId must be default",
                          "ENUM_VPORTS switch=%u: SwitchId must be NDIS_DEFAULT_SWITCH_ID",
                          arr.switch_id);
    bool by_fn = (arr.flags & NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION) != 0;
    uint32_t n = 0, esz = (uint32_t)sizeof(struct ndis_nic_switch_vport_info);
    for (uint32_t v = 0; v < a->max_vports; v++)
        if (a->vports[v].used &&
            (!by_fn || a->vports[v].params.attached_function_id == arr.attached_function_id))
            n++;
    uint32_t need = (uint32_t)sizeof arr + n * esz;
    if (req->request_type == NDIS_REQUEST_METHOD)
        req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
    if (req->information_buffer_length < need) {
        req->bytes_needed = need;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    arr.header.type = NDIS_OBJECT_TYPE_DEFAULT;
    arr.header.revision = NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
    arr.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1;
    arr.first_element_offset = (uint32_t)sizeof arr;
    arr.num_elements = n;
    arr.element_size = esz;
    uint8_t *out = req->information_buffer;
    memcpy(out, &arr, sizeof arr);
    out += sizeof arr;
    for (uint32_t v = 0; v < a->max_vports; v++) {
        const struct pf_vport *vp = &a->vports[v];
        if (!vp->used || (by_fn && vp->params.attached_function_id != arr.attached_function_id))
            continue;
        struct ndis_nic_switch_vport_info vi;
        memset(&vi, 0, sizeof vi);
        vi.header.type = NDIS_OBJECT_TYPE_DEFAULT;
        vi.header.revision = NDIS_NIC_SWITCH_VPORT_INFO_REVISION_1;
        vi.header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_REVISION_1;
        vi.vport_id = v;
        vi.flags = vp->params.flags & 0xffffu;
        vi.switch_id = NDIS_DEFAULT_SWITCH_ID;
        vi.vport_name = vp->params.vport_name;
        vi.attached_function_id = vp->params.attached_function_id;
        vi.num_queue_pairs = vp->params.num_queue_pairs;
        vi.interrupt_moderation = vp->params.interrupt_moderation;
        vi.vport_state = vp->params.vport_state;
        vi.processor_affinity = vp->params.processor_affinity;
        vi.num_filters = vp->nfilters;
        memcpy(out, &vi, esz);
        out += esz;
    }
    req->bytes_written = need;
    return NDIS_STATUS_SUCCESS;
}
