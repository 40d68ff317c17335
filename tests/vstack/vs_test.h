/* SPDX-License-Identifier: MIT */
/* vs_test.h — fixture for the vstack tests: a world with host h1, PF h1.pf0 (TotalVFs 8, NumVFs
 * as asked), switch h1.sw0 on it, `nvms` VMs vm1.. on the switch and peer ext1 on the wire. */
#ifndef SRIOVSIM_TESTS_VS_TEST_H
#define SRIOVSIM_TESTS_VS_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"
#include "traffic/traffic.h"
#include "vstack/vstack.h"

#define D (&g_diag)
static struct sim_diag g_diag;

static inline void
ok_or_die(int rc, const char *what)
{
    cr_assert_eq(rc, 0, "%s -> %s: %s", what, sim_err_name(rc), g_diag.reason);
}

static inline struct vstack_world *
vs_world(uint64_t seed, unsigned num_vfs, unsigned nvms)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    wc.seed = seed;
    struct vstack_world *w = NULL;
    sim_diag_clear(D);
    ok_or_die(vstack_world_create(&wc, &w, D), "world");
    ok_or_die(vstack_host_add(w, "h1", D), "host");
    struct vstack_pf_config pc;
    vstack_pf_config_init(&pc);
    ok_or_die(vstack_pf_add(w, "h1.pf0", &pc, D), "pf");
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h1.pf0";
    ok_or_die(vstack_switch_add(w, "h1.sw0", &sc, D), "vswitch");
    for (unsigned i = 1; i <= nvms; i++) {
        char name[16];
        snprintf(name, sizeof name, "vm%u", i);
        struct vstack_vm_config vc;
        vstack_vm_config_init(&vc);
        vc.host = "h1";
        vc.sw = "h1.sw0";
        ok_or_die(vstack_vm_add(w, name, &vc, D), "vm");
    }
    struct vstack_peer_config pe;
    vstack_peer_config_init(&pe);
    pe.sw = "h1.sw0";
    ok_or_die(vstack_peer_add(w, "ext1", &pe, D), "peer");
    if (num_vfs)
        ok_or_die(vstack_sriov_set(w, "h1.pf0", num_vfs, D), "sriov");
    return w;
}

static inline void
vs_run(struct vstack_world *w, sim_time_t until)
{
    ok_or_die(vstack_run_until(w, until, D), "run");
}

static inline enum vstack_datapath
vs_dp(struct vstack_world *w, const char *vm)
{
    enum vstack_datapath dp;
    ok_or_die(vstack_vm_datapath(w, vm, &dp, D), "datapath");
    return dp;
}

static inline void
vs_flow(struct vstack_world *w, const char *name, const char *from, const char *to,
        enum vstack_proto proto, uint64_t rate)
{
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = from;
    fc.to = to;
    fc.proto = proto;
    fc.rate_bps = rate;
    ok_or_die(vstack_flow_start(w, name, &fc, D), "flow start");
}

static inline struct traffic_flow_stats
vs_stats(struct vstack_world *w, const char *name)
{
    struct traffic_flow_stats s;
    ok_or_die(vstack_flow_stats(w, name, &s, D), "flow stats");
    return s;
}

/* Index of the first event of kind (and subject, field key=value if given) since mark; -1. */
static inline long
vs_find_event(struct vstack_world *w, const struct vstack_mark *m, enum vstack_event_kind k,
              const char *subject, const char *key, const char *value)
{
    const struct vstack_event *ev[4096];
    size_t n = vstack_events_since(w, m, ev, 4096);
    for (size_t i = 0; i < n && i < 4096; i++) {
        if (ev[i]->kind != k)
            continue;
        if (subject && strcmp(ev[i]->subject, subject) != 0)
            continue;
        if (key) {
            const struct vstack_event_field *f = vstack_event_field(ev[i], key);
            if (f == NULL || strcmp(f->text, value) != 0)
                continue;
        }
        return (long)i;
    }
    return -1;
}

static inline void
vs_destroy(struct vstack_world *w)
{
    vstack_world_destroy(w);
    if (sim_alloc_live_total() != 0)
        sim_alloc_report(stderr);
    cr_assert_eq(sim_alloc_live_total(), 0, "live allocations after world destroy");
}

#endif
