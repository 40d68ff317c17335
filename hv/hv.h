/* SPDX-License-Identifier: MIT */
/*
 * hv.h — hypervisor services: partitions with guest-physical memory and their IOMMU domain,
 * VMBus channels (a pair of rings in shared memory, signalling, send / receive buffers) and
 * virtual PCI (offer / eject / revoke of a PCIe function, a VF, to a guest).
 *
 * Windows / Hyper-V counterparts:
 *   - struct hv_partition: a Hyper-V partition (the root/parent partition or a child VM) with
 *     its guest physical address (GPA) space and the DMA-remapping domain the hypervisor builds
 *     for the devices assigned to it.
 *   - struct hv_vmbus_channel: a VMBus channel as offered by a VSP in the root (CHANNELMSG_
 *     OFFERCHANNEL with an interface type GUID) and opened by the matching VSC in the guest
 *     (CHANNELMSG_OPENCHANNEL with the ring-buffer GPADL): two ring buffers in guest memory
 *     (guest->host "outbound", host->guest "inbound"), an event/interrupt per direction with
 *     the ring's interrupt mask, and the NetVSC send buffer / receive buffer GPADLs with their
 *     fixed-size sections (NVSP_MSG1_TYPE_SEND_SEND_BUF / SEND_RECV_BUF). Messages and their
 *     completions mirror VM_PKT_DATA_INBAND / VM_PKT_DATA_USING_XFER_PAGES / VM_PKT_COMP.
 *   - struct hv_vpci_dev: a PCI device the VPCI VSP in the root offers to the VPCI VSC (the
 *     guest's virtual PCI bus driver): arrival after an offer delay, graceful eject request with
 *     a timeout that becomes a surprise removal, revoke.
 * hv knows nothing about NVSP or RNDIS: netvsc/ and netvsp/ define their messages on top.
 *
 * Two run modes (DESIGN.md): scenario mode, where everything runs on the scheduler's loop
 * thread and a signal becomes a scheduled "interrupt" HV_VMBUS_SIGNAL_LATENCY_NS later; and bench
 * mode, where the guest side and the host side of a channel run on two threads connected only
 * by the channel's rings (signalling is then "the peer polls", or a wake-up callback).
 *
 * Threading: everything is loop-thread (control plane) except the hv_vmbus_ep_* data-path
 * functions, which belong to the thread that owns that endpoint (one thread per endpoint; the
 * two endpoints of a channel may run on two threads at the same time). Control-plane calls on
 * a channel (open, close, rescind, destroy, set_*) must not run while an endpoint of that
 * channel is being used on another thread.
 *
 * Teardown order: destroy channels / VPCI devices (or just the partitions, which destroy what
 * refers to them), then the partitions, then the PCIe fabric, then the scheduler.
 */
#ifndef SRIOVSIM_HV_H
#define SRIOVSIM_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcie/pcie.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Cost model and sizes: every constant hv uses, in one place. "(INFERRED)" marks model choices
 * without a published figure; the others cite their source (see hv/README.md).
 * ------------------------------------------------------------------------------------------- */

/* GPA page size (x86 4 KiB pages; the IOMMU maps the same granule). */
#define HV_PAGE_SIZE 4096u
/* Guest memory of a partition when the config leaves the default. (INFERRED: big enough for a
 * NetVSC channel with its buffers, VF queue rings and packet buffers.) */
#define HV_PARTITION_MEM_DEFAULT (UINT64_C(64) << 20)
/* Largest guest memory (page indices stay 32-bit, metadata stays small). */
#define HV_PARTITION_MEM_MAX (UINT64_C(4) << 30)

/* From a VMBus signal (HvSignalEvent by the sender) to the peer's interrupt handler running
 * (synthetic interrupt delivery + ISR/DPC dispatch). (INFERRED order of magnitude.) */
#define HV_VMBUS_SIGNAL_LATENCY_NS SIM_USEC(2)
/* Latency of a VMBus channel-management message (offer, open result, close, rescind) and of a
 * VPCI message (eject request) to its peer. (INFERRED.) */
#define HV_VMBUS_CONTROL_LATENCY_NS SIM_USEC(50)
/* Default messages per channel ring (each message takes HV_VMBUS_MSG_SIZE bytes of ring). */
#define HV_VMBUS_RING_MSGS_DEFAULT 512u
#define HV_VMBUS_RING_MSGS_MAX     (1u << 20)
/* Send buffer: section size of Linux hv_netvsc (NETVSC_SEND_SECTION_SIZE = 6144); count
 * INFERRED (1.5 MiB; Linux's default send buffer is 1 MiB). */
