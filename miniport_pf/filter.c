/* SPDX-License-Identifier: MIT */
/*
 * filter.c — receive filters on VPorts: SET_FILTER (MAC and/or VLAN, ANDed), CLEAR_FILTER,
 * MOVE_FILTER (atomic).
 *
 * Windows counterpart: a PF miniport's OID_RECEIVE_FILTER_* handlers for SR-IOV
 * ([MS:setting-a-receive-filter-on-a-virtual-port], [MS:moving-a-receive-filter-to-a-virtual-
 * port]; reference/ndis_sriov.md §4.2, §11.1).
 */
#include <string.h>

#include "miniport_pf/pf_int.h"

static void
set_filter_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    struct ndis_oid_request *req = a->pending;
    uint32_t id = c->p[0];
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, req, st, "the device refused FILTER_SET",
                   "SET_FILTER vport=%u: the device refused filter %u (%s)", c->p[1], id,
                   pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    struct pf_filter *f = &a->filters[id];
    f->used = true;
    f->vport_id = c->p[1];
    f->flags = c->p[5];
    pf__mac_from_words(c->p[2], c->p[3], f->mac);
    f->vlan = (uint16_t)c->p[4];
    a->vports[f->vport_id].nfilters++;
    ((struct ndis_receive_filter_parameters *)req->information_buffer)->filter_id = id;
    req->bytes_written = req->input_buffer_length;
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__set_filter(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_receive_filter_parameters p;
    memset(&p, 0, sizeof p);
    uint32_t in = req->input_buffer_length < sizeof p ? req->input_buffer_length : sizeof p;
    memcpy(&p, req->information_buffer, in);
    req->bytes_read = in;
    /* REVISION_1 has no VPortId: it addresses the default VPort. */
    uint32_t vport = (p.header.revision >= NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2 &&
                      in >= NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2)
                         ? p.vport_id
                         : NDIS_DEFAULT_VPORT_ID;
    if (!a->switch_created)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no NIC switch",
                          "SET_FILTER vport=%u: no NIC switch was created", vport);
    if (p.filter_type != NDIS_RECEIVE_FILTER_TYPE_VMQUEUE)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                          "FilterType must be VMQueue for SR-IOV (§4.2)",
                          "SET_FILTER vport=%u: FilterType %u (only NdisReceiveFilterTypeVMQueue)",
                          vport, p.filter_type);
    if (p.queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID || p.requested_filter_id_bit_count != 0)
        return pf__refuse(
            a, req, NDIS_STATUS_INVALID_PARAMETER,
            "QueueId must be the default, RequestedFilterIdBitCount 0 (§4.2)",
            "SET_FILTER vport=%u: QueueId %u / RequestedFilterIdBitCount %u must be 0", vport,
            p.queue_id, p.requested_filter_id_bit_count);
    if (pf__vport(a, vport) == NULL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such VPortId",
                          "SET_FILTER vport=%u: no such VPort", vport);
    uint32_t n = p.field_parameters_array_num_elements;
    uint32_t esz = p.field_parameters_array_element_size;
    uint64_t end = (uint64_t)p.field_parameters_array_offset + (uint64_t)n * esz;
    if (n == 0 || n > 2 || esz < sizeof(struct pf_receive_filter_field_parameters) ||
        p.field_parameters_array_offset < NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_1)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "malformed field array",
                          "SET_FILTER vport=%u: field array of %u elements of %u bytes at %u "
                          "(1-2 fields: MAC and/or VLAN)",
                          vport, n, esz, p.field_parameters_array_offset);
    if (end > req->input_buffer_length) {
        req->bytes_needed = (uint32_t)end;
        return pf__refuse(a, req, NDIS_STATUS_INVALID_LENGTH, "field array beyond the buffer",
                          "SET_FILTER vport=%u: the field array ends at %llu, input is %u bytes",
                          vport, (unsigned long long)end, req->input_buffer_length);
    }
    uint32_t flags = 0;
    uint8_t mac[6] = {0};
    uint16_t vlan = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct pf_receive_filter_field_parameters fp;
        memcpy(&fp,
               (const uint8_t *)req->information_buffer + p.field_parameters_array_offset +
                   (size_t)i * esz,
               sizeof fp);
        if (fp.frame_header != PF_FRAME_HEADER_MAC ||
            fp.receive_filter_test != PF_RECEIVE_FILTER_TEST_EQUAL)
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "only MAC-header EQUAL tests are supported",
                              "SET_FILTER vport=%u: field %u: frame header %u / test %u (only "
                              "MAC header, EQUAL)",
                              vport, i, fp.frame_header, fp.receive_filter_test);
        if (fp.mac_header_field == PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS &&
            !(flags & PF_FLT_MAC)) {
            memcpy(mac, fp.field_value.byte_array, 6);
            flags |= PF_FLT_MAC;
            if (fp.flags & PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO)
                flags |= PF_FLT_UNTAGGED;
        } else if (fp.mac_header_field == PF_MAC_HEADER_FIELD_VLAN_ID && !(flags & PF_FLT_VLAN)) {
            vlan = fp.field_value.short_value;
            flags |= PF_FLT_VLAN;
        } else {
            return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER,
                              "unsupported or repeated field",
                              "SET_FILTER vport=%u: field %u tests MAC header field %u (only one "
                              "destination MAC and one VLAN id)",
                              vport, i, fp.mac_header_field);
        }
    }
    if ((flags & PF_FLT_MAC) && (mac[0] & 1))
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "unicast MAC filters only",
                          "SET_FILTER vport=%u: %02x:..: is a multicast address (broadcast and "
                          "multicast always go to the default VPort)",
                          vport, mac[0]);
    if ((flags & PF_FLT_VLAN) && (vlan > 4095 || (flags & PF_FLT_UNTAGGED)))
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "bad VLAN test",
                          "SET_FILTER vport=%u: VLAN id %u%s", vport, vlan,
                          vlan > 4095 ? " out of range" : " with VLAN_UNTAGGED_OR_ZERO");
    /* NDIS assigns the FilterId (unique on the adapter) and writes it in before forwarding;
     * if it did not (no switch in its registry), the PF picks the lowest free one. */
    uint32_t id = p.filter_id;
    if (id == NDIS_DEFAULT_RECEIVE_FILTER_ID) {
        id = 1;
        while (id <= a->max_filters && a->filters[id].used)
            id++;
        if (id > a->max_filters)
            return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "filter table full",
                              "SET_FILTER vport=%u: all %u receive filters are in use", vport,
                              a->max_filters);
    } else if (id > a->max_filters || a->filters[id].used) {
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "FilterId out of range or in use",
                          "SET_FILTER vport=%u: FilterId %u is beyond the device's %u filters or "
                          "in use",
                          vport, id, a->max_filters);
    }
    uint32_t cmd[6] = {id, vport, 0, 0, vlan, flags};
    pf__mac_to_words(mac, &cmd[2], &cmd[3]);
    int err = pf__hw_cmd(a, PF_HW_FILTER_SET, cmd, 6, set_filter_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "SET_FILTER vport=%u: cannot queue the device command (%s)", vport,
                          sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

static void
clear_filter_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    uint32_t id = c->p[0];
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, a->pending, st, "the device refused FILTER_CLEAR",
                   "CLEAR_FILTER filter=%u: the device refused (%s)", id, pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    struct pf_filter *f = &a->filters[id];
    if (a->vports[f->vport_id].nfilters > 0)
        a->vports[f->vport_id].nfilters--;
    memset(f, 0, sizeof *f);
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__clear_filter(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_receive_filter_clear_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1;
    if (p.queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "QueueId must be the default",
                          "CLEAR_FILTER filter=%u: QueueId %u (only the default queue)",
                          p.filter_id, p.queue_id);
    if (p.filter_id == 0 || p.filter_id > a->max_filters || !a->filters[p.filter_id].used)
        return pf__refuse(a, req, NDIS_STATUS_FILE_NOT_FOUND, "invalid FilterId (§4.2)",
                          "CLEAR_FILTER filter=%u: no such filter", p.filter_id);
    uint32_t cmd[1] = {p.filter_id};
    int err = pf__hw_cmd(a, PF_HW_FILTER_CLEAR, cmd, 1, clear_filter_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "CLEAR_FILTER filter=%u: cannot queue the device command (%s)",
                          p.filter_id, sim_strerror(err));
    return NDIS_STATUS_PENDING;
}

static void
move_filter_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    uint32_t id = c->p[0], to = c->p[1];
    if (err != 0) {
        ndis_status_t st = pf__status_from_hw(err);
        pf__refuse(a, a->pending, st, "the device refused FILTER_MOVE",
                   "MOVE_FILTER filter=%u -> vport %u: the device refused (%s); the filter "
                   "stays where it was",
                   id, to, pf__hw_err_name(err));
        pf__oid_complete(a, st);
        return;
    }
    struct pf_filter *f = &a->filters[id];
    a->vports[f->vport_id].nfilters--;
    a->vports[to].nfilters++;
    f->vport_id = to;
    pf__oid_complete(a, NDIS_STATUS_SUCCESS);
}

