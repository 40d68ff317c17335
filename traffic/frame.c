/* SPDX-License-Identifier: MIT */
/*
 * frame.c — Ethernet II / IPv4 / UDP / TCP frames: a general builder and parser, the Internet
 * checksum, the sriovsim payload header, and the per-flow data-frame template that the hot path
 * stamps in place (headers and checksums only; the filler's checksum is computed once).
 *
 * Windows counterpart: what the guest's and the peer's TCP/IP stacks (tcpip.sys) put on the
 * wire; the frames are real so that captures decode in Wireshark.
 */
#include <stdlib.h>

#include "traffic/traffic_int.h"

uint32_t
traffic_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    while (len >= 8) {
        s += ((uint32_t)p[0] << 8 | p[1]) + ((uint32_t)p[2] << 8 | p[3]) +
             ((uint32_t)p[4] << 8 | p[5]) + ((uint32_t)p[6] << 8 | p[7]);
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        s += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        len -= 2;
    }
    if (len == 1)
        s += (uint32_t)p[0] << 8;
    while (s >> 16)
        s = (s & 0xffffu) + (s >> 16);
    return (uint32_t)s;
}

uint16_t
traffic_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

void
traffic_hdr_encode(uint8_t *b, const struct traffic_hdr *h)
{
    traffic__put32(b + 0, h->magic);
    b[4] = h->version;
    b[5] = h->kind;
    traffic__put16(b + 6, 0);
    traffic__put32(b + 8, h->flow_id);
    traffic__put32(b + 12, 0);
    traffic__put64(b + 16, h->seq);
    traffic__put64(b + 24, (uint64_t)h->send_ns);
    traffic__put64(b + 32, h->packet_id);
    traffic__put64(b + 40, h->offset);
}

bool
traffic_hdr_decode(const uint8_t *b, uint32_t len, struct traffic_hdr *out)
{
    if (b == NULL || len < TRAFFIC_HDR_LEN || traffic__get32(b) != TRAFFIC_MAGIC ||
        b[4] != TRAFFIC_HDR_VERSION)
        return false;
    out->magic = TRAFFIC_MAGIC;
    out->version = b[4];
    out->kind = b[5];
    out->flow_id = traffic__get32(b + 8);
    out->seq = traffic__get64(b + 16);
    out->send_ns = (int64_t)traffic__get64(b + 24);
    out->packet_id = traffic__get64(b + 32);
    out->offset = traffic__get64(b + 40);
    return true;
}

static uint32_t
pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4_len)
{
    uint8_t ph[12];
    traffic__put32(ph, src);
    traffic__put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = proto;
    traffic__put16(ph + 10, (uint16_t)l4_len);
    return traffic_csum_add(0, ph, sizeof ph);
}

static void
ipv4_write(uint8_t *ip, const struct traffic_frame_spec *s, uint32_t total_len)
{
    ip[0] = 0x45; /* version 4, IHL 5 */
    ip[1] = 0;
    traffic__put16(ip + 2, (uint16_t)total_len);
    traffic__put16(ip + 4, s->ip_id);
    traffic__put16(ip + 6, 0x4000); /* DF */
    ip[8] = s->ttl ? s->ttl : 64;
    ip[9] = s->proto;
    traffic__put16(ip + 10, 0);
    traffic__put32(ip + 12, s->src_ip);
    traffic__put32(ip + 16, s->dst_ip);
    traffic__put16(ip + 10, traffic_csum_fold(traffic_csum_add(0, ip, TRAFFIC_IPV4_HLEN)));
}

