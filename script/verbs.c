/* SPDX-License-Identifier: MIT */
/*
 * verbs.c — the schema of the scenario language: every verb form with its positional
 * arguments, its keys (type, required, default, range) and a one-line help; the fields of each
 * `expect` form; the events `expect event` can look for. The checker (parser.c) validates
 * against these tables only, so adding a verb or a key is one row here plus its paragraph in
 * docs/scenario-language.md.
 *
 * Windows counterpart: none; the vocabulary follows Hyper-V and NDIS (VF, VPort, OID,
 * NDIS_STATUS_*, vswitch port policy, host servicing).
 */
#include <string.h>

#include "script/script_int.h"

#define N(a) SIM_ARRAY_SIZE(a)

/* Word sets. */
static const char *const w_auto[] = {"auto", NULL};
static const char *const w_auto_none[] = {"auto", "none", NULL};
static const char *const w_none[] = {"none", NULL};
static const char *const w_detach_mode[] = {"graceful", "surprise", NULL};
static const char *const w_proto[] = {"udp", "tcp", NULL};
static const char *const w_allow_deny[] = {"allow", "deny", NULL};
static const char *const w_cfg_policy[] = {"apply", "refuse", "refuse-silent", NULL};
static const char *const w_dir[] = {"read", "write", NULL};
static const char *const w_mbx_request[] = {"any", "mac", "vlan", "multicast", "promiscuous", NULL};
static const char *const w_mbx_request_ev[] = {"mac", "vlan", "multicast", "promiscuous", NULL};
static const char *const w_method[] = {"query", "set", "method", NULL};
static const char *const w_cap_format[] = {"pcapng", "pcap", NULL};
static const char *const w_datapath[] = {"vf", "synthetic", NULL};
static const char *const w_vm_state[] = {"running", "migrating", "off", NULL};
static const char *const w_removal[] = {"surprise", "graceful", NULL};
static const char *const w_revoke_reason[] = {"detach", "servicing", "migration",
                                              "policy", "fault",     NULL};
static const char *const w_flr_result[] = {"ok", "timeout", NULL};
static const char *const w_iommu_result[] = {"blocked", "translated", NULL};
static const char *const w_policy_request[] = {"allocate-vf", "mac-change", "vlan-change", NULL};

#define ANY_FN       (SCN_OBJ_PF | SCN_OBJ_VF)
#define ANY_ENDPOINT (SCN_OBJ_VM | SCN_OBJ_PEER)
#define ANY_OBJECT                                                                                 \
    (SCN_OBJ_HOST | SCN_OBJ_PF | SCN_OBJ_VF | SCN_OBJ_SWITCH | SCN_OBJ_VM | SCN_OBJ_PEER)

/* Positional and key rows: name, type, flags, kinds, words, default, min, max, help. */
#define POS(n, t, k, h)                                                                            \
    {                                                                                              \
        n, t, 0, k, NULL, NULL, 0, 0, h                                                            \
    }
#define DEF(n, k, h)                                                                               \
    {                                                                                              \
        n, SCN_T_NAME, SCN_P_DEFINES, k, NULL, NULL, 0, 0, h                                       \
    }
#define KEY(n, t, f, k, w, d, h)                                                                   \
    {                                                                                              \
        n, t, f, k, w, d, 0, 0, h                                                                  \
    }
#define KINT(n, f, d, lo, hi, h)                                                                   \
    {                                                                                              \
        n, SCN_T_INT, f, 0, NULL, d, lo, hi, h                                                     \
    }
#define KHEX(n, f, d, lo, hi, h)                                                                   \
    {                                                                                              \
        n, SCN_T_HEX, f, 0, NULL, d, lo, hi, h                                                     \
    }

/* ---- topology ---- */
static const struct scn_param host_pos[] = {DEF("HOST", SCN_OBJ_HOST, "new host name, e.g. h1")};

static const struct scn_param pf_pos[] = {
    DEF("PF", SCN_OBJ_PF, "HOST.NAME of the new physical function, e.g. h1.pf0")};
static const struct scn_param pf_keys[] = {
    KINT("total_vfs", 0, "8", 1, 256, "SR-IOV TotalVFs: VFs the PF can expose (h1.pf0.vf0 ...)"),
    KHEX("vf_offset", 0, "0x80", 1, 0xffff, "SR-IOV First VF Offset (routing ID distance)"),
    KHEX("vf_stride", 0, "2", 1, 0xffff, "SR-IOV VF Stride"),
    KHEX("vid", 0, "0x8086", 0, 0xffff, "PCI vendor ID of the PF and its VFs"),
    KHEX("did", 0, "0x10fb", 0, 0xffff, "PCI device ID of the PF"),
    KHEX("vf_did", 0, "0x10ed", 0, 0xffff, "SR-IOV VF Device ID"),
    KEY("bdf", SCN_T_BDF, 0, 0, NULL, NULL, "PCI address; default: the next free bus"),
    KEY("mac", SCN_T_MAC, 0, 0, NULL, NULL, "permanent MAC of the port; default: derived"),
    KEY("rate", SCN_T_RATE, 0, 0, NULL, "10Gbps", "speed of the physical port"),
};

static const struct scn_param sriov_pos[] = {POS("PF", SCN_T_NAME, SCN_OBJ_PF, "the PF")};
static const struct scn_param sriov_keys[] = {
    KINT("num_vfs", SCN_P_REQUIRED, NULL, 0, 256,
         "SR-IOV NumVFs to enable (0 disables); at most total_vfs"),
};

