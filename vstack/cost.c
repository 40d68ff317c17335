/* SPDX-License-Identifier: MIT */
/*
 * cost.c — the cost model of the virtualization stack: every delay, timeout, rate and limit
 * vstack uses, named, with its default, in ONE table (README.md repeats it). Scripts set them by
 * name (`set cost.vf_offer_delay=500ms`).
 *
 * Windows / Hyper-V counterpart: none as code; these are the timings of the Hyper-V host
 * (VMMS / VPCI VSP / vmswitch) and of the hardware, chosen from published figures where one
 * exists (OpenVMM's 1 s VF offer delay, Linux hv_netvsc's 100 ms VF takeover) and INFERRED
 * otherwise.
 */
#include <string.h>

#include "vstack/vstack_int.h"

/* The one table of defaults. Order = enum vs_cost_id. */
static const struct vstack_cost_info cost_table[VS_COST_COUNT] = {
    [VS_COST_VF_OFFER_DELAY] = {"cost.vf_offer_delay", VSTACK_COST_DURATION, SIM_SEC(1),
                                "host delay before the VF is offered to the guest over VPCI "
                                "(OpenVMM netvsp: 1 s, avoids guest naming races)"},
    [VS_COST_VF_INIT_DELAY] = {"cost.vf_init_delay", VSTACK_COST_DURATION, SIM_MSEC(1),
                               "guest PnP: VF arrival to MiniportInitializeEx (INFERRED)"},
    [VS_COST_DATAPATH_SWITCH_DELAY] = {"cost.datapath_switch_delay", VSTACK_COST_DURATION,
                                       SIM_USEC(100),
                                       "host handling of NVSP SWITCH_DATA_PATH before its "
                                       "completion (INFERRED)"},
    [VS_COST_GRACEFUL_REMOVAL_TIMEOUT] = {"cost.graceful_removal_timeout", VSTACK_COST_DURATION,
                                          SIM_SEC(5),
                                          "guest time to release a VF on eject before it is "
                                          "surprise-removed (value not published: INFERRED)"},
    [VS_COST_FLR_DURATION] = {"cost.flr_duration", VSTACK_COST_DURATION, PCIE_FLR_DURATION_NS,
                              "function-level reset: pcie/'s PCIE_FLR_DURATION_NS (read-only "
                              "here; the PCIe bound is 100 ms)"},
    [VS_COST_MAILBOX_LATENCY] =
        {"cost.mailbox_latency", VSTACK_COST_DURATION, PCIE_MSIX_LATENCY_NS,
         "PF<->VF mailbox message to the other side: the mailbox "
         "raises MSI-X at once, so pcie/'s PCIE_MSIX_LATENCY_NS (read-only here)"},
    [VS_COST_VMBUS_LATENCY] = {"cost.vmbus_latency", VSTACK_COST_DURATION, SIM_USEC(2),
                               "a VMBus signal to the other side (hv HV_VMBUS_SIGNAL_LATENCY_NS)"},
    [VS_COST_VSWITCH_PER_PACKET] = {"cost.vswitch_per_packet", VSTACK_COST_DURATION, 1500,
                                    "host CPU per frame in the software switch (synthetic "
                                    "path; INFERRED ~1.5 us)"},
    [VS_COST_VSWITCH_PER_BYTE_PS] = {"cost.vswitch_per_byte_ps", VSTACK_COST_COUNT, 100,
                                     "host CPU per byte copied by the software switch, in "
                                     "picoseconds (INFERRED: 10 GB/s memcpy)"},
    [VS_COST_HOP_LATENCY] = {"cost.hop_latency", VSTACK_COST_DURATION, SIM_USEC(1),
                             "per-hop latency of the NIC switch / physical port (INFERRED)"},
    [VS_COST_LINK_LATENCY] = {"cost.link_latency", VSTACK_COST_DURATION, SIM_USEC(5),
                              "one-way wire latency between stations (INFERRED: ~1 km fibre)"},
    [VS_COST_MIGRATION_PRECOPY] = {"cost.migration_precopy", VSTACK_COST_DURATION, SIM_SEC(2),
                                   "live migration pre-copy phase (memory copied while the VM "
                                   "runs; INFERRED)"},
    [VS_COST_MIGRATION_BLACKOUT] = {"cost.migration_blackout", VSTACK_COST_DURATION, SIM_MSEC(300),
                                    "live migration stop-and-copy: the VM is paused (INFERRED; "
                                    "Hyper-V targets well under 1 s)"},
    [VS_COST_LINK_RATE] = {"cost.link_rate", VSTACK_COST_RATE, INT64_C(10000000000),
                           "default physical port speed (10 Gb/s)"},
    [VS_COST_VF_TAKEOVER_DELAY] = {"cost.vf_takeover_delay", VSTACK_COST_DURATION, SIM_MSEC(100),
                                   "guest NetVSC delay between the VF registering and "
                                   "SWITCH_DATA_PATH(VF) (Linux VF_TAKEOVER_INT = HZ/10)"},
    [VS_COST_OID_RETRY_DELAY] = {"cost.oid_retry_delay", VSTACK_COST_DURATION, SIM_MSEC(100),
                                 "first retry of a failed teardown OID; doubles per retry, 5 "
                                 "retries (INFERRED)"},
    [VS_COST_VF_ASSOCIATION_DELAY] = {"cost.vf_association_delay", VSTACK_COST_DURATION, 0,
                                      "host delay of NVSP VF_ASSOCIATION after the VPCI offer "
                                      "starts (0: sent first, as Hyper-V does; above "
                                      "cost.vf_offer_delay the VF binds before it: the 2022 "
                                      "Linux hv_netvsc race)"},
    [VS_LIMIT_VMBUS_RING] = {"limit.vmbus_ring", VSTACK_COST_COUNT, 512,
                             "VMBus ring size in messages (hv HV_VMBUS_RING_MSGS_DEFAULT)"},
    [VS_LIMIT_VF_RING] = {"limit.vf_ring", VSTACK_COST_COUNT, 256,
                          "VF descriptor ring slots (miniport_vf VF_RING_SLOTS_DEFAULT)"},
    [VS_LIMIT_VSWITCH_NBLS] = {"limit.vswitch_nbls", VSTACK_COST_COUNT, 512,
                               "NBLs of the software switch's own frame copies: more than the PF's "
                               "TX ring (256), so the external port does not run dry while the "
                               "PF holds sends (fewer: pool-exhausted drops under overload)"},
    [VS_LIMIT_WIRE_QUEUE] = {"limit.wire_queue", VSTACK_COST_COUNT, 1024,
                             "frames in flight on the wire per station (beyond: ring-full drop)"},
};

