/* SPDX-License-Identifier: MIT */
/* test_port.c — switch ports and their policies: creation rules, MAC changes, "VF allowed" with
 * its veto, policy validation, the host side of SWITCH_DATA_PATH with a pended completion, the
 * VF association sent after INIT, and the synthetic-only frame rule. */
#include "vsp_test.h"

Test(netvsp_switch, create_rejects_bad_config)
{
    struct sim_sched *s = NULL;
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
    struct netvsp_switch *sw = NULL;
    struct sim_diag d = {0};
    struct netvsp_switch_config c = {.name = "h1.sw"};
    cr_assert_eq(netvsp_switch_create(&c, &sw, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "scheduler"), "%s", d.reason);
    c.sched = s;
    c.name = "";
    cr_assert_eq(netvsp_switch_create(&c, &sw, &d), SIM_EINVAL);
    static const struct netvsp_uplink_ops no_send = {0};
    c.name = "h1.sw";
    c.uplink = &no_send;
    cr_assert_eq(netvsp_switch_create(&c, &sw, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "send"), "%s", d.reason);
    cr_assert_eq(netvsp_switch_create(NULL, &sw, &d), SIM_EINVAL);
    cr_assert_null(sw);
    sim_sched_destroy(s);
    cr_assert_eq(sim_alloc_live_total(), 0);
}

Test(netvsp_port, create_rules)
{
    struct vt t;
    vt_setup(&t);
    struct netvsp_port *p = NULL;
    struct sim_diag d = {0};
    struct netvsp_port_config pc = {.host = t.root, .guest = t.vm[1], .instance = 1};
    memcpy(pc.mac, vt_mac[0], 6);
    cr_assert_eq(netvsp_port_create(t.sw, &pc, &p, &d), SIM_EEXIST);
    cr_assert(strstr(d.reason, "already on a port"), "%s", d.reason);
    pc.mac[0] = 0x01;
    cr_assert_eq(netvsp_port_create(t.sw, &pc, &p, &d), SIM_EINVAL);
    pc.mac[0] = 0x02;
    pc.mac[5] = 0x77;
    struct netvsp_port_policy bad;
    netvsp_port_policy_init(&bad);
    bad.vlan_id = 4095;
    pc.policy = &bad;
    cr_assert_eq(netvsp_port_create(t.sw, &pc, &p, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "VLAN"), "%s", d.reason);
    bad.vlan_id = 0;
    bad.allowed_mac_count = NETVSP_ALLOWED_MACS_MAX + 1;
    cr_assert_eq(netvsp_port_create(t.sw, &pc, &p, &d), SIM_EINVAL);
    pc.policy = NULL;
    pc.guest = NULL;
    cr_assert_eq(netvsp_port_create(t.sw, &pc, &p, &d), SIM_EINVAL);
    cr_assert_null(p);
    cr_assert_eq(netvsp_port_number(t.port[0]), 1);
    cr_assert_eq(netvsp_port_number(t.port[1]), 2);
    vt_teardown(&t);
}

