/* SPDX-License-Identifier: MIT */
/*
 * nic_regs.h — THE DATASHEET of the simulated SR-IOV Ethernet adapter ("sriovsim NIC", a
 * fictional part modelled on Intel 82599/E810 and Mellanox ConnectX): everything a PF or VF
 * driver needs to program it, and nothing else. Drivers include this file only; they never see
 * nic/ structures. They reach the device through the PCIe fabric (pcie/pcie.h):
 *
 *   - config space (SR-IOV capability: NumVFs, VF Enable; FLR; MSI-X enable),
 *   - MMIO to BAR0 (registers below) by RID,
 *   - DMA: the device reads and writes the driver's memory by IO virtual address (IOVA) through
 *     the IOMMU domain of the function's RID (host memory for the PF, guest memory for a VF),
 *   - MSI-X interrupts (vector assignments below).
 *
 * Windows counterpart: the hardware programming interface a real PF miniport (the NIC-switch
 * OIDs: OID_NIC_SWITCH_CREATE_SWITCH, _CREATE_VPORT, OID_RECEIVE_FILTER_SET_FILTER,
 * _MOVE_FILTER, OID_SRIOV_RESET_VF, ...) and a real VF miniport program. Each item says which
 * Windows / hardware concept it models.
 *
 * Conventions: registers are little-endian, 32 bits wide, naturally aligned; 64-bit quantities
 * (IOVAs) are split into _LO / _HI registers. "RO" read-only, "RW" read-write, "W1C" write 1 to
 * clear, "W1S" write 1 to set, "WO" write-only (reads 0). Reserved bits read 0 and ignore
 * writes. An access to an undefined offset reads 0 and is ignored (counted by the device).
 */
#ifndef SRIOVSIM_NIC_REGS_H
#define SRIOVSIM_NIC_REGS_H

#include <stdint.h>

#include "sim/sim.h" /* enum sim_drop_cause indexes the hardware drop counters */

/* =============================================================================================
 * 1. PCI identity and resources
 * =========================================================================================== */
/* The identity of the part this model follows (Intel 82599, the SR-IOV NIC of the reference's
 * lspci example): lspci and the PCI ID database name it "82599ES 10-Gigabit SFI/SFP+ Network
 * Connection" and its VFs "82599 Ethernet Controller Virtual Function". Only the identity and
 * the SR-IOV layout are borrowed; the registers below are this model's own, not the 82599's. */
#define NIC_PCI_VENDOR_ID    0x8086 /* Intel */
#define NIC_PCI_DEVICE_ID    0x10fb /* PF: 82599ES 10-Gigabit SFI/SFP+ */
#define NIC_PCI_VF_DEVICE_ID 0x10ed /* VF Device ID register: 82599 Virtual Function */
#define NIC_PCI_REVISION     0x01

/* SR-IOV capability (hardware-initialised values). First VF Offset 0x80 / stride 2, as on the
 * Intel 82599: with the PF at bb:00.0 the VFs are bb:10.0, bb:10.2, ... (ARI Capable Hierarchy
 * required beyond 8 functions: enable VFs with ARI). */
#define NIC_SRIOV_VF_OFFSET 0x80
#define NIC_SRIOV_VF_STRIDE 2
#define NIC_MAX_VFS         64 /* TotalVFs upper bound of the part (a board may report fewer) */

/* BARs (both PF and VF; VF BARs are the SR-IOV VF BARn templates).
 *   BAR0: registers (32-bit, non-prefetchable). PF 64 KiB, VF 16 KiB.
 *   BAR3: MSI-X table at offset 0x0000, PBA at 0x2000 (16 KiB), served by the fabric. */
#define NIC_BAR_REGS          0
#define NIC_BAR_MSIX          3
#define NIC_PF_BAR0_SIZE      0x10000u
#define NIC_VF_BAR0_SIZE      0x4000u
#define NIC_BAR_MSIX_SIZE     0x4000u
#define NIC_MSIX_TABLE_OFFSET 0x0000u
#define NIC_MSIX_PBA_OFFSET   0x2000u

/* Queue pairs. A queue pair (QP) = four descriptor rings (TX, TX completion, RX fill, RX),
 * the model of one hardware TX/RX queue pair (NDIS: "queue pair" of a VPort). QPs are numbered
 * per function: the PF owns QPs 0..NIC_PF_MAX_QPS-1, each VF owns 0..NIC_VF_MAX_QPS-1. */
#define NIC_PF_MAX_QPS 16
#define NIC_VF_MAX_QPS 4 /* MaxNumQueuePairsPerNonDefaultVPort (a power of two, 6.2) */

