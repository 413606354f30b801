// SPDX-License-Identifier: MIT
/* The pathlab core as one XDP program. Verdicts map to XDP actions:
 *   DROP -> XDP_DROP, PASS -> XDP_PASS, TX -> XDP_TX (on veth ports:
 *           bpf_redirect to the receiving port, see pl_tx_as_redirect),
 *   REDIRECT -> bpf_redirect_map(pl_tx_ports, out_port),
 *   USER -> bpf_redirect_map(xsks_map, rx_queue) falling back to XDP_PASS
 *           when no socket is bound on that queue, with the decision in
 *           the XDP metadata (pl_meta_put),
 *   ABORTED -> XDP_ABORTED.
 * With spreading on (pl_spread_n, set before load by pathlab-xdp --spread),
 * `pathlab` only hashes each flow to one CPU of the set and redirects it
 * into pl_cpumap; `pathlab_cpu`, the program of every cpumap entry, runs
 * the core there (TX leaves as a redirect to the receiving port: a cpumap
 * program cannot return XDP_TX). docs/xdp.md, "Spreading over CPUs".
 * In front of an Open vSwitch afxdp port (pathlab-xdp attach-ovs, which
 * sets pl_pass_to_xsk before load and shares OVS's own XSKMAP as xsks_map),
 * PASS means "what OVS should see": it goes to OVS's AF_XDP socket on the
 * receiving queue like USER, and to the kernel only when no socket is bound
 * there (what OVS's own program does). */
#include "pl_pipeline.h"

#ifndef PL_XSK_MAX
#define PL_XSK_MAX 64
#endif

/* REDIRECT targets: key = port, value = ifindex. In the pinned variant
 * (-DPL_PIN_MAPS) an array and bpf_redirect(): libbpf 1.1 cannot reuse a
 * pinned devmap (the kernel adds BPF_F_RDONLY_PROG to a devmap's flags,
 * which libbpf then finds different from the object's, and refuses). */
#ifdef PL_PIN_MAPS
PL_TABLE(pl_tx_ports, ARRAY, __u32, __u32, PL_PORTS_MAX);
#else
PL_TABLE(pl_tx_ports, DEVMAP, __u32, __u32, PL_PORTS_MAX);
#endif
/* USER: AF_XDP sockets by receive queue. Named as DPDK's net_af_xdp
 * `xdp_prog=` devarg and libxdp expect. */
PL_TABLE(xsks_map, XSKMAP, __u32, __u32, PL_XSK_MAX);

/* Set before load by pathlab-replay: record the core's own verdict and
 * out_port for each frame (test_run only shows the XDP action, and USER
 * and REDIRECT fall back or fail there). Off in every other use, and the
 * verifier prunes the code. */
const volatile __u32 pl_record_result = 0;
/* Set before load by attach-ovs: PASS -> xsks_map (see above). */
const volatile __u32 pl_pass_to_xsk = 0;
/* Set before load by pathlab-xdp when every port is a veth: TX leaves as
 * bpf_redirect(receiving port) instead of XDP_TX. A native-mode veth hands
 * XDP_TX frames to its peer's ring but wakes the peer only when the peer
 * has an XDP program of its own (the kernel's veth_xdp_flush checks the
 * peer's program, not its NAPI), so towards a plain host (GRO on, no
 * program) the responder's SYN-ACK waits until that host sends something
 * else, or is dropped when the peer has no NAPI at all. A redirect into the
 * same veth is flushed whenever the peer has NAPI (GRO on, threaded NAPI or
 * a program). */
const volatile __u32 pl_tx_as_redirect = 0;
/* USER frames carry what this program decided to user space in the XDP
 * metadata (core/pl_meta.h), so the hybrid placements' user-space core
 * resumes there instead of running the pipeline again. On unless the loader
 * clears it (pathlab-afxdp --no-xdp-meta). */
const volatile __u32 pl_user_meta = 1;
PL_TABLE(pl_last_result, PERCPU_ARRAY, __u32, struct pl_result_rec, 1);

/* Spreading: the number of slots of pl_spread_cpus in use (0: off, and the
 * verifier prunes the code); slot -> CPU; the cpumap (key = CPU, value =
 * queue size and pathlab_cpu's fd), all written by pathlab-xdp. */
#ifndef PL_SPREAD_MAX
#define PL_SPREAD_MAX 256
#endif
const volatile __u32 pl_spread_n = 0;
PL_TABLE(pl_spread_cpus, ARRAY, __u32, __u32, PL_SPREAD_MAX);
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(max_entries, PL_SPREAD_MAX);
	PL_TABLE_PINNING /* the pinned variant pins every table (pl_platform_impl.h) */
} pl_cpumap SEC(".maps");

/* The CPU of the frame's flow: the core's parser, then a hash of the
 * addresses and ports XORed (both directions of a flow on one CPU). Frames
 * that are not IP go by their ethertype. A missing entry aborts the frame
 * (bpf_redirect_map's fallback 0): the policy is never bypassed. Frames
 * handed over count as spread_queued; the target CPU's program counts
 * them again as rx_packets, so spread_queued - rx_packets (at rest) are
 * the frames the cpumap queue dropped (full: --spread-queue). */
