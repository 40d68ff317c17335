/* SPDX-License-Identifier: MIT */
/*
 * hw.c — everything that touches the device: config space and the SR-IOV capability (through
 * the PCIe fabric), BAR0 registers by MMIO, the command interface with its MSI-X completion and
 * a watchdog, MSI-X vectors, VF FLR, and the PF side of the mailbox registers. The only file of
 * the PF miniport that includes the datasheet (nic/nic_regs.h).
 *
 * Windows counterpart: hardware.c of the netvmini sample (the layer a real miniport keeps
 * between NDIS logic and registers), plus what pci.sys does for NdisMEnableVirtualization,
 * NdisM{Get,Set}VirtualFunctionBusData, NdisMGetVirtualFunctionLocation, NdisMQueryProbedBars.
 */
#include <string.h>

#include "miniport_pf/pf_int.h"
#include "nic/nic_regs.h"

/* ---- registers ----------------------------------------------------------------------------- */

static uint32_t
rd32(struct pf_adapter *a, uint32_t off)
{
    uint64_t v = 0xffffffffu;
    (void)pcie_mmio_read(a->fabric, a->rid, NIC_BAR_REGS, off, 4, &v);
    return (uint32_t)v;
}

static void
wr32(struct pf_adapter *a, uint32_t off, uint32_t val)
{
    (void)pcie_mmio_write(a->fabric, a->rid, NIC_BAR_REGS, off, 4, val);
}

static uint16_t
sriov_cap(struct pf_adapter *a)
{
    return pcie_cfg_find_cap(a->fabric, a->rid, PCIE_EXT_CAP_ID_SRIOV, true);
}

int
pf__hw_probe(struct pf_adapter *a, struct sim_diag *d)
{
    uint32_t vid = 0xffffffffu;
    if (pcie_cfg_read(a->fabric, a->rid, PCIE_CFG_VENDOR_ID, 4, &vid) != 0 ||
        (vid & 0xffffu) != NIC_PCI_VENDOR_ID || (vid >> 16) != NIC_PCI_DEVICE_ID) {
        char rb[PCIE_RID_STRLEN];
        return sim_diag_fail(d, SIM_ENODEV,
                             "pf %s: no sriovsim NIC PF at %s (vendor:device %04x:%04x)", a->name,
                             pcie_rid_format(a->rid, rb, sizeof rb), vid & 0xffffu, vid >> 16);
    }
    a->vendor_id = (uint16_t)vid;
    /* Memory Space + Bus Master so BAR0 decodes (Linux pci_enable_device + set_master). */
    int err = pcie_fn_enable(a->fabric, a->rid);
    if (err != 0)
        return sim_diag_fail(d, err, "pf %s: cannot enable the PF's memory space", a->name);
    if (rd32(a, NIC_REG_ID) != NIC_ID_MAGIC)
        return sim_diag_fail(d, SIM_ENODEV, "pf %s: BAR0 ID register is not the NIC's magic",
                             a->name);
    pf__mac_from_words(rd32(a, NIC_REG_MAC_LO), rd32(a, NIC_REG_MAC_HI), a->mac);
    a->max_vports = (uint16_t)rd32(a, NIC_REG_CAP_MAX_VPORTS);
    a->max_filters = (uint16_t)rd32(a, NIC_REG_CAP_MAX_FILTERS);
    a->pf_qps = (uint16_t)rd32(a, NIC_REG_CAP_MAX_QPS);
    a->vf_qps = (uint16_t)rd32(a, NIC_REG_CAP_VF_QPS);
    a->hw_caps = rd32(a, NIC_REG_CAP_FLAGS);
    uint16_t cap_vfs = (uint16_t)rd32(a, NIC_REG_CAP_MAX_VFS);
    struct pcie_sriov_info si;
    if (pcie_sriov_info(a->fabric, a->rid, &si) == 0) {
        a->total_vfs = si.total_vfs < cap_vfs ? si.total_vfs : cap_vfs;
        a->vf_device_id = si.vf_device_id;
    } else {
        a->total_vfs = 0; /* no SR-IOV capability: a plain NIC */
    }
    if (a->pf_qps > PF_PF_MAX_QPS)
        a->pf_qps = PF_PF_MAX_QPS;
    if (a->max_vports < a->total_vfs + 1u || a->max_filters == 0 || a->pf_qps == 0)
        return sim_diag_fail(d, SIM_ENODEV,
                             "pf %s: device capabilities inconsistent (VPorts %u, VFs %u, "
                             "filters %u, PF QPs %u)",
                             a->name, a->max_vports, a->total_vfs, a->max_filters, a->pf_qps);
    return 0;
}

