/* SPDX-License-Identifier: MIT */
/*
 * world.c — the simulated world: the virtual scheduler, the capture registry (run-wide packet
 * ids), the traffic registry, the drop sink every layer reports to, the NDIS trace shared by
 * every miniport, the one namespace of objects, and the wire (LAN segments joining PF physical
 * ports and external peers, with serialisation and latency on the virtual clock).
 *
 * Windows / Hyper-V counterpart: none; this is the data centre around the hosts: the cables,
 * the top-of-rack switch (a segment delivers by MAC), the machines outside (peers).
 */
#include <inttypes.h>
#include <string.h>

#include "vstack/vstack_int.h"

SIM_LOG_NS_DEFINE(vstack);
SIM_ALLOC_TAG_DEFINE(vstack);

/* ---- small helpers ------------------------------------------------------------------------ */
int
vs__push(void ***arr, size_t *n, void *obj)
{
    void **na = sim_realloc(SIM_TAG(vstack), *arr, (*n + 1) * sizeof *na);
    if (na == NULL)
        return SIM_ENOMEM;
    na[*n] = obj;
    *arr = na;
    (*n)++;
    return 0;
}

int
vs__name_check(const char *name, struct sim_diag *d, const char *what)
{
    if (name == NULL || name[0] == '\0')
        return sim_diag_fail(d, SIM_EINVAL, "%s: missing name", what);
    if (strlen(name) >= VSTACK_NAME_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "%s %s: name longer than %u bytes", what, name,
                             VSTACK_NAME_MAX - 1);
    return 0;
}

#define FIND(arr, n, nm)                                                                           \
    do {                                                                                           \
        if ((nm) == NULL)                                                                          \
            return NULL;                                                                           \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            if (strcmp((arr)[i_]->name, (nm)) == 0)                                                \
                return (arr)[i_];                                                                  \
        return NULL;                                                                               \
    } while (0)

struct vs_host *
vs__host(const struct vstack_world *w, const char *name)
{
    FIND(w->hosts, w->n_hosts, name);
}
struct pcie_fabric *
vstack_host_fabric(const struct vstack_world *w, const char *host)
{
    const struct vs_host *h = host != NULL ? vs__host(w, host) : w->n_hosts ? w->hosts[0] : NULL;
    return h != NULL ? h->fabric : NULL;
}

struct vs_pf *
vs__pf(const struct vstack_world *w, const char *name)
{
    FIND(w->pfs, w->n_pfs, name);
}
struct vs_switch *
vs__switch(const struct vstack_world *w, const char *name)
{
    FIND(w->sws, w->n_sws, name);
}
struct vs_vm *
vs__vm(const struct vstack_world *w, const char *name)
{
    FIND(w->vms, w->n_vms, name);
}
struct vs_peer *
vs__peer(const struct vstack_world *w, const char *name)
{
    FIND(w->peers, w->n_peers, name);
}
struct vs_flow *
vs__flow(const struct vstack_world *w, const char *name)
{
    FIND(w->flows, w->n_flows, name);
}

struct vs_vf *
vs__vf(const struct vstack_world *w, const char *name)
{
    if (name == NULL)
        return NULL;
    const char *dot = strrchr(name, '.');
    if (dot == NULL || strncmp(dot, ".vf", 3) != 0)
        return NULL;
    char pfname[VSTACK_NAME_MAX];
    size_t n = (size_t)(dot - name);
    if (n >= sizeof pfname)
        return NULL;
    memcpy(pfname, name, n);
    pfname[n] = '\0';
    struct vs_pf *pf = vs__pf(w, pfname);
    if (pf == NULL)
        return NULL;
    const char *p = dot + 3;
    if (*p == '\0')
        return NULL;
    unsigned long idx = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || idx > 1000)
            return NULL;
        idx = idx * 10 + (unsigned long)(*p - '0');
    }
    if (idx >= pf->total_vfs)
        return NULL;
    return &pf->vfs[idx];
}

