/* SPDX-License-Identifier: MIT */
/*
 * ring_bench.c — `sriovsim bench ring`: how fast the lock-free SPSC ring (sim/ring.h) moves
 * 8-byte descriptors between two pinned threads, what one descriptor costs on one thread, and
 * what a poll of an empty / full ring costs — optionally side by side with DPDK's rte_ring in
 * the same run. Models no Windows component; it measures the fast path that both simulated data
 * paths (VF descriptor rings, VMBus channel rings) are built on.
 *
 * Every two-thread run is also a correctness check: the producer sends 0, 1, 2, ... and the
 * consumer verifies that each arrives exactly once and in order; any failure makes the program
 * exit 1 whatever the figures.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench/bench.h"
#include "bench/ring_bench_int.h"
#include "sim/sim.h"

/* ---------------------------------------------------------------------------------------------
 * sim_ring under test: the shared loops instantiated with the inline sim_ring calls.
 * ------------------------------------------------------------------------------------------- */
#define BENCH_LOOPS_PREFIX       sim_
#define BENCH_LOOPS_RING_T       struct sim_ring
#define BENCH_LOOPS_ENQ(r, o, n) sim_ring_sp_enqueue_burst((r), (o), (n))
#define BENCH_LOOPS_DEQ(r, o, n) sim_ring_sc_dequeue_burst((r), (o), (n))
#define BENCH_LOOPS_COUNT(r)     sim_ring_count(r)
#include "bench/ring_bench_loops.h"

static int
sim_create(unsigned slots, void **ring)
{
    struct sim_ring *r = NULL;
    int rc = sim_ring_create(slots, &r);
    *ring = r;
    return rc;
}

static void
sim_destroy(void *ring)
{
    sim_ring_destroy(ring);
}

static unsigned
sim_count(void *ring)
{
    return sim_ring_count(ring);
}

static unsigned
sim_capacity(void *ring)
{
    return sim_ring_capacity(ring);
}

const struct bench_ring_impl bench__ring_impl_sim = {
    .name = "sim_ring",
    .version = SIM_VERSION_STRING,
    .create = sim_create,
    .destroy = sim_destroy,
    .count = sim_count,
    .capacity = sim_capacity,
    .produce = sim_produce,
    .consume = sim_consume,
    .single = sim_single,
    .poll_empty = sim_poll_empty,
    .poll_full = sim_poll_full,
};

/* ---------------------------------------------------------------------------------------------
 * Options and results.
 * ------------------------------------------------------------------------------------------- */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 64,
    EXIT_SOFTWARE = 70,
};

#define MAX_BURSTS 16
#define MAX_REPEAT 101
#define MAX_IMPLS  2
#define POLL_BURST 32u /* burst size of the empty/full poll baseline */
#define GATE_BURST 32u /* burst size --min-mdps applies to */

enum only_kind {
    ONLY_ALL = 0,
    ONLY_EMPTY,
    ONLY_SINGLE,
    ONLY_TWO,
};

struct opts {
    const char *prog;    /* argv[0]: prefixes messages ("ring: ...") */
    const char *invoked; /* how the user runs it: "sriovsim bench ring" or the program path */
    unsigned bursts[MAX_BURSTS];
    int nbursts;
    int cpu_prod, cpu_cons;
    int repeat;
    uint64_t count; /* descriptors per two-thread run; also sizes the single-thread loops */
    unsigned size;  /* ring slots */
    bool json;
    bool no_dpdk;
    enum only_kind only;
    double min_mdps; /* < 0: no threshold */
};

/* Figures of one implementation; every array is indexed [burst index][repeat]. */
struct impl_res {
    const struct bench_ring_impl *impl;
    double empty_ns[MAX_REPEAT];              /* ns per dequeue attempt on an empty ring */
    double full_ns[MAX_REPEAT];               /* ns per enqueue attempt on a full ring */
    double single_ns[MAX_BURSTS][MAX_REPEAT]; /* ns per descriptor (enqueue + dequeue) */
    double two_mdps[MAX_BURSTS][MAX_REPEAT];  /* million descriptors per second */
    uint64_t idle_prod[MAX_BURSTS];           /* idle polls, summed over repeats */
    uint64_t idle_cons[MAX_BURSTS];
    unsigned capacity;
};

