/* SPDX-License-Identifier: MIT */
/*
 * adapter.c — the adapter's state: capabilities from what the device reported, lookups in the
 * VF / VPort / filter tables, refusal bookkeeping (status + human reason), OID completion,
 * the device-error to NDIS-status map, config blocks, and the administrator's knobs.
 *
 * Windows counterpart: adapter.c of the netvmini sample (MP_ADAPTER, NICAllocAdapter /
 * NICReadRegParameters) plus the NDIS_NIC_SWITCH_CAPABILITIES a PF registers (§6.1, §6.2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "miniport_pf/pf_int.h"

const char *
pf__oid_short(ndis_oid_t oid)
{
    const char *n = ndis_oid_name(oid);
    if (n == NULL)
        return "OID?";
    static const char *const prefixes[] = {"OID_NIC_SWITCH_", "OID_RECEIVE_FILTER_", "OID_SRIOV_",
                                           "OID_"};
    for (size_t i = 0; i < SIM_ARRAY_SIZE(prefixes); i++) {
        size_t l = strlen(prefixes[i]);
        if (strncmp(n, prefixes[i], l) == 0)
            return n + l;
    }
    return n;
}

ndis_status_t
pf__refuse(struct pf_adapter *a, struct ndis_oid_request *req, ndis_status_t status,
           const char *rule, const char *fmt, ...)
{
    char text[SIM_DIAG_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char sb[16];
    sim_diag_fail(&a->last_refusal, SIM_EPERM, "%s (%s)", text,
                  ndis_status_str(status, sb, sizeof sb));
    if (req != NULL)
        ndis_oid_request_set_reason(req, "%s (rule: %s)", text, rule);
    a->stats.refusals++;
    SIM_INFO(pf, "%s: %s", a->name, a->last_refusal.reason);
    return status;
}

struct pf_vf *
pf__vf(struct pf_adapter *a, uint32_t vf_id)
{
    if (vf_id >= a->total_vfs || !a->vfs[vf_id].allocated)
        return NULL;
    return &a->vfs[vf_id];
}

struct pf_vport *
pf__vport(struct pf_adapter *a, uint32_t vport_id)
{
    if (vport_id >= a->max_vports || !a->vports[vport_id].used)
        return NULL;
    return &a->vports[vport_id];
}

void
pf__nic_switch_caps(const struct pf_adapter *a, struct ndis_nic_switch_capabilities *c)
{
    memset(c, 0, sizeof *c);
    c->header.type = NDIS_OBJECT_TYPE_DEFAULT;
    c->header.revision = NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2;
    c->header.size = (uint16_t)NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2;
    /* §6.2: MaxNumSwitches = 1; MaxNumVPorts includes the default and >= MaxNumVFs + 1;
     * MaxNumQueuePairs >= MaxNumVPorts; MaxNumMacAddresses >= MaxNumVPorts; the legacy
     * revision-1 fields are 0. Flag values were not retrieved (§14), so Flags stays 0. */
    c->max_num_switches = 1;
    c->max_num_vports = a->max_vports;
    c->max_num_vfs = a->total_vfs;
    c->max_num_queue_pairs = (uint32_t)a->pf_qps + (uint32_t)a->total_vfs * a->vf_qps;
    if (c->max_num_queue_pairs < c->max_num_vports)
        c->max_num_queue_pairs = c->max_num_vports;
    c->max_num_queue_pairs_per_non_default_vport = a->vf_qps;
    c->max_num_mac_addresses = a->max_filters;
    if (c->max_num_mac_addresses < c->max_num_vports)
        c->max_num_mac_addresses = c->max_num_vports;
}

void
pf__oid_complete(struct pf_adapter *a, ndis_status_t status)
{
    struct ndis_oid_request *req = a->pending;
    if (req == NULL)
        return;
    a->pending = NULL;
    int err = ndis_oid_request_complete(a->mp, req, status);
    if (err != 0)
        SIM_ERROR(pf, "%s: NdisMOidRequestComplete(%s) failed: %s", a->name,
                  pf__oid_short(req->oid), sim_strerror(err));
}

