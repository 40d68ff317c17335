/* SPDX-License-Identifier: MIT */
/*
 * capture.h — capture points on every layer, one pcapng file per run, a classic-pcap fallback,
 * BPF capture filters and read-back helpers.
 *
 * Windows counterpart: the per-layer packet captures an administrator takes with `pktmon` or an
 * NDIS lightweight filter driver bound above/below each miniport (the NetVSC synthetic NIC, the
 * VF miniport, the NIC-switch VPort, the physical wire). Here every such layer owns a named
 * capture point ("vm1.synthetic", "vm1.vf", "h1.pf0.vport3", "h1.wire"); one capture session
 * records the points it selects into one pcapng file in which each point is a named interface,
 * so Wireshark shows per packet which path it took (`frame.interface_name`), its direction, the
 * packet's global id at every point it crossed (`frame.packet_id`) and event comments.
 *
 * Objects:
 *   - struct cap_registry: the set of capture points of one simulated world, and the packet-id
 *     allocator. Long-lived; create/destroy.
 *   - struct cap_point: one named tap. Any layer creates one when the object it observes is
 *     created. Tapping a point that no session records costs one branch.
 *   - struct cap_session: one recording (one run): an output file (or one per point in pcap
 *     mode), a point selection, an optional BPF filter. At most one per registry at a time.
 *   - struct cap_reader (libpcap read-back of any capture) and struct cap_ng_reader (our own
 *     pcapng block walker, which also returns interface names, packet ids, flags, comments).
 *
 * Interface ids (pcapng): when a session starts, it writes one Interface Description Block per
 * selected point in the order the points were created in the registry; a point created (or
 * re-created under an earlier name) while the session runs gets its IDB at creation, or reuses
 * the interface of that name. Interface ids are therefore a function of the order in which the
 * simulation creates its objects, which is deterministic for a given scenario and seed. Points
 * with no traffic still appear (capinfos lists them).
 *
 * Timestamps: pcapng/pcap time = CAP_EPOCH_NS + the virtual time passed to cap_tap(), in
 * nanoseconds (if_tsresol = 9). The epoch is fixed so that the same scenario and seed give a
 * byte-identical file.
 *
 * Threading: a registry, its points and its session belong to one thread (the scheduler's loop
 * thread). Only cap_packet_id_next() may be called from any thread. cap_tap() never allocates.
 */
#ifndef SRIOVSIM_CAPTURE_H
#define SRIOVSIM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fixed epoch of capture timestamps: 2024-01-01T00:00:00Z in ns since the Unix epoch.
 * A packet tapped at virtual time t is stamped CAP_EPOCH_NS + t. */
#define CAP_EPOCH_NS (INT64_C(1704067200) * INT64_C(1000000000))

#define CAP_SNAPLEN_DEFAULT 65535u     /* snap length when the options say 0 */
#define CAP_SNAPLEN_MAX     262144u    /* Wireshark's maximum */
#define CAP_NAME_MAX        63u        /* longest capture-point name, in bytes */
#define CAP_DESC_MAX        255u       /* longest capture-point description, in bytes */
#define CAP_COMMENT_MAX     511u       /* longest packet comment (marks are joined with "; ") */
#define CAP_QUEUE_NONE      UINT32_MAX /* cap_tap queue argument: no epb_queue option */

/* Packet direction at a capture point, as seen by the layer that owns it (pcapng epb_flags
 * bits 0-1; Wireshark frame.packet_flags_direction). */
enum cap_dir {
    CAP_DIR_NONE = 0, /* not known: no epb_flags option */
    CAP_DIR_IN = 1,   /* inbound: received by the layer */
    CAP_DIR_OUT = 2,  /* outbound: sent by the layer */
};

enum cap_format {
    CAP_FORMAT_PCAPNG = 0, /* one pcapng per run, one named interface per point (default) */
    CAP_FORMAT_PCAP = 1,   /* classic ns pcap through libpcap: one <prefix>-<point>.pcap each */
};

