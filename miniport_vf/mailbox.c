/* SPDX-License-Identifier: MIT */
/*
 * mailbox.c — the VF side of the PF<->VF mailbox (nic_regs.h §9): a FIFO of requests, one
 * outstanding at a time, each answered by the PF with ACK or NACK (plus reply words), a
 * deadline per request, and the PF's unsolicited messages (config-block invalidation, MAC
 * changed by the administrator, link change, PF reset).
 *
 * Requests: VF_RESET (the handshake at initialize / reset; the reply carries the MAC the PF
 * assigned), SET_MAC, SET_VLAN, SET_MULTICAST, CFG_BLOCK_READ (re-read an invalidated config
 * block). A PF may refuse a configuration change explicitly (NACK: Intel-style) or silently
 * (ACK without applying: vSphere-style). The VF cannot tell a silent refusal from success —
 * that is the point of modelling it — so it believes the change and logs it as applied.
 *
 * Windows counterpart: the IHV-private channel under the SR-IOV backchannel
 * (NdisMReadConfigBlock / NdisMWriteConfigBlock, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK; §8),
 * implemented like ixgbevf's mailbox (ixgbe_mbx.c: write, poll for ACK with a timeout).
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

#define MBX_CAP (VF_MBX_QUEUE + 1)

static uint16_t
kind_type(enum vf_mbx_kind k)
{
    switch (k) {
    case VF_MBX_RESET:
        return NIC_MBX_MSG_VF_RESET;
    case VF_MBX_SET_MAC:
        return NIC_MBX_MSG_SET_MAC;
    case VF_MBX_SET_VLAN:
        return NIC_MBX_MSG_SET_VLAN;
    case VF_MBX_SET_MCAST:
        return NIC_MBX_MSG_SET_MULTICAST;
    case VF_MBX_CFG_READ:
        return NIC_MBX_MSG_CFG_BLOCK_READ;
    }
    return 0;
}

static const char *
kind_name(enum vf_mbx_kind k)
{
    switch (k) {
    case VF_MBX_RESET:
        return "VF_RESET";
    case VF_MBX_SET_MAC:
        return "SET_MAC";
    case VF_MBX_SET_VLAN:
        return "SET_VLAN";
    case VF_MBX_SET_MCAST:
        return "SET_MULTICAST";
    case VF_MBX_CFG_READ:
        return "CFG_BLOCK_READ";
    }
    return "?";
}

void
vf__mac_format(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
start_next(struct vf_adapter *a)
{
    if (a->mbx_busy || a->mbx_count == 0 || a->removed || !a->hw_up)
        return;
    struct vf_mbx_req *r = &a->mbx_q[a->mbx_head];
    a->mbx_seq++;
    r->words[0] = NIC_MBX_HDR(kind_type(r->kind), r->nwords, a->mbx_seq);
    a->mbx_busy = true;
    a->mbx_head_out = true;
    a->mbx_have_reply = false;
    a->stats.mbx_requests++;
    /* A failed write (function gone or in reset) is left to the deadline: the request then
     * completes with DEVICE_FAILED, later, exactly once. */
    if (!vf__hw_mbx_write_req(a, r->words, r->nwords))
        SIM_DEBUG(vf, "%s: mailbox %s write did not reach the device", a->name, kind_name(r->kind));
    (void)sim_timer_start(&a->mbx_timer, VF_MBX_TIMEOUT_NS);
}

int
vf__mbx_submit(struct vf_adapter *a, const struct vf_mbx_req *r, struct sim_diag *d)
{
    if (a->removed)
        return sim_diag_fail(d, SIM_ENODEV, "%s: %s: the VF was removed", a->name,
                             kind_name(r->kind));
    if (!a->hw_up)
        return sim_diag_fail(d, SIM_ESTATE, "%s: %s: the adapter is not initialized", a->name,
                             kind_name(r->kind));
    if (a->mbx_count >= MBX_CAP)
        return sim_diag_fail(d, SIM_ENOSPC, "%s: %s: %u mailbox requests already waiting", a->name,
                             kind_name(r->kind), VF_MBX_QUEUE);
    a->mbx_q[(a->mbx_head + a->mbx_count) % MBX_CAP] = *r;
    a->mbx_count++;
    start_next(a);
    return 0;
}

