/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c — `sriovsim run SCRIPT`: parse a scenario, run it on the virtual clock through the
 * interpreter (script/interp.h) and report every expectation.
 *
 * Output (human): "seed: N" first, then one line per verdict (unless -q), failures on stderr as
 *   FILE:LINE: expect failed: STATEMENT (expected ..., actual ...) at t=S.NNNNNNNNNs
 * and last `scenario FILE: N passed, N failed`. --json: one document (tool, version, seed,
 * scenario, results[], summary{}) instead. Same script and seed: byte-identical output and
 * capture.
 *
 * --stats: after the run, one line on stderr with the virtual time simulated, the wall time,
 * the scheduler events run, events per wall second, simulated seconds per wall second and the
 * peak of pending events (sampled by the interpreter); with --json the same figures go into the
 * document as "stats" (only then: wall time differs from run to run, the default output must
 * not).
 *
 * Exit codes: 0 every expectation held, 1 one failed, 64 usage, 65 script errors (nothing run),
 * 66 missing script, 70 internal error, 74 capture or output write error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "draw/draw.h"
#include "script/interp.h"
#include "script/script.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/cli_script.h"
#include "tools/json_stream.h"
#include "miniport_pf/miniport_pf.h"
#include "verify/verify.h"
#include "tools/run_trace.h"
#include "vstack/view.h"

struct run_ctx {
    const struct cli_global *g;
    const char *file;
    bool quiet;
    bool trace;
    bool stats;
    struct cli_jstream js; /* --json-stream (off unless asked) */
    struct verify *verify; /* the rule verifier (NULL with --no-verify) */
    struct run_trace *rt;  /* the live trace, kept for failures (run_trace.h) */
};

/* The verifier's breaches: one line each on stderr, "FILE: breach RULE: ...". */
static void
breaches_print(const struct run_ctx *c)
{
    char line[768];
    for (size_t i = 0; i < verify_breach_count(c->verify); i++) {
        const struct verify_breach *b = verify_breach_at(c->verify, i);
        if (b == NULL) {
            fprintf(stderr, "%s: ... %zu more breach(es) not kept\n", c->file,
                    verify_breach_count(c->verify) - i);
            break;
        }
        (void)verify_breach_format(b, line, sizeof line);
        fprintf(stderr, "%s: %s\n", c->file, line);
    }
}

static json_t *
breaches_json(const struct run_ctx *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < verify_breach_count(c->verify); i++) {
        const struct verify_breach *b = verify_breach_at(c->verify, i);
        if (b == NULL)
            break;
        const char *oid = b->oid != 0 ? ndis_oid_name(b->oid) : NULL;
        char sb[16] = "";
        if (b->completed)
            ndis_status_str(b->status, sb, sizeof sb);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "rule", b->rule->id,
                         "sentence", b->rule->sentence, "source", b->rule->source, "time_ns",
                         (json_int_t)b->time_ns, "miniport", b->miniport, "requester", b->requester,
                         "oid", oid != NULL ? oid : "", "status", sb, "what", b->what));
    }
    return a;
}

/* What --stats reports: the interpreter's scheduler figures and the wall time of the run. */
struct run_stats {
    struct scn_run_stats sched;
    double wall_s;
    double cpu_s; /* this process's CPU time: wall time minus what other processes took */
    double events_per_s;
    double sim_s_per_wall_s;
};

