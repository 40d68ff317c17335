/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mailbox.c — libFuzzer target: the PF<->VF mailbox as a hostile guest VF driver drives it.
 * Two VFs are allocated with a VPort each under a policy the input picks (accept all, Intel,
 * vSphere); the input then writes any request words of any message type and length, any value
 * to the VF's mailbox control register and the rest of its mailbox window, reads them back,
 * floods requests without waiting for answers, FLRs its VF, and lets the clock run.
 *
 * Checked: nothing crashes; a request from one VF never changes the other VF's MAC; the PF never
 * leaves a request unanswered for more than a second of virtual time while the VF waits; the
 * host's teardown afterwards succeeds and returns every tagged allocation.
 */
#include "fuzz_pf.h"
#include "nic/nic_regs.h"

static const uint16_t msg_types[] = {
    NIC_MBX_MSG_VF_RESET,      NIC_MBX_MSG_SET_MAC,       NIC_MBX_MSG_SET_MULTICAST,
    NIC_MBX_MSG_SET_VLAN,      NIC_MBX_MSG_SET_MTU,       NIC_MBX_MSG_SET_MACVLAN,
    NIC_MBX_MSG_API_NEGOTIATE, NIC_MBX_MSG_GET_QUEUES,    NIC_MBX_MSG_GET_LINK,
    NIC_MBX_MSG_UPDATE_XCAST,  NIC_MBX_MSG_CFG_BLOCK_READ, NIC_MBX_MSG_CFG_BLOCK_WRITE,
};

static void
vf_wr(struct topo *t, uint16_t vf, uint32_t off, unsigned w, uint32_t val)
{
    (void)pcie_mmio_write(t->fabric, nic_vf_rid(t->nic, vf), NIC_BAR_REGS, off, w, val);
}

static uint32_t
vf_rd(struct topo *t, uint16_t vf, uint32_t off)
{
    uint64_t v = 0;
    (void)pcie_mmio_read(t->fabric, nic_vf_rid(t->nic, vf), NIC_BAR_REGS, off, 4, &v);
    return (uint32_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct topo t;
    (void)sim_log_configure("off", NULL);
    struct fz z;
    fz_init(&z, data, size);
    uint8_t first = fz_u8(&z);
    static const pf_policy_fn policies[] = {pf_policy_accept_all, pf_policy_intel,
                                            pf_policy_vsphere};
    topo_init(&t, policies[first % 3]);
    uint16_t vf[2] = {0, 0};
    uint32_t vport[2] = {0, 0};
    uint8_t mac[2][6];
    if (t_create_switch(&t, 4) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        t_vf_mac((uint16_t)i, mac[i]);
        if (t_allocate_vf(&t, mac[i], &vf[i], NULL) != 0 ||
            t_create_vport(&t, vf[i], 1, 0, &vport[i]) != 0)
            abort();
    }
    for (int steps = 0; steps < 128 && fz_more(&z); steps++) {
        uint8_t op = fz_u8(&z);
        int who = op & 1;
        uint16_t v = vf[who];
        uint8_t other_before[6], other_after[6];
        (void)pf_vf_current_mac(t.pf, vf[!who], other_before);
        switch ((op >> 1) % 8) {
        case 0:
        case 1:
        case 2: { /* a request: header of a known or any type, any length, any words */
            uint8_t n = (uint8_t)(fz_u8(&z) % (NIC_MBX_WORDS + 1));
            uint16_t type = (op & 0x80) ? fz_u16(&z) : msg_types[fz_u8(&z) % 12];
            uint8_t len = (op & 0x40) ? fz_u8(&z) : n;
            uint32_t w0 = NIC_MBX_HDR(type, len, fz_u8(&z));
            vf_wr(&t, v, NIC_REG_VF_MBX_REQ(0), 4, w0);
            for (unsigned i = 1; i < n; i++)
                vf_wr(&t, v, NIC_REG_VF_MBX_REQ(i), 4, fz_u32(&z));
            vf_wr(&t, v, NIC_REG_VF_MBX_CTRL, 4, NIC_VF_MBX_CTRL_REQ);
            t_run_for(&t, SIM_MSEC(1));
            break;
        }
        case 3: /* any value to the control register (REQ flood, PFMSG release, garbage) */
            vf_wr(&t, v, NIC_REG_VF_MBX_CTRL, 4, fz_u32(&z));
            break;
        case 4: { /* anywhere in the mailbox window, any width */
            uint32_t off = 0x200 + fz_u8(&z) % 0xc0;
            vf_wr(&t, v, off, 1u << (fz_u8(&z) % 4), fz_u32(&z));
            (void)vf_rd(&t, v, off & ~3u);
            break;
        }
        case 5: /* a request flood without waiting */
            for (unsigned i = 0, n = fz_u8(&z); i < n; i++)
                vf_wr(&t, v, NIC_REG_VF_MBX_CTRL, 4, NIC_VF_MBX_CTRL_REQ);
            break;
        case 6:
            (void)pcie_flr(t.fabric, nic_vf_rid(t.nic, v), NULL, NULL);
            break;
        default:
            t_run_for(&t, (sim_time_t)fz_u16(&z) * SIM_USEC(20));
            break;
        }
        (void)pf_vf_current_mac(t.pf, vf[!who], other_after);
        if (memcmp(other_before, other_after, 6) != 0) {
            fprintf(stderr, "VF %u's request changed VF %u's MAC\n", v, vf[!who]);
            abort();
        }
    }
    /* Liveness: a request the VF is still waiting on gets its answer. */
    t_run_for(&t, SIM_SEC(1));
    for (int i = 0; i < 2; i++) {
        if (pcie_fabric_fn_state(t.fabric, nic_vf_rid(t.nic, vf[i])) != PCIE_FN_READY)
            continue;
        if (vf_rd(&t, vf[i], NIC_REG_VF_MBX_CTRL) & NIC_VF_MBX_CTRL_REQ) {
            fprintf(stderr, "VF %u's request still unanswered after 1 s\n", vf[i]);
            abort();
        }
    }
    fz_pf_teardown(&t);
    fuzz_no_leaks("fuzz_mailbox");
    return 0;
}
