/* SPDX-License-Identifier: MIT */
/*
 * mailbox.c — requests from VFs over the PF<->VF mailbox (MAC, VLAN, multicast, reset, link,
 * queues, config blocks) and the policy hook that decides each configuration change: accept,
 * refuse explicitly (NACK), or refuse silently (ACK without applying). Also the PF -> VF
 * config-block invalidation messages, coalesced while the VF holds the previous one.
 *
 * Windows counterpart: the IHV-private channel under the SR-IOV backchannel (§8) and the
 * switch-port policy a host applies to VF requests. Peers (peers.md §6, §9, §5): Intel ixgbe /
 * i40e refuse an untrusted VF's MAC override with an explicit NACK and a log line (which must
 * name the VF and the limit); vSphere refuses silently (the guest believes it worked, the log
 * says it failed); DPDK's ixgbe PF asks the application per message (PROCEED / NOOP_ACK /
 * NOOP_NACK) — the shape of pf_policy_fn.
 *
 * Message protocol (the PF/VF driver pair's, on nic_regs.h §9; replies carry the request's
 * sequence number in word 0):
 *   VF_RESET          -> ACK + MSG {hdr, MAC_LO, MAC_HI}  (policy: RESET)
 *   SET_MAC  w1-2 MAC -> ACK / NACK                       (policy: SET_MAC)
 *   SET_VLAN w1 id, w2 1=add 0=remove -> ACK / NACK       (policy: SET_VLAN)
 *   SET_MULTICAST w1 n (<= 7), then n MACs -> ACK / NACK  (policy: SET_MULTICAST)
 *   API_NEGOTIATE, SET_MTU -> ACK;  GET_QUEUES -> ACK + {hdr, queue pairs of the VF's VPort}
 *   GET_LINK -> ACK + {hdr, link up, Mbit/s}
 *   CFG_BLOCK_READ  w1 block, w2 offset -> ACK + {hdr, block, bytes (<= 48), 12 data words}
 *   CFG_BLOCK_WRITE w1 block, w2 offset, w3 bytes (<= 48), data from w4 -> ACK / NACK
 *   PF -> VF: PF_CFG_INVALIDATE {hdr, mask_lo, mask_hi} (masks OR while the VF holds one).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "miniport_pf/pf_int.h"

#define MBX_WORDS      16
#define MBX_BLOCK_DATA 48 /* data bytes per config-block message (12 words) */

static const char *
req_name(enum pf_vf_request_type t)
{
    switch (t) {
    case PF_VF_REQ_SET_MAC:
        return "SET_MAC";
    case PF_VF_REQ_SET_VLAN:
        return "SET_VLAN";
    case PF_VF_REQ_SET_MULTICAST:
        return "SET_MULTICAST";
    case PF_VF_REQ_RESET:
        return "VF_RESET";
    }
    return "?";
}

/* ---- built-in policies --------------------------------------------------------------------- */

static bool
mac_zero(const uint8_t m[6])
{
    static const uint8_t z[6];
    return memcmp(m, z, 6) == 0;
}

/* The checks Intel's PF drivers make (ixgbe_set_vf_mac_addr, i40e_check_vf_permission). */
static bool
intel_checks(const struct pf_vf_request *r, struct sim_diag *why)
{
    char want[18], admin[18];
    switch (r->type) {
    case PF_VF_REQ_SET_MAC:
        if (!r->trusted && !mac_zero(r->admin_mac) && memcmp(r->mac, r->admin_mac, 6) != 0) {
            pf__mac_format(r->mac, want);
            pf__mac_format(r->admin_mac, admin);
            sim_diag_fail(why, SIM_EPERM,
                          "VF %u attempted to override administratively set MAC address %s "
                          "with %s; the VF is not trusted (limit: the administrator's MAC only; "
                          "set trust on to allow)",
                          r->vf_id, admin, want);
            return false;
        }
        return true;
    case PF_VF_REQ_SET_VLAN:
        if (!r->trusted && r->admin_vlan != 0) {
            sim_diag_fail(why, SIM_EPERM,
                          "VF %u attempted to %s VLAN %u while the administrator set port VLAN "
                          "%u (untrusted VF)",
                          r->vf_id, r->vlan_add ? "add" : "remove", r->vlan_id, r->admin_vlan);
            return false;
        }
        return true;
    case PF_VF_REQ_SET_MULTICAST:
        if (!r->trusted && r->mc_count > PF_INTEL_MAX_MULTICAST) {
            sim_diag_fail(why, SIM_ENOSPC,
                          "VF %u asked for %u multicast addresses; the limit for an untrusted VF "
                          "is %u",
                          r->vf_id, r->mc_count, PF_INTEL_MAX_MULTICAST);
            return false;
        }
        return true;
    case PF_VF_REQ_RESET:
        return true;
    }
    return true;
}

