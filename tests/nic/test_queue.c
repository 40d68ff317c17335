/* SPDX-License-Identifier: MIT */
/* test_queue.c — queue pairs: enable checks on rings in function memory, IOMMU isolation of a
 * VF's DMA (TX buffer, RX buffer, ring unmapped while enabled), FLR clearing a VF's queues,
 * per-queue interrupts with and without IRQ enable, TXC back-pressure, poll mode. */
#include "nic_test.h"

static const uint8_t peer_mac[6] = {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};

Test(nic_queue, enable_refuses_bad_rings)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    struct t_fn *pf = &e.pf;
    uint32_t q = NIC_REG_QP(1);
    /* Ring IOVA not mapped in the PF's domain: refused, with an IOMMU fault recorded. */
    uint64_t faults = pcie_iommu_fault_count(e.f);
    for (unsigned i = 0; i < 4; i++)
        t_wr(&e, T_PF_RID, q + 8 * i, 0x70000000u + i * 4096);
    t_wr(&e, T_PF_RID, q + NIC_QP_SIZE, 64);
    t_wr(&e, T_PF_RID, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE);
    cr_assert_eq(t_rd(&e, T_PF_RID, q + NIC_QP_STATUS), NIC_QP_STATUS_ERROR | NIC_ERR_DMA);
    cr_assert_eq(pcie_iommu_fault_count(e.f), faults + 1);
    struct pcie_iommu_fault fl;
    cr_assert_eq(pcie_iommu_fault_get(e.f, 0, &fl), 0);
    cr_assert_eq(fl.rid, T_PF_RID);
    cr_assert_eq(fl.iova, 0x70000000u);
    /* Mapped but never initialised with sim_ring_init: refused. */
    t_wr(&e, T_PF_RID, q + NIC_QP_CTRL, 0);
    for (unsigned i = 0; i < 4; i++)
        t_wr(&e, T_PF_RID, q + 8 * i, (uint32_t)(T_IOVA + 4 * T_RING_AREA + i * T_BUF_SIZE));
    t_wr(&e, T_PF_RID, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE);
    cr_assert_eq(t_rd(&e, T_PF_RID, q + NIC_QP_STATUS), NIC_QP_STATUS_ERROR | NIC_ERR_BAD_PARAM);
    /* Size not a power of two. */
    t_wr(&e, T_PF_RID, q + NIC_QP_CTRL, 0);
    t_wr(&e, T_PF_RID, q + NIC_QP_SIZE, 48);
    t_wr(&e, T_PF_RID, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE);
    cr_assert_eq(t_rd(&e, T_PF_RID, q + NIC_QP_STATUS), NIC_QP_STATUS_ERROR | NIC_ERR_BAD_PARAM);
    /* Size differing from the ring's own: refused; the real setup works. */
    cr_assert_eq(t_qp_setup(pf, 0), NIC_QP_STATUS_ENABLED);
    t_wr(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_CTRL, 0);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_STATUS), 0);
    t_wr(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_SIZE, 128);
    t_wr(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_STATUS),
                 NIC_QP_STATUS_ERROR | NIC_ERR_BAD_PARAM);
    struct nic_stats st;
    nic_stats(e.nic, &st);
    cr_assert_eq(st.qp_enable_errors, 4);
    t_env_fini(&e);
}

/* A VF's DMA outside its IOMMU domain is blocked, counted as iommu-fault and touches nothing:
 * the IOVA used is mapped in the PF's domain (host memory) but not in the VF's. */
