/* SPDX-License-Identifier: MIT */
/*
 * netvsc.h — the guest's NetVSC: the VM network adapter the guest's applications use, the
 * synthetic path over VMBus to the host's NetVSP, the VF association from the host, the binding
 * to the VF miniport (NetVSC is the only protocol allowed to bind one), and the data-path
 * switch protocol with completions.
 *
 * Windows counterpart: netvsc.sys in a Hyper-V guest (its Linux twin is hv_netvsc). It is both
 * a miniport (the "Microsoft Hyper-V Network Adapter" applications see) and a protocol edge
 * whose LowerRange "ndisvf" lets NDIS bind it — and only it — to the VF miniport, so the VF
 * stays invisible to applications and failover to the synthetic path stays possible.
 *
 * The data-path state machine (DESIGN.md "State machines worth drawing"), guest view:
 *
 *   SYNTHETIC --VF_ASSOCIATION(allocated)--> VF_ASSOCIATED --VF bound, serial matches-->
 *   VF_REGISTERED --takeover delay--> SWITCH_REQUESTED --completion OK--> ON_VF
 *   ON_VF --VF going down / unbound / association withdrawn--> GOING_DOWN
 *   GOING_DOWN --completion--> VF_RELEASED (synthetic; the VF may now be removed)
 *   VF_RELEASED --VF unbound--> VF_ASSOCIATED (or SYNTHETIC if the host withdrew the VF)
 *
 * TX goes to the VF only in ON_VF: traffic follows completed switches only, and leaves the VF
 * the moment the VF starts going away (before the switch back completes), so a graceful removal
 * loses nothing. RX from both paths reaches the same application endpoint. A VF that binds
 * before the host's association message (the 2022 Linux race) waits as "pending" and registers
 * when the association arrives.
 *
 * Threading: control plane (create/destroy, bind/unbind, going down, timers) on the loop thread.
 * The data path — netvsc_adapter_xmit, netvsc_adapter_poll, VMBus receive — belongs to one
 * "guest" thread (the loop thread in scenario mode, a bench thread in bench mode). On the VF
 * path that thread also owns the VF miniport's data path (NdisSendNetBufferLists, the send
 * completions and receive indications it triggers): in bench mode the guest thread polls both
 * NetVSC and the VF miniport, and no control-plane call runs while it does.
 */
#ifndef SRIOVSIM_NETVSC_H
#define SRIOVSIM_NETVSC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"
#include "ndis_shim/ndis_shim.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cap_registry;
struct netvsc_adapter;

/* Linux hv_netvsc's VF_TAKEOVER_INT (HZ/10): delay between the VF registering and the switch
 * request. */
#define NETVSC_VF_TAKEOVER_DELAY_NS SIM_MSEC(100)
#define NETVSC_VF_NBLS_DEFAULT      128u
/* Bytes in front of each VF TX frame for the miniport's own header (NDIS backfill). */
#define NETVSC_VF_BACKFILL 64u
#define NETVSC_FRAME_MAX   9216u
#define NETVSC_POLL_BUDGET 64u
#define NETVSC_NAME_MAX    32u

enum netvsc_dp_state {
    NETVSC_DP_SYNTHETIC = 0,    /* no VF known */
    NETVSC_DP_VF_ASSOCIATED,    /* the host named a VF (serial); not bound yet */
    NETVSC_DP_VF_REGISTERED,    /* the VF with that serial is bound; takeover delay running */
    NETVSC_DP_SWITCH_REQUESTED, /* SWITCH_DATA_PATH(VF) sent; TX still synthetic */
    NETVSC_DP_ON_VF,            /* switch completed: TX on the VF */
    NETVSC_DP_GOING_DOWN,       /* SWITCH_DATA_PATH(synthetic) sent; TX synthetic */
    NETVSC_DP_VF_RELEASED,      /* switch back completed; VF still bound, free to go */
};
const char *netvsc_dp_state_name(enum netvsc_dp_state s);

/* Where received frames go (the application endpoint: e.g. traffic_endpoint_rx). The frame is
 * valid only during the call. Guest thread. */
struct netvsc_rx_ops {
    void (*receive)(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id);
};

