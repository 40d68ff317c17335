/* SPDX-License-Identifier: MIT */
/*
 * fault.c — fault injection through the real layers (surprise removal on the fabric, FLR that
 * misses its bound, a rogue DMA blocked by the IOMMU, link down/up on the NIC's port, OID
 * failures in the NDIS dispatcher, PF refusals of VF mailbox requests) and raw OID requests for
 * learners (`oid ADAPTER OID key=value ...`).
 *
 * Windows / Hyper-V counterpart: what a tester does to a host: pull a card or let the
 * hypervisor yank a VF, a device that hangs its reset, a buggy VF DMA-ing outside its buffers
 * (DMA remapping blocks it and logs an event), a cable pulled; driver verifier-style OID
 * failures.
 */
#include <stdlib.h>
#include <string.h>

#include "vstack/vstack_int.h"

int
vstack_fault_surprise_remove(struct vstack_world *w, const char *fn, struct sim_diag *d)
{
    struct vs_vf *vf = vs__vf(w, fn);
    if (vf == NULL) {
        if (vs__pf(w, fn) != NULL)
            return sim_diag_fail(d, SIM_ENOTSUP,
                                 "fault surprise-remove %s: removing a PF is not modelled yet "
                                 "(only VFs)",
                                 fn);
        return sim_diag_fail(d, SIM_ENOENT, "fault surprise-remove %s: no such function",
                             fn ? fn : "(null)");
    }
    struct pcie_fabric *fab = vf->pf->host->fabric;
    uint16_t rid = nic_vf_rid(vf->pf->nic, vf->index);
    enum pcie_fn_state st = pcie_fabric_fn_state(fab, rid);
    if (st == PCIE_FN_ABSENT || st == PCIE_FN_REMOVED)
        return sim_diag_fail(d, SIM_ENODEV, "fault surprise-remove %s: the function is not present",
                             fn);
    /* The event is the fabric's (host.c fabric_event), logged when the function is gone. */
    if (vf->vm != NULL && vf->state == VS_VF_OFFERED)
        vf->detach_started = sim_sched_now(w->sched);
    int rc = pcie_fn_surprise_remove(fab, rid);
    if (rc != 0)
        return sim_diag_fail(d, rc, "fault surprise-remove %s: the fabric refused", fn);
    return 0;
}

int
vstack_fault_flr_timeout(struct vstack_world *w, const char *fn, sim_time_t delay, unsigned count,
                         struct sim_diag *d)
{
    struct vs_vf *vf = vs__vf(w, fn);
    if (vf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "fault flr-timeout %s: no such VF", fn ? fn : "(null)");
    if (count == 0)
        return sim_diag_fail(d, SIM_EINVAL, "fault flr-timeout %s: count must be >= 1", fn);
    (void)delay; /* pcie/ completes a late FLR after PCIE_FLR_LATE_NS (README: gap) */
    vf->flr_fault_count = count;
    pcie_fabric_knobs(vf->pf->host->fabric)->flr_timeout = true;
    return 0;
}

int
vstack_fault_iommu(struct vstack_world *w, const char *fn, bool has_addr, uint64_t addr, bool write,
                   unsigned count, struct sim_diag *d)
{
    struct vs_vf *vf = vs__vf(w, fn);
    struct vs_pf *pf = vf ? vf->pf : vs__pf(w, fn);
    if (pf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "fault iommu %s: no such function", fn ? fn : "(null)");
    uint16_t rid = vf ? nic_vf_rid(pf->nic, vf->index) : pf->rid;
    /* An address no domain maps: above any guest memory. */
    uint64_t iova = has_addr ? addr : (UINT64_C(1) << 40);
    for (unsigned i = 0; i < (count ? count : 1); i++) {
        uint8_t buf[64];
        memset(buf, 0xa5, sizeof buf);
        int rc = write ? pcie_dma_write(pf->host->fabric, rid, iova, buf, sizeof buf)
                       : pcie_dma_read(pf->host->fabric, rid, iova, buf, sizeof buf);
        /* A blocked DMA is logged from the IOMMU's fault record (host.c fabric_event). One the
         * IOMMU translated leaves no fault record: the device saw it go through. */
        if (rc != 0 && rc != SIM_EFAULT)
            return sim_diag_fail(d, SIM_ESTATE,
                                 "fault iommu %s: the function cannot master a DMA now (%s: "
                                 "absent, in reset or Bus Master Enable clear): nothing reached "
                                 "the IOMMU",
                                 fn, sim_err_name(rc));
        if (rc == 0) {
            struct vstack_event *ev = vs__event(w, VSTACK_EV_IOMMU_FAULT, fn);
            vs__event_num(ev, "addr", (int64_t)iova);
            vs__event_str(ev, "dir", write ? "write" : "read");
            vs__event_num(ev, "len", (int64_t)sizeof buf);
            vs__event_str(ev, "result", "translated");
            SIM_WARN(vstack, "fault iommu %s: DMA to 0x%llx was NOT blocked", fn,
                     (unsigned long long)iova);
        }
    }
    return 0;
}

