/* SPDX-License-Identifier: MIT */
/*
 * lexer.c — cuts a `.scn` file into lines and each line into tokens with exact line:column.
 * Windows counterpart: none.
 *
 * Lexical rules (docs/scenario-language.md, "Lexical structure"):
 *   - one statement per line; '#' starts a comment anywhere outside a string, and so does '//'
 *     at the start of a token;
 *   - a word is a run of letters, digits and _ - . : / + * @ %  (so 2Gbps, 00:15:5d:00:00:01,
 *     01:00.0, h1.pf0.vf0, +100ms and out/run.pcapng are single words);
 *   - "strings" take the escapes \" \\ \n \t \xHH and end on the same line;
 *   - operators = == != < <= > >=, and the separators ',' and '~';
 *   - anything else (control bytes, non-ASCII outside strings and comments, brackets, ';') is an
 *     error at its column.
 */
#include <ctype.h>
#include <string.h>

#include "script/script_int.h"

void
scn__lexer_init(struct scn_lexer *lx, const char *file, const char *src, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->file = file;
    lx->src = src;
    lx->len = len;
}

void
scn__line_fini(struct scn_line *l)
{
    sim_free(l->toks);
    l->toks = NULL;
    l->n = l->cap = 0;
}

const char *
scn__line_text(struct scn_arena *arena, const struct scn_line *l)
{
    size_t n = l->len > SCN_MAX_LINE ? SCN_MAX_LINE : l->len;
    char *s = scn__arena_strndup(arena, l->start, n);
    if (s == NULL)
        return NULL;
    /* Diagnostics print the line on a terminal: neutralise control bytes. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
            s[i] = '?';
    return s;
}

static bool
is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '/' || c == '+' ||
           c == '*' || c == '@' || c == '%';
}

static int
push_tok(struct scn_line *l, const struct scn_tok *t)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct scn_tok *toks = sim_realloc(SIM_TAG(scn_parse), l->toks, cap * sizeof *toks);
        if (toks == NULL)
            return SIM_ENOMEM;
        l->toks = toks;
        l->cap = cap;
    }
    l->toks[l->n++] = *t;
    return 0;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Report a lexical error on this line; returns SIM_ENOMEM if even that failed. */
static int
lex_error(struct scn_lexer *lx, struct scn_arena *arena, struct scn_diags *diags,
          const struct scn_line *l, size_t at, uint32_t len, const char *msg)
{
    const char *src = scn__line_text(arena, l);
    if (src == NULL)
        return SIM_ENOMEM;
    scn__diag_add(diags, SCN_SEV_ERROR, lx->file, l->line, (uint32_t)at + 1, len, src, "%s", msg);
    return diags->arena.oom ? SIM_ENOMEM : 0;
}

int
scn__lexer_next_line(struct scn_lexer *lx, struct scn_arena *arena, struct scn_diags *diags,
                     struct scn_line *l, bool *bad)
{
    *bad = false;
    l->n = 0;
    if (lx->pos >= lx->len)
        return 0;
    const char *start = lx->src + lx->pos;
    size_t rest = lx->len - lx->pos;
    const char *nl = memchr(start, '\n', rest);
    size_t len = nl ? (size_t)(nl - start) : rest;
    lx->pos += len + (nl ? 1 : 0);
    lx->line++;
    if (len > 0 && start[len - 1] == '\r')
        len--;
    l->line = lx->line;
    l->start = start;
    l->len = len;
    l->code_len = len;

    char msg[128];
    if (len > SCN_MAX_LINE) {
        *bad = true;
        snprintf(msg, sizeof msg, "line too long (%zu bytes; the limit is %u)", len, SCN_MAX_LINE);
        return lex_error(lx, arena, diags, l, 0, 1, msg) < 0 ? SIM_ENOMEM : 1;
    }

    size_t i = 0;
    bool space = true;
    while (i < len) {
        unsigned char c = (unsigned char)start[i];
        struct scn_tok t = {.line = l->line, .col = (uint32_t)i + 1, .space_before = space};
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            i++;
            continue;
        }
        if (c == '#' || (c == '/' && i + 1 < len && start[i + 1] == '/')) {
            l->code_len = i;
            break;
        }
        space = false;
        if (c == '"') {
            /* A string: unescape into a buffer no longer than the source. */
            char *buf = scn__arena_alloc(arena, len - i + 1);
            if (buf == NULL)
                return SIM_ENOMEM;
            size_t j = i + 1, o = 0;
            bool closed = false;
            while (j < len) {
                unsigned char d = (unsigned char)start[j];
                if (d == '"') {
                    closed = true;
                    j++;
                    break;
                }
                if (d == '\\') {
                    if (j + 1 >= len)
                        break;
                    unsigned char e = (unsigned char)start[j + 1];
                    if (e == '"' || e == '\\') {
                        buf[o++] = (char)e;
                        j += 2;
                    } else if (e == 'n') {
                        buf[o++] = '\n';
                        j += 2;
                    } else if (e == 't') {
                        buf[o++] = '\t';
                        j += 2;
                    } else if (e == 'x' && j + 3 < len && hexval(start[j + 2]) >= 0 &&
                               hexval(start[j + 3]) >= 0 &&
                               (hexval(start[j + 2]) | hexval(start[j + 3])) != 0) {
                        buf[o++] = (char)(hexval(start[j + 2]) * 16 + hexval(start[j + 3]));
                        j += 4;
                    } else {
                        *bad = true;
                        if (e == 'x')
                            snprintf(msg, sizeof msg,
                                     "invalid escape in string: \\x needs two hex digits "
                                     "(not 00)");
                        else if (e >= 0x20 && e < 0x7f)
                            snprintf(msg, sizeof msg,
                                     "unknown escape '\\%c' in string (use \\\" \\\\ \\n \\t "
                                     "or \\xHH)",
                                     e);
                        else
                            snprintf(msg, sizeof msg, "unknown escape in string");
                        return lex_error(lx, arena, diags, l, j, 2, msg) < 0 ? SIM_ENOMEM : 1;
                    }
                    continue;
                }
                if (d < 0x20 && d != '\t') {
                    *bad = true;
                    snprintf(msg, sizeof msg, "control character 0x%02x in string", d);
                    return lex_error(lx, arena, diags, l, j, 1, msg) < 0 ? SIM_ENOMEM : 1;
                }
                buf[o++] = (char)d;
                j++;
            }
            if (!closed) {
                *bad = true;
                return lex_error(lx, arena, diags, l, i, 1,
                                 "unterminated string (a string ends on the line it starts)") < 0
                           ? SIM_ENOMEM
                           : 1;
            }
            buf[o] = '\0';
            t.kind = SCN_TOK_STRING;
            t.text = buf;
            t.len = (uint32_t)(j - i);
            i = j;
        } else if (c == '=' || c == '!' || c == '<' || c == '>') {
            bool eq2 = i + 1 < len && start[i + 1] == '=';
            t.kind = SCN_TOK_OP;
            t.len = eq2 ? 2 : 1;
            switch (c) {
            case '=':
                t.op = eq2 ? SCN_OP_EQ : SCN_OP_NONE;
                break;
            case '!':
                if (!eq2) {
                    *bad = true;
                    return lex_error(lx, arena, diags, l, i, 1,
                                     "unexpected '!' (the operator is '!=')") < 0
                               ? SIM_ENOMEM
                               : 1;
                }
                t.op = SCN_OP_NE;
                break;
            case '<':
                t.op = eq2 ? SCN_OP_LE : SCN_OP_LT;
                break;
            default:
                t.op = eq2 ? SCN_OP_GE : SCN_OP_GT;
                break;
            }
            t.text = scn__arena_strndup(arena, start + i, t.len);
            if (t.text == NULL)
                return SIM_ENOMEM;
            i += t.len;
        } else if (c == ',' || c == '~') {
            t.kind = c == ',' ? SCN_TOK_COMMA : SCN_TOK_TILDE;
            t.len = 1;
            t.text = c == ',' ? "," : "~";
            i++;
        } else if (is_word_char(c)) {
            size_t j = i;
            while (j < len && is_word_char((unsigned char)start[j]))
                j++;
            t.kind = SCN_TOK_WORD;
            t.len = (uint32_t)(j - i);
            t.text = scn__arena_strndup(arena, start + i, j - i);
            if (t.text == NULL)
                return SIM_ENOMEM;
            i = j;
        } else {
            *bad = true;
            if (c >= 0x80)
                snprintf(msg, sizeof msg, "non-ASCII byte 0x%02x outside a string or comment", c);
            else if (c < 0x20 || c == 0x7f)
                snprintf(msg, sizeof msg, "control character 0x%02x", c);
            else if (c == '\'')
                snprintf(msg, sizeof msg,
                         "unexpected character ''' (strings use \"double "
                         "quotes\")");
            else
                snprintf(msg, sizeof msg, "unexpected character '%c'", c);
            return lex_error(lx, arena, diags, l, i, 1, msg) < 0 ? SIM_ENOMEM : 1;
        }
        if (push_tok(l, &t) < 0)
            return SIM_ENOMEM;
    }
    while (l->code_len > 0 && isspace((unsigned char)start[l->code_len - 1]))
        l->code_len--;
    return 1;
}
