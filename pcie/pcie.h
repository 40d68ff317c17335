/* SPDX-License-Identifier: MIT */
/*
 * pcie.h — the simulated PCIe fabric: functions with 4 KiB config space and per-register access
 * semantics, capabilities (PCI Express with FLR, MSI-X, SR-IOV extended capability, ARI), Routing
 * IDs, BAR/MMIO routed to device-model callbacks, MSI-X delivery through the scheduler, Function
 * Level Reset, an IOMMU with one translation domain per RID (or per RID group), hot add,
 * graceful removal and surprise removal, and the `lspci -xxxx` dump.
 *
 * Windows counterpart: the PCI bus driver (pci.sys) and the HAL/IOMMU (DMA remapping) as seen
 * by NDIS miniports — NdisMEnableVirtualization writes NumVFs and VF Enable in the PF's SR-IOV
 * capability, OID_SRIOV_RESET_VF is an FLR, OID_SRIOV_READ/WRITE_VF_CONFIG_SPACE are config
 * accesses, and the RID returned by OID_NIC_SWITCH_ALLOCATE_VF indexes the IOMMU. Facts come from
 * shared/reference/ndis_sriov.md section 12 and the dump format from ecosystem.md section 3.
 *
 * Who calls what:
 *   - A device model (nic/) registers a PF with pcie_pf_create() and a struct pcie_dev_ops:
 *     BAR MMIO callbacks, an FLR callback, VF add/remove callbacks. It raises interrupts with
 *     pcie_msix_fire() and moves data with pcie_dma_read()/pcie_dma_write() by RID + IOVA.
 *   - Drivers (PF/VF miniports, upper layers) reach devices only through the fabric, by RID:
 *     pcie_cfg_read/write, pcie_mmio_read/write, pcie_msix_connect, pcie_flr, and events
 *     (pcie_fabric_subscribe).
 *   - The hypervisor (hv/, vstack/) owns IOMMU domains: create, attach RIDs, map guest-physical
 *     ranges onto host memory.
 *
 * Threading: every function here belongs to the scheduler's loop thread. (The IOTLB and the
 * counters are not atomic; a bench that runs device code on other threads must translate its
 * buffers once on the loop thread with pcie_iommu_translate and use the host pointers.)
 *
 * Return codes common to the whole API: 0 on success; SIM_EINVAL for malformed arguments;
 * SIM_ENODEV when the function addressed is absent, surprise-removed, in FLR or not yet ready
 * (reads then also return all-ones, exactly as hardware would); SIM_ENOMEM only from
 * functions that allocate (creation, map, subscribe never allocates).
 */
#ifndef SRIOVSIM_PCIE_H
#define SRIOVSIM_PCIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Timing (cost model). Every delay the fabric imposes on the virtual clock is named here.
 * ------------------------------------------------------------------------------------------- */

/* After setting VF Enable, software must wait 100 ms before touching the VFs (Linux
 * sriov_enable(); ndis_sriov.md 12.4). Config and MMIO to a VF earlier read all-ones. */
#define PCIE_VF_ENABLE_DELAY_NS SIM_MSEC(100)
/* A function must complete FLR within 100 ms of Initiate FLR (ndis_sriov.md 12.5). */
#define PCIE_FLR_BOUND_NS SIM_MSEC(100)
/* How long our model takes to complete an FLR (within the bound). (INFERRED model choice.) */
#define PCIE_FLR_DURATION_NS SIM_MSEC(10)
/* With the flr_timeout knob set, FLR completes only after this long (well past the bound). */
#define PCIE_FLR_LATE_NS SIM_SEC(1)
/* From pcie_msix_fire() to the handler running: the posted MSI write plus interrupt
 * dispatch. (INFERRED model choice, order of magnitude of a real MSI-X latency.) */
#define PCIE_MSIX_LATENCY_NS SIM_USEC(1)

/* ---------------------------------------------------------------------------------------------
 * Routing IDs. A RID is bus[15:8] | device[7:3] | function[2:0]; with ARI the low 8 bits are
 * one function number. lspci prints both the same way (bb:dd.f).
 * ------------------------------------------------------------------------------------------- */
#define PCIE_RID(bus, dev, fn) ((uint16_t)((((bus)&0xff) << 8) | (((dev)&0x1f) << 3) | ((fn)&7)))
#define PCIE_RID_BUS(rid)      ((unsigned)((rid) >> 8) & 0xff)
#define PCIE_RID_DEV(rid)      ((unsigned)((rid) >> 3) & 0x1f)
#define PCIE_RID_FN(rid)       ((unsigned)(rid)&7)
#define PCIE_RID_DEVFN(rid)    ((unsigned)(rid)&0xff)
#define PCIE_RID_STRLEN        8 /* "bb:dd.f" + NUL */

/* Format rid as "01:10.2" into buf (at least PCIE_RID_STRLEN bytes); returns buf. */
char *pcie_rid_format(uint16_t rid, char *buf, size_t len);
/* Parse "bb:dd.f" (hex bus, hex device <= 0x1f, function 0-7; an optional "0000:" domain is
 * accepted). Returns 0 or SIM_EINVAL. */
int pcie_rid_parse(const char *text, uint16_t *rid);