/* ---- device commands ----------------------------------------------------------------------- */

static uint32_t
opcode_of(enum pf_hw_op op)
{
    switch (op) {
    case PF_HW_SWITCH_CREATE:
        return NIC_CMD_SWITCH_CREATE;
    case PF_HW_SWITCH_DELETE:
        return NIC_CMD_SWITCH_DELETE;
    case PF_HW_VPORT_CREATE:
        return NIC_CMD_VPORT_CREATE;
    case PF_HW_VPORT_DELETE:
        return NIC_CMD_VPORT_DELETE;
    case PF_HW_VPORT_SET:
        return NIC_CMD_VPORT_SET;
    case PF_HW_FILTER_SET:
        return NIC_CMD_FILTER_SET;
    case PF_HW_FILTER_CLEAR:
        return NIC_CMD_FILTER_CLEAR;
    case PF_HW_FILTER_MOVE:
        return NIC_CMD_FILTER_MOVE;
    }
    return NIC_CMD_NOP;
}

/* Our device-independent flag names map 1:1 onto the datasheet's; checked at compile time. */
_Static_assert(PF_VPF_ACTIVATED == NIC_VPORT_F_ACTIVATED && PF_VPF_TRUSTED == NIC_VPORT_F_TRUSTED &&
                   PF_VPF_ANTISPOOF == NIC_VPORT_F_ANTISPOOF,
               "VPort flags");
_Static_assert(PF_VPSET_FLAGS == NIC_VPORT_SET_FLAGS && PF_VPSET_MAC == NIC_VPORT_SET_MAC &&
                   PF_VPSET_VLAN == NIC_VPORT_SET_VLAN,
               "VPORT_SET mask");
_Static_assert(PF_FLT_MAC == NIC_FILTER_F_MAC && PF_FLT_VLAN == NIC_FILTER_F_VLAN &&
                   PF_FLT_UNTAGGED == NIC_FILTER_F_UNTAGGED_OR_ZERO,
               "filter flags");
_Static_assert(PF_RING_SLOTS_MAX == NIC_QP_RING_MAX && PF_DMA_IOVA <= NIC_DESC_IOVA_MASK,
               "queue pair limits");
_Static_assert(PF_CMD_PARAMS <= NIC_CMD_PARAM_WORDS && PF_CMD_RESULTS <= NIC_CMD_PARAM_WORDS,
               "command window");

static void
cmd_start(struct pf_adapter *a)
{
    if (a->cmd_busy || a->cmd_count == 0 || !a->initialized)
        return;
    struct pf_cmd *c = &a->cmdq[a->cmd_head];
    for (unsigned i = 0; i < PF_CMD_PARAMS; i++)
        wr32(a, NIC_REG_CMD_PARAM(i), c->p[i]);
    c->tag = ++a->cmd_tag;
    wr32(a, NIC_REG_CMD_TAG, c->tag);
    wr32(a, NIC_REG_CMD_DOORBELL, opcode_of(c->op));
    a->cmd_busy = true;
    a->stats.cmds++;
    (void)sim_timer_start(&a->cmd_watchdog, PF_CMD_WATCHDOG + NIC_CMD_LATENCY_NS);
}

/* Pop the head command and run its callback, then start the next one. */
static void
cmd_finish(struct pf_adapter *a, int err)
{
    struct pf_cmd c = a->cmdq[a->cmd_head];
    a->cmd_head = (a->cmd_head + 1) % PF_CMD_QUEUE;
    a->cmd_count--;
    a->cmd_busy = false;
    sim_timer_stop(&a->cmd_watchdog);
    if (err != 0)
        a->stats.cmd_errors++;
    if (err > 0)
        SIM_DEBUG(pf, "%s: device command 0x%04x failed: %s", a->name, opcode_of(c.op),
                  nic_err_name((unsigned)err));
    c.cb(a, &c, err);
    cmd_start(a);
}

