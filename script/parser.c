/* SPDX-License-Identifier: MIT */
/*
 * parser.c — parses `.scn` lines into statements and checks them against the schema
 * (verbs.c): argument types, object names (defined before use, right kind, no duplicates),
 * time rules, and the structured `expect` / `wait-until` conditions. Every error is collected
 * (up to a limit) with its line:column; a script with any error yields no program.
 *
 * Windows counterpart: none.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script/script_int.h"

SIM_ALLOC_TAG_DEFINE(scn_parse);

/* A defined object. */
struct sym {
    const char *name;
    unsigned kind;
    uint32_t line;
    const char *host;   /* PF, SWITCH, VM: the host it belongs to (VM: its `on=`) */
    uint64_t total_vfs; /* PF */
    uint32_t stopped;   /* FLOW: line of its `flow stop`, 0 while running */
    uint64_t num_vfs;   /* PF: VFs enabled by the latest `sriov` (0 before any) */
    uint32_t num_vfs_line;
};

/* An action the parser knows `run` would refuse: an error at the end of the parse unless an
 * `expect refused` right after it says the refusal is the point. */
struct would_refuse {
    size_t stmt; /* index the statement gets in the program */
    uint32_t line, col, len;
    const char *line_src;
    char msg[256];
    bool expected;
};

struct parser {
    const char *file;
    const struct scn_parse_opts *opts;
    struct scn_program *prog;
    struct scn_diags *diags;
    bool oom;

    struct sym *syms;
    size_t n_syms, cap_syms;

    /* The line being parsed. */
    const struct scn_line *ln;
    const char *line_src; /* NUL-terminated, for diagnostics (program arena) */

    /* Time state: the previous statement's latest start (`prev`), and, after a wait-until,
     * the anchor and the offset from its completion. */
    sim_time_t prev;
    uint32_t prev_line;
    long anchor;
    uint32_t anchor_line;
    sim_time_t offset;

    uint32_t end_line;     /* line of `end`, 0 if none yet */
    uint32_t seed_line;    /* line of `seed` */
    uint32_t capture_line; /* line of the `capture start` in effect, 0 when stopped */

    struct would_refuse *refuse;
    size_t n_refuse, cap_refuse;
};

static const char *const expect_forms[] = {"flow",   "oid", "oid-sequence", "event", "pci",
                                           "switch", NULL};

/* ---------------------------------------------------------------------------------------------
 * Errors.
 * ------------------------------------------------------------------------------------------- */
static void SIM_PRINTF(4, 5)
    perr_at(struct parser *P, uint32_t col, uint32_t len, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scn__diag_add(P->diags, SCN_SEV_ERROR, P->file, P->ln->line, col, len, P->line_src, "%s", msg);
    if (P->diags->arena.oom)
        P->oom = true;
}

#define perr(P, tok, ...) perr_at((P), (tok)->col, (tok)->len, __VA_ARGS__)

static void SIM_PRINTF(4, 5)
    would_refuse(struct parser *P, uint32_t col, uint32_t len, const char *fmt, ...)
{
    if (P->n_refuse == P->cap_refuse) {
        size_t cap = P->cap_refuse ? P->cap_refuse * 2 : 8;
        struct would_refuse *n = sim_realloc(SIM_TAG(scn_parse), P->refuse, cap * sizeof *n);
        if (n == NULL) {
            P->oom = true;
            return;
        }
        P->refuse = n;
        P->cap_refuse = cap;
    }
    struct would_refuse *w = &P->refuse[P->n_refuse++];
    memset(w, 0, sizeof *w);
    w->stmt = P->prog->n;
    w->line = P->ln->line;
    w->col = col;
    w->len = len;
    w->line_src = P->line_src;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
}

/* " (did you mean 'x'?)" or "". */
static const char *
dym(char *buf, size_t len, const char *suggestion)
{
    if (suggestion == NULL)
        buf[0] = '\0';
    else
        snprintf(buf, len, " (did you mean '%s'?)", suggestion);
    return buf;
}

static void
join_words(char *buf, size_t len, const char *const *words, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && words[i] != NULL && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", words[i]);
}

static size_t
count_words(const char *const *w)
{
    size_t n = 0;
    while (w != NULL && w[n] != NULL)
        n++;
    return n;
}

/* "VM", "VM or peer", "PF, VF or VM". */
static void
kinds_text(char *buf, size_t len, unsigned kinds)
{
    const char *names[8];
    size_t n = 0;
    for (unsigned bit = 1; bit <= SCN_OBJ_POINT; bit <<= 1)
        if ((kinds & bit) && bit != SCN_OBJ_POINT)
            names[n++] = scn_obj_kind_name(bit);
    if (kinds & SCN_OBJ_POINT)
        names[n++] = "capture point";
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i == 0 ? "" : (i + 1 == n ? " or " : ", "),
                              names[i]);
}

static const char *
a_an(const char *word)
{
    return strchr("aeiouAEIOUHMPV", word[0]) && strncmp(word, "PF", 2) != 0 &&
                   strncmp(word, "VF", 2) != 0 && strncmp(word, "VM", 2) != 0 &&
                   strncmp(word, "host", 4) != 0 && strncmp(word, "peer", 4) != 0
               ? "an"
               : "a";
}