ndis_status_t
pf__move_filter(struct pf_adapter *a, struct ndis_oid_request *req)
{
    struct ndis_receive_filter_move_filter_parameters p;
    memcpy(&p, req->information_buffer, sizeof p);
    req->bytes_read = (uint32_t)NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1;
    if (p.source_queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
        p.dest_queue_id != NDIS_DEFAULT_RECEIVE_QUEUE_ID)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "queue ids must be the default",
                          "MOVE_FILTER filter=%u: queue ids %u -> %u (only the default queue)",
                          p.filter_id, p.source_queue_id, p.dest_queue_id);
    if (p.filter_id == 0 || p.filter_id > a->max_filters || !a->filters[p.filter_id].used)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such FilterId",
                          "MOVE_FILTER filter=%u: no such filter", p.filter_id);
    const struct pf_filter *f = &a->filters[p.filter_id];
    if (f->vport_id != p.source_vport_id)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "filter is not on SourceVPortId",
                          "MOVE_FILTER filter=%u: it is on VPort %u, not on source VPort %u",
                          p.filter_id, f->vport_id, p.source_vport_id);
    if (pf__vport(a, p.dest_vport_id) == NULL)
        return pf__refuse(a, req, NDIS_STATUS_INVALID_PARAMETER, "no such destination VPort",
                          "MOVE_FILTER filter=%u: destination VPort %u does not exist", p.filter_id,
                          p.dest_vport_id);
    uint32_t cmd[2] = {p.filter_id, p.dest_vport_id};
    int err = pf__hw_cmd(a, PF_HW_FILTER_MOVE, cmd, 2, move_filter_done, NULL, 0);
    if (err != 0)
        return pf__refuse(a, req, NDIS_STATUS_RESOURCES, "device command queue",
                          "MOVE_FILTER filter=%u: cannot queue the device command (%s)",
                          p.filter_id, sim_strerror(err));
    return NDIS_STATUS_PENDING;
}