/* Look at the command status; true if the in-flight command was finished. */
static bool
cmd_poll(struct pf_adapter *a)
{
    if (!a->cmd_busy)
        return false;
    uint32_t st = rd32(a, NIC_REG_CMD_STATUS);
    if (st == 0xffffffffu || (st & NIC_CMD_STATUS_BUSY) || !(st & NIC_CMD_STATUS_DONE))
        return false;
    struct pf_cmd *c = &a->cmdq[a->cmd_head];
    if (rd32(a, NIC_REG_CMD_DONE_TAG) != c->tag)
        return false;
    for (unsigned i = 0; i < PF_CMD_RESULTS; i++)
        c->r[i] = rd32(a, NIC_REG_CMD_RESULT(i));
    cmd_finish(a, NIC_CMD_STATUS_CODE(st));
    return true;
}

void
pf__hw_watchdog(struct pf_adapter *a)
{
    if (cmd_poll(a)) {
        /* Done, but the admin interrupt never arrived (msix_lost knob): recovered. */
        a->stats.lost_irq_recovered++;
        SIM_WARN(pf,
                 "%s: device command completed without its MSI-X interrupt (recovered by "
                 "the watchdog)",
                 a->name);
        return;
    }
    if (!a->cmd_busy)
        return;
    a->stats.cmd_timeouts++;
    SIM_ERROR(pf, "%s: device command 0x%04x not done after %lld ms: failing it", a->name,
              opcode_of(a->cmdq[a->cmd_head].op), (long long)(PF_CMD_WATCHDOG / SIM_MSEC(1)));
    cmd_finish(a, SIM_ETIMEDOUT);
}

int
pf__hw_cmd(struct pf_adapter *a, enum pf_hw_op op, const uint32_t *p, unsigned np, pf_cmd_cb cb,
           void *ctx, uintptr_t arg)
{
    if (!a->initialized || a->removed)
        return SIM_ENODEV;
    if (a->cmd_count == PF_CMD_QUEUE)
        return SIM_ENOSPC;
    struct pf_cmd *c = &a->cmdq[(a->cmd_head + a->cmd_count) % PF_CMD_QUEUE];
    memset(c, 0, sizeof *c);
    c->op = op;
    for (unsigned i = 0; i < np && i < PF_CMD_PARAMS; i++)
        c->p[i] = p[i];
    c->cb = cb;
    c->ctx = ctx;
    c->arg = arg;
    a->cmd_count++;
    cmd_start(a);
    return 0;
}

void
pf__hw_cmd_cancel_all(struct pf_adapter *a)
{
    while (a->cmd_count > 0) {
        a->cmd_busy = true; /* so cmd_finish does not start the next one on the device */
        struct pf_cmd c = a->cmdq[a->cmd_head];
        a->cmd_head = (a->cmd_head + 1) % PF_CMD_QUEUE;
        a->cmd_count--;
        c.cb(a, &c, SIM_ECANCELED);
    }
    a->cmd_busy = false;
    sim_timer_stop(&a->cmd_watchdog);
}

/* Device error of a command -> the status the OID's page documents (FAILURE = "other"). */
ndis_status_t
pf__status_from_hw(int err)
{
    if (err == 0)
        return NDIS_STATUS_SUCCESS;
    if (err == SIM_ECANCELED)
        return NDIS_STATUS_REQUEST_ABORTED;
    if (err < 0)
        return NDIS_STATUS_FAILURE; /* watchdog timeout, device gone */
    switch (err) {
    case NIC_ERR_NO_SPACE: /* table full / queue pairs exhausted */
        return NDIS_STATUS_RESOURCES;
    case NIC_ERR_BAD_PARAM:
    case NIC_ERR_NOT_FOUND:
    case NIC_ERR_EXISTS:
    case NIC_ERR_RANGE:
    case NIC_ERR_PERM:
        return NDIS_STATUS_INVALID_PARAMETER;
    default: /* STATE, BUSY, DMA, INJECTED, BAD_OPCODE */
        return NDIS_STATUS_FAILURE;
    }
}

const char *
pf__hw_err_name(int err)
{
    return err > 0 ? nic_err_name((unsigned)err) : sim_err_name(err);
}

/* ---- interrupts ---------------------------------------------------------------------------- */

