/* SPDX-License-Identifier: MIT */
/* test_nbl.c — NET_BUFFER_LIST pools: fixed memory, exhaustion as a counted condition, owner
 * tracking (wrong owner, double free), OOM sweep of the constructor, zero live at teardown. */
#include <criterion/criterion.h>

#include "ndis_shim/ndis_shim.h"

SIM_ALLOC_TAG_DECLARE(ndis_nbl_pool);

static const char owner_a = 'a', owner_b = 'b';
#define A ((const void *)&owner_a)
#define B ((const void *)&owner_b)

static struct ndis_nbl_pool *
make_pool(uint32_t n, bool track)
{
    struct ndis_nbl_pool_config c = {.name = "rx",
                                     .nbl_count = n,
                                     .nbs_per_nbl = 2,
                                     .data_size = 2048,
                                     .context_size = 32,
                                     .track_owners = track};
    struct ndis_nbl_pool *p = NULL;
    struct sim_diag d = {0};
    cr_assert_eq(ndis_nbl_pool_create(&c, &p, &d), 0, "%s", d.reason);
    return p;
}

Test(ndis_nbl, alloc_gives_distinct_descriptors_with_buffers)
{
    struct ndis_nbl_pool *p = make_pool(4, true);
    long live = sim_alloc_live(SIM_TAG(ndis_nbl_pool));
    struct ndis_nbl *n[4];
    for (int i = 0; i < 4; i++) {
        n[i] = ndis_nbl_alloc(p, A);
        cr_assert_not_null(n[i]);
        cr_assert_not_null(n[i]->first_nb);
        cr_assert_not_null(n[i]->first_nb->next, "two NBs per NBL");
        cr_assert_null(n[i]->first_nb->next->next);
        cr_assert_eq(n[i]->first_nb->capacity, 2048);
        cr_assert_not_null(n[i]->context);
        cr_assert_eq(ndis_nbl_owner(n[i]), A);
        n[i]->first_nb->data[0] = (uint8_t)i;
        n[i]->first_nb->data_length = 60;
        for (int j = 0; j < i; j++) {
            cr_assert_neq(n[i], n[j]);
            cr_assert_neq(n[i]->first_nb->data, n[j]->first_nb->data);
        }
    }
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_nbl_pool)), live, "alloc never allocates");
    cr_assert_eq(ndis_nbl_pool_stats(p)->in_use, 4);
    cr_assert_eq(ndis_nbl_pool_destroy(p), SIM_EBUSY, "NBLs still out");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(ndis_nbl_free(n[i], A), 0);
    struct ndis_nbl *again = ndis_nbl_alloc(p, B);
    cr_assert_eq(again->first_nb->data_length, 0, "NBs are reset on alloc");
    cr_assert_eq(ndis_nbl_free(again, B), 0);
    cr_assert_eq(ndis_nbl_pool_stats(p)->high_water, 4);
    cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_nbl_pool)), 0);
}

Test(ndis_nbl, exhaustion_is_counted_not_malloced)
{
    struct ndis_nbl_pool *p = make_pool(2, true);
    struct ndis_nbl *a = ndis_nbl_alloc(p, A), *b = ndis_nbl_alloc(p, A);
    long attempts = sim_alloc_attempts();
    cr_assert_null(ndis_nbl_alloc(p, A));
    cr_assert_null(ndis_nbl_alloc(p, A));
    cr_assert_eq(sim_alloc_attempts(), attempts);
    cr_assert_eq(ndis_nbl_pool_stats(p)->exhausted, 2);
    cr_assert_eq(ndis_nbl_free(a, A), 0);
    a = ndis_nbl_alloc(p, A);
    cr_assert_not_null(a);
    cr_assert_null(ndis_nbl_alloc(NULL, A));
    cr_assert_eq(ndis_nbl_free(a, A), 0);
    cr_assert_eq(ndis_nbl_free(b, A), 0);
    cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_nbl_pool)), 0);
}

