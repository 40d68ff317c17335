/* SPDX-License-Identifier: MIT */
/* test_lexer.c — the .scn lexer: token kinds, exact line:col, strings and escapes, comments,
 * operators, and lexical errors with their column. */
#include <criterion/criterion.h>
#include <string.h>

#include "script/script_int.h"

struct lexed {
    struct scn_arena arena;
    struct scn_diags *diags;
    struct scn_lexer lx;
    struct scn_line line;
};

static void
lex_open(struct lexed *L, const char *src)
{
    memset(L, 0, sizeof *L);
    scn__arena_init(&L->arena, SIM_TAG(scn_parse));
    cr_assert_eq(scn__diags_create(0, &L->diags), 0);
    scn__lexer_init(&L->lx, "t.scn", src, strlen(src));
}

/* Next line; returns the lexer's result, *bad set on a lexical error. */
static int
lex_next(struct lexed *L, bool *bad)
{
    return scn__lexer_next_line(&L->lx, &L->arena, L->diags, &L->line, bad);
}

static void
lex_close(struct lexed *L)
{
    scn__line_fini(&L->line);
    scn__arena_fini(&L->arena);
    scn_diags_destroy(L->diags);
    cr_expect_eq(sim_alloc_live_total(), 0, "everything returned");
}

static void
expect_tok(const struct scn_tok *t, enum scn_tok_kind kind, const char *text, uint32_t line,
           uint32_t col, uint32_t len)
{
    cr_expect_eq(t->kind, kind, "kind of '%s'", text);
    cr_expect_str_eq(t->text, text);
    cr_expect_eq(t->line, line, "line of '%s': %u", text, t->line);
    cr_expect_eq(t->col, col, "col of '%s': %u", text, t->col);
    cr_expect_eq(t->len, len, "len of '%s': %u", text, t->len);
}

Test(scn_lexer, words_carry_units_macs_bdfs_and_paths)
{
    struct lexed L;
    lex_open(&L, "pf      h1.pf0  total_vfs=8 bdf=01:00.0 mac=00:15:5d:00:00:01 rate=2Gbps\n");
    bool bad;
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_assert_not(bad);
    const struct scn_tok *t = L.line.toks;
    cr_assert_eq(L.line.n, 14);
    expect_tok(&t[0], SCN_TOK_WORD, "pf", 1, 1, 2);
    expect_tok(&t[1], SCN_TOK_WORD, "h1.pf0", 1, 9, 6);
    expect_tok(&t[2], SCN_TOK_WORD, "total_vfs", 1, 17, 9);
    expect_tok(&t[3], SCN_TOK_OP, "=", 1, 26, 1);
    cr_expect_eq(t[3].op, SCN_OP_NONE, "a lone '=' is assignment");
    cr_expect_not(t[3].space_before);
    expect_tok(&t[4], SCN_TOK_WORD, "8", 1, 27, 1);
    expect_tok(&t[5], SCN_TOK_WORD, "bdf", 1, 29, 3);
    cr_expect(t[5].space_before);
    expect_tok(&t[7], SCN_TOK_WORD, "01:00.0", 1, 33, 7);
    expect_tok(&t[10], SCN_TOK_WORD, "00:15:5d:00:00:01", 1, 45, 17);
    expect_tok(&t[13], SCN_TOK_WORD, "2Gbps", 1, 68, 5);
    cr_expect_eq(lex_next(&L, &bad), 0, "end of input");
    lex_close(&L);
}

Test(scn_lexer, operators_commas_tildes_and_times)
{
    struct lexed L;
    lex_open(&L, "2s~+2.1s expect a.b==1 c!=2 d<=3 e>=4 f<5 g>6 points=a,b,\"c d\"");
    bool bad;
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_assert_not(bad);
    const struct scn_tok *t = L.line.toks;
    expect_tok(&t[0], SCN_TOK_WORD, "2s", 1, 1, 2);
    expect_tok(&t[1], SCN_TOK_TILDE, "~", 1, 3, 1);
    expect_tok(&t[2], SCN_TOK_WORD, "+2.1s", 1, 4, 5);
    expect_tok(&t[4], SCN_TOK_WORD, "a.b", 1, 17, 3);
    expect_tok(&t[5], SCN_TOK_OP, "==", 1, 20, 2);
    cr_expect_eq(t[5].op, SCN_OP_EQ);
    static const enum scn_op ops[] = {SCN_OP_NE, SCN_OP_LE, SCN_OP_GE, SCN_OP_LT, SCN_OP_GT};
    for (int k = 0; k < 5; k++)
        cr_expect_eq(t[8 + 3 * k].op, ops[k], "operator %d", k);
    size_t n = L.line.n;
    expect_tok(&t[n - 5], SCN_TOK_WORD, "a", 1, 54, 1);
    expect_tok(&t[n - 4], SCN_TOK_COMMA, ",", 1, 55, 1);
    expect_tok(&t[n - 1], SCN_TOK_STRING, "c d", 1, 58, 5);
    lex_close(&L);
}

