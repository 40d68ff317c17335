/* SPDX-License-Identifier: MIT */
/*
 * drop.c — the drop sink: every layer that drops a frame calls sim_drop_report() on the
 * registry's sink; this file finds the flow and packet the frame belonged to and charges the
 * drop to it, by cause.
 *
 * Windows counterpart: none in NDIS (a real stack loses packets silently, which is exactly why
 * failover loss is never published). Here the correctness contract holds instead: a flow's
 * figures reconcile exactly, sent = delivered + dropped by cause + in flight.
 *
 * Attribution, in order:
 *   1. the frame is given and parses (leniently: no checksum check) and its payload starts with
 *      a sriovsim header naming a live flow: charge (flow, header seq, cause);
 *   2. the frame is given, is TCP without payload and matches a TCP flow's ports in either
 *      direction: a control segment (SYN, ACK, FIN) of that flow;
 *   3. the packet id is in the registry's ring of recent packet ids: charge what it names;
 *   4. otherwise: unattributed, by cause (not our frame — ARP, a stranger — or too old).
 */
#include "traffic/traffic_int.h"

void
traffic__drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
                 const void *frame, uint32_t len)
{
    struct traffic_registry *r = ctx;
    r->st.drop_reports++;
    if ((unsigned)cause >= SIM_DROP_CAUSE_COUNT) {
        r->st.bad_cause++;
        SIM_WARN(traffic, "drop report from %s with invalid cause %d", where ? where : "?",
                 (int)cause);
        return;
    }
    if (frame != NULL && len > 0) {
        struct traffic_frame_info fi;
        if (traffic_frame_parse(frame, len, 0, &fi, NULL) == 0) {
            if (fi.has_hdr) {
                struct traffic_flow *f = traffic_registry_flow(r, fi.hdr.flow_id);
                if (f != NULL && (unsigned)f->kind == fi.hdr.kind) {
                    traffic__data_dropped(f, fi.hdr.seq, cause);
                    r->st.attributed++;
                    return;
                }
            } else if (fi.proto == TRAFFIC_PROTO_TCP && fi.payload_len == 0) {
                enum traffic__pkt_kind kind;
                struct traffic_flow *f = traffic__flow_by_ports(r, fi.proto, fi.src_ip, fi.src_port,
                                                                fi.dst_ip, fi.dst_port, &kind);
                if (f != NULL) {
                    traffic__ctl_dropped(f, kind, fi.ip_id, cause);
                    r->st.attributed++;
                    return;
                }
            }
        }
    }
    const struct traffic__id_entry *e = traffic__id_lookup(r, packet_id);
    struct traffic_flow *f = e != NULL ? traffic_registry_flow(r, e->flow_id) : NULL;
    if (f != NULL) {
        if (e->kind == TRAFFIC__PKT_DATA)
            traffic__data_dropped(f, e->seq, cause);
        else
            traffic__ctl_dropped(f, (enum traffic__pkt_kind)e->kind, (uint16_t)e->seq, cause);
        r->st.attributed++;
        r->st.attributed_by_id++;
        return;
    }
    r->st.unattributed[cause]++;
    r->st.unattributed_total++;
}
