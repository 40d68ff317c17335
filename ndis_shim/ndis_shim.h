/* SPDX-License-Identifier: MIT */
/*
 * ndis_shim.h — the NDIS-like framework: OID requests and the dispatcher, the miniport and
 * protocol driver model, NET_BUFFER_LIST pools, status indications and the NdisM* PF helpers.
 *
 * Windows counterpart: ndis.sys as seen by drivers (NdisOidRequest, NdisMOidRequestComplete,
 * NDIS_MINIPORT_DRIVER_CHARACTERISTICS, NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, NdisAllocate-
 * NetBufferList, NdisMIndicateStatusEx, NdisMEnableVirtualization, ...).
 *
 * Threading: every object here belongs to the scheduler's loop thread. Control-plane calls
 * never block; OID completions are delivered from the loop (a scheduler event), never from
 * inside the call that submitted the request.
 *
 * Status codes and OIDs: ndis_shim/status.h, ndis_shim/oid.h.
 */
#ifndef SRIOVSIM_NDIS_SHIM_H
#define SRIOVSIM_NDIS_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ndis_shim/oid.h"
#include "ndis_shim/status.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ndis_miniport;
struct ndis_protocol;
struct ndis_binding;
struct ndis_trace;
struct ndis_nbl;
struct ndis_nbl_pool;

#define NDIS_NAME_MAX 32 /* miniport / protocol / requester names, including the NUL */

/* =============================================================================================
 * OID requests (NDIS_OID_REQUEST). Caller-allocated, libuv "request" style: submit it, and its
 * callback runs exactly once, later, from the loop, with the final status. If submit returns
 * an error the callback never runs. The caller owns the request and its information buffer
 * until the callback has run.
 * =========================================================================================== */
struct ndis_oid_request;
typedef void (*ndis_oid_request_cb)(struct ndis_oid_request *req, ndis_status_t status);

enum ndis_oid_request_state {
    NDIS_OID_REQUEST_IDLE = 0,    /* initialised or completed; may be (re)submitted */
    NDIS_OID_REQUEST_QUEUED,      /* waiting behind another request on the same miniport */
    NDIS_OID_REQUEST_AT_MINIPORT, /* inside the miniport's oid_request handler */
    NDIS_OID_REQUEST_PENDING,     /* handler returned NDIS_STATUS_PENDING */
    NDIS_OID_REQUEST_COMPLETING,  /* completed by the miniport; callback not yet run */
};

struct ndis_oid_request {
    /* ---- NDIS_OID_REQUEST REVISION_1 members (DATA union flattened) ---- */
    struct ndis_object_header header; /* Type NDIS_OBJECT_TYPE_OID_REQUEST, Revision 1 */
    enum ndis_request_type request_type;
    uint32_t port_number;
    uint32_t timeout;    /* seconds; informational */
    uint64_t request_id; /* 0 = none; used by ndis_oid_request_cancel() */
    ndis_oid_t oid;
    void *information_buffer;
    /* Query/Set: InformationBufferLength. Method: OutputBufferLength (the buffer's size). */
    uint32_t information_buffer_length;
    uint32_t input_buffer_length; /* Method only: InputBufferLength */
    uint32_t method_id;           /* Method only; 0 = default */
    uint32_t bytes_written;       /* Query/Method */
    uint32_t bytes_read;          /* Set/Method */
    uint32_t bytes_needed;        /* meaningful on INVALID_LENGTH / BUFFER_TOO_SHORT */
    uint8_t supported_revision;   /* set by a driver that succeeds a SET */
    /* ---- REVISION_2 (NDIS 6.50) ---- */
    uint32_t switch_id;
    uint32_t vport_id;
    uint32_t flags; /* NDIS_OID_REQUEST_FLAGS_VPORT_ID_VALID */
    /* ---- simulator members (not in Windows) ---- */
    char requester[NDIS_NAME_MAX]; /* who issued it, for the trace ("netvsp", "ndis") */
    ndis_oid_request_cb cb;
    void *data;           /* free for the issuer */
    ndis_status_t status; /* final status once the callback ran */
    const char *rule;     /* the reason it was rejected (points at `reason` or static text),
                           * naming the object and the rule it broke; NULL if not rejected */
    char reason[SIM_DIAG_REASON_MAX]; /* storage for formatted reasons ("FREE_VF vf=2: ...") */
    /* A conformance probe (`sriovsim conform`): NDIS skips its OID-specific checks (step 10:
     * FREE_VF of a VF with a VPort, ALLOCATE_VF placeholders, ...) and hands the request to the
     * miniport, to see whether the driver itself honours the rule. Never set by the model. */
    bool probe;
    /* ---- private to the dispatcher ---- */
    struct {
        enum ndis_oid_request_state state;
        struct ndis_oid_request *next;
        struct ndis_miniport *mp;
        bool from_protocol;
        bool fault;
        uint8_t revision;
    } priv;
};
#define NDIS_TRACE_RULE_MAX         192
#define NDIS_TRACE_DETAIL_MAX       96
#define NDIS_OID_REQUEST_REVISION_1 1
#define NDIS_OID_REQUEST_REVISION_2 2
/* Simulator sizes (our struct, not Windows'): through port..supported_revision / ..flags. */
#define NDIS_SIZEOF_OID_REQUEST_REVISION_1                                                         \
    NDIS_SIZEOF_THROUGH(struct ndis_oid_request, supported_revision)
