/* SPDX-License-Identifier: MIT */
/* bench_ring_main.c — the standalone `bench-ring` program (same as `sriovsim bench ring`). */
#include "bench/bench.h"

int
main(int argc, char **argv)
{
    return bench_ring_main(argc, argv);
}
