// SPDX-License-Identifier: MIT
/* pl-gen: the lab's traffic generator. Frames are written by pl_gen.bpf.c and
 * injected with BPF_PROG_TEST_RUN in live-frames mode (kernel 5.18+): one
 * large repeat per call, XDP_REDIRECT through a devmap into the target
 * interface (or XDP_TX). Falls back to AF_XDP transmit (copy mode, libxdp)
 * when live frames are unavailable. Prints what it sent. */
#include "pl_bench_util.h"
#include "pl_bench.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <netinet/tcp.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <sched.h>
#include <time.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#ifdef PL_HAVE_LIBPCAP
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#endif
#ifdef PL_HAVE_LIBXDP
#include <xdp/xsk.h>
#endif
#include <linux/if_link.h>

enum pl_proto { PL_P_UDP, PL_P_TCP, PL_P_SYN, PL_P_ICMP, PL_P_MAX };
static const char *const pl_proto_names[PL_P_MAX] = { "udp", "tcp", "syn", "icmp" };

struct pl_gen_opts {
	char dev[IF_NAMESIZE];
	const char *topo;
	unsigned int size;     /* wire size, with the 4-byte FCS */
	unsigned int flows;
	unsigned int src_addrs;
	unsigned int mix[PL_P_MAX];
	bool ipv6;
	double rate;           /* 0: full speed */
	double duration;
	uint64_t count;        /* 0: no limit */
	const char *pcap;
	uint8_t smac[6], dmac[6];
	bool has_smac, has_dmac;
	char sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	unsigned int sport, dport;
	unsigned int probe_every;
	unsigned int probe_port;
	unsigned int batch;
	unsigned int max_burst;
	const char *mode;      /* redirect, tx, afxdp */
	int cpu;
	bool json;
};

static volatile sig_atomic_t pl_stop;

/* SIGINT/SIGTERM: stop after the current chunk. */
static void pl_on_signal(int sig)
{
	pl_stop = 1;
}

enum { O_SRC_ADDRS = 256, O_PCAP, O_SMAC, O_DMAC, O_SIP, O_DIP, O_SPORT, O_DPORT, O_PROBE, O_PPORT,
       O_MODE, O_CPU, O_JSON, O_BURST, O_NICE };
static const struct pl_opt pl_gen_optv[] = {
	{ "dev", "IF", 'i', "target interface (default: GEN_IF of --topo)" },
	{ "topo", "NAME", 'T', "take interface, MACs and addresses from pl-topo info NAME" },
	{ "size", "BYTES", 's', "frame size on the wire, with the 4-byte FCS (default 64; --pcap: its first frame's)" },
	{ "flows", "N", 'f', "flows: source port varies over N values (default 256)" },
	{ "src-addrs", "K", O_SRC_ADDRS, "source address also varies over K consecutive addresses (default 1)" },
	{ "proto", "MIX", 'p', "udp, tcp (ACK), syn, icmp, or a mix like udp:3,tcp:1 (default udp)" },
	{ "ipv6", NULL, '6', "IPv6 instead of IPv4" },
	{ "rate", "PPS", 'r', "target rate in packets/s (suffix k, M); 0 or absent: full speed" },
	{ "duration", "SEC", 'd', "how long to send (default 5)" },
	{ "count", "N", 'n', "stop after exactly N frames" },
	{ "pcap", "FILE", O_PCAP, "frames from this pcap as templates (up to 65536; first 60-128 bytes of each)" },
	{ "src-mac", "MAC", O_SMAC, "source MAC" },
	{ "dst-mac", "MAC", O_DMAC, "destination MAC (the DUT's)" },
	{ "src-ip", "ADDR", O_SIP, "first source address" },
	{ "dst-ip", "ADDR", O_DIP, "destination address" },
	{ "sport", "PORT", O_SPORT, "first source port (default 1024)" },
	{ "dport", "PORT", O_DPORT, "destination port (default 7)" },
	{ "probe-every", "N", O_PROBE, "every Nth frame is a timestamped latency probe (default 0: none)" },
	{ "probe-port", "PORT", O_PPORT, "UDP destination port of probes (default 9999)" },
	{ "batch", "N", 'b', "live-frames batch size (default 256)" },
	{ "max-burst", "N", O_BURST, "paced: frames it may send back to back to catch up (default 64)" },
	{ "mode", "M", O_MODE, "redirect (default), tx (XDP_TX out of --dev), afxdp (AF_XDP copy mode)" },
	{ "cpu", "N", O_CPU, "pin the generator to CPU N" },
	{ "nice", "N", O_NICE, "run at this nice value (e.g. -10: paced rates hold better on a busy machine)" },
	{ "json", NULL, O_JSON, "print the result as JSON" },
	{ "verbose", NULL, 'v', "more messages (libbpf's too)" },
	{ "help", NULL, 'h', "this text" },
};
#define PL_NOPTS ((int)(sizeof(pl_gen_optv) / sizeof(pl_gen_optv[0])))

