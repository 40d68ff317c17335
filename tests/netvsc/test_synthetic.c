/* SPDX-License-Identifier: MIT */
/* test_synthetic.c — the synthetic path end to end: guest NetVSC -> VMBus -> NetVSP / switch ->
 * wire and back, VM to VM through the switch, flooding, policies on the data path, the copies
 * it pays, capture points with packet ids, allocation-free steady state, OOM sweep. */
#include <stdlib.h>
#include <unistd.h>

#include "../netvsp/vsp_test.h"

Test(netvsc_synthetic, guest_to_wire_round_trip)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[1514];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 1000, 7);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 42), 0);
    cr_assert_eq(t.wire.count, 0, "nothing crosses VMBus before the host runs");
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 1);
    cr_assert_eq(t.wire.ids[0], 42);
    cr_assert_eq(t.wire.last_len, len);
    cr_assert_arr_eq(t.wire.last, f, len);
    /* And back: the peer answers, the switch delivers it to vm1 over VMBus. */
    uint8_t r[1514];
    uint32_t rlen = vt_frame(r, vt_mac[0], vt_peer_mac, 600, 9);
    cr_assert_eq(netvsp_switch_uplink_receive(t.sw, r, rlen, 43, 0), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 1);
    cr_assert_eq(t.app[0].ids[0], 43);
    cr_assert_arr_eq(t.app[0].last, r, rlen);
    cr_assert_eq(t.app[1].count, 0);
    /* The copies: guest into its send section; host into its NBL and into vm1's receive
     * section (and into its NBL on the way in). */
    struct netvsc_adapter_stats gs;
    netvsc_adapter_stats(t.ad[0], &gs);
    cr_assert_eq(gs.copies, 1);
    cr_assert_eq(gs.bytes_copied, len);
    cr_assert_eq(gs.tx_synthetic, 1);
    cr_assert_eq(gs.rx_synthetic, 1);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(t.sw, &ss);
    cr_assert_eq(ss.copies, 3, "host copies: out of vm1 (1), in from wire (1), into vm1 (1)");
    cr_assert_eq(ss.bytes_copied, (uint64_t)len + 2 * rlen);
    cr_assert_eq(ss.to_wire, 1);
    cr_assert_eq(ss.unknown_unicast, 1);
    cr_assert_eq(t.drops.total, 0);
    /* Every send section and receive section came back with its completion. */
    struct hv_vmbus_channel *ch = netvsc_adapter_channel(t.ad[0]);
    cr_assert_eq(hv_vmbus_ep_sections_free(hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST)),
                 HV_VMBUS_SEND_SECTIONS_DEFAULT);
    cr_assert_eq(hv_vmbus_ep_sections_free(hv_vmbus_channel_ep(ch, HV_VMBUS_HOST)),
                 HV_VMBUS_RECV_SECTIONS_DEFAULT);
    vt_teardown(&t);
}

Test(netvsc_synthetic, vm_to_vm_through_the_switch)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[1514];
    for (uint64_t i = 0; i < 100; i++) {
        uint32_t len = vt_frame(f, vt_mac[1], vt_mac[0], 64 + (uint32_t)i, (uint8_t)i);
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 100 + i), 0);
    }
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(t.app[1].count, 100);
    for (uint32_t i = 0; i < 100; i++) {
        cr_assert_eq(t.app[1].ids[i], 100 + i, "in order, exactly once");
        cr_assert_eq(t.app[1].lens[i], 64 + i);
    }
    cr_assert_eq(t.wire.count, 0, "known unicast never reaches the wire");
    cr_assert_eq(t.app[0].count, 0);
    struct netvsp_port_stats p0, p1;
    netvsp_port_stats(t.port[0], &p0);
    netvsp_port_stats(t.port[1], &p1);
    cr_assert_eq(p0.rx_frames, 100);
    cr_assert_eq(p1.tx_frames, 100);
    vt_teardown(&t);
}

Test(netvsc_synthetic, broadcast_floods_all_ports_but_the_source)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[128];
    uint32_t len = vt_frame(f, vt_bcast, vt_mac[0], 128, 1);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 5), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 0, "not back to the source");
    cr_assert_eq(t.app[1].count, 1);
    cr_assert_eq(t.wire.count, 1);
    /* From the wire: both VMs. */
    len = vt_frame(f, vt_bcast, vt_peer_mac, 128, 2);
    netvsp_switch_uplink_receive(t.sw, f, len, 6, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 1);
    cr_assert_eq(t.app[1].count, 2);
    cr_assert_eq(t.wire.count, 1, "not back to the wire");
    /* Multicast behaves the same. */
    uint8_t mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    len = vt_frame(f, mc, vt_peer_mac, 128, 3);
    netvsp_switch_uplink_receive(t.sw, f, len, 7, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[0].count, 2);
    cr_assert_eq(t.app[1].count, 3);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(t.sw, &ss);
    cr_assert_eq(ss.flooded, 3);
    vt_teardown(&t);
}

