/* SPDX-License-Identifier: MIT */
/*
 * dp_world.c — the world `sriovsim bench datapath` measures: one host and one VM built from the
 * same modules scenario mode uses, each part in poll (bench) mode, connected only the way the
 * real parts are.
 *
 *   guest partition: the application (NBLs whose frames live in guest memory), NetVSC, the VF
 *                    miniport (rings and buffers in guest memory);
 *   root partition:  NetVSP (the extensible switch, its VM port served over VMBus, its external
 *                    port bound through NDIS to the PF miniport), the PF miniport;
 *   hardware:        the NIC model on the PCIe fabric (IOMMU domains per RID), its physical port
 *                    attached to a wire that counts what leaves.
 *
 * Bring-up is the documented control-plane sequence on the virtual clock of the loop thread:
 * CREATE_SWITCH, ALLOCATE_VF, CREATE_VPORT, SET_FILTER (OIDs to the PF miniport), the VMBus
 * channel and NVSP INIT, the VF offered over virtual PCI, the VF miniport initialised (its
 * VF_RESET handshake with the PF over the mailbox), NetVSC bound to it, VF association and
 * SWITCH_DATA_PATH. Nothing here reaches into another component's state: the bench drives the
 * public entry points (OIDs, ndis_bind, poll functions) and reads counters.
 */
#include <stdio.h>
#include <string.h>

#include "bench/dp_int.h"

SIM_ALLOC_TAG_DEFINE(bench);

#define DP_PF_RID  PCIE_RID(1, 0, 0)
#define DP_SERIAL  0x5151u
#define DP_NUM_VFS 2u

static const uint8_t dp_vm_mac[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x10};
static const uint8_t dp_peer_mac[6] = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x01};

/* ---- drops: every layer reports here, from whatever thread lost the frame ---------------- */
static void
dp_drop(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t id, const void *f,
        uint32_t len)
{
    struct dp_world *w = ctx;
    (void)where;
    (void)id;
    (void)f;
    (void)len;
    if ((unsigned)cause < SIM_DROP_CAUSE_COUNT)
        atomic_fetch_add_explicit(&w->drops[cause], 1, memory_order_relaxed);
}

/* ---- the wire: the frames the NIC's physical port sends (device thread) ------------------- */
static void
dp_wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t packet_id, sim_time_t done_at)
{
    struct dp_world *w = ctx;
    const uint8_t *f = frame;
    (void)done_at;
    struct dp_wire *wi = &w->wire;
    if (packet_id != wi->next_id)
        wi->bad++;
    wi->next_id = packet_id + 1;
    wi->bytes += len;
    /* A sampled frame carries its send time (the application wrote it into the payload). */
    if (len >= DP_TS_OFF + 8 && f[DP_MARK_OFF] == DP_MARK_SAMPLED && wi->nlat < wi->lat_cap) {
        uint64_t ts;
        memcpy(&ts, f + DP_TS_OFF, sizeof ts);
        uint64_t now = dp_now_ns();
        wi->lat[wi->nlat++] = now > ts ? now - ts : 0;
    }
    /* Published last (release): a thread that sees the count sees the frames before it. */
    atomic_store_explicit(&wi->frames, atomic_load_explicit(&wi->frames, memory_order_relaxed) + 1,
                          memory_order_release);
}

/* ---- the application's send completions (guest thread) ------------------------------------ */
static void
dp_app_complete(void *ctx, struct ndis_nbl *chain)
{
    struct dp_world *w = ctx;
    for (struct ndis_nbl *n = chain, *next; n != NULL; n = next) {
        next = n->next;
        n->next = NULL;
        if (n->status != NDIS_STATUS_SUCCESS)
            w->app.failed++;
        (void)ndis_nbl_free(n, w->ad);
        w->app.outstanding--;
        w->app.completed++;
    }
}

static const struct netvsc_tx_ops dp_tx_ops = {.send_complete = dp_app_complete};

