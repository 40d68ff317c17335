/* SPDX-License-Identifier: MIT */
/*
 * test_filter.c — BPF capture filters: compiled by libpcap at session creation (a bad expression
 * fails then, with libpcap's message), applied to every tapped frame, rejected frames counted
 * per point; marks wait for the next written packet.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "cap_test_util.h"
#include "capture/capture.h"

SIM_ALLOC_TAG_DECLARE(cap_session);

Test(cap_filter, udp_keeps_only_udp_and_counts_the_rest)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "udp.pcapng");
    struct cap_registry *r;
    struct cap_point *syn, *vf;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "vm1.synthetic", NULL, &syn, &d), 0);
    cr_assert_eq(cap_point_create(r, "vm1.vf", NULL, &vf, &d), 0);
    struct cap_session_opts o = {.path = path, .filter = "udp"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);

    uint8_t udp[1514], tcp[1514], arp[1514];
    uint32_t ul = frame_build(udp, FRAME_UDP, 64, 0);
    uint32_t tl = frame_build(tcp, FRAME_TCP_SYN, 0, 0);
    uint32_t al = frame_build(arp, FRAME_ARP, 0, 0);
    /* synthetic: udp, tcp, arp, udp; vf: tcp, udp */
    cap_tap(syn, 10, CAP_DIR_IN, 1, 0, udp, ul);
    cap_tap(syn, 20, CAP_DIR_IN, 2, 0, tcp, tl);
    cr_assert_eq(cap_mark(s, "before FLR"), 0);
    cap_tap(syn, 30, CAP_DIR_IN, 3, 0, arp, al);                           /* filtered */
    cap_tap_with_comment(vf, 40, CAP_DIR_IN, 4, 0, tcp, tl, "event=lost"); /* filtered */
    cap_tap(vf, 50, CAP_DIR_OUT, 5, 0, udp, ul);                           /* carries the mark */
    cap_tap(syn, 60, CAP_DIR_OUT, 6, 0, udp, ul);

    struct cap_stats a, b, t;
    cr_assert_eq(cap_point_stats(syn, &a), 0);
    cr_assert_eq(cap_point_stats(vf, &b), 0);
    cr_assert_eq(a.tapped_packets, 4);
    cr_assert_eq(a.filtered_packets, 2);
    cr_assert_eq(a.written_packets, 2);
    cr_assert_eq(b.tapped_packets, 2);
    cr_assert_eq(b.filtered_packets, 1);
    cr_assert_eq(b.written_packets, 1);
    cap_session_totals(s, &t);
    cr_assert_eq(t.tapped_packets, t.filtered_packets + t.written_packets + t.failed_packets);
    cr_assert_eq(cap_session_close(s, &d), 0, "%s", d.reason);

    struct cap_ng_reader *ng;
    struct cap_ng_packet pk;
    cr_assert_eq(cap_ng_reader_open(path, &ng, &d), 0, "%s", d.reason);
    uint64_t want_id[] = {1, 5, 6};
    const char *want_comment[] = {NULL, "before FLR", NULL};
    int n = 0;
    while (cap_ng_reader_next(ng, &pk, &d) == 1) {
        cr_assert_lt(n, 3);
        cr_assert_eq(pk.packet_id, want_id[n]);
        cr_assert_eq(pk.data[23], 17, "IPv4 protocol is UDP");
        if (want_comment[n])
            cr_assert(pk.comment && strcmp(pk.comment, want_comment[n]) == 0, "comment %s",
                      pk.comment ? pk.comment : "(none)");
        else
            cr_assert_null(pk.comment);
        n++;
    }
    cr_assert_eq(n, 3);
    /* The filter is recorded in each IDB (if_filter), as dumpcap does. */
    cr_assert_str_eq(cap_ng_reader_interface_filter(ng, 0), "udp");
    cr_assert_str_eq(cap_ng_reader_interface_filter(ng, 1), "udp");
    cap_ng_reader_close(ng);

    /* libpcap agrees. */
    struct cap_reader *rd;
    struct cap_frame f;
    cr_assert_eq(cap_reader_open(path, &rd, &d), 0, "%s", d.reason);
    n = 0;
    while (cap_reader_next(rd, &f, &d) == 1)
        n++;
    cr_assert_eq(n, 3);
    cap_reader_close(rd);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0);
}