Test(netvsc_synthetic, spoofed_source_mac_dropped_with_cause)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[128];
    uint8_t fake[6] = {0x02, 0, 0, 0, 0, 0x99};
    uint32_t len = vt_frame(f, vt_mac[1], fake, 128, 1);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 77), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 0);
    cr_assert_eq(t.wire.count, 0);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_SPOOF_CHECK], 1);
    cr_assert_eq(t.drops.total, 1);
    cr_assert_eq(t.drops.last_id, 77);
    cr_assert_str_eq(t.drops.last_where, "h1.sw.port1");
    struct netvsp_port_stats ps;
    netvsp_port_stats(t.port[0], &ps);
    cr_assert_eq(ps.dropped[SIM_DROP_SPOOF_CHECK], 1);
    /* The allowed list admits that MAC; anti-spoof off admits any. */
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    memcpy(pol.allowed_macs[0], fake, 6);
    pol.allowed_mac_count = 1;
    cr_assert_eq(netvsp_port_set_policy(t.port[0], &pol, NULL), 0);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 78), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 1);
    uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x98};
    len = vt_frame(f, vt_mac[1], other, 128, 1);
    pol.anti_spoof = false;
    cr_assert_eq(netvsp_port_set_policy(t.port[0], &pol, NULL), 0);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 79), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 2);
    cr_assert_eq(t.drops.total, 1);
    vt_teardown(&t);
}

Test(netvsc_synthetic, vlan_access_ports_and_trunk)
{
    struct netvsp_port_policy v5;
    netvsp_port_policy_init(&v5);
    v5.vlan_id = 5;
    struct vt t;
    vt_setup_ex(&t, NULL, &v5, false, 0);
    uint8_t f[256];
    /* vm1 (untagged) -> vm2 (VLAN 5): different VLANs. */
    uint32_t len = vt_frame(f, vt_mac[1], vt_mac[0], 128, 1);
    netvsc_adapter_xmit(t.ad[0], f, len, 1);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 0);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_VLAN_MISMATCH], 1);
    /* vm2 -> wire: tagged with VLAN 5 on the trunk. */
    len = vt_frame(f, vt_peer_mac, vt_mac[1], 128, 2);
    netvsc_adapter_xmit(t.ad[1], f, len, 2);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.wire.count, 1);
    cr_assert_eq(t.wire.last_len, len + 4);
    cr_assert_eq(t.wire.last[12], 0x81);
    cr_assert_eq(t.wire.last[13], 0x00);
    cr_assert_eq(((t.wire.last[14] << 8) | t.wire.last[15]) & 0xfff, 5);
    cr_assert_arr_eq(t.wire.last + 16, f + 12, len - 12);
    /* wire -> vm2 tagged 5: delivered untagged; untagged for vm2: wrong VLAN. */
    uint8_t tg[260];
    memcpy(tg, t.wire.last, t.wire.last_len);
    memcpy(tg, vt_mac[1], 6);
    memcpy(tg + 6, vt_peer_mac, 6);
    netvsp_switch_uplink_receive(t.sw, tg, len + 4, 3, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 1);
    cr_assert_eq(t.app[1].last_len, len);
    cr_assert_eq(t.app[1].last[12], 0x08, "tag stripped");
    len = vt_frame(f, vt_mac[1], vt_peer_mac, 128, 3);
    netvsp_switch_uplink_receive(t.sw, f, len, 4, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 1);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_VLAN_MISMATCH], 2);
    /* A VM sending a tag of another VLAN is dropped. */
    memcpy(tg, vt_peer_mac, 6);
    memcpy(tg + 6, vt_mac[1], 6);
    tg[15] = 6;
    netvsc_adapter_xmit(t.ad[1], tg, len + 4, 5);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_VLAN_MISMATCH], 3);
    cr_assert_eq(t.wire.count, 1);
    vt_teardown(&t);
}

