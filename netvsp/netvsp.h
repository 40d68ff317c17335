/* SPDX-License-Identifier: MIT */
/*
 * netvsp.h — the host's extensible switch and its NetVSP: one switch port per VM network adapter
 * (each the server side of that VM's VMBus network channel), the external port on the PF's
 * default VPort, port policies, forwarding between VMs and to the wire.
 *
 * Windows / Hyper-V counterpart: vmswitch.sys in the root partition — the Hyper-V extensible
 * switch together with NetVSP, the VMBus service provider of the synthetic NIC. On the synthetic
 * path every frame costs two copies here: NetVSP copies it out of the guest's send-buffer section
 * into its own NBL before switching (and completes the VMBus message so the guest gets its
 * section back), and copies it into the destination VM's receive-buffer section on delivery.
 *
 * Objects:
 *   - struct netvsp_switch: the switch. Owns its ports, an NBL pool (its own copies of frames),
 *     the external port's uplink (struct netvsp_uplink_ops: today an in-test wire, later the
 *     NDIS protocol edge bound to the PF miniport's default VPort).
 *   - struct netvsp_port: a VM port: offers the "netvsc" VMBus channel to the VM and serves it
 *     (NVSP INIT, SEND_RNDIS_PKT both ways, SEND_VF_ASSOCIATION, SWITCH_DATA_PATH), holds the
 *     port's MAC, VLAN and policies.
 *
 * Forwarding (allocation-free): a frame from a port is checked against the source port's
 * policies (MTU, VLAN, anti-spoof), then: broadcast / multicast -> every other port on the same
 * VLAN (and the external port); unicast -> the VM port owning the destination MAC, else the
 * external port (unknown unicast goes to the wire); from the wire, an unknown unicast is
 * dropped (no-route). Every drop is reported to the drop sink with its cause.
 *
 * Hardware-assisted synthetic path (VMQ / non-default VPorts, ndis_sriov.md): a VM port may be
 * given the id of a PF non-default VPort carrying that VM's filters
 * (netvsp_port_set_vmq); frames the uplink indicates with that VPort id go straight to the port,
 * skipping the MAC lookup (counted as vmq_hits). Creating the VPort (OIDs to the PF miniport) is
 * the virtualization stack's job.
 *
 * Threading: the control plane (create/destroy, policies, association, set_vmq) runs on the
 * scheduler's loop thread. The data path — netvsp_switch_poll, netvsp_switch_uplink_receive,
 * VMBus receive — belongs to one "host" thread (the loop thread in scenario mode; a bench
 * thread in bench mode, with the channels in HV_VMBUS_SIGNAL_POLL). Capture taps happen only
 * when a capture session records the point (capture is loop-thread only).
 */
#ifndef SRIOVSIM_NETVSP_H
#define SRIOVSIM_NETVSP_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"
#include "ndis_shim/ndis_shim.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cap_registry;
struct netvsp_switch;
struct netvsp_port;

/* Sizes and defaults. */
#define NETVSP_PORTS_MAX        1024u /* VM ports per switch */
#define NETVSP_ALLOWED_MACS_MAX 4u    /* extra MACs a port may use (MAC allowed list) */
#define NETVSP_MTU_DEFAULT      1514u /* frame bytes without FCS and without 802.1Q tag */
#define NETVSP_FRAME_MAX        9216u /* largest frame the switch copies (jumbo) */
#define NETVSP_NBLS_DEFAULT     64u   /* NBLs of the switch's own copies */
#define NETVSP_NAME_MAX         32u
#define NETVSP_POLL_BUDGET      64u /* messages per port per poll in scenario mode */

/* Where the switch's external port meets the physical NIC (the PF's default VPort). */
struct netvsp_uplink_ops {
    /* Send one frame to the wire (through the PF's default VPort). The frame is valid only
     * during the call. Return 0 (taken: delivered or the drop is reported by the uplink), or a
     * refusal the switch reports as a drop: SIM_ENOSPC (ring-full), SIM_EAGAIN
     * (pool-exhausted), SIM_ESTATE (paused), SIM_ENODEV (surprise-removal), anything else
     * (link-down). Host thread. */
    int (*send)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id);
};

