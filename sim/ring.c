/* SPDX-License-Identifier: MIT */
/*
 * ring.c — lifecycle of the lock-free SPSC descriptor ring (the hot path is inline in ring.h).
 * Windows counterpart: allocating a NIC queue's descriptor ring or a VMBus channel's ring
 * buffer at queue / channel creation time; nothing is allocated afterwards.
 */
#include <assert.h>
#include <string.h>

#include "sim/sim.h"

SIM_ALLOC_TAG_DEFINE(sim_ring);

_Static_assert(sizeof(struct sim_ring) % SIM_RING_CACHE_LINE == 0,
               "slots must start on their own cache line");
_Static_assert(offsetof(struct sim_ring, prod) - offsetof(struct sim_ring, size) >=
                   SIM_RING_CACHE_LINE,
               "read-only fields and the producer index share no line");
_Static_assert(offsetof(struct sim_ring, cons) - offsetof(struct sim_ring, prod_priv) >=
                   SIM_RING_CACHE_LINE,
               "producer and consumer state share no line");

void
sim_ring__copy_large(uint64_t *restrict dst, const uint64_t *restrict src, uint32_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(*dst));
}

static bool
count_is_valid(unsigned count)
{
    return count >= 2 && count <= SIM_RING_COUNT_MAX && (count & (count - 1)) == 0;
}

int
sim_ring_memsize(unsigned count, size_t *size_out)
{
    if (!count_is_valid(count) || size_out == NULL)
        return SIM_EINVAL;
    *size_out = sizeof(struct sim_ring) + (size_t)count * sizeof(uint64_t);
    return 0;
}

void
sim_ring__set_start_index(struct sim_ring *r, uint32_t start)
{
    r->prod_priv.head = start;
    r->prod_priv.cons_tail = start;
    r->cons_priv.tail = start;
    r->cons_priv.prod_head = start;
    /* Relaxed: the ring is idle by contract; whoever hands it to the producer and consumer
     * threads afterwards (thread creation, a mutex, a release store) provides the ordering. */
    atomic_store_explicit(&r->prod.head, start, memory_order_relaxed);
    /* Relaxed: same reason as above. */
    atomic_store_explicit(&r->cons.tail, start, memory_order_relaxed);
}

int
sim_ring_init(struct sim_ring *r, unsigned count)
{
    if (r == NULL || ((uintptr_t)r % SIM_RING_CACHE_LINE) != 0 || !count_is_valid(count))
        return SIM_EINVAL;
    /* Clear the header only; the slots hold no meaning until a descriptor is enqueued. */
    memset(r, 0, sizeof(*r));
    r->size = count;
    r->mask = count - 1;
    r->prod_priv.size = count;
    r->prod_priv.mask = count - 1;
    r->cons_priv.size = count;
    r->cons_priv.mask = count - 1;
    r->alloc_base = NULL;
    sim_ring__set_start_index(r, 0);
    r->magic = SIM_RING__MAGIC;
    return 0;
}

void
sim_ring_fini(struct sim_ring *r)
{
    if (r == NULL)
        return;
    assert(r->magic == SIM_RING__MAGIC && "sim_ring_fini: not an initialised ring");
    r->magic = 0;
}

int
sim_ring_create(unsigned count, struct sim_ring **out)
{
    size_t bytes;
    if (out == NULL || sim_ring_memsize(count, &bytes) != 0)
        return SIM_EINVAL;
    /* sim_alloc guarantees 16-byte alignment; over-allocate to place the ring on a line. */
    void *base = sim_alloc(SIM_TAG(sim_ring), bytes + SIM_RING_CACHE_LINE - 1);
    if (base == NULL)
        return SIM_ENOMEM;
    uintptr_t aligned =
        ((uintptr_t)base + SIM_RING_CACHE_LINE - 1) & ~(uintptr_t)(SIM_RING_CACHE_LINE - 1);
    struct sim_ring *r = (struct sim_ring *)aligned;
    int rc = sim_ring_init(r, count);
    if (rc != 0) { /* cannot happen: count and alignment were checked above */
        sim_free(base);
        return SIM_EINTERNAL;
    }
    r->alloc_base = base;
    *out = r;
    return 0;
}

void
sim_ring_destroy(struct sim_ring *r)
{
    if (r == NULL)
        return;
    void *base = r->alloc_base;
    sim_ring_fini(r);
    sim_free(base);
}
