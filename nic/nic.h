/* SPDX-License-Identifier: MIT */
/*
 * nic.h — the simulated SR-IOV Ethernet adapter (the hardware): a physical port, an embedded
 * NIC switch with VPorts (default VPort 0 on the PF), receive filters, queue pairs whose
 * descriptor rings live in function memory reached through the IOMMU, VPort-to-VPort
 * forwarding, transmit anti-spoof, per-VPort counters with drop causes and a PF<->VF mailbox.
 * Registered on the PCIe fabric as a PF that spawns VFs.
 *
 * Windows counterpart: the SR-IOV NIC itself (Intel 82599/E810, Mellanox ConnectX) that a PF
 * miniport programs to implement the NDIS NIC-switch model (NDIS_NIC_SWITCH_*, VPorts,
 * receive filters) and whose VFs a VF miniport drives in the guest.
 *
 * This header is for whoever BUILDS the topology (vstack, tests, tools, benches): creation,
 * the wire hook, fault knobs and counters. Drivers never include it: they program the device
 * through the fabric (config space, MMIO, DMA, MSI-X) as nic_regs.h, the datasheet, describes.
 *
 * Threading: everything belongs to the scheduler's loop thread, except in poll mode (bench):
 * then one device thread may call nic_poll() and nic_port_rx() while drivers on other threads
 * use the rings; control (commands, MMIO) stays on the loop thread and filter moves are
 * published atomically.
 */
#ifndef SRIOVSIM_NIC_H
#define SRIOVSIM_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "nic/nic_regs.h"
#include "pcie/pcie.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default physical-port rate and the per-frame wire overhead (preamble 8 + FCS 4 + IFG 12
 * bytes) used for serialization delay in scenario mode. */
#define NIC_PORT_RATE_DEFAULT_BPS UINT64_C(10000000000)
#define NIC_WIRE_OVERHEAD_BYTES   24u

struct nic;

/* Allocation tag of everything nic/ allocates, for leak checks: sim_alloc_live(SIM_TAG(nic)). */
SIM_ALLOC_TAG_DECLARE(nic);

/* Creation parameters. Zero fields get the defaults noted. */
struct nic_config {
    uint16_t rid;            /* PF RID (required; VF RIDs follow at offset 0x80, stride 2) */
    uint16_t total_vfs;      /* TotalVFs, <= NIC_MAX_VFS (0 = no SR-IOV capability) */
    uint16_t max_vports;     /* incl. the default VPort; 0 = total_vfs + 8 (<= NIC_MAX_VPORTS) */
    uint16_t max_filters;    /* 0 = NIC_MAX_FILTERS (<= NIC_MAX_FILTERS) */
    uint16_t vf_queue_pairs; /* QPs per VF, 1..NIC_VF_MAX_QPS; 0 = NIC_VF_MAX_QPS */
    uint8_t mac[6];          /* permanent PF MAC; VF v gets mac with byte 5 += v + 1 */
    uint64_t link_rate_bps;  /* 0 = NIC_PORT_RATE_DEFAULT_BPS */
    const char *name;        /* names drop points ("h1.nic0"); copied; NULL = "nic" */
    const struct sim_drop_sink *drop_sink; /* copied; may be NULL */
    bool poll_mode; /* bench mode: doorbells do not schedule work, nic_poll() does it, no
                       per-use IOMMU re-validation, no interrupts from the data path */
};

/* The wire. The port hands each transmitted frame to tx(); `done_at` is the virtual time the
 * last bit leaves the port (serialization at the link rate after earlier frames). The frame
 * buffer is valid during the call only. Frames arrive from the wire via nic_port_rx(). */
struct nic_wire_ops {
    void (*tx)(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at);
};

/* Fault-injection knobs (netdevsim style: plain fields; also settable by name). */
struct nic_knobs {
    uint32_t cmd_fail_next;        /* the next N commands complete with NIC_ERR_INJECTED */
    sim_time_t cmd_extra_delay_ns; /* added to NIC_CMD_LATENCY_NS for every command */
    bool link_down;                /* carrier lost (cable pulled): use nic_port_set_carrier() or
                                      nic_knob_set() so the link interrupt fires */
    bool rx_force_full;            /* every RX delivery finds its ring full (SIM_DROP_RING_FULL) */
};

/* Per-VPort counters: struct nic_hw_vport_stats (nic_regs.h), the block STATS_READ gives drivers.
 */

/* Physical port counters. */
struct nic_port_stats {
    uint64_t rx_frames, rx_bytes;         /* arrived from the wire */
    uint64_t tx_frames, tx_bytes;         /* left on the wire */
    uint64_t drops[SIM_DROP_CAUSE_COUNT]; /* dropped at the port (link down, bad length) */
    uint64_t link_changes;
};

