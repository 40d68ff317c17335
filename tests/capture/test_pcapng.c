/* SPDX-License-Identifier: MIT */
/*
 * test_pcapng.c — the pcapng capture: registry and points, the file read back through libpcap
 * (count, exact ns timestamps, bytes) and through our block walker (interface names, packet ids,
 * direction flags, queues, comments), determinism, write errors, allocation-free taps, OOM.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cap_test_util.h"
#include "capture/capture.h"

SIM_ALLOC_TAG_DECLARE(cap_registry);
SIM_ALLOC_TAG_DECLARE(cap_point);
SIM_ALLOC_TAG_DECLARE(cap_session);
SIM_ALLOC_TAG_DECLARE(cap_reader);

static void
assert_no_live(void)
{
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_registry)), 0, "cap_registry leaked");
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_point)), 0, "cap_point leaked");
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0, "cap_session leaked");
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_reader)), 0, "cap_reader leaked");
}

/* ---------------------------------------------------------------------------------------------
 * Registry and points
 * ------------------------------------------------------------------------------------------- */

Test(cap_point, names_are_validated_and_unique)
{
    struct cap_registry *r;
    struct cap_point *p = NULL, *q = NULL;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "vm1.synthetic", NULL, &p, &d), 0);
    cr_assert_str_eq(cap_point_name(p), "vm1.synthetic");
    cr_assert_str_eq(cap_point_description(p), "");
    cr_assert_eq(cap_point_find(r, "vm1.synthetic"), p);
    cr_assert_null(cap_point_find(r, "vm1.vf"));

    cr_assert_eq(cap_point_create(r, "vm1.synthetic", "again", &q, &d), SIM_EEXIST);
    cr_assert_null(q);
    cr_assert(strstr(d.reason, "vm1.synthetic") != NULL, "reason: %s", d.reason);
    cr_assert_eq(cap_point_create(r, "", NULL, &q, &d), SIM_EINVAL);
    cr_assert_eq(cap_point_create(r, "has space", NULL, &q, &d), SIM_EINVAL);
    cr_assert_eq(cap_point_create(r, "slash/no", NULL, &q, &d), SIM_EINVAL);
    char longname[CAP_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    cr_assert_eq(cap_point_create(r, longname, NULL, &q, &d), SIM_EINVAL);
    longname[CAP_NAME_MAX] = '\0'; /* exactly the maximum is fine */
    cr_assert_eq(cap_point_create(r, longname, NULL, &q, &d), 0);
    char longdesc[CAP_DESC_MAX + 2];
    memset(longdesc, 'd', sizeof(longdesc) - 1);
    longdesc[sizeof(longdesc) - 1] = '\0';
    cr_assert_eq(cap_point_create(r, "h1.wire", longdesc, &q, &d), SIM_EINVAL);
    cr_assert_eq(cap_point_create(NULL, "x", NULL, &q, &d), SIM_EINVAL);

    cr_assert_not(cap_point_is_recording(p));
    cap_point_destroy(p);
    cr_assert_null(cap_point_find(r, "vm1.synthetic"));
    cap_registry_destroy(r); /* destroys the remaining point */
    assert_no_live();
}

Test(cap_point, packet_ids_are_monotonic_per_registry)
{
    struct cap_registry *a, *b;
    cr_assert_eq(cap_registry_create(&a), 0);
    cr_assert_eq(cap_registry_create(&b), 0);
    for (uint64_t i = 1; i <= 1000; i++)
        cr_assert_eq(cap_packet_id_next(a), i);
    cr_assert_eq(cap_packet_id_next(b), 1, "registries have independent id streams");
    cr_assert_eq(cap_packet_id_next(NULL), 0);
    cap_registry_destroy(a);
    cap_registry_destroy(b);
    assert_no_live();
}

Test(cap_point, format_names_parse)
{
    enum cap_format f = CAP_FORMAT_PCAP;
    struct sim_diag d;
    cr_assert_eq(cap_format_parse("pcapng", &f, &d), 0);
    cr_assert_eq(f, CAP_FORMAT_PCAPNG);
    cr_assert_eq(cap_format_parse("pcap", &f, &d), 0);
    cr_assert_eq(f, CAP_FORMAT_PCAP);
    cr_assert_eq(cap_format_parse("etl", &f, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "etl") != NULL);
    cr_assert_str_eq(cap_format_name(CAP_FORMAT_PCAPNG), "pcapng");
}