struct vs_vm *
vs__vm_by_mac(const struct vstack_world *w, const uint8_t mac[6])
{
    for (size_t i = 0; i < w->n_vms; i++)
        if (memcmp(w->vms[i]->mac, mac, 6) == 0)
            return w->vms[i];
    return NULL;
}

bool
vs__name_taken(const struct vstack_world *w, const char *name)
{
    return vs__host(w, name) || vs__pf(w, name) || vs__switch(w, name) || vs__vm(w, name) ||
           vs__peer(w, name) || vs__flow(w, name);
}

/* A locally administered unicast MAC derived from a name (FNV-1a): prefix 02:<p>:... */
void
vs__derive_mac(const char *name, uint8_t prefix, uint8_t mac[6])
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    mac[0] = 0x02;
    mac[1] = prefix;
    mac[2] = (uint8_t)(h >> 24);
    mac[3] = (uint8_t)(h >> 16);
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}

/* ---- drops -------------------------------------------------------------------------------- */
static void
world_drop(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t packet_id,
           const void *frame, uint32_t len)
{
    struct vstack_world *w = ctx;
    if ((unsigned)cause < SIM_DROP_CAUSE_COUNT)
        w->drops[cause]++;
    SIM_TRACE(vstack, "drop %s at %s id=%" PRIu64, sim_drop_cause_name(cause), where, packet_id);
    sim_drop_report(w->traffic_sink, cause, where, packet_id, frame, len);
}

void
vs__drop(struct vstack_world *w, enum sim_drop_cause cause, const char *where, uint64_t id,
         const void *frame, uint32_t len)
{
    world_drop(w, cause, where, id, frame, len);
}

const struct sim_drop_sink *
vstack_world_drop_sink(const struct vstack_world *w)
{
    return &w->sink;
}

void
vstack_world_drops(const struct vstack_world *w, uint64_t out[SIM_DROP_CAUSE_COUNT])
{
    memcpy(out, w->drops, sizeof w->drops);
}

/* ---- the wire ----------------------------------------------------------------------------- */
static void station_timer(struct sim_timer *t);

int
vs__station_init(struct vstack_world *w, struct vs_station *st, bool is_peer, void *owner,
                 const char *cap_name, struct sim_diag *d)
{
    memset(st, 0, sizeof *st);
    st->w = w;
    st->is_peer = is_peer;
    st->owner = owner;
    st->segment = w->next_segment++;
    st->rate_bps = (uint64_t)w->cost[VS_COST_LINK_RATE];
    st->latency = w->cost[VS_COST_LINK_LATENCY];
    st->q_cap = (uint32_t)w->cost[VS_LIMIT_WIRE_QUEUE];
    st->q = sim_calloc(SIM_TAG(vstack), st->q_cap, sizeof *st->q);
    if (st->q == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "%s: no memory for the wire queue", cap_name);
    sim_timer_init(w->sched, &st->tm, station_timer, st);
    int rc = cap_point_create(
        w->cap, cap_name,
        is_peer ? "external peer on the wire" : "physical port of the PF (wire side)", &st->cap, d);
    if (rc != 0) {
        sim_free(st->q);
        st->q = NULL;
        return rc;
    }
    return 0;
}

void
vs__station_fini(struct vs_station *st)
{
    if (st->w == NULL)
        return;
    sim_timer_stop(&st->tm);
    cap_point_destroy(st->cap);
    st->cap = NULL;
    sim_free(st->q);
    st->q = NULL;
    st->w = NULL;
}

static const char *
station_name(const struct vs_station *st)
{
    return st->is_peer ? ((const struct vs_peer *)st->owner)->name
                       : ((const struct vs_pf *)st->owner)->name;
}

