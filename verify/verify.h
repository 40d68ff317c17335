/* SPDX-License-Identifier: MIT */
/*
 * verify.h — the rule verifier: watches the OID trace and the NDIS driver model (through
 * ndis_trace_observe) and reports each breach of a documented SR-IOV / NDIS rule with a rule
 * id, the rule in one sentence, its public source and the offending request.
 *
 * Windows counterpart: Driver Verifier's NDIS/WIFI rules (ndis.sys in verifier mode), which
 * stop a driver that completes a request twice or returns an NBL it does not own, plus the
 * ordering rules of the SR-IOV documentation the virtualization stack follows (DELETE_VPORT ->
 * RESET_VF -> FREE_VF; DELETE_SWITCH last).
 *
 * The verifier observes; it never changes an outcome: NDIS still refuses what it refuses, and
 * a breach NDIS refused is still a breach by whoever issued the request (the request broke the
 * documented order even though no harm came of it). `sriovsim run` attaches one to every
 * scenario (unless --no-verify): a breach fails the run.
 *
 * Threading: the thread the observed miniports run on (the loop thread in scenario mode).
 */
#ifndef SRIOVSIM_VERIFY_H
#define SRIOVSIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ndis_shim/ndis_shim.h"
#include "sim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One documented rule. */
struct verify_rule {
    const char *id;       /* "free-vf-with-vport" */
    const char *sentence; /* the rule in one sentence */
    const char *source;   /* public source (learn.microsoft.com page, kernel commit, ...) */
};

/* The rules the verifier checks, in a fixed order. */
const struct verify_rule *verify_rules(size_t *count);
/* The rule with that id, or NULL. */
const struct verify_rule *verify_rule_find(const char *id);

#define VERIFY_TEXT_MAX 256u
struct verify_breach {
    const struct verify_rule *rule;
    sim_time_t time_ns;
    char miniport[NDIS_NAME_MAX];  /* where it happened ("h1.pf0") */
    char requester[NDIS_NAME_MAX]; /* who issued the offending request ("vstack"), or "" */
    ndis_oid_t oid;                /* the offending request's OID, 0 for data-path breaches */
    bool completed;                /* the request's completion was seen */
    ndis_status_t status;          /* its final status (valid when completed) */
    char what[VERIFY_TEXT_MAX];    /* the offending request: "FREE_VF vf=0 while VPort 1 is
                                      attached" */
};

struct verify;

int verify_create(struct verify **out);
/* Detach from every trace and free. NULL ok. */
void verify_destroy(struct verify *v);
/* Observe every miniport recording into t (up to 4 traces). SIM_EINVAL, SIM_ENOSPC. */
int verify_attach(struct verify *v, struct ndis_trace *t);

size_t verify_breach_count(const struct verify *v);
const struct verify_breach *verify_breach_at(const struct verify *v, size_t i);
/* Breaches of one rule. */
size_t verify_breach_count_rule(const struct verify *v, const char *rule_id);
/* One line: "t=1.000000000s h1.pf0 breach free-vf-with-vport: FREE_VF vf=0 while VPort 1 is
 * attached (requested by vstack; NDIS_STATUS_FILE_NOT_FOUND) — rule: ... [source]". */
int verify_breach_format(const struct verify_breach *b, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SRIOVSIM_VERIFY_H */