/* Parse "pcapng" or "pcap" (the CLI's --capture-format). Returns 0 or SIM_EINVAL with d. */
int cap_format_parse(const char *text, enum cap_format *out, struct sim_diag *d);
const char *cap_format_name(enum cap_format f);

struct cap_registry;
struct cap_point;
struct cap_session;

/* Counters of one capture point within one session. tapped = seen while recorded;
 * tapped = filtered + written + failed. truncated counts written packets cut to the snap length. */
struct cap_stats {
    uint64_t tapped_packets;
    uint64_t tapped_bytes;     /* original lengths */
    uint64_t filtered_packets; /* rejected by the BPF filter */
    uint64_t written_packets;
    uint64_t written_bytes; /* captured lengths */
    uint64_t truncated_packets;
    uint64_t failed_packets; /* not written because the file had already failed */
};

/* ---------------------------------------------------------------------------------------------
 * Registry and points
 * ------------------------------------------------------------------------------------------- */

/* Create an empty registry. Returns 0 or SIM_ENOMEM. */
int cap_registry_create(struct cap_registry **out);
/* Destroy a registry. A session still open is closed first (its write error, if any, is logged
 * at error level; close it yourself to see it). Points still registered are destroyed: their
 * owners must not use them afterwards. NULL is ignored. */
void cap_registry_destroy(struct cap_registry *r);

/* A new packet id: 1, 2, 3, ... per registry (0 means "no id"). Call once when a packet is born
 * (traffic generator, peer, NIC receive from the wire) and carry it with the packet, so every
 * point it crosses records the same id (frame.packet_id). Any thread (relaxed atomic). */
uint64_t cap_packet_id_next(struct cap_registry *r);

/* Register a capture point. name: 1..CAP_NAME_MAX bytes of [A-Za-z0-9._:-], unique in the
 * registry ("vm1.synthetic"); description: free text up to CAP_DESC_MAX bytes, may be NULL
 * ("NetVSC synthetic path (VMBus) in vm1"). If a session is open and selects the name, the
 * point starts recording at once.
 * Returns 0, SIM_EINVAL (bad name/description), SIM_EEXIST (name taken) or SIM_ENOMEM, with the
 * reason in d. If the session cannot open this point's pcap file, the point is still created
 * (not recording) and the session keeps the SIM_EIO for cap_session_close(). */
int cap_point_create(struct cap_registry *r, const char *name, const char *description,
                     struct cap_point **out, struct sim_diag *d);
/* Unregister and free a point (the object it observed went away). Its interface stays in an
 * open session's file, and a point re-created later under the same name records into it again.
 * NULL is ignored. */
void cap_point_destroy(struct cap_point *p);
const char *cap_point_name(const struct cap_point *p);
const char *cap_point_description(const struct cap_point *p);
/* True while an open session records this point. */
bool cap_point_is_recording(const struct cap_point *p);
/* Look a point up by name; NULL if none. */
struct cap_point *cap_point_find(const struct cap_registry *r, const char *name);

/* Record one frame at a point. time_ns: virtual time; dir: CAP_DIR_*; packet_id: the packet's
 * id from cap_packet_id_next() (0: none); queue: VMQ/VPort queue id or CAP_QUEUE_NONE; frame:
 * the Ethernet frame (len bytes; only the first snap-length bytes are kept). Does nothing (one
 * branch) if p is NULL or not recorded. Never allocates and never fails: a write error is kept
 * in the session and returned by cap_session_close(). If a mark is pending (cap_mark), the
 * written packet carries it as its comment. Loop thread only. */
void cap_tap(struct cap_point *p, sim_time_t time_ns, enum cap_dir dir, uint64_t packet_id,
             uint32_t queue, const void *frame, uint32_t len);
/* Same, for a packet where an event happened: comment ("event=datapath-switch-to-vf") goes in
 * the packet's opt_comment (after any pending mark). comment NULL behaves as cap_tap(). */
