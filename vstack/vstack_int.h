/* SPDX-License-Identifier: MIT */
/*
 * vstack_int.h — private structures of the virtualization stack: the world and its objects
 * (hosts, PFs with their VF slots, switches, VMs, peers, flows), the wire model, the event log
 * and the cost table. Not installed; only the vstack sources include it.
 */
#ifndef SRIOVSIM_VSTACK_INT_H
#define SRIOVSIM_VSTACK_INT_H

#include "capture/capture.h"
#include "hv/hv.h"
#include "miniport_pf/miniport_pf.h"
#include "miniport_vf/miniport_vf.h"
#include "ndis_shim/ndis_shim.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "netvsp/nvsp_proto.h"
#include "nic/nic.h"
#include "pcie/pcie.h"
#include "sim/sim.h"
#include "traffic/traffic.h"
#include "vstack/view.h"
#include "vstack/vstack.h"

SIM_LOG_NS_DECLARE(vstack);
SIM_ALLOC_TAG_DECLARE(vstack);

/* ---- cost model (cost.c holds the table of defaults) ------------------------------------- */
enum vs_cost_id {
    VS_COST_VF_OFFER_DELAY,
    VS_COST_VF_INIT_DELAY,
    VS_COST_DATAPATH_SWITCH_DELAY,
    VS_COST_GRACEFUL_REMOVAL_TIMEOUT,
    VS_COST_FLR_DURATION,
    VS_COST_MAILBOX_LATENCY,
    VS_COST_VMBUS_LATENCY,
    VS_COST_VSWITCH_PER_PACKET,
    VS_COST_VSWITCH_PER_BYTE_PS,
    VS_COST_HOP_LATENCY,
    VS_COST_LINK_LATENCY,
    VS_COST_MIGRATION_PRECOPY,
    VS_COST_MIGRATION_BLACKOUT,
    VS_COST_LINK_RATE,
    VS_COST_VF_TAKEOVER_DELAY,
    VS_COST_OID_RETRY_DELAY,
    VS_COST_VF_ASSOCIATION_DELAY,
    VS_LIMIT_VMBUS_RING,
    VS_LIMIT_VF_RING,
    VS_LIMIT_WIRE_QUEUE,
    VS_LIMIT_VSWITCH_NBLS,
    VS_COST_COUNT
};
void vs__cost_defaults(int64_t *values);
/* A failed teardown OID is retried this many times, after cost.oid_retry_delay doubling each
 * time, before the VF is declared out of service. */
#define VS_OID_RETRIES 5u

/* ---- event log ---------------------------------------------------------------------------- */
struct vs_eventlog {
    struct vstack_event *ev;
    size_t count, cap;
    size_t max;         /* 0: unlimited */
    uint64_t first_seq; /* seq of ev[0] (older ones were discarded) */
    uint64_t next_seq;
};

/* ---- the wire ------------------------------------------------------------------------------
 * A LAN segment joins PF physical ports and peers (one per PF; `link` merges two). A frame
 * that leaves a station (PF port or peer) is queued on that station's FIFO and delivered to
 * every station it is for (unicast by MAC, broadcast to all) at its due time. */
#define VS_WIRE_SLOT 2048u
struct vs_wire_slot {
    sim_time_t due;
    uint64_t packet_id;
    uint32_t len;
    uint8_t frame[VS_WIRE_SLOT];
};
struct vs_station {
    struct vstack_world *w;
    bool is_peer;
    void *owner; /* struct vs_pf or struct vs_peer */
    unsigned segment;
    uint64_t rate_bps;
    sim_time_t busy_until; /* serialisation of frames vstack itself puts on the wire */
    sim_time_t latency;    /* one-way latency to the other stations */
    struct vs_wire_slot *q;
    uint32_t q_cap, q_head, q_count;
    struct sim_timer tm;
    struct cap_point *cap;
};

/* ---- hosts, PFs, VFs ---------------------------------------------------------------------- */
struct vs_host;
struct vs_vm;
struct vs_switch;