/* "usage: flow start FLOW from=NAME to=NAME [proto=udp|tcp] ..." */
static void
usage_text(char *buf, size_t len, const struct scn_verb_spec *spec)
{
    size_t o = (size_t)snprintf(buf, len, "usage: %s", scn_verb_name(spec->verb));
    if (scn_verb_sub(spec->verb) && o < len)
        o += (size_t)snprintf(buf + o, len - o, " %s", scn_verb_sub(spec->verb));
    for (size_t i = 0; i < spec->n_pos && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o,
                              (spec->pos[i].flags & SCN_P_OPTIONAL) ? " [%s]" : " %s",
                              spec->pos[i].name);
    if (spec->flags & SCN_V_CONDITION && o < len)
        o += (size_t)snprintf(buf + o, len - o, " CONDITION");
    for (size_t i = 0; i < spec->n_keys && o < len; i++) {
        const struct scn_param *k = &spec->keys[i];
        bool req = k->flags & SCN_P_REQUIRED;
        char ty[128];
        if (k->type == SCN_T_ENUM || (k->type == SCN_T_NAME && k->words != NULL)) {
            size_t t = 0;
            ty[0] = '\0';
            if (k->type == SCN_T_NAME)
                t += (size_t)snprintf(ty, sizeof ty, "NAME");
            for (size_t w = 0; k->words[w] != NULL && t < sizeof ty; w++)
                t += (size_t)snprintf(ty + t, sizeof ty - t, "%s%s", t ? "|" : "", k->words[w]);
        } else {
            snprintf(ty, sizeof ty, "%s", k->type == SCN_T_NAME ? "NAME" : scn_type_name(k->type));
        }
        o += (size_t)snprintf(buf + o, len - o, req ? " %s=%s" : " [%s=%s]", k->name, ty);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Symbols.
 * ------------------------------------------------------------------------------------------- */
static struct sym *
sym_find(struct parser *P, const char *name)
{
    for (size_t i = 0; i < P->n_syms; i++)
        if (strcmp(P->syms[i].name, name) == 0)
            return &P->syms[i];
    return NULL;
}

static struct sym *
sym_add(struct parser *P, const char *name, unsigned kind)
{
    if (P->n_syms == P->cap_syms) {
        size_t cap = P->cap_syms ? P->cap_syms * 2 : 16;
        struct sym *s = sim_realloc(SIM_TAG(scn_parse), P->syms, cap * sizeof *s);
        if (s == NULL) {
            P->oom = true;
            return NULL;
        }
        P->syms = s;
        P->cap_syms = cap;
    }
    struct sym *s = &P->syms[P->n_syms++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->kind = kind;
    s->line = P->ln->line;
    return s;
}

/* Best defined name of `kinds` close to `word` (VF names are generated from the PFs). */
static const char *
suggest_name(struct parser *P, const char *word, unsigned kinds)
{
    size_t n = 0, cap = P->n_syms + 8;
    if (kinds & SCN_OBJ_VF)
        for (size_t i = 0; i < P->n_syms; i++)
            if (P->syms[i].kind == SCN_OBJ_PF)
                cap += (size_t)P->syms[i].total_vfs;
    if (kinds & SCN_OBJ_POINT)
        cap += 2 * P->n_syms;
    const char **cand = sim_calloc(SIM_TAG(scn_parse), cap, sizeof *cand);
    if (cand == NULL) {
        P->oom = true;
        return NULL;
    }
    char **owned = NULL;
    size_t n_owned = 0;
    if (kinds & (SCN_OBJ_VF | SCN_OBJ_POINT)) {
        owned = sim_calloc(SIM_TAG(scn_parse), cap, sizeof *owned);
        if (owned == NULL) {
            sim_free(cand);
            P->oom = true;
            return NULL;
        }
    }
    for (size_t i = 0; i < P->n_syms && n < cap; i++) {
        const struct sym *s = &P->syms[i];
        if (s->kind & kinds)
            cand[n++] = s->name;
        if ((kinds & SCN_OBJ_VF) && s->kind == SCN_OBJ_PF) {
            for (uint64_t v = 0; v < s->total_vfs && n < cap; v++) {
                char buf[160];
                snprintf(buf, sizeof buf, "%s.vf%u", s->name, (unsigned)v);
                char *d = sim_strdup(SIM_TAG(scn_parse), buf);
                if (d == NULL) {
                    P->oom = true;
                    break;
                }
                owned[n_owned++] = d;
                cand[n++] = d;
            }
        }
        if ((kinds & SCN_OBJ_POINT) && s->kind == SCN_OBJ_VM) {
            static const char *const sfx[] = {"synthetic", "vf"};
            for (int k = 0; k < 2 && n < cap; k++) {
                char buf[160];
                snprintf(buf, sizeof buf, "%s.%s", s->name, sfx[k]);
                char *d = sim_strdup(SIM_TAG(scn_parse), buf);
                if (d == NULL) {
                    P->oom = true;
                    break;
                }
                owned[n_owned++] = d;
                cand[n++] = d;
            }
        }
    }
    const char *best = scn_suggest(word, cand, n);
    const char *result = NULL;
    if (best != NULL) /* copy out of the candidate list before it is freed */
        result = scn__arena_strndup(&P->prog->arena, best, strlen(best));
    for (size_t i = 0; i < n_owned; i++)
        sim_free(owned[i]);
    sim_free(owned);
    sim_free(cand);
    return result;
}

/* Split "h1.pf0.vf3" into the PF "h1.pf0" and index 3; false if not of that shape. */
static bool
split_vf(const char *name, char *pf, size_t pf_len, uint64_t *index)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name || strncmp(dot + 1, "vf", 2) != 0 || dot[3] == '\0')
        return false;
    uint64_t v = 0;
    for (const char *p = dot + 3; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 100000)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if ((size_t)(dot - name) >= pf_len)
        return false;
    memcpy(pf, name, (size_t)(dot - name));
    pf[dot - name] = '\0';
    *index = v;
    return true;
}

/* Resolve a reference; reports an error and returns 0 if it does not name an object of `kinds`.
 * Returns the kind found (one bit). *out gets the symbol (NULL for VFs and points). */
static unsigned
resolve(struct parser *P, const struct scn_tok *t, const char *name, unsigned kinds,
        struct sym **out)
{
    char want[96], sug[160];
    if (out)
        *out = NULL;
    kinds_text(want, sizeof want, kinds);
    struct sym *s = sym_find(P, name);
    if (s != NULL) {
        if (s->kind & kinds) {
            if (out)
                *out = s;
            return s->kind;
        }
        if ((kinds & SCN_OBJ_POINT) == 0 || (s->kind & (SCN_OBJ_FLOW)) != 0) {
            perr(P, t, "'%s' is %s %s (line %u), expected %s %s", name,
                 a_an(scn_obj_kind_name(s->kind)), scn_obj_kind_name(s->kind), s->line, a_an(want),
                 want);
            return 0;
        }
    }
    char pf[128];
    uint64_t idx;
    if (!(kinds & SCN_OBJ_VF) && split_vf(name, pf, sizeof pf, &idx)) {
        struct sym *p = sym_find(P, pf);
        if (p != NULL && p->kind == SCN_OBJ_PF && idx < p->total_vfs) {
            perr(P, t, "'%s' is a VF, expected %s %s", name, a_an(want), want);
            return 0;
        }
    }
    if ((kinds & SCN_OBJ_VF) && split_vf(name, pf, sizeof pf, &idx)) {
        struct sym *p = sym_find(P, pf);
        if (p != NULL && p->kind == SCN_OBJ_PF) {
            if (idx < p->total_vfs)
                return SCN_OBJ_VF;
            perr(P, t, "no VF '%s': %s has total_vfs=%u (VFs vf0 to vf%u)", name, pf,
                 (unsigned)p->total_vfs, (unsigned)p->total_vfs - 1);
            return 0;
        }
        if (p == NULL) {
            perr(P, t, "unknown VF '%s': no PF '%s'%s", name, pf,
                 dym(sug, sizeof sug, suggest_name(P, pf, SCN_OBJ_PF)));
            return 0;
        }
    }
    if (kinds & SCN_OBJ_POINT) {
        const char *dot = strrchr(name, '.');
        if (dot != NULL && (strcmp(dot + 1, "synthetic") == 0 || strcmp(dot + 1, "vf") == 0)) {
            char vm[128];
            size_t n = (size_t)(dot - name);
            if (n < sizeof vm) {
                memcpy(vm, name, n);
                vm[n] = '\0';
                struct sym *v = sym_find(P, vm);
                if (v != NULL && v->kind == SCN_OBJ_VM)
                    return SCN_OBJ_POINT;
                perr(P, t, "unknown capture point '%s': no VM '%s'%s", name, vm,
                     dym(sug, sizeof sug, suggest_name(P, vm, SCN_OBJ_VM)));
                return 0;
            }
        }
        if (s != NULL) {
            if (out)
                *out = s;
            return s->kind;
        }
    }
    perr(P, t, "unknown %s '%s'%s", want, name, dym(sug, sizeof sug, suggest_name(P, name, kinds)));
    return 0;
}

static bool
is_reserved(const char *name)
{
    for (size_t i = 0; expect_forms[i] != NULL; i++)
        if (strcmp(expect_forms[i], name) == 0)
            return true;
    return strcmp(name, "none") == 0 || strcmp(name, "auto") == 0 ||
           strcmp(name, "contiguous") == 0;
}

/* Define a new object named by token t. */
static struct sym *
define(struct parser *P, const struct scn_tok *t, const char *name, unsigned kind)
{
    char sug[160];
    struct sym *old = sym_find(P, name);
    if (old != NULL) {
        perr(P, t, "duplicate definition of '%s' (first defined at line %u as %s %s)", name,
             old->line, a_an(scn_obj_kind_name(old->kind)), scn_obj_kind_name(old->kind));
        return NULL;
    }
    const char *dot = strchr(name, '.');
    const char *host = NULL;
    if (kind == SCN_OBJ_PF || kind == SCN_OBJ_SWITCH) {
        const char *ex = kind == SCN_OBJ_PF ? "h1.pf0" : "h1.sw0";
        if (dot == NULL || strchr(dot + 1, '.') != NULL) {
            perr(P, t, "%s %s is named HOST.NAME, e.g. %s", a_an(scn_obj_kind_name(kind)),
                 scn_obj_kind_name(kind), ex);
            return NULL;
        }
        char h[128];
        size_t n = (size_t)(dot - name);
        if (n >= sizeof h)
            n = sizeof h - 1;
        memcpy(h, name, n);
        h[n] = '\0';
        struct sym *hs = sym_find(P, h);
        if (hs == NULL || hs->kind != SCN_OBJ_HOST) {
            perr(P, t, "no host '%s' for %s '%s'%s", h, scn_obj_kind_name(kind), name,
                 dym(sug, sizeof sug, suggest_name(P, h, SCN_OBJ_HOST)));
            return NULL;
        }
        host = hs->name;
        if (kind == SCN_OBJ_PF) {
            char pfx[160];
            uint64_t idx;
            snprintf(pfx, sizeof pfx, "%s.x", name);
            (void)pfx;
            if (split_vf(name, pfx, sizeof pfx, &idx)) {
                perr(P, t, "'%s' looks like a VF name; name the PF something else, e.g. %s.pf0",
                     name, h);
                return NULL;
            }
        }
    } else if (dot != NULL) {
        perr(P, t, "%s %s name is one word without '.', e.g. %s", a_an(scn_obj_kind_name(kind)),
             scn_obj_kind_name(kind),
             kind == SCN_OBJ_HOST   ? "h1"
             : kind == SCN_OBJ_VM   ? "vm1"
             : kind == SCN_OBJ_PEER ? "ext1"
                                    : "f1");
        return NULL;
    } else if (is_reserved(name)) {
        perr(P, t, "'%s' is a reserved word and cannot name %s %s", name,
             a_an(scn_obj_kind_name(kind)), scn_obj_kind_name(kind));
        return NULL;
    }
    struct sym *s = sym_add(P, name, kind);
    if (s != NULL)
        s->host = host;
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Values.
 * ------------------------------------------------------------------------------------------- */
static bool
check_ident(struct parser *P, const struct scn_tok *t, enum scn_ident kind, const char *name)
{
    const struct scn_parse_opts *o = P->opts;
    if (o == NULL || o->is_known == NULL || o->is_known(o->ctx, kind, name))
        return true;
    char sug[160];
    const char *s = o->suggest ? o->suggest(o->ctx, kind, name) : NULL;
    perr(P, t, "unknown %s '%s'%s", kind == SCN_IDENT_OID ? "OID" : "status", name,
         dym(sug, sizeof sug, s));
    return false;
}

/* Convert one token to a typed value. `what` names the slot in messages ("key 'rate'",
 * "VM"). Returns false after reporting an error. Names are not resolved here. */
static bool
convert_tok(struct parser *P, const struct scn_tok *t, enum scn_type type, const char *const *words,
            uint64_t min, uint64_t max, const char *what, struct scn_value *out)
{
    char why[256], sug[160];
    memset(out, 0, sizeof *out);
    if (t->kind == SCN_TOK_STRING && type != SCN_T_STRING && type != SCN_T_WORD) {
        perr(P, t, "%s takes %s %s, not a quoted string", what, a_an(scn_type_name(type)),
             scn_type_name(type));
        return false;
    }
    if (t->kind != SCN_TOK_STRING && t->kind != SCN_TOK_WORD) {
        perr(P, t, "expected a value for %s, found '%s'", what, t->text);
        return false;
    }
    int rc = scn__value_convert(type, t->text, words, out, why, sizeof why);
    out->line = t->line;
    out->col = t->col;
    if (rc < 0) {
        if (type == SCN_T_ENUM || (type == SCN_T_NAME && words != NULL && !isalpha(t->text[0]))) {
            perr(P, t, "invalid value '%s' for %s%s; %s", t->text, what,
                 dym(sug, sizeof sug, scn_suggest(t->text, words, count_words(words))), why);
        } else if (type == SCN_T_BOOL) {
            perr(P, t, "invalid value '%s' for %s%s; %s", t->text, what,
                 dym(sug, sizeof sug, scn_suggest(t->text, scn__bool_words, 6)), why);
        } else {
            perr(P, t, "invalid %s '%s' for %s: %s", scn_type_name(type), t->text, what, why);
        }
        return false;
    }
    if ((type == SCN_T_INT || type == SCN_T_HEX || type == SCN_T_SIZE) && max != 0 &&
        (out->v.u < min || out->v.u > max)) {
        perr(P, t, "%s=%s is out of range (%llu to %llu)", what, t->text, (unsigned long long)min,
             (unsigned long long)max);
        return false;
    }
    if (type == SCN_T_OID && !check_ident(P, t, SCN_IDENT_OID, t->text))
        return false;
    if (type == SCN_T_STATUS && !check_ident(P, t, SCN_IDENT_STATUS, t->text))
        return false;
    return true;
}

/* A value group: tokens first, first+2, ... (commas in between), n of them. */
struct group {
    const struct scn_tok *key; /* NULL for a positional */
    size_t first, n;
};

/* Convert a group for a schema parameter: lists, names resolved (or defined). */
static bool
convert_param(struct parser *P, const struct scn_tok *toks, const struct group *g,
              const struct scn_param *prm, const char *what, struct scn_value *out)
{
    if (g->n > 1 && !(prm->flags & SCN_P_LIST)) {
        perr(P, &toks[g->first + 1], "%s takes one value, not a list", what);
        return false;
    }
    struct scn_value *items = NULL;
    if (g->n > 1) {
        items = scn__arena_alloc(&P->prog->arena, g->n * sizeof *items);
        if (items == NULL) {
            P->oom = true;
            return false;
        }
    }
    bool ok = true;
    for (size_t k = 0; k < g->n; k++) {
        const struct scn_tok *t = &toks[g->first + 2 * k];
        struct scn_value v;
        if (!convert_tok(P, t, prm->type, prm->words, prm->min, prm->max, what, &v)) {
            ok = false;
            continue;
        }
        if (prm->type == SCN_T_NAME && !v.is_word && !(prm->flags & SCN_P_DEFINES)) {
            if (resolve(P, t, v.v.str, prm->kinds, NULL) == 0)
                ok = false;
        }
        if (items != NULL)
            items[k] = v;
        else
            *out = v;
    }
    if (ok && items != NULL) {
        *out = items[0];
        out->items = items;
        out->n_items = g->n;
    }
    return ok;
}

/* ---------------------------------------------------------------------------------------------
 * Line structure: items and groups.
 * ------------------------------------------------------------------------------------------- */
/* Read a value group starting at toks[i]; returns the index after it, or 0 after an error. */
static size_t
read_group(struct parser *P, const struct scn_tok *toks, size_t n, size_t i, struct group *g)
{
    g->first = i;
    g->n = 1;
    size_t j = i + 1;
    while (j < n && toks[j].kind == SCN_TOK_COMMA) {
        if (j + 1 >= n ||
            (toks[j + 1].kind != SCN_TOK_WORD && toks[j + 1].kind != SCN_TOK_STRING)) {
            perr(P, &toks[j], "expected a value after ','");
            return 0;
        }
        g->n++;
        j += 2;
    }
    return j;
}

static const struct scn_param *
find_param(const struct scn_param *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}

/* Key names of a schema for suggestions. */
static const char *
suggest_key(const char *word, const struct scn_param *params, size_t n,
            const struct scn_param *extra, size_t n_extra)
{
    const char *cand[48];
    size_t c = 0;
    for (size_t i = 0; i < n && c < SIM_ARRAY_SIZE(cand); i++)
        cand[c++] = params[i].name;
    for (size_t i = 0; i < n_extra && c < SIM_ARRAY_SIZE(cand); i++)
        cand[c++] = extra[i].name;
    return scn_suggest(word, cand, c);
}

/* Process key=value groups against params (+ extra), appending typed args to `args`. */
static void
check_keys(struct parser *P, const struct scn_verb_spec *spec, const struct scn_tok *toks,
           const struct group *keys, size_t n_keys, const struct scn_param *params, size_t n_params,
           struct scn_arg *args, size_t *n_args, bool open_keys)
{
    char what[96], sug[160], use[512];
    for (size_t k = 0; k < n_keys; k++) {
        const struct scn_tok *kt = keys[k].key;
        for (size_t j = 0; j < k; j++) {
            if (strcmp(keys[j].key->text, kt->text) == 0) {
                perr(P, kt, "key '%s' given twice (first at column %u)", kt->text,
                     keys[j].key->col);
                goto next;
            }
        }
        const struct scn_param *prm = find_param(params, n_params, kt->text);
        struct scn_arg *a = &args[*n_args];
        memset(a, 0, sizeof *a);
        a->key = kt->text;
        a->line = kt->line;
        a->col = kt->col;
        snprintf(what, sizeof what, "key '%s'", kt->text);
        if (prm == NULL) {
            if (open_keys) {
                struct scn_param raw = {kt->text, SCN_T_WORD, SCN_P_LIST, 0, NULL, NULL, 0, 0, ""};
                if (convert_param(P, toks, &keys[k], &raw, what, &a->value))
                    (*n_args)++;
                goto next;
            }
            usage_text(use, sizeof use, spec);
            perr(P, kt, "unknown key '%s' for '%s%s%s'%s; %s", kt->text, scn_verb_name(spec->verb),
                 scn_verb_sub(spec->verb) ? " " : "",
                 scn_verb_sub(spec->verb) ? scn_verb_sub(spec->verb) : "",
                 dym(sug, sizeof sug, suggest_key(kt->text, params, n_params, NULL, 0)), use);
            goto next;
        }
        a->key = prm->name;
        if (convert_param(P, toks, &keys[k], prm, what, &a->value))
            (*n_args)++;
    next:;
    }
}

/* Append defaults for keys not given; report missing required keys. */
static void
finish_keys(struct parser *P, const struct scn_verb_spec *spec, const struct scn_tok *verb_tok,
            const struct group *keys, size_t n_keys, const struct scn_param *params,
            size_t n_params, struct scn_arg *args, size_t *n_args)
{
    char use[512], why[256];
    for (size_t i = 0; i < n_params; i++) {
        const struct scn_param *prm = &params[i];
        bool given = false;
        for (size_t k = 0; k < n_keys && !given; k++)
            given = strcmp(keys[k].key->text, prm->name) == 0;
        if (given)
            continue;
        if (prm->flags & SCN_P_REQUIRED) {
            usage_text(use, sizeof use, spec);
            perr(P, verb_tok, "missing required key '%s=' (%s)", prm->name, use);
            continue;
        }
        if (prm->def == NULL)
            continue;
        struct scn_arg *a = &args[*n_args];
        memset(a, 0, sizeof *a);
        a->key = prm->name;
        a->is_default = true;
        a->line = verb_tok->line;
        a->col = verb_tok->col;
        if (scn__value_convert(prm->type, prm->def, prm->words, &a->value, why, sizeof why) < 0) {
            perr(P, verb_tok, "internal: bad default '%s' for key '%s': %s", prm->def, prm->name,
                 why);
            continue;
        }
        a->value.line = verb_tok->line;
        a->value.col = verb_tok->col;
        (*n_args)++;
    }
}

/* Split the tokens from `i` into positional groups and key groups. Returns false on a
 * structural error (reported). */
static bool
split_items(struct parser *P, const struct scn_tok *toks, size_t n, size_t i, struct group *pos,
            size_t *n_pos, struct group *keys, size_t *n_keys, bool allow_pos_after_keys)
{
    *n_pos = *n_keys = 0;
    bool ok = true;
    while (i < n) {
        const struct scn_tok *t = &toks[i];
        if (t->kind == SCN_TOK_WORD && i + 1 < n && toks[i + 1].kind == SCN_TOK_OP &&
            toks[i + 1].op == SCN_OP_NONE) {
            if (toks[i + 1].space_before || (i + 2 < n && toks[i + 2].space_before)) {
                perr(P, &toks[i + 1], "unexpected '=': write key=value without spaces");
                return false;
            }
            if (i + 2 >= n ||
                (toks[i + 2].kind != SCN_TOK_WORD && toks[i + 2].kind != SCN_TOK_STRING)) {
                perr(P, &toks[i + 1], "missing value after '%s='", t->text);
                return false;
            }
            struct group g = {.key = t};
            size_t j = read_group(P, toks, n, i + 2, &g);
            if (j == 0)
                return false;
            keys[(*n_keys)++] = g;
            i = j;
            continue;
        }
        switch (t->kind) {
        case SCN_TOK_OP:
            if (t->op == SCN_OP_NONE)
                perr(P, t, "unexpected '=' (a key=value option needs a key name before '=')");
            else
                perr(P, t, "unexpected '%s': comparisons belong in 'expect' or 'wait-until'",
                     t->text);
            return false;
        case SCN_TOK_TILDE:
            perr(P, t, "unexpected '~': a time range (2s~2.1s) belongs at the start of the line");
            return false;
        case SCN_TOK_COMMA:
            perr(P, t, "unexpected ','");
            return false;
        case SCN_TOK_WORD:
        case SCN_TOK_STRING:
            break;
        }
        if (*n_keys > 0 && !allow_pos_after_keys) {
            perr(P, t, "argument '%s' after key=value options: put positional arguments first",
                 t->text);
            ok = false;
        }
        struct group g = {.key = NULL};
        size_t j = read_group(P, toks, n, i, &g);
        if (j == 0)
            return false;
        pos[(*n_pos)++] = g;
        i = j;
    }
    return ok;
}

/* ---------------------------------------------------------------------------------------------
 * Generic verbs.
 * ------------------------------------------------------------------------------------------- */
static void
check_verb_rules(struct parser *P, const struct scn_verb_spec *spec, struct scn_stmt *st,
                 const struct scn_tok *toks, const struct group *pg, size_t n_pg)
{
    const struct scn_value *v;
    char sug[160];
    (void)sug;
    /* Values the simulator does not support (the table in verbs.c). */
    size_t n_lim;
    const struct scn_limit *lim = scn__limits(&n_lim);
    for (size_t k = 0; k < n_lim; k++) {
        if (lim[k].verb != spec->verb || (v = scn_stmt_value(st, lim[k].key)) == NULL)
            continue;
        if (lim[k].when_key != NULL) {
            const struct scn_value *w = scn_stmt_value(st, lim[k].when_key);
            if (w == NULL || strcmp(w->v.str, lim[k].when_word) != 0)
                continue;
        }
        uint64_t x = v->type == SCN_T_BDF ? v->v.bdf.domain : v->v.u;
        if (x >= lim[k].lo && x <= lim[k].hi)
            continue;
        const struct scn_arg *a = scn_stmt_arg(st, lim[k].key);
        char range[64], when[64] = "";
        if (lim[k].when_key != NULL)
            snprintf(when, sizeof when, " with %s=%s", lim[k].when_key, lim[k].when_word);
        if (v->type == SCN_T_BDF)
            snprintf(range, sizeof range, "domain %04llx only", (unsigned long long)lim[k].lo);
        else if (lim[k].lo == lim[k].hi)
            snprintf(range, sizeof range, "%#llx only", (unsigned long long)lim[k].lo);
        else
            snprintf(range, sizeof range, "%llu to %llu", (unsigned long long)lim[k].lo,
                     (unsigned long long)lim[k].hi);
        perr_at(P, a != NULL && !a->is_default ? a->col : st->col,
                a != NULL && !a->is_default ? (uint32_t)(strlen(lim[k].key) + 1 + strlen(v->text))
                                            : 1,
                "%s=%s is not supported by the simulator (%s%s): %s", lim[k].key, v->text, range,
                when, lim[k].why);
    }
    switch (spec->verb) {
    case SCN_VERB_ATTACH_VF: {
        /* A VF the latest `sriov` did not enable: run refuses the attach. */
        v = scn_stmt_value(st, "vf");
        char pfn[128];
        uint64_t idx;
        if (v != NULL && !v->is_word && split_vf(v->v.str, pfn, sizeof pfn, &idx)) {
            struct sym *pf = sym_find(P, pfn);
            if (pf != NULL && pf->kind == SCN_OBJ_PF && idx >= pf->num_vfs) {
                char at[40] = ", no 'sriov' yet";
                if (pf->num_vfs_line)
                    snprintf(at, sizeof at, " at line %u", pf->num_vfs_line);
                would_refuse(P, v->col, (uint32_t)strlen(v->text),
                             "%s is not enabled (sriov %s num_vfs=%llu%s): run refuses this "
                             "attach; write 'expect refused' after it if that is the point",
                             v->v.str, pf->name, (unsigned long long)pf->num_vfs, at);
            }
        }
        break;
    }
    case SCN_VERB_PF: {
        struct sym *s = n_pg > 0 && st->n_pos > 0 ? sym_find(P, st->pos[0].v.str) : NULL;
        v = scn_stmt_value(st, "total_vfs");
        if (s != NULL && s->kind == SCN_OBJ_PF && v != NULL)
            s->total_vfs = v->v.u;
        break;
    }
    case SCN_VERB_SRIOV: {
        v = scn_stmt_value(st, "num_vfs");
        struct sym *s = st->n_pos > 0 ? sym_find(P, st->pos[0].v.str) : NULL;
        if (v != NULL && s != NULL && s->kind == SCN_OBJ_PF && v->v.u > s->total_vfs)
            perr_at(P, v->col, (uint32_t)strlen(v->text),
                    "num_vfs=%llu exceeds total_vfs=%llu of %s", (unsigned long long)v->v.u,
                    (unsigned long long)s->total_vfs, s->name);
        if (v != NULL && s != NULL && s->kind == SCN_OBJ_PF) {
            s->num_vfs = v->v.u;
            s->num_vfs_line = P->ln->line;
        }
        break;
    }
    case SCN_VERB_VSWITCH: {
        v = scn_stmt_value(st, "uplink");
        struct sym *sw = st->n_pos > 0 ? sym_find(P, st->pos[0].v.str) : NULL;
        struct sym *pf = v != NULL ? sym_find(P, v->v.str) : NULL;
        if (sw != NULL && pf != NULL && pf->kind == SCN_OBJ_PF && sw->kind == SCN_OBJ_SWITCH &&
            strcmp(sw->host, pf->host) != 0)
            perr_at(P, v->col, (uint32_t)strlen(v->text),
                    "uplink %s is on host %s, but switch %s is on host %s", pf->name, pf->host,
                    sw->name, sw->host);
        break;
    }
    case SCN_VERB_VM: {
        const struct scn_value *on = scn_stmt_value(st, "on");
        v = scn_stmt_value(st, "switch");
        struct sym *sw = v != NULL ? sym_find(P, v->v.str) : NULL;
        struct sym *vm = st->n_pos > 0 ? sym_find(P, st->pos[0].v.str) : NULL;
        if (on != NULL && sw != NULL && sw->kind == SCN_OBJ_SWITCH && strcmp(sw->host, on->v.str))
            perr_at(P, v->col, (uint32_t)strlen(v->text),
                    "switch %s is on host %s, but the VM runs on host %s", sw->name, sw->host,
                    on->v.str);
        if (vm != NULL && vm->kind == SCN_OBJ_VM && on != NULL)
            vm->host = on->v.str;
        break;
    }
    case SCN_VERB_CAPTURE_START: {
        /* The BPF filter, compiled by the caller's hook (the language has no libpcap). */
        v = scn_stmt_value(st, "filter");
        char why[256] = "";
        if (v != NULL && P->opts != NULL && P->opts->check_filter != NULL &&
            !P->opts->check_filter(P->opts->ctx, v->v.str, why, sizeof why)) {
            const struct scn_arg *a = scn_stmt_arg(st, "filter");
            perr_at(P, a != NULL ? a->col : st->col, a != NULL ? 7 : 1,
                    "invalid BPF filter \"%s\": %s", v->v.str, why[0] ? why : "does not compile");
        }
        break;
    }
    case SCN_VERB_LINK:
        if (st->n_pos == 2 && strcmp(st->pos[0].v.str, st->pos[1].v.str) == 0)
            perr(P, &toks[pg[1].first], "a link joins two different switches");
        break;
    case SCN_VERB_FLOW_START: {
        const struct scn_value *from = scn_stmt_value(st, "from"), *to = scn_stmt_value(st, "to");
        if (from != NULL && to != NULL && strcmp(from->v.str, to->v.str) == 0)
            perr_at(P, to->col, (uint32_t)strlen(to->text),
                    "a flow needs two different endpoints (from=%s to=%s)", from->v.str, to->v.str);
        break;
    }
    case SCN_VERB_FLOW_STOP: {
        struct sym *f = st->n_pos > 0 ? sym_find(P, st->pos[0].v.str) : NULL;
        if (f != NULL && f->kind == SCN_OBJ_FLOW) {
            if (f->stopped)
                perr(P, &toks[pg[0].first], "flow %s was already stopped at line %u", f->name,
                     f->stopped);
            else
                f->stopped = P->ln->line;
        }
        break;
    }
    default:
        break;
    }
}

static bool
parse_generic(struct parser *P, const struct scn_verb_spec *spec, const struct scn_tok *toks,
              size_t n, size_t i, const struct scn_tok *verb_tok, struct scn_stmt *st)
{
    char use[512], what[96], buf[512];
    struct group *pg = sim_calloc(SIM_TAG(scn_parse), n + 1, sizeof *pg);
    struct group *kg = sim_calloc(SIM_TAG(scn_parse), n + 1, sizeof *kg);
    if (pg == NULL || kg == NULL) {
        P->oom = true;
        goto out;
    }
    size_t n_pg, n_kg;
    if (!split_items(P, toks, n, i, pg, &n_pg, kg, &n_kg, false))
        goto out;

    /* Positional arguments. */
    struct scn_value *pos = scn__arena_alloc(&P->prog->arena, (spec->n_pos + 1) * sizeof *pos);
    struct scn_arg *args =
        scn__arena_alloc(&P->prog->arena, (n_kg + spec->n_keys + 1) * sizeof *args);
    if (pos == NULL || args == NULL) {
        P->oom = true;
        goto out;
    }
    st->pos = pos;
    st->args = args;
    size_t np = 0;
    bool pos_ok = true;
    for (size_t k = 0; k < spec->n_pos || k < n_pg; k++) {
        if (k >= spec->n_pos) {
            usage_text(use, sizeof use, spec);
            perr(P, &toks[pg[k].first], "unexpected argument '%s' (%s)", toks[pg[k].first].text,
                 use);
            pos_ok = false;
            break;
        }
        const struct scn_param *prm = &spec->pos[k];
        if (k >= n_pg) {
            if (prm->flags & SCN_P_OPTIONAL)
                break;
            const struct scn_tok *last = &toks[n - 1];
            usage_text(use, sizeof use, spec);
            perr_at(P, last->col + last->len, 1, "missing %s (%s)", prm->name, use);
            pos_ok = false;
            break;
        }
        snprintf(what, sizeof what, "%s", prm->name);
        if (!convert_param(P, toks, &pg[k], prm, what, &pos[np])) {
            pos_ok = false;
            continue;
        }
        if (prm->flags & SCN_P_DEFINES) {
            if (define(P, &toks[pg[k].first], pos[np].v.str, prm->kinds) == NULL) {
                pos_ok = false;
                continue;
            }
        }
        np++;
    }
    st->n_pos = np;

    /* Keys. */
    size_t na = 0;
    check_keys(P, spec, toks, kg, n_kg, spec->keys, spec->n_keys, args, &na,
               spec->flags & SCN_V_OPEN_KEYS);
    finish_keys(P, spec, verb_tok, kg, n_kg, spec->keys, spec->n_keys, args, &na);
    st->n_args = na;
    if ((spec->flags & SCN_V_NEED_KEY) && n_kg == 0) {
        const char *names[32];
        size_t c = 0;
        for (size_t k = 0; k < spec->n_keys && c < 32; k++)
            names[c++] = spec->keys[k].name;
        join_words(buf, sizeof buf, names, c);
        perr(P, verb_tok, "'%s' needs at least one key=value: %s", scn_verb_name(spec->verb), buf);
    }
    if (pos_ok)
        check_verb_rules(P, spec, st, toks, pg, n_pg);
out:
    sim_free(pg);
    sim_free(kg);
    return !P->oom;
}

/* ---------------------------------------------------------------------------------------------
 * Conditions (expect / wait-until).
 * ------------------------------------------------------------------------------------------- */
static const struct scn_field_spec *
find_field(const struct scn_field_spec *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

static const char *
suggest_field(const char *word, const struct scn_field_spec *f, size_t n)
{
    const char *cand[32];
    size_t c = 0;
    for (size_t i = 0; i < n && c < 32; i++)
        cand[c++] = f[i].name;
    return scn_suggest(word, cand, c);
}

static void
field_list(char *buf, size_t len, const struct scn_field_spec *f, size_t n, unsigned kind)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        if (kind == 0 || (f[i].kinds & kind))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", f[i].name);
}

/* Parse "OP VALUE" (or "contiguous") at toks[*i] for a field; fills e->op / e->value. */
static bool
parse_comparison(struct parser *P, const struct scn_tok *toks, size_t n, size_t *i,
                 const struct scn_field_spec *f, const char *field_text, struct scn_expect *e)
{
    char what[96];
    const struct scn_tok *prev = &toks[*i - 1];
    if (*i >= n) {
        if (f->id == SCN_FLOW_SEQ && f->type == SCN_T_WORD)
            perr_at(P, prev->col + prev->len, 1,
                    "missing 'contiguous': expect flow F.seq contiguous");
        else
            perr_at(P, prev->col + prev->len, 1,
                    "missing comparison after '%s' (one of == != < <= > >=)", field_text);
        return false;
    }
    const struct scn_tok *t = &toks[*i];
    bool is_seq = f->type == SCN_T_WORD && f->id == SCN_FLOW_SEQ;
    if (is_seq || (t->kind == SCN_TOK_WORD && strcmp(t->text, "contiguous") == 0)) {
        if (!is_seq) {
            perr(P, t, "'contiguous' applies only to flow F.seq");
            return false;
        }
        if (t->kind != SCN_TOK_WORD || strcmp(t->text, "contiguous") != 0) {
            perr(P, t, "'seq' is checked with 'contiguous': expect flow F.seq contiguous");
            return false;
        }
        e->op = SCN_OP_CONTIGUOUS;
        (*i)++;
        return true;
    }
    if (t->kind != SCN_TOK_OP) {
        perr(P, t, "expected a comparison (== != < <= > >=) after '%s', found '%s'", field_text,
             t->text);
        return false;
    }
    if (t->op == SCN_OP_NONE) {
        perr(P, t, "use '==' to compare ('=' is for key=value options)");
        return false;
    }
    if (!f->ordered && t->op != SCN_OP_EQ && t->op != SCN_OP_NE) {
        perr(P, t, "'%s' does not apply to %s (use == or !=)", t->text, field_text);
        return false;
    }
    e->op = t->op;
    (*i)++;
    if (*i >= n || (toks[*i].kind != SCN_TOK_WORD && toks[*i].kind != SCN_TOK_STRING)) {
        perr_at(P, t->col + t->len, 1, "missing value after '%s'", t->text);
        return false;
    }
    const struct scn_tok *vt = &toks[*i];
    (*i)++;
    if (*i < n && toks[*i].kind == SCN_TOK_COMMA) {
        perr(P, &toks[*i], "a comparison takes one value, not a list");
        return false;
    }
    snprintf(what, sizeof what, "%s", field_text);
    if (!convert_tok(P, vt, f->type, f->words, 0, 0, what, &e->value))
        return false;
    if (f->type == SCN_T_NAME && !e->value.is_word &&
        resolve(P, vt, e->value.v.str, f->name_kinds, NULL) == 0)
        return false;
    return true;
}

static const struct scn_param p_exact = {
    "exact", SCN_T_BOOL, 0, 0, NULL, "false", 0, 0, "no other OID may interleave"};

static bool
parse_condition(struct parser *P, const struct scn_verb_spec *spec, const struct scn_tok *toks,
                size_t n, size_t i, const struct scn_tok *verb_tok, struct scn_stmt *st)
{
    char sug[160], list[512], what[96];
    struct scn_expect *e = scn__arena_alloc(&P->prog->arena, sizeof *e);
    struct group *pg = sim_calloc(SIM_TAG(scn_parse), n + 1, sizeof *pg);
    struct group *kg = sim_calloc(SIM_TAG(scn_parse), n + 1, sizeof *kg);
    struct scn_arg *args = scn__arena_alloc(&P->prog->arena, (n + spec->n_keys + 2) * sizeof *args);
    if (e == NULL || pg == NULL || kg == NULL || args == NULL) {
        P->oom = true;
        goto out;
    }
    e->field_id = -1;
    st->args = args;
    if (i >= n) {
        perr_at(P, verb_tok->col + verb_tok->len, 1,
                "'%s' needs a condition, e.g. vm1.datapath == vf", scn_verb_name(spec->verb));
        goto out;
    }
    const struct scn_tok *t0 = &toks[i];
    if (t0->kind != SCN_TOK_WORD) {
        perr(P, t0, "expected a condition, e.g. vm1.datapath == vf");
        goto out;
    }
    i++;
    const char *form = t0->text;
    struct scn_param extra[8];
    size_t n_extra = 0;
    for (size_t k = 0; k < spec->n_keys && n_extra < 7; k++)
        extra[n_extra++] = spec->keys[k];

    bool refused = strcmp(form, "refused") == 0;
    if (refused) {
        /* expect refused ["TEXT"]: the previous action (the last statement that is not an
         * expect, wait, wait-until, seed or end) was refused by the simulator. */
        e->kind = SCN_EXPECT_REFUSED;
        e->subject = "";
        if (spec->verb != SCN_VERB_EXPECT) {
            perr(P, t0,
                 "'%s refused' cannot wait: a refusal is known when its action runs; write "
                 "'expect refused' right after the action",
                 scn_verb_name(spec->verb));
            goto out;
        }
        long act = -1;
        for (size_t k = P->prog->n; k-- > 0;) {
            enum scn_verb v = P->prog->stmts[k].verb;
            if (v != SCN_VERB_EXPECT && v != SCN_VERB_WAIT && v != SCN_VERB_WAIT_UNTIL &&
                v != SCN_VERB_SEED && v != SCN_VERB_END) {
                act = (long)k;
                break;
            }
        }
        if (act < 0) {
            perr(P, t0,
                 "'expect refused' needs an action before it (the statement it expects to be "
                 "refused, e.g. attach-vf)");
            goto out;
        }
        e->field_param = act;
        e->subject = P->prog->stmts[act].text;
        for (size_t k = 0; k < P->n_refuse; k++)
            if (P->refuse[k].stmt == (size_t)act)
                P->refuse[k].expected = true;
        if (i < n &&
            (toks[i].kind == SCN_TOK_STRING ||
             (toks[i].kind == SCN_TOK_WORD && (i + 1 >= n || toks[i + 1].kind != SCN_TOK_OP)))) {
            e->value.type = SCN_T_STRING;
            e->value.line = P->ln->line;
            e->value.col = toks[i].col;
            e->value.text = toks[i].text;
            e->value.v.str = toks[i].text;
            i++;
        }
    } else if (strcmp(form, "flow") == 0 || strcmp(form, "pci") == 0 || strcmp(form, "oid") == 0 ||
               strcmp(form, "oid-sequence") == 0 || strcmp(form, "event") == 0 ||
               strcmp(form, "switch") == 0) {
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            const struct scn_tok *at = i < n ? &toks[i] : NULL;
            const char *need = strcmp(form, "flow") == 0 ? "FLOW.FIELD, e.g. f1.lost"
                               : strcmp(form, "event") == 0
                                   ? "a subject and an event, e.g. vm1 vf-removed"
                                   : "an adapter or function, e.g. h1.pf0";
            if (at)
                perr(P, at, "'expect %s' needs %s", form, need);
            else
                perr_at(P, t0->col + t0->len, 1, "'expect %s' needs %s", form, need);
            goto out;
        }
    }

    if (refused) {
        /* parsed above */
    } else if (strcmp(form, "flow") == 0) {
        e->kind = SCN_EXPECT_FLOW;
        const struct scn_tok *t = &toks[i++];
        const char *dot = strchr(t->text, '.');
        if (dot == NULL || dot[1] == '\0') {
            perr(P, t, "expected FLOW.FIELD, e.g. f1.lost");
            goto out;
        }
        char *subj = scn__arena_strndup(&P->prog->arena, t->text, (size_t)(dot - t->text));
        if (subj == NULL) {
            P->oom = true;
            goto out;
        }
        e->subject = subj;
        e->subject_kind = SCN_OBJ_FLOW;
        e->field = dot + 1;
        if (resolve(P, t, subj, SCN_OBJ_FLOW, NULL) == 0)
            goto out;
        size_t nf;
        const struct scn_field_spec *ff = scn__flow_fields(&nf);
        const struct scn_field_spec *f = NULL;
        if (strncmp(e->field, "drops.", 6) == 0) {
            enum sim_drop_cause cause;
            f = find_field(ff, nf, "drops");
            if (sim_drop_cause_parse(e->field + 6, &cause) < 0) {
                const char *names[SIM_DROP_CAUSE_COUNT];
                for (int c = 0; c < SIM_DROP_CAUSE_COUNT; c++)
                    names[c] = sim_drop_cause_name((enum sim_drop_cause)c);
                join_words(list, sizeof list, names, SIM_DROP_CAUSE_COUNT);
                perr(P, t, "unknown drop cause '%s'%s; causes: %s", e->field + 6,
                     dym(sug, sizeof sug, scn_suggest(e->field + 6, names, SIM_DROP_CAUSE_COUNT)),
                     list);
                goto out;
            }
            e->field_param = (int64_t)cause;
        } else {
            f = find_field(ff, nf, e->field);
            if (f == NULL || f->id == SCN_FLOW_DROPS) {
                field_list(list, sizeof list, ff, nf, 0);
                perr(P, t, "unknown flow field '%s'%s; fields: %s (drops.CAUSE)", e->field,
                     dym(sug, sizeof sug, suggest_field(e->field, ff, nf)), list);
                goto out;
            }
        }
        e->field_id = f->id;
        if (!parse_comparison(P, toks, n, &i, f, e->field, e))
            goto out;
    } else if (strcmp(form, "oid") == 0) {
        e->kind = SCN_EXPECT_OID;
        const struct scn_tok *t = &toks[i++];
        e->subject = t->text;
        unsigned k = resolve(P, t, t->text, SCN_OBJ_PF | SCN_OBJ_VF | SCN_OBJ_VM, NULL);
        if (k == 0)
            goto out;
        e->subject_kind = k;
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            perr_at(P, t->col + t->len, 1, "missing OID name: expect oid %s OID_... status == ...",
                    t->text);
            goto out;
        }
        struct scn_value ov;
        if (!convert_tok(P, &toks[i], SCN_T_OID, NULL, 0, 0, "the OID", &ov))
            goto out;
        e->oid = ov.v.str;
        i++;
        size_t nf;
        const struct scn_field_spec *ff = scn__oid_fields(&nf);
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            perr_at(P, toks[i - 1].col + toks[i - 1].len, 1,
                    "missing field after the OID: status or count");
            goto out;
        }
        const struct scn_tok *ft = &toks[i++];
        const struct scn_field_spec *f = find_field(ff, nf, ft->text);
        if (f == NULL) {
            perr(P, ft, "unknown OID field '%s'%s; fields: status, count", ft->text,
                 dym(sug, sizeof sug, suggest_field(ft->text, ff, nf)));
            goto out;
        }
        e->field = f->name;
        e->field_id = f->id;
        if (!parse_comparison(P, toks, n, &i, f, e->field, e))
            goto out;
    } else if (strcmp(form, "oid-sequence") == 0) {
        e->kind = SCN_EXPECT_OID_SEQUENCE;
        const struct scn_tok *t = &toks[i++];
        e->subject = t->text;
        unsigned k = resolve(P, t, t->text, SCN_OBJ_PF | SCN_OBJ_VF | SCN_OBJ_VM, NULL);
        if (k == 0)
            goto out;
        e->subject_kind = k;
        size_t first = i;
        while (i < n && toks[i].kind == SCN_TOK_WORD &&
               !(i + 1 < n && toks[i + 1].kind == SCN_TOK_OP && toks[i + 1].op == SCN_OP_NONE))
            i++;
        if (i == first) {
            perr_at(P, t->col + t->len, 1, "'expect oid-sequence' needs at least one OID name");
            goto out;
        }
        const char **oids = scn__arena_alloc(&P->prog->arena, (i - first) * sizeof *oids);
        if (oids == NULL) {
            P->oom = true;
            goto out;
        }
        bool ok = true;
        for (size_t k2 = first; k2 < i; k2++) {
            struct scn_value ov;
            if (!convert_tok(P, &toks[k2], SCN_T_OID, NULL, 0, 0, "oid-sequence", &ov))
                ok = false;
            oids[k2 - first] = toks[k2].text;
        }
        if (!ok)
            goto out;
        e->oids = oids;
        e->n_oids = i - first;
        extra[n_extra++] = p_exact;
    } else if (strcmp(form, "event") == 0) {
        e->kind = SCN_EXPECT_EVENT;
        const struct scn_tok *t = &toks[i++];
        e->subject = t->text;
        unsigned any = 0;
        for (size_t k = 0; k < SCN_EVENT_COUNT; k++)
            any |= scn__event_spec(k)->kinds;
        unsigned kind = resolve(P, t, t->text, any, NULL);
        if (kind == 0)
            goto out;
        e->subject_kind = kind;
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            perr_at(P, t->col + t->len, 1, "missing event name after '%s', e.g. vf-removed",
                    t->text);
            goto out;
        }
        const struct scn_tok *et = &toks[i++];
        const struct scn_event_spec *ev = NULL;
        const char *names[SCN_EVENT_COUNT];
        for (size_t k = 0; k < SCN_EVENT_COUNT; k++) {
            names[k] = scn_event_name((enum scn_event)k);
            if (strcmp(names[k], et->text) == 0)
                ev = scn__event_spec(k);
        }
        if (ev == NULL) {
            join_words(list, sizeof list, names, SCN_EVENT_COUNT);
            perr(P, et, "unknown event '%s'%s; events: %s", et->text,
                 dym(sug, sizeof sug, scn_suggest(et->text, names, SCN_EVENT_COUNT)), list);
            goto out;
        }
        e->field = scn_event_name(ev->id);
        e->field_id = (int)ev->id;
        if (!(ev->kinds & kind)) {
            char want[96];
            kinds_text(want, sizeof want, ev->kinds);
            perr(P, t, "event '%s' happens on %s %s, but '%s' is %s %s", e->field, a_an(want), want,
                 t->text, a_an(scn_obj_kind_name(kind)), scn_obj_kind_name(kind));
            goto out;
        }
        /* Filters: FIELD OP VALUE, up to the trailing window keys. */
        struct scn_cond *conds = scn__arena_alloc(&P->prog->arena, (n + 1) * sizeof *conds);
        if (conds == NULL) {
            P->oom = true;
            goto out;
        }
        size_t nc = 0;
        bool ok = true;
        while (i < n) {
            const struct scn_tok *ft = &toks[i];
            if (ft->kind == SCN_TOK_WORD && find_param(extra, n_extra, ft->text) != NULL &&
                !find_field(ev->fields, ev->n_fields, ft->text))
                break; /* within= / timeout= */
            if (ft->kind != SCN_TOK_WORD || i + 2 >= n + 0 || toks[i + 1].kind != SCN_TOK_OP) {
                if (ft->kind == SCN_TOK_WORD && i + 1 < n && toks[i + 1].kind == SCN_TOK_OP)
                    perr(P, &toks[i + 1], "missing value after '%s%s'", ft->text, toks[i + 1].text);
                else
                    perr(P, ft, "expected a filter FIELD=VALUE (or FIELD<=VALUE ...), found '%s'",
                         ft->text);
                ok = false;
                break;
            }
            const struct scn_field_spec *f = find_field(ev->fields, ev->n_fields, ft->text);
            if (f == NULL) {
                field_list(list, sizeof list, ev->fields, ev->n_fields, 0);
                perr(P, ft, "event '%s' has no field '%s'%s%s%s", e->field, ft->text,
                     dym(sug, sizeof sug, suggest_field(ft->text, ev->fields, ev->n_fields)),
                     ev->n_fields ? "; fields: " : "", list);
                ok = false;
                break;
            }
            struct scn_cond *c = &conds[nc];
            c->field = f->name;
            c->line = ft->line;
            c->col = ft->col;
            const struct scn_tok *ot = &toks[i + 1];
            c->op = ot->op == SCN_OP_NONE ? SCN_OP_EQ : ot->op;
            if (!f->ordered && c->op != SCN_OP_EQ && c->op != SCN_OP_NE) {
                perr(P, ot, "'%s' does not apply to %s (use = or !=)", ot->text, f->name);
                ok = false;
                break;
            }
            const struct scn_tok *vt = &toks[i + 2];
            snprintf(what, sizeof what, "%s", f->name);
            if (!convert_tok(P, vt, f->type, f->words, 0, 0, what, &c->value)) {
                ok = false;
                break;
            }
            if (f->type == SCN_T_NAME && !c->value.is_word &&
                resolve(P, vt, c->value.v.str, f->name_kinds, NULL) == 0) {
                ok = false;
                break;
            }
            nc++;
            i += 3;
        }
        if (!ok)
            goto out;
        e->conds = conds;
        e->n_conds = nc;
    } else if (strcmp(form, "switch") == 0) {
        /* switch SW FIELD OP VALUE: the extensible switch's forwarding counters. */
        e->kind = SCN_EXPECT_SWITCH;
        const struct scn_tok *t = &toks[i++];
        e->subject = t->text;
        unsigned kind = resolve(P, t, t->text, SCN_OBJ_SWITCH, NULL);
        if (kind == 0)
            goto out;
        e->subject_kind = kind;
        size_t nf;
        const struct scn_field_spec *sf = scn__switch_fields(&nf);
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            perr_at(P, t->col + t->len, 1, "missing switch counter: lookups or vmq_hits");
            goto out;
        }
        const struct scn_tok *ft = &toks[i++];
        const struct scn_field_spec *f = find_field(sf, nf, ft->text);
        if (f == NULL) {
            field_list(list, sizeof list, sf, nf, 0);
            perr(P, ft, "unknown switch counter '%s'%s; counters: %s", ft->text,
                 dym(sug, sizeof sug, suggest_field(ft->text, sf, nf)), list);
            goto out;
        }
        e->field = ft->text;
        e->field_id = f->id;
        if (!parse_comparison(P, toks, n, &i, f, e->field, e))
            goto out;
    } else if (strcmp(form, "pci") == 0) {
        e->kind = SCN_EXPECT_PCI;
        const struct scn_tok *t = &toks[i++];
        e->subject = t->text;
        unsigned kind = resolve(P, t, t->text, SCN_OBJ_PF | SCN_OBJ_VF, NULL);
        if (kind == 0)
            goto out;
        e->subject_kind = kind;
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            perr_at(P, t->col + t->len, 1, "missing config-space field, e.g. sriov.num_vfs");
            goto out;
        }
        const struct scn_tok *ft = &toks[i++];
        size_t nf;
        const struct scn_field_spec *pf = scn__pci_fields(&nf);
        const struct scn_field_spec *f = NULL;
        e->field = ft->text;
        if (strncmp(ft->text, "cfg", 3) == 0 && strchr(ft->text, '.') != NULL) {
            const char *dot = strchr(ft->text, '.');
            char w[8] = {0};
            size_t wl = (size_t)(dot - ft->text);
            if (wl < sizeof w)
                memcpy(w, ft->text, wl);
            f = find_field(pf, nf, w);
            struct scn_value off;
            char why[128];
            if (f == NULL) {
                perr(P, ft,
                     "unknown raw config read '%s': use cfg8, cfg16 or cfg32, e.g. "
                     "cfg32.0x160",
                     ft->text);
                goto out;
            }
            int width = strcmp(w, "cfg8") == 0 ? 1 : strcmp(w, "cfg16") == 0 ? 2 : 4;
            if (scn__value_convert(SCN_T_HEX, dot + 1, NULL, &off, why, sizeof why) < 0 ||
                off.v.u > 4096 - (uint64_t)width || off.v.u % (uint64_t)width != 0) {
                perr(P, ft,
                     "invalid config-space offset '%s': a multiple of %d below 0x1000, e.g. "
                     "%s.0x160",
                     dot + 1, width, w);
                goto out;
            }
            e->field_param = (int64_t)off.v.u;
            e->field_width = width;
        } else {
            f = find_field(pf, nf, ft->text);
            if (f == NULL || f->id == SCN_PCI_CFG) {
                field_list(list, sizeof list, pf, nf - 3, 0);
                perr(P, ft,
                     "unknown config-space field '%s'%s; fields: %s, cfg8/cfg16/cfg32.OFFSET",
                     ft->text, dym(sug, sizeof sug, suggest_field(ft->text, pf, nf)), list);
                goto out;
            }
        }
        if (!(f->kinds & kind)) {
            perr(P, ft, "'%s' is only readable on %s %s", f->name,
                 a_an(scn_obj_kind_name(f->kinds)), scn_obj_kind_name(f->kinds));
            goto out;
        }
        e->field_id = f->id;
        if (!parse_comparison(P, toks, n, &i, f, e->field, e))
            goto out;
    } else {
        /* VM.FIELD */
        e->kind = SCN_EXPECT_VM;
        const char *dot = strchr(form, '.');
        if (dot == NULL) {
            const char *cand[64];
            size_t c = 0;
            for (size_t k = 0; expect_forms[k] != NULL; k++)
                cand[c++] = expect_forms[k];
            for (size_t k = 0; k < P->n_syms && c < 64; k++)
                if (P->syms[k].kind == SCN_OBJ_VM)
                    cand[c++] = P->syms[k].name;
            perr(P, t0,
                 "unknown condition '%s'%s; forms: VM.FIELD, flow, oid, oid-sequence, "
                 "event, pci, switch",
                 form, dym(sug, sizeof sug, scn_suggest(form, cand, c)));
            goto out;
        }
        char *subj = scn__arena_strndup(&P->prog->arena, form, (size_t)(dot - form));
        if (subj == NULL) {
            P->oom = true;
            goto out;
        }
        struct sym *s = sym_find(P, subj);
        {
            /* "h1.pf0.present": point at the pci form. */
            const char *d2 = strrchr(form, '.');
            char whole[160];
            size_t wl = (size_t)(d2 - form);
            if (wl < sizeof whole) {
                memcpy(whole, form, wl);
                whole[wl] = '\0';
                struct sym *s2 = sym_find(P, whole);
                char pfn[128];
                uint64_t idx;
                if ((s2 != NULL && s2->kind == SCN_OBJ_PF) ||
                    (s2 == NULL && split_vf(whole, pfn, sizeof pfn, &idx))) {
                    perr(P, t0, "'%s' is a PCI function: write 'expect pci %s %s ...'", whole,
                         whole, d2 + 1);
                    goto out;
                }
            }
        }
        e->subject = subj;
        e->subject_kind = SCN_OBJ_VM;
        e->field = dot + 1;
        if (s != NULL && s->kind == SCN_OBJ_FLOW) {
            perr(P, t0, "'%s' is a flow: write 'expect flow %s'", subj, form);
            goto out;
        }
        if (s != NULL && (s->kind & (SCN_OBJ_PF)) != 0) {
            perr(P, t0, "'%s' is a PCI function: write 'expect pci %s %s ...'", subj, subj,
                 dot + 1);
            goto out;
        }
        if (resolve(P, t0, subj, SCN_OBJ_VM, NULL) == 0)
            goto out;
        size_t nf;
        const struct scn_field_spec *vf = scn__vm_fields(&nf);
        const struct scn_field_spec *f = find_field(vf, nf, e->field);
        if (f == NULL) {
            field_list(list, sizeof list, vf, nf, 0);
            perr(P, t0, "unknown VM field '%s'%s; fields: %s", e->field,
                 dym(sug, sizeof sug, suggest_field(e->field, vf, nf)), list);
            goto out;
        }
        e->field_id = f->id;
        if (!parse_comparison(P, toks, n, &i, f, e->field, e))
            goto out;
    }

    /* Trailing key=value options (within=, timeout=, exact=). */
    size_t n_pg, n_kg;
    if (!split_items(P, toks, n, i, pg, &n_pg, kg, &n_kg, true))
        goto out;
    if (n_pg > 0) {
        perr(P, &toks[pg[0].first], "unexpected '%s' after the condition", toks[pg[0].first].text);
        goto out;
    }
    size_t na = 0;
    check_keys(P, spec, toks, kg, n_kg, extra, n_extra, args, &na, false);
    finish_keys(P, spec, verb_tok, kg, n_kg, extra, n_extra, args, &na);
    st->n_args = na;
    const struct scn_value *ex = scn_stmt_value(st, "exact");
    e->exact = ex != NULL && ex->v.b;
    const struct scn_arg *win = scn_stmt_arg(st, "within");
    if (refused && win != NULL && !win->is_default) {
        perr_at(P, win->col, 6,
                "'expect refused' takes no window: the refusal is known when the action runs");
        goto out;
    }
    st->expect = e;
