/* SPDX-License-Identifier: MIT */
/*
 * nvsp_proto.h — the NVSP messages NetVSC (guest) and NetVSP (host) exchange over the VMBus
 * network channel, carried in hv's fixed 64-byte VMBus messages (struct hv_vmbus_msg).
 *
 * Windows / Hyper-V counterpart: the Network Virtual Service Protocol spoken between netvsc.sys
 * in the guest and the NetVSP half of vmswitch.sys in the root (the same protocol Linux
 * hv_netvsc speaks: drivers/net/hyperv/hyperv_net.h). Message type numbers are Linux's
 * NVSP_MSG_* values so a trace reads like the real protocol. RNDIS itself is not modelled: a
 * SEND_RNDIS_PKT message carries one raw Ethernet frame in a send/receive buffer section (the
 * frame is what RNDIS_PACKET_MSG would wrap), with the packet id in the message's xid.
 *
 * Exchanges (direction, completion):
 *   INIT               guest -> host, completion requested: version negotiation; the host
 *                      answers with status NVSP_STATUS_SUCCESS if [min, max] includes its
 *                      version. The send/receive buffers themselves are set up by the channel
 *                      open (hv models NVSP_MSG1_TYPE_SEND_SEND_BUF / SEND_RECV_BUF there).
 *   SEND_RNDIS_PKT     both ways, completion requested: one frame in a section of the sender's
 *                      buffer; the completion returns the section (VM_PKT_COMP).
 *   SEND_VF_ASSOCIATION host -> guest, no completion: {allocated, serial} (ndis_sriov.md 7.5).
 *   SWITCH_DATA_PATH   guest -> host, completion requested: {active_datapath}; the guest steers
 *                      traffic only after the completion (Linux 2021 fix, peers.md section 1).
 *
 * Transaction ids: data messages use the packet id (so drop reports name it); control messages
 * carry NVSP_XID_CONTROL | sequence, so the two never collide.
 *
 * This header belongs to netvsp (the host defines the protocol it serves); netvsc includes it.
 */
#ifndef SRIOVSIM_NETVSP_NVSP_PROTO_H
#define SRIOVSIM_NETVSP_NVSP_PROTO_H

#include <stdint.h>
#include <string.h>

/* Message types (hv_vmbus_msg.type), Linux hyperv_net.h values. */
#define NVSP_MSG_TYPE_INIT                 1u
#define NVSP_MSG1_TYPE_SEND_RNDIS_PKT      107u
#define NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION 128u
#define NVSP_MSG4_TYPE_SWITCH_DATA_PATH    129u

/* Protocol versions (NVSP_PROTOCOL_VERSION_*); the VF messages need version 4 or later. */
#define NVSP_PROTOCOL_VERSION_4  0x40000u
#define NVSP_PROTOCOL_VERSION_61 0x60001u
#define NVSP_PROTOCOL_VERSION    NVSP_PROTOCOL_VERSION_61

/* Completion status (hv_vmbus_msg.status) of INIT and SWITCH_DATA_PATH: NVSP_STAT_* values. */
#define NVSP_STATUS_NONE    0
#define NVSP_STATUS_SUCCESS 1
#define NVSP_STATUS_FAIL    2

/* active_datapath of SWITCH_DATA_PATH. */
#define NVSP_DATAPATH_SYNTHETIC 0u
#define NVSP_DATAPATH_VF        1u

/* Control transaction ids have this bit set (packet ids never reach it). */
#define NVSP_XID_CONTROL (UINT64_C(1) << 63)

/* Inline payloads (hv_vmbus_msg.data, at most HV_VMBUS_MSG_INLINE_MAX = 40 bytes). */
struct nvsp_msg_init {
    uint32_t min_protocol_ver;
    uint32_t max_protocol_ver;
};

struct nvsp_msg_rndis_pkt {
    uint32_t channel_type; /* 0: data (RMC_DATA), 1: control */
    uint32_t reserved;
};

struct nvsp_msg4_vf_association {
    uint32_t allocated; /* 1: a VF is allocated, serial valid; 0: none */
    uint32_t serial;    /* the serial of the VF to team with (OID_SRIOV_VF_SERIAL_NUMBER) */
};

struct nvsp_msg4_switch_data_path {
    uint32_t active_datapath; /* NVSP_DATAPATH_* */
};

/* Copy an inline payload in / out of a message's data[] (memcpy: data[] has no alignment). */
#define NVSP_PUT(msg, payload) memcpy((msg)->data, &(payload), sizeof(payload))
#define NVSP_GET(msg, payload) memcpy(&(payload), (msg)->data, sizeof(payload))

#endif /* SRIOVSIM_NETVSP_NVSP_PROTO_H */
