/* SPDX-License-Identifier: MIT */
/* Header parsers. Each takes a cursor bounded by the frame end, advances it
 * past the header it read, and returns a pointer to the header or NULL when
 * the frame is malformed there. pl_parse() runs them all and records what it
 * found in struct pl_hdrs as offsets (not pointers) so later stages re-derive
 * pointers with one bounds check each.
 *
 * Malformed frames are classified by the counter of the first check that
 * failed (PL_CNT_BAD_*); they are never read past their end. */
#ifndef PL_PARSE_H
#define PL_PARSE_H

#include "pl_platform.h" /* first: in user space it brings glibc's netinet/in.h
			     * before any linux/ header, so the two agree */
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include "pl_types.h"
#include "pl_cursor.h"

#ifndef PL_VLAN_MAX
#define PL_VLAN_MAX 2 /* 802.1ad outer + 802.1Q inner */
#endif
#ifndef PL_IPV6_EXT_MAX
#define PL_IPV6_EXT_MAX 6
#endif

#define PL_ETH_P_8021Q  0x8100
#define PL_ETH_P_8021AD 0x88A8
#define PL_ETH_P_QINQ1  0x9100
#define PL_ETH_P_ARP    0x0806
#define PL_ETH_P_IP     0x0800
#define PL_ETH_P_IPV6   0x86DD

enum pl_frag {
	PL_FRAG_NONE = 0,
	PL_FRAG_FIRST = 1, /* offset 0, more fragments: L4 header present */
	PL_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

/* What pl_parse() found. Offsets are from the start of the frame. */
struct pl_hdrs {
	__u16 l3_off;      /* first byte after Ethernet and VLAN tags */
	__u16 l4_off;      /* first byte of the L4 header (0 if none) */
	__u16 payload_off; /* first byte after the L4 header (0 if none) */
	__u16 l3_proto;    /* innermost ethertype, host order */
	__u16 l3_len;      /* IP total length (v4) or 40 + payload length (v6) */
	__u16 sport, dport;/* host order; 0 when the protocol has none */
	__u16 vlan_id;     /* innermost VLAN id, 0 if untagged */
	__u8 vlan_depth;
	__u8 family;       /* 0 (not IP), 4 or 6 */
	__u8 l4_proto;     /* IPPROTO_*, 0 if not IP */
	__u8 frag;         /* enum pl_frag */
	__u8 tcp_flags;    /* byte 13 of the TCP header */
	__u8 ip_opts;      /* 1: IPv4 options or IPv6 extension headers present */
	__u8 bad;          /* 0, or the PL_CNT_BAD_* class */
	__u8 ttl;          /* IPv4 TTL / IPv6 hop limit */
	struct pl_addr saddr, daddr;
};

struct pl_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct pl_arp_hdr {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 oper;
};

struct pl_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct pl_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

PL_INLINE void pl_addr_set_v4(struct pl_addr *a, __u32 be_addr)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = pl_htonl(0x0000ffff);
	a->w[3] = be_addr;
}

/* Ethernet and up to PL_VLAN_MAX tags. Returns the inner ethertype (network
 * order) or -1 with h->bad set. */
PL_INLINE int pl_parse_eth(struct pl_cursor *cur, struct pl_hdrs *h)
{
	struct ethhdr *eth = PL_PULL(cur, struct ethhdr);
	__u16 proto;

	if (!eth) {
		h->bad = PL_CNT_BAD_ETH;
		return -1;
	}
	proto = eth->h_proto;
	PL_UNROLL
	for (int i = 0; i < PL_VLAN_MAX + 1; i++) {
		struct pl_vlan_hdr *v;

		if (proto != pl_htons(PL_ETH_P_8021Q) && proto != pl_htons(PL_ETH_P_8021AD) &&
		    proto != pl_htons(PL_ETH_P_QINQ1))
			break;
		if (i == PL_VLAN_MAX) {
			h->bad = PL_CNT_BAD_VLAN;
			return -1;
		}
		v = PL_PULL(cur, struct pl_vlan_hdr);
		if (!v) {
			h->bad = PL_CNT_BAD_VLAN;
			return -1;
		}
		h->vlan_depth++;
		h->vlan_id = pl_ntohs(v->tci) & 0x0fff;
		proto = v->proto;
	}
	return proto;
}

PL_INLINE struct pl_arp_hdr *pl_parse_arp(struct pl_cursor *cur, struct pl_hdrs *h)
{
	struct pl_arp_hdr *arp = PL_PULL(cur, struct pl_arp_hdr);

	/* sender and target hardware and protocol addresses follow */
	if (!arp || !pl_cursor_pull(cur, 2 * ((__u32)arp->hlen + arp->plen))) {
		h->bad = PL_CNT_BAD_ARP;
		return (void *)0;
	}
	return arp;
}

