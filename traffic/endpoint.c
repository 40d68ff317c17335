/* SPDX-License-Identifier: MIT */
/*
 * endpoint.c — an application host: MAC, IPv4 address, the data path it sends through (an ops
 * table supplied by NetVSC's VM adapter or a wire port) and the demultiplexer that hands
 * received frames to the flow bound to their protocol and port.
 *
 * Windows counterpart: the guest's (or the peer's) TCP/IP stack above its NIC — the part that
 * accepts a frame for its own addresses and finds the socket for its port. A frame for another
 * host is what a NIC's receive filter would have refused (reported as no-filter-match); a frame
 * for a port nobody listens on is reported as no-route.
 */
#include "traffic/traffic_int.h"

SIM_ALLOC_TAG_DEFINE(traffic_endpoint);

int
traffic_endpoint_create(struct traffic_registry *reg, const struct traffic_endpoint_config *cfg,
                        struct traffic_endpoint **out, struct sim_diag *d)
{
    if (reg == NULL || cfg == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "traffic endpoint: NULL argument");
    if (cfg->name == NULL || cfg->name[0] == '\0')
        return sim_diag_fail(d, SIM_EINVAL, "traffic endpoint: a name is required");
    if (strlen(cfg->name) >= TRAFFIC__NAME_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "traffic endpoint %s: name longer than %u bytes",
                             cfg->name, TRAFFIC__NAME_MAX - 1);
    if (cfg->mac[0] & 1)
        return sim_diag_fail(d, SIM_EINVAL, "traffic endpoint %s: MAC is a multicast address",
                             cfg->name);
    if (cfg->ipv4 == 0 || cfg->ipv4 == UINT32_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "traffic endpoint %s: IPv4 address 0x%08x unusable",
                             cfg->name, cfg->ipv4);
    uint32_t slot = UINT32_MAX;
    for (uint32_t i = 0; i < reg->max_endpoints; i++) {
        struct traffic_endpoint *e = reg->endpoints[i];
        if (e == NULL) {
            if (slot == UINT32_MAX)
                slot = i;
            continue;
        }
        if (strcmp(e->name, cfg->name) == 0)
            return sim_diag_fail(d, SIM_EEXIST, "traffic endpoint %s: name already used",
                                 cfg->name);
        if (e->ip == cfg->ipv4)
            return sim_diag_fail(d, SIM_EEXIST,
                                 "traffic endpoint %s: IPv4 address already used by %s", cfg->name,
                                 e->name);
    }
    if (slot == UINT32_MAX)
        return sim_diag_fail(d, SIM_ENOSPC, "traffic endpoint %s: registry full (%u endpoints)",
                             cfg->name, reg->max_endpoints);
    struct traffic_endpoint *ep = sim_calloc(SIM_TAG(traffic_endpoint), 1, sizeof *ep);
    if (ep == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "traffic endpoint %s: out of memory", cfg->name);
    ep->reg = reg;
    snprintf(ep->name, sizeof ep->name, "%s", cfg->name);
    snprintf(ep->where_rx, sizeof ep->where_rx, "%s rx", cfg->name);
    memcpy(ep->mac, cfg->mac, 6);
    ep->ip = cfg->ipv4;
    ep->ops = cfg->ops;
    ep->ops_ctx = cfg->ops_ctx;
    ep->slot = slot;
    reg->endpoints[slot] = ep;
    *out = ep;
    return 0;
}

int
traffic_endpoint_destroy(struct traffic_endpoint *ep)
{
    if (ep == NULL)
        return 0;
    if (ep->nbindings > 0)
        return SIM_EBUSY;
    ep->reg->endpoints[ep->slot] = NULL;
    sim_free(ep);
    return 0;
}

void
traffic_endpoint_connect(struct traffic_endpoint *ep, const struct traffic_port_ops *ops, void *ctx)
{
    ep->ops = ops;
    ep->ops_ctx = ctx;
}