/* ---------------------------------------------------------------------------------------------
 * Config-space layout: offsets and bits drivers use. Values from Linux pci_regs.h.
 * ------------------------------------------------------------------------------------------- */
#define PCIE_CFG_SIZE        4096
#define PCIE_CFG_VENDOR_ID   0x00
#define PCIE_CFG_DEVICE_ID   0x02
#define PCIE_CFG_COMMAND     0x04
#define PCIE_CFG_STATUS      0x06
#define PCIE_CFG_REVISION    0x08
#define PCIE_CFG_CLASS_PROG  0x09
#define PCIE_CFG_HEADER_TYPE 0x0e
#define PCIE_CFG_BAR0        0x10
#define PCIE_CFG_SUBSYS_VID  0x2c
#define PCIE_CFG_SUBSYS_ID   0x2e
#define PCIE_CFG_CAP_PTR     0x34
#define PCIE_CFG_INT_LINE    0x3c
#define PCIE_CFG_INT_PIN     0x3d
#define PCIE_CFG_EXT_START   0x100

#define PCIE_CMD_IO                  0x0001
#define PCIE_CMD_MEMORY              0x0002 /* Memory Space Enable: MMIO decodes only while set */
#define PCIE_CMD_MASTER              0x0004 /* Bus Master Enable: DMA only while set */
#define PCIE_CMD_SERR                0x0100
#define PCIE_CMD_INTX_DISABLE        0x0400
#define PCIE_STATUS_CAP_LIST         0x0010
#define PCIE_STATUS_SIG_TARGET_ABORT 0x0800 /* W1C */
#define PCIE_STATUS_REC_MASTER_ABORT 0x2000 /* W1C */
#define PCIE_STATUS_SIG_SYSTEM_ERROR 0x4000 /* W1C */
#define PCIE_STATUS_DETECTED_PARITY  0x8000 /* W1C */

/* Capability IDs (standard list) and extended capability IDs. */
#define PCIE_CAP_ID_PM        0x01
#define PCIE_CAP_ID_EXP       0x10
#define PCIE_CAP_ID_MSIX      0x11
#define PCIE_EXT_CAP_ID_AER   0x0001
#define PCIE_EXT_CAP_ID_DSN   0x0003
#define PCIE_EXT_CAP_ID_ARI   0x000e
#define PCIE_EXT_CAP_ID_SRIOV 0x0010

/* PCI Express capability registers (offsets from the capability). */
#define PCIE_EXP_DEVCAP         0x04
#define PCIE_EXP_DEVCAP_FLR     0x10000000u /* Function Level Reset capable */
#define PCIE_EXP_DEVCTL         0x08
#define PCIE_EXP_DEVCTL_BCR_FLR 0x8000 /* Initiate FLR (reads 0) */
#define PCIE_EXP_DEVSTA         0x0a
#define PCIE_EXP_DEVSTA_TRPND   0x0020 /* Transactions Pending */

/* MSI-X capability registers and table layout. */
#define PCIE_MSIX_FLAGS              0x02
#define PCIE_MSIX_FLAGS_QSIZE        0x07ff /* table size - 1 */
#define PCIE_MSIX_FLAGS_MASKALL      0x4000
#define PCIE_MSIX_FLAGS_ENABLE       0x8000
#define PCIE_MSIX_TABLE              0x04 /* BIR [2:0] | offset */
#define PCIE_MSIX_PBA                0x08
#define PCIE_MSIX_ENTRY_SIZE         16
#define PCIE_MSIX_ENTRY_VECTOR_CTRL  12
#define PCIE_MSIX_ENTRY_CTRL_MASKBIT 1

/* SR-IOV extended capability registers (offsets from the capability; ndis_sriov.md 12.2). */
#define PCIE_SRIOV_CAP        0x04
#define PCIE_SRIOV_CTRL       0x08
#define PCIE_SRIOV_CTRL_VFE   0x0001 /* VF Enable */
#define PCIE_SRIOV_CTRL_VFM   0x0002 /* VF Migration Enable (never used by NDIS) */
#define PCIE_SRIOV_CTRL_INTR  0x0004
#define PCIE_SRIOV_CTRL_MSE   0x0008 /* VF Memory Space Enable */
#define PCIE_SRIOV_CTRL_ARI   0x0010 /* ARI Capable Hierarchy */
#define PCIE_SRIOV_STATUS     0x0a
#define PCIE_SRIOV_INITIAL_VF 0x0c
#define PCIE_SRIOV_TOTAL_VF   0x0e
#define PCIE_SRIOV_NUM_VF     0x10
#define PCIE_SRIOV_FUNC_LINK  0x12
#define PCIE_SRIOV_VF_OFFSET  0x14
#define PCIE_SRIOV_VF_STRIDE  0x16
#define PCIE_SRIOV_VF_DID     0x1a
#define PCIE_SRIOV_SUP_PGSIZE 0x1c
#define PCIE_SRIOV_SYS_PGSIZE 0x20
#define PCIE_SRIOV_BAR        0x24
#define PCIE_SRIOV_VFM        0x3c
#define PCIE_SRIOV_SIZEOF     0x40

