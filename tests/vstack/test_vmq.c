/* SPDX-License-Identifier: MIT */
/* test_vmq.c — a VM's VMQ VPort (`vm vmq=true`): the host creates a PF non-default VPort for it
 * (CREATE_VPORT attached to the PF), its MAC filter goes there instead of the default VPort,
 * NetVSP delivers those frames by VPort id without a MAC lookup; on VF attach the filter moves
 * from that VPort to the VF's and back on detach; migrating away or disabling the NIC switch
 * clears the filter and deletes the VPort. White-box: the NIC's own VPort / filter tables.
 *
 * Windows / Hyper-V counterpart: the hardware-assisted synthetic path (VMQ on an SR-IOV NIC:
 * "PF non-default VPorts are used instead of VM queues", ndis_sriov.md 10 / 11.2). */
#include "vs_test.h"
#include "vstack/vstack_int.h"

#define RATE  UINT64_C(100000000)
#define COUNT 2000u

static struct vstack_world *
vmq_world(void)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    wc.seed = 9;
    struct vstack_world *w = NULL;
    sim_diag_clear(D);
    ok_or_die(vstack_world_create(&wc, &w, D), "world");
    const char *hosts[2] = {"h1", "h2"};
    for (int i = 0; i < 2; i++) {
        char pf[16], sw[16];
        snprintf(pf, sizeof pf, "%s.pf0", hosts[i]);
        snprintf(sw, sizeof sw, "%s.sw0", hosts[i]);
        ok_or_die(vstack_host_add(w, hosts[i], D), "host");
        struct vstack_pf_config pc;
        vstack_pf_config_init(&pc);
        ok_or_die(vstack_pf_add(w, pf, &pc, D), "pf");
        struct vstack_switch_config sc;
        vstack_switch_config_init(&sc);
        sc.uplink = pf;
        ok_or_die(vstack_switch_add(w, sw, &sc, D), "vswitch");
    }
    ok_or_die(vstack_link_add(w, "h1.sw0", "h2.sw0", -1, 0, D), "link");
    for (int i = 1; i <= 2; i++) {
        struct vstack_vm_config vc;
        vstack_vm_config_init(&vc);
        vc.host = "h1";
        vc.sw = "h1.sw0";
        vc.vmq = i == 1;
        ok_or_die(vstack_vm_add(w, i == 1 ? "vm1" : "vm2", &vc, D), "vm");
    }
    struct vstack_peer_config pe;
    vstack_peer_config_init(&pe);
    pe.sw = "h1.sw0";
    ok_or_die(vstack_peer_add(w, "ext1", &pe, D), "peer");
    ok_or_die(vstack_sriov_set(w, "h1.pf0", 4, D), "sriov h1");
    ok_or_die(vstack_sriov_set(w, "h2.pf0", 4, D), "sriov h2");
    vs_run(w, SIM_MSEC(500));
    return w;
}

static struct nic *
nic_of(struct vstack_world *w, const char *pf)
{
    struct vs_pf *p = vs__pf(w, pf);
    cr_assert_not_null(p);
    return p->nic;
}

static uint16_t
filter_vport(struct vstack_world *w, const char *vm)
{
    struct vs_vm *v = vs__vm(w, vm);
    cr_assert(v->has_filter, "%s has a filter", vm);
    return nic_filter_vport(v->filter_pf->nic, v->filter_id);
}

static void
counters(struct vstack_world *w, uint64_t *lookups, uint64_t *hits)
{
    ok_or_die(vstack_switch_counters(w, "h1.sw0", lookups, hits, D), "switch counters");
}

static void
flow_c(struct vstack_world *w, const char *name, const char *from, const char *to, uint64_t count)
{
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = from;
    fc.to = to;
    fc.rate_bps = RATE;
    fc.count = count;
    ok_or_die(vstack_flow_start(w, name, &fc, D), "flow");
}

static void
flow_n(struct vstack_world *w, const char *name, const char *from, const char *to)
{
    flow_c(w, name, from, to, COUNT);
}

static void
run_for(struct vstack_world *w, sim_time_t dt)
{
    vs_run(w, vstack_world_now(w) + dt);
}

Test(vstack_vmq, vport_created_filter_on_it_frames_without_lookup)
{
    struct vstack_world *w = vmq_world();
    uint32_t vp = 0;
    ok_or_die(vstack_vm_vmq_vport(w, "vm1", &vp, D), "vm1 vmq vport");
    cr_assert_neq(vp, NDIS_DEFAULT_VPORT_ID);
    cr_assert_eq(vstack_vm_vmq_vport(w, "vm2", &vp, D), SIM_ENOENT, "vm2 has no VMQ VPort");
    ok_or_die(vstack_vm_vmq_vport(w, "vm1", &vp, D), "vm1 vmq vport");
    cr_assert_eq(nic_vport_count(nic_of(w, "h1.pf0")), 2, "default + vm1's VMQ VPort");
    cr_assert_eq(filter_vport(w, "vm1"), vp, "vm1's filter is on its VMQ VPort");
    cr_assert_eq(filter_vport(w, "vm2"), NDIS_DEFAULT_VPORT_ID, "vm2's on the default");

    uint64_t l0, h0, l1, h1, l2, h2;
    counters(w, &l0, &h0);
    flow_n(w, "to1", "ext1", "vm1");
    run_for(w, SIM_SEC(1));
    counters(w, &l1, &h1);
    struct traffic_flow_stats s = vs_stats(w, "to1");
    cr_assert_eq(s.delivered, COUNT);
    cr_assert_eq(s.lost, 0);
    cr_assert_eq(l1 - l0, 0, "no lookup for vm1's frames (%llu)", (unsigned long long)(l1 - l0));
    cr_assert_eq(h1 - h0, COUNT, "every frame a VMQ hit (%llu)", (unsigned long long)(h1 - h0));

    flow_n(w, "to2", "ext1", "vm2");
    run_for(w, SIM_SEC(1));
    counters(w, &l2, &h2);
    s = vs_stats(w, "to2");
    cr_assert_eq(s.delivered, COUNT);
    cr_assert_eq(s.lost, 0);
    cr_assert_geq(l2 - l1, COUNT, "vm2's frames are looked up (%llu)",
                  (unsigned long long)(l2 - l1));
    cr_assert_eq(h2 - h1, 0, "and are no VMQ hits");
    vs_destroy(w); /* PF teardown deletes the VMQ VPort; nothing leaks */
}

