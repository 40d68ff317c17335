/* SPDX-License-Identifier: MIT */
/*
 * pf_broken.c — the skeleton with four deliberate bugs, each one a documented rule broken;
 * `sriovsim conform --pf-driver ./libpf_broken.so` fails exactly those four rules:
 *   free-vf-with-vport-fails  FREE_VF of a VF that still has a VPort "succeeds"
 *   reset-vf-performs-flr     RESET_VF of an allocated VF succeeds without the FLR
 *   vf-params-immutable       ALLOCATE_VF naming an allocated VF rewrites it
 *   move-filter-atomic        MOVE_FILTER reports success before (without) moving the filter
 */
#include <string.h>

#include "miniport_pf/miniport_pf.h"
#include "ndis_shim/ndis_shim.h"

static struct ndis_miniport_ops broken_ops;

static bool
vf_allocated(void *ctx, uint16_t vf)
{
    uint8_t mac[6];
    return pf_vf_current_mac(ctx, vf, mac) == 0;
}

static ndis_status_t
broken_oid_request(void *ctx, struct ndis_oid_request *req)
{
    switch (req->oid) {
    case OID_NIC_SWITCH_FREE_VF: {
        /* BUG 1: a refusal becomes a success. */
        ndis_status_t st = pf_miniport_ops.oid_request(ctx, req);
        return st == NDIS_STATUS_PENDING ? st : NDIS_STATUS_SUCCESS;
    }
    case OID_SRIOV_RESET_VF: {
        struct ndis_sriov_reset_vf_parameters p;
        memcpy(&p, req->information_buffer, sizeof p);
        if (vf_allocated(ctx, p.vf_id)) {
            req->bytes_read = req->information_buffer_length; /* BUG 2: no FLR */
            return NDIS_STATUS_SUCCESS;
        }
        return pf_miniport_ops.oid_request(ctx, req);
    }
    case OID_NIC_SWITCH_ALLOCATE_VF: {
        struct ndis_nic_switch_vf_parameters *p = req->information_buffer;
        if (p->vf_id != NDIS_INVALID_VF_FUNCTION_ID && vf_allocated(ctx, p->vf_id)) {
            /* BUG 3: "update" the allocated VF in place. */
            p->requestor_id = ndis_pf_get_vf_rid(pf_adapter_miniport(ctx), p->vf_id);
            req->bytes_read = req->input_buffer_length;
            req->bytes_written = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
            return NDIS_STATUS_SUCCESS;
        }
        return pf_miniport_ops.oid_request(ctx, req);
    }
    case OID_RECEIVE_FILTER_MOVE_FILTER:
        /* BUG 4: completes at once; the device still steers the MAC to the source VPort. */
        req->bytes_read = req->information_buffer_length;
        return NDIS_STATUS_SUCCESS;
    default:
        return pf_miniport_ops.oid_request(ctx, req);
    }
}

static int
broken_create(const struct pf_config *cfg, void **adapter, struct sim_diag *d)
{
    broken_ops = pf_miniport_ops;
    broken_ops.oid_request = broken_oid_request;
    struct pf_config c = *cfg;
    c.ops = &broken_ops;
    struct pf_adapter *a = NULL;
    int rc = pf_adapter_create(&c, &a, d);
    *adapter = a;
    return rc;
}

static int
broken_destroy(void *adapter)
{
    return pf_adapter_destroy(adapter);
}

static struct ndis_miniport *
broken_miniport(void *adapter)
{
    return pf_adapter_miniport(adapter);
}

static const struct pf_driver broken = {
    .abi = PF_DRIVER_ABI,
    .name = "pf-broken",
    .create = broken_create,
    .destroy = broken_destroy,
    .miniport = broken_miniport,
};

const struct pf_driver *sriovsim_pf_driver_entry(void);
const struct pf_driver *
sriovsim_pf_driver_entry(void)
{
    return &broken;
}
