/* SPDX-License-Identifier: MIT */
/* test_filter.c — receive filters and classification of frames from the wire: a switch with
 * seven VFs, default-VPort fallback, broadcast, VLAN tests ANDed, UNTAGGED_OR_ZERO, tag
 * stripping, filter table errors, and the atomicity of FILTER_MOVE under a stream of frames. */
#include "nic_test.h"

static const uint8_t peer_mac[6] = {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};

static int
filter_set(struct t_env *e, uint32_t id, uint32_t vport, const uint8_t mac[6], uint32_t vlan,
           uint32_t flags)
{
    uint32_t lo = 0, hi = 0;
    if (mac != NULL)
        nic_mac_to_words(mac, &lo, &hi);
    uint32_t p[] = {id, vport, lo, hi, vlan, flags};
    return t_cmd(e, NIC_CMD_FILTER_SET, p, 6, NULL);
}

/* Deliver one frame from the wire and say which function's RX ring got it (-1: PF default
 * VPort, v: VF v, -2: nobody). Checks the header's packet id. */
static int
where_did_it_go(struct t_env *e, const uint8_t *fr, uint32_t len, uint64_t id,
                struct nic_pkt_hdr *hdr_out, uint32_t *len_out, uint8_t *frame_out)
{
    nic_port_rx(e->nic, fr, len, id);
    int who = -2;
    struct nic_pkt_hdr h;
    uint32_t l;
    for (int f = -1; f < (int)e->nvfs; f++) {
        struct t_fn *fn = f < 0 ? &e->pf : &e->vf[f];
        while (t_recv(fn, &h, frame_out, &l)) {
            cr_assert_eq(who, -2, "frame %llu delivered twice", (unsigned long long)id);
            cr_assert_eq(h.packet_id, id);
            who = f;
            if (hdr_out)
                *hdr_out = h;
            if (len_out)
                *len_out = l;
            t_rx_post(fn, 1);
        }
    }
    return who;
}

Test(nic_filter, seven_vfs_wire_frames_reach_the_right_vport)
{
    struct t_env e;
    t_env_init(&e, 7, 0, false);
    t_seven(&e, 7);
    uint8_t fr[256], mac[6];
    struct nic_pkt_hdr h;
    uint32_t l;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned v = 0; v < 7; v++) {
            t_mac(mac, (uint8_t)(v + 1));
            uint32_t len = t_frame(fr, mac, peer_mac, -1, 60 + v);
            uint64_t id = 1000 * round + v;
            cr_assert_eq(where_did_it_go(&e, fr, len, id, &h, &l, NULL), (int)v);
            cr_assert_eq(h.vport_id, v + 1);
            cr_assert_eq(h.src_vport, NIC_VPORT_NONE);
            cr_assert_eq(h.flags, 0);
            cr_assert_eq(l, len);
        }
    }
    /* Unmatched unicast and broadcast go to the default VPort. */
    t_mac(mac, 0x55);
    uint32_t len = t_frame(fr, mac, peer_mac, -1, 30);
    cr_assert_eq(where_did_it_go(&e, fr, len, 7000, &h, NULL, NULL), -1);
    cr_assert_eq(h.vport_id, NIC_DEFAULT_VPORT);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    len = t_frame(fr, bcast, peer_mac, -1, 30);
    cr_assert_eq(where_did_it_go(&e, fr, len, 7001, &h, NULL, NULL), -1);
    cr_assert(h.flags & NIC_RXH_F_BCAST);
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    len = t_frame(fr, mcast, peer_mac, -1, 30);
    cr_assert_eq(where_did_it_go(&e, fr, len, 7002, NULL, NULL, NULL), -1);

    struct nic_hw_vport_stats vs;
    for (unsigned v = 1; v <= 7; v++) {
        cr_assert_eq(nic_vport_stats(e.nic, (uint16_t)v, &vs), 0);
        cr_assert_eq(vs.rx_packets, 3, "vport %u", v);
    }
    cr_assert_eq(nic_vport_stats(e.nic, 0, &vs), 0);
    cr_assert_eq(vs.rx_packets, 3);
    cr_assert_eq(vs.rx_bcast, 2);
    cr_assert_eq(e.drop_n, 0);
    /* The VF's RX vector fired. */
    t_run(&e, SIM_USEC(5));
    cr_assert_gt(e.vf[3].irq[NIC_VF_VEC_QP_BASE], 0);
    t_env_fini(&e);
}

