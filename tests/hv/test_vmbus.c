/* SPDX-License-Identifier: MIT */
/* test_vmbus.c — VMBus channels in scenario mode: offer/driver matching and control latency,
 * open (rings and buffers in guest memory), message round trip with completion at exact
 * virtual-clock latencies, coalescing and interrupt masking, ring full and buffer exhaustion
 * counted and reported, sections recycled without allocation over 10k messages, the receive
 * buffer direction, bad input from a peer, close and rescind with drops reported, OOM sweeps,
 * no leaks. */
#include "hv_test.h"

static struct hvt t;

#define MAXREC 64

struct side_rec {
    int irqs;
    sim_time_t irq_t[MAXREC];
    int n;
    struct hv_vmbus_msg msgs[MAXREC];
    uint8_t data[MAXREC][64]; /* first bytes of each message's section */
    bool poll_in_irq;
    bool complete_in_rx; /* complete every non-completion message on receipt */
};

static struct rec {
    int offers, rescinds, opened, closed;
    sim_time_t t_offer, t_rescind, t_opened, t_closed;
    struct hv_vmbus_channel *offered;
    struct side_rec g, h;
    int drops[SIM_DROP_CAUSE_COUNT];
    uint64_t drop_ids[MAXREC];
    int ndrops;
    char drop_where[96];
} r;

static void
setup(void)
{
    hvt_setup(&t);
    memset(&r, 0, sizeof(r));
}

static void
teardown(void)
{
    hvt_teardown(&t);
}

TestSuite(hv_vmbus, .init = setup, .fini = teardown);

/* ---- callbacks -------------------------------------------------------------------------- */

static void
drv_offer(void *ctx, struct hv_vmbus_channel *ch)
{
    r.offers++;
    r.t_offer = sim_sched_now(t.s);
    r.offered = ch;
}

static void
drv_rescind(void *ctx, struct hv_vmbus_channel *ch)
{
    r.rescinds++;
    r.t_rescind = sim_sched_now(t.s);
}

static const struct hv_vmbus_driver_ops drv_ops = {.offer = drv_offer, .rescind = drv_rescind};

static void
ep_receive(void *ctx, struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *m)
{
    struct side_rec *s = ctx;
    if (s->n < MAXREC) {
        s->msgs[s->n] = *m;
        const uint8_t *data = hv_vmbus_ep_msg_data(ep, m);
        if (data)
            memcpy(s->data[s->n], data, m->len < 64 ? m->len : 64);
        s->n++;
    }
    if (s->complete_in_rx && !(m->flags & HV_VMBUS_MSG_F_COMPLETION))
        cr_assert_eq(hv_vmbus_ep_complete(ep, m, 0), 0);
}

static void
ep_interrupt(void *ctx, struct hv_vmbus_ep *ep)
{
    struct side_rec *s = ctx;
    if (s->irqs < MAXREC)
        s->irq_t[s->irqs] = sim_sched_now(t.s);
    s->irqs++;
    if (s->poll_in_irq)
        hv_vmbus_ep_poll(ep, 1000);
}

static const struct hv_vmbus_ep_ops ep_ops = {.interrupt = ep_interrupt, .receive = ep_receive};

static void
host_opened(void *ctx, struct hv_vmbus_channel *ch)
{
    r.opened++;
    r.t_opened = sim_sched_now(t.s);
    hv_vmbus_ep_set_ops(hv_vmbus_channel_ep(ch, HV_VMBUS_HOST), &ep_ops, &r.h);
}

static void
host_closed(void *ctx, struct hv_vmbus_channel *ch)
{
    r.closed++;
    r.t_closed = sim_sched_now(t.s);
}

static const struct hv_vmbus_host_ops host_ops = {.opened = host_opened, .closed = host_closed};

static void
drop_cb(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
        const void *frame, uint32_t len)
{
    r.drops[cause]++;
    if (r.ndrops < MAXREC)
        r.drop_ids[r.ndrops] = packet_id;
    r.ndrops++;
    snprintf(r.drop_where, sizeof(r.drop_where), "%s", where);
}

static const struct sim_drop_sink sink = {.drop = drop_cb};

/* ---- helpers ---------------------------------------------------------------------------- */

static struct hv_vmbus_channel *
offer(uint32_t instance)
{
    struct hv_vmbus_offer_config oc = {
        .type = "netvsc",
        .instance = instance,
        .signal = HV_VMBUS_SIGNAL_SCHED,
        .host_ops = &host_ops,
        .drops = &sink,
    };
    struct hv_vmbus_channel *ch = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), 0, "%s", d.reason);
    return ch;
}

