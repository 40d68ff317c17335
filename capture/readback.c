/* SPDX-License-Identifier: MIT */
/*
 * readback.c — reading captures back, for tests and tools: through libpcap (any classic pcap
 * or single-linktype pcapng, nanosecond precision), and through a small pcapng block walker of
 * our own that also returns what libpcap hides — interface names and descriptions, epb_flags,
 * epb_packetid, epb_queue and comments — so tests can check a capture without tshark.
 *
 * Windows counterpart: none (the admin opens the file in Wireshark). The walker trusts nothing:
 * every length is bounds-checked and a malformed file gives SIM_EPARSE with its offset.
 */
#include <errno.h>
#include <string.h>

#include "capture/capture_int.h"

SIM_ALLOC_TAG_DEFINE(cap_reader);

/* ---------------------------------------------------------------------------------------------
 * libpcap reader
 * ------------------------------------------------------------------------------------------- */

struct cap_reader {
    pcap_t *pcap;
};

int
cap_reader_open(const char *path, struct cap_reader **out, struct sim_diag *d)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture reader: path and out are required");
    struct cap_reader *r = sim_calloc(SIM_TAG(cap_reader), 1, sizeof(*r));
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture reader: out of memory");
    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = '\0';
    r->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (r->pcap == NULL) {
        sim_free(r);
        return sim_diag_fail(d, SIM_EIO, "capture file '%s': %s", path, errbuf);
    }
    *out = r;
    return 0;
}

int
cap_reader_next(struct cap_reader *r, struct cap_frame *f, struct sim_diag *d)
{
    if (r == NULL || f == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture reader: reader and frame are required");
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(r->pcap, &h, &data);
    if (rc == PCAP_ERROR_BREAK)
        return 0; /* end of file */
    if (rc != 1)
        return sim_diag_fail(d, SIM_EPARSE, "capture file: %s", pcap_geterr(r->pcap));
    /* Opened at nanosecond precision: tv_usec holds nanoseconds. */
    f->ts_ns = (int64_t)h->ts.tv_sec * SIM_NSEC_PER_SEC + (int64_t)h->ts.tv_usec;
    f->caplen = h->caplen;
    f->len = h->len;
    f->data = data;
    return 1;
}

int
cap_reader_linktype(const struct cap_reader *r)
{
    /* pcap_datalink takes a non-const handle but does not modify it. */
    return r ? pcap_datalink((pcap_t *)(uintptr_t)r->pcap) : -1;
}

void
cap_reader_close(struct cap_reader *r)
{
    if (r == NULL)
        return;
    pcap_close(r->pcap);
    sim_free(r);
}

/* ---------------------------------------------------------------------------------------------
 * pcapng block walker
 * ------------------------------------------------------------------------------------------- */

#define NG_BT_SHB          0x0A0D0D0Au
#define NG_BT_IDB          0x00000001u
#define NG_BT_EPB          0x00000006u
#define NG_MAGIC           0x1A2B3C4Du
#define NG_MAGIC_SWAPPED   0x4D3C2B1Au
#define NG_COMMENT_BUF_MAX 65536u

struct ng_iface {
    char *name;
    char *description;
    char *filter;
    uint8_t tsresol; /* raw if_tsresol byte */
};

/* Invariants: off <= len and off is at a block boundary; the first section_ifaces interfaces
 * of ifaces[] belong to earlier sections (EPB ids are relative to section_base). */
struct cap_ng_reader {
    uint8_t *data;
    size_t len;
    size_t off;
    struct ng_iface *ifaces;
    uint32_t n_ifaces;
    uint32_t cap_ifaces;
    uint32_t section_base;
    bool seen_shb;
    char *userappl;
    char *comment;
    char comment_buf[NG_COMMENT_BUF_MAX];
};

static uint16_t
get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t
get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t
get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static size_t
pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

static char *
dup_bytes(const uint8_t *p, size_t n)
{
    char *s = sim_alloc(SIM_TAG(cap_reader), n + 1);
    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Walk the options in [p, end). For each option calls fn(ctx, code, value, len); stops at
 * opt_endofopt or end. Returns 0, the first non-zero fn result, or SIM_EPARSE. */
typedef int (*opt_fn)(void *ctx, uint16_t code, const uint8_t *v, uint16_t len);

static int
walk_options(const uint8_t *p, const uint8_t *end, opt_fn fn, void *ctx)
{
    while ((size_t)(end - p) >= 4) {
        uint16_t code = get16(p), len = get16(p + 2);
        p += 4;
        if (code == 0)
            return 0;
        if (pad4(len) > (size_t)(end - p))
            return SIM_EPARSE;
        int rc = fn(ctx, code, p, len);
        if (rc != 0)
            return rc;
        p += pad4(len);
    }
    return 0;
}

static int
shb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
    struct cap_ng_reader *r = ctx;
    char **slot = code == 1 ? &r->comment : code == 4 ? &r->userappl : NULL;
    if (slot == NULL || *slot != NULL)
        return 0; /* other options, and repeated ones after the first, are ignored */
    *slot = dup_bytes(v, len);
    return *slot ? 0 : SIM_ENOMEM;
}

static int
idb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
    struct ng_iface *i = ctx;
    char **slot = NULL;
    switch (code) {
    case 2: /* if_name */
        slot = &i->name;
        break;
    case 3: /* if_description */
        slot = &i->description;
        break;
    case 9: /* if_tsresol */
        if (len >= 1)
            i->tsresol = v[0];
        return 0;
    case 11: /* if_filter: first byte = kind (0 = libpcap string) */
        if (len >= 1 && v[0] == 0 && i->filter == NULL) {
            i->filter = dup_bytes(v + 1, len - 1u);
            return i->filter ? 0 : SIM_ENOMEM;
        }
        return 0;
    default:
        return 0;
    }
    if (*slot != NULL)
        return 0;
    *slot = dup_bytes(v, len);
    return *slot ? 0 : SIM_ENOMEM;
}