enum pf_verdict
pf_policy_accept_all(void *ctx, const struct pf_vf_request *req, struct sim_diag *why)
{
    (void)ctx;
    (void)req;
    (void)why;
    return PF_VERDICT_ACCEPT;
}

enum pf_verdict
pf_policy_intel(void *ctx, const struct pf_vf_request *req, struct sim_diag *why)
{
    (void)ctx;
    return intel_checks(req, why) ? PF_VERDICT_ACCEPT : PF_VERDICT_REFUSE;
}

enum pf_verdict
pf_policy_vsphere(void *ctx, const struct pf_vf_request *req, struct sim_diag *why)
{
    (void)ctx;
    return intel_checks(req, why) ? PF_VERDICT_ACCEPT : PF_VERDICT_REFUSE_SILENT;
}

/* ---- serving one request ------------------------------------------------------------------- */

static void
mbx_refused(struct pf_adapter *a, const struct pf_vf_request *r, bool silent, const char *why)
{
    char what[64] = "";
    if (r->type == PF_VF_REQ_SET_MAC)
        pf__mac_format(r->mac, what);
    else if (r->type == PF_VF_REQ_SET_VLAN)
        snprintf(what, sizeof what, "%s %u", r->vlan_add ? "add" : "remove", r->vlan_id);
    else if (r->type == PF_VF_REQ_SET_MULTICAST)
        snprintf(what, sizeof what, "%u addresses", r->mc_count);
    sim_diag_fail(&a->last_refusal, SIM_EPERM, "VF %u: %s %s refused %s: %s", r->vf_id,
                  req_name(r->type), what,
                  silent ? "silently (ACKed: the VF believes it worked; VF and device now "
                           "disagree)"
                         : "(NACK)",
                  why[0] ? why : "refused by the policy");
    if (silent)
        a->stats.mbx_silent_refusals++;
    SIM_WARN(pf, "%s: %s", a->name, a->last_refusal.reason);
}

static void
answer(struct pf_adapter *a, uint16_t v, bool ack, const uint32_t *words, unsigned n)
{
    if (ack)
        a->stats.mbx_acks++;
    else
        a->stats.mbx_nacks++;
    pf__hw_mbx_answer(a, v, ack, words, n);
}

static void nack(struct pf_adapter *a, uint16_t v, const char *fmt, ...) SIM_PRINTF(3, 4);