#define NDIS_SIZEOF_OID_REQUEST_REVISION_2 NDIS_SIZEOF_THROUGH(struct ndis_oid_request, flags)

/* Initialise a Query or Set request (header filled, counters zeroed, requester copied and
 * truncated to NDIS_NAME_MAX-1). For NDIS_REQUEST_METHOD use ndis_oid_request_init_method. */
void ndis_oid_request_init(struct ndis_oid_request *req, const char *requester,
                           enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t len);
/* Initialise a Method request: one buffer of out_len bytes whose first in_len bytes are input. */
void ndis_oid_request_init_method(struct ndis_oid_request *req, const char *requester,
                                  ndis_oid_t oid, void *buf, uint32_t in_len, uint32_t out_len);

/* Submit req to miniport mp. The dispatcher (NDIS) validates it before any handler runs:
 * NDIS_OBJECT_HEADER of the request, unknown OID (INVALID_OID), request type not allowed
 * (NOT_SUPPORTED), OID issued to the wrong function (NOT_SUPPORTED), SR-IOV off
 * (NOT_SUPPORTED), only-NDIS OIDs from a protocol (NOT_SUPPORTED), short buffer
 * (INVALID_LENGTH/BUFFER_TOO_SHORT + bytes_needed), bad object header (INVALID_PARAMETER),
 * then the OID-specific NDIS checks, then any injected fault; then NDIS answers it itself or
 * forwards it to the miniport. One request per miniport is outstanding at a time; others wait
 * FIFO. Every request and completion is recorded in the miniport's trace.
 * Returns 0 (cb will run exactly once, from the loop) or, and then cb never runs:
 * SIM_EINVAL (NULL argument, no callback), SIM_EBUSY (req already submitted), SIM_ESTATE (the
 * miniport is halted / not initialised), SIM_ENOMEM (could not schedule the dispatch). */
int ndis_oid_request_submit(struct ndis_miniport *mp, struct ndis_oid_request *req,
                            ndis_oid_request_cb cb, struct sim_diag *d);

/* Record why `req` is refused: formats into req->reason and points req->rule at it. For the
 * dispatcher's own checks and for miniports, so that the trace and the user see a sentence
 * naming the object and the rule ("FREE_VF vf=2: VF still has VPort 3 attached"). */
void ndis_oid_request_set_reason(struct ndis_oid_request *req, const char *fmt, ...)
    SIM_PRINTF(2, 3);
/* NdisMOidRequestComplete: the miniport finishes a request its handler pended. Context: loop
 * thread, any time after the handler returned NDIS_STATUS_PENDING (or inside the handler, which
 * then must return NDIS_STATUS_PENDING). The issuer's callback runs later from the loop.
 * Returns 0; SIM_EINVAL if req is not the miniport's outstanding request or was already
 * completed (counted in ndis_miniport_stats.double_completions); SIM_ENOMEM if the delivery
 * could not be scheduled (the request stays pending; retry). */
int ndis_oid_request_complete(struct ndis_miniport *mp, struct ndis_oid_request *req,
                              ndis_status_t status);

/* Cancel the request with this RequestId (NdisCancelOidRequest): a queued request is completed
 * with NDIS_STATUS_REQUEST_ABORTED; an outstanding one is passed to the miniport's
 * cancel_oid_request handler (it must then complete it). Returns 0 or SIM_ENOENT. */
int ndis_oid_request_cancel(struct ndis_miniport *mp, uint64_t request_id);

/* Pure validation with no side effects (what NDIS would say before any handler runs):
 * SUCCESS if the request would reach its handler. Used by the dispatcher and by conformance
 * tests. bytes_needed / rule written as for a completion. */
ndis_status_t ndis_oid_request_validate(const struct ndis_miniport *mp,
                                        struct ndis_oid_request *req);

/* =============================================================================================
 * The trace: every request and completion (and status indication), with time, requester,
 * target, OID, request type, status and byte counts. A fixed-capacity ring: when full, the
 * oldest record is overwritten and `dropped` counts it. Records have a global sequence number,
 * so "what happened since mark" survives wrapping as long as the records are still there.
 * =========================================================================================== */
enum ndis_trace_phase {
    NDIS_TRACE_REQUEST = 0,    /* dispatched (after leaving the queue) */
    NDIS_TRACE_COMPLETION = 1, /* completed (callback about to run) */
    NDIS_TRACE_INDICATION = 2, /* status indication by the miniport */
};