Test(netvsp_port, mac_change_policy)
{
    struct vt t;
    vt_setup(&t);
    uint8_t m1[6] = {0x02, 0, 0, 0, 0, 0x31};
    struct sim_diag d = {0};
    cr_assert_eq(netvsp_port_set_mac(t.port[0], m1, &d), SIM_EPERM);
    cr_assert(strstr(d.reason, "does not allow MAC changes"), "%s", d.reason);
    uint8_t got[6];
    netvsp_port_mac(t.port[0], got);
    cr_assert_arr_eq(got, vt_mac[0], 6);
    /* On the allowed list: accepted. */
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    memcpy(pol.allowed_macs[0], m1, 6);
    pol.allowed_mac_count = 1;
    cr_assert_eq(netvsp_port_set_policy(t.port[0], &pol, &d), 0);
    cr_assert_eq(netvsp_port_set_mac(t.port[0], m1, &d), 0, "%s", d.reason);
    netvsp_port_mac(t.port[0], got);
    cr_assert_arr_eq(got, m1, 6);
    /* Frames for the new MAC reach vm1; the old one is unknown now. */
    uint8_t f[100];
    uint32_t len = vt_frame(f, m1, vt_peer_mac, 100, 1);
    netvsp_switch_uplink_receive(t.sw, f, len, 1, 0);
    len = vt_frame(f, vt_mac[0], vt_peer_mac, 100, 1);
    netvsp_switch_uplink_receive(t.sw, f, len, 2, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 1);
    cr_assert_eq(t.app[0].ids[0], 1);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_NO_ROUTE], 1);
    /* allow_mac_change: anything unicast, but not another port's MAC. */
    pol.allow_mac_change = true;
    netvsp_port_set_policy(t.port[0], &pol, NULL);
    uint8_t m2[6] = {0x02, 0, 0, 0, 0, 0x32};
    cr_assert_eq(netvsp_port_set_mac(t.port[0], m2, &d), 0);
    cr_assert_eq(netvsp_port_set_mac(t.port[0], vt_mac[1], &d), SIM_EEXIST);
    vt_teardown(&t);
}

static int veto_calls;

static bool
veto(void *ctx, struct netvsp_port *port, struct sim_diag *d)
{
    veto_calls++;
    if (ctx)
        sim_diag_fail(d, SIM_EPERM, "ACL extension needs the VM on the switch");
    return ctx == NULL;
}

Test(netvsp_port, vf_allowed_and_veto)
{
    struct vt t;
    vt_setup(&t);
    struct sim_diag d = {0};
    cr_assert(netvsp_port_vf_allowed(t.port[0], &d));
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    pol.vf_allowed = false;
    netvsp_port_set_policy(t.port[0], &pol, NULL);
    cr_assert_not(netvsp_port_vf_allowed(t.port[0], &d));
    cr_assert(strstr(d.reason, "not allowed"), "%s", d.reason);
    pol.vf_allowed = true;
    pol.vf_veto = veto;
    pol.vf_veto_ctx = &t; /* refuse */
    netvsp_port_set_policy(t.port[0], &pol, NULL);
    sim_diag_clear(&d);
    cr_assert_not(netvsp_port_vf_allowed(t.port[0], &d));
    cr_assert_str_eq(d.reason, "ACL extension needs the VM on the switch");
    pol.vf_veto_ctx = NULL; /* allow */
    netvsp_port_set_policy(t.port[0], &pol, NULL);
    cr_assert(netvsp_port_vf_allowed(t.port[0], NULL));
    cr_assert_eq(veto_calls, 2);
    vt_teardown(&t);
}

struct pend {
    int calls;
    uint32_t to;
};

static int
pend_switch(void *ctx, struct netvsp_port *port, uint32_t dp)
{
    struct pend *p = ctx;
    p->calls++;
    p->to = dp;
    return SIM_EPENDING; /* e.g. MOVE_FILTER first */
}

static const struct netvsp_port_ops pend_ops = {.datapath_switch = pend_switch};

