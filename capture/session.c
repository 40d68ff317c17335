/* SPDX-License-Identifier: MIT */
/*
 * session.c — a capture session: one recording of the selected capture points into one pcapng
 * file (or one classic pcap per point), with an optional BPF filter, user marks, per-point
 * counters and a latched write error.
 *
 * Windows counterpart: `pktmon start --capture --comp <ids> --pkt-size N -f file.etl` ...
 * `pktmon stop`: a run-long recording of chosen components, here written directly in the
 * format Wireshark reads (pktmon needs `pktmon etl2pcap` afterwards, which keeps the component
 * id per packet much as our interface id does).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture_int.h"

SIM_ALLOC_TAG_DEFINE(cap_session);

#define CAP__TEXT_MAX 1024u /* longest path, filter, selection, SHB option accepted */

int
cap_format_parse(const char *text, enum cap_format *out, struct sim_diag *d)
{
    if (text != NULL && out != NULL) {
        if (strcmp(text, "pcapng") == 0) {
            *out = CAP_FORMAT_PCAPNG;
            return 0;
        }
        if (strcmp(text, "pcap") == 0) {
            *out = CAP_FORMAT_PCAP;
            return 0;
        }
    }
    return sim_diag_fail(d, SIM_EINVAL, "capture format '%.64s': expected 'pcapng' or 'pcap'",
                         text ? text : "(null)");
}

const char *
cap_format_name(enum cap_format f)
{
    switch (f) {
    case CAP_FORMAT_PCAPNG:
        return "pcapng";
    case CAP_FORMAT_PCAP:
        return "pcap";
    }
    return "?";
}

void
cap__session_record_error(struct cap_session *s, const char *fmt, ...)
{
    if (s->error != 0)
        return; /* keep the first cause: later ones are usually its consequences */
    s->error = SIM_EIO;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error_reason, sizeof(s->error_reason), fmt, ap);
    va_end(ap);
    SIM_ERROR(cap, "%s", s->error_reason);
}

/* ---------------------------------------------------------------------------------------------
 * Point selection: "vm1.synthetic,h1.pf0,*" — exact names or dotted prefixes.
 * ------------------------------------------------------------------------------------------- */

static bool
item_matches(const char *item, size_t item_len, const char *name)
{
    if (item_len == 1 && item[0] == '*')
        return true;
    if (strncmp(name, item, item_len) != 0)
        return false;
    return name[item_len] == '\0' || name[item_len] == '.';
}

static bool
selection_matches(const char *sel, const char *name)
{
    if (sel == NULL)
        return true;
    const char *p = sel;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (item_matches(p, n, name))
            return true;
        if (comma == NULL)
            return false;
        p = comma + 1;
    }
}

