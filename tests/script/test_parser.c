/* SPDX-License-Identifier: MIT */
/* test_parser.c — the .scn parser and checker: the two reference examples, every time form,
 * every verb with good arguments, a table of bad lines with their exact line:col and message,
 * did-you-mean, the structured expect forms, the OID hook, the error limit, files, canonical
 * formatting round trips and an out-of-memory sweep. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script/script_int.h"

/* A small topology every table row is appended to (9 lines: the row is line 10). */
#define PRE                                                                                        \
    "host h1\n"                                                                                    \
    "host h2\n"                                                                                    \
    "pf h1.pf0 total_vfs=8\n"                                                                      \
    "pf h2.pf0 total_vfs=4\n"                                                                      \
    "vswitch h1.sw0 uplink=h1.pf0\n"                                                               \
    "vswitch h2.sw0 uplink=h2.pf0\n"                                                               \
    "vm vm1 on=h1 switch=h1.sw0 mac=00:15:5d:00:00:01 ip=10.0.0.1\n"                               \
    "peer ext1 on=h1.sw0 ip=10.0.0.9\n"                                                            \
    "flow start f1 from=vm1 to=ext1\n"
#define PRE_LINES 9

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    char *buf = malloc(1 << 17);
    *len = fread(buf, 1, (1 << 17) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int
parse(const char *src, struct scn_program **p, struct scn_diags **d)
{
    return scn_program_parse_string("t.scn", src, strlen(src), NULL, p, d);
}

static char *
with_pre(const char *line)
{
    size_t n = strlen(PRE) + strlen(line) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s%s\n", PRE, line);
    return s;
}

static void
dump_diags(const struct scn_diags *d)
{
    char buf[1024];
    for (size_t i = 0; i < scn_diags_count(d); i++)
        cr_log_error("  %s", scn_diag_format(scn_diags_get(d, i), buf, sizeof buf));
}

/* ---------------------------------------------------------------------------------------------
 * The reference examples.
 * ------------------------------------------------------------------------------------------- */
Test(scn_parser, failover_example_parses_with_resolved_times)
{
    struct scn_program *p;
    struct scn_diags *d;
    int rc = scn_program_parse_file(SCN_TEST_DATA "/failover.scn", NULL, &p, &d);
    dump_diags(d);
    cr_assert_eq(rc, 0);
    cr_expect_eq(scn_diags_count(d), 0);
    cr_expect_eq(scn_program_count(p), 28);
    cr_expect_eq(scn_program_expect_count(p), 13);
    cr_expect_str_eq(scn_program_name(p), SCN_TEST_DATA "/failover.scn");
    /* line -> time, verb, window */
    static const struct {
        uint32_t line;
        sim_time_t t;
        enum scn_verb verb;
        sim_time_t window;
    } want[] = {
        {2, 0, SCN_VERB_HOST, 0},
        {8, 0, SCN_VERB_CAPTURE_START, 0},
        {10, 0, SCN_VERB_FLOW_START, 0},
        {11, SIM_MSEC(100), SCN_VERB_EXPECT, 0},
        {12, SIM_MSEC(500), SCN_VERB_ATTACH_VF, 0},
        {14, SIM_MSEC(500), SCN_VERB_EXPECT, SIM_MSEC(1200)},
        {17, SIM_SEC(2), SCN_VERB_FAULT_SURPRISE_REMOVE, 0},
        {19, SIM_SEC(2), SCN_VERB_EXPECT, SIM_MSEC(10)},
        {20, SIM_MSEC(2500), SCN_VERB_EXPECT, 0},
        {24, SIM_SEC(5), SCN_VERB_DETACH_VF, 0},
        {28, SIM_MSEC(5500), SCN_VERB_FLOW_STOP, 0},
        {30, SIM_MSEC(5500), SCN_VERB_CAPTURE_STOP, 0},
    };
    size_t k = 0;
    for (size_t i = 0; i < scn_program_count(p) && k < SIM_ARRAY_SIZE(want); i++) {
        const struct scn_stmt *s = scn_program_stmt(p, i);
        cr_expect_eq(s->anchor, -1);
        if (s->line != want[k].line)
            continue;
        cr_expect_eq(s->time_ns, want[k].t, "line %u time %lld", s->line, (long long)s->time_ns);
        cr_expect_eq(s->verb, want[k].verb, "line %u verb", s->line);
        cr_expect_eq(s->window_ns, want[k].window, "line %u window", s->line);
        k++;
    }
    cr_expect_eq(k, SIM_ARRAY_SIZE(want), "every expected line was found");

    const struct scn_stmt *s = scn_program_stmt(p, 7); /* flow start f1 ... */
    cr_assert_eq(s->verb, SCN_VERB_FLOW_START);
    cr_expect_eq(scn_stmt_value(s, "rate")->v.u, UINT64_C(2000000000));
    cr_expect_eq(scn_stmt_value(s, "size")->v.u, 1448);
    cr_expect_str_eq(scn_stmt_value(s, "proto")->v.str, "tcp");
    cr_expect_str_eq(s->text, "flow start f1 from=vm1 to=ext1 proto=tcp rate=2Gbps size=1448");
    cr_expect_str_eq(s->source,
                     "0       flow start f1 from=vm1 to=ext1 proto=tcp rate=2Gbps size=1448");
    scn_program_destroy(p);
    scn_diags_destroy(d);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

Test(scn_parser, live_migrate_example_parses)
{
    struct scn_program *p;
    struct scn_diags *d;
    int rc = scn_program_parse_file(SCN_TEST_DATA "/live-migrate.scn", NULL, &p, &d);
    dump_diags(d);
    cr_assert_eq(rc, 0);
    cr_expect_eq(scn_program_count(p), 28);
    cr_expect_eq(scn_program_expect_count(p), 12);
    const struct scn_stmt *last = scn_program_stmt(p, 27);
    cr_expect_eq(last->verb, SCN_VERB_CAPTURE_STOP);
    cr_expect_eq(last->time_ns, SIM_SEC(6));
    /* "+1.5s expect vm1.datapath == vf within=2s" after the 2s block */
    const struct scn_stmt *s = NULL;
    for (size_t i = 0; i < scn_program_count(p); i++)
        if (scn_program_stmt(p, i)->line == 23)
            s = scn_program_stmt(p, i);
    cr_assert_not_null(s);
    cr_expect_eq(s->time_form, SCN_TIME_REL);
    cr_expect_eq(s->time_ns, SIM_MSEC(3500));
    cr_expect_eq(s->window_ns, SIM_SEC(2));
    cr_expect_eq(s->expect->kind, SCN_EXPECT_VM);
    cr_expect_eq(s->expect->field_id, SCN_VM_DATAPATH);
    cr_expect_str_eq(s->expect->value.v.str, "vf");
    const struct scn_stmt *vm = scn_program_stmt(p, 9);
    cr_assert_eq(vm->verb, SCN_VERB_VM);
    const struct scn_value *vf = scn_stmt_value(vm, "vf");
    cr_expect(vf->is_word);
    cr_expect_str_eq(vf->v.str, "auto");
    const struct scn_value *mac = scn_stmt_value(vm, "mac");
    cr_expect_eq(mac->v.mac[2], 0x5d);
    cr_expect_eq(scn_stmt_value(vm, "ip")->v.ipv4.addr, 0x0a000001u);
    scn_program_destroy(p);
    scn_diags_destroy(d);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Times.
 * ------------------------------------------------------------------------------------------- */
Test(scn_parser, every_time_form_resolves)
{
    const char *src = PRE "1.5 expect vm1.datapath == vf\n"           /* bare number = seconds */
                          "+250ms expect vm1.datapath == vf\n"        /* 1.75s */
                          "expect vm1.datapath == vf\n"               /* omitted = +0 */
                          "2s~2.1s expect vm1.datapath == vf\n"       /* range */
                          "+100ms~+300ms expect vm1.datapath == vf\n" /* rel range: 2.1s, 200ms */
                          "3s wait 500ms\n"
                          "+0 expect vm1.datapath == vf\n"           /* 3.5s */
                          "+1us expect vm1.host == h1 within=7ns\n"; /* 3.500001s */
    struct scn_program *p;
    struct scn_diags *d;
    int rc = parse(src, &p, &d);
    dump_diags(d);
    cr_assert_eq(rc, 0);
    static const struct {
        enum scn_time_form form;
        sim_time_t t, window;
    } want[] = {
        {SCN_TIME_ABS, SIM_MSEC(1500), 0},
        {SCN_TIME_REL, SIM_MSEC(1750), 0},
        {SCN_TIME_OMITTED, SIM_MSEC(1750), 0},
        {SCN_TIME_RANGE_ABS, SIM_SEC(2), SIM_MSEC(100)},
        {SCN_TIME_RANGE_REL, SIM_MSEC(2100), SIM_MSEC(200)},
        {SCN_TIME_ABS, SIM_SEC(3), SIM_MSEC(500)},
        {SCN_TIME_REL, SIM_MSEC(3500), 0},
        {SCN_TIME_REL, SIM_MSEC(3500) + 1000, 7},
    };
    cr_assert_eq(scn_program_count(p), PRE_LINES + SIM_ARRAY_SIZE(want));
    for (size_t i = 0; i < SIM_ARRAY_SIZE(want); i++) {
        const struct scn_stmt *s = scn_program_stmt(p, PRE_LINES + i);
        cr_expect_eq(s->time_form, want[i].form, "stmt %zu form", i);
        cr_expect_eq(s->time_ns, want[i].t, "stmt %zu time %lld", i, (long long)s->time_ns);
        cr_expect_eq(s->window_ns, want[i].window, "stmt %zu window", i);
        cr_expect_eq(s->anchor, -1);
    }
    scn_program_destroy(p);
    scn_diags_destroy(d);
}

Test(scn_parser, wait_until_anchors_later_relative_times)
{
    const char *src = PRE "1s wait-until vm1.datapath == vf timeout=2s\n" /* idx 9 */
                          "+100ms expect vm1.vf == h1.pf0.vf0\n"
                          "+50ms mark \"x\"\n"
                          "4s expect vm1.datapath == vf\n" /* >= 1s + 2s + 150ms: re-anchors */
                          "+1s end\n";
    struct scn_program *p;
    struct scn_diags *d;
    int rc = parse(src, &p, &d);
    dump_diags(d);
    cr_assert_eq(rc, 0);
    const struct scn_stmt *w = scn_program_stmt(p, 9);
    cr_expect_eq(w->verb, SCN_VERB_WAIT_UNTIL);
    cr_expect_eq(w->window_ns, SIM_SEC(2));
    cr_expect_eq(w->time_ns, SIM_SEC(1));
    cr_expect_eq(w->anchor, -1);
    const struct scn_stmt *a = scn_program_stmt(p, 10), *b = scn_program_stmt(p, 11);
    cr_expect_eq(a->anchor, 9);
    cr_expect_eq(a->offset_ns, SIM_MSEC(100));
    cr_expect_eq(a->time_ns, SIM_MSEC(3100), "latest possible start");
    cr_expect_eq(b->anchor, 9);
    cr_expect_eq(b->offset_ns, SIM_MSEC(150));
    const struct scn_stmt *c = scn_program_stmt(p, 12), *e = scn_program_stmt(p, 13);
    cr_expect_eq(c->anchor, -1);
    cr_expect_eq(c->time_ns, SIM_SEC(4));
    cr_expect_eq(e->time_ns, SIM_SEC(5));
    cr_expect_eq(e->verb, SCN_VERB_END);
    scn_program_destroy(p);
    scn_diags_destroy(d);
}

/* ---------------------------------------------------------------------------------------------
 * Good lines: every verb form parses after PRE.
 * ------------------------------------------------------------------------------------------- */
Test(scn_parser, every_verb_parses_with_good_arguments)
{
    static const char *const good[] = {
        "sriov h1.pf0 num_vfs=4",
        "sriov h2.pf0 num_vfs=0",
        "vm vm2 on=h2 switch=h2.sw0 vf=h2.pf0.vf3",
        "peer ext2 on=h2.sw0 mac=02:00:00:00:00:09",
        "link h1.sw0 h2.sw0 latency=50us rate=25Gbps",
        "attach-vf vm1",
        "attach-vf vm1 vf=auto",
        "detach-vf vm1 mode=surprise",
        "policy h1.sw0 allocate-vf=deny",
        "policy vm1 mac-change=refuse-silent trusted=no spoof-check=on",
        "fault surprise-remove h1.pf0.vf0",
        "fault surprise-remove h1.pf0",
        "fault flr-timeout h1.pf0.vf1 delay=2s",
        "fault flr-timeout h1.pf0.vf1",
        "fault iommu h1.pf0.vf0 addr=0xfee00000 dir=read count=3",
        "fault link-down h1.pf0",
        "fault link-up h1.pf0",
        "fault oid OID_NIC_SWITCH_CREATE_VPORT status=NDIS_STATUS_RESOURCES count=1",
        "fault oid OID_NIC_SWITCH_ALLOCATE_VF status=NDIS_STATUS_FAILURE on=h1.pf0 after=2",
        "fault mailbox-refuse h1.pf0.vf0 request=mac silent=true",
        "fault clear",
        "fault clear h1.pf0.vf0",
        "flow start f2 from=ext1 to=vm1 proto=tcp rate=1.5Gbps size=1400 count=1000",
        "flow stop f1",
        "migrate vm1 to=h2",
        "migrate vm1 to=h2 precopy=800ms blackout=150ms",
        "servicing h1 duration=30s",
        "capture start",
        "capture start points=vm1.synthetic,vm1.vf,h1.pf0,h1.pf0.vf0,ext1 file=\"a b.pcapng\" "
        "filter=\"tcp port 80\" format=pcap snaplen=128",
        "mark \"before FLR\"",
        "mark bare-word",
        "oid h1.pf0 OID_SRIOV_VF_VENDOR_DEVICE_ID vf=0",
        "oid vm1 OID_GEN_CURRENT_PACKET_FILTER method=set value=0x0b",
        "wait 500ms",
        "wait-until vm1.datapath == synthetic timeout=1s",
        "wait-until flow f1.delivered >= 100",
        "set cost.vf_offer_delay=1s cost.vswitch_per_packet=2us cost.link_rate=40Gbps",
        "seed 0xdeadbeef",
        "end",
        "expect vm1.datapath == vf",
        "expect vm1.datapath != synthetic within=1s",
        "expect vm1.vf == h1.pf0.vf0",
        "expect vm1.vf == none",
        "expect vm1.host == h2",
        "expect vm1.state == running",
        "expect flow f1.lost <= 64",
        "expect flow f1.reordered == 0",
        "expect flow f1.duplicates < 1",
        "expect flow f1.seq contiguous",
        "expect flow f1.alive == true",
        "expect flow f1.gap_max <= 200ms",
        "expect flow f1.gbps >= 1.9",
        "expect flow f1.throughput >= 1900Mbps",
        "expect flow f1.drops.surprise-removal <= 64",
        "expect oid h1.pf0 OID_SRIOV_RESET_VF status == NDIS_STATUS_SUCCESS",
        "expect oid h1.pf0.vf0 OID_GEN_STATISTICS count >= 1",
        "expect oid-sequence h1.pf0 OID_NIC_SWITCH_DELETE_VPORT OID_SRIOV_RESET_VF",
        "expect oid-sequence h1.pf0 OID_NIC_SWITCH_FREE_VF exact=true within=10ms",
        "expect event vm1 vf-removed kind=surprise",
        "expect event vm1 vf-removed",
        "expect event vm1 migration-blackout duration<=200ms",
        "expect event vm1 datapath-switched to=vf duration<5ms within=2s",
        "expect event h1.pf0.vf0 flr result=timeout",
        "expect event h1.pf0 link-down",
        "expect event h1 servicing-started duration>=30s",
        "expect event h1.sw0 policy-denied request=allocate-vf",
        "expect event h1.pf0.vf0 mailbox-refused request=mac silent=true",
        "expect event vm1 oid-failed oid=OID_NIC_SWITCH_ALLOCATE_VF status=NDIS_STATUS_RESOURCES",
        "expect pci h1.pf0 sriov.num_vfs == 4",
        "expect pci h1.pf0.vf1 present == false",
        "expect pci h1.pf0.vf0 assigned == none",
        "expect pci h1.pf0.vf0 assigned == vm1",
        "expect pci h1.pf0 cfg16.0x160 == 0x10",
        "expect pci h1.pf0 sriov.vf_did == 0x10ed",
        "0~+0 expect vm1.datapath == vf" /* not mixed: caught below */,
    };
    for (size_t i = 0; i + 1 < SIM_ARRAY_SIZE(good); i++) {
        char *src = with_pre(good[i]);
        struct scn_program *p;
        struct scn_diags *d;
        int rc = parse(src, &p, &d);
        if (rc != 0)
            dump_diags(d);
        cr_expect_eq(rc, 0, "'%s' parses", good[i]);
        if (rc == 0) {
            cr_expect_eq(scn_program_count(p), PRE_LINES + 1, "'%s': one statement", good[i]);
            cr_expect_eq(scn_program_stmt(p, PRE_LINES)->line, PRE_LINES + 1);
        }
        scn_program_destroy(p);
        scn_diags_destroy(d);
        free(src);
    }
    cr_expect_eq(sim_alloc_live_total(), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Bad lines: each gives an error at an exact column with a precise message.
 * ------------------------------------------------------------------------------------------- */
struct bad_case {
    const char *line;
    uint32_t col;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    /* verbs and sub-commands */
    {"atach-vf vm1", 1, "unknown verb 'atach-vf' (did you mean 'attach-vf'?)"},
    {"500ms   atach-vf vm1", 9, "unknown verb 'atach-vf' (did you mean 'attach-vf'?)"},
    {"frobnicate vm1", 1, "unknown verb 'frobnicate'"},
    {"fault surprise-remvoe h1.pf0.vf0", 7,
     "unknown 'fault' kind 'surprise-remvoe' (did you mean 'surprise-remove'?)"},
    {"fault", 6, "'fault' needs one of: surprise-remove, flr-timeout"},
    {"flow strat f2 from=vm1 to=ext1", 6, "(did you mean 'start'?)"},
    {"capture", 8, "'capture' needs one of: start, stop"},
    {"1s", 3, "a time must be followed by a statement"},
    {"= x", 1, "expected a verb"},
    /* positional arguments */
    {"attach-vf", 10, "missing VM (usage: attach-vf VM [vf=NAME|auto])"},
    {"attach-vf vm1 vm1", 15, "unexpected argument 'vm1'"},
    {"attach-vf vm2", 11, "unknown VM 'vm2' (did you mean 'vm1'?)"},
    {"attach-vf h1", 11, "'h1' is a host (line 1), expected a VM"},
    {"attach-vf vf=auto vm1", 19, "after key=value options"},
    {"mark", 5, "missing TEXT"},
    {"wait fast", 6, "invalid duration 'fast' for DURATION"},
    {"link h1.sw0 h1.sw0", 13, "a link joins two different switches"},
    {"link h1.sw0", 12, "missing SWITCH"},
    /* definitions */
    {"vm vm1 on=h1 switch=h1.sw0", 4, "duplicate definition of 'vm1' (first defined at line 7"},
    {"vm h1 on=h1 switch=h1.sw0", 4,
     "duplicate definition of 'h1' (first defined at line 1 as a host)"},
    {"vm a.b on=h1 switch=h1.sw0", 4, "a VM name is one word without '.'"},
    {"vm flow on=h1 switch=h1.sw0", 4, "'flow' is a reserved word"},
    {"vm 9x on=h1 switch=h1.sw0", 4, "invalid name '9x' for VM"},
    {"vm vm2 on=h1 switch=h2.sw0", 21, "switch h2.sw0 is on host h2, but the VM runs on host h1"},
    {"vm vm2 on=h3 switch=h1.sw0", 11, "unknown host 'h3' (did you mean 'h1'?)"},
    {"vm vm2 switch=h1.sw0", 1, "missing required key 'on='"},
    {"pf h3.pf0", 4, "no host 'h3' for PF 'h3.pf0' (did you mean 'h1'?)"},
    {"pf pf9", 4, "a PF is named HOST.NAME, e.g. h1.pf0"},
    {"pf h1.vf1", 4, "looks like a VF name"},
    {"vswitch h1.sw1 uplink=h2.pf0", 23,
     "uplink h2.pf0 is on host h2, but switch h1.sw1 is on host h1"},
    {"flow start f1 from=vm1 to=ext1", 12, "duplicate definition of 'f1'"},
    {"flow start f2 from=vm1 to=vm1", 27, "a flow needs two different endpoints"},
    {"flow start f2 from=vm1", 1, "missing required key 'to='"},
    /* keys and types */
    {"detach-vf vm1 mod=graceful", 15, "unknown key 'mod' for 'detach-vf' (did you mean 'mode'?)"},
    {"detach-vf vm1 mode=gracefull", 20,
     "invalid value 'gracefull' for key 'mode' (did you mean 'graceful'?)"},
    {"detach-vf vm1 mode=graceful mode=surprise", 29,
     "key 'mode' given twice (first at column 15)"},
    {"detach-vf vm1 mode=", 19, "missing value after 'mode='"},
    {"detach-vf vm1 mode=a,b", 21, "takes one value, not a list"},
    {"flow start f2 from=vm1 to=ext1 rate=fast", 37,
     "invalid rate 'fast' for key 'rate': expected a rate such as 2Gbps"},
    {"flow start f2 from=vm1 to=ext1 rate=2", 37, "units: bps, Kbps, Mbps, Gbps, Tbps"},
    {"flow start f2 from=vm1 to=ext1 rate=\"2Gbps\"", 37, "not a quoted string"},
    {"flow start f2 from=vm1 to=ext1 size=1.5", 37, "invalid size '1.5'"},
    {"flow start f2 from=vm1 to=ext1 size=70000", 37, "out of range (1 to 65535)"},
    {"flow start f2 from=vm1 to=ext1 proto=tpc", 38, "(did you mean 'tcp'?)"},
    {"sriov h1.pf0 num_vfs=9", 22, "num_vfs=9 exceeds total_vfs=8 of h1.pf0"},
    {"sriov h1.pf0 num_vfs=-1", 22, "invalid integer '-1'"},
    {"sriov h1.pf0", 1, "missing required key 'num_vfs='"},
    {"sriov h1.pf0 num_vfs=4 num_vfz=4", 24, "(did you mean 'num_vfs'?)"},
    {"peer ext2 on=h1.sw0 ip=10.0.0.256", 24, "invalid IPv4 address '10.0.0.256'"},
    {"peer ext2 on=h1.sw0 mac=00:15:5d:00:00", 25, "invalid MAC address"},
    {"vm vm2 on=h1 switch=h1.sw0 vf=h1.pf0.vf8", 31, "no VF 'h1.pf0.vf8': h1.pf0 has total_vfs=8"},
    {"vm vm2 on=h1 switch=h1.sw0 vf=h1.pf1.vf0", 31,
     "unknown VF 'h1.pf1.vf0': no PF 'h1.pf1' (did you mean 'h1.pf0'?)"},
    {"attach-vf vm1 vf=h1.pf0.fv0", 18, "(did you mean 'h1.pf0.vf0'?)"},
    {"policy h1.sw0", 1, "'policy' needs at least one key=value"},
    {"policy h1.sw0 allocate-vf=maybe", 27, "expected one of: allow, deny"},
    {"fault iommu h1.pf0.vf0 dir=sideways", 28, "expected one of: read, write"},
    {"fault oid OID_NIC_SWITCH_CREATE_VPORT", 1, "missing required key 'status='"},
    {"fault oid oid_lower status=NDIS_STATUS_FAILURE", 11, "expected an OID name"},
    {"fault oid OID_X status=STATUS_FAIL", 24, "invalid status name 'STATUS_FAIL'"},
    {"fault link-down h1.pf0.vf0", 17, "'h1.pf0.vf0' is a VF, expected a PF"},
    {"capture start points=vm9.vf", 22,
     "unknown capture point 'vm9.vf': no VM 'vm9' (did you mean 'vm1'?)"},
    {"capture stop", 1, "'capture stop' without a running 'capture start'"},
    {"set cost.vf_offer_dealy=1s", 5, "(did you mean 'cost.vf_offer_delay'?)"},
    {"set cost.link_rate=1s", 20, "invalid rate '1s'"},
    {"set", 1, "'set' needs at least one key=value"},
    {"pf h1.pf1 bdf=01:20.0", 15, "PCI device number must be 00-1f"},
    {"pf h1.pf1 bdf=1:0.0", 15, "expected a PCI address"},
    {"pf h1.pf1 total_vfs=0", 21, "out of range (1 to 256)"},
    {"mark \"x\" \"y\"", 10, "unexpected argument"},
    {"host h3 x=1", 9, "unknown key 'x' for 'host'"},
    {"host h3 = 1", 9, "unexpected '=': write key=value without spaces"},
    {"attach-vf vm1 == x", 15, "comparisons belong in 'expect' or 'wait-until'"},
    {"attach-vf vm1 ~", 15, "a time range (2s~2.1s) belongs at the start of the line"},
    {"attach-vf vm1,", 14, "expected a value after ','"},
    /* times */
    {"-1s attach-vf vm1", 1, "negative time '-1s'"},
    {"1.5x attach-vf vm1", 1, "invalid time '1.5x'"},
    {"1.0000000001s attach-vf vm1", 1, "invalid time"},
    {"2s~1s expect vm1.datapath == vf", 4, "time range ends (1s) before it starts (2s)"},
    {"2s~+1s expect vm1.datapath == vf", 4, "not mixed"},
    {"2s~ expect vm1.datapath == vf", 3, "a time range needs an end time"},
    {"2s~2.5s attach-vf vm1", 1, "a time range is only allowed on 'expect'"},
    {"2s~2.5s expect vm1.datapath == vf within=1s", 35, "both a time range and within="},
    {"1s host h3", 1, "'host' sets up the topology and must run at t=0"},
    {"seed 1\nseed 2", 1, "'seed' given twice (first at line 10)"},
    {"end\nmark \"x\"", 1, "statement after 'end' (line 10)"},
    {"flow stop f1\nflow stop f1", 11, "flow f1 was already stopped at line 10"},
    {"capture start\ncapture start", 1, "capture already started at line 10"},
    {"2s mark \"a\"\n1s mark \"b\"", 1,
     "time 1s is earlier than the previous statement's time 2s (line 10)"},
    {"1s wait-until vm1.datapath == vf timeout=2s\n+150ms mark \"a\"\n3s mark \"b\"", 1,
     "time 3s may come before the wait-until at line 10 ends (it can last until 3150ms)"},
    {"1s wait-until vm1.datapath == vf timeout=2s\n2s mark \"b\"", 1,
     "time 2s may come before the wait-until at line 10 ends (it can last until 3s)"},
    /* conditions */
    {"expect", 7, "'expect' needs a condition"},
    {"expect vm1.datapth == vf", 8, "unknown VM field 'datapth' (did you mean 'datapath'?)"},
    {"expect vm1.datapath = vf", 21, "use '==' to compare"},
    {"expect vm1.datapath < vf", 21, "'<' does not apply to datapath (use == or !=)"},
    {"expect vm1.datapath == fv", 24, "invalid value 'fv' for datapath (did you mean 'vf'?)"},
    {"expect vm1.datapath", 20, "missing comparison after 'datapath'"},
    {"expect vm1.datapath ==", 23, "missing value after '=='"},
    {"expect vm1.datapath == vf,synthetic", 26, "a comparison takes one value, not a list"},
    {"expect vm1.datapath == vf extra", 27, "unexpected 'extra' after the condition"},
    {"expect vm1.datapath == vf whitin=1s", 27,
     "unknown key 'whitin' for 'expect' (did you mean 'within'?)"},
    {"expect vm2.datapath == vf", 8, "unknown VM 'vm2' (did you mean 'vm1'?)"},
    {"expect vm1.vf == h1.pf0.vf9", 18, "no VF 'h1.pf0.vf9'"},
    {"expect vm1.host == h9", 20, "unknown host 'h9'"},
    {"expect flwo f1.lost <= 64", 8, "unknown condition 'flwo' (did you mean 'flow'?)"},
    {"expect f1.lost <= 64", 8, "'f1' is a flow: write 'expect flow f1.lost'"},
    {"expect h1.pf0.present == true", 8,
     "'h1.pf0' is a PCI function: write 'expect pci h1.pf0 present ...'"},
    {"expect flow f2.lost <= 64", 13, "unknown flow 'f2' (did you mean 'f1'?)"},
    {"expect flow f1.lots <= 64", 13, "unknown flow field 'lots' (did you mean 'lost'?)"},
    {"expect flow f1", 13, "expected FLOW.FIELD"},
    {"expect flow", 12, "'expect flow' needs FLOW.FIELD"},
    {"expect flow f1.lost <= lots", 24, "invalid integer 'lots'"},
    {"expect flow f1.seq == 1", 20, "'seq' is checked with 'contiguous'"},
    {"expect flow f1.seq", 19, "missing 'contiguous'"},
    {"expect flow f1.lost contiguous", 21, "'contiguous' applies only to flow F.seq"},
    {"expect flow f1.drops.ring-ful == 0", 13,
     "unknown drop cause 'ring-ful' (did you mean 'ring-full'?)"},
    {"expect flow f1.alive >= true", 22, "'>=' does not apply to alive"},
    {"expect flow f1.gbps >= fast", 24, "invalid number 'fast'"},
    {"expect oid h1.pf0 OID_SRIOV_RESET_VF status == SUCCESS", 48, "invalid status name 'SUCCESS'"},
    {"expect oid h1.pf0 OID_SRIOV_RESET_VF stauts == NDIS_STATUS_SUCCESS", 38,
     "(did you mean 'status'?)"},
    {"expect oid h1.pf0 OID_SRIOV_RESET_VF", 37, "missing field after the OID"},
    {"expect oid h1.pf0", 18, "missing OID name"},
    {"expect oid h1 OID_X status == NDIS_STATUS_SUCCESS", 12,
     "'h1' is a host (line 1), expected a PF, VF or VM"},
    {"expect oid-sequence h1.pf0", 27, "needs at least one OID name"},
    {"expect oid-sequence h1.pf0 OID_A bad OID_B", 34, "expected an OID name"},
    {"expect oid-sequence h1.pf0 OID_A exact=maybe", 40, "expected true or false"},
    {"expect event vm1 vf-remvd kind=surprise", 18,
     "unknown event 'vf-remvd' (did you mean 'vf-removed'?)"},
    {"expect event vm1 vf-removed kind=surprize", 34, "(did you mean 'surprise'?)"},
    {"expect event vm1 vf-removed knd=surprise", 29,
     "event 'vf-removed' has no field 'knd' (did you mean 'kind'?)"},
    {"expect event vm1 vf-removed kind<surprise", 33, "'<' does not apply to kind"},
    {"expect event vm1 vf-removed kind", 29, "expected a filter"},
    {"expect event vm1 link-down", 14, "event 'link-down' happens on a PF, but 'vm1' is a VM"},
    {"expect event vm1", 17, "missing event name"},
    {"expect pci h1.pf0 sriov.num_vf == 4", 19, "(did you mean 'sriov.num_vfs'?)"},
    {"expect pci h1.pf0.vf0 sriov.num_vfs == 4", 23, "'sriov.num_vfs' is only readable on a PF"},
    {"expect pci h1.pf0 assigned == none", 19, "'assigned' is only readable on a VF"},
    {"expect pci h1.pf0 cfg32.0x161 == 0", 19, "a multiple of 4 below 0x1000"},
    {"expect pci h1.pf0 cfg64.0x160 == 0", 19, "use cfg8, cfg16 or cfg32"},
    {"expect pci h1.pf0 present == maybe", 30, "invalid value 'maybe' for present"},
    {"expect pci vm1 present == true", 12, "'vm1' is a VM (line 7), expected a PF or VF"},
    {"expect pci h1.pf0.vf0 assigned == vm9", 35, "unknown VM 'vm9'"},
    {"wait-until vm1.datapath == vf within=1s", 31, "unknown key 'within' for 'wait-until'"},
    {"wait-until vm1.datapath == vf timeout=soon", 39, "invalid duration 'soon'"},
    /* what the simulator does not support (scn__limits) and what run would refuse */
    {"pf h1.pf9 total_vfs=65", 11,
     "total_vfs=65 is not supported by the simulator (1 to 64): the simulated NIC"},
    {"pf h1.pf9 vf_offset=0x40", 11,
     "vf_offset=0x40 is not supported by the simulator (0x80 only)"},
    {"pf h1.pf9 vf_stride=4", 11, "vf_stride=4 is not supported by the simulator (0x2 only)"},
    {"pf h1.pf9 bdf=0001:05:00.0", 11, "(domain 0000 only)"},
    {"flow start f9 from=vm1 to=ext1 size=47", 32,
     "size=47 is not supported by the simulator (48 to 1472 with proto=udp)"},
    {"flow start f9 from=vm1 to=ext1 proto=tcp size=1461", 42,
     "size=1461 is not supported by the simulator (48 to 1460 with proto=tcp)"},
    {"attach-vf vm1 vf=h1.pf0.vf1", 18,
     "h1.pf0.vf1 is not enabled (sriov h1.pf0 num_vfs=0, no 'sriov' yet): run refuses this "
     "attach"},
    {"sriov h1.pf0 num_vfs=2\nattach-vf vm1 vf=h1.pf0.vf2", 18,
     "h1.pf0.vf2 is not enabled (sriov h1.pf0 num_vfs=2 at line 10)"},
    {"attach-vf vm1\nexpect refused within=1s", 16, "'expect refused' takes no window"},
    {"attach-vf vm1\nwait-until refused", 12, "'wait-until refused' cannot wait"},
};

Test(scn_parser, bad_lines_report_exact_position_and_message)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        char *src = with_pre(c->line);
        struct scn_program *p = (struct scn_program *)1;
        struct scn_diags *d;
        int rc = parse(src, &p, &d);
        cr_expect_eq(rc, SIM_EPARSE, "'%s' must fail", c->line);
        cr_expect_null(p, "no program on error");
        bool found = false;
        char buf[1024];
        for (size_t k = 0; k < scn_diags_count(d) && !found; k++) {
            const struct scn_diag *g = scn_diags_get(d, k);
            found = g->col == c->col && strstr(g->message, c->msg) != NULL &&
                    g->line >= PRE_LINES + 1 && strcmp(g->file, "t.scn") == 0;
        }
        if (!found) {
            cr_log_error("case %zu '%s': want col %u '%s'; got:", i, c->line, c->col, c->msg);
            dump_diags(d);
        }
        cr_expect(found, "case %zu: %s", i, c->line);
        for (size_t k = 0; k < scn_diags_count(d); k++) {
            const struct scn_diag *g = scn_diags_get(d, k);
            cr_expect_eq(g->severity, SCN_SEV_ERROR);
            cr_expect_gt(g->line, PRE_LINES, "case %zu: the topology itself is fine: %s", i,
                         scn_diag_format(g, buf, sizeof buf));
        }
        scn_diags_destroy(d);
        free(src);
    }
    cr_expect_eq(sim_alloc_live_total(), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Structure of what was parsed.
 * ------------------------------------------------------------------------------------------- */
static struct scn_program *
parse_ok(const char *line)
{
    char *src = with_pre(line);
    struct scn_program *p;
    struct scn_diags *d;
    int rc = parse(src, &p, &d);
    if (rc != 0)
        dump_diags(d);
    cr_assert_eq(rc, 0, "'%s'", line);
    scn_diags_destroy(d);
    free(src);
    return p;
}

Test(scn_parser, expect_forms_are_structured)
{
    struct scn_program *p = parse_ok("expect flow f1.drops.surprise-removal <= 64 within=10ms");
    const struct scn_stmt *s = scn_program_stmt(p, PRE_LINES);
    const struct scn_expect *e = s->expect;
    cr_assert_not_null(e);
    cr_expect_eq(e->kind, SCN_EXPECT_FLOW);
    cr_expect_str_eq(e->subject, "f1");
    cr_expect_eq(e->subject_kind, SCN_OBJ_FLOW);
    cr_expect_eq(e->field_id, SCN_FLOW_DROPS);
    cr_expect_eq(e->field_param, SIM_DROP_SURPRISE_REMOVAL);
    cr_expect_eq(e->op, SCN_OP_LE);
    cr_expect_eq(e->value.type, SCN_T_INT);
    cr_expect_eq(e->value.v.u, 64);
    cr_expect_eq(s->window_ns, SIM_MSEC(10));
    scn_program_destroy(p);

    p = parse_ok("expect oid-sequence h1.pf0 OID_A OID_B OID_C exact=yes");
    e = scn_program_stmt(p, PRE_LINES)->expect;
    cr_expect_eq(e->kind, SCN_EXPECT_OID_SEQUENCE);
    cr_assert_eq(e->n_oids, 3);
    cr_expect_str_eq(e->oids[2], "OID_C");
    cr_expect(e->exact);
    cr_expect_eq(e->subject_kind, SCN_OBJ_PF);
    scn_program_destroy(p);

    p = parse_ok("expect event vm1 migration-blackout duration<=200ms");
    e = scn_program_stmt(p, PRE_LINES)->expect;
    cr_expect_eq(e->kind, SCN_EXPECT_EVENT);
    cr_expect_eq(e->field_id, SCN_EVENT_MIGRATION_BLACKOUT);
    cr_assert_eq(e->n_conds, 1);
    cr_expect_str_eq(e->conds[0].field, "duration");
    cr_expect_eq(e->conds[0].op, SCN_OP_LE);
    cr_expect_eq(e->conds[0].value.v.ns, SIM_MSEC(200));
    scn_program_destroy(p);

    p = parse_ok("expect pci h1.pf0 cfg32.0x160 == 0x10010");
    e = scn_program_stmt(p, PRE_LINES)->expect;
    cr_expect_eq(e->field_id, SCN_PCI_CFG);
    cr_expect_eq(e->field_param, 0x160);
    cr_expect_eq(e->field_width, 4);
    cr_expect_eq(e->value.v.u, 0x10010);
    scn_program_destroy(p);

    p = parse_ok("expect oid h1.pf0.vf2 OID_SRIOV_RESET_VF status != NDIS_STATUS_PENDING");
    e = scn_program_stmt(p, PRE_LINES)->expect;
    cr_expect_eq(e->kind, SCN_EXPECT_OID);
    cr_expect_eq(e->subject_kind, SCN_OBJ_VF);
    cr_expect_str_eq(e->oid, "OID_SRIOV_RESET_VF");
    cr_expect_eq(e->field_id, SCN_OIDF_STATUS);
    cr_expect_eq(e->op, SCN_OP_NE);
    cr_expect_str_eq(e->value.v.str, "NDIS_STATUS_PENDING");
    scn_program_destroy(p);

    p = parse_ok("expect flow f1.throughput >= 1.9Gbps");
    e = scn_program_stmt(p, PRE_LINES)->expect;
    cr_expect_eq(e->value.v.u, UINT64_C(1900000000));
    scn_program_destroy(p);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

Test(scn_parser, defaults_are_filled_and_marked)
{
    struct scn_program *p = parse_ok("flow start f2 from=vm1 to=ext1");
    const struct scn_stmt *s = scn_program_stmt(p, PRE_LINES);
    const struct scn_arg *a = scn_stmt_arg(s, "proto");
    cr_assert_not_null(a);
    cr_expect(a->is_default);
    cr_expect_str_eq(a->value.v.str, "udp");
    cr_expect_eq(scn_stmt_value(s, "rate")->v.u, UINT64_C(1000000000));
    cr_expect_eq(scn_stmt_value(s, "size")->v.u, 1448);
    cr_expect_null(scn_stmt_arg(s, "count"), "no default: absent");
    cr_expect_not(scn_stmt_arg(s, "from")->is_default);
    char buf[256];
    cr_expect_str_eq(scn_stmt_format(s, buf, sizeof buf),
                     "0.000000000s flow start f2 from=vm1 to=ext1", "defaults are not printed");
    scn_program_destroy(p);

    p = parse_ok("pf h1.pf1");
    s = scn_program_stmt(p, PRE_LINES);
    cr_expect_eq(scn_stmt_value(s, "total_vfs")->v.u, 8);
    cr_expect_eq(scn_stmt_value(s, "vf_offset")->v.u, 0x80);
    cr_expect_eq(scn_stmt_value(s, "vf_did")->v.u, 0x10ed);
    cr_expect_eq(scn_stmt_value(s, "rate")->v.u, UINT64_C(10000000000));
    scn_program_destroy(p);
}

Test(scn_parser, capture_points_are_a_list)
{
    struct scn_program *p =
        parse_ok("capture start points=vm1.synthetic,vm1.vf,h1.pf0 file=out.pcapng");
    const struct scn_value *v = scn_stmt_value(scn_program_stmt(p, PRE_LINES), "points");
    cr_assert_eq(v->n_items, 3);
    cr_expect_str_eq(v->items[0].v.str, "vm1.synthetic");
    cr_expect_str_eq(v->items[2].v.str, "h1.pf0");
    cr_expect_eq(v->items[1].col, PRE_LINES > 0 ? 36 : 0);
    cr_expect_str_eq(scn_stmt_value(scn_program_stmt(p, PRE_LINES), "file")->v.str, "out.pcapng");
    scn_program_destroy(p);
}

Test(scn_parser, raw_oid_keeps_open_keys)
{
    struct scn_program *p = parse_ok("oid h1.pf0 OID_SRIOV_PF_LUID vf=3 foo=bar,baz note=\"x y\"");
    const struct scn_stmt *s = scn_program_stmt(p, PRE_LINES);
    cr_expect_str_eq(s->pos[1].v.str, "OID_SRIOV_PF_LUID");
    cr_expect_eq(scn_stmt_value(s, "vf")->v.u, 3);
    cr_expect_eq(scn_stmt_value(s, "foo")->type, SCN_T_WORD);
    cr_expect_eq(scn_stmt_value(s, "foo")->n_items, 2);
    cr_expect_str_eq(scn_stmt_value(s, "note")->v.str, "x y");
    scn_program_destroy(p);
}

Test(scn_parser, seed_is_exposed)
{
    struct scn_program *p = parse_ok("seed 0x10");
    uint64_t seed = 0;
    cr_expect(scn_program_seed(p, &seed));
    cr_expect_eq(seed, 16);
    scn_program_destroy(p);
    p = parse_ok("end");
    cr_expect_not(scn_program_seed(p, &seed));
    scn_program_destroy(p);
}

/* ---------------------------------------------------------------------------------------------
 * Diagnostics plumbing.
 * ------------------------------------------------------------------------------------------- */
Test(scn_parser, diag_print_is_gcc_style_with_caret)
{
    const char *src = "host h1\n\t500ms   atach-vf vm1\n";
    struct scn_program *p;
    struct scn_diags *d;
    cr_assert_eq(scn_program_parse_string("failover.scn", src, strlen(src), NULL, &p, &d),
                 SIM_EPARSE);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_expect_eq(scn_diag_print(f, d, true), 1);
    fclose(f);
    cr_expect_str_eq(out, "failover.scn:2:10: error: unknown verb 'atach-vf' (did you mean "
                          "'attach-vf'?)\n"
                          " 2 | \t500ms   atach-vf vm1\n"
                          "   | \t        ^~~~~~~~\n");
    free(out);
    f = open_memstream(&out, &len);
    scn_diag_print(f, d, false);
    fclose(f);
    cr_expect_eq(strchr(out, '\n'), out + len - 1, "one line without the source");
    free(out);
    scn_diags_destroy(d);
}

Test(scn_parser, collects_errors_up_to_the_limit)
{
    char src[4096] = "";
    for (int i = 0; i < 30; i++)
        strcat(src, "atach-vf vm1\n");
    struct scn_program *p;
    struct scn_diags *d;
    cr_assert_eq(parse(src, &p, &d), SIM_EPARSE);
    cr_expect_eq(scn_diags_error_count(d), 20, "default limit 20");
    cr_expect(scn_diags_truncated(d));
    cr_expect_eq(scn_diags_get(d, 19)->line, 20, "one per line, in order");
    scn_diags_destroy(d);

    struct scn_parse_opts o = {.max_errors = 3};
    cr_assert_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), SIM_EPARSE);
    cr_expect_eq(scn_diags_count(d), 3);
    scn_diags_destroy(d);

    const char *two = "atach-vf vm1\nhost h1\nvm vm1 on=h2 switch=x.y\n";
    cr_assert_eq(parse(two, &p, &d), SIM_EPARSE);
    cr_expect_eq(scn_diags_count(d), 3, "errors on several lines and several per line");
    cr_expect_not(scn_diags_truncated(d));
    scn_diags_destroy(d);
}

static bool
known(void *ctx, enum scn_ident kind, const char *name)
{
    (*(int *)ctx)++;
    if (kind == SCN_IDENT_OID)
        return strcmp(name, "OID_SRIOV_RESET_VF") == 0;
    return strcmp(name, "NDIS_STATUS_SUCCESS") == 0;
}

static const char *
suggest(void *ctx, enum scn_ident kind, const char *name)
{
    static const char *const oids[] = {"OID_SRIOV_RESET_VF"};
    static const char *const st[] = {"NDIS_STATUS_SUCCESS"};
    return scn_suggest(name, kind == SCN_IDENT_OID ? oids : st, 1);
}

Test(scn_parser, ident_hook_validates_oid_and_status_names)
{
    int calls = 0;
    struct scn_parse_opts o = {.is_known = known, .suggest = suggest, .ctx = &calls};
    char *src = with_pre("expect oid h1.pf0 OID_SRIOV_RESET_VF status == NDIS_STATUS_SUCCESS");
    struct scn_program *p;
    struct scn_diags *d;
    cr_expect_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), 0);
    cr_expect_eq(calls, 2);
    scn_program_destroy(p);
    scn_diags_destroy(d);
    free(src);

    src = with_pre("expect oid h1.pf0 OID_SRIOV_RESET_FV status == NDIS_STATUS_SUCESS");
    cr_expect_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), SIM_EPARSE);
    cr_assert_eq(scn_diags_count(d), 1, "the OID error stops the condition");
    cr_expect_str_eq(scn_diags_get(d, 0)->message,
                     "unknown OID 'OID_SRIOV_RESET_FV' (did you mean 'OID_SRIOV_RESET_VF'?)");
    scn_diags_destroy(d);
    free(src);

    src = with_pre("fault oid OID_SRIOV_RESET_VF status=NDIS_STATUS_SUCESS");
    cr_expect_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), SIM_EPARSE);
    cr_expect_str_eq(scn_diags_get(d, 0)->message,
                     "unknown status 'NDIS_STATUS_SUCESS' (did you mean 'NDIS_STATUS_SUCCESS'?)");
    scn_diags_destroy(d);
    free(src);
}