Test(netvsc_synthetic, drops_have_causes)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[2000];
    /* Unknown unicast from the wire: no route. */
    uint8_t nobody[6] = {0x02, 0, 0, 0, 0, 0x55};
    uint32_t len = vt_frame(f, nobody, vt_peer_mac, 100, 1);
    netvsp_switch_uplink_receive(t.sw, f, len, 9, 0);
    cr_assert_eq(t.drops.by_cause[SIM_DROP_NO_ROUTE], 1);
    cr_assert_eq(t.drops.last_id, 9);
    /* Longer than the port MTU. */
    len = vt_frame(f, vt_peer_mac, vt_mac[0], 1600, 1);
    cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 10), 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_MTU], 1);
    /* The wire refuses: ring full / link down. */
    t.wire.refuse = SIM_ENOSPC;
    len = vt_frame(f, vt_peer_mac, vt_mac[0], 100, 1);
    netvsc_adapter_xmit(t.ad[0], f, len, 11);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_RING_FULL], 1);
    t.wire.refuse = SIM_EIO;
    netvsc_adapter_xmit(t.ad[0], f, len, 12);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.drops.by_cause[SIM_DROP_LINK_DOWN], 1);
    cr_assert_eq(t.drops.total, 4);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(t.sw, &ss);
    cr_assert_eq(ss.dropped_total, 4);
    vt_teardown(&t);
}

Test(netvsc_synthetic, receive_buffer_full_is_reported_not_silent)
{
    struct vt t;
    vt_setup(&t);
    /* vm1 stops polling: mask its interrupts so the host's signals are suppressed. */
    struct hv_vmbus_ep *gep = hv_vmbus_channel_ep(netvsc_adapter_channel(t.ad[0]), HV_VMBUS_GUEST);
    hv_vmbus_ep_mask_interrupts(gep);
    uint8_t f[200];
    uint32_t len = vt_frame(f, vt_mac[0], vt_peer_mac, 200, 1);
    uint32_t n = HV_VMBUS_RING_MSGS_DEFAULT + 10;
    for (uint32_t i = 0; i < n; i++)
        netvsp_switch_uplink_receive(t.sw, f, len, 1000 + i, 0);
    uint64_t lost = t.drops.by_cause[SIM_DROP_VMBUS_RING_FULL];
    cr_assert_gt(lost, 0);
    hv_vmbus_ep_unmask_interrupts(gep);
    while (netvsc_adapter_poll(t.ad[0], 64) > 0)
        vt_run(&t, SIM_USEC(10));
    cr_assert_eq(t.app[0].count + lost, n, "delivered + reported == sent");
    vt_teardown(&t);
}

Test(netvsc_synthetic, back_pressure_instead_of_loss_on_tx)
{
    struct vt t;
    vt_setup(&t);
    /* The host does not poll (its interrupts masked): the guest's sections run out and xmit
     * refuses (not taken) instead of losing frames. */
    struct hv_vmbus_ep *hep = hv_vmbus_channel_ep(netvsp_port_channel(t.port[0]), HV_VMBUS_HOST);
    hv_vmbus_ep_mask_interrupts(hep);
    uint8_t f[200];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 200, 1);
    uint32_t taken = 0, refused = 0;
    for (uint32_t i = 0; i < 2 * HV_VMBUS_SEND_SECTIONS_DEFAULT; i++) {
        int rc = netvsc_adapter_xmit(t.ad[0], f, len, 1 + i);
        if (rc == 0)
            taken++;
        else {
            cr_assert_eq(rc, SIM_EAGAIN);
            refused++;
        }
    }
    cr_assert_eq(taken, HV_VMBUS_SEND_SECTIONS_DEFAULT);
    cr_assert_eq(refused, HV_VMBUS_SEND_SECTIONS_DEFAULT);
    cr_assert_eq(t.drops.total, 0);
    hv_vmbus_ep_unmask_interrupts(hep);
    netvsp_switch_poll(t.sw, 1024);
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(t.wire.count, taken);
    vt_teardown(&t);
}

Test(netvsc_synthetic, vmq_vport_skips_the_lookup)
{
    struct vt t;
    vt_setup(&t);
    cr_assert_eq(netvsp_port_set_vmq(t.port[1], 3), 0);
    cr_assert_eq(netvsp_port_set_vmq(t.port[0], 3), SIM_EEXIST);
    uint8_t f[200];
    uint32_t len = vt_frame(f, vt_mac[1], vt_peer_mac, 200, 1);
    struct netvsp_switch_stats a, b;
    netvsp_switch_stats(t.sw, &a);
    netvsp_switch_uplink_receive(t.sw, f, len, 1, 3); /* on non-default VPort 3 */
    netvsp_switch_stats(t.sw, &b);
    cr_assert_eq(b.vmq_hits, a.vmq_hits + 1);
    cr_assert_eq(b.lookups, a.lookups, "no MAC lookup on the VMQ path");
    netvsp_switch_uplink_receive(t.sw, f, len, 2, 0); /* default VPort: looked up */
    netvsp_switch_stats(t.sw, &a);
    cr_assert_eq(a.lookups, b.lookups + 1);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(t.app[1].count, 2);
    vt_teardown(&t);
}