/* ---------------------------------------------------------------------------------------------
 * Objects.
 * ------------------------------------------------------------------------------------------- */
struct pcie_fabric; /* the whole fabric: RID table, IOMMU, knobs, counters, subscribers */
struct pcie_fn;     /* one function (PF or VF); device models hold these, drivers use RIDs */
struct pcie_iommu_domain;

/* Fault-injection knobs (netdevsim style: plain fields, also settable by name with
 * pcie_knob_set() so scenarios can flip them). All default to false / 0. */
struct pcie_knobs {
    bool flr_timeout;       /* FLR misses its 100 ms bound: completes after PCIE_FLR_LATE_NS */
    bool msix_lost;         /* deliverable MSI-X messages are dropped (counted in msix_lost) */
    bool iotlb_disabled;    /* every DMA takes the page-table walk (no IOTLB fast path) */
    bool vf_enable_ignored; /* device ignores VF Enable: VFs never appear (broken firmware) */
    sim_time_t vf_ready_extra_ns; /* VFs become ready this much later than the 100 ms delay */
};

/* Counters: every all-ones read, dropped write and blocked DMA is counted somewhere here. */
struct pcie_stats {
    uint64_t cfg_reads, cfg_writes;
    uint64_t cfg_absent_reads;   /* config reads of an absent / not-ready / resetting function */
    uint64_t cfg_dropped_writes; /* config writes dropped for the same reasons */
    uint64_t mmio_reads, mmio_writes;
    uint64_t mmio_absent_reads;   /* MMIO reads answered all-ones (absent/reset/removed/MSE) */
    uint64_t mmio_dropped_writes; /* MMIO writes dropped for the same reasons */
    uint64_t mmio_aborted;        /* MMIO in flight when its function was removed (all-ones) */
    uint64_t dma_reads, dma_writes, dma_bytes;
    uint64_t dma_blocked;  /* DMA from an absent/resetting function or with BME clear */
    uint64_t iommu_faults; /* DMA refused by translation (recorded in the fault log) */
    uint64_t iotlb_hits, iotlb_misses, iotlb_invalidations;
    uint64_t msix_fired, msix_delivered, msix_pending; /* pending: held back by a mask */
    uint64_t msix_lost;                                /* dropped by the msix_lost knob */
    uint64_t msix_unhandled; /* delivered to a vector with no handler connected */
    uint64_t msix_disabled;  /* fired while MSI-X Enable was clear: dropped */
    uint64_t flr_started, flr_completed, flr_timeouts;
    uint64_t vfs_created, vfs_destroyed;
    uint64_t hot_adds, graceful_removals, surprise_removals;
};

/* ---------------------------------------------------------------------------------------------
 * Fabric.
 * ------------------------------------------------------------------------------------------- */

/* Create an empty fabric driven by sched (which must outlive it). Returns 0 or SIM_ENOMEM. */
int pcie_fabric_create(struct sim_sched *sched, struct pcie_fabric **out);
/* Destroy the fabric: every PF still registered is destroyed (VFs first, device-model
 * vf_removed callbacks run), every domain freed, pending timers stopped. No events fire. */
void pcie_fabric_destroy(struct pcie_fabric *f);
struct sim_sched *pcie_fabric_sched(const struct pcie_fabric *f);
/* The knobs, to read or change directly. Never NULL. */
struct pcie_knobs *pcie_fabric_knobs(struct pcie_fabric *f);
void pcie_fabric_stats(const struct pcie_fabric *f, struct pcie_stats *out);
/* Set a knob by name ("flr_timeout", "msix_lost", "iotlb_disabled", "vf_enable_ignored",
 * "vf_ready_extra_ns"); booleans take 0/1. SIM_ENOENT (with the known names in d) if the name is
 * unknown, SIM_ERANGE for a bad value. */
int pcie_knob_set(struct pcie_fabric *f, const char *name, int64_t value, struct sim_diag *d);
int pcie_knob_get(const struct pcie_fabric *f, const char *name, int64_t *value);

/* Iterate over present functions in RID order: start with after = -1; returns 0 with *rid set,
 * or SIM_ENOENT after the last. Includes VFs that are not ready yet and functions in FLR. */
int pcie_fabric_next_rid(const struct pcie_fabric *f, int after, uint16_t *rid);

/* ---------------------------------------------------------------------------------------------
 * Events (PnP notifications and error reports). Subscribers are called synchronously, in
 * subscription order, on the loop thread, at the moment the fabric changes. A callback may call
 * any fabric function, including unsubscribe (of itself or another), but must not destroy the
 * fabric.
 * ------------------------------------------------------------------------------------------- */
enum pcie_event_type {
    PCIE_EV_FN_ADDED = 1,        /* function usable: hot add, or a VF once its delay passed */
    PCIE_EV_FN_REMOVE_REQUESTED, /* graceful removal asked: quiesce, then pcie_fn_remove_ack */
    PCIE_EV_FN_REMOVED,          /* function gone (graceful, surprise, or VF Enable cleared) */
    PCIE_EV_VFS_ENABLED,         /* PF set VF Enable: num_vfs VFs exist (ready 100 ms later) */
    PCIE_EV_VFS_DISABLED,        /* PF cleared VF Enable (or PF FLR/removal): VFs gone */
    PCIE_EV_FLR_DONE,            /* FLR finished: status 0, or SIM_ETIMEDOUT past the bound */
    PCIE_EV_IOMMU_FAULT,         /* a DMA was blocked by the IOMMU; see ev->fault */
};

