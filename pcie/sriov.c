/* SPDX-License-Identifier: MIT */
/*
 * sriov.c — Physical Functions and their Virtual Functions: PF registration by a device
 * model, the SR-IOV capability's behaviour (NumVFs, First VF Offset / VF Stride re-computed
 * after NumVFs or ARI changes, VF Enable creating and removing VFs at their Routing IDs, the
 * 100 ms VF Enable delay), and the OS-side enable/disable logic that NdisMEnableVirtualization
 * (Linux sriov_enable) performs. Facts: ndis_sriov.md 12.2-12.4.
 */
#include <string.h>

#include "pcie/pcie_int.h"

#define PCIE_MAX_TOTAL_VFS 2048 /* simulator limit: VFs are preallocated per PF */

int
pcie_sriov_vf_rid(uint16_t pf_rid, uint16_t offset, uint16_t stride, uint16_t i, uint16_t *rid)
{
    /* RID(VF n) = PF RID + First VF Offset + (n-1) x VF Stride, 1-based n (12.3); carries
     * into the bus number. */
    uint32_t r = (uint32_t)pf_rid + offset + (uint32_t)i * stride;
    if (r > 0xffff)
        return SIM_ERANGE;
    if (rid)
        *rid = (uint16_t)r;
    return 0;
}

uint8_t
pcie__default_bus_limit(const struct pcie_pf_config *c)
{
    unsigned last = PCIE_RID_BUS(c->rid);
    if (c->total_vfs) {
        uint32_t a = (uint32_t)c->rid + c->vf_offset + (uint32_t)(c->total_vfs - 1) * c->vf_stride;
        uint32_t b = (uint32_t)c->rid + c->vf_offset_non_ari +
                     (uint32_t)(c->total_vfs - 1) * c->vf_stride_non_ari;
        uint32_t m = a > b ? a : b;
        last = m > 0xffff ? 0xff : (m >> 8);
    }
    return (uint8_t)last;
}

bool
pcie__vf_routable(const struct pcie_fn *pf, uint16_t rid, bool ari)
{
    if (PCIE_RID_BUS(rid) > pf->pfx->bus_limit || PCIE_RID_BUS(rid) < PCIE_RID_BUS(pf->rid))
        return false;
    /* Without ARI the function number has 3 bits: only functions 0-7 of the PF's device are
     * reachable ("1 PF + 7 VF non-ARI", ndis_sriov.md 12.3). (INFERRED simplification.) */
    if (!ari &&
        (PCIE_RID_BUS(rid) != PCIE_RID_BUS(pf->rid) || PCIE_RID_DEV(rid) != PCIE_RID_DEV(pf->rid)))
        return false;
    return true;
}

void
pcie__sriov_layout(struct pcie_fn *pf)
{
    struct pcie_pf_ext *x = pf->pfx;
    uint16_t s = pf->ecap_sriov;
    bool ari = pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_ARI;
    uint16_t num = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_NUM_VF, 2);
    uint16_t off = ari ? x->cfg.vf_offset : x->cfg.vf_offset_non_ari;
    uint16_t stride = ari ? x->cfg.vf_stride : x->cfg.vf_stride_non_ari;
    if (x->ops.sriov_layout)
        x->ops.sriov_layout(x->ctx, pf, num, ari, &off, &stride);
    pcie__cfg_put(pf, s + PCIE_SRIOV_VF_OFFSET, 2, off);
    pcie__cfg_put(pf, s + PCIE_SRIOV_VF_STRIDE, 2, stride);
}

static void
vf_ready_cb(struct sim_timer *t)
{
    struct pcie_fn *pf = t->data;
    struct pcie_pf_ext *x = pf->pfx;
    x->vfs_ready = true;
    for (uint16_t i = 0; i < x->num_vfs; i++) {
        struct pcie_fn *vf = x->vfs[i];
        if (vf->state != PCIE_FN_NOT_READY)
            continue;
        vf->state = PCIE_FN_READY;
        struct pcie_event ev = {.type = PCIE_EV_FN_ADDED, .rid = vf->rid, .is_vf = true};
        pcie__emit(pf->fabric, &ev);
    }
}

