/* SPDX-License-Identifier: MIT */
/*
 * view.h — a snapshot of the world as its modelled components report it, for inspectors
 * (`sriovsim draw`, docs). Every field is read from the component that owns it: VF presence
 * from PCIe config space, VF allocation / RID / VPort from the completed NDIS OIDs, VPorts,
 * queue pairs, filters and their counters from the NIC switch, the offer state from virtual
 * PCI, the data path and its counters from NetVSC, ports and channels from NetVSP / VMBus.
 * Nothing is taken from the script.
 *
 * Windows counterpart: what an administrator pieces together from Get-NetAdapterSriovVf,
 * Get-VMNetworkAdapter (Status, VF), Get-NetAdapterVPort / Get-NetAdapterVmqQueue and
 * per-adapter statistics.
 *
 * Lifetime: vstack_view_create allocates the snapshot; it stays valid (and unchanged) after the
 * world moves on, until vstack_view_destroy.
 */
#ifndef SRIOVSIM_VSTACK_VIEW_H
#define SRIOVSIM_VSTACK_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "vstack/vstack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSTACK_VIEW_NAME 48u

struct vstack_view_filter {
    uint16_t id;
    uint8_t mac[6];
    uint16_t vlan;
};

struct vstack_view_vport {
    uint16_t id;
    int owner_vf;        /* -1: the PF (default VPort 0, VMQ VPorts); else the VF index */
    uint16_t nqps, qps_enabled;
    uint64_t rx_packets, tx_packets, tx_to_wire;
    size_t n_filters;
    struct vstack_view_filter *filters;
};

/* The VF's state, each step read from the part that knows it. */
struct vstack_view_vf {
    char name[VSTACK_VIEW_NAME]; /* "h1.pf0.vf0" */
    uint16_t index;
    bool enabled;   /* present on the fabric (VF Enable, NumVFs > index) */
    bool allocated; /* ALLOCATE_VF completed (and no FREE_VF since) */
    uint16_t vf_id, rid;
    bool has_vport; /* the NIC has a VPort attached to this VF */
    uint16_t vport_id;
    bool offered;                     /* a virtual PCI device exists in a guest */
    char vpci_state[16];              /* "offering", "present", "ejecting", "removed" or "" */
    bool bound;                       /* the VF miniport runs in the guest */
    char vm[VSTACK_VIEW_NAME];        /* the guest the VF is offered to, or "" */
    uint64_t tx_posted, rx_indicated; /* VF miniport counters */
};

struct vstack_view_pf {
    char name[VSTACK_VIEW_NAME];
    char host[VSTACK_VIEW_NAME];
    uint16_t rid;
    uint8_t mac[6];
    bool link_up;
    uint16_t total_vfs, num_vfs; /* from the SR-IOV capability */
    unsigned segment;            /* the wire it is on */
    uint64_t wire_rx, wire_tx;   /* physical port counters */
    size_t n_vports;
    struct vstack_view_vport *vports;
    size_t n_vfs; /* every VF slot (total_vfs) */
    struct vstack_view_vf *vfs;
};

struct vstack_view_port {
    uint32_t number;
    char vm[VSTACK_VIEW_NAME];
    uint8_t mac[6];
    bool ready;         /* NVSP INIT done */
    bool on_vf;         /* NetVSP: the guest last switched the data path to the VF */
    bool channel_open;  /* the VMBus channel */
    uint64_t from_vm, to_vm;
};

struct vstack_view_switch {
    char name[VSTACK_VIEW_NAME];
    char host[VSTACK_VIEW_NAME];
    char uplink[VSTACK_VIEW_NAME]; /* PF name or "" */
    bool iov;
    uint64_t to_wire, from_wire;
    size_t n_ports;
    struct vstack_view_port *ports;
};

struct vstack_view_vm {
    char name[VSTACK_VIEW_NAME];
    char host[VSTACK_VIEW_NAME];
    char sw[VSTACK_VIEW_NAME];
    uint8_t mac[6];
    char state[16];    /* running, migrating, off */
    char dp_state[24]; /* NetVSC's data-path state (netvsc_dp_state_name) */
    bool on_vf;        /* NetVSC sends on the VF (switch completed) */
    char vf[VSTACK_VIEW_NAME]; /* the VF bound in the guest, or "" */
    uint64_t tx_synthetic, tx_vf, rx_synthetic, rx_vf;
};

struct vstack_view_peer {
    char name[VSTACK_VIEW_NAME];
    uint8_t mac[6];
    unsigned segment;
};

