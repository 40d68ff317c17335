/* SPDX-License-Identifier: MIT */
/* netvsp_int.h — private structures of the extensible switch / NetVSP (vmswitch.sys model). */
#ifndef SRIOVSIM_NETVSP_INT_H
#define SRIOVSIM_NETVSP_INT_H

#include "capture/capture.h"
#include "ndis_shim/ndis_shim.h"
#include "netvsp/netvsp.h"
#include "netvsp/nvsp_proto.h"

SIM_LOG_NS_DECLARE(netvsp);
SIM_ALLOC_TAG_DECLARE(netvsp);

#define NETVSP_HEADROOM 4u /* room to insert an 802.1Q tag in the switch's own copy */
#define NETVSP_ETH_HLEN 14u
#define NETVSP_TPID     0x8100u

/* A completion that found the host->guest ring full, retried at the next poll. */
struct netvsp_pending_comp {
    struct hv_vmbus_msg req;
    int32_t status;
};

/* Invariant: a port is in sw->ports[number] exactly while it exists; ch is non-NULL. */
struct netvsp_port {
    struct netvsp_switch *sw;
    uint32_t number;
    char where[48]; /* "h1.sw.port1" for drop reports */
    uint8_t mac[6];
    struct netvsp_port_policy policy;
    struct netvsp_port_ops ops;
    void *ops_ctx;
    struct hv_vmbus_channel *ch;
    struct hv_vmbus_ep *ep; /* host endpoint while open, else NULL */
    struct cap_point *cap;
    bool ready; /* NVSP INIT done */
    uint32_t datapath;
    uint32_t vmq_vport;
    /* VF association to (re)send after INIT. */
    bool assoc_valid, assoc_allocated, assoc_pending;
    uint32_t assoc_serial;
    /* SWITCH_DATA_PATH in progress (one at a time). */
    bool switch_pending;
    uint32_t switch_to;
    struct hv_vmbus_msg switch_req;
    struct sim_timer switch_timer;
    /* Completions waiting for ring space (FIFO ring of comp_cap entries). */
    struct netvsp_pending_comp *comp;
    uint32_t comp_cap, comp_head, comp_count;
    struct netvsp_port_stats stats;
};

struct netvsp_switch {
    char name[NETVSP_NAME_MAX];
    char ext_where[48];
    struct sim_sched *sched;
    struct cap_registry *capreg;
    struct cap_point *ext_cap;
    bool has_drops;
    struct sim_drop_sink drops;
    bool has_uplink;
    struct netvsp_uplink_ops uplink;
    void *uplink_ctx;
    struct ndis_nbl_pool *pool;
    /* External port bound to a NIC miniport through NDIS (uplink.c). */
    struct ndis_protocol *proto;
    struct ndis_binding *nic;
    struct ndis_nbl_pool *tx_pool;
    uint32_t tx_nbls;
    /* Cost model (scenario mode). */
    sim_time_t cost_frame_ns;
    uint32_t cost_byte_ps;
    sim_time_t busy_until;
    struct sim_timer cost_timer;
    uint32_t rr; /* next port to serve */
    struct netvsp_port *ports[NETVSP_PORTS_MAX];
    /* Slots [0, port_span) may hold ports; the per-packet loops stop there, so a switch with a
     * few VMs pays for a few, not for NETVSP_PORTS_MAX. */
    uint32_t port_span;
    uint32_t nports;
    struct netvsp_switch_stats stats;
};

/* forward.c */
void netvsp__drop(struct netvsp_switch *sw, struct netvsp_port *port, enum sim_drop_cause cause,
                  const char *where, uint64_t packet_id, const void *frame, uint32_t len);
/* A frame from VM port src (NULL: from the wire, with vport_id) enters the switch. */
void netvsp__switch_frame(struct netvsp_switch *sw, struct netvsp_port *src, const uint8_t *frame,
                          uint32_t len, uint64_t packet_id, uint32_t vport_id);
void netvsp__tap(struct netvsp_switch *sw, struct cap_point *p, enum cap_dir dir,
                 uint64_t packet_id, const void *frame, uint32_t len);

/* uplink.c */
int netvsp__wire_send(struct netvsp_switch *sw, const uint8_t *frame, uint32_t len,
                      uint64_t packet_id);
bool netvsp__has_wire(const struct netvsp_switch *sw);
void netvsp__uplink_fini(struct netvsp_switch *sw);

/* port.c */
unsigned netvsp__port_poll(struct netvsp_port *port, unsigned budget);
/* Scenario mode with a cost model: serve the ports' rings one frame at a time while the switch
 * CPU is free; re-arm for when it is free again. */
void netvsp__cost_run(struct netvsp_switch *sw);
void netvsp__port_fini_all(struct netvsp_switch *sw);

#endif /* SRIOVSIM_NETVSP_INT_H */
