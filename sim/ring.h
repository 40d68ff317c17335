/* SPDX-License-Identifier: MIT */
/*
 * ring.h — the lock-free single-producer / single-consumer descriptor ring: the fast path of
 * both simulated data paths and the only channel through which threads exchange work.
 *
 * Windows counterpart: the hardware TX/RX descriptor rings a VF miniport shares with its NIC
 * (the VF data path) and the VMBus channel ring buffers between NetVSC and NetVSP (the synthetic
 * path). Like those, a sim_ring is a fixed array of slots with a producer index and a consumer
 * index, one writer each, and no lock. Each slot holds one 8-byte descriptor (uint64_t); what
 * it means (a GPA+length, a pool index, a pointer) is the caller's business.
 *
 * Concurrency contract, encoded in the names (DPDK rte_ring vocabulary):
 *   sp_  = single producer: exactly one thread at a time calls the enqueue functions;
 *   sc_  = single consumer: exactly one thread at a time calls the dequeue functions;
 *   bulk = all-or-nothing (n or 0 descriptors), burst = as many as fit (0..n).
 * The producer and the consumer may be different threads running at the same time. Nothing
 * here blocks, allocates, makes a system call or takes a lock; a full or empty ring is reported
 * by the return value and the caller decides whether to poll again or to wait for a wake-up.
 *
 * ---------------------------------------------------------------------------------------------
 * Memory-ordering design (the model is DPDK's rte_ring_c11_pvt.h, reduced to one writer per
 * index, plus the cached opposite index of Lamport/FastForward-style SPSC queues):
 *
 *  - Two free-running 32-bit indices: prod.head counts descriptors ever enqueued, cons.tail
 *    counts descriptors ever dequeued. They wrap modulo 2^32; the number of descriptors in the
 *    ring is always (prod.head - cons.tail) computed in uint32_t arithmetic, and a slot is
 *    (index & mask) (no modulo; size is a power of two <= 2^31, so the difference never
 *    overflows). Because the indices never reset, all `size` slots are usable (unlike DPDK,
 *    whose capacity is size - 1).
 *
 *  - The producer writes the slots, then publishes them with ONE store-release of prod.head per
 *    burst. The consumer reads prod.head with a load-acquire; that acquire synchronises with the
 *    release, so every slot write made before the release is visible to the consumer after it
 *    (the classic message-passing pair: [P1] release  <->  [C1] acquire).
 *
 *  - Symmetrically the consumer reads the slots, then frees them with ONE store-release of
 *    cons.tail per burst, and the producer reads cons.tail with a load-acquire before reusing
 *    slots ([C2] release  <->  [P2] acquire). This pair orders the consumer's slot READS before
 *    the producer's later slot WRITES (no write-after-read race on a recycled slot).
 *
 *  - Each side keeps a private cached copy of the other side's index (prod_priv.cons_tail,
 *    cons_priv.prod_head). The cached value is always <= the real one (indices only grow), so
 *    the free space / the available count it implies is a safe under-estimate. The shared
 *    index is re-read (the acquires P2 and C1 above) only when the cached value says there is
 *    not enough room / not enough descriptors for the request (for one descriptor: exactly when
 *    it says full / empty). In steady state a burst therefore touches the other side's index
 *    line not at all, and its own shared line once (the publish).
 *
 *  - Each side also keeps its own index in a private line (prod_priv.head, cons_priv.tail), so
 *    it never has to read back the shared line the other core keeps pulling.
 *
 *  - Cache-line layout (every group alignas(SIM_RING_CACHE_LINE)): read-only configuration;
 *    prod (shared, written by the producer, read by the consumer); prod_priv (producer only);
 *    cons (shared, written by the consumer, read by the producer); cons_priv (consumer only);
 *    then the slots. No line is written by both threads, so there is no false sharing.
 *
 *  - Copies are inline loops (no call for bursts below SIM_RING__MEMCPY_MIN descriptors) and
 *    slot positions use the mask, never a modulo.
 *
 *  - On x86-64 every acquire load / release store here compiles to a plain MOV (TSO); the
 *    orders still matter because they stop the compiler from moving slot accesses across the
 *    index accesses, and they are required on weakly ordered CPUs (Arm, POWER).
 *
 * Lifecycle: sim_ring_create/destroy (library memory, tag `sim_ring`), or sim_ring_memsize +
 * sim_ring_init/fini on caller memory (e.g. a simulated shared-memory region). Both sides must
 * stop using the ring before it is destroyed or finalised.
 * ---------------------------------------------------------------------------------------------
 */
