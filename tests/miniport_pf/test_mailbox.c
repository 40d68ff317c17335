/* SPDX-License-Identifier: MIT */
/*
 * test_mailbox.c — VF requests over the PF<->VF mailbox and the policy hook in its three modes:
 * accept (applied, ACK), refuse explicitly (Intel style: NACK, log names the VF and the limit),
 * refuse silently (vSphere style: ACK, nothing applied, the log says it failed). The test plays
 * the VF driver: it writes the VF's BAR0 mailbox registers through the fabric (nic_regs.h).
 */
#include "nic/nic_regs.h"
#include "pf_test.h"

static uint32_t
vf_rd(struct topo *t, uint16_t vf, uint32_t off)
{
    uint64_t v = 0;
    cr_assert_eq(pcie_mmio_read(t->fabric, nic_vf_rid(t->nic, vf), NIC_BAR_REGS, off, 4, &v), 0);
    return (uint32_t)v;
}

static void
vf_wr(struct topo *t, uint16_t vf, uint32_t off, uint32_t val)
{
    cr_assert_eq(pcie_mmio_write(t->fabric, nic_vf_rid(t->nic, vf), NIC_BAR_REGS, off, 4, val), 0);
}

/* Send a request, let the PF answer, return the VF's control bits (ACK / NACK / PFMSG). */
static uint32_t
vf_request(struct topo *t, uint16_t vf, const uint32_t *w, unsigned n)
{
    uint32_t ctrl = vf_rd(t, vf, NIC_REG_VF_MBX_CTRL);
    if (ctrl & NIC_VF_MBX_CTRL_PFMSG)
        vf_wr(t, vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG); /* release the last message */
    for (unsigned i = 0; i < n; i++)
        vf_wr(t, vf, NIC_REG_VF_MBX_REQ(i), w[i]);
    vf_wr(t, vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    t_run_for(t, SIM_MSEC(1));
    ctrl = vf_rd(t, vf, NIC_REG_VF_MBX_CTRL);
    cr_assert(!(ctrl & NIC_VF_MBX_CTRL_REQ), "the PF answered");
    return ctrl;
}

static uint32_t
set_mac(struct topo *t, uint16_t vf, const uint8_t mac[6])
{
    uint32_t w[3] = {NIC_MBX_HDR(NIC_MBX_MSG_SET_MAC, 3, 1)};
    nic_mac_to_words(mac, &w[1], &w[2]);
    return vf_request(t, vf, w, 3);
}

struct mbx_env {
    struct topo t;
    uint16_t vf;
    uint32_t vport;
    uint8_t admin[6];
};

static void
env_up(struct mbx_env *e, pf_policy_fn policy)
{
    topo_init(&e->t, policy);
    cr_assert_eq(t_create_switch(&e->t, 2), 0);
    t_vf_mac(0, e->admin);
    cr_assert_eq(t_allocate_vf(&e->t, e->admin, &e->vf, NULL), 0);
    cr_assert_eq(t_create_vport(&e->t, e->vf, 1, 0, &e->vport), 0);
}

static void
env_down(struct mbx_env *e)
{
    cr_assert_eq(t_delete_vport(&e->t, e->vport), 0);
    cr_assert_eq(t_reset_vf(&e->t, e->vf), 0);
    cr_assert_eq(t_free_vf(&e->t, e->vf), 0);
    cr_assert_eq(t_delete_switch(&e->t), 0);
    topo_fini(&e->t);
}

static const uint8_t other_mac[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x99};

Test(pf_mailbox, accept_applies_the_mac_to_the_vport)
{
    struct mbx_env e;
    env_up(&e, pf_policy_accept_all);
    (void)ndis_pf_take_invalidation(e.t.mp, e.vf);
    uint32_t ctrl = set_mac(&e.t, e.vf, other_mac);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    uint8_t cur[6];
    cr_assert_eq(pf_vf_current_mac(e.t.pf, e.vf, cur), 0);
    cr_assert_arr_eq(cur, other_mac, 6);
    /* The device's VPort MAC follows (VPORT_SET), and config block 0 was invalidated. */
    cr_assert_eq(ndis_pf_take_invalidation(e.t.mp, e.vf) & 1u, 1u);
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_acks, 1);
    /* The VF later reads the MAC block over the mailbox. */
    uint32_t rd[3] = {NIC_MBX_HDR(NIC_MBX_MSG_CFG_BLOCK_READ, 3, 2), PF_CFG_BLOCK_MAC, 0};
    ctrl = vf_request(&e.t, e.vf, rd, 3);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_PFMSG);
    uint32_t lo = vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(3)),
             hi = vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(4));
    uint8_t got[6];
    nic_mac_from_words(lo, hi, got);
    cr_assert_arr_eq(got, other_mac, 6);
    /* VF_RESET answers with the MAC. */
    vf_wr(&e.t, e.vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    uint32_t rs[1] = {NIC_MBX_HDR(NIC_MBX_MSG_VF_RESET, 1, 3)};
    ctrl = vf_request(&e.t, e.vf, rs, 1);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    nic_mac_from_words(vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(1)),
                       vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(2)), got);
    cr_assert_arr_eq(got, other_mac, 6);
    env_down(&e);
}