#define HV_VMBUS_SEND_SECTION_SIZE     6144u
#define HV_VMBUS_SEND_SECTIONS_DEFAULT 256u
/* Receive buffer: section size of Linux hv_netvsc (NETVSC_RECV_SECTION_SIZE = 1728, one
 * 1514-byte frame plus RNDIS header); count INFERRED (864 KiB; Linux's default is 16 MiB). */
#define HV_VMBUS_RECV_SECTION_SIZE     1728u
#define HV_VMBUS_RECV_SECTIONS_DEFAULT 512u
/* Most sections per buffer. */
#define HV_VMBUS_SECTIONS_MAX (1u << 20)
/* Guest VMBus drivers (VSCs) one partition may register. */
#define HV_VMBUS_DRIVERS_MAX 8
/* Length of a channel type ("netvsc") including the NUL. */
#define HV_VMBUS_TYPE_MAX 16

/* The host delays the VF offer to the guest by about 1 s to avoid guest naming races (OpenVMM
 * netvsp; peers.md section 7). Settable per offer. */
#define HV_VPCI_OFFER_DELAY_NS SIM_SEC(1)
/* How long the guest has to acknowledge a graceful eject before the VF is surprise-removed
 * (ndis_sriov.md 7.3 names the timeout, not its value: INFERRED). Settable per offer. */
#define HV_VPCI_EJECT_TIMEOUT_NS SIM_SEC(5)

/* ---------------------------------------------------------------------------------------------
 * Partitions and guest-physical memory.
 * ------------------------------------------------------------------------------------------- */
struct hv_partition;

enum hv_partition_kind {
    HV_PARTITION_ROOT = 0,  /* the root (parent) partition: hosts NetVSP, the PF miniport */
    HV_PARTITION_GUEST = 1, /* a child partition (VM) */
};

/* Partition configuration. Fill with hv_partition_config_init() (defaults), then override. */
struct hv_partition_config {
    uint32_t id;      /* the caller's partition id (shown in messages) */
    const char *name; /* "vm1" (copied; NULL = "partition<id>") */
    enum hv_partition_kind kind;
    uint64_t mem_size; /* guest memory bytes: a multiple of HV_PAGE_SIZE in
                          [2 pages, HV_PARTITION_MEM_MAX] */
    /* Defaults for the channels and VPCI offers of this partition (as guest). */
    sim_time_t vmbus_signal_latency_ns;  /* HV_VMBUS_SIGNAL_LATENCY_NS */
    sim_time_t vmbus_control_latency_ns; /* HV_VMBUS_CONTROL_LATENCY_NS */
    sim_time_t vpci_offer_delay_ns;      /* HV_VPCI_OFFER_DELAY_NS */
    sim_time_t vpci_eject_timeout_ns;    /* HV_VPCI_EJECT_TIMEOUT_NS */
};

/* Fill c with the defaults (kind GUEST, HV_PARTITION_MEM_DEFAULT, the constants above). */
void hv_partition_config_init(struct hv_partition_config *c);

/*
 * hv_partition_create — a partition with cfg->mem_size bytes of zeroed guest memory backing GPA
 * [0, mem_size), an allocator of GPA ranges, and, when fabric is non-NULL, an IOMMU domain named
 * after the partition that maps the whole memory identity GPA -> host (read/write). No RID is
 * attached: a device reaches the memory only once hv_partition_attach_rid() (or a VPCI offer)
 * attached it. GPA page 0 is reserved (never handed out), so GPA 0 can mean "no buffer".
 *   sched: the scheduler (outlives the partition); fabric: may be NULL (no device assignment).
 * Returns 0, SIM_EINVAL (bad config; reason in d), SIM_ENOMEM. Loop thread.
 */
int hv_partition_create(struct sim_sched *sched, struct pcie_fabric *fabric,
                        const struct hv_partition_config *cfg, struct hv_partition **out,
                        struct sim_diag *d);
/* Destroy a partition: every VMBus channel it takes part in (as guest or host) and every VPCI
 * device offered to it are destroyed first, without callbacks; its domain is destroyed (RIDs
 * detached). Must run before pcie_fabric_destroy(). NULL is ignored. Loop thread. */
void hv_partition_destroy(struct hv_partition *p);

uint32_t hv_partition_id(const struct hv_partition *p);
const char *hv_partition_name(const struct hv_partition *p);
enum hv_partition_kind hv_partition_kind(const struct hv_partition *p);
uint64_t hv_partition_mem_size(const struct hv_partition *p);
/* Bytes of GPA currently allocated (page 0 included). */
uint64_t hv_partition_mem_used(const struct hv_partition *p);
struct sim_sched *hv_partition_sched(const struct hv_partition *p);
struct pcie_fabric *hv_partition_fabric(const struct hv_partition *p);
/* The partition's IOMMU domain, NULL without a fabric. */
struct pcie_iommu_domain *hv_partition_iommu_domain(const struct hv_partition *p);

