/* SPDX-License-Identifier: MIT */
/* pathlab test packet builder (libpathlab-testlib): build a frame layer by
 * layer, then pl_pkt_finish() fills every length and checksum. After that,
 * helpers cut or corrupt it to make the malformed cases. No libc beyond
 * <string.h>, no core headers: tests compare the core against this.
 *
 *   struct pl_pkt p;
 *   pl_pkt_init(&p);
 *   pl_pkt_eth(&p, PL_PKT_MAC_A, PL_PKT_MAC_B);
 *   pl_pkt_vlan(&p, 0x8100, 10);
 *   pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_PKT_IP4(10,0,0,1), .daddr = ... });
 *   pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 1234, .dport = 80, .flags = PL_TCP_SYN });
 *   pl_pkt_payload(&p, "hello", 5);
 *   pl_pkt_finish(&p);   // p.b[0 .. p.len) is the frame
 *
 * Every layer is recorded in p.layer[] (kind, offset, length) so a test can
 * walk "every byte of every header". */
#ifndef PL_PKT_H
#define PL_PKT_H

#include <stdint.h>
#include <stddef.h>

#define PL_PKT_MAX 9216 /* the replay contract's longest frame */
#define PL_PKT_LAYERS 24

enum pl_pkt_kind {
	PL_PK_ETH,
	PL_PK_VLAN,
	PL_PK_ARP,
	PL_PK_IPV4,   /* including options */
	PL_PK_IPV6,   /* the fixed 40-byte header */
	PL_PK_IP6EXT, /* hop-by-hop, routing, dest opts, AH, mobility */
	PL_PK_IP6FRAG,
	PL_PK_TCP,    /* including options */
	PL_PK_UDP,
	PL_PK_ICMP,
	PL_PK_ICMP6,
	PL_PK_RAW,    /* an L4 header of another protocol, or raw bytes */
	PL_PK_PAYLOAD,
};

struct pl_pkt_layer {
	uint8_t kind;  /* enum pl_pkt_kind */
	uint8_t proto; /* IP protocol / next header this layer is, for IP layers */
	uint16_t off;
	uint16_t len;
};

struct pl_pkt {
	uint8_t b[PL_PKT_MAX];
	uint32_t len;
	unsigned nlayers;
	struct pl_pkt_layer layer[PL_PKT_LAYERS];
	int next_off;       /* where the next layer's type goes (-1: nowhere) */
	uint8_t next_kind;  /* 0: a 16-bit ethertype at next_off, 1: an 8-bit IP protocol */
	int ip_layer;       /* index of the innermost IPv4/IPv6 layer, -1 if none */
	int l4_layer;       /* index of the L4 layer, -1 if none */
	int error;          /* set when a layer did not fit (frame unusable) */
};

/* Addresses: IPv4 as host-order u32, IPv6 as 16 bytes. */
#define PL_PKT_IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

extern const uint8_t PL_PKT_MAC_A[6], PL_PKT_MAC_B[6];

/* TCP flags (byte 13). */
#define PL_TCP_FIN 0x01
#define PL_TCP_SYN 0x02
#define PL_TCP_RST 0x04
#define PL_TCP_PSH 0x08
#define PL_TCP_ACK 0x10

struct pl_pkt_ip4 {
	uint32_t saddr, daddr;  /* host order */
	uint8_t ttl;            /* 0 means 64 */
	uint8_t tos;
	uint16_t id;
	uint16_t frag_off;      /* offset in 8-byte units */
	uint8_t more_frags;     /* MF */
	uint8_t dont_frag;      /* DF */
	uint8_t proto;          /* 0: filled by the next layer */
	const uint8_t *opts;    /* options, padded to 4 bytes with EOL */
	uint8_t optlen;         /* up to 40 */
};

struct pl_pkt_ip6 {
	uint8_t saddr[16], daddr[16];
	uint8_t hop_limit;      /* 0 means 64 */
	uint8_t tclass;
	uint32_t flow;
	uint8_t nexthdr;        /* 0 (hop-by-hop) is filled by the next layer anyway */
};

struct pl_pkt_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;          /* 0 means SYN */
	uint16_t window;        /* 0 means 65535 */
	const uint8_t *opts;    /* padded to 4 bytes with NOP */
	uint8_t optlen;         /* up to 40 */
};