static double
clock_seconds(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
stats_fill(struct run_stats *st, const struct scn_run *run, double wall_s, double cpu_s)
{
    scn_run_stats(run, &st->sched);
    st->wall_s = wall_s;
    st->cpu_s = cpu_s;
    /* A run too short for the clock's resolution reports 0 rates rather than infinity. */
    st->events_per_s = wall_s > 0.0 ? (double)st->sched.events_run / wall_s : 0.0;
    st->sim_s_per_wall_s = wall_s > 0.0 ? (double)st->sched.now / 1e9 / wall_s : 0.0;
}

static void
stats_print(FILE *out, const char *file, const struct run_stats *st)
{
    char t[40];
    fprintf(out,
            "stats: %s: virtual %s, wall %.3f s (cpu %.3f s), %" PRIu64 " events, %.0f events/s, "
            "%.2f simulated s per wall s, peak %zu events pending (sampled)\n",
            file, sim_time_format(st->sched.now, t, sizeof t), st->wall_s, st->cpu_s,
            st->sched.events_run, st->events_per_s, st->sim_s_per_wall_s, st->sched.pending_peak);
}

static void
usage(FILE *out)
{
    fprintf(
        out,
        "usage: sriovsim [--seed N] [--json] [-q] run [options] SCRIPT\n"
        "\n"
        "Runs a .scn scenario on the virtual clock and checks every `expect`. Failures are\n"
        "printed as FILE:LINE: expect failed: STATEMENT (expected ..., actual ...) at t=...\n"
        "on stderr; the last line of output is `scenario FILE: N passed, N failed`.\n"
        "\n"
        "options:\n"
        "  --seed N                 the run's seed (also a global option; printed first so a\n"
        "                           run can be replayed; else the script's `seed`, else drawn)\n"
        "  --until T                stop at virtual time T (e.g. 2.5s); later expectations\n"
        "                           are left undecided\n"
        "  --capture FILE           write the capture here (overrides `capture start file=`)\n"
        "  --capture-format F       pcapng (default) or pcap (one classic file per point)\n"
        "  --trace[=KINDS]          print the trace as it happens, one aligned line per thing\n"
        "                           a component saw: time, script line, kind, requester ->\n"
        "                           target, OID / message / event, status, decoded payload.\n"
        "                           KINDS: oid,pci,mailbox,nvsp,vpci,datapath,flow,event or\n"
        "                           all (default). With --json-stream: \"trace\" records\n"
        "  --draw-on-event EV[,EV]  draw the model each time one of these events is logged\n"
        "                           (e.g. datapath-switched) to --draw-output's name + -NNN\n"
        "  --draw-output FILE       FILE.svg|png|dot for --draw-on-event (default draw.svg)\n"
        "  --fail-fast              stop at the first failed expectation\n"
        "  -q, --quiet              print only failures and the closing line\n"
        "  --json                   one JSON document on stdout instead of text\n"
        "  --json-stream            one JSON object per line on stdout as things happen\n"
        "                           (start, result, ..., end) instead of text\n"
        "  --pf-driver LIB.so       load every PF miniport from this shared library (a driver\n"
        "                           built against the installed headers; docs/byo-miniport.md)\n"
        "  --no-verify              do not run the rule verifier (on by default: a breach of\n"
        "                           a documented NDIS / SR-IOV rule fails the run)\n"
        "  --stats                  after the run, print on stderr the virtual time, wall time,\n"
        "                           scheduler events, events/s and simulated s per wall s\n"
        "                           (with --json also as \"stats\" in the document)\n"
        "  -h, --help               this help\n"
        "\n"
        "Exit codes: 0 all expectations held, 1 one failed, 64 usage, 65 script errors\n"
        "(nothing was run), 66 missing script, 70 internal error, 74 capture/output error.\n");
}

static void
on_result(void *ctx, const struct scn_result *r)
{
    struct run_ctx *c = ctx;
    char t[40];
    sim_time_format(r->time_ns, t, sizeof t);
    /* The condition as written, without its time and the word "expect" (a wait-until keeps
     * its verb): "flow f1.lost <= 64 within=1s". */
    const char *text = r->stmt->text;
    if (strncmp(text, "expect ", 7) == 0)
        text += 7;
    if (!r->passed) {
        fprintf(stderr, "%s:%u: %s failed: %s (expected %s, actual %s) at t=%s\n", c->file,
                (unsigned)r->stmt->line, r->invariant ? "invariant" : "expect", text, r->expected,
                r->actual, t);
        run_trace_failure(c->rt, stderr);
    }
    if (cli_jstream_on(&c->js))
        (void)cli_jstream_emitf(&c->js, "result", r->time_ns, "{s:s, s:i, s:i, s:s, s:b, s:s, s:s}",
                                "file", c->file, "line", (int)r->stmt->line, "col",
                                (int)r->stmt->col, "statement", r->stmt->text, "passed", r->passed,
                                "expected", r->expected, "actual", r->actual);
    if (c->g->json || c->quiet || cli_jstream_on(&c->js))
        return;
    printf("%s %s:%u: %s (actual %s) at t=%s\n", r->passed ? "ok  " : "FAIL", c->file,
           (unsigned)r->stmt->line, text, r->actual, t);
}

static void
on_refusal(void *ctx, const struct scn_refusal *f)
{
    struct run_ctx *c = ctx;
    if (cli_jstream_on(&c->js))
        (void)cli_jstream_emitf(
            &c->js, "refusal", f->time_ns, "{s:s, s:i, s:i, s:s, s:s, s:s, s:b}", "file", c->file,
            "line", (int)f->stmt->line, "col", (int)f->stmt->col, "statement", f->stmt->text,
            "reason", f->reason, "error", sim_err_name(f->error), "expected", f->expected);
}

static void
on_note(void *ctx, const struct scn_stmt *s, sim_time_t t, const char *text)
{
    struct run_ctx *c = ctx;
    if (cli_jstream_on(&c->js))
        (void)cli_jstream_emitf(&c->js, "note", t, "{s:s, s:i, s:s}", "file", c->file, "line",
                                (int)s->line, "text", text);
}

static json_t *
refusals_json(const struct run_ctx *c, const struct scn_run *run)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < scn_run_refusal_count(run); i++) {
        const struct scn_refusal *f = scn_run_refusal(run, i);
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s, s:I, s:s, s:s, s:b}", "file",
                                           c->file, "line", (int)f->stmt->line, "col",
                                           (int)f->stmt->col, "statement", f->stmt->text, "time_ns",
                                           (json_int_t)f->time_ns, "reason", f->reason, "error",
                                           sim_err_name(f->error), "expected", f->expected));
    }
    return a;
}

