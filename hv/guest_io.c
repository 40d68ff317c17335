/* SPDX-License-Identifier: MIT */
/*
 * guest_io.c — what a guest partition's drivers can reach of PCIe functions: the BARs and the
 * configuration space of the functions offered to it over virtual PCI, and nothing else.
 *
 * Windows counterpart: the Hyper-V hypervisor maps an assigned VF's BARs into the guest's
 * second-level address translation (SLAT) only — an access to any other address traps to the
 * hypervisor and reaches no device — and the vPCI VSP in the root serves the guest's
 * configuration-space accesses for the devices it offered, filtering what a guest may not
 * write (the function's identity, and the BARs, which the host programs).
 *
 * Rules (each refusal counted per partition and logged with what was attempted):
 *   - MMIO and config access to a RID this partition was not offered (or whose device left:
 *     not PRESENT / EJECTING) is blocked: reads return all ones, writes reach nothing;
 *   - config writes that touch the header's read-only identity (vendor/device id, revision,
 *     class code, subsystem ids) or the BARs (0x10..0x27, owned by the host) are blocked;
 *   - everything else goes to the fabric as the driver wrote it (command register, MSI-X
 *     control, Device Control including Initiate FLR: the device model applies its own RO/RW
 *     semantics).
 */
#include <string.h>

#include "hv/hv_int.h"

static bool
reaches(const struct hv_partition *g, uint16_t rid)
{
    for (const struct hv_vpci_dev *d = g->vpci_devs; d != NULL; d = d->next)
        if (d->rid == rid && !d->free_pending &&
            (d->state == HV_VPCI_PRESENT || d->state == HV_VPCI_EJECTING))
            return true;
    return false;
}

static int
blocked(struct hv_partition *g, uint64_t *counter, const char *what, uint16_t rid, int bar,
        uint64_t off, unsigned size, const char *why)
{
    char b[PCIE_RID_STRLEN];
    (*counter)++;
    if (bar >= 0)
        SIM_WARN(hv, "%s: %s of %u bytes at %s BAR%d+0x%llx blocked: %s", g->name, what, size,
                 pcie_rid_format(rid, b, sizeof b), bar, (unsigned long long)off, why);
    else
        SIM_WARN(hv, "%s: %s of %u bytes at %s config+0x%03llx blocked: %s", g->name, what, size,
                 pcie_rid_format(rid, b, sizeof b), (unsigned long long)off, why);
    return SIM_EPERM;
}

int
hv_guest_mmio_read(struct hv_partition *g, uint16_t rid, int bar, uint64_t off, unsigned size,
                   uint64_t *val)
{
    if (!g || !val || !g->fabric)
        return SIM_EINVAL;
    if (!reaches(g, rid)) {
        *val = ~UINT64_C(0);
        return blocked(g, &g->io_stats.mmio_blocked, "MMIO read", rid, bar, off, size,
                       "function not assigned to this partition");
    }
    return pcie_mmio_read(g->fabric, rid, bar, off, size, val);
}

int
hv_guest_mmio_write(struct hv_partition *g, uint16_t rid, int bar, uint64_t off, unsigned size,
                    uint64_t val)
{
    if (!g || !g->fabric)
        return SIM_EINVAL;
    if (!reaches(g, rid))
        return blocked(g, &g->io_stats.mmio_blocked, "MMIO write", rid, bar, off, size,
                       "function not assigned to this partition");
    return pcie_mmio_write(g->fabric, rid, bar, off, size, val);
}

int
hv_guest_cfg_read(struct hv_partition *g, uint16_t rid, uint16_t off, unsigned size,
                  uint32_t *val)
{
    if (!g || !val || !g->fabric)
        return SIM_EINVAL;
    if (!reaches(g, rid)) {
        *val = UINT32_MAX;
        return blocked(g, &g->io_stats.cfg_blocked, "config read", rid, -1, off, size,
                       "function not assigned to this partition");
    }
    return pcie_cfg_read(g->fabric, rid, off, size, val);
}

/* Header registers the guest may never write: [lo, hi). */
static const struct {
    uint16_t lo, hi;
    const char *name;
} read_only[] = {
    {0x00, 0x04, "vendor/device id"},
    {0x08, 0x0c, "revision/class code"},
    {0x10, 0x28, "BARs (programmed by the host)"},
    {0x2c, 0x30, "subsystem ids"},
};

int
hv_guest_cfg_write(struct hv_partition *g, uint16_t rid, uint16_t off, unsigned size, uint32_t val)
{
    if (!g || !g->fabric)
        return SIM_EINVAL;
    if (!reaches(g, rid))
        return blocked(g, &g->io_stats.cfg_blocked, "config write", rid, -1, off, size,
                       "function not assigned to this partition");
    for (size_t i = 0; i < SIM_ARRAY_SIZE(read_only); i++)
        if (off < read_only[i].hi && (unsigned)off + size > read_only[i].lo)
            return blocked(g, &g->io_stats.cfg_ro_blocked, "config write", rid, -1, off, size,
                           read_only[i].name);
    return pcie_cfg_write(g->fabric, rid, off, size, val);
}

void
hv_guest_io_stats(const struct hv_partition *g, struct hv_guest_io_stats *out)
{
    if (!out)
        return;
    if (!g) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = g->io_stats;
}
