/* SPDX-License-Identifier: MIT */
/* Stage "forward": L2 forwarding. reflect swaps the Ethernet addresses and
 * sends the frame back out the receiving port (TX); redirect sends it to the
 * port pl_fwd names for the receiving interface (REDIRECT). */
#ifndef PL_STAGE_FORWARD_H
#define PL_STAGE_FORWARD_H

#include "../pl_ctx.h"

struct pl_fwd_val {
	__u32 out_port; /* devmap key in BPF, port index in user space */
	__u32 flags;    /* PL_FWD_F_* */
};
#define PL_FWD_F_SET_MACS 1u /* rewrite MACs: dst, then src, from the value */

struct pl_fwd_entry {
	struct pl_fwd_val v;
	__u8 dst_mac[6];
	__u8 src_mac[6];
};

/* Keyed by receiving ifindex. A policy names at most PL_PORTS_MAX rules; the
 * table holds two policies' worth, since a reload writes the new entries
 * before it removes the old ones. */
PL_TABLE(pl_fwd, HASH, __u32, struct pl_fwd_entry, 2 * PL_PORTS_MAX);

PL_INLINE void pl_swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	pl_memcpy(tmp, eth->h_dest, 6);
	pl_memcpy(eth->h_dest, eth->h_source, 6);
	pl_memcpy(eth->h_source, tmp, 6);
}

PL_INLINE int pl_stage_forward(struct pl_ctx *c)
{
	struct pl_fwd_entry *e;
	struct ethhdr *eth;

	if (c->cfg->fwd_mode == PL_FWD_REFLECT) {
		eth = pl_at(c, 0, sizeof(*eth));
		if (!eth)
			return PL_CONTINUE;
		pl_swap_macs(eth);
		pl_count(c, PL_CNT_FWD_TX);
		return PL_TX;
	}
	if (c->cfg->fwd_mode != PL_FWD_REDIRECT)
		return PL_CONTINUE;
	eth = pl_at(c, 0, sizeof(*eth));
	if (!eth)
		return PL_CONTINUE;
	e = pl_table_lookup(&pl_fwd, &c->ifindex);
	if (!e)
		return PL_CONTINUE;
	if (e->v.flags & PL_FWD_F_SET_MACS) {
		pl_memcpy(eth->h_dest, e->dst_mac, 6);
		pl_memcpy(eth->h_source, e->src_mac, 6);
	}
	c->out_port = e->v.out_port;
	pl_count(c, PL_CNT_FWD_REDIRECT);
	return PL_REDIRECT;
}

#endif
