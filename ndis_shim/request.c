/* SPDX-License-Identifier: MIT */
/*
 * request.c — NDIS_OID_REQUEST initialisation and the OID trace (a ring of request,
 * completion and status-indication records that tests, `expect oid-sequence` and users read).
 *
 * Windows counterpart: filling an NDIS_OID_REQUEST before NdisOidRequest, and the OID
 * tracing of ndis.sys (WPP / !ndiskd.oidtrace), whose lines our format imitates.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "ndis_int.h"

SIM_ALLOC_TAG_DEFINE(ndis_trace);

void
ndis__copy_name(char *dst, const char *src)
{
    if (src == NULL)
        src = "";
    size_t n = strlen(src);
    if (n > NDIS_NAME_MAX - 1)
        n = NDIS_NAME_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

uint32_t
ndis__input_length(const struct ndis_oid_request *req)
{
    return req->request_type == NDIS_REQUEST_METHOD ? req->input_buffer_length
                                                    : req->information_buffer_length;
}

void
ndis_oid_request_init(struct ndis_oid_request *req, const char *requester,
                      enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t len)
{
    memset(req, 0, sizeof *req);
    ndis_objhdr_init(&req->header, NDIS_OBJECT_TYPE_OID_REQUEST, NDIS_OID_REQUEST_REVISION_2,
                     (uint16_t)NDIS_SIZEOF_OID_REQUEST_REVISION_2);
    req->request_type = type;
    req->oid = oid;
    req->information_buffer = buf;
    req->information_buffer_length = len;
    if (type == NDIS_REQUEST_METHOD)
        req->input_buffer_length = len;
    ndis__copy_name(req->requester, requester);
    req->priv.state = NDIS_OID_REQUEST_IDLE;
}

void
ndis_oid_request_init_method(struct ndis_oid_request *req, const char *requester, ndis_oid_t oid,
                             void *buf, uint32_t in_len, uint32_t out_len)
{
    ndis_oid_request_init(req, requester, NDIS_REQUEST_METHOD, oid, buf, out_len);
    req->input_buffer_length = in_len;
}

/* ---- the trace ---------------------------------------------------------------------------- */

/* Invariant: records[(head + i) % capacity] for i < count are held, oldest first; the newest
 * has sequence number next_seq - 1. */
struct ndis_trace {
    struct ndis_trace_record *records;
    size_t capacity;
    size_t head;
    size_t count;
    uint64_t next_seq;
    uint64_t dropped;
    struct {
        const struct ndis_observer *ops;
        void *ctx;
    } observers[NDIS_TRACE_OBSERVERS_MAX];
    unsigned n_observers;
    ndis_trace_listener_fn listener;
    void *listener_ctx;
};

void
ndis_trace_set_listener(struct ndis_trace *t, ndis_trace_listener_fn fn, void *ctx)
{
    if (t == NULL)
        return;
    t->listener = fn;
    t->listener_ctx = ctx;
}

/* The payload fields of the SR-IOV OIDs a reader of the trace needs (the VF id and RID
 * ALLOCATE_VF returns, the VPort CREATE_VPORT got, the filter MOVE_FILTER re-points), decoded
 * only when the buffer is long enough to hold them. Requests show the input, successful
 * completions the output. */