/* Send completion of the NBLs an upper layer handed down with netvsc_adapter_send_nbls (the
 * NdisMSendNetBufferListsComplete NetVSC's miniport edge gives the guest's protocol stack).
 * The chain's NBLs are held by the adapter's owner token (the adapter pointer) again, each with
 * its status. Guest thread. */
struct netvsc_tx_ops {
    void (*send_complete)(void *ctx, struct ndis_nbl *chain);
};

/* Control-plane notifications (loop thread). All optional. */
struct netvsc_event_ops {
    /* The data-path state changed. */
    void (*datapath)(void *ctx, struct netvsc_adapter *ad, enum netvsc_dp_state from,
                     enum netvsc_dp_state to);
    /* The host completed the switch back after netvsc_adapter_vf_going_down(): the VF carries
     * no TX and the host steers RX to synthetic; the guest may now unbind / halt it and
     * acknowledge the eject. */
    void (*vf_released)(void *ctx, struct netvsc_adapter *ad);
};

struct netvsc_adapter_config {
    const char *name; /* "vm1": capture points "<name>.synthetic", "<name>.vf" */
    struct hv_partition *guest;
    uint32_t instance; /* the channel instance to open */
    uint8_t mac[6];
    struct cap_registry *cap;          /* may be NULL */
    const struct sim_drop_sink *drops; /* may be NULL; copied */
    const struct netvsc_rx_ops *rx;    /* may be NULL (frames counted, dropped as no-route) */
    void *rx_ctx;
    const struct netvsc_event_ops *events; /* may be NULL */
    void *events_ctx;
    struct hv_vmbus_open_config open; /* ring/buffer sizes; zero ring_msgs: hv defaults */
    sim_time_t vf_takeover_delay_ns;  /* < 0: NETVSC_VF_TAKEOVER_DELAY_NS */
    uint32_t vf_nbls;                 /* 0: NETVSC_VF_NBLS_DEFAULT */
    /* true: behave as Linux hv_netvsc before its 2022 fix ("Fix race between VF offering and VF
     * association message from host"): a VF that bound before the host's association is not
     * registered when the association arrives, so it is never used. A teaching knob only. */
    bool legacy_early_vf;
};
/* Defaults: takeover delay -1 (default), hv's open defaults. */
void netvsc_adapter_config_init(struct netvsc_adapter_config *c);

struct netvsc_adapter_stats {
    uint64_t tx_synthetic, tx_vf; /* frames taken per path */
    uint64_t tx_busy;             /* refused: no section / ring space / VF NBL (back-pressure) */
    uint64_t tx_vf_fallback;      /* VF send refused by NDIS: sent synthetic instead */
    uint64_t tx_vf_failed;        /* VF sends completed with an error (the miniport reported
                                     the drop; NetVSC only counts it) */
    uint64_t rx_synthetic, rx_vf;
    uint64_t rx_no_app;            /* received with no application attached */
    uint64_t copies, bytes_copied; /* guest copies into send sections (synthetic TX) */
    /* netvsc_adapter_xmit on the VF path: the caller's transient frame staged into an NBL
     * buffer of NetVSC's own in guest memory (a software copy the zero-copy NBL path,
     * netvsc_adapter_send_nbls, does not make). */
    uint64_t vf_stage_copies, vf_stage_bytes;
    uint64_t tx_nbls, tx_nbls_completed; /* NBLs from netvsc_adapter_send_nbls / completed */
    uint64_t switch_requests, switch_completions, switch_failures;
    uint64_t associations; /* VF_ASSOCIATION messages received */
    uint64_t vf_binds, vf_unbinds, vf_serial_mismatch;
    uint64_t protocol_errors;
    uint64_t completion_retries;
};

/*
 * netvsc_adapter_create — load NetVSC for partition cfg->guest: registers the "netvsc" VMBus
 * driver (one adapter per partition), opens the channel when the host offers it, runs NVSP
 * INIT, creates the protocol edge (NDIS_PROTOCOL_CHAR_BINDS_VF) and the VF TX NBL pool.
 * Returns 0, SIM_EINVAL (reason in d), SIM_EEXIST (a netvsc driver is already registered in the
 * partition), SIM_ENOMEM. Loop thread.
 */
