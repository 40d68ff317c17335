/* SPDX-License-Identifier: MIT */
/* bench_datapath_main.c — the standalone `bench-datapath` program (same as `sriovsim bench
 * datapath`). */
#include "bench/bench.h"

int
main(int argc, char **argv)
{
    return bench_datapath_main(argc, argv);
}
