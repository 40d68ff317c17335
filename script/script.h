/* SPDX-License-Identifier: MIT */
/*
 * script.h — the `.scn` scenario language: lexing, parsing into a typed AST, a schema-driven
 * semantic check of every verb and key, time resolution and diagnostics.
 *
 * Windows counterpart: none. A scenario plays the role of a Hyper-V / NDIS test pass (HLK-style
 * scripts, PowerShell `Add-VMNetworkAdapter` / `Set-VMNetworkAdapter -IovWeight` sequences, a
 * tester pulling a card): it builds a topology, drives timed actions and faults, and asserts on
 * what the drivers did. The language itself is modelled on packetdrill's time-stamped scripts.
 *
 * This module depends only on sim/. It turns text into a checked, immutable program; binding
 * the program to the virtualization stack (vstack/) and executing it is done by the caller.
 * If parsing reports an error, nothing may be run: the program is not even returned.
 *
 * The language reference for users is docs/scenario-language.md.
 *
 * Threading: a parse is self-contained and reentrant (no globals beyond the allocator's
 * counters); a parsed program is immutable and may be read from any thread.
 */
#ifndef SRIOVSIM_SCRIPT_H
#define SRIOVSIM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Verbs. One row per verb form in the schema table (script/verbs.c); the verbs with a
 * sub-command word (`fault surprise-remove`, `flow start`, `capture stop`) get one row each.
 * ------------------------------------------------------------------------------------------- */
#define SCN_VERB_MAP(X)                                                                            \
    X(HOST, "host", NULL)                                                                          \
    X(PF, "pf", NULL)                                                                              \
    X(SRIOV, "sriov", NULL)                                                                        \
    X(VSWITCH, "vswitch", NULL)                                                                    \
    X(VM, "vm", NULL)                                                                              \
    X(PEER, "peer", NULL)                                                                          \
    X(LINK, "link", NULL)                                                                          \
    X(ATTACH_VF, "attach-vf", NULL)                                                                \
    X(DETACH_VF, "detach-vf", NULL)                                                                \
    X(POLICY, "policy", NULL)                                                                      \
    X(VF_MAC, "vf-mac", NULL)                                                                      \
    X(FAULT_SURPRISE_REMOVE, "fault", "surprise-remove")                                           \
    X(FAULT_FLR_TIMEOUT, "fault", "flr-timeout")                                                   \
    X(FAULT_IOMMU, "fault", "iommu")                                                               \
    X(FAULT_LINK_DOWN, "fault", "link-down")                                                       \
    X(FAULT_LINK_UP, "fault", "link-up")                                                           \
    X(FAULT_OID, "fault", "oid")                                                                   \
    X(FAULT_MAILBOX_REFUSE, "fault", "mailbox-refuse")                                             \
    X(FAULT_CLEAR, "fault", "clear")                                                               \
    X(FLOW_START, "flow", "start")                                                                 \
    X(FLOW_STOP, "flow", "stop")                                                                   \
    X(MIGRATE, "migrate", NULL)                                                                    \
    X(SERVICING, "servicing", NULL)                                                                \
    X(CAPTURE_START, "capture", "start")                                                           \
    X(CAPTURE_STOP, "capture", "stop")                                                             \
    X(MARK, "mark", NULL)                                                                          \
    X(OID, "oid", NULL)                                                                            \
    X(WAIT, "wait", NULL)                                                                          \
    X(WAIT_UNTIL, "wait-until", NULL)                                                              \
    X(SET, "set", NULL)                                                                            \
    X(SEED, "seed", NULL)                                                                          \
    X(END, "end", NULL)                                                                            \
    X(EXPECT, "expect", NULL)

enum scn_verb {
#define SCN_VERB_ENUM(id, word, sub) SCN_VERB_##id,
    SCN_VERB_MAP(SCN_VERB_ENUM)
#undef SCN_VERB_ENUM
        SCN_VERB_COUNT
};

/* "attach-vf", "fault", ...; "?" for an invalid value. */
const char *scn_verb_name(enum scn_verb verb);
/* The sub-command word ("surprise-remove", "start") or NULL for verbs without one. */
const char *scn_verb_sub(enum scn_verb verb);

/* ---------------------------------------------------------------------------------------------
 * Values. Every positional argument and key value is converted to one of these types by the
 * checker; the original text is kept for messages.
 * ------------------------------------------------------------------------------------------- */