enum pcie_dma_dir {
    PCIE_DMA_READ = 1,  /* device reads memory (e.g. TX buffer fetch) */
    PCIE_DMA_WRITE = 2, /* device writes memory (e.g. RX buffer fill) */
};

enum pcie_fault_reason {
    PCIE_FAULT_NO_CONTEXT = 1, /* RID attached to no domain (VT-d: CONTEXT_ENTRY_P) */
    PCIE_FAULT_NOT_MAPPED,     /* IOVA not mapped in the RID's domain */
    PCIE_FAULT_PERMISSION,     /* mapped, but not for this direction */
};

/* One recorded IOMMU fault. */
struct pcie_iommu_fault {
    uint16_t rid;
    enum pcie_dma_dir dir;
    enum pcie_fault_reason reason;
    uint64_t iova; /* first faulting byte */
    size_t len;    /* length of the whole refused transfer */
    sim_time_t time;
    uint32_t domain_id; /* 0 when no context */
};

struct pcie_event {
    enum pcie_event_type type;
    uint16_t rid; /* function concerned (the PF for VFS_ENABLED / VFS_DISABLED) */
    sim_time_t time;
    bool is_vf;
    bool surprise;    /* FN_REMOVED: true for surprise removal (incl. graceful timeout) */
    bool timed_out;   /* FN_REMOVED: a graceful request timed out and became surprise */
    int status;       /* FLR_DONE: 0 or SIM_ETIMEDOUT */
    uint16_t num_vfs; /* VFS_ENABLED / VFS_DISABLED */
    const struct pcie_iommu_fault *fault; /* IOMMU_FAULT: valid during the callback only */
};

typedef void (*pcie_event_fn)(void *ctx, const struct pcie_event *ev);

/* Caller-allocated subscription handle (never allocates). Invariant: linked while active. */
struct pcie_subscription {
    pcie_event_fn fn;
    void *ctx;
    struct pcie_fabric *fabric;
    struct pcie_subscription *next;
    bool active;
};

/* Subscribe sub to every event of f. SIM_EINVAL if fn is NULL or sub already active. */
int pcie_fabric_subscribe(struct pcie_fabric *f, struct pcie_subscription *sub, pcie_event_fn fn,
                          void *ctx);
/* Stop receiving events; harmless on an inactive sub. */
void pcie_fabric_unsubscribe(struct pcie_subscription *sub);

/* ---------------------------------------------------------------------------------------------
 * Device models: registering a PF that spawns VFs.
 * ------------------------------------------------------------------------------------------- */

/* One BAR (PF BAR or per-VF BAR template). size 0 = unused; sizes are powers of two >= 16
 * (VF BARs: >= the system page size, 4 KiB). A 64-bit BAR takes two slots (the next one must be
 * unused). */
struct pcie_bar_desc {
    uint64_t size;
    bool is_64;
    bool prefetchable;
};

/* Everything hardware-initialised about a PF and its VFs. Zeroed fields get the defaults
 * noted. Validated by pcie_pf_create() (errors name the field). */
struct pcie_pf_config {
    uint16_t rid;       /* PF RID, e.g. PCIE_RID(1, 0, 0) */
    uint16_t vendor_id; /* required, not 0xffff */
    uint16_t device_id;
    uint8_t revision;
    uint32_t class_code; /* 24-bit; 0 = 0x020000 (Ethernet controller) */
    uint16_t subsys_vendor_id, subsys_id;
    struct pcie_bar_desc bars[6];
    uint64_t bar_base;     /* "firmware" assigns PF BARs then VF BARs upward from here;
                              0 = 0xf8000000 */
    uint16_t msix_vectors; /* PF MSI-X table size, 0 = no MSI-X capability (max 2048) */
    uint8_t msix_bar;      /* BAR holding table and PBA */
    uint32_t msix_table_offset, msix_pba_offset; /* 0/0 = 0x2000 / 0x3000 */
    uint64_t dsn;                                /* Device Serial Number ext cap when non-zero */
    bool ari;                                    /* ARI extended capability present (PF and VFs) */
    /* SR-IOV (present when total_vfs > 0). */
    uint16_t sriov_offset; /* where the SR-IOV ext cap sits; 0 = after the others (0x160) */
    uint16_t total_vfs;
    uint16_t initial_vfs; /* 0 = total_vfs (required without VF Migration) */
    uint16_t vf_offset;   /* First VF Offset reported for ARI and non-ARI (see below) */
    uint16_t vf_stride;
    uint16_t vf_offset_non_ari, vf_stride_non_ari; /* used while ARI Capable Hierarchy is clear;
                                                      0 = same as vf_offset / vf_stride */
    uint16_t vf_device_id;
    uint8_t func_dep_link;         /* Function Dependency Link; 0 = the PF's own function number */
    uint32_t supported_page_sizes; /* 0 = 0x553 (4K, 8K, 64K, 256K, 1M, 4M) */
    struct pcie_bar_desc vf_bars[6];
    uint16_t vf_msix_vectors; /* per-VF MSI-X table size (in VF BAR vf_msix_bar) */
    uint8_t vf_msix_bar;
    uint32_t vf_msix_table_offset, vf_msix_pba_offset; /* 0/0 = 0x0 / 0x2000 */
    uint8_t bus_limit; /* last bus number routed to this device (the upstream bridge's
                          subordinate bus); 0 = enough for TotalVFs */
};

