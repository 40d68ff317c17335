/* SPDX-License-Identifier: MIT */
/* test_assign.c — VF assignment policy: more VMs than VFs (the rest stay synthetic, queued, and
 * get a VF when one is freed), priority order, named VFs, vetoes and failures. */
#include "vs_test.h"

static char *
vf_of(struct vstack_world *w, const char *vm)
{
    static char buf[4][32];
    static int k;
    char *b = buf[k++ & 3];
    ok_or_die(vstack_vm_vf(w, vm, b, 32, D), "vm vf");
    return b;
}

Test(vstack_assign, more_vms_than_vfs_reassignment_when_freed)
{
    struct vstack_world *w = vs_world(7, 2, 3);
    vs_run(w, SIM_MSEC(300));
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "vm1");
    ok_or_die(vstack_vf_attach(w, "vm2", "auto", D), "vm2");
    ok_or_die(vstack_vf_attach(w, "vm3", "auto", D), "vm3 (queued)");
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_VF_QUEUED, "vm3", NULL, NULL), 0);
    vs_flow(w, "f3", "vm3", "ext1", VSTACK_PROTO_UDP, UINT64_C(100000000));
    vs_run(w, SIM_SEC(3));
    cr_assert_str_eq(vf_of(w, "vm1"), "h1.pf0.vf0");
    cr_assert_str_eq(vf_of(w, "vm2"), "h1.pf0.vf1");
    cr_assert_str_eq(vf_of(w, "vm3"), "none", "no VF left: vm3 stays synthetic");
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    cr_assert_eq(vs_dp(w, "vm2"), VSTACK_DP_VF);
    cr_assert_eq(vs_dp(w, "vm3"), VSTACK_DP_SYNTHETIC);
    char who[32];
    ok_or_die(vstack_pci_assigned(w, "h1.pf0.vf1", who, sizeof who, D), "assigned");
    cr_assert_str_eq(who, "vm2");
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_GRACEFUL, D), "detach vm1");
    vs_run(w, SIM_SEC(7));
    cr_assert_str_eq(vf_of(w, "vm1"), "none");
    cr_assert_str_eq(vf_of(w, "vm3"), "h1.pf0.vf0", "the freed VF went to the waiting VM");
    cr_assert_eq(vs_dp(w, "vm3"), VSTACK_DP_VF);
    struct traffic_flow_stats s = vs_stats(w, "f3");
    cr_assert_eq(s.lost, 0, "vm3 switched paths without loss");
    cr_assert_gt(s.delivered, 1000);
    vs_destroy(w);
}

Test(vstack_assign, priority_decides_who_gets_the_freed_vf)
{
    struct vstack_world *w = vs_world(3, 1, 1);
    const char *names[] = {"vm2", "vm3", "vm4"};
    int prio[] = {0, 5, 1};
    for (int i = 0; i < 3; i++) {
        struct vstack_vm_config vc;
        vstack_vm_config_init(&vc);
        vc.host = "h1";
        vc.sw = "h1.sw0";
        vc.priority = prio[i];
        ok_or_die(vstack_vm_add(w, names[i], &vc, D), "vm");
    }
    vs_run(w, SIM_MSEC(300));
    ok_or_die(vstack_vf_attach(w, "vm1", NULL, D), "vm1");
    for (int i = 0; i < 3; i++)
        ok_or_die(vstack_vf_attach(w, names[i], "auto", D), "queued");
    vs_run(w, SIM_SEC(3));
    cr_assert_str_eq(vf_of(w, "vm1"), "h1.pf0.vf0");
    ok_or_die(vstack_vf_detach(w, "vm1", VSTACK_DETACH_SURPRISE, D), "detach");
    vs_run(w, SIM_SEC(6));
    cr_assert_str_eq(vf_of(w, "vm3"), "h1.pf0.vf0", "priority 5 first");
    cr_assert_str_eq(vf_of(w, "vm2"), "none");
    cr_assert_str_eq(vf_of(w, "vm4"), "none");
    ok_or_die(vstack_vf_detach(w, "vm3", VSTACK_DETACH_GRACEFUL, D), "detach");
    vs_run(w, SIM_SEC(10));
    cr_assert_str_eq(vf_of(w, "vm4"), "h1.pf0.vf0", "then priority 1");
    cr_assert_str_eq(vf_of(w, "vm2"), "none");
    vs_destroy(w);
}

