/* SPDX-License-Identifier: MIT */
/*
 * interp.c — the scenario interpreter: every statement of a checked program becomes a call
 * into the virtualization stack (vstack/) at its virtual time, and every `expect` becomes a
 * query whose answer is compared with the expected value.
 *
 * Windows counterpart: the HLK-style test harness that drives Hyper-V (VMMS cmdlets, a tester
 * pulling a card) and reads back what NDIS and the drivers did. See interp.h for the semantics.
 *
 * The main loop (scn_run_exec) owns the clock: it asks vstack for the next event time, and
 *   - while no expectation window and no wait-until is open, runs the world up to the next
 *     statement time in one call (fast);
 *   - while one is open, steps the world one event at a time and re-evaluates every open
 *     condition after each event, so a window passes at the exact event that made it true.
 * Events due at time T run before statements due at T; statements at one time run in file
 * order. Nothing here depends on wall time or on addresses, so a run is a pure function of
 * the program and the seed.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "capture/capture.h"
#include "ndis_shim/ndis_shim.h"
#include "script/interp.h"
#include "traffic/traffic.h"
#include "vstack/view.h"
#include "vstack/vstack.h"
#include "verify/verify.h"

SIM_ALLOC_TAG_DEFINE(scn_run);

#define OPEN_MAX      64u  /* expectation windows open at one time */
#define OID_SEQ_MAX   256u /* OIDs read back for one oid-sequence check */
#define EVAL_TEXT_MAX SCN_RESULT_TEXT_MAX

/* Where a check reads the world from: its mark ("since the previous statement", for OID
 * sequences and events) and, for `expect event`, a cursor into the event log, so a window
 * re-evaluated after every scheduler step reads only the events logged since its last look
 * (and sees every one of them, however many). */
struct scan {
    struct vstack_mark mark;
    uint64_t ev_next;   /* next event seq to read */
    uint64_t of_kind;   /* events of the expected kind and subject seen so far */
    uint64_t last_seq;  /* the last of them (when of_kind > 0) */
};

/* One open window: an `expect ... within=` (or range) or the running `wait-until`. */
struct open_cond {
    size_t index;                /* statement index */
    const struct scn_stmt *stmt; /* its statement */
    sim_time_t deadline;         /* window end (inclusive) */
    struct scan scan;
    char last_actual[EVAL_TEXT_MAX];
};

struct scn_run {
    const struct scn_program *prog;
    struct scn_run_opts opts;
    struct vstack_world *w;
    size_t n_stmts;
    size_t next;             /* next statement to execute */
    sim_time_t *anchor_end;  /* per statement: when that wait-until finished (wait-until only) */
    struct vstack_mark mark; /* taken before the last action statement ran */
    struct open_cond open[OPEN_MAX];
    size_t n_open;
    bool waiting; /* a wait-until is open (it is in open[], flagged by verb) */
    struct scn_result *results;
    size_t n_results, cap_results;
    size_t passed, failed, verdicts_expected;
    bool stop;
    bool capturing;
    struct sim_timer sentinel; /* fires at the current step target (see step_until) */
    bool sentinel_fired;
    bool acted_at_now; /* an action ran since the world last settled at this time */
    int error;         /* first fatal error (SIM_E*) */
    struct sim_diag error_diag;
    size_t pending_peak; /* most scheduler events seen pending at once (scn_run_stats) */
    struct oid_done *oids; /* raw `oid` requests submitted (freed with the run) */
    struct scn_refusal *refusals;
    size_t n_refusals, cap_refusals, refused_unexpected;
    long *refusal_of;       /* per statement: its index in refusals[], or -1 */
    bool *refusal_expected; /* per statement: an `expect refused` names it */
};

/* ---------------------------------------------------------------------------------------------
 * Small helpers.
 * ------------------------------------------------------------------------------------------- */
static void note(struct scn_run *r, const struct scn_stmt *s, const char *fmt, ...)
    SIM_PRINTF(3, 4);

static void
note(struct scn_run *r, const struct scn_stmt *s, const char *fmt, ...)
{
    if (r->opts.log == NULL && r->opts.on_note == NULL)
        return;
    char t[40], text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (r->opts.log != NULL)
        fprintf(r->opts.log, "%s:%u: note: %s at t=%s\n", scn_program_name(r->prog),
                (unsigned)s->line, text, sim_time_format(vstack_world_now(r->w), t, sizeof t));
    if (r->opts.on_note != NULL)
        r->opts.on_note(r->opts.ctx, s, vstack_world_now(r->w), text);
}

/* Sample the scheduler's pending count for scn_run_stats (cheap: a field read). */
static void
sample_pending(struct scn_run *r)
{
    size_t n = sim_sched_pending(vstack_world_sched(r->w));
    if (n > r->pending_peak)
        r->pending_peak = n;
}

static const char *
pos_str(const struct scn_stmt *s, size_t i)
{
    return i < s->n_pos ? s->pos[i].v.str : NULL;
}

/* An explicit (non-default) value of a key, or NULL. */
static const struct scn_value *
explicit_value(const struct scn_stmt *s, const char *key)
{
    const struct scn_arg *a = scn_stmt_arg(s, key);
    return a != NULL && !a->is_default ? &a->value : NULL;
}

static const char *
value_str(const struct scn_stmt *s, const char *key)
{
    const struct scn_value *v = scn_stmt_value(s, key);
    return v != NULL ? v->v.str : NULL;
}

static uint64_t
value_u(const struct scn_stmt *s, const char *key, uint64_t dflt)
{
    const struct scn_value *v = scn_stmt_value(s, key);
    return v != NULL ? v->v.u : dflt;
}

/* Whether `op` holds for an actual value that compares to the expected one as `order`
 * (negative: less, 0: equal, positive: greater). One switch for every numeric type. */
static bool
op_holds(enum scn_op op, int order)
{
    switch (op) {
    case SCN_OP_EQ:
        return order == 0;
    case SCN_OP_NE:
        return order != 0;
    case SCN_OP_LT:
        return order < 0;
    case SCN_OP_LE:
        return order <= 0;
    case SCN_OP_GT:
        return order > 0;
    case SCN_OP_GE:
        return order >= 0;
    default:
        return false;
    }
}

static bool
cmp_i64(enum scn_op op, int64_t a, int64_t e)
{
    return op_holds(op, (a > e) - (a < e));
}

static bool
cmp_u64(enum scn_op op, uint64_t a, uint64_t e)
{
    return op_holds(op, (a > e) - (a < e));
}

static bool
cmp_f(enum scn_op op, double a, double e)
{
    if (a != a || e != e) /* NaN is unordered: only != holds */
        return op == SCN_OP_NE;
    return op_holds(op, (a > e) - (a < e));
}

static bool
cmp_str(enum scn_op op, const char *a, const char *e)
{
    bool eq = strcmp(a, e) == 0;
    return op == SCN_OP_NE ? !eq : eq;
}

/* "error: REASON", cut to fit: a query the stack could not answer. */
static void
act_error(char *act, size_t len, const char *reason)
{
    snprintf(act, len, "error: %.*s", (int)(len > 8 ? len - 8 : 0), reason);
}

/* ---------------------------------------------------------------------------------------------
 * Evaluating a condition. Each returns whether it holds now and writes the actual value.
 * ------------------------------------------------------------------------------------------- */
