/* SPDX-License-Identifier: MIT */
/*
 * datapath.c — `sriovsim bench datapath`: the VF path against the synthetic path, guest -> wire,
 * on real threads, with the same driver code scenario mode runs (dp_world.c builds the world,
 * datapath_run.c runs it). Models no Windows component itself; it measures the modelled
 * Hyper-V data paths on this machine.
 *
 * For each path and frame size (and thread layout), `--repeat` runs of `--count` frames:
 * packets/s and bits/s on the wire; CPU per packet by role (guest, host, device: time inside
 * each role's polls that found work), per-thread CPU clocks; software copies per packet from
 * the components' own counters; one-way latency percentiles of sampled frames; drops by cause;
 * allocations and voluntary context switches during the measured interval. Median [min..max]
 * over the repeats; VF:synthetic ratios from the same run; a human table, --json, a CSV and a
 * gnuplot script (rendered to SVG and PNG when gnuplot is installed).
 *
 * Every run is a correctness check: every frame reaches the wire exactly once and in order on
 * the path asked for, nothing is dropped, every send completes successfully. A failure makes
 * the program exit 1 whatever the figures.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/dp_int.h"

#define DP_MAX_SIZES   16
#define DP_MAX_REPEAT  99
#define DP_MAX_THREADS 3

struct dp_opts {
    uint32_t sizes[DP_MAX_SIZES];
    unsigned nsizes;
    unsigned threads[DP_MAX_THREADS];
    unsigned nthreads;
    bool path_on[2];
    uint64_t count;
    unsigned repeat, burst;
    int cpus[3];
    double timeout_s;
    bool json;
    const char *csv, *plot;
};

/* Median / min / max of one figure over the repeats. */
struct dp_stat {
    double med, min, max;
};

struct dp_cell {
    bool measured, ok;
    char error[160];
    unsigned nruns;
    struct dp_run_result run[DP_MAX_REPEAT];
    struct dp_stat mpps, gbps, ns_role[DP_ROLES], cpu_thread[3], lat50, lat99, lat999;
    double copies; /* software copies per packet */
    uint64_t drops[SIM_DROP_CAUSE_COUNT], drops_total, sim_allocs, vol_ctxsw, idle_yields;
    bool unsupported; /* the model cannot carry this size on this path (reason printed) */
};

static const char *const dp_path_names[2] = {"synthetic", "vf"};
static const char *const dp_role_names[DP_ROLES] = {"guest", "host", "device"};

static int
dp_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct dp_stat
dp_stat_of(double *v, unsigned n)
{
    struct dp_stat s = {0, 0, 0};
    if (n == 0)
        return s;
    qsort(v, n, sizeof *v, dp_cmp_d);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

static void
dp_cell_summarise(struct dp_cell *c)
{
    double v[DP_MAX_REPEAT];
    unsigned n = c->nruns;
#define DP_STAT(field, expr)                                                                       \
    do {                                                                                           \
        for (unsigned i = 0; i < n; i++) {                                                         \
            const struct dp_run_result *r = &c->run[i];                                            \
            v[i] = (expr);                                                                         \
        }                                                                                          \
        c->field = dp_stat_of(v, n);                                                               \
    } while (0)
    DP_STAT(mpps, r->wall_s > 0 ? (double)r->frames / r->wall_s / 1e6 : 0);
    DP_STAT(gbps, r->wall_s > 0 ? (double)r->bytes * 8 / r->wall_s / 1e9 : 0);
    for (unsigned k = 0; k < DP_ROLES; k++)
        DP_STAT(ns_role[k], r->frames ? (double)r->role[k].busy_ns / (double)r->frames : 0);
    for (unsigned k = 0; k < 3; k++)
        DP_STAT(cpu_thread[k], r->frames ? (double)r->thread_cpu_ns[k] / (double)r->frames : 0);
    DP_STAT(lat50, (double)r->lat_p50 / 1e3);
    DP_STAT(lat99, (double)r->lat_p99 / 1e3);
    DP_STAT(lat999, (double)r->lat_p999 / 1e3);
#undef DP_STAT
    uint64_t copies = 0, frames = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct dp_run_result *r = &c->run[i];
        copies += r->guest_copies + r->guest_stage_copies + r->host_copies +
                  r->host_uplink_copies + r->host_pf_copies;
        frames += r->frames;
        for (unsigned k = 0; k < SIM_DROP_CAUSE_COUNT; k++)
            c->drops[k] += r->drops[k];
        c->drops_total += r->drops_total;
        c->sim_allocs += r->sim_allocs;
        c->vol_ctxsw += r->vol_ctxsw;
        c->idle_yields += r->idle_yields;
    }
    c->copies = frames ? (double)copies / (double)frames : 0;
}