void
vs__wire_send(struct vs_station *src, const uint8_t *frame, uint32_t len, uint64_t packet_id,
              sim_time_t at)
{
    struct vstack_world *w = src->w;
    if (len > VS_WIRE_SLOT || src->q_count == src->q_cap) {
        /* The drop point's name is formatted only here: this runs for every frame on the wire. */
        char where[VSTACK_NAME_MAX + 8];
        snprintf(where, sizeof where, "%s.wire", station_name(src));
        vs__drop(w, len > VS_WIRE_SLOT ? SIM_DROP_MTU : SIM_DROP_RING_FULL, where, packet_id, frame,
                 len);
        return;
    }
    sim_time_t due = at + src->latency;
    if (src->q_count > 0) {
        const struct vs_wire_slot *last = &src->q[(src->q_head + src->q_count - 1) % src->q_cap];
        if (due < last->due)
            due = last->due;
    }
    struct vs_wire_slot *s = &src->q[(src->q_head + src->q_count) % src->q_cap];
    s->due = due;
    s->packet_id = packet_id;
    s->len = len;
    memcpy(s->frame, frame, len);
    src->q_count++;
    if (src->q_count == 1)
        (void)sim_timer_start_at(&src->tm, due);
}

static bool
pf_owns_mac(const struct vs_pf *pf, const uint8_t *mac)
{
    struct vs_vm *vm = vs__vm_by_mac(pf->host->w, mac);
    return vm != NULL && vm->sw != NULL && vm->sw->uplink == pf && vm->host == pf->host;
}

static void
deliver(struct vs_station *src, struct vs_station *dst, const struct vs_wire_slot *s)
{
    if (dst->is_peer) {
        struct vs_peer *p = dst->owner;
        cap_tap(dst->cap, sim_sched_now(src->w->sched), CAP_DIR_IN, s->packet_id, CAP_QUEUE_NONE,
                s->frame, s->len);
        (void)traffic_endpoint_rx(p->ep, s->frame, s->len);
    } else {
        vs__pf_wire_rx(dst->owner, s->frame, s->len, s->packet_id);
    }
}

/* All stations of the world on a segment, in creation order (PFs, then peers). */
static void
route(struct vs_station *src, const struct vs_wire_slot *s)
{
    struct vstack_world *w = src->w;
    const uint8_t *dmac = s->frame;
    bool bcast = (dmac[0] & 1) != 0;
    bool any = false;
    for (size_t i = 0; i < w->n_peers; i++) {
        struct vs_station *st = &w->peers[i]->st;
        if (st == src || st->segment != src->segment)
            continue;
        if (bcast || memcmp(w->peers[i]->mac, dmac, 6) == 0) {
            deliver(src, st, s);
            any = true;
            if (!bcast)
                return;
        }
    }
    for (size_t i = 0; i < w->n_pfs; i++) {
        struct vs_station *st = &w->pfs[i]->st;
        if (st == src || st->segment != src->segment || st->w == NULL)
            continue;
        if (bcast || pf_owns_mac(w->pfs[i], dmac)) {
            deliver(src, st, s);
            any = true;
            if (!bcast)
                return;
        }
    }
    if (!any && !bcast) {
        char where[VSTACK_NAME_MAX + 8];
        snprintf(where, sizeof where, "%s.wire", station_name(src));
        vs__drop(w, SIM_DROP_NO_ROUTE, where, s->packet_id, s->frame, s->len);
    }
}

static void
station_timer(struct sim_timer *t)
{
    struct vs_station *st = t->data;
    sim_time_t now = sim_sched_now(st->w->sched);
    while (st->q_count > 0) {
        struct vs_wire_slot *s = &st->q[st->q_head];
        if (s->due > now) {
            (void)sim_timer_start_at(&st->tm, s->due);
            return;
        }
        st->q_head = (st->q_head + 1) % st->q_cap;
        st->q_count--;
        route(st, s); /* the slot stays intact until a later send reuses it */
    }
}