struct epb_ctx {
    struct cap_ng_reader *r;
    struct cap_ng_packet *pkt;
};

static int
epb_opt(void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
    struct epb_ctx *c = ctx;
    switch (code) {
    case 1: /* opt_comment: the first one */
        if (c->pkt->comment == NULL) {
            memcpy(c->r->comment_buf, v, len);
            c->r->comment_buf[len] = '\0';
            c->pkt->comment = c->r->comment_buf;
        }
        break;
    case 2: /* epb_flags */
        if (len != 4)
            return SIM_EPARSE;
        c->pkt->has_flags = true;
        c->pkt->flags = get32(v);
        break;
    case 5: /* epb_packetid */
        if (len != 8)
            return SIM_EPARSE;
        c->pkt->has_packet_id = true;
        c->pkt->packet_id = get64(v);
        break;
    case 6: /* epb_queue */
        if (len != 4)
            return SIM_EPARSE;
        c->pkt->has_queue = true;
        c->pkt->queue = get32(v);
        break;
    default:
        break;
    }
    return 0;
}

/* Nanoseconds from a timestamp in if_tsresol units. */
static int64_t
ts_to_ns(uint64_t ts, uint8_t tsresol)
{
    if (tsresol & 0x80) { /* 2^-n seconds per unit */
        unsigned n = tsresol & 0x7f;
        if (n > 63)
            return 0;
#ifdef __SIZEOF_INT128__
        unsigned __int128 v = (unsigned __int128)ts * 1000000000u;
        return (int64_t)(v >> n);
#else
        return (int64_t)((long double)ts * 1e9L / (long double)(UINT64_C(1) << n));
#endif
    }
    unsigned e = tsresol; /* 10^-e seconds per unit */
    uint64_t scale = 1;
    if (e <= 9) {
        for (unsigned i = e; i < 9; i++)
            scale *= 10;
        return (int64_t)(ts * scale);
    }
    if (e > 9 + 19)
        return 0; /* finer than 10^-28 s: nothing representable in ns */
    for (unsigned i = 9; i < e; i++)
        scale *= 10;
    return (int64_t)(ts / scale);
}