int
traffic_frame_build(uint8_t *buf, uint32_t cap, const struct traffic_frame_spec *s,
                    const void *payload, uint32_t payload_len, uint32_t *len_out,
                    struct sim_diag *d)
{
    if (buf == NULL || s == NULL || len_out == NULL || (payload == NULL && payload_len > 0))
        return sim_diag_fail(d, SIM_EINVAL, "frame build: NULL argument");
    if (s->proto != TRAFFIC_PROTO_UDP && s->proto != TRAFFIC_PROTO_TCP)
        return sim_diag_fail(d, SIM_EINVAL, "frame build: protocol %u is neither UDP nor TCP",
                             (unsigned)s->proto);
    uint32_t l4h = TRAFFIC_UDP_HLEN;
    if (s->proto == TRAFFIC_PROTO_TCP) {
        if (s->tcp_wscale > 14)
            return sim_diag_fail(d, SIM_EINVAL, "frame build: TCP window scale %d > 14",
                                 s->tcp_wscale);
        l4h = TRAFFIC_TCP_HLEN + (s->tcp_mss ? 4u : 0u) + (s->tcp_wscale >= 0 ? 4u : 0u);
    }
    uint64_t ip_len = (uint64_t)TRAFFIC_IPV4_HLEN + l4h + payload_len;
    uint64_t len = TRAFFIC_ETH_HLEN + ip_len;
    uint64_t padded = len < TRAFFIC_ETH_MIN ? TRAFFIC_ETH_MIN : len;
    if (padded > cap || padded > TRAFFIC_FRAME_MAX)
        return sim_diag_fail(d, SIM_ENOSPC,
                             "frame build: %llu-byte frame does not fit (capacity %u, max %u)",
                             (unsigned long long)padded, cap, TRAFFIC_FRAME_MAX);
    memcpy(buf, s->dst_mac, 6);
    memcpy(buf + 6, s->src_mac, 6);
    traffic__put16(buf + 12, TRAFFIC_ETHERTYPE_IP4);
    uint8_t *ip = buf + TRAFFIC_ETH_HLEN;
    ipv4_write(ip, s, (uint32_t)ip_len);
    uint8_t *l4 = ip + TRAFFIC_IPV4_HLEN;
    if (payload_len > 0)
        memmove(l4 + l4h, payload, payload_len);
    uint32_t l4_len = l4h + payload_len;
    if (s->proto == TRAFFIC_PROTO_UDP) {
        traffic__put16(l4, s->src_port);
        traffic__put16(l4 + 2, s->dst_port);
        traffic__put16(l4 + 4, (uint16_t)l4_len);
        traffic__put16(l4 + 6, 0);
    } else {
        traffic__put16(l4, s->src_port);
        traffic__put16(l4 + 2, s->dst_port);
        traffic__put32(l4 + 4, s->tcp_seq);
        traffic__put32(l4 + 8, s->tcp_ack);
        l4[12] = (uint8_t)((l4h / 4) << 4);
        l4[13] = s->tcp_flags;
        traffic__put16(l4 + 14, s->tcp_window);
        traffic__put16(l4 + 16, 0);
        traffic__put16(l4 + 18, 0);
        uint8_t *o = l4 + TRAFFIC_TCP_HLEN;
        if (s->tcp_mss) {
            o[0] = 2;
            o[1] = 4;
            traffic__put16(o + 2, s->tcp_mss);
            o += 4;
        }
        if (s->tcp_wscale >= 0) {
            o[0] = 1; /* NOP */
            o[1] = 3;
            o[2] = 3;
            o[3] = (uint8_t)s->tcp_wscale;
        }
    }
    uint32_t sum = pseudo_sum(s->src_ip, s->dst_ip, s->proto, l4_len);
    uint16_t csum = traffic_csum_fold(traffic_csum_add(sum, l4, l4_len));
    if (s->proto == TRAFFIC_PROTO_UDP && csum == 0)
        csum = 0xffff; /* RFC 768: a computed zero is sent as all ones */
    traffic__put16(l4 + (s->proto == TRAFFIC_PROTO_UDP ? 6 : 16), csum);
    if (padded > len)
        memset(buf + len, 0, (size_t)(padded - len));
    *len_out = (uint32_t)padded;
    return 0;
}

