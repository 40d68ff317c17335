/* SPDX-License-Identifier: MIT */
/*
 * events.c — the event log of a world: what the virtualization stack saw happen (VF offered,
 * VF removed graceful|surprise, data path switched, migration blackout, OID failed, IOMMU
 * fault, ...) with its virtual time and fields, queryable since a mark (`expect event`).
 *
 * Windows / Hyper-V counterpart: the Hyper-V-VmSwitch / Hyper-V-VMMS event channels an
 * administrator reads in Event Viewer ("VF ... was removed", "Live migration ... blackout").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vstack/vstack_int.h"

static const char *const kind_names[VSTACK_EV_COUNT] = {
#define VSTACK_EVENT_NAME(id, word) [VSTACK_EV_##id] = word,
    VSTACK_EVENT_MAP(VSTACK_EVENT_NAME)
#undef VSTACK_EVENT_NAME
};

const char *
vstack_event_kind_name(enum vstack_event_kind k)
{
    if ((unsigned)k >= VSTACK_EV_COUNT)
        return "?";
    return kind_names[k];
}

int
vstack_event_kind_parse(const char *name, enum vstack_event_kind *out)
{
    if (name == NULL)
        return SIM_EINVAL;
    for (unsigned i = 0; i < VSTACK_EV_COUNT; i++)
        if (strcmp(kind_names[i], name) == 0) {
            if (out != NULL)
                *out = (enum vstack_event_kind)i;
            return 0;
        }
    return SIM_EINVAL;
}

/* A scratch event used when the log cannot grow (out of memory): the event is lost, the run
 * goes on. */
static struct vstack_event scratch;

struct vstack_event *
vs__event(struct vstack_world *w, enum vstack_event_kind k, const char *subject)
{
    struct vs_eventlog *l = &w->log;
    if (l->max != 0 && l->count == l->max) {
        memmove(l->ev, l->ev + 1, (l->count - 1) * sizeof *l->ev);
        l->count--;
        l->first_seq++;
    }
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct vstack_event *n = sim_realloc(SIM_TAG(vstack), l->ev, ncap * sizeof *n);
        if (n == NULL) {
            memset(&scratch, 0, sizeof scratch);
            return &scratch;
        }
        l->ev = n;
        l->cap = ncap;
    }
    struct vstack_event *ev = &l->ev[l->count++];
    memset(ev, 0, sizeof *ev);
    ev->seq = l->next_seq++;
    ev->time = sim_sched_now(w->sched);
    ev->kind = k;
    snprintf(ev->subject, sizeof ev->subject, "%s", subject ? subject : "");
    SIM_DEBUG(vstack, "event %s %s", kind_names[k], ev->subject);
    vs__trace_event_logged(w);
    return ev;
}

static struct vstack_event_field *
field_add(struct vstack_event *ev, const char *key)
{
    if (ev->n_fields >= VSTACK_EVENT_FIELDS_MAX)
        return NULL;
    struct vstack_event_field *f = &ev->fields[ev->n_fields++];
    snprintf(f->key, sizeof f->key, "%s", key);
    return f;
}

void
vs__event_str(struct vstack_event *ev, const char *key, const char *text)
{
    struct vstack_event_field *f = field_add(ev, key);
    if (f != NULL)
        snprintf(f->text, sizeof f->text, "%s", text ? text : "");
}

void
vs__event_num(struct vstack_event *ev, const char *key, int64_t num)
{
    struct vstack_event_field *f = field_add(ev, key);
    if (f == NULL)
        return;
    snprintf(f->text, sizeof f->text, "%" PRId64, num);
    f->has_num = true;
    f->num = num;
}

void
vs__event_dur(struct vstack_event *ev, const char *key, sim_time_t ns)
{
    struct vstack_event_field *f = field_add(ev, key);
    if (f == NULL)
        return;
    char buf[32];
    sim_time_format(ns, buf, sizeof buf);
    snprintf(f->text, sizeof f->text, "%s", buf);
    f->has_num = true;
    f->num = ns;
}

void
vs__eventlog_fini(struct vs_eventlog *log)
{
    sim_free(log->ev);
    memset(log, 0, sizeof *log);
}

const struct vstack_event_field *
vstack_event_field(const struct vstack_event *ev, const char *key)
{
    if (ev == NULL || key == NULL)
        return NULL;
    for (unsigned i = 0; i < ev->n_fields; i++)
        if (strcmp(ev->fields[i].key, key) == 0)
            return &ev->fields[i];
    return NULL;
}

int
vstack_event_format(const struct vstack_event *ev, char *buf, size_t len)
{
    char t[32];
    sim_time_format(ev->time, t, sizeof t);
    int n = snprintf(buf, len, "t=%s %s %s", t, vstack_event_kind_name(ev->kind), ev->subject);
    for (unsigned i = 0; i < ev->n_fields && n >= 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, " %s=%s", ev->fields[i].key, ev->fields[i].text);
    return n;
}

void
vstack_mark_now(const struct vstack_world *w, struct vstack_mark *out)
{
    out->event_seq = w->log.next_seq;
    out->trace_seq = ndis_trace_mark(w->trace);
}

size_t
vstack_events_since(const struct vstack_world *w, const struct vstack_mark *mark,
                    const struct vstack_event **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < w->log.count; i++) {
        const struct vstack_event *ev = &w->log.ev[i];
        if (mark != NULL && ev->seq < mark->event_seq)
            continue;
        if (n < max && out != NULL)
            out[n] = ev;
        n++;
    }
    return n;
}

uint64_t
vstack_events_next_seq(const struct vstack_world *w)
{
    return w->log.next_seq;
}

const struct vstack_event *
vstack_event_by_seq(const struct vstack_world *w, uint64_t seq)
{
    const struct vs_eventlog *l = &w->log;
    if (seq < l->first_seq || seq - l->first_seq >= l->count)
        return NULL;
    const struct vstack_event *ev = &l->ev[seq - l->first_seq];
    return ev->seq == seq ? ev : NULL;
}

void
vstack_events_dump(const struct vstack_world *w, FILE *out)
{
    char line[512];
    for (size_t i = 0; i < w->log.count; i++) {
        vstack_event_format(&w->log.ev[i], line, sizeof line);
        fprintf(out, "%s\n", line);
    }
}
