/* SPDX-License-Identifier: MIT */
/*
 * script_int.h — private to script/: the arena, the lexer's tokens, the schema tables and the
 * diagnostic collector shared by lexer.c, parser.c, ast.c, verbs.c and diag.c.
 */
#ifndef SRIOVSIM_SCRIPT_INT_H
#define SRIOVSIM_SCRIPT_INT_H

#include "script/script.h"

SIM_LOG_NS_DECLARE(script);
SIM_ALLOC_TAG_DECLARE(scn_ast);   /* program arena and statement array */
SIM_ALLOC_TAG_DECLARE(scn_diag);  /* diagnostics */
SIM_ALLOC_TAG_DECLARE(scn_parse); /* scratch that lives for one parse (tokens, symbols, file) */

/* ---------------------------------------------------------------------------------------------
 * Arena: every string and array of a program lives in one, freed at once. A failed allocation
 * sets `oom`; callers check the NULL return and unwind, the parse then returns SIM_ENOMEM.
 * ------------------------------------------------------------------------------------------- */
struct scn_arena_chunk;

struct scn_arena {
    struct sim_alloc_tag *tag;
    struct scn_arena_chunk *head;
    bool oom;
};

void scn__arena_init(struct scn_arena *a, struct sim_alloc_tag *tag);
void scn__arena_fini(struct scn_arena *a);
void *scn__arena_alloc(struct scn_arena *a, size_t n); /* 8-byte aligned, zeroed */
char *scn__arena_strndup(struct scn_arena *a, const char *s, size_t n);
char *scn__arena_printf(struct scn_arena *a, const char *fmt, ...) SIM_PRINTF(2, 3);

/* ---------------------------------------------------------------------------------------------
 * The program: statements in an array, everything else in the arena.
 * ------------------------------------------------------------------------------------------- */
struct scn_program {
    struct scn_arena arena;
    const char *name;
    struct scn_stmt *stmts; /* sim_realloc'd under scn_ast */
    size_t n, cap;
    size_t n_expect;
    bool has_seed;
    uint64_t seed;
};

/* ---------------------------------------------------------------------------------------------
 * Diagnostics collector.
 * ------------------------------------------------------------------------------------------- */
struct scn_diags {
    struct scn_arena arena;
    struct scn_diag *items;
    size_t count, cap;
    size_t errors;
    size_t max_errors;
    bool truncated;
};

int scn__diags_create(size_t max_errors, struct scn_diags **out);
/* Record a diagnostic. Returns false when the error limit is reached (the caller stops) or on
 * out-of-memory (then d->arena.oom is set). source_line may be NULL; it is copied. */
bool scn__diag_add(struct scn_diags *d, enum scn_severity sev, const char *file, uint32_t line,
                   uint32_t col, uint32_t len, const char *source_line, const char *fmt, ...)
    SIM_PRINTF(8, 9);

/* ---------------------------------------------------------------------------------------------
 * Lexer. The lexer works one line at a time; every token knows its line and column (1-based
 * byte columns) and its length in the source.
 * ------------------------------------------------------------------------------------------- */
enum scn_tok_kind {
    SCN_TOK_WORD,   /* any run of word characters: verbs, names, numbers with units, MACs */
    SCN_TOK_STRING, /* "quoted"; text is the unescaped content */
    SCN_TOK_OP,     /* = == != < <= > >=; op tells which (SCN_OP_NONE for a lone '=') */
    SCN_TOK_COMMA,  /* , */
    SCN_TOK_TILDE,  /* ~ */
};

struct scn_tok {
    enum scn_tok_kind kind;
    enum scn_op op; /* SCN_TOK_OP: the comparison; SCN_OP_NONE means assignment '=' */
    uint32_t line, col;
    uint32_t len;      /* bytes in the source, quotes included */
    const char *text;  /* NUL-terminated (arena of the parse) */
    bool space_before; /* whitespace separates it from the previous token */
};

struct scn_lexer {
    const char *file;
    const char *src;
    size_t len;
    size_t pos;    /* start of the next line */
    uint32_t line; /* number of the line last returned */
};

/* A line cut into tokens. */
struct scn_line {
    uint32_t line;
    const char *start; /* source text of the line (not NUL-terminated) */
    size_t len;        /* without the newline */
    size_t code_len;   /* without the comment and trailing blanks */
    struct scn_tok *toks;
    size_t n, cap;
};

void scn__lexer_init(struct scn_lexer *lx, const char *file, const char *src, size_t len);
/* Cut the next line into tokens (strings go into `arena`). Returns 1 if a line was produced,
 * 0 at end of input. Lexical errors are reported to `diags` (the line's tokens are then
 * incomplete, and *bad is set); SIM_ENOMEM on allocation failure. */
int scn__lexer_next_line(struct scn_lexer *lx, struct scn_arena *arena, struct scn_diags *diags,
                         struct scn_line *out, bool *bad);
void scn__line_fini(struct scn_line *l);
/* NUL-terminated copy of the line for diagnostics (arena). */
const char *scn__line_text(struct scn_arena *arena, const struct scn_line *l);

