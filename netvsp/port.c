/* SPDX-License-Identifier: MIT */
/*
 * port.c — a VM port of the extensible switch and NetVSP's server side of that VM's VMBus
 * network channel (vmswitch.sys: the synthetic NIC's switch port + the NVSP provider): NVSP
 * INIT, frames from the guest (copy out, complete, switch), VF association, the data-path
 * switch request and its completion, port policies.
 */
#include <string.h>

#include "netvsp/netvsp_int.h"

void
netvsp_port_policy_init(struct netvsp_port_policy *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->anti_spoof = true;
    p->vf_allowed = true;
    p->mtu = NETVSP_MTU_DEFAULT;
}

static int
check_policy(const struct netvsp_port_policy *p, struct sim_diag *d)
{
    if (p->allowed_mac_count > NETVSP_ALLOWED_MACS_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "port policy: %u allowed MACs (at most %u)",
                             p->allowed_mac_count, NETVSP_ALLOWED_MACS_MAX);
    if (p->vlan_id > 4094)
        return sim_diag_fail(d, SIM_EINVAL, "port policy: VLAN %u out of range [0, 4094]",
                             p->vlan_id);
    if (p->mtu != 0 && (p->mtu < 60 || p->mtu > NETVSP_FRAME_MAX))
        return sim_diag_fail(d, SIM_EINVAL, "port policy: MTU %u out of range [60, %u]", p->mtu,
                             NETVSP_FRAME_MAX);
    if (p->switch_completion_delay_ns < 0)
        return sim_diag_fail(d, SIM_EINVAL, "port policy: negative switch completion delay");
    return 0;
}

static struct netvsp_port *
mac_owner(struct netvsp_switch *sw, const uint8_t mac[6])
{
    for (uint32_t i = 0; i < sw->port_span; i++)
        if (sw->ports[i] && memcmp(sw->ports[i]->mac, mac, 6) == 0)
            return sw->ports[i];
    return NULL;
}

/* ---- completions that wait for ring space ------------------------------------------------ */

static void
complete_or_queue(struct netvsp_port *p, const struct hv_vmbus_msg *req, int32_t status)
{
    if (p->comp_count == 0) {
        int err = hv_vmbus_ep_complete(p->ep, req, status);
        if (err == 0)
            return;
        if (err != SIM_ENOSPC) {
            p->stats.protocol_errors++; /* not completable (bad section): never retried */
            return;
        }
    }
    /* Ring full (or older completions queued: keep their order). The guest's section stays
     * lent until then. comp_cap covers every message the guest can have outstanding. */
    if (p->comp_count == p->comp_cap) {
        p->stats.protocol_errors++;
        return;
    }
    struct netvsp_pending_comp *c = &p->comp[(p->comp_head + p->comp_count) % p->comp_cap];
    c->req = *req;
    c->status = status;
    p->comp_count++;
    p->stats.completion_retries++;
}

static unsigned
flush_completions(struct netvsp_port *p)
{
    unsigned done = 0;
    while (p->comp_count > 0) {
        struct netvsp_pending_comp *c = &p->comp[p->comp_head];
        int err = hv_vmbus_ep_complete(p->ep, &c->req, c->status);
        if (err == SIM_ENOSPC)
            break;
        if (err)
            p->stats.protocol_errors++;
        p->comp_head = (p->comp_head + 1) % p->comp_cap;
        p->comp_count--;
        done++;
    }
    return done;
}

/* ---- VF association and data-path switch ------------------------------------------------- */

static int
send_association(struct netvsp_port *p)
{
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION;
    m.xid = NVSP_XID_CONTROL | NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION;
    m.section = HV_VMBUS_NO_SECTION;
    struct nvsp_msg4_vf_association a = {p->assoc_allocated ? 1u : 0u, p->assoc_serial};
    NVSP_PUT(&m, a);
    int err = hv_vmbus_ep_send(p->ep, &m);
    if (err)
        return err == SIM_ENOSPC ? SIM_EAGAIN : err;
    p->assoc_pending = false;
    p->stats.vf_associations_sent++;
    SIM_DEBUG(netvsp, "%s: SEND_VF_ASSOCIATION allocated=%u serial=%u", p->where, a.allocated,
              a.serial);
    return 0;
}