/* Attach a RID to the partition's domain: the function may then DMA into (only) this
 * partition's memory, GPA = IOVA. Returns 0, SIM_EINVAL (no fabric), SIM_EBUSY (the RID belongs
 * to another domain; reason in d). Attaching twice is 0. */
int hv_partition_attach_rid(struct hv_partition *p, uint16_t rid, struct sim_diag *d);
/* Detach a RID from the partition's domain (its DMA faults from now on). SIM_ENOENT if the RID
 * is not attached to this partition (then nothing changes). */
int hv_partition_detach_rid(struct hv_partition *p, uint16_t rid);

/* GPA allocation (page-granular, first fit; control path only, not thread-safe). */
/*
 * hv_gpa_alloc — allocate len bytes (rounded up to pages) of guest-physical memory, aligned to
 * align bytes (0 or a power of two; at least a page). The memory is zeroed.
 * Returns 0 with *gpa, SIM_EINVAL (len 0, bad align), SIM_ENOSPC (no free range; reason in d).
 */
int hv_gpa_alloc(struct hv_partition *p, uint64_t len, uint64_t align, uint64_t *gpa,
                 struct sim_diag *d);
/* Free a range returned by hv_gpa_alloc (gpa must be its start). SIM_EINVAL (not a range start:
 * nothing freed). */
int hv_gpa_free(struct hv_partition *p, uint64_t gpa);
/* Size in bytes (page-rounded) of the allocated range starting at gpa; 0 if none starts there. */
uint64_t hv_gpa_range_size(const struct hv_partition *p, uint64_t gpa);
/*
 * hv_gpa_translate — the partition's own (CPU) view: host address of GPA [gpa, gpa+len).
 * The range must lie inside guest memory (allocated or not: a guest may touch any of its own
 * pages). Returns 0 with *host, SIM_EFAULT (outside guest memory or len 0 / overflow). Any
 * thread (pure arithmetic on immutable fields).
 */
int hv_gpa_translate(const struct hv_partition *p, uint64_t gpa, uint64_t len, void **host);
/* Same, returning the pointer or NULL. */
void *hv_gpa_to_host(const struct hv_partition *p, uint64_t gpa, uint64_t len);
/* Reverse: the GPA of a host address inside guest memory. SIM_EFAULT if outside. */
int hv_gpa_from_host(const struct hv_partition *p, const void *host, uint64_t *gpa);
/* CPU copies to / from guest memory. SIM_EFAULT if the range leaves guest memory (nothing
 * copied). */
int hv_gpa_write(struct hv_partition *p, uint64_t gpa, const void *src, uint64_t len);
int hv_gpa_read(const struct hv_partition *p, uint64_t gpa, void *dst, uint64_t len);

/* ---------------------------------------------------------------------------------------------
 * VMBus channels.
 *
 * Life cycle: the host (a root partition) offers a channel of a type ("netvsc") to a guest;
 * the offer reaches the guest driver registered for that type (hv_vmbus_driver_register) after
 * the control latency; the guest opens it (rings and buffers are allocated in guest memory, as
 * the guest allocates the ring-buffer GPADL on Hyper-V); the host's `opened` callback runs
 * after the control latency. Either side then sends messages on its endpoint. The guest may
 * close (and re-open); the host may rescind (the guest's `rescind` callback runs, the guest
 * drains what it wants and closes); the host destroys the channel.
 *
 * Messages: fixed 64-byte records (8 ring slots) carrying the upper layer's type, a
 * transaction id, an optional buffer section (offset/len into the sender's buffer: the send
 * buffer for guest->host, the receive buffer for host->guest) and 40 bytes of inline payload.
 * A message with a section hands that section to the peer until the peer completes the message
 * (hv_vmbus_ep_complete): the completion returns the section to the sender's free list, on
 * the sender's thread, when the sender receives it. No allocation happens per message.
 * ------------------------------------------------------------------------------------------- */
struct hv_vmbus_channel;
struct hv_vmbus_ep;

#define HV_VMBUS_MSG_SIZE       64u
#define HV_VMBUS_MSG_INLINE_MAX 40u
#define HV_VMBUS_NO_SECTION     UINT32_MAX

/* Message flags. */
#define HV_VMBUS_MSG_F_COMPLETION 0x0001u /* this is the completion of `xid` (VM_PKT_COMP) */
#define HV_VMBUS_MSG_F_WANT_COMPLETION                                                             \
    0x0002u /* the sender asks for a completion                                                    \
               (VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED) */

