/* SPDX-License-Identifier: MIT */
/*
 * fabric.c — the fabric object: the RID routing table, knobs, counters and the event
 * subscribers. Models the PCI bus driver's view of which Routing IDs answer, and the PnP
 * notifications Windows sends to drivers (arrival, query-remove, surprise removal).
 */
#include <stdlib.h>
#include <string.h>

#include "pcie/pcie_int.h"

SIM_LOG_NS_DEFINE(pcie);
SIM_ALLOC_TAG_DEFINE(pcie_fabric);
SIM_ALLOC_TAG_DEFINE(pcie_fn);
SIM_ALLOC_TAG_DEFINE(pcie_msix);
SIM_ALLOC_TAG_DEFINE(pcie_iommu);

char *
pcie_rid_format(uint16_t rid, char *buf, size_t len)
{
    if (buf && len)
        snprintf(buf, len, "%02x:%02x.%u", PCIE_RID_BUS(rid), PCIE_RID_DEV(rid), PCIE_RID_FN(rid));
    return buf;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse up to `max` hex digits; returns digits consumed (0 = none). */
static int
parse_hex(const char *s, int max, unsigned *out)
{
    int n = 0;
    unsigned v = 0;
    while (n < max && hexval(s[n]) >= 0) {
        v = v * 16 + (unsigned)hexval(s[n]);
        n++;
    }
    *out = v;
    return n;
}

int
pcie_rid_parse(const char *text, uint16_t *rid)
{
    if (!text || !rid)
        return SIM_EINVAL;
    const char *s = text;
    /* Optional domain "dddd:" (4 hex digits followed by ':' and then "bb:"). */
    const char *c1 = strchr(s, ':');
    if (c1 && strchr(c1 + 1, ':')) {
        unsigned dom;
        int n = parse_hex(s, 6, &dom);
        if (n < 4 || s[n] != ':' || dom != 0)
            return SIM_EINVAL;
        s += n + 1;
    }
    unsigned bus, dev, fn;
    int n = parse_hex(s, 2, &bus);
    if (n < 1 || s[n] != ':')
        return SIM_EINVAL;
    s += n + 1;
    n = parse_hex(s, 2, &dev);
    if (n < 1 || s[n] != '.' || dev > 0x1f)
        return SIM_EINVAL;
    s += n + 1;
    if (s[0] < '0' || s[0] > '7' || s[1] != '\0')
        return SIM_EINVAL;
    fn = (unsigned)(s[0] - '0');
    *rid = PCIE_RID(bus, dev, fn);
    return 0;
}

int
pcie_fabric_create(struct sim_sched *sched, struct pcie_fabric **out)
{
    if (!sched || !out)
        return SIM_EINVAL;
    struct pcie_fabric *f = sim_calloc(SIM_TAG(pcie_fabric), 1, sizeof(*f));
    if (!f)
        goto fail_fabric;
    f->by_rid = sim_calloc(SIM_TAG(pcie_fabric), PCIE_RID_COUNT, sizeof(*f->by_rid));
    if (!f->by_rid)
        goto fail_by_rid;
    f->ctx_by_rid = sim_calloc(SIM_TAG(pcie_fabric), PCIE_RID_COUNT, sizeof(*f->ctx_by_rid));
    if (!f->ctx_by_rid)
        goto fail_ctx;
    f->sched = sched;
    f->next_domain_id = 1;
    *out = f;
    return 0;

fail_ctx:
    sim_free(f->by_rid);
fail_by_rid:
    sim_free(f);
fail_fabric:
    return SIM_ENOMEM;
}

void
pcie_fabric_destroy(struct pcie_fabric *f)
{
    if (!f)
        return;
    f->destroying = true; /* no events from here on */
    for (struct pcie_subscription *s = f->subs; s; s = s->next)
        s->active = false;
    f->subs = NULL;
    while (f->pfs)
        pcie_pf_destroy(f->pfs);
    pcie__iommu_fini(f);
    sim_free(f->ctx_by_rid);
    sim_free(f->by_rid);
    sim_free(f);
}

struct sim_sched *
pcie_fabric_sched(const struct pcie_fabric *f)
{
    return f ? f->sched : NULL;
}

struct pcie_knobs *
pcie_fabric_knobs(struct pcie_fabric *f)
{
    return &f->knobs;
}

void
pcie_fabric_stats(const struct pcie_fabric *f, struct pcie_stats *out)
{
    if (f && out)
        *out = f->stats;
}

/* The knob tree: name -> field, netdevsim's debugfs files in table form. */
enum knob_kind { KNOB_BOOL, KNOB_TIME };
struct knob_desc {
    const char *name;
    enum knob_kind kind;
    size_t offset;
};
static const struct knob_desc knob_table[] = {
    {"flr_timeout", KNOB_BOOL, offsetof(struct pcie_knobs, flr_timeout)},
    {"msix_lost", KNOB_BOOL, offsetof(struct pcie_knobs, msix_lost)},
    {"iotlb_disabled", KNOB_BOOL, offsetof(struct pcie_knobs, iotlb_disabled)},
    {"vf_enable_ignored", KNOB_BOOL, offsetof(struct pcie_knobs, vf_enable_ignored)},
    {"vf_ready_extra_ns", KNOB_TIME, offsetof(struct pcie_knobs, vf_ready_extra_ns)},
};

static const struct knob_desc *
knob_find(const char *name)
{
    for (size_t i = 0; name && i < SIM_ARRAY_SIZE(knob_table); i++)
        if (strcmp(knob_table[i].name, name) == 0)
            return &knob_table[i];
    return NULL;
}

int
pcie_knob_set(struct pcie_fabric *f, const char *name, int64_t value, struct sim_diag *d)
{
    const struct knob_desc *k = knob_find(name);
    if (!f)
        return SIM_EINVAL;
    if (!k)
        return sim_diag_fail(d, SIM_ENOENT,
                             "pcie knob '%s' unknown (known: flr_timeout, msix_lost, "
                             "iotlb_disabled, vf_enable_ignored, vf_ready_extra_ns)",
                             name ? name : "(null)");
    char *base = (char *)&f->knobs;
    if (k->kind == KNOB_BOOL) {
        if (value != 0 && value != 1)
            return sim_diag_fail(d, SIM_ERANGE, "pcie knob '%s' is boolean: 0 or 1, not %lld", name,
                                 (long long)value);
        *(bool *)(void *)(base + k->offset) = value != 0;
    } else {
        if (value < 0)
            return sim_diag_fail(d, SIM_ERANGE, "pcie knob '%s' is a duration >= 0, not %lld", name,
                                 (long long)value);
        *(sim_time_t *)(void *)(base + k->offset) = value;
    }
    SIM_DEBUG(pcie, "knob %s = %lld", name, (long long)value);
    return 0;
}

int
pcie_knob_get(const struct pcie_fabric *f, const char *name, int64_t *value)
{
    const struct knob_desc *k = knob_find(name);
    if (!f || !value)
        return SIM_EINVAL;
    if (!k)
        return SIM_ENOENT;
    const char *base = (const char *)&f->knobs;
    if (k->kind == KNOB_BOOL)
        *value = *(const bool *)(const void *)(base + k->offset);
    else
        *value = *(const sim_time_t *)(const void *)(base + k->offset);
    return 0;
}

/* ---- RID table ---------------------------------------------------------------------------- */

struct pcie_fn *
pcie__lookup(const struct pcie_fabric *f, uint16_t rid)
{
    return f ? f->by_rid[rid] : NULL;
}

void
pcie__link(struct pcie_fn *fn)
{
    struct pcie_fabric *f = fn->fabric;
    if (fn->linked || f->by_rid[fn->rid])
        return;
    f->by_rid[fn->rid] = fn;
    fn->linked = true;
}

void
pcie__unlink(struct pcie_fn *fn)
{
    if (!fn->linked)
        return;
    fn->fabric->by_rid[fn->rid] = NULL;
    fn->linked = false;
}

bool
pcie__fn_answers(const struct pcie_fn *fn)
{
    return fn && fn->linked && fn->state == PCIE_FN_READY;
}

int
pcie_fabric_next_rid(const struct pcie_fabric *f, int after, uint16_t *rid)
{
    if (!f || !rid || after >= PCIE_RID_COUNT - 1)
        return f && rid ? SIM_ENOENT : SIM_EINVAL;
    for (long r = after < 0 ? 0 : after + 1; r < PCIE_RID_COUNT; r++) {
        if (f->by_rid[r]) {
            *rid = (uint16_t)r;
            return 0;
        }
    }
    return SIM_ENOENT;
}

enum pcie_fn_state
pcie_fabric_fn_state(const struct pcie_fabric *f, uint16_t rid)
{
    if (!f)
        return PCIE_FN_ABSENT;
    const struct pcie_fn *fn = f->by_rid[rid];
    if (fn)
        return fn->state;
    for (const struct pcie_fn *pf = f->pfs; pf; pf = pf->pfx->next) {
        if (pf->rid == rid && pf->state == PCIE_FN_REMOVED)
            return PCIE_FN_REMOVED;
        for (uint16_t i = 0; i < pf->pfx->num_vfs; i++) {
            const struct pcie_fn *vf = pf->pfx->vfs[i];
            if (vf->rid == rid && vf->state == PCIE_FN_REMOVED)
                return PCIE_FN_REMOVED;
        }
    }
    return PCIE_FN_ABSENT;
}

const char *
pcie_fn_state_name(enum pcie_fn_state s)
{
    switch (s) {
    case PCIE_FN_ABSENT:
        return "absent";
    case PCIE_FN_NOT_READY:
        return "not-ready";
    case PCIE_FN_READY:
        return "ready";
    case PCIE_FN_IN_RESET:
        return "in-reset";
    case PCIE_FN_REMOVED:
        return "removed";
    case PCIE_FN_UNREACHABLE:
        return "unreachable";
    }
    return "?";
}

/* ---- function accessors -------------------------------------------------------------------- */

uint16_t
pcie_fn_rid(const struct pcie_fn *fn)
{
    return fn->rid;
}

bool
pcie_fn_is_vf(const struct pcie_fn *fn)
{
    return fn && fn->vf_index >= 0;
}

int
pcie_fn_vf_index(const struct pcie_fn *fn)
{
    return fn ? fn->vf_index : -1;
}

struct pcie_fn *
pcie_fn_pf(const struct pcie_fn *fn)
{
    return fn ? fn->pf : NULL;
}

struct pcie_fabric *
pcie_fn_fabric(const struct pcie_fn *fn)
{
    return fn ? fn->fabric : NULL;
}

void
pcie_fn_set_drvdata(struct pcie_fn *fn, void *data)
{
    if (fn)
        fn->drvdata = data;
}

void *
pcie_fn_drvdata(const struct pcie_fn *fn)
{
    return fn ? fn->drvdata : NULL;
}

struct pcie_fn *
pcie_pf_vf(const struct pcie_fn *pf, uint16_t i)
{
    if (!pf || !pf->pfx || i >= pf->pfx->num_vfs)
        return NULL;
    return pf->pfx->vfs[i];
}

uint16_t
pcie_pf_num_vfs(const struct pcie_fn *pf)
{
    return pf && pf->pfx ? pf->pfx->num_vfs : 0;
}

const uint8_t *
pcie_fn_cfg_bytes(const struct pcie_fn *fn)
{
    return fn ? fn->cfg : NULL;
}

/* ---- events ------------------------------------------------------------------------------- */

int
pcie_fabric_subscribe(struct pcie_fabric *f, struct pcie_subscription *sub, pcie_event_fn fn,
                      void *ctx)
{
    if (!f || !sub || !fn || (sub->active && sub->fabric))
        return SIM_EINVAL;
    sub->fn = fn;
    sub->ctx = ctx;
    sub->fabric = f;
    sub->next = NULL;
    sub->active = true;
    /* Append: subscribers are called in subscription order. */
    struct pcie_subscription **pp = &f->subs;
    while (*pp)
        pp = &(*pp)->next;
    *pp = sub;
    return 0;
}

void
pcie_fabric_unsubscribe(struct pcie_subscription *sub)
{
    if (!sub || !sub->active)
        return;
    struct pcie_fabric *f = sub->fabric;
    sub->active = false;
    if (!f)
        return;
    /* A dispatch in progress that was about to visit sub skips past it. */
    for (struct pcie_dispatch_frame *fr = f->frames; fr; fr = fr->up)
        if (fr->next == sub)
            fr->next = sub->next;
    for (struct pcie_subscription **pp = &f->subs; *pp; pp = &(*pp)->next) {
        if (*pp == sub) {
            *pp = sub->next;
            break;
        }
    }
    sub->next = NULL;
}

void
pcie__emit(struct pcie_fabric *f, struct pcie_event *ev)
{
    if (f->destroying)
        return;
    ev->time = sim_sched_now(f->sched);
    char b[PCIE_RID_STRLEN];
    SIM_DEBUG(pcie, "event %d rid=%s", (int)ev->type, pcie_rid_format(ev->rid, b, sizeof(b)));
    struct pcie_dispatch_frame fr = {.next = f->subs, .up = f->frames};
    f->frames = &fr;
    while (fr.next) {
        struct pcie_subscription *s = fr.next;
        fr.next = s->next;
        if (s->active)
            s->fn(s->ctx, ev);
    }
    f->frames = fr.up;
}
