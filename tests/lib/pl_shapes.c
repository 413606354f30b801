// SPDX-License-Identifier: MIT
/* The catalog of well-formed frames (see pl_shapes.h). To add a shape: one
 * function and one line in pl_shapes[]. */
#include <string.h>
#include "pl_shapes.h"

const uint8_t PL_SHAPE_V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
const uint8_t PL_SHAPE_V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

const uint8_t pl_shape_tcp_opts[20] = {
	2, 4, 0x05, 0xb4,             /* MSS 1460 */
	4, 2,                         /* SACK permitted */
	3, 3, 7,                      /* window scale 7 */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0, /* timestamps */
	1,                            /* NOP */
};

static const uint8_t ip4_opts_ra[4] = { 148, 4, 0, 0 }; /* router alert */
static const uint8_t ip4_opts_40[40] = {
	1, 1, 1, 7, 39, 4, /* NOPs, record route with room for 8 addresses */
};

/* Ethernet then IPv4 from the shape addresses (ip fields override). */
void pl_shape_eth_v4(struct pl_pkt *p, const struct pl_pkt_ip4 *ip)
{
	struct pl_pkt_ip4 h = ip ? *ip : (struct pl_pkt_ip4){ 0 };

	if (!h.saddr)
		h.saddr = PL_SHAPE_V4_SRC;
	if (!h.daddr)
		h.daddr = PL_SHAPE_V4_DST;
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_ipv4(p, &h);
}

/* Ethernet then IPv6 between the shape addresses. */
void pl_shape_eth_v6(struct pl_pkt *p)
{
	struct pl_pkt_ip6 ip = { .hop_limit = 63 };

	memcpy(ip.saddr, PL_SHAPE_V6_SRC, 16);
	memcpy(ip.daddr, PL_SHAPE_V6_DST, 16);
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_ipv6(p, &ip);
}

/* Shapes: each builds one complete frame. */
static void v4_tcp(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, NULL);
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 40000, .dport = 80, .flags = PL_TCP_SYN });
	pl_pkt_fill(p, 12, 1);
}

static void v4_tcp_opts(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .opts = ip4_opts_ra, .optlen = 4, .ttl = 5 });
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 40001, .dport = 22, .flags = PL_TCP_ACK | PL_TCP_PSH,
					   .opts = pl_shape_tcp_opts, .optlen = 20 });
	pl_pkt_fill(p, 30, 2);
}

static void v4_udp(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, NULL);
	pl_pkt_udp(p, 5000, 4242);
	pl_pkt_fill(p, 18, 3);
}

static void v4_udp_opts40(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .opts = ip4_opts_40, .optlen = 40 });
	pl_pkt_udp(p, 53, 53);
	pl_pkt_fill(p, 7, 4);
}

static void v4_icmp(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, NULL);
	pl_pkt_icmp(p, 8, 0, 0x1234, 1);
	pl_pkt_fill(p, 56, 5);
}

static void v4_udp_padded(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, NULL);
	pl_pkt_udp(p, 1, 7);
}

static void dot1q_v4_udp(struct pl_pkt *p)
{
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_vlan(p, 0x8100, 0x2000 | 100);
	pl_pkt_ipv4(p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_SHAPE_V4_DST });
	pl_pkt_udp(p, 6000, 4242);
	pl_pkt_fill(p, 20, 6);
}

static void qinq_v6_tcp(struct pl_pkt *p)
{
	struct pl_pkt_ip6 ip = { 0 };

	memcpy(ip.saddr, PL_SHAPE_V6_SRC, 16);
	memcpy(ip.daddr, PL_SHAPE_V6_DST, 16);
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_vlan(p, 0x88a8, 300);
	pl_pkt_vlan(p, 0x8100, 0xe000 | 4094);
	pl_pkt_ipv6(p, &ip);
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 443, .dport = 51000, .flags = PL_TCP_ACK,
					   .opts = pl_shape_tcp_opts, .optlen = 12 });
	pl_pkt_fill(p, 9, 7);
}

static void qinq9100_v4_icmp(struct pl_pkt *p)
{
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_vlan(p, 0x9100, 7);
	pl_pkt_vlan(p, 0x8100, 8);
	pl_pkt_ipv4(p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_SHAPE_V4_DST });
	pl_pkt_icmp(p, 0, 0, 1, 2);
}

static void arp_request(struct pl_pkt *p)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];

	pl_pkt_eth(p, bcast, PL_PKT_MAC_A);
	pl_pkt_arp(p, 1, PL_PKT_MAC_A, PL_SHAPE_V4_SRC, zero, PL_SHAPE_V4_DST);
}

static void v6_tcp(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 40002, .dport = 80 });
	pl_pkt_fill(p, 5, 8);
}

