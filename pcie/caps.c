/* SPDX-License-Identifier: MIT */
/*
 * caps.c — building a function's 4 KiB config space: the type-0 header, the standard
 * capability list (Power Management, MSI-X, PCI Express with FLR capable) and the extended list
 * (AER, Device Serial Number, ARI, SR-IOV), with the access semantics of every register
 * (read-only, read-write, write-1-to-clear; hardware-initialised registers are RO to software).
 * Models what the device's silicon and firmware present to the PCI bus driver at enumeration.
 * Layout follows the example device of ecosystem.md 3.2 (an 82599-like PF and its VFs).
 */
#include <string.h>

#include "pcie/pcie_int.h"

uint32_t
pcie__cfg_get(const struct pcie_fn *fn, uint16_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)fn->cfg[off + i] << (8 * i);
    return v;
}

void
pcie__cfg_put(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t val)
{
    for (unsigned i = 0; i < size; i++)
        fn->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

void
pcie__set_access(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t rw, uint32_t w1c)
{
    for (unsigned i = 0; i < size; i++) {
        fn->rw[off + i] = (uint8_t)(rw >> (8 * i));
        fn->w1c[off + i] = (uint8_t)(w1c >> (8 * i));
    }
}

int
pcie_fn_hw_cfg_write(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t val)
{
    if (!fn || (size != 1 && size != 2 && size != 4) || off % size || off + size > PCIE_CFG_SIZE)
        return SIM_EINVAL;
    pcie__cfg_put(fn, off, size, val);
    return 0;
}

/* BAR registers in the type-0 header (PF) or in the SR-IOV capability (VF BAR templates):
 * address bits above the size are RW, the type bits RO, so writing all-ones reads back the
 * size mask (BAR sizing). */
static void
put_bars(struct pcie_fn *fn, uint16_t base, const struct pcie_bar_desc *bars)
{
    for (int i = 0; i < 6; i++) {
        const struct pcie_bar_desc *b = &bars[i];
        uint16_t off = (uint16_t)(base + 4 * i);
        if (!b->size)
            continue;
        uint32_t type = (b->is_64 ? 0x4u : 0) | (b->prefetchable ? 0x8u : 0);
        uint32_t rw = (uint32_t) ~(b->size - 1) & ~0xfu;
        if (b->size > 0xffffffffull)
            rw = 0;
        pcie__cfg_put(fn, off, 4, type);
        pcie__set_access(fn, off, 4, rw, 0);
        if (b->is_64 && i < 5) {
            uint32_t rw_hi = (uint32_t) ~((b->size - 1) >> 32);
            pcie__set_access(fn, (uint16_t)(off + 4), 4, rw_hi, 0);
            i++;
        }
    }
}

static void
put_header(struct pcie_fn *fn, const struct pcie_pf_config *c, bool vf, uint8_t cap_ptr)
{
    /* Vendor / Device ID: RO. A VF's read 0xffff (SR-IOV spec; ecosystem.md 3.2). */
    pcie__cfg_put(fn, PCIE_CFG_VENDOR_ID, 2, vf ? 0xffff : c->vendor_id);
    pcie__cfg_put(fn, PCIE_CFG_DEVICE_ID, 2, vf ? 0xffff : c->device_id);
    /* Command: PF has Memory Space, Bus Master, Parity, SERR, INTx Disable RW. A VF's Memory
     * Space Enable is RO 0 (VF MMIO follows the PF's VF MSE) and it has no INTx. */
    pcie__set_access(fn, PCIE_CFG_COMMAND, 2, vf ? 0x0144u : 0x0546u, 0);
    /* Status: Capabilities List RO 1; error bits RW1C. */
    pcie__cfg_put(fn, PCIE_CFG_STATUS, 2, PCIE_STATUS_CAP_LIST);
    pcie__set_access(fn, PCIE_CFG_STATUS, 2, 0, 0xf900);
    pcie__cfg_put(fn, PCIE_CFG_REVISION, 1, c->revision);
    pcie__cfg_put(fn, PCIE_CFG_CLASS_PROG, 3, c->class_code ? c->class_code : 0x020000);
    pcie__set_access(fn, 0x0c, 1, 0xff, 0); /* Cache Line Size RW */
    pcie__cfg_put(fn, PCIE_CFG_SUBSYS_VID, 2, c->subsys_vendor_id);
    pcie__cfg_put(fn, PCIE_CFG_SUBSYS_ID, 2, c->subsys_id);
    pcie__cfg_put(fn, PCIE_CFG_CAP_PTR, 1, cap_ptr);
    pcie__set_access(fn, PCIE_CFG_INT_LINE, 1, 0xff, 0);
    pcie__cfg_put(fn, PCIE_CFG_INT_PIN, 1, vf ? 0 : 1); /* INTA for the PF, none for VFs */
    if (!vf)
        put_bars(fn, PCIE_CFG_BAR0, c->bars);
}

static void
put_pm(struct pcie_fn *fn, uint16_t at, uint8_t next)
{
    pcie__cfg_put(fn, at, 1, PCIE_CAP_ID_PM);
    pcie__cfg_put(fn, at + 1, 1, next);
    pcie__cfg_put(fn, at + 2, 2, 0x0003);            /* PMC: version 3 */
    pcie__cfg_put(fn, at + 4, 2, 0x0008);            /* PMCSR: No_Soft_Reset, D0 */
    pcie__set_access(fn, at + 4, 2, 0x0103, 0x8000); /* PowerState, PME_En RW; PME_Status W1C */
}

static void
put_msix(struct pcie_fn *fn, uint16_t at, uint8_t next)
{
    struct pcie_msix *m = &fn->msix;
    m->cap = at;
    pcie__cfg_put(fn, at, 1, PCIE_CAP_ID_MSIX);
    pcie__cfg_put(fn, at + 1, 1, next);
    pcie__cfg_put(fn, at + PCIE_MSIX_FLAGS, 2, (uint32_t)(m->n - 1) & PCIE_MSIX_FLAGS_QSIZE);
    pcie__set_access(fn, at + PCIE_MSIX_FLAGS, 2, PCIE_MSIX_FLAGS_ENABLE | PCIE_MSIX_FLAGS_MASKALL,
                     0);
    pcie__cfg_put(fn, at + PCIE_MSIX_TABLE, 4, m->table_off | (uint32_t)m->bir);
    pcie__cfg_put(fn, at + PCIE_MSIX_PBA, 4, m->pba_off | (uint32_t)m->bir);
}

static void
put_exp(struct pcie_fn *fn, uint16_t at, uint8_t next)
{
    fn->cap_exp = at;
    pcie__cfg_put(fn, at, 1, PCIE_CAP_ID_EXP);
    pcie__cfg_put(fn, at + 1, 1, next);
    pcie__cfg_put(fn, at + 2, 2, 0x0002); /* version 2, Endpoint */
    /* DevCap: MaxPayload 512, RBE, FLR capable (ndis_sriov.md 12.5). */
    pcie__cfg_put(fn, at + PCIE_EXP_DEVCAP, 4, 0x00008002u | PCIE_EXP_DEVCAP_FLR);
    /* DevCtl: RW, bit 15 Initiate FLR (reads 0; the write triggers FLR). */
    pcie__cfg_put(fn, at + PCIE_EXP_DEVCTL, 2, 0x2810);
    pcie__set_access(fn, at + PCIE_EXP_DEVCTL, 2, 0xffff, 0);
    /* DevSta: error-detected bits RW1C, Transactions Pending RO (hardware sets it). */
    pcie__set_access(fn, at + PCIE_EXP_DEVSTA, 2, 0, 0x000f);
    pcie__cfg_put(fn, at + 0x0c, 4, 0x00000083);   /* LnkCap: 8 GT/s x8 */
    pcie__set_access(fn, at + 0x10, 2, 0x0fc3, 0); /* LnkCtl */
    pcie__cfg_put(fn, at + 0x12, 2, 0x0083);       /* LnkSta: 8 GT/s x8 */
    pcie__cfg_put(fn, at + 0x24, 4, 0x0000001f);   /* DevCap2 */
    pcie__set_access(fn, at + 0x28, 2, 0x041f, 0); /* DevCtl2 */
    pcie__cfg_put(fn, at + 0x2c, 4, 0x0000000e);   /* LnkCap2: 2.5/5/8 GT/s */
    pcie__cfg_put(fn, at + 0x30, 2, 0x0003);       /* LnkCtl2: target 8 GT/s */
    pcie__set_access(fn, at + 0x30, 2, 0x003f, 0);
}

static void
ecap_hdr(struct pcie_fn *fn, uint16_t at, uint16_t id, unsigned ver, uint16_t next)
{
    pcie__cfg_put(fn, at, 4, (uint32_t)id | (ver << 16) | ((uint32_t)next << 20));
}

static void
put_aer(struct pcie_fn *fn, uint16_t at)
{
    fn->ecap_aer = at;
    pcie__set_access(fn, at + 0x04, 4, 0, 0x03fff030); /* Uncorrectable Error Status: RW1C */
    pcie__set_access(fn, at + 0x08, 4, 0x03fff030, 0); /* Uncorrectable Error Mask */
    pcie__cfg_put(fn, at + 0x0c, 4, 0x00462030);       /* Severity (spec defaults) */
    pcie__set_access(fn, at + 0x0c, 4, 0x03fff030, 0);
    pcie__set_access(fn, at + 0x10, 4, 0, 0x0000f1c1); /* Correctable Error Status: RW1C */
    pcie__cfg_put(fn, at + 0x14, 4, 0x00002000);       /* Correctable Error Mask */
    pcie__set_access(fn, at + 0x14, 4, 0x0000f1c1, 0);
    pcie__set_access(fn, at + 0x18, 4, 0x00000140, 0); /* ECRC enables */
}

static void
put_dsn(struct pcie_fn *fn, uint16_t at, uint64_t dsn)
{
    fn->ecap_dsn = at;
    pcie__cfg_put(fn, at + 4, 4, (uint32_t)dsn);
    pcie__cfg_put(fn, at + 8, 4, (uint32_t)(dsn >> 32));
}

static void
put_ari(struct pcie_fn *fn, uint16_t at)
{
    fn->ecap_ari = at;
    pcie__cfg_put(fn, at + 4, 2, 0); /* ARI Capability: Next Function Number 0 (last PF) */
}

static void
put_sriov(struct pcie_fn *pf, uint16_t at)
{
    const struct pcie_pf_config *c = &pf->pfx->cfg;
    pf->ecap_sriov = at;
    pcie__cfg_put(pf, at + PCIE_SRIOV_CAP, 4, 0); /* no VF Migration, no 10-bit tags */
    /* Control: VF Enable, VF MSE and ARI Capable Hierarchy RW (ARI is RW in the lowest
     * numbered PF; ours is the only PF of its device). Migration bits RO 0. */
    pcie__set_access(pf, at + PCIE_SRIOV_CTRL, 2,
                     PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE | PCIE_SRIOV_CTRL_ARI, 0);
    pcie__cfg_put(pf, at + PCIE_SRIOV_INITIAL_VF, 2, c->initial_vfs);
    pcie__cfg_put(pf, at + PCIE_SRIOV_TOTAL_VF, 2, c->total_vfs);
    pcie__set_access(pf, at + PCIE_SRIOV_NUM_VF, 2, 0xffff, 0); /* NumVFs RW */
    pcie__cfg_put(pf, at + PCIE_SRIOV_FUNC_LINK, 1, c->func_dep_link);
    pcie__cfg_put(pf, at + PCIE_SRIOV_VF_OFFSET, 2, c->vf_offset_non_ari);
    pcie__cfg_put(pf, at + PCIE_SRIOV_VF_STRIDE, 2, c->vf_stride_non_ari);
    pcie__cfg_put(pf, at + PCIE_SRIOV_VF_DID, 2, c->vf_device_id);
    pcie__cfg_put(pf, at + PCIE_SRIOV_SUP_PGSIZE, 4, c->supported_page_sizes);
    pcie__cfg_put(pf, at + PCIE_SRIOV_SYS_PGSIZE, 4, 1); /* 4 KiB at reset */
    pcie__set_access(pf, at + PCIE_SRIOV_SYS_PGSIZE, 4, c->supported_page_sizes, 0);
    put_bars(pf, at + PCIE_SRIOV_BAR, c->vf_bars);
}

/* An extended capability to place: id, version, size, preferred offset (0 = anywhere). */
struct ecap_slot {
    uint16_t id;
    unsigned ver;
    uint16_t size;
    uint16_t at;
};

static bool
overlaps(uint16_t a, uint16_t alen, uint16_t b, uint16_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Place the extended capabilities: fixed ones (at != 0 and `fixed`) first, the others at their
 * preferred offset or the next free 16-byte aligned slot; then chain them by offset. */
static int
place_ecaps(struct ecap_slot *s, int n, int fixed_idx, struct sim_diag *d)
{
    for (int i = 0; i < n; i++) {
        if (i == fixed_idx)
            continue;
        uint16_t at = s[i].at;
        for (;;) {
            bool clash = false;
            for (int j = 0; j < n; j++) {
                bool placed = j == fixed_idx || j < i;
                if (j == i || !placed)
                    continue;
                if (overlaps(at, s[i].size, s[j].at, s[j].size)) {
                    at = (uint16_t)((s[j].at + s[j].size + 15) & ~15);
                    clash = true;
                }
            }
            if (!clash)
                break;
        }
        if (at + s[i].size > PCIE_CFG_SIZE)
            return sim_diag_fail(d, SIM_EINVAL, "extended capabilities do not fit in 4 KiB");
        s[i].at = at;
    }
    /* Sort by offset (tiny n: insertion sort). */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j].at < s[j - 1].at; j--) {
            struct ecap_slot t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return 0;
}

static void
write_ecaps(struct pcie_fn *fn, const struct ecap_slot *s, int n)
{
    for (int i = 0; i < n; i++) {
        uint16_t next = i + 1 < n ? s[i + 1].at : 0;
        ecap_hdr(fn, s[i].at, s[i].id, s[i].ver, next);
        switch (s[i].id) {
        case PCIE_EXT_CAP_ID_AER:
            put_aer(fn, s[i].at);
            break;
        case PCIE_EXT_CAP_ID_DSN:
            put_dsn(fn, s[i].at, fn->pf->pfx->cfg.dsn);
            break;
        case PCIE_EXT_CAP_ID_ARI:
            put_ari(fn, s[i].at);
            break;
        case PCIE_EXT_CAP_ID_SRIOV:
            put_sriov(fn, s[i].at);
            break;
        default:
            break;
        }
    }
}

int
pcie__build_pf(struct pcie_fn *pf, struct sim_diag *d)
{
    const struct pcie_pf_config *c = &pf->pfx->cfg;
    memset(pf->cfg, 0, sizeof(pf->cfg));
    memset(pf->rw, 0, sizeof(pf->rw));
    memset(pf->w1c, 0, sizeof(pf->w1c));
    memcpy(pf->bars, c->bars, sizeof(pf->bars));

    put_header(pf, c, false, PCIE_PF_CAP_PM);
    uint8_t after_pm = pf->msix.n ? PCIE_PF_CAP_MSIX : PCIE_PF_CAP_EXP;
    pf->cap_pm = PCIE_PF_CAP_PM;
    put_pm(pf, PCIE_PF_CAP_PM, after_pm);
    if (pf->msix.n)
        put_msix(pf, PCIE_PF_CAP_MSIX, PCIE_PF_CAP_EXP);
    put_exp(pf, PCIE_PF_CAP_EXP, 0);

    struct ecap_slot s[4];
    int n = 0, fixed = -1;
    if (c->total_vfs) {
        fixed = n;
        s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_SRIOV, 1, PCIE_SRIOV_SIZEOF,
                                    c->sriov_offset ? c->sriov_offset : PCIE_ECAP_SRIOV_PREF};
    }
    s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_AER, 2, PCIE_ECAP_AER_SIZE, PCIE_ECAP_AER_PREF};
    if (c->dsn)
        s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_DSN, 1, PCIE_ECAP_DSN_SIZE, PCIE_ECAP_DSN_PREF};
    if (c->ari)
        s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_ARI, 1, PCIE_ECAP_ARI_SIZE, PCIE_ECAP_ARI_PREF};
    int err = place_ecaps(s, n, fixed, d);
    if (err)
        return err;
    write_ecaps(pf, s, n);
    memcpy(pf->cfg_reset, pf->cfg, sizeof(pf->cfg));
    return 0;
}

