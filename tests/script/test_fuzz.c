/* SPDX-License-Identifier: MIT */
/* test_fuzz.c — robustness of the .scn parser: random bytes and random mutations of the
 * reference examples, from a seeded sim_prng (the seed is printed; set SCN_FUZZ_SEED and
 * SCN_FUZZ_ITERS to replay or to run longer). Every input must either parse or yield
 * diagnostics whose line:col lie inside the input, never crash, never leak. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"

static uint64_t
fuzz_seed(uint64_t dflt)
{
    const char *s = getenv("SCN_FUZZ_SEED");
    return s ? strtoull(s, NULL, 0) : dflt;
}

static long
fuzz_iters(long dflt)
{
    const char *s = getenv("SCN_FUZZ_ITERS");
    return s ? strtol(s, NULL, 0) : dflt;
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Length of line `line` (1-based) of text, or -1 if the text has fewer lines. */
static long
line_length(const char *text, size_t len, uint32_t line)
{
    uint32_t cur = 1;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (cur == line) {
                size_t n = i - start;
                if (n > 0 && text[start + n - 1] == '\r')
                    n--;
                return (long)n;
            }
            cur++;
            start = i + 1;
        }
    }
    return -1;
}

static void
check_one(const char *text, size_t len, uint64_t seed, long iter)
{
    struct scn_program *p;
    struct scn_diags *d;
    int rc = scn_program_parse_string("fuzz.scn", text, len, NULL, &p, &d);
    cr_assert(rc == 0 || rc == SIM_EPARSE, "seed %llu iter %ld: rc %d", (unsigned long long)seed,
              iter, rc);
    if (rc == 0) {
        cr_assert_not_null(p);
        char buf[512];
        sim_time_t prev = 0;
        for (size_t i = 0; i < scn_program_count(p); i++) {
            const struct scn_stmt *s = scn_program_stmt(p, i);
            scn_stmt_format(s, buf, sizeof buf);
            cr_assert_geq(s->time_ns, prev, "seed %llu iter %ld: times never decrease",
                          (unsigned long long)seed, iter);
            prev = s->time_ns;
        }
    } else {
        cr_assert_null(p);
        cr_assert_gt(scn_diags_error_count(d), 0);
        for (size_t i = 0; i < scn_diags_count(d); i++) {
            const struct scn_diag *g = scn_diags_get(d, i);
            long ll = line_length(text, len, g->line);
            cr_assert_geq(ll, 0, "seed %llu iter %ld: line %u exists", (unsigned long long)seed,
                          iter, g->line);
            cr_assert(g->col >= 1 && (long)g->col <= ll + 1,
                      "seed %llu iter %ld: col %u within line %u of length %ld (%s)",
                      (unsigned long long)seed, iter, g->col, g->line, ll, g->message);
            cr_assert_not_null(g->message);
        }
        char *out = NULL;
        size_t olen = 0;
        FILE *f = open_memstream(&out, &olen);
        scn_diag_print(f, d, true);
        fclose(f);
        free(out);
    }
    scn_program_destroy(p);
    scn_diags_destroy(d);
    cr_assert_eq(sim_alloc_live_total(), 0, "seed %llu iter %ld leaks", (unsigned long long)seed,
                 iter);
}

Test(scn_fuzz, random_bytes_never_crash)
{
    uint64_t seed = fuzz_seed(0x5c11);
    long iters = fuzz_iters(20000);
    fprintf(stderr, "scn_fuzz.random_bytes: seed %llu, %ld inputs (SCN_FUZZ_SEED to replay)\n",
            (unsigned long long)seed, iters);
    struct sim_prng r;
    sim_prng_init(&r, seed);
    static const char alphabet[] = "abcdefhmopstuvwxyz0123456789._-:+~=<>!,#\"\\/ \t\n\r"
                                   "vm1h1.pf0.vf0OID_ expect flow ";
    char buf[600];
    for (long it = 0; it < iters; it++) {
        size_t len = (size_t)sim_prng_below(&r, sizeof buf);
        bool raw = sim_prng_below(&r, 4) == 0;
        for (size_t i = 0; i < len; i++)
            buf[i] = raw ? (char)sim_prng_below(&r, 256)
                         : alphabet[sim_prng_below(&r, sizeof alphabet - 1)];
        check_one(buf, len, seed, it);
    }
}