static bool
filter_hook(void *ctx, const char *filter, char *why, size_t len)
{
    (*(int *)ctx)++;
    if (strcmp(filter, "udp") == 0)
        return true;
    snprintf(why, len, "syntax error");
    return false;
}

Test(scn_parser, filter_hook_rejects_a_bad_bpf_filter_at_its_key)
{
    int calls = 0;
    struct scn_parse_opts o = {.check_filter = filter_hook, .ctx = &calls};
    char *src = with_pre("capture start file=x.pcapng filter=udp");
    struct scn_program *p;
    struct scn_diags *d;
    cr_expect_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), 0);
    cr_expect_eq(calls, 1);
    scn_program_destroy(p);
    scn_diags_destroy(d);
    free(src);
    src = with_pre("capture start file=x.pcapng filter=\"udp portt 1\"");
    cr_expect_eq(scn_program_parse_string("t", src, strlen(src), &o, &p, &d), SIM_EPARSE);
    cr_assert_eq(scn_diags_count(d), 1);
    cr_expect_eq(scn_diags_get(d, 0)->col, 29);
    cr_expect_str_eq(scn_diags_get(d, 0)->message,
                     "invalid BPF filter \"udp portt 1\": syntax error");
    scn_diags_destroy(d);
    free(src);
}