int
traffic_frame_parse(const void *frame, uint32_t len, unsigned flags, struct traffic_frame_info *o,
                    struct sim_diag *d)
{
    if (frame == NULL || o == NULL)
        return sim_diag_fail(d, SIM_EINVAL, "frame parse: NULL argument");
    const uint8_t *b = frame;
    memset(o, 0, sizeof *o);
    o->tcp_wscale = -1;
    if (len < TRAFFIC_ETH_HLEN)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: %u bytes, shorter than Ethernet", len);
    memcpy(o->dst_mac, b, 6);
    memcpy(o->src_mac, b + 6, 6);
    uint32_t off = 12;
    uint16_t et = traffic__get16(b + off);
    if (et == 0x8100u) { /* one 802.1Q tag */
        if (len < 18)
            return sim_diag_fail(d, SIM_EPARSE, "frame parse: truncated 802.1Q tag");
        off += 4;
        et = traffic__get16(b + off);
    }
    off += 2;
    o->ethertype = et;
    if (et != TRAFFIC_ETHERTYPE_IP4)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: ethertype 0x%04x is not IPv4",
                             (unsigned)et);
    if (len - off < TRAFFIC_IPV4_HLEN)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: truncated IPv4 header");
    const uint8_t *ip = b + off;
    uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < TRAFFIC_IPV4_HLEN)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: bad IPv4 version/IHL byte 0x%02x",
                             (unsigned)ip[0]);
    uint32_t total = traffic__get16(ip + 2);
    if (total < ihl || total > len - off)
        return sim_diag_fail(d, SIM_EPARSE,
                             "frame parse: IPv4 total length %u does not fit the %u-byte frame",
                             total, len);
    if ((flags & TRAFFIC_PARSE_VERIFY_IP) && traffic_csum_fold(traffic_csum_add(0, ip, ihl)) != 0)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: bad IPv4 header checksum 0x%04x",
                             (unsigned)traffic__get16(ip + 10));
    if ((traffic__get16(ip + 6) & 0x3fffu) != 0)
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: IPv4 fragment");
    o->ip_total_len = (uint16_t)total;
    o->ip_id = traffic__get16(ip + 4);
    o->ttl = ip[8];
    o->proto = ip[9];
    o->src_ip = traffic__get32(ip + 12);
    o->dst_ip = traffic__get32(ip + 16);
    const uint8_t *l4 = ip + ihl;
    uint32_t l4_len = total - ihl;
    uint32_t l4h;
    if (o->proto == TRAFFIC_PROTO_UDP) {
        if (l4_len < TRAFFIC_UDP_HLEN)
            return sim_diag_fail(d, SIM_EPARSE, "frame parse: truncated UDP header");
        uint32_t ulen = traffic__get16(l4 + 4);
        if (ulen < TRAFFIC_UDP_HLEN || ulen > l4_len)
            return sim_diag_fail(d, SIM_EPARSE, "frame parse: UDP length %u, IP payload %u", ulen,
                                 l4_len);
        l4_len = ulen;
        l4h = TRAFFIC_UDP_HLEN;
        o->src_port = traffic__get16(l4);
        o->dst_port = traffic__get16(l4 + 2);
        if ((flags & TRAFFIC_PARSE_VERIFY_L4) && traffic__get16(l4 + 6) != 0) {
            uint32_t s = pseudo_sum(o->src_ip, o->dst_ip, o->proto, l4_len);
            if (traffic_csum_fold(traffic_csum_add(s, l4, l4_len)) != 0)
                return sim_diag_fail(d, SIM_EPARSE, "frame parse: bad UDP checksum");
        }
    } else if (o->proto == TRAFFIC_PROTO_TCP) {
        if (l4_len < TRAFFIC_TCP_HLEN)
            return sim_diag_fail(d, SIM_EPARSE, "frame parse: truncated TCP header");
        l4h = (uint32_t)(l4[12] >> 4) * 4u;
        if (l4h < TRAFFIC_TCP_HLEN || l4h > l4_len)
            return sim_diag_fail(d, SIM_EPARSE, "frame parse: TCP data offset %u bytes", l4h);
        o->src_port = traffic__get16(l4);
        o->dst_port = traffic__get16(l4 + 2);
        o->tcp_seq = traffic__get32(l4 + 4);
        o->tcp_ack = traffic__get32(l4 + 8);
        o->tcp_flags = l4[13];
        o->tcp_window = traffic__get16(l4 + 14);
        for (uint32_t i = TRAFFIC_TCP_HLEN; i < l4h;) {
            uint8_t kind = l4[i];
            if (kind == 0)
                break;
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= l4h || l4[i + 1] < 2 || i + l4[i + 1] > l4h)
                return sim_diag_fail(d, SIM_EPARSE, "frame parse: malformed TCP option %u",
                                     (unsigned)kind);
            if (kind == 2 && l4[i + 1] == 4)
                o->tcp_mss = traffic__get16(l4 + i + 2);
            else if (kind == 3 && l4[i + 1] == 3)
                o->tcp_wscale = (int8_t)(l4[i + 2] > 14 ? 14 : l4[i + 2]);
            i += l4[i + 1];
        }
        if (flags & TRAFFIC_PARSE_VERIFY_L4) {
            uint32_t s = pseudo_sum(o->src_ip, o->dst_ip, o->proto, l4_len);
            if (traffic_csum_fold(traffic_csum_add(s, l4, l4_len)) != 0)
                return sim_diag_fail(d, SIM_EPARSE, "frame parse: bad TCP checksum");
        }
    } else {
        return sim_diag_fail(d, SIM_EPARSE, "frame parse: IP protocol %u is neither UDP nor TCP",
                             (unsigned)o->proto);
    }
    o->payload = l4 + l4h;
    o->payload_len = l4_len - l4h;
    o->has_hdr = traffic_hdr_decode(o->payload, o->payload_len, &o->hdr);
    return 0;
}