/* Switch resources (reported in NIC_REG_CAP_*; model NDIS_NIC_SWITCH_CAPABILITIES). */
#define NIC_MAX_VPORTS    (NIC_MAX_VFS + 8) /* incl. the default VPort; >= MaxNumVFs + 1 */
#define NIC_MAX_FILTERS   256               /* receive filters (MAC/VLAN) over all VPorts */
#define NIC_DEFAULT_VPORT 0                 /* models NDIS_DEFAULT_VPORT_ID */
#define NIC_VPORT_NONE    0xffffu
#define NIC_MAX_FRAME_LEN 9216u /* largest frame (jumbo), Ethernet header included, no FCS */
#define NIC_MIN_FRAME_LEN 14u   /* an Ethernet header */
#define NIC_VLAN_ID_MAX   4095u
#define NIC_ETH_P_8021Q   0x8100u /* TPID of an 802.1Q tag */

/* =============================================================================================
 * 2. MSI-X vector assignment
 * =========================================================================================== */
/* PF (table size NIC_PF_MSIX_VECTORS). */
#define NIC_PF_VEC_ADMIN    0 /* command completion (admin queue interrupt) */
#define NIC_PF_VEC_MAILBOX  1 /* a VF posted a request, or a VF was reset (see NIC_REG_MBX_*) */
#define NIC_PF_VEC_LINK     2 /* physical link state changed (NIC_REG_LINK_STATUS) */
#define NIC_PF_VEC_QP_BASE  3 /* QP q raises vector NIC_PF_VEC_QP_BASE + q */
#define NIC_PF_MSIX_VECTORS (NIC_PF_VEC_QP_BASE + NIC_PF_MAX_QPS)
/* VF (table size NIC_VF_MSIX_VECTORS). */
#define NIC_VF_VEC_MAILBOX  0 /* the PF answered (ACK/NACK) or posted a message */
#define NIC_VF_VEC_QP_BASE  1 /* QP q raises vector NIC_VF_VEC_QP_BASE + q */
#define NIC_VF_MSIX_VECTORS (NIC_VF_VEC_QP_BASE + NIC_VF_MAX_QPS)

/* =============================================================================================
 * 3. Common registers (PF and VF BAR0)
 * =========================================================================================== */
#define NIC_REG_ID         0x0000      /* RO: NIC_ID_MAGIC */
#define NIC_ID_MAGIC       0x53524e31u /* "SRN1" */
#define NIC_REG_STATUS     0x0004      /* RO */
#define NIC_STATUS_LINK_UP 0x00000001u /* physical link up (carrier and admin up) */
#define NIC_STATUS_SWITCH_ON                                                                       \
    0x00000002u                      /* NIC switch created (PF view; VFs: their VPort exists)      \
                                      */
#define NIC_STATUS_IS_VF 0x00000004u /* this BAR belongs to a VF */
#define NIC_STATUS_RESET_DONE                                                                      \
    0x00000008u                   /* VF: set after an FLR / VF_RESET until it is W1C'd             \
                                     through NIC_REG_STATUS_CLR (models ixgbe RSTD) */
#define NIC_REG_STATUS_CLR 0x0008 /* WO: write NIC_STATUS_RESET_DONE to clear it */
#define NIC_REG_LINK_SPEED 0x000c /* RO: link rate in Mbit/s (0 while down) */
#define NIC_REG_QP_COUNT   0x0010 /* RO: queue pairs this function owns */
#define NIC_REG_MAC_LO     0x0014 /* RO: permanent MAC bytes 0..3 (byte 0 in bits 7:0) */
#define NIC_REG_MAC_HI     0x0018 /* RO: permanent MAC bytes 4..5 in bits 15:0 */
#define NIC_REG_FN_INDEX   0x001c /* RO: VF index (zero-based) for a VF, 0xffff for the PF */

/* PF-only capability registers (model NDIS_NIC_SWITCH_CAPABILITIES / receive-filter caps). */
#define NIC_REG_CAP_MAX_VFS     0x0020      /* RO: MaxNumVFs */
#define NIC_REG_CAP_MAX_VPORTS  0x0024      /* RO: MaxNumVPorts (incl. default) */
#define NIC_REG_CAP_MAX_FILTERS 0x0028      /* RO: MaxNumMacAddresses (filters over all VPorts) */
#define NIC_REG_CAP_MAX_QPS     0x002c      /* RO: MaxNumQueuePairs (PF) */
#define NIC_REG_CAP_VF_QPS      0x0030      /* RO: MaxNumQueuePairsPerNonDefaultVPort (VF) */
#define NIC_REG_CAP_FLAGS       0x0034      /* RO: NIC_CAP_F_* */
#define NIC_CAP_F_VLAN          0x00000001u /* per-VPort VLAN filtering (CAPS_VLAN_SUPPORTED) */
#define NIC_CAP_F_ASYM_QPS      0x00000002u /* asymmetric queue pairs per non-default VPort */
#define NIC_CAP_F_ANTISPOOF     0x00000004u /* transmit source-MAC anti-spoof */
#define NIC_CAP_F_VPORT_SWITCH  0x00000008u /* VPort-to-VPort forwarding in the switch */