Test(netvsp_port, switch_completion_pended_by_the_host)
{
    struct pend pd = {0};
    struct vt t;
    struct vt_opts o = {.port_ops = &pend_ops, .port_ops_ctx = &pd};
    vt_setup_opts(&t, &o);
    /* A SWITCH_DATA_PATH(VF) straight from the guest's endpoint (NetVSC itself only sends one
     * with a VF bound: see tests/netvsc). */
    struct hv_vmbus_ep *gep = hv_vmbus_channel_ep(netvsc_adapter_channel(t.ad[0]), HV_VMBUS_GUEST);
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH;
    m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
    m.xid = NVSP_XID_CONTROL | 999;
    m.section = HV_VMBUS_NO_SECTION;
    struct nvsp_msg4_switch_data_path s = {NVSP_DATAPATH_VF};
    NVSP_PUT(&m, s);
    cr_assert_eq(netvsp_port_datapath_complete(t.port[0], NVSP_STATUS_SUCCESS), SIM_ESTATE);
    cr_assert_eq(hv_vmbus_ep_send(gep, &m), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(pd.calls, 1);
    cr_assert_eq(pd.to, NVSP_DATAPATH_VF);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_SYNTHETIC, "not before completion");
    struct netvsc_adapter_stats gs;
    netvsc_adapter_stats(t.ad[0], &gs);
    uint64_t errs = gs.protocol_errors;
    cr_assert_eq(netvsp_port_datapath_complete(t.port[0], NVSP_STATUS_SUCCESS), 0);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_VF);
    vt_run(&t, SIM_USEC(100));
    netvsc_adapter_stats(t.ad[0], &gs);
    cr_assert_eq(gs.protocol_errors, errs + 1, "the guest got a completion it never asked for");
    struct netvsp_port_stats ps;
    netvsp_port_stats(t.port[0], &ps);
    cr_assert_eq(ps.switch_requests, 1);
    cr_assert_eq(ps.switch_completed, 1);
    vt_teardown(&t);
}

Test(netvsp_port, association_waits_for_init_and_is_resent_on_reopen)
{
    struct vt t;
    vt_setup(&t);
    /* Before any VF: nothing sent. Then the host associates: the guest learns the serial. */
    struct netvsp_port_stats ps;
    netvsp_port_stats(t.port[1], &ps);
    cr_assert_eq(ps.vf_associations_sent, 0);
    cr_assert_eq(netvsp_port_vf_associate(t.port[1], true, 12), 0);
    vt_run(&t, SIM_USEC(100));
    uint32_t serial = 0;
    cr_assert(netvsc_adapter_vf_association(t.ad[1], &serial));
    cr_assert_eq(serial, 12);
    cr_assert_eq(netvsc_adapter_dp_state(t.ad[1]), NETVSC_DP_VF_ASSOCIATED);
    netvsp_port_stats(t.port[1], &ps);
    cr_assert_eq(ps.vf_associations_sent, 1);
    vt_teardown(&t);
}

Test(netvsp_port, malformed_guest_messages_never_crash)
{
    struct vt t;
    vt_setup(&t);
    struct hv_vmbus_ep *gep = hv_vmbus_channel_ep(netvsc_adapter_channel(t.ad[0]), HV_VMBUS_GUEST);
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = 4242; /* unknown */
    m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
    m.section = HV_VMBUS_NO_SECTION;
    cr_assert_eq(hv_vmbus_ep_send(gep, &m), 0);
    m.type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT; /* a frame without a section */
    cr_assert_eq(hv_vmbus_ep_send(gep, &m), 0);
    m.type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH; /* bad datapath value */
    struct nvsp_msg4_switch_data_path s = {7};
    NVSP_PUT(&m, s);
    cr_assert_eq(hv_vmbus_ep_send(gep, &m), 0);
    vt_run(&t, SIM_USEC(100));
    struct netvsp_port_stats ps;
    netvsp_port_stats(t.port[0], &ps);
    cr_assert_eq(ps.protocol_errors, 3);
    cr_assert_eq(netvsp_port_datapath(t.port[0]), NVSP_DATAPATH_SYNTHETIC);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_MALFORMED], 1);
    vt_teardown(&t);
}

Test(netvsp_switch, synthetic_only_frames)
{
    uint8_t f[128];
    uint8_t me[6] = {0x02, 0, 0, 0, 0, 1}, peer[6] = {0x02, 0, 0, 0, 0, 2};
    cr_assert(netvsp_frame_is_synthetic_only(f, vt_frame(f, vt_bcast, peer, 100, 0)));
    uint8_t mc[6] = {0x33, 0x33, 0, 0, 0, 1};
    cr_assert(netvsp_frame_is_synthetic_only(f, vt_frame(f, mc, peer, 100, 0)));
    cr_assert_not(netvsp_frame_is_synthetic_only(f, vt_frame(f, me, peer, 100, 0)));
    cr_assert(netvsp_frame_is_synthetic_only(f, vt_tcp_frame(f, me, peer, 0x02)));
    cr_assert_not(netvsp_frame_is_synthetic_only(f, vt_tcp_frame(f, me, peer, 0x12)));
    cr_assert_not(netvsp_frame_is_synthetic_only(f, vt_tcp_frame(f, me, peer, 0x10)));
    uint32_t len = vt_tcp_frame(f, me, peer, 0x02);
    cr_assert_not(netvsp_frame_is_synthetic_only(f, 40), "truncated: not a SYN");
    f[23] = 17; /* UDP */
    cr_assert_not(netvsp_frame_is_synthetic_only(f, len));
    cr_assert_not(netvsp_frame_is_synthetic_only(NULL, 0));
}

