// SPDX-License-Identifier: MIT
/* pl-sink's XDP program: count every frame per flow class (per-CPU), and for
 * latency probes (UDP to the probe port carrying struct pl_probe_stamp)
 * record now - stamp into a log-linear histogram; IPv4 frames per TTL, and
 * those whose header checksum is wrong (what a router in front changed is
 * checked where the frames land). Returns the configured action (XDP_DROP
 * by default). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pl_bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pl_sink_count);
	__uint(max_entries, PL_CLASS_MAX);
} pl_sink_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PL_HIST_BUCKETS);
} pl_sink_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct pl_sink_lat);
	__uint(max_entries, 1);
} pl_sink_lat SEC(".maps");

/* IPv4 frames (20-byte header) by TTL (0-255); PL_SINK_TTL_BAD_CSUM: those
 * with a wrong header checksum. The harness reads it with bpftool through
 * the program attached to the sink's interface. */
#define PL_SINK_TTL_BAD_CSUM 256
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PL_SINK_TTL_BAD_CSUM + 1);
} pl_sink_ttl SEC(".maps");

const volatile struct pl_sink_cfg pl_sink_cfg = { .action = XDP_DROP };

/* Histogram bucket of a delay in ns (see pl_bench.h). */
static __always_inline __u32 pl_bucket(__u64 d)
{
	__u32 l = 0;

	if (d < 8)
		return d;
	if (d >> 32) { d >>= 32; l += 32; }
	if (d >> 16) { d >>= 16; l += 16; }
	if (d >> 8) { d >>= 8; l += 8; }
	if (d >> 4) { d >>= 4; l += 4; }
	if (d >> 2) { d >>= 2; l += 2; }
	if (d >> 1) { l += 1; }
	return l; /* caller combines with the sub-bucket */
}

/* Record one probe's delay. */
static __always_inline void pl_probe_record(struct pl_probe_stamp *s)
{
	__u32 zero = 0, b, l;
	struct pl_sink_lat *lat = bpf_map_lookup_elem(&pl_sink_lat, &zero);
	__u64 now = bpf_ktime_get_ns(), d, *h;

	if (!lat)
		return;
	if (s->magic != bpf_htonl(PL_PROBE_MAGIC)) {
		lat->bad++;
		return;
	}
	if (s->ts_ns > now) {
		lat->negative++;
		return;
	}
	d = now - s->ts_ns;
	if (d < 8) {
		b = d;
	} else {
		l = pl_bucket(d);
		b = 8 * (l - 2) + ((d >> (l - 3)) & 7);
	}
	if (b >= PL_HIST_BUCKETS)
		b = PL_HIST_BUCKETS - 1;
	h = bpf_map_lookup_elem(&pl_sink_hist, &b);
	if (h)
		(*h)++;
	lat->count++;
	lat->sum_ns += d;
	if (d > lat->max_ns)
		lat->max_ns = d;
	if (!lat->min_ns || d < lat->min_ns)
		lat->min_ns = d;
}

/* Count an IPv4 header (ihl 5, inside the frame) by TTL, or as a bad
 * checksum: the one's-complement sum of its ten words must be 0xffff. */
static __always_inline void pl_ttl_record(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0, k;
	__u64 *n;

	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	k = sum == 0xffff ? ip->ttl : PL_SINK_TTL_BAD_CSUM;
	n = bpf_map_lookup_elem(&pl_sink_ttl, &k);
	if (n)
		(*n)++;
}

/* Frags-aware, so it attaches natively at MTU 9000; bytes count the whole
 * frame. */
SEC("xdp.frags")
int pl_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct pl_sink_count *c;
	struct udphdr *udp = NULL;
	__u32 cls = PL_CLASS_NONIP;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		goto count;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			goto count;
		proto = ip->protocol;
		cls = proto == IPPROTO_UDP ? PL_CLASS_UDP4 : proto == IPPROTO_TCP ? PL_CLASS_TCP4 :
		      proto == IPPROTO_ICMP ? PL_CLASS_ICMP4 : PL_CLASS_OTHER4;
		if (ip->ihl == 5)
			pl_ttl_record(ip);
		if (proto == IPPROTO_UDP && ip->ihl == 5)
			udp = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			goto count;
		proto = ip6->nexthdr;
		cls = proto == IPPROTO_UDP ? PL_CLASS_UDP6 : proto == IPPROTO_TCP ? PL_CLASS_TCP6 :
		      proto == IPPROTO_ICMPV6 ? PL_CLASS_ICMP6 : PL_CLASS_OTHER6;
		if (proto == IPPROTO_UDP)
			udp = (void *)(ip6 + 1);
	}
	if (udp && (void *)(udp + 1) <= data_end && udp->dest == pl_sink_cfg.probe_port) {
		struct pl_probe_stamp *s = (void *)(udp + 1);

		cls = PL_CLASS_PROBE;
		if ((void *)(s + 1) <= data_end) {
			pl_probe_record(s);
		} else {
			__u32 zero = 0;
			struct pl_sink_lat *lat = bpf_map_lookup_elem(&pl_sink_lat, &zero);

			if (lat)
				lat->bad++;
		}
	}
count:
	c = bpf_map_lookup_elem(&pl_sink_counts, &cls);
	if (c) {
		c->packets++;
		c->bytes += bpf_xdp_get_buff_len(ctx);
	}
	return pl_sink_cfg.action;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
