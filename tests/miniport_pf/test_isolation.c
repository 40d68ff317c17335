/* SPDX-License-Identifier: MIT */
/*
 * test_isolation.c — a rogue guest VF driver against the PF and the NIC (issue 13 item 4): a
 * mailbox flood, and requests for another VF's resources (its MAC, the PF's MAC). Two VFs with a
 * VPort and a MAC filter each; the test plays VF 0's driver through its BAR0 (nic_regs.h) and
 * checks after every attempt that it was refused or had no effect, that it was counted and
 * logged, and that VF 1 loses nothing: frames for its MAC still land on its VPort and its own
 * mailbox requests are answered.
 * (Spoofed source MACs and VLANs on transmit: tests/nic/test_antispoof.c; DMA, MMIO and config
 * access outside the VM's reach: tests/hv/test_guest_io.c.)
 */
#include "nic/nic_regs.h"
#include "pf_test.h"

struct iso {
    struct topo t;
    uint16_t vf[2];
    uint32_t vport[2], filter[2];
    uint8_t mac[2][6];
};

static char last_log[512];
static int warn_lines;

static void
log_sink(void *ctx, const char *ns, enum sim_log_level level, int64_t time_ns, const char *text)
{
    snprintf(last_log, sizeof last_log, "%s", text);
    warn_lines++;
}

static void
iso_up(struct iso *e, pf_policy_fn policy)
{
    topo_init(&e->t, policy);
    cr_assert_eq(t_create_switch(&e->t, 2), 0);
    for (int i = 0; i < 2; i++) {
        t_vf_mac((uint16_t)i, e->mac[i]);
        cr_assert_eq(t_allocate_vf(&e->t, e->mac[i], &e->vf[i], NULL), 0);
        cr_assert_eq(t_create_vport(&e->t, e->vf[i], 1, 0, &e->vport[i]), 0);
        cr_assert_eq(t_set_filter(&e->t, e->vport[i], e->mac[i], -1, &e->filter[i]), 0);
    }
    (void)sim_log_configure("warn", NULL);
    sim_log_set_sink(log_sink, NULL);
    warn_lines = 0;
}

static void
iso_down(struct iso *e)
{
    sim_log_set_sink(NULL, NULL);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(t_clear_filter(&e->t, e->filter[i]), 0);
        cr_assert_eq(t_delete_vport(&e->t, e->vport[i]), 0);
        cr_assert_eq(t_reset_vf(&e->t, e->vf[i]), 0);
        cr_assert_eq(t_free_vf(&e->t, e->vf[i]), 0);
    }
    cr_assert_eq(t_delete_switch(&e->t), 0);
    topo_fini(&e->t);
}

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