#ifndef SRIOVSIM_SIM_RING_H
#define SRIOVSIM_SIM_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* Cache-line size the layout is built for (x86-64 and most Arm cores). */
#define SIM_RING_CACHE_LINE 64
/* Largest number of slots a ring may have: indices are 32-bit and free-running, so the fill
 * level (head - tail) must stay below 2^31 to be unambiguous. */
#define SIM_RING_COUNT_MAX (UINT32_C(1) << 31)

/* The allocation tag of sim_ring_create(), for leak checks: sim_alloc_live(SIM_TAG(sim_ring)). */
SIM_ALLOC_TAG_DECLARE(sim_ring);

/*
 * A ring. The layout is public only so that the hot functions can be inline; treat every field
 * as private and use the functions below.
 *
 * Invariants (with H = prod.head, T = cons.tail, both uint32_t, arithmetic modulo 2^32):
 *   - size is a power of two in [2, SIM_RING_COUNT_MAX]; mask == size - 1;
 *   - 0 <= H - T <= size at every instant; slots [T, H) (each & mask) hold live descriptors;
 *   - prod_priv.head == H and cons_priv.tail == T whenever the owning side is between calls;
 *   - prod_priv.cons_tail <= T and cons_priv.prod_head <= H (cached copies lag, never lead);
 *   - only the producer writes prod and prod_priv, only the consumer writes cons and cons_priv.
 */
struct sim_ring {
    /* Read-only after init. */
    alignas(SIM_RING_CACHE_LINE) uint32_t size; /* number of slots (== capacity) */
    uint32_t mask;                              /* size - 1 */
    uint32_t magic;   /* SIM_RING__MAGIC while initialised (debug builds assert it at teardown) */
    void *alloc_base; /* block to sim_free() for sim_ring_create rings; NULL on caller memory */

    /* Shared producer index: written (release) by the producer, read (acquire) by the consumer
     * and by the observers sim_ring_count & co. */
    alignas(SIM_RING_CACHE_LINE) struct {
        _Atomic uint32_t head;
    } prod;

    /* Producer-private: touched only by the producer thread. */
    alignas(SIM_RING_CACHE_LINE) struct {
        uint32_t head;      /* the producer's own copy of prod.head */
        uint32_t cons_tail; /* cached cons.tail (may lag) */
        uint32_t size;      /* copies of the read-only fields, kept on this line so the hot */
        uint32_t mask;      /* path touches only its own lines */
    } prod_priv;

    /* Shared consumer index: written (release) by the consumer, read (acquire) by the producer
     * and by the observers. */
    alignas(SIM_RING_CACHE_LINE) struct {
        _Atomic uint32_t tail;
    } cons;

    /* Consumer-private: touched only by the consumer thread. */
    alignas(SIM_RING_CACHE_LINE) struct {
        uint32_t tail;      /* the consumer's own copy of cons.tail */
        uint32_t prod_head; /* cached prod.head (may lag) */
        uint32_t size;
        uint32_t mask;
    } cons_priv;

    /* The slots, starting on their own cache line (sizeof(struct sim_ring) is a multiple of
     * SIM_RING_CACHE_LINE, and offsetof(slots) == sizeof). */
    alignas(SIM_RING_CACHE_LINE) uint64_t slots[];
};

#define SIM_RING__MAGIC UINT32_C(0x52494e47) /* "RING" */

/* ---------------------------------------------------------------------------------------------
 * Lifecycle (control path; any thread, but not concurrently with use of the same ring).
 * ------------------------------------------------------------------------------------------- */

