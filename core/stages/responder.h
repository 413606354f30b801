/* SPDX-License-Identifier: MIT */
/* Stage "responder": a stateless TCP/HTTP server inside the datapath.
 *
 * Listens on the (family, address, port) keys of pl_resp_listen; the key
 * with family 0 and address :: is the wildcard of `responder listen
 * any-destination`: every destination address, transit traffic included.
 * A SYN is answered with a SYN-ACK whose sequence number is a SYN cookie:
 *   bits 31..16  16-bit MAC: SipHash-2-4(key, 4-tuple, time slice, mss index)
 *   bits 15..14  index of the client's MSS in pl_resp_mss_tab
 *   bits 13..12  low 2 bits of the time slice (now >> slice_shift)
 *   bits 11..0   zero: the client's acknowledgement numbers (ISN + 1 + k)
 *                keep k (bytes of ours acknowledged, < 4096) here
 * so every later segment is checked against the cookie (current or previous
 * slice) without per-connection state. The request segment (ack = ISN + 1,
 * payload) is answered with the whole HTTP/1.1 response, Connection: close,
 * and FIN in one segment; a retransmitted request is answered again. A
 * client FIN is acknowledged, pure ACKs are absorbed, segments with a bad
 * cookie get a RST. Responses are precomputed by the control plane
 * (pl_resp_route_make) with their checksum partial sums, so the data path
 * sums only fixed-size headers; the reply reuses the request's frame
 * (MACs swapped, headers rewritten, tail adjusted). */
#ifndef PL_STAGE_RESPONDER_H
#define PL_STAGE_RESPONDER_H

#include "../pl_ctx.h"
#include "../pl_csum.h"
#include "forward.h" /* pl_swap_macs */

#ifndef PL_RESP_MAX
#define PL_RESP_MAX 1024 /* response bytes (headers + body), multiple of 8 */
#endif
#define PL_RESP_PATH_MAX 48
#ifndef PL_RESP_ROUTES_MAX
#define PL_RESP_ROUTES_MAX 32
#endif
#ifndef PL_RESP_LISTEN_MAX
#define PL_RESP_LISTEN_MAX 64
#endif
#define PL_RESP_DEFAULT_PORT 8080
#define PL_RESP_SLICE_SHIFT 36 /* 2^36 ns = 68.7 s per cookie time slice */

#define PL_TCP_FIN 0x01
#define PL_TCP_SYN 0x02
#define PL_TCP_RST 0x04
#define PL_TCP_PSH 0x08
#define PL_TCP_ACK 0x10

/* The family is part of the key: an IPv6 frame to ::ffff:a.b.c.d does not
 * match an IPv4 listen entry for a.b.c.d. */
struct pl_resp_listen_key {
	struct pl_addr addr; /* family 0: all zero, every destination address */
	__u16 port;          /* host order */
	__u8 family;         /* 4, 6, or 0 for the wildcard */
	__u8 pad;
};

struct pl_resp_params {
	__u64 key[2];        /* SipHash key of the cookies */
	__u64 prev_key[2];   /* the key before the last rotation, still accepted (0: none) */
	__u32 slice_shift;   /* cookie time slice = 2^slice_shift ns (0: default) */
	__u16 mss4, mss6;    /* MSS we announce (0: 1460 / 1440) */
	__u16 window;        /* window we announce (0: 65535) */
	__u16 pad[3];
};

/* A route's key: the path, zero padded ("#400", "#404" and "#405" hold the
 * error answers; real paths start with '/'). */
struct pl_resp_path {
	char p[PL_RESP_PATH_MAX];
};

/* A precomputed answer: status line, headers, blank line, body. */
struct pl_resp_route {
	__u16 len;      /* whole response */
	__u16 hdr_len;  /* headers up to and including the blank line (HEAD) */
	__u16 sum_full; /* 16-bit one's-complement sum of data[0..len) (memory order) */
	__u16 sum_hdr;  /* the same over data[0..hdr_len) */
	__u16 id;       /* index into pl_resp_hits (the route's place in its policy) */
	__u16 pad[3];
	__u8 data[PL_RESP_MAX]; /* zero after len */
};

