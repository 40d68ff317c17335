/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pcapng.c — libFuzzer target: the capture writer and reader.
 *
 * Round trip (most inputs): up to four capture points, a pcapng session with a snap length and
 * SHB comment from the input, then taps at any point, time step, direction, packet id, queue,
 * length (0..1600 bytes) and contents, with or without a comment, and marks in between; the
 * file is closed and read back with our pcapng block walker. Checked: every tapped packet comes
 * back once, in order, on the interface named after its point, with its timestamp, direction,
 * packet id, queue, original length, the first snap-length bytes exactly, and its comment and
 * marks; the session's counters agree with the file.
 * Reader (inputs whose first byte is odd): the rest of the input is a file given to the pcapng
 * reader and to the libpcap reader: they may refuse it with a reason, never crash.
 * Nothing leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "fuzz.h"

#define MAX_PKTS 128

struct sent {
    int point;
    sim_time_t t;
    enum cap_dir dir;
    uint64_t id;
    uint32_t queue;
    uint32_t len;
    uint8_t frame[1600];
    char comment[64];
    char marks[200];
};

static struct sent sent[MAX_PKTS];
static char path[128];

static void
fail(const char *what, unsigned i)
{
    fprintf(stderr, "pcapng round trip, packet %u: %s\n", i, what);
    abort();
}

static void
reader_only(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
    struct sim_diag d;
    struct cap_ng_reader *r = NULL;
    sim_diag_clear(&d);
    if (cap_ng_reader_open(path, &r, &d) == 0) {
        struct cap_ng_packet p;
        for (int i = 0; i < 10000 && cap_ng_reader_next(r, &p, &d) == 1; i++) {
            if (p.caplen && p.data == NULL)
                abort();
            (void)cap_ng_reader_interface_name(r, p.interface_id);
        }
        for (uint32_t i = 0; i < cap_ng_reader_interface_count(r) + 2; i++) {
            (void)cap_ng_reader_interface_name(r, i);
            (void)cap_ng_reader_interface_description(r, i);
            (void)cap_ng_reader_interface_filter(r, i);
        }
        (void)cap_ng_reader_userappl(r);
        (void)cap_ng_reader_comment(r);
        cap_ng_reader_close(r);
    }
    struct cap_reader *pr = NULL;
    sim_diag_clear(&d);
    if (cap_reader_open(path, &pr, &d) == 0) {
        struct cap_frame fr;
        for (int i = 0; i < 10000 && cap_reader_next(pr, &fr, &d) == 1; i++)
            ;
        cap_reader_close(pr);
    }
}

static void
fz_text(struct fz *z, char *buf, size_t cap)
{
    size_t n = fz_u8(z) % cap;
    fz_bytes(z, buf, n);
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
}