void
pcie__vfs_enable(struct pcie_fn *pf)
{
    struct pcie_fabric *f = pf->fabric;
    struct pcie_pf_ext *x = pf->pfx;
    uint16_t s = pf->ecap_sriov;
    char b[PCIE_RID_STRLEN], vb[PCIE_RID_STRLEN];
    pcie_rid_format(pf->rid, b, sizeof(b));
    if (f->knobs.vf_enable_ignored) {
        SIM_INFO(pcie, "%s: VF Enable ignored (knob vf_enable_ignored)", b);
        return;
    }
    uint16_t num = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_NUM_VF, 2);
    uint16_t off = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_VF_OFFSET, 2);
    uint16_t stride = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_VF_STRIDE, 2);
    bool ari = pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2) & PCIE_SRIOV_CTRL_ARI;
    x->num_vfs = 0;
    x->vfs_ready = false;
    for (uint16_t i = 0; i < num; i++) {
        uint16_t rid;
        if (pcie_sriov_vf_rid(pf->rid, off, stride, i, &rid)) {
            SIM_WARN(pcie, "%s: VF %u would have a RID past ff:1f.7; VFs %u.. not created", b,
                     i + 1, i + 1);
            break;
        }
        struct pcie_fn *vf = x->vfs[i];
        vf->rid = rid;
        vf->drvdata = NULL;
        vf->epoch++;
        pcie__build_vf(vf);
        pcie__msix_reset(vf, false);
        if (f->by_rid[rid]) {
            /* Another function answers at this RID (e.g. offset 0 aliases the PF): the VF
             * exists in the device but no request can reach it. */
            SIM_WARN(pcie, "%s: VF %u RID %s clashes with a present function", b, i + 1,
                     pcie_rid_format(rid, vb, sizeof(vb)));
            vf->state = PCIE_FN_ABSENT;
        } else {
            pcie__link(vf);
            vf->state = pcie__vf_routable(pf, rid, ari) ? PCIE_FN_NOT_READY : PCIE_FN_UNREACHABLE;
        }
        x->num_vfs = (uint16_t)(i + 1);
        f->stats.vfs_created++;
        if (x->ops.vf_added)
            x->ops.vf_added(x->ctx, vf);
    }
    SIM_DEBUG(pcie, "%s: VF Enable: %u VFs at offset %u stride %u (%s)", b, x->num_vfs, off, stride,
              ari ? "ARI" : "non-ARI");
    sim_time_t delay = PCIE_VF_ENABLE_DELAY_NS + f->knobs.vf_ready_extra_ns;
    if (sim_timer_start(&x->vf_ready_timer, delay) != 0) {
        SIM_ERROR(pcie, "%s: cannot arm the VF Enable delay timer; VFs ready at once", b);
        vf_ready_cb(&x->vf_ready_timer);
    }
    struct pcie_event ev = {.type = PCIE_EV_VFS_ENABLED, .rid = pf->rid, .num_vfs = x->num_vfs};
    pcie__emit(f, &ev);
}

void
pcie__vfs_disable(struct pcie_fn *pf, bool surprise, bool emit)
{
    struct pcie_fabric *f = pf->fabric;
    struct pcie_pf_ext *x = pf->pfx;
    uint16_t n = x->num_vfs;
    sim_timer_stop(&x->vf_ready_timer);
    while (x->num_vfs) {
        struct pcie_fn *vf = x->vfs[x->num_vfs - 1];
        bool announced =
            vf->linked && (vf->state == PCIE_FN_READY || vf->state == PCIE_FN_IN_RESET);
        pcie__fn_quiesce(vf);
        pcie__unlink(vf);
        vf->state = PCIE_FN_ABSENT;
        x->num_vfs--;
        f->stats.vfs_destroyed++;
        if (x->ops.vf_removed)
            x->ops.vf_removed(x->ctx, vf);
        vf->drvdata = NULL;
        if (announced && emit) {
            struct pcie_event ev = {
                .type = PCIE_EV_FN_REMOVED, .rid = vf->rid, .is_vf = true, .surprise = surprise};
            pcie__emit(f, &ev);
        }
    }
    if (n && emit) {
        struct pcie_event ev = {.type = PCIE_EV_VFS_DISABLED, .rid = pf->rid, .num_vfs = n};
        pcie__emit(f, &ev);
    }
}