enum vs_vf_state {
    VS_VF_DISABLED = 0, /* not enabled (index >= num_vfs) */
    VS_VF_FREE,         /* enabled, not allocated */
    VS_VF_ATTACHING,    /* ALLOCATE_VF .. MOVE_FILTER running */
    VS_VF_OFFERED,      /* VPCI offer made; guest brings it up */
    VS_VF_DETACHING,    /* eject / teardown OIDs running */
    VS_VF_STUCK,        /* a teardown OID kept failing: not reusable */
};

enum vs_host_step {
    VS_H_NONE = 0,
    VS_H_ALLOCATE,
    VS_H_CREATE_VPORT,
    VS_H_SET_FILTER,
    VS_H_MOVE_FILTER,
    VS_H_MOVE_BACK,
    VS_H_DELETE_VPORT,
    VS_H_RESET,
    VS_H_FREE,
};

enum vs_guest_step {
    VS_G_NONE = 0,
    VS_G_WAIT_RUNNING, /* restart pended: poll until RUNNING */
    VS_G_WAIT_PAUSED,  /* pause pended: poll until PAUSED */
    VS_G_FORCE_DOWN,   /* the VF left the guest: let go of it (deferred out of hv's callback) */
};

struct vs_filter_req {
    struct ndis_receive_filter_parameters p;
    struct pf_receive_filter_field_parameters f[1];
};

/* One OID request issued by the virtualization stack (heap-allocated per request: control
 * plane only). The buffer is the request's own; `done` runs once with the final status. */
#define VS_REQ_BUF 4096u
struct vs_req;
typedef void (*vs_req_done)(struct vs_req *r, ndis_status_t status);
struct vs_req {
    struct ndis_oid_request req;
    struct vs_pf *pf;
    vs_req_done done;
    void *ctx;
    bool cancelled; /* the owner went away: complete silently */
    _Alignas(16) uint8_t buf[VS_REQ_BUF];
};

struct vs_vf {
    struct vs_pf *pf;
    uint16_t index;
    char name[VSTACK_NAME_MAX];
    enum vs_vf_state state;
    struct vs_vm *vm; /* assigned VM (ATTACHING .. DETACHING) */
    uint16_t vf_id;   /* NDIS VF id from ALLOCATE_VF */
    uint16_t rid;
    uint32_t vport_id;
    bool allocated, has_vport, filter_on_vf, reset_needed;
    uint32_t serial;
    /* host OID sequence */
    enum vs_host_step step;
    bool tearing_down; /* sequence is going down (failed attach or detach) */
    enum vstack_detach_mode detach_mode;
    unsigned retries;
    struct vs_req *pending;    /* the outstanding OID of the sequence, if any */
    struct sim_timer host_tm;  /* offer delay / retry */
    struct sim_timer assoc_tm; /* NVSP VF_ASSOCIATION held by cost.vf_association_delay */
    /* guest side */
    struct hv_vpci_dev *vpci;
    struct vf_adapter *a;
    struct ndis_miniport *mp;
    struct ndis_binding *b;
    enum vs_guest_step gstep;
    struct sim_timer guest_tm;
    bool guest_removed; /* VPCI removed (graceful or surprise) seen */
    bool eject_pending;
    bool surprise;
    sim_time_t detach_started;
    bool detach_requested; /* detach asked while the attach OIDs were running */
    enum hv_vpci_removal removal;
    uint64_t lost_at_removal;   /* frames the VF miniport completed as removed (surprise) */
    bool removed_event_pending; /* log vf-removed once the guest side settled */
    unsigned flr_fault_count;   /* remaining FLRs that time out */
};

struct vs_pf {
    struct vs_host *host;
    char name[VSTACK_NAME_MAX];
    struct nic *nic;
    void *pf;                   /* the PF driver's adapter (opaque) */
    const struct pf_driver *drv; /* its driver table */
    struct ndis_miniport *mp;
    uint16_t rid;
    uint16_t total_vfs, num_vfs;
    struct vstack_pf_config cfg;
    uint8_t mac[6];
    bool nic_switch;   /* CREATE_SWITCH done */
    struct vs_vf *vfs; /* total_vfs slots */
    struct vs_station st;
    struct vs_switch *sw; /* the switch whose uplink this PF is */
    /* mailbox faults */
    unsigned mbx_refuse_count;
    enum vstack_mbx_request mbx_refuse_req;
    bool mbx_refuse_silent;
    uint16_t mbx_refuse_vf;    /* NDIS VF id or UINT16_MAX for any */
    unsigned reqs_outstanding; /* vs_req submitted, not completed */
    struct sim_timer switch_poll;
    bool switch_pending;
};

