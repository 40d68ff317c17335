/* SPDX-License-Identifier: MIT */
/*
 * trace.c — the live, interleaved trace of a world (view.h): the NDIS dispatcher's records
 * (through its trace listener), each host's PCIe fabric events (through a fabric
 * subscription), the event log and the flows, turned into one kind of line and delivered in
 * the order they happen, each tagged with the script line of the last action before it.
 *
 * Windows counterpart: what a driver author gets from an ndis.sys WPP trace (!ndiskd.oidtrace)
 * merged with the Hyper-V-VmSwitch / VMMS event channels and a PCIe analyser, on one time line.
 */
#include <inttypes.h>
#include <string.h>

#include "vstack/vstack_int.h"

static const char *const kind_names[VSTACK_TRACE_KIND_COUNT] = {
#define VSTACK_TRACE_KIND_NAME(id, word) [VSTACK_TRACE_##id] = word,
    VSTACK_TRACE_KIND_MAP(VSTACK_TRACE_KIND_NAME)
#undef VSTACK_TRACE_KIND_NAME
};

const char *
vstack_trace_kind_name(enum vstack_trace_kind k)
{
    return (unsigned)k < VSTACK_TRACE_KIND_COUNT ? kind_names[k] : "?";
}

int
vstack_trace_kind_parse(const char *name, enum vstack_trace_kind *out)
{
    for (unsigned i = 0; name != NULL && i < VSTACK_TRACE_KIND_COUNT; i++) {
        if (strcmp(kind_names[i], name) == 0) {
            if (out != NULL)
                *out = (enum vstack_trace_kind)i;
            return 0;
        }
    }
    return SIM_EINVAL;
}

bool
vs__trace_on(const struct vstack_world *w)
{
    return w->tracer.fn != NULL && !w->destroying;
}

static void
deliver(struct vstack_world *w, struct vstack_trace_line *l)
{
    l->seq = w->tracer.next_seq++;
    l->cause_line = w->tracer.cause_line;
    w->tracer.fn(w->tracer.ctx, l);
}

/* Which part of the model an event of the log speaks for. */
static enum vstack_trace_kind
event_kind(enum vstack_event_kind k)
{
    switch (k) {
    case VSTACK_EV_DATAPATH_SWITCHED:
        return VSTACK_TRACE_DATAPATH;
    case VSTACK_EV_VF_OFFERED:
    case VSTACK_EV_VF_ADDED:
    case VSTACK_EV_VF_REMOVED:
    case VSTACK_EV_VF_REVOKED:
        return VSTACK_TRACE_VPCI;
    case VSTACK_EV_VF_ASSOCIATED:
        return VSTACK_TRACE_NVSP;
    case VSTACK_EV_MAC_CHANGE:
    case VSTACK_EV_MAILBOX_REFUSED:
        return VSTACK_TRACE_MAILBOX;
    case VSTACK_EV_FLR:
    case VSTACK_EV_IOMMU_FAULT:
    case VSTACK_EV_SURPRISE_REMOVAL:
        return VSTACK_TRACE_PCI;
    default:
        return VSTACK_TRACE_EVENT;
    }
}

