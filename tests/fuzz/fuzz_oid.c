/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oid.c — libFuzzer target: the NDIS OID dispatcher and the PF miniport (the NIC switch,
 * SR-IOV, receive filter and VMQ OIDs) fed arbitrary requests. The input is a program: each step
 * is an OID request (any OID of the table or a raw number, any request type, any input and output
 * length, any bytes — optionally with a well-formed object header of a chosen revision so the
 * request gets past the dispatcher), a run of the clock, an allocation failure armed for one of
 * the next allocations, a frame from the wire, a pause / restart / reset of the miniport.
 *
 * Checked: every submitted request completes exactly once, within 10 s of virtual time; the
 * reported BytesWritten never exceeds the buffer; afterwards the host's ordinary teardown
 * (reset and free every VF, clear every filter, delete every VPort and the switch, pause, halt)
 * succeeds and returns every tagged allocation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_pf.h"

static void
step_oid(struct topo *t, struct fz *z)
{
    uint16_t pick = fz_u16(z);
    ndis_oid_t oid;
    const struct ndis_oid_info *info = NULL;
    if (pick & 0x8000) {
        oid = fz_u32(z);
    } else {
        info = ndis_oid_at(pick % ndis_oid_count());
        oid = info->oid;
    }
    uint8_t flags = fz_u8(z);
    enum ndis_request_type type;
    switch (flags & 3) {
    case 0:
        type = NDIS_REQUEST_QUERY_INFORMATION;
        break;
    case 1:
        type = NDIS_REQUEST_SET_INFORMATION;
        break;
    case 2:
        type = NDIS_REQUEST_METHOD;
        break;
    default:
        type = (enum ndis_request_type)fz_u8(z);
        break;
    }
    uint32_t in_len = fz_u16(z) % (FZ_BUF + 1);
    uint32_t out_len = fz_u16(z) % (FZ_BUF + 1);
    memset(oid_buf, 0, sizeof oid_buf);
    fz_bytes(z, oid_buf, in_len < 256 ? in_len : 256);
    if ((flags & 4) && info != NULL && in_len >= sizeof(struct ndis_object_header)) {
        /* A well-formed header for a revision the OID defines (or one it does not). */
        uint8_t rev = (uint8_t)(fz_u8(z) % 5);
        uint16_t size = rev >= 1 && rev <= 3 && info->min_length[rev - 1] ? info->min_length[rev - 1]
                                                                            : (uint16_t)fz_u16(z);
        t_hdr((struct ndis_object_header *)oid_buf, rev, size);
        if ((flags & 8) && size <= FZ_BUF) {
            in_len = size > in_len ? size : in_len;
            out_len = size > out_len ? size : out_len;
        }
    }
    /* With flags & 16, VF ids / VPort ids / filter ids in the body point at real objects. */
    if (flags & 16 && in_len >= 12)
        oid_buf[8] = (uint8_t)(fz_u8(z) % 9);
    (void)fz_oid(t, type, oid, in_len, out_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct topo t;
    (void)sim_log_configure("off", NULL);
    struct fz z;
    fz_init(&z, data, size);
    topo_init(&t, NULL);
    uint8_t first = fz_u8(&z);
    if (first & 1)
        (void)t_create_switch(&t, 1 + (first >> 1) % T_TOTAL_VFS);
    if (first & 2) {
        uint8_t mac[6];
        t_vf_mac(0, mac);
        (void)t_allocate_vf(&t, mac, NULL, NULL);
    }
    for (int steps = 0; steps < 64 && fz_more(&z); steps++) {
        struct sim_diag d;
        sim_diag_clear(&d);
        switch (fz_u8(&z) % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
            step_oid(&t, &z);
            break;
        case 5:
            t_run_for(&t, (sim_time_t)fz_u16(&z) * SIM_USEC(10));
            break;
        case 6:
            sim_alloc_fail_nth(fz_u8(&z) % 16);
            break;
        case 7: {
            uint8_t dst[6];
            fz_bytes(&z, dst, 6);
            uint8_t f[64];
            memset(f, 0, sizeof f);
            memcpy(f, dst, 6);
            fz_bytes(&z, f + 6, 12);
            (void)nic_port_rx(t.nic, f, 60, fz_u32(&z));
            break;
        }
        case 8:
            if (ndis_miniport_state(t.mp) == NDIS_MINIPORT_RUNNING)
                (void)ndis_miniport_pause(t.mp, NULL, &d);
            else if (ndis_miniport_state(t.mp) == NDIS_MINIPORT_PAUSED)
                (void)ndis_miniport_restart(t.mp, NULL, &d);
            break;
        default:
            (void)ndis_miniport_reset(t.mp, NULL, &d);
            break;
        }
    }
    fz_pf_teardown(&t);
    fuzz_no_leaks("fuzz_oid");
    return 0;
}