int
vstack_fault_link(struct vstack_world *w, const char *fn, bool up, struct sim_diag *d)
{
    struct vs_pf *pf = vs__pf(w, fn);
    if (pf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "fault link-%s %s: no such PF", up ? "up" : "down",
                             fn ? fn : "(null)");
    nic_port_set_carrier(pf->nic, up);
    vs__event(w, up ? VSTACK_EV_LINK_UP : VSTACK_EV_LINK_DOWN, pf->name);
    return 0;
}

static struct ndis_miniport *
adapter_mp(const struct vstack_world *w, const char *name, const char **why)
{
    struct vs_pf *pf = vs__pf(w, name);
    if (pf != NULL)
        return pf->mp;
    struct vs_vf *vf = vs__vf(w, name);
    if (vf != NULL) {
        if (vf->mp == NULL)
            *why = "the VF miniport is not loaded in a guest";
        return vf->mp;
    }
    struct vs_vm *vm = vs__vm(w, name);
    if (vm != NULL) {
        if (vm->vf == NULL || vm->vf->mp == NULL)
            *why = "the VM has no VF miniport (NetVSC's own OIDs are not modelled)";
        return vm->vf ? vm->vf->mp : NULL;
    }
    *why = "no such adapter";
    return NULL;
}

int
vstack_fault_oid(struct vstack_world *w, const char *oid, const char *status, const char *on,
                 unsigned count, unsigned after, struct sim_diag *d)
{
    ndis_oid_t o;
    ndis_status_t st;
    if (oid == NULL || !ndis_oid_parse(oid, &o))
        return sim_diag_fail(d, SIM_EINVAL, "fault oid %s: unknown OID", oid ? oid : "(null)");
    if (status == NULL || !ndis_status_parse(status, &st))
        return sim_diag_fail(d, SIM_EINVAL, "fault oid %s: unknown status %s", oid,
                             status ? status : "(null)");
    if (after != 0)
        return sim_diag_fail(d, SIM_ENOTSUP,
                             "fault oid %s after=%u: the NDIS fault hook fails the next requests "
                             "only (after=0)",
                             oid, after);
    long n = count ? (long)count : 1;
    if (on != NULL) {
        const char *why = NULL;
        struct ndis_miniport *mp = adapter_mp(w, on, &why);
        if (mp == NULL)
            return sim_diag_fail(d, SIM_ENOENT, "fault oid %s on=%s: %s", oid, on, why);
        int rc = ndis_miniport_fault_oid(mp, o, st, n);
        if (rc != 0)
            return sim_diag_fail(d, rc, "fault oid %s on=%s: the dispatcher refused (%s)", oid, on,
                                 sim_strerror(rc));
        return 0;
    }
    for (size_t i = 0; i < w->n_pfs; i++) {
        int rc = ndis_miniport_fault_oid(w->pfs[i]->mp, o, st, n);
        if (rc != 0)
            return sim_diag_fail(d, rc, "fault oid %s on %s: the dispatcher refused (%s)", oid,
                                 w->pfs[i]->name, sim_strerror(rc));
    }
    return 0;
}

