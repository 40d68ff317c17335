/* SPDX-License-Identifier: MIT */
/*
 * soak.c — the soak run (issue 13 item 5): one scenario with N failovers (graceful VF detach,
 * then the VF back) and N/10 live migrations between two hosts, under TCP and UDP load both
 * ways, with invariants checked after each cycle (the data path is synthetic after the detach
 * and VF after the attach, the VM is on the destination after a migration, the TCP flow is
 * alive), every flow's conservation and liveness at the end, the rule verifier on.
 *
 *   soak [--cycles N] [--migrate-synthetic] [--print]
 *       N cycles (default 1000): 9 in 10 a failover (detach, attach), 1 in 10 a live migration
 *       (with the VF attached; --migrate-synthetic: after a detach, so the VF is not part of
 *       the migration); --print writes the scenario instead of running it
 *
 * While it runs, at 10 %, 50 % and 100 % of the cycles, it samples the process's resident set
 * (VmRSS), the live tagged allocations (count and bytes, per tag) and the CPU time, and prints
 * them. It fails (exit 1) if any verdict failed, a verifier breach occurred, live allocations
 * at 100 % exceed those at 10 % (the same objects must exist at every cycle boundary), the live
 * bytes grow by more than 64 KiB per cycle, the CPU time from 50 % to 100 % is more than 2.5x
 * the CPU time from 10 % to 50 % (linear: 1.25x; quadratic: ~4.7x), or an allocation is still
 * live after teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ndis_shim/ndis_shim.h"
#include "script/interp.h"
#include "script/script.h"
#include "verify/verify.h"

#define PERIOD_MS 400u

static unsigned cycles = 1000;
static bool migrate_on_vf = true;

static sim_time_t
write_soak(FILE *o)
{
    fprintf(o, "# soak: %u failovers, %u live migrations (tests/soak)\n", cycles, cycles / 10);
    fprintf(o, "host h1\nhost h2\npf h1.pf0 total_vfs=4\npf h2.pf0 total_vfs=4\n"
               "vswitch h1.sw0 uplink=h1.pf0\nvswitch h2.sw0 uplink=h2.pf0\n"
               "link h1.sw0 h2.sw0 latency=50us\nsriov h1.pf0 num_vfs=2\nsriov h2.pf0 num_vfs=2\n"
               "set cost.vf_offer_delay=20ms\n"
               "vm vm1 on=h1 switch=h1.sw0 mac=00:15:5d:00:00:01 ip=10.0.0.1 vf=auto\n"
               "peer ext1 on=h1.sw0 ip=10.0.0.9\npeer ext2 on=h2.sw0 ip=10.0.0.10\n"
               "0ms flow start f1 from=vm1 to=ext1 proto=tcp rate=20Mbps\n"
               "0ms flow start f2 from=ext1 to=vm1 proto=udp rate=5Mbps size=1000\n"
               "0ms flow start f3 from=vm1 to=ext2 proto=udp rate=5Mbps size=1000\n");
    unsigned host = 1;
    uint64_t t = 1000;
    for (unsigned c = 0; c < cycles + cycles / 10; c++, t += PERIOD_MS) {
        fprintf(o, "%llums expect vm1.datapath == vf within=%ums\n", (unsigned long long)t,
                PERIOD_MS / 2);
        if (c % 11 == 10) { /* after every 10 failovers, a live migration */
            host = 3 - host;
            if (!migrate_on_vf) {
                fprintf(o, "%llums detach-vf vm1 mode=graceful\n",
                        (unsigned long long)(t + PERIOD_MS / 2 - 100));
                fprintf(o, "+0 expect vm1.datapath == synthetic within=50ms\n");
            }
            fprintf(o, "%llums migrate vm1 to=h%u precopy=60ms blackout=20ms\n",
                    (unsigned long long)(t + PERIOD_MS / 2), host);
            fprintf(o, "+0 expect vm1.host == h%u within=%ums\n", host, PERIOD_MS / 2);
            fprintf(o, "+0 expect flow f1.alive == true\n");
            if (!migrate_on_vf) /* the VF was detached before: give one back on arrival */
                fprintf(o, "%llums attach-vf vm1\n", (unsigned long long)(t + PERIOD_MS / 2 + 200));
            t += PERIOD_MS; /* the VF comes back after the migration */
            continue;
        }
        fprintf(o, "%llums detach-vf vm1 mode=graceful\n", (unsigned long long)(t + PERIOD_MS / 2));
        fprintf(o, "+0 expect vm1.datapath == synthetic within=50ms\n");
        fprintf(o, "+0 expect flow f1.alive == true\n");
        fprintf(o, "%llums attach-vf vm1\n", (unsigned long long)(t + PERIOD_MS / 2 + 100));
    }
    fprintf(o, "%llums flow stop f1\n%llums flow stop f2\n%llums flow stop f3\n",
            (unsigned long long)t, (unsigned long long)t, (unsigned long long)t);
    fprintf(o, "%llums expect flow f1.seq contiguous\n", (unsigned long long)(t + 500));
    fprintf(o, "%llums end\n", (unsigned long long)(t + 1000));
    return SIM_MSEC(t + 1000);
}

