/* SPDX-License-Identifier: MIT */
/* test_threads.c — bench mode on real threads: VF 0's driver thread sends, VF 1's driver
 * thread receives, the device runs nic_poll() on the main thread; the same rings as scenario
 * mode, synchronised only by sim_ring's atomics (run under ThreadSanitizer in CI). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "nic_test.h"

enum { N_FRAMES = 5000 };

struct thr {
    struct t_fn *fn;
    struct thr *peer;          /* the TX side reads the RX side's progress for flow control */
    _Atomic unsigned progress; /* frames received (RX side); written by its thread only */
    bool bad;
    const uint8_t *frame;
    uint32_t len;
    unsigned got;
    bool in_order;
    _Atomic bool stop;
};

static void *
tx_thread(void *arg)
{
    struct thr *t = arg;
    struct t_fn *fn = t->fn;
    unsigned sent = 0, done = 0, inflight = 0;
    while (done < N_FRAMES) {
        uint64_t d;
        while (t_get(fn->ring[1], &d) == 1) {
            if (NIC_DESC_LEN(d) != 0)
                t->bad = true;
            done++;
            inflight--;
        }
        /* Buffers are reused round robin: never more in flight than buffers. */
        /* Flow control: never more frames ahead of the receiver than it has RX buffers
         * posted (32), so the device never finds its fill ring empty. Acquire; partner: the
         * release store of progress in rx_thread. */
        unsigned rx_done = atomic_load_explicit(&t->peer->progress, memory_order_acquire);
        if (sent < N_FRAMES && inflight < T_NBUF_TX && inflight < T_RING_SLOTS &&
            sent - rx_done < 32) {
            uint64_t iova = T_IOVA + 4 * T_RING_AREA + (uint64_t)(sent % T_NBUF_TX) * T_BUF_SIZE;
            uint8_t *buf = fn->mem + (iova - T_IOVA);
            struct nic_pkt_hdr h = {.packet_id = sent};
            memcpy(buf, &h, sizeof(h));
            memcpy(buf + NIC_PKT_HDR_LEN, t->frame, t->len);
            d = NIC_DESC(iova, t->len);
            if (t_put(fn->ring[0], &d) == 1) {
                sent++;
                inflight++;
            }
        } else {
            sched_yield();
        }
    }
    return NULL;
}

static void *
rx_thread(void *arg)
{
    struct thr *t = arg;
    struct t_fn *fn = t->fn;
    t->in_order = true;
    while (t->got < N_FRAMES && !atomic_load_explicit(&t->stop, memory_order_relaxed)) {
        uint64_t d;
        if (t_get(fn->ring[3], &d) != 1) {
            sched_yield(); /* 2-core CI machines: let the other spinners run */
            continue;
        }
        const uint8_t *buf = fn->mem + (NIC_DESC_IOVA(d) - T_IOVA);
        struct nic_pkt_hdr h;
        memcpy(&h, buf, sizeof(h));
        if (h.packet_id != t->got || NIC_DESC_LEN(d) != t->len ||
            memcmp(buf + NIC_PKT_HDR_LEN, t->frame, t->len) != 0)
            t->in_order = false;
        uint64_t fill = NIC_DESC(NIC_DESC_IOVA(d), T_BUF_SIZE);
        if (t_put(fn->ring[2], &fill) != 1)
            t->bad = true;
        t->got++;
        /* Release; partner: the acquire in tx_thread (the buffer is posted again first). */
        atomic_store_explicit(&t->progress, t->got, memory_order_release);
    }
    return NULL;
}

Test(nic_queue, bench_mode_vf_to_vf_on_three_threads)
{
    struct t_env e;
    t_env_init(&e, 2, 0, true);
    t_seven(&e, 2);
    uint8_t fr[256], m1[6], m2[6];
    t_mac(m1, 1);
    t_mac(m2, 2);
    uint32_t len = t_frame(fr, m2, m1, -1, 200);
    struct thr tx = {.fn = &e.vf[0], .frame = fr, .len = len};
    struct thr rx = {.fn = &e.vf[1], .frame = fr, .len = len};
    atomic_init(&tx.stop, false);
    atomic_init(&rx.stop, false);
    atomic_init(&tx.progress, 0);
    atomic_init(&rx.progress, 0);
    tx.peer = &rx;
    pthread_t a, b;
    cr_assert_eq(pthread_create(&b, NULL, rx_thread, &rx), 0);
    cr_assert_eq(pthread_create(&a, NULL, tx_thread, &tx), 0);
    long done = 0;
    long before = sim_alloc_attempts();
    while (done < N_FRAMES) {
        long n = nic_poll(e.nic, 32);
        if (n == 0)
            sched_yield();
        done += n;
    }
    cr_assert_eq(sim_alloc_attempts(), before, "the polled data path allocated");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    cr_assert_eq(rx.got, N_FRAMES);
    cr_assert_not(tx.bad, "a TX completion carried a drop status");
    cr_assert_not(rx.bad, "RX fill ring refused a buffer");
    cr_assert(rx.in_order, "frames corrupted or out of order");
    struct nic_hw_vport_stats vs;
    nic_vport_stats(e.nic, 2, &vs);
    cr_assert_eq(vs.rx_packets + vs.drops[SIM_DROP_RING_FULL], N_FRAMES);
    cr_assert_eq(vs.rx_packets, N_FRAMES, "receiver lost frames: %llu ring-full",
                 (unsigned long long)vs.drops[SIM_DROP_RING_FULL]);
    t_env_fini(&e);
}