/* ---- options ------------------------------------------------------------------------------ */
static void
dp_usage(FILE *out)
{
    fprintf(out,
            "usage: sriovsim bench datapath [options]\n\n"
            "The VF path against the synthetic path, guest -> wire, on pinned threads: guest\n"
            "(app + NetVSC + VF miniport), host (NetVSP + PF miniport), device (the NIC).\n\n"
            "  -s, --sizes LIST     frame sizes in bytes (default 64,512,1500,9000; 60..9216)\n"
            "  -n, --count N        frames per run (default 200000)\n"
            "  -r, --repeat N       runs per figure: median [min..max] (default 3)\n"
            "  -t, --threads LIST   thread layouts: 1 = all roles on one thread, 2 = guest |\n"
            "                       host+device, 3 = one each (default 1,2)\n"
            "  -b, --burst N        frames the application hands down per call (default 32)\n"
            "  -p, --paths LIST     vf,synthetic (default both)\n"
            "  -c, --cpus A,B,C     CPU of thread 1, 2, 3 (default 0,1,0; -1: not pinned)\n"
            "      --timeout S      a run with no progress for S seconds fails (default 20)\n"
            "      --csv FILE       write the figures as CSV\n"
            "      --plot DIR       write DIR/datapath.csv, DIR/datapath.gp and, with gnuplot\n"
            "                       installed, DIR/datapath.svg and DIR/datapath.png\n"
            "      --json           one JSON document instead of tables\n"
            "  -h, --help           this text\n\n"
            "Exit: 0 every run correct; 1 a run lost, reordered or misrouted a frame, or was\n"
            "interrupted; 64 usage; 70 the world could not be built.\n");
}

static int
dp_parse_list(const char *s, uint32_t *out, unsigned max, unsigned *n, uint32_t lo, uint32_t hi)
{
    *n = 0;
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long v = strtoul(tok, &end, 10);
        if (*end || v < lo || v > hi || *n >= max)
            return -1;
        out[(*n)++] = (uint32_t)v;
    }
    return *n ? 0 : -1;
}

