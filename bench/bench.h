/* SPDX-License-Identifier: MIT */
/*
 * bench.h — the benchmark programs behind `sriovsim bench <name>`. Models no Windows component:
 * these measure the simulator's own machinery on this machine (the lock-free ring first).
 */
#ifndef SRIOVSIM_BENCH_H
#define SRIOVSIM_BENCH_H

/*
 * bench_ring_main — `sriovsim bench ring [options]` and the standalone `bench-ring`: throughput
 * and per-descriptor cost of sim_ring (and of DPDK's rte_ring in the same run when built with
 * libdpdk). `--help` lists the options.
 *   argc, argv: argv[0] is the program / subcommand name ("ring"); options are parsed with
 *               getopt_long after resetting optind.
 * Returns 0 when every run moved every descriptor exactly once and in order and the
 * --min-mdps threshold (if any) held; 1 when a correctness check or the threshold failed;
 * 64 on a usage error; 70 when a ring or thread could not be created.
 * Thread: the caller's; it starts and joins its own producer/consumer threads.
 */
int bench_ring_main(int argc, char **argv);

/*
 * bench_datapath_main — `sriovsim bench datapath [options]` and the standalone
 * `bench-datapath`: the VF path against the synthetic path (guest -> wire) with the real
 * drivers on pinned threads; throughput, CPU per packet by role (guest, host, device), copies,
 * latency, drops; table, --json, --csv, --plot. `--help` lists the options.
 * Returns 0 when every run delivered every frame exactly once, in order, on the path asked
 * for, with nothing dropped; 1 otherwise (or interrupted); 64 usage; 70 the world could not be
 * built; 74 an output file could not be written. Thread: the caller's (it runs a libuv loop
 * for Ctrl-C and progress while its worker threads run).
 */
int bench_datapath_main(int argc, char **argv);

#endif /* SRIOVSIM_BENCH_H */
