// SPDX-License-Identifier: MIT
/* Malformed frames: every shape cut at every byte of every header (both as
 * a plain cut, where IP's length then disagrees with the frame, and with the
 * lengths fixed up so the cut is seen by the layer it falls in), bad IHL,
 * total length, data offset, UDP length, IPv6 payload length, extension
 * chains and VLAN stacks past their bounds. Each is classified with the
 * right PL_CNT_BAD_* counter and given the malformed verdict; frames sit
 * against a guard page so any read past the end faults. */
#include "tunit.h"
#include "pl_shapes.h"

static char ctx[160];

/* Counter names for messages, from the one X-macro list. */
static const char *cname(int c)
{
	static const char *const names[] = {
#define PL_X(n, s, d) s,
		PL_COUNTERS(PL_X)
#undef PL_X
	};

	return c > 0 && c < PL_CNT__MAX ? names[c] : "none";
}

/* Parse q (against the guard page) and run it through the pipeline: with
 * exp_bad 0 it must be well formed, else classified exp_bad and dropped. */
static void expect_class(const uint8_t *frame, uint32_t len, int exp_bad)
{
	struct pl_hdrs h;
	uint8_t *d = tu_place(frame, len);
	int rc = pl_parse(d, d + len, &h);
	uint64_t bad0 = exp_bad ? tu_cnt(exp_bad) : 0, drop0 = tu_cnt(PL_CNT_V_DROP);
	int v;

	if (exp_bad) {
		CHECK(rc == -1 && h.bad == exp_bad, "parse rc=%d class %s, expected %s", rc,
		      cname(h.bad), cname(exp_bad));
	} else {
		CHECK(rc == 0 && h.bad == 0, "parse rc=%d class %s, expected well formed", rc,
		      cname(h.bad));
	}
	v = tu_run_on(frame, len, 0, 1, NULL, NULL);
	if (exp_bad) {
		CHECK_EQ(v, PL_DROP, "malformed verdict");
		CHECK_EQ(tu_cnt(exp_bad) - bad0, 1, "bad counter once");
		CHECK_EQ(tu_cnt(PL_CNT_V_DROP) - drop0, 1, "drop counted once");
	} else {
		CHECK(v == PL_PASS, "verdict %d for a well-formed frame", v);
	}
}

/* expect_class() for a built frame. */
static void expect_pkt(const struct pl_pkt *q, int exp_bad)
{
	expect_class(q->b, q->len, exp_bad);
}

/* The class of a cut inside layer kind k, seen by that layer. */
static int class_of(enum pl_pkt_kind k)
{
	switch (k) {
	case PL_PK_ETH: return PL_CNT_BAD_ETH;
	case PL_PK_VLAN: return PL_CNT_BAD_VLAN;
	case PL_PK_ARP: return PL_CNT_BAD_ARP;
	case PL_PK_IPV4: return PL_CNT_BAD_IPV4;
	case PL_PK_IPV6: return PL_CNT_BAD_IPV6;
	case PL_PK_IP6EXT:
	case PL_PK_IP6FRAG: return PL_CNT_BAD_IPV6_EXT;
	case PL_PK_TCP: return PL_CNT_BAD_TCP;
	case PL_PK_UDP: return PL_CNT_BAD_UDP;
	case PL_PK_ICMP:
	case PL_PK_ICMP6: return PL_CNT_BAD_ICMP;
	default: return 0;
	}
}

/* Every shape, every header byte: a plain cut is seen by the first layer
 * whose length check fails (IP's, once an IP header is whole); a cut with
 * fixed lengths by the layer it falls in. */
