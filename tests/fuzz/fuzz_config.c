/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c — libFuzzer target: PCI configuration space and BAR accesses to the simulated
 * 82599-like NIC (PF 01:00.0, TotalVFs 8) in any order, at any offset and width (including the
 * invalid ones), interleaved with FLRs, SR-IOV enable/disable, surprise removals and runs of the
 * clock — what a confused or hostile driver could do through the fabric.
 *
 * Checked: no access crashes; an access of width other than 1, 2, 4 (config) or 1, 2, 4, 8
 * (MMIO) is refused; the PF's read-only identity (vendor, device, class) never changes whatever
 * is written; a failed read never claims success; teardown returns every tagged allocation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "miniport_pf/pf_test.h"

static uint16_t
pick_rid(struct topo *t, struct fz *z)
{
    uint8_t s = fz_u8(z);
    if (s < 96)
        return T_PF_RID;
    if (s < 224)
        return nic_vf_rid(t->nic, (uint16_t)(s % T_TOTAL_VFS));
    return fz_u16(z);
}

static void
check_identity(struct topo *t, uint32_t id0, uint32_t class0)
{
    if (pcie_fabric_fn_state(t->fabric, T_PF_RID) == PCIE_FN_REMOVED)
        return;
    uint32_t v = 0;
    if (pcie_cfg_read(t->fabric, T_PF_RID, 0, 4, &v) == 0 && v != id0) {
        fprintf(stderr, "PF vendor/device changed: %08x -> %08x\n", id0, v);
        abort();
    }
    if (pcie_cfg_read(t->fabric, T_PF_RID, 8, 4, &v) == 0 && (v >> 8) != (class0 >> 8)) {
        fprintf(stderr, "PF class code changed: %08x -> %08x\n", class0, v);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct topo t;
    (void)sim_log_configure("off", NULL);
    struct fz z;
    fz_init(&z, data, size);
    topo_hw(&t, false);
    uint32_t id0 = 0, class0 = 0;
    if (pcie_cfg_read(t.fabric, T_PF_RID, 0, 4, &id0) != 0 ||
        pcie_cfg_read(t.fabric, T_PF_RID, 8, 4, &class0) != 0)
        abort();
    for (int steps = 0; steps < 256 && fz_more(&z); steps++) {
        uint8_t op = fz_u8(&z);
        uint16_t rid = pick_rid(&t, &z);
        switch (op % 12) {
        case 0:
        case 1:
        case 2: { /* config read */
            uint16_t off = fz_u16(&z) % 0x1010;
            unsigned w = fz_u8(&z) % 6;
            uint32_t v = 0xdeadbeef;
            int rc = pcie_cfg_read(t.fabric, rid, off, w, &v);
            if (rc == 0 && w != 1 && w != 2 && w != 4) {
                fprintf(stderr, "config read of width %u accepted\n", w);
                abort();
            }
            break;
        }
        case 3:
        case 4:
        case 5:
        case 6: { /* config write */
            uint16_t off = fz_u16(&z) % 0x1010;
            if (op & 0x80) /* aim at the interesting registers: command, BARs, caps */
                off = (uint16_t)(off % 0x180);
            unsigned w = fz_u8(&z) % 6;
            uint32_t v = fz_u32(&z);
            int rc = pcie_cfg_write(t.fabric, rid, off, w, v);
            if (rc == 0 && w != 1 && w != 2 && w != 4) {
                fprintf(stderr, "config write of width %u accepted\n", w);
                abort();
            }
            break;
        }
        case 7: { /* MMIO */
            int bar = fz_u8(&z) % 7;
            uint64_t off = fz_u32(&z) % 0x90000;
            unsigned w = fz_u8(&z) % 9;
            if (op & 0x80) {
                uint64_t v = 0;
                (void)pcie_mmio_read(t.fabric, rid, bar, off, w, &v);
            } else {
                (void)pcie_mmio_write(t.fabric, rid, bar, off, w, fz_u64(&z));
            }
            break;
        }
        case 8:
            (void)pcie_flr(t.fabric, rid, NULL, NULL);
            break;
        case 9: {
            struct sim_diag d;
            sim_diag_clear(&d);
            uint16_t n = fz_u8(&z) % (T_TOTAL_VFS + 2);
            if (op & 0x80)
                (void)pcie_sriov_disable(t.fabric, T_PF_RID, &d);
            else
                (void)pcie_sriov_enable(t.fabric, T_PF_RID, n, (op & 0x40) != 0, &d);
            break;
        }
        case 10:
            if (rid != T_PF_RID || (op & 0xf0) == 0xf0)
                (void)pcie_fn_surprise_remove(t.fabric, rid);
            break;
        default:
            t_run_for(&t, (sim_time_t)fz_u16(&z) * SIM_USEC(20));
            break;
        }
        check_identity(&t, id0, class0);
    }
    t_run_for(&t, SIM_SEC(1));
    topo_fini_hw(&t);
    fuzz_no_leaks("fuzz_config");
    return 0;
}