/* One message. Invariant: sizeof == HV_VMBUS_MSG_SIZE. */
struct hv_vmbus_msg {
    uint16_t type;    /* the upper layer's message type (hv gives it no meaning) */
    uint16_t flags;   /* HV_VMBUS_MSG_F_* */
    uint32_t len;     /* bytes used in `section` (0 without a section) */
    uint64_t xid;     /* transaction id, echoed by the completion; data messages use the packet
                         id, which drop reports then name */
    uint32_t section; /* section index in the sender's buffer (for a completion: in the
                         completer's peer's buffer, i.e. the one being returned), or
                         HV_VMBUS_NO_SECTION */
    int32_t status;   /* completion status (the upper layer's), 0 otherwise */
    uint8_t data[HV_VMBUS_MSG_INLINE_MAX]; /* inline payload */
};

enum hv_vmbus_side {
    HV_VMBUS_GUEST = 0, /* NetVSC's end: sends on the outbound ring, into the send buffer */
    HV_VMBUS_HOST = 1,  /* NetVSP's end: sends on the inbound ring, into the receive buffer */
};

/* How a sender tells its peer that messages arrived. */
enum hv_vmbus_signal_mode {
    /* Scenario mode: the peer's `interrupt` callback runs on the loop thread signal_latency
     * after the signal (coalesced: one pending interrupt at most). Single-threaded only. */
    HV_VMBUS_SIGNAL_SCHED = 0,
    /* Bench mode, busy polling: no signal at all; the peer polls its endpoint. */
    HV_VMBUS_SIGNAL_POLL = 1,
    /* Bench mode with wake-ups: the peer's `interrupt` callback is called synchronously ON THE
     * SENDER'S THREAD; it must only wake the peer (uv_async_send, sim_sched_post). */
    HV_VMBUS_SIGNAL_DIRECT = 2,
};

/* Per-endpoint callbacks (set by the endpoint's owner: the guest at open, the host in or after
 * its `opened` callback). */
struct hv_vmbus_ep_ops {
    /* The peer signalled (see enum hv_vmbus_signal_mode for where it runs). The owner polls. */
    void (*interrupt)(void *ctx, struct hv_vmbus_ep *ep);
    /* One received message, from hv_vmbus_ep_poll() (owner's thread). The message and its
     * section data (hv_vmbus_ep_msg_data) are valid during the call; the section stays the
     * owner's until it completes the message. It may close the channel, never destroy it
     * (defer that with sim_sched_call). */
    void (*receive)(void *ctx, struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg);
};

/* Host-side channel callbacks (loop thread). */
struct hv_vmbus_host_ops {
    /* The guest opened the channel (after the control latency). Set the host endpoint's ops
     * here (hv_vmbus_ep_set_ops) and poll once: the guest may already have sent messages. */
    void (*opened)(void *ctx, struct hv_vmbus_channel *ch);
    /* The guest closed the channel (after the control latency). */
    void (*closed)(void *ctx, struct hv_vmbus_channel *ch);
};

/* Guest-side driver (VSC) callbacks for one channel type (loop thread). */
struct hv_vmbus_driver_ops {
    /* A channel of the driver's type was offered: open it (or not). */
    void (*offer)(void *ctx, struct hv_vmbus_channel *ch);
    /* The host rescinded the channel: drain the inbound ring if wanted, then close it. */
    void (*rescind)(void *ctx, struct hv_vmbus_channel *ch);
};

/* Offer parameters (host side). */
struct hv_vmbus_offer_config {
    const char *type;  /* channel class, e.g. "netvsc" (< HV_VMBUS_TYPE_MAX chars) */
    uint32_t instance; /* distinguishes several channels of one type in one guest */
    enum hv_vmbus_signal_mode signal;
    const struct hv_vmbus_host_ops *host_ops; /* may be NULL; copied */
    void *host_ctx;
    /* Where frames lost by this channel are reported (ring/buffer full on send_copy, left in
     * a ring at close). Called on the thread that loses the frame. May be NULL; copied. */
    const struct sim_drop_sink *drops;
};

/* Open parameters (guest side). Fill with hv_vmbus_open_config_init(), then override. */
struct hv_vmbus_open_config {
    uint32_t ring_msgs;         /* messages per ring: a power of two in [2, RING_MSGS_MAX] */
    uint32_t send_sections;     /* send buffer (guest -> host data); 0 = none */
    uint32_t send_section_size; /* bytes per section (> 0 when sections > 0) */
    uint32_t recv_sections;     /* receive buffer (host -> guest data); 0 = none */
    uint32_t recv_section_size;
};
void hv_vmbus_open_config_init(struct hv_vmbus_open_config *c);