struct stats {
    double median, min, max;
};

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct stats
stats_of(const double *v, int n)
{
    double s[MAX_REPEAT];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    struct stats st = {
        .median = (n % 2) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0,
        .min = s[0],
        .max = s[n - 1],
    };
    return st;
}

/* Per-repeat ratios a[r] / b[r]: each pair ran back to back, so machine drift between repeats
 * (frequency, other load, where the hypervisor put the vCPUs) mostly cancels out. */
static struct stats
paired_ratio_stats(const double *a, const double *b, int n)
{
    double q[MAX_REPEAT];
    for (int r = 0; r < n; r++)
        q[r] = b[r] > 0 ? a[r] / b[r] : 0.0;
    return stats_of(q, n);
}

/* ---------------------------------------------------------------------------------------------
 * Option parsing.
 * ------------------------------------------------------------------------------------------- */
static void
usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [options]\n"
            "Measure the lock-free SPSC descriptor ring (sim_ring): two pinned threads moving\n"
            "8-byte descriptors, the single-thread cost per descriptor, and the cost of polling\n"
            "an empty / full ring. Every two-thread run checks that descriptors 0,1,2,... arrive\n"
            "exactly once and in order.\n\n"
            "  -b, --bursts LIST    burst sizes (default 1,8,32,256; max %u)\n"
            "  -c, --cpus P,C       producer and consumer CPU (default 0,1)\n"
            "  -r, --repeat N       runs per figure; median/min/max reported (default 5)\n"
            "  -n, --count N        descriptors per two-thread run (default 20000000)\n"
            "  -s, --size N         ring slots, a power of two (default 4096)\n"
            "      --only KIND      run only 'empty', 'single' or 'two' (default: all)\n"
            "      --no-dpdk        do not run DPDK rte_ring alongside (when built with it)\n"
            "      --min-mdps X     exit 1 if the two-thread median at burst %u is below X\n"
            "                       million descriptors/s\n"
            "      --json           one JSON document on stdout instead of tables\n"
            "  -h, --help           this text\n"
            "Exit: 0 ok, 1 a correctness check or the threshold failed, 64 usage, 70 internal.\n",
            prog, BENCH_RING_BURST_MAX, GATE_BURST);
}

static int usage_error(const struct opts *o, const char *fmt, ...) SIM_PRINTF(2, 3);

static int
usage_error(const struct opts *o, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", o->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try '%s --help')\n", o->invoked);
    return EXIT_USAGE;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool
cpu_is_usable(int cpu)
{
    cpu_set_t set;
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return false;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return true; /* cannot tell: let pinning report it */
    return CPU_ISSET(cpu, &set);
}

static int
parse_bursts(struct opts *o, const char *arg)
{
    char copy[256];
    if (strlen(arg) >= sizeof(copy))
        return usage_error(o, "--bursts '%s': list too long", arg);
    strcpy(copy, arg);
    o->nbursts = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (o->nbursts == MAX_BURSTS)
            return usage_error(o, "--bursts '%s': at most %d sizes", arg, MAX_BURSTS);
        if (!parse_u64(tok, &v) || v < 1 || v > BENCH_RING_BURST_MAX)
            return usage_error(o, "--bursts '%s': each size must be 1..4096", arg);
        o->bursts[o->nbursts++] = (unsigned)v;
    }
    if (o->nbursts == 0)
        return usage_error(o, "--bursts '%s': empty list", arg);
    return 0;
}

static int
parse_cpus(struct opts *o, const char *arg)
{
    uint64_t a, b;
    char copy[64];
    if (strlen(arg) >= sizeof(copy))
        return usage_error(o, "--cpus '%s': expected P,C", arg);
    strcpy(copy, arg);
    char *comma = strchr(copy, ',');
    if (comma == NULL)
        return usage_error(o, "--cpus '%s': expected P,C (two CPU numbers)", arg);
    *comma = '\0';
    if (!parse_u64(copy, &a) || !parse_u64(comma + 1, &b) || a > INT_MAX || b > INT_MAX)
        return usage_error(o, "--cpus '%s': expected P,C (two CPU numbers)", arg);
    if (!cpu_is_usable((int)a) || !cpu_is_usable((int)b))
        return usage_error(o, "--cpus '%s': CPU not available to this process", arg);
    o->cpu_prod = (int)a;
    o->cpu_cons = (int)b;
    return 0;
}