enum scn_type {
    SCN_T_DURATION, /* "100ms", "1.5s", bare number = seconds -> v.ns */
    SCN_T_INT,      /* decimal or 0x hex, >= 0 -> v.u */
    SCN_T_HEX,      /* same as INT; the schema's way of saying "usually written in hex" */
    SCN_T_FLOAT,    /* "1.9" -> v.f (decimal, parsed exactly, locale-independent) */
    SCN_T_RATE,     /* "2Gbps", "100Mbps", "1.5Gbps" -> v.u bits per second */
    SCN_T_SIZE,     /* "1448", "1448B", "9KiB", "1MB" -> v.u bytes */
    SCN_T_BOOL,     /* true/false, on/off, yes/no -> v.b */
    SCN_T_MAC,      /* "00:15:5d:00:00:01" -> v.mac */
    SCN_T_IPV4,     /* "10.0.0.1" or "10.0.0.1/24" -> v.ipv4 */
    SCN_T_BDF,      /* "01:00.0" or "0000:01:00.0" -> v.bdf */
    SCN_T_NAME,     /* object path "h1.pf0.vf0" -> v.str (a schema may allow words like "auto") */
    SCN_T_ENUM,     /* one word of a fixed set -> v.str and v.u = its index in the set */
    SCN_T_STRING,   /* "quoted \"text\"" or a bare word -> v.str (escapes resolved) */
    SCN_T_OID,      /* OID_* name -> v.str */
    SCN_T_STATUS,   /* NDIS_STATUS_* name -> v.str */
    SCN_T_WORD,     /* an untyped word, kept verbatim (keys of a raw `oid` request) -> v.str */
    SCN_T_COUNT
};

/* "duration", "rate", ... */
const char *scn_type_name(enum scn_type type);

struct scn_value {
    enum scn_type type;
    uint32_t line, col; /* where the value starts in the source */
    const char *text;   /* the source text ("2Gbps"; a string without quotes, unescaped) */
    bool is_word;       /* NAME values only: v.str is one of the schema's extra words
                         * ("auto", "none"), not an object path */
    union {
        sim_time_t ns;
        uint64_t u;
        double f;
        bool b;
        uint8_t mac[6];
        struct {
            uint32_t addr;  /* host byte order: 10.0.0.1 is 0x0a000001 */
            int prefix_len; /* -1 when no "/N" was given */
        } ipv4;
        struct {
            uint16_t domain; /* 0 unless written */
            uint8_t bus, dev, fn;
        } bdf;
        const char *str;
    } v;
    /* Lists ("points=a,b,c"): type is the element type, items holds every element (the first
     * element is also copied into v), n_items >= 1. Scalars: items NULL, n_items 0. */
    const struct scn_value *items;
    size_t n_items;
};

/* Format a value canonically ("2000000000bps" is printed "2Gbps", durations "1.5s", lists
 * comma-separated). Returns buf (always NUL-terminated when len > 0). */
char *scn_value_format(const struct scn_value *v, char *buf, size_t len);

/* A key=value argument. Keys the script left out but the schema gives a default for are
 * present too, with is_default set (and line/col of the verb). */
struct scn_arg {
    const char *key;
    struct scn_value value;
    bool is_default;
    uint32_t line, col; /* of the key */
};

/* ---------------------------------------------------------------------------------------------
 * Objects named by a scenario, and the expectation forms.
 * ------------------------------------------------------------------------------------------- */
enum scn_obj_kind {
    SCN_OBJ_HOST = 1u << 0,   /* h1 */
    SCN_OBJ_PF = 1u << 1,     /* h1.pf0 */
    SCN_OBJ_VF = 1u << 2,     /* h1.pf0.vf3 (implicit: exists for index < total_vfs) */
    SCN_OBJ_SWITCH = 1u << 3, /* h1.sw0 */
    SCN_OBJ_VM = 1u << 4,     /* vm1 */
    SCN_OBJ_PEER = 1u << 5,   /* ext1 */
    SCN_OBJ_FLOW = 1u << 6,   /* f1 */
    SCN_OBJ_POINT = 1u << 7,  /* capture point: vm1.synthetic, vm1.vf (plus any object) */
};

/* "host", "pf", ...; for a single kind bit. */
const char *scn_obj_kind_name(unsigned kind);

