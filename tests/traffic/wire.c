/* SPDX-License-Identifier: MIT */
/* wire.c — the in-test wire (see wire.h). */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "wire.h"

static void
wire_deliver(struct sim_timer *t)
{
    struct wire_slot *s = t->data;
    struct wire *w = s->w;
    w->delivered[s->dir]++;
    traffic_endpoint_rx(w->end[!s->dir], s->frame, s->len);
    s->next_free = w->free_list;
    w->free_list = s;
}

static bool
every(uint64_t i, uint64_t n, uint64_t off)
{
    return n != 0 && i % n == off;
}

static int
wire_xmit(void *ctx, const uint8_t *frame, uint32_t len, uint64_t packet_id)
{
    struct wire_port *p = ctx;
    struct wire *w = p->w;
    int dir = p->side;
    uint64_t i = w->offered[dir]++;
    sim_time_t now = sim_sched_now(w->sched);
    bool applies = (w->mask & (1u << dir)) != 0;
    if (w->tap != NULL)
        w->tap(w->tap_ctx, dir, frame, len);
    if (now >= w->cut_at || (now >= w->blackout_from && now < w->blackout_to)) {
        w->dropped[dir]++;
        sim_drop_report(w->sink, SIM_DROP_LINK_DOWN, "test wire", packet_id, frame, len);
        return 0;
    }
    if (dir == 0 && w->silent_index >= 0 && (uint64_t)w->silent_index == i) {
        w->silent++; /* the deliberate contract violation: no report */
        return 0;
    }
    if (len > WIRE_FRAME_MAX) {
        w->dropped[dir]++;
        sim_drop_report(w->sink, SIM_DROP_MTU, "test wire", packet_id, frame, len);
        return 0;
    }
    bool lose = applies && every(i, w->loss_every, w->loss_offset);
    bool dup = applies && every(i, w->dup_every, w->dup_offset);
    bool reorder = applies && every(i, w->reorder_every, w->reorder_offset);
    if (applies && w->p_loss > 0 && sim_prng_unit(&w->prng) < w->p_loss)
        lose = true;
    if (applies && w->p_dup > 0 && sim_prng_unit(&w->prng) < w->p_dup)
        dup = true;
    if (applies && w->p_reorder > 0 && sim_prng_unit(&w->prng) < w->p_reorder)
        reorder = true;
    if (lose) {
        w->dropped[dir]++;
        sim_drop_report(w->sink, w->loss_cause, "test wire", packet_id, frame, len);
        return 0;
    }
    sim_time_t delay = w->latency;
    if (w->rate_bps) {
        sim_time_t start = w->busy_until[dir] > now ? w->busy_until[dir] : now;
        w->busy_until[dir] = start + (sim_time_t)((uint64_t)len * 8u * 1000000000u / w->rate_bps);
        delay += w->busy_until[dir] - now;
    }
    if (reorder) {
        delay += w->reorder_extra;
        w->reordered++;
    }
    for (int c = 0; c < (dup ? 2 : 1); c++) {
        struct wire_slot *s = w->free_list;
        if (s == NULL) {
            w->dropped[dir]++;
            sim_drop_report(w->sink, SIM_DROP_POOL_EXHAUSTED, "test wire", packet_id, frame, len);
            continue;
        }
        w->free_list = s->next_free;
        s->dir = dir;
        s->len = len;
        memcpy(s->frame, frame, len);
        if (sim_timer_start(&s->timer, delay) != 0)
            abort();
        if (c == 1)
            w->duplicated++;
    }
    return 0;
}

struct wire *
wire_create(struct sim_sched *sched, const struct sim_drop_sink *sink, struct traffic_endpoint *a,
            struct traffic_endpoint *b, sim_time_t latency, uint64_t seed)
{
    struct wire *w = calloc(1, sizeof *w);
    w->slots = calloc(WIRE_SLOTS, sizeof *w->slots);
    if (w == NULL || w->slots == NULL)
        abort();
    w->sched = sched;
    w->sink = sink;
    w->end[0] = a;
    w->end[1] = b;
    w->latency = latency;
    w->mask = WIRE_DIR_AB;
    w->loss_cause = SIM_DROP_RING_FULL;
    w->blackout_from = w->blackout_to = -1;
    w->cut_at = SIM_TIME_NEVER;
    w->silent_index = -1;
    sim_prng_init(&w->prng, seed);
    w->ops.xmit = wire_xmit;
    for (int i = 0; i < 2; i++) {
        w->port[i].w = w;
        w->port[i].side = i;
    }
    for (unsigned i = 0; i < WIRE_SLOTS; i++) {
        struct wire_slot *s = &w->slots[i];
        s->w = w;
        sim_timer_init(sched, &s->timer, wire_deliver, s);
        s->next_free = w->free_list;
        w->free_list = s;
    }
    traffic_endpoint_connect(a, &w->ops, &w->port[0]);
    traffic_endpoint_connect(b, &w->ops, &w->port[1]);
    return w;
}

void
wire_destroy(struct wire *w)
{
    if (w == NULL)
        return;
    for (unsigned i = 0; i < WIRE_SLOTS; i++)
        sim_timer_stop(&w->slots[i].timer);
    traffic_endpoint_connect(w->end[0], NULL, NULL);
    traffic_endpoint_connect(w->end[1], NULL, NULL);
    free(w->slots);
    free(w);
}

void
world_init(struct world *w, uint64_t seed, sim_time_t latency)
{
    memset(w, 0, sizeof *w);
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &w->sched), 0);
    struct traffic_registry_config rc = {.sched = w->sched, .seed = seed};
    struct sim_diag d;
    cr_assert_eq(traffic_registry_create(&rc, &w->reg, &d), 0, "%s", d.reason);
    struct traffic_endpoint_config a = {
        .name = "vm", .mac = {0x02, 0, 0, 0, 0, 0x01}, .ipv4 = 0x0a000001};
    struct traffic_endpoint_config b = {
        .name = "peer", .mac = {0x02, 0, 0, 0, 0, 0x02}, .ipv4 = 0x0a000002};
    cr_assert_eq(traffic_endpoint_create(w->reg, &a, &w->a, &d), 0, "%s", d.reason);
    cr_assert_eq(traffic_endpoint_create(w->reg, &b, &w->b, &d), 0, "%s", d.reason);
    w->wire = wire_create(w->sched, traffic_registry_drop_sink(w->reg), w->a, w->b, latency, seed);
}

void
world_fini(struct world *w)
{
    wire_destroy(w->wire);
    traffic_registry_destroy(w->reg);
    sim_sched_destroy(w->sched);
    cr_expect_eq(sim_alloc_live_total(), 0, "allocations left after teardown");
}

void
world_run(struct world *w, sim_time_t until)
{
    cr_assert_geq(sim_sched_run(w->sched, until), 0);
}