static int
write_json(const struct run_ctx *c, uint64_t seed, const struct scn_run *run, sim_time_t end,
           const struct run_stats *st)
{
    json_t *results = json_array();
    for (size_t i = 0; i < scn_run_result_count(run); i++) {
        const struct scn_result *r = scn_run_result(run, i);
        json_array_append_new(results,
                              json_pack("{s:s, s:i, s:s, s:I, s:b, s:s, s:s}", "file", c->file,
                                        "line", (int)r->stmt->line, "statement", r->stmt->text,
                                        "time_ns", (json_int_t)r->time_ns, "passed", r->passed,
                                        "expected", r->expected, "actual", r->actual));
    }
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "tool",
        "sriovsim", "version", SIM_VERSION_STRING, "command", "run", "seed", (json_int_t)seed,
        "scenario", c->file, "end_ns", (json_int_t)end, "results", results, "breaches",
        breaches_json(c), "refusals", refusals_json(c, run), "summary", "passed",
        (json_int_t)scn_run_passed(run), "failed", (json_int_t)scn_run_failed(run), "undecided",
        (json_int_t)scn_run_undecided(run), "breaches", (json_int_t)verify_breach_count(c->verify),
        "refused", (json_int_t)scn_run_refused_unexpected(run));
    if (doc == NULL)
        return CLI_EXIT_SOFTWARE;
    if (st != NULL) {
        json_t *js = json_pack("{s:I, s:f, s:f, s:I, s:f, s:f, s:I, s:I}", "virtual_ns",
                               (json_int_t)st->sched.now, "wall_s", st->wall_s, "cpu_s", st->cpu_s,
                               "events_run", (json_int_t)st->sched.events_run, "events_per_wall_s",
                               st->events_per_s, "sim_s_per_wall_s", st->sim_s_per_wall_s,
                               "pending_peak", (json_int_t)st->sched.pending_peak, "pending_at_end",
                               (json_int_t)st->sched.pending);
        if (js == NULL || json_object_set_new(doc, "stats", js) != 0) {
            json_decref(doc);
            return CLI_EXIT_SOFTWARE;
        }
    }
    int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(doc);
    if (rc != 0 || fputc('\n', stdout) == EOF)
        return CLI_EXIT_IOERR;
    return CLI_EXIT_OK;
}

