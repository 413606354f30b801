/* SPDX-License-Identifier: MIT */
/* Stage "ratelimit": per-source token buckets (packets/s, optionally
 * bytes/s, each with a burst), keyed by the source address masked to a
 * configured prefix length and its family (IPv4 and IPv6 separately). Buckets live in a
 * per-CPU LRU table: a flood of spoofed sources evicts old buckets instead of
 * exhausting memory, and each CPU keeps its own bucket (the budget applies
 * per CPU; a source's flow normally stays on one CPU). Over-budget frames are
 * dropped and counted. The token bucket helper is shared with synguard. */
#ifndef PL_STAGE_RATELIMIT_H
#define PL_STAGE_RATELIMIT_H

#include "../pl_ctx.h"

#ifndef PL_RL_MAX
#define PL_RL_MAX 65536
#endif

/* Tokens are kept in units of 1e-9 token so refill is elapsed_ns * rate. */
#define PL_TOKEN_UNIT 1000000000ull
/* Refill is computed over at most this long; a longer idle time refills
 * the bucket completely (keeps elapsed * rate inside 64 bits for rates up
 * to 4e9/s). */
#define PL_RL_IDLE_CAP_NS 4000000000ull

/* One budget: rate per second and burst (both 0 = unlimited). */
struct pl_rl_rate {
	__u64 rate;  /* tokens per second (packets or bytes), <= 4e9 */
	__u64 burst; /* bucket depth in tokens (>= 1; <= 1e10, so burst * unit fits) */
};

struct pl_rl_params {
	struct pl_rl_rate pps;
	struct pl_rl_rate bps; /* rate 0: no byte budget */
	__u8 prefix4;          /* key: source masked to this length (1..32) */
	__u8 prefix6;          /* (1..128) */
	__u8 pad[6];
};

/* A bucket's state. */
struct pl_bucket {
	__u64 last_ns;
	__u64 tokens;  /* packet tokens * PL_TOKEN_UNIT */
	__u64 btokens; /* byte tokens * PL_TOKEN_UNIT */
	__u64 drops;   /* frames this bucket dropped (pl_stat_add: the control plane reads it) */
};

/* A bucket's key: the masked source and its family, so the IPv4 source
 * a.b.c.d and the IPv6 source ::ffff:a.b.c.d (same 16 bytes) never share a
 * bucket. */
struct pl_src_key {
	struct pl_addr addr;
	__u32 family; /* 4 or 6 */
};

PL_TABLE(pl_rl_params, ARRAY, __u32, struct pl_rl_params, 1);
PL_TABLE(pl_rl_buckets, PERCPU_LRU_HASH, struct pl_src_key, struct pl_bucket, PL_RL_MAX);

/* Refill one bucket level to now (never above the burst). The arithmetic
 * saturates: elapsed * rate stays below 2^64 (elapsed < 4e9 ns, rate <= 4e9),
 * and the sum with the tokens left is compared with the room below full
 * rather than computed, so it cannot wrap. */
PL_INLINE __u64 pl_bucket_refill(__u64 tokens, const struct pl_rl_rate *r, __u64 elapsed)
{
	__u64 full = r->burst * PL_TOKEN_UNIT;
	__u64 add;

	if (elapsed >= PL_RL_IDLE_CAP_NS || tokens >= full)
		return full;
	add = elapsed * r->rate;
	return add >= full - tokens ? full : tokens + add;
}

/* Take cost tokens from a bucket level; 0 if they were there. */
PL_INLINE int pl_bucket_take(__u64 *tokens, __u64 cost)
{
	cost *= PL_TOKEN_UNIT;
	if (*tokens < cost)
		return -1;
	*tokens -= cost;
	return 0;
}

/* Charge one frame of len bytes to bucket b at now against r (packets) and
 * br (bytes, may be NULL or rate 0). Returns 0 when within budget. A frame
 * over budget takes nothing. */