/* Print usage. */
static void pl_gen_usage(FILE *f)
{
	fprintf(f, "usage: pl-gen [options]   (run it in the generator's namespace: ip netns exec NS pl-gen ...)\n"
		   "Sends frames into --dev with BPF_PROG_TEST_RUN live frames; prints packets, bytes, rate.\n");
	pl_opts_usage(f, pl_gen_optv, PL_NOPTS);
}

/* Parse "12.5M", "100k" into a number. */
static int pl_parse_num(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1e9, end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parse a MAC address. */
static int pl_parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ?
		       0 : -EINVAL;
}

/* Parse the protocol mix. */
static int pl_parse_mix(const char *s, unsigned int *mix)
{
	char buf[128], *tok, *save = NULL;
	int p;

	memset(mix, 0, sizeof(unsigned int) * PL_P_MAX);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		unsigned int w = 1;

		if (colon) {
			*colon = 0;
			w = strtoul(colon + 1, NULL, 10);
			if (!w || w > 64)
				return -EINVAL;
		}
		for (p = 0; p < PL_P_MAX; p++)
			if (!strcmp(tok, pl_proto_names[p]))
				break;
		if (p == PL_P_MAX)
			return -EINVAL;
		mix[p] += w;
	}
	return 0;
}

/* Internet checksum over len bytes, continuing from sum. */
static uint32_t pl_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

/* Fold a checksum into 16 bits, complemented, network order. */
static uint16_t pl_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* L4 checksum with the IPv4/IPv6 pseudo-header. */
static uint16_t pl_l4_csum(bool v6, const void *src, const void *dst, uint8_t proto, const void *l4, size_t len)
{
	uint32_t sum = 0;

	sum = pl_csum_add(sum, src, v6 ? 16 : 4);
	sum = pl_csum_add(sum, dst, v6 ? 16 : 4);
	sum += proto + (uint32_t)len;
	sum = pl_csum_add(sum, l4, len);
	return pl_csum_fold(sum);
}

struct pl_addrs {
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
};

/* Write one whole frame of flen bytes: flow `flow`, protocol p; a probe if probe. */
static size_t pl_build_frame(uint8_t *buf, size_t flen, const struct pl_gen_opts *o, const struct pl_addrs *a,
			     int p, unsigned int flow, bool probe)
{
	struct ether_header *eth = (void *)buf;
	uint8_t *l3 = buf + sizeof(*eth), *l4;
	size_t l4len, hdr;
	uint16_t sport = o->sport + flow % 60000;
	unsigned int addr_off = o->src_addrs > 1 ? flow % o->src_addrs : 0;
	uint8_t proto;
	void *src, *dst;
	struct in_addr s4 = a->s4;
	struct in6_addr s6 = a->s6;

	memset(buf, 0, flen);
	memcpy(eth->ether_dhost, o->dmac, 6);
	memcpy(eth->ether_shost, o->smac, 6);
	if (probe)
		p = PL_P_UDP;
	proto = p == PL_P_ICMP ? (o->ipv6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) : p == PL_P_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	if (!o->ipv6) {
		struct iphdr *ip = (void *)l3;

		eth->ether_type = htons(ETHERTYPE_IP);
		s4.s_addr = htonl(ntohl(s4.s_addr) + addr_off);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(flen - sizeof(*eth));
		ip->id = htons(flow);
		ip->frag_off = htons(IP_DF);
		ip->ttl = 64;
		ip->protocol = proto;
		ip->saddr = s4.s_addr;
		ip->daddr = a->d4.s_addr;
		ip->check = pl_csum_fold(pl_csum_add(0, ip, sizeof(*ip)));
		l4 = l3 + sizeof(*ip);
		src = &ip->saddr, dst = &ip->daddr;
	} else {
		struct ip6_hdr *ip6 = (void *)l3;

		eth->ether_type = htons(ETHERTYPE_IPV6);
		s6.s6_addr32[3] = htonl(ntohl(s6.s6_addr32[3]) + addr_off);
		ip6->ip6_flow = htonl(6u << 28 | (flow & 0xfffff));
		ip6->ip6_plen = htons(flen - sizeof(*eth) - sizeof(*ip6));
		ip6->ip6_nxt = proto;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = s6;
		ip6->ip6_dst = a->d6;
		l4 = l3 + sizeof(*ip6);
		src = &ip6->ip6_src, dst = &ip6->ip6_dst;
	}
	l4len = flen - (l4 - buf);
	if (p == PL_P_UDP) {
		struct udphdr *u = (void *)l4;

		u->source = htons(sport);
		u->dest = htons(probe ? o->probe_port : o->dport);
		u->len = htons(l4len);
		hdr = sizeof(*u);
		if (!probe)
			u->check = pl_l4_csum(o->ipv6, src, dst, proto, l4, l4len);
		/* probes: the stamp changes per frame, so no checksum (IPv6: invalid, the sink ignores it) */
	} else if (p == PL_P_ICMP) {
		struct icmphdr *ic = (void *)l4;

		ic->type = o->ipv6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		ic->un.echo.id = htons(flow);
		ic->un.echo.sequence = htons(1);
		hdr = sizeof(*ic);
		ic->checksum = o->ipv6 ? pl_l4_csum(true, src, dst, proto, l4, l4len) :
					 pl_csum_fold(pl_csum_add(0, l4, l4len));
	} else {
		struct tcphdr *t = (void *)l4;

		t->source = htons(sport);
		t->dest = htons(o->dport);
		t->seq = htonl(0x10000000u + flow);
		t->ack_seq = p == PL_P_SYN ? 0 : htonl(1);
		t->doff = 5;
		if (p == PL_P_SYN)
			t->syn = 1;
		else
			t->ack = 1, t->psh = 1;
		t->window = htons(65535);
		hdr = sizeof(*t);
		t->check = pl_l4_csum(o->ipv6, src, dst, proto, l4, l4len);
	}
	return (l4 - buf) + hdr;
}

