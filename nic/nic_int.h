/* SPDX-License-Identifier: MIT */
/*
 * nic_int.h — private state of the simulated SR-IOV adapter, shared by the nic/ .c files.
 * Models the adapter's internal tables: per-function register files and queue contexts, the
 * NIC switch's VPort and filter tables, the command engine, mailboxes and the port.
 */
#ifndef SRIOVSIM_NIC_INT_H
#define SRIOVSIM_NIC_INT_H

#include <stdatomic.h>

#include "nic/nic.h"
#include "sim/ring.h"

SIM_LOG_NS_DECLARE(nic);

#define NIC_NAME_MAX  48
#define NIC_WHERE_MAX 64

enum nic_ring_idx {
    NIC_RING_TX = 0,
    NIC_RING_TXC = 1,
    NIC_RING_RXF = 2,
    NIC_RING_RX = 3,
    NIC_RING_COUNT = 4,
};

struct nic_fn;

/* One queue pair context. Invariant: ring[i] != NULL for every i exactly while
 * status & NIC_QP_STATUS_ENABLED; they then point at validated sim_rings of `size` slots in
 * the function's memory (host pointers obtained by IOMMU translation of iova[i]). */
struct nic_qp {
    struct nic_fn *fn;
    uint16_t index;
    uint16_t vport; /* VPort owning this QP, or NIC_VPORT_NONE */
    uint64_t iova[NIC_RING_COUNT];
    uint32_t size, ctrl, status, cause;
    struct sim_ring *ring[NIC_RING_COUNT];
    struct sim_timer tx_timer; /* TX service scheduled by a doorbell (scenario mode) */
    struct nic_qp *port_next;  /* next QP waiting for the physical port (scenario mode) */
    bool port_waiting;         /* on the port's wait list */
};

/* Mailbox of one VF. vf_ctrl holds NIC_VF_MBX_CTRL_* bits. */
struct nic_mbx {
    uint32_t req[NIC_MBX_WORDS];
    uint32_t msg[NIC_MBX_WORDS];
    uint32_t vf_ctrl;
};

/* One function (the PF or a VF slot). A VF slot exists for every possible VF from creation
 * (no allocation when VFs are enabled); pcie is non-NULL while the VF exists on the fabric. */
struct nic_fn {
    struct nic *nic;
    struct pcie_fn *pcie;
    int vf_index; /* -1 for the PF */
    unsigned nqps;
    struct nic_qp *qps;
    uint16_t vport; /* VF: the VPort attached to it, or NIC_VPORT_NONE */
    bool reset_done;
    uint8_t mac[6];
    struct nic_mbx mbx;           /* VF only */
    char where_tx[NIC_WHERE_MAX]; /* drop point for TX before a VPort is known */
};

struct nic_vport {
    bool in_use;
    uint16_t id;
    struct nic_fn *fn;
    uint16_t first_qp, nqps;
    uint32_t flags; /* NIC_VPORT_F_* */
    uint8_t mac[6];
    uint16_t port_vlan;
    unsigned nfilters;
    struct nic_hw_vport_stats stats;
    char where_rx[NIC_WHERE_MAX], where_tx[NIC_WHERE_MAX];
};

/* A receive filter. `vport` is the only field the data path reads while a move runs: it is
 * stored with release and loaded with acquire (bench mode), so FILTER_MOVE is one atomic
 * re-point. Invariant: in_use <=> id appears in nic->filter_order. */
struct nic_filter {
    bool in_use;
    uint16_t id;
    _Atomic uint16_t vport;
    uint8_t mac[6];
    uint16_t vlan;
    uint32_t flags;
};

struct nic {
    struct pcie_fabric *fabric;
    struct sim_sched *sched;
    struct pcie_subscription sub;
    char name[NIC_NAME_MAX];
    char where_port_rx[NIC_WHERE_MAX], where_port_tx[NIC_WHERE_MAX];
    struct sim_drop_sink sink;
    bool has_sink;
    bool poll_mode;
    uint16_t pf_rid;
    uint16_t total_vfs, max_vports, max_filters, vf_qps;
    uint64_t rate_bps;

    struct nic_fn pf;
    struct nic_fn *vfs; /* total_vfs slots */
    struct nic_qp *qp_mem;

    /* NIC switch */
    bool switch_on;
    uint16_t sw_num_vfs, sw_num_vports, sw_default_qps;
    struct nic_vport *vports;   /* max_vports */
    struct nic_filter *filters; /* max_filters + 1, indexed by filter id */
    uint16_t *filter_order;     /* live filter ids in the order they were set */
    unsigned nfilters;

    /* command engine */
    uint32_t cmd_param[NIC_CMD_PARAM_WORDS], cmd_latched[NIC_CMD_PARAM_WORDS];
    uint32_t cmd_result[NIC_CMD_PARAM_WORDS];
    uint32_t cmd_status, cmd_tag, cmd_done_tag, cmd_opcode, cmd_latched_tag;
    struct sim_timer cmd_timer;

    /* mailbox summary (PF) */
    uint64_t mbx_req_pending, mbx_vflr_pending;

    /* physical port */
    struct nic_wire_ops wire;
    void *wire_ctx;
    bool wire_attached, admin_up, link_reported;
    sim_time_t port_busy_until;
    /* Scenario mode: queues with frames for the wire while the port is busy wait here, in
     * arrival order; each turn sends until the port is busy again (one frame), then the queue
     * goes to the back: round robin between queues, as the transmit arbiter of a multi-queue
     * NIC shares its port (no queue starves another). */
    struct nic_qp *port_wait_head, *port_wait_tail;
    struct nic_qp *port_turn; /* the queue the port is serving right now */
    struct sim_timer port_timer;

