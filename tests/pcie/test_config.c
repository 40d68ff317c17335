/* SPDX-License-Identifier: MIT */
/* test_config.c — config space: header, capability lists, per-register access semantics (RO,
 * RW, RW1C, hardware-initialised), BAR sizing, VF ID registers, bad accesses, RID parsing. */
#include "pcie_test.h"

static struct fixture fx;
static void
setup(void)
{
    fx_setup(&fx);
}
static void
teardown(void)
{
    fx_teardown(&fx);
}

TestSuite(pcie_config, .init = setup, .fini = teardown);

Test(pcie_config, type0_header_and_ids)
{
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_VENDOR_ID, 2), 0x8086);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_DEVICE_ID, 2), 0x10fb);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_CLASS_PROG, 1), 0x00);
    cr_assert_eq(cfg_rd(&fx, PF_RID, 0x0b, 1), 0x02); /* base class: network */
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_HEADER_TYPE, 1), 0x00);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_STATUS, 2) & PCIE_STATUS_CAP_LIST,
                 PCIE_STATUS_CAP_LIST);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_CAP_PTR, 1), 0x40);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_INT_PIN, 1), 1);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_SUBSYS_ID, 2), 0x0003);
}

Test(pcie_config, capability_lists_walk)
{
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_PM, false), 0x40);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_MSIX, false), 0x50);
    uint16_t exp = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_EXP, false);
    cr_assert_eq(exp, 0x70);
    cr_assert(cfg_rd(&fx, PF_RID, exp + PCIE_EXP_DEVCAP, 4) & PCIE_EXP_DEVCAP_FLR);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_AER, true), 0x100);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_DSN, true), 0x140);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_ARI, true), 0x150);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_SRIOV, true), 0x160);
    uint32_t h = cfg_rd(&fx, PF_RID, 0x160, 4);
    cr_assert_eq(h & 0xffff, 0x0010);
    cr_assert_eq((h >> 16) & 0xf, 1, "SR-IOV version 1");
    cr_assert_eq(h >> 20, 0, "last in chain");
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, 0x0d /* ACS */, true), 0);
}

Test(pcie_config, sriov_registers_initial_values)
{
    uint16_t s = sriov_cap(&fx);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_CAP, 4), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_CTRL, 2), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_STATUS, 2), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_INITIAL_VF, 2), 8);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_TOTAL_VF, 2), 8);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_NUM_VF, 2), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_FUNC_LINK, 1), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_OFFSET, 2), 0x80);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_STRIDE, 2), 2);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_DID, 2), 0x10ed);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_SUP_PGSIZE, 4), 0x553);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_SYS_PGSIZE, 4), 1);
    /* VF BAR0: 64-bit prefetchable template with an address assigned by "firmware". */
    uint32_t bar0 = cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_BAR, 4);
    cr_assert_eq(bar0 & 0xf, 0xc);
    cr_assert_neq(bar0 & ~0xfu, 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VFM, 4), 0);
}

Test(pcie_config, read_only_registers_ignore_writes)
{
    uint16_t s = sriov_cap(&fx);
    cr_assert_eq(pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_VENDOR_ID, 4, 0x12345678), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_VENDOR_ID, 4), 0x10fb8086);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_TOTAL_VF, 2, 99);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_VF_OFFSET, 2, 5);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_VF_STRIDE, 2, 5);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_VF_DID, 2, 0xbeef);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_CAP, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_TOTAL_VF, 2), 8);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_OFFSET, 2), 0x80);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_STRIDE, 2), 2);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_VF_DID, 2), 0x10ed);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_CAP, 4), 0);
    /* Migration bits of SR-IOV Control are RO 0 (no VF Migration capability). */
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_CTRL, 2,
                   PCIE_SRIOV_CTRL_VFM | PCIE_SRIOV_CTRL_INTR);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_CTRL, 2), 0);
}

