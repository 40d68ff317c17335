/* SPDX-License-Identifier: MIT */
/*
 * alloc.c — tagged allocation with per-tag live counts, a replaceable allocator and a
 * "fail the Nth allocation" hook. Windows counterpart: ExAllocatePoolWithTag / ExFreePoolWithTag
 * and Driver Verifier's low-resources simulation.
 *
 * Each block carries a 16-byte header in front of the caller's memory naming its tag and size,
 * so sim_free() needs no tag argument and the counters stay exact.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

struct alloc_header {
    struct sim_alloc_tag *tag;
    size_t size;
};
_Static_assert(sizeof(struct alloc_header) == 16, "header keeps 16-byte alignment");

static void *
default_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void
default_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static struct sim_allocator current = {default_alloc, default_free, NULL};

/* Registry of tags that ever allocated, for sim_alloc_report and sim_alloc_live_total. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_alloc_tag *registry;

/* attempts counts every call; fail_at is the attempt number that must fail (-1: none). Both
 * are relaxed atomics: they order nothing else. */
static long attempts;
static long fail_at = -1;

static void
tag_register(struct sim_alloc_tag *tag)
{
    pthread_mutex_lock(&registry_lock);
    if (!tag->registered) {
        tag->next = registry;
        registry = tag;
        /* release: pairs with the acquire of `registered` below, so `next` is visible. */
        __atomic_store_n(&tag->registered, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&registry_lock);
}

static bool
should_fail(void)
{
    long n = __atomic_fetch_add(&attempts, 1, __ATOMIC_RELAXED);
    long target = __atomic_load_n(&fail_at, __ATOMIC_RELAXED);
    if (target >= 0 && n == target) {
        __atomic_store_n(&fail_at, -1, __ATOMIC_RELAXED);
        return true;
    }
    return false;
}

static void
count(struct sim_alloc_tag *tag, long blocks, long bytes)
{
    __atomic_add_fetch(&tag->live, blocks, __ATOMIC_RELAXED);
    __atomic_add_fetch(&tag->live_bytes, bytes, __ATOMIC_RELAXED);
    if (blocks > 0)
        __atomic_add_fetch(&tag->total, blocks, __ATOMIC_RELAXED);
}

/* One block under tag. `zero`: the caller wants it zeroed. With the default allocator that is
 * calloc(), which gets fresh pages from the kernel for large blocks without touching them, so
 * a VM's 64 MiB of guest memory costs only the pages it uses (memset would fault them all in). */
static void *
alloc_block(struct sim_alloc_tag *tag, size_t size, bool zero)
{
    if (tag == NULL || size > SIZE_MAX - sizeof(struct alloc_header))
        return NULL;
    if (!__atomic_load_n(&tag->registered, __ATOMIC_ACQUIRE))
        tag_register(tag);
    if (should_fail())
        return NULL;
    struct alloc_header *h;
    if (zero && current.alloc == default_alloc) {
        h = calloc(1, sizeof *h + size);
    } else {
        h = current.alloc(current.ctx, sizeof *h + size);
        if (h != NULL && zero)
            memset(h + 1, 0, size);
    }
    if (h == NULL)
        return NULL;
    h->tag = tag;
    h->size = size;
    count(tag, 1, (long)size);
    return h + 1;
}

void *
sim_alloc(struct sim_alloc_tag *tag, size_t size)
{
    return alloc_block(tag, size, false);
}

void *
sim_calloc(struct sim_alloc_tag *tag, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return alloc_block(tag, n * size, true);
}

void *
sim_realloc(struct sim_alloc_tag *tag, void *ptr, size_t size)
{
    if (ptr == NULL)
        return sim_alloc(tag, size);
    struct alloc_header *old = (struct alloc_header *)ptr - 1;
    void *p = sim_alloc(tag, size);
    if (p == NULL)
        return NULL;
    memcpy(p, ptr, old->size < size ? old->size : size);
    sim_free(ptr);
    return p;
}

void
sim_free(void *ptr)
{
    if (ptr == NULL)
        return;
    struct alloc_header *h = (struct alloc_header *)ptr - 1;
    count(h->tag, -1, -(long)h->size);
    current.free(current.ctx, h);
}

char *
sim_strdup(struct sim_alloc_tag *tag, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sim_alloc(tag, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

int
sim_allocator_set(const struct sim_allocator *allocator)
{
    if (sim_alloc_live_total() != 0)
        return SIM_EBUSY;
    if (allocator == NULL) {
        current = (struct sim_allocator){default_alloc, default_free, NULL};
        return 0;
    }
    if (allocator->alloc == NULL || allocator->free == NULL)
        return SIM_EINVAL;
    current = *allocator;
    return 0;
}

void
sim_alloc_fail_nth(long n)
{
    long base = __atomic_load_n(&attempts, __ATOMIC_RELAXED);
    __atomic_store_n(&fail_at, n < 0 ? -1 : base + n, __ATOMIC_RELAXED);
}

long
sim_alloc_attempts(void)
{
    return __atomic_load_n(&attempts, __ATOMIC_RELAXED);
}

long
sim_alloc_live(const struct sim_alloc_tag *tag)
{
    return __atomic_load_n(&tag->live, __ATOMIC_RELAXED);
}

long
sim_alloc_live_total(void)
{
    long total = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct sim_alloc_tag *t = registry; t != NULL; t = t->next)
        total += __atomic_load_n(&t->live, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&registry_lock);
    return total;
}

int
sim_alloc_report(FILE *out)
{
    int tags = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct sim_alloc_tag *t = registry; t != NULL; t = t->next) {
        long live = __atomic_load_n(&t->live, __ATOMIC_RELAXED);
        if (live == 0)
            continue;
        fprintf(out, "%s: %ld live (%ld bytes)\n", t->name, live,
                __atomic_load_n(&t->live_bytes, __ATOMIC_RELAXED));
        tags++;
    }
    pthread_mutex_unlock(&registry_lock);
    return tags;
}