static const struct scn_param vswitch_pos[] = {
    DEF("SWITCH", SCN_OBJ_SWITCH, "HOST.NAME of the new virtual switch, e.g. h1.sw0")};
static const struct scn_param vswitch_keys[] = {
    KEY("uplink", SCN_T_NAME, 0, SCN_OBJ_PF, NULL, NULL,
        "PF on the same host; none: an internal switch"),
    KEY("iov", SCN_T_BOOL, 0, 0, NULL, "true", "SR-IOV enabled on this switch (set at creation)"),
};

static const struct scn_param vm_pos[] = {DEF("VM", SCN_OBJ_VM, "new VM name, e.g. vm1")};
static const struct scn_param vm_keys[] = {
    KEY("on", SCN_T_NAME, SCN_P_REQUIRED, SCN_OBJ_HOST, NULL, NULL, "host it runs on"),
    KEY("switch", SCN_T_NAME, SCN_P_REQUIRED, SCN_OBJ_SWITCH, NULL, NULL,
        "vswitch of that host its network adapter connects to"),
    KEY("mac", SCN_T_MAC, 0, 0, NULL, NULL, "adapter MAC; default: derived"),
    KEY("ip", SCN_T_IPV4, 0, 0, NULL, NULL, "adapter IPv4 address"),
    KEY("vf", SCN_T_NAME, 0, SCN_OBJ_VF, w_auto_none, "none",
        "VF to give it at start: auto (any free VF), a VF name, or none"),
    KEY("early-vf-fix", SCN_T_BOOL, 0, 0, NULL, "true",
        "false: NetVSC as Linux before its 2022 fix (a VF bound before the association is "
        "never used)"),
    KEY("vmq", SCN_T_BOOL, 0, 0, NULL, "false",
        "true: its own PF VPort (VMQ queue) holds its MAC filter while it has no VF; the "
        "switch delivers its frames without a MAC lookup"),
};

static const struct scn_param peer_pos[] = {
    DEF("PEER", SCN_OBJ_PEER, "new external endpoint name, e.g. ext1")};
static const struct scn_param peer_keys[] = {
    KEY("on", SCN_T_NAME, SCN_P_REQUIRED, SCN_OBJ_SWITCH, NULL, NULL,
        "vswitch whose physical port (uplink wire) it sits behind"),
    KEY("ip", SCN_T_IPV4, 0, 0, NULL, NULL, "IPv4 address"),
    KEY("mac", SCN_T_MAC, 0, 0, NULL, NULL, "MAC; default: derived"),
};

static const struct scn_param link_pos[] = {
    POS("SWITCH", SCN_T_NAME, SCN_OBJ_SWITCH, "one end"),
    POS("SWITCH", SCN_T_NAME, SCN_OBJ_SWITCH, "the other end"),
};
static const struct scn_param link_keys[] = {
    KEY("latency", SCN_T_DURATION, 0, 0, NULL, NULL, "one-way latency; default: cost.link_latency"),
    KEY("rate", SCN_T_RATE, 0, 0, NULL, NULL, "speed; default: the slower uplink"),
};

/* ---- VF control and policy ---- */
static const struct scn_param vmref_pos[] = {POS("VM", SCN_T_NAME, SCN_OBJ_VM, "the VM")};
static const struct scn_param attach_keys[] = {
    KEY("vf", SCN_T_NAME, 0, SCN_OBJ_VF, w_auto, "auto", "VF to assign, or auto (any free VF)"),
};
static const struct scn_param detach_keys[] = {
    KEY("mode", SCN_T_ENUM, 0, 0, w_detach_mode, "graceful",
        "graceful: guest gets a removal request; surprise: the VF vanishes"),
};

static const struct scn_param policy_pos[] = {POS("TARGET", SCN_T_NAME, SCN_OBJ_SWITCH | SCN_OBJ_VM,
                                                  "a vswitch (all its ports) or a VM (its port)")};
static const struct scn_param policy_keys[] = {
    KEY("allocate-vf", SCN_T_ENUM, 0, 0, w_allow_deny, NULL,
        "deny: a switch extension vetoes OID_NIC_SWITCH_ALLOCATE_VF"),
    KEY("mac-change", SCN_T_ENUM, 0, 0, w_cfg_policy, NULL,
        "VF MAC change requests over the mailbox: apply, refuse (NACK), refuse-silent"),
    KEY("vlan-change", SCN_T_ENUM, 0, 0, w_cfg_policy, NULL, "the same for VLAN requests"),
    KEY("trusted", SCN_T_BOOL, 0, 0, NULL, NULL, "VF may send with a MAC it does not own"),
    KEY("spoof-check", SCN_T_BOOL, 0, 0, NULL, NULL, "drop frames with a foreign source MAC"),
};

static const struct scn_param vf_mac_keys[] = {
    KEY("mac", SCN_T_MAC, SCN_P_REQUIRED, 0, NULL, NULL,
        "the MAC the guest asks its VF to use (a unicast, non-zero MAC)"),
};

/* ---- faults ---- */
static const struct scn_param fn_pos[] = {
    POS("FUNCTION", SCN_T_NAME, ANY_FN, "a VF (h1.pf0.vf0) or a PF")};