static bool
eval_vm(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    char buf[VSTACK_NAME_MAX];
    const char *got = NULL;
    switch ((enum scn_vm_field)e->field_id) {
    case SCN_VM_DATAPATH: {
        enum vstack_datapath dp;
        if (vstack_vm_datapath(r->w, e->subject, &dp, &d) != 0)
            break;
        got = dp == VSTACK_DP_VF ? "vf" : "synthetic";
        break;
    }
    case SCN_VM_VF:
        if (vstack_vm_vf(r->w, e->subject, buf, sizeof buf, &d) == 0)
            got = buf;
        break;
    case SCN_VM_HOST:
        (void)vstack_vm_host(r->w, e->subject, &got, &d);
        break;
    case SCN_VM_STATE: {
        enum vstack_vm_state st;
        if (vstack_vm_state(r->w, e->subject, &st, &d) != 0)
            break;
        got = st == VSTACK_VM_RUNNING ? "running" : st == VSTACK_VM_MIGRATING ? "migrating" : "off";
        break;
    }
    }
    if (got == NULL) {
        act_error(act, len, d.reason[0] ? d.reason : "unknown field");
        return false;
    }
    snprintf(act, len, "%s", got);
    return cmp_str(e->op, got, e->value.v.str);
}

static bool
eval_flow(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    struct traffic_flow_stats st;
    if (vstack_flow_stats(r->w, e->subject, &st, &d) != 0) {
        act_error(act, len, d.reason);
        return false;
    }
    /* Every look at a flow checks the contract first: whatever the field, the figures mean
     * nothing if packets vanished or the flow stalled. */
    if (vstack_flow_check(r->w, e->subject, &d) != 0) {
        act_error(act, len, d.reason);
        return false;
    }
    uint64_t u = 0;
    switch ((enum scn_flow_field)e->field_id) {
    case SCN_FLOW_SENT:
        u = st.sent;
        break;
    case SCN_FLOW_DELIVERED:
        u = st.delivered;
        break;
    case SCN_FLOW_LOST:
        u = st.lost;
        break;
    case SCN_FLOW_REORDERED:
        u = st.reordered;
        break;
    case SCN_FLOW_DUPLICATES:
        u = st.duplicates;
        break;
    case SCN_FLOW_RETRANSMITS:
        u = st.retransmissions;
        break;
    case SCN_FLOW_IN_FLIGHT:
        u = st.in_flight;
        break;
    case SCN_FLOW_REFUSED:
        u = st.refused;
        break;
    case SCN_FLOW_DROPS:
        u = e->field_param >= 0 && e->field_param < SIM_DROP_CAUSE_COUNT
                ? st.dropped[e->field_param]
                : 0;
        break;
    case SCN_FLOW_GAP_MAX:
    case SCN_FLOW_LATENCY_MAX: {
        sim_time_t t = e->field_id == SCN_FLOW_GAP_MAX ? st.gap_max : st.latency.max;
        sim_time_format(t, act, len);
        return cmp_i64(e->op, t, e->value.v.ns);
    }
    case SCN_FLOW_GBPS:
    case SCN_FLOW_THROUGHPUT: {
        /* Goodput: TCP-like flows count each byte once (retransmissions excluded). */
        double bps =
            st.kind == TRAFFIC_FLOW_TCP && st.goodput_bps > 0 ? st.goodput_bps : st.throughput_bps;
        if (e->field_id == SCN_FLOW_GBPS) {
            snprintf(act, len, "%.3f", bps / 1e9);
            return cmp_f(e->op, bps / 1e9, e->value.v.f);
        }
        snprintf(act, len, "%.3fGbps", bps / 1e9);
        return cmp_f(e->op, bps, (double)e->value.v.u);
    }
    case SCN_FLOW_ALIVE:
        snprintf(act, len, "%s", st.alive ? "true" : "false");
        return e->op == SCN_OP_NE ? st.alive != e->value.v.b : st.alive == e->value.v.b;
    case SCN_FLOW_SEQ:
        if (st.contiguous)
            snprintf(act, len, "contiguous");
        else
            snprintf(act, len,
                     "not contiguous (%" PRIu64 " of %" PRIu64 " stream bytes delivered in order, "
                     "%" PRIu64 " integrity errors)",
                     st.bytes_delivered, st.stream_bytes, st.integrity_errors);
        return st.contiguous;
    }
    snprintf(act, len, "%" PRIu64, u);
    return cmp_u64(e->op, u, e->value.v.u);
}

static bool
eval_oid(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    uint32_t status = 0;
    uint64_t count = 0;
    int err = vstack_oid_last(r->w, e->subject, e->oid, &status, &count, &d);
    if (err != 0 && err != SIM_ENOENT) {
        act_error(act, len, d.reason);
        return false;
    }
    if (e->field_id == SCN_OIDF_COUNT) {
        snprintf(act, len, "%" PRIu64, count);
        return cmp_u64(e->op, count, e->value.v.u);
    }
    if (err == SIM_ENOENT || count == 0) {
        snprintf(act, len, "never completed");
        return false;
    }
    const char *name = ndis_status_name((ndis_status_t)status);
    snprintf(act, len, "%s", name);
    return cmp_str(e->op, name, e->value.v.str);
}

static bool
eval_oid_sequence(struct scn_run *r, const struct scn_expect *e, const struct vstack_mark *mark,
                  char *act, size_t len)
{
    uint32_t seen[OID_SEQ_MAX];
    size_t n = vstack_oid_sequence(r->w, e->subject, mark, seen, OID_SEQ_MAX);
    if (n > OID_SEQ_MAX)
        n = OID_SEQ_MAX;
    ndis_oid_t want[OID_SEQ_MAX];
    size_t nw = e->n_oids < OID_SEQ_MAX ? e->n_oids : OID_SEQ_MAX;
    for (size_t i = 0; i < nw; i++) {
        if (!ndis_oid_parse(e->oids[i], &want[i])) {
            snprintf(act, len, "error: unknown OID %s", e->oids[i]);
            return false;
        }
    }
    bool ok = false;
    if (e->exact) {
        /* The listed OIDs, one right after the other. */
        for (size_t s = 0; !ok && s + nw <= n; s++) {
            size_t k = 0;
            while (k < nw && seen[s + k] == want[k])
                k++;
            ok = k == nw;
        }
    } else {
        size_t k = 0;
        for (size_t i = 0; i < n && k < nw; i++) {
            if (seen[i] == want[k])
                k++;
        }
        ok = k == nw;
    }
    /* Actual: the OIDs completed since the mark, shortened when long. */
    size_t off = 0;
    act[0] = '\0';
    if (n == 0)
        snprintf(act, len, "no OID completed");
    for (size_t i = 0; i < n && off + 1 < len; i++) {
        const char *name = ndis_oid_name((ndis_oid_t)seen[i]);
        if (strncmp(name, "OID_", 4) == 0)
            name += 4;
        int w = snprintf(act + off, len - off, "%s%s", i ? " " : "", name);
        if (w < 0 || (size_t)w >= len - off) {
            if (len > 4)
                memcpy(act + len - 4, "...", 4);
            break;
        }
        off += (size_t)w;
    }
    return ok;
}

/* One filter of `expect event` against one event. */
static bool
event_cond_holds(const struct vstack_event *ev, const struct scn_cond *c)
{
    const struct vstack_event_field *f = vstack_event_field(ev, c->field);
    if (f == NULL)
        return false;
    switch (c->value.type) {
    case SCN_T_DURATION:
        return f->has_num && cmp_i64(c->op, f->num, c->value.v.ns);
    case SCN_T_INT:
    case SCN_T_HEX:
        return f->has_num && cmp_i64(c->op, f->num, (int64_t)c->value.v.u);
    case SCN_T_BOOL: {
        bool b = (f->has_num && f->num != 0) || strcmp(f->text, "true") == 0;
        return c->op == SCN_OP_NE ? b != c->value.v.b : b == c->value.v.b;
    }
    default:
        return cmp_str(c->op == SCN_OP_NONE ? SCN_OP_EQ : c->op, f->text, c->value.v.str);
    }
}

