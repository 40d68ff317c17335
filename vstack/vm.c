/* SPDX-License-Identifier: MIT */
/*
 * vm.c — VM lifecycle: the guest partition, its switch port (NetVSP offers the VMBus network
 * channel), NetVSC in the guest over that channel, the guest application endpoint (traffic),
 * the VM's port policy; the queries about a VM (data path, host, VF, state).
 *
 * Windows / Hyper-V counterpart: VMMS creating a VM with one network adapter connected to a
 * virtual switch (`New-VM`, `Connect-VMNetworkAdapter`), the worker process offering the
 * synthetic NIC's VMBus channel, netvsc.sys in the guest.
 */
#include <inttypes.h>
#include <string.h>

#include "vstack/vstack_int.h"

/* ---- guest application <-> NetVSC --------------------------------------------------------- */
static int
vm_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct vs_vm *vm = ctx;
    if (vm->paused || vm->ad == NULL)
        return SIM_EAGAIN; /* the VM is not running (blackout): the application waits */
    if (vm->has_tx_mac && len >= 12 && memcmp(frame + 6, vm->tx_mac, 6) != 0) {
        /* The guest's stack uses the address it believes its adapter has (after a MAC change
         * that was acknowledged, applied or not): the frame leaves with that source MAC. */
        if (vm->tx_buf_len < len) {
            uint8_t *nb = sim_alloc(SIM_TAG(vstack), len);
            if (nb == NULL)
                return SIM_EAGAIN;
            sim_free(vm->tx_buf);
            vm->tx_buf = nb;
            vm->tx_buf_len = len;
        }
        memcpy(vm->tx_buf, frame, len);
        memcpy(vm->tx_buf + 6, vm->tx_mac, 6);
        frame = vm->tx_buf;
    }
    return netvsc_adapter_xmit(vm->ad, frame, len, packet_id);
}

void
vs__vm_guest_mac_set(struct vs_vm *vm, const uint8_t mac[6])
{
    vm->has_tx_mac = memcmp(mac, vm->mac, 6) != 0;
    memcpy(vm->tx_mac, mac, 6);
}

static const struct traffic_port_ops vm_port_ops = {.xmit = vm_xmit};

static void
vm_rx(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct vs_vm *vm = ctx;
    (void)packet_id;
    (void)traffic_endpoint_rx(vm->ep, frame, len);
}

static const struct netvsc_rx_ops vm_rx_ops = {.receive = vm_rx};

static void
vm_datapath(void *ctx, struct netvsc_adapter *ad, enum netvsc_dp_state from,
            enum netvsc_dp_state to)
{
    struct vs_vm *vm = ctx;
    (void)ad;
    bool was_vf = from == NETVSC_DP_ON_VF, is_vf = to == NETVSC_DP_ON_VF;
    if (was_vf == is_vf)
        return;
    struct vstack_event *ev = vs__event(vm->w, VSTACK_EV_DATAPATH_SWITCHED, vm->name);
    vs__event_str(ev, "to", is_vf ? "vf" : "synthetic");
    if (vm->vf != NULL)
        vs__event_str(ev, "vf", vm->vf->name);
}

static void
vm_vf_released(void *ctx, struct netvsc_adapter *ad)
{
    struct vs_vm *vm = ctx;
    (void)ad;
    if (vm->vf != NULL)
        vs__vf_guest_force_down(vm->vf); /* the guest lets go now, then acks the eject */
}

static const struct netvsc_event_ops vm_event_ops = {.datapath = vm_datapath,
                                                     .vf_released = vm_vf_released};

/* Host side of SWITCH_DATA_PATH: complete it after the host's handling time (the policy's
 * switch_completion_delay_ns = cost.datapath_switch_delay); from then on the host steers the
 * VM's unicast by the data path the guest chose (host.c vs__pf_wire_rx). */
static int
port_datapath_switch(void *ctx, struct netvsp_port *port, uint32_t datapath)
{
    (void)ctx;
    (void)port;
    (void)datapath;
    return 0;
}

static const struct netvsp_port_ops vm_port_host_ops = {.datapath_switch = port_datapath_switch};

/* ---- policy ------------------------------------------------------------------------------- */
static void
policy_merge(struct netvsp_port_policy *pp, const struct vstack_policy *p)
{
    if (p->allocate_vf != VSTACK_UNSET)
        pp->vf_allowed = p->allocate_vf == VSTACK_TRUE;
    if (p->spoof_check != VSTACK_UNSET)
        pp->anti_spoof = p->spoof_check == VSTACK_TRUE;
}

