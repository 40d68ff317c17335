/* SPDX-License-Identifier: MIT */
/*
 * miniport.c — the VF miniport's NDIS entry points and life cycle: registration,
 * MiniportInitializeEx (probe BAR0, queues in guest memory, MSI-X, VF_RESET handshake over the
 * mailbox), MiniportRestart (pends until the PF answered the handshake), MiniportPause (pends
 * until every send completed and every indicated receive came back: a graceful halt loses
 * nothing), MiniportHaltEx, MiniportResetEx, and surprise removal
 * (MiniportDevicePnPEventNotify(NdisDevicePnPEventSurpriseRemoved)): the queues stop, every
 * frame in flight in the VF's rings is completed with NDIS_STATUS_ADAPTER_REMOVED, reported to
 * the drop sink with SIM_DROP_SURPRISE_REMOVAL and counted.
 *
 * Windows counterpart: netvmini's miniport.c / adapter.c in a child partition (a VF miniport
 * per ndis_sriov.md §6.4: it never reads the SR-IOV keywords, registers SR-IOV caps with
 * VF_MINIPORT, and only NetVSC binds it). The fabric's removal event plays the guest PnP
 * manager, which tells NDIS, which tells the miniport.
 */
#include <string.h>

#include "miniport_vf/vf_int.h"

SIM_LOG_NS_DEFINE(vf);
SIM_ALLOC_TAG_DEFINE(vf);

/* ---- surprise removal ------------------------------------------------------------------ */

/* The accounting of a surprise removal. Runs on the thread that owns the data path: at once in
 * scenario mode; in poll (bench) mode from the data-path thread's next vf_adapter_poll, or from
 * MiniportPause / MiniportHaltEx once that thread handed the data path back. */
void
vf__removal_flush(struct vf_adapter *a)
{
    if (!a->removed || a->removal_flushed || !a->hw_up)
        return;
    a->removal_flushed = true;
    /* Completions the device posted before it vanished are real: reap them first (the rings
     * are guest memory, still readable). What is left never reached the device or never came
     * back: that is exactly what was in flight in the removed VF's rings. */
    (void)vf__tx_reap(a, a->slots);
    unsigned tx = vf__tx_flush(a, NDIS_STATUS_ADAPTER_REMOVED, SIM_DROP_SURPRISE_REMOVAL);
    unsigned rx = vf__rx_flush(a, SIM_DROP_SURPRISE_REMOVAL);
    a->stats.tx_removed += tx;
    a->stats.rx_removed += rx;
    sim_diag_fail(&a->last_error, SIM_ENODEV,
                  "%s: surprise removal (%s): %u TX frame(s) and %u received frame(s) in flight "
                  "were lost (NDIS_STATUS_ADAPTER_REMOVED, %s)",
                  a->name, a->removal_how, tx, rx, sim_drop_cause_name(SIM_DROP_SURPRISE_REMOVAL));
    SIM_WARN(vf, "%s", a->last_error.reason);
    vf__pause_check(a);
}

/* Loop thread. */
static void
surprise_removed(struct vf_adapter *a, const char *how)
{
    if (a->removed)
        return;
    a->removed = true; /* seq_cst store; partner: the data path's loads of `removed` */
    if (!a->hw_up)
        return;
    a->stats.surprise_removals++;
    snprintf(a->removal_how, sizeof a->removal_how, "%s", how);
    (void)sim_timer_stop(&a->dpc);
    vf__mbx_cancel_all(a, NDIS_STATUS_ADAPTER_REMOVED);
    if (a->restart_pending) {
        a->restart_pending = false;
        (void)ndis_miniport_restart_complete(a->mp, NDIS_STATUS_ADAPTER_REMOVED);
    }
    if (a->poll_mode) {
        SIM_INFO(vf,
                 "%s: surprise removal (%s): the data-path thread accounts for the frames "
                 "in flight at its next poll",
                 a->name, how);
        return;
    }
    a->running = false;
    vf__removal_flush(a);
}

/* MiniportDevicePnPEventNotify. */
static void
pnp_event(void *ctx, enum ndis_device_pnp_event ev)
{
    struct vf_adapter *a = ctx;
    switch (ev) {
    case NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED:
        surprise_removed(a, "PnP surprise-removed");
        break;
    case NDIS_DEVICE_PNP_EVENT_POWER_PROFILE_CHANGED:
        break; /* nothing power-related is modelled */
    }
}

