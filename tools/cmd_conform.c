/* SPDX-License-Identifier: MIT */
/*
 * cmd_conform.c — `sriovsim conform [--pf-driver LIB.so]`: the rules a PF miniport must honour,
 * run against the shipped PF or a user's, one line per rule (pass / FAIL with the reason),
 * `--junit FILE` for CI. In the spirit of the NDIS SR-IOV certification tests (HLK NDISTest
 * "SRIOVTestingVF" and the assertions derived from the SR-IOV "must" rules); not those tests.
 *
 * Each rule runs on a fresh small machine: a scheduler, a PCIe fabric, the simulated SR-IOV
 * NIC at 01:00.0 (8 VFs), the PF driver loaded through its struct pf_driver table, initialised
 * and restarted, an NDIS trace watched by the rule verifier. Requests go through NDIS like the
 * virtualization stack's; a "probe" (ndis_oid_request.probe) skips NDIS's own OID-specific
 * checks so that what is tested is the driver's handling of a request NDIS would normally stop.
 * What a rule observes comes from the device and the fabric (filter table, FLR counts) and from
 * NDIS (NdisMEnableVirtualization), never from the driver's own bookkeeping.
 *
 * Exit codes: 0 every rule passed, 1 one failed, 64 usage, 66 driver not loadable, 70 internal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "miniport_pf/miniport_pf.h"
#include "ndis_shim/ndis_shim.h"
#include "nic/nic.h"
#include "pcie/pcie.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "verify/verify.h"

#define CF_PF_RID   0x0100u /* 01:00.0 */
#define CF_VFS      8u
#define CF_STEP_MAX 1000000

struct cf {
    const struct pf_driver *drv;
    struct sim_sched *sched;
    struct pcie_fabric *fabric;
    struct nic *nic;
    struct ndis_trace *trace;
    struct verify *verify;
    void *adapter;
    struct ndis_miniport *mp;
    struct ndis_oid_request req;
    int completions;
    char why[384]; /* the failure reason of the rule being run */
};

static void cf_wire_tx(void *ctx, const void *f, uint32_t len, uint64_t id, sim_time_t at)
{
    (void)ctx, (void)f, (void)len, (void)id, (void)at;
}

static int
cf_up(struct cf *c, struct sim_diag *d)
{
    if (sim_sched_create(SIM_SCHED_VIRTUAL, &c->sched) != 0 ||
        pcie_fabric_create(c->sched, &c->fabric) != 0 || ndis_trace_create(4096, &c->trace) != 0 ||
        verify_create(&c->verify) != 0 || verify_attach(c->verify, c->trace) != 0)
        return sim_diag_fail(d, SIM_ENOMEM, "out of memory building the test machine");
    struct nic_config nc = {.rid = CF_PF_RID,
                            .total_vfs = CF_VFS,
                            .mac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x00},
                            .name = "conform.nic"};
    int rc = nic_create(c->fabric, &nc, &c->nic, d);
    if (rc != 0)
        return rc;
    static const struct nic_wire_ops wire = {.tx = cf_wire_tx};
    nic_port_attach(c->nic, &wire, c);
    struct pf_config pc = {.name = "pf0", .sched = c->sched, .fabric = c->fabric,
                           .rid = CF_PF_RID, .trace = c->trace};
    rc = c->drv->create(&pc, &c->adapter, d);
    if (rc != 0)
        return rc;
    c->mp = c->drv->miniport(c->adapter);
    ndis_status_t st = 0;
    rc = ndis_miniport_initialize(c->mp, &st, d);
    if (rc == 0)
        rc = ndis_miniport_restart(c->mp, &st, d);
    return rc;
}

static ndis_status_t cf_oid(struct cf *c, enum ndis_request_type type, ndis_oid_t oid, void *buf,
                            uint32_t len, bool probe);
static ndis_status_t delete_vport(struct cf *c, uint32_t id);
static ndis_status_t vf_oid(struct cf *c, ndis_oid_t oid, uint16_t vf, bool probe);
static ndis_status_t delete_switch(struct cf *c);

