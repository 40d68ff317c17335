/* SPDX-License-Identifier: MIT */
/*
 * draw.h — pictures of the model through Graphviz's libraries (libcgraph builds the graph,
 * libgvc lays it out and renders it): hosts, PFs with their NIC-switch VPorts, filters and
 * queue pairs, VFs with their state, the extensible switch and its ports, VMs with NetVSC and
 * the VF miniport, VMBus channels, the wire and peers; each VM's current data path is drawn
 * bold, and edges carry the packet counters the components report. Input is a vstack_view
 * (vstack/view.h): the picture shows what the model's parts say, never what a script asked.
 *
 * Windows counterpart: none — this is the whiteboard drawing of Hyper-V SR-IOV networking that
 * the documentation shows (VF, VPorts, vmswitch, NetVSC), made from a running model.
 *
 * Several snapshots go into one document as a strip (one frame per snapshot, left to right).
 * Output: .dot (the graph as built, no layout: deterministic across Graphviz versions — what
 * the golden tests compare), .svg or .png (laid out with the `dot` engine).
 *
 * Threading: one thread; Graphviz is not thread-safe.
 */
#ifndef SRIOVSIM_DRAW_H
#define SRIOVSIM_DRAW_H

#include "sim/sim.h"
#include "vstack/view.h"

#ifdef __cplusplus
extern "C" {
#endif

enum draw_format { DRAW_DOT = 0, DRAW_SVG = 1, DRAW_PNG = 2 };

/* The format a file name asks for (".dot", ".gv", ".svg", ".png"); SIM_EINVAL otherwise. */
int draw_format_from_path(const char *path, enum draw_format *out);

struct draw_doc;

/* An empty document titled `title` (the scenario's name; copied). 0, SIM_ENOMEM. */
int draw_doc_create(const char *title, struct draw_doc **out, struct sim_diag *d);
/* Add one frame drawn from v, captioned `caption` ("t=3.050000000s"; copied). 0, SIM_ENOMEM. */
int draw_doc_add(struct draw_doc *doc, const struct vstack_view *v, const char *caption,
                 struct sim_diag *d);
/* Write the document to path in fmt. 0, SIM_EIO (could not write; reason in d), SIM_ENOTSUP
 * (Graphviz has no renderer for fmt). */
int draw_doc_write(struct draw_doc *doc, enum draw_format fmt, const char *path,
                   struct sim_diag *d);
/* Frames added so far. */
size_t draw_doc_frames(const struct draw_doc *doc);
void draw_doc_destroy(struct draw_doc *doc);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_DRAW_H */