/* =============================================================================================
 * 4. Command interface (PF BAR0 only) — models the firmware admin queue of an E810 / the
 *    command interface of a ConnectX, reduced to one command in flight.
 *
 * Protocol:
 *   1. wait until NIC_REG_CMD_STATUS.BUSY is clear;
 *   2. write the parameters into NIC_REG_CMD_PARAM(0..15) (layout per opcode, section 5);
 *   3. write a driver cookie into NIC_REG_CMD_TAG (echoed back; optional);
 *   4. write the opcode into NIC_REG_CMD_DOORBELL: BUSY is set, DONE cleared;
 *   5. after NIC_CMD_LATENCY_NS (device time; nic.h knob cmd_extra_delay_ns adds more) the
 *      device has executed it: results in NIC_REG_CMD_RESULT(0..15), then NIC_REG_CMD_STATUS =
 *      DONE | error code, BUSY clear, and MSI-X vector NIC_PF_VEC_ADMIN is raised.
 * A doorbell written while BUSY is ignored (counted). The parameter registers are latched at
 * the doorbell: the driver may prepare the next command while one runs.
 * =========================================================================================== */
#define NIC_REG_CMD_DOORBELL   0x0100 /* WO: opcode (NIC_CMD_*); starts the command */
#define NIC_REG_CMD_STATUS     0x0104 /* RO */
#define NIC_CMD_STATUS_BUSY    0x80000000u
#define NIC_CMD_STATUS_DONE    0x40000000u /* the last command completed; code in bits 15:0 */
#define NIC_CMD_STATUS_CODE(s) ((uint16_t)((s)&0xffffu)) /* NIC_ERR_* */
#define NIC_REG_CMD_TAG        0x0108                    /* RW: cookie written by the driver */
#define NIC_REG_CMD_DONE_TAG   0x010c             /* RO: cookie of the last completed command */
#define NIC_REG_CMD_OPCODE     0x0110             /* RO: opcode of the last command started */
#define NIC_REG_CMD_PARAM(i)   (0x0140 + 4 * (i)) /* RW, i < NIC_CMD_PARAM_WORDS */
#define NIC_REG_CMD_RESULT(i)  (0x0180 + 4 * (i)) /* RO, i < NIC_CMD_PARAM_WORDS */
#define NIC_CMD_PARAM_WORDS    16

/* Device time to execute one command (firmware latency; INFERRED model choice: E810 admin
 * queue commands complete in microseconds to a few milliseconds). */
#define NIC_CMD_LATENCY_NS SIM_USEC(20)

/* Device error codes (NIC_CMD_STATUS_CODE). Distinct from NDIS statuses: the PF miniport maps
 * them (e.g. NIC_ERR_NOT_FOUND -> NDIS_STATUS_FILE_NOT_FOUND or INVALID_PARAMETER as the OID's
 * documentation demands). X-macro: symbol, value, meaning. */
#define NIC_ERR_MAP(X)                                                                             \
    X(OK, 0, "success")                                                                            \
    X(BAD_OPCODE, 1, "unknown opcode")                                                             \
    X(BAD_PARAM, 2, "malformed parameter (reserved bits, bad MAC, bad flags)")                     \
    X(NOT_FOUND, 3, "no such VPort, filter or VF")                                                 \
    X(EXISTS, 4, "object already exists (VPort id, filter id, VF already has a VPort)")            \
    X(BUSY, 5, "object still in use (VPort with filters, switch with VPorts or filters)")          \
    X(NO_SPACE, 6, "table full or queue pairs exhausted")                                          \
    X(STATE, 7, "not valid in the current state (switch not created / already created)")           \
    X(RANGE, 8, "value out of range (VPort id, queue pairs, VF index, VLAN id)")                   \
    X(DMA, 9, "DMA to or from the parameter buffer faulted")                                       \
    X(PERM, 10, "not permitted (e.g. deleting the default VPort)")                                 \
    X(INJECTED, 11, "failure injected by a fault knob (firmware error)")

enum nic_err {
#define NIC_ERR_ENUM(name, value, msg) NIC_ERR_##name = (value),
    NIC_ERR_MAP(NIC_ERR_ENUM)
#undef NIC_ERR_ENUM
};

/* Symbolic name ("NIC_ERR_BUSY") of a device error code; "NIC_ERR_?" if unknown. */
static inline const char *
nic_err_name(unsigned code)
{
    switch (code) {
#define NIC_ERR_CASE(name, value, msg)                                                             \
    case value:                                                                                    \
        return "NIC_ERR_" #name;
        NIC_ERR_MAP(NIC_ERR_CASE)
#undef NIC_ERR_CASE
    default:
        return "NIC_ERR_?";
    }
}

/* =============================================================================================
 * 5. Command opcodes and parameter layouts. P(i) = NIC_REG_CMD_PARAM(i), R(i) = RESULT(i).
 *    MAC addresses are passed as two words: MAC_LO = bytes 0..3 (byte 0 in bits 7:0),
 *    MAC_HI = bytes 4..5 in bits 15:0 (use nic_mac_to_words / nic_mac_from_words).
 *    Functions: NIC_FN_PF (0xffff) = the PF, else the zero-based VF index.
 * =========================================================================================== */
