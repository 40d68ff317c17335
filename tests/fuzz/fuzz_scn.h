/* SPDX-License-Identifier: MIT */
/* fuzz_scn.h — the parse options `sriovsim check` uses (OID and NDIS_STATUS names checked against
 * the ndis_shim tables, with suggestions), for the scenario fuzz targets. */
#ifndef SRIOVSIM_TESTS_FUZZ_SCN_H
#define SRIOVSIM_TESTS_FUZZ_SCN_H

#include <string.h>

#include "ndis_shim/ndis_shim.h"
#include "script/script.h"

static const char *fz_oid_names[512];
static size_t fz_oid_count;
static const char *fz_status_names[512];
static size_t fz_status_count;

static bool
fz_ident_is_known(void *ctx, enum scn_ident kind, const char *name)
{
    (void)ctx;
    if (kind == SCN_IDENT_OID) {
        ndis_oid_t oid;
        return ndis_oid_parse(name, &oid);
    }
    ndis_status_t st;
    return ndis_status_parse(name, &st);
}

static const char *
fz_ident_suggest(void *ctx, enum scn_ident kind, const char *name)
{
    (void)ctx;
    if (fz_oid_count == 0) {
        for (size_t i = 0; i < ndis_oid_count() && fz_oid_count < 512; i++)
            fz_oid_names[fz_oid_count++] = ndis_oid_at(i)->name;
        for (size_t i = 0; i < ndis_status_count() && fz_status_count < 512; i++)
            fz_status_names[fz_status_count++] = ndis_status_name(ndis_status_at(i));
    }
    if (kind == SCN_IDENT_OID)
        return scn_suggest(name, fz_oid_names, fz_oid_count);
    return scn_suggest(name, fz_status_names, fz_status_count);
}

static inline void
fz_parse_opts(struct scn_parse_opts *o)
{
    memset(o, 0, sizeof *o);
    o->is_known = fz_ident_is_known;
    o->suggest = fz_ident_suggest;
}

#endif
