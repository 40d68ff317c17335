/* SPDX-License-Identifier: MIT */
/* test_dump.c — the `lspci -xxxx` dump: format rules (ecosystem.md 3.1), VF ID substitution,
 * and, when pciutils is installed, the real `lspci -F` and `setpci -A dump` decoding it. */
#include <stdlib.h>
#include <unistd.h>

#include "pcie_test.h"

static struct fixture fx;
static char path[64];

static void
setup(void)
{
    fx_setup(&fx);
    cr_assert_eq(pcie_fn_enable(fx.f, PF_RID), 0);
    fx_enable_vfs(&fx, 7, true);
    strcpy(path, "/tmp/sriovsim-dump-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}
static void
teardown(void)
{
    unlink(path);
    fx_teardown(&fx);
}

TestSuite(pcie_dump, .init = setup, .fini = teardown);

static void
write_dump(int rid, unsigned flags)
{
    FILE *out = fopen(path, "w");
    cr_assert_not_null(out);
    struct sim_diag d = {0};
    cr_assert_eq(pcie_dump_lspci(out, fx.f, rid, flags, &d), 0, "%s", d.reason);
    cr_assert_eq(fclose(out), 0);
}

static char *
slurp(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, p);
    buf[n] = '\0';
    pclose(p);
    return buf;
}

static bool
have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

Test(pcie_dump, format_rules)
{
    write_dump(-1, 0);
    FILE *in = fopen(path, "r");
    cr_assert_not_null(in);
    char line[512];
    int devices = 0, data = 0, blank = 0;
    uint16_t rids[8];
    int expect_off = 0;
    while (fgets(line, sizeof(line), in)) {
        size_t len = strlen(line);
        cr_assert_eq(line[len - 1], '\n', "every line ends with a newline");
        line[len - 1] = '\0';
        if (line[0] == '\0') {
            blank++;
            cr_assert_eq(expect_off, PCIE_CFG_SIZE, "a device has 4096 bytes");
            continue;
        }
        unsigned b, dv, fn;
        char sp;
        if (sscanf(line, "%2x:%2x.%1u%c", &b, &dv, &fn, &sp) == 4 &&
            strchr(line, '.') == line + 5) {
            cr_assert_eq(sp, ' ', "header needs the trailing space: '%s'", line);
            cr_assert_lt(devices, 8);
            rids[devices++] = PCIE_RID(b, dv, fn);
            expect_off = 0;
            continue;
        }
        unsigned off;
        cr_assert_eq(sscanf(line, "%x:", &off), 1, "data line '%s'", line);
        cr_assert_eq(off, (unsigned)expect_off);
        const char *p = strchr(line, ':') + 1;
        cr_assert_eq(strlen(p), 16 * 3, "16 bytes, single spaces: '%s'", line);
        cr_assert_null(strstr(p, "  "));
        char want[8];
        snprintf(want, sizeof(want), "%02x:", off);
        cr_assert_eq(strncmp(line, want, strlen(want)), 0, "offset printed with %%02x");
        expect_off += 16;
        data++;
    }
    fclose(in);
    cr_assert_eq(devices, 8, "PF and 7 VFs");
    cr_assert_eq(blank, 8, "a blank line after each device");
    cr_assert_eq(data, 8 * 256);
    static const uint16_t want[8] = {0x100, 0x180, 0x182, 0x184, 0x186, 0x188, 0x18a, 0x18c};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(rids[i], want[i]);
}

Test(pcie_dump, vf_ids_substituted_unless_raw)
{
    write_dump(0x18c, 0);
    FILE *in = fopen(path, "r");
    char line[512];
    cr_assert_not_null(fgets(line, sizeof(line), in));
    cr_assert_eq(strncmp(line, "01:11.4 ", 8), 0, "%s", line);
    cr_assert(strstr(line, "VF 7 of PF 01:00.0"), "%s", line);
    cr_assert_not_null(fgets(line, sizeof(line), in));
    cr_assert_str_eq(line, "00: 86 80 ed 10 00 00 10 00 01 00 00 02 00 00 00 00\n");
    fclose(in);
    write_dump(0x18c, PCIE_DUMP_RAW_IDS);
    in = fopen(path, "r");
    cr_assert_not_null(fgets(line, sizeof(line), in));
    cr_assert_not_null(fgets(line, sizeof(line), in));
    cr_assert_eq(strncmp(line, "00: ff ff ff ff", 15), 0, "%s", line);
    fclose(in);
    /* The device itself still answers ffff. */
    cr_assert_eq(cfg_rd(&fx, 0x18c, 0, 4), 0xffffffff);
}

Test(pcie_dump, absent_function_is_an_error)
{
    FILE *out = fopen(path, "w");
    struct sim_diag d = {0};
    cr_assert_eq(pcie_dump_lspci(out, fx.f, 0x181, 0, &d), SIM_ENOENT);
    cr_assert(strstr(d.reason, "01:10.1"), "%s", d.reason);
    fclose(out);
}

Test(pcie_dump, real_lspci_decodes_the_sriov_nic)
{
    if (!have("lspci"))
        cr_skip_test("lspci (pciutils) not installed");
    write_dump(-1, 0);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "lspci -F %s -vvv -nn 2>/dev/null", path);
    char *out = slurp(cmd);
    cr_assert(strstr(out, "01:00.0 Ethernet controller [0200]:"), "%s", out);
    cr_assert(strstr(out, "[8086:10fb] (rev 01)"), "PF IDs");
    cr_assert(strstr(out, "FLReset+"), "FLR capable");
    cr_assert(strstr(out, "MSI-X: Enable- Count=64"), "PF MSI-X");
    cr_assert(strstr(out, "Capabilities: [150 v1] Alternative Routing-ID Interpretation (ARI)"));
    cr_assert(strstr(out, "Capabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)"));
    cr_assert(strstr(out, "IOVCtl:\tEnable+ Migration- Interrupt- MSE+ ARIHierarchy+"), "%s", out);
    cr_assert(strstr(out, "Initial VFs: 8, Total VFs: 8, Number of VFs: 7, Function Dependency "
                          "Link: 00"));
    cr_assert(strstr(out, "VF offset: 128, stride: 2, Device ID: 10ed"));
    cr_assert(strstr(out, "Supported Page Size: 00000553, System Page Size: 00000001"));
    cr_assert(strstr(out, "Region 0: Memory at 00000000"), "VF BAR0 decoded");
    static const char *vfs[] = {"01:10.0", "01:10.2", "01:10.4", "01:10.6",
                                "01:11.0", "01:11.2", "01:11.4"};
    for (int i = 0; i < 7; i++) {
        char want[96];
        snprintf(want, sizeof(want), "%s Ethernet controller [0200]:", vfs[i]);
        const char *p = strstr(out, want);
        cr_assert_not_null(p, "VF header line for %s", vfs[i]);
        const char *eol = strchr(p, '\n');
        cr_assert(eol && strstr(p, "[8086:10ed]") && strstr(p, "[8086:10ed]") < eol,
                  "%s named with the VF device ID", vfs[i]);
    }
    cr_assert_null(strstr(out, "01:10.1"), "no function between VFs");
    cr_assert_null(strstr(out, "ffff:ffff"), "no Illegal Vendor ID");
    /* The short listing: 8 lines. */
    snprintf(cmd, sizeof(cmd), "lspci -F %s 2>/dev/null | wc -l", path);
    cr_assert_eq(atoi(slurp(cmd)), 8);
}