/* Where a channel's shared memory sits in guest memory (for inspection and tests). */
struct hv_vmbus_channel_info {
    uint64_t ring_gpa, ring_len; /* both rings (the ring-buffer GPADL); 0 while closed */
    uint64_t send_gpa, send_len; /* send buffer; 0 without one */
    uint64_t recv_gpa, recv_len; /* receive buffer; 0 without one */
    uint32_t ring_msgs;
};

/* Counters of one endpoint. Written only by the endpoint's thread: read them from that thread
 * or after it stopped. */
struct hv_vmbus_ep_stats {
    uint64_t sent, received;       /* messages */
    uint64_t completions_received; /* completions among `received` */
    uint64_t bytes_copied;         /* bytes copied into sections by hv_vmbus_ep_send_copy */
    uint64_t ring_full;            /* sends refused: no room in the ring */
    uint64_t no_section;           /* section allocations refused: buffer exhausted */
    uint64_t frames_dropped;       /* frames lost and reported (ring full / no section) */
    uint64_t dropped_at_close;     /* this side's messages still in a ring at close */
    uint64_t signals;              /* signals sent to the peer */
    uint64_t signals_suppressed;   /* not sent: peer had interrupts masked */
    uint64_t signals_coalesced;    /* not sent: an interrupt was already pending */
    uint64_t interrupts;           /* interrupts delivered to this endpoint (SCHED mode) */
    uint64_t protocol_errors;      /* bad section index/len from the peer, stray completion */
    uint64_t signal_errors;        /* the scheduler could not arm an interrupt (ENOMEM) */
};

/* Register the guest's driver for channel type `type` in partition guest (a VSC loading).
 * Offers of that type already made are delivered (after the control latency). Returns 0,
 * SIM_EINVAL, SIM_EEXIST (type already has a driver), SIM_ENOSPC (HV_VMBUS_DRIVERS_MAX). */
int hv_vmbus_driver_register(struct hv_partition *guest, const char *type,
                             const struct hv_vmbus_driver_ops *ops, void *ctx);
/* Unregister (offers not yet delivered stay pending). SIM_ENOENT if none. */
int hv_vmbus_driver_unregister(struct hv_partition *guest, const char *type);

/*
 * hv_vmbus_offer — the host offers a channel to guest. host must be a ROOT partition, guest a
 * GUEST partition (same scheduler). The offer reaches the guest's driver for cfg->type after the
 * guest's control latency (or when such a driver registers). Returns 0 with *out, SIM_EINVAL
 * (reason in d), SIM_EEXIST (same type+instance already offered to guest), SIM_ENOMEM.
 */
int hv_vmbus_offer(struct hv_partition *host, struct hv_partition *guest,
                   const struct hv_vmbus_offer_config *cfg, struct hv_vmbus_channel **out,
                   struct sim_diag *d);
/*
 * hv_vmbus_channel_open — the guest opens an offered channel: allocates the two rings (one GPA
 * range), the send and receive buffers in guest memory, sets the guest endpoint's ops, and
 * tells the host (`opened` after the control latency). Returns 0, SIM_ESTATE (already open or
 * rescinded), SIM_EINVAL (bad config), SIM_ENOSPC (guest memory exhausted), SIM_ENOMEM;
 * reason in d. On failure nothing changed. Loop thread.
 */
int hv_vmbus_channel_open(struct hv_vmbus_channel *ch, const struct hv_vmbus_open_config *cfg,
                          const struct hv_vmbus_ep_ops *guest_ops, void *guest_ctx,
                          struct sim_diag *d);
/*
 * hv_vmbus_channel_close — the guest closes the channel. Messages still in either ring are
 * discarded: each one that carries a frame (a section with len > 0, not a completion) is
 * reported to the drop sink with SIM_DROP_PATH_INACTIVE and counted in the sender's
 * dropped_at_close. Shared memory is freed; pending interrupts are cancelled; the host's
 * `closed` runs after the control latency. The channel may be opened again unless rescinded.
 * Returns 0 or SIM_ESTATE (not open).
 */
int hv_vmbus_channel_close(struct hv_vmbus_channel *ch);
/* The host rescinds the channel: from now on sends on both endpoints fail with SIM_ENODEV
 * (receiving still drains what is in the rings); the guest driver's `rescind` runs after the
 * control latency (an offer not yet delivered is withdrawn silently). Returns 0 or SIM_ESTATE
 * (already rescinded). */
int hv_vmbus_channel_rescind(struct hv_vmbus_channel *ch);
/* The host frees the channel, whatever its state (an open channel is closed first, with drops
 * reported as for hv_vmbus_channel_close). No callback runs. NULL is ignored. */
void hv_vmbus_channel_destroy(struct hv_vmbus_channel *ch);