int
vstack_fault_mailbox_refuse(struct vstack_world *w, const char *fn, enum vstack_mbx_request req,
                            bool silent, unsigned count, struct sim_diag *d)
{
    struct vs_vf *vf = vs__vf(w, fn);
    if (vf == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "fault mailbox-refuse %s: no such VF",
                             fn ? fn : "(null)");
    if (req == VSTACK_MBX_PROMISCUOUS)
        return sim_diag_fail(d, SIM_ENOTSUP,
                             "fault mailbox-refuse %s request=promiscuous: the simulated mailbox "
                             "has no promiscuous request",
                             fn);
    vf->pf->mbx_refuse_count = count ? count : 1;
    vf->pf->mbx_refuse_req = req;
    vf->pf->mbx_refuse_silent = silent;
    vf->pf->mbx_refuse_vf = vf->index;
    return 0;
}

int
vstack_fault_clear(struct vstack_world *w, const char *target, struct sim_diag *d)
{
    bool any = target == NULL;
    for (size_t i = 0; i < w->n_pfs; i++) {
        struct vs_pf *pf = w->pfs[i];
        bool this_pf = any || strcmp(pf->name, target) == 0;
        for (uint16_t v = 0; v < pf->total_vfs; v++) {
            struct vs_vf *vf = &pf->vfs[v];
            bool this_vf = this_pf || strcmp(vf->name, target) == 0 ||
                           (vf->vm != NULL && strcmp(vf->vm->name, target) == 0);
            if (!this_vf)
                continue;
            this_pf = this_pf || strcmp(vf->name, target) == 0;
            if (vf->flr_fault_count) {
                vf->flr_fault_count = 0;
                pcie_fabric_knobs(pf->host->fabric)->flr_timeout = false;
            }
            if (vf->mp != NULL)
                ndis_miniport_fault_clear(vf->mp, 0);
            if (pf->mbx_refuse_vf == v)
                pf->mbx_refuse_count = 0;
        }
        if (any || strcmp(pf->name, target) == 0) {
            ndis_miniport_fault_clear(pf->mp, 0);
            pf->mbx_refuse_count = 0;
        }
    }
    if (!any && !vs__name_taken(w, target) && vs__vf(w, target) == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "fault clear %s: no such object", target);
    return 0;
}

/* ---- raw OIDs ----------------------------------------------------------------------------- */
/* One raw request in flight: a libuv-style request. Its completion is delivered to the
 * caller's callback from the loop (a zero-delay timer, never from inside the submit call),
 * exactly once; the world keeps the list so that its destruction can cancel the callback and
 * free what never completed. */
struct raw_ctx {
    struct vstack_world *w;
    struct raw_ctx *next; /* the world's list of raw requests in flight */
    bool done;
    ndis_status_t status;
    ndis_oid_t oid;
    vstack_oid_cb cb; /* NULL once the world is being destroyed */
    void *cb_ctx;
    struct sim_timer tm;
    struct ndis_oid_request req;
    _Alignas(16) uint8_t buf[VS_REQ_BUF];
};

