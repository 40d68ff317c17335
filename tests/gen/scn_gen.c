/* SPDX-License-Identifier: MIT */
/* scn_gen.c — the random valid scenario generator (see scn_gen.h). Deterministic: the same seed
 * writes the same text on every platform (sim_prng). */
#include "scn_gen.h"

#include <stdbool.h>
#include <string.h>

#define MAX_VMS   4
#define MAX_FLOWS 4

struct gen {
    struct sim_prng r;
    FILE *out;
    unsigned hosts;
    unsigned total_vfs[2], num_vfs[2];
    unsigned vms;
    unsigned vm_host[MAX_VMS];
    unsigned flows;
    bool flow_on[MAX_FLOWS];
};

static unsigned
below(struct gen *g, unsigned n)
{
    return (unsigned)sim_prng_below(&g->r, n);
}

static bool
chance(struct gen *g, unsigned percent)
{
    return below(g, 100) < percent;
}

static void
ms(char *buf, size_t len, uint64_t v)
{
    snprintf(buf, len, "%llums", (unsigned long long)v);
}

static const char *const oids[] = {
    "OID_NIC_SWITCH_ALLOCATE_VF",     "OID_NIC_SWITCH_CREATE_VPORT", "OID_NIC_SWITCH_DELETE_VPORT",
    "OID_RECEIVE_FILTER_MOVE_FILTER", "OID_SRIOV_RESET_VF",          "OID_NIC_SWITCH_FREE_VF",
    "OID_RECEIVE_FILTER_SET_FILTER",  "OID_RECEIVE_FILTER_CLEAR_FILTER",
};
static const char *const statuses[] = {
    "NDIS_STATUS_FAILURE",           "NDIS_STATUS_RESOURCES",     "NDIS_STATUS_INVALID_PARAMETER",
    "NDIS_STATUS_NOT_SUPPORTED",     "NDIS_STATUS_DEVICE_FAILED", "NDIS_STATUS_ADAPTER_REMOVED",
};

static void
vf_name(struct gen *g, char *buf, size_t len)
{
    unsigned h = below(g, g->hosts);
    snprintf(buf, len, "h%u.pf0.vf%u", h + 1, below(g, g->total_vfs[h]));
}

static void
setup(struct gen *g)
{
    FILE *o = g->out;
    g->hosts = 1 + (chance(g, 50) ? 1 : 0);
    for (unsigned h = 0; h < g->hosts; h++) {
        static const unsigned tv[] = {2, 4, 8};
        g->total_vfs[h] = tv[below(g, 3)];
        g->num_vfs[h] = 1 + below(g, g->total_vfs[h]);
        fprintf(o, "host    h%u\n", h + 1);
        fprintf(o, "pf      h%u.pf0 total_vfs=%u\n", h + 1, g->total_vfs[h]);
        fprintf(o, "vswitch h%u.sw0 uplink=h%u.pf0\n", h + 1, h + 1);
    }
    if (g->hosts == 2)
        fprintf(o, "link    h1.sw0 h2.sw0 latency=%uus\n", 10 + below(g, 100));
    for (unsigned h = 0; h < g->hosts; h++)
        fprintf(o, "sriov   h%u.pf0 num_vfs=%u\n", h + 1, g->num_vfs[h]);
    if (chance(g, 30)) {
        char a[32], b[32];
        ms(a, sizeof a, 1 + below(g, 200));
        ms(b, sizeof b, 1 + below(g, 300));
        fprintf(o, "set cost.vf_offer_delay=%s cost.graceful_removal_timeout=%s\n", a, b);
    }
    g->vms = 1 + below(g, MAX_VMS);
    for (unsigned v = 0; v < g->vms; v++) {
        g->vm_host[v] = below(g, g->hosts);
        const char *vf = chance(g, 50) ? " vf=auto" : "";
        const char *vmq = chance(g, 20) ? " vmq=true" : "";
        fprintf(o, "vm      vm%u on=h%u switch=h%u.sw0 mac=00:15:5d:00:00:%02x ip=10.0.0.%u%s%s\n",
                v + 1, g->vm_host[v] + 1, g->vm_host[v] + 1, v + 1, v + 1, vf, vmq);
    }
    for (unsigned h = 0; h < g->hosts; h++)
        fprintf(o, "peer    ext%u on=h%u.sw0 ip=10.0.0.%u\n", h + 1, h + 1, 100 + h);
}

/* An endpoint name: a VM or a peer. */
static void
endpoint(struct gen *g, char *buf, size_t len)
{
    if (chance(g, 60))
        snprintf(buf, len, "vm%u", 1 + below(g, g->vms));
    else
        snprintf(buf, len, "ext%u", 1 + below(g, g->hosts));
}

