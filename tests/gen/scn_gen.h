/* SPDX-License-Identifier: MIT */
/*
 * scn_gen.h — a generator of valid random scenarios (issue 13 item 2). From a seed it writes a
 * `.scn` program that passes `sriovsim check`: one or two hosts (a PF with 2..8 VFs and a
 * vswitch each, linked), one to four VMs with or without a VF at start, peers, UDP and TCP
 * flows in both directions, then a random timeline of VF attach/detach (graceful and surprise),
 * surprise removals, FLR timeouts, IOMMU faults, link down/up, OID failures with several
 * statuses, mailbox refusals, guest MAC changes, policy changes, servicing, live migrations with
 * any pre-copy and blackout, flow stops, fault clears — and an `end` at a random moment, which
 * may fall in the middle of any of these.
 *
 * The scenarios carry no expectations of their own: what the runner checks are the invariants
 * every run keeps (no crash, no sanitizer report, every tagged allocation back after teardown,
 * and whatever the interpreter checks in every run: conservation, liveness).
 */
#ifndef SRIOVSIM_TESTS_GEN_SCN_GEN_H
#define SRIOVSIM_TESTS_GEN_SCN_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

/* Write the scenario of `seed` to out. Returns the virtual time of its `end` statement. */
sim_time_t scn_gen_write(FILE *out, uint64_t seed);

/* Systematic (step x fault) injection (scn_matrix.c): pair 0 .. scn_matrix_count()-1, one
 * sequence and one fault at one step each. Returns the time of the scenario's `end`. */
unsigned scn_matrix_count(void);
unsigned scn_matrix_sequences(void);
sim_time_t scn_matrix_write(FILE *out, unsigned pair);

#endif