/* ---- OIDs to the PF miniport, run on the virtual clock until they complete ------------------ */
static void
dp_oid_cb(struct ndis_oid_request *req, ndis_status_t status)
{
    struct dp_world *w = req->data;
    w->oid_done++;
    w->oid_status = status;
}

static int
dp_oid(struct dp_world *w, enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t in_len,
       uint32_t out_len, struct sim_diag *d)
{
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&w->req, "bench", oid, buf, in_len, out_len);
    else
        ndis_oid_request_init(&w->req, "bench", type, oid, buf, in_len);
    w->req.data = w;
    int before = w->oid_done;
    int err = ndis_oid_request_submit(w->pf_mp, &w->req, dp_oid_cb, d);
    if (err)
        return err;
    for (int i = 0; i < 1000000 && w->oid_done == before; i++)
        if (sim_sched_step(w->sched) == 0)
            break;
    if (w->oid_done != before + 1)
        return sim_diag_fail(d, SIM_ESTATE, "OID 0x%08x did not complete", (unsigned)oid);
    if (w->oid_status != NDIS_STATUS_SUCCESS)
        return sim_diag_fail(d, SIM_EPERM, "OID 0x%08x failed: 0x%08x (%s)", (unsigned)oid,
                             (unsigned)w->oid_status, pf_adapter_last_refusal(w->pf)->reason);
    return 0;
}

static void
dp_hdr(struct ndis_object_header *h, uint8_t rev, size_t size)
{
    ndis_objhdr_init(h, NDIS_OBJECT_TYPE_DEFAULT, rev, (uint16_t)size);
}