int netvsc_adapter_create(const struct netvsc_adapter_config *cfg, struct netvsc_adapter **out,
                          struct sim_diag *d);
/* Unload: closes the channel (frames in it are reported by hv), unregisters the driver. The VF
 * binding must be gone (SIM_EBUSY otherwise; nothing done). NULL returns 0. Loop thread. */
int netvsc_adapter_destroy(struct netvsc_adapter *ad);

/* The application's transmit (signature of traffic_port_ops.xmit; ctx = the adapter).
 * Returns 0 (taken: delivered or its drop reported), SIM_EAGAIN (back-pressure: not taken),
 * SIM_ESTATE (channel not ready), SIM_EINVAL. Guest thread. */
int netvsc_adapter_xmit(void *ad, const uint8_t *frame, uint32_t len, uint64_t packet_id);
/*
 * netvsc_adapter_send_nbls — MiniportSendNetBufferLists of the VM network adapter: the guest's
 * protocol stack hands down NBLs (one NET_BUFFER each) whose frames it built in guest memory,
 * with at least NETVSC_VF_BACKFILL bytes of backfill in front (data_offset). The NBLs are held
 * by the owner token `ad` (transfer them to the adapter first when their pool tracks owners).
 *   On the VF path (ON_VF) the same NBLs go down to the VF miniport: zero copy, the device
 *   DMAs the frame from the application's buffer; they complete through tx ops later.
 *   On the synthetic path each frame is copied into a send-buffer section (the copy that path
 *   pays) and its NBL completes before this call returns.
 * NBLs the adapter could not take now (no section / ring room: back-pressure, never a loss)
 * are left in *rest, in order (NULL when all were taken). Returns 0; SIM_ESTATE (channel not
 * ready: nothing taken, *rest = chain); SIM_EINVAL (NULL argument, an NBL with other than one
 * NET_BUFFER or a bad length: nothing taken). Guest thread.
 */
int netvsc_adapter_send_nbls(struct netvsc_adapter *ad, struct ndis_nbl *chain,
                             struct ndis_nbl **rest);
/* Where NBLs of netvsc_adapter_send_nbls complete (NULL ops: nowhere — do not send NBLs). */
void netvsc_adapter_set_tx(struct netvsc_adapter *ad, const struct netvsc_tx_ops *tx, void *ctx);
/* Guest data path: receive up to budget VMBus messages, retry completions. Guest thread. */
unsigned netvsc_adapter_poll(struct netvsc_adapter *ad, unsigned budget);
/* Attach / replace the application endpoint. */
void netvsc_adapter_set_rx(struct netvsc_adapter *ad, const struct netvsc_rx_ops *rx, void *ctx);

/* The protocol NDIS binds to the VF miniport (ndis_bind(netvsc_adapter_protocol(ad), vf, ...)). */
struct ndis_protocol *netvsc_adapter_protocol(const struct netvsc_adapter *ad);
/*
 * netvsc_adapter_vf_going_down — the VF is about to go away (VPCI eject request, NETDEV_GOING_
 * DOWN): TX leaves the VF now; SWITCH_DATA_PATH(synthetic) is sent; vf_released runs when the
 * host completes it (at once if the data path never reached the VF). Returns 0, SIM_ESTATE
 * (no VF bound), SIM_EAGAIN (ring full: retry). Loop thread.
 */
int netvsc_adapter_vf_going_down(struct netvsc_adapter *ad);

enum netvsc_dp_state netvsc_adapter_dp_state(const struct netvsc_adapter *ad);
bool netvsc_adapter_is_ready(const struct netvsc_adapter *ad); /* NVSP INIT completed */
/* VF association from the host: true with *serial if a VF is allocated. */
bool netvsc_adapter_vf_association(const struct netvsc_adapter *ad, uint32_t *serial);
void netvsc_adapter_stats(const struct netvsc_adapter *ad, struct netvsc_adapter_stats *out);
struct hv_vmbus_channel *netvsc_adapter_channel(const struct netvsc_adapter *ad);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_NETVSC_H */
