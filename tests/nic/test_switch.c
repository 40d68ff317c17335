/* SPDX-License-Identifier: MIT */
/* test_switch.c — forwarding of frames sent by VPorts: VF-to-VF inside the switch, to the
 * wire with serialization, broadcast to wire + default VPort, PF to a VF, link down, ring
 * full and the rx_force_full knob, deactivated VPorts, and the allocation-free data path. */
#include "nic_test.h"

static const uint8_t peer_mac[6] = {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};

Test(nic_switch, vf_to_vf_is_switched_without_touching_the_wire)
{
    struct t_env e;
    t_env_init(&e, 7, 0, false);
    t_seven(&e, 7);
    uint8_t fr[256], out[256], m2[6], m5[6];
    t_mac(m2, 2);
    t_mac(m5, 5);
    uint32_t len = t_frame(fr, m5, m2, -1, 100); /* VF 1 (MAC 2) -> VF 4 (MAC 5) */
    t_send(&e.vf[1], fr, len, 4242);
    t_run(&e, SIM_USEC(20));
    struct nic_pkt_hdr h;
    uint32_t l;
    cr_assert(t_recv(&e.vf[4], &h, out, &l));
    cr_assert_eq(h.packet_id, 4242);
    cr_assert_eq(h.vport_id, 5);
    cr_assert_eq(h.src_vport, 2);
    cr_assert(h.flags & NIC_RXH_F_SWITCHED);
    cr_assert_eq(l, len);
    cr_assert_eq(memcmp(out, fr, len), 0);
    cr_assert_eq(e.wire_n, 0, "the wire never saw it");
    uint16_t st[4];
    cr_assert_eq(t_txc_reap(&e.vf[1], st, 4), 1);
    cr_assert_eq(st[0], 0);
    cr_assert_gt(e.vf[1].irq[NIC_VF_VEC_QP_BASE], 0, "TX completion interrupt");
    struct nic_hw_vport_stats a, b;
    nic_vport_stats(e.nic, 2, &a);
    nic_vport_stats(e.nic, 5, &b);
    cr_assert_eq(a.tx_packets, 1);
    cr_assert_eq(a.tx_to_vport, 1);
    cr_assert_eq(a.tx_to_wire, 0);
    cr_assert_eq(b.rx_from_vport, 1);
    for (unsigned v = 0; v < 7; v++)
        if (v != 4)
            cr_assert_eq(t_rx_pending(&e.vf[v]), 0);
    t_env_fini(&e);
}

Test(nic_switch, unknown_destination_goes_to_the_wire_serialized)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint8_t fr[1600], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, peer_mac, m1, -1, 1500 - 14 - 0); /* 1500-byte frame */
    len = 1500;
    sim_time_t t0 = sim_sched_now(e.s);
    t_send(&e.vf[0], fr, len, 1);
    t_send(&e.vf[0], fr, len, 2);
    t_send(&e.vf[0], fr, len, 3);
    t_run(&e, SIM_MSEC(1));
    cr_assert_eq(e.wire_n, 3);
    cr_assert_eq(e.wire_id[0], 1);
    cr_assert_eq(e.wire_id[2], 3);
    cr_assert_eq(memcmp(e.wire_last, fr, 64), 0);
    /* (1500 + 24) bytes at 10 Gb/s = 1219.2 ns -> 1220 ns per frame, back to back. */
    sim_time_t ser = 1220;
    cr_assert_eq(e.wire_done[0], t0 + NIC_DOORBELL_LATENCY_NS + ser);
    cr_assert_eq(e.wire_done[1] - e.wire_done[0], ser);
    cr_assert_eq(e.wire_done[2] - e.wire_done[1], ser);
    cr_assert_eq(t_txc_reap(&e.vf[0], NULL, 0), 3);
    struct nic_port_stats ps;
    nic_port_stats(e.nic, &ps);
    cr_assert_eq(ps.tx_frames, 3);
    t_env_fini(&e);
}

Test(nic_switch, vf_broadcast_reaches_wire_and_default_vport)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint8_t fr[256], m1[6];
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, bcast, m1, -1, 40);
    t_send(&e.vf[0], fr, len, 99);
    t_run(&e, SIM_USEC(50));
    cr_assert_eq(e.wire_n, 1);
    struct nic_pkt_hdr h;
    uint32_t l;
    cr_assert(t_recv(&e.pf, &h, NULL, &l));
    cr_assert_eq(h.packet_id, 99);
    cr_assert_eq(h.src_vport, 1);
    cr_assert(h.flags & NIC_RXH_F_BCAST);
    cr_assert_eq(t_rx_pending(&e.vf[1]), 0, "other VFs get broadcasts via the synthetic path");
    t_env_fini(&e);
}