Test(pcie_config, read_write_registers_take_writes)
{
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_INT_LINE, 1, 0x0b);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_INT_LINE, 1), 0x0b);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_COMMAND, 2, 0xffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_COMMAND, 2), 0x0546, "only the RW bits stick");
    uint16_t s = sriov_cap(&fx);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_SYS_PGSIZE, 4, 0x2);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_SYS_PGSIZE, 4), 0x2);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_SYS_PGSIZE, 4, 0x4); /* 16K unsupported bit */
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_SYS_PGSIZE, 4), 0x0,
                 "unsupported page-size bits are not writable");
}

Test(pcie_config, write_one_to_clear_bits)
{
    struct pcie_fn *pf = fx.pf;
    uint16_t aer = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_AER, true);
    /* Hardware latches errors (hardware-initialised write)... */
    cr_assert_eq(pcie_fn_hw_cfg_write(pf, aer + 0x10, 4, 0x00000041), 0);
    cr_assert_eq(
        pcie_fn_hw_cfg_write(pf, PCIE_CFG_STATUS, 2, PCIE_STATUS_CAP_LIST | 0x2000 | 0x0800), 0);
    /* ...software writing 0 changes nothing... */
    pcie_cfg_write(fx.f, PF_RID, aer + 0x10, 4, 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, aer + 0x10, 4), 0x41);
    /* ...writing 1 clears exactly those bits. */
    pcie_cfg_write(fx.f, PF_RID, aer + 0x10, 4, 0x01);
    cr_assert_eq(cfg_rd(&fx, PF_RID, aer + 0x10, 4), 0x40);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_STATUS, 2, 0x2000);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_STATUS, 2), PCIE_STATUS_CAP_LIST | 0x0800);
    /* Cap List (RO) survives a write of all ones. */
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_STATUS, 2, 0xffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_STATUS, 2), PCIE_STATUS_CAP_LIST);
}

Test(pcie_config, hardware_initialised_is_read_only_to_software)
{
    uint16_t exp = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_CAP_ID_EXP, false);
    pcie_fn_hw_cfg_write(fx.pf, exp + PCIE_EXP_DEVSTA, 2, PCIE_EXP_DEVSTA_TRPND);
    pcie_cfg_write(fx.f, PF_RID, exp + PCIE_EXP_DEVSTA, 2, 0xffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, exp + PCIE_EXP_DEVSTA, 2), PCIE_EXP_DEVSTA_TRPND);
    cr_assert_eq(pcie_fn_hw_cfg_write(fx.pf, 0xfff, 2, 0), SIM_EINVAL);
}

Test(pcie_config, bar_sizing_reads_back_size_mask)
{
    /* BAR0 is 64-bit prefetchable 512 KiB. */
    uint32_t orig = cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0, 4);
    cr_assert_eq(orig & 0xf, 0xc);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_BAR0, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0, 4), 0xfff8000c);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_BAR0 + 4, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0 + 4, 4), 0xffffffff);
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_BAR0, 4, orig);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0, 4), orig);
    /* Unused BAR1 slot (upper half) is not a BAR of its own; BAR2 is unused: RO 0. */
    pcie_cfg_write(fx.f, PF_RID, PCIE_CFG_BAR0 + 8, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_BAR0 + 8, 4), 0);
    /* VF BAR sizing in the SR-IOV capability works the same way (16 KiB per VF). */
    uint16_t s = sriov_cap(&fx);
    pcie_cfg_write(fx.f, PF_RID, s + PCIE_SRIOV_BAR, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, PF_RID, s + PCIE_SRIOV_BAR, 4), 0xffffc00c);
}