struct ndis_trace_record {
    uint64_t seq;
    sim_time_t time_ns;
    enum ndis_trace_phase phase;
    char requester[NDIS_NAME_MAX];
    char target[NDIS_NAME_MAX];
    ndis_oid_t oid; /* 0 for indications */
    enum ndis_request_type request_type;
    ndis_status_t status; /* completion status, or the indicated status code */
    uint32_t length;      /* information buffer length at request time */
    uint32_t bytes_written, bytes_read, bytes_needed;
    char rule[NDIS_TRACE_RULE_MAX]; /* why it was rejected (copied), or "" */
    bool fault;                     /* the status came from an injected fault */
    /* The payload fields that matter, decoded from the information buffer as NDIS would show
     * them ("vf=0 rid=0x0180", "vport=1 vf=0 qps=1", "filter=1 vport 0->1", "mac=..."), or "".
     * Requests show what was asked, completions what came back. */
    char detail[NDIS_TRACE_DETAIL_MAX];
};

int ndis_trace_create(size_t capacity, struct ndis_trace **out);
void ndis_trace_destroy(struct ndis_trace *t);
/* Records currently held, and records overwritten since creation / the last clear. */
size_t ndis_trace_count(const struct ndis_trace *t);
uint64_t ndis_trace_dropped(const struct ndis_trace *t);
/* The i-th held record, oldest first (NULL if i >= count). */
const struct ndis_trace_record *ndis_trace_at(const struct ndis_trace *t, size_t i);
void ndis_trace_clear(struct ndis_trace *t);
/* A mark is the sequence number the next record will get. */
uint64_t ndis_trace_mark(const struct ndis_trace *t);
/* OIDs of `phase` records addressed to `target` (NULL: any) with seq >= mark, oldest first;
 * writes at most max into out and returns how many matched in total. */
size_t ndis_trace_oid_sequence(const struct ndis_trace *t, uint64_t mark, const char *target,
                               enum ndis_trace_phase phase, ndis_oid_t *out, size_t max);
/* Last completion of `oid` on `target` (NULL if none held). */
const struct ndis_trace_record *ndis_trace_last_completion(const struct ndis_trace *t,
                                                           const char *target, ndis_oid_t oid);
/* One line, like a Windows trace:
 * "t=0.000100000s h1.pf0 <- netvsp  METHOD OID_NIC_SWITCH_ALLOCATE_VF (0x00010245) ->
 *  NDIS_STATUS_SUCCESS written=1632 read=1632 needed=0"
 * Returns what snprintf returns. */
int ndis_trace_format(const struct ndis_trace_record *r, char *buf, size_t len);
/* Print every held record, one line each. */
void ndis_trace_dump(const struct ndis_trace *t, FILE *out);
/* Called with every record the moment it is appended (a live trace: `sriovsim run --trace`).
 * The record is valid during the call only. fn NULL: no listener. One listener per trace. */
typedef void (*ndis_trace_listener_fn)(void *ctx, const struct ndis_trace_record *r);
void ndis_trace_set_listener(struct ndis_trace *t, ndis_trace_listener_fn fn, void *ctx);

/* =============================================================================================
 * Observers of the trace: what a checker such as Driver Verifier's NDIS rules (or the verify/
 * module) needs to see, beyond the trace lines — the request itself with its buffer, misuse
 * NDIS detected, and the data-path hand-overs. Observers only look: every argument is const and
 * an observer must not call back into NDIS. Every hook may be NULL. They run on the thread that
 * made the call (the loop thread in scenario mode).
 * =========================================================================================== */
enum ndis_misuse {
    NDIS_MISUSE_DOUBLE_COMPLETION = 1, /* NdisMOidRequestComplete for a request not outstanding
                                          (already completed, or never pended) */
    NDIS_MISUSE_RETURN_NOT_INDICATED,  /* NdisReturnNetBufferLists of an NBL the binding was not
                                          lent by a receive indication */
    NDIS_MISUSE_SEND_COMPLETE_NOT_SENT, /* NdisMSendNetBufferListsComplete of an NBL the
                                           miniport was not given by a send */
};

struct ndis_observer {
    /* A request leaves the miniport's queue (before NDIS's validation). */
    void (*oid_request)(void *ctx, const struct ndis_miniport *mp,
                        const struct ndis_oid_request *req);
    /* A request completed (before the issuer's callback). reached_miniport: the handler
     * decided it (false: NDIS's validation, NDIS itself, or a fault). */
    void (*oid_complete)(void *ctx, const struct ndis_miniport *mp,
                         const struct ndis_oid_request *req, bool reached_miniport);
    /* NDIS refused a call that broke its contract. req or nbl may be NULL. */
    void (*misuse)(void *ctx, const struct ndis_miniport *mp, enum ndis_misuse kind,
                   const struct ndis_oid_request *req, const struct ndis_nbl *nbl);
    /* NdisMIndicateReceiveNetBufferLists by mp (accepted by NDIS). */
    void (*receive)(void *ctx, const struct ndis_miniport *mp, const struct ndis_nbl *chain);
    /* NdisSendNetBufferLists through binding b to mp (accepted by NDIS). */
    void (*send)(void *ctx, const struct ndis_miniport *mp, const struct ndis_binding *b,
                 const struct ndis_nbl *chain);
    /* The trace is being destroyed: forget it (the observer is removed afterwards). */
    void (*trace_destroyed)(void *ctx, const struct ndis_trace *t);
};