/* Effects of a finished request on the driver's state, then the caller's callback. */
static void
finish(struct vf_adapter *a, struct vf_mbx_req *r, ndis_status_t st, const uint32_t *reply,
       bool have_reply)
{
    struct sim_diag why;
    char mac[18] = "";
    sim_diag_clear(&why);
    if (st == NDIS_STATUS_SUCCESS)
        a->stats.mbx_acks++;
    else if (st == NDIS_STATUS_FAILURE)
        a->stats.mbx_nacks++;

    switch (r->kind) {
    case VF_MBX_RESET:
        /* VF_RESET -> ACK + {hdr, MAC_LO, MAC_HI}: the MAC the PF gave this VF. */
        if (st == NDIS_STATUS_SUCCESS) {
            if (have_reply && NIC_MBX_LEN(reply[0]) >= 3) {
                uint8_t m[6];
                nic_mac_from_words(reply[1], reply[2], m);
                if (!(m[0] & 1) && memcmp(m, "\0\0\0\0\0\0", 6) != 0)
                    memcpy(a->cur_mac, m, 6);
            }
            a->configured = true;
            vf__mac_format(a->cur_mac, mac);
            SIM_INFO(vf, "%s: PF acknowledged VF_RESET; MAC %s", a->name, mac);
        } else {
            sim_diag_fail(&a->last_error, SIM_EIO, "%s: VF_RESET handshake failed (%s)", a->name,
                          ndis_status_name(st));
            SIM_WARN(vf, "%s", a->last_error.reason);
        }
        if (a->restart_pending) {
            a->restart_pending = false;
            if (st == NDIS_STATUS_SUCCESS && a->configured)
                a->running = true;
            (void)ndis_miniport_restart_complete(a->mp, a->configured ? NDIS_STATUS_SUCCESS
                                                                      : NDIS_STATUS_DEVICE_FAILED);
        }
        break;
    case VF_MBX_SET_MAC: {
        uint8_t m[6];
        nic_mac_from_words(r->words[1], r->words[2], m);
        vf__mac_format(m, mac);
        if (st == NDIS_STATUS_SUCCESS) {
            memcpy(a->cur_mac, m, 6);
            a->stats.mac_changes++;
            /* A silent refusal looks exactly like this: the VF cannot know. */
            SIM_INFO(vf, "%s: SET_MAC %s acknowledged by the PF; using it", a->name, mac);
        } else {
            sim_diag_fail(&why, SIM_EPERM, "%s: SET_MAC %s %s", a->name, mac,
                          st == NDIS_STATUS_FAILURE ? "refused by the PF (NACK)"
                                                    : "not answered by the PF");
            a->last_error = why;
            SIM_WARN(vf, "%s", why.reason);
        }
        break;
    }
    case VF_MBX_SET_VLAN:
    case VF_MBX_SET_MCAST:
        if (st != NDIS_STATUS_SUCCESS) {
            sim_diag_fail(&why, SIM_EPERM, "%s: %s %s", a->name, kind_name(r->kind),
                          st == NDIS_STATUS_FAILURE ? "refused by the PF (NACK)"
                                                    : "not answered by the PF");
            a->last_error = why;
            SIM_WARN(vf, "%s", why.reason);
        }
        break;
    case VF_MBX_CFG_READ:
        /* CFG_BLOCK_READ -> ACK + {hdr, block, bytes, data...}. Block 0 is the MAC block. */
        if (st == NDIS_STATUS_SUCCESS && have_reply && reply[1] == 0 && reply[2] >= 6) {
            uint8_t m[6];
            memcpy(m, &reply[3], 6);
            if (!(m[0] & 1) && memcmp(m, "\0\0\0\0\0\0", 6) != 0 && memcmp(m, a->cur_mac, 6) != 0) {
                memcpy(a->cur_mac, m, 6);
                vf__mac_format(m, mac);
                SIM_INFO(vf, "%s: config block 0 says MAC %s; using it", a->name, mac);
            }
        }
        if (a->inval_oid != NULL && a->inval_reads > 0 && --a->inval_reads == 0) {
            struct ndis_oid_request *req = a->inval_oid;
            a->inval_oid = NULL;
            (void)ndis_oid_request_complete(a->mp, req, st);
        }
        break;
    }
    if (r->cb != NULL) {
        if (why.code == 0 && st != NDIS_STATUS_SUCCESS)
            sim_diag_fail(&why, SIM_EIO, "%s: %s: %s", a->name, kind_name(r->kind),
                          ndis_status_name(st));
        r->cb(r->ctx, a, st, &why);
    }
}

