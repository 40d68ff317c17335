/* SPDX-License-Identifier: MIT */
/*
 * test_mailbox.c — the VF's configuration requests over the PF<->VF mailbox against the real
 * PF miniport and its policy hook: MAC change accepted (the VF and the device agree; frames
 * with the new source MAC leave), refused explicitly (NACK: the caller sees the failure),
 * refused silently (ACK: the VF believes it, the PF's log and state say otherwise), VLAN and
 * multicast requests, the bounded request queue, and a PF config-block invalidation that makes
 * the VF re-read its MAC.
 */
#include "vf_test.h"

static struct venv E;
static const uint8_t new_mac[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x77};

static void
set_mac_and_wait(struct venv *e)
{
    e->req_done = 0;
    cr_assert_eq(vf_adapter_set_mac(e->a, new_mac, v_req_cb, e), 0);
    cr_assert_eq(e->req_done, 0, "never completes inside the call");
    t_run_for(&e->t, SIM_MSEC(1));
    cr_assert_eq(e->req_done, 1, "completes exactly once");
}

Test(vf_mailbox, mac_change_accepted_is_applied_on_both_sides)
{
    venv_up(&E, false, pf_policy_accept_all);
    set_mac_and_wait(&E);
    cr_assert_eq(E.req_st, NDIS_STATUS_SUCCESS);
    uint8_t vf_mac[6], pf_mac[6];
    vf_adapter_mac(E.a, vf_mac);
    cr_assert_arr_eq(vf_mac, new_mac, 6);
    cr_assert_eq(pf_vf_current_mac(E.t.pf, E.vf, pf_mac), 0);
    cr_assert_arr_eq(pf_mac, new_mac, 6, "the device uses it too");
    v_send(&E, 60, 1);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 1);
    cr_assert_arr_eq(E.wire_src, new_mac, 6);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.mac_changes, 1);
    venv_down(&E);
}

Test(vf_mailbox, mac_change_refused_explicitly_reaches_the_caller)
{
    venv_up(&E, false, pf_policy_intel);
    set_mac_and_wait(&E);
    cr_assert_eq(E.req_st, NDIS_STATUS_FAILURE, "NACK");
    uint8_t vf_mac[6];
    vf_adapter_mac(E.a, vf_mac);
    cr_assert_arr_eq(vf_mac, E.mac, 6, "the VF keeps its MAC");
    cr_assert(strstr(vf_adapter_last_error(E.a)->reason, "NACK") != NULL);
    cr_assert(strstr(pf_adapter_last_refusal(E.t.pf)->reason, "VF 0") != NULL, "%s",
              pf_adapter_last_refusal(E.t.pf)->reason);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.mbx_nacks, 1);
    cr_assert_eq(s.mac_changes, 0);
    v_send(&E, 60, 5); /* still sending from the old MAC: delivered */
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 1);
    cr_assert_arr_eq(E.wire_src, E.mac, 6);
    venv_down(&E);
}

Test(vf_mailbox, mac_change_refused_silently_leaves_vf_and_device_disagreeing)
{
    venv_up(&E, false, pf_policy_vsphere);
    set_mac_and_wait(&E);
    cr_assert_eq(E.req_st, NDIS_STATUS_SUCCESS, "ACK: the VF believes it worked");
    uint8_t vf_mac[6], pf_mac[6];
    vf_adapter_mac(E.a, vf_mac);
    cr_assert_arr_eq(vf_mac, new_mac, 6);
    cr_assert_eq(pf_vf_current_mac(E.t.pf, E.vf, pf_mac), 0);
    cr_assert_arr_eq(pf_mac, E.mac, 6, "the device still uses the old MAC");
    cr_assert_eq(pf_adapter_stats(E.t.pf)->mbx_silent_refusals, 1);
    cr_assert(strstr(pf_adapter_last_refusal(E.t.pf)->reason, "silently") != NULL);
    /* The consequence: the VF now sends from a MAC its VPort does not own; anti-spoof drops
     * it, the NBL fails, the device reports the drop once and the VF counts it. */
    v_send(&E, 60, 5);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.nwire, 0);
    cr_assert_eq(E.ntxc, 1);
    cr_assert_eq(E.txc_st[0], NDIS_STATUS_FAILURE);
    cr_assert_eq(v_drops(&E, SIM_DROP_SPOOF_CHECK, NULL), 1);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_eq(s.drops[SIM_DROP_SPOOF_CHECK], 1);
    venv_down(&E);
}

