/* SPDX-License-Identifier: MIT */
/*
 * miniport_pf.h — the PF miniport: the driver of the simulated SR-IOV NIC's physical function
 * in the parent partition. It registers with ndis_shim as an SR-IOV PF miniport and handles
 * every PF OID of the NDIS SR-IOV model (NIC switch, VFs, VPorts, receive filters, FLR, VF
 * config space, the config-block backchannel, power), the PF<->VF mailbox requests (MAC, VLAN,
 * multicast, reset) through a policy hook, and enforces the ordering rules of
 * reference/ndis_sriov.md §7 with the documented statuses and a human reason for each refusal.
 *
 * Windows counterpart: an IHV PF miniport (the netvmini sample's structure — miniport.c,
 * adapter.c, ctrlpath.c, hw.c — plus the SR-IOV parts a real PF driver such as ixgbe/ionic
 * adds): MiniportInitializeEx / MiniportHaltEx / MiniportOidRequest and NdisM* PF helpers.
 *
 * Threading: everything runs on the scheduler's loop thread. OIDs that need the device return
 * NDIS_STATUS_PENDING and complete exactly once, later, from the device's MSI-X interrupt (or
 * the FLR-done event of the fabric for OID_SRIOV_RESET_VF).
 */
#ifndef SRIOVSIM_MINIPORT_PF_H
#define SRIOVSIM_MINIPORT_PF_H

#include <stdbool.h>
#include <stdint.h>

#include "ndis_shim/ndis_shim.h"
#include "pcie/pcie.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pf_adapter;

/* ---- NDIS_RECEIVE_FILTER_FIELD_PARAMETERS --------------------------------------------------
 * The field array that follows NDIS_RECEIVE_FILTER_PARAMETERS in OID_RECEIVE_FILTER_SET_FILTER.
 * ndis_shim/oid.h does not carry it (the reference gives the member names, not the layout:
 * §5 "exact layout not retrieved (INFERRED order)"), so the PF miniport defines it here with the
 * WDK member order and the WDK enum values (INFERRED). */
#define PF_FRAME_HEADER_MAC                     1u /* NdisFrameHeaderMac */
#define PF_RECEIVE_FILTER_TEST_EQUAL            1u /* NdisReceiveFilterTestEqual */
#define PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS 1u /* NdisMacHeaderFieldDestinationAddress */
#define PF_MAC_HEADER_FIELD_VLAN_ID             4u /* NdisMacHeaderFieldVlanId */
/* NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO (value not retrieved, §14). */
#define PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO 0x00000001u

struct pf_receive_filter_field_parameters {
    struct ndis_object_header header; /* NDIS_OBJECT_TYPE_DEFAULT, revision 1 */
    uint32_t flags;                   /* PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO */
    uint32_t frame_header;            /* PF_FRAME_HEADER_MAC */
    uint32_t receive_filter_test;     /* PF_RECEIVE_FILTER_TEST_EQUAL */
    uint32_t mac_header_field;        /* PF_MAC_HEADER_FIELD_* */
    union {
        uint8_t byte_array[16]; /* FieldByteArrayValue (a MAC uses 6 bytes) */
        uint16_t short_value;   /* FieldShortValue (VLAN id) */
    } field_value;
    union {
        uint8_t byte_array[16];
        uint16_t short_value;
    } result_value; /* ResultValue (mask; unused by the EQUAL test) */
};
#define PF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1 1

/* ---- the VF-request policy hook ------------------------------------------------------------
 * A VF asks for a configuration change over the PF<->VF mailbox; the PF asks the policy, once
 * per message (the shape of DPDK ixgbe's per-message callback: PROCEED / NOOP_ACK / NOOP_NACK).
 *   ACCEPT         apply the change, answer ACK                     (DPDK PROCEED)
 *   REFUSE         do not apply, answer NACK: the VF driver sees the
 *                  failure (Intel ixgbe/i40e behaviour)              (DPDK NOOP_NACK)
 *   REFUSE_SILENT  do not apply, answer ACK: the guest believes it
 *                  worked, the log says it failed (vSphere)         (DPDK NOOP_ACK)
 * Whatever the verdict, a refusal is logged with the VF, the request and the policy's reason
 * (peers.md §6: log lines that name the VF and the limit). */
enum pf_verdict {
    PF_VERDICT_ACCEPT = 0,
    PF_VERDICT_REFUSE = 1,
    PF_VERDICT_REFUSE_SILENT = 2,
};

enum pf_vf_request_type {
    PF_VF_REQ_SET_MAC = 1,       /* NIC_MBX_MSG_SET_MAC */
    PF_VF_REQ_SET_VLAN = 2,      /* NIC_MBX_MSG_SET_VLAN (add or remove) */
    PF_VF_REQ_SET_MULTICAST = 3, /* NIC_MBX_MSG_SET_MULTICAST (replace the list) */
    PF_VF_REQ_RESET = 4,         /* NIC_MBX_MSG_VF_RESET (the VF driver (re)starts) */
};