Test(pcie_config, bad_accesses_are_rejected)
{
    uint32_t v = 0x1234;
    cr_assert_eq(pcie_cfg_read(fx.f, PF_RID, 0x01, 2, &v), SIM_EINVAL, "misaligned");
    cr_assert_eq(v, 0x1234);
    cr_assert_eq(pcie_cfg_read(fx.f, PF_RID, 0x00, 3, &v), SIM_EINVAL, "size 3");
    cr_assert_eq(pcie_cfg_read(fx.f, PF_RID, 0x1000, 4, &v), SIM_EINVAL, "past 4 KiB");
    cr_assert_eq(pcie_cfg_write(fx.f, PF_RID, 0x02, 4, 0), SIM_EINVAL);
    cr_assert_eq(pcie_cfg_read(NULL, PF_RID, 0, 4, &v), SIM_EINVAL);
    /* An absent function reads all-ones, as the root complex answers. */
    cr_assert_eq(pcie_cfg_read(fx.f, PCIE_RID(2, 0, 0), 0, 4, &v), SIM_ENODEV);
    cr_assert_eq(v, 0xffffffff);
    cr_assert_eq(pcie_cfg_read(fx.f, PCIE_RID(2, 0, 0), 0, 1, &v), SIM_ENODEV);
    cr_assert_eq(v, 0xff);
    cr_assert_eq(pcie_cfg_write(fx.f, PCIE_RID(2, 0, 0), 4, 2, 6), SIM_ENODEV);
    struct pcie_stats st;
    pcie_fabric_stats(fx.f, &st);
    cr_assert_eq(st.cfg_absent_reads, 2);
    cr_assert_eq(st.cfg_dropped_writes, 1);
}

Test(pcie_config, vf_ids_read_ffff_and_vf_header)
{
    fx_enable_vfs(&fx, 2, true);
    uint16_t vf0 = PCIE_RID(1, 0x10, 0);
    cr_assert_eq(pcie_fabric_fn_state(fx.f, vf0), PCIE_FN_READY);
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_VENDOR_ID, 2), 0xffff);
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_DEVICE_ID, 2), 0xffff);
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_INT_PIN, 1), 0, "VFs have no INTx");
    /* Memory Space Enable is RO 0 in a VF; Bus Master is RW. */
    pcie_cfg_write(fx.f, vf0, PCIE_CFG_COMMAND, 2, PCIE_CMD_MEMORY | PCIE_CMD_MASTER);
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_COMMAND, 2), PCIE_CMD_MASTER);
    /* VF header BARs are RO 0 (VF BARs live in the PF's SR-IOV capability). */
    pcie_cfg_write(fx.f, vf0, PCIE_CFG_BAR0, 4, 0xffffffff);
    cr_assert_eq(cfg_rd(&fx, vf0, PCIE_CFG_BAR0, 4), 0);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, vf0, PCIE_CAP_ID_MSIX, false), 0x70);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, vf0, PCIE_CAP_ID_EXP, false), 0xa0);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, vf0, PCIE_EXT_CAP_ID_ARI, true), 0x150);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, vf0, PCIE_EXT_CAP_ID_SRIOV, true), 0, "VFs have none");
    uint16_t exp = 0xa0;
    cr_assert(cfg_rd(&fx, vf0, exp + PCIE_EXP_DEVCAP, 4) & PCIE_EXP_DEVCAP_FLR);
}

Test(pcie_config, configurable_sriov_offset)
{
    fx_teardown(&fx);
    struct pcie_pf_config c = test_pf_config();
    c.sriov_offset = 0x100; /* where AER would go: the others move out of its way */
    fx_setup_cfg(&fx, &c);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_SRIOV, true), 0x100);
    uint16_t aer = pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_AER, true);
    cr_assert_geq(aer, 0x140);
    cr_assert_eq(pcie_cfg_find_cap(fx.f, PF_RID, PCIE_EXT_CAP_ID_ARI, true) != 0, true);
    cr_assert_eq(cfg_rd(&fx, PF_RID, 0x100 + PCIE_SRIOV_TOTAL_VF, 2), 8);
}

Test(pcie_config, rid_format_and_parse)
{
    char b[PCIE_RID_STRLEN];
    cr_assert_str_eq(pcie_rid_format(PCIE_RID(1, 0x10, 6), b, sizeof(b)), "01:10.6");
    uint16_t r;
    cr_assert_eq(pcie_rid_parse("01:10.6", &r), 0);
    cr_assert_eq(r, PCIE_RID(1, 0x10, 6));
    cr_assert_eq(pcie_rid_parse("0000:ff:1f.7", &r), 0);
    cr_assert_eq(r, 0xffff);
    cr_assert_eq(pcie_rid_parse("01:20.0", &r), SIM_EINVAL, "device > 1f");
    cr_assert_eq(pcie_rid_parse("01:00.8", &r), SIM_EINVAL);
    cr_assert_eq(pcie_rid_parse("01:00", &r), SIM_EINVAL);
    cr_assert_eq(pcie_rid_parse("01:00.0x", &r), SIM_EINVAL);
    cr_assert_eq(pcie_rid_parse("zz:00.0", &r), SIM_EINVAL);
    cr_assert_eq(pcie_rid_parse("0001:01:00.0", &r), SIM_EINVAL, "only domain 0");
}