#define NIC_FN_PF 0xffffu

/* NOP: does nothing; completes with NIC_ERR_OK. For drivers probing the command path. */
#define NIC_CMD_NOP 0x0001

/* SWITCH_CREATE — models OID_NIC_SWITCH_CREATE_SWITCH (with NdisMEnableVirtualization done by
 * the driver in config space). Before it, the adapter is a plain NIC: VPort 0 exists, attached
 * to the PF, owning PF QP 0, and takes every received frame.
 *   P0 num_vfs:     VFs that may get a VPort (<= NIC_REG_CAP_MAX_VFS)
 *   P1 num_vports:  VPorts incl. the default (>= num_vfs + 1, <= MAX_VPORTS)
 *   P2 default_qps: PF QPs of the default VPort (1..NIC_PF_MAX_QPS; QPs 0..default_qps-1)
 *   P3 flags:       0 (reserved)
 * Errors: STATE (already created), RANGE, BAD_PARAM. */
#define NIC_CMD_SWITCH_CREATE 0x0010

/* SWITCH_DELETE — models OID_NIC_SWITCH_DELETE_SWITCH. Back to plain NIC (default VPort keeps
 * PF QP 0 only). Errors: STATE (no switch), BUSY (non-default VPorts or any filter remain: the
 * rules of 7.7 say they are removed first). */
#define NIC_CMD_SWITCH_DELETE 0x0011

/* VPORT_CREATE — models OID_NIC_SWITCH_CREATE_VPORT (NDIS chooses the VPort id).
 *   P0 vport_id:  1..num_vports-1
 *   P1 function:  NIC_FN_PF or the VF index (< num_vfs); a VF gets at most one VPort
 *   P2 num_qps:   1.. (VF: <= its QPs; PF: <= free PF QPs)
 *   P3 first_qp:  first QP of the function given to the VPort (VF: normally 0)
 *   P4 flags:     NIC_VPORT_F_*
 *   P5 MAC_LO, P6 MAC_HI: the VPort's own MAC (the address anti-spoof allows as source)
 *   P7 port_vlan: 0 = none, else the only VLAN id the VPort may send tagged frames with
 * A VF VPort starts activated (NDIS rule 6: VF VPorts are created Activated); a PF VPort starts
 * as P4 says. Errors: STATE (no switch), RANGE, EXISTS (id in use / VF already has one),
 * NOT_FOUND (VF index beyond num_vfs), NO_SPACE (QPs overlap another VPort), BAD_PARAM. */
#define NIC_CMD_VPORT_CREATE 0x0020
#define NIC_VPORT_F_ACTIVATED                                                                      \
    0x00000001u /* NDIS_NIC_SWITCH_VPORT_STATE_ACTIVATED: may send/receive */
#define NIC_VPORT_F_TRUSTED   0x00000002u /* may send with any source MAC (ip link ... trust on) */
#define NIC_VPORT_F_ANTISPOOF 0x00000004u /* check TX source MAC against the VPort MAC */
#define NIC_VPORT_F_ALL       0x00000007u

/* VPORT_DELETE — models OID_NIC_SWITCH_DELETE_VPORT.  P0 vport_id.
 * Errors: PERM (default VPort), NOT_FOUND, BUSY (filters remain: clear or move them first). */
#define NIC_CMD_VPORT_DELETE 0x0021

/* VPORT_SET — models OID_NIC_SWITCH_VPORT_PARAMETERS (set): state and policy of a VPort.
 *   P0 vport_id, P1 mask of fields to change (NIC_VPORT_SET_*), P2 flags (NIC_VPORT_F_*),
 *   P3 MAC_LO, P4 MAC_HI, P5 port_vlan. Errors: NOT_FOUND, BAD_PARAM, RANGE. */
#define NIC_CMD_VPORT_SET   0x0022
#define NIC_VPORT_SET_FLAGS 0x00000001u
#define NIC_VPORT_SET_MAC   0x00000002u
#define NIC_VPORT_SET_VLAN  0x00000004u

/* VPORT_QUERY — read back a VPort (models OID_NIC_SWITCH_VPORT_PARAMETERS query).
 *   P0 vport_id. R0 function, R1 num_qps, R2 first_qp, R3 flags, R4 MAC_LO, R5 MAC_HI,
 *   R6 port_vlan, R7 number of filters on it. Errors: NOT_FOUND. */
#define NIC_CMD_VPORT_QUERY 0x0023