Test(pf_mailbox, intel_policy_refuses_explicitly_naming_vf_and_limit)
{
    struct mbx_env e;
    env_up(&e, pf_policy_intel);
    uint32_t ctrl = set_mac(&e.t, e.vf, other_mac);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_NACK, "explicit refusal: the VF sees a NACK");
    uint8_t cur[6];
    cr_assert_eq(pf_vf_current_mac(e.t.pf, e.vf, cur), 0);
    cr_assert_arr_eq(cur, e.admin, 6, "not applied");
    const char *r = pf_adapter_last_refusal(e.t.pf)->reason;
    cr_assert(strstr(r, "VF 0") != NULL && strstr(r, "not trusted") != NULL &&
                  strstr(r, "NACK") != NULL,
              "%s", r);
    /* Multicast beyond the limit: the reason gives the count and the limit. */
    uint32_t w[2 + 2 * PF_VF_MAX_MULTICAST] = {NIC_MBX_HDR(NIC_MBX_MSG_SET_MULTICAST, 14, 4), 6};
    for (unsigned i = 0; i < 6; i++) {
        uint8_t m[6] = {0x01, 0x00, 0x5e, 0, 0, (uint8_t)i};
        nic_mac_to_words(m, &w[2 + 2 * i], &w[3 + 2 * i]);
    }
    ctrl = vf_request(&e.t, e.vf, w, 14);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_NACK);
    r = pf_adapter_last_refusal(e.t.pf)->reason;
    cr_assert(strstr(r, "6 multicast addresses") != NULL && strstr(r, "is 4") != NULL, "%s", r);
    /* A trusted VF may. */
    cr_assert_eq(pf_vf_set_trusted(e.t.pf, e.vf, true), 0);
    ctrl = set_mac(&e.t, e.vf, other_mac);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    cr_assert_eq(pf_vf_current_mac(e.t.pf, e.vf, cur), 0);
    cr_assert_arr_eq(cur, other_mac, 6);
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_silent_refusals, 0);
    env_down(&e);
}

Test(pf_mailbox, vsphere_policy_refuses_silently)
{
    struct mbx_env e;
    env_up(&e, pf_policy_vsphere);
    uint32_t ctrl = set_mac(&e.t, e.vf, other_mac);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK, "silent refusal: the guest believes it worked");
    uint8_t cur[6];
    cr_assert_eq(pf_vf_current_mac(e.t.pf, e.vf, cur), 0);
    cr_assert_arr_eq(cur, e.admin, 6, "...but nothing was applied");
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_silent_refusals, 1);
    const char *r = pf_adapter_last_refusal(e.t.pf)->reason;
    cr_assert(strstr(r, "refused silently") != NULL && strstr(r, "VF 0") != NULL, "%s", r);
    /* VLAN change while the administrator set a port VLAN: also silent. */
    cr_assert_eq(pf_vf_set_admin_vlan(e.t.pf, e.vf, 10), 0);
    uint32_t w[3] = {NIC_MBX_HDR(NIC_MBX_MSG_SET_VLAN, 3, 5), 20, 1};
    ctrl = vf_request(&e.t, e.vf, w, 3);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    uint16_t vlan = 99;
    cr_assert_eq(pf_vf_current_vlan(e.t.pf, e.vf, &vlan), 0);
    cr_assert_eq(vlan, 0);
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_silent_refusals, 2);
    env_down(&e);
}

static int hook_calls;
static enum pf_verdict
custom_hook(void *ctx, const struct pf_vf_request *req, struct sim_diag *why)
{
    (void)ctx;
    hook_calls++;
    if (req->type == PF_VF_REQ_SET_VLAN && req->vlan_id == 13) {
        sim_diag_fail(why, SIM_EPERM, "VLAN 13 is unlucky");
        return PF_VERDICT_REFUSE;
    }
    return PF_VERDICT_ACCEPT;
}

