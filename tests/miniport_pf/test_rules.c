/* SPDX-License-Identifier: MIT */
/*
 * test_rules.c — one test per rule of reference/ndis_sriov.md that the PF miniport (or NDIS in
 * front of it) enforces, each checking the documented status and that a readable reason exists.
 *
 * | rule (source)                                          | status                 | test |
 * |--------------------------------------------------------|------------------------|-------------------------------|
 * | VF parameters immutable after allocation (§7.1)        | NOT_SUPPORTED / INV_P  |
 * vf_parameters_immutable       | | FREE_VF refused while the VF has a VPort (§4.2)        |
 * FILE_NOT_FOUND         | free_vf_refused_with_vport    | | RESET_VF before FREE_VF (§7.3 step 3
 * before 4)        | FILE_NOT_FOUND (pick)  | free_vf_needs_reset_first     | | one non-default
 * VPort per VF (§4.2)                    | INVALID_PARAMETER      | one_vport_per_vf              |
 * | VPort attachment immutable (§4.2)                      | INVALID_PARAMETER      |
 * vport_attachment_immutable    | | queue pairs immutable (§4.2 DOC CONFLICT, 6.30)        |
 * INVALID_PARAMETER      | vport_queue_pairs_immutable   | | Activated never back to Deactivated;
 * VF VPort Activated | INVALID_PARAMETER      | vport_state_rules             | | default VPort
 * deleted only by DELETE_SWITCH (§4.2)     | INVALID_PARAMETER      | (test_malformed)
 * delete_default| | DELETE_VPORT after its filters are gone (§4.2)         | INVALID_PARAMETER |
 * delete_vport_with_filters     | | DELETE_SWITCH after VFs/VPorts/filters gone (§7.7)     |
 * INVALID_PARAMETER      | delete_switch_preconditions   | | one switch (§4.2) | INVALID_PARAMETER
 * | one_switch                    | | CLEAR_FILTER unknown id (§4.2)                         |
 * FILE_NOT_FOUND         | clear_unknown_filter          | | RESET_VF is a real FLR; FLR timeout
 * fails (§12.5)      | SUCCESS / FAILURE      | reset_vf_flr_and_timeout      | | RESET_VF / POWER
 * / config on unallocated VF (§4.2)     | INVALID_PARAMETER      | vf_oids_need_allocated_vf     |
 * | config block: invalid BlockId; masks coalesce (§8)     | INVALID_PARAMETER      |
 * config_blocks_and_invalidation| | config space read/write through the fabric (§4.2)      |
 * SUCCESS / INVALID_LEN  | vf_config_space               | | PF halted only after every VF is freed
 * (§7.7)          | SIM_EBUSY (halt)       | (test_lifecycle) halt_refused | |
 * NIC_SWITCH_PARAMETERS: only SwitchName changes (§4.2)  | INVALID_PARAMETER      |
 * switch_parameters_set         | | PF's view equals NDIS's ("N" OIDs)                      |
 * SUCCESS                | local_answers_match_ndis      |
 */
#include "pf_test.h"

static uint16_t
one_vf(struct topo *t, uint32_t *vport)
{
    cr_assert_eq(t_create_switch(t, 4), NDIS_STATUS_SUCCESS);
    uint8_t mac[6];
    t_vf_mac(0, mac);
    uint16_t vf;
    cr_assert_eq(t_allocate_vf(t, mac, &vf, NULL), NDIS_STATUS_SUCCESS);
    if (vport != NULL)
        cr_assert_eq(t_create_vport(t, vf, 1, 0, vport), NDIS_STATUS_SUCCESS);
    return vf;
}

static void
reason_has(struct topo *t, const char *needle)
{
    const char *r = pf_adapter_last_refusal(t->pf)->reason;
    cr_assert(strstr(r, needle) != NULL, "reason '%s' lacks '%s'", r, needle);
}