const struct vstack_cost_info *
vstack_cost_table(size_t *count)
{
    if (count != NULL)
        *count = VS_COST_COUNT;
    return cost_table;
}

void
vs__cost_defaults(int64_t *values)
{
    for (size_t i = 0; i < VS_COST_COUNT; i++)
        values[i] = cost_table[i].default_value;
}

static int
cost_find(const char *key, struct sim_diag *d)
{
    if (key == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "set: missing key");
    for (size_t i = 0; i < VS_COST_COUNT; i++) {
        const char *k = cost_table[i].key;
        const char *dot = strchr(k, '.');
        if (strcmp(k, key) == 0 || (dot != NULL && strcmp(dot + 1, key) == 0))
            return (int)i;
    }
    char list[SIM_DIAG_REASON_MAX - 64];
    size_t off = 0;
    list[0] = '\0';
    for (size_t i = 0; i < VS_COST_COUNT && off + 40 < sizeof list; i++) {
        size_t n = strlen(cost_table[i].key);
        if (off + n + 2 >= sizeof list)
            break;
        memcpy(list + off, cost_table[i].key, n);
        off += n;
        list[off++] = ' ';
        list[off] = '\0';
    }
    return sim_diag_fail(d, SIM_EINVAL, "set: unknown cost key '%s' (known: %s)", key, list);
}

int
vstack_cost_set(struct vstack_world *w, const char *key, int64_t value, struct sim_diag *d)
{
    if (w == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "set: no world");
    int i = cost_find(key, d);
    if (i < 0)
        return i;
    if (i == VS_COST_FLR_DURATION || i == VS_COST_MAILBOX_LATENCY) {
        if (value == w->cost[i])
            return 0;
        return sim_diag_fail(
            d, SIM_ENOTSUP, "set %s: fixed by the %s model (%s); not settable from a script yet",
            cost_table[i].key, "pcie",
            i == VS_COST_FLR_DURATION ? "PCIE_FLR_DURATION_NS" : "NIC_DOORBELL_LATENCY_NS");
    }
    if (value < 0)
        return sim_diag_fail(d, SIM_ERANGE, "set %s: negative value %lld", cost_table[i].key,
                             (long long)value);
    if ((i == VS_COST_LINK_RATE && value == 0) ||
        ((i == VS_LIMIT_VMBUS_RING || i == VS_LIMIT_VF_RING || i == VS_LIMIT_WIRE_QUEUE ||
          i == VS_LIMIT_VSWITCH_NBLS) &&
         (value < 8 || value > (1 << 20))))
        return sim_diag_fail(d, SIM_ERANGE, "set %s: value %lld out of range", cost_table[i].key,
                             (long long)value);
    if ((i == VS_LIMIT_VF_RING || i == VS_LIMIT_VMBUS_RING) && (value & (value - 1)) != 0)
        return sim_diag_fail(d, SIM_ERANGE, "set %s: %lld is not a power of two", cost_table[i].key,
                             (long long)value);
    w->cost[i] = value;
    return 0;
}

int
vstack_cost_get(const struct vstack_world *w, const char *key, int64_t *out, struct sim_diag *d)
{
    if (w == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "cost: no world");
    int i = cost_find(key, d);
    if (i < 0)
        return i;
    *out = w->cost[i];
    return 0;
}
