/* SPDX-License-Identifier: MIT */
/* test_frame.c — frame build/parse round trips, checksums against an independent RFC 1071
 * implementation and a published vector, the sriovsim header, robustness to truncation. */
#include <criterion/criterion.h>
#include <string.h>

#include "traffic/traffic.h"

/* RFC 1071, written independently of frame.c: one's complement sum of 16-bit words. */
static uint16_t
rfc1071(const uint8_t *p, size_t n, uint32_t init)
{
    uint32_t sum = init;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t
pseudo(const uint8_t *ip, uint32_t l4len)
{
    uint32_t s = 0;
    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    return s + ip[9] + l4len;
}

static struct traffic_frame_spec
udp_spec(void)
{
    struct traffic_frame_spec s = {
        .src_mac = {0x02, 0, 0, 0, 0, 0x01},
        .dst_mac = {0x02, 0, 0, 0, 0, 0x02},
        .src_ip = 0xc0a80001,
        .dst_ip = 0xc0a800c7,
        .proto = TRAFFIC_PROTO_UDP,
        .ip_id = 0,
        .src_port = 40001,
        .dst_port = 5001,
        .tcp_wscale = -1,
    };
    return s;
}

Test(traffic_frame, ipv4_checksum_matches_published_vector)
{
    /* The classic example header 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7 has the
     * checksum 0xb861. Total length 0x73 = 115 = 20 + 8 + 87. */
    struct traffic_frame_spec s = udp_spec();
    uint8_t payload[87] = {0};
    uint8_t buf[256];
    uint32_t len;
    cr_assert_eq(traffic_frame_build(buf, sizeof buf, &s, payload, sizeof payload, &len, NULL), 0);
    cr_expect_eq(len, 14u + 115u);
    const uint8_t *ip = buf + 14;
    static const uint8_t want[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                     0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    cr_expect_arr_eq(ip, want, 20, "IPv4 header differs from the published vector");
    cr_expect_eq(rfc1071(ip, 20, 0), 0, "header verifies");
}

Test(traffic_frame, udp_round_trip_with_sriovsim_header)
{
    struct traffic_frame_spec s = udp_spec();
    s.ip_id = 0x1234;
    uint8_t payload[200];
    struct traffic_hdr h = {.magic = TRAFFIC_MAGIC,
                            .version = TRAFFIC_HDR_VERSION,
                            .kind = TRAFFIC_FLOW_DGRAM,
                            .flow_id = 7,
                            .seq = 0x0102030405060708ull,
                            .send_ns = 123456789,
                            .packet_id = 99,
                            .offset = 0};
    traffic_hdr_encode(payload, &h);
    for (size_t i = TRAFFIC_HDR_LEN; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    uint8_t buf[512];
    uint32_t len;
    struct sim_diag d;
    cr_assert_eq(traffic_frame_build(buf, sizeof buf, &s, payload, sizeof payload, &len, &d), 0,
                 "%s", d.reason);
    cr_assert_eq(len, 14u + 20u + 8u + 200u);
    /* Independent checks of both checksums. */
    cr_expect_eq(rfc1071(buf + 14, 20, 0), 0);
    uint32_t l4len = 8 + 200;
    cr_expect_eq(rfc1071(buf + 34, l4len, pseudo(buf + 14, l4len)), 0, "UDP checksum verifies");
    cr_expect_neq(buf[34 + 6] | buf[34 + 7], 0, "UDP checksum present");

    struct traffic_frame_info fi;
    cr_assert_eq(
        traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_IP | TRAFFIC_PARSE_VERIFY_L4, &fi, &d),
        0, "%s", d.reason);
    cr_expect_arr_eq(fi.src_mac, s.src_mac, 6);
    cr_expect_arr_eq(fi.dst_mac, s.dst_mac, 6);
    cr_expect_eq(fi.src_ip, s.src_ip);
    cr_expect_eq(fi.dst_ip, s.dst_ip);
    cr_expect_eq(fi.proto, TRAFFIC_PROTO_UDP);
    cr_expect_eq(fi.ip_id, 0x1234);
    cr_expect_eq(fi.ttl, 64);
    cr_expect_eq(fi.src_port, 40001);
    cr_expect_eq(fi.dst_port, 5001);
    cr_expect_eq(fi.payload_len, 200u);
    cr_expect_arr_eq(fi.payload, payload, 200);
    cr_assert(fi.has_hdr);
    cr_expect_eq(fi.hdr.flow_id, 7u);
    cr_expect_eq(fi.hdr.seq, 0x0102030405060708ull);
    cr_expect_eq(fi.hdr.send_ns, 123456789);
    cr_expect_eq(fi.hdr.packet_id, 99u);
    cr_expect_eq(fi.hdr.kind, TRAFFIC_FLOW_DGRAM);

    /* Flip one payload bit: the IP header still verifies, the UDP checksum does not. */
    buf[len - 1] ^= 0x40;
    cr_expect_eq(traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_IP, &fi, NULL), 0);
    cr_expect_eq(traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_L4, &fi, &d), SIM_EPARSE);
    cr_expect(strstr(d.reason, "UDP checksum") != NULL, "%s", d.reason);
    /* Flip one IP header bit: only VERIFY_IP notices. */
    buf[len - 1] ^= 0x40;
    buf[14 + 8] ^= 0x01; /* TTL */
    cr_expect_eq(traffic_frame_parse(buf, len, 0, &fi, NULL), 0);
    cr_expect_eq(traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_IP, &fi, &d), SIM_EPARSE);
    cr_expect(strstr(d.reason, "IPv4 header checksum") != NULL, "%s", d.reason);
}