static void
flow_start(struct gen *g, uint64_t t)
{
    if (g->flows == MAX_FLOWS)
        return;
    char from[16], to[16];
    endpoint(g, from, sizeof from);
    do
        endpoint(g, to, sizeof to);
    while (strcmp(from, to) == 0);
    unsigned f = g->flows++;
    g->flow_on[f] = true;
    bool tcp = chance(g, 50);
    fprintf(g->out, "%llums flow start f%u from=%s to=%s proto=%s rate=%uMbps size=%u\n",
            (unsigned long long)t, f + 1, from, to, tcp ? "tcp" : "udp", 1 + below(g, 40),
            64 + below(g, 1400));
}

static void
action(struct gen *g, uint64_t t)
{
    FILE *o = g->out;
    char buf[64], d1[32], d2[32];
    unsigned vm = 1 + below(g, g->vms);
    unsigned h = 1 + below(g, g->hosts);
    fprintf(o, "%llums ", (unsigned long long)t);
    switch (below(g, 20)) {
    case 0:
    case 1:
        if (chance(g, 50)) {
            fprintf(o, "attach-vf vm%u\n", vm);
        } else {
            vf_name(g, buf, sizeof buf);
            fprintf(o, "attach-vf vm%u vf=%s\n", vm, buf);
        }
        break;
    case 2:
    case 3:
        fprintf(o, "detach-vf vm%u mode=%s\n", vm, chance(g, 60) ? "graceful" : "surprise");
        break;
    case 4:
        vf_name(g, buf, sizeof buf);
        fprintf(o, "fault surprise-remove %s\n", buf);
        break;
    case 5:
        vf_name(g, buf, sizeof buf);
        if (chance(g, 50)) {
            ms(d1, sizeof d1, 50 + below(g, 400));
            fprintf(o, "fault flr-timeout %s delay=%s\n", buf, d1);
        } else {
            fprintf(o, "fault flr-timeout %s\n", buf);
        }
        break;
    case 6:
        vf_name(g, buf, sizeof buf);
        fprintf(o, "fault iommu %s dir=%s count=%u\n", buf, chance(g, 50) ? "read" : "write",
                1 + below(g, 4));
        break;
    case 7:
        fprintf(o, "fault link-down h%u.pf0\n", h);
        break;
    case 8:
        fprintf(o, "fault link-up h%u.pf0\n", h);
        break;
    case 9:
        fprintf(o, "fault oid %s status=%s on=h%u.pf0 count=%u\n",
                oids[below(g, SIM_ARRAY_SIZE(oids))], statuses[below(g, SIM_ARRAY_SIZE(statuses))],
                h, 1 + below(g, 3));
        break;
    case 10:
        vf_name(g, buf, sizeof buf);
        fprintf(o, "fault mailbox-refuse %s request=%s silent=%s\n", buf,
                chance(g, 50) ? "any" : "mac", chance(g, 50) ? "true" : "false");
        break;
    case 11:
        fprintf(o, "fault clear\n");
        break;
    case 12:
        fprintf(o, "vf-mac vm%u mac=02:15:5d:aa:00:%02x\n", vm, below(g, 256));
        break;
    case 13:
        fprintf(o, "policy vm%u mac-change=%s\n", vm,
                (const char *[]){"apply", "refuse", "refuse-silent"}[below(g, 3)]);
        break;
    case 14:
        ms(d1, sizeof d1, 100 + below(g, 1500));
        fprintf(o, "servicing h%u duration=%s\n", h, d1);
        break;
    case 15:
    case 16:
        if (g->hosts == 2) {
            unsigned to = 1 - g->vm_host[vm - 1];
            g->vm_host[vm - 1] = to;
            ms(d1, sizeof d1, below(g, 1000));
            ms(d2, sizeof d2, below(g, 300));
            fprintf(o, "migrate vm%u to=h%u precopy=%s blackout=%s\n", vm, to + 1, d1, d2);
        } else {
            fprintf(o, "detach-vf vm%u mode=graceful\n", vm);
        }
        break;
    case 17:
        for (unsigned f = 0; f < g->flows; f++)
            if (g->flow_on[f]) {
                g->flow_on[f] = false;
                fprintf(o, "flow stop f%u\n", f + 1);
                return;
            }
        fprintf(o, "mark \"nothing to stop\"\n");
        break;
    default:
        fprintf(o, "mark \"step\"\n");
        break;
    }
}

sim_time_t
scn_gen_write(FILE *out, uint64_t seed)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    sim_prng_init(&g.r, seed);
    g.out = out;
    fprintf(out, "# generated by tests/gen (seed %llu)\n", (unsigned long long)seed);
    setup(&g);
    unsigned nflows = 1 + below(&g, 3);
    for (unsigned i = 0; i < nflows; i++)
        flow_start(&g, 0);
    uint64_t t = 0;
    unsigned steps = 2 + below(&g, 12);
    for (unsigned i = 0; i < steps; i++) {
        t += chance(&g, 20) ? 0 : 1 + below(&g, 700);
        if (chance(&g, 10))
            flow_start(&g, t);
        else
            action(&g, t);
    }
    t += below(&g, 2500);
    fprintf(out, "%llums end\n", (unsigned long long)t);
    return SIM_MSEC(t);
}