PL_INLINE int pl_bucket_charge(struct pl_bucket *b, __u64 now, const struct pl_rl_rate *r,
			       const struct pl_rl_rate *br, __u32 len)
{
	__u64 elapsed = now > b->last_ns ? now - b->last_ns : 0;
	__u64 t = pl_bucket_refill(b->tokens, r, elapsed);
	__u64 bt = 0;

	b->last_ns = now > b->last_ns ? now : b->last_ns;
	b->tokens = t;
	if (br && br->rate) {
		bt = pl_bucket_refill(b->btokens, br, elapsed);
		b->btokens = bt;
		if (bt < (__u64)len * PL_TOKEN_UNIT)
			return -1;
	}
	if (pl_bucket_take(&b->tokens, 1))
		return -1;
	if (br && br->rate)
		b->btokens = bt - (__u64)len * PL_TOKEN_UNIT;
	return 0;
}

/* A fresh bucket: full, minus this frame (empty, not wrapped, when the
 * frame is larger than the burst). */
PL_INLINE void pl_bucket_init(struct pl_bucket *b, __u64 now, const struct pl_rl_rate *r,
			      const struct pl_rl_rate *br, __u32 len)
{
	__u64 bfull = br && br->rate ? br->burst * PL_TOKEN_UNIT : 0;
	__u64 bcost = (__u64)len * PL_TOKEN_UNIT;

	b->last_ns = now;
	b->drops = 0;
	b->tokens = r->burst ? r->burst * PL_TOKEN_UNIT - PL_TOKEN_UNIT : 0;
	b->btokens = bfull > bcost ? bfull - bcost : 0;
}

/* The source address masked to the configured prefix. */
PL_INLINE void pl_addr_mask(struct pl_addr *out, const struct pl_addr *a, __u32 family,
			    __u32 p4, __u32 p6)
{
	__u32 plen = family == 4 ? 96 + (p4 && p4 < 32 ? p4 : 32) : (p6 && p6 < 128 ? p6 : 128);

	PL_UNROLL
	for (int i = 0; i < 4; i++) {
		__u32 bits = plen > (__u32)i * 32 ? plen - (__u32)i * 32 : 0;
		__u32 m = bits >= 32 ? 0xffffffffu : bits ? ~(0xffffffffu >> bits) : 0;

		out->w[i] = a->w[i] & pl_htonl(m);
	}
}

/* The bucket key of a frame's source. */
PL_INLINE void pl_src_key_of(struct pl_src_key *k, const struct pl_hdrs *h, __u32 p4, __u32 p6)
{
	pl_addr_mask(&k->addr, &h->saddr, h->family, p4, p6);
	k->family = h->family;
}

PL_INLINE int pl_stage_ratelimit(struct pl_ctx *c)
{
	struct pl_rl_params *p;
	struct pl_bucket *b;
	struct pl_src_key key;
	__u32 zero = 0;

	if (!c->cfg->rl_enabled || !c->h.family)
		return PL_CONTINUE;
	p = pl_table_lookup(&pl_rl_params, &zero);
	if (!p || !p->pps.rate)
		return PL_CONTINUE;
	pl_src_key_of(&key, &c->h, p->prefix4, p->prefix6);
	b = pl_table_lookup(&pl_rl_buckets, &key);
	if (!b) {
		struct pl_bucket n;

		pl_bucket_init(&n, pl_now(c), &p->pps, &p->bps, c->len);
		if (pl_table_update(&pl_rl_buckets, &key, &n, PL_UPDATE_NOEXIST))
			pl_count(c, PL_CNT_RL_TABLE_FULL);
		return PL_CONTINUE;
	}
	if (pl_bucket_charge(b, pl_now(c), &p->pps, &p->bps, c->len)) {
		pl_stat_add(&b->drops, 1);
		pl_count(c, PL_CNT_RL_DROP);
		return PL_DROP;
	}
	return PL_CONTINUE;
}

#endif
