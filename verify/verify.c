/* SPDX-License-Identifier: MIT */
/*
 * verify.c — the rule verifier (verify.h): a shadow of what each PF's switch holds, built only
 * from requests that completed with NDIS_STATUS_SUCCESS (as an observer of NDIS would see
 * them), and a check of every new request, completion, receive indication, send and misuse
 * against the rules of rules.c.
 *
 * Windows counterpart: Driver Verifier's NDIS rules, with the SR-IOV ordering rules of the
 * virtualization stack added. It never changes an outcome: the hooks are const.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "verify/verify.h"

SIM_ALLOC_TAG_DEFINE(verify);
SIM_LOG_NS_DEFINE(verify);

#define VF_MAX         256u  /* VFIds the shadow follows (MaxNumVFs of our NIC is 64) */
#define VPORT_MAX      1024u /* VPortIds */
#define FILTER_MAX     4096u /* FilterIds */
#define PF_MAX         16u   /* PF miniports (hosts x PFs) */
#define TRACES_MAX     4u
#define BREACHES_KEPT  512u /* breaches kept with their text; more are only counted */
#define NO_VPORT       0u

struct vf_shadow {
    bool allocated;
    bool needs_reset; /* had a VPort since its last successful RESET_VF */
    uint32_t vport;   /* its non-default VPort, NO_VPORT if none */
    uint32_t rid;
    uint8_t permanent_mac[6], current_mac[6];
};

struct vport_shadow {
    bool used;
    uint32_t function; /* NDIS_PF_FUNCTION_ID or a VFId */
};

struct filter_shadow {
    bool used;
    uint32_t vport;
};

struct pf_shadow {
    char name[NDIS_NAME_MAX];
    bool switch_created;
    struct vf_shadow vfs[VF_MAX];
    struct vport_shadow vports[VPORT_MAX];
    struct filter_shadow filters[FILTER_MAX];
};

struct verify {
    struct ndis_trace *traces[TRACES_MAX];
    unsigned n_traces;
    struct pf_shadow *pfs[PF_MAX];
    unsigned n_pfs;
    struct verify_breach *breaches; /* BREACHES_KEPT */
    size_t n_kept;
    size_t n_total;
    /* a breach found at request time gets the request's final status at completion */
    const struct ndis_oid_request *open_req[BREACHES_KEPT];
};

/* ---- shadow lookup ------------------------------------------------------------------------ */

static struct pf_shadow *
pf_shadow(struct verify *v, const struct ndis_miniport *mp)
{
    if (ndis_miniport_kind(mp) != NDIS_MINIPORT_PF)
        return NULL;
    const char *name = ndis_miniport_name(mp);
    for (unsigned i = 0; i < v->n_pfs; i++)
        if (strcmp(v->pfs[i]->name, name) == 0)
            return v->pfs[i];
    if (v->n_pfs == PF_MAX)
        return NULL;
    struct pf_shadow *p = sim_calloc(SIM_TAG(verify), 1, sizeof *p);
    if (p == NULL)
        return NULL;
    snprintf(p->name, sizeof p->name, "%s", name);
    v->pfs[v->n_pfs++] = p;
    return p;
}

static unsigned
vport_filters(const struct pf_shadow *p, uint32_t vport)
{
    unsigned n = 0;
    for (unsigned i = 0; i < FILTER_MAX; i++)
        if (p->filters[i].used && p->filters[i].vport == vport)
            n++;
    return n;
}

/* ---- recording a breach ------------------------------------------------------------------- */

static void
breach(struct verify *v, const char *rule_id, const struct ndis_miniport *mp,
       const struct ndis_oid_request *req, const char *fmt, ...) SIM_PRINTF(5, 6);

static void
breach(struct verify *v, const char *rule_id, const struct ndis_miniport *mp,
       const struct ndis_oid_request *req, const char *fmt, ...)
{
    v->n_total++;
    if (v->n_kept == BREACHES_KEPT)
        return;
    struct verify_breach *b = &v->breaches[v->n_kept];
    memset(b, 0, sizeof *b);
    b->rule = verify_rule_find(rule_id);
    b->time_ns = sim_sched_now(ndis_miniport_sched(mp));
    snprintf(b->miniport, sizeof b->miniport, "%s", ndis_miniport_name(mp));
    if (req != NULL) {
        snprintf(b->requester, sizeof b->requester, "%s", req->requester);
        b->oid = req->oid;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->what, sizeof b->what, fmt, ap);
    va_end(ap);
    v->open_req[v->n_kept] = req;
    v->n_kept++;
    SIM_DEBUG(verify, "%s breach %s: %s", b->miniport, rule_id, b->what);
}