Test(nic_queue, vf_dma_outside_its_domain_is_blocked_and_touches_nothing)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    static uint8_t host_secret[4096] __attribute__((aligned(4096)));
    memset(host_secret, 0x5a, sizeof(host_secret));
    struct sim_diag d;
    const uint64_t secret_iova = 0x30000000;
    cr_assert_eq(pcie_iommu_map(e.pf.dom, secret_iova, host_secret, sizeof(host_secret),
                                PCIE_IOMMU_PERM_RW, &d),
                 0);
    uint16_t vrid = nic_vf_rid(e.nic, 0);
    uint64_t faults = pcie_iommu_fault_count(e.f);

    /* TX: a descriptor pointing at the host's page. */
    uint64_t desc = NIC_DESC(secret_iova, 64);
    cr_assert_eq(t_put(e.vf[0].ring[0], &desc), 1);
    t_wr(&e, vrid, NIC_REG_QP(0) + NIC_QP_TX_DOORBELL, 1);
    t_run(&e, SIM_USEC(20));
    uint16_t st[1];
    cr_assert_eq(t_txc_reap(&e.vf[0], st, 1), 1);
    cr_assert_eq(st[0], NIC_TXC_DROPPED | SIM_DROP_IOMMU_FAULT);
    cr_assert_eq(e.wire_n, 0, "nothing of the host's memory left on the wire");
    cr_assert_eq(pcie_iommu_fault_count(e.f), faults + 1);
    struct pcie_iommu_fault fl;
    cr_assert_eq(pcie_iommu_fault_get(e.f, 0, &fl), 0);
    cr_assert_eq(fl.rid, vrid);
    cr_assert_eq(fl.dir, PCIE_DMA_READ);

    /* RX: the VF posts the host's page as a fill buffer; a frame for it arrives. */
    struct nic_pkt_hdr h;
    uint32_t l;
    while (t_recv(&e.vf[0], &h, NULL, &l))
        ;
    /* Replace all fill buffers with the bad one: drain RXF by receiving 32 frames first. */
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    for (unsigned i = 0; i < 32; i++)
        nic_port_rx(e.nic, fr, len, i);
    while (t_recv(&e.vf[0], &h, NULL, &l))
        ;
    desc = NIC_DESC(secret_iova, 2048);
    cr_assert_eq(t_put(e.vf[0].ring[2], &desc), 1);
    nic_port_rx(e.nic, fr, len, 777);
    cr_assert(t_recv(&e.vf[0], &h, NULL, &l));
    cr_assert_eq(l, NIC_RXD_LEN_UNUSED, "buffer handed back unused");
    cr_assert_eq(e.drop_by_cause[SIM_DROP_IOMMU_FAULT], 2);
    cr_assert_eq(e.drop_last_id, 777);
    cr_assert_eq(pcie_iommu_fault_count(e.f), faults + 2);
    for (unsigned i = 0; i < sizeof(host_secret); i++)
        cr_assert_eq(host_secret[i], 0x5a, "host byte %u touched", i);
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 1, &vs);
    cr_assert_eq(vs.drops[SIM_DROP_IOMMU_FAULT], 2);
    cr_assert_eq(pcie_iommu_unmap(e.pf.dom, secret_iova, sizeof(host_secret)), 0);
    t_env_fini(&e);
}

Test(nic_queue, ring_unmapped_while_enabled_stops_the_queue)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    /* The guest's memory goes away (e.g. the VM is torn down without the driver). */
    cr_assert_eq(pcie_iommu_unmap(e.vf[0].dom, T_IOVA, T_REGION_SIZE), 0);
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 5);
    uint16_t vrid = nic_vf_rid(e.nic, 0);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_STATUS), NIC_QP_STATUS_ERROR | NIC_ERR_DMA);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_IOMMU_FAULT], 1);
    nic_port_rx(e.nic, fr, len, 6);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_PAUSED], 1, "queue now off");
    struct nic_stats st;
    nic_stats(e.nic, &st);
    cr_assert_eq(st.qp_iommu_errors, 1);
    t_env_fini(&e);
}

static int flr_status = 1;
static void
flr_done(void *ctx, uint16_t rid, int status)
{
    flr_status = status;
}

