/* SPDX-License-Identifier: MIT */
/*
 * vf.c — NetVSC's protocol edge (netvsc.sys's LowerRange "ndisvf" binding): NDIS binds it, and
 * only it, to the VF miniport. On bind NetVSC asks the VF for its serial number
 * (OID_SRIOV_VF_SERIAL_NUMBER) to match it with the host's VF association; VF receives go to the
 * same application endpoint as synthetic ones; VF sends use NBLs from NetVSC's own pool.
 */
#include <string.h>

#include "netvsc/netvsc_int.h"

/* One VF TX buffer: backfill + the largest frame, cache-line rounded. */
#define NETVSC_VF_SLOT ((NETVSC_VF_BACKFILL + NETVSC_FRAME_MAX + 63u) & ~63u)

static int stage_alloc(struct netvsc_adapter *ad, struct sim_diag *d);
static void stage_free(struct netvsc_adapter *ad);

static void
serial_done(struct ndis_oid_request *req, ndis_status_t status)
{
    struct netvsc_adapter *ad = req->data;
    if (!ad->vf_binding)
        return; /* unbound meanwhile */
    if (status != NDIS_STATUS_SUCCESS) {
        SIM_WARN(netvsc, "%s: VF serial query failed (0x%08x): VF not used", ad->name,
                 (unsigned)status);
        return;
    }
    ad->vf_serial_known = true;
    ad->vf_bound_serial = ad->serial_info.serial_number;
    SIM_DEBUG(netvsc, "%s: bound VF has serial %u", ad->name, ad->vf_bound_serial);
    netvsc__vf_registered_check(ad);
}

static ndis_status_t
bind_adapter(void *ctx, struct ndis_binding *b, const struct ndis_bind_parameters *bp)
{
    struct netvsc_adapter *ad = ctx;
    /* NetVSC teams with one VF at a time, and only with VF miniports. */
    if (bp->kind != NDIS_MINIPORT_VF || ad->vf_binding)
        return NDIS_STATUS_NOT_SUPPORTED;
    struct sim_diag d = {0};
    if (!ad->vf_pool && stage_alloc(ad, &d) != 0) {
        SIM_WARN(netvsc, "%s: cannot bind the VF: %s", ad->name, d.reason);
        return NDIS_STATUS_RESOURCES;
    }
    ndis_binding_set_context(b, ad);
    ad->vf_binding = b;
    ad->vf_serial_known = false;
    memset(&ad->serial_info, 0, sizeof ad->serial_info);
    ndis_oid_request_init(&ad->serial_req, ad->name, NDIS_REQUEST_QUERY_INFORMATION,
                          OID_SRIOV_VF_SERIAL_NUMBER, &ad->serial_info,
                          (uint32_t)sizeof ad->serial_info);
    ad->serial_req.data = ad;
    if (ndis_binding_oid_request(b, &ad->serial_req, serial_done, &d) != 0) {
        SIM_WARN(netvsc, "%s: cannot query the VF serial: %s", ad->name, d.reason);
        ad->vf_binding = NULL;
        stage_free(ad);
        return NDIS_STATUS_RESOURCES;
    }
    ad->stats.vf_binds++;
    SIM_DEBUG(netvsc, "%s: bound to VF miniport %s", ad->name, bp->miniport_name);
    return NDIS_STATUS_SUCCESS;
}

static void
unbind_adapter(void *ctx, struct ndis_binding *b)
{
    struct netvsc_adapter *ad = ctx;
    if (b != ad->vf_binding)
        return;
    ad->vf_binding = NULL;
    ad->vf_serial_known = false;
    ad->stats.vf_unbinds++;
    SIM_DEBUG(netvsc, "%s: unbound from the VF", ad->name);
    if (ad->vf_tx_out == 0) /* NDIS unbinds only when no send is out: always true here */
        stage_free(ad);
    netvsc__vf_lost(ad);
}

static void
receive_nbls(void *binding_ctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct netvsc_adapter *ad = binding_ctx;
    for (struct ndis_nbl *n = chain; n; n = n->next)
        for (struct ndis_nb *nb = n->first_nb; nb; nb = nb->next) {
            const uint8_t *frame = nb->data + nb->data_offset;
            ad->stats.rx_vf++;
            netvsc__tap(ad, ad->cap_vf, CAP_DIR_IN, n->packet_id, frame, nb->data_length, NULL);
            netvsc__deliver(ad, frame, nb->data_length, n->packet_id);
        }
    ndis_binding_return(b, chain);
}