static bool
eval_event(struct scn_run *r, const struct scn_expect *e, struct scan *sc, char *act, size_t len)
{
    uint64_t end = vstack_events_next_seq(r->w);
    for (; sc->ev_next < end; sc->ev_next++) {
        const struct vstack_event *ev = vstack_event_by_seq(r->w, sc->ev_next);
        if (ev == NULL || strcmp(vstack_event_kind_name(ev->kind), e->field) != 0 ||
            strcmp(ev->subject, e->subject) != 0)
            continue;
        sc->of_kind++;
        sc->last_seq = ev->seq;
        bool all = true;
        for (size_t c = 0; all && c < e->n_conds; c++)
            all = event_cond_holds(ev, &e->conds[c]);
        if (all) {
            sc->ev_next++;
            vstack_event_format(ev, act, len);
            return true;
        }
    }
    const struct vstack_event *last =
        sc->of_kind > 0 ? vstack_event_by_seq(r->w, sc->last_seq) : NULL;
    if (sc->of_kind == 0) {
        snprintf(act, len, "no %s event for %s", e->field, e->subject);
    } else if (last == NULL) {
        snprintf(act, len, "%" PRIu64 " %s event(s), none matching", sc->of_kind, e->field);
    } else {
        char line[EVAL_TEXT_MAX];
        vstack_event_format(last, line, sizeof line);
        snprintf(act, len, "%" PRIu64 " %s event(s), none matching; last: %.*s", sc->of_kind,
                 e->field, (int)(len / 2), line);
    }
    return false;
}

static bool
eval_pci(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    if (e->field_id == SCN_PCI_ASSIGNED) {
        char buf[VSTACK_NAME_MAX];
        if (vstack_pci_assigned(r->w, e->subject, buf, sizeof buf, &d) != 0) {
            act_error(act, len, d.reason);
            return false;
        }
        snprintf(act, len, "%s", buf);
        return cmp_str(e->op, buf, e->value.v.str);
    }
    uint64_t v = 0;
    int err;
    if (e->field_id == SCN_PCI_CFG) {
        uint32_t x = 0;
        err = vstack_pci_cfg_read(r->w, e->subject, (uint32_t)e->field_param,
                                  (unsigned)e->field_width, &x, &d);
        v = x;
    } else {
        static const enum vstack_pci_field map[] = {
            [SCN_PCI_PRESENT] = VSTACK_PCI_PRESENT,
            [SCN_PCI_VENDOR_ID] = VSTACK_PCI_VENDOR_ID,
            [SCN_PCI_DEVICE_ID] = VSTACK_PCI_DEVICE_ID,
            [SCN_PCI_COMMAND_MEMORY] = VSTACK_PCI_COMMAND_MEMORY,
            [SCN_PCI_COMMAND_BUS_MASTER] = VSTACK_PCI_COMMAND_BUS_MASTER,
            [SCN_PCI_MSIX_ENABLE] = VSTACK_PCI_MSIX_ENABLE,
            [SCN_PCI_MSIX_TABLE_SIZE] = VSTACK_PCI_MSIX_TABLE_SIZE,
            [SCN_PCI_SRIOV_TOTAL_VFS] = VSTACK_PCI_SRIOV_TOTAL_VFS,
            [SCN_PCI_SRIOV_INITIAL_VFS] = VSTACK_PCI_SRIOV_INITIAL_VFS,
            [SCN_PCI_SRIOV_NUM_VFS] = VSTACK_PCI_SRIOV_NUM_VFS,
            [SCN_PCI_SRIOV_VF_OFFSET] = VSTACK_PCI_SRIOV_VF_OFFSET,
            [SCN_PCI_SRIOV_VF_STRIDE] = VSTACK_PCI_SRIOV_VF_STRIDE,
            [SCN_PCI_SRIOV_VF_DID] = VSTACK_PCI_SRIOV_VF_DID,
            [SCN_PCI_SRIOV_VF_ENABLE] = VSTACK_PCI_SRIOV_VF_ENABLE,
            [SCN_PCI_SRIOV_VF_MSE] = VSTACK_PCI_SRIOV_VF_MSE,
        };
        err = vstack_pci_field(r->w, e->subject, map[e->field_id], &v, &d);
    }
    if (err != 0) {
        act_error(act, len, d.reason[0] ? d.reason : sim_strerror(err));
        return false;
    }
    if (e->value.type == SCN_T_BOOL) {
        snprintf(act, len, "%s", v ? "true" : "false");
        return e->op == SCN_OP_NE ? (v != 0) != e->value.v.b : (v != 0) == e->value.v.b;
    }
    if (e->value.type == SCN_T_HEX)
        snprintf(act, len, "0x%" PRIx64, v);
    else
        snprintf(act, len, "%" PRIu64, v);
    return cmp_u64(e->op, v, e->value.v.u);
}

/* expect switch SW lookups|vmq_hits OP N */
static bool
eval_switch(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    struct sim_diag d;
    sim_diag_clear(&d);
    uint64_t lookups = 0, hits = 0;
    if (vstack_switch_counters(r->w, e->subject, &lookups, &hits, &d) != 0) {
        act_error(act, len, d.reason);
        return false;
    }
    uint64_t v = e->field_id == SCN_SW_VMQ_HITS ? hits : lookups;
    snprintf(act, len, "%" PRIu64, v);
    return cmp_u64(e->op, v, e->value.v.u);
}

/* expect refused ["TEXT"]: the action it follows was refused (with TEXT in the reason). */
static bool
eval_refused(struct scn_run *r, const struct scn_expect *e, char *act, size_t len)
{
    size_t a = (size_t)e->field_param;
    long k = a < r->n_stmts ? r->refusal_of[a] : -1;
    if (k < 0) {
        snprintf(act, len, "accepted");
        return false;
    }
    const struct scn_refusal *f = &r->refusals[k];
    snprintf(act, len, "refused: %.*s", (int)(len > 10 ? len - 10 : 0), f->reason);
    return e->value.text == NULL || strstr(f->reason, e->value.text) != NULL;
}

static bool
eval_cond(struct scn_run *r, const struct scn_expect *e, struct scan *sc, char *act, size_t len)
{
    switch (e->kind) {
    case SCN_EXPECT_REFUSED:
        return eval_refused(r, e, act, len);
    case SCN_EXPECT_VM:
        return eval_vm(r, e, act, len);
    case SCN_EXPECT_FLOW:
        return eval_flow(r, e, act, len);
    case SCN_EXPECT_OID:
        return eval_oid(r, e, act, len);
    case SCN_EXPECT_OID_SEQUENCE:
        return eval_oid_sequence(r, e, &sc->mark, act, len);
    case SCN_EXPECT_EVENT:
        return eval_event(r, e, sc, act, len);
    case SCN_EXPECT_PCI:
        return eval_pci(r, e, act, len);
    case SCN_EXPECT_SWITCH:
        return eval_switch(r, e, act, len);
    }
    snprintf(act, len, "unknown expectation");
    return false;
}

