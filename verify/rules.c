/* SPDX-License-Identifier: MIT */
/*
 * rules.c — the table of rules the verifier checks: id, the rule in one sentence, its public
 * source. docs/verifier.md lists the same table; tests/verify/test_rules.c breaks each rule on
 * purpose. Models no Windows component (it is the list Driver Verifier and the SR-IOV pages
 * hold between them).
 */
#include <string.h>

#include "verify/verify.h"

#define MSN "https://learn.microsoft.com/windows-hardware/drivers/network/"
#define DDI "https://learn.microsoft.com/windows-hardware/drivers/ddi/ndis/"

static const struct verify_rule rules[] = {
    {"free-vf-with-vport",
     "OID_NIC_SWITCH_FREE_VF is issued only after the VF's VPort was deleted "
     "(NDIS answers FILE_NOT_FOUND otherwise).",
     MSN "oid-nic-switch-free-vf"},
    {"free-vf-without-reset",
     "A VF that had a VPort is reset with OID_SRIOV_RESET_VF (a Function Level Reset) after "
     "DELETE_VPORT and before OID_NIC_SWITCH_FREE_VF.",
     MSN "virtual-function-teardown-sequence"},
    {"vf-params-changed",
     "After OID_NIC_SWITCH_ALLOCATE_VF a VF's parameters (VFId, RequestorId, MAC addresses) do "
     "not change until it is freed.",
     MSN "allocating-resources-for-a-virtual-function"},
    {"second-vport-on-vf", "Only one non-default VPort is attached to a VF.",
     MSN "oid-nic-switch-create-vport"},
    {"delete-vport-with-filters",
     "Every receive filter on a VPort is cleared or moved before OID_NIC_SWITCH_DELETE_VPORT.",
     MSN "deleting-a-virtual-port"},
    {"delete-switch-with-vfs",
     "OID_NIC_SWITCH_DELETE_SWITCH comes only after every VF is freed and every non-default "
     "VPort deleted.",
     MSN "oid-nic-switch-delete-switch"},
    {"rx-on-deleted-vport",
     "A miniport indicates no receive on a VPort that does not exist (deleted, or never "
     "created).",
     MSN "oid-nic-switch-delete-vport"},
    {"oid-completed-twice",
     "A miniport completes each OID request exactly once: NdisMOidRequestComplete only for a "
     "request it pended, and never after returning a final status.",
     DDI "nf-ndis-ndismoidrequestcomplete"},
    {"return-not-indicated",
     "A protocol returns only NET_BUFFER_LISTs that were indicated to it and not returned yet.",
     DDI "nf-ndis-ndisreturnnetbufferlists"},
    {"send-complete-not-sent",
     "A miniport completes only NET_BUFFER_LISTs it was given to send.",
     DDI "nf-ndis-ndismsendnetbufferlistscomplete"},
};

const struct verify_rule *
verify_rules(size_t *count)
{
    if (count != NULL)
        *count = sizeof rules / sizeof rules[0];
    return rules;
}

const struct verify_rule *
verify_rule_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}
