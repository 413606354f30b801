// SPDX-License-Identifier: MIT
/* pl-mkcorpus: write pathlab's parity corpus, a deterministic classic pcap
 * covering every stage and every malformed class, to be replayed with the
 * policies in the tests/corpus policy files by every build (pathlab-replay compares
 * them frame by frame).
 *
 * The corpus is a list of classes; each class is one function that emits
 * frames with emit(). To add traffic, write one function and add one line
 * to classes[] (at the end). The stage classes (responder, lb, ratelimit,
 * synflood) are replayed with the stage policies responder.policy,
 * lb.policy, ratelimit.policy and stages.policy. */
/* The core's own parser and cookie function (user platform, header only):
 * the responder frames acknowledge the cookie the core will send. */
#include "pl_platform.h"
#include "pl_parse.h"
#include "stages/responder.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pl_pkt.h"
#include "pl_shapes.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_pcap.h"
#include "plt_replay.h"

/* Frame i is stamped with the replay clock (toolkit/plt_replay.h), the
 * "now" every build is given for it. */
struct mk {
	struct plt_pcap_writer pcap;
	FILE *index;            /* --index: one line per frame */
	const char *seeds;      /* --seeds: one file per frame */
	const char *cls;        /* the class being emitted */
	unsigned n;             /* frames written */
	int err;
};

/* Write one frame (and its index line and seed file). */
static void emit(struct mk *m, const struct pl_pkt *p, const char *fmt, ...)
{
	char desc[200];
	va_list ap;
	int err;

	if (m->err)
		return;
	if (p->error) {
		fprintf(stderr, "pl-mkcorpus: class %s: frame %u did not fit the builder\n", m->cls, m->n);
		m->err = -EINVAL;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	err = plt_pcap_write(&m->pcap, p->b, p->len, plt_replay_clock_ns(m->n));
	if (err) {
		fprintf(stderr, "pl-mkcorpus: writing frame %u: %s\n", m->n, strerror(-err));
		m->err = err;
		return;
	}
	if (m->index)
		fprintf(m->index, "%u\t%s\t%u\t%s\n", m->n, m->cls, p->len, desc);
	if (m->seeds) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%05u-%s", m->seeds, m->n, m->cls);
		f = fopen(path, "wb");
		if (!f || fwrite(p->b, 1, p->len, f) != p->len) {
			fprintf(stderr, "pl-mkcorpus: writing seed %s: %s\n", path, strerror(errno));
			m->err = -EIO;
		}
		if (f)
			fclose(f);
	}
	m->n++;
}

/* ---- building blocks ------------------------------------------------------- */

static const uint8_t v6_lab[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
static const uint8_t v6_bad[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66 };
static const uint8_t v6_srv[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* Ethernet + IPv4 from src to dst. */
static void eth_v4(struct pl_pkt *p, uint32_t src, uint32_t dst)
{
	pl_pkt_init(p);
	pl_shape_eth_v4(p, &(struct pl_pkt_ip4){ .saddr = src, .daddr = dst });
}

/* Ethernet + IPv6 from src to dst. */
static void eth_v6(struct pl_pkt *p, const uint8_t src[16], const uint8_t dst[16])
{
	pl_pkt_init(p);
	pl_shape_eth_v6(p, src, dst);
}

/* An IPv6 address in 2001:db8:0:a::/64 with host part h. */
static void v6_host(uint8_t a[16], unsigned h)
{
	memcpy(a, PL_SHAPE_V6_SRC, 16);
	a[14] = (uint8_t)(h >> 8);
	a[15] = (uint8_t)h;
}

static const uint16_t tcp_ports[] = { 22, 80, 443, 4242, 8080 };
static const uint16_t udp_ports[] = { 53, 4242, 4243, 5000, 9000 };
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- classes ------------------------------------------------------------------ */

/* The catalog of well-formed frames (every kind the parser knows). */
static void c_shapes(struct mk *m)
{
	struct pl_pkt p;

	for (unsigned i = 0; i < pl_nshapes; i++) {
		const char *name = pl_shape_make(i, &p);

		emit(m, &p, "%s", name);
	}
}

/* TCP over IPv4 and IPv6 to the ports the policies name, from several
 * sources (per-source counters), SYN and ACK with payload. */
static void c_tcp(struct mk *m)
{
	struct pl_pkt p;

	for (unsigned src = 1; src <= 3; src++)
		for (unsigned i = 0; i < N(tcp_ports); i++) {
			uint8_t s6[16];

			eth_v4(&p, PL_PKT_IP4(10, 1, 0, src), PL_SHAPE_V4_DST);
			pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = (uint16_t)(40000 + src), .dport = tcp_ports[i],
							    .opts = pl_shape_tcp_opts, .optlen = 20 });
			pl_pkt_finish(&p);
			emit(m, &p, "ipv4 tcp syn 10.1.0.%u -> port %u", src, tcp_ports[i]);
			eth_v4(&p, PL_PKT_IP4(10, 1, 0, src), PL_SHAPE_V4_DST);
			pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = (uint16_t)(40000 + src), .dport = tcp_ports[i],
							    .flags = PL_TCP_ACK | PL_TCP_PSH, .seq = 1000 });
			pl_pkt_fill(&p, 100, src * 31 + i);
			pl_pkt_finish(&p);
			emit(m, &p, "ipv4 tcp ack+data 10.1.0.%u -> port %u", src, tcp_ports[i]);
			v6_host(s6, src);
			eth_v6(&p, s6, PL_SHAPE_V6_DST);
			pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = (uint16_t)(40000 + src), .dport = tcp_ports[i] });
			pl_pkt_finish(&p);
			emit(m, &p, "ipv6 tcp syn host %u -> port %u", src, tcp_ports[i]);
		}
}

/* UDP over IPv4 and IPv6, including the steered port 4242, minimum-size
 * and full-size frames. */
static void c_udp(struct mk *m)
{
	struct pl_pkt p;

	for (unsigned i = 0; i < N(udp_ports); i++) {
		eth_v4(&p, PL_PKT_IP4(10, 1, 0, 4), PL_SHAPE_V4_DST);
		pl_pkt_udp(&p, 33000, udp_ports[i]);
		pl_pkt_fill(&p, 18, i);
		pl_pkt_finish(&p);
		emit(m, &p, "ipv4 udp 64-byte -> port %u", udp_ports[i]);
		eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
		pl_pkt_udp(&p, 33000, udp_ports[i]);
		pl_pkt_fill(&p, 64, i);
		pl_pkt_finish(&p);
		emit(m, &p, "ipv6 udp -> port %u", udp_ports[i]);
	}
	eth_v4(&p, PL_PKT_IP4(10, 1, 0, 5), PL_SHAPE_V4_DST);
	pl_pkt_udp(&p, 33001, 4242);
	pl_pkt_fill(&p, 1472, 99);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 udp 1514-byte frame -> port 4242");
	eth_v4(&p, PL_PKT_IP4(10, 1, 0, 5), PL_SHAPE_V4_DST);
	pl_pkt_udp(&p, 5353, 5005);
	pl_pkt_fill(&p, 20, 98);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 udp 5353 -> 5005 (acl user range)");
}

/* ICMP and ICMPv6: echo request/reply, unreachable, neighbour discovery. */
static void c_icmp(struct mk *m)
{
	static const struct {
		uint8_t v6, type, code, fill;
		uint32_t dst4;
		const char *what;
	} msgs[] = {
		{ 0, 8, 0, 56, 0, "icmp echo request" },
		{ 0, 0, 0, 56, 0, "icmp echo reply" },
		{ 0, 3, 3, 28, PL_PKT_IP4(198, 51, 100, 7), "icmp port unreachable to 198.51.100.7" },
		{ 1, 128, 0, 56, 0, "icmpv6 echo request" },
		{ 1, 129, 0, 56, 0, "icmpv6 echo reply" },
		{ 1, 135, 0, 0, 0, "icmpv6 neighbour solicitation" },
	};
	struct pl_pkt p;

	for (unsigned i = 0; i < N(msgs); i++) {
		if (msgs[i].v6) {
			eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
			pl_pkt_icmp6(&p, msgs[i].type, msgs[i].code, 2, (uint16_t)i);
		} else {
			eth_v4(&p, PL_SHAPE_V4_SRC, msgs[i].dst4 ? msgs[i].dst4 : PL_SHAPE_V4_DST);
			pl_pkt_icmp(&p, msgs[i].type, msgs[i].code, 1, (uint16_t)i);
		}
		if (msgs[i].type == 135)
			pl_pkt_payload(&p, PL_SHAPE_V6_DST, 16);
		pl_pkt_fill(&p, msgs[i].fill, i);
		pl_pkt_finish(&p);
		emit(m, &p, "%s", msgs[i].what);
	}
}

