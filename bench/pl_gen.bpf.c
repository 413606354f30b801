// SPDX-License-Identifier: MIT
/* pl-gen's frame writer, run by BPF_PROG_TEST_RUN in live-frames mode.
 * Live-frames pages are recycled without their data being reset, so every
 * frame gets its whole header block rewritten from the precomputed table
 * (flows x protocol mix), and optionally a latency stamp; then it goes out
 * through the devmap (XDP_REDIRECT) or XDP_TX. Paced mode sends frame k at
 * start + k * interval: earlier runs return XDP_DROP without sending. After
 * the deadline (or the frame limit) every run returns XDP_DROP, so one call
 * can cover the whole duration. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pl_bench.h"

struct pl_gen_frame {
	__u8 b[PL_GEN_HDR_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pl_gen_frame);
	__uint(max_entries, PL_GEN_ENTRIES_MAX + 1); /* last one: the probe frame */
} pl_gen_frames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} pl_gen_tx SEC(".maps");

const volatile struct pl_gen_cfg pl_gen_cfg = {};
struct pl_gen_state pl_gen_state = {};

#define PL_COPY(n)                                     \
	do {                                           \
		if (data + (n) > data_end)             \
			return XDP_ABORTED;            \
		__builtin_memcpy(data, f->b, (n));     \
	} while (0)

SEC("xdp")
int pl_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pl_gen_state *st = &pl_gen_state;
	struct pl_gen_frame *f;
	__u32 idx, probe = 0;
	__u64 now = 0;

	if (st->sent >= st->limit)
		return XDP_DROP;
	if (pl_gen_cfg.paced) {
		__u64 rel;

		now = bpf_ktime_get_ns();
		if (now >= st->deadline_ns) {
			st->limit = st->sent;
			return XDP_DROP;
		}
		rel = (now - st->start_ns) << 16;
		if (rel < st->next_fp) {
			st->spins++;
			return XDP_DROP;
		}
		if (rel - st->next_fp > (pl_gen_cfg.max_lag_ns << 16)) {
			st->skipped_ns += (rel - st->next_fp) >> 16;
			st->next_fp = rel;
		}
		st->next_fp += pl_gen_cfg.interval_fp;
		st->last_ns = now;
		st->last_sent = st->sent + 1;
	} else if ((st->sent & 255) == 0) {
		/* full speed: look at the clock every 256 frames only */
		now = bpf_ktime_get_ns();
		if (now >= st->deadline_ns) {
			st->limit = st->sent;
			return XDP_DROP;
		}
		if (!st->call_ns) {
			st->call_ns = now;
			st->call_sent = st->sent;
		}
		st->last_ns = now;
		st->last_sent = st->sent;
	}
	if (pl_gen_cfg.probe_every && st->sent % pl_gen_cfg.probe_every == 0) {
		idx = PL_GEN_ENTRIES_MAX;
		probe = 1;
	} else {
		idx = st->sent % pl_gen_cfg.n_entries;
	}
	f = bpf_map_lookup_elem(&pl_gen_frames, &idx);
	if (!f)
		return XDP_ABORTED;
	switch (pl_gen_cfg.copy_len) {
	case 60: PL_COPY(60); break;
	case 64: PL_COPY(64); break;
	case 80: PL_COPY(80); break;
	case 96: PL_COPY(96); break;
	default: PL_COPY(128); break;
	}
	if (probe) {
		struct pl_probe_stamp *s = data + (pl_gen_cfg.probe_off & 0x7f);

		if ((void *)(s + 1) > data_end)
			return XDP_ABORTED;
		s->magic = bpf_htonl(PL_PROBE_MAGIC);
		s->seq = st->probes++;
		s->ts_ns = bpf_ktime_get_ns();
	}
	st->sent++;
	if (pl_gen_cfg.use_tx)
		return XDP_TX;
	return bpf_redirect_map(&pl_gen_tx, 0, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