Test(pf_rules, vf_parameters_immutable)
{
    struct topo t;
    topo_init(&t, NULL);
    uint16_t vf = one_vf(&t, NULL);
    struct ndis_nic_switch_vf_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    p.vf_id = vf;
    p.current_mac_address[0] = 0x02;
    /* A set of VF_PARAMETERS: the request type does not exist for this OID. */
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_VF_PARAMETERS, &p, sizeof p, 0),
        NDIS_STATUS_NOT_SUPPORTED);
    cr_assert_not_null(t.req.rule);
    /* Re-allocating with the VF's id filled in is refused. */
    p.switch_id = 0;
    p.requestor_id = NDIS_INVALID_RID;
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ALLOCATE_VF, &p, sizeof p, sizeof p),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* The parameters read back are the allocated ones. */
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
    p.vf_id = vf;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_VF_PARAMETERS, &p, sizeof p, sizeof p),
        NDIS_STATUS_SUCCESS);
    uint8_t mac[6];
    t_vf_mac(0, mac);
    cr_assert_arr_eq(p.current_mac_address, mac, 6);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, free_vf_refused_with_vport)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport;
    uint16_t vf = one_vf(&t, &vport);
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_FILE_NOT_FOUND);
    cr_assert(t.req.rule != NULL && strstr(t.req.rule, "VPort") != NULL, "%s", t.req.rule);
    /* The reason names the VF and the VPort that blocks it, as a user would need. */
    char want[96];
    snprintf(want, sizeof want, "FREE_VF vf=%u: VF still has VPort %u attached", vf, vport);
    cr_assert(strstr(t.req.rule, want) != NULL, "reason '%s' lacks '%s'", t.req.rule, want);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, free_vf_needs_reset_first)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport;
    uint16_t vf = one_vf(&t, &vport);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_FILE_NOT_FOUND);
    reason_has(&t, "FREE_VF vf=0: the VF was not reset");
    reason_has(&t, "NDIS_STATUS_FILE_NOT_FOUND");
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_SUCCESS);
    /* Double free: NDIS and the PF agree the VF is gone. */
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_FILE_NOT_FOUND);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, one_vport_per_vf)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport, second;
    uint16_t vf = one_vf(&t, &vport);
    cr_assert_eq(t_create_vport(&t, vf, 1, 0, &second), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert(strstr(t.req.rule, "one non-default VPort") != NULL, "%s", t.req.rule);
    cr_assert_eq(nic_vport_count(t.nic), 2);
    /* The PF may have several. */
    uint32_t p1, p2;
    cr_assert_eq(t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, 0, &p1), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, 0, &p2), NDIS_STATUS_SUCCESS);
    cr_assert_neq(p1, p2);
    cr_assert_eq(t_delete_vport(&t, p1), 0);
    cr_assert_eq(t_delete_vport(&t, p2), 0);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

static ndis_status_t
vport_set(struct topo *t, uint32_t vport, uint16_t fn, uint32_t flags, uint32_t state)
{
    struct ndis_nic_switch_vport_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    p.vport_id = vport;
    p.attached_function_id = fn;
    p.flags = flags;
    p.vport_state = state;
    return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_VPORT_PARAMETERS, &p, sizeof p, 0);
}

