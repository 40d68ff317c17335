/* SPDX-License-Identifier: MIT */
/*
 * vstack.h — the virtualization stack: a simulated world of Hyper-V hosts (each with its SR-IOV
 * NIC, PF miniport and extensible switch), VMs (guest partition + NetVSC), external peers, VF
 * assignment policy, the VF failover sequence, host servicing, live migration, PF teardown and
 * the cost model. This is the API the scenario runner (`sriovsim run`, script/ + tools/) calls
 * for every `.scn` statement, and the API tests use to build topologies.
 *
 * Windows / Hyper-V counterpart: the parts of the Hyper-V virtualization stack in the root
 * partition (VMMS / VMWP and vmswitch's SR-IOV orchestration) that decide which VM gets a VF,
 * issue the NIC-switch OIDs to the PF miniport (ALLOCATE_VF, CREATE_VPORT, MOVE_FILTER, ...),
 * offer / revoke the VF to the guest over virtual PCI, and run live migration and servicing.
 * Sources for every sequence: shared/reference/ndis_sriov.md section 7, peers.md 1 and 7.
 *
 * Objects are addressed by the scenario's names (strings), never by pointers:
 *   host "h1", PF "h1.pf0", VF "h1.pf0.vf3", switch "h1.sw0", VM "vm1", peer "ext1", flow "f1".
 * All names share one namespace. Lookups are exact and case-sensitive.
 *
 * Errors: every action returns 0 or a negative SIM_E* code and, on failure, fills the
 * struct sim_diag (may be NULL) with a human reason naming the object and the rule, e.g.
 *   "attach-vf vm1: h1.pf0.vf0 is already assigned to vm2"
 *   "attach-vf vm1: OID_NIC_SWITCH_ALLOCATE_VF vetoed by the switch policy of h1.sw0 port 1".
 * Asynchronous sequences (attach, detach, migrate, servicing) return 0 when started; their
 * progress is on the virtual clock and visible through the event log and the queries.
 *
 * Threading: everything belongs to the world's scheduler loop thread (scenario mode: one
 * thread, virtual clock). Nothing here may be called from inside a callback of another module
 * except where stated.
 */
#ifndef SRIOVSIM_VSTACK_H
#define SRIOVSIM_VSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

struct ndis_trace;