static void
trace_detail(const struct ndis_oid_request *req, enum ndis_trace_phase phase, char *buf,
             size_t len)
{
    buf[0] = '\0';
    const void *ib = req->information_buffer;
    uint32_t have = phase == NDIS_TRACE_REQUEST ? ndis__input_length(req)
                                                : req->information_buffer_length;
    if (ib == NULL)
        return;
    bool done = phase == NDIS_TRACE_COMPLETION;
    if (done && req->status != NDIS_STATUS_SUCCESS)
        return;
#define HAS(T, member) (have >= NDIS_SIZEOF_THROUGH(T, member))
    switch (req->oid) {
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        const struct ndis_nic_switch_vf_parameters *p = ib;
        if (done && HAS(struct ndis_nic_switch_vf_parameters, requestor_id))
            snprintf(buf, len, "vf=%u rid=0x%04" PRIx32, (unsigned)p->vf_id, p->requestor_id);
        break;
    }
    case OID_NIC_SWITCH_FREE_VF: {
        const struct ndis_nic_switch_free_vf_parameters *p = ib;
        if (HAS(struct ndis_nic_switch_free_vf_parameters, vf_id))
            snprintf(buf, len, "vf=%u", (unsigned)p->vf_id);
        break;
    }
    case OID_SRIOV_RESET_VF: {
        const struct ndis_sriov_reset_vf_parameters *p = ib;
        if (HAS(struct ndis_sriov_reset_vf_parameters, vf_id))
            snprintf(buf, len, "vf=%u", (unsigned)p->vf_id);
        break;
    }
    case OID_NIC_SWITCH_CREATE_VPORT: {
        const struct ndis_nic_switch_vport_parameters *p = ib;
        if (HAS(struct ndis_nic_switch_vport_parameters, num_queue_pairs)) {
            if (done)
                snprintf(buf, len, "vport=%" PRIu32 " function=%u qps=%" PRIu32, p->vport_id,
                         (unsigned)p->attached_function_id, p->num_queue_pairs);
            else
                snprintf(buf, len, "function=%u qps=%" PRIu32, (unsigned)p->attached_function_id,
                         p->num_queue_pairs);
        }
        break;
    }
    case OID_NIC_SWITCH_DELETE_VPORT: {
        const struct ndis_nic_switch_delete_vport_parameters *p = ib;
        if (HAS(struct ndis_nic_switch_delete_vport_parameters, vport_id))
            snprintf(buf, len, "vport=%" PRIu32, p->vport_id);
        break;
    }
    case OID_RECEIVE_FILTER_MOVE_FILTER: {
        const struct ndis_receive_filter_move_filter_parameters *p = ib;
        if (HAS(struct ndis_receive_filter_move_filter_parameters, dest_vport_id))
            snprintf(buf, len, "filter=%" PRIu32 " vport %" PRIu32 "->%" PRIu32, p->filter_id,
                     p->source_vport_id, p->dest_vport_id);
        break;
    }
    case OID_RECEIVE_FILTER_CLEAR_FILTER: {
        const struct ndis_receive_filter_clear_parameters *p = ib;
        if (HAS(struct ndis_receive_filter_clear_parameters, filter_id))
            snprintf(buf, len, "filter=%" PRIu32, p->filter_id);
        break;
    }
    case OID_RECEIVE_FILTER_SET_FILTER: {
        const struct ndis_receive_filter_parameters *p = ib;
        if (!HAS(struct ndis_receive_filter_parameters, vport_id))
            break;
        int n = snprintf(buf, len, done ? "filter=%" PRIu32 " vport=%" PRIu32 : "vport=%" PRIu32,
                         done ? p->filter_id : p->vport_id, p->vport_id);
        /* The first field that is a MAC address (FieldByteArrayValue, 6 bytes). */
        uint32_t off = p->field_parameters_array_offset;
        uint32_t esz = p->field_parameters_array_element_size;
        const uint8_t *base = ib;
        if (n > 0 && (size_t)n < len && p->field_parameters_array_num_elements >= 1 &&
            esz >= 4u * 5u + 6u && off <= have && have - off >= esz) {
            /* NDIS_RECEIVE_FILTER_FIELD_PARAMETERS: Header (4 bytes), Flags, FrameHeader,
             * ReceiveFilterTest, HeaderField (4 each), then FieldByteArrayValue. */
            const uint8_t *m = base + off + 4u * 5u;
            snprintf(buf + n, len - (size_t)n, " mac=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                     m[2], m[3], m[4], m[5]);
        }
        break;
    }
    default:
        break;
    }
#undef HAS
}

int
ndis_trace_observe(struct ndis_trace *t, const struct ndis_observer *ops, void *ctx)
{
    if (t == NULL || ops == NULL)
        return SIM_EINVAL;
    for (unsigned i = 0; i < t->n_observers; i++)
        if (t->observers[i].ops == ops && t->observers[i].ctx == ctx)
            return SIM_EEXIST;
    if (t->n_observers == NDIS_TRACE_OBSERVERS_MAX)
        return SIM_ENOSPC;
    t->observers[t->n_observers].ops = ops;
    t->observers[t->n_observers].ctx = ctx;
    t->n_observers++;
    return 0;
}

void
ndis_trace_unobserve(struct ndis_trace *t, const struct ndis_observer *ops, void *ctx)
{
    if (t == NULL)
        return;
    for (unsigned i = 0; i < t->n_observers; i++) {
        if (t->observers[i].ops == ops && t->observers[i].ctx == ctx) {
            memmove(&t->observers[i], &t->observers[i + 1],
                    (t->n_observers - i - 1) * sizeof t->observers[0]);
            t->n_observers--;
            return;
        }
    }
}