Test(pf_rules, vport_attachment_immutable)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport;
    uint16_t vf = one_vf(&t, &vport);
    cr_assert_eq(vport_set(&t, vport, NDIS_PF_FUNCTION_ID,
                           NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED),
                 NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "attachment is immutable");
    cr_assert_eq(vport_set(&t, vport, vf, NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, vport_queue_pairs_immutable)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    uint32_t vp;
    cr_assert_eq(t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, 0, &vp), 0);
    cr_assert_eq(vport_set(&t, vp, NDIS_PF_FUNCTION_ID,
                           NDIS_NIC_SWITCH_VPORT_PARAMS_NUM_QUEUE_PAIRS_CHANGED, 0),
                 NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "NumQueuePairs cannot change");
    cr_assert_eq(t_delete_vport(&t, vp), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, vport_state_rules)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vfport;
    uint16_t vf = one_vf(&t, &vfport);
    /* A VF VPort is Activated at creation (even when asked otherwise). */
    struct ndis_nic_switch_vport_parameters g;
    memset(&g, 0, sizeof g);
    t_hdr(&g.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    g.vport_id = vfport;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_VPORT_PARAMETERS, &g, sizeof g, sizeof g), 0);
    cr_assert_eq(g.vport_state, NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED);
    /* A PF VPort starts Deactivated; frames for it are dropped (paused) until activated. */
    uint32_t pv, fid;
    cr_assert_eq(
        t_create_vport(&t, NDIS_PF_FUNCTION_ID, 1, NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED, &pv),
        0);
    static const uint8_t mac[6] = {0x02, 0x33, 0, 0, 0, 7};
    cr_assert_eq(t_set_filter(&t, pv, mac, -1, &fid), 0);
    t_frame_rx(&t, mac, -1, 1);
    t_run_for(&t, SIM_USEC(10));
    cr_assert_eq(t.ndrops, 1);
    cr_assert_eq(t.drops[0].cause, SIM_DROP_PAUSED);
    uint64_t pended = ndis_miniport_stats(t.mp)->pended;
    cr_assert_eq(vport_set(&t, pv, NDIS_PF_FUNCTION_ID, NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(ndis_miniport_stats(t.mp)->pended, pended + 1, "activation goes to the device");
    /* Never back. */
    cr_assert_eq(vport_set(&t, pv, NDIS_PF_FUNCTION_ID, NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(vport_set(&t, vfport, vf, NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_DEACTIVATED),
                 NDIS_STATUS_INVALID_PARAMETER);
    /* Affinity is for PF VPorts only. */
    cr_assert_eq(vport_set(&t, vfport, vf, NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED,
                           NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED),
                 NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "ProcessorAffinity");
    cr_assert_eq(t_clear_filter(&t, fid), 0);
    cr_assert_eq(t_delete_vport(&t, pv), 0);
    cr_assert_eq(t_delete_vport(&t, vfport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, delete_vport_with_filters)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport, fid;
    uint16_t vf = one_vf(&t, &vport);
    uint8_t mac[6];
    t_vf_mac(0, mac);
    cr_assert_eq(t_set_filter(&t, vport, mac, -1, &fid), 0);
    cr_assert_eq(t_delete_vport(&t, vport), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_not_null(t.req.rule);
    cr_assert_eq(nic_vport_count(t.nic), 2, "the VPort is still there");
    cr_assert_eq(t_clear_filter(&t, fid), 0);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, delete_switch_preconditions)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport;
    uint16_t vf = one_vf(&t, &vport);
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_INVALID_PARAMETER); /* VF allocated */
    cr_assert_not_null(t.req.rule);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    /* A filter left on the default VPort. */
    uint32_t fid;
    static const uint8_t mac[6] = {0x02, 0x44, 0, 0, 0, 1};
    cr_assert_eq(t_set_filter(&t, NDIS_DEFAULT_VPORT_ID, mac, -1, &fid), 0);
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(t_clear_filter(&t, fid), 0);
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_SUCCESS);
    /* No switch any more. */
    cr_assert_eq(t_delete_switch(&t), NDIS_STATUS_FILE_NOT_FOUND);
    topo_fini(&t);
}

Test(pf_rules, one_switch)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    cr_assert_eq(t_create_switch(&t, 2), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(t_delete_switch(&t), 0);
    /* NumVFs above TotalVFs. */
    cr_assert_eq(t_create_switch(&t, T_TOTAL_VFS + 1), NDIS_STATUS_INVALID_PARAMETER);
    topo_fini(&t);
}

Test(pf_rules, clear_unknown_filter)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    cr_assert_eq(t_clear_filter(&t, 42), NDIS_STATUS_FILE_NOT_FOUND);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, reset_vf_flr_and_timeout)
{
    struct topo t;
    topo_init(&t, NULL);
    uint16_t vf = one_vf(&t, NULL);
    struct pcie_stats ps;
    pcie_fabric_stats(t.fabric, &ps);
    uint64_t flr0 = ps.flr_started;
    pcie_fabric_knobs(t.fabric)->flr_timeout = true;
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_FAILURE);
    reason_has(&t, "RESET_VF vf=0: the VF did not complete its FLR within the 100 ms bound");
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_FILE_NOT_FOUND, "a failed reset does not count");
    t_run_for(&t, SIM_SEC(2)); /* the late FLR finishes */
    pcie_fabric_knobs(t.fabric)->flr_timeout = false;
    cr_assert_eq(t_reset_vf(&t, vf), NDIS_STATUS_SUCCESS);
    pcie_fabric_stats(t.fabric, &ps);
    cr_assert_eq(ps.flr_started, flr0 + 2, "RESET_VF is a real FLR on the fabric");
    cr_assert_eq(pf_adapter_stats(t.pf)->flr_ok, 1);
    cr_assert_eq(pf_adapter_stats(t.pf)->flr_failed, 1);
    cr_assert_eq(t_free_vf(&t, vf), NDIS_STATUS_SUCCESS);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, vf_oids_need_allocated_vf)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 4), 0);
    cr_assert_eq(t_reset_vf(&t, 1), NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "RESET_VF vf=1: the VF is not allocated");
    struct ndis_sriov_set_vf_power_state_parameters pw;
    memset(&pw, 0, sizeof pw);
    t_hdr(&pw.header, 1, NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1);
    pw.vf_id = 1;
    pw.power_state = NDIS_DEVICE_POWER_STATE_D3;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_SET_VF_POWER_STATE, &pw, sizeof pw, 0),
        NDIS_STATUS_INVALID_PARAMETER);
    /* Allocated: D3 with wake, then D0 without; D0 with wake is refused. */
    uint8_t mac[6];
    t_vf_mac(0, mac);
    uint16_t vf;
    cr_assert_eq(t_allocate_vf(&t, mac, &vf, NULL), 0);
    pw.vf_id = vf;
    pw.wake_enable = 1;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_SET_VF_POWER_STATE, &pw, sizeof pw, 0),
        NDIS_STATUS_SUCCESS);
    pw.power_state = NDIS_DEVICE_POWER_STATE_D0;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_SET_VF_POWER_STATE, &pw, sizeof pw, 0),
        NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "WakeEnable must be FALSE for D0");
    pw.wake_enable = 0;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_SET_VF_POWER_STATE, &pw, sizeof pw, 0),
        NDIS_STATUS_SUCCESS);
    struct ndis_sriov_vf_vendor_device_id_info id;
    memset(&id, 0, sizeof id);
    t_hdr(&id.header, 1, NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1);
    id.vf_id = vf;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_SRIOV_VF_VENDOR_DEVICE_ID, &id, sizeof id, sizeof id),
        0);
    cr_assert_eq(id.vendor_id, 0x8086);
    cr_assert_eq(id.device_id, 0x10ed);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