/* VLAN-tagged traffic: 802.1Q, 802.1ad + 802.1Q, to the policy ports. */
static void c_vlan(struct mk *m)
{
	static const uint16_t tpids[][2] = { { 0x8100, 0 }, { 0x88a8, 0x8100 }, { 0x9100, 0x8100 } };
	struct pl_pkt p;

	for (unsigned t = 0; t < N(tpids); t++) {
		for (unsigned k = 0; k < 3; k++) {
			pl_pkt_init(&p);
			pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
			pl_pkt_vlan(&p, tpids[t][0], (uint16_t)(100 + t));
			if (tpids[t][1])
				pl_pkt_vlan(&p, tpids[t][1], (uint16_t)(200 + k));
			pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_PKT_IP4(10, 1, 0, 9),
							      .daddr = PL_SHAPE_V4_DST });
			if (k == 2)
				pl_pkt_udp(&p, 1000, 4242);
			else
				pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 1000, .dport = k ? 80 : 22 });
			pl_pkt_fill(&p, 10, k);
			pl_pkt_finish(&p);
			emit(m, &p, "vlan 0x%04x%s -> %s", tpids[t][0], tpids[t][1] ? "+0x8100" : "",
			     k == 2 ? "udp 4242" : k ? "tcp 80" : "tcp 22");
		}
	}
}

/* ARP request and reply; a non-IPv4 ARP (other protocol type). */
static void c_arp(struct mk *m)
{
	static const uint8_t zero[6];
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_arp(&p, 2, PL_PKT_MAC_A, PL_SHAPE_V4_SRC, PL_PKT_MAC_B, PL_SHAPE_V4_DST);
	pl_pkt_finish(&p);
	pl_pkt_pad(&p, 60);
	emit(m, &p, "arp reply, padded to 60");
	pl_pkt_init(&p);
	pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_arp(&p, 1, PL_PKT_MAC_A, PL_SHAPE_V4_SRC, zero, PL_SHAPE_V4_SRC);
	pl_pkt_finish(&p);
	emit(m, &p, "gratuitous arp");
}

/* Fragments to port 22: the first carries the ports, later ones do not. */
static void c_frag(struct mk *m)
{
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .more_frags = 1, .id = 9 });
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 5, .dport = 22 });
	pl_pkt_fill(&p, 64, 1);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 first fragment tcp 22");
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .frag_off = 11, .id = 9 });
	pl_pkt_raw(&p, 6, NULL, 0);
	pl_pkt_fill(&p, 40, 2);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 last fragment (tcp)");
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .frag_off = 11, .more_frags = 1, .id = 10 });
	pl_pkt_raw(&p, 17, NULL, 0);
	pl_pkt_fill(&p, 48, 3);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 middle fragment (udp)");
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_ip6_frag(&p, 0, 1, 77);
	pl_pkt_udp(&p, 6, 4242);
	pl_pkt_fill(&p, 64, 4);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 first fragment udp 4242");
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_ip6_frag(&p, 9, 0, 77);
	pl_pkt_raw(&p, 17, NULL, 0);
	pl_pkt_fill(&p, 30, 5);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 last fragment (udp)");
}

/* Sources and destinations the policies' prefixes name, on both sides of
 * each prefix boundary. */
static void c_prefixes(struct mk *m)
{
	static const uint32_t v4[] = {
		PL_PKT_IP4(192, 0, 2, 1), PL_PKT_IP4(192, 0, 2, 254), PL_PKT_IP4(192, 0, 3, 1),
		PL_PKT_IP4(203, 0, 113, 5), PL_PKT_IP4(203, 0, 112, 255),
	};
	struct pl_pkt p;

	for (unsigned i = 0; i < N(v4); i++) {
		eth_v4(&p, v4[i], PL_SHAPE_V4_DST);
		pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 2000, .dport = 80 });
		pl_pkt_finish(&p);
		emit(m, &p, "ipv4 tcp 80 from %u.%u.%u.%u", v4[i] >> 24, v4[i] >> 16 & 255,
		     v4[i] >> 8 & 255, v4[i] & 255);
	}
	eth_v6(&p, v6_lab, v6_srv);
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 2001, .dport = 443 });
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 tcp 443 from 2001:db8::10");
	eth_v6(&p, v6_bad, v6_srv);
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 2002, .dport = 443 });
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 tcp 443 from 2001:db8:bad::66");
	eth_v6(&p, v6_bad, v6_srv);
	pl_pkt_udp(&p, 2003, 53);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 udp 53 from 2001:db8:bad::66");
}

/* Frames shorter than an Ethernet header (bad_eth). A datapath never
 * receives these from a NIC, and BPF_PROG_TEST_RUN refuses them (EINVAL):
 * a replay through BPF reports them as not runnable, or leaves the class
 * out with --exclude runt. */
static void c_runt(struct mk *m)
{
	static const unsigned lens[] = { 1, 6, 12, 13 };
	struct pl_pkt p;

	for (unsigned i = 0; i < N(lens); i++) {
		pl_shape_make(0, &p);
		pl_pkt_truncate(&p, lens[i]);
		emit(m, &p, "runt of %u bytes", lens[i]);
	}
}

/* Every shape cut inside every header after Ethernet: plainly (IP's length
 * then disagrees) and with lengths fixed (seen by the layer cut). */
static void c_truncated(struct mk *m)
{
	for (unsigned s = 0; s < pl_nshapes; s++) {
		struct pl_pkt p, q;
		const char *name = pl_shape_make(s, &p);

		for (unsigned li = 1; li < p.nlayers; li++) {
			const struct pl_pkt_layer *l = &p.layer[li];

			if (l->kind == PL_PK_PAYLOAD || l->kind == PL_PK_RAW)
				continue;
			for (unsigned k = l->off; k < (unsigned)l->off + l->len; k++) {
				q = p;
				pl_pkt_truncate(&q, k);
				emit(m, &q, "%s cut at %u in %s", name, k, pl_pkt_kind_name(l->kind));
				q = p;
				pl_pkt_truncate_fix(&q, k);
				emit(m, &q, "%s cut at %u in %s, lengths fixed", name, k,
				     pl_pkt_kind_name(l->kind));
			}
		}
	}
}

/* A shape with one field overwritten. */
static void corrupt(struct mk *m, const char *shape, enum pl_pkt_kind kind, unsigned off,
		    unsigned width, uint32_t v, const char *what)
{
	struct pl_pkt p;

	pl_shape_make(pl_shape_index(shape), &p);
	pl_pkt_set(&p, kind, off, width, v);
	emit(m, &p, "%s: %s = %u", shape, what, v);
}

