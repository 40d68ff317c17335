/* SPDX-License-Identifier: MIT */
/*
 * device.c — the adapter as a PCIe device: registration on the fabric as a PF that spawns VFs,
 * BAR0 MMIO dispatch to the register files of nic_regs.h, Function Level Reset of the PF and
 * of each VF, reaction to surprise removal, knobs and drop accounting.
 *
 * Windows counterpart: the silicon behind a PF/VF miniport pair (Intel 82599/E810, ConnectX):
 * what a driver reaches through MmMapIoSpace'd BARs and IoConnectInterruptEx'd MSI-X vectors.
 */
#include <string.h>

#include "nic/nic_int.h"

SIM_LOG_NS_DEFINE(nic);
SIM_ALLOC_TAG_DEFINE(nic);

/* ---------------------------------------------------------------------------------------------
 * Small helpers shared by the other files.
 * ------------------------------------------------------------------------------------------- */
struct nic_fn *
nic__fn_of(struct nic *nic, struct pcie_fn *fn)
{
    if (fn == NULL)
        return NULL;
    if (!pcie_fn_is_vf(fn))
        return &nic->pf;
    int i = pcie_fn_vf_index(fn);
    if (i < 0 || i >= nic->total_vfs)
        return NULL;
    return &nic->vfs[i];
}

uint16_t
nic__fn_rid(const struct nic_fn *fn)
{
    if (fn->vf_index < 0)
        return fn->nic->pf_rid;
    return nic_vf_rid(fn->nic, (uint16_t)fn->vf_index);
}

void
nic__fire(struct nic_fn *fn, uint16_t vector)
{
    struct nic *nic = fn->nic;
    if (fn->pcie == NULL)
        return;
    /* SIM_ESTATE (MSI-X disabled) and SIM_ENODEV are counted by the fabric. */
    (void)pcie_msix_fire(nic->fabric, nic__fn_rid(fn), vector);
}

void
nic__drop(struct nic *nic, struct nic_hw_vport_stats *vs, enum sim_drop_cause cause,
          const char *where, uint64_t packet_id, const void *frame, uint32_t len)
{
    if (vs != NULL)
        vs->drops[cause]++;
    nic->stats.drops[cause]++;
    if (nic->has_sink)
        sim_drop_report(&nic->sink, cause, where, packet_id, frame, len);
}

/* Why a function cannot take a frame: reset, removed, or simply not started. */
enum sim_drop_cause
nic__fn_gone_cause(const struct nic_fn *fn)
{
    switch (pcie_fabric_fn_state(fn->nic->fabric, nic__fn_rid(fn))) {
    case PCIE_FN_IN_RESET:
        return SIM_DROP_FUNCTION_RESET;
    case PCIE_FN_REMOVED:
        return SIM_DROP_SURPRISE_REMOVAL;
    default:
        return SIM_DROP_PAUSED;
    }
}

uint16_t
nic_vf_rid(const struct nic *nic, uint16_t vf_index)
{
    return (uint16_t)(nic->pf_rid + NIC_SRIOV_VF_OFFSET + NIC_SRIOV_VF_STRIDE * vf_index);
}

struct pcie_fn *
nic_pf_fn(const struct nic *nic)
{
    return nic->pf.pcie;
}

uint16_t
nic_pf_rid(const struct nic *nic)
{
    return nic->pf_rid;
}

/* ---------------------------------------------------------------------------------------------
 * Resets.
 * ------------------------------------------------------------------------------------------- */

/* VF reset (FLR or NIC_CMD_VF_RESET): queues off, interrupt causes and mailbox cleared, the
 * PF told through VFLR pending + its mailbox vector. VPorts and filters are the PF's: kept. */
void
nic__vf_reset(struct nic_fn *vf, enum sim_drop_cause why)
{
    struct nic *nic = vf->nic;
    (void)why;
    nic__fn_reset_queues(vf);
    nic__mbx_vf_reset(vf);
    vf->reset_done = true;
    nic->stats.vf_resets++;
    nic->mbx_vflr_pending |= UINT64_C(1) << vf->vf_index;
    nic__fire(&nic->pf, NIC_PF_VEC_MAILBOX);
    SIM_DEBUG(nic, "%s: VF %d reset", nic->name, vf->vf_index);
}