Test(vstack_assign, named_vf_rules)
{
    struct vstack_world *w = vs_world(5, 2, 2);
    vs_run(w, SIM_MSEC(300));
    /* vf0: the VF this PF allocates first (ALLOCATE_VF lets the PF choose; a name the PF does
     * not give is refused, see scenarios/attach-named-vf.scn). */
    ok_or_die(vstack_vf_attach(w, "vm1", "h1.pf0.vf0", D), "vm1");
    sim_diag_clear(D);
    cr_assert_eq(vstack_vf_attach(w, "vm2", "h1.pf0.vf0", D), SIM_EBUSY);
    cr_assert(strstr(D->reason, "vm1") != NULL, "%s", D->reason);
    cr_assert_eq(vstack_vf_attach(w, "vm2", "h1.pf0.vf5", D), SIM_ESTATE, "not enabled");
    cr_assert(strstr(D->reason, "not enabled") != NULL, "%s", D->reason);
    cr_assert_eq(vstack_vf_attach(w, "vm2", "h1.pf0.vf9", D), SIM_ENOENT, "beyond TotalVFs");
    cr_assert_eq(vstack_vf_attach(w, "vm1", "auto", D), SIM_EBUSY, "already has one");
    cr_assert_eq(vstack_vf_attach(w, "nosuch", "auto", D), SIM_ENOENT);
    cr_assert_eq(vstack_vf_detach(w, "vm2", VSTACK_DETACH_GRACEFUL, D), SIM_ESTATE);
    vs_run(w, SIM_SEC(3));
    cr_assert_str_eq(vf_of(w, "vm1"), "h1.pf0.vf0");
    uint64_t v = 0;
    ok_or_die(vstack_pci_field(w, "h1.pf0", VSTACK_PCI_SRIOV_NUM_VFS, &v, D), "num_vfs");
    cr_assert_eq(v, 2);
    ok_or_die(vstack_pci_field(w, "h1.pf0.vf0", VSTACK_PCI_PRESENT, &v, D), "present");
    cr_assert_eq(v, 1);
    ok_or_die(vstack_pci_field(w, "h1.pf0.vf5", VSTACK_PCI_PRESENT, &v, D), "present");
    cr_assert_eq(v, 0, "vf5 is not enabled");
    vs_destroy(w);
}

Test(vstack_assign, switch_policy_vetoes_allocate_vf)
{
    struct vstack_world *w = vs_world(5, 2, 1);
    vs_run(w, SIM_MSEC(300));
    struct vstack_policy p = {.allocate_vf = VSTACK_FALSE};
    ok_or_die(vstack_policy_set(w, "h1.sw0", &p, D), "policy");
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    sim_diag_clear(D);
    cr_assert_eq(vstack_vf_attach(w, "vm1", "auto", D), SIM_EPERM);
    cr_assert(strstr(D->reason, "ALLOCATE_VF") != NULL, "%s", D->reason);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_POLICY_DENIED, "vm1", NULL, NULL), 0);
    p.allocate_vf = VSTACK_TRUE;
    ok_or_die(vstack_policy_set(w, "vm1", &p, D), "policy vm");
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "allowed for vm1");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    vs_destroy(w);
}