static void
send_complete(void *binding_ctx, struct ndis_binding *b, struct ndis_nbl *chain, uint32_t flags)
{
    struct netvsc_adapter *ad = binding_ctx;
    bool removed = false;
    struct ndis_nbl *upper = NULL, **utail = &upper;
    for (struct ndis_nbl *n = chain, *next; n; n = next) {
        next = n->next;
        n->next = NULL;
        uint32_t slot;
        memcpy(&slot, n->protocol_reserved, sizeof slot);
        if (n->status != NDIS_STATUS_SUCCESS) {
            /* The miniport that failed the send reported the drop with its cause; a second
             * report here would count the frame twice. */
            ad->stats.tx_vf_failed++;
            if (n->status == NDIS_STATUS_ADAPTER_REMOVED)
                removed = true;
        }
        ad->vf_tx_out--;
        if (slot == NETVSC_NBL_UPPER) {
            /* The upper layer's own NBL (zero copy): it goes back up with its status. */
            (void)ndis_nbl_transfer(n, b, ad);
            ad->stats.tx_nbls_completed++;
            *utail = n;
            utail = &n->next;
            continue;
        }
        ad->vf_slot_free[ad->vf_slot_top++] = slot;
        ndis_nbl_free(n, b);
    }
    if (upper != NULL && ad->tx.send_complete != NULL)
        ad->tx.send_complete(ad->tx_ctx, upper);
    if (removed)
        netvsc__vf_failed(ad); /* surprise removal: leave the VF before the unbind comes */
}

static const struct ndis_protocol_ops proto_ops = {
    .bind_adapter = bind_adapter,
    .unbind_adapter = unbind_adapter,
    .receive_net_buffer_lists = receive_nbls,
    .send_net_buffer_lists_complete = send_complete,
};

/* The staging area of netvsc_adapter_xmit's VF sends (one slot per NBL, in guest memory):
 * allocated when a VF binds, freed when it unbinds, so a VM without a VF pays nothing for it. */
static int
stage_alloc(struct netvsc_adapter *ad, struct sim_diag *d)
{
    uint32_t nbls = ad->vf_nbls;
    struct ndis_nbl_pool_config nc = {
        .name = ad->where_vf,
        .nbl_count = nbls,
        .nbs_per_nbl = 1,
        .data_size = 0, /* buffers in guest memory, set per send */
        .track_owners = true,
    };
    int err = ndis_nbl_pool_create(&nc, &ad->vf_pool, d);
    if (err)
        return err;
    ad->vf_slot_free = sim_alloc(SIM_TAG(netvsc), (size_t)nbls * sizeof *ad->vf_slot_free);
    if (!ad->vf_slot_free) {
        err = sim_diag_fail(d, SIM_ENOMEM, "netvsc %s: out of memory", ad->name);
        goto fail_pool;
    }
    uint64_t len = (uint64_t)nbls * NETVSC_VF_SLOT;
    err = hv_gpa_alloc(ad->guest, len, 0, &ad->vf_buf_gpa, d);
    if (err)
        goto fail_slots;
    ad->vf_buf = hv_gpa_to_host(ad->guest, ad->vf_buf_gpa, len);
    ad->vf_slots = nbls;
    for (uint32_t i = 0; i < nbls; i++)
        ad->vf_slot_free[i] = nbls - 1 - i;
    ad->vf_slot_top = nbls;
    return 0;

fail_slots:
    sim_free(ad->vf_slot_free);
    ad->vf_slot_free = NULL;
fail_pool:
    ndis_nbl_pool_destroy(ad->vf_pool);
    ad->vf_pool = NULL;
    return err;
}

static void
stage_free(struct netvsc_adapter *ad)
{
    if (ad->vf_buf_gpa)
        hv_gpa_free(ad->guest, ad->vf_buf_gpa);
    ad->vf_buf_gpa = 0;
    ad->vf_buf = NULL;
    sim_free(ad->vf_slot_free);
    ad->vf_slot_free = NULL;
    ad->vf_slot_top = ad->vf_slots = 0;
    ndis_nbl_pool_destroy(ad->vf_pool);
    ad->vf_pool = NULL;
}