/* Offer + driver + open with cfg, run until the host saw the open. */
static struct hv_vmbus_channel *
open_channel(const struct hv_vmbus_open_config *cfg)
{
    cr_assert_eq(hv_vmbus_driver_register(t.vm1, "netvsc", &drv_ops, NULL), 0);
    struct hv_vmbus_channel *ch = offer(0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.offered, ch);
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_channel_open(ch, cfg, &ep_ops, &r.g, &d), 0, "%s", d.reason);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.opened, 1);
    return ch;
}

static struct hv_vmbus_open_config
small_cfg(uint32_t ring_msgs, uint32_t sections)
{
    struct hv_vmbus_open_config c;
    hv_vmbus_open_config_init(&c);
    c.ring_msgs = ring_msgs;
    c.send_sections = sections;
    c.send_section_size = 2048;
    c.recv_sections = sections;
    c.recv_section_size = 1728;
    return c;
}

static struct hv_vmbus_msg
msg(uint16_t type, uint64_t xid)
{
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.xid = xid;
    m.section = HV_VMBUS_NO_SECTION;
    return m;
}

/* ---- tests ------------------------------------------------------------------------------ */

Test(hv_vmbus, offer_reaches_the_driver_after_the_control_latency)
{
    /* Offered before any driver: held until one registers. */
    struct hv_vmbus_channel *ch = offer(0);
    sim_sched_run(t.s, sim_sched_now(t.s) + SIM_SEC(1));
    cr_assert_eq(r.offers, 0);
    sim_time_t t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vmbus_driver_register(t.vm1, "netvsc", &drv_ops, NULL), 0);
    cr_assert_eq(hv_vmbus_driver_register(t.vm1, "netvsc", &drv_ops, NULL), SIM_EEXIST);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.offers, 1);
    cr_assert_eq(r.offered, ch);
    cr_assert_eq(r.t_offer, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_str_eq(hv_vmbus_channel_type(ch), "netvsc");
    cr_assert_eq(hv_vmbus_channel_guest(ch), t.vm1);
    cr_assert_eq(hv_vmbus_channel_host(ch), t.root);
    cr_assert_not(hv_vmbus_channel_is_open(ch));
    /* With the driver present, a second offer arrives exactly one control latency later; a
     * channel of another type is not delivered to this driver. */
    t0 = sim_sched_now(t.s);
    struct hv_vmbus_channel *ch2 = offer(1);
    struct hv_vmbus_offer_config oc = {.type = "vpci"};
    struct hv_vmbus_channel *other;
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &other, NULL), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.offers, 2);
    cr_assert_eq(r.offered, ch2);
    cr_assert_eq(r.t_offer, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_eq(hv_vmbus_driver_unregister(t.vm1, "netvsc"), 0);
    cr_assert_eq(hv_vmbus_driver_unregister(t.vm1, "netvsc"), SIM_ENOENT);
    hv_vmbus_channel_destroy(other);
}

Test(hv_vmbus, offer_validation)
{
    struct hv_vmbus_offer_config oc = {.type = "netvsc"};
    struct hv_vmbus_channel *ch = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_offer(t.vm2, t.vm1, &oc, &ch, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "not a root partition") != NULL, "%s", d.reason);
    cr_assert_eq(hv_vmbus_offer(t.root, t.root, &oc, &ch, &d), SIM_EINVAL);
    oc.type = "";
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), SIM_EINVAL);
    oc.type = "a-type-name-that-is-too-long";
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), SIM_EINVAL);
    oc.type = "netvsc";
    oc.signal = (enum hv_vmbus_signal_mode)9;
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), SIM_EINVAL);
    oc.signal = HV_VMBUS_SIGNAL_SCHED;
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), 0, "%s", d.reason);
    struct hv_vmbus_channel *dup = NULL;
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &dup, &d), SIM_EEXIST);
    cr_assert_null(dup);
    /* Same type+instance to another guest is fine. */
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm2, &oc, &dup, &d), 0, "%s", d.reason);
    /* Channels are destroyed with the partitions (teardown checks the leak). */
}