Test(nic_queue, flr_clears_the_vf_queues_and_mailbox)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint16_t vrid = nic_vf_rid(e.nic, 0);
    /* Leave state behind: a mailbox request and an interrupt cause. */
    t_wr(&e, vrid, NIC_REG_VF_MBX_REQ(0), NIC_MBX_HDR(NIC_MBX_MSG_GET_LINK, 1, 1));
    t_wr(&e, vrid, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 1);
    cr_assert(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE) & NIC_QP_CAUSE_RX);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_MBX_REQ_PENDING_LO), 1);
    unsigned pf_mbx_irq = e.pf.irq[NIC_PF_VEC_MAILBOX];

    cr_assert_eq(pcie_flr(e.f, vrid, flr_done, NULL), 0);
    t_run(&e, SIM_MSEC(1));
    /* During the FLR, frames for the VF are dropped as function-reset. */
    nic_port_rx(e.nic, fr, len, 2);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_FUNCTION_RESET], 1);
    t_run(&e, PCIE_FLR_BOUND_NS);
    cr_assert_eq(flr_status, 0);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_STATUS), 0, "queue disabled");
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE), 0);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_TX_IOVA_LO), 0);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_VF_MBX_CTRL), 0, "mailbox cleared");
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_VF_MBX_REQ(0)), 0);
    cr_assert(t_rd(&e, vrid, NIC_REG_STATUS) & NIC_STATUS_RESET_DONE);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_MBX_REQ_PENDING_LO), 0);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_MBX_VFLR_PENDING_LO), 1);
    cr_assert_gt(e.pf.irq[NIC_PF_VEC_MAILBOX], pf_mbx_irq, "PF told about the VF reset");
    /* The PF-owned VPort and filter survive; the other VF is untouched. */
    cr_assert_eq(nic_filter_vport(e.nic, 1), 1);
    uint16_t vrid1 = nic_vf_rid(e.nic, 1);
    cr_assert_eq(t_rd(&e, vrid1, NIC_REG_QP(0) + NIC_QP_STATUS), NIC_QP_STATUS_ENABLED);
    /* With its queue off, the VF's frames are dropped as paused until the driver restarts. */
    nic_port_rx(e.nic, fr, len, 3);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_PAUSED], 1);
    t_wr(&e, T_PF_RID, NIC_REG_MBX_VFLR_PENDING_LO, 1);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_MBX_VFLR_PENDING_LO), 0);
    t_wr(&e, vrid, NIC_REG_STATUS_CLR, NIC_STATUS_RESET_DONE);
    cr_assert_not(t_rd(&e, vrid, NIC_REG_STATUS) & NIC_STATUS_RESET_DONE);
    /* The driver restarts: MSI-X and BME were reset by the FLR too. */
    cr_assert_eq(pcie_fn_enable(e.f, vrid), 0);
    cr_assert_eq(t_qp_setup(&e.vf[0], 0), NIC_QP_STATUS_ENABLED);
    t_rx_post(&e.vf[0], 4);
    nic_port_rx(e.nic, fr, len, 4);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 1);
    t_env_fini(&e);
}

Test(nic_queue, vf_reset_command_acts_like_flr_on_device_state)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint16_t vrid = nic_vf_rid(e.nic, 1);
    uint32_t p[] = {1};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VF_RESET, p, 1, NULL), NIC_ERR_OK);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_STATUS), 0);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_MBX_VFLR_PENDING_LO), 2);
    uint32_t bad[] = {5};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VF_RESET, bad, 1, NULL), NIC_ERR_NOT_FOUND);
    t_env_fini(&e);
}

Test(nic_queue, rx_interrupt_follows_irq_enable_both_ways)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1); /* QPs set up with NIC_QP_CTRL_IRQ */
    uint16_t vrid = nic_vf_rid(e.nic, 0);
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 1);
    t_run(&e, SIM_USEC(5));
    cr_assert_eq(e.vf[0].irq[NIC_VF_VEC_QP_BASE], 1);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE), NIC_QP_CAUSE_RX);
    t_wr(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE, NIC_QP_CAUSE_RX);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE), 0);
    /* IRQ off: the frame still arrives, the cause is latched, no interrupt. */
    t_wr(&e, vrid, NIC_REG_QP(0) + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE);
    nic_port_rx(e.nic, fr, len, 2);
    t_run(&e, SIM_USEC(5));
    cr_assert_eq(e.vf[0].irq[NIC_VF_VEC_QP_BASE], 1);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 2);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP(0) + NIC_QP_CAUSE), NIC_QP_CAUSE_RX);
    t_env_fini(&e);
}

