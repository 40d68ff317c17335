/* SPDX-License-Identifier: MIT */
/* nic_test.c — the in-test driver and topology of nic_test.h. */
#include "nic_test.h"

#include <stdlib.h>

/* One-descriptor ring operations, out of line: GCC 12 at -O2 inlines the ring's copy loops
 * against a single uint64_t and reports -Warray-bounds false positives (see nic/queue.c). */
__attribute__((noinline)) unsigned
t_put(struct sim_ring *r, const uint64_t *d)
{
    return sim_ring_sp_enqueue_bulk(r, d, 1);
}

__attribute__((noinline)) unsigned
t_get(struct sim_ring *r, uint64_t *d)
{
    return sim_ring_sc_dequeue_bulk(r, d, 1);
}

static void
t_irq(void *ctx, uint16_t rid, uint16_t vector)
{
    struct t_fn *fn = ctx;
    if (vector < 32)
        fn->irq[vector]++;
}

static void
t_wire_tx(void *ctx, const void *frame, uint32_t len, uint64_t id, sim_time_t done_at)
{
    struct t_env *e = ctx;
    if (e->wire_n < T_WIRE_MAX) {
        e->wire_id[e->wire_n] = id;
        e->wire_len[e->wire_n] = len;
        e->wire_done[e->wire_n] = done_at;
    }
    e->wire_n++;
    memcpy(e->wire_last, frame, len < T_BUF_SIZE ? len : T_BUF_SIZE);
}

static void
t_drop(void *ctx, enum sim_drop_cause cause, const char *where, uint64_t id, const void *frame,
       uint32_t len)
{
    struct t_env *e = ctx;
    cr_assert(where != NULL && where[0] != '\0');
    e->drop_n++;
    e->drop_by_cause[cause]++;
    e->drop_last_id = id;
    e->drop_last_cause = cause;
}

uint32_t
t_rd(struct t_env *e, uint16_t rid, uint32_t off)
{
    uint64_t v = 0;
    cr_assert_eq(pcie_mmio_read(e->f, rid, NIC_BAR_REGS, off, 4, &v), 0, "mmio read %x", off);
    return (uint32_t)v;
}

void
t_wr(struct t_env *e, uint16_t rid, uint32_t off, uint32_t val)
{
    cr_assert_eq(pcie_mmio_write(e->f, rid, NIC_BAR_REGS, off, 4, val), 0, "mmio write %x", off);
}

void
t_run(struct t_env *e, sim_time_t dt)
{
    cr_assert(sim_sched_run(e->s, sim_sched_now(e->s) + dt) >= 0);
}

/* Map fn's memory region and enable MSI-X with every vector connected and unmasked. */
static void
t_fn_bring_up(struct t_env *e, struct t_fn *fn, uint16_t rid, int vf, unsigned vectors)
{
    struct sim_diag d;
    char name[16];
    memset(fn, 0, sizeof(*fn));
    fn->env = e;
    fn->rid = rid;
    fn->vf = vf;
    fn->mem = aligned_alloc(4096, T_REGION_SIZE);
    cr_assert_not_null(fn->mem);
    memset(fn->mem, 0, T_REGION_SIZE);
    snprintf(name, sizeof(name), vf < 0 ? "host" : "vm%d", vf);
    cr_assert_eq(pcie_iommu_domain_create(e->f, name, &fn->dom), 0);
    cr_assert_eq(pcie_iommu_attach(fn->dom, rid), 0);
    cr_assert_eq(pcie_iommu_map(fn->dom, T_IOVA, fn->mem, T_REGION_SIZE, PCIE_IOMMU_PERM_RW, &d), 0,
                 "%s", d.reason);
    cr_assert_eq(pcie_fn_enable(e->f, rid), 0);
    cr_assert_eq(pcie_msix_enable(e->f, rid, true), 0);
    for (uint16_t v = 0; v < vectors; v++) {
        cr_assert_eq(pcie_msix_connect(e->f, rid, v, t_irq, fn), 0);
        cr_assert_eq(pcie_msix_mask(e->f, rid, v, false), 0);
    }
}

static void
t_fn_tear_down(struct t_fn *fn)
{
    if (fn->mem == NULL)
        return;
    pcie_iommu_domain_destroy(fn->dom);
    free(fn->mem);
    fn->mem = NULL;
}

