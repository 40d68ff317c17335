/* SPDX-License-Identifier: MIT */
/*
 * registry.c — the traffic registry of one simulated world: scheduler, packet-id allocation,
 * the ring of recent packet ids (packet id -> flow, kind, seq), flows by id, endpoints.
 *
 * Windows counterpart: none; this is the test harness's view of "all the applications".
 *
 * Packet-id attribution: every packet a flow sends is recorded in a ring of 2^id_ring_order
 * entries indexed by packet_id & mask. A drop reported without its frame is charged to the
 * entry whose packet_id matches exactly; once 2^id_ring_order newer packets have been sent (by
 * this registry, under a shared allocator possibly fewer) the entry may be overwritten and such
 * a drop becomes unattributed. Drops reported with their frame never need the ring.
 */
#include "traffic/traffic_int.h"

SIM_LOG_NS_DEFINE(traffic);
SIM_ALLOC_TAG_DEFINE(traffic_registry);

int
traffic_registry_create(const struct traffic_registry_config *cfg, struct traffic_registry **out,
                        struct sim_diag *d)
{
    if (cfg == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "traffic registry: NULL argument");
    if (cfg->sched == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "traffic registry: no scheduler given");
    uint32_t order = cfg->id_ring_order ? cfg->id_ring_order : 16;
    if (order > 24)
        return sim_diag_fail(d, SIM_EINVAL, "traffic registry: id_ring_order %u > 24", order);
    struct traffic_registry *r = sim_calloc(SIM_TAG(traffic_registry), 1, sizeof *r);
    if (r == NULL)
        goto fail_nomem;
    r->sched = cfg->sched;
    r->packet_id_next = cfg->packet_id_next;
    r->packet_id_ctx = cfg->packet_id_ctx;
    sim_prng_init(&r->prng, cfg->seed);
    r->max_flows = cfg->max_flows ? cfg->max_flows : 256;
    r->max_endpoints = cfg->max_endpoints ? cfg->max_endpoints : 64;
    r->next_flow_id = 1;
    r->flows = sim_calloc(SIM_TAG(traffic_registry), r->max_flows, sizeof *r->flows);
    if (r->flows == NULL)
        goto fail_free_reg;
    r->endpoints = sim_calloc(SIM_TAG(traffic_registry), r->max_endpoints, sizeof *r->endpoints);
    if (r->endpoints == NULL)
        goto fail_free_flows;
    r->id_mask = (UINT64_C(1) << order) - 1;
    r->ids = sim_calloc(SIM_TAG(traffic_registry), (size_t)r->id_mask + 1, sizeof *r->ids);
    if (r->ids == NULL)
        goto fail_free_endpoints;
    r->sink.drop = traffic__drop_cb;
    r->sink.ctx = r;
    *out = r;
    return 0;

fail_free_endpoints:
    sim_free(r->endpoints);
fail_free_flows:
    sim_free(r->flows);
fail_free_reg:
    sim_free(r);
fail_nomem:
    return sim_diag_fail(d, SIM_ENOMEM, "traffic registry: out of memory");
}

void
traffic_registry_destroy(struct traffic_registry *r)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < r->max_flows; i++)
        traffic_flow_destroy(r->flows[i]);
    for (uint32_t i = 0; i < r->max_endpoints; i++)
        traffic_endpoint_destroy(r->endpoints[i]);
    sim_free(r->ids);
    sim_free(r->endpoints);
    sim_free(r->flows);
    sim_free(r);
}

struct sim_sched *
traffic_registry_sched(const struct traffic_registry *r)
{
    return r->sched;
}

uint64_t
traffic_registry_packet_id_next(struct traffic_registry *r)
{
    r->st.packet_ids++;
    if (r->packet_id_next != NULL)
        return r->packet_id_next(r->packet_id_ctx);
    return ++r->own_packet_id;
}

const struct sim_drop_sink *
traffic_registry_drop_sink(struct traffic_registry *r)
{
    return &r->sink;
}

struct traffic_flow *
traffic_registry_flow(const struct traffic_registry *r, uint32_t flow_id)
{
    if (r == NULL || flow_id == 0 || flow_id > r->max_flows)
        return NULL;
    return r->flows[flow_id - 1];
}

void
traffic_registry_stats(const struct traffic_registry *r, struct traffic_registry_stats *out)
{
    *out = r->st;
    out->flows = 0;
    out->endpoints = 0;
    for (uint32_t i = 0; i < r->max_flows; i++)
        out->flows += r->flows[i] != NULL;
    for (uint32_t i = 0; i < r->max_endpoints; i++)
        out->endpoints += r->endpoints[i] != NULL;
}

uint64_t
traffic__packet_id(struct traffic_registry *r, uint32_t flow_id, enum traffic__pkt_kind kind,
                   uint64_t seq)
{
    uint64_t id = traffic_registry_packet_id_next(r);
    struct traffic__id_entry *e = &r->ids[id & r->id_mask];
    e->packet_id = id;
    e->seq = seq;
    e->flow_id = flow_id;
    e->kind = kind;
    return id;
}

const struct traffic__id_entry *
traffic__id_lookup(const struct traffic_registry *r, uint64_t packet_id)
{
    if (packet_id == 0)
        return NULL;
    const struct traffic__id_entry *e = &r->ids[packet_id & r->id_mask];
    return e->packet_id == packet_id ? e : NULL;
}

/* Find the TCP flow a headerless segment belongs to, and its direction. Linear over flows: only
 * drop reports of control segments come here. */
struct traffic_flow *
traffic__flow_by_ports(const struct traffic_registry *r, uint8_t proto, uint32_t src_ip,
                       uint16_t src_port, uint32_t dst_ip, uint16_t dst_port,
                       enum traffic__pkt_kind *kind)
{
    for (uint32_t i = 0; i < r->max_flows; i++) {
        struct traffic_flow *f = r->flows[i];
        if (f == NULL)
            continue;
        uint8_t fp = f->kind == TRAFFIC_FLOW_TCP ? TRAFFIC_PROTO_TCP : TRAFFIC_PROTO_UDP;
        if (fp != proto)
            continue;
        if (src_ip == f->src->ip && src_port == f->cfg.src_port && dst_ip == f->dst->ip &&
            dst_port == f->cfg.dst_port) {
            *kind = TRAFFIC__PKT_CTL_FWD;
            return f;
        }
        if (src_ip == f->dst->ip && src_port == f->cfg.dst_port && dst_ip == f->src->ip &&
            dst_port == f->cfg.src_port) {
            *kind = TRAFFIC__PKT_CTL_REV;
            return f;
        }
    }
    return NULL;
}