int
netvsp_port_vf_associate(struct netvsp_port *port, bool allocated, uint32_t serial)
{
    if (!port)
        return SIM_EINVAL;
    port->assoc_valid = true;
    port->assoc_allocated = allocated;
    port->assoc_serial = serial;
    port->assoc_pending = true;
    if (!port->ready || !port->ep)
        return 0; /* sent after INIT */
    return send_association(port);
}

static void
finish_switch(struct netvsp_port *p, int32_t status)
{
    p->switch_pending = false;
    if (status == NVSP_STATUS_SUCCESS) {
        p->datapath = p->switch_to;
        p->stats.switch_completed++;
    } else {
        p->stats.switch_failed++;
    }
    SIM_DEBUG(netvsp, "%s: SWITCH_DATA_PATH to %s completed (status %d)", p->where,
              p->switch_to == NVSP_DATAPATH_VF ? "VF" : "synthetic", (int)status);
    if (p->ep)
        complete_or_queue(p, &p->switch_req, status);
}

static void
switch_timer_cb(struct sim_timer *t)
{
    struct netvsp_port *p = t->data;
    if (p->switch_pending)
        finish_switch(p, NVSP_STATUS_SUCCESS);
}

int
netvsp_port_datapath_complete(struct netvsp_port *port, int32_t status)
{
    if (!port || !port->switch_pending || sim_timer_is_pending(&port->switch_timer))
        return SIM_ESTATE;
    finish_switch(port, status);
    return 0;
}

static void
on_switch_request(struct netvsp_port *p, const struct hv_vmbus_msg *m)
{
    struct nvsp_msg4_switch_data_path s;
    NVSP_GET(m, s);
    p->stats.switch_requests++;
    if (s.active_datapath > NVSP_DATAPATH_VF || p->switch_pending) {
        p->stats.protocol_errors++;
        complete_or_queue(p, m, NVSP_STATUS_FAIL);
        return;
    }
    p->switch_pending = true;
    p->switch_to = s.active_datapath;
    p->switch_req = *m;
    SIM_DEBUG(netvsp, "%s: SWITCH_DATA_PATH to %s requested", p->where,
              s.active_datapath == NVSP_DATAPATH_VF ? "VF" : "synthetic");
    int r = p->ops.datapath_switch ? p->ops.datapath_switch(p->ops_ctx, p, s.active_datapath) : 0;
    if (r == SIM_EPENDING)
        return;
    if (r < 0) {
        finish_switch(p, NVSP_STATUS_FAIL);
        return;
    }
    if (p->policy.switch_completion_delay_ns > 0 &&
        sim_timer_start(&p->switch_timer, p->policy.switch_completion_delay_ns) == 0)
        return;
    finish_switch(p, NVSP_STATUS_SUCCESS);
}

/* ---- the channel's host endpoint ----------------------------------------------------------- */

static void
on_receive(void *ctx, struct hv_vmbus_ep *ep, const struct hv_vmbus_msg *m)
{
    struct netvsp_port *p = ctx;
    struct netvsp_switch *sw = p->sw;
    if (m->flags & HV_VMBUS_MSG_F_COMPLETION)
        return; /* a receive section came back (hv freed it) */
    switch (m->type) {
    case NVSP_MSG1_TYPE_SEND_RNDIS_PKT: {
        const uint8_t *data = hv_vmbus_ep_msg_data(ep, m);
        if (!data || m->len == 0) {
            p->stats.protocol_errors++;
            netvsp__drop(sw, p, SIM_DROP_MALFORMED, p->where, m->xid, NULL, 0);
            if (m->section != HV_VMBUS_NO_SECTION || (m->flags & HV_VMBUS_MSG_F_WANT_COMPLETION))
                complete_or_queue(p, m, NVSP_STATUS_FAIL);
            return;
        }
        p->stats.rx_frames++;
        p->stats.rx_bytes += m->len;
        netvsp__tap(sw, p->cap, CAP_DIR_IN, m->xid, data, m->len);
        if (!p->ready) {
            netvsp__drop(sw, p, SIM_DROP_PATH_INACTIVE, p->where, m->xid, data, m->len);
            complete_or_queue(p, m, NVSP_STATUS_FAIL);
            return;
        }
        /* Copies it into the switch's own NBL first; the section is free after that. */
        netvsp__switch_frame(sw, p, data, m->len, m->xid, 0);
        complete_or_queue(p, m, NVSP_STATUS_SUCCESS);
        return;
    }
    case NVSP_MSG_TYPE_INIT: {
        struct nvsp_msg_init in;
        NVSP_GET(m, in);
        bool ok = in.min_protocol_ver <= NVSP_PROTOCOL_VERSION &&
                  in.max_protocol_ver >= NVSP_PROTOCOL_VERSION_4;
        complete_or_queue(p, m, ok ? NVSP_STATUS_SUCCESS : NVSP_STATUS_FAIL);
        if (!ok) {
            p->stats.protocol_errors++;
            return;
        }
        p->ready = true;
        SIM_DEBUG(netvsp, "%s: NVSP INIT done", p->where);
        if (p->assoc_valid && p->assoc_pending)
            send_association(p);
        if (p->ops.link)
            p->ops.link(p->ops_ctx, p, true);
        return;
    }
    case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
        on_switch_request(p, m);
        return;
    default:
        /* Unknown here (or host-to-guest only): refuse it, and give back any section. */
        p->stats.protocol_errors++;
        if ((m->flags & HV_VMBUS_MSG_F_WANT_COMPLETION) || m->section != HV_VMBUS_NO_SECTION)
            complete_or_queue(p, m, NVSP_STATUS_FAIL);
        return;
    }
}

