/* SPDX-License-Identifier: MIT */
/* Stage "steer": TCP/UDP destination ports whose traffic goes to user space
 * (the AF_XDP steering rule), or is passed or dropped outright. */
#ifndef PL_STAGE_STEER_H
#define PL_STAGE_STEER_H

#include "../pl_ctx.h"

#ifndef PL_STEER_MAX
#define PL_STEER_MAX 256 /* entries one policy may name */
#endif

/* Room for two whole policies: a reload writes the new entries before the
 * configuration switches and removes the old ones only after it, so both
 * sets are in the table at once. */
PL_TABLE(pl_steer, HASH, struct pl_steer_key, struct pl_steer_val, 2 * PL_STEER_MAX);

PL_INLINE int pl_stage_steer(struct pl_ctx *c)
{
	struct pl_steer_key k = {};
	struct pl_steer_val *v;

	if (!c->cfg->steer_enabled || !c->h.dport)
		return PL_CONTINUE;
	k.proto = c->h.l4_proto;
	k.port = c->h.dport;
	v = pl_table_lookup(&pl_steer, &k);
	if (!v)
		return PL_CONTINUE;
	if (v->action == PL_USER)
		pl_count(c, PL_CNT_STEER_USER);
	return v->action < PL_VERDICT__MAX ? (int)v->action : PL_CONTINUE;
}

#endif
