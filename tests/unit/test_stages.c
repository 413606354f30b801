// SPDX-License-Identifier: MIT
/* pl_run() and the stages through libpathlab-core: ACL first-match order,
 * prefix/port/protocol matching for IPv4 and IPv6, the ACL default, steer,
 * forward (reflect: MACs swapped; redirect: out_port), the mode switch, the
 * malformed and default verdicts, and per-source counters per worker. Table
 * entries are written directly (pl_table_find / pl_table_update). */
#include "tunit.h"
#include "pl_shapes.h"

static void acl_order(void)
{
	struct pl_acl_rule r[3];
	struct pl_pkt p;

	pl_check_context = "acl order";
	tu_reset();
	tu_v4_tcp(&p, TU_V4_A, TU_V4_B, 1000, 22);
	/* drop tcp/22 before pass tcp: drop */
	r[0] = tu_rule(PL_ACL_DROP);
	r[0].proto = IPPROTO_TCP;
	r[0].dport_lo = r[0].dport_hi = 22;
	r[1] = tu_rule(PL_ACL_PASS);
	r[1].proto = IPPROTO_TCP;
	tu_acl(r, 2);
	CHECK_EQ(tu_run(&p), PL_DROP);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_DROP), 1);
	/* the same rules the other way round: pass wins, default verdict */
	r[2] = r[0];
	r[0] = r[1];
	r[1] = r[2];
	tu_acl(r, 2);
	CHECK_EQ(tu_run(&p), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_PASS), 1);
	/* per-rule hits: rule 0 of the live bank */
	{
		__u32 i0 = 0, i1 = 1;
		struct pl_table *t = pl_table_find("pl_acl_hits");

		CHECK_EQ(*(__u64 *)pl_table_lookup_worker(t, &i0, 0), 2);
		CHECK_EQ(*(__u64 *)pl_table_lookup_worker(t, &i1, 0), 0);
	}
	/* user action */
	r[0] = tu_rule(PL_ACL_USER);
	r[0].proto = IPPROTO_TCP;
	r[0].dport_lo = 20;
	r[0].dport_hi = 25;
	tu_acl(r, 1);
	CHECK_EQ(tu_run(&p), PL_USER);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_USER), 1);
	/* count 0: nothing matches, default */
	tu_acl(r, 0);
	CHECK_EQ(tu_run(&p), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_DEFAULT), 1);
	tu_cfg()->acl_default = PL_DROP;
	CHECK_EQ(tu_run(&p), PL_DROP);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_DEFAULT), 2);
	/* non-IP frames never see the ACL, even with default drop */
	{
		struct pl_pkt a;

		pl_shape_make(pl_shape_index("arp-request"), &a);
		CHECK_EQ(tu_run(&a), PL_PASS);
		CHECK_EQ(tu_cnt(PL_CNT_ACL_DEFAULT), 2);
	}
	pl_check_context = "";
}

/* One rule, one frame: does it match? */
static int matches(const struct pl_acl_rule *rule, const struct pl_pkt *p)
{
	struct pl_acl_rule r = *rule;

	r.action = PL_ACL_DROP;
	tu_acl(&r, 1);
	return tu_run(p) == PL_DROP;
}