#ifdef PL_HAVE_LIBPCAP
/* Read up to max frames of a pcap into tmpl (flen bytes each); returns count or -errno. */
static int pl_read_pcap(const char *file, uint8_t *tmpl, size_t flen, size_t *first_len, int max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int n = 0;

	pc = pcap_open_offline(file, err);
	if (!pc) {
		pr_warn("pl-gen: cannot read pcap %s: %s\n", file, err);
		return -EINVAL;
	}
	while (n < max && pcap_next_ex(pc, &h, &d) == 1) {
		uint8_t *f = tmpl + (size_t)n * flen;
		size_t len = h->caplen < flen ? h->caplen : flen;

		if (!n)
			*first_len = h->caplen;
		memset(f, 0, flen);
		memcpy(f, d, len);
		n++;
	}
	pcap_close(pc);
	return n;
}

/* Make a pcap frame's IP/UDP lengths match flen (and its IPv4 checksum). */
static void pl_fix_lengths(uint8_t *f, size_t flen)
{
	struct ether_header *eth = (void *)f;

	if (eth->ether_type == htons(ETHERTYPE_IP)) {
		struct iphdr *ip = (void *)(f + 14);
		size_t ihl = ip->ihl * 4;

		ip->tot_len = htons(flen - 14);
		ip->check = 0;
		ip->check = pl_csum_fold(pl_csum_add(0, ip, ihl));
		if (ip->protocol == IPPROTO_UDP && 14 + ihl + 8 <= flen) {
			struct udphdr *u = (void *)(f + 14 + ihl);

			u->len = htons(flen - 14 - ihl);
			u->check = 0;
		}
	} else if (eth->ether_type == htons(ETHERTYPE_IPV6)) {
		struct ip6_hdr *ip6 = (void *)(f + 14);

		ip6->ip6_plen = htons(flen - 54);
		if (ip6->ip6_nxt == IPPROTO_UDP && 62 <= flen)
			((struct udphdr *)(f + 54))->len = htons(flen - 54);
	}
}
#endif

struct pl_gen_result {
	const char *mode;
	uint64_t packets, probes, skipped_ns;
	double seconds;
	size_t flen;
};

/* Print what was sent. */
static void pl_gen_report(const struct pl_gen_opts *o, const struct pl_gen_result *r)
{
	double pps = r->seconds > 0 ? r->packets / r->seconds : 0;
	double bytes = (double)r->packets * r->flen;

	if (o->json) {
		printf("{\"tool\":\"pl-gen\",\"mode\":\"%s\",\"dev\":\"%s\",\"size\":%u,\"frame_len\":%zu,"
		       "\"flows\":%u,\"ipv6\":%s,\"target_pps\":%.0f,\"packets\":%llu,\"bytes\":%.0f,"
		       "\"probes\":%llu,\"seconds\":%.6f,\"pps\":%.1f,\"mpps\":%.4f,\"gbps_wire\":%.4f,"
		       "\"schedule_skipped_ns\":%llu}\n",
		       r->mode, o->dev, o->size, r->flen, o->flows, o->ipv6 ? "true" : "false", o->rate,
		       (unsigned long long)r->packets, bytes, (unsigned long long)r->probes, r->seconds, pps,
		       pps / 1e6, pps * (r->flen + 24) * 8 / 1e9, (unsigned long long)r->skipped_ns);
		return;
	}
	printf("pl-gen: mode=%s dev=%s size=%u (frame %zu) flows=%u %s target=%s\n", r->mode, o->dev,
	       o->size, r->flen, o->flows, o->ipv6 ? "ipv6" : "ipv4", o->rate > 0 ? "paced" : "full-speed");
	printf("sent %llu packets, %.0f bytes (probes %llu) in %.3f s: %.4f Mpps, %.3f Gbit/s on the wire\n",
	       (unsigned long long)r->packets, bytes, (unsigned long long)r->probes, r->seconds, pps / 1e6,
	       pps * (r->flen + 24) * 8 / 1e9);
	if (o->rate > 0)
		printf("target %.0f pps, achieved %.2f%% (schedule skipped %.3f ms after stalls)\n", o->rate,
		       100.0 * pps / o->rate, r->skipped_ns / 1e6);
}

