/* SPDX-License-Identifier: MIT */
/*
 * ast.c — the parsed program: its arena, typed values (conversion from source words and
 * canonical formatting back), statement accessors and the canonical text of a statement.
 * Windows counterpart: none.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "script/script_int.h"

SIM_ALLOC_TAG_DEFINE(scn_ast);
SIM_LOG_NS_DEFINE(script);

/* ---------------------------------------------------------------------------------------------
 * Arena.
 * ------------------------------------------------------------------------------------------- */
struct scn_arena_chunk {
    struct scn_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK 8192

void
scn__arena_init(struct scn_arena *a, struct sim_alloc_tag *tag)
{
    a->tag = tag;
    a->head = NULL;
    a->oom = false;
}

void
scn__arena_fini(struct scn_arena *a)
{
    struct scn_arena_chunk *c = a->head;
    while (c != NULL) {
        struct scn_arena_chunk *next = c->next;
        sim_free(c);
        c = next;
    }
    a->head = NULL;
}

void *
scn__arena_alloc(struct scn_arena *a, size_t n)
{
    if (a->oom)
        return NULL;
    n = (n + 7u) & ~(size_t)7u;
    if (n == 0)
        n = 8;
    struct scn_arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = sim_alloc(a->tag, sizeof *c + size);
        if (c == NULL) {
            a->oom = true;
            return NULL;
        }
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *
scn__arena_strndup(struct scn_arena *a, const char *s, size_t n)
{
    char *p = scn__arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
scn__arena_printf(struct scn_arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return scn__arena_strndup(a, buf, strlen(buf));
}

/* ---------------------------------------------------------------------------------------------
 * Names of enums.
 * ------------------------------------------------------------------------------------------- */
static const char *const type_names[SCN_T_COUNT] = {
    [SCN_T_DURATION] = "duration", [SCN_T_INT] = "integer",     [SCN_T_HEX] = "integer",
    [SCN_T_FLOAT] = "number",      [SCN_T_RATE] = "rate",       [SCN_T_SIZE] = "size",
    [SCN_T_BOOL] = "boolean",      [SCN_T_MAC] = "MAC address", [SCN_T_IPV4] = "IPv4 address",
    [SCN_T_BDF] = "PCI address",   [SCN_T_NAME] = "name",       [SCN_T_ENUM] = "word",
    [SCN_T_STRING] = "string",     [SCN_T_OID] = "OID name",    [SCN_T_STATUS] = "status name",
    [SCN_T_WORD] = "word",
};

const char *
scn_type_name(enum scn_type type)
{
    return (unsigned)type < SCN_T_COUNT ? type_names[type] : "?";
}

const char *
scn_op_name(enum scn_op op)
{
    switch (op) {
    case SCN_OP_NONE:
        return "";
    case SCN_OP_EQ:
        return "==";
    case SCN_OP_NE:
        return "!=";
    case SCN_OP_LT:
        return "<";
    case SCN_OP_LE:
        return "<=";
    case SCN_OP_GT:
        return ">";
    case SCN_OP_GE:
        return ">=";
    case SCN_OP_CONTIGUOUS:
        return "contiguous";
    }
    return "?";
}

const char *
scn_obj_kind_name(unsigned kind)
{
    switch (kind) {
    case SCN_OBJ_HOST:
        return "host";
    case SCN_OBJ_PF:
        return "PF";
    case SCN_OBJ_VF:
        return "VF";
    case SCN_OBJ_SWITCH:
        return "vswitch";
    case SCN_OBJ_VM:
        return "VM";
    case SCN_OBJ_PEER:
        return "peer";
    case SCN_OBJ_FLOW:
        return "flow";
    case SCN_OBJ_POINT:
        return "capture point";
    }
    return "object";
}

/* ---------------------------------------------------------------------------------------------
 * Value conversion.
 * ------------------------------------------------------------------------------------------- */
const char *const scn__bool_words[] = {"true", "false", "on", "off", "yes", "no", NULL};

/* Decimal number with an optional fraction: returns the suffix, or NULL if no digits. */
static const char *
parse_decimal(const char *p, uint64_t *whole, uint64_t *frac, uint64_t *scale, bool *overflow)
{
    int wd = 0, fd = 0;
    *whole = 0;
    *frac = 0;
    *scale = 1;
    *overflow = false;
    while (isdigit((unsigned char)*p)) {
        if (*whole > (UINT64_MAX - 9) / 10)
            *overflow = true;
        else
            *whole = *whole * 10 + (uint64_t)(*p - '0');
        wd++;
        p++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (fd >= 18)
                *overflow = true;
            else {
                *frac = *frac * 10 + (uint64_t)(*p - '0');
                *scale *= 10;
            }
            fd++;
            p++;
        }
        if (fd == 0)
            return NULL;
    }
    return wd + fd > 0 ? p : NULL;
}

/* whole.frac (in units of `unit`) as an exact integer, or SIM_EINVAL/SIM_ERANGE. */
static int
scaled(uint64_t whole, uint64_t frac, uint64_t scale, uint64_t unit, uint64_t *out)
{
    if (unit != 0 && whole > UINT64_MAX / unit)
        return SIM_ERANGE;
    uint64_t v = whole * unit;
    unsigned __int128 wide = (unsigned __int128)frac * unit;
    if (wide % scale != 0)
        return SIM_EINVAL;
    uint64_t f = (uint64_t)(wide / scale);
    if (v > UINT64_MAX - f)
        return SIM_ERANGE;
    *out = v + f;
    return 0;
}

static int
parse_uint(const char *t, uint64_t *out)
{
    uint64_t v = 0;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        const char *p = t + 2;
        if (*p == '\0')
            return SIM_EINVAL;
        for (; *p; p++) {
            if (!isxdigit((unsigned char)*p))
                return SIM_EINVAL;
            if (v > (UINT64_MAX >> 4))
                return SIM_ERANGE;
            int d = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
            v = (v << 4) | (uint64_t)d;
        }
    } else {
        if (*t == '\0')
            return SIM_EINVAL;
        for (const char *p = t; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return SIM_EINVAL;
            if (v > (UINT64_MAX - 9) / 10)
                return SIM_ERANGE;
            v = v * 10 + (uint64_t)(*p - '0');
        }
    }
    *out = v;
    return 0;
}

static int
word_index(const char *const *words, const char *w)
{
    if (words == NULL)
        return -1;
    for (int i = 0; words[i] != NULL; i++)
        if (strcmp(words[i], w) == 0)
            return i;
    return -1;
}

static bool
is_name_segment(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool
is_upper_ident(const char *s, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0 || s[pl] == '\0')
        return false;
    for (const char *p = s + pl; *p; p++)
        if (!(isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return false;
    return true;
}

struct unit {
    const char *name;
    uint64_t mult;
};

static const struct unit rate_units[] = {
    {"bps", 1},        {"Kbps", 1000},       {"kbps", 1000},
    {"Mbps", 1000000}, {"Gbps", 1000000000}, {"Tbps", UINT64_C(1000000000000)},
};

static const struct unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"KB", 1000},
    {"kB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"KiB", 1024},
    {"MiB", 1024 * 1024},
    {"GiB", 1024 * 1024 * 1024},
};

static int
parse_units(const char *text, const struct unit *units, size_t n, uint64_t *out, bool *bad_unit)
{
    uint64_t whole, frac, scale;
    bool ovf;
    *bad_unit = false;
    const char *suffix = parse_decimal(text, &whole, &frac, &scale, &ovf);
    if (suffix == NULL)
        return SIM_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(suffix, units[i].name) == 0) {
            if (ovf)
                return SIM_ERANGE;
            return scaled(whole, frac, scale, units[i].mult, out);
        }
    }
    *bad_unit = true;
    return SIM_EINVAL;
}

