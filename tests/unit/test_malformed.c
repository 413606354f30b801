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

static void ipv4_cases(void)
{
	struct pl_pkt p, q;
	unsigned ip, frame_l3;

	shape("ipv4-tcp", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV4);
	frame_l3 = p.len - ip;
	/* bad IHL and version */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		q = p;
		pl_pkt_put8(&q, ip, 0x40 | ihl);
		expect_pkt(&q, PL_CNT_BAD_IPV4);
	}
	for (unsigned ver = 0; ver < 16; ver++) {
		if (ver == 4)
			continue;
		q = p;
		pl_pkt_put8(&q, ip, (uint8_t)(ver << 4 | 5));
		expect_pkt(&q, PL_CNT_BAD_IPV4);
	}
	/* IHL longer than the total length / the frame */
	q = p;
	pl_pkt_put8(&q, ip, 0x4f);
	expect_pkt(&q, PL_CNT_BAD_IPV4);
	/* total length: shorter than the header, longer than the frame */
	for (unsigned tot = 0; tot < 20; tot++) {
		q = p;
		pl_pkt_put16(&q, ip + 2, (uint16_t)tot);
		expect_pkt(&q, PL_CNT_BAD_IPV4);
	}
	q = p;
	pl_pkt_put16(&q, ip + 2, (uint16_t)(frame_l3 + 1));
	expect_pkt(&q, PL_CNT_BAD_IPV4);
	q = p;
	pl_pkt_put16(&q, ip + 2, 0xffff);
	expect_pkt(&q, PL_CNT_BAD_IPV4);
	/* total length ending inside the TCP header: TCP's problem */
	for (unsigned tot = 20; tot < 40; tot++) {
		q = p;
		pl_pkt_put16(&q, ip + 2, (uint16_t)tot);
		expect_pkt(&q, PL_CNT_BAD_TCP);
	}
	/* shorter than the frame but covering the headers: Ethernet padding */
	q = p;
	pl_pkt_put16(&q, ip + 2, 40);
	expect_pkt(&q, 0);

	/* IPv4 options: IHL says more options than the total length holds */
	shape("ipv4opts40-udp", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV4);
	q = p;
	pl_pkt_put16(&q, ip + 2, 59);
	expect_pkt(&q, PL_CNT_BAD_IPV4);

	/* UDP and ICMP ending past the IP total length */
	shape("ipv4-udp-4242", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV4);
	for (unsigned tot = 20; tot < 28; tot++) {
		q = p;
		pl_pkt_put16(&q, ip + 2, (uint16_t)tot);
		expect_pkt(&q, PL_CNT_BAD_UDP);
	}
	shape("ipv4-icmp-echo", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV4);
	for (unsigned tot = 20; tot < 28; tot++) {
		q = p;
		pl_pkt_put16(&q, ip + 2, (uint16_t)tot);
		expect_pkt(&q, PL_CNT_BAD_ICMP);
	}
	pl_check_context = "";
}

static void tcp_udp_cases(void)
{
	struct pl_pkt p, q;
	unsigned l4;

	/* TCP data offset below 5, and past the end of the segment */
	shape("ipv4-tcp", &p); /* 20-byte TCP header + 12 bytes */
	l4 = pl_pkt_off(&p, PL_PK_TCP);
	for (unsigned doff = 0; doff < 5; doff++) {
		q = p;
		pl_pkt_put8(&q, l4 + 12, (uint8_t)(doff << 4));
		expect_pkt(&q, PL_CNT_BAD_TCP);
	}
	for (unsigned doff = 9; doff < 16; doff++) {
		q = p;
		pl_pkt_put8(&q, l4 + 12, (uint8_t)(doff << 4));
		expect_pkt(&q, PL_CNT_BAD_TCP);
	}
	q = p; /* doff 8 = 32 bytes: exactly the segment */
	pl_pkt_put8(&q, l4 + 12, 8 << 4);
	expect_pkt(&q, 0);
	/* data offset inside the frame but past IP's total length (padding) */
	q = p;
	pl_pkt_pad(&q, p.len + 40);
	pl_pkt_put8(&q, l4 + 12, 15 << 4);
	expect_pkt(&q, PL_CNT_BAD_TCP);
	/* the same on IPv6 */
	shape("ipv6-tcp", &p);
	l4 = pl_pkt_off(&p, PL_PK_TCP);
	q = p;
	pl_pkt_put8(&q, l4 + 12, 4 << 4);
	expect_pkt(&q, PL_CNT_BAD_TCP);
	q = p;
	pl_pkt_put8(&q, l4 + 12, 7 << 4);
	expect_pkt(&q, PL_CNT_BAD_TCP);

	/* UDP length: below 8, past the IP payload; shorter is allowed */
	shape("ipv4-udp-4242", &p); /* UDP 8 + 18 */
	l4 = pl_pkt_off(&p, PL_PK_UDP);
	for (unsigned ul = 0; ul < 8; ul++) {
		q = p;
		pl_pkt_put16(&q, l4 + 4, (uint16_t)ul);
		expect_pkt(&q, PL_CNT_BAD_UDP);
	}
	q = p;
	pl_pkt_put16(&q, l4 + 4, 27);
	expect_pkt(&q, PL_CNT_BAD_UDP);
	q = p;
	pl_pkt_put16(&q, l4 + 4, 0xffff);
	expect_pkt(&q, PL_CNT_BAD_UDP);
	q = p;
	pl_pkt_put16(&q, l4 + 4, 8);
	expect_pkt(&q, 0);
	shape("ipv6-udp-4242", &p);
	l4 = pl_pkt_off(&p, PL_PK_UDP);
	q = p;
	pl_pkt_put16(&q, l4 + 4, (uint16_t)(p.len - l4 + 1));
	expect_pkt(&q, PL_CNT_BAD_UDP);
	q = p;
	pl_pkt_put16(&q, l4 + 4, 7);
	expect_pkt(&q, PL_CNT_BAD_UDP);
	pl_check_context = "";
}