#ifdef PL_HAVE_LIBXDP
/* AF_XDP transmit (copy mode) from the precomputed frames; paced in user space. */
static int pl_gen_afxdp(const struct pl_gen_opts *o, const uint8_t *frames, uint32_t n_entries,
			const uint8_t *probe_frame, size_t probe_off, size_t flen, struct pl_gen_result *r)
{
	enum { NFRAMES = 4096, FSIZE = 2048, BATCH = 64 };
	struct xsk_socket_config xcfg = { .rx_size = 0, .tx_size = 2048,
					  .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
					  .bind_flags = XDP_COPY };
	struct xsk_umem_config ucfg = { .fill_size = 2048, .comp_size = 2048, .frame_size = FSIZE };
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	uint64_t free_stack[NFRAMES], seq = 0;
	int nfree = NFRAMES, err, i;
	double t0, deadline, now;
	void *area;

	area = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&umem, area, (size_t)NFRAMES * FSIZE, &fq, &cq, &ucfg);
	if (err)
		goto unmap;
	err = xsk_socket__create(&xsk, o->dev, 0, umem, NULL, &tx, &xcfg);
	if (err) {
		pr_warn("pl-gen: AF_XDP socket on %s queue 0: %s\n", o->dev, strerror(-err));
		goto delete_umem;
	}
	for (i = 0; i < NFRAMES; i++)
		free_stack[i] = (uint64_t)i * FSIZE;
	t0 = pl_now();
	deadline = t0 + o->duration;
	while (!pl_stop && (now = pl_now()) < deadline && (!o->count || seq < o->count)) {
		uint32_t idx = 0, done, want = BATCH, k;

		done = xsk_ring_cons__peek(&cq, NFRAMES, &idx);
		for (k = 0; k < done; k++)
			free_stack[nfree++] = *xsk_ring_cons__comp_addr(&cq, idx + k);
		xsk_ring_cons__release(&cq, done);
		if (o->rate > 0) {
			double due = (now - t0) * o->rate - (double)seq;

			if (due < 1)
				continue;
			want = due < BATCH ? (uint32_t)due : BATCH;
		}
		if (o->count && seq + want > o->count)
			want = o->count - seq;
		if ((int)want > nfree)
			want = nfree;
		if (!want || xsk_ring_prod__reserve(&tx, want, &idx) != want) {
			sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
			continue;
		}
		for (k = 0; k < want; k++, seq++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx, idx + k);
			uint8_t *f;

			d->addr = free_stack[--nfree];
			d->len = flen;
			f = xsk_umem__get_data(area, d->addr);
			if (o->probe_every && seq % o->probe_every == 0) {
				struct pl_probe_stamp s = { htonl(PL_PROBE_MAGIC), (uint32_t)r->probes++, 0 };
				struct timespec ts;

				memcpy(f, probe_frame, flen);
				clock_gettime(CLOCK_MONOTONIC, &ts);
				s.ts_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
				memcpy(f + probe_off, &s, sizeof(s));
			} else {
				memcpy(f, frames + (size_t)(seq % n_entries) * flen, flen);
			}
		}
		xsk_ring_prod__submit(&tx, want);
		sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	}
	/* Copy mode sends a limited batch per sendto(): kick the TX ring until
	 * every submitted frame has completed (at most 1 s), so that frames still
	 * on the ring are not dropped by closing the socket and counted as sent. */
	deadline = pl_now() + 1.0;
	while (nfree < NFRAMES && pl_now() < deadline) {
		uint32_t idx = 0, done, k;

		sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
		done = xsk_ring_cons__peek(&cq, NFRAMES, &idx);
		for (k = 0; k < done; k++)
			free_stack[nfree++] = *xsk_ring_cons__comp_addr(&cq, idx + k);
		xsk_ring_cons__release(&cq, done);
	}
	if (nfree < NFRAMES)
		pr_warn("pl-gen: %d frames still on the AF_XDP TX ring after 1 s: not counted as sent\n",
			NFRAMES - nfree);
	r->packets = seq - (uint64_t)(NFRAMES - nfree);
	r->seconds = pl_now() - t0;
	r->mode = "afxdp-copy";
	xsk_socket__delete(xsk);
delete_umem:
	xsk_umem__delete(umem);
unmap:
	munmap(area, (size_t)NFRAMES * FSIZE);
	return err;
}
#endif