/* PF reset (FLR, surprise removal of the PF): back to power-on state. VFs are already gone. */
static void
nic_pf_reset(struct nic *nic)
{
    nic__cmd_reset(nic);
    nic__fn_reset_queues(&nic->pf);
    for (unsigned i = 0; i < nic->total_vfs; i++) {
        nic__fn_reset_queues(&nic->vfs[i]);
        nic__mbx_vf_reset(&nic->vfs[i]);
    }
    nic__switch_reset(nic);
    nic->mbx_req_pending = 0;
    nic->mbx_vflr_pending = 0;
    nic->admin_up = true;
    nic__port_link_update(nic);
}

/* ---------------------------------------------------------------------------------------------
 * MMIO dispatch (BAR0). Registers are 32 bits; an 8-byte access is two 4-byte accesses (low
 * word first), 1- and 2-byte accesses are not decoded (counted, reads 0).
 * ------------------------------------------------------------------------------------------- */
static uint32_t
nic_reg_read(struct nic *nic, struct nic_fn *fn, uint32_t off)
{
    bool is_pf = fn->vf_index < 0;
    bool known = true;
    uint32_t v = 0;

    if (off >= NIC_REG_QP_BASE && off < NIC_REG_QP_BASE + NIC_REG_QP_STRIDE * fn->nqps)
        return nic__qp_reg_read(&fn->qps[(off - NIC_REG_QP_BASE) / NIC_REG_QP_STRIDE],
                                (off - NIC_REG_QP_BASE) % NIC_REG_QP_STRIDE);

    switch (off) {
    case NIC_REG_ID:
        return NIC_ID_MAGIC;
    case NIC_REG_STATUS:
        if (nic__link_up(nic))
            v |= NIC_STATUS_LINK_UP;
        if (is_pf ? nic->switch_on : fn->vport != NIC_VPORT_NONE)
            v |= NIC_STATUS_SWITCH_ON;
        if (!is_pf)
            v |= NIC_STATUS_IS_VF;
        if (fn->reset_done)
            v |= NIC_STATUS_RESET_DONE;
        return v;
    case NIC_REG_LINK_SPEED:
        return nic__link_up(nic) ? (uint32_t)(nic->rate_bps / 1000000u) : 0;
    case NIC_REG_QP_COUNT:
        return fn->nqps;
    case NIC_REG_MAC_LO:
    case NIC_REG_MAC_HI: {
        uint32_t lo, hi;
        nic_mac_to_words(fn->mac, &lo, &hi);
        return off == NIC_REG_MAC_LO ? lo : hi;
    }
    case NIC_REG_FN_INDEX:
        return is_pf ? 0xffffu : (uint32_t)fn->vf_index;
    default:
        break;
    }
    if (is_pf) {
        switch (off) {
        case NIC_REG_CAP_MAX_VFS:
            return nic->total_vfs;
        case NIC_REG_CAP_MAX_VPORTS:
            return nic->max_vports;
        case NIC_REG_CAP_MAX_FILTERS:
            return nic->max_filters;
        case NIC_REG_CAP_MAX_QPS:
            return NIC_PF_MAX_QPS;
        case NIC_REG_CAP_VF_QPS:
            return nic->vf_qps;
        case NIC_REG_CAP_FLAGS:
            return NIC_CAP_F_VLAN | NIC_CAP_F_ASYM_QPS | NIC_CAP_F_ANTISPOOF |
                   NIC_CAP_F_VPORT_SWITCH;
        case NIC_REG_CMD_STATUS:
            return nic->cmd_status;
        case NIC_REG_CMD_TAG:
            return nic->cmd_tag;
        case NIC_REG_CMD_DONE_TAG:
            return nic->cmd_done_tag;
        case NIC_REG_CMD_OPCODE:
            return nic->cmd_opcode;
        default:
            break;
        }
        if (off >= NIC_REG_CMD_PARAM(0) && off < NIC_REG_CMD_PARAM(NIC_CMD_PARAM_WORDS))
            return nic->cmd_param[(off - NIC_REG_CMD_PARAM(0)) / 4];
        if (off >= NIC_REG_CMD_RESULT(0) && off < NIC_REG_CMD_RESULT(NIC_CMD_PARAM_WORDS))
            return nic->cmd_result[(off - NIC_REG_CMD_RESULT(0)) / 4];
        v = nic__mbx_pf_read(nic, off, &known);
    } else {
        v = nic__mbx_vf_read(fn, off, &known);
    }
    if (!known)
        nic->stats.mmio_unknown++;
    return v;
}