void
vf__device_gone(struct vf_adapter *a, const char *where)
{
    if (a->removed)
        return;
    SIM_WARN(vf, "%s: %s read all-ones / was dropped: the device is gone", a->name, where);
    /* Tell NDIS (it then refuses new sends and OIDs with ADAPTER_REMOVED) and ourselves. */
    if (ndis_miniport_pnp_event(a->mp, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED) != 0)
        surprise_removed(a, where);
}

/* The guest PnP manager's view of the fabric: our function vanished. */
static void
fabric_event(void *ctx, const struct pcie_event *ev)
{
    struct vf_adapter *a = ctx;
    if (ev->type != PCIE_EV_FN_REMOVED || ev->rid != a->rid || a->removed)
        return;
    if (ndis_miniport_pnp_event(a->mp, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED) != 0)
        surprise_removed(a, "function removed");
}

void
vf__pause_check(struct vf_adapter *a)
{
    if (!a->pausing || vf__tx_inflight(a) != 0 || a->rx_lent != 0)
        return;
    a->pausing = false;
    a->running = false;
    (void)ndis_miniport_pause_complete(a->mp, NDIS_STATUS_SUCCESS);
}

/* ---- NDIS handlers ----------------------------------------------------------------------- */

static void
teardown(struct vf_adapter *a)
{
    pcie_fabric_unsubscribe(&a->sub);
    (void)sim_timer_stop(&a->dpc);
    vf__hw_qp_disable(a);
    vf__hw_msix_teardown(a);
    vf__hw_queues_free(a);
    vf__pools_destroy(a);
}

/* MiniportInitializeEx. */
static ndis_status_t
initialize(void *ctx, struct ndis_miniport *mp)
{
    struct vf_adapter *a = ctx;
    struct sim_diag *d = &a->last_error;
    (void)mp;
    sim_diag_clear(d);
    a->removed = false;
    a->removal_flushed = a->configured = a->running = a->pausing = a->restart_pending = false;
    memset(&a->stats, 0, sizeof a->stats);
    int rc = vf__hw_probe(a, d);
    if (rc != 0)
        goto fail;
    rc = vf__pools_create(a, d);
    if (rc != 0)
        goto fail;
    rc = vf__hw_queues_alloc(a, d);
    if (rc != 0)
        goto undo_pools;
    rc = vf__hw_qp_enable(a, d);
    if (rc != 0)
        goto undo_queues;
    rc = vf__hw_msix_setup(a, d);
    if (rc != 0)
        goto undo_qp;
    (void)vf__rcb_post_idle(a);
    if (!a->poll_mode)
        (void)vf__hw_rxf_doorbell(a);
    rc = pcie_fabric_subscribe(a->fabric, &a->sub, fabric_event, a);
    if (rc != 0) {
        sim_diag_fail(d, rc, "%s: cannot watch the fabric (%s)", a->name, sim_strerror(rc));
        goto undo_msix;
    }
    a->hw_up = true;
    /* The handshake: VF_RESET tells the PF the driver (re)started; the reply is our MAC. */
    struct vf_mbx_req r = {.kind = VF_MBX_RESET, .nwords = 1};
    rc = vf__mbx_submit(a, &r, d);
    if (rc != 0) {
        a->hw_up = false;
        pcie_fabric_unsubscribe(&a->sub);
        goto undo_msix;
    }
    SIM_INFO(vf, "%s: initialized (%u-slot rings, %u RX buffers, %s mode)", a->name, a->slots,
             a->rx_count, a->poll_mode ? "poll" : "interrupt");
    return NDIS_STATUS_SUCCESS;

undo_msix:
    vf__hw_msix_teardown(a);
undo_qp:
    vf__hw_qp_disable(a);
undo_queues:
    vf__hw_queues_free(a);
undo_pools:
    vf__pools_destroy(a);
fail:
    SIM_WARN(vf, "%s: MiniportInitializeEx failed: %s", a->name, d->reason);
    return rc == SIM_ENOMEM   ? NDIS_STATUS_RESOURCES
           : rc == SIM_ENODEV ? NDIS_STATUS_ADAPTER_REMOVED
                              : NDIS_STATUS_FAILURE;
}