bool hv_vmbus_channel_is_open(const struct hv_vmbus_channel *ch);
bool hv_vmbus_channel_is_rescinded(const struct hv_vmbus_channel *ch);
const char *hv_vmbus_channel_type(const struct hv_vmbus_channel *ch);
uint32_t hv_vmbus_channel_instance(const struct hv_vmbus_channel *ch);
struct hv_partition *hv_vmbus_channel_guest(const struct hv_vmbus_channel *ch);
struct hv_partition *hv_vmbus_channel_host(const struct hv_vmbus_channel *ch);
int hv_vmbus_channel_info(const struct hv_vmbus_channel *ch, struct hv_vmbus_channel_info *out);
/* Settable per channel: signal mode and latency (SCHED mode), control-message latency.
 * SIM_EINVAL for a negative latency / unknown mode. */
int hv_vmbus_channel_set_signal(struct hv_vmbus_channel *ch, enum hv_vmbus_signal_mode mode,
                                sim_time_t latency_ns);
int hv_vmbus_channel_set_control_latency(struct hv_vmbus_channel *ch, sim_time_t latency_ns);
/* A free pointer for the upper layers of each side. */
void hv_vmbus_channel_set_data(struct hv_vmbus_channel *ch, enum hv_vmbus_side side, void *data);
void *hv_vmbus_channel_data(const struct hv_vmbus_channel *ch, enum hv_vmbus_side side);
/* An endpoint of the channel (never NULL for a valid channel; usable while open). */
struct hv_vmbus_ep *hv_vmbus_channel_ep(struct hv_vmbus_channel *ch, enum hv_vmbus_side side);

/* ----- endpoint: data path (the endpoint owner's thread; never blocks, never allocates) ----- */

struct hv_vmbus_channel *hv_vmbus_ep_channel(const struct hv_vmbus_ep *ep);
enum hv_vmbus_side hv_vmbus_ep_side(const struct hv_vmbus_ep *ep);
/* Replace the endpoint's ops (ops copied; NULL clears). Loop thread, channel quiescent. */
void hv_vmbus_ep_set_ops(struct hv_vmbus_ep *ep, const struct hv_vmbus_ep_ops *ops, void *ctx);
/* The endpoint's counters (see struct hv_vmbus_ep_stats for when to read them). */
void hv_vmbus_ep_stats(const struct hv_vmbus_ep *ep, struct hv_vmbus_ep_stats *out);

/*
 * hv_vmbus_ep_section_get — take a free section of this endpoint's own buffer (the send buffer
 * for the guest, the receive buffer for the host) to copy data into.
 * Returns 0 with *index and *data (section_size bytes, in guest memory), SIM_ENOSPC (all
 * sections in flight: counted in no_section), SIM_ENODEV (channel closed).
 */
int hv_vmbus_ep_section_get(struct hv_vmbus_ep *ep, uint32_t *index, void **data);
/* Give back a section taken with section_get that was not sent. SIM_EINVAL if not taken. */
int hv_vmbus_ep_section_put(struct hv_vmbus_ep *ep, uint32_t index);
/* Size of this endpoint's own sections (0 without a buffer) and how many are free. */
uint32_t hv_vmbus_ep_section_size(const struct hv_vmbus_ep *ep);
uint32_t hv_vmbus_ep_sections_free(const struct hv_vmbus_ep *ep);

/*
 * hv_vmbus_ep_send — post one message to the peer and signal it (per the signal mode, unless
 * the peer masked interrupts). msg->section, if not HV_VMBUS_NO_SECTION, must be a section this
 * endpoint took (section_get) with msg->len <= section size; it now belongs to the peer until
 * the completion comes back. For a completion message (F_COMPLETION), section names a section
 * of the PEER's buffer being returned (use hv_vmbus_ep_complete).
 * Returns 0, SIM_ENOSPC (ring full: counted in ring_full, nothing sent, the section stays the
 * caller's), SIM_ENODEV (closed / rescinded), SIM_EINVAL (bad section or len).
 */
int hv_vmbus_ep_send(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg);
/*
 * hv_vmbus_ep_send_copy — the synthetic path's copy: take a section, copy len bytes of frame
 * into it, post msg (its type, flags, xid, inline data; section and len are filled in).
 * If no section is free or the ring is full, the frame is lost: counted (no_section or
 * ring_full, and frames_dropped), reported to the drop sink with SIM_DROP_VMBUS_RING_FULL and
 * packet id msg->xid, and SIM_ENOSPC is returned. SIM_EINVAL (len 0 or > section size),
 * SIM_ENODEV (closed / rescinded; nothing reported: the caller still owns the frame).
 */
int hv_vmbus_ep_send_copy(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg, const void *frame,
                          uint32_t len);