static void v6_udp(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_udp(p, 5001, 4242);
	pl_pkt_fill(p, 32, 9);
}

static void v6_icmp6(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_icmp6(p, 128, 0, 0x77, 3);
	pl_pkt_fill(p, 16, 10);
}

static void v6_ext_udp(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_ip6_ext(p, 0, 8);   /* hop-by-hop */
	pl_pkt_ip6_ext(p, 43, 24); /* routing */
	pl_pkt_ip6_frag(p, 0, 1, 0xabcd); /* first fragment */
	pl_pkt_ip6_ext(p, 51, 16); /* AH */
	pl_pkt_ip6_ext(p, 60, 16); /* destination options */
	pl_pkt_udp(p, 7000, 4242);
	pl_pkt_fill(p, 11, 11);
}

static void v6_ext_max_tcp(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_ip6_ext(p, 0, 8);
	pl_pkt_ip6_ext(p, 60, 8);
	pl_pkt_ip6_ext(p, 43, 8);
	pl_pkt_ip6_ext(p, 51, 12);
	pl_pkt_ip6_ext(p, 135, 8); /* mobility, walked as an extension */
	pl_pkt_ip6_ext(p, 60, 32);
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 1, .dport = 22, .flags = PL_TCP_SYN });
}

static void v4_first_frag_tcp(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .more_frags = 1, .id = 77 });
	pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = 40003, .dport = 22 });
	pl_pkt_fill(p, 40, 12);
}

static void v4_later_frag(struct pl_pkt *p)
{
	pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .frag_off = 185, .id = 77 });
	pl_pkt_raw(p, 6, NULL, 0);
	pl_pkt_fill(p, 30, 13);
}

static void v6_later_frag(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
	pl_pkt_ip6_frag(p, 100, 0, 0xabcd);
	pl_pkt_raw(p, 17, NULL, 0);
	pl_pkt_fill(p, 24, 14);
}

static void lldp(struct pl_pkt *p)
{
	static const uint8_t lldp_mc[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };

	pl_pkt_eth(p, lldp_mc, PL_PKT_MAC_A);
	pl_pkt_ethertype(p, 0x88cc);
	pl_pkt_fill(p, 46, 15);
}

static void v4_gre(struct pl_pkt *p)
{
	static const uint8_t gre[4] = { 0, 0, 0x08, 0x00 };

	pl_shape_eth_v4(p, NULL);
	pl_pkt_raw(p, 47, gre, 4);
	pl_pkt_fill(p, 20, 16);
}

static void v6_nonext(struct pl_pkt *p)
{
	pl_shape_eth_v6(p);
}

const struct pl_shape pl_shapes[] = {
	{ "ipv4-tcp", v4_tcp },
	{ "ipv4opts-tcpopts-22", v4_tcp_opts },
	{ "ipv4-udp-4242", v4_udp },
	{ "ipv4opts40-udp", v4_udp_opts40 },
	{ "ipv4-icmp-echo", v4_icmp },
	{ "ipv4-udp-padded", v4_udp_padded, 60 },
	{ "dot1q-ipv4-udp", dot1q_v4_udp },
	{ "qinq-ipv6-tcpopts", qinq_v6_tcp },
	{ "qinq9100-ipv4-icmp", qinq9100_v4_icmp },
	{ "arp-request", arp_request },
	{ "ipv6-tcp", v6_tcp },
	{ "ipv6-udp-4242", v6_udp },
	{ "ipv6-icmpv6-echo", v6_icmp6 },
	{ "ipv6-ext5-udp", v6_ext_udp },
	{ "ipv6-ext6-tcp-22", v6_ext_max_tcp },
	{ "ipv4-first-frag-tcp", v4_first_frag_tcp },
	{ "ipv4-later-frag", v4_later_frag },
	{ "ipv6-later-frag", v6_later_frag },
	{ "lldp", lldp },
	{ "ipv4-gre", v4_gre },
	{ "ipv6-no-next-header", v6_nonext },
};
const unsigned pl_nshapes = sizeof(pl_shapes) / sizeof(pl_shapes[0]);

/* Build shape i into p: start, build, finish, pad. */
const char *pl_shape_make(unsigned i, struct pl_pkt *p)
{
	pl_pkt_init(p);
	if (i >= pl_nshapes) {
		p->error = 1;
		return "?";
	}
	pl_shapes[i].build(p);
	pl_pkt_finish(p);
	if (pl_shapes[i].pad)
		pl_pkt_pad(p, pl_shapes[i].pad);
	return pl_shapes[i].name;
}

/* Index of the shape called name, or -1. */
int pl_shape_index(const char *name)
{
	for (unsigned i = 0; i < pl_nshapes; i++)
		if (!strcmp(pl_shapes[i].name, name))
			return (int)i;
	return -1;
}
