/* SPDX-License-Identifier: MIT */
/* test_cmd.c — the command interface, identity/capability registers, switch and VPort
 * lifecycle errors, STATS_READ, LINK_SET, the command fault knobs, nic_create OOM sweep. */
#include "nic_test.h"

Test(nic_cmd, identity_and_caps_through_mmio)
{
    struct t_env e;
    t_env_init(&e, 7, 0, false);
    uint32_t v;
    cr_assert_eq(pcie_cfg_read(e.f, T_PF_RID, PCIE_CFG_VENDOR_ID, 2, &v), 0);
    cr_assert_eq(v, NIC_PCI_VENDOR_ID);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_ID), NIC_ID_MAGIC);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CAP_MAX_VFS), 7);
    cr_assert_geq(t_rd(&e, T_PF_RID, NIC_REG_CAP_MAX_VPORTS), 8);
    cr_assert_geq(t_rd(&e, T_PF_RID, NIC_REG_CAP_MAX_FILTERS),
                  t_rd(&e, T_PF_RID, NIC_REG_CAP_MAX_VPORTS));
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_QP_COUNT), NIC_PF_MAX_QPS);
    cr_assert(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_LINK_UP);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_LINK_SPEED), 10000);
    uint8_t mac[6];
    nic_mac_from_words(t_rd(&e, T_PF_RID, NIC_REG_MAC_LO), t_rd(&e, T_PF_RID, NIC_REG_MAC_HI), mac);
    cr_assert_eq(mac[1], 0x1d);
    cr_assert_eq(mac[5], 0x01);
    /* An undefined offset reads 0 and is counted. */
    struct nic_stats st;
    cr_assert_eq(t_rd(&e, T_PF_RID, 0x0ffc), 0);
    nic_stats(e.nic, &st);
    cr_assert_eq(st.mmio_unknown, 1);

    t_enable_vfs(&e, 2);
    uint16_t vrid = nic_vf_rid(e.nic, 1);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_ID), NIC_ID_MAGIC);
    cr_assert(t_rd(&e, vrid, NIC_REG_STATUS) & NIC_STATUS_IS_VF);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_FN_INDEX), 1);
    cr_assert_eq(t_rd(&e, vrid, NIC_REG_QP_COUNT), NIC_VF_MAX_QPS);
    /* A VF has no command window: the doorbell offset is not decoded there. */
    t_wr(&e, vrid, NIC_REG_CMD_DOORBELL, NIC_CMD_NOP);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), 0);
    t_env_fini(&e);
}

Test(nic_cmd, nop_completes_after_latency_with_admin_irq_and_tag)
{
    struct t_env e;
    t_env_init(&e, 0, 0, false);
    t_wr(&e, T_PF_RID, NIC_REG_CMD_TAG, 0xabcd);
    sim_time_t t0 = sim_sched_now(e.s);
    t_wr(&e, T_PF_RID, NIC_REG_CMD_DOORBELL, NIC_CMD_NOP);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), NIC_CMD_STATUS_BUSY);
    t_run(&e, NIC_CMD_LATENCY_NS - 1);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), NIC_CMD_STATUS_BUSY, "too early");
    t_run(&e, SIM_USEC(5));
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), NIC_CMD_STATUS_DONE | NIC_ERR_OK);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_DONE_TAG), 0xabcd);
    cr_assert_eq(e.pf.irq[NIC_PF_VEC_ADMIN], 1);
    cr_assert_gt(sim_sched_now(e.s) - t0, NIC_CMD_LATENCY_NS);
    t_env_fini(&e);
}

Test(nic_cmd, doorbell_while_busy_is_ignored_and_bad_opcode_fails)
{
    struct t_env e;
    t_env_init(&e, 0, 0, false);
    t_wr(&e, T_PF_RID, NIC_REG_CMD_DOORBELL, NIC_CMD_NOP);
    t_wr(&e, T_PF_RID, NIC_REG_CMD_DOORBELL, 0x7777);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS), NIC_CMD_STATUS_DONE | NIC_ERR_OK);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_OPCODE), NIC_CMD_NOP);
    struct nic_stats st;
    nic_stats(e.nic, &st);
    cr_assert_eq(st.cmds_busy_ignored, 1);
    cr_assert_eq(st.cmds_started, 1);
    cr_assert_eq(t_cmd(&e, 0x7777, NULL, 0, NULL), NIC_ERR_BAD_OPCODE);
    t_env_fini(&e);
}