static int
parse_hex_fixed(const char *p, int digits, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isxdigit((unsigned char)p[i]))
            return SIM_EINVAL;
        v = v * 16 + (unsigned)(isdigit((unsigned char)p[i])
                                    ? p[i] - '0'
                                    : tolower((unsigned char)p[i]) - 'a' + 10);
    }
    *out = v;
    return 0;
}

int
scn__value_convert(enum scn_type type, const char *text, const char *const *words,
                   struct scn_value *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->text = text;
    int rc;
    bool bad_unit;
    switch (type) {
    case SCN_T_DURATION:
        rc = sim_time_parse(text, &out->v.ns);
        if (rc == SIM_ERANGE)
            snprintf(why, why_len, "duration too large");
        else if (rc < 0)
            snprintf(why, why_len,
                     "expected a duration such as 100ms, 1.5s, 20us or 500ns (a bare number is "
                     "seconds)");
        return rc;
    case SCN_T_INT:
    case SCN_T_HEX:
        rc = parse_uint(text, &out->v.u);
        if (rc == SIM_ERANGE)
            snprintf(why, why_len, "integer too large");
        else if (rc < 0)
            snprintf(why, why_len, "expected a whole number such as 4 or 0x10ed");
        return rc;
    case SCN_T_FLOAT: {
        uint64_t whole, frac, scale;
        bool ovf;
        const char *end = parse_decimal(text, &whole, &frac, &scale, &ovf);
        if (end == NULL || *end != '\0') {
            snprintf(why, why_len, "expected a number such as 1.9");
            return SIM_EINVAL;
        }
        if (ovf) {
            snprintf(why, why_len, "number too long");
            return SIM_ERANGE;
        }
        out->v.f = (double)whole + (double)frac / (double)scale;
        return 0;
    }
    case SCN_T_RATE:
        rc = parse_units(text, rate_units, SIM_ARRAY_SIZE(rate_units), &out->v.u, &bad_unit);
        if (rc == SIM_ERANGE)
            snprintf(why, why_len, "rate too large");
        else if (rc < 0 && bad_unit)
            snprintf(why, why_len,
                     "expected a rate such as 2Gbps (units: bps, Kbps, Mbps, Gbps, Tbps)");
        else if (rc < 0)
            snprintf(why, why_len, "expected a rate such as 2Gbps or 100Mbps");
        return rc;
    case SCN_T_SIZE:
        rc = parse_units(text, size_units, SIM_ARRAY_SIZE(size_units), &out->v.u, &bad_unit);
        if (rc == SIM_ERANGE)
            snprintf(why, why_len, "size too large");
        else if (rc < 0)
            snprintf(why, why_len,
                     "expected a size such as 1448, 1448B, 9KiB or 1MB (a bare number is bytes, "
                     "whole bytes only)");
        return rc;
    case SCN_T_BOOL: {
        int i = word_index(scn__bool_words, text);
        if (i < 0) {
            snprintf(why, why_len, "expected true or false (also on/off, yes/no)");
            return SIM_EINVAL;
        }
        out->v.b = (i % 2) == 0;
        return 0;
    }
    case SCN_T_MAC: {
        if (strlen(text) != 17)
            goto bad_mac;
        for (int i = 0; i < 6; i++) {
            unsigned b;
            if (parse_hex_fixed(text + 3 * i, 2, &b) < 0)
                goto bad_mac;
            if (i < 5 && text[3 * i + 2] != ':')
                goto bad_mac;
            out->v.mac[i] = (uint8_t)b;
        }
        return 0;
    bad_mac:
        snprintf(why, why_len, "expected a MAC address such as 00:15:5d:00:00:01");
        return SIM_EINVAL;
    }
    case SCN_T_IPV4: {
        const char *p = text;
        uint32_t addr = 0;
        for (int i = 0; i < 4; i++) {
            unsigned v = 0;
            int d = 0;
            while (isdigit((unsigned char)*p) && d < 4) {
                v = v * 10 + (unsigned)(*p - '0');
                p++;
                d++;
            }
            if (d == 0 || d > 3 || v > 255)
                goto bad_ip;
            addr = (addr << 8) | v;
            if (i < 3) {
                if (*p != '.')
                    goto bad_ip;
                p++;
            }
        }
        out->v.ipv4.addr = addr;
        out->v.ipv4.prefix_len = -1;
        if (*p == '/') {
            p++;
            unsigned v = 0;
            int d = 0;
            while (isdigit((unsigned char)*p) && d < 3) {
                v = v * 10 + (unsigned)(*p - '0');
                p++;
                d++;
            }
            if (d == 0 || v > 32)
                goto bad_ip;
            out->v.ipv4.prefix_len = (int)v;
        }
        if (*p != '\0')
            goto bad_ip;
        return 0;
    bad_ip:
        snprintf(why, why_len, "expected an IPv4 address such as 10.0.0.1 or 10.0.0.1/24");
        return SIM_EINVAL;
    }
    case SCN_T_BDF: {
        /* [dddd:]bb:dd.f, hex, as lspci prints it. */
        const char *p = text;
        unsigned dom = 0, bus, dev, fn;
        size_t n = strlen(text);
        if (n == 12) {
            if (parse_hex_fixed(p, 4, &dom) < 0 || p[4] != ':')
                goto bad_bdf;
            p += 5;
            n -= 5;
        }
        if (n != 7 || parse_hex_fixed(p, 2, &bus) < 0 || p[2] != ':' ||
            parse_hex_fixed(p + 3, 2, &dev) < 0 || p[5] != '.' ||
            parse_hex_fixed(p + 6, 1, &fn) < 0)
            goto bad_bdf;
        if (dev > 31 || fn > 7) {
            snprintf(why, why_len, "PCI device number must be 00-1f and function 0-7");
            return SIM_ERANGE;
        }
        out->v.bdf.domain = (uint16_t)dom;
        out->v.bdf.bus = (uint8_t)bus;
        out->v.bdf.dev = (uint8_t)dev;
        out->v.bdf.fn = (uint8_t)fn;
        return 0;
    bad_bdf:
        snprintf(why, why_len, "expected a PCI address (bus:device.function) such as 01:00.0");
        return SIM_EINVAL;
    }
    case SCN_T_NAME: {
        out->v.str = text;
        if (word_index(words, text) >= 0) {
            out->is_word = true;
            return 0;
        }
        const char *p = text;
        for (;;) {
            const char *dot = strchr(p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen(p);
            if (!is_name_segment(p, n)) {
                snprintf(why, why_len,
                         "expected an object name such as vm1, h1.pf0 or h1.pf0.vf0 (letters, "
                         "digits, '_' and '-', parts joined by '.')");
                return SIM_EINVAL;
            }
            if (dot == NULL)
                break;
            p = dot + 1;
        }
        return 0;
    }
    case SCN_T_ENUM: {
        int i = word_index(words, text);
        if (i < 0) {
            size_t o = (size_t)snprintf(why, why_len, "expected one of:");
            for (int k = 0; words != NULL && words[k] != NULL && o < why_len; k++)
                o += (size_t)snprintf(why + o, why_len - o, "%s %s", k ? "," : "", words[k]);
            return SIM_EINVAL;
        }
        out->v.u = (uint64_t)i;
        out->v.str = words[i];
        return 0;
    }
    case SCN_T_STRING:
    case SCN_T_WORD:
        out->v.str = text;
        return 0;
    case SCN_T_OID:
        out->v.str = text;
        if (!is_upper_ident(text, "OID_")) {
            snprintf(why, why_len,
                     "expected an OID name such as OID_NIC_SWITCH_ALLOCATE_VF (OID_ followed by "
                     "capitals, digits and '_')");
            return SIM_EINVAL;
        }
        return 0;
    case SCN_T_STATUS:
        out->v.str = text;
        if (!is_upper_ident(text, "NDIS_STATUS_")) {
            snprintf(why, why_len, "expected a status name such as NDIS_STATUS_SUCCESS");
            return SIM_EINVAL;
        }
        return 0;
    case SCN_T_COUNT:
        break;
    }
    snprintf(why, why_len, "internal: unknown type");
    return SIM_EINVAL;
}

/* ---------------------------------------------------------------------------------------------
 * Formatting.
 * ------------------------------------------------------------------------------------------- */
struct sbuf {
    char *buf;
    size_t len, pos;
};

static void SIM_PRINTF(2, 3) sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->len == 0 || b->pos >= b->len - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->pos += (size_t)n < b->len - b->pos ? (size_t)n : b->len - b->pos - 1;
}