static int
dp_parse(int argc, char **argv, struct dp_opts *o)
{
    memset(o, 0, sizeof *o);
    static const uint32_t def_sizes[] = {64, 512, 1500, 9000};
    memcpy(o->sizes, def_sizes, sizeof def_sizes);
    o->nsizes = 4;
    o->threads[0] = 1;
    o->threads[1] = 2;
    o->nthreads = 2;
    o->path_on[0] = o->path_on[1] = true;
    o->count = 200000;
    o->repeat = 3;
    o->burst = 32;
    o->cpus[0] = 0;
    o->cpus[1] = 1;
    o->cpus[2] = 0;
    o->timeout_s = 20;
    enum { O_TIMEOUT = 256, O_CSV, O_PLOT, O_JSON };
    static const struct option lo[] = {
        {"sizes", required_argument, NULL, 's'},   {"count", required_argument, NULL, 'n'},
        {"repeat", required_argument, NULL, 'r'},  {"threads", required_argument, NULL, 't'},
        {"burst", required_argument, NULL, 'b'},   {"paths", required_argument, NULL, 'p'},
        {"cpus", required_argument, NULL, 'c'},    {"timeout", required_argument, NULL, O_TIMEOUT},
        {"csv", required_argument, NULL, O_CSV},   {"plot", required_argument, NULL, O_PLOT},
        {"json", no_argument, NULL, O_JSON},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:n:r:t:b:p:c:h", lo, NULL)) != -1) {
        char *end = NULL;
        uint32_t tmp[DP_MAX_THREADS];
        unsigned n;
        switch (ch) {
        case 's':
            if (dp_parse_list(optarg, o->sizes, DP_MAX_SIZES, &o->nsizes, 60, NETVSC_FRAME_MAX)) {
                fprintf(stderr, "bench datapath: --sizes: a list of 1..%u sizes in 60..%u\n",
                        DP_MAX_SIZES, NETVSC_FRAME_MAX);
                return 64;
            }
            break;
        case 'n':
            o->count = strtoull(optarg, &end, 10);
            if (*end || o->count < 1 || o->count > (UINT64_C(1) << 40)) {
                fprintf(stderr, "bench datapath: --count: a number >= 1\n");
                return 64;
            }
            break;
        case 'r':
            o->repeat = (unsigned)strtoul(optarg, &end, 10);
            if (*end || o->repeat < 1 || o->repeat > DP_MAX_REPEAT) {
                fprintf(stderr, "bench datapath: --repeat: 1..%u\n", DP_MAX_REPEAT);
                return 64;
            }
            break;
        case 't':
            if (dp_parse_list(optarg, tmp, DP_MAX_THREADS, &n, 1, 3)) {
                fprintf(stderr, "bench datapath: --threads: a list of 1, 2, 3\n");
                return 64;
            }
            o->nthreads = n;
            for (unsigned i = 0; i < n; i++)
                o->threads[i] = tmp[i];
            break;
        case 'b':
            o->burst = (unsigned)strtoul(optarg, &end, 10);
            if (*end || o->burst < 1 || o->burst > DP_APP_NBLS) {
                fprintf(stderr, "bench datapath: --burst: 1..%u\n", DP_APP_NBLS);
                return 64;
            }
            break;
        case 'p': {
            o->path_on[0] = o->path_on[1] = false;
            char buf[64];
            snprintf(buf, sizeof buf, "%s", optarg);
            for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
                if (strcmp(t, "vf") == 0)
                    o->path_on[DP_PATH_VF] = true;
                else if (strcmp(t, "synthetic") == 0)
                    o->path_on[DP_PATH_SYNTHETIC] = true;
                else {
                    fprintf(stderr, "bench datapath: --paths: vf, synthetic\n");
                    return 64;
                }
            }
            break;
        }
        case 'c': {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", optarg);
            unsigned k = 0;
            for (char *sv = NULL, *t = strtok_r(buf, ",", &sv); t && k < 3;
                 t = strtok_r(NULL, ",", &sv)) {
                long v = strtol(t, &end, 10);
                if (*end || v < -1 || v > 1023) {
                    fprintf(stderr, "bench datapath: --cpus: CPU numbers or -1\n");
                    return 64;
                }
                o->cpus[k++] = (int)v;
            }
            break;
        }
        case O_TIMEOUT:
            o->timeout_s = strtod(optarg, &end);
            if (*end || o->timeout_s <= 0) {
                fprintf(stderr, "bench datapath: --timeout: seconds > 0\n");
                return 64;
            }
            break;
        case O_CSV:
            o->csv = optarg;
            break;
        case O_PLOT:
            o->plot = optarg;
            break;
        case O_JSON:
            o->json = true;
            break;
        case 'h':
            dp_usage(stdout);
            return -1;
        default:
            fprintf(stderr, "bench datapath: unknown option '%s' (--help lists them)\n",
                    argv[optind - 1]);
            return 64;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bench datapath: unexpected argument '%s'\n", argv[optind]);
        return 64;
    }
    return 0;
}

/* ---- output --------------------------------------------------------------------------------- */
static const char *
dp_drops_text(const struct dp_cell *c, char *buf, size_t len)
{
    if (c->drops_total == 0)
        return "0";
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < SIM_DROP_CAUSE_COUNT && off < len; k++)
        if (c->drops[k])
            off += (size_t)snprintf(buf + off, len - off, "%s%s=%llu", off ? "," : "",
                                    sim_drop_cause_name((enum sim_drop_cause)k),
                                    (unsigned long long)c->drops[k]);
    return buf;
}

