/* SPDX-License-Identifier: MIT */
/*
 * cli.h — shared pieces of the `sriovsim` command line: global options, exit codes, and the
 * signature every subcommand implements (tools/cmd_<name>.c). Models no Windows component.
 */
#ifndef SRIOVSIM_TOOLS_CLI_H
#define SRIOVSIM_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (DESIGN.md "Command line"; values from <sysexits.h>). The exit code never depends
 * on the output format. */
enum cli_exit {
    CLI_EXIT_OK = 0,        /* everything ran, all expectations / thresholds held */
    CLI_EXIT_FAILED = 1,    /* ran to the end, but an expectation or threshold failed */
    CLI_EXIT_USAGE = 64,    /* EX_USAGE: bad command line */
    CLI_EXIT_DATAERR = 65,  /* EX_DATAERR: script parse or semantic error */
    CLI_EXIT_NOINPUT = 66,  /* EX_NOINPUT: script or input file not found */
    CLI_EXIT_SOFTWARE = 70, /* EX_SOFTWARE: internal invariant violated */
    CLI_EXIT_IOERR = 74,    /* EX_IOERR: could not write an output file */
};

/* Options given before the subcommand, visible to every subcommand. */
struct cli_global {
    bool json;        /* --json: one JSON document on stdout at the end */
    int verbosity;    /* -q: -1, default 0, each -v: +1 */
    bool seed_given;  /* --seed N was given */
    uint64_t seed;    /* the run's seed (given or drawn) */
    const char *prog; /* "sriovsim" */
};

/* A subcommand: argv[0] is the subcommand's own name so getopt_long messages read
 * "config: unrecognized option '--bogus'". Parse with optind = 0 first (glibc full reset).
 * Returns an enum cli_exit value. Errors go to stderr, results to stdout. */
typedef int (*cli_cmd_fn)(int argc, char **argv, const struct cli_global *g);

struct cli_command {
    const char *name;
    const char *summary; /* one line for `sriovsim --help` */
    cli_cmd_fn run;
};

/* Implemented in tools/cmd_*.c. */
int cli_cmd_version(int argc, char **argv, const struct cli_global *g);
int cli_cmd_bench(int argc, char **argv, const struct cli_global *g);
int cli_cmd_config(int argc, char **argv, const struct cli_global *g);
int cli_cmd_run(int argc, char **argv, const struct cli_global *g);
int cli_cmd_check(int argc, char **argv, const struct cli_global *g);
int cli_cmd_explain(int argc, char **argv, const struct cli_global *g);
int cli_cmd_conform(int argc, char **argv, const struct cli_global *g);
int cli_cmd_draw(int argc, char **argv, const struct cli_global *g);

/* Print "sriovsim <cmd>: <message>\n" to stderr; returns `code` (for `return cli_error(...)`). */
int cli_error(const struct cli_global *g, const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* SRIOVSIM_TOOLS_CLI_H */