Test(pcie_config, pf_config_validation_names_the_field)
{
    struct sim_diag d = {0};
    struct pcie_fn *pf2;
    struct pcie_pf_config c = test_pf_config();
    c.rid = PCIE_RID(3, 0, 0);
    c.vendor_id = 0xffff;
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "vendor_id"), "%s", d.reason);
    c = test_pf_config();
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EEXIST);
    c.rid = PCIE_RID(3, 0, 0);
    c.bars[0].size = 0x3000;
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "BAR0"), "%s", d.reason);
    c = test_pf_config();
    c.rid = PCIE_RID(3, 0, 0);
    c.initial_vfs = 9;
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "InitialVFs"), "%s", d.reason);
    c = test_pf_config();
    c.rid = PCIE_RID(3, 0, 0);
    c.msix_pba_offset = 0x100; /* overlaps the 64-entry table at 0 */
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "overlap"), "%s", d.reason);
    c = test_pf_config();
    c.rid = PCIE_RID(3, 0, 0);
    c.sriov_offset = 0xfc4;
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    c = test_pf_config();
    c.rid = PCIE_RID(3, 0, 0);
    c.vf_bars[0].size = 0x800; /* smaller than a page */
    cr_assert_eq(pcie_pf_create(fx.f, &c, NULL, NULL, &pf2, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "VF BAR0"), "%s", d.reason);
}

Test(pcie_config, fn_enable_sets_mse_and_bme)
{
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_COMMAND, 2), 0);
    cr_assert_eq(pcie_fn_enable(fx.f, PF_RID), 0);
    cr_assert_eq(cfg_rd(&fx, PF_RID, PCIE_CFG_COMMAND, 2), PCIE_CMD_MEMORY | PCIE_CMD_MASTER);
}

Test(pcie_config, fabric_create_oom_sweep)
{
    for (long n = 0;; n++) {
        struct pcie_fabric *f = NULL;
        long before = sim_alloc_live_total();
        sim_alloc_fail_nth(n);
        int err = pcie_fabric_create(fx.s, &f);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_geq(n, 1, "fabric_create allocates");
            pcie_fabric_destroy(f);
            cr_assert_eq(sim_alloc_live_total(), before);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM, "n=%ld", n);
        cr_assert_null(f);
        cr_assert_eq(sim_alloc_live_total(), before, "n=%ld leaked", n);
    }
}

Test(pcie_config, pf_create_oom_sweep)
{
    struct pcie_pf_config c = test_pf_config();
    c.rid = PCIE_RID(4, 0, 0);
    long n;
    for (n = 0;; n++) {
        struct pcie_fn *pf = NULL;
        struct sim_diag d = {0};
        long before = sim_alloc_live_total();
        sim_alloc_fail_nth(n);
        int err = pcie_pf_create(fx.f, &c, &td_ops, &fx.td, &pf, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_eq(pcie_fabric_fn_state(fx.f, c.rid), PCIE_FN_READY);
            pcie_pf_destroy(pf);
            cr_assert_eq(sim_alloc_live_total(), before);
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM, "n=%ld: %s", n, d.reason);
        cr_assert_eq(sim_alloc_live_total(), before, "n=%ld leaked", n);
        cr_assert_eq(pcie_fabric_fn_state(fx.f, c.rid), PCIE_FN_ABSENT);
    }
    /* PF (2) + its MSI-X (3) + VF array (1) + 8 VFs x (1 + 3 MSI-X) = 38 allocations */
    cr_assert_geq(n, 38);
}