static void
msix_handler(void *ctx, uint16_t rid, uint16_t vector)
{
    struct pf_adapter *a = ctx;
    (void)rid;
    if (!a->initialized)
        return;
    switch (vector) {
    case NIC_PF_VEC_ADMIN: /* command completion */
        (void)cmd_poll(a);
        break;
    case NIC_PF_VEC_MAILBOX: /* a VF posted a request or was reset */
        pf__mbx_interrupt(a);
        break;
    case NIC_PF_VEC_LINK: /* link change: the VFs learn it on GET_LINK */
        SIM_DEBUG(pf, "%s: link status 0x%08x", a->name, rd32(a, NIC_REG_STATUS));
        break;
    default:
        /* QP q (0: the default VPort; > 0: a VMQ queue): TX completions / received frames. */
        if (vector >= NIC_PF_VEC_QP_BASE && vector < NIC_PF_VEC_QP_BASE + PF_PF_MAX_QPS)
            pf__dp_interrupt(a, (uint16_t)(vector - NIC_PF_VEC_QP_BASE));
        break;
    }
}

static const uint16_t pf_vectors[] = {NIC_PF_VEC_ADMIN, NIC_PF_VEC_MAILBOX, NIC_PF_VEC_LINK,
                                      NIC_PF_VEC_QP_BASE};

int
pf__hw_start(struct pf_adapter *a, struct sim_diag *d)
{
    int err = pcie_fn_enable(a->fabric, a->rid);
    if (err != 0)
        return sim_diag_fail(d, err, "pf %s: cannot enable memory space / bus master", a->name);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(pf_vectors); i++) {
        err = pcie_msix_connect(a->fabric, a->rid, pf_vectors[i], msix_handler, a);
        if (err == 0)
            err = pcie_msix_mask(a->fabric, a->rid, pf_vectors[i], false);
        if (err != 0)
            goto disconnect;
    }
    err = pcie_msix_enable(a->fabric, a->rid, true);
    if (err != 0)
        goto disconnect;
    a->cmd_busy = false;
    a->cmd_head = a->cmd_count = 0;
    /* A command of a previous life may still be marked done; its tag no longer matches. */
    return 0;
disconnect:
    for (size_t i = 0; i < SIM_ARRAY_SIZE(pf_vectors); i++)
        (void)pcie_msix_disconnect(a->fabric, a->rid, pf_vectors[i]);
    return sim_diag_fail(d, err, "pf %s: MSI-X setup failed (%s)", a->name, sim_strerror(err));
}

void
pf__hw_stop(struct pf_adapter *a)
{
    pf__hw_cmd_cancel_all(a);
    (void)pcie_msix_enable(a->fabric, a->rid, false);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(pf_vectors); i++)
        (void)pcie_msix_disconnect(a->fabric, a->rid, pf_vectors[i]);
    sim_timer_stop(&a->cmd_watchdog);
}

/* ---- SR-IOV through config space (the hooks behind the NdisM* PF helpers) ------------------ */

static uint16_t
hw_total_vfs(void *hw)
{
    struct pf_adapter *a = hw;
    return a->total_vfs;
}

static int
hw_set_vf_enable(void *hw, uint16_t num_vfs, bool enable)
{
    struct pf_adapter *a = hw;
    struct sim_diag d;
    sim_diag_clear(&d);
    int err = enable ? pcie_sriov_enable(a->fabric, a->rid, num_vfs, true, &d)
                     : pcie_sriov_disable(a->fabric, a->rid, &d);
    if (err != 0)
        SIM_WARN(pf, "%s: VF %s failed: %s", a->name, enable ? "enable" : "disable", d.reason);
    else if (enable)
        a->vfs_ready_at = sim_sched_now(a->sched) + PCIE_VF_ENABLE_DELAY_NS;
    return err;
}

int
pf__hw_vf_rid(struct pf_adapter *a, uint16_t vf_id, uint16_t *rid)
{
    struct pcie_sriov_info si;
    int err = pcie_sriov_info(a->fabric, a->rid, &si);
    if (err != 0)
        return err;
    if (!si.vf_enable || vf_id >= si.num_vfs)
        return SIM_ERANGE;
    return pcie_sriov_vf_rid(a->rid, si.vf_offset, si.vf_stride, vf_id, rid);
}