/* ---- VF objects --------------------------------------------------------------------------- */

int
pcie__vf_alloc(struct pcie_fn *pf, uint16_t i)
{
    const struct pcie_pf_config *c = &pf->pfx->cfg;
    struct pcie_fn *vf = sim_calloc(SIM_TAG(pcie_fn), 1, sizeof(*vf));
    if (!vf)
        return SIM_ENOMEM;
    vf->fabric = pf->fabric;
    vf->pf = pf;
    vf->vf_index = i;
    vf->state = PCIE_FN_ABSENT;
    if (c->vf_msix_vectors && pcie__msix_init(vf, c->vf_msix_vectors, c->vf_msix_bar,
                                              c->vf_msix_table_offset, c->vf_msix_pba_offset)) {
        sim_free(vf);
        return SIM_ENOMEM;
    }
    pcie__fn_timers_init(vf);
    pf->pfx->vfs[i] = vf;
    return 0;
}

void
pcie__fn_free(struct pcie_fn *fn)
{
    if (!fn)
        return;
    pcie__msix_fini(fn);
    sim_free(fn);
}

/* ---- PF registration ---------------------------------------------------------------------- */

static bool
is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static int
check_bars(const struct pcie_bar_desc *bars, uint64_t min, const char *what, struct sim_diag *d)
{
    for (int i = 0; i < 6; i++) {
        const struct pcie_bar_desc *b = &bars[i];
        if (!b->size)
            continue;
        if (!is_pow2(b->size) || b->size < min)
            return sim_diag_fail(d, SIM_EINVAL,
                                 "%s%d size 0x%llx: must be a power of two >= 0x%llx", what, i,
                                 (unsigned long long)b->size, (unsigned long long)min);
        if (!b->is_64 && b->size > 0x80000000ull)
            return sim_diag_fail(d, SIM_EINVAL, "%s%d: a 32-bit BAR cannot be larger than 2 GiB",
                                 what, i);
        if (b->is_64) {
            if (i == 5 || bars[i + 1].size)
                return sim_diag_fail(d, SIM_EINVAL,
                                     "%s%d is 64-bit: it needs %s%d free for its upper half", what,
                                     i, what, i + 1);
            i++;
        }
    }
    return 0;
}

static int
check_msix(uint16_t n, uint8_t bir, uint32_t toff, uint32_t poff, const struct pcie_bar_desc *bars,
           const char *who, struct sim_diag *d)
{
    if (!n)
        return 0;
    if (n > 2048)
        return sim_diag_fail(d, SIM_EINVAL, "%s MSI-X: %u vectors, at most 2048", who, n);
    if (bir > 5 || !bars[bir].size)
        return sim_diag_fail(d, SIM_EINVAL, "%s MSI-X: BIR %u names no BAR", who, bir);
    uint64_t tlen = (uint64_t)n * PCIE_MSIX_ENTRY_SIZE, plen = ((n + 63u) / 64u) * 8u;
    if (toff % 8 || poff % 8)
        return sim_diag_fail(d, SIM_EINVAL, "%s MSI-X: table/PBA offsets must be 8-aligned", who);
    if (toff + tlen > bars[bir].size || poff + plen > bars[bir].size)
        return sim_diag_fail(d, SIM_EINVAL, "%s MSI-X: table or PBA does not fit in BAR%u", who,
                             bir);
    if (toff < poff + plen && poff < toff + tlen)
        return sim_diag_fail(d, SIM_EINVAL, "%s MSI-X: table and PBA overlap", who);
    return 0;
}