/* Fill defaults from pl-topo info. */
static int pl_gen_from_topo(struct pl_gen_opts *o)
{
	char v[128], peer[64], key[80];
	const char *dst_keys[] = { o->ipv6 ? "VIP6" : "VIP4", o->ipv6 ? "SINK_IP6" : "SINK_IP4", NULL };
	int i;

	if (!o->dev[0] && !pl_topo_get(o->topo, "GEN_IF", v, sizeof(v)))
		snprintf(o->dev, sizeof(o->dev), "%.15s", v);
	if (!o->dev[0]) {
		pr_warn("pl-gen: topology '%s' is not up or has no GEN_IF (pl-topo info %s)\n", o->topo, o->topo);
		return -ENOENT;
	}
	if (!o->has_smac && !pl_topo_get(o->topo, "GEN_MAC", v, sizeof(v)))
		o->has_smac = !pl_parse_mac(v, o->smac);
	if (!pl_topo_get(o->topo, "GEN_PEER", peer, sizeof(peer))) {
		snprintf(key, sizeof(key), "%s_MAC", peer);
		if (!o->has_dmac && !pl_topo_get(o->topo, key, v, sizeof(v)))
			o->has_dmac = !pl_parse_mac(v, o->dmac);
		snprintf(key, sizeof(key), "%s_IP%c", peer, o->ipv6 ? '6' : '4');
		if (!o->dip[0] && !pl_topo_get(o->topo, key, v, sizeof(v)))
			snprintf(o->dip, sizeof(o->dip), "%.45s", v);
	}
	/* a sink or a VIP beats the DUT's own address (main restores an explicit --dst-ip) */
	for (i = 0; dst_keys[i]; i++)
		if (!pl_topo_get(o->topo, dst_keys[i], v, sizeof(v))) {
			snprintf(o->dip, sizeof(o->dip), "%.45s", v);
			break;
		}
	if (!o->sip[0] && !pl_topo_get(o->topo, o->ipv6 ? "GEN_IP6" : "GEN_IP4", v, sizeof(v)))
		snprintf(o->sip, sizeof(o->sip), "%.45s", v);
	return 0;
}