Test(cap_filter, a_richer_expression_selects_by_port_and_flags)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "syn.pcapng");
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);
    struct cap_session_opts o = {.path = path,
                                 .filter = "tcp[tcpflags] & tcp-syn != 0 and dst port 80"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    uint8_t udp[1514], tcp[1514];
    uint32_t ul = frame_build(udp, FRAME_UDP, 64, 0);
    uint32_t tl = frame_build(tcp, FRAME_TCP_SYN, 0, 0);
    cap_tap(p, 1, CAP_DIR_IN, 1, 0, udp, ul);
    cap_tap(p, 2, CAP_DIR_IN, 2, 0, tcp, tl);
    struct cap_stats st;
    cr_assert_eq(cap_point_stats(p, &st), 0);
    cr_assert_eq(st.written_packets, 1);
    cr_assert_eq(st.filtered_packets, 1);
    cr_assert_eq(cap_session_close(s, &d), 0);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
}

Test(cap_filter, filter_applies_to_the_pcap_fallback)
{
    char dir[256], prefix[512], file[700];
    tmpdir_make(dir, sizeof(dir));
    path_join(prefix, sizeof(prefix), dir, "f");
    static struct sample exp;
    struct cap_stats tot;
    cr_assert_eq(sample_run(prefix, CAP_FORMAT_PCAP, "arp", 0, &exp, &tot), 0);
    cr_assert_eq(tot.written_packets, 2, "the sample has one ARP packet at two points");
    cr_assert_eq(tot.filtered_packets, (uint64_t)exp.n - 2);
    snprintf(file, sizeof(file), "%s-vm1.synthetic.pcap", prefix);
    struct cap_reader *rd;
    struct cap_frame f;
    struct sim_diag d;
    cr_assert_eq(cap_reader_open(file, &rd, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_reader_next(rd, &f, &d), 1);
    cr_assert_eq(f.data[12], 0x08);
    cr_assert_eq(f.data[13], 0x06, "ethertype ARP");
    cr_assert_eq(cap_reader_next(rd, &f, &d), 0);
    cap_reader_close(rd);
    tmpdir_remove(dir);
}

Test(cap_filter, bad_expression_fails_at_create_with_libpcap_message)
{
    char dir[256], path[512];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "never.pcapng");
    struct cap_registry *r;
    struct cap_point *p;
    struct cap_session *s = NULL;
    struct sim_diag d;
    cr_assert_eq(cap_registry_create(&r), 0);
    cr_assert_eq(cap_point_create(r, "h1.wire", NULL, &p, &d), 0);

    struct cap_session_opts o = {.path = path, .filter = "udp and"};
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert_null(s);
    cr_assert(strstr(d.reason, "\"udp and\"") != NULL, "reason quotes the filter: %s", d.reason);
    cr_assert(strstr(d.reason, "syntax error") != NULL, "libpcap's message: %s", d.reason);

    o.filter = "port 99999";
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "port 99999") != NULL, "%s", d.reason);
    cr_assert(strstr(d.reason, "illegal port number") != NULL, "libpcap's message: %s", d.reason);

    o.filter = "ip proto nosuchproto"; /* (a bare unknown word would be a DNS lookup) */
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "unknown ip proto 'nosuchproto'") != NULL, "%s", d.reason);

    o.filter = "ip broadcast"; /* needs a netmask, which simulated frames do not have */
    cr_assert_eq(cap_session_create(r, &o, &s, &d), SIM_EINVAL);
    cr_assert(strstr(d.reason, "netmask not known") != NULL, "%s", d.reason);

    cr_assert_neq(access(path, F_OK), 0, "no file is created for a bad filter");
    cr_assert_not(cap_point_is_recording(p));
    cr_assert_null(cap_registry_session(r));
    cr_assert_eq(sim_alloc_live(SIM_TAG(cap_session)), 0);

    o.filter = ""; /* empty: no filter */
    cr_assert_eq(cap_session_create(r, &o, &s, &d), 0, "%s", d.reason);
    cr_assert_eq(cap_session_close(s, &d), 0);
    cap_registry_destroy(r);
    tmpdir_remove(dir);
}