/* Fill defaults into c and validate it. */
static int
pf_config_normalize(struct pcie_fabric *f, struct pcie_pf_config *c, struct sim_diag *d)
{
    char b[PCIE_RID_STRLEN];
    pcie_rid_format(c->rid, b, sizeof(b));
    if (c->vendor_id == 0xffff || c->vendor_id == 0)
        return sim_diag_fail(d, SIM_EINVAL, "PF %s: vendor_id 0x%04x is not a valid vendor", b,
                             c->vendor_id);
    if (f->by_rid[c->rid])
        return sim_diag_fail(d, SIM_EEXIST, "PF %s: a function already answers at that RID", b);
    for (struct pcie_fn *p = f->pfs; p; p = p->pfx->next)
        if (p->rid == c->rid)
            return sim_diag_fail(d, SIM_EEXIST, "PF %s: a (removed) PF is registered there", b);
    int err = check_bars(c->bars, 16, "BAR", d);
    if (err)
        return err;
    if (!c->msix_table_offset && !c->msix_pba_offset && c->msix_vectors) {
        c->msix_table_offset = 0x2000;
        c->msix_pba_offset = 0x3000;
    }
    err = check_msix(c->msix_vectors, c->msix_bar, c->msix_table_offset, c->msix_pba_offset,
                     c->bars, "PF", d);
    if (err)
        return err;
    if (!c->total_vfs)
        return 0;
    if (c->total_vfs > PCIE_MAX_TOTAL_VFS)
        return sim_diag_fail(d, SIM_EINVAL, "PF %s: TotalVFs %u above the simulator's limit %u", b,
                             c->total_vfs, PCIE_MAX_TOTAL_VFS);
    if (!c->initial_vfs)
        c->initial_vfs = c->total_vfs;
    if (c->initial_vfs > c->total_vfs)
        return sim_diag_fail(d, SIM_EINVAL, "PF %s: InitialVFs %u > TotalVFs %u", b, c->initial_vfs,
                             c->total_vfs);
    if (!c->vf_offset_non_ari && !c->vf_stride_non_ari) {
        c->vf_offset_non_ari = c->vf_offset;
        c->vf_stride_non_ari = c->vf_stride;
    }
    if (!c->func_dep_link)
        c->func_dep_link = (uint8_t)PCIE_RID_DEVFN(c->rid);
    if (!c->supported_page_sizes)
        c->supported_page_sizes = 0x553;
    if (!(c->supported_page_sizes & 1))
        return sim_diag_fail(d, SIM_EINVAL, "PF %s: supported page sizes must include 4 KiB", b);
    if (c->sriov_offset && (c->sriov_offset < PCIE_CFG_EXT_START || c->sriov_offset % 4 ||
                            c->sriov_offset + PCIE_SRIOV_SIZEOF > PCIE_CFG_SIZE))
        return sim_diag_fail(d, SIM_EINVAL,
                             "PF %s: SR-IOV capability offset 0x%x must be dword aligned in "
                             "0x100..0xfc0",
                             b, c->sriov_offset);
    err = check_bars(c->vf_bars, PCIE_IOMMU_PAGE_SIZE, "VF BAR", d);
    if (err)
        return err;
    if (c->vf_msix_vectors && !c->vf_msix_table_offset && !c->vf_msix_pba_offset)
        c->vf_msix_pba_offset = 0x2000;
    err = check_msix(c->vf_msix_vectors, c->vf_msix_bar, c->vf_msix_table_offset,
                     c->vf_msix_pba_offset, c->vf_bars, "VF", d);
    if (err)
        return err;
    if (!c->bus_limit)
        c->bus_limit = pcie__default_bus_limit(c);
    return 0;
}

static void pf_free(struct pcie_fn *pf);

