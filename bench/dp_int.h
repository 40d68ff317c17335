/* SPDX-License-Identifier: MIT */
/* dp_int.h — private to `sriovsim bench datapath`: the world it builds (dp_world.c), the roles
 * that run it (datapath_run.c) and the report (datapath.c). */
#ifndef SRIOVSIM_BENCH_DP_INT_H
#define SRIOVSIM_BENCH_DP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hv/hv.h"
#include "miniport_pf/miniport_pf.h"
#include "miniport_vf/miniport_vf.h"
#include "ndis_shim/ndis_shim.h"
#include "netvsc/netvsc.h"
#include "netvsp/netvsp.h"
#include "nic/nic.h"
#include "pcie/pcie.h"
#include "sim/sim.h"

SIM_ALLOC_TAG_DECLARE(bench);

/* Descriptor ring slots of the VF's and the PF's queue pair. */
#define DP_RING_SLOTS 256u
/* The application's NBLs (= frames it may have in flight). Not more than the VF's TX ring, so
 * the VF miniport never refuses a send for want of a slot (that would be a ring-full drop). */
#define DP_APP_NBLS 256u
#define DP_APP_SLOT ((NETVSC_VF_BACKFILL + NETVSC_FRAME_MAX + 63u) & ~63u)
/* Payload layout the application writes into each frame (after the 14-byte header). */
#define DP_MARK_OFF      14u /* 1 byte: DP_MARK_SAMPLED when the frame carries a timestamp */
#define DP_TS_OFF        16u /* 8 bytes: send time (CLOCK_MONOTONIC ns) of a sampled frame */
#define DP_MARK_SAMPLED  0x5au
#define DP_SAMPLE_EVERY  64u /* one frame in 64 carries a timestamp */
#define DP_BUDGET        64u /* descriptors / messages per poll call */

/* Largest frame the synthetic path carries to the wire in the model: the PF miniport's default
 * VPort TX buffers are 2 KiB with a 16-byte header (no jumbo frames on the PF). Larger sizes are
 * reported "not supported" for the synthetic path instead of being measured as drops. */
#define DP_SYN_FRAME_MAX 2032u

enum dp_path { DP_PATH_SYNTHETIC = 0, DP_PATH_VF = 1 };
enum dp_role { DP_ROLE_GUEST = 0, DP_ROLE_HOST = 1, DP_ROLE_DEVICE = 2, DP_ROLES = 3 };

struct dp_world_config {
    uint32_t lat_cap; /* latency samples kept per run */
};

/* What the wire saw (device thread writes; others read `frames` with acquire). */
struct dp_wire {
    _Atomic uint64_t frames;
    uint64_t bytes;
    uint64_t next_id, bad; /* in-order check of packet ids */
    uint64_t *lat;         /* one-way latency samples (ns) */
    uint32_t nlat, lat_cap;
};

/* The guest's application (guest thread). */
struct dp_app {
    struct ndis_nbl_pool *pool;
    uint64_t gpa;
    uint8_t *buf;
    uint32_t len;      /* frame length of this run */
    uint64_t to_send;  /* frames this run */
    uint64_t sent;     /* handed to NetVSC */
    uint64_t next_id;  /* packet id of the next frame */
    uint64_t outstanding, completed, failed;
    unsigned burst;
};

struct dp_world {
    struct dp_world_config cfg;
    bool built;
    struct sim_drop_sink sink;
    _Atomic uint64_t drops[SIM_DROP_CAUSE_COUNT];
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    struct nic *nic;
    struct pf_adapter *pf;
    struct ndis_miniport *pf_mp;
    struct hv_partition *root, *guest;
    struct netvsp_switch *sw;
    struct netvsp_port *port;
    struct netvsc_adapter *ad;
    struct hv_vpci_dev *vpci;
    bool vf_arrived;
    struct vf_adapter *vf;
    struct ndis_miniport *vf_mp;
    struct ndis_binding *vf_b;
    uint16_t vf_id;
    uint32_t rid, vport, filter;
    struct ndis_oid_request req;
    int oid_done;
    ndis_status_t oid_status;
    uint32_t lat_cap;
    struct dp_app app;
    struct dp_wire wire;
};

int bench__dp_world_create(struct dp_world *w, const struct dp_world_config *cfg,
                           struct sim_diag *d);
/* Offer the VF, start its miniport, bind NetVSC, associate, switch the data path to the VF. */
int bench__dp_world_vf_up(struct dp_world *w, struct sim_diag *d);
/* Let the control plane and every poll loop run a little (between runs, loop thread). */
void bench__dp_world_drain(struct dp_world *w);
void bench__dp_world_destroy(struct dp_world *w);

/* One measured run. */
struct dp_run_config {
    enum dp_path path;
    uint32_t frame_len;
    uint64_t count;
    unsigned burst;
    unsigned threads; /* 1: all roles on one thread; 2: guest | host+device; 3: one each */
    int cpus[3];      /* CPU per thread (-1: not pinned) */
    double timeout_s; /* give up after this long without progress */
};

struct dp_role_figures {
    uint64_t busy_ns; /* time inside polls of this role that did work */
    uint64_t calls, busy_calls;
};

struct dp_run_result {
    bool ok;
    char error[160];
    double wall_s;
    uint64_t frames, bytes; /* on the wire */
    struct dp_role_figures role[DP_ROLES];
    uint64_t thread_cpu_ns[3]; /* per-thread CPU clock over the run */
    unsigned threads;
    uint64_t drops[SIM_DROP_CAUSE_COUNT];
    uint64_t drops_total;
    /* software copies (counters of the components themselves, deltas over the run) */
    uint64_t guest_copies, guest_stage_copies, host_copies, host_uplink_copies;
    uint64_t host_pf_copies; /* the PF miniport copies each frame it posts into its TX buffer */
    uint64_t idle_yields;    /* sched_yield calls of threads that found no work (2+ threads) */
    uint64_t sim_allocs;  /* sim_alloc calls during the measured interval */
    uint64_t vol_ctxsw;   /* voluntary context switches of the bench threads (blocking calls) */
    uint64_t lat_p50, lat_p99, lat_p999, lat_samples;
    uint64_t vf_tx, syn_tx; /* NetVSC's per-path TX counters (deltas) */
};

int bench__dp_run(struct dp_world *w, const struct dp_run_config *rc, struct dp_run_result *out);
/* Ask a running measurement to stop (Ctrl-C); async-signal-safe. */
void bench__dp_stop(void);
bool bench__dp_stopped(void);

static inline uint64_t
dp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* SRIOVSIM_BENCH_DP_INT_H */
