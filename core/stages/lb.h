/* SPDX-License-Identifier: MIT */
/* Stage "lb": an L4 load balancer.
 *
 * A service is (VIP, port, TCP/UDP) in pl_lb_services. A new flow picks its
 * backend from the service's Maglev lookup table (prime size M <=
 * PL_LB_RING, slots service*PL_LB_RING + hash(5-tuple) % M of pl_lb_ring,
 * built by the control plane from the backends that are up, in proportion
 * to their weights); the choice is remembered in a per-CPU LRU connection
 * table so a flow stays on its backend when the set changes (a TCP SYN
 * always starts a new flow). A draining backend is left out of the Maglev
 * table (no new flows) but its known flows stay; a down backend loses its flows too (they are placed again).
 * Forwarding: L2 DSR (destination MAC), IP-in-IP (IPv4-in-IPv4 or
 * IPv6-in-IPv6, head grown, outer header with its checksum) or NAT
 * (destination address/port rewritten with RFC 1624 updates; replies from
 * the backend get the VIP back through pl_lb_rnat). */
#ifndef PL_STAGE_LB_H
#define PL_STAGE_LB_H

#include "../pl_ctx.h"
#include "../pl_csum.h"

#ifndef PL_LB_SVC_MAX
#define PL_LB_SVC_MAX 16
#endif
#ifndef PL_LB_RING
#define PL_LB_RING 65537 /* largest table size (prime) */
#endif
#ifndef PL_LB_BACKEND_MAX
#define PL_LB_BACKEND_MAX 256
#endif
#ifndef PL_LB_CPU_SCAN
#define PL_LB_CPU_SCAN 64 /* CPUs searched for a flow's entry */
#endif
#ifndef PL_LB_CT_MAX
#define PL_LB_CT_MAX 65536
#endif

enum pl_lb_mode { PL_LB_DSR = 0, PL_LB_IPIP = 1, PL_LB_NAT = 2 };
enum pl_lb_state { PL_LB_UP = 0, PL_LB_DRAINING = 1, PL_LB_DOWN = 2 };
#define PL_LB_OUT_TX   0xffffffffu /* send back out the receiving port */
#define PL_LB_OUT_PASS 0xfffffffeu /* hand to the host stack (it routes) */

/* Keys carry the address family (4 or 6): an IPv4 address is stored
 * v4-mapped, so an IPv6 packet to ::ffff:a.b.c.d would otherwise match the
 * IPv4 key of a.b.c.d. */
struct pl_lb_svc_key {
	struct pl_addr vip;
	__u16 port;   /* host order */
	__u8 proto;   /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;  /* 4 or 6 */
};

struct pl_lb_svc {
	__u32 id;        /* 0..PL_LB_SVC_MAX-1: ring block and counters */
	__u32 ring_size; /* prime M <= PL_LB_RING */
	__u32 mode;      /* enum pl_lb_mode */
	__u32 pad;
	struct pl_addr encap_src; /* IP-in-IP outer source */
};

struct pl_lb_backend {
	struct pl_addr addr; /* IP-in-IP outer destination / NAT destination */
	__u8 mac[6];         /* next hop MAC (destination) */
	__u8 smac[6];        /* source MAC to write (all zero: the frame's old destination) */
	__u16 port;          /* NAT: destination port, host order (0: keep) */
	__u8 state;          /* enum pl_lb_state, changeable at run time */
	__u8 svc;            /* id of its service */
	__u32 out_port;      /* PL_LB_OUT_TX, PL_LB_OUT_PASS or a REDIRECT port */
	__u32 weight;        /* control plane only */
};

struct pl_lb_flow {
	struct pl_addr saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
	__u8 family; /* 4 or 6 */
	__u8 pad[2];
};

struct pl_lb_ct {
	__u32 backend; /* backend id + 1; 0: none */
	__u32 pad;
};

struct pl_lb_rnat_key {
	struct pl_addr addr; /* backend address and port (host order) */
	__u16 port;
	__u8 proto;
	__u8 family; /* 4 or 6 */
};

struct pl_lb_rnat_val {
	struct pl_addr vip;
	__u16 port; /* host order */
	__u16 pad;
};

struct pl_lb_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 no_backend;
};

