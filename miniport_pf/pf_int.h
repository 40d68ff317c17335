/* SPDX-License-Identifier: MIT */
/*
 * pf_int.h — private to miniport_pf: the adapter context (MiniportAdapterContext), the VF,
 * VPort and filter tables, the device-command queue, the queue pairs (default VPort + VMQ; TCB/RCB
 * pools, DMA memory) and the functions each file exports to the others (`pf__` prefix). Only
 * hw.c touches the device's registers (MMIO); the rest of the driver talks to it through the
 * pf__hw_* calls and the command opcodes re-exported below as PF_HW_* symbols. The data path
 * (datapath.c, tcbrcb.c) also reads nic/nic_regs.h §7 — the descriptor and packet-header
 * format — because descriptors and buffers live in the PF's own (host) memory.
 *
 * Windows counterpart: the MP_ADAPTER structure and the private header of the netvmini sample
 * (adapter.h / hardware.h), extended with the SR-IOV state a PF miniport keeps.
 */
#ifndef SRIOVSIM_PF_INT_H
#define SRIOVSIM_PF_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "miniport_pf/miniport_pf.h"
#include "sim/ring.h"

SIM_LOG_NS_DECLARE(pf);
SIM_ALLOC_TAG_DECLARE(pf_adapter);
SIM_ALLOC_TAG_DECLARE(pf_tables);

#define PF_NAME_MAX     NDIS_NAME_MAX
#define PF_CMD_QUEUE    32 /* device commands waiting or in flight (fixed pool) */
#define PF_CMD_PARAMS   8
#define PF_CMD_RESULTS  8
#define PF_CMD_WATCHDOG SIM_MSEC(50) /* a command not done by then: look at the status */
#define PF_PF_MAX_QPS   16           /* PF queue pairs (read from the device at probe) */

/* Device command opcodes, as the rest of the driver names them (values live in hw.c). */
enum pf_hw_op {
    PF_HW_SWITCH_CREATE = 1,
    PF_HW_SWITCH_DELETE,
    PF_HW_VPORT_CREATE,
    PF_HW_VPORT_DELETE,
    PF_HW_VPORT_SET,
    PF_HW_FILTER_SET,
    PF_HW_FILTER_CLEAR,
    PF_HW_FILTER_MOVE,
};

/* VPORT_SET field mask and VPort flags, device-independent names (mapped in hw.c). */
#define PF_VPSET_FLAGS   0x1u
#define PF_VPSET_MAC     0x2u
#define PF_VPSET_VLAN    0x4u
#define PF_VPF_ACTIVATED 0x1u
#define PF_VPF_TRUSTED   0x2u
#define PF_VPF_ANTISPOOF 0x4u
#define PF_FLT_MAC       0x1u
#define PF_FLT_VLAN      0x2u
#define PF_FLT_UNTAGGED  0x4u

/* Data path: the default VPort's queue pair (PF QP 0) and one VMQ queue per PF non-default
 * VPort (its first PF QP). */
#define PF_RING_SLOTS_DEFAULT 256u  /* slots per ring of the queue pair (power of two) */
#define PF_RING_SLOTS_MAX     4096u /* the datasheet's NIC_QP_RING_MAX (checked in hw.c) */
#define PF_BUF_SIZE           2048u /* one TX or RX buffer: nic_pkt_hdr + up to 2032 bytes */
#define PF_DPC_BUDGET         64u   /* descriptors per direction per DPC pass */
#define PF_DMA_IOVA           0x40000000ull /* where the PF maps its DMA memory (own domain) */
/* A VMQ queue (PF QP q > 0) maps its own DMA memory at PF_DMA_IOVA + q * PF_QP_IOVA_STRIDE
 * (above any default-queue size: 4096 slots need about 13 MB). */
