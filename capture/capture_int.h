/* SPDX-License-Identifier: MIT */
/*
 * capture_int.h — private to capture/: the layout of registries, points, sessions and their
 * interfaces, shared by point.c (registry, taps), session.c (lifetime, selection, marks),
 * pcapng.c (the writer), pcap_fallback.c (libpcap classic files) and filter.c (BPF).
 */
#ifndef SRIOVSIM_CAPTURE_INT_H
#define SRIOVSIM_CAPTURE_INT_H

#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>

#include "capture/capture.h"

SIM_LOG_NS_DECLARE(cap);
SIM_ALLOC_TAG_DECLARE(cap_registry);
SIM_ALLOC_TAG_DECLARE(cap_point);
SIM_ALLOC_TAG_DECLARE(cap_session);
SIM_ALLOC_TAG_DECLARE(cap_reader);

struct cap_iface;

/* Invariants: points[0..n_points) in creation order, each with ->registry == this registry;
 * session is the one open session or NULL. */
struct cap_registry {
    struct cap_point **points;
    size_t n_points;
    size_t cap_points;
    _Atomic uint64_t next_packet_id; /* last id handed out; ids start at 1 */
    struct cap_session *session;
};

/* Invariant: iface != NULL exactly while an open session records this point, and then
 * iface->point == this point. That pointer is the only thing cap_tap() tests. */
struct cap_point {
    struct cap_iface *iface;
    struct cap_registry *registry;
    char name[CAP_NAME_MAX + 1];
    char *description; /* never NULL ("" if none) */
};

/* One interface of a session: a pcapng IDB, or one classic pcap file. Interfaces are never
 * removed while the session lives, so a point re-created under the same name finds it again. */
struct cap_iface {
    struct cap_session *session;
    uint32_t id; /* pcapng interface id = index in session->ifaces */
    char name[CAP_NAME_MAX + 1];
    struct cap_point *point; /* bound point or NULL */
    struct cap_stats stats;
    pcap_dumper_t *dumper; /* pcap format only */
    char *file_name;       /* pcap format only */
};

/* The BPF program of a session (filter.c). */
struct cap__filter {
    bool active;
    char *text;
    struct bpf_program prog;
};

/* Invariants: ifaces[i]->id == i; while error != 0, nothing more is written to the file(s);
 * buf holds buf_len bytes not yet written to file (pcapng); buf_size >= CAP__EPB_MAX. */
struct cap_session {
    struct cap_registry *registry;
    enum cap_format format;
    char *path;   /* pcapng file, or the pcap prefix (suffix stripped) */
    char *points; /* selection, NULL = all */
    uint32_t snaplen;
    struct cap__filter filter;

    struct cap_iface **ifaces;
    uint32_t n_ifaces;
    uint32_t cap_ifaces;

    /* pcapng writer */
    FILE *file;
    uint8_t *buf;
    size_t buf_len;
    size_t buf_size;

    /* pcap writer: one dead handle gives every dumper its link type, snap length, precision */
    pcap_t *pcap_dead;

    char mark[CAP_COMMENT_MAX + 1]; /* pending comment for the next written packet */
    size_t mark_len;
    uint64_t marks_dropped; /* pcap format: marks that had nowhere to go */

    int error; /* first write error (SIM_EIO) or 0 */
    char error_reason[SIM_DIAG_REASON_MAX];
};

/* Largest pcapng EPB: header 28 + frame + pad 3 + options (flags 8, packet id 12, queue 8,
 * comment 4 + CAP_COMMENT_MAX + pad 1, end 4) + trailer 4. */
#define CAP__EPB_MAX                                                                               \
    ((size_t)28 + CAP_SNAPLEN_MAX + 3 + 8 + 12 + 8 + 4 + CAP_COMMENT_MAX + 1 + 4 + 4)

/* session.c */
/* Bind p to its interface if the selection matches, creating the interface (IDB or file) on
 * first use. joining: p is being created during the session (then a file that cannot be opened
 * is latched as the session's error instead of failing the point). */
int cap__session_bind_point(struct cap_session *s, struct cap_point *p, bool joining,
                            struct sim_diag *d);
void cap__session_unbind_point(struct cap_point *p);
void cap__session_record_error(struct cap_session *s, const char *fmt, ...) SIM_PRINTF(2, 3);
void cap__iface_tap(struct cap_iface *ifc, sim_time_t time_ns, enum cap_dir dir, uint64_t packet_id,
                    uint32_t queue, const void *frame, uint32_t len, const char *comment);

/* pcapng.c */
int cap__ng_open(struct cap_session *s, const char *userappl, const char *comment,
                 struct sim_diag *d);
int cap__ng_write_idb(struct cap_session *s, const struct cap_iface *ifc, const char *desc);
void cap__ng_write_epb(struct cap_session *s, uint32_t if_id, int64_t ts_ns, enum cap_dir dir,
                       uint64_t packet_id, uint32_t queue, const void *frame, uint32_t caplen,
                       uint32_t len, const char *comment, size_t comment_len);
int cap__ng_flush(struct cap_session *s);
int cap__ng_close(struct cap_session *s);

/* pcap_fallback.c */
int cap__pcap_open(struct cap_session *s, struct sim_diag *d);
int cap__pcap_open_iface(struct cap_session *s, struct cap_iface *ifc, struct sim_diag *d);
void cap__pcap_write(struct cap_session *s, struct cap_iface *ifc, int64_t ts_ns, const void *frame,
                     uint32_t caplen, uint32_t len);
int cap__pcap_flush(struct cap_session *s);
int cap__pcap_close(struct cap_session *s);

/* filter.c */
int cap__filter_compile(struct cap__filter *f, const char *text, uint32_t snaplen,
                        struct sim_diag *d);
bool cap__filter_match(const struct cap__filter *f, const void *frame, uint32_t caplen,
                       uint32_t len);
void cap__filter_free(struct cap__filter *f);

/* Capture time of virtual time t: CAP_EPOCH_NS + t, clamped at 0. */
static inline int64_t
cap__stamp(sim_time_t t)
{
    if (t < -CAP_EPOCH_NS)
        return 0;
    if (t > INT64_MAX - CAP_EPOCH_NS)
        return INT64_MAX;
    return CAP_EPOCH_NS + t;
}

#endif /* SRIOVSIM_CAPTURE_INT_H */
