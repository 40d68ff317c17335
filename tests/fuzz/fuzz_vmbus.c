/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmbus.c — libFuzzer target: the VMBus network channel's message handlers on both sides.
 * Two VMs with NetVSC are connected to NetVSP ports of one switch (tests/netvsp/vsp_test.h).
 * The input plays a hostile guest kernel on vm1's channel (messages to NetVSP: NVSP INIT with any
 * versions, RNDIS packets with any section and length, VF_ASSOCIATION, SWITCH_DATA_PATH with any
 * path, completions for transactions that never existed, unknown types) and a hostile host on
 * vm2's channel (the same toward NetVSC), and lets the clock run between them.
 *
 * Checked: nothing crashes; the sender's section accounting never goes wrong (a refused send
 * gives the section back); whatever vm1 sends, vm2's channel stays open and vm2 keeps
 * receiving broadcast frames from the wire; the NetVSC adapters and the switch tear down and
 * every tagged allocation is returned.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "netvsp/vsp_test.h"

static const uint16_t types[] = {NVSP_MSG_TYPE_INIT, NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
                                 NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION,
                                 NVSP_MSG4_TYPE_SWITCH_DATA_PATH};

static void
send_one(struct hv_vmbus_ep *ep, struct fz *z, uint8_t op)
{
    struct hv_vmbus_msg m;
    memset(&m, 0, sizeof m);
    m.type = (op & 0x80) ? fz_u16(z) : types[fz_u8(z) % 4];
    m.flags = (uint16_t)(fz_u8(z) & 0x7);
    m.xid = (op & 0x40) ? fz_u64(z) : (NVSP_XID_CONTROL | fz_u8(z));
    m.status = (int32_t)(fz_u8(z) % 4);
    m.section = HV_VMBUS_NO_SECTION;
    fz_bytes(z, m.data, fz_u8(z) % (HV_VMBUS_MSG_INLINE_MAX + 1));
    uint8_t sect = fz_u8(z);
    bool taken = false;
    if ((sect & 3) == 1) { /* a section of our own buffer, with a frame in it */
        void *buf;
        uint32_t idx;
        if (hv_vmbus_ep_section_get(ep, &idx, &buf) == 0) {
            uint32_t cap = hv_vmbus_ep_section_size(ep);
            uint32_t len = fz_u16(z) % (cap + 2);
            fz_bytes(z, buf, len < cap ? len : cap);
            m.section = idx;
            m.len = len;
            taken = true;
        }
    } else if ((sect & 3) == 2) { /* any section index and length */
        m.section = fz_u32(z);
        m.len = fz_u32(z);
    }
    uint32_t free_before = hv_vmbus_ep_sections_free(ep);
    int rc = hv_vmbus_ep_send(ep, &m);
    if (rc != 0 && taken) {
        if (hv_vmbus_ep_section_put(ep, m.section) != 0) {
            fprintf(stderr, "a refused send kept the section\n");
            abort();
        }
        if (hv_vmbus_ep_sections_free(ep) != free_before + 1) {
            fprintf(stderr, "section accounting: %u free, expected %u\n",
                    hv_vmbus_ep_sections_free(ep), free_before + 1);
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vt t;
    (void)sim_log_configure("off", NULL);
    struct fz z;
    fz_init(&z, data, size);
    vt_setup(&t);
    struct hv_vmbus_channel *ch[2] = {netvsp_port_channel(t.port[0]), netvsp_port_channel(t.port[1])};
    bool vm2_touched = false;
    for (int steps = 0; steps < 96 && fz_more(&z); steps++) {
        uint8_t op = fz_u8(&z);
        switch (op % 6) {
        case 0:
        case 1:
        case 2: /* hostile guest kernel on vm1's channel -> NetVSP */
            if (hv_vmbus_channel_is_open(ch[0]))
                send_one(hv_vmbus_channel_ep(ch[0], HV_VMBUS_GUEST), &z, op);
            break;
        case 3:
        case 4: /* hostile host on vm2's channel -> NetVSC */
            vm2_touched = true;
            if (hv_vmbus_channel_is_open(ch[1]))
                send_one(hv_vmbus_channel_ep(ch[1], HV_VMBUS_HOST), &z, op);
            break;
        default:
            vt_run(&t, (sim_time_t)fz_u16(&z) * SIM_USEC(10));
            break;
        }
    }
    vt_run(&t, SIM_MSEC(10));
    /* vm1's misbehaviour is vm1's: vm2 still gets broadcasts from the wire (unless the fuzzer was
     * also the host on vm2's channel, which may legitimately break it). */
    if (!vm2_touched) {
        uint8_t f[64];
        uint32_t before = t.app[1].count;
        vt_frame(f, vt_bcast, vt_peer_mac, 60, 0x11);
        (void)netvsp_switch_uplink_receive(t.sw, f, 60, 0x77, 0);
        vt_run(&t, SIM_MSEC(10));
        if (t.app[1].count == before) {
            fprintf(stderr, "vm1's messages cut vm2 off: broadcast not received\n");
            abort();
        }
    }
    vt_teardown(&t);
    fuzz_no_leaks("fuzz_vmbus");
    return 0;
}