static void truncations(void)
{
	unsigned cases = 0;

	for (unsigned s = 0; s < pl_nshapes; s++) {
		struct pl_pkt p, q;
		const char *name = pl_shape_make(s, &p);
		int ip = p.ip_layer;

		for (unsigned li = 0; li < p.nlayers; li++) {
			const struct pl_pkt_layer *l = &p.layer[li];
			int cls = class_of(l->kind);

			if (!cls)
				continue;
			for (unsigned k = l->off; k < (unsigned)l->off + l->len; k++) {
				int raw = ip >= 0 && (int)li > ip ? class_of(p.layer[ip].kind) : cls;
				int fixed = cls;

				/* ICMPv6: the core needs only the 4-byte header. */
				if (l->kind == PL_PK_ICMP6 && k >= l->off + 4u)
					fixed = 0;
				snprintf(ctx, sizeof(ctx), "%s cut at %u in %s", name, k,
					 pl_pkt_kind_name(l->kind));
				pl_check_context = ctx;
				q = p;
				pl_pkt_truncate(&q, k);
				expect_pkt(&q, raw);
				q = p;
				pl_pkt_truncate_fix(&q, k);
				snprintf(ctx, sizeof(ctx), "%s cut at %u in %s, lengths fixed", name, k,
					 pl_pkt_kind_name(l->kind));
				expect_pkt(&q, fixed);
				cases += 2;
			}
		}
	}
	pl_check_context = "";
	CHECK(cases > 1000, "%u truncation cases", cases);
}

/* Start from a named shape. */
static void shape(const char *name, struct pl_pkt *p)
{
	pl_shape_make(pl_shape_index(name), p);
	snprintf(ctx, sizeof(ctx), "%s", name);
	pl_check_context = ctx;
}

/* Finish q with a UDP header and expect class exp; what names the case. */
static void udp_expect(struct pl_pkt *q, int exp, const char *what, unsigned n)
{
	pl_pkt_udp(q, 1, 2);
	pl_pkt_finish(q);
	snprintf(ctx, sizeof(ctx), what, n);
	pl_check_context = ctx;
	expect_pkt(q, exp);
}

/* The shape with the field (kind, off, width) set to each of lo..hi in
 * turn (step 1), each classified exp (0: well formed). */
static void field(const char *name, enum pl_pkt_kind kind, unsigned off, unsigned width,
		  uint32_t lo, uint32_t hi, int exp)
{
	struct pl_pkt p, q;

	pl_shape_make(pl_shape_index(name), &p);
	for (uint32_t v = lo; v <= hi; v++) {
		q = p;
		pl_pkt_set(&q, kind, off, width, v);
		snprintf(ctx, sizeof(ctx), "%s: %s+%u = %u", name, pl_pkt_kind_name(kind), off, v);
		pl_check_context = ctx;
		expect_pkt(&q, exp);
	}
	pl_check_context = "";
}

/* Bad IHL and version; total length too short, inside L4, past the frame;
 * Ethernet padding. ipv4-tcp: 20 + 20 + 12 bytes of IP. */
static void ipv4_cases(void)
{
	field("ipv4-tcp", PL_PK_IPV4, 0, 1, 0x40, 0x44, PL_CNT_BAD_IPV4); /* IHL 0-4 */
	field("ipv4-tcp", PL_PK_IPV4, 0, 1, 0x4f, 0x4f, PL_CNT_BAD_IPV4); /* IHL 15 > total */
	field("ipv4-tcp", PL_PK_IPV4, 0, 1, 0x00, 0x3f, PL_CNT_BAD_IPV4); /* versions 0-3 */
	field("ipv4-tcp", PL_PK_IPV4, 0, 1, 0x55, 0xf5, PL_CNT_BAD_IPV4); /* versions 5-15 */
	field("ipv4-tcp", PL_PK_IPV4, 2, 2, 0, 19, PL_CNT_BAD_IPV4);
	field("ipv4-tcp", PL_PK_IPV4, 2, 2, 53, 60, PL_CNT_BAD_IPV4);       /* past the frame */
	field("ipv4-tcp", PL_PK_IPV4, 2, 2, 0xfff0, 0xffff, PL_CNT_BAD_IPV4);
	field("ipv4-tcp", PL_PK_IPV4, 2, 2, 20, 39, PL_CNT_BAD_TCP);        /* ends inside TCP */
	field("ipv4-tcp", PL_PK_IPV4, 2, 2, 40, 52, 0);                     /* Ethernet padding */
	field("ipv4opts40-udp", PL_PK_IPV4, 2, 2, 20, 59, PL_CNT_BAD_IPV4); /* inside options */
	field("ipv4-udp-4242", PL_PK_IPV4, 2, 2, 20, 27, PL_CNT_BAD_UDP);
	field("ipv4-icmp-echo", PL_PK_IPV4, 2, 2, 20, 27, PL_CNT_BAD_ICMP);
}

