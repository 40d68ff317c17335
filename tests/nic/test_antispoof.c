/* SPDX-License-Identifier: MIT */
/* test_antispoof.c — transmit source-MAC anti-spoof (on/off, trusted), MAC change through
 * VPORT_SET, port VLAN enforcement; every drop counted per VPort and cause and reported. */
#include "nic_test.h"

static const uint8_t peer_mac[6] = {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};

static uint16_t
send_one(struct t_env *e, unsigned vf, const uint8_t src[6], int vlan, uint64_t id)
{
    uint8_t fr[128];
    uint32_t len = t_frame(fr, peer_mac, src, vlan, 40);
    t_send(&e->vf[vf], fr, len, id);
    t_run(e, SIM_USEC(20));
    uint16_t st[1];
    cr_assert_eq(t_txc_reap(&e->vf[vf], st, 1), 1);
    return st[0];
}

Test(nic_antispoof, spoofed_source_is_dropped_with_cause)
{
    struct t_env e;
    t_env_init(&e, 2, 0, false);
    t_seven(&e, 2); /* VPort 1: MAC 02::01, anti-spoof on, not trusted */
    uint8_t own[6], other[6];
    t_mac(own, 1);
    t_mac(other, 2); /* VF 1's MAC */
    cr_assert_eq(send_one(&e, 0, other, -1, 61), NIC_TXC_DROPPED | SIM_DROP_SPOOF_CHECK);
    cr_assert_eq(e.wire_n, 0);
    cr_assert_eq(e.drop_last_cause, SIM_DROP_SPOOF_CHECK);
    cr_assert_eq(e.drop_last_id, 61);
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 1, &vs);
    cr_assert_eq(vs.drops[SIM_DROP_SPOOF_CHECK], 1);
    cr_assert_eq(vs.tx_packets, 0);
    struct nic_stats st;
    nic_stats(e.nic, &st);
    cr_assert_eq(st.drops[SIM_DROP_SPOOF_CHECK], 1);
    cr_assert_eq(send_one(&e, 0, own, -1, 62), 0);
    cr_assert_eq(e.wire_n, 1);
    cr_assert_eq(e.wire_id[0], 62);
    t_env_fini(&e);
}

Test(nic_antispoof, antispoof_off_and_trusted_let_it_through)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t other[6];
    t_mac(other, 0x77);
    cr_assert_eq(send_one(&e, 0, other, -1, 1), NIC_TXC_DROPPED | SIM_DROP_SPOOF_CHECK);
    /* Trusted (ip link ... trust on): any source MAC. */
    uint32_t trust[] = {1, NIC_VPORT_SET_FLAGS,
                        NIC_VPORT_F_ACTIVATED | NIC_VPORT_F_ANTISPOOF | NIC_VPORT_F_TRUSTED};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, trust, 3, NULL), NIC_ERR_OK);
    cr_assert_eq(send_one(&e, 0, other, -1, 2), 0);
    /* Anti-spoof off, not trusted: also allowed. */
    uint32_t off[] = {1, NIC_VPORT_SET_FLAGS, NIC_VPORT_F_ACTIVATED};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, off, 3, NULL), NIC_ERR_OK);
    cr_assert_eq(send_one(&e, 0, other, -1, 3), 0);
    /* And back on: dropped again. */
    uint32_t on[] = {1, NIC_VPORT_SET_FLAGS, NIC_VPORT_F_ACTIVATED | NIC_VPORT_F_ANTISPOOF};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, on, 3, NULL), NIC_ERR_OK);
    cr_assert_eq(send_one(&e, 0, other, -1, 4), NIC_TXC_DROPPED | SIM_DROP_SPOOF_CHECK);
    cr_assert_eq(e.wire_n, 2);
    t_env_fini(&e);
}

Test(nic_antispoof, mac_change_moves_what_is_allowed)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t old[6], neu[6];
    t_mac(old, 1);
    t_mac(neu, 0x31);
    uint32_t lo, hi;
    nic_mac_to_words(neu, &lo, &hi);
    uint32_t p[] = {1, NIC_VPORT_SET_MAC, 0, lo, hi};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, p, 5, NULL), NIC_ERR_OK);
    cr_assert_eq(send_one(&e, 0, neu, -1, 1), 0);
    cr_assert_eq(send_one(&e, 0, old, -1, 2), NIC_TXC_DROPPED | SIM_DROP_SPOOF_CHECK);
    t_env_fini(&e);
}

Test(nic_antispoof, port_vlan_allows_untagged_and_its_own_vlan_only)
{
    struct t_env e;
    t_env_init(&e, 1, 0, false);
    t_seven(&e, 1);
    uint8_t own[6];
    t_mac(own, 1);
    cr_assert_eq(send_one(&e, 0, own, 9, 1), 0, "no port VLAN: any tag");
    uint32_t p[] = {1, NIC_VPORT_SET_VLAN, 0, 0, 0, 20};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, p, 6, NULL), NIC_ERR_OK);
    cr_assert_eq(send_one(&e, 0, own, 20, 2), 0);
    cr_assert_eq(send_one(&e, 0, own, -1, 3), 0);
    cr_assert_eq(send_one(&e, 0, own, 9, 4), NIC_TXC_DROPPED | SIM_DROP_VLAN_MISMATCH);
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 1, &vs);
    cr_assert_eq(vs.drops[SIM_DROP_VLAN_MISMATCH], 1);
    cr_assert_eq(vs.tx_packets, 3);
    uint32_t bad[] = {1, NIC_VPORT_SET_VLAN, 0, 0, 0, 5000};
    cr_assert_eq(t_cmd(&e, NIC_CMD_VPORT_SET, bad, 6, NULL), NIC_ERR_RANGE);
    t_env_fini(&e);
}