/* Bad header fields: IHL, version, lengths, data offset. */
static void c_bad_fields(struct mk *m)
{
	for (unsigned ihl = 0; ihl < 5; ihl++)
		corrupt(m, "ipv4-tcp", PL_PK_IPV4, 0, 1, 0x40 | ihl, "version/ihl byte");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 0, 1, 0x4f, "version/ihl byte (ihl 15)");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 0, 1, 0x65, "version/ihl byte (version 6)");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 0, "total length");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 19, "total length");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 30, "total length (inside tcp)");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 53, "total length (one past the frame)");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 0xffff, "total length");
	corrupt(m, "ipv4-tcp", PL_PK_IPV4, 2, 2, 40, "total length (ethernet padding)");
	corrupt(m, "ipv4-udp-4242", PL_PK_IPV4, 2, 2, 24, "total length (inside udp)");
	corrupt(m, "ipv4-icmp-echo", PL_PK_IPV4, 2, 2, 25, "total length (inside icmp)");
	corrupt(m, "ipv4opts40-udp", PL_PK_IPV4, 2, 2, 59, "total length (inside options)");
	for (unsigned doff = 0; doff < 5; doff++)
		corrupt(m, "ipv4-tcp", PL_PK_TCP, 12, 1, doff << 4, "tcp data offset byte");
	corrupt(m, "ipv4-tcp", PL_PK_TCP, 12, 1, 15 << 4, "tcp data offset byte (past the end)");
	corrupt(m, "ipv6-tcp", PL_PK_TCP, 12, 1, 4 << 4, "tcp data offset byte");
	corrupt(m, "ipv6-tcp", PL_PK_TCP, 12, 1, 7 << 4, "tcp data offset byte (past the end)");
	corrupt(m, "ipv4-udp-4242", PL_PK_UDP, 4, 2, 0, "udp length");
	corrupt(m, "ipv4-udp-4242", PL_PK_UDP, 4, 2, 7, "udp length");
	corrupt(m, "ipv4-udp-4242", PL_PK_UDP, 4, 2, 27, "udp length (past ip)");
	corrupt(m, "ipv4-udp-4242", PL_PK_UDP, 4, 2, 8, "udp length (shorter: allowed)");
	corrupt(m, "ipv6-udp-4242", PL_PK_UDP, 4, 2, 0xffff, "udp length");
	corrupt(m, "ipv6-udp-4242", PL_PK_IPV6, 4, 2, 41, "payload length (one past the frame)");
	corrupt(m, "ipv6-udp-4242", PL_PK_IPV6, 4, 2, 65500, "payload length");
	corrupt(m, "ipv6-udp-4242", PL_PK_IPV6, 4, 2, 0xffff, "payload length");
	corrupt(m, "ipv6-udp-4242", PL_PK_IPV6, 4, 2, 4, "payload length (inside udp)");
	corrupt(m, "ipv6-udp-4242", PL_PK_IPV6, 0, 1, 0x40, "version byte (version 4)");
	corrupt(m, "ipv6-ext5-udp", PL_PK_IPV6, 4, 2, 20, "payload length (inside the chain)");
	corrupt(m, "ipv6-ext5-udp", PL_PK_IP6EXT, 1, 1, 255, "hop-by-hop length");
	corrupt(m, "arp-request", PL_PK_ARP, 4, 1, 255, "arp hardware length");
	corrupt(m, "arp-request", PL_PK_ARP, 5, 1, 200, "arp protocol length");
}

/* VLAN stacks and IPv6 extension chains at and past their bounds (the
 * core's PL_VLAN_MAX 2 and PL_IPV6_EXT_MAX 6). */
static void c_bounds(struct mk *m)
{
	static const uint8_t ext[] = { 0, 60, 43, 51, 44, 135, 60, 60, 60, 60 };
	struct pl_pkt p;

	for (unsigned n = 1; n <= 5; n++) {
		pl_pkt_init(&p);
		pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
		for (unsigned i = 0; i < n; i++)
			pl_pkt_vlan(&p, i ? 0x8100 : 0x88a8, (uint16_t)(10 + i));
		pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_SHAPE_V4_DST });
		pl_pkt_udp(&p, 1, 4242);
		pl_pkt_finish(&p);
		emit(m, &p, "%u vlan tags", n);
	}
	for (unsigned n = 5; n <= 10; n++) {
		eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
		for (unsigned i = 0; i < n; i++) {
			if (ext[i] == 44)
				pl_pkt_ip6_frag(&p, 0, 0, i);
			else
				pl_pkt_ip6_ext(&p, ext[i], ext[i] == 51 ? 12 : 8);
		}
		pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 1, .dport = 80 });
		pl_pkt_finish(&p);
		emit(m, &p, "ipv6 chain of %u extension headers", n);
	}
}

/* ---- stage traffic: responder, load balancer, rate limiter,
 * SYN guard. Addresses are those of tests/corpus/{responder,lb,ratelimit,
 * stages}.policy: responder 10.70.0.2 / fd70::2, VIPs 10.71.0.100-102 /
 * fd71::100-101, rate-limited sources 10.72/16, SYN floods 10.73-74/16. */

/* The cookie key of the stage policies (`responder key
 * 00112233445566778899aabbccddeeff`): the request frames acknowledge the
 * SYN cookie the core will send, computed here with the core's own code. */
static const struct pl_resp_params corpus_resp = {
	.key = { 0x0011223344556677ull, 0x8899aabbccddeeffull },
};

/* One TCP segment or UDP datagram of the stage classes. */
struct seg {
	int v6;
	uint32_t s4, d4;
	uint8_t s6[16], d6[16];
	uint16_t sport, dport, vlan;
	uint32_t seq, ack;
	uint8_t flags;          /* TCP flags; 0 with udp set: UDP */
	int udp;
	uint16_t mss;           /* TCP: an MSS option (0: no options) */
	const char *data;       /* payload (NULL: none) */
	unsigned fill;          /* or this many filler bytes */
	int ip_opts;            /* IPv4: 4 bytes of options (NOP NOP NOP EOL) */
	uint16_t frag_off;      /* IPv4 fragment offset (8-byte units) */
	int more_frags;
	int zero_udp_csum;      /* IPv4 UDP without a checksum */
	unsigned pad;           /* Ethernet padding up to this length (a NIC's 60) */
};

/* An IPv6 address prefix:hostpart with a 2-byte prefix (fdXX::h). */
static void v6_addr(uint8_t a[16], uint8_t net, uint8_t sub, unsigned h)
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[1] = net;
	a[3] = sub;
	a[14] = (uint8_t)(h >> 8);
	a[15] = (uint8_t)h;
}

/* Build the frame of s. */
static void seg_build(struct pl_pkt *p, const struct seg *s)
{
	static const uint8_t nop_opts[4] = { 1, 1, 1, 0 };
	uint8_t mss[4] = { 2, 4, (uint8_t)(s->mss >> 8), (uint8_t)s->mss };

	pl_pkt_init(p);
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	if (s->vlan)
		pl_pkt_vlan(p, 0x8100, s->vlan);
	if (s->v6) {
		struct pl_pkt_ip6 ip = { .hop_limit = 64 };

		memcpy(ip.saddr, s->s6, 16);
		memcpy(ip.daddr, s->d6, 16);
		pl_pkt_ipv6(p, &ip);
	} else {
		pl_pkt_ipv4(p, &(struct pl_pkt_ip4){ .saddr = s->s4, .daddr = s->d4, .id = 1,
						     .opts = s->ip_opts ? nop_opts : NULL,
						     .optlen = s->ip_opts ? 4 : 0,
						     .frag_off = s->frag_off, .more_frags = (uint8_t)s->more_frags });
	}
	if (s->udp)
		pl_pkt_udp(p, s->sport, s->dport);
	else
		pl_pkt_tcp(p, &(struct pl_pkt_tcp){ .sport = s->sport, .dport = s->dport, .seq = s->seq,
						    .ack = s->ack, .flags = s->flags, .window = 64240,
						    .opts = s->mss ? mss : NULL, .optlen = s->mss ? 4 : 0 });
	if (s->data)
		pl_pkt_payload(p, s->data, (unsigned)strlen(s->data));
	if (s->fill)
		pl_pkt_fill(p, s->fill, s->sport ^ s->seq);
	pl_pkt_finish(p);
	if (s->udp && s->zero_udp_csum && !s->v6)
		pl_pkt_put16(p, pl_pkt_off(p, PL_PK_UDP) + 6, 0);
	if (s->pad)
		pl_pkt_pad(p, s->pad);
}