/* "== vf", "contiguous", "OID_A OID_B (in order)", "vf-removed kind=surprise". */
static void
expected_text(const struct scn_stmt *s, char *buf, size_t len)
{
    const struct scn_expect *e = s->expect;
    size_t off = 0;
    buf[0] = '\0';
    switch (e->kind) {
    case SCN_EXPECT_OID_SEQUENCE:
        for (size_t i = 0; i < e->n_oids && off + 1 < len; i++) {
            const char *n = e->oids[i];
            if (strncmp(n, "OID_", 4) == 0)
                n += 4;
            int w = snprintf(buf + off, len - off, "%s%s", i ? " " : "", n);
            if (w < 0)
                break;
            off += (size_t)w < len - off ? (size_t)w : len - off - 1;
        }
        if (off + 1 < len)
            snprintf(buf + off, len - off, e->exact ? " (adjacent)" : " (in order)");
        break;
    case SCN_EXPECT_EVENT:
        off = (size_t)snprintf(buf, len, "%s event", e->field);
        for (size_t i = 0; i < e->n_conds && off + 1 < len; i++) {
            int w = snprintf(buf + off, len - off, " %s%s%s", e->conds[i].field,
                             scn_op_name(e->conds[i].op), e->conds[i].value.text);
            if (w < 0)
                break;
            off += (size_t)w < len - off ? (size_t)w : len - off - 1;
        }
        break;
    case SCN_EXPECT_REFUSED:
        if (e->value.text != NULL)
            snprintf(buf, len, "refused (reason containing \"%s\")", e->value.text);
        else
            snprintf(buf, len, "refused");
        break;
    default:
        if (e->op == SCN_OP_CONTIGUOUS)
            snprintf(buf, len, "contiguous");
        else
            snprintf(buf, len, "%s %s", scn_op_name(e->op),
                     e->value.text != NULL ? e->value.text : "");
        break;
    }
    if (s->window_ns > 0) {
        char t[40];
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, " within %s", sim_time_format(s->window_ns, t, sizeof t));
    }
}

/* ---------------------------------------------------------------------------------------------
 * Verdicts.
 * ------------------------------------------------------------------------------------------- */
static void
verdict(struct scn_run *r, size_t index, bool passed, const char *actual)
{
    if (r->n_results == r->cap_results) {
        size_t cap = r->cap_results ? r->cap_results * 2 : 32;
        struct scn_result *n = sim_realloc(SIM_TAG(scn_run), r->results, cap * sizeof *n);
        if (n == NULL) {
            r->error = SIM_ENOMEM;
            sim_diag_fail(&r->error_diag, SIM_ENOMEM, "out of memory recording a verdict");
            r->stop = true;
            return;
        }
        r->results = n;
        r->cap_results = cap;
    }
    struct scn_result *res = &r->results[r->n_results++];
    memset(res, 0, sizeof *res);
    res->stmt = scn_program_stmt(r->prog, index);
    res->index = index;
    res->time_ns = vstack_world_now(r->w);
    res->passed = passed;
    res->invariant = res->stmt->expect == NULL;
    if (res->invariant)
        snprintf(res->expected, sizeof res->expected,
                 "sent == delivered + dropped + in flight, and a live sender");
    else
        expected_text(res->stmt, res->expected, sizeof res->expected);
    snprintf(res->actual, sizeof res->actual, "%s", actual);
    if (passed)
        r->passed++;
    else
        r->failed++;
    if (r->opts.on_result != NULL)
        r->opts.on_result(r->opts.ctx, res);
    if (!passed && r->opts.fail_fast)
        r->stop = true;
}

/* The end of the run: every flow's conservation and liveness (vstack_flow_check). A broken
 * contract is a failed verdict on the flow's `flow start` statement, naming the counts. */
static void
check_flows(struct scn_run *r)
{
    struct vstack_world *w = r->w;
    for (size_t i = 0; i < vstack_flow_count(w) && !r->stop; i++) {
        const char *name = vstack_flow_name(w, i);
        struct sim_diag d;
        sim_diag_clear(&d);
        if (vstack_flow_check(w, name, &d) == 0)
            continue;
        size_t index = r->n_stmts;
        for (size_t k = 0; k < r->n_stmts; k++) {
            const struct scn_stmt *s = scn_program_stmt(r->prog, k);
            if (s->verb == SCN_VERB_FLOW_START && s->n_pos > 0 && s->pos[0].v.str != NULL &&
                strcmp(s->pos[0].v.str, name) == 0) {
                index = k;
                break;
            }
        }
        if (index == r->n_stmts)
            continue; /* cannot happen: every flow was started by a statement */
        r->verdicts_expected++;
        size_t before = r->n_results;
        verdict(r, index, false, d.reason);
        if (r->n_results == before)
            return; /* out of memory, recorded */
    }
}

static void
open_remove(struct scn_run *r, size_t k)
{
    if (r->open[k].stmt->verb == SCN_VERB_WAIT_UNTIL)
        r->waiting = false;
    memmove(&r->open[k], &r->open[k + 1], (r->n_open - k - 1) * sizeof r->open[0]);
    r->n_open--;
}

/* A wait-until finished (held or timed out): later anchored statements count from now. */
static void
wait_until_done(struct scn_run *r, size_t index)
{
    r->anchor_end[index] = vstack_world_now(r->w);
}

/* Re-evaluate every open window after an event. */
static void
eval_open(struct scn_run *r)
{
    for (size_t k = 0; k < r->n_open && !r->stop;) {
        struct open_cond *o = &r->open[k];
        if (eval_cond(r, o->stmt->expect, &o->scan, o->last_actual, sizeof o->last_actual)) {
            size_t index = o->index;
            char actual[EVAL_TEXT_MAX];
            memcpy(actual, o->last_actual, sizeof actual);
            bool is_wait = o->stmt->verb == SCN_VERB_WAIT_UNTIL;
            open_remove(r, k);
            if (is_wait)
                wait_until_done(r, index);
            verdict(r, index, true, actual);
            continue;
        }
        k++;
    }
}

/* Windows whose deadline is now or past: last chance, then fail with the last actual value. */
static void
close_deadlines(struct scn_run *r, bool all)
{
    sim_time_t now = vstack_world_now(r->w);
    for (size_t k = 0; k < r->n_open && !r->stop;) {
        struct open_cond *o = &r->open[k];
        if (!all && o->deadline > now) {
            k++;
            continue;
        }
        size_t index = o->index;
        bool ok = eval_cond(r, o->stmt->expect, &o->scan, o->last_actual, sizeof o->last_actual);
        char actual[EVAL_TEXT_MAX];
        memcpy(actual, o->last_actual, sizeof actual);
        bool is_wait = o->stmt->verb == SCN_VERB_WAIT_UNTIL;
        open_remove(r, k);
        if (is_wait)
            wait_until_done(r, index);
        verdict(r, index, ok, actual);
    }
}

static void
sentinel_cb(struct sim_timer *t)
{
    struct scn_run *r = t->data;
    r->sentinel_fired = true;
}

/*
 * Step the world one event at a time up to `target`, re-evaluating every open window after each
 * event. sim.h has no "peek at the next event time", so a sentinel timer armed at `target` tells
 * when every event due before it has run. Returns true when a verdict was reached on the way
 * (the caller plans again: a finished wait-until may make a statement due sooner), false when
 * the clock reached target (events at target that were scheduled after the sentinel are then
 * run by the caller's vstack_run_until(target)).
 */
static bool
step_until(struct scn_run *r, sim_time_t target)
{
    r->sentinel_fired = false;
    if (sim_timer_start_at(&r->sentinel, target) != 0)
        return false; /* no memory for the sentinel: fall back to one run to target */
    size_t verdicts = r->n_results;
    bool changed = false;
    while (!r->stop) {
        sample_pending(r);
        if (vstack_step(r->w) <= 0 || r->sentinel_fired)
            break;
        eval_open(r);
        if (r->n_results != verdicts) {
            changed = true;
            break;
        }
    }
    sim_timer_stop(&r->sentinel);
    return changed || r->stop;
}