static const struct scn_param vf_pos[] = {POS("VF", SCN_T_NAME, SCN_OBJ_VF, "a VF")};
static const struct scn_param pfref_pos[] = {POS("PF", SCN_T_NAME, SCN_OBJ_PF, "a PF")};
static const struct scn_param flr_keys[] = {
    KEY("delay", SCN_T_DURATION, 0, 0, NULL, NULL,
        "the reset completes this late; absent: never completes"),
    KINT("count", 0, "1", 1, 1000000, "how many FLRs are affected"),
};
static const struct scn_param iommu_keys[] = {
    KHEX("addr", 0, NULL, 0, 0, "I/O virtual address that faults; absent: the next DMA"),
    KEY("dir", SCN_T_ENUM, 0, 0, w_dir, "write", "read or write (device's view)"),
    KINT("count", 0, "1", 1, 1000000, "how many DMAs fault"),
};
static const struct scn_param oidref_pos[] = {
    POS("OID", SCN_T_OID, 0, "the OID to fail, e.g. OID_NIC_SWITCH_CREATE_VPORT")};
static const struct scn_param fault_oid_keys[] = {
    KEY("status", SCN_T_STATUS, SCN_P_REQUIRED, 0, NULL, NULL, "status it completes with"),
    KEY("on", SCN_T_NAME, 0, SCN_OBJ_PF | SCN_OBJ_VF | SCN_OBJ_VM, NULL, NULL,
        "only requests to this adapter; absent: any"),
    KINT("count", 0, "1", 1, 1000000, "how many requests fail"),
    KINT("after", 0, "0", 0, 1000000, "let this many requests succeed first"),
};
static const struct scn_param mailbox_keys[] = {
    KEY("request", SCN_T_ENUM, 0, 0, w_mbx_request, "any", "which VF->PF request is refused"),
    KEY("silent", SCN_T_BOOL, 0, 0, NULL, "false",
        "acknowledge but do not apply (the guest believes it worked)"),
    KINT("count", 0, "1", 1, 1000000, "how many requests are refused"),
};
static const struct scn_param clear_pos[] = {
    {"TARGET", SCN_T_NAME, SCN_P_OPTIONAL, ANY_OBJECT, NULL, NULL, 0, 0,
     "clear the faults on this object; absent: all faults"},
};

/* ---- traffic, migration, servicing ---- */
static const struct scn_param flow_start_pos[] = {
    DEF("FLOW", SCN_OBJ_FLOW, "new flow name, e.g. f1")};
static const struct scn_param flow_start_keys[] = {
    KEY("from", SCN_T_NAME, SCN_P_REQUIRED, ANY_ENDPOINT, NULL, NULL, "sending VM or peer"),
    KEY("to", SCN_T_NAME, SCN_P_REQUIRED, ANY_ENDPOINT, NULL, NULL, "receiving VM or peer"),
    KEY("proto", SCN_T_ENUM, 0, 0, w_proto, "udp",
        "udp: datagrams, losses stay lost; tcp: retransmits fill holes"),
    KEY("rate", SCN_T_RATE, 0, 0, NULL, "1Gbps", "offered load"),
    {"size", SCN_T_SIZE, 0, 0, NULL, "1448", 1, 65535, "payload bytes per packet"},
    KINT("count", 0, NULL, 1, 0, "stop after this many packets; absent: until flow stop"),
};
static const struct scn_param flowref_pos[] = {POS("FLOW", SCN_T_NAME, SCN_OBJ_FLOW, "a flow")};

static const struct scn_param migrate_keys[] = {
    KEY("to", SCN_T_NAME, SCN_P_REQUIRED, SCN_OBJ_HOST, NULL, NULL, "destination host"),
    KEY("precopy", SCN_T_DURATION, 0, 0, NULL, NULL,
        "memory pre-copy phase; default: cost.migration_precopy"),
    KEY("blackout", SCN_T_DURATION, 0, 0, NULL, NULL,
        "final stop-and-copy; default: cost.migration_blackout"),
};

static const struct scn_param servicing_pos[] = {
    POS("HOST", SCN_T_NAME, SCN_OBJ_HOST, "host being serviced")};
static const struct scn_param servicing_keys[] = {
    KEY("duration", SCN_T_DURATION, SCN_P_REQUIRED, 0, NULL, NULL,
        "how long every VF of the host stays revoked"),
};

/* ---- capture and marks ---- */
static const struct scn_param capture_keys[] = {
    KEY("points", SCN_T_NAME, SCN_P_LIST, ANY_OBJECT | SCN_OBJ_POINT, NULL, NULL,
        "capture points (vm1.synthetic, vm1.vf, h1.pf0, ...); absent: all"),
    KEY("file", SCN_T_STRING, 0, 0, NULL, NULL, "output file; default: the CLI's --capture"),
    KEY("filter", SCN_T_STRING, 0, 0, NULL, NULL, "BPF filter (tcpdump syntax)"),
    KEY("format", SCN_T_ENUM, 0, 0, w_cap_format, "pcapng",
        "pcapng (one interface per point) or pcap (classic fallback)"),
    {"snaplen", SCN_T_SIZE, 0, 0, NULL, NULL, 1, 262144, "bytes kept per packet"},
};
static const struct scn_param mark_pos[] = {
    POS("TEXT", SCN_T_STRING, 0, "comment attached to the next captured packet")};

