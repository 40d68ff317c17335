/* SPDX-License-Identifier: MIT */
/*
 * uplink.c — the external port's way to the wire. Either the ops table given at creation (an
 * in-test wire, a bench harness) or NetVSP's protocol edge bound through NDIS to the host's NIC
 * miniport: vmswitch.sys binds the physical adapter (the PF, whose default VPort carries the
 * switch's traffic) as a protocol, sends NBLs down and receives the miniport's indications.
 */
#include <string.h>

#include "netvsp/netvsp_int.h"

bool
netvsp__has_wire(const struct netvsp_switch *sw)
{
    return sw->nic != NULL || sw->has_uplink;
}

int
netvsp__wire_send(struct netvsp_switch *sw, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    if (!sw->nic)
        return sw->uplink.send(sw->uplink_ctx, frame, len, packet_id);
    /* Stage the frame into an NBL the miniport may keep until its send-complete (the switch's
     * own copy is freed when forwarding ends). */
    struct ndis_nbl *n = ndis_nbl_alloc(sw->tx_pool, sw->nic);
    if (!n)
        return SIM_EAGAIN;
    struct ndis_nb *nb = n->first_nb;
    memcpy(nb->data + NETVSP_HEADROOM, frame, len);
    nb->data_offset = NETVSP_HEADROOM;
    nb->data_length = len;
    n->packet_id = packet_id;
    n->vport_id = 0; /* the PF's default VPort */
    sw->stats.uplink_copies++;
    int err = ndis_binding_send(sw->nic, n, 0);
    if (err) {
        ndis_nbl_free(n, sw->nic);
        return err;
    }
    return 0;
}

static ndis_status_t
bind_adapter(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    struct netvsp_switch *sw = ctx;
    if (sw->nic)
        return NDIS_STATUS_NOT_SUPPORTED; /* one external adapter per switch */
    ndis_binding_set_context(b, sw);
    sw->nic = b;
    SIM_DEBUG(netvsp, "%s: external port bound to %s", sw->name, bp->miniport_name);
    return NDIS_STATUS_SUCCESS;
}

static void
unbind_adapter(void *ctx, struct ndis_binding *b)
{
    struct netvsp_switch *sw = ctx;
    if (sw->nic == b)
        sw->nic = NULL;
}

static void
receive_nbls(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct netvsp_switch *sw = bctx;
    for (struct ndis_nbl *n = chain; n; n = n->next)
        for (struct ndis_nb *nb = n->first_nb; nb; nb = nb->next)
            netvsp_switch_uplink_receive(sw, nb->data + nb->data_offset, nb->data_length,
                                         n->packet_id, n->vport_id);
    ndis_binding_return(b, chain);
}

static void
send_complete(void *bctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct netvsp_switch *sw = bctx;
    for (struct ndis_nbl *n = chain, *next; n; n = next) {
        next = n->next;
        n->next = NULL;
        if (n->status != NDIS_STATUS_SUCCESS) {
            /* The miniport failed it and reported the drop with its cause: count only. */
            sw->stats.uplink_failed++;
        }
        ndis_nbl_free(n, b);
    }
}

static const struct ndis_protocol_ops proto_ops = {
    .bind_adapter = bind_adapter,
    .unbind_adapter = unbind_adapter,
    .receive_net_buffer_lists = receive_nbls,
    .send_net_buffer_lists_complete = send_complete,
};

int
netvsp_switch_bind_nic(struct netvsp_switch *sw, struct ndis_miniport *mp, struct sim_diag *d)
{
    if (!sw || !mp)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp_switch_bind_nic: NULL argument");
    if (sw->nic)
        return sim_diag_fail(d, SIM_EBUSY, "%s: the external port is already bound", sw->name);
    int err;
    if (!sw->proto) {
        /* NetVSP's protocol edge: an ordinary protocol (it must not bind VF miniports). */
        struct ndis_protocol_config pc = {.name = "netvsp", .ops = &proto_ops, .ctx = sw};
        err = ndis_protocol_create(&pc, &sw->proto, d);
        if (err)
            return err;
    }
    if (!sw->tx_pool) {
        struct ndis_nbl_pool_config nc = {
            .name = sw->ext_where,
            .nbl_count = sw->tx_nbls,
            .nbs_per_nbl = 1,
            .data_size = NETVSP_FRAME_MAX + 2 * NETVSP_HEADROOM,
            .track_owners = true,
        };
        err = ndis_nbl_pool_create(&nc, &sw->tx_pool, d);
        if (err)
            return err;
    }
    struct ndis_binding *b = NULL;
    ndis_status_t st = 0;
    err = ndis_bind(sw->proto, mp, &b, &st, d);
    if (err)
        return err;
    return 0;
}

int
netvsp_switch_unbind_nic(struct netvsp_switch *sw, struct sim_diag *d)
{
    if (!sw || !sw->nic)
        return sim_diag_fail(d, SIM_ENOENT, "netvsp: the external port is not bound");
    return ndis_unbind(sw->nic, d);
}

struct ndis_binding *
netvsp_switch_nic_binding(const struct netvsp_switch *sw)
{
    return sw ? sw->nic : NULL;
}

void
netvsp__uplink_fini(struct netvsp_switch *sw)
{
    if (sw->nic)
        ndis_unbind(sw->nic, NULL);
    if (sw->proto && ndis_protocol_destroy(sw->proto) == 0)
        sw->proto = NULL;
    if (sw->tx_pool && ndis_nbl_pool_destroy(sw->tx_pool) == 0)
        sw->tx_pool = NULL;
    if (sw->proto || sw->tx_pool)
        SIM_ERROR(netvsp, "%s: destroyed while NBLs are still at the NIC miniport (leaked)",
                  sw->name);
}