unsigned
netvsp__port_poll(struct netvsp_port *p, unsigned budget)
{
    if (!p->ep)
        return 0;
    unsigned done = flush_completions(p);
    done += hv_vmbus_ep_poll(p->ep, budget);
    if (p->assoc_pending && p->ready)
        send_association(p);
    return done;
}

static void
on_interrupt(void *ctx, struct hv_vmbus_ep *ep)
{
    /* Scenario mode: the guest signalled; drain on the loop thread. */
    struct netvsp_port *p = ctx;
    if (p->sw->cost_frame_ns || p->sw->cost_byte_ps) {
        netvsp__cost_run(p->sw);
        return;
    }
    for (int i = 0; i < 1024; i++)
        if (netvsp__port_poll(p, NETVSP_POLL_BUDGET) == 0)
            break;
}

void
netvsp__cost_run(struct netvsp_switch *sw)
{
    for (;;) {
        sim_time_t now = sim_sched_now(sw->sched);
        if (sw->busy_until > now) {
            /* Busy: come back when the CPU is free (the frames wait in their rings). */
            if (!sim_timer_is_pending(&sw->cost_timer) || sw->cost_timer.due != sw->busy_until) {
                sw->stats.deferred++;
                sim_timer_start_at(&sw->cost_timer, sw->busy_until);
            }
            return;
        }
        /* One message from each port in turn (round robin) while the CPU is free. */
        unsigned got = 0;
        uint32_t span = sw->port_span;
        for (uint32_t k = 0; k < span && sw->busy_until <= now; k++) {
            struct netvsp_port *p = sw->ports[(sw->rr + k) % span];
            if (p && p->ep)
                got += netvsp__port_poll(p, 1);
            if (sw->busy_until > now)
                sw->rr = (sw->rr + k + 1) % span;
        }
        if (got == 0)
            return;
    }
}

static const struct hv_vmbus_ep_ops port_ep_ops = {
    .interrupt = on_interrupt,
    .receive = on_receive,
};

static void
on_opened(void *ctx, struct hv_vmbus_channel *ch)
{
    struct netvsp_port *p = ctx;
    struct hv_vmbus_ep *ep = hv_vmbus_channel_ep(ch, HV_VMBUS_HOST);
    struct hv_vmbus_channel_info info;
    hv_vmbus_channel_info(ch, &info);
    /* Size the completion queue to the guest's worst case: every send section (sections of at
     * least 512 bytes) plus one ring of control messages. Allocated on open (control path),
     * never per packet. */
    uint32_t need = (uint32_t)(info.send_len / 512u) + info.ring_msgs + 4u;
    if (need > p->comp_cap) {
        struct netvsp_pending_comp *c = sim_calloc(SIM_TAG(netvsp), need, sizeof *c);
        if (!c) {
            SIM_ERROR(netvsp, "%s: out of memory opening the channel: port stays down", p->where);
            return;
        }
        sim_free(p->comp);
        p->comp = c;
        p->comp_cap = need;
    }
    p->comp_head = p->comp_count = 0;
    p->ep = ep;
    p->ready = false;
    p->datapath = NVSP_DATAPATH_SYNTHETIC;
    hv_vmbus_ep_set_ops(ep, &port_ep_ops, p);
    SIM_DEBUG(netvsp, "%s: channel opened by %s", p->where,
              hv_partition_name(hv_vmbus_channel_guest(ch)));
    netvsp__port_poll(p, NETVSP_POLL_BUDGET);
}

