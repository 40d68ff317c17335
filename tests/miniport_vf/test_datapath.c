/* SPDX-License-Identifier: MIT */
/*
 * test_datapath.c — send and receive through the VF's queue pair: frames reach the physical
 * port with their packet id, zero copy both ways (the device reads the very guest buffer the
 * NBL describes; received NBLs point into the VF's own buffers), receive buffers recycle, a bad
 * GPA is stopped by the IOMMU without touching anything, frames outside guest memory are
 * refused, a full ring is a counted condition, the poll-mode data path never allocates.
 */
#include "vf_test.h"

static struct venv E;

static void
run(struct venv *e, sim_time_t ns)
{
    t_run_for(&e->t, ns);
}

Test(vf_datapath, frames_reach_the_wire_with_their_packet_id)
{
    venv_up(&E, false, NULL);
    for (uint64_t i = 0; i < 8; i++)
        v_send(&E, 60 + (uint32_t)i, 1000 + i);
    run(&E, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 8);
    cr_assert_eq(E.ntxc, 8);
    for (size_t i = 0; i < 8; i++) {
        cr_assert_eq(E.wire_id[i], 1000 + i, "in order, same id on the wire");
        cr_assert_eq(E.txc_id[i], 1000 + i);
        cr_assert_eq(E.txc_st[i], NDIS_STATUS_SUCCESS);
    }
    cr_assert_arr_eq(E.wire_src, E.mac, 6);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.tx_posted, 8);
    cr_assert_eq(s.tx_ok, 8);
    cr_assert_eq(s.tx_inflight, 0);
    cr_assert_eq(s.completion_mismatch, 0);
    cr_assert_geq(s.interrupts, 1, "completions came by MSI-X");
    venv_down(&E);
}

Test(vf_datapath, tx_is_zero_copy_the_device_reads_the_posted_guest_buffer)
{
    venv_up(&E, false, NULL);
    struct ndis_nbl *nbl = v_frame(&E, 3, 64, 77, 0x11);
    uint8_t *payload = nbl->first_nb->data + nbl->first_nb->data_offset + 14;
    cr_assert_eq(ndis_binding_send(E.b, nbl, 0), 0);
    /* The device fetches after the doorbell latency. Change the payload in guest memory now:
     * if the driver had copied it at send time, the wire would still show 0x11. */
    *payload = 0xee;
    run(&E, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 1);
    cr_assert_eq(E.wire_byte[0], 0xee, "the device read the guest buffer itself");
    /* and the packet header in the backfill carries the id */
    struct nic_pkt_hdr h;
    memcpy(&h, payload - 14 - NIC_PKT_HDR_LEN, sizeof h);
    cr_assert_eq(h.packet_id, 77);
    venv_down(&E);
}

Test(vf_datapath, rx_indicates_zero_copy_and_recycles_buffers)
{
    E.ring_slots = 32; /* 16 receive buffers */
    venv_up(&E, false, NULL);
    E.ring_slots = 0;
    uint64_t id = 5000;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 10; i++)
            v_wire_rx(&E, id++);
        run(&E, SIM_MSEC(1));
    }
    cr_assert_eq(E.nrx, 60, "60 frames through 16 buffers: every buffer came back");
    for (size_t i = 0; i < 60; i++)
        cr_assert_eq(E.rx_id[i], 5000 + i);
    cr_assert(E.rx_zero_copy_ok, "received NBLs point into the VF's receive buffers");
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.rx_indicated, 60);
    cr_assert_eq(s.rx_returned, 60);
    cr_assert_eq(v_drops(&E, SIM_DROP_RING_FULL, NULL), 0);
    venv_down(&E);
}

Test(vf_datapath, rx_beyond_posted_buffers_is_a_counted_ring_full_drop)
{
    E.ring_slots = 16; /* 8 receive buffers */
    venv_up(&E, false, NULL);
    E.ring_slots = 0;
    E.hold_rx = true; /* the protocol keeps what it gets: no buffer comes back */
    for (uint64_t i = 0; i < 12; i++)
        v_wire_rx(&E, 100 + i);
    run(&E, SIM_MSEC(1));
    cr_assert_eq(E.nrx, 8);
    cr_assert_eq(v_drops(&E, SIM_DROP_RING_FULL, NULL), 4);
    venv_down(&E);
}