Test(traffic_frame, tcp_syn_with_options_round_trip)
{
    struct traffic_frame_spec s = udp_spec();
    s.proto = TRAFFIC_PROTO_TCP;
    s.tcp_seq = 0xfffffff0u;
    s.tcp_ack = 0;
    s.tcp_flags = TRAFFIC_TCP_SYN;
    s.tcp_window = 65535;
    s.tcp_mss = 1460;
    s.tcp_wscale = 7;
    uint8_t buf[128];
    uint32_t len;
    cr_assert_eq(traffic_frame_build(buf, sizeof buf, &s, NULL, 0, &len, NULL), 0);
    cr_expect_eq(len, 14u + 20u + 28u, "SYN with MSS + NOP + WS options: 62 bytes");
    cr_expect_eq(buf[34 + 12] >> 4, 7, "data offset 7 words");
    cr_expect_eq(rfc1071(buf + 34, 28, pseudo(buf + 14, 28)), 0, "TCP checksum verifies");
    struct traffic_frame_info fi;
    cr_assert_eq(
        traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_IP | TRAFFIC_PARSE_VERIFY_L4, &fi, NULL),
        0);
    cr_expect_eq(fi.tcp_seq, 0xfffffff0u);
    cr_expect_eq(fi.tcp_flags, TRAFFIC_TCP_SYN);
    cr_expect_eq(fi.tcp_window, 65535);
    cr_expect_eq(fi.tcp_mss, 1460);
    cr_expect_eq(fi.tcp_wscale, 7);
    cr_expect_eq(fi.payload_len, 0u);
    cr_expect_not(fi.has_hdr);
}

Test(traffic_frame, short_frames_are_padded_to_60)
{
    struct traffic_frame_spec s = udp_spec();
    s.proto = TRAFFIC_PROTO_TCP;
    s.tcp_flags = TRAFFIC_TCP_ACK;
    uint8_t buf[128];
    memset(buf, 0xee, sizeof buf);
    uint32_t len;
    cr_assert_eq(traffic_frame_build(buf, sizeof buf, &s, NULL, 0, &len, NULL), 0);
    cr_expect_eq(len, 60u);
    cr_expect_eq(buf[54], 0);
    cr_expect_eq(buf[59], 0);
    struct traffic_frame_info fi;
    cr_assert_eq(
        traffic_frame_parse(buf, len, TRAFFIC_PARSE_VERIFY_IP | TRAFFIC_PARSE_VERIFY_L4, &fi, NULL),
        0);
    cr_expect_eq(fi.ip_total_len, 40);
    cr_expect_eq(fi.payload_len, 0u, "padding is not payload");
}

