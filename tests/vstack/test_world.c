/* SPDX-License-Identifier: MIT */
/* test_world.c — determinism, the cost table, servicing, live migration, link faults, raw OIDs,
 * capture, bad input, out-of-memory sweep of world creation. */
#include <stdlib.h>
#include <unistd.h>

#include "vs_test.h"

/* A scripted run: attach, graceful detach, re-attach, surprise, with a UDP and a TCP flow. The
 * event log and the flow figures are folded into text. */
static void
scripted_run(uint64_t seed, char *out, size_t len)
{
    struct vstack_world *w = vs_world(seed, 4, 2);
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(150000000));
    vs_flow(w, "t1", "ext1", "vm2", VSTACK_PROTO_TCP, 0);
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "a1");
    ok_or_die(vstack_vf_attach(w, "vm2", "auto", D), "a2");
    vs_run(w, SIM_MSEC(2777));
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "d1");
    ok_or_die(vstack_fault_surprise_remove(w, "h1.pf0.vf1", D), "s2");
    vs_run(w, SIM_MSEC(4321));
    size_t off = 0;
    const struct vstack_event *ev[512];
    size_t n = vstack_events_since(w, NULL, ev, 512);
    for (size_t i = 0; i < n && i < 512 && off < len; i++) {
        off += (size_t)vstack_event_format(ev[i], out + off, len - off);
        if (off < len)
            out[off++] = '\n';
    }
    const char *flows[] = {"u1", "t1"};
    for (int f = 0; f < 2 && off < len; f++) {
        struct traffic_flow_stats s = vs_stats(w, flows[f]);
        off += (size_t)snprintf(out + off, len - off,
                                "%s sent=%llu delivered=%llu lost=%llu retx=%llu last_rx=%lld\n",
                                flows[f], (unsigned long long)s.sent,
                                (unsigned long long)s.delivered, (unsigned long long)s.lost,
                                (unsigned long long)s.retransmissions, (long long)s.last_rx);
    }
    vs_destroy(w);
}

Test(vstack_world, same_seed_same_event_log_and_flow_figures)
{
    static char a[65536], b[65536];
    scripted_run(42, a, sizeof a);
    scripted_run(42, b, sizeof b);
    cr_assert_str_eq(a, b, "same seed, same run");
    cr_assert(strstr(a, "vf-removed vm1 kind=graceful") != NULL, "%s", a);
    cr_assert(strstr(a, "vf-removed vm2 kind=surprise") != NULL, "%s", a);
    cr_assert(strstr(a, "u1 sent=") != NULL && strstr(a, "t1 sent=") != NULL, "%s", a);
}

Test(vstack_world, cost_table_and_set_by_name)
{
    size_t n = 0;
    const struct vstack_cost_info *t = vstack_cost_table(&n);
    cr_assert_geq(n, 15);
    struct vstack_world *w = vs_world(1, 0, 0);
    int64_t v = 0;
    ok_or_die(vstack_cost_get(w, "cost.vf_offer_delay", &v, D), "get");
    cr_assert_eq(v, SIM_SEC(1), "OpenVMM's 1 s");
    for (size_t i = 0; i < n; i++) {
        ok_or_die(vstack_cost_get(w, t[i].key, &v, D), t[i].key);
        cr_assert_eq(v, t[i].default_value, "%s", t[i].key);
    }
    ok_or_die(vstack_cost_set(w, "vf_offer_delay", SIM_MSEC(200), D), "set without prefix");
    ok_or_die(vstack_cost_get(w, "cost.vf_offer_delay", &v, D), "get");
    cr_assert_eq(v, SIM_MSEC(200));
    sim_diag_clear(D);
    cr_assert_eq(vstack_cost_set(w, "cost.nonsense", 1, D), SIM_EINVAL);
    cr_assert(strstr(D->reason, "cost.vf_offer_delay") != NULL, "lists the keys: %s", D->reason);
    cr_assert_eq(vstack_cost_set(w, "limit.vf_ring", 100, D), SIM_ERANGE, "not a power of two");
    cr_assert_eq(vstack_cost_set(w, "cost.hop_latency", -1, D), SIM_ERANGE);
    vs_destroy(w);
}

