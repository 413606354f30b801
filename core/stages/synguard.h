/* SPDX-License-Identifier: MIT */
/* Stage "synguard": a separate budget for TCP SYNs (SYN without ACK), one
 * token bucket per source (masked like ratelimit) and one global bucket.
 * By default both are per CPU (per-CPU LRU table and array: the global
 * budget is then per CPU, set it to the total divided by the receiving
 * CPUs); shared, every CPU charges the same buckets (pl_syn_shared, the
 * global one under the aggregate key). Established traffic never touches it. */
#ifndef PL_STAGE_SYNGUARD_H
#define PL_STAGE_SYNGUARD_H

#include "ratelimit.h"

#ifndef PL_SYN_MAX
#define PL_SYN_MAX 65536
#endif

struct pl_syn_params {
	struct pl_rl_rate per_src; /* rate 0: no per-source budget */
	struct pl_rl_rate global;  /* rate 0: no global budget */
	__u8 prefix4, prefix6;
	__u8 flags; /* PL_BUDGET_SHARED */
	__u8 pad[5];
};

PL_TABLE(pl_syn_params, ARRAY, __u32, struct pl_syn_params, 1);
PL_TABLE(pl_syn_buckets, PERCPU_LRU_HASH, struct pl_src_key, struct pl_bucket, PL_SYN_MAX);
PL_TABLE(pl_syn_global, PERCPU_ARRAY, __u32, struct pl_bucket, 1);
PL_TABLE(pl_syn_shared, SHARED_LRU_HASH, struct pl_src_key, struct pl_shared_bucket, PL_SYN_MAX);

/* The global bucket is the aggregate key's (family 0), a source's has its
 * family. */
#define pl_syn_rate(p, key) ((key)->family ? &(p)->per_src : &(p)->global)
#define pl_syn_brate(p, key) ((const struct pl_rl_rate *)0)
PL_BUDGET_SHARED_FN(pl_syn_shared_budget, pl_syn_shared, struct pl_syn_params, pl_syn_rate,
		    pl_syn_brate)

PL_INLINE int pl_stage_synguard(struct pl_ctx *c)
{
	struct pl_syn_params *p;
	struct pl_bucket *b;
	__u32 zero = 0;

	if (!c->cfg->syn_enabled || c->h.l4_proto != IPPROTO_TCP ||
	    (c->h.tcp_flags & 0x12) != 0x02 /* SYN without ACK */)
		return PL_CONTINUE;
	p = pl_table_lookup(&pl_syn_params, &zero);
	if (!p)
		return PL_CONTINUE;
	if (p->per_src.rate) {
		struct pl_src_key key;
		int v;

		pl_src_key_of(&key, &c->h, p->prefix4, p->prefix6, 0);
		if (p->flags & PL_BUDGET_SHARED)
			v = pl_syn_shared_budget(&key, p, pl_now(c), 0);
		else
			v = pl_budget_percpu(&pl_syn_buckets, &key, pl_now(c), &p->per_src, (void *)0, 0);
		if (v == PL_BUDGET_OVER) {
			pl_count(c, PL_CNT_SYN_DROP_SRC);
			return PL_DROP;
		}
		pl_budget_count(c, v);
	}
	if (p->global.rate && (p->flags & PL_BUDGET_SHARED)) {
		struct pl_src_key all;
		int v;

		pl_src_key_of(&all, &c->h, 0, 0, PL_BUDGET_AGGREGATE);
		v = pl_syn_shared_budget(&all, p, pl_now(c), 0);
		if (v == PL_BUDGET_OVER) {
			pl_count(c, PL_CNT_SYN_DROP_GLOBAL);
			return PL_DROP;
		}
		pl_budget_count(c, v);
	} else if (p->global.rate) {
		b = pl_table_lookup(&pl_syn_global, &zero);
		if (b && pl_bucket_charge(b, pl_now(c), &p->global, (void *)0, 0)) {
			pl_count(c, PL_CNT_SYN_DROP_GLOBAL);
			return PL_DROP;
		}
	}
	return PL_CONTINUE;
}

#endif