static const char *const words[] = {
    "vm1",        "vm2",
    "h1",         "h1.pf0",
    "h1.pf0.vf0", "h1.pf0.vf9",
    "f1",         "expect",
    "flow",       "oid",
    "event",      "pci",
    "==",         "<=",
    "=",          "+0",
    "1s",         "2s~1s",
    "within=",    "timeout=1s",
    "\"",         "#",
    "wait-until", "end",
    "seed 1",     "capture",
    "stop",       "start",
    ",",          "~",
    "OID_X",      "mode=gracefull",
    "0x",         "-1s",
    "1.5Gbps",    "host h9",
    "\n",         "vm vm1 on=h1 switch=h1.sw0",
    "fault",      "clear",
    "\t",         "contiguous",
};

static size_t
mutate(struct sim_prng *r, const char *src, size_t len, char *out, size_t cap)
{
    memcpy(out, src, len);
    size_t n = len;
    int k = 1 + (int)sim_prng_below(r, 4);
    for (int m = 0; m < k; m++) {
        size_t at = n ? (size_t)sim_prng_below(r, n) : 0;
        switch (sim_prng_below(r, 5)) {
        case 0: /* delete a span */ {
            size_t span = 1 + (size_t)sim_prng_below(r, 8);
            if (at + span > n)
                span = n - at;
            memmove(out + at, out + at + span, n - at - span);
            n -= span;
            break;
        }
        case 1: /* insert a word */ {
            const char *w = words[sim_prng_below(r, SIM_ARRAY_SIZE(words))];
            size_t wl = strlen(w);
            if (n + wl + 1 >= cap)
                break;
            memmove(out + at + wl, out + at, n - at);
            memcpy(out + at, w, wl);
            n += wl;
            break;
        }
        case 2: /* flip a byte */
            if (n)
                out[at] = (char)sim_prng_below(r, 128);
            break;
        case 3: /* duplicate a line */ {
            size_t s = at;
            while (s > 0 && out[s - 1] != '\n')
                s--;
            size_t e = at;
            while (e < n && out[e] != '\n')
                e++;
            size_t l = e - s + (e < n ? 1 : 0);
            if (n + l >= cap)
                break;
            memmove(out + s + l, out + s, n - s);
            n += l;
            break;
        }
        default: /* truncate */
            n = at;
            break;
        }
    }
    return n;
}

Test(scn_fuzz, mutated_examples_never_crash)
{
    uint64_t seed = fuzz_seed(0xfa11);
    long iters = fuzz_iters(20000);
    fprintf(stderr, "scn_fuzz.mutated_examples: seed %llu, %ld inputs (SCN_FUZZ_SEED to replay)\n",
            (unsigned long long)seed, iters);
    size_t la, lb;
    char *a = slurp(SCN_TEST_DATA "/failover.scn", &la);
    char *b = slurp(SCN_TEST_DATA "/live-migrate.scn", &lb);
    struct sim_prng r;
    sim_prng_init(&r, seed);
    size_t cap = 8192;
    char *out = malloc(cap);
    long ok = 0;
    for (long it = 0; it < iters; it++) {
        bool first = sim_prng_below(&r, 2) == 0;
        size_t n = mutate(&r, first ? a : b, first ? la : lb, out, cap);
        struct scn_program *p;
        if (scn_program_parse_string("x", out, n, NULL, &p, NULL) == 0)
            ok++;
        scn_program_destroy(p);
        check_one(out, n, seed, it);
    }
    fprintf(stderr, "scn_fuzz.mutated_examples: %ld of %ld mutants still parsed\n", ok, iters);
    free(out);
    free(a);
    free(b);
}