/* ---- raw OIDs ---- */
static const struct scn_param oid_pos[] = {
    POS("ADAPTER", SCN_T_NAME, SCN_OBJ_PF | SCN_OBJ_VF | SCN_OBJ_VM,
        "PF miniport (h1.pf0), VF miniport (h1.pf0.vf0) or VM adapter (vm1)"),
    POS("OID", SCN_T_OID, 0, "OID name"),
};
static const struct scn_param oid_keys[] = {
    KINT("vf", 0, NULL, 0, 255, "VF id the request is about (SR-IOV OIDs)"),
    KEY("method", SCN_T_ENUM, 0, 0, w_method, NULL, "default: the OID's own method"),
};

/* ---- time and control ---- */
static const struct scn_param wait_pos[] = {
    POS("DURATION", SCN_T_DURATION, 0, "how long later statements are held back")};
static const struct scn_param wait_until_keys[] = {
    KEY("timeout", SCN_T_DURATION, 0, 0, NULL, "10s",
        "give up after this long (counts as a failed expectation)"),
};
static const struct scn_param expect_keys[] = {
    KEY("within", SCN_T_DURATION, 0, 0, NULL, NULL,
        "must become true at some point in [t, t+within]"),
};

/* Cost-model constants. No defaults here: the model's own defaults apply (documented by the
 * modules that own them); `set` only overrides. */
static const struct scn_param set_keys[] = {
    KEY("cost.vf_offer_delay", SCN_T_DURATION, 0, 0, NULL, NULL,
        "host delay before offering a VF to the guest"),
    KEY("cost.vf_init_delay", SCN_T_DURATION, 0, 0, NULL, NULL,
        "VF miniport initialization in the guest"),
    KEY("cost.datapath_switch_delay", SCN_T_DURATION, 0, 0, NULL, NULL,
        "host handling of NVSP SWITCH_DATA_PATH"),
    KEY("cost.vf_association_delay", SCN_T_DURATION, 0, 0, NULL, NULL,
        "host delay of NVSP VF_ASSOCIATION after the VPCI offer starts (race knob)"),
    KEY("cost.graceful_removal_timeout", SCN_T_DURATION, 0, 0, NULL, NULL,
        "guest time to release a VF before it is surprise-removed"),
    KEY("cost.flr_duration", SCN_T_DURATION, 0, 0, NULL, NULL, "function level reset"),
    KEY("cost.mailbox_latency", SCN_T_DURATION, 0, 0, NULL, NULL, "PF<->VF mailbox round trip"),
    KEY("cost.vmbus_latency", SCN_T_DURATION, 0, 0, NULL, NULL, "VMBus signal to the peer"),
    KEY("cost.vswitch_per_packet", SCN_T_DURATION, 0, 0, NULL, NULL,
        "host CPU per packet in the software switch (synthetic path)"),
    KEY("cost.hop_latency", SCN_T_DURATION, 0, 0, NULL, NULL, "per-hop latency in the NIC"),
    KEY("cost.link_latency", SCN_T_DURATION, 0, 0, NULL, NULL, "default link latency"),
    KEY("cost.migration_precopy", SCN_T_DURATION, 0, 0, NULL, NULL, "default pre-copy"),
    KEY("cost.migration_blackout", SCN_T_DURATION, 0, 0, NULL, NULL, "default blackout"),
    KEY("cost.link_rate", SCN_T_RATE, 0, 0, NULL, NULL, "default physical port speed"),
    KINT("limit.vmbus_ring", 0, NULL, 1, 1u << 20, "VMBus ring size in packets"),
    KINT("limit.vf_ring", 0, NULL, 1, 1u << 20, "VF descriptor ring size"),
};

static const struct scn_param seed_pos[] = {POS("SEED", SCN_T_INT, 0, "PRNG seed of the run")};

#define ROW(id, pos, keys, flags, help)                                                            \
    {                                                                                              \
        SCN_VERB_##id, NULL, NULL, pos, N(pos), keys, N(keys), flags, help                         \
    }
#define ROW0(id, flags, help)                                                                      \
    {                                                                                              \
        SCN_VERB_##id, NULL, NULL, NULL, 0, NULL, 0, flags, help                                   \
    }
#define ROWP(id, pos, flags, help)                                                                 \
    {                                                                                              \
        SCN_VERB_##id, NULL, NULL, pos, N(pos), NULL, 0, flags, help                               \
    }
#define ROWK(id, keys, flags, help)                                                                \
    {                                                                                              \
        SCN_VERB_##id, NULL, NULL, NULL, 0, keys, N(keys), flags, help                             \
    }

/* One row per verb form, in enum order (a test checks verbs[i].verb == i). The words come from
 * SCN_VERB_MAP: use scn_verb_name(spec->verb); the name/sub fields stay NULL. */