Test(hv_vmbus, open_places_rings_and_buffers_in_guest_memory)
{
    uint64_t used0 = hv_partition_mem_used(t.vm1);
    struct hv_vmbus_open_config c;
    hv_vmbus_open_config_init(&c);
    cr_assert_eq(c.ring_msgs, HV_VMBUS_RING_MSGS_DEFAULT);
    cr_assert_eq(c.send_section_size, 6144);
    cr_assert_eq(c.recv_section_size, 1728);
    struct hv_vmbus_channel *ch = open_channel(&c);
    cr_assert(hv_vmbus_channel_is_open(ch));
    cr_assert_eq(r.t_opened, r.t_offer + HV_VMBUS_CONTROL_LATENCY_NS, "opened after latency");
    struct hv_vmbus_channel_info info;
    cr_assert_eq(hv_vmbus_channel_info(ch, &info), 0);
    cr_assert_neq(info.ring_gpa, 0);
    cr_assert_geq(info.ring_len, 2 * HV_VMBUS_RING_MSGS_DEFAULT * HV_VMBUS_MSG_SIZE);
    cr_assert_eq(info.send_len, (uint64_t)c.send_sections * 6144);
    cr_assert_geq(info.recv_len, (uint64_t)c.recv_sections * 1728);
    cr_assert_eq(hv_gpa_range_size(t.vm1, info.ring_gpa), info.ring_len);
    cr_assert_eq(hv_gpa_range_size(t.vm1, info.send_gpa), info.send_len);
    cr_assert_eq(hv_gpa_range_size(t.vm1, info.recv_gpa), info.recv_len);
    cr_assert_eq(hv_partition_mem_used(t.vm1),
                 used0 + info.ring_len + info.send_len + info.recv_len);
    /* A section handed out by the guest lies inside the send buffer. */
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    uint32_t idx;
    void *p;
    cr_assert_eq(hv_vmbus_ep_section_get(g, &idx, &p), 0);
    cr_assert_eq(idx, 0);
    cr_assert_eq(p, hv_gpa_to_host(t.vm1, info.send_gpa, 1));
    cr_assert_eq(hv_vmbus_ep_section_put(g, idx), 0);
    cr_assert_eq(hv_vmbus_ep_section_put(g, idx), SIM_EINVAL, "not taken twice");
    /* Opening twice is a state error; close frees the memory; reopen works. */
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_ESTATE);
    cr_assert_eq(hv_vmbus_channel_close(ch), 0);
    cr_assert_eq(hv_vmbus_channel_close(ch), SIM_ESTATE);
    cr_assert_eq(hv_partition_mem_used(t.vm1), used0);
    sim_time_t tc = sim_sched_now(t.s);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.closed, 1);
    cr_assert_eq(r.t_closed, tc + HV_VMBUS_CONTROL_LATENCY_NS);
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), 0, "%s", d.reason);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.opened, 2);
    /* Bad open configs. */
    cr_assert_eq(hv_vmbus_channel_close(ch), 0);
    c.ring_msgs = 3;
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_EINVAL);
    c.ring_msgs = 8;
    c.send_section_size = 0;
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_EINVAL);
    c.send_section_size = 1u << 20;
    c.send_sections = 1u << 10; /* 1 GiB > 4 MiB of guest memory */
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_ENOSPC);
    c.send_sections = 3; /* 3 MiB + the receive buffer fit in 4 MiB */
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), 0, "%s", d.reason);
    c.send_sections = 4;
    cr_assert_eq(hv_vmbus_channel_close(ch), 0);
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_ENOSPC);
    cr_assert_eq(hv_partition_mem_used(t.vm1), used0, "failed open leaves nothing allocated");
    cr_assert_not(hv_vmbus_channel_is_open(ch));
}

