/* SPDX-License-Identifier: MIT */
/*
 * fuzz_run.c — libFuzzer target: parse-and-run. An input that passes the checker is run on the
 * virtual clock (the whole stack: hosts, PFs, VFs, VMs, flows, faults, migrations) up to
 * FUZZ_RUN_UNTIL (default 4 s of virtual time), then torn down from whatever state it reached.
 * Nothing may crash, no sanitizer may complain, and every tagged allocation must be back after
 * the teardown. Use with the dictionary scn.dict (verbs, keys, object names, OIDs) so most
 * inputs reach the interpreter; the shipped scenarios are the seed corpus.
 *
 * Known defect (issue 9, "ending a run from any state"): while vstack's teardown gives up on a
 * PF miniport that would not halt, that run leaks the PF's tables. With FUZZ_RUN_KNOWN_LEAK=1
 * exactly that case (the teardown logged "would not halt") is tolerated and counted, so the
 * fuzzer keeps looking for everything else; without it, it is a finding like any other leak.
 *
 * Inputs the machine cannot afford in a fuzzing budget (flows above 100 Mbit/s, more than 16 VMs
 * or 8 flows) are only parsed: the scale scenarios cover those sizes in the suite. The seed
 * corpus (corpus/run) is the shipped scenarios without comments, their rates divided by 10.
 * At exit the target prints how many inputs parsed and how many ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_scn.h"
#include "script/interp.h"

static bool
affordable(const struct scn_program *p)
{
    unsigned vms = 0, flows = 0;
    for (size_t i = 0; i < scn_program_count(p); i++) {
        const struct scn_stmt *s = scn_program_stmt(p, i);
        if (s->verb == SCN_VERB_VM && ++vms > 16)
            return false;
        if (s->verb == SCN_VERB_FLOW_START) {
            if (++flows > 8)
                return false;
            const struct scn_value *r = scn_stmt_value(s, "rate");
            if (r && r->type == SCN_T_RATE && r->v.u > UINT64_C(100000000))
                return false;
        }
        if (s->verb == SCN_VERB_HOST || s->verb == SCN_VERB_PF) {
            const struct scn_value *v = scn_stmt_value(s, "total_vfs");
            if (v && v->type == SCN_T_INT && v->v.u > 64)
                return false;
        }
    }
    return true;
}

static bool saw_halt_refusal;
static unsigned long n_inputs, n_parsed, n_ran;

static void
print_counts(void)
{
    fprintf(stderr, "fuzz_run: %lu inputs, %lu parsed (%.0f%%), %lu ran\n", n_inputs, n_parsed,
            n_inputs ? 100.0 * (double)n_parsed / (double)n_inputs : 0.0, n_ran);
}

static void
log_sink(void *ctx, const char *ns, enum sim_log_level level, int64_t time_ns, const char *text)
{
    if (strstr(text, "would not halt") != NULL)
        saw_halt_refusal = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sim_time_t until;
    static FILE *devnull;
    static bool tolerate_known;
    static long baseline, known_leaks;
    if (until == 0) {
        const char *e = getenv("FUZZ_RUN_UNTIL");
        until = e ? (sim_time_t)(atof(e) * 1e9) : SIM_SEC(4);
        devnull = fopen("/dev/null", "w");
        (void)sim_log_configure("error", NULL);
        sim_log_set_sink(log_sink, NULL);
        e = getenv("FUZZ_RUN_KNOWN_LEAK");
        tolerate_known = e != NULL && strcmp(e, "1") == 0;
        atexit(print_counts);
    }
    n_inputs++;
    saw_halt_refusal = false;
    struct scn_parse_opts po;
    fz_parse_opts(&po);
    struct scn_program *p = NULL;
    struct scn_diags *d = NULL;
    int rc = scn_program_parse_string("fuzz.scn", (const char *)data, size, &po, &p, &d);
    scn_diags_destroy(d);
    if (rc == 0)
        n_parsed++;
    if (rc == 0 && affordable(p)) {
        n_ran++;
        struct scn_run_opts ro = {
            .seed = 1,
            .until = until,
            .no_capture = true,
            .out = devnull,
            .log = devnull,
        };
        struct scn_run *r = NULL;
        struct sim_diag sd;
        sim_diag_clear(&sd);
        if (scn_run_create(p, &ro, &r, &sd) == 0) {
            sim_diag_clear(&sd);
            (void)scn_run_exec(r, &sd);
            struct scn_run_stats st;
            scn_run_stats(r, &st);
            if (st.now > until && until != SIM_TIME_NEVER) {
                fprintf(stderr, "the run went past --until: %lld > %lld\n", (long long)st.now,
                        (long long)until);
                abort();
            }
        }
        scn_run_destroy(r);
    }
    scn_program_destroy(p);
    long live = sim_alloc_live_total();
    if (live != baseline) {
        if (tolerate_known && saw_halt_refusal) {
            if (known_leaks++ == 0)
                fprintf(stderr, "fuzz_run: known teardown leak (PF would not halt) tolerated\n");
            baseline = live;
        } else {
            fprintf(stderr, "fuzz_run: %ld live allocations after teardown (was %ld):\n", live,
                    baseline);
            sim_alloc_report(stderr);
            abort();
        }
    }
    return 0;
}
