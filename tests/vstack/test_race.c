/* SPDX-License-Identifier: MIT */
/* test_race.c — the knobs that replay races which broke real drivers, and what the guest's
 * stack does after a MAC change: cost.vf_association_delay (0: NVSP VF_ASSOCIATION before the
 * VPCI offer, as Hyper-V does; longer than the offer delay: the VF binds first and NetVSC keeps
 * it pending until the association), a detach while the association is held (nothing sent,
 * nothing leaked), and the source MAC the guest sends with after a MAC change it was told
 * succeeded (silent refusal: anti-spoof drops; NACK: the old MAC, no drop). */
#include "vs_test.h"

#define RATE_UDP UINT64_C(100000000) /* 100 Mb/s */

static struct vstack_world *
attached(int64_t assoc_delay, struct vstack_mark *m)
{
    struct vstack_world *w = vs_world(3, 2, 1);
    if (assoc_delay >= 0)
        ok_or_die(vstack_cost_set(w, "cost.vf_association_delay", assoc_delay, D), "set");
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, RATE_UDP);
    vstack_mark_now(w, m);
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    return w;
}

Test(vstack_race, association_is_sent_before_the_offer_by_default)
{
    struct vstack_mark m;
    struct vstack_world *w = attached(-1, &m);
    int64_t v = -1;
    ok_or_die(vstack_cost_get(w, "cost.vf_association_delay", &v, D), "get");
    cr_assert_eq(v, 0, "default 0");
    vs_run(w, SIM_MSEC(400));
    long a = vs_find_event(w, &m, VSTACK_EV_VF_ASSOCIATED, "vm1", "vf", "h1.pf0.vf0");
    cr_assert_geq(a, 0, "associated at the offer");
    cr_assert_lt(vs_find_event(w, &m, VSTACK_EV_VF_ADDED, "vm1", NULL, NULL), 0,
                 "the VF arrives only after the 1 s offer delay");
    vs_run(w, SIM_MSEC(300) + SIM_MSEC(1400));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    cr_assert_eq(vs_stats(w, "u1").lost, 0);
    vs_destroy(w);
}

Test(vstack_race, vf_bound_before_association_waits_for_it)
{
    struct vstack_mark m;
    struct vstack_world *w = attached(SIM_SEC(2), &m);
    vs_run(w, SIM_MSEC(300) + SIM_MSEC(1800));
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_ADDED, "vm1", "vf", "h1.pf0.vf0"), 0,
                  "the VF arrived and bound");
    cr_assert_lt(vs_find_event(w, &m, VSTACK_EV_VF_ASSOCIATED, "vm1", NULL, NULL), 0,
                 "no association yet");
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC, "a VF without association is not used");
    vs_run(w, SIM_MSEC(300) + SIM_MSEC(2400));
    long added = vs_find_event(w, &m, VSTACK_EV_VF_ADDED, "vm1", NULL, NULL);
    long assoc = vs_find_event(w, &m, VSTACK_EV_VF_ASSOCIATED, "vm1", "vf", "h1.pf0.vf0");
    cr_assert_gt(assoc, added, "association after the VF (%ld, %ld)", assoc, added);
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF, "the pending VF registered on the association");
    vs_run(w, SIM_SEC(4));
    struct traffic_flow_stats u = vs_stats(w, "u1");
    cr_assert_eq(u.lost, 0, "lost %llu", (unsigned long long)u.lost);
    cr_assert_gt(u.delivered, 30000);
    vs_destroy(w);
}

/* The pre-2022 NetVSC (legacy_early_vf): the same order leaves the bound VF unused for good. */
Test(vstack_race, legacy_netvsc_never_uses_a_vf_bound_before_association)
{
    struct vstack_world *w = vs_world(3, 2, 0);
    ok_or_die(vstack_cost_set(w, "cost.vf_association_delay", SIM_SEC(2), D), "set");
    struct vstack_vm_config vc;
    vstack_vm_config_init(&vc);
    vc.host = "h1";
    vc.sw = "h1.sw0";
    vc.legacy_early_vf = true;
    ok_or_die(vstack_vm_add(w, "vm1", &vc, D), "vm");
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, RATE_UDP);
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    vs_run(w, SIM_SEC(5));
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_ADDED, "vm1", NULL, NULL), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_ASSOCIATED, "vm1", NULL, NULL), 0);
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC, "the early VF is never registered");
    cr_assert_eq(vs_stats(w, "u1").lost, 0);
    vs_destroy(w);
}

Test(vstack_race, detach_while_association_held_never_sends_it)
{
    struct vstack_mark m;
    struct vstack_world *w = attached(SIM_SEC(2), &m);
    vs_run(w, SIM_MSEC(300) + SIM_MSEC(1500));
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(6));
    cr_assert_lt(vs_find_event(w, &m, VSTACK_EV_VF_ASSOCIATED, "vm1", NULL, NULL), 0,
                 "the held association was cancelled with the VF");
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    char vf[32];
    ok_or_die(vstack_vm_vf(w, "vm1", vf, sizeof vf, D), "vm vf");
    cr_assert_str_eq(vf, "none");
    cr_assert_eq(vs_stats(w, "u1").lost, 0);
    vs_destroy(w);
}

/* After a MAC change the guest was told succeeded, its frames carry the new source MAC. */
static void
mac_traffic(enum vstack_mailbox_policy pol, bool expect_drops)
{
    struct vstack_mark m;
    struct vstack_world *w = attached(-1, &m);
    vs_run(w, SIM_SEC(2));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vstack_policy p = {.mac_change = pol};
    ok_or_die(vstack_policy_set(w, "vm1", &p, D), "policy");
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
    ok_or_die(vstack_vf_request_mac(w, "vm1", mac, D), "mac");
    vs_run(w, SIM_SEC(3));
    struct traffic_flow_stats u = vs_stats(w, "u1");
    uint64_t spoof = u.dropped[SIM_DROP_SPOOF_CHECK];
    if (expect_drops) {
        cr_assert_gt(spoof, 5000, "the VF's anti-spoof drops the new source MAC (%llu)",
                     (unsigned long long)spoof);
        cr_assert_eq(u.lost, spoof, "every loss is spoof-check");
    } else {
        cr_assert_eq(spoof, 0);
        cr_assert_eq(u.lost, 0);
    }
    vs_destroy(w);
}

Test(vstack_race, silent_mac_refusal_makes_the_guest_send_spoofed_frames)
{
    mac_traffic(VSTACK_MBX_REFUSE_SILENT, true);
}

Test(vstack_race, nacked_mac_change_keeps_the_old_mac)
{
    mac_traffic(VSTACK_MBX_REFUSE, false);
}
