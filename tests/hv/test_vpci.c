/* SPDX-License-Identifier: MIT */
/* test_vpci.c — virtual PCI: the offer delay exact on the virtual clock (default 1 s and
 * settable), the VF's DMA into its VM's memory working from the offer on and faulting after
 * removal/revoke, DMA to another VM's memory refused, graceful eject acknowledged, eject
 * timeout -> surprise removal through the fabric (or guest-only), fabric-initiated removal,
 * revoke in each state (also from inside a callback), offer errors, OOM sweep, no leaks. */
#include "hv_test.h"

static struct hvt t;

SIM_ALLOC_TAG_DECLARE(hv_vpci); /* the module's tag, for the deferred-free check */

static struct vrec {
    int arrivals, eject_requests, guest_removed, host_removed;
    sim_time_t t_arrival, t_eject_request, t_guest_removed, t_host_removed;
    enum hv_vpci_removal guest_kind, host_kind;
    struct hv_vpci_dev *dev;
    bool ack_in_request;   /* the guest acknowledges at once */
    bool revoke_in_remove; /* the guest callback revokes (deferred free) */
    bool fabric_gone_in_removed;
    int fabric_removed_events;
    bool last_removed_surprise, last_removed_timed_out;
} v;

static struct pcie_subscription sub;

static void
fabric_ev(void *ctx, const struct pcie_event *ev)
{
    if (ev->type == PCIE_EV_FN_REMOVED) {
        v.fabric_removed_events++;
        v.last_removed_surprise = ev->surprise;
        v.last_removed_timed_out = ev->timed_out;
    }
}

static void
g_arrival(void *ctx, struct hv_vpci_dev *dev)
{
    v.arrivals++;
    v.t_arrival = sim_sched_now(t.s);
    v.dev = dev;
}

static void
g_eject_request(void *ctx, struct hv_vpci_dev *dev)
{
    v.eject_requests++;
    v.t_eject_request = sim_sched_now(t.s);
    if (v.ack_in_request)
        cr_assert_eq(hv_vpci_eject_ack(dev), 0);
}

static void
g_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    v.guest_removed++;
    v.t_guest_removed = sim_sched_now(t.s);
    v.guest_kind = kind;
    v.fabric_gone_in_removed = pcie_fabric_fn_state(t.f, hv_vpci_dev_rid(dev)) == PCIE_FN_REMOVED;
    if (v.revoke_in_remove)
        hv_vpci_revoke(dev);
}

static const struct hv_vpci_guest_ops gops = {
    .arrival = g_arrival, .eject_request = g_eject_request, .removed = g_removed};

static void
h_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    v.host_removed++;
    v.t_host_removed = sim_sched_now(t.s);
    v.host_kind = kind;
}

static void
setup(void)
{
    hvt_setup(&t);
    memset(&v, 0, sizeof(v));
    memset(&sub, 0, sizeof(sub));
    cr_assert_eq(pcie_fabric_subscribe(t.f, &sub, fabric_ev, NULL), 0);
    hv_vpci_guest_set_ops(t.vm1, &gops, NULL);
}

static void
teardown(void)
{
    pcie_fabric_unsubscribe(&sub);
    hvt_teardown(&t);
}

TestSuite(hv_vpci, .init = setup, .fini = teardown);

static struct hv_vpci_dev *
offer_vf(uint16_t i, const struct hv_vpci_offer_config *cfg)
{
    struct hv_vpci_dev *dev = NULL;
    struct sim_diag d = {0};
    struct hv_vpci_offer_config c;
    if (!cfg) {
        hv_vpci_offer_config_init(t.vm1, &c);
        c.removed = h_removed;
        c.serial = 40 + i;
        cfg = &c;
    }
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(i), cfg, &dev, &d), 0, "%s", d.reason);
    return dev;
}

static int
dma_byte(uint16_t rid, uint64_t gpa, uint8_t val)
{
    return pcie_dma_write(t.f, rid, gpa, &val, 1);
}

static uint8_t
vm_byte(struct hv_partition *p, uint64_t gpa)
{
    uint8_t b = 0;
    cr_assert_eq(hv_gpa_read(p, gpa, &b, 1), 0);
    return b;
}