/* Emit s with a description. */
static void seg_emit(struct mk *m, const struct seg *s, const char *fmt, ...)
{
	struct pl_pkt p;
	char d[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	seg_build(&p, s);
	emit(m, &p, "%s %s", s->v6 ? "ipv6" : "ipv4", d);
}

/* Emit s (a SYN) and return the cookie the responder answers it with. */
static uint32_t seg_syn(struct mk *m, struct seg *s, const char *what)
{
	uint8_t buf[PL_PKT_MAX];
	struct pl_hdrs h;
	struct pl_pkt p;

	s->flags = PL_TCP_SYN;
	s->ack = 0;
	seg_build(&p, s);
	memcpy(buf, p.b, p.len);
	memset(&h, 0, sizeof(h));
	if (pl_parse(buf, buf + p.len, &h) < 0) {
		fprintf(stderr, "pl-mkcorpus: class %s: a SYN the core does not parse\n", m->cls);
		m->err = -EINVAL;
		return 0;
	}
	emit(m, &p, "%s responder SYN %s (mss %u)", s->v6 ? "ipv6" : "ipv4", what, s->mss);
	return pl_cookie_make(&corpus_resp, &h, plt_replay_clock_ns(m->n - 1),
			      s->mss ? s->mss : 536);
}

/* The client and server of a responder conversation. */
static void resp_ends(struct seg *s, int v6, unsigned cli, uint16_t sport, uint16_t dport)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	s->s4 = PL_PKT_IP4(10, 70, 0, cli);
	s->d4 = PL_PKT_IP4(10, 70, 0, 2);
	v6_addr(s->s6, 0x70, 0, cli);
	v6_addr(s->d6, 0x70, 0, 2);
	s->sport = sport;
	s->dport = dport;
	s->mss = 1460;
	s->seq = 1000u * sport;
}

/* One whole conversation: SYN, handshake ACK, request, the same request
 * again (retransmission), ACK of our FIN, client FIN, and a late RST. */
static void resp_talk(struct mk *m, int v6, uint16_t sport, uint16_t vlan, const char *req)
{
	struct seg s;
	uint32_t isn;
	char what[80];

	resp_ends(&s, v6, 1, sport, 8080);
	s.vlan = vlan;
	snprintf(what, sizeof(what), "%.*s%s", (int)strcspn(req, "\r"), req, vlan ? " (vlan)" : "");
	isn = seg_syn(m, &s, what);
	s.seq++;
	s.ack = isn + 1;
	s.flags = PL_TCP_ACK;
	seg_emit(m, &s, "responder handshake ACK: %s", what);
	s.flags = PL_TCP_ACK | PL_TCP_PSH;
	s.data = req;
	seg_emit(m, &s, "responder request: %s", what);
	seg_emit(m, &s, "responder request retransmitted: %s", what);
	s.seq += (uint32_t)strlen(req);
	s.data = NULL;
	s.ack = isn + 1 + 180;
	s.flags = PL_TCP_ACK;
	seg_emit(m, &s, "responder ACK of our FIN: %s", what);
	s.flags = PL_TCP_ACK | PL_TCP_FIN;
	seg_emit(m, &s, "responder client FIN: %s", what);
	s.flags = PL_TCP_RST;
	seg_emit(m, &s, "responder client RST: %s", what);
}

/* The responder: every route and answer kind, IPv4 and IPv6. */
static void c_responder(struct mk *m)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: pathlab\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
		"GET /api HTTP/1.1\r\nHost: pathlab\r\n\r\n",
		"GET /health HTTP/1.1\r\n\r\n",
		"GET /custom HTTP/1.1\r\n\r\n",
		"GET /health?probe=1 HTTP/1.1\r\n\r\n",
		"GET /nothing-here HTTP/1.1\r\n\r\n",
		"GET /a-path-of-exactly-forty-eight-characters-long HTTP/1.1\r\n\r\n",
		"HEAD / HTTP/1.1\r\n\r\n",
		"HEAD /api HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		"DELETE /api HTTP/1.1\r\n\r\n",
		"GET /big HTTP/1.1\r\n\r\n",
		"GE",
	};
	static const uint16_t msses[] = { 0, 536, 1220, 1400, 1460, 9000 };
	struct seg s;
	uint32_t isn;

	for (int v6 = 0; v6 < 2; v6++) {
		for (unsigned i = 0; i < N(reqs); i++)
			resp_talk(m, v6, (uint16_t)(41000 + i), 0, reqs[i]);
		resp_talk(m, v6, 41100, 100, reqs[0]);
		/* The MSS a cookie carries: /big does not fit 536. */
		for (unsigned i = 0; i < N(msses); i++) {
			resp_ends(&s, v6, 3, (uint16_t)(42000 + i), 8080);
			s.mss = msses[i];
			isn = seg_syn(m, &s, "GET /big");
			s.seq++;
			s.ack = isn + 1;
			s.flags = PL_TCP_ACK | PL_TCP_PSH;
			s.data = reqs[11];
			seg_emit(m, &s, "responder GET /big after MSS %u", msses[i]);
		}
		/* Request and FIN in one segment. */
		resp_ends(&s, v6, 4, 42100, 8080);
		isn = seg_syn(m, &s, "request+FIN");
		s.seq++;
		s.ack = isn + 1;
		s.flags = PL_TCP_ACK | PL_TCP_PSH | PL_TCP_FIN;
		s.data = reqs[2];
		seg_emit(m, &s, "responder request with FIN");
		/* Data acknowledging beyond the ISN + 1: absorbed, not answered. */
		s.flags = PL_TCP_ACK | PL_TCP_PSH;
		s.ack = isn + 6;
		seg_emit(m, &s, "responder request acknowledging ISN + 6");
		/* Bad cookies: off by 4096, another tuple's, zero. */
		s.ack = isn + 1 + 4096;
		seg_emit(m, &s, "responder request with a bad cookie (+4096)");
		s.sport++;
		s.ack = isn + 1;
		seg_emit(m, &s, "responder request with another tuple's cookie");
		s.flags = PL_TCP_ACK;
		s.ack = 0;
		s.data = NULL;
		seg_emit(m, &s, "responder ACK of 0");
		/* Segments without ACK: data, FIN; and SYN+ACK, SYN+FIN. */
		s.flags = PL_TCP_PSH;
		s.data = reqs[2];
		seg_emit(m, &s, "responder data without ACK");
		s.data = NULL;
		s.flags = PL_TCP_FIN;
		seg_emit(m, &s, "responder FIN without ACK");
		s.flags = PL_TCP_SYN | PL_TCP_ACK;
		seg_emit(m, &s, "responder SYN+ACK to the server");
		s.flags = PL_TCP_SYN | PL_TCP_FIN;
		seg_emit(m, &s, "responder SYN+FIN");
		/* Not ours: another port, another address on port 80, and
		 * the address listening on 80. */
		resp_ends(&s, v6, 5, 42200, 8081);
		seg_syn(m, &s, "to port 8081 (not listening)");
		resp_ends(&s, v6, 5, 42201, 80);
		seg_syn(m, &s, "to port 80 (listening on 10.70.0.2 / fd70::2 only)");
		s.d4 = PL_PKT_IP4(10, 70, 0, 3);
		v6_addr(s.d6, 0x70, 0, 3);
		seg_syn(m, &s, "to 10.70.0.3 / fd70::3 port 80 (not listening)");
	}
	/* Padded to 60 bytes as on the wire: SYN, handshake ACK, request,
	 * FIN (replies are sized from the IP length, not the frame). */
	resp_ends(&s, 0, 7, 42400, 8080);
	s.mss = 0;
	s.pad = 60;
	isn = seg_syn(m, &s, "padded to 60");
	s.seq++;
	s.ack = isn + 1;
	s.flags = PL_TCP_ACK;
	seg_emit(m, &s, "responder handshake ACK padded to 60");
	s.flags = PL_TCP_ACK | PL_TCP_PSH;
	s.data = "GET / HTTP/1.0\r\n\r\n";
	seg_emit(m, &s, "responder request GET / (short)");
	s.data = NULL;
	s.seq += 18;
	s.flags = PL_TCP_ACK | PL_TCP_FIN;
	seg_emit(m, &s, "responder client FIN padded to 60");
	/* A request larger than the response (the frame shrinks), IPv4 and
	 * IPv6; and a request under two VLAN tags. */
	{
		static char big_req[1300];
		struct pl_pkt p;

		snprintf(big_req, sizeof(big_req), "GET /api HTTP/1.1\r\nCookie: %01200d\r\n\r\n", 7);
		for (int v6 = 0; v6 < 2; v6++) {
			resp_ends(&s, v6, 8, 42500, 8080);
			isn = seg_syn(m, &s, "large request");
			s.seq++;
			s.ack = isn + 1;
			s.flags = PL_TCP_ACK | PL_TCP_PSH;
			s.data = big_req;
			seg_emit(m, &s, "responder request of %zu bytes (reply shrinks the frame)", strlen(big_req));
		}
		resp_ends(&s, 0, 9, 42600, 8080);
		s.vlan = 0; /* tags added by hand below */
		isn = seg_syn(m, &s, "plain, for a double-tagged request");
		s.seq++;
		s.ack = isn + 1;
		s.flags = PL_TCP_ACK | PL_TCP_PSH;
		s.data = "GET /health HTTP/1.1\r\n\r\n";
		pl_pkt_init(&p);
		pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
		pl_pkt_vlan(&p, 0x88a8, 300);
		pl_pkt_vlan(&p, 0x8100, 301);
		pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = s.s4, .daddr = s.d4, .id = 1 });
		pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = s.sport, .dport = s.dport, .seq = s.seq,
						    .ack = s.ack, .flags = s.flags, .window = 64240 });
		pl_pkt_payload(&p, s.data, (unsigned)strlen(s.data));
		pl_pkt_finish(&p);
		emit(m, &p, "ipv4 responder request under 802.1ad + 802.1Q (tags kept)");
	}
	/* IPv4 options and fragments are left to the next stages. */
	resp_ends(&s, 0, 6, 42300, 8080);
	s.ip_opts = 1;
	seg_syn(m, &s, "with IPv4 options");
	s.ip_opts = 0;
	s.more_frags = 1;
	seg_syn(m, &s, "first fragment");
}

