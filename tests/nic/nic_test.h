/* SPDX-License-Identifier: MIT */
/*
 * nic_test.h — fixture for the nic tests: a virtual-clock fabric with the simulated adapter and
 * a tiny in-test driver that reaches it ONLY as a real driver would: config space (SR-IOV
 * enable, MSI-X), MMIO to BAR0 (command window, queue registers, mailbox), memory mapped in an
 * IOMMU domain per function (rings and packet buffers), MSI-X handlers that count interrupts.
 * A recording wire and a recording drop sink observe what leaves the adapter.
 */
#ifndef SRIOVSIM_TESTS_NIC_TEST_H
#define SRIOVSIM_TESTS_NIC_TEST_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "nic/nic.h"
#include "sim/ring.h"

#define T_PF_RID      PCIE_RID(1, 0, 0)
#define T_MAX_VFS     8
#define T_IOVA        UINT64_C(0x10000000) /* every function maps its region here */
#define T_RING_SLOTS  64u
#define T_RING_AREA   4096u
#define T_BUF_SIZE    2048u
#define T_NBUF_TX     64u
#define T_NBUF_RX     64u
#define T_REGION_SIZE (4 * T_RING_AREA + (T_NBUF_TX + T_NBUF_RX) * T_BUF_SIZE)
#define T_WIRE_MAX    4096

/* The in-test driver's view of one function (PF or VF) with one queue pair (QP 0). */
struct t_fn {
    struct t_env *env;
    uint16_t rid;
    int vf; /* -1 for the PF */
    struct pcie_iommu_domain *dom;
    uint8_t *mem;             /* T_REGION_SIZE bytes mapped at T_IOVA */
    struct sim_ring *ring[4]; /* TX, TXC, RXF, RX (driver side, host pointers) */
    unsigned tx_next, rx_next;
    unsigned irq[32];
};

struct t_env {
    struct sim_sched *s;
    struct pcie_fabric *f;
    struct nic *nic;
    struct sim_drop_sink sink;
    struct t_fn pf;
    struct t_fn vf[T_MAX_VFS];
    unsigned nvfs;
    /* wire recorder */
    unsigned wire_n;
    uint64_t wire_id[T_WIRE_MAX];
    uint32_t wire_len[T_WIRE_MAX];
    sim_time_t wire_done[T_WIRE_MAX];
    uint8_t wire_last[T_BUF_SIZE];
    /* drop sink recorder */
    unsigned drop_n;
    uint64_t drop_by_cause[SIM_DROP_CAUSE_COUNT];
    uint64_t drop_last_id;
    enum sim_drop_cause drop_last_cause;
};

/* Build sched + fabric + nic (total_vfs VFs possible; max_filters 0 = default), map the PF's
 * memory, enable the PF (MSE, BME, MSI-X with every vector unmasked and counted), attach the
 * recording wire. */
void t_env_init(struct t_env *e, uint16_t total_vfs, uint16_t max_filters, bool poll_mode);
/* Tear everything down and assert that no allocation is left. */
void t_env_fini(struct t_env *e);

/* Run the virtual clock for dt. */
void t_run(struct t_env *e, sim_time_t dt);
/* Issue one command through the PF command window and wait for its completion (asserts the
 * admin interrupt). p holds np parameters (the rest are 0); results copied to r if non-NULL.
 * Returns the device error code. */
int t_cmd(struct t_env *e, uint32_t opcode, const uint32_t *p, unsigned np, uint32_t *r);
/* SR-IOV enable with ARI, wait for the VFs, enable each (BME, MSI-X), a domain per VF with
 * its memory mapped at T_IOVA. */
void t_enable_vfs(struct t_env *e, unsigned n);

/* Program and enable QP 0 of fn (rings in fn's memory); irq: NIC_QP_CTRL_IRQ or 0. Returns
 * NIC_REG_QP_STATUS after the enable. */
uint32_t t_qp_setup(struct t_fn *fn, uint32_t irq);
/* Post n RX fill buffers of T_BUF_SIZE bytes. */
void t_rx_post(struct t_fn *fn, unsigned n);
/* Queue a frame on fn's TX ring (header with packet id) and ring the TX doorbell. */
void t_send(struct t_fn *fn, const uint8_t *frame, uint32_t len, uint64_t id);
/* Take one received frame; returns false if the RX ring is empty. len gets the descriptor
 * length (NIC_RXD_LEN_UNUSED for returned buffers). frame may be NULL. */
bool t_recv(struct t_fn *fn, struct nic_pkt_hdr *hdr, uint8_t *frame, uint32_t *len);
/* Count frames waiting in fn's RX ring without taking them. */
unsigned t_rx_pending(struct t_fn *fn);
/* Reap TX completions; statuses into st (may be NULL, up to max). Returns how many. */
unsigned t_txc_reap(struct t_fn *fn, uint16_t *st, unsigned max);

/* One descriptor into / out of a ring (driver side). */
unsigned t_put(struct sim_ring *r, const uint64_t *d);
unsigned t_get(struct sim_ring *r, uint64_t *d);

/* MMIO helpers (BAR0). */
uint32_t t_rd(struct t_env *e, uint16_t rid, uint32_t off);
void t_wr(struct t_env *e, uint16_t rid, uint32_t off, uint32_t val);

/* Build an Ethernet frame: dst, src, optional 802.1Q tag (vlan < 0: untagged), IPv4 ethertype
 * and payload bytes. Returns the length. */
uint32_t t_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], int vlan,
                 uint32_t payload);
/* 02:00:00:00:00:nn */
void t_mac(uint8_t mac[6], uint8_t nn);

/* Switch with n VFs (n + 1 VPorts), VPort v+1 on VF v with MAC 02:..:v+1, anti-spoof on,
 * filter v+1 = that MAC with UNTAGGED_OR_ZERO; QP 0 of PF and every VF set up with irq and
 * 32 RX buffers posted. */
void t_seven(struct t_env *e, unsigned n);

#endif