struct vstack_view {
    sim_time_t now;
    size_t n_hosts;
    char (*hosts)[VSTACK_VIEW_NAME];
    size_t n_pfs;
    struct vstack_view_pf *pfs;
    size_t n_switches;
    struct vstack_view_switch *switches;
    size_t n_vms;
    struct vstack_view_vm *vms;
    size_t n_peers;
    struct vstack_view_peer *peers;
};

/* Take a snapshot of w now. Returns 0, SIM_EINVAL, SIM_ENOMEM (reason in d). */
int vstack_view_create(const struct vstack_world *w, struct vstack_view **out, struct sim_diag *d);
void vstack_view_destroy(struct vstack_view *v);

/* =============================================================================================
 * The live trace: one line per thing a component saw, delivered as it happens (`sriovsim run
 * --trace=oid,pci,...`, --json-stream, `run --draw-on-event`). Sources, each the component
 * that saw it: the NDIS dispatcher (every OID request, completion and status indication, with
 * its payload decoded), the PCIe fabric of each host (VFs enabled / disabled, functions added /
 * removed, FLR done, IOMMU faults), the virtualization stack's event log (data path switched,
 * VPCI offer / eject, NVSP VF association, mailbox answers, ...), and the flows (start, stop
 * with their figures).
 * =========================================================================================== */
#define VSTACK_TRACE_KIND_MAP(X)                                                                   \
    X(OID, "oid")           /* NDIS OID requests, completions, status indications */              \
    X(PCI, "pci")           /* PCIe fabric: VF enable, hot add / removal, FLR, IOMMU faults */    \
    X(MAILBOX, "mailbox")   /* PF<->VF mailbox answers (MAC / VLAN change) */                     \
    X(NVSP, "nvsp")         /* NVSP messages seen by the host (VF association) */                 \
    X(VPCI, "vpci")         /* virtual PCI: VF offered, added, ejected, revoked */                \
    X(DATAPATH, "datapath") /* data path switched (NetVSC, completed SWITCH_DATA_PATH) */         \
    X(FLOW, "flow")         /* flows started / stopped, with their figures */                     \
    X(EVENT, "event")       /* every other event of the log (migration, servicing, ...) */

enum vstack_trace_kind {
#define VSTACK_TRACE_KIND_ENUM(id, word) VSTACK_TRACE_##id,
    VSTACK_TRACE_KIND_MAP(VSTACK_TRACE_KIND_ENUM)
#undef VSTACK_TRACE_KIND_ENUM
        VSTACK_TRACE_KIND_COUNT
};
const char *vstack_trace_kind_name(enum vstack_trace_kind k);
/* SIM_EINVAL if unknown. */
int vstack_trace_kind_parse(const char *name, enum vstack_trace_kind *out);

struct vstack_trace_line {
    uint64_t seq; /* 0, 1, 2, ... in delivery order */
    sim_time_t time;
    enum vstack_trace_kind kind;
    unsigned cause_line;  /* the script line of the last action before it (0: none) */
    char requester[64];   /* who acted: "netvsp", "h1.pf0", "vm1", "h1 fabric" */
    char target[64];      /* to whom: "h1.pf0", "vm1", "-" */
    char what[64];        /* OID / message / event name: "OID_NIC_SWITCH_ALLOCATE_VF" */
    char status[48];      /* "NDIS_STATUS_SUCCESS", "pending", "" */
    char detail[192];     /* decoded payload: "vf=0 rid=0x0180", "to=vf", "needed=56" */
    const struct vstack_event *event; /* the event-log record, when it came from there */
};
typedef void (*vstack_trace_fn)(void *ctx, const struct vstack_trace_line *l);

/* Deliver every trace line to fn from now on (fn NULL: stop). Lines are delivered in the
 * order they happen; an event of the log is delivered once it is complete (before the next
 * line, or when the clock call that produced it returns). */
void vstack_world_set_tracer(struct vstack_world *w, vstack_trace_fn fn, void *ctx);
/* The script line whose action runs now (the interpreter calls it before each action). */
void vstack_trace_cause(struct vstack_world *w, unsigned line);
/* Deliver the events logged so far that were not delivered yet. */
void vstack_trace_flush(struct vstack_world *w);

/* The comment in the section header of the captures this world writes from now on, e.g.
 * "scenario=scenarios/failover.scn seed=1 sriovsim=0.1.0" (copied, truncated to 255 bytes;
 * NULL: none). Wireshark shows it under Statistics > Capture File Properties. */
void vstack_world_set_capture_comment(struct vstack_world *w, const char *text);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_VSTACK_VIEW_H */