/* Seeded garbage in both directions: random types, flags, xids, sections and inline bytes
 * (sections are either none or a real one with a random length). Neither side may crash; every
 * lent section must come back; the data path still works afterwards. */
static void
garbage_run(uint64_t seed)
{
    struct vt t;
    vt_setup(&t);
    struct sim_prng r;
    sim_prng_init(&r, seed);
    cr_log_info("seed %llu", (unsigned long long)seed);
    struct hv_vmbus_channel *ch = netvsc_adapter_channel(t.ad[0]);
    struct hv_vmbus_ep *eps[2] = {hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST),
                                  hv_vmbus_channel_ep(ch, HV_VMBUS_HOST)};
    static const uint16_t types[] = {NVSP_MSG_TYPE_INIT,
                                     NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
                                     NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION,
                                     NVSP_MSG4_TYPE_SWITCH_DATA_PATH,
                                     0,
                                     999};
    for (int i = 0; i < 2000; i++) {
        struct hv_vmbus_ep *ep = eps[sim_prng_below(&r, 2)];
        struct hv_vmbus_msg m;
        memset(&m, 0, sizeof m);
        m.type = types[sim_prng_below(&r, SIM_ARRAY_SIZE(types))];
        m.flags = (uint16_t)(sim_prng_below(&r, 2) ? HV_VMBUS_MSG_F_WANT_COMPLETION : 0);
        m.xid = sim_prng_next(&r);
        m.section = HV_VMBUS_NO_SECTION;
        for (unsigned k = 0; k < HV_VMBUS_MSG_INLINE_MAX; k++)
            m.data[k] = (uint8_t)sim_prng_next(&r);
        void *data = NULL;
        if (sim_prng_below(&r, 2) && hv_vmbus_ep_section_get(ep, &m.section, &data) == 0) {
            m.len = (uint32_t)sim_prng_below(&r, hv_vmbus_ep_section_size(ep) + 1);
            memset(data, (int)sim_prng_below(&r, 256), m.len);
        }
        if (hv_vmbus_ep_send(ep, &m) != 0 && m.section != HV_VMBUS_NO_SECTION)
            hv_vmbus_ep_section_put(ep, m.section);
        if (i % 16 == 0)
            vt_run(&t, SIM_USEC(50));
    }
    vt_run(&t, SIM_MSEC(5));
    netvsp_switch_poll(t.sw, 100000);
    netvsc_adapter_poll(t.ad[0], 100000);
    vt_run(&t, SIM_MSEC(5));
    cr_assert_eq(hv_vmbus_ep_sections_free(eps[0]), HV_VMBUS_SEND_SECTIONS_DEFAULT,
                 "every guest section came back");
    cr_assert_eq(hv_vmbus_ep_sections_free(eps[1]), HV_VMBUS_RECV_SECTIONS_DEFAULT,
                 "every host section came back");
    /* Still a working path (the host may have been told anything about VFs meanwhile). */
    uint8_t f[100];
    uint32_t len = vt_frame(f, vt_mac[1], vt_mac[0], 100, 1);
    uint32_t before = t.app[1].count;
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 424242), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, before + 1);
    vt_teardown(&t);
}

Test(netvsp_port, seeded_garbage_both_ways_never_crashes)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        garbage_run(seed * 0x9e3779b97f4a7c15ull);
}