/* ---------------------------------------------------------------------------------------------
 * The sample capture, read back
 * ------------------------------------------------------------------------------------------- */

Test(cap_pcapng, libpcap_reads_every_frame_with_exact_ns_timestamps)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "run.pcapng");
    static struct sample exp;
    struct cap_stats tot;
    struct sim_diag d;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, NULL, 0, &exp, &tot), 0);
    cr_assert_eq(exp.n, 10);
    cr_assert_eq(exp.n_unselected, 1);
    cr_assert_eq(tot.written_packets, 10);
    cr_assert_eq(tot.tapped_packets, 10, "taps on unselected points are not counted");

    struct cap_reader *rd;
    cr_assert_eq(cap_reader_open(path, &rd, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_reader_linktype(rd), 1, "DLT_EN10MB");
    struct cap_frame f;
    int i = 0, rc;
    while ((rc = cap_reader_next(rd, &f, &d)) == 1) {
        cr_assert_lt(i, exp.n);
        const struct expect_pkt *e = &exp.pkts[i];
        cr_assert_eq(f.ts_ns, CAP_EPOCH_NS + e->t, "frame %d: ts %lld, want %lld", i,
                     (long long)f.ts_ns, (long long)(CAP_EPOCH_NS + e->t));
        cr_assert_eq(f.len, e->len, "frame %d", i);
        cr_assert_eq(f.caplen, e->len, "frame %d", i);
        cr_assert_arr_eq(f.data, e->frame, e->len, "frame %d bytes differ", i);
        i++;
    }
    cr_assert_eq(rc, 0, "%s", d.reason);
    cr_assert_eq(i, exp.n);
    cap_reader_close(rd);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, block_walker_sees_names_ids_flags_queues_comments)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "run.pcapng");
    static struct sample exp;
    struct sim_diag d;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, NULL, 0, &exp, NULL), 0);

    struct cap_ng_reader *ng;
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0, "%s", d.reason);
    cr_assert_str_eq(cap_ng_reader_userappl(ng), "sriovsim " SIM_VERSION_STRING);
    cr_assert_str_eq(cap_ng_reader_comment(ng), "scenario=sample.scn seed=42");
    struct cap_ng_packet pk;
    int i = 0, rc;
    while ((rc = cap_ng_reader_next(ng, &pk, &d)) == 1) {
        cr_assert_lt(i, exp.n);
        const struct expect_pkt *e = &exp.pkts[i];
        cr_assert_eq(pk.interface_id, e->if_id, "packet %d", i);
        cr_assert_str_eq(pk.interface_name, e->point, "packet %d", i);
        cr_assert_eq(pk.ts_ns, CAP_EPOCH_NS + e->t, "packet %d", i);
        cr_assert_eq(pk.len, e->len);
        cr_assert_arr_eq(pk.data, e->frame, e->len);
        cr_assert_eq(pk.has_flags, e->dir != CAP_DIR_NONE, "packet %d", i);
        if (pk.has_flags)
            cr_assert_eq(pk.flags & 3u, (uint32_t)e->dir, "packet %d", i);
        cr_assert_eq(pk.has_packet_id, e->packet_id != 0, "packet %d", i);
        if (pk.has_packet_id)
            cr_assert_eq(pk.packet_id, e->packet_id, "packet %d", i);
        cr_assert_eq(pk.has_queue, e->queue != CAP_QUEUE_NONE, "packet %d", i);
        if (pk.has_queue)
            cr_assert_eq(pk.queue, e->queue, "packet %d", i);
        if (e->comment)
            cr_assert(pk.comment != NULL && strcmp(pk.comment, e->comment) == 0,
                      "packet %d comment '%s', want '%s'", i, pk.comment ? pk.comment : "(none)",
                      e->comment);
        else
            cr_assert_null(pk.comment, "packet %d has comment '%s'", i, pk.comment);
        i++;
    }
    cr_assert_eq(rc, 0, "%s", d.reason);
    cr_assert_eq(i, exp.n);
    cr_assert_eq(cap_ng_reader_interface_count(ng), exp.n_ifaces);
    for (uint32_t k = 0; k < exp.n_ifaces; k++) {
        cr_assert_str_eq(cap_ng_reader_interface_name(ng, k), exp.names[k]);
        cr_assert_str_eq(cap_ng_reader_interface_description(ng, k), exp.descriptions[k]);
        cr_assert_null(cap_ng_reader_interface_filter(ng, k));
    }
    cr_assert_null(cap_ng_reader_interface_name(ng, exp.n_ifaces));

    /* The journey of packet 2 (ext -> vm1): the wire, then the VF, same id. */
    cr_assert_eq(exp.pkts[2].packet_id, exp.pkts[3].packet_id);
    cr_assert_str_eq(exp.pkts[2].point, "h1.wire");
    cr_assert_str_eq(exp.pkts[3].point, "vm1.vf");
    cap_ng_reader_close(ng);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, same_inputs_give_byte_identical_files)
{
    char dir[256], a[512], b[512], c[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(a, sizeof(a), dir, "a.pcapng");
    path_join(b, sizeof(b), dir, "b.pcapng");
    path_join(c, sizeof(c), dir, "c.pcapng");
    static struct sample exp;
    cr_assert_eq(sample_run(a, CAP_FORMAT_PCAPNG, NULL, 7, &exp, NULL), 0);
    cr_assert_eq(sample_run(b, CAP_FORMAT_PCAPNG, NULL, 7, &exp, NULL), 0);
    cr_assert_eq(sample_run(c, CAP_FORMAT_PCAPNG, NULL, 8, &exp, NULL), 0);
    size_t la, lb, lc;
    uint8_t *fa = file_slurp(a, &la), *fb = file_slurp(b, &lb), *fc = file_slurp(c, &lc);
    cr_assert(fa && fb && fc);
    cr_assert_gt(la, 1000);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(fa, fb, la) == 0, "two runs with the same inputs differ");
    cr_assert(la != lc || memcmp(fa, fc, la) != 0, "different payloads gave the same file");
    free(fa);
    free(fb);
    free(fc);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------------------------------------
 * Interfaces: order, late points, re-created points, snap length, counters
 * ------------------------------------------------------------------------------------------- */

Test(cap_pcapng, late_and_recreated_points_get_stable_interface_ids)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "late.pcapng");
    struct cap_registry *r;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct cap_point *syn, *vf, *vport, *other;
    cr_assert_eq(cap_point_create(r, "vm1.synthetic", "synthetic", &syn, &d), 0);
    struct cap_session_opts o = {.path = path, .points = "vm1,h1.pf0"};
    struct cap_session *s;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_registry_session(r), s);
    cr_assert(cap_point_is_recording(syn));
    cr_assert_eq(cap_session_interface_count(s), 1);

    /* Created while recording: selected by prefix, gets the next id at once. */
    cr_assert_eq(cap_point_create(r, "vm1.vf", "VF", &vf, &d), 0);
    cr_assert(cap_point_is_recording(vf));
    cr_assert_eq(cap_point_create(r, "h1.pf01", NULL, &other, &d), 0);
    cr_assert_not(cap_point_is_recording(other), "h1.pf0 must not select h1.pf01");
    cr_assert_eq(cap_point_create(r, "h1.pf0.vport3", "VPort 3", &vport, &d), 0);
    cr_assert(cap_point_is_recording(vport));
    cr_assert_eq(cap_session_interface_count(s), 3);

    uint8_t fr[1514];
    uint32_t len = frame_build(fr, FRAME_UDP, 64, 0);
    cap_tap(vf, 10, CAP_DIR_IN, 1, 0, fr, len);
    /* The VF goes away (surprise removal) and a new VF comes back under the same name. */
    cap_point_destroy(vf);
    cr_assert_eq(cap_point_create(r, "vm1.vf", "VF again", &vf, &d), 0);
    cr_assert_eq(cap_session_interface_count(s), 3, "the re-created point reuses its interface");
    cap_tap(vf, 20, CAP_DIR_IN, 2, 0, fr, len);
    cap_tap(vport, 30, CAP_DIR_OUT, 3, 3, fr, len);
    cap_tap(other, 40, CAP_DIR_OUT, 4, 0, fr, len);

    struct cap_stats st;
    cr_assert_eq(cap_session_point_stats(s, "vm1.vf", &st), 0);
    cr_assert_eq(st.written_packets, 2, "counters survive the point");
    cr_assert_eq(cap_point_stats(vf, &st), 0);
    cr_assert_eq(st.tapped_packets, 2);
    cr_assert_eq(cap_point_stats(other, &st), SIM_ESTATE);
    cr_assert_eq(cap_session_point_stats(s, "h1.pf01", &st), SIM_ENOENT);
    char name[600];
    cr_assert_eq(cap_session_file_name(s, NULL, name, sizeof(name)), 0);
    cr_assert_str_eq(name, path);
    cr_assert_eq(cap_session_file_name(s, "vm1.vf", name, 4), SIM_ERANGE);

    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);
    cr_assert_not(cap_point_is_recording(vf));
    cr_assert_null(cap_registry_session(r));
    cap_tap(vf, 50, CAP_DIR_IN, 5, 0, fr, len); /* no session: nothing happens */

    struct cap_ng_reader *ng;
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0, "%s", d.reason);
    struct cap_ng_packet pk;
    uint32_t want_if[] = {1, 1, 2};
    uint64_t want_id[] = {1, 2, 3};
    int i = 0;
    while (cap_ng_reader_next(ng, &pk, &d) == 1) {
        cr_assert_lt(i, 3);
        cr_assert_eq(pk.interface_id, want_if[i], "packet %d", i);
        cr_assert_eq(pk.packet_id, want_id[i], "packet %d", i);
        i++;
    }
    cr_assert_eq(i, 3);
    cr_assert_eq(cap_ng_reader_interface_count(ng), 3);
    cr_assert_str_eq(cap_ng_reader_interface_name(ng, 0), "vm1.synthetic");
    cr_assert_str_eq(cap_ng_reader_interface_name(ng, 1), "vm1.vf");
    cr_assert_str_eq(cap_ng_reader_interface_description(ng, 1), "VF");
    cr_assert_str_eq(cap_ng_reader_interface_name(ng, 2), "h1.pf0.vport3");
    cap_ng_reader_close(ng);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, snap_length_truncates_and_counts)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "snap.pcapng");
    struct cap_registry *r;
    struct sim_diag d;
    struct cap_point *p;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = path, .snaplen = 64};
    struct cap_session *s;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    uint8_t fr[1514];
    uint32_t big = frame_build(fr, FRAME_UDP, 200, 1);
    uint32_t small = 60;
    cap_tap(p, 1, CAP_DIR_OUT, 1, 0, fr, big);
    cap_tap(p, 2, CAP_DIR_OUT, 2, 0, fr, small);
    cap_tap(p, 3, CAP_DIR_OUT, 3, 0, NULL, 99); /* a length without bytes */
    struct cap_stats st;
    cr_assert_eq(cap_point_stats(p, &st), 0);
    cr_assert_eq(st.written_packets, 3);
    cr_assert_eq(st.truncated_packets, 2);
    cr_assert_eq(st.tapped_bytes, big + small + 99);
    cr_assert_eq(st.written_bytes, 64 + small);
    cr_assert_eq(cap_session_close(s, &d), 0);

    struct cap_reader *rd;
    struct cap_frame f;
    cr_assert_eq(cap_reader_open(path, &rd, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 1);
    cr_assert_eq(f.caplen, 64);
    cr_assert_eq(f.len, big);
    cr_assert_arr_eq(f.data, fr, 64);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 1);
    cr_assert_eq(f.caplen, small);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 1);
    cr_assert_eq(f.caplen, 0);
    cr_assert_eq(f.len, 99);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 0);
    cap_reader_close(rd);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, options_are_checked)
{
    struct cap_registry *r;
    struct cap_session *s = NULL, *s2 = NULL;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct cap_session_opts o = {.path = NULL};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    o.path = "/dev/null";
    o.snaplen = CAP_SNAPLEN_MAX + 1;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "snap length") != NULL, "%s", d.reason);
    o.snaplen = 0;
    o.format = (enum cap_format)7;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    o.format = CAP_FORMAT_PCAPNG;
    o.points = "vm1,,h1";
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    o.points = "vm1,h1 wire";
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "h1 wire") != NULL, "%s", d.reason);
    o.points = " * ";
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_session_create(r, &o, &s2, &d), SIM_EBUSY);
    cr_assert_null(s2);
    cr_assert(strstr(d.reason, "already open") != NULL, "%s", d.reason);
    cr_assert_eq(cap_mark(NULL, "x"), SIM_EINVAL);
    cr_assert_eq(cap_mark(s, NULL), SIM_EINVAL);
    cr_assert_eq(cap_session_close(s, &d), 0);
    cr_assert_eq(cap_session_close(NULL, &d), 0);
    cap_registry_destroy(r);
    assert_no_live();
}