Test(vstack_world, offer_delay_is_taken_from_the_cost_model)
{
    struct vstack_world *w = vs_world(1, 2, 1);
    ok_or_die(vstack_cost_set(w, "cost.vf_offer_delay", SIM_MSEC(100), D), "set");
    vs_run(w, SIM_MSEC(300));
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_MSEC(300) + SIM_MSEC(250));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF, "100 ms offer + 100 ms takeover");
    vs_destroy(w);
}

Test(vstack_world, servicing_revokes_vfs_traffic_continues_on_synthetic)
{
    struct vstack_world *w = vs_world(9, 2, 1);
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "ext1", "vm1", VSTACK_PROTO_UDP, UINT64_C(100000000));
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_servicing(w, "h1", SIM_SEC(10), D), "servicing");
    vs_run(w, SIM_SEC(8));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC, "VF revoked during servicing");
    struct traffic_flow_stats s1 = vs_stats(w, "u1");
    vs_run(w, SIM_SEC(12));
    struct traffic_flow_stats s2 = vs_stats(w, "u1");
    cr_assert_gt(s2.delivered, s1.delivered + 1000, "traffic continues on synthetic");
    vs_run(w, SIM_SEC(16));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF, "VF back after servicing");
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_SERVICING_STARTED, "h1", NULL, NULL), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_SERVICING_ENDED, "h1", NULL, NULL), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_REVOKED, "vm1", "reason", "servicing"), 0);
    struct traffic_flow_stats s = vs_stats(w, "u1");
    cr_assert_eq(s.lost, 0, "servicing lost %llu", (unsigned long long)s.lost);
    vs_destroy(w);
}

static void
second_host(struct vstack_world *w)
{
    ok_or_die(vstack_host_add(w, "h2", D), "h2");
    struct vstack_pf_config pc;
    vstack_pf_config_init(&pc);
    ok_or_die(vstack_pf_add(w, "h2.pf0", &pc, D), "h2.pf0");
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h2.pf0";
    ok_or_die(vstack_switch_add(w, "h2.sw0", &sc, D), "h2.sw0");
    ok_or_die(vstack_link_add(w, "h1.sw0", "h2.sw0", -1, 0, D), "link");
    ok_or_die(vstack_sriov_set(w, "h2.pf0", 2, D), "sriov h2");
}

Test(vstack_world, live_migration_between_hosts)
{
    struct vstack_world *w = vs_world(11, 2, 1);
    second_host(w);
    vs_run(w, SIM_MSEC(300));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(100000000));
    vs_flow(w, "t1", "ext1", "vm1", VSTACK_PROTO_TCP, UINT64_C(200000000));
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_migrate(w, "vm1", "h2", SIM_SEC(1), SIM_MSEC(200), D), "migrate");
    enum vstack_vm_state st;
    ok_or_die(vstack_vm_state(w, "vm1", &st, D), "state");
    cr_assert_eq(st, VSTACK_VM_MIGRATING);
    vs_run(w, SIM_SEC(10));
    const char *host = NULL;
    ok_or_die(vstack_vm_host(w, "vm1", &host, D), "host");
    cr_assert_str_eq(host, "h2");
    ok_or_die(vstack_vm_state(w, "vm1", &st, D), "state");
    cr_assert_eq(st, VSTACK_VM_RUNNING);
    char vf[32];
    ok_or_die(vstack_vm_vf(w, "vm1", vf, sizeof vf, D), "vf");
    cr_assert_str_eq(vf, "h2.pf0.vf0", "VF bring-up on the destination");
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    long i = vs_find_event(w, &m, VSTACK_EV_MIGRATION_BLACKOUT, "vm1", "duration", "0.200000000s");
    cr_assert_geq(i, 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_REMOVED, "vm1", "kind", "graceful"), 0);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_MIGRATION_DONE, "vm1", "host", "h2"), 0);
    struct traffic_flow_stats u = vs_stats(w, "u1"), t = vs_stats(w, "t1");
    cr_assert(t.alive, "TCP survives the migration");
    cr_assert_gt(u.delivered, 5000);
    /* Losses only in the blackout, each with its cause. */
    uint64_t caused = 0;
    for (int c = 0; c < SIM_DROP_CAUSE_COUNT; c++)
        caused += u.dropped[c];
    cr_assert_eq(u.lost, caused);
    cr_assert_eq(u.unaccounted, 0);
    vs_destroy(w);
}