/* A VIP and client of the load-balancer frames. */
static void lb_ends(struct seg *s, int v6, unsigned vip, uint16_t port, unsigned cli, uint16_t sport)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	s->s4 = PL_PKT_IP4(10, 75, cli >> 8, cli & 255);
	s->d4 = PL_PKT_IP4(10, 71, 0, vip);
	v6_addr(s->s6, 0x75, 0, cli);
	v6_addr(s->d6, 0x71, 0, 0x100 + vip - 100); /* fd71::100 for 10.71.0.100 */
	s->sport = sport;
	s->dport = port;
	s->seq = 7u * sport;
}

/* The load balancer: new flows and known flows of every service (DSR,
 * NAT, IP-in-IP; IPv4 and IPv6; TCP and UDP), NAT replies, a service
 * without a usable backend, and what the LB leaves alone. */
static void c_lb(struct mk *m)
{
	static const struct { int v6; unsigned vip; uint16_t port; int udp; const char *what; } svc[] = {
		{ 0, 100, 80, 0, "dsr tcp" },     { 0, 100, 81, 0, "nat tcp" },
		{ 0, 100, 53, 1, "nat udp" },     { 0, 101, 80, 0, "ipip tcp" },
		{ 0, 101, 4790, 1, "ipip udp" },  { 1, 100, 443, 0, "dsr tcp" },
		{ 1, 100, 53, 1, "nat udp" },     { 1, 101, 80, 0, "ipip tcp" },
		{ 0, 102, 80, 0, "no usable backend" },
	};
	struct seg s;

	for (unsigned k = 0; k < N(svc); k++) {
		for (unsigned f = 0; f < 12; f++) {
			lb_ends(&s, svc[k].v6, svc[k].vip, svc[k].port, 1 + f, (uint16_t)(50000 + f * 7));
			s.udp = svc[k].udp;
			s.flags = PL_TCP_SYN;
			s.fill = s.udp ? 40 : 0;
			seg_emit(m, &s, "lb %s new flow %u", svc[k].what, f);
			s.flags = PL_TCP_ACK | PL_TCP_PSH;
			s.fill = 20 + f;
			seg_emit(m, &s, "lb %s known flow %u", svc[k].what, f);
		}
	}
	/* IPv4 UDP without a checksum through NAT and IP-in-IP. */
	lb_ends(&s, 0, 100, 53, 40, 5300);
	s.udp = 1;
	s.fill = 30;
	s.zero_udp_csum = 1;
	seg_emit(m, &s, "lb nat udp without checksum");
	lb_ends(&s, 0, 101, 4790, 40, 5301);
	s.udp = 1;
	s.fill = 30;
	s.zero_udp_csum = 1;
	seg_emit(m, &s, "lb ipip udp without checksum");
	/* Replies from NAT backends get the VIP back (then the default). */
	for (unsigned f = 0; f < 4; f++) {
		memset(&s, 0, sizeof(s));
		s.s4 = PL_PKT_IP4(10, 71, 2, 2 + (f & 1));
		s.d4 = PL_PKT_IP4(10, 75, 0, 1 + f);
		s.sport = (uint16_t)(8081 + (f & 1));
		s.dport = (uint16_t)(50000 + f * 7);
		s.flags = PL_TCP_SYN | PL_TCP_ACK;
		seg_emit(m, &s, "lb nat tcp reply from backend %u", 1 + (f & 1));
		memset(&s, 0, sizeof(s));
		s.udp = 1;
		s.s4 = PL_PKT_IP4(10, 71, 3, 2);
		s.d4 = PL_PKT_IP4(10, 75, 0, 1 + f);
		s.sport = 5353;
		s.dport = (uint16_t)(50000 + f * 7);
		s.fill = 48;
		s.zero_udp_csum = f & 1;
		seg_emit(m, &s, "lb nat udp reply%s", f & 1 ? " without checksum" : "");
		memset(&s, 0, sizeof(s));
		s.v6 = 1;
		s.udp = 1;
		v6_addr(s.s6, 0x71, 3, 2);
		v6_addr(s.d6, 0x75, 0, 1 + f);
		s.sport = 5353;
		s.dport = (uint16_t)(50000 + f * 7);
		s.fill = 48;
		seg_emit(m, &s, "lb nat udp reply");
	}
	/* Tagged frames: DSR keeps the tag; IP-in-IP needs untagged frames. */
	lb_ends(&s, 0, 100, 80, 60, 6000);
	s.vlan = 71;
	s.flags = PL_TCP_SYN;
	seg_emit(m, &s, "lb dsr tcp, vlan-tagged");
	lb_ends(&s, 0, 101, 80, 60, 6001);
	s.vlan = 71;
	s.flags = PL_TCP_SYN;
	seg_emit(m, &s, "lb ipip tcp, vlan-tagged (not encapsulated)");
	/* Fragments: the first carries ports, later ones are left alone. */
	lb_ends(&s, 0, 100, 53, 61, 6002);
	s.udp = 1;
	s.fill = 64;
	s.more_frags = 1;
	seg_emit(m, &s, "lb nat udp first fragment");
	s.more_frags = 0;
	s.frag_off = 9;
	seg_emit(m, &s, "lb nat udp later fragment");
	/* A VIP's other port, and IPv4 options through IP-in-IP. */
	lb_ends(&s, 0, 100, 8080, 62, 6003);
	s.flags = PL_TCP_SYN;
	seg_emit(m, &s, "lb VIP on a port without a service");
	lb_ends(&s, 0, 101, 80, 62, 6004);
	s.flags = PL_TCP_SYN;
	s.ip_opts = 1;
	seg_emit(m, &s, "lb ipip tcp with IPv4 options");
	/* IPv6 to the v4-mapped form of an IPv4 VIP, and IPv6 from the
	 * v4-mapped form of an IPv4 NAT backend: neither is the IPv4 one's. */
	lb_ends(&s, 1, 100, 80, 64, 6020);
	memset(s.d6, 0, 16);
	s.d6[10] = s.d6[11] = 0xff;
	s.d6[12] = 10, s.d6[13] = 71, s.d6[14] = 0, s.d6[15] = 100;
	s.flags = PL_TCP_SYN;
	seg_emit(m, &s, "lb ipv6 to ::ffff:10.71.0.100 (not the IPv4 service)");
	memset(&s, 0, sizeof(s));
	s.v6 = 1;
	s.udp = 1;
	s.s6[10] = s.s6[11] = 0xff;
	s.s6[12] = 10, s.s6[13] = 71, s.s6[14] = 3, s.s6[15] = 2;
	v6_addr(s.d6, 0x75, 0, 64);
	s.sport = 5353;
	s.dport = 6021;
	s.fill = 32;
	seg_emit(m, &s, "lb ipv6 reply from ::ffff:10.71.3.2 (not reverse-NATed)");
	/* Padded to 60 bytes: every mode keeps the padding after the packet. */
	for (unsigned k = 0; k < 3; k++) {
		static const uint16_t ports[] = { 80, 81, 80 };

		lb_ends(&s, 0, k == 2 ? 101 : 100, ports[k], 63, (uint16_t)(6010 + k));
		s.flags = PL_TCP_SYN;
		s.pad = 60;
		seg_emit(m, &s, "lb %s tcp SYN padded to 60", k == 0 ? "dsr" : k == 1 ? "nat" : "ipip");
	}
}

