/* SPDX-License-Identifier: MIT */
/* pcie_test.h — shared fixture for the pcie tests: a virtual-clock fabric, an 82599-like PF
 * (8086:10fb, TotalVFs 8, offset 0x80, stride 2, VF device 10ed) and a recording device model. */
#ifndef SRIOVSIM_TESTS_PCIE_TEST_H
#define SRIOVSIM_TESTS_PCIE_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "pcie/pcie.h"

#define PF_RID PCIE_RID(1, 0, 0)

/* A device model with 16 registers per function in BAR0 and counters of every callback. */
struct test_dev {
    struct pcie_fabric *f;
    uint64_t regs[64][16]; /* [0] = PF, [1 + vf index] = VF */
    int flr_calls[64];
    int vf_added, vf_removed;
    int mmio_reads, mmio_writes;
    /* Optional hook run inside mmio_read (e.g. remove the function mid-access). */
    void (*in_read)(struct test_dev *td, struct pcie_fn *fn);
    bool custom_layout;
};

static inline int
td_slot(const struct pcie_fn *fn)
{
    return pcie_fn_is_vf(fn) ? 1 + pcie_fn_vf_index(fn) : 0;
}

static inline void
td_mmio_read(void *ctx, struct pcie_fn *fn, int bar, uint64_t off, unsigned size, uint64_t *val)
{
    struct test_dev *td = ctx;
    td->mmio_reads++;
    if (td->in_read)
        td->in_read(td, fn);
    *val = td->regs[td_slot(fn)][(off / 8) % 16];
}

static inline void
td_mmio_write(void *ctx, struct pcie_fn *fn, int bar, uint64_t off, unsigned size, uint64_t val)
{
    struct test_dev *td = ctx;
    td->mmio_writes++;
    td->regs[td_slot(fn)][(off / 8) % 16] = val;
}

static inline void
td_flr(void *ctx, struct pcie_fn *fn)
{
    struct test_dev *td = ctx;
    td->flr_calls[td_slot(fn)]++;
    memset(td->regs[td_slot(fn)], 0, sizeof(td->regs[0]));
}

static inline void
td_vf_added(void *ctx, struct pcie_fn *vf)
{
    ((struct test_dev *)ctx)->vf_added++;
}

static inline void
td_vf_removed(void *ctx, struct pcie_fn *vf)
{
    ((struct test_dev *)ctx)->vf_removed++;
}

/* A device that, like some real ones, packs VFs differently per NumVFs: offset 0x80 + NumVFs,
 * stride 4 with ARI; offset 1 stride 1 without. */
static inline void
td_layout(void *ctx, struct pcie_fn *pf, uint16_t num_vfs, bool ari, uint16_t *offset,
          uint16_t *stride)
{
    struct test_dev *td = ctx;
    if (!td->custom_layout)
        return;
    *offset = ari ? (uint16_t)(0x80 + num_vfs) : 1;
    *stride = ari ? 4 : 1;
}

static const struct pcie_dev_ops td_ops = {
    .mmio_read = td_mmio_read,
    .mmio_write = td_mmio_write,
    .flr = td_flr,
    .vf_added = td_vf_added,
    .vf_removed = td_vf_removed,
    .sriov_layout = td_layout,
};

static inline struct pcie_pf_config
test_pf_config(void)
{
    struct pcie_pf_config c = {
        .rid = PF_RID,
        .vendor_id = 0x8086,
        .device_id = 0x10fb,
        .revision = 1,
        .subsys_vendor_id = 0x8086,
        .subsys_id = 0x0003,
        .bars =
            {[0] = {.size = 0x80000, .is_64 = true, .prefetchable = true}, [4] = {.size = 0x4000}},
        .msix_vectors = 64,
        .msix_bar = 4,
        .msix_table_offset = 0x0,
        .msix_pba_offset = 0x2000,
        .dsn = 0x00155dfffe000001ull,
        .ari = true,
        .total_vfs = 8,
        .vf_offset = 0x80,
        .vf_stride = 2,
        .vf_device_id = 0x10ed,
        .vf_bars = {[0] = {.size = 0x4000, .is_64 = true, .prefetchable = true},
                    [3] = {.size = 0x4000, .is_64 = true, .prefetchable = true}},
        .vf_msix_vectors = 3,
        .vf_msix_bar = 3,
    };
    return c;
}

struct fixture {
    struct sim_sched *s;
    struct pcie_fabric *f;
    struct test_dev td;
    struct pcie_fn *pf;
};

static inline void
fx_setup_cfg(struct fixture *fx, const struct pcie_pf_config *c)
{
    memset(fx, 0, sizeof(*fx));
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &fx->s), 0);
    cr_assert_eq(pcie_fabric_create(fx->s, &fx->f), 0);
    fx->td.f = fx->f;
    struct sim_diag d = {0};
    int err = pcie_pf_create(fx->f, c, &td_ops, &fx->td, &fx->pf, &d);
    cr_assert_eq(err, 0, "pf_create: %s", d.reason);
}

static inline void
fx_setup(struct fixture *fx)
{
    struct pcie_pf_config c = test_pf_config();
    fx_setup_cfg(fx, &c);
}

static inline void
fx_teardown(struct fixture *fx)
{
    pcie_fabric_destroy(fx->f);
    sim_sched_destroy(fx->s);
    cr_assert_eq(sim_alloc_live_total(), 0, "leaked allocations");
}

static inline uint32_t
cfg_rd(struct fixture *fx, uint16_t rid, uint16_t off, unsigned size)
{
    uint32_t v = 0;
    pcie_cfg_read(fx->f, rid, off, size, &v);
    return v;
}

static inline uint16_t
sriov_cap(struct fixture *fx)
{
    uint16_t s = pcie_cfg_find_cap(fx->f, PF_RID, PCIE_EXT_CAP_ID_SRIOV, true);
    cr_assert_neq(s, 0);
    return s;
}

/* Enable n VFs the OS way and run the clock past the VF Enable delay. */
static inline void
fx_enable_vfs(struct fixture *fx, uint16_t n, bool ari)
{
    struct sim_diag d = {0};
    int err = pcie_sriov_enable(fx->f, PF_RID, n, ari, &d);
    cr_assert_eq(err, 0, "sriov_enable: %s", d.reason);
    sim_sched_run(fx->s, sim_sched_now(fx->s) + PCIE_VF_ENABLE_DELAY_NS);
}

/* Event recorder. */
struct ev_log {
    struct pcie_event ev[128];
    struct pcie_iommu_fault faults[16];
    int n;
};

static inline void
ev_record(void *ctx, const struct pcie_event *ev)
{
    struct ev_log *l = ctx;
    if (l->n < 128) {
        l->ev[l->n] = *ev;
        if (ev->fault && l->n < 16)
            l->faults[l->n] = *ev->fault;
        l->n++;
    }
}

static inline int
ev_count(const struct ev_log *l, enum pcie_event_type t)
{
    int c = 0;
    for (int i = 0; i < l->n; i++)
        c += l->ev[i].type == t;
    return c;
}

#endif