enum {
    OPT_JSON = 1000,
    OPT_ONLY,
    OPT_NO_DPDK,
    OPT_MIN_MDPS,
};

static int
parse_opts(struct opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bursts", required_argument, NULL, 'b'},
        {"cpus", required_argument, NULL, 'c'},
        {"repeat", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},
        {"only", required_argument, NULL, OPT_ONLY},
        {"no-dpdk", no_argument, NULL, OPT_NO_DPDK},
        {"min-mdps", required_argument, NULL, OPT_MIN_MDPS},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const unsigned default_bursts[] = {1, 8, 32, 256};
    memset(o, 0, sizeof(*o));
    o->prog = argc > 0 && argv[0] ? argv[0] : "ring";
    o->invoked = strcmp(o->prog, "ring") == 0 ? "sriovsim bench ring" : o->prog;
    memcpy(o->bursts, default_bursts, sizeof(default_bursts));
    o->nbursts = (int)SIM_ARRAY_SIZE(default_bursts);
    o->cpu_prod = 0;
    o->cpu_cons = 1;
    o->repeat = 5;
    o->count = 20000000;
    o->size = 4096;
    o->min_mdps = -1.0;

    optind = 0; /* glibc: full reset, the CLI may have parsed its own options already */
    int c, rc;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "b:c:r:n:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if ((rc = parse_bursts(o, optarg)) != 0)
                return rc;
            break;
        case 'c':
            if ((rc = parse_cpus(o, optarg)) != 0)
                return rc;
            break;
        case 'r':
            if (!parse_u64(optarg, &v) || v < 1 || v > MAX_REPEAT)
                return usage_error(o, "--repeat '%s': expected 1..101", optarg);
            o->repeat = (int)v;
            break;
        case 'n':
            if (!parse_u64(optarg, &v) || v < 1 || v > (UINT64_C(1) << 40))
                return usage_error(o, "--count '%s': expected 1..2^40", optarg);
            o->count = v;
            break;
        case 's':
            if (!parse_u64(optarg, &v) || v < 2 || v > (UINT64_C(1) << 24) || (v & (v - 1)))
                return usage_error(o, "--size '%s': expected a power of two in 2..2^24", optarg);
            o->size = (unsigned)v;
            break;
        case OPT_ONLY:
            if (strcmp(optarg, "empty") == 0)
                o->only = ONLY_EMPTY;
            else if (strcmp(optarg, "single") == 0)
                o->only = ONLY_SINGLE;
            else if (strcmp(optarg, "two") == 0)
                o->only = ONLY_TWO;
            else
                return usage_error(o, "--only '%s': expected empty, single or two", optarg);
            break;
        case OPT_NO_DPDK:
            o->no_dpdk = true;
            break;
        case OPT_MIN_MDPS: {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || end == optarg || !(d >= 0.0))
                return usage_error(o, "--min-mdps '%s': expected a number >= 0", optarg);
            o->min_mdps = d;
            break;
        }
        case OPT_JSON:
            o->json = true;
            break;
        case 'h':
            usage(stdout, o->invoked);
            return -1;
        default: /* getopt_long already printed the reason */
            fprintf(stderr, "(try '%s --help')\n", o->invoked);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error(o, "unexpected argument '%s'", argv[optind]);
    for (int i = 0; i < o->nbursts; i++)
        if (o->bursts[i] > o->size)
            return usage_error(o, "burst %u is larger than the ring (--size %u)", o->bursts[i],
                               o->size);
    if (o->min_mdps >= 0.0) {
        bool has_gate = false;
        for (int i = 0; i < o->nbursts; i++)
            has_gate |= o->bursts[i] == GATE_BURST;
        if (!has_gate || (o->only != ONLY_ALL && o->only != ONLY_TWO))
            return usage_error(o,
                               "--min-mdps needs burst %u among --bursts and the "
                               "two-thread runs",
                               GATE_BURST);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Runs.
 * ------------------------------------------------------------------------------------------- */
static void
produce_entry(void *arg)
{
    struct bench_ring_side *s = arg;
    s->impl->produce(s);
}

static void
consume_entry(void *arg)
{
    struct bench_ring_side *s = arg;
    s->impl->consume(s);
}

/* One two-thread run of `impl` at `burst`. Returns 0 with *mdps set, EXIT_FAILED when the
 * descriptors did not all arrive exactly once in order, EXIT_SOFTWARE on setup failure. */
static int
run_two(const struct opts *o, const struct bench_ring_impl *impl, unsigned burst, double *mdps,
        uint64_t *idle_prod, uint64_t *idle_cons)
{
    static struct bench_ring_shared sh;
    static struct bench_ring_side prod, cons;
    void *ring = NULL;
    int rc = impl->create(o->size, &ring);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: cannot create a ring of %u slots: %s\n", o->prog, impl->name,
                o->size, sim_strerror(rc));
        return EXIT_SOFTWARE;
    }
    memset(&prod, 0, sizeof(prod));
    memset(&cons, 0, sizeof(cons));
    atomic_init(&sh.ready, 0);
    atomic_init(&sh.go, 0);
    atomic_init(&sh.stop, 0);
    prod = (struct bench_ring_side){.ring = ring,
                                    .impl = impl,
                                    .shared = &sh,
                                    .total = o->count,
                                    .burst = burst,
                                    .cpu = o->cpu_prod};
    cons = prod;
    cons.cpu = o->cpu_cons;

    uv_thread_t tp, tc;
    if (uv_thread_create(&tc, consume_entry, &cons) != 0) {
        impl->destroy(ring);
        fprintf(stderr, "%s: cannot create the consumer thread\n", o->prog);
        return EXIT_SOFTWARE;
    }
    if (uv_thread_create(&tp, produce_entry, &prod) != 0) {
        /* Release the consumer: tell it to stop, then start it so it sees the flag. */
        atomic_store_explicit(&sh.stop, 1, memory_order_relaxed); /* relaxed: plain flag */
        /* Release; partner: the acquire load of `go` in the thread's start(). */
        atomic_store_explicit(&sh.go, 1, memory_order_release);
        uv_thread_join(&tc);
        impl->destroy(ring);
        fprintf(stderr, "%s: cannot create the producer thread\n", o->prog);
        return EXIT_SOFTWARE;
    }
    /* Relaxed: only a count to wait for; the threads publish nothing through it. */
    while (atomic_load_explicit(&sh.ready, memory_order_relaxed) < 2)
        bench_ring_relax();
    uint64_t t0 = bench_ring_now_ns();
    /* Release; partner: the acquire load of `go` in each thread's start(). */
    atomic_store_explicit(&sh.go, 1, memory_order_release);
    uv_thread_join(&tp);
    uv_thread_join(&tc);

    int result = 0;
    unsigned left = impl->count(ring);
    if (prod.pin_err != 0 || cons.pin_err != 0) {
        fprintf(stderr, "%s: %s: cannot pin threads to CPUs %d,%d: %s\n", o->prog, impl->name,
                o->cpu_prod, o->cpu_cons, strerror(prod.pin_err ? prod.pin_err : cons.pin_err));
        result = EXIT_SOFTWARE;
    } else if (cons.bad) {
        fprintf(stderr,
                "%s: %s burst %u: FAIL: descriptor %" PRIu64 " arrived as %" PRIu64
                " (lost, duplicated or reordered)\n",
                o->prog, impl->name, burst, cons.bad_index, cons.bad_value);
        result = EXIT_FAILED;
    } else if (prod.stalled || cons.stalled || prod.moved != o->count || cons.moved != o->count ||
               left != 0) {
        fprintf(stderr,
                "%s: %s burst %u: FAIL: enqueued %" PRIu64 ", dequeued %" PRIu64 " of %" PRIu64
                ", %u left in the ring%s\n",
                o->prog, impl->name, burst, prod.moved, cons.moved, o->count, left,
                (prod.stalled || cons.stalled) ? " (stalled: no progress for 10 s)" : "");
        result = EXIT_FAILED;
    } else {
        uint64_t dt = cons.t_end_ns - t0;
        *mdps = dt ? (double)o->count * 1e3 / (double)dt : 0.0;
        *idle_prod += prod.idle_polls;
        *idle_cons += cons.idle_polls;
    }
    impl->destroy(ring);
    return result;
}