/* ---- peers -------------------------------------------------------------------------------- */
static int
peer_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct vs_peer *p = ctx;
    struct vs_station *st = &p->st;
    sim_time_t now = sim_sched_now(st->w->sched);
    sim_time_t start = st->busy_until > now ? st->busy_until : now;
    sim_time_t ser =
        (sim_time_t)(((uint64_t)(len + NIC_WIRE_OVERHEAD_BYTES) * 8u * UINT64_C(1000000000)) /
                     (st->rate_bps ? st->rate_bps : 1));
    st->busy_until = start + ser;
    cap_tap(st->cap, now, CAP_DIR_OUT, packet_id, CAP_QUEUE_NONE, frame, len);
    vs__wire_send(st, frame, len, packet_id, st->busy_until);
    return 0;
}

static const struct traffic_port_ops peer_ops = {.xmit = peer_xmit};

int
vstack_send_raw(struct vstack_world *w, const char *from, const uint8_t *frame, uint32_t len,
                struct sim_diag *d)
{
    if (w == NULL || from == NULL || frame == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "send-raw: world, sender and frame are required");
    if (len < 14 || len > 1514)
        return sim_diag_fail(d, SIM_EINVAL, "send-raw %s: a %u-byte frame is outside 14..1514",
                             from, len);
    uint64_t id = cap_packet_id_next(w->cap);
    struct vs_peer *p = vs__peer(w, from);
    if (p != NULL)
        return peer_xmit(p, frame, len, id);
    struct vs_vm *vm = vs__vm(w, from);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "send-raw: no VM or peer %s", from);
    if (vm->paused || vm->ad == NULL)
        return sim_diag_fail(d, SIM_EAGAIN, "send-raw %s: the VM is not running", from);
    int rc = netvsc_adapter_xmit(vm->ad, frame, len, id);
    if (rc != 0)
        return sim_diag_fail(d, rc, "send-raw %s: NetVSC refused the frame (%s)", from,
                             sim_err_name(rc));
    return 0;
}

void
vstack_peer_config_init(struct vstack_peer_config *c)
{
    memset(c, 0, sizeof *c);
}

int
vstack_peer_add(struct vstack_world *w, const char *name, const struct vstack_peer_config *cfg,
                struct sim_diag *d)
{
    int rc = vs__name_check(name, d, "peer");
    if (rc != 0)
        return rc;
    if (cfg == NULL || cfg->sw == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "peer %s: on= (a switch) is required", name);
    if (vs__name_taken(w, name))
        return sim_diag_fail(d, SIM_EEXIST, "peer %s: the name is already used", name);
    struct vs_switch *sw = vs__switch(w, cfg->sw);
    if (sw == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "peer %s: no switch %s", name, cfg->sw);
    if (sw->uplink == NULL)
        return sim_diag_fail(d, SIM_ESTATE,
                             "peer %s: switch %s is internal (no uplink PF): nothing to sit "
                             "behind",
                             name, cfg->sw);
    struct vs_peer *p = sim_calloc(SIM_TAG(vstack), 1, sizeof *p);
    if (p == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "peer %s: out of memory", name);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->sw = sw;
    if (cfg->has_mac)
        memcpy(p->mac, cfg->mac, 6);
    else
        vs__derive_mac(name, 0xee, p->mac);
    p->ipv4 = cfg->ipv4 ? cfg->ipv4 : (0x0a000000u | (200u + (uint32_t)w->n_peers));
    rc = vs__station_init(w, &p->st, true, p, name, d);
    if (rc != 0)
        goto fail_station;
    p->st.segment = sw->uplink->st.segment;
    struct traffic_endpoint_config ec = {
        .name = name, .ipv4 = p->ipv4, .ops = &peer_ops, .ops_ctx = p};
    memcpy(ec.mac, p->mac, 6);
    rc = traffic_endpoint_create(w->traffic, &ec, &p->ep, d);
    if (rc != 0)
        goto fail_ep;
    rc = vs__push((void ***)&w->peers, &w->n_peers, p);
    if (rc != 0) {
        sim_diag_fail(d, rc, "peer %s: out of memory", name);
        goto fail_push;
    }
    return 0;
fail_push:
    traffic_endpoint_destroy(p->ep);
fail_ep:
    vs__station_fini(&p->st);
fail_station:
    sim_free(p);
    return rc;
}