static int
hw_vf_location(void *hw, uint16_t vf_id, uint16_t *segment, uint8_t *bus, uint8_t *function)
{
    uint16_t rid;
    int err = pf__hw_vf_rid(hw, vf_id, &rid);
    if (err != 0)
        return err;
    *segment = 0;
    *bus = (uint8_t)PCIE_RID_BUS(rid);
    *function = (uint8_t)PCIE_RID_DEVFN(rid); /* ARI: one 8-bit function number */
    return 0;
}

/* Config access split into naturally aligned 1/2/4-byte accesses. */
static uint32_t
cfg_xfer(struct pf_adapter *a, uint16_t rid, uint8_t *buf, uint32_t off, uint32_t len, bool write)
{
    if (off >= PCIE_CFG_SIZE || len > PCIE_CFG_SIZE - off)
        return 0;
    uint32_t done = 0;
    while (done < len) {
        uint32_t o = off + done;
        unsigned sz = (o % 4 == 0 && len - done >= 4) ? 4 : (o % 2 == 0 && len - done >= 2) ? 2 : 1;
        uint32_t v = 0;
        if (write) {
            for (unsigned i = 0; i < sz; i++)
                v |= (uint32_t)buf[done + i] << (8 * i);
            if (pcie_cfg_write(a->fabric, rid, (uint16_t)o, sz, v) != 0)
                return 0;
        } else {
            if (pcie_cfg_read(a->fabric, rid, (uint16_t)o, sz, &v) != 0)
                return 0;
            for (unsigned i = 0; i < sz; i++)
                buf[done + i] = (uint8_t)(v >> (8 * i));
        }
        done += sz;
    }
    return done;
}

static uint32_t
hw_vf_config_read(void *hw, uint16_t vf_id, void *buf, uint32_t offset, uint32_t len)
{
    struct pf_adapter *a = hw;
    uint16_t rid;
    if (pf__hw_vf_rid(a, vf_id, &rid) != 0)
        return 0;
    return cfg_xfer(a, rid, buf, offset, len, false);
}

static uint32_t
hw_vf_config_write(void *hw, uint16_t vf_id, const void *buf, uint32_t offset, uint32_t len)
{
    struct pf_adapter *a = hw;
    uint16_t rid;
    if (pf__hw_vf_rid(a, vf_id, &rid) != 0)
        return 0;
    uint8_t tmp[PCIE_CFG_SIZE];
    if (len > sizeof tmp)
        return 0;
    memcpy(tmp, buf, len);
    return cfg_xfer(a, rid, tmp, offset, len, true);
}

/* NdisMQueryProbedBars: what a BAR probe (write all-ones, read back, restore) of the VF BARs
 * reads — the guest's VPCI would see exactly this when it probes the VF (§4.2 PROBED_BARS). The
 * VF BAR templates live in the PF's SR-IOV capability. */
static int
hw_probed_bars(void *hw, uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES])
{
    struct pf_adapter *a = hw;
    uint16_t cap = sriov_cap(a);
    if (cap == 0)
        return SIM_ENOTSUP;
    for (unsigned i = 0; i < NDIS_PCI_TYPE0_ADDRESSES; i++) {
        uint16_t off = (uint16_t)(cap + PCIE_SRIOV_BAR + 4 * i);
        uint32_t orig = 0, probed = 0;
        if (pcie_cfg_read(a->fabric, a->rid, off, 4, &orig) != 0 ||
            pcie_cfg_write(a->fabric, a->rid, off, 4, 0xffffffffu) != 0 ||
            pcie_cfg_read(a->fabric, a->rid, off, 4, &probed) != 0 ||
            pcie_cfg_write(a->fabric, a->rid, off, 4, orig) != 0)
            return SIM_ENODEV;
        bars[i] = probed;
    }
    return 0;
}