static void
on_closed(void *ctx, struct hv_vmbus_channel *ch)
{
    struct netvsp_port *p = ctx;
    bool was_ready = p->ready;
    p->ep = NULL;
    p->ready = false;
    p->datapath = NVSP_DATAPATH_SYNTHETIC;
    p->switch_pending = false;
    sim_timer_stop(&p->switch_timer);
    p->comp_count = 0;
    if (p->assoc_valid)
        p->assoc_pending = true;
    if (was_ready && p->ops.link)
        p->ops.link(p->ops_ctx, p, false);
}

static const struct hv_vmbus_host_ops port_host_ops = {
    .opened = on_opened,
    .closed = on_closed,
};

int
netvsp_port_create(struct netvsp_switch *sw, const struct netvsp_port_config *cfg,
                   struct netvsp_port **out, struct sim_diag *d)
{
    if (!sw || !cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp_port_create: NULL argument");
    *out = NULL;
    if (!cfg->host || !cfg->guest)
        return sim_diag_fail(d, SIM_EINVAL, "%s: port needs a host and a guest partition",
                             sw->name);
    if (cfg->mac[0] & 1u)
        return sim_diag_fail(d, SIM_EINVAL, "%s: a port MAC must be unicast", sw->name);
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    if (cfg->policy)
        pol = *cfg->policy;
    int err = check_policy(&pol, d);
    if (err)
        return err;
    if (mac_owner(sw, cfg->mac))
        return sim_diag_fail(
            d, SIM_EEXIST, "%s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already on a port", sw->name,
            cfg->mac[0], cfg->mac[1], cfg->mac[2], cfg->mac[3], cfg->mac[4], cfg->mac[5]);
    uint32_t n = 0;
    while (n < NETVSP_PORTS_MAX && sw->ports[n])
        n++;
    if (n == NETVSP_PORTS_MAX)
        return sim_diag_fail(d, SIM_ENOSPC, "%s: all %u ports in use", sw->name, NETVSP_PORTS_MAX);
    struct netvsp_port *p = sim_calloc(SIM_TAG(netvsp), 1, sizeof *p);
    if (!p)
        return sim_diag_fail(d, SIM_ENOMEM, "%s: out of memory for a port", sw->name);
    p->sw = sw;
    p->number = n + 1; /* port 0 is the external port */
    if (n + 1 > sw->port_span)
        sw->port_span = n + 1;
    snprintf(p->where, sizeof p->where, "%s.port%u", sw->name, p->number);
    memcpy(p->mac, cfg->mac, 6);
    p->policy = pol;
    if (cfg->ops)
        p->ops = *cfg->ops;
    p->ops_ctx = cfg->ops_ctx;
    p->datapath = NVSP_DATAPATH_SYNTHETIC;
    sim_timer_init(sw->sched, &p->switch_timer, switch_timer_cb, p);
    if (sw->capreg) {
        char desc[96];
        snprintf(desc, sizeof desc, "extensible switch port %u (VM adapter of %s)", p->number,
                 hv_partition_name(cfg->guest));
        err = cap_point_create(sw->capreg, p->where, desc, &p->cap, d);
        if (err)
            goto fail_free;
    }
    struct hv_vmbus_offer_config oc = {
        .type = "netvsc",
        .instance = cfg->instance,
        .signal = cfg->signal,
        .host_ops = &port_host_ops,
        .host_ctx = p,
        .drops = sw->has_drops ? &sw->drops : NULL,
    };
    err = hv_vmbus_offer(cfg->host, cfg->guest, &oc, &p->ch, d);
    if (err)
        goto fail_cap;
    sw->ports[n] = p;
    sw->nports++;
    SIM_DEBUG(netvsp, "%s: port for %s created", p->where, hv_partition_name(cfg->guest));
    *out = p;
    return 0;

fail_cap:
    cap_point_destroy(p->cap);
fail_free:
    sim_free(p);
    return err;
}

void
netvsp_port_destroy(struct netvsp_port *port)
{
    if (!port)
        return;
    struct netvsp_switch *sw = port->sw;
    sim_timer_stop(&port->switch_timer);
    hv_vmbus_channel_destroy(port->ch);
    cap_point_destroy(port->cap);
    sw->ports[port->number - 1] = NULL;
    while (sw->port_span > 0 && sw->ports[sw->port_span - 1] == NULL)
        sw->port_span--;
    sw->nports--;
    sim_free(port->comp);
    sim_free(port);
}

void
netvsp__port_fini_all(struct netvsp_switch *sw)
{
    for (uint32_t i = 0; i < NETVSP_PORTS_MAX; i++)
        netvsp_port_destroy(sw->ports[i]);
}

uint32_t
netvsp_port_number(const struct netvsp_port *port)
{
    return port ? port->number : 0;
}

struct hv_vmbus_channel *
netvsp_port_channel(const struct netvsp_port *port)
{
    return port ? port->ch : NULL;
}

void
netvsp_port_stats(const struct netvsp_port *port, struct netvsp_port_stats *out)
{
    if (port && out)
        *out = port->stats;
}

bool
netvsp_port_is_ready(const struct netvsp_port *port)
{
    return port && port->ready;
}

uint32_t
netvsp_port_datapath(const struct netvsp_port *port)
{
    return port ? port->datapath : NVSP_DATAPATH_SYNTHETIC;
}

int
netvsp_port_set_policy(struct netvsp_port *port, const struct netvsp_port_policy *policy,
                       struct sim_diag *d)
{
    if (!port || !policy)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp_port_set_policy: NULL argument");
    int err = check_policy(policy, d);
    if (err)
        return err;
    port->policy = *policy;
    return 0;
}

int
netvsp_port_set_mac(struct netvsp_port *port, const uint8_t mac[6], struct sim_diag *d)
{
    if (!port || !mac)
        return sim_diag_fail(d, SIM_EINVAL, "netvsp_port_set_mac: NULL argument");
    if (mac[0] & 1u)
        return sim_diag_fail(d, SIM_EINVAL, "%s: a port MAC must be unicast", port->where);
    bool listed = false;
    for (uint32_t i = 0; i < port->policy.allowed_mac_count; i++)
        if (memcmp(port->policy.allowed_macs[i], mac, 6) == 0)
            listed = true;
    if (!port->policy.allow_mac_change && !listed && memcmp(port->mac, mac, 6) != 0)
        return sim_diag_fail(d, SIM_EPERM,
                             "%s: MAC change to %02x:%02x:%02x:%02x:%02x:%02x refused: the port "
                             "policy does not allow MAC changes and the MAC is not on its "
                             "allowed list",
                             port->where, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    struct netvsp_port *o = mac_owner(port->sw, mac);
    if (o && o != port)
        return sim_diag_fail(d, SIM_EEXIST, "%s: MAC already used by %s", port->where, o->where);
    memcpy(port->mac, mac, 6);
    return 0;
}

void
netvsp_port_mac(const struct netvsp_port *port, uint8_t mac[6])
{
    if (port && mac)
        memcpy(mac, port->mac, 6);
}

bool
netvsp_port_vf_allowed(struct netvsp_port *port, struct sim_diag *d)
{
    if (!port) {
        sim_diag_fail(d, SIM_EINVAL, "netvsp_port_vf_allowed: NULL port");
        return false;
    }
    if (!port->policy.vf_allowed) {
        sim_diag_fail(d, SIM_EPERM, "%s: SR-IOV is not allowed by the port policy", port->where);
        return false;
    }
    if (port->policy.vf_veto && !port->policy.vf_veto(port->policy.vf_veto_ctx, port, d)) {
        if (d && d->code == 0)
            sim_diag_fail(d, SIM_EPERM, "%s: a switch extension vetoed the VF", port->where);
        return false;
    }
    return true;
}

int
netvsp_port_set_vmq(struct netvsp_port *port, uint32_t vport_id)
{
    if (!port)
        return SIM_EINVAL;
    if (vport_id != 0)
        for (uint32_t i = 0; i < port->sw->port_span; i++) {
            struct netvsp_port *o = port->sw->ports[i];
            if (o && o != port && o->vmq_vport == vport_id)
                return SIM_EEXIST;
        }
    port->vmq_vport = vport_id;
    return 0;
}