Test(hv_vpci, arrival_after_the_offer_delay_exactly)
{
    sim_time_t t0 = sim_sched_now(t.s);
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_OFFERING);
    cr_assert_eq(hv_vpci_dev_rid(dev), hvt_vf_rid(0));
    cr_assert_eq(hv_vpci_dev_serial(dev), 40);
    cr_assert_eq(hv_vpci_dev_guest(dev), t.vm1);
    sim_sched_run(t.s, t0 + HV_VPCI_OFFER_DELAY_NS - 1);
    cr_assert_eq(v.arrivals, 0, "not a nanosecond early");
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.arrivals, 1);
    cr_assert_eq(v.t_arrival, t0 + SIM_SEC(1), "OpenVMM's 1 s offer delay");
    cr_assert_eq(v.dev, dev);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_PRESENT);
    cr_assert_eq(hv_vpci_dev_removal(dev), HV_VPCI_REMOVAL_NONE);
}

Test(hv_vpci, offer_delay_is_settable)
{
    struct hv_vpci_offer_config c;
    hv_vpci_offer_config_init(t.vm1, &c);
    cr_assert_eq(c.offer_delay_ns, HV_VPCI_OFFER_DELAY_NS);
    cr_assert_eq(c.eject_timeout_ns, HV_VPCI_EJECT_TIMEOUT_NS);
    c.offer_delay_ns = SIM_MSEC(100); /* OpenVMM under test */
    sim_time_t t0 = sim_sched_now(t.s);
    offer_vf(1, &c);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.t_arrival, t0 + SIM_MSEC(100));
    /* Per-partition default. */
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = 9;
    pc.mem_size = 64 * HV_PAGE_SIZE;
    pc.vpci_offer_delay_ns = SIM_MSEC(3);
    struct hv_partition *vm9;
    cr_assert_eq(hv_partition_create(t.s, t.f, &pc, &vm9, NULL), 0);
    hv_vpci_guest_set_ops(vm9, &gops, NULL);
    struct hv_vpci_dev *dev;
    t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vpci_offer(vm9, hvt_vf_rid(2), NULL, &dev, NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.arrivals, 2);
    cr_assert_eq(v.t_arrival, t0 + SIM_MSEC(3));
    hv_partition_destroy(vm9);
}