static void
round_trip(struct fz *z)
{
    static const char *const names[] = {"vm1.synthetic", "vm1.vf", "h1.pf0", "ext1"};
    struct cap_registry *reg = NULL;
    struct cap_point *pt[4] = {0};
    struct sim_diag d;
    sim_diag_clear(&d);
    if (cap_registry_create(&reg) != 0)
        abort();
    uint8_t cfg = fz_u8(z);
    unsigned npoints = 1 + cfg % 4;
    uint32_t snaplen = (cfg & 0x10) ? 16 + fz_u16(z) % 2000 : 0;
    char shb_comment[64];
    fz_text(z, shb_comment, sizeof shb_comment);
    /* Half the points exist before the session, half are created while it is open. */
    for (unsigned i = 0; i < npoints; i += 2)
        if (cap_point_create(reg, names[i], "fuzz", &pt[i], &d) != 0)
            abort();
    struct cap_session_opts o = {.path = path, .format = CAP_FORMAT_PCAPNG, .snaplen = snaplen,
                                 .comment = shb_comment[0] ? shb_comment : NULL};
    struct cap_session *s = NULL;
    if (cap_session_create(reg, &o, &s, &d) != 0) {
        fprintf(stderr, "session: %s\n", d.reason);
        abort();
    }
    for (unsigned i = 1; i < npoints; i += 2)
        if (cap_point_create(reg, names[i], NULL, &pt[i], &d) != 0)
            abort();
    unsigned n = 0;
    sim_time_t now = 0;
    static uint8_t frame[1600];
    char pending[200] = "";
    while (fz_more(z) && n < MAX_PKTS) {
        uint8_t op = fz_u8(z);
        if ((op & 7) == 7) { /* a mark for the next packet */
            char m[40];
            fz_text(z, m, sizeof m);
            if (m[0] == '\0' || strlen(pending) + strlen(m) + 3 >= sizeof pending)
                continue;
            if (cap_mark(s, m) != 0)
                abort();
            if (pending[0])
                strcat(pending, "; ");
            strcat(pending, m);
            continue;
        }
        struct sent *e = &sent[n];
        memset(e, 0, sizeof *e);
        e->point = (int)(op % npoints);
        now += fz_u16(z);
        e->t = now;
        e->dir = (enum cap_dir)((op >> 3) % 3);
        e->id = (op & 0x20) ? fz_u64(z) : 0;
        e->queue = (op & 0x40) ? fz_u16(z) : CAP_QUEUE_NONE;
        e->len = fz_u16(z) % 1601;
        memset(frame, 0, sizeof frame);
        fz_bytes(z, frame, e->len < 64 ? e->len : 64);
        memcpy(e->frame, frame, e->len);
        if (op & 0x80)
            fz_text(z, e->comment, 40);
        memcpy(e->marks, pending, sizeof pending);
        pending[0] = '\0';
        cap_tap_with_comment(pt[e->point], e->t, e->dir, e->id, e->queue, frame, e->len,
                             e->comment[0] ? e->comment : NULL);
        n++;
    }
    struct cap_stats tot;
    cap_session_totals(s, &tot);
    if (cap_session_close(s, &d) != 0) {
        fprintf(stderr, "close: %s\n", d.reason);
        abort();
    }
    for (unsigned i = 0; i < npoints; i++)
        cap_point_destroy(pt[i]);
    cap_registry_destroy(reg);
    if (tot.tapped_packets != n || tot.written_packets != n)
        fail("session counters disagree with the taps", n);

    struct cap_ng_reader *r = NULL;
    if (cap_ng_reader_open(path, &r, &d) != 0) {
        fprintf(stderr, "our own file does not read back: %s\n", d.reason);
        abort();
    }
    uint32_t keep = snaplen ? snaplen : CAP_SNAPLEN_DEFAULT;
    struct cap_ng_packet p;
    unsigned i = 0;
    int rc;
    while ((rc = cap_ng_reader_next(r, &p, &d)) == 1) {
        if (i >= n)
            fail("more packets in the file than tapped", i);
        const struct sent *e = &sent[i];
        uint32_t cl = e->len < keep ? e->len : keep;
        if (strcmp(p.interface_name, names[e->point]) != 0)
            fail("wrong interface", i);
        if (p.ts_ns != CAP_EPOCH_NS + e->t)
            fail("wrong timestamp", i);
        if (p.len != e->len || p.caplen != cl || (cl && memcmp(p.data, e->frame, cl) != 0))
            fail("wrong bytes", i);
        if (e->dir != CAP_DIR_NONE && (!p.has_flags || (p.flags & 3) != (uint32_t)e->dir))
            fail("wrong direction", i);
        if (e->id != 0 && (!p.has_packet_id || p.packet_id != e->id))
            fail("wrong packet id", i);
        if (e->queue != CAP_QUEUE_NONE && (!p.has_queue || p.queue != e->queue))
            fail("wrong queue", i);
        if (e->comment[0] && (p.comment == NULL || strstr(p.comment, e->comment) == NULL))
            fail("comment lost", i);
        if (e->marks[0] && (p.comment == NULL || strstr(p.comment, e->marks) == NULL))
            fail("mark lost", i);
        i++;
    }
    if (rc != 0) {
        fprintf(stderr, "reading our own file back failed: %s\n", d.reason);
        abort();
    }
    if (i != n)
        fail("packets missing from the file", i);
    cap_ng_reader_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0')
        snprintf(path, sizeof path, "%s/fuzz_pcapng.%d.pcapng",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    (void)sim_log_configure("off", NULL);
    if (size > 0 && (data[0] & 1)) {
        reader_only(data + 1, size - 1);
    } else {
        struct fz z;
        fz_init(&z, data, size);
        (void)fz_u8(&z);
        round_trip(&z);
    }
    unlink(path);
    fuzz_no_leaks("fuzz_pcapng");
    return 0;
}
