/* SPDX-License-Identifier: MIT */
/*
 * cap_test_util.h — helpers shared by the capture tests: hand-built Ethernet frames (IPv4/UDP,
 * TCP SYN, ARP), per-test temporary directories, and one sample "run" that taps packets on
 * several points and records what a correct capture must contain.
 */
#ifndef SRIOVSIM_TESTS_CAP_TEST_UTIL_H
#define SRIOVSIM_TESTS_CAP_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

enum frame_kind {
    FRAME_UDP,
    FRAME_TCP_SYN,
    FRAME_ARP,
};

/* Build a frame into buf (at least 1514 bytes). payload_len applies to UDP; `salt` changes the
 * payload bytes (and the IPv4 id) so that two inputs can be told apart. Returns the length. */
uint32_t frame_build(uint8_t *buf, enum frame_kind kind, uint16_t payload_len, uint32_t salt);

/* A fresh directory under $TMPDIR (or /tmp), removed with everything in it by tmpdir_remove. */
void tmpdir_make(char *dir, size_t len);
void tmpdir_remove(const char *dir);
/* dir + "/" + name into buf. */
void path_join(char *buf, size_t len, const char *dir, const char *name);
/* Whole file into a malloc'd buffer (NULL if unreadable). */
uint8_t *file_slurp(const char *path, size_t *len);

/* One packet as a correct capture must show it. */
struct expect_pkt {
    const char *point;
    uint32_t if_id; /* pcapng interface id */
    sim_time_t t;
    enum cap_dir dir;
    uint64_t packet_id;
    uint32_t queue;
    const char *comment; /* NULL: none */
    enum frame_kind kind;
    uint8_t frame[1514];
    uint32_t len;
};

#define SAMPLE_MAX 16

struct sample {
    struct expect_pkt pkts[SAMPLE_MAX];
    int n;                /* packets the capture must contain (selected points only) */
    int n_unselected;     /* taps made on a point outside the selection */
    const char *names[4]; /* interface names in id order */
    const char *descriptions[4];
    uint32_t n_ifaces;
};

/* The sample run: points vm1.synthetic, h2.wire (not selected), vm1.vf, h1.wire, created in that
 * order; a session with selection "vm1, h1.wire" writing `path` in `format` with `filter`
 * (may be NULL); five packets, several crossing two points with one packet id, both directions,
 * queues, an event comment, marks. `salt` varies the payload bytes. Fills *exp (all packets
 * tapped on selected points, in tap order) and returns cap_session_close()'s result. When
 * stats_out is non-NULL it receives the session totals just before close. */
int sample_run(const char *path, enum cap_format format, const char *filter, uint32_t salt,
               struct sample *exp, struct cap_stats *stats_out);

/* True if `prog` is an executable on PATH. */
bool program_on_path(const char *prog);

#endif /* SRIOVSIM_TESTS_CAP_TEST_UTIL_H */