Test(ndis_nbl, owner_misuse_and_double_free_are_caught)
{
    struct ndis_nbl_pool *p = make_pool(2, true);
    struct ndis_nbl *n = ndis_nbl_alloc(p, A);
    cr_assert_eq(ndis_nbl_free(n, B), SIM_EINVAL, "B does not hold it");
    cr_assert_eq(ndis_nbl_pool_stats(p)->owner_errors, 1);
    cr_assert_eq(ndis_nbl_transfer(n, B, A), SIM_EINVAL);
    cr_assert_eq(ndis_nbl_pool_stats(p)->owner_errors, 2);
    cr_assert_eq(ndis_nbl_transfer(n, A, B), 0);
    cr_assert_eq(ndis_nbl_owner(n), B);
    cr_assert_eq(ndis_nbl_free(n, A), SIM_EINVAL);
    cr_assert_eq(ndis_nbl_free(n, B), 0);
    cr_assert_eq(ndis_nbl_free(n, B), SIM_EINVAL);
    cr_assert_eq(ndis_nbl_pool_stats(p)->double_frees, 1);
    cr_assert_eq(ndis_nbl_transfer(n, NULL, A), SIM_EINVAL, "a free NBL cannot be handed over");
    cr_assert_eq(ndis_nbl_pool_stats(p)->in_use, 0);
    cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
}

Test(ndis_nbl, without_tracking_only_double_free_is_caught)
{
    struct ndis_nbl_pool *p = make_pool(1, false);
    struct ndis_nbl *n = ndis_nbl_alloc(p, A);
    cr_assert_eq(ndis_nbl_transfer(n, B, A), 0);
    cr_assert_eq(ndis_nbl_free(n, B), 0);
    cr_assert_eq(ndis_nbl_free(n, B), SIM_EINVAL);
    cr_assert_eq(ndis_nbl_pool_stats(p)->owner_errors, 0);
    cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
}

Test(ndis_nbl, chains)
{
    struct ndis_nbl_pool *p = make_pool(3, true);
    struct ndis_nbl *a = ndis_nbl_alloc(p, A), *b = ndis_nbl_alloc(p, A), *c = ndis_nbl_alloc(p, B);
    a->next = b;
    b->next = c;
    cr_assert_eq(ndis_nbl_chain_length(a), 3);
    cr_assert_eq(ndis_nbl_chain_transfer(a, A, B), SIM_EINVAL, "stops at c");
    cr_assert_eq(ndis_nbl_owner(a), B);
    cr_assert_eq(ndis_nbl_owner(b), B);
    a->next = b->next = NULL;
    ndis_nbl_free(a, B);
    ndis_nbl_free(b, B);
    ndis_nbl_free(c, B);
    cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
}

Test(ndis_nbl, config_is_validated)
{
    struct ndis_nbl_pool *p = NULL;
    struct ndis_nbl_pool_config c = {.nbl_count = 0, .nbs_per_nbl = 1};
    cr_assert_eq(ndis_nbl_pool_create(&c, &p, NULL), SIM_EINVAL);
    c.nbl_count = 1;
    c.nbs_per_nbl = 0;
    cr_assert_eq(ndis_nbl_pool_create(&c, &p, NULL), SIM_EINVAL);
    c.nbs_per_nbl = 1;
    c.data_size = 0xFFFFFFFFu;
    c.nbl_count = 1u << 20;
    cr_assert_eq(ndis_nbl_pool_create(&c, &p, NULL), SIM_ERANGE);
    cr_assert_null(p);
}

Test(ndis_nbl, create_oom_sweep)
{
    struct ndis_nbl_pool_config c = {.name = "tx",
                                     .nbl_count = 8,
                                     .nbs_per_nbl = 1,
                                     .data_size = 256,
                                     .context_size = 16,
                                     .track_owners = true};
    for (long n = 0;; n++) {
        struct ndis_nbl_pool *p = (void *)1;
        sim_alloc_fail_nth(n);
        int err = ndis_nbl_pool_create(&c, &p, NULL);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_eq(n, 5, "pool, NBLs, NBs, data, contexts");
            cr_assert_eq(ndis_nbl_pool_destroy(p), 0);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM);
        cr_assert_null(p);
        cr_assert_eq(sim_alloc_live(SIM_TAG(ndis_nbl_pool)), 0, "n=%ld leaked", n);
    }
    cr_assert_eq(sim_alloc_live_total(), 0);
}