/* ---------------------------------------------------------------------------------------------
 * Schema.
 * ------------------------------------------------------------------------------------------- */
enum {
    SCN_P_REQUIRED = 1u << 0, /* key must be given; positional is mandatory (default for pos) */
    SCN_P_OPTIONAL = 1u << 1, /* positional may be left out */
    SCN_P_LIST = 1u << 2,     /* comma-separated list */
    SCN_P_DEFINES = 1u << 3,  /* positional NAME defines a new object of `kinds` */
    SCN_P_REPEAT = 1u << 4,   /* last positional: one or more */
};

struct scn_param {
    const char *name; /* key, or positional placeholder ("VM") */
    enum scn_type type;
    unsigned flags;
    unsigned kinds;           /* NAME: allowed SCN_OBJ_* kinds */
    const char *const *words; /* ENUM: the set; NAME: extra words allowed instead of a name */
    const char *def;          /* default, in source syntax; NULL: none */
    uint64_t min, max;        /* INT/HEX/SIZE: inclusive range when max != 0 */
    const char *help;
};

enum {
    SCN_V_SETUP = 1u << 0,     /* must run at t=0 (topology) */
    SCN_V_OPEN_KEYS = 1u << 1, /* unknown keys are accepted as untyped words */
    SCN_V_NEED_KEY = 1u << 2,  /* at least one key */
    SCN_V_CONDITION = 1u << 3, /* parsed with the expect grammar */
    SCN_V_RANGE_OK = 1u << 4,  /* a time range is allowed */
    SCN_V_ONCE = 1u << 5,      /* at most once per script */
};

struct scn_verb_spec {
    enum scn_verb verb;
    const char *name; /* unused (NULL): scn_verb_name(verb) */
    const char *sub;  /* unused (NULL): scn_verb_sub(verb) */
    const struct scn_param *pos;
    size_t n_pos;
    const struct scn_param *keys;
    size_t n_keys;
    unsigned flags;
    const char *help;
};

const struct scn_verb_spec *scn__verb_spec(enum scn_verb verb);
/* The first row whose name matches (sub may be NULL to ask "does any row have this name"). */
const struct scn_verb_spec *scn__verb_find(const char *name, const char *sub);
/* Distinct verb names (for suggestions); n set to their count. */
const char *const *scn__verb_names(size_t *n);
/* The sub-command words of `name` (for suggestions). */
size_t scn__verb_subs(const char *name, const char **out, size_t cap);

/*
 * What the simulator does not support (yet): values the language's types accept but the model
 * cannot honour. One table serves `check` and `run` (the parser rejects these values before
 * anything runs, so no run can pass with them silently) and the "Not supported" list of
 * docs/scenario-language.md (a test checks the page against scn__limit_doc()). Each row's
 * limits are the virtualization stack's own (a test drives vstack just inside and just outside
 * each one).
 */
struct scn_limit {
    enum scn_verb verb;
    const char *key;
    const char *when_key;  /* the row applies only when this key has the word below */
    const char *when_word; /* (NULL: always; a defaulted key counts) */
    uint64_t lo, hi;       /* supported values, inclusive (BDF: the PCI domain) */
    const char *why;
};
const struct scn_limit *scn__limits(size_t *n);
/* The row's line on the docs page: "- `pf total_vfs=`: 1 to 64 (the simulated NIC ...)". */
char *scn__limit_doc(const struct scn_limit *l, char *buf, size_t len);

/* Fields of the expect forms. */
struct scn_field_spec {
    const char *name;
    int id;
    enum scn_type type;
    unsigned kinds;           /* subject kinds it applies to (PCI: PF and/or VF) */
    const char *const *words; /* ENUM words, or NAME extra words */
    unsigned name_kinds;      /* NAME: kinds of the value */
    bool ordered;             /* < <= > >= allowed */
};

const struct scn_field_spec *scn__vm_fields(size_t *n);
const struct scn_field_spec *scn__flow_fields(size_t *n);
const struct scn_field_spec *scn__oid_fields(size_t *n);
const struct scn_field_spec *scn__pci_fields(size_t *n);
const struct scn_field_spec *scn__switch_fields(size_t *n);

struct scn_event_spec {
    enum scn_event id;
    const char *name; /* unused (NULL): scn_event_name(id) */
    unsigned kinds;   /* subject kinds */
    const struct scn_field_spec *fields;
    size_t n_fields;
};

const struct scn_event_spec *scn__event_spec(size_t i);

/* Typed conversion of a word: 0, or SIM_EINVAL / SIM_ERANGE with a reason in `why` ("expected a
 * rate such as 2Gbps"). Lists are not handled here. */
int scn__value_convert(enum scn_type type, const char *text, const char *const *words,
                       struct scn_value *out, char *why, size_t why_len);

/* A time or duration in its shortest exact form ("500ms", "1s", "1500us"), for messages. */
char *scn__time_text(sim_time_t ns, char *buf, size_t len);

/* Word sets shared between the schema and the checker. */
extern const char *const scn__bool_words[];

#endif /* SRIOVSIM_SCRIPT_INT_H */