static sim_time_t
min_deadline(const struct scn_run *r)
{
    sim_time_t m = SIM_TIME_NEVER;
    for (size_t k = 0; k < r->n_open; k++)
        if (r->open[k].deadline < m)
            m = r->open[k].deadline;
    return m;
}

/* ---------------------------------------------------------------------------------------------
 * Actions: one function per verb family. Each returns 0 or a SIM_E* code with d filled.
 * ------------------------------------------------------------------------------------------- */
static int
do_pf(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_pf_config c;
    vstack_pf_config_init(&c);
    c.total_vfs = (uint16_t)value_u(s, "total_vfs", c.total_vfs);
    c.vf_offset = (uint16_t)value_u(s, "vf_offset", c.vf_offset);
    c.vf_stride = (uint16_t)value_u(s, "vf_stride", c.vf_stride);
    c.vendor_id = (uint16_t)value_u(s, "vid", c.vendor_id);
    c.device_id = (uint16_t)value_u(s, "did", c.device_id);
    c.vf_device_id = (uint16_t)value_u(s, "vf_did", c.vf_device_id);
    const struct scn_value *v = scn_stmt_value(s, "bdf");
    if (v != NULL) {
        c.has_bdf = true;
        c.domain = v->v.bdf.domain;
        c.bus = v->v.bdf.bus;
        c.dev = v->v.bdf.dev;
        c.fn = v->v.bdf.fn;
    }
    if ((v = scn_stmt_value(s, "mac")) != NULL) {
        c.has_mac = true;
        memcpy(c.mac, v->v.mac, 6);
    }
    if ((v = explicit_value(s, "rate")) != NULL)
        c.rate_bps = v->v.u;
    return vstack_pf_add(r->w, pos_str(s, 0), &c, d);
}

static int
do_vm(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_vm_config c;
    vstack_vm_config_init(&c);
    c.host = value_str(s, "on");
    c.sw = value_str(s, "switch");
    const struct scn_value *v = scn_stmt_value(s, "mac");
    if (v != NULL) {
        c.has_mac = true;
        memcpy(c.mac, v->v.mac, 6);
    }
    if ((v = scn_stmt_value(s, "ip")) != NULL)
        c.ipv4 = v->v.ipv4.addr;
    const char *vf = value_str(s, "vf");
    c.vf = vf != NULL && strcmp(vf, "none") != 0 ? vf : NULL;
    if ((v = scn_stmt_value(s, "early-vf-fix")) != NULL)
        c.legacy_early_vf = !v->v.b;
    if ((v = scn_stmt_value(s, "vmq")) != NULL)
        c.vmq = v->v.b;
    return vstack_vm_add(r->w, pos_str(s, 0), &c, d);
}

static int
do_peer(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_peer_config c;
    vstack_peer_config_init(&c);
    c.sw = value_str(s, "on");
    const struct scn_value *v = scn_stmt_value(s, "mac");
    if (v != NULL) {
        c.has_mac = true;
        memcpy(c.mac, v->v.mac, 6);
    }
    if ((v = scn_stmt_value(s, "ip")) != NULL)
        c.ipv4 = v->v.ipv4.addr;
    return vstack_peer_add(r->w, pos_str(s, 0), &c, d);
}

static enum vstack_mailbox_policy
mbx_policy(const struct scn_stmt *s, const char *key)
{
    const struct scn_value *v = scn_stmt_value(s, key);
    if (v == NULL)
        return VSTACK_MBX_UNSET;
    if (strcmp(v->v.str, "apply") == 0)
        return VSTACK_MBX_APPLY;
    if (strcmp(v->v.str, "refuse") == 0)
        return VSTACK_MBX_REFUSE;
    return VSTACK_MBX_REFUSE_SILENT;
}

static enum vstack_tristate
tristate(const struct scn_value *v, bool truth)
{
    if (v == NULL)
        return VSTACK_UNSET;
    return truth ? VSTACK_TRUE : VSTACK_FALSE;
}

static int
do_policy(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_policy p = {0};
    const struct scn_value *v = scn_stmt_value(s, "allocate-vf");
    p.allocate_vf = tristate(v, v != NULL && strcmp(v->v.str, "allow") == 0);
    p.mac_change = mbx_policy(s, "mac-change");
    p.vlan_change = mbx_policy(s, "vlan-change");
    v = scn_stmt_value(s, "trusted");
    p.trusted = tristate(v, v != NULL && v->v.b);
    v = scn_stmt_value(s, "spoof-check");
    p.spoof_check = tristate(v, v != NULL && v->v.b);
    return vstack_policy_set(r->w, pos_str(s, 0), &p, d);
}

static int
do_flow_start(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_flow_config c;
    vstack_flow_config_init(&c);
    c.from = value_str(s, "from");
    c.to = value_str(s, "to");
    const char *proto = value_str(s, "proto");
    c.proto = proto != NULL && strcmp(proto, "tcp") == 0 ? VSTACK_PROTO_TCP : VSTACK_PROTO_UDP;
    c.rate_bps = value_u(s, "rate", c.rate_bps);
    c.size = (uint32_t)value_u(s, "size", c.size);
    c.count = value_u(s, "count", 0);
    return vstack_flow_start(r->w, pos_str(s, 0), &c, d);
}

static int
do_capture_start(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_capture_config c = {0};
    const char *points[256];
    const struct scn_value *v = scn_stmt_value(s, "points");
    if (v != NULL) {
        size_t n = v->n_items ? v->n_items : 1;
        if (n > SIM_ARRAY_SIZE(points))
            return sim_diag_fail(d, SIM_EINVAL, "capture start: more than %zu points",
                                 SIM_ARRAY_SIZE(points));
        for (size_t i = 0; i < n; i++)
            points[i] = v->n_items ? v->items[i].v.str : v->v.str;
        c.points = points;
        c.n_points = n;
    }
    c.file = r->opts.capture_override ? r->opts.capture_default : value_str(s, "file");
    c.filter = value_str(s, "filter");
    const struct scn_value *f = explicit_value(s, "format");
    c.classic_pcap =
        f != NULL ? strcmp(f->v.str, "pcap") == 0 : r->opts.capture_format == (int)CAP_FORMAT_PCAP;
    c.snaplen = (uint32_t)value_u(s, "snaplen", 0);
    if (c.file == NULL && r->opts.capture_default == NULL)
        return sim_diag_fail(d, SIM_EINVAL,
                             "capture start: no file= and no --capture FILE given: nowhere to "
                             "write the capture");
    int err = vstack_capture_start(r->w, &c, d);
    if (err == 0)
        r->capturing = true;
    return err;
}

/* A raw `oid` statement's request in flight (freed with the run). */
struct oid_done {
    struct scn_run *r;
    struct oid_done *next;
    uint32_t line;
    bool done;
};

static void
oid_completed(void *ctx, const struct vstack_oid_result *res)
{
    struct oid_done *od = ctx;
    struct scn_run *r = od->r;
    od->done = true;
    if (r->opts.out != NULL)
        fprintf(r->opts.out, "%s:%u: %s\n", scn_program_name(r->prog), (unsigned)od->line,
                res->line);
}