int
pf__hw_vf_bar(struct pf_adapter *a, uint16_t vf_id, unsigned bar, uint64_t *addr, uint64_t *size)
{
    uint16_t cap = sriov_cap(a);
    if (cap == 0 || bar >= NDIS_PCI_TYPE0_ADDRESSES)
        return SIM_ERANGE;
    uint32_t probed[NDIS_PCI_TYPE0_ADDRESSES];
    int err = hw_probed_bars(a, probed);
    if (err != 0)
        return err;
    uint16_t off = (uint16_t)(cap + PCIE_SRIOV_BAR + 4 * bar);
    uint32_t lo = 0, hi = 0;
    if (pcie_cfg_read(a->fabric, a->rid, off, 4, &lo) != 0)
        return SIM_ENODEV;
    bool is64 = (lo & 0x6u) == 0x4u;
    uint64_t mask = probed[bar] & ~0xfull;
    if (is64 && bar + 1 < NDIS_PCI_TYPE0_ADDRESSES) {
        if (pcie_cfg_read(a->fabric, a->rid, (uint16_t)(off + 4), 4, &hi) != 0)
            return SIM_ENODEV;
        mask |= (uint64_t)probed[bar + 1] << 32;
    } else {
        mask |= UINT64_C(0xffffffff00000000);
    }
    if ((mask & 0xffffffffull) == 0)
        return SIM_ERANGE; /* BAR not implemented */
    uint64_t sz = ~mask + 1;
    uint64_t base = ((uint64_t)hi << 32 | lo) & ~0xfull;
    *size = sz;
    *addr = base + (uint64_t)vf_id * sz; /* VF n's BARk = IOV BARk base + n * size (§12.4) */
    return 0;
}

const struct ndis_pf_hw_ops pf__hw_ops = {
    .total_vfs = hw_total_vfs,
    .set_vf_enable = hw_set_vf_enable,
    .vf_config_read = hw_vf_config_read,
    .vf_config_write = hw_vf_config_write,
    .vf_location = hw_vf_location,
    .probed_bars = hw_probed_bars,
};

/* ---- VF FLR and power ----------------------------------------------------------------------- */

static void
flr_done(void *ctx, uint16_t rid, int status)
{
    struct pf_adapter *a = ctx;
    (void)rid;
    void (*cb)(struct pf_adapter *, uint16_t, int) = a->flr_cb;
    a->flr_cb = NULL;
    if (cb != NULL)
        cb(a, a->flr_vf, status);
}

int
pf__hw_vf_flr(struct pf_adapter *a, uint16_t vf_id,
              void (*done)(struct pf_adapter *, uint16_t, int))
{
    uint16_t rid;
    if (a->flr_cb != NULL)
        return SIM_EBUSY;
    int err = pf__hw_vf_rid(a, vf_id, &rid);
    if (err != 0)
        return err;
    a->flr_cb = done;
    a->flr_vf = vf_id;
    /* Models pcie_flr(): Initiate FLR, wait the 100 ms bound, check the VF answers. */
    err = pcie_flr(a->fabric, rid, flr_done, a);
    if (err != 0)
        a->flr_cb = NULL;
    return err;
}

int
pf__hw_vf_set_power(struct pf_adapter *a, uint16_t vf_id, uint32_t ndis_dstate, bool wake)
{
    uint16_t rid;
    int err = pf__hw_vf_rid(a, vf_id, &rid);
    if (err != 0)
        return err;
    uint16_t pm = pcie_cfg_find_cap(a->fabric, rid, PCIE_CAP_ID_PM, false);
    if (pm == 0)
        return SIM_ENOTSUP;
    /* PMCSR (PM cap + 4): PowerState bits 1:0 (D0=0 .. D3hot=3), PME_En bit 8. */
    uint32_t pmcsr = 0;
    err = pcie_cfg_read(a->fabric, rid, (uint16_t)(pm + 4), 2, &pmcsr);
    if (err != 0)
        return err;
    pmcsr = (pmcsr & ~0x0103u) | ((ndis_dstate - NDIS_DEVICE_POWER_STATE_D0) & 3u) |
            (wake ? 0x0100u : 0u);
    return pcie_cfg_write(a->fabric, rid, (uint16_t)(pm + 4), 2, pmcsr);
}

/* ---- queue pairs: QP 0 (the default VPort's) and VMQ queues (PF non-default VPorts) ---------- */