enum scn_op {
    SCN_OP_NONE = 0,
    SCN_OP_EQ,         /* == (also '=' in event filters) */
    SCN_OP_NE,         /* != */
    SCN_OP_LT,         /* < */
    SCN_OP_LE,         /* <= */
    SCN_OP_GT,         /* > */
    SCN_OP_GE,         /* >= */
    SCN_OP_CONTIGUOUS, /* flow F.seq contiguous */
};

/* "==", "!=", ..., "contiguous"; "" for NONE. */
const char *scn_op_name(enum scn_op op);

enum scn_expect_kind {
    SCN_EXPECT_VM,           /* expect vm1.datapath == vf */
    SCN_EXPECT_FLOW,         /* expect flow f1.lost <= 64 */
    SCN_EXPECT_OID,          /* expect oid h1.pf0 OID_X status == NDIS_STATUS_SUCCESS */
    SCN_EXPECT_OID_SEQUENCE, /* expect oid-sequence h1.pf0 OID_A OID_B ... */
    SCN_EXPECT_EVENT,        /* expect event vm1 vf-removed kind=surprise */
    SCN_EXPECT_PCI,          /* expect pci h1.pf0 sriov.num_vfs == 4 */
    SCN_EXPECT_SWITCH,       /* expect switch h1.sw0 lookups == 0 */
    SCN_EXPECT_REFUSED,      /* expect refused ["TEXT"]: the previous action was refused
                              * (field_param: that action's statement index; value.text: the
                              * text its reason must contain, or NULL) */
};

/* Fields of `expect VM.FIELD`. */
enum scn_vm_field {
    SCN_VM_DATAPATH, /* enum vf|synthetic: the data path NetVSC currently sends on */
    SCN_VM_VF,       /* name of the VF assigned to the VM, or none */
    SCN_VM_HOST,     /* host the VM runs on */
    SCN_VM_STATE,    /* enum running|migrating|off */
};

/* Fields of `expect flow F.FIELD`. */
enum scn_flow_field {
    SCN_FLOW_SENT,        /* int: packets sent */
    SCN_FLOW_DELIVERED,   /* int: packets delivered (unique) */
    SCN_FLOW_LOST,        /* int: packets dropped (all causes) */
    SCN_FLOW_REORDERED,   /* int */
    SCN_FLOW_DUPLICATES,  /* int */
    SCN_FLOW_RETRANSMITS, /* int (tcp-like flows) */
    SCN_FLOW_IN_FLIGHT,   /* int */
    SCN_FLOW_DROPS,       /* int: drops of one cause; field_param = enum sim_drop_cause */
    SCN_FLOW_GAP_MAX,     /* duration: longest time without a delivery while sending */
    SCN_FLOW_LATENCY_MAX, /* duration */
    SCN_FLOW_GBPS,        /* float: goodput in Gb/s */
    SCN_FLOW_THROUGHPUT,  /* rate: goodput as a rate value (>= 1.9Gbps) */
    SCN_FLOW_ALIVE,       /* bool: the connection survived (tcp-like) / still delivering */
    SCN_FLOW_SEQ,         /* op contiguous only: every byte delivered once, in order */
    SCN_FLOW_REFUSED,     /* int: sends the data path refused (back-pressure; not in sent) */
};

/* Fields of `expect oid PATH OID FIELD`. */
enum scn_oid_field {
    SCN_OIDF_STATUS, /* status name of the last completion of that OID */
    SCN_OIDF_COUNT,  /* int: completions of that OID so far */
};

/* Fields of `expect switch SW FIELD` (the extensible switch's forwarding counters). */
enum scn_switch_field {
    SCN_SW_LOOKUPS,  /* destination MAC lookups so far */
    SCN_SW_VMQ_HITS, /* frames delivered by VMQ VPort id, without a lookup */
};