#ifdef __cplusplus
extern "C" {
#endif

struct vstack_world;
struct traffic_registry;
struct traffic_flow_stats;
struct cap_registry;
struct pcie_fabric;
struct pf_driver;

#define VSTACK_NAME_MAX 48u /* longest object name incl. NUL ("h1.pf0.vf255" fits easily) */

/* =============================================================================================
 * The world.
 * =========================================================================================== */
struct vstack_world_config {
    uint64_t seed; /* the run's seed (PRNG streams, TCP initial sequence numbers) */
    /* Capture: a registry is always created (packet ids are run-wide); a file is written only
     * between vstack_capture_start / _stop. default_capture_file is used when a capture
     * start names no file (the CLI's --capture FILE); may be NULL. Copied. */
    const char *default_capture_file;
    size_t trace_capacity; /* NDIS trace records kept (ring); 0: 65536 */
    size_t event_capacity; /* event-log records kept; 0: unlimited (grows) */
    /* If non-NULL, vstack_world_destroy prints the NDIS trace records of the teardown (the PF
     * teardown order, ndis_sriov.md 7.7) there before freeing the trace. */
    FILE *teardown_trace;
    /* The PF miniport driver every `pf` loads (miniport_pf.h struct pf_driver; NULL: the
     * shipped one, pf_driver_shipped). `sriovsim run --pf-driver lib.so` sets it. */
    const struct pf_driver *pf_driver;
};
void vstack_world_config_init(struct vstack_world_config *c);

/* Create an empty world with its virtual scheduler, fabric, capture and traffic registries,
 * NDIS trace and event log. Returns 0, SIM_EINVAL, SIM_ENOMEM (reason in d). */
int vstack_world_create(const struct vstack_world_config *cfg, struct vstack_world **out,
                        struct sim_diag *d);
/* Tear everything down in the documented order (flows, VMs — VFs detached by surprise —,
 * peers, switches, PFs in PF teardown order, hosts) and free it; afterwards no allocation is
 * live. NULL ok. */
void vstack_world_destroy(struct vstack_world *w);

struct sim_sched *vstack_world_sched(const struct vstack_world *w);
/* The NDIS trace every miniport of the world records into (for observers such as the rule
 * verifier: ndis_trace_observe). Valid until vstack_world_destroy, which tells its observers. */
struct ndis_trace *vstack_world_trace(const struct vstack_world *w);
/* The PCIe fabric of host `host` (NULL: the first host defined); NULL if there is no such host.
 * For tools that inspect config space (sriovsim config SCRIPT --at T). */
struct pcie_fabric *vstack_host_fabric(const struct vstack_world *w, const char *host);
sim_time_t vstack_world_now(const struct vstack_world *w);
uint64_t vstack_world_seed(const struct vstack_world *w);
struct traffic_registry *vstack_world_traffic(const struct vstack_world *w);
struct cap_registry *vstack_world_capture(const struct vstack_world *w);
/* The drop sink every layer of this world reports to (the traffic registry's, plus the
 * world's own per-cause counters). */
const struct sim_drop_sink *vstack_world_drop_sink(const struct vstack_world *w);

/* Run the virtual clock to absolute time t (t < now: SIM_EINVAL). Returns 0 or a SIM_E* the
 * scheduler returned. */
int vstack_run_until(struct vstack_world *w, sim_time_t t, struct sim_diag *d);
/* Run at most one event; returns 1 if one ran, 0 if none is pending. */
int vstack_step(struct vstack_world *w);
/* Time of the next pending event, SIM_TIME_NEVER if none. */
sim_time_t vstack_next_event_time(const struct vstack_world *w);

/* =============================================================================================
 * Topology (`host`, `pf`, `sriov`, `vswitch`, `vm`, `peer`, `link`).
 * =========================================================================================== */
/* `host NAME`: a Hyper-V host: a root partition. SIM_EEXIST if the name is taken. */
int vstack_host_add(struct vstack_world *w, const char *name, struct sim_diag *d);

struct vstack_pf_config {
    uint16_t total_vfs;    /* 1..256; default 8 */
    uint16_t vf_offset;    /* First VF Offset; default 0x80 */
    uint16_t vf_stride;    /* VF Stride; default 2 */
    uint16_t vendor_id;    /* default 0x8086 */
    uint16_t device_id;    /* PF device id; default 0x10fb */
    uint16_t vf_device_id; /* default 0x10ed */
    bool has_bdf;          /* false: the next free bus, device 0, function 0 */
    uint16_t domain;
    uint8_t bus, dev, fn;
    bool has_mac; /* false: derived from the name */
    uint8_t mac[6];
    uint64_t rate_bps; /* 0: cost "link_rate" */
    const struct pf_driver *driver; /* NULL: the world's (vstack_world_config.pf_driver) */
};
void vstack_pf_config_init(struct vstack_pf_config *c);
/* `pf HOST.NAME`: the NIC on the host's fabric and the PF miniport, initialized and running,
 * NIC switch created (CREATE_SWITCH, default VPort 0). Returns 0, SIM_EINVAL (bad name / config),
 * SIM_ENOENT (no such host), SIM_EEXIST (name or BDF taken), SIM_ENOMEM. */
int vstack_pf_add(struct vstack_world *w, const char *path, const struct vstack_pf_config *cfg,
                  struct sim_diag *d);
/* `sriov PF num_vfs=N`: set NumVFs + VF Enable (0 disables; VFs that are assigned must be
 * detached first: SIM_EBUSY). SIM_ERANGE above total_vfs. */
int vstack_sriov_set(struct vstack_world *w, const char *pf, unsigned num_vfs, struct sim_diag *d);

struct vstack_switch_config {
    const char *uplink; /* PF path on the same host; NULL: internal switch (no wire) */
    bool iov;           /* SR-IOV enabled on the switch; default true */
};
void vstack_switch_config_init(struct vstack_switch_config *c);
/* `vswitch HOST.NAME`: the extensible switch (NetVSP), its external port bound to the PF. */
int vstack_switch_add(struct vstack_world *w, const char *path,
                      const struct vstack_switch_config *cfg, struct sim_diag *d);

struct vstack_vm_config {
    const char *host; /* required */
    const char *sw;   /* required: a switch of that host */
    bool has_mac;     /* false: derived from the name */
    uint8_t mac[6];
    uint32_t ipv4;        /* host order; 0: derived (10.0.0.N) */
    const char *vf;       /* VF path, "auto", or NULL / "none" (stay synthetic) */
    int priority;         /* VF assignment priority (higher first); default 0 */
    bool legacy_early_vf; /* NetVSC as before Linux's 2022 fix: a VF bound before the host's
                             association is never used (netvsc.h); default false */
    /* VMQ: a PF non-default VPort for this VM (CREATE_VPORT attached to the PF) holds its MAC
     * filter while it has no VF, so the NIC switch sorts its frames into their own queue and
     * NetVSP delivers them by VPort id, without a MAC lookup. Default false. */
    bool vmq;
};
void vstack_vm_config_init(struct vstack_vm_config *c);
/* `vm NAME`: guest partition, switch port (VMBus channel offered), NetVSC loaded, traffic
 * endpoint. Starts on synthetic; with vf= the attach sequence starts at once (auto: queued by
 * the assignment policy if no VF is free). */
int vstack_vm_add(struct vstack_world *w, const char *name, const struct vstack_vm_config *cfg,
                  struct sim_diag *d);

struct vstack_peer_config {
    const char *sw; /* required: the switch whose uplink wire it sits on */
    bool has_mac;
    uint8_t mac[6];
    uint32_t ipv4; /* 0: derived */
};
void vstack_peer_config_init(struct vstack_peer_config *c);
/* `peer NAME`: an external endpoint on the physical wire behind the switch's PF. */
int vstack_peer_add(struct vstack_world *w, const char *name, const struct vstack_peer_config *cfg,
                    struct sim_diag *d);

/* `link SW SW`: join the wires of two switches' uplinks (latency < 0: cost "link_latency";
 * rate 0: the slower port). */
int vstack_link_add(struct vstack_world *w, const char *sw_a, const char *sw_b, sim_time_t latency,
                    uint64_t rate_bps, struct sim_diag *d);

/* =============================================================================================
 * VF control and policy.
 * =========================================================================================== */
/* `attach-vf VM [vf=VF|auto]`: start the bring-up sequence: ALLOCATE_VF -> CREATE_VPORT ->
 * MOVE_FILTER (default VPort -> VF VPort) -> VPCI offer after cost "vf_offer_delay" -> VF
 * miniport init -> NetVSC binds -> SWITCH_DATA_PATH(VF) completes (event datapath-switched).
 * vf NULL or "auto": the assignment policy picks a free VF; if none is free the VM is queued
 * (returns 0; it gets the next VF freed, by priority then arrival). Returns 0 (started or
 * queued), SIM_ENOENT, SIM_EBUSY (the named VF is assigned; the VM has a VF already),
 * SIM_ESTATE (VF not enabled, switch without iov, VM migrating), SIM_EPERM (policy veto). */
int vstack_vf_attach(struct vstack_world *w, const char *vm, const char *vf, struct sim_diag *d);

enum vstack_detach_mode {
    VSTACK_DETACH_GRACEFUL = 0, /* VPCI eject request; surprise after cost
                                   "graceful_removal_timeout" */
    VSTACK_DETACH_SURPRISE = 1, /* the VF vanishes; in-flight frames dropped with a cause */
};
/* `detach-vf VM mode=...`: the failover sequence: eject -> NetVSC back on synthetic ->
 * MOVE_FILTER back (atomic) -> DELETE_VPORT -> RESET_VF -> FREE_VF; then the freed VF goes to
 * the first waiting VM. SIM_ESTATE if the VM has no VF (a queued request is cancelled
 * instead, returning 0). */
int vstack_vf_detach(struct vstack_world *w, const char *vm, enum vstack_detach_mode mode,
                     struct sim_diag *d);

enum vstack_mailbox_policy {
    VSTACK_MBX_UNSET = 0,        /* leave as is */
    VSTACK_MBX_APPLY = 1,        /* accept and apply */
    VSTACK_MBX_REFUSE = 2,       /* explicit NACK (Intel style) */
    VSTACK_MBX_REFUSE_SILENT = 3 /* ACK without applying (vSphere style) */
};
enum vstack_tristate { VSTACK_UNSET = 0, VSTACK_FALSE = 1, VSTACK_TRUE = 2 };
struct vstack_policy {
    enum vstack_tristate allocate_vf; /* FALSE: the switch vetoes ALLOCATE_VF */
    enum vstack_mailbox_policy mac_change;
    enum vstack_mailbox_policy vlan_change;
    enum vstack_tristate trusted;
    enum vstack_tristate spoof_check;
};
/* `policy TARGET ...`: target is a switch (all its ports, and ports created later) or a VM. */
int vstack_policy_set(struct vstack_world *w, const char *target, const struct vstack_policy *p,
                      struct sim_diag *d);

/* The guest asks its VF for a MAC change over the PF<->VF mailbox (what setting the VF
 * adapter's "Network Address" does): the PF answers through the port policy (`mac-change=`) or
 * an injected `fault mailbox-refuse`. Asynchronous: the outcome is logged as an event
 * `mac-change` (subject the VM; fields `mac`, `status` = the NDIS status name the guest saw,
 * `applied` = whether the device now uses the MAC). SIM_ESTATE if the VM has no running VF
 * miniport; SIM_EINVAL for a multicast or zero MAC. */
int vstack_vf_request_mac(struct vstack_world *w, const char *vm, const uint8_t mac[6],
                          struct sim_diag *d);

/* =============================================================================================
 * Faults.
 * =========================================================================================== */
/* The VF (or PF) disappears from the fabric: NetVSC falls back, drops reported as
 * surprise-removal, then the host cleans up (MOVE_FILTER back, DELETE_VPORT, RESET_VF after
 * hot-add, FREE_VF). */
int vstack_fault_surprise_remove(struct vstack_world *w, const char *fn, struct sim_diag *d);
/* The VF's next `count` FLRs take `delay` (SIM_TIME_NEVER: never complete). */
int vstack_fault_flr_timeout(struct vstack_world *w, const char *vf, sim_time_t delay,
                             unsigned count, struct sim_diag *d);
/* A rogue DMA by the function (has_addr false: an unmapped address), `count` times; the IOMMU
 * blocks it (event iommu-fault). */
int vstack_fault_iommu(struct vstack_world *w, const char *fn, bool has_addr, uint64_t addr,
                       bool write, unsigned count, struct sim_diag *d);
/* Physical link of the PF down / up. */
int vstack_fault_link(struct vstack_world *w, const char *pf, bool up, struct sim_diag *d);
/* The next `count` requests of `oid` (name, "OID_...") on adapter `on` (PF / VF / VM path;
 * NULL: every PF), after letting `after` succeed, complete with `status` ("NDIS_STATUS_...").
 * SIM_EINVAL for unknown names. */
int vstack_fault_oid(struct vstack_world *w, const char *oid, const char *status, const char *on,
                     unsigned count, unsigned after, struct sim_diag *d);
enum vstack_mbx_request {
    VSTACK_MBX_ANY = 0,
    VSTACK_MBX_MAC,
    VSTACK_MBX_VLAN,
    VSTACK_MBX_MULTICAST,
    VSTACK_MBX_PROMISCUOUS
};
int vstack_fault_mailbox_refuse(struct vstack_world *w, const char *vf, enum vstack_mbx_request req,
                                bool silent, unsigned count, struct sim_diag *d);
/* Remove pending faults on target (NULL: all). */
int vstack_fault_clear(struct vstack_world *w, const char *target, struct sim_diag *d);

/* =============================================================================================
 * Traffic.
 * =========================================================================================== */
enum vstack_proto { VSTACK_PROTO_UDP = 0, VSTACK_PROTO_TCP = 1 };
struct vstack_flow_config {
    const char *from; /* VM or peer */
    const char *to;   /* VM or peer */
    enum vstack_proto proto;
    uint64_t rate_bps; /* default 1 Gb/s */
    uint32_t size;     /* payload bytes per packet; default 1448 */
    uint64_t count;    /* 0: until stopped */
};
void vstack_flow_config_init(struct vstack_flow_config *c);
int vstack_flow_start(struct vstack_world *w, const char *name,
                      const struct vstack_flow_config *cfg, struct sim_diag *d);
int vstack_flow_stop(struct vstack_world *w, const char *name, struct sim_diag *d);
/* Figures of a flow (traffic/traffic.h). */
int vstack_flow_stats(const struct vstack_world *w, const char *name,
                      struct traffic_flow_stats *out, struct sim_diag *d);
/* The run's flows, in the order they were started (i < vstack_flow_count; NULL past the end). */
size_t vstack_flow_count(const struct vstack_world *w);
const char *vstack_flow_name(const struct vstack_world *w, size_t i);
/* The model's contract for one flow, checkable at any instant: conservation (sent == delivered
 * + dropped by cause + in flight for data packets and, TCP-like, control segments in each
 * direction: nothing unaccounted, nothing in flight for longer than 1 s) and liveness (a flow
 * that should be sending has something armed that will make it send). Returns 0, SIM_ENOENT
 * (no such flow), SIM_EPROTO (conservation broken) or SIM_ESTATE (stalled), the flow named and
 * every count explained in d. */
int vstack_flow_check(const struct vstack_world *w, const char *name, struct sim_diag *d);
/* Send one hand-made Ethernet frame (from the destination MAC on, 14..1514 bytes, copied) as
 * `from`, belonging to no flow, as a test or a learner's probe would: a VM sends it through
 * NetVSC on its current data path with the source MAC exactly as given (no rewrite: a spoofed
 * source reaches the anti-spoof check of the VF's VPort or of the switch port); a peer puts it on
 * its wire (a broadcast reaches every station of the segment). A drop is reported with its cause
 * to the world's sink (vstack_world_drops). Returns 0 (handed to the path), SIM_EAGAIN (the VM
 * is paused or its path refused the frame), SIM_ENOENT (no VM or peer), SIM_EINVAL (length). */
int vstack_send_raw(struct vstack_world *w, const char *from, const uint8_t *frame, uint32_t len,
                    struct sim_diag *d);

/* =============================================================================================
 * Migration and servicing.
 * =========================================================================================== */
/* `migrate VM to=HOST`: failover on the source (graceful detach), save the switch-port state,
 * pre-copy, blackout (the VM's traffic is paused: frames to it are dropped as paused), restore
 * on the destination (a port on the destination switch with the same MAC), then VF bring-up
 * there if one is free. precopy / blackout < 0: cost defaults. Events migration-started,
 * migration-blackout (duration=), migration-done. */
int vstack_migrate(struct vstack_world *w, const char *vm, const char *to_host, sim_time_t precopy,
                   sim_time_t blackout, struct sim_diag *d);
/* `servicing HOST duration=D`: every VF of the host revoked (graceful) for D, traffic on
 * synthetic; then the VMs get VFs again. Events servicing-started / servicing-ended. */
int vstack_servicing(struct vstack_world *w, const char *host, sim_time_t duration,
                     struct sim_diag *d);

/* =============================================================================================
 * Capture.
 * =========================================================================================== */
struct vstack_capture_config {
    const char *const *points; /* point names ("vm1.synthetic", "vm1.vf", "h1.pf0", ...) */
    size_t n_points;           /* 0: every point */
    const char *file;          /* NULL: the world's default_capture_file */
    const char *filter;        /* BPF (tcpdump syntax) or NULL */
    bool classic_pcap;         /* pcap fallback instead of pcapng */
    uint32_t snaplen;          /* 0: whole frames */
};
int vstack_capture_start(struct vstack_world *w, const struct vstack_capture_config *cfg,
                         struct sim_diag *d);
int vstack_capture_stop(struct vstack_world *w, struct sim_diag *d);
/* `mark TEXT`: comment on the next captured packet and an event "mark" in the log. */
int vstack_mark(struct vstack_world *w, const char *text, struct sim_diag *d);

/* =============================================================================================
 * Raw OIDs for learners (`oid ADAPTER OID [vf=N] [method=...] [key=value ...]`).
 * =========================================================================================== */
struct vstack_kv {
    const char *key;
    const char *value;
};
struct vstack_oid_result {
    uint32_t status; /* ndis_status_t */
    char status_name[64];
    uint32_t bytes_written, bytes_read, bytes_needed;
    char line[256]; /* the trace line of the completion */
};
/* Issue an OID to a PF (h1.pf0), VF miniport (h1.pf0.vf0, must be in a guest) or VM adapter,
 * the libuv request way: returns at once; `cb` runs exactly once, later, from the loop, with
 * the completion (never if the call fails; never after vstack_world_destroy began). method:
 * NULL = the OID's own. vf < 0: none. Returns 0 (submitted), SIM_EINVAL (unknown OID / key,
 * reason names it), SIM_ENOENT (no such adapter), SIM_ENOMEM. */
typedef void (*vstack_oid_cb)(void *ctx, const struct vstack_oid_result *res);
int vstack_oid_submit(struct vstack_world *w, const char *adapter, const char *oid,
                      const char *method, int vf, const struct vstack_kv *kv, size_t n_kv,
                      vstack_oid_cb cb, void *ctx, struct sim_diag *d);
/* The same, for tests driving a world by hand: submit, then run the clock until it completes. method: NULL = the OID's own. vf < 0: none. Returns 0
 * when the request completed (whatever its status), SIM_EINVAL (unknown OID / key, reason
 * names it), SIM_ENOENT, SIM_ETIMEDOUT (no completion within 10 s virtual). */
int vstack_oid_request(struct vstack_world *w, const char *adapter, const char *oid,
                       const char *method, int vf, const struct vstack_kv *kv, size_t n_kv,
                       struct vstack_oid_result *out, struct sim_diag *d);

/* =============================================================================================
 * Cost model: every constant named, defaults in one table (cost.c, README.md), settable by
 * name from a script (`set cost.vf_offer_delay=500ms`). Values are int64: ns for durations,
 * bits/s for rates, counts for limits. Keys are accepted with or without the "cost." /
 * "limit." prefix. Changing a value affects objects created / sequences started afterwards.
 * =========================================================================================== */
enum vstack_cost_unit { VSTACK_COST_DURATION = 0, VSTACK_COST_RATE = 1, VSTACK_COST_COUNT = 2 };
struct vstack_cost_info {
    const char *key; /* "cost.vf_offer_delay" */
    enum vstack_cost_unit unit;
    int64_t default_value;
    const char *doc;
};
/* The table (never NULL) and its length. */
const struct vstack_cost_info *vstack_cost_table(size_t *count);
int vstack_cost_set(struct vstack_world *w, const char *key, int64_t value, struct sim_diag *d);
int vstack_cost_get(const struct vstack_world *w, const char *key, int64_t *out,
                    struct sim_diag *d);

/* =============================================================================================
 * Event log.
 * =========================================================================================== */
#define VSTACK_EVENT_MAP(X)                                                                        \
    X(VF_OFFERED, "vf-offered")                                                                    \
    X(VF_ADDED, "vf-added")                                                                        \
    X(VF_REMOVED, "vf-removed")                                                                    \
    X(VF_REVOKED, "vf-revoked")                                                                    \
    X(DATAPATH_SWITCHED, "datapath-switched")                                                      \
    X(MIGRATION_STARTED, "migration-started")                                                      \
    X(MIGRATION_BLACKOUT, "migration-blackout")                                                    \
    X(MIGRATION_DONE, "migration-done")                                                            \
    X(SERVICING_STARTED, "servicing-started")                                                      \
    X(SERVICING_ENDED, "servicing-ended")                                                          \
    X(FLR, "flr")                                                                                  \
    X(IOMMU_FAULT, "iommu-fault")                                                                  \
    X(SURPRISE_REMOVAL, "surprise-removal")                                                        \
    X(LINK_DOWN, "link-down")                                                                      \
    X(LINK_UP, "link-up")                                                                          \
    X(OID_FAILED, "oid-failed")                                                                    \
    X(MAILBOX_REFUSED, "mailbox-refused")                                                          \
    X(POLICY_DENIED, "policy-denied")                                                              \
    X(VF_ASSIGNED, "vf-assigned")                                                                  \
    X(VF_FREED, "vf-freed")                                                                        \
    X(VF_QUEUED, "vf-queued")                                                                      \
    X(MAC_CHANGE, "mac-change")                                                                    \
    X(VF_ASSOCIATED, "vf-associated")                                                              \
    X(MARK, "mark")

enum vstack_event_kind {
#define VSTACK_EVENT_ENUM(id, word) VSTACK_EV_##id,
    VSTACK_EVENT_MAP(VSTACK_EVENT_ENUM)
#undef VSTACK_EVENT_ENUM
        VSTACK_EV_COUNT
};
const char *vstack_event_kind_name(enum vstack_event_kind k);
/* SIM_EINVAL if unknown. */
int vstack_event_kind_parse(const char *name, enum vstack_event_kind *out);

#define VSTACK_EVENT_FIELDS_MAX 8u
struct vstack_event_field {
    char key[16];
    char text[VSTACK_NAME_MAX]; /* "surprise", "h1.pf0.vf0", "200000000" */
    bool has_num;
    int64_t num; /* numeric value (durations in ns, counts) when has_num */
};
struct vstack_event {
    uint64_t seq; /* 0, 1, 2, ... over the world's life */
    sim_time_t time;
    enum vstack_event_kind kind;
    char subject[VSTACK_NAME_MAX]; /* the VM, VF, host or PF it is about */
    unsigned n_fields;
    struct vstack_event_field fields[VSTACK_EVENT_FIELDS_MAX];
};
/* Field value by key, NULL if absent. */
const struct vstack_event_field *vstack_event_field(const struct vstack_event *ev, const char *key);
/* One line: "t=2.000000000s vf-removed vm1 kind=surprise vf=h1.pf0.vf0". */
int vstack_event_format(const struct vstack_event *ev, char *buf, size_t len);

/* A mark: the position of the event log and of the NDIS trace now. */
struct vstack_mark {
    uint64_t event_seq;
    uint64_t trace_seq;
};
void vstack_mark_now(const struct vstack_world *w, struct vstack_mark *out);
/* Events with seq >= mark->event_seq (mark NULL: all held), oldest first: writes up to max
 * pointers into out (valid until the next world call) and returns how many matched. */
size_t vstack_events_since(const struct vstack_world *w, const struct vstack_mark *mark,
                           const struct vstack_event **out, size_t max);
/* Incremental reading (a reader keeps its own cursor, so a check repeated after every
 * scheduler step costs only the events logged since its last look): the seq the next event will
 * get, and the event with a given seq (NULL if it was never logged or no longer held). */
uint64_t vstack_events_next_seq(const struct vstack_world *w);
const struct vstack_event *vstack_event_by_seq(const struct vstack_world *w, uint64_t seq);
/* Print every event, one line each. */
void vstack_events_dump(const struct vstack_world *w, FILE *out);

/* =============================================================================================
 * Queries (for `expect` and `wait-until`).
 * =========================================================================================== */
enum vstack_datapath { VSTACK_DP_SYNTHETIC = 0, VSTACK_DP_VF = 1 };
enum vstack_vm_state { VSTACK_VM_RUNNING = 0, VSTACK_VM_MIGRATING = 1, VSTACK_VM_OFF = 2 };
/* The path NetVSC sends on (vf only after a completed switch). */
int vstack_vm_datapath(const struct vstack_world *w, const char *vm, enum vstack_datapath *out,
                       struct sim_diag *d);
/* The host the VM runs on (name, valid as long as the world). */
int vstack_vm_host(const struct vstack_world *w, const char *vm, const char **out,
                   struct sim_diag *d);
/* The VF assigned to the VM ("h1.pf0.vf0") or "none", into buf. */
int vstack_vm_vf(const struct vstack_world *w, const char *vm, char *buf, size_t len,
                 struct sim_diag *d);
int vstack_vm_state(const struct vstack_world *w, const char *vm, enum vstack_vm_state *out,
                    struct sim_diag *d);

/* OIDs issued to `adapter` (a PF path; NULL: any) since mark (NULL: all held), completions
 * only, oldest first; up to max into out (as ndis_oid_t values); returns how many matched. */
size_t vstack_oid_sequence(const struct vstack_world *w, const char *adapter,
                           const struct vstack_mark *mark, uint32_t *out, size_t max);
/* Last completion of `oid` (name) on adapter: status into *status (ndis_status_t), number of
 * completions into *count. SIM_ENOENT if it never completed (count 0), SIM_EINVAL if unknown. */
int vstack_oid_last(const struct vstack_world *w, const char *adapter, const char *oid,
                    uint32_t *status, uint64_t *count, struct sim_diag *d);
/* Print the NDIS trace. */
void vstack_trace_dump(const struct vstack_world *w, FILE *out);

enum vstack_pci_field {
    VSTACK_PCI_PRESENT,
    VSTACK_PCI_VENDOR_ID,
    VSTACK_PCI_DEVICE_ID,
    VSTACK_PCI_COMMAND_MEMORY,
    VSTACK_PCI_COMMAND_BUS_MASTER,
    VSTACK_PCI_MSIX_ENABLE,
    VSTACK_PCI_MSIX_TABLE_SIZE,
    VSTACK_PCI_SRIOV_TOTAL_VFS,
    VSTACK_PCI_SRIOV_INITIAL_VFS,
    VSTACK_PCI_SRIOV_NUM_VFS,
    VSTACK_PCI_SRIOV_VF_OFFSET,
    VSTACK_PCI_SRIOV_VF_STRIDE,
    VSTACK_PCI_SRIOV_VF_DID,
    VSTACK_PCI_SRIOV_VF_ENABLE,
    VSTACK_PCI_SRIOV_VF_MSE,
};
/* A decoded config-space value of a PF or VF (bools as 0/1). SIM_ENOENT for an unknown
 * function; a VF that is not enabled reads present=0 and SIM_ENODEV for other fields. */
int vstack_pci_field(const struct vstack_world *w, const char *fn, enum vstack_pci_field f,
                     uint64_t *out, struct sim_diag *d);
/* Raw config read (width 1, 2 or 4). */
int vstack_pci_cfg_read(const struct vstack_world *w, const char *fn, uint32_t offset,
                        unsigned width, uint32_t *out, struct sim_diag *d);
/* The VM a VF is assigned to, or "none", into buf. */
int vstack_pci_assigned(const struct vstack_world *w, const char *vf, char *buf, size_t len,
                        struct sim_diag *d);

/* The VM's VMQ VPort id (vm vmq=true, created and holding no VF's place): SIM_ENOENT if it
 * has none (yet). */
int vstack_vm_vmq_vport(const struct vstack_world *w, const char *vm, uint32_t *out,
                        struct sim_diag *d);
/* A switch's forwarding counters: destination MAC lookups and frames delivered by VMQ VPort
 * id without a lookup (netvsp_switch_stats). */
int vstack_switch_counters(const struct vstack_world *w, const char *sw, uint64_t *lookups,
                           uint64_t *vmq_hits, struct sim_diag *d);

/* Drop totals of the world by cause (every report to the world's sink). */
void vstack_world_drops(const struct vstack_world *w, uint64_t out[SIM_DROP_CAUSE_COUNT]);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_VSTACK_H */
