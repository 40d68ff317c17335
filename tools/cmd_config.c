/* SPDX-License-Identifier: MIT */
/*
 * cmd_config.c — `sriovsim config`: build a PF with SR-IOV on the simulated fabric from
 * options, enable its VFs the way the OS does (NdisMEnableVirtualization / Linux sriov_enable),
 * run the virtual clock past the VF Enable delay, and dump every function's config space in
 * `lspci -xxxx` format (read it with `lspci -F FILE -vvv`), or a decoded summary with --json.
 * With a scenario script instead (`sriovsim config SCRIPT --at T`) it runs the script on the
 * virtual clock up to T and dumps the config space of a host's fabric as the drivers left it.
 * The dump logic lives in pcie/dump.c (pcie_dump_lspci); this file only parses options.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pcie/pcie.h"
#include "script/interp.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/cli_script.h"
#include "vstack/vstack.h"

#define CMD "config"

static void
usage(FILE *out)
{
    fprintf(
        out,
        "usage: sriovsim config [options]\n"
        "       sriovsim config [--at T] [--host NAME] [-s BDF] [-o FILE] [--json] SCRIPT\n"
        "\n"
        "Builds one SR-IOV PF and its VFs on the simulated PCIe fabric, enables the VFs as the\n"
        "OS would (NumVFs, VF Enable | VF MSE, then the 100 ms delay on the virtual clock) and\n"
        "prints every function's config space in `lspci -xxxx` format. Read it with\n"
        "  sriovsim config -o dump.txt && lspci -F dump.txt -vvv\n"
        "VFs show the PF's vendor ID and the VF Device ID (the OS's substitution; the\n"
        "device's own registers read ffff, see --raw-ids).\n"
        "\n"
        "options:\n"
        "  --bdf BB:DD.F        PF address (default 01:00.0)\n"
        "  --vendor-id ID       PF vendor ID (default 0x8086)\n"
        "  --device-id ID       PF device ID (default 0x10fb)\n"
        "  --total-vfs N        TotalVFs (and InitialVFs) (default 8)\n"
        "  --num-vfs N          NumVFs to enable, <= TotalVFs (default 4)\n"
        "  --vf-offset N        First VF Offset (default 0x80)\n"
        "  --vf-stride N        VF Stride (default 2)\n"
        "  --vf-device-id ID    VF Device ID (default 0x10ed)\n"
        "  --sriov-offset OFF   config offset of the SR-IOV capability (default 0x160)\n"
        "  --ari, --no-ari      ARI capability and ARI Capable Hierarchy (default --ari);\n"
        "                       without ARI only functions 0-7 of the PF's device are reachable\n"
        "  --msix N             PF MSI-X vectors (default 64)\n"
        "  --vf-msix N          MSI-X vectors per VF (default 3)\n"
        "  --raw-ids            keep VF vendor/device ID registers as the device reads (ffff)\n"
        "  -s BB:DD.F           dump only this function\n"
        "  -o FILE              write to FILE instead of stdout\n"
        "  --json               print a decoded summary instead of the dump\n"
        "  -h, --help           this help\n"
        "\n"
        "With a scenario SCRIPT (.scn), the PFs are the script's: it runs on the virtual clock\n"
        "up to --at T (default: its end; `capture` statements are ignored) and the config\n"
        "space of one host's fabric is dumped as the drivers left it:\n"
        "  --at T               virtual time to stop at (1.5s, 250ms, ...)\n"
        "  --host NAME          which host's fabric (default: the first host of the script)\n"
        "  e.g. sriovsim config scenarios/failover.scn --at 2s -o d.txt && lspci -F d.txt\n"
        "\n"
        "Numbers accept decimal or 0x-hex. Exit codes: 0 ok, 64 bad option (the message names\n"
        "the rule), 65 script error, 66 missing script, 70 internal error, 74 output error.\n");
}

/* Parse an unsigned number in [0, max]; returns false (after printing the error) if not. */
static bool
parse_num(const struct cli_global *g, const char *opt, const char *text, unsigned long max,
          unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 0);
    if (!*text || *end || errno || v > max || text[0] == '-') {
        cli_error(g, CMD, CLI_EXIT_USAGE,
                  "--%s '%s': expected a number in 0..%lu (decimal or 0x-hex)", opt, text, max);
        return false;
    }
    *out = v;
    return true;
}