PL_TABLE(pl_resp_params, ARRAY, __u32, struct pl_resp_params, 1);
/* Both hold two policies' worth: a reload writes the new entries before it
 * removes the old ones. */
PL_TABLE(pl_resp_listen, HASH, struct pl_resp_listen_key, __u32, 2 * PL_RESP_LISTEN_MAX);
PL_TABLE(pl_resp_routes, HASH, struct pl_resp_path, struct pl_resp_route, 2 * PL_RESP_ROUTES_MAX);
/* Responses sent per route id (per CPU), counted across reloads by id. */
PL_TABLE(pl_resp_hits, PERCPU_ARRAY, __u32, __u64, PL_RESP_ROUTES_MAX);

/* MSS values a cookie can carry (largest not above the client's). */
PL_INLINE __u32 pl_resp_mss_of(__u32 idx)
{
	return idx == 3 ? 1460 : idx == 2 ? 1400 : idx == 1 ? 1220 : 536;
}

PL_INLINE __u32 pl_resp_mss_idx(__u32 mss)
{
	return mss >= 1460 ? 3 : mss >= 1400 ? 2 : mss >= 1220 ? 1 : 0;
}

#define PL_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define PL_SIPROUND(v0, v1, v2, v3)                                             \
	do {                                                                    \
		v0 += v1; v1 = PL_ROTL64(v1, 13); v1 ^= v0; v0 = PL_ROTL64(v0, 32); \
		v2 += v3; v3 = PL_ROTL64(v3, 16); v3 ^= v2;                     \
		v0 += v3; v3 = PL_ROTL64(v3, 21); v3 ^= v0;                     \
		v2 += v1; v1 = PL_ROTL64(v1, 17); v1 ^= v2; v2 = PL_ROTL64(v2, 32); \
	} while (0)

