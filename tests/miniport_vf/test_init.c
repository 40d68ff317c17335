/* SPDX-License-Identifier: MIT */
/*
 * test_init.c — VF miniport bring-up on VF arrival: MiniportInitializeEx through ndis_shim,
 * MiniportRestart pending until the PF answered the VF_RESET handshake (whose reply sets the
 * MAC), the binding rule (only NetVSC binds a VF), out-of-memory sweep of create + initialize,
 * zero live allocations after teardown.
 */
#include "vf_test.h"

static struct venv E;

Test(vf_init, comes_up_through_ndis_with_the_pf_handshake)
{
    venv_up(&E, false, NULL);
    cr_assert(vf_adapter_is_configured(E.a));
    uint8_t mac[6], perm[6];
    vf_adapter_mac(E.a, mac);
    vf_adapter_permanent_mac(E.a, perm);
    /* The MAC comes from the PF (the administrator's, given at ALLOCATE_VF), not from the
     * VF's permanent-address register: the handshake mattered. */
    cr_assert_arr_eq(mac, E.mac, 6, "vf %02x:%02x:%02x:%02x:%02x:%02x want ..:%02x perm ..:%02x",
                     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], E.mac[5], perm[5]);
    cr_assert(memcmp(perm, E.mac, 6) != 0);
    cr_assert_geq(pf_adapter_stats(E.t.pf)->mbx_requests, 1);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.mbx_acks, 1);
    cr_assert_eq(ndis_miniport_kind(E.mp), NDIS_MINIPORT_VF);
    venv_down(&E);
}

Test(vf_init, only_netvsc_binds_the_vf)
{
    venv_up(&E, false, NULL);
    static const struct ndis_protocol_ops ops = {.bind_adapter = v_bind};
    struct ndis_protocol_config pc = {.name = "tcpip", .ops = &ops, .ctx = &E};
    struct ndis_protocol *p;
    struct ndis_binding *b = NULL;
    struct sim_diag d;
    sim_diag_clear(&d);
    ndis_status_t st = 0;
    cr_assert_eq(ndis_protocol_create(&pc, &p, &d), 0);
    cr_assert_neq(ndis_bind(p, E.mp, &b, &st, &d), 0);
    cr_assert_eq(st, NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_eq(ndis_protocol_destroy(p), 0);
    venv_down(&E);
}

Test(vf_init, restart_fails_when_the_pf_never_answers)
{
    venv_host(&E, false, NULL);
    /* Start a VF driver on VF 1, which the PF never allocated: the PF refuses its VF_RESET. */
    uint16_t rid1 = nic_vf_rid(E.t.nic, 1);
    struct vf_config c = {.name = "vm1.vf1", .guest = E.guest, .rid = rid1};
    struct sim_diag d;
    sim_diag_clear(&d);
    struct hv_vpci_dev *dev1;
    struct hv_vpci_offer_config oc;
    hv_vpci_offer_config_init(E.guest, &oc);
    oc.offer_delay_ns = SIM_MSEC(1);
    cr_assert_eq(hv_vpci_offer(E.guest, rid1, &oc, &dev1, &d), 0, "%s", d.reason);
    t_run_for(&E.t, SIM_MSEC(2));
    struct vf_adapter *a;
    cr_assert_eq(vf_adapter_create(&c, &a, &d), 0, "%s", d.reason);
    struct ndis_miniport *mp = vf_adapter_miniport(a);
    ndis_status_t st;
    cr_assert_eq(ndis_miniport_initialize(mp, &st, &d), 0, "%s", d.reason);
    cr_assert_eq(ndis_miniport_restart(mp, &st, &d), 0);
    cr_assert_eq(st, NDIS_STATUS_PENDING);
    t_run_for(&E.t, SIM_MSEC(50));
    /* The PF NACKs VF_RESET from a VF it never allocated: restart fails, adapter paused. */
    cr_assert_eq(ndis_miniport_state(mp), NDIS_MINIPORT_PAUSED);
    cr_assert(!vf_adapter_is_configured(a));
    struct vf_stats s;
    vf_adapter_stats(a, &s);
    cr_assert_eq(s.mbx_nacks + s.mbx_timeouts, 1);
    cr_assert_eq(ndis_miniport_halt(mp, &d), 0, "%s", d.reason);
    cr_assert_eq(vf_adapter_destroy(a), 0);
    hv_vpci_revoke(dev1);
    venv_down(&E);
}

Test(vf_init, bad_config_is_refused_with_a_reason)
{
    venv_host(&E, false, NULL);
    struct vf_adapter *a;
    struct sim_diag d;
    sim_diag_clear(&d);
    struct vf_config c = {
        .name = "vm1.vf0", .guest = E.guest, .rid = (uint16_t)E.rid, .ring_slots = 100};
    cr_assert_eq(vf_adapter_create(&c, &a, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "power of two") != NULL, "%s", d.reason);
    c.ring_slots = 16;
    c.rx_buffers = 17;
    cr_assert_eq(vf_adapter_create(&c, &a, &d), SIM_EINVAL);
    c.rx_buffers = 0;
    c.guest = NULL;
    cr_assert_eq(vf_adapter_create(&c, &a, &d), SIM_EINVAL);
    /* A RID with no VF behind it: initialize fails, nothing leaks. */
    c.guest = E.guest;
    c.rid = PCIE_RID(9, 0, 0);
    cr_assert_eq(vf_adapter_create(&c, &a, &d), 0);
    ndis_status_t st;
    cr_assert_neq(ndis_miniport_initialize(vf_adapter_miniport(a), &st, &d), 0);
    cr_assert_eq(st, NDIS_STATUS_ADAPTER_REMOVED);
    cr_assert(vf_adapter_last_error(a)->reason[0] != '\0');
    cr_assert_eq(vf_adapter_destroy(a), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(vf)), 0);
    venv_down(&E);
}