#define PF_QP_IOVA_STRIDE 0x10000000ull
/* VMQ queues are smaller than the default one: a VPort serves one VM (about 0.2 MB each). */
#define PF_VMQ_RING_SLOTS 64u
#define PF_VMQ_RX_BUFFERS 32u
#define PF_QP_RINGS       4 /* TX, TXC, RXF, RX */
enum { PF_RING_TX = 0, PF_RING_TXC = 1, PF_RING_RXF = 2, PF_RING_RX = 3 };
/* Transmit control block: one descriptor in flight and its own buffer in DMA memory (the
 * frame is copied there: host NBLs are not in the PF's IOMMU domain). Invariant: TCBs
 * [tx_tail, tx_head) are in flight, in the order the device completes them. */
struct pf_tcb {
    struct ndis_nbl *nbl;
    uint64_t iova; /* buffer IOVA (packet header first) */
    uint8_t *host;
    uint64_t packet_id;
    uint32_t len;
};

/* Receive control block: one DMA buffer and the NBL that describes it to NDIS. */
enum { PF_RCB_IDLE = 0, PF_RCB_POSTED = 1, PF_RCB_LENT = 2 };
struct pf_rcb {
    uint64_t iova;
    uint8_t *host;
    struct ndis_nbl *nbl;
    uint8_t state;
};

struct pf_adapter;

/* One queue pair of the PF in its own DMA memory: QP 0 for the default VPort (a->qp0, from
 * MiniportInitializeEx to MiniportHaltEx) or a VMQ queue (a->vmq[index], from CREATE_VPORT of
 * a PF non-default VPort to its DELETE_VPORT). NBLs the queue lends carry the RCB index and
 * the QP index in MiniportReserved. Invariants: TCBs [tx_tail, tx_head) are in flight; `up`
 * => the device has the QP enabled; `closing` => the VPort is gone, the queue is disabled and
 * is freed when its last lent NBL comes back. */
struct pf_qp {
    struct pf_adapter *a;
    uint16_t index;    /* PF QP number on the device */
    uint32_t vport_id; /* NDIS VPort id it serves (NDIS_DEFAULT_VPORT_ID for QP 0) */
    bool up, closing;
    unsigned slots, rx_count;
    uint64_t dma_iova; /* where its memory is mapped in the PF's domain */
    void *dma_mem;     /* allocation behind dma_host */
    uint8_t *dma_host; /* page-aligned */
    size_t dma_len, ring_bytes;
    struct sim_ring *ring[PF_QP_RINGS];
    struct pf_tcb *tcb; /* slots entries */
    uint32_t tx_head, tx_tail;
    struct pf_rcb *rcb; /* rx_count entries */
    unsigned rx_lent;
    struct ndis_nbl_pool *rx_pool;
    uint64_t *burst;       /* slots entries: scratch for descriptors being posted */
    struct sim_timer *dpc; /* QP 0: &a->dpc; a VMQ queue: &own_dpc */
    struct sim_timer own_dpc;
    char where_tx[PF_NAME_MAX + 16], where_rx[PF_NAME_MAX + 16];
    struct pf_qp *next_closing; /* a->vmq_closing list */
};

struct pf_cmd;
/* Completion of a device command: err 0 or the device's NIC_ERR_* code (> 0), or a negative
 * SIM_E* (SIM_ETIMEDOUT: watchdog, SIM_ECANCELED: adapter halting / removed). */
typedef void (*pf_cmd_cb)(struct pf_adapter *a, struct pf_cmd *c, int err);

struct pf_cmd {
    enum pf_hw_op op;
    uint32_t p[PF_CMD_PARAMS];
    uint32_t r[PF_CMD_RESULTS];
    pf_cmd_cb cb;
    void *ctx;
    uintptr_t arg;
    uint32_t tag;
};

/* One VF as the PF sees it. Invariant: allocated => vf_id < a->num_vfs; vport_id is
 * NDIS_INVALID_VPORT_ID while no VPort is attached. */
struct pf_vf {
    bool allocated;
    struct ndis_nic_switch_vf_parameters params; /* as allocated: immutable afterwards */
    uint16_t rid;
    uint32_t vport_id;
    bool needs_flr; /* may have run since its last FLR: RESET_VF must precede FREE_VF */
    uint32_t power_state;
    bool wake_enable;
    bool trusted;
    uint16_t admin_vlan;
    uint8_t cur_mac[6];
    uint16_t cur_vlan;
    unsigned mc_count;
    uint8_t mc[PF_VF_MAX_MULTICAST][6];
    bool mbx_busy;          /* a request of this VF is being served (waits for a command) */
    uint64_t inval_pending; /* coalesced invalidation mask not yet posted on the mailbox */
    uint8_t blocks[PF_CFG_BLOCKS][PF_CFG_BLOCK_SIZE];
};