/* MiniportHaltEx: called paused; nothing is in flight (pause waited for it). */
static void
halt(void *ctx)
{
    struct vf_adapter *a = ctx;
    vf__removal_flush(a);
    vf__mbx_cancel_all(a, NDIS_STATUS_ADAPTER_REMOVED);
    if (vf__tx_inflight(a) != 0) /* only if NDIS halted without pausing: cannot happen */
        a->stats.tx_aborted += vf__tx_flush(a, NDIS_STATUS_REQUEST_ABORTED, SIM_DROP_PAUSED);
    a->hw_up = false;
    a->running = false;
    teardown(a);
    SIM_INFO(vf, "%s: halted", a->name);
}

/* MiniportPause: stop taking sends; pend until every send completed and every indicated
 * receive came back. */
static ndis_status_t
pause(void *ctx)
{
    struct vf_adapter *a = ctx;
    vf__removal_flush(a); /* poll mode: the data path is ours again */
    a->pausing = true;
    if (vf__tx_inflight(a) == 0 && a->rx_lent == 0) {
        a->pausing = false;
        a->running = false;
        return NDIS_STATUS_SUCCESS;
    }
    return NDIS_STATUS_PENDING; /* vf__pause_check completes it from the data path */
}

/* MiniportRestart: run once the PF answered the VF_RESET handshake. */
static ndis_status_t
restart(void *ctx)
{
    struct vf_adapter *a = ctx;
    if (a->removed)
        return NDIS_STATUS_ADAPTER_REMOVED;
    if (a->configured) {
        a->running = true;
        return NDIS_STATUS_SUCCESS;
    }
    if (a->mbx_count == 0) { /* the handshake failed earlier: try it again */
        struct vf_mbx_req r = {.kind = VF_MBX_RESET, .nwords = 1};
        if (vf__mbx_submit(a, &r, &a->last_error) != 0)
            return NDIS_STATUS_FAILURE;
    }
    a->restart_pending = true;
    return NDIS_STATUS_PENDING;
}

/* MiniportResetEx: disable the QP, abort what was in flight (completed with
 * NDIS_STATUS_REQUEST_ABORTED, reported as SIM_DROP_FUNCTION_RESET), re-initialise the rings,
 * re-enable the QP, repost the receive buffers and redo the VF_RESET handshake. */
static ndis_status_t
reset(void *ctx, bool *addressing_reset)
{
    struct vf_adapter *a = ctx;
    *addressing_reset = false;
    if (a->removed)
        return NDIS_STATUS_ADAPTER_REMOVED;
    if (!a->hw_up)
        return NDIS_STATUS_FAILURE;
    a->stats.resets++;
    vf__hw_qp_disable(a);
    (void)vf__tx_reap(a, a->slots);
    a->stats.tx_aborted += vf__tx_flush(a, NDIS_STATUS_REQUEST_ABORTED, SIM_DROP_FUNCTION_RESET);
    (void)vf__rx_flush(a, SIM_DROP_FUNCTION_RESET);
    for (unsigned i = 0; i < VF_RINGS; i++) {
        sim_ring_fini(a->ring[i]);
        (void)sim_ring_init(a->ring[i], a->slots);
    }
    a->tx_head = a->tx_tail = 0;
    if (vf__hw_qp_enable(a, &a->last_error) != 0)
        return NDIS_STATUS_DEVICE_FAILED;
    (void)vf__rcb_post_idle(a);
    if (!a->poll_mode)
        (void)vf__hw_rxf_doorbell(a);
    struct vf_mbx_req r = {.kind = VF_MBX_RESET, .nwords = 1};
    (void)vf__mbx_submit(a, &r, &a->last_error);
    return NDIS_STATUS_SUCCESS;
}

static const struct ndis_miniport_ops vf_ops = {
    .initialize = initialize,
    .halt = halt,
    .pause = pause,
    .restart = restart,
    .oid_request = vf__oid_request,
    .send_net_buffer_lists = vf__send_nbls,
    .return_net_buffer_lists = vf__return_nbls,
    .reset = reset,
    .device_pnp_event = pnp_event,
};

/* ---- creation ------------------------------------------------------------------------------ */