static long
rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* CPU time of this process: the linearity check must not depend on what else the machine
 * runs (wall time on a loaded 2-core machine varies by 2x within seconds). */
static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sample {
    int pct;
    sim_time_t at;
    bool taken;
    long rss, live, bytes;
    double wall;
};

static struct sample samples[3] = {{10, 0, false, 0, 0, 0, 0}, {50, 0, false, 0, 0, 0, 0},
                                   {100, 0, false, 0, 0, 0, 0}};

/* Live tagged bytes, from the per-tag report ("tag: N live (B bytes)"). */
static long
live_bytes(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sim_alloc_report(f);
    fclose(f);
    long total = 0;
    for (char *p = buf; p && (p = strstr(p, " live (")) != NULL; p += 7)
        total += strtol(p + 7, NULL, 10);
    free(buf);
    return total;
}
static double t0;
static size_t failed;

static void
on_result(void *ctx, const struct scn_result *r)
{
    if (!r->passed) {
        if (failed++ < 10)
            printf("soak: FAIL line %u at t=%.3f s: expected %s, actual %s\n", r->stmt->line,
                   (double)r->time_ns / 1e9, r->expected, r->actual);
    }
    for (int i = 0; i < 3; i++) {
        if (!samples[i].taken && r->time_ns >= samples[i].at) {
            samples[i].taken = true;
            samples[i].rss = rss_kib();
            samples[i].live = sim_alloc_live_total();
            samples[i].bytes = live_bytes();
            samples[i].wall = now_s() - t0;
            printf("soak: %3d%% (t=%.1f s virtual, %.2f s cpu): VmRSS %ld KiB, %ld live "
                   "allocations, %ld live bytes; per tag:\n",
                   samples[i].pct, (double)r->time_ns / 1e9, samples[i].wall, samples[i].rss,
                   samples[i].live, samples[i].bytes);
            sim_alloc_report(stdout);
            fflush(stdout);
        }
    }
}

static bool
ident_is_known(void *ctx, enum scn_ident kind, const char *name)
{
    if (kind == SCN_IDENT_OID) {
        ndis_oid_t oid;
        return ndis_oid_parse(name, &oid);
    }
    ndis_status_t st;
    return ndis_status_parse(name, &st);
}