void
pf__mac_format(const uint8_t mac[6], char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

uint32_t
pf__vf_first_vport(const struct pf_adapter *a, uint16_t vf_id)
{
    return vf_id < a->total_vfs ? a->vfs[vf_id].vport_id : NDIS_INVALID_VPORT_ID;
}

static void
invalidate(struct pf_adapter *a, uint16_t vf_id, uint64_t mask)
{
    /* NdisMInvalidateConfigBlock: NDIS ORs the mask into the virtualization stack's cached
     * mask (§8 step 2); the mailbox message to the VF is coalesced the same way. */
    a->stats.invalidations++;
    (void)ndis_pf_invalidate_config_block(a->mp, vf_id, mask);
    pf__mbx_post_invalidation(a, vf_id, mask);
}

void
pf__vf_blocks_refresh(struct pf_adapter *a, uint16_t vf_id, bool notify)
{
    struct pf_vf *vf = &a->vfs[vf_id];
    uint8_t mac_block[PF_CFG_BLOCK_SIZE] = {0};
    uint8_t vp_block[PF_CFG_BLOCK_SIZE] = {0};
    memcpy(mac_block, vf->cur_mac, 6);
    uint32_t vport = vf->vport_id, nqp = 0;
    struct pf_vport *vp = pf__vport(a, vport);
    if (vp != NULL)
        nqp = vp->params.num_queue_pairs;
    memcpy(vp_block, &vport, 4);
    memcpy(vp_block + 4, &nqp, 4);
    memcpy(vp_block + 8, &vf->cur_vlan, 2);
    uint64_t changed = 0;
    if (memcmp(vf->blocks[PF_CFG_BLOCK_MAC], mac_block, sizeof mac_block) != 0)
        changed |= UINT64_C(1) << PF_CFG_BLOCK_MAC;
    if (memcmp(vf->blocks[PF_CFG_BLOCK_VPORT], vp_block, sizeof vp_block) != 0)
        changed |= UINT64_C(1) << PF_CFG_BLOCK_VPORT;
    memcpy(vf->blocks[PF_CFG_BLOCK_MAC], mac_block, sizeof mac_block);
    memcpy(vf->blocks[PF_CFG_BLOCK_VPORT], vp_block, sizeof vp_block);
    if (notify && changed != 0)
        invalidate(a, vf_id, changed);
}

/* ---- public accessors ---------------------------------------------------------------------- */

const struct pf_stats *
pf_adapter_stats(const struct pf_adapter *a)
{
    return &a->stats;
}

const struct sim_diag *
pf_adapter_last_refusal(const struct pf_adapter *a)
{
    return &a->last_refusal;
}

void
pf_adapter_set_policy(struct pf_adapter *a, pf_policy_fn fn, void *ctx)
{
    a->policy = fn != NULL ? fn : pf_policy_accept_all;
    a->policy_ctx = ctx;
}

int
pf_vf_set_trusted(struct pf_adapter *a, uint16_t vf_id, bool trusted)
{
    struct pf_vf *vf = pf__vf(a, vf_id);
    if (vf == NULL)
        return SIM_ENOENT;
    vf->trusted = trusted;
    return 0;
}

int
pf_vf_set_admin_vlan(struct pf_adapter *a, uint16_t vf_id, uint16_t vlan)
{
    struct pf_vf *vf = pf__vf(a, vf_id);
    if (vf == NULL)
        return SIM_ENOENT;
    if (vlan > 4095)
        return SIM_ERANGE;
    vf->admin_vlan = vlan;
    return 0;
}

int
pf_vf_current_mac(const struct pf_adapter *a, uint16_t vf_id, uint8_t mac[6])
{
    if (vf_id >= a->total_vfs || !a->vfs[vf_id].allocated)
        return SIM_ENOENT;
    memcpy(mac, a->vfs[vf_id].cur_mac, 6);
    return 0;
}

int
pf_vf_current_vlan(const struct pf_adapter *a, uint16_t vf_id, uint16_t *vlan)
{
    if (vf_id >= a->total_vfs || !a->vfs[vf_id].allocated)
        return SIM_ENOENT;
    *vlan = a->vfs[vf_id].cur_vlan;
    return 0;
}

int
pf_vf_multicast(const struct pf_adapter *a, uint16_t vf_id, uint8_t out[][6], unsigned max)
{
    if (vf_id >= a->total_vfs || !a->vfs[vf_id].allocated)
        return SIM_ENOENT;
    const struct pf_vf *vf = &a->vfs[vf_id];
    for (unsigned i = 0; i < vf->mc_count && i < max; i++)
        memcpy(out[i], vf->mc[i], 6);
    return (int)vf->mc_count;
}

int
pf_vf_config_block_update(struct pf_adapter *a, uint16_t vf_id, uint32_t block_id, uint32_t offset,
                          const void *data, uint32_t len)
{
    struct pf_vf *vf = pf__vf(a, vf_id);
    if (vf == NULL)
        return SIM_ENOENT;
    if (block_id >= PF_CFG_BLOCKS || offset > PF_CFG_BLOCK_SIZE ||
        len > PF_CFG_BLOCK_SIZE - offset || (data == NULL && len != 0))
        return SIM_ERANGE;
    if (len > 0)
        memcpy(vf->blocks[block_id] + offset, data, len);
    invalidate(a, vf_id, UINT64_C(1) << block_id);
    return 0;
}

uint64_t
pf_vf_pending_invalidation(const struct pf_adapter *a, uint16_t vf_id)
{
    return vf_id < a->total_vfs ? a->vfs[vf_id].inval_pending : 0;
}