static void
raw_unlink(struct raw_ctx *c)
{
    for (struct raw_ctx **pp = &c->w->raw_reqs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
}

static void
raw_deliver(struct sim_timer *t)
{
    struct raw_ctx *c = t->data;
    struct vstack_world *w = c->w;
    raw_unlink(c);
    if (c->cb != NULL) {
        struct vstack_oid_result out;
        memset(&out, 0, sizeof out);
        out.status = c->status;
        char b[16];
        snprintf(out.status_name, sizeof out.status_name, "%s",
                 ndis_status_str(c->status, b, sizeof b));
        out.bytes_written = c->req.bytes_written;
        out.bytes_read = c->req.bytes_read;
        out.bytes_needed = c->req.bytes_needed;
        const struct ndis_trace_record *r = ndis_trace_last_completion(w->trace, NULL, c->oid);
        if (r != NULL)
            (void)ndis_trace_format(r, out.line, sizeof out.line);
        c->cb(c->cb_ctx, &out);
    }
    sim_free(c);
}

static void
raw_cb(struct ndis_oid_request *req, ndis_status_t status)
{
    struct raw_ctx *c = req->data;
    c->done = true;
    c->status = status;
    if (c->w->destroying) { /* no loop left to deliver on: nobody listens any more */
        raw_unlink(c);
        sim_free(c);
        return;
    }
    if (sim_timer_start(&c->tm, 0) != 0)
        raw_deliver(&c->tm); /* cannot normally happen: deliver now rather than never */
}

void
vs__raw_reqs_cancel(struct vstack_world *w)
{
    for (struct raw_ctx *c = w->raw_reqs; c != NULL; c = c->next) {
        c->cb = NULL;
        sim_timer_stop(&c->tm);
    }
}

void
vs__raw_reqs_free(struct vstack_world *w)
{
    while (w->raw_reqs != NULL) {
        struct raw_ctx *c = w->raw_reqs;
        w->raw_reqs = c->next;
        sim_free(c); /* never completed: its miniport is gone, so it never will */
    }
}

static int
kv_u64(const struct vstack_kv *kv, size_t n, const char *key, uint64_t *out, bool *used)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) {
            char *end = NULL;
            unsigned long long v = strtoull(kv[i].value, &end, 0);
            if (end == kv[i].value || *end != '\0')
                return SIM_EINVAL;
            *out = v;
            used[i] = true;
            return 1;
        }
    return 0;
}