Test(cap_pcapng, long_marks_are_cut_at_the_comment_limit)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "marks.pcapng");
    struct cap_registry *r;
    struct sim_diag d;
    struct cap_point *p;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = path};
    struct cap_session *s;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0);
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 5; i++)
        cr_assert_eq(cap_mark(s, big), 0);
    uint8_t fr[1514];
    uint32_t len = frame_build(fr, FRAME_UDP, 10, 0);
    cap_tap_with_comment(p, 1, CAP_DIR_IN, 1, 0, fr, len, big);
    cap_tap(p, 2, CAP_DIR_IN, 2, 0, fr, len); /* the mark was consumed */
    cr_assert_eq(cap_session_close(s, &d), 0);
    struct cap_ng_reader *ng;
    struct cap_ng_packet pk;
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0);
    cr_assert_eq(cap_ng_reader_next(ng, &pk, &d), 1);
    cr_assert_not_null(pk.comment);
    cr_assert_eq(strlen(pk.comment), CAP_COMMENT_MAX);
    cr_assert_eq(cap_ng_reader_next(ng, &pk, &d), 1);
    cr_assert_null(pk.comment);
    cap_ng_reader_close(ng);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

/* ---------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------- */

Test(cap_pcapng, missing_directory_fails_at_create_with_reason)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "no/such/dir/run.pcapng");
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s = (struct cap_session *)&s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = path};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EIO);
    cr_assert_null(s);
    cr_assert_eq(d.code, SIM_EIO);
    cr_assert(strstr(d.reason, path) != NULL, "reason names the file: %s", d.reason);
    cr_assert(strstr(d.reason, "No such file or directory") != NULL, "%s", d.reason);
    cr_assert_not(cap_point_is_recording(p));
    cr_assert_null(cap_registry_session(r));
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, write_error_is_reported_at_close)
{
    struct stat sb;
    if (stat("/dev/full", &sb) != 0)
        cr_skip_test("/dev/full is not available");
    sim_log_configure("off", NULL); /* the error is also logged; keep the test output clean */
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = "/dev/full"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    uint8_t fr[1514];
    uint32_t len = frame_build(fr, FRAME_UDP, 1400, 0);
    for (int i = 0; i < 1000; i++) /* ~1.5 MB: several buffer flushes fail */
        cap_tap(p, i, CAP_DIR_OUT, (uint64_t)i + 1, 0, fr, len);
    cr_assert_eq(cap_session_error(s, &d), SIM_EIO, "the first flush already failed");
    struct cap_stats st;
    cr_assert_eq(cap_point_stats(p, &st), 0);
    cr_assert_gt(st.failed_packets, 0);
    cr_assert_eq(st.failed_packets + st.written_packets, 1000);
    sim_diag_clear(&d);
    cr_assert_eq(cap_session_close(s, &d), SIM_EIO);
    cr_assert_eq(d.code, SIM_EIO);
    cr_assert(strstr(d.reason, "/dev/full") != NULL, "%s", d.reason);
    cr_assert(strstr(d.reason, "No space left on device") != NULL, "%s", d.reason);
    cap_registry_destroy(r);
    assert_no_live();
}