void cap_tap_with_comment(struct cap_point *p, sim_time_t time_ns, enum cap_dir dir,
                          uint64_t packet_id, uint32_t queue, const void *frame, uint32_t len,
                          const char *comment);

/* ---------------------------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------------------------- */

struct cap_session_opts {
    /* pcapng: the file to write. pcap: the prefix of the per-point files; a trailing ".pcap"
     * or ".pcapng" is removed, so "run.pcap" gives "run-vm1.vf.pcap". Required. */
    const char *path;
    enum cap_format format;
    /* Comma-separated point selection: each item is a point name or a dotted prefix ("h1.pf0"
     * selects "h1.pf0" and "h1.pf0.vport3", not "h1.pf01"); "*" or NULL selects every point.
     * Items matching no point yet are fine: a point created later is matched then. */
    const char *points;
    /* BPF capture filter in libpcap syntax ("udp", "tcp port 80"), NULL or "" for none. Compiled
     * at session creation; packets it rejects are counted (filtered_packets) and not written. */
    const char *filter;
    uint32_t snaplen; /* 0: CAP_SNAPLEN_DEFAULT; at most CAP_SNAPLEN_MAX */
    /* pcapng SHB options: shb_userappl (NULL: "sriovsim " SIM_VERSION_STRING) and an
     * opt_comment such as "scenario=failover.scn seed=42" (NULL: none). */
    const char *userappl;
    const char *comment;
};

/* Open a session on r: compile the filter, open the file(s), write the SHB and one IDB per
 * selected point (pcapng). Returns 0 and *out, or: SIM_EINVAL (bad options or filter — the
 * reason carries libpcap's message), SIM_EBUSY (r already has an open session), SIM_EIO (a file
 * could not be opened: the reason names it and the OS error), SIM_ENOMEM. On error nothing is
 * left open and a partly written file may remain. */
int cap_session_create(struct cap_registry *r, const struct cap_session_opts *opts,
                       struct cap_session **out, struct sim_diag *d);
/* Flush and close every file, stop recording every point, free the session. Returns 0, or
 * SIM_EIO if any open, write, flush or close failed (the first failure's reason is in d); the
 * session is freed either way. After the first failure the session writes nothing more (taps
 * count as failed_packets), so one error is reported once, not per packet. NULL returns 0. */
int cap_session_close(struct cap_session *s, struct sim_diag *d);
/* Write buffered packets to the file(s) now. Returns 0 or SIM_EIO (reason in d). */
int cap_session_flush(struct cap_session *s, struct sim_diag *d);
/* The first write error so far (0 if none), with its reason in d. */
int cap_session_error(const struct cap_session *s, struct sim_diag *d);
/* The registry's open session, or NULL. */
struct cap_session *cap_registry_session(const struct cap_registry *r);

/* Attach a comment to the next packet the session writes, at any point ("mark" in scenarios;
 * "surprise removal of vf0"). Several marks before that packet are joined with "; "; the
 * comment is cut at CAP_COMMENT_MAX bytes. pcap format has no comments: marks are counted and
 * dropped. Returns 0 or SIM_EINVAL (s or text NULL). */
int cap_mark(struct cap_session *s, const char *text);

/* Counters of the interface named `name` in this session (also after its point was
 * destroyed). Returns 0 or SIM_ENOENT (the session never recorded that name). */
int cap_session_point_stats(const struct cap_session *s, const char *name, struct cap_stats *out);
/* Sum over every interface of the session. */
void cap_session_totals(const struct cap_session *s, struct cap_stats *out);
/* Number of interfaces (pcapng IDBs / pcap files) the session has opened so far. */
uint32_t cap_session_interface_count(const struct cap_session *s);
/* Counters of p in the registry's open session. Returns 0, SIM_ESTATE (p not recorded) or
 * SIM_EINVAL (NULL argument). */
