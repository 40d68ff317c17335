/* SPDX-License-Identifier: MIT */
/*
 * msix.c — MSI-X: the per-function vector table and Pending Bit Array living in a BAR,
 * Message Control (Enable, Function Mask), per-vector masking, and delivery of a fired vector to
 * the handler the driver connected, through the scheduler. Windows counterpart: the message-
 * signalled interrupts a miniport connects with NdisMRegisterInterruptEx / IoConnectInterruptEx
 * (MiniportMessageInterrupt runs when the device writes the vector's message).
 */
#include <string.h>

#include "pcie/pcie_int.h"

static void msix_deliver_cb(struct sim_timer *t);

int
pcie__msix_init(struct pcie_fn *fn, uint16_t n, int bir, uint32_t table_off, uint32_t pba_off)
{
    struct pcie_msix *m = &fn->msix;
    m->table = sim_calloc(SIM_TAG(pcie_msix), n, PCIE_MSIX_ENTRY_SIZE);
    if (!m->table)
        goto fail_table;
    m->pba = sim_calloc(SIM_TAG(pcie_msix), (n + 63u) / 64u, sizeof(uint64_t));
    if (!m->pba)
        goto fail_pba;
    m->vec = sim_calloc(SIM_TAG(pcie_msix), n, sizeof(*m->vec));
    if (!m->vec)
        goto fail_vec;
    m->n = n;
    m->bir = bir;
    m->table_off = table_off;
    m->pba_off = pba_off;
    for (uint16_t i = 0; i < n; i++) {
        m->vec[i].fn = fn;
        m->vec[i].index = i;
        sim_timer_init(fn->fabric->sched, &m->vec[i].timer, msix_deliver_cb, &m->vec[i]);
    }
    pcie__msix_reset(fn, false);
    return 0;

fail_vec:
    sim_free(m->pba);
    m->pba = NULL;
fail_pba:
    sim_free(m->table);
    m->table = NULL;
fail_table:
    return SIM_ENOMEM;
}

void
pcie__msix_fini(struct pcie_fn *fn)
{
    struct pcie_msix *m = &fn->msix;
    for (uint16_t i = 0; i < m->n; i++)
        sim_timer_stop(&m->vec[i].timer);
    sim_free(m->vec);
    sim_free(m->pba);
    sim_free(m->table);
    memset(m, 0, sizeof(*m));
}

static uint8_t *
entry_ctrl(struct pcie_msix *m, uint16_t v)
{
    return &m->table[(size_t)v * PCIE_MSIX_ENTRY_SIZE + PCIE_MSIX_ENTRY_VECTOR_CTRL];
}

void
pcie__msix_reset(struct pcie_fn *fn, bool keep_handlers)
{
    struct pcie_msix *m = &fn->msix;
    if (!m->n)
        return;
    /* Reset values: every vector masked, nothing pending, no message in flight. */
    memset(m->table, 0, (size_t)m->n * PCIE_MSIX_ENTRY_SIZE);
    memset(m->pba, 0, ((m->n + 63u) / 64u) * sizeof(uint64_t));
    for (uint16_t i = 0; i < m->n; i++) {
        *entry_ctrl(m, i) = PCIE_MSIX_ENTRY_CTRL_MASKBIT;
        sim_timer_stop(&m->vec[i].timer);
        if (!keep_handlers) {
            m->vec[i].handler = NULL;
            m->vec[i].handler_ctx = NULL;
        }
    }
}

static bool
pba_test(const struct pcie_msix *m, uint16_t v)
{
    return (m->pba[v / 64] >> (v % 64)) & 1;
}

static void
pba_set(struct pcie_msix *m, uint16_t v, bool on)
{
    if (on)
        m->pba[v / 64] |= UINT64_C(1) << (v % 64);
    else
        m->pba[v / 64] &= ~(UINT64_C(1) << (v % 64));
}

static bool
vector_masked(struct pcie_fn *fn, uint16_t v)
{
    uint32_t ctrl = pcie__cfg_get(fn, (uint16_t)(fn->msix.cap + PCIE_MSIX_FLAGS), 2);
    return (ctrl & PCIE_MSIX_FLAGS_MASKALL) || (*entry_ctrl(&fn->msix, v) & 1);
}

static void
msix_deliver_cb(struct sim_timer *t)
{
    struct pcie_msix_vec *vec = t->data;
    struct pcie_fabric *f = vec->fn->fabric;
    if (!vec->handler) {
        f->stats.msix_unhandled++;
        return;
    }
    f->stats.msix_delivered++;
    vec->handler(vec->handler_ctx, vec->fn->rid, vec->index);
}

/* Send the message now (it arrives PCIE_MSIX_LATENCY_NS later). */
static void
send_message(struct pcie_fn *fn, uint16_t v)
{
    struct pcie_fabric *f = fn->fabric;
    struct pcie_msix_vec *vec = &fn->msix.vec[v];
    if (f->knobs.msix_lost) {
        f->stats.msix_lost++;
        return;
    }
    if (sim_timer_is_pending(&vec->timer))
        return; /* one message already in flight for this vector: coalesced */
    if (sim_timer_start(&vec->timer, PCIE_MSIX_LATENCY_NS) != 0)
        pba_set(&fn->msix, v, true); /* cannot schedule now: stays pending */
}