static void ipv6_cases(void)
{
	struct pl_pkt p, q;
	unsigned ip;

	shape("ipv6-udp-4242", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV6);
	/* payload length longer than the frame, up to the largest value */
	for (unsigned extra = 1; extra < 4; extra++) {
		q = p;
		pl_pkt_put16(&q, ip + 4, (uint16_t)(p.len - ip - 40 + extra));
		expect_pkt(&q, PL_CNT_BAD_IPV6);
	}
	for (unsigned plen = 65490; plen <= 65535; plen++) {
		q = p;
		pl_pkt_put16(&q, ip + 4, (uint16_t)plen);
		snprintf(ctx, sizeof(ctx), "ipv6 payload length %u", plen);
		expect_pkt(&q, PL_CNT_BAD_IPV6);
	}
	shape("ipv6-udp-4242", &p);
	for (unsigned ver = 0; ver < 16; ver++) {
		if (ver == 6)
			continue;
		q = p;
		pl_pkt_put8(&q, ip, (uint8_t)(ver << 4));
		expect_pkt(&q, PL_CNT_BAD_IPV6);
	}
	/* payload length ending inside UDP */
	q = p;
	pl_pkt_put16(&q, ip + 4, 7);
	expect_pkt(&q, PL_CNT_BAD_UDP);
	/* payload length ending inside the extension chain */
	shape("ipv6-ext5-udp", &p);
	ip = pl_pkt_off(&p, PL_PK_IPV6);
	for (unsigned plen = 0; plen < 8 + 24 + 8 + 16 + 16; plen += 4) {
		q = p;
		pl_pkt_put16(&q, ip + 4, (uint16_t)plen);
		snprintf(ctx, sizeof(ctx), "ipv6-ext5-udp payload length %u", plen);
		expect_pkt(&q, PL_CNT_BAD_IPV6_EXT);
	}
	/* an extension header whose length runs past the frame */
	shape("ipv6-ext5-udp", &p);
	q = p;
	pl_pkt_put8(&q, pl_pkt_off(&p, PL_PK_IP6EXT) + 1, 255);
	expect_pkt(&q, PL_CNT_BAD_IPV6_EXT);

	/* Extension chains at and past PL_IPV6_EXT_MAX */
	for (unsigned n = 1; n <= PL_IPV6_EXT_MAX + 4; n++) {
		static const uint8_t types[] = { 0, 60, 43, 51, 44, 135 };

		pl_pkt_init(&q);
		pl_shape_eth_v6(&q);
		for (unsigned i = 0; i < n; i++) {
			uint8_t t = types[i % sizeof(types)];

			if (t == 44)
				pl_pkt_ip6_frag(&q, 0, 0, i);
			else
				pl_pkt_ip6_ext(&q, t, t == 51 ? 12 : 8);
		}
		pl_pkt_udp(&q, 1, 2);
		pl_pkt_finish(&q);
		snprintf(ctx, sizeof(ctx), "ipv6 chain of %u extension headers", n);
		pl_check_context = ctx;
		expect_pkt(&q, n <= PL_IPV6_EXT_MAX ? 0 : PL_CNT_BAD_IPV6_EXT);
	}
	pl_check_context = "";
}

static void vlan_arp_cases(void)
{
	struct pl_pkt q;

	for (unsigned n = 0; n <= PL_VLAN_MAX + 4; n++) {
		pl_pkt_init(&q);
		pl_pkt_eth(&q, PL_PKT_MAC_B, PL_PKT_MAC_A);
		for (unsigned i = 0; i < n; i++)
			pl_pkt_vlan(&q, i % 3 == 0 ? 0x88a8 : i % 3 == 1 ? 0x8100 : 0x9100, (uint16_t)i);
		pl_pkt_ipv4(&q, &(struct pl_pkt_ip4){ .saddr = 1, .daddr = 2 });
		pl_pkt_udp(&q, 1, 2);
		pl_pkt_finish(&q);
		snprintf(ctx, sizeof(ctx), "stack of %u VLAN tags", n);
		pl_check_context = ctx;
		expect_pkt(&q, n <= PL_VLAN_MAX ? 0 : PL_CNT_BAD_VLAN);
	}
	/* ARP address lengths running past the frame */
	pl_shape_make(pl_shape_index("arp-request"), &q);
	pl_check_context = "arp hlen 255";
	pl_pkt_put8(&q, 14 + 4, 255);
	expect_pkt(&q, PL_CNT_BAD_ARP);
	pl_pkt_put8(&q, 14 + 4, 6);
	pl_pkt_put8(&q, 14 + 5, 5);
	expect_pkt(&q, PL_CNT_BAD_ARP);
	pl_check_context = "";
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