/* Fields of `expect pci PATH FIELD` (the modelled config space). */
enum scn_pci_field {
    SCN_PCI_PRESENT,            /* bool: the function exists on the fabric */
    SCN_PCI_ASSIGNED,           /* name: the VM the VF is assigned to, or none */
    SCN_PCI_VENDOR_ID,          /* hex */
    SCN_PCI_DEVICE_ID,          /* hex */
    SCN_PCI_COMMAND_MEMORY,     /* bool: Command.Memory Space Enable */
    SCN_PCI_COMMAND_BUS_MASTER, /* bool: Command.Bus Master Enable */
    SCN_PCI_MSIX_ENABLE,        /* bool */
    SCN_PCI_MSIX_TABLE_SIZE,    /* int */
    SCN_PCI_SRIOV_TOTAL_VFS,    /* int (PF only) */
    SCN_PCI_SRIOV_INITIAL_VFS,  /* int (PF only) */
    SCN_PCI_SRIOV_NUM_VFS,      /* int (PF only) */
    SCN_PCI_SRIOV_VF_OFFSET,    /* int (PF only) */
    SCN_PCI_SRIOV_VF_STRIDE,    /* int (PF only) */
    SCN_PCI_SRIOV_VF_DID,       /* hex (PF only) */
    SCN_PCI_SRIOV_VF_ENABLE,    /* bool (PF only) */
    SCN_PCI_SRIOV_VF_MSE,       /* bool (PF only) */
    SCN_PCI_CFG,                /* raw read cfg8/cfg16/cfg32.OFFSET: field_param = offset,
                                 * field_width = 1, 2 or 4 bytes */
};

/* Events that `expect event SUBJECT NAME` can look for (logged since the previous statement). */
#define SCN_EVENT_MAP(X)                                                                           \
    X(VF_OFFERED, "vf-offered")                                                                    \
    X(VF_ADDED, "vf-added")                                                                        \
    X(VF_REMOVED, "vf-removed")                                                                    \
    X(VF_REVOKED, "vf-revoked")                                                                    \
    X(DATAPATH_SWITCHED, "datapath-switched")                                                      \
    X(MIGRATION_STARTED, "migration-started")                                                      \
    X(MIGRATION_BLACKOUT, "migration-blackout")                                                    \
    X(MIGRATION_DONE, "migration-done")                                                            \
    X(SERVICING_STARTED, "servicing-started")                                                      \
    X(SERVICING_ENDED, "servicing-ended")                                                          \
    X(FLR, "flr")                                                                                  \
    X(IOMMU_FAULT, "iommu-fault")                                                                  \
    X(SURPRISE_REMOVAL, "surprise-removal")                                                        \
    X(LINK_DOWN, "link-down")                                                                      \
    X(LINK_UP, "link-up")                                                                          \
    X(OID_FAILED, "oid-failed")                                                                    \
    X(MAILBOX_REFUSED, "mailbox-refused")                                                          \
    X(POLICY_DENIED, "policy-denied")                                                              \
    X(MAC_CHANGE, "mac-change")                                                                    \
    X(VF_ASSOCIATED, "vf-associated")

enum scn_event {
#define SCN_EVENT_ENUM(id, word) SCN_EVENT_##id,
    SCN_EVENT_MAP(SCN_EVENT_ENUM)
#undef SCN_EVENT_ENUM
        SCN_EVENT_COUNT
};

const char *scn_event_name(enum scn_event ev);

/* One filter of an event expectation: `kind=surprise`, `duration<=200ms`. */
struct scn_cond {
    const char *field;
    enum scn_op op;
    struct scn_value value;
    uint32_t line, col;
};

/* The structured form of an `expect` (and of a `wait-until` condition). */
struct scn_expect {
    enum scn_expect_kind kind;
    const char *subject;     /* "vm1", "f1", "h1.pf0", "h1.pf0.vf0" */
    unsigned subject_kind;   /* one SCN_OBJ_* bit */
    const char *field;       /* "datapath", "lost", "drops.ring-full", "status",
                              * "sriov.num_vfs", "cfg32.0x160"; the event name for EVENT;
                              * NULL for OID_SEQUENCE */
    int field_id;            /* enum scn_vm_field / scn_flow_field / scn_oid_field /
                              * scn_pci_field / scn_event, per kind; -1 for OID_SEQUENCE */
    int64_t field_param;     /* drop cause (FLOW_DROPS), cfg offset (PCI_CFG); else 0 */
    int field_width;         /* PCI_CFG: 1, 2 or 4; else 0 */
    const char *oid;         /* OID form: the OID name */
    enum scn_op op;          /* NONE for OID_SEQUENCE and EVENT */
    struct scn_value value;  /* expected value (type NONE-like when op is NONE/CONTIGUOUS:
                              * then value.text is NULL) */
    const char *const *oids; /* OID_SEQUENCE: the expected order */
    size_t n_oids;
    bool exact;                   /* OID_SEQUENCE: exact=true, nothing else may interleave */
    const struct scn_cond *conds; /* EVENT: filters, all must hold on one event */
    size_t n_conds;
};

/* ---------------------------------------------------------------------------------------------
 * Statements and the program.
 * ------------------------------------------------------------------------------------------- */