Test(vf_init, oom_sweep_of_create_and_initialize)
{
    venv_host(&E, false, NULL);
    uint64_t used = hv_partition_mem_used(E.guest);
    int failures = 0;
    for (long n = 0; n < 200; n++) {
        struct vf_config c = {.name = "vm1.vf0", .guest = E.guest, .rid = (uint16_t)E.rid};
        struct vf_adapter *a = NULL;
        struct sim_diag d;
        sim_diag_clear(&d);
        sim_alloc_fail_nth(n);
        int rc = vf_adapter_create(&c, &a, &d);
        if (rc != 0) {
            sim_alloc_fail_nth(-1);
            cr_assert_eq(rc, SIM_ENOMEM, "n=%ld: %s", n, d.reason);
            cr_assert_eq(sim_alloc_live(SIM_TAG(vf)), 0, "n=%ld", n);
            failures++;
            continue;
        }
        ndis_status_t st;
        rc = ndis_miniport_initialize(vf_adapter_miniport(a), &st, &d);
        sim_alloc_fail_nth(-1);
        if (rc != 0) {
            cr_assert_eq(st, NDIS_STATUS_RESOURCES, "n=%ld: %08x %s", n, st, d.reason);
            cr_assert_eq(ndis_miniport_state(vf_adapter_miniport(a)), NDIS_MINIPORT_HALTED);
            cr_assert_eq(vf_adapter_destroy(a), 0);
            cr_assert_eq(sim_alloc_live(SIM_TAG(vf)), 0, "n=%ld", n);
            cr_assert_eq(hv_partition_mem_used(E.guest), used, "n=%ld: guest memory leaked", n);
            failures++;
            continue;
        }
        /* Success: it must also work (restart completes), then go away cleanly. */
        cr_assert_eq(ndis_miniport_restart(vf_adapter_miniport(a), &st, &d), 0);
        t_run_for(&E.t, SIM_MSEC(1));
        cr_assert_eq(ndis_miniport_state(vf_adapter_miniport(a)), NDIS_MINIPORT_RUNNING);
        cr_assert_eq(ndis_miniport_pause(vf_adapter_miniport(a), &st, &d), 0);
        cr_assert_eq(ndis_miniport_halt(vf_adapter_miniport(a), &d), 0);
        cr_assert_eq(vf_adapter_destroy(a), 0);
        break;
    }
    cr_assert_geq(failures, 4, "the sweep hit every allocation of create + initialize");
    cr_assert_eq(hv_partition_mem_used(E.guest), used);
    venv_down(&E);
}
