/* SPDX-License-Identifier: MIT */
/*
 * draw.c — builds the picture of a vstack_view with libcgraph and renders it with libgvc
 * (draw.h). One frame per snapshot, each a cluster; inside a frame one cluster per host (its
 * PF with the NIC switch, the extensible switch, the guests), the wire and peers outside.
 *
 * Reading the picture:
 *   - a VF is drawn once it is allocated or offered; the enabled but idle ones are one node
 *     ("6 VFs enabled, free"); its label lists its state from PCIe / NDIS / VPCI / the guest;
 *   - VPorts list their queue pairs (enabled / assigned) and the MAC filters pointing at them;
 *   - the edges of each VM's current data path are bold and coloured (green: VF path,
 *     blue: synthetic path); counters on edges are frames as the component at the edge's
 *     tail reports them ("tx" away from the VM, "rx" towards it).
 *
 * Windows counterpart: none (a drawing tool).
 */
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "draw/draw.h"

SIM_ALLOC_TAG_DEFINE(draw);

#define COLOR_VF  "#1a7f37" /* VF path */
#define COLOR_SYN "#0550ae" /* synthetic path */
#define COLOR_IDLE "#8c959f"

struct draw_doc {
    Agraph_t *g;
    size_t frames;
};

int
draw_format_from_path(const char *path, enum draw_format *out)
{
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;
    if (dot == NULL)
        return SIM_EINVAL;
    if (strcmp(dot, ".dot") == 0 || strcmp(dot, ".gv") == 0)
        *out = DRAW_DOT;
    else if (strcmp(dot, ".svg") == 0)
        *out = DRAW_SVG;
    else if (strcmp(dot, ".png") == 0)
        *out = DRAW_PNG;
    else
        return SIM_EINVAL;
    return 0;
}

/* cgraph takes char * for names and values; these copy into writable buffers. */
static void SIM_PRINTF(3, 4)
    set(void *obj, const char *key, const char *fmt, ...)
{
    char k[32], v[1024], empty[1] = "";
    snprintf(k, sizeof k, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    agsafeset(obj, k, v, empty);
}

/* Object IDs in creation order. libcgraph's default ID discipline uses the address of the
 * interned name as a named object's ID and writes subgraphs in ID order, so the order of the
 * clusters in the .dot depended on the heap (an unrelated allocation elsewhere reordered the
 * golden files). Here a named object's ID is 2 x (its name's rank of first use): the .dot
 * lists subgraphs in the order the drawing created them, on every run and build. */
struct draw_ids {
    Agraph_t *g; /* the root graph: names are interned in its string dictionary */
    char **names;
    size_t n, cap;
    IDTYPE anon; /* odd IDs for anonymous objects, as the default discipline does */
};

static void *
ids_open(Agraph_t *g, Agdisc_t *disc)
{
    (void)disc;
    struct draw_ids *s = sim_calloc(SIM_TAG(draw), 1, sizeof *s);
    if (s != NULL) {
        s->g = g;
        s->anon = 1;
    }
    return s;
}

static long
ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    (void)objtype;
    struct draw_ids *s = state;
    if (str == NULL) {
        *id = s->anon;
        s->anon += 2;
        return 1;
    }
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], str) == 0) {
            *id = (IDTYPE)(i + 1) * 2;
            return 1;
        }
    if (!createflag) {
        *id = 0; /* unknown name: what the default discipline answers */
        return 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **n = sim_realloc(SIM_TAG(draw), s->names, cap * sizeof *n);
        if (n == NULL)
            return 0;
        s->names = n;
        s->cap = cap;
    }
    /* Interned (agwrite asks the string dictionary whether a name is an HTML string). */
    char *copy = agstrdup(s->g, str);
    if (copy == NULL)
        return 0;
    s->names[s->n++] = copy;
    *id = (IDTYPE)s->n * 2;
    return 1;
}

static long
ids_alloc(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id;
    return 1;
}

static void
ids_free(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id; /* names live until the graph is closed */
}

