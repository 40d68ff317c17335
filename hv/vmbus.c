/* SPDX-License-Identifier: MIT */
/*
 * vmbus.c — VMBus channels: offer by a VSP in the root partition, open by the VSC in the guest,
 * two ring buffers in guest memory (outbound guest->host, inbound host->guest), signalling with
 * the ring's interrupt mask, the send buffer / receive buffer with fixed-size sections lent to
 * the peer until a completion returns them, close and rescind.
 *
 * Windows / Hyper-V counterparts: vmbus.sys / vmbkmcl (the VMBus kernel-mode client library:
 * VmbChannelAllocate, VmbChannelEnable, VmbPacketSend, the EvtVmbChannelProcessPacket
 * callback, VmbChannelPacketComplete), CHANNELMSG_OFFERCHANNEL / OPENCHANNEL / CLOSECHANNEL /
 * RESCIND_CHANNELOFFER, the hv_ring_buffer's interrupt_mask, and NetVSC's send/receive buffer
 * GPADLs with their sections (Linux hv_netvsc: NETVSC_SEND_SECTION_SIZE,
 * NETVSC_RECV_SECTION_SIZE). Real VMBus packets are variable-length; ours are fixed 64-byte
 * records carried in 8 slots of a sim_ring, which keeps the ring the project's one lock-free
 * primitive.
 *
 * Threads: control functions run on the loop thread; hv_vmbus_ep_* run on the endpoint owner's
 * thread. The only state both data-path threads touch is the two rings (sim_ring's contract),
 * the sections' bytes (handed over by the ring's release/acquire pairs: the sender writes a
 * section before publishing the message, the peer reads it after taking the message, and the
 * section returns only through a completion going the other way), each endpoint's `masked`
 * flag, and `rescinded`.
 */
#include <string.h>

#include "hv/hv_int.h"

SIM_ALLOC_TAG_DEFINE(hv_vmbus);

#define SLOTS_PER_MSG (HV_VMBUS_MSG_SIZE / sizeof(uint64_t))
#define RECV_CHUNK    16u

_Static_assert(sizeof(struct hv_vmbus_msg) == HV_VMBUS_MSG_SIZE, "a message is 8 ring slots");

void
hv_vmbus_open_config_init(struct hv_vmbus_open_config *c)
{
    if (!c)
        return;
    c->ring_msgs = HV_VMBUS_RING_MSGS_DEFAULT;
    c->send_sections = HV_VMBUS_SEND_SECTIONS_DEFAULT;
    c->send_section_size = HV_VMBUS_SEND_SECTION_SIZE;
    c->recv_sections = HV_VMBUS_RECV_SECTIONS_DEFAULT;
    c->recv_section_size = HV_VMBUS_RECV_SECTION_SIZE;
}