/* Callbacks a device model supplies. All optional. `fn` is the function addressed (the PF or
 * one of its VFs); pcie_fn_drvdata() gives the model's per-function state. Called on the loop
 * thread (or the DMA caller's thread for nothing: MMIO is synchronous). */
struct pcie_dev_ops {
    /* MMIO inside BAR `bar` at byte offset `off` (< BAR size, aligned to size 1/2/4/8). A read
     * stores the value in *val. MSI-X table/PBA ranges never reach these: the fabric serves
     * them. Without mmio_read the BAR reads 0; without mmio_write writes are accepted. */
    void (*mmio_read)(void *ctx, struct pcie_fn *fn, int bar, uint64_t off, unsigned size,
                      uint64_t *val);
    void (*mmio_write)(void *ctx, struct pcie_fn *fn, int bar, uint64_t off, unsigned size,
                       uint64_t val);
    /* Function Level Reset: drop all state of fn (queues, doorbells, in-flight work) now. The
     * fabric has already reset config space and MSI-X; the function stays unreachable until
     * the FLR completes. For a PF FLR the VFs are removed first (vf_removed each). */
    void (*flr)(void *ctx, struct pcie_fn *fn);
    /* VF Enable set: each VF is reported right after it is created, in VF order (it becomes
     * reachable PCIE_VF_ENABLE_DELAY_NS later). Set per-VF state with pcie_fn_set_drvdata. */
    void (*vf_added)(void *ctx, struct pcie_fn *vf);
    /* A VF is about to be freed (VF Enable cleared, PF FLR, PF destroyed): release its state. */
    void (*vf_removed)(void *ctx, struct pcie_fn *vf);
    /* Optional: the device recomputes First VF Offset / VF Stride when NumVFs or ARI Capable
     * Hierarchy changes (spec: they may change; software re-reads them). *offset / *stride hold
     * the configured values on entry. */
    void (*sriov_layout)(void *ctx, struct pcie_fn *pf, uint16_t num_vfs, bool ari,
                         uint16_t *offset, uint16_t *stride);
};

/* Register (hot add) a PF at cfg->rid. Builds its config space (type-0 header, PM, MSI-X, PCIe
 * with FLR capable, AER, DSN, ARI, SR-IOV), assigns BAR addresses, inserts it and emits
 * PCIE_EV_FN_ADDED. Returns 0, SIM_EINVAL (bad config; reason in d), SIM_EEXIST (RID in use or
 * the VF RID range overlaps a present function), SIM_ENOMEM. ops/ctx may be NULL; ops is copied. */
int pcie_pf_create(struct pcie_fabric *f, const struct pcie_pf_config *cfg,
                   const struct pcie_dev_ops *ops, void *ctx, struct pcie_fn **out,
                   struct sim_diag *d);
/* Unregister and free a PF (and its VFs). Emits FN_REMOVED for each function still present. */
void pcie_pf_destroy(struct pcie_fn *pf);

/* Accessors for device models. */
uint16_t pcie_fn_rid(const struct pcie_fn *fn);
bool pcie_fn_is_vf(const struct pcie_fn *fn);
/* Zero-based VF index (VF n in the spec is index n-1); -1 for a PF. */
int pcie_fn_vf_index(const struct pcie_fn *fn);
/* The PF of a VF; the function itself for a PF. */
struct pcie_fn *pcie_fn_pf(const struct pcie_fn *fn);
struct pcie_fabric *pcie_fn_fabric(const struct pcie_fn *fn);
void pcie_fn_set_drvdata(struct pcie_fn *fn, void *data);
void *pcie_fn_drvdata(const struct pcie_fn *fn);
/* VFs of a PF: the VF with zero-based index i, or NULL (VF Enable clear / i >= NumVFs). */
struct pcie_fn *pcie_pf_vf(const struct pcie_fn *pf, uint16_t i);
uint16_t pcie_pf_num_vfs(const struct pcie_fn *pf); /* VFs that exist now */

/* Hardware-initialised write: the device model (or "firmware") sets bits software cannot,
 * e.g. Device Status Transactions Pending. Bypasses access semantics and side effects. */
int pcie_fn_hw_cfg_write(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t val);
/* Raw config byte view (for tests and the dump); NULL if fn is NULL. Read-only. */
const uint8_t *pcie_fn_cfg_bytes(const struct pcie_fn *fn);

