/* SPDX-License-Identifier: MIT */
/* test_pf_helpers.c — the NdisM* PF helpers (reference §9) and the config-block invalidation
 * backchannel (§8), with the PF hardware hooks backed by the real simulated PCIe fabric. */
#include <criterion/criterion.h>
#include <string.h>

#include "ndis_shim/ndis_shim.h"
#include "pcie/pcie.h"

#define PF_RID PCIE_RID(1, 0, 0)

struct hw {
    struct pcie_fabric *f;
    struct pcie_fn *pf;
    int enable_calls;
};

static uint16_t
hw_total_vfs(void *ctx)
{
    struct hw *h = ctx;
    struct pcie_sriov_info i;
    return pcie_sriov_info(h->f, PF_RID, &i) == 0 ? i.total_vfs : 0;
}

static int
hw_set_vf_enable(void *ctx, uint16_t num_vfs, bool enable)
{
    struct hw *h = ctx;
    h->enable_calls++;
    return enable ? pcie_sriov_enable(h->f, PF_RID, num_vfs, true, NULL)
                  : pcie_sriov_disable(h->f, PF_RID, NULL);
}

static int
vf_rid(struct hw *h, uint16_t vf_id, uint16_t *rid)
{
    struct pcie_sriov_info i;
    int err = pcie_sriov_info(h->f, PF_RID, &i);
    if (err != 0)
        return err;
    return pcie_sriov_vf_rid(PF_RID, i.vf_offset, i.vf_stride, vf_id, rid);
}

static uint32_t
hw_cfg_read(void *ctx, uint16_t vf_id, void *buf, uint32_t off, uint32_t len)
{
    struct hw *h = ctx;
    uint16_t rid;
    if (vf_rid(h, vf_id, &rid) != 0)
        return 0;
    for (uint32_t i = 0; i < len; i++) {
        uint32_t v;
        if (pcie_cfg_read(h->f, rid, (uint16_t)(off + i), 1, &v) != 0)
            return 0;
        ((uint8_t *)buf)[i] = (uint8_t)v;
    }
    return len;
}

static uint32_t
hw_cfg_write(void *ctx, uint16_t vf_id, const void *buf, uint32_t off, uint32_t len)
{
    struct hw *h = ctx;
    uint16_t rid;
    if (vf_rid(h, vf_id, &rid) != 0)
        return 0;
    for (uint32_t i = 0; i < len; i++)
        if (pcie_cfg_write(h->f, rid, (uint16_t)(off + i), 1, ((const uint8_t *)buf)[i]) != 0)
            return 0;
    return len;
}

static int
hw_location(void *ctx, uint16_t vf_id, uint16_t *seg, uint8_t *bus, uint8_t *fn)
{
    uint16_t rid;
    int err = vf_rid(ctx, vf_id, &rid);
    if (err != 0)
        return err;
    *seg = 0;
    *bus = (uint8_t)PCIE_RID_BUS(rid);
    *fn = (uint8_t)PCIE_RID_DEVFN(rid);
    return 0;
}

static const struct ndis_pf_hw_ops hw_ops = {
    .total_vfs = hw_total_vfs,
    .set_vf_enable = hw_set_vf_enable,
    .vf_config_read = hw_cfg_read,
    .vf_config_write = hw_cfg_write,
    .vf_location = hw_location,
};

static struct sim_sched *s;
static struct hw hw;
static struct ndis_miniport *pf, *nic;

static ndis_status_t
no_oids(void *ctx, struct ndis_oid_request *req)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}

static const struct ndis_miniport_ops ops = {.oid_request = no_oids};