Test(hv_vmbus, round_trip_with_completion_at_exact_latencies)
{
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    cr_assert_eq(hv_vmbus_ep_channel(g), ch);
    cr_assert_eq(hv_vmbus_ep_side(h), HV_VMBUS_HOST);
    r.h.poll_in_irq = r.h.complete_in_rx = true;
    r.g.poll_in_irq = true;

    sim_time_t t0 = sim_sched_now(t.s);
    const char frame[] = "an ethernet frame, copied into the send buffer";
    struct hv_vmbus_msg m = msg(7, 1001);
    m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
    memcpy(m.data, "inline", 6);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), 0);
    cr_assert_eq(hv_vmbus_ep_sections_free(g), 7, "one section lent to the host");
    cr_assert_eq(hv_vmbus_ep_pending(h), 1);
    cr_assert_eq(hv_vmbus_ep_space(g), 15);
    sim_sched_run(t.s, SIM_TIME_NEVER);

    /* Host interrupt exactly one signal latency after the send, guest interrupt (the
     * completion) one more later. */
    cr_assert_eq(r.h.irqs, 1);
    cr_assert_eq(r.h.irq_t[0], t0 + HV_VMBUS_SIGNAL_LATENCY_NS);
    cr_assert_eq(r.g.irqs, 1);
    cr_assert_eq(r.g.irq_t[0], t0 + 2 * HV_VMBUS_SIGNAL_LATENCY_NS);
    /* The host saw the message and its bytes. */
    cr_assert_eq(r.h.n, 1);
    cr_assert_eq(r.h.msgs[0].type, 7);
    cr_assert_eq(r.h.msgs[0].xid, 1001);
    cr_assert_eq(r.h.msgs[0].len, sizeof(frame));
    cr_assert_eq(memcmp(r.h.msgs[0].data, "inline", 6), 0);
    cr_assert_eq(memcmp(r.h.data[0], frame, sizeof(frame)), 0);
    /* The guest got the completion, and its section back. */
    cr_assert_eq(r.g.n, 1);
    cr_assert(r.g.msgs[0].flags & HV_VMBUS_MSG_F_COMPLETION);
    cr_assert_eq(r.g.msgs[0].xid, 1001);
    cr_assert_eq(r.g.msgs[0].status, 0);
    cr_assert_eq(hv_vmbus_ep_sections_free(g), 8);
    struct hv_vmbus_ep_stats gs, hs;
    hv_vmbus_ep_stats(g, &gs);
    hv_vmbus_ep_stats(h, &hs);
    cr_assert_eq(gs.sent, 1);
    cr_assert_eq(gs.bytes_copied, sizeof(frame));
    cr_assert_eq(gs.completions_received, 1);
    cr_assert_eq(gs.signals, 1);
    cr_assert_eq(hs.received, 1);
    cr_assert_eq(hs.sent, 1);
    cr_assert_eq(hs.interrupts, 1);
    cr_assert_eq(gs.interrupts, 1);

    /* A per-channel latency is honoured exactly too. */
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_SCHED, SIM_USEC(7)), 0);
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_SCHED, -1), SIM_EINVAL);
    t0 = sim_sched_now(t.s);
    m = msg(8, 1002);
    cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.h.irq_t[1], t0 + SIM_USEC(7));
    cr_assert_eq(r.g.irq_t[1], t0 + SIM_USEC(14));
    cr_assert_eq(r.g.msgs[1].xid, 1002);
}

Test(hv_vmbus, signals_coalesce_and_masking_suppresses_them)
{
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    r.h.poll_in_irq = true;
    for (uint64_t i = 0; i < 3; i++) {
        struct hv_vmbus_msg m = msg(1, i);
        cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    }
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.h.irqs, 1, "three sends, one interrupt");
    cr_assert_eq(r.h.n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(r.h.msgs[i].xid, (uint64_t)i, "in order");
    struct hv_vmbus_ep_stats gs;
    hv_vmbus_ep_stats(g, &gs);
    cr_assert_eq(gs.signals, 1);
    cr_assert_eq(gs.signals_coalesced, 2);

    /* The host polls with interrupts masked: no interrupt, the messages wait. */
    hv_vmbus_ep_mask_interrupts(h);
    struct hv_vmbus_msg m = msg(1, 10);
    cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.h.irqs, 1);
    hv_vmbus_ep_stats(g, &gs);
    cr_assert_eq(gs.signals_suppressed, 1);
    cr_assert(hv_vmbus_ep_unmask_interrupts(h), "a message arrived while masked");
    cr_assert_eq(hv_vmbus_ep_poll(h, 16), 1);
    cr_assert_not(hv_vmbus_ep_unmask_interrupts(h));
    cr_assert_eq(r.h.msgs[3].xid, 10);
    /* Poll mode: no signal at all. */
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_POLL, 0), 0);
    cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.h.irqs, 1);
    cr_assert_eq(hv_vmbus_ep_poll(h, 16), 1);
}

static int direct_wakes;
static void
direct_irq(void *ctx, struct hv_vmbus_ep *ep)
{
    direct_wakes++;
}