/* Single-thread runs of one implementation: per-descriptor cost and empty/full poll cost. */
static int
run_single(const struct opts *o, const struct bench_ring_impl *impl, unsigned burst,
           double *ns_per_desc)
{
    void *ring = NULL;
    int rc = impl->create(o->size, &ring);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: cannot create a ring: %s\n", o->prog, impl->name,
                sim_strerror(rc));
        return EXIT_SOFTWARE;
    }
    uint64_t iters = o->count / burst ? o->count / burst : 1;
    uint64_t ns = 0;
    int err = impl->single(ring, burst, iters, &ns);
    impl->destroy(ring);
    if (err != 0) {
        fprintf(stderr,
                "%s: %s single-thread burst %u: FAIL: short enqueue/dequeue or data "
                "came back wrong\n",
                o->prog, impl->name, burst);
        return EXIT_FAILED;
    }
    *ns_per_desc = (double)ns / ((double)iters * burst);
    return 0;
}

static int
run_polls(const struct opts *o, const struct bench_ring_impl *impl, double *empty_ns,
          double *full_ns)
{
    void *ring = NULL;
    int rc = impl->create(o->size, &ring);
    if (rc != 0) {
        fprintf(stderr, "%s: %s: cannot create a ring: %s\n", o->prog, impl->name,
                sim_strerror(rc));
        return EXIT_SOFTWARE;
    }
    unsigned burst = POLL_BURST < o->size ? POLL_BURST : o->size;
    uint64_t iters = o->count / 2 ? o->count / 2 : 1;
    uint64_t ns_e = 0, ns_f = 0;
    uint64_t wrong = impl->poll_empty(ring, burst, iters, &ns_e);
    wrong += impl->poll_full(ring, burst, iters, &ns_f);
    unsigned left = impl->count(ring);
    impl->destroy(ring);
    if (wrong != 0 || left != 0) {
        fprintf(stderr,
                "%s: %s poll: FAIL: %" PRIu64 " descriptors moved through an empty/full "
                "ring, %u left\n",
                o->prog, impl->name, wrong, left);
        return EXIT_FAILED;
    }
    *empty_ns = (double)ns_e / (double)iters;
    *full_ns = (double)ns_f / (double)iters;
    return 0;
}