int
netvsc__vf_init(struct netvsc_adapter *ad, uint32_t nbls, struct sim_diag *d)
{
    struct ndis_protocol_config pc = {
        .name = ad->name,
        .flags = NDIS_PROTOCOL_CHAR_BINDS_VF, /* LowerRange "ndisvf": may bind VF miniports */
        .ops = &proto_ops,
        .ctx = ad,
    };
    ad->vf_nbls = nbls;
    return ndis_protocol_create(&pc, &ad->proto, d);
}

void
netvsc__vf_fini(struct netvsc_adapter *ad)
{
    stage_free(ad);
    ndis_protocol_destroy(ad->proto);
    ad->proto = NULL;
}

int
netvsc__vf_xmit(struct netvsc_adapter *ad, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct ndis_binding *b = ad->vf_binding;
    /* The caller's buffer is transient here, so it is staged into an NBL of ours whose buffer
     * lives in guest memory with backfill in front: a software copy, counted
     * (vf_stage_copies). netvsc_adapter_send_nbls is the zero-copy way: the caller's own NBL
     * travels down, as on Windows. */
    if (ad->vf_slot_top == 0) {
        ad->stats.tx_busy++;
        return SIM_EAGAIN;
    }
    struct ndis_nbl *n = ndis_nbl_alloc(ad->vf_pool, b);
    if (!n) {
        ad->stats.tx_busy++;
        return SIM_EAGAIN;
    }
    uint32_t slot = ad->vf_slot_free[--ad->vf_slot_top];
    memcpy(n->protocol_reserved, &slot, sizeof slot);
    struct ndis_nb *nb = n->first_nb;
    nb->data = ad->vf_buf + (size_t)slot * NETVSC_VF_SLOT;
    nb->capacity = NETVSC_VF_SLOT;
    nb->data_offset = NETVSC_VF_BACKFILL;
    nb->data_length = len;
    memcpy(nb->data + NETVSC_VF_BACKFILL, frame, len);
    ad->stats.vf_stage_copies++;
    ad->stats.vf_stage_bytes += len;
    n->packet_id = packet_id;
    netvsc__tap_tx(ad, ad->cap_vf, packet_id, frame, len);
    ad->vf_tx_out++;
    int err = ndis_binding_send(b, n, 0);
    if (err) {
        ad->vf_tx_out--;
        ad->vf_slot_free[ad->vf_slot_top++] = slot;
        ndis_nbl_free(n, b);
        if (err == SIM_ENODEV)
            netvsc__vf_failed(ad);
        return err;
    }
    ad->stats.tx_vf++;
    return 0;
}

int
netvsc__vf_send_nbls(struct netvsc_adapter *ad, struct ndis_nbl *chain)
{
    struct ndis_binding *b = ad->vf_binding;
    uint32_t count = 0, upper = NETVSC_NBL_UPPER;
    for (struct ndis_nbl *n = chain; n; n = n->next) {
        if (ndis_nbl_transfer(n, ad, b) != 0) {
            for (struct ndis_nbl *m = chain; m != n; m = m->next)
                (void)ndis_nbl_transfer(m, b, ad);
            return SIM_EINVAL;
        }
        memcpy(n->protocol_reserved, &upper, sizeof upper);
        if (ad->cap_vf) {
            const struct ndis_nb *nb = n->first_nb;
            netvsc__tap_tx(ad, ad->cap_vf, n->packet_id, nb->data + nb->data_offset,
                           nb->data_length);
        }
        count++;
    }
    ad->vf_tx_out += count;
    int err = ndis_binding_send(b, chain, 0);
    if (err) {
        ad->vf_tx_out -= count;
        for (struct ndis_nbl *n = chain; n; n = n->next)
            (void)ndis_nbl_transfer(n, b, ad);
        if (err == SIM_ENODEV)
            netvsc__vf_failed(ad);
        return err;
    }
    ad->stats.tx_vf += count;
    return 0;
}

struct ndis_protocol *
netvsc_adapter_protocol(const struct netvsc_adapter *ad)
{
    return ad ? ad->proto : NULL;
}