enum pcie_fn_state {
    PCIE_FN_ABSENT = 0,  /* no function at that RID */
    PCIE_FN_NOT_READY,   /* VF created, VF Enable delay not over yet */
    PCIE_FN_READY,       /* present and answering */
    PCIE_FN_IN_RESET,    /* FLR in progress */
    PCIE_FN_REMOVED,     /* hot-removed (surprise or graceful); may be hot-added again */
    PCIE_FN_UNREACHABLE, /* VF exists but its RID is not routed (bus limit / non-ARI) */
};
enum pcie_fn_state pcie_fabric_fn_state(const struct pcie_fabric *f, uint16_t rid);
const char *pcie_fn_state_name(enum pcie_fn_state s);

/* ---------------------------------------------------------------------------------------------
 * Config space access (drivers). size is 1, 2 or 4 and off must be size-aligned and < 4096.
 * Writes obey per-register semantics: RO bits ignore writes, RW bits take them, RW1C bits are
 * cleared by writing 1, hardware-initialised registers are RO to software. Side effects:
 * Command, MSI-X Message Control, Device Control Initiate FLR, SR-IOV Control / NumVFs /
 * System Page Size, BARs (sizing by writing all-ones works).
 * A VF's Vendor ID / Device ID read 0xffff (the spec's rule; lspci dumps substitute them).
 * ------------------------------------------------------------------------------------------- */
/* Returns 0; SIM_EINVAL (bad size/alignment, *val untouched); SIM_ENODEV (all-ones in *val). */
int pcie_cfg_read(struct pcie_fabric *f, uint16_t rid, uint16_t off, unsigned size, uint32_t *val);
int pcie_cfg_write(struct pcie_fabric *f, uint16_t rid, uint16_t off, unsigned size, uint32_t val);
/* Find a capability: standard list (ext = false) or extended list (ext = true) of the function
 * at rid. Returns its offset, or 0 if absent. */
uint16_t pcie_cfg_find_cap(struct pcie_fabric *f, uint16_t rid, uint16_t id, bool ext);
/* Like Linux pci_enable_device + pci_set_master: set Memory Space Enable (PF) and Bus Master
 * Enable. For a VF only BME (VF MMIO follows the PF's VF MSE). */
int pcie_fn_enable(struct pcie_fabric *f, uint16_t rid);

/* ---------------------------------------------------------------------------------------------
 * SR-IOV helpers (the OS-side logic of Linux sriov_enable / NdisMEnableVirtualization, built on
 * config accesses only; a driver may equally do the writes itself).
 * ------------------------------------------------------------------------------------------- */
/* VF RID for zero-based index i given offset/stride: PF_RID + offset + i*stride. Returns 0, or
 * SIM_ERANGE when the RID passes 0xffff. Pure arithmetic. */
int pcie_sriov_vf_rid(uint16_t pf_rid, uint16_t offset, uint16_t stride, uint16_t i, uint16_t *rid);
/* Check that num_vfs VFs can be enabled on the PF at pf_rid: SR-IOV present, VF Enable clear,
 * num_vfs <= InitialVFs/TotalVFs, offset != 0, stride != 0 when num_vfs > 1, every VF RID
 * routable (within the bus limit; within the PF's device's 8 functions when ARI Capable
 * Hierarchy is clear), no clash with another function. Returns 0, or with the rule named in d:
 * SIM_ENODEV (no function), SIM_ENOTSUP (not a PF / ARI asked without ARI capability),
 * SIM_ESTATE (VF Enable already set), SIM_ERANGE (NumVFs above TotalVFs/InitialVFs, a VF RID past
 * ff:1f.7, beyond the bus limit, or outside the device without ARI), SIM_EINVAL (offset 0, or
 * stride 0 with NumVFs > 1), SIM_EEXIST (a VF RID clashes with another function). Like Linux it
 * writes NumVFs (and ARI Capable Hierarchy) before reading offset/stride, so it leaves
 * NumVFs = num_vfs once it got that far (VF Enable untouched). */
int pcie_sriov_check(struct pcie_fabric *f, uint16_t pf_rid, uint16_t num_vfs, bool ari,
                     struct sim_diag *d);
/* pcie_sriov_check, then set ARI Capable Hierarchy as asked, NumVFs, VF Enable | VF MSE. The VFs
 * are ready PCIE_VF_ENABLE_DELAY_NS later (PCIE_EV_FN_ADDED each). */
int pcie_sriov_enable(struct pcie_fabric *f, uint16_t pf_rid, uint16_t num_vfs, bool ari,
                      struct sim_diag *d);
/* Clear VF Enable | VF MSE, then NumVFs = 0. */
int pcie_sriov_disable(struct pcie_fabric *f, uint16_t pf_rid, struct sim_diag *d);

/* ---------------------------------------------------------------------------------------------
 * MMIO (drivers). Addressed by RID, BAR index and offset within the BAR; size 1, 2, 4 or 8,
 * naturally aligned. A function that is absent, not ready, in reset, removed, or whose memory
 * decoding is off (Command MSE for a PF, the PF's VF MSE for a VF) reads all-ones and drops
 * writes (counted) and the call returns SIM_ENODEV. Offsets beyond the BAR: SIM_ERANGE (all-ones).
 * If the function is removed while the device model is serving the access, the read returns
 * all-ones (completion timeout; counted in mmio_aborted) and SIM_ENODEV.
 * ------------------------------------------------------------------------------------------- */