Test(nic_cmd, switch_and_vport_lifecycle_rules)
{
    struct t_env e;
    t_env_init(&e, 4, 0, false);
    uint32_t r[16];
    uint32_t vp_early[] = {1, 0, 1, 0, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp_early, 8, NULL), NIC_ERR_STATE);
    uint32_t bad_sw[] = {4, 4, 1, 0}; /* VPorts must be >= VFs + 1 */
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, bad_sw, 4, NULL), NIC_ERR_RANGE);
    uint32_t sw[] = {4, 6, 2, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_STATE);
    cr_assert(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_SWITCH_ON);

    uint32_t vp1[] = {1, 0, 2, 0, NIC_VPORT_F_ANTISPOOF, 0x00000002, 0x0100, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp1, 8, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp1, 8, NULL), NIC_ERR_EXISTS);
    uint32_t vp2_same_vf[] = {2, 0, 1, 2, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp2_same_vf, 8, NULL), NIC_ERR_EXISTS);
    uint32_t vp_bad_vf[] = {2, 9, 1, 0, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp_bad_vf, 8, NULL), NIC_ERR_NOT_FOUND);
    uint32_t vp_range[] = {6, 1, 1, 0, 0, 0, 0, 0}; /* only ids 1..5 */
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp_range, 8, NULL), NIC_ERR_RANGE);
    uint32_t vp_qps[] = {2, 1, NIC_VF_MAX_QPS + 1, 0, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp_qps, 8, NULL), NIC_ERR_RANGE);
    uint32_t vp_flags[] = {2, 1, 1, 0, 0x80, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp_flags, 8, NULL), NIC_ERR_BAD_PARAM);
    /* A PF VPort may not take the default VPort's QPs (0..1). */
    uint32_t pf_overlap[] = {3, NIC_FN_PF, 2, 1, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, pf_overlap, 8, NULL), NIC_ERR_NO_SPACE);
    uint32_t pf_vp[] = {3, NIC_FN_PF, 2, 2, 0, 0, 0, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, pf_vp, 8, NULL), NIC_ERR_OK);

    /* VF VPorts start activated; PF VPorts as asked (here: deactivated). */
    uint32_t q1[] = {1};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_QUERY, q1, 1, r), NIC_ERR_OK);
    cr_assert_eq(r[0], 0);
    cr_assert_eq(r[1], 2);
    cr_assert_eq(r[3], NIC_VPORT_F_ANTISPOOF | NIC_VPORT_F_ACTIVATED);
    cr_assert_eq(r[4], 0x00000002);
    uint32_t q3[] = {3};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_QUERY, q3, 1, r), NIC_ERR_OK);
    cr_assert_eq(r[0], NIC_FN_PF);
    cr_assert_eq(r[3], 0);
    uint32_t set3[] = {3, NIC_VPORT_SET_FLAGS | NIC_VPORT_SET_VLAN, NIC_VPORT_F_ACTIVATED, 0, 0,
                       42};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, set3, 6, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_QUERY, q3, 1, r), NIC_ERR_OK);
    cr_assert_eq(r[3], NIC_VPORT_F_ACTIVATED);
    cr_assert_eq(r[6], 42);

    /* DELETE_VPORT refused while a filter remains; default VPort never deletable. */
    uint32_t fl[] = {5, 1, 0x00000002, 0x0100, 0, NIC_FILTER_F_MAC};
    cr_assert_eq(t_cmd(&e, NIC_CMD_FILTER_SET, fl, 6, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_DELETE, q1, 1, NULL), NIC_ERR_BUSY);
    uint32_t q0[] = {0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_DELETE, q0, 1, NULL), NIC_ERR_PERM);
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_DELETE, NULL, 0, NULL), NIC_ERR_BUSY);
    uint32_t f5[] = {5};
    cr_assert_eq(t_cmd(&e, NIC_CMD_FILTER_CLEAR, f5, 1, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_FILTER_CLEAR, f5, 1, NULL), NIC_ERR_NOT_FOUND);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_DELETE, q1, 1, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_DELETE, q1, 1, NULL), NIC_ERR_NOT_FOUND);
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_DELETE, NULL, 0, NULL), NIC_ERR_BUSY); /* VPort 3 */
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_DELETE, q3, 1, NULL), NIC_ERR_OK);
    cr_assert_eq(nic_vport_count(e.nic), 1);
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_DELETE, NULL, 0, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_DELETE, NULL, 0, NULL), NIC_ERR_STATE);
    cr_assert_not(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_SWITCH_ON);
    /* The VF may get a VPort again on a new switch. */
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_OK);
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_CREATE, vp1, 8, NULL), NIC_ERR_OK);
    t_env_fini(&e);
}