struct vs_switch {
    struct vs_host *host;
    char name[VSTACK_NAME_MAX];
    struct netvsp_switch *sw;
    struct vs_pf *uplink;
    bool iov;
    struct vstack_policy policy; /* applied to ports created later too */
};

struct vs_host {
    char name[VSTACK_NAME_MAX];
    struct vstack_world *w;
    struct pcie_fabric *fabric;
    struct hv_partition *root;
    uint8_t next_bus;
    bool servicing;
    struct sim_timer serv_tm;
    struct pcie_subscription sub; /* the fabric's events: logged as the fabric saw them */
    struct pcie_subscription trace_sub; /* the live trace's view of the fabric (trace.c) */
};

enum vs_vm_mstate { VS_VM_RUNNING = 0, VS_VM_MIGRATING, VS_VM_OFF };
enum vs_mig_step { VS_MIG_NONE = 0, VS_MIG_FAILOVER, VS_MIG_PRECOPY, VS_MIG_BLACKOUT };

struct vs_vm {
    struct vstack_world *w;
    char name[VSTACK_NAME_MAX];
    struct vs_host *host;
    struct vs_switch *sw;
    uint8_t mac[6];
    uint32_t ipv4;
    int priority;
    bool legacy_early_vf; /* vstack_vm_config: NetVSC's pre-2022 behaviour */
    uint32_t id;          /* partition id */
    struct hv_partition *guest;
    struct netvsp_port *port;
    struct netvsc_adapter *ad;
    struct traffic_endpoint *ep;
    struct vs_vf *vf;
    uint16_t filter_id; /* on the PF of sw->uplink */
    bool has_filter;
    struct vs_pf *filter_pf;
    /* VMQ (`vm vmq=true`): a PF non-default VPort on vmq_pf holding the VM's filter while it
     * has no VF (its "home" VPort instead of the default one); NetVSP maps it to the port. */
    bool vmq;
    bool vmq_pending; /* CREATE_VPORT in flight */
    bool has_vmq_vport;
    uint32_t vmq_vport;
    struct vs_pf *vmq_pf;
    /* assignment */
    bool wants_vf;      /* queued for a VF (any, or `want`) */
    struct vs_vf *want; /* the specific VF it waits for, or NULL for any */
    uint64_t queue_seq; /* arrival order among waiters */
    struct vstack_policy policy;
    bool has_policy;
    enum vs_vm_mstate state;
    bool paused; /* blackout */
    /* The source MAC the guest's stack sends with after a MAC change it was told succeeded
     * (`vf-mac`); tx_buf holds the rewritten frame during one send. */
    bool has_tx_mac;
    uint8_t tx_mac[6];
    uint8_t *tx_buf;
    uint32_t tx_buf_len;
    /* migration */
    enum vs_mig_step mig;
    struct vs_host *mig_to;
    sim_time_t mig_precopy, mig_blackout, mig_started;
    struct sim_timer mig_tm;
    bool reattach_after; /* servicing / migration: get a VF again at the end */
};

struct vs_peer {
    char name[VSTACK_NAME_MAX];
    uint8_t mac[6];
    uint32_t ipv4;
    struct traffic_endpoint *ep;
    struct vs_station st;
    struct vs_switch *sw;
};

struct vs_flow {
    char name[VSTACK_NAME_MAX];
    struct traffic_flow *flow;
};

/* The live trace (view.h, trace.c): where lines go, what caused them, which events of the log
 * were delivered. */
struct vs_tracer {
    void (*fn)(void *ctx, const struct vstack_trace_line *l);
    void *ctx;
    unsigned cause_line;
    uint64_t next_seq;       /* lines delivered */
    uint64_t event_next;     /* first event-log seq not delivered yet */
    bool flush_posted;       /* a zero-delay flush is scheduled */
    bool in_flush;
};