#define NDIS_TRACE_OBSERVERS_MAX 4
/* Add an observer to every miniport that records into t. Returns 0, SIM_EINVAL, SIM_ENOSPC
 * (NDIS_TRACE_OBSERVERS_MAX already), SIM_EEXIST (the same ops+ctx pair is there). */
int ndis_trace_observe(struct ndis_trace *t, const struct ndis_observer *ops, void *ctx);
/* Remove it (nothing if absent). */
void ndis_trace_unobserve(struct ndis_trace *t, const struct ndis_observer *ops, void *ctx);

/* =============================================================================================
 * Status indications (NDIS_STATUS_INDICATION), miniport -> bound protocols.
 * =========================================================================================== */
struct ndis_status_indication {
    ndis_status_t status_code; /* NDIS_STATUS_LINK_STATE, NDIS_STATUS_SWITCH_PORT_REMOVE_VF... */
    uint32_t port_number;
    const void *status_buffer;
    uint32_t status_buffer_size;
    uint64_t request_id;      /* for NDIS_STATUS_INDICATION_REQUIRED follow-ups */
    void *destination_handle; /* RequestHandle of the OID it follows up, or NULL */
};

/* =============================================================================================
 * The miniport driver model (NDIS_MINIPORT_DRIVER_CHARACTERISTICS). `ctx` is the
 * MiniportAdapterContext given at creation. Handlers run on the loop thread.
 * =========================================================================================== */
enum ndis_miniport_kind {
    NDIS_MINIPORT_PLAIN = 0, /* an ordinary NIC miniport */
    NDIS_MINIPORT_PF = 1,    /* SR-IOV physical function miniport (parent partition) */
    NDIS_MINIPORT_VF = 2,    /* SR-IOV virtual function miniport (guest) */
};

/* Adapter states of the NDIS miniport state machine. */
enum ndis_miniport_state {
    NDIS_MINIPORT_HALTED = 0,
    NDIS_MINIPORT_INITIALIZING,
    NDIS_MINIPORT_PAUSED,
    NDIS_MINIPORT_RESTARTING,
    NDIS_MINIPORT_RUNNING,
    NDIS_MINIPORT_PAUSING,
    NDIS_MINIPORT_HALTING,
};

enum ndis_device_pnp_event { /* NDIS_DEVICE_PNP_EVENT */
                             NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED = 1,
                             NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED = 2,
};

struct ndis_miniport_ops {
    /* MiniportInitializeEx: SUCCESS, or an error (the adapter stays halted). Synchronous. */
    ndis_status_t (*initialize)(void *ctx, struct ndis_miniport *mp);
    /* MiniportHaltEx: release everything; called in the paused state. */
    void (*halt)(void *ctx);
    /* MiniportPause / MiniportRestart: SUCCESS, an error, or PENDING and later
     * ndis_miniport_pause_complete() / ndis_miniport_restart_complete(). */
    ndis_status_t (*pause)(void *ctx);
    ndis_status_t (*restart)(void *ctx);
    /* MiniportOidRequest: SUCCESS/error (bytes_* set) or PENDING then
     * ndis_oid_request_complete(). Only requests NDIS did not answer itself arrive here. */
    ndis_status_t (*oid_request)(void *ctx, struct ndis_oid_request *req);
    /* MiniportCancelOidRequest (optional). */
    void (*cancel_oid_request)(void *ctx, uint64_t request_id);
    /* MiniportSendNetBufferLists: the miniport owns the chain until
     * ndis_miniport_send_complete(). */
    void (*send_net_buffer_lists)(void *ctx, struct ndis_nbl *chain, uint32_t port, uint32_t flags);
    /* MiniportReturnNetBufferLists: indicated NBLs come back to their miniport. */
    void (*return_net_buffer_lists)(void *ctx, struct ndis_nbl *chain, uint32_t flags);
    /* MiniportResetEx: SUCCESS, error, or PENDING then ndis_miniport_reset_complete(). */
    ndis_status_t (*reset)(void *ctx, bool *addressing_reset);
    /* MiniportDevicePnPEventNotify (optional). */
    void (*device_pnp_event)(void *ctx, enum ndis_device_pnp_event ev);
};

/* Hooks the PF miniport supplies for the NdisM* PF helpers (§9), backed by the PCIe fabric
 * (pcie/) once the PF miniport is written. All optional; a missing hook makes the helper
 * fail with NDIS_STATUS_NOT_SUPPORTED / 0 bytes. Return 0 or a negative SIM_E* code. */
