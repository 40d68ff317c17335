/* SPDX-License-Identifier: MIT */
/*
 * run_trace.c — `sriovsim run --trace[=KINDS]`, the trace records of --json-stream,
 * `--draw-on-event` and the trace context printed around a failed expectation (run_trace.h).
 * Models no Windows component.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "draw/draw.h"
#include "sim/sim.h"
#include "tools/run_trace.h"
#include "vstack/view.h"
#include "vstack/vstack.h"

#define KEEP        12u /* lines kept for the context of a failure */
#define AFTER       4u  /* lines printed after a failure */
#define LINE_MAX    512u
#define EVENTS_MAX  8u

struct run_trace {
    struct run_trace_opts o;
    struct vstack_world *w;
    bool header_done;
    char kept[KEEP][LINE_MAX];
    size_t kept_next, kept_count;
    unsigned after; /* lines still to print after a failure */
    FILE *after_out;
    enum vstack_event_kind draw_on[EVENTS_MAX];
    size_t n_draw_on;
    unsigned drawn;
    bool draw_failed;
};

int
run_trace_parse_kinds(const char *list, unsigned *mask, char *bad, size_t bad_len)
{
    *mask = 0;
    if (list == NULL || strcmp(list, "all") == 0) {
        *mask = (1u << VSTACK_TRACE_KIND_COUNT) - 1u;
        return 0;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        enum vstack_trace_kind k;
        if (strcmp(w, "all") == 0) {
            *mask = (1u << VSTACK_TRACE_KIND_COUNT) - 1u;
            continue;
        }
        if (vstack_trace_kind_parse(w, &k) != 0) {
            snprintf(bad, bad_len, "%s", w);
            return -1;
        }
        *mask |= 1u << k;
    }
    if (*mask == 0) {
        snprintf(bad, bad_len, "%s", list);
        return -1;
    }
    return 0;
}

static int
parse_events(const char *list, enum vstack_event_kind *out, size_t *n, char *bad, size_t bad_len)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    *n = 0;
    for (char *w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        enum vstack_event_kind k;
        if (vstack_event_kind_parse(w, &k) != 0 || *n == EVENTS_MAX) {
            snprintf(bad, bad_len, "%s", w);
            return -1;
        }
        out[(*n)++] = k;
    }
    if (*n == 0) {
        snprintf(bad, bad_len, "%s", list);
        return -1;
    }
    return 0;
}

int
run_trace_check_events(const char *list, char *bad, size_t bad_len)
{
    enum vstack_event_kind k[EVENTS_MAX];
    size_t n;
    return parse_events(list, k, &n, bad, bad_len);
}

/* One aligned line: time, script line, kind, requester -> target, what, status, detail. */
static void
format_line(const struct vstack_trace_line *l, char *buf, size_t len)
{
    char t[40], line[16];
    sim_time_format(l->time, t, sizeof t);
    if (l->cause_line != 0)
        snprintf(line, sizeof line, "L%u", l->cause_line);
    else
        snprintf(line, sizeof line, "-");
    snprintf(buf, len, "%15s %-5s %-8s %-16s -> %-16s %-34s %-22s %s", t, line,
             vstack_trace_kind_name(l->kind), l->requester, l->target, l->what,
             l->status[0] ? l->status : "-", l->detail);
    /* Trailing blanks of an empty detail. */
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
}

static void
draw_now(struct run_trace *t, const struct vstack_trace_line *l)
{
    const char *out = t->o.draw_output != NULL ? t->o.draw_output : "draw.svg";
    enum draw_format fmt;
    if (draw_format_from_path(out, &fmt) != 0)
        fmt = DRAW_SVG;
    const char *dot = strrchr(out, '.');
    size_t stem = dot != NULL ? (size_t)(dot - out) : strlen(out);
    char path[1024];
    snprintf(path, sizeof path, "%.*s-%03u%s", (int)stem, out, t->drawn + 1,
             dot != NULL ? dot : ".svg");
    struct sim_diag d;
    sim_diag_clear(&d);
    struct vstack_view *v = NULL;
    struct draw_doc *doc = NULL;
    char title[256], caption[320], tb[40];
    snprintf(title, sizeof title, "%s", t->o.script != NULL ? t->o.script : "");
    snprintf(caption, sizeof caption, "t=%s  %.60s %.60s %.100s", sim_time_format(l->time, tb, sizeof tb),
             l->what, l->requester, l->detail);
    int rc = vstack_view_create(t->w, &v, &d);
    if (rc == 0)
        rc = draw_doc_create(title, &doc, &d);
    if (rc == 0)
        rc = draw_doc_add(doc, v, caption, &d);
    if (rc == 0)
        rc = draw_doc_write(doc, fmt, path, &d);
    draw_doc_destroy(doc);
    vstack_view_destroy(v);
    if (rc != 0) {
        fprintf(stderr, "sriovsim run: --draw-on-event: %s\n", d.reason);
        t->draw_failed = true;
        return;
    }
    t->drawn++;
    if (t->o.notes != NULL)
        fprintf(t->o.notes, "drew %s (%s %s %s at t=%s)\n", path, l->what, l->requester,
                l->detail, tb);
}