int
pcie_pf_create(struct pcie_fabric *f, const struct pcie_pf_config *cfg,
               const struct pcie_dev_ops *ops, void *ctx, struct pcie_fn **out, struct sim_diag *d)
{
    if (!f || !cfg || !out)
        return sim_diag_fail(d, SIM_EINVAL, "pcie_pf_create: NULL argument");
    struct pcie_pf_config c = *cfg;
    int err = pf_config_normalize(f, &c, d);
    if (err)
        return err;

    struct pcie_fn *pf = sim_calloc(SIM_TAG(pcie_fn), 1, sizeof(*pf));
    if (!pf)
        goto fail_pf;
    pf->pfx = sim_calloc(SIM_TAG(pcie_fn), 1, sizeof(*pf->pfx));
    if (!pf->pfx)
        goto fail_pfx;
    struct pcie_pf_ext *x = pf->pfx;
    x->cfg = c;
    if (ops)
        x->ops = *ops;
    x->ctx = ctx;
    x->bus_limit = c.bus_limit;
    pf->fabric = f;
    pf->pf = pf;
    pf->vf_index = -1;
    pf->rid = c.rid;
    if (c.msix_vectors &&
        pcie__msix_init(pf, c.msix_vectors, c.msix_bar, c.msix_table_offset, c.msix_pba_offset))
        goto fail_msix;
    if (c.total_vfs) {
        x->vfs = sim_calloc(SIM_TAG(pcie_fn), c.total_vfs, sizeof(*x->vfs));
        if (!x->vfs)
            goto fail_vfs;
        for (uint16_t i = 0; i < c.total_vfs; i++)
            if (pcie__vf_alloc(pf, i))
                goto fail_vfs;
    }
    err = pcie__build_pf(pf, d);
    if (err) {
        pf_free(pf);
        return err;
    }
    pcie__fn_timers_init(pf);
    sim_timer_init(f->sched, &x->vf_ready_timer, vf_ready_cb, pf);
    if (pf->ecap_sriov)
        pcie__sriov_layout(pf);
    memcpy(pf->cfg_reset, pf->cfg, sizeof(pf->cfg));
    pcie__assign_bars(pf);

    x->next = f->pfs;
    f->pfs = pf;
    pcie__link(pf);
    pf->state = PCIE_FN_READY;
    f->stats.hot_adds++;
    char b[PCIE_RID_STRLEN];
    SIM_DEBUG(pcie, "PF %s %04x:%04x added (TotalVFs %u)", pcie_rid_format(pf->rid, b, sizeof(b)),
              c.vendor_id, c.device_id, c.total_vfs);
    *out = pf;
    struct pcie_event ev = {.type = PCIE_EV_FN_ADDED, .rid = pf->rid};
    pcie__emit(f, &ev);
    return 0;

fail_vfs:
fail_msix:
    pf_free(pf);
    return sim_diag_fail(d, SIM_ENOMEM, "PF: out of memory");
fail_pfx:
    sim_free(pf);
fail_pf:
    return sim_diag_fail(d, SIM_ENOMEM, "PF: out of memory");
}

static void
pf_free(struct pcie_fn *pf)
{
    struct pcie_pf_ext *x = pf->pfx;
    if (x->vfs) {
        for (uint16_t i = 0; i < x->cfg.total_vfs; i++)
            pcie__fn_free(x->vfs[i]);
        sim_free(x->vfs);
    }
    sim_free(x);
    pf->pfx = NULL;
    pcie__fn_free(pf);
}

void
pcie_pf_destroy(struct pcie_fn *pf)
{
    if (!pf || !pf->pfx)
        return;
    struct pcie_fabric *f = pf->fabric;
    struct pcie_pf_ext *x = pf->pfx;
    if (x->busy) {
        /* Called from inside one of this PF's device callbacks: finish when it returns. */
        x->destroy_deferred = true;
        return;
    }
    bool announced = pf->linked && (pf->state == PCIE_FN_READY || pf->state == PCIE_FN_IN_RESET);
    pcie__vfs_disable(pf, true, true);
    pcie__fn_quiesce(pf);
    sim_timer_stop(&x->vf_ready_timer);
    pcie__unlink(pf);
    pf->state = PCIE_FN_ABSENT;
    for (struct pcie_fn **pp = &f->pfs; *pp; pp = &(*pp)->pfx->next) {
        if (*pp == pf) {
            *pp = x->next;
            break;
        }
    }
    if (announced) {
        struct pcie_event ev = {.type = PCIE_EV_FN_REMOVED, .rid = pf->rid, .surprise = true};
        pcie__emit(f, &ev);
    }
    pf_free(pf);
}

