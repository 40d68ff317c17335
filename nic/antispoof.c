/* SPDX-License-Identifier: MIT */
/*
 * antispoof.c — transmit checks of the NIC switch on frames a VPort sends: source-MAC
 * anti-spoofing and the port-VLAN rule.
 *
 * Windows / hardware counterpart: the MAC anti-spoof of Intel PF drivers (`ip link set PF vf N
 * spoofchk on`, ixgbe PFVFSPOOF) and the Hyper-V rule "a VF cannot send with a source MAC it
 * does not own unless trusted" (DESIGN.md, isolation). A port VLAN models VST: a VPort given a
 * port VLAN may send untagged frames or frames tagged with that VLAN, nothing else.
 */
#include <string.h>

#include "nic/nic_int.h"

int
nic__antispoof_check(const struct nic_vport *src, const struct nic_frame *f)
{
    if ((src->flags & NIC_VPORT_F_ANTISPOOF) && !(src->flags & NIC_VPORT_F_TRUSTED) &&
        memcmp(f->data + 6, src->mac, 6) != 0)
        return SIM_DROP_SPOOF_CHECK + 1;
    if (src->port_vlan != 0 && f->tagged && f->vid != src->port_vlan)
        return SIM_DROP_VLAN_MISMATCH + 1;
    return 0;
}