static int
do_oid(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    struct vstack_kv kv[32];
    size_t n_kv = 0;
    for (size_t i = 0; i < s->n_args && n_kv < SIM_ARRAY_SIZE(kv); i++) {
        const struct scn_arg *a = &s->args[i];
        if (a->is_default || strcmp(a->key, "vf") == 0 || strcmp(a->key, "method") == 0)
            continue;
        kv[n_kv].key = a->key;
        kv[n_kv].value = a->value.text;
        n_kv++;
    }
    const struct scn_value *vf = scn_stmt_value(s, "vf");
    /* The statement only submits the request: the clock is not run inside it, so the next
     * statement runs at its own time; the completion is printed when it happens. */
    struct oid_done *od = sim_calloc(SIM_TAG(scn_run), 1, sizeof *od);
    if (od == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "oid: out of memory");
    od->r = r;
    od->line = s->line;
    od->next = r->oids;
    r->oids = od;
    int err = vstack_oid_submit(r->w, pos_str(s, 0), s->pos[1].v.str, value_str(s, "method"),
                                vf != NULL ? (int)vf->v.u : -1, kv, n_kv, oid_completed, od, d);
    if (err != 0) {
        r->oids = od->next;
        sim_free(od);
    }
    return err;
}

static int
do_set(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    for (size_t i = 0; i < s->n_args; i++) {
        const struct scn_arg *a = &s->args[i];
        if (a->is_default)
            continue;
        int64_t v = a->value.type == SCN_T_DURATION ? a->value.v.ns : (int64_t)a->value.v.u;
        int err = vstack_cost_set(r->w, a->key, v, d);
        if (err != 0)
            return err;
    }
    return 0;
}

static enum vstack_mbx_request
mbx_request(const char *w)
{
    if (w == NULL || strcmp(w, "any") == 0)
        return VSTACK_MBX_ANY;
    if (strcmp(w, "mac") == 0)
        return VSTACK_MBX_MAC;
    if (strcmp(w, "vlan") == 0)
        return VSTACK_MBX_VLAN;
    if (strcmp(w, "multicast") == 0)
        return VSTACK_MBX_MULTICAST;
    return VSTACK_MBX_PROMISCUOUS;
}

/* Run one action statement. */
static int
do_action(struct scn_run *r, const struct scn_stmt *s, struct sim_diag *d)
{
    const struct scn_value *v;
    switch (s->verb) {
    case SCN_VERB_HOST:
        return vstack_host_add(r->w, pos_str(s, 0), d);
    case SCN_VERB_PF:
        return do_pf(r, s, d);
    case SCN_VERB_SRIOV:
        return vstack_sriov_set(r->w, pos_str(s, 0), (unsigned)value_u(s, "num_vfs", 0), d);
    case SCN_VERB_VSWITCH: {
        struct vstack_switch_config c;
        vstack_switch_config_init(&c);
        c.uplink = value_str(s, "uplink");
        if ((v = scn_stmt_value(s, "iov")) != NULL)
            c.iov = v->v.b;
        return vstack_switch_add(r->w, pos_str(s, 0), &c, d);
    }
    case SCN_VERB_VM:
        return do_vm(r, s, d);
    case SCN_VERB_PEER:
        return do_peer(r, s, d);
    case SCN_VERB_LINK: {
        v = scn_stmt_value(s, "latency");
        return vstack_link_add(r->w, pos_str(s, 0), pos_str(s, 1), v ? v->v.ns : -1,
                               value_u(s, "rate", 0), d);
    }
    case SCN_VERB_ATTACH_VF:
        return vstack_vf_attach(r->w, pos_str(s, 0), value_str(s, "vf"), d);
    case SCN_VERB_DETACH_VF: {
        const char *mode = value_str(s, "mode");
        return vstack_vf_detach(r->w, pos_str(s, 0),
                                mode != NULL && strcmp(mode, "surprise") == 0
                                    ? VSTACK_DETACH_SURPRISE
                                    : VSTACK_DETACH_GRACEFUL,
                                d);
    }
    case SCN_VERB_POLICY:
        return do_policy(r, s, d);
    case SCN_VERB_VF_MAC:
        v = scn_stmt_value(s, "mac");
        return vstack_vf_request_mac(r->w, pos_str(s, 0), v ? v->v.mac : NULL, d);
    case SCN_VERB_FAULT_SURPRISE_REMOVE:
        return vstack_fault_surprise_remove(r->w, pos_str(s, 0), d);
    case SCN_VERB_FAULT_FLR_TIMEOUT:
        v = scn_stmt_value(s, "delay");
        return vstack_fault_flr_timeout(r->w, pos_str(s, 0), v ? v->v.ns : SIM_TIME_NEVER,
                                        (unsigned)value_u(s, "count", 1), d);
    case SCN_VERB_FAULT_IOMMU: {
        v = scn_stmt_value(s, "addr");
        const char *dir = value_str(s, "dir");
        return vstack_fault_iommu(r->w, pos_str(s, 0), v != NULL, v ? v->v.u : 0,
                                  dir == NULL || strcmp(dir, "write") == 0,
                                  (unsigned)value_u(s, "count", 1), d);
    }
    case SCN_VERB_FAULT_LINK_DOWN:
    case SCN_VERB_FAULT_LINK_UP:
        return vstack_fault_link(r->w, pos_str(s, 0), s->verb == SCN_VERB_FAULT_LINK_UP, d);
    case SCN_VERB_FAULT_OID:
        return vstack_fault_oid(r->w, pos_str(s, 0), value_str(s, "status"), value_str(s, "on"),
                                (unsigned)value_u(s, "count", 1), (unsigned)value_u(s, "after", 0),
                                d);
    case SCN_VERB_FAULT_MAILBOX_REFUSE:
        v = scn_stmt_value(s, "silent");
        return vstack_fault_mailbox_refuse(
            r->w, pos_str(s, 0), mbx_request(value_str(s, "request")), v != NULL && v->v.b,
            (unsigned)value_u(s, "count", 1), d);
    case SCN_VERB_FAULT_CLEAR:
        return vstack_fault_clear(r->w, pos_str(s, 0), d);
    case SCN_VERB_FLOW_START:
        return do_flow_start(r, s, d);
    case SCN_VERB_FLOW_STOP:
        return vstack_flow_stop(r->w, pos_str(s, 0), d);
    case SCN_VERB_MIGRATE: {
        const struct scn_value *pc = scn_stmt_value(s, "precopy");
        const struct scn_value *bo = scn_stmt_value(s, "blackout");
        return vstack_migrate(r->w, pos_str(s, 0), value_str(s, "to"), pc ? pc->v.ns : -1,
                              bo ? bo->v.ns : -1, d);
    }
    case SCN_VERB_SERVICING:
        v = scn_stmt_value(s, "duration");
        return vstack_servicing(r->w, pos_str(s, 0), v ? v->v.ns : 0, d);
    case SCN_VERB_CAPTURE_START:
        return r->opts.no_capture ? 0 : do_capture_start(r, s, d);
    case SCN_VERB_CAPTURE_STOP: {
        if (r->opts.no_capture)
            return 0;
        r->capturing = false;
        int err = vstack_capture_stop(r->w, d);
        return err == 0 ? 0 : SIM_EIO;
    }
    case SCN_VERB_MARK:
        return r->opts.no_capture ? 0 : vstack_mark(r->w, pos_str(s, 0), d);
    case SCN_VERB_OID:
        return do_oid(r, s, d);
    case SCN_VERB_SET:
        return do_set(r, s, d);
    case SCN_VERB_WAIT: /* its hold is already in the later statements' times */
    case SCN_VERB_SEED: /* applied when the world was created */
    case SCN_VERB_END:
    case SCN_VERB_EXPECT:
    case SCN_VERB_WAIT_UNTIL:
    case SCN_VERB_COUNT:
        return 0;
    }
    return 0;
}