static const struct scn_verb_spec verbs[SCN_VERB_COUNT] = {
    ROWP(HOST, host_pos, SCN_V_SETUP, "define a Hyper-V host"),
    ROW(PF, pf_pos, pf_keys, SCN_V_SETUP, "define an SR-IOV physical function on a host"),
    ROW(SRIOV, sriov_pos, sriov_keys, 0, "set SR-IOV NumVFs on a PF (VF Enable)"),
    ROW(VSWITCH, vswitch_pos, vswitch_keys, SCN_V_SETUP, "define a Hyper-V virtual switch"),
    ROW(VM, vm_pos, vm_keys, 0, "define and start a VM with one network adapter"),
    ROW(PEER, peer_pos, peer_keys, 0, "define an external endpoint behind a switch's uplink"),
    ROW(LINK, link_pos, link_keys, SCN_V_SETUP, "connect the uplinks of two switches"),
    ROW(ATTACH_VF, vmref_pos, attach_keys, 0, "assign a VF to a VM (full bring-up sequence)"),
    ROW(DETACH_VF, vmref_pos, detach_keys, 0, "take the VF away from a VM (failover sequence)"),
    ROW(POLICY, policy_pos, policy_keys, SCN_V_NEED_KEY, "set switch port policy"),
    ROW(VF_MAC, vmref_pos, vf_mac_keys, 0,
        "the guest asks its VF for a MAC change over the PF<->VF mailbox"),
    ROWP(FAULT_SURPRISE_REMOVE, fn_pos, 0, "surprise-remove a function from the fabric"),
    ROW(FAULT_FLR_TIMEOUT, vf_pos, flr_keys, 0, "make the next FLR of a VF not complete in time"),
    ROW(FAULT_IOMMU, fn_pos, iommu_keys, 0, "make a function's DMA fault in the IOMMU"),
    ROWP(FAULT_LINK_DOWN, pfref_pos, 0, "take a PF's physical link down"),
    ROWP(FAULT_LINK_UP, pfref_pos, 0, "bring a PF's physical link back up"),
    ROW(FAULT_OID, oidref_pos, fault_oid_keys, 0, "make an OID request fail"),
    ROW(FAULT_MAILBOX_REFUSE, vf_pos, mailbox_keys, 0, "refuse a VF's mailbox request"),
    ROWP(FAULT_CLEAR, clear_pos, 0, "remove injected faults"),
    ROW(FLOW_START, flow_start_pos, flow_start_keys, 0, "start a traffic flow"),
    ROWP(FLOW_STOP, flowref_pos, 0, "stop a traffic flow (its figures stay readable)"),
    ROW(MIGRATE, vmref_pos, migrate_keys, 0, "live-migrate a VM to another host"),
    ROW(SERVICING, servicing_pos, servicing_keys, 0,
        "host servicing: revoke every VF on the host for a while"),
    ROWK(CAPTURE_START, capture_keys, SCN_V_ONCE, "start capturing to pcapng"),
    ROW0(CAPTURE_STOP, 0, "stop capturing and close the file"),
    ROWP(MARK, mark_pos, 0, "write a comment on the next captured packet"),
    ROW(OID, oid_pos, oid_keys, SCN_V_OPEN_KEYS, "send a raw OID request and print it"),
    ROWP(WAIT, wait_pos, 0, "hold back later relative statements"),
    ROWK(WAIT_UNTIL, wait_until_keys, SCN_V_CONDITION,
         "hold back later statements until a condition holds"),
    ROWK(SET, set_keys, SCN_V_NEED_KEY, "override cost-model constants"),
    ROWP(SEED, seed_pos, SCN_V_SETUP | SCN_V_ONCE, "fix the PRNG seed (--seed overrides it)"),
    ROW0(END, 0, "end the scenario at this time"),
    ROWK(EXPECT, expect_keys, SCN_V_CONDITION | SCN_V_RANGE_OK, "assert a condition"),
};

static const struct {
    const char *name, *sub;
} verb_words[SCN_VERB_COUNT] = {
#define SCN_VERB_WORDS(id, word, sub) {word, sub},
    SCN_VERB_MAP(SCN_VERB_WORDS)
#undef SCN_VERB_WORDS
};

static const char *const verb_names[] = {
    "host",      "pf",     "sriov",      "vswitch", "vm",      "peer",      "link",    "attach-vf",
    "detach-vf", "policy", "fault",      "flow",    "migrate", "servicing", "capture", "mark",
    "oid",       "wait",   "wait-until", "set",     "seed",    "end",       "expect",
};

const char *
scn_verb_name(enum scn_verb verb)
{
    return (unsigned)verb < SCN_VERB_COUNT ? verb_words[verb].name : "?";
}

const char *
scn_verb_sub(enum scn_verb verb)
{
    return (unsigned)verb < SCN_VERB_COUNT ? verb_words[verb].sub : NULL;
}

const struct scn_verb_spec *
scn__verb_spec(enum scn_verb verb)
{
    if ((unsigned)verb >= SCN_VERB_COUNT)
        return NULL;
    return &verbs[verb];
}

const struct scn_verb_spec *
scn__verb_find(const char *name, const char *sub)
{
    for (int i = 0; i < SCN_VERB_COUNT; i++) {
        if (strcmp(verb_words[i].name, name) != 0)
            continue;
        if (sub == NULL || (verb_words[i].sub != NULL && strcmp(verb_words[i].sub, sub) == 0))
            return scn__verb_spec((enum scn_verb)i);
    }
    return NULL;
}

const char *const *
scn__verb_names(size_t *n)
{
    *n = N(verb_names);
    return verb_names;
}

size_t
scn__verb_subs(const char *name, const char **out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < SCN_VERB_COUNT; i++)
        if (strcmp(verb_words[i].name, name) == 0 && verb_words[i].sub != NULL && n < cap)
            out[n++] = verb_words[i].sub;
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Expect fields: name, id, type, subject kinds, words, value kinds (NAME), ordered.
 * ------------------------------------------------------------------------------------------- */