static void acl_match(void)
{
	struct pl_acl_rule r;
	struct pl_pkt t4, u4, t6, u6, i4, i6, f4;

	pl_check_context = "acl match";
	tu_reset();
	tu_v4_tcp(&t4, TU_V4_A, TU_V4_C, 1000, 80);
	tu_v4_udp(&u4, TU_V4_A, TU_V4_C, 1000, 80);
	tu_v6_tcp(&t6, TU_V6_A, TU_V6_C, 1000, 80);
	tu_v6_udp(&u6, TU_V6_A, TU_V6_C, 1000, 80);
	pl_shape_make(pl_shape_index("ipv4-icmp-echo"), &i4);
	pl_shape_make(pl_shape_index("ipv6-icmpv6-echo"), &i6);
	pl_shape_make(pl_shape_index("ipv4-later-frag"), &f4);

	/* any */
	r = tu_rule(PL_ACL_DROP);
	CHECK(matches(&r, &t4) && matches(&r, &u6) && matches(&r, &i4) && matches(&r, &f4), "any");
	/* family */
	r.family = 4;
	CHECK(matches(&r, &t4) && !matches(&r, &t6), "family 4");
	r.family = 6;
	CHECK(!matches(&r, &u4) && matches(&r, &u6) && matches(&r, &i6), "family 6");
	/* protocol */
	r = tu_rule(PL_ACL_DROP);
	r.proto = IPPROTO_UDP;
	CHECK(!matches(&r, &t4) && matches(&r, &u4) && matches(&r, &u6) && !matches(&r, &i4), "udp");
	r.proto = IPPROTO_ICMP;
	CHECK(matches(&r, &i4) && !matches(&r, &i6), "icmp");
	r.proto = IPPROTO_ICMPV6;
	CHECK(!matches(&r, &i4) && matches(&r, &i6), "icmpv6");
	/* IPv4 prefixes: source /32, /24, /0; destination /16 */
	r = tu_rule(PL_ACL_DROP);
	tu_rule_src4(&r, TU_V4_A, 32);
	CHECK(matches(&r, &t4) && !matches(&r, &t6), "src /32");
	tu_rule_src4(&r, TU_V4_B, 32);
	CHECK(!matches(&r, &t4), "other src /32");
	tu_rule_src4(&r, PL_PKT_IP4(10, 0, 0, 0), 24);
	CHECK(matches(&r, &t4), "src /24");
	tu_rule_src4(&r, PL_PKT_IP4(10, 0, 1, 0), 24);
	CHECK(!matches(&r, &t4), "other src /24");
	tu_rule_src4(&r, 0, 0);
	CHECK(matches(&r, &t4) && !matches(&r, &t6), "src 0.0.0.0/0 is IPv4 only");
	r = tu_rule(PL_ACL_DROP);
	tu_rule_dst4(&r, PL_PKT_IP4(192, 168, 0, 0), 16);
	CHECK(matches(&r, &t4) && matches(&r, &u4), "dst /16");
	tu_rule_dst4(&r, PL_PKT_IP4(192, 169, 0, 0), 16);
	CHECK(!matches(&r, &t4), "other dst /16");
	tu_rule_dst4(&r, PL_PKT_IP4(192, 168, 7, 8), 31);
	CHECK(matches(&r, &t4), "dst /31");
	tu_rule_dst4(&r, PL_PKT_IP4(192, 168, 7, 8), 32);
	CHECK(!matches(&r, &t4), "dst /32 off by one");
	/* IPv6 prefixes */
	r = tu_rule(PL_ACL_DROP);
	tu_rule_src6(&r, TU_V6_A, 128);
	CHECK(matches(&r, &t6) && !matches(&r, &t4), "src6 /128");
	tu_rule_src6(&r, TU_V6_B, 127);
	CHECK(!matches(&r, &t6), "src6 /127 other");
	tu_rule_src6(&r, TU_V6_B, 126);
	CHECK(matches(&r, &t6), "src6 /126");
	r = tu_rule(PL_ACL_DROP);
	tu_rule_dst6(&r, TU_V6_C, 48);
	CHECK(matches(&r, &u6), "dst6 /48");
	tu_rule_dst6(&r, TU_V6_A, 48);
	CHECK(!matches(&r, &u6), "dst6 /48 other (differs in bits 33-48)");
	tu_rule_dst6(&r, TU_V6_A, 32);
	CHECK(matches(&r, &u6), "dst6 /32");
	/* ports: exact, range edges, source ports */
	r = tu_rule(PL_ACL_DROP);
	r.proto = IPPROTO_TCP;
	r.dport_lo = r.dport_hi = 80;
	CHECK(matches(&r, &t4) && matches(&r, &t6) && !matches(&r, &u4), "dport 80");
	r.dport_lo = 81;
	r.dport_hi = 90;
	CHECK(!matches(&r, &t4), "dport 81-90");
	r.dport_lo = 70;
	r.dport_hi = 80;
	CHECK(matches(&r, &t4), "dport 70-80");
	r.dport_lo = 80;
	r.dport_hi = 65535;
	CHECK(matches(&r, &t4), "dport 80-65535");
	r = tu_rule(PL_ACL_DROP);
	r.sport_lo = 999;
	r.sport_hi = 999;
	CHECK(!matches(&r, &t4), "sport 999");
	r.sport_hi = 1000;
	CHECK(matches(&r, &t4) && matches(&r, &u6), "sport 999-1000");
	/* later fragments carry no ports: only port-less rules match */
	r = tu_rule(PL_ACL_DROP);
	r.proto = IPPROTO_TCP;
	CHECK(matches(&r, &f4), "later fragment, proto only");
	r.dport_lo = 1;
	CHECK(!matches(&r, &f4), "later fragment, dport 1-65535");
	pl_check_context = "";
}