/* ---- calling the observers (ndis_int.h) ---- */
#define FOR_OBSERVERS(t, hook, ...)                                                                \
    do {                                                                                           \
        if ((t) == NULL)                                                                           \
            break;                                                                                 \
        for (unsigned oi_ = 0; oi_ < (t)->n_observers; oi_++)                                      \
            if ((t)->observers[oi_].ops->hook != NULL)                                             \
                (t)->observers[oi_].ops->hook((t)->observers[oi_].ctx, __VA_ARGS__);               \
    } while (0)

void
ndis__observe_request(const struct ndis_miniport *mp, const struct ndis_oid_request *req)
{
    FOR_OBSERVERS(mp->trace, oid_request, mp, req);
}

void
ndis__observe_complete(const struct ndis_miniport *mp, const struct ndis_oid_request *req,
                       bool reached_miniport)
{
    FOR_OBSERVERS(mp->trace, oid_complete, mp, req, reached_miniport);
}

void
ndis__observe_misuse(const struct ndis_miniport *mp, enum ndis_misuse kind,
                     const struct ndis_oid_request *req, const struct ndis_nbl *nbl)
{
    FOR_OBSERVERS(mp->trace, misuse, mp, kind, req, nbl);
}

void
ndis__observe_receive(const struct ndis_miniport *mp, const struct ndis_nbl *chain)
{
    FOR_OBSERVERS(mp->trace, receive, mp, chain);
}

void
ndis__observe_send(const struct ndis_miniport *mp, const struct ndis_binding *b,
                   const struct ndis_nbl *chain)
{
    FOR_OBSERVERS(mp->trace, send, mp, b, chain);
}

int
ndis_trace_create(size_t capacity, struct ndis_trace **out)
{
    if (out == NULL || capacity == 0)
        return SIM_EINVAL;
    *out = NULL;
    struct ndis_trace *t = sim_calloc(SIM_TAG(ndis_trace), 1, sizeof *t);
    if (t == NULL)
        return SIM_ENOMEM;
    t->records = sim_calloc(SIM_TAG(ndis_trace), capacity, sizeof *t->records);
    if (t->records == NULL)
        goto free_trace;
    t->capacity = capacity;
    *out = t;
    return 0;
free_trace:
    sim_free(t);
    return SIM_ENOMEM;
}

void
ndis_trace_destroy(struct ndis_trace *t)
{
    if (t == NULL)
        return;
    while (t->n_observers > 0) {
        unsigned last = t->n_observers - 1;
        const struct ndis_observer *ops = t->observers[last].ops;
        void *ctx = t->observers[last].ctx;
        t->n_observers--;
        if (ops->trace_destroyed != NULL)
            ops->trace_destroyed(ctx, t);
    }
    sim_free(t->records);
    sim_free(t);
}

static struct ndis_trace_record *
trace_append(struct ndis_trace *t)
{
    size_t slot;
    if (t->count == t->capacity) {
        slot = t->head;
        t->head = (t->head + 1) % t->capacity;
        t->dropped++;
    } else {
        slot = (t->head + t->count) % t->capacity;
        t->count++;
    }
    struct ndis_trace_record *r = &t->records[slot];
    memset(r, 0, sizeof *r);
    r->seq = t->next_seq++;
    return r;
}

void
ndis__trace_request(struct ndis_trace *t, const struct ndis_miniport *mp,
                    const struct ndis_oid_request *req, enum ndis_trace_phase phase)
{
    if (t == NULL)
        return;
    struct ndis_trace_record *r = trace_append(t);
    r->time_ns = sim_sched_now(mp->sched);
    r->phase = phase;
    ndis__copy_name(r->requester, req->requester);
    ndis__copy_name(r->target, mp->name);
    r->oid = req->oid;
    r->request_type = req->request_type;
    r->length = req->request_type == NDIS_REQUEST_METHOD ? req->input_buffer_length
                                                         : req->information_buffer_length;
    if (phase == NDIS_TRACE_COMPLETION) {
        r->status = req->status;
        r->bytes_written = req->bytes_written;
        r->bytes_read = req->bytes_read;
        r->bytes_needed = req->bytes_needed;
        snprintf(r->rule, sizeof r->rule, "%s", req->rule != NULL ? req->rule : "");
        r->fault = req->priv.fault;
    } else {
        r->status = NDIS_STATUS_PENDING;
    }
    trace_detail(req, phase, r->detail, sizeof r->detail);
    if (t->listener != NULL)
        t->listener(t->listener_ctx, r);
}