Test(cap_pcapng, small_write_error_is_reported_at_close)
{
    struct stat sb;
    if (stat("/dev/full", &sb) != 0)
        cr_skip_test("/dev/full is not available");
    sim_log_configure("off", NULL);
    struct cap_registry *r;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct cap_session_opts o = {.path = "/dev/full"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_session_error(s, &d), 0, "nothing written yet");
    cr_assert_eq(cap_session_flush(s, &d), SIM_EIO);
    cr_assert_eq(cap_session_close(s, &d), SIM_EIO);
    cr_assert(strstr(d.reason, "No space left on device") != NULL, "%s", d.reason);
    cap_registry_destroy(r);
    assert_no_live();
}

Test(cap_pcapng, registry_destroy_closes_an_open_session)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "left.pcapng");
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = path};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0);
    uint8_t fr[1514];
    uint32_t len = frame_build(fr, FRAME_ARP, 0, 0);
    cap_tap(p, 5, CAP_DIR_IN, 1, 0, fr, len);
    cap_registry_destroy(r);
    assert_no_live();
    struct cap_reader *rd;
    struct cap_frame f;
    cr_assert_eq(cap_reader_open(path, &rd, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 1, "the buffered packet was flushed");
    cr_assert_eq(cap_reader_next(rd, &f, &d), 0);
    cap_reader_close(rd);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------------------------------------
 * The data path does not allocate
 * ------------------------------------------------------------------------------------------- */

Test(cap_pcapng, tapping_never_allocates)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "hot.pcapng");
    struct cap_registry *r;
    struct cap_point *p, *idle;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "vm1.vf", NULL, &p, &d), 0);
    cr_assert_eq(cap_point_create(r, "vm2.vf", NULL, &idle, &d), 0);
    struct cap_session_opts o = {.path = path, .points = "vm1", .filter = "udp or arp"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    uint8_t udp[1514], syn[1514];
    uint32_t ulen = frame_build(udp, FRAME_UDP, 1400, 0);
    uint32_t slen = frame_build(syn, FRAME_TCP_SYN, 0, 0);
    long before = sim_alloc_attempts();
    for (int i = 0; i < 1000; i++) { /* > 1 MB: the buffer is flushed several times */
        uint64_t id = cap_packet_id_next(r);
        if (i % 100 == 0)
            cr_assert_eq(cap_mark(s, "mark"), 0);
        cap_tap(p, i, CAP_DIR_OUT, id, 0, udp, ulen);
        cap_tap(p, i, CAP_DIR_OUT, id, 0, syn, slen); /* filtered out */
        cap_tap_with_comment(p, i, CAP_DIR_IN, id, 1, udp, ulen, "event=x");
        cap_tap(idle, i, CAP_DIR_IN, id, 0, udp, ulen); /* not recorded */
    }
    cr_assert_eq(sim_alloc_attempts(), before, "cap_tap allocated");
    struct cap_stats st;
    cr_assert_eq(cap_point_stats(p, &st), 0);
    cr_assert_eq(st.written_packets, 2000);
    cr_assert_eq(st.filtered_packets, 1000);
    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

/* ---------------------------------------------------------------------------------------------
 * Out-of-memory sweeps: fail the Nth allocation until the constructor succeeds
 * ------------------------------------------------------------------------------------------- */

Test(cap_pcapng, oom_sweep_registry_and_points)
{
    struct cap_registry *r = NULL;
    long n = 0;
    for (;; n++) {
        sim_alloc_fail_nth(n);
        int rc = cap_registry_create(&r);
        sim_alloc_fail_nth(-1);
        if (rc == 0)
            break;
        cr_assert_eq(rc, SIM_ENOMEM);
        cr_assert_null(r);
        assert_no_live();
    }
    /* Points: enough of them to grow the registry's array at least once. */
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "h1.pf0.vport%d", i);
        struct cap_point *p = NULL;
        struct sim_diag d;
        for (n = 0;; n++) {
            /* The registry may keep a grown array; the final check catches any real leak. */
            long live = sim_alloc_live(SIM_TAG(cap_point));
            sim_alloc_fail_nth(n);
            int rc = cap_point_create(r, name, "a VPort", &p, &d);
            sim_alloc_fail_nth(-1);
            if (rc == 0)
                break;
            cr_assert_eq(rc, SIM_ENOMEM, "%s", d.reason);
            cr_assert_null(p);
            cr_assert_null(cap_point_find(r, name));
            cr_assert_eq(sim_alloc_live(SIM_TAG(cap_point)), live, "leak after failed create");
        }
    }
    cap_registry_destroy(r);
    assert_no_live();
}

