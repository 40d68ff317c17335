/* SPDX-License-Identifier: MIT */
/*
 * vf_int.h — private state of the VF miniport (the MINIPORT_ADAPTER context of netvmini's
 * adapter.h): the adapter, its TCB/RCB pools, the mailbox queue. Only hw.c includes the
 * datasheet's register layout for MMIO; the descriptor format (nic_regs.h §7) is shared by
 * the data path because descriptors and the packet header live in guest memory.
 */
#ifndef SRIOVSIM_MINIPORT_VF_INT_H
#define SRIOVSIM_MINIPORT_VF_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "miniport_vf/miniport_vf.h"
#include "nic/nic_regs.h"
#include "sim/ring.h"

SIM_LOG_NS_DECLARE(vf);

enum { VF_RING_TX = 0, VF_RING_TXC = 1, VF_RING_RXF = 2, VF_RING_RX = 3, VF_RINGS = 4 };

/* Transmit control block: one descriptor in flight. Invariant: the TCBs of indices
 * [tx_tail, tx_head) are in flight, in the order the device completes them. */
struct vf_tcb {
    struct ndis_nbl *nbl; /* NULL for a raw (vf_adapter_send_gpa) frame */
    uint64_t gpa;         /* buffer GPA (packet header first) the descriptor carried */
    uint64_t packet_id;
    uint32_t len;
};

/* Receive control block: one guest-memory buffer and the NBL that describes it upward. */
enum vf_rcb_state { VF_RCB_IDLE = 0, VF_RCB_POSTED = 1, VF_RCB_LENT = 2 };
struct vf_rcb {
    uint64_t gpa;
    uint8_t *host; /* the driver's (CPU) view of the buffer */
    struct ndis_nbl *nbl;
    uint8_t state;
};

/* One mailbox request (VF -> PF). */
enum vf_mbx_kind {
    VF_MBX_RESET = 1,     /* VF_RESET handshake (init / reset) */
    VF_MBX_SET_MAC = 2,   /* SET_MAC */
    VF_MBX_SET_VLAN = 3,  /* SET_VLAN */
    VF_MBX_SET_MCAST = 4, /* SET_MULTICAST */
    VF_MBX_CFG_READ = 5,  /* CFG_BLOCK_READ (re-read an invalidated config block) */
};
struct vf_mbx_req {
    enum vf_mbx_kind kind;
    uint32_t words[NIC_MBX_WORDS];
    unsigned nwords;
    vf_request_cb cb; /* user callback (NULL for internal requests) */
    void *ctx;
};

struct vf_adapter {
    char name[VF_NAME_MAX];
    char where_tx[VF_NAME_MAX + 8], where_rx[VF_NAME_MAX + 8];
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    struct hv_partition *guest;
    uint16_t rid;
    uint32_t serial;
    bool poll_mode;
    bool has_sink;
    struct sim_drop_sink sink;
    struct ndis_miniport *mp;
    struct pcie_subscription sub;

    /* Hardware / lifecycle. */
    bool hw_up; /* MiniportInitializeEx succeeded, MiniportHaltEx not yet run */
    /* Surprise-removed: no MMIO, nothing new posted. Set on the loop thread, read by the
     * data path (possibly another thread in poll mode): seq_cst atomic. */
    _Atomic bool removed;
    bool removal_flushed; /* the in-flight accounting ran (data-path owner) */
    char removal_how[32];
    bool configured; /* the PF ACKed VF_RESET */
    bool running;    /* between MiniportRestart (done) and MiniportPause */
    bool pausing;    /* MiniportPause pended: completes when nothing is in flight */
    bool restart_pending;
    uint8_t perm_mac[6], cur_mac[6];
    uint32_t qp_count;

    /* Queue pair 0: four rings in one GPA range, receive buffers in another. */
    unsigned slots, rx_count;
    size_t ring_bytes; /* one ring (sim_ring_memsize), rounded to 64 */
    uint64_t ring_gpa, rxbuf_gpa;
    struct sim_ring *ring[VF_RINGS];
    struct vf_tcb *tcb; /* slots entries */
    uint32_t tx_head, tx_tail;
    struct vf_rcb *rcb; /* rx_count entries */
    unsigned rx_lent;   /* RCBs lent to NDIS */
    struct ndis_nbl_pool *rx_pool;
    uint64_t *burst; /* slots entries: scratch for burst dequeues */

    struct sim_timer dpc;       /* the QP interrupt's DPC (scenario mode) */
    struct sim_timer mbx_timer; /* the outstanding request's deadline */