struct ndis_pf_hw_ops {
    /* TotalVFs of the SR-IOV capability (0: the adapter has no SR-IOV). */
    uint16_t (*total_vfs)(void *hw);
    /* Write NumVFs, then set (enable) or clear VF Enable | VF MSE. */
    int (*set_vf_enable)(void *hw, uint16_t num_vfs, bool enable);
    /* Read/write VF config space; return bytes transferred (0 on failure). */
    uint32_t (*vf_config_read)(void *hw, uint16_t vf_id, void *buf, uint32_t offset, uint32_t len);
    uint32_t (*vf_config_write)(void *hw, uint16_t vf_id, const void *buf, uint32_t offset,
                                uint32_t len);
    /* Location of VF vf_id (zero-based): segment, bus and (ARI) function number. */
    int (*vf_location)(void *hw, uint16_t vf_id, uint16_t *segment, uint8_t *bus,
                       uint8_t *function);
    /* BAR values a probe of the physical adapter reads (NdisMQueryProbedBars). */
    int (*probed_bars)(void *hw, uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES]);
};

/* Notified when the PF calls ndis_pf_invalidate_config_block() (the virtualization stack's
 * side of NdisMInvalidateConfigBlock, §8). It fetches the coalesced mask with
 * ndis_pf_take_invalidation(). */
typedef void (*ndis_invalidate_cb)(void *ctx, struct ndis_miniport *pf, uint16_t vf_id);

struct ndis_miniport_config {
    const char *name; /* "h1.pf0" — copied, truncated to NDIS_NAME_MAX-1 */
    enum ndis_miniport_kind kind;
    struct sim_sched *sched;  /* required: completions are delivered through it */
    struct ndis_trace *trace; /* optional (shared by many miniports) */
    const struct ndis_miniport_ops *ops;
    void *ctx;          /* MiniportAdapterContext */
    bool sriov_enabled; /* *SRIOV keyword: current SR-IOV caps registered */
    /* Registered capabilities (NdisMSetMiniportAttributes). NDIS answers the *_CAPABILITIES
     * OIDs from these. sriov_caps: NDIS_SRIOV_CAPS_*. */
    uint32_t sriov_caps;
    struct ndis_nic_switch_capabilities nic_switch_caps; /* PF only; header filled by us */
    struct ndis_luid pf_luid;                            /* OID_SRIOV_PF_LUID (PF) */
    uint32_t vf_serial_number;                           /* OID_SRIOV_VF_SERIAL_NUMBER (VF) */
    const struct ndis_pf_hw_ops *pf_hw;                  /* PF only */
    void *pf_hw_ctx;
};

struct ndis_miniport_stats {
    uint64_t requests;    /* submitted and accepted */
    uint64_t completions; /* callbacks run */
    uint64_t rejected;    /* completed by NDIS validation without reaching a handler */
    uint64_t faults_injected;
    uint64_t pended;             /* handler returned PENDING */
    uint64_t double_completions; /* misuse: completed twice / not outstanding */
    uint64_t max_queue_depth;
    uint64_t status_indications;
    uint64_t sends, send_completes, receives, returns;
};

/* Create an adapter instance (state HALTED). Returns 0, SIM_EINVAL (missing name, sched or
 * ops, bad kind, inconsistent caps — reason in d), SIM_ENOMEM. */
int ndis_miniport_create(const struct ndis_miniport_config *cfg, struct ndis_miniport **out,
                         struct sim_diag *d);
/* Destroy a HALTED miniport with no binding (SIM_EBUSY otherwise; nothing freed). NULL ok. */
int ndis_miniport_destroy(struct ndis_miniport *mp);

/* Lifecycle (the NDIS adapter state machine; illegal transitions return SIM_ESTATE with the
 * current state in d and change nothing):
 *   initialize: HALTED -> INITIALIZING -> PAUSED (handler error: back to HALTED; the status is
 *               returned through *status)
 *   restart:    PAUSED -> RESTARTING -> RUNNING
 *   pause:      RUNNING -> PAUSING -> PAUSED
 *   halt:       PAUSED -> HALTING -> HALTED (unbinds every protocol first; SIM_EBUSY while OID
 *               requests are queued or outstanding)
 * ndis_status_t results of the handlers are returned through *status (may be NULL); a PENDING
 * pause/restart finishes with the matching _complete call. */
int ndis_miniport_initialize(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d);
int ndis_miniport_restart(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d);
int ndis_miniport_pause(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d);
int ndis_miniport_halt(struct ndis_miniport *mp, struct sim_diag *d);
int ndis_miniport_pause_complete(struct ndis_miniport *mp, ndis_status_t status);
int ndis_miniport_restart_complete(struct ndis_miniport *mp, ndis_status_t status);
/* MiniportResetEx through NDIS: no new request is dispatched until the reset completes. */
int ndis_miniport_reset(struct ndis_miniport *mp, ndis_status_t *status, struct sim_diag *d);
int ndis_miniport_reset_complete(struct ndis_miniport *mp, ndis_status_t status);
/* Deliver a device PnP event. SURPRISE_REMOVED marks the adapter removed: from then on new
 * OID requests complete with NDIS_STATUS_ADAPTER_REMOVED and sends complete with it. */
int ndis_miniport_pnp_event(struct ndis_miniport *mp, enum ndis_device_pnp_event ev);