static void
setup(void)
{
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &s), 0);
    cr_assert_eq(pcie_fabric_create(s, &hw.f), 0);
    struct pcie_pf_config c;
    memset(&c, 0, sizeof c);
    c.rid = PF_RID;
    c.vendor_id = 0x8086;
    c.device_id = 0x10fb;
    c.bars[0].size = 0x20000;
    c.total_vfs = 8;
    c.vf_offset = 0x80;
    c.vf_stride = 2;
    c.vf_device_id = 0x10ed;
    c.vf_bars[0].size = 0x4000;
    c.ari = true;
    struct sim_diag d = {0};
    cr_assert_eq(pcie_pf_create(hw.f, &c, NULL, NULL, &hw.pf, &d), 0, "%s", d.reason);
    struct ndis_nic_switch_capabilities caps;
    memset(&caps, 0, sizeof caps);
    caps.header.revision = 2;
    caps.max_num_switches = 1;
    caps.max_num_vfs = 8;
    caps.max_num_vports = 9;
    struct ndis_miniport_config mc = {.name = "h1.pf0",
                                      .kind = NDIS_MINIPORT_PF,
                                      .sched = s,
                                      .ops = &ops,
                                      .sriov_enabled = true,
                                      .sriov_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED |
                                                    NDIS_SRIOV_CAPS_PF_MINIPORT,
                                      .nic_switch_caps = caps,
                                      .pf_hw = &hw_ops,
                                      .pf_hw_ctx = &hw};
    cr_assert_eq(ndis_miniport_create(&mc, &pf, &d), 0, "%s", d.reason);
    struct ndis_miniport_config nc = {.name = "h1.nic0", .sched = s, .ops = &ops};
    cr_assert_eq(ndis_miniport_create(&nc, &nic, &d), 0, "%s", d.reason);
}

static void
teardown(void)
{
    cr_assert_eq(ndis_miniport_destroy(pf), 0);
    cr_assert_eq(ndis_miniport_destroy(nic), 0);
    pcie_pf_destroy(hw.pf);
    pcie_fabric_destroy(hw.f);
    sim_sched_destroy(s);
    cr_assert_eq(sim_alloc_live_total(), 0);
}

TestSuite(ndis_pf, .init = setup, .fini = teardown);

Test(ndis_pf, enable_virtualization_writes_the_sriov_capability)
{
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 4, false, false, true), NDIS_STATUS_SUCCESS);
    struct pcie_sriov_info i;
    cr_assert_eq(pcie_sriov_info(hw.f, PF_RID, &i), 0);
    cr_assert_eq(i.num_vfs, 4);
    cr_assert(i.vf_enable);
    cr_assert(ndis_pf_is_virtualization_enabled(pf));
    cr_assert_eq(ndis_pf_num_vfs(pf), 4);
    /* Enabling while enabled fails (disable first). */
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 4, false, false, true), NDIS_STATUS_FAILURE);
    cr_assert_eq(hw.enable_calls, 1, "the hardware was not touched again");
    /* Disable with NumVFs != 0 is INVALID_PARAMETER; (0, FALSE) disables. */
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 2, false, false, false),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 0, false, false, false), NDIS_STATUS_SUCCESS);
    cr_assert_eq(pcie_sriov_info(hw.f, PF_RID, &i), 0);
    cr_assert(!i.vf_enable);
    cr_assert_eq(i.num_vfs, 0);
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 0, false, false, false), NDIS_STATUS_SUCCESS,
                 "disabling while disabled");
}

Test(ndis_pf, enable_virtualization_parameter_rules)
{
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 4, true, false, true),
                 NDIS_STATUS_INVALID_PARAMETER, "VF migration is reserved FALSE");
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 4, false, true, true),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 9, false, false, true),
                 NDIS_STATUS_INVALID_PARAMETER, "more than TotalVFs");
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 0, false, false, true),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(ndis_pf_enable_virtualization(nic, 4, false, false, true),
                 NDIS_STATUS_NOT_SUPPORTED, "not a PF");
    cr_assert_eq(hw.enable_calls, 0);
}