int cap_point_stats(const struct cap_point *p, struct cap_stats *out);
/* The file a pcap-format session writes for `point_name` ("<prefix>-<point>.pcap") into buf
 * (pcapng: the single file). Returns 0, SIM_ENOENT or SIM_ERANGE (buf too small). */
int cap_session_file_name(const struct cap_session *s, const char *point_name, char *buf,
                          size_t len);

/* ---------------------------------------------------------------------------------------------
 * Read-back through libpcap (classic pcap or pcapng, nanosecond precision). For tests and tools.
 * libpcap does not expose pcapng interface names, packet ids or comments: see cap_ng_reader.
 * ------------------------------------------------------------------------------------------- */
struct cap_reader;

struct cap_frame {
    int64_t ts_ns;       /* ns since the Unix epoch (CAP_EPOCH_NS + virtual time for ours) */
    uint32_t caplen;     /* bytes in data */
    uint32_t len;        /* original length */
    const uint8_t *data; /* valid until the next cap_reader_next() or close */
};

/* Open a capture file. Returns 0, SIM_EIO (libpcap's message in d) or SIM_ENOMEM. */
int cap_reader_open(const char *path, struct cap_reader **out, struct sim_diag *d);
/* Next frame: 1 and *f, 0 at end of file, or SIM_EPARSE (libpcap's message in d). */
int cap_reader_next(struct cap_reader *r, struct cap_frame *f, struct sim_diag *d);
/* The file's link type (DLT_EN10MB = 1 for ours). */
int cap_reader_linktype(const struct cap_reader *r);
void cap_reader_close(struct cap_reader *r);

/* ---------------------------------------------------------------------------------------------
 * A small pcapng block walker for files in host byte order (ours): SHB, IDB, EPB; other block
 * types are skipped. Returns what libpcap hides: interface names/descriptions, epb_flags,
 * epb_packetid, epb_queue, opt_comment. Malformed input gives SIM_EPARSE with the offset.
 * ------------------------------------------------------------------------------------------- */
struct cap_ng_reader;

struct cap_ng_packet {
    uint32_t interface_id;
    const char *interface_name; /* if_name of that IDB ("" if it had none) */
    int64_t ts_ns;              /* ns since the Unix epoch (if_tsresol 9 assumed if absent: 6) */
    uint32_t caplen;
    uint32_t len;
    const uint8_t *data;
    bool has_flags;
    uint32_t flags; /* epb_flags; direction = flags & 3 */
    bool has_packet_id;
    uint64_t packet_id;
    bool has_queue;
    uint32_t queue;
    const char *comment; /* opt_comment, NULL if none */
};

/* Read the whole file. Returns 0, SIM_EIO (cannot read), SIM_EPARSE (not a pcapng file in host
 * byte order, or malformed), SIM_ENOMEM. */
int cap_ng_reader_open(const char *path, struct cap_ng_reader **out, struct sim_diag *d);
/* Next EPB: 1 and *pkt, 0 at end, or SIM_EPARSE. pkt->data and pkt->interface_name stay valid
 * until close; pkt->comment until the next call. */
int cap_ng_reader_next(struct cap_ng_reader *r, struct cap_ng_packet *pkt, struct sim_diag *d);
/* Interfaces seen so far (all of them once next() returned 0). */
uint32_t cap_ng_reader_interface_count(const struct cap_ng_reader *r);
/* if_name / if_description of interface id ("" if absent, NULL if id is out of range). */
const char *cap_ng_reader_interface_name(const struct cap_ng_reader *r, uint32_t id);
const char *cap_ng_reader_interface_description(const struct cap_ng_reader *r, uint32_t id);
/* if_filter string of interface id (NULL if none). */
const char *cap_ng_reader_interface_filter(const struct cap_ng_reader *r, uint32_t id);
/* The SHB's shb_userappl and opt_comment (NULL if absent). */
const char *cap_ng_reader_userappl(const struct cap_ng_reader *r);
const char *cap_ng_reader_comment(const struct cap_ng_reader *r);
void cap_ng_reader_close(struct cap_ng_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_CAPTURE_H */