struct blk_req {
    struct ndis_sriov_vf_config_block_parameters p;
    uint8_t data[64];
};

static ndis_status_t
block_oid(struct topo *t, bool write, uint16_t vf, uint32_t block, uint32_t len, struct blk_req *r)
{
    t_hdr(&r->p.header, 1, NDIS_SIZEOF_SRIOV_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1);
    r->p.vf_id = vf;
    r->p.block_id = block;
    r->p.length = len;
    r->p.buffer_offset = (uint32_t)offsetof(struct blk_req, data);
    if (write)
        return t_oid(t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_WRITE_VF_CONFIG_BLOCK, r, sizeof *r,
                     0);
    return t_oid(t, NDIS_REQUEST_METHOD, OID_SRIOV_READ_VF_CONFIG_BLOCK, r, sizeof r->p, sizeof *r);
}

Test(pf_rules, config_blocks_and_invalidation)
{
    struct topo t;
    topo_init(&t, NULL);
    uint16_t vf = one_vf(&t, NULL);
    struct blk_req r;
    memset(&r, 0, sizeof r);
    /* Block 0 holds the VF's MAC. */
    cr_assert_eq(block_oid(&t, false, vf, PF_CFG_BLOCK_MAC, 6, &r), NDIS_STATUS_SUCCESS);
    uint8_t mac[6];
    t_vf_mac(0, mac);
    cr_assert_arr_eq(r.data, mac, 6);
    /* Write then read back block 5. */
    memset(r.data, 0x5a, sizeof r.data);
    cr_assert_eq(block_oid(&t, true, vf, 5, 32, &r), NDIS_STATUS_SUCCESS);
    memset(r.data, 0, sizeof r.data);
    cr_assert_eq(block_oid(&t, false, vf, 5, 32, &r), NDIS_STATUS_SUCCESS);
    cr_assert_eq(r.data[31], 0x5a);
    /* Invalid BlockId, too long, buffer too short for the data. */
    cr_assert_eq(block_oid(&t, false, vf, PF_CFG_BLOCKS, 4, &r), NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "BlockId 8 is not a valid block");
    cr_assert_eq(block_oid(&t, false, vf, 1, 65, &r), NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(t.req.bytes_needed, offsetof(struct blk_req, data) + 65);
    cr_assert_eq(block_oid(&t, false, 3, 1, 4, &r), NDIS_STATUS_INVALID_PARAMETER);
    /* PF-side changes: NdisMInvalidateConfigBlock masks OR together until taken. */
    (void)ndis_pf_take_invalidation(t.mp, vf);
    uint8_t x = 1;
    cr_assert_eq(pf_vf_config_block_update(t.pf, vf, 3, 0, &x, 1), 0);
    cr_assert_eq(pf_vf_config_block_update(t.pf, vf, 6, 0, &x, 1), 0);
    cr_assert_eq(pf_vf_config_block_update(t.pf, vf, 3, 1, &x, 1), 0);
    cr_assert_eq(ndis_pf_take_invalidation(t.mp, vf), (1u << 3) | (1u << 6));
    cr_assert_eq(ndis_pf_take_invalidation(t.mp, vf), 0);
    cr_assert_eq(pf_vf_config_block_update(t.pf, vf, PF_CFG_BLOCKS, 0, &x, 1), SIM_ERANGE);
    cr_assert_eq(pf_vf_config_block_update(t.pf, 5, 0, 0, &x, 1), SIM_ENOENT);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

struct cs_req {
    struct ndis_sriov_vf_config_space_parameters p;
    uint8_t data[64];
};

Test(pf_rules, vf_config_space)
{
    struct topo t;
    topo_init(&t, NULL);
    uint16_t vf = one_vf(&t, NULL);
    struct cs_req r;
    memset(&r, 0, sizeof r);
    t_hdr(&r.p.header, 1, NDIS_SIZEOF_SRIOV_VF_CONFIG_SPACE_PARAMETERS_REVISION_1);
    r.p.vf_id = vf;
    r.p.offset = PCIE_CFG_CAP_PTR;
    r.p.length = 1;
    r.p.buffer_offset = (uint32_t)offsetof(struct cs_req, data);
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_SRIOV_READ_VF_CONFIG_SPACE, &r, sizeof r.p, sizeof r),
        NDIS_STATUS_SUCCESS, "%s", pf_adapter_last_refusal(t.pf)->reason);
    const uint8_t *cfg = pcie_fn_cfg_bytes(pcie_pf_vf(nic_pf_fn(t.nic), vf));
    cr_assert_eq(r.data[0], cfg[PCIE_CFG_CAP_PTR]);
    /* Write the interrupt line register through the OID; the VF's config space changes. */
    r.p.offset = PCIE_CFG_INT_LINE;
    r.data[0] = 0x2b;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_SRIOV_WRITE_VF_CONFIG_SPACE, &r, sizeof r, 0),
        NDIS_STATUS_SUCCESS);
    cr_assert_eq(cfg[PCIE_CFG_INT_LINE], 0x2b);
    /* Outside 4 KiB, or data beyond the buffer. */
    r.p.offset = 4090;
    r.p.length = 16;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_SRIOV_READ_VF_CONFIG_SPACE, &r, sizeof r.p, sizeof r),
        NDIS_STATUS_INVALID_PARAMETER);
    r.p.offset = 0;
    r.p.length = 200;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_SRIOV_READ_VF_CONFIG_SPACE, &r, sizeof r.p, sizeof r),
        NDIS_STATUS_INVALID_LENGTH);
    cr_assert_eq(t.req.bytes_needed, offsetof(struct cs_req, data) + 200);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, switch_parameters_set)
{
    struct topo t;
    topo_init(&t, NULL);
    cr_assert_eq(t_create_switch(&t, 2), 0);
    struct ndis_nic_switch_parameters p;
    memset(&p, 0, sizeof p);
    t_hdr(&p.header, 1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
    p.flags = NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED;
    p.switch_friendly_name.length = 2;
    p.switch_friendly_name.string[0] = 'X';
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_PARAMETERS, &p,
                       (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, 0),
                 NDIS_STATUS_SUCCESS);
    p.flags = 0x00020000u; /* not a defined change */
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_SET_INFORMATION, OID_NIC_SWITCH_PARAMETERS, &p,
                       (uint32_t)NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1, 0),
                 NDIS_STATUS_INVALID_PARAMETER);
    reason_has(&t, "only SwitchName");
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}