/* room: bytes of the frame from the IP header to its end, counting the
 * buffers after the first of a multi-buffer frame (the IP length is checked
 * against the whole frame; the headers themselves must be in the first). */
PL_INLINE struct iphdr *pl_parse_ipv4(struct pl_cursor *cur, __u32 room, struct pl_hdrs *h)
{
	struct iphdr *iph = PL_PULL(cur, struct iphdr);
	__u32 hlen, tot;

	if (!iph || iph->version != 4 || iph->ihl < 5)
		goto bad;
	hlen = iph->ihl * 4;
	tot = pl_ntohs(iph->tot_len);
	/* The frame may carry Ethernet padding, but never less than IP says. */
	if (tot < hlen || tot > room)
		goto bad;
	if (hlen > sizeof(*iph)) {
		if (!pl_cursor_pull(cur, hlen - sizeof(*iph)))
			goto bad;
		h->ip_opts = 1;
	}
	h->family = 4;
	h->l4_proto = iph->protocol;
	h->l3_len = tot;
	h->ttl = iph->ttl;
	pl_addr_set_v4(&h->saddr, iph->saddr);
	pl_addr_set_v4(&h->daddr, iph->daddr);
	if (iph->frag_off & pl_htons(0x1fff))
		h->frag = PL_FRAG_LATER;
	else if (iph->frag_off & pl_htons(0x2000))
		h->frag = PL_FRAG_FIRST;
	return iph;
bad:
	h->bad = PL_CNT_BAD_IPV4;
	return (void *)0;
}

PL_INLINE int pl_ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH || nh == 135 /* mobility */;
}

PL_INLINE struct ipv6hdr *pl_parse_ipv6(struct pl_cursor *cur, __u32 room, struct pl_hdrs *h)
{
	void *start = cur->pos;
	struct ipv6hdr *ip6 = PL_PULL(cur, struct ipv6hdr);
	__u32 l3_len;
	__u8 nh;

	if (!ip6 || ip6->version != 6)
		goto bad;
	/* 32 bits: 40 + a payload length above 65495 does not fit h->l3_len,
	 * and wrapped it would pass this check. */
	l3_len = sizeof(*ip6) + pl_ntohs(ip6->payload_len);
	if (l3_len > room || l3_len > 0xffff)
		goto bad;
	h->l3_len = (__u16)l3_len;
	h->family = 6;
	h->ttl = ip6->hop_limit;
	pl_memcpy(h->saddr.b, &ip6->saddr, 16);
	pl_memcpy(h->daddr.b, &ip6->daddr, 16);
	nh = ip6->nexthdr;

	PL_UNROLL
	for (int i = 0; i < PL_IPV6_EXT_MAX + 1; i++) {
		struct pl_ipv6_opt_hdr *oh;

		if (!pl_ipv6_is_ext(nh))
			break;
		if (i == PL_IPV6_EXT_MAX)
			goto bad_ext;
		h->ip_opts = 1;
		if (nh == IPPROTO_FRAGMENT) {
			struct pl_ipv6_frag_hdr *fh = PL_PULL(cur, struct pl_ipv6_frag_hdr);

			if (!fh)
				goto bad_ext;
			nh = fh->nexthdr;
			/* A later fragment's data is the middle of the
			 * fragmentable part: nothing after this header is an
			 * extension header. */
			if (fh->frag_off & pl_htons(0xfff8)) {
				h->frag = PL_FRAG_LATER;
				break;
			}
			if (fh->frag_off & pl_htons(1))
				h->frag = PL_FRAG_FIRST;
			continue;
		}
		oh = PL_PULL(cur, struct pl_ipv6_opt_hdr);
		if (!oh)
			goto bad_ext;
		/* AH counts its length in 4-byte units minus 2, the rest in
		 * 8-byte units not counting the first 8 bytes. */
		if (!pl_cursor_pull(cur, (nh == IPPROTO_AH ? ((__u32)oh->hdrlen + 2) * 4
							   : ((__u32)oh->hdrlen + 1) * 8) - 2))
			goto bad_ext;
		nh = oh->nexthdr;
	}
	/* Extension headers must stay inside the payload length. */
	if (cur->pos > start + h->l3_len)
		goto bad_ext;
	h->l4_proto = nh;
	return ip6;
bad:
	h->bad = PL_CNT_BAD_IPV6;
	return (void *)0;
bad_ext:
	h->bad = PL_CNT_BAD_IPV6_EXT;
	return (void *)0;
}

/* L4 headers. l4_end is where IP says the L4 data ends (of this fragment,
 * for a first fragment). */