#define PF_VF_MAX_MULTICAST 7 /* addresses one mailbox message carries (16 words) */

/* What the VF asked for, and what the PF knows about that VF. Valid during the call only. */
struct pf_vf_request {
    enum pf_vf_request_type type;
    uint16_t vf_id;
    bool trusted;           /* administrator's trust setting (pf_vf_set_trusted) */
    uint8_t admin_mac[6];   /* the MAC the virtualization stack gave the VF (ALLOCATE_VF) */
    uint8_t current_mac[6]; /* the MAC the device uses for the VF now */
    uint8_t mac[6];         /* SET_MAC: requested address */
    uint16_t vlan_id;       /* SET_VLAN */
    bool vlan_add;          /* SET_VLAN: true add, false remove */
    uint16_t admin_vlan;    /* port VLAN set by the administrator (0 none) */
    unsigned mc_count;      /* SET_MULTICAST */
    uint8_t mc[PF_VF_MAX_MULTICAST][6];
};

/* The hook. Write a reason into `why` (sim_diag_fail) when refusing; it is logged. */
typedef enum pf_verdict (*pf_policy_fn)(void *ctx, const struct pf_vf_request *req,
                                        struct sim_diag *why);

/* Built-in policies (ctx unused, pass NULL):
 *   pf_policy_accept_all — every request is applied.
 *   pf_policy_intel      — explicit NACK, like ixgbe/i40e: an untrusted VF may not move its
 *                          MAC away from the administrator's, may not change VLANs while the
 *                          administrator set a port VLAN, and may join at most
 *                          PF_INTEL_MAX_MULTICAST groups; the reason names the VF and limit.
 *   pf_policy_vsphere    — the same checks, refused silently ("MAC address changes: Reject"
 *                          port-group policy: the guest believes it worked). */
#define PF_INTEL_MAX_MULTICAST 4
enum pf_verdict pf_policy_accept_all(void *ctx, const struct pf_vf_request *req,
                                     struct sim_diag *why);
enum pf_verdict pf_policy_intel(void *ctx, const struct pf_vf_request *req, struct sim_diag *why);
enum pf_verdict pf_policy_vsphere(void *ctx, const struct pf_vf_request *req, struct sim_diag *why);

/* ---- creation ------------------------------------------------------------------------------ */
struct pf_config {
    const char *name;           /* miniport name in traces ("pf0"); required */
    struct sim_sched *sched;    /* required */
    struct pcie_fabric *fabric; /* required: the only way to the device */
    uint16_t rid;               /* RID of the PF (the NIC registered there) */
    struct ndis_trace *trace;   /* optional: where the NDIS dispatcher records OIDs */
    bool sriov_disabled;        /* *SRIOV = 0: hardware caps registered, current caps not */
    pf_policy_fn policy;        /* NULL: pf_policy_accept_all */
    void *policy_ctx;
    /* Data path of the default VPort (PF QP 0). */
    bool poll_mode;      /* bench: no QP interrupt / doorbells; the owner calls pf_adapter_poll */
    unsigned ring_slots; /* power of two in [8, 4096]; 0 = 256 */
    unsigned rx_buffers; /* receive buffers, <= ring_slots; 0 = ring_slots / 2 */
    const struct sim_drop_sink *drop_sink; /* copied; may be NULL: where the PF reports drops */
    /* The NDIS handlers to register (NDIS_MINIPORT_DRIVER_CHARACTERISTICS). NULL:
     * pf_miniport_ops, the shipped ones. A driver built on this one registers its own table and
     * calls pf_miniport_ops' handlers (ctx is the struct pf_adapter) for what it leaves alone. */
    const struct ndis_miniport_ops *ops;
};

/* The shipped PF miniport's handlers (MiniportInitializeEx, MiniportOidRequest, ...); their
 * ctx is the struct pf_adapter. */
extern const struct ndis_miniport_ops pf_miniport_ops;