int
main(int argc, char **argv)
{
    bool print = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cycles") == 0 && i + 1 < argc)
            cycles = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--migrate-synthetic") == 0)
            migrate_on_vf = false;
        else if (strcmp(argv[i], "--print") == 0)
            print = true;
        else {
            fprintf(stderr, "usage: soak [--cycles N] [--migrate-synthetic] [--print]\n");
            return 64;
        }
    }
    if (cycles < 10)
        cycles = 10;
    if (print) {
        write_soak(stdout);
        return 0;
    }
    (void)sim_log_configure("error", NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sim_time_t end = write_soak(f);
    fclose(f);
    /* Sample at the cycle boundaries: 10 %, 50 %, 100 % of the cycles. */
    sim_time_t cycles_end = end - SIM_MSEC(1000);
    samples[0].at = SIM_MSEC(1000) + (cycles_end - SIM_MSEC(1000)) / 10;
    samples[1].at = SIM_MSEC(1000) + (cycles_end - SIM_MSEC(1000)) / 2;
    samples[2].at = cycles_end;
    struct scn_parse_opts po = {.is_known = ident_is_known};
    struct scn_program *p = NULL;
    struct scn_diags *d = NULL;
    if (scn_program_parse_string("soak.scn", text, len, &po, &p, &d) != 0) {
        scn_diag_print(stdout, d, true);
        return 1;
    }
    scn_diags_destroy(d);
    struct verify *v = NULL;
    if (verify_create(&v) != 0)
        return 1;
    FILE *devnull = fopen("/dev/null", "w");
    struct scn_run_opts ro = {.seed = 1, .until = SIM_TIME_NEVER, .no_capture = true,
                              .out = devnull, .log = devnull, .verify = v,
                              .on_result = on_result};
    struct scn_run *run = NULL;
    struct sim_diag sd;
    sim_diag_clear(&sd);
    t0 = now_s();
    int rc = scn_run_create(p, &ro, &run, &sd);
    if (rc == 0)
        rc = scn_run_exec(run, &sd);
    double wall = now_s() - t0;
    int bad = 0;
    if (rc != 0) {
        printf("soak: the run failed: %s\n", sd.reason);
        bad = 1;
    }
    size_t passed = scn_run_passed(run), nfailed = scn_run_failed(run);
    size_t breaches = verify_breach_count(v);
    printf("soak: %u failovers, %u live migrations, %zu verdicts passed, %zu failed, %zu verifier "
           "breaches, %.2f s cpu\n",
           cycles, cycles / 10, passed, nfailed, breaches, wall);
    if (nfailed || breaches)
        bad = 1;
    if (samples[0].taken && samples[2].taken) {
        if (samples[2].live > samples[0].live) {
            printf("soak: live allocations grew: %ld at 10%% -> %ld at 100%%\n", samples[0].live,
                   samples[2].live);
            bad = 1;
        }
        /* Bytes: what the run keeps on purpose grows with its history (the event log that
         * `expect event` reads, the verdicts); report it per cycle, fail beyond 64 KiB/cycle. */
        double per_cycle = (double)(samples[2].bytes - samples[0].bytes) / (0.9 * cycles);
        printf("soak: live bytes %ld -> %ld (%.0f bytes per failover), VmRSS %ld -> %ld KiB\n",
               samples[0].bytes, samples[2].bytes, per_cycle, samples[0].rss, samples[2].rss);
        if (per_cycle > 65536) {
            printf("soak: memory grows %.0f bytes per cycle\n", per_cycle);
            bad = 1;
        }
        double a = samples[1].wall - samples[0].wall, b = samples[2].wall - samples[1].wall;
        printf("soak: cpu 10%%->50%% %.2f s, 50%%->100%% %.2f s (linear: ratio 1.25; got %.2f)\n",
               a, b, a > 0 ? b / a : 0.0);
        if (a > 0.2 && b / a > 2.5) { /* quadratic would be ~4.7 */
            printf("soak: time grows faster than the number of cycles\n");
            bad = 1;
        }
    } else {
        printf("soak: samples missing (the run stopped early)\n");
        bad = 1;
    }
    scn_run_destroy(run);
    scn_program_destroy(p);
    verify_destroy(v);
    fclose(devnull);
    free(text);
    if (sim_alloc_live_total() != 0) {
        printf("soak: live allocations after teardown:\n");
        sim_alloc_report(stdout);
        bad = 1;
    }
    return bad;
}