out:
    sim_free(pg);
    sim_free(kg);
    return !P->oom;
}

/* ---------------------------------------------------------------------------------------------
 * Times.
 * ------------------------------------------------------------------------------------------- */
struct time_spec {
    enum scn_time_form form;
    sim_time_t t1, t2; /* absolute values or relative offsets */
    const struct scn_tok *tok;
};

static bool
looks_like_time(const struct scn_tok *t)
{
    unsigned char c = (unsigned char)t->text[0];
    return t->kind == SCN_TOK_WORD && (isdigit(c) || c == '+' || c == '.' || c == '-');
}

static bool
time_word(struct parser *P, const struct scn_tok *t, bool *rel, sim_time_t *out)
{
    const char *s = t->text;
    *rel = false;
    if (s[0] == '-') {
        perr(P, t,
             "negative time '%s': times count from 0 (absolute) or from the previous "
             "statement (+DUR)",
             s);
        return false;
    }
    if (s[0] == '+') {
        *rel = true;
        s++;
    }
    int rc = sim_time_parse(s, out);
    if (rc == SIM_ERANGE) {
        perr(P, t, "time '%s' is too large", t->text);
        return false;
    }
    if (rc < 0) {
        perr(P, t,
             "invalid time '%s' (expected 1.5s, 100ms, 20us, 500ns, +100ms or 2s~2.1s; a bare "
             "number is seconds)",
             t->text);
        return false;
    }
    return true;
}