static int
dp_nic_switch_up(struct dp_world *w, struct sim_diag *d)
{
    struct ndis_nic_switch_parameters sp;
    memset(&sp, 0, sizeof sp);
    dp_hdr(&sp.header, NDIS_NIC_SWITCH_PARAMETERS_REVISION_1,
           NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    sp.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    sp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    sp.num_vfs = DP_NUM_VFS;
    int err = dp_oid(w, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_SWITCH, &sp,
                     (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, (uint32_t)sizeof sp, d);
    if (err)
        return err;

    struct ndis_nic_switch_vf_parameters vp;
    memset(&vp, 0, sizeof vp);
    dp_hdr(&vp.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    vp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    vp.vf_id = NDIS_INVALID_VF_FUNCTION_ID;
    vp.requestor_id = NDIS_INVALID_RID;
    vp.mac_address_length = 6;
    memcpy(vp.permanent_mac_address, dp_vm_mac, 6);
    memcpy(vp.current_mac_address, dp_vm_mac, 6);
    err = dp_oid(w, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ALLOCATE_VF, &vp, (uint32_t)sizeof vp,
                 (uint32_t)sizeof vp, d);
    if (err)
        return err;
    w->vf_id = vp.vf_id;
    w->rid = vp.requestor_id;

    struct ndis_nic_switch_vport_parameters pp;
    memset(&pp, 0, sizeof pp);
    dp_hdr(&pp.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    pp.switch_id = NDIS_DEFAULT_SWITCH_ID;
    pp.vport_id = NDIS_DEFAULT_VPORT_ID;
    pp.attached_function_id = w->vf_id;
    pp.num_queue_pairs = 1;
    pp.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    err = dp_oid(w, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_VPORT, &pp, (uint32_t)sizeof pp,
                 (uint32_t)sizeof pp, d);
    if (err)
        return err;
    w->vport = pp.vport_id;

    struct {
        struct ndis_receive_filter_parameters p;
        struct pf_receive_filter_field_parameters f[1];
    } r;
    memset(&r, 0, sizeof r);
    dp_hdr(&r.p.header, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
           NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
    r.p.filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE;
    r.p.queue_id = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    r.p.filter_id = NDIS_DEFAULT_RECEIVE_FILTER_ID;
    r.p.vport_id = w->vport;
    r.p.field_parameters_array_offset = (uint32_t)sizeof r.p;
    r.p.field_parameters_array_element_size = (uint32_t)sizeof r.f[0];
    r.p.field_parameters_array_num_elements = 1;
    dp_hdr(&r.f[0].header, 1, sizeof r.f[0]);
    r.f[0].frame_header = PF_FRAME_HEADER_MAC;
    r.f[0].receive_filter_test = PF_RECEIVE_FILTER_TEST_EQUAL;
    r.f[0].mac_header_field = PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS;
    r.f[0].flags = PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
    memcpy(r.f[0].field_value.byte_array, dp_vm_mac, 6);
    err = dp_oid(w, NDIS_REQUEST_METHOD, OID_RECEIVE_FILTER_SET_FILTER, &r, (uint32_t)sizeof r,
                 (uint32_t)sizeof r, d);
    if (err)
        return err;
    w->filter = r.p.filter_id;
    return 0;
}

/* The host's documented teardown: filter, VPort, FLR, FREE_VF, DELETE_SWITCH. */
static void
dp_nic_switch_down(struct dp_world *w)
{
    struct sim_diag d = {0};
    struct ndis_receive_filter_clear_parameters cp;
    memset(&cp, 0, sizeof cp);
    dp_hdr(&cp.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
    cp.filter_id = w->filter;
    (void)dp_oid(w, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_CLEAR_FILTER, &cp,
                 (uint32_t)sizeof cp, 0, &d);
    struct ndis_nic_switch_delete_vport_parameters dv;
    memset(&dv, 0, sizeof dv);
    dp_hdr(&dv.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
    dv.vport_id = w->vport;
    (void)dp_oid(w, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &dv,
                 (uint32_t)sizeof dv, 0, &d);
    struct ndis_sriov_reset_vf_parameters rv;
    memset(&rv, 0, sizeof rv);
    dp_hdr(&rv.header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
    rv.vf_id = w->vf_id;
    (void)dp_oid(w, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_RESET_VF, &rv, (uint32_t)sizeof rv, 0,
                 &d);
    struct ndis_nic_switch_free_vf_parameters fv;
    memset(&fv, 0, sizeof fv);
    dp_hdr(&fv.header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
    fv.vf_id = w->vf_id;
    (void)dp_oid(w, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_FREE_VF, &fv, (uint32_t)sizeof fv,
                 0, &d);
    struct ndis_nic_switch_delete_switch_parameters ds;
    memset(&ds, 0, sizeof ds);
    dp_hdr(&ds.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
    (void)dp_oid(w, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_SWITCH, &ds,
                 (uint32_t)sizeof ds, 0, &d);
}

/* Advance the control plane: virtual time on the loop thread plus one poll of every data-path
 * owner (POLL-mode channels and poll-mode drivers move only when polled). */
static void
dp_settle(struct dp_world *w, sim_time_t ns)
{
    sim_time_t end = sim_sched_now(w->sched) + ns;
    while (sim_sched_now(w->sched) < end) {
        (void)sim_sched_run(w->sched, sim_sched_now(w->sched) + SIM_USEC(50));
        (void)netvsp_switch_poll(w->sw, 64);
        (void)pf_adapter_poll(w->pf, 64);
        (void)nic_poll(w->nic, 64);
        if (w->vf)
            (void)vf_adapter_poll(w->vf, 64);
        (void)netvsc_adapter_poll(w->ad, 64);
    }
}

static void
dp_vpci_arrival(void *ctx, struct hv_vpci_dev *dev)
{
    struct dp_world *w = ctx;
    (void)dev;
    w->vf_arrived = true;
}

static const struct hv_vpci_guest_ops dp_vpci_ops = {.arrival = dp_vpci_arrival};

int
bench__dp_world_create(struct dp_world *w, const struct dp_world_config *cfg, struct sim_diag *d)
{
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    w->sink.drop = dp_drop;
    w->sink.ctx = w;
    int err = sim_sched_create(SIM_SCHED_VIRTUAL, &w->sched);
    if (err)
        return sim_diag_fail(d, err, "bench: cannot create the scheduler");
    err = pcie_fabric_create(w->sched, &w->fabric);
    if (err)
        return sim_diag_fail(d, err, "bench: cannot create the PCIe fabric");
    struct nic_config nc = {
        .rid = DP_PF_RID,
        .total_vfs = DP_NUM_VFS,
        .mac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00},
        .name = "h1.nic0",
        .drop_sink = &w->sink,
        .poll_mode = true,
    };
    err = nic_create(w->fabric, &nc, &w->nic, d);
    if (err)
        return err;
    static const struct nic_wire_ops wire = {.tx = dp_wire_tx};
    nic_port_attach(w->nic, &wire, w);

    struct pf_config pc = {
        .name = "pf0",
        .sched = w->sched,
        .fabric = w->fabric,
        .rid = DP_PF_RID,
        .poll_mode = true,
        .ring_slots = DP_RING_SLOTS,
        .drop_sink = &w->sink,
    };
    err = pf_adapter_create(&pc, &w->pf, d);
    if (err)
        return err;
    w->pf_mp = pf_adapter_miniport(w->pf);
    ndis_status_t st = 0;
    if ((err = ndis_miniport_initialize(w->pf_mp, &st, d)) != 0 ||
        (err = ndis_miniport_restart(w->pf_mp, &st, d)) != 0)
        return err;
    (void)sim_sched_run(w->sched, sim_sched_now(w->sched) + SIM_MSEC(1));
    if ((err = dp_nic_switch_up(w, d)) != 0)
        return err;
    (void)sim_sched_run(w->sched, sim_sched_now(w->sched) + SIM_MSEC(200)); /* VF Enable wait */

    /* Partitions: the root (NetVSP's memory) and the VM (the app's buffers, NetVSC's channel,
     * the VF's rings and buffers, all in guest memory). */
    struct hv_partition_config hc;
    hv_partition_config_init(&hc);
    hc.id = 0;
    hc.name = "h1";
    hc.kind = HV_PARTITION_ROOT;
    hc.mem_size = UINT64_C(4) << 20;
    if ((err = hv_partition_create(w->sched, NULL, &hc, &w->root, d)) != 0)
        return err;
    hv_partition_config_init(&hc);
    hc.id = 1;
    hc.name = "vm1";
    hc.mem_size = UINT64_C(64) << 20;
    if ((err = hv_partition_create(w->sched, w->fabric, &hc, &w->guest, d)) != 0)
        return err;

    /* The host's switch, its external port bound to the PF miniport through NDIS. */
    struct netvsp_switch_config sc = {
        .name = "h1.sw", .sched = w->sched, .drops = &w->sink, .nbls = DP_APP_NBLS};
    if ((err = netvsp_switch_create(&sc, &w->sw, d)) != 0)
        return err;
    if ((err = netvsp_switch_bind_nic(w->sw, w->pf_mp, d)) != 0)
        return err;
    struct netvsp_port_policy pol;
    netvsp_port_policy_init(&pol);
    pol.mtu = NETVSP_FRAME_MAX; /* jumbo frames allowed on the VM's port */
    struct netvsp_port_config poc = {
        .host = w->root, .guest = w->guest, .signal = HV_VMBUS_SIGNAL_POLL, .policy = &pol};
    memcpy(poc.mac, dp_vm_mac, 6);
    if ((err = netvsp_port_create(w->sw, &poc, &w->port, d)) != 0)
        return err;

    /* The guest's NetVSC (sections sized for jumbo frames: hv_netvsc would send those by page
     * buffer; the model copies every synthetic frame into a section). */
    struct netvsc_adapter_config ac;
    netvsc_adapter_config_init(&ac);
    ac.name = "vm1";
    ac.guest = w->guest;
    memcpy(ac.mac, dp_vm_mac, 6);
    ac.drops = &w->sink;
    ac.vf_takeover_delay_ns = 0;
    hv_vmbus_open_config_init(&ac.open);
    ac.open.send_section_size = NETVSC_FRAME_MAX;
    if ((err = netvsc_adapter_create(&ac, &w->ad, d)) != 0)
        return err;
    netvsc_adapter_set_tx(w->ad, &dp_tx_ops, w);
    dp_settle(w, SIM_MSEC(2));
    if (!netvsc_adapter_is_ready(w->ad) || !netvsp_port_is_ready(w->port))
        return sim_diag_fail(d, SIM_ESTATE, "bench: NVSP INIT did not complete");

    /* The application's buffers: one slot per NBL in guest memory, backfill in front, the frame
     * headers written once (the payload's first bytes are rewritten per send). */
    struct ndis_nbl_pool_config npc = {
        .name = "vm1.app", .nbl_count = DP_APP_NBLS, .nbs_per_nbl = 1, .track_owners = false};
    if ((err = ndis_nbl_pool_create(&npc, &w->app.pool, d)) != 0)
        return err;
    uint64_t len = (uint64_t)DP_APP_NBLS * DP_APP_SLOT;
    if ((err = hv_gpa_alloc(w->guest, len, 0, &w->app.gpa, d)) != 0)
        return err;
    w->app.buf = hv_gpa_to_host(w->guest, w->app.gpa, len);
    for (unsigned i = 0; i < DP_APP_NBLS; i++) {
        uint8_t *f = w->app.buf + (size_t)i * DP_APP_SLOT + NETVSC_VF_BACKFILL;
        memcpy(f, dp_peer_mac, 6);
        memcpy(f + 6, dp_vm_mac, 6);
        f[12] = 0x08;
        f[13] = 0x00;
    }
    /* Each NBL keeps its buffer for life (alloc resets only offset and length). */
    struct ndis_nbl *all = NULL;
    for (unsigned i = 0; i < DP_APP_NBLS; i++) {
        struct ndis_nbl *n = ndis_nbl_alloc(w->app.pool, w->ad);
        n->first_nb->data = w->app.buf + (size_t)i * DP_APP_SLOT;
        n->first_nb->capacity = DP_APP_SLOT;
        n->next = all;
        all = n;
    }
    for (struct ndis_nbl *n = all, *next; n != NULL; n = next) {
        next = n->next;
        n->next = NULL;
        (void)ndis_nbl_free(n, w->ad);
    }
    w->lat_cap = cfg->lat_cap;
    w->wire.lat_cap = cfg->lat_cap;
    w->wire.lat = sim_calloc(SIM_TAG(bench), cfg->lat_cap ? cfg->lat_cap : 1, sizeof(uint64_t));
    if (!w->wire.lat)
        return sim_diag_fail(d, SIM_ENOMEM, "bench: out of memory");
    w->built = true;
    return 0;
}

int
bench__dp_world_vf_up(struct dp_world *w, struct sim_diag *d)
{
    int err;
    hv_vpci_guest_set_ops(w->guest, &dp_vpci_ops, w);
    struct hv_vpci_offer_config oc;
    hv_vpci_offer_config_init(w->guest, &oc);
    oc.offer_delay_ns = SIM_MSEC(1);
    oc.serial = DP_SERIAL;
    if ((err = hv_vpci_offer(w->guest, (uint16_t)w->rid, &oc, &w->vpci, d)) != 0)
        return err;
    dp_settle(w, SIM_MSEC(2));
    if (!w->vf_arrived)
        return sim_diag_fail(d, SIM_ESTATE, "bench: the VF did not arrive in the guest");
    struct vf_config vc = {
        .name = "vm1.vf0",
        .guest = w->guest,
        .rid = (uint16_t)w->rid,
        .serial = DP_SERIAL,
        .ring_slots = DP_RING_SLOTS,
        .poll_mode = true,
        .drop_sink = &w->sink,
    };
    if ((err = vf_adapter_create(&vc, &w->vf, d)) != 0)
        return err;
    w->vf_mp = vf_adapter_miniport(w->vf);
    ndis_status_t st = 0;
    if ((err = ndis_miniport_initialize(w->vf_mp, &st, d)) != 0 ||
        (err = ndis_miniport_restart(w->vf_mp, &st, d)) != 0)
        return err;
    for (int i = 0; i < 200 && ndis_miniport_state(w->vf_mp) != NDIS_MINIPORT_RUNNING; i++)
        dp_settle(w, SIM_USEC(100));
    if (ndis_miniport_state(w->vf_mp) != NDIS_MINIPORT_RUNNING)
        return sim_diag_fail(d, SIM_ESTATE, "bench: the VF miniport did not start: %s",
                             vf_adapter_last_error(w->vf)->reason);
    if ((err = netvsp_port_vf_associate(w->port, true, DP_SERIAL)) != 0)
        return sim_diag_fail(d, err, "bench: VF association refused");
    dp_settle(w, SIM_MSEC(1));
    if ((err = ndis_bind(netvsc_adapter_protocol(w->ad), w->vf_mp, &w->vf_b, &st, d)) != 0)
        return err;
    for (int i = 0; i < 100 && netvsc_adapter_dp_state(w->ad) != NETVSC_DP_ON_VF; i++)
        dp_settle(w, SIM_USEC(200));
    if (netvsc_adapter_dp_state(w->ad) != NETVSC_DP_ON_VF)
        return sim_diag_fail(d, SIM_ESTATE, "bench: NetVSC did not switch to the VF (%s)",
                             netvsc_dp_state_name(netvsc_adapter_dp_state(w->ad)));
    return 0;
}

void
bench__dp_world_drain(struct dp_world *w)
{
    dp_settle(w, SIM_MSEC(1));
}

void
bench__dp_world_destroy(struct dp_world *w)
{
    struct sim_diag d = {0};
    if (w->ad && w->vf_b) {
        (void)netvsc_adapter_vf_going_down(w->ad);
        dp_settle(w, SIM_MSEC(1));
        (void)ndis_unbind(w->vf_b, &d);
        w->vf_b = NULL;
    }
    if (w->vf_mp) {
        if (ndis_miniport_state(w->vf_mp) == NDIS_MINIPORT_RUNNING) {
            ndis_status_t st = 0;
            (void)ndis_miniport_pause(w->vf_mp, &st, &d);
            for (int i = 0; i < 100 && ndis_miniport_state(w->vf_mp) != NDIS_MINIPORT_PAUSED; i++)
                dp_settle(w, SIM_USEC(100));
        }
        if (ndis_miniport_state(w->vf_mp) != NDIS_MINIPORT_HALTED)
            (void)ndis_miniport_halt(w->vf_mp, &d);
        (void)vf_adapter_destroy(w->vf);
        w->vf = NULL;
        w->vf_mp = NULL;
    }
    if (w->ad) {
        (void)netvsc_adapter_destroy(w->ad);
        (void)sim_sched_run(w->sched, sim_sched_now(w->sched) + SIM_MSEC(1));
    }
    if (w->app.pool)
        (void)ndis_nbl_pool_destroy(w->app.pool);
    if (w->sw) {
        (void)netvsp_switch_unbind_nic(w->sw, &d);
        netvsp_switch_destroy(w->sw);
    }
    if (w->guest)
        hv_partition_destroy(w->guest);
    if (w->root)
        hv_partition_destroy(w->root);
    if (w->pf_mp && w->vport)
        dp_nic_switch_down(w);
    if (w->pf_mp) {
        if (ndis_miniport_state(w->pf_mp) == NDIS_MINIPORT_RUNNING)
            (void)ndis_miniport_pause(w->pf_mp, NULL, &d);
        if (ndis_miniport_state(w->pf_mp) != NDIS_MINIPORT_HALTED)
            (void)ndis_miniport_halt(w->pf_mp, &d);
    }
    if (w->pf)
        (void)pf_adapter_destroy(w->pf);
    nic_destroy(w->nic);
    pcie_fabric_destroy(w->fabric);
    if (w->sched)
        sim_sched_destroy(w->sched);
    sim_free(w->wire.lat);
    memset(w, 0, sizeof *w);
}