const char *
traffic_endpoint_name(const struct traffic_endpoint *ep)
{
    return ep->name;
}

void
traffic_endpoint_stats(const struct traffic_endpoint *ep, struct traffic_endpoint_stats *out)
{
    *out = ep->st;
}

int
traffic__endpoint_bind(struct traffic_endpoint *ep, struct traffic_flow *f, uint8_t proto,
                       uint16_t port, enum traffic__role role, struct sim_diag *d)
{
    for (uint32_t i = 0; i < ep->nbindings; i++) {
        const struct traffic__binding *b = &ep->bindings[i];
        if (b->proto == proto && b->port == port)
            return sim_diag_fail(d, SIM_EEXIST, "endpoint %s: %s port %u already bound by %s",
                                 ep->name, proto == TRAFFIC_PROTO_TCP ? "TCP" : "UDP",
                                 (unsigned)port, b->flow->name);
    }
    if (ep->nbindings == TRAFFIC__BINDINGS_MAX)
        return sim_diag_fail(d, SIM_ENOSPC, "endpoint %s: more than %u ports bound", ep->name,
                             TRAFFIC__BINDINGS_MAX);
    ep->bindings[ep->nbindings++] =
        (struct traffic__binding){.flow = f, .port = port, .proto = proto, .role = (uint8_t)role};
    return 0;
}

void
traffic__endpoint_unbind(struct traffic_endpoint *ep, struct traffic_flow *f)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < ep->nbindings; i++)
        if (ep->bindings[i].flow != f)
            ep->bindings[j++] = ep->bindings[i];
    ep->nbindings = j;
}

int
traffic__endpoint_xmit(struct traffic_endpoint *ep, const uint8_t *frame, uint32_t len,
                       uint64_t packet_id)
{
    if (SIM_UNLIKELY(ep->ops == NULL || ep->ops->xmit == NULL)) {
        ep->st.tx_refused++;
        return SIM_ENODEV;
    }
    int rc = ep->ops->xmit(ep->ops_ctx, frame, len, packet_id);
    if (rc < 0)
        ep->st.tx_refused++;
    else
        ep->st.tx_frames++;
    return rc < 0 ? rc : 0;
}

int
traffic_endpoint_rx(struct traffic_endpoint *ep, const uint8_t *frame, uint32_t len)
{
    ep->st.rx_frames++;
    struct traffic_frame_info fi;
    if (traffic_frame_parse(frame, len, TRAFFIC_PARSE_VERIFY_IP, &fi, NULL) < 0) {
        ep->st.rx_malformed++;
        return SIM_EPARSE;
    }
    const struct sim_drop_sink *sink = &ep->reg->sink;
    bool bcast = (fi.dst_mac[0] & fi.dst_mac[1] & fi.dst_mac[2] & fi.dst_mac[3] & fi.dst_mac[4] &
                  fi.dst_mac[5]) == 0xff;
    if ((!bcast && memcmp(fi.dst_mac, ep->mac, 6) != 0) || fi.dst_ip != ep->ip) {
        ep->st.rx_not_ours++;
        sim_drop_report(sink, SIM_DROP_NO_FILTER_MATCH, ep->where_rx,
                        fi.has_hdr ? fi.hdr.packet_id : 0, frame, len);
        return SIM_ENOENT;
    }
    for (uint32_t i = 0; i < ep->nbindings; i++) {
        const struct traffic__binding *b = &ep->bindings[i];
        if (b->proto != fi.proto || b->port != fi.dst_port)
            continue;
        if (b->flow->kind == TRAFFIC_FLOW_DGRAM)
            traffic__dgram_rx(b->flow, &fi);
        else
            traffic__tcp_rx(b->flow, (enum traffic__role)b->role, &fi);
        return 0;
    }
    ep->st.rx_no_flow++;
    sim_drop_report(sink, SIM_DROP_NO_ROUTE, ep->where_rx, fi.has_hdr ? fi.hdr.packet_id : 0, frame,
                    len);
    return SIM_ENOENT;
}
