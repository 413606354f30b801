/* SPDX-License-Identifier: MIT */
/* Stage "route": an IP router. The destination address is looked up, longest
 * prefix first, in pl_route4 / pl_route6 (LPM tables: BPF_MAP_TYPE_LPM_TRIE
 * in BPF, the shim's LPM in user space). A forwarding route rewrites the
 * Ethernet addresses to the next hop's, decrements the TTL / hop limit
 * (IPv4: RFC 1624 incremental checksum update) and sends the frame out its
 * port (REDIRECT). A TTL / hop limit of 1 or less, a "pass" route and a
 * destination with no route go to the host stack, so ICMP errors and
 * neighbour resolution stay the kernel's; a "drop" route is a blackhole.
 * Frames the stage does not route (not IP, VLAN-tagged, sent to an Ethernet
 * multicast or broadcast address, IPv6 multicast destinations) go on to the
 * next stage. */
#ifndef PL_STAGE_ROUTE_H
#define PL_STAGE_ROUTE_H

#include "../pl_ctx.h"
#include "../pl_csum.h"

#ifndef PL_ROUTE_MAX
#define PL_ROUTE_MAX 16384 /* routes per family */
#endif

/* Keys as BPF_MAP_TYPE_LPM_TRIE wants them: prefix length, then the
 * address in network order (bits past the length are zero). */
struct pl_route_key4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct pl_route_key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

enum pl_route_action {
	PL_ROUTE_FWD = 0,  /* next hop's MACs, out_port, TTL - 1: REDIRECT */
	PL_ROUTE_PASS = 1, /* to the host stack (local, on-link without a known neighbour) */
	PL_ROUTE_DROP = 2, /* blackhole */
};

struct pl_route_val {
	__u32 action;   /* enum pl_route_action */
	__u32 out_port; /* devmap key in BPF, port index in user space */
	__u8 dst_mac[6]; /* the next hop's */
	__u8 src_mac[6]; /* the out port's */
};

/* Shared tables: the control plane writes them while frames read them; an
 * entry is replaced whole (an RCU node in BPF, copy on write in user
 * space), so a frame sees a route's old value or its new one. */
PL_TABLE(pl_route4, LPM, struct pl_route_key4, struct pl_route_val, PL_ROUTE_MAX);
PL_TABLE(pl_route6, LPM, struct pl_route_key6, struct pl_route_val, PL_ROUTE_MAX);

PL_INLINE int pl_stage_route(struct pl_ctx *c)
{
	struct pl_route_val *v;
	struct ethhdr *eth;

	if (!c->cfg->route_enabled)
		return PL_CONTINUE;
	if (!c->h.family || c->h.vlan_depth)
		return PL_CONTINUE;
	eth = pl_at(c, 0, sizeof(*eth));
	if (!eth || (eth->h_dest[0] & 1))
		return PL_CONTINUE;
	if (c->h.family == 4) {
		struct pl_route_key4 k = { .prefixlen = 32 };

		pl_memcpy(k.addr, &c->h.daddr.b[12], 4);
		v = pl_table_lookup(&pl_route4, &k);
	} else {
		struct pl_route_key6 k = { .prefixlen = 128 };

		if (c->h.daddr.b[0] == 0xff)
			return PL_CONTINUE;
		pl_memcpy(k.addr, c->h.daddr.b, 16);
		v = pl_table_lookup(&pl_route6, &k);
	}
	if (!v) {
		pl_count(c, PL_CNT_ROUTE_NONE);
		return PL_PASS;
	}
	if (v->action == PL_ROUTE_DROP) {
		pl_count(c, PL_CNT_ROUTE_DROP);
		return PL_DROP;
	}
	if (v->action != PL_ROUTE_FWD) {
		pl_count(c, PL_CNT_ROUTE_PASS);
		return PL_PASS;
	}
	if (c->h.ttl <= 1) {
		pl_count(c, PL_CNT_ROUTE_TTL);
		return PL_PASS;
	}
	if (c->h.family == 4) {
		struct iphdr *iph = pl_at(c, c->h.l3_off, sizeof(*iph));
		__u16 old, new;

		if (!iph)
			return PL_CONTINUE;
		/* TTL and protocol share one 16-bit word of the checksum. */
		pl_memcpy(&old, &iph->ttl, 2);
		iph->ttl--;
		pl_memcpy(&new, &iph->ttl, 2);
		iph->check = pl_csum_replace2(iph->check, old, new);
	} else {
		struct ipv6hdr *ip6 = pl_at(c, c->h.l3_off, sizeof(*ip6));

		if (!ip6)
			return PL_CONTINUE;
		ip6->hop_limit--;
	}
	pl_memcpy(eth->h_dest, v->dst_mac, 6);
	pl_memcpy(eth->h_source, v->src_mac, 6);
	c->out_port = v->out_port;
	pl_count(c, PL_CNT_ROUTE_FWD);
	return PL_REDIRECT;
}

#endif
