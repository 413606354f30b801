/* SPDX-License-Identifier: MIT */
/* The pipeline: parse, honour the mode switch, run the stages in order,
 * count the verdict. Included by exactly one translation unit per build (the
 * BPF program, or core/user/pl_core.c), which defines the tables. */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include "pl_ctx.h"
#include "pl_stages.h"
#include "pl_meta.h"

PL_INLINE void pl_count_protocols(struct pl_ctx *c)
{
	const struct pl_hdrs *h = &c->h;
	__u32 idx;

	if (h->vlan_depth)
		pl_count(c, PL_CNT_P_VLAN);
	if (h->family == 4)
		idx = PL_CNT_P_IPV4;
	else if (h->family == 6)
		idx = PL_CNT_P_IPV6;
	else if (h->l3_proto == PL_ETH_P_ARP)
		idx = PL_CNT_P_ARP;
	else
		idx = PL_CNT_P_OTHER_L3;
	pl_count(c, idx);
	if (!h->family)
		return;
	if (h->frag)
		pl_count(c, PL_CNT_P_FRAGMENT);
	switch (h->l4_proto) {
	case IPPROTO_TCP: idx = PL_CNT_P_TCP; break;
	case IPPROTO_UDP: idx = PL_CNT_P_UDP; break;
	case IPPROTO_ICMP: idx = PL_CNT_P_ICMP; break;
	case IPPROTO_ICMPV6: idx = PL_CNT_P_ICMPV6; break;
	default: idx = PL_CNT_P_OTHER_L4; break;
	}
	pl_count(c, idx);
}

/* The stages' indexes in PL_STAGES (struct pl_meta's stage). */
enum pl_stage_id {
#define PL_X(name) PL_STAGE_ID_##name,
	PL_STAGES(PL_X)
#undef PL_X
	PL_STAGE_ID__MAX,
};

/* The tables every frame uses: the live configuration bank and this CPU's
 * counters. A user-space burst takes them once for all its frames (one
 * configuration for the burst; the control plane's grace period waits for
 * the whole burst, core/user/pl_user.h). Returns 0, or -1 when a table is
 * missing (the frame is ABORTED). */
PL_INLINE int pl_run_tables(struct pl_ctx *c)
{
	__u32 zero = 0, bank;
	__u32 *live;

	live = pl_table_lookup(&pl_config_live, &zero);
	if (!live)
		return -1;
	bank = pl_config_bank_load(live) & (PL_CONFIG_BANKS - 1);
	c->cfg = pl_table_lookup(&pl_config, &bank);
	c->cnt = pl_table_lookup(&pl_counters, &zero);
	if (!c->cfg || !c->cnt)
		return -1;
	return 0;
}

/* The frame's part of the context: its buffer and what a frame starts
 * with. */
PL_INLINE void pl_run_frame_open(struct pl_ctx *c, pl_hw_ctx *hw)
{
	c->hw = hw;
	c->data = pl_hw_data(hw);
	c->data_end = pl_hw_data_end(hw);
	c->len = pl_hw_frame_len(hw);
	c->ifindex = pl_hw_ifindex(hw);
	c->rx_queue = pl_hw_rx_queue(hw);
	c->out_port = 0;
	c->now_ns = 0;
	c->stage = PL_META_NO_STAGE;
}

/* The frame's context: buffer, the live configuration bank, counters.
 * Returns 0, or -1 when a table is missing (the frame is ABORTED). */
PL_INLINE int pl_run_open(struct pl_ctx *c, pl_hw_ctx *hw)
{
	pl_run_frame_open(c, hw);
	return pl_run_tables(c);
}

PL_INLINE void pl_count_rx(struct pl_ctx *c)
{
	pl_stat_add(&c->cnt->c[PL_CNT_RX_PACKETS], 1);
	pl_stat_add(&c->cnt->c[PL_CNT_RX_BYTES], c->len);
}

/* The stages from index first on, in order, up to the first verdict (its
 * stage in c->stage); none: the default verdict. */
