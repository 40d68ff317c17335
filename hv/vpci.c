/* SPDX-License-Identifier: MIT */
/*
 * vpci.c — virtual PCI: the root offers a PCIe function (a VF) to a guest partition, the guest
 * sees it arrive after an offer delay, the host asks the guest to eject it gracefully (the
 * guest acknowledges once its driver let go, or a timeout turns the eject into a surprise
 * removal), and the host revokes it. While the guest holds the device, its RID is attached to
 * the guest's IOMMU domain, so the device can DMA into that guest's memory and nowhere else.
 *
 * Windows / Hyper-V counterparts: the VPCI VSP (vpcivsp.sys, root) and the VPCI VSC (vpci.sys,
 * the guest's virtual PCI bus driver) talking over VMBus: the bus relations / "expose the VF"
 * message (ndis_sriov.md 7.2 step 6), the graceful-removal request with its timeout and the
 * fallback to surprise removal (ndis_sriov.md 7.3 step 0), and the hypervisor's device
 * assignment to the VM's DMA-remapping domain. The 1 s offer delay is OpenVMM's (peers.md 7).
 */
#include <string.h>

#include "hv/hv_int.h"

SIM_ALLOC_TAG_DEFINE(hv_vpci);

void
hv_vpci_offer_config_init(const struct hv_partition *guest, struct hv_vpci_offer_config *c)
{
    if (!c)
        return;
    memset(c, 0, sizeof(*c));
    c->offer_delay_ns = guest ? guest->cfg.vpci_offer_delay_ns : HV_VPCI_OFFER_DELAY_NS;
    c->eject_timeout_ns = guest ? guest->cfg.vpci_eject_timeout_ns : HV_VPCI_EJECT_TIMEOUT_NS;
    c->msg_latency_ns = guest ? guest->cfg.vmbus_control_latency_ns : HV_VMBUS_CONTROL_LATENCY_NS;
    c->timeout_action = HV_VPCI_TIMEOUT_FABRIC_REMOVE;
}

void
hv_vpci_guest_set_ops(struct hv_partition *guest, const struct hv_vpci_guest_ops *ops, void *ctx)
{
    if (!guest)
        return;
    if (ops)
        guest->vpci_ops = *ops;
    else
        memset(&guest->vpci_ops, 0, sizeof(guest->vpci_ops));
    guest->vpci_ctx = ctx;
}

const char *
hv_vpci_state_name(enum hv_vpci_state s)
{
    switch (s) {
    case HV_VPCI_OFFERING:
        return "offering";
    case HV_VPCI_PRESENT:
        return "present";
    case HV_VPCI_EJECTING:
        return "ejecting";
    case HV_VPCI_REMOVED:
        return "removed";
    }
    return "?";
}

const char *
hv_vpci_removal_name(enum hv_vpci_removal k)
{
    switch (k) {
    case HV_VPCI_REMOVAL_NONE:
        return "none";
    case HV_VPCI_REMOVAL_GRACEFUL:
        return "graceful";
    case HV_VPCI_REMOVAL_SURPRISE:
        return "surprise";
    }
    return "?";
}

static void
detach(struct hv_vpci_dev *dev)
{
    if (!dev->attached)
        return;
    dev->attached = false;
    /* pcie invalidates nothing on detach because its IOTLB is tagged by domain and the
     * context entry is gone: the RID's next DMA faults (NO_CONTEXT). */
    hv_partition_detach_rid(dev->guest, dev->rid);
}

static void
stop_timers(struct hv_vpci_dev *dev)
{
    sim_timer_stop(&dev->arrival_timer);
    sim_timer_stop(&dev->eject_msg_timer);
    sim_timer_stop(&dev->eject_timeout_timer);
}

static void
dev_free(struct hv_vpci_dev *dev)
{
    stop_timers(dev);
    detach(dev);
    for (struct hv_vpci_dev **pp = &dev->guest->vpci_devs; *pp; pp = &(*pp)->next)
        if (*pp == dev) {
            *pp = dev->next;
            break;
        }
    sim_free(dev);
}