int
traffic_mac_parse(const char *text, uint8_t mac[6])
{
    if (text == NULL || mac == NULL)
        return SIM_EINVAL;
    unsigned v[6];
    char tail;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6)
        return SIM_EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

int
traffic_ipv4_parse(const char *text, uint32_t *out)
{
    if (text == NULL || out == NULL)
        return SIM_EINVAL;
    uint32_t ip = 0;
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9')
            return SIM_EINVAL;
        unsigned v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || v > 255)
                return SIM_EINVAL;
        }
        ip = ip << 8 | v;
        if (i < 3 && *p++ != '.')
            return SIM_EINVAL;
    }
    if (*p != '\0')
        return SIM_EINVAL;
    *out = ip;
    return 0;
}

/* The data-frame template of a flow: everything but the per-packet fields, built once. */
int
traffic__template_build(struct traffic_flow *f, struct sim_diag *d)
{
    struct traffic_frame_spec s = {0};
    memcpy(s.src_mac, f->src->mac, 6);
    memcpy(s.dst_mac, f->dst->mac, 6);
    s.src_ip = f->src->ip;
    s.dst_ip = f->dst->ip;
    s.proto = f->kind == TRAFFIC_FLOW_TCP ? TRAFFIC_PROTO_TCP : TRAFFIC_PROTO_UDP;
    s.src_port = f->cfg.src_port;
    s.dst_port = f->cfg.dst_port;
    s.tcp_wscale = -1;
    s.tcp_flags = TRAFFIC_TCP_ACK | TRAFFIC_TCP_PSH;
    uint32_t l4h = s.proto == TRAFFIC_PROTO_TCP ? TRAFFIC_TCP_HLEN : TRAFFIC_UDP_HLEN;
    uint32_t payload_len = f->frame_len - TRAFFIC_ETH_HLEN - TRAFFIC_IPV4_HLEN - l4h;
    /* Payload: zeroed header room, then a filler a human recognises in a hex dump. */
    uint8_t *payload = f->tx + TRAFFIC_FRAME_MAX; /* scratch half of the buffer */
    memset(payload, 0, TRAFFIC_HDR_LEN);
    for (uint32_t i = TRAFFIC_HDR_LEN; i < payload_len; i++)
        payload[i] = (uint8_t)("sriovsim"[i & 7]);
    uint32_t len;
    int rc = traffic_frame_build(f->tx, TRAFFIC_FRAME_MAX, &s, payload, payload_len, &len, d);
    if (rc < 0)
        return rc;
    f->l4_off = TRAFFIC_ETH_HLEN + TRAFFIC_IPV4_HLEN;
    f->hdr_off = f->l4_off + l4h;
    f->filler_sum =
        traffic_csum_add(0, f->tx + f->hdr_off + TRAFFIC_HDR_LEN, payload_len - TRAFFIC_HDR_LEN);
    f->pseudo_sum = pseudo_sum(s.src_ip, s.dst_ip, s.proto, l4h + payload_len);
    return 0;
}

void
traffic__template_stamp(struct traffic_flow *f, const struct traffic_hdr *h, uint32_t tcp_seq,
                        uint32_t tcp_ack, uint8_t tcp_flags, uint16_t tcp_window)
{
    uint8_t *ip = f->tx + TRAFFIC_ETH_HLEN;
    traffic__put16(ip + 4, (uint16_t)h->seq);
    traffic__put16(ip + 10, 0);
    traffic__put16(ip + 10, traffic_csum_fold(traffic_csum_add(0, ip, TRAFFIC_IPV4_HLEN)));
    uint8_t *l4 = f->tx + f->l4_off;
    traffic_hdr_encode(f->tx + f->hdr_off, h);
    uint32_t sum = f->pseudo_sum + f->filler_sum;
    uint32_t csum_at;
    if (f->kind == TRAFFIC_FLOW_TCP) {
        traffic__put32(l4 + 4, tcp_seq);
        traffic__put32(l4 + 8, tcp_ack);
        l4[13] = tcp_flags;
        traffic__put16(l4 + 14, tcp_window);
        csum_at = 16;
    } else {
        csum_at = 6;
    }
    traffic__put16(l4 + csum_at, 0);
    sum = traffic_csum_add(sum, l4, f->hdr_off - f->l4_off + TRAFFIC_HDR_LEN);
    uint16_t csum = traffic_csum_fold(sum);
    if (f->kind != TRAFFIC_FLOW_TCP && csum == 0)
        csum = 0xffff;
    traffic__put16(l4 + csum_at, csum);
}