Test(vstack_vmq, vf_attach_moves_the_filter_from_the_vmq_vport_and_back)
{
    struct vstack_world *w = vmq_world();
    uint32_t vp = 0;
    ok_or_die(vstack_vm_vmq_vport(w, "vm1", &vp, D), "vm1 vmq vport");
    flow_c(w, "to1", "ext1", "vm1", 0); /* until stopped */
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "attach");
    run_for(w, SIM_SEC(2));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    struct vs_vf *vf = vs__vf(w, "h1.pf0.vf0");
    cr_assert(vf->has_vport);
    cr_assert_eq(filter_vport(w, "vm1"), vf->vport_id, "the filter moved to the VF's VPort");
    cr_assert_eq(nic_vport_count(nic_of(w, "h1.pf0")), 3, "default + VMQ + VF VPorts");
    uint64_t l0, h0;
    counters(w, &l0, &h0);

    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach");
    run_for(w, SIM_SEC(2));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    cr_assert_eq(filter_vport(w, "vm1"), vp, "the filter moved back to the VMQ VPort");
    cr_assert_eq(nic_vport_count(nic_of(w, "h1.pf0")), 2, "the VF's VPort was deleted");
    uint64_t l1, h1;
    run_for(w, SIM_MSEC(200));
    counters(w, &l1, &h1);
    cr_assert_gt(h1 - h0, 100, "back on synthetic, frames are VMQ hits again (%llu)",
                 (unsigned long long)(h1 - h0));
    ok_or_die(vstack_flow_stop(w, "to1", D), "stop");
    run_for(w, SIM_MSEC(100));
    struct traffic_flow_stats s = vs_stats(w, "to1");
    cr_assert_gt(s.delivered, 10000);
    cr_assert_eq(s.lost, 0, "the moves lost nothing (%llu)", (unsigned long long)s.lost);
    vs_destroy(w);
}

Test(vstack_vmq, migrate_away_and_switch_delete_leave_no_vport)
{
    struct vstack_world *w = vmq_world();
    cr_assert_eq(nic_vport_count(nic_of(w, "h1.pf0")), 2);
    ok_or_die(vstack_migrate(w, "vm1", "h2", SIM_MSEC(100), SIM_MSEC(50), D), "migrate");
    run_for(w, SIM_SEC(2));
    char host[8];
    const char *hn = NULL;
    ok_or_die(vstack_vm_host(w, "vm1", &hn, D), "host");
    snprintf(host, sizeof host, "%s", hn);
    cr_assert_str_eq(host, "h2");
    cr_assert_eq(nic_vport_count(nic_of(w, "h1.pf0")), 1, "h1: only the default VPort left");
    cr_assert_eq(nic_vport_count(nic_of(w, "h2.pf0")), 2, "h2: vm1's new VMQ VPort");
    uint32_t vp = 0;
    ok_or_die(vstack_vm_vmq_vport(w, "vm1", &vp, D), "vm1 vmq vport on h2");
    cr_assert_eq(filter_vport(w, "vm1"), vp);
    cr_assert(vs__vm(w, "vm1")->filter_pf == vs__pf(w, "h2.pf0"));

    ok_or_die(vstack_sriov_set(w, "h2.pf0", 0, D), "sriov 0");
    run_for(w, SIM_SEC(1));
    cr_assert_eq(vstack_vm_vmq_vport(w, "vm1", &vp, D), SIM_ENOENT, "VMQ VPort deleted");
    cr_assert_eq(nic_vport_count(nic_of(w, "h2.pf0")), 1, "h2: no non-default VPort left (%u live)",
                 nic_vport_count(nic_of(w, "h2.pf0")));
    cr_assert_eq(nic_filter_count(nic_of(w, "h2.pf0")), 0, "h2: no filter left");
    uint32_t st = 1;
    uint64_t n = 0;
    ok_or_die(vstack_oid_last(w, "h2.pf0", "OID_NIC_SWITCH_DELETE_VPORT", &st, &n, D), "last");
    cr_assert_eq(st, NDIS_STATUS_SUCCESS, "DELETE_VPORT succeeded");
    ok_or_die(vstack_oid_last(w, "h2.pf0", "OID_NIC_SWITCH_DELETE_SWITCH", &st, &n, D), "last");
    cr_assert_eq(st, NDIS_STATUS_SUCCESS, "DELETE_SWITCH succeeded (no VPort in its way)");
    vs_destroy(w);
}