Test(hv_vpci, vf_dma_reaches_its_vm_from_offer_until_revoke)
{
    uint16_t rid = hvt_vf_rid(0);
    cr_assert_eq(dma_byte(rid, 0x5000, 1), SIM_EFAULT, "not assigned yet");
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    /* Attached at the offer: the host may set the VF up (queues in guest memory) before the
     * guest sees it. */
    cr_assert_eq(dma_byte(rid, 0x5000, 0xa1), 0);
    cr_assert_eq(vm_byte(t.vm1, 0x5000), 0xa1);
    cr_assert_eq(vm_byte(t.vm2, 0x5000), 0, "vm2 untouched");
    /* Beyond vm1's memory (vm2 has memory there): refused, nothing touched. */
    cr_assert_eq(dma_byte(rid, HVT_MEM + 0x5000, 0xa2), SIM_EFAULT);
    cr_assert_eq(vm_byte(t.vm2, HVT_MEM + 0x5000), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(dma_byte(rid, 0x5001, 0xa3), 0);
    hv_vpci_revoke(dev);
    cr_assert_eq(v.guest_removed, 1, "revoking a present device is a surprise to the guest");
    cr_assert_eq(v.guest_kind, HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_eq(v.host_removed, 0, "the host revoked: no host callback");
    uint64_t f0 = pcie_iommu_fault_count(t.f);
    cr_assert_eq(dma_byte(rid, 0x5002, 0xa4), SIM_EFAULT, "revoke detached the domain");
    cr_assert_eq(pcie_iommu_fault_count(t.f), f0 + 1);
    struct pcie_iommu_fault fl;
    cr_assert_eq(pcie_iommu_fault_get(t.f, 0, &fl), 0);
    cr_assert_eq(fl.rid, rid);
    cr_assert_eq(fl.reason, PCIE_FAULT_NO_CONTEXT);
    cr_assert_eq(vm_byte(t.vm1, 0x5002), 0);
    cr_assert_eq(pcie_fabric_fn_state(t.f, rid), PCIE_FN_READY, "the host keeps the VF");
    /* The VF can now be offered to vm2, whose memory it then reaches. */
    hv_vpci_guest_set_ops(t.vm2, &gops, NULL);
    struct hv_vpci_dev *d2;
    cr_assert_eq(hv_vpci_offer(t.vm2, rid, NULL, &d2, NULL), 0);
    cr_assert_eq(dma_byte(rid, 0x5000, 0xb1), 0);
    cr_assert_eq(vm_byte(t.vm2, 0x5000), 0xb1);
    cr_assert_eq(vm_byte(t.vm1, 0x5000), 0xa1);
}

Test(hv_vpci, graceful_eject_acknowledged)
{
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    sim_time_t t0 = sim_sched_now(t.s);
    struct sim_diag d = {0};
    cr_assert_eq(hv_vpci_eject(dev, -1, &d), 0, "%s", d.reason);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_EJECTING);
    cr_assert_eq(hv_vpci_eject(dev, -1, &d), SIM_ESTATE);
    cr_assert(strstr(d.reason, "ejecting") != NULL, "%s", d.reason);
    /* The guest hears about it one VPCI message latency later, lets go 2 ms after. */
    sim_sched_run(t.s, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_eq(v.eject_requests, 1);
    cr_assert_eq(v.t_eject_request, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_eq(dma_byte(hvt_vf_rid(0), 0x6000, 1), 0, "still assigned while ejecting");
    sim_sched_run(t.s, t0 + SIM_MSEC(2));
    cr_assert_eq(hv_vpci_eject_ack(dev), 0);
    cr_assert_eq(hv_vpci_eject_ack(dev), SIM_ESTATE);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_REMOVED);
    cr_assert_eq(hv_vpci_dev_removal(dev), HV_VPCI_REMOVAL_GRACEFUL);
    cr_assert_eq(v.guest_removed, 1);
    cr_assert_eq(v.guest_kind, HV_VPCI_REMOVAL_GRACEFUL);
    cr_assert_eq(v.host_removed, 1);
    cr_assert_eq(v.host_kind, HV_VPCI_REMOVAL_GRACEFUL);
    cr_assert_eq(v.t_host_removed, t0 + SIM_MSEC(2));
    cr_assert_eq(dma_byte(hvt_vf_rid(0), 0x6000, 2), SIM_EFAULT, "detached");
    cr_assert_eq(vm_byte(t.vm1, 0x6000), 1);
    cr_assert_eq(pcie_fabric_fn_state(t.f, hvt_vf_rid(0)), PCIE_FN_READY,
                 "graceful: the function stays on the host (FLR, FREE_VF follow)");
    cr_assert_eq(v.fabric_removed_events, 0);
    /* The timeout no longer fires. */
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.host_removed, 1);
    cr_assert_eq(hv_vpci_eject(dev, -1, NULL), SIM_ESTATE);
    hv_vpci_revoke(dev);
    cr_assert_eq(v.guest_removed, 1, "already removed: no second notification");
}

Test(hv_vpci, ack_from_inside_the_eject_request)
{
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    v.ack_in_request = true;
    sim_time_t t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vpci_eject(dev, SIM_SEC(10), NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.host_kind, HV_VPCI_REMOVAL_GRACEFUL);
    cr_assert_eq(v.t_host_removed, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_eq(sim_sched_now(t.s), t0 + HV_VMBUS_CONTROL_LATENCY_NS,
                 "the timeout was cancelled (the clock did not run to it)");
}

Test(hv_vpci, eject_timeout_becomes_surprise_removal_through_the_fabric)
{
    struct hv_vpci_dev *dev = offer_vf(1, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    sim_time_t t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vpci_eject(dev, -1, NULL), 0);
    /* The guest never answers. */
    sim_sched_run(t.s, t0 + HV_VPCI_EJECT_TIMEOUT_NS - 1);
    cr_assert_eq(v.eject_requests, 1);
    cr_assert_eq(v.guest_removed, 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.guest_removed, 1);
    cr_assert_eq(v.guest_kind, HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_eq(v.t_guest_removed, t0 + HV_VPCI_EJECT_TIMEOUT_NS);
    cr_assert(v.fabric_gone_in_removed, "the device was gone when the guest heard of it");
    cr_assert_eq(v.host_removed, 1);
    cr_assert_eq(v.host_kind, HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_eq(hv_vpci_dev_removal(dev), HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_eq(v.fabric_removed_events, 1);
    cr_assert(v.last_removed_surprise);
    cr_assert_eq(pcie_fabric_fn_state(t.f, hvt_vf_rid(1)), PCIE_FN_REMOVED);
    uint32_t val;
    cr_assert_eq(pcie_cfg_read(t.f, hvt_vf_rid(1), PCIE_CFG_COMMAND, 2, &val), SIM_ENODEV);
    cr_assert_eq(val, 0xffff, "reads all-ones");
    cr_assert_neq(dma_byte(hvt_vf_rid(1), 0x100, 1), 0);
    /* An ack after the timeout is too late. */
    cr_assert_eq(hv_vpci_eject_ack(dev), SIM_ESTATE);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_REMOVED);
}

Test(hv_vpci, eject_timeout_guest_only_keeps_the_function)
{
    struct hv_vpci_offer_config c;
    hv_vpci_offer_config_init(t.vm1, &c);
    c.timeout_action = HV_VPCI_TIMEOUT_GUEST_ONLY;
    c.eject_timeout_ns = SIM_MSEC(250);
    c.removed = h_removed;
    struct hv_vpci_dev *dev = offer_vf(2, &c);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    sim_time_t t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vpci_eject(dev, -1, NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.t_guest_removed, t0 + SIM_MSEC(250));
    cr_assert_eq(v.guest_kind, HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_not(v.fabric_gone_in_removed);
    cr_assert_eq(pcie_fabric_fn_state(t.f, hvt_vf_rid(2)), PCIE_FN_READY);
    cr_assert_eq(v.fabric_removed_events, 0);
    cr_assert_eq(dma_byte(hvt_vf_rid(2), 0x100, 1), SIM_EFAULT, "detached from the guest");
    /* An explicit eject timeout overrides the offer's. */
    hv_vpci_revoke(dev);
    dev = offer_vf(2, &c);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vpci_eject(dev, SIM_MSEC(7), NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.t_guest_removed, t0 + SIM_MSEC(7));
}

Test(hv_vpci, fabric_surprise_removal_reaches_the_guest)
{
    struct hv_vpci_dev *dev = offer_vf(3, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(pcie_fn_surprise_remove(t.f, hvt_vf_rid(3)), 0);
    cr_assert_eq(v.guest_removed, 1);
    cr_assert_eq(v.guest_kind, HV_VPCI_REMOVAL_SURPRISE);
    cr_assert_eq(v.host_removed, 1);
    cr_assert_eq(hv_vpci_dev_state(dev), HV_VPCI_REMOVED);
    /* While still offering, a removal withdraws silently from the guest (host is told). */
    struct hv_vpci_dev *d2 = offer_vf(0, NULL);
    cr_assert_eq(pcie_fn_surprise_remove(t.f, hvt_vf_rid(0)), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.arrivals, 1, "never arrived");
    cr_assert_eq(v.guest_removed, 1);
    cr_assert_eq(v.host_removed, 2);
    cr_assert_eq(hv_vpci_dev_state(d2), HV_VPCI_REMOVED);
    /* A removed function cannot be offered. */
    struct hv_vpci_dev *d3 = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(0), NULL, &d3, &d), SIM_ENODEV);
    cr_assert(strstr(d.reason, "removed") != NULL, "%s", d.reason);
}

Test(hv_vpci, revoke_while_offering_is_invisible_to_the_guest)
{
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    sim_sched_run(t.s, SIM_MSEC(500) + sim_sched_now(t.s));
    hv_vpci_revoke(dev);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.arrivals, 0);
    cr_assert_eq(v.guest_removed, 0);
    cr_assert_eq(dma_byte(hvt_vf_rid(0), 0x100, 1), SIM_EFAULT);
    hv_vpci_revoke(NULL);
}

Test(hv_vpci, revoke_from_inside_the_removed_callback)
{
    struct hv_vpci_dev *dev = offer_vf(0, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    v.revoke_in_remove = true;
    cr_assert_eq(hv_vpci_eject(dev, -1, NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER); /* timeout -> fabric removal -> removed -> revoke */
    cr_assert_eq(v.guest_removed, 1);
    cr_assert_eq(v.host_removed, 0, "revoked inside the guest callback: host not told");
    cr_assert_eq(sim_alloc_live(SIM_TAG(hv_vpci)), 0, "freed once the callbacks returned");
}

Test(hv_vpci, offer_errors_name_the_rule)
{
    struct hv_vpci_dev *dev = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(hv_vpci_offer(t.vm1, PCIE_RID(9, 0, 0), NULL, &dev, &d), SIM_ENODEV);
    cr_assert(strstr(d.reason, "09:00.0") != NULL, "%s", d.reason);
    offer_vf(0, NULL);
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(0), NULL, &dev, &d), SIM_EBUSY);
    cr_assert(strstr(d.reason, "already offered") != NULL, "%s", d.reason);
    cr_assert_eq(hv_vpci_offer(t.vm2, hvt_vf_rid(0), NULL, &dev, &d), SIM_EBUSY);
    cr_assert(strstr(d.reason, "another IOMMU domain") != NULL, "%s", d.reason);
    cr_assert_eq(hv_vpci_offer(t.root, hvt_vf_rid(1), NULL, &dev, &d), SIM_EINVAL);
    struct hv_vpci_offer_config c;
    hv_vpci_offer_config_init(t.vm1, &c);
    c.offer_delay_ns = -5;
    cr_assert_eq(hv_vpci_offer(t.vm1, hvt_vf_rid(1), &c, &dev, &d), SIM_EINVAL);
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.mem_size = 8 * HV_PAGE_SIZE;
    struct hv_partition *nofab;
    cr_assert_eq(hv_partition_create(t.s, NULL, &pc, &nofab, NULL), 0);
    cr_assert_eq(hv_vpci_offer(nofab, hvt_vf_rid(1), NULL, &dev, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "no fabric") != NULL, "%s", d.reason);
    hv_partition_destroy(nofab);
    cr_assert_null(dev);
    cr_assert_eq(hv_vpci_eject_ack(NULL), SIM_EINVAL);
    cr_assert_str_eq(hv_vpci_state_name(HV_VPCI_EJECTING), "ejecting");
    cr_assert_str_eq(hv_vpci_removal_name(HV_VPCI_REMOVAL_SURPRISE), "surprise");
}

Test(hv_vpci, oom_sweep_offer)
{
    long live0 = sim_alloc_live_total();
    int n;
    struct hv_vpci_dev *dev = NULL;
    for (n = 0; n < 16; n++) {
        struct sim_diag d = {0};
        sim_alloc_fail_nth(n);
        int err = hv_vpci_offer(t.vm1, hvt_vf_rid(0), NULL, &dev, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0)
            break;
        cr_assert_eq(err, SIM_ENOMEM, "n=%d", n);
        cr_assert(d.reason[0]);
        cr_assert_eq(sim_alloc_live_total(), live0, "n=%d leaked", n);
        cr_assert_eq(dma_byte(hvt_vf_rid(0), 0x100, 1), SIM_EFAULT, "n=%d left it attached", n);
    }
    cr_assert_lt(n, 16);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(v.arrivals, 1);
}

Test(hv_vpci, partition_teardown_frees_offered_devices)
{
    offer_vf(0, NULL);
    struct hv_vpci_dev *d1 = offer_vf(1, NULL);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(hv_vpci_eject(d1, -1, NULL), 0);
    /* hvt_teardown destroys vm1 with one present and one ejecting device: no leak, and the
     * pending timers never fire. */
}