static const struct scn_field_spec vm_fields[] = {
    {"datapath", SCN_VM_DATAPATH, SCN_T_ENUM, SCN_OBJ_VM, w_datapath, 0, false},
    {"vf", SCN_VM_VF, SCN_T_NAME, SCN_OBJ_VM, w_none, SCN_OBJ_VF, false},
    {"host", SCN_VM_HOST, SCN_T_NAME, SCN_OBJ_VM, NULL, SCN_OBJ_HOST, false},
    {"state", SCN_VM_STATE, SCN_T_ENUM, SCN_OBJ_VM, w_vm_state, 0, false},
};

static const struct scn_field_spec flow_fields[] = {
    {"sent", SCN_FLOW_SENT, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"delivered", SCN_FLOW_DELIVERED, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"lost", SCN_FLOW_LOST, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"reordered", SCN_FLOW_REORDERED, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"duplicates", SCN_FLOW_DUPLICATES, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"retransmits", SCN_FLOW_RETRANSMITS, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"in_flight", SCN_FLOW_IN_FLIGHT, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"refused", SCN_FLOW_REFUSED, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"drops", SCN_FLOW_DROPS, SCN_T_INT, SCN_OBJ_FLOW, NULL, 0, true},
    {"gap_max", SCN_FLOW_GAP_MAX, SCN_T_DURATION, SCN_OBJ_FLOW, NULL, 0, true},
    {"latency_max", SCN_FLOW_LATENCY_MAX, SCN_T_DURATION, SCN_OBJ_FLOW, NULL, 0, true},
    {"gbps", SCN_FLOW_GBPS, SCN_T_FLOAT, SCN_OBJ_FLOW, NULL, 0, true},
    {"throughput", SCN_FLOW_THROUGHPUT, SCN_T_RATE, SCN_OBJ_FLOW, NULL, 0, true},
    {"alive", SCN_FLOW_ALIVE, SCN_T_BOOL, SCN_OBJ_FLOW, NULL, 0, false},
    {"seq", SCN_FLOW_SEQ, SCN_T_WORD, SCN_OBJ_FLOW, NULL, 0, false},
};

static const struct scn_field_spec oid_fields[] = {
    {"status", SCN_OIDF_STATUS, SCN_T_STATUS, ANY_FN | SCN_OBJ_VM, NULL, 0, false},
    {"count", SCN_OIDF_COUNT, SCN_T_INT, ANY_FN | SCN_OBJ_VM, NULL, 0, true},
};