enum ndis_miniport_state ndis_miniport_state(const struct ndis_miniport *mp);
const char *ndis_miniport_state_name(enum ndis_miniport_state s);
const char *ndis_miniport_name(const struct ndis_miniport *mp);
enum ndis_miniport_kind ndis_miniport_kind(const struct ndis_miniport *mp);
bool ndis_miniport_is_sriov_enabled(const struct ndis_miniport *mp);
void ndis_miniport_set_sriov_enabled(struct ndis_miniport *mp, bool on);
void *ndis_miniport_context(const struct ndis_miniport *mp);
struct sim_sched *ndis_miniport_sched(const struct ndis_miniport *mp);
struct ndis_trace *ndis_miniport_trace(const struct ndis_miniport *mp);
const struct ndis_miniport_stats *ndis_miniport_stats(const struct ndis_miniport *mp);
/* Requests waiting (not counting the outstanding one) and whether one is outstanding. */
size_t ndis_miniport_queue_depth(const struct ndis_miniport *mp);
bool ndis_miniport_has_outstanding(const struct ndis_miniport *mp);

/* Fault hook (later `fault oid ...`): the next `count` requests for `oid` on this miniport
 * (count < 0: every one) complete with `status` after NDIS validation, without reaching the
 * handler. Up to NDIS_FAULT_MAX armed OIDs per miniport; arming an armed OID replaces it.
 * Returns 0, SIM_EINVAL (status SUCCESS/PENDING, count 0), SIM_ENOSPC. */
#define NDIS_FAULT_MAX 8
int ndis_miniport_fault_oid(struct ndis_miniport *mp, ndis_oid_t oid, ndis_status_t status,
                            long count);
/* Disarm one OID (oid != 0) or all (oid == 0). */
void ndis_miniport_fault_clear(struct ndis_miniport *mp, ndis_oid_t oid);

/* NdisMIndicateStatusEx: deliver to every open binding's status handler (synchronously, as
 * NDIS does) and record it in the trace. Returns the number of bindings it reached. */
int ndis_miniport_indicate_status(struct ndis_miniport *mp,
                                  const struct ndis_status_indication *ind);
/* NdisMIndicateReceiveNetBufferLists: lend a chain to every open binding. The NBLs come back
 * through the miniport's return_net_buffer_lists once every binding returned them
 * (ndis_binding_return). With no open binding they are returned at once. The miniport must be
 * RUNNING (SIM_ESTATE otherwise: the chain stays with the miniport). */
int ndis_miniport_indicate_receive(struct ndis_miniport *mp, struct ndis_nbl *chain,
                                   uint32_t flags);
/* NdisMSendNetBufferListsComplete: give sent NBLs back to the binding that sent each one. */
int ndis_miniport_send_complete(struct ndis_miniport *mp, struct ndis_nbl *chain, uint32_t flags);

/* =============================================================================================
 * The protocol edge (NDIS_PROTOCOL_DRIVER_CHARACTERISTICS). Handlers run on the loop thread.
 * =========================================================================================== */
/* Characteristics flag: this protocol is NetVSC's protocol edge (INF LowerRange "ndisvf"), the
 * only one allowed to bind a VF miniport (§6.4: VF UpperRange "ndisvf"). */
#define NDIS_PROTOCOL_CHAR_BINDS_VF 0x1u

struct ndis_bind_parameters { /* the parts of NDIS_BIND_PARAMETERS we model */
    const char *miniport_name;
    enum ndis_miniport_kind kind;
    uint32_t sriov_caps; /* current SR-IOV caps (SriovCapabilities) */
};

struct ndis_protocol_ops {
    /* ProtocolBindAdapterEx (+ NdisOpenAdapterEx): SUCCESS to accept (set the binding context
     * with ndis_binding_set_context), or an error to refuse. */
    ndis_status_t (*bind_adapter)(void *ctx, struct ndis_binding *b,
                                  const struct ndis_bind_parameters *bp);
    /* ProtocolUnbindAdapterEx (+ NdisCloseAdapterEx): the binding is gone after it returns. */
    void (*unbind_adapter)(void *ctx, struct ndis_binding *b);
    /* ProtocolReceiveNetBufferLists: return the chain with ndis_binding_return (now or later). */
    void (*receive_net_buffer_lists)(void *binding_ctx, struct ndis_binding *b,
                                     struct ndis_nbl *chain, uint32_t flags);
    /* ProtocolSendNetBufferListsComplete: sent NBLs are the protocol's again. */
    void (*send_net_buffer_lists_complete)(void *binding_ctx, struct ndis_binding *b,
                                           struct ndis_nbl *chain, uint32_t flags);
    /* ProtocolStatusEx. */
    void (*status)(void *binding_ctx, struct ndis_binding *b,
                   const struct ndis_status_indication *ind);
};

struct ndis_protocol_config {
    const char *name; /* "netvsc", "tcpip" */
    uint32_t flags;   /* NDIS_PROTOCOL_CHAR_* */
    const struct ndis_protocol_ops *ops;
    void *ctx; /* ProtocolDriverContext */
};

int ndis_protocol_create(const struct ndis_protocol_config *cfg, struct ndis_protocol **out,
                         struct sim_diag *d);