static void
nic_reg_write(struct nic *nic, struct nic_fn *fn, uint32_t off, uint32_t val)
{
    bool is_pf = fn->vf_index < 0;
    bool known = true;

    if (off >= NIC_REG_QP_BASE && off < NIC_REG_QP_BASE + NIC_REG_QP_STRIDE * fn->nqps) {
        nic__qp_reg_write(&fn->qps[(off - NIC_REG_QP_BASE) / NIC_REG_QP_STRIDE],
                          (off - NIC_REG_QP_BASE) % NIC_REG_QP_STRIDE, val);
        return;
    }
    if (off == NIC_REG_STATUS_CLR) {
        if (val & NIC_STATUS_RESET_DONE)
            fn->reset_done = false;
        return;
    }
    if (is_pf) {
        if (off == NIC_REG_CMD_DOORBELL) {
            nic__cmd_doorbell(nic, val);
            return;
        }
        if (off == NIC_REG_CMD_TAG) {
            nic->cmd_tag = val;
            return;
        }
        if (off >= NIC_REG_CMD_PARAM(0) && off < NIC_REG_CMD_PARAM(NIC_CMD_PARAM_WORDS)) {
            nic->cmd_param[(off - NIC_REG_CMD_PARAM(0)) / 4] = val;
            return;
        }
        nic__mbx_pf_write(nic, off, val, &known);
    } else {
        nic__mbx_vf_write(fn, off, val, &known);
    }
    if (!known)
        nic->stats.mmio_unknown++;
}

static void
nic_mmio_read(void *ctx, struct pcie_fn *pfn, int bar, uint64_t off, unsigned size, uint64_t *val)
{
    struct nic *nic = ctx;
    struct nic_fn *fn = nic__fn_of(nic, pfn);
    *val = 0;
    if (fn == NULL || bar != NIC_BAR_REGS || (size != 4 && size != 8)) {
        nic->stats.mmio_unknown++;
        return;
    }
    uint64_t v = nic_reg_read(nic, fn, (uint32_t)off);
    if (size == 8)
        v |= (uint64_t)nic_reg_read(nic, fn, (uint32_t)off + 4) << 32;
    *val = v;
}

static void
nic_mmio_write(void *ctx, struct pcie_fn *pfn, int bar, uint64_t off, unsigned size, uint64_t val)
{
    struct nic *nic = ctx;
    struct nic_fn *fn = nic__fn_of(nic, pfn);
    if (fn == NULL || bar != NIC_BAR_REGS || (size != 4 && size != 8)) {
        nic->stats.mmio_unknown++;
        return;
    }
    nic_reg_write(nic, fn, (uint32_t)off, (uint32_t)val);
    if (size == 8)
        nic_reg_write(nic, fn, (uint32_t)off + 4, (uint32_t)(val >> 32));
}

/* ---------------------------------------------------------------------------------------------
 * Fabric callbacks: FLR, VF add/remove, events.
 * ------------------------------------------------------------------------------------------- */
static void
nic_flr(void *ctx, struct pcie_fn *pfn)
{
    struct nic *nic = ctx;
    struct nic_fn *fn = nic__fn_of(nic, pfn);
    if (fn == NULL)
        return;
    if (fn->vf_index >= 0) {
        nic__vf_reset(fn, SIM_DROP_FUNCTION_RESET);
    } else {
        SIM_DEBUG(nic, "%s: PF FLR", nic->name);
        nic_pf_reset(nic);
    }
}

static void
nic_vf_added(void *ctx, struct pcie_fn *vf)
{
    struct nic *nic = ctx;
    struct nic_fn *fn = nic__fn_of(nic, vf);
    if (fn == NULL)
        return;
    nic__fn_reset_queues(fn);
    nic__mbx_vf_reset(fn);
    fn->reset_done = false;
    fn->pcie = vf;
    pcie_fn_set_drvdata(vf, fn);
}

static void
nic_vf_removed(void *ctx, struct pcie_fn *vf)
{
    struct nic *nic = ctx;
    struct nic_fn *fn = nic__fn_of(nic, vf);
    if (fn == NULL)
        return;
    nic__fn_reset_queues(fn);
    nic__mbx_vf_reset(fn);
    nic->mbx_req_pending &= ~(UINT64_C(1) << fn->vf_index);
    fn->pcie = NULL;
}