/* FILTER_SET — models OID_RECEIVE_FILTER_SET_FILTER (NDIS chooses the filter id).
 *   P0 filter_id: 1..NIC_MAX_FILTERS (0 is reserved)
 *   P1 vport_id
 *   P2 MAC_LO, P3 MAC_HI: destination MAC to test (when NIC_FILTER_F_MAC)
 *   P4 vlan_id: VLAN id to test (when NIC_FILTER_F_VLAN), 0..4095
 *   P5 flags: NIC_FILTER_F_*
 * Semantics (ndis_sriov.md 11.1): the tests of one filter are ANDed; a VPort takes a frame if
 * any of its filters matches; a field without a test is ignored. With F_UNTAGGED_OR_ZERO the
 * filter matches only untagged frames or frames tagged with VLAN id 0 (never non-zero VLANs);
 * it cannot be combined with F_VLAN. A MAC-only filter without that flag matches any VLAN and
 * the device strips the tag into the RX header (NIC_RXH_F_VLAN; the 802.1Q OOB info).
 * Filters may be set on a deactivated VPort (frames matching them are then dropped, cause
 * SIM_DROP_PAUSED). Errors: NOT_FOUND (VPort), EXISTS (filter id in use), NO_SPACE, RANGE,
 * BAD_PARAM (no test at all, or F_VLAN together with F_UNTAGGED_OR_ZERO). */
#define NIC_CMD_FILTER_SET 0x0030
#define NIC_FILTER_F_MAC   0x00000001u /* NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR */
#define NIC_FILTER_F_VLAN  0x00000002u /* NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID */
#define NIC_FILTER_F_UNTAGGED_OR_ZERO                                                              \
    0x00000004u /* NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO */
#define NIC_FILTER_F_ALL 0x00000007u

/* FILTER_CLEAR — models OID_RECEIVE_FILTER_CLEAR_FILTER.  P0 filter_id. Errors: NOT_FOUND. */
#define NIC_CMD_FILTER_CLEAR 0x0031

/* FILTER_MOVE — models OID_RECEIVE_FILTER_MOVE_FILTER: re-point a filter to another VPort
 * atomically. Classification sees the old VPort or the new one, never neither (one store of
 * the filter's VPort field; no frame is unmatched during the move).
 *   P0 filter_id, P1 new vport_id. Errors: NOT_FOUND (filter or VPort). */
#define NIC_CMD_FILTER_MOVE 0x0032

/* VF_RESET — models the device side of OID_SRIOV_RESET_VF for drivers that reset a VF through
 * the PF instead of a PCIe FLR: the VF's queues are disabled, its pending interrupt causes and
 * mailbox cleared, NIC_STATUS_RESET_DONE set in the VF. VPorts and filters (PF-owned) stay.
 * The same happens on a PCIe FLR of the VF.  P0 vf_index. Errors: NOT_FOUND (VF absent). */
#define NIC_CMD_VF_RESET 0x0040

/* STATS_READ — models OID_NIC_SWITCH_VPORT_STATISTICS-style counters: the device DMA-writes a
 * struct nic_hw_vport_stats (section 8) into PF memory.
 *   P0 vport_id, P1 IOVA_LO, P2 IOVA_HI (PF IOMMU domain), P3 buffer length (>= sizeof),
 *   P4 flags: NIC_STATS_F_CLEAR (zero the counters after the copy).
 *   R0 bytes written. Errors: NOT_FOUND, RANGE (buffer too short), DMA (write faulted). */
#define NIC_CMD_STATS_READ 0x0050
#define NIC_STATS_F_CLEAR  0x00000001u

/* LINK_SET — administrative link state (ifconfig up/down of the uplink).
 *   P0 bit 0: admin up. The link is up when admin up, the wire is attached and carrier is on;
 *   a change raises NIC_PF_VEC_LINK. R0 = NIC_REG_STATUS after the change. */
#define NIC_CMD_LINK_SET  0x0060
#define NIC_LINK_ADMIN_UP 0x00000001u

/* =============================================================================================
 * 6. Queue pairs (PF and VF BAR0). QP q's registers are at NIC_REG_QP(q) + offset.
 *
 * Ring format: each of the four rings is a struct sim_ring (sim/ring.h) that the DRIVER
 * initialises in its own memory with sim_ring_init(count) (count a power of two, 2..4096, the
 * same for the four rings of a QP) and maps in its IOMMU domain read-write; the device gets
 * its IOVA. The whole ring (sim_ring_memsize(count) bytes) must lie in one mapping, 64-byte
 * aligned. Producer / consumer roles:
 *   TX   driver produces (frames to send), device consumes
 *   TXC  device produces (transmit completions), driver consumes
 *   RXF  driver produces (empty receive buffers), device consumes
 *   RX   device produces (filled receive buffers), driver consumes
 * Capacity rule: TXC must have room for every TX descriptor the driver posted (the device
 * stops taking TX descriptors while TXC is full; nothing is lost); RX must have room for every
 * RXF buffer posted.
 *
 * IOMMU: the device translates each ring's IOVA once when the QP is enabled (the IOTLB fast
 * path: it keeps a host pointer) and re-validates the translation before each use in scenario
 * mode, so an unmap takes effect at once (the QP then enters the error state). Packet buffers
 * are reached by DMA per frame (pcie_dma_read/write), so a buffer outside the function's
 * domain is refused by the IOMMU, counted (SIM_DROP_IOMMU_FAULT) and touches nothing.
 *
 * Enabling: program the IOVAs and NIC_REG_QP_SIZE, then write NIC_QP_CTRL_ENABLE. The device
 * checks every ring (mapped, aligned, initialised, size as programmed): NIC_REG_QP_STATUS then
 * reads ENABLED, or ERROR with the code in bits 15:0. Writing 0 disables (rings untouched).
 * =========================================================================================== */