Test(nic_cmd, knob_cmd_fail_next_both_ways)
{
    struct t_env e;
    t_env_init(&e, 0, 0, false);
    cr_assert_eq(t_cmd(&e, NIC_CMD_NOP, NULL, 0, NULL), NIC_ERR_OK); /* knob off: succeeds */
    struct sim_diag d;
    cr_assert_eq(nic_knob_set(e.nic, "cmd_fail_next", 2, &d), 0);
    cr_assert_eq(t_cmd(&e, NIC_CMD_NOP, NULL, 0, NULL), NIC_ERR_INJECTED);
    uint32_t sw[] = {0, 1, 1, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_INJECTED);
    cr_assert_not(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_SWITCH_ON, "no side effect");
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_OK);
    int64_t v;
    cr_assert_eq(nic_knob_get(e.nic, "cmd_fail_next", &v), 0);
    cr_assert_eq(v, 0);
    struct nic_stats st;
    nic_stats(e.nic, &st);
    cr_assert_eq(st.cmds_injected, 2);
    cr_assert_eq(st.cmds_failed, 2);
    cr_assert_eq(nic_knob_set(e.nic, "no_such_knob", 1, &d), SIM_ENOENT);
    cr_assert(strstr(d.reason, "cmd_fail_next") != NULL);
    cr_assert_eq(nic_knob_set(e.nic, "link_down", 7, &d), SIM_ERANGE);
    t_env_fini(&e);
}

Test(nic_cmd, knob_cmd_extra_delay_both_ways)
{
    struct t_env e;
    t_env_init(&e, 0, 0, false);
    sim_time_t t0 = sim_sched_now(e.s);
    cr_assert_eq(t_cmd(&e, NIC_CMD_NOP, NULL, 0, NULL), NIC_ERR_OK);
    sim_time_t plain = sim_sched_now(e.s) - t0;
    cr_assert_lt(plain, NIC_CMD_LATENCY_NS + SIM_USEC(5));
    nic_knobs(e.nic)->cmd_extra_delay_ns = SIM_MSEC(3);
    t0 = sim_sched_now(e.s);
    cr_assert_eq(t_cmd(&e, NIC_CMD_NOP, NULL, 0, NULL), NIC_ERR_OK);
    cr_assert_geq(sim_sched_now(e.s) - t0, SIM_MSEC(3) + NIC_CMD_LATENCY_NS);
    t_env_fini(&e);
}

Test(nic_cmd, stats_read_dmas_counters_into_pf_memory)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint8_t fr[128], mac[6], src[6] = {0x00, 0xaa, 0, 0, 0, 1};
    t_mac(mac, 1);
    uint32_t len = t_frame(fr, mac, src, -1, 50);
    for (int i = 0; i < 3; i++)
        nic_port_rx(e.nic, fr, len, 100 + i);
    struct nic_hw_vport_stats direct, dma;
    cr_assert_eq(nic_vport_stats(e.nic, 1, &direct), 0);
    cr_assert_eq(direct.rx_packets, 3);
    cr_assert_eq(direct.rx_bytes, 3 * len);
    /* The PF driver reads them by DMA into its own memory (an unused TX buffer area). */
    uint64_t iova = T_IOVA + 4 * T_RING_AREA + 40 * T_BUF_SIZE;
    uint32_t p[] = {1, (uint32_t)iova, (uint32_t)(iova >> 32), sizeof(dma), NIC_STATS_F_CLEAR};
    uint32_t r[16];
    cr_assert_eq(t_cmd(&e, NIC_CMD_STATS_READ, p, 5, r), NIC_ERR_OK);
    cr_assert_eq(r[0], sizeof(dma));
    memcpy(&dma, e.pf.mem + (iova - T_IOVA), sizeof(dma));
    cr_assert_eq(memcmp(&dma, &direct, sizeof(dma)), 0);
    cr_assert_eq(nic_vport_stats(e.nic, 1, &direct), 0);
    cr_assert_eq(direct.rx_packets, 0, "cleared after read");
    p[3] = 8;
    cr_assert_eq(t_cmd(&e, NIC_CMD_STATS_READ, p, 5, NULL), NIC_ERR_RANGE);
    p[3] = sizeof(dma);
    p[1] = 0x7000000; /* not mapped in the PF's domain */
    p[2] = 0;
    cr_assert_eq(t_cmd(&e, NIC_CMD_STATS_READ, p, 5, NULL), NIC_ERR_DMA);
    p[0] = 9;
    cr_assert_eq(t_cmd(&e, NIC_CMD_STATS_READ, p, 5, NULL), NIC_ERR_NOT_FOUND);
    t_env_fini(&e);
}