/* A source of the rate-limit frames. */
static void rl_src(struct seg *s, int v6, unsigned net, unsigned h)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	s->s4 = PL_PKT_IP4(10, net, h >> 8, h & 255);
	s->d4 = PL_PKT_IP4(10, 70, 0, 9);
	v6_addr(s->s6, (uint8_t)net, (uint8_t)(h >> 8), h & 255);
	v6_addr(s->d6, 0x70, 0, 9);
	s->sport = (uint16_t)(20000 + h);
	s->dport = 7000;
}

/* Rate-limit bursts: back-to-back floods from one source (1 us apart),
 * two interleaved sources, sources sharing an IPv6 /64, big frames against
 * the byte budget. */
static void c_ratelimit(struct mk *m)
{
	struct seg a, b;

	rl_src(&a, 0, 72, 1);
	a.udp = 1;
	a.fill = 18;
	for (unsigned i = 0; i < 40; i++)
		seg_emit(m, &a, "ratelimit flood from 10.72.0.1, frame %u", i);
	rl_src(&b, 0, 72, 2);
	b.udp = 1;
	b.fill = 18;
	for (unsigned i = 0; i < 30; i++) {
		seg_emit(m, &a, "ratelimit 10.72.0.1 interleaved, frame %u", i);
		seg_emit(m, &b, "ratelimit 10.72.0.2 interleaved, frame %u", i);
	}
	for (unsigned i = 0; i < 30; i++) {
		rl_src(&a, 1, 72, 1 + (i & 1));
		a.flags = PL_TCP_ACK;
		a.fill = 10;
		seg_emit(m, &a, "ratelimit fd72::%u (same /64), frame %u", 1 + (i & 1), i);
	}
	rl_src(&a, 0, 72, 3);
	a.udp = 1;
	a.fill = 1000;
	for (unsigned i = 0; i < 10; i++)
		seg_emit(m, &a, "ratelimit 1042-byte frames from 10.72.0.3, frame %u", i);
}

/* SYN floods: one source (per-source budget) while its established flow
 * goes on, then spoofed sources (global budget), IPv6 too. */
static void c_synflood(struct mk *m)
{
	struct seg s;

	for (unsigned i = 0; i < 40; i++) {
		rl_src(&s, 0, 73, 1);
		s.sport = (uint16_t)(30000 + i);
		s.dport = 80;
		s.flags = PL_TCP_SYN;
		s.mss = 1460;
		seg_emit(m, &s, "synflood SYN from 10.73.0.1, %u", i);
		s.sport = 29999;
		s.flags = PL_TCP_ACK | PL_TCP_PSH;
		s.mss = 0;
		s.fill = 30;
		seg_emit(m, &s, "synflood established segment from 10.73.0.1, %u", i);
	}
	for (unsigned i = 0; i < 60; i++) {
		rl_src(&s, 0, 74, 1 + i);
		s.dport = 80;
		s.flags = PL_TCP_SYN;
		seg_emit(m, &s, "synflood SYN from spoofed 10.74.0.%u", 1 + i);
	}
	for (unsigned i = 0; i < 30; i++) {
		rl_src(&s, 1, 73, 1 + (i % 3));
		s.sport = (uint16_t)(31000 + i);
		s.dport = 443;
		s.flags = PL_TCP_SYN;
		seg_emit(m, &s, "synflood SYN from fd73::%u", 1 + (i % 3));
	}
	rl_src(&s, 0, 73, 1);
	s.dport = 80;
	s.flags = PL_TCP_SYN | PL_TCP_ACK;
	seg_emit(m, &s, "synflood SYN+ACK (not a SYN for the guard)");
}

/* Fragments of datagrams larger than the MTU: the first fragment's UDP
 * length is the whole datagram's (3,008 bytes), and an IPv6 later fragment
 * whose first fragment began with Destination Options carries data that,
 * read as an extension header, would run past the frame. */
static void c_frag_datagram(struct mk *m)
{
	static const uint8_t not_ext[24] = { 17, 255, 0xde, 0xad, 0xbe, 0xef };
	struct pl_pkt p;

	for (unsigned i = 0; i < 2; i++) {
		uint16_t dport = i ? 9000 : 4242;

		pl_pkt_init(&p);
		pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .more_frags = 1, .id = (uint16_t)(20 + i) });
		pl_pkt_udp(&p, 33002, dport);
		pl_pkt_fill(&p, 1472, 20 + i);
		pl_pkt_finish(&p);
		pl_pkt_put16(&p, pl_pkt_off(&p, PL_PK_UDP) + 4, 3008);
		emit(m, &p, "ipv4 first fragment of a 3008-byte udp datagram -> port %u", dport);
		eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
		pl_pkt_ip6_frag(&p, 0, 1, 30 + i);
		pl_pkt_udp(&p, 33002, dport);
		pl_pkt_fill(&p, 1440, 30 + i);
		pl_pkt_finish(&p);
		pl_pkt_put16(&p, pl_pkt_off(&p, PL_PK_UDP) + 4, 3008);
		emit(m, &p, "ipv6 first fragment of a 3008-byte udp datagram -> port %u", dport);
	}
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_ip6_frag(&p, 185, 0, 40);
	pl_pkt_raw(&p, 60, not_ext, sizeof(not_ext));
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 later fragment, first fragment began with destination options");
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_ip6_frag(&p, 185, 1, 41);
	pl_pkt_raw(&p, 60, not_ext, sizeof(not_ext));
	pl_pkt_fill(&p, 1000, 41);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 middle fragment, first fragment began with destination options");
}

/* Responder requests at the edges of the request line: a request line
 * split across segments (the path reaches the end of the datagram), the
 * same path followed by Ethernet padding, LF-only and CRLF-only endings, and
 * an IPv6 SYN to the v4-mapped form of an IPv4 listener's address. */
static void c_responder_edges(struct mk *m)
{
	static const struct { const char *req; unsigned pad; const char *what; } reqs[] = {
		{ "GET /api", 0, "split request line 'GET /api'" },
		{ "GET /api", 120, "'GET /api' then Ethernet padding" },
		{ "GET /health\n", 0, "'GET /health' ended by LF" },
		{ "GET /custom\r\n", 0, "'GET /custom' ended by CRLF" },
		{ "HEAD /", 0, "split request line 'HEAD /'" },
	};
	struct seg s;

	for (int v6 = 0; v6 < 2; v6++)
		for (unsigned i = 0; i < N(reqs); i++) {
			uint32_t isn;

			resp_ends(&s, v6, 7, (uint16_t)(42400 + 10 * v6 + i), 8080);
			isn = seg_syn(m, &s, reqs[i].what);
			s.seq++;
			s.ack = isn + 1;
			s.flags = PL_TCP_ACK | PL_TCP_PSH;
			s.data = reqs[i].req;
			s.pad = reqs[i].pad;
			seg_emit(m, &s, "responder request: %s", reqs[i].what);
			if (i == 0) {
				s.seq += (uint32_t)strlen(reqs[i].req);
				s.data = "keys HTTP/1.0\r\n\r\n";
				seg_emit(m, &s, "responder request: the rest of the split line");
			}
		}
	/* ::ffff:10.70.0.2 port 80: not the IPv4 listener 10.70.0.2 80 */
	resp_ends(&s, 1, 8, 42500, 80);
	memset(s.d6, 0, 16);
	s.d6[10] = s.d6[11] = 0xff;
	s.d6[12] = 10;
	s.d6[13] = 70;
	s.d6[15] = 2;
	seg_syn(m, &s, "to ::ffff:10.70.0.2 port 80");
}


/* Routing (route.policy): destinations under a /8, a /16 inside it, a pass
 * and a drop route, and none; TTL / hop limit 64, 2, 1 and 0; IPv4 with
 * options; frames the stage leaves alone (broadcast MAC, VLAN tag, IPv6
 * multicast). */