/* Callback bracket: a revoke from inside a callback only marks the device; the outermost
 * bracket frees it. */
static void
cb_enter(struct hv_vpci_dev *dev)
{
    dev->cb_depth++;
}

static void
cb_leave(struct hv_vpci_dev *dev)
{
    if (--dev->cb_depth == 0 && dev->free_pending)
        dev_free(dev);
}

/* Removal bookkeeping, then the notifications (guest first if it had the device, then host).
 * Call inside a callback bracket. */
static void
remove_from_guest(struct hv_vpci_dev *dev, enum hv_vpci_removal kind)
{
    struct hv_partition *g = dev->guest;
    bool guest_had_it = dev->state == HV_VPCI_PRESENT || dev->state == HV_VPCI_EJECTING;
    char b[PCIE_RID_STRLEN];
    stop_timers(dev);
    detach(dev);
    dev->state = HV_VPCI_REMOVED;
    dev->removal = kind;
    SIM_DEBUG(hv, "%s: VPCI device %s removed (%s)", g->name,
              pcie_rid_format(dev->rid, b, sizeof(b)), hv_vpci_removal_name(kind));
    if (guest_had_it && g->vpci_ops.removed && !dev->free_pending)
        g->vpci_ops.removed(g->vpci_ctx, dev, kind);
    if (dev->cfg.removed && !dev->free_pending)
        dev->cfg.removed(dev->cfg.ctx, dev, kind);
}

static void
arrival_cb(struct sim_timer *t)
{
    struct hv_vpci_dev *dev = t->data;
    struct hv_partition *g = dev->guest;
    char b[PCIE_RID_STRLEN];
    dev->state = HV_VPCI_PRESENT;
    SIM_DEBUG(hv, "%s: VPCI device %s arrives (serial %u)", g->name,
              pcie_rid_format(dev->rid, b, sizeof(b)), dev->cfg.serial);
    if (!g->vpci_ops.arrival)
        return;
    cb_enter(dev);
    g->vpci_ops.arrival(g->vpci_ctx, dev);
    cb_leave(dev);
}

static void
eject_msg_cb(struct sim_timer *t)
{
    struct hv_vpci_dev *dev = t->data;
    struct hv_partition *g = dev->guest;
    if (dev->state != HV_VPCI_EJECTING || !g->vpci_ops.eject_request)
        return;
    cb_enter(dev);
    g->vpci_ops.eject_request(g->vpci_ctx, dev);
    cb_leave(dev);
}

static void
eject_timeout_cb(struct sim_timer *t)
{
    struct hv_vpci_dev *dev = t->data;
    struct hv_partition *g = dev->guest;
    char b[PCIE_RID_STRLEN];
    if (dev->state != HV_VPCI_EJECTING)
        return;
    SIM_INFO(hv, "%s: VPCI device %s: eject not acknowledged within %lld ns: surprise removal",
             g->name, pcie_rid_format(dev->rid, b, sizeof(b)),
             (long long)dev->cfg.eject_timeout_ns);
    cb_enter(dev);
    if (dev->cfg.timeout_action == HV_VPCI_TIMEOUT_FABRIC_REMOVE) {
        /* The device is gone before anyone hears about it (that is what "surprise" means):
         * the fabric emits FN_REMOVED to its subscribers (ours handles it below). */
        if (pcie_fn_surprise_remove(g->fabric, dev->rid) != 0 || dev->state != HV_VPCI_REMOVED)
            remove_from_guest(dev, HV_VPCI_REMOVAL_SURPRISE); /* function already absent */
    } else {
        remove_from_guest(dev, HV_VPCI_REMOVAL_SURPRISE);
    }
    cb_leave(dev);
}

