/* SPDX-License-Identifier: MIT */
/* Stage "ratelimit": per-source token buckets (packets/s, optionally
 * bytes/s, each with a burst), keyed by the source address masked to a
 * configured prefix length and its family (IPv4 and IPv6 separately), or one
 * bucket for every source (aggregate). Buckets live in an LRU table: a flood
 * of spoofed sources evicts old buckets instead of exhausting memory. By
 * default the table is per CPU: each CPU keeps its own bucket, so a source
 * whose frames reach k CPUs gets up to k times its budget. Shared, one
 * bucket per key serves every CPU, charged under the bucket's lock (two
 * atomic operations per frame, and the bucket's cache line moves between
 * the CPUs charging it). Over-budget frames are dropped and counted. The
 * token bucket and the charge of either scope are shared with synguard. */
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

/* Scope and grouping of a budget (pl_rl_params.flags, pl_syn_params.flags). */
#define PL_BUDGET_SHARED    1 /* one bucket per key for every CPU (SHARED_LRU_HASH) */
#define PL_BUDGET_AGGREGATE 2 /* ratelimit: one bucket for every source (pl_src_key_of) */

struct pl_rl_params {
	struct pl_rl_rate pps;
	struct pl_rl_rate bps; /* rate 0: no byte budget */
	__u8 prefix4;          /* key: source masked to this length (1..32) */
	__u8 prefix6;          /* (1..128) */
	__u8 flags;            /* PL_BUDGET_* */
	__u8 pad[5];
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

/* A bucket every CPU charges: the bucket and its lock word
 * (pl_lock_try / pl_lock_release, platform shim). */
struct pl_shared_bucket {
	struct pl_bucket b;
	__u64 lock;
};

PL_TABLE(pl_rl_params, ARRAY, __u32, struct pl_rl_params, 1);
PL_TABLE(pl_rl_buckets, PERCPU_LRU_HASH, struct pl_src_key, struct pl_bucket, PL_RL_MAX);
PL_TABLE(pl_rl_shared, SHARED_LRU_HASH, struct pl_src_key, struct pl_shared_bucket, PL_RL_MAX);

/* Tries at a shared bucket's lock before the frame is let through
 * uncharged (budget_busy). A holder runs a few dozen instructions. */
#ifndef PL_LOCK_TRIES
#define PL_LOCK_TRIES 64
#endif
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

/* The bucket key of a frame's source; with PL_BUDGET_AGGREGATE in flags,
 * the one key of every source (address ::, family 0: no source's key). */
PL_INLINE void pl_src_key_of(struct pl_src_key *k, const struct pl_hdrs *h, __u32 p4, __u32 p6,
			     __u32 flags)
{
	if (flags & PL_BUDGET_AGGREGATE) {
		pl_memset(k, 0, sizeof(*k));
		return;
	}
	pl_addr_mask(&k->addr, &h->saddr, h->family, p4, p6);
	k->family = h->family;
}

/* What charging a frame to a budget gave. */
#define PL_BUDGET_OK   0
#define PL_BUDGET_OVER 1 /* over budget: drop (counted in the bucket's drops) */
#define PL_BUDGET_FULL 2 /* no bucket could be made: not limited */
#define PL_BUDGET_BUSY 3 /* a shared bucket's lock stayed held: not charged */

/* Charge a frame to key's bucket in a per-CPU table: a new bucket starts
 * full, less this frame. */
#define pl_budget_percpu(tbl, key, now, r, br, len)                            \
	({                                                                     \
		struct pl_bucket *b_ = pl_table_lookup((tbl), (key));          \
		int v_ = PL_BUDGET_OK;                                         \
		if (!b_) {                                                     \
			struct pl_bucket n_;                                   \
			pl_bucket_init(&n_, (now), (r), (br), (len));          \
			if (pl_table_update((tbl), (key), &n_, PL_UPDATE_NOEXIST)) \
				v_ = PL_BUDGET_FULL;                           \
		} else if (pl_bucket_charge(b_, (now), (r), (br), (len))) {   \
			pl_stat_add(&b_->drops, 1);                            \
			v_ = PL_BUDGET_OVER;                                   \
		}                                                              \
		v_;                                                            \
	})

/* Charge a frame to a bucket every CPU shares: the same token bucket,
 * under the bucket's lock (PL_BUDGET_OK, _OVER or _BUSY). */
/* Take a shared bucket's lock: 0 once held, -1 after PL_LOCK_TRIES. */
PL_INLINE int pl_shared_lock(struct pl_shared_bucket *s)
{
	PL_LOOP
	for (__u32 i = 0; i < PL_LOCK_TRIES; i++) {
		if (pl_lock_try(&s->lock))
			return 0;
		pl_lock_relax(i);
	}
	return -1;
}

PL_INLINE int pl_shared_charge(struct pl_shared_bucket *s, __u64 now, const struct pl_rl_rate *r,
			       const struct pl_rl_rate *br, __u32 len)
{
	int v = PL_BUDGET_OK;

	if (pl_shared_lock(s))
		return PL_BUDGET_BUSY;
	if (pl_bucket_charge(&s->b, now, r, br, len)) {
		pl_stat_add(&s->b.drops, 1);
		v = PL_BUDGET_OVER;
	}
	pl_lock_release(&s->lock);
	return v;
}

/* A new shared bucket is inserted zeroed (from this constant: nothing on
 * the stack, which BPF's 512 bytes leave no room for here), then set to
 * full less the frame under its lock, as pl_budget_percpu's new bucket. */
static const struct pl_shared_bucket pl_shared_bucket_zero PL_UNUSED;

/* The same charge on a bucket every CPU shares, in table tbl: a function
 * per table, name (PL_STAGE_FN: BPF verifies it once, on its own; its
 * arguments are what it keeps across helper calls, in registers: the
 * pipeline leaves it no stack to spare): rate(p, key) and brate(p, key)
 * give the key's packet and byte budgets (pointers into *p, or NULL for no
 * byte budget) from the parameters p. A CPU
 * that lost the race to create the bucket (-EEXIST) charges the one the
 * winner made; one that charges a bucket before its creator set it sees
 * zeros, which refill completely. */
#define PL_BUDGET_SHARED_FN(name, tbl, ptype, rate, brate)                     \
	PL_STAGE_FN int name(const struct pl_src_key *key, const ptype *p, __u64 now, __u32 len) \
	{                                                                      \
		struct pl_shared_bucket *s;                                    \
		long e;                                                        \
                                                                               \
		if (!key || !p)                                                \
			return PL_BUDGET_OK;                                   \
		s = pl_table_lookup(&tbl, key);                                \
		if (s)                                                         \
			return pl_shared_charge(s, now, rate(p, key), brate(p, key), len); \
		e = pl_table_update(&tbl, key, &pl_shared_bucket_zero, PL_UPDATE_NOEXIST); \
		if (e == -17 /* -EEXIST: another CPU made it */) {             \
			s = pl_table_lookup(&tbl, key);                        \
			return s ? pl_shared_charge(s, now, rate(p, key), brate(p, key), len) \
				 : PL_BUDGET_FULL;                             \
		}                                                              \
		s = e ? (void *)0 : pl_table_lookup(&tbl, key);                \
		if (!s)                                                        \
			return PL_BUDGET_FULL;                                 \
		if (pl_shared_lock(s))                                         \
			return PL_BUDGET_BUSY;                                 \
		pl_bucket_init(&s->b, now, rate(p, key), brate(p, key), len); \
		pl_lock_release(&s->lock);                                     \
		return PL_BUDGET_OK;                                           \
	}

#define pl_rl_rate_pps(p, key) (&(p)->pps)
#define pl_rl_rate_bps(p, key) (&(p)->bps)
PL_BUDGET_SHARED_FN(pl_rl_shared_budget, pl_rl_shared, struct pl_rl_params, pl_rl_rate_pps,
		    pl_rl_rate_bps)


/* Count what a charge gave other than OK and OVER (the stage counts those). */
PL_INLINE void pl_budget_count(struct pl_ctx *c, int v)
{
	if (v == PL_BUDGET_FULL)
		pl_count(c, PL_CNT_RL_TABLE_FULL);
	else if (v == PL_BUDGET_BUSY)
		pl_count(c, PL_CNT_BUDGET_BUSY);
}

PL_INLINE int pl_stage_ratelimit(struct pl_ctx *c)
{
	struct pl_rl_params *p;
	struct pl_src_key key;
	__u32 zero = 0;
	int v;

	if (!c->cfg->rl_enabled || !c->h.family)
		return PL_CONTINUE;
	p = pl_table_lookup(&pl_rl_params, &zero);
	if (!p || !p->pps.rate)
		return PL_CONTINUE;
	pl_src_key_of(&key, &c->h, p->prefix4, p->prefix6, p->flags);
	if (p->flags & PL_BUDGET_SHARED)
		v = pl_rl_shared_budget(&key, p, pl_now(c), c->len);
	else
		v = pl_budget_percpu(&pl_rl_buckets, &key, pl_now(c), &p->pps, &p->bps, c->len);
	if (v == PL_BUDGET_OVER) {
		pl_count(c, PL_CNT_RL_DROP);
		return PL_DROP;
	}
	pl_budget_count(c, v);
	return PL_CONTINUE;
}

#endif
