/* SPDX-License-Identifier: MIT */
/*
 * protocol.c — the protocol edge: protocol drivers, bindings to miniports, sends and their
 * completions, receive indications and their return. Enforces the VF binding rule: a VF
 * miniport (INF UpperRange "ndisvf") binds only NetVSC's protocol edge (LowerRange "ndisvf"),
 * so that failover to the synthetic path stays possible (reference §6.4, §1).
 *
 * Windows counterpart: NdisRegisterProtocolDriver, ProtocolBindAdapterEx / NdisOpenAdapterEx,
 * ProtocolUnbindAdapterEx / NdisCloseAdapterEx, NdisSendNetBufferLists,
 * NdisMSendNetBufferListsComplete, NdisMIndicateReceiveNetBufferLists,
 * NdisReturnNetBufferLists.
 */
#include <string.h>

#include "ndis_int.h"

SIM_ALLOC_TAG_DEFINE(ndis_protocol);
SIM_ALLOC_TAG_DEFINE(ndis_binding);

/* Owner token of an NBL indicated to several bindings at once. */
static const char lent_to_many_token = 0;
#define LENT_TO_MANY ((const void *)&lent_to_many_token)

int
ndis_protocol_create(const struct ndis_protocol_config *cfg, struct ndis_protocol **out,
                     struct sim_diag *d)
{
    if (out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "protocol: NULL out");
    *out = NULL;
    if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0' || cfg->ops == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "protocol: name and ops are required");
    struct ndis_protocol *p = sim_calloc(SIM_TAG(ndis_protocol), 1, sizeof *p);
    if (p == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "protocol %s: out of memory", cfg->name);
    ndis__copy_name(p->name, cfg->name);
    p->flags = cfg->flags;
    p->ops = cfg->ops;
    p->ctx = cfg->ctx;
    *out = p;
    return 0;
}

int
ndis_protocol_destroy(struct ndis_protocol *p)
{
    if (p == NULL)
        return 0;
    if (p->bindings != NULL)
        return SIM_EBUSY;
    sim_free(p);
    return 0;
}

const char *
ndis_protocol_name(const struct ndis_protocol *p)
{
    return p->name;
}

static void
unlink_binding(struct ndis_binding *b)
{
    for (struct ndis_binding **pp = &b->miniport->bindings; *pp != NULL;
         pp = &(*pp)->next_in_miniport) {
        if (*pp == b) {
            *pp = b->next_in_miniport;
            break;
        }
    }
    for (struct ndis_binding **pp = &b->protocol->bindings; *pp != NULL;
         pp = &(*pp)->next_in_protocol) {
        if (*pp == b) {
            *pp = b->next_in_protocol;
            break;
        }
    }
    b->miniport->binding_count--;
}