static void
deliver_event(struct vstack_world *w, const struct vstack_event *ev)
{
    struct vstack_trace_line l;
    memset(&l, 0, sizeof l);
    l.time = ev->time;
    l.kind = event_kind(ev->kind);
    l.event = ev;
    snprintf(l.requester, sizeof l.requester, "%s", ev->subject);
    snprintf(l.target, sizeof l.target, "-");
    snprintf(l.what, sizeof l.what, "%s", vstack_event_kind_name(ev->kind));
    size_t off = 0;
    for (unsigned i = 0; i < ev->n_fields && off < sizeof l.detail; i++) {
        const struct vstack_event_field *f = &ev->fields[i];
        int n = snprintf(l.detail + off, sizeof l.detail - off, "%s%s=%s", i ? " " : "", f->key,
                         f->text);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    deliver(w, &l);
}

void
vstack_trace_flush(struct vstack_world *w)
{
    if (w == NULL || !vs__trace_on(w) || w->tracer.in_flush)
        return;
    w->tracer.in_flush = true;
    const struct vs_eventlog *log = &w->log;
    if (w->tracer.event_next < log->first_seq)
        w->tracer.event_next = log->first_seq; /* older ones were discarded */
    while (w->tracer.event_next < log->next_seq) {
        size_t i = (size_t)(w->tracer.event_next - log->first_seq);
        w->tracer.event_next++;
        if (i < log->count)
            deliver_event(w, &log->ev[i]);
    }
    w->tracer.in_flush = false;
}

static void
flush_cb(void *arg)
{
    struct vstack_world *w = arg;
    w->tracer.flush_posted = false;
    vstack_trace_flush(w);
}

void
vs__trace_event_logged(struct vstack_world *w)
{
    if (!vs__trace_on(w))
        return;
    /* The new event is being filled in by its caller: deliver the complete ones before it
     * now, and this one right after the current scheduler callback (or at the next line). */
    uint64_t newest = w->log.next_seq - 1;
    if (w->tracer.event_next < newest) {
        uint64_t save = w->log.next_seq;
        w->log.next_seq = newest; /* flush up to, not including, the new one */
        vstack_trace_flush(w);
        w->log.next_seq = save;
    }
    if (!w->tracer.flush_posted && sim_sched_post(w->sched, flush_cb, w) == 0)
        w->tracer.flush_posted = true;
}

void
vs__trace_emit(struct vstack_world *w, struct vstack_trace_line *l)
{
    if (!vs__trace_on(w))
        return;
    vstack_trace_flush(w);
    deliver(w, l);
}

/* ---- NDIS: every request, completion and indication --------------------------------------- */
static void
on_ndis(void *ctx, const struct ndis_trace_record *r)
{
    struct vstack_world *w = ctx;
    if (!vs__trace_on(w))
        return;
    vstack_trace_flush(w);
    struct vstack_trace_line l;
    memset(&l, 0, sizeof l);
    l.time = r->time_ns;
    l.kind = VSTACK_TRACE_OID;
    char sbuf[16];
    const char *status = ndis_status_str(r->status, sbuf, sizeof sbuf);
    if (r->phase == NDIS_TRACE_INDICATION) {
        snprintf(l.requester, sizeof l.requester, "%s", r->requester);
        snprintf(l.target, sizeof l.target, "%s", r->target);
        snprintf(l.what, sizeof l.what, "INDICATE %s", status);
        snprintf(l.detail, sizeof l.detail, "%s", r->detail);
        deliver(w, &l);
        return;
    }
    snprintf(l.requester, sizeof l.requester, "%s", r->requester);
    snprintf(l.target, sizeof l.target, "%s", r->target);
    const char *oid = ndis_oid_name(r->oid);
    if (oid != NULL)
        snprintf(l.what, sizeof l.what, "%s", oid);
    else
        snprintf(l.what, sizeof l.what, "OID_%08" PRIX32, r->oid);
    if (r->phase == NDIS_TRACE_REQUEST) {
        snprintf(l.status, sizeof l.status, "request %s", ndis_request_type_name(r->request_type));
        snprintf(l.detail, sizeof l.detail, "%.150s%slen=%" PRIu32, r->detail,
                 r->detail[0] ? " " : "", r->length);
    } else {
        snprintf(l.status, sizeof l.status, "%s", status);
        int n = snprintf(l.detail, sizeof l.detail, "%s", r->detail);
        size_t off = n > 0 ? (size_t)n : 0;
        if (r->bytes_needed != 0 && off < sizeof l.detail)
            off += (size_t)snprintf(l.detail + off, sizeof l.detail - off, "%sBytesNeeded=%" PRIu32,
                                    off ? " " : "", r->bytes_needed);
        if (r->fault && off < sizeof l.detail)
            off += (size_t)snprintf(l.detail + off, sizeof l.detail - off, "%s(injected fault)",
                                    off ? " " : "");
        if (r->rule[0] != '\0' && off < sizeof l.detail)
            snprintf(l.detail + off, sizeof l.detail - off, "%srule: %.120s", off ? " " : "",
                     r->rule);
    }
    deliver(w, &l);
}

/* ---- PCIe: what each host's fabric reports ------------------------------------------------- */
static void
fn_name(const struct vs_host *h, uint16_t rid, char *buf, size_t len)
{
    const struct vstack_world *w = h->w;
    for (size_t i = 0; i < w->n_pfs; i++) {
        const struct vs_pf *pf = w->pfs[i];
        if (pf->host != h || pf->nic == NULL)
            continue;
        if (pf->rid == rid) {
            snprintf(buf, len, "%s", pf->name);
            return;
        }
        for (uint16_t k = 0; k < pf->total_vfs; k++) {
            if (nic_vf_rid(pf->nic, k) == rid) {
                snprintf(buf, len, "%.40s.vf%u", pf->name, (unsigned)k);
                return;
            }
        }
    }
    char r[16];
    snprintf(buf, len, "%.40s/%.15s", h->name, pcie_rid_format(rid, r, sizeof r));
}

static void
on_pcie(void *ctx, const struct pcie_event *ev)
{
    struct vs_host *h = ctx;
    struct vstack_world *w = h->w;
    if (!vs__trace_on(w))
        return;
    vstack_trace_flush(w);
    struct vstack_trace_line l;
    memset(&l, 0, sizeof l);
    l.time = ev->time;
    l.kind = VSTACK_TRACE_PCI;
    snprintf(l.requester, sizeof l.requester, "%.40s fabric", h->name);
    fn_name(h, ev->rid, l.target, sizeof l.target);
    char r[16];
    pcie_rid_format(ev->rid, r, sizeof r);
    switch (ev->type) {
    case PCIE_EV_FN_ADDED:
        snprintf(l.what, sizeof l.what, "function added");
        snprintf(l.detail, sizeof l.detail, "rid=%s%s", r, ev->is_vf ? " vf" : "");
        break;
    case PCIE_EV_FN_REMOVE_REQUESTED:
        snprintf(l.what, sizeof l.what, "removal requested");
        snprintf(l.detail, sizeof l.detail, "rid=%s", r);
        break;
    case PCIE_EV_FN_REMOVED:
        snprintf(l.what, sizeof l.what, "function removed");
        snprintf(l.detail, sizeof l.detail, "rid=%s %s%s", r, ev->surprise ? "surprise" : "graceful",
                 ev->timed_out ? " (graceful request timed out)" : "");
        break;
    case PCIE_EV_VFS_ENABLED:
        snprintf(l.what, sizeof l.what, "VF Enable set");
        snprintf(l.detail, sizeof l.detail, "NumVFs=%u", (unsigned)ev->num_vfs);
        break;
    case PCIE_EV_VFS_DISABLED:
        snprintf(l.what, sizeof l.what, "VF Enable cleared");
        snprintf(l.detail, sizeof l.detail, "NumVFs=%u", (unsigned)ev->num_vfs);
        break;
    case PCIE_EV_FLR_DONE:
        snprintf(l.what, sizeof l.what, "FLR done");
        snprintf(l.status, sizeof l.status, "%s", ev->status == 0 ? "ok" : "timed out");
        snprintf(l.detail, sizeof l.detail, "rid=%s", r);
        break;
    case PCIE_EV_IOMMU_FAULT:
        snprintf(l.what, sizeof l.what, "IOMMU fault");
        if (ev->fault != NULL)
            snprintf(l.detail, sizeof l.detail, "rid=%s iova=0x%" PRIx64 " len=%zu %s", r,
                     ev->fault->iova, ev->fault->len,
                     ev->fault->dir == PCIE_DMA_WRITE ? "write" : "read");
        break;
    default:
        snprintf(l.what, sizeof l.what, "event %d", (int)ev->type);
        break;
    }
    deliver(w, &l);
}

void
vs__trace_host_added(struct vs_host *h)
{
    if (h->w->tracer.fn != NULL && !h->trace_sub.active && h->fabric != NULL)
        (void)pcie_fabric_subscribe(h->fabric, &h->trace_sub, on_pcie, h);
}

void
vstack_world_set_tracer(struct vstack_world *w, vstack_trace_fn fn, void *ctx)
{
    if (w == NULL)
        return;
    w->tracer.fn = fn;
    w->tracer.ctx = ctx;
    w->tracer.event_next = w->log.next_seq; /* from now on */
    ndis_trace_set_listener(w->trace, fn != NULL ? on_ndis : NULL, w);
    for (size_t i = 0; i < w->n_hosts; i++) {
        if (fn != NULL)
            vs__trace_host_added(w->hosts[i]);
        else
            pcie_fabric_unsubscribe(&w->hosts[i]->trace_sub);
    }
}

void
vstack_trace_cause(struct vstack_world *w, unsigned line)
{
    if (w == NULL)
        return;
    vstack_trace_flush(w); /* what happened before belongs to the earlier line */
    w->tracer.cause_line = line;
}
