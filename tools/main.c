/* SPDX-License-Identifier: MIT */
/*
 * main.c — the `sriovsim` command line: global options, then one subcommand.
 *
 *   sriovsim [--json] [-q|-v] [--seed N] [--log SPEC] <command> [options] [args]
 *
 * Global options are parsed with a leading '+' so parsing stops at the subcommand; each
 * subcommand then parses its own argv (argv[0] = its name) after resetting optind to 0.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "tools/cli.h"

static int cmd_help(int argc, char **argv, const struct cli_global *g);

static const struct cli_command commands[] = {
    {"version", "print the version of sriovsim and of the libraries it uses", cli_cmd_version},
#ifdef SRIOVSIM_HAVE_BENCH
    {"bench", "run a benchmark (ring: the lock-free descriptor ring)", cli_cmd_bench},
#endif
    {"run", "run a scenario script on the virtual clock and check its expectations", cli_cmd_run},
    {"check", "parse and check scenario scripts without running them (exit 65 on errors)",
     cli_cmd_check},
    {"draw", "draw the model at virtual times T (Graphviz: .svg, .png or .dot)", cli_cmd_draw},
    {"config", "dump PCIe config space in `lspci -xxxx` format (read it with lspci -F)",
     cli_cmd_config},
    {"conform", "run the rules a PF miniport must honour (the shipped one, or --pf-driver lib.so)",
     cli_cmd_conform},
    {"help", "show help for sriovsim or for one command", cmd_help},
};

int
cli_error(const struct cli_global *g, const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s%s%s: ", g && g->prog ? g->prog : "sriovsim", cmd ? " " : "",
            cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: sriovsim [global options] <command> [options] [args]\n"
            "\n"
            "A user-space reproduction of the Windows NDIS / Hyper-V SR-IOV networking model.\n"
            "\n"
            "global options:\n"
            "  --json          print one JSON document on stdout instead of text\n"
            "  -q, --quiet     print only results and errors\n"
            "  -v, --verbose   more output (repeatable)\n"
            "  --seed N        seed for every random choice (printed by each run; replays it)\n"
            "  --log SPEC      log levels, e.g. 'debug' or 'pcie=trace,warn' (also SRIOVSIM_LOG)\n"
            "  -h, --help      this help;  --version  the version\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < SIM_ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'sriovsim <command> --help' describes one command.\n"
                 "exit codes: 0 ok, 1 expectation/threshold failed, 64 usage, 65 script error,\n"
                 "            66 missing input, 70 internal error, 74 I/O error\n");
}

static const struct cli_command *
find_command(const char *name)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(commands); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int
cmd_help(int argc, char **argv, const struct cli_global *g)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const struct cli_command *c = find_command(argv[1]);
    if (c == NULL || c->run == cmd_help)
        return cli_error(g, "help", CLI_EXIT_USAGE, "unknown command '%s'", argv[1]);
    static char help_flag[] = "--help";
    char *sub_argv[] = {argv[1], help_flag, NULL};
    return c->run(2, sub_argv, g);
}

int
main(int argc, char **argv)
{
    enum { OPT_SEED = 256, OPT_LOG, OPT_VERSION };
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"log", required_argument, NULL, OPT_LOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct cli_global g = {.prog = "sriovsim"};
    const char *seed_text = NULL;
    const char *log_spec = getenv("SRIOVSIM_LOG");
    int opt;
    while ((opt = getopt_long(argc, argv, "+jqvh", options, NULL)) != -1) {
        switch (opt) {
        case 'j':
            g.json = true;
            break;
        case 'q':
            g.verbosity = -1;
            break;
        case 'v':
            g.verbosity = g.verbosity < 0 ? 1 : g.verbosity + 1;
            break;
        case OPT_SEED:
            seed_text = optarg;
            break;
        case OPT_LOG:
            log_spec = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case OPT_VERSION: {
            static char version_word[] = "version";
            char *v_argv[] = {version_word, NULL};
            return cli_cmd_version(1, v_argv, &g);
        }
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (log_spec != NULL) {
        struct sim_diag d;
        sim_diag_clear(&d);
        if (sim_log_configure(log_spec, &d) != 0)
            return cli_error(&g, NULL, CLI_EXIT_USAGE, "--log: %s", d.reason);
    }
    if (sim_seed_parse_or_draw(seed_text, &g.seed) != 0)
        return cli_error(&g, NULL, CLI_EXIT_USAGE,
                         "--seed '%s': expected a non-negative integer (decimal or 0x-hex)",
                         seed_text);
    g.seed_given = seed_text != NULL;
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const struct cli_command *c = find_command(argv[optind]);
    if (c == NULL) {
        cli_error(&g, NULL, CLI_EXIT_USAGE, "unknown command '%s' (see 'sriovsim --help')",
                  argv[optind]);
        return CLI_EXIT_USAGE;
    }
    return c->run(argc - optind, argv + optind, &g);
}
