/* SPDX-License-Identifier: MIT */
/*
 * pcapng.c — the pcapng writer: one Section Header Block, one Interface Description Block per
 * capture point, one Enhanced Packet Block per recorded frame (layout: shared/reference/
 * ecosystem.md section 2.4, and the pcapng specification, draft-ietf-opsawg-pcapng).
 *
 * Windows counterpart: what `pktmon etl2pcap` produces from a pktmon trace (it too writes
 * pcapng, with the component per packet), written here directly during the run. libpcap 1.10
 * cannot write pcapng (libpcap issue #1321), hence this ~200-line writer.
 *
 * Every block is written in host byte order; the SHB byte-order magic tells readers which.
 * Blocks are assembled in one session buffer (allocated at session start) and written with one
 * fwrite per buffer-full, so the data path never allocates.
 */
#include <errno.h>
#include <string.h>

#include "capture/capture_int.h"

/* Block types and option codes (pcapng specification, sections 4 and 3.5). */
#define NG_BT_SHB 0x0A0D0D0Au
#define NG_BT_IDB 0x00000001u
#define NG_BT_EPB 0x00000006u
#define NG_MAGIC  0x1A2B3C4Du

#define NG_OPT_ENDOFOPT   0
#define NG_OPT_COMMENT    1
#define NG_SHB_USERAPPL   4
#define NG_IF_NAME        2
#define NG_IF_DESCRIPTION 3
#define NG_IF_TSRESOL     9
#define NG_IF_FILTER      11
#define NG_EPB_FLAGS      2
#define NG_EPB_PACKETID   5
#define NG_EPB_QUEUE      6

#define LINKTYPE_ETHERNET 1

/* Session write buffer: one largest EPB plus room to batch many ordinary ones. */
#define NG_BUF_SIZE ((size_t)512 * 1024)
_Static_assert(NG_BUF_SIZE >= CAP__EPB_MAX, "the buffer holds any one block");

static size_t
pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

static size_t
opt_size(size_t value_len)
{
    return 4 + pad4(value_len);
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
    return p + sizeof(v);
}

/* Copy n bytes and zero-pad to a multiple of 4. */
static uint8_t *
put_padded(uint8_t *p, const void *v, size_t n)
{
    if (n > 0)
        memcpy(p, v, n);
    size_t padded = pad4(n);
    memset(p + n, 0, padded - n);
    return p + padded;
}

static uint8_t *
put_opt(uint8_t *p, uint16_t code, const void *v, size_t n)
{
    p = put16(p, code);
    p = put16(p, (uint16_t)n);
    return put_padded(p, v, n);
}

int
cap__ng_flush(struct cap_session *s)
{
    if (s->file == NULL || s->buf_len == 0)
        return s->error;
    if (s->error == 0 && fwrite(s->buf, 1, s->buf_len, s->file) != s->buf_len)
        cap__session_record_error(s, "capture file '%s': write failed: %s", s->path,
                                  strerror(errno));
    s->buf_len = 0; /* after a failure the bytes are lost either way; keep the buffer usable */
    return s->error;
}

/* Room for n bytes (n <= buf_size) at the end of the buffer. */
static uint8_t *
reserve(struct cap_session *s, size_t n)
{
    if (s->buf_len + n > s->buf_size)
        cap__ng_flush(s);
    return s->buf + s->buf_len;
}

static void
commit(struct cap_session *s, const uint8_t *start, const uint8_t *end)
{
    s->buf_len += (size_t)(end - start);
}