void
vs__vm_apply_policy(struct vs_vm *vm)
{
    if (vm->port == NULL)
        return;
    struct netvsp_port_policy pp;
    netvsp_port_policy_init(&pp);
    pp.switch_completion_delay_ns = vm->w->cost[VS_COST_DATAPATH_SWITCH_DELAY];
    policy_merge(&pp, &vm->sw->policy);
    if (vm->has_policy)
        policy_merge(&pp, &vm->policy);
    (void)netvsp_port_set_policy(vm->port, &pp, NULL);
}

/* ---- guest partition + port + NetVSC ------------------------------------------------------- */
int
vs__vm_guest_create(struct vs_vm *vm, struct vs_host *h, struct sim_diag *d)
{
    struct vstack_world *w = vm->w;
    struct hv_partition_config pc;
    hv_partition_config_init(&pc);
    pc.id = vm->id;
    pc.name = vm->name;
    pc.kind = HV_PARTITION_GUEST;
    pc.vmbus_signal_latency_ns = w->cost[VS_COST_VMBUS_LATENCY];
    pc.vpci_offer_delay_ns = w->cost[VS_COST_VF_OFFER_DELAY];
    pc.vpci_eject_timeout_ns = w->cost[VS_COST_GRACEFUL_REMOVAL_TIMEOUT];
    int rc = hv_partition_create(w->sched, h->fabric, &pc, &vm->guest, d);
    if (rc != 0)
        return rc;
    hv_vpci_guest_set_ops(vm->guest, &vs__vpci_guest_ops, vm);
    struct netvsp_port_policy pp;
    netvsp_port_policy_init(&pp);
    pp.switch_completion_delay_ns = w->cost[VS_COST_DATAPATH_SWITCH_DELAY];
    policy_merge(&pp, &vm->sw->policy);
    if (vm->has_policy)
        policy_merge(&pp, &vm->policy);
    struct netvsp_port_config poc = {.host = h->root,
                                     .guest = vm->guest,
                                     .signal = HV_VMBUS_SIGNAL_SCHED,
                                     .policy = &pp,
                                     .ops = &vm_port_host_ops,
                                     .ops_ctx = vm};
    memcpy(poc.mac, vm->mac, 6);
    rc = netvsp_port_create(vm->sw->sw, &poc, &vm->port, d);
    if (rc != 0)
        goto fail_port;
    struct netvsc_adapter_config ac;
    netvsc_adapter_config_init(&ac);
    ac.name = vm->name;
    ac.guest = vm->guest;
    memcpy(ac.mac, vm->mac, 6);
    ac.cap = w->cap;
    ac.drops = &w->sink;
    ac.rx = &vm_rx_ops;
    ac.rx_ctx = vm;
    ac.events = &vm_event_ops;
    ac.events_ctx = vm;
    ac.vf_takeover_delay_ns = w->cost[VS_COST_VF_TAKEOVER_DELAY];
    ac.legacy_early_vf = vm->legacy_early_vf;
    if (w->cost[VS_LIMIT_VMBUS_RING] != 512)
        ac.open.ring_msgs = (uint32_t)w->cost[VS_LIMIT_VMBUS_RING];
    rc = netvsc_adapter_create(&ac, &vm->ad, d);
    if (rc != 0)
        goto fail_ad;
    vm->host = h;
    return 0;
fail_ad:
    netvsp_port_destroy(vm->port);
    vm->port = NULL;
fail_port:
    hv_partition_destroy(vm->guest);
    vm->guest = NULL;
    return rc;
}

void
vs__vm_guest_destroy(struct vs_vm *vm)
{
    if (vm->ad != NULL)
        (void)netvsc_adapter_destroy(vm->ad);
    vm->ad = NULL;
    netvsp_port_destroy(vm->port);
    vm->port = NULL;
    /* A VF the host is still taking back from this guest (a short pre-copy ends while its
     * reset is pending) keeps its slot, but its virtual PCI device goes with the partition:
     * revoke it here so the host's teardown does not read a freed device. */
    struct vstack_world *w = vm->w;
    for (size_t i = 0; vm->guest != NULL && i < w->n_pfs; i++) {
        struct vs_pf *pf = w->pfs[i];
        for (uint16_t k = 0; k < pf->total_vfs; k++) {
            struct vs_vf *vf = &pf->vfs[k];
            if (vf->vpci != NULL && hv_vpci_dev_guest(vf->vpci) == vm->guest) {
                hv_vpci_revoke(vf->vpci);
                vf->vpci = NULL;
            }
        }
    }
    hv_partition_destroy(vm->guest);
    vm->guest = NULL;
}

