// SPDX-License-Identifier: MIT
/* pathlab test packet builder: see pl_pkt.h. Written from the RFCs (791,
 * 8200, 793, 768, 792, 4443, 1071), independently of core/, so tests can
 * hold the core against it. */
#include <string.h>
#include "pl_pkt.h"

const uint8_t PL_PKT_MAC_A[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t PL_PKT_MAC_B[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

enum { NEXT_ETHERTYPE = 0, NEXT_IPPROTO = 1 };

/* Store v big-endian at b. */
static void be16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void be32(uint8_t *b, uint32_t v)
{
	be16(b, v >> 16);
	be16(b + 2, v & 0xffff);
}

/* Start an empty frame. */
void pl_pkt_init(struct pl_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->next_off = -1;
	p->ip_layer = -1;
	p->l4_layer = -1;
}

/* Append a zeroed layer of len bytes and record it; NULL (and p->error) when
 * it does not fit. */
static uint8_t *add(struct pl_pkt *p, enum pl_pkt_kind kind, uint8_t proto, unsigned len)
{
	uint8_t *h;

	if (p->error || p->len + len > PL_PKT_MAX || p->nlayers == PL_PKT_LAYERS) {
		p->error = 1;
		return NULL;
	}
	h = p->b + p->len;
	memset(h, 0, len);
	p->layer[p->nlayers++] = (struct pl_pkt_layer){ kind, proto, (uint16_t)p->len, (uint16_t)len };
	p->len += len;
	return h;
}

/* Tell the previous layer what follows: an ethertype after Ethernet/VLAN,
 * an IP protocol number after IP headers. */
static void link_prev(struct pl_pkt *p, uint16_t ethertype, uint8_t ipproto)
{
	if (p->next_off < 0)
		return;
	if (p->next_kind == NEXT_ETHERTYPE)
		be16(p->b + p->next_off, ethertype);
	else
		p->b[p->next_off] = ipproto;
}

/* Ethernet header; the ethertype comes from the next layer. */
void pl_pkt_eth(struct pl_pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t *h = add(p, PL_PK_ETH, 0, 14);

	if (!h)
		return;
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	p->next_off = (int)(h - p->b) + 12;
	p->next_kind = NEXT_ETHERTYPE;
}

/* One VLAN tag. */
void pl_pkt_vlan(struct pl_pkt *p, uint16_t tpid, uint16_t tci)
{
	uint8_t *h;

	link_prev(p, tpid, 0);
	h = add(p, PL_PK_VLAN, 0, 4);
	if (!h)
		return;
	be16(h, tci);
	p->next_off = (int)(h - p->b) + 2;
	p->next_kind = NEXT_ETHERTYPE;
}

/* An explicit ethertype for what follows. */
void pl_pkt_ethertype(struct pl_pkt *p, uint16_t type)
{
	link_prev(p, type, 0);
	p->next_off = -1;
}

/* ARP for IPv4 over Ethernet. */
void pl_pkt_arp(struct pl_pkt *p, uint16_t oper, const uint8_t sha[6], uint32_t spa,
		const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *h;

	link_prev(p, 0x0806, 0);
	h = add(p, PL_PK_ARP, 0, 28);
	if (!h)
		return;
	be16(h, 1);
	be16(h + 2, 0x0800);
	h[4] = 6;
	h[5] = 4;
	be16(h + 6, oper);
	memcpy(h + 8, sha, 6);
	be32(h + 14, spa);
	memcpy(h + 18, tha, 6);
	be32(h + 24, tpa);
	p->next_off = -1;
}

/* IPv4 header with options (padded to 4 bytes with end-of-options). */
void pl_pkt_ipv4(struct pl_pkt *p, const struct pl_pkt_ip4 *ip)
{
	unsigned optlen = ((unsigned)ip->optlen + 3) & ~3u;
	uint16_t frag;
	uint8_t *h;

	if (optlen > 40) {
		p->error = 1;
		return;
	}
	link_prev(p, 0x0800, 4);
	h = add(p, PL_PK_IPV4, 4, 20 + optlen);
	if (!h)
		return;
	h[0] = 0x40 | (uint8_t)((20 + optlen) / 4);
	h[1] = ip->tos;
	be16(h + 4, ip->id);
	frag = (ip->frag_off & 0x1fff) | (ip->more_frags ? 0x2000 : 0) | (ip->dont_frag ? 0x4000 : 0);
	be16(h + 6, frag);
	h[8] = ip->ttl ? ip->ttl : 64;
	h[9] = ip->proto;
	be32(h + 12, ip->saddr);
	be32(h + 16, ip->daddr);
	if (ip->optlen)
		memcpy(h + 20, ip->opts, ip->optlen);
	p->ip_layer = (int)p->nlayers - 1;
	p->next_off = (int)(h - p->b) + 9;
	p->next_kind = NEXT_IPPROTO;
}

/* IPv6 fixed header. */
void pl_pkt_ipv6(struct pl_pkt *p, const struct pl_pkt_ip6 *ip)
{
	uint8_t *h;

	link_prev(p, 0x86dd, 41);
	h = add(p, PL_PK_IPV6, 41, 40);
	if (!h)
		return;
	be32(h, (6u << 28) | ((uint32_t)ip->tclass << 20) | (ip->flow & 0xfffff));
	h[6] = ip->nexthdr ? ip->nexthdr : 59; /* no next header, unless a layer follows */
	h[7] = ip->hop_limit ? ip->hop_limit : 64;
	memcpy(h + 8, ip->saddr, 16);
	memcpy(h + 24, ip->daddr, 16);
	p->ip_layer = (int)p->nlayers - 1;
	p->next_off = (int)(h - p->b) + 6;
	p->next_kind = NEXT_IPPROTO;
}

/* An IPv6 extension header of len bytes, body padded with PadN. */
void pl_pkt_ip6_ext(struct pl_pkt *p, uint8_t nh, unsigned len)
{
	int ah = nh == 51;
	uint8_t *h;

	if (len < (ah ? 12u : 8u) || len % (ah ? 4 : 8) || len > 2048) {
		p->error = 1;
		return;
	}
	link_prev(p, 0, nh);
	h = add(p, PL_PK_IP6EXT, nh, len);
	if (!h)
		return;
	h[0] = 59;
	h[1] = (uint8_t)(ah ? len / 4 - 2 : len / 8 - 1);
	if (nh == 0 || nh == 60) {
		h[2] = 1; /* PadN */
		h[3] = (uint8_t)(len - 4);
	} else if (ah) {
		be32(h + 4, 0x100); /* SPI */
		be32(h + 8, 1);     /* sequence */
	} else if (nh == 43) {
		h[2] = 4; /* segment routing type, segments left 0: ignored */
	}
	p->next_off = (int)(h - p->b);
	p->next_kind = NEXT_IPPROTO;
}

/* IPv6 fragment header. */
void pl_pkt_ip6_frag(struct pl_pkt *p, uint16_t offset, int more, uint32_t id)
{
	uint8_t *h;

	link_prev(p, 0, 44);
	h = add(p, PL_PK_IP6FRAG, 44, 8);
	if (!h)
		return;
	h[0] = 59;
	be16(h + 2, (uint16_t)((offset << 3) | (more ? 1 : 0)));
	be32(h + 4, id);
	p->next_off = (int)(h - p->b);
	p->next_kind = NEXT_IPPROTO;
}

/* TCP header with options (padded to 4 bytes with NOP). */
void pl_pkt_tcp(struct pl_pkt *p, const struct pl_pkt_tcp *t)
{
	unsigned optlen = ((unsigned)t->optlen + 3) & ~3u;
	uint8_t *h;

	if (optlen > 40) {
		p->error = 1;
		return;
	}
	link_prev(p, 0, 6);
	h = add(p, PL_PK_TCP, 6, 20 + optlen);
	if (!h)
		return;
	be16(h, t->sport);
	be16(h + 2, t->dport);
	be32(h + 4, t->seq);
	be32(h + 8, t->ack);
	h[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	h[13] = t->flags ? t->flags : PL_TCP_SYN;
	be16(h + 14, t->window ? t->window : 65535);
	if (optlen) {
		memset(h + 20, 1, optlen);
		memcpy(h + 20, t->opts, t->optlen);
	}
	p->l4_layer = (int)p->nlayers - 1;
	p->next_off = -1;
}

/* UDP header (length and checksum at finish). */
void pl_pkt_udp(struct pl_pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h;

	link_prev(p, 0, 17);
	h = add(p, PL_PK_UDP, 17, 8);
	if (!h)
		return;
	be16(h, sport);
	be16(h + 2, dport);
	p->l4_layer = (int)p->nlayers - 1;
	p->next_off = -1;
}

/* ICMP header of 8 bytes. */
void pl_pkt_icmp(struct pl_pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint8_t *h;

	link_prev(p, 0, 1);
	h = add(p, PL_PK_ICMP, 1, 8);
	if (!h)
		return;
	h[0] = type;
	h[1] = code;
	be16(h + 4, id);
	be16(h + 6, seq);
	p->l4_layer = (int)p->nlayers - 1;
	p->next_off = -1;
}

/* ICMPv6 header (4 bytes) plus a 4-byte id/seq body. */
void pl_pkt_icmp6(struct pl_pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint8_t *h;

	link_prev(p, 0, 58);
	h = add(p, PL_PK_ICMP6, 58, 8);
	if (!h)
		return;
	h[0] = type;
	h[1] = code;
	be16(h + 4, id);
	be16(h + 6, seq);
	p->l4_layer = (int)p->nlayers - 1;
	p->next_off = -1;
}

/* Raw bytes as a layer of IP protocol proto. */
void pl_pkt_raw(struct pl_pkt *p, uint8_t proto, const void *data, unsigned len)
{
	uint8_t *h;

	link_prev(p, 0, proto);
	h = add(p, PL_PK_RAW, proto, len);
	if (!h)
		return;
	if (data)
		memcpy(h, data, len);
	p->next_off = -1;
}

/* Payload bytes. */
void pl_pkt_payload(struct pl_pkt *p, const void *data, unsigned len)
{
	uint8_t *h = add(p, PL_PK_PAYLOAD, 0, len);

	if (h && len)
		memcpy(h, data, len);
}

/* n bytes of a deterministic pattern. */
void pl_pkt_fill(struct pl_pkt *p, unsigned n, uint32_t seed)
{
	uint8_t *h = add(p, PL_PK_PAYLOAD, 0, n);
	uint32_t s = seed * 2654435761u + 1;

	if (!h)
		return;
	for (unsigned i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		h[i] = (uint8_t)(s >> 16);
	}
}

/* One's complement sum, byte-wise over big-endian words. */
uint16_t pl_pkt_csum_sum(const void *data, unsigned len, uint32_t seed)
{
	const uint8_t *b = data;
	uint64_t sum = seed;

	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field value for len bytes. */
uint16_t pl_pkt_csum(const void *data, unsigned len)
{
	return (uint16_t)~pl_pkt_csum_sum(data, len, 0);
}

/* Pseudo-header sum for the L4 layer that starts at l4off, of l4len bytes. */
static uint32_t pseudo_sum(const struct pl_pkt *p, uint8_t proto, unsigned l4len)
{
	const struct pl_pkt_layer *ip = &p->layer[p->ip_layer];
	const uint8_t *h = p->b + ip->off;
	uint8_t ph[40];

	if (ip->kind == PL_PK_IPV4) {
		memcpy(ph, h + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		be16(ph + 10, (uint16_t)l4len);
		return pl_pkt_csum_sum(ph, 12, 0);
	}
	memcpy(ph, h + 8, 32);
	be32(ph + 32, l4len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return pl_pkt_csum_sum(ph, 40, 0);
}

/* Checksums of every layer, from what is in the frame now. */
void pl_pkt_recsum(struct pl_pkt *p)
{
	for (unsigned i = 0; i < p->nlayers; i++) {
		struct pl_pkt_layer *l = &p->layer[i];
		uint8_t *h = p->b + l->off;
		unsigned rest;
		int csum_off = -1;

		if (l->off + l->len > p->len)
			break; /* cut off: leave it as it is */
		rest = p->len - l->off;
		switch (l->kind) {
		case PL_PK_IPV4:
			be16(h + 10, 0);
			be16(h + 10, pl_pkt_csum(h, l->len));
			continue;
		case PL_PK_TCP: csum_off = 16; break;
		case PL_PK_UDP: csum_off = 6; break;
		case PL_PK_ICMP:
			be16(h + 2, 0);
			be16(h + 2, pl_pkt_csum(h, rest));
			continue;
		case PL_PK_ICMP6: csum_off = 2; break;
		default: continue;
		}
		if (p->ip_layer < 0)
			continue;
		be16(h + csum_off, 0);
		{
			uint16_t c = (uint16_t)~pl_pkt_csum_sum(h, rest, pseudo_sum(p, l->proto, rest));

			if (l->kind == PL_PK_UDP && c == 0)
				c = 0xffff;
			be16(h + csum_off, c);
		}
	}
}

/* Make IP and UDP lengths describe the frame as it is now. */
static void fix_lengths(struct pl_pkt *p)
{
	for (unsigned i = 0; i < p->nlayers; i++) {
		struct pl_pkt_layer *l = &p->layer[i];

		if (l->off >= p->len)
			break;
		if (l->kind == PL_PK_IPV4 && l->off + 4u <= p->len)
			be16(p->b + l->off + 2, (uint16_t)(p->len - l->off));
		else if (l->kind == PL_PK_IPV6 && l->off + 6u <= p->len)
			be16(p->b + l->off + 4, (uint16_t)(p->len >= l->off + 40u ? p->len - l->off - 40 : 0));
		else if (l->kind == PL_PK_UDP && l->off + 6u <= p->len)
			be16(p->b + l->off + 4, (uint16_t)(p->len - l->off));
	}
}

/* Fill lengths and checksums. */
int pl_pkt_finish(struct pl_pkt *p)
{
	if (p->error)
		return -1;
	fix_lengths(p);
	pl_pkt_recsum(p);
	return 0;
}

/* Ethernet padding. */
void pl_pkt_pad(struct pl_pkt *p, unsigned min)
{
	if (min > PL_PKT_MAX)
		min = PL_PKT_MAX;
	if (p->len < min) {
		memset(p->b + p->len, 0, min - p->len);
		p->len = min;
	}
}

/* Cut the frame. */
void pl_pkt_truncate(struct pl_pkt *p, unsigned len)
{
	if (len < p->len)
		p->len = len;
}

/* Cut the frame and make lengths agree with the cut. */
void pl_pkt_truncate_fix(struct pl_pkt *p, unsigned len)
{
	pl_pkt_truncate(p, len);
	fix_lengths(p);
	pl_pkt_recsum(p);
}

/* Field writers and readers, big-endian. */
void pl_pkt_put8(struct pl_pkt *p, unsigned off, uint8_t v)
{
	if (off < PL_PKT_MAX)
		p->b[off] = v;
}

void pl_pkt_put16(struct pl_pkt *p, unsigned off, uint16_t v)
{
	if (off + 2 <= PL_PKT_MAX)
		be16(p->b + off, v);
}

void pl_pkt_put32(struct pl_pkt *p, unsigned off, uint32_t v)
{
	if (off + 4 <= PL_PKT_MAX)
		be32(p->b + off, v);
}

uint16_t pl_pkt_get16(const struct pl_pkt *p, unsigned off)
{
	return off + 2 <= PL_PKT_MAX ? (uint16_t)(p->b[off] << 8 | p->b[off + 1]) : 0;
}

/* The first layer of a kind. */
int pl_pkt_find(const struct pl_pkt *p, enum pl_pkt_kind kind)
{
	for (unsigned i = 0; i < p->nlayers; i++)
		if (p->layer[i].kind == kind)
			return (int)i;
	return -1;
}

unsigned pl_pkt_off(const struct pl_pkt *p, enum pl_pkt_kind kind)
{
	int i = pl_pkt_find(p, kind);

	return i < 0 ? 0 : p->layer[i].off;
}

/* A name for messages. */
const char *pl_pkt_kind_name(enum pl_pkt_kind kind)
{
	static const char *const names[] = {
		[PL_PK_ETH] = "eth", [PL_PK_VLAN] = "vlan", [PL_PK_ARP] = "arp",
		[PL_PK_IPV4] = "ipv4", [PL_PK_IPV6] = "ipv6", [PL_PK_IP6EXT] = "ipv6-ext",
		[PL_PK_IP6FRAG] = "ipv6-frag", [PL_PK_TCP] = "tcp", [PL_PK_UDP] = "udp",
		[PL_PK_ICMP] = "icmp", [PL_PK_ICMP6] = "icmpv6", [PL_PK_RAW] = "raw",
		[PL_PK_PAYLOAD] = "payload",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