/* Device-wide counters. */
struct nic_stats {
    uint64_t cmds_started, cmds_completed, cmds_failed; /* failed: code != NIC_ERR_OK */
    uint64_t cmds_busy_ignored;                         /* doorbell written while a command ran */
    uint64_t cmds_injected;                             /* failed by the cmd_fail_next knob */
    uint64_t mmio_unknown; /* accesses to undefined offsets or with a bad size */
    uint64_t mbx_requests, mbx_acks, mbx_nacks, mbx_msgs;
    uint64_t mbx_busy_ignored;            /* REQ or MSG while the previous one was not consumed */
    uint64_t vf_resets;                   /* FLR or VF_RESET of a VF */
    uint64_t qp_enable_errors;            /* QP enable refused (ring invalid or not mapped) */
    uint64_t qp_iommu_errors;             /* enabled QP whose ring mapping went away */
    uint64_t tx_services;                 /* TX service passes (doorbell-driven or polled) */
    uint64_t sched_errors;                /* a timer could not be armed (scheduler out of memory) */
    uint64_t drops[SIM_DROP_CAUSE_COUNT]; /* every drop, all places together */
};

/*
 * nic_create — build the adapter and register it on the fabric as a PF (hot add).
 *   f: the fabric (must outlive the nic); cfg: parameters (copied); out: the nic.
 * Returns 0; SIM_EINVAL (bad cfg, reason in d); SIM_EEXIST (RID taken); SIM_ENOMEM.
 * On failure nothing is left allocated or registered.
 */
int nic_create(struct pcie_fabric *f, const struct nic_config *cfg, struct nic **out,
               struct sim_diag *d);
/* Unregister the PF (its VFs go first) and free everything. NULL is ignored. Rings in driver
 * memory are left as they are. */
void nic_destroy(struct nic *nic);

struct pcie_fn *nic_pf_fn(const struct nic *nic);
uint16_t nic_pf_rid(const struct nic *nic);
/* RID VF vf_index gets when VFs are enabled with ARI (PF RID + 0x80 + 2 * index). */
uint16_t nic_vf_rid(const struct nic *nic, uint16_t vf_index);

/* Knobs: read or change the fields directly, or by name ("cmd_fail_next", "cmd_extra_delay_ns",
 * "link_down", "rx_force_full"). SIM_ENOENT with the known names in d, SIM_ERANGE. */
struct nic_knobs *nic_knobs(struct nic *nic);
int nic_knob_set(struct nic *nic, const char *name, int64_t value, struct sim_diag *d);
int nic_knob_get(const struct nic *nic, const char *name, int64_t *value);

/* Physical port. */
/* Connect the wire (ops copied; NULL ops detaches). The link is up while a wire is attached,
 * the carrier is on and the driver set admin up (NIC_CMD_LINK_SET; up at power-on). */
void nic_port_attach(struct nic *nic, const struct nic_wire_ops *ops, void *ctx);
/* Carrier on/off (the link_down knob, with the link interrupt and status update). */
void nic_port_set_carrier(struct nic *nic, bool up);
bool nic_port_is_up(const struct nic *nic);
/* A frame arrives from the wire now: classified by the NIC switch and delivered to a VPort's
 * RX ring, or dropped with a recorded cause. frame holds len bytes (Ethernet header first,
 * no FCS), copied before return. Returns 0 (delivered or dropped-and-counted), SIM_EINVAL
 * (NULL frame). Never allocates. */
int nic_port_rx(struct nic *nic, const void *frame, uint32_t len, uint64_t packet_id);

/* Data path in poll mode: service up to budget TX descriptors over every enabled queue of
 * every function (round robin). Returns descriptors processed. Never blocks or allocates. */
long nic_poll(struct nic *nic, unsigned budget);

/* Counters (tests and tools; drivers use NIC_CMD_STATS_READ). */
/* SIM_ENOENT if vport_id is not a live VPort. */
int nic_vport_stats(const struct nic *nic, uint16_t vport_id, struct nic_hw_vport_stats *out);
void nic_port_stats(const struct nic *nic, struct nic_port_stats *out);
void nic_stats(const struct nic *nic, struct nic_stats *out);
/* Number of live VPorts (incl. default) and filters. */
unsigned nic_vport_count(const struct nic *nic);
unsigned nic_filter_count(const struct nic *nic);
/* The VPort filter_id points at, or NIC_VPORT_NONE. */
uint16_t nic_filter_vport(const struct nic *nic, uint16_t filter_id);

/* The device as an inspector (a debugger's register dump, `sriovsim draw`) sees it: VPorts with
 * their owner, queue pairs and counters, and the receive filters pointing at them. Read-only;
 * never allocates. */
struct nic_vport_view {
    uint16_t id;
    int owner_vf;        /* -1: the PF (default VPort, VMQ VPorts); else the VF index */
    uint16_t nqps;       /* queue pairs assigned */
    uint16_t qps_enabled; /* of which the driver enabled (NIC_QP_CTRL_ENABLE) */
    uint8_t mac[6];
    unsigned nfilters;
    struct nic_hw_vport_stats stats;
};
struct nic_filter_view {
    uint16_t id;
    uint16_t vport;
    uint8_t mac[6];
    uint16_t vlan;
};
/* The i-th live VPort in id order (i from 0): 0 and *out filled, SIM_ENOENT after the last. */
int nic_vport_view(const struct nic *nic, unsigned i, struct nic_vport_view *out);
/* The i-th live filter in the order they were set: 0, or SIM_ENOENT after the last. */
int nic_filter_view(const struct nic *nic, unsigned i, struct nic_filter_view *out);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_NIC_H */