/* Refuse a malformed or unsupported request (not a policy decision): NACK with a reason. */
static void
nack(struct pf_adapter *a, uint16_t v, const char *fmt, ...)
{
    char text[SIM_DIAG_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_diag_fail(&a->last_refusal, SIM_EINVAL, "%s", text);
    SIM_WARN(pf, "%s: %s", a->name, a->last_refusal.reason);
    answer(a, v, false, NULL, 0);
}

/* A VPORT_SET for an accepted MAC / VLAN change finished: answer the VF now. */
static void
apply_done(struct pf_adapter *a, struct pf_cmd *c, int err)
{
    uint16_t v = (uint16_t)c->arg;
    struct pf_vf *vf = &a->vfs[v];
    vf->mbx_busy = false;
    if (err != 0) {
        nack(a, v, "VF %u: the device refused the change (%s)", v, pf__hw_err_name(err));
    } else {
        answer(a, v, true, NULL, 0);
        pf__vf_blocks_refresh(a, v, true);
    }
    pf__mbx_interrupt(a); /* requests that came meanwhile */
}

/* Apply an accepted MAC / VLAN to the VF's VPort (if it has one). */
static void
apply(struct pf_adapter *a, uint16_t v, uint32_t mask)
{
    struct pf_vf *vf = &a->vfs[v];
    if (vf->vport_id == NDIS_INVALID_VPORT_ID) {
        answer(a, v, true, NULL, 0);
        pf__vf_blocks_refresh(a, v, true);
        return;
    }
    uint32_t cmd[6] = {vf->vport_id, mask, 0, 0, 0, vf->cur_vlan};
    pf__mac_to_words(vf->cur_mac, &cmd[3], &cmd[4]);
    vf->mbx_busy = true;
    if (pf__hw_cmd(a, PF_HW_VPORT_SET, cmd, 6, apply_done, NULL, v) != 0) {
        vf->mbx_busy = false;
        nack(a, v, "VF %u: cannot queue the device command", v);
    }
}

/* Is mac the PF's, another allocated VF's (current or administrator's), or held by a receive
 * filter on a VPort other than VF v's own? Names the owner. */
static bool
mac_owned_elsewhere(const struct pf_adapter *a, uint16_t v, const uint8_t mac[6], char *owner,
                    size_t len)
{
    const struct pf_vf *self = &a->vfs[v];
    if (memcmp(mac, self->cur_mac, 6) == 0 ||
        (self->params.mac_address_length == 6 &&
         memcmp(mac, self->params.current_mac_address, 6) == 0))
        return false; /* its own (current or administrator's) address */
    if (memcmp(mac, a->mac, 6) == 0) {
        snprintf(owner, len, "the PF");
        return true;
    }
    for (uint16_t i = 0; i < a->total_vfs; i++) {
        const struct pf_vf *o = &a->vfs[i];
        if (i == v || !o->allocated)
            continue;
        if (memcmp(mac, o->cur_mac, 6) == 0 ||
            (o->params.mac_address_length == 6 &&
             memcmp(mac, o->params.current_mac_address, 6) == 0)) {
            snprintf(owner, len, "VF %u", i);
            return true;
        }
    }
    uint32_t own_vport = self->vport_id;
    for (uint32_t id = 1; id <= a->max_filters; id++) {
        const struct pf_filter *f = &a->filters[id];
        if (f->used && f->vport_id != own_vport && (f->flags & PF_FLT_MAC) &&
            memcmp(mac, f->mac, 6) == 0) {
            snprintf(owner, len, "filter %u on VPort %u", id, f->vport_id);
            return true;
        }
    }
    return false;
}

static void
serve(struct pf_adapter *a, uint16_t v)
{
    uint32_t w[MBX_WORDS];
    pf__hw_mbx_read_req(a, v, w);
    a->stats.mbx_requests++;
    uint16_t type = pf__mbx_hdr_type(w[0]);
    unsigned seq = pf__mbx_hdr_seq(w[0]);
    struct pf_vf *vf = pf__vf(a, v);
    if (vf == NULL) {
        nack(a, v, "VF %u: mailbox request type 0x%04x from a VF that is not allocated", v, type);
        return;
    }
    struct pf_vf_request r;
    memset(&r, 0, sizeof r);
    r.vf_id = v;
    r.trusted = vf->trusted;
    r.admin_vlan = vf->admin_vlan;
    memcpy(r.current_mac, vf->cur_mac, 6);
    if (vf->params.mac_address_length == 6)
        memcpy(r.admin_mac, vf->params.current_mac_address, 6);

    if (type == pf__mbx_type_set_mac) {
        r.type = PF_VF_REQ_SET_MAC;
        pf__mac_from_words(w[1], w[2], r.mac);
        if ((r.mac[0] & 1) || mac_zero(r.mac)) {
            nack(a, v, "VF %u: SET_MAC with an invalid (multicast or zero) address", v);
            return;
        }
        /* Another function's address is not the VF's to take, whatever the policy: the NIC
         * switch steers a MAC to one VPort only, so taking it would divert that function's
         * traffic (isolation; a trusted VF may *send* with other sources, not own them). */
        char owner[48];
        if (mac_owned_elsewhere(a, v, r.mac, owner, sizeof owner)) {
            char m[18];
            pf__mac_format(r.mac, m);
            nack(a, v, "VF %u: SET_MAC %s refused: the address belongs to %s", v, m, owner);
            return;
        }
    } else if (type == pf__mbx_type_set_vlan) {
        r.type = PF_VF_REQ_SET_VLAN;
        r.vlan_id = (uint16_t)w[1];
        r.vlan_add = w[2] != 0;
        if (w[1] > 4095) {
            nack(a, v, "VF %u: SET_VLAN with VLAN id %u out of range", v, w[1]);
            return;
        }
    } else if (type == pf__mbx_type_set_multicast) {
        r.type = PF_VF_REQ_SET_MULTICAST;
        if (w[1] > PF_VF_MAX_MULTICAST) {
            nack(a, v, "VF %u: SET_MULTICAST with %u addresses (a message carries at most 7)", v,
                 w[1]);
            return;
        }
        r.mc_count = w[1];
        for (unsigned i = 0; i < r.mc_count; i++)
            pf__mac_from_words(w[2 + 2 * i], w[3 + 2 * i], r.mc[i]);
    } else if (type == pf__mbx_type_vf_reset) {
        r.type = PF_VF_REQ_RESET;
    } else if (type == pf__mbx_type_api || type == pf__mbx_type_set_mtu) {
        answer(a, v, true, NULL, 0);
        return;
    } else if (type == pf__mbx_type_get_queues) {
        struct pf_vport *vp = pf__vport(a, vf->vport_id);
        uint32_t reply[2] = {pf__mbx_hdr(type, 2, seq),
                             vp != NULL ? vp->params.num_queue_pairs : 0};
        answer(a, v, true, reply, 2);
        return;
    } else if (type == pf__mbx_type_get_link) {
        bool up;
        uint32_t mbps;
        pf__hw_link(a, &up, &mbps);
        uint32_t reply[3] = {pf__mbx_hdr(type, 3, seq), up ? 1u : 0u, mbps};
        answer(a, v, true, reply, 3);
        return;
    } else if (type == pf__mbx_type_cfg_read) {
        if (w[1] >= PF_CFG_BLOCKS || w[2] >= PF_CFG_BLOCK_SIZE) {
            nack(a, v, "VF %u: CFG_BLOCK_READ of block %u (invalid block or offset)", v, w[1]);
            return;
        }
        uint32_t n =
            PF_CFG_BLOCK_SIZE - w[2] < MBX_BLOCK_DATA ? PF_CFG_BLOCK_SIZE - w[2] : MBX_BLOCK_DATA;
        uint32_t reply[MBX_WORDS] = {pf__mbx_hdr(type, MBX_WORDS, seq), w[1], n};
        memcpy(&reply[3], vf->blocks[w[1]] + w[2], n);
        answer(a, v, true, reply, MBX_WORDS);
        return;
    } else if (type == pf__mbx_type_cfg_write) {
        if (w[1] >= PF_CFG_BLOCKS || w[2] > PF_CFG_BLOCK_SIZE || w[3] > MBX_BLOCK_DATA ||
            w[3] > PF_CFG_BLOCK_SIZE - w[2]) {
            nack(a, v, "VF %u: CFG_BLOCK_WRITE of block %u (invalid block, offset or length)", v,
                 w[1]);
            return;
        }
        memcpy(vf->blocks[w[1]] + w[2], &w[4], w[3]);
        answer(a, v, true, NULL, 0);
        return;
    } else {
        nack(a, v, "VF %u: mailbox message type 0x%04x is not supported by this PF", v, type);
        return;
    }

    /* A configuration change: ask the policy. */
    struct sim_diag why;
    sim_diag_clear(&why);
    enum pf_verdict verdict = a->policy(a->policy_ctx, &r, &why);
    if (verdict == PF_VERDICT_REFUSE) {
        mbx_refused(a, &r, false, why.reason);
        answer(a, v, false, NULL, 0);
        return;
    }
    if (verdict == PF_VERDICT_REFUSE_SILENT) {
        mbx_refused(a, &r, true, why.reason);
        answer(a, v, true, NULL, 0); /* the VF believes it worked */
        return;
    }
    switch (r.type) {
    case PF_VF_REQ_SET_MAC:
        memcpy(vf->cur_mac, r.mac, 6);
        apply(a, v, PF_VPSET_MAC);
        break;
    case PF_VF_REQ_SET_VLAN:
        vf->cur_vlan = r.vlan_add ? r.vlan_id : 0;
        apply(a, v, PF_VPSET_VLAN);
        break;
    case PF_VF_REQ_SET_MULTICAST:
        vf->mc_count = r.mc_count;
        memcpy(vf->mc, r.mc, sizeof r.mc);
        answer(a, v, true, NULL, 0);
        break;
    case PF_VF_REQ_RESET: {
        /* The VF driver (re)starts: its multicast list is gone; it may run from now on. */
        vf->mc_count = 0;
        vf->needs_flr = true;
        uint32_t reply[3] = {pf__mbx_hdr(type, 3, seq), 0, 0};
        pf__mac_to_words(vf->cur_mac, &reply[1], &reply[2]);
        answer(a, v, true, reply, 3);
        break;
    }
    }
}

void
pf__mbx_interrupt(struct pf_adapter *a)
{
    if (!a->initialized || a->removed)
        return;
    uint64_t vflr = pf__hw_mbx_take_vflr(a);
    for (uint16_t v = 0; v < a->total_vfs && vflr != 0; v++) {
        if (vflr & (UINT64_C(1) << v)) {
            /* The VF was reset (FLR or VF_RESET): its mailbox is empty again. */
            a->stats.mbx_vf_resets_seen++;
            a->vfs[v].mbx_busy = false;
        }
    }
    uint64_t pend = pf__hw_mbx_req_pending(a);
    if (pend == UINT64_MAX)
        return; /* device gone */
    for (uint16_t v = 0; v < a->total_vfs; v++)
        if ((pend & (UINT64_C(1) << v)) && !a->vfs[v].mbx_busy)
            serve(a, v);
    pf__mbx_flush(a);
}

/* ---- PF -> VF invalidations ------------------------------------------------------------- */

void
pf__mbx_post_invalidation(struct pf_adapter *a, uint16_t vf_id, uint64_t mask)
{
    if (vf_id >= a->total_vfs)
        return;
    a->vfs[vf_id].inval_pending |= mask; /* coalesce: OR into what is still waiting */
    pf__mbx_flush(a);
}

/* Post every waiting invalidation whose VF released its previous message. A VF that still
 * holds one keeps accumulating; the next mailbox interrupt or post retries (no polling timer,
 * so an absent VF driver never keeps the scheduler busy). */
void
pf__mbx_flush(struct pf_adapter *a)
{
    if (!a->initialized || a->removed)
        return;
    for (uint16_t v = 0; v < a->num_vfs && v < a->total_vfs; v++) {
        struct pf_vf *vf = &a->vfs[v];
        if (!vf->allocated || vf->inval_pending == 0)
            continue;
        uint32_t msg[3] = {pf__mbx_hdr(pf__mbx_type_cfg_invalidate, 3, 0),
                           (uint32_t)vf->inval_pending, (uint32_t)(vf->inval_pending >> 32)};
        if (pf__hw_mbx_send(a, v, msg, 3)) {
            vf->inval_pending = 0;
            a->stats.inval_msgs++;
        }
    }
}
