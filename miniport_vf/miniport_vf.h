/* SPDX-License-Identifier: MIT */
/*
 * miniport_vf.h — the VF miniport: the guest driver of one virtual function of the simulated
 * SR-IOV NIC. It registers with ndis_shim as an SR-IOV VF miniport (only NetVSC may bind it),
 * brings the VF up when the guest's virtual PCI bus reports it (config space, BAR0 registers,
 * MSI-X, one queue pair whose rings and packet buffers live in guest memory, the VF_RESET
 * handshake with the PF over the mailbox), sends and receives with zero copy (descriptors carry
 * guest-physical addresses the device translates through the VM's IOMMU domain), pauses,
 * restarts, resets and halts, survives surprise removal (every frame in flight is completed with
 * NDIS_STATUS_ADAPTER_REMOVED, reported with SIM_DROP_SURPRISE_REMOVAL and counted) and asks
 * the PF for MAC / VLAN / multicast changes over the mailbox.
 *
 * Windows counterpart: an IHV VF miniport in a child partition (Mellanox mlx5 VF, Intel
 * ixgbevf/iavf Windows drivers), structured like the netvmini sample: MiniportInitializeEx /
 * MiniportHaltEx / MiniportPause / MiniportRestart / MiniportResetEx /
 * MiniportDevicePnPEventNotify (miniport.c), MiniportOidRequest (ctrlpath.c),
 * MiniportSendNetBufferLists / MiniportReturnNetBufferLists (datapath.c), TCB/RCB pools
 * (tcbrcb.c), the PF<->VF mailbox (mailbox.c) and the hardware access layer (hw.c).
 *
 * Threading. Control (create, NDIS handlers, mailbox, OIDs) runs on the scheduler's loop
 * thread. The data path — MiniportSendNetBufferLists, vf_adapter_poll, the return of received
 * NBLs, vf_adapter_send_gpa — belongs to ONE thread at a time: the loop thread in scenario
 * mode, where the queue pair's MSI-X interrupt schedules the poll as a DPC on the scheduler;
 * or a dedicated bench thread in poll mode (cfg.poll_mode), where the owner calls
 * vf_adapter_poll itself and the data path touches nothing but the rings and guest memory (no
 * MMIO, no scheduler), so it can run beside the device's nic_poll thread.
 */
#ifndef SRIOVSIM_MINIPORT_VF_H
#define SRIOVSIM_MINIPORT_VF_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"
#include "ndis_shim/ndis_shim.h"
#include "pcie/pcie.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vf_adapter;

/* Allocation tag of everything miniport_vf allocates (leak checks). */
SIM_ALLOC_TAG_DECLARE(vf);

/* Sizes and timing (every constant the driver uses). */
#define VF_RING_SLOTS_DEFAULT 256u  /* slots per descriptor ring (TX, TXC, RXF, RX) */
#define VF_RX_BUF_SIZE        2048u /* one receive buffer: nic_pkt_hdr + up to 2032 bytes */
#define VF_DPC_BUDGET         64u   /* descriptors per direction per DPC pass (scenario mode) */
#define VF_MBX_QUEUE          8u    /* mailbox requests queued behind the outstanding one */
#define VF_MBX_TIMEOUT_NS     SIM_MSEC(10) /* PF answer deadline (INFERRED; ixgbevf waits ~ms) */
#define VF_NAME_MAX           NDIS_NAME_MAX

struct vf_config {
    const char *name;           /* "vm1.vf0" (copied); required */
    struct hv_partition *guest; /* the VM: guest memory, scheduler, fabric; required */
    uint16_t rid;               /* the VF's RID as the guest's VPCI bus reports it */
    uint32_t serial;            /* OID_SRIOV_VF_SERIAL_NUMBER (from the VPCI offer) */
    unsigned ring_slots;        /* power of two in [8, 4096]; 0 = VF_RING_SLOTS_DEFAULT */
    unsigned rx_buffers;        /* receive buffers, <= ring_slots; 0 = ring_slots / 2 */
    bool poll_mode;             /* bench: no data-path interrupts or doorbells; owner polls */
    const struct sim_drop_sink *drop_sink; /* copied; may be NULL */
    struct ndis_trace *trace;              /* optional: OID trace of the NDIS dispatcher */
};

