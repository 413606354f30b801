/* SPDX-License-Identifier: MIT */
/* Stage "count": per-source packet and byte counters in an LRU table (per
 * CPU / per worker). Protocol and verdict counters are kept by the pipeline
 * itself for every frame. */
#ifndef PL_STAGE_COUNT_H
#define PL_STAGE_COUNT_H

#include "../pl_ctx.h"

#ifndef PL_SRC_MAX
#define PL_SRC_MAX 65536
#endif

PL_TABLE(pl_src, PERCPU_LRU_HASH, struct pl_addr, struct pl_src_stats, PL_SRC_MAX);

PL_INLINE int pl_stage_count(struct pl_ctx *c)
{
	struct pl_src_stats *s;

	if (!c->cfg->src_stats || !c->h.family)
		return PL_CONTINUE;
	s = pl_table_lookup(&pl_src, &c->h.saddr);
	if (s) {
		pl_stat_add(&s->packets, 1);
		pl_stat_add(&s->bytes, c->len);
	} else {
		struct pl_src_stats n = { 1, c->len };

		if (pl_table_update(&pl_src, &c->h.saddr, &n, PL_UPDATE_NOEXIST))
			pl_count(c, PL_CNT_SRC_TABLE_FULL);
	}
	return PL_CONTINUE;
}

#endif
