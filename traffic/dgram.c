/* SPDX-License-Identifier: MIT */
/*
 * dgram.c — the datagram flow: an iperf-like UDP sender paced at a fixed bit rate (one sim
 * timer event per batch of frames, no allocation per packet) and its receiver.
 *
 * Windows counterpart: an application sending UDP through Winsock in the guest (or on the
 * external peer), e.g. `iperf3 -u -b 10G -l 1458`.
 */
#include "traffic/traffic_int.h"

int
traffic_dgram_create(struct traffic_registry *reg, const struct traffic_flow_config *cfg,
                     struct traffic_flow **out, struct sim_diag *d)
{
    return traffic__flow_create(reg, TRAFFIC_FLOW_DGRAM, cfg, out, d);
}

static void
dgram_pace(struct traffic_flow *f)
{
    struct traffic_registry *reg = f->reg;
    sim_time_t now = sim_sched_now(reg->sched);
    uint32_t batch = f->cfg.batch;
    for (uint32_t i = 0; i < batch; i++) {
        if (!f->sending)
            return;
        if (now >= f->stop_at) {
            traffic__flow_finish(f);
            return;
        }
        uint64_t seq = f->next_seq;
        struct traffic_hdr h = {
            .magic = TRAFFIC_MAGIC,
            .version = TRAFFIC_HDR_VERSION,
            .kind = TRAFFIC_FLOW_DGRAM,
            .flow_id = f->id,
            .seq = seq,
            .send_ns = now,
            .packet_id = traffic__packet_id(reg, f->id, TRAFFIC__PKT_DATA, seq),
            .offset = 0,
        };
        traffic__template_stamp(f, &h, 0, 0, 0, 0);
        if (traffic__data_send(f, seq, h.packet_id) < 0)
            break; /* refused: try again at the next pacing event */
        if (f->cfg.count != 0 && f->st.sent >= f->cfg.count) {
            traffic__flow_finish(f);
            return;
        }
    }
    if (!f->sending)
        return;
    traffic__pace_next(f, batch);
    if (sim_timer_start_at(&f->pace_timer, f->next_send) < 0) {
        SIM_ERROR(traffic, "flow %s: cannot re-arm its pacing timer; flow stopped", f->name);
        traffic__flow_finish(f);
    }
}

void
traffic__dgram_pace_cb(struct sim_timer *t)
{
    struct traffic_flow *f = t->data;
    dgram_pace(f);
    traffic__live_note(f);
}

void
traffic__dgram_rx(struct traffic_flow *f, const struct traffic_frame_info *fi)
{
    if (!fi->has_hdr || fi->hdr.flow_id != f->id || fi->hdr.kind != TRAFFIC_FLOW_DGRAM) {
        f->st.integrity_errors++; /* something else arrived at this flow's port */
        return;
    }
    traffic__data_arrived(f, &fi->hdr, sim_sched_now(f->reg->sched));
}
