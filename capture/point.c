/* SPDX-License-Identifier: MIT */
/*
 * point.c — the capture-point registry, the packet-id allocator and the tap entry points.
 *
 * Windows counterpart: the places where pktmon (or an NDIS lightweight filter) can observe a
 * packet — one per component in the stack (`pktmon list` shows them: the NetVSC miniport, the
 * VF miniport, the vSwitch ports, the physical NIC). Each simulated layer registers its point
 * here when the object it observes is created, and calls cap_tap() on its data path. A point
 * that no session records costs one branch per tap.
 */
#include <string.h>

#include "capture/capture_int.h"

SIM_LOG_NS_DEFINE(cap);
SIM_ALLOC_TAG_DEFINE(cap_registry);
SIM_ALLOC_TAG_DEFINE(cap_point);

int
cap_registry_create(struct cap_registry **out)
{
    if (out == NULL)
        return SIM_EINVAL;
    *out = NULL;
    struct cap_registry *r = sim_calloc(SIM_TAG(cap_registry), 1, sizeof(*r));
    if (r == NULL)
        return SIM_ENOMEM;
    atomic_init(&r->next_packet_id, 0);
    *out = r;
    return 0;
}

void
cap_registry_destroy(struct cap_registry *r)
{
    if (r == NULL)
        return;
    if (r->session != NULL) {
        struct sim_diag d;
        sim_diag_clear(&d);
        if (cap_session_close(r->session, &d) != 0)
            SIM_ERROR(cap, "capture session closed with the registry: %s", d.reason);
    }
    /* Destroy from the end so that each destroy is O(1) on the array. */
    while (r->n_points > 0)
        cap_point_destroy(r->points[r->n_points - 1]);
    sim_free(r->points);
    sim_free(r);
}

uint64_t
cap_packet_id_next(struct cap_registry *r)
{
    if (r == NULL)
        return 0;
    /* relaxed: the id only has to be unique; packets carry it, nothing is published with it. */
    return atomic_fetch_add_explicit(&r->next_packet_id, 1, memory_order_relaxed) + 1;
}

static bool
name_is_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > CAP_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == ':';
        if (!ok)
            return false;
    }
    return true;
}

struct cap_point *
cap_point_find(const struct cap_registry *r, const char *name)
{
    if (r == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < r->n_points; i++) {
        if (strcmp(r->points[i]->name, name) == 0)
            return r->points[i];
    }
    return NULL;
}

int
cap_point_create(struct cap_registry *r, const char *name, const char *description,
                 struct cap_point **out, struct sim_diag *d)
{
    if (out != NULL)
        *out = NULL;
    if (r == NULL || name == NULL || out == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "capture point: registry, name and out are required");
    if (!name_is_valid(name))
        return sim_diag_fail(d, SIM_EINVAL,
                             "capture point '%.80s': a name is 1..%u characters of "
                             "[A-Za-z0-9._:-]",
                             name, CAP_NAME_MAX);
    if (description == NULL)
        description = "";
    if (strlen(description) > CAP_DESC_MAX)
        return sim_diag_fail(d, SIM_EINVAL, "capture point '%s': description longer than %u bytes",
                             name, CAP_DESC_MAX);
    if (cap_point_find(r, name) != NULL)
        return sim_diag_fail(d, SIM_EEXIST, "capture point '%s' already exists", name);

    if (r->n_points == r->cap_points) {
        size_t ncap = r->cap_points ? r->cap_points * 2 : 16;
        struct cap_point **np = sim_realloc(SIM_TAG(cap_registry), r->points, ncap * sizeof(*np));
        if (np == NULL)
            return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", name);
        r->points = np;
        r->cap_points = ncap;
    }

    struct cap_point *p = sim_calloc(SIM_TAG(cap_point), 1, sizeof(*p));
    if (p == NULL)
        return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", name);
    p->registry = r;
    memcpy(p->name, name, strlen(name) + 1);
    p->description = sim_strdup(SIM_TAG(cap_point), description);
    if (p->description == NULL) {
        sim_free(p);
        return sim_diag_fail(d, SIM_ENOMEM, "capture point '%s': out of memory", name);
    }

    int err = 0;
    if (r->session != NULL) {
        err = cap__session_bind_point(r->session, p, true, d);
        if (err != 0)
            goto free_point;
    }
    r->points[r->n_points++] = p;
    SIM_DEBUG(cap, "point %s created%s", p->name, p->iface ? " (recording)" : "");
    *out = p;
    return 0;

free_point:
    sim_free(p->description);
    sim_free(p);
    return err;
}

void
cap_point_destroy(struct cap_point *p)
{
    if (p == NULL)
        return;
    struct cap_registry *r = p->registry;
    cap__session_unbind_point(p);
    for (size_t i = r->n_points; i-- > 0;) {
        if (r->points[i] == p) {
            memmove(&r->points[i], &r->points[i + 1], (r->n_points - i - 1) * sizeof(*r->points));
            r->n_points--;
            break;
        }
    }
    SIM_DEBUG(cap, "point %s destroyed", p->name);
    sim_free(p->description);
    sim_free(p);
}

const char *
cap_point_name(const struct cap_point *p)
{
    return p ? p->name : NULL;
}

const char *
cap_point_description(const struct cap_point *p)
{
    return p ? p->description : NULL;
}

bool
cap_point_is_recording(const struct cap_point *p)
{
    return p != NULL && p->iface != NULL;
}

int
cap_point_stats(const struct cap_point *p, struct cap_stats *out)
{
    if (p == NULL || out == NULL)
        return SIM_EINVAL;
    if (p->iface == NULL) {
        memset(out, 0, sizeof(*out));
        return SIM_ESTATE;
    }
    *out = p->iface->stats;
    return 0;
}

void
cap_tap(struct cap_point *p, sim_time_t time_ns, enum cap_dir dir, uint64_t packet_id,
        uint32_t queue, const void *frame, uint32_t len)
{
    /* The one branch a point pays while nobody records it. */
    if (SIM_LIKELY(p == NULL || p->iface == NULL))
        return;
    cap__iface_tap(p->iface, time_ns, dir, packet_id, queue, frame, len, NULL);
}

void
cap_tap_with_comment(struct cap_point *p, sim_time_t time_ns, enum cap_dir dir, uint64_t packet_id,
                     uint32_t queue, const void *frame, uint32_t len, const char *comment)
{
    if (SIM_LIKELY(p == NULL || p->iface == NULL))
        return;
    cap__iface_tap(p->iface, time_ns, dir, packet_id, queue, frame, len, comment);
}