Test(vstack_world, link_down_drops_with_cause_and_link_up_recovers)
{
    struct vstack_world *w = vs_world(2, 0, 1);
    vs_run(w, SIM_MSEC(10));
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(100000000));
    vs_run(w, SIM_MSEC(100));
    ok_or_die(vstack_fault_link(w, "h1.pf0", false, D), "down");
    vs_run(w, SIM_MSEC(200));
    ok_or_die(vstack_fault_link(w, "h1.pf0", true, D), "up");
    vs_run(w, SIM_MSEC(300));
    struct traffic_flow_stats s = vs_stats(w, "u1");
    cr_assert_gt(s.dropped[SIM_DROP_LINK_DOWN], 100);
    cr_assert_eq(s.lost, s.dropped[SIM_DROP_LINK_DOWN]);
    cr_assert_gt(s.delivered, 1000);
    vs_destroy(w);
}

Test(vstack_world, iommu_fault_is_blocked_and_logged)
{
    struct vstack_world *w = vs_world(2, 2, 1);
    vs_run(w, SIM_MSEC(300));
    /* A VF without a driver cannot master DMA (Bus Master Enable clear): nothing reaches the
     * IOMMU, and the injector says so instead of logging a fault nobody saw. */
    cr_assert_eq(vstack_fault_iommu(w, "h1.pf0.vf0", false, 0, true, 1, D), SIM_ESTATE);
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    vs_run(w, SIM_SEC(2));
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_fault_iommu(w, "h1.pf0.vf0", false, 0, true, 2, D), "iommu");
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_IOMMU_FAULT, "h1.pf0.vf0", "result", "blocked"),
                  0);
    vs_destroy(w);
}

Test(vstack_world, raw_oid_for_learners)
{
    struct vstack_world *w = vs_world(2, 2, 0);
    vs_run(w, SIM_MSEC(300));
    struct vstack_oid_result r;
    ok_or_die(vstack_oid_request(w, "h1.pf0", "OID_NIC_SWITCH_FREE_VF", NULL, 1, NULL, 0, &r, D),
              "free_vf");
    cr_assert_neq(r.status, NDIS_STATUS_SUCCESS, "FREE_VF of a VF never allocated is refused");
    cr_assert(r.line[0] != '\0');
    struct vstack_kv kv = {"bogus", "1"};
    sim_diag_clear(D);
    cr_assert_eq(vstack_oid_request(w, "h1.pf0", "OID_NIC_SWITCH_FREE_VF", NULL, 1, &kv, 1, &r, D),
                 SIM_EINVAL);
    cr_assert(strstr(D->reason, "bogus") != NULL);
    cr_assert_eq(vstack_oid_request(w, "h1.pf0", "OID_NOPE", NULL, 1, NULL, 0, &r, D), SIM_EINVAL);
    cr_assert_eq(vstack_oid_request(w, "h9.pf0", "OID_SRIOV_RESET_VF", NULL, 0, NULL, 0, &r, D),
                 SIM_ENOENT);
    vs_destroy(w);
}

Test(vstack_world, capture_to_a_file)
{
    char path[] = "/tmp/vstack_capXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct vstack_world *w = vs_world(2, 2, 1);
    struct vstack_capture_config cc = {.file = path};
    ok_or_die(vstack_capture_start(w, &cc, D), "capture");
    cr_assert_eq(vstack_capture_start(w, &cc, D), SIM_EBUSY);
    vs_flow(w, "u1", "vm1", "ext1", VSTACK_PROTO_UDP, UINT64_C(10000000));
    vs_run(w, SIM_MSEC(50));
    ok_or_die(vstack_mark(w, "hello", D), "mark");
    vs_run(w, SIM_MSEC(100));
    ok_or_die(vstack_capture_stop(w, D), "stop");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    unlink(path);
    cr_assert_gt(size, 10000, "packets were written (%ld bytes)", size);
    vs_destroy(w);
}

