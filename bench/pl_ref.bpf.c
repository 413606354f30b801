// SPDX-License-Identifier: MIT
/* The bare XDP reference of the comparison harness: the least an XDP
 * program can do for each workload, to measure the datapaths against.
 * pl_ref_cfg[0].action: PL_REF_DROP drops every frame; PL_REF_FWD writes both
 * MACs and redirects through the one-entry devmap pl_ref_port (what an L2
 * forward must do, and the way pathlab's own redirect goes). Loaded, configured
 * and attached with bpftool by bench/pathlab_bench/paths.py. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#define PL_REF_DROP 0
#define PL_REF_FWD 1

struct pl_ref_cfg {
	__u32 action;
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pl_ref_cfg);
	__uint(max_entries, 1);
} pl_ref_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} pl_ref_port SEC(".maps");

SEC("xdp.frags")
int pl_ref(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 k = 0;
	struct pl_ref_cfg *cfg = bpf_map_lookup_elem(&pl_ref_cfg, &k);

	if (!cfg || cfg->action == PL_REF_DROP)
		return XDP_DROP;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, cfg->dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, cfg->src, ETH_ALEN);
	return bpf_redirect_map(&pl_ref_port, 0, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