static void
oom_sweep_session(enum cap_format format, const char *filter)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "oom.pcapng");
    struct cap_registry *r;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct cap_point *pts[12];
    char name[32];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "vm%d.vf", i);
        cr_assert_eq(cap_point_create(r, name, "VF", &pts[i], &d), 0);
    }
    struct cap_session_opts o = {.path = path, .format = format, .filter = filter};
    struct cap_session *s = NULL;
    long n;
    for (n = 0;; n++) {
        long live = sim_alloc_live_total();
        sim_alloc_fail_nth(n);
        int rc = cap_session_create(r, &o, &s, &d);
        sim_alloc_fail_nth(-1);
        if (rc == 0)
            break;
        cr_assert_eq(rc, SIM_ENOMEM, "n=%ld: %s", n, d.reason);
        cr_assert_null(s);
        cr_assert_null(cap_registry_session(r));
        for (int i = 0; i < 12; i++)
            cr_assert_not(cap_point_is_recording(pts[i]), "n=%ld: point left bound", n);
        cr_assert_eq(sim_alloc_live_total(), live, "n=%ld: leak after failed session create", n);
    }
    cr_assert_gt(n, 3, "the sweep reached several allocations");
    for (int i = 0; i < 12; i++)
        cr_assert(cap_point_is_recording(pts[i]));
    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, oom_sweep_session_pcapng)
{
    oom_sweep_session(CAP_FORMAT_PCAPNG, "udp");
}