void
hv__vpci_fabric_event(void *ctx, const struct pcie_event *ev)
{
    struct hv_partition *p = ctx;
    if (ev->type != PCIE_EV_FN_REMOVED)
        return;
    for (struct hv_vpci_dev *dev = p->vpci_devs; dev; dev = dev->next) {
        if (dev->rid != ev->rid || dev->state == HV_VPCI_REMOVED || dev->free_pending)
            continue;
        cb_enter(dev);
        remove_from_guest(dev, ev->surprise ? HV_VPCI_REMOVAL_SURPRISE : HV_VPCI_REMOVAL_GRACEFUL);
        cb_leave(dev);
        return; /* one live device per RID and partition */
    }
}

int
hv_vpci_offer(struct hv_partition *guest, uint16_t rid, const struct hv_vpci_offer_config *cfg,
              struct hv_vpci_dev **out, struct sim_diag *d)
{
    char b[PCIE_RID_STRLEN];
    pcie_rid_format(rid, b, sizeof(b));
    if (!guest || !out)
        return sim_diag_fail(d, SIM_EINVAL, "hv_vpci_offer: NULL argument");
    if (!guest->fabric)
        return sim_diag_fail(d, SIM_EINVAL, "VPCI offer of %s to %s: partition has no fabric", b,
                             guest->name);
    if (guest->kind != HV_PARTITION_GUEST)
        return sim_diag_fail(d, SIM_EINVAL, "VPCI offer of %s: %s is not a guest partition", b,
                             guest->name);
    struct hv_vpci_offer_config c;
    if (cfg)
        c = *cfg;
    else
        hv_vpci_offer_config_init(guest, &c);
    if (c.offer_delay_ns < 0 || c.eject_timeout_ns < 0 || c.msg_latency_ns < 0 ||
        (c.timeout_action != HV_VPCI_TIMEOUT_FABRIC_REMOVE &&
         c.timeout_action != HV_VPCI_TIMEOUT_GUEST_ONLY))
        return sim_diag_fail(d, SIM_EINVAL, "VPCI offer of %s to %s: negative delay or bad action",
                             b, guest->name);
    enum pcie_fn_state st = pcie_fabric_fn_state(guest->fabric, rid);
    if (st == PCIE_FN_ABSENT || st == PCIE_FN_REMOVED || st == PCIE_FN_UNREACHABLE)
        return sim_diag_fail(d, SIM_ENODEV, "VPCI offer of %s to %s: function is %s", b,
                             guest->name, pcie_fn_state_name(st));
    for (struct hv_vpci_dev *o = guest->vpci_devs; o; o = o->next)
        if (o->rid == rid && o->state != HV_VPCI_REMOVED && !o->free_pending)
            return sim_diag_fail(d, SIM_EBUSY, "VPCI offer of %s to %s: already offered (%s)", b,
                                 guest->name, hv_vpci_state_name(o->state));

    struct hv_vpci_dev *dev = sim_calloc(SIM_TAG(hv_vpci), 1, sizeof(*dev));
    if (!dev)
        return sim_diag_fail(d, SIM_ENOMEM, "VPCI offer of %s to %s: out of memory", b,
                             guest->name);
    dev->guest = guest;
    dev->rid = rid;
    dev->cfg = c;
    dev->state = HV_VPCI_OFFERING;
    sim_timer_init(guest->sched, &dev->arrival_timer, arrival_cb, dev);
    sim_timer_init(guest->sched, &dev->eject_msg_timer, eject_msg_cb, dev);
    sim_timer_init(guest->sched, &dev->eject_timeout_timer, eject_timeout_cb, dev);

    /* Device assignment: the function's DMA now lands in this guest's memory (GPA = IOVA). */
    int err = hv_partition_attach_rid(guest, rid, d);
    if (err)
        goto fail_free;
    dev->attached = true;
    err = sim_timer_start(&dev->arrival_timer, c.offer_delay_ns);
    if (err) {
        sim_diag_fail(d, err, "VPCI offer of %s to %s: cannot schedule the arrival", b,
                      guest->name);
        goto fail_detach;
    }
    dev->next = guest->vpci_devs;
    guest->vpci_devs = dev;
    SIM_DEBUG(hv, "%s: VPCI offer of %s (arrival in %lld ns)", guest->name, b,
              (long long)c.offer_delay_ns);
    *out = dev;
    return 0;

fail_detach:
    hv_partition_detach_rid(guest, rid);
fail_free:
    sim_free(dev);
    return err;
}