int
pf__hw_qp_enable(struct pf_adapter *a, uint16_t index, unsigned slots, uint64_t ring_iova,
                 size_t ring_bytes, struct sim_diag *d)
{
    if (index >= a->pf_qps)
        return sim_diag_fail(d, SIM_ERANGE, "pf %s: QP %u beyond the device's %u PF QPs", a->name,
                             index, a->pf_qps);
    if (index != 0 && !a->poll_mode) {
        /* QP q raises MSI-X vector NIC_PF_VEC_QP_BASE + q (QP 0's is connected at start). */
        uint16_t vec = (uint16_t)(NIC_PF_VEC_QP_BASE + index);
        int err = pcie_msix_connect(a->fabric, a->rid, vec, msix_handler, a);
        if (err == 0)
            err = pcie_msix_mask(a->fabric, a->rid, vec, false);
        if (err != 0)
            return sim_diag_fail(d, err, "pf %s: cannot connect MSI-X vector %u of QP %u (%s)",
                                 a->name, vec, index, sim_strerror(err));
    }
    uint32_t q = NIC_REG_QP(index);
    for (unsigned i = 0; i < PF_QP_RINGS; i++) {
        uint64_t iova = ring_iova + i * ring_bytes;
        wr32(a, q + NIC_QP_TX_IOVA_LO + 8 * i, (uint32_t)iova);
        wr32(a, q + NIC_QP_TX_IOVA_HI + 8 * i, (uint32_t)(iova >> 32));
    }
    wr32(a, q + NIC_QP_SIZE, slots);
    /* Bench (poll) mode: no data-path interrupt; the owner polls the rings. */
    wr32(a, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE | (a->poll_mode ? 0 : NIC_QP_CTRL_IRQ));
    uint32_t st = rd32(a, q + NIC_QP_STATUS);
    if (st == 0xffffffffu)
        return sim_diag_fail(d, SIM_ENODEV, "pf %s: device vanished while enabling QP %u", a->name,
                             index);
    if (!(st & NIC_QP_STATUS_ENABLED))
        return sim_diag_fail(d, SIM_EIO, "pf %s: the device refused QP %u (%s)", a->name, index,
                             nic_err_name(st & 0xffffu));
    return 0;
}

void
pf__hw_qp_disable(struct pf_adapter *a, uint16_t index)
{
    if (index >= a->pf_qps)
        return;
    /* Also after a surprise removal: if the function is really gone the write goes nowhere;
     * if only PnP said so, the device must stop using rings the driver is emptying. */
    wr32(a, NIC_REG_QP(index) + NIC_QP_CTRL, 0);
    if (index != 0 && !a->poll_mode) {
        uint16_t vec = (uint16_t)(NIC_PF_VEC_QP_BASE + index);
        (void)pcie_msix_mask(a->fabric, a->rid, vec, true);
        (void)pcie_msix_disconnect(a->fabric, a->rid, vec);
    }
}

bool
pf__hw_tx_doorbell(struct pf_adapter *a, uint16_t index)
{
    return pcie_mmio_write(a->fabric, a->rid, NIC_BAR_REGS, NIC_REG_QP(index) + NIC_QP_TX_DOORBELL,
                           4, 1) == 0;
}

bool
pf__hw_rxf_doorbell(struct pf_adapter *a, uint16_t index)
{
    return pcie_mmio_write(a->fabric, a->rid, NIC_BAR_REGS, NIC_REG_QP(index) + NIC_QP_RXF_DOORBELL,
                           4, 1) == 0;
}

bool
pf__hw_qp_ack(struct pf_adapter *a, uint16_t index)
{
    uint32_t cause = rd32(a, NIC_REG_QP(index) + NIC_QP_CAUSE);
    if (cause == 0xffffffffu)
        return false;
    if (cause != 0)
        wr32(a, NIC_REG_QP(index) + NIC_QP_CAUSE, cause); /* W1C */
    return true;
}

void
pf__hw_link(struct pf_adapter *a, bool *up, uint32_t *mbps)
{
    *up = (rd32(a, NIC_REG_STATUS) & NIC_STATUS_LINK_UP) != 0;
    *mbps = rd32(a, NIC_REG_LINK_SPEED);
}

/* ---- mailbox registers ---------------------------------------------------------------------- */

