/* SPDX-License-Identifier: MIT */
/*
 * vf.c — the VF OIDs: ALLOCATE_VF, FREE_VF, VF_PARAMETERS, ENUM_VFS, RESET_VF (a real FLR),
 * SET_VF_POWER_STATE, READ/WRITE_VF_CONFIG_SPACE, READ/WRITE_VF_CONFIG_BLOCK (the backchannel),
 * VF_VENDOR_DEVICE_ID, PROBED_BARS, BAR_RESOURCES.
 *
 * Windows counterpart: a PF miniport's VF management ([MS:allocating-resources-for-a-virtual-
 * function], [MS:resetting-a-virtual-function], [MS:sr-iov-pf-vf-backchannel-communication];
 * reference/ndis_sriov.md §4.2, §7.1, §7.3, §8, §9).
 */
#include <string.h>

#include "miniport_pf/pf_int.h"

static ndis_status_t
vf_missing(struct pf_adapter *a, struct ndis_oid_request *req, ndis_status_t st, uint32_t vf_id)
{
    if (vf_id >= a->total_vfs)
        return pf__refuse(a, req, st, "VFId out of range",
                          "%s vf=%u: VFId out of range (the adapter has %u VFs, %u enabled)",
                          pf__oid_short(req->oid), vf_id, a->total_vfs, a->num_vfs);
    return pf__refuse(a, req, st, "VF not allocated", "%s vf=%u: the VF is not allocated",
                      pf__oid_short(req->oid), vf_id);
}

