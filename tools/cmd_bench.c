/* SPDX-License-Identifier: MIT */
/* cmd_bench.c — `sriovsim bench <which> [options]`: dispatches to the programs in bench/. */
#include <string.h>

#include "bench/bench.h"
#include "tools/cli.h"

int
cli_cmd_bench(int argc, char **argv, const struct cli_global *g)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: sriovsim bench <benchmark> [options]\n\n"
                     "benchmarks:\n"
                     "  ring       the lock-free SPSC descriptor ring, two pinned threads\n"
                     "  datapath   the VF path against the synthetic path, guest -> wire, the\n"
                     "             real drivers on pinned threads (cost by role, copies, latency)\n"
                     "\n'sriovsim bench ring --help', 'sriovsim bench datapath --help' list the "
                     "options.\n");
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "ring") == 0 || strcmp(argv[1], "datapath") == 0) {
        /* bench_ring_main sees argv[0] = "ring"; pass --json through from the global flag. */
        static char json_flag[] = "--json";
        char *sub[128];
        int n = 0;
        if (argc > 120)
            return cli_error(g, "bench", CLI_EXIT_USAGE, "too many arguments");
        for (int i = 1; i < argc; i++)
            sub[n++] = argv[i];
        if (g->json)
            sub[n++] = json_flag;
        sub[n] = NULL;
        return strcmp(argv[1], "ring") == 0 ? bench_ring_main(n, sub) : bench_datapath_main(n, sub);
    }
    return cli_error(g, "bench", CLI_EXIT_USAGE, "unknown benchmark '%s' (known: ring, datapath)",
                     argv[1]);
}