/* Copy `text` without blanks around items into a new string; NULL for "all". */
static int
selection_normalize(const char *text, char **out, struct sim_diag *d)
{
    *out = NULL;
    if (text == NULL)
        return 0;
    size_t n = strlen(text);
    if (n > CAP__TEXT_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture points: selection longer than %u bytes",
                             CAP__TEXT_MAX);
    char *sel = sim_alloc(SIM_TAG(cap_session), n + 1);
    if (sel == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture points: out of memory");
    size_t o = 0;
    const char *p = text;
    bool all = false;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        size_t len = (size_t)(end - p);
        if (len == 0 || len > CAP_NAME_MAX) {
            sim_free(sel);
            return sim_diag_fail(d, SIM_EINVAL,
                                 "capture points '%.200s': empty or overlong item (expected "
                                 "point names or prefixes separated by commas)",
                                 text);
        }
        for (size_t i = 0; i < len; i++) {
            char c = p[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == ':' || (c == '*' && len == 1);
            if (!ok) {
                sim_free(sel);
                return sim_diag_fail(d, SIM_EINVAL,
                                     "capture points '%.200s': item '%.*s' is not a point name, "
                                     "a dotted prefix or '*'",
                                     text, (int)len, p);
            }
        }
        if (len == 1 && p[0] == '*')
            all = true;
        if (o > 0)
            sel[o++] = ',';
        memcpy(sel + o, p, len);
        o += len;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    sel[o] = '\0';
    if (all) {
        sim_free(sel);
        return 0;
    }
    *out = sel;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Interfaces
 * ------------------------------------------------------------------------------------------- */

static struct cap_iface *
iface_find(const struct cap_session *s, const char *name)
{
    for (uint32_t i = 0; i < s->n_ifaces; i++) {
        if (strcmp(s->ifaces[i]->name, name) == 0)
            return s->ifaces[i];
    }
    return NULL;
}

static void
iface_free(struct cap_iface *ifc)
{
    sim_free(ifc->file_name);
    sim_free(ifc);
}

/* Create the interface for p, an IDB (pcapng) or a file (pcap), and bind p to it. */
static int
iface_add(struct cap_session *s, struct cap_point *p, struct sim_diag *d)
{
    if (s->n_ifaces == s->cap_ifaces) {
        uint32_t ncap = s->cap_ifaces ? s->cap_ifaces * 2 : 8;
        struct cap_iface **ni = sim_realloc(SIM_TAG(cap_session), s->ifaces, ncap * sizeof(*ni));
        if (ni == NULL)
            return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", p->name);
        s->ifaces = ni;
        s->cap_ifaces = ncap;
    }
    struct cap_iface *ifc = sim_calloc(SIM_TAG(cap_session), 1, sizeof(*ifc));
    if (ifc == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", p->name);
    ifc->session = s;
    ifc->id = s->n_ifaces;
    memcpy(ifc->name, p->name, sizeof(ifc->name));

    int err;
    if (s->format == CAP_FORMAT_PCAPNG)
        err = cap__ng_write_idb(s, ifc, p->description);
    else
        err = cap__pcap_open_iface(s, ifc, d);
    if (err != 0) {
        iface_free(ifc);
        return err;
    }
    s->ifaces[s->n_ifaces++] = ifc;
    ifc->point = p;
    p->iface = ifc;
    return 0;
}

int
cap__session_bind_point(struct cap_session *s, struct cap_point *p, bool joining,
                        struct sim_diag *d)
{
    if (!selection_matches(s->points, p->name))
        return 0;
    struct cap_iface *ifc = iface_find(s, p->name);
    if (ifc != NULL) {
        ifc->point = p;
        p->iface = ifc;
        return 0;
    }
    struct sim_diag local;
    sim_diag_clear(&local);
    int err = iface_add(s, p, &local); /* binds on success */
    if (err == SIM_EIO && joining) {
        /* A point appearing mid-run must not fail the simulated object it observes because a
         * capture file cannot be opened: the point exists unrecorded and close() reports it. */
        cap__session_record_error(s, "%s", local.reason);
        return 0;
    }
    if (err != 0 && d != NULL)
        *d = local;
    return err;
}

void
cap__session_unbind_point(struct cap_point *p)
{
    if (p->iface != NULL) {
        p->iface->point = NULL;
        p->iface = NULL;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The data path: one tapped frame. No allocation, no failure return.
 * ------------------------------------------------------------------------------------------- */

void
cap__iface_tap(struct cap_iface *ifc, sim_time_t time_ns, enum cap_dir dir, uint64_t packet_id,
               uint32_t queue, const void *frame, uint32_t len, const char *comment)
{
    struct cap_session *s = ifc->session;
    struct cap_stats *st = &ifc->stats;
    static const uint8_t empty[1];

    st->tapped_packets++;
    st->tapped_bytes += len;
    uint32_t caplen = len < s->snaplen ? len : s->snaplen;
    if (frame == NULL) { /* a length without bytes: record the length only */
        frame = empty;
        caplen = 0;
    }

    if (s->filter.active && !cap__filter_match(&s->filter, frame, caplen, len)) {
        st->filtered_packets++;
        return;
    }
    if (s->error != 0) {
        st->failed_packets++;
        return;
    }

    if (s->format == CAP_FORMAT_PCAPNG) {
        /* opt_comment = pending marks, then this packet's event comment. */
        char text[CAP_COMMENT_MAX + 1];
        size_t n = s->mark_len;
        memcpy(text, s->mark, n);
        if (comment != NULL && comment[0] != '\0') {
            if (n > 0 && n + 2 <= CAP_COMMENT_MAX) {
                text[n++] = ';';
                text[n++] = ' ';
            }
            size_t c = strnlen(comment, CAP_COMMENT_MAX);
            if (c > CAP_COMMENT_MAX - n)
                c = CAP_COMMENT_MAX - n;
            memcpy(text + n, comment, c);
            n += c;
        }
        text[n] = '\0';
        cap__ng_write_epb(s, ifc->id, cap__stamp(time_ns), dir, packet_id, queue, frame, caplen,
                          len, n > 0 ? text : NULL, n);
        s->mark_len = 0;
        s->mark[0] = '\0';
    } else {
        cap__pcap_write(s, ifc, cap__stamp(time_ns), frame, caplen, len);
    }
    if (s->error != 0) {
        st->failed_packets++;
        return;
    }
    st->written_packets++;
    st->written_bytes += caplen;
    if (caplen < len)
        st->truncated_packets++;
}

int
cap_mark(struct cap_session *s, const char *text)
{
    if (s == NULL || text == NULL)
        return SIM_EINVAL;
    if (s->format != CAP_FORMAT_PCAPNG) {
        s->marks_dropped++;
        SIM_DEBUG(cap, "mark '%s' dropped: classic pcap has no packet comments", text);
        return 0;
    }
    size_t n = s->mark_len;
    if (n > 0 && n + 2 <= CAP_COMMENT_MAX) {
        s->mark[n++] = ';';
        s->mark[n++] = ' ';
    }
    size_t c = strnlen(text, CAP_COMMENT_MAX);
    if (c > CAP_COMMENT_MAX - n)
        c = CAP_COMMENT_MAX - n;
    memcpy(s->mark + n, text, c);
    n += c;
    s->mark[n] = '\0';
    s->mark_len = n;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Lifetime
 * ------------------------------------------------------------------------------------------- */

static int
opts_check(const struct cap_session_opts *o, struct sim_diag *d)
{
    if (o->path == NULL || o->path[0] == '\0')
        return sim_diag_fail(d, SIM_EINVAL, "capture: an output path is required");
    if (o->format != CAP_FORMAT_PCAPNG && o->format != CAP_FORMAT_PCAP)
        return sim_diag_fail(d, SIM_EINVAL, "capture: unknown format %d", (int)o->format);
    if (o->snaplen > CAP_SNAPLEN_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture: snap length %u exceeds %u", o->snaplen,
                             CAP_SNAPLEN_MAX);
    if (strlen(o->path) > CAP__TEXT_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture: path longer than %u bytes", CAP__TEXT_MAX);
    if (o->filter != NULL && strlen(o->filter) > CAP__TEXT_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture: filter longer than %u bytes", CAP__TEXT_MAX);
    if (o->userappl != NULL && strlen(o->userappl) > CAP_COMMENT_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture: userappl longer than %u bytes",
                             CAP_COMMENT_MAX);
    if (o->comment != NULL && strlen(o->comment) > CAP__TEXT_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture: comment longer than %u bytes", CAP__TEXT_MAX);
    return 0;
}

/* The pcap prefix: the path without a trailing ".pcap" / ".pcapng". */
static char *
path_copy(const char *path, enum cap_format f)
{
    size_t n = strlen(path);
    if (f == CAP_FORMAT_PCAP) {
        static const char *const suffixes[] = {".pcapng", ".pcap"};
        for (size_t i = 0; i < SIM_ARRAY_SIZE(suffixes); i++) {
            size_t k = strlen(suffixes[i]);
            if (n > k && strcmp(path + n - k, suffixes[i]) == 0) {
                n -= k;
                break;
            }
        }
    }
    char *p = sim_alloc(SIM_TAG(cap_session), n + 1);
    if (p != NULL) {
        memcpy(p, path, n);
        p[n] = '\0';
    }
    return p;
}

static void
session_free(struct cap_session *s)
{
    for (uint32_t i = 0; i < s->n_ifaces; i++)
        iface_free(s->ifaces[i]);
    sim_free(s->ifaces);
    cap__filter_free(&s->filter);
    sim_free(s->buf);
    sim_free(s->points);
    sim_free(s->path);
    sim_free(s);
}

/* Stop recording every point of s and close its files; returns the latched error. */
static int
session_shutdown(struct cap_session *s)
{
    for (uint32_t i = 0; i < s->n_ifaces; i++) {
        struct cap_iface *ifc = s->ifaces[i];
        if (ifc->point != NULL)
            cap__session_unbind_point(ifc->point);
    }
    if (s->registry->session == s)
        s->registry->session = NULL;
    if (s->format == CAP_FORMAT_PCAPNG)
        cap__ng_close(s);
    else
        cap__pcap_close(s);
    return s->error;
}

int
cap_session_create(struct cap_registry *r, const struct cap_session_opts *opts,
                   struct cap_session **out, struct sim_diag *d)
{
    if (out != NULL)
        *out = NULL;
    if (r == NULL || opts == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture: registry, options and out are required");
    int err = opts_check(opts, d);
    if (err != 0)
        return err;
    if (r->session != NULL)
        return sim_diag_fail(d, SIM_EBUSY, "capture: a session is already open (writing '%s')",
                             r->session->path);

    struct cap_session *s = sim_calloc(SIM_TAG(cap_session), 1, sizeof(*s));
    if (s == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture: out of memory");
    s->registry = r;
    s->format = opts->format;
    s->snaplen = opts->snaplen ? opts->snaplen : CAP_SNAPLEN_DEFAULT;
    s->path = path_copy(opts->path, opts->format);
    if (s->path == NULL) {
        err = sim_diag_fail(d, SIM_ENOMEM, "capture: out of memory");
        goto free_session;
    }
    err = selection_normalize(opts->points, &s->points, d);
    if (err != 0)
        goto free_session;
    err = cap__filter_compile(&s->filter, opts->filter, s->snaplen, d);
    if (err != 0)
        goto free_session;

    if (s->format == CAP_FORMAT_PCAPNG)
        err = cap__ng_open(s, opts->userappl, opts->comment, d);
    else
        err = cap__pcap_open(s, d);
    if (err != 0)
        goto free_session; /* the open functions leave nothing open on failure */

    r->session = s;
    for (size_t i = 0; i < r->n_points; i++) {
        err = cap__session_bind_point(s, r->points[i], false, d);
        if (err != 0)
            goto shutdown;
    }
    SIM_INFO(cap, "capture started: %s '%s', %u interface(s)%s%s", cap_format_name(s->format),
             s->path, s->n_ifaces, s->filter.active ? ", filter " : "",
             s->filter.active ? s->filter.text : "");
    *out = s;
    return 0;

shutdown:
    session_shutdown(s); /* unbinds the points bound so far, closes the output */
free_session:
    session_free(s);
    return err;
}

int
cap_session_flush(struct cap_session *s, struct sim_diag *d)
{
    if (s == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture: no session");
    if (s->format == CAP_FORMAT_PCAPNG)
        cap__ng_flush(s);
    else
        cap__pcap_flush(s);
    return cap_session_error(s, d);
}

int
cap_session_error(const struct cap_session *s, struct sim_diag *d)
{
    if (s == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture: no session");
    if (s->error != 0)
        return sim_diag_fail(d, s->error, "%s", s->error_reason);
    return 0;
}

int
cap_session_close(struct cap_session *s, struct sim_diag *d)
{
    if (s == NULL)
        return 0;
    int err = session_shutdown(s);
    if (err != 0)
        sim_diag_fail(d, err, "%s", s->error_reason);
    struct cap_stats t;
    cap_session_totals(s, &t);
    SIM_INFO(cap, "capture stopped: '%s': %llu written, %llu filtered, %llu failed", s->path,
             (unsigned long long)t.written_packets, (unsigned long long)t.filtered_packets,
             (unsigned long long)t.failed_packets);
    session_free(s);
    return err;
}

struct cap_session *
cap_registry_session(const struct cap_registry *r)
{
    return r ? r->session : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Counters and names
 * ------------------------------------------------------------------------------------------- */

int
cap_session_point_stats(const struct cap_session *s, const char *name, struct cap_stats *out)
{
    if (s == NULL || name == NULL || out == NULL)
        return SIM_EINVAL;
    const struct cap_iface *ifc = iface_find(s, name);
    if (ifc == NULL) {
        memset(out, 0, sizeof(*out));
        return SIM_ENOENT;
    }
    *out = ifc->stats;
    return 0;
}

void
cap_session_totals(const struct cap_session *s, struct cap_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->n_ifaces; i++) {
        const struct cap_stats *st = &s->ifaces[i]->stats;
        out->tapped_packets += st->tapped_packets;
        out->tapped_bytes += st->tapped_bytes;
        out->filtered_packets += st->filtered_packets;
        out->written_packets += st->written_packets;
        out->written_bytes += st->written_bytes;
        out->truncated_packets += st->truncated_packets;
        out->failed_packets += st->failed_packets;
    }
}

uint32_t
cap_session_interface_count(const struct cap_session *s)
{
    return s ? s->n_ifaces : 0;
}

int
cap_session_file_name(const struct cap_session *s, const char *point_name, char *buf, size_t len)
{
    if (s == NULL || buf == NULL || len == 0)
        return SIM_EINVAL;
    const char *name = s->path;
    if (point_name != NULL) {
        const struct cap_iface *ifc = iface_find(s, point_name);
        if (ifc == NULL)
            return SIM_ENOENT;
        if (s->format == CAP_FORMAT_PCAP)
            name = ifc->file_name;
    }
    size_t n = strlen(name);
    if (n + 1 > len)
        return SIM_ERANGE;
    memcpy(buf, name, n + 1);
    return 0;
}
