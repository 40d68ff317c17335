/* SPDX-License-Identifier: MIT */
/*
 * interp.h — the scenario interpreter: binds a checked `.scn` program (script.h) to the
 * virtualization stack (vstack/) and runs it on the virtual clock, deciding every `expect`.
 *
 * Windows counterpart: the test harness of an HLK-style network test pass — it builds the
 * topology (New-VMSwitch -EnableIov, Add-VMNetworkAdapter), drives the actions at their times
 * (Set-VMNetworkAdapter -IovWeight, a tester pulling the card), and checks what the drivers did
 * against the expected OID order, data path and packet figures.
 *
 * Semantics (docs/scenario-language.md, "Expectations" and "Running and results"):
 *   - statements run in file order at their resolved times; a statement after a `wait-until`
 *     runs offset_ns after that wait-until finished;
 *   - `expect X` without a window is decided at its time, after the events the actions before
 *     it at that same time scheduled with zero delay (the world settles first: `fault
 *     surprise-remove` then `+0 expect event vm1 vf-removed` sees the removal);
 *   - `expect X within=D` (or a time range) is evaluated when it opens and then re-evaluated
 *     after every scheduler event until its window closes: it passes at the first moment it
 *     holds and fails at the window end with the last actual value. Re-evaluation after every
 *     event is exact (no polling granularity) and deterministic (events run in a fixed order);
 *   - `expect oid-sequence` and `expect event` look at what happened since the previous action
 *     statement (any statement that is not `expect`, `wait`, `wait-until` or `mark`) began;
 *   - a `wait-until` that times out counts as a failed expectation; the statements after it
 *     then run, counted from its timeout;
 *   - strict: an action the stack refuses stops the run and fails it (scn_run_refused_unexpected)
 *     unless an `expect refused` follows the action; that expectation then passes (and fails
 *     when the action was accepted).
 *
 * Determinism: one virtual scheduler, the run's PRNG seeded from opts->seed, results and trace
 * lines produced in event order. Same program and seed: the same results, byte for byte.
 *
 * Threading: one thread (the caller's) for the whole life of a run.
 */
#ifndef SRIOVSIM_SCRIPT_INTERP_H
#define SRIOVSIM_SCRIPT_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "script/script.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCN_RESULT_TEXT_MAX 192u

/* The verdict on one `expect` (or `wait-until`) statement. */
struct scn_result {
    const struct scn_stmt *stmt; /* the statement (owned by the program) */
    size_t index;                /* statement index in the program */
    sim_time_t time_ns;          /* virtual time the verdict was reached */
    bool passed;
    /* Not an `expect`: the model's contract checked on every run (a flow's conservation and
     * liveness, at the end of the run), reported on the statement that started the flow. */
    bool invariant;
    char expected[SCN_RESULT_TEXT_MAX]; /* "== vf", "OID_A OID_B", "<= 64" */
    char actual[SCN_RESULT_TEXT_MAX];   /* "synthetic", "OID_A (then nothing)", "912" */
};

/* An action the simulator refused (attach a VF that is not enabled, vf-mac without a VF, ...).
 * Strict runs: a refusal fails the run (it stops there) unless the script expects it with
 * `expect refused` right after the action. */
struct scn_refusal {
    const struct scn_stmt *stmt; /* the refused action (owned by the program) */
    size_t index;                /* its statement index */
    sim_time_t time_ns;
    int error;     /* the SIM_E* code the stack returned */
    bool expected; /* an `expect refused` follows the action */
    char reason[SCN_RESULT_TEXT_MAX * 2];
};