Test(hv_vmbus, direct_signal_calls_the_peer_at_once)
{
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    static const struct hv_vmbus_ep_ops wake_ops = {.interrupt = direct_irq};
    hv_vmbus_ep_set_ops(h, &wake_ops, NULL);
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_DIRECT, 0), 0);
    struct hv_vmbus_msg m = msg(1, 1);
    cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    cr_assert_eq(direct_wakes, 1, "called synchronously");
    cr_assert_eq(sim_sched_pending(t.s), 0, "nothing scheduled");
    hv_vmbus_ep_mask_interrupts(h);
    cr_assert_eq(hv_vmbus_ep_send(g, &m), 0);
    cr_assert_eq(direct_wakes, 1, "masked: no wake-up");
}

Test(hv_vmbus, ring_full_is_counted_and_frames_are_reported)
{
    struct hv_vmbus_open_config c = small_cfg(4, 16);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    uint8_t frame[100];
    memset(frame, 0xf0, sizeof(frame));
    /* Nobody polls the host: the 4-message ring fills. */
    for (uint64_t i = 0; i < 4; i++) {
        struct hv_vmbus_msg m = msg(2, 500 + i);
        cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), 0);
    }
    cr_assert_eq(hv_vmbus_ep_space(g), 0);
    struct hv_vmbus_msg m = msg(2, 504);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), SIM_ENOSPC);
    cr_assert_eq(r.drops[SIM_DROP_VMBUS_RING_FULL], 1);
    cr_assert_eq(r.drop_ids[0], 504, "the drop names the packet (xid)");
    cr_assert_str_eq(r.drop_where, "vm1.vmbus.netvsc0 guest->host");
    /* A control message is refused, counted, not reported as a frame. */
    struct hv_vmbus_msg ctl = msg(3, 9);
    cr_assert_eq(hv_vmbus_ep_send(g, &ctl), SIM_ENOSPC);
    cr_assert_eq(r.ndrops, 1);
    struct hv_vmbus_ep_stats gs;
    hv_vmbus_ep_stats(g, &gs);
    cr_assert_eq(gs.ring_full, 2);
    cr_assert_eq(gs.frames_dropped, 1);
    cr_assert_eq(gs.sent, 4);
    cr_assert_eq(hv_vmbus_ep_sections_free(g), 12, "the failed send kept no section");
    /* Draining one message makes room for one. */
    struct hv_vmbus_msg got[8];
    cr_assert_eq(hv_vmbus_ep_recv(h, got, 1), 1);
    cr_assert_eq(got[0].xid, 500);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), 0);
    cr_assert_eq(hv_vmbus_ep_recv(h, got, 8), 4);
    cr_assert_eq(got[3].xid, 504);
}

Test(hv_vmbus, send_buffer_exhaustion_is_counted_and_reported)
{
    struct hv_vmbus_open_config c = small_cfg(64, 2);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    uint8_t frame[64] = {1};
    for (uint64_t i = 0; i < 2; i++) {
        struct hv_vmbus_msg m = msg(2, i);
        cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), 0);
    }
    struct hv_vmbus_msg m = msg(2, 77);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), SIM_ENOSPC);
    cr_assert_eq(r.drops[SIM_DROP_VMBUS_RING_FULL], 1);
    cr_assert_eq(r.drop_ids[0], 77);
    uint32_t idx;
    void *p;
    cr_assert_eq(hv_vmbus_ep_section_get(g, &idx, &p), SIM_ENOSPC);
    struct hv_vmbus_ep_stats gs;
    hv_vmbus_ep_stats(g, &gs);
    cr_assert_eq(gs.no_section, 2);
    cr_assert_eq(gs.frames_dropped, 1);
    /* Frames larger than a section, and empty frames, are refused (not dropped). */
    uint8_t big[2049] = {0};
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, big, sizeof(big)), SIM_EINVAL);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, big, 0), SIM_EINVAL);
    cr_assert_eq(r.ndrops, 1);
}

/* 10k messages through a 4-section send buffer: sections are recycled by completions and no
 * allocation happens on the data path. */