Test(scn_parser, expect_refused_names_the_previous_action)
{
    struct scn_program *p =
        parse_ok("attach-vf vm1 vf=h1.pf0.vf3\n+0 expect vm1.datapath == synthetic\n"
                 "+0 expect refused \"not enabled\"");
    const struct scn_stmt *s = scn_program_stmt(p, scn_program_count(p) - 1);
    cr_assert_eq(s->expect->kind, SCN_EXPECT_REFUSED);
    cr_expect_eq(s->expect->field_param, (int64_t)scn_program_count(p) - 3);
    cr_expect_str_eq(s->expect->value.text, "not enabled");
    char buf[256];
    cr_expect_str_eq(scn_expect_format(s, buf, sizeof buf), "refused \"not enabled\"");
    scn_program_destroy(p);

    const char *alone = "seed 1\nexpect refused\n";
    struct scn_diags *d;
    cr_expect_eq(parse(alone, &p, &d), SIM_EPARSE);
    cr_assert_eq(scn_diags_count(d), 1);
    cr_expect(strstr(scn_diags_get(d, 0)->message, "'expect refused' needs an action before it") !=
              NULL);
    scn_diags_destroy(d);
}

Test(scn_parser, files_missing_directory_and_real)
{
    struct scn_program *p;
    struct scn_diags *d;
    cr_expect_eq(scn_program_parse_file("/nonexistent/x.scn", NULL, &p, &d), SIM_ENOENT);
    cr_expect_null(p);
    cr_assert_eq(scn_diags_count(d), 1);
    cr_expect(strstr(scn_diags_get(d, 0)->message, "cannot open") != NULL);
    scn_diags_destroy(d);
    cr_expect_eq(scn_program_parse_file("/", NULL, &p, &d), SIM_EIO, "a directory");
    scn_diags_destroy(d);

    char path[] = "/tmp/scn_test_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "host h1\n1s end";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_expect_eq(scn_program_parse_file(path, NULL, &p, NULL), 0);
    cr_expect_eq(scn_program_count(p), 2);
    cr_expect_eq(scn_program_stmt(p, 1)->time_ns, SIM_SEC(1));
    scn_program_destroy(p);
    unlink(path);
    cr_expect_eq(scn_program_parse_string(NULL, "", 0, NULL, &p, NULL), SIM_EINVAL);
    cr_expect_eq(scn_program_parse_string("x", "", 0, NULL, &p, NULL), 0, "empty is valid");
    cr_expect_eq(scn_program_count(p), 0);
    scn_program_destroy(p);
    cr_expect_eq(sim_alloc_live_total(), 0);
}