ndis_status_t
pf__allocate_vf(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_vf_parameters *p = req->information_buffer;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
    if (!a->switch_created || p->switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "SwitchId is not a created switch",
                          "ALLOCATE_VF switch=%u: no such switch", p->switch_id);
    if (p->vf_id != NDIS_INVALID_VF_FUNCTION_ID || p->requestor_id != NDIS_INVALID_RID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "VFId/RequestorId must be invalid on input",
                          "ALLOCATE_VF: VFId 0x%04x / RequestorId 0x%08x must be "
                          "NDIS_INVALID_VF_FUNCTION_ID / NDIS_INVALID_RID on input",
                          p->vf_id, p->requestor_id);
    if (p->mac_address_length != 0 && p->mac_address_length != 6)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "MacAddressLength must be 6",
                          "ALLOCATE_VF: MacAddressLength %u (an Ethernet MAC has 6 bytes)",
                          p->mac_address_length);
    if (p->mac_address_length == 6 && (p->current_mac_address[0] & 1))
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "VF MAC must be unicast",
                          "ALLOCATE_VF: CurrentMacAddress is a multicast address");
    uint16_t id = 0;
    while (id < a->num_vfs && a->vfs[id].allocated)
        id++;
    if (id >= a->num_vfs)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "every enabled VF is allocated",
                          "ALLOCATE_VF: all %u enabled VFs are allocated", a->num_vfs);
    uint32_t rid = ndis_pf_get_vf_rid(a->mp, id);
    if (rid == NDIS_INVALID_RID)
        return pf__refuse(a, req, NDIS_STATUS_FAILURE, "VF location unknown",
                          "ALLOCATE_VF vf=%u: NdisMGetVirtualFunctionLocation failed", id);
    struct pf_vf *vf = &a->vfs[id];
    memset(vf, 0, sizeof *vf);
    vf->allocated = true;
    vf->vport_id = NDIS_INVALID_VPORT_ID;
    vf->rid = (uint16_t)(rid & 0xffffu);
    /* The VF is initialised and exposed: from now on it may run, so FREE_VF needs an FLR. */
    vf->needs_flr = true;
    vf->power_state = NDIS_DEVICE_POWER_STATE_D0;
    p->vf_id = id;
    p->requestor_id = rid;
    memset(&vf->params, 0, sizeof vf->params);
    memcpy(&vf->params, p, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    if (p->mac_address_length == 6)
        memcpy(vf->cur_mac, p->current_mac_address, 6);
    pf__vf_blocks_refresh(a, id, false);
    req->bytes_written = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
    char rb[PCIE_RID_STRLEN];
    SIM_DEBUG(pf, "%s: VF %u allocated, RID %s", a->name, id,
              pcie_rid_format(vf->rid, rb, sizeof rb));
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__free_vf(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_nic_switch_free_vf_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1;
    struct pf_vf *vf = pf__vf(a, p.vf_id);
    if (vf == NULL)
        return vf_missing(a, req, NDIS_STATUS_FILE_NOT_FOUND, p.vf_id);
    if (vf->vport_id != NDIS_INVALID_VPORT_ID)
        return pf__refuse(a, req, NDIS_STATUS_FILE_NOT_FOUND,
                          "the VF still has a VPort (§4.2 FREE_VF)",
                          "FREE_VF vf=%u: VF still has VPort %u attached (DELETE_VPORT first)",
                          p.vf_id, vf->vport_id);
    if (vf->needs_flr)
        return pf__refuse(a, req, NDIS_STATUS_FILE_NOT_FOUND,
                          "RESET_VF must precede FREE_VF (§7.3 step 3 before 4)",
                          "FREE_VF vf=%u: the VF was not reset since it could last run "
                          "(OID_SRIOV_RESET_VF comes before FREE_VF, §7.3)",
                          p.vf_id);
    memset(vf, 0, sizeof *vf);
    vf->vport_id = NDIS_INVALID_VPORT_ID;
    SIM_DEBUG(pf, "%s: VF %u freed", a->name, p.vf_id);
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__vf_parameters(struct pf_adapter *a, struct ndis_oid_request *req)
{
    const struct ndis_nic_switch_vf_parameters *in = req->information_buffer;
    struct pf_vf *vf = pf__vf(a, in->vf_id);
    if (vf == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, in->vf_id);
    uint32_t size = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
    req->bytes_read = size;
    if (req->information_buffer_length < size) {
        req->bytes_needed = size;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(req->information_buffer, &vf->params, size);
    req->bytes_written = size;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__enum_vfs(struct pf_adapter *a, struct ndis_oid_request *req)
{
    const struct ndis_nic_switch_vf_info_array *in = req->information_buffer;
    if (in->switch_id != NDIS_DEFAULT_SWITCH_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "SwitchId must be default",
                          "ENUM_VFS switch=%u: SwitchId must be NDIS_DEFAULT_SWITCH_ID",
                          in->switch_id);
    uint32_t n = 0, esz = (uint32_t)sizeof(struct ndis_nic_switch_vf_info);
    for (uint16_t i = 0; i < a->total_vfs; i++)
        n += a->vfs[i].allocated;
    uint32_t need = (uint32_t)sizeof(struct ndis_nic_switch_vf_info_array) + n * esz;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
    if (req->information_buffer_length < need) {
        req->bytes_needed = need;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    struct ndis_nic_switch_vf_info_array arr = *in;
    arr.first_element_offset = (uint32_t)sizeof arr;
    arr.num_elements = n;
    arr.element_size = esz;
    uint8_t *out = req->information_buffer;
    memcpy(out, &arr, sizeof arr);
    out += sizeof arr;
    for (uint16_t i = 0; i < a->total_vfs; i++) {
        if (a->vfs[i].allocated) {
            memcpy(out, &a->vfs[i].params, esz);
            out += esz;
        }
    }
    req->bytes_written = need;
    return NDIS_STATUS_SUCCESS;
}

/* ---- RESET_VF: a real FLR through the fabric ----------------------------------------------- */

void
pf__reset_vf_done(struct pf_adapter *a, uint16_t vf_id, int status)
{
    struct pf_vf *vf = pf__vf(a, vf_id);
    if (a->pending == NULL || a->pending->oid != OID_SRIOV_RESET_VF)
        return; /* halted or removed meanwhile */
    if (status != 0) {
        a->stats.flr_failed++;
        pf__refuse(a, a->pending, NDIS_STATUS_FAILURE, "the FLR did not complete in time",
                   "RESET_VF vf=%u: the VF did not complete its FLR within the 100 ms bound "
                   "(%s)",
                   vf_id, sim_err_name(status));
        pf__oid_complete(a, NDIS_STATUS_FAILURE);
        return;
    }
    a->stats.flr_ok++;
    if (vf != NULL) {
        vf->needs_flr = false;
        vf->mc_count = 0; /* the VF's runtime requests are gone with its state */
        vf->mbx_busy = false;
    }
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__reset_vf(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_sriov_reset_vf_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1;
    if (pf__vf(a, p.vf_id) == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p.vf_id);
    int err = pf__hw_vf_flr(a, p.vf_id, pf__reset_vf_done);
    if (err != 0) {
        a->stats.flr_failed++;
        return pf__refuse(a, req, NDIS_STATUS_FAILURE, "the FLR could not be started",
                          "RESET_VF vf=%u: cannot start the FLR (%s)", p.vf_id, sim_strerror(err));
    }
    return NDIS_STATUS_PENDING;
}

ndis_status_t
pf__set_vf_power_state(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_sriov_set_vf_power_state_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1;
    struct pf_vf *vf = pf__vf(a, p.vf_id);
    if (vf == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p.vf_id);
    if (p.power_state < NDIS_DEVICE_POWER_STATE_D0 || p.power_state > NDIS_DEVICE_POWER_STATE_D3)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "PowerState must be D0..D3",
                          "SET_VF_POWER_STATE vf=%u: PowerState %u is not D0..D3", p.vf_id,
                          p.power_state);
    if (p.power_state == NDIS_DEVICE_POWER_STATE_D0 && p.wake_enable)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "WakeEnable must be FALSE for D0",
                          "SET_VF_POWER_STATE vf=%u: WakeEnable must be FALSE for D0", p.vf_id);
    int err = pf__hw_vf_set_power(a, p.vf_id, p.power_state, p.wake_enable != 0);
    if (err != 0 && err != SIM_ENOTSUP)
        return pf__refuse(a, req, NDIS_STATUS_FAILURE, "the VF's PMCSR write failed",
                          "SET_VF_POWER_STATE vf=%u: PMCSR write failed (%s)", p.vf_id,
                          sim_strerror(err));
    if (vf->power_state != NDIS_DEVICE_POWER_STATE_D0 &&
        p.power_state == NDIS_DEVICE_POWER_STATE_D0)
        vf->needs_flr = true; /* back in D0: the guest may run it again */
    vf->power_state = p.power_state;
    vf->wake_enable = p.wake_enable != 0;
    return NDIS_STATUS_SUCCESS;
}

/* Data area at BufferOffset of a config-space / config-block request: it must lie after the
 * parameters and inside the buffer (INVALID_LENGTH with BytesNeeded otherwise). */
static ndis_status_t
data_area(struct pf_adapter *a, struct ndis_oid_request *req, uint32_t params_size,
          uint32_t buffer_offset, uint32_t length, uint32_t have, uint16_t vf_id)
{
    if (buffer_offset < params_size)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "BufferOffset overlaps the parameters",
                          "%s vf=%u: BufferOffset %u lies inside the parameters (%u bytes)",
                          pf__oid_short(req->oid), vf_id, buffer_offset, params_size);
    uint64_t end = (uint64_t)buffer_offset + length;
    if (end > have) {
        req->bytes_needed = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
        return pf__refuse(a, req, NDIS_STATUS_INVALID_LENGTH, "buffer too short for the data",
                          "%s vf=%u: %u data bytes at offset %u need a %llu-byte buffer, got %u",
                          pf__oid_short(req->oid), vf_id, length, buffer_offset,
                          (unsigned long long)end, have);
    }
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__vf_config_space(struct pf_adapter *a, struct ndis_oid_request *req, bool write)
{
    struct ndis_sriov_vf_config_space_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    uint32_t psz = (uint32_t)NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1;
    req->bytes_read = psz;
    if (pf__vf(a, p.vf_id) == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p.vf_id);
    if (p.length == 0 || p.offset >= PCIE_CFG_SIZE || p.length > PCIE_CFG_SIZE - p.offset)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "outside the 4 KiB config space",
                          "%s vf=%u: offset %u length %u is outside the 4 KiB config space",
                          pf__oid_short(req->oid), p.vf_id, p.offset, p.length);
    uint32_t have = write ? req->information_buffer_length : req->information_buffer_length;
    ndis_status_t st = data_area(a, req, psz, p.buffer_offset, p.length, have, p.vf_id);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    uint8_t *data = (uint8_t *)req->information_buffer + p.buffer_offset;
    uint32_t n = write ? ndis_pf_set_vf_bus_data(a->mp, p.vf_id, data, p.offset, p.length)
                       : ndis_pf_get_vf_bus_data(a->mp, p.vf_id, data, p.offset, p.length);
    if (n != p.length)
        return pf__refuse(a, req, NDIS_STATUS_FAILURE, "the VF did not answer",
                          "%s vf=%u: NdisM%sVirtualFunctionBusData transferred %u of %u bytes "
                          "(VF not ready, in reset or absent)",
                          pf__oid_short(req->oid), p.vf_id, write ? "Set" : "Get", n, p.length);
    if (write)
        req->bytes_read = p.buffer_offset + p.length;
    else
        req->bytes_written = p.buffer_offset + p.length;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__vf_config_block(struct pf_adapter *a, struct ndis_oid_request *req, bool write)
{
    struct ndis_sriov_vf_config_block_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    uint32_t psz = (uint32_t)NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1;
    req->bytes_read = psz;
    struct pf_vf *vf = pf__vf(a, p.vf_id);
    if (vf == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p.vf_id);
    if (p.block_id >= PF_CFG_BLOCKS)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "BlockId is not a valid block",
                          "%s vf=%u: BlockId %u is not a valid block (this PF has %u)",
                          pf__oid_short(req->oid), p.vf_id, p.block_id, PF_CFG_BLOCKS);
    if (p.length == 0 || p.length > PF_CFG_BLOCK_SIZE)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "Length outside the block",
                          "%s vf=%u block=%u: Length %u (blocks hold %u bytes)",
                          pf__oid_short(req->oid), p.vf_id, p.block_id, p.length,
                          PF_CFG_BLOCK_SIZE);
    ndis_status_t st =
        data_area(a, req, psz, p.buffer_offset, p.length, req->information_buffer_length, p.vf_id);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    uint8_t *data = (uint8_t *)req->information_buffer + p.buffer_offset;
    if (write) {
        memcpy(vf->blocks[p.block_id], data, p.length);
        req->bytes_read = p.buffer_offset + p.length;
    } else {
        memcpy(data, vf->blocks[p.block_id], p.length);
        req->bytes_written = p.buffer_offset + p.length;
    }
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__vf_vendor_device_id(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_sriov_vf_vendor_device_id_info *p = req->information_buffer;
    req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1;
    if (pf__vf(a, p->vf_id) == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p->vf_id);
    p->vendor_id = a->vendor_id;
    p->device_id = a->vf_device_id;
    req->bytes_written = (uint32_t)NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__probed_bars(struct pf_adapter *a, struct ndis_oid_request *req)
{
    uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES];
    ndis_status_t st = ndis_pf_query_probed_bars(a->mp, bars);
    if (st != NDIS_STATUS_SUCCESS)
        return pf__refuse(a, req, st, "NdisMQueryProbedBars failed",
                          "PROBED_BARS: NdisMQueryProbedBars failed");
    struct ndis_sriov_probed_bars_info info = {
        .header = {NDIS_OBJECT_TYPE_DEFAULT, NDIS_SRIOV_PROBED_BARS_INFO_REVISION_1,
                   (uint16_t)NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1},
        .base_register_values_offset = (uint32_t)sizeof info,
    };
    uint32_t need = (uint32_t)(sizeof info + sizeof bars);
    if (req->information_buffer_length < need) {
        req->bytes_needed = need;
        return NDIS_STATUS_INVALID_LENGTH;
    }
    memcpy(req->information_buffer, &info, sizeof info);
    memcpy((uint8_t *)req->information_buffer + sizeof info, bars, sizeof bars);
    req->bytes_written = need;
    return NDIS_STATUS_SUCCESS;
}

ndis_status_t
pf__bar_resources(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_sriov_bar_resources_info p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1;
    if (pf__vf(a, p.vf_id) == NULL)
        return vf_missing(a, req, NDIS_STATUS_INVALID_PARAMETER, p.vf_id);
    if (p.bar_index >= NDIS_PCI_TYPE0_ADDRESSES)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "BarIndex out of range",
                          "BAR_RESOURCES vf=%u: BarIndex %u (a type-0 header has 6 BARs)", p.vf_id,
                          p.bar_index);
    struct ndis_cm_partial_resource_descriptor cm;
    ndis_status_t st = data_area(a, req, (uint32_t)NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1,
                                 p.bar_resources_offset, (uint32_t)sizeof cm,
                                 req->information_buffer_length, p.vf_id);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    uint64_t addr = 0, size = 0;
    if (pf__hw_vf_bar(a, p.vf_id, p.bar_index, &addr, &size) != 0)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "the VF BAR is not implemented",
                          "BAR_RESOURCES vf=%u: VF BAR %u is not implemented", p.vf_id,
                          p.bar_index);
    memset(&cm, 0, sizeof cm);
    cm.type = NDIS_CM_RESOURCE_TYPE_MEMORY;
    cm.start_low = (uint32_t)addr;
    cm.start_high = (uint32_t)(addr >> 32);
    cm.length = (uint32_t)size;
    memcpy((uint8_t *)req->information_buffer + p.bar_resources_offset, &cm, sizeof cm);
    req->bytes_written = p.bar_resources_offset + (uint32_t)sizeof cm;
    return NDIS_STATUS_SUCCESS;
}

/* Halt with VFs left (flagged by the caller): release in the documented order — filters,
 * VPorts, VFs — then turn virtualization off. Software only: the device is being stopped, and
 * clearing VF Enable removes every VF (the strongest reset there is). */
void
pf__vf_force_release_all(struct pf_adapter *a)
{
    for (uint32_t f = 0; f <= a->max_filters; f++)
        a->filters[f].used = false;
    for (uint32_t v = 0; v < a->max_vports; v++)
        a->vports[v].used = false;
    for (uint16_t i = 0; i < a->total_vfs; i++) {
        memset(&a->vfs[i], 0, sizeof a->vfs[i]);
        a->vfs[i].vport_id = NDIS_INVALID_VPORT_ID;
    }
    if (ndis_pf_is_virtualization_enabled(a->mp))
        (void)ndis_pf_enable_virtualization(a->mp, 0, false, false, false);
    a->switch_created = false;
    a->num_vfs = 0;
    a->pf_qp_used = 0;
    a->pending = NULL;
    sim_timer_stop(&a->oid_timer);
}