int
vstack_link_add(struct vstack_world *w, const char *sw_a, const char *sw_b, sim_time_t latency,
                uint64_t rate_bps, struct sim_diag *d)
{
    struct vs_switch *a = vs__switch(w, sw_a), *b = vs__switch(w, sw_b);
    if (a == NULL || b == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "link: no switch %s", a == NULL ? sw_a : sw_b);
    if (a == b)
        return sim_diag_fail(d, SIM_EINVAL, "link %s %s: a switch cannot be linked to itself", sw_a,
                             sw_b);
    if (a->uplink == NULL || b->uplink == NULL)
        return sim_diag_fail(d, SIM_ESTATE, "link %s %s: %s has no uplink PF", sw_a, sw_b,
                             a->uplink == NULL ? sw_a : sw_b);
    unsigned from = b->uplink->st.segment, to = a->uplink->st.segment;
    for (size_t i = 0; i < w->n_pfs; i++)
        if (w->pfs[i]->st.segment == from)
            w->pfs[i]->st.segment = to;
    for (size_t i = 0; i < w->n_peers; i++)
        if (w->peers[i]->st.segment == from)
            w->peers[i]->st.segment = to;
    sim_time_t lat = latency >= 0 ? latency : w->cost[VS_COST_LINK_LATENCY];
    a->uplink->st.latency = lat;
    b->uplink->st.latency = lat;
    if (rate_bps != 0) {
        a->uplink->st.rate_bps = rate_bps;
        b->uplink->st.rate_bps = rate_bps;
    }
    return 0;
}

/* ---- the world ---------------------------------------------------------------------------- */
void
vstack_world_config_init(struct vstack_world_config *c)
{
    memset(c, 0, sizeof *c);
}

static uint64_t
packet_id_next(void *ctx)
{
    return cap_packet_id_next(ctx);
}

static int64_t
log_clock(void *ctx)
{
    return sim_sched_now(ctx);
}

int
vstack_world_create(const struct vstack_world_config *cfg, struct vstack_world **out,
                    struct sim_diag *d)
{
    if (cfg == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "world: missing config");
    struct vstack_world *w = sim_calloc(SIM_TAG(vstack), 1, sizeof *w);
    if (w == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "world: out of memory");
    w->seed = cfg->seed;
    w->teardown_trace = cfg->teardown_trace;
    w->pf_driver = cfg->pf_driver;
    w->log.max = cfg->event_capacity;
    w->next_partition_id = 1;
    w->next_serial = 0x1000;
    vs__cost_defaults(w->cost);
    int rc = sim_sched_create(SIM_SCHED_VIRTUAL, &w->sched);
    if (rc != 0) {
        sim_diag_fail(d, rc, "world: cannot create the scheduler");
        goto fail_sched;
    }
    rc = cap_registry_create(&w->cap);
    if (rc != 0) {
        sim_diag_fail(d, rc, "world: cannot create the capture registry");
        goto fail_cap;
    }
    struct traffic_registry_config tc = {.sched = w->sched,
                                         .seed = cfg->seed,
                                         .packet_id_next = packet_id_next,
                                         .packet_id_ctx = w->cap,
                                         /* every VM and peer is one endpoint: room for the
                                          * largest worlds the scale scenarios build */
                                         .max_endpoints = 1024};
    rc = traffic_registry_create(&tc, &w->traffic, d);
    if (rc != 0)
        goto fail_traffic;
    w->traffic_sink = traffic_registry_drop_sink(w->traffic);
    w->sink.drop = world_drop;
    w->sink.ctx = w;
    rc = ndis_trace_create(cfg->trace_capacity ? cfg->trace_capacity : 65536, &w->trace);
    if (rc != 0) {
        sim_diag_fail(d, rc, "world: cannot create the NDIS trace");
        goto fail_trace;
    }
    if (cfg->default_capture_file != NULL) {
        w->default_capture_file = sim_strdup(SIM_TAG(vstack), cfg->default_capture_file);
        if (w->default_capture_file == NULL) {
            rc = sim_diag_fail(d, SIM_ENOMEM, "world: out of memory");
            goto fail_file;
        }
    }
    sim_log_set_clock(log_clock, w->sched);
    *out = w;
    return 0;
fail_file:
    ndis_trace_destroy(w->trace);
fail_trace:
    traffic_registry_destroy(w->traffic);
fail_traffic:
    cap_registry_destroy(w->cap);
fail_cap:
    sim_sched_destroy(w->sched);
fail_sched:
    sim_free(w);
    return rc;
}

