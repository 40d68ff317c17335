/* SPDX-License-Identifier: MIT */
/* test_interp.c — the scenario interpreter on the real virtualization stack: a window passes at
 * the exact event that made it true (an instant check one nanosecond earlier fails), wait-until
 * anchors later statements to the moment it finished (or timed out), fail-fast and --until
 * leave the rest undecided, a refused action stops and fails the run unless `expect refused`
 * follows it, the same seed gives the same
 * verdicts, and nothing is leaked. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/interp.h"
#include "script/script_int.h"
#include "script/script.h"
#include "vstack/vstack.h"

SIM_ALLOC_TAG_DECLARE(scn_run);

#define TOPO                                                                                       \
    "host h1\n"                                                                                    \
    "pf h1.pf0 total_vfs=4\n"                                                                      \
    "vswitch h1.sw0 uplink=h1.pf0\n"                                                               \
    "sriov h1.pf0 num_vfs=2\n"                                                                     \
    "vm vm1 on=h1 switch=h1.sw0\n"                                                                 \
    "peer ext1 on=h1.sw0\n"

struct outcome {
    struct scn_result res[32]; /* res[i].stmt is dangling: the program is gone */
    unsigned line[32];
    size_t n, passed, failed, undecided;
    size_t refusals, refused_unexpected;
    char refusal_reason[SCN_RESULT_TEXT_MAX * 2];
    int err;
};

static void
collect(const char *src, uint64_t seed, sim_time_t until, bool fail_fast, struct outcome *o)
{
    struct scn_program *p = NULL;
    struct scn_diags *dg = NULL;
    int err = scn_program_parse_string("t.scn", src, strlen(src), NULL, &p, &dg);
    if (err != 0 && dg != NULL)
        scn_diag_print(stderr, dg, true);
    scn_diags_destroy(dg);
    cr_assert_eq(err, 0, "parse: %d", err);
    struct scn_run_opts opts = {.seed = seed, .until = until, .fail_fast = fail_fast};
    struct scn_run *r = NULL;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(scn_run_create(p, &opts, &r, &d), 0, "create: %s", d.reason);
    memset(o, 0, sizeof *o);
    o->err = scn_run_exec(r, &d);
    o->n = scn_run_result_count(r);
    cr_assert_leq(o->n, 32);
    for (size_t i = 0; i < o->n; i++) {
        o->res[i] = *scn_run_result(r, i);
        o->line[i] = o->res[i].stmt->line;
        o->res[i].stmt = NULL;
    }
    o->passed = scn_run_passed(r);
    o->failed = scn_run_failed(r);
    o->undecided = scn_run_undecided(r);
    o->refusals = scn_run_refusal_count(r);
    o->refused_unexpected = scn_run_refused_unexpected(r);
    if (o->refusals > 0)
        snprintf(o->refusal_reason, sizeof o->refusal_reason, "%s", scn_run_refusal(r, 0)->reason);
    scn_run_destroy(r);
    scn_program_destroy(p);
    cr_assert_eq(sim_alloc_live(SIM_TAG(scn_run)), 0, "run allocations leaked");
}

/* The first verdict on line `line`. */
static const struct scn_result *
on_line(const struct outcome *o, unsigned line)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->line[i] == line)
            return &o->res[i];
    cr_assert_fail("no verdict for line %u", line);
    return NULL;
}

Test(scn_interp, window_passes_at_the_exact_event)
{
    struct outcome a, b, c;
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                 "+0 expect vm1.datapath == vf within=5s\n",
            1, SIM_TIME_NEVER, false, &a);
    cr_assert_eq(a.err, 0);
    const struct scn_result *r = on_line(&a, 8);
    cr_assert(r->passed, "actual %s", r->actual);
    cr_assert_gt(r->time_ns, 0);
    cr_assert_lt(r->time_ns, SIM_SEC(5));
    cr_assert_str_eq(r->actual, "vf");
    sim_time_t t = r->time_ns;

    /* An instant check at that time holds; one nanosecond earlier it does not. */
    char src[1024];
    snprintf(src, sizeof src,
             TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                  "%" PRId64 "ns expect vm1.datapath == vf\n",
             t);
    collect(src, 1, SIM_TIME_NEVER, false, &b);
    cr_assert(on_line(&b, 8)->passed, "at t: %s", on_line(&b, 8)->actual);
    snprintf(src, sizeof src,
             TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                  "%" PRId64 "ns expect vm1.datapath == vf\n",
             t - 1);
    collect(src, 1, SIM_TIME_NEVER, false, &c);
    cr_assert_not(on_line(&c, 8)->passed);
    cr_assert_str_eq(on_line(&c, 8)->actual, "synthetic");
}

