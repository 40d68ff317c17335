/* SPDX-License-Identifier: MIT */
/* test_vmbus_threads.c — a VMBus channel across two real threads (bench mode): the guest side
 * on one uv_thread, the host side on another, connected only by the channel's rings. Every
 * message arrives exactly once, in order, with its bytes intact, and every completion comes
 * back once, in order. Busy polling, and wake-ups through the interrupt mask (a lost wake-up
 * would hang the host thread, and ctest's timeout would catch it). Labelled `threads`: CI runs
 * it under ThreadSanitizer. */
#include <sched.h>
#include <stdatomic.h>
#include <uv.h>

#include "hv_test.h"

static struct hvt t;

static void
setup(void)
{
    hvt_setup(&t);
}

static void
teardown(void)
{
    hvt_teardown(&t);
}

TestSuite(hv_vmbus, .init = setup, .fini = teardown);

struct run {
    struct hv_vmbus_ep *g, *h;
    uint64_t n;
    bool wait_for_wakeups; /* host sleeps on `wake` when idle (DIRECT signalling) */
    uv_sem_t wake;
    atomic_ulong wakeups;
    /* Results, written by each thread, read after join. */
    uint64_t host_received, guest_completed;
    uint64_t host_sleeps;
    char host_error[160], guest_error[160];
};

static uint8_t
pattern(uint64_t seq, uint32_t i)
{
    return (uint8_t)(seq * 7 + i);
}

static uint32_t
frame_len(uint64_t seq)
{
    return 16 + (uint32_t)(seq % 200);
}

static void
guest_thread(void *arg)
{
    struct run *r = arg;
    uint64_t next_send = 0, next_comp = 0;
    struct hv_vmbus_msg got[32];
    while (next_comp < r->n) {
        bool progress = false;
        while (next_send < r->n) {
            uint32_t idx;
            void *p;
            if (hv_vmbus_ep_section_get(r->g, &idx, &p) != 0)
                break;
            uint32_t len = frame_len(next_send);
            uint8_t *b = p;
            memcpy(b, &next_send, sizeof(next_send));
            for (uint32_t i = 8; i < len; i++)
                b[i] = pattern(next_send, i);
            struct hv_vmbus_msg m;
            memset(&m, 0, sizeof(m));
            m.type = 1;
            m.flags = HV_VMBUS_MSG_F_WANT_COMPLETION;
            m.xid = next_send;
            m.section = idx;
            m.len = len;
            uint64_t inl = ~next_send;
            memcpy(m.data, &inl, sizeof(inl));
            if (hv_vmbus_ep_send(r->g, &m) != 0) {
                hv_vmbus_ep_section_put(r->g, idx); /* ring full: retry later */
                break;
            }
            next_send++;
            progress = true;
        }
        unsigned k = hv_vmbus_ep_recv(r->g, got, 32);
        for (unsigned i = 0; i < k; i++) {
            if (!(got[i].flags & HV_VMBUS_MSG_F_COMPLETION) || got[i].xid != next_comp) {
                snprintf(r->guest_error, sizeof(r->guest_error),
                         "completion %llu: got xid %llu flags %#x", (unsigned long long)next_comp,
                         (unsigned long long)got[i].xid, got[i].flags);
                r->guest_completed = next_comp;
                return;
            }
            next_comp++;
        }
        if (!progress && k == 0)
            sched_yield();
    }
    r->guest_completed = next_comp;
}

static const char *
check_msg(struct run *r, const struct hv_vmbus_msg *m, uint64_t expect)
{
    if (m->flags & HV_VMBUS_MSG_F_COMPLETION)
        return "unexpected completion";
    if (m->xid != expect)
        return "out of order";
    uint64_t inl;
    memcpy(&inl, m->data, sizeof(inl));
    if (inl != ~expect)
        return "inline payload";
    if (m->len != frame_len(expect))
        return "length";
    const uint8_t *b = hv_vmbus_ep_msg_data(r->h, m);
    if (!b)
        return "no section data";
    uint64_t seq;
    memcpy(&seq, b, sizeof(seq));
    if (seq != expect)
        return "section sequence number";
    for (uint32_t i = 8; i < m->len; i++)
        if (b[i] != pattern(expect, i))
            return "section bytes";
    return NULL;
}

