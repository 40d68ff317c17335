/* SPDX-License-Identifier: MIT */
/*
 * nbl.c — NET_BUFFER_LIST / NET_BUFFER pools. Every descriptor, NET_BUFFER and backing buffer
 * is allocated when the pool is created; alloc and free never touch the allocator, and an
 * empty pool is a counted condition. With owner tracking ("debug build" pools), each NBL
 * records the component holding it; freeing or handing over an NBL one does not hold, and
 * double frees, are refused and counted.
 *
 * Windows counterpart: NdisAllocateNetBufferListPool / NdisAllocateNetBufferAndNetBufferList /
 * NdisFreeNetBufferList, and the ownership rule of NDIS 6 (an NBL belongs to whoever it was
 * last passed to, until the matching completion or return gives it back) that Driver Verifier
 * checks.
 */
#include <string.h>

#include "ndis_int.h"

SIM_ALLOC_TAG_DEFINE(ndis_nbl_pool);

/* Invariant: free_list links exactly the NBLs with priv.in_use == false (through next). */
struct ndis_nbl_pool {
    char name[NDIS_NAME_MAX];
    struct ndis_nbl_pool_config cfg;
    struct ndis_nbl *nbls;
    struct ndis_nb *nbs;
    uint8_t *data;
    uint8_t *contexts;
    struct ndis_nbl *free_list;
    struct ndis_nbl_pool_stats stats;
};

int
ndis_nbl_pool_create(const struct ndis_nbl_pool_config *cfg, struct ndis_nbl_pool **out,
                     struct sim_diag *d)
{
    if (out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "NBL pool: NULL out");
    *out = NULL;
    if (cfg == NULL || cfg->nbl_count == 0 || cfg->nbs_per_nbl == 0)
        return sim_diag_fail(d, SIM_EINVAL, "NBL pool: nbl_count and nbs_per_nbl must be >= 1");
    const char *name = cfg->name != NULL ? cfg->name : "nbl-pool";
    uint64_t nb_total = (uint64_t)cfg->nbl_count * cfg->nbs_per_nbl;
    if (nb_total > (1u << 24) || (uint64_t)cfg->data_size * nb_total > (UINT64_C(1) << 32))
        return sim_diag_fail(d, SIM_ERANGE, "NBL pool %s: too large", name);
    struct ndis_nbl_pool *pool = sim_calloc(SIM_TAG(ndis_nbl_pool), 1, sizeof *pool);
    if (pool == NULL)
        goto fail;
    ndis__copy_name(pool->name, name);
    pool->cfg = *cfg;
    pool->cfg.name = pool->name;
    pool->nbls = sim_calloc(SIM_TAG(ndis_nbl_pool), cfg->nbl_count, sizeof *pool->nbls);
    if (pool->nbls == NULL)
        goto free_pool;
    pool->nbs = sim_calloc(SIM_TAG(ndis_nbl_pool), (size_t)nb_total, sizeof *pool->nbs);
    if (pool->nbs == NULL)
        goto free_nbls;
    if (cfg->data_size > 0) {
        pool->data = sim_calloc(SIM_TAG(ndis_nbl_pool), (size_t)nb_total, cfg->data_size);
        if (pool->data == NULL)
            goto free_nbs;
    }
    if (cfg->context_size > 0) {
        pool->contexts = sim_calloc(SIM_TAG(ndis_nbl_pool), cfg->nbl_count, cfg->context_size);
        if (pool->contexts == NULL)
            goto free_data;
    }
    for (uint32_t i = cfg->nbl_count; i-- > 0;) {
        struct ndis_nbl *nbl = &pool->nbls[i];
        struct ndis_nb *first = &pool->nbs[(size_t)i * cfg->nbs_per_nbl];
        for (uint32_t j = 0; j < cfg->nbs_per_nbl; j++) {
            struct ndis_nb *nb = &first[j];
            nb->next = j + 1 < cfg->nbs_per_nbl ? &first[j + 1] : NULL;
            nb->capacity = cfg->data_size;
            if (pool->data != NULL)
                nb->data = pool->data + ((size_t)i * cfg->nbs_per_nbl + j) * cfg->data_size;
        }
        nbl->first_nb = first;
        nbl->context =
            pool->contexts != NULL ? pool->contexts + (size_t)i * cfg->context_size : NULL;
        nbl->priv.pool = pool;
        nbl->next = pool->free_list;
        pool->free_list = nbl;
    }
    *out = pool;
    return 0;
free_data:
    sim_free(pool->data);
free_nbs:
    sim_free(pool->nbs);
free_nbls:
    sim_free(pool->nbls);
free_pool:
    sim_free(pool);
fail:
    return sim_diag_fail(d, SIM_ENOMEM, "NBL pool %s: out of memory", name);
}