#define NIC_REG_QP_BASE       0x1000
#define NIC_REG_QP_STRIDE     0x40
#define NIC_REG_QP(q)         (NIC_REG_QP_BASE + NIC_REG_QP_STRIDE * (q))
#define NIC_QP_TX_IOVA_LO     0x00 /* RW */
#define NIC_QP_TX_IOVA_HI     0x04
#define NIC_QP_TXC_IOVA_LO    0x08
#define NIC_QP_TXC_IOVA_HI    0x0c
#define NIC_QP_RXF_IOVA_LO    0x10
#define NIC_QP_RXF_IOVA_HI    0x14
#define NIC_QP_RX_IOVA_LO     0x18
#define NIC_QP_RX_IOVA_HI     0x1c
#define NIC_QP_SIZE           0x20 /* RW: slots per ring (power of two, 2..NIC_QP_RING_MAX) */
#define NIC_QP_CTRL           0x24 /* RW */
#define NIC_QP_CTRL_ENABLE    0x00000001u
#define NIC_QP_CTRL_IRQ       0x00000002u /* raise the QP's MSI-X vector on TX done / RX */
#define NIC_QP_STATUS         0x28        /* RO */
#define NIC_QP_STATUS_ENABLED 0x80000000u
#define NIC_QP_STATUS_ERROR   0x40000000u /* code (NIC_ERR_*) in bits 15:0 */
#define NIC_QP_TX_DOORBELL    0x2c        /* WO: new TX descriptors (any value) */
#define NIC_QP_RXF_DOORBELL   0x30        /* WO: new RX fill buffers (any value) */
#define NIC_QP_CAUSE          0x34        /* W1C: why the vector fired */
#define NIC_QP_CAUSE_TXC      0x00000001u /* TX completions were posted */
#define NIC_QP_CAUSE_RX       0x00000002u /* frames were received */
#define NIC_QP_RING_MAX       4096u

/* Device time from a TX doorbell to the device starting to fetch descriptors (posted write +
 * descriptor fetch; INFERRED model choice). */
#define NIC_DOORBELL_LATENCY_NS 500
/* Descriptors the device takes from one TX ring per service pass. */
#define NIC_TX_BURST 32

/* =============================================================================================
 * 7. Descriptors and packet buffers
 *
 * A descriptor is 8 bytes: bits 47:0 = IOVA of a packet buffer, bits 63:48 = a 16-bit field
 * whose meaning depends on the ring:
 *   TX   frame length (NIC_MIN_FRAME_LEN..NIC_MAX_FRAME_LEN, header excluded)
 *   TXC  completion status: 0 = sent (to the wire or another VPort), else
 *        NIC_TXC_DROPPED | enum sim_drop_cause (the frame was dropped by the device)
 *   RXF  buffer capacity in bytes (header included)
 *   RX   frame length written, or NIC_RXD_LEN_UNUSED: the buffer is returned unused (the frame
 *        that would have filled it was dropped: buffer too small or IOMMU fault)
 * Every packet buffer starts with a 16-byte struct nic_pkt_hdr, the frame follows it. The
 * header is the simulation's out-of-band metadata (like an NBL's OOB data): it carries the
 * global packet id so a packet keeps one id at every capture point.
 * =========================================================================================== */
#define NIC_DESC_IOVA_MASK  UINT64_C(0x0000ffffffffffff)
#define NIC_DESC_IOVA(d)    ((d)&NIC_DESC_IOVA_MASK)
#define NIC_DESC_LEN(d)     ((uint16_t)((d) >> 48))
#define NIC_DESC(iova, len) (((uint64_t)(iova)&NIC_DESC_IOVA_MASK) | ((uint64_t)(len) << 48))
#define NIC_TXC_DROPPED     0x8000u
#define NIC_RXD_LEN_UNUSED  0xffffu

struct nic_pkt_hdr {
    uint64_t packet_id; /* TX: set by the driver; RX: copied from the frame's origin */
    uint16_t vlan_tci;  /* RX: 802.1Q TCI of a tag the device stripped (NIC_RXH_F_VLAN) */
    uint16_t flags;     /* RX: NIC_RXH_F_*; TX: 0 */
    uint16_t vport_id;  /* RX: the VPort that took the frame (NBL OOB
                           NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID); TX: ignored */
    uint16_t src_vport; /* RX: sending VPort for switched frames, NIC_VPORT_NONE from wire */
};
#define NIC_PKT_HDR_LEN    16u
#define NIC_RXH_F_VLAN     0x0001u /* tag stripped into vlan_tci */
#define NIC_RXH_F_SWITCHED 0x0002u /* came from another VPort, not from the wire */
#define NIC_RXH_F_BCAST    0x0004u /* broadcast or multicast destination */