struct netvsp_switch_config {
    const char *name;         /* "h1.sw"; capture points are "<name>.portN", "<name>.ext" */
    struct sim_sched *sched;  /* required */
    struct cap_registry *cap; /* may be NULL: no capture points */
    const struct sim_drop_sink *drops;      /* may be NULL; copied */
    const struct netvsp_uplink_ops *uplink; /* may be NULL: no external port; copied */
    void *uplink_ctx;
    uint32_t nbls; /* own-copy NBLs (0: NETVSP_NBLS_DEFAULT) */
    /* Scenario-mode cost of the software switch: the host CPU that runs it handles one frame
     * at a time and is busy cost_per_frame_ns + len * cost_per_byte_ps / 1000 after each
     * (frames queue in the VMBus rings meanwhile). 0 and 0: free (only VMBus latencies). Bench
     * mode (POLL channels, netvsp_switch_poll) ignores it: real threads pay real costs. No
     * published figure: choose per scenario (INFERRED). */
    sim_time_t cost_per_frame_ns;
    uint32_t cost_per_byte_ps;
};

struct netvsp_switch_stats {
    uint64_t frames_in;       /* frames entering the switch (from VMs and the wire) */
    uint64_t copies;          /* host copies (out of a send section, into a receive section) */
    uint64_t bytes_copied;    /* bytes of those copies */
    uint64_t lookups;         /* destination MAC lookups */
    uint64_t vmq_hits;        /* frames delivered by VPort id, without a lookup */
    uint64_t flooded;         /* broadcast / multicast frames flooded */
    uint64_t unknown_unicast; /* unicast without a VM owner, sent to the wire */
    uint64_t to_wire, from_wire;
    uint64_t uplink_copies; /* frames staged into an NBL for the bound NIC miniport */
    uint64_t uplink_failed; /* sends the NIC miniport completed with an error (it reported
                               the drop; the switch only counts it) */
    sim_time_t busy_ns;     /* scenario-mode CPU time charged by the cost model */
    uint64_t deferred;      /* times VM frames waited for the busy switch CPU */
    uint64_t dropped[SIM_DROP_CAUSE_COUNT];
    uint64_t dropped_total;
};

/* Create a switch. Returns 0, SIM_EINVAL (reason in d), SIM_ENOMEM. Loop thread. */
int netvsp_switch_create(const struct netvsp_switch_config *cfg, struct netvsp_switch **out,
                         struct sim_diag *d);
/* Destroy the switch and its ports (their channels are destroyed; frames still in them are
 * reported by hv). NULL ok. Loop thread. */
void netvsp_switch_destroy(struct netvsp_switch *sw);
const char *netvsp_switch_name(const struct netvsp_switch *sw);
void netvsp_switch_stats(const struct netvsp_switch *sw, struct netvsp_switch_stats *out);

/* Host data path: poll every VM port's VMBus endpoint (up to budget messages each, and while
 * bound to a NIC no more than the external port has free NBLs: back-pressure into the VMBus
 * rings rather than pool-exhausted drops) and retry completions that found the ring full.
 * Returns work done. Host thread. */
unsigned netvsp_switch_poll(struct netvsp_switch *sw, unsigned budget);
/*
 * netvsp_switch_uplink_receive — a frame arrives from the wire on the external port (the PF
 * indicated it on its default VPort, vport_id 0, or on a non-default VPort the switch uses for
 * VMQ). The switch copies it into its own NBL and forwards it. Returns 0 (forwarded or dropped
 * with a report), SIM_EINVAL (NULL / len 0). Host thread.
 */