void
vstack_world_destroy(struct vstack_world *w)
{
    if (w == NULL)
        return;
    w->destroying = true;
    vs__raw_reqs_cancel(w);
    uint64_t trace_mark = ndis_trace_mark(w->trace);
    /* Flows first (their timers reference endpoints), then VMs (VFs taken down, filters
     * cleared), peers, switches, PFs in the documented teardown order, hosts. */
    for (size_t i = 0; i < w->n_flows; i++) {
        traffic_flow_destroy(w->flows[i]->flow);
        sim_free(w->flows[i]);
    }
    sim_free(w->flows);
    w->flows = NULL;
    w->n_flows = 0;
    for (size_t i = 0; i < w->n_vms; i++)
        sim_timer_stop(&w->vms[i]->mig_tm);
    /* NetVSP unbinds from the PFs (its NBLs come back first). */
    for (size_t i = 0; i < w->n_sws; i++) {
        struct netvsp_switch *sw = w->sws[i]->sw;
        for (long k = 0; k < 100000 && netvsp_switch_nic_binding(sw) != NULL; k++)
            if (netvsp_switch_unbind_nic(sw, NULL) != SIM_EBUSY || sim_sched_step(w->sched) == 0)
                break;
    }
    for (size_t i = 0; i < w->n_pfs; i++)
        vs__pf_teardown(w->pfs[i]); /* guests release their VFs first; 7.7 order */
    for (size_t i = 0; i < w->n_pfs; i++)
        vs__pf_free(w->pfs[i]); /* only now: the loop above runs the clock over all of them */
    sim_free(w->pfs);
    w->pfs = NULL;
    w->n_pfs = 0;
    for (size_t i = 0; i < w->n_vms; i++)
        vs__vm_destroy(w->vms[i]);
    sim_free(w->vms);
    w->vms = NULL;
    w->n_vms = 0;
    vs__raw_reqs_free(w); /* their miniports (PF, VF, VM adapters) are gone */
    for (size_t i = 0; i < w->n_peers; i++) {
        traffic_endpoint_destroy(w->peers[i]->ep);
        vs__station_fini(&w->peers[i]->st);
        sim_free(w->peers[i]);
    }
    sim_free(w->peers);
    w->peers = NULL;
    w->n_peers = 0;
    for (size_t i = 0; i < w->n_sws; i++) {
        struct vs_switch *sw = w->sws[i];
        netvsp_switch_destroy(sw->sw);
        sim_free(sw);
    }
    sim_free(w->sws);
    w->sws = NULL;
    w->n_sws = 0;
    for (size_t i = 0; i < w->n_hosts; i++)
        vs__host_destroy(w->hosts[i]);
    sim_free(w->hosts);
    if (w->cap_session != NULL)
        (void)cap_session_close(w->cap_session, NULL);
    if (w->teardown_trace != NULL) {
        char line[512];
        for (size_t i = 0; i < ndis_trace_count(w->trace); i++) {
            const struct ndis_trace_record *r = ndis_trace_at(w->trace, i);
            if (r->seq < trace_mark)
                continue;
            (void)ndis_trace_format(r, line, sizeof line);
            fprintf(w->teardown_trace, "%s\n", line);
        }
    }
    traffic_registry_destroy(w->traffic);
    cap_registry_destroy(w->cap);
    ndis_trace_destroy(w->trace);
    sim_log_set_clock(NULL, NULL);
    sim_sched_destroy(w->sched);
    vs__eventlog_fini(&w->log);
    sim_free(w->default_capture_file);
    sim_free(w);
}

