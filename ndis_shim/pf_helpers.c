/* SPDX-License-Identifier: MIT */
/*
 * pf_helpers.c — the NdisM* helpers only a PF miniport may call (reference §9) and the PF side
 * of the config-block backchannel (§8). They act on the hardware through the ndis_pf_hw_ops
 * the PF miniport supplies (backed by the simulated PCIe fabric), as NDIS acts through the
 * PCI bus driver's GUID_PCI_VIRTUALIZATION_INTERFACE.
 *
 * Windows counterpart: NdisMEnableVirtualization, NdisMGetVirtualFunctionBusData,
 * NdisMSetVirtualFunctionBusData, NdisMGetVirtualFunctionLocation + NDIS_MAKE_RID,
 * NdisMQueryProbedBars, NdisMInvalidateConfigBlock.
 */
#include "ndis_int.h"

static bool
is_pf(const struct ndis_miniport *pf)
{
    return pf != NULL && pf->kind == NDIS_MINIPORT_PF;
}

ndis_status_t
ndis_pf_enable_virtualization(struct ndis_miniport *pf, uint16_t num_vfs, bool enable_vf_migration,
                              bool enable_migration_interrupt, bool enable_virtualization)
{
    if (!is_pf(pf) || pf->pf_hw == NULL || pf->pf_hw->set_vf_enable == NULL ||
        pf->pf_hw->total_vfs == NULL)
        return NDIS_STATUS_NOT_SUPPORTED;
    uint16_t total = pf->pf_hw->total_vfs(pf->pf_hw_ctx);
    if (total == 0)
        return NDIS_STATUS_NOT_SUPPORTED; /* the adapter lacks SR-IOV */
    /* EnableVFMigration / EnableMigrationInterrupt are reserved: must be FALSE (§12.2). */
    if (enable_vf_migration || enable_migration_interrupt)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!enable_virtualization) {
        if (num_vfs != 0)
            return NDIS_STATUS_INVALID_PARAMETER; /* Enable=FALSE with NumVFs != 0 */
        if (!pf->virtualization_enabled)
            return NDIS_STATUS_SUCCESS;
        if (pf->pf_hw->set_vf_enable(pf->pf_hw_ctx, 0, false) != 0)
            return NDIS_STATUS_FAILURE;
        pf->virtualization_enabled = false;
        pf->num_vfs = 0;
        for (uint32_t i = 0; i < pf->invalidate_slots; i++)
            pf->invalidate_mask[i] = 0;
        return NDIS_STATUS_SUCCESS;
    }
    if (pf->virtualization_enabled)
        return NDIS_STATUS_FAILURE; /* enabling while enabled: disable first */
    if (num_vfs == 0 || num_vfs > total)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (pf->pf_hw->set_vf_enable(pf->pf_hw_ctx, num_vfs, true) != 0)
        return NDIS_STATUS_FAILURE;
    pf->virtualization_enabled = true;
    pf->num_vfs = num_vfs;
    return NDIS_STATUS_SUCCESS;
}

bool
ndis_pf_is_virtualization_enabled(const struct ndis_miniport *pf)
{
    return is_pf(pf) && pf->virtualization_enabled;
}

uint16_t
ndis_pf_num_vfs(const struct ndis_miniport *pf)
{
    return is_pf(pf) ? pf->num_vfs : 0;
}

static bool
vf_ok(const struct ndis_miniport *pf, uint16_t vf_id)
{
    return is_pf(pf) && pf->pf_hw != NULL && pf->virtualization_enabled && vf_id < pf->num_vfs;
}

uint32_t
ndis_pf_get_vf_bus_data(struct ndis_miniport *pf, uint16_t vf_id, void *buf, uint32_t offset,
                        uint32_t len)
{
    if (!vf_ok(pf, vf_id) || pf->pf_hw->vf_config_read == NULL || buf == NULL || len == 0)
        return 0;
    return pf->pf_hw->vf_config_read(pf->pf_hw_ctx, vf_id, buf, offset, len);
}

uint32_t
ndis_pf_set_vf_bus_data(struct ndis_miniport *pf, uint16_t vf_id, const void *buf, uint32_t offset,
                        uint32_t len)
{
    if (!vf_ok(pf, vf_id) || pf->pf_hw->vf_config_write == NULL || buf == NULL || len == 0)
        return 0;
    return pf->pf_hw->vf_config_write(pf->pf_hw_ctx, vf_id, buf, offset, len);
}

ndis_status_t
ndis_pf_get_vf_location(struct ndis_miniport *pf, uint16_t vf_id, uint16_t *segment, uint8_t *bus,
                        uint8_t *function)
{
    if (!is_pf(pf) || pf->pf_hw == NULL || pf->pf_hw->vf_location == NULL ||
        !pf->virtualization_enabled)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (vf_id >= pf->num_vfs || segment == NULL || bus == NULL || function == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (pf->pf_hw->vf_location(pf->pf_hw_ctx, vf_id, segment, bus, function) != 0)
        return NDIS_STATUS_FAILURE;
    return NDIS_STATUS_SUCCESS;
}

uint32_t
ndis_pf_get_vf_rid(struct ndis_miniport *pf, uint16_t vf_id)
{
    uint16_t seg;
    uint8_t bus, fn;
    if (ndis_pf_get_vf_location(pf, vf_id, &seg, &bus, &fn) != NDIS_STATUS_SUCCESS)
        return NDIS_INVALID_RID;
    return NDIS_MAKE_RID(seg, bus, fn);
}

ndis_status_t
ndis_pf_query_probed_bars(struct ndis_miniport *pf, uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES])
{
    if (!is_pf(pf) || pf->pf_hw == NULL || pf->pf_hw->probed_bars == NULL)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (bars == NULL)
        return NDIS_STATUS_INVALID_PARAMETER;
    return pf->pf_hw->probed_bars(pf->pf_hw_ctx, bars) == 0 ? NDIS_STATUS_SUCCESS
                                                            : NDIS_STATUS_FAILURE;
}

ndis_status_t
ndis_pf_invalidate_config_block(struct ndis_miniport *pf, uint16_t vf_id, uint64_t block_mask)
{
    if (!is_pf(pf) || !pf->virtualization_enabled)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (vf_id >= pf->num_vfs || vf_id >= pf->invalidate_slots || block_mask == 0)
        return NDIS_STATUS_INVALID_PARAMETER;
    /* The virtualization stack ORs every call into its cached mask (§8 step 2). */
    pf->invalidate_mask[vf_id] |= block_mask;
    if (pf->invalidate_cb != NULL)
        pf->invalidate_cb(pf->invalidate_ctx, pf, vf_id);
    return NDIS_STATUS_SUCCESS;
}

void
ndis_pf_set_invalidate_cb(struct ndis_miniport *pf, ndis_invalidate_cb cb, void *ctx)
{
    pf->invalidate_cb = cb;
    pf->invalidate_ctx = ctx;
}

uint64_t
ndis_pf_take_invalidation(struct ndis_miniport *pf, uint16_t vf_id)
{
    if (!is_pf(pf) || vf_id >= pf->invalidate_slots)
        return 0;
    uint64_t m = pf->invalidate_mask[vf_id];
    pf->invalidate_mask[vf_id] = 0;
    return m;
}