/* Undo whatever a rule left, in the documented order (refusals ignored), then halt. */
static void
cf_down(struct cf *c)
{
    if (c->mp != NULL && ndis_miniport_state(c->mp) == NDIS_MINIPORT_RUNNING) {
        for (uint32_t f = 1; f <= 8; f++) {
            struct ndis_receive_filter_clear_parameters p;
            memset(&p, 0, sizeof p);
            ndis_objhdr_init(&p.header, NDIS_OBJECT_TYPE_DEFAULT, 1,
                             (uint16_t)NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
            p.filter_id = f;
            (void)cf_oid(c, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_CLEAR_FILTER, &p,
                         sizeof p, false);
        }
        for (uint32_t vp = 1; vp <= CF_VFS + 1; vp++)
            (void)delete_vport(c, vp);
        for (uint16_t vf = 0; vf < CF_VFS; vf++) {
            (void)vf_oid(c, OID_SRIOV_RESET_VF, vf, false);
            (void)vf_oid(c, OID_NIC_SWITCH_FREE_VF, vf, false);
        }
        (void)delete_switch(c);
    }
    if (c->mp != NULL) {
        if (ndis_miniport_state(c->mp) == NDIS_MINIPORT_RUNNING)
            (void)ndis_miniport_pause(c->mp, NULL, NULL);
        for (int i = 0; i < CF_STEP_MAX && ndis_miniport_state(c->mp) == NDIS_MINIPORT_PAUSING; i++)
            if (sim_sched_step(c->sched) == 0)
                break;
        bool halted = ndis_miniport_state(c->mp) == NDIS_MINIPORT_HALTED ||
                      ndis_miniport_halt(c->mp, NULL) == 0;
        if (halted)
            (void)c->drv->destroy(c->adapter);
        /* A driver that will not halt is left allocated: the process ends soon. */
    }
    if (c->nic != NULL) {
        nic_port_attach(c->nic, NULL, NULL);
        nic_destroy(c->nic);
    }
    verify_destroy(c->verify);
    pcie_fabric_destroy(c->fabric);
    ndis_trace_destroy(c->trace);
    sim_sched_destroy(c->sched);
    const struct pf_driver *drv = c->drv;
    memset(c, 0, sizeof *c);
    c->drv = drv;
}

static void
cf_cb(struct ndis_oid_request *req, ndis_status_t status)
{
    (void)status;
    ((struct cf *)req->data)->completions++;
}

/* Submit (as the virtualization stack, or as a probe) and run the loop until it completes.
 * `watch` runs after every scheduler event while the request is out (may be NULL). */
static ndis_status_t
cf_oid_w(struct cf *c, enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t len,
         bool probe, bool (*watch)(struct cf *, void *), void *wctx)
{
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&c->req, "conform", oid, buf, len, len);
    else
        ndis_oid_request_init(&c->req, "conform", type, oid, buf, len);
    c->req.data = c;
    c->req.probe = probe;
    int before = c->completions;
    struct sim_diag d;
    sim_diag_clear(&d);
    if (ndis_oid_request_submit(c->mp, &c->req, cf_cb, &d) != 0)
        return NDIS_STATUS_FAILURE;
    for (int i = 0; i < CF_STEP_MAX && c->completions == before; i++) {
        if (sim_sched_step(c->sched) == 0)
            break;
        if (watch != NULL && !watch(c, wctx))
            watch = NULL; /* report once */
    }
    if (c->completions != before + 1)
        return NDIS_STATUS_PENDING; /* never completed */
    return c->req.status;
}

static ndis_status_t
cf_oid(struct cf *c, enum ndis_request_type type, ndis_oid_t oid, void *buf, uint32_t len,
       bool probe)
{
    return cf_oid_w(c, type, oid, buf, len, probe, NULL, NULL);
}

static void
hdr(struct ndis_object_header *h, uint8_t rev, size_t size)
{
    ndis_objhdr_init(h, NDIS_OBJECT_TYPE_DEFAULT, rev, (uint16_t)size);
}

static const char *
stname(ndis_status_t st)
{
    static char b[4][32];
    static int i;
    i = (i + 1) % 4;
    if (st == NDIS_STATUS_PENDING)
        return "no completion";
    return ndis_status_str(st, b[i], sizeof b[i]);
}

/* ---- request builders ---------------------------------------------------------------------- */
static ndis_status_t
create_switch(struct cf *c, uint32_t num_vfs)
{
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.switch_type = NDIS_NIC_SWITCH_TYPE_EXTERNAL;
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.num_vfs = num_vfs;
    return cf_oid(c, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_SWITCH, &p, sizeof p, false);
}