static void
dp_print_table(const struct dp_opts *o, struct dp_cell (*cells)[2][DP_MAX_SIZES])
{
    printf("sriovsim bench datapath: guest -> wire, %llu frames per run, median [min..max] of %u\n",
           (unsigned long long)o->count, o->repeat);
    printf("CPU ns/pkt by role: time inside the role's polls that found work, per frame on the wire;\n"
           "device = the emulated NIC (hardware in the modelled system, not host or guest CPU).\n\n");
    for (unsigned ti = 0; ti < o->nthreads; ti++) {
        printf("threads: %u (%s)\n", o->threads[ti],
               o->threads[ti] == 1   ? "all roles on one thread"
               : o->threads[ti] == 2 ? "guest | host + device"
                                     : "guest | host | device");
        printf("%-9s %5s  %-22s %7s  %7s %7s %7s  %6s  %8s %8s %8s  %s\n", "path", "size",
               "Mpps", "Gbit/s", "guest", "host", "device", "copies", "p50 us", "p99 us",
               "p99.9 us", "drops");
        for (unsigned p = 0; p < 2; p++)
            for (unsigned s = 0; s < o->nsizes; s++) {
                const struct dp_cell *c = &cells[ti][p][s];
                if (c->unsupported)
                    printf("%-9s %5u  not supported by the model: the PF miniport's TX buffers hold "
                           "%u-byte frames (no jumbo frames on the synthetic path)\n",
                           dp_path_names[p], o->sizes[s], DP_SYN_FRAME_MAX);
                if (!c->measured)
                    continue;
                char mp[40], db[160];
                snprintf(mp, sizeof mp, "%.3f [%.3f..%.3f]", c->mpps.med, c->mpps.min, c->mpps.max);
                printf("%-9s %5u  %-22s %7.2f  %7.1f %7.1f %7.1f  %6.2f  %8.1f %8.1f %8.1f  %s%s\n",
                       dp_path_names[p], o->sizes[s], mp, c->gbps.med, c->ns_role[0].med,
                       c->ns_role[1].med, c->ns_role[2].med, c->copies, c->lat50.med,
                       c->lat99.med, c->lat999.med, dp_drops_text(c, db, sizeof db),
                       c->ok ? "" : "  FAILED");
                if (!c->ok)
                    printf("          %s\n", c->error);
            }
        if (o->path_on[0] && o->path_on[1]) {
            printf("VF:synthetic    ");
            for (unsigned s = 0; s < o->nsizes; s++) {
                const struct dp_cell *v = &cells[ti][1][s], *y = &cells[ti][0][s];
                if (v->measured && y->measured && y->mpps.med > 0)
                    printf("  %u B: throughput %.2fx, host CPU %.2f:%.1f ns", o->sizes[s],
                           v->mpps.med / y->mpps.med, v->ns_role[1].med, y->ns_role[1].med);
            }
            printf("\n");
        }
        printf("\n");
    }
    if (o->nthreads >= 2) {
        for (unsigned ti = 1; ti < o->nthreads; ti++) {
            printf("%u threads : 1 thread (throughput, median)", o->threads[ti]);
            for (unsigned p = 0; p < 2; p++)
                for (unsigned s = 0; s < o->nsizes; s++) {
                    const struct dp_cell *a = &cells[ti][p][s], *b = &cells[0][p][s];
                    if (a->measured && b->measured && b->mpps.med > 0)
                        printf("%s %s %u: %.2fx", s == 0 ? "\n " : ",", dp_path_names[p],
                               o->sizes[s], a->mpps.med / b->mpps.med);
                }
            printf("\n");
        }
    }
    uint64_t allocs = 0, ctxsw = 0, yields = 0;
    for (unsigned ti = 0; ti < o->nthreads; ti++)
        for (unsigned p = 0; p < 2; p++)
            for (unsigned s = 0; s < o->nsizes; s++) {
                allocs += cells[ti][p][s].sim_allocs;
                ctxsw += cells[ti][p][s].vol_ctxsw;
                yields += cells[ti][p][s].idle_yields;
            }
    printf("During the measured intervals: %llu allocations (sim_alloc), %llu voluntary context "
           "switches of the bench threads (each one a blocking system call), %llu sched_yield "
           "calls by threads that had found no work.\n",
           (unsigned long long)allocs, (unsigned long long)ctxsw, (unsigned long long)yields);
}

