/* SPDX-License-Identifier: MIT */
/*
 * switch.c — the extensible switch object (vmswitch.sys in the root): creation, the external
 * port's uplink, the host data-path poll loop and counters.
 */
#include <string.h>

#include "netvsp/netvsp_int.h"

SIM_LOG_NS_DEFINE(netvsp);
SIM_ALLOC_TAG_DEFINE(netvsp);

static void
cost_timer_cb(struct sim_timer *t)
{
    netvsp__cost_run(t->data);
}

int
netvsp_switch_create(const struct netvsp_switch_config *cfg, struct netvsp_switch **out,
                     struct sim_diag *d)
{
    if (!cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp_switch_create: NULL argument");
    *out = NULL;
    if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= NETVSP_NAME_MAX - 6)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp switch: name missing or longer than %u bytes",
                             NETVSP_NAME_MAX - 7);
    if (!cfg->sched)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp switch %s: no scheduler", cfg->name);
    if (cfg->uplink && !cfg->uplink->send)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp switch %s: uplink without a send function",
                             cfg->name);
    struct netvsp_switch *sw = sim_calloc(SIM_TAG(netvsp), 1, sizeof *sw);
    if (!sw)
        return sim_diag_fail(d, SIM_ENOMEM, "netvsp switch %s: out of memory", cfg->name);
    snprintf(sw->name, sizeof sw->name, "%s", cfg->name);
    snprintf(sw->ext_where, sizeof sw->ext_where, "%s.ext", cfg->name);
    sw->sched = cfg->sched;
    if (cfg->cost_per_frame_ns < 0) {
        sim_free(sw);
        return sim_diag_fail(d, SIM_EINVAL, "netvsp switch %s: negative cost", cfg->name);
    }
    sw->cost_frame_ns = cfg->cost_per_frame_ns;
    sw->cost_byte_ps = cfg->cost_per_byte_ps;
    sim_timer_init(sw->sched, &sw->cost_timer, cost_timer_cb, sw);
    sw->capreg = cfg->cap;
    if (cfg->drops) {
        sw->has_drops = true;
        sw->drops = *cfg->drops;
    }
    if (cfg->uplink) {
        sw->has_uplink = true;
        sw->uplink = *cfg->uplink;
        sw->uplink_ctx = cfg->uplink_ctx;
    }
    /* The switch's own copies of frames: NBLs with room for a jumbo frame plus a VLAN tag. */
    struct ndis_nbl_pool_config pc = {
        .name = sw->name,
        .nbl_count = cfg->nbls ? cfg->nbls : NETVSP_NBLS_DEFAULT,
        .nbs_per_nbl = 1,
        .data_size = NETVSP_FRAME_MAX + 2 * NETVSP_HEADROOM,
        .track_owners = true,
    };
    int err = ndis_nbl_pool_create(&pc, &sw->pool, d);
    if (err)
        goto fail_free;
    sw->tx_nbls = pc.nbl_count;
    if (sw->capreg) {
        char desc[96];
        snprintf(desc, sizeof desc, "extensible switch %s external port (PF default VPort)",
                 sw->name);
        err = cap_point_create(sw->capreg, sw->ext_where, desc, &sw->ext_cap, d);
        if (err)
            goto fail_pool;
    }
    SIM_DEBUG(netvsp, "%s: created (%s uplink)", sw->name, sw->has_uplink ? "with" : "no");
    *out = sw;
    return 0;

fail_pool:
    ndis_nbl_pool_destroy(sw->pool);
fail_free:
    sim_free(sw);
    return err;
}

void
netvsp_switch_destroy(struct netvsp_switch *sw)
{
    if (!sw)
        return;
    sim_timer_stop(&sw->cost_timer);
    netvsp__port_fini_all(sw);
    netvsp__uplink_fini(sw);
    cap_point_destroy(sw->ext_cap);
    ndis_nbl_pool_destroy(sw->pool);
    sim_free(sw);
}

const char *
netvsp_switch_name(const struct netvsp_switch *sw)
{
    return sw ? sw->name : "?";
}

void
netvsp_switch_stats(const struct netvsp_switch *sw, struct netvsp_switch_stats *out)
{
    if (sw && out)
        *out = sw->stats;
}

unsigned
netvsp_switch_poll(struct netvsp_switch *sw, unsigned budget)
{
    if (!sw)
        return 0;
    unsigned done = 0;
    /* Back-pressure from the wire: take no more VM frames than the external port has NBLs to
     * send them with (they wait in the VMBus rings, and the guest sees its sections busy),
     * instead of taking them and dropping them pool-exhausted. */
    if (sw->nic) {
        uint32_t in_use = ndis_nbl_pool_stats(sw->tx_pool)->in_use;
        uint32_t avail = sw->tx_nbls > in_use ? sw->tx_nbls - in_use : 0;
        if (budget > avail)
            budget = avail;
        if (budget == 0)
            return 0;
    }
    for (uint32_t i = 0; i < sw->port_span; i++)
        if (sw->ports[i])
            done += netvsp__port_poll(sw->ports[i], budget);
    return done;
}

int
netvsp_switch_uplink_receive(struct netvsp_switch *sw, const uint8_t *frame, uint32_t len,
                             uint64_t packet_id, uint32_t vport_id)
{
    if (!sw || !frame || len == 0)
        return SIM_EINVAL;
    sw->stats.from_wire++;
    netvsp__tap(sw, sw->ext_cap, CAP_DIR_IN, packet_id, frame, len);
    netvsp__switch_frame(sw, NULL, frame, len, packet_id, vport_id);
    return 0;
}

bool
netvsp_frame_is_synthetic_only(const uint8_t *frame, uint32_t len)
{
    if (!frame || len < NETVSP_ETH_HLEN)
        return false;
    if (frame[0] & 1u) /* group bit: broadcast or multicast */
        return true;
    uint32_t off = 12;
    uint16_t et = (uint16_t)(frame[off] << 8 | frame[off + 1]);
    if (et == NETVSP_TPID) {
        off += 4;
        if (len < off + 2)
            return false;
        et = (uint16_t)(frame[off] << 8 | frame[off + 1]);
    }
    off += 2;
    if (et != 0x0800u || len < off + 20)
        return false;
    const uint8_t *ip = frame + off;
    uint32_t ihl = (uint32_t)(ip[0] & 0x0fu) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 /* TCP */ || len < off + ihl + 14)
        return false;
    uint8_t flags = ip[ihl + 13];
    /* An inbound connection request: SYN without ACK. */
    return (flags & 0x02u) && !(flags & 0x10u);
}
