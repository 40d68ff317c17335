/* SPDX-License-Identifier: MIT */
/*
 * test_pcap.c — the classic-pcap fallback: one nanosecond pcap per selected point, written
 * through libpcap, read back through libpcap with exact timestamps and bytes; deterministic;
 * open errors carry libpcap's message.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cap_test_util.h"
#include "capture/capture.h"

SIM_ALLOC_TAG_DECLARE(cap_session);
SIM_ALLOC_TAG_DECLARE(cap_point);
SIM_ALLOC_TAG_DECLARE(cap_reader);

/* Read one per-point file and compare it with the sample's packets at that point. */
static void
check_point_file(const char *file, const struct sample *exp, const char *point)
{
    struct cap_reader *rd;
    struct sim_diag d;
    cr_assert_eq(cap_reader_open(file, &rd, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_reader_linktype(rd), 1);
    struct cap_frame f;
    int got = 0;
    for (int i = 0; i < exp->n; i++) {
        const struct expect_pkt *e = &exp->pkts[i];
        if (strcmp(e->point, point) != 0)
            continue;
        cr_assert_eq(cap_reader_next(rd, &f, &d), 1, "%s: frame %d missing", point, got);
        cr_assert_eq(f.ts_ns, CAP_EPOCH_NS + e->t, "%s frame %d: ns timestamp", point, got);
        cr_assert_eq(f.len, e->len);
        cr_assert_eq(f.caplen, e->len);
        cr_assert_arr_eq(f.data, e->frame, e->len);
        got++;
    }
    cr_assert_eq(cap_reader_next(rd, &f, &d), 0, "%s: extra frames", point);
    cr_assert_gt(got, 0);
    cap_reader_close(rd);
}

Test(cap_pcap, one_ns_pcap_per_point_readable_by_libpcap)
{
    char dir[256], prefix[512], file[700];
    tmpdir_make(dir, sizeof(dir));
    path_join(prefix, sizeof(prefix), dir, "run.pcap"); /* ".pcap" is stripped */
    static struct sample exp;
    struct cap_stats tot;
    cr_assert_eq(sample_run(prefix, CAP_FORMAT_PCAP, NULL, 0, &exp, &tot), 0);
    cr_assert_eq(tot.written_packets, (uint64_t)exp.n);

    for (uint32_t k = 0; k < exp.n_ifaces; k++) {
        snprintf(file, sizeof(file), "%s/run-%s.pcap", dir, exp.names[k]);
        cr_assert_eq(access(file, R_OK), 0, "missing %s", file);
        check_point_file(file, &exp, exp.names[k]);
    }
    snprintf(file, sizeof(file), "%s/run-h2.wire.pcap", dir);
    cr_assert_neq(access(file, F_OK), 0, "unselected point got a file");

    /* The file magic says "nanosecond pcap" (0xa1b23c4d). */
    snprintf(file, sizeof(file), "%s/run-vm1.vf.pcap", dir);
    size_t len;
    uint8_t *data = file_slurp(file, &len);
    cr_assert_not_null(data);
    uint32_t magic;
    memcpy(&magic, data, 4);
    cr_assert_eq(magic, 0xa1b23c4du);
    free(data);
    tmpdir_remove(dir);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_reader)), 0);
}

Test(cap_pcap, same_inputs_give_byte_identical_files)
{
    char dir[256], pa[512], pb[512], fa[700], fb[700];
    tmpdir_make(dir, sizeof(dir));
    path_join(pa, sizeof(pa), dir, "a");
    path_join(pb, sizeof(pb), dir, "b");
    static struct sample exp;
    cr_assert_eq(sample_run(pa, CAP_FORMAT_PCAP, NULL, 3, &exp, NULL), 0);
    cr_assert_eq(sample_run(pb, CAP_FORMAT_PCAP, NULL, 3, &exp, NULL), 0);
    for (uint32_t k = 0; k < exp.n_ifaces; k++) {
        snprintf(fa, sizeof(fa), "%s-%s.pcap", pa, exp.names[k]);
        snprintf(fb, sizeof(fb), "%s-%s.pcap", pb, exp.names[k]);
        size_t la, lb;
        uint8_t *da = file_slurp(fa, &la), *db = file_slurp(fb, &lb);
        cr_assert(da && db);
        cr_assert_eq(la, lb, "%s", exp.names[k]);
        cr_assert(memcmp(da, db, la) == 0, "%s differs between runs", exp.names[k]);
        free(da);
        free(db);
    }
    tmpdir_remove(dir);
}

Test(cap_pcap, file_names_and_marks)
{
    char dir[256], prefix[512], name[700], want[700];
    tmpdir_make(dir, sizeof(dir));
    path_join(prefix, sizeof(prefix), dir, "cap.pcapng"); /* also stripped */
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.pf0.vport3", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = prefix, .format = CAP_FORMAT_PCAP};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_session_file_name(s, "h1.pf0.vport3", name, sizeof(name)), 0);
    snprintf(want, sizeof(want), "%s/cap-h1.pf0.vport3.pcap", dir);
    cr_assert_str_eq(name, want);
    cr_assert_eq(cap_session_file_name(s, "nope", name, sizeof(name)), SIM_ENOENT);
    cr_assert_eq(cap_mark(s, "classic pcap has no comments"), 0, "a mark is not an error");
    uint8_t fr[1514];
    uint32_t len = frame_build(fr, FRAME_UDP, 10, 0);
    cap_tap_with_comment(p, 1, CAP_DIR_IN, 1, 3, fr, len, "event=ignored");
    cr_assert_eq(cap_session_flush(s, &d), 0, "%s", d.reason);
    struct cap_stats st;
    cr_assert_eq(cap_point_stats(p, &st), 0);
    cr_assert_eq(st.written_packets, 1);
    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);
    cr_assert_eq(access(want, R_OK), 0);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_point)), 0);
}

Test(cap_pcap, open_error_names_the_file_with_libpcap_message)
{
    char dir[256], prefix[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(prefix, sizeof(prefix), dir, "missing/dir/run");
    struct cap_registry *r;
    struct cap_point *p, *late = NULL;
    struct cap_session *s = NULL;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "vm1.vf", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = prefix, .format = CAP_FORMAT_PCAP};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EIO);
    cr_assert_null(s);
    cr_assert(strstr(d.reason, "run-vm1.vf.pcap") != NULL, "%s", d.reason);
    cr_assert(strstr(d.reason, "No such file or directory") != NULL, "%s", d.reason);
    cr_assert_not(cap_point_is_recording(p));
    cr_assert_null(cap_registry_session(r));

    /* With no point yet the session opens; a point joining later cannot open its file: the
     * point (and the object it observes) still comes up, unrecorded, and close() reports it. */
    cap_point_destroy(p);
    sim_log_configure("off", NULL);
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_session_error(s, &d), 0);
    cr_assert_eq(cap_point_create(r, "vm1.vf", NULL, &late, &d), 0, "%s", d.reason);
    cr_assert_not_null(late);
    cr_assert_not(cap_point_is_recording(late));
    cr_assert_eq(cap_session_interface_count(s), 0);
    cr_assert_eq(cap_session_error(s, &d), SIM_EIO);
    sim_diag_clear(&d);
    cr_assert_eq(cap_session_close(s, &d), SIM_EIO);
    cr_assert(strstr(d.reason, "run-vm1.vf.pcap") != NULL, "%s", d.reason);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_point)), 0);
}