Test(pf_mailbox, custom_hook_per_message_and_malformed_requests)
{
    struct mbx_env e;
    env_up(&e, custom_hook);
    hook_calls = 0;
    uint32_t w[3] = {NIC_MBX_HDR(NIC_MBX_MSG_SET_VLAN, 3, 1), 13, 1};
    cr_assert(vf_request(&e.t, e.vf, w, 3) & NIC_VF_MBX_CTRL_NACK);
    cr_assert(strstr(pf_adapter_last_refusal(e.t.pf)->reason, "unlucky") != NULL);
    w[1] = 14;
    cr_assert(vf_request(&e.t, e.vf, w, 3) & NIC_VF_MBX_CTRL_ACK);
    uint16_t vlan;
    cr_assert_eq(pf_vf_current_vlan(e.t.pf, e.vf, &vlan), 0);
    cr_assert_eq(vlan, 14);
    cr_assert_eq(hook_calls, 2);
    /* Malformed: VLAN id out of range, an unknown message, a multicast MAC: NACK without
     * asking the policy. */
    w[1] = 5000;
    cr_assert(vf_request(&e.t, e.vf, w, 3) & NIC_VF_MBX_CTRL_NACK);
    uint32_t u[1] = {NIC_MBX_HDR(0x7777, 1, 1)};
    cr_assert(vf_request(&e.t, e.vf, u, 1) & NIC_VF_MBX_CTRL_NACK);
    static const uint8_t mc[6] = {0x01, 0, 0x5e, 0, 0, 1};
    cr_assert(set_mac(&e.t, e.vf, mc) & NIC_VF_MBX_CTRL_NACK);
    cr_assert_eq(hook_calls, 2);
    /* GET_LINK answers with the link state. */
    uint32_t gl[1] = {NIC_MBX_HDR(NIC_MBX_MSG_GET_LINK, 1, 9)};
    cr_assert(vf_request(&e.t, e.vf, gl, 1) & NIC_VF_MBX_CTRL_ACK);
    cr_assert_eq(vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(1)), 1);
    env_down(&e);
}

Test(pf_mailbox, invalidations_coalesce_while_the_vf_holds_a_message)
{
    struct mbx_env e;
    env_up(&e, NULL);
    /* CREATE_VPORT already posted an invalidation (block 1): the VF holds it, unread. */
    uint64_t sent = pf_adapter_stats(e.t.pf)->inval_msgs;
    cr_assert_geq(sent, 1);
    uint8_t x = 1;
    cr_assert_eq(pf_vf_config_block_update(e.t.pf, e.vf, 4, 0, &x, 1), 0);
    cr_assert_eq(pf_vf_config_block_update(e.t.pf, e.vf, 6, 0, &x, 1), 0);
    cr_assert_eq(pf_vf_pending_invalidation(e.t.pf, e.vf), (1u << 4) | (1u << 6));
    cr_assert_eq(pf_adapter_stats(e.t.pf)->inval_msgs, sent, "held: nothing more sent");
    /* The VF releases the message and talks to the PF: one message with the OR of both. */
    vf_wr(&e.t, e.vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    uint32_t api[2] = {NIC_MBX_HDR(NIC_MBX_MSG_API_NEGOTIATE, 2, 1), 1};
    vf_request(&e.t, e.vf, api, 2);
    cr_assert_eq(pf_adapter_stats(e.t.pf)->inval_msgs, sent + 1);
    cr_assert_eq(pf_vf_pending_invalidation(e.t.pf, e.vf), 0);
    uint32_t w0 = vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(0));
    cr_assert_eq(NIC_MBX_TYPE(w0), NIC_MBX_MSG_PF_CFG_INVALIDATE);
    cr_assert_eq(vf_rd(&e.t, e.vf, NIC_REG_VF_MBX_MSG(1)), (1u << 4) | (1u << 6));
    env_down(&e);
}

Test(pf_mailbox, flr_is_seen_as_a_vf_reset)
{
    struct mbx_env e;
    env_up(&e, NULL);
    cr_assert_eq(t_reset_vf(&e.t, e.vf), 0);
    t_run_for(&e.t, SIM_MSEC(1));
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_vf_resets_seen, 1);
    env_down(&e);
}