/* Counters. */
struct pf_stats {
    uint64_t oids;               /* OIDs that reached the miniport's handler */
    uint64_t oids_pended;        /* of which returned NDIS_STATUS_PENDING */
    uint64_t refusals;           /* OIDs the miniport refused (reason in pf_adapter_last_refusal) */
    uint64_t cmds, cmd_errors;   /* device commands issued / completed with a NIC_ERR_* */
    uint64_t cmd_timeouts;       /* command watchdog fired with the command still busy */
    uint64_t lost_irq_recovered; /* watchdog found a completed command whose MSI-X never came */
    uint64_t flr_ok, flr_failed;
    uint64_t mbx_requests, mbx_acks, mbx_nacks, mbx_silent_refusals;
    uint64_t mbx_vf_resets_seen; /* VFLR bits the PF consumed (FLR / VF reset of a VF) */
    uint64_t invalidations;      /* NdisMInvalidateConfigBlock calls */
    uint64_t inval_msgs;         /* PF_CFG_INVALIDATE mailbox messages sent (after coalescing) */
    uint64_t halt_with_vfs;      /* MiniportHaltEx reached us with VFs still allocated */
    /* Data path (default VPort). Invariant: tx_posted == tx_completed + tx_flushed + in flight;
     * every NBL sent is completed exactly once (tx_nbls == tx_nbls_completed when idle). */
    uint64_t tx_nbls;           /* NBLs MiniportSendNetBufferLists received */
    uint64_t tx_nbls_completed; /* NBLs given back through NdisMSendNetBufferListsComplete */
    uint64_t tx_refused;        /* NBLs completed at once (paused, removed, ring full, bad) */
    uint64_t tx_posted, tx_completed, tx_ok, tx_bytes;
    uint64_t tx_flushed;        /* in flight at halt / surprise removal (dropped with a cause) */
    uint64_t tx_vport_fallback; /* sends naming a deleted VPort, sent on the default (§11.2) */
    uint64_t rx_indicated, rx_returned, rx_bytes;
    uint64_t rx_unused; /* buffers the device returned unused (it dropped the frame) */
    uint64_t completion_mismatch, bad_rx_desc; /* device bugs */
    uint64_t dp_interrupts, dpcs, polls;
    uint64_t drops[SIM_DROP_CAUSE_COUNT]; /* frames lost, by cause: the driver's own and the
                                             device's TX drops seen in completions */
};

/*
 * pf_adapter_create — probe the PF at cfg->rid through the fabric (ID register, capability
 * registers, SR-IOV capability), then register an NDIS PF miniport (NdisMRegisterMiniport-
 * Driver + the attributes of NdisMSetMiniportAttributes: SR-IOV caps SRIOV_SUPPORTED|PF_MINIPORT,
 * NIC switch caps from the device's capability registers, the ndis_pf_hw_ops backed by pcie).
 * The adapter is HALTED; bring it up with ndis_miniport_initialize() + ndis_miniport_restart().
 * Returns 0; SIM_EINVAL (bad cfg), SIM_ENODEV (no sriovsim NIC at rid), SIM_ENOMEM; reason in d.
 * On failure nothing stays allocated.
 */
int pf_adapter_create(const struct pf_config *cfg, struct pf_adapter **out, struct sim_diag *d);
/* Destroy a HALTED adapter (its NDIS miniport too). SIM_EBUSY if not halted. NULL is ok. */
int pf_adapter_destroy(struct pf_adapter *a);
/* The NDIS miniport to submit OIDs to (ndis_oid_request_submit). */
struct ndis_miniport *pf_adapter_miniport(const struct pf_adapter *a);
const struct pf_stats *pf_adapter_stats(const struct pf_adapter *a);
/*
 * pf_adapter_poll — the default VPort's data-path work loop: reap TX completions (send-complete
 * the NBLs) and receive frames (indicate them with the VPort id set), up to `budget`
 * descriptors per direction. Never blocks, never allocates. Returns descriptors processed. In
 * scenario mode the QP's MSI-X interrupt runs it as a DPC; in poll (bench) mode the data-path
 * owner calls it (the NIC is then driven by nic_poll).
 */
unsigned pf_adapter_poll(struct pf_adapter *a, unsigned budget);
/* The human reason of the last refusal by the miniport (OID or mailbox request), e.g.
 * "FREE_VF vf=2: VF still has VPort 3 attached (NDIS_STATUS_FILE_NOT_FOUND)". Never NULL. */
const struct sim_diag *pf_adapter_last_refusal(const struct pf_adapter *a);
/* Replace the VF-request policy (NULL: accept all). */
void pf_adapter_set_policy(struct pf_adapter *a, pf_policy_fn fn, void *ctx);

/* ---- administrator and PF-side controls ---------------------------------------------------- */
/* `ip link set PF vf N trust on|off`. SIM_ENOENT if the VF is not allocated. */
int pf_vf_set_trusted(struct pf_adapter *a, uint16_t vf_id, bool trusted);
/* Administrator's port VLAN for a VF (0 = none); recorded for the policy. SIM_ENOENT. */
int pf_vf_set_admin_vlan(struct pf_adapter *a, uint16_t vf_id, uint16_t vlan);
/* The MAC the device uses for a VF now (after accepted SET_MAC requests). SIM_ENOENT. */
int pf_vf_current_mac(const struct pf_adapter *a, uint16_t vf_id, uint8_t mac[6]);
/* The VLAN the VF asked for and got (0 none). SIM_ENOENT. */
int pf_vf_current_vlan(const struct pf_adapter *a, uint16_t vf_id, uint16_t *vlan);
/* Multicast addresses accepted for a VF. Returns the count (>= 0) or SIM_ENOENT. */
int pf_vf_multicast(const struct pf_adapter *a, uint16_t vf_id, uint8_t out[][6], unsigned max);