void
vstack_vm_config_init(struct vstack_vm_config *c)
{
    memset(c, 0, sizeof *c);
}

int
vstack_vm_add(struct vstack_world *w, const char *name, const struct vstack_vm_config *cfg,
              struct sim_diag *d)
{
    int rc = vs__name_check(name, d, "vm");
    if (rc != 0)
        return rc;
    if (cfg == NULL || cfg->host == NULL || cfg->sw == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "vm %s: on= and switch= are required", name);
    if (vs__name_taken(w, name))
        return sim_diag_fail(d, SIM_EEXIST, "vm %s: the name is already used", name);
    struct vs_host *h = vs__host(w, cfg->host);
    if (h == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "vm %s: no host %s", name, cfg->host);
    struct vs_switch *sw = vs__switch(w, cfg->sw);
    if (sw == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "vm %s: no switch %s", name, cfg->sw);
    if (sw->host != h)
        return sim_diag_fail(d, SIM_EINVAL, "vm %s: switch %s is not on host %s", name, cfg->sw,
                             cfg->host);
    uint8_t mac[6];
    if (cfg->has_mac)
        memcpy(mac, cfg->mac, 6);
    else
        vs__derive_mac(name, 0x15, mac);
    if ((mac[0] & 1) != 0)
        return sim_diag_fail(d, SIM_EINVAL, "vm %s: the MAC must be unicast", name);
    if (vs__vm_by_mac(w, mac) != NULL)
        return sim_diag_fail(d, SIM_EEXIST, "vm %s: MAC already used by %s", name,
                             vs__vm_by_mac(w, mac)->name);
    struct vs_vf *want = NULL;
    bool want_auto = false;
    if (cfg->vf != NULL && strcmp(cfg->vf, "none") != 0) {
        if (strcmp(cfg->vf, "auto") == 0) {
            want_auto = true;
        } else {
            want = vs__vf(w, cfg->vf);
            if (want == NULL)
                return sim_diag_fail(d, SIM_ENOENT, "vm %s: no VF %s", name, cfg->vf);
        }
    }
    struct vs_vm *vm = sim_calloc(SIM_TAG(vstack), 1, sizeof *vm);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "vm %s: out of memory", name);
    snprintf(vm->name, sizeof vm->name, "%s", name);
    vm->w = w;
    vm->sw = sw;
    memcpy(vm->mac, mac, 6);
    vm->ipv4 = cfg->ipv4 ? cfg->ipv4 : (0x0a000000u | (10u + (uint32_t)w->n_vms));
    vm->priority = cfg->priority;
    vm->legacy_early_vf = cfg->legacy_early_vf;
    vm->vmq = cfg->vmq;
    vm->id = w->next_partition_id++;
    sim_timer_init(w->sched, &vm->mig_tm, NULL, vm);
    struct traffic_endpoint_config ec = {
        .name = name, .ipv4 = vm->ipv4, .ops = &vm_port_ops, .ops_ctx = vm};
    memcpy(ec.mac, mac, 6);
    rc = traffic_endpoint_create(w->traffic, &ec, &vm->ep, d);
    if (rc != 0)
        goto fail_ep;
    rc = vs__vm_guest_create(vm, h, d);
    if (rc != 0)
        goto fail_guest;
    rc = vs__push((void ***)&w->vms, &w->n_vms, vm);
    if (rc != 0) {
        sim_diag_fail(d, rc, "vm %s: out of memory", name);
        goto fail_push;
    }
    (void)vs__vm_filter_set(vm, NULL);
    if (want != NULL || want_auto)
        return vstack_vf_attach(w, name, want_auto ? "auto" : cfg->vf, d);
    return 0;
fail_push:
    vs__vm_guest_destroy(vm);
fail_guest:
    traffic_endpoint_destroy(vm->ep);
fail_ep:
    sim_free(vm);
    return rc;
}

void
vs__vm_destroy(struct vs_vm *vm)
{
    sim_timer_stop(&vm->mig_tm);
    if (vm->vf != NULL) {
        struct vs_vf *vf = vm->vf;
        vs__vf_guest_force_down(vf);
        vf->vm = NULL;
        vm->vf = NULL;
    }
    vs__vm_guest_destroy(vm);
    traffic_endpoint_destroy(vm->ep);
    sim_free(vm->tx_buf);
    sim_free(vm);
}