static void c_route(struct mk *m)
{
	static const struct { uint32_t dst; const char *what; } v4[] = {
		{ PL_PKT_IP4(10, 1, 7, 7), "10.1.0.0/16" },
		{ PL_PKT_IP4(10, 200, 0, 1), "10.0.0.0/8" },
		{ PL_PKT_IP4(10, 1, 2, 3), "pass route 10.1.2.0/24" },
		{ PL_PKT_IP4(10, 9, 0, 1), "drop route 10.9.0.0/16" },
		{ PL_PKT_IP4(198, 51, 100, 1), "no route" },
	};
	static const uint8_t ttls[] = { 64, 2, 1, 0 };
	static const uint8_t opts[4] = { 1, 1, 1, 1 }; /* NOPs */
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };
	static const uint8_t d6none[16] = { 0x20, 0x01, 0x0d, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };
	static const uint8_t d6mc[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
	struct pl_pkt p;

	for (unsigned i = 0; i < N(v4); i++)
		for (unsigned t = 0; t < N(ttls); t++) {
			pl_pkt_init(&p);
			pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = v4[i].dst,
								   .ttl = ttls[t] });
			pl_pkt_udp(&p, 3000, 5000);
			pl_pkt_finish(&p);
			if (!ttls[t]) { /* 0 means 64 to the builder: set it afterwards */
				pl_pkt_set(&p, PL_PK_IPV4, 8, 1, 0);
				pl_pkt_recsum(&p);
			}
			emit(m, &p, "ipv4 udp to %s ttl %u", v4[i].what, ttls[t]);
		}
	pl_pkt_init(&p);
	pl_shape_eth_v4(&p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_PKT_IP4(10, 1, 7, 7),
						   .ttl = 9, .opts = opts, .optlen = 4 });
	pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 3001, .dport = 80 });
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 tcp with options to 10.1.0.0/16 ttl 9");
	pl_pkt_init(&p);
	pl_pkt_eth(&p, bcast, mac_a);
	pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_PKT_IP4(10, 1, 7, 7) });
	pl_pkt_udp(&p, 3002, 5000);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv4 udp to 10.1.7.7 sent to the broadcast MAC");
	pl_pkt_init(&p);
	pl_pkt_eth(&p, mac_a, mac_a);
	pl_pkt_vlan(&p, 0x8100, 7);
	pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = PL_SHAPE_V4_SRC, .daddr = PL_PKT_IP4(10, 1, 7, 7) });
	pl_pkt_udp(&p, 3003, 5000);
	pl_pkt_finish(&p);
	emit(m, &p, "vlan 7 ipv4 udp to 10.1.7.7");
	for (unsigned t = 0; t < N(ttls); t++) {
		struct pl_pkt_ip6 ip = { .hop_limit = ttls[t] };

		memcpy(ip.saddr, PL_SHAPE_V6_SRC, 16);
		memcpy(ip.daddr, d6, 16);
		pl_pkt_init(&p);
		pl_pkt_eth(&p, mac_a, mac_a);
		pl_pkt_ipv6(&p, &ip);
		pl_pkt_udp(&p, 3004, 5000);
		pl_pkt_finish(&p);
		if (!ttls[t])
			pl_pkt_set(&p, PL_PK_IPV6, 7, 1, 0);
		emit(m, &p, "ipv6 udp to 2001:db8:1::/48 hop limit %u", ttls[t]);
	}
	eth_v6(&p, v6_lab, d6none);
	pl_pkt_udp(&p, 3005, 5000);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 udp to 2001:db9::5 (no route)");
	eth_v6(&p, v6_lab, d6mc);
	pl_pkt_icmp6(&p, 128, 0, 1, 1);
	pl_pkt_finish(&p);
	emit(m, &p, "ipv6 echo to ff02::1 (multicast: not routed)");
}

/* A frame of a 9000-byte MTU: 9014 bytes (9018 on the wire with the FCS). */
#define JUMBO_LEN 9014u

/* Emit s filled up to len bytes. */
static void seg_emit_len(struct mk *m, struct seg *s, unsigned len, const char *what)
{
	struct pl_pkt p;

	s->fill = 0;
	seg_build(&p, s);
	s->fill = len > p.len ? len - p.len : 0;
	seg_emit(m, s, "%u-byte %s", len, what);
}

/* An IPv4 UDP datagram from the lab net 192.0.2.H to 198.51.100.1. */
static void udp_lab(struct seg *s, unsigned h, uint16_t sport, uint16_t dport)
{
	memset(s, 0, sizeof(*s));
	s->udp = 1;
	s->s4 = PL_PKT_IP4(192, 0, 2, h);
	s->d4 = PL_PKT_IP4(198, 51, 100, 1);
	s->sport = sport;
	s->dport = dport;
}

/* Jumbo frames (a 9000-byte MTU): longer than the 3520 bytes of one
 * test_run page, so every build sees a multi-buffer frame whose headers are
 * in the first buffer. The ACL and steering ports, the load balancer's
 * encapsulations and rewrites, the responder (which refuses them:
 * resp_multibuf), the byte budget of the rate limiter, both sides of the
 * one-page boundary, and IP/UDP lengths past the end of a jumbo frame. */
static void c_jumbo(struct mk *m)
{
	static const uint16_t tports[] = { 22, 80, 443, 8080 }, uports[] = { 53, 4242, 5000, 9000 };
	static const unsigned sizes[] = { 3520, 3521, 4096, 7000, JUMBO_LEN, PLT_REPLAY_MAX_FRAME };
	struct seg s;
	struct pl_pkt p;
	char what[80];

	for (int v6 = 0; v6 < 2; v6++) {
		for (unsigned i = 0; i < N(tports) + N(uports); i++) {
			int udp = i >= N(tports);

			memset(&s, 0, sizeof(s));
			s.v6 = v6;
			s.udp = udp;
			s.s4 = PL_PKT_IP4(192, 0, 2, 10 + udp);
			s.d4 = PL_PKT_IP4(198, 51, 100, 1);
			memcpy(s.s6, v6_lab, 16);
			memcpy(s.d6, v6_srv, 16);
			s.sport = (uint16_t)(udp ? 46000 + i - N(tports) : 45000 + i);
			s.dport = udp ? uports[i - N(tports)] : tports[i];
			s.flags = udp ? 0 : PL_TCP_ACK | PL_TCP_PSH;
			snprintf(what, sizeof(what), "jumbo %s to port %u", udp ? "udp" : "tcp", s.dport);
			seg_emit_len(m, &s, JUMBO_LEN, what);
		}
	}
	/* Both sides of the one-page boundary, and the longest frame replayed. */
	for (unsigned i = 0; i < N(sizes); i++) {
		udp_lab(&s, 12, 47000, 4243);
		seg_emit_len(m, &s, sizes[i], "udp frame");
	}
	/* The load balancer: new and known flows of DSR, NAT and IP-in-IP. */
	for (int k = 0; k < 5; k++) {
		static const struct { int v6; unsigned vip; uint16_t port; int udp; const char *what; } svc[] = {
			{ 0, 100, 80, 0, "dsr tcp" }, { 0, 100, 53, 1, "nat udp" }, { 0, 101, 80, 0, "ipip tcp" },
			{ 1, 101, 80, 0, "ipip tcp" }, { 1, 100, 53, 1, "nat udp" },
		};

		lb_ends(&s, svc[k].v6, svc[k].vip, svc[k].port, 200 + k, (uint16_t)(52000 + k));
		s.udp = svc[k].udp;
		s.flags = PL_TCP_SYN;
		seg_emit(m, &s, "lb %s jumbo flow: new", svc[k].what);
		s.flags = PL_TCP_ACK | PL_TCP_PSH;
		snprintf(what, sizeof(what), "lb %s jumbo flow: known", svc[k].what);
		seg_emit_len(m, &s, JUMBO_LEN, what);
	}
	/* The responder refuses them (resp_multibuf), v4 and v6. */
	for (int v6 = 0; v6 < 2; v6++) {
		resp_ends(&s, v6, 3, (uint16_t)(41000 + v6), 80);
		s.mss = 0;
		s.flags = PL_TCP_ACK | PL_TCP_PSH;
		seg_emit_len(m, &s, JUMBO_LEN, "responder segment (refused)");
	}
	/* Jumbo frames against the byte budget (ratelimit.policy: a burst of
	 * 3000 bytes), charged for the whole frame. */
	for (unsigned i = 0; i < 3; i++) {
		rl_src(&s, 0, 72, 9);
		s.udp = 1;
		seg_emit_len(m, &s, JUMBO_LEN, "ratelimit frame from 10.72.0.9");
	}
	/* Lengths past the end of a jumbo frame. */
	udp_lab(&s, 13, 47001, 4243);
	s.fill = JUMBO_LEN - 42;
	seg_build(&p, &s);
	pl_pkt_put16(&p, pl_pkt_off(&p, PL_PK_IPV4) + 2, JUMBO_LEN - 14 + 1);
	emit(m, &p, "ipv4 total length one past the end of a jumbo frame");
	seg_build(&p, &s);
	pl_pkt_put16(&p, pl_pkt_off(&p, PL_PK_UDP) + 4, JUMBO_LEN - 34 + 1);
	emit(m, &p, "udp length one past the end of a jumbo frame");
}

