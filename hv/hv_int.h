/* SPDX-License-Identifier: MIT */
/*
 * hv_int.h — private structures of the hv module (partitions, VMBus channels and endpoints,
 * VPCI devices). Nothing here is part of the API.
 */
#ifndef SRIOVSIM_HV_INT_H
#define SRIOVSIM_HV_INT_H

#include <stdalign.h>
#include <stdatomic.h>

#include "hv/hv.h"

SIM_LOG_NS_DECLARE(hv);
SIM_ALLOC_TAG_DECLARE(hv_partition);
SIM_ALLOC_TAG_DECLARE(hv_memory);
SIM_ALLOC_TAG_DECLARE(hv_vmbus);
SIM_ALLOC_TAG_DECLARE(hv_vpci);

#define HV__NAME_MAX  32
#define HV__WHERE_MAX 96
/* Page-table entry of a GPA page: free, the first page of a range (its length in pages), or a
 * later page of a range. */
#define HV__PAGE_FREE 0u
#define HV__PAGE_TAIL UINT32_MAX
/* Section states. */
#define HV__SEC_FREE  0
#define HV__SEC_TAKEN 1
#define HV__SEC_LENT  2

/* A registered guest VMBus driver (VSC). */
struct hv_vmbus_driver {
    char type[HV_VMBUS_TYPE_MAX]; /* "" = unused slot */
    struct hv_vmbus_driver_ops ops;
    void *ctx;
};

/*
 * Invariants:
 *   - mem is page-aligned; GPA g in [0, mem_size) is host address mem + g;
 *   - pages[i] == HV__PAGE_FREE for a free page, n >= 1 for the first page of an n-page range,
 *     HV__PAGE_TAIL for the others; page 0 is a 1-page range (reserved) for the whole life;
 *   - pages_used counts non-free pages;
 *   - domain != NULL iff fabric != NULL; it maps [0, mem_size) -> mem, RW, from creation on.
 */
struct hv_partition {
    uint32_t id;
    char name[HV__NAME_MAX];
    enum hv_partition_kind kind;
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    struct hv_partition_config cfg; /* latency defaults (name pointer not kept) */

    void *mem_block; /* sim_alloc'd block holding mem */
    uint8_t *mem;
    uint64_t mem_size;
    uint32_t npages;
    uint32_t *pages;
    uint32_t pages_used;

    struct pcie_iommu_domain *domain;
    struct pcie_subscription sub; /* fabric events, for VPCI devices */

    struct hv_vmbus_driver drivers[HV_VMBUS_DRIVERS_MAX];
    struct hv_vmbus_channel *guest_channels; /* channels offered to this partition */
    struct hv_vmbus_channel *host_channels;  /* channels this partition offered */

    struct hv_vpci_guest_ops vpci_ops;
    void *vpci_ctx;
    struct hv_vpci_dev *vpci_devs;

    struct hv_guest_io_stats io_stats; /* guest_io.c: accesses blocked */
};

/* Buffer view of one direction: the sender's sections in guest memory. */
struct hv__buf {
    uint8_t *base; /* host address of section 0 (NULL without a buffer) */
    uint32_t sections;
    uint32_t section_size;
};

/*
 * One end of a channel. Owned by one thread (the guest's or the host's).
 * Invariants while the channel is open:
 *   - tx is the ring this endpoint produces into, rx the one it consumes from;
 *   - own describes this endpoint's buffer (sections it lends to the peer), peer_buf the
 *     peer's; free_stack[0..free_top) lists own's free sections, and busy[i] != 0 exactly for
 *     the others (taken by section_get, or lent to the peer until its completion returns).
 *   - `masked` is written by this endpoint's owner and read by the peer's thread; it sits on a
 *     line of its own so peer reads do not bounce this side's counters.
 */
struct hv_vmbus_ep {
    alignas(64) struct hv_vmbus_channel *ch;
    struct hv_vmbus_ep *peer;
    enum hv_vmbus_side side;
    struct sim_ring *tx, *rx;
    struct hv__buf own, peer_buf;
    uint32_t *free_stack;
    uint32_t free_top;
    uint8_t *busy; /* per own section: HV__SEC_FREE / _TAKEN (by the owner) / _LENT (to peer) */
    struct hv_vmbus_ep_ops ops;
    void *ctx;
    void *data;
    struct sim_timer irq_timer; /* SCHED mode: the pending interrupt of this endpoint */
    char where[HV__WHERE_MAX];  /* "vm1.vmbus.netvsc0 guest->host" for drop reports */
    struct hv_vmbus_ep_stats stats;

    alignas(64) atomic_uint masked; /* 1 while the owner polls with interrupts masked */
};

enum hv__chan_state {
    HV__CHAN_CLOSED = 0, /* offered, not open */
    HV__CHAN_OPEN = 1,
};

/*
 * A channel. Allocated 64-byte aligned (the endpoints are cache-line aligned).
 * Invariants: linked in guest->guest_channels and host->host_channels until destroyed;
 * ring_gpa != 0 iff state == OPEN; `rescinded` only goes false -> true.
 */
struct hv_vmbus_channel {
    struct hv_vmbus_ep ep[2]; /* [HV_VMBUS_GUEST], [HV_VMBUS_HOST] */

    void *alloc_base;
    struct hv_partition *host, *guest;
    struct hv_vmbus_channel *guest_next, *host_next;
    char type[HV_VMBUS_TYPE_MAX];
    uint32_t instance;
    enum hv__chan_state state;
    _Atomic bool rescinded; /* read by both data-path threads (acquire), set on the loop */
    enum hv_vmbus_signal_mode signal;
    sim_time_t signal_latency_ns;
    sim_time_t control_latency_ns;
    struct hv_vmbus_host_ops host_ops;
    void *host_ctx;
    struct sim_drop_sink drops;
    bool has_drops;

    struct hv_vmbus_open_config open_cfg;
    uint64_t ring_gpa, ring_len, send_gpa, send_len, recv_gpa, recv_len;
    void *ep_mem; /* free stacks and busy maps of both endpoints (one block) */

    bool offer_delivered;  /* the guest driver has seen the offer */
    bool opened_delivered; /* the host has seen the current open */
    struct sim_timer offer_timer, opened_timer, closed_timer, rescind_timer;
};

/*
 * A VPCI device offered to a guest. Invariant: attached == (RID attached to guest's domain by
 * us); state REMOVED => !attached; cb_depth > 0 while a callback of this device runs (a revoke
 * inside only marks free_pending).
 */
struct hv_vpci_dev {
    struct hv_partition *guest;
    struct hv_vpci_dev *next;
    uint16_t rid;
    enum hv_vpci_state state;
    enum hv_vpci_removal removal;
    struct hv_vpci_offer_config cfg;
    bool attached;
    int cb_depth;
    bool free_pending;
    struct sim_timer arrival_timer, eject_msg_timer, eject_timeout_timer;
};

/* partition.c */
void hv__vmbus_partition_fini(struct hv_partition *p);
void hv__vpci_partition_fini(struct hv_partition *p);
void hv__vpci_fabric_event(void *ctx, const struct pcie_event *ev);
/* gpa.c */
int hv__gpa_table_init(struct hv_partition *p);

#endif /* SRIOVSIM_HV_INT_H */