/*
 * sim_ring_create — allocate and initialise an empty ring of `count` slots (tag `sim_ring`).
 *   count: number of slots, a power of two in [2, SIM_RING_COUNT_MAX]; all of them are usable.
 *   out:   receives the ring on success; untouched on failure.
 * Returns 0, SIM_EINVAL (count not a power of two, out of range, or out NULL) or SIM_ENOMEM.
 */
int sim_ring_create(unsigned count, struct sim_ring **out);

/*
 * sim_ring_destroy — free a ring made by sim_ring_create. Descriptors still inside are dropped
 * (they are plain values; the caller owns whatever they refer to). NULL is ignored. Both the
 * producer and the consumer must have stopped using the ring.
 */
void sim_ring_destroy(struct sim_ring *r);

/*
 * sim_ring_memsize — bytes of caller memory a ring of `count` slots needs (header + slots).
 *   count: as for sim_ring_create.
 *   size_out: receives the size.
 * Returns 0 or SIM_EINVAL (bad count, NULL size_out).
 */
int sim_ring_memsize(unsigned count, size_t *size_out);

/*
 * sim_ring_init — initialise an empty ring in caller memory (e.g. a shared-memory region).
 *   r:     at least sim_ring_memsize(count) bytes, aligned to SIM_RING_CACHE_LINE.
 *   count: as for sim_ring_create.
 * Returns 0, or SIM_EINVAL (r NULL or misaligned, bad count). The caller keeps ownership of the
 * memory; pair with sim_ring_fini.
 */
int sim_ring_init(struct sim_ring *r, unsigned count);

/*
 * sim_ring_fini — end the life of a ring made by sim_ring_init (the memory stays the caller's).
 * Descriptors still inside are dropped. NULL is ignored.
 */
void sim_ring_fini(struct sim_ring *r);

/*
 * sim_ring__set_start_index — TEST ONLY: reset an idle, empty-or-not ring to empty with both
 * indices at `start` (e.g. UINT32_MAX - 3) so that tests can drive the index wrap-around at
 * 2^32 without cycling four billion descriptors. Neither side may be using the ring.
 */
void sim_ring__set_start_index(struct sim_ring *r, uint32_t start);

/* ---------------------------------------------------------------------------------------------
 * Hot path (inline). Internal helpers first; the public wrappers follow.
 * ------------------------------------------------------------------------------------------- */

/* Bursts of at least this many descriptors are copied with memcpy(): from about 512 bytes on,
 * the C library's copy (which picks AVX2/AVX-512 at run time) beats the baseline-ISA loop below
 * (1.5x and more per descriptor at burst 256 on the reference machine of bench/README.md), and
 * its call overhead no longer shows. */
#define SIM_RING__MEMCPY_MIN 64

/* memcpy() of n descriptors, out of line (ring.c): keeping the call out of the inline code also
 * keeps the compiler's object-size checks from misfiring on callers' small burst arrays. */
void sim_ring__copy_large(uint64_t *restrict dst, const uint64_t *restrict src, uint32_t n);

/* Copy n descriptors. Small bursts: four per iteration (the compiler turns each group into two
 * 16-byte vector moves without any -march flag) and the remainder without a loop, so the
 * compiler neither emits a memcpy call (whose overhead dominates bursts of a few descriptors)
 * nor leaves a slow scalar tail. */
static inline void
sim_ring__copy(uint64_t *restrict dst, const uint64_t *restrict src, uint32_t n)
{
    if (n >= SIM_RING__MEMCPY_MIN) {
        sim_ring__copy_large(dst, src, n);
        return;
    }
    size_t i = 0;
    for (; i + 4 <= (size_t)n; i += 4) {
        dst[i] = src[i];
        dst[i + 1] = src[i + 1];
        dst[i + 2] = src[i + 2];
        dst[i + 3] = src[i + 3];
    }
    if (n & 2) {
        dst[i] = src[i];
        dst[i + 1] = src[i + 1];
        i += 2;
    }
    if (n & 1)
        dst[i] = src[i];
}

/* Copy n descriptors from src into the slots starting at index idx (already masked), wrapping
 * once at the end of the slot array. */