    /* Mailbox: a FIFO of requests; the head is outstanding while mbx_busy. */
    struct vf_mbx_req mbx_q[VF_MBX_QUEUE + 1];
    unsigned mbx_head, mbx_count;
    bool mbx_busy;     /* a REQ was written and the device has not seen it answered */
    bool mbx_head_out; /* the head request is outstanding (not yet completed/timed out) */
    uint8_t mbx_seq;
    uint32_t mbx_reply[NIC_MBX_WORDS]; /* reply words of the outstanding request */
    bool mbx_have_reply;
    struct ndis_oid_request *inval_oid; /* OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK pended */
    unsigned inval_reads;               /* config-block reads the pended OID waits for */

    struct vf_stats stats;
    struct sim_diag last_error;
};

/* ---- hw.c: the only code that knows the register map ---- */
int vf__hw_probe(struct vf_adapter *a, struct sim_diag *d);
int vf__hw_queues_alloc(struct vf_adapter *a, struct sim_diag *d);
void vf__hw_queues_free(struct vf_adapter *a);
int vf__hw_qp_enable(struct vf_adapter *a, struct sim_diag *d);
void vf__hw_qp_disable(struct vf_adapter *a);
int vf__hw_msix_setup(struct vf_adapter *a, struct sim_diag *d);
void vf__hw_msix_teardown(struct vf_adapter *a);
/* Doorbells (scenario mode); false if the function is gone (the read/write hit all-ones). */
bool vf__hw_tx_doorbell(struct vf_adapter *a);
bool vf__hw_rxf_doorbell(struct vf_adapter *a);
/* Clear the QP's interrupt causes; false if the device is gone. */
bool vf__hw_qp_ack(struct vf_adapter *a);
/* Mailbox registers. ctrl read: false if gone. */
bool vf__hw_mbx_ctrl(struct vf_adapter *a, uint32_t *ctrl);
bool vf__hw_mbx_write_req(struct vf_adapter *a, const uint32_t *w, unsigned n);
void vf__hw_mbx_read_msg(struct vf_adapter *a, uint32_t *w);
void vf__hw_mbx_release_msg(struct vf_adapter *a);

/* ---- tcbrcb.c ---- */
int vf__pools_create(struct vf_adapter *a, struct sim_diag *d);
void vf__pools_destroy(struct vf_adapter *a);
/* Post every idle RCB to the RXF ring; returns how many. */
unsigned vf__rcb_post_idle(struct vf_adapter *a);
struct vf_rcb *vf__rcb_from_gpa(struct vf_adapter *a, uint64_t gpa);
static inline uint32_t
vf__tx_inflight(const struct vf_adapter *a)
{
    return a->tx_head - a->tx_tail;
}

/* ---- datapath.c ---- */
void vf__send_nbls(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags);
void vf__return_nbls(void *ctx, struct ndis_nbl *chain, uint32_t flags);
unsigned vf__tx_reap(struct vf_adapter *a, unsigned budget);
/* Complete every TCB still in flight with `status`, reporting `cause`; returns how many. */
unsigned vf__tx_flush(struct vf_adapter *a, ndis_status_t status, enum sim_drop_cause cause);
/* Drop every filled RX descriptor not yet indicated (cause); returns frames dropped. */
unsigned vf__rx_flush(struct vf_adapter *a, enum sim_drop_cause cause);
void vf__dpc(struct sim_timer *t);
void vf__drop(struct vf_adapter *a, enum sim_drop_cause cause, bool tx, uint64_t packet_id,
              const void *frame, uint32_t len);

/* ---- miniport.c ---- */
/* The device stopped answering (all-ones / ENODEV seen on the data path or the mailbox). */
void vf__device_gone(struct vf_adapter *a, const char *where);
/* Account for a surprise removal on the data path's owner thread (idempotent). */
void vf__removal_flush(struct vf_adapter *a);
/* Complete a pended MiniportPause once nothing is in flight. */
void vf__pause_check(struct vf_adapter *a);

/* ---- mailbox.c ---- */
int vf__mbx_submit(struct vf_adapter *a, const struct vf_mbx_req *r, struct sim_diag *d);
void vf__mbx_interrupt(void *ctx, uint16_t rid, uint16_t vector);
void vf__mbx_timeout(struct sim_timer *t);
/* Fail every queued request with status (halt / removal). */
void vf__mbx_cancel_all(struct vf_adapter *a, ndis_status_t status);
/* Re-read invalidated config blocks (mask bit i = block i); returns reads queued. */
unsigned vf__mbx_reread_blocks(struct vf_adapter *a, uint64_t mask);

/* ---- ctrlpath.c ---- */
ndis_status_t vf__oid_request(void *ctx, struct ndis_oid_request *req);

/* MAC helpers. */
void vf__mac_format(const uint8_t mac[6], char out[18]);

#endif /* SRIOVSIM_MINIPORT_VF_INT_H */