static json_t *
dp_stat_json(struct dp_stat s)
{
    json_t *j = json_object();
    json_object_set_new(j, "median", json_real(s.med));
    json_object_set_new(j, "min", json_real(s.min));
    json_object_set_new(j, "max", json_real(s.max));
    return j;
}

static void
dp_print_json(const struct dp_opts *o, struct dp_cell (*cells)[2][DP_MAX_SIZES], double load,
              bool ok)
{
    json_t *root = json_object();
    json_object_set_new(root, "benchmark", json_string("datapath"));
    json_object_set_new(root, "direction", json_string("guest-to-wire"));
    json_object_set_new(root, "count", json_integer((json_int_t)o->count));
    json_object_set_new(root, "repeat", json_integer(o->repeat));
    json_object_set_new(root, "burst", json_integer(o->burst));
    json_object_set_new(root, "load_average", json_real(load));
    json_t *res = json_array();
    for (unsigned ti = 0; ti < o->nthreads; ti++)
        for (unsigned p = 0; p < 2; p++)
            for (unsigned s = 0; s < o->nsizes; s++) {
                const struct dp_cell *c = &cells[ti][p][s];
                if (!c->measured)
                    continue;
                json_t *j = json_object();
                json_object_set_new(j, "threads", json_integer(o->threads[ti]));
                json_object_set_new(j, "path", json_string(dp_path_names[p]));
                json_object_set_new(j, "size", json_integer(o->sizes[s]));
                json_object_set_new(j, "ok", json_boolean(c->ok));
                if (!c->ok)
                    json_object_set_new(j, "error", json_string(c->error));
                json_object_set_new(j, "mpps", dp_stat_json(c->mpps));
                json_object_set_new(j, "gbps", dp_stat_json(c->gbps));
                json_t *cpu = json_object();
                for (unsigned k = 0; k < DP_ROLES; k++)
                    json_object_set_new(cpu, dp_role_names[k], dp_stat_json(c->ns_role[k]));
                json_object_set_new(j, "cpu_ns_per_packet", cpu);
                json_t *tc = json_array();
                for (unsigned k = 0; k < o->threads[ti]; k++)
                    json_array_append_new(tc, dp_stat_json(c->cpu_thread[k]));
                json_object_set_new(j, "thread_cpu_ns_per_packet", tc);
                json_object_set_new(j, "copies_per_packet", json_real(c->copies));
                json_t *lat = json_object();
                json_object_set_new(lat, "p50", dp_stat_json(c->lat50));
                json_object_set_new(lat, "p99", dp_stat_json(c->lat99));
                json_object_set_new(lat, "p99_9", dp_stat_json(c->lat999));
                json_object_set_new(j, "latency_us", lat);
                json_t *dr = json_object();
                for (unsigned k = 0; k < SIM_DROP_CAUSE_COUNT; k++)
                    if (c->drops[k])
                        json_object_set_new(dr, sim_drop_cause_name((enum sim_drop_cause)k),
                                            json_integer((json_int_t)c->drops[k]));
                json_object_set_new(j, "drops", dr);
                json_object_set_new(j, "drops_total", json_integer((json_int_t)c->drops_total));
                json_object_set_new(j, "allocations", json_integer((json_int_t)c->sim_allocs));
                json_object_set_new(j, "voluntary_context_switches",
                                    json_integer((json_int_t)c->vol_ctxsw));
                json_object_set_new(j, "idle_yields", json_integer((json_int_t)c->idle_yields));
                json_t *runs = json_array();
                for (unsigned i = 0; i < c->nruns; i++) {
                    const struct dp_run_result *r = &c->run[i];
                    json_t *jr = json_object();
                    json_object_set_new(jr, "frames", json_integer((json_int_t)r->frames));
                    json_object_set_new(jr, "bytes", json_integer((json_int_t)r->bytes));
                    json_object_set_new(jr, "wall_ns",
                                        json_integer((json_int_t)(r->wall_s * 1e9 + 0.5)));
                    for (unsigned k = 0; k < DP_ROLES; k++) {
                        char key[32];
                        snprintf(key, sizeof key, "%s_busy_ns", dp_role_names[k]);
                        json_object_set_new(jr, key, json_integer((json_int_t)r->role[k].busy_ns));
                    }
                    json_object_set_new(jr, "guest_copies", json_integer((json_int_t)r->guest_copies));
                    json_object_set_new(jr, "guest_stage_copies",
                                        json_integer((json_int_t)r->guest_stage_copies));
                    json_object_set_new(jr, "host_copies", json_integer((json_int_t)r->host_copies));
                    json_object_set_new(jr, "host_uplink_copies",
                                        json_integer((json_int_t)r->host_uplink_copies));
                    json_object_set_new(jr, "host_pf_copies",
                                        json_integer((json_int_t)r->host_pf_copies));
                    json_array_append_new(runs, jr);
                }
                json_object_set_new(j, "runs", runs);
                json_array_append_new(res, j);
            }
    json_object_set_new(root, "results", res);
    json_t *ratios = json_array();
    for (unsigned ti = 0; ti < o->nthreads; ti++)
        for (unsigned s = 0; s < o->nsizes; s++) {
            const struct dp_cell *v = &cells[ti][1][s], *y = &cells[ti][0][s];
            if (!v->measured || !y->measured || y->mpps.med <= 0)
                continue;
            json_t *j = json_object();
            json_object_set_new(j, "threads", json_integer(o->threads[ti]));
            json_object_set_new(j, "size", json_integer(o->sizes[s]));
            json_object_set_new(j, "throughput_vf_to_synthetic", json_real(v->mpps.med / y->mpps.med));
            json_object_set_new(j, "host_ns_vf", json_real(v->ns_role[1].med));
            json_object_set_new(j, "host_ns_synthetic", json_real(y->ns_role[1].med));
            json_array_append_new(ratios, j);
        }
    json_object_set_new(root, "ratios", ratios);
    json_object_set_new(root, "ok", json_boolean(ok));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    printf("\n");
    json_decref(root);
}