/* SipHash-2-4 of five 64-bit words (fixed length, unrolled). */
PL_INLINE __u64 pl_siphash5(const __u64 key[2], const __u64 m[5])
{
	__u64 v0 = 0x736f6d6570736575ull ^ key[0];
	__u64 v1 = 0x646f72616e646f6dull ^ key[1];
	__u64 v2 = 0x6c7967656e657261ull ^ key[0];
	__u64 v3 = 0x7465646279746573ull ^ key[1];
	__u64 last = 40ull << 56;

	PL_UNROLL
	for (int i = 0; i < 5; i++) {
		v3 ^= m[i];
		PL_SIPROUND(v0, v1, v2, v3);
		PL_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= last;
	PL_SIPROUND(v0, v1, v2, v3);
	PL_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	PL_SIPROUND(v0, v1, v2, v3);
	PL_SIPROUND(v0, v1, v2, v3);
	PL_SIPROUND(v0, v1, v2, v3);
	PL_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The 16-bit MAC of a cookie for the client->server 4-tuple in h, under
 * the key (k0, k1). Verified on its own in BPF (PL_STAGE_FN): SipHash's
 * straight line is walked once, not once per state and call site. */
PL_STAGE_FN __u32 pl_cookie_mac(const struct pl_hdrs *h, __u64 k0, __u64 k1, __u32 slice, __u32 mss_idx)
{
	__u64 m[5], key[2] = { k0, k1 };

	if (!h)
		return 0;
	m[0] = ((__u64)h->saddr.w[0] << 32) | h->saddr.w[1];
	m[1] = ((__u64)h->saddr.w[2] << 32) | h->saddr.w[3];
	m[2] = ((__u64)h->daddr.w[0] << 32) | h->daddr.w[1];
	m[3] = ((__u64)h->daddr.w[2] << 32) | h->daddr.w[3];
	m[4] = ((__u64)h->sport << 48) | ((__u64)h->dport << 32) | ((slice << 2) | mss_idx);
	return (__u32)(pl_siphash5(key, m) >> 48);
}

PL_INLINE __u32 pl_resp_slice(const struct pl_resp_params *p, __u64 now)
{
	__u32 shift = p->slice_shift && p->slice_shift < 63 ? p->slice_shift : PL_RESP_SLICE_SHIFT;

	return (__u32)(now >> shift) & 0x3fffffff;
}

/* The cookie (our ISN) for a SYN described by h. */
PL_INLINE __u32 pl_cookie_make(const struct pl_resp_params *p, const struct pl_hdrs *h,
			       __u64 now, __u32 mss)
{
	__u32 slice = pl_resp_slice(p, now);
	__u32 idx = pl_resp_mss_idx(mss);

	return (pl_cookie_mac(h, p->key[0], p->key[1], slice, idx) << 16) | (idx << 14) | ((slice & 3) << 12);
}

/* Check x = (acknowledgement number - 1) of a segment against the cookie of
 * its 4-tuple in the current or previous time slice, under the current key
 * or the previous one (a key rotation does not reset handshakes in flight).
 * Returns k (x minus the ISN, 0..4095) and sets *mss, or -1. */
PL_INLINE int pl_cookie_check(const struct pl_resp_params *p, const struct pl_hdrs *h,
			      __u64 now, __u32 x, __u32 *mss)
{
	__u32 slice = pl_resp_slice(p, now);
	__u32 idx = (x >> 14) & 3;

	PL_UNROLL
	for (__u32 d = 0; d < 2; d++) {
		__u32 s = (slice - d) & 0x3fffffff;

		if ((s & 3) != ((x >> 12) & 3))
			continue;
		if (pl_cookie_mac(h, p->key[0], p->key[1], s, idx) == x >> 16 ||
		    ((p->prev_key[0] | p->prev_key[1]) &&
		     pl_cookie_mac(h, p->prev_key[0], p->prev_key[1], s, idx) == x >> 16)) {
			*mss = pl_resp_mss_of(idx);
			return (int)(x & 0xfff);
		}
	}
	return -1;
}

/* Client MSS from a SYN's options: Linux puts MSS first; anything else
 * counts as the RFC 9293 default 536. */
PL_INLINE __u32 pl_resp_syn_mss(struct pl_ctx *c)
{
	__u8 *o;

	if (c->h.payload_off < c->h.l4_off + 24)
		return 536;
	o = pl_at_var(c, c->h.l4_off + 20, 4);
	if (!o || o[0] != 2 || o[1] != 4)
		return 536;
	return ((__u32)o[2] << 8) | o[3];
}

/* Turn the received frame into our segment: MACs swapped, addresses and
 * ports swapped, fresh IP and TCP headers, optional MSS option, and
 * payload r->data[0..paylen) (paylen 0: none). Returns PL_TX, or PL_DROP
 * when the frame cannot be resized. */
PL_INLINE int pl_resp_send(struct pl_ctx *c, const struct pl_resp_params *p, __u32 seq,
			   __u32 ack, __u8 flags, __u32 opt_mss,
			   const struct pl_resp_route *r, __u32 paylen, __u16 paysum)
{
	__u32 fam = c->h.family, l3 = c->h.l3_off & 0xff;
	__u32 iplen = fam == 4 ? 20 : 40;
	__u32 tcplen = opt_mss ? 24 : 20;
	__u32 toff = l3 + iplen, poff = toff + tcplen;
	__u32 newlen = poff + ((paylen + 7) & ~7u);
	struct pl_addr sa = c->h.daddr, da = c->h.saddr;
	__u16 sport = pl_htons(c->h.dport), dport = pl_htons(c->h.sport);
	__u16 win = p->window ? p->window : 65535;
	struct ethhdr *eth;
	struct tcphdr *th;
	__u32 sum, i;

	__u8 l2[14 + 4 * PL_VLAN_MAX];
	__u8 *old;

	/* Ethernet header and tags, MACs swapped, kept aside: the frame may
	 * grow at its head below. */
	old = pl_at(c, 0, sizeof(l2));
	if (!old || l3 > sizeof(l2))
		return PL_DROP;
	pl_memcpy(l2, old, sizeof(l2));
	pl_swap_macs((struct ethhdr *)l2);
	/* Grow at the tail; when the tailroom is short (a veth receiving a
	 * small skb has little), grow at the head instead: XDP guarantees 256
	 * bytes of headroom. */
	if (newlen != c->len && pl_hw_adjust_tail(c->hw, (int)newlen - (int)c->len)) {
		if (newlen < c->len || pl_adjust_head(c, (int)c->len - (int)newlen)) {
			pl_count(c, PL_CNT_RESP_TOO_BIG);
			return PL_DROP;
		}
	} else {
		c->data = pl_hw_data(c->hw);
		c->data_end = pl_hw_data_end(c->hw);
		c->len = (__u32)(c->data_end - c->data);
	}
	eth = pl_at(c, 0, sizeof(l2));
	if (!eth)
		return PL_DROP;
	pl_memcpy(eth, l2, sizeof(l2));
	if (fam == 4) {
		struct iphdr *ip = pl_at_var(c, l3, 20);

		if (!ip)
			return PL_DROP;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = pl_htons(20 + tcplen + paylen);
		ip->id = 0;
		ip->frag_off = pl_htons(0x4000);
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->saddr = sa.w[3];
		ip->daddr = da.w[3];
		ip->check = pl_csum_ipv4_hdr20(ip);
		sum = pl_csum_words(&sa.w[3], 2, 0);
		sum = pl_csum_words(&da.w[3], 2, sum);
	} else {
		struct ipv6hdr *ip6 = pl_at_var(c, l3, 40);

		if (!ip6)
			return PL_DROP;
		*(__u32 *)ip6 = pl_htonl(0x60000000);
		ip6->payload_len = pl_htons(tcplen + paylen);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		pl_memcpy(&ip6->saddr, sa.b, 16);
		pl_memcpy(&ip6->daddr, da.b, 16);
		sum = pl_csum_words(sa.b, 8, 0);
		sum = pl_csum_words(da.b, 8, sum);
	}
	sum += pl_htons(IPPROTO_TCP) + pl_htons(tcplen + paylen) + paysum;

	th = pl_at_var(c, toff, 20);
	if (!th)
		return PL_DROP;
	th->source = sport;
	th->dest = dport;
	th->seq = pl_htonl(seq);
	th->ack_seq = pl_htonl(ack);
	((__u8 *)th)[12] = (__u8)((tcplen / 4) << 4);
	((__u8 *)th)[13] = flags;
	th->window = pl_htons(win);
	th->check = 0;
	th->urg_ptr = 0;
	if (opt_mss) {
		__u8 *o = pl_at_var(c, toff + 20, 4);

		if (!o)
			return PL_DROP;
		o[0] = 2;
		o[1] = 4;
		o[2] = (__u8)(opt_mss >> 8);
		o[3] = (__u8)opt_mss;
		sum = pl_csum_words(o, 2, sum);
	}
	sum = pl_csum_words(th, 10, sum);
	th->check = (__u16)~pl_csum_fold32(sum);

	if (r) {
		PL_LOOP
		for (i = 0; i < PL_RESP_MAX / 8; i++) {
			__u8 *d;

			if (i * 8 >= paylen)
				break;
			d = pl_at_var(c, poff + i * 8, 8);
			if (!d)
				return PL_DROP;
			pl_memcpy(d, &r->data[i * 8], 8);
		}
	}
	return PL_TX;
}

/* Look up the answer for the request at payload offset off, the IP
 * datagram ending at end (Ethernet padding and trailing bytes after it are
 * not the request): method and path. The path must end with a delimiter
 * inside the datagram (a space before the HTTP version, '?', CR or LF),
 * else the request line is incomplete (split across segments) and gets
 * the 400 answer. *head is set for HEAD. Never NULL when the error routes
 * exist. */
PL_INLINE struct pl_resp_route *pl_resp_route_for(struct pl_ctx *c, __u32 off, __u32 end,
						  int *head)
{
	struct pl_resp_path key = {};
	__u8 *m = pl_at_var(c, off, 5);
	__u32 i, poff;

	*head = 0;
	if (m && m[0] == 'G' && m[1] == 'E' && m[2] == 'T' && m[3] == ' ') {
		poff = off + 4;
	} else if (m && m[0] == 'H' && m[1] == 'E' && m[2] == 'A' && m[3] == 'D' && m[4] == ' ') {
		poff = off + 5;
		*head = 1;
	} else {
		pl_count(c, PL_CNT_RESP_405);
		pl_memcpy(key.p, "#405", 4);
		return pl_table_lookup(&pl_resp_routes, &key);
	}
	PL_LOOP
	for (i = 0; i < PL_RESP_PATH_MAX; i++) {
		__u8 *ch = pl_at_var(c, poff + i, 1);

		if (!ch || *ch == ' ' || *ch == '?' || *ch == '\r' || *ch == '\n')
			break;
		key.p[i] = *ch;
	}
	/* One check after the loop (cheaper to verify than one per byte): the
	 * delimiter must lie inside the datagram. This also catches the frame
	 * end (the datagram ends inside the frame) and a method cut by the
	 * datagram's end. */
	if (i < PL_RESP_PATH_MAX && poff + i >= end) {
		pl_count(c, PL_CNT_RESP_400);
		pl_memset(&key, 0, sizeof(key));
		pl_memcpy(key.p, "#400", 4);
		return pl_table_lookup(&pl_resp_routes, &key);
	}
	if (i < PL_RESP_PATH_MAX) {
		struct pl_resp_route *r = pl_table_lookup(&pl_resp_routes, &key);

		if (r)
			return r;
	}
	pl_count(c, PL_CNT_RESP_404);
	pl_memset(&key, 0, sizeof(key));
	pl_memcpy(key.p, "#404", 4);
	return pl_table_lookup(&pl_resp_routes, &key);
}

PL_INLINE int pl_stage_responder(struct pl_ctx *c)
{
	struct pl_resp_listen_key lk;
	struct pl_resp_params *p;
	struct tcphdr *th;
	__u32 zero = 0, seq, ack, paylen, mss;
	__u8 fl;
	int k;

	if (!c->cfg->resp_enabled || c->h.l4_proto != IPPROTO_TCP || c->h.ip_opts || c->h.frag)
		return PL_CONTINUE;
	/* set up only when the stage is on */
	pl_memset(&lk, 0, sizeof(lk));
	lk.addr = c->h.daddr;
	lk.port = c->h.dport;
	lk.family = c->h.family;
	if (!pl_table_lookup(&pl_resp_listen, &lk)) {
		pl_memset(&lk.addr, 0, sizeof(lk.addr));
		lk.family = 0;
		if (!pl_table_lookup(&pl_resp_listen, &lk))
			return PL_CONTINUE;
	}
	p = pl_table_lookup(&pl_resp_params, &zero);
	th = pl_at_var(c, c->h.l4_off, 20);
	if (!p || !th)
		return PL_CONTINUE;
	/* A reply is written over the request and its tail moved: the tail
	 * of a multi-buffer frame is in a buffer the core does not reach. */
	if (!pl_linear(c)) {
		pl_count(c, PL_CNT_RESP_MULTIBUF);
		return PL_DROP;
	}
	fl = c->h.tcp_flags;
	seq = pl_ntohl(th->seq);
	ack = pl_ntohl(th->ack_seq);
	paylen = (__u32)c->h.l3_off + c->h.l3_len - c->h.payload_off;
	if (paylen > 0xffff)
		paylen = 0;

	if (fl & PL_TCP_RST) {
		pl_count(c, PL_CNT_RESP_ACK);
		return PL_DROP;
	}
	if ((fl & (PL_TCP_SYN | PL_TCP_ACK)) == PL_TCP_SYN) {
		__u32 cmss = pl_resp_syn_mss(c);
		__u32 our = c->h.family == 4 ? (p->mss4 ? p->mss4 : 1460) : (p->mss6 ? p->mss6 : 1440);
		__u32 isn = pl_cookie_make(p, &c->h, pl_now(c), cmss);

		pl_count(c, PL_CNT_RESP_SYNACK);
		return pl_resp_send(c, p, isn, seq + 1, PL_TCP_SYN | PL_TCP_ACK, our,
				    (void *)0, 0, 0);
	}
	if (!(fl & PL_TCP_ACK) || (fl & PL_TCP_SYN)) {
		pl_count(c, PL_CNT_RESP_RST);
		return pl_resp_send(c, p, 0, seq + paylen + ((fl & PL_TCP_FIN) ? 1 : 0),
				    PL_TCP_RST | PL_TCP_ACK, 0, (void *)0, 0, 0);
	}
	k = pl_cookie_check(p, &c->h, pl_now(c), ack - 1, &mss);
	if (k < 0) {
		pl_count(c, PL_CNT_RESP_RST);
		return pl_resp_send(c, p, ack, 0, PL_TCP_RST, 0, (void *)0, 0, 0);
	}
	if (paylen && k == 0) {
		struct pl_resp_route *r;
		__u32 len, isn = ack - 1;
		__u16 sum;
		int head;

		r = pl_resp_route_for(c, c->h.payload_off, (__u32)c->h.l3_off + c->h.l3_len, &head);
		if (!r) {
			pl_count(c, PL_CNT_RESP_RST);
			return pl_resp_send(c, p, ack, 0, PL_TCP_RST, 0, (void *)0, 0, 0);
		}
		len = head ? r->hdr_len : r->len;
		sum = head ? r->sum_hdr : r->sum_full;
		if (len > mss || len > PL_RESP_MAX) {
			pl_count(c, PL_CNT_RESP_TOO_BIG);
			return pl_resp_send(c, p, ack, 0, PL_TCP_RST, 0, (void *)0, 0, 0);
		}
		pl_count(c, PL_CNT_RESP_REPLY);
		{
			__u32 id = r->id;
			__u64 *hits = pl_table_lookup(&pl_resp_hits, &id);

			if (hits)
				pl_stat_add(hits, 1);
		}
		return pl_resp_send(c, p, isn + 1, seq + paylen + ((fl & PL_TCP_FIN) ? 1 : 0),
				    PL_TCP_ACK | PL_TCP_PSH | PL_TCP_FIN, 0, r, len, sum);
	}
	if (fl & PL_TCP_FIN) {
		pl_count(c, PL_CNT_RESP_FINACK);
		return pl_resp_send(c, p, ack, seq + paylen + 1, PL_TCP_ACK, 0, (void *)0, 0, 0);
	}
	pl_count(c, PL_CNT_RESP_ACK);
	return PL_DROP;
}

#ifdef PL_TARGET_USER
#include <stdio.h>
#include <errno.h>

/* 16-bit one's-complement sum of len bytes in memory order (what the data
 * path adds for a payload starting at an even offset). */
PL_UNUSED static __u16 pl_resp_sum(const __u8 *d, __u32 len)
{
	__u32 sum = 0, i;
	__u16 w;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, d + i, 2);
		sum += w;
	}
	if (len & 1) {
		__u8 last[2] = { d[len - 1], 0 };

		memcpy(&w, last, 2);
		sum += w;
	}
	return pl_csum_fold32(sum);
}

