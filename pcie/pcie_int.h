/* SPDX-License-Identifier: MIT */
/*
 * pcie_int.h — private structures of the simulated PCIe fabric (never included outside pcie/).
 * Models the state a PCI bus driver, the root complex and the IOMMU keep per function.
 */
#ifndef SRIOVSIM_PCIE_INT_H
#define SRIOVSIM_PCIE_INT_H

#include "pcie/pcie.h"

SIM_LOG_NS_DECLARE(pcie);
SIM_ALLOC_TAG_DECLARE(pcie_fabric);
SIM_ALLOC_TAG_DECLARE(pcie_fn);
SIM_ALLOC_TAG_DECLARE(pcie_msix);
SIM_ALLOC_TAG_DECLARE(pcie_iommu);

#define PCIE_RID_COUNT  65536
#define PCIE_IOTLB_SIZE 256 /* entries, direct-mapped */

/* Default layout (matches the example device of ecosystem.md 3.2). */
#define PCIE_PF_CAP_PM       0x40
#define PCIE_PF_CAP_MSIX     0x50
#define PCIE_PF_CAP_EXP      0x70
#define PCIE_VF_CAP_MSIX     0x70
#define PCIE_VF_CAP_EXP      0xa0
#define PCIE_EXP_CAP_SIZE    0x3c
#define PCIE_ECAP_AER_PREF   0x100
#define PCIE_ECAP_AER_SIZE   0x40
#define PCIE_ECAP_DSN_PREF   0x140
#define PCIE_ECAP_DSN_SIZE   0x10
#define PCIE_ECAP_ARI_PREF   0x150
#define PCIE_ECAP_ARI_SIZE   0x10
#define PCIE_ECAP_SRIOV_PREF 0x160

struct pcie_msix_vec {
    struct sim_timer timer; /* pending while a delivery is in flight */
    struct pcie_fn *fn;
    uint16_t index;
    pcie_msix_handler_fn handler;
    void *handler_ctx;
};

/* MSI-X state of one function. Invariant: table and pba sized for n vectors; n == 0 means the
 * function has no MSI-X capability and the pointers are NULL. */
struct pcie_msix {
    uint16_t n;
    uint16_t cap; /* capability offset in config space */
    int bir;
    uint32_t table_off, pba_off;
    uint8_t *table; /* n * 16 bytes, little-endian like the hardware */
    uint64_t *pba;  /* (n + 63) / 64 words */
    struct pcie_msix_vec *vec;
};

struct pcie_pf_ext;

/* One function. Invariants: fabric->by_rid[rid] == fn exactly while `linked`; state is
 * PCIE_FN_REMOVED or PCIE_FN_ABSENT while !linked; `epoch` changes whenever the function stops
 * answering (reset, removal, VF disable) so an access in flight can tell it was cut off. */
struct pcie_fn {
    struct pcie_fabric *fabric;
    struct pcie_fn *pf;      /* self for a PF */
    struct pcie_pf_ext *pfx; /* PF only (NULL for VFs) */
    int vf_index;            /* -1 for a PF */
    uint16_t rid;
    bool linked;
    enum pcie_fn_state state;
    uint64_t epoch;
    void *drvdata;

    uint8_t cfg[PCIE_CFG_SIZE];
    uint8_t rw[PCIE_CFG_SIZE];        /* bits software may write */
    uint8_t w1c[PCIE_CFG_SIZE];       /* bits cleared by writing 1 */
    uint8_t cfg_reset[PCIE_CFG_SIZE]; /* power-on image (FLR and hot add restore it) */

    uint16_t cap_pm, cap_exp, ecap_aer, ecap_dsn, ecap_ari, ecap_sriov;
    struct pcie_bar_desc bars[6]; /* decoded BARs (VFs: the PF's VF BAR template) */
    struct pcie_msix msix;

    struct sim_timer flr_timer; /* device completes FLR */
    struct sim_timer flr_bound; /* driver side of pcie_flr(): the 100 ms bound */
    pcie_flr_done_fn flr_done;
    void *flr_ctx;
    sim_time_t flr_started_at;

    struct sim_timer remove_timer; /* graceful removal timeout */
    bool remove_pending;
};

/* PF-only state. Invariant: vfs[0..total_vfs) are preallocated at creation so VF Enable never
 * allocates; num_vfs of them exist (linked or unreachable or removed) while VF Enable is set. */