static int
dp_write_csv(const char *path, const struct dp_opts *o, struct dp_cell (*cells)[2][DP_MAX_SIZES])
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench datapath: cannot write %s\n", path);
        return 74;
    }
    fprintf(f, "threads,path,size,mpps,mpps_min,mpps_max,gbps,guest_ns,host_ns,device_ns,"
               "copies_per_packet,lat_p50_us,lat_p99_us,lat_p999_us,drops,ok\n");
    for (unsigned ti = 0; ti < o->nthreads; ti++)
        for (unsigned p = 0; p < 2; p++)
            for (unsigned s = 0; s < o->nsizes; s++) {
                const struct dp_cell *c = &cells[ti][p][s];
                if (!c->measured)
                    continue;
                fprintf(f, "%u,%s,%u,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4g,%.6g,%.6g,%.6g,%llu,%d\n",
                        o->threads[ti], dp_path_names[p], o->sizes[s], c->mpps.med, c->mpps.min,
                        c->mpps.max, c->gbps.med, c->ns_role[0].med, c->ns_role[1].med,
                        c->ns_role[2].med, c->copies, c->lat50.med, c->lat99.med, c->lat999.med,
                        (unsigned long long)c->drops_total, c->ok ? 1 : 0);
            }
    return fclose(f) == 0 ? 0 : 74;
}

/* The gnuplot script: three panels against frame size (log x), one line per path, for the
 * largest thread layout measured. Users restyle it and re-run `gnuplot datapath.gp`. */