/* The hash tables hold twice the policy's limit: a reload writes the new
 * entries before it removes the old ones, so swapping a full set of
 * services (or NAT backends) for another needs room for both. */
PL_TABLE(pl_lb_services, HASH, struct pl_lb_svc_key, struct pl_lb_svc, 2 * PL_LB_SVC_MAX);
PL_TABLE(pl_lb_ring, ARRAY, __u32, __u32, PL_LB_SVC_MAX * PL_LB_RING); /* backend id + 1 */
PL_TABLE(pl_lb_backends, ARRAY, __u32, struct pl_lb_backend, PL_LB_BACKEND_MAX);
PL_TABLE(pl_lb_conns, PERCPU_LRU_HASH, struct pl_lb_flow, struct pl_lb_ct, PL_LB_CT_MAX);
PL_TABLE(pl_lb_rnat, HASH, struct pl_lb_rnat_key, struct pl_lb_rnat_val, 2 * PL_LB_BACKEND_MAX);
PL_TABLE(pl_lb_svc_stats, PERCPU_ARRAY, __u32, struct pl_lb_stats, PL_LB_SVC_MAX);
PL_TABLE(pl_lb_be_stats, PERCPU_ARRAY, __u32, struct pl_lb_stats, PL_LB_BACKEND_MAX);