/* Counters (driver view). Read with vf_adapter_stats from the data-path thread, or after it
 * stopped. Invariant while running: tx_posted == tx_completed + tx_removed + tx_aborted +
 * tx_inflight. */
struct vf_stats {
    uint64_t tx_posted;    /* descriptors handed to the device */
    uint64_t tx_completed; /* completions reaped from the TXC ring (any status) */
    uint64_t tx_ok;        /* of which the device sent (wire or another VPort) */
    uint64_t tx_inflight;  /* posted, no completion yet (now) */
    uint64_t tx_bytes, rx_bytes;
    uint64_t tx_nbls_completed; /* NBLs given back through NdisMSendNetBufferListsComplete */
    uint64_t tx_refused;   /* NBLs completed at once (paused, removed, ring full, bad buffer) */
    uint64_t rx_indicated; /* frames indicated up */
    uint64_t rx_returned;  /* indicated NBLs that came back */
    uint64_t rx_unused;    /* buffers the device returned unused (it dropped the frame) */
    uint64_t drops[SIM_DROP_CAUSE_COUNT]; /* lost frames by cause, both directions: the device's
                                             TX drops (from TXC status) and the driver's own */
    uint64_t tx_removed; /* in flight at surprise removal: completed with ADAPTER_REMOVED */
    uint64_t rx_removed; /* received but not yet indicated at surprise removal */
    uint64_t tx_aborted; /* in flight at a reset (MiniportResetEx): REQUEST_ABORTED */
    uint64_t completion_mismatch; /* TXC IOVA differed from the GPA posted (device bug) */
    uint64_t bad_rx_desc;         /* RX descriptor naming no buffer of ours (device bug) */
    uint64_t interrupts, dpcs, polls;
    uint64_t mbx_requests, mbx_acks, mbx_nacks, mbx_timeouts, mbx_notifications;
    uint64_t mac_changes; /* SET_MAC ACKed (the VF now believes in the new MAC) */
    uint64_t resets;      /* MiniportResetEx */
    uint64_t surprise_removals;
};

/*
 * vf_adapter_create — register a VF miniport instance with NDIS for the VF at cfg->rid
 * (NdisMRegisterMiniportDriver + the attributes of NdisMSetMiniportAttributes: SR-IOV caps
 * SRIOV_SUPPORTED | VF_MINIPORT, the VF serial number). Nothing touches the device yet: NDIS
 * brings it up with ndis_miniport_initialize() (MiniportInitializeEx) and
 * ndis_miniport_restart() (which pends until the PF answered the VF_RESET handshake).
 * Returns 0; SIM_EINVAL (bad cfg, reason in d); SIM_ENOMEM. On failure nothing is allocated.
 * Loop thread.
 */
int vf_adapter_create(const struct vf_config *cfg, struct vf_adapter **out, struct sim_diag *d);
/* Free a HALTED adapter and its NDIS miniport. SIM_EBUSY if not halted (nothing freed). NULL
 * is ignored. */
int vf_adapter_destroy(struct vf_adapter *a);
/* The NDIS miniport (bind NetVSC to it, submit OIDs, drive its state machine). */
struct ndis_miniport *vf_adapter_miniport(const struct vf_adapter *a);
const char *vf_adapter_name(const struct vf_adapter *a);

/*
 * vf_adapter_poll — the data path's work loop: reap TX completions (send-complete the NBLs) and
 * receive frames (indicate them up), up to `budget` descriptors in each direction. Never
 * blocks, never allocates. Returns descriptors processed (0: nothing to do, or the adapter is
 * not up / removed). The data-path thread only.
 */