/* A named object in the one namespace. */
enum vs_kind { VS_K_HOST = 1, VS_K_PF, VS_K_SWITCH, VS_K_VM, VS_K_PEER, VS_K_FLOW };

struct raw_ctx;

struct vstack_world {
    struct sim_sched *sched;
    struct cap_registry *cap;
    struct cap_session *cap_session;
    char *default_capture_file;
    struct traffic_registry *traffic;
    const struct sim_drop_sink *traffic_sink;
    struct sim_drop_sink sink;
    uint64_t drops[SIM_DROP_CAUSE_COUNT];
    struct ndis_trace *trace;
    uint64_t seed;
    int64_t cost[VS_COST_COUNT];
    struct vs_eventlog log;
    /* objects (arrays of pointers, in creation order) */
    struct vs_host **hosts;
    size_t n_hosts;
    struct vs_pf **pfs;
    size_t n_pfs;
    struct vs_switch **sws;
    size_t n_sws;
    struct vs_vm **vms;
    size_t n_vms;
    struct vs_peer **peers;
    size_t n_peers;
    struct vs_flow **flows;
    size_t n_flows;
    unsigned next_segment;
    uint32_t next_partition_id;
    uint32_t next_serial;
    uint64_t queue_seq;
    bool destroying;
    struct raw_ctx *raw_reqs; /* fault.c: raw `oid` requests in flight */
    FILE *teardown_trace;
    struct vs_tracer tracer; /* the live trace (trace.c) */
    char capture_comment[256]; /* the SHB comment of captures (view.h) */
    const struct pf_driver *pf_driver; /* NULL: pf_driver_shipped */
};

/* world.c */
int vs__push(void ***arr, size_t *n, void *obj);
bool vs__name_taken(const struct vstack_world *w, const char *name);
int vs__name_check(const char *name, struct sim_diag *d, const char *what);
struct vs_host *vs__host(const struct vstack_world *w, const char *name);
struct vs_pf *vs__pf(const struct vstack_world *w, const char *name);
struct vs_vf *vs__vf(const struct vstack_world *w, const char *name);
struct vs_switch *vs__switch(const struct vstack_world *w, const char *name);
struct vs_vm *vs__vm(const struct vstack_world *w, const char *name);
/* The guest was told its MAC change succeeded: its stack sends with `mac` from now on. */
void vs__vm_guest_mac_set(struct vs_vm *vm, const uint8_t mac[6]);
struct vs_vm *vs__vm_by_mac(const struct vstack_world *w, const uint8_t mac[6]);
struct vs_peer *vs__peer(const struct vstack_world *w, const char *name);
struct vs_flow *vs__flow(const struct vstack_world *w, const char *name);
/* fault.c: raw OID requests at world destruction: no callback any more / free the rest. */
void vs__raw_reqs_cancel(struct vstack_world *w);
void vs__raw_reqs_free(struct vstack_world *w);
void vs__derive_mac(const char *name, uint8_t prefix, uint8_t mac[6]);
int vs__station_init(struct vstack_world *w, struct vs_station *st, bool is_peer, void *owner,
                     const char *cap_name, struct sim_diag *d);
void vs__station_fini(struct vs_station *st);
/* A station puts a frame on the wire at time `at` (serialisation already accounted). */
void vs__wire_send(struct vs_station *src, const uint8_t *frame, uint32_t len, uint64_t packet_id,
                   sim_time_t at);
void vs__drop(struct vstack_world *w, enum sim_drop_cause cause, const char *where, uint64_t id,
              const void *frame, uint32_t len);

/* host.c */
void vs__host_destroy(struct vs_host *h);
/* Frame from the wire for this PF's port. */
void vs__pf_wire_rx(struct vs_pf *pf, const uint8_t *frame, uint32_t len, uint64_t packet_id);
/* Submit an OID to the PF miniport: buf (len bytes, <= VS_REQ_BUF) is copied; out_len is the
 * buffer size for METHOD requests. Returns 0 (done runs later, once) or a SIM_E* (reason in d;
 * done never runs). */