static char *
ids_print(void *state, int objtype, IDTYPE id)
{
    (void)objtype;
    struct draw_ids *s = state;
    if (id == 0 || id % 2 != 0 || id / 2 > s->n)
        return NULL;
    return s->names[id / 2 - 1];
}

static void
ids_close(void *state)
{
    struct draw_ids *s = state;
    if (s == NULL)
        return; /* the names go with the graph's string dictionary */
    sim_free(s->names);
    sim_free(s);
}

static void
ids_register(void *state, int objtype, void *obj)
{
    (void)state;
    (void)objtype;
    (void)obj;
}

static Agiddisc_t draw_id_disc = {ids_open, ids_map,   ids_alloc,   ids_free,
                                  ids_print, ids_close, ids_register};
static Agdisc_t draw_disc = {NULL, &draw_id_disc, NULL};

static Agraph_t *
subgraph(Agraph_t *g, const char *name)
{
    char n[512];
    snprintf(n, sizeof n, "%s", name);
    return agsubg(g, n, 1);
}

static Agnode_t *
node(Agraph_t *g, const char *name)
{
    char n[512];
    snprintf(n, sizeof n, "%s", name);
    return agnode(g, n, 1);
}

static Agedge_t *
edge(Agraph_t *g, Agnode_t *t, Agnode_t *h)
{
    char empty[1] = "";
    return agedge(g, t, h, empty, 1);
}

