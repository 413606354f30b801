/* SPDX-License-Identifier: MIT */
/* Stage "sample": copies 1 in N frames (optionally only those of some
 * verdicts and those a match selects) to user space, with their verdict:
 * the frame's first bytes and its metadata into a ring (a BPF ring buffer in
 * XDP, a ring per worker in user space: PL_RING in the platform shim). A
 * reader drains it into a pcap file (`pathlab-xdp sample`, pathlab-afxdp
 * --sample-out; toolkit/plt_sample.h).
 *
 * The stage runs first (block-listed frames can be sampled too) and picks
 * the frame; the copy is made once the verdict is known (the pipeline calls
 * pl_sample_verdict last), so a sample shows the frame as it leaves the
 * core (rewritten by the load balancer or the router) and what was decided
 * for it. It never changes a verdict. Malformed frames and count-only mode
 * do not reach the stages and are not sampled. A full ring loses the
 * sample, not the frame (sample_lost).
 *
 * 1 in N is counted, not drawn: every Nth frame that passes the filters, per
 * CPU / worker (the first one is sampled). The sequence counter is per CPU,
 * so nothing is shared on the fast path. */
#ifndef PL_STAGE_SAMPLE_H
#define PL_STAGE_SAMPLE_H

#include "../pl_ctx.h"
#include "acl.h" /* pl_acl_rule_match: the filter is an ACL rule's match */

/* Bytes of a frame a record holds at most (the policy's snap length is 1..this). */
#define PL_SAMPLE_SNAP_MAX 256
/* Records the ring holds (per worker in user space). */
#ifndef PL_SAMPLE_RING_RECS
#define PL_SAMPLE_RING_RECS 1024
#endif

struct pl_sample_params {
	__u32 every;    /* 1 in N (>= 1); 0: off */
	__u32 snap;     /* bytes per record, 1..PL_SAMPLE_SNAP_MAX */
	__u32 verdicts; /* mask of (1 << verdict) sampled; 0: every verdict */
	__u32 match;    /* 1: only frames rule matches (family, proto, prefixes, ports) */
	struct pl_acl_rule rule;
};

/* One record: metadata, then cap_len bytes of the frame's start. */
struct pl_sample_hdr {
	__u64 ts_ns;     /* the platform's monotonic clock (CLOCK_MONOTONIC) */
	__u32 frame_len; /* the whole frame, all its buffers */
	__u32 cap_len;   /* bytes in data[] */
	__u32 ifindex;   /* receiving interface */
	__u32 rx_queue;
	__u32 out_port;  /* with REDIRECT */
	__u8 verdict;    /* enum pl_verdict */
	__u8 pad[3];
};

struct pl_sample_rec {
	struct pl_sample_hdr h;
	__u8 data[PL_SAMPLE_SNAP_MAX];
};

/* Per CPU / worker: the 1-in-N sequence, and whether the frame in hand was
 * picked (set by the stage, used and cleared when the verdict is known: a
 * frame runs to completion on one CPU / worker). */
struct pl_sample_state {
	__u64 seq;
	__u32 picked;
	__u32 pad;
};

PL_TABLE(pl_sample_params, ARRAY, __u32, struct pl_sample_params, 1);
PL_TABLE(pl_sample_state, PERCPU_ARRAY, __u32, struct pl_sample_state, 1);
PL_RING(pl_sample_ring, struct pl_sample_rec, PL_SAMPLE_RING_RECS);

/* Pick the frame or not (the filters, then 1 in N). Verified on its own in
 * BPF; what it decides stays in pl_sample_state, not on the pipeline's
 * stack (512 bytes in all, and no state the verifier has to carry to the
 * exit). */
PL_STAGE_FN int pl_sample_pick(const struct pl_hdrs *h)
{
	struct pl_sample_params *p;
	struct pl_sample_state *s;
	__u32 zero = 0;

	if (!h)
		return 0;
	s = pl_table_lookup(&pl_sample_state, &zero);
	p = pl_table_lookup(&pl_sample_params, &zero);
	if (!s || !p || !p->every)
		return 0;
	if (p->match && !pl_acl_rule_match(&p->rule, h))
		return 0;
	if (s->seq && s->seq < p->every) { /* a smaller N from a new policy applies at once */
		s->seq = s->seq + 1 >= p->every ? 0 : s->seq + 1;
		return 0;
	}
	s->seq = p->every > 1 ? 1 : 0;
	s->picked = 1;
	return 0;
}

/* A picked frame, its verdict known (vp: the verdict in bits 0-7, out_port
 * above them): into the ring, unless the verdict filter leaves it out. */
PL_STAGE_FN int pl_sample_emit(pl_hw_ctx *hw, const struct pl_config *cfg, struct pl_counters *cnt,
			       __u64 vp)
{
	struct pl_sample_params *p;
	struct pl_sample_state *s;
	struct pl_sample_rec *r;
	__u32 zero = 0, cap;

	if (!hw || !cfg || !cnt || !cfg->sample_enabled)
		return 0;
	s = pl_table_lookup(&pl_sample_state, &zero);
	if (!s || !s->picked)
		return 0;
	s->picked = 0;
	p = pl_table_lookup(&pl_sample_params, &zero);
	if (!p || (p->verdicts && !(p->verdicts & (1u << (vp & 0x1f)))))
		return 0;
	cap = pl_hw_frame_len(hw);
	if (cap > p->snap)
		cap = p->snap;
	if (cap > PL_SAMPLE_SNAP_MAX)
		cap = PL_SAMPLE_SNAP_MAX;
	r = pl_ring_reserve(&pl_sample_ring, sizeof(*r));
	if (!r) {
		pl_stat_add(&cnt->c[PL_CNT_SAMPLE_LOST], 1);
		return 0;
	}
	r->h.ts_ns = pl_platform_now_ns();
	r->h.frame_len = pl_hw_frame_len(hw);
	r->h.ifindex = pl_hw_ifindex(hw);
	r->h.rx_queue = pl_hw_rx_queue(hw);
	r->h.verdict = (__u8)vp;
	r->h.out_port = (__u32)(vp >> 8);
	r->h.cap_len = cap;
	/* Bounds again, on a value read back (a volatile load the compiler
	 * keeps): the verifier proves the copy's length from these checks. */
	cap = *(volatile __u32 *)&r->h.cap_len;
	if (!cap || cap > PL_SAMPLE_SNAP_MAX || pl_hw_load_bytes(hw, 0, r->data, cap)) {
		pl_ring_discard(&pl_sample_ring, r);
		pl_stat_add(&cnt->c[PL_CNT_SAMPLE_LOST], 1);
		return 0;
	}
	pl_ring_submit(&pl_sample_ring, r);
	pl_stat_add(&cnt->c[PL_CNT_SAMPLED], 1);
	return 0;
}

PL_INLINE int pl_stage_sample(struct pl_ctx *c)
{
	if (c->cfg->sample_enabled)
		pl_sample_pick(&c->h);
	return PL_CONTINUE;
}

/* The pipeline's call once the verdict v is known, on every path (a frame
 * the stage did not pick, or with sampling off, costs the call and one
 * check). One call, no branch here: the verifier walks the pipeline's exits
 * once, not once per answer to "is sampling on". */
PL_INLINE void pl_sample_verdict(struct pl_ctx *c, int v)
{
#ifndef PL_TARGET_BPF
	/* Inline in user space (no verifier): sampling off costs one check. */
	if (!c->cfg->sample_enabled)
		return;
#endif
	pl_sample_emit(c->hw, c->cfg, c->cnt, (__u64)c->out_port << 8 | (__u32)v);
}

#endif