/* Build a route's precomputed answer. Returns 0 or -E2BIG when headers and
 * body exceed PL_RESP_MAX. */
PL_UNUSED static int pl_resp_route_make(struct pl_resp_route *r, unsigned status,
					const char *ctype, const char *body, size_t body_len)
{
	const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found"
			   : status == 405 ? "Method Not Allowed" : status == 201 ? "Created"
			   : status == 204 ? "No Content" : status == 301 ? "Moved Permanently"
			   : status == 302 ? "Found" : status == 400 ? "Bad Request"
			   : status == 403 ? "Forbidden" : status == 500 ? "Internal Server Error"
			   : status == 503 ? "Service Unavailable" : "Status";
	char hdr[PL_RESP_MAX + 1];
	int n;

	memset(r, 0, sizeof(*r));
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %u %s\r\nServer: pathlab\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     status, reason, ctype, body_len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n + body_len > PL_RESP_MAX)
		return -E2BIG;
	memcpy(r->data, hdr, (size_t)n);
	memcpy(r->data + n, body, body_len);
	r->hdr_len = (__u16)n;
	r->len = (__u16)(n + body_len);
	r->sum_hdr = pl_resp_sum(r->data, r->hdr_len);
	r->sum_full = pl_resp_sum(r->data, r->len);
	return 0;
}

/* The route key for a path ("#400", "#404", "#405" for the error answers). */
PL_UNUSED static int pl_resp_path_key(struct pl_resp_path *k, const char *path)
{
	size_t n = strlen(path);

	memset(k, 0, sizeof(*k));
	if (n == 0 || n >= PL_RESP_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(k->p, path, n);
	return 0;
}
#endif

#endif