Test(scn_interp, window_fails_at_its_end_with_the_last_value)
{
    struct outcome o;
    collect(TOPO "100ms expect vm1.datapath == vf within=50ms\n", 1, SIM_TIME_NEVER, false, &o);
    const struct scn_result *r = on_line(&o, 7);
    cr_assert_not(r->passed);
    cr_assert_eq(r->time_ns, SIM_MSEC(150));
    cr_assert_str_eq(r->actual, "synthetic");
    cr_assert_str_eq(r->expected, "== vf within 0.050000000s");
    cr_assert_eq(o.failed, 1);
}

Test(scn_interp, wait_until_anchors_later_statements)
{
    struct outcome o;
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                 "+0 wait-until vm1.datapath == vf timeout=5s\n"
                 "+10ms expect vm1.datapath == vf\n",
            1, SIM_TIME_NEVER, false, &o);
    const struct scn_result *w = on_line(&o, 8);
    const struct scn_result *e = on_line(&o, 9);
    cr_assert(w->passed);
    cr_assert(e->passed);
    cr_assert_gt(w->time_ns, 0);
    cr_assert_eq(e->time_ns, w->time_ns + SIM_MSEC(10));
}

Test(scn_interp, wait_until_timeout_fails_and_the_run_goes_on)
{
    struct outcome o;
    collect(TOPO "0 wait-until vm1.datapath == vf timeout=200ms\n"
                 "+0 expect vm1.datapath == synthetic\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.n, 2);
    cr_assert_not(on_line(&o, 7)->passed);
    cr_assert_eq(on_line(&o, 7)->time_ns, SIM_MSEC(200));
    cr_assert(on_line(&o, 8)->passed);
    cr_assert_eq(on_line(&o, 8)->time_ns, SIM_MSEC(200));
}

Test(scn_interp, oid_sequence_since_the_previous_action)
{
    struct outcome o;
    /* At 10 ms: the PF's CREATE_SWITCH (issued at t = 0) has completed by then. */
    collect(TOPO "10ms attach-vf vm1 vf=h1.pf0.vf0\n"
                 "+0 expect oid-sequence h1.pf0 OID_NIC_SWITCH_ALLOCATE_VF "
                 "OID_NIC_SWITCH_CREATE_VPORT within=100ms\n"
                 "+0 expect oid-sequence h1.pf0 OID_NIC_SWITCH_CREATE_VPORT "
                 "OID_NIC_SWITCH_ALLOCATE_VF within=100ms\n"
                 "3s detach-vf vm1\n"
                 "+0 expect oid-sequence h1.pf0 OID_NIC_SWITCH_ALLOCATE_VF within=1s\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert(on_line(&o, 8)->passed, "%s", on_line(&o, 8)->actual);
    cr_assert_not(on_line(&o, 9)->passed, "the order matters");
    /* After the detach, the ALLOCATE_VF of the attach is no longer "since the previous
     * statement". */
    cr_assert_not(on_line(&o, 11)->passed, "%s", on_line(&o, 11)->actual);
}

Test(scn_interp, fail_fast_and_until_leave_the_rest_undecided)
{
    const char *src = TOPO "100ms expect vm1.datapath == vf\n"
                           "200ms expect vm1.datapath == synthetic\n"
                           "300ms expect vm1.datapath == synthetic\n";
    struct outcome o;
    collect(src, 1, SIM_TIME_NEVER, true, &o);
    cr_assert_eq(o.n, 1);
    cr_assert_eq(o.failed, 1);
    cr_assert_eq(o.undecided, 2);
    collect(src, 1, SIM_MSEC(250), false, &o);
    cr_assert_eq(o.n, 2);
    cr_assert_eq(o.passed, 1);
    cr_assert_eq(o.undecided, 1);
    collect(src, 1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.passed, 2);
    cr_assert_eq(o.failed, 1);
    cr_assert_eq(o.undecided, 0);
}

Test(scn_interp, unexpected_refusal_stops_and_fails_the_run)
{
    struct outcome o;
    /* vm1 has no VF: its MAC change request is refused (check cannot know: a VF's attach
     * completes asynchronously); nothing after it runs. */
    collect(TOPO "0 vf-mac vm1 mac=02:00:00:00:00:09\n"
                 "1s expect vm1.datapath == synthetic\n"
                 "+0 expect vm1.vf == none\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.err, 0);
    cr_assert_eq(o.refusals, 1);
    cr_assert_eq(o.refused_unexpected, 1);
    cr_assert(strstr(o.refusal_reason, "the VM has no running VF miniport") != NULL, "%s",
              o.refusal_reason);
    cr_assert_eq(o.passed, 0);
    cr_assert_eq(o.undecided, 2);
}

Test(scn_interp, expected_refusal_passes_and_the_run_goes_on)
{
    struct outcome o;
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf3\n"
                 "+0 expect refused \"not enabled\"\n"
                 "1s expect vm1.datapath == synthetic\n"
                 "+0 expect vm1.vf == none\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.err, 0);
    cr_assert_eq(o.refusals, 1);
    cr_assert_eq(o.refused_unexpected, 0);
    cr_assert_eq(o.passed, 3);
    cr_assert_eq(o.failed, 0);
    cr_assert_str_eq(on_line(&o, 8)->actual,
                     "refused: attach-vf vm1: h1.pf0.vf3 is not enabled (sriov h1.pf0 num_vfs=2) "
                     "(SIM_ESTATE)");
}

Test(scn_interp, expect_refused_fails_when_accepted_or_for_another_reason)
{
    struct outcome o;
    /* Accepted: the expectation fails with "accepted". */
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                 "+0 expect refused\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.failed, 1);
    cr_assert_str_eq(on_line(&o, 8)->actual, "accepted");
    /* Refused, but not for the reason the script names. */
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf3\n"
                 "+0 expect refused \"vetoed\"\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.failed, 1);
    cr_assert_eq(o.refused_unexpected, 0);
}

Test(scn_interp, same_seed_same_verdicts)
{
    const char *src = TOPO "0 flow start f1 from=vm1 to=ext1 proto=tcp rate=500Mbps\n"
                           "100ms attach-vf vm1\n"
                           "+0 expect vm1.datapath == vf within=3s\n"
                           "2s expect flow f1.delivered > 1000\n";
    struct outcome a, b;
    collect(src, 42, SIM_TIME_NEVER, false, &a);
    collect(src, 42, SIM_TIME_NEVER, false, &b);
    cr_assert_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        cr_assert_eq(a.res[i].time_ns, b.res[i].time_ns);
        cr_assert_eq(a.res[i].passed, b.res[i].passed);
        cr_assert_str_eq(a.res[i].actual, b.res[i].actual);
    }
    cr_assert_eq(a.failed, 0, "%s", a.n ? a.res[a.n - 1].actual : "");
}

Test(scn_interp, an_expectation_sees_zero_delay_effects_of_earlier_actions)
{
    struct outcome o;
    collect(TOPO "100ms attach-vf vm1 vf=h1.pf0.vf0\n"
                 "2s fault surprise-remove h1.pf0.vf0\n"
                 "+0 expect event vm1 vf-removed kind=surprise\n"
                 "+0 expect vm1.datapath == synthetic\n"
                 "+0 expect event vm1 vf-removed kind=graceful\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert(on_line(&o, 9)->passed, "%s", on_line(&o, 9)->actual);
    cr_assert_eq(on_line(&o, 9)->time_ns, SIM_SEC(2));
    cr_assert(on_line(&o, 10)->passed, "%s", on_line(&o, 10)->actual);
    cr_assert_not(on_line(&o, 11)->passed, "the filter must match: %s", on_line(&o, 11)->actual);
}

Test(scn_interp, create_out_of_memory_sweep)
{
    const char *src = TOPO "1s expect vm1.datapath == synthetic\n";
    struct scn_program *p = NULL;
    cr_assert_eq(scn_program_parse_string("t.scn", src, strlen(src), NULL, &p, NULL), 0);
    long baseline = sim_alloc_live_total();
    struct scn_run_opts opts = {.seed = 1, .until = SIM_TIME_NEVER};
    for (long n = 0;; n++) {
        struct scn_run *r = NULL;
        struct sim_diag d;
        sim_diag_clear(&d);
        sim_alloc_fail_nth(n);
        int err = scn_run_create(p, &opts, &r, &d);
        sim_alloc_fail_nth(-1);
        if (err == 0) {
            cr_assert_not_null(r);
            cr_assert_eq(scn_run_exec(r, &d), 0, "%s", d.reason);
            cr_assert_eq(scn_run_passed(r), 1);
            scn_run_destroy(r);
            cr_assert_eq(sim_alloc_live_total(), baseline, "leak after a successful run");
            cr_assert_gt(n, 0, "the sweep never failed an allocation");
            break;
        }
        cr_assert_eq(err, SIM_ENOMEM, "allocation %ld: %s (%s)", n, sim_err_name(err), d.reason);
        cr_assert_null(r);
        cr_assert_eq(sim_alloc_live_total(), baseline, "allocation %ld failed: leak", n);
        cr_assert_lt(n, 10000);
    }
    scn_program_destroy(p);
}

/* The language's event names (script.h) and the event log's (vstack.h) are two tables: every
 * event a script can expect must be one the virtualization stack logs, spelled the same. */
Test(scn_interp, every_language_event_is_logged_by_vstack)
{
    for (int e = 0; e < SCN_EVENT_COUNT; e++) {
        const char *name = scn_event_name((enum scn_event)e);
        bool found = false;
        for (int k = 0; k < VSTACK_EV_COUNT && !found; k++)
            found = strcmp(name, vstack_event_kind_name((enum vstack_event_kind)k)) == 0;
        cr_expect(found, "event '%s' of the language is not in VSTACK_EVENT_MAP", name);
    }
}

/* An `expect event ... within=` sees every event logged in its window, however many: here the
 * one it waits for comes after 1,500 others (the interpreter used to read only the first 1,024
 * events since its mark, so the datapath switch was never seen). */
Test(scn_interp, event_window_sees_every_event_not_only_the_first_1024)
{
    size_t cap = 1u << 17, off = 0;
    char *src = malloc(cap);
    cr_assert_not_null(src);
    off += (size_t)snprintf(src + off, cap - off,
                            TOPO "0 mark \"start\"\n"
                                 "+0 expect event vm1 datapath-switched to=vf within=5s\n");
    for (int i = 0; i < 1500; i++)
        off += (size_t)snprintf(src + off, cap - off, "1ms mark \"m%d\"\n", i);
    off += (size_t)snprintf(src + off, cap - off, "2ms attach-vf vm1 vf=h1.pf0.vf0\n");
    cr_assert_lt(off, cap);
    struct outcome o;
    collect(src, 1, SIM_TIME_NEVER, false, &o);
    free(src);
    const struct scn_result *r = on_line(&o, 8);
    cr_assert(r->passed, "actual %s", r->actual);
    cr_assert_gt(r->time_ns, SIM_SEC(1), "after the offer delay");
}

/* Honest time: a raw `oid` statement submits its request and returns; the clock is not run
 * inside it. The RESET_VF below takes 100 ms to complete; the check written for 1 ms later
 * runs 1 ms later (it used to run after the completion, at 2.351 s). */
Test(scn_interp, raw_oid_does_not_run_the_clock_inside_the_statement)
{
    struct outcome o;
    collect(TOPO "0 attach-vf vm1 vf=h1.pf0.vf0\n"
                 "2.25s oid h1.pf0 OID_SRIOV_RESET_VF vf=0\n"
                 "+1ms expect oid h1.pf0 OID_SRIOV_RESET_VF count == 0\n"
                 "+0 expect oid h1.pf0 OID_SRIOV_RESET_VF count == 1 within=200ms\n",
            1, SIM_TIME_NEVER, false, &o);
    cr_assert_eq(o.err, 0);
    const struct scn_result *r = on_line(&o, 9);
    cr_assert_eq(r->time_ns, SIM_MSEC(2251), "ran at %" PRId64 " ns", r->time_ns);
    cr_assert(r->passed, "not completed yet at 2.251 s: actual %s", r->actual);
    r = on_line(&o, 10);
    cr_assert(r->passed, "completed within the window: %s", r->actual);
    cr_assert_gt(r->time_ns, SIM_MSEC(2251));
}

/* The parser's "not supported" table (scn__limits) says exactly what the virtualization stack
 * refuses: each limit is accepted by vstack and one step past it is refused. */
static int
pf_try(const char *key, uint64_t x)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    struct vstack_world *w = NULL;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(vstack_world_create(&wc, &w, &d), 0);
    cr_assert_eq(vstack_host_add(w, "h1", &d), 0);
    struct vstack_pf_config c;
    vstack_pf_config_init(&c);
    if (strcmp(key, "total_vfs") == 0)
        c.total_vfs = (uint16_t)x;
    else if (strcmp(key, "vf_offset") == 0)
        c.vf_offset = (uint16_t)x;
    else if (strcmp(key, "vf_stride") == 0)
        c.vf_stride = (uint16_t)x;
    else if (strcmp(key, "bdf") == 0) {
        c.has_bdf = true;
        c.domain = (uint16_t)x;
        c.bus = 5;
    } else
        cr_assert_fail("no pf key %s in this test", key);
    int rc = vstack_pf_add(w, "h1.pf0", &c, &d);
    vstack_world_destroy(w);
    return rc;
}

static int
flow_try(const char *proto, uint64_t size)
{
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    struct vstack_world *w = NULL;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(vstack_world_create(&wc, &w, &d), 0);
    cr_assert_eq(vstack_host_add(w, "h1", &d), 0);
    cr_assert_eq(vstack_pf_add(w, "h1.pf0", NULL, &d), 0, "%s", d.reason);
    struct vstack_switch_config sc;
    vstack_switch_config_init(&sc);
    sc.uplink = "h1.pf0";
    cr_assert_eq(vstack_switch_add(w, "h1.sw0", &sc, &d), 0, "%s", d.reason);
    struct vstack_vm_config vc;
    vstack_vm_config_init(&vc);
    vc.host = "h1";
    vc.sw = "h1.sw0";
    cr_assert_eq(vstack_vm_add(w, "vm1", &vc, &d), 0, "%s", d.reason);
    struct vstack_peer_config pc;
    vstack_peer_config_init(&pc);
    pc.sw = "h1.sw0";
    cr_assert_eq(vstack_peer_add(w, "ext1", &pc, &d), 0, "%s", d.reason);
    struct vstack_flow_config fc;
    vstack_flow_config_init(&fc);
    fc.from = "vm1";
    fc.to = "ext1";
    fc.proto = strcmp(proto, "tcp") == 0 ? VSTACK_PROTO_TCP : VSTACK_PROTO_UDP;
    fc.size = (uint32_t)size;
    int rc = vstack_flow_start(w, "f1", &fc, &d);
    vstack_world_destroy(w);
    return rc;
}

Test(scn_interp, limits_table_matches_what_vstack_refuses)
{
    size_t n;
    const struct scn_limit *lim = scn__limits(&n);
    for (size_t i = 0; i < n; i++) {
        const struct scn_limit *l = &lim[i];
        int (*try)(const char *, uint64_t) = NULL;
        const char *arg = l->key;
        if (l->verb == SCN_VERB_PF) {
            try = pf_try;
        } else if (l->verb == SCN_VERB_FLOW_START && strcmp(l->key, "size") == 0) {
            try = flow_try;
            arg = l->when_word;
        }
        cr_assert_not_null(try, "row %zu (%s) has no check here: add one", i, l->key);
        cr_expect_eq(try(arg, l->lo), 0, "%s %s=%llu is accepted", l->key, arg,
                     (unsigned long long)l->lo);
        cr_expect_eq(try(arg, l->hi), 0, "%s %s=%llu is accepted", l->key, arg,
                     (unsigned long long)l->hi);
        cr_expect_neq(try(arg, l->hi + 1), 0, "%s %s=%llu is refused", l->key, arg,
                      (unsigned long long)l->hi + 1);
        if (l->lo > 0 && !(l->verb == SCN_VERB_PF && strcmp(l->key, "total_vfs") == 0))
            cr_expect_neq(try(arg, l->lo - 1), 0, "%s %s=%llu is refused", l->key, arg,
                          (unsigned long long)l->lo - 1);
    }
}
