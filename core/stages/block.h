/* SPDX-License-Identifier: MIT */
/* Stage "block": block lists. A frame whose source address is in the source
 * list (and, when one is loaded, whose destination is in the destination
 * list) is dropped. The lists are prefix sets looked up longest prefix
 * first: LPM tables (BPF_MAP_TYPE_LPM_TRIE in BPF, the shim's LPM in user
 * space), one per list and family, with the route stage's keys. The stage
 * runs first, so a blocked source costs one lookup and leaves no trace in
 * the per-source tables (count, ratelimit, synguard): a flood of blocked
 * sources cannot evict the entries of the others.
 *
 * Each list has its own enable bit in the configuration (block_enabled):
 * with both off the stage is one check. The control plane writes a whole
 * list before it sets the bit, and adds or removes single prefixes while
 * frames run: each insert or delete is atomic (an RCU node in BPF, copy on
 * write in user space), so a frame sees each prefix either in the list or
 * not, never a half-written entry. */
#ifndef PL_STAGE_BLOCK_H
#define PL_STAGE_BLOCK_H

#include "../pl_ctx.h"
#include "route.h" /* struct pl_route_key4 / pl_route_key6: the LPM keys */

#ifndef PL_BLOCK_MAX
#define PL_BLOCK_MAX 262144 /* prefixes per list and family (two lists' worth during a reload) */
#endif

/* Bits of pl_config.block_enabled. */
enum {
	PL_BLOCK_SRC = 1, /* the source list is loaded: look up the source */
	PL_BLOCK_DST = 2, /* the destination list is loaded */
};

struct pl_block_val {
	__u32 flags; /* reserved (0) */
};

/* Shared tables: only the control plane writes them. */
PL_TABLE(pl_block_src4, LPM, struct pl_route_key4, struct pl_block_val, PL_BLOCK_MAX);
PL_TABLE(pl_block_src6, LPM, struct pl_route_key6, struct pl_block_val, PL_BLOCK_MAX);
PL_TABLE(pl_block_dst4, LPM, struct pl_route_key4, struct pl_block_val, PL_BLOCK_MAX);
PL_TABLE(pl_block_dst6, LPM, struct pl_route_key6, struct pl_block_val, PL_BLOCK_MAX);

/* One lookup: the key in the caller's block (not on the body's own stack,
 * which BPF adds to the pipeline's: 512 bytes in all). */
struct pl_block_io {
	union {
		struct pl_route_key4 k4;
		struct pl_route_key6 k6;
	} key;
	__u8 family;
	__u8 list; /* PL_BLOCK_SRC or PL_BLOCK_DST */
	__u8 pad[2];
};

/* What pl_block_run found (not verdicts: see pl_stage_route). */
enum {
	PL_BLOCK_R_MISS = 20,
	PL_BLOCK_R_HIT,
};

PL_STAGE_FN int pl_block_run(struct pl_block_io *io, struct pl_counters *cnt)
{
	void *v;

	if (!io || !cnt)
		return PL_BLOCK_R_MISS;
	if (io->family == 4 && io->list == PL_BLOCK_SRC)
		v = pl_table_lookup(&pl_block_src4, &io->key.k4);
	else if (io->family == 4)
		v = pl_table_lookup(&pl_block_dst4, &io->key.k4);
	else if (io->list == PL_BLOCK_SRC)
		v = pl_table_lookup(&pl_block_src6, &io->key.k6);
	else
		v = pl_table_lookup(&pl_block_dst6, &io->key.k6);
	if (!v)
		return PL_BLOCK_R_MISS;
	pl_stat_add(&cnt->c[io->list == PL_BLOCK_SRC ? PL_CNT_BLOCK_SRC : PL_CNT_BLOCK_DST], 1);
	pl_stat_add(&cnt->c[PL_CNT_BLOCKED], 1);
	return PL_BLOCK_R_HIT;
}

/* The key of an address (struct pl_addr: IPv4 v4-mapped) into io. */
PL_INLINE void pl_block_key(struct pl_block_io *io, __u8 family, const struct pl_addr *a, __u8 list)
{
	io->family = family;
	io->list = list;
	if (family == 4) {
		io->key.k4.prefixlen = 32;
		pl_memcpy(io->key.k4.addr, &a->b[12], 4);
	} else {
		io->key.k6.prefixlen = 128;
		pl_memcpy(io->key.k6.addr, a->b, 16);
	}
}

PL_INLINE int pl_block_frame(struct pl_ctx *c)
{
	struct pl_block_io io = {};
	__u8 on = c->cfg->block_enabled;

	if (!on || !c->h.family)
		return PL_CONTINUE;
	if (on & PL_BLOCK_SRC) {
		pl_block_key(&io, c->h.family, &c->h.saddr, PL_BLOCK_SRC);
		if (pl_block_run(&io, c->cnt) == PL_BLOCK_R_HIT)
			return PL_DROP;
	}
	if (on & PL_BLOCK_DST) {
		pl_block_key(&io, c->h.family, &c->h.daddr, PL_BLOCK_DST);
		if (pl_block_run(&io, c->cnt) == PL_BLOCK_R_HIT)
			return PL_DROP;
	}
	return PL_CONTINUE;
}

/* The stage: one configuration check when it is off, before any of the
 * body's locals are set up. */
PL_INLINE int pl_stage_block(struct pl_ctx *c)
{
	if (!c->cfg->block_enabled)
		return PL_CONTINUE;
	return pl_block_frame(c);
}

#endif