Test(pcie_dump, real_lspci_round_trips_every_byte)
{
    if (!have("lspci"))
        cr_skip_test("lspci (pciutils) not installed");
    write_dump(-1, 0);
    char cmd[200];
    /* lspci -xxxx re-emits the bytes; compare the data lines with ours. */
    snprintf(cmd, sizeof(cmd),
             "lspci -F %s -xxxx 2>/dev/null | grep -v '^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\\.' "
             "| grep -v '^$' | md5sum",
             path);
    char theirs[64];
    snprintf(theirs, sizeof(theirs), "%s", slurp(cmd));
    snprintf(cmd, sizeof(cmd),
             "grep -v '^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\\.' %s | grep -v '^$' | md5sum", path);
    cr_assert_str_eq(theirs, slurp(cmd));
}

Test(pcie_dump, real_setpci_reads_registers)
{
    if (!have("setpci"))
        cr_skip_test("setpci (pciutils) not installed");
    write_dump(-1, 0);
    char cmd[200];
    snprintf(cmd, sizeof(cmd),
             "setpci -A dump -O dump.name=%s -s 01:00.0 ECAP_SRIOV+0x10.w 2>/dev/null", path);
    cr_assert_str_eq(slurp(cmd), "0007\n", "NumVFs");
    snprintf(cmd, sizeof(cmd),
             "setpci -A dump -O dump.name=%s -s 01:00.0 ECAP_SRIOV+0x14.w ECAP_SRIOV+0x16.w "
             "2>/dev/null",
             path);
    cr_assert_str_eq(slurp(cmd), "0080\n0002\n", "offset and stride");
    snprintf(cmd, sizeof(cmd), "setpci -A dump -O dump.name=%s -s 01:11.4 DEVICE_ID 2>/dev/null",
             path);
    cr_assert_str_eq(slurp(cmd), "10ed\n");
}