Test(hv_vmbus, sections_recycled_without_allocation)
{
    struct hv_vmbus_open_config c = small_cfg(8, 4);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_POLL, 0), 0);
    long attempts0 = sim_alloc_attempts();
    uint8_t frame[256];
    uint64_t next_rx = 0, next_done = 0;
    struct hv_vmbus_msg got[8];
    for (uint64_t i = 0; i < 10000; i++) {
        memset(frame, (int)(i & 0xff), sizeof(frame));
        memcpy(frame, &i, sizeof(i));
        struct hv_vmbus_msg m = msg(5, i);
        cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, frame, sizeof(frame)), 0, "msg %llu",
                     (unsigned long long)i);
        if (i % 4 != 3)
            continue;
        unsigned n = hv_vmbus_ep_recv(h, got, 8);
        cr_assert_eq(n, 4);
        for (unsigned k = 0; k < n; k++) {
            cr_assert_eq(got[k].xid, next_rx);
            const uint8_t *data = hv_vmbus_ep_msg_data(h, &got[k]);
            cr_assert_not_null(data);
            uint64_t seq;
            memcpy(&seq, data, sizeof(seq));
            cr_assert_eq(seq, next_rx);
            cr_assert_eq(data[255], (uint8_t)(next_rx & 0xff));
            next_rx++;
            cr_assert_eq(hv_vmbus_ep_complete(h, &got[k], 0), 0);
        }
        n = hv_vmbus_ep_recv(g, got, 8);
        cr_assert_eq(n, 4);
        for (unsigned k = 0; k < n; k++)
            cr_assert_eq(got[k].xid, next_done++);
        cr_assert_eq(hv_vmbus_ep_sections_free(g), 4);
    }
    cr_assert_eq(sim_alloc_attempts(), attempts0, "no allocation on the data path");
    cr_assert_eq(next_rx, 10000);
    cr_assert_eq(next_done, 10000);
}

Test(hv_vmbus, receive_buffer_direction)
{
    struct hv_vmbus_open_config c = small_cfg(16, 4);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    r.g.poll_in_irq = r.g.complete_in_rx = true;
    r.h.poll_in_irq = true;
    cr_assert_eq(hv_vmbus_ep_section_size(h), 1728);
    cr_assert_eq(hv_vmbus_ep_section_size(g), 2048);
    struct hv_vmbus_channel_info info;
    hv_vmbus_channel_info(ch, &info);
    /* The host copies a received frame into the receive buffer (in guest memory). */
    uint32_t idx;
    void *p;
    cr_assert_eq(hv_vmbus_ep_section_get(h, &idx, &p), 0);
    cr_assert_eq(p, hv_gpa_to_host(t.vm1, info.recv_gpa, 1));
    memcpy(p, "rx frame", 8);
    struct hv_vmbus_msg m = msg(11, 42);
    m.section = idx;
    m.len = 8;
    cr_assert_eq(hv_vmbus_ep_send(h, &m), 0);
    cr_assert_eq(hv_vmbus_ep_send(h, &m), SIM_EINVAL, "the section is lent, not sendable again");
    cr_assert_eq(hv_vmbus_ep_sections_free(h), 3);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.g.n, 1);
    cr_assert_eq(memcmp(r.g.data[0], "rx frame", 8), 0);
    cr_assert_eq(r.h.n, 1, "the guest's completion");
    cr_assert_eq(hv_vmbus_ep_sections_free(h), 4, "returned to the host's free list");
}

