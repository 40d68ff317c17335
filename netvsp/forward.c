/* SPDX-License-Identifier: MIT */
/*
 * forward.c — the extensible switch's forwarding pipeline (vmswitch.sys ingress -> lookup ->
 * egress): the host's own copy of each frame, ingress policies (MTU, VLAN, anti-spoof), the
 * destination lookup (linear over the ports: allocation-free), flooding of broadcast and
 * multicast, unknown unicast to the external port, delivery into a VM's receive buffer (the
 * second copy) or onto the wire. Every drop is reported with a cause.
 */
#include <string.h>

#include "netvsp/netvsp_int.h"

void
netvsp__tap(struct netvsp_switch *sw, struct cap_point *p, enum cap_dir dir, uint64_t packet_id,
            const void *frame, uint32_t len)
{
    /* Capture is loop-thread only: tap only when a session records the point (never in bench
     * mode, where the host runs on its own thread with no capture). */
    if (p && cap_point_is_recording(p))
        cap_tap(p, sim_sched_now(sw->sched), dir, packet_id, CAP_QUEUE_NONE, frame, len);
}

void
netvsp__drop(struct netvsp_switch *sw, struct netvsp_port *port, enum sim_drop_cause cause,
             const char *where, uint64_t packet_id, const void *frame, uint32_t len)
{
    sw->stats.dropped[cause]++;
    sw->stats.dropped_total++;
    if (port)
        port->stats.dropped[cause]++;
    SIM_TRACE(netvsp, "%s: drop packet %llu (%s)", where, (unsigned long long)packet_id,
              sim_drop_cause_name(cause));
    sim_drop_report(sw->has_drops ? &sw->drops : NULL, cause, where, packet_id, frame, len);
}

static bool
mac_eq(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 6) == 0;
}

static bool
port_owns_mac(const struct netvsp_port *p, const uint8_t *mac)
{
    if (mac_eq(p->mac, mac))
        return true;
    for (uint32_t i = 0; i < p->policy.allowed_mac_count; i++)
        if (mac_eq(p->policy.allowed_macs[i], mac))
            return true;
    return false;
}

/* Deliver the switch's copy (frame, len: untagged) to a VM port: the copy into the VM's
 * receive-buffer section, then SEND_RNDIS_PKT to the guest. */
static void
deliver_vm(struct netvsp_switch *sw, struct netvsp_port *p, const uint8_t *frame, uint32_t len,
           uint64_t packet_id)
{
    if (!p->ready || !p->ep) {
        netvsp__drop(sw, p, SIM_DROP_PATH_INACTIVE, p->where, packet_id, frame, len);
        return;
    }
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT;
    m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
    m.xid = packet_id;
    struct nvsp_msg_rndis_pkt pkt = {0, 0};
    NVSP_PUT(&m, pkt);
    netvsp__tap(sw, p->cap, CAP_DIR_OUT, packet_id, frame, len);
    int err = hv_vmbus_ep_send_copy(p->ep, &m, frame, len);
    if (err == 0) {
        sw->stats.copies++;
        sw->stats.bytes_copied += len;
        p->stats.tx_frames++;
        p->stats.tx_bytes += len;
        return;
    }
    if (err == SIM_ENOSPC) {
        /* hv reported it (vmbus-ring-full) to the channel's sink, which is ours: count it. */
        sw->stats.dropped[SIM_DROP_VMBUS_RING_FULL]++;
        sw->stats.dropped_total++;
        p->stats.dropped[SIM_DROP_VMBUS_RING_FULL]++;
        return;
    }
    enum sim_drop_cause c = err == SIM_EINVAL ? SIM_DROP_MTU : SIM_DROP_PATH_INACTIVE;
    netvsp__drop(sw, p, c, p->where, packet_id, frame, len);
}

/* Send to the wire; buf has NETVSP_HEADROOM bytes before frame for a VLAN tag. */
static void
deliver_wire(struct netvsp_switch *sw, uint8_t *frame, uint32_t len, uint16_t vlan,
             uint64_t packet_id)
{
    if (vlan != 0) {
        /* Egress on the trunk: insert the 802.1Q tag into our copy. */
        memmove(frame - 4, frame, 12);
        frame -= 4;
        frame[12] = (uint8_t)(NETVSP_TPID >> 8);
        frame[13] = (uint8_t)(NETVSP_TPID & 0xff);
        frame[14] = (uint8_t)(vlan >> 8);
        frame[15] = (uint8_t)(vlan & 0xff);
        len += 4;
    }
    netvsp__tap(sw, sw->ext_cap, CAP_DIR_OUT, packet_id, frame, len);
    int err = netvsp__wire_send(sw, frame, len, packet_id);
    if (vlan != 0) { /* restore the untagged copy for further flooding */
        memmove(frame + 4, frame, 12);
        frame += 4;
        len -= 4;
    }
    if (err == 0) {
        sw->stats.to_wire++;
        return;
    }
    enum sim_drop_cause c = err == SIM_ENOSPC   ? SIM_DROP_RING_FULL
                            : err == SIM_EAGAIN ? SIM_DROP_POOL_EXHAUSTED
                            : err == SIM_ESTATE ? SIM_DROP_PAUSED
                            : err == SIM_ENODEV ? SIM_DROP_SURPRISE_REMOVAL
                                                : SIM_DROP_LINK_DOWN;
    netvsp__drop(sw, NULL, c, sw->ext_where, packet_id, frame, len);
}