/* ---- OS-side enable / disable (NdisMEnableVirtualization, Linux sriov_enable) -------------- */

static struct pcie_fn *
sriov_pf(struct pcie_fabric *f, uint16_t pf_rid, struct sim_diag *d, int *err)
{
    char b[PCIE_RID_STRLEN];
    pcie_rid_format(pf_rid, b, sizeof(b));
    struct pcie_fn *pf = pcie__lookup(f, pf_rid);
    if (!pcie__fn_answers(pf)) {
        *err = sim_diag_fail(d, SIM_ENODEV, "%s: no function answers there", b);
        return NULL;
    }
    if (pf->vf_index >= 0 || !pf->ecap_sriov) {
        *err = sim_diag_fail(d, SIM_ENOTSUP, "%s: no SR-IOV capability (not a PF)", b);
        return NULL;
    }
    return pf;
}

int
pcie_sriov_check(struct pcie_fabric *f, uint16_t pf_rid, uint16_t num_vfs, bool ari,
                 struct sim_diag *d)
{
    if (!f)
        return SIM_EINVAL;
    int err = 0;
    struct pcie_fn *pf = sriov_pf(f, pf_rid, d, &err);
    if (!pf)
        return err;
    char b[PCIE_RID_STRLEN], vb[PCIE_RID_STRLEN];
    pcie_rid_format(pf_rid, b, sizeof(b));
    uint16_t s = pf->ecap_sriov;
    struct pcie_sriov_info in;
    pcie_sriov_info(f, pf_rid, &in);
    if (in.vf_enable)
        return sim_diag_fail(d, SIM_ESTATE,
                             "%s: VF Enable is already set; NumVFs may change only while VF "
                             "Enable is clear (disable SR-IOV first)",
                             b);
    if (num_vfs > in.total_vfs)
        return sim_diag_fail(d, SIM_ERANGE, "%s: NumVFs %u > TotalVFs %u", b, num_vfs,
                             in.total_vfs);
    if (num_vfs > in.initial_vfs)
        return sim_diag_fail(d, SIM_ERANGE,
                             "%s: NumVFs %u > InitialVFs %u (no VF Migration capability)", b,
                             num_vfs, in.initial_vfs);
    if (ari && !pf->ecap_ari)
        return sim_diag_fail(d, SIM_ENOTSUP,
                             "%s: ARI Capable Hierarchy requested but the PF has no ARI "
                             "capability",
                             b);
    uint16_t ctrl = in.ctrl & (uint16_t)~PCIE_SRIOV_CTRL_ARI;
    if (ari)
        ctrl |= PCIE_SRIOV_CTRL_ARI;
    pcie_cfg_write(f, pf_rid, s + PCIE_SRIOV_CTRL, 2, ctrl);
    pcie_cfg_write(f, pf_rid, s + PCIE_SRIOV_NUM_VF, 2, num_vfs);
    /* First VF Offset and VF Stride may change with NumVFs / ARI: read them now (12.3). */
    pcie_sriov_info(f, pf_rid, &in);
    if (!num_vfs)
        return 0;
    if (in.vf_offset == 0)
        return sim_diag_fail(d, SIM_EINVAL,
                             "%s: First VF Offset is 0: VF 1 would have the PF's own RID", b);
    if (in.vf_stride == 0 && num_vfs > 1)
        return sim_diag_fail(d, SIM_EINVAL,
                             "%s: VF Stride is 0 with NumVFs %u: every VF would share one RID", b,
                             num_vfs);
    for (uint16_t i = 0; i < num_vfs; i++) {
        uint16_t rid;
        if (pcie_sriov_vf_rid(pf_rid, in.vf_offset, in.vf_stride, i, &rid))
            return sim_diag_fail(d, SIM_ERANGE,
                                 "%s: VF %u: RID = PF RID + offset %u + %u x stride %u passes "
                                 "bus 0xff",
                                 b, i + 1, in.vf_offset, i, in.vf_stride);
        pcie_rid_format(rid, vb, sizeof(vb));
        if (PCIE_RID_BUS(rid) > pf->pfx->bus_limit)
            return sim_diag_fail(d, SIM_ERANGE,
                                 "%s: VF %u at %s is on bus %02x beyond the bridge's subordinate "
                                 "bus %02x (Windows: SriovSupport = NoBusResources)",
                                 b, i + 1, vb, PCIE_RID_BUS(rid), pf->pfx->bus_limit);
        if (!pcie__vf_routable(pf, rid, ari))
            return sim_diag_fail(d, SIM_ERANGE,
                                 "%s: VF %u at %s lies outside device %02x's functions 0-7: "
                                 "without ARI only 8 functions are reachable (enable ARI, or "
                                 "choose offset/stride inside the device)",
                                 b, i + 1, vb, PCIE_RID_DEV(pf_rid));
        struct pcie_fn *other = pcie__lookup(f, rid);
        if (other && other->pf != pf)
            return sim_diag_fail(d, SIM_EEXIST, "%s: VF %u at %s clashes with another function", b,
                                 i + 1, vb);
    }
    return 0;
}