static void steer(void)
{
	struct pl_pkt u4, u6, t4, u80;
	struct pl_acl_rule r;

	pl_check_context = "steer";
	tu_reset();
	tu_v4_udp(&u4, TU_V4_A, TU_V4_B, 1000, 4242);
	tu_v6_udp(&u6, TU_V6_A, TU_V6_B, 1000, 4242);
	tu_v4_tcp(&t4, TU_V4_A, TU_V4_B, 1000, 4242);
	tu_v4_udp(&u80, TU_V4_A, TU_V4_B, 1000, 80);
	tu_steer(IPPROTO_UDP, 4242, PL_USER);
	tu_steer(IPPROTO_UDP, 80, PL_DROP);
	CHECK_EQ(tu_run(&u4), PL_USER);
	CHECK_EQ(tu_run(&u6), PL_USER);
	CHECK_EQ(tu_cnt(PL_CNT_STEER_USER), 2);
	CHECK_EQ(tu_run(&t4), PL_PASS, "tcp/4242 not steered");
	CHECK_EQ(tu_run(&u80), PL_DROP, "udp/80 steered to drop");
	CHECK_EQ(tu_cnt(PL_CNT_V_USER), 2);
	/* switched off */
	tu_cfg()->steer_enabled = 0;
	CHECK_EQ(tu_run(&u4), PL_PASS);
	tu_cfg()->steer_enabled = 1;
	/* an ACL drop wins over steering; an ACL pass lets it run */
	r = tu_rule(PL_ACL_DROP);
	r.proto = IPPROTO_UDP;
	tu_acl(&r, 1);
	CHECK_EQ(tu_run(&u4), PL_DROP);
	r.action = PL_ACL_PASS;
	tu_acl(&r, 1);
	CHECK_EQ(tu_run(&u4), PL_USER);
	pl_check_context = "";
}

static void forward(void)
{
	struct pl_pkt p;
	struct pl_table *fwd;
	uint32_t out = 99;
	uint8_t *o;
	int v;

	pl_check_context = "forward";
	tu_reset();
	tu_v4_udp(&p, TU_V4_A, TU_V4_B, 1, 2);
	/* reflect: TX with the MACs swapped, nothing else changed */
	tu_cfg()->fwd_mode = PL_FWD_REFLECT;
	v = tu_run_on(p.b, p.len, 0, 5, &out, &o);
	CHECK_EQ(v, PL_TX);
	CHECK(!memcmp(o, p.b + 6, 6) && !memcmp(o + 6, p.b, 6), "MACs swapped");
	CHECK(!memcmp(o + 12, p.b + 12, p.len - 12), "rest unchanged");
	CHECK_EQ(tu_cnt(PL_CNT_FWD_TX), 1);
	/* reflect also applies to non-IP frames */
	{
		struct pl_pkt a;

		pl_shape_make(pl_shape_index("arp-request"), &a);
		CHECK_EQ(tu_run(&a), PL_TX);
	}
	/* an ACL drop wins over forwarding */
	{
		struct pl_acl_rule r = tu_rule(PL_ACL_DROP);

		tu_acl(&r, 1);
		CHECK_EQ(tu_run(&p), PL_DROP);
		tu_acl(&r, 0);
	}

	/* redirect: out_port from pl_fwd[ifindex] */
	tu_cfg()->fwd_mode = PL_FWD_REDIRECT;
	fwd = pl_table_find("pl_fwd");
	{
		__u32 in = 5, in2 = 6;
		struct pl_fwd_entry e = { .v = { .out_port = 3 } };
		struct pl_fwd_entry e2 = { .v = { .out_port = 4, .flags = PL_FWD_F_SET_MACS },
					   .dst_mac = { 0x02, 0xdd, 0, 0, 0, 1 },
					   .src_mac = { 0x02, 0x55, 0, 0, 0, 2 } };

		CHECK(!pl_table_update(fwd, &in, &e, PL_UPDATE_ANY), "fwd write");
		CHECK(!pl_table_update(fwd, &in2, &e2, PL_UPDATE_ANY), "fwd write");
		v = tu_run_on(p.b, p.len, 0, 5, &out, &o);
		CHECK_EQ(v, PL_REDIRECT);
		CHECK_EQ(out, 3);
		CHECK(!memcmp(o, p.b, p.len), "frame unchanged without SET_MACS");
		v = tu_run_on(p.b, p.len, 1, 6, &out, &o);
		CHECK_EQ(v, PL_REDIRECT);
		CHECK_EQ(out, 4);
		CHECK(!memcmp(o, e2.dst_mac, 6) && !memcmp(o + 6, e2.src_mac, 6), "MACs rewritten");
		CHECK(!memcmp(o + 12, p.b + 12, p.len - 12), "rest unchanged");
		/* no entry for this interface: default verdict, out_port 0 */
		v = tu_run_on(p.b, p.len, 0, 7, &out, &o);
		CHECK_EQ(v, PL_PASS);
		CHECK_EQ(out, 0);
		CHECK_EQ(tu_cnt(PL_CNT_FWD_REDIRECT), 2);
		CHECK_EQ(tu_cnt(PL_CNT_V_REDIRECT), 2);
	}
	pl_check_context = "";
}

