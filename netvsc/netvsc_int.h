/* SPDX-License-Identifier: MIT */
/* netvsc_int.h — private structures of the guest NetVSC (netvsc.sys model). */
#ifndef SRIOVSIM_NETVSC_INT_H
#define SRIOVSIM_NETVSC_INT_H

#include "capture/capture.h"
#include "netvsc/netvsc.h"
#include "netvsp/nvsp_proto.h"

SIM_LOG_NS_DECLARE(netvsc);
SIM_ALLOC_TAG_DECLARE(netvsc);

struct netvsc_pending_comp {
    struct hv_vmbus_msg req;
    int32_t status;
};

/* Invariants: tx goes to the VF only while dp == NETVSC_DP_ON_VF and vf_binding != NULL;
 * switch_xid != 0 exactly while a SWITCH_DATA_PATH of ours awaits its completion. */
struct netvsc_adapter {
    char name[NETVSC_NAME_MAX];
    char where_syn[48], where_vf[48];
    struct hv_partition *guest;
    struct sim_sched *sched;
    uint32_t instance;
    uint8_t mac[6];
    bool has_drops;
    struct sim_drop_sink drops;
    struct netvsc_rx_ops rx;
    void *rx_ctx;
    struct netvsc_tx_ops tx;
    void *tx_ctx;
    struct netvsc_event_ops events;
    void *events_ctx;
    struct hv_vmbus_open_config open;
    sim_time_t takeover_ns;
    bool legacy_early_vf; /* config: the pre-2022 behaviour (netvsc.h) */
    bool driver_registered;
    /* Synthetic path. */
    struct hv_vmbus_channel *ch;
    struct hv_vmbus_ep *ep; /* while open */
    bool ready;             /* NVSP INIT completed */
    uint64_t next_xid;
    uint64_t init_xid;
    struct netvsc_pending_comp *comp;
    uint32_t comp_cap, comp_head, comp_count;
    struct cap_point *cap_syn, *cap_vf;
    /* Data-path state machine. */
    enum netvsc_dp_state dp;
    bool vf_alloc;
    uint32_t vf_serial;
    uint64_t switch_xid;    /* outstanding switch request (0: none) */
    uint32_t switch_to;     /* its target */
    bool going_down_wanted; /* a going-down is waiting to be sent (ring was full) */
    /* Comment for the capture: the first packet sent after a data-path switch is marked with
     * the event ("event=datapath-switch-to-vf"), so Wireshark shows where the path changed. */
    const char *tx_event_comment;
    struct sim_timer takeover_timer;
    struct sim_timer retry_timer;
    /* VF binding (protocol edge). */
    struct ndis_protocol *proto;
    struct ndis_binding *vf_binding; /* bound VF miniport (serial known or pending) */
    bool vf_serial_known;
    uint32_t vf_bound_serial;
    struct ndis_oid_request serial_req;
    struct ndis_sriov_vf_serial_number_info serial_info;
    struct ndis_nbl_pool *vf_pool;
    uint32_t vf_tx_out; /* NBLs at the VF miniport */
    /* VF TX buffers: one slot per NBL in guest memory (the VF miniport is zero copy: the
     * device DMAs from the guest buffer the NBL names). */
    uint64_t vf_buf_gpa;
    uint8_t *vf_buf;
    uint32_t *vf_slot_free;
    uint32_t vf_slot_top, vf_slots;
    uint32_t vf_nbls; /* staging NBLs to allocate when a VF binds */
    struct netvsc_adapter_stats stats;
};

/* adapter.c */
void netvsc__tap(struct netvsc_adapter *ad, struct cap_point *p, enum cap_dir dir,
                 uint64_t packet_id, const void *frame, uint32_t len, const char *comment);
/* Tap a transmitted frame, attaching (and consuming) the pending data-path event comment. */
void netvsc__tap_tx(struct netvsc_adapter *ad, struct cap_point *p, uint64_t packet_id,
                    const void *frame, uint32_t len);
void netvsc__deliver(struct netvsc_adapter *ad, const uint8_t *frame, uint32_t len,
                     uint64_t packet_id);
int netvsc__send_ctrl(struct netvsc_adapter *ad, uint16_t type, const void *payload, size_t len,
                      bool want_completion, uint64_t *xid_out);

/* datapath.c */
void netvsc__dp_set(struct netvsc_adapter *ad, enum netvsc_dp_state to);
void netvsc__on_association(struct netvsc_adapter *ad, const struct hv_vmbus_msg *m);
void netvsc__on_switch_completion(struct netvsc_adapter *ad, const struct hv_vmbus_msg *m);
void netvsc__vf_registered_check(struct netvsc_adapter *ad);
void netvsc__vf_lost(struct netvsc_adapter *ad);
/* The VF failed under us (surprise removal seen on the data path): leave it now. */
void netvsc__vf_failed(struct netvsc_adapter *ad);
void netvsc__dp_init(struct netvsc_adapter *ad);
void netvsc__dp_fini(struct netvsc_adapter *ad);

/* vf.c */
int netvsc__vf_init(struct netvsc_adapter *ad, uint32_t nbls, struct sim_diag *d);
void netvsc__vf_fini(struct netvsc_adapter *ad);
/* Send on the VF; 0, SIM_EAGAIN (no NBL), or an NDIS refusal (caller falls back). */
int netvsc__vf_xmit(struct netvsc_adapter *ad, const uint8_t *frame, uint32_t len,
                    uint64_t packet_id);
/* Send an upper layer's NBL chain on the VF as it is (zero copy); 0, or an NDIS refusal with
 * the chain still the caller's (held by the adapter). */
int netvsc__vf_send_nbls(struct netvsc_adapter *ad, struct ndis_nbl *chain);
/* protocol_reserved marker of an NBL that belongs to the layer above NetVSC. */
#define NETVSC_NBL_UPPER UINT32_MAX

#endif /* SRIOVSIM_NETVSC_INT_H */
