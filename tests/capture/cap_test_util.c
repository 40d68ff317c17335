/* SPDX-License-Identifier: MIT */
/* cap_test_util.c — frames, temporary directories and the sample run for the capture tests. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cap_test_util.h"

static const uint8_t mac_vm1[6] = {0x00, 0x15, 0x5d, 0x00, 0x00, 0x01};
static const uint8_t mac_ext[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x09};

static uint16_t
ip_checksum(const uint8_t *h, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void
be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p + 2, (uint16_t)v);
}

/* Ethernet + IPv4 header (no options) for protocol `proto` with `l4_len` bytes after it. */
static uint8_t *
eth_ipv4(uint8_t *b, uint8_t proto, uint16_t l4_len, uint32_t salt)
{
    memcpy(b, mac_ext, 6);
    memcpy(b + 6, mac_vm1, 6);
    be16(b + 12, 0x0800);
    uint8_t *ip = b + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    be16(ip + 2, (uint16_t)(20 + l4_len));
    be16(ip + 4, (uint16_t)(0x1000 + salt));
    ip[6] = 0x40; /* DF */
    ip[8] = 64;   /* TTL */
    ip[9] = proto;
    be32(ip + 12, 0x0a000001); /* 10.0.0.1 */
    be32(ip + 16, 0x0a000009); /* 10.0.0.9 */
    be16(ip + 10, ip_checksum(ip, 20));
    return ip + 20;
}

uint32_t
frame_build(uint8_t *buf, enum frame_kind kind, uint16_t payload_len, uint32_t salt)
{
    switch (kind) {
    case FRAME_UDP: {
        if (payload_len > 1472)
            payload_len = 1472;
        uint8_t *udp = eth_ipv4(buf, 17, (uint16_t)(8 + payload_len), salt);
        be16(udp, 49152);
        be16(udp + 2, 5001);
        be16(udp + 4, (uint16_t)(8 + payload_len));
        be16(udp + 6, 0); /* no checksum (allowed over IPv4) */
        for (uint16_t i = 0; i < payload_len; i++)
            udp[8 + i] = (uint8_t)(i * 7u + salt);
        return 14 + 20 + 8 + payload_len;
    }
    case FRAME_TCP_SYN: {
        uint8_t *tcp = eth_ipv4(buf, 6, 20, salt);
        memset(tcp, 0, 20);
        be16(tcp, 50000);
        be16(tcp + 2, 80);
        be32(tcp + 4, 0x12345678u + salt); /* sequence number */
        tcp[12] = 5 << 4;                  /* data offset: 5 words */
        tcp[13] = 0x02;                    /* SYN */
        be16(tcp + 14, 64240);             /* window */
        return 14 + 20 + 20;
    }
    case FRAME_ARP: {
        memset(buf, 0xff, 6); /* broadcast */
        memcpy(buf + 6, mac_ext, 6);
        be16(buf + 12, 0x0806);
        uint8_t *a = buf + 14;
        be16(a, 1); /* Ethernet */
        be16(a + 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        be16(a + 6, 1); /* request */
        memcpy(a + 8, mac_ext, 6);
        be32(a + 14, 0x0a000009);
        memset(a + 18, 0, 6);
        be32(a + 24, 0x0a000001 + (salt & 0xff));
        memset(a + 28, 0, 18); /* pad to 60 bytes */
        return 60;
    }
    }
    return 0;
}

void
tmpdir_make(char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(dir, len, "%s/sriovsim-cap-XXXXXX", base);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp(%s) failed", dir);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
tmpdir_remove(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
path_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t)n < len, "path too long");
}

uint8_t *
file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

bool
program_on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return false;
    char dir[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof(dir) - 64) {
            char full[4200];
            snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, prog);
            if (access(full, X_OK) == 0)
                return true;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    (void)dir;
    return false;
}

/* ---------------------------------------------------------------------------------------------
 * The sample run
 * ------------------------------------------------------------------------------------------- */

struct pt {
    struct cap_point *p;
    const char *name;
    int if_id; /* -1: not selected */
};

static void
tap(struct sample *exp, struct pt *pt, sim_time_t t, enum cap_dir dir, uint64_t id, uint32_t queue,
    enum frame_kind kind, uint16_t payload, uint32_t salt, const char *comment,
    const char *expected_comment)
{
    uint8_t frame[1514];
    uint32_t len = frame_build(frame, kind, payload, salt);
    if (comment)
        cap_tap_with_comment(pt->p, t, dir, id, queue, frame, len, comment);
    else
        cap_tap(pt->p, t, dir, id, queue, frame, len);
    if (pt->if_id < 0) {
        exp->n_unselected++;
        return;
    }
    cr_assert_lt(exp->n, SAMPLE_MAX);
    struct expect_pkt *e = &exp->pkts[exp->n++];
    e->point = pt->name;
    e->if_id = (uint32_t)pt->if_id;
    e->t = t;
    e->dir = dir;
    e->packet_id = id;
    e->queue = queue;
    e->comment = expected_comment;
    e->kind = kind;
    memcpy(e->frame, frame, len);
    e->len = len;
}