/* Parse the time prefix at toks[0]; returns the index of the verb, or 0 if no time. */
static size_t
parse_time_prefix(struct parser *P, const struct scn_tok *toks, size_t n, struct time_spec *ts,
                  bool *ok)
{
    memset(ts, 0, sizeof *ts);
    *ok = true;
    if (!looks_like_time(&toks[0]))
        return 0;
    ts->tok = &toks[0];
    bool rel1;
    if (!time_word(P, &toks[0], &rel1, &ts->t1)) {
        *ok = false;
        return n > 1 && toks[1].kind == SCN_TOK_TILDE ? (n > 2 ? 3 : 2) : 1;
    }
    ts->form = rel1 ? SCN_TIME_REL : SCN_TIME_ABS;
    if (n > 1 && toks[1].kind == SCN_TOK_TILDE) {
        if (n < 3 || !looks_like_time(&toks[2]) || toks[2].space_before) {
            perr(P, &toks[1], "a time range needs an end time after '~', e.g. 2s~2.1s");
            *ok = false;
            return n < 3 || looks_like_time(&toks[2]) ? 2 : n;
        }
        bool rel2;
        if (!time_word(P, &toks[2], &rel2, &ts->t2)) {
            *ok = false;
            return 3;
        }
        if (rel1 != rel2) {
            perr(P, &toks[2],
                 "a time range is either absolute (2s~2.1s) or relative (+0~+100ms), not mixed");
            *ok = false;
            return 3;
        }
        if (ts->t2 < ts->t1) {
            char a[32], b[32];
            perr(P, &toks[2], "time range ends (%s) before it starts (%s)",
                 scn__time_text(ts->t2, b, sizeof b), scn__time_text(ts->t1, a, sizeof a));
            *ok = false;
            return 3;
        }
        ts->form = rel1 ? SCN_TIME_RANGE_REL : SCN_TIME_RANGE_ABS;
        return 3;
    }
    return 1;
}