static void
host_thread(void *arg)
{
    struct run *r = arg;
    uint64_t next = 0;
    struct hv_vmbus_msg got[32];
    if (r->wait_for_wakeups)
        hv_vmbus_ep_mask_interrupts(r->h);
    while (next < r->n) {
        unsigned k = hv_vmbus_ep_recv(r->h, got, 32);
        for (unsigned i = 0; i < k; i++) {
            const char *why = check_msg(r, &got[i], next);
            if (why) {
                snprintf(r->host_error, sizeof(r->host_error), "message %llu: %s (xid %llu)",
                         (unsigned long long)next, why, (unsigned long long)got[i].xid);
                r->host_received = next;
                return;
            }
            while (hv_vmbus_ep_complete(r->h, &got[i], 0) == SIM_ENOSPC)
                sched_yield(); /* the guest drains completions */
            next++;
        }
        if (k)
            continue;
        if (!r->wait_for_wakeups) {
            sched_yield();
            continue;
        }
        /* Idle: unmask, re-check (the Dekker pair with the sender), then sleep. */
        if (hv_vmbus_ep_unmask_interrupts(r->h)) {
            hv_vmbus_ep_mask_interrupts(r->h);
            continue;
        }
        r->host_sleeps++;
        uv_sem_wait(&r->wake);
        hv_vmbus_ep_mask_interrupts(r->h);
    }
    r->host_received = next;
}

/* Runs on the GUEST's thread (DIRECT mode): only wakes the host. */
static void
host_wake(void *ctx, struct hv_vmbus_ep *ep)
{
    struct run *r = ctx;
    atomic_fetch_add_explicit(&r->wakeups, 1, memory_order_relaxed);
    uv_sem_post(&r->wake);
}

static void
run_two_threads(enum hv_vmbus_signal_mode mode, uint64_t n)
{
    struct hv_vmbus_offer_config oc = {.type = "netvsc", .signal = mode};
    struct hv_vmbus_channel *ch;
    struct sim_diag d = {0};
    cr_assert_eq(hv_vmbus_offer(t.root, t.vm1, &oc, &ch, &d), 0, "%s", d.reason);
    struct hv_vmbus_open_config c;
    hv_vmbus_open_config_init(&c);
    c.ring_msgs = 256;
    c.send_sections = 128;
    c.send_section_size = 256;
    c.recv_sections = 0;
    cr_assert_eq(hv_vmbus_channel_open(ch, &c, NULL, NULL, &d), 0, "%s", d.reason);

    static struct run r;
    memset(&r, 0, sizeof(r));
    r.g = hv_vmbus_channel_ep(ch, HV_VMBUS_GUEST);
    r.h = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    r.n = n;
    r.wait_for_wakeups = mode == HV_VMBUS_SIGNAL_DIRECT;
    atomic_init(&r.wakeups, 0);
    cr_assert_eq(uv_sem_init(&r.wake, 0), 0);
    static const struct hv_vmbus_ep_ops wake_ops = {.interrupt = host_wake};
    hv_vmbus_ep_set_ops(r.h, &wake_ops, &r);

    long attempts0 = sim_alloc_attempts();
    uv_thread_t gt, ht;
    cr_assert_eq(uv_thread_create(&ht, host_thread, &r), 0);
    cr_assert_eq(uv_thread_create(&gt, guest_thread, &r), 0);
    cr_assert_eq(uv_thread_join(&gt), 0);
    if (r.guest_error[0] && r.wait_for_wakeups)
        uv_sem_post(&r.wake); /* let a sleeping host see the end */
    cr_assert_eq(uv_thread_join(&ht), 0);
    uv_sem_destroy(&r.wake);

    cr_assert_str_empty(r.host_error, "host: %s", r.host_error);
    cr_assert_str_empty(r.guest_error, "guest: %s", r.guest_error);
    cr_assert_eq(r.host_received, n);
    cr_assert_eq(r.guest_completed, n);
    cr_assert_eq(sim_alloc_attempts(), attempts0, "no allocation on the data path");
    struct hv_vmbus_ep_stats gs, hs;
    hv_vmbus_ep_stats(r.g, &gs);
    hv_vmbus_ep_stats(r.h, &hs);
    cr_assert_eq(gs.sent, n);
    cr_assert_eq(hs.received, n);
    cr_assert_eq(hs.sent, n);
    cr_assert_eq(gs.completions_received, n);
    cr_assert_eq(gs.protocol_errors + hs.protocol_errors, 0);
    cr_assert_eq(hv_vmbus_ep_sections_free(r.g), 128, "every section came back");
    cr_log_info("%llu messages; guest ring-full %llu, no-section %llu; signals %llu, "
                "suppressed %llu; host slept %llu times, woken %lu times",
                (unsigned long long)n, (unsigned long long)gs.ring_full,
                (unsigned long long)gs.no_section, (unsigned long long)gs.signals,
                (unsigned long long)gs.signals_suppressed, (unsigned long long)r.host_sleeps,
                atomic_load(&r.wakeups));
    if (mode == HV_VMBUS_SIGNAL_POLL)
        cr_assert_eq(gs.signals + gs.signals_suppressed, 0);
    hv_vmbus_channel_destroy(ch);
}

Test(hv_vmbus, two_threads_one_million_messages_busy_polling, .timeout = 300)
{
    run_two_threads(HV_VMBUS_SIGNAL_POLL, 1000000);
}

Test(hv_vmbus, two_threads_wakeups_through_the_interrupt_mask_are_never_lost, .timeout = 300)
{
    run_two_threads(HV_VMBUS_SIGNAL_DIRECT, 200000);
}
