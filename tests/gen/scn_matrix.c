/* SPDX-License-Identifier: MIT */
/*
 * scn_matrix.c — systematic (step x fault) injection (issue 13 item 3). Six sequences — VF
 * bring-up, graceful failover, surprise failover, live migration, host servicing, PF teardown
 * (SR-IOV disabled under a VF) — each with vm1 under TCP and UDP load, and for each sequence
 * every fault the scenario language exposes at each step:
 *   - each OID of the sequences (ALLOCATE_VF, CREATE_VPORT, DELETE_VPORT, SET/CLEAR/MOVE_FILTER,
 *     RESET_VF, FREE_VF) failing with NDIS_STATUS_FAILURE, _RESOURCES or _DEVICE_FAILED;
 *   - a surprise removal of the VF, a DMA fault in the IOMMU, a link down, at 0, 2, 20, 150 and
 *     600 ms into the sequence;
 *   - an FLR that never completes, one that completes late (300 ms), a refused mailbox request,
 *     armed before the sequence;
 *   - the run ending at 0, 2, 20, 150 and 600 ms into the sequence (teardown from that state).
 * After the faults are cleared and the link is back, a new flow from vm1 must deliver (the VM
 * ends on a working path); every flow's conservation and liveness are checked by the run; the
 * rule verifier watches the OIDs; gen_run checks that teardown returns every allocation.
 */
#include <string.h>

#include "scn_gen.h"

static const char *const sequences[] = {"bring-up", "graceful failover", "surprise failover",
                                        "live migration", "servicing", "PF teardown"};
static const char *const oids[] = {
    "OID_NIC_SWITCH_ALLOCATE_VF",    "OID_NIC_SWITCH_CREATE_VPORT",
    "OID_NIC_SWITCH_DELETE_VPORT",   "OID_RECEIVE_FILTER_SET_FILTER",
    "OID_RECEIVE_FILTER_CLEAR_FILTER", "OID_RECEIVE_FILTER_MOVE_FILTER",
    "OID_SRIOV_RESET_VF",            "OID_NIC_SWITCH_FREE_VF",
};
static const char *const statuses[] = {"NDIS_STATUS_FAILURE", "NDIS_STATUS_RESOURCES",
                                       "NDIS_STATUS_DEVICE_FAILED"};
static const unsigned offsets_ms[] = {0, 2, 20, 150, 600};

#define N_OID_FAULTS  (SIM_ARRAY_SIZE(oids) * SIM_ARRAY_SIZE(statuses))
#define N_TIMED       (3 * SIM_ARRAY_SIZE(offsets_ms))
#define N_ARMED       3
#define N_ENDS        SIM_ARRAY_SIZE(offsets_ms)
#define FAULTS_PER_SEQ (N_OID_FAULTS + N_TIMED + N_ARMED + N_ENDS)

unsigned
scn_matrix_sequences(void)
{
    return SIM_ARRAY_SIZE(sequences);
}

unsigned
scn_matrix_count(void)
{
    return (unsigned)(SIM_ARRAY_SIZE(sequences) * FAULTS_PER_SEQ);
}

sim_time_t
scn_matrix_write(FILE *o, unsigned pair)
{
    unsigned seq = pair / FAULTS_PER_SEQ, f = pair % FAULTS_PER_SEQ;
    if (seq >= SIM_ARRAY_SIZE(sequences))
        seq = 0;
    const unsigned T = 1500; /* ms: the sequence starts */
    char fault[160] = "", pre[160] = "";
    unsigned fault_at = T, end_at = 0;
    bool link = false;
    if (f < N_OID_FAULTS) {
        snprintf(pre, sizeof pre, "fault oid %s status=%s on=h1.pf0",
                 oids[f / SIM_ARRAY_SIZE(statuses)], statuses[f % SIM_ARRAY_SIZE(statuses)]);
    } else if ((f -= N_OID_FAULTS) < N_TIMED) {
        static const char *const timed[] = {"fault surprise-remove h1.pf0.vf0",
                                            "fault iommu h1.pf0.vf0 dir=write count=4",
                                            "fault link-down h1.pf0"};
        snprintf(fault, sizeof fault, "%s", timed[f / SIM_ARRAY_SIZE(offsets_ms)]);
        link = f / SIM_ARRAY_SIZE(offsets_ms) == 2;
        fault_at = T + offsets_ms[f % SIM_ARRAY_SIZE(offsets_ms)];
    } else if ((f -= N_TIMED) < N_ARMED) {
        static const char *const armed[] = {"fault flr-timeout h1.pf0.vf0",
                                            "fault flr-timeout h1.pf0.vf0 delay=300ms",
                                            "fault mailbox-refuse h1.pf0.vf0 request=any"};
        snprintf(pre, sizeof pre, "%s", armed[f]);
    } else {
        f -= N_ARMED;
        end_at = T + offsets_ms[f];
    }
    fprintf(o, "# (step, fault) pair %u: %s\n", pair, sequences[seq]);
    fprintf(o, "host h1\nhost h2\npf h1.pf0 total_vfs=4\npf h2.pf0 total_vfs=4\n"
               "vswitch h1.sw0 uplink=h1.pf0\nvswitch h2.sw0 uplink=h2.pf0\n"
               "link h1.sw0 h2.sw0 latency=50us\nsriov h1.pf0 num_vfs=2\nsriov h2.pf0 num_vfs=2\n");
    fprintf(o, "vm vm1 on=h1 switch=h1.sw0 mac=00:15:5d:00:00:01 ip=10.0.0.1%s\n",
            seq == 0 ? "" : " vf=auto");
    fprintf(o, "peer ext1 on=h1.sw0 ip=10.0.0.9\npeer ext2 on=h1.sw0 ip=10.0.0.10\n");
    fprintf(o, "0ms flow start f1 from=vm1 to=ext1 proto=tcp rate=20Mbps\n");
    fprintf(o, "0ms flow start f2 from=ext1 to=vm1 proto=udp rate=10Mbps size=1000\n");
    if (pre[0])
        fprintf(o, "%ums %s\n", T, pre);
    static const char *const actions[] = {
        "attach-vf vm1 vf=h1.pf0.vf0",
        "detach-vf vm1 mode=graceful",
        "fault surprise-remove h1.pf0.vf0",
        "migrate vm1 to=h2 precopy=300ms blackout=100ms",
        "servicing h1 duration=800ms",
        "sriov h1.pf0 num_vfs=0",
    };
    fprintf(o, "%ums %s\n", T, actions[seq]);
    if (end_at) {
        fprintf(o, "%ums end\n", end_at);
        return SIM_MSEC(end_at);
    }
    if (fault[0])
        fprintf(o, "%ums %s\n", fault_at, fault);
    fprintf(o, "%ums fault clear\n", T + 1500);
    if (link)
        fprintf(o, "%ums fault link-up h1.pf0\n", T + 1500);
    if (seq == 5)
        fprintf(o, "%ums sriov h1.pf0 num_vfs=2\n", T + 1500);
    /* The VM ends on a working path: a fresh flow from it delivers. */
    fprintf(o, "%ums flow start fz from=vm1 to=ext2 proto=udp rate=5Mbps size=500\n", T + 3000);
    fprintf(o, "%ums flow stop fz\n", T + 3500);
    fprintf(o, "%ums flow stop f1\n", T + 3500);
    fprintf(o, "%ums flow stop f2\n", T + 3500);
    fprintf(o, "%ums expect flow fz.delivered > 0\n", T + 4000);
    fprintf(o, "%ums end\n", T + 4500);
    return SIM_MSEC(T + 4500);
}