/* After anything that may unmask: deliver every pending, now unmasked vector. */
static void
flush_pending(struct pcie_fn *fn)
{
    struct pcie_msix *m = &fn->msix;
    uint32_t ctrl = pcie__cfg_get(fn, (uint16_t)(m->cap + PCIE_MSIX_FLAGS), 2);
    if (!(ctrl & PCIE_MSIX_FLAGS_ENABLE) || (ctrl & PCIE_MSIX_FLAGS_MASKALL))
        return;
    for (uint16_t v = 0; v < m->n; v++) {
        if (pba_test(m, v) && !vector_masked(fn, v)) {
            pba_set(m, v, false);
            send_message(fn, v);
        }
    }
}

void
pcie__msix_ctrl_written(struct pcie_fn *fn)
{
    flush_pending(fn);
}

bool
pcie__msix_mmio(struct pcie_fn *fn, int bar, uint64_t off, unsigned size, bool write, uint64_t *val)
{
    struct pcie_msix *m = &fn->msix;
    if (!m->n || bar != m->bir)
        return false;
    uint64_t tlen = (uint64_t)m->n * PCIE_MSIX_ENTRY_SIZE;
    uint64_t plen = ((m->n + 63u) / 64u) * 8u;
    if (off >= m->table_off && off + size <= m->table_off + tlen) {
        uint8_t *p = &m->table[off - m->table_off];
        if (!write) {
            uint64_t v = 0;
            for (unsigned i = 0; i < size; i++)
                v |= (uint64_t)p[i] << (8 * i);
            *val = v;
            return true;
        }
        for (unsigned i = 0; i < size; i++)
            p[i] = (uint8_t)(*val >> (8 * i));
        flush_pending(fn);
        return true;
    }
    if (off >= m->pba_off && off + size <= m->pba_off + plen) {
        if (write)
            return true; /* PBA is read-only */
        uint64_t v = 0;
        uint64_t rel = off - m->pba_off;
        for (unsigned i = 0; i < size; i++) {
            uint64_t byte = rel + i;
            v |= ((m->pba[byte / 8] >> (8 * (byte % 8))) & 0xff) << (8 * i);
        }
        *val = v;
        return true;
    }
    return false;
}

/* ---- public ------------------------------------------------------------------------------- */

static int
msix_fn(struct pcie_fabric *f, uint16_t rid, uint16_t vector, bool need_answer,
        struct pcie_fn **out)
{
    if (!f)
        return SIM_EINVAL;
    struct pcie_fn *fn = pcie__lookup(f, rid);
    if (!fn || (need_answer && !pcie__fn_answers(fn)))
        return SIM_ENODEV;
    if (vector >= fn->msix.n)
        return SIM_ERANGE;
    *out = fn;
    return 0;
}

int
pcie_msix_connect(struct pcie_fabric *f, uint16_t rid, uint16_t vector, pcie_msix_handler_fn fn,
                  void *ctx)
{
    struct pcie_fn *p;
    int err = msix_fn(f, rid, vector, false, &p);
    if (err)
        return err;
    if (!fn)
        return SIM_EINVAL;
    p->msix.vec[vector].handler = fn;
    p->msix.vec[vector].handler_ctx = ctx;
    return 0;
}

int
pcie_msix_disconnect(struct pcie_fabric *f, uint16_t rid, uint16_t vector)
{
    struct pcie_fn *p;
    int err = msix_fn(f, rid, vector, false, &p);
    if (err)
        return err;
    p->msix.vec[vector].handler = NULL;
    p->msix.vec[vector].handler_ctx = NULL;
    return 0;
}

int
pcie_msix_enable(struct pcie_fabric *f, uint16_t rid, bool enable)
{
    struct pcie_fn *p;
    int err = msix_fn(f, rid, 0, true, &p);
    if (err)
        return err;
    uint16_t reg = (uint16_t)(p->msix.cap + PCIE_MSIX_FLAGS);
    uint32_t v = pcie__cfg_get(p, reg, 2);
    v = enable ? (v | PCIE_MSIX_FLAGS_ENABLE) : (v & ~(uint32_t)PCIE_MSIX_FLAGS_ENABLE);
    return pcie_cfg_write(f, rid, reg, 2, v);
}

int
pcie_msix_mask(struct pcie_fabric *f, uint16_t rid, uint16_t vector, bool masked)
{
    struct pcie_fn *p;
    int err = msix_fn(f, rid, vector, true, &p);
    if (err)
        return err;
    uint8_t *c = entry_ctrl(&p->msix, vector);
    *c = masked ? (uint8_t)(*c | 1) : (uint8_t)(*c & ~1);
    if (!masked)
        flush_pending(p);
    return 0;
}

bool
pcie_msix_is_pending(struct pcie_fabric *f, uint16_t rid, uint16_t vector)
{
    struct pcie_fn *p;
    if (msix_fn(f, rid, vector, false, &p))
        return false;
    return pba_test(&p->msix, vector);
}

int
pcie_msix_fire(struct pcie_fabric *f, uint16_t rid, uint16_t vector)
{
    struct pcie_fn *p;
    int err = msix_fn(f, rid, vector, true, &p);
    if (err)
        return err;
    f->stats.msix_fired++;
    uint32_t ctrl = pcie__cfg_get(p, (uint16_t)(p->msix.cap + PCIE_MSIX_FLAGS), 2);
    /* An MSI-X message is a memory write: it needs MSI-X Enable and Bus Master Enable. */
    if (!(ctrl & PCIE_MSIX_FLAGS_ENABLE) || !pcie__bus_master(p)) {
        f->stats.msix_disabled++;
        return SIM_ESTATE;
    }
    if (vector_masked(p, vector)) {
        if (!pba_test(&p->msix, vector))
            f->stats.msix_pending++;
        pba_set(&p->msix, vector, true);
        return 0;
    }
    send_message(p, vector);
    return 0;
}