Test(hv_vmbus, bad_input_from_a_peer_never_crashes)
{
    struct hv_vmbus_open_config c = small_cfg(16, 4);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    /* Sending a section not taken, or too long, or len without a section: refused. */
    struct hv_vmbus_msg m = msg(1, 1);
    m.section = 2;
    m.len = 10;
    cr_assert_eq(hv_vmbus_ep_send(g, &m), SIM_EINVAL);
    m.section = 99;
    cr_assert_eq(hv_vmbus_ep_send(g, &m), SIM_EINVAL);
    m.section = HV_VMBUS_NO_SECTION;
    cr_assert_eq(hv_vmbus_ep_send(g, &m), SIM_EINVAL);
    uint32_t idx;
    void *p;
    cr_assert_eq(hv_vmbus_ep_section_get(g, &idx, &p), 0);
    m.section = idx;
    m.len = 2049;
    cr_assert_eq(hv_vmbus_ep_send(g, &m), SIM_EINVAL);
    cr_assert_eq(hv_vmbus_ep_section_put(g, idx), 0);
    /* A message that names an out-of-range section of the peer's buffer (as a buggy or
     * malicious peer could, by writing the ring itself): msg_data refuses it. */
    struct hv_vmbus_msg forged = msg(1, 2);
    forged.section = 1000;
    forged.len = 10;
    cr_assert_null(hv_vmbus_ep_msg_data(h, &forged));
    forged.section = 1;
    forged.len = 5000;
    cr_assert_null(hv_vmbus_ep_msg_data(h, &forged));
    struct hv_vmbus_ep_stats hs;
    hv_vmbus_ep_stats(h, &hs);
    cr_assert_eq(hs.protocol_errors, 2);
    /* Stray and duplicate completions free nothing. */
    struct hv_vmbus_msg comp = msg(1, 3);
    comp.flags = HV_VMBUS_MSG_F_COMPLETION;
    comp.section = 1; /* never lent */
    cr_assert_eq(hv_vmbus_ep_send(h, &comp), 0);
    uint8_t fr[10] = {0};
    struct hv_vmbus_msg d1 = msg(1, 4);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &d1, fr, sizeof(fr)), 0);
    struct hv_vmbus_msg got[4];
    cr_assert_eq(hv_vmbus_ep_recv(h, got, 4), 1);
    cr_assert_eq(hv_vmbus_ep_complete(h, &got[0], 0), 0);
    cr_assert_eq(hv_vmbus_ep_complete(h, &got[0], 0), 0); /* twice */
    cr_assert_eq(hv_vmbus_ep_recv(g, got, 4), 3);
    struct hv_vmbus_ep_stats gs;
    hv_vmbus_ep_stats(g, &gs);
    cr_assert_eq(gs.protocol_errors, 2, "stray + duplicate");
    cr_assert_eq(hv_vmbus_ep_sections_free(g), 4);
    /* Completing a completion is refused. */
    cr_assert_eq(hv_vmbus_ep_complete(g, &got[0], 0), SIM_EINVAL);
}

Test(hv_vmbus, rescind_drains_then_close_reports_leftovers)
{
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    struct hv_vmbus_ep *h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    uint64_t used_open = hv_partition_mem_used(t.vm1);
    cr_assert_eq(hv_vmbus_channel_set_signal(ch, HV_VMBUS_SIGNAL_POLL, 0), 0);
    uint8_t fr[60] = {0};
    /* Host -> guest: 3 frames; guest -> host: 2 frames + 1 control message. */
    for (uint64_t i = 0; i < 3; i++) {
        struct hv_vmbus_msg m = msg(1, 100 + i);
        cr_assert_eq(hv_vmbus_ep_send_copy(h, &m, fr, sizeof(fr)), 0);
    }
    for (uint64_t i = 0; i < 2; i++) {
        struct hv_vmbus_msg m = msg(1, 200 + i);
        cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, fr, sizeof(fr)), 0);
    }
    struct hv_vmbus_msg ctl = msg(9, 300);
    cr_assert_eq(hv_vmbus_ep_send(g, &ctl), 0);

    sim_time_t t0 = sim_sched_now(t.s);
    cr_assert_eq(hv_vmbus_channel_rescind(ch), 0);
    cr_assert_eq(hv_vmbus_channel_rescind(ch), SIM_ESTATE);
    cr_assert(hv_vmbus_channel_is_rescinded(ch));
    /* Nobody sends after a rescind. */
    cr_assert_eq(hv_vmbus_ep_send(g, &ctl), SIM_ENODEV);
    cr_assert_eq(hv_vmbus_ep_send_copy(h, &ctl, fr, sizeof(fr)), SIM_ENODEV);
    cr_assert_eq(r.ndrops, 0, "a refused send is not a drop: the caller keeps the frame");
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.rescinds, 1);
    cr_assert_eq(r.t_rescind, t0 + HV_VMBUS_CONTROL_LATENCY_NS);
    /* The guest drains one message, then closes: the other two host frames and the guest's
     * two frames are reported lost (path inactive); the control message is only counted. */
    struct hv_vmbus_msg got[1];
    cr_assert_eq(hv_vmbus_ep_recv(g, got, 1), 1);
    cr_assert_eq(got[0].xid, 100);
    cr_assert_eq(hv_vmbus_channel_close(ch), 0);
    cr_assert_eq(r.drops[SIM_DROP_PATH_INACTIVE], 4);
    cr_assert_eq(r.ndrops, 4);
    cr_assert_eq(r.drop_ids[0], 200, "guest's leftovers first, in order");
    cr_assert_eq(r.drop_ids[1], 201);
    cr_assert_eq(r.drop_ids[2], 101);
    cr_assert_eq(r.drop_ids[3], 102);
    struct hv_vmbus_ep_stats gs, hs;
    hv_vmbus_ep_stats(g, &gs);
    hv_vmbus_ep_stats(h, &hs);
    cr_assert_eq(gs.dropped_at_close, 3);
    cr_assert_eq(hs.dropped_at_close, 2);
    cr_assert_lt(hv_partition_mem_used(t.vm1), used_open, "shared memory freed");
    /* Sent = received + dropped, on both sides. */
    cr_assert_eq(hs.sent, 3);
    cr_assert_eq(gs.received + hs.dropped_at_close, hs.sent);
    cr_assert_eq(hs.received + gs.dropped_at_close, gs.sent);
    /* A rescinded channel cannot be re-opened; the endpoint functions are inert. */
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d), SIM_ESTATE);
    cr_assert(strstr(d.reason, "rescinded") != NULL, "%s", d.reason);
    cr_assert_eq(hv_vmbus_ep_recv(g, got, 1), 0);
    cr_assert_eq(hv_vmbus_ep_pending(g), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.closed, 1);
    hv_vmbus_channel_destroy(ch);
}

