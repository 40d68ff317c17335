/* SPDX-License-Identifier: MIT */
/*
 * config.c — config-space and MMIO accesses as a driver issues them: per-register access
 * semantics (RO / RW / RW1C; hardware-initialised registers are RO to software), the side
 * effects of the registers that have them (Initiate FLR, MSI-X Message Control, SR-IOV Control,
 * NumVFs) and the all-ones answer of a function that is absent, resetting or removed.
 * Windows counterpart: the PCI bus driver's config access (HalGetBusData / BUS_INTERFACE_STANDARD
 * and OID_SRIOV_READ/WRITE_VF_CONFIG_SPACE) and MMIO through mapped BARs (READ/WRITE_REGISTER_*).
 */
#include <string.h>

#include "pcie/pcie_int.h"

static bool
touches(uint16_t off, unsigned size, uint16_t reg, unsigned regsize)
{
    return reg && off < reg + regsize && reg < off + size;
}

bool
pcie__mem_enabled(const struct pcie_fn *fn)
{
    if (fn->vf_index < 0)
        return (pcie__cfg_get(fn, PCIE_CFG_COMMAND, 2) & PCIE_CMD_MEMORY) != 0;
    const struct pcie_fn *pf = fn->pf;
    return pf->ecap_sriov &&
           (pcie__cfg_get(pf, pf->ecap_sriov + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_MSE);
}

bool
pcie__bus_master(const struct pcie_fn *fn)
{
    return (pcie__cfg_get(fn, PCIE_CFG_COMMAND, 2) & PCIE_CMD_MASTER) != 0;
}

static bool
cfg_args_ok(uint16_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off % size == 0 && off < PCIE_CFG_SIZE;
}

int
pcie_cfg_read(struct pcie_fabric *f, uint16_t rid, uint16_t off, unsigned size, uint32_t *val)
{
    if (!f || !val || !cfg_args_ok(off, size))
        return SIM_EINVAL;
    f->stats.cfg_reads++;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!pcie__fn_answers(fn)) {
        /* Unsupported Request / Completion timeout: the root complex returns all-ones. */
        f->stats.cfg_absent_reads++;
        *val = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        return SIM_ENODEV;
    }
    *val = pcie__cfg_get(fn, off, size);
    return 0;
}

/* Bits that are writable right now: the static RW mask, minus the SR-IOV registers the spec
 * freezes while VF Enable is set (NumVFs, System Page Size, ARI Capable Hierarchy). */
static uint8_t
dyn_rw(const struct pcie_fn *fn, uint16_t o)
{
    uint8_t m = fn->rw[o];
    uint16_t s = fn->ecap_sriov;
    if (s && fn->vf_index < 0 &&
        (pcie__cfg_get(fn, s + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_VFE)) {
        if (o >= s + PCIE_SRIOV_NUM_VF && o < s + PCIE_SRIOV_NUM_VF + 2)
            m = 0;
        if (o >= s + PCIE_SRIOV_SYS_PGSIZE && o < s + PCIE_SRIOV_SYS_PGSIZE + 4)
            m = 0;
        if (o == s + PCIE_SRIOV_CTRL)
            m &= (uint8_t)~PCIE_SRIOV_CTRL_ARI;
    }
    return m;
}

static void
sriov_written(struct pcie_fn *pf, uint16_t off, unsigned size, uint16_t old_ctrl, uint16_t old_num)
{
    uint16_t s = pf->ecap_sriov;
    struct pcie_pf_ext *x = pf->pfx;
    uint16_t num = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_NUM_VF, 2);
    if (num != old_num && num > x->cfg.total_vfs) {
        /* NumVFs beyond TotalVFs is undefined in the spec; this device keeps the old value. */
        char b[PCIE_RID_STRLEN];
        SIM_DEBUG(pcie, "%s: NumVFs %u > TotalVFs %u ignored",
                  pcie_rid_format(pf->rid, b, sizeof(b)), num, x->cfg.total_vfs);
        pcie__cfg_put(pf, s + PCIE_SRIOV_NUM_VF, 2, old_num);
        num = old_num;
    }
    uint16_t ctrl = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2);
    if (num != old_num || ((ctrl ^ old_ctrl) & PCIE_SRIOV_CTRL_ARI))
        pcie__sriov_layout(pf); /* First VF Offset / VF Stride may change: re-read them */
    if (touches(off, size, s + PCIE_SRIOV_CTRL, 2)) {
        bool was = old_ctrl & PCIE_SRIOV_CTRL_VFE, now = ctrl & PCIE_SRIOV_CTRL_VFE;
        if (!was && now)
            pcie__vfs_enable(pf);
        else if (was && !now)
            pcie__vfs_disable(pf, false, true);
    }
}