Test(ndis_pf, vf_location_and_rid_follow_the_capability_math)
{
    uint16_t seg;
    uint8_t bus, fn;
    cr_assert_eq(ndis_pf_get_vf_location(pf, 0, &seg, &bus, &fn), NDIS_STATUS_NOT_SUPPORTED,
                 "virtualization not enabled");
    cr_assert_eq(ndis_pf_get_vf_rid(pf, 0), NDIS_INVALID_RID);
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 4, false, false, true), NDIS_STATUS_SUCCESS);
    struct pcie_sriov_info i;
    pcie_sriov_info(hw.f, PF_RID, &i);
    for (uint16_t v = 0; v < 4; v++) {
        cr_assert_eq(ndis_pf_get_vf_location(pf, v, &seg, &bus, &fn), NDIS_STATUS_SUCCESS);
        uint16_t rid = (uint16_t)(PF_RID + i.vf_offset + v * i.vf_stride);
        cr_assert_eq(bus, rid >> 8);
        cr_assert_eq(fn, rid & 0xff);
        cr_assert_eq(ndis_pf_get_vf_rid(pf, v), NDIS_MAKE_RID(0, rid >> 8, rid & 0xff));
    }
    cr_assert_eq(ndis_pf_get_vf_location(pf, 4, &seg, &bus, &fn), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(NDIS_MAKE_RID(1, 2, 3), 0x00010203u);
}

Test(ndis_pf, vf_bus_data_reads_and_writes_vf_config_space)
{
    uint8_t buf[4];
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 0, buf, 0, 4), 0, "virtualization off");
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 2, false, false, true), NDIS_STATUS_SUCCESS);
    sim_sched_run(s, SIM_SEC(1)); /* VFs appear 100 ms after VF Enable */
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 1, buf, 0, 4), 4);
    /* A VF's Vendor and Device ID read 0xFFFF (SR-IOV spec) — which is why the guest needs
     * OID_SRIOV_VF_VENDOR_DEVICE_ID. */
    cr_assert_eq(buf[0] & buf[1] & buf[2] & buf[3], 0xFF);
    uint8_t cls[3];
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 1, cls, 0x09, 3), 3);
    cr_assert_eq(cls[2], 0x02, "VF class code: network controller");
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 2, buf, 0, 4), 0, "vf_id >= NumVFs");
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 0, NULL, 0, 4), 0);
    uint8_t cmd[2] = {0x06, 0x00}; /* Memory Space + Bus Master */
    cr_assert_eq(ndis_pf_set_vf_bus_data(pf, 0, cmd, PCIE_CFG_COMMAND, 2), 2);
    uint8_t back[2];
    cr_assert_eq(ndis_pf_get_vf_bus_data(pf, 0, back, PCIE_CFG_COMMAND, 2), 2);
    cr_assert_eq(back[0] & 0x04, 0x04, "Bus Master stuck");
    cr_assert_eq(ndis_pf_set_vf_bus_data(nic, 0, cmd, 4, 2), 0);
}

Test(ndis_pf, probed_bars_need_the_hook)
{
    uint32_t bars[NDIS_PCI_TYPE0_ADDRESSES];
    cr_assert_eq(ndis_pf_query_probed_bars(pf, bars), NDIS_STATUS_NOT_SUPPORTED);
}

static int inval_calls;
static uint16_t inval_vf;

static void
on_invalidate(void *ctx, struct ndis_miniport *p, uint16_t vf)
{
    inval_calls++;
    inval_vf = vf;
}

Test(ndis_pf, invalidate_config_block_masks_or_accumulate)
{
    cr_assert_eq(ndis_pf_invalidate_config_block(pf, 0, 1), NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_eq(ndis_pf_enable_virtualization(pf, 2, false, false, true), NDIS_STATUS_SUCCESS);
    ndis_pf_set_invalidate_cb(pf, on_invalidate, NULL);
    cr_assert_eq(ndis_pf_invalidate_config_block(pf, 1, 0x1), NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_pf_invalidate_config_block(pf, 1, 0x4), NDIS_STATUS_SUCCESS);
    cr_assert_eq(inval_calls, 2);
    cr_assert_eq(inval_vf, 1);
    cr_assert_eq(ndis_pf_take_invalidation(pf, 1), 0x5, "masks OR together (§8)");
    cr_assert_eq(ndis_pf_take_invalidation(pf, 1), 0, "taking clears");
    cr_assert_eq(ndis_pf_invalidate_config_block(pf, 2, 1), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(ndis_pf_invalidate_config_block(pf, 0, 0), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(ndis_pf_invalidate_config_block(nic, 0, 1), NDIS_STATUS_NOT_SUPPORTED);
}