/* Complete a received message: send a completion echoing req's type, xid and section (returning
 * the section to the peer) with `status`. Returns as hv_vmbus_ep_send (on SIM_ENOSPC retry
 * later: the section stays lent). */
int hv_vmbus_ep_complete(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *req, int32_t status);

/*
 * hv_vmbus_ep_recv — take up to n messages from the peer, in order. A completion returns its
 * section to this endpoint's free list before being handed out. Returns how many (0: none).
 */
unsigned hv_vmbus_ep_recv(struct hv_vmbus_ep *ep, struct hv_vmbus_msg *msgs, unsigned n);
/* Poll: receive up to budget messages and hand each to ops->receive. Returns work done. */
unsigned hv_vmbus_ep_poll(struct hv_vmbus_ep *ep, unsigned budget);
/* Messages waiting for this endpoint (snapshot). */
unsigned hv_vmbus_ep_pending(const struct hv_vmbus_ep *ep);
/* Free message slots in this endpoint's send ring (snapshot). */
unsigned hv_vmbus_ep_space(const struct hv_vmbus_ep *ep);
/*
 * hv_vmbus_ep_msg_data — the bytes a received (non-completion) message carries in the peer's
 * buffer: msg->len bytes at the section. NULL if the message has no section; NULL and a
 * protocol error counted if the section index or length is out of bounds (a peer's bad input
 * never crashes the reader).
 */
const void *hv_vmbus_ep_msg_data(struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *msg);

/* Interrupt mask (the ring's interrupt_mask): while masked, the peer does not signal this
 * endpoint — the owner is polling. unmask returns true if messages arrived meanwhile (poll
 * again: the peer may have skipped its signal). */
void hv_vmbus_ep_mask_interrupts(struct hv_vmbus_ep *ep);
bool hv_vmbus_ep_unmask_interrupts(struct hv_vmbus_ep *ep);

/* ---------------------------------------------------------------------------------------------
 * Virtual PCI: offer a PCIe function (a VF) to a guest.
 *
 * States: OFFERING (offer delay running; RID already attached to the guest's domain) ->
 * PRESENT (guest got `arrival`) -> EJECTING (eject requested; guest's `eject_request` runs after
 * the control latency) -> REMOVED (graceful: the guest acknowledged; surprise: the eject timed
 * out, or the fabric removed the function). Leaving PRESENT/EJECTING detaches the RID from the
 * guest's domain (its DMA into the guest faults from then on). hv_vpci_revoke frees the device
 * in any state.
 * ------------------------------------------------------------------------------------------- */
struct hv_vpci_dev;

enum hv_vpci_state {
    HV_VPCI_OFFERING = 0,
    HV_VPCI_PRESENT = 1,
    HV_VPCI_EJECTING = 2,
    HV_VPCI_REMOVED = 3,
};

enum hv_vpci_removal {
    HV_VPCI_REMOVAL_NONE = 0,
    HV_VPCI_REMOVAL_GRACEFUL = 1, /* the guest acknowledged the eject */
    HV_VPCI_REMOVAL_SURPRISE = 2, /* eject timeout, revoke of a present device, or fabric */
};

/* What an eject timeout does. */
enum hv_vpci_timeout_action {
    /* Surprise-remove the function on the fabric (pcie_fn_surprise_remove): the guest's
     * config/MMIO read all-ones, its DMA is blocked; the host hot-adds it again to reuse it. */
    HV_VPCI_TIMEOUT_FABRIC_REMOVE = 0,
    /* Only take the device away from the guest (domain detached, removed(SURPRISE)); the
     * function stays present on the host fabric (e.g. for an FLR right after). */
    HV_VPCI_TIMEOUT_GUEST_ONLY = 1,
};

/* Guest-side callbacks (the guest's VPCI VSC / PnP), one set per partition. Loop thread. A
 * callback may call any hv_vpci_* function, including hv_vpci_revoke on the device. */
struct hv_vpci_guest_ops {
    void (*arrival)(void *ctx, struct hv_vpci_dev *dev);       /* device appeared */
    void (*eject_request)(void *ctx, struct hv_vpci_dev *dev); /* please let go, then ack */
    void (*removed)(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind);
};

/* Offer parameters (host side). Fill with hv_vpci_offer_config_init(guest, c), override. */
struct hv_vpci_offer_config {
    sim_time_t offer_delay_ns;   /* offer -> arrival (HV_VPCI_OFFER_DELAY_NS) */
    sim_time_t eject_timeout_ns; /* eject -> surprise removal (HV_VPCI_EJECT_TIMEOUT_NS) */
    sim_time_t msg_latency_ns;   /* VPCI message latency (eject request) */
    enum hv_vpci_timeout_action timeout_action;
    uint32_t serial; /* the VF serial the guest sees (OID_SRIOV_VF_SERIAL_NUMBER) */
    /* Host notification when the device left the guest (not called on revoke). */
    void (*removed)(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind);
    void *ctx;
};
/* Defaults from the guest partition's config (or the constants if guest is NULL). */
void hv_vpci_offer_config_init(const struct hv_partition *guest, struct hv_vpci_offer_config *c);