static ndis_status_t
delete_switch(struct cf *c)
{
    struct ndis_nic_switch_delete_switch_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    return cf_oid(c, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_SWITCH, &p, sizeof p,
                  false);
}

static void
vf_mac(uint16_t i, uint8_t mac[6])
{
    static const uint8_t base[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x10};
    memcpy(mac, base, 6);
    mac[5] = (uint8_t)(0x10 + i);
}

static ndis_status_t
allocate_vf(struct cf *c, uint16_t want_vf, uint8_t mac_index, bool probe, uint16_t *vf,
            uint32_t *rid)
{
    static struct ndis_nic_switch_vf_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vf_id = want_vf;
    p.requestor_id = NDIS_INVALID_RID;
    p.mac_address_length = 6;
    vf_mac(mac_index, p.permanent_mac_address);
    vf_mac(mac_index, p.current_mac_address);
    ndis_status_t st =
        cf_oid(c, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ALLOCATE_VF, &p, sizeof p, probe);
    if (vf != NULL)
        *vf = p.vf_id;
    if (rid != NULL)
        *rid = p.requestor_id;
    return st;
}

static ndis_status_t
vf_oid(struct cf *c, ndis_oid_t oid, uint16_t vf, bool probe)
{
    if (oid == OID_NIC_SWITCH_FREE_VF) {
        struct ndis_nic_switch_free_vf_parameters p;
        memset(&p, 0, sizeof p);
        hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
        p.vf_id = vf;
        return cf_oid(c, NDIS_REQUEST_SET_INFORMATION, oid, &p, sizeof p, probe);
    }
    struct ndis_sriov_reset_vf_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
    p.vf_id = vf;
    return cf_oid(c, NDIS_REQUEST_SET_INFORMATION, oid, &p, sizeof p, probe);
}

static ndis_status_t
create_vport(struct cf *c, uint32_t fn, uint32_t *id)
{
    static struct ndis_nic_switch_vport_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    p.switch_id = NDIS_DEFAULT_SWITCH_ID;
    p.vport_id = NDIS_DEFAULT_VPORT_ID;
    p.attached_function_id = fn;
    p.num_queue_pairs = 1;
    p.vport_state = NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED;
    ndis_status_t st =
        cf_oid(c, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_CREATE_VPORT, &p, sizeof p, false);
    *id = p.vport_id;
    return st;
}

static ndis_status_t
delete_vport(struct cf *c, uint32_t id)
{
    struct ndis_nic_switch_delete_vport_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
    p.vport_id = id;
    return cf_oid(c, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof p,
                  false);
}

struct filter_req {
    struct ndis_receive_filter_parameters p;
    struct pf_receive_filter_field_parameters f[1];
};