static int
dp_write_plot(const char *dir, const struct dp_opts *o, struct dp_cell (*cells)[2][DP_MAX_SIZES])
{
    char csv[4096], gp[4096];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench datapath: cannot create %s: %s\n", dir, strerror(errno));
        return 74;
    }
    snprintf(csv, sizeof csv, "%s/datapath.csv", dir);
    snprintf(gp, sizeof gp, "%s/datapath.gp", dir);
    int rc = dp_write_csv(csv, o, cells);
    if (rc)
        return rc;
    unsigned t = o->threads[o->nthreads - 1];
    char xt[256];
    size_t xo = 0;
    xt[0] = '\0';
    for (unsigned s = 0; s < o->nsizes && xo < sizeof xt; s++)
        xo += (size_t)snprintf(xt + xo, sizeof xt - xo, "%s%u", s ? ", " : "", o->sizes[s]);
    FILE *f = fopen(gp, "w");
    if (!f) {
        fprintf(stderr, "bench datapath: cannot write %s\n", gp);
        return 74;
    }
    fprintf(f,
            "# datapath.gp -- written by `sriovsim bench datapath --plot DIR`; edit and re-run\n"
            "# `gnuplot datapath.gp` in this folder. Data: datapath.csv (one row per thread\n"
            "# layout, path and frame size; medians of the repeats).\n"
            "set datafile separator ','\n"
            "T = %u   # thread layout plotted (column 1)\n"
            "sel(p) = (strcol(1) eq sprintf('%%d', T) && strcol(2) eq p)\n"
            "set logscale x 2\n"
            "set xtics (%s)\n"
            "set xlabel 'frame size (bytes)'\n"
            "set key top left\n"
            "set grid\n"
            "do for [out in 'svg png'] {\n"
            "  if (out eq 'svg') { set terminal svg size 1200,400 dynamic font 'sans,11'; "
            "set output 'datapath.svg' }\n"
            "  if (out eq 'png') { set terminal png size 1200,400; set output 'datapath.png' }\n"
            "  set multiplot layout 1,3 title sprintf('sriovsim bench datapath: guest -> wire, "
            "%%d thread(s)', T)\n"
            "  set ylabel 'Mpackets/s (median, min..max)'\n"
            "  set title 'Throughput'\n"
            "  plot 'datapath.csv' using 3:(sel('vf') ? $4 : 1/0):5:6 with yerrorlines title 'VF "
            "path', \\\n"
            "       '' using 3:(sel('synthetic') ? $4 : 1/0):5:6 with yerrorlines title "
            "'synthetic path'\n"
            "  set ylabel 'CPU ns per packet'\n"
            "  set title 'Cost per packet by role'\n"
            "  plot 'datapath.csv' using 3:(sel('vf') ? $8+$9 : 1/0) with linespoints title 'VF: "
            "guest+host', \\\n"
            "       '' using 3:(sel('vf') ? $10 : 1/0) with linespoints dt 2 title 'VF: device', \\\n"
            "       '' using 3:(sel('synthetic') ? $8+$9 : 1/0) with linespoints title "
            "'synthetic: guest+host', \\\n"
            "       '' using 3:(sel('synthetic') ? $10 : 1/0) with linespoints dt 2 title "
            "'synthetic: device'\n"
            "  set ylabel 'one-way latency (us)'\n"
            "  set logscale y 10\n"
            "  set title 'Latency (sampled frames)'\n"
            "  plot 'datapath.csv' using 3:(sel('vf') ? $12 : 1/0) with linespoints title 'VF p50', \\\n"
            "       '' using 3:(sel('vf') ? $13 : 1/0) with linespoints dt 2 title 'VF p99', \\\n"
            "       '' using 3:(sel('synthetic') ? $12 : 1/0) with linespoints title 'synthetic p50', \\\n"
            "       '' using 3:(sel('synthetic') ? $13 : 1/0) with linespoints dt 2 title "
            "'synthetic p99'\n"
            "  unset logscale y\n"
            "  unset multiplot\n"
            "  unset output\n"
            "}\n",
            t, xt);
    if (fclose(f) != 0)
        return 74;
    if (access("/usr/bin/gnuplot", X_OK) != 0 && system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "bench datapath: gnuplot not installed: wrote %s and %s only\n", csv, gp);
        return 0;
    }
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot datapath.gp", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench datapath: gnuplot failed on %s\n", gp);
        return 74;
    }
    if (!o->json)
        printf("Plot: %s/datapath.svg, %s/datapath.png (script %s, data %s)\n", dir, dir, gp, csv);
    return 0;
}

static double
dp_load_average(void)
{
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = 0;
        fclose(f);
    }
    return l;
}

