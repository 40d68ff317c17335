/* SPDX-License-Identifier: MIT */
/*
 * ndis_shim/status.h — NDIS_STATUS codes with their real Windows numeric values.
 *
 * Windows counterpart: the NDIS_STATUS_* block of ndis.h. Values come from
 * reference/ndis_sriov.md §2.3; the few the reference does not give are marked where defined.
 * One table (status.c) gives name, value and message of every code, so traces print
 * "NDIS_STATUS_INVALID_LENGTH" exactly as a Windows log would.
 */
#ifndef SRIOVSIM_NDIS_SHIM_STATUS_H
#define SRIOVSIM_NDIS_SHIM_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NDIS_STATUS is a 32-bit NTSTATUS-compatible code: 0 success, 0x4... informational,
 * 0x8... warning, 0xC... error. */
typedef uint32_t ndis_status_t;

#define NDIS_STATUS_SUCCESS          ((ndis_status_t)0x00000000u)
#define NDIS_STATUS_PENDING          ((ndis_status_t)0x00000103u) /* = STATUS_PENDING */
#define NDIS_STATUS_NOT_ACCEPTED     ((ndis_status_t)0x00010003u)
#define NDIS_STATUS_MEDIA_CONNECT    ((ndis_status_t)0x4001000Bu) /* ndis.h copies, not §2.3 */
#define NDIS_STATUS_MEDIA_DISCONNECT ((ndis_status_t)0x4001000Cu) /* ndis.h copies, not §2.3 */
#define NDIS_STATUS_LINK_STATE       ((ndis_status_t)0x40010017u) /* ndis.h copies, not §2.3 */
#define NDIS_STATUS_BUSY                                                                           \
    ((ndis_status_t)0x80000011u) /* = STATUS_DEVICE_BUSY (§2.3 names it; value: ntstatus.h) */
#define NDIS_STATUS_FAILURE ((ndis_status_t)0xC0000001u) /* = STATUS_UNSUCCESSFUL */
#define NDIS_STATUS_INVALID_PARAMETER                                                              \
    ((ndis_status_t)0xC000000Du)                                   /* = STATUS_INVALID_PARAMETER   \
                                                                    */
#define NDIS_STATUS_RESOURCES         ((ndis_status_t)0xC000009Au) /* = STATUS_INSUFFICIENT_RESOURCES */
#define NDIS_STATUS_NOT_SUPPORTED     ((ndis_status_t)0xC00000BBu) /* = STATUS_NOT_SUPPORTED */
#define NDIS_STATUS_DEVICE_FAILED     ((ndis_status_t)0xC0010008u)
#define NDIS_STATUS_REQUEST_ABORTED   ((ndis_status_t)0xC001000Cu)
#define NDIS_STATUS_RESET_IN_PROGRESS ((ndis_status_t)0xC001000Du)
#define NDIS_STATUS_INVALID_LENGTH    ((ndis_status_t)0xC0010014u)
#define NDIS_STATUS_INVALID_DATA      ((ndis_status_t)0xC0010015u)
#define NDIS_STATUS_BUFFER_TOO_SHORT  ((ndis_status_t)0xC0010016u)
#define NDIS_STATUS_INVALID_OID       ((ndis_status_t)0xC0010017u)
#define NDIS_STATUS_ADAPTER_REMOVED   ((ndis_status_t)0xC0010018u)
#define NDIS_STATUS_FILE_NOT_FOUND    ((ndis_status_t)0xC001001Bu)
/* = STATUS_NDIS_REINIT_REQUIRED. §2.3: "numeric value not retrieved"; 0xC0230030 is the
 * ntstatus.h value from general knowledge (INFERRED) — change here if a source disagrees. */
#define NDIS_STATUS_REINIT_REQUIRED       ((ndis_status_t)0xC0230030u)
#define NDIS_STATUS_SWITCH_PORT_REMOVE_VF ((ndis_status_t)0xC0241001u) /* status indication */
#define NDIS_STATUS_SWITCH_NIC_STATUS     ((ndis_status_t)0xC0241002u) /* status indication */

/* X(name, message) for every code above, in value order of the table in status.c. */
#define NDIS_STATUS_MAP(X)                                                                         \
    X(NDIS_STATUS_SUCCESS, "the request succeeded")                                                \
    X(NDIS_STATUS_PENDING, "the request will complete later (exactly once)")                       \
    X(NDIS_STATUS_NOT_ACCEPTED, "the miniport is resetting or was surprise-removed")               \
    X(NDIS_STATUS_MEDIA_CONNECT, "indication: media connected")                                    \
    X(NDIS_STATUS_MEDIA_DISCONNECT, "indication: media disconnected")                              \
    X(NDIS_STATUS_LINK_STATE, "indication: link state changed")                                    \
    X(NDIS_STATUS_BUSY, "the device is busy")                                                      \
    X(NDIS_STATUS_FAILURE, "the request failed")                                                   \
    X(NDIS_STATUS_INVALID_PARAMETER, "a parameter or structure member is invalid")                 \
    X(NDIS_STATUS_RESOURCES, "insufficient resources")                                             \
    X(NDIS_STATUS_NOT_SUPPORTED, "not supported (or SR-IOV not enabled on this miniport)")         \
    X(NDIS_STATUS_DEVICE_FAILED, "the device failed")                                              \
    X(NDIS_STATUS_REQUEST_ABORTED, "the request was aborted (miniport stopped processing it)")     \
    X(NDIS_STATUS_RESET_IN_PROGRESS, "a reset is in progress")                                     \
    X(NDIS_STATUS_INVALID_LENGTH, "information buffer too short; BytesNeeded gives the minimum")   \
    X(NDIS_STATUS_INVALID_DATA, "invalid data")                                                    \
    X(NDIS_STATUS_BUFFER_TOO_SHORT, "buffer too short; BytesNeeded gives the minimum")             \
    X(NDIS_STATUS_INVALID_OID, "the OID is not recognised")                                        \
    X(NDIS_STATUS_ADAPTER_REMOVED, "the adapter was removed")                                      \
    X(NDIS_STATUS_FILE_NOT_FOUND, "no such object (VF, VPort, switch or filter id)")               \
    X(NDIS_STATUS_REINIT_REQUIRED, "the change needs the adapter to be reinitialized")             \
    X(NDIS_STATUS_SWITCH_PORT_REMOVE_VF, "indication: switch asks to remove the VF of a port")     \
    X(NDIS_STATUS_SWITCH_NIC_STATUS, "indication: extensible switch NIC status")

/* "NDIS_STATUS_INVALID_LENGTH"; for a value not in the table, NULL. */
const char *ndis_status_name(ndis_status_t status);
/* Human message; "unknown NDIS_STATUS" for a value not in the table. */
const char *ndis_status_message(ndis_status_t status);
/* Name, or "0xC0FFEE00" formatted into buf (>= 12 bytes) when unknown; returns buf or the name. */
const char *ndis_status_str(ndis_status_t status, char *buf, size_t len);
/* Parse "NDIS_STATUS_RESOURCES" (also without the NDIS_STATUS_ prefix) or a number. */
bool ndis_status_parse(const char *text, ndis_status_t *out);
/* Number of table entries and the i-th entry's value (for tests and `sriovsim explain`). */
size_t ndis_status_count(void);
ndis_status_t ndis_status_at(size_t i);
/* True for error codes (severity bits 0xC0000000). */
static inline bool
ndis_status_is_error(ndis_status_t s)
{
    return (s & 0xC0000000u) == 0xC0000000u;
}

#endif /* SRIOVSIM_NDIS_SHIM_STATUS_H */