static ndis_status_t
set_filter(struct cf *c, uint32_t vport, const uint8_t mac[6], uint32_t *filter_id)
{
    static struct filter_req r;
    memset(&r, 0, sizeof r);
    hdr(&r.p.header, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2,
        NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
    r.p.filter_type = NDIS_RECEIVE_FILTER_TYPE_VMQUEUE;
    r.p.queue_id = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
    r.p.filter_id = NDIS_DEFAULT_RECEIVE_FILTER_ID;
    r.p.vport_id = vport;
    r.p.field_parameters_array_offset = (uint32_t)offsetof(struct filter_req, f);
    r.p.field_parameters_array_element_size = (uint32_t)sizeof r.f[0];
    r.p.field_parameters_array_num_elements = 1;
    hdr(&r.f[0].header, 1, sizeof r.f[0]);
    r.f[0].frame_header = PF_FRAME_HEADER_MAC;
    r.f[0].receive_filter_test = PF_RECEIVE_FILTER_TEST_EQUAL;
    r.f[0].mac_header_field = PF_MAC_HEADER_FIELD_DESTINATION_ADDRESS;
    r.f[0].flags = PF_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
    memcpy(r.f[0].field_value.byte_array, mac, 6);
    ndis_status_t st =
        cf_oid(c, NDIS_REQUEST_METHOD, OID_RECEIVE_FILTER_SET_FILTER, &r, sizeof r, false);
    *filter_id = r.p.filter_id;
    return st;
}

/* The VPort the device's filter table steers `mac` to, or -1 (no filter holds it). */
static int
device_vport_of(const struct cf *c, const uint8_t mac[6])
{
    struct nic_filter_view f;
    for (unsigned i = 0; nic_filter_view(c->nic, i, &f) == 0; i++)
        if (memcmp(f.mac, mac, 6) == 0)
            return f.vport;
    return -1;
}

static uint64_t
flrs(const struct cf *c)
{
    struct pcie_stats s;
    pcie_fabric_stats(c->fabric, &s);
    return s.flr_completed;
}

#define FAIL(...) (snprintf(c->why, sizeof c->why, __VA_ARGS__), false)

/* ---- the rules ----------------------------------------------------------------------------- */
static bool
rule_caps(struct cf *c)
{
    struct ndis_nic_switch_capabilities caps;
    memset(&caps, 0, sizeof caps);
    ndis_status_t st = cf_oid(c, NDIS_REQUEST_QUERY_INFORMATION,
                              OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &caps, sizeof caps, false);
    if (st != NDIS_STATUS_SUCCESS)
        return FAIL("OID_NIC_SWITCH_HARDWARE_CAPABILITIES -> %s", stname(st));
    if (caps.max_num_switches != 1)
        return FAIL("MaxNumSwitches is %u, must be 1", caps.max_num_switches);
    if (caps.max_num_vports < caps.max_num_vfs + 1)
        return FAIL("MaxNumVPorts %u < MaxNumVFs %u + 1", caps.max_num_vports, caps.max_num_vfs);
    if (caps.max_num_queue_pairs < caps.max_num_vports)
        return FAIL("MaxNumQueuePairs %u < MaxNumVPorts %u", caps.max_num_queue_pairs,
                    caps.max_num_vports);
    return true;
}

static bool
rule_create_switch(struct cf *c)
{
    ndis_status_t st = create_switch(c, 4);
    if (st != NDIS_STATUS_SUCCESS)
        return FAIL("CREATE_SWITCH NumVFs=4 -> %s", stname(st));
    if (!ndis_pf_is_virtualization_enabled(c->mp) || ndis_pf_num_vfs(c->mp) != 4)
        return FAIL("CREATE_SWITCH succeeded but NdisMEnableVirtualization(4, TRUE) was not "
                    "called (VF Enable %s, NumVFs %u)",
                    ndis_pf_is_virtualization_enabled(c->mp) ? "set" : "clear",
                    (unsigned)ndis_pf_num_vfs(c->mp));
    return true;
}

static bool
rule_allocate_vf(struct cf *c)
{
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS)
        return FAIL("CREATE_SWITCH failed");
    uint16_t vf[2];
    uint32_t rid[2];
    for (int i = 0; i < 2; i++) {
        ndis_status_t st =
            allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, (uint8_t)i, false, &vf[i], &rid[i]);
        if (st != NDIS_STATUS_SUCCESS)
            return FAIL("ALLOCATE_VF #%d -> %s", i + 1, stname(st));
        uint32_t want = ndis_pf_get_vf_rid(c->mp, vf[i]);
        if (rid[i] != want)
            return FAIL("VF %u: RequestorId 0x%x, the VF's location gives 0x%x", vf[i], rid[i],
                        want);
    }
    if (vf[0] == vf[1])
        return FAIL("two ALLOCATE_VF returned the same VFId %u", vf[0]);
    if (vf[0] >= 4 || vf[1] >= 4)
        return FAIL("VFIds %u, %u: not zero-based below NumVFs 4", vf[0], vf[1]);
    return true;
}

static bool
rule_free_vf_with_vport(struct cf *c)
{
    uint16_t vf;
    uint32_t vp;
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS ||
        allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, 0, false, &vf, NULL) != NDIS_STATUS_SUCCESS ||
        create_vport(c, vf, &vp) != NDIS_STATUS_SUCCESS)
        return FAIL("bring-up (CREATE_SWITCH, ALLOCATE_VF, CREATE_VPORT) failed");
    ndis_status_t st = vf_oid(c, OID_NIC_SWITCH_FREE_VF, vf, true);
    if (st == NDIS_STATUS_SUCCESS)
        return FAIL("FREE_VF vf=%u with VPort %u attached succeeded (must fail, "
                    "FILE_NOT_FOUND)",
                    vf, vp);
    return true;
}