Test(vstack_assign, allocate_vf_failure_unwinds_and_vm_stays_synthetic)
{
    struct vstack_world *w = vs_world(5, 2, 1);
    vs_run(w, SIM_MSEC(300));
    ok_or_die(vstack_fault_oid(w, "OID_NIC_SWITCH_CREATE_VPORT", "NDIS_STATUS_RESOURCES", "h1.pf0",
                               1, 0, D),
              "fault");
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_SEC(1));
    cr_assert_geq(
        vs_find_event(w, &m, VSTACK_EV_OID_FAILED, "h1.pf0", "oid", "OID_NIC_SWITCH_CREATE_VPORT"),
        0);
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_SYNTHETIC);
    char b[32];
    ok_or_die(vstack_vm_vf(w, "vm1", b, sizeof b, D), "vf");
    cr_assert_str_eq(b, "none");
    uint32_t st = 0;
    uint64_t count = 0;
    ok_or_die(vstack_oid_last(w, "h1.pf0", "OID_NIC_SWITCH_FREE_VF", &st, &count, D), "free");
    cr_assert_eq(st, NDIS_STATUS_SUCCESS, "the allocated VF was reset and freed");
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "second attempt");
    vs_run(w, SIM_SEC(3));
    cr_assert_eq(vs_dp(w, "vm1"), VSTACK_DP_VF);
    vs_destroy(w);
}

/* The PF answers a guest's MAC change by the port policy: applied, refused with a NACK (the
 * guest sees the failure), or refused silently (the guest believes it, the device disagrees). */
static void
mac_case(enum vstack_mailbox_policy pol, const char *status, const char *applied,
         const char *silent)
{
    struct vstack_world *w = vs_world(5, 2, 1);
    vs_run(w, SIM_MSEC(300));
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_SEC(3));
    if (pol != VSTACK_MBX_UNSET) {
        struct vstack_policy p = {.mac_change = pol};
        ok_or_die(vstack_policy_set(w, "vm1", &p, D), "policy");
    }
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x77, 0x01};
    ok_or_die(vstack_vf_request_mac(w, "vm1", mac, D), "mac");
    vs_run(w, SIM_SEC(3) + SIM_MSEC(100));
    long i = vs_find_event(w, &m, VSTACK_EV_MAC_CHANGE, "vm1", "status", status);
    cr_assert_geq(i, 0, "mac-change status=%s", status);
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_MAC_CHANGE, "vm1", "applied", applied), 0,
                  "applied=%s", applied);
    long r = vs_find_event(w, &m, VSTACK_EV_MAILBOX_REFUSED, "h1.pf0.vf0", "silent",
                           silent ? silent : "x");
    if (silent != NULL)
        cr_assert_geq(r, 0, "mailbox-refused silent=%s", silent);
    else
        cr_assert_lt(vs_find_event(w, &m, VSTACK_EV_MAILBOX_REFUSED, NULL, NULL, NULL), 0);
    vs_destroy(w);
}

Test(vstack_assign, mac_change_applied_by_default)
{
    mac_case(VSTACK_MBX_UNSET, "NDIS_STATUS_SUCCESS", "true", NULL);
}

Test(vstack_assign, mac_change_refused_with_nack)
{
    mac_case(VSTACK_MBX_REFUSE, "NDIS_STATUS_FAILURE", "false", "false");
}

Test(vstack_assign, mac_change_refused_silently)
{
    mac_case(VSTACK_MBX_REFUSE_SILENT, "NDIS_STATUS_SUCCESS", "false", "true");
}

Test(vstack_assign, mailbox_refuse_fault_counts_down)
{
    struct vstack_world *w = vs_world(5, 2, 1);
    vs_run(w, SIM_MSEC(300));
    ok_or_die(vstack_vf_attach(w, "vm1", "auto", D), "attach");
    vs_run(w, SIM_SEC(3));
    ok_or_die(vstack_fault_mailbox_refuse(w, "h1.pf0.vf0", VSTACK_MBX_MAC, false, 1, D), "fault");
    struct vstack_mark m;
    vstack_mark_now(w, &m);
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x77, 0x02};
    ok_or_die(vstack_vf_request_mac(w, "vm1", mac, D), "mac 1");
    vs_run(w, SIM_SEC(3) + SIM_MSEC(100));
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_MAC_CHANGE, "vm1", "applied", "false"), 0);
    vstack_mark_now(w, &m);
    ok_or_die(vstack_vf_request_mac(w, "vm1", mac, D), "mac 2");
    vs_run(w, SIM_SEC(3) + SIM_MSEC(200));
    cr_assert_geq(vs_find_event(w, &m, VSTACK_EV_MAC_CHANGE, "vm1", "applied", "true"), 0,
                  "count=1: the second request goes through");
    vs_destroy(w);
}