int
pcie_cfg_write(struct pcie_fabric *f, uint16_t rid, uint16_t off, unsigned size, uint32_t val)
{
    if (!f || !cfg_args_ok(off, size))
        return SIM_EINVAL;
    f->stats.cfg_writes++;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!pcie__fn_answers(fn)) {
        f->stats.cfg_dropped_writes++;
        return SIM_ENODEV;
    }
    uint16_t s = fn->vf_index < 0 ? fn->ecap_sriov : 0;
    uint16_t old_ctrl = s ? (uint16_t)pcie__cfg_get(fn, s + PCIE_SRIOV_CTRL, 2) : 0;
    uint16_t old_num = s ? (uint16_t)pcie__cfg_get(fn, s + PCIE_SRIOV_NUM_VF, 2) : 0;

    for (unsigned i = 0; i < size; i++) {
        uint16_t o = (uint16_t)(off + i);
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t rwm = dyn_rw(fn, o);
        uint8_t v = (uint8_t)((fn->cfg[o] & ~rwm) | (b & rwm));
        v &= (uint8_t) ~(b & fn->w1c[o]);
        fn->cfg[o] = v;
    }

    /* Initiate FLR: reads 0; the write starts the reset (ndis_sriov.md 12.5). */
    uint16_t devctl = (uint16_t)(fn->cap_exp + PCIE_EXP_DEVCTL);
    if (touches(off, size, devctl, 2)) {
        uint16_t v = (uint16_t)pcie__cfg_get(fn, devctl, 2);
        if (v & PCIE_EXP_DEVCTL_BCR_FLR) {
            pcie__cfg_put(fn, devctl, 2, v & (uint16_t)~PCIE_EXP_DEVCTL_BCR_FLR);
            pcie__flr_start(fn);
            return 0; /* config space is back at reset values; nothing else applies */
        }
    }
    if (fn->msix.n && touches(off, size, (uint16_t)(fn->msix.cap + PCIE_MSIX_FLAGS), 2))
        pcie__msix_ctrl_written(fn);
    if (s && touches(off, size, s, PCIE_SRIOV_SIZEOF))
        sriov_written(fn, off, size, old_ctrl, old_num);
    return 0;
}

uint16_t
pcie_cfg_find_cap(struct pcie_fabric *f, uint16_t rid, uint16_t id, bool ext)
{
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!pcie__fn_answers(fn))
        return 0;
    if (!ext) {
        uint16_t p = fn->cfg[PCIE_CFG_CAP_PTR] & 0xfc;
        for (int guard = 0; p && guard < 48; guard++) {
            if (fn->cfg[p] == id)
                return p;
            p = fn->cfg[p + 1] & 0xfc;
        }
        return 0;
    }
    uint16_t p = PCIE_CFG_EXT_START;
    for (int guard = 0; p && guard < 960; guard++) {
        uint32_t h = pcie__cfg_get(fn, p, 4);
        if (h == 0 || h == 0xffffffffu)
            return 0;
        if ((h & 0xffff) == id)
            return p;
        p = (uint16_t)((h >> 20) & 0xffc);
        if (p < PCIE_CFG_EXT_START)
            return 0;
    }
    return 0;
}

int
pcie_fn_enable(struct pcie_fabric *f, uint16_t rid)
{
    uint32_t cmd;
    int err = pcie_cfg_read(f, rid, PCIE_CFG_COMMAND, 2, &cmd);
    if (err)
        return err;
    return pcie_cfg_write(f, rid, PCIE_CFG_COMMAND, 2, cmd | PCIE_CMD_MEMORY | PCIE_CMD_MASTER);
}

/* ---- MMIO --------------------------------------------------------------------------------- */

static uint64_t
all_ones(unsigned size)
{
    return size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

static int
mmio_access(struct pcie_fabric *f, uint16_t rid, int bar, uint64_t off, unsigned size, bool write,
            uint64_t *val)
{
    if (!f || bar < 0 || bar > 5 || (size != 1 && size != 2 && size != 4 && size != 8) ||
        off % size)
        return SIM_EINVAL;
    if (write)
        f->stats.mmio_writes++;
    else
        f->stats.mmio_reads++;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    int err = 0;
    if (!pcie__fn_answers(fn) || !pcie__mem_enabled(fn))
        err = SIM_ENODEV;
    else if (!fn->bars[bar].size || off + size > fn->bars[bar].size)
        err = SIM_ERANGE;
    if (err) {
        if (write)
            f->stats.mmio_dropped_writes++;
        else {
            f->stats.mmio_absent_reads++;
            *val = all_ones(size);
        }
        return err;
    }
    if (pcie__msix_mmio(fn, bar, off, size, write, val))
        return 0;

    struct pcie_fn *pf = fn->pf;
    struct pcie_pf_ext *x = pf->pfx;
    uint64_t epoch = fn->epoch;
    x->busy++;
    if (write) {
        if (x->ops.mmio_write)
            x->ops.mmio_write(x->ctx, fn, bar, off, size, *val);
    } else {
        *val = 0;
        if (x->ops.mmio_read)
            x->ops.mmio_read(x->ctx, fn, bar, off, size, val);
        *val &= all_ones(size);
    }
    x->busy--;
    /* Removed (or reset) while the access was in flight: the completion never comes back, the
     * root complex times out and answers all-ones. */
    if (fn->epoch != epoch || !pcie__fn_answers(fn)) {
        f->stats.mmio_aborted++;
        if (!write)
            *val = all_ones(size);
        err = SIM_ENODEV;
    }
    if (x->destroy_deferred && x->busy == 0) {
        x->destroy_deferred = false;
        pcie_pf_destroy(pf);
    }
    return err;
}

int
pcie_mmio_read(struct pcie_fabric *f, uint16_t rid, int bar, uint64_t off, unsigned size,
               uint64_t *val)
{
    if (!val)
        return SIM_EINVAL;
    return mmio_access(f, rid, bar, off, size, false, val);
}

int
pcie_mmio_write(struct pcie_fabric *f, uint16_t rid, int bar, uint64_t off, unsigned size,
                uint64_t val)
{
    return mmio_access(f, rid, bar, off, size, true, &val);
}