static bool
rule_reset_vf(struct cf *c)
{
    uint16_t vf;
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS ||
        allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, 0, false, &vf, NULL) != NDIS_STATUS_SUCCESS)
        return FAIL("bring-up (CREATE_SWITCH, ALLOCATE_VF) failed");
    uint64_t before = flrs(c);
    ndis_status_t st = vf_oid(c, OID_SRIOV_RESET_VF, vf, false);
    if (st != NDIS_STATUS_SUCCESS)
        return FAIL("RESET_VF vf=%u -> %s", vf, stname(st));
    uint64_t n = flrs(c) - before;
    if (n != 1)
        return FAIL("RESET_VF vf=%u completed SUCCESS but %" PRIu64
                    " Function Level Reset(s) reached the fabric (must be exactly 1)",
                    vf, n);
    return true;
}

static bool
rule_reset_unallocated(struct cf *c)
{
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS)
        return FAIL("CREATE_SWITCH failed");
    ndis_status_t st = vf_oid(c, OID_SRIOV_RESET_VF, 3, true);
    if (st == NDIS_STATUS_SUCCESS)
        return FAIL("RESET_VF of VF 3, never allocated, succeeded (must fail)");
    return true;
}

static bool
rule_vf_params_immutable(struct cf *c)
{
    uint16_t vf, again;
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS ||
        allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, 0, false, &vf, NULL) != NDIS_STATUS_SUCCESS)
        return FAIL("bring-up (CREATE_SWITCH, ALLOCATE_VF) failed");
    /* A probe: ALLOCATE_VF naming the allocated VF, with another MAC. */
    ndis_status_t st = allocate_vf(c, vf, 5, true, &again, NULL);
    if (st == NDIS_STATUS_SUCCESS && again == vf)
        return FAIL("ALLOCATE_VF naming allocated VF %u with another MAC succeeded with VFId "
                    "%u: the VF's parameters changed after allocation",
                    vf, again);
    return true;
}

struct move_watch {
    uint8_t mac[6];
    uint32_t from, to;
    bool gap;
    int seen;
};

static bool
move_watch_cb(struct cf *c, void *ctx)
{
    struct move_watch *m = ctx;
    int v = device_vport_of(c, m->mac);
    if (v < 0 || ((uint32_t)v != m->from && (uint32_t)v != m->to)) {
        m->gap = true;
        m->seen = v;
        return false;
    }
    return true;
}

static bool
rule_move_filter_atomic(struct cf *c)
{
    uint16_t vf;
    uint32_t vp, fid;
    uint8_t mac[6];
    vf_mac(0, mac);
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS ||
        allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, 0, false, &vf, NULL) != NDIS_STATUS_SUCCESS ||
        create_vport(c, vf, &vp) != NDIS_STATUS_SUCCESS ||
        set_filter(c, NDIS_DEFAULT_VPORT_ID, mac, &fid) != NDIS_STATUS_SUCCESS)
        return FAIL("bring-up (CREATE_SWITCH, ALLOCATE_VF, CREATE_VPORT, SET_FILTER) failed");
    if (device_vport_of(c, mac) != NDIS_DEFAULT_VPORT_ID)
        return FAIL("SET_FILTER on the default VPort succeeded but the device's filter table "
                    "does not steer the MAC there");
    struct ndis_receive_filter_move_filter_parameters p;
    memset(&p, 0, sizeof p);
    hdr(&p.header, 1, NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
    p.filter_id = fid;
    p.source_vport_id = NDIS_DEFAULT_VPORT_ID;
    p.dest_vport_id = vp;
    struct move_watch m = {.from = NDIS_DEFAULT_VPORT_ID, .to = vp};
    memcpy(m.mac, mac, 6);
    ndis_status_t st = cf_oid_w(c, NDIS_REQUEST_SET_INFORMATION, OID_RECEIVE_FILTER_MOVE_FILTER,
                                &p, sizeof p, false, move_watch_cb, &m);
    if (st != NDIS_STATUS_SUCCESS)
        return FAIL("MOVE_FILTER default -> VPort %u -> %s", vp, stname(st));
    if (m.gap)
        return FAIL("during MOVE_FILTER the device steered the MAC to %s (frames in that window "
                    "match no filter: the move is not atomic)",
                    m.seen < 0 ? "no VPort at all" : "another VPort");
    if (device_vport_of(c, mac) != (int)vp)
        return FAIL("MOVE_FILTER completed SUCCESS but the device steers the MAC to VPort %d, "
                    "not %u",
                    device_vport_of(c, mac), vp);
    return true;
}