static void
on_line(void *ctx, const struct vstack_trace_line *l)
{
    struct run_trace *t = ctx;
    char buf[LINE_MAX];
    format_line(l, buf, sizeof buf);
    /* Kept for the context of a failure, whatever is printed. */
    snprintf(t->kept[t->kept_next], LINE_MAX, "%s", buf);
    t->kept_next = (t->kept_next + 1) % KEEP;
    if (t->kept_count < KEEP)
        t->kept_count++;
    if (t->after > 0 && t->after_out != NULL) {
        fprintf(t->after_out, "  after:  %s\n", buf);
        t->after--;
    }
    bool selected = (t->o.kinds & (1u << l->kind)) != 0;
    if (selected && t->o.out != NULL) {
        if (!t->header_done) {
            fprintf(t->o.out, "%15s %-5s %-8s %-16s -> %-16s %-34s %-22s %s\n", "time", "line",
                    "kind", "requester", "target", "what", "status", "detail");
            t->header_done = true;
        }
        fprintf(t->o.out, "%s\n", buf);
        fflush(t->o.out);
    }
    if (selected && t->o.js != NULL && cli_jstream_on(t->o.js)) {
        json_t *f = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "kind",
                              vstack_trace_kind_name(l->kind), "line", (int)l->cause_line,
                              "requester", l->requester, "target", l->target, "what", l->what,
                              "status", l->status, "detail", l->detail);
        (void)cli_jstream_emit(t->o.js, "trace", l->time, f);
    }
    if (l->event != NULL) {
        for (size_t i = 0; i < t->n_draw_on; i++) {
            if (l->event->kind == t->draw_on[i]) {
                draw_now(t, l);
                break;
            }
        }
    }
}

int
run_trace_create(const struct run_trace_opts *o, struct run_trace **out)
{
    struct run_trace *t = calloc(1, sizeof *t);
    if (t == NULL)
        return SIM_ENOMEM;
    t->o = *o;
    if (o->draw_events != NULL) {
        char bad[64];
        if (parse_events(o->draw_events, t->draw_on, &t->n_draw_on, bad, sizeof bad) != 0) {
            free(t);
            return SIM_EINVAL;
        }
    }
    *out = t;
    return 0;
}

void
run_trace_attach(struct run_trace *t, struct vstack_world *w)
{
    if (t == NULL || w == NULL)
        return;
    t->w = w;
    vstack_world_set_tracer(w, on_line, t);
}

void
run_trace_failure(struct run_trace *t, FILE *err)
{
    if (t == NULL || t->w == NULL)
        return;
    vstack_trace_flush(t->w);
    if (t->kept_count == 0)
        return;
    fprintf(err, "  trace before it (last %zu lines):\n", t->kept_count);
    size_t first = (t->kept_next + KEEP - t->kept_count) % KEEP;
    for (size_t i = 0; i < t->kept_count; i++)
        fprintf(err, "  before: %s\n", t->kept[(first + i) % KEEP]);
    t->after = AFTER;
    t->after_out = err;
}

unsigned
run_trace_drawn(const struct run_trace *t)
{
    return t != NULL ? t->drawn : 0;
}

bool
run_trace_draw_failed(const struct run_trace *t)
{
    return t != NULL && t->draw_failed;
}

void
run_trace_destroy(struct run_trace *t, struct vstack_world *w)
{
    if (t == NULL)
        return;
    if (w != NULL)
        vstack_world_set_tracer(w, NULL, NULL);
    free(t);
}