static void
mac_text(const uint8_t m[6], char *buf, size_t len)
{
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Node ids: "f<frame>:<object>" keeps frames apart in one graph. */
static void
nid(char *buf, size_t len, size_t frame, const char *kind, const char *name)
{
    snprintf(buf, len, "f%zu:%s:%s", frame, kind, name);
}

static void
path_style(Agedge_t *e, bool active, const char *color)
{
    if (active) {
        set(e, "color", "%s", color);
        set(e, "fontcolor", "%s", color);
        set(e, "penwidth", "3");
    } else {
        set(e, "color", "%s", COLOR_IDLE);
        set(e, "fontcolor", "%s", COLOR_IDLE);
        set(e, "style", "dashed");
    }
}

static const struct vstack_view_vm *
vm_by_name(const struct vstack_view *v, const char *name)
{
    for (size_t i = 0; i < v->n_vms; i++) {
        if (strcmp(v->vms[i].name, name) == 0)
            return &v->vms[i];
    }
    return NULL;
}

/* The PF, its NIC-switch VPorts (with filters and queue pairs) and its VFs. */
static void
draw_pf(Agraph_t *host, Agraph_t *top, size_t f, const struct vstack_view *v,
        const struct vstack_view_pf *pf)
{
    char id[512], cl[256], mac[24];
    snprintf(cl, sizeof cl, "cluster_f%zu_nic_%s", f, pf->name);
    Agraph_t *nic = subgraph(host, cl);
    set(nic, "label", "NIC %s (NIC switch)", pf->name);
    set(nic, "style", "rounded");
    nid(id, sizeof id, f, "pf", pf->name);
    Agnode_t *pfn = node(nic, id);
    mac_text(pf->mac, mac, sizeof mac);
    set(pfn, "label",
        "PF %s\\nRID %02x:%02x.%x  MAC %s\\nSR-IOV: NumVFs %u of %u  link %s\\nPF miniport", pf->name,
        pf->rid >> 8, (pf->rid >> 3) & 0x1f, pf->rid & 7, mac, (unsigned)pf->num_vfs,
        (unsigned)pf->total_vfs, pf->link_up ? "up" : "down");
    set(pfn, "shape", "box3d");

    /* VPorts with their queue pairs and filters. */
    for (size_t i = 0; i < pf->n_vports; i++) {
        const struct vstack_view_vport *vp = &pf->vports[i];
        char vpname[128], filters[512] = "";
        snprintf(vpname, sizeof vpname, "%s:vport%u", pf->name, (unsigned)vp->id);
        nid(id, sizeof id, f, "vport", vpname);
        Agnode_t *n = node(nic, id);
        size_t off = 0;
        for (size_t k = 0; k < vp->n_filters && off < sizeof filters - 40; k++) {
            mac_text(vp->filters[k].mac, mac, sizeof mac);
            off += (size_t)snprintf(filters + off, sizeof filters - off, "\\nfilter %u: %s",
                                    (unsigned)vp->filters[k].id, mac);
        }
        set(n, "label", "VPort %u%s\\nQPs %u enabled of %u\\nrx %" PRIu64 "  tx %" PRIu64 "%s",
            (unsigned)vp->id,
            vp->id == 0             ? " (default)"
            : vp->owner_vf < 0      ? " (PF, VMQ)"
                                    : "",
            (unsigned)vp->qps_enabled, (unsigned)vp->nqps, vp->rx_packets, vp->tx_packets,
            vp->n_filters != 0 ? filters : "\\nno filter");
        set(n, "shape", "component");
        if (vp->owner_vf < 0) {
            Agedge_t *e = edge(top, pfn, n);
            set(e, "arrowhead", "none");
        }
    }

    /* VFs: each one in use on its own, the idle enabled ones as one node. */
    unsigned idle = 0;
    for (size_t i = 0; i < pf->n_vfs; i++) {
        const struct vstack_view_vf *vf = &pf->vfs[i];
        if (!vf->enabled && !vf->allocated && !vf->offered)
            continue;
        if (!vf->allocated && !vf->offered && !vf->has_vport) {
            idle++;
            continue;
        }
        nid(id, sizeof id, f, "vf", vf->name);
        Agnode_t *n = node(nic, id);
        char state[256];
        snprintf(state, sizeof state, "%s%s%s%s%s", vf->enabled ? "enabled" : "not enabled",
                 vf->allocated ? ", allocated" : "", vf->has_vport ? ", VPort attached" : "",
                 vf->offered ? ", offered" : "", vf->bound ? ", bound" : "");
        char alloc[64] = "";
        if (vf->allocated)
            snprintf(alloc, sizeof alloc, "\\nVF id %u  RID %02x:%02x.%x", (unsigned)vf->vf_id,
                     vf->rid >> 8, (vf->rid >> 3) & 0x1f, vf->rid & 7);
        set(n, "label", "VF %s%s\\n%s%s%s", vf->name, alloc, state,
            vf->offered ? "\\nVPCI: " : "", vf->offered ? vf->vpci_state : "");
        set(n, "shape", "box");
        set(n, "style", "rounded");
        Agedge_t *e = edge(top, pfn, n);
        set(e, "arrowhead", "none");
        set(e, "style", "dotted");
        if (vf->has_vport) {
            char vpname[128];
            snprintf(vpname, sizeof vpname, "%s:vport%u", pf->name, (unsigned)vf->vport_id);
            nid(id, sizeof id, f, "vport", vpname);
            Agnode_t *vpn = node(nic, id);
            const struct vstack_view_vm *vm = vf->vm[0] ? vm_by_name(v, vf->vm) : NULL;
            Agedge_t *ve = edge(top, n, vpn);
            set(ve, "label", "VPort %u", (unsigned)vf->vport_id);
            path_style(ve, vm != NULL && vm->on_vf, COLOR_VF);
        }
    }
    if (idle != 0) {
        snprintf(cl, sizeof cl, "%s:idle", pf->name);
        nid(id, sizeof id, f, "vf", cl);
        Agnode_t *n = node(nic, id);
        set(n, "label", "%u VF%s enabled, free", idle, idle == 1 ? "" : "s");
        set(n, "shape", "box");
        set(n, "style", "rounded,dashed");
        Agedge_t *e = edge(top, pfn, n);
        set(e, "arrowhead", "none");
        set(e, "style", "dotted");
    }
}

/* A guest: NetVSC, the VMBus channel to its switch port, the VF miniport bound to its VF. */
static void
draw_vm(Agraph_t *host, Agraph_t *top, size_t f, const struct vstack_view *v,
        const struct vstack_view_vm *vm)
{
    char id[512], cl[256], mac[24];
    snprintf(cl, sizeof cl, "cluster_f%zu_vm_%s", f, vm->name);
    Agraph_t *g = subgraph(host, cl);
    set(g, "label", "VM %s (%s)", vm->name, vm->state);
    set(g, "style", "filled");
    set(g, "fillcolor", "#f6f8fa");
    nid(id, sizeof id, f, "netvsc", vm->name);
    Agnode_t *nv = node(g, id);
    mac_text(vm->mac, mac, sizeof mac);
    set(nv, "label", "NetVSC %s\\n%s\\ndata path: %s", vm->name, mac, vm->dp_state);
    set(nv, "shape", "box");
    set(nv, "penwidth", "2");
    set(nv, "color", "%s", vm->on_vf ? COLOR_VF : COLOR_SYN);

    /* The switch port and its VMBus channel. */
    const struct vstack_view_switch *sw = NULL;
    const struct vstack_view_port *port = NULL;
    for (size_t i = 0; i < v->n_switches && port == NULL; i++) {
        for (size_t k = 0; k < v->switches[i].n_ports; k++) {
            if (strcmp(v->switches[i].ports[k].vm, vm->name) == 0) {
                sw = &v->switches[i];
                port = &sw->ports[k];
                break;
            }
        }
    }
    if (port != NULL) {
        char pname[128];
        snprintf(pname, sizeof pname, "%s:port%u", sw->name, (unsigned)port->number);
        nid(id, sizeof id, f, "port", pname);
        Agnode_t *pn = node(top, id);
        Agedge_t *e = edge(top, nv, pn);
        set(e, "label", "VMBus %s\\ntx %" PRIu64 "  rx %" PRIu64,
            port->channel_open ? "open" : "closed", vm->tx_synthetic, vm->rx_synthetic);
        path_style(e, !vm->on_vf, COLOR_SYN);
    }

    /* The VF miniport in the guest, bound to its VF. */
    if (vm->vf[0] != '\0') {
        nid(id, sizeof id, f, "vfmp", vm->name);
        Agnode_t *mp = node(g, id);
        set(mp, "label", "VF miniport\\n%s", vm->vf);
        set(mp, "shape", "box");
        Agedge_t *e = edge(top, nv, mp);
        set(e, "label", "tx %" PRIu64 "  rx %" PRIu64, vm->tx_vf, vm->rx_vf);
        path_style(e, vm->on_vf, COLOR_VF);
        nid(id, sizeof id, f, "vf", vm->vf);
        Agnode_t *vfn = node(top, id);
        Agedge_t *e2 = edge(top, mp, vfn);
        set(e2, "label", "assigned");
        path_style(e2, vm->on_vf, COLOR_VF);
    }
}

static void
draw_switch(Agraph_t *host, Agraph_t *top, size_t f, const struct vstack_view *v,
            const struct vstack_view_switch *sw)
{
    char id[512], cl[256], mac[24];
    snprintf(cl, sizeof cl, "cluster_f%zu_sw_%s", f, sw->name);
    Agraph_t *g = subgraph(host, cl);
    set(g, "label", "extensible switch %s (NetVSP)%s", sw->name, sw->iov ? ", SR-IOV on" : "");
    set(g, "style", "rounded");
    for (size_t i = 0; i < sw->n_ports; i++) {
        const struct vstack_view_port *p = &sw->ports[i];
        char pname[128];
        snprintf(pname, sizeof pname, "%s:port%u", sw->name, (unsigned)p->number);
        nid(id, sizeof id, f, "port", pname);
        Agnode_t *n = node(g, id);
        mac_text(p->mac, mac, sizeof mac);
        set(n, "label", "port %u: %s\\n%s  NVSP %s\\nguest data path: %s", (unsigned)p->number,
            p->vm, mac, p->ready ? "ready" : "not ready", p->on_vf ? "VF" : "synthetic");
        set(n, "shape", "box");
    }
    if (sw->uplink[0] == '\0')
        return;
    char ename[128];
    snprintf(ename, sizeof ename, "%s:ext", sw->name);
    nid(id, sizeof id, f, "port", ename);
    Agnode_t *ext = node(g, id);
    set(ext, "label", "external port\\nbound to %s", sw->uplink);
    set(ext, "shape", "box");
    /* Internal: each VM port -> the external port (the software switch forwards). */
    bool any_syn = false;
    for (size_t i = 0; i < sw->n_ports; i++) {
        const struct vstack_view_vm *vm = vm_by_name(v, sw->ports[i].vm);
        bool syn = vm != NULL && !vm->on_vf;
        any_syn |= syn;
        char pname[128];
        snprintf(pname, sizeof pname, "%s:port%u", sw->name, (unsigned)sw->ports[i].number);
        nid(id, sizeof id, f, "port", pname);
        Agedge_t *e = edge(top, node(g, id), ext);
        set(e, "label", "from VM %" PRIu64 "  to VM %" PRIu64, sw->ports[i].from_vm,
            sw->ports[i].to_vm);
        path_style(e, syn, COLOR_SYN);
    }
    /* The external port sits on the PF's default VPort. */
    char vpname[128];
    snprintf(vpname, sizeof vpname, "%s:vport0", sw->uplink);
    nid(id, sizeof id, f, "vport", vpname);
    Agnode_t *vp0 = agnode(top, id, 0);
    if (vp0 != NULL) {
        Agedge_t *e = edge(top, ext, vp0);
        set(e, "label", "to wire %" PRIu64 "  from wire %" PRIu64, sw->to_wire, sw->from_wire);
        path_style(e, any_syn, COLOR_SYN);
    }
}

int
draw_doc_add(struct draw_doc *doc, const struct vstack_view *v, const char *caption,
             struct sim_diag *d)
{
    size_t f = doc->frames;
    char id[512], cl[256];
    snprintf(cl, sizeof cl, "cluster_f%zu", f);
    Agraph_t *frame = subgraph(doc->g, cl);
    if (frame == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "draw: out of memory");
    set(frame, "style", "solid");
    set(frame, "label", "%s", caption != NULL ? caption : "");
    set(frame, "fontsize", "18");
    /* An invisible anchor per frame: the anchors share one rank and are chained left to
     * right, which is what orders the strip (cgraph keeps subgraphs in no particular order). */
    snprintf(id, sizeof id, "f%zu:anchor", f);
    Agnode_t *cap = node(frame, id);
    set(cap, "shape", "point");
    set(cap, "style", "invis");
    set(cap, "width", "0");
    Agraph_t *strip = subgraph(doc->g, "strip");
    set(strip, "rank", "same");
    (void)agsubnode(strip, cap, 1);
    if (f > 0) {
        snprintf(id, sizeof id, "f%zu:anchor", f - 1);
        Agedge_t *e = edge(doc->g, node(doc->g, id), cap);
        set(e, "style", "invis");
    }

    for (size_t h = 0; h < v->n_hosts; h++) {
        snprintf(cl, sizeof cl, "cluster_f%zu_host_%s", f, v->hosts[h]);
        Agraph_t *host = subgraph(frame, cl);
        set(host, "label", "host %s (root partition)", v->hosts[h]);
        set(host, "style", "rounded,bold");
        for (size_t i = 0; i < v->n_pfs; i++) {
            if (strcmp(v->pfs[i].host, v->hosts[h]) == 0)
                draw_pf(host, frame, f, v, &v->pfs[i]);
        }
        for (size_t i = 0; i < v->n_switches; i++) {
            if (strcmp(v->switches[i].host, v->hosts[h]) == 0)
                draw_switch(host, frame, f, v, &v->switches[i]);
        }
        for (size_t i = 0; i < v->n_vms; i++) {
            if (strcmp(v->vms[i].host, v->hosts[h]) == 0)
                draw_vm(host, frame, f, v, &v->vms[i]);
        }
    }
    /* Switch ports were created before their VMs' edges named them; VM edges made first in a
     * host drawn before its switch are fine: node() finds or creates by id. The wire: one node
     * per segment, the PF ports and the peers on it. */
    for (size_t i = 0; i < v->n_pfs; i++) {
        const struct vstack_view_pf *pf = &v->pfs[i];
        char wname[32];
        snprintf(wname, sizeof wname, "segment%u", pf->segment);
        nid(id, sizeof id, f, "wire", wname);
        Agnode_t *wire = node(frame, id);
        set(wire, "label", "physical wire (segment %u)", pf->segment);
        set(wire, "shape", "hexagon");
        nid(id, sizeof id, f, "pf", pf->name);
        Agedge_t *e = edge(frame, node(frame, id), wire);
        set(e, "label", "port tx %" PRIu64 "  rx %" PRIu64, pf->wire_tx, pf->wire_rx);
        set(e, "dir", "both");
        set(e, "penwidth", "2");
    }
    for (size_t i = 0; i < v->n_peers; i++) {
        const struct vstack_view_peer *p = &v->peers[i];
        char wname[32], mac[24];
        snprintf(wname, sizeof wname, "segment%u", p->segment);
        nid(id, sizeof id, f, "wire", wname);
        Agnode_t *wire = node(frame, id);
        nid(id, sizeof id, f, "peer", p->name);
        Agnode_t *n = node(frame, id);
        mac_text(p->mac, mac, sizeof mac);
        set(n, "label", "peer %s\\n%s", p->name, mac);
        set(n, "shape", "ellipse");
        Agedge_t *e = edge(frame, wire, n);
        set(e, "dir", "both");
    }
    doc->frames++;
    return 0;
}

int
draw_doc_create(const char *title, struct draw_doc **out, struct sim_diag *d)
{
    struct draw_doc *doc = sim_calloc(SIM_TAG(draw), 1, sizeof *doc);
    if (doc == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "draw: out of memory");
    char name[128];
    snprintf(name, sizeof name, "sriovsim");
    draw_disc.mem = &AgMemDisc;
    draw_disc.io = &AgIoDisc;
    doc->g = agopen(name, Agdirected, &draw_disc);
    if (doc->g == NULL) {
        sim_free(doc);
        return sim_diag_fail(d, SIM_ENOMEM, "draw: out of memory");
    }
    set(doc->g, "label", "%s", title != NULL ? title : "");
    set(doc->g, "labelloc", "t");
    set(doc->g, "fontname", "Helvetica");
    set(doc->g, "rankdir", "TB");
    set(doc->g, "newrank", "true");
    set(doc->g, "compound", "true");
    char k1[16] = "fontname", v1[16] = "Helvetica", k2[16] = "fontsize", v2[8] = "10";
    agattr(doc->g, AGNODE, k1, v1);
    agattr(doc->g, AGNODE, k2, v2);
    agattr(doc->g, AGEDGE, k1, v1);
    agattr(doc->g, AGEDGE, k2, v2);
    *out = doc;
    return 0;
}

size_t
draw_doc_frames(const struct draw_doc *doc)
{
    return doc != NULL ? doc->frames : 0;
}

int
draw_doc_write(struct draw_doc *doc, enum draw_format fmt, const char *path, struct sim_diag *d)
{
    if (fmt == DRAW_DOT) {
        FILE *fp = fopen(path, "w");
        if (fp == NULL)
            return sim_diag_fail(d, SIM_EIO, "draw: cannot write %s", path);
        int rc = agwrite(doc->g, fp);
        if (fclose(fp) != 0 || rc != 0)
            return sim_diag_fail(d, SIM_EIO, "draw: cannot write %s", path);
        return 0;
    }
    GVC_t *gvc = gvContext();
    if (gvc == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "draw: Graphviz context: out of memory");
    int rc = 0;
    if (gvLayout(gvc, doc->g, "dot") != 0) {
        rc = sim_diag_fail(d, SIM_ENOTSUP, "draw: Graphviz has no 'dot' layout engine "
                                           "(install the Debian package graphviz)");
        goto free_context;
    }
    const char *f = fmt == DRAW_SVG ? "svg" : "png";
    if (gvRenderFilename(gvc, doc->g, f, path) != 0)
        rc = sim_diag_fail(d, SIM_EIO, "draw: cannot render %s as %s", path, f);
    gvFreeLayout(gvc, doc->g);
free_context:
    gvFreeContext(gvc);
    return rc;
}

void
draw_doc_destroy(struct draw_doc *doc)
{
    if (doc == NULL)
        return;
    agclose(doc->g);
    sim_free(doc);
}