Test(cap_pcapng, oom_sweep_session_pcap)
{
    oom_sweep_session(CAP_FORMAT_PCAP, NULL);
}

Test(cap_pcapng, oom_sweep_point_joining_open_session)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "join.pcapng");
    struct cap_registry *r;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    struct cap_session_opts o = {.path = path, .format = CAP_FORMAT_PCAP};
    struct cap_session *s;
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    char name[32];
    for (int i = 0; i < 12; i++) { /* grows the session's interface array */
        snprintf(name, sizeof(name), "vm%d.synthetic", i);
        struct cap_point *p = NULL;
        for (long n = 0;; n++) {
            /* Arrays may keep their grown capacity; the final check catches any real leak. */
            long live = sim_alloc_live(SIM_TAG(cap_point));
            sim_alloc_fail_nth(n);
            int rc = cap_point_create(r, name, NULL, &p, &d);
            sim_alloc_fail_nth(-1);
            if (rc == 0)
                break;
            cr_assert_eq(rc, SIM_ENOMEM, "%s", d.reason);
            cr_assert_eq(sim_alloc_live(SIM_TAG(cap_point)), live, "leak after failed create");
            cr_assert_eq(cap_session_interface_count(s), (uint32_t)i);
        }
        cr_assert(cap_point_is_recording(p));
    }
    cr_assert_eq(cap_session_interface_count(s), 12);
    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    assert_no_live();
}