/* Pop the head request and finish it. */
static void
complete_head(struct vf_adapter *a, ndis_status_t st, const uint32_t *reply, bool have_reply)
{
    struct vf_mbx_req r = a->mbx_q[a->mbx_head];
    a->mbx_head = (a->mbx_head + 1) % MBX_CAP;
    a->mbx_count--;
    a->mbx_head_out = false;
    finish(a, &r, st, reply, have_reply);
}

static void
notification(struct vf_adapter *a, const uint32_t *w)
{
    char mac[18];
    a->stats.mbx_notifications++;
    switch (NIC_MBX_TYPE(w[0])) {
    case NIC_MBX_MSG_PF_CFG_INVALIDATE:
        /* NdisMInvalidateConfigBlock on the PF: re-read the flagged blocks. */
        (void)vf__mbx_reread_blocks(a, (uint64_t)w[1] | (uint64_t)w[2] << 32);
        break;
    case NIC_MBX_MSG_PF_MAC_CHANGED:
        nic_mac_from_words(w[1], w[2], a->cur_mac);
        vf__mac_format(a->cur_mac, mac);
        SIM_INFO(vf, "%s: the administrator set MAC %s", a->name, mac);
        break;
    case NIC_MBX_MSG_PF_LINK_CHANGE:
        SIM_INFO(vf, "%s: PF reports link %s (%u Mbit/s)", a->name, w[1] ? "up" : "down", w[2]);
        break;
    case NIC_MBX_MSG_PF_RESET:
        SIM_WARN(vf, "%s: the PF is resetting; the VF stops being usable", a->name);
        break;
    default:
        SIM_DEBUG(vf, "%s: unknown PF message type 0x%04x ignored", a->name, NIC_MBX_TYPE(w[0]));
        break;
    }
}

/* MSI-X vector NIC_VF_VEC_MAILBOX: the PF answered or posted a message. */
void
vf__mbx_interrupt(void *ctx, uint16_t rid, uint16_t vector)
{
    struct vf_adapter *a = ctx;
    (void)rid;
    (void)vector;
    if (!a->hw_up || a->removed)
        return;
    uint32_t ctrl;
    if (!vf__hw_mbx_ctrl(a, &ctrl))
        return; /* all-ones: the fabric's removal event does the rest */
    uint32_t w[NIC_MBX_WORDS];
    /* Only a request outstanding when ctrl was read can be the one answered: a request the
     * notification below starts sees the ACK bit of the previous answer until the device
     * clears it at the new REQ. */
    bool was_busy = a->mbx_busy;
    if (ctrl & NIC_VF_MBX_CTRL_PFMSG) {
        vf__hw_mbx_read_msg(a, w);
        vf__hw_mbx_release_msg(a); /* free the buffer at once: the PF may have more */
        const struct vf_mbx_req *head = a->mbx_count > 0 ? &a->mbx_q[a->mbx_head] : NULL;
        if (a->mbx_head_out && head != NULL && NIC_MBX_TYPE(w[0]) == kind_type(head->kind) &&
            NIC_MBX_SEQ(w[0]) == a->mbx_seq) {
            memcpy(a->mbx_reply, w, sizeof w);
            a->mbx_have_reply = true;
        } else if (NIC_MBX_TYPE(w[0]) >= 0x0100) {
            notification(a, w);
        }
    }
    if (was_busy && a->mbx_busy && !(ctrl & NIC_VF_MBX_CTRL_REQ) &&
        (ctrl & (NIC_VF_MBX_CTRL_ACK | NIC_VF_MBX_CTRL_NACK))) {
        a->mbx_busy = false;
        (void)sim_timer_stop(&a->mbx_timer);
        if (a->mbx_head_out) {
            uint32_t reply[NIC_MBX_WORDS];
            memcpy(reply, a->mbx_reply, sizeof reply);
            complete_head(a,
                          (ctrl & NIC_VF_MBX_CTRL_ACK) ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE,
                          reply, a->mbx_have_reply);
        } /* else: the late answer of a request that already timed out */
    }
    start_next(a);
}