static int
worst(int a, int b)
{
    /* EXIT_SOFTWARE > EXIT_FAILED > EXIT_OK */
    return a > b ? a : b;
}

/* ---------------------------------------------------------------------------------------------
 * Reports.
 * ------------------------------------------------------------------------------------------- */
static json_t *
stats_json(struct stats st)
{
    json_t *j = json_object();
    json_object_set_new(j, "median", json_real(st.median));
    json_object_set_new(j, "min", json_real(st.min));
    json_object_set_new(j, "max", json_real(st.max));
    return j;
}

static json_t *
samples_json(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static void
report_json(const struct opts *o, const struct impl_res *res, int nimpl, bool correct, int status,
            bool gate_failed, double gate_value)
{
    json_t *root = json_object();
    json_object_set_new(root, "benchmark", json_string("ring"));
    json_object_set_new(root, "version", json_string(SIM_VERSION_STRING));

    json_t *cfg = json_object();
    json_object_set_new(cfg, "descriptor_bytes", json_integer(8));
    json_object_set_new(cfg, "ring_slots", json_integer(o->size));
    json_object_set_new(cfg, "count", json_integer((json_int_t)o->count));
    json_object_set_new(cfg, "repeat", json_integer(o->repeat));
    json_t *cpus = json_array();
    json_array_append_new(cpus, json_integer(o->cpu_prod));
    json_array_append_new(cpus, json_integer(o->cpu_cons));
    json_object_set_new(cfg, "cpus", cpus);
    json_t *bursts = json_array();
    for (int b = 0; b < o->nbursts; b++)
        json_array_append_new(bursts, json_integer(o->bursts[b]));
    json_object_set_new(cfg, "bursts", bursts);
    json_t *impls = json_array();
    for (int i = 0; i < nimpl; i++) {
        json_t *ji = json_object();
        json_object_set_new(ji, "name", json_string(res[i].impl->name));
        json_object_set_new(ji, "version", json_string(res[i].impl->version));
        json_object_set_new(ji, "capacity", json_integer(res[i].capacity));
        json_array_append_new(impls, ji);
    }
    json_object_set_new(cfg, "implementations", impls);
    json_object_set_new(root, "config", cfg);

    if (o->only == ONLY_ALL || o->only == ONLY_EMPTY) {
        json_t *polls = json_object();
        json_object_set_new(polls, "burst", json_integer(POLL_BURST));
        for (int i = 0; i < nimpl; i++) {
            json_t *ji = json_object();
            json_object_set_new(ji, "dequeue_empty_ns",
                                stats_json(stats_of(res[i].empty_ns, o->repeat)));
            json_object_set_new(ji, "enqueue_full_ns",
                                stats_json(stats_of(res[i].full_ns, o->repeat)));
            json_object_set_new(polls, res[i].impl->name, ji);
        }
        json_object_set_new(root, "empty_poll", polls);
    }
    if (o->only == ONLY_ALL || o->only == ONLY_SINGLE) {
        json_t *arr = json_array();
        for (int b = 0; b < o->nbursts; b++) {
            json_t *jb = json_object();
            json_object_set_new(jb, "burst", json_integer(o->bursts[b]));
            for (int i = 0; i < nimpl; i++)
                json_object_set_new(
                    jb, res[i].impl->name,
                    json_pack("{s:o}", "ns_per_desc",
                              stats_json(stats_of(res[i].single_ns[b], o->repeat))));
            if (nimpl == 2) {
                double a = stats_of(res[0].single_ns[b], o->repeat).median;
                double d = stats_of(res[1].single_ns[b], o->repeat).median;
                json_object_set_new(jb, "speedup_vs_dpdk", json_real(a > 0 ? d / a : 0.0));
            }
            json_array_append_new(arr, jb);
        }
        json_object_set_new(root, "single_thread", arr);
    }
    if (o->only == ONLY_ALL || o->only == ONLY_TWO) {
        json_t *arr = json_array();
        for (int b = 0; b < o->nbursts; b++) {
            json_t *jb = json_object();
            json_object_set_new(jb, "burst", json_integer(o->bursts[b]));
            for (int i = 0; i < nimpl; i++) {
                struct stats st = stats_of(res[i].two_mdps[b], o->repeat);
                json_t *ji = json_object();
                json_object_set_new(ji, "mdps", stats_json(st));
                json_object_set_new(ji, "ns_per_desc",
                                    json_real(st.median > 0 ? 1e3 / st.median : 0.0));
                json_object_set_new(ji, "samples_mdps",
                                    samples_json(res[i].two_mdps[b], o->repeat));
                json_object_set_new(ji, "idle_polls_producer",
                                    json_integer((json_int_t)res[i].idle_prod[b]));
                json_object_set_new(ji, "idle_polls_consumer",
                                    json_integer((json_int_t)res[i].idle_cons[b]));
                json_object_set_new(jb, res[i].impl->name, ji);
            }
            if (nimpl == 2) {
                double a = stats_of(res[0].two_mdps[b], o->repeat).median;
                double d = stats_of(res[1].two_mdps[b], o->repeat).median;
                json_object_set_new(jb, "ratio_vs_dpdk", json_real(d > 0 ? a / d : 0.0));
                json_object_set_new(jb, "paired_ratio_vs_dpdk",
                                    stats_json(paired_ratio_stats(res[0].two_mdps[b],
                                                                  res[1].two_mdps[b], o->repeat)));
            }
            json_array_append_new(arr, jb);
        }
        json_object_set_new(root, "two_thread", arr);
    }
    json_t *res_obj = json_object();
    json_object_set_new(res_obj, "correct", json_boolean(correct));
    if (o->min_mdps >= 0.0) {
        json_object_set_new(res_obj, "min_mdps", json_real(o->min_mdps));
        json_object_set_new(res_obj, "gate_burst", json_integer(GATE_BURST));
        json_object_set_new(res_obj, "gate_mdps", json_real(gate_value));
        json_object_set_new(res_obj, "threshold_ok", json_boolean(!gate_failed));
    }
    json_object_set_new(res_obj, "exit", json_integer(status));
    json_object_set_new(root, "result", res_obj);

    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    fputc('\n', stdout);
    json_decref(root);
}

static void
report_text(const struct opts *o, const struct impl_res *res, int nimpl)
{
    printf("ring benchmark: %u-slot rings, 8-byte descriptors, %" PRIu64
           " descriptors per run, %d repeats (median [min..max])\n",
           o->size, o->count, o->repeat);
    printf("implementations:");
    for (int i = 0; i < nimpl; i++)
        printf(" %s %s (capacity %u)%s", res[i].impl->name, res[i].impl->version, res[i].capacity,
               i + 1 < nimpl ? "," : "");
    printf("\n");

    if (o->only == ONLY_ALL || o->only == ONLY_EMPTY) {
        printf("\nempty-poll baseline, one thread, burst %u (ns per call):\n", POLL_BURST);
        printf("  %-10s %22s %22s\n", "ring", "dequeue on empty", "enqueue on full");
        for (int i = 0; i < nimpl; i++) {
            struct stats e = stats_of(res[i].empty_ns, o->repeat);
            struct stats f = stats_of(res[i].full_ns, o->repeat);
            printf("  %-10s %8.2f [%5.2f..%5.2f] %8.2f [%5.2f..%5.2f]\n", res[i].impl->name,
                   e.median, e.min, e.max, f.median, f.min, f.max);
        }
    }
    if (o->only == ONLY_ALL || o->only == ONLY_SINGLE) {
        printf("\none thread, enqueue burst + dequeue burst (ns per descriptor):\n");
        printf("  %6s", "burst");
        for (int i = 0; i < nimpl; i++)
            printf(" %24s", res[i].impl->name);
        if (nimpl == 2)
            printf(" %9s", "speedup");
        printf("\n");
        for (int b = 0; b < o->nbursts; b++) {
            printf("  %6u", o->bursts[b]);
            double med[MAX_IMPLS] = {0};
            for (int i = 0; i < nimpl; i++) {
                struct stats st = stats_of(res[i].single_ns[b], o->repeat);
                med[i] = st.median;
                printf("   %6.3f [%6.3f..%6.3f]", st.median, st.min, st.max);
            }
            if (nimpl == 2)
                printf(" %8.2fx", med[0] > 0 ? med[1] / med[0] : 0.0);
            printf("\n");
        }
    }
    if (o->only == ONLY_ALL || o->only == ONLY_TWO) {
        printf("\ntwo threads, producer on CPU %d, consumer on CPU %d (M descriptors/s; ns per "
               "descriptor at the median):\n",
               o->cpu_prod, o->cpu_cons);
        printf("  %6s", "burst");
        for (int i = 0; i < nimpl; i++)
            printf(" %32s", res[i].impl->name);
        if (nimpl == 2)
            printf(" %7s %22s", "ratio", "paired ratio");
        printf("\n");
        for (int b = 0; b < o->nbursts; b++) {
            printf("  %6u", o->bursts[b]);
            double med[MAX_IMPLS] = {0};
            for (int i = 0; i < nimpl; i++) {
                struct stats st = stats_of(res[i].two_mdps[b], o->repeat);
                med[i] = st.median;
                printf("  %7.1f [%6.1f..%6.1f] %5.2f ns", st.median, st.min, st.max,
                       st.median > 0 ? 1e3 / st.median : 0.0);
            }
            if (nimpl == 2) {
                struct stats pr =
                    paired_ratio_stats(res[0].two_mdps[b], res[1].two_mdps[b], o->repeat);
                printf(" %6.2fx  %5.2fx [%5.2f..%5.2f]", med[1] > 0 ? med[0] / med[1] : 0.0,
                       pr.median, pr.min, pr.max);
            }
            printf("\n");
        }
        if (nimpl == 2)
            printf("ratio = sim_ring / rte_ring throughput (medians of this run); paired ratio = "
                   "the same per repeat,\n"
                   "where the two ran back to back.\n");
    }
}

/* ---------------------------------------------------------------------------------------------
 * Entry point.
 * ------------------------------------------------------------------------------------------- */
int
bench_ring_main(int argc, char **argv)
{
    static struct opts o;
    static struct impl_res res[MAX_IMPLS];
    int rc = parse_opts(&o, argc, argv);
    if (rc == -1)
        return EXIT_OK; /* --help */
    if (rc != 0)
        return rc;

    memset(res, 0, sizeof(res));
    int nimpl = 0;
    res[nimpl++].impl = &bench__ring_impl_sim;
#ifdef SRIOVSIM_HAVE_DPDK
    if (!o.no_dpdk)
        res[nimpl++].impl = &bench__ring_impl_dpdk;
#endif
    for (int i = 0; i < nimpl; i++) {
        void *ring = NULL;
        if (res[i].impl->create(o.size, &ring) != 0) {
            fprintf(stderr, "%s: %s: cannot create a ring of %u slots\n", o.prog, res[i].impl->name,
                    o.size);
            return EXIT_SOFTWARE;
        }
        res[i].capacity = res[i].impl->capacity(ring);
        res[i].impl->destroy(ring);
    }
    if (o.cpu_prod == o.cpu_cons && !o.json)
        fprintf(stderr,
                "%s: warning: producer and consumer share CPU %d; two-thread figures "
                "will measure the scheduler, not the ring\n",
                o.prog, o.cpu_prod);

    int status = EXIT_OK;
    /* Within each repeat the implementations alternate which goes first, so slow drift of the
     * machine (other load, frequency) does not favour one of them. */
    for (int r = 0; r < o.repeat && status != EXIT_SOFTWARE; r++) {
        for (int k = 0; k < nimpl; k++) {
            int i = (k + r) % nimpl;
            if (o.only == ONLY_ALL || o.only == ONLY_EMPTY)
                status = worst(status,
                               run_polls(&o, res[i].impl, &res[i].empty_ns[r], &res[i].full_ns[r]));
        }
        if (o.only == ONLY_ALL || o.only == ONLY_SINGLE)
            for (int b = 0; b < o.nbursts; b++)
                for (int k = 0; k < nimpl; k++) {
                    int i = (k + r) % nimpl;
                    status = worst(
                        status, run_single(&o, res[i].impl, o.bursts[b], &res[i].single_ns[b][r]));
                }
    }
    if (o.only == ONLY_ALL || o.only == ONLY_TWO)
        for (int b = 0; b < o.nbursts && status != EXIT_SOFTWARE; b++)
            for (int r = 0; r < o.repeat && status != EXIT_SOFTWARE; r++)
                for (int k = 0; k < nimpl; k++) {
                    int i = (k + r) % nimpl;
                    status =
                        worst(status, run_two(&o, res[i].impl, o.bursts[b], &res[i].two_mdps[b][r],
                                              &res[i].idle_prod[b], &res[i].idle_cons[b]));
                }
    if (status == EXIT_SOFTWARE)
        return status;

    bool gate_failed = false;
    double gate_value = 0.0;
    if (o.min_mdps >= 0.0) {
        for (int b = 0; b < o.nbursts; b++)
            if (o.bursts[b] == GATE_BURST)
                gate_value = stats_of(res[0].two_mdps[b], o.repeat).median;
        gate_failed = gate_value < o.min_mdps;
    }
    int final = worst(status, gate_failed ? EXIT_FAILED : EXIT_OK);
    if (o.json)
        report_json(&o, res, nimpl, status == EXIT_OK, final, gate_failed, gate_value);
    else
        report_text(&o, res, nimpl);
    if (status == EXIT_FAILED)
        fprintf(stderr, "%s: FAIL: a correctness check failed (see above)\n", o.prog);
    if (gate_failed)
        fprintf(stderr, "%s: FAIL: burst %u median %.1f M descriptors/s is below --min-mdps %.1f\n",
                o.prog, GATE_BURST, gate_value, o.min_mdps);
    return final;
}