static void
vf_post(struct topo *t, uint16_t vf, const uint32_t *w, unsigned n)
{
    if (vf_rd(t, vf, NIC_REG_VF_MBX_CTRL) & NIC_VF_MBX_CTRL_PFMSG)
        vf_wr(t, vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_PFMSG);
    for (unsigned i = 0; i < n; i++)
        vf_wr(t, vf, NIC_REG_VF_MBX_REQ(i), w[i]);
    vf_wr(t, vf, NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
}

/* Send, let the PF answer; returns the VF's control bits. */
static uint32_t
vf_request(struct topo *t, uint16_t vf, const uint32_t *w, unsigned n)
{
    vf_post(t, vf, w, n);
    t_run_for(t, SIM_MSEC(1));
    uint32_t ctrl = vf_rd(t, vf, NIC_REG_VF_MBX_CTRL);
    cr_assert(!(ctrl & NIC_VF_MBX_CTRL_REQ), "VF %u: request unanswered", vf);
    return ctrl;
}

static uint32_t
set_mac(struct topo *t, uint16_t vf, const uint8_t mac[6])
{
    uint32_t w[3] = {NIC_MBX_HDR(NIC_MBX_MSG_SET_MAC, 3, 1)};
    nic_mac_to_words(mac, &w[1], &w[2]);
    return vf_request(t, vf, w, 3);
}

/* Frames from the wire for VF 1's MAC land on VF 1's VPort. */
static void
assert_vf1_receives(struct iso *e, uint64_t id)
{
    uint64_t before = t_landed(&e->t, (uint16_t)e->vport[1]);
    uint64_t other = t_landed(&e->t, (uint16_t)e->vport[0]);
    t_frame_rx(&e->t, e->mac[1], -1, id);
    t_run_for(&e->t, SIM_MSEC(1));
    cr_assert_eq(t_landed(&e->t, (uint16_t)e->vport[1]), before + 1, "VF 1 lost frame %llu",
                 (unsigned long long)id);
    cr_assert_eq(t_landed(&e->t, (uint16_t)e->vport[0]), other, "VF 0 got VF 1's frame");
}

Test(pf_isolation, a_vf_cannot_take_another_vfs_mac)
{
    struct iso e;
    iso_up(&e, pf_policy_accept_all); /* even a PF that accepts every MAC change */
    assert_vf1_receives(&e, 1);
    uint64_t nacks = pf_adapter_stats(e.t.pf)->mbx_nacks;
    uint32_t ctrl = set_mac(&e.t, e.vf[0], e.mac[1]);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_NACK, "refused explicitly");
    cr_assert_eq(pf_adapter_stats(e.t.pf)->mbx_nacks, nacks + 1, "counted");
    cr_assert(strstr(last_log, "VF 0: SET_MAC") != NULL && strstr(last_log, "VF 1") != NULL,
              "logged with both VFs: %s", last_log);
    uint8_t cur[6];
    cr_assert_eq(pf_vf_current_mac(e.t.pf, e.vf[0], cur), 0);
    cr_assert_arr_eq(cur, e.mac[0], 6, "VF 0 keeps its own MAC");
    assert_vf1_receives(&e, 2);
    /* The PF's own MAC is not a VF's either. */
    static const uint8_t pf_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00};
    ctrl = set_mac(&e.t, e.vf[0], pf_mac);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_NACK);
    /* A MAC nobody uses is still fine with this policy. */
    static const uint8_t fresh[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x77};
    ctrl = set_mac(&e.t, e.vf[0], fresh);
    cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK);
    assert_vf1_receives(&e, 3);
    iso_down(&e);
}

Test(pf_isolation, a_mailbox_flood_is_counted_and_does_not_starve_the_other_vf)
{
    struct iso e;
    iso_up(&e, pf_policy_intel);
    struct nic_stats s0, s1;
    nic_stats(e.t.nic, &s0);
    uint64_t answered0 = pf_adapter_stats(e.t.pf)->mbx_acks + pf_adapter_stats(e.t.pf)->mbx_nacks;
    /* VF 0 hammers its control register: one request can be outstanding, the rest are ignored
     * by the device and counted; in between it re-posts garbage and unknown types. */
    unsigned posted = 0;
    for (int round = 0; round < 200; round++) {
        uint32_t junk[4] = {NIC_MBX_HDR((uint16_t)(0x7f00 + round), 4, (uint8_t)round),
                            0xdeadbeef, (uint32_t)round, 0};
        vf_post(&e.t, e.vf[0], junk, 4);
        posted++;
        for (int i = 0; i < 50; i++)
            vf_wr(&e.t, e.vf[0], NIC_REG_VF_MBX_CTRL, NIC_VF_MBX_CTRL_REQ);
        /* VF 1 asks for its link state in the middle of it, and is answered. */
        if (round % 20 == 0) {
            uint32_t q[1] = {NIC_MBX_HDR(NIC_MBX_MSG_GET_LINK, 1, (uint8_t)round)};
            uint32_t ctrl = vf_request(&e.t, e.vf[1], q, 1);
            cr_assert(ctrl & NIC_VF_MBX_CTRL_ACK, "VF 1 answered during the flood (round %d)",
                      round);
            assert_vf1_receives(&e, 100 + (uint64_t)round);
        }
        t_run_for(&e.t, SIM_USEC(200));
    }
    t_run_for(&e.t, SIM_MSEC(5));
    nic_stats(e.t.nic, &s1);
    cr_assert_geq(s1.mbx_busy_ignored - s0.mbx_busy_ignored, 200 * 40,
                  "the writes while a request was outstanding were ignored and counted");
    uint64_t answered =
        pf_adapter_stats(e.t.pf)->mbx_acks + pf_adapter_stats(e.t.pf)->mbx_nacks - answered0;
    cr_assert_eq(answered, posted + 10, "every request that reached the PF was answered once");
    cr_assert(strstr(last_log, "not supported") != NULL, "unknown types logged: %s", last_log);
    iso_down(&e);
}