Test(netvsc_synthetic, steady_state_allocates_nothing)
{
    struct vt t;
    vt_setup(&t);
    cr_assert_eq(sim_sched_reserve(t.s, 64), 0);
    uint8_t f[1514], r[1514];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 1514, 1);
    uint32_t rlen = vt_frame(r, vt_mac[0], vt_peer_mac, 1514, 2);
    uint32_t vlen = 0;
    uint8_t v[1514];
    vlen = vt_frame(v, vt_mac[1], vt_mac[0], 800, 3);
    /* Warm up. */
    netvsc_adapter_xmit(t.ad[0], f, len, 1);
    vt_run(&t, SIM_USEC(100));
    long before = sim_alloc_attempts();
    for (uint64_t i = 0; i < 1000; i++) {
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 10 + i), 0);
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], v, vlen, 5000 + i), 0);
        netvsp_switch_uplink_receive(t.sw, r, rlen, 20000 + i, 0);
        vt_run(&t, SIM_USEC(20));
    }
    cr_assert_eq(sim_alloc_attempts(), before, "allocations on the data path: %ld",
                 sim_alloc_attempts() - before);
    cr_assert_eq(t.wire.count, 1001);
    cr_assert_eq(t.app[0].count, 1000);
    cr_assert_eq(t.app[1].count, 1000);
    cr_assert_eq(t.drops.total, 0);
    vt_teardown(&t);
}

static bool
find_id(const char *path, const char *iface, uint64_t id, enum cap_dir dir)
{
    struct cap_ng_reader *ng = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0, "%s", d.reason);
    struct cap_ng_packet pkt;
    bool found = false;
    while (cap_ng_reader_next(ng, &pkt, &d) == 1)
        if (pkt.has_packet_id && pkt.packet_id == id && strcmp(pkt.interface_name, iface) == 0 &&
            (pkt.flags & 3u) == (uint32_t)dir)
            found = true;
    cap_ng_reader_close(ng);
    return found;
}

Test(netvsc_synthetic, capture_points_tapped_with_packet_ids)
{
    struct vt t;
    vt_setup_ex(&t, NULL, NULL, true, 0);
    char path[] = "/tmp/sriovsim-vsc-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct cap_session_opts o = {.path = path, .format = CAP_FORMAT_PCAPNG};
    struct cap_session *cs = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(cap_session_create(t.cap, &o, &cs, &d), 0, "%s", d.reason);
    uint8_t f[300];
    uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 300, 1);
    netvsc_adapter_xmit(t.ad[0], f, len, 4242);
    len = vt_frame(f, vt_mac[1], vt_peer_mac, 300, 2);
    netvsp_switch_uplink_receive(t.sw, f, len, 4343, 0);
    vt_run(&t, SIM_USEC(100));
    cr_assert_eq(cap_session_close(cs, &d), 0, "%s", d.reason);
    cr_assert(find_id(path, "vm1.synthetic", 4242, CAP_DIR_OUT));
    cr_assert(find_id(path, "h1.sw.port1", 4242, CAP_DIR_IN));
    cr_assert(find_id(path, "h1.sw.ext", 4242, CAP_DIR_OUT));
    cr_assert(find_id(path, "h1.sw.ext", 4343, CAP_DIR_IN));
    cr_assert(find_id(path, "h1.sw.port2", 4343, CAP_DIR_OUT));
    cr_assert(find_id(path, "vm2.synthetic", 4343, CAP_DIR_IN));
    cr_assert(!find_id(path, "vm1.synthetic", 4343, CAP_DIR_IN));
    unlink(path);
    vt_teardown(&t);
}

/* OOM sweep over the whole construction: switch, ports (channel offers), adapters (driver,
 * protocol, pools, channel open on offer). Every failure returns an error and leaks nothing. */