/* Destroy a protocol with no binding left (SIM_EBUSY otherwise). NULL ok. */
int ndis_protocol_destroy(struct ndis_protocol *p);
const char *ndis_protocol_name(const struct ndis_protocol *p);

/* NDIS binds protocol p to miniport mp. The miniport must be PAUSED or RUNNING. A VF miniport
 * binds only a protocol with NDIS_PROTOCOL_CHAR_BINDS_VF, and only one: any other (or a second
 * one) gets NDIS_STATUS_NOT_SUPPORTED in *status with the rule in d. Returns 0 (bound, *out set),
 * SIM_EPERM (refused by NDIS or by the protocol's bind handler: *status says which status),
 * SIM_EEXIST (already bound), SIM_ESTATE, SIM_ENOMEM, SIM_EINVAL. */
int ndis_bind(struct ndis_protocol *p, struct ndis_miniport *mp, struct ndis_binding **out,
              ndis_status_t *status, struct sim_diag *d);
/* Unbind (the protocol's unbind handler runs, the binding is freed). SIM_EBUSY while NBLs the
 * binding sent are still at the miniport or indicated NBLs are not returned. */
int ndis_unbind(struct ndis_binding *b, struct sim_diag *d);
void ndis_binding_set_context(struct ndis_binding *b, void *binding_ctx);
void *ndis_binding_context(const struct ndis_binding *b);
struct ndis_miniport *ndis_binding_miniport(const struct ndis_binding *b);
struct ndis_protocol *ndis_binding_protocol(const struct ndis_binding *b);
size_t ndis_miniport_binding_count(const struct ndis_miniport *mp);

/* NdisOidRequest from a protocol: as ndis_oid_request_submit, with the protocol's name as
 * requester and the "NDIS only" issuer rule applied. */
int ndis_binding_oid_request(struct ndis_binding *b, struct ndis_oid_request *req,
                             ndis_oid_request_cb cb, struct sim_diag *d);
/* NdisSendNetBufferLists: ownership of every NBL in the chain moves from the binding to the
 * miniport (owner token: the miniport) until ndis_miniport_send_complete(). Returns 0;
 * SIM_EINVAL (NULL / empty chain / an NBL the binding does not hold: nothing sent);
 * SIM_ESTATE (miniport not RUNNING) or SIM_ENODEV (surprise-removed): nothing sent, the chain
 * stays with the caller. */
int ndis_binding_send(struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags);
/* NdisReturnNetBufferLists: give back NBLs received through this binding. */
int ndis_binding_return(struct ndis_binding *b, struct ndis_nbl *chain);

/* =============================================================================================
 * NET_BUFFER_LIST / NET_BUFFER packet descriptors from fixed pools (NdisAllocateNetBufferList-
 * Pool). All memory is allocated when the pool is created; alloc never mallocs: an empty pool
 * returns NULL and counts the event. With owner tracking on, every NBL records which component
 * holds it (an opaque token); handing one over from a component that does not hold it, or
 * freeing a free NBL, is refused and counted.
 * =========================================================================================== */
struct ndis_nb { /* NET_BUFFER */
    struct ndis_nb *next;
    uint8_t *data; /* start of the backing buffer (capacity bytes) */
    uint32_t capacity;
    uint32_t data_offset; /* DataOffset: where the frame starts */
    uint32_t data_length; /* DataLength */
};

struct ndis_nbl { /* NET_BUFFER_LIST */
    struct ndis_nbl *next;
    struct ndis_nb *first_nb;
    ndis_status_t status; /* NET_BUFFER_LIST_STATUS on completion */
    uint32_t vport_id;    /* NetBufferListFilteringInfo VPort id (OOB) */
    uint16_t vlan_id;     /* NDIS_NET_BUFFER_LIST_8021Q_INFO */
    uint8_t priority;
    uint64_t packet_id; /* global id across capture points */
    uint8_t protocol_reserved[16];
    uint8_t miniport_reserved[16];
    void *context; /* NBL context area (context_size bytes), NULL if none */
    /* ---- private ---- */
    struct {
        struct ndis_nbl_pool *pool;
        const void *owner;           /* tracking token of the holder */
        struct ndis_binding *source; /* binding that sent it (send path) */
        uint32_t lent;               /* bindings still holding an indication */
        bool in_use;
    } priv;
};

struct ndis_nbl_pool_config {
    const char *name;
    uint32_t nbl_count;    /* NBLs in the pool */
    uint32_t nbs_per_nbl;  /* NET_BUFFERs chained on each NBL (>= 1) */
    uint32_t data_size;    /* backing bytes per NET_BUFFER (0: caller sets nb->data) */
    uint32_t context_size; /* context area per NBL */
    bool track_owners;     /* "debug build" owner tracking */
};

struct ndis_nbl_pool_stats {
    uint64_t allocs, frees;
    uint64_t exhausted;    /* alloc found the pool empty */
    uint64_t owner_errors; /* free / transfer by a component that does not hold the NBL */
    uint64_t double_frees;
    uint32_t in_use, high_water;
};