Test(nic_switch, pf_default_vport_sends_to_a_vf)
{
    struct t_env e;
    t_env_init(&e, 3, 0, false);
    t_seven(&e, 3);
    uint8_t fr[256], m3[6], pfmac[6] = {0x00, 0x1d, 0x0f, 0x00, 0x00, 0x01};
    t_mac(m3, 3);
    uint32_t len = t_frame(fr, m3, pfmac, -1, 40);
    t_send(&e.pf, fr, len, 5);
    t_run(&e, SIM_USEC(50));
    struct nic_pkt_hdr h;
    uint32_t l;
    cr_assert(t_recv(&e.vf[2], &h, NULL, &l));
    cr_assert_eq(h.src_vport, NIC_DEFAULT_VPORT);
    cr_assert_eq(e.wire_n, 0);
    t_env_fini(&e);
}

Test(nic_switch, link_down_drops_tx_with_cause_in_completion)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t fr[256], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, peer_mac, m1, -1, 40);
    nic_port_set_carrier(e.nic, false);
    t_send(&e.vf[0], fr, len, 31);
    t_run(&e, SIM_USEC(50));
    uint16_t st[2];
    cr_assert_eq(t_txc_reap(&e.vf[0], st, 2), 1);
    cr_assert_eq(st[0], NIC_TXC_DROPPED | SIM_DROP_LINK_DOWN);
    cr_assert_eq(e.wire_n, 0);
    cr_assert_eq(e.drop_last_id, 31);
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 1, &vs);
    cr_assert_eq(vs.drops[SIM_DROP_LINK_DOWN], 1);
    cr_assert_eq(vs.tx_packets, 0);
    nic_port_set_carrier(e.nic, true);
    t_send(&e.vf[0], fr, len, 32);
    t_run(&e, SIM_USEC(50));
    cr_assert_eq(e.wire_n, 1);
    t_env_fini(&e);
}

Test(nic_switch, ring_full_and_rx_force_full_knob_both_ways)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1); /* VF 0 has 32 RX buffers */
    uint8_t fr[256], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    for (unsigned i = 0; i < 40; i++)
        nic_port_rx(e.nic, fr, len, i);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 32);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_RING_FULL], 8);
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 1, &vs);
    cr_assert_eq(vs.rx_packets + vs.drops[SIM_DROP_RING_FULL], 40, "every frame accounted");
    struct nic_pkt_hdr h;
    uint32_t l;
    while (t_recv(&e.vf[0], &h, NULL, &l))
        ;
    t_rx_post(&e.vf[0], 8);
    nic_knobs(e.nic)->rx_force_full = true;
    nic_port_rx(e.nic, fr, len, 100);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 0);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_RING_FULL], 9);
    nic_knobs(e.nic)->rx_force_full = false;
    nic_port_rx(e.nic, fr, len, 101);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 1);
    t_env_fini(&e);
}

Test(nic_switch, deactivated_vport_drops_paused)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint32_t p[] = {1, NIC_VPORT_SET_FLAGS, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, p, 3, NULL), NIC_ERR_OK);
    uint8_t fr[256], m1[6];
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    nic_port_rx(e.nic, fr, len, 1);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_PAUSED], 1);
    cr_assert_eq(t_rx_pending(&e.vf[0]), 0);
    cr_assert_eq(t_rx_pending(&e.pf), 0, "matched: not given to the default VPort either");
    len = t_frame(fr, peer_mac, m1, -1, 40);
    t_send(&e.vf[0], fr, len, 2);
    t_run(&e, SIM_USEC(20));
    uint16_t st[1];
    cr_assert_eq(t_txc_reap(&e.vf[0], st, 1), 1);
    cr_assert_eq(st[0], NIC_TXC_DROPPED | SIM_DROP_PAUSED);
    t_env_fini(&e);
}