unsigned vf_adapter_poll(struct vf_adapter *a, unsigned budget);

/*
 * vf_adapter_send_gpa — post one raw frame by guest-physical address (the Packet Direct style:
 * the caller already wrote a struct nic_pkt_hdr at `gpa` and the frame right after it). Used by
 * tests and benches; NBL sends go through NdisSendNetBufferLists. The GPA is not checked here:
 * the device's DMA goes through the IOMMU, which is what keeps a bad GPA harmless.
 * Returns 0; SIM_ESTATE (not running / pausing); SIM_ENODEV (removed); SIM_ENOSPC (ring full);
 * SIM_EINVAL (len outside NIC_MIN_FRAME_LEN..NIC_MAX_FRAME_LEN). The data-path thread only.
 */
int vf_adapter_send_gpa(struct vf_adapter *a, uint64_t gpa, uint32_t len, uint64_t packet_id);

/* ---- configuration requests over the PF<->VF mailbox ------------------------------------ */
/*
 * Completion of a mailbox request. `status`: NDIS_STATUS_SUCCESS (the PF ACKed: for SET_MAC the
 * VF now uses the new MAC — also when the PF refused silently, which the VF cannot tell),
 * NDIS_STATUS_FAILURE (the PF NACKed: explicit refusal), NDIS_STATUS_DEVICE_FAILED (no answer
 * within VF_MBX_TIMEOUT_NS), NDIS_STATUS_ADAPTER_REMOVED (removed / halted first). `why` names
 * the request and the outcome. Runs exactly once, on the loop thread, never inside the call.
 */
typedef void (*vf_request_cb)(void *ctx, struct vf_adapter *a, ndis_status_t status,
                              const struct sim_diag *why);

/* Ask the PF to change the VF's MAC (the effect of a set of OID_802_3_CURRENT_ADDRESS /
 * "Network Address" on the VF adapter; ixgbevf's SET_MAC_ADDR). Returns 0 (cb runs later),
 * SIM_EINVAL (multicast or zero MAC, NULL cb), SIM_ESTATE (not initialized), SIM_ENODEV
 * (removed), SIM_ENOSPC (VF_MBX_QUEUE requests already waiting); then cb never runs. */
int vf_adapter_set_mac(struct vf_adapter *a, const uint8_t mac[6], vf_request_cb cb, void *ctx);
/* Join / leave a VLAN (SET_VLAN). Same returns; SIM_ERANGE for a VLAN id > 4095. */
int vf_adapter_set_vlan(struct vf_adapter *a, uint16_t vlan, bool add, vf_request_cb cb, void *ctx);
/* Replace the multicast list (SET_MULTICAST; at most 7 addresses). SIM_ERANGE if more. */
int vf_adapter_set_multicast(struct vf_adapter *a, const uint8_t (*macs)[6], unsigned count,
                             vf_request_cb cb, void *ctx);

/* The MAC the VF driver believes it has (after the VF_RESET handshake and ACKed changes), and
 * the permanent MAC of its BAR0 registers. */
void vf_adapter_mac(const struct vf_adapter *a, uint8_t mac[6]);
void vf_adapter_permanent_mac(const struct vf_adapter *a, uint8_t mac[6]);
/* True once the PF answered VF_RESET (the VF may run). */
bool vf_adapter_is_configured(const struct vf_adapter *a);
bool vf_adapter_is_removed(const struct vf_adapter *a);
/* GPA and size of the receive-buffer area and of the rings (for zero-copy / isolation tests). */
void vf_adapter_rx_area(const struct vf_adapter *a, uint64_t *gpa, uint64_t *len);
/* Counters snapshot. */
void vf_adapter_stats(const struct vf_adapter *a, struct vf_stats *out);
/* The last control-plane error or refusal (human reason), empty if none. Never NULL. */
const struct sim_diag *vf_adapter_last_error(const struct vf_adapter *a);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_MINIPORT_VF_H */