const uint16_t pf__mbx_type_vf_reset = NIC_MBX_MSG_VF_RESET;
const uint16_t pf__mbx_type_set_mac = NIC_MBX_MSG_SET_MAC;
const uint16_t pf__mbx_type_set_multicast = NIC_MBX_MSG_SET_MULTICAST;
const uint16_t pf__mbx_type_set_vlan = NIC_MBX_MSG_SET_VLAN;
const uint16_t pf__mbx_type_set_mtu = NIC_MBX_MSG_SET_MTU;
const uint16_t pf__mbx_type_api = NIC_MBX_MSG_API_NEGOTIATE;
const uint16_t pf__mbx_type_get_queues = NIC_MBX_MSG_GET_QUEUES;
const uint16_t pf__mbx_type_get_link = NIC_MBX_MSG_GET_LINK;
const uint16_t pf__mbx_type_cfg_read = NIC_MBX_MSG_CFG_BLOCK_READ;
const uint16_t pf__mbx_type_cfg_write = NIC_MBX_MSG_CFG_BLOCK_WRITE;
const uint16_t pf__mbx_type_cfg_invalidate = NIC_MBX_MSG_PF_CFG_INVALIDATE;

uint32_t
pf__mbx_hdr(uint16_t type, unsigned len, unsigned seq)
{
    return NIC_MBX_HDR(type, len, seq);
}
uint16_t
pf__mbx_hdr_type(uint32_t w0)
{
    return NIC_MBX_TYPE(w0);
}
unsigned
pf__mbx_hdr_len(uint32_t w0)
{
    return NIC_MBX_LEN(w0);
}
unsigned
pf__mbx_hdr_seq(uint32_t w0)
{
    return NIC_MBX_SEQ(w0);
}
void
pf__mac_to_words(const uint8_t mac[6], uint32_t *lo, uint32_t *hi)
{
    nic_mac_to_words(mac, lo, hi);
}
void
pf__mac_from_words(uint32_t lo, uint32_t hi, uint8_t mac[6])
{
    nic_mac_from_words(lo, hi, mac);
}

uint64_t
pf__hw_mbx_req_pending(struct pf_adapter *a)
{
    return (uint64_t)rd32(a, NIC_REG_MBX_REQ_PENDING_LO) |
           (uint64_t)rd32(a, NIC_REG_MBX_REQ_PENDING_HI) << 32;
}

uint64_t
pf__hw_mbx_take_vflr(struct pf_adapter *a)
{
    uint32_t lo = rd32(a, NIC_REG_MBX_VFLR_PENDING_LO), hi = rd32(a, NIC_REG_MBX_VFLR_PENDING_HI);
    if (lo == 0xffffffffu && hi == 0xffffffffu)
        return 0; /* device gone */
    if (lo)
        wr32(a, NIC_REG_MBX_VFLR_PENDING_LO, lo);
    if (hi)
        wr32(a, NIC_REG_MBX_VFLR_PENDING_HI, hi);
    return (uint64_t)hi << 32 | lo;
}

void
pf__hw_mbx_read_req(struct pf_adapter *a, uint16_t vf_id, uint32_t words[16])
{
    for (unsigned i = 0; i < NIC_MBX_WORDS; i++)
        words[i] = rd32(a, NIC_REG_PF_MBX_REQ(vf_id, i));
}

void
pf__hw_mbx_answer(struct pf_adapter *a, uint16_t vf_id, bool ack, const uint32_t *words,
                  unsigned nwords)
{
    uint32_t ctrl = ack ? NIC_PF_MBX_CTRL_ACK : NIC_PF_MBX_CTRL_NACK;
    if (nwords > 0 && !(rd32(a, NIC_REG_PF_MBX_CTRL(vf_id)) & NIC_PF_MBX_CTRL_MSG)) {
        for (unsigned i = 0; i < nwords && i < NIC_MBX_WORDS; i++)
            wr32(a, NIC_REG_PF_MBX_MSG(vf_id, i), words[i]);
        ctrl |= NIC_PF_MBX_CTRL_MSG;
    }
    wr32(a, NIC_REG_PF_MBX_CTRL(vf_id), ctrl);
}

bool
pf__hw_mbx_send(struct pf_adapter *a, uint16_t vf_id, const uint32_t *words, unsigned n)
{
    if (rd32(a, NIC_REG_PF_MBX_CTRL(vf_id)) & NIC_PF_MBX_CTRL_MSG)
        return false; /* the VF has not released the previous message */
    for (unsigned i = 0; i < n && i < NIC_MBX_WORDS; i++)
        wr32(a, NIC_REG_PF_MBX_MSG(vf_id, i), words[i]);
    wr32(a, NIC_REG_PF_MBX_CTRL(vf_id), NIC_PF_MBX_CTRL_MSG);
    return true;
}