int
ndis_bind(struct ndis_protocol *p, struct ndis_miniport *mp, struct ndis_binding **out,
          ndis_status_t *status, struct sim_diag *d)
{
    ndis_status_t dummy;
    if (status == NULL)
        status = &dummy;
    *status = NDIS_STATUS_FAILURE;
    if (out != NULL)
        *out = NULL;
    if (p == NULL || mp == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "bind: NULL protocol, miniport or out");
    if (mp->state != NDIS_MINIPORT_PAUSED && mp->state != NDIS_MINIPORT_RUNNING)
        return sim_diag_fail(d, SIM_ESTATE, "bind %s -> %s: miniport is %s", p->name, mp->name,
                             ndis_miniport_state_name(mp->state));
    for (struct ndis_binding *b = mp->bindings; b != NULL; b = b->next_in_miniport)
        if (b->protocol == p)
            return sim_diag_fail(d, SIM_EEXIST, "bind %s -> %s: already bound", p->name, mp->name);
    if (mp->kind == NDIS_MINIPORT_VF && !(p->flags & NDIS_PROTOCOL_CHAR_BINDS_VF)) {
        *status = NDIS_STATUS_NOT_SUPPORTED;
        return sim_diag_fail(d, SIM_EPERM,
                             "bind %s -> %s: a VF miniport (UpperRange ndisvf) binds only NetVSC "
                             "(LowerRange ndisvf), so that failover to the synthetic path stays "
                             "possible (NDIS_STATUS_NOT_SUPPORTED)",
                             p->name, mp->name);
    }
    if (mp->kind == NDIS_MINIPORT_VF && mp->bindings != NULL) {
        /* One upper edge only: a second protocol on the VF would see traffic NetVSC's failover
         * cannot move back to the synthetic path. */
        *status = NDIS_STATUS_NOT_SUPPORTED;
        return sim_diag_fail(d, SIM_EPERM,
                             "bind %s -> %s: the VF miniport is already bound by %s; a VF "
                             "miniport has exactly one protocol above it, NetVSC "
                             "(NDIS_STATUS_NOT_SUPPORTED)",
                             p->name, mp->name, mp->bindings->protocol->name);
    }
    struct ndis_binding *b = sim_calloc(SIM_TAG(ndis_binding), 1, sizeof *b);
    if (b == NULL) {
        *status = NDIS_STATUS_RESOURCES;
        return sim_diag_fail(d, SIM_ENOMEM, "bind %s -> %s: out of memory", p->name, mp->name);
    }
    b->protocol = p;
    b->miniport = mp;
    b->next_in_miniport = mp->bindings;
    mp->bindings = b;
    b->next_in_protocol = p->bindings;
    p->bindings = b;
    mp->binding_count++;
    struct ndis_bind_parameters bp = {
        .miniport_name = mp->name,
        .kind = mp->kind,
        .sriov_caps = mp->sriov_enabled ? mp->sriov_caps : 0,
    };
    *status =
        p->ops->bind_adapter != NULL ? p->ops->bind_adapter(p->ctx, b, &bp) : NDIS_STATUS_SUCCESS;
    if (*status != NDIS_STATUS_SUCCESS) {
        char sb[16];
        unlink_binding(b);
        sim_free(b);
        return sim_diag_fail(d, SIM_EPERM, "bind %s -> %s: ProtocolBindAdapterEx refused (%s)",
                             p->name, mp->name, ndis_status_str(*status, sb, sizeof sb));
    }
    *out = b;
    return 0;
}

int
ndis_unbind(struct ndis_binding *b, struct sim_diag *d)
{
    if (b == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "unbind: NULL binding");
    if (b->sends_out != 0 || b->receives_out != 0)
        return sim_diag_fail(d, SIM_EBUSY,
                             "unbind %s -> %s: %llu sends at the miniport, %llu receives not "
                             "returned",
                             b->protocol->name, b->miniport->name, (unsigned long long)b->sends_out,
                             (unsigned long long)b->receives_out);
    if (b->protocol->ops->unbind_adapter != NULL)
        b->protocol->ops->unbind_adapter(b->protocol->ctx, b);
    unlink_binding(b);
    sim_free(b);
    return 0;
}

void
ndis_binding_set_context(struct ndis_binding *b, void *binding_ctx)
{
    b->ctx = binding_ctx;
}

void *
ndis_binding_context(const struct ndis_binding *b)
{
    return b->ctx;
}

struct ndis_miniport *
ndis_binding_miniport(const struct ndis_binding *b)
{
    return b->miniport;
}

struct ndis_protocol *
ndis_binding_protocol(const struct ndis_binding *b)
{
    return b->protocol;
}

/* ---- send path ---------------------------------------------------------------------------- */

int
ndis_binding_send(struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    if (b == NULL || chain == NULL)
        return SIM_EINVAL;
    struct ndis_miniport *mp = b->miniport;
    if (mp->removed)
        return SIM_ENODEV;
    if (mp->state != NDIS_MINIPORT_RUNNING || mp->ops->send_net_buffer_lists == NULL)
        return SIM_ESTATE;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next)
        if (!ndis__nbl_is_held_by(n, b))
            return SIM_EINVAL;
    ndis__observe_send(mp, b, chain);
    uint64_t count = 0;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        ndis_nbl_transfer(n, b, mp); /* cannot fail: checked above */
        n->priv.source = b;
        n->status = NDIS_STATUS_PENDING;
        count++;
    }
    b->sends_out += count;
    mp->stats.sends += count;
    mp->ops->send_net_buffer_lists(mp->ctx, chain, 0, flags);
    return 0;
}