int pcie_mmio_read(struct pcie_fabric *f, uint16_t rid, int bar, uint64_t off, unsigned size,
                   uint64_t *val);
int pcie_mmio_write(struct pcie_fabric *f, uint16_t rid, int bar, uint64_t off, unsigned size,
                    uint64_t val);

/* ---------------------------------------------------------------------------------------------
 * MSI-X. The table (address, data, per-vector mask) and the PBA live in the BAR named by the
 * capability and are served by the fabric (drivers may program them by MMIO). A vector is
 * delivered when MSI-X Enable is set, Function Mask clear and its own mask bit clear; otherwise
 * its pending bit is set and it is delivered when unmasked. Delivery runs the handler the
 * driver connected, PCIE_MSIX_LATENCY_NS later through the scheduler. Repeated fires of a
 * vector already pending or in flight coalesce into one interrupt (as with real MSI-X).
 * FLR and VF removal clear the table, the pending bits and in-flight deliveries.
 * ------------------------------------------------------------------------------------------- */
typedef void (*pcie_msix_handler_fn)(void *ctx, uint16_t rid, uint16_t vector);

/* Connect a handler (models IoConnectInterruptEx). Replaces any previous one. SIM_ERANGE if the
 * vector is beyond the table. Handlers are forgotten when the function is freed. */
int pcie_msix_connect(struct pcie_fabric *f, uint16_t rid, uint16_t vector, pcie_msix_handler_fn fn,
                      void *ctx);
int pcie_msix_disconnect(struct pcie_fabric *f, uint16_t rid, uint16_t vector);
/* Convenience for drivers: set/clear MSI-X Enable (config write) / one vector's mask bit (table
 * write). Unmasking delivers a pending vector. */
int pcie_msix_enable(struct pcie_fabric *f, uint16_t rid, bool enable);
int pcie_msix_mask(struct pcie_fabric *f, uint16_t rid, uint16_t vector, bool masked);
/* True if the vector's pending bit is set. */
bool pcie_msix_is_pending(struct pcie_fabric *f, uint16_t rid, uint16_t vector);
/* Device model: raise vector. Returns 0 (scheduled, pending or coalesced), SIM_ENODEV,
 * SIM_ERANGE, SIM_ESTATE (MSI-X disabled: dropped, counted), SIM_ENOMEM never. */
int pcie_msix_fire(struct pcie_fabric *f, uint16_t rid, uint16_t vector);

/* ---------------------------------------------------------------------------------------------
 * Function Level Reset.
 * ------------------------------------------------------------------------------------------- */
typedef void (*pcie_flr_done_fn)(void *ctx, uint16_t rid, int status);

/* The driver side of an FLR (Linux pcie_flr, OID_SRIOV_RESET_VF): write Initiate FLR, wait the
 * 100 ms bound on the virtual clock, then check the function answers. done(ctx, rid, 0) if it
 * completed within the bound, done(ctx, rid, SIM_ETIMEDOUT) if not (flr_timeout knob). Returns
 * 0 (done runs later, exactly once) or SIM_ENODEV / SIM_ENOTSUP (no FLR capability) / SIM_EBUSY
 * (FLR already in progress); then done never runs. done may be NULL. */
int pcie_flr(struct pcie_fabric *f, uint16_t rid, pcie_flr_done_fn done, void *ctx);

/* ---------------------------------------------------------------------------------------------
 * Hot plug.
 * ------------------------------------------------------------------------------------------- */
/* Surprise removal: the function (and a PF's VFs) vanish now; config/MMIO read all-ones, DMA
 * and interrupts from it are blocked. Emits FN_REMOVED(surprise). SIM_ENODEV if not present. */
int pcie_fn_surprise_remove(struct pcie_fabric *f, uint16_t rid);
/* Graceful removal request (attention button / VPCI eject): emits FN_REMOVE_REQUESTED; the
 * function stays usable until a driver calls pcie_fn_remove_ack(), which removes it
 * (FN_REMOVED, not surprise). If timeout_ns > 0 and no ack came in time, it is surprise-removed
 * (FN_REMOVED with timed_out). SIM_EBUSY if a request is already pending. */
int pcie_fn_remove_request(struct pcie_fabric *f, uint16_t rid, sim_time_t timeout_ns);
int pcie_fn_remove_ack(struct pcie_fabric *f, uint16_t rid);
/* Hot add a previously removed function again (fresh config space, as after power-on).
 * Emits FN_ADDED. SIM_ENOENT if no removed function has that RID, SIM_EEXIST if present. */
int pcie_fn_hot_add(struct pcie_fabric *f, uint16_t rid);

/* ---------------------------------------------------------------------------------------------
 * IOMMU: translation domains, one per RID or per group of RIDs (a VM).
 * ------------------------------------------------------------------------------------------- */
#define PCIE_IOMMU_PAGE_SIZE  4096u
#define PCIE_IOMMU_PERM_READ  1u /* device may read (PCIE_DMA_READ) */
#define PCIE_IOMMU_PERM_WRITE 2u /* device may write (PCIE_DMA_WRITE) */
#define PCIE_IOMMU_PERM_RW    3u
#define PCIE_IOMMU_FAULT_LOG  64 /* faults kept for pcie_iommu_fault_get */