Test(nic_filter, vlan_and_mac_tests_are_anded)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2);
    uint8_t fr[256], m1[6], m9[6];
    t_mac(m1, 1);
    t_mac(m9, 9);
    /* Filter 20 on VPort 2: MAC 9 AND VLAN 10. */
    cr_assert_eq(filter_set(&e, 20, 2, m9, 10, NIC_FILTER_F_MAC | NIC_FILTER_F_VLAN), NIC_ERR_OK);
    uint32_t len = t_frame(fr, m9, peer_mac, 10, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 1, NULL, NULL, NULL), 1, "MAC and VLAN match");
    len = t_frame(fr, m9, peer_mac, -1, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 2, NULL, NULL, NULL), -1, "untagged: no match");
    len = t_frame(fr, m9, peer_mac, 0, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 3, NULL, NULL, NULL), -1, "VLAN 0: no match");
    len = t_frame(fr, m9, peer_mac, 11, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 4, NULL, NULL, NULL), -1, "other VLAN");
    len = t_frame(fr, m1, peer_mac, 10, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 5, NULL, NULL, NULL), -1,
                 "MAC 1 has UNTAGGED_OR_ZERO: VLAN 10 never matches it");
    /* A VPort takes a frame if ANY of its filters matches: add VLAN-only filter 21 (VLAN 30). */
    cr_assert_eq(filter_set(&e, 21, 2, NULL, 30, NIC_FILTER_F_VLAN), NIC_ERR_OK);
    len = t_frame(fr, m1, peer_mac, 30, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 6, NULL, NULL, NULL), 1, "VLAN-only filter");
    len = t_frame(fr, m9, peer_mac, 10, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 7, NULL, NULL, NULL), 1, "first filter still");
    t_env_fini(&e);
}

Test(nic_filter, untagged_or_zero_semantics)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1); /* filter 1: MAC 02::01 with UNTAGGED_OR_ZERO on VPort 1 */
    uint8_t fr[256], m1[6];
    struct nic_pkt_hdr h;
    uint32_t l;
    t_mac(m1, 1);
    uint32_t len = t_frame(fr, m1, peer_mac, -1, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 1, &h, &l, NULL), 0, "untagged matches");
    cr_assert_eq(l, len);
    len = t_frame(fr, m1, peer_mac, 0, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 2, &h, &l, NULL), 0, "VLAN id 0 matches");
    cr_assert_eq(l, len, "priority tag kept: the filter has a VLAN rule");
    cr_assert_not(h.flags & NIC_RXH_F_VLAN);
    len = t_frame(fr, m1, peer_mac, 5, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 3, NULL, NULL, NULL), -1, "VLAN 5 never");
    t_env_fini(&e);
}

Test(nic_filter, mac_only_filter_strips_the_tag_into_the_header)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t fr[256], out[256], m7[6];
    struct nic_pkt_hdr h;
    uint32_t l;
    t_mac(m7, 7);
    cr_assert_eq(filter_set(&e, 9, 1, m7, 0, NIC_FILTER_F_MAC), NIC_ERR_OK);
    uint32_t len = t_frame(fr, m7, peer_mac, 123, 40);
    cr_assert_eq(where_did_it_go(&e, fr, len, 77, &h, &l, out), 0);
    cr_assert(h.flags & NIC_RXH_F_VLAN);
    cr_assert_eq(h.vlan_tci & 0xfff, 123);
    cr_assert_eq(l, len - 4);
    cr_assert_eq(memcmp(out, fr, 12), 0);
    cr_assert_eq(memcmp(out + 12, fr + 16, len - 16), 0, "payload intact after the strip");
    t_env_fini(&e);
}