void
pcie__build_vf(struct pcie_fn *vf)
{
    const struct pcie_pf_config *c = &vf->pf->pfx->cfg;
    memset(vf->cfg, 0, sizeof(vf->cfg));
    memset(vf->rw, 0, sizeof(vf->rw));
    memset(vf->w1c, 0, sizeof(vf->w1c));
    memcpy(vf->bars, c->vf_bars, sizeof(vf->bars));
    put_header(vf, c, true, vf->msix.n ? PCIE_VF_CAP_MSIX : PCIE_VF_CAP_EXP);
    if (vf->msix.n)
        put_msix(vf, PCIE_VF_CAP_MSIX, PCIE_VF_CAP_EXP);
    put_exp(vf, PCIE_VF_CAP_EXP, 0);
    struct ecap_slot s[2];
    int n = 0;
    s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_AER, 2, PCIE_ECAP_AER_SIZE, PCIE_ECAP_AER_PREF};
    if (c->ari)
        s[n++] = (struct ecap_slot){PCIE_EXT_CAP_ID_ARI, 1, PCIE_ECAP_ARI_SIZE, PCIE_ECAP_ARI_PREF};
    (void)place_ecaps(s, n, -1, NULL); /* fixed small layout: cannot fail */
    write_ecaps(vf, s, n);
    memcpy(vf->cfg_reset, vf->cfg, sizeof(vf->cfg));
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t
pow2_at_least(uint64_t v)
{
    uint64_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static void
bar_addr_put(struct pcie_fn *fn, uint16_t off, const struct pcie_bar_desc *b, uint64_t addr)
{
    uint32_t lo = pcie__cfg_get(fn, off, 4);
    pcie__cfg_put(fn, off, 4, (lo & 0xfu) | ((uint32_t)addr & ~0xfu));
    if (b->is_64)
        pcie__cfg_put(fn, (uint16_t)(off + 4), 4, (uint32_t)(addr >> 32));
}

/* "Firmware" resource assignment (what the BIOS / Windows PnP arbiter does): PF BARs, then each
 * IOV BAR (per-VF size x TotalVFs), naturally aligned, upward from bar_base. */
void
pcie__assign_bars(struct pcie_fn *pf)
{
    struct pcie_pf_ext *x = pf->pfx;
    const struct pcie_pf_config *c = &x->cfg;
    uint64_t next = c->bar_base ? c->bar_base : 0xf8000000ull;
    for (int i = 0; i < 6; i++) {
        const struct pcie_bar_desc *b = &c->bars[i];
        if (!b->size)
            continue;
        next = align_up(next, b->size);
        bar_addr_put(pf, (uint16_t)(PCIE_CFG_BAR0 + 4 * i), b, next);
        next += b->size;
        if (b->is_64)
            i++;
    }
    if (!pf->ecap_sriov)
        return;
    for (int i = 0; i < 6; i++) {
        const struct pcie_bar_desc *b = &c->vf_bars[i];
        if (!b->size)
            continue;
        uint64_t total = b->size * c->total_vfs;
        next = align_up(next, pow2_at_least(total));
        x->vf_bar_base[i] = next;
        bar_addr_put(pf, (uint16_t)(pf->ecap_sriov + PCIE_SRIOV_BAR + 4 * i), b, next);
        next += total;
        if (b->is_64)
            i++;
    }
}