static struct netvsp_port *
lookup(struct netvsp_switch *sw, const uint8_t *dst)
{
    sw->stats.lookups++;
    for (uint32_t i = 0; i < sw->port_span; i++) {
        struct netvsp_port *p = sw->ports[i];
        if (p && mac_eq(p->mac, dst))
            return p;
    }
    return NULL;
}

static struct netvsp_port *
vmq_port(struct netvsp_switch *sw, uint32_t vport_id)
{
    for (uint32_t i = 0; i < sw->port_span; i++) {
        struct netvsp_port *p = sw->ports[i];
        if (p && p->vmq_vport == vport_id)
            return p;
    }
    return NULL;
}

void
netvsp__switch_frame(struct netvsp_switch *sw, struct netvsp_port *src, const uint8_t *in,
                     uint32_t len, uint64_t packet_id, uint32_t vport_id)
{
    const char *where = src ? src->where : sw->ext_where;
    sw->stats.frames_in++;
    if (sw->cost_frame_ns || sw->cost_byte_ps) {
        /* The switch CPU is busy with this frame (scenario mode only: reads the clock). */
        sim_time_t now = sim_sched_now(sw->sched);
        sim_time_t c = sw->cost_frame_ns + (sim_time_t)len * sw->cost_byte_ps / 1000;
        sw->busy_until = (sw->busy_until > now ? sw->busy_until : now) + c;
        sw->stats.busy_ns += c;
    }
    if (len < NETVSP_ETH_HLEN || len > NETVSP_FRAME_MAX + 4) {
        netvsp__drop(sw, src, len < NETVSP_ETH_HLEN ? SIM_DROP_MALFORMED : SIM_DROP_MTU, where,
                     packet_id, in, len);
        return;
    }
    /* The copy the synthetic path pays on the host: out of the guest's section (or the PF's
     * receive buffer) into the switch's own NBL. */
    struct ndis_nbl *nbl = ndis_nbl_alloc(sw->pool, sw);
    if (!nbl) {
        netvsp__drop(sw, src, SIM_DROP_POOL_EXHAUSTED, where, packet_id, in, len);
        return;
    }
    struct ndis_nb *nb = nbl->first_nb;
    uint8_t *frame = nb->data + NETVSP_HEADROOM;
    memcpy(frame, in, len);
    nb->data_offset = NETVSP_HEADROOM;
    nb->data_length = len;
    nbl->packet_id = packet_id;
    sw->stats.copies++;
    sw->stats.bytes_copied += len;

    /* Ingress: VLAN. A VM port is an access port: an untagged frame belongs to its VLAN; a
     * tagged frame must carry that VLAN. The external port is a trunk. The tag is stripped. */
    uint16_t vlan = src ? src->policy.vlan_id : 0;
    if ((uint16_t)(frame[12] << 8 | frame[13]) == NETVSP_TPID) {
        if (len < NETVSP_ETH_HLEN + 4) {
            netvsp__drop(sw, src, SIM_DROP_MALFORMED, where, packet_id, in, len);
            goto done;
        }
        uint16_t vid = (uint16_t)((frame[14] << 8 | frame[15]) & 0x0fff);
        if (src && vid != src->policy.vlan_id) {
            netvsp__drop(sw, src, SIM_DROP_VLAN_MISMATCH, where, packet_id, in, len);
            goto done;
        }
        vlan = vid;
        memmove(frame + 4, frame, 12);
        frame += 4;
        len -= 4;
    }
    if (src) {
        uint32_t mtu = src->policy.mtu ? src->policy.mtu : NETVSP_MTU_DEFAULT;
        if (len > mtu) {
            netvsp__drop(sw, src, SIM_DROP_MTU, where, packet_id, in, len);
            goto done;
        }
        /* Anti-spoof: the source MAC must be the port's own (or on its allowed list). */
        if (src->policy.anti_spoof && !port_owns_mac(src, frame + 6)) {
            netvsp__drop(sw, src, SIM_DROP_SPOOF_CHECK, where, packet_id, in, len);
            goto done;
        }
    }

    const uint8_t *dst = frame;
    if (dst[0] & 1u) {
        /* Broadcast / multicast: every other port on the VLAN, and the wire. */
        sw->stats.flooded++;
        for (uint32_t i = 0; i < sw->port_span; i++) {
            struct netvsp_port *p = sw->ports[i];
            if (p && p != src && p->policy.vlan_id == vlan)
                deliver_vm(sw, p, frame, len, packet_id);
        }
        if (src && netvsp__has_wire(sw))
            deliver_wire(sw, frame, len, vlan, packet_id);
        goto done;
    }
    struct netvsp_port *p = NULL;
    if (!src && vport_id != 0) {
        /* Hardware-assisted (VMQ): the NIC switch already sorted it by the VM's filters. */
        p = vmq_port(sw, vport_id);
        if (p)
            sw->stats.vmq_hits++;
    }
    if (!p)
        p = lookup(sw, dst);
    if (p == src && p) {
        netvsp__drop(sw, src, SIM_DROP_NO_ROUTE, where, packet_id, frame, len);
        goto done;
    }
    if (p) {
        if (p->policy.vlan_id != vlan) {
            netvsp__drop(sw, p, SIM_DROP_VLAN_MISMATCH, p->where, packet_id, frame, len);
            goto done;
        }
        deliver_vm(sw, p, frame, len, packet_id);
        goto done;
    }
    if (src && netvsp__has_wire(sw)) {
        sw->stats.unknown_unicast++;
        deliver_wire(sw, frame, len, vlan, packet_id);
        goto done;
    }
    netvsp__drop(sw, src, SIM_DROP_NO_ROUTE, where, packet_id, frame, len);
done:
    ndis_nbl_free(nbl, sw);
}