int vs__oid_submit(struct vs_pf *pf, enum ndis_request_type type, ndis_oid_t oid, const void *buf,
                   uint32_t len, uint32_t out_len, vs_req_done done, void *ctx, struct vs_req **out,
                   struct sim_diag *d);
/* Submit and run the clock until it completes (setup-free teardown only). Returns the status,
 * or NDIS_STATUS_FAILURE if it could not be submitted. */
ndis_status_t vs__oid_sync(struct vs_pf *pf, enum ndis_request_type type, ndis_oid_t oid, void *buf,
                           uint32_t len, uint32_t out_len);
void vs__pf_drain(struct vs_pf *pf);
int vs__vm_filter_set(struct vs_vm *vm, struct sim_diag *d);
int vs__vm_filter_clear(struct vs_vm *vm);
/* The VPort the VM's filter lives on without a VF: its VMQ VPort, or the default VPort. */
uint32_t vs__vm_home_vport(const struct vs_vm *vm);
/* Delete the VM's VMQ VPort (after its filter was cleared); async, 0 if it has none. */
int vs__vm_vmq_release(struct vs_vm *vm);
void vs__objhdr(struct ndis_object_header *h, uint8_t rev, size_t size);
void vs__fill_filter(struct vs_filter_req *r, uint32_t vport_id, const uint8_t mac[6]);

/* vm.c */
int vs__vm_guest_create(struct vs_vm *vm, struct vs_host *h, struct sim_diag *d);
void vs__vm_guest_destroy(struct vs_vm *vm);
void vs__vm_destroy(struct vs_vm *vm);
void vs__vm_apply_policy(struct vs_vm *vm);

/* assign.c */
enum pf_verdict vs__mbx_policy(void *ctx, const struct pf_vf_request *req, struct sim_diag *why);
struct vs_vf *vs__vf_pick(struct vs_vm *vm);
void vs__vf_freed(struct vstack_world *w);
void vs__queue_vm(struct vs_vm *vm);

/* failover.c */
extern const struct hv_vpci_guest_ops vs__vpci_guest_ops;
void vs__vpci_host_removed(void *ctx, struct hv_vpci_dev *dev, enum hv_vpci_removal kind);
int vs__attach_start(struct vs_vm *vm, struct vs_vf *vf, struct sim_diag *d);
int vs__detach_start(struct vs_vm *vm, enum vstack_detach_mode mode, struct sim_diag *d);
void vs__vf_slot_init(struct vs_pf *pf, struct vs_vf *vf, uint16_t index);
void vs__vf_guest_force_down(struct vs_vf *vf);

/* migrate.c / servicing.c */
void vs__migrate_vf_gone(struct vs_vm *vm);

/* teardown.c */
void vs__pf_teardown(struct vs_pf *pf);
/* Frees a PF that vs__pf_teardown took down. Separate because tearing one PF down runs the
 * clock, and the wire's stations still walk the world's PF list: a PF already down is skipped
 * there (its station is detached), but its memory must still be there to be looked at. */
void vs__pf_free(struct vs_pf *pf);

/* events.c */
struct vstack_event *vs__event(struct vstack_world *w, enum vstack_event_kind k,
                               const char *subject);
void vs__event_str(struct vstack_event *ev, const char *key, const char *text);
void vs__event_num(struct vstack_event *ev, const char *key, int64_t num);
void vs__event_dur(struct vstack_event *ev, const char *key, sim_time_t ns);
void vs__eventlog_fini(struct vs_eventlog *log);

/* trace.c */
/* A new event was logged: deliver the ones before it, schedule its own delivery. */
void vs__trace_event_logged(struct vstack_world *w);
/* Deliver one line built by a component of vstack (flows); no-op without a tracer. */
void vs__trace_emit(struct vstack_world *w, struct vstack_trace_line *l);
bool vs__trace_on(const struct vstack_world *w);
/* Subscribe the live trace to a new host's fabric. */
void vs__trace_host_added(struct vs_host *h);

#endif /* SRIOVSIM_VSTACK_INT_H */