int
vf_adapter_create(const struct vf_config *cfg, struct vf_adapter **out, struct sim_diag *d)
{
    if (cfg == NULL || out == NULL || cfg->name == NULL || cfg->name[0] == '\0' ||
        cfg->guest == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "vf_adapter_create: name and guest are required");
    struct pcie_fabric *fabric = hv_partition_fabric(cfg->guest);
    if (fabric == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "%s: the guest partition has no PCIe fabric",
                             cfg->name);
    unsigned slots = cfg->ring_slots != 0 ? cfg->ring_slots : VF_RING_SLOTS_DEFAULT;
    if (slots < 8 || slots > NIC_QP_RING_MAX || (slots & (slots - 1)) != 0)
        return sim_diag_fail(d, SIM_EINVAL, "%s: ring_slots %u is not a power of two in [8, %u]",
                             cfg->name, slots, NIC_QP_RING_MAX);
    unsigned rx = cfg->rx_buffers != 0 ? cfg->rx_buffers : slots / 2;
    if (rx > slots)
        return sim_diag_fail(d, SIM_EINVAL,
                             "%s: %u RX buffers do not fit the %u-slot RX ring (the device "
                             "needs RX room for every fill buffer)",
                             cfg->name, rx, slots);
    struct vf_adapter *a = sim_calloc(SIM_TAG(vf), 1, sizeof(*a));
    if (a == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "%s: out of memory", cfg->name);
    snprintf(a->name, sizeof a->name, "%s", cfg->name);
    snprintf(a->where_tx, sizeof a->where_tx, "%s tx", a->name);
    snprintf(a->where_rx, sizeof a->where_rx, "%s rx", a->name);
    a->guest = cfg->guest;
    a->fabric = fabric;
    a->sched = hv_partition_sched(cfg->guest);
    a->rid = cfg->rid;
    a->serial = cfg->serial;
    a->poll_mode = cfg->poll_mode;
    a->slots = slots;
    a->rx_count = rx;
    if (cfg->drop_sink != NULL) {
        a->sink = *cfg->drop_sink;
        a->has_sink = true;
    }
    sim_timer_init(a->sched, &a->dpc, vf__dpc, a);
    sim_timer_init(a->sched, &a->mbx_timer, vf__mbx_timeout, a);
    struct ndis_miniport_config mc = {
        .name = a->name,
        .kind = NDIS_MINIPORT_VF,
        .sched = a->sched,
        .trace = cfg->trace,
        .ops = &vf_ops,
        .ctx = a,
        .sriov_enabled = true,
        .sriov_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT,
        .vf_serial_number = cfg->serial,
    };
    int rc = ndis_miniport_create(&mc, &a->mp, d);
    if (rc != 0) {
        sim_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int
vf_adapter_destroy(struct vf_adapter *a)
{
    if (a == NULL)
        return 0;
    int rc = ndis_miniport_destroy(a->mp);
    if (rc != 0)
        return rc;
    pcie_fabric_unsubscribe(&a->sub);
    (void)sim_timer_stop(&a->dpc);
    (void)sim_timer_stop(&a->mbx_timer);
    sim_free(a);
    return 0;
}

struct ndis_miniport *
vf_adapter_miniport(const struct vf_adapter *a)
{
    return a->mp;
}

const char *
vf_adapter_name(const struct vf_adapter *a)
{
    return a->name;
}

void
vf_adapter_mac(const struct vf_adapter *a, uint8_t mac[6])
{
    memcpy(mac, a->cur_mac, 6);
}

void
vf_adapter_permanent_mac(const struct vf_adapter *a, uint8_t mac[6])
{
    memcpy(mac, a->perm_mac, 6);
}

bool
vf_adapter_is_configured(const struct vf_adapter *a)
{
    return a->configured;
}

bool
vf_adapter_is_removed(const struct vf_adapter *a)
{
    return a->removed;
}

void
vf_adapter_rx_area(const struct vf_adapter *a, uint64_t *gpa, uint64_t *len)
{
    *gpa = a->rxbuf_gpa;
    *len = (uint64_t)a->rx_count * VF_RX_BUF_SIZE;
}

void
vf_adapter_stats(const struct vf_adapter *a, struct vf_stats *out)
{
    *out = a->stats;
    out->tx_inflight = vf__tx_inflight(a);
}

const struct sim_diag *
vf_adapter_last_error(const struct vf_adapter *a)
{
    return &a->last_error;
}