struct sim_sched *
vstack_world_sched(const struct vstack_world *w)
{
    return w->sched;
}

struct ndis_trace *
vstack_world_trace(const struct vstack_world *w)
{
    return w->trace;
}
sim_time_t
vstack_world_now(const struct vstack_world *w)
{
    return sim_sched_now(w->sched);
}
uint64_t
vstack_world_seed(const struct vstack_world *w)
{
    return w->seed;
}
struct traffic_registry *
vstack_world_traffic(const struct vstack_world *w)
{
    return w->traffic;
}
struct cap_registry *
vstack_world_capture(const struct vstack_world *w)
{
    return w->cap;
}

int
vstack_run_until(struct vstack_world *w, sim_time_t t, struct sim_diag *d)
{
    sim_time_t now = sim_sched_now(w->sched);
    if (t < now) {
        char a[32], b[32];
        return sim_diag_fail(d, SIM_EINVAL, "run-until %s: the clock is already at %s",
                             sim_time_format(t, a, sizeof a), sim_time_format(now, b, sizeof b));
    }
    long rc = sim_sched_run(w->sched, t);
    vstack_trace_flush(w);
    if (rc < 0)
        return sim_diag_fail(d, (int)rc, "run-until: scheduler error %s", sim_err_name((int)rc));
    return 0;
}

int
vstack_step(struct vstack_world *w)
{
    int rc = sim_sched_step(w->sched);
    vstack_trace_flush(w);
    return rc;
}

sim_time_t
vstack_next_event_time(const struct vstack_world *w)
{
    return sim_sched_next_due(w->sched);
}

/* ---- capture ------------------------------------------------------------------------------ */
int
vstack_capture_start(struct vstack_world *w, const struct vstack_capture_config *cfg,
                     struct sim_diag *d)
{
    if (w->cap_session != NULL)
        return sim_diag_fail(d, SIM_EBUSY, "capture start: a capture is already running");
    const char *file = cfg && cfg->file ? cfg->file : w->default_capture_file;
    if (file == NULL)
        return sim_diag_fail(d, SIM_EINVAL,
                             "capture start: no file= and no default capture file (--capture)");
    char points[1024];
    points[0] = '\0';
    size_t off = 0;
    if (cfg != NULL)
        for (size_t i = 0; i < cfg->n_points; i++) {
            int n =
                snprintf(points + off, sizeof points - off, "%s%s", i ? "," : "", cfg->points[i]);
            if (n < 0 || (size_t)n >= sizeof points - off)
                return sim_diag_fail(d, SIM_EINVAL, "capture start: point list too long");
            off += (size_t)n;
        }
    struct cap_session_opts o;
    memset(&o, 0, sizeof o);
    o.path = file;
    o.format = cfg && cfg->classic_pcap ? CAP_FORMAT_PCAP : CAP_FORMAT_PCAPNG;
    o.points = off ? points : NULL;
    o.filter = cfg ? cfg->filter : NULL;
    o.snaplen = cfg ? cfg->snaplen : 0;
    o.comment = w->capture_comment[0] != '\0' ? w->capture_comment : NULL;
    return cap_session_create(w->cap, &o, &w->cap_session, d);
}

int
vstack_capture_stop(struct vstack_world *w, struct sim_diag *d)
{
    if (w->cap_session == NULL)
        return sim_diag_fail(d, SIM_ESTATE, "capture stop: no capture is running");
    int rc = cap_session_close(w->cap_session, d);
    w->cap_session = NULL;
    return rc;
}

int
vstack_mark(struct vstack_world *w, const char *text, struct sim_diag *d)
{
    if (text == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "mark: missing text");
    struct vstack_event *ev = vs__event(w, VSTACK_EV_MARK, "");
    vs__event_str(ev, "text", text);
    if (w->cap_session != NULL)
        return cap_mark(w->cap_session, text);
    return 0;
}