Test(vf_mailbox, vlan_and_multicast_requests_complete_once_each)
{
    venv_up(&E, false, pf_policy_accept_all);
    E.req_done = 0;
    cr_assert_eq(vf_adapter_set_vlan(E.a, 10, true, v_req_cb, &E), 0);
    static const uint8_t mc[2][6] = {{0x01, 0, 0x5e, 0, 0, 1}, {0x01, 0, 0x5e, 0, 0, 2}};
    cr_assert_eq(vf_adapter_set_multicast(E.a, mc, 2, v_req_cb, &E), 0);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.req_done, 2);
    cr_assert_eq(E.req_st, NDIS_STATUS_SUCCESS);
    uint16_t vlan = 0;
    cr_assert_eq(pf_vf_current_vlan(E.t.pf, E.vf, &vlan), 0);
    cr_assert_eq(vlan, 10);
    uint8_t got[8][6];
    cr_assert_eq(pf_vf_multicast(E.t.pf, E.vf, got, 8), 2);
    /* bad input never crashes */
    cr_assert_eq(vf_adapter_set_vlan(E.a, 5000, true, v_req_cb, &E), SIM_ERANGE);
    cr_assert_eq(vf_adapter_set_multicast(E.a, mc, 8, v_req_cb, &E), SIM_ERANGE);
    static const uint8_t mcast[6] = {0x01, 0, 0, 0, 0, 1};
    cr_assert_eq(vf_adapter_set_mac(E.a, mcast, v_req_cb, &E), SIM_EINVAL);
    cr_assert_eq(vf_adapter_set_mac(E.a, new_mac, NULL, &E), SIM_EINVAL);
    venv_down(&E);
}

Test(vf_mailbox, request_queue_is_bounded_and_every_request_completes_once)
{
    venv_up(&E, false, pf_policy_accept_all);
    E.req_done = 0;
    int accepted = 0;
    for (int i = 0; i < 12; i++) {
        int rc = vf_adapter_set_vlan(E.a, (uint16_t)(i + 1), true, v_req_cb, &E);
        if (rc == 0)
            accepted++;
        else
            cr_assert_eq(rc, SIM_ENOSPC);
    }
    cr_assert_eq(accepted, VF_MBX_QUEUE + 1, "one outstanding + VF_MBX_QUEUE waiting");
    t_run_for(&E.t, SIM_MSEC(5));
    cr_assert_eq(E.req_done, accepted);
    venv_down(&E);
}

Test(vf_mailbox, pending_requests_complete_with_adapter_removed_on_surprise_removal)
{
    venv_up(&E, false, pf_policy_accept_all);
    E.req_done = 0;
    cr_assert_eq(vf_adapter_set_vlan(E.a, 3, true, v_req_cb, &E), 0);
    cr_assert_eq(vf_adapter_set_vlan(E.a, 4, true, v_req_cb, &E), 0);
    cr_assert_eq(pcie_fn_surprise_remove(E.t.fabric, (uint16_t)E.rid), 0);
    cr_assert_eq(E.req_done, 2);
    cr_assert_eq(E.req_st, NDIS_STATUS_ADAPTER_REMOVED);
    cr_assert_eq(vf_adapter_set_vlan(E.a, 5, true, v_req_cb, &E), SIM_ENODEV);
    t_run_for(&E.t, SIM_MSEC(50));
    cr_assert_eq(E.req_done, 2, "nothing completes twice");
    venv_down(&E);
}

Test(vf_mailbox, pf_config_block_invalidation_makes_the_vf_reread_its_mac)
{
    venv_up(&E, false, pf_policy_accept_all);
    cr_assert_eq(pf_vf_config_block_update(E.t.pf, E.vf, PF_CFG_BLOCK_MAC, 0, new_mac, 6), 0);
    t_run_for(&E.t, SIM_MSEC(1));
    uint8_t vf_mac[6];
    vf_adapter_mac(E.a, vf_mac);
    cr_assert_arr_eq(vf_mac, new_mac, 6);
    struct vf_stats s;
    vf_adapter_stats(E.a, &s);
    cr_assert_geq(s.mbx_notifications, 1);
    venv_down(&E);
}

Test(vf_mailbox, invalidate_config_block_oid_pends_until_the_block_was_read)
{
    venv_up(&E, false, pf_policy_accept_all);
    struct ndis_sriov_vf_invalidate_config_block_info info;
    memset(&info, 0, sizeof info);
    t_hdr(&info.header, 1, NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1);
    info.block_mask = 1;
    struct ndis_oid_request req;
    ndis_oid_request_init_method(&req, "ndis", OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK, &info,
                                 sizeof info, sizeof info);
    E.t.completions = 0;
    req.data = &E.t;
    struct sim_diag d;
    sim_diag_clear(&d);
    cr_assert_eq(ndis_oid_request_submit(E.mp, &req, t_oid_cb, &d), 0, "%s", d.reason);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.t.completions, 1);
    cr_assert_eq(E.t.status, NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_stats(E.mp)->pended, 1, "it waited for the backchannel read");
    /* an OID the VF does not handle */
    struct ndis_sriov_overlying_adapter_info oa;
    memset(&oa, 0, sizeof oa);
    t_hdr(&oa.header, 1, NDIS_SIZEOF_SRIOV_OVERLYING_ADAPTER_INFO_REVISION_1);
    ndis_oid_request_init(&req, "ndis", NDIS_REQUEST_SET_INFORMATION,
                          OID_SRIOV_OVERLYING_ADAPTER_INFO, &oa, sizeof oa);
    req.data = &E.t;
    cr_assert_eq(ndis_oid_request_submit(E.mp, &req, t_oid_cb, &d), 0, "%s", d.reason);
    t_run_for(&E.t, SIM_MSEC(1));
    cr_assert_eq(E.t.completions, 2);
    cr_assert_eq(E.t.status, NDIS_STATUS_SUCCESS);
    venv_down(&E);
}