static const struct scn_field_spec pci_fields[] = {
    {"present", SCN_PCI_PRESENT, SCN_T_BOOL, ANY_FN, NULL, 0, false},
    {"assigned", SCN_PCI_ASSIGNED, SCN_T_NAME, SCN_OBJ_VF, w_none, SCN_OBJ_VM, false},
    {"vendor_id", SCN_PCI_VENDOR_ID, SCN_T_HEX, ANY_FN, NULL, 0, true},
    {"device_id", SCN_PCI_DEVICE_ID, SCN_T_HEX, ANY_FN, NULL, 0, true},
    {"command.memory", SCN_PCI_COMMAND_MEMORY, SCN_T_BOOL, ANY_FN, NULL, 0, false},
    {"command.bus_master", SCN_PCI_COMMAND_BUS_MASTER, SCN_T_BOOL, ANY_FN, NULL, 0, false},
    {"msix.enable", SCN_PCI_MSIX_ENABLE, SCN_T_BOOL, ANY_FN, NULL, 0, false},
    {"msix.table_size", SCN_PCI_MSIX_TABLE_SIZE, SCN_T_INT, ANY_FN, NULL, 0, true},
    {"sriov.total_vfs", SCN_PCI_SRIOV_TOTAL_VFS, SCN_T_INT, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.initial_vfs", SCN_PCI_SRIOV_INITIAL_VFS, SCN_T_INT, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.num_vfs", SCN_PCI_SRIOV_NUM_VFS, SCN_T_INT, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.vf_offset", SCN_PCI_SRIOV_VF_OFFSET, SCN_T_HEX, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.vf_stride", SCN_PCI_SRIOV_VF_STRIDE, SCN_T_HEX, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.vf_did", SCN_PCI_SRIOV_VF_DID, SCN_T_HEX, SCN_OBJ_PF, NULL, 0, true},
    {"sriov.vf_enable", SCN_PCI_SRIOV_VF_ENABLE, SCN_T_BOOL, SCN_OBJ_PF, NULL, 0, false},
    {"sriov.vf_mse", SCN_PCI_SRIOV_VF_MSE, SCN_T_BOOL, SCN_OBJ_PF, NULL, 0, false},
    /* cfg8/cfg16/cfg32.OFFSET are recognised by the checker; listed for suggestions. */
    {"cfg8", SCN_PCI_CFG, SCN_T_HEX, ANY_FN, NULL, 0, true},
    {"cfg16", SCN_PCI_CFG, SCN_T_HEX, ANY_FN, NULL, 0, true},
    {"cfg32", SCN_PCI_CFG, SCN_T_HEX, ANY_FN, NULL, 0, true},
};

const struct scn_field_spec *
scn__vm_fields(size_t *n)
{
    *n = N(vm_fields);
    return vm_fields;
}

const struct scn_field_spec *
scn__flow_fields(size_t *n)
{
    *n = N(flow_fields);
    return flow_fields;
}

const struct scn_field_spec *
scn__oid_fields(size_t *n)
{
    *n = N(oid_fields);
    return oid_fields;
}

const struct scn_field_spec *
scn__pci_fields(size_t *n)
{
    *n = N(pci_fields);
    return pci_fields;
}

static const struct scn_field_spec switch_fields[] = {
    {"lookups", SCN_SW_LOOKUPS, SCN_T_INT, SCN_OBJ_SWITCH, NULL, 0, true},
    {"vmq_hits", SCN_SW_VMQ_HITS, SCN_T_INT, SCN_OBJ_SWITCH, NULL, 0, true},
};

const struct scn_field_spec *
scn__switch_fields(size_t *n)
{
    *n = N(switch_fields);
    return switch_fields;
}

/* ---------------------------------------------------------------------------------------------
 * Events. Fields: the filters `expect event` may use on each.
 * ------------------------------------------------------------------------------------------- */
#define EVF(n, t, w, nk, ord)                                                                      \
    {                                                                                              \
        n, 0, t, 0, w, nk, ord                                                                     \
    }
static const struct scn_field_spec ev_vf[] = {EVF("vf", SCN_T_NAME, NULL, SCN_OBJ_VF, false)};
static const struct scn_field_spec ev_vf_offered[] = {
    EVF("vf", SCN_T_NAME, NULL, SCN_OBJ_VF, false),
    EVF("delay", SCN_T_DURATION, NULL, 0, true),
};
static const struct scn_field_spec ev_vf_removed[] = {
    EVF("kind", SCN_T_ENUM, w_removal, 0, false),
    EVF("vf", SCN_T_NAME, NULL, SCN_OBJ_VF, false),
    EVF("cause", SCN_T_STRING, NULL, 0, false),
    EVF("duration", SCN_T_DURATION, NULL, 0, true),
    EVF("lost", SCN_T_INT, NULL, 0, true),
};
static const struct scn_field_spec ev_vf_revoked[] = {
    EVF("reason", SCN_T_ENUM, w_revoke_reason, 0, false),
    EVF("vf", SCN_T_NAME, NULL, SCN_OBJ_VF, false),
};
static const struct scn_field_spec ev_switched[] = {
    EVF("to", SCN_T_ENUM, w_datapath, 0, false),
    EVF("duration", SCN_T_DURATION, NULL, 0, true),
    EVF("vf", SCN_T_NAME, NULL, SCN_OBJ_VF, false),
};
static const struct scn_field_spec ev_mig_started[] = {
    EVF("to", SCN_T_NAME, NULL, SCN_OBJ_HOST, false),
    EVF("from", SCN_T_NAME, NULL, SCN_OBJ_HOST, false),
};
static const struct scn_field_spec ev_duration[] = {EVF("duration", SCN_T_DURATION, NULL, 0, true)};
static const struct scn_field_spec ev_mig_done[] = {
    EVF("host", SCN_T_NAME, NULL, SCN_OBJ_HOST, false),
    EVF("duration", SCN_T_DURATION, NULL, 0, true),
};
static const struct scn_field_spec ev_flr[] = {
    EVF("result", SCN_T_ENUM, w_flr_result, 0, false),
    EVF("duration", SCN_T_DURATION, NULL, 0, true),
    EVF("vm", SCN_T_NAME, NULL, SCN_OBJ_VM, false),
};
static const struct scn_field_spec ev_iommu[] = {
    EVF("addr", SCN_T_HEX, NULL, 0, true),
    EVF("dir", SCN_T_ENUM, w_dir, 0, false),
    EVF("len", SCN_T_INT, NULL, 0, true),
    EVF("reason", SCN_T_STRING, NULL, 0, false),
    EVF("result", SCN_T_ENUM, w_iommu_result, 0, false),
};
static const struct scn_field_spec ev_surprise[] = {
    EVF("vm", SCN_T_NAME, NULL, SCN_OBJ_VM, false),
    EVF("timed_out", SCN_T_BOOL, NULL, 0, false),
};
static const struct scn_field_spec ev_oid_failed[] = {
    EVF("oid", SCN_T_OID, NULL, 0, false),
    EVF("status", SCN_T_STATUS, NULL, 0, false),
    EVF("result", SCN_T_STRING, NULL, 0, false),
    EVF("step", SCN_T_STRING, NULL, 0, false),
};
static const struct scn_field_spec ev_mailbox[] = {
    EVF("request", SCN_T_ENUM, w_mbx_request_ev, 0, false),
    EVF("silent", SCN_T_BOOL, NULL, 0, false),
    EVF("vm", SCN_T_NAME, NULL, SCN_OBJ_VM, false),
};
static const struct scn_field_spec ev_mac_change[] = {
    EVF("status", SCN_T_STATUS, NULL, 0, false),
    EVF("applied", SCN_T_BOOL, NULL, 0, false),
    EVF("mac", SCN_T_STRING, NULL, 0, false),
};
static const struct scn_field_spec ev_policy[] = {
    EVF("request", SCN_T_ENUM, w_policy_request, 0, false),
    EVF("oid", SCN_T_OID, NULL, 0, false),
    EVF("switch", SCN_T_NAME, NULL, SCN_OBJ_SWITCH, false),
};

#define EV(id, kinds, f)                                                                           \
    {                                                                                              \
        SCN_EVENT_##id, NULL, kinds, f, N(f)                                                       \
    }
#define EV0(id, kinds)                                                                             \
    {                                                                                              \
        SCN_EVENT_##id, NULL, kinds, NULL, 0                                                       \
    }
static const struct scn_event_spec events[SCN_EVENT_COUNT] = {
    EV(VF_OFFERED, SCN_OBJ_VM, ev_vf_offered),
    EV(VF_ADDED, SCN_OBJ_VM, ev_vf),
    EV(VF_REMOVED, SCN_OBJ_VM, ev_vf_removed),
    EV(VF_REVOKED, SCN_OBJ_VM, ev_vf_revoked),
    EV(DATAPATH_SWITCHED, SCN_OBJ_VM, ev_switched),
    EV(MIGRATION_STARTED, SCN_OBJ_VM, ev_mig_started),
    EV(MIGRATION_BLACKOUT, SCN_OBJ_VM, ev_duration),
    EV(MIGRATION_DONE, SCN_OBJ_VM, ev_mig_done),
    EV(SERVICING_STARTED, SCN_OBJ_HOST, ev_duration),
    EV0(SERVICING_ENDED, SCN_OBJ_HOST),
    EV(FLR, SCN_OBJ_VF | SCN_OBJ_PF, ev_flr),
    EV(IOMMU_FAULT, ANY_FN, ev_iommu),
    EV(SURPRISE_REMOVAL, ANY_FN, ev_surprise),
    EV0(LINK_DOWN, SCN_OBJ_PF),
    EV0(LINK_UP, SCN_OBJ_PF),
    EV(OID_FAILED, ANY_FN | SCN_OBJ_VM, ev_oid_failed),
    EV(MAILBOX_REFUSED, SCN_OBJ_VF, ev_mailbox),
    EV(POLICY_DENIED, SCN_OBJ_VM | SCN_OBJ_SWITCH, ev_policy),
    EV(MAC_CHANGE, SCN_OBJ_VM, ev_mac_change),
    EV(VF_ASSOCIATED, SCN_OBJ_VM, ev_vf),
};

static const char *const event_names[SCN_EVENT_COUNT] = {
#define SCN_EVENT_WORD(id, word) word,
    SCN_EVENT_MAP(SCN_EVENT_WORD)
#undef SCN_EVENT_WORD
};

const char *
scn_event_name(enum scn_event ev)
{
    return (unsigned)ev < SCN_EVENT_COUNT ? event_names[ev] : "?";
}

const struct scn_event_spec *
scn__event_spec(size_t i)
{
    if (i >= SCN_EVENT_COUNT)
        return NULL;
    return &events[i];
}

/* ---- what the simulator does not support (script_int.h: one table for check, run and docs) ----
 */
static const struct scn_limit limits[] = {
    {SCN_VERB_PF, "total_vfs", NULL, NULL, 1, 64,
     "the simulated NIC (an 82599-like part) has 64 VF slots; the SR-IOV capability field "
     "itself allows up to 65535"},
    {SCN_VERB_PF, "vf_offset", NULL, NULL, 0x80, 0x80,
     "the simulated NIC's First VF Offset is fixed at 0x80"},
    {SCN_VERB_PF, "vf_stride", NULL, NULL, 2, 2, "the simulated NIC's VF Stride is fixed at 2"},
    {SCN_VERB_PF, "bdf", NULL, NULL, 0, 0, "one PCI segment: the domain must be 0000"},
    {SCN_VERB_FLOW_START, "size", "proto", "udp", 48, 1472,
     "every payload starts with the 48-byte sriovsim header (sequence number, time stamp, "
     "check sum), and the ports' MTU is 1500 bytes (1514-byte frames with 42 bytes of "
     "Ethernet, IPv4 and UDP headers; no jumbo frames)"},
    {SCN_VERB_FLOW_START, "size", "proto", "tcp", 48, 1460,
     "the same 48-byte header and MTU, with 54 bytes of Ethernet, IPv4 and TCP headers"},
};

const struct scn_limit *
scn__limits(size_t *n)
{
    *n = SIM_ARRAY_SIZE(limits);
    return limits;
}

char *
scn__limit_doc(const struct scn_limit *l, char *buf, size_t len)
{
    char verb[48], when[48] = "";
    if (scn_verb_sub(l->verb) != NULL)
        snprintf(verb, sizeof verb, "%s %s", scn_verb_name(l->verb), scn_verb_sub(l->verb));
    else
        snprintf(verb, sizeof verb, "%s", scn_verb_name(l->verb));
    if (l->when_key != NULL)
        snprintf(when, sizeof when, " (with `%s=%s`)", l->when_key, l->when_word);
    if (strcmp(l->key, "bdf") == 0)
        snprintf(buf, len, "- `%s %s=`%s: domain %04llx only: %s.", verb, l->key, when,
                 (unsigned long long)l->lo, l->why);
    else if (l->lo == l->hi)
        snprintf(buf, len, "- `%s %s=`%s: %#llx only: %s.", verb, l->key, when,
                 (unsigned long long)l->lo, l->why);
    else
        snprintf(buf, len, "- `%s %s=`%s: %llu to %llu: %s.", verb, l->key, when,
                 (unsigned long long)l->lo, (unsigned long long)l->hi, l->why);
    return buf;
}
