/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parse.c — libFuzzer target: the scenario parser and checker (`sriovsim check`) on any
 * bytes. Every input either parses — then every statement formats, times never decrease, and the
 * canonical text of the program parses again to the same statements — or yields at least one
 * error whose line:col lies inside the input. Nothing crashes, nothing leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_scn.h"

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

/* The checker's canonical text of a program without wait-until parses to the same program. */
static void
reparse_canonical(const struct scn_program *p, const struct scn_parse_opts *po)
{
    size_t n = scn_program_count(p);
    for (size_t i = 0; i < n; i++)
        if (scn_program_stmt(p, i)->verb == SCN_VERB_WAIT_UNTIL)
            return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return;
    static char buf[4096];
    for (size_t i = 0; i < n; i++) {
        scn_stmt_format(scn_program_stmt(p, i), buf, sizeof buf);
        if (strlen(buf) >= sizeof buf - 1) { /* truncated: nothing to compare */
            fclose(f);
            free(text);
            return;
        }
        fprintf(f, "%s\n", buf);
    }
    fclose(f);
    struct scn_program *q = NULL;
    struct scn_diags *d = NULL;
    int rc = scn_program_parse_string("canonical.scn", text, len, po, &q, &d);
    if (rc != 0) {
        fprintf(stderr, "the canonical text does not parse (%d):\n%s", rc, text);
        if (d)
            scn_diag_print(stderr, d, true);
        abort();
    }
    if (scn_program_count(q) != n) {
        fprintf(stderr, "canonical text: %zu statements, was %zu\n%s", scn_program_count(q), n, text);
        abort();
    }
    static char buf2[4096];
    for (size_t i = 0; i < n; i++) {
        scn_stmt_format(scn_program_stmt(p, i), buf, sizeof buf);
        scn_stmt_format(scn_program_stmt(q, i), buf2, sizeof buf2);
        if (strcmp(buf, buf2) != 0) {
            fprintf(stderr, "statement %zu: '%s' reads back as '%s'\n", i, buf, buf2);
            abort();
        }
    }
    scn_program_destroy(q);
    scn_diags_destroy(d);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_parse_opts po;
    fz_parse_opts(&po);
    struct scn_program *p = NULL;
    struct scn_diags *d = NULL;
    const char *text = (const char *)data;
    int rc = scn_program_parse_string("fuzz.scn", text, size, &po, &p, &d);
    if (rc != 0 && rc != SIM_EPARSE) {
        fprintf(stderr, "parse returned %d\n", rc);
        abort();
    }
    char buf[1024];
    if (rc == 0) {
        if (p == NULL)
            abort();
        sim_time_t prev = 0;
        for (size_t i = 0; i < scn_program_count(p); i++) {
            const struct scn_stmt *s = scn_program_stmt(p, i);
            scn_stmt_format(s, buf, sizeof buf);
            if (s->verb == SCN_VERB_EXPECT)
                scn_expect_format(s, buf, sizeof buf);
            if (s->time_ns < prev) {
                fprintf(stderr, "statement %zu runs before the one above it\n", i);
                abort();
            }
            prev = s->time_ns;
        }
        uint64_t seed;
        (void)scn_program_seed(p, &seed);
        (void)scn_program_expect_count(p);
        reparse_canonical(p, &po);
    } else {
        if (p != NULL || d == NULL || scn_diags_error_count(d) == 0) {
            fprintf(stderr, "a refused script must come with an error and no program\n");
            abort();
        }
        for (size_t i = 0; i < scn_diags_count(d); i++) {
            const struct scn_diag *g = scn_diags_get(d, i);
            long ll = line_length(text, size, g->line);
            if (g->message == NULL)
                abort();
            if (g->col == 0) /* about the whole file */
                continue;
            if (ll < 0 || (long)g->col > ll + 1) {
                fprintf(stderr, "diagnostic %u:%u outside the input (line length %ld): %s\n",
                        g->line, g->col, ll, g->message ? g->message : "(null)");
                abort();
            }
            scn_diag_format(g, buf, sizeof buf);
        }
        FILE *f = fopen("/dev/null", "w");
        if (f) {
            scn_diag_print(f, d, true);
            fclose(f);
        }
    }
    scn_program_destroy(p);
    scn_diags_destroy(d);
    fuzz_no_leaks("fuzz_parse");
    return 0;
}