/* Choose the rewrite block: smallest class covering need, within the frame. */
static int pl_copy_class(size_t need, size_t flen)
{
	static const int cls[] = { 60, 64, 80, 96, 128 };
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if ((size_t)cls[i] >= need && (size_t)cls[i] <= flen)
			return cls[i];
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct pl_gen_opts o = { .size = 64, .flows = 256, .src_addrs = 1, .duration = 5, .sport = 1024,
				 .dport = 7, .probe_port = PL_PROBE_PORT, .batch = 256, .max_burst = 64,
				 .mode = "redirect", .cpu = -1 };
	struct option lo[PL_NOPTS + 1];
	char so[2 * PL_NOPTS + 1], objpath[PATH_MAX];
	struct pl_gen_result r = { 0 };
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *frames_map, *tx_map, *rodata, *bss;
	struct pl_gen_cfg *cfg;
	struct pl_gen_state stv = { 0 }, *st = &stv;
	int bss_fd = -1;
	__u32 zero = 0;
	struct pl_addrs a = { 0 };
	bool explicit_dip = false, size_given = false;
	uint8_t *frames = NULL, *probe_frame = NULL;
	uint32_t n_entries = 0, seq[PL_P_MAX * 64], nseq = 0, e, ifindex;
	size_t flen, need = 0, sz, probe_off = 0;
	int c, err = 0, p, copy_len, prog_fd;
	double v;

	o.mix[PL_P_UDP] = 1;
	pl_opts_build(pl_gen_optv, PL_NOPTS, lo, so, sizeof(so));
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'i': snprintf(o.dev, sizeof(o.dev), "%s", optarg); break;
		case 'T': o.topo = optarg; break;
		case 's': o.size = strtoul(optarg, NULL, 0); size_given = true; break;
		case 'f': o.flows = strtoul(optarg, NULL, 0); break;
		case O_SRC_ADDRS: o.src_addrs = strtoul(optarg, NULL, 0); break;
		case 'p':
			if (pl_parse_mix(optarg, o.mix)) {
				pr_warn("pl-gen: --proto '%s': use udp, tcp, syn, icmp or a mix like udp:3,tcp:1\n", optarg);
				return 2;
			}
			break;
		case '6': o.ipv6 = true; break;
		case 'r':
			if (pl_parse_num(optarg, &o.rate)) {
				pr_warn("pl-gen: --rate '%s': a number of packets/s, e.g. 100k or 1.5M\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (pl_parse_num(optarg, &o.duration) || o.duration <= 0) {
				pr_warn("pl-gen: --duration '%s': seconds > 0\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (pl_parse_num(optarg, &v)) {
				pr_warn("pl-gen: --count '%s': a number\n", optarg);
				return 2;
			}
			o.count = (uint64_t)v;
			break;
		case O_PCAP: o.pcap = optarg; break;
		case O_SMAC:
		case O_DMAC:
			if (pl_parse_mac(optarg, c == O_SMAC ? o.smac : o.dmac)) {
				pr_warn("pl-gen: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)\n", optarg);
				return 2;
			}
			*(c == O_SMAC ? &o.has_smac : &o.has_dmac) = true;
			break;
		case O_SIP: snprintf(o.sip, sizeof(o.sip), "%s", optarg); break;
		case O_DIP: snprintf(o.dip, sizeof(o.dip), "%s", optarg); explicit_dip = true; break;
		case O_SPORT: o.sport = strtoul(optarg, NULL, 0); break;
		case O_DPORT: o.dport = strtoul(optarg, NULL, 0); break;
		case O_PROBE: o.probe_every = strtoul(optarg, NULL, 0); break;
		case O_PPORT: o.probe_port = strtoul(optarg, NULL, 0); break;
		case 'b': o.batch = strtoul(optarg, NULL, 0); break;
		case O_BURST: o.max_burst = strtoul(optarg, NULL, 0); break;
		case O_MODE: o.mode = optarg; break;
		case O_CPU: o.cpu = atoi(optarg); break;
		case O_NICE:
			if (setpriority(PRIO_PROCESS, 0, atoi(optarg)))
				pr_warn("pl-gen: cannot set nice %s: %s\n", optarg, strerror(errno));
			break;
		case O_JSON: o.json = true; break;
		case 'v': pl_verbose = 1; break;
		case 'h': pl_gen_usage(stdout); return 0;
		default: pl_gen_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		pr_warn("pl-gen: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (o.topo) {
		char keep[INET6_ADDRSTRLEN];

		snprintf(keep, sizeof(keep), "%s", o.dip);
		if (pl_gen_from_topo(&o))
			return 1;
		if (explicit_dip)
			snprintf(o.dip, sizeof(o.dip), "%s", keep);
	}
	if (!o.dev[0]) {
		pr_warn("pl-gen: no target interface: give --dev IF or --topo NAME\n");
		return 2;
	}
	if (strcmp(o.mode, "redirect") && strcmp(o.mode, "tx") && strcmp(o.mode, "afxdp")) {
		pr_warn("pl-gen: --mode '%s': redirect, tx or afxdp\n", o.mode);
		return 2;
	}
	if (!o.flows || o.flows > 65535 || !o.src_addrs || !o.batch || o.batch > 256 || o.sport > 65535 ||
	    o.dport > 65535 || o.probe_port > 65535 || o.size > 4000) {
		pr_warn("pl-gen: out of range: --flows 1-65535, --src-addrs >= 1, --batch 1-256, ports < 65536, --size <= 4000\n");
		return 2;
	}
	ifindex = if_nametoindex(o.dev);
	if (!ifindex) {
		pr_warn("pl-gen: no interface '%s' in this namespace (run it with ip netns exec NS)\n", o.dev);
		return 1;
	}
	if (!o.sip[0])
		snprintf(o.sip, sizeof(o.sip), o.ipv6 ? "fd00:0:0:1::1" : "10.0.1.1");
	if (!o.dip[0])
		snprintf(o.dip, sizeof(o.dip), o.ipv6 ? "fd00:0:0:1::2" : "10.0.1.2");
	if (!o.has_smac) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", o.dev);
		f = fopen(path, "r");
		if (f) {
			char m[32] = "";

			if (fgets(m, sizeof(m), f))
				o.has_smac = !pl_parse_mac(m, o.smac);
			fclose(f);
		}
	}
	if (!o.has_dmac)
		memset(o.dmac, 0xff, 6), pr_info("pl-gen: no --dst-mac: sending to ff:ff:ff:ff:ff:ff\n");
	if ((!o.ipv6 && (inet_pton(AF_INET, o.sip, &a.s4) != 1 || inet_pton(AF_INET, o.dip, &a.d4) != 1)) ||
	    (o.ipv6 && (inet_pton(AF_INET6, o.sip, &a.s6) != 1 || inet_pton(AF_INET6, o.dip, &a.d6) != 1))) {
		pr_warn("pl-gen: bad %s source/destination address '%s' / '%s'\n", o.ipv6 ? "IPv6" : "IPv4", o.sip, o.dip);
		return 2;
	}
#ifdef PL_HAVE_LIBPCAP
	if (o.pcap && !size_given) {
		/* frames as long as the pcap's first one */
		char err[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *d;
		pcap_t *pc = pcap_open_offline(o.pcap, err);

		if (pc && pcap_next_ex(pc, &h, &d) == 1)
			o.size = (h->caplen < 60 ? 60 : h->caplen) + 4;
		if (pc)
			pcap_close(pc);
	}
#endif
	flen = o.size - 4;
	if (o.size < 64) {
		pr_warn("pl-gen: --size %u: at least 64 (the wire minimum, FCS included)\n", o.size);
		return 2;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			pr_warn("pl-gen: cannot pin to CPU %d: %s\n", o.cpu, strerror(errno));
	}

	/* Frames: flows x protocol mix, or the pcap's frames. */
	for (p = 0; p < PL_P_MAX; p++)
		for (unsigned int w = 0; w < o.mix[p]; w++)
			seq[nseq++] = p;
	frames = calloc((size_t)PL_GEN_ENTRIES_MAX, flen);
	probe_frame = calloc(1, flen + 16);
	if (!frames || !probe_frame) {
		err = -ENOMEM;
		goto free_frames;
	}
	if (o.pcap) {
#ifdef PL_HAVE_LIBPCAP
		size_t first = 0;
		int n = pl_read_pcap(o.pcap, frames, flen, &first, PL_GEN_ENTRIES_MAX);

		if (n <= 0) {
			pr_warn("pl-gen: %s: no frames\n", o.pcap);
			err = -EINVAL;
			goto free_frames;
		}
		n_entries = n;
		for (e = 0; e < n_entries; e++)
			pl_fix_lengths(frames + (size_t)e * flen, flen);
		/* rewrite as much of each frame as the largest class that fits; the
		 * bytes beyond it come from the first frame */
		need = flen >= 128 ? 128 : flen >= 96 ? 96 : flen >= 80 ? 80 : flen >= 64 ? 64 : 60;
#else
		pr_warn("pl-gen: built without libpcap: --pcap unavailable\n");
		err = -EOPNOTSUPP;
		goto free_frames;
#endif
	} else {
		uint64_t total = (uint64_t)o.flows * nseq;

		n_entries = total > PL_GEN_ENTRIES_MAX ? PL_GEN_ENTRIES_MAX : total;
		for (e = 0; e < n_entries; e++) {
			size_t h = pl_build_frame(frames + (size_t)e * flen, flen, &o, &a, seq[e % nseq], (e / nseq) % o.flows, false);
			if (h > need)
				need = h;
		}
	}
	if (o.probe_every) {
		probe_off = pl_build_frame(probe_frame, flen, &o, &a, PL_P_UDP, 0, true);
		if (probe_off + sizeof(struct pl_probe_stamp) > need)
			need = probe_off + sizeof(struct pl_probe_stamp);
	}
	if (need > flen) {
		pr_warn("pl-gen: --size %u is too small for these headers%s: need at least %zu\n", o.size,
			o.probe_every ? " and the probe stamp" : "", need + 4);
		err = -EINVAL;
		goto free_frames;
	}
	copy_len = pl_copy_class(need, flen);
	if (copy_len < 0) {
		/* frame shorter than the smallest class: still fine if it covers need */
		pr_warn("pl-gen: --size %u: frames need at least 64 bytes without FCS for the rewrite (try --size %zu)\n",
			o.size, (size_t)68);
		err = -EINVAL;
		goto free_frames;
	}

	if (!strcmp(o.mode, "afxdp"))
		goto afxdp;

	err = pl_bpf_obj_path("pl_gen.bpf.o", objpath, sizeof(objpath));
	if (err) {
		pr_warn("pl-gen: pl_gen.bpf.o not found (next to pl-gen or in $PL_BPF_DIR)\n");
		goto free_frames;
	}
	pl_libbpf_logging();
	obj = bpf_object__open_file(objpath, NULL);
	if (!obj) {
		err = -errno;
		pr_warn("pl-gen: cannot open %s: %s\n", objpath, strerror(errno));
		goto free_frames;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata || !(cfg = (void *)bpf_map__initial_value(rodata, &sz)) || sz < sizeof(*cfg)) {
		pr_warn("pl-gen: %s has no .rodata configuration (rebuild it)\n", objpath);
		err = -EINVAL;
		goto close_obj;
	}
	cfg->copy_len = copy_len;
	cfg->n_entries = n_entries;
	cfg->probe_every = o.probe_every;
	cfg->probe_off = probe_off;
	cfg->paced = o.rate > 0;
	cfg->use_tx = !strcmp(o.mode, "tx");
	if (o.rate > 0) {
		cfg->interval_fp = (uint64_t)llround(65536.0 * 1e9 / o.rate);
		cfg->max_lag_ns = (uint64_t)(o.max_burst * 1e9 / o.rate);
	}
	err = bpf_object__load(obj);
	if (err) {
		pr_warn("pl-gen: loading %s failed: %s\n", objpath, strerror(-err));
		goto close_obj;
	}
	prog = bpf_object__find_program_by_name(obj, "pl_gen");
	frames_map = bpf_object__find_map_by_name(obj, "pl_gen_frames");
	tx_map = bpf_object__find_map_by_name(obj, "pl_gen_tx");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (bss)
		bss_fd = bpf_map__fd(bss);
	if (!prog || !frames_map || !tx_map || bss_fd < 0 || bpf_map__value_size(bss) != sizeof(*st)) {
		pr_warn("pl-gen: %s lacks pl_gen, its maps or .bss (rebuild it)\n", objpath);
		err = -EINVAL;
		goto close_obj;
	}
	prog_fd = bpf_program__fd(prog);
	for (e = 0; e < n_entries; e++) {
		uint8_t blk[PL_GEN_HDR_MAX] = { 0 };

		memcpy(blk, frames + (size_t)e * flen, copy_len);
		bpf_map_update_elem(bpf_map__fd(frames_map), &e, blk, 0);
	}
	if (o.probe_every) {
		uint8_t blk[PL_GEN_HDR_MAX] = { 0 };

		e = PL_GEN_ENTRIES_MAX;
		memcpy(blk, probe_frame, copy_len);
		bpf_map_update_elem(bpf_map__fd(frames_map), &e, blk, 0);
	}
	e = 0;
	err = bpf_map_update_elem(bpf_map__fd(tx_map), &e, &ifindex, 0);
	if (err && !cfg->use_tx) {
		pr_warn("pl-gen: %s cannot be a devmap target: %s\n", o.dev, strerror(errno));
		goto close_obj;
	}

	/* Probe live frames with a run that sends nothing (limit 0). */
	{
		struct xdp_md ctx = { .ingress_ifindex = ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frames, .data_size_in = flen,
			    .ctx_in = cfg->use_tx ? &ctx : NULL, .ctx_size_in = cfg->use_tx ? sizeof(ctx) : 0, .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = o.batch);
		st->limit = 0;
		bpf_map_update_elem(bss_fd, &zero, st, 0);
		err = bpf_prog_test_run_opts(prog_fd, &t);
		if (err && cfg->use_tx) {
			err = -errno;
			pr_warn("pl-gen: --mode tx refused (%s): XDP_TX in live-frames mode needs a registered XDP "
				"receive queue on %s (veth: an XDP program attached or GRO on); try --mode redirect\n",
				strerror(errno), o.dev);
			goto close_obj;
		}
		if (err) {
			pr_warn("pl-gen: live frames (BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18+) unavailable: %s; "
				"falling back to AF_XDP transmit (copy mode)\n", strerror(errno));
			bpf_object__close(obj);
			obj = NULL;
			goto afxdp;
		}
	}

	signal(SIGINT, pl_on_signal);
	signal(SIGTERM, pl_on_signal);
	{
		struct xdp_md ctx = { .ingress_ifindex = ifindex };
		double t0, now, deadline, iter_rate = 0;
		uint64_t iters_total = 0;
		struct timespec ts;

		st->sent = st->probes = st->skipped_ns = st->spins = 0;
		st->next_fp = 0;
		st->limit = o.count ? o.count : UINT64_MAX;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = pl_now();
		st->start_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		st->deadline_ns = st->start_ns + (uint64_t)(o.duration * 1e9);
		deadline = t0 + o.duration;
		while (!pl_stop && (now = pl_now()) < deadline && st->sent < st->limit) {
			/* One call for the whole remaining time (each call costs ~25 ms
			 * of set-up, and nothing is sent meanwhile): the program stops
			 * sending at the deadline, extra runs only drop (~100 ns each).
			 * The first call guesses the run rate (paced waits ~130 ns,
			 * sends 150-250 ns); another follows if it was too short. */
			double left = deadline - now;
			uint64_t rep = (uint64_t)((iter_rate > 0 ? iter_rate : (cfg->paced ? 8e6 : 6e6)) * left * 1.3) + 256;
			double c0 = now;

			if (o.count && !cfg->paced && rep > o.count - st->sent)
				rep = o.count - st->sent;
			if (rep > UINT32_MAX)
				rep = UINT32_MAX;
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frames, .data_size_in = flen,
				    .ctx_in = cfg->use_tx ? &ctx : NULL, .ctx_size_in = cfg->use_tx ? sizeof(ctx) : 0,
				    .repeat = (uint32_t)rep,
				    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = o.batch);
			/* the state lives in .bss: written before, read after each call */
			bpf_map_update_elem(bss_fd, &zero, st, 0);
			err = bpf_prog_test_run_opts(prog_fd, &t);
			bpf_map_lookup_elem(bss_fd, &zero, st);
			if (err && errno == EINTR) {
				err = 0; /* a signal: stop with what was sent */
				break;
			}
			if (err) {
				err = -errno;
				pr_warn("pl-gen: BPF_PROG_TEST_RUN failed: %s\n", strerror(errno));
				break;
			}
			iters_total += rep;
			iter_rate = rep / (pl_now() - c0);
		}
		r.seconds = pl_now() - t0;
		/* paced: from the schedule origin to the last send (later runs only drop) */
		if (cfg->paced && st->sent)
			r.seconds = (st->last_ns - st->start_ns) / 1e9 + 1.0 / o.rate;
		else if (st->last_sent && st->last_ns > st->start_ns && st->sent >= st->limit)
			/* full speed, stopped by the deadline or the count: the rate
			 * measured up to the last clock check */
			r.seconds = st->sent * ((st->last_ns - st->start_ns) / 1e9) / st->last_sent;
		r.packets = st->sent;
		r.probes = st->probes;
		r.skipped_ns = st->skipped_ns;
		r.mode = cfg->use_tx ? "live-tx" : "live-redirect";
		pr_debug("pl-gen: %llu program runs, %llu paced waits\n", (unsigned long long)iters_total,
			 (unsigned long long)st->spins);
	}
	r.flen = flen;
	if (!err)
		pl_gen_report(&o, &r);
	goto close_obj;

afxdp:
#ifdef PL_HAVE_LIBXDP
	signal(SIGINT, pl_on_signal);
	signal(SIGTERM, pl_on_signal);
	err = pl_gen_afxdp(&o, frames, n_entries, probe_frame, probe_off, flen, &r);
	r.flen = flen;
	if (!err)
		pl_gen_report(&o, &r);
#else
	pr_warn("pl-gen: built without libxdp: no AF_XDP transmit mode\n");
	err = -EOPNOTSUPP;
#endif
close_obj:
	bpf_object__close(obj);
free_frames:
	free(frames);
	free(probe_frame);
	return err ? 1 : 0;
}