Test(cap_pcapng, oom_sweep_readers)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "r.pcapng");
    static struct sample exp;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, NULL, 0, &exp, NULL), 0);
    struct sim_diag d;

    struct cap_ng_reader *ng = NULL;
    for (long n = 0;; n++) {
        sim_alloc_fail_nth(n);
        int rc = cap_ng_reader_open(path, &ng, &d);
        sim_alloc_fail_nth(-1);
        if (rc == 0)
            break;
        cr_assert_eq(rc, SIM_ENOMEM, "%s", d.reason);
        assert_no_live();
    }
    /* Allocation failures while walking (interface table, names) are errors, not crashes. */
    for (long n = 0;; n++) {
        struct cap_ng_reader *w;
        cr_assert_eq(cap_ng_reader_open(path, &w, &d), 0);
        struct cap_ng_packet pk;
        int rc, count = 0;
        sim_alloc_fail_nth(n);
        while ((rc = cap_ng_reader_next(w, &pk, &d)) == 1)
            count++;
        sim_alloc_fail_nth(-1);
        cap_ng_reader_close(w);
        if (rc == 0) {
            cr_assert_eq(count, exp.n);
            break;
        }
        cr_assert_eq(rc, SIM_ENOMEM, "%s", d.reason);
    }
    cap_ng_reader_close(ng);

    struct cap_reader *rd = NULL;
    for (long n = 0;; n++) {
        sim_alloc_fail_nth(n);
        int rc = cap_reader_open(path, &rd, &d);
        sim_alloc_fail_nth(-1);
        if (rc == 0)
            break;
        cr_assert_eq(rc, SIM_ENOMEM);
    }
    cap_reader_close(rd);
    tmpdir_remove(dir);
    assert_no_live();
}

