/* SPDX-License-Identifier: MIT */
/*
 * cmd_draw.c — `sriovsim draw SCRIPT --at T[,T2,...] -o FILE.svg|png|dot`: run a scenario on
 * the virtual clock (captures off) and draw the model as its components report it at each
 * time (draw/draw.h, vstack/view.h): one frame per time, left to right, so a failover drawn at
 * 2s,3.05s,4s is a strip of the VF path, the switch back and the synthetic path.
 *
 * Each time is reached by running the script from the start to that time (the run is
 * deterministic: the same script and seed give the same world at T, whatever was drawn before).
 *
 * Exit codes: 0 drawn, 64 usage, 65 script errors, 66 missing script, 70 internal error or a run
 * that stopped, 74 the picture could not be written.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "draw/draw.h"
#include "script/interp.h"
#include "script/script.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/cli_script.h"
#include "vstack/view.h"

#define CMD        "draw"
#define DRAW_AT_MAX 16u

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: sriovsim [--seed N] draw [--at T[,T2,...]] -o FILE.svg|FILE.png|FILE.dot "
            "SCRIPT\n"
            "\n"
            "Runs SCRIPT on the virtual clock (captures off) and draws the model at each time\n"
            "T, as its components report it: hosts, the PF with its NIC-switch VPorts (queue\n"
            "pairs, filters), VFs with their state, the extensible switch and its ports, VMs\n"
            "with NetVSC and the VF miniport, VMBus channels, the wire and peers. Each VM's\n"
            "current data path is bold (green: VF, blue: synthetic); edges carry the packet\n"
            "counters the components report. Several times draw a strip, left to right.\n"
            "\n"
            "options:\n"
            "  --at T[,T2,...]   virtual times (1.5s, 250ms, ...; at most %u); default: the end\n"
            "                    of the script\n"
            "  -o, --output FILE the picture: .svg or .png (laid out by Graphviz's dot engine)\n"
            "                    or .dot (the graph as built, no layout: stable, diffable)\n"
            "  --seed N          the run's seed (else the script's, else drawn)\n"
            "  -h, --help        this help\n"
            "\n"
            "  e.g. sriovsim draw scenarios/failover.scn --at 2s,3.05s,4s -o failover.svg\n"
            "\n"
            "Exit codes: 0 drawn, 64 usage, 65 script errors, 66 missing script, 70 the run\n"
            "stopped, 74 the picture could not be written.\n",
            DRAW_AT_MAX);
}

static int
parse_times(const struct cli_global *g, const char *text, sim_time_t *at, size_t *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (*n == DRAW_AT_MAX)
            return cli_error(g, CMD, CLI_EXIT_USAGE, "--at: at most %u times", DRAW_AT_MAX);
        if (sim_time_parse(tok, &at[*n]) != 0 || at[*n] < 0)
            return cli_error(g, CMD, CLI_EXIT_USAGE,
                             "--at '%s': expected times like 1.5s,250ms separated by commas", tok);
        (*n)++;
    }
    if (*n == 0)
        return cli_error(g, CMD, CLI_EXIT_USAGE, "--at: no time given");
    return CLI_EXIT_OK;
}

/* Run prog to `until` and add the world as it is then to doc. */
static int
draw_at(const struct cli_global *g, const char *script, const struct scn_program *prog,
        uint64_t seed, sim_time_t until, struct draw_doc *doc)
{
    struct scn_run_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.seed = seed;
    ro.until = until;
    ro.no_capture = true;
    struct sim_diag d;
    sim_diag_clear(&d);
    struct scn_run *run = NULL;
    int rc = CLI_EXIT_OK;
    int err = scn_run_create(prog, &ro, &run, &d);
    if (err == 0)
        err = scn_run_exec(run, &d);
    if (err != 0) {
        rc = cli_error(g, CMD, CLI_EXIT_SOFTWARE, "%s: run stopped: %s", script,
                       d.reason[0] != '\0' ? d.reason : sim_strerror(err));
        goto done;
    }
    struct vstack_view *v = NULL;
    err = vstack_view_create(scn_run_world(run), &v, &d);
    if (err == 0) {
        char t[40], caption[64];
        snprintf(caption, sizeof caption, "t=%s", sim_time_format(scn_run_now(run), t, sizeof t));
        err = draw_doc_add(doc, v, caption, &d);
    }
    vstack_view_destroy(v);
    if (err != 0)
        rc = cli_error(g, CMD, CLI_EXIT_SOFTWARE, "%s: %s", script, d.reason);
done:
    scn_run_destroy(run);
    return rc;
}