/* ---- main ----------------------------------------------------------------------------------- */
int
bench_datapath_main(int argc, char **argv)
{
    struct dp_opts o;
    int rc = dp_parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double load = dp_load_average();
    if (ncpu > 0 && load > 0.5 * (double)ncpu)
        fprintf(stderr,
                "bench datapath: warning: the machine is busy (load average %.2f on %ld CPUs): "
                "timings are noisy; compare paths by the ratios of this run, or count "
                "instructions with callgrind (bench/README.md)\n",
                load, ncpu);
    for (unsigned i = 0; i < 3; i++)
        if (ncpu > 0 && o.cpus[i] >= ncpu)
            o.cpus[i] = (int)(o.cpus[i] % ncpu);

    struct dp_cell(*cells)[2][DP_MAX_SIZES] =
        sim_calloc(SIM_TAG(bench), DP_MAX_THREADS, sizeof *cells);
    struct dp_world *w = sim_calloc(SIM_TAG(bench), 1, sizeof *w);
    if (!cells || !w) {
        sim_free(cells);
        sim_free(w);
        return 70;
    }
    struct dp_world_config wc = {.lat_cap = (uint32_t)(o.count / DP_SAMPLE_EVERY + 2)};
    struct sim_diag d = {0};
    bool ok = true;
    rc = bench__dp_world_create(w, &wc, &d);
    if (rc) {
        fprintf(stderr, "bench datapath: cannot build the world: %s\n", d.reason);
        bench__dp_world_destroy(w);
        sim_free(w);
        sim_free(cells);
        return 70;
    }
    /* The synthetic path first (the VM has no VF yet), then the VF brought up the documented
     * way and the VF path; within a path, repeats alternate the thread layouts. */
    for (unsigned p = 0; p < 2 && !bench__dp_stopped(); p++) {
        if (!o.path_on[p])
            continue;
        if (p == DP_PATH_VF && (rc = bench__dp_world_vf_up(w, &d)) != 0) {
            fprintf(stderr, "bench datapath: cannot bring the VF up: %s\n", d.reason);
            ok = false;
            break;
        }
        for (unsigned s = 0; s < o.nsizes && !bench__dp_stopped(); s++)
            for (unsigned r = 0; r < o.repeat && !bench__dp_stopped(); r++)
                for (unsigned ti = 0; ti < o.nthreads && !bench__dp_stopped(); ti++) {
                    struct dp_cell *c = &cells[ti][p][s];
                    if (p == DP_PATH_SYNTHETIC && o.sizes[s] > DP_SYN_FRAME_MAX) {
                        c->unsupported = true;
                        continue;
                    }
                    struct dp_run_config rcfg = {
                        .path = (enum dp_path)p,
                        .frame_len = o.sizes[s],
                        .count = o.count,
                        .burst = o.burst,
                        .threads = o.threads[ti],
                        .timeout_s = o.timeout_s,
                    };
                    memcpy(rcfg.cpus, o.cpus, sizeof rcfg.cpus);
                    struct dp_run_result *res = &c->run[c->nruns];
                    (void)bench__dp_run(w, &rcfg, res);
                    if (!c->measured)
                        c->ok = true;
                    c->measured = true;
                    c->nruns++;
                    if (!res->ok) {
                        c->ok = false;
                        /* res lives inside c: copy through a local so the two never overlap */
                        char why[sizeof c->error];
                        snprintf(why, sizeof why, "%s", res->error);
                        memcpy(c->error, why, sizeof why);
                    } else if (res->drops_total) {
                        c->ok = false;
                        snprintf(c->error, sizeof c->error, "%llu frames dropped",
                                 (unsigned long long)res->drops_total);
                    }
                    if (!c->ok)
                        ok = false;
                }
    }
    for (unsigned ti = 0; ti < o.nthreads; ti++)
        for (unsigned p = 0; p < 2; p++)
            for (unsigned s = 0; s < o.nsizes; s++)
                if (cells[ti][p][s].measured)
                    dp_cell_summarise(&cells[ti][p][s]);
    if (bench__dp_stopped()) {
        ok = false;
        fprintf(stderr, "bench datapath: interrupted: printing what was measured\n");
    }
    if (o.json)
        dp_print_json(&o, cells, load, ok);
    else
        dp_print_table(&o, cells);
    int out_rc = 0;
    if (o.csv)
        out_rc = dp_write_csv(o.csv, &o, cells);
    if (o.plot && out_rc == 0)
        out_rc = dp_write_plot(o.plot, &o, cells);
    bench__dp_world_destroy(w);
    sim_free(w);
    sim_free(cells);
    if (out_rc)
        return out_rc;
    return ok ? 0 : 1;
}