static bool
rule_teardown(struct cf *c)
{
    uint16_t vf;
    uint32_t vp;
    if (create_switch(c, 4) != NDIS_STATUS_SUCCESS ||
        allocate_vf(c, NDIS_INVALID_VF_FUNCTION_ID, 0, false, &vf, NULL) != NDIS_STATUS_SUCCESS ||
        create_vport(c, vf, &vp) != NDIS_STATUS_SUCCESS)
        return FAIL("bring-up (CREATE_SWITCH, ALLOCATE_VF, CREATE_VPORT) failed");
    ndis_status_t st;
    if ((st = delete_vport(c, vp)) != NDIS_STATUS_SUCCESS)
        return FAIL("DELETE_VPORT -> %s", stname(st));
    if ((st = vf_oid(c, OID_SRIOV_RESET_VF, vf, false)) != NDIS_STATUS_SUCCESS)
        return FAIL("RESET_VF -> %s", stname(st));
    if ((st = vf_oid(c, OID_NIC_SWITCH_FREE_VF, vf, false)) != NDIS_STATUS_SUCCESS)
        return FAIL("FREE_VF -> %s", stname(st));
    if ((st = delete_switch(c)) != NDIS_STATUS_SUCCESS)
        return FAIL("DELETE_SWITCH -> %s", stname(st));
    if (ndis_pf_is_virtualization_enabled(c->mp))
        return FAIL("DELETE_SWITCH succeeded but NdisMEnableVirtualization(0, FALSE) was not "
                    "called (VF Enable still set)");
    struct sim_diag d;
    sim_diag_clear(&d);
    if (ndis_miniport_pause(c->mp, NULL, &d) != 0)
        return FAIL("pause: %s", d.reason);
    for (int i = 0; i < CF_STEP_MAX && ndis_miniport_state(c->mp) == NDIS_MINIPORT_PAUSING; i++)
        if (sim_sched_step(c->sched) == 0)
            break;
    if (ndis_miniport_halt(c->mp, &d) != 0)
        return FAIL("MiniportHaltEx after the documented teardown: %s", d.reason);
    return true;
}

struct rule {
    const char *id;
    const char *text;
    const char *source;
    bool (*run)(struct cf *c);
};

#define MSN "https://learn.microsoft.com/windows-hardware/drivers/network/"
static const struct rule rules[] = {
    {"caps-registered",
     "NIC switch capabilities: one switch, MaxNumVPorts >= MaxNumVFs + 1, "
     "MaxNumQueuePairs >= MaxNumVPorts",
     MSN "determining-nic-switch-capabilities", rule_caps},
    {"create-switch-enables-vfs",
     "CREATE_SWITCH creates the switch and calls NdisMEnableVirtualization(NumVFs, TRUE)",
     MSN "oid-nic-switch-create-switch", rule_create_switch},
    {"allocate-vf-unique-rid",
     "ALLOCATE_VF returns unique zero-based VFIds and the RequestorId of the VF's location",
     MSN "oid-nic-switch-allocate-vf", rule_allocate_vf},
    {"free-vf-with-vport-fails", "FREE_VF of a VF that still has a VPort fails",
     MSN "oid-nic-switch-free-vf", rule_free_vf_with_vport},
    {"reset-vf-performs-flr",
     "RESET_VF performs exactly one Function Level Reset of that VF before it completes",
     MSN "oid-sriov-reset-vf", rule_reset_vf},
    {"reset-vf-unallocated-fails", "RESET_VF of a VF that is not allocated fails",
     MSN "oid-sriov-reset-vf", rule_reset_unallocated},
    {"vf-params-immutable", "A VF's parameters cannot change after ALLOCATE_VF",
     MSN "allocating-resources-for-a-virtual-function", rule_vf_params_immutable},
    {"move-filter-atomic",
     "MOVE_FILTER moves a filter atomically: the MAC is matched by the source or the "
     "destination VPort at every moment, and by the destination when it completes",
     MSN "sr-iov-vf-failover-and-live-migration-support", rule_move_filter_atomic},
    {"teardown-order",
     "DELETE_VPORT, RESET_VF, FREE_VF, DELETE_SWITCH succeed in that order, "
     "NdisMEnableVirtualization(0, FALSE) follows and the PF halts",
     MSN "halting-a-pf-miniport-driver", rule_teardown},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static void
xml_escape(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: sriovsim conform [--pf-driver LIB.so] [--junit FILE] [--list]\n"
            "\n"
            "Runs every documented rule a PF miniport must honour against the shipped PF\n"
            "miniport, or against a user's (--pf-driver: a shared library exporting\n"
            "sriovsim_pf_driver_entry(), built against the installed headers), each on a fresh\n"
            "machine (the simulated SR-IOV NIC, 8 VFs) watched by the rule verifier. One line\n"
            "per rule: pass, or FAIL with the reason; a verifier breach fails its rule.\n"
            "\n"
            "  --pf-driver LIB.so   the PF driver to test (default: the shipped one)\n"
            "  --junit FILE         also write a JUnit XML report (one testcase per rule)\n"
            "  --list               print the rules with their sources and exit\n"
            "\n"
            "Exit codes: 0 every rule passed, 1 one failed, 64 usage, 66 driver not loadable,\n"
            "70 the test machine could not be built.\n");
}

