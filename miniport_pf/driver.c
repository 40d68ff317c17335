/* SPDX-License-Identifier: MIT */
/*
 * driver.c — the PF miniport as a loadable driver (struct pf_driver, miniport_pf.h): the
 * shipped PF's table, and the loader for a user's PF miniport built as a shared library.
 *
 * Windows counterpart: the PnP manager loading a miniport's .sys and calling its DriverEntry,
 * which registers its characteristics (NdisMRegisterMiniportDriver); MiniportAddDevice then
 * creates the adapter.
 */
#include <dlfcn.h>
#include <string.h>

#include "miniport_pf/pf_int.h"

static int
shipped_create(const struct pf_config *cfg, void **adapter, struct sim_diag *d)
{
    struct pf_adapter *a = NULL;
    int rc = pf_adapter_create(cfg, &a, d);
    *adapter = a;
    return rc;
}

static int
shipped_destroy(void *adapter)
{
    return pf_adapter_destroy(adapter);
}

static struct ndis_miniport *
shipped_miniport(void *adapter)
{
    return pf_adapter_miniport(adapter);
}

static int
shipped_set_trusted(void *adapter, uint16_t vf_id, bool trusted)
{
    return pf_vf_set_trusted(adapter, vf_id, trusted);
}

static int
shipped_current_mac(const void *adapter, uint16_t vf_id, uint8_t mac[6])
{
    return pf_vf_current_mac(adapter, vf_id, mac);
}

static const char *
shipped_last_refusal(const void *adapter)
{
    return pf_adapter_last_refusal(adapter)->reason;
}

const struct pf_driver pf_driver_shipped = {
    .abi = PF_DRIVER_ABI,
    .name = "sriovsim-pf",
    .create = shipped_create,
    .destroy = shipped_destroy,
    .miniport = shipped_miniport,
    .vf_set_trusted = shipped_set_trusted,
    .vf_current_mac = shipped_current_mac,
    .last_refusal = shipped_last_refusal,
};

int
pf_driver_load(const char *path, const struct pf_driver **out, struct sim_diag *d)
{
    if (path == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "pf_driver_load: NULL argument");
    *out = NULL;
    /* RTLD_NOW: a driver that needs a symbol this program does not have fails here, with the
     * loader's message, not in the middle of a run. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return sim_diag_fail(d, SIM_ENOENT, "cannot load PF driver %s: %s", path, dlerror());
    pf_driver_entry_fn entry;
    void *sym = dlsym(h, PF_DRIVER_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry); /* object pointer -> function pointer (POSIX) */
    if (entry == NULL) {
        dlclose(h);
        return sim_diag_fail(d, SIM_EINVAL, "PF driver %s exports no %s()", path,
                             PF_DRIVER_ENTRY_SYMBOL);
    }
    const struct pf_driver *drv = entry();
    if (drv == NULL || drv->abi != PF_DRIVER_ABI || drv->create == NULL ||
        drv->destroy == NULL || drv->miniport == NULL) {
        dlclose(h);
        return sim_diag_fail(d, SIM_EINVAL,
                             "PF driver %s: %s() returned %s (this sriovsim speaks ABI %u and "
                             "needs create, destroy and miniport)",
                             path, PF_DRIVER_ENTRY_SYMBOL,
                             drv == NULL ? "NULL" : "an unusable table", PF_DRIVER_ABI);
    }
    *out = drv; /* the library stays loaded: the table lives in it */
    return 0;
}