/* TCP data offset below 5 and past the segment; UDP length. */
static void tcp_udp_cases(void)
{
	struct pl_pkt p, q;

	field("ipv4-tcp", PL_PK_TCP, 12, 1, 0x00, 0x4f, PL_CNT_BAD_TCP); /* doff 0-4 */
	field("ipv4-tcp", PL_PK_TCP, 12, 1, 0x90, 0xff, PL_CNT_BAD_TCP); /* past 32 bytes */
	field("ipv4-tcp", PL_PK_TCP, 12, 1, 0x50, 0x8f, 0);              /* 20-32 bytes */
	field("ipv6-tcp", PL_PK_TCP, 12, 1, 0x40, 0x40, PL_CNT_BAD_TCP);
	field("ipv6-tcp", PL_PK_TCP, 12, 1, 0x70, 0x70, PL_CNT_BAD_TCP);
	/* data offset inside the frame but past IP's total length (padding) */
	pl_shape_make(pl_shape_index("ipv4-tcp"), &p);
	q = p;
	pl_pkt_pad(&q, p.len + 40);
	pl_pkt_set(&q, PL_PK_TCP, 12, 1, 15 << 4);
	pl_check_context = "tcp data offset into the padding";
	expect_pkt(&q, PL_CNT_BAD_TCP);

	/* ipv4-udp-4242: UDP 8 + 18 bytes */
	field("ipv4-udp-4242", PL_PK_UDP, 4, 2, 0, 7, PL_CNT_BAD_UDP);
	field("ipv4-udp-4242", PL_PK_UDP, 4, 2, 27, 40, PL_CNT_BAD_UDP);
	field("ipv4-udp-4242", PL_PK_UDP, 4, 2, 0xffff, 0xffff, PL_CNT_BAD_UDP);
	field("ipv4-udp-4242", PL_PK_UDP, 4, 2, 8, 26, 0); /* shorter than IP says: allowed */
	/* ipv6-udp-4242: UDP 8 + 32 bytes */
	field("ipv6-udp-4242", PL_PK_UDP, 4, 2, 41, 41, PL_CNT_BAD_UDP);
	field("ipv6-udp-4242", PL_PK_UDP, 4, 2, 7, 7, PL_CNT_BAD_UDP);
	pl_check_context = "";
}

/* IPv6 payload length (past the frame, up to 65535; inside UDP; inside the
 * extension chain), version, extension lengths, chains past the bound. */
static void ipv6_cases(void)
{
	struct pl_pkt q;

	/* ipv6-udp-4242: 40 bytes of payload */
	field("ipv6-udp-4242", PL_PK_IPV6, 4, 2, 41, 44, PL_CNT_BAD_IPV6);
	field("ipv6-udp-4242", PL_PK_IPV6, 4, 2, 65490, 65535, PL_CNT_BAD_IPV6);
	field("ipv6-udp-4242", PL_PK_IPV6, 0, 1, 0x00, 0x5f, PL_CNT_BAD_IPV6); /* versions 0-5 */
	field("ipv6-udp-4242", PL_PK_IPV6, 0, 1, 0x70, 0xf0, PL_CNT_BAD_IPV6); /* versions 7-15 */
	field("ipv6-udp-4242", PL_PK_IPV6, 4, 2, 0, 7, PL_CNT_BAD_UDP);
	/* ipv6-ext5-udp: a 72-byte chain */
	field("ipv6-ext5-udp", PL_PK_IPV6, 4, 2, 0, 71, PL_CNT_BAD_IPV6_EXT);
	field("ipv6-ext5-udp", PL_PK_IP6EXT, 1, 1, 20, 255, PL_CNT_BAD_IPV6_EXT); /* hdrlen */

	/* Extension chains at and past PL_IPV6_EXT_MAX */
	for (unsigned n = 1; n <= PL_IPV6_EXT_MAX + 4; n++) {
		static const uint8_t types[] = { 0, 60, 43, 51, 44, 135 };

		pl_pkt_init(&q);
		pl_shape_eth_v6(&q, NULL, NULL);
		for (unsigned i = 0; i < n; i++) {
			uint8_t t = types[i % sizeof(types)];

			if (t == 44)
				pl_pkt_ip6_frag(&q, 0, 0, i);
			else
				pl_pkt_ip6_ext(&q, t, t == 51 ? 12 : 8);
		}
		udp_expect(&q, n <= PL_IPV6_EXT_MAX ? 0 : PL_CNT_BAD_IPV6_EXT,
			   "ipv6 chain of %u extension headers", n);
	}
	pl_check_context = "";
}

