/* SPDX-License-Identifier: MIT */
/*
 * port.c — the physical port: link state (carrier x admin x wire attached), the link rate and
 * serialization delay in scenario mode, and the hook through which frames leave for the wire
 * and arrive from it.
 *
 * Hardware counterpart: the MAC/PHY of the adapter's uplink (82599 LINKS register, E810 link
 * status events); NDIS sees its state through NDIS_STATUS_LINK_STATE indications that the PF
 * miniport raises from the link interrupt.
 */
#include <string.h>

#include "nic/nic_int.h"

bool
nic__link_up(const struct nic *nic)
{
    return nic->wire_attached && nic->admin_up && !nic->knobs.link_down;
}

bool
nic_port_is_up(const struct nic *nic)
{
    return nic__link_up(nic);
}

/* Recompute the link; on a change count it and raise the PF's link vector. */
void
nic__port_link_update(struct nic *nic)
{
    bool up = nic__link_up(nic);
    if (up == nic->link_reported)
        return;
    nic->link_reported = up;
    nic->port_stats.link_changes++;
    SIM_DEBUG(nic, "%s: link %s", nic->name, up ? "up" : "down");
    nic__fire(&nic->pf, NIC_PF_VEC_LINK);
}

void
nic_port_attach(struct nic *nic, const struct nic_wire_ops *ops, void *ctx)
{
    if (ops != NULL && ops->tx != NULL) {
        nic->wire = *ops;
        nic->wire_ctx = ctx;
        nic->wire_attached = true;
    } else {
        memset(&nic->wire, 0, sizeof(nic->wire));
        nic->wire_ctx = NULL;
        nic->wire_attached = false;
    }
    nic__port_link_update(nic);
}

void
nic_port_set_carrier(struct nic *nic, bool up)
{
    nic->knobs.link_down = !up;
    nic__port_link_update(nic);
}

/* Serialization time of a frame of len bytes at the link rate (with preamble, FCS, IFG). */
static sim_time_t
nic_port_ser_ns(const struct nic *nic, uint32_t len)
{
    uint64_t bits = (uint64_t)(len + NIC_WIRE_OVERHEAD_BYTES) * 8u;
    return (sim_time_t)((bits * (uint64_t)SIM_NSEC_PER_SEC + nic->rate_bps - 1) / nic->rate_bps);
}

int
nic__port_tx(struct nic *nic, const struct nic_frame *f)
{
    if (!nic__link_up(nic)) {
        nic->port_stats.drops[SIM_DROP_LINK_DOWN]++;
        return SIM_DROP_LINK_DOWN + 1;
    }
    sim_time_t now = sim_sched_now(nic->sched);
    sim_time_t done = now;
    if (!nic->poll_mode) {
        sim_time_t start = nic->port_busy_until > now ? nic->port_busy_until : now;
        done = start + nic_port_ser_ns(nic, f->len);
        nic->port_busy_until = done;
    }
    nic->port_stats.tx_frames++;
    nic->port_stats.tx_bytes += f->len;
    nic->wire.tx(nic->wire_ctx, f->data, f->len, f->packet_id, done);
    return 0;
}

int
nic_port_rx(struct nic *nic, const void *frame, uint32_t len, uint64_t packet_id)
{
    if (nic == NULL || frame == NULL)
        return SIM_EINVAL;
    struct nic_frame f;
    nic->port_stats.rx_frames++;
    nic->port_stats.rx_bytes += len;
    if (!nic__link_up(nic) || len < NIC_MIN_FRAME_LEN || len > NIC_MAX_FRAME_LEN) {
        enum sim_drop_cause cause = !nic__link_up(nic)        ? SIM_DROP_LINK_DOWN
                                    : len < NIC_MIN_FRAME_LEN ? SIM_DROP_MALFORMED
                                                              : SIM_DROP_MTU;
        nic->port_stats.drops[cause]++;
        nic__drop(nic, NULL, cause, nic->where_port_rx, packet_id, frame, len);
        return 0;
    }
    nic__frame_parse(&f, frame, len, packet_id);
    nic__switch_from_wire(nic, &f);
    return 0;
}

void
nic_port_stats(const struct nic *nic, struct nic_port_stats *out)
{
    *out = nic->port_stats;
}