int netvsp_switch_uplink_receive(struct netvsp_switch *sw, const uint8_t *frame, uint32_t len,
                                 uint64_t packet_id, uint32_t vport_id);

/*
 * netvsp_switch_bind_nic — bind the external port to a NIC miniport through NDIS (NetVSP's
 * protocol edge "netvsp" on the PF, or on a plain NIC for a host without SR-IOV): from then on
 * frames to the wire are NBLs sent on the binding (default VPort, vport_id 0) and the
 * miniport's receive indications enter the switch with their NBL's VPort id. Replaces the
 * config's uplink ops until unbound. Returns 0, SIM_EBUSY (already bound), or what ndis_bind
 * returns (reason in d). Loop thread (ndis_shim is loop-thread only: scenario mode).
 */
int netvsp_switch_bind_nic(struct netvsp_switch *sw, struct ndis_miniport *mp, struct sim_diag *d);
/* Unbind (NBLs still at the miniport: SIM_EBUSY, retry after their send-complete). SIM_ENOENT
 * if not bound. The config's uplink ops apply again. */
int netvsp_switch_unbind_nic(struct netvsp_switch *sw, struct sim_diag *d);
/* The binding, or NULL. */
struct ndis_binding *netvsp_switch_nic_binding(const struct netvsp_switch *sw);

/*
 * netvsp_frame_is_synthetic_only — Hyper-V's rule for a VM on the VF: inbound broadcast,
 * multicast and TCP SYN (without ACK) still arrive on the synthetic path (the NIC switch gives
 * them to the default VPort, NetVSP delivers them). The uplink side (NIC switch model, vstack)
 * uses this to decide which frames for a VF-backed VM go to the default VPort. Any thread.
 */
bool netvsp_frame_is_synthetic_only(const uint8_t *frame, uint32_t len);

/* ---------------------------------------------------------------------------------------------
 * Ports and policies.
 * ------------------------------------------------------------------------------------------- */
struct netvsp_port_policy {
    bool anti_spoof;       /* source MAC must be the port's (or allowed list); default true */
    bool allow_mac_change; /* the VM may change its MAC to any value; default false */
    uint8_t allowed_macs[NETVSP_ALLOWED_MACS_MAX][6]; /* extra MACs accepted as source / new MAC */
    uint32_t allowed_mac_count;
    uint16_t vlan_id; /* access VLAN (0: untagged) */
    uint32_t mtu;     /* 0: NETVSP_MTU_DEFAULT */
    bool vf_allowed;  /* SR-IOV allowed for this VM adapter; default true */
    /* Optional veto consulted by netvsp_port_vf_allowed() before ALLOCATE_VF (an extension
     * refusing offload): return false and a reason in d to refuse. */
    bool (*vf_veto)(void *ctx, struct netvsp_port *port, struct sim_diag *d);
    void *vf_veto_ctx;
    /* Time the host takes to complete SWITCH_DATA_PATH when no datapath_switch hook pends it
     * (0: at once). */
    sim_time_t switch_completion_delay_ns;
};
void netvsp_port_policy_init(struct netvsp_port_policy *p);

/* Host-side notifications about a port (loop/host thread). */
struct netvsp_port_ops {
    /* The guest asked to switch its data path (NVSP_DATAPATH_*). Return 0 to let the switch
     * complete it (after switch_completion_delay_ns), SIM_EPENDING to complete it later with
     * netvsp_port_datapath_complete() (e.g. after MOVE_FILTER), or another negative code to
     * fail it (completion status NVSP_STATUS_FAIL). */
    int (*datapath_switch)(void *ctx, struct netvsp_port *port, uint32_t datapath);
    /* The guest opened / closed the channel (ready = NVSP INIT done). */
    void (*link)(void *ctx, struct netvsp_port *port, bool ready);
};