static void modes(void)
{
	struct pl_pkt p, bad;
	struct pl_acl_rule r;

	pl_check_context = "modes";
	tu_reset();
	tu_v4_tcp(&p, TU_V4_A, TU_V4_B, 1000, 22);
	bad = p;
	pl_pkt_put8(&bad, 14, 0x44); /* IHL 4 */
	r = tu_rule(PL_ACL_DROP);
	tu_acl(&r, 1);
	tu_cfg()->src_stats = 1;
	tu_cfg()->fwd_mode = PL_FWD_REFLECT;

	tu_cfg()->mode = PL_MODE_POLICY;
	CHECK_EQ(tu_run(&p), PL_DROP);
	CHECK_EQ(tu_run(&bad), PL_DROP);
	CHECK_EQ(tu_cnt(PL_CNT_BAD_IPV4), 1);

	/* pass-all and drop-all: before parsing, nothing else counted */
	tu_reset();
	tu_acl(&r, 1);
	tu_cfg()->mode = PL_MODE_PASS_ALL;
	CHECK_EQ(tu_run(&p), PL_PASS);
	CHECK_EQ(tu_run(&bad), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_BAD_IPV4), 0);
	CHECK_EQ(tu_cnt(PL_CNT_P_IPV4), 0);
	tu_cfg()->mode = PL_MODE_DROP_ALL;
	CHECK_EQ(tu_run(&p), PL_DROP);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_DROP), 0);
	CHECK_EQ(tu_cnt(PL_CNT_RX_PACKETS), 3);
	CHECK_EQ(tu_cnt(PL_CNT_V_PASS), 2);
	CHECK_EQ(tu_cnt(PL_CNT_V_DROP), 1);

	/* count-only: parsed and counted (protocols, sources), stages not run */
	tu_cfg()->mode = PL_MODE_COUNT_ONLY;
	tu_cfg()->src_stats = 1;
	tu_cfg()->fwd_mode = PL_FWD_REFLECT;
	CHECK_EQ(tu_run(&p), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_ACL_DROP), 0);
	CHECK_EQ(tu_cnt(PL_CNT_FWD_TX), 0);
	CHECK_EQ(tu_cnt(PL_CNT_P_TCP), 1);
	CHECK_EQ(pl_table_count(pl_table_find("pl_src"), 0), 1);
	/* count-only changes nothing ("observe only", docs/policy.md): a
	 * malformed frame is counted in its class and passed too */
	CHECK_EQ(tu_run(&bad), PL_PASS);
	CHECK_EQ(tu_cnt(PL_CNT_BAD_IPV4), 1);

	/* policy again: the switch is one field, flipped between frames */
	tu_cfg()->mode = PL_MODE_POLICY;
	CHECK_EQ(tu_run(&p), PL_DROP);
	/* an unknown mode behaves as policy */
	tu_cfg()->mode = 77;
	CHECK_EQ(tu_run(&p), PL_DROP);
	pl_check_context = "";
}

