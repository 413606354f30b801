// SPDX-License-Identifier: MIT
/* pathlab-afxdp, placement "user": the smallest XDP program that hands every
 * frame to the AF_XDP socket bound on the frame's receive queue. The core
 * then runs in the port's worker. With no socket on that queue the frame
 * goes to the host stack (XDP_PASS), so a half-configured port never
 * black-holes traffic. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef PL_XSK_MAX
#define PL_XSK_MAX 64
#endif

/* AF_XDP sockets by receive queue; the name libxdp and net_af_xdp expect. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, PL_XSK_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Frags-aware: multi-buffer frames go to a socket bound with XDP_USE_SG. */
SEC("xdp.frags")
int pl_redirect_all(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