/* A 32-bit mix of n words (murmur3-style); the flow hash of both builds. */
PL_INLINE __u32 pl_hash_words(const __u32 *w, __u32 n, __u32 seed)
{
	__u32 h = seed;

	PL_UNROLL
	for (__u32 i = 0; i < 10; i++) {
		__u32 k;

		if (i >= n)
			break;
		k = w[i] * 0xcc9e2d51u;
		k = (k << 15) | (k >> 17);
		h ^= k * 0x1b873593u;
		h = ((h << 13) | (h >> 19)) * 5 + 0xe6546b64u;
	}
	h ^= n * 4;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The flow hash is seeded from the configuration (policy 'lb seed N', or
 * a random seed chosen by the control plane and kept across reloads). */
PL_INLINE __u32 pl_lb_flow_hash(const struct pl_lb_flow *f, __u32 seed)
{
	return pl_hash_words((const __u32 *)f, sizeof(*f) / 4, seed);
}

/* Replace a 16-byte address in place, updating the L4 checksum (and the
 * IPv4 header checksum for mapped addresses). */
PL_INLINE void pl_lb_addr_rewrite(__u8 *field, const struct pl_addr *new, int v4,
				  __u16 *ipcheck, __u16 *l4check)
{
	if (v4) {
		__u32 old;

		pl_memcpy(&old, field, 4);
		if (ipcheck)
			*ipcheck = pl_csum_replace4(*ipcheck, old, new->w[3]);
		if (l4check)
			*l4check = pl_csum_replace4(*l4check, old, new->w[3]);
		pl_memcpy(field, &new->w[3], 4);
		return;
	}
	PL_UNROLL
	for (int i = 0; i < 4; i++) {
		__u32 old;

		pl_memcpy(&old, field + 4 * i, 4);
		if (l4check)
			*l4check = pl_csum_replace4(*l4check, old, new->w[i]);
	}
	pl_memcpy(field, new->b, 16);
}

/* Pointer to the L4 checksum field. */
PL_INLINE __u16 *pl_lb_l4check(struct pl_ctx *c)
{
	__u32 off = c->h.l4_off + (c->h.l4_proto == IPPROTO_TCP ? 16 : 6);

	return pl_at_var(c, off, 2);
}

/* NAT: destination (dst = 1) or source (dst = 0) address and port. */
PL_INLINE int pl_lb_nat(struct pl_ctx *c, const struct pl_addr *a, __u16 port, int dst)
{
	int v4 = c->h.family == 4;
	__u32 aoff = c->h.l3_off + (v4 ? (dst ? 16 : 12) : (dst ? 24 : 8));
	__u8 *field = pl_at_var(c, aoff, v4 ? 4 : 16);
	__u16 *ipcheck = v4 ? pl_at_var(c, c->h.l3_off + 10, 2) : (void *)0;
	__u16 *l4check = pl_lb_l4check(c);
	__u16 *pf = pl_at_var(c, c->h.l4_off + (dst ? 2 : 0), 2);
	int nosum; /* an IPv4 UDP datagram without checksum (0); in TCP, 0 is a value */

	if (!field || !l4check || !pf || (v4 && !ipcheck))
		return -1;
	nosum = c->h.l4_proto == IPPROTO_UDP && !*l4check;
	if (nosum && !v4)
		return -1;
	pl_lb_addr_rewrite(field, a, v4, ipcheck, nosum ? (void *)0 : l4check);
	if (port) {
		__u16 np = pl_htons(port);

		if (!nosum)
			*l4check = pl_csum_replace2(*l4check, *pf, np);
		*pf = np;
	}
	/* a UDP checksum that comes out 0 is sent as 0xffff (RFC 768) */
	if (c->h.l4_proto == IPPROTO_UDP && !nosum && !*l4check)
		*l4check = 0xffff;
	return 0;
}

/* IP-in-IP: grow the head, keep the Ethernet header in front, write the
 * outer header (IPv4 proto 4, or IPv6 next header 41). Untagged frames. */
PL_INLINE int pl_lb_encap(struct pl_ctx *c, const struct pl_lb_svc *s, const struct pl_lb_backend *b)
{
	int v4 = c->h.family == 4;
	__u32 grow = v4 ? 20 : 40;
	__u32 inner_len = c->h.l3_len;
	__u8 tos = 0;
	struct ethhdr eh, *eth;

	eth = pl_at_var(c, 0, sizeof(*eth));
	if (!eth || c->h.l3_off != sizeof(*eth) || inner_len + grow > 0xffff)
		return -1;
	pl_memcpy(&eh, eth, sizeof(eh));
	if (v4) {
		__u8 *t = pl_at_var(c, 14 + 1, 1);

		if (t)
			tos = *t;
	}
	if (pl_adjust_head(c, -(int)grow))
		return -1;
	eth = pl_at_var(c, 0, sizeof(*eth));
	if (!eth)
		return -1;
	pl_memcpy(eth, &eh, sizeof(eh));
	if (v4) {
		struct iphdr *ip = pl_at_var(c, 14, 20);

		if (!ip)
			return -1;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = tos;
		ip->tot_len = pl_htons(inner_len + 20);
		ip->id = 0;
		ip->frag_off = 0;
		ip->ttl = 64;
		ip->protocol = IPPROTO_IPIP;
		ip->saddr = s->encap_src.w[3];
		ip->daddr = b->addr.w[3];
		ip->check = pl_csum_ipv4_hdr20(ip);
	} else {
		struct ipv6hdr *ip6 = pl_at_var(c, 14, 40);

		if (!ip6)
			return -1;
		*(__u32 *)ip6 = pl_htonl(0x60000000);
		ip6->payload_len = pl_htons(inner_len);
		ip6->nexthdr = IPPROTO_IPV6;
		ip6->hop_limit = 64;
		pl_memcpy(&ip6->saddr, s->encap_src.b, 16);
		pl_memcpy(&ip6->daddr, b->addr.b, 16);
	}
	return 0;
}

PL_INLINE void pl_lb_stat(struct pl_lb_stats *st, __u32 len, int new_flow)
{
	if (st) {
		pl_stat_add(&st->packets, 1);
		pl_stat_add(&st->bytes, len);
		pl_stat_add(&st->new_flows, new_flow);
	}
}

/* Replies from a NAT backend: give them the VIP and port back. */
PL_INLINE int pl_lb_reverse(struct pl_ctx *c)
{
	struct pl_lb_rnat_key rk = {};
	struct pl_lb_rnat_val *rv;

	rk.addr = c->h.saddr;
	rk.port = c->h.sport;
	rk.proto = c->h.l4_proto;
	rk.family = c->h.family;
	rv = pl_table_lookup(&pl_lb_rnat, &rk);
	if (rv)
		pl_lb_nat(c, &rv->vip, rv->port, 0);
	return PL_CONTINUE;
}

PL_INLINE int pl_lb_frame(struct pl_ctx *c)
{
	struct pl_lb_svc_key sk = {};
	struct pl_lb_flow f = {};
	struct pl_lb_backend *b = (void *)0;
	struct pl_lb_svc *s;
	struct pl_lb_ct *ct;
	struct ethhdr *eth;
	__u32 bid = 0, len = c->len;
	int new_flow = 0, syn;

	if (!c->cfg->lb_enabled || c->h.frag == PL_FRAG_LATER ||
	    (c->h.l4_proto != IPPROTO_TCP && c->h.l4_proto != IPPROTO_UDP))
		return PL_CONTINUE;
	sk.vip = c->h.daddr;
	sk.port = c->h.dport;
	sk.proto = c->h.l4_proto;
	sk.family = c->h.family;
	s = pl_table_lookup(&pl_lb_services, &sk);
	if (!s)
		return pl_lb_reverse(c);
	if (s->id >= PL_LB_SVC_MAX)
		return PL_CONTINUE;

	f.saddr = c->h.saddr;
	f.daddr = c->h.daddr;
	f.sport = c->h.sport;
	f.dport = c->h.dport;
	f.proto = c->h.l4_proto;
	f.family = c->h.family;
	/* A TCP SYN (without ACK) opens a new connection: the Maglev table
	 * places it, never an entry an earlier connection with the same
	 * 5-tuple left behind (a reused client port would otherwise reach a
	 * draining backend). Its entry is then written anew. */
	syn = f.proto == IPPROTO_TCP && (c->h.tcp_flags & 0x12) == 0x02;
	if (syn)
		ct = (void *)0;
	else
		ct = pl_table_lookup(&pl_lb_conns, &f);
	/* In BPF the entry's key is shared and its value per CPU: a CPU that
	 * did not write it reads zero (ids are stored + 1). The flow moved
	 * CPUs (on veth the receiving CPU is the sender's): take the backend
	 * another CPU recorded, so a draining backend keeps it. */
	if (ct && !ct->backend) {
		PL_LOOP
		for (__u32 cpu = 0; cpu < PL_LB_CPU_SCAN; cpu++) {
			struct pl_lb_ct *o = pl_table_lookup_cpu(&pl_lb_conns, &f, cpu);

			if (!o)
				break;
			if (o->backend) {
				ct->backend = o->backend;
				break;
			}
		}
	}
	if (ct && ct->backend) {
		bid = ct->backend - 1;
		b = pl_table_lookup(&pl_lb_backends, &bid);
		/* A known flow's entry names a backend id; after a reload the
		 * id may be down or belong to another service's backend:
		 * the flow is placed again. */
		if (b && (b->state == PL_LB_DOWN || b->svc != s->id))
			b = (void *)0;
		else if (b)
			pl_count(c, PL_CNT_LB_CT_HIT);
	}
	if (!b) {
		__u32 m = s->ring_size && s->ring_size <= PL_LB_RING ? s->ring_size : PL_LB_RING;
		__u32 slot = s->id * PL_LB_RING + pl_lb_flow_hash(&f, c->cfg->lb_seed) % m;
		__u32 *e = pl_table_lookup(&pl_lb_ring, &slot);
		struct pl_lb_ct n = {};

		if (e && *e) {
			bid = *e - 1;
			b = pl_table_lookup(&pl_lb_backends, &bid);
		}
		if (!b || b->state != PL_LB_UP) {
			struct pl_lb_stats *st = pl_table_lookup(&pl_lb_svc_stats, &s->id);

			if (st)
				pl_stat_add(&st->no_backend, 1);
			pl_count(c, PL_CNT_LB_NO_BACKEND);
			return PL_DROP;
		}
		n.backend = bid + 1;
		/* State is created by a TCP SYN or any UDP datagram of an
		 * unknown flow, or rewritten for a known flow whose backend is
		 * down. Another TCP segment of an unknown flow (its entry was
		 * evicted, or a spoofed ACK) goes where the Maglev table says,
		 * without an entry: a flood of them cannot churn the table. */
		if (syn || ct || f.proto != IPPROTO_TCP) {
			if (pl_table_update(&pl_lb_conns, &f, &n, PL_UPDATE_ANY))
				pl_count(c, PL_CNT_LB_CT_FULL);
			/* The update wrote this CPU's value only: another CPU may
			 * still hold the backend of an earlier connection with
			 * this 5-tuple (a reused client port), and the flow's
			 * next packets may arrive there. Every CPU gets the new
			 * backend. */
			PL_LOOP
			for (__u32 cpu = 0; cpu < PL_LB_CPU_SCAN; cpu++) {
				struct pl_lb_ct *o = pl_table_lookup_cpu(&pl_lb_conns, &f, cpu);

				if (!o)
					break;
				o->backend = n.backend;
			}
			pl_count(c, PL_CNT_LB_NEW_FLOW);
			new_flow = 1;
		}
	}
	{
		__u32 sid = s->id;

		pl_lb_stat(pl_table_lookup(&pl_lb_svc_stats, &sid), len, new_flow);
		pl_lb_stat(pl_table_lookup(&pl_lb_be_stats, &bid), len, new_flow);
	}

	if (s->mode == PL_LB_NAT) {
		if (pl_lb_nat(c, &b->addr, b->port, 1))
			return PL_DROP;
		pl_count(c, PL_CNT_LB_NAT);
	} else if (s->mode == PL_LB_IPIP) {
		if (pl_lb_encap(c, s, b))
			return PL_DROP;
		pl_count(c, PL_CNT_LB_IPIP);
	} else {
		pl_count(c, PL_CNT_LB_DSR);
	}
	if (b->out_port == PL_LB_OUT_PASS)
		return PL_PASS; /* the host routes it: MACs stay addressed to us */
	eth = pl_at_var(c, 0, sizeof(*eth));
	if (!eth)
		return PL_DROP;
	if (b->smac[0] | b->smac[1] | b->smac[2] | b->smac[3] | b->smac[4] | b->smac[5])
		pl_memcpy(eth->h_source, b->smac, 6);
	else
		pl_memcpy(eth->h_source, eth->h_dest, 6);
	pl_memcpy(eth->h_dest, b->mac, 6);
	if (b->out_port == PL_LB_OUT_TX)
		return PL_TX;
	c->out_port = b->out_port;
	return PL_REDIRECT;
}

/* The stage: one configuration check when it is off, before any of the
 * body's locals are set up. */
PL_INLINE int pl_stage_lb(struct pl_ctx *c)
{
	if (!c->cfg->lb_enabled)
		return PL_CONTINUE;
	return pl_lb_frame(c);
}

#ifdef PL_TARGET_USER
#include <stdlib.h>
#include <errno.h>

/* One backend as the Maglev builder sees it. */
struct pl_lb_maglev_in {
	__u32 id;     /* backend id written to the ring (+1) */
	__u32 weight; /* > 0 */
	__u32 key[5]; /* identity hashed into offset/skip (address, port) */
};

/* Build a Maglev lookup table of m (prime) slots over n backends, weighted:
 * each round a backend gains its weight in credit and places one slot per
 * max-weight of credit. ring[slot] = id + 1. Returns 0 or -errno. */
PL_UNUSED static int pl_lb_maglev_build(__u32 *ring, __u32 m, const struct pl_lb_maglev_in *be,
					unsigned n)
{
	__u32 *off, *skip, *next, *credit, wmax = 0, filled = 0;
	unsigned i;

	for (i = 0; i < m; i++)
		ring[i] = 0;
	if (!n)
		return 0;
	if (m < 2)
		return -EINVAL;
	off = calloc(n, sizeof(*off));
	skip = calloc(n, sizeof(*skip));
	next = calloc(n, sizeof(*next));
	credit = calloc(n, sizeof(*credit));
	if (!off || !skip || !next || !credit) {
		free(off); free(skip); free(next); free(credit);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		off[i] = pl_hash_words(be[i].key, 5, 0xa11ce) % m;
		skip[i] = pl_hash_words(be[i].key, 5, 0xb0b) % (m - 1) + 1;
		if (be[i].weight > wmax)
			wmax = be[i].weight;
	}
	if (!wmax)
		goto out_free;
	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			credit[i] += be[i].weight;
			while (credit[i] >= wmax && filled < m) {
				__u32 slot;

				credit[i] -= wmax;
				do {
					slot = (__u32)(((__u64)off[i] + (__u64)next[i] * skip[i]) % m);
					next[i]++;
				} while (ring[slot]);
				ring[slot] = be[i].id + 1;
				filled++;
			}
		}
	}
out_free:
	free(off); free(skip); free(next); free(credit);
	return 0;
}
#endif

#endif
