/* SPDX-License-Identifier: MIT */
/*
 * status.c — the NDIS_STATUS table: name, value and message of every code we model.
 *
 * Windows counterpart: the NDIS_STATUS_* definitions of ndis.h; traces print these names the
 * way a Windows debugger extension (!ndiskd) would.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis_int.h"

struct status_entry {
    ndis_status_t value;
    const char *name;
    const char *message;
};

static const struct status_entry status_table[] = {
#define NDIS_STATUS_ENTRY(sym, msg) {sym, #sym, msg},
    NDIS_STATUS_MAP(NDIS_STATUS_ENTRY)
#undef NDIS_STATUS_ENTRY
};

static const struct status_entry *
status_find(ndis_status_t s)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(status_table); i++)
        if (status_table[i].value == s)
            return &status_table[i];
    return NULL;
}

const char *
ndis_status_name(ndis_status_t status)
{
    const struct status_entry *e = status_find(status);
    return e != NULL ? e->name : NULL;
}

const char *
ndis_status_message(ndis_status_t status)
{
    const struct status_entry *e = status_find(status);
    return e != NULL ? e->message : "unknown NDIS_STATUS";
}

const char *
ndis_status_str(ndis_status_t status, char *buf, size_t len)
{
    const char *name = ndis_status_name(status);
    if (name != NULL)
        return name;
    snprintf(buf, len, "0x%08" PRIX32, status);
    return buf;
}

bool
ndis_status_parse(const char *text, ndis_status_t *out)
{
    if (text == NULL || out == NULL || *text == '\0')
        return false;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(status_table); i++) {
        const char *n = status_table[i].name;
        if (strcmp(text, n) == 0 || strcmp(text, n + strlen("NDIS_STATUS_")) == 0) {
            *out = status_table[i].value;
            return true;
        }
    }
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 0);
    if (end == text || *end != '\0' || v > UINT32_MAX || text[0] == '-')
        return false;
    *out = (ndis_status_t)v;
    return true;
}

size_t
ndis_status_count(void)
{
    return SIM_ARRAY_SIZE(status_table);
}

ndis_status_t
ndis_status_at(size_t i)
{
    return i < SIM_ARRAY_SIZE(status_table) ? status_table[i].value : NDIS_STATUS_FAILURE;
}