/* ---------------------------------------------------------------------------------------------
 * Canonical formatting: parse(format(x)) == x.
 * ------------------------------------------------------------------------------------------- */
static char *
canonical(const struct scn_program *p)
{
    size_t cap = 1 << 16, o = 0;
    char *out = calloc(1, cap);
    char line[1024];
    for (size_t i = 0; i < scn_program_count(p); i++)
        o += (size_t)snprintf(out + o, cap - o, "%s\n",
                              scn_stmt_format(scn_program_stmt(p, i), line, sizeof line));
    return out;
}

Test(scn_parser, canonical_format_round_trips)
{
    static const char *const files[] = {SCN_TEST_DATA "/failover.scn",
                                        SCN_TEST_DATA "/live-migrate.scn"};
    for (size_t f = 0; f < SIM_ARRAY_SIZE(files); f++) {
        struct scn_program *p, *q;
        cr_assert_eq(scn_program_parse_file(files[f], NULL, &p, NULL), 0);
        char *a = canonical(p);
        struct scn_diags *d;
        int rc = scn_program_parse_string("canon", a, strlen(a), NULL, &q, &d);
        if (rc != 0)
            dump_diags(d);
        cr_assert_eq(rc, 0, "canonical text parses:\n%s", a);
        char *b = canonical(q);
        cr_expect_str_eq(a, b);
        cr_expect_eq(scn_program_count(p), scn_program_count(q));
        free(a);
        free(b);
        scn_program_destroy(p);
        scn_program_destroy(q);
        scn_diags_destroy(d);
    }
    struct scn_program *p = parse_ok("expect event vm1 vf-removed kind=surprise vf=h1.pf0.vf0");
    char buf[256];
    cr_expect_str_eq(scn_expect_format(scn_program_stmt(p, PRE_LINES), buf, sizeof buf),
                     "event vm1 vf-removed kind=surprise vf=h1.pf0.vf0");
    scn_program_destroy(p);
}