    struct nic_knobs knobs;
    struct nic_stats stats;
    struct nic_port_stats port_stats;

    /* scratch frame buffers (header + frame); the data path never allocates */
    uint8_t *tx_buf, *rx_buf;
    unsigned poll_cursor;
};

/* A parsed Ethernet frame, as the switch sees it. */
struct nic_frame {
    const uint8_t *data; /* Ethernet header first */
    uint32_t len;
    uint64_t packet_id;
    bool tagged;
    uint16_t tci, vid;
    bool bcast; /* broadcast or multicast destination */
};

/* device.c */
struct nic_fn *nic__fn_of(struct nic *nic, struct pcie_fn *fn);
uint16_t nic__fn_rid(const struct nic_fn *fn);
void nic__fire(struct nic_fn *fn, uint16_t vector);
void nic__drop(struct nic *nic, struct nic_hw_vport_stats *vs, enum sim_drop_cause cause,
               const char *where, uint64_t packet_id, const void *frame, uint32_t len);
enum sim_drop_cause nic__fn_gone_cause(const struct nic_fn *fn);

/* cmd.c */
void nic__cmd_init(struct nic *nic);
void nic__cmd_doorbell(struct nic *nic, uint32_t opcode);
void nic__cmd_reset(struct nic *nic);

/* vport.c */
struct nic_vport *nic__vport_get(struct nic *nic, uint32_t id);
int nic__vport_create(struct nic *nic, const uint32_t *p);
int nic__vport_delete(struct nic *nic, uint32_t id);
int nic__vport_set(struct nic *nic, const uint32_t *p);
int nic__vport_query(struct nic *nic, uint32_t id, uint32_t *r);
void nic__vport_init_default(struct nic *nic, uint16_t nqps);
void nic__vport_assign_qps(struct nic *nic, struct nic_vport *vp, bool assign);
int nic__switch_create(struct nic *nic, const uint32_t *p);
int nic__switch_delete(struct nic *nic);
void nic__switch_reset(struct nic *nic);

/* filter.c */
int nic__filter_set(struct nic *nic, const uint32_t *p);
int nic__filter_clear(struct nic *nic, uint32_t id);
int nic__filter_move(struct nic *nic, uint32_t id, uint32_t vport);
/* First filter matching f (in set order), or NULL. Allocation-free. */
const struct nic_filter *nic__filter_lookup(struct nic *nic, const struct nic_frame *f,
                                            uint16_t *vport_out);
bool nic__filter_matches(const struct nic_filter *flt, const struct nic_frame *f);

/* switch.c */
void nic__frame_parse(struct nic_frame *f, const uint8_t *data, uint32_t len, uint64_t id);
void nic__switch_from_wire(struct nic *nic, const struct nic_frame *f);
/* Forward a frame sent by VPort src; returns 0 if forwarded, else the drop cause + 1. */
int nic__switch_from_vport(struct nic *nic, struct nic_vport *src, const struct nic_frame *f);

/* antispoof.c */
/* 0 if src may send f, else the drop cause + 1. */
int nic__antispoof_check(const struct nic_vport *src, const struct nic_frame *f);

/* queue.c */
void nic__qp_init(struct nic_qp *qp, struct nic_fn *fn, uint16_t index);
void nic__qp_reset(struct nic_qp *qp);
uint32_t nic__qp_reg_read(struct nic_qp *qp, uint32_t off);
void nic__qp_reg_write(struct nic_qp *qp, uint32_t off, uint32_t val);
void nic__port_init(struct nic *nic);
void nic__port_fini(struct nic *nic);
long nic__qp_tx_service(struct nic_qp *qp, unsigned budget);
/* Deliver a frame into the first QP of vp (RX). Counts and reports drops itself. */
void nic__qp_deliver(struct nic *nic, struct nic_vport *vp, const struct nic_frame *f,
                     const struct nic_vport *src, bool strip);
void nic__fn_reset_queues(struct nic_fn *fn);

/* port.c */
/* Send a frame out of the port; returns 0 or the drop cause + 1 (link down). */
int nic__port_tx(struct nic *nic, const struct nic_frame *f);
void nic__port_link_update(struct nic *nic);
bool nic__link_up(const struct nic *nic);

/* mailbox.c */
uint32_t nic__mbx_pf_read(struct nic *nic, uint32_t off, bool *known);
void nic__mbx_pf_write(struct nic *nic, uint32_t off, uint32_t val, bool *known);
uint32_t nic__mbx_vf_read(struct nic_fn *vf, uint32_t off, bool *known);
void nic__mbx_vf_write(struct nic_fn *vf, uint32_t off, uint32_t val, bool *known);
void nic__mbx_vf_reset(struct nic_fn *vf);

/* counters.c */
void nic__vport_count_rx(struct nic_vport *vp, const struct nic_frame *f, bool switched);
void nic__vport_count_tx(struct nic_vport *vp, const struct nic_frame *f, bool to_wire);
int nic__stats_read(struct nic *nic, const uint32_t *p, uint32_t *r);

/* Reset the state of one VF (FLR or VF_RESET). */
void nic__vf_reset(struct nic_fn *vf, enum sim_drop_cause why);

#endif /* SRIOVSIM_NIC_INT_H */
