/* SPDX-License-Identifier: MIT */
/*
 * wire.h — an in-test wire between two traffic endpoints: a sim_timer-based link with a fixed
 * latency (and optional serialization at a bit rate) and a programmable impairment injector
 * (loss / duplicate / reorder by frame index or by seeded probability, a blackout window, a
 * permanent cut, one silent drop). Every drop it makes is reported to the drop sink with a
 * cause, except the deliberate silent one. Preallocated slots: no allocation per frame.
 */
#ifndef SRIOVSIM_TEST_TRAFFIC_WIRE_H
#define SRIOVSIM_TEST_TRAFFIC_WIRE_H

#include "traffic/traffic.h"

#define WIRE_SLOTS     2048u
#define WIRE_FRAME_MAX 2048u

#define WIRE_DIR_AB 1u /* frames sent by end A (towards B) */
#define WIRE_DIR_BA 2u

struct wire;

struct wire_slot {
    struct sim_timer timer;
    struct wire *w;
    struct wire_slot *next_free;
    int dir;
    uint32_t len;
    uint8_t frame[WIRE_FRAME_MAX];
};

struct wire_port {
    struct wire *w;
    int side; /* 0: A, 1: B */
};

struct wire {
    struct sim_sched *sched;
    const struct sim_drop_sink *sink;
    struct traffic_endpoint *end[2];
    struct wire_port port[2];
    struct traffic_port_ops ops;
    sim_time_t latency;
    uint64_t rate_bps; /* 0: no serialization delay */
    sim_time_t busy_until[2];
    /* deterministic impairments, applied to directions in `mask` (frame index per direction) */
    unsigned mask;
    uint64_t loss_every, loss_offset;
    uint64_t dup_every, dup_offset;
    uint64_t reorder_every, reorder_offset;
    sim_time_t reorder_extra;
    enum sim_drop_cause loss_cause;
    /* probabilistic impairments (seeded) */
    double p_loss, p_dup, p_reorder;
    struct sim_prng prng;
    /* outages */
    sim_time_t blackout_from, blackout_to; /* [from, to): every frame dropped as link-down */
    sim_time_t cut_at;                     /* from then on: link down for good */
    int64_t silent_index;                  /* A->B frame index dropped without a report; -1 */
    /* optional tap: sees every frame offered to the wire */
    void (*tap)(void *ctx, int dir, const uint8_t *frame, uint32_t len);
    void *tap_ctx;
    /* counters */
    uint64_t offered[2], delivered[2], dropped[2], duplicated, reordered, silent;
    struct wire_slot *free_list;
    struct wire_slot *slots;
};

/* Create a wire joining a and b (connects both endpoints' ops to it). */
struct wire *wire_create(struct sim_sched *sched, const struct sim_drop_sink *sink,
                         struct traffic_endpoint *a, struct traffic_endpoint *b, sim_time_t latency,
                         uint64_t seed);
void wire_destroy(struct wire *w);

/* A small world: virtual scheduler, registry, endpoints "vm" (A) and "peer" (B), one wire. */
struct world {
    struct sim_sched *sched;
    struct traffic_registry *reg;
    struct traffic_endpoint *a;
    struct traffic_endpoint *b;
    struct wire *wire;
};
void world_init(struct world *w, uint64_t seed, sim_time_t latency);
void world_fini(struct world *w);
/* Run the scheduler until `until` (absolute virtual time). */
void world_run(struct world *w, sim_time_t until);

#endif