int
cli_cmd_run(int argc, char **argv, const struct cli_global *g)
{
    enum {
        OPT_SEED = 256,
        OPT_UNTIL,
        OPT_CAPTURE,
        OPT_CAPTURE_FORMAT,
        OPT_TRACE,
        OPT_FAIL_FAST,
        OPT_JSON,
        OPT_STATS,
        OPT_JSON_STREAM,
        OPT_NO_VERIFY,
        OPT_DRAW_ON_EVENT,
        OPT_DRAW_OUTPUT,
        OPT_PF_DRIVER,
    };
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"capture", required_argument, NULL, OPT_CAPTURE},
        {"capture-format", required_argument, NULL, OPT_CAPTURE_FORMAT},
        {"trace", optional_argument, NULL, OPT_TRACE},
        {"draw-on-event", required_argument, NULL, OPT_DRAW_ON_EVENT},
        {"draw-output", required_argument, NULL, OPT_DRAW_OUTPUT},
        {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, OPT_JSON},
        {"stats", no_argument, NULL, OPT_STATS},
        {"json-stream", no_argument, NULL, OPT_JSON_STREAM},
        {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
        {"pf-driver", required_argument, NULL, OPT_PF_DRIVER},
        {NULL, 0, NULL, 0},
    };
    struct cli_global gl = *g;
    struct scn_run_opts ropts = {.until = SIM_TIME_NEVER};
    struct run_ctx c = {.g = &gl};
    enum cap_format fmt = CAP_FORMAT_PCAPNG;
    bool stream = false;
    const char *capture = NULL;
    bool verify_on = true;
    unsigned trace_kinds = 0;
    const char *draw_events = NULL, *draw_output = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "hq", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case OPT_SEED:
            if (sim_seed_parse_or_draw(optarg, &gl.seed) != 0)
                return cli_error(g, "run", CLI_EXIT_USAGE,
                                 "--seed '%s': expected a non-negative integer (decimal or "
                                 "0x-hex)",
                                 optarg);
            gl.seed_given = true;
            break;
        case OPT_UNTIL:
            if (sim_time_parse(optarg, &ropts.until) != 0 || ropts.until < 0)
                return cli_error(g, "run", CLI_EXIT_USAGE,
                                 "--until '%s': expected a time such as 2.5s or 300ms", optarg);
            break;
        case OPT_CAPTURE:
            capture = optarg;
            break;
        case OPT_CAPTURE_FORMAT: {
            struct sim_diag d;
            sim_diag_clear(&d);
            if (cap_format_parse(optarg, &fmt, &d) != 0)
                return cli_error(g, "run", CLI_EXIT_USAGE, "--capture-format: %s", d.reason);
            break;
        }
        case OPT_TRACE: {
            char bad[64];
            if (run_trace_parse_kinds(optarg, &trace_kinds, bad, sizeof bad) != 0)
                return cli_error(g, "run", CLI_EXIT_USAGE,
                                 "--trace=%s: '%s' is not a trace kind (oid, pci, mailbox, nvsp, "
                                 "vpci, datapath, flow, event, all)",
                                 optarg, bad);
            c.trace = true;
            break;
        }
        case OPT_DRAW_ON_EVENT: {
            char bad[64];
            if (run_trace_check_events(optarg, bad, sizeof bad) != 0)
                return cli_error(g, "run", CLI_EXIT_USAGE,
                                 "--draw-on-event %s: '%s' is not an event of the log (e.g. "
                                 "datapath-switched, vf-removed, migration-done)",
                                 optarg, bad);
            draw_events = optarg;
            break;
        }
        case OPT_DRAW_OUTPUT: {
            enum draw_format df;
            if (draw_format_from_path(optarg, &df) != 0)
                return cli_error(g, "run", CLI_EXIT_USAGE,
                                 "--draw-output %s: the name must end in .svg, .png or .dot",
                                 optarg);
            draw_output = optarg;
            break;
        }
        case OPT_FAIL_FAST:
            ropts.fail_fast = true;
            break;
        case 'q':
            gl.verbosity = -1;
            break;
        case OPT_JSON:
            gl.json = true;
            break;
        case OPT_STATS:
            c.stats = true;
            break;
        case OPT_JSON_STREAM:
            stream = true;
            break;
        case OPT_NO_VERIFY:
            verify_on = false;
            break;
        case OPT_PF_DRIVER: {
            struct sim_diag pd;
            sim_diag_clear(&pd);
            if (pf_driver_load(optarg, &ropts.pf_driver, &pd) != 0)
                return cli_error(g, "run", CLI_EXIT_NOINPUT, "--pf-driver: %s", pd.reason);
            break;
        }
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_error(g, "run", CLI_EXIT_USAGE, "no script given (usage: sriovsim run SCRIPT)");
    if (argc - optind > 1)
        return cli_error(g, "run", CLI_EXIT_USAGE,
                         "one script per run ('%s' is extra); run them one by one",
                         argv[optind + 1]);
    c.file = argv[optind];
    c.quiet = gl.verbosity < 0;
    if (stream && gl.json)
        return cli_error(g, "run", CLI_EXIT_USAGE,
                         "--json and --json-stream both write stdout: choose one");
    cli_jstream_init(&c.js, stream ? stdout : NULL);

    struct scn_parse_opts popts;
    cli_script_parse_opts(&popts);
    struct scn_program *prog = NULL;
    struct scn_diags *diags = NULL;
    int err = scn_program_parse_file(c.file, &popts, &prog, &diags);
    bool had_diags = diags != NULL && scn_diags_count(diags) != 0;
    if (diags != NULL)
        scn_diag_print(stderr, diags, true);
    scn_diags_destroy(diags);
    if (err != 0) {
        if (err != SIM_EPARSE && !had_diags)
            fprintf(stderr, "%s: %s\n", c.file, sim_strerror(err));
        return cli_script_parse_exit(err);
    }

    /* The seed: --seed, else the script's `seed`, else the drawn one (main drew it). */
    uint64_t seed = gl.seed;
    if (!gl.seed_given)
        (void)scn_program_seed(prog, &seed);
    if (stream)
        (void)cli_jstream_emitf(&c.js, "start", 0, "{s:s, s:s, s:s, s:I}", "tool", "sriovsim",
                                "version", SIM_VERSION_STRING, "scenario", c.file, "seed",
                                (json_int_t)seed);
    else if (!gl.json)
        printf("seed: %" PRIu64 "\n", seed);

    ropts.seed = seed;
    ropts.capture_default = capture;
    ropts.capture_override = capture != NULL;
    ropts.capture_format = (int)fmt;
    ropts.on_result = on_result;
    ropts.on_refusal = on_refusal;
    ropts.on_note = on_note;
    ropts.out = gl.json || c.quiet || stream ? NULL : stdout;
    ropts.log = stderr;
    /* The live trace: text to stdout in human mode (stderr with --json), records into the
     * stream with --json-stream; always kept for the context of a failed expectation. */
    struct run_trace_opts to;
    memset(&to, 0, sizeof to);
    to.kinds = c.trace ? trace_kinds : 0;
    to.out = c.trace && !stream ? (gl.json ? stderr : stdout) : NULL;
    to.js = stream ? &c.js : NULL;
    to.draw_events = draw_events;
    to.draw_output = draw_output;
    to.script = c.file;
    to.notes = gl.json || stream || c.quiet ? NULL : stdout;
    if (run_trace_create(&to, &c.rt) != 0) {
        scn_program_destroy(prog);
        return cli_error(g, "run", CLI_EXIT_SOFTWARE, "out of memory");
    }
    ropts.ctx = &c;
    if (verify_on) {
        if (verify_create(&c.verify) != 0) {
            run_trace_destroy(c.rt, NULL);
            scn_program_destroy(prog);
            return cli_error(g, "run", CLI_EXIT_SOFTWARE, "out of memory creating the verifier");
        }
        ropts.verify = c.verify;
    }

    struct sim_diag d;
    sim_diag_clear(&d);
    struct scn_run *run = NULL;
    int code = CLI_EXIT_OK;
    double wall0 = c.stats ? clock_seconds(CLOCK_MONOTONIC) : 0.0;
    double cpu0 = c.stats ? clock_seconds(CLOCK_PROCESS_CPUTIME_ID) : 0.0;
    err = scn_run_create(prog, &ropts, &run, &d);
    if (err == 0) {
        run_trace_attach(c.rt, scn_run_world(run));
        /* The capture says what made it: scenario, seed, version (the SHB comment). */
        char shb[256];
        snprintf(shb, sizeof shb, "scenario=%s seed=%" PRIu64 " sriovsim=%s", c.file, seed,
                 SIM_VERSION_STRING);
        vstack_world_set_capture_comment(scn_run_world(run), shb);
    }
    if (err == 0)
        err = scn_run_exec(run, &d);
    struct run_stats st;
    memset(&st, 0, sizeof st);
    if (c.stats)
        stats_fill(&st, run, clock_seconds(CLOCK_MONOTONIC) - wall0,
                   clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
    if (err != 0) {
        fprintf(stderr, "%s: run stopped: %s\n", c.file,
                d.reason[0] != '\0' ? d.reason : sim_strerror(err));
        code = err == SIM_EIO ? CLI_EXIT_IOERR : CLI_EXIT_SOFTWARE;
    }
    if (run != NULL) {
        breaches_print(&c);
        if (stream) {
            (void)cli_jstream_emitf(
                &c.js, "end", scn_run_now(run), "{s:s, s:I, s:I, s:I, s:I, s:I}", "scenario",
                c.file, "breaches", (json_int_t)verify_breach_count(c.verify), "passed",
                (json_int_t)scn_run_passed(run), "failed", (json_int_t)scn_run_failed(run),
                "undecided", (json_int_t)scn_run_undecided(run), "refused",
                (json_int_t)scn_run_refused_unexpected(run));
            if (cli_jstream_failed(&c.js)) {
                fprintf(stderr, "%s: writing the JSON stream: %s\n", c.file,
                        c.js.error ? strerror(c.js.error) : "write failed");
                if (code == CLI_EXIT_OK || code == CLI_EXIT_FAILED)
                    code = CLI_EXIT_IOERR;
            }
        } else if (gl.json) {
            int jc = write_json(&c, seed, run, scn_run_now(run), c.stats ? &st : NULL);
            if (code == CLI_EXIT_OK)
                code = jc;
        } else {
            if (scn_run_undecided(run) != 0)
                printf("note: %zu expectation(s) not decided: the run stopped at t=%s\n",
                       scn_run_undecided(run),
                       sim_time_format(scn_run_now(run), (char[40]){0}, 40));
            if (verify_breach_count(c.verify) != 0 || scn_run_refused_unexpected(run) != 0) {
                printf("scenario %s: %zu passed, %zu failed", c.file, scn_run_passed(run),
                       scn_run_failed(run));
                if (verify_breach_count(c.verify) != 0)
                    printf(", %zu rule breach(es)", verify_breach_count(c.verify));
                if (scn_run_refused_unexpected(run) != 0)
                    printf(", %zu action(s) refused", scn_run_refused_unexpected(run));
                printf("\n");
            } else
                printf("scenario %s: %zu passed, %zu failed\n", c.file, scn_run_passed(run),
                       scn_run_failed(run));
        }
        if (c.stats)
            stats_print(stderr, c.file, &st);
        if (code == CLI_EXIT_OK &&
            (scn_run_failed(run) != 0 || scn_run_refused_unexpected(run) != 0))
            code = CLI_EXIT_FAILED;
        if (code == CLI_EXIT_OK && scn_run_undecided(run) != 0 && ropts.fail_fast)
            code = CLI_EXIT_FAILED;
        if (code == CLI_EXIT_OK && verify_breach_count(c.verify) != 0)
            code = CLI_EXIT_FAILED;
    }
    if (code == CLI_EXIT_OK && run_trace_draw_failed(c.rt))
        code = CLI_EXIT_IOERR;
    run_trace_destroy(c.rt, run != NULL ? scn_run_world(run) : NULL);
    scn_run_destroy(run);
    verify_destroy(c.verify);
    scn_program_destroy(prog);
    if (fflush(stdout) != 0 && code == CLI_EXIT_OK)
        code = CLI_EXIT_IOERR;
    return code;
}