/* ---------------------------------------------------------------------------------------------
 * The block walker never trusts its input
 * ------------------------------------------------------------------------------------------- */

static int
walk_file(const char *path, int *packets, struct sim_diag *d)
{
    struct cap_ng_reader *ng;
    *packets = 0;
    int rc = cap_ng_reader_open(path, &ng, d);
    if (rc != 0)
        return rc;
    struct cap_ng_packet pk;
    while ((rc = cap_ng_reader_next(ng, &pk, d)) == 1)
        (*packets)++;
    cap_ng_reader_close(ng);
    return rc;
}

Test(cap_pcapng, block_walker_rejects_every_truncation_and_corruption)
{
    char dir[256], path[512], bad[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "good.pcapng");
    path_join(bad, sizeof(bad), dir, "bad.pcapng");
    static struct sample exp;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, NULL, 0, &exp, NULL), 0);
    size_t len;
    uint8_t *data = file_slurp(path, &len);
    cr_assert_not_null(data);
    struct sim_diag d;
    int packets;

    /* Every prefix: either a clean end at a block boundary, or SIM_EPARSE; never a crash. */
    int clean = 0;
    for (size_t cut = 0; cut < len; cut++) {
        FILE *f = fopen(bad, "wb");
        fwrite(data, 1, cut, f);
        fclose(f);
        int rc = walk_file(bad, &packets, &d);
        cr_assert(rc == 0 || rc == SIM_EPARSE, "cut=%zu rc=%d", cut, rc);
        if (rc == 0)
            clean++;
        else
            cr_assert(strstr(d.reason, "pcapng") != NULL || strstr(d.reason, "capture file"), "%s",
                      d.reason);
        cr_assert_leq(packets, exp.n);
    }
    cr_assert_leq(clean, 4 + exp.n, "only block boundaries end cleanly");

    /* Flip each byte in turn: any result but a crash or a leak is acceptable. */
    for (size_t i = 0; i < len; i++) {
        data[i] ^= 0xA5;
        FILE *f = fopen(bad, "wb");
        fwrite(data, 1, len, f);
        fclose(f);
        int rc = walk_file(bad, &packets, &d);
        cr_assert(rc == 0 || rc == SIM_EPARSE, "byte %zu rc=%d", i, rc);
        data[i] ^= 0xA5;
        assert_no_live();
    }

    /* A file in the other byte order is named as such. */
    uint8_t swapped[28] = {0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0,    28,   0x1a, 0x2b,
                           0x3c, 0x4d, 0,    1,    0, 0, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xff, 0xff, 0xff, 0, 0, 0,    28};
    FILE *f = fopen(bad, "wb");
    fwrite(swapped, 1, sizeof(swapped), f);
    fclose(f);
    cr_assert_eq(walk_file(bad, &packets, &d), SIM_EPARSE);
    cr_assert(strstr(d.reason, "byte order") != NULL, "%s", d.reason);
    /* A classic pcap is not pcapng; a missing file is an I/O error. */
    cr_assert_eq(walk_file("/dev/null", &packets, &d), SIM_EPARSE);
    path_join(bad, sizeof(bad), dir, "missing.pcapng");
    cr_assert_eq(walk_file(bad, &packets, &d), SIM_EIO);
    struct cap_reader *rd;
    cr_assert_eq(cap_reader_open(bad, &rd, &d), SIM_EIO);
    cr_assert(strstr(d.reason, "missing.pcapng") != NULL, "%s", d.reason);
    free(data);
    tmpdir_remove(dir);
    assert_no_live();
}