enum scn_time_form {
    SCN_TIME_OMITTED,   /* no time written: same as "+0" */
    SCN_TIME_ABS,       /* "1.5s" */
    SCN_TIME_REL,       /* "+100ms" */
    SCN_TIME_RANGE_ABS, /* "2s~2.1s" */
    SCN_TIME_RANGE_REL, /* "+0~+100ms" */
};

/*
 * One statement (one non-blank line). Invariants after a successful parse:
 *   - every positional argument and key value has the type the schema gives it;
 *   - every object name refers to an object defined on an earlier line (or to an implicit
 *     VF whose index is below its PF's total_vfs);
 *   - start times never decrease along the program (see `anchor`).
 *
 * When it runs: if anchor < 0, at time_ns (absolute, virtual ns). If anchor >= 0 the
 * statement follows a `wait-until` (statement index `anchor`) and runs offset_ns after that
 * wait-until finished; time_ns is then the latest it can run (wait-until at its timeout).
 */
struct scn_stmt {
    uint32_t line, col; /* of the verb */
    enum scn_verb verb;
    enum scn_time_form time_form;
    sim_time_t time_ns;          /* resolved absolute start (see above) */
    long anchor;                 /* index of the wait-until this statement is relative to, or -1 */
    sim_time_t offset_ns;        /* from the anchor's completion (== time_ns when anchor < 0) */
    sim_time_t window_ns;        /* 0, or the length of the window: a time range or within= on an
                                  * expect (must hold somewhere in [t, t+window]), the timeout of a
                                  * wait-until, the duration of a wait */
    const struct scn_value *pos; /* positional arguments, in schema order */
    size_t n_pos;
    const struct scn_arg *args; /* key=value arguments, in source order, then defaults */
    size_t n_args;
    const struct scn_expect *expect; /* EXPECT and WAIT_UNTIL; NULL otherwise */
    const char *source;              /* the whole line as written, without its comment and trailing
                                      * blanks ("+0      expect flow f1.lost <= 64") */
    const char *text; /* the statement without its time ("expect flow f1.lost <= 64") */
};

struct scn_program;

/* The key=value argument `key` (explicit or default), or NULL. */
const struct scn_arg *scn_stmt_arg(const struct scn_stmt *s, const char *key);
/* Its value, or NULL. */
const struct scn_value *scn_stmt_value(const struct scn_stmt *s, const char *key);

/* Canonical text of a statement, as the checker understood it: resolved time, verb, typed
 * arguments (explicit ones only), e.g. "2.500000000s expect flow f1.lost <= 64". A statement
 * anchored to a wait-until prints "+OFFSET" counted from the wait-until's completion. Parsing
 * the canonical text of a program without wait-until gives the same program. Returns buf. */
char *scn_stmt_format(const struct scn_stmt *s, char *buf, size_t len);
/* Canonical text of an expectation: "flow f1.lost <= 64 within=10ms" (window from stmt). */
char *scn_expect_format(const struct scn_stmt *s, char *buf, size_t len);

/* The file name given to the parser ("failover.scn"). */
const char *scn_program_name(const struct scn_program *p);
size_t scn_program_count(const struct scn_program *p);
/* Statement i (0-based), or NULL when out of range. */
const struct scn_stmt *scn_program_stmt(const struct scn_program *p, size_t i);
/* Number of `expect` statements (the denominator of "N passed, N failed"). */
size_t scn_program_expect_count(const struct scn_program *p);
/* The `seed` statement's value, if the script has one. */
bool scn_program_seed(const struct scn_program *p, uint64_t *seed);
/* Free a program and everything it owns. NULL is ignored. */
void scn_program_destroy(struct scn_program *p);

/* ---------------------------------------------------------------------------------------------
 * Diagnostics: "file:line:col: error: message", gcc-style with the source line and a caret.
 * ------------------------------------------------------------------------------------------- */
enum scn_severity {
    SCN_SEV_ERROR,
    SCN_SEV_WARNING,
    SCN_SEV_NOTE,
};

struct scn_diag {
    enum scn_severity severity;
    const char *file;
    uint32_t line, col;      /* 1-based; col 0 when the message concerns the whole file */
    uint32_t len;            /* width of the offending token in bytes (>= 1 when col > 0) */
    const char *message;     /* "unknown verb 'atach-vf' (did you mean 'attach-vf'?)" */
    const char *source_line; /* the source line (may be NULL), for the caret display */
};