int
hv_vpci_eject(struct hv_vpci_dev *dev, sim_time_t timeout_ns, struct sim_diag *d)
{
    if (!dev)
        return sim_diag_fail(d, SIM_EINVAL, "hv_vpci_eject: NULL device");
    char b[PCIE_RID_STRLEN];
    pcie_rid_format(dev->rid, b, sizeof(b));
    if (dev->state != HV_VPCI_PRESENT || dev->free_pending)
        return sim_diag_fail(d, SIM_ESTATE,
                             "VPCI eject of %s from %s: device is %s (eject needs a present "
                             "device; revoke withdraws an offer)",
                             b, dev->guest->name, hv_vpci_state_name(dev->state));
    sim_time_t t = timeout_ns < 0 ? dev->cfg.eject_timeout_ns : timeout_ns;
    int err = sim_timer_start(&dev->eject_timeout_timer, t);
    if (err == 0)
        err = sim_timer_start(&dev->eject_msg_timer, dev->cfg.msg_latency_ns);
    if (err) {
        sim_timer_stop(&dev->eject_timeout_timer);
        return sim_diag_fail(d, err, "VPCI eject of %s: cannot schedule (out of memory)", b);
    }
    dev->state = HV_VPCI_EJECTING;
    SIM_DEBUG(hv, "%s: VPCI eject of %s requested (timeout %lld ns)", dev->guest->name, b,
              (long long)t);
    return 0;
}

int
hv_vpci_eject_ack(struct hv_vpci_dev *dev)
{
    if (!dev)
        return SIM_EINVAL;
    if (dev->state != HV_VPCI_EJECTING || dev->free_pending)
        return SIM_ESTATE;
    cb_enter(dev);
    remove_from_guest(dev, HV_VPCI_REMOVAL_GRACEFUL);
    cb_leave(dev);
    return 0;
}

void
hv_vpci_revoke(struct hv_vpci_dev *dev)
{
    if (!dev || dev->free_pending)
        return;
    struct hv_partition *g = dev->guest;
    bool guest_had_it = dev->state == HV_VPCI_PRESENT || dev->state == HV_VPCI_EJECTING;
    stop_timers(dev);
    detach(dev);
    if (guest_had_it) {
        /* Taken away without the guest's consent: a surprise removal from its point of view. */
        dev->state = HV_VPCI_REMOVED;
        dev->removal = HV_VPCI_REMOVAL_SURPRISE;
        if (g->vpci_ops.removed) {
            dev->cb_depth++;
            g->vpci_ops.removed(g->vpci_ctx, dev, HV_VPCI_REMOVAL_SURPRISE);
            dev->cb_depth--;
        }
    }
    if (dev->cb_depth > 0) {
        dev->free_pending = true; /* inside one of its callbacks: the bracket frees it */
        return;
    }
    dev_free(dev);
}

void
hv__vpci_partition_fini(struct hv_partition *p)
{
    while (p->vpci_devs)
        dev_free(p->vpci_devs);
}

enum hv_vpci_state
hv_vpci_dev_state(const struct hv_vpci_dev *dev)
{
    return dev ? dev->state : HV_VPCI_REMOVED;
}

enum hv_vpci_removal
hv_vpci_dev_removal(const struct hv_vpci_dev *dev)
{
    return dev ? dev->removal : HV_VPCI_REMOVAL_NONE;
}

uint16_t
hv_vpci_dev_rid(const struct hv_vpci_dev *dev)
{
    return dev ? dev->rid : 0;
}

uint32_t
hv_vpci_dev_serial(const struct hv_vpci_dev *dev)
{
    return dev ? dev->cfg.serial : 0;
}

struct hv_partition *
hv_vpci_dev_guest(const struct hv_vpci_dev *dev)
{
    return dev ? dev->guest : NULL;
}