struct netvsp_port_config {
    struct hv_partition *host;  /* the root partition */
    struct hv_partition *guest; /* the VM */
    uint32_t instance;          /* VMBus channel instance */
    enum hv_vmbus_signal_mode signal;
    uint8_t mac[6];                          /* the VM network adapter's MAC */
    const struct netvsp_port_policy *policy; /* NULL: defaults */
    const struct netvsp_port_ops *ops;       /* may be NULL; copied */
    void *ops_ctx;
};

struct netvsp_port_stats {
    uint64_t rx_frames, rx_bytes; /* from the VM (SEND_RNDIS_PKT) */
    uint64_t tx_frames, tx_bytes; /* to the VM */
    uint64_t dropped[SIM_DROP_CAUSE_COUNT];
    uint64_t switch_requests, switch_completed, switch_failed;
    uint64_t vf_associations_sent;
    uint64_t protocol_errors;    /* unknown / malformed messages from the guest */
    uint64_t completion_retries; /* completions that waited for ring space */
};

/*
 * netvsp_port_create — add a VM port: offers the "netvsc" channel (cfg->instance) to the guest
 * and serves it once opened. Port number = lowest free. Returns 0, SIM_EINVAL (reason in d),
 * SIM_ENOSPC (NETVSP_PORTS_MAX), SIM_EEXIST (MAC already on a port), SIM_ENOMEM. Loop thread.
 */
int netvsp_port_create(struct netvsp_switch *sw, const struct netvsp_port_config *cfg,
                       struct netvsp_port **out, struct sim_diag *d);
/* Remove the port and destroy its channel. NULL ok. Loop thread. */
void netvsp_port_destroy(struct netvsp_port *port);
uint32_t netvsp_port_number(const struct netvsp_port *port);
struct hv_vmbus_channel *netvsp_port_channel(const struct netvsp_port *port);
void netvsp_port_stats(const struct netvsp_port *port, struct netvsp_port_stats *out);
/* The guest finished NVSP INIT on an open channel. */
bool netvsp_port_is_ready(const struct netvsp_port *port);
/* The data path the guest last switched to (completed): NVSP_DATAPATH_*. */
uint32_t netvsp_port_datapath(const struct netvsp_port *port);

/* Replace the policy (copied). SIM_EINVAL for a bad one (reason in d). */
int netvsp_port_set_policy(struct netvsp_port *port, const struct netvsp_port_policy *policy,
                           struct sim_diag *d);
/* A MAC change requested for the VM adapter: allowed if allow_mac_change or the MAC is in the
 * allowed list; SIM_EPERM otherwise, SIM_EEXIST if another port has it. */
int netvsp_port_set_mac(struct netvsp_port *port, const uint8_t mac[6], struct sim_diag *d);
void netvsp_port_mac(const struct netvsp_port *port, uint8_t mac[6]);
/* "VF allowed": the virtualization stack asks before ALLOCATE_VF. False (reason in d) if the
 * policy disallows SR-IOV or the veto refuses. */
bool netvsp_port_vf_allowed(struct netvsp_port *port, struct sim_diag *d);
/*
 * netvsp_port_vf_associate — tell the guest which VF to team with (NVSP_MSG4_TYPE_SEND_VF_-
 * ASSOCIATION {allocated, serial}); allocated false withdraws it. Sent now if the guest is
 * ready, else remembered and sent after INIT. Returns 0, SIM_EAGAIN (ring full: retry).
 */
int netvsp_port_vf_associate(struct netvsp_port *port, bool allocated, uint32_t serial);
/* Complete a SWITCH_DATA_PATH the datapath_switch hook pended (status NVSP_STATUS_*).
 * SIM_ESTATE if none is pending. */
int netvsp_port_datapath_complete(struct netvsp_port *port, int32_t status);
/* VMQ: frames the uplink indicates with this VPort id go to this port without a lookup
 * (0: off). SIM_EEXIST if another port uses the id. */
int netvsp_port_set_vmq(struct netvsp_port *port, uint32_t vport_id);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_NETVSP_H */