Test(vf_datapath, bad_gpa_is_stopped_by_the_iommu_and_touches_nothing)
{
    venv_up(&E, false, NULL);
    uint64_t faults = pcie_iommu_fault_count(E.t.fabric);
    uint64_t bad = V_GUEST_MEM + 0x10000; /* beyond the VM's memory: not in its domain */
    cr_assert_eq(vf_adapter_send_gpa(E.a, bad, 60, 4242), 0);
    run(&E, SIM_MSEC(1));
    cr_assert_eq(pcie_iommu_fault_count(E.t.fabric), faults + 1);
    struct pcie_iommu_fault f;
    cr_assert_eq(pcie_iommu_fault_get(E.t.fabric, 0, &f), 0);
    cr_assert_eq(f.rid, E.rid);
    cr_assert_eq(f.iova, bad);
    cr_assert_eq(f.dir, PCIE_DMA_READ);
    cr_assert_eq(E.nwire, 0, "nothing left on the wire");
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.drops[SIM_DROP_IOMMU_FAULT], 1);
    cr_assert_eq(s.tx_completed, 1);
    cr_assert_eq(s.tx_ok, 0);
    cr_assert_eq(v_drops(&E, SIM_DROP_IOMMU_FAULT, NULL), 1, "reported once (by the device)");
    /* A good frame still goes through afterwards. */
    v_send(&E, 60, 1);
    run(&E, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 1);
    venv_down(&E);
}

Test(vf_datapath, frame_outside_guest_memory_is_refused_not_copied)
{
    venv_up(&E, false, NULL);
    static uint8_t host_buf[256]; /* host memory the VM does not own */
    struct ndis_nbl *nbl = ndis_nbl_alloc(E.txpool, E.b);
    nbl->first_nb->data = host_buf;
    nbl->first_nb->data_offset = 64;
    nbl->first_nb->data_length = 60;
    nbl->packet_id = 9;
    cr_assert_eq(ndis_binding_send(E.b, nbl, 0), 0);
    cr_assert_eq(E.ntxc, 1, "completed at once");
    cr_assert_eq(E.txc_st[0], NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(v_drops(&E, SIM_DROP_MALFORMED, "vm1.vf0 tx"), 1);
    /* no backfill for the packet header: refused too */
    nbl = v_frame(&E, 0, 60, 10, 0);
    nbl->first_nb->data_offset = 4;
    cr_assert_eq(ndis_binding_send(E.b, nbl, 0), 0);
    cr_assert_eq(E.txc_st[1], NDIS_STATUS_INVALID_PARAMETER);
    run(&E, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 0);
    venv_down(&E);
}

Test(vf_datapath, full_ring_completes_with_resources_and_reports_ring_full)
{
    E.ring_slots = 16;
    venv_up(&E, false, NULL);
    E.ring_slots = 0;
    for (uint64_t i = 0; i < 17; i++)
        v_send(&E, 60, i);
    cr_assert_eq(E.ntxc, 1);
    cr_assert_eq(E.txc_id[0], 16);
    cr_assert_eq(E.txc_st[0], NDIS_STATUS_RESOURCES);
    cr_assert_eq(v_drops(&E, SIM_DROP_RING_FULL, "vm1.vf0 tx"), 1);
    run(&E, SIM_MSEC(5));
    cr_assert_eq(E.nwire, 16);
    cr_assert_eq(E.ntxc, 17);
    venv_down(&E);
}

Test(vf_datapath, poll_mode_data_path_allocates_nothing_over_10k_frames)
{
    venv_up(&E, true, NULL);
    /* warm up */
    v_send(&E, 60, 0);
    v_wire_rx(&E, 0);
    for (int i = 0; i < 4; i++) {
        (void)nic_poll(E.t.nic, 64);
        (void)vf_adapter_poll(E.a, 64);
    }
    long before = sim_alloc_attempts();
    uint64_t id = 1;
    const uint64_t N = 10000;
    while (id <= N) {
        for (int k = 0; k < 16 && id <= N; k++, id++) {
            v_send(&E, 64, id);
            v_wire_rx(&E, id);
        }
        (void)nic_poll(E.t.nic, 64);
        (void)vf_adapter_poll(E.a, 64);
    }
    for (int i = 0; i < 8; i++) {
        (void)nic_poll(E.t.nic, 64);
        (void)vf_adapter_poll(E.a, 64);
    }
    cr_assert_eq(sim_alloc_attempts(), before, "no allocation on the data path");
    cr_assert_eq(E.nwire, N + 1);
    cr_assert_eq(E.nrx, N + 1);
    cr_assert_eq(E.ntxc, N + 1);
    for (uint64_t i = 0; i <= N; i++) {
        cr_assert_eq(E.wire_id[i], i);
        cr_assert_eq(E.rx_id[i], i);
    }
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.interrupts, 0, "poll mode: no data-path interrupts");
    venv_down(&E);
}