Test(netvsc_synthetic, oom_sweep)
{
    bool ok = false;
    for (long n = 0; n < 400 && !ok; n++) {
        struct sim_sched *s = NULL;
        cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
        struct hv_partition *root = vt_partition(s, 0, "h1", HV_PARTITION_ROOT);
        struct hv_partition *vm = vt_partition(s, 1, "vm1", HV_PARTITION_GUEST);
        struct netvsp_switch *sw = NULL;
        struct netvsp_port *port = NULL;
        struct netvsc_adapter *ad = NULL;
        struct cap_registry *cap = NULL;
        cr_assert_eq(cap_registry_create(&cap), 0);
        sim_alloc_fail_nth(n);
        struct netvsp_switch_config sc = {
            .name = "h1.sw", .sched = s, .cap = cap, .uplink = &vt_wire_ops};
        int err = netvsp_switch_create(&sc, &sw, NULL);
        if (!err) {
            struct netvsp_port_config pc = {.host = root, .guest = vm};
            memcpy(pc.mac, vt_mac[0], 6);
            err = netvsp_port_create(sw, &pc, &port, NULL);
        }
        if (!err) {
            struct netvsc_adapter_config ac;
            netvsc_adapter_config_init(&ac);
            ac.name = "vm1";
            ac.guest = vm;
            ac.cap = cap;
            memcpy(ac.mac, vt_mac[0], 6);
            err = netvsc_adapter_create(&ac, &ad, NULL);
        }
        if (!err) {
            sim_sched_run(s, SIM_MSEC(1));
            ok = netvsc_adapter_is_ready(ad) && netvsp_port_is_ready(port);
        }
        sim_alloc_fail_nth(-1);
        if (err)
            cr_assert(err == SIM_ENOMEM || err == SIM_EIO, "n=%ld: %s", n, sim_err_name(err));
        netvsc_adapter_destroy(ad);
        sim_sched_run(s, SIM_MSEC(2));
        netvsp_switch_destroy(sw);
        hv_partition_destroy(vm);
        hv_partition_destroy(root);
        cap_registry_destroy(cap);
        sim_sched_destroy(s);
        cr_assert_eq(sim_alloc_live_total(), 0, "n=%ld: leak", n);
    }
    cr_assert(ok, "never succeeded");
}

Test(netvsc_synthetic, switch_cost_model_serialises_frames)
{
    struct vt t;
    struct vt_opts o = {.cost_per_frame_ns = 1000, .cost_per_byte_ps = 100};
    vt_setup_opts(&t, &o);
    uint8_t f[1000];
    /* 50 frames from each VM at the same instant: the switch CPU takes 1000 + 1000 * 0.1 =
     * 1100 ns per frame and serves the two ports in turn. */
    for (uint64_t i = 0; i < 50; i++) {
        uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 1000, 1);
        cr_assert_eq(netvsc_adapter_xmit(t.ad[0], f, len, 100 + i), 0);
        len = vt_frame(f, vt_peer_mac, vt_mac[1], 1000, 2);
        cr_assert_eq(netvsc_adapter_xmit(t.ad[1], f, len, 200 + i), 0);
    }
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(t.wire.count, 100);
    for (uint32_t i = 1; i < 100; i++)
        cr_assert_eq(t.wire.times[i] - t.wire.times[i - 1], 1100, "frame %u", i);
    uint32_t from1 = 0;
    for (uint32_t i = 0; i < 100; i++)
        if (t.wire.ids[i] < 200)
            from1++;
    cr_assert_eq(from1, 50);
    for (uint32_t i = 0; i + 1 < 100; i += 2)
        cr_assert_neq(t.wire.ids[i] < 200, t.wire.ids[i + 1] < 200, "round robin at %u", i);
    struct netvsp_switch_stats ss;
    netvsp_switch_stats(t.sw, &ss);
    cr_assert_eq(ss.busy_ns, 100 * 1100);
    cr_assert_gt(ss.deferred, 0);
    cr_assert_eq(t.drops.total, 0);
    vt_teardown(&t);
}

Test(netvsc_synthetic, no_cost_model_forwards_at_signal_latency)
{
    struct vt t;
    vt_setup(&t);
    uint8_t f[1000];
    for (uint64_t i = 0; i < 10; i++) {
        uint32_t len = vt_frame(f, vt_peer_mac, vt_mac[0], 1000, 1);
        netvsc_adapter_xmit(t.ad[0], f, len, 1 + i);
    }
    vt_run(&t, SIM_MSEC(1));
    cr_assert_eq(t.wire.count, 10);
    cr_assert_eq(t.wire.times[9], t.wire.times[0], "all in one interrupt");
    vt_teardown(&t);
}