/* Register the guest's VPCI callbacks (ops copied; NULL clears). */
void hv_vpci_guest_set_ops(struct hv_partition *guest, const struct hv_vpci_guest_ops *ops,
                           void *ctx);

/*
 * hv_vpci_offer — offer the function at rid to guest: its RID is attached to the guest's IOMMU
 * domain now, and the guest's `arrival` runs offer_delay_ns later. The function must be present
 * on the guest's fabric. Returns 0 with *out, SIM_EINVAL (no fabric / bad config), SIM_ENODEV
 * (function absent or removed), SIM_EBUSY (RID attached to another domain, or already offered),
 * SIM_ENOMEM; reason in d.
 */
int hv_vpci_offer(struct hv_partition *guest, uint16_t rid, const struct hv_vpci_offer_config *cfg,
                  struct hv_vpci_dev **out, struct sim_diag *d);
/*
 * hv_vpci_eject — the host asks the guest to release the device (graceful removal). The guest's
 * `eject_request` runs after msg_latency_ns; if it has not called hv_vpci_eject_ack within
 * timeout_ns (< 0: the offer's eject_timeout_ns) of this call, the device is surprise-removed
 * (see enum hv_vpci_timeout_action). Returns 0, SIM_ESTATE (not PRESENT; reason in d) or
 * SIM_ENOMEM (the timers could not be armed; nothing changed).
 */
int hv_vpci_eject(struct hv_vpci_dev *dev, sim_time_t timeout_ns, struct sim_diag *d);
/* The guest acknowledges the eject: its driver has let go. The RID is detached, the state is
 * REMOVED (graceful), `removed` runs (guest, then host). SIM_ESTATE if no eject is pending. */
int hv_vpci_eject_ack(struct hv_vpci_dev *dev);
/* The host withdraws the device and frees it. From PRESENT/EJECTING the guest first gets
 * removed(SURPRISE) (the host's `removed` does not run); from OFFERING the guest never sees it.
 * The RID is detached. The fabric function itself is left alone. NULL is ignored. */
void hv_vpci_revoke(struct hv_vpci_dev *dev);

enum hv_vpci_state hv_vpci_dev_state(const struct hv_vpci_dev *dev);
enum hv_vpci_removal hv_vpci_dev_removal(const struct hv_vpci_dev *dev);
uint16_t hv_vpci_dev_rid(const struct hv_vpci_dev *dev);
uint32_t hv_vpci_dev_serial(const struct hv_vpci_dev *dev);
struct hv_partition *hv_vpci_dev_guest(const struct hv_vpci_dev *dev);
const char *hv_vpci_state_name(enum hv_vpci_state s);
const char *hv_vpci_removal_name(enum hv_vpci_removal k);

/* ---------------------------------------------------------------------------------------------
 * Guest device access (guest_io.c): what a guest partition's drivers reach of PCIe functions.
 * Only the functions offered to it over virtual PCI (PRESENT or EJECTING), as Hyper-V maps only
 * an assigned VF's BARs into the guest's SLAT and serves config access through the vPCI VSP.
 * Anything else is blocked (SIM_EPERM; reads return all ones), counted and logged; config
 * writes to the read-only identity registers or the BARs are blocked too. Otherwise the call
 * is the fabric's (pcie_mmio_read/write, pcie_cfg_read/write) with its return values.
 * ------------------------------------------------------------------------------------------- */
struct hv_guest_io_stats {
    uint64_t mmio_blocked;   /* MMIO to a function not assigned to the partition */
    uint64_t cfg_blocked;    /* config access to a function not assigned to it */
    uint64_t cfg_ro_blocked; /* config writes to read-only identity registers or BARs */
};
int hv_guest_mmio_read(struct hv_partition *guest, uint16_t rid, int bar, uint64_t off,
                       unsigned size, uint64_t *val);
int hv_guest_mmio_write(struct hv_partition *guest, uint16_t rid, int bar, uint64_t off,
                        unsigned size, uint64_t val);
int hv_guest_cfg_read(struct hv_partition *guest, uint16_t rid, uint16_t off, unsigned size,
                      uint32_t *val);
int hv_guest_cfg_write(struct hv_partition *guest, uint16_t rid, uint16_t off, unsigned size,
                       uint32_t val);
void hv_guest_io_stats(const struct hv_partition *guest, struct hv_guest_io_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_HV_H */