void
cap_ng_reader_close(struct cap_ng_reader *r)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < r->n_ifaces; i++) {
        sim_free(r->ifaces[i].name);
        sim_free(r->ifaces[i].description);
        sim_free(r->ifaces[i].filter);
    }
    sim_free(r->ifaces);
    sim_free(r->userappl);
    sim_free(r->comment);
    sim_free(r->data);
    sim_free(r);
}

static int
read_file(const char *path, uint8_t **data, size_t *len, struct sim_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sim_diag_fail(d, SIM_EIO, "capture file '%s': %s", path, strerror(errno));
    size_t cap = 0, n = 0;
    uint8_t *buf = NULL;
    int err = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = sim_realloc(SIM_TAG(cap_reader), buf, ncap);
            if (nb == NULL) {
                err = sim_diag_fail(d, SIM_ENOMEM, "capture file '%s': out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                err = sim_diag_fail(d, SIM_EIO, "capture file '%s': read error", path);
            break;
        }
    }
    fclose(f);
    if (err != 0) {
        sim_free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return 0;
}

static int block_next(struct cap_ng_reader *r, struct cap_ng_packet *pkt, struct sim_diag *d);

int
cap_ng_reader_open(const char *path, struct cap_ng_reader **out, struct sim_diag *d)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "pcapng reader: path and out are required");
    struct cap_ng_reader *r = sim_calloc(SIM_TAG(cap_reader), 1, sizeof(*r));
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "pcapng reader: out of memory");
    int err = read_file(path, &r->data, &r->len, d);
    if (err != 0)
        goto fail;
    if (r->len < 12 || get32(r->data) != NG_BT_SHB) {
        err = sim_diag_fail(d, SIM_EPARSE, "capture file '%s': not a pcapng file", path);
        goto fail;
    }
    uint32_t magic = r->len >= 12 ? get32(r->data + 8) : 0;
    if (magic != NG_MAGIC) {
        err = sim_diag_fail(d, SIM_EPARSE,
                            magic == NG_MAGIC_SWAPPED
                                ? "capture file '%s': pcapng written in the other byte order "
                                  "(not supported by this reader)"
                                : "capture file '%s': bad pcapng byte-order magic",
                            path);
        goto fail;
    }
    /* The section header now, so that userappl and comment are known before any packet. */
    struct cap_ng_packet unused;
    err = block_next(r, &unused, d);
    if (err < 0)
        goto fail;
    *out = r;
    return 0;

fail:
    cap_ng_reader_close(r);
    return err;
}

static int
parse_error(struct cap_ng_reader *r, struct sim_diag *d, const char *what)
{
    return sim_diag_fail(d, SIM_EPARSE, "pcapng: %s at offset %zu", what, r->off);
}

/* Process the block at r->off (< r->len) and step past it. Returns 1 for an EPB (*pkt filled),
 * 0 for any other block, or a negative SIM_E* code. */