Test(pf_rules, local_answers_match_ndis)
{
    struct topo t;
    topo_init(&t, NULL);
    uint32_t vport;
    uint16_t vf = one_vf(&t, &vport);
    static uint8_t a[8192], b[8192];
    struct ndis_nic_switch_vf_info_array in;
    memset(&in, 0, sizeof in);
    t_hdr(&in.header, 1, NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1);
    memcpy(a, &in, sizeof in);
    memcpy(b, &in, sizeof in);
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_ENUM_VFS, a, sizeof in, sizeof a),
                 0);
    uint32_t written = t.req.bytes_written;
    struct ndis_oid_request req;
    ndis_oid_request_init_method(&req, "test", OID_NIC_SWITCH_ENUM_VFS, b, sizeof in, sizeof b);
    cr_assert_eq(pf_oid_answer_local(t.pf, &req), 0);
    cr_assert_eq(req.bytes_written, written);
    cr_assert_arr_eq(a, b, written, "NDIS's and the PF's VF lists differ");
    /* One VPort's parameters. */
    struct ndis_nic_switch_vport_parameters pa, pb;
    memset(&pa, 0, sizeof pa);
    t_hdr(&pa.header, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
    pa.vport_id = vport;
    pb = pa;
    cr_assert_eq(
        t_oid(&t, NDIS_REQUEST_METHOD, OID_NIC_SWITCH_VPORT_PARAMETERS, &pa, sizeof pa, sizeof pa),
        0);
    ndis_oid_request_init_method(&req, "test", OID_NIC_SWITCH_VPORT_PARAMETERS, &pb, sizeof pb,
                                 sizeof pb);
    cr_assert_eq(pf_oid_answer_local(t.pf, &req), 0);
    cr_assert_eq(pa.attached_function_id, pb.attached_function_id);
    cr_assert_eq(pa.num_queue_pairs, pb.num_queue_pairs);
    cr_assert_eq(pa.vport_state, pb.vport_state);
    /* Capabilities. */
    struct ndis_nic_switch_capabilities ca, cb;
    cr_assert_eq(t_oid(&t, NDIS_REQUEST_QUERY_INFORMATION, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &ca,
                       sizeof ca, 0),
                 0);
    ndis_oid_request_init(&req, "test", NDIS_REQUEST_QUERY_INFORMATION,
                          OID_NIC_SWITCH_CURRENT_CAPABILITIES, &cb, sizeof cb);
    cr_assert_eq(pf_oid_answer_local(t.pf, &req), 0);
    cr_assert_eq(ca.max_num_vports, cb.max_num_vports);
    cr_assert_eq(ca.max_num_vfs, cb.max_num_vfs);
    cr_assert_eq(ca.max_num_switches, 1);
    cr_assert_geq(ca.max_num_vports, ca.max_num_vfs + 1);
    cr_assert_geq(ca.max_num_queue_pairs, ca.max_num_vports);
    cr_assert_geq(ca.max_num_mac_addresses, ca.max_num_vports);
    cr_assert_eq(t_delete_vport(&t, vport), 0);
    cr_assert_eq(t_reset_vf(&t, vf), 0);
    cr_assert_eq(t_free_vf(&t, vf), 0);
    cr_assert_eq(t_delete_switch(&t), 0);
    topo_fini(&t);
}
