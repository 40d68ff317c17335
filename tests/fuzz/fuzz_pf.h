/* SPDX-License-Identifier: MIT */
/* fuzz_pf.h — the PF miniport fixture for the fuzz targets (tests/miniport_pf/pf_test.h with
 * non-fatal OID submission) and the host's ordinary teardown from whatever state an input left:
 * reset and free every VF, clear every filter, delete every VPort and the switch, pause, halt,
 * destroy. A PF that will not halt after that is a finding. */
#ifndef SRIOVSIM_TESTS_FUZZ_PF_H
#define SRIOVSIM_TESTS_FUZZ_PF_H

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "miniport_pf/pf_test.h"

#define FZ_BUF 1024

static uint8_t oid_buf[FZ_BUF + 64];

/* Submit and wait; returns the status, or -1 if the submission itself was refused. */
static long
fz_oid(struct topo *t, enum ndis_request_type type, ndis_oid_t oid, uint32_t in_len,
       uint32_t out_len)
{
    if (type == NDIS_REQUEST_METHOD)
        ndis_oid_request_init_method(&t->req, "vstack", oid, oid_buf, in_len, out_len);
    else
        ndis_oid_request_init(&t->req, "vstack", type, oid, oid_buf, in_len);
    t->req.data = t;
    int before = t->completions;
    struct sim_diag d;
    sim_diag_clear(&d);
    if (ndis_oid_request_submit(t->mp, &t->req, t_oid_cb, &d) != 0) {
        if (t->completions != before) {
            fprintf(stderr, "OID 0x%08x: refused submission but completed\n", oid);
            abort();
        }
        return -1;
    }
    sim_time_t deadline = sim_sched_now(t->sched) + SIM_SEC(10);
    while (t->completions == before && sim_sched_now(t->sched) < deadline)
        if (sim_sched_step(t->sched) == 0)
            break;
    if (t->completions != before + 1) {
        fprintf(stderr, "OID 0x%08x type %d: completed %d times\n", oid, (int)type,
                t->completions - before);
        abort();
    }
    uint32_t cap = type == NDIS_REQUEST_METHOD ? (out_len > in_len ? out_len : in_len) : in_len;
    if (t->status == NDIS_STATUS_SUCCESS && t->req.bytes_written > cap) {
        fprintf(stderr, "OID 0x%08x: BytesWritten %u > buffer %u\n", oid, t->req.bytes_written, cap);
        abort();
    }
    return (long)t->status;
}

/* The host's FREE path for one VF id (statuses do not matter: the VF may not exist). */
static int
fz_oid_reset_free(struct topo *t, uint16_t vf)
{
    (void)t_reset_vf(t, vf);
    return (int)t_free_vf(t, vf);
}

static void
fz_pf_teardown(struct topo *t)
{
    sim_alloc_fail_nth(-1);
    struct sim_diag d;
    sim_diag_clear(&d);
    if (ndis_miniport_state(t->mp) == NDIS_MINIPORT_PAUSED)
        (void)ndis_miniport_restart(t->mp, NULL, &d);
    t_run_for(t, SIM_MSEC(200));
    if (ndis_miniport_state(t->mp) == NDIS_MINIPORT_RUNNING) {
        for (uint32_t f = 1; f < 512 && nic_filter_count(t->nic) != 0; f++)
            (void)t_clear_filter(t, f);
        for (uint32_t v = 1; v < 128 && nic_vport_count(t->nic) > 1; v++)
            (void)t_delete_vport(t, v);
        for (uint16_t vf = 0; vf < T_TOTAL_VFS; vf++)
            (void)fz_oid_reset_free(t, vf);
        (void)t_delete_switch(t);
        t_run_for(t, SIM_MSEC(200));
    }
    if (ndis_miniport_state(t->mp) == NDIS_MINIPORT_RUNNING)
        (void)ndis_miniport_pause(t->mp, NULL, &d);
    t_run_for(t, SIM_MSEC(200));
    if (ndis_miniport_state(t->mp) != NDIS_MINIPORT_HALTED &&
        ndis_miniport_halt(t->mp, &d) != 0) {
        fprintf(stderr, "the PF miniport would not halt after the host's teardown (state %s): %s\n",
                ndis_miniport_state_name(ndis_miniport_state(t->mp)), d.reason);
        abort();
    }
    if (pf_adapter_destroy(t->pf) != 0) {
        fprintf(stderr, "pf_adapter_destroy refused\n");
        abort();
    }
    topo_fini_hw(t);
}

#endif
