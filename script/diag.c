/* SPDX-License-Identifier: MIT */
/*
 * diag.c — diagnostics of the scenario language: "file:line:col: error: message", the gcc-style
 * source line with a caret under the offending token, and did-you-mean suggestions by edit
 * distance. Windows counterpart: none (the shape follows gcc and packetdrill).
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "script/script_int.h"

SIM_ALLOC_TAG_DEFINE(scn_diag);

int
scn__diags_create(size_t max_errors, struct scn_diags **out)
{
    struct scn_diags *d = sim_calloc(SIM_TAG(scn_diag), 1, sizeof *d);
    if (d == NULL)
        return SIM_ENOMEM;
    scn__arena_init(&d->arena, SIM_TAG(scn_diag));
    d->max_errors = max_errors == 0 ? 20 : max_errors;
    *out = d;
    return 0;
}

void
scn_diags_destroy(struct scn_diags *d)
{
    if (d == NULL)
        return;
    sim_free(d->items);
    scn__arena_fini(&d->arena);
    sim_free(d);
}

bool
scn__diag_add(struct scn_diags *d, enum scn_severity sev, const char *file, uint32_t line,
              uint32_t col, uint32_t len, const char *source_line, const char *fmt, ...)
{
    if (d->arena.oom)
        return false;
    if (sev == SCN_SEV_ERROR && d->errors >= d->max_errors) {
        d->truncated = true;
        return false;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        struct scn_diag *items = sim_realloc(SIM_TAG(scn_diag), d->items, cap * sizeof *items);
        if (items == NULL) {
            d->arena.oom = true;
            return false;
        }
        d->items = items;
        d->cap = cap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct scn_diag *g = &d->items[d->count];
    memset(g, 0, sizeof *g);
    g->severity = sev;
    g->file = scn__arena_strndup(&d->arena, file, strlen(file));
    g->message = scn__arena_strndup(&d->arena, msg, strlen(msg));
    g->source_line =
        source_line ? scn__arena_strndup(&d->arena, source_line, strlen(source_line)) : NULL;
    if (g->file == NULL || g->message == NULL || (source_line != NULL && g->source_line == NULL))
        return false; /* arena.oom is set */
    g->line = line;
    g->col = col;
    g->len = col > 0 && len == 0 ? 1 : len;
    d->count++;
    if (sev == SCN_SEV_ERROR)
        d->errors++;
    return true;
}

size_t
scn_diags_count(const struct scn_diags *d)
{
    return d ? d->count : 0;
}

size_t
scn_diags_error_count(const struct scn_diags *d)
{
    return d ? d->errors : 0;
}

const struct scn_diag *
scn_diags_get(const struct scn_diags *d, size_t i)
{
    return d && i < d->count ? &d->items[i] : NULL;
}

bool
scn_diags_truncated(const struct scn_diags *d)
{
    return d ? d->truncated : false;
}

static const char *
severity_word(enum scn_severity s)
{
    switch (s) {
    case SCN_SEV_ERROR:
        return "error";
    case SCN_SEV_WARNING:
        return "warning";
    case SCN_SEV_NOTE:
        return "note";
    }
    return "error";
}

char *
scn_diag_format(const struct scn_diag *g, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (g->line == 0)
        snprintf(buf, len, "%s: %s: %s", g->file, severity_word(g->severity), g->message);
    else if (g->col == 0)
        snprintf(buf, len, "%s:%u: %s: %s", g->file, g->line, severity_word(g->severity),
                 g->message);
    else
        snprintf(buf, len, "%s:%u:%u: %s: %s", g->file, g->line, g->col, severity_word(g->severity),
                 g->message);
    return buf;
}

/* The gcc layout:
 *    14 | 500ms   atach-vf vm1 vf=h1.pf0.vf0
 *       |         ^~~~~~~~
 * Tabs in the source are repeated in the caret line so the caret stays aligned. */
static void
print_source(FILE *out, const struct scn_diag *g)
{
    if (g->source_line == NULL || g->line == 0)
        return;
    char gutter[16];
    int w = snprintf(gutter, sizeof gutter, "%u", g->line);
    fprintf(out, " %s | %s\n", gutter, g->source_line);
    if (g->col == 0)
        return;
    fprintf(out, " %*s | ", w, "");
    size_t n = strlen(g->source_line);
    for (size_t i = 0; i + 1 < g->col; i++)
        fputc(i < n && g->source_line[i] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    for (uint32_t i = 1; i < g->len; i++)
        fputc('~', out);
    fputc('\n', out);
}

size_t
scn_diag_print(FILE *out, const struct scn_diags *d, bool with_source)
{
    if (d == NULL)
        return 0;
    char buf[1024];
    for (size_t i = 0; i < d->count; i++) {
        fprintf(out, "%s\n", scn_diag_format(&d->items[i], buf, sizeof buf));
        if (with_source)
            print_source(out, &d->items[i]);
    }
    if (d->truncated && d->count > 0)
        fprintf(out, "%s: note: too many errors (limit %zu), stopping\n", d->items[0].file,
                d->max_errors);
    return d->count;
}

/* ---------------------------------------------------------------------------------------------
 * Did-you-mean.
 * ------------------------------------------------------------------------------------------- */
#define EDIT_MAX 64 /* words longer than this are never "misspelt" versions of each other */

unsigned
scn_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > EDIT_MAX || lb > EDIT_MAX)
        return (unsigned)(la > lb ? la : lb);
    /* Optimal string alignment: insertions, deletions, substitutions, adjacent transpositions. */
    unsigned d[EDIT_MAX + 1][EDIT_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            unsigned cost = ca == cb ? 0 : 1;
            unsigned best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *
scn_suggest(const char *word, const char *const *candidates, size_t n)
{
    if (word == NULL || *word == '\0')
        return NULL;
    size_t wl = strlen(word);
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; i < n; i++) {
        if (candidates[i] == NULL || strcmp(candidates[i], word) == 0)
            continue;
        unsigned dist = scn_edit_distance(word, candidates[i]);
        /* A distance as long as the word itself means "anything": "x" is not a typo of "vm". */
        if (dist < best_d && dist < wl && dist < strlen(candidates[i])) {
            best = candidates[i];
            best_d = dist;
        }
    }
    return best;
}