static inline void
sim_ring__copy_in(uint64_t *slots, uint32_t size, uint32_t idx, const uint64_t *src, uint32_t n)
{
    uint32_t first = size - idx;
    if (SIM_LIKELY(n <= first)) {
        sim_ring__copy(slots + idx, src, n);
    } else {
        sim_ring__copy(slots + idx, src, first);
        sim_ring__copy(slots, src + first, n - first);
    }
}

/* Copy n descriptors out of the slots starting at index idx (already masked) into dst. */
static inline void
sim_ring__copy_out(const uint64_t *slots, uint32_t size, uint32_t idx, uint64_t *dst, uint32_t n)
{
    uint32_t first = size - idx;
    if (SIM_LIKELY(n <= first)) {
        sim_ring__copy(dst, slots + idx, n);
    } else {
        sim_ring__copy(dst, slots + idx, first);
        sim_ring__copy(dst + first, slots, n - first);
    }
}

/* Producer side of bulk and burst. all_or_nothing is a compile-time constant at every call. */
static inline unsigned
sim_ring__sp_enqueue(struct sim_ring *r, const uint64_t *restrict objs, unsigned n,
                     bool all_or_nothing)
{
    const uint32_t head = r->prod_priv.head;
    const uint32_t size = r->prod_priv.size;
    uint32_t free_slots = size - (head - r->prod_priv.cons_tail);

    if (SIM_UNLIKELY(n > free_slots)) {
        /* [P2] acquire; partner: the release store of cons.tail [C2] in sim_ring__sc_dequeue.
         * Everything the consumer did before freeing these slots (its reads of them) happens
         * before our overwrites below. Only reached when the cached copy says "not enough". */
        r->prod_priv.cons_tail = atomic_load_explicit(&r->cons.tail, memory_order_acquire);
        free_slots = size - (head - r->prod_priv.cons_tail);
        if (n > free_slots) {
            if (all_or_nothing || free_slots == 0)
                return 0;
            n = free_slots;
        }
    }
    if (SIM_UNLIKELY(n == 0))
        return 0;

    sim_ring__copy_in(r->slots, size, head & r->prod_priv.mask, objs, n);
    r->prod_priv.head = head + n;
    /* [P1] release, once per burst; partner: the acquire load of prod.head [C1] in
     * sim_ring__sc_dequeue (and the acquire in sim_ring_count). Publishes the slot writes above:
     * a consumer that sees the new head sees the descriptors. */
    atomic_store_explicit(&r->prod.head, head + n, memory_order_release);
    return n;
}

/* Consumer side of bulk and burst. all_or_nothing is a compile-time constant at every call. */
static inline unsigned
sim_ring__sc_dequeue(struct sim_ring *r, uint64_t *restrict objs, unsigned n, bool all_or_nothing)
{
    const uint32_t tail = r->cons_priv.tail;
    uint32_t avail = r->cons_priv.prod_head - tail;

    if (SIM_UNLIKELY(n > avail)) {
        /* [C1] acquire; partner: the release store of prod.head [P1] in sim_ring__sp_enqueue.
         * Makes the producer's slot writes up to that head visible before we read the slots.
         * Only reached when the cached copy says "not enough". */
        r->cons_priv.prod_head = atomic_load_explicit(&r->prod.head, memory_order_acquire);
        avail = r->cons_priv.prod_head - tail;
        if (n > avail) {
            if (all_or_nothing || avail == 0)
                return 0;
            n = avail;
        }
    }
    if (SIM_UNLIKELY(n == 0))
        return 0;

    sim_ring__copy_out(r->slots, r->cons_priv.size, tail & r->cons_priv.mask, objs, n);
    r->cons_priv.tail = tail + n;
    /* [C2] release, once per burst; partner: the acquire load of cons.tail [P2] in
     * sim_ring__sp_enqueue (and the acquire in sim_ring_count). Orders our slot reads above
     * before the producer's reuse of those slots. */
    atomic_store_explicit(&r->cons.tail, tail + n, memory_order_release);
    return n;
}