/* Create an empty domain (name copied, for messages). Returns 0 or SIM_ENOMEM. */
int pcie_iommu_domain_create(struct pcie_fabric *f, const char *name,
                             struct pcie_iommu_domain **out);
/* Detach all its RIDs, drop its mappings (IOTLB invalidated) and free it. */
void pcie_iommu_domain_destroy(struct pcie_iommu_domain *dom);
uint32_t pcie_iommu_domain_id(const struct pcie_iommu_domain *dom); /* unique, >= 1 */
/* Attach rid to dom (the RID need not be present yet: a VF's context may be set up before VF
 * Enable). SIM_EBUSY if rid is attached to another domain; attaching twice to the same is 0. */
int pcie_iommu_attach(struct pcie_iommu_domain *dom, uint16_t rid);
/* Detach rid from whatever domain holds it; its DMA faults from now on. SIM_ENOENT if none. */
int pcie_iommu_detach(struct pcie_fabric *f, uint16_t rid);
/* Map [iova, iova+len) to host memory at host (len bytes the caller owns and keeps alive until
 * unmapped). iova and len must be multiples of PCIE_IOMMU_PAGE_SIZE, len > 0, perm non-zero.
 * SIM_EEXIST if any page is already mapped (nothing changes), SIM_ENOMEM, SIM_EINVAL. */
int pcie_iommu_map(struct pcie_iommu_domain *dom, uint64_t iova, void *host, size_t len,
                   unsigned perm, struct sim_diag *d);
/* Unmap every page in [iova, iova+len) (splitting mappings as needed) and invalidate the
 * IOTLB for them. Returns 0 (also if nothing was mapped) or SIM_EINVAL / SIM_ENOMEM (split). */
int pcie_iommu_unmap(struct pcie_iommu_domain *dom, uint64_t iova, size_t len);
/* Translate one access without performing it and without recording a fault: *host gets the
 * host address of iova if [iova, iova+len) lies in one page-contiguous mapping with perm.
 * Returns 0, SIM_EFAULT. (For inspection and tests; devices use pcie_dma_*.) */
int pcie_iommu_translate(struct pcie_fabric *f, uint16_t rid, uint64_t iova, size_t len,
                         enum pcie_dma_dir dir, void **host);

/* DMA by a function (device models). Copies len bytes between buf and the host memory the
 * RID's domain maps at iova. The whole range is translated first: if any byte is outside the
 * domain (no context, not mapped, wrong permission) nothing is copied, the fault is recorded
 * (RID, address, direction, time), PCIE_EV_IOMMU_FAULT is emitted and SIM_EFAULT returned.
 * SIM_ENODEV if the function is absent/in reset/removed, SIM_EPERM if Bus Master Enable is clear
 * (both counted in dma_blocked, no fault record). */
int pcie_dma_read(struct pcie_fabric *f, uint16_t rid, uint64_t iova, void *buf, size_t len);
int pcie_dma_write(struct pcie_fabric *f, uint16_t rid, uint64_t iova, const void *buf, size_t len);

/* Faults: total recorded since creation, and the i-th most recent kept one (0 = newest,
 * i < PCIE_IOMMU_FAULT_LOG). SIM_ENOENT if there is no such record. */
uint64_t pcie_iommu_fault_count(const struct pcie_fabric *f);
int pcie_iommu_fault_get(const struct pcie_fabric *f, unsigned i, struct pcie_iommu_fault *out);
const char *pcie_fault_reason_name(enum pcie_fault_reason r);

/* ---------------------------------------------------------------------------------------------
 * Dump in `lspci -xxxx` format (ecosystem.md section 3): for each function a header line
 * "bb:dd.f <description>\n", 256 lines of 16 bytes ("00:" .. "ff0:"), a blank line. VFs get the
 * PF's Vendor ID and the SR-IOV VF Device ID substituted (as the OS does) unless
 * PCIE_DUMP_RAW_IDS is given. `lspci -F FILE -vvv` decodes the result.
 * ------------------------------------------------------------------------------------------- */
#define PCIE_DUMP_RAW_IDS 0x1u /* keep VF ID registers as the device returns them (ffff) */

/* Dump every present, reachable function (rid < 0) or only rid. Returns 0, SIM_ENOENT (no such
 * function / nothing to dump, reason in d), SIM_EIO (write error). */
int pcie_dump_lspci(FILE *out, struct pcie_fabric *f, int rid, unsigned flags, struct sim_diag *d);

/* Decoded SR-IOV summary of a PF (for --json and for drivers that do not want to parse). */
struct pcie_sriov_info {
    uint16_t cap_offset;
    uint16_t ctrl;
    uint16_t initial_vfs, total_vfs, num_vfs;
    uint16_t vf_offset, vf_stride, vf_device_id;
    uint32_t supported_page_sizes, system_page_size;
    bool vf_enable, vf_mse, ari_hierarchy;
};
/* SIM_ENODEV (no function), SIM_ENOTSUP (no SR-IOV capability). */
int pcie_sriov_info(struct pcie_fabric *f, uint16_t pf_rid, struct pcie_sriov_info *out);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_PCIE_H */