static int
block_next(struct cap_ng_reader *r, struct cap_ng_packet *pkt, struct sim_diag *d)
{
    size_t rest = r->len - r->off;
    const uint8_t *b = r->data + r->off;
    if (rest < 12)
        return parse_error(r, d, "truncated block header");
    uint32_t type = get32(b), total = get32(b + 4);
    if (total < 12 || total % 4 != 0 || total > rest)
        return parse_error(r, d, "bad block total length");
    if (get32(b + total - 4) != total)
        return parse_error(r, d, "trailing block length differs from the leading one");
    const uint8_t *body = b + 8, *end = b + total - 4;
    int rc = 0;

    switch (type) {
    case NG_BT_SHB:
        if (total < 28 || get32(body) != NG_MAGIC)
            return parse_error(r, d, "bad section header block");
        if (get16(body + 4) != 1)
            return parse_error(r, d, "unsupported pcapng major version");
        if (!r->seen_shb)
            rc = walk_options(body + 16, end, shb_opt, r);
        r->seen_shb = true;
        r->section_base = r->n_ifaces; /* interface ids restart in each section */
        break;
    case NG_BT_IDB: {
        if (!r->seen_shb)
            return parse_error(r, d, "interface block before a section header");
        if (total < 20)
            return parse_error(r, d, "short interface description block");
        if (r->n_ifaces == r->cap_ifaces) {
            uint32_t ncap = r->cap_ifaces ? r->cap_ifaces * 2 : 8;
            struct ng_iface *ni = sim_realloc(SIM_TAG(cap_reader), r->ifaces, ncap * sizeof(*ni));
            if (ni == NULL)
                return sim_diag_fail(d, SIM_ENOMEM, "pcapng reader: out of memory");
            r->ifaces = ni;
            r->cap_ifaces = ncap;
        }
        struct ng_iface *i = &r->ifaces[r->n_ifaces++];
        memset(i, 0, sizeof(*i));
        i->tsresol = 6; /* the default: microseconds */
        rc = walk_options(body + 8, end, idb_opt, i);
        break;
    }
    case NG_BT_EPB: {
        if (total < 32)
            return parse_error(r, d, "short enhanced packet block");
        uint32_t if_id = get32(body);
        if (if_id >= r->n_ifaces - r->section_base)
            return parse_error(r, d, "packet on an undeclared interface");
        uint32_t caplen = get32(body + 12);
        if (pad4(caplen) > (size_t)(end - (body + 20)))
            return parse_error(r, d, "packet data runs past its block");
        const struct ng_iface *i = &r->ifaces[r->section_base + if_id];
        memset(pkt, 0, sizeof(*pkt));
        pkt->interface_id = if_id;
        pkt->interface_name = i->name ? i->name : "";
        uint64_t ts = ((uint64_t)get32(body + 4) << 32) | get32(body + 8);
        pkt->ts_ns = ts_to_ns(ts, i->tsresol);
        pkt->caplen = caplen;
        pkt->len = get32(body + 16);
        pkt->data = body + 20;
        struct epb_ctx c = {r, pkt};
        rc = walk_options(body + 20 + pad4(caplen), end, epb_opt, &c);
        if (rc == SIM_EPARSE)
            return parse_error(r, d, "malformed packet option");
        if (rc != 0)
            return sim_diag_fail(d, rc, "pcapng reader: %s", sim_strerror(rc));
        r->off += total;
        return 1;
    }
    default:
        break; /* other block types are skipped */
    }
    if (rc == SIM_EPARSE)
        return parse_error(r, d, "malformed option");
    if (rc != 0)
        return sim_diag_fail(d, rc, "pcapng reader: %s", sim_strerror(rc));
    r->off += total;
    return 0;
}

int
cap_ng_reader_next(struct cap_ng_reader *r, struct cap_ng_packet *pkt, struct sim_diag *d)
{
    if (r == NULL || pkt == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "pcapng reader: reader and packet are required");
    while (r->off < r->len) {
        int rc = block_next(r, pkt, d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

uint32_t
cap_ng_reader_interface_count(const struct cap_ng_reader *r)
{
    return r ? r->n_ifaces : 0;
}

const char *
cap_ng_reader_interface_name(const struct cap_ng_reader *r, uint32_t id)
{
    if (r == NULL || id >= r->n_ifaces)
        return NULL;
    return r->ifaces[id].name ? r->ifaces[id].name : "";
}

const char *
cap_ng_reader_interface_description(const struct cap_ng_reader *r, uint32_t id)
{
    if (r == NULL || id >= r->n_ifaces)
        return NULL;
    return r->ifaces[id].description ? r->ifaces[id].description : "";
}

const char *
cap_ng_reader_interface_filter(const struct cap_ng_reader *r, uint32_t id)
{
    if (r == NULL || id >= r->n_ifaces)
        return NULL;
    return r->ifaces[id].filter;
}

const char *
cap_ng_reader_userappl(const struct cap_ng_reader *r)
{
    return r ? r->userappl : NULL;
}

const char *
cap_ng_reader_comment(const struct cap_ng_reader *r)
{
    return r ? r->comment : NULL;
}
