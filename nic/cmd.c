/* SPDX-License-Identifier: MIT */
/*
 * cmd.c — the command interface of PF BAR0 (nic_regs.h section 4): a parameter window, a
 * doorbell, one command in flight, executed NIC_CMD_LATENCY_NS later on the scheduler, then
 * status + results and the admin MSI-X vector.
 *
 * Windows counterpart: the firmware admin queue (Intel E810 AdminQ, ConnectX command
 * interface) through which a PF miniport implements the NIC-switch OIDs (CREATE_SWITCH,
 * CREATE_VPORT, SET_FILTER, MOVE_FILTER, RESET_VF, ...).
 */
#include <string.h>

#include "nic/nic_int.h"

static int
nic_cmd_execute(struct nic *nic, uint32_t opcode, const uint32_t *p, uint32_t *r)
{
    switch (opcode) {
    case NIC_CMD_NOP:
        return NIC_ERR_OK;
    case NIC_CMD_SWITCH_CREATE:
        return nic__switch_create(nic, p);
    case NIC_CMD_SWITCH_DELETE:
        return nic__switch_delete(nic);
    case NIC_CMD_VPORT_CREATE:
        return nic__vport_create(nic, p);
    case NIC_CMD_VPORT_DELETE:
        return nic__vport_delete(nic, p[0]);
    case NIC_CMD_VPORT_SET:
        return nic__vport_set(nic, p);
    case NIC_CMD_VPORT_QUERY:
        return nic__vport_query(nic, p[0], r);
    case NIC_CMD_FILTER_SET:
        return nic__filter_set(nic, p);
    case NIC_CMD_FILTER_CLEAR:
        return nic__filter_clear(nic, p[0]);
    case NIC_CMD_FILTER_MOVE:
        return nic__filter_move(nic, p[0], p[1]);
    case NIC_CMD_VF_RESET:
        if (p[0] >= nic->total_vfs || nic->vfs[p[0]].pcie == NULL)
            return NIC_ERR_NOT_FOUND;
        nic__vf_reset(&nic->vfs[p[0]], SIM_DROP_FUNCTION_RESET);
        return NIC_ERR_OK;
    case NIC_CMD_STATS_READ:
        return nic__stats_read(nic, p, r);
    case NIC_CMD_LINK_SET:
        if (p[0] & ~NIC_LINK_ADMIN_UP)
            return NIC_ERR_BAD_PARAM;
        nic->admin_up = (p[0] & NIC_LINK_ADMIN_UP) != 0;
        nic__port_link_update(nic);
        r[0] = nic__link_up(nic) ? NIC_STATUS_LINK_UP : 0;
        return NIC_ERR_OK;
    default:
        return NIC_ERR_BAD_OPCODE;
    }
}

/* The command's modelled execution time is over: run it, publish, interrupt. */
static void
nic_cmd_complete(struct sim_timer *t)
{
    struct nic *nic = t->data;
    int code;

    memset(nic->cmd_result, 0, sizeof(nic->cmd_result));
    if (nic->knobs.cmd_fail_next > 0) {
        nic->knobs.cmd_fail_next--;
        nic->stats.cmds_injected++;
        code = NIC_ERR_INJECTED;
    } else {
        code = nic_cmd_execute(nic, nic->cmd_opcode, nic->cmd_latched, nic->cmd_result);
    }
    nic->stats.cmds_completed++;
    if (code != NIC_ERR_OK)
        nic->stats.cmds_failed++;
    SIM_DEBUG(nic, "%s: command 0x%04x done: %s", nic->name, nic->cmd_opcode,
              nic_err_name((unsigned)code));
    nic->cmd_done_tag = nic->cmd_latched_tag;
    nic->cmd_status = NIC_CMD_STATUS_DONE | (uint32_t)code;
    nic__fire(&nic->pf, NIC_PF_VEC_ADMIN);
}

void
nic__cmd_init(struct nic *nic)
{
    sim_timer_init(nic->sched, &nic->cmd_timer, nic_cmd_complete, nic);
    nic__cmd_reset(nic);
}

/* Power-on / PF reset state: idle, nothing latched; a command in flight is abandoned. */
void
nic__cmd_reset(struct nic *nic)
{
    sim_timer_stop(&nic->cmd_timer);
    memset(nic->cmd_param, 0, sizeof(nic->cmd_param));
    memset(nic->cmd_latched, 0, sizeof(nic->cmd_latched));
    memset(nic->cmd_result, 0, sizeof(nic->cmd_result));
    nic->cmd_status = 0;
    nic->cmd_tag = nic->cmd_done_tag = nic->cmd_opcode = nic->cmd_latched_tag = 0;
}

void
nic__cmd_doorbell(struct nic *nic, uint32_t opcode)
{
    if (nic->cmd_status & NIC_CMD_STATUS_BUSY) {
        nic->stats.cmds_busy_ignored++;
        return;
    }
    memcpy(nic->cmd_latched, nic->cmd_param, sizeof(nic->cmd_latched));
    nic->cmd_latched_tag = nic->cmd_tag;
    nic->cmd_opcode = opcode;
    nic->cmd_status = NIC_CMD_STATUS_BUSY;
    nic->stats.cmds_started++;
    if (sim_timer_start(&nic->cmd_timer, NIC_CMD_LATENCY_NS + nic->knobs.cmd_extra_delay_ns) != 0) {
        /* The scheduler could not take the event: the "firmware" fails the command at once
         * rather than leaving BUSY set forever. */
        nic->stats.sched_errors++;
        nic->stats.cmds_completed++;
        nic->stats.cmds_failed++;
        nic->cmd_done_tag = nic->cmd_latched_tag;
        nic->cmd_status = NIC_CMD_STATUS_DONE | NIC_ERR_NO_SPACE;
        nic__fire(&nic->pf, NIC_PF_VEC_ADMIN);
    }
}