struct pcie_pf_ext {
    struct pcie_pf_config cfg;
    struct pcie_dev_ops ops;
    void *ctx;
    struct pcie_fn **vfs;
    uint16_t num_vfs; /* VFs created by the last VF Enable (0 while disabled) */
    bool vfs_ready;
    struct sim_timer vf_ready_timer;
    uint8_t bus_limit;
    uint64_t vf_bar_base[6]; /* IOV BAR k base as assigned by "firmware" */
    unsigned busy;           /* device callbacks running on this PF or its VFs */
    bool destroy_deferred;
    struct pcie_fn *next; /* fabric's PF list */
};

struct pcie_iommu_map_ent {
    uint64_t iova;
    uint64_t len;
    uint8_t *host;
    unsigned perm;
};

struct pcie_iommu_domain {
    struct pcie_fabric *fabric;
    uint32_t id;
    char name[48];
    struct pcie_iommu_map_ent *maps; /* sorted by iova, non-overlapping */
    size_t nmaps, cap;
    unsigned attached;
    struct pcie_iommu_domain *next;
};

struct pcie_iotlb_ent {
    uint32_t domain_id; /* 0 = invalid */
    uint64_t page;      /* iova >> 12 */
    uint8_t *host;      /* host address of the page start */
    unsigned perm;
};

struct pcie_dispatch_frame {
    struct pcie_subscription *next;
    struct pcie_dispatch_frame *up;
};

struct pcie_fabric {
    struct sim_sched *sched;
    struct pcie_knobs knobs;
    struct pcie_stats stats;
    struct pcie_fn **by_rid;               /* PCIE_RID_COUNT entries */
    struct pcie_iommu_domain **ctx_by_rid; /* PCIE_RID_COUNT entries: IOMMU context table */
    struct pcie_fn *pfs;                   /* PF list */
    struct pcie_iommu_domain *domains;
    uint32_t next_domain_id;
    struct pcie_iotlb_ent iotlb[PCIE_IOTLB_SIZE];
    struct pcie_iommu_fault faults[PCIE_IOMMU_FAULT_LOG];
    uint64_t nfaults;
    struct pcie_subscription *subs;
    struct pcie_dispatch_frame *frames;
    bool destroying;
};

/* fabric.c */
void pcie__emit(struct pcie_fabric *f, struct pcie_event *ev);
void pcie__link(struct pcie_fn *fn);
void pcie__unlink(struct pcie_fn *fn);
struct pcie_fn *pcie__lookup(const struct pcie_fabric *f, uint16_t rid);
bool pcie__fn_answers(const struct pcie_fn *fn);

/* caps.c: config-space construction */
int pcie__build_pf(struct pcie_fn *pf, struct sim_diag *d);
void pcie__build_vf(struct pcie_fn *vf);
void pcie__assign_bars(struct pcie_fn *pf);
uint32_t pcie__cfg_get(const struct pcie_fn *fn, uint16_t off, unsigned size);
void pcie__cfg_put(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t val);
void pcie__set_access(struct pcie_fn *fn, uint16_t off, unsigned size, uint32_t rw, uint32_t w1c);

/* config.c */
bool pcie__mem_enabled(const struct pcie_fn *fn);
bool pcie__bus_master(const struct pcie_fn *fn);

/* sriov.c */
void pcie__sriov_layout(struct pcie_fn *pf);
void pcie__vfs_enable(struct pcie_fn *pf);
void pcie__vfs_disable(struct pcie_fn *pf, bool surprise, bool emit);
bool pcie__vf_routable(const struct pcie_fn *pf, uint16_t rid, bool ari);
uint8_t pcie__default_bus_limit(const struct pcie_pf_config *cfg);
int pcie__vf_alloc(struct pcie_fn *pf, uint16_t i);
void pcie__fn_free(struct pcie_fn *fn);

/* msix.c */
int pcie__msix_init(struct pcie_fn *fn, uint16_t n, int bir, uint32_t table_off, uint32_t pba_off);
void pcie__msix_fini(struct pcie_fn *fn);
void pcie__msix_reset(struct pcie_fn *fn, bool keep_handlers);
bool pcie__msix_mmio(struct pcie_fn *fn, int bar, uint64_t off, unsigned size, bool write,
                     uint64_t *val);
void pcie__msix_ctrl_written(struct pcie_fn *fn);

/* flr.c */
void pcie__flr_start(struct pcie_fn *fn);
void pcie__fn_timers_init(struct pcie_fn *fn);

/* hotplug.c */
void pcie__fn_quiesce(struct pcie_fn *fn);
void pcie__hotplug_timer_init(struct pcie_fn *fn);

/* iommu.c */
void pcie__iommu_fini(struct pcie_fabric *f);

#endif /* SRIOVSIM_PCIE_INT_H */
