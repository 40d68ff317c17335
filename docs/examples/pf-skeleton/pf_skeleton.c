/* SPDX-License-Identifier: MIT */
/*
 * pf_skeleton.c — a minimal PF miniport for sriovsim, built out of tree against the installed
 * headers (docs/byo-miniport.md). It registers its own NDIS handler table, the way a Windows PF
 * miniport fills NDIS_MINIPORT_DRIVER_CHARACTERISTICS, and starts from the shipped PF's
 * handlers (pf_miniport_ops): replace them one OID at a time with your own.
 *
 * Load it:   sriovsim conform --pf-driver ./libpf_skeleton.so
 *            sriovsim run --pf-driver ./libpf_skeleton.so scenarios/failover.scn
 */
#include "miniport_pf/miniport_pf.h"
#include "ndis_shim/ndis_shim.h"

static struct ndis_miniport_ops skeleton_ops; /* filled in skeleton_create */

/* MiniportOidRequest. `ctx` is the adapter the shipped PF created (struct pf_adapter). */
static ndis_status_t
skeleton_oid_request(void *ctx, struct ndis_oid_request *req)
{
    switch (req->oid) {
    /* case OID_NIC_SWITCH_ALLOCATE_VF: your own handling here ... */
    default:
        return pf_miniport_ops.oid_request(ctx, req);
    }
}

/* MiniportAddDevice + NdisMRegisterMiniportDriver. */
static int
skeleton_create(const struct pf_config *cfg, void **adapter, struct sim_diag *d)
{
    skeleton_ops = pf_miniport_ops;
    skeleton_ops.oid_request = skeleton_oid_request;
    struct pf_config c = *cfg;
    c.ops = &skeleton_ops;
    struct pf_adapter *a = NULL;
    int rc = pf_adapter_create(&c, &a, d);
    *adapter = a;
    return rc;
}

static int
skeleton_destroy(void *adapter)
{
    return pf_adapter_destroy(adapter);
}

static struct ndis_miniport *
skeleton_miniport(void *adapter)
{
    return pf_adapter_miniport(adapter);
}

static const struct pf_driver skeleton = {
    .abi = PF_DRIVER_ABI,
    .name = "pf-skeleton",
    .create = skeleton_create,
    .destroy = skeleton_destroy,
    .miniport = skeleton_miniport,
};

/* DriverEntry: what sriovsim looks up after dlopen. */
const struct pf_driver *sriovsim_pf_driver_entry(void);
const struct pf_driver *
sriovsim_pf_driver_entry(void)
{
    return &skeleton;
}