/* Is this verb an action (takes a new "since the previous statement" mark)? */
static bool
is_action(enum scn_verb v)
{
    return v != SCN_VERB_EXPECT && v != SCN_VERB_WAIT && v != SCN_VERB_WAIT_UNTIL &&
           v != SCN_VERB_MARK && v != SCN_VERB_SEED && v != SCN_VERB_END;
}

/* When statement i is due (SIM_TIME_NEVER while its wait-until is still open). */
static sim_time_t
stmt_due(const struct scn_run *r, size_t i)
{
    const struct scn_stmt *s = scn_program_stmt(r->prog, i);
    if (s->anchor < 0)
        return s->time_ns;
    sim_time_t end = r->anchor_end[s->anchor];
    if (end == SIM_TIME_NEVER)
        return SIM_TIME_NEVER;
    return end + s->offset_ns;
}

/* Start a condition (expect or wait-until) at its time. */
static void
start_cond(struct scn_run *r, size_t index, const struct scn_stmt *s)
{
    char actual[EVAL_TEXT_MAX];
    struct scan sc = {.mark = r->mark, .ev_next = r->mark.event_seq};
    bool ok = eval_cond(r, s->expect, &sc, actual, sizeof actual);
    if (ok || s->window_ns == 0) {
        if (s->verb == SCN_VERB_WAIT_UNTIL)
            wait_until_done(r, index);
        verdict(r, index, ok, actual);
        return;
    }
    if (r->n_open == OPEN_MAX) {
        r->error = SIM_ENOSPC;
        sim_diag_fail(&r->error_diag, SIM_ENOSPC,
                      "%s:%u: more than %u expectation windows open at once",
                      scn_program_name(r->prog), (unsigned)s->line, OPEN_MAX);
        r->stop = true;
        return;
    }
    struct open_cond *o = &r->open[r->n_open++];
    o->index = index;
    o->stmt = s;
    o->deadline = vstack_world_now(r->w) + s->window_ns;
    o->scan = sc;
    memcpy(o->last_actual, actual, sizeof actual);
    if (s->verb == SCN_VERB_WAIT_UNTIL)
        r->waiting = true;
}

/* Run the events due at the current time (those the last actions scheduled with zero delay),
 * keeping open windows up to date. */
static void
settle(struct scn_run *r)
{
    sim_time_t now = vstack_world_now(r->w);
    if (r->n_open > 0) {
        (void)step_until(r, now); /* evaluates windows after each event */
        if (r->stop)
            return;
    }
    struct sim_diag d;
    sim_diag_clear(&d);
    int err = vstack_run_until(r->w, now, &d);
    if (err != 0) {
        r->error = err;
        sim_diag_fail(&r->error_diag, err, "settling the world at its current time: %s", d.reason);
        r->stop = true;
        return;
    }
    eval_open(r);
}

/* An action was refused. Refusals are part of what a scenario studies (a vetoed attach, a VF
 * still busy), but only when the script says so: an `expect refused` after the action. Any
 * other refusal means the scenario did not do what it says, so it stops the run and fails it. */
static void
refused(struct scn_run *r, size_t i, const struct scn_stmt *s, int err, const struct sim_diag *d)
{
    if (r->n_refusals == r->cap_refusals) {
        size_t cap = r->cap_refusals ? r->cap_refusals * 2 : 8;
        struct scn_refusal *n = sim_realloc(SIM_TAG(scn_run), r->refusals, cap * sizeof *n);
        if (n == NULL) {
            r->error = SIM_ENOMEM;
            sim_diag_fail(&r->error_diag, SIM_ENOMEM, "out of memory recording a refusal");
            r->stop = true;
            return;
        }
        r->refusals = n;
        r->cap_refusals = cap;
    }
    struct scn_refusal *f = &r->refusals[r->n_refusals];
    memset(f, 0, sizeof *f);
    f->stmt = s;
    f->index = i;
    f->time_ns = vstack_world_now(r->w);
    f->error = err;
    f->expected = r->refusal_expected[i] || r->opts.lenient;
    snprintf(f->reason, sizeof f->reason, "%s (%s)", d->reason[0] ? d->reason : sim_strerror(err),
             sim_err_name(err));
    r->refusal_of[i] = (long)r->n_refusals++;
    if (r->opts.on_refusal != NULL)
        r->opts.on_refusal(r->opts.ctx, f);
    if (f->expected) {
        note(r, s, "%s: refused: %s", s->text, f->reason);
        return;
    }
    r->refused_unexpected++;
    if (r->opts.log != NULL) {
        char t[40];
        fprintf(r->opts.log,
                "%s:%u:%u: error: refused: %s: %s at t=%s (add 'expect refused' after it if that "
                "is the point)\n",
                scn_program_name(r->prog), (unsigned)s->line, (unsigned)s->col, s->text, f->reason,
                sim_time_format(f->time_ns, t, sizeof t));
    }
    r->stop = true;
}