Test(scn_lexer, comments_blank_lines_and_crlf)
{
    struct lexed L;
    lex_open(&L, "# header\r\n\r\n   \nhost h1   # trailing\r\nvm v1 // also\nmark \"a # b\"");
    bool bad;
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_expect_eq(L.line.n, 0, "comment line");
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_expect_eq(L.line.n, 0, "empty CRLF line");
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_expect_eq(L.line.n, 0, "blank line");
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_assert_eq(L.line.n, 2);
    expect_tok(&L.line.toks[1], SCN_TOK_WORD, "h1", 4, 6, 2);
    cr_expect_eq(L.line.code_len, 7, "code ends before the comment and its blanks");
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_expect_eq(L.line.n, 2, "// starts a comment");
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_assert_eq(L.line.n, 2);
    expect_tok(&L.line.toks[1], SCN_TOK_STRING, "a # b", 6, 6, 7);
    cr_expect_eq(lex_next(&L, &bad), 0);
    lex_close(&L);
}

Test(scn_lexer, string_escapes)
{
    struct lexed L;
    lex_open(&L, "mark \"q\\\"b\\\\n\\n\\t\\x41\"");
    bool bad;
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_assert_not(bad);
    cr_assert_eq(L.line.n, 2);
    cr_expect_str_eq(L.line.toks[1].text, "q\"b\\n\n\tA");
    cr_expect_eq(L.line.toks[1].len, 17);
    lex_close(&L);
}

struct lex_err_case {
    const char *src;
    uint32_t col;
    const char *msg;
};

Test(scn_lexer, errors_name_the_column)
{
    static const struct lex_err_case cases[] = {
        {"mark \"open", 6, "unterminated string"},
        {"mark \"bad \\q\"", 11, "unknown escape '\\q'"},
        {"mark \"bad \\x4\"", 11, "\\x needs two hex digits"},
        {"mark \"nul \\x00\"", 11, "\\x needs two hex digits"},
        {"host h1 (x)", 9, "unexpected character '('"},
        {"host h1; vm x", 8, "unexpected character ';'"},
        {"mark 'x'", 6, "strings use \"double quotes\""},
        {"host h\xc3\xa9", 7, "non-ASCII byte 0xc3"},
        {"host h1 \x01", 9, "control character 0x01"},
        {"expect a ! b", 10, "the operator is '!='"},
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        struct lexed L;
        lex_open(&L, cases[i].src);
        bool bad;
        cr_assert_eq(lex_next(&L, &bad), 1);
        cr_expect(bad, "case %zu is an error", i);
        cr_assert_eq(scn_diags_count(L.diags), 1, "case %zu: one diagnostic", i);
        const struct scn_diag *d = scn_diags_get(L.diags, 0);
        cr_expect_eq(d->line, 1);
        cr_expect_eq(d->col, cases[i].col, "case %zu (%s): col %u", i, cases[i].src, d->col);
        cr_expect(strstr(d->message, cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i,
                  d->message, cases[i].msg);
        cr_expect_not_null(d->source_line);
        cr_expect_null(strchr(d->source_line, '\x01'), "control bytes neutralised in the echo");
        lex_close(&L);
    }
}

Test(scn_lexer, line_too_long_is_an_error)
{
    size_t n = SCN_MAX_LINE + 10;
    char *src = malloc(n + 1);
    memset(src, 'a', n);
    src[n] = '\0';
    struct lexed L;
    lex_open(&L, src);
    bool bad;
    cr_assert_eq(lex_next(&L, &bad), 1);
    cr_expect(bad);
    cr_expect(strstr(scn_diags_get(L.diags, 0)->message, "line too long") != NULL);
    lex_close(&L);
    free(src);
}