/* A surprise-removed function's memory may vanish with it: stop touching its rings now. */
static void
nic_on_event(void *ctx, const struct pcie_event *ev)
{
    struct nic *nic = ctx;
    if (ev->type != PCIE_EV_FN_REMOVED)
        return;
    if (ev->rid == nic->pf_rid) {
        nic_pf_reset(nic);
        return;
    }
    for (unsigned i = 0; i < nic->total_vfs; i++) {
        if (nic->vfs[i].pcie != NULL && nic_vf_rid(nic, (uint16_t)i) == ev->rid) {
            nic__fn_reset_queues(&nic->vfs[i]);
            nic__mbx_vf_reset(&nic->vfs[i]);
        }
    }
}

static const struct pcie_dev_ops nic_dev_ops = {
    .mmio_read = nic_mmio_read,
    .mmio_write = nic_mmio_write,
    .flr = nic_flr,
    .vf_added = nic_vf_added,
    .vf_removed = nic_vf_removed,
};

/* ---------------------------------------------------------------------------------------------
 * Creation and teardown.
 * ------------------------------------------------------------------------------------------- */
static void
nic_fn_init(struct nic *nic, struct nic_fn *fn, int vf_index, struct nic_qp *qps, unsigned nqps,
            const uint8_t base_mac[6])
{
    memset(fn, 0, sizeof(*fn));
    fn->nic = nic;
    fn->vf_index = vf_index;
    fn->qps = qps;
    fn->nqps = nqps;
    fn->vport = NIC_VPORT_NONE;
    memcpy(fn->mac, base_mac, 6);
    if (vf_index >= 0) {
        fn->mac[0] |= 0x02; /* locally administered */
        fn->mac[5] = (uint8_t)(fn->mac[5] + vf_index + 1);
    }
    if (vf_index < 0)
        snprintf(fn->where_tx, sizeof(fn->where_tx), "%s.pf tx", nic->name);
    else
        snprintf(fn->where_tx, sizeof(fn->where_tx), "%s.vf%d tx", nic->name, vf_index);
    for (unsigned q = 0; q < nqps; q++)
        nic__qp_init(&qps[q], fn, (uint16_t)q);
}

int
nic_create(struct pcie_fabric *f, const struct nic_config *cfg, struct nic **out,
           struct sim_diag *d)
{
    int rc;
    if (f == NULL || cfg == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "nic_create: NULL argument");
    uint16_t vf_qps = cfg->vf_queue_pairs ? cfg->vf_queue_pairs : NIC_VF_MAX_QPS;
    uint16_t max_vports = cfg->max_vports ? cfg->max_vports : (uint16_t)(cfg->total_vfs + 8);
    uint16_t max_filters = cfg->max_filters ? cfg->max_filters : NIC_MAX_FILTERS;
    if (cfg->total_vfs > NIC_MAX_VFS)
        return sim_diag_fail(d, SIM_EINVAL, "nic_create: total_vfs %u > NIC_MAX_VFS (%u)",
                             cfg->total_vfs, NIC_MAX_VFS);
    if (vf_qps > NIC_VF_MAX_QPS)
        return sim_diag_fail(d, SIM_EINVAL, "nic_create: vf_queue_pairs %u > %u", vf_qps,
                             NIC_VF_MAX_QPS);
    if (max_vports < cfg->total_vfs + 1 || max_vports > NIC_MAX_VPORTS)
        return sim_diag_fail(d, SIM_EINVAL,
                             "nic_create: max_vports %u must be in [total_vfs + 1, %u] "
                             "(MaxNumVPorts >= MaxNumVFs + 1)",
                             max_vports, NIC_MAX_VPORTS);
    if (max_filters > NIC_MAX_FILTERS || max_filters < max_vports)
        return sim_diag_fail(d, SIM_EINVAL,
                             "nic_create: max_filters %u must be in [max_vports, %u] "
                             "(MaxNumMacAddresses >= MaxNumVPorts)",
                             max_filters, NIC_MAX_FILTERS);
    if (cfg->mac[0] & 1)
        return sim_diag_fail(d, SIM_EINVAL, "nic_create: PF MAC is a multicast address");