Test(nic_cmd, link_set_and_carrier_knob_both_ways)
{
    struct t_env e;
    t_env_init(&e, 0, 0, false);
    cr_assert(nic_port_is_up(e.nic));
    unsigned irq = e.pf.irq[NIC_PF_VEC_LINK];
    uint32_t down[] = {0}, up[] = {NIC_LINK_ADMIN_UP}, r[16];
    cr_assert_eq(t_cmd(&e, NIC_CMD_LINK_SET, down, 1, r), NIC_ERR_OK);
    cr_assert_eq(r[0], 0);
    t_run(&e, SIM_USEC(5));
    cr_assert_eq(e.pf.irq[NIC_PF_VEC_LINK], irq + 1);
    cr_assert_not(t_rd(&e, T_PF_RID, NIC_REG_STATUS) & NIC_STATUS_LINK_UP);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_LINK_SPEED), 0);
    cr_assert_eq(t_cmd(&e, NIC_CMD_LINK_SET, up, 1, r), NIC_ERR_OK);
    cr_assert_eq(r[0], NIC_STATUS_LINK_UP);
    uint32_t bad[] = {0x10};
    cr_assert_eq(t_cmd(&e, NIC_CMD_LINK_SET, bad, 1, NULL), NIC_ERR_BAD_PARAM);

    /* Carrier knob: frames from the wire are dropped (link-down) while it is set, and
     * delivered again when it is cleared. */
    t_qp_setup(&e.pf, 0);
    t_rx_post(&e.pf, 4);
    uint8_t fr[64], a[6] = {0, 1, 2, 3, 4, 5}, b[6] = {0, 5, 4, 3, 2, 1};
    uint32_t len = t_frame(fr, a, b, -1, 20);
    struct sim_diag d;
    cr_assert_eq(nic_knob_set(e.nic, "link_down", 1, &d), 0);
    cr_assert_not(nic_port_is_up(e.nic));
    nic_port_rx(e.nic, fr, len, 1);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_LINK_DOWN], 1);
    cr_assert_eq(t_rx_pending(&e.pf), 0);
    cr_assert_eq(nic_knob_set(e.nic, "link_down", 0, &d), 0);
    nic_port_rx(e.nic, fr, len, 2);
    cr_assert_eq(t_rx_pending(&e.pf), 1);
    struct nic_port_stats ps;
    nic_port_stats(e.nic, &ps);
    cr_assert_eq(ps.link_changes, 5); /* up at attach, down, up, down, up */
    cr_assert_eq(ps.drops[SIM_DROP_LINK_DOWN], 1);
    t_env_fini(&e);
}

Test(nic_cmd, create_rejects_bad_config)
{
    struct sim_sched *s;
    struct pcie_fabric *f;
    struct nic *nic;
    struct sim_diag d;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
    cr_assert_eq(pcie_fabric_create(s, &f), 0);
    struct nic_config cfg = {.rid = T_PF_RID, .total_vfs = NIC_MAX_VFS + 1};
    cr_assert_eq(nic_create(f, &cfg, &nic, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "total_vfs") != NULL);
    cfg.total_vfs = 8;
    cfg.max_vports = 8; /* < total_vfs + 1 */
    cr_assert_eq(nic_create(f, &cfg, &nic, &d), SIM_EINVAL);
    cfg.max_vports = 0;
    cfg.mac[0] = 1;
    cr_assert_eq(nic_create(f, &cfg, &nic, &d), SIM_EINVAL);
    cfg.mac[0] = 0;
    cr_assert_eq(nic_create(f, &cfg, &nic, &d), 0);
    struct nic *again;
    cr_assert_eq(nic_create(f, &cfg, &again, &d), SIM_EEXIST);
    nic_destroy(nic);
    pcie_fabric_destroy(f);
    sim_sched_destroy(s);
    cr_assert_eq(sim_alloc_live_total(), 0);
}

Test(nic_cmd, create_out_of_memory_sweep)
{
    struct sim_sched *s;
    struct pcie_fabric *f;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
    cr_assert_eq(pcie_fabric_create(s, &f), 0);
    long base = sim_alloc_live_total();
    struct nic_config cfg = {.rid = T_PF_RID, .total_vfs = 7};
    int failures = 0;
    for (long n = 0;; n++) {
        struct nic *nic = NULL;
        struct sim_diag d;
        sim_alloc_fail_nth(n);
        int rc = nic_create(f, &cfg, &nic, &d);
        sim_alloc_fail_nth(-1);
        if (rc == 0) {
            nic_destroy(nic);
            cr_assert_eq(sim_alloc_live_total(), base);
            break;
        }
        failures++;
        cr_assert_eq(rc, SIM_ENOMEM, "n=%ld: %s", n, d.reason);
        cr_assert_eq(sim_alloc_live(SIM_TAG(nic)), 0, "n=%ld leaked", n);
        cr_assert_eq(sim_alloc_live_total(), base, "n=%ld leaked", n);
        cr_assert_eq(pcie_fabric_fn_state(f, T_PF_RID), PCIE_FN_ABSENT, "n=%ld", n);
        cr_assert(n < 1000);
    }
    cr_assert_gt(failures, 5);
    pcie_fabric_destroy(f);
    sim_sched_destroy(s);
    cr_assert_eq(sim_alloc_live_total(), 0);
}