PL_INLINE struct tcphdr *pl_parse_tcp(struct pl_cursor *cur, void *l4_end, struct pl_hdrs *h)
{
	struct tcphdr *th = PL_PULL(cur, struct tcphdr);
	__u32 doff;

	if (!th || th->doff < 5)
		goto bad;
	doff = th->doff * 4;
	if ((void *)th + doff > l4_end)
		goto bad;
	if (doff > sizeof(*th) && !pl_cursor_pull(cur, doff - sizeof(*th)))
		goto bad;
	h->sport = pl_ntohs(th->source);
	h->dport = pl_ntohs(th->dest);
	h->tcp_flags = ((__u8 *)th)[13];
	return th;
bad:
	h->bad = PL_CNT_BAD_TCP;
	return (void *)0;
}

PL_INLINE struct udphdr *pl_parse_udp(struct pl_cursor *cur, void *l4_end, struct pl_hdrs *h)
{
	struct udphdr *uh = PL_PULL(cur, struct udphdr);
	__u32 ulen;

	if (!uh)
		goto bad;
	ulen = pl_ntohs(uh->len);
	/* The UDP length covers the whole datagram: a first fragment carries
	 * only its start, so there only the 8-byte header must fit (checked
	 * against l4_end by pl_parse). */
	if (ulen < sizeof(*uh) || (h->frag != PL_FRAG_FIRST && (void *)uh + ulen > l4_end))
		goto bad;
	h->sport = pl_ntohs(uh->source);
	h->dport = pl_ntohs(uh->dest);
	return uh;
bad:
	h->bad = PL_CNT_BAD_UDP;
	return (void *)0;
}

/* ICMP needs its 8-byte header; ICMPv6 its 4-byte one. */
PL_INLINE void *pl_parse_icmp(struct pl_cursor *cur, __u32 hlen, struct pl_hdrs *h)
{
	void *p = pl_cursor_pull(cur, hlen);

	if (!p)
		h->bad = PL_CNT_BAD_ICMP;
	return p;
}

/* Parse a whole frame of frame_len bytes whose first data_end - data bytes
 * are in memory at data (all of them, or the first buffer of a multi-buffer
 * frame: the headers must be there, lengths are checked against the whole
 * frame). Returns 0, or -1 with h->bad set to the malformed class. Frames
 * that are well formed but not IP (ARP, other ethertypes) and later
 * fragments return 0 with what could be known filled in. */
PL_INLINE int pl_parse_frame(void *data, void *data_end, __u32 frame_len, struct pl_hdrs *h)
{
	struct pl_cursor cur = { data, data_end };
	void *l3, *l4_end;
	__u32 room;
	int proto;

	pl_memset(h, 0, sizeof(*h));
	proto = pl_parse_eth(&cur, h);
	if (proto < 0)
		return -1;
	h->l3_proto = pl_ntohs((__u16)proto);
	l3 = cur.pos;
	h->l3_off = (__u16)(l3 - data);
	room = frame_len > h->l3_off ? frame_len - h->l3_off : 0;

	if (proto == pl_htons(PL_ETH_P_IP)) {
		if (!pl_parse_ipv4(&cur, room, h))
			return -1;
	} else if (proto == pl_htons(PL_ETH_P_IPV6)) {
		if (!pl_parse_ipv6(&cur, room, h))
			return -1;
	} else if (proto == pl_htons(PL_ETH_P_ARP)) {
		return pl_parse_arp(&cur, h) ? 0 : -1;
	} else {
		return 0;
	}

	if (h->frag == PL_FRAG_LATER)
		return 0;
	h->l4_off = (__u16)(cur.pos - data);
	l4_end = l3 + h->l3_len;

	switch (h->l4_proto) {
	case IPPROTO_TCP:
		if (!pl_parse_tcp(&cur, l4_end, h))
			return -1;
		break;
	case IPPROTO_UDP:
		if (!pl_parse_udp(&cur, l4_end, h))
			return -1;
		break;
	case IPPROTO_ICMP:
		if (h->family != 4 || !pl_parse_icmp(&cur, 8, h))
			return h->family != 4 ? 0 : -1;
		break;
	case IPPROTO_ICMPV6:
		if (h->family != 6 || !pl_parse_icmp(&cur, 4, h))
			return h->family != 6 ? 0 : -1;
		break;
	default:
		h->l4_off = 0;
		return 0;
	}
	if (cur.pos > l4_end) {
		/* An L4 header reaching past the IP length. */
		h->bad = h->l4_proto == IPPROTO_TCP ? PL_CNT_BAD_TCP
			 : h->l4_proto == IPPROTO_UDP ? PL_CNT_BAD_UDP
						     : PL_CNT_BAD_ICMP;
		return -1;
	}
	h->payload_off = (__u16)(cur.pos - data);
	return 0;
}

/* A frame that is all in memory at data..data_end. */
PL_INLINE int pl_parse(void *data, void *data_end, struct pl_hdrs *h)
{
	return pl_parse_frame(data, data_end, (__u32)(data_end - data), h);
}

#endif
