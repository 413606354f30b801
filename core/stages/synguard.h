/* SPDX-License-Identifier: MIT */
/* Stage "synguard": a separate budget for TCP SYNs (SYN without ACK), one
 * token bucket per source (masked like ratelimit, per-CPU LRU table) and one
 * global bucket (per CPU: the global budget is per CPU, set it to the total
 * divided by the receiving CPUs). Established traffic never touches it. */
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
	__u8 pad[6];
};

PL_TABLE(pl_syn_params, ARRAY, __u32, struct pl_syn_params, 1);
PL_TABLE(pl_syn_buckets, PERCPU_LRU_HASH, struct pl_src_key, struct pl_bucket, PL_SYN_MAX);
PL_TABLE(pl_syn_global, PERCPU_ARRAY, __u32, struct pl_bucket, 1);

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

		pl_src_key_of(&key, &c->h, p->prefix4, p->prefix6);
		b = pl_table_lookup(&pl_syn_buckets, &key);
		if (!b) {
			struct pl_bucket n;

			pl_bucket_init(&n, pl_now(c), &p->per_src, (void *)0, 0);
			if (pl_table_update(&pl_syn_buckets, &key, &n, PL_UPDATE_NOEXIST))
				pl_count(c, PL_CNT_RL_TABLE_FULL);
		} else if (pl_bucket_charge(b, pl_now(c), &p->per_src, (void *)0, 0)) {
			pl_stat_add(&b->drops, 1);
			pl_count(c, PL_CNT_SYN_DROP_SRC);
			return PL_DROP;
		}
	}
	if (p->global.rate) {
		b = pl_table_lookup(&pl_syn_global, &zero);
		if (b && pl_bucket_charge(b, pl_now(c), &p->global, (void *)0, 0)) {
			pl_count(c, PL_CNT_SYN_DROP_GLOBAL);
			return PL_DROP;
		}
	}
	return PL_CONTINUE;
}

#endif