static void verdicts(void)
{
	struct pl_pkt p, bad;

	pl_check_context = "verdicts";
	tu_reset();
	tu_v4_udp(&p, TU_V4_A, TU_V4_B, 1, 2);
	bad = p;
	pl_pkt_truncate(&bad, 20);
	/* malformed verdict: configurable, redirect and junk fall back to drop */
	tu_cfg()->malformed_verdict = PL_PASS;
	CHECK_EQ(tu_run(&bad), PL_PASS);
	tu_cfg()->malformed_verdict = PL_USER;
	CHECK_EQ(tu_run(&bad), PL_USER);
	tu_cfg()->malformed_verdict = PL_REDIRECT;
	CHECK_EQ(tu_run(&bad), PL_DROP);
	tu_cfg()->malformed_verdict = 1000;
	CHECK_EQ(tu_run(&bad), PL_DROP);
	CHECK_EQ(tu_cnt(PL_CNT_BAD_IPV4), 4);
	/* default verdict */
	tu_cfg()->default_verdict = PL_DROP;
	CHECK_EQ(tu_run(&p), PL_DROP);
	tu_cfg()->default_verdict = PL_TX;
	CHECK_EQ(tu_run(&p), PL_TX);
	tu_cfg()->default_verdict = PL_REDIRECT;
	CHECK_EQ(tu_run(&p), PL_PASS);
	tu_cfg()->default_verdict = 200;
	CHECK_EQ(tu_run(&p), PL_PASS);
	/* verdict counters add up to rx */
	{
		uint64_t sum = 0;

		for (int c = PL_CNT_V_DROP; c <= PL_CNT_V_ABORTED; c++)
			sum += tu_cnt(c);
		CHECK_EQ(sum, tu_cnt(PL_CNT_RX_PACKETS));
	}
	/* no core tables: ABORTED */
	pl_core_fini();
	{
		struct pl_buf b = { .data = p.b, .len = p.len };

		CHECK_EQ(pl_core_process(&b, NULL), PL_ABORTED);
	}
	tu_reset();
	pl_check_context = "";
}

/* Per-source counters live per worker: each worker sees only its frames. */
static void sources(void)
{
	struct pl_pkt a, a6, b;
	struct pl_table *src;
	struct pl_addr ka, kb, ka6;
	struct pl_src_stats *s;

	pl_check_context = "per-source counters";
	tu_reset();
	tu_cfg()->src_stats = 1;
	tu_v4_udp(&a, TU_V4_A, TU_V4_B, 1, 2);
	tu_v6_udp(&a6, TU_V6_A, TU_V6_B, 1, 2);
	tu_v4_tcp(&b, TU_V4_C, TU_V4_B, 1, 2);
	for (int i = 0; i < 3; i++)
		tu_run_on(a.b, a.len, 0, 1, NULL, NULL);
	for (int i = 0; i < 2; i++)
		tu_run_on(a.b, a.len, 1, 1, NULL, NULL);
	tu_run_on(b.b, b.len, 1, 1, NULL, NULL);
	tu_run_on(a6.b, a6.len, 1, 1, NULL, NULL);
	src = pl_table_find("pl_src");
	pl_addr_set_v4(&ka, htonl(TU_V4_A));
	pl_addr_set_v4(&kb, htonl(TU_V4_C));
	memcpy(ka6.b, TU_V6_A, 16);
	s = pl_table_lookup_worker(src, &ka, 0);
	CHECK(s && s->packets == 3 && s->bytes == 3ull * a.len, "worker 0, source A");
	s = pl_table_lookup_worker(src, &ka, 1);
	CHECK(s && s->packets == 2 && s->bytes == 2ull * a.len, "worker 1, source A");
	CHECK(pl_table_lookup_worker(src, &kb, 0) == NULL, "worker 0 never saw C");
	s = pl_table_lookup_worker(src, &kb, 1);
	CHECK(s && s->packets == 1 && s->bytes == b.len, "worker 1, source C");
	s = pl_table_lookup_worker(src, &ka6, 1);
	CHECK(s && s->packets == 1, "worker 1, IPv6 source");
	CHECK_EQ(pl_table_count(src, 0), 1);
	CHECK_EQ(pl_table_count(src, 1), 3);
	/* per-worker protocol counters too */
	{
		__u32 zero = 0;
		struct pl_table *cnt = pl_table_find("pl_counters");
		struct pl_counters *c0 = pl_table_lookup_worker(cnt, &zero, 0);
		struct pl_counters *c1 = pl_table_lookup_worker(cnt, &zero, 1);

		CHECK(c0 && c1, "counters per worker");
		CHECK_EQ(c0->c[PL_CNT_RX_PACKETS], 3);
		CHECK_EQ(c1->c[PL_CNT_RX_PACKETS], 4);
		CHECK_EQ(c1->c[PL_CNT_P_TCP], 1);
	}
	/* off: nothing recorded; non-IP frames never recorded */
	tu_cfg()->src_stats = 0;
	tu_run_on(b.b, b.len, 0, 1, NULL, NULL);
	CHECK(pl_table_lookup_worker(src, &kb, 0) == NULL, "src_stats off");
	pl_check_context = "";
}

void test_stages(void)
{
	acl_order();
	acl_match();
	steer();
	forward();
	modes();
	verdicts();
	sources();
}
