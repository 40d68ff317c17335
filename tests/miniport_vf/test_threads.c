/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c — bench mode on real threads: the VF driver's data path (sends, completions,
 * receive indications, buffer returns: vf_adapter_poll) runs on one thread, the NIC device
 * (nic_poll for TX, nic_port_rx for frames from the wire) on another, connected only by the
 * queue pair's rings in guest memory. Every frame arrives exactly once, in order, both ways.
 * Run under -DSRIOVSIM_SANITIZE=thread in CI (label "threads").
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "vf_test.h"

enum { N_FRAMES = 5000, TX_WINDOW = 64, RX_WINDOW = 32 };

static struct venv E;
static _Atomic unsigned rx_progress; /* frames the VF indicated; written by the VF thread */
static _Atomic bool vf_done;         /* written by the VF thread */
static bool vf_bad;                  /* VF thread only; read after join */

static void *
vf_thread(void *arg)
{
    struct venv *e = arg;
    uint64_t sent = 0;
    unsigned idle = 0;
    while (e->ntxc < N_FRAMES || e->nrx < N_FRAMES) {
        if (sent < N_FRAMES && sent - e->ntxc < TX_WINDOW) {
            struct ndis_nbl *nbl = v_frame(e, (unsigned)sent, 64, sent, (uint8_t)sent);
            if (ndis_binding_send(e->b, nbl, 0) != 0) {
                vf_bad = true;
                break;
            }
            sent++;
        }
        unsigned n = vf_adapter_poll(e->a, 64);
        /* Release; partner: the acquire load in the device loop (RX flow control). */
        atomic_store_explicit(&rx_progress, (unsigned)e->nrx, memory_order_release);
        if (n == 0 && ++idle % 64 == 0)
            sched_yield();
    }
    /* Release; partner: the acquire load that ends the device loop. */
    atomic_store_explicit(&vf_done, true, memory_order_release);
    return NULL;
}

Test(vf_threads, driver_and_device_on_two_threads_every_frame_once_in_order, .timeout = 120)
{
    venv_up(&E, true, pf_policy_accept_all);
    uint8_t dst[6];
    vf_adapter_mac(E.a, dst);
    uint8_t frame[100];
    memset(frame, 0, sizeof frame);
    memcpy(frame, dst, 6);
    frame[6] = 0x02;
    frame[12] = 0x08;
    atomic_store(&rx_progress, 0);
    atomic_store(&vf_done, false);
    vf_bad = false;

    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, vf_thread, &E), 0);
    unsigned injected = 0;
    while (!atomic_load_explicit(&vf_done, memory_order_acquire)) {
        long n = nic_poll(E.t.nic, 64);
        /* Acquire; partner: the release store of rx_progress in vf_thread. */
        unsigned got = atomic_load_explicit(&rx_progress, memory_order_acquire);
        if (injected < N_FRAMES && injected - got < RX_WINDOW) {
            frame[14] = (uint8_t)injected;
            cr_assert_eq(nic_port_rx(E.t.nic, frame, sizeof frame, injected), 0);
            injected++;
        } else if (n == 0) {
            sched_yield();
        }
    }
    pthread_join(th, NULL);
    cr_assert(!vf_bad);
    cr_assert_eq(E.nwire, N_FRAMES);
    cr_assert_eq(E.ntxc, N_FRAMES);
    cr_assert_eq(E.nrx, N_FRAMES);
    for (uint64_t i = 0; i < N_FRAMES; i++) {
        cr_assert_eq(E.wire_id[i], i, "TX frame %lu", (unsigned long)i);
        cr_assert_eq(E.txc_st[i], NDIS_STATUS_SUCCESS);
        cr_assert_eq(E.rx_id[i], i, "RX frame %lu", (unsigned long)i);
    }
    cr_assert(E.rx_zero_copy_ok);
    cr_assert_eq(E.t.ndrops, 0);
    venv_down(&E);
}