/* The outstanding (or, while the device still holds an unanswered one, the next queued)
 * request missed its deadline: it completes with DEVICE_FAILED. */
void
vf__mbx_timeout(struct sim_timer *t)
{
    struct vf_adapter *a = t->data;
    if (a->mbx_count == 0)
        return;
    a->stats.mbx_timeouts++;
    SIM_WARN(vf, "%s: PF did not answer %s within %lld ns", a->name,
             kind_name(a->mbx_q[a->mbx_head].kind), (long long)VF_MBX_TIMEOUT_NS);
    complete_head(a, NDIS_STATUS_DEVICE_FAILED, NULL, false);
    if (!a->mbx_busy)
        start_next(a);
    else if (a->mbx_count > 0 && !sim_timer_is_pending(&a->mbx_timer))
        (void)sim_timer_start(&a->mbx_timer, VF_MBX_TIMEOUT_NS);
}

void
vf__mbx_cancel_all(struct vf_adapter *a, ndis_status_t status)
{
    (void)sim_timer_stop(&a->mbx_timer);
    while (a->mbx_count > 0)
        complete_head(a, status, NULL, false);
    if (a->inval_oid != NULL) {
        struct ndis_oid_request *req = a->inval_oid;
        a->inval_oid = NULL;
        a->inval_reads = 0;
        (void)ndis_oid_request_complete(a->mp, req, status);
    }
}

unsigned
vf__mbx_reread_blocks(struct vf_adapter *a, uint64_t mask)
{
    unsigned n = 0;
    if (mask & 1u) { /* block 0: the VF's MAC (the PF keeps it current) */
        struct vf_mbx_req r = {.kind = VF_MBX_CFG_READ, .nwords = 3, .words = {0, 0, 0}};
        if (vf__mbx_submit(a, &r, NULL) == 0)
            n++;
    }
    if (mask & ~UINT64_C(1))
        SIM_DEBUG(vf, "%s: invalidated blocks 0x%llx carry nothing this driver uses", a->name,
                  (unsigned long long)(mask & ~UINT64_C(1)));
    return n;
}

/* ---- public requests ------------------------------------------------------------------------ */

static int
user_submit(struct vf_adapter *a, struct vf_mbx_req *r, vf_request_cb cb, void *ctx)
{
    if (a == NULL || cb == NULL)
        return SIM_EINVAL;
    r->cb = cb;
    r->ctx = ctx;
    return vf__mbx_submit(a, r, &a->last_error);
}

int
vf_adapter_set_mac(struct vf_adapter *a, const uint8_t mac[6], vf_request_cb cb, void *ctx)
{
    if (mac == NULL || (mac[0] & 1) || memcmp(mac, "\0\0\0\0\0\0", 6) == 0)
        return SIM_EINVAL;
    struct vf_mbx_req r = {.kind = VF_MBX_SET_MAC, .nwords = 3};
    nic_mac_to_words(mac, &r.words[1], &r.words[2]);
    return user_submit(a, &r, cb, ctx);
}

int
vf_adapter_set_vlan(struct vf_adapter *a, uint16_t vlan, bool add, vf_request_cb cb, void *ctx)
{
    if (vlan > NIC_VLAN_ID_MAX)
        return SIM_ERANGE;
    struct vf_mbx_req r = {.kind = VF_MBX_SET_VLAN, .nwords = 3};
    r.words[1] = vlan;
    r.words[2] = add ? 1u : 0u;
    return user_submit(a, &r, cb, ctx);
}

int
vf_adapter_set_multicast(struct vf_adapter *a, const uint8_t (*macs)[6], unsigned count,
                         vf_request_cb cb, void *ctx)
{
    if (count > (NIC_MBX_WORDS - 2) / 2)
        return SIM_ERANGE;
    if (count > 0 && macs == NULL)
        return SIM_EINVAL;
    struct vf_mbx_req r = {.kind = VF_MBX_SET_MCAST, .nwords = 2 + 2 * count};
    r.words[1] = count;
    for (unsigned i = 0; i < count; i++)
        nic_mac_to_words(macs[i], &r.words[2 + 2 * i], &r.words[3 + 2 * i]);
    return user_submit(a, &r, cb, ctx);
}