/* ---------------------------------------------------------------------------------------------
 * Values, suggestions and the schema table.
 * ------------------------------------------------------------------------------------------- */
Test(scn_value, conversions_are_exact)
{
    struct scn_value v;
    char why[256], buf[64];
    cr_assert_eq(scn__value_convert(SCN_T_RATE, "1.5Gbps", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.u, UINT64_C(1500000000));
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "1500Mbps");
    cr_expect_eq(scn__value_convert(SCN_T_RATE, "0.5bps", NULL, &v, why, sizeof why), SIM_EINVAL);
    cr_expect_eq(scn__value_convert(SCN_T_RATE, "99999999999Tbps", NULL, &v, why, sizeof why),
                 SIM_ERANGE);
    cr_assert_eq(scn__value_convert(SCN_T_SIZE, "9KiB", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.u, 9216);
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "9KiB");
    cr_assert_eq(scn__value_convert(SCN_T_SIZE, "1MB", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.u, 1000000);
    cr_assert_eq(scn__value_convert(SCN_T_DURATION, "1500ms", NULL, &v, why, sizeof why), 0);
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "1500ms");
    cr_assert_eq(scn__value_convert(SCN_T_DURATION, "2", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.ns, SIM_SEC(2), "bare number is seconds");
    cr_assert_eq(scn__value_convert(SCN_T_BDF, "0001:3a:1f.7", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.bdf.domain, 1);
    cr_expect_eq(v.v.bdf.bus, 0x3a);
    cr_expect_eq(v.v.bdf.dev, 0x1f);
    cr_expect_eq(v.v.bdf.fn, 7);
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "0001:3a:1f.7");
    cr_expect_eq(scn__value_convert(SCN_T_BDF, "01:00.8", NULL, &v, why, sizeof why), SIM_ERANGE);
    cr_assert_eq(scn__value_convert(SCN_T_IPV4, "192.168.1.2/24", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.ipv4.addr, 0xc0a80102u);
    cr_expect_eq(v.v.ipv4.prefix_len, 24);
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "192.168.1.2/24");
    cr_expect_eq(scn__value_convert(SCN_T_IPV4, "1.2.3", NULL, &v, why, sizeof why), SIM_EINVAL);
    cr_expect_eq(scn__value_convert(SCN_T_IPV4, "1.2.3.4/33", NULL, &v, why, sizeof why),
                 SIM_EINVAL);
    cr_assert_eq(scn__value_convert(SCN_T_HEX, "0xFFFFFFFFFFFFFFFF", NULL, &v, why, sizeof why), 0);
    cr_expect_eq(v.v.u, UINT64_MAX);
    cr_expect_eq(scn__value_convert(SCN_T_INT, "18446744073709551616", NULL, &v, why, sizeof why),
                 SIM_ERANGE);
    cr_expect_eq(scn__value_convert(SCN_T_INT, "0x", NULL, &v, why, sizeof why), SIM_EINVAL);
    cr_assert_eq(scn__value_convert(SCN_T_FLOAT, "1.90", NULL, &v, why, sizeof why), 0);
    cr_expect_float_eq(v.v.f, 1.9, 1e-12);
    cr_expect_eq(scn__value_convert(SCN_T_FLOAT, "1.", NULL, &v, why, sizeof why), SIM_EINVAL);
    cr_assert_eq(scn__value_convert(SCN_T_BOOL, "off", NULL, &v, why, sizeof why), 0);
    cr_expect_not(v.v.b);
    cr_assert_eq(scn__value_convert(SCN_T_STRING, "a\"b", NULL, &v, why, sizeof why), 0);
    cr_expect_str_eq(scn_value_format(&v, buf, sizeof buf), "\"a\\\"b\"");
    cr_expect_eq(scn__value_convert(SCN_T_NAME, "a..b", NULL, &v, why, sizeof why), SIM_EINVAL);
    cr_expect_eq(scn__value_convert(SCN_T_OID, "OID_", NULL, &v, why, sizeof why), SIM_EINVAL);
}

Test(scn_suggest, distance_and_best_match)
{
    cr_expect_eq(scn_edit_distance("attach-vf", "atach-vf"), 1);
    cr_expect_eq(scn_edit_distance("surprise", "surpirse"), 1, "transposition counts once");
    cr_expect_eq(scn_edit_distance("kitten", "sitting"), 3);
    cr_expect_eq(scn_edit_distance("", "abc"), 3);
    cr_expect_eq(scn_edit_distance("VM1", "vm1"), 0, "case-insensitive");
    static const char *const c[] = {"attach-vf", "detach-vf", "vm"};
    cr_expect_str_eq(scn_suggest("atach-vf", c, 3), "attach-vf");
    cr_expect_str_eq(scn_suggest("detach-fv", c, 3), "detach-vf");
    cr_expect_null(scn_suggest("frobnicate", c, 3), "too far");
    cr_expect_null(scn_suggest("x", c, 3), "a one-letter word is nobody's typo");
    cr_expect_null(scn_suggest("", c, 3));
}

Test(scn_schema, table_is_consistent)
{
    char why[256];
    for (int v = 0; v < SCN_VERB_COUNT; v++) {
        const struct scn_verb_spec *s = scn__verb_spec((enum scn_verb)v);
        cr_assert_not_null(s);
        cr_expect_eq(s->verb, (enum scn_verb)v, "row %d is in enum order", v);
        cr_expect_not_null(s->help);
        cr_expect_eq(scn__verb_find(scn_verb_name(s->verb), scn_verb_sub(s->verb)), s,
                     "%s %s is found", scn_verb_name(s->verb),
                     scn_verb_sub(s->verb) ? scn_verb_sub(s->verb) : "");
        for (size_t k = 0; k < s->n_keys; k++) {
            const struct scn_param *p = &s->keys[k];
            for (size_t j = 0; j < k; j++)
                cr_expect_str_neq(p->name, s->keys[j].name, "no duplicate keys");
            if (p->def == NULL)
                continue;
            struct scn_value val;
            cr_expect_eq(scn__value_convert(p->type, p->def, p->words, &val, why, sizeof why), 0,
                         "default of %s.%s converts", scn_verb_name(s->verb), p->name);
            cr_expect_not(p->flags & SCN_P_REQUIRED, "a required key has no default");
        }
    }
    size_t n;
    const char *const *names = scn__verb_names(&n);
    for (size_t i = 0; i < n; i++)
        cr_expect_not_null(scn__verb_find(names[i], NULL), "%s", names[i]);
    for (size_t i = 0; i < SCN_EVENT_COUNT; i++) {
        const struct scn_event_spec *e = scn__event_spec(i);
        cr_expect_eq(e->id, (enum scn_event)i);
        cr_expect_neq(e->kinds, 0);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Out of memory: fail the Nth allocation for every N until a parse succeeds; each failure
 * returns SIM_ENOMEM and leaks nothing.
 * ------------------------------------------------------------------------------------------- */
static void
oom_sweep(const char *src, int want_rc)
{
    long n = 0;
    for (;; n++) {
        struct scn_program *p = (struct scn_program *)1;
        struct scn_diags *d = (struct scn_diags *)1;
        sim_alloc_fail_nth(n);
        int rc = scn_program_parse_string("oom.scn", src, strlen(src), NULL, &p, &d);
        sim_alloc_fail_nth(-1);
        if (rc == SIM_ENOMEM) {
            cr_expect_null(p);
            cr_expect_null(d);
            cr_assert_eq(sim_alloc_live_total(), 0, "n=%ld leaks", n);
            continue;
        }
        cr_assert_eq(rc, want_rc, "n=%ld", n);
        if (want_rc == 0)
            cr_expect_eq(scn_program_count(p), 28);
        else
            cr_expect_gt(scn_diags_count(d), 0);
        scn_program_destroy(p);
        scn_diags_destroy(d);
        cr_assert_eq(sim_alloc_live_total(), 0);
        break;
    }
    cr_expect_gt(n, 3, "the sweep exercised several allocation points (%ld)", n);
}

Test(scn_parser, out_of_memory_sweep_on_a_good_script)
{
    size_t len;
    char *src = slurp(SCN_TEST_DATA "/failover.scn", &len);
    oom_sweep(src, 0);
    free(src);
}

Test(scn_parser, out_of_memory_sweep_on_a_bad_script)
{
    char *src = with_pre("atach-vf vm1\nexpect flow f9.lots <= 1\nvm vm1 on=h9 switch=h1.sw0\n"
                         "flow start f2 from=vm1 to=ext1 rate=fast");
    oom_sweep(src, SIM_EPARSE);
    free(src);
}

/* ---------------------------------------------------------------------------------------------
 * The reference page documents the whole schema, and its examples parse.
 * ------------------------------------------------------------------------------------------- */
Test(scn_docs, every_verb_key_field_and_event_is_documented)
{
    size_t len;
    char *doc = slurp(SCN_TEST_DOCS, &len);
    char pat[128];
    for (int v = 0; v < SCN_VERB_COUNT; v++) {
        const struct scn_verb_spec *s = scn__verb_spec((enum scn_verb)v);
        if (scn_verb_sub(s->verb))
            snprintf(pat, sizeof pat, "`%s %s", scn_verb_name(s->verb), scn_verb_sub(s->verb));
        else
            snprintf(pat, sizeof pat, "`%s", scn_verb_name(s->verb));
        cr_expect(strstr(doc, pat) != NULL, "docs mention %s", pat);
        for (size_t k = 0; k < s->n_keys; k++) {
            snprintf(pat, sizeof pat, "`%s=", s->keys[k].name);
            cr_expect(strstr(doc, pat) != NULL, "docs document key %s of %s", pat,
                      scn_verb_name(s->verb));
        }
    }
    const struct scn_field_spec *(*tables[])(size_t *) = {
        scn__vm_fields, scn__flow_fields, scn__oid_fields, scn__pci_fields, scn__switch_fields};
    for (size_t t = 0; t < SIM_ARRAY_SIZE(tables); t++) {
        size_t n;
        const struct scn_field_spec *f = tables[t](&n);
        for (size_t i = 0; i < n; i++) {
            snprintf(pat, sizeof pat, "`%s", f[i].name);
            cr_expect(strstr(doc, pat) != NULL, "docs document field %s", f[i].name);
        }
    }
    for (size_t i = 0; i < SCN_EVENT_COUNT; i++) {
        snprintf(pat, sizeof pat, "`%s`", scn_event_name((enum scn_event)i));
        cr_expect(strstr(doc, pat) != NULL, "docs document event %s", pat);
    }
    /* The "Not supported" list is the limits table, line for line. */
    size_t n_lim;
    const struct scn_limit *lim = scn__limits(&n_lim);
    for (size_t i = 0; i < n_lim; i++) {
        char line[1024];
        scn__limit_doc(&lim[i], line, sizeof line);
        cr_expect(strstr(doc, line) != NULL, "docs list the limit: %s", line);
    }
    /* Drop causes belong to sim/ (the list grows there); the page names the table and the
     * checker answers a misspelt cause with the current list, so they are not checked here. */
    /* The examples on the page are the test files, verbatim. */
    static const char *const files[] = {"/failover.scn", "/live-migrate.scn", "/react.scn"};
    for (size_t i = 0; i < SIM_ARRAY_SIZE(files); i++) {
        char path[512];
        snprintf(path, sizeof path, "%s%s", SCN_TEST_DATA, files[i]);
        size_t fl;
        char *text = slurp(path, &fl);
        char *body = strchr(text, '\n'); /* react.scn's first comment line is not on the page */
        cr_expect(strstr(doc, i < 2 ? text : body + 1) != NULL, "%s appears in the docs", path);
        struct scn_program *p;
        cr_expect_eq(scn_program_parse_file(path, NULL, &p, NULL), 0, "%s parses", path);
        scn_program_destroy(p);
        free(text);
    }
    free(doc);
}