/* Config blocks (the backchannel, §8): PF_CFG_BLOCKS blocks of PF_CFG_BLOCK_SIZE bytes per VF,
 * opaque to NDIS. Block 0 holds the VF's MAC (6 bytes, kept current by the PF); block 1 the
 * VF's VPort (VPortId u32, NumQueuePairs u32, port VLAN u16); the others are free for the
 * PF/VF driver pair. */
#define PF_CFG_BLOCKS      8
#define PF_CFG_BLOCK_SIZE  256
#define PF_CFG_BLOCK_MAC   0
#define PF_CFG_BLOCK_VPORT 1
/* The PF changes a block and tells the VF: stores the bytes, calls NdisMInvalidateConfigBlock
 * (NDIS ORs the mask into the virtualization stack's cached mask, §8) and posts a coalesced
 * PF_CFG_INVALIDATE mailbox message (masks OR together while the VF holds the previous
 * message). Returns 0, SIM_ENOENT (VF not allocated), SIM_ERANGE (block / offset + len). */
int pf_vf_config_block_update(struct pf_adapter *a, uint16_t vf_id, uint32_t block_id,
                              uint32_t offset, const void *data, uint32_t len);
/* Invalidation mask waiting to be posted on the mailbox for a VF (coalesced), 0 if none. */
uint64_t pf_vf_pending_invalidation(const struct pf_adapter *a, uint16_t vf_id);

/* ---- the PF miniport as a loadable driver ----------------------------------------------------
 * What the virtualization stack and `sriovsim conform` load: the shipped PF (pf_driver_shipped)
 * and a user's PF miniport built as a shared library against the installed headers (`sriovsim
 * run --pf-driver lib.so`, `sriovsim conform --pf-driver lib.so`) go through the same table.
 * The library exports `const struct pf_driver *sriovsim_pf_driver_entry(void)` (its
 * DriverEntry). The adapter is opaque to the caller. */
#define PF_DRIVER_ABI          1u
#define PF_DRIVER_ENTRY_SYMBOL "sriovsim_pf_driver_entry"

struct pf_driver {
    uint32_t abi;     /* PF_DRIVER_ABI */
    const char *name; /* for messages ("sriovsim-pf") */
    /* MiniportAddDevice + NdisMRegisterMiniportDriver: probe the PF at cfg->rid and register an
     * NDIS PF miniport (left HALTED). 0 or SIM_E* with the reason in d. Required. */
    int (*create)(const struct pf_config *cfg, void **adapter, struct sim_diag *d);
    /* Destroy a HALTED adapter. Required. */
    int (*destroy)(void *adapter);
    /* The adapter's NDIS miniport. Required. */
    struct ndis_miniport *(*miniport)(void *adapter);
    /* Administrator controls (optional; NULL: SIM_ENOTSUP for the caller). */
    int (*vf_set_trusted)(void *adapter, uint16_t vf_id, bool trusted);
    int (*vf_current_mac)(const void *adapter, uint16_t vf_id, uint8_t mac[6]);
    /* The reason of the last refusal, for messages (optional). */
    const char *(*last_refusal)(const void *adapter);
};
typedef const struct pf_driver *(*pf_driver_entry_fn)(void);

/* The shipped PF miniport as a driver table. */
extern const struct pf_driver pf_driver_shipped;

/* Load a PF driver from a shared library (dlopen + PF_DRIVER_ENTRY_SYMBOL). The library stays
 * loaded for the life of the process. Returns 0; SIM_ENOENT (cannot open: the loader's message
 * in d), SIM_EINVAL (no entry point, or a table with another ABI or a missing handler). */
int pf_driver_load(const char *path, const struct pf_driver **out, struct sim_diag *d);

/* Answer an NDIS-handled ("N") OID from the miniport's own state, the way NDIS answers it from
 * its cache (VF_PARAMETERS, ENUM_VFS, VPORT_PARAMETERS get, ENUM_VPORTS, ENUM_SWITCHES,
 * NIC_SWITCH_PARAMETERS get, the capability OIDs). For conformance cross-checks: the PF's view
 * must equal NDIS's. Synchronous; never pends. */
ndis_status_t pf_oid_answer_local(struct pf_adapter *a, struct ndis_oid_request *req);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_MINIPORT_PF_H */