int
ndis_nbl_pool_destroy(struct ndis_nbl_pool *pool)
{
    if (pool == NULL)
        return 0;
    if (pool->stats.in_use != 0)
        return SIM_EBUSY;
    sim_free(pool->contexts);
    sim_free(pool->data);
    sim_free(pool->nbs);
    sim_free(pool->nbls);
    sim_free(pool);
    return 0;
}

struct ndis_nbl *
ndis_nbl_alloc(struct ndis_nbl_pool *pool, const void *owner)
{
    if (pool == NULL)
        return NULL;
    struct ndis_nbl *nbl = pool->free_list;
    if (nbl == NULL) {
        pool->stats.exhausted++;
        return NULL;
    }
    pool->free_list = nbl->next;
    nbl->next = NULL;
    nbl->status = NDIS_STATUS_SUCCESS;
    nbl->vport_id = NDIS_DEFAULT_VPORT_ID;
    nbl->vlan_id = 0;
    nbl->priority = 0;
    nbl->packet_id = 0;
    memset(nbl->protocol_reserved, 0, sizeof nbl->protocol_reserved);
    memset(nbl->miniport_reserved, 0, sizeof nbl->miniport_reserved);
    for (struct ndis_nb *nb = nbl->first_nb; nb != NULL; nb = nb->next) {
        nb->data_offset = 0;
        nb->data_length = 0;
    }
    nbl->priv.owner = owner;
    nbl->priv.source = NULL;
    nbl->priv.lent = 0;
    nbl->priv.in_use = true;
    pool->stats.allocs++;
    pool->stats.in_use++;
    if (pool->stats.in_use > pool->stats.high_water)
        pool->stats.high_water = pool->stats.in_use;
    return nbl;
}

bool
ndis__nbl_is_held_by(const struct ndis_nbl *nbl, const void *owner)
{
    if (!nbl->priv.in_use)
        return false;
    return !nbl->priv.pool->cfg.track_owners || nbl->priv.owner == owner;
}

int
ndis_nbl_free(struct ndis_nbl *nbl, const void *owner)
{
    if (nbl == NULL)
        return SIM_EINVAL;
    struct ndis_nbl_pool *pool = nbl->priv.pool;
    if (!nbl->priv.in_use) {
        pool->stats.double_frees++;
        SIM_WARN(ndis, "NBL pool %s: double free of NBL %p", pool->name, (void *)nbl);
        return SIM_EINVAL;
    }
    if (pool->cfg.track_owners && nbl->priv.owner != owner) {
        pool->stats.owner_errors++;
        SIM_WARN(ndis, "NBL pool %s: NBL %p freed by a component that does not hold it", pool->name,
                 (void *)nbl);
        return SIM_EINVAL;
    }
    nbl->priv.in_use = false;
    nbl->priv.owner = NULL;
    nbl->next = pool->free_list;
    pool->free_list = nbl;
    pool->stats.frees++;
    pool->stats.in_use--;
    return 0;
}

int
ndis_nbl_transfer(struct ndis_nbl *nbl, const void *from, const void *to)
{
    if (nbl == NULL)
        return SIM_EINVAL;
    struct ndis_nbl_pool *pool = nbl->priv.pool;
    if (!nbl->priv.in_use || (pool->cfg.track_owners && nbl->priv.owner != from)) {
        pool->stats.owner_errors++;
        SIM_WARN(ndis, "NBL pool %s: NBL %p handed over by a component that does not hold it",
                 pool->name, (void *)nbl);
        return SIM_EINVAL;
    }
    nbl->priv.owner = to;
    return 0;
}

int
ndis_nbl_chain_transfer(struct ndis_nbl *chain, const void *from, const void *to)
{
    for (struct ndis_nbl *n = chain; n != NULL; n = n->next) {
        int err = ndis_nbl_transfer(n, from, to);
        if (err != 0)
            return err;
    }
    return 0;
}

const void *
ndis_nbl_owner(const struct ndis_nbl *nbl)
{
    return nbl->priv.owner;
}

size_t
ndis_nbl_chain_length(const struct ndis_nbl *chain)
{
    size_t n = 0;
    for (; chain != NULL; chain = chain->next)
        n++;
    return n;
}

const struct ndis_nbl_pool_stats *
ndis_nbl_pool_stats(const struct ndis_nbl_pool *pool)
{
    return &pool->stats;
}