/* =============================================================================================
 * 8. Statistics block (NIC_CMD_STATS_READ) — per-VPort counters, little-endian u64 words.
 * =========================================================================================== */
#define NIC_STATS_DROP_SLOTS 32 /* drops[] indexed by enum sim_drop_cause (room to grow) */
struct nic_hw_vport_stats {
    uint64_t rx_packets, rx_bytes;        /* delivered into this VPort's RX rings */
    uint64_t tx_packets, tx_bytes;        /* taken from its TX rings and forwarded */
    uint64_t tx_to_wire;                  /* of which left on the physical port */
    uint64_t tx_to_vport;                 /* of which switched to another VPort */
    uint64_t rx_from_vport;               /* received frames that came from another VPort */
    uint64_t rx_bcast;                    /* received broadcast / multicast frames */
    uint64_t drops[NIC_STATS_DROP_SLOTS]; /* per cause, both directions */
};
_Static_assert(SIM_DROP_CAUSE_COUNT <= NIC_STATS_DROP_SLOTS, "drop slots");
_Static_assert(sizeof(struct nic_pkt_hdr) == NIC_PKT_HDR_LEN, "packet header size");

/* =============================================================================================
 * 9. PF<->VF mailbox — models the Intel 82599/82576 mailbox (ixgbe_mbx.h) as the transport of
 *    the SR-IOV backchannel (NdisMReadConfigBlock / NdisMInvalidateConfigBlock, ndis_sriov.md
 *    section 8). Per VF there are two 16-dword buffers: REQ (VF -> PF request) and MSG (PF -> VF
 *    response or notification).
 *
 * VF -> PF request: the VF writes REQ words through NIC_REG_VF_MBX_REQ(i), then writes
 *   NIC_VF_MBX_CTRL_REQ to NIC_REG_VF_MBX_CTRL. The device sets the VF's bit in
 *   NIC_REG_MBX_REQ_PENDING and raises NIC_PF_VEC_MAILBOX. While REQ is set (not yet answered)
 *   another REQ write is ignored (counted). The PF reads the words through
 *   NIC_REG_PF_MBX_REQ(vf, i), optionally writes reply words into NIC_REG_PF_MBX_MSG(vf, i), and
 *   answers by writing ACK or NACK (optionally | MSG to deliver the reply words) to
 *   NIC_REG_PF_MBX_CTRL(vf): the VF's REQ clears, its ACK or NACK bit is set, and
 *   NIC_VF_VEC_MAILBOX is raised.
 * PF -> VF message: the PF writes MSG words and NIC_PF_MBX_CTRL_MSG; the VF's PFMSG bit is set
 *   and its vector raised. The VF reads NIC_REG_VF_MBX_MSG(i) and writes PFMSG to its control
 *   register to release the buffer. A MSG while the VF has not released the previous one is
 *   ignored (counted; NIC_PF_MBX_CTRL_MSG reads 1 while the VF holds it).
 * VF reset (FLR or NIC_CMD_VF_RESET): both buffers and all bits of that VF clear; the VF's bit
 *   in NIC_REG_MBX_VFLR_PENDING is set and NIC_PF_VEC_MAILBOX raised (ixgbe VFLRE).
 * =========================================================================================== */
#define NIC_MBX_WORDS 16
/* PF BAR0 */
#define NIC_REG_MBX_REQ_PENDING_LO  0x0200 /* W1C: bit v = VF v (0..31) has a request waiting */
#define NIC_REG_MBX_REQ_PENDING_HI  0x0204 /* W1C: VFs 32..63 */
#define NIC_REG_MBX_VFLR_PENDING_LO 0x0208 /* W1C: bit v = VF v was reset */
#define NIC_REG_MBX_VFLR_PENDING_HI 0x020c
#define NIC_REG_PF_MBX_BASE         0x4000
#define NIC_REG_PF_MBX_STRIDE       0x100
#define NIC_REG_PF_MBX_REQ(vf, i)   (NIC_REG_PF_MBX_BASE + NIC_REG_PF_MBX_STRIDE * (vf) + 4 * (i))
#define NIC_REG_PF_MBX_MSG(vf, i)                                                                  \
    (NIC_REG_PF_MBX_BASE + NIC_REG_PF_MBX_STRIDE * (vf) + 0x40 + 4 * (i))