void
t_env_init(struct t_env *e, uint16_t total_vfs, uint16_t max_filters, bool poll_mode)
{
    struct sim_diag d;
    memset(e, 0, sizeof(*e));
    cr_assert_eq(sim_alloc_live_total(), 0);
    cr_assert_eq(sim_sched_create(SIM_SCHED_VIRTUAL, &e->s), 0);
    cr_assert_eq(pcie_fabric_create(e->s, &e->f), 0);
    e->sink.drop = t_drop;
    e->sink.ctx = e;
    struct nic_config cfg = {
        .rid = T_PF_RID,
        .total_vfs = total_vfs,
        .max_filters = max_filters,
        .mac = {0x00, 0x1d, 0x0f, 0x00, 0x00, 0x01},
        .name = "nic0",
        .drop_sink = &e->sink,
        .poll_mode = poll_mode,
    };
    cr_assert_eq(nic_create(e->f, &cfg, &e->nic, &d), 0, "%s", d.reason);
    t_fn_bring_up(e, &e->pf, T_PF_RID, -1, NIC_PF_MSIX_VECTORS);
    static const struct nic_wire_ops wire = {.tx = t_wire_tx};
    nic_port_attach(e->nic, &wire, e);
    t_run(e, SIM_USEC(10));
}

void
t_env_fini(struct t_env *e)
{
    nic_destroy(e->nic);
    cr_assert_eq(sim_alloc_live(SIM_TAG(nic)), 0);
    for (unsigned i = 0; i < T_MAX_VFS; i++)
        t_fn_tear_down(&e->vf[i]);
    t_fn_tear_down(&e->pf);
    pcie_fabric_destroy(e->f);
    sim_sched_destroy(e->s);
    cr_assert_eq(sim_alloc_live_total(), 0, "allocations left after teardown");
}

int
t_cmd(struct t_env *e, uint32_t opcode, const uint32_t *p, unsigned np, uint32_t *r)
{
    unsigned irq0 = e->pf.irq[NIC_PF_VEC_ADMIN];
    for (unsigned i = 0; i < NIC_CMD_PARAM_WORDS; i++)
        t_wr(e, T_PF_RID, NIC_REG_CMD_PARAM(i), i < np ? p[i] : 0);
    t_wr(e, T_PF_RID, NIC_REG_CMD_DOORBELL, opcode);
    cr_assert(t_rd(e, T_PF_RID, NIC_REG_CMD_STATUS) & NIC_CMD_STATUS_BUSY);
    uint32_t st;
    for (int guard = 0;; guard++) {
        cr_assert(guard < 100000, "command never completed");
        st = t_rd(e, T_PF_RID, NIC_REG_CMD_STATUS);
        if (!(st & NIC_CMD_STATUS_BUSY) && e->pf.irq[NIC_PF_VEC_ADMIN] > irq0)
            break;
        cr_assert(sim_sched_step(e->s) == 1, "nothing scheduled while command busy");
    }
    cr_assert(st & NIC_CMD_STATUS_DONE);
    if (r != NULL)
        for (unsigned i = 0; i < NIC_CMD_PARAM_WORDS; i++)
            r[i] = t_rd(e, T_PF_RID, NIC_REG_CMD_RESULT(i));
    return NIC_CMD_STATUS_CODE(st);
}

void
t_enable_vfs(struct t_env *e, unsigned n)
{
    struct sim_diag d;
    cr_assert_eq(pcie_sriov_enable(e->f, T_PF_RID, (uint16_t)n, true, &d), 0, "%s", d.reason);
    t_run(e, PCIE_VF_ENABLE_DELAY_NS + SIM_MSEC(1));
    for (unsigned i = 0; i < n; i++)
        t_fn_bring_up(e, &e->vf[i], nic_vf_rid(e->nic, (uint16_t)i), (int)i, NIC_VF_MSIX_VECTORS);
    e->nvfs = n;
}

uint32_t
t_qp_setup(struct t_fn *fn, uint32_t irq)
{
    struct t_env *e = fn->env;
    uint32_t q = NIC_REG_QP(0);
    for (unsigned i = 0; i < 4; i++) {
        fn->ring[i] = (struct sim_ring *)(fn->mem + i * T_RING_AREA);
        cr_assert_eq(sim_ring_init(fn->ring[i], T_RING_SLOTS), 0);
        uint64_t iova = T_IOVA + i * T_RING_AREA;
        t_wr(e, fn->rid, q + NIC_QP_TX_IOVA_LO + 8 * i, (uint32_t)iova);
        t_wr(e, fn->rid, q + NIC_QP_TX_IOVA_HI + 8 * i, (uint32_t)(iova >> 32));
    }
    fn->tx_next = fn->rx_next = 0;
    t_wr(e, fn->rid, q + NIC_QP_SIZE, T_RING_SLOTS);
    t_wr(e, fn->rid, q + NIC_QP_CTRL, NIC_QP_CTRL_ENABLE | irq);
    return t_rd(e, fn->rid, q + NIC_QP_STATUS);
}

static uint64_t
t_tx_buf_iova(unsigned i)
{
    return T_IOVA + 4 * T_RING_AREA + (uint64_t)(i % T_NBUF_TX) * T_BUF_SIZE;
}

static uint64_t
t_rx_buf_iova(unsigned i)
{
    return T_IOVA + 4 * T_RING_AREA + (uint64_t)(T_NBUF_TX + i % T_NBUF_RX) * T_BUF_SIZE;
}

