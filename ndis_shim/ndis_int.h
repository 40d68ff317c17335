/* SPDX-License-Identifier: MIT */
/*
 * ndis_int.h — private to ndis_shim: the adapter (miniport block), protocol and binding
 * objects, the NDIS-side registry of switches / VFs / VPorts, shared helpers.
 *
 * Windows counterpart: the NDIS_MINIPORT_BLOCK / NDIS_OPEN_BLOCK that ndis.sys keeps.
 */
#ifndef SRIOVSIM_NDIS_INT_H
#define SRIOVSIM_NDIS_INT_H

#include "ndis_shim/ndis_shim.h"

SIM_LOG_NS_DECLARE(ndis);
SIM_ALLOC_TAG_DECLARE(ndis_miniport);
SIM_ALLOC_TAG_DECLARE(ndis_registry);
SIM_ALLOC_TAG_DECLARE(ndis_protocol);
SIM_ALLOC_TAG_DECLARE(ndis_binding);
SIM_ALLOC_TAG_DECLARE(ndis_trace);
SIM_ALLOC_TAG_DECLARE(ndis_nbl_pool);

struct ndis_fault {
    ndis_oid_t oid; /* 0: slot free */
    ndis_status_t status;
    long remaining; /* < 0: forever */
};

/* What NDIS remembers from completed SR-IOV OIDs, to answer the "N" OIDs itself (§4.1, §15). */
struct ndis_vf_entry {
    bool allocated;
    struct ndis_nic_switch_vf_parameters params; /* as completed by ALLOCATE_VF */
};
struct ndis_vport_entry {
    bool used;
    struct ndis_nic_switch_vport_parameters params; /* as completed by CREATE_VPORT (+ sets) */
};

struct ndis_filter_entry { /* FilterId = index + 1 */
    bool used;
    uint32_t vport_id;
};

struct ndis_binding {
    struct ndis_binding *next_in_miniport;
    struct ndis_binding *next_in_protocol;
    struct ndis_protocol *protocol;
    struct ndis_miniport *miniport;
    void *ctx;             /* ProtocolBindingContext */
    uint64_t sends_out;    /* NBLs at the miniport */
    uint64_t receives_out; /* indicated NBLs not yet returned */
};

struct ndis_protocol {
    char name[NDIS_NAME_MAX];
    uint32_t flags;
    const struct ndis_protocol_ops *ops;
    void *ctx;
    struct ndis_binding *bindings;
};

struct ndis_miniport {
    char name[NDIS_NAME_MAX];
    enum ndis_miniport_kind kind;
    enum ndis_miniport_state state;
    struct sim_sched *sched;
    struct ndis_trace *trace;
    const struct ndis_miniport_ops *ops;
    void *ctx;
    bool sriov_enabled;
    bool removed;   /* surprise-removed */
    bool resetting; /* MiniportResetEx in progress: no dispatch */
    uint32_t sriov_caps;
    struct ndis_nic_switch_capabilities nic_switch_caps;
    struct ndis_luid pf_luid;
    uint32_t vf_serial_number;

    /* OID dispatch: queue of waiting requests, one outstanding, a pump event. */
    struct ndis_oid_request *queue_head, *queue_tail;
    size_t queue_len;
    struct ndis_oid_request *active;
    struct ndis_oid_request *done_head, *done_tail; /* cancelled: callback still to run */
    struct sim_timer pump;
    struct ndis_fault faults[NDIS_FAULT_MAX];
    struct ndis_miniport_stats stats;

    /* NDIS registry (PF with SR-IOV caps only; arrays sized from nic_switch_caps). */
    bool switch_created;
    struct ndis_nic_switch_parameters switch_params;
    struct ndis_vf_entry *vfs;
    uint32_t vf_slots;
    struct ndis_vport_entry *vports;
    uint32_t vport_slots;
    struct ndis_filter_entry *filters;
    uint32_t filter_slots;

    /* PF helpers */
    const struct ndis_pf_hw_ops *pf_hw;
    void *pf_hw_ctx;
    bool virtualization_enabled;
    uint16_t num_vfs;
    uint64_t *invalidate_mask; /* [vf_slots] coalesced masks, see §8 */
    uint32_t invalidate_slots;
    ndis_invalidate_cb invalidate_cb;
    void *invalidate_ctx;

    struct ndis_binding *bindings;
    size_t binding_count;
};

/* trace.c: append a record (no-op if t is NULL). */
/* Observers of mp->trace (request.c); cheap when none is attached. */
void ndis__observe_request(const struct ndis_miniport *mp, const struct ndis_oid_request *req);
void ndis__observe_complete(const struct ndis_miniport *mp, const struct ndis_oid_request *req,
                            bool reached_miniport);
void ndis__observe_misuse(const struct ndis_miniport *mp, enum ndis_misuse kind,
                          const struct ndis_oid_request *req, const struct ndis_nbl *nbl);
void ndis__observe_receive(const struct ndis_miniport *mp, const struct ndis_nbl *chain);
void ndis__observe_send(const struct ndis_miniport *mp, const struct ndis_binding *b,
                        const struct ndis_nbl *chain);
void ndis__trace_request(struct ndis_trace *t, const struct ndis_miniport *mp,
                         const struct ndis_oid_request *req, enum ndis_trace_phase phase);
void ndis__trace_indication(struct ndis_trace *t, const struct ndis_miniport *mp,
                            const struct ndis_status_indication *ind);
/* dispatcher.c: NDIS answers an "N" OID itself. */
ndis_status_t ndis__answer(struct ndis_miniport *mp, struct ndis_oid_request *req);
/* dispatcher.c: NDIS pre-processing of a validated request before forwarding (VPortId
 * assignment, NDIS-side checks). SUCCESS to forward. */
ndis_status_t ndis__preprocess(struct ndis_miniport *mp, struct ndis_oid_request *req);
/* dispatcher.c: NDIS post-processing of a successful miniport completion (registry). */
void ndis__postprocess(struct ndis_miniport *mp, struct ndis_oid_request *req);
/* Copy a name into a fixed array, truncating. */
void ndis__copy_name(char *dst, const char *src);
/* Buffer length the dispatcher checks: Query/Set InformationBufferLength; Method input. */
uint32_t ndis__input_length(const struct ndis_oid_request *req);
/* dispatcher.c: the per-miniport dispatch event. kick arms it (0 or SIM_ENOMEM). */
void ndis__pump_init(struct ndis_miniport *mp);
int ndis__pump_kick(struct ndis_miniport *mp);
bool ndis__nbl_is_held_by(const struct ndis_nbl *nbl, const void *owner);

#endif /* SRIOVSIM_NDIS_INT_H */