int
cli_cmd_conform(int argc, char **argv, const struct cli_global *g)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"pf-driver", required_argument, NULL, 'p'},
        {"junit", required_argument, NULL, 'j'},
        {"list", no_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    const char *driver_path = NULL, *junit = NULL;
    bool list = false;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case 'p':
            driver_path = optarg;
            break;
        case 'j':
            junit = optarg;
            break;
        case 'l':
            list = true;
            break;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_error(g, "conform", CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (list) {
        for (size_t i = 0; i < N_RULES; i++)
            printf("%-28s %s [%s]\n", rules[i].id, rules[i].text, rules[i].source);
        return CLI_EXIT_OK;
    }
    struct cf c;
    memset(&c, 0, sizeof c);
    c.drv = &pf_driver_shipped;
    struct sim_diag d;
    sim_diag_clear(&d);
    if (driver_path != NULL && pf_driver_load(driver_path, &c.drv, &d) != 0)
        return cli_error(g, "conform", CLI_EXIT_NOINPUT, "%s", d.reason);

    bool pass[N_RULES];
    char why[N_RULES][768];
    size_t failed = 0;
    printf("conform: PF driver %s (%s)\n", c.drv->name != NULL ? c.drv->name : "?",
           driver_path != NULL ? driver_path : "shipped");
    for (size_t i = 0; i < N_RULES; i++) {
        sim_diag_clear(&d);
        c.why[0] = '\0';
        int rc = cf_up(&c, &d);
        if (rc != 0) {
            pass[i] = false;
            snprintf(why[i], sizeof why[i], "the PF did not come up: %s", d.reason);
        } else {
            pass[i] = rules[i].run(&c);
            snprintf(why[i], sizeof why[i], "%s", c.why);
            /* A breach the verifier saw fails the rule too (the first one is named). */
            if (pass[i] && verify_breach_count(c.verify) != 0) {
                const struct verify_breach *b = verify_breach_at(c.verify, 0);
                pass[i] = false;
                snprintf(why[i], sizeof why[i], "verifier: %s: %s", b->rule->id, b->what);
            }
        }
        cf_down(&c);
        if (!pass[i])
            failed++;
        if (pass[i])
            printf("pass  %-28s %s\n", rules[i].id, rules[i].text);
        else
            printf("FAIL  %-28s %s: %s\n", rules[i].id, rules[i].text, why[i]);
    }
    printf("conform: %zu rules, %zu passed, %zu failed\n", N_RULES, N_RULES - failed, failed);
    if (junit != NULL) {
        FILE *f = fopen(junit, "w");
        if (f == NULL)
            return cli_error(g, "conform", CLI_EXIT_IOERR, "cannot write %s", junit);
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        fprintf(f, "<testsuite name=\"sriovsim conform\" tests=\"%zu\" failures=\"%zu\">\n",
                N_RULES, failed);
        for (size_t i = 0; i < N_RULES; i++) {
            fprintf(f, "  <testcase classname=\"conform\" name=\"%s\">", rules[i].id);
            if (!pass[i]) {
                fputs("<failure message=\"", f);
                xml_escape(f, why[i]);
                fputs("\">", f);
                xml_escape(f, rules[i].text);
                fputs(" [", f);
                xml_escape(f, rules[i].source);
                fputs("]</failure>", f);
            }
            fputs("</testcase>\n", f);
        }
        fputs("</testsuite>\n", f);
        if (fclose(f) != 0)
            return cli_error(g, "conform", CLI_EXIT_IOERR, "cannot write %s", junit);
    }
    return failed != 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
