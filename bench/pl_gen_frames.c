// SPDX-License-Identifier: MIT
/* pl-gen's frames: the precomputed header blocks (flows x protocol mix, or a
 * pcap's frames as templates) with valid checksums. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include "plt_log.h"
#include "plt_pcap.h"
#include "pl_gen.h"

/* Parse a MAC address. */
int pl_parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ?
		       0 : -EINVAL;
}

/* Internet checksum over len bytes, continuing from sum. */
static uint32_t pl_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

/* Fold a checksum into 16 bits, complemented, network order. */
static uint16_t pl_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* L4 checksum with the IPv4/IPv6 pseudo-header. */
static uint16_t pl_l4_csum(bool v6, const void *src, const void *dst, uint8_t proto, const void *l4, size_t len)
{
	uint32_t sum = 0;

	sum = pl_csum_add(sum, src, v6 ? 16 : 4);
	sum = pl_csum_add(sum, dst, v6 ? 16 : 4);
	sum += proto + (uint32_t)len;
	sum = pl_csum_add(sum, l4, len);
	return pl_csum_fold(sum);
}

/* Write one whole frame of flen bytes: flow `flow`, protocol p; a probe if probe. */
size_t pl_build_frame(uint8_t *buf, size_t flen, const struct pl_gen_opts *o, const struct pl_addrs *a, int p,
		      unsigned int flow, bool probe)
{
	struct ether_header *eth = (void *)buf;
	uint8_t *l3 = buf + sizeof(*eth), *l4;
	size_t l4len, hdr;
	uint16_t sport = o->sport + flow % 60000;
	unsigned int addr_off = o->src_addrs > 1 ? flow % o->src_addrs : 0;
	uint8_t proto;
	void *src, *dst;
	struct in_addr s4 = a->s4;
	struct in6_addr s6 = a->s6;

	memset(buf, 0, flen);
	memcpy(eth->ether_dhost, o->dmac.a, 6);
	memcpy(eth->ether_shost, o->smac.a, 6);
	if (probe)
		p = PL_P_UDP;
	proto = p == PL_P_ICMP ? (o->ipv6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) : p == PL_P_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	if (!o->ipv6) {
		struct iphdr *ip = (void *)l3;

		eth->ether_type = htons(ETHERTYPE_IP);
		s4.s_addr = htonl(ntohl(s4.s_addr) + addr_off);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(flen - sizeof(*eth));
		ip->id = htons(flow);
		ip->frag_off = htons(IP_DF);
		ip->ttl = 64;
		ip->protocol = proto;
		ip->saddr = s4.s_addr;
		ip->daddr = a->d4.s_addr;
		ip->check = pl_csum_fold(pl_csum_add(0, ip, sizeof(*ip)));
		l4 = l3 + sizeof(*ip);
		src = &ip->saddr, dst = &ip->daddr;
	} else {
		struct ip6_hdr *ip6 = (void *)l3;

		eth->ether_type = htons(ETHERTYPE_IPV6);
		s6.s6_addr32[3] = htonl(ntohl(s6.s6_addr32[3]) + addr_off);
		ip6->ip6_flow = htonl(6u << 28 | (flow & 0xfffff));
		ip6->ip6_plen = htons(flen - sizeof(*eth) - sizeof(*ip6));
		ip6->ip6_nxt = proto;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = s6;
		ip6->ip6_dst = a->d6;
		l4 = l3 + sizeof(*ip6);
		src = &ip6->ip6_src, dst = &ip6->ip6_dst;
	}
	l4len = flen - (l4 - buf);
	if (p == PL_P_UDP) {
		struct udphdr *u = (void *)l4;

		u->source = htons(sport);
		u->dest = htons(probe ? o->probe_port : o->dport);
		u->len = htons(l4len);
		hdr = sizeof(*u);
		if (!probe)
			u->check = pl_l4_csum(o->ipv6, src, dst, proto, l4, l4len);
		/* probes: the stamp changes per frame, so no checksum (IPv6: invalid, the sink ignores it) */
	} else if (p == PL_P_ICMP) {
		struct icmphdr *ic = (void *)l4;

		ic->type = o->ipv6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		ic->un.echo.id = htons(flow);
		ic->un.echo.sequence = htons(1);
		hdr = sizeof(*ic);
		ic->checksum = o->ipv6 ? pl_l4_csum(true, src, dst, proto, l4, l4len) :
					 pl_csum_fold(pl_csum_add(0, l4, l4len));
	} else {
		struct tcphdr *t = (void *)l4;

		t->source = htons(sport);
		t->dest = htons(o->dport);
		t->seq = htonl(0x10000000u + flow);
		t->ack_seq = p == PL_P_SYN ? 0 : htonl(1);
		t->doff = 5;
		if (p == PL_P_SYN)
			t->syn = 1;
		else
			t->ack = 1, t->psh = 1;
		t->window = htons(65535);
		hdr = sizeof(*t);
		t->check = pl_l4_csum(o->ipv6, src, dst, proto, l4, l4len);
	}
	return (l4 - buf) + hdr;
}

/* Read up to max frames of a pcap (or pcapng) into tmpl (flen bytes each,
 * zero-padded); *first_len: the first frame's captured length. Returns
 * the count or -errno. */
int pl_read_templates(const char *file, uint8_t *tmpl, size_t flen, size_t *first_len, int max)
{
	struct plt_pcap_reader r;
	struct plt_pcap_frame f;
	int n = 0, rc;

	rc = plt_pcap_open(&r, file);
	if (rc)
		return rc;
	while (n < max && (rc = plt_pcap_next(&r, &f)) == 1) {
		uint8_t *t = tmpl + (size_t)n * flen;
		size_t len = f.len < flen ? f.len : flen;

		if (!n)
			*first_len = f.len;
		memset(t, 0, flen);
		memcpy(t, f.data, len);
		n++;
	}
	plt_pcap_close(&r);
	return rc < 0 ? rc : n;
}

/* Make a pcap frame's IP/UDP lengths match flen (and its IPv4 checksum). */
void pl_fix_lengths(uint8_t *f, size_t flen)
{
	struct ether_header *eth = (void *)f;

	if (eth->ether_type == htons(ETHERTYPE_IP)) {
		struct iphdr *ip = (void *)(f + 14);
		size_t ihl = ip->ihl * 4;

		ip->tot_len = htons(flen - 14);
		ip->check = 0;
		ip->check = pl_csum_fold(pl_csum_add(0, ip, ihl));
		if (ip->protocol == IPPROTO_UDP && 14 + ihl + 8 <= flen) {
			struct udphdr *u = (void *)(f + 14 + ihl);

			u->len = htons(flen - 14 - ihl);
			u->check = 0;
		}
	} else if (eth->ether_type == htons(ETHERTYPE_IPV6)) {
		struct ip6_hdr *ip6 = (void *)(f + 14);

		ip6->ip6_plen = htons(flen - 54);
		if (ip6->ip6_nxt == IPPROTO_UDP && 62 <= flen)
			((struct udphdr *)(f + 54))->len = htons(flen - 54);
	}
}

/* Choose the rewrite block: smallest class covering need, within the frame. */
int pl_copy_class(size_t need, size_t flen)
{
	static const int cls[] = { 60, 64, 80, 96, 128 };
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if ((size_t)cls[i] >= need && (size_t)cls[i] <= flen)
			return cls[i];
	return -EINVAL;
}
