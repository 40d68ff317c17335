/* SPDX-License-Identifier: MIT */
/*
 * test_tshark.c — the real Wireshark reads our pcapng: interface names, packet ids, direction
 * flags, queues and comments, as `tshark -T fields` shows them. Skipped when tshark is not on
 * PATH (CI installs it). capinfos, when present, lists the interfaces by name.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_test_util.h"
#include "capture/capture.h"

#define MAX_LINES 64

/* Run cmd, keep stdout lines (tshark prints a root warning on stderr, which we drop). */
static int
run_lines(const char *cmd, char lines[][1024], int max)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen(%s)", cmd);
    int n = 0;
    char buf[1024];
    while (fgets(buf, sizeof(buf), p) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        if (n < max)
            memcpy(lines[n], buf, sizeof(buf));
        n++;
    }
    int st = pclose(p);
    cr_assert_eq(st, 0, "'%s' exited with status %d", cmd, st);
    return n;
}

/* Split a tab-separated line in place into at most `max` fields. */
static int
split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *c = line; *c && n < max; c++) {
        if (*c == '\t') {
            *c = '\0';
            f[n++] = c + 1;
        }
    }
    return n;
}

Test(cap_tshark, tshark_shows_names_ids_directions_queues_comments)
{
    if (!program_on_path("tshark"))
        cr_skip_test("tshark is not installed");
    char dir[256], path[512], cmd[1400];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "run.pcapng");
    static struct sample exp;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, NULL, 0, &exp, NULL), 0);

    snprintf(cmd, sizeof(cmd),
             "tshark -r '%s' -T fields -E separator=/t -e frame.interface_name "
             "-e frame.packet_id -e frame.packet_flags_direction -e frame.interface_queue "
             "-e frame.comment -e frame.len 2>/dev/null",
             path);
    static char lines[MAX_LINES][1024];
    int n = run_lines(cmd, lines, MAX_LINES);
    cr_assert_eq(n, exp.n, "tshark saw %d frames, the run wrote %d", n, exp.n);
    for (int i = 0; i < n; i++) {
        const struct expect_pkt *e = &exp.pkts[i];
        char *f[8];
        int nf = split_tabs(lines[i], f, 8);
        cr_assert_eq(nf, 6, "line %d: %d fields", i, nf);
        cr_assert_str_eq(f[0], e->point, "frame %d interface name", i + 1);
        if (e->packet_id)
            cr_assert_eq(strtoull(f[1], NULL, 0), e->packet_id, "frame %d packet id '%s'", i + 1,
                         f[1]);
        else
            cr_assert_str_eq(f[1], "", "frame %d has no packet id", i + 1);
        if (e->dir != CAP_DIR_NONE)
            cr_assert_eq(strtoul(f[2], NULL, 0), (unsigned long)e->dir, "frame %d direction '%s'",
                         i + 1, f[2]);
        else
            cr_assert_str_eq(f[2], "", "frame %d has no direction", i + 1);
        if (e->queue != CAP_QUEUE_NONE)
            cr_assert_eq(strtoul(f[3], NULL, 0), (unsigned long)e->queue, "frame %d queue", i + 1);
        else
            cr_assert_str_eq(f[3], "", "frame %d has no queue", i + 1);
        cr_assert_str_eq(f[4], e->comment ? e->comment : "", "frame %d comment", i + 1);
        cr_assert_eq(strtoul(f[5], NULL, 10), e->len, "frame %d length", i + 1);
    }

    /* frame.packet_id == N shows the whole journey of one packet. */
    snprintf(cmd, sizeof(cmd),
             "tshark -r '%s' -Y 'frame.packet_id == %llu' -T fields -e frame.interface_name "
             "2>/dev/null",
             path, (unsigned long long)exp.pkts[2].packet_id);
    n = run_lines(cmd, lines, MAX_LINES);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(lines[0], "h1.wire");
    cr_assert_str_eq(lines[1], "vm1.vf");

    /* Timestamps: the fixed epoch plus virtual ns, to the nanosecond. */
    snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.time_epoch 2>/dev/null", path);
    n = run_lines(cmd, lines, MAX_LINES);
    cr_assert_eq(n, exp.n);
    for (int i = 0; i < n; i++) {
        char want[64];
        int64_t ts = CAP_EPOCH_NS + exp.pkts[i].t;
        snprintf(want, sizeof(want), "%lld.%09lld", (long long)(ts / 1000000000),
                 (long long)(ts % 1000000000));
        cr_assert_str_eq(lines[i], want, "frame %d time", i + 1);
    }

    /* capinfos (optional) lists every interface by name. */
    if (program_on_path("capinfos")) {
        snprintf(cmd, sizeof(cmd), "capinfos '%s' 2>/dev/null", path);
        n = run_lines(cmd, lines, MAX_LINES);
        for (uint32_t k = 0; k < exp.n_ifaces; k++) {
            bool found = false;
            char want[128];
            snprintf(want, sizeof(want), "Name = %s", exp.names[k]);
            for (int i = 0; i < n && i < MAX_LINES; i++)
                found = found || strstr(lines[i], want) != NULL;
            cr_assert(found, "capinfos does not list interface %s", exp.names[k]);
        }
    }
    tmpdir_remove(dir);
}

Test(cap_tshark, tshark_reads_the_filter_and_section_comment)
{
    if (!program_on_path("tshark") || !program_on_path("capinfos"))
        cr_skip_test("tshark/capinfos are not installed");
    char dir[256], path[512], cmd[1400];
    tmpdir_make(dir, sizeof(dir));
    path_join(path, sizeof(path), dir, "f.pcapng");
    static struct sample exp;
    struct cap_stats tot;
    cr_assert_eq(sample_run(path, CAP_FORMAT_PCAPNG, "udp", 0, &exp, &tot), 0);

    static char lines[MAX_LINES][1024];
    snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.interface_name 2>/dev/null",
             path);
    int n = run_lines(cmd, lines, MAX_LINES);
    cr_assert_eq((uint64_t)n, tot.written_packets);
    snprintf(cmd, sizeof(cmd), "capinfos '%s' 2>/dev/null", path);
    n = run_lines(cmd, lines, MAX_LINES);
    bool comment = false, filter = false;
    for (int i = 0; i < n && i < MAX_LINES; i++) {
        comment = comment || strstr(lines[i], "scenario=sample.scn seed=42") != NULL;
        filter = filter || strstr(lines[i], "Filter string = udp") != NULL;
    }
    cr_assert(comment, "capinfos shows the section comment");
    cr_assert(filter, "capinfos shows the capture filter");
    tmpdir_remove(dir);
}