static uint64_t
page_round(uint64_t n)
{
    return (n + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE * HV_PAGE_SIZE;
}

/* ------------------------------------------------------------------------------------------ */
/* Drivers and offers.                                                                          */
/* ------------------------------------------------------------------------------------------ */

static struct hv_vmbus_driver *
find_driver(struct hv_partition *p, const char *type)
{
    for (int i = 0; i < HV_VMBUS_DRIVERS_MAX; i++)
        if (p->drivers[i].type[0] && strcmp(p->drivers[i].type, type) == 0)
            return &p->drivers[i];
    return NULL;
}

static bool
rescinded(const struct hv_vmbus_channel *ch)
{
    /* Acquire; partner: the release store in hv_vmbus_channel_rescind. */
    return atomic_load_explicit(&ch->rescinded, memory_order_acquire);
}

/* CHANNELMSG_OFFERCHANNEL reaches the guest's driver for the type. */
static void
offer_cb(struct sim_timer *t)
{
    struct hv_vmbus_channel *ch = t->data;
    struct hv_vmbus_driver *drv = find_driver(ch->guest, ch->type);
    if (!drv || rescinded(ch) || ch->offer_delivered)
        return;
    ch->offer_delivered = true;
    SIM_DEBUG(hv, "%s: channel %s%u offered to its driver", ch->guest->name, ch->type,
              ch->instance);
    if (drv->ops.offer)
        drv->ops.offer(drv->ctx, ch); /* last: the driver may open, close or destroy */
}

/* Deliver the offer to a registered driver after the control latency, if not done yet. */
static int
schedule_offer(struct hv_vmbus_channel *ch)
{
    if (ch->offer_delivered || rescinded(ch) || sim_timer_is_pending(&ch->offer_timer) ||
        !find_driver(ch->guest, ch->type))
        return 0;
    return sim_timer_start(&ch->offer_timer, ch->control_latency_ns);
}

int
hv_vmbus_driver_register(struct hv_partition *guest, const char *type,
                         const struct hv_vmbus_driver_ops *ops, void *ctx)
{
    if (!guest || !type || !type[0] || strlen(type) >= HV_VMBUS_TYPE_MAX || !ops)
        return SIM_EINVAL;
    if (find_driver(guest, type))
        return SIM_EEXIST;
    struct hv_vmbus_driver *slot = NULL;
    for (int i = 0; i < HV_VMBUS_DRIVERS_MAX && !slot; i++)
        if (!guest->drivers[i].type[0])
            slot = &guest->drivers[i];
    if (!slot)
        return SIM_ENOSPC;
    snprintf(slot->type, sizeof(slot->type), "%s", type);
    slot->ops = *ops;
    slot->ctx = ctx;
    for (struct hv_vmbus_channel *ch = guest->guest_channels; ch; ch = ch->guest_next) {
        if (strcmp(ch->type, type) != 0)
            continue;
        int err = schedule_offer(ch);
        if (err) {
            hv_vmbus_driver_unregister(guest, type);
            return err;
        }
    }
    return 0;
}

int
hv_vmbus_driver_unregister(struct hv_partition *guest, const char *type)
{
    if (!guest || !type)
        return SIM_EINVAL;
    struct hv_vmbus_driver *drv = find_driver(guest, type);
    if (!drv)
        return SIM_ENOENT;
    memset(drv, 0, sizeof(*drv));
    for (struct hv_vmbus_channel *ch = guest->guest_channels; ch; ch = ch->guest_next)
        if (strcmp(ch->type, type) == 0)
            sim_timer_stop(&ch->offer_timer); /* stays pending until a driver registers */
    return 0;
}

static void irq_cb(struct sim_timer *t);

static void
opened_cb(struct sim_timer *t)
{
    struct hv_vmbus_channel *ch = t->data;
    ch->opened_delivered = true;
    SIM_DEBUG(hv, "%s: channel %s%u opened by the guest", ch->host->name, ch->type, ch->instance);
    if (ch->host_ops.opened)
        ch->host_ops.opened(ch->host_ctx, ch);
}

static void
closed_cb(struct sim_timer *t)
{
    struct hv_vmbus_channel *ch = t->data;
    SIM_DEBUG(hv, "%s: channel %s%u closed by the guest", ch->host->name, ch->type, ch->instance);
    if (ch->host_ops.closed)
        ch->host_ops.closed(ch->host_ctx, ch);
}

static void
rescind_cb(struct sim_timer *t)
{
    struct hv_vmbus_channel *ch = t->data;
    struct hv_vmbus_driver *drv = find_driver(ch->guest, ch->type);
    SIM_DEBUG(hv, "%s: channel %s%u rescinded by the host", ch->guest->name, ch->type,
              ch->instance);
    if (drv && drv->ops.rescind)
        drv->ops.rescind(drv->ctx, ch);
}

int
hv_vmbus_offer(struct hv_partition *host, struct hv_partition *guest,
               const struct hv_vmbus_offer_config *cfg, struct hv_vmbus_channel **out,
               struct sim_diag *d)
{
    if (!host || !guest || !cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "hv_vmbus_offer: NULL argument");
    if (host->kind != HV_PARTITION_ROOT)
        return sim_diag_fail(d, SIM_EINVAL,
                             "vmbus offer: %s is not a root partition (only the root offers "
                             "channels)",
                             host->name);
    if (guest->kind != HV_PARTITION_GUEST)
        return sim_diag_fail(d, SIM_EINVAL, "vmbus offer: %s is not a guest partition",
                             guest->name);
    if (host->sched != guest->sched)
        return sim_diag_fail(d, SIM_EINVAL, "vmbus offer: %s and %s run on different schedulers",
                             host->name, guest->name);
    if (!cfg->type || !cfg->type[0] || strlen(cfg->type) >= HV_VMBUS_TYPE_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "vmbus offer to %s: channel type must be 1..%d chars",
                             guest->name, HV_VMBUS_TYPE_MAX - 1);
    if (cfg->signal != HV_VMBUS_SIGNAL_SCHED && cfg->signal != HV_VMBUS_SIGNAL_POLL &&
        cfg->signal != HV_VMBUS_SIGNAL_DIRECT)
        return sim_diag_fail(d, SIM_EINVAL, "vmbus offer to %s: unknown signal mode %d",
                             guest->name, (int)cfg->signal);
    for (struct hv_vmbus_channel *c = guest->guest_channels; c; c = c->guest_next)
        if (strcmp(c->type, cfg->type) == 0 && c->instance == cfg->instance)
            return sim_diag_fail(d, SIM_EEXIST, "vmbus offer: %s already has channel %s%u",
                                 guest->name, cfg->type, cfg->instance);

    /* The endpoints are cache-line aligned: align the block by hand (sim_alloc gives 16). */
    void *base = sim_alloc(SIM_TAG(hv_vmbus), sizeof(struct hv_vmbus_channel) + 63);
    if (!base)
        return sim_diag_fail(d, SIM_ENOMEM, "vmbus offer to %s: out of memory", guest->name);
    uintptr_t a = ((uintptr_t)base + 63) & ~(uintptr_t)63;
    struct hv_vmbus_channel *ch = (struct hv_vmbus_channel *)a;
    memset(ch, 0, sizeof(*ch));
    ch->alloc_base = base;
    ch->host = host;
    ch->guest = guest;
    snprintf(ch->type, sizeof(ch->type), "%s", cfg->type);
    ch->instance = cfg->instance;
    ch->state = HV__CHAN_CLOSED;
    atomic_init(&ch->rescinded, false);
    ch->signal = cfg->signal;
    ch->signal_latency_ns = guest->cfg.vmbus_signal_latency_ns;
    ch->control_latency_ns = guest->cfg.vmbus_control_latency_ns;
    if (cfg->host_ops)
        ch->host_ops = *cfg->host_ops;
    ch->host_ctx = cfg->host_ctx;
    if (cfg->drops) {
        ch->drops = *cfg->drops;
        ch->has_drops = true;
    }
    for (int s = 0; s < 2; s++) {
        struct hv_vmbus_ep *ep = &ch->ep[s];
        ep->ch = ch;
        ep->peer = &ch->ep[1 - s];
        ep->side = (enum hv_vmbus_side)s;
        atomic_init(&ep->masked, 0u);
        sim_timer_init(guest->sched, &ep->irq_timer, irq_cb, ep);
        snprintf(ep->where, sizeof(ep->where), "%s.vmbus.%s%u %s", guest->name, ch->type,
                 ch->instance, s == HV_VMBUS_GUEST ? "guest->host" : "host->guest");
    }
    sim_timer_init(guest->sched, &ch->offer_timer, offer_cb, ch);
    sim_timer_init(guest->sched, &ch->opened_timer, opened_cb, ch);
    sim_timer_init(guest->sched, &ch->closed_timer, closed_cb, ch);
    sim_timer_init(guest->sched, &ch->rescind_timer, rescind_cb, ch);

    int err = schedule_offer(ch);
    if (err) {
        sim_free(base);
        return sim_diag_fail(d, err, "vmbus offer to %s: cannot schedule the offer message",
                             guest->name);
    }
    ch->guest_next = guest->guest_channels;
    guest->guest_channels = ch;
    ch->host_next = host->host_channels;
    host->host_channels = ch;
    SIM_DEBUG(hv, "%s: offers channel %s%u to %s", host->name, ch->type, ch->instance, guest->name);
    *out = ch;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Open / close / rescind / destroy.                                                            */
/* ------------------------------------------------------------------------------------------ */

static int
check_open_config(const struct hv_vmbus_channel *ch, const struct hv_vmbus_open_config *c,
                  struct sim_diag *d)
{
    const char *g = ch->guest->name;
    if (c->ring_msgs < 2 || c->ring_msgs > HV_VMBUS_RING_MSGS_MAX ||
        (c->ring_msgs & (c->ring_msgs - 1)) != 0)
        return sim_diag_fail(d, SIM_EINVAL,
                             "%s: channel %s%u: ring_msgs %u must be a power of two in [2, %u]", g,
                             ch->type, ch->instance, c->ring_msgs, HV_VMBUS_RING_MSGS_MAX);
    if (c->send_sections > HV_VMBUS_SECTIONS_MAX || c->recv_sections > HV_VMBUS_SECTIONS_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "%s: channel %s%u: more than %u sections", g, ch->type,
                             ch->instance, HV_VMBUS_SECTIONS_MAX);
    if ((c->send_sections && !c->send_section_size) || (c->recv_sections && !c->recv_section_size))
        return sim_diag_fail(d, SIM_EINVAL, "%s: channel %s%u: section size 0", g, ch->type,
                             ch->instance);
    uint64_t total = (uint64_t)c->send_sections * c->send_section_size +
                     (uint64_t)c->recv_sections * c->recv_section_size;
    if (total > ch->guest->mem_size)
        return sim_diag_fail(d, SIM_ENOSPC,
                             "%s: channel %s%u: buffers of %llu bytes exceed guest memory", g,
                             ch->type, ch->instance, (unsigned long long)total);
    return 0;
}

static void
ep_setup(struct hv_vmbus_ep *ep, struct sim_ring *tx, struct sim_ring *rx, struct hv__buf own,
         struct hv__buf peer, uint32_t *stack, uint8_t *busy)
{
    ep->tx = tx;
    ep->rx = rx;
    ep->own = own;
    ep->peer_buf = peer;
    ep->free_stack = stack;
    ep->busy = busy;
    /* Pop order 0, 1, 2, ...: section 0 is taken first. */
    for (uint32_t i = 0; i < own.sections; i++) {
        stack[i] = own.sections - 1 - i;
        busy[i] = HV__SEC_FREE;
    }
    ep->free_top = own.sections;
    atomic_store_explicit(&ep->masked, 0u, memory_order_relaxed);
}

int
hv_vmbus_channel_open(struct hv_vmbus_channel *ch, const struct hv_vmbus_open_config *cfg,
                      const struct hv_vmbus_ep_ops *guest_ops, void *guest_ctx, struct sim_diag *d)
{
    if (!ch || !cfg)
        return sim_diag_fail(d, SIM_EINVAL, "hv_vmbus_channel_open: NULL argument");
    struct hv_partition *g = ch->guest;
    if (rescinded(ch))
        return sim_diag_fail(d, SIM_ESTATE, "%s: channel %s%u was rescinded by the host", g->name,
                             ch->type, ch->instance);
    if (ch->state == HV__CHAN_OPEN)
        return sim_diag_fail(d, SIM_ESTATE, "%s: channel %s%u is already open", g->name, ch->type,
                             ch->instance);
    int err = check_open_config(ch, cfg, d);
    if (err)
        return err;

    size_t ring_bytes;
    err = sim_ring_memsize(cfg->ring_msgs * (unsigned)SLOTS_PER_MSG, &ring_bytes);
    if (err)
        return sim_diag_fail(d, err, "%s: channel %s%u: bad ring size", g->name, ch->type,
                             ch->instance);
    ring_bytes = (ring_bytes + 63) & ~(size_t)63;
    uint64_t ring_len = page_round(2 * (uint64_t)ring_bytes);
    uint64_t send_len = page_round((uint64_t)cfg->send_sections * cfg->send_section_size);
    uint64_t recv_len = page_round((uint64_t)cfg->recv_sections * cfg->recv_section_size);
    uint64_t ring_gpa = 0, send_gpa = 0, recv_gpa = 0;

    /* The ring-buffer GPADL, then the send and receive buffer GPADLs, all in guest memory. */
    err = hv_gpa_alloc(g, ring_len, HV_PAGE_SIZE, &ring_gpa, d);
    if (err)
        return err;
    if (send_len) {
        err = hv_gpa_alloc(g, send_len, HV_PAGE_SIZE, &send_gpa, d);
        if (err)
            goto fail_free_ring;
    }
    if (recv_len) {
        err = hv_gpa_alloc(g, recv_len, HV_PAGE_SIZE, &recv_gpa, d);
        if (err)
            goto fail_free_send;
    }
    size_t nsec = (size_t)cfg->send_sections + cfg->recv_sections;
    void *ep_mem = NULL;
    if (nsec) {
        ep_mem = sim_alloc(SIM_TAG(hv_vmbus), nsec * (sizeof(uint32_t) + 1));
        if (!ep_mem) {
            err = sim_diag_fail(d, SIM_ENOMEM, "%s: channel %s%u: out of memory", g->name, ch->type,
                                ch->instance);
            goto fail_free_recv;
        }
    }
    /* The host learns about the open through a message: arm it before committing. */
    err = sim_timer_start(&ch->opened_timer, ch->control_latency_ns);
    if (err) {
        sim_diag_fail(d, err, "%s: channel %s%u: cannot schedule the open message", g->name,
                      ch->type, ch->instance);
        goto fail_free_ep_mem;
    }

    uint8_t *ring_mem = hv_gpa_to_host(g, ring_gpa, ring_len);
    struct sim_ring *outbound = (struct sim_ring *)(void *)ring_mem;
    struct sim_ring *inbound = (struct sim_ring *)(void *)(ring_mem + ring_bytes);
    unsigned slots = cfg->ring_msgs * (unsigned)SLOTS_PER_MSG;
    if (sim_ring_init(outbound, slots) != 0 || sim_ring_init(inbound, slots) != 0) {
        sim_timer_stop(&ch->opened_timer);
        err = sim_diag_fail(d, SIM_EINTERNAL, "%s: channel %s%u: ring init failed", g->name,
                            ch->type, ch->instance);
        goto fail_free_ep_mem;
    }
    struct hv__buf send = {send_len ? hv_gpa_to_host(g, send_gpa, send_len) : NULL,
                           cfg->send_sections, cfg->send_sections ? cfg->send_section_size : 0};
    struct hv__buf recv = {recv_len ? hv_gpa_to_host(g, recv_gpa, recv_len) : NULL,
                           cfg->recv_sections, cfg->recv_sections ? cfg->recv_section_size : 0};
    uint32_t *stacks = ep_mem;
    uint8_t *busy = (uint8_t *)(stacks + nsec);
    ep_setup(&ch->ep[HV_VMBUS_GUEST], outbound, inbound, send, recv, stacks, busy);
    ep_setup(&ch->ep[HV_VMBUS_HOST], inbound, outbound, recv, send, stacks + cfg->send_sections,
             busy + cfg->send_sections);
    hv_vmbus_ep_set_ops(&ch->ep[HV_VMBUS_GUEST], guest_ops, guest_ctx);

    ch->open_cfg = *cfg;
    ch->ring_gpa = ring_gpa;
    ch->ring_len = ring_len;
    ch->send_gpa = send_gpa;
    ch->send_len = send_len;
    ch->recv_gpa = recv_gpa;
    ch->recv_len = recv_len;
    ch->ep_mem = ep_mem;
    ch->opened_delivered = false;
    ch->state = HV__CHAN_OPEN;
    SIM_DEBUG(hv,
              "%s: opens channel %s%u: rings at GPA 0x%llx (%u msgs each), send buffer %u x "
              "%u, receive buffer %u x %u",
              g->name, ch->type, ch->instance, (unsigned long long)ring_gpa, cfg->ring_msgs,
              cfg->send_sections, cfg->send_section_size, cfg->recv_sections,
              cfg->recv_section_size);
    return 0;

fail_free_ep_mem:
    sim_free(ep_mem);
fail_free_recv:
    if (recv_gpa)
        hv_gpa_free(g, recv_gpa);
fail_free_send:
    if (send_gpa)
        hv_gpa_free(g, send_gpa);
fail_free_ring:
    hv_gpa_free(g, ring_gpa);
    return err;
}

/* Discard what is left in ep's send ring; frames are reported lost (PATH_INACTIVE). */
static void
drain_at_close(struct hv_vmbus_ep *ep)
{
    struct hv_vmbus_channel *ch = ep->ch;
    uint64_t raw[SLOTS_PER_MSG];
    /* The peer's consumer role is ours now: both data-path threads are quiescent. */
    while (sim_ring_sc_dequeue_bulk(ep->tx, raw, SLOTS_PER_MSG) == SLOTS_PER_MSG) {
        struct hv_vmbus_msg m;
        memcpy(&m, raw, sizeof(m));
        ep->stats.dropped_at_close++;
        if ((m.flags & HV_VMBUS_MSG_F_COMPLETION) || m.section == HV_VMBUS_NO_SECTION || m.len == 0)
            continue;
        const void *frame = NULL;
        if (m.section < ep->own.sections && m.len <= ep->own.section_size)
            frame = ep->own.base + (size_t)m.section * ep->own.section_size;
        sim_drop_report(ch->has_drops ? &ch->drops : NULL, SIM_DROP_PATH_INACTIVE, ep->where, m.xid,
                        frame, frame ? m.len : 0);
    }
}

static void
close_channel(struct hv_vmbus_channel *ch, bool notify)
{
    struct hv_partition *g = ch->guest;
    bool host_knew = ch->opened_delivered;
    sim_timer_stop(&ch->opened_timer);
    for (int s = 0; s < 2; s++) {
        sim_timer_stop(&ch->ep[s].irq_timer);
        drain_at_close(&ch->ep[s]);
    }
    for (int s = 0; s < 2; s++) {
        struct hv_vmbus_ep *ep = &ch->ep[s];
        if (s == 0) {
            sim_ring_fini(ep->tx);
            sim_ring_fini(ep->rx);
        }
        ep->tx = ep->rx = NULL;
        memset(&ep->own, 0, sizeof(ep->own));
        memset(&ep->peer_buf, 0, sizeof(ep->peer_buf));
        ep->free_stack = NULL;
        ep->busy = NULL;
        ep->free_top = 0;
    }
    sim_free(ch->ep_mem);
    ch->ep_mem = NULL;
    if (ch->recv_gpa)
        hv_gpa_free(g, ch->recv_gpa);
    if (ch->send_gpa)
        hv_gpa_free(g, ch->send_gpa);
    hv_gpa_free(g, ch->ring_gpa);
    ch->ring_gpa = ch->ring_len = ch->send_gpa = ch->send_len = ch->recv_gpa = ch->recv_len = 0;
    ch->state = HV__CHAN_CLOSED;
    ch->opened_delivered = false;
    if (notify && host_knew && sim_timer_start(&ch->closed_timer, ch->control_latency_ns) != 0)
        SIM_WARN(hv, "%s: channel %s%u: close message lost (out of memory)", g->name, ch->type,
                 ch->instance);
}

int
hv_vmbus_channel_close(struct hv_vmbus_channel *ch)
{
    if (!ch)
        return SIM_EINVAL;
    if (ch->state != HV__CHAN_OPEN)
        return SIM_ESTATE;
    SIM_DEBUG(hv, "%s: closes channel %s%u", ch->guest->name, ch->type, ch->instance);
    close_channel(ch, true);
    return 0;
}

int
hv_vmbus_channel_rescind(struct hv_vmbus_channel *ch)
{
    if (!ch)
        return SIM_EINVAL;
    if (rescinded(ch))
        return SIM_ESTATE;
    /* Release; partner: the acquire loads in rescinded(), on either data-path thread. */
    atomic_store_explicit(&ch->rescinded, true, memory_order_release);
    SIM_DEBUG(hv, "%s: rescinds channel %s%u", ch->host->name, ch->type, ch->instance);
    if (sim_timer_stop(&ch->offer_timer) || !ch->offer_delivered)
        return 0; /* the guest never saw the offer: withdrawn silently */
    if (sim_timer_start(&ch->rescind_timer, ch->control_latency_ns) != 0)
        SIM_WARN(hv, "%s: channel %s%u: rescind message lost (out of memory)", ch->guest->name,
                 ch->type, ch->instance);
    return 0;
}

void
hv_vmbus_channel_destroy(struct hv_vmbus_channel *ch)
{
    if (!ch)
        return;
    if (ch->state == HV__CHAN_OPEN)
        close_channel(ch, false);
    sim_timer_stop(&ch->offer_timer);
    sim_timer_stop(&ch->opened_timer);
    sim_timer_stop(&ch->closed_timer);
    sim_timer_stop(&ch->rescind_timer);
    for (struct hv_vmbus_channel **pp = &ch->guest->guest_channels; *pp; pp = &(*pp)->guest_next)
        if (*pp == ch) {
            *pp = ch->guest_next;
            break;
        }
    for (struct hv_vmbus_channel **pp = &ch->host->host_channels; *pp; pp = &(*pp)->host_next)
        if (*pp == ch) {
            *pp = ch->host_next;
            break;
        }
    sim_free(ch->alloc_base);
}

void
hv__vmbus_partition_fini(struct hv_partition *p)
{
    while (p->guest_channels)
        hv_vmbus_channel_destroy(p->guest_channels);
    while (p->host_channels)
        hv_vmbus_channel_destroy(p->host_channels);
}

/* ------------------------------------------------------------------------------------------ */
/* Accessors and settings.                                                                      */
/* ------------------------------------------------------------------------------------------ */

bool
hv_vmbus_channel_is_open(const struct hv_vmbus_channel *ch)
{
    return ch && ch->state == HV__CHAN_OPEN;
}

bool
hv_vmbus_channel_is_rescinded(const struct hv_vmbus_channel *ch)
{
    return ch && rescinded(ch);
}

const char *
hv_vmbus_channel_type(const struct hv_vmbus_channel *ch)
{
    return ch ? ch->type : "?";
}

uint32_t
hv_vmbus_channel_instance(const struct hv_vmbus_channel *ch)
{
    return ch ? ch->instance : 0;
}

struct hv_partition *
hv_vmbus_channel_guest(const struct hv_vmbus_channel *ch)
{
    return ch ? ch->guest : NULL;
}

struct hv_partition *
hv_vmbus_channel_host(const struct hv_vmbus_channel *ch)
{
    return ch ? ch->host : NULL;
}

int
hv_vmbus_channel_info(const struct hv_vmbus_channel *ch, struct hv_vmbus_channel_info *out)
{
    if (!ch || !out)
        return SIM_EINVAL;
    memset(out, 0, sizeof(*out));
    out->ring_gpa = ch->ring_gpa;
    out->ring_len = ch->ring_len;
    out->send_gpa = ch->send_gpa;
    out->send_len = ch->send_len;
    out->recv_gpa = ch->recv_gpa;
    out->recv_len = ch->recv_len;
    out->ring_msgs = ch->state == HV__CHAN_OPEN ? ch->open_cfg.ring_msgs : 0;
    return 0;
}

int
hv_vmbus_channel_set_signal(struct hv_vmbus_channel *ch, enum hv_vmbus_signal_mode mode,
                            sim_time_t latency_ns)
{
    if (!ch || latency_ns < 0 ||
        (mode != HV_VMBUS_SIGNAL_SCHED && mode != HV_VMBUS_SIGNAL_POLL &&
         mode != HV_VMBUS_SIGNAL_DIRECT))
        return SIM_EINVAL;
    ch->signal = mode;
    ch->signal_latency_ns = latency_ns;
    return 0;
}

int
hv_vmbus_channel_set_control_latency(struct hv_vmbus_channel *ch, sim_time_t latency_ns)
{
    if (!ch || latency_ns < 0)
        return SIM_EINVAL;
    ch->control_latency_ns = latency_ns;
    return 0;
}

void
hv_vmbus_channel_set_data(struct hv_vmbus_channel *ch, enum hv_vmbus_side side, void *data)
{
    if (ch && (side == HV_VMBUS_GUEST || side == HV_VMBUS_HOST))
        ch->ep[side].data = data;
}

void *
hv_vmbus_channel_data(const struct hv_vmbus_channel *ch, enum hv_vmbus_side side)
{
    if (ch && (side == HV_VMBUS_GUEST || side == HV_VMBUS_HOST))
        return ch->ep[side].data;
    return NULL;
}

struct hv_vmbus_ep *
hv_vmbus_channel_ep(struct hv_vmbus_channel *ch, enum hv_vmbus_side side)
{
    if (ch && (side == HV_VMBUS_GUEST || side == HV_VMBUS_HOST))
        return &ch->ep[side];
    return NULL;
}

struct hv_vmbus_channel *
hv_vmbus_ep_channel(const struct hv_vmbus_ep *ep)
{
    return ep ? ep->ch : NULL;
}

enum hv_vmbus_side
hv_vmbus_ep_side(const struct hv_vmbus_ep *ep)
{
    return ep ? ep->side : HV_VMBUS_GUEST;
}

void
hv_vmbus_ep_set_ops(struct hv_vmbus_ep *ep, const struct hv_vmbus_ep_ops *ops, void *ctx)
{
    if (!ep)
        return;
    if (ops)
        ep->ops = *ops;
    else
        memset(&ep->ops, 0, sizeof(ep->ops));
    ep->ctx = ctx;
}

void
hv_vmbus_ep_stats(const struct hv_vmbus_ep *ep, struct hv_vmbus_ep_stats *out)
{
    if (ep && out)
        *out = ep->stats;
}

/* ------------------------------------------------------------------------------------------ */
/* Data path.                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The endpoint's interrupt (SCHED mode): the peer signalled signal_latency ago. */
static void
irq_cb(struct sim_timer *t)
{
    struct hv_vmbus_ep *ep = t->data;
    ep->stats.interrupts++;
    if (ep->ops.interrupt)
        ep->ops.interrupt(ep->ctx, ep); /* last: the owner may do anything */
}

/* Tell the peer that messages arrived (HvSignalEvent), unless it polls with interrupts
 * masked. */
static void
signal_peer(struct hv_vmbus_ep *ep)
{
    struct hv_vmbus_channel *ch = ep->ch;
    struct hv_vmbus_ep *peer = ep->peer;
    if (ch->signal == HV_VMBUS_SIGNAL_POLL)
        return;
    /* The lost-wake-up race (we publish a message while the peer, finding its ring empty,
     * unmasks and goes idle) is closed by read-modify-writes on the one `masked` word, which
     * are totally ordered: if our RMW comes after the peer's unmask (an exchange), we read 0
     * and signal; if it comes before, the peer's exchange reads the value our RMW wrote, so
     * our ring publish (sequenced before the RMW) happens-before its re-check of the ring
     * (hv_vmbus_ep_unmask_interrupts), which then sees the message. An RMW rather than a
     * fence: it is a full barrier on x86 and ThreadSanitizer understands it.
     * seq_cst; partner: the atomic_exchange in hv_vmbus_ep_unmask_interrupts. */
    if (atomic_fetch_or_explicit(&peer->masked, 0u, memory_order_seq_cst) != 0) {
        ep->stats.signals_suppressed++;
        return;
    }
    if (ch->signal == HV_VMBUS_SIGNAL_DIRECT) {
        ep->stats.signals++;
        if (peer->ops.interrupt)
            peer->ops.interrupt(peer->ctx, peer);
        return;
    }
    if (sim_timer_is_pending(&peer->irq_timer)) {
        ep->stats.signals_coalesced++;
        return;
    }
    if (sim_timer_start(&peer->irq_timer, ch->signal_latency_ns) != 0) {
        ep->stats.signal_errors++;
        return;
    }
    ep->stats.signals++;
}

static bool
ep_can_send(const struct hv_vmbus_ep *ep)
{
    return ep->ch->state == HV__CHAN_OPEN && !rescinded(ep->ch);
}

/* Copy the record into the ring (all 8 slots or none) and signal. */
static int
post(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg)
{
    uint64_t raw[SLOTS_PER_MSG];
    memcpy(raw, msg, sizeof(raw));
    if (sim_ring_sp_enqueue_bulk(ep->tx, raw, SLOTS_PER_MSG) == 0) {
        ep->stats.ring_full++;
        return SIM_ENOSPC;
    }
    ep->stats.sent++;
    signal_peer(ep);
    return 0;
}

int
hv_vmbus_ep_section_get(struct hv_vmbus_ep *ep, uint32_t *index, void **data)
{
    if (!ep || !index || !data)
        return SIM_EINVAL;
    if (!ep_can_send(ep))
        return SIM_ENODEV;
    if (ep->free_top == 0) {
        ep->stats.no_section++;
        return SIM_ENOSPC;
    }
    uint32_t i = ep->free_stack[--ep->free_top];
    ep->busy[i] = HV__SEC_TAKEN;
    *index = i;
    *data = ep->own.base + (size_t)i * ep->own.section_size;
    return 0;
}

int
hv_vmbus_ep_section_put(struct hv_vmbus_ep *ep, uint32_t index)
{
    if (!ep || !ep->busy || index >= ep->own.sections || ep->busy[index] != HV__SEC_TAKEN)
        return SIM_EINVAL;
    ep->busy[index] = HV__SEC_FREE;
    ep->free_stack[ep->free_top++] = index;
    return 0;
}

uint32_t
hv_vmbus_ep_section_size(const struct hv_vmbus_ep *ep)
{
    return ep ? ep->own.section_size : 0;
}

uint32_t
hv_vmbus_ep_sections_free(const struct hv_vmbus_ep *ep)
{
    return ep ? ep->free_top : 0;
}

int
hv_vmbus_ep_send(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg)
{
    if (!ep || !msg)
        return SIM_EINVAL;
    if (!ep_can_send(ep))
        return SIM_ENODEV;
    if (msg->flags & HV_VMBUS_MSG_F_COMPLETION) {
        /* Returns a section of the peer's buffer that we were lent. */
        if (msg->section != HV_VMBUS_NO_SECTION && msg->section >= ep->peer_buf.sections)
            return SIM_EINVAL;
        return post(ep, msg);
    }
    if (msg->section == HV_VMBUS_NO_SECTION) {
        if (msg->len != 0)
            return SIM_EINVAL;
        return post(ep, msg);
    }
    if (msg->section >= ep->own.sections || ep->busy[msg->section] != HV__SEC_TAKEN ||
        msg->len > ep->own.section_size)
        return SIM_EINVAL;
    int err = post(ep, msg);
    if (err == 0)
        ep->busy[msg->section] = HV__SEC_LENT;
    return err;
}

int
hv_vmbus_ep_send_copy(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg, const void *frame,
                      uint32_t len)
{
    if (!ep || !msg || !frame)
        return SIM_EINVAL;
    if (!ep_can_send(ep))
        return SIM_ENODEV;
    if (len == 0 || len > ep->own.section_size || (msg->flags & HV_VMBUS_MSG_F_COMPLETION))
        return SIM_EINVAL;
    struct hv_vmbus_channel *ch = ep->ch;
    if (ep->free_top == 0) {
        ep->stats.no_section++;
        goto lost;
    }
    uint32_t i = ep->free_stack[--ep->free_top];
    /* The copy the synthetic path pays: the frame into the shared section. */
    memcpy(ep->own.base + (size_t)i * ep->own.section_size, frame, len);
    struct hv_vmbus_msg m = *msg;
    m.section = i;
    m.len = len;
    if (post(ep, &m) != 0) {
        ep->free_stack[ep->free_top++] = i;
        goto lost;
    }
    ep->busy[i] = HV__SEC_LENT;
    ep->stats.bytes_copied += len;
    return 0;

lost:
    ep->stats.frames_dropped++;
    sim_drop_report(ch->has_drops ? &ch->drops : NULL, SIM_DROP_VMBUS_RING_FULL, ep->where,
                    msg->xid, frame, len);
    return SIM_ENOSPC;
}

int
hv_vmbus_ep_complete(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *req, int32_t status)
{
    if (!ep || !req || (req->flags & HV_VMBUS_MSG_F_COMPLETION))
        return SIM_EINVAL;
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof(m));
    m.type = req->type;
    m.flags = HV_VMBUS_MSG_F_COMPLETION;
    m.xid = req->xid;
    m.section = req->section;
    m.status = status;
    return hv_vmbus_ep_send(ep, &m);
}

/* Bookkeeping of one received message: a completion brings one of our sections back. */
static void
on_receive(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *m)
{
    if (!(m->flags & HV_VMBUS_MSG_F_COMPLETION))
        return;
    ep->stats.completions_received++;
    if (m->section == HV_VMBUS_NO_SECTION)
        return;
    if (m->section >= ep->own.sections || ep->busy[m->section] != HV__SEC_LENT) {
        ep->stats.protocol_errors++; /* stray or duplicate completion: nothing freed */
        return;
    }
    ep->busy[m->section] = HV__SEC_FREE;
    ep->free_stack[ep->free_top++] = m->section;
}

unsigned
hv_vmbus_ep_recv(struct hv_vmbus_ep *ep, struct hv_vmbus_msg *msgs, unsigned n)
{
    if (!ep || !msgs || !ep->rx)
        return 0;
    uint64_t raw[RECV_CHUNK * SLOTS_PER_MSG];
    unsigned got = 0;
    while (got < n) {
        unsigned want = n - got < RECV_CHUNK ? n - got : RECV_CHUNK;
        /* The producer publishes whole messages (bulk of 8 slots), so the burst is always a
         * multiple of 8 slots. */
        unsigned k = sim_ring_sc_dequeue_burst(ep->rx, raw, want * (unsigned)SLOTS_PER_MSG);
        k /= (unsigned)SLOTS_PER_MSG;
        if (k == 0)
            break;
        memcpy(&msgs[got], raw, (size_t)k * HV_VMBUS_MSG_SIZE);
        for (unsigned i = 0; i < k; i++)
            on_receive(ep, &msgs[got + i]);
        got += k;
        if (k < want)
            break;
    }
    ep->stats.received += got;
    return got;
}

unsigned
hv_vmbus_ep_poll(struct hv_vmbus_ep *ep, unsigned budget)
{
    if (!ep)
        return 0;
    struct hv_vmbus_msg m[RECV_CHUNK];
    unsigned done = 0;
    while (done < budget) {
        unsigned want = budget - done < RECV_CHUNK ? budget - done : RECV_CHUNK;
        unsigned k = hv_vmbus_ep_recv(ep, m, want);
        for (unsigned i = 0; i < k; i++)
            if (ep->ops.receive)
                ep->ops.receive(ep->ctx, ep, &m[i]);
        done += k;
        if (k < want)
            break;
    }
    return done;
}

unsigned
hv_vmbus_ep_pending(const struct hv_vmbus_ep *ep)
{
    if (!ep || !ep->rx)
        return 0;
    return sim_ring_count(ep->rx) / (unsigned)SLOTS_PER_MSG;
}

unsigned
hv_vmbus_ep_space(const struct hv_vmbus_ep *ep)
{
    if (!ep || !ep->tx)
        return 0;
    return sim_ring_free_count(ep->tx) / (unsigned)SLOTS_PER_MSG;
}

const void *
hv_vmbus_ep_msg_data(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg)
{
    if (!ep || !msg || (msg->flags & HV_VMBUS_MSG_F_COMPLETION) ||
        msg->section == HV_VMBUS_NO_SECTION)
        return NULL;
    if (msg->section >= ep->peer_buf.sections || msg->len > ep->peer_buf.section_size) {
        ep->stats.protocol_errors++;
        return NULL;
    }
    return ep->peer_buf.base + (size_t)msg->section * ep->peer_buf.section_size;
}

void
hv_vmbus_ep_mask_interrupts(struct hv_vmbus_ep *ep)
{
    if (ep)
        atomic_store_explicit(&ep->masked, 1u, memory_order_relaxed); /* only suppresses */
}

bool
hv_vmbus_ep_unmask_interrupts(struct hv_vmbus_ep *ep)
{
    if (!ep)
        return false;
    /* seq_cst RMW; partner: the atomic_fetch_or in signal_peer (see the reasoning there). */
    atomic_exchange_explicit(&ep->masked, 0u, memory_order_seq_cst);
    return ep->rx && !sim_ring_is_empty(ep->rx);
}