/* The device stops taking TX descriptors while the completion ring is full: nothing lost. */
Test(nic_queue, txc_full_back_pressure_loses_nothing)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, peer_mac, m1, -1, 40);
    for (unsigned i = 0; i < T_RING_SLOTS; i++)
        t_send(&e.vf[0], fr, len, i);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(e.wire_n, T_RING_SLOTS);
    /* Completions not reaped: TXC full. Queue 10 more; they must wait. */
    for (unsigned i = 0; i < 10; i++)
        t_send(&e.vf[0], fr, len, 1000 + i);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(e.wire_n, T_RING_SLOTS);
    cr_assert_eq(t_txc_reap(&e.vf[0], NULL, 0), T_RING_SLOTS);
    t_wr(&e, nic_vf_rid(e.nic, 0), NIC_REG_QP(0) + NIC_QP_TX_DOORBELL, 1);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(e.wire_n, T_RING_SLOTS + 10);
    cr_assert_eq(e.wire_id[T_RING_SLOTS + 9], 1009);
    cr_assert_eq(t_txc_reap(&e.vf[0], NULL, 0), 10);
    cr_assert_eq(e.drop_n, 0);
    t_env_fini(&e);
}

/* Bench mode: no doorbell scheduling, nic_poll() does the work. */
Test(nic_queue, poll_mode_serves_tx_through_nic_poll)
{
    struct t_env e;
    t_env_init(&e, 2, 0, true);
    t_seven(&e, 2);
    uint8_t fr[128], m1[6], m2[6];
    t_mac(m1, 1);
    t_mac(m2, 2);
    uint32_t len = t_frame(fr, m2, m1, -1, 40);
    for (unsigned i = 0; i < 5; i++)
        t_send(&e.vf[0], fr, len, i);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(t_rx_pending(&e.vf[1]), 0, "doorbells schedule nothing in poll mode");
    cr_assert_eq(nic_poll(e.nic, 3), 3);
    cr_assert_eq(nic_poll(e.nic, 64), 2);
    cr_assert_eq(nic_poll(e.nic, 64), 0);
    cr_assert_eq(t_rx_pending(&e.vf[1]), 5);
    cr_assert_eq(e.vf[1].irq[NIC_VF_VEC_QP_BASE], 0, "no interrupts in poll mode");
    t_env_fini(&e);
}

Test(nic_queue, surprise_removal_stops_the_vf_queues)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint16_t vrid = nic_vf_rid(e.nic, 0);
    cr_assert_eq(pcie_fn_surprise_remove(e.f, vrid), 0);
    uint8_t fr[128], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 1);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_SURPRISE_REMOVAL], 1);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 0);
    t_env_fini(&e);
}

Test(nic_queue, pf_flr_returns_the_adapter_to_power_on)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    cr_assert_eq(nic_vport_count(e.nic), 3);
    cr_assert_eq(nic_filter_count(e.nic), 2);
    flr_status = 1;
    cr_assert_eq(pcie_flr(e.f, T_PF_RID, flr_done, NULL), 0);
    t_run(&e, PCIE_FLR_BOUND_NS + SIM_MSEC(1));
    cr_assert_eq(flr_status, 0);
    cr_assert_eq(pcie_pf_num_vfs(nic_pf_fn(e.nic)), 0, "VFs gone with the PF reset");
    cr_assert_eq(nic_vport_count(e.nic), 1);
    cr_assert_eq(nic_filter_count(e.nic), 0);
    cr_assert_eq(pcie_fn_enable(e.f, T_PF_RID), 0);
    cr_assert_not(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_SWITCH_ON);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_QP(0) + NIC_QP_STATUS), 0);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), 0);
    t_env_fini(&e);
}

Test(nic_queue, vf_disable_makes_its_vport_drop_paused)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    struct sim_diag d;
    cr_assert_eq(pcie_sriov_disable(e.f, T_PF_RID, &d), 0, "%s", d.reason);
    uint8_t fr[128], m2[6];
    t_mac(m2, 2);
    uint32_t len = t_frame(fr, m2, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 1);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_PAUSED], 1);
    cr_assert_eq(t_rx_pending(&e.vf[1]), 0);
    /* The VPort (PF-owned) still exists; re-enabling brings the VF back clean. */
    cr_assert_eq(nic_vport_count(e.nic), 3);
    t_env_fini(&e);
}
