// SPDX-License-Identifier: MIT
/* A deliberately rate-limited DUT for the rate-search test: a token bucket
 * of PL_POLICER_PPS frames/s (burst PL_POLICER_BURST frames); frames within
 * the rate go back out with XDP_TX, the rest are dropped. One veth queue =
 * one NAPI instance, so the bucket is never updated concurrently. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef PL_POLICER_PPS
#define PL_POLICER_PPS 30000
#endif
#ifndef PL_POLICER_BURST
#define PL_POLICER_BURST 256
#endif
#define PL_NS 1000000000ull

struct pl_bucket {
	__u64 last_ns;
	__u64 tokens; /* frames x 1e9 */
	__u64 passed;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pl_bucket);
	__uint(max_entries, 1);
} pl_policer SEC(".maps");

SEC("xdp")
int pl_test_policer(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pl_bucket *b = bpf_map_lookup_elem(&pl_policer, &zero);
	__u64 now = bpf_ktime_get_ns();

	if (!b)
		return XDP_ABORTED;
	if (!b->last_ns)
		b->tokens = PL_POLICER_BURST * PL_NS;
	else
		b->tokens += (now - b->last_ns) * PL_POLICER_PPS;
	if (b->tokens > PL_POLICER_BURST * PL_NS)
		b->tokens = PL_POLICER_BURST * PL_NS;
	b->last_ns = now;
	if (b->tokens >= PL_NS) {
		b->tokens -= PL_NS;
		b->passed++;
		return XDP_TX;
	}
	b->dropped++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