PL_INLINE int pl_run_stages(struct pl_ctx *c, __u32 first)
{
	int v;

#define PL_X(name)                                                              \
	if (PL_STAGE_ID_##name >= first) {                                      \
		v = pl_stage_##name(c);                                         \
		if (v != PL_CONTINUE) {                                         \
			c->stage = PL_STAGE_ID_##name;                          \
			return v;                                               \
		}                                                               \
	}
	PL_STAGES(PL_X)
#undef PL_X
	return c->cfg->default_verdict < PL_VERDICT__MAX && c->cfg->default_verdict != PL_REDIRECT
		       ? (int)c->cfg->default_verdict
		       : PL_PASS;
}

/* Count the verdict and take the sample the sample stage picked. */
PL_INLINE int pl_run_end(struct pl_ctx *c, int v)
{
	if (v < 0 || v >= PL_VERDICT__MAX)
		v = PL_ABORTED;
	pl_stat_add(&c->cnt->c[PL_CNT_V_DROP + v], 1);
	pl_sample_verdict(c, v);
	return v;
}

/* The whole pipeline on a frame pl_run_open opened. */
PL_INLINE int pl_run_frame(struct pl_ctx *c)
{
	int v;

	pl_count_rx(c);
	switch (c->cfg->mode) {
	case PL_MODE_PASS_ALL:
		v = PL_PASS;
		goto out;
	case PL_MODE_DROP_ALL:
		v = PL_DROP;
		goto out;
	default:
		break;
	}

	if (pl_parse_frame(c->data, c->data_end, c->len, &c->h) < 0) {
		pl_count(c, c->h.bad);
		/* count-only observes and changes nothing: malformed frames
		 * are counted in their class and passed like the rest. */
		if (c->cfg->mode == PL_MODE_COUNT_ONLY)
			v = PL_PASS;
		else
			v = c->cfg->malformed_verdict < PL_VERDICT__MAX &&
					    c->cfg->malformed_verdict != PL_REDIRECT
				    ? (int)c->cfg->malformed_verdict
				    : PL_DROP;
		goto out;
	}
	pl_count_protocols(c);

	if (c->cfg->mode == PL_MODE_COUNT_ONLY) {
		pl_stage_count(c);
		v = PL_PASS;
		goto out;
	}
	v = pl_run_stages(c, 0);
out:
	return pl_run_end(c, v);
}

/* Run the core on one frame. Returns the verdict (never PL_CONTINUE); with
 * PL_REDIRECT, c->out_port names the port; c->stage is the stage that
 * decided (PL_META_NO_STAGE: the mode, the parser or the default). */
PL_INLINE int pl_run(struct pl_ctx *c, pl_hw_ctx *hw)
{
	if (pl_run_open(c, hw))
		return PL_ABORTED;
	return pl_run_frame(c);
}

/* Resume a frame the XDP build already ran (the hybrid placements): m is
 * what it decided (core/pl_meta.h). The parse and the stages up to m->stage
 * are not run again, and what they count (protocols, per-stage counters,
 * per-source state, buckets, samples) stays counted once, in the kernel;
 * this side counts the frame (rx), meta_used and the verdict. A verdict in
 * m is final; PL_CONTINUE runs the stages after m->stage. On a context
 * pl_run_open opened. Returns the verdict, or -1 when offsets in m do not
 * fit the frame: nothing was counted, and the caller runs the whole
 * pipeline (pl_run_frame) and counts meta_missing. */
PL_INLINE int pl_run_resume(struct pl_ctx *c, const struct pl_meta *m)
{
	int v;

	if (pl_meta_hdrs(m, c->data, c->data_end, &c->h))
		return -1;
	pl_count_rx(c);
	pl_count(c, PL_CNT_META_USED);
	c->stage = m->stage;
	v = m->verdict;
	if (v == PL_CONTINUE)
		v = pl_run_stages(c, (__u32)m->stage + 1);
	return pl_run_end(c, v);
}

#endif