int
sample_run(const char *path, enum cap_format format, const char *filter, uint32_t salt,
           struct sample *exp, struct cap_stats *stats_out)
{
    memset(exp, 0, sizeof(*exp));
    struct cap_registry *r = NULL;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct sim_diag d;
    sim_diag_clear(&d);

    struct pt syn = {NULL, "vm1.synthetic", 0}, h2 = {NULL, "h2.wire", -1},
              vf = {NULL, "vm1.vf", 1}, wire = {NULL, "h1.wire", 2};
    cr_assert_eq(cap_point_create(r, syn.name, "NetVSC synthetic path (VMBus) in vm1", &syn.p, &d),
                 0, "%s", d.reason);
    cr_assert_eq(cap_point_create(r, h2.name, "physical port of h2", &h2.p, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_point_create(r, vf.name, "VF miniport in vm1", &vf.p, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_point_create(r, wire.name, "physical port of h1 (the wire)", &wire.p, &d), 0,
                 "%s", d.reason);
    exp->names[0] = syn.name;
    exp->names[1] = vf.name;
    exp->names[2] = wire.name;
    exp->descriptions[0] = "NetVSC synthetic path (VMBus) in vm1";
    exp->descriptions[1] = "VF miniport in vm1";
    exp->descriptions[2] = "physical port of h1 (the wire)";
    exp->n_ifaces = 3;

    struct cap_session_opts o = {
        .path = path,
        .format = format,
        .points = "vm1, h1.wire",
        .filter = filter,
        .comment = "scenario=sample.scn seed=42",
    };
    struct cap_session *s = NULL;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);

    /* Packets are born once and keep their id at every point. */
    uint64_t p1 = cap_packet_id_next(r), p2 = cap_packet_id_next(r), p3 = cap_packet_id_next(r),
             p4 = cap_packet_id_next(r), p5 = cap_packet_id_next(r);

    /* P1: vm1 -> ext over the synthetic path, then out on the wire. */
    tap(exp, &syn, 1000, CAP_DIR_OUT, p1, 0, FRAME_UDP, 100, salt, NULL, NULL);
    tap(exp, &h2, 1200, CAP_DIR_OUT, p1, 0, FRAME_UDP, 100, salt, NULL, NULL); /* not selected */
    tap(exp, &wire, 1600, CAP_DIR_OUT, p1, CAP_QUEUE_NONE, FRAME_UDP, 100, salt, NULL, NULL);
    /* P2: ext -> vm1, the first packet on the VF after the data-path switch. */
    tap(exp, &wire, 2000, CAP_DIR_IN, p2, CAP_QUEUE_NONE, FRAME_UDP, 1400, salt + 1, NULL, NULL);
    tap(exp, &vf, 2300, CAP_DIR_IN, p2, 3, FRAME_UDP, 1400, salt + 1, "event=datapath-switch-to-vf",
        "event=datapath-switch-to-vf");
    /* P3: an inbound TCP SYN, which Hyper-V delivers on the synthetic path; a user mark. */
    cr_assert_eq(cap_mark(s, "before FLR"), 0);
    tap(exp, &wire, 2900, CAP_DIR_IN, p3, CAP_QUEUE_NONE, FRAME_TCP_SYN, 0, salt, NULL,
        format == CAP_FORMAT_PCAPNG ? "before FLR" : NULL);
    tap(exp, &syn, 3000, CAP_DIR_IN, p3, 0, FRAME_TCP_SYN, 0, salt, NULL, NULL);
    /* P4: a broadcast ARP, two marks and an event on the same packet. */
    tap(exp, &wire, 3500, CAP_DIR_IN, p4, CAP_QUEUE_NONE, FRAME_ARP, 0, salt, NULL, NULL);
    cr_assert_eq(cap_mark(s, "m1"), 0);
    cr_assert_eq(cap_mark(s, "m2"), 0);
    tap(exp, &syn, 3600, CAP_DIR_IN, p4, 0, FRAME_ARP, 0, salt, "event=broadcast",
        format == CAP_FORMAT_PCAPNG ? "m1; m2; event=broadcast" : NULL);
    /* P5: vm1 -> ext on the VF, then on the wire with no direction, queue or id known. */
    tap(exp, &vf, 4000, CAP_DIR_OUT, p5, 3, FRAME_UDP, 18, salt + 2, NULL, NULL);
    tap(exp, &wire, 5000, CAP_DIR_NONE, 0, CAP_QUEUE_NONE, FRAME_UDP, 18, salt + 2, NULL, NULL);
    /* A NULL point is a no-op. */
    cap_tap(NULL, 6000, CAP_DIR_IN, p5, 0, exp->pkts[0].frame, exp->pkts[0].len);

    if (stats_out)
        cap_session_totals(s, stats_out);
    int rc = cap_session_close(s, &d);
    cap_registry_destroy(r);
    return rc;
}