/* A VPort. Invariant: used => the device has it (command completed). */
struct pf_vport {
    bool used;
    struct ndis_nic_switch_vport_parameters params;
    uint16_t first_qp;
    unsigned nfilters;
};

struct pf_filter {
    bool used;
    uint32_t vport_id;
    uint32_t flags; /* PF_FLT_* */
    uint8_t mac[6];
    uint16_t vlan;
};

/* MiniportAdapterContext. */
struct pf_adapter {
    char name[PF_NAME_MAX];
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    uint16_t rid;
    struct ndis_miniport *mp;
    bool initialized; /* between MiniportInitializeEx and MiniportHaltEx */
    bool removed;     /* surprise-removed */

    /* What the device reported at probe (capability registers, SR-IOV capability). */
    uint8_t mac[6];
    uint16_t total_vfs;
    uint16_t max_vports;
    uint16_t max_filters;
    uint16_t pf_qps;
    uint16_t vf_qps;
    uint32_t hw_caps; /* NIC_CAP_F_* as read */
    uint16_t vendor_id, vf_device_id;

    /* NIC switch. */
    bool switch_created;
    struct ndis_nic_switch_parameters switch_params;
    uint16_t num_vfs; /* VFs enabled with NdisMEnableVirtualization */
    uint16_t default_qps;
    uint32_t pf_qp_used;     /* bitmap of PF QPs given to VPorts */
    sim_time_t vfs_ready_at; /* VF Enable + 100 ms: VFs usable from then on */

    struct pf_vf *vfs;         /* [total_vfs] */
    struct pf_vport *vports;   /* [max_vports] */
    struct pf_filter *filters; /* [max_filters + 1]; id 0 unused */

    /* The OID the handler pended (the dispatcher sends one at a time). */
    struct ndis_oid_request *pending;
    struct sim_timer oid_timer; /* CREATE_SWITCH waits for the VF-enable delay */
    void (*flr_cb)(struct pf_adapter *, uint16_t, int); /* FLR in flight (one at a time) */
    uint16_t flr_vf;

    /* Device command queue: ring of PF_CMD_QUEUE; cmd_head is in flight when cmd_busy. */
    struct pf_cmd cmdq[PF_CMD_QUEUE];
    unsigned cmd_head, cmd_count;
    bool cmd_busy;
    uint32_t cmd_tag;
    struct sim_timer cmd_watchdog;

    /* Data path: the default VPort's queue pair (PF QP 0) in the PF's own DMA memory. */
    bool poll_mode; /* bench: no QP interrupt, no doorbells; the owner calls pf_adapter_poll */
    bool has_sink;
    struct sim_drop_sink sink;
    char where_tx[PF_NAME_MAX + 8], where_rx[PF_NAME_MAX + 8];
    bool dp_up;               /* QP enabled, pools ready (MiniportInitializeEx .. MiniportHaltEx) */
    bool running;             /* MiniportRestart .. MiniportPause */
    bool pausing;             /* MiniportPause pended: completes when nothing is in flight */
    unsigned slots, rx_count; /* the default queue's sizes (pf_config) */
    struct pcie_iommu_domain *dma_dom; /* the PF RID's translation domain */
    struct pf_qp qp0;                  /* the default VPort's queue pair */
    struct pf_qp *vmq[PF_PF_MAX_QPS];  /* VMQ queues by PF QP index (NULL: none) */
    struct pf_qp *vmq_pending;         /* CREATE_VPORT in flight: allocated, not yet enabled */
    struct pf_qp *vmq_closing;         /* deleted VPorts' queues waiting for lent NBLs */
    struct sim_timer dpc;

    pf_policy_fn policy;
    void *policy_ctx;
    struct pf_stats stats;
    struct sim_diag last_refusal;
};