Test(traffic_frame, every_truncation_is_rejected_without_crashing)
{
    struct traffic_frame_spec s = udp_spec();
    uint8_t payload[100] = {0};
    uint8_t buf[256];
    uint32_t len;
    cr_assert_eq(traffic_frame_build(buf, sizeof buf, &s, payload, sizeof payload, &len, NULL), 0);
    for (uint32_t n = 0; n < len; n++) {
        struct traffic_frame_info fi;
        struct sim_diag d;
        cr_expect_eq(traffic_frame_parse(buf, n, TRAFFIC_PARSE_VERIFY_IP, &fi, &d), SIM_EPARSE,
                     "length %u accepted", n);
        cr_expect_neq(d.reason[0], '\0');
    }
    struct traffic_frame_info fi;
    cr_expect_eq(traffic_frame_parse(NULL, 10, 0, &fi, NULL), SIM_EINVAL);
    /* Not IPv4; IP fragment; unknown protocol. */
    uint8_t c[256];
    memcpy(c, buf, len);
    c[12] = 0x86, c[13] = 0xdd;
    cr_expect_eq(traffic_frame_parse(c, len, 0, &fi, NULL), SIM_EPARSE);
    memcpy(c, buf, len);
    c[14 + 6] |= 0x20; /* MF */
    cr_expect_eq(traffic_frame_parse(c, len, 0, &fi, NULL), SIM_EPARSE);
    memcpy(c, buf, len);
    c[14 + 9] = 1; /* ICMP */
    cr_expect_eq(traffic_frame_parse(c, len, 0, &fi, NULL), SIM_EPARSE);
}

Test(traffic_frame, build_rejects_bad_specs)
{
    struct traffic_frame_spec s = udp_spec();
    uint8_t buf[64];
    uint32_t len;
    struct sim_diag d;
    s.proto = 1;
    cr_expect_eq(traffic_frame_build(buf, sizeof buf, &s, NULL, 0, &len, &d), SIM_EINVAL);
    s = udp_spec();
    uint8_t big[100] = {0};
    cr_expect_eq(traffic_frame_build(buf, sizeof buf, &s, big, sizeof big, &len, &d), SIM_ENOSPC);
    cr_expect(strstr(d.reason, "does not fit") != NULL, "%s", d.reason);
    cr_expect_eq(traffic_frame_build(buf, sizeof buf, &s, NULL, 5, &len, &d), SIM_EINVAL);
}

Test(traffic_frame, header_decode_rejects_foreign_payloads)
{
    uint8_t b[TRAFFIC_HDR_LEN];
    struct traffic_hdr h = {.magic = TRAFFIC_MAGIC, .version = TRAFFIC_HDR_VERSION, .seq = 5};
    traffic_hdr_encode(b, &h);
    struct traffic_hdr out;
    cr_expect(traffic_hdr_decode(b, sizeof b, &out));
    cr_expect_eq(out.seq, 5u);
    cr_expect_not(traffic_hdr_decode(b, sizeof b - 1, &out), "too short");
    b[0] ^= 1;
    cr_expect_not(traffic_hdr_decode(b, sizeof b, &out), "bad magic");
    b[0] ^= 1;
    b[4] = 9;
    cr_expect_not(traffic_hdr_decode(b, sizeof b, &out), "bad version");
}

Test(traffic_frame, address_parsers)
{
    uint8_t mac[6];
    cr_expect_eq(traffic_mac_parse("02:00:5e:10:00:ff", mac), 0);
    cr_expect_eq(mac[2], 0x5e);
    cr_expect_eq(mac[5], 0xff);
    cr_expect_eq(traffic_mac_parse("02:00:5e:10:00", mac), SIM_EINVAL);
    cr_expect_eq(traffic_mac_parse("02:00:5e:10:00:ff:aa", mac), SIM_EINVAL);
    uint32_t ip;
    cr_expect_eq(traffic_ipv4_parse("10.0.0.254", &ip), 0);
    cr_expect_eq(ip, 0x0a0000feu);
    cr_expect_eq(traffic_ipv4_parse("10.0.0.256", &ip), SIM_EINVAL);
    cr_expect_eq(traffic_ipv4_parse("10.0.0", &ip), SIM_EINVAL);
    cr_expect_eq(traffic_ipv4_parse("10.0.0.1x", &ip), SIM_EINVAL);
    cr_expect_eq(traffic_ipv4_parse("", &ip), SIM_EINVAL);
}