int ndis_nbl_pool_create(const struct ndis_nbl_pool_config *cfg, struct ndis_nbl_pool **out,
                         struct sim_diag *d);
/* Destroy; SIM_EBUSY (nothing freed) while NBLs are still in use. NULL ok. */
int ndis_nbl_pool_destroy(struct ndis_nbl_pool *pool);
/* Take an NBL (its NBs reset: offset 0, length 0) for `owner`; NULL when the pool is empty. */
struct ndis_nbl *ndis_nbl_alloc(struct ndis_nbl_pool *pool, const void *owner);
/* Return an NBL to its pool. SIM_EINVAL for a free NBL (double free) or, with tracking, an NBL
 * `owner` does not hold (both counted; nothing changes). */
int ndis_nbl_free(struct ndis_nbl *nbl, const void *owner);
/* Move ownership of one NBL from `from` to `to` (the call that hands it over does this).
 * SIM_EINVAL (counted) if `from` does not hold it. */
int ndis_nbl_transfer(struct ndis_nbl *nbl, const void *from, const void *to);
/* Transfer a whole chain; stops at the first error and returns it. */
int ndis_nbl_chain_transfer(struct ndis_nbl *chain, const void *from, const void *to);
const void *ndis_nbl_owner(const struct ndis_nbl *nbl);
size_t ndis_nbl_chain_length(const struct ndis_nbl *chain);
const struct ndis_nbl_pool_stats *ndis_nbl_pool_stats(const struct ndis_nbl_pool *pool);

/* =============================================================================================
 * PF helper calls (§9, §8). PF miniport only; they act through its ndis_pf_hw_ops.
 * =========================================================================================== */
/* NDIS_MAKE_RID: the bit packing was not retrieved (§9); INFERRED (Segment << 16) |
 * (Bus << 8) | Function. */
#define NDIS_MAKE_RID(segment, bus, function)                                                      \
    ((uint32_t)(((uint32_t)(segment) << 16) | ((uint32_t)(bus) << 8) | (uint32_t)(function)))

/* NdisMEnableVirtualization: SUCCESS; NOT_SUPPORTED (not a PF, no SR-IOV hardware hooks,
 * TotalVFs 0); INVALID_PARAMETER (enable FALSE with num_vfs != 0, migration flags TRUE,
 * num_vfs > TotalVFs, enable with num_vfs 0); FAILURE (enabling while enabled, or the hardware
 * refused). Disabling while disabled succeeds. */
ndis_status_t ndis_pf_enable_virtualization(struct ndis_miniport *pf, uint16_t num_vfs,
                                            bool enable_vf_migration,
                                            bool enable_migration_interrupt,
                                            bool enable_virtualization);
bool ndis_pf_is_virtualization_enabled(const struct ndis_miniport *pf);
uint16_t ndis_pf_num_vfs(const struct ndis_miniport *pf);
/* NdisMGetVirtualFunctionBusData / NdisMSetVirtualFunctionBusData: bytes transferred, 0 on
 * failure (not a PF, virtualization off, vf_id >= NumVFs, hardware refused). */
uint32_t ndis_pf_get_vf_bus_data(struct ndis_miniport *pf, uint16_t vf_id, void *buf,
                                 uint32_t offset, uint32_t len);
uint32_t ndis_pf_set_vf_bus_data(struct ndis_miniport *pf, uint16_t vf_id, const void *buf,
                                 uint32_t offset, uint32_t len);
/* NdisMGetVirtualFunctionLocation (Windows returns VOID; we report misuse): SUCCESS,
 * NOT_SUPPORTED, INVALID_PARAMETER (vf_id >= NumVFs), FAILURE. */
ndis_status_t ndis_pf_get_vf_location(struct ndis_miniport *pf, uint16_t vf_id, uint16_t *segment,
                                      uint8_t *bus, uint8_t *function);
/* The RID for ALLOCATE_VF: location + NDIS_MAKE_RID. NDIS_INVALID_RID on failure. */
uint32_t ndis_pf_get_vf_rid(struct ndis_miniport *pf, uint16_t vf_id);
/* NdisMQueryProbedBars. */
ndis_status_t ndis_pf_query_probed_bars(struct ndis_miniport *pf,
                                        uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES]);
/* NdisMInvalidateConfigBlock: OR block_mask into the cached mask of vf_id and notify the
 * virtualization stack (callback below). SUCCESS, NOT_SUPPORTED (not a PF / virtualization
 * off), INVALID_PARAMETER (vf_id >= NumVFs or mask 0). */
ndis_status_t ndis_pf_invalidate_config_block(struct ndis_miniport *pf, uint16_t vf_id,
                                              uint64_t block_mask);
/* The virtualization stack registers for invalidations and fetches-and-clears the coalesced
 * mask of one VF (0 if nothing pending). */
void ndis_pf_set_invalidate_cb(struct ndis_miniport *pf, ndis_invalidate_cb cb, void *ctx);
uint64_t ndis_pf_take_invalidation(struct ndis_miniport *pf, uint16_t vf_id);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_NDIS_SHIM_H */