/* ---- adapter.c ----------------------------------------------------------------------------- */
/* Record a refusal: status + static rule on req, the formatted reason (with the status name
 * appended) in a->last_refusal and the log. Returns status. */
ndis_status_t pf__refuse(struct pf_adapter *a, struct ndis_oid_request *req, ndis_status_t status,
                         const char *rule, const char *fmt, ...) SIM_PRINTF(5, 6);
/* Short OID name without the "OID_" / "OID_NIC_SWITCH_" prefixes, for reasons. */
const char *pf__oid_short(ndis_oid_t oid);
struct pf_vf *pf__vf(struct pf_adapter *a, uint32_t vf_id);          /* allocated VF or NULL */
struct pf_vport *pf__vport(struct pf_adapter *a, uint32_t vport_id); /* used or NULL */
uint32_t pf__vf_first_vport(const struct pf_adapter *a, uint16_t vf_id);
/* Build the NIC switch capabilities from what the device reported. */
void pf__nic_switch_caps(const struct pf_adapter *a, struct ndis_nic_switch_capabilities *c);
/* Complete the pended OID (exactly once). */
void pf__oid_complete(struct pf_adapter *a, ndis_status_t status);
/* Map a device error of a command to the OID's documented status (hw.c), and name it. */
ndis_status_t pf__status_from_hw(int err);
const char *pf__hw_err_name(int err);
void pf__mac_format(const uint8_t mac[6], char buf[18]);
/* Keep config blocks 0 and 1 in step with the VF's state; invalidate when `notify`. */
void pf__vf_blocks_refresh(struct pf_adapter *a, uint16_t vf_id, bool notify);