/* Execute every statement due now, in file order, until one blocks (wait-until). */
static void
exec_due(struct scn_run *r)
{
    sim_time_t now = vstack_world_now(r->w);
    while (!r->stop && !r->waiting && r->next < r->n_stmts && stmt_due(r, r->next) <= now) {
        size_t i = r->next++;
        const struct scn_stmt *s = scn_program_stmt(r->prog, i);
        if (s->verb == SCN_VERB_EXPECT || s->verb == SCN_VERB_WAIT_UNTIL) {
            /* A check sees the immediate effects of the actions before it at this same time
             * (events they scheduled with zero delay), as if the world settled at t. */
            if (r->acted_at_now) {
                r->acted_at_now = false;
                settle(r);
                if (r->stop)
                    break;
            }
            start_cond(r, i, s);
            continue;
        }
        if (s->verb == SCN_VERB_END) {
            close_deadlines(r, true);
            r->next = r->n_stmts;
            r->stop = true;
            break;
        }
        if (is_action(s->verb))
            vstack_mark_now(r->w, &r->mark);
        r->acted_at_now = true;
        vstack_trace_cause(r->w, (unsigned)s->line);
        struct sim_diag d;
        sim_diag_clear(&d);
        int err = do_action(r, s, &d);
        if (err == 0)
            continue;
        if (err == SIM_ENOMEM || err == SIM_EIO) {
            r->error = err;
            sim_diag_fail(&r->error_diag, err, "%s:%u: %s: %s", scn_program_name(r->prog),
                          (unsigned)s->line, s->text, d.reason[0] ? d.reason : sim_strerror(err));
            r->stop = true;
            break;
        }
        refused(r, i, s, err, &d);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Public API.
 * ------------------------------------------------------------------------------------------- */
int
scn_run_create(const struct scn_program *prog, const struct scn_run_opts *opts,
               struct scn_run **out, struct sim_diag *d)
{
    if (prog == NULL || opts == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "scn_run_create: NULL argument");
    *out = NULL;
    struct scn_run *r = sim_calloc(SIM_TAG(scn_run), 1, sizeof *r);
    if (r == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "out of memory creating the run");
    r->prog = prog;
    r->opts = *opts;
    r->n_stmts = scn_program_count(prog);
    sim_diag_clear(&r->error_diag);
    r->anchor_end = sim_calloc(SIM_TAG(scn_run), r->n_stmts ? r->n_stmts : 1, sizeof(sim_time_t));
    if (r->anchor_end == NULL) {
        sim_free(r);
        return sim_diag_fail(d, SIM_ENOMEM, "out of memory creating the run");
    }
    size_t n_alloc = r->n_stmts ? r->n_stmts : 1;
    r->refusal_of = sim_calloc(SIM_TAG(scn_run), n_alloc, sizeof *r->refusal_of);
    r->refusal_expected = sim_calloc(SIM_TAG(scn_run), n_alloc, sizeof *r->refusal_expected);
    if (r->refusal_of == NULL || r->refusal_expected == NULL) {
        sim_free(r->refusal_of);
        sim_free(r->refusal_expected);
        sim_free(r->anchor_end);
        sim_free(r);
        return sim_diag_fail(d, SIM_ENOMEM, "out of memory creating the run");
    }
    for (size_t i = 0; i < r->n_stmts; i++) {
        r->refusal_of[i] = -1;
        const struct scn_stmt *es = scn_program_stmt(prog, i);
        if (es->verb == SCN_VERB_EXPECT && es->expect != NULL &&
            es->expect->kind == SCN_EXPECT_REFUSED && es->expect->field_param >= 0 &&
            (size_t)es->expect->field_param < r->n_stmts)
            r->refusal_expected[es->expect->field_param] = true;
    }
    for (size_t i = 0; i < r->n_stmts; i++) {
        r->anchor_end[i] = SIM_TIME_NEVER;
        const struct scn_stmt *s = scn_program_stmt(prog, i);
        if (s->verb == SCN_VERB_EXPECT || s->verb == SCN_VERB_WAIT_UNTIL)
            r->verdicts_expected++;
    }
    struct vstack_world_config wc;
    vstack_world_config_init(&wc);
    wc.seed = opts->seed;
    wc.default_capture_file = opts->capture_default;
    wc.pf_driver = opts->pf_driver;
    int err = vstack_world_create(&wc, &r->w, d);
    if (err != 0) {
        sim_free(r->refusal_of);
        sim_free(r->refusal_expected);
        sim_free(r->anchor_end);
        sim_free(r);
        return err;
    }
    if (opts->verify != NULL) {
        err = verify_attach(opts->verify, vstack_world_trace(r->w));
        if (err != 0) {
            vstack_world_destroy(r->w);
            sim_free(r->anchor_end);
            sim_free(r);
            return sim_diag_fail(d, err, "cannot attach the rule verifier");
        }
    }
    vstack_mark_now(r->w, &r->mark);
    sim_timer_init(vstack_world_sched(r->w), &r->sentinel, sentinel_cb, r);
    *out = r;
    return 0;
}

int
scn_run_exec(struct scn_run *r, struct sim_diag *d)
{
    if (r == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "scn_run_exec: NULL run");
    sim_time_t until = r->opts.until;
    exec_due(r);
    while (!r->stop) {
        sim_time_t next_stmt =
            !r->waiting && r->next < r->n_stmts ? stmt_due(r, r->next) : SIM_TIME_NEVER;
        sim_time_t target = next_stmt;
        sim_time_t dl = min_deadline(r);
        if (dl < target)
            target = dl;
        if (target == SIM_TIME_NEVER && r->n_open == 0)
            break; /* every statement ran and every window closed */
        if (until < target)
            target = until;
        sim_time_t now = vstack_world_now(r->w);
        if (target < now)
            target = now; /* cannot happen: no statement runs the clock */
        sample_pending(r);
        if (r->n_open > 0 && step_until(r, target))
            continue; /* a verdict changed what comes next: plan again */
        struct sim_diag rd;
        sim_diag_clear(&rd);
        int err = vstack_run_until(r->w, target, &rd);
        if (err != 0) {
            r->error = err;
            sim_diag_fail(&r->error_diag, err, "running the clock to %" PRId64 " ns: %s", target,
                          rd.reason);
            break;
        }
        eval_open(r); /* after the events at target the sentinel did not see */
        close_deadlines(r, false);
        exec_due(r);
        if (vstack_world_now(r->w) >= until)
            break;
    }
    if (r->error == 0 && !(r->opts.fail_fast && r->failed > 0)) {
        r->stop = false;
        check_flows(r);
    }
    for (struct oid_done *od = r->oids; od != NULL; od = od->next)
        if (!od->done && r->opts.log != NULL)
            fprintf(r->opts.log, "%s:%u: note: the OID request was still pending when the run "
                    "ended\n", scn_program_name(r->prog), (unsigned)od->line);
    /* A capture still open is closed here, so that its file is complete. */
    if (r->capturing) {
        struct sim_diag cd;
        sim_diag_clear(&cd);
        r->capturing = false;
        if (vstack_capture_stop(r->w, &cd) != 0 && r->error == 0) {
            r->error = SIM_EIO;
            sim_diag_fail(&r->error_diag, SIM_EIO, "closing the capture: %s", cd.reason);
        }
    }
    if (r->opts.trace != NULL) {
        fprintf(r->opts.trace, "--- NDIS trace ---\n");
        vstack_trace_dump(r->w, r->opts.trace);
        fprintf(r->opts.trace, "--- events ---\n");
        vstack_events_dump(r->w, r->opts.trace);
    }
    if (r->error != 0) {
        if (d != NULL)
            *d = r->error_diag;
        return r->error;
    }
    return 0;
}

size_t
scn_run_result_count(const struct scn_run *r)
{
    return r != NULL ? r->n_results : 0;
}

const struct scn_result *
scn_run_result(const struct scn_run *r, size_t i)
{
    return r != NULL && i < r->n_results ? &r->results[i] : NULL;
}

size_t
scn_run_passed(const struct scn_run *r)
{
    return r != NULL ? r->passed : 0;
}

size_t
scn_run_failed(const struct scn_run *r)
{
    return r != NULL ? r->failed : 0;
}

size_t
scn_run_undecided(const struct scn_run *r)
{
    return r != NULL ? r->verdicts_expected - r->n_results : 0;
}

struct vstack_world *
scn_run_world(const struct scn_run *r)
{
    return r != NULL ? r->w : NULL;
}

sim_time_t
scn_run_now(const struct scn_run *r)
{
    return r != NULL && r->w != NULL ? vstack_world_now(r->w) : 0;
}

void
scn_run_stats(const struct scn_run *r, struct scn_run_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (r == NULL || r->w == NULL)
        return;
    const struct sim_sched *s = vstack_world_sched(r->w);
    out->now = vstack_world_now(r->w);
    out->events_run = sim_sched_events_run(s);
    out->pending = sim_sched_pending(s);
    out->pending_peak = r->pending_peak > out->pending ? r->pending_peak : out->pending;
}

void
scn_run_destroy(struct scn_run *r)
{
    if (r == NULL)
        return;
    if (r->w != NULL)
        sim_timer_stop(&r->sentinel);
    vstack_world_destroy(r->w); /* no oid_completed after this */
    while (r->oids != NULL) {
        struct oid_done *od = r->oids;
        r->oids = od->next;
        sim_free(od);
    }
    sim_free(r->results);
    sim_free(r->refusals);
    sim_free(r->refusal_of);
    sim_free(r->refusal_expected);
    sim_free(r->anchor_end);
    sim_free(r);
}

size_t
scn_run_refusal_count(const struct scn_run *r)
{
    return r != NULL ? r->n_refusals : 0;
}

const struct scn_refusal *
scn_run_refusal(const struct scn_run *r, size_t i)
{
    return r != NULL && i < r->n_refusals ? &r->refusals[i] : NULL;
}

size_t
scn_run_refused_unexpected(const struct scn_run *r)
{
    return r != NULL ? r->refused_unexpected : 0;
}