/* VLAN stacks at and past PL_VLAN_MAX; ARP lengths past the frame. */
static void vlan_arp_cases(void)
{
	struct pl_pkt q;

	for (unsigned n = 0; n <= PL_VLAN_MAX + 4; n++) {
		pl_pkt_init(&q);
		pl_pkt_eth(&q, PL_PKT_MAC_B, PL_PKT_MAC_A);
		for (unsigned i = 0; i < n; i++)
			pl_pkt_vlan(&q, i % 3 == 0 ? 0x88a8 : i % 3 == 1 ? 0x8100 : 0x9100, (uint16_t)i);
		pl_pkt_ipv4(&q, &(struct pl_pkt_ip4){ .saddr = 1, .daddr = 2 });
		udp_expect(&q, n <= PL_VLAN_MAX ? 0 : PL_CNT_BAD_VLAN, "stack of %u VLAN tags", n);
	}
	pl_check_context = "";
	/* ARP address lengths running past the frame */
	field("arp-request", PL_PK_ARP, 4, 1, 7, 255, PL_CNT_BAD_ARP);
	field("arp-request", PL_PK_ARP, 5, 1, 5, 255, PL_CNT_BAD_ARP);
}

/* Fragments: later fragments are not malformed (no L4 header, no ports,
 * counted as fragments); a first fragment too short for its L4 header is. */
static void fragment_cases(void)
{
	struct pl_pkt p, q;
	struct pl_hdrs h;
	uint8_t *d;

	shape("ipv4-later-frag", &p);
	d = tu_place(p.b, p.len);
	CHECK_EQ(pl_parse(d, d + p.len, &h), 0);
	CHECK_EQ(h.frag, PL_FRAG_LATER);
	CHECK_EQ(h.l4_off, 0);
	CHECK_EQ(h.dport, 0);
	/* a later fragment with no data at all */
	q = p;
	pl_pkt_truncate_fix(&q, pl_pkt_off(&p, PL_PK_IPV4) + 20);
	expect_pkt(&q, 0);
	/* a later fragment whose data looks like a broken TCP header */
	q = p;
	pl_pkt_put8(&q, pl_pkt_off(&p, PL_PK_IPV4) + 20 + 12, 0);
	expect_pkt(&q, 0);
	shape("ipv6-later-frag", &p);
	d = tu_place(p.b, p.len);
	CHECK_EQ(pl_parse(d, d + p.len, &h), 0);
	CHECK_EQ(h.frag, PL_FRAG_LATER);
	CHECK_EQ(h.l4_proto, IPPROTO_UDP);
	CHECK_EQ(h.l4_off, 0);
	tu_reset();
	CHECK_EQ(tu_run(&p), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_P_FRAGMENT), 1);
	/* tiny first fragment: 8 bytes of TCP */
	shape("ipv4-first-frag-tcp", &p);
	q = p;
	pl_pkt_truncate_fix(&q, pl_pkt_off(&p, PL_PK_TCP) + 8);
	expect_pkt(&q, PL_CNT_BAD_TCP);
	pl_check_context = "";
}

/* The malformed-frame group. */
void test_malformed(void)
{
	tu_reset();
	truncations();
	ipv4_cases();
	tcp_udp_cases();
	ipv6_cases();
	vlan_arp_cases();
	fragment_cases();
}
