/* SPDX-License-Identifier: MIT */
/*
 * dump.c — config space in the `lspci -xxxx` text format, so the real `lspci -F FILE -vvv`
 * (and `setpci -A dump`) decode the simulated functions exactly as a real SR-IOV NIC. Format
 * rules: ecosystem.md 3.1 (header line "bb:dd.f " with the mandatory space, 256 lines of 16
 * bytes "00:".."ff0:", a blank line after each device, every line ends with '\n'). VFs get the
 * PF's Vendor ID and the SR-IOV VF Device ID substituted, as the OS does (the device itself
 * returns ffff there; ecosystem.md 3.2).
 */
#include <string.h>

#include "pcie/pcie_int.h"

static const char *
class_name(uint32_t class_code)
{
    switch (class_code >> 8) {
    case 0x0200:
        return "Ethernet controller";
    case 0x0207:
        return "Infiniband controller";
    case 0x0280:
        return "Network controller";
    case 0x0108:
        return "Non-Volatile memory controller";
    default:
        return "Device";
    }
}

static int
dump_fn(FILE *out, const struct pcie_fn *fn, unsigned flags)
{
    uint8_t cfg[PCIE_CFG_SIZE];
    memcpy(cfg, fn->cfg, sizeof(cfg));
    const struct pcie_fn *pf = fn->pf;
    char b[PCIE_RID_STRLEN], pb[PCIE_RID_STRLEN];
    uint32_t class_code = pcie__cfg_get(fn, PCIE_CFG_CLASS_PROG, 3);
    if (fn->vf_index >= 0 && !(flags & PCIE_DUMP_RAW_IDS)) {
        uint16_t vid = (uint16_t)pcie__cfg_get(pf, PCIE_CFG_VENDOR_ID, 2);
        uint16_t did =
            (uint16_t)pcie__cfg_get(pf, (uint16_t)(pf->ecap_sriov + PCIE_SRIOV_VF_DID), 2);
        cfg[0] = (uint8_t)vid;
        cfg[1] = (uint8_t)(vid >> 8);
        cfg[2] = (uint8_t)did;
        cfg[3] = (uint8_t)(did >> 8);
    }
    pcie_rid_format(fn->rid, b, sizeof(b));
    if (fn->vf_index >= 0)
        fprintf(out, "%s %s: sriovsim VF %d of PF %s\n", b, class_name(class_code),
                fn->vf_index + 1, pcie_rid_format(pf->rid, pb, sizeof(pb)));
    else
        fprintf(out, "%s %s: sriovsim PF\n", b, class_name(class_code));
    for (int off = 0; off < PCIE_CFG_SIZE; off += 16) {
        fprintf(out, "%02x:", off);
        for (int i = 0; i < 16; i++)
            fprintf(out, " %02x", cfg[off + i]);
        fputc('\n', out);
    }
    fputc('\n', out);
    return ferror(out) ? SIM_EIO : 0;
}

static bool
dumpable(const struct pcie_fn *fn)
{
    return fn && fn->linked && fn->state != PCIE_FN_UNREACHABLE;
}

int
pcie_dump_lspci(FILE *out, struct pcie_fabric *f, int rid, unsigned flags, struct sim_diag *d)
{
    if (!out || !f || rid >= PCIE_RID_COUNT)
        return sim_diag_fail(d, SIM_EINVAL, "dump: bad arguments");
    if (rid >= 0) {
        const struct pcie_fn *fn = pcie__lookup(f, (uint16_t)rid);
        char b[PCIE_RID_STRLEN];
        if (!dumpable(fn))
            return sim_diag_fail(d, SIM_ENOENT, "dump: no function at %s",
                                 pcie_rid_format((uint16_t)rid, b, sizeof(b)));
        int err = dump_fn(out, fn, flags);
        return err ? sim_diag_fail(d, err, "dump: write error") : 0;
    }
    int n = 0;
    uint16_t r;
    for (int after = -1; pcie_fabric_next_rid(f, after, &r) == 0; after = r) {
        const struct pcie_fn *fn = pcie__lookup(f, r);
        if (!dumpable(fn))
            continue;
        int err = dump_fn(out, fn, flags);
        if (err)
            return sim_diag_fail(d, err, "dump: write error");
        n++;
    }
    if (!n)
        return sim_diag_fail(d, SIM_ENOENT, "dump: the fabric has no functions");
    return 0;
}