int
pcie_sriov_enable(struct pcie_fabric *f, uint16_t pf_rid, uint16_t num_vfs, bool ari,
                  struct sim_diag *d)
{
    int err = pcie_sriov_check(f, pf_rid, num_vfs, ari, d);
    if (err)
        return err;
    if (!num_vfs)
        return 0;
    struct pcie_fn *pf = pcie__lookup(f, pf_rid);
    uint16_t s = pf->ecap_sriov;
    uint32_t ctrl = pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2);
    return pcie_cfg_write(f, pf_rid, s + PCIE_SRIOV_CTRL, 2,
                          ctrl | PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE);
}

int
pcie_sriov_disable(struct pcie_fabric *f, uint16_t pf_rid, struct sim_diag *d)
{
    if (!f)
        return SIM_EINVAL;
    int err = 0;
    struct pcie_fn *pf = sriov_pf(f, pf_rid, d, &err);
    if (!pf)
        return err;
    uint16_t s = pf->ecap_sriov;
    uint32_t ctrl = pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2);
    pcie_cfg_write(f, pf_rid, s + PCIE_SRIOV_CTRL, 2,
                   ctrl & ~(uint32_t)(PCIE_SRIOV_CTRL_VFE | PCIE_SRIOV_CTRL_MSE));
    return pcie_cfg_write(f, pf_rid, s + PCIE_SRIOV_NUM_VF, 2, 0);
}

int
pcie_sriov_info(struct pcie_fabric *f, uint16_t pf_rid, struct pcie_sriov_info *out)
{
    if (!f || !out)
        return SIM_EINVAL;
    struct pcie_fn *pf = pcie__lookup(f, pf_rid);
    if (!pf || pf->state == PCIE_FN_REMOVED)
        return SIM_ENODEV;
    if (pf->vf_index >= 0 || !pf->ecap_sriov)
        return SIM_ENOTSUP;
    uint16_t s = pf->ecap_sriov;
    memset(out, 0, sizeof(*out));
    out->cap_offset = s;
    out->ctrl = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_CTRL, 2);
    out->initial_vfs = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_INITIAL_VF, 2);
    out->total_vfs = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_TOTAL_VF, 2);
    out->num_vfs = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_NUM_VF, 2);
    out->vf_offset = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_VF_OFFSET, 2);
    out->vf_stride = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_VF_STRIDE, 2);
    out->vf_device_id = (uint16_t)pcie__cfg_get(pf, s + PCIE_SRIOV_VF_DID, 2);
    out->supported_page_sizes = pcie__cfg_get(pf, s + PCIE_SRIOV_SUP_PGSIZE, 4);
    out->system_page_size = pcie__cfg_get(pf, s + PCIE_SRIOV_SYS_PGSIZE, 4);
    out->vf_enable = out->ctrl & PCIE_SRIOV_CTRL_VFE;
    out->vf_mse = out->ctrl & PCIE_SRIOV_CTRL_MSE;
    out->ari_hierarchy = out->ctrl & PCIE_SRIOV_CTRL_ARI;
    return 0;
}