struct scn_diags;

size_t scn_diags_count(const struct scn_diags *d);
size_t scn_diags_error_count(const struct scn_diags *d);
const struct scn_diag *scn_diags_get(const struct scn_diags *d, size_t i);
/* True if more errors were found than the limit allowed to record. */
bool scn_diags_truncated(const struct scn_diags *d);
/* Print every diagnostic: "file:line:col: error: message\n", and with with_source the gcc-style
 * source line and caret below it. Returns the number printed. */
size_t scn_diag_print(FILE *out, const struct scn_diags *d, bool with_source);
/* Format one diagnostic's first line (no newline) into buf; returns buf. */
char *scn_diag_format(const struct scn_diag *diag, char *buf, size_t len);
void scn_diags_destroy(struct scn_diags *d);

/* Best match for `word` among candidates[0..n) by Damerau-Levenshtein distance <= 2 (and less
 * than the word's length), case-insensitive; NULL if none. Ties go to the first candidate. */
const char *scn_suggest(const char *word, const char *const *candidates, size_t n);
/* The optimal-string-alignment edit distance between a and b (case-insensitive). */
unsigned scn_edit_distance(const char *a, const char *b);

/* ---------------------------------------------------------------------------------------------
 * Parsing.
 * ------------------------------------------------------------------------------------------- */
/* Identifier families the language cannot validate itself: it accepts any syntactically valid
 * OID_* / NDIS_STATUS_* name unless the caller installs hooks (the binder checks them against
 * the ndis_shim tables). */
enum scn_ident {
    SCN_IDENT_OID,    /* OID_NIC_SWITCH_ALLOCATE_VF */
    SCN_IDENT_STATUS, /* NDIS_STATUS_SUCCESS */
};

struct scn_parse_opts {
    /* If set, called for every OID / status name; false makes it an error "unknown OID ...". */
    bool (*is_known)(void *ctx, enum scn_ident kind, const char *name);
    /* If set, called for an unknown name to propose a replacement (may return NULL). The
     * returned string must stay valid until the parse returns. scn_suggest() helps. */
    const char *(*suggest)(void *ctx, enum scn_ident kind, const char *name);
    /* If set, called for every `capture start filter=`: false (with a reason in why) makes it
     * an error "invalid BPF filter" (the CLI compiles it with libpcap, as the run would). */
    bool (*check_filter)(void *ctx, const char *filter, char *why, size_t why_len);
    /* Do not report actions run would refuse (an attach of a VF no `sriov` enabled): for
     * generators of random action sequences, which run with scn_run_opts.lenient too. */
    bool lenient;
    void *ctx;
    /* Stop recording after this many errors (0: 20). */
    unsigned max_errors;
};

/*
 * Parse and check a scenario held in memory. `name` is used in diagnostics; text need not be
 * NUL-terminated (len bytes are read). opts may be NULL. diags_out may be NULL.
 *
 * Returns:
 *   0           *prog_out is the checked program; *diags_out (if asked) holds warnings, if any.
 *   SIM_EPARSE  the script has errors: *prog_out is NULL, *diags_out holds every error found
 *               (up to the limit). Nothing of the script may be run.
 *   SIM_EINVAL  a NULL name/text/prog_out.
 *   SIM_ENOMEM  out of memory: *prog_out and *diags_out are NULL, nothing leaked.
 * Every diags object returned must be freed with scn_diags_destroy().
 */
int scn_program_parse_string(const char *name, const char *text, size_t len,
                             const struct scn_parse_opts *opts, struct scn_program **prog_out,
                             struct scn_diags **diags_out);

/*
 * Read `path` and parse it as scn_program_parse_string() does, with `path` as the name.
 * Additional returns: SIM_ENOENT (no such file) and SIM_EIO (unreadable, or larger than
 * SCN_MAX_FILE_SIZE), both with one diagnostic naming the path and the reason.
 * (The CLI maps SIM_EPARSE to exit 65 and SIM_ENOENT to 66.)
 */
int scn_program_parse_file(const char *path, const struct scn_parse_opts *opts,
                           struct scn_program **prog_out, struct scn_diags **diags_out);

#define SCN_MAX_FILE_SIZE (4u << 20) /* 4 MiB: a scenario is a page of text, not a data set */
#define SCN_MAX_LINE      4096       /* bytes per line */

#ifdef __cplusplus
}
#endif

#endif /* SRIOVSIM_SCRIPT_H */