    struct nic *nic = sim_calloc(SIM_TAG(nic), 1, sizeof(*nic));
    if (nic == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "nic_create: out of memory");
    nic->fabric = f;
    nic->sched = pcie_fabric_sched(f);
    snprintf(nic->name, sizeof(nic->name), "%s", cfg->name ? cfg->name : "nic");
    snprintf(nic->where_port_rx, sizeof(nic->where_port_rx), "%s.port rx", nic->name);
    snprintf(nic->where_port_tx, sizeof(nic->where_port_tx), "%s.port tx", nic->name);
    if (cfg->drop_sink != NULL) {
        nic->sink = *cfg->drop_sink;
        nic->has_sink = true;
    }
    nic->poll_mode = cfg->poll_mode;
    nic->pf_rid = cfg->rid;
    nic->total_vfs = cfg->total_vfs;
    nic->max_vports = max_vports;
    nic->max_filters = max_filters;
    nic->vf_qps = vf_qps;
    nic->rate_bps = cfg->link_rate_bps ? cfg->link_rate_bps : NIC_PORT_RATE_DEFAULT_BPS;
    nic->admin_up = true;

    size_t nqp = NIC_PF_MAX_QPS + (size_t)cfg->total_vfs * vf_qps;
    nic->qp_mem = sim_calloc(SIM_TAG(nic), nqp, sizeof(struct nic_qp));
    nic->vfs = sim_calloc(SIM_TAG(nic), cfg->total_vfs ? cfg->total_vfs : 1, sizeof(struct nic_fn));
    nic->vports = sim_calloc(SIM_TAG(nic), max_vports, sizeof(struct nic_vport));
    nic->filters = sim_calloc(SIM_TAG(nic), (size_t)max_filters + 1, sizeof(struct nic_filter));
    nic->filter_order = sim_calloc(SIM_TAG(nic), max_filters, sizeof(uint16_t));
    nic->tx_buf = sim_alloc(SIM_TAG(nic), NIC_PKT_HDR_LEN + NIC_MAX_FRAME_LEN);
    nic->rx_buf = sim_alloc(SIM_TAG(nic), NIC_PKT_HDR_LEN + NIC_MAX_FRAME_LEN);
    if (nic->qp_mem == NULL || nic->vfs == NULL || nic->vports == NULL || nic->filters == NULL ||
        nic->filter_order == NULL || nic->tx_buf == NULL || nic->rx_buf == NULL) {
        rc = sim_diag_fail(d, SIM_ENOMEM, "nic_create: out of memory");
        goto free_tables;
    }

    nic_fn_init(nic, &nic->pf, -1, nic->qp_mem, NIC_PF_MAX_QPS, cfg->mac);
    for (unsigned i = 0; i < cfg->total_vfs; i++)
        nic_fn_init(nic, &nic->vfs[i], (int)i, nic->qp_mem + NIC_PF_MAX_QPS + (size_t)i * vf_qps,
                    vf_qps, cfg->mac);
    for (unsigned i = 0; i <= max_filters; i++)
        atomic_init(&nic->filters[i].vport, NIC_VPORT_NONE);
    nic__cmd_init(nic);
    nic__port_init(nic);
    nic__switch_reset(nic);

    struct pcie_pf_config pc = {
        .rid = cfg->rid,
        .vendor_id = NIC_PCI_VENDOR_ID,
        .device_id = NIC_PCI_DEVICE_ID,
        .revision = NIC_PCI_REVISION,
        .class_code = 0x020000,
        .subsys_vendor_id = NIC_PCI_VENDOR_ID,
        .subsys_id = NIC_PCI_DEVICE_ID,
        .msix_vectors = NIC_PF_MSIX_VECTORS,
        .msix_bar = NIC_BAR_MSIX,
        .msix_table_offset = NIC_MSIX_TABLE_OFFSET,
        .msix_pba_offset = NIC_MSIX_PBA_OFFSET,
        .ari = true,
        .total_vfs = cfg->total_vfs,
        .vf_offset = NIC_SRIOV_VF_OFFSET,
        .vf_stride = NIC_SRIOV_VF_STRIDE,
        .vf_device_id = NIC_PCI_VF_DEVICE_ID,
        .vf_msix_vectors = (uint16_t)(NIC_VF_VEC_QP_BASE + vf_qps),
        .vf_msix_bar = NIC_BAR_MSIX,
        .vf_msix_table_offset = NIC_MSIX_TABLE_OFFSET,
        .vf_msix_pba_offset = NIC_MSIX_PBA_OFFSET,
    };
    pc.bars[NIC_BAR_REGS].size = NIC_PF_BAR0_SIZE;
    pc.bars[NIC_BAR_MSIX].size = NIC_BAR_MSIX_SIZE;
    pc.vf_bars[NIC_BAR_REGS].size = NIC_VF_BAR0_SIZE;
    pc.vf_bars[NIC_BAR_MSIX].size = NIC_BAR_MSIX_SIZE;
    rc = pcie_pf_create(f, &pc, &nic_dev_ops, nic, &nic->pf.pcie, d);
    if (rc != 0)
        goto free_tables;
    pcie_fn_set_drvdata(nic->pf.pcie, &nic->pf);
    rc = pcie_fabric_subscribe(f, &nic->sub, nic_on_event, nic);
    if (rc != 0) {
        sim_diag_fail(d, rc, "nic_create: event subscription failed");
        goto destroy_pf;
    }
    *out = nic;
    return 0;

destroy_pf:
    pcie_pf_destroy(nic->pf.pcie);
free_tables:
    sim_free(nic->rx_buf);
    sim_free(nic->tx_buf);
    sim_free(nic->filter_order);
    sim_free(nic->filters);
    sim_free(nic->vports);
    sim_free(nic->vfs);
    sim_free(nic->qp_mem);
    sim_free(nic);
    return rc;
}