/* ---- ctrlpath.c / switch.c / vf.c / vport.c / filter.c: OID handlers ---------------------- */
ndis_status_t pf__oid_request(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__create_switch(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__delete_switch(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__switch_parameters_set(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__switch_parameters_get(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__enum_switches(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__allocate_vf(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__free_vf(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__vf_parameters(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__enum_vfs(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__reset_vf(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__set_vf_power_state(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__vf_config_space(struct pf_adapter *a, struct ndis_oid_request *req, bool write);
ndis_status_t pf__vf_config_block(struct pf_adapter *a, struct ndis_oid_request *req, bool write);
ndis_status_t pf__vf_vendor_device_id(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__probed_bars(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__bar_resources(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__create_vport(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__delete_vport(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__vport_parameters_set(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__vport_parameters_get(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__enum_vports(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__set_filter(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__clear_filter(struct pf_adapter *a, struct ndis_oid_request *req);
ndis_status_t pf__move_filter(struct pf_adapter *a, struct ndis_oid_request *req);
/* Halt-time cleanup of what is left (flagged in stats by the caller). */
void pf__vf_force_release_all(struct pf_adapter *a);

/* ---- mailbox.c ----------------------------------------------------------------------------- */
void pf__mbx_interrupt(struct pf_adapter *a);
void pf__mbx_post_invalidation(struct pf_adapter *a, uint16_t vf_id, uint64_t mask);
void pf__mbx_flush(struct pf_adapter *a);

/* ---- tcbrcb.c: TCB / RCB pools and the DMA memory behind them ------------------------------ */
/* The PF's IOMMU domain (its RID attached), created with the default queue, destroyed last. */
int pf__dma_domain_create(struct pf_adapter *a, struct sim_diag *d);
void pf__dma_domain_destroy(struct pf_adapter *a);
/* Pools of one queue pair (PF QP `index`, serving `vport_id`): TCBs, RCBs with their NBLs, the
 * four rings and the buffers in DMA memory mapped in the PF's domain. The domain must exist. */
int pf__qp_pools_create(struct pf_adapter *a, struct pf_qp *q, uint16_t index, uint32_t vport_id,
                        unsigned slots, unsigned rx_count, struct sim_diag *d);
void pf__qp_pools_destroy(struct pf_qp *q);
/* A VMQ queue for a PF non-default VPort (control path: CREATE_VPORT): allocated with its pools
 * at the VMQ sizes; freed (pools + struct) by pf__vmq_free. */
int pf__vmq_alloc(struct pf_adapter *a, uint16_t index, uint32_t vport_id, struct pf_qp **out,
                  struct sim_diag *d);
void pf__vmq_free(struct pf_qp *q);
unsigned pf__rcb_post_idle(struct pf_qp *q);
struct pf_rcb *pf__rcb_from_iova(struct pf_qp *q, uint64_t iova);
static inline uint32_t
pf__tx_inflight(const struct pf_qp *q)
{
    return q->tx_head - q->tx_tail;
}

/* ---- datapath.c: MiniportSendNetBufferLists, MiniportReturnNetBufferLists, the DPC -------- */
/* Bring the default VPort's queue pair up (domain, pools, QP enable, RX buffers posted) /
 * down (every queue off, everything in flight completed or dropped with `cause`, memory
 * freed). */
int pf__dp_start(struct pf_adapter *a, struct sim_diag *d);
void pf__dp_stop(struct pf_adapter *a, enum sim_drop_cause cause);
void pf__send_nbls(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags);
void pf__return_nbls(void *ctx, struct ndis_nbl *chain, uint32_t flags);
/* QP `index`'s MSI-X interrupt (scenario mode): schedules that queue's DPC. */
void pf__dp_interrupt(struct pf_adapter *a, uint16_t index);
void pf__dpc(struct sim_timer *t); /* QP 0's DPC timer (a->dpc) */
void pf__qp_dpc(struct pf_qp *q);  /* any queue's DPC body (a VMQ queue's own timer) */
/* Surprise removal: complete / drop everything in flight (ADAPTER_REMOVED). */
void pf__dp_removed(struct pf_adapter *a);
/* MiniportPause: PENDING while sends or indications are outstanding. */
ndis_status_t pf__dp_pause(struct pf_adapter *a);
void pf__drop(struct pf_adapter *a, enum sim_drop_cause cause, bool tx, uint64_t packet_id,
              const void *frame, uint32_t len);
/* VMQ (CREATE_VPORT of a PF VPort completed on the device): enable the allocated queue, post
 * its RX buffers; it then serves the VPort. 0 or SIM_E* with the reason in d (q untouched). */
int pf__vmq_start(struct pf_adapter *a, struct pf_qp *q, struct sim_diag *d);
/* DELETE_VPORT: disable the VPort's queue, complete what the device finished, drop the rest
 * with `cause`, free the memory (at once, or when the last lent NBL comes back). */
void pf__vmq_stop(struct pf_adapter *a, uint32_t vport_id, enum sim_drop_cause cause);

/* ---- hw.c: the only file that touches the device ------------------------------------------ */
/* Probe: identity, capabilities, SR-IOV capability, MAC. SIM_ENODEV with the reason in d. */
int pf__hw_probe(struct pf_adapter *a, struct sim_diag *d);
/* MiniportInitializeEx hardware part: memory + bus master, MSI-X vectors connected, unmasked,
 * enabled. MiniportHaltEx part: the reverse; queued commands are cancelled. */
int pf__hw_start(struct pf_adapter *a, struct sim_diag *d);
void pf__hw_stop(struct pf_adapter *a);
/* Queue a device command (params copied). Returns 0 (cb runs exactly once, later) or
 * SIM_ENOSPC (queue full) / SIM_ENODEV (adapter stopped); then cb never runs. */
int pf__hw_cmd(struct pf_adapter *a, enum pf_hw_op op, const uint32_t *p, unsigned np, pf_cmd_cb cb,
               void *ctx, uintptr_t arg);
/* The command watchdog fired (timer callback lives in miniport.c). */
void pf__hw_watchdog(struct pf_adapter *a);
/* CREATE_SWITCH: the VF-enable delay is over (timer callback lives in miniport.c). */
void pf__create_switch_ready(struct pf_adapter *a);
/* RESET_VF: the fabric says the FLR finished. */
void pf__reset_vf_done(struct pf_adapter *a, uint16_t vf_id, int status);
/* Cancel every queued command (callbacks run with SIM_ECANCELED). */
void pf__hw_cmd_cancel_all(struct pf_adapter *a);
/* The NdisM* PF helpers' hooks (NdisMEnableVirtualization etc.), backed by the fabric. */
extern const struct ndis_pf_hw_ops pf__hw_ops;
/* FLR of a VF (OID_SRIOV_RESET_VF). done(a, vf_id, 0 | SIM_ETIMEDOUT). */
int pf__hw_vf_flr(struct pf_adapter *a, uint16_t vf_id,
                  void (*done)(struct pf_adapter *, uint16_t, int));
/* VF power state through the VF's PCI PM capability (PMCSR). 0, or SIM_ENODEV / SIM_ENOTSUP. */
int pf__hw_vf_set_power(struct pf_adapter *a, uint16_t vf_id, uint32_t ndis_dstate, bool wake);
/* Location (RID) of VF vf_id from the SR-IOV capability; 0 or SIM_ERANGE / SIM_ENODEV. */
int pf__hw_vf_rid(struct pf_adapter *a, uint16_t vf_id, uint16_t *rid);
/* Physical address and size of VF vf_id's BAR bar (SR-IOV VF BAR templates). */
int pf__hw_vf_bar(struct pf_adapter *a, uint16_t vf_id, unsigned bar, uint64_t *addr,
                  uint64_t *size);
/* PF queue pair `index` (0: the default VPort's; > 0: a VMQ queue): program the ring IOVAs and
 * size, enable it (interrupts unless poll mode; a VMQ queue's MSI-X vector is connected and
 * unmasked first); disable (vector disconnected again). Doorbells and interrupt-cause
 * acknowledge return false if the device is gone (all-ones / ENODEV). */
int pf__hw_qp_enable(struct pf_adapter *a, uint16_t index, unsigned slots, uint64_t ring_iova,
                     size_t ring_bytes, struct sim_diag *d);
void pf__hw_qp_disable(struct pf_adapter *a, uint16_t index);
bool pf__hw_tx_doorbell(struct pf_adapter *a, uint16_t index);
bool pf__hw_rxf_doorbell(struct pf_adapter *a, uint16_t index);
bool pf__hw_qp_ack(struct pf_adapter *a, uint16_t index);
/* Link state for GET_LINK. */
void pf__hw_link(struct pf_adapter *a, bool *up, uint32_t *mbps);
/* Mailbox: pending bitmaps (read and clear VFLR), request words, answer, PF message. */
uint64_t pf__hw_mbx_req_pending(struct pf_adapter *a);
uint64_t pf__hw_mbx_take_vflr(struct pf_adapter *a);
void pf__hw_mbx_read_req(struct pf_adapter *a, uint16_t vf_id, uint32_t words[16]);
/* Answer: ack true = ACK else NACK; nwords > 0 delivers reply words as a PF message too. */
void pf__hw_mbx_answer(struct pf_adapter *a, uint16_t vf_id, bool ack, const uint32_t *words,
                       unsigned nwords);
/* Post an unsolicited PF->VF message; false if the VF still holds the previous one. */
bool pf__hw_mbx_send(struct pf_adapter *a, uint16_t vf_id, const uint32_t *words, unsigned n);

/* Mailbox message vocabulary, device-independent names for mailbox.c (values from hw.c). */
extern const uint16_t pf__mbx_type_vf_reset, pf__mbx_type_set_mac, pf__mbx_type_set_multicast,
    pf__mbx_type_set_vlan, pf__mbx_type_set_mtu, pf__mbx_type_api, pf__mbx_type_get_queues,
    pf__mbx_type_get_link, pf__mbx_type_cfg_read, pf__mbx_type_cfg_write,
    pf__mbx_type_cfg_invalidate;
uint32_t pf__mbx_hdr(uint16_t type, unsigned len, unsigned seq);
uint16_t pf__mbx_hdr_type(uint32_t w0);
unsigned pf__mbx_hdr_len(uint32_t w0);
unsigned pf__mbx_hdr_seq(uint32_t w0);
void pf__mac_to_words(const uint8_t mac[6], uint32_t *lo, uint32_t *hi);
void pf__mac_from_words(uint32_t lo, uint32_t hi, uint8_t mac[6]);

#endif /* SRIOVSIM_PF_INT_H */
