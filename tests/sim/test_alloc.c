/* SPDX-License-Identifier: MIT */
/* test_alloc.c — tagged allocation: per-tag accounting, Nth-failure hook, replaceable allocator. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

SIM_ALLOC_TAG_DEFINE(test_a);
SIM_ALLOC_TAG_DEFINE(test_b);

Test(sim_alloc, tags_count_live_blocks_and_bytes)
{
    void *a1 = sim_alloc(SIM_TAG(test_a), 10);
    void *a2 = sim_calloc(SIM_TAG(test_a), 4, 8);
    char *b1 = sim_strdup(SIM_TAG(test_b), "hello");
    cr_assert(a1 && a2 && b1);
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_a)), 2);
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_b)), 1);
    cr_expect_eq(sim_alloc_live_total(), 3);
    cr_expect_str_eq(b1, "hello");
    cr_expect_eq(((uintptr_t)a1) % 16, 0, "16-byte aligned");
    for (int i = 0; i < 32; i++)
        cr_expect_eq(((unsigned char *)a2)[i], 0, "calloc zeroes");
    char *grown = sim_realloc(SIM_TAG(test_b), b1, 100);
    cr_assert(grown);
    cr_expect_str_eq(grown, "hello", "realloc keeps contents");
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_b)), 1);

    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    cr_expect_eq(sim_alloc_report(f), 2);
    fclose(f);
    cr_expect(strstr(report, "test_a: 2 live (42 bytes)") != NULL, "report: %s", report);
    cr_expect(strstr(report, "test_b: 1 live (100 bytes)") != NULL, "report: %s", report);
    free(report);

    sim_free(a1);
    sim_free(a2);
    sim_free(grown);
    sim_free(NULL);
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_a)), 0);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

Test(sim_alloc, fail_nth_fails_exactly_that_one)
{
    sim_alloc_fail_nth(2);
    void *p0 = sim_alloc(SIM_TAG(test_a), 8);
    void *p1 = sim_alloc(SIM_TAG(test_a), 8);
    void *p2 = sim_alloc(SIM_TAG(test_a), 8);
    void *p3 = sim_alloc(SIM_TAG(test_a), 8);
    cr_expect_not_null(p0);
    cr_expect_not_null(p1);
    cr_expect_null(p2, "the third allocation (n=2) fails");
    cr_expect_not_null(p3, "later allocations succeed again");
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_a)), 3);
    sim_free(p0);
    sim_free(p1);
    sim_free(p3);
    sim_alloc_fail_nth(0);
    cr_expect_null(sim_alloc(SIM_TAG(test_b), 1), "n=0 fails the very next one");
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_b)), 0, "a failed allocation is not counted");
    sim_alloc_fail_nth(0);
    sim_alloc_fail_nth(-1);
    void *p = sim_alloc(SIM_TAG(test_b), 1);
    cr_expect_not_null(p, "negative n disables the hook");
    sim_free(p);
}

Test(sim_alloc, attempts_count_failures_too)
{
    long before = sim_alloc_attempts();
    sim_alloc_fail_nth(0);
    cr_expect_null(sim_alloc(SIM_TAG(test_a), 1));
    void *p = sim_alloc(SIM_TAG(test_a), 1);
    cr_expect_eq(sim_alloc_attempts(), before + 2);
    sim_free(p);
}

Test(sim_alloc, overflowing_sizes_fail_cleanly)
{
    cr_expect_null(sim_alloc(SIM_TAG(test_a), SIZE_MAX));
    cr_expect_null(sim_calloc(SIM_TAG(test_a), SIZE_MAX / 2, 4));
    cr_expect_eq(sim_alloc_live(SIM_TAG(test_a)), 0);
}

static int custom_allocs, custom_frees;

static void *
custom_alloc(void *ctx, size_t size)
{
    custom_allocs++;
    cr_expect_eq(ctx, &custom_allocs);
    return malloc(size);
}

static void
custom_free(void *ctx, void *ptr)
{
    custom_frees++;
    free(ptr);
}

Test(sim_alloc, replaceable_allocator)
{
    struct sim_allocator a = {custom_alloc, custom_free, &custom_allocs};
    cr_assert_eq(sim_allocator_set(&a), 0);
    void *p = sim_alloc(SIM_TAG(test_a), 64);
    cr_expect_eq(custom_allocs, 1);
    cr_expect_eq(sim_allocator_set(NULL), SIM_EBUSY, "no swap while blocks are live");
    sim_free(p);
    cr_expect_eq(custom_frees, 1);
    cr_expect_eq(sim_allocator_set(NULL), 0);
    struct sim_allocator bad = {NULL, custom_free, NULL};
    cr_expect_eq(sim_allocator_set(&bad), SIM_EINVAL);
}
