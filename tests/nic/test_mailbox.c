/* SPDX-License-Identifier: MIT */
/* test_mailbox.c — the PF<->VF mailbox: VF request with PF interrupt and pending bitmap, ACK
 * with reply words and VF interrupt, NACK, busy rules both ways, PF notification. */
#include "nic_test.h"

struct mbx_env {
    struct t_env e;
    uint16_t vrid[3];
};

static void
mbx_setup(struct mbx_env *m)
{
    t_env_init(&m->e, 3, 0, false);
    t_enable_vfs(&m->e, 3);
    for (unsigned i = 0; i < 3; i++)
        m->vrid[i] = nic_vf_rid(m->e.nic, (uint16_t)i);
}

Test(nic_mailbox, vf_request_pf_ack_with_reply_and_interrupts)
{
    struct mbx_env m;
    mbx_setup(&m);
    struct t_env *e = &m.e;
    uint16_t vf2 = m.vrid[2];
    /* VF 2 asks to set its MAC. */
    t_wr(e, vf2, NIC_REG_VF_MBX_REQ(0), NIC_MBX_HDR(NIC_MBX_MSG_SET_MAC, 3, 7));
    t_wr(e, vf2, NIC_REG_VF_MBX_REQ(1), 0x44332211);
    t_wr(e, vf2, NIC_REG_VF_MBX_REQ(2), 0x6655);
    t_wr(e, vf2, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    cr_assert_eq(t_rd(e, vf2, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_REQ);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->pf.irq[NIC_PF_VEC_MAILBOX], 1);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_MBX_REQ_PENDING_LO), 1u << 2, "the PF knows who rang");
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(2)), NIC_PF_MBX_CTRL_REQ);
    uint32_t w0 = t_rd(e, T_PF_RID, NIC_REG_PF_MBX_REQ(2, 0));
    cr_assert_eq(NIC_MBX_TYPE(w0), NIC_MBX_MSG_SET_MAC);
    cr_assert_eq(NIC_MBX_LEN(w0), 3);
    cr_assert_eq(NIC_MBX_SEQ(w0), 7);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_REQ(2, 1)), 0x44332211);
    /* The request words are frozen until answered. */
    t_wr(e, vf2, NIC_REG_VF_MBX_REQ(1), 0);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_REQ(2, 1)), 0x44332211);
    /* A second REQ before the answer is ignored. */
    t_wr(e, vf2, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->pf.irq[NIC_PF_VEC_MAILBOX], 1);

    /* The PF acknowledges with a reply and clears the pending bit. */
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_MSG(2, 0), NIC_MBX_HDR(NIC_MBX_MSG_SET_MAC, 1, 7));
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(2), NIC_PF_MBX_CTRL_ACK | NIC_PF_MBX_CTRL_MSG);
    t_wr(e, T_PF_RID, NIC_REG_MBX_REQ_PENDING_LO, 1u << 2);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_MBX_REQ_PENDING_LO), 0);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->vf[2].irq[NIC_VF_VEC_MAILBOX], 1);
    cr_assert_eq(e->vf[0].irq[NIC_VF_VEC_MAILBOX], 0, "only VF 2 is told");
    cr_assert_eq(t_rd(e, vf2, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_ACK | NIC_VF_MBX_CTRL_PFMSG);
    cr_assert_eq(NIC_MBX_SEQ(t_rd(e, vf2, NIC_REG_VF_MBX_MSG(0))), 7);
    t_wr(e, vf2, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    cr_assert_eq(t_rd(e, vf2, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_ACK);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(2)), 0);
    struct nic_stats st;
    nic_stats(e->nic, &st);
    cr_assert_eq(st.mbx_requests, 1);
    cr_assert_eq(st.mbx_acks, 1);
    cr_assert_eq(st.mbx_busy_ignored, 2); /* frozen word + second REQ */
    t_env_fini(e);
}

Test(nic_mailbox, nack_and_answer_without_request)
{
    struct mbx_env m;
    mbx_setup(&m);
    struct t_env *e = &m.e;
    uint16_t vf0 = m.vrid[0];
    t_wr(e, vf0, NIC_REG_VF_MBX_REQ(0), NIC_MBX_HDR(NIC_MBX_MSG_SET_VLAN, 3, 1));
    t_wr(e, vf0, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(0), NIC_PF_MBX_CTRL_NACK);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(t_rd(e, vf0, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_NACK);
    cr_assert_eq(e->vf[0].irq[NIC_VF_VEC_MAILBOX], 1);
    /* An ACK with no request waiting changes nothing and interrupts nobody. */
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(0), NIC_PF_MBX_CTRL_ACK);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(t_rd(e, vf0, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_NACK);
    cr_assert_eq(e->vf[0].irq[NIC_VF_VEC_MAILBOX], 1);
    /* The next request clears the old ACK/NACK status. */
    t_wr(e, vf0, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    cr_assert_eq(t_rd(e, vf0, NIC_REG_VF_MBX_CTRL), NIC_VF_MBX_CTRL_REQ);
    t_env_fini(e);
}

Test(nic_mailbox, pf_notification_and_busy_buffer)
{
    struct mbx_env m;
    mbx_setup(&m);
    struct t_env *e = &m.e;
    uint16_t vf1 = m.vrid[1];
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_MSG(1, 0), NIC_MBX_HDR(NIC_MBX_MSG_PF_CFG_INVALIDATE, 3, 0));
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_MSG(1, 1), 0x5);
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(1), NIC_PF_MBX_CTRL_MSG);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->vf[1].irq[NIC_VF_VEC_MAILBOX], 1);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(1)), NIC_PF_MBX_CTRL_MSG, "not released");
    /* A second message before the VF released the buffer is refused. */
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(1), NIC_PF_MBX_CTRL_MSG);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->vf[1].irq[NIC_VF_VEC_MAILBOX], 1);
    cr_assert_eq(NIC_MBX_TYPE(t_rd(e, vf1, NIC_REG_VF_MBX_MSG(0))), NIC_MBX_MSG_PF_CFG_INVALIDATE);
    cr_assert_eq(t_rd(e, vf1, NIC_REG_VF_MBX_MSG(1)), 0x5);
    /* The VF cannot write the PF's words. */
    t_wr(e, vf1, NIC_REG_VF_MBX_MSG(1), 0x9);
    cr_assert_eq(t_rd(e, vf1, NIC_REG_VF_MBX_MSG(1)), 0x5);
    t_wr(e, vf1, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    t_wr(e, T_PF_RID, NIC_REG_PF_MBX_CTRL(1), NIC_PF_MBX_CTRL_MSG);
    t_run(e, SIM_USEC(5));
    cr_assert_eq(e->vf[1].irq[NIC_VF_VEC_MAILBOX], 2);
    struct nic_stats st;
    nic_stats(e->nic, &st);
    cr_assert_eq(st.mbx_msgs, 2);
    cr_assert_eq(st.mbx_busy_ignored, 1);
    t_env_fini(e);
}

Test(nic_mailbox, mailbox_of_a_vf_is_private)
{
    struct mbx_env m;
    mbx_setup(&m);
    struct t_env *e = &m.e;
    /* VF 0 writes its request; VF 1 sees nothing of it. */
    t_wr(e, m.vrid[0], NIC_REG_VF_MBX_REQ(0), 0x12345678);
    cr_assert_eq(t_rd(e, m.vrid[1], NIC_REG_VF_MBX_REQ(0)), 0);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_REQ(0, 0)), 0x12345678);
    cr_assert_eq(t_rd(e, T_PF_RID, NIC_REG_PF_MBX_REQ(1, 0)), 0);
    t_env_fini(e);
}