Test(hv_vmbus, rescind_before_delivery_is_silent)
{
    cr_assert_eq(hv_vmbus_driver_register(t.vm1, "netvsc", &drv_ops, NULL), 0);
    struct hv_vmbus_channel *ch = offer(0);
    cr_assert_eq(hv_vmbus_channel_rescind(ch), 0);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.offers, 0);
    cr_assert_eq(r.rescinds, 0);
    hv_vmbus_channel_destroy(ch);
}

Test(hv_vmbus, destroy_open_channel_and_partition_teardown_leak_nothing)
{
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    struct hv_vmbus_channel *ch = open_channel(&c);
    struct hv_vmbus_ep *g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    uint8_t fr[10] = {0};
    struct hv_vmbus_msg m = msg(1, 1);
    cr_assert_eq(hv_vmbus_ep_send_copy(g, &m, fr, sizeof(fr)), 0);
    hv_vmbus_channel_destroy(ch);
    cr_assert_eq(r.drops[SIM_DROP_PATH_INACTIVE], 1);
    cr_assert_eq(hv_partition_mem_used(t.vm1), HV_PAGE_SIZE);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.closed, 0, "destroy runs no callback");
    /* Another open channel left for partition teardown (hvt_teardown checks leaks). */
    struct hv_vmbus_channel *ch2 = offer(5);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(hv_vmbus_channel_open(ch2, &c, &ep_ops, &r.g, NULL), 0);
}

Test(hv_vmbus, oom_sweep_offer_and_open)
{
    cr_assert_eq(hv_vmbus_driver_register(t.vm1, "netvsc", &drv_ops, NULL), 0);
    long live0 = sim_alloc_live_total();
    struct hv_vmbus_channel *ch = NULL;
    struct hv_vmbus_offer_config oc = {.type = "netvsc", .host_ops = &host_ops};
    int n;
    for (n = 0; n < 32; n++) {
        struct sim_diag d = {0};
        sim_alloc_fail_nth(n);
        int err = hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0)
            break;
        cr_assert_eq(err, SIM_ENOMEM, "n=%d", n);
        cr_assert_eq(sim_alloc_live_total(), live0, "n=%d leaked", n);
    }
    cr_assert_lt(n, 32);
    sim_sched_run(t.s, SIM_TIME_NEVER);
    cr_assert_eq(r.offers, 1);
    struct hv_vmbus_open_config c = small_cfg(16, 8);
    live0 = sim_alloc_live_total();
    uint64_t used0 = hv_partition_mem_used(t.vm1);
    for (n = 0; n < 32; n++) {
        struct sim_diag d = {0};
        sim_alloc_fail_nth(n);
        int err = hv_vmbus_channel_open(ch, &c, &ep_ops, &r.g, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0)
            break;
        cr_assert_eq(err, SIM_ENOMEM, "n=%d: %s", n, sim_err_name(err));
        cr_assert(d.reason[0], "n=%d: no reason", n);
        cr_assert_eq(sim_alloc_live_total(), live0, "n=%d leaked", n);
        cr_assert_eq(hv_partition_mem_used(t.vm1), used0, "n=%d leaked guest memory", n);
        cr_assert_not(hv_vmbus_channel_is_open(ch));
    }
    cr_assert_gt(n, 0);
    cr_assert_lt(n, 32);
    cr_assert(hv_vmbus_channel_is_open(ch));
}