int
ndis_miniport_send_complete(struct ndis_miniport *mp, struct ndis_nbl *chain, uint32_t flags)
{
    if (mp == NULL || chain == NULL)
        return SIM_EINVAL;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next)
        if (n->priv.source == NULL || n->priv.source->miniport != mp ||
            !ndis__nbl_is_held_by(n, mp)) {
            ndis__observe_misuse(mp, NDIS_MISUSE_SEND_COMPLETE_NOT_SENT, NULL, n);
            return SIM_EINVAL;
        }
    /* Deliver runs of NBLs that came from the same binding as one completion call. */
    while (chain != NULL) {
        struct ndis_binding *b = chain->priv.source;
        struct ndis_nbl *run = chain, *last = chain;
        uint64_t count = 1;
        while (last->next != NULL && last->next->priv.source == b) {
            last = last->next;
            count++;
        }
        chain = last->next;
        last->next = NULL;
        for (struct ndis_nbl *n = run; n != NULL; n = n->next) {
            ndis_nbl_transfer(n, mp, b);
            n->priv.source = NULL;
        }
        b->sends_out -= count;
        mp->stats.send_completes += count;
        if (b->protocol->ops->send_net_buffer_lists_complete != NULL)
            b->protocol->ops->send_net_buffer_lists_complete(b->ctx, b, run, flags);
    }
    return 0;
}

/* ---- receive path ------------------------------------------------------------------------- */

int
ndis_miniport_indicate_receive(struct ndis_miniport *mp, struct ndis_nbl *chain, uint32_t flags)
{
    if (mp == NULL || chain == NULL)
        return SIM_EINVAL;
    if (mp->state != NDIS_MINIPORT_RUNNING)
        return SIM_ESTATE;
    uint64_t count = 0;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        if (!ndis__nbl_is_held_by(n, mp))
            return SIM_EINVAL;
        count++;
    }
    mp->stats.receives += count;
    ndis__observe_receive(mp, chain);
    if (mp->binding_count == 0) {
        /* Nobody to indicate to: the NBLs go straight back to the miniport. */
        mp->stats.returns += count;
        if (mp->ops->return_net_buffer_lists != NULL)
            mp->ops->return_net_buffer_lists(mp->ctx, chain, 0);
        return 0;
    }
    const void *token = mp->binding_count == 1 ? (const void *)mp->bindings : LENT_TO_MANY;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        ndis_nbl_transfer(n, mp, token);
        n->priv.lent = (uint32_t)mp->binding_count;
    }
    for (struct ndis_binding *b = mp->bindings; b != NULL; b = b->next_in_miniport) {
        b->receives_out += count;
        if (b->protocol->ops->receive_net_buffer_lists != NULL)
            b->protocol->ops->receive_net_buffer_lists(b->ctx, b, chain, flags);
        else
            ndis_binding_return(b, chain); /* a protocol without a receive handler */
    }
    return 0;
}

int
ndis_binding_return(struct ndis_binding *b, struct ndis_nbl *chain)
{
    if (b == NULL || chain == NULL)
        return SIM_EINVAL;
    struct ndis_miniport *mp = b->miniport;
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next)
        if (n->priv.lent == 0 ||
            !(ndis__nbl_is_held_by(n, b) || ndis__nbl_is_held_by(n, LENT_TO_MANY))) {
            ndis__observe_misuse(mp, NDIS_MISUSE_RETURN_NOT_INDICATED, NULL, n);
            return SIM_EINVAL;
        }
    struct ndis_nbl *back = NULL, **tail = &back;
    uint64_t count = 0, returned = 0;
    for (struct ndis_nbl *n = chain, *next; n != NULL; n = next) {
        next = n->next;
        count++;
        if (--n->priv.lent == 0) {
            ndis_nbl_transfer(n, ndis_nbl_owner(n), mp);
            n->next = NULL;
            *tail = n;
            tail = &n->next;
            returned++;
        }
    }
    b->receives_out -= count;
    if (back != NULL) {
        mp->stats.returns += returned;
        if (mp->ops->return_net_buffer_lists != NULL)
            mp->ops->return_net_buffer_lists(mp->ctx, back, 0);
    }
    return 0;
}
