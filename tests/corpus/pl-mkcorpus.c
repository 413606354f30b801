// SPDX-License-Identifier: MIT
/* pl-mkcorpus: write pathlab's parity corpus, a deterministic classic pcap
 * covering every stage and every malformed class, to be replayed with the
 * policies in the tests/corpus policy files by every build (pathlab-replay compares
 * them frame by frame).
 *
 * The corpus is a list of classes; each class is one function that emits
 * frames with emit(). To add traffic (issue 3: load balancer, rate limiter,
 * SYN guard, responder), write one function and add one line to classes[]. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pl_pcap.h"
#include "pl_pkt.h"
#include "pl_shapes.h"

/* The replay clock (core/ctl/pl_ctl.h): frame i is stamped with the "now"
 * every build is given for it. */
#define CORPUS_CLOCK_BASE_NS 1000000000ull
#define CORPUS_CLOCK_STEP_NS 1000ull

struct mk {
	struct pl_pcap pcap;
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
	err = pl_pcap_write(&m->pcap, p->b, p->len,
			    CORPUS_CLOCK_BASE_NS + (uint64_t)m->n * CORPUS_CLOCK_STEP_NS);
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
	struct pl_pkt_ip6 ip = { 0 };

	memcpy(ip.saddr, src, 16);
	memcpy(ip.daddr, dst, 16);
	pl_pkt_init(p);
	pl_pkt_eth(p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	pl_pkt_ipv6(p, &ip);
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
	struct pl_pkt p;

	eth_v4(&p, PL_SHAPE_V4_SRC, PL_SHAPE_V4_DST);
	pl_pkt_icmp(&p, 8, 0, 1, 1);
	pl_pkt_fill(&p, 56, 1);
	pl_pkt_finish(&p);
	emit(m, &p, "icmp echo request");
	eth_v4(&p, PL_SHAPE_V4_DST, PL_SHAPE_V4_SRC);
	pl_pkt_icmp(&p, 0, 0, 1, 1);
	pl_pkt_fill(&p, 56, 1);
	pl_pkt_finish(&p);
	emit(m, &p, "icmp echo reply");
	eth_v4(&p, PL_SHAPE_V4_SRC, PL_PKT_IP4(198, 51, 100, 7));
	pl_pkt_icmp(&p, 3, 3, 0, 0);
	pl_pkt_fill(&p, 28, 2);
	pl_pkt_finish(&p);
	emit(m, &p, "icmp port unreachable to 198.51.100.7");
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_icmp6(&p, 128, 0, 2, 1);
	pl_pkt_fill(&p, 56, 3);
	pl_pkt_finish(&p);
	emit(m, &p, "icmpv6 echo request");
	eth_v6(&p, PL_SHAPE_V6_SRC, PL_SHAPE_V6_DST);
	pl_pkt_icmp6(&p, 135, 0, 0, 0);
	pl_pkt_payload(&p, PL_SHAPE_V6_DST, 16);
	pl_pkt_finish(&p);
	emit(m, &p, "icmpv6 neighbour solicitation");
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
 * receives these from a NIC; some BPF_PROG_TEST_RUN versions refuse them. */
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
	unsigned at;

	pl_shape_make(pl_shape_index(shape), &p);
	at = pl_pkt_off(&p, kind) + off;
	if (width == 1)
		pl_pkt_put8(&p, at, (uint8_t)v);
	else
		pl_pkt_put16(&p, at, (uint16_t)v);
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
};

/* ---- command line ------------------------------------------------------------- */

struct opt {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
};

static const struct opt opts[] = {
	{ "out", 1, 'o', "FILE", "write the corpus to this pcap file (required unless --list)" },
	{ "index", 1, 'i', "FILE", "also write one line per frame: index, class, length, description" },
	{ "seeds", 1, 's', "DIR", "also write each frame as a file in DIR (a fuzzer seed corpus)" },
	{ "class", 1, 'c', "NAME", "only this class (repeatable; default: every class)" },
	{ "list", 0, 'l', NULL, "list the classes and exit" },
	{ "help", 0, 'h', NULL, "show this help" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Usage, from the option table. */
static void usage(FILE *f)
{
	fprintf(f, "usage: pl-mkcorpus -o FILE.pcap [options]\n"
		   "Write pathlab's deterministic parity corpus (classic pcap, Ethernet). Frame i is\n"
		   "stamped with the replay clock, 1 s + i us. Replay it with tests/corpus/*.policy.\n\n");
	for (unsigned i = 0; i < NOPTS; i++) {
		char left[40];

		snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].val, opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, opts[i].help);
	}
}

int main(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[2 * NOPTS + 1], *sp = shorts;
	const char *out = NULL, *index = NULL, *only[32];
	unsigned nonly = 0;
	struct mk m = { 0 };
	int c, err;

	for (unsigned i = 0; i < NOPTS; i++) {
		lopts[i] = (struct option){ opts[i].name, opts[i].has_arg, NULL, opts[i].val };
		*sp++ = (char)opts[i].val;
		if (opts[i].has_arg)
			*sp++ = ':';
	}
	memset(&lopts[NOPTS], 0, sizeof(lopts[0]));
	*sp = '\0';
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'i': index = optarg; break;
		case 's': m.seeds = optarg; break;
		case 'c':
			if (nonly == 32) {
				fprintf(stderr, "pl-mkcorpus: at most 32 --class options\n");
				return 2;
			}
			only[nonly++] = optarg;
			break;
		case 'l':
			for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
				printf("%-12s %s\n", classes[i].name, classes[i].what);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind != argc) {
		fprintf(stderr, "pl-mkcorpus: %s (try --help)\n",
			out ? "unexpected argument" : "no output file: give -o FILE.pcap");
		return 2;
	}
	for (unsigned k = 0; k < nonly; k++) {
		unsigned i;

		for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			if (!strcmp(classes[i].name, only[k]))
				break;
		if (i == sizeof(classes) / sizeof(classes[0])) {
			fprintf(stderr, "pl-mkcorpus: unknown class '%s' (see --list)\n", only[k]);
			return 2;
		}
	}
	if (m.seeds && mkdir(m.seeds, 0755) && errno != EEXIST) {
		fprintf(stderr, "pl-mkcorpus: cannot create %s: %s\n", m.seeds, strerror(errno));
		return 1;
	}
	err = pl_pcap_create(&m.pcap, out);
	if (err) {
		fprintf(stderr, "pl-mkcorpus: cannot create %s: %s\n", out, strerror(-err));
		return 1;
	}
	if (index) {
		m.index = fopen(index, "w");
		if (!m.index) {
			fprintf(stderr, "pl-mkcorpus: cannot create %s: %s\n", index, strerror(errno));
			pl_pcap_close(&m.pcap);
			remove(out);
			return 1;
		}
		fprintf(m.index, "# pathlab corpus v1: index\tclass\tlength\tdescription\n");
	}
	for (unsigned i = 0; i < sizeof(classes) / sizeof(classes[0]) && !m.err; i++) {
		unsigned k = 0;

		for (; k < nonly; k++)
			if (!strcmp(classes[i].name, only[k]))
				break;
		if (nonly && k == nonly)
			continue;
		m.cls = classes[i].name;
		classes[i].fn(&m);
	}
	err = pl_pcap_close(&m.pcap);
	if (m.index && fclose(m.index) && !err)
		err = -errno;
	if (m.err || err) {
		fprintf(stderr, "pl-mkcorpus: failed%s%s; removing %s\n", err ? ": " : "",
			err ? strerror(-err) : "", out);
		remove(out);
		return 1;
	}
	return 0;
}
