// SPDX-License-Identifier: MIT
/* The benchmark's fallback traffic generator and sink (pl-afxdp-gen), used
 * while the project generator bench/pl-gen is not available.
 * pl_gen runs under BPF_PROG_TEST_RUN with live frames: it rewrites the
 * whole 60-byte frame every time (live-frame pages are recycled without
 * being reset, see MEASURING.md), spreads frames over 256 UDP flows, and
 * redirects them out of out_ifindex. pl_sink counts and drops. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PL_GEN_LEN 60

const volatile __u32 out_ifindex = 0;
const volatile __u8 tmpl[PL_GEN_LEN] = { 0 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pl_gen_count SEC(".maps");

SEC("xdp")
int pl_gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&pl_gen_count, &zero);

	if (data + PL_GEN_LEN > end || !n)
		return XDP_ABORTED;
	for (int i = 0; i < PL_GEN_LEN; i++)
		data[i] = tmpl[i];
	/* UDP source port (offset 34): 256 flows. */
	data[35] = (__u8)*n;
	(*n)++;
	return bpf_redirect(out_ifindex, 0);
}

SEC("xdp")
int pl_sink(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&pl_gen_count, &zero);

	if (n)
		(*n)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