static void
fmt_scaled(struct sbuf *b, uint64_t v, const struct unit *units, size_t n)
{
    /* The largest unit that divides the value exactly (units are in increasing order). */
    size_t best = 0;
    for (size_t i = 0; i < n; i++)
        if (units[i].mult != 0 && v % units[i].mult == 0 && units[i].mult >= units[best].mult)
            best = i;
    if (v == 0)
        best = 0;
    sb_printf(b, "%" PRIu64 "%s", v / units[best].mult, units[best].name);
}

static void
fmt_duration(struct sbuf *b, sim_time_t ns)
{
    static const struct unit dur_units[] = {
        {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    if (ns < 0) {
        sb_printf(b, "-");
        ns = -ns;
    }
    fmt_scaled(b, (uint64_t)ns, dur_units, SIM_ARRAY_SIZE(dur_units));
}

static void
fmt_one(struct sbuf *b, const struct scn_value *v)
{
    switch (v->type) {
    case SCN_T_DURATION:
        fmt_duration(b, v->v.ns);
        break;
    case SCN_T_INT:
        sb_printf(b, "%" PRIu64, v->v.u);
        break;
    case SCN_T_HEX:
        sb_printf(b, v->v.u < 10 ? "%" PRIu64 : "0x%" PRIx64, v->v.u);
        break;
    case SCN_T_FLOAT:
        if (v->text != NULL)
            sb_printf(b, "%s", v->text);
        else
            sb_printf(b, "%.9g", v->v.f);
        break;
    case SCN_T_RATE: {
        static const struct unit r[] = {{"bps", 1},
                                        {"Kbps", 1000},
                                        {"Mbps", 1000000},
                                        {"Gbps", 1000000000},
                                        {"Tbps", UINT64_C(1000000000000)}};
        fmt_scaled(b, v->v.u, r, SIM_ARRAY_SIZE(r));
        break;
    }
    case SCN_T_SIZE: {
        static const struct unit s[] = {
            {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
        fmt_scaled(b, v->v.u, s, SIM_ARRAY_SIZE(s));
        break;
    }
    case SCN_T_BOOL:
        sb_printf(b, "%s", v->v.b ? "true" : "false");
        break;
    case SCN_T_MAC:
        sb_printf(b, "%02x:%02x:%02x:%02x:%02x:%02x", v->v.mac[0], v->v.mac[1], v->v.mac[2],
                  v->v.mac[3], v->v.mac[4], v->v.mac[5]);
        break;
    case SCN_T_IPV4:
        sb_printf(b, "%u.%u.%u.%u", (unsigned)(v->v.ipv4.addr >> 24) & 255u,
                  (unsigned)(v->v.ipv4.addr >> 16) & 255u, (unsigned)(v->v.ipv4.addr >> 8) & 255u,
                  (unsigned)v->v.ipv4.addr & 255u);
        if (v->v.ipv4.prefix_len >= 0)
            sb_printf(b, "/%d", v->v.ipv4.prefix_len);
        break;
    case SCN_T_BDF:
        if (v->v.bdf.domain != 0)
            sb_printf(b, "%04x:", v->v.bdf.domain);
        sb_printf(b, "%02x:%02x.%x", v->v.bdf.bus, v->v.bdf.dev, v->v.bdf.fn);
        break;
    case SCN_T_STRING: {
        const char *s = v->v.str ? v->v.str : "";
        sb_printf(b, "\"");
        for (const char *p = s; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\')
                sb_printf(b, "\\%c", c);
            else if (c == '\n')
                sb_printf(b, "\\n");
            else if (c == '\t')
                sb_printf(b, "\\t");
            else if (c < 0x20 || c == 0x7f)
                sb_printf(b, "\\x%02x", c);
            else
                sb_printf(b, "%c", c);
        }
        sb_printf(b, "\"");
        break;
    }
    case SCN_T_NAME:
    case SCN_T_ENUM:
    case SCN_T_OID:
    case SCN_T_STATUS:
    case SCN_T_WORD:
        sb_printf(b, "%s", v->v.str ? v->v.str : "");
        break;
    case SCN_T_COUNT:
        break;
    }
}

static void
fmt_value(struct sbuf *b, const struct scn_value *v)
{
    if (v->n_items == 0) {
        fmt_one(b, v);
        return;
    }
    for (size_t i = 0; i < v->n_items; i++) {
        if (i > 0)
            sb_printf(b, ",");
        fmt_one(b, &v->items[i]);
    }
}

char *
scn__time_text(sim_time_t ns, char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0};
    if (len > 0)
        buf[0] = '\0';
    fmt_duration(&b, ns);
    return buf;
}

char *
scn_value_format(const struct scn_value *v, char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0};
    if (len > 0)
        buf[0] = '\0';
    fmt_value(&b, v);
    return buf;
}

static void
fmt_expect(struct sbuf *b, const struct scn_stmt *s)
{
    const struct scn_expect *e = s->expect;
    switch (e->kind) {
    case SCN_EXPECT_VM:
        sb_printf(b, "%s.%s", e->subject, e->field);
        break;
    case SCN_EXPECT_FLOW:
        sb_printf(b, "flow %s.%s", e->subject, e->field);
        break;
    case SCN_EXPECT_OID:
        sb_printf(b, "oid %s %s %s", e->subject, e->oid, e->field);
        break;
    case SCN_EXPECT_OID_SEQUENCE:
        sb_printf(b, "oid-sequence %s", e->subject);
        for (size_t i = 0; i < e->n_oids; i++)
            sb_printf(b, " %s", e->oids[i]);
        if (e->exact)
            sb_printf(b, " exact=true");
        break;
    case SCN_EXPECT_EVENT:
        sb_printf(b, "event %s %s", e->subject, e->field);
        for (size_t i = 0; i < e->n_conds; i++) {
            sb_printf(b, " %s%s", e->conds[i].field,
                      e->conds[i].op == SCN_OP_EQ ? "=" : scn_op_name(e->conds[i].op));
            fmt_value(b, &e->conds[i].value);
        }
        break;
    case SCN_EXPECT_PCI:
        sb_printf(b, "pci %s %s", e->subject, e->field);
        break;
    case SCN_EXPECT_SWITCH:
        sb_printf(b, "switch %s %s", e->subject, e->field);
        break;
    case SCN_EXPECT_REFUSED:
        sb_printf(b, "refused");
        if (e->value.text != NULL) {
            sb_printf(b, " ");
            fmt_value(b, &e->value);
        }
        break;
    }
    if (e->op == SCN_OP_CONTIGUOUS) {
        sb_printf(b, " contiguous");
    } else if (e->op != SCN_OP_NONE) {
        sb_printf(b, " %s ", scn_op_name(e->op));
        fmt_value(b, &e->value);
    }
    if (s->verb == SCN_VERB_WAIT_UNTIL) {
        sb_printf(b, " timeout=");
        fmt_duration(b, s->window_ns);
    } else if (s->window_ns > 0) {
        sb_printf(b, " within=");
        fmt_duration(b, s->window_ns);
    }
}

char *
scn_expect_format(const struct scn_stmt *s, char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0};
    if (len > 0)
        buf[0] = '\0';
    if (s->expect != NULL)
        fmt_expect(&b, s);
    return buf;
}

char *
scn_stmt_format(const struct scn_stmt *s, char *buf, size_t len)
{
    struct sbuf b = {buf, len, 0};
    if (len > 0)
        buf[0] = '\0';
    char t[32];
    if (s->anchor >= 0) {
        sb_printf(&b, "+");
        fmt_duration(&b, s->offset_ns);
    } else {
        sb_printf(&b, "%s", sim_time_format(s->time_ns, t, sizeof t));
    }
    sb_printf(&b, " %s", scn_verb_name(s->verb));
    if (scn_verb_sub(s->verb) != NULL)
        sb_printf(&b, " %s", scn_verb_sub(s->verb));
    if (s->expect != NULL) {
        sb_printf(&b, " ");
        fmt_expect(&b, s);
        return buf;
    }
    for (size_t i = 0; i < s->n_pos; i++) {
        sb_printf(&b, " ");
        fmt_value(&b, &s->pos[i]);
    }
    for (size_t i = 0; i < s->n_args; i++) {
        if (s->args[i].is_default)
            continue;
        sb_printf(&b, " %s=", s->args[i].key);
        fmt_value(&b, &s->args[i].value);
    }
    return buf;
}

/* ---------------------------------------------------------------------------------------------
 * Accessors.
 * ------------------------------------------------------------------------------------------- */
const struct scn_arg *
scn_stmt_arg(const struct scn_stmt *s, const char *key)
{
    for (size_t i = 0; s != NULL && i < s->n_args; i++)
        if (strcmp(s->args[i].key, key) == 0)
            return &s->args[i];
    return NULL;
}

const struct scn_value *
scn_stmt_value(const struct scn_stmt *s, const char *key)
{
    const struct scn_arg *a = scn_stmt_arg(s, key);
    return a ? &a->value : NULL;
}

const char *
scn_program_name(const struct scn_program *p)
{
    return p->name;
}

size_t
scn_program_count(const struct scn_program *p)
{
    return p ? p->n : 0;
}

const struct scn_stmt *
scn_program_stmt(const struct scn_program *p, size_t i)
{
    return p && i < p->n ? &p->stmts[i] : NULL;
}

size_t
scn_program_expect_count(const struct scn_program *p)
{
    return p ? p->n_expect : 0;
}

bool
scn_program_seed(const struct scn_program *p, uint64_t *seed)
{
    if (p == NULL || !p->has_seed)
        return false;
    if (seed != NULL)
        *seed = p->seed;
    return true;
}

void
scn_program_destroy(struct scn_program *p)
{
    if (p == NULL)
        return;
    sim_free(p->stmts);
    scn__arena_fini(&p->arena);
    sim_free(p);
}