Test(nic_filter, filter_table_errors)
{
    struct t_env e;
    t_env_init(&e, 1, 9, false); /* 9 filters: MaxNumMacAddresses >= MaxNumVPorts (9) */
    t_enable_vfs(&e, 1);
    uint32_t sw[] = {1, 2, 1, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_OK);
    uint8_t m[6];
    t_mac(m, 1);
    static const uint8_t mc[6] = {0x01, 0, 0x5e, 0, 0, 1};
    cr_assert_eq(filter_set(&e, 1, 0, m, 0, 0), NIC_ERR_BAD_PARAM, "no test at all");
    cr_assert_eq(filter_set(&e, 1, 0, m, 0, NIC_FILTER_F_UNTAGGED_OR_ZERO), NIC_ERR_BAD_PARAM);
    cr_assert_eq(filter_set(&e, 1, 0, m, 3, NIC_FILTER_F_VLAN | NIC_FILTER_F_UNTAGGED_OR_ZERO),
                 NIC_ERR_BAD_PARAM);
    cr_assert_eq(filter_set(&e, 1, 0, mc, 0, NIC_FILTER_F_MAC), NIC_ERR_BAD_PARAM);
    cr_assert_eq(filter_set(&e, 1, 0, m, 4096, NIC_FILTER_F_VLAN), NIC_ERR_RANGE);
    cr_assert_eq(filter_set(&e, 0, 0, m, 0, NIC_FILTER_F_MAC), NIC_ERR_RANGE);
    cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CAP_MAX_FILTERS), 9);
    cr_assert_eq(filter_set(&e, 10, 0, m, 0, NIC_FILTER_F_MAC), NIC_ERR_RANGE);
    cr_assert_eq(filter_set(&e, 1, 1, m, 0, NIC_FILTER_F_MAC), NIC_ERR_NOT_FOUND, "no VPort 1");
    for (uint32_t i = 1; i <= 9; i++) {
        m[5] = (uint8_t)i;
        cr_assert_eq(filter_set(&e, i, 0, m, 0, NIC_FILTER_F_MAC), NIC_ERR_OK);
    }
    cr_assert_eq(filter_set(&e, 4, 0, m, 0, NIC_FILTER_F_MAC), NIC_ERR_EXISTS);
    cr_assert_eq(nic_filter_count(e.nic), 9);
    uint32_t mv[] = {3, 1};
    cr_assert_eq(t_cmd(&e, NIC_CMD_FILTER_MOVE, mv, 2, NULL), NIC_ERR_NOT_FOUND, "no VPort 1");
    uint32_t mv2[] = {12, 0};
    cr_assert_eq(t_cmd(&e, NIC_CMD_FILTER_MOVE, mv2, 2, NULL), NIC_ERR_NOT_FOUND, "no filter 12");
    t_env_fini(&e);
}

/* The MOVE_FILTER contract: a stream of frames for one MAC keeps arriving while the filter
 * moves between the default VPort and the VF's VPort several times (as in failover and back).
 * Every frame must reach exactly one of the two, none unmatched, none lost. */
Test(nic_filter, move_is_atomic_under_a_stream_of_frames)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t fr[128], mvm[6];
    t_mac(mvm, 0x42);
    /* Filter 50: the VM's MAC, starting on the default VPort (VM on the synthetic path). */
    cr_assert_eq(filter_set(&e, 50, 0, mvm, 0, NIC_FILTER_F_MAC | NIC_FILTER_F_UNTAGGED_OR_ZERO),
                 NIC_ERR_OK);
    uint32_t len = t_frame(fr, mvm, peer_mac, -1, 64);
    enum { N = 400 };
    static unsigned seen[N];
    memset(seen, 0, sizeof(seen));
    unsigned on_vf = 0, on_pf = 0, moves = 0;
    uint32_t to = 1;
    for (unsigned i = 0; i < N; i++) {
        /* One frame every 2 us on the virtual clock; every 50 frames a MOVE is started by
         * doorbell and completes NIC_CMD_LATENCY_NS later, between frames. */
        if (i % 50 == 25) {
            uint32_t p[] = {50, to};
            for (unsigned k = 0; k < 2; k++)
                t_wr(&e, T_PF_RID, NIC_REG_CMD_PARAM(k), p[k]);
            t_wr(&e, T_PF_RID, NIC_REG_CMD_DOORBELL, NIC_CMD_FILTER_MOVE);
            to = to == 1 ? 0 : 1;
            moves++;
        }
        nic_port_rx(e.nic, fr, len, 10000 + i);
        t_run(&e, SIM_USEC(2));
        struct nic_pkt_hdr h;
        uint32_t l;
        while (t_recv(&e.vf[0], &h, NULL, &l)) {
            seen[h.packet_id - 10000]++;
            on_vf++;
            t_rx_post(&e.vf[0], 1);
        }
        while (t_recv(&e.pf, &h, NULL, &l)) {
            seen[h.packet_id - 10000]++;
            on_pf++;
            t_rx_post(&e.pf, 1);
        }
        cr_assert_eq(t_rd(&e, T_PF_RID, NIC_REG_CMD_STATUS) & 0xffff, NIC_ERR_OK);
    }
    cr_assert_eq(moves, 8);
    for (unsigned i = 0; i < N; i++)
        cr_assert_eq(seen[i], 1, "frame %u seen %u times", i, seen[i]);
    cr_assert_eq(on_vf + on_pf, N);
    cr_assert_gt(on_vf, 100);
    cr_assert_gt(on_pf, 100);
    struct nic_hw_vport_stats v0, v1;
    nic_vport_stats(e.nic, 0, &v0);
    nic_vport_stats(e.nic, 1, &v1);
    cr_assert_eq(v0.rx_packets + v1.rx_packets, N);
    cr_assert_eq(e.drop_n, 0, "no frame unmatched or dropped");
    cr_assert_eq(nic_filter_vport(e.nic, 50), 0, "8 moves: back on the default VPort");
    t_env_fini(&e);
}