int
vstack_oid_submit(struct vstack_world *w, const char *adapter, const char *oid, const char *method,
                  int vf, const struct vstack_kv *kv, size_t n_kv, vstack_oid_cb cb, void *ctx,
                  struct sim_diag *d)
{
    ndis_oid_t o;
    if (oid == NULL || !ndis_oid_parse(oid, &o))
        return sim_diag_fail(d, SIM_EINVAL, "oid %s: unknown OID", oid ? oid : "(null)");
    const char *why = NULL;
    struct ndis_miniport *mp = adapter_mp(w, adapter, &why);
    if (mp == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "oid %s %s: %s", adapter ? adapter : "(null)", oid,
                             why);
    if (n_kv > 16)
        return sim_diag_fail(d, SIM_EINVAL, "oid %s %s: too many keys", adapter, oid);
    const struct ndis_oid_info *info = ndis_oid_info(o);
    enum ndis_request_type type = NDIS_REQUEST_QUERY_INFORMATION;
    if (info != NULL) {
        if (info->request_types & ndis_request_type_bit(NDIS_REQUEST_METHOD))
            type = NDIS_REQUEST_METHOD;
        else if (info->request_types & ndis_request_type_bit(NDIS_REQUEST_SET_INFORMATION))
            type = NDIS_REQUEST_SET_INFORMATION;
    }
    if (method != NULL) {
        if (strcmp(method, "query") == 0)
            type = NDIS_REQUEST_QUERY_INFORMATION;
        else if (strcmp(method, "set") == 0)
            type = NDIS_REQUEST_SET_INFORMATION;
        else if (strcmp(method, "method") == 0)
            type = NDIS_REQUEST_METHOD;
        else
            return sim_diag_fail(d, SIM_EINVAL, "oid %s %s: method=%s (query|set|method)", adapter,
                                 oid, method);
    }
    struct raw_ctx *c = sim_calloc(SIM_TAG(vstack), 1, sizeof *c);
    if (c == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "oid: out of memory");
    bool used[16] = {false};
    uint32_t len = VS_REQ_BUF;
    uint64_t v = 0;
    /* Request builders for the SR-IOV OIDs a learner pokes at; other OIDs go with a zeroed
     * buffer, which NDIS validates like any other request (header, revision, length). */
    switch (o) {
    case OID_NIC_SWITCH_FREE_VF: {
        struct ndis_nic_switch_free_vf_parameters *p = (void *)c->buf;
        vs__objhdr(&p->header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        p->vf_id = (uint16_t)(vf >= 0 ? vf : 0);
        len = (uint32_t)sizeof *p;
        break;
    }
    case OID_SRIOV_RESET_VF: {
        struct ndis_sriov_reset_vf_parameters *p = (void *)c->buf;
        vs__objhdr(&p->header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
        p->vf_id = (uint16_t)(vf >= 0 ? vf : 0);
        len = (uint32_t)sizeof *p;
        break;
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        struct ndis_nic_switch_delete_vport_parameters *p = (void *)c->buf;
        vs__objhdr(&p->header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        if (kv_u64(kv, n_kv, "vport", &v, used) < 0)
            goto bad_value;
        p->vport_id = (uint32_t)v;
        len = (uint32_t)sizeof *p;
        break;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        struct ndis_nic_switch_vport_parameters *p = (void *)c->buf;
        vs__objhdr(&p->header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
        p->switch_id = NDIS_DEFAULT_SWITCH_ID;
        p->attached_function_id = (uint16_t)(vf >= 0 ? vf : 0);
        p->num_queue_pairs = 1;
        if (kv_u64(kv, n_kv, "queue_pairs", &v, used) < 0)
            goto bad_value;
        if (v)
            p->num_queue_pairs = (uint32_t)v;
        p->vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
        len = (uint32_t)sizeof *p;
        break;
    }
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        struct ndis_nic_switch_vf_parameters *p = (void *)c->buf;
        vs__objhdr(&p->header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
        p->switch_id = NDIS_DEFAULT_SWITCH_ID;
        p->vf_id = NDIS_INVALID_VF_FUNCTION_ID;
        p->requestor_id = NDIS_INVALID_RID;
        p->mac_address_length = 6;
        vs__derive_mac(adapter, 0x77, p->permanent_mac_address);
        memcpy(p->current_mac_address, p->permanent_mac_address, 6);
        len = (uint32_t)sizeof *p;
        break;
    }
    default:
        break;
    }
    for (size_t i = 0; i < n_kv; i++)
        if (!used[i]) {
            sim_diag_fail(d, SIM_EINVAL, "oid %s %s: key %s= is not understood for this OID",
                          adapter, oid, kv[i].key);
            sim_free(c);
            return SIM_EINVAL;
        }
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&c->req, "script", o, c->buf, len, VS_REQ_BUF);
    else
        ndis_oid_request_init(&c->req, "script", type, o, c->buf, len);
    c->req.data = c;
    c->w = w;
    c->oid = o;
    c->cb = cb;
    c->cb_ctx = ctx;
    sim_timer_init(w->sched, &c->tm, raw_deliver, c);
    c->next = w->raw_reqs;
    w->raw_reqs = c;
    int rc = ndis_oid_request_submit(mp, &c->req, raw_cb, d);
    if (rc != 0) {
        raw_unlink(c);
        sim_free(c);
        return rc;
    }
    return 0;
bad_value:
    sim_free(c);
    return sim_diag_fail(d, SIM_EINVAL, "oid %s %s: a key value is not a number", adapter, oid);
}

/* The old synchronous form, for tests: submit, then run the clock until the completion. */
struct raw_sync {
    bool done;
    struct vstack_oid_result res;
};

static void
raw_sync_cb(void *ctx, const struct vstack_oid_result *res)
{
    struct raw_sync *s = ctx;
    s->done = true;
    s->res = *res;
}

int
vstack_oid_request(struct vstack_world *w, const char *adapter, const char *oid, const char *method,
                   int vf, const struct vstack_kv *kv, size_t n_kv, struct vstack_oid_result *out,
                   struct sim_diag *d)
{
    struct raw_sync st = {.done = false};
    int rc = vstack_oid_submit(w, adapter, oid, method, vf, kv, n_kv, raw_sync_cb, &st, d);
    if (rc != 0)
        return rc;
    sim_time_t deadline = sim_sched_now(w->sched) + SIM_SEC(10);
    while (!st.done && sim_sched_now(w->sched) <= deadline)
        if (sim_sched_step(w->sched) == 0)
            break;
    if (!st.done)
        return sim_diag_fail(d, SIM_ETIMEDOUT, "oid %s %s: no completion within 10 s", adapter,
                             oid);
    if (out != NULL)
        *out = st.res;
    return 0;
}