/* The data path allocates nothing: many frames wire->VF, VF->VF and VF->wire. */
Test(nic_switch, per_packet_path_is_allocation_free)
{
    struct t_env e;
    t_env_init(&e, 3, 0, false);
    t_seven(&e, 3);
    uint8_t fr[256], m1[6], m2[6];
    t_mac(m1, 1);
    t_mac(m2, 2);
    long before = sim_alloc_attempts();
    long frames = 0;
    for (unsigned round = 0; round < 200; round++) {
        uint32_t len = t_frame(fr, m1, peer_mac, -1, 60);
        nic_port_rx(e.nic, fr, len, round);
        len = t_frame(fr, m2, m1, -1, 60);
        t_send(&e.vf[0], fr, len, 100000 + round);
        len = t_frame(fr, peer_mac, m2, -1, 60);
        /* Drain everything the driver side got. */
        struct nic_pkt_hdr h;
        uint32_t l;
        for (unsigned v = 0; v < 3; v++) {
            while (t_recv(&e.vf[v], &h, NULL, &l)) {
                t_rx_post(&e.vf[v], 1);
                frames++;
            }
            t_txc_reap(&e.vf[v], NULL, 0);
        }
        /* Advance the clock without the scheduler allocating: run only due timers. */
        while (sim_sched_step(e.s) == 1)
            ;
    }
    cr_assert_eq(sim_alloc_attempts(), before, "the data path allocated");
    cr_assert_gt(frames, 300);
    cr_assert_eq(e.drop_n, 0);
    t_env_fini(&e);
}

/* Every VF of a 7-VF switch sends to every other VF: each frame lands in exactly the right
 * VF's ring, switched internally, and nothing reaches the wire or the default VPort. */
Test(nic_switch, seven_vfs_all_pairs_switched_internally)
{
    struct t_env e;
    t_env_init(&e, 7, 0, false);
    t_seven(&e, 7);
    uint8_t fr[128], src[6], dst[6];
    for (unsigned a = 0; a < 7; a++) {
        for (unsigned b = 0; b < 7; b++) {
            if (a == b)
                continue;
            t_mac(src, (uint8_t)(a + 1));
            t_mac(dst, (uint8_t)(b + 1));
            uint32_t len = t_frame(fr, dst, src, -1, 30 + a);
            t_send(&e.vf[a], fr, len, 100 * a + b);
        }
        t_run(&e, SIM_USEC(50));
    }
    for (unsigned b = 0; b < 7; b++) {
        unsigned n = 0, from_mask = 0;
        struct nic_pkt_hdr h;
        uint32_t l;
        while (t_recv(&e.vf[b], &h, NULL, &l)) {
            cr_assert_eq(h.packet_id % 100, b, "frame for VF %u landed on VF %u",
                         (unsigned)(h.packet_id % 100), b);
            cr_assert_eq(h.src_vport, h.packet_id / 100 + 1);
            cr_assert_eq(h.vport_id, b + 1);
            from_mask |= 1u << (h.packet_id / 100);
            n++;
        }
        cr_assert_eq(n, 6, "VF %u got %u", b, n);
        cr_assert_eq(from_mask, 0x7fu & ~(1u << b));
        cr_assert_eq(t_txc_reap(&e.vf[b], NULL, 0), 6);
    }
    cr_assert_eq(e.wire_n, 0);
    cr_assert_eq(t_rx_pending(&e.pf), 0);
    cr_assert_eq(e.drop_n, 0);
    t_env_fini(&e);
}

Test(nic_switch, bad_lengths_are_dropped_with_their_cause)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    static uint8_t big[NIC_MAX_FRAME_LEN + 16];
    uint8_t m1[6];
    t_mac(m1, 1);
    /* Runt from the wire: malformed. Jumbo beyond the part's limit: mtu. */
    uint32_t len = t_frame(big, m1, peer_mac, -1, 0);
    nic_port_rx(e.nic, big, 10, 1);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_MALFORMED], 1);
    nic_port_rx(e.nic, big, NIC_MAX_FRAME_LEN + 1, 2);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_MTU], 1);
    /* A 3000-byte frame for a VF whose buffers hold 2048: buffer handed back unused. */
    len = t_frame(big, m1, peer_mac, -1, 3000);
    nic_port_rx(e.nic, big, len, 3);
    cr_assert_eq(e.drop_by_cause[SIM_DROP_MTU], 2);
    struct nic_pkt_hdr h;
    uint32_t l;
    cr_assert(t_recv(&e.vf[0], &h, NULL, &l));
    cr_assert_eq(l, NIC_RXD_LEN_UNUSED);
    /* A TX descriptor shorter than an Ethernet header: malformed, in the completion too. */
    t_send(&e.vf[0], big, 8, 4);
    t_run(&e, SIM_USEC(20));
    uint16_t st[1];
    cr_assert_eq(t_txc_reap(&e.vf[0], st, 1), 1);
    cr_assert_eq(st[0], NIC_TXC_DROPPED | SIM_DROP_MALFORMED);
    struct nic_port_stats ps;
    nic_port_stats(e.nic, &ps);
    cr_assert_eq(ps.drops[SIM_DROP_MALFORMED], 1);
    cr_assert_eq(ps.drops[SIM_DROP_MTU], 1);
    t_env_fini(&e);
}