enum {
    OPT_BDF = 256,
    OPT_VENDOR,
    OPT_DEVICE,
    OPT_TOTAL,
    OPT_NUM,
    OPT_OFFSET,
    OPT_STRIDE,
    OPT_VFDID,
    OPT_SRIOV_OFF,
    OPT_ARI,
    OPT_NO_ARI,
    OPT_MSIX,
    OPT_VF_MSIX,
    OPT_RAW,
    OPT_JSON,
    OPT_AT,
    OPT_HOST,
};

struct config_opts {
    struct pcie_pf_config pf;
    unsigned long num_vfs;
    bool raw_ids;
    bool json;
    int select; /* -1 = all */
    const char *out_path;
    const char *script;    /* scenario mode: the .scn to run */
    sim_time_t at;         /* scenario mode: stop here (SIM_TIME_NEVER: the script's end) */
    const char *host;      /* scenario mode: whose fabric (NULL: the first host) */
    const char *pf_option; /* a PF-building option given (refused in scenario mode) */
};

static int
parse_options(int argc, char **argv, const struct cli_global *g, struct config_opts *o)
{
    static const struct option options[] = {
        {"bdf", required_argument, NULL, OPT_BDF},
        {"vendor-id", required_argument, NULL, OPT_VENDOR},
        {"device-id", required_argument, NULL, OPT_DEVICE},
        {"total-vfs", required_argument, NULL, OPT_TOTAL},
        {"num-vfs", required_argument, NULL, OPT_NUM},
        {"vf-offset", required_argument, NULL, OPT_OFFSET},
        {"vf-stride", required_argument, NULL, OPT_STRIDE},
        {"vf-device-id", required_argument, NULL, OPT_VFDID},
        {"sriov-offset", required_argument, NULL, OPT_SRIOV_OFF},
        {"ari", no_argument, NULL, OPT_ARI},
        {"no-ari", no_argument, NULL, OPT_NO_ARI},
        {"msix", required_argument, NULL, OPT_MSIX},
        {"vf-msix", required_argument, NULL, OPT_VF_MSIX},
        {"raw-ids", no_argument, NULL, OPT_RAW},
        {"json", no_argument, NULL, OPT_JSON},
        {"at", required_argument, NULL, OPT_AT},
        {"host", required_argument, NULL, OPT_HOST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    uint16_t rid;
    int opt;
    optind = 0;
    int longindex = -1;
    while ((opt = getopt_long(argc, argv, "s:o:h", options, &longindex)) != -1) {
        if (opt >= OPT_BDF && opt <= OPT_VF_MSIX && longindex >= 0)
            o->pf_option = options[longindex].name;
        longindex = -1;
        switch (opt) {
        case OPT_AT:
            if (sim_time_parse(optarg, &o->at) != 0)
                return cli_error(g, CMD, CLI_EXIT_USAGE,
                                 "--at '%s': expected a time like 1.5s, 250ms or 10us", optarg);
            break;
        case OPT_HOST:
            o->host = optarg;
            break;
        case OPT_BDF:
        case 's':
            if (pcie_rid_parse(optarg, &rid) != 0)
                return cli_error(g, CMD, CLI_EXIT_USAGE,
                                 "%s '%s': expected bus:device.function like 01:00.0 (device "
                                 "<= 1f, function 0-7)",
                                 opt == 's' ? "-s" : "--bdf", optarg);
            if (opt == 's')
                o->select = rid;
            else
                o->pf.rid = rid;
            break;
        case OPT_VENDOR:
            if (!parse_num(g, "vendor-id", optarg, 0xfffe, &v))
                return CLI_EXIT_USAGE;
            o->pf.vendor_id = (uint16_t)v;
            break;
        case OPT_DEVICE:
            if (!parse_num(g, "device-id", optarg, 0xffff, &v))
                return CLI_EXIT_USAGE;
            o->pf.device_id = (uint16_t)v;
            break;
        case OPT_TOTAL:
            if (!parse_num(g, "total-vfs", optarg, 2048, &v))
                return CLI_EXIT_USAGE;
            o->pf.total_vfs = (uint16_t)v;
            break;
        case OPT_NUM:
            if (!parse_num(g, "num-vfs", optarg, 0xffff, &o->num_vfs))
                return CLI_EXIT_USAGE;
            break;
        case OPT_OFFSET:
            if (!parse_num(g, "vf-offset", optarg, 0xffff, &v))
                return CLI_EXIT_USAGE;
            o->pf.vf_offset = (uint16_t)v;
            break;
        case OPT_STRIDE:
            if (!parse_num(g, "vf-stride", optarg, 0xffff, &v))
                return CLI_EXIT_USAGE;
            o->pf.vf_stride = (uint16_t)v;
            break;
        case OPT_VFDID:
            if (!parse_num(g, "vf-device-id", optarg, 0xffff, &v))
                return CLI_EXIT_USAGE;
            o->pf.vf_device_id = (uint16_t)v;
            break;
        case OPT_SRIOV_OFF:
            if (!parse_num(g, "sriov-offset", optarg, 0xfc0, &v))
                return CLI_EXIT_USAGE;
            o->pf.sriov_offset = (uint16_t)v;
            break;
        case OPT_ARI:
            o->pf.ari = true;
            break;
        case OPT_NO_ARI:
            o->pf.ari = false;
            break;
        case OPT_MSIX:
            if (!parse_num(g, "msix", optarg, 2048, &v))
                return CLI_EXIT_USAGE;
            o->pf.msix_vectors = (uint16_t)v;
            break;
        case OPT_VF_MSIX:
            if (!parse_num(g, "vf-msix", optarg, 256, &v))
                return CLI_EXIT_USAGE;
            o->pf.vf_msix_vectors = (uint16_t)v;
            break;
        case OPT_RAW:
            o->raw_ids = true;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case 'o':
            o->out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "Try 'sriovsim config --help'.\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc)
        o->script = argv[optind++];
    if (optind < argc)
        return cli_error(g, CMD, CLI_EXIT_USAGE, "unexpected argument '%s' (one script at most)",
                         argv[optind]);
    if (o->script != NULL && o->pf_option != NULL)
        return cli_error(g, CMD, CLI_EXIT_USAGE,
                         "--%s has no effect with a scenario: the script's pf and sriov "
                         "statements define the PFs",
                         o->pf_option);
    if (o->script == NULL && (o->at != SIM_TIME_NEVER || o->host != NULL))
        return cli_error(g, CMD, CLI_EXIT_USAGE, "--at and --host need a scenario SCRIPT");
    if (o->num_vfs > o->pf.total_vfs)
        return cli_error(g, CMD, CLI_EXIT_USAGE,
                         "--num-vfs %lu > --total-vfs %u: NumVFs can be at most TotalVFs",
                         o->num_vfs, o->pf.total_vfs);
    return 0;
}

static json_t *
fn_json(struct pcie_fabric *f, uint16_t rid, uint16_t pf_rid, const struct pcie_sriov_info *in)
{
    char b[PCIE_RID_STRLEN];
    uint32_t vid = 0, did = 0, cls = 0;
    pcie_cfg_read(f, rid, PCIE_CFG_VENDOR_ID, 2, &vid);
    pcie_cfg_read(f, rid, PCIE_CFG_DEVICE_ID, 2, &did);
    pcie_cfg_read(f, rid, PCIE_CFG_REVISION, 4, &cls); /* revision | class << 8 */
    bool vf = rid != pf_rid;
    json_t *o = json_object();
    json_object_set_new(o, "bdf", json_string(pcie_rid_format(rid, b, sizeof(b))));
    json_object_set_new(o, "rid", json_integer(rid));
    json_object_set_new(o, "type", json_string(vf ? "VF" : "PF"));
    json_object_set_new(o, "state", json_string(pcie_fn_state_name(pcie_fabric_fn_state(f, rid))));
    char hex[8];
    snprintf(hex, sizeof(hex), "%04x", vf ? 0xffff : vid);
    json_object_set_new(o, "vendor_id_register", json_string(hex));
    snprintf(hex, sizeof(hex), "%04x", vf ? 0xffff : did);
    json_object_set_new(o, "device_id_register", json_string(hex));
    snprintf(hex, sizeof(hex), "%04x", vf && in ? in->vf_device_id : did);
    json_object_set_new(o, "device_id", json_string(hex));
    snprintf(hex, sizeof(hex), "%06x", cls >> 8);
    json_object_set_new(o, "class", json_string(hex));
    if (vf && in && in->vf_stride)
        json_object_set_new(o, "vf",
                            json_integer(1 + (rid - pf_rid - in->vf_offset) / in->vf_stride));
    return o;
}

static int
print_json(FILE *out, struct pcie_fabric *f, uint16_t pf_rid, int select)
{
    struct pcie_sriov_info in;
    bool has_sriov = pcie_sriov_info(f, pf_rid, &in) == 0;
    json_t *doc = json_object();
    char b[PCIE_RID_STRLEN];
    json_object_set_new(doc, "pf", json_string(pcie_rid_format(pf_rid, b, sizeof(b))));
    uint32_t vid = 0;
    pcie_cfg_read(f, pf_rid, PCIE_CFG_VENDOR_ID, 2, &vid);
    snprintf(b, sizeof(b), "%04x", vid);
    json_object_set_new(doc, "vendor_id", json_string(b));
    if (has_sriov) {
        json_t *s = json_object();
        json_object_set_new(s, "cap_offset", json_integer(in.cap_offset));
        json_object_set_new(s, "vf_enable", json_boolean(in.vf_enable));
        json_object_set_new(s, "vf_mse", json_boolean(in.vf_mse));
        json_object_set_new(s, "ari_capable_hierarchy", json_boolean(in.ari_hierarchy));
        json_object_set_new(s, "initial_vfs", json_integer(in.initial_vfs));
        json_object_set_new(s, "total_vfs", json_integer(in.total_vfs));
        json_object_set_new(s, "num_vfs", json_integer(in.num_vfs));
        json_object_set_new(s, "first_vf_offset", json_integer(in.vf_offset));
        json_object_set_new(s, "vf_stride", json_integer(in.vf_stride));
        snprintf(b, sizeof(b), "%04x", in.vf_device_id);
        json_object_set_new(s, "vf_device_id", json_string(b));
        json_object_set_new(s, "supported_page_sizes", json_integer(in.supported_page_sizes));
        json_object_set_new(s, "system_page_size", json_integer(in.system_page_size));
        json_object_set_new(doc, "sriov", s);
    }
    json_t *fns = json_array();
    uint16_t r;
    for (int after = -1; pcie_fabric_next_rid(f, after, &r) == 0; after = r)
        if (select < 0 || select == r)
            json_array_append_new(fns, fn_json(f, r, pf_rid, has_sriov ? &in : NULL));
    json_object_set_new(doc, "functions", fns);
    json_object_set_new(doc, "time_ns", json_integer(sim_sched_now(pcie_fabric_sched(f))));
    int rc = json_dumpf(doc, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(doc);
    return rc == 0 ? 0 : SIM_EIO;
}

/* The output both modes share: check -s, open -o, print the dump or --json. Returns an exit
 * code. */
static int
write_dump(const struct cli_global *g, const struct config_opts *o, struct pcie_fabric *f,
           uint16_t pf_rid)
{
    char b[PCIE_RID_STRLEN];
    struct sim_diag d = {0};
    int err;
    if (o->select >= 0 && pcie_fabric_fn_state(f, (uint16_t)o->select) != PCIE_FN_READY) {
        char pb[PCIE_RID_STRLEN];
        struct pcie_sriov_info in = {0};
        pcie_sriov_info(f, pf_rid, &in);
        return cli_error(g, CMD, CLI_EXIT_USAGE,
                         "-s %s: no function there (PF %s; its %u VFs start at offset 0x%x, "
                         "stride %u)",
                         pcie_rid_format((uint16_t)o->select, b, sizeof(b)),
                         pcie_rid_format(pf_rid, pb, sizeof(pb)), in.num_vfs, in.vf_offset,
                         in.vf_stride);
    }
    FILE *out = stdout;
    if (o->out_path) {
        out = fopen(o->out_path, "w");
        if (!out)
            return cli_error(g, CMD, CLI_EXIT_IOERR, "cannot write '%s': %s", o->out_path,
                             strerror(errno));
    }
    if (g->json || o->json)
        err = print_json(out, f, pf_rid, o->select);
    else
        err = pcie_dump_lspci(out, f, o->select, o->raw_ids ? PCIE_DUMP_RAW_IDS : 0, &d);
    if (fflush(out) != 0 || ferror(out))
        err = SIM_EIO;
    if (out != stdout && fclose(out) != 0)
        err = SIM_EIO;
    if (err)
        return cli_error(g, CMD, err == SIM_EIO ? CLI_EXIT_IOERR : CLI_EXIT_SOFTWARE,
                         "writing the dump failed: %s", sim_strerror(err));
    return CLI_EXIT_OK;
}

/* Scenario mode: run SCRIPT up to --at on the virtual clock (captures off), then dump the
 * chosen host's fabric. The PF is the first function with an SR-IOV capability. */
static int
config_from_script(const struct cli_global *g, const struct config_opts *o)
{
    struct scn_parse_opts popts;
    cli_script_parse_opts(&popts);
    struct scn_program *prog = NULL;
    struct scn_diags *diags = NULL;
    int err = scn_program_parse_file(o->script, &popts, &prog, &diags);
    bool had_diags = diags != NULL && scn_diags_count(diags) != 0;
    if (diags != NULL)
        scn_diag_print(stderr, diags, true);
    scn_diags_destroy(diags);
    if (err != 0) {
        if (err != SIM_EPARSE && !had_diags)
            fprintf(stderr, "%s: %s\n", o->script, sim_strerror(err));
        return cli_script_parse_exit(err);
    }
    uint64_t seed = g->seed;
    if (!g->seed_given)
        (void)scn_program_seed(prog, &seed);
    struct scn_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.seed = seed;
    ro.until = o->at;
    ro.no_capture = true;
    struct sim_diag d = {0};
    struct scn_run *run = NULL;
    int rc = CLI_EXIT_OK;
    err = scn_run_create(prog, &ro, &run, &d);
    if (err == 0)
        err = scn_run_exec(run, &d);
    if (err != 0) {
        rc = cli_error(g, CMD, err == SIM_EIO ? CLI_EXIT_IOERR : CLI_EXIT_SOFTWARE,
                       "%s: run stopped: %s", o->script,
                       d.reason[0] != '\0' ? d.reason : sim_strerror(err));
        goto done;
    }
    struct pcie_fabric *f = vstack_host_fabric(scn_run_world(run), o->host);
    if (f == NULL) {
        rc = o->host ? cli_error(g, CMD, CLI_EXIT_USAGE, "--host %s: no such host in %s", o->host,
                                 o->script)
                     : cli_error(g, CMD, CLI_EXIT_USAGE, "%s defines no host", o->script);
        goto done;
    }
    uint16_t pf_rid = 0, r;
    bool have_pf = false;
    struct pcie_sriov_info in;
    for (int after = -1; !have_pf && pcie_fabric_next_rid(f, after, &r) == 0; after = r)
        if (pcie_sriov_info(f, r, &in) == 0) {
            pf_rid = r;
            have_pf = true;
        }
    if (!have_pf) {
        rc = cli_error(g, CMD, CLI_EXIT_USAGE, "%s: the host has no SR-IOV PF at t=%s", o->script,
                       sim_time_format(scn_run_now(run), (char[40]){0}, 40));
        goto done;
    }
    if (g->verbosity > 0)
        fprintf(stderr, "sriovsim config: %s dumped at t=%s\n", o->script,
                sim_time_format(scn_run_now(run), (char[40]){0}, 40));
    rc = write_dump(g, o, f, pf_rid);
done:
    scn_run_destroy(run);
    scn_program_destroy(prog);
    return rc;
}

int
cli_cmd_config(int argc, char **argv, const struct cli_global *g)
{
    struct config_opts o = {
        .pf = {.rid = PCIE_RID(1, 0, 0),
               .vendor_id = 0x8086,
               .device_id = 0x10fb,
               .revision = 1,
               .subsys_vendor_id = 0x8086,
               .subsys_id = 0x0003,
               .bars = {[0] = {.size = 0x80000, .is_64 = true, .prefetchable = true},
                        [4] = {.size = 0x4000}},
               .msix_vectors = 64,
               .msix_bar = 4,
               .msix_table_offset = 0,
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
               .vf_msix_bar = 3},
        .num_vfs = 4,
        .select = -1,
        .at = SIM_TIME_NEVER,
    };
    int rc = parse_options(argc, argv, g, &o);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (o.script != NULL)
        return config_from_script(g, &o);
    if (!o.pf.total_vfs)
        o.pf.vf_msix_vectors = 0;
    if (!o.pf.msix_vectors)
        o.pf.msix_pba_offset = 0;

    struct sim_sched *s = NULL;
    struct pcie_fabric *f = NULL;
    struct pcie_fn *pf = NULL;
    struct sim_diag d = {0};
    char b[PCIE_RID_STRLEN];
    rc = CLI_EXIT_SOFTWARE;
    if (sim_sched_create(SIM_SCHED_VIRTUAL, &s) || pcie_fabric_create(s, &f)) {
        cli_error(g, CMD, rc, "out of memory creating the fabric");
        goto done;
    }
    int err = pcie_pf_create(f, &o.pf, NULL, NULL, &pf, &d);
    if (err) {
        rc = cli_error(g, CMD, err == SIM_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_USAGE, "%s",
                       d.reason);
        goto done;
    }
    uint16_t pf_rid = o.pf.rid;
    /* What a PF driver does at start: Memory Space + Bus Master, MSI-X on. */
    pcie_fn_enable(f, pf_rid);
    if (o.pf.msix_vectors)
        pcie_msix_enable(f, pf_rid, true);
    if (o.pf.total_vfs) {
        err = pcie_sriov_enable(f, pf_rid, (uint16_t)o.num_vfs, o.pf.ari, &d);
        if (err) {
            rc = cli_error(g, CMD, CLI_EXIT_USAGE, "%s", d.reason);
            goto done;
        }
        /* Software must wait PCIE_VF_ENABLE_DELAY_NS before touching the VFs. */
        sim_sched_run(s, sim_sched_now(s) + PCIE_VF_ENABLE_DELAY_NS);
        for (uint16_t i = 0; i < pcie_pf_num_vfs(pf); i++) {
            uint16_t vr = pcie_fn_rid(pcie_pf_vf(pf, i));
            pcie_fn_enable(f, vr); /* VF driver: Bus Master */
            if (o.pf.vf_msix_vectors)
                pcie_msix_enable(f, vr, true);
        }
    }
    sim_sched_run(s, SIM_TIME_NEVER);
    if (g->verbosity > 0) {
        char tb[32];
        fprintf(stderr, "sriovsim config: PF %s with %u VFs, dumped at t=%s\n",
                pcie_rid_format(pf_rid, b, sizeof(b)), pcie_pf_num_vfs(pf),
                sim_time_format(sim_sched_now(s), tb, sizeof(tb)));
    }
    rc = write_dump(g, &o, f, pf_rid);
done:
    pcie_fabric_destroy(f);
    if (s)
        sim_sched_destroy(s);
    return rc;
}