Test(vstack_world, bad_input_is_refused_with_a_reason)
{
    struct vstack_world *w = vs_world(1, 0, 1);
    sim_diag_clear(D);
    cr_assert_eq(vstack_host_add(w, "h1", D), SIM_EEXIST);
    cr_assert_eq(vstack_host_add(w, NULL, D), SIM_EINVAL);
    cr_assert_eq(vstack_host_add(w, "a.b", D), SIM_EINVAL);
    cr_assert_eq(vstack_pf_add(w, "h9.pf0", NULL, D), SIM_ENOENT);
    cr_assert_eq(vstack_pf_add(w, "h1.pf0", NULL, D), SIM_EEXIST);
    struct vstack_pf_config pc;
    vstack_pf_config_init(&pc);
    pc.total_vfs = 0;
    cr_assert_eq(vstack_pf_add(w, "h1.pf1", &pc, D), SIM_ERANGE);
    vstack_pf_config_init(&pc);
    pc.vf_stride = 4;
    cr_assert_eq(vstack_pf_add(w, "h1.pf1", &pc, D), SIM_ENOTSUP);
    cr_assert(strstr(D->reason, "Stride") != NULL, "%s", D->reason);
    cr_assert_eq(vstack_sriov_set(w, "h1.pf0", 9, D), SIM_ERANGE);
    struct vstack_vm_config vc;
    vstack_vm_config_init(&vc);
    cr_assert_eq(vstack_vm_add(w, "vm2", &vc, D), SIM_EINVAL);
    vc.host = "h1";
    vc.sw = "h1.sw9";
    cr_assert_eq(vstack_vm_add(w, "vm2", &vc, D), SIM_ENOENT);
    cr_assert_eq(vstack_vf_attach(w, "vm1", "auto", D), 0, "queued: SR-IOV not enabled yet");
    cr_assert_eq(vstack_migrate(w, "vm1", "h1", -1, -1, D), SIM_EINVAL);
    cr_assert_eq(vstack_migrate(w, "vm1", "h7", -1, -1, D), SIM_ENOENT);
    cr_assert_eq(vstack_flow_stop(w, "f9", D), SIM_ENOENT);
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = "vm1";
    fc.to = "vm1";
    cr_assert_eq(vstack_flow_start(w, "f1", &fc, D), SIM_EINVAL);
    fc.to = "ext1";
    fc.size = 9000;
    cr_assert_eq(vstack_flow_start(w, "f1", &fc, D), SIM_ERANGE);
    cr_assert_eq(vstack_capture_stop(w, D), SIM_ESTATE);
    cr_assert_eq(vstack_fault_surprise_remove(w, "h1.pf0.vf0", D), SIM_ENODEV);
    cr_assert_eq(vstack_fault_oid(w, "OID_X", "NDIS_STATUS_FAILURE", NULL, 1, 0, D), SIM_EINVAL);
    cr_assert_eq(vstack_run_until(w, -1, D), SIM_EINVAL);
    uint64_t v;
    cr_assert_eq(vstack_pci_field(w, "h1.pf7", VSTACK_PCI_PRESENT, &v, D), SIM_ENOENT);
    vs_destroy(w);
}

Test(vstack_world, world_create_out_of_memory_sweep)
{
    for (long n = 0; n < 200; n++) {
        struct vstack_world_config wc;
        vstack_world_config_init(&wc);
        struct vstack_world *w = NULL;
        sim_alloc_fail_nth(n);
        int rc = vstack_world_create(&wc, &w, NULL);
        int rc2 = rc == 0 ? vstack_host_add(w, "h1", NULL) : -1;
        sim_alloc_fail_nth(-1);
        if (rc != 0) {
            cr_assert_eq(sim_alloc_live_total(), 0, "n=%ld leaked", n);
            continue;
        }
        vstack_world_destroy(w);
        cr_assert_eq(sim_alloc_live_total(), 0, "n=%ld leaked", n);
        if (rc2 == 0)
            return;
    }
    cr_assert_fail("never succeeded");
}

/* Build the whole topology with the Nth allocation failing, for every N until it succeeds: each
 * failing step returns an error, and destroying the world leaves nothing behind. */
