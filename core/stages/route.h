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

/* What the stage needs of the parse, and the port it picks: plain scalars,
 * so the body can be verified on its own (PL_STAGE_FN). */
struct pl_route_io {
	union { /* the lookup key: here rather than on the body's own stack,
		 * which BPF adds to the pipeline's (512 bytes in all) */
		struct pl_route_key4 k4;
		struct pl_route_key6 k6;
	} key;
	__u32 l3_off;
	__u32 out_port; /* out: with PL_REDIRECT */
	__u8 family;
	__u8 ttl;
	__u8 pad[2];
};

/* What pl_route_run decided (not verdicts: see pl_stage_route). */
enum {
	PL_ROUTE_R_NONE = 10, /* not routed here: next stage */
	PL_ROUTE_R_FWD,
	PL_ROUTE_R_PASS,
	PL_ROUTE_R_DROP,
};

PL_INLINE void pl_route_count(struct pl_counters *cnt, __u32 idx)
{
	if (idx < PL_CNT__MAX)
		pl_stat_add(&cnt->c[idx], 1);
}

PL_STAGE_FN int pl_route_run(pl_hw_ctx *hw, struct pl_route_io *io, struct pl_counters *cnt)
{
	void *data = pl_hw_data(hw), *end = pl_hw_data_end(hw);
	struct pl_route_val *v;
	struct ethhdr *eth;
	__u32 l3;

	if (!io || !cnt)
		return PL_ROUTE_R_NONE;
	l3 = io->l3_off & PL_VAR_OFF_MASK;
	eth = pl_ptr(data, end, 0, sizeof(*eth));
	if (!eth || (eth->h_dest[0] & 1))
		return PL_ROUTE_R_NONE;
	if (io->family == 4) {
		struct iphdr *iph = pl_ptr(data, end, l3, sizeof(*iph));

		if (!iph)
			return PL_ROUTE_R_NONE;
		io->key.k4.prefixlen = 32;
		pl_memcpy(io->key.k4.addr, &iph->daddr, 4);
		v = pl_table_lookup(&pl_route4, &io->key.k4);
	} else {
		struct ipv6hdr *ip6 = pl_ptr(data, end, l3, sizeof(*ip6));

		if (!ip6 || ip6->daddr.s6_addr[0] == 0xff)
			return PL_ROUTE_R_NONE;
		io->key.k6.prefixlen = 128;
		pl_memcpy(io->key.k6.addr, &ip6->daddr, 16);
		v = pl_table_lookup(&pl_route6, &io->key.k6);
	}
	if (!v) {
		pl_route_count(cnt, PL_CNT_ROUTE_NONE);
		return PL_ROUTE_R_PASS;
	}
	if (v->action == PL_ROUTE_DROP) {
		pl_route_count(cnt, PL_CNT_ROUTE_DROP);
		return PL_ROUTE_R_DROP;
	}
	if (v->action != PL_ROUTE_FWD) {
		pl_route_count(cnt, PL_CNT_ROUTE_PASS);
		return PL_ROUTE_R_PASS;
	}
	if (io->ttl <= 1) {
		pl_route_count(cnt, PL_CNT_ROUTE_TTL);
		return PL_ROUTE_R_PASS;
	}
	/* Pointers again after the lookup (the verifier forgets packet
	 * ranges across a helper call only for some kernels; one compare). */
	eth = pl_ptr(data, end, 0, sizeof(*eth));
	if (!eth)
		return PL_ROUTE_R_NONE;
	if (io->family == 4) {
		struct iphdr *iph = pl_ptr(data, end, l3, sizeof(*iph));
		__u16 old, new;

		if (!iph)
			return PL_ROUTE_R_NONE;
		/* TTL and protocol share one 16-bit word of the checksum. */
		pl_memcpy(&old, &iph->ttl, 2);
		iph->ttl--;
		pl_memcpy(&new, &iph->ttl, 2);
		iph->check = pl_csum_replace2(iph->check, old, new);
	} else {
		struct ipv6hdr *ip6 = pl_ptr(data, end, l3, sizeof(*ip6));

		if (!ip6)
			return PL_ROUTE_R_NONE;
		ip6->hop_limit--;
	}
	pl_memcpy(eth->h_dest, v->dst_mac, 6);
	pl_memcpy(eth->h_source, v->src_mac, 6);
	io->out_port = v->out_port;
	pl_route_count(cnt, PL_CNT_ROUTE_FWD);
	return PL_ROUTE_R_FWD;
}

PL_INLINE int pl_route_frame(struct pl_ctx *c)
{
	struct pl_route_io io = {};
	int v;

	if (!c->cfg->route_enabled || !c->h.family || c->h.vlan_depth)
		return PL_CONTINUE;
	io.l3_off = c->h.l3_off;
	io.family = c->h.family;
	io.ttl = c->h.ttl;
	v = pl_route_run(c->hw, &io, c->cnt);
	c->out_port = io.out_port;
	/* Verdicts as constants: the verifier knows nothing of a global
	 * function's return value, and the pipeline indexes counters with
	 * the verdict (codes that are not verdicts keep the compiler from
	 * passing the value through). */
	if (v == PL_ROUTE_R_FWD)
		return PL_REDIRECT;
	if (v == PL_ROUTE_R_PASS)
		return PL_PASS;
	if (v == PL_ROUTE_R_DROP)
		return PL_DROP;
	return PL_CONTINUE;
}

/* The stage: one configuration check when it is off, before any of the
 * body's locals are set up. */
PL_INLINE int pl_stage_route(struct pl_ctx *c)
{
	if (!c->cfg->route_enabled)
		return PL_CONTINUE;
	return pl_route_frame(c);
}

#endif