/* What the caller wants to hear while the run goes on. Every callback may be NULL. */
struct scn_run_opts {
    uint64_t seed;    /* the run's seed (the CLI's --seed, else the script's, else drawn) */
    sim_time_t until; /* stop the run at this virtual time (SIM_TIME_NEVER: run it all) */
    bool fail_fast;   /* stop at the first failed expectation */
    bool lenient;     /* refusals are notes and the run goes on (generators and fuzzers that
                         build random, possibly refused, action sequences); never the CLI's
                         default */
    /* Capture: the file used when `capture start` gives no file= (NULL: then such a capture
     * start is refused), and whether it overrides every file= (the CLI's --capture). */
    const char *capture_default;
    bool capture_override;
    bool no_capture;    /* ignore `capture start/stop` and `mark` (sriovsim config SCRIPT --at T) */
    int capture_format; /* enum cap_format, used when the statement gives no format= */
    FILE *out;          /* what `oid` statements print (NULL: nothing) */
    FILE *log;          /* notes: actions the stack refused, with the reason (NULL: nothing) */
    FILE *trace;        /* --trace: the NDIS OID trace and the event log, at the end (NULL: none) */
    /* The rule verifier to attach to the world (verify/verify.h; NULL: none). The caller owns
     * it and reads its breaches after scn_run_exec. */
    struct verify *verify;
    /* The PF miniport driver every `pf` loads (NULL: the shipped one; --pf-driver lib.so). */
    const struct pf_driver *pf_driver;
    /* Called once per verdict, in the order verdicts are reached. */
    void (*on_result)(void *ctx, const struct scn_result *r);
    /* Called once per refused action, when it is refused (before the run stops on it). */
    void (*on_refusal)(void *ctx, const struct scn_refusal *f);
    /* Called for every note the run writes to `log` (text without "FILE:LINE: note: "). */
    void (*on_note)(void *ctx, const struct scn_stmt *s, sim_time_t t, const char *text);
    void *ctx;
};

struct scn_run;
struct verify;
struct pf_driver;

/*
 * Build the world the program describes (nothing runs yet beyond t = 0 setup checks).
 * Returns 0, SIM_EINVAL (NULL arguments), SIM_ENOMEM.
 */
int scn_run_create(const struct scn_program *prog, const struct scn_run_opts *opts,
                   struct scn_run **out, struct sim_diag *d);

/*
 * Run the program to its end (or opts->until, or the first failure with fail_fast).
 * Returns 0 when the run completed (whatever the verdicts), or a negative SIM_E* code when the
 * simulation itself failed: SIM_EIO (the capture could not be written; reason in d),
 * SIM_ENOMEM, or another code for an action the stack refused in a way the script cannot
 * express (reason in d names the statement's line). Call once.
 */
int scn_run_exec(struct scn_run *r, struct sim_diag *d);

/* Verdicts reached so far, in order. */
size_t scn_run_result_count(const struct scn_run *r);
const struct scn_result *scn_run_result(const struct scn_run *r, size_t i);
size_t scn_run_passed(const struct scn_run *r);
size_t scn_run_failed(const struct scn_run *r);
/* Refused actions so far, in order; how many of them no `expect refused` expected (each
 * failed the run: it stopped at the first). */
size_t scn_run_refusal_count(const struct scn_run *r);
const struct scn_refusal *scn_run_refusal(const struct scn_run *r, size_t i);
size_t scn_run_refused_unexpected(const struct scn_run *r);
/* Expectations never decided (the run stopped early: --until, --fail-fast, a refusal). */
size_t scn_run_undecided(const struct scn_run *r);
/* Virtual time when the run stopped. */
sim_time_t scn_run_now(const struct scn_run *r);

/* Scheduler figures for `sriovsim run --stats` (how much work the run was). */
struct scn_run_stats {
    sim_time_t now;      /* virtual time reached */
    uint64_t events_run; /* scheduler events run so far (sim_sched_events_run) */
    size_t pending;      /* events pending now (sim_sched_pending) */
    size_t pending_peak; /* most events pending at once, sampled whenever control came back
                            to the interpreter: after every event while an expectation window
                            is open, else after each run to the next statement or deadline
                            (a lower bound of the true peak: sim/ keeps no high-water mark) */
};
/* Fill *out (zeroes for a NULL run). */
void scn_run_stats(const struct scn_run *r, struct scn_run_stats *out);

/* The world the run built (to inspect it after scn_run_exec stopped, e.g. its PCIe fabric for
 * `sriovsim config SCRIPT --at T`). Valid until scn_run_destroy. */
struct vstack_world *scn_run_world(const struct scn_run *r);

/* Tear down the world and free the run. NULL is ignored. */
void scn_run_destroy(struct scn_run *r);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_SCRIPT_INTERP_H */