/* Start an empty frame. */
void pl_pkt_init(struct pl_pkt *p);
/* Ethernet header; the ethertype comes from the next layer. */
void pl_pkt_eth(struct pl_pkt *p, const uint8_t dst[6], const uint8_t src[6]);
/* One VLAN tag: tpid 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100. */
void pl_pkt_vlan(struct pl_pkt *p, uint16_t tpid, uint16_t tci);
/* Ethertype of the next layer when it is not one of ours (an unknown L3). */
void pl_pkt_ethertype(struct pl_pkt *p, uint16_t type);
/* ARP for IPv4 over Ethernet (hlen 6, plen 4). */
void pl_pkt_arp(struct pl_pkt *p, uint16_t oper, const uint8_t sha[6], uint32_t spa,
		const uint8_t tha[6], uint32_t tpa);
void pl_pkt_ipv4(struct pl_pkt *p, const struct pl_pkt_ip4 *ip);
void pl_pkt_ipv6(struct pl_pkt *p, const struct pl_pkt_ip6 *ip);
/* An IPv6 extension header of type nh (0 hop-by-hop, 43 routing, 60 dest
 * opts, 51 AH, 135 mobility) of total length len bytes (a multiple of 8,
 * >= 8; for AH a multiple of 4, >= 12), its body filled with PadN. */
void pl_pkt_ip6_ext(struct pl_pkt *p, uint8_t nh, unsigned len);
/* IPv6 fragment header: offset in 8-byte units, M flag. */
void pl_pkt_ip6_frag(struct pl_pkt *p, uint16_t offset, int more, uint32_t id);
void pl_pkt_tcp(struct pl_pkt *p, const struct pl_pkt_tcp *t);
void pl_pkt_udp(struct pl_pkt *p, uint16_t sport, uint16_t dport);
/* ICMP echo-style header (8 bytes): type, code, id, seq. */
void pl_pkt_icmp(struct pl_pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
/* ICMPv6 (8 bytes: the 4-byte header and a 4-byte body of id/seq). */
void pl_pkt_icmp6(struct pl_pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
/* Raw bytes as the layer of IP protocol proto (e.g. GRE, or a later
 * fragment's data). */
void pl_pkt_raw(struct pl_pkt *p, uint8_t proto, const void *data, unsigned len);
void pl_pkt_payload(struct pl_pkt *p, const void *data, unsigned len);
/* n bytes of a deterministic pattern derived from seed. */
void pl_pkt_fill(struct pl_pkt *p, unsigned n, uint32_t seed);

/* Fill every length (IPv4 total length, IPv6 payload length, UDP length)
 * and every checksum (IPv4 header, TCP, UDP, ICMP, ICMPv6 with pseudo
 * headers). Returns 0, or -1 when a layer did not fit. */
int pl_pkt_finish(struct pl_pkt *p);
/* Recompute checksums only (after a field was changed on purpose). */
void pl_pkt_recsum(struct pl_pkt *p);
/* Pad with zeros to at least min bytes (Ethernet padding: IP lengths do not
 * change). */
void pl_pkt_pad(struct pl_pkt *p, unsigned min);

/* ---- Cutting and corrupting ---------------------------------------------- */
/* Cut the frame to len bytes; lengths inside still say what they said. */
void pl_pkt_truncate(struct pl_pkt *p, unsigned len);
/* Cut to len bytes and make IP's length (and UDP's, if its header is whole)
 * agree with the cut when the length field is still in the frame, so the cut
 * is seen by the layer it falls in. */
void pl_pkt_truncate_fix(struct pl_pkt *p, unsigned len);
/* Write big-endian fields at an offset (nothing else changes). */
void pl_pkt_put8(struct pl_pkt *p, unsigned off, uint8_t v);
void pl_pkt_put16(struct pl_pkt *p, unsigned off, uint16_t v);
void pl_pkt_put32(struct pl_pkt *p, unsigned off, uint32_t v);
uint16_t pl_pkt_get16(const struct pl_pkt *p, unsigned off);
/* Overwrite the field at off in the first layer of a kind (width 1, 2 or 4
 * bytes, big-endian; checksums are left alone). */
void pl_pkt_set(struct pl_pkt *p, enum pl_pkt_kind kind, unsigned off, unsigned width, uint32_t v);
/* The first layer of a kind (-1 if none) and its offset. */
int pl_pkt_find(const struct pl_pkt *p, enum pl_pkt_kind kind);
unsigned pl_pkt_off(const struct pl_pkt *p, enum pl_pkt_kind kind);
const char *pl_pkt_kind_name(enum pl_pkt_kind kind);

/* ---- Reference checksum (RFC 1071, byte-wise) ------------------------------ */
/* One's complement sum of len bytes, big-endian words, folded, not inverted;
 * seed is a previous partial sum. Deliberately simple: tests compare the
 * core's checksum helpers against it. */
uint16_t pl_pkt_csum_sum(const void *data, unsigned len, uint32_t seed);
/* ~sum: the value to store in a checksum field (host order). */
uint16_t pl_pkt_csum(const void *data, unsigned len);

#endif