void
ndis__trace_indication(struct ndis_trace *t, const struct ndis_miniport *mp,
                       const struct ndis_status_indication *ind)
{
    if (t == NULL)
        return;
    struct ndis_trace_record *r = trace_append(t);
    r->time_ns = sim_sched_now(mp->sched);
    r->phase = NDIS_TRACE_INDICATION;
    ndis__copy_name(r->requester, mp->name);
    ndis__copy_name(r->target, "bound protocols");
    r->status = ind->status_code;
    r->length = ind->status_buffer_size;
    if (ind->port_number != 0)
        snprintf(r->detail, sizeof r->detail, "port=%" PRIu32, ind->port_number);
    if (t->listener != NULL)
        t->listener(t->listener_ctx, r);
}

/* i < t->count */
static const struct ndis_trace_record *
rec_at(const struct ndis_trace *t, size_t i)
{
    return &t->records[(t->head + i) % t->capacity];
}

size_t
ndis_trace_count(const struct ndis_trace *t)
{
    return t != NULL ? t->count : 0;
}

uint64_t
ndis_trace_dropped(const struct ndis_trace *t)
{
    return t != NULL ? t->dropped : 0;
}

const struct ndis_trace_record *
ndis_trace_at(const struct ndis_trace *t, size_t i)
{
    if (t == NULL || i >= t->count)
        return NULL;
    return &t->records[(t->head + i) % t->capacity];
}

void
ndis_trace_clear(struct ndis_trace *t)
{
    if (t == NULL)
        return;
    t->head = 0;
    t->count = 0;
    t->dropped = 0;
}

uint64_t
ndis_trace_mark(const struct ndis_trace *t)
{
    return t != NULL ? t->next_seq : 0;
}

size_t
ndis_trace_oid_sequence(const struct ndis_trace *t, uint64_t mark, const char *target,
                        enum ndis_trace_phase phase, ndis_oid_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < ndis_trace_count(t); i++) {
        const struct ndis_trace_record *r = rec_at(t, i);
        if (r->seq < mark || r->phase != phase)
            continue;
        if (target != NULL && strcmp(target, r->target) != 0)
            continue;
        if (out != NULL && n < max)
            out[n] = r->oid;
        n++;
    }
    return n;
}

const struct ndis_trace_record *
ndis_trace_last_completion(const struct ndis_trace *t, const char *target, ndis_oid_t oid)
{
    for (size_t i = ndis_trace_count(t); i-- > 0;) {
        const struct ndis_trace_record *r = rec_at(t, i);
        if (r->phase == NDIS_TRACE_COMPLETION && r->oid == oid &&
            (target == NULL || strcmp(target, r->target) == 0))
            return r;
    }
    return NULL;
}

int
ndis_trace_format(const struct ndis_trace_record *r, char *buf, size_t len)
{
    char tbuf[32], sbuf[16], obuf[16];
    sim_time_format(r->time_ns, tbuf, sizeof tbuf);
    const char *status = ndis_status_str(r->status, sbuf, sizeof sbuf);
    if (r->phase == NDIS_TRACE_INDICATION)
        return snprintf(buf, len, "t=%s %s -> %s  INDICATE %s (0x%08" PRIX32 ") size=%" PRIu32,
                        tbuf, r->requester, r->target, status, r->status, r->length);
    const char *oid = ndis_oid_name(r->oid);
    if (oid == NULL) {
        snprintf(obuf, sizeof obuf, "OID_%08" PRIX32, r->oid);
        oid = obuf;
    }
    if (r->phase == NDIS_TRACE_REQUEST)
        return snprintf(buf, len, "t=%s %s <- %s  %s %s (0x%08" PRIX32 ") len=%" PRIu32, tbuf,
                        r->target, r->requester, ndis_request_type_name(r->request_type), oid,
                        r->oid, r->length);
    return snprintf(buf, len,
                    "t=%s %s <- %s  %s %s (0x%08" PRIX32 ") -> %s written=%" PRIu32 " read=%" PRIu32
                    " needed=%" PRIu32 "%s%s%s",
                    tbuf, r->target, r->requester, ndis_request_type_name(r->request_type), oid,
                    r->oid, status, r->bytes_written, r->bytes_read, r->bytes_needed,
                    r->fault ? " (injected fault)" : "", r->rule[0] != '\0' ? " rule: " : "",
                    r->rule);
}

void
ndis_trace_dump(const struct ndis_trace *t, FILE *out)
{
    char line[512];
    for (size_t i = 0; i < ndis_trace_count(t); i++) {
        ndis_trace_format(rec_at(t, i), line, sizeof line);
        fprintf(out, "%s\n", line);
    }
}