void
t_rx_post(struct t_fn *fn, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t d = NIC_DESC(t_rx_buf_iova(fn->rx_next++), T_BUF_SIZE);
        cr_assert_eq(t_put(fn->ring[2], &d), 1);
    }
    t_wr(fn->env, fn->rid, NIC_REG_QP(0) + NIC_QP_RXF_DOORBELL, 1);
}

void
t_send(struct t_fn *fn, const uint8_t *frame, uint32_t len, uint64_t id)
{
    uint64_t iova = t_tx_buf_iova(fn->tx_next++);
    uint8_t *buf = fn->mem + (iova - T_IOVA);
    struct nic_pkt_hdr h = {.packet_id = id};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + NIC_PKT_HDR_LEN, frame, len);
    uint64_t d = NIC_DESC(iova, len);
    cr_assert_eq(t_put(fn->ring[0], &d), 1, "TX ring full");
    t_wr(fn->env, fn->rid, NIC_REG_QP(0) + NIC_QP_TX_DOORBELL, 1);
}

bool
t_recv(struct t_fn *fn, struct nic_pkt_hdr *hdr, uint8_t *frame, uint32_t *len)
{
    uint64_t d;
    if (t_get(fn->ring[3], &d) == 0)
        return false;
    uint64_t iova = NIC_DESC_IOVA(d);
    *len = NIC_DESC_LEN(d);
    if (iova < T_IOVA || iova >= T_IOVA + T_REGION_SIZE) {
        /* Not one of our buffers (a test posted a foreign IOVA): must come back unused. */
        cr_assert_eq(*len, NIC_RXD_LEN_UNUSED);
        if (hdr != NULL)
            memset(hdr, 0, sizeof(*hdr));
        return true;
    }
    const uint8_t *buf = fn->mem + (iova - T_IOVA);
    if (hdr != NULL)
        memcpy(hdr, buf, sizeof(*hdr));
    if (frame != NULL && *len != NIC_RXD_LEN_UNUSED)
        memcpy(frame, buf + NIC_PKT_HDR_LEN, *len);
    return true;
}

unsigned
t_rx_pending(struct t_fn *fn)
{
    return sim_ring_count(fn->ring[3]);
}

unsigned
t_txc_reap(struct t_fn *fn, uint16_t *st, unsigned max)
{
    unsigned n = 0;
    uint64_t d;
    while (t_get(fn->ring[1], &d) == 1) {
        if (st != NULL && n < max)
            st[n] = NIC_DESC_LEN(d);
        n++;
    }
    return n;
}

uint32_t
t_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], int vlan, uint32_t payload)
{
    uint32_t o = 0;
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    o = 12;
    if (vlan >= 0) {
        buf[o++] = 0x81;
        buf[o++] = 0x00;
        buf[o++] = (uint8_t)((vlan >> 8) & 0x0f);
        buf[o++] = (uint8_t)vlan;
    }
    buf[o++] = 0x08;
    buf[o++] = 0x00;
    for (uint32_t i = 0; i < payload; i++)
        buf[o++] = (uint8_t)(i * 7 + 3);
    return o;
}

void
t_mac(uint8_t mac[6], uint8_t nn)
{
    static const uint8_t base[6] = {0x02, 0, 0, 0, 0, 0};
    memcpy(mac, base, 6);
    mac[5] = nn;
}

void
t_seven(struct t_env *e, unsigned n)
{
    t_enable_vfs(e, n);
    uint32_t sw[] = {n, n + 1, 1, 0};
    cr_assert_eq(t_cmd(e, NIC_CMD_SWITCH_CREATE, sw, 4, NULL), NIC_ERR_OK);
    cr_assert_eq(t_qp_setup(&e->pf, NIC_QP_CTRL_IRQ), NIC_QP_STATUS_ENABLED);
    t_rx_post(&e->pf, 32);
    for (unsigned v = 0; v < n; v++) {
        uint8_t mac[6];
        uint32_t lo, hi;
        t_mac(mac, (uint8_t)(v + 1));
        nic_mac_to_words(mac, &lo, &hi);
        uint32_t vp[] = {v + 1, v, 1, 0, NIC_VPORT_F_ANTISPOOF, lo, hi, 0};
        cr_assert_eq(t_cmd(e, NIC_CMD_VPORT_CREATE, vp, 8, NULL), NIC_ERR_OK, "vport %u", v + 1);
        uint32_t fl[] = {v + 1, v + 1, lo, hi, 0, NIC_FILTER_F_MAC | NIC_FILTER_F_UNTAGGED_OR_ZERO};
        cr_assert_eq(t_cmd(e, NIC_CMD_FILTER_SET, fl, 6, NULL), NIC_ERR_OK, "filter %u", v + 1);
        cr_assert_eq(t_qp_setup(&e->vf[v], NIC_QP_CTRL_IRQ), NIC_QP_STATUS_ENABLED);
        t_rx_post(&e->vf[v], 32);
    }
}