/* ---- queries ------------------------------------------------------------------------------ */
int
vstack_vm_datapath(const struct vstack_world *w, const char *name, enum vstack_datapath *out,
                   struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "%s: no such VM", name ? name : "(null)");
    *out = vm->ad != NULL && netvsc_adapter_dp_state(vm->ad) == NETVSC_DP_ON_VF
               ? VSTACK_DP_VF
               : VSTACK_DP_SYNTHETIC;
    return 0;
}

int
vstack_vm_host(const struct vstack_world *w, const char *name, const char **out, struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "%s: no such VM", name ? name : "(null)");
    *out = vm->host->name;
    return 0;
}

int
vstack_vm_vf(const struct vstack_world *w, const char *name, char *buf, size_t len,
             struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "%s: no such VM", name ? name : "(null)");
    snprintf(buf, len, "%s", vm->vf ? vm->vf->name : "none");
    return 0;
}

int
vstack_vm_vmq_vport(const struct vstack_world *w, const char *name, uint32_t *out,
                    struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL || out == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "vm %s: no such VM", name ? name : "(null)");
    if (!vm->has_vmq_vport)
        return sim_diag_fail(d, SIM_ENOENT, "vm %s: no VMQ VPort (vmq=%s)", name,
                             vm->vmq ? "true" : "false");
    *out = vm->vmq_vport;
    return 0;
}

int
vstack_switch_counters(const struct vstack_world *w, const char *name, uint64_t *lookups,
                       uint64_t *vmq_hits, struct sim_diag *d)
{
    struct vs_switch *sw = vs__switch(w, name);
    if (sw == NULL || sw->sw == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "switch %s: no such switch", name ? name : "(null)");
    struct netvsp_switch_stats st;
    netvsp_switch_stats(sw->sw, &st);
    if (lookups != NULL)
        *lookups = st.lookups;
    if (vmq_hits != NULL)
        *vmq_hits = st.vmq_hits;
    return 0;
}

int
vstack_vm_state(const struct vstack_world *w, const char *name, enum vstack_vm_state *out,
                struct sim_diag *d)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "%s: no such VM", name ? name : "(null)");
    *out = vm->state == VS_VM_MIGRATING ? VSTACK_VM_MIGRATING
           : vm->state == VS_VM_OFF     ? VSTACK_VM_OFF
                                        : VSTACK_VM_RUNNING;
    return 0;
}

/* ---- flows -------------------------------------------------------------------------------- */
void
vstack_flow_config_init(struct vstack_flow_config *c)
{
    memset(c, 0, sizeof *c);
    c->rate_bps = UINT64_C(1000000000);
    c->size = 1448;
}

static struct traffic_endpoint *
endpoint(const struct vstack_world *w, const char *name)
{
    struct vs_vm *vm = vs__vm(w, name);
    if (vm != NULL)
        return vm->ep;
    struct vs_peer *p = vs__peer(w, name);
    return p ? p->ep : NULL;
}