#define NIC_REG_PF_MBX_CTRL(vf) (NIC_REG_PF_MBX_BASE + NIC_REG_PF_MBX_STRIDE * (vf) + 0x80)
#define NIC_PF_MBX_CTRL_REQ     0x00000001u /* RO: the VF's request is waiting */
#define NIC_PF_MBX_CTRL_ACK     0x00000002u /* WO: answer the request: accepted */
#define NIC_PF_MBX_CTRL_NACK    0x00000004u /* WO: answer the request: refused */
#define NIC_PF_MBX_CTRL_MSG     0x00000008u /* W1S: deliver MSG words; reads 1 until released */
/* VF BAR0 */
#define NIC_REG_VF_MBX_CTRL   0x0200
#define NIC_VF_MBX_CTRL_REQ   0x00000001u        /* W1S: send REQ words; reads 1 until answered */
#define NIC_VF_MBX_CTRL_ACK   0x00000002u        /* RO: the last request was ACKed */
#define NIC_VF_MBX_CTRL_NACK  0x00000004u        /* RO: the last request was NACKed */
#define NIC_VF_MBX_CTRL_PFMSG 0x00000008u        /* RW1C: MSG words hold a message from the PF */
#define NIC_REG_VF_MBX_REQ(i) (0x0240 + 4 * (i)) /* RW */
#define NIC_REG_VF_MBX_MSG(i) (0x0280 + 4 * (i)) /* RO */

/* Message word 0: bits 15:0 type (NIC_MBX_MSG_*), bits 23:16 length in words incl. word 0,
 * bits 31:24 a sequence number chosen by the sender (echoed in replies). The protocol is the
 * drivers' (as ixgbe/ixgbevf share theirs); the types below are the common vocabulary,
 * numbered as in ixgbe_mbx.h where ixgbe has the same message. */
#define NIC_MBX_HDR(type, len, seq)                                                                \
    (((uint32_t)(type)&0xffffu) | (((uint32_t)(len)&0xffu) << 16) | (((uint32_t)(seq)&0xffu) << 24))
#define NIC_MBX_TYPE(w0) ((uint16_t)((w0)&0xffffu))
#define NIC_MBX_LEN(w0)  ((unsigned)(((w0) >> 16) & 0xffu))
#define NIC_MBX_SEQ(w0)  ((unsigned)(((w0) >> 24) & 0xffu))
/* VF -> PF requests */
#define NIC_MBX_MSG_VF_RESET       0x0001 /* VF driver (re)starts; reply: MAC in words 1-2 */
#define NIC_MBX_MSG_SET_MAC        0x0002 /* words 1-2 MAC_LO/HI: change the VF's MAC */
#define NIC_MBX_MSG_SET_MULTICAST  0x0003 /* word 1 count, then MACs (2 words each) */
#define NIC_MBX_MSG_SET_VLAN       0x0004 /* word 1 vlan id, word 2 1=add 0=remove */
#define NIC_MBX_MSG_SET_MTU        0x0005 /* word 1 MTU (ixgbe SET_LPE) */
#define NIC_MBX_MSG_SET_MACVLAN    0x0006 /* word 1 index, words 2-3 MAC: extra unicast */
#define NIC_MBX_MSG_API_NEGOTIATE  0x0008 /* word 1 protocol version */
#define NIC_MBX_MSG_GET_QUEUES     0x0009 /* reply: word 1 QPs of the VF's VPort */
#define NIC_MBX_MSG_GET_LINK       0x000a /* reply: word 1 link up, word 2 Mbit/s */
#define NIC_MBX_MSG_UPDATE_XCAST   0x000c /* word 1 mode (none/multi/allmulti/promisc) */
#define NIC_MBX_MSG_CFG_BLOCK_READ 0x0020 /* NdisMReadConfigBlock: word 1 block id, 2 offset */
#define NIC_MBX_MSG_CFG_BLOCK_WRITE                                                                \
    0x0021 /* NdisMWriteConfigBlock: word 1 block id, 2 offset, 3 length, then data */
/* PF -> VF notifications (unsolicited MSG) */
#define NIC_MBX_MSG_PF_LINK_CHANGE 0x0100 /* word 1 link up, word 2 Mbit/s */
#define NIC_MBX_MSG_PF_CFG_INVALIDATE                                                              \
    0x0101 /* NdisMInvalidateConfigBlock: words 1-2 the 64-bit block mask */
#define NIC_MBX_MSG_PF_RESET       0x0102 /* the PF is resetting / halting: stop using the VF */
#define NIC_MBX_MSG_PF_MAC_CHANGED 0x0103 /* words 1-2 new MAC set by the administrator */

/* =============================================================================================
 * 10. Helpers shared by drivers and the device.
 * =========================================================================================== */
static inline void
nic_mac_to_words(const uint8_t mac[6], uint32_t *lo, uint32_t *hi)
{
    *lo =
        (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24;
    *hi = (uint32_t)mac[4] | (uint32_t)mac[5] << 8;
}

static inline void
nic_mac_from_words(uint32_t lo, uint32_t hi, uint8_t mac[6])
{
    mac[0] = (uint8_t)lo;
    mac[1] = (uint8_t)(lo >> 8);
    mac[2] = (uint8_t)(lo >> 16);
    mac[3] = (uint8_t)(lo >> 24);
    mac[4] = (uint8_t)hi;
    mac[5] = (uint8_t)(hi >> 8);
}

#endif /* SRIOVSIM_NIC_REGS_H */