int
cap__ng_open(struct cap_session *s, const char *userappl, const char *comment, struct sim_diag *d)
{
    s->buf = sim_alloc(SIM_TAG(cap_session), NG_BUF_SIZE);
    if (s->buf == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture file '%s': out of memory", s->path);
    s->buf_size = NG_BUF_SIZE;
    s->buf_len = 0;
    s->file = fopen(s->path, "wb");
    if (s->file == NULL)
        return sim_diag_fail(d, SIM_EIO, "capture file '%s': cannot open for writing: %s", s->path,
                             strerror(errno));
    /* Our buffer batches the blocks; unbuffered stdio makes each flush one write() whose
     * failure is seen at once. */
    setvbuf(s->file, NULL, _IONBF, 0);

    if (userappl == NULL)
        userappl = "sriovsim " SIM_VERSION_STRING;
    size_t ua = strlen(userappl);
    size_t cm = comment ? strlen(comment) : 0;
    size_t total = 24 + (cm ? opt_size(cm) : 0) + opt_size(ua) + 4 + 4; /* + endofopt, trailer */

    uint8_t *start = reserve(s, total), *p = start;
    p = put32(p, NG_BT_SHB);
    p = put32(p, (uint32_t)total);
    p = put32(p, NG_MAGIC);
    p = put16(p, 1);          /* major version */
    p = put16(p, 0);          /* minor version */
    p = put64(p, UINT64_MAX); /* section length -1: not specified */
    if (cm)
        p = put_opt(p, NG_OPT_COMMENT, comment, cm);
    p = put_opt(p, NG_SHB_USERAPPL, userappl, ua);
    p = put32(p, NG_OPT_ENDOFOPT); /* code 0, length 0 */
    p = put32(p, (uint32_t)total);
    commit(s, start, p);
    return 0;
}

int
cap__ng_write_idb(struct cap_session *s, const struct cap_iface *ifc, const char *desc)
{
    size_t nl = strlen(ifc->name);
    size_t dl = desc ? strlen(desc) : 0;
    size_t fl = s->filter.active ? strlen(s->filter.text) + 1 : 0;
    size_t total =
        16 + opt_size(nl) + (dl ? opt_size(dl) : 0) + opt_size(1) + (fl ? opt_size(fl) : 0) + 4 + 4;
    static const uint8_t tsresol_ns = 9; /* 10^-9 s per unit */

    uint8_t *start = reserve(s, total), *p = start;
    p = put32(p, NG_BT_IDB);
    p = put32(p, (uint32_t)total);
    p = put16(p, LINKTYPE_ETHERNET);
    p = put16(p, 0); /* reserved */
    p = put32(p, s->snaplen);
    p = put_opt(p, NG_IF_NAME, ifc->name, nl);
    if (dl)
        p = put_opt(p, NG_IF_DESCRIPTION, desc, dl);
    p = put_opt(p, NG_IF_TSRESOL, &tsresol_ns, 1);
    if (fl) {
        /* if_filter: first byte 0 = a libpcap filter string. */
        p = put16(p, NG_IF_FILTER);
        p = put16(p, (uint16_t)fl);
        *p = 0;
        memcpy(p + 1, s->filter.text, fl - 1);
        memset(p + fl, 0, pad4(fl) - fl);
        p += pad4(fl);
    }
    p = put32(p, NG_OPT_ENDOFOPT);
    p = put32(p, (uint32_t)total);
    commit(s, start, p);
    return 0;
}

void
cap__ng_write_epb(struct cap_session *s, uint32_t if_id, int64_t ts_ns, enum cap_dir dir,
                  uint64_t packet_id, uint32_t queue, const void *frame, uint32_t caplen,
                  uint32_t len, const char *comment, size_t comment_len)
{
    bool has_flags = dir == CAP_DIR_IN || dir == CAP_DIR_OUT;
    bool has_id = packet_id != 0;
    bool has_queue = queue != CAP_QUEUE_NONE;
    bool has_comment = comment != NULL && comment_len > 0;
    size_t opts = (has_comment ? opt_size(comment_len) : 0) + (has_flags ? opt_size(4) : 0) +
                  (has_id ? opt_size(8) : 0) + (has_queue ? opt_size(4) : 0);
    if (opts)
        opts += 4; /* opt_endofopt */
    size_t total = 28 + pad4(caplen) + opts + 4;
    uint64_t ts = (uint64_t)ts_ns;

    uint8_t *start = reserve(s, total), *p = start;
    p = put32(p, NG_BT_EPB);
    p = put32(p, (uint32_t)total);
    p = put32(p, if_id);
    p = put32(p, (uint32_t)(ts >> 32));
    p = put32(p, (uint32_t)ts);
    p = put32(p, caplen);
    p = put32(p, len);
    p = put_padded(p, frame, caplen);
    if (has_comment)
        p = put_opt(p, NG_OPT_COMMENT, comment, comment_len);
    if (has_flags) {
        uint32_t flags = (uint32_t)dir; /* bits 0-1: 1 inbound, 2 outbound */
        p = put_opt(p, NG_EPB_FLAGS, &flags, 4);
    }
    if (has_id)
        p = put_opt(p, NG_EPB_PACKETID, &packet_id, 8);
    if (has_queue)
        p = put_opt(p, NG_EPB_QUEUE, &queue, 4);
    if (opts)
        p = put32(p, NG_OPT_ENDOFOPT);
    p = put32(p, (uint32_t)total);
    commit(s, start, p);
}

int
cap__ng_close(struct cap_session *s)
{
    if (s->file == NULL)
        return s->error;
    cap__ng_flush(s);
    if (fclose(s->file) != 0)
        cap__session_record_error(s, "capture file '%s': close failed: %s", s->path,
                                  strerror(errno));
    s->file = NULL;
    return s->error;
}