static int
build(struct vstack_world **out)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    int rc = vstack_world_create(&wc, out, NULL);
    if (rc != 0)
        return rc;
    struct vstack_world *w = *out;
    if ((rc = vstack_host_add(w, "h1", NULL)) != 0)
        return rc;
    struct vstack_pf_config pc;
    vstack_pf_config_init(&pc);
    pc.total_vfs = 2;
    if ((rc = vstack_pf_add(w, "h1.pf0", &pc, NULL)) != 0)
        return rc;
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h1.pf0";
    if ((rc = vstack_switch_add(w, "h1.sw0", &sc, NULL)) != 0)
        return rc;
    struct vstack_vm_config vc;
    vstack_vm_config_init(&vc);
    vc.host = "h1";
    vc.sw = "h1.sw0";
    if ((rc = vstack_vm_add(w, "vm1", &vc, NULL)) != 0)
        return rc;
    struct vstack_peer_config pe;
    vstack_peer_config_init(&pe);
    pe.sw = "h1.sw0";
    if ((rc = vstack_peer_add(w, "ext1", &pe, NULL)) != 0)
        return rc;
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = "vm1";
    fc.to = "ext1";
    return vstack_flow_start(w, "f1", &fc, NULL);
}

Test(vstack_world, topology_out_of_memory_sweep)
{
    for (long n = 0; n < 5000; n++) {
        struct vstack_world *w = NULL;
        sim_alloc_fail_nth(n);
        int rc = build(&w);
        sim_alloc_fail_nth(-1);
        vstack_world_destroy(w);
        if (sim_alloc_live_total() != 0)
            sim_alloc_report(stderr);
        cr_assert_eq(sim_alloc_live_total(), 0, "n=%ld (rc %s) leaked", n, sim_err_name(rc));
        if (rc == 0)
            return;
    }
    cr_assert_fail("never succeeded");
}

/* World teardown takes the PF down in the documented order (ndis_sriov.md 7.7): filters
 * cleared, VPorts deleted, VFs reset and freed, then DELETE_SWITCH. */
Test(vstack_world, pf_teardown_in_the_documented_order)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    wc.teardown_trace = f;
    struct vstack_world *w = NULL;
    ok_or_die(vstack_world_create(&wc, &w, D), "world");
    ok_or_die(vstack_host_add(w, "h1", D), "host");
    ok_or_die(vstack_pf_add(w, "h1.pf0", NULL, D), "pf");
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h1.pf0";
    ok_or_die(vstack_switch_add(w, "h1.sw0", &sc, D), "sw");
    struct vstack_vm_config vc;
    vstack_vm_config_init(&vc);
    vc.host = "h1";
    vc.sw = "h1.sw0";
    vc.vf = "auto";
    ok_or_die(vstack_vm_add(w, "vm1", &vc, D), "vm1");
    vc.vf = NULL;
    ok_or_die(vstack_vm_add(w, "vm2", &vc, D), "vm2");
    ok_or_die(vstack_sriov_set(w, "h1.pf0", 2, D), "sriov");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    vs_destroy(w);
    rewind(f);
    const char *order[] = {"OID_RECEIVE_FILTER_CLEAR_FILTER", "OID_NIC_SWITCH_DELETE_VPORT",
                           "OID_SRIOV_RESET_VF", "OID_NIC_SWITCH_FREE_VF",
                           "OID_NIC_SWITCH_DELETE_SWITCH"};
    long first[5], last[5];
    for (int i = 0; i < 5; i++)
        first[i] = last[i] = -1;
    char line[600];
    long n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "->") == NULL) /* completions only */
            continue;
        for (int i = 0; i < 5; i++)
            if (strstr(line, order[i]) != NULL && strstr(line, "NDIS_STATUS_SUCCESS") != NULL) {
                if (first[i] < 0)
                    first[i] = n;
                last[i] = n;
            }
        n++;
    }
    fclose(f);
    for (int i = 0; i < 5; i++)
        cr_assert_geq(first[i], 0, "%s completed", order[i]);
    for (int i = 0; i + 1 < 5; i++)
        cr_assert_lt(last[i], first[i + 1], "every %s before any %s", order[i], order[i + 1]);
}