static __always_inline int pl_spread(struct xdp_md *xdp)
{
	void *data = (void *)(long)xdp->data, *data_end = (void *)(long)xdp->data_end;
	struct pl_hdrs h = {};
	__u32 w[3] = {}, slot, *cpu, zero = 0;
	struct pl_counters *cnt;
	int v;

	if (pl_parse_frame(data, data_end, (__u32)(data_end - data), &h) >= 0 && h.family) {
		__u32 off = h.l3_off & 0x3ff;
		__u32 *a;

		if (h.family == 4) {
			a = data + off + 12;
			if ((void *)(a + 2) > data_end)
				return XDP_ABORTED;
			w[0] = a[0] ^ a[1];
		} else {
			a = data + off + 8;
			if ((void *)(a + 8) > data_end)
				return XDP_ABORTED;
			w[0] = a[0] ^ a[4];
			w[1] = (a[1] ^ a[5]) + (a[2] ^ a[6]) * 31 + (a[3] ^ a[7]) * 961;
		}
		w[2] = ((__u32)h.l4_proto << 16) | (__u16)(h.sport ^ h.dport);
	} else {
		w[2] = h.l3_proto;
	}
	slot = pl_hash_words(w, 3, 0) % pl_spread_n;
	cpu = bpf_map_lookup_elem(&pl_spread_cpus, &slot);
	if (!cpu)
		return XDP_ABORTED;
	v = bpf_redirect_map(&pl_cpumap, *cpu, 0);
	cnt = bpf_map_lookup_elem(&pl_counters, &zero);
	if (v == XDP_REDIRECT && cnt)
		pl_stat_add(&cnt->c[PL_CNT_SPREAD_QUEUED], 1);
	return v;
}

/* Put c's decision v in front of the frame (struct pl_meta). A driver
 * without metadata support refuses (meta_refused): the frame goes without,
 * and user space runs the whole pipeline on it (meta_missing there). It
 * takes the context pointer the pipeline keeps (c->hw): keeping the
 * program's own argument alive until here costs the verifier a quarter
 * more instructions. */
static __always_inline void pl_meta_put(struct pl_ctx *c, int v)
{
	struct xdp_md *xdp = c->hw;
	struct pl_meta *m;

	if (bpf_xdp_adjust_meta(xdp, -(int)sizeof(*m))) {
		pl_count(c, PL_CNT_META_REFUSED);
		return;
	}
	m = (void *)(long)xdp->data_meta;
	if ((void *)(m + 1) > (void *)(long)xdp->data)
		return;
	pl_meta_fill(m, &c->h, c->len, (__u32)c->stage, v);
}

/* Frags-aware (BPF_F_XDP_HAS_FRAGS): a frame larger than one buffer (MTU
 * 9000) arrives with its headers in the first buffer and its payload in
 * fragments; the core reads the first and counts the whole frame
 * (pl_hw_frame_len). Without it, native XDP refuses an MTU above a page. */
static __always_inline int pl_xdp(struct xdp_md *xdp, const int in_cpumap)
{
	struct pl_ctx c;
	int v;

	if (!in_cpumap && pl_spread_n)
		return pl_spread(xdp);
	v = pl_run(&c, xdp);

	if (pl_record_result) {
		__u32 zero = 0;
		struct pl_result_rec *r = bpf_map_lookup_elem(&pl_last_result, &zero);

		if (r) {
			r->verdict = v;
			r->out_port = c.out_port;
			r->seq++;
		}
	}
	switch (v) {
	case PL_DROP:
		return XDP_DROP;
	case PL_PASS:
		if (pl_pass_to_xsk)
			return bpf_redirect_map(&xsks_map, c.rx_queue, XDP_PASS);
		return XDP_PASS;
	case PL_TX:
		if (in_cpumap || pl_tx_as_redirect)
			return bpf_redirect(c.ifindex, 0);
		return XDP_TX;
	case PL_REDIRECT:
#ifdef PL_PIN_MAPS
	{
		__u32 *ifindex = bpf_map_lookup_elem(&pl_tx_ports, &c.out_port);

		/* an empty slot: XDP_ABORTED, as bpf_redirect_map gives */
		return ifindex && *ifindex ? bpf_redirect(*ifindex, 0) : XDP_ABORTED;
	}
#else
		return bpf_redirect_map(&pl_tx_ports, c.out_port, 0);
#endif
	case PL_USER:
		/* a cpumap frame belongs to no receive queue: no socket takes it */
		if (in_cpumap)
			return XDP_PASS;
		if (pl_user_meta)
			pl_meta_put(&c, v);
		return bpf_redirect_map(&xsks_map, c.rx_queue, XDP_PASS);
	default:
		return XDP_ABORTED;
	}
}

SEC("xdp.frags")
int pathlab(struct xdp_md *xdp)
{
	return pl_xdp(xdp, 0);
}

/* The core on the target CPU of a spread frame (pl_cpumap's entries). */
SEC("xdp.frags/cpumap")
int pathlab_cpu(struct xdp_md *xdp)
{
	return pl_xdp(xdp, 1);
}

/* The same program under the name of libxdp's AF_XDP default program, for
 * pathlab-xdp attach-ovs: attached through a bpf_link (which Open vSwitch
 * cannot detach), it is what libxdp finds on the interface when OVS creates
 * its sockets, so libxdp binds them into this program's xsks_map instead of
 * loading its own. libxdp accepts a program by its name, an XSKMAP named
 * xsks_map and the version below (at most the one it knows). */
SEC("xdp.frags")
int xsk_def_prog(struct xdp_md *xdp)
{
	return pl_xdp(xdp, 0);
}
__uint(xsk_prog_version, 1) SEC("xdp_metadata");

/* The baseline every speed figure is compared with. */
SEC("xdp.frags")
int pathlab_empty(struct xdp_md *xdp)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
