/* SPDX-License-Identifier: MIT */
/*
 * run_trace.h — what `sriovsim run` does with the world's live trace (vstack/view.h):
 *   --trace[=KINDS]        print each line as it happens, in aligned columns
 *                          (time, script line, kind, requester -> target, what, status, detail);
 *   --json-stream          the same lines as {"type":"trace", ...} objects in the stream;
 *   --draw-on-event EV,..  a picture (draw/) each time one of these events is logged;
 *   always                 the last lines are kept, so a failed expectation prints the trace
 *                          around it (the lines before, and the next few after).
 * Models no Windows component.
 */
#ifndef SRIOVSIM_TOOLS_RUN_TRACE_H
#define SRIOVSIM_TOOLS_RUN_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/json_stream.h"

struct vstack_world;
struct run_trace;

struct run_trace_opts {
    unsigned kinds;          /* bit per enum vstack_trace_kind to print / stream; 0: none */
    FILE *out;               /* live text (NULL: none) */
    struct cli_jstream *js;  /* trace records into the stream (NULL or off: none) */
    const char *draw_events; /* "datapath-switched,vf-removed" or NULL */
    const char *draw_output; /* FILE.svg|png|dot: pictures go to FILE-001.svg, ... */
    const char *script;      /* for the pictures' titles */
    FILE *notes;             /* "drew FILE (...)" lines (NULL: none) */
};

/* Parse "oid,pci,..." ("all" or NULL: every kind) into a mask. Returns 0, or -1 with the
 * unknown word in bad (bad_len bytes). */
int run_trace_parse_kinds(const char *list, unsigned *mask, char *bad, size_t bad_len);
/* Check the --draw-on-event list (event names of the log). 0 or -1 with the bad word. */
int run_trace_check_events(const char *list, char *bad, size_t bad_len);

int run_trace_create(const struct run_trace_opts *o, struct run_trace **out);
/* Start listening to w (before the run executes). */
void run_trace_attach(struct run_trace *t, struct vstack_world *w);
/* A failed expectation: print the lines kept before it to err, and the next few as they come. */
void run_trace_failure(struct run_trace *t, FILE *err);
/* Pictures drawn, and whether one could not be written (exit 74). */
unsigned run_trace_drawn(const struct run_trace *t);
bool run_trace_draw_failed(const struct run_trace *t);
/* Stop listening (before the world is destroyed) and free. NULL ok. */
void run_trace_destroy(struct run_trace *t, struct vstack_world *w);

#endif /* SRIOVSIM_TOOLS_RUN_TRACE_H */