struct corpus_class {
	const char *name;
	void (*fn)(struct mk *m);
	const char *what;
};

/* The corpus, in order. Append new classes at the end so existing frame
 * indices stay put. */
static const struct corpus_class classes[] = {
	{ "shapes", c_shapes, "one frame of every kind the parser knows" },
	{ "tcp", c_tcp, "IPv4/IPv6 TCP to ports 22, 80, 443, 4242, 8080 from several sources" },
	{ "udp", c_udp, "IPv4/IPv6 UDP to 53, 4242 (steered), 4243, 5000, 9000; 1514-byte frame" },
	{ "icmp", c_icmp, "ICMP and ICMPv6 echo, unreachable, neighbour solicitation" },
	{ "vlan", c_vlan, "802.1Q, 802.1ad+802.1Q, 0x9100+802.1Q to tcp 22/80 and udp 4242" },
	{ "arp", c_arp, "ARP reply (padded) and gratuitous ARP" },
	{ "frag", c_frag, "IPv4 and IPv6 first, middle and last fragments" },
	{ "prefixes", c_prefixes, "sources inside and outside the policies' prefixes" },
	{ "runt", c_runt, "frames shorter than an Ethernet header (bad_eth)" },
	{ "truncated", c_truncated, "every shape cut at every header byte, plain and lengths fixed" },
	{ "bad-fields", c_bad_fields, "bad IHL, version, total/payload/UDP length, TCP data offset, ARP lengths" },
	{ "bounds", c_bounds, "VLAN stacks and IPv6 extension chains at and past their bounds" },
	{ "responder", c_responder, "responder conversations v4/v6: SYN, request, retransmission, FIN, RST; every route, HEAD, 404, 405, MSS, bad cookies" },
	{ "lb", c_lb, "load balancer: new and known flows of DSR, NAT and IP-in-IP services (v4/v6, TCP/UDP), NAT replies, no backend" },
	{ "ratelimit", c_ratelimit, "rate-limit bursts: one-source floods, interleaved sources, an IPv6 /64, the byte budget" },
	{ "synflood", c_synflood, "SYN floods from one source (its established flow goes on), spoofed sources, IPv6" },
	{ "frag-datagram", c_frag_datagram, "first fragments of 3008-byte UDP datagrams (v4/v6), IPv6 later fragments after extension headers" },
	{ "responder-edges", c_responder_edges, "responder request lines split across segments or padded, LF/CRLF endings, a v4-mapped destination" },
	{ "route", c_route, "routing: longest prefix, pass/drop/no route, TTL and hop limit 64/2/1/0, IPv4 options; broadcast, VLAN, multicast left alone" },
	{ "jumbo", c_jumbo, "multi-buffer frames up to 9216 bytes: ACL and steering ports, LB, responder (refused), byte budget, the page boundary, lengths past the end" },
};

/* ---- command line ------------------------------------------------------------- */

struct mk_names {
	const char *name[32];
	unsigned n;
};

struct mk_opts {
	const char *out, *index, *seeds;
	struct mk_names only, skip;
	int list;
};

/* --class / --exclude NAME: a known class, at most 32 of them. */
static int mk_class_opt(void *field, const char *arg);

#define O(f) offsetof(struct mk_opts, f)
static const struct plt_opt mk_opt_table[] = {
	{ "out", 'o', PLT_OPT_STR, O(out), "FILE", "write the corpus to this pcap file (required unless --list)" },
	{ "index", 'i', PLT_OPT_STR, O(index), "FILE",
	  "also write one line per frame: index, class, length, description" },
	{ "seeds", 's', PLT_OPT_STR, O(seeds), "DIR", "also write each frame as a file in DIR (a fuzzer seed corpus)" },
	{ "class", 'c', PLT_OPT_FUNC, O(only), "NAME", "only this class (repeatable; default: every class)",
	  .fn = mk_class_opt },
	{ "exclude", 'x', PLT_OPT_FUNC, O(skip), "NAME",
	  "leave this class out (repeatable), e.g. runt for BPF_PROG_TEST_RUN", .fn = mk_class_opt },
	{ "list", 'l', PLT_OPT_FLAG, O(list), NULL, "list the classes and exit" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "show this help" },
};

static void mk_intro(FILE *f)
{
	fprintf(f, "Write pathlab's deterministic parity corpus (pcap, Ethernet, nanosecond times). Frame i\n"
		   "is stamped with the replay clock, 1 s + i us. Replay it with tests/corpus/*.policy.\n");
}

static const struct plt_tool mk_tool = {
	.name = "pl-mkcorpus",
	.usage = "-o FILE.pcap [options]",
	.intro = mk_intro,
	.opts = mk_opt_table,
	.nopts = PLT_ARRAY_SIZE(mk_opt_table),
};

/* Index of the class called name, or -1. */
static int class_index(const char *name)
{
	for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(classes[i].name, name))
			return (int)i;
	return -1;
}

static int mk_class_opt(void *field, const char *arg)
{
	struct mk_names *l = field;

	if (class_index(arg) < 0) {
		pr_warn("unknown class '%s' (see --list)\n", arg);
		return -EINVAL;
	}
	if (l->n == PLT_ARRAY_SIZE(l->name)) {
		pr_warn("at most %zu classes per option\n", PLT_ARRAY_SIZE(l->name));
		return -EINVAL;
	}
	l->name[l->n++] = arg;
	return 0;
}

/* Is name one of the list? */
static int in_list(const char *name, const struct mk_names *l)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return 1;
	return 0;
}

/* Parse options, write the classes asked for; no output file is left on failure. */
int main(int argc, char **argv)
{
	struct mk_opts o = { 0 };
	struct mk m = { 0 };
	char **args;
	int nargs, err;

	err = plt_opts_main(&mk_tool, argc, argv, &o, &nargs, &args);
	if (err >= 0)
		return err;
	if (o.list) {
		for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			printf("%-12s %s\n", classes[i].name, classes[i].what);
		return 0;
	}
	if (!o.out) {
		pr_warn("no output file: give -o FILE.pcap (try --help)\n");
		return 2;
	}
	m.seeds = o.seeds;
	if (m.seeds && mkdir(m.seeds, 0755) && errno != EEXIST) {
		pr_warn("cannot create %s: %s\n", m.seeds, strerror(errno));
		return 1;
	}
	if (plt_pcap_create(&m.pcap, o.out))
		return 1;
	if (o.index) {
		m.index = fopen(o.index, "w");
		if (!m.index) {
			pr_warn("cannot create %s: %s\n", o.index, strerror(errno));
			plt_pcap_finish(&m.pcap);
			remove(o.out);
			return 1;
		}
		fprintf(m.index, "# pathlab corpus v1: index\tclass\tlength\tdescription\n");
	}
	for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]) && !m.err; i++) {
		if ((o.only.n && !in_list(classes[i].name, &o.only)) || in_list(classes[i].name, &o.skip))
			continue;
		m.cls = classes[i].name;
		classes[i].fn(&m);
	}
	err = plt_pcap_finish(&m.pcap);
	if (m.index && fclose(m.index) && !err)
		err = -errno;
	if (m.err || err) {
		pr_warn("failed%s%s; removing %s\n", err ? ": " : "", err ? strerror(-err) : "", o.out);
		remove(o.out);
		return 1;
	}
	return 0;
}