/* Resolve the statement's time against the running state; false after an error. */
static bool
resolve_time(struct parser *P, const struct scn_verb_spec *spec, const struct time_spec *ts,
             const struct scn_tok *verb_tok, struct scn_stmt *st, long index)
{
    char a[32], b[32];
    const struct scn_tok *tt = ts->tok ? ts->tok : verb_tok;
    st->time_form = ts->form;
    st->anchor = -1;
    bool range = ts->form == SCN_TIME_RANGE_ABS || ts->form == SCN_TIME_RANGE_REL;
    if (range && !(spec->flags & SCN_V_RANGE_OK)) {
        perr(P, tt, "a time range is only allowed on 'expect' (a window for the condition)");
        return false;
    }
    if (ts->form == SCN_TIME_ABS || ts->form == SCN_TIME_RANGE_ABS) {
        if (ts->t1 < P->prev) {
            if (P->anchor >= 0)
                perr(P, tt,
                     "time %s may come before the wait-until at line %u ends (it can last until "
                     "%s); use a relative time (+...) or a time >= %s",
                     scn__time_text(ts->t1, a, sizeof a), P->anchor_line,
                     scn__time_text(P->prev, b, sizeof b), b);
            else
                perr(P, tt,
                     "time %s is earlier than the previous statement's time %s (line %u): times "
                     "never go backwards",
                     scn__time_text(ts->t1, a, sizeof a), scn__time_text(P->prev, b, sizeof b),
                     P->prev_line);
            return false;
        }
        st->time_ns = ts->t1;
        st->offset_ns = ts->t1;
        P->anchor = -1;
        P->offset = 0;
    } else {
        sim_time_t d = ts->t1; /* 0 when omitted */
        if (P->prev > INT64_MAX - d || P->offset > INT64_MAX - d) {
            perr(P, tt, "time overflows (more than 292 years)");
            return false;
        }
        st->time_ns = P->prev + d;
        if (P->anchor >= 0) {
            st->anchor = P->anchor;
            st->offset_ns = P->offset + d;
            P->offset = st->offset_ns;
        } else {
            st->offset_ns = st->time_ns;
        }
    }
    if (range)
        st->window_ns = ts->t2 - ts->t1;

    const struct scn_value *within = scn_stmt_value(st, "within");
    if (within != NULL) {
        if (range) {
            const struct scn_arg *wa = scn_stmt_arg(st, "within");
            perr_at(P, wa->col, 6, "both a time range and within=: use one of them");
            return false;
        }
        st->window_ns = within->v.ns;
    }
    if ((spec->flags & SCN_V_SETUP) && (st->time_ns != 0 || st->anchor >= 0)) {
        perr(P, tt,
             "'%s' sets up the topology and must run at t=0, before the first timed statement "
             "(it would run at %s)",
             scn_verb_name(spec->verb), scn__time_text(st->time_ns, a, sizeof a));
        return false;
    }

    P->prev = st->time_ns;
    P->prev_line = P->ln->line;
    sim_time_t hold = 0;
    if (spec->verb == SCN_VERB_WAIT && st->n_pos > 0)
        hold = st->pos[0].v.ns;
    if (spec->verb == SCN_VERB_WAIT_UNTIL) {
        const struct scn_value *to = scn_stmt_value(st, "timeout");
        hold = to ? to->v.ns : 0;
    }
    if (hold > 0 || spec->verb == SCN_VERB_WAIT_UNTIL) {
        if (P->prev > INT64_MAX - hold) {
            perr(P, tt, "time overflows (more than 292 years)");
            return false;
        }
        st->window_ns = hold;
        P->prev += hold;
        if (spec->verb == SCN_VERB_WAIT_UNTIL) {
            P->anchor = index;
            P->anchor_line = P->ln->line;
            P->offset = 0;
        } else if (P->anchor >= 0) {
            P->offset += hold;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Lines.
 * ------------------------------------------------------------------------------------------- */
static int
push_stmt(struct scn_program *prog, const struct scn_stmt *st)
{
    if (prog->n == prog->cap) {
        size_t cap = prog->cap ? prog->cap * 2 : 32;
        struct scn_stmt *s = sim_realloc(SIM_TAG(scn_ast), prog->stmts, cap * sizeof *s);
        if (s == NULL)
            return SIM_ENOMEM;
        prog->stmts = s;
        prog->cap = cap;
    }
    prog->stmts[prog->n++] = *st;
    return 0;
}

static void
parse_line(struct parser *P, const struct scn_line *ln)
{
    const struct scn_tok *toks = ln->toks;
    size_t n = ln->n;
    char sug[160], list[512];
    if (n == 0)
        return;
    struct time_spec ts;
    bool time_ok;
    size_t i = parse_time_prefix(P, toks, n, &ts, &time_ok);
    if (i >= n) {
        if (time_ok)
            perr_at(P, toks[n - 1].col + toks[n - 1].len, 1,
                    "a time must be followed by a statement");
        return;
    }
    const struct scn_tok *vt = &toks[i];
    if (vt->kind != SCN_TOK_WORD) {
        perr(P, vt, "expected a verb, found '%s'", vt->text);
        return;
    }
    const struct scn_verb_spec *spec = scn__verb_find(vt->text, NULL);
    if (spec == NULL) {
        size_t nv;
        const char *const *names = scn__verb_names(&nv);
        const char *s = scn_suggest(vt->text, names, nv);
        if (s == NULL && looks_like_time(vt))
            perr(P, vt, "expected a verb after the time, found '%s'", vt->text);
        else
            perr(P, vt, "unknown verb '%s'%s", vt->text, dym(sug, sizeof sug, s));
        return;
    }
    i++;
    const struct scn_tok *verb_tok = vt;
    if (scn_verb_sub(spec->verb) != NULL) {
        const char *subs[16];
        size_t ns = scn__verb_subs(vt->text, subs, 16);
        join_words(list, sizeof list, subs, ns);
        if (i >= n || toks[i].kind != SCN_TOK_WORD) {
            if (i < n)
                perr(P, &toks[i], "'%s' needs one of: %s", vt->text, list);
            else
                perr_at(P, vt->col + vt->len, 1, "'%s' needs one of: %s", vt->text, list);
            return;
        }
        const struct scn_verb_spec *s2 = scn__verb_find(vt->text, toks[i].text);
        if (s2 == NULL) {
            perr(P, &toks[i], "unknown '%s' kind '%s'%s; kinds: %s", vt->text, toks[i].text,
                 dym(sug, sizeof sug, scn_suggest(toks[i].text, subs, ns)), list);
            return;
        }
        spec = s2;
        i++;
    }

    struct scn_stmt st;
    memset(&st, 0, sizeof st);
    st.line = ln->line;
    st.col = verb_tok->col;
    st.verb = spec->verb;
    st.anchor = -1;
    st.source = scn__arena_strndup(&P->prog->arena, ln->start, ln->code_len);
    size_t tcol = verb_tok->col - 1;
    st.text = scn__arena_strndup(&P->prog->arena, ln->start + tcol,
                                 ln->code_len > tcol ? ln->code_len - tcol : 0);
    if (st.source == NULL || st.text == NULL) {
        P->oom = true;
        return;
    }
    size_t errors_before = P->diags->errors;

    if (P->end_line != 0)
        perr(P, verb_tok, "statement after 'end' (line %u): 'end' must be the last statement",
             P->end_line);
    if ((spec->flags & SCN_V_ONCE) && spec->verb == SCN_VERB_SEED) {
        if (P->seed_line != 0)
            perr(P, verb_tok, "'seed' given twice (first at line %u)", P->seed_line);
        P->seed_line = ln->line;
    }

    bool ok = (spec->flags & SCN_V_CONDITION) ? parse_condition(P, spec, toks, n, i, verb_tok, &st)
                                              : parse_generic(P, spec, toks, n, i, verb_tok, &st);
    if (!ok || P->oom)
        return;
    if (time_ok)
        resolve_time(P, spec, &ts, verb_tok, &st, (long)P->prog->n);

    switch (spec->verb) {
    case SCN_VERB_END:
        P->end_line = ln->line;
        break;
    case SCN_VERB_SEED:
        if (st.n_pos == 1) {
            P->prog->has_seed = true;
            P->prog->seed = st.pos[0].v.u;
        }
        break;
    case SCN_VERB_CAPTURE_START:
        if (P->capture_line != 0)
            perr(P, verb_tok, "capture already started at line %u (stop it first)",
                 P->capture_line);
        else
            P->capture_line = ln->line;
        break;
    case SCN_VERB_CAPTURE_STOP:
        if (P->capture_line == 0)
            perr(P, verb_tok, "'capture stop' without a running 'capture start'");
        P->capture_line = 0;
        break;
    case SCN_VERB_EXPECT:
        P->prog->n_expect++;
        break;
    default:
        break;
    }
    if (P->diags->errors == errors_before && push_stmt(P->prog, &st) < 0)
        P->oom = true;
}

/* Stable order of diagnostics by (line, col): a line reports its time errors last but they
 * read better first. Insertion sort: the list is short and nearly sorted. */
static void
sort_diags(struct scn_diags *d)
{
    for (size_t i = 1; i < d->count; i++) {
        struct scn_diag x = d->items[i];
        size_t j = i;
        while (j > 0 && (d->items[j - 1].line > x.line ||
                         (d->items[j - 1].line == x.line && d->items[j - 1].col > x.col))) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = x;
    }
}

int
scn_program_parse_string(const char *name, const char *text, size_t len,
                         const struct scn_parse_opts *opts, struct scn_program **prog_out,
                         struct scn_diags **diags_out)
{
    if (prog_out != NULL)
        *prog_out = NULL;
    if (diags_out != NULL)
        *diags_out = NULL;
    if (name == NULL || (text == NULL && len > 0) || prog_out == NULL)
        return SIM_EINVAL;

    struct parser P;
    memset(&P, 0, sizeof P);
    P.opts = opts;
    P.anchor = -1;
    int rc = scn__diags_create(opts ? opts->max_errors : 0, &P.diags);
    if (rc < 0)
        return rc;
    P.prog = sim_calloc(SIM_TAG(scn_ast), 1, sizeof *P.prog);
    if (P.prog == NULL) {
        scn_diags_destroy(P.diags);
        return SIM_ENOMEM;
    }
    scn__arena_init(&P.prog->arena, SIM_TAG(scn_ast));
    P.file = P.prog->name = scn__arena_strndup(&P.prog->arena, name, strlen(name));

    struct scn_lexer lx;
    struct scn_line ln;
    memset(&ln, 0, sizeof ln);
    scn__lexer_init(&lx, name, text ? text : "", len);
    while (P.file != NULL && !P.oom) {
        if (P.diags->errors >= P.diags->max_errors) {
            if (lx.pos < lx.len)
                P.diags->truncated = true;
            break;
        }
        bool bad;
        int r = scn__lexer_next_line(&lx, &P.prog->arena, P.diags, &ln, &bad);
        if (r < 0 || P.diags->arena.oom) {
            P.oom = true;
            break;
        }
        if (r == 0)
            break;
        if (bad)
            continue;
        P.ln = &ln;
        P.line_src = scn__line_text(&P.prog->arena, &ln);
        if (P.line_src == NULL) {
            P.oom = true;
            break;
        }
        parse_line(&P, &ln);
    }
    scn__line_fini(&ln);
    sim_free(P.syms);
    for (size_t k = 0; k < P.n_refuse && !P.oom; k++) {
        const struct would_refuse *w = &P.refuse[k];
        if (!w->expected && !(P.opts != NULL && P.opts->lenient))
            scn__diag_add(P.diags, SCN_SEV_ERROR, P.file, w->line, w->col, w->len, w->line_src,
                          "%s", w->msg);
    }
    sim_free(P.refuse);

    if (P.file == NULL || P.oom || P.prog->arena.oom || P.diags->arena.oom) {
        scn_program_destroy(P.prog);
        scn_diags_destroy(P.diags);
        return SIM_ENOMEM;
    }
    sort_diags(P.diags);
    rc = 0;
    if (P.diags->errors > 0) {
        scn_program_destroy(P.prog);
        P.prog = NULL;
        rc = SIM_EPARSE;
    } else {
        SIM_DEBUG(script, "%s: %zu statements, %zu expectations", name, P.prog->n,
                  P.prog->n_expect);
    }
    *prog_out = P.prog;
    if (diags_out != NULL)
        *diags_out = P.diags;
    else
        scn_diags_destroy(P.diags);
    return rc;
}

int
scn_program_parse_file(const char *path, const struct scn_parse_opts *opts,
                       struct scn_program **prog_out, struct scn_diags **diags_out)
{
    if (prog_out != NULL)
        *prog_out = NULL;
    if (diags_out != NULL)
        *diags_out = NULL;
    if (path == NULL || prog_out == NULL)
        return SIM_EINVAL;
    int fail = 0;
    char reason[160] = "";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail = errno == ENOENT ? SIM_ENOENT : SIM_EIO;
        snprintf(reason, sizeof reason, "cannot open: %s", strerror(errno));
    } else {
        size_t cap = 0;
        for (;;) {
            if (len == cap) {
                if (cap > SCN_MAX_FILE_SIZE)
                    break;
                size_t ncap = cap ? cap * 2 : 65536;
                char *nb = sim_realloc(SIM_TAG(scn_parse), buf, ncap);
                if (nb == NULL) {
                    sim_free(buf);
                    fclose(f);
                    return SIM_ENOMEM;
                }
                buf = nb;
                cap = ncap;
            }
            size_t got = fread(buf + len, 1, cap - len, f);
            len += got;
            if (got == 0)
                break;
        }
        if (ferror(f)) {
            fail = SIM_EIO;
            snprintf(reason, sizeof reason, "cannot read: %s", strerror(errno));
        } else if (len > SCN_MAX_FILE_SIZE) {
            fail = SIM_EIO;
            snprintf(reason, sizeof reason, "file larger than %u bytes: not a scenario",
                     SCN_MAX_FILE_SIZE);
        }
        fclose(f);
    }
    if (fail != 0) {
        sim_free(buf);
        if (diags_out != NULL) {
            struct scn_diags *d;
            if (scn__diags_create(opts ? opts->max_errors : 0, &d) < 0)
                return SIM_ENOMEM;
            scn__diag_add(d, SCN_SEV_ERROR, path, 0, 0, 0, NULL, "%s", reason);
            if (d->arena.oom) {
                scn_diags_destroy(d);
                return SIM_ENOMEM;
            }
            *diags_out = d;
        }
        return fail;
    }
    int rc = scn_program_parse_string(path, buf, len, opts, prog_out, diags_out);
    sim_free(buf);
    return rc;
}