int
vstack_flow_start(struct vstack_world *w, const char *name, const struct vstack_flow_config *cfg,
                  struct sim_diag *d)
{
    int rc = vs__name_check(name, d, "flow");
    if (rc != 0)
        return rc;
    if (cfg == NULL || cfg->from == NULL || cfg->to == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "flow %s: from= and to= are required", name);
    if (vs__name_taken(w, name))
        return sim_diag_fail(d, SIM_EEXIST, "flow %s: the name is already used", name);
    struct traffic_endpoint *src = endpoint(w, cfg->from), *dst = endpoint(w, cfg->to);
    if (src == NULL || dst == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "flow %s: no VM or peer %s", name,
                             src == NULL ? cfg->from : cfg->to);
    if (src == dst)
        return sim_diag_fail(d, SIM_EINVAL, "flow %s: from and to are the same endpoint", name);
    if (cfg->size < 1 || cfg->size > 65535)
        return sim_diag_fail(d, SIM_ERANGE, "flow %s: size=%u outside 1..65535", name, cfg->size);
    uint32_t hdr = TRAFFIC_ETH_HLEN + TRAFFIC_IPV4_HLEN +
                   (cfg->proto == VSTACK_PROTO_TCP ? TRAFFIC_TCP_HLEN : TRAFFIC_UDP_HLEN);
    uint32_t frame_len = hdr + cfg->size;
    if (frame_len > 1514)
        return sim_diag_fail(d, SIM_ERANGE,
                             "flow %s: size=%u makes %u-byte frames; the ports' MTU allows 1514",
                             name, cfg->size, frame_len);
    struct vs_flow *f = sim_calloc(SIM_TAG(vstack), 1, sizeof *f);
    if (f == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "flow %s: out of memory", name);
    snprintf(f->name, sizeof f->name, "%s", name);
    struct traffic_flow_config fc;
    memset(&fc, 0, sizeof fc);
    fc.name = name;
    fc.src = src;
    fc.dst = dst;
    fc.frame_len = frame_len;
    fc.rate_bps = cfg->rate_bps;
    if (cfg->proto == VSTACK_PROTO_TCP) {
        fc.count = cfg->count * cfg->size;
        rc = traffic_tcp_create(w->traffic, &fc, &f->flow, d);
    } else {
        fc.count = cfg->count;
        rc = traffic_dgram_create(w->traffic, &fc, &f->flow, d);
    }
    if (rc != 0)
        goto fail_create;
    rc = traffic_flow_start(f->flow);
    if (rc != 0) {
        sim_diag_fail(d, rc, "flow %s: cannot start", name);
        goto fail_start;
    }
    rc = vs__push((void ***)&w->flows, &w->n_flows, f);
    if (rc != 0) {
        sim_diag_fail(d, rc, "flow %s: out of memory", name);
        goto fail_start;
    }
    if (vs__trace_on(w)) {
        struct vstack_trace_line l;
        memset(&l, 0, sizeof l);
        l.time = vstack_world_now(w);
        l.kind = VSTACK_TRACE_FLOW;
        snprintf(l.requester, sizeof l.requester, "%s", cfg->from);
        snprintf(l.target, sizeof l.target, "%s", cfg->to);
        snprintf(l.what, sizeof l.what, "flow %s started", name);
        snprintf(l.detail, sizeof l.detail, "%s rate=%" PRIu64 "bps frame=%u count=%" PRIu64,
                 cfg->proto == VSTACK_PROTO_TCP ? "tcp" : "udp", cfg->rate_bps, frame_len,
                 cfg->count);
        vs__trace_emit(w, &l);
    }
    return 0;
fail_start:
    traffic_flow_destroy(f->flow);
fail_create:
    sim_free(f);
    return rc;
}

int
vstack_flow_stop(struct vstack_world *w, const char *name, struct sim_diag *d)
{
    struct vs_flow *f = vs__flow(w, name);
    if (f == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "flow stop %s: no such flow", name ? name : "(null)");
    traffic_flow_stop(f->flow);
    if (vs__trace_on(w)) {
        /* The figures as the flow's applications counted them when it stopped sending. */
        struct traffic_flow_stats st;
        traffic_flow_stats(f->flow, &st);
        struct vstack_trace_line l;
        memset(&l, 0, sizeof l);
        l.time = vstack_world_now(w);
        l.kind = VSTACK_TRACE_FLOW;
        snprintf(l.requester, sizeof l.requester, "%s", name);
        snprintf(l.target, sizeof l.target, "-");
        snprintf(l.what, sizeof l.what, "flow %s stopped", name);
        snprintf(l.detail, sizeof l.detail,
                 "sent=%" PRIu64 " delivered=%" PRIu64 " dropped=%" PRIu64 " in_flight=%" PRIu64,
                 st.sent, st.delivered, st.dropped_total, st.in_flight);
        vs__trace_emit(w, &l);
    }
    return 0;
}

size_t
vstack_flow_count(const struct vstack_world *w)
{
    return w != NULL ? w->n_flows : 0;
}

const char *
vstack_flow_name(const struct vstack_world *w, size_t i)
{
    return w != NULL && i < w->n_flows ? w->flows[i]->name : NULL;
}

int
vstack_flow_check(const struct vstack_world *w, const char *name, struct sim_diag *d)
{
    struct vs_flow *f = vs__flow(w, name);
    if (f == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "flow %s: no such flow", name ? name : "(null)");
    int rc = traffic_flow_reconcile(f->flow, d);
    if (rc != 0)
        return rc;
    return traffic_flow_check_live(f->flow, d);
}

int
vstack_flow_stats(const struct vstack_world *w, const char *name, struct traffic_flow_stats *out,
                  struct sim_diag *d)
{
    struct vs_flow *f = vs__flow(w, name);
    if (f == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "flow %s: no such flow", name ? name : "(null)");
    traffic_flow_stats(f->flow, out);
    return 0;
}