/* The buffer holds at least n bytes of input. */
static bool
has(const struct ndis_oid_request *req, size_t n)
{
    uint32_t len = req->request_type == NDIS_REQUEST_METHOD ? req->input_buffer_length
                                                            : req->information_buffer_length;
    return req->information_buffer != NULL && len >= n;
}

/* ---- hooks -------------------------------------------------------------------------------- */

static void
on_request(void *ctx, const struct ndis_miniport *mp, const struct ndis_oid_request *req)
{
    struct verify *v = ctx;
    struct pf_shadow *p = pf_shadow(v, mp);
    /* A conformance probe breaks an issuer's rule on purpose, to test the driver. */
    if (p == NULL || req->probe)
        return;
    const void *buf = req->information_buffer;
    switch (req->oid) {
    case OID_NIC_SWITCH_FREE_VF: {
        struct ndis_nic_switch_free_vf_parameters in;
        if (!has(req, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1))
            return;
        memcpy(&in, buf, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        if (in.vf_id >= VF_MAX || !p->vfs[in.vf_id].allocated)
            return;
        const struct vf_shadow *f = &p->vfs[in.vf_id];
        if (f->vport != NO_VPORT)
            breach(v, "free-vf-with-vport", mp, req, "FREE_VF vf=%u while VPort %u is attached",
                   (unsigned)in.vf_id, (unsigned)f->vport);
        else if (f->needs_reset)
            breach(v, "free-vf-without-reset", mp, req,
                   "FREE_VF vf=%u without a successful RESET_VF since its VPort was deleted",
                   (unsigned)in.vf_id);
        return;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        struct ndis_nic_switch_vport_parameters in;
        if (!has(req, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1))
            return;
        memcpy(&in, buf, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
        uint32_t fn = in.attached_function_id;
        if (fn != NDIS_PF_FUNCTION_ID && fn < VF_MAX && p->vfs[fn].allocated &&
            p->vfs[fn].vport != NO_VPORT)
            breach(v, "second-vport-on-vf", mp, req,
                   "CREATE_VPORT on vf=%u which already has VPort %u", (unsigned)fn,
                   (unsigned)p->vfs[fn].vport);
        return;
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        struct ndis_nic_switch_delete_vport_parameters in;
        if (!has(req, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1))
            return;
        memcpy(&in, buf, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        if (in.vport_id == NDIS_DEFAULT_VPORT_ID || in.vport_id >= VPORT_MAX ||
            !p->vports[in.vport_id].used)
            return;
        unsigned n = vport_filters(p, in.vport_id);
        if (n != 0)
            breach(v, "delete-vport-with-filters", mp, req,
                   "DELETE_VPORT vport=%u with %u receive filter(s) still set",
                   (unsigned)in.vport_id, n);
        return;
    }
    case OID_NIC_SWITCH_DELETE_SWITCH: {
        if (!p->switch_created)
            return;
        unsigned vfs = 0, vports = 0;
        for (unsigned i = 0; i < VF_MAX; i++)
            vfs += p->vfs[i].allocated;
        for (unsigned i = 1; i < VPORT_MAX; i++)
            vports += p->vports[i].used;
        if (vfs != 0 || vports != 0)
            breach(v, "delete-switch-with-vfs", mp, req,
                   "DELETE_SWITCH with %u VF(s) allocated and %u non-default VPort(s)", vfs,
                   vports);
        return;
    }
    default:
        return;
    }
}

static bool
vf_params_differ(const struct vf_shadow *f, const struct ndis_nic_switch_vf_parameters *q)
{
    return q->requestor_id != f->rid || memcmp(q->permanent_mac_address, f->permanent_mac, 6) ||
           memcmp(q->current_mac_address, f->current_mac, 6);
}

static void
check_vf_info(struct verify *v, const struct ndis_miniport *mp, const struct ndis_oid_request *req,
              struct pf_shadow *p, const struct ndis_nic_switch_vf_parameters *q)
{
    if (q->vf_id >= VF_MAX || !p->vfs[q->vf_id].allocated)
        return;
    const struct vf_shadow *f = &p->vfs[q->vf_id];
    if (vf_params_differ(f, q))
        breach(v, "vf-params-changed", mp, req,
               "vf=%u reported with RequestorId 0x%x, current MAC %02x:%02x:%02x:%02x:%02x:%02x; "
               "allocated with 0x%x, %02x:%02x:%02x:%02x:%02x:%02x",
               (unsigned)q->vf_id, (unsigned)q->requestor_id, q->current_mac_address[0],
               q->current_mac_address[1], q->current_mac_address[2], q->current_mac_address[3],
               q->current_mac_address[4], q->current_mac_address[5], (unsigned)f->rid,
               f->current_mac[0], f->current_mac[1], f->current_mac[2], f->current_mac[3],
               f->current_mac[4], f->current_mac[5]);
}

static void
on_complete(void *ctx, const struct ndis_miniport *mp, const struct ndis_oid_request *req,
            bool reached_miniport)
{
    struct verify *v = ctx;
    (void)reached_miniport;
    for (size_t i = 0; i < v->n_kept; i++) {
        if (v->open_req[i] == req) {
            v->breaches[i].completed = true;
            v->breaches[i].status = req->status;
            v->open_req[i] = NULL;
        }
    }
    struct pf_shadow *p = pf_shadow(v, mp);
    if (p == NULL || req->status != NDIS_STATUS_SUCCESS || req->information_buffer == NULL)
        return;
    const void *buf = req->information_buffer;
    uint32_t len = req->information_buffer_length;
    switch (req->oid) {
    case OID_NIC_SWITCH_CREATE_SWITCH:
        p->switch_created = true;
        p->vports[NDIS_DEFAULT_VPORT_ID].used = true;
        p->vports[NDIS_DEFAULT_VPORT_ID].function = NDIS_PF_FUNCTION_ID;
        return;
    case OID_NIC_SWITCH_DELETE_SWITCH: {
        char name[NDIS_NAME_MAX];
        memcpy(name, p->name, sizeof name);
        memset(p, 0, sizeof *p);
        memcpy(p->name, name, sizeof name);
        return;
    }
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        struct ndis_nic_switch_vf_parameters q;
        if (len < NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1)
            return;
        memcpy(&q, buf, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
        if (q.vf_id >= VF_MAX)
            return;
        struct vf_shadow *f = &p->vfs[q.vf_id];
        if (f->allocated)
            breach(v, "vf-params-changed", mp, req,
                   "ALLOCATE_VF returned vf=%u (RequestorId 0x%x), a VF already allocated "
                   "(RequestorId 0x%x): its parameters were replaced",
                   (unsigned)q.vf_id, (unsigned)q.requestor_id, (unsigned)f->rid);
        memset(f, 0, sizeof *f);
        f->allocated = true;
        f->rid = q.requestor_id;
        memcpy(f->permanent_mac, q.permanent_mac_address, 6);
        memcpy(f->current_mac, q.current_mac_address, 6);
        return;
    }
    case OID_NIC_SWITCH_FREE_VF: {
        struct ndis_nic_switch_free_vf_parameters q;
        memcpy(&q, buf, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        if (q.vf_id < VF_MAX)
            memset(&p->vfs[q.vf_id], 0, sizeof p->vfs[q.vf_id]);
        return;
    }
    case OID_SRIOV_RESET_VF: {
        struct ndis_sriov_reset_vf_parameters q;
        memcpy(&q, buf, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
        if (q.vf_id < VF_MAX)
            p->vfs[q.vf_id].needs_reset = false;
        return;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        struct ndis_nic_switch_vport_parameters q;
        if (len < NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1)
            return;
        memcpy(&q, buf, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
        if (q.vport_id >= VPORT_MAX)
            return;
        p->vports[q.vport_id].used = true;
        p->vports[q.vport_id].function = q.attached_function_id;
        if (q.attached_function_id != NDIS_PF_FUNCTION_ID && q.attached_function_id < VF_MAX) {
            p->vfs[q.attached_function_id].vport = q.vport_id;
            p->vfs[q.attached_function_id].needs_reset = true;
        }
        return;
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        struct ndis_nic_switch_delete_vport_parameters q;
        memcpy(&q, buf, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
        if (q.vport_id >= VPORT_MAX || q.vport_id == NDIS_DEFAULT_VPORT_ID)
            return;
        uint32_t fn = p->vports[q.vport_id].function;
        if (fn != NDIS_PF_FUNCTION_ID && fn < VF_MAX && p->vfs[fn].vport == q.vport_id)
            p->vfs[fn].vport = NO_VPORT;
        p->vports[q.vport_id].used = false;
        return;
    }
    case OID_RECEIVE_FILTER_SET_FILTER: {
        struct ndis_receive_filter_parameters q;
        memset(&q, 0, sizeof q);
        memcpy(&q, buf, len < sizeof q ? len : sizeof q);
        if (q.filter_id == 0 || q.filter_id > FILTER_MAX)
            return;
        p->filters[q.filter_id - 1].used = true;
        p->filters[q.filter_id - 1].vport =
            q.header.revision >= NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2 ? q.vport_id
                                                                           : NDIS_DEFAULT_VPORT_ID;
        return;
    }
    case OID_RECEIVE_FILTER_CLEAR_FILTER: {
        struct ndis_receive_filter_clear_parameters q;
        memcpy(&q, buf, sizeof q);
        if (q.filter_id != 0 && q.filter_id <= FILTER_MAX)
            p->filters[q.filter_id - 1].used = false;
        return;
    }
    case OID_RECEIVE_FILTER_MOVE_FILTER: {
        struct ndis_receive_filter_move_filter_parameters q;
        memcpy(&q, buf, sizeof q);
        if (q.filter_id != 0 && q.filter_id <= FILTER_MAX)
            p->filters[q.filter_id - 1].vport = q.dest_vport_id;
        return;
    }
    case OID_NIC_SWITCH_VF_PARAMETERS: {
        struct ndis_nic_switch_vf_parameters q;
        if (req->bytes_written < NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1)
            return;
        memcpy(&q, buf, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
        check_vf_info(v, mp, req, p, &q);
        return;
    }
    case OID_NIC_SWITCH_ENUM_VFS: {
        struct ndis_nic_switch_vf_info_array a;
        if (req->bytes_written < sizeof a)
            return;
        memcpy(&a, buf, sizeof a);
        for (uint32_t i = 0; i < a.num_elements; i++) {
            uint64_t off = (uint64_t)a.first_element_offset + (uint64_t)i * a.element_size;
            if (a.element_size < NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1 ||
                off + NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1 > req->bytes_written)
                return;
            struct ndis_nic_switch_vf_parameters q;
            memcpy(&q, (const uint8_t *)buf + off, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
            check_vf_info(v, mp, req, p, &q);
        }
        return;
    }
    default:
        return;
    }
}

static void
on_misuse(void *ctx, const struct ndis_miniport *mp, enum ndis_misuse kind,
          const struct ndis_oid_request *req, const struct ndis_nbl *nbl)
{
    struct verify *v = ctx;
    switch (kind) {
    case NDIS_MISUSE_DOUBLE_COMPLETION: {
        const char *name = req != NULL ? ndis_oid_name(req->oid) : NULL;
        breach(v, "oid-completed-twice", mp, NULL, "%s completed by %s a second time",
               name != NULL ? name : "an OID request", ndis_miniport_name(mp));
        return;
    }
    case NDIS_MISUSE_RETURN_NOT_INDICATED:
        breach(v, "return-not-indicated", mp, NULL,
               "an NBL (packet id %" PRIu64 ") returned to %s that was not indicated to the "
               "binding, or already returned",
               nbl != NULL ? nbl->packet_id : 0, ndis_miniport_name(mp));
        return;
    case NDIS_MISUSE_SEND_COMPLETE_NOT_SENT:
        breach(v, "send-complete-not-sent", mp, NULL,
               "%s completed an NBL (packet id %" PRIu64 ") it was not given to send",
               ndis_miniport_name(mp), nbl != NULL ? nbl->packet_id : 0);
        return;
    }
}

static void
on_receive(void *ctx, const struct ndis_miniport *mp, const struct ndis_nbl *chain)
{
    struct verify *v = ctx;
    if (ndis_miniport_kind(mp) != NDIS_MINIPORT_PF)
        return;
    struct pf_shadow *p = pf_shadow(v, mp);
    if (p == NULL)
        return;
    for (const struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        uint32_t id = n->vport_id;
        if (id == NDIS_DEFAULT_VPORT_ID)
            continue;
        if (id >= VPORT_MAX || !p->vports[id].used)
            breach(v, "rx-on-deleted-vport", mp, NULL,
                   "receive indicated on VPort %u, which does not exist (packet id %" PRIu64 ")",
                   (unsigned)id, n->packet_id);
    }
}

static void
on_trace_destroyed(void *ctx, const struct ndis_trace *t)
{
    struct verify *v = ctx;
    for (unsigned i = 0; i < v->n_traces; i++) {
        if (v->traces[i] == t) {
            v->traces[i] = v->traces[--v->n_traces];
            return;
        }
    }
}

static const struct ndis_observer observer = {
    .trace_destroyed = on_trace_destroyed,
    .oid_request = on_request,
    .oid_complete = on_complete,
    .misuse = on_misuse,
    .receive = on_receive,
};

/* ---- the object --------------------------------------------------------------------------- */

int
verify_create(struct verify **out)
{
    if (out == NULL)
        return SIM_EINVAL;
    *out = NULL;
    struct verify *v = sim_calloc(SIM_TAG(verify), 1, sizeof *v);
    if (v == NULL)
        return SIM_ENOMEM;
    v->breaches = sim_calloc(SIM_TAG(verify), BREACHES_KEPT, sizeof *v->breaches);
    if (v->breaches == NULL) {
        sim_free(v);
        return SIM_ENOMEM;
    }
    *out = v;
    return 0;
}

void
verify_destroy(struct verify *v)
{
    if (v == NULL)
        return;
    for (unsigned i = 0; i < v->n_traces; i++)
        ndis_trace_unobserve(v->traces[i], &observer, v);
    for (unsigned i = 0; i < v->n_pfs; i++)
        sim_free(v->pfs[i]);
    sim_free(v->breaches);
    sim_free(v);
}

int
verify_attach(struct verify *v, struct ndis_trace *t)
{
    if (v == NULL || t == NULL)
        return SIM_EINVAL;
    if (v->n_traces == TRACES_MAX)
        return SIM_ENOSPC;
    int rc = ndis_trace_observe(t, &observer, v);
    if (rc != 0)
        return rc;
    v->traces[v->n_traces++] = t;
    return 0;
}

size_t
verify_breach_count(const struct verify *v)
{
    return v != NULL ? v->n_total : 0;
}

const struct verify_breach *
verify_breach_at(const struct verify *v, size_t i)
{
    return v != NULL && i < v->n_kept ? &v->breaches[i] : NULL;
}

size_t
verify_breach_count_rule(const struct verify *v, const char *rule_id)
{
    size_t n = 0;
    for (size_t i = 0; v != NULL && i < v->n_kept; i++)
        if (v->breaches[i].rule != NULL && strcmp(v->breaches[i].rule->id, rule_id) == 0)
            n++;
    return n;
}

int
verify_breach_format(const struct verify_breach *b, char *buf, size_t len)
{
    char t[40];
    char st[64] = "";
    sim_time_format(b->time_ns, t, sizeof t);
    if (b->requester[0] != '\0') {
        char sb[16];
        if (b->completed)
            snprintf(st, sizeof st, " (requested by %s; %s)", b->requester,
                     ndis_status_str(b->status, sb, sizeof sb));
        else
            snprintf(st, sizeof st, " (requested by %s)", b->requester);
    }
    return snprintf(buf, len, "t=%s %s breach %s: %s%s. Rule: %s [%s]", t, b->miniport,
                    b->rule != NULL ? b->rule->id : "?", b->what, st,
                    b->rule != NULL ? b->rule->sentence : "?", b->rule != NULL ? b->rule->source : "");
}
