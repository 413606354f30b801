/* SPDX-License-Identifier: MIT */
/* The per-frame context every stage receives, and the tables the pipeline
 * itself owns (configuration and counters). */
#ifndef PL_CTX_H
#define PL_CTX_H

#include "pl_platform.h"
#include "pl_types.h"
#include "pl_parse.h"

struct pl_ctx {
	pl_hw_ctx *hw;
	void *data;
	void *data_end;
	struct pl_config *cfg;
	struct pl_counters *cnt; /* this CPU's / worker's counters */
	__u64 now_ns;            /* read once per frame, only by stages that need it */
	__u32 len;               /* the whole frame, all its buffers */
	__u32 ifindex;           /* receiving interface */
	__u32 rx_queue;
	__u32 out_port;          /* set with REDIRECT */
	__u64 stage;             /* the stage that decided (enum pl_stage_id), or PL_META_NO_STAGE;
				  * 64 bits: the verifier tracks a spilled constant, not bytes */
	struct pl_hdrs h;
};

/* The configuration: two banks and the index of the live one. The control
 * plane writes the idle bank whole, then the index; a frame reads the index
 * once and uses that bank throughout, so it sees one configuration. Before
 * it rewrites a bank that was live, the control plane waits until no frame
 * started before the last flip is still running (pl_ctl_set_config). A map
 * nobody wrote is all zeros: bank 0, mode pass-all. */
#define PL_CONFIG_BANKS 2
PL_TABLE(pl_config, ARRAY, __u32, struct pl_config, PL_CONFIG_BANKS);
PL_TABLE(pl_config_live, ARRAY, __u32, __u32, 1);
/* Counters: one entry per CPU / worker. */
PL_TABLE(pl_counters, PERCPU_ARRAY, __u32, struct pl_counters, 1);

PL_INLINE void pl_count(struct pl_ctx *c, __u32 idx)
{
	if (idx < PL_CNT__MAX)
		pl_stat_add(&c->cnt->c[idx], 1);
}

/* Is the frame in one buffer? Multi-buffer frames keep their headers in
 * the first one (data..data_end, all the core reads); the rest is payload. */
PL_INLINE int pl_linear(const struct pl_ctx *c)
{
	return c->len == (__u32)(c->data_end - c->data);
}

/* Re-derive a pointer to len bytes at off after parsing; NULL if out of
 * bounds (it never is for offsets pl_parse() recorded, but the verifier
 * needs the check). */
PL_INLINE void *pl_at(struct pl_ctx *c, __u32 off, __u32 len)
{
	return pl_ptr(c->data, c->data_end, off, len);
}

/* pl_at() for offsets computed at run time (header offsets plus lengths):
 * the offset is masked to 14 bits so the verifier can add len to a pointer
 * whose variable part stays below MAX_PACKET_OFF (0xffff). Frames and the
 * offsets of their headers are far below 16 KiB on every datapath. */
#define PL_VAR_OFF_MASK 0x3fff
PL_INLINE void *pl_at_var(struct pl_ctx *c, __u32 off, __u32 len)
{
	return pl_ptr(c->data, c->data_end, off & PL_VAR_OFF_MASK, len);
}

/* The clock stages use: the platform's monotonic clock, or the fixed time
 * the control plane set in the configuration (tests and replay drive time
 * explicitly so every build sees the same "now"). */
PL_INLINE __u64 pl_now(struct pl_ctx *c)
{
	if (!c->now_ns)
		c->now_ns = c->cfg->clock_ns ? c->cfg->clock_ns : pl_platform_now_ns();
	return c->now_ns;
}

/* Head/tail adjustment through the shim; refreshes data pointers. The caller
 * must re-parse (or re-derive offsets) afterwards. */
PL_INLINE int pl_adjust_head(struct pl_ctx *c, int delta)
{
	int err = pl_hw_adjust_head(c->hw, delta);

	c->data = pl_hw_data(c->hw);
	c->data_end = pl_hw_data_end(c->hw);
	c->len = pl_hw_frame_len(c->hw);
	if (err)
		pl_count(c, PL_CNT_ADJUST_FAIL);
	return err;
}

PL_INLINE int pl_adjust_tail(struct pl_ctx *c, int delta)
{
	int err = pl_hw_adjust_tail(c->hw, delta);

	c->data = pl_hw_data(c->hw);
	c->data_end = pl_hw_data_end(c->hw);
	c->len = pl_hw_frame_len(c->hw);
	if (err)
		pl_count(c, PL_CNT_ADJUST_FAIL);
	return err;
}

#endif