/*
 * sim_ring_sp_enqueue_burst — enqueue up to n descriptors, as many as fit.
 *   r: the ring; objs: n descriptors (not modified); n: how many to offer (0 is allowed).
 * Returns how many were enqueued (objs[0..ret) now belong to the ring), 0 if the ring is full.
 * Thread: the single producer.
 */
static inline unsigned
sim_ring_sp_enqueue_burst(struct sim_ring *r, const uint64_t *objs, unsigned n)
{
    return sim_ring__sp_enqueue(r, objs, n, false);
}

/*
 * sim_ring_sp_enqueue_bulk — enqueue exactly n descriptors or none.
 *   r: the ring; objs: n descriptors; n: how many (0 returns 0).
 * Returns n if all were enqueued, 0 if there was not room for all n (nothing was enqueued).
 * Thread: the single producer.
 */
static inline unsigned
sim_ring_sp_enqueue_bulk(struct sim_ring *r, const uint64_t *objs, unsigned n)
{
    return sim_ring__sp_enqueue(r, objs, n, true);
}

/*
 * sim_ring_sc_dequeue_burst — dequeue up to n descriptors, as many as are available.
 *   r: the ring; objs: room for n descriptors; n: the most to take (0 is allowed).
 * Returns how many were dequeued into objs[0..ret), in enqueue order; 0 if the ring is empty.
 * Thread: the single consumer.
 */
static inline unsigned
sim_ring_sc_dequeue_burst(struct sim_ring *r, uint64_t *objs, unsigned n)
{
    return sim_ring__sc_dequeue(r, objs, n, false);
}

/*
 * sim_ring_sc_dequeue_bulk — dequeue exactly n descriptors or none.
 *   r: the ring; objs: room for n descriptors; n: how many (0 returns 0).
 * Returns n if n were dequeued into objs, 0 if fewer than n were available (nothing taken).
 * Thread: the single consumer.
 */
static inline unsigned
sim_ring_sc_dequeue_bulk(struct sim_ring *r, uint64_t *objs, unsigned n)
{
    return sim_ring__sc_dequeue(r, objs, n, true);
}

/*
 * sim_ring_capacity — the most descriptors the ring can hold (== its slot count).
 * Any thread.
 */
static inline unsigned
sim_ring_capacity(const struct sim_ring *r)
{
    return r->size;
}

/*
 * sim_ring_count — descriptors currently in the ring.
 * Any thread. Exact when called by the producer or the consumer while the other side is idle;
 * otherwise a snapshot that may already be stale, but always within [0, capacity].
 */
static inline unsigned
sim_ring_count(const struct sim_ring *r)
{
    /* Acquire; partner: the release store of cons.tail [C2]. Read tail first: the consumer
     * only ever sets tail to a head it had acquired, so the head read after this (by
     * coherence no older than that one) is >= tail and the difference cannot go negative. */
    uint32_t tail = atomic_load_explicit(&r->cons.tail, memory_order_acquire);
    /* Acquire; partner: the release store of prod.head [P1]. Also keeps this load after the
     * tail load above. */
    uint32_t head = atomic_load_explicit(&r->prod.head, memory_order_acquire);
    uint32_t n = head - tail;
    /* The producer may have refilled slots freed after our tail read: clamp the snapshot. */
    return n > r->size ? r->size : n;
}

/*
 * sim_ring_free_count — free slots (capacity - count), with the same snapshot caveat as
 * sim_ring_count. Any thread.
 */
static inline unsigned
sim_ring_free_count(const struct sim_ring *r)
{
    return r->size - sim_ring_count(r);
}

/* sim_ring_is_empty — true if the ring holds no descriptor (snapshot). Any thread. */
static inline bool
sim_ring_is_empty(const struct sim_ring *r)
{
    return sim_ring_count(r) == 0;
}

/* sim_ring_is_full — true if every slot holds a descriptor (snapshot). Any thread. */
static inline bool
sim_ring_is_full(const struct sim_ring *r)
{
    return sim_ring_count(r) == r->size;
}

#endif /* SRIOVSIM_SIM_RING_H */