int
cli_cmd_draw(int argc, char **argv, const struct cli_global *g)
{
    enum { OPT_SEED = 256, OPT_AT };
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"at", required_argument, NULL, OPT_AT},
        {"output", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, OPT_SEED},
        {NULL, 0, NULL, 0},
    };
    struct cli_global gl = *g;
    sim_time_t at[DRAW_AT_MAX];
    size_t n_at = 0;
    const char *output = NULL;
    int opt, rc;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case OPT_AT:
            if ((rc = parse_times(g, optarg, at, &n_at)) != CLI_EXIT_OK)
                return rc;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_SEED:
            if (sim_seed_parse_or_draw(optarg, &gl.seed) != 0)
                return cli_error(g, CMD, CLI_EXIT_USAGE,
                                 "--seed '%s': expected a non-negative integer", optarg);
            gl.seed_given = true;
            break;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_error(g, CMD, CLI_EXIT_USAGE,
                         "no script given (usage: sriovsim draw --at T -o FILE.svg SCRIPT)");
    if (argc - optind > 1)
        return cli_error(g, CMD, CLI_EXIT_USAGE, "one script per drawing ('%s' is extra)",
                         argv[optind + 1]);
    if (output == NULL)
        return cli_error(g, CMD, CLI_EXIT_USAGE, "no output given: -o FILE.svg|FILE.png|FILE.dot");
    enum draw_format fmt;
    if (draw_format_from_path(output, &fmt) != 0)
        return cli_error(g, CMD, CLI_EXIT_USAGE,
                         "-o %s: the name must end in .svg, .png, .dot or .gv", output);
    if (n_at == 0)
        at[n_at++] = SIM_TIME_NEVER;
    const char *script = argv[optind];

    struct scn_parse_opts popts;
    cli_script_parse_opts(&popts);
    struct scn_program *prog = NULL;
    struct scn_diags *diags = NULL;
    int err = scn_program_parse_file(script, &popts, &prog, &diags);
    bool had_diags = diags != NULL && scn_diags_count(diags) != 0;
    if (diags != NULL)
        scn_diag_print(stderr, diags, true);
    scn_diags_destroy(diags);
    if (err != 0) {
        if (err != SIM_EPARSE && !had_diags)
            fprintf(stderr, "%s: %s\n", script, sim_strerror(err));
        return cli_script_parse_exit(err);
    }
    uint64_t seed = gl.seed;
    if (!gl.seed_given)
        (void)scn_program_seed(prog, &seed);

    struct sim_diag d;
    sim_diag_clear(&d);
    struct draw_doc *doc = NULL;
    char title[256];
    snprintf(title, sizeof title, "%s (seed %" PRIu64 ")", script, seed);
    rc = CLI_EXIT_OK;
    if (draw_doc_create(title, &doc, &d) != 0) {
        rc = cli_error(g, CMD, CLI_EXIT_SOFTWARE, "%s", d.reason);
        goto done;
    }
    for (size_t i = 0; i < n_at && rc == CLI_EXIT_OK; i++)
        rc = draw_at(&gl, script, prog, seed, at[i], doc);
    if (rc == CLI_EXIT_OK && draw_doc_write(doc, fmt, output, &d) != 0)
        rc = cli_error(g, CMD, CLI_EXIT_IOERR, "%s", d.reason);
    if (rc == CLI_EXIT_OK && gl.verbosity >= 0)
        fprintf(stderr, "sriovsim draw: %s: %zu frame%s written to %s\n", script,
                draw_doc_frames(doc), draw_doc_frames(doc) == 1 ? "" : "s", output);
done:
    draw_doc_destroy(doc);
    scn_program_destroy(prog);
    return rc;
}