void
nic_destroy(struct nic *nic)
{
    if (nic == NULL)
        return;
    pcie_fabric_unsubscribe(&nic->sub);
    sim_timer_stop(&nic->cmd_timer);
    nic__port_fini(nic);
    /* Destroying the PF runs vf_removed for each VF (queues stopped there). */
    pcie_pf_destroy(nic->pf.pcie);
    nic->pf.pcie = NULL;
    nic__fn_reset_queues(&nic->pf);
    for (unsigned i = 0; i < nic->total_vfs; i++)
        nic__fn_reset_queues(&nic->vfs[i]);
    sim_free(nic->rx_buf);
    sim_free(nic->tx_buf);
    sim_free(nic->filter_order);
    sim_free(nic->filters);
    sim_free(nic->vports);
    sim_free(nic->vfs);
    sim_free(nic->qp_mem);
    sim_free(nic);
}

/* ---------------------------------------------------------------------------------------------
 * Knobs.
 * ------------------------------------------------------------------------------------------- */
struct nic_knobs *
nic_knobs(struct nic *nic)
{
    return &nic->knobs;
}

int
nic_knob_set(struct nic *nic, const char *name, int64_t value, struct sim_diag *d)
{
    if (nic == NULL || name == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "nic_knob_set: NULL argument");
    if (strcmp(name, "cmd_fail_next") == 0) {
        if (value < 0 || value > UINT32_MAX)
            return sim_diag_fail(d, SIM_ERANGE, "knob cmd_fail_next: %lld out of range",
                                 (long long)value);
        nic->knobs.cmd_fail_next = (uint32_t)value;
    } else if (strcmp(name, "cmd_extra_delay_ns") == 0) {
        if (value < 0)
            return sim_diag_fail(d, SIM_ERANGE, "knob cmd_extra_delay_ns: negative");
        nic->knobs.cmd_extra_delay_ns = value;
    } else if (strcmp(name, "link_down") == 0 || strcmp(name, "rx_force_full") == 0) {
        if (value != 0 && value != 1)
            return sim_diag_fail(d, SIM_ERANGE, "knob %s takes 0 or 1", name);
        if (name[0] == 'l')
            nic_port_set_carrier(nic, value == 0);
        else
            nic->knobs.rx_force_full = value != 0;
    } else {
        return sim_diag_fail(d, SIM_ENOENT,
                             "unknown nic knob '%s' (known: cmd_fail_next, cmd_extra_delay_ns, "
                             "link_down, rx_force_full)",
                             name);
    }
    return 0;
}

int
nic_knob_get(const struct nic *nic, const char *name, int64_t *value)
{
    if (nic == NULL || name == NULL || value == NULL)
        return SIM_EINVAL;
    if (strcmp(name, "cmd_fail_next") == 0)
        *value = nic->knobs.cmd_fail_next;
    else if (strcmp(name, "cmd_extra_delay_ns") == 0)
        *value = nic->knobs.cmd_extra_delay_ns;
    else if (strcmp(name, "link_down") == 0)
        *value = nic->knobs.link_down;
    else if (strcmp(name, "rx_force_full") == 0)
        *value = nic->knobs.rx_force_full;
    else
        return SIM_ENOENT;
    return 0;
}
