// SPDX-License-Identifier: MIT
/* libFuzzer target for the parser and the whole pipeline: arbitrary bytes go
 * through pl_parse() and pl_core_process() under four configurations that
 * together run every stage (per-source counting, an ACL with IPv4/IPv6
 * prefix and port rules, steering, forward reflect and redirect, count-only,
 * malformed and default verdicts), on two workers. Built with ASan and UBSan;
 * each input sits in an allocation of exactly its size, so any read past the
 * frame is reported. Invariants that must hold for every input abort. */
#include "pl_parse.h"
#include "pl_stages.h"
#include "pl_user.h"
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define FUZZ_WORKERS 2

/* Abort with a message: libFuzzer saves the input. */
#define MUST(cond)                                                                     \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

static struct pl_config *cfg;

/* An IPv4 prefix rule (v4-mapped). */
static void rule_v4(struct pl_acl_rule *r, int src, uint32_t addr, unsigned plen)
{
	struct pl_addr *a = src ? &r->src : &r->dst, *m = src ? &r->src_mask : &r->dst_mask;

	memset(a, 0, sizeof(*a));
	memset(m, 0xff, 12);
	a->b[10] = a->b[11] = 0xff;
	m->w[3] = plen ? htonl(~0u << (32 - plen)) : 0;
	a->w[3] = htonl(addr) & m->w[3];
	r->family = 4;
}

/* Tables: ACL, steering, forwarding entries every configuration shares. */
static void setup_tables(void)
{
	static struct pl_acl_set set;
	struct pl_acl_rule *r = set.rule;
	struct pl_steer_key sk = { .proto = IPPROTO_UDP, .port = 4242 };
	struct pl_steer_val sv = { .action = PL_USER };
	struct pl_fwd_entry fe = { .v = { .out_port = 2, .flags = PL_FWD_F_SET_MACS },
				   .dst_mac = { 2, 0, 0, 0, 0, 0xd }, .src_mac = { 2, 0, 0, 0, 0, 5 } };
	__u32 bank = 0, ifindex = 1;

	for (unsigned i = 0; i < 6; i++) {
		r[i].sport_hi = r[i].dport_hi = 65535;
	}
	r[0].action = PL_ACL_DROP; /* tcp 22 */
	r[0].proto = IPPROTO_TCP;
	r[0].dport_lo = r[0].dport_hi = 22;
	r[1].action = PL_ACL_PASS; /* 10.0.0.0/8 -> tcp 80 */
	r[1].proto = IPPROTO_TCP;
	r[1].dport_lo = r[1].dport_hi = 80;
	rule_v4(&r[1], 1, 0x0a000000, 8);
	r[2].action = PL_ACL_USER; /* udp 5000-5009 */
	r[2].proto = IPPROTO_UDP;
	r[2].dport_lo = 5000;
	r[2].dport_hi = 5009;
	r[3].action = PL_ACL_DROP; /* from 2001:db8::/32 */
	r[3].family = 6;
	r[3].src.w[0] = htonl(0x20010db8);
	r[3].src_mask.w[0] = 0xffffffff;
	r[4].action = PL_ACL_DROP; /* icmp to 192.0.2.0/24 */
	r[4].proto = IPPROTO_ICMP;
	rule_v4(&r[4], 0, 0xc0000200, 24);
	r[5].action = PL_ACL_PASS; /* anything from 0.0.0.0/0 */
	rule_v4(&r[5], 1, 0, 0);
	set.count = 6;
	MUST(!pl_table_update(pl_table_find("pl_acl"), &bank, &set, PL_UPDATE_ANY));
	MUST(!pl_table_update(pl_table_find("pl_steer"), &sk, &sv, PL_UPDATE_ANY));
	MUST(!pl_table_update(pl_table_find("pl_fwd"), &ifindex, &fe, PL_UPDATE_ANY));
}

/* Once: the core with two workers and the shared tables. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	MUST(pl_core_init(FUZZ_WORKERS) == 0);
	setup_tables();
	cfg = pl_core_config();
	MUST(cfg);
	return 0;
}

/* The four configurations every input runs under. */
static void configure(unsigned k)
{
	cfg->mode = k == 2 ? PL_MODE_COUNT_ONLY : PL_MODE_POLICY;
	cfg->src_stats = 1;
	cfg->steer_enabled = 1;
	cfg->acl_bank = 0;
	cfg->fwd_mode = k == 0 ? PL_FWD_REFLECT : k == 1 ? PL_FWD_REDIRECT : PL_FWD_NONE;
	cfg->acl_default = k == 3 ? PL_DROP : PL_PASS;
	cfg->malformed_verdict = k == 3 ? PL_USER : PL_DROP;
	cfg->default_verdict = k == 3 ? PL_TX : PL_PASS;
	cfg->clock_ns = 1000000000ull + k;
}

/* What pl_parse() reports must describe bytes inside the frame. */
static void check_parse(const uint8_t *d, size_t n)
{
	struct pl_hdrs h;
	int rc = pl_parse((void *)d, (void *)(d + n), &h);

	if (rc < 0) {
		MUST(h.bad >= PL_CNT_BAD_ETH && h.bad <= PL_CNT_BAD_ICMP);
		return;
	}
	MUST(h.bad == 0);
	MUST(n >= 14 && h.l3_off >= 14 && h.l3_off <= n);
	MUST(h.vlan_depth <= PL_VLAN_MAX);
	MUST(h.l3_off == 14 + 4 * h.vlan_depth);
	if (h.family) {
		MUST(h.family == 4 || h.family == 6);
		MUST(h.l3_off + (size_t)h.l3_len <= n);
	}
	MUST(h.l4_off <= n && h.payload_off <= n);
	if (h.payload_off) {
		MUST(h.l4_off && h.payload_off > h.l4_off);
		MUST(h.payload_off <= h.l3_off + (size_t)h.l3_len);
	}
	if (h.frag == PL_FRAG_LATER)
		MUST(h.l4_off == 0 && h.sport == 0 && h.dport == 0);
	if (h.l4_proto != IPPROTO_TCP && h.l4_proto != IPPROTO_UDP)
		MUST(h.sport == 0 && h.dport == 0 && h.tcp_flags == 0);
}

/* One input: parse it, then run it under every configuration. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static unsigned iter;
	uint8_t *buf;

	if (n > 9000)
		return 0;
	buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, n);
	check_parse(buf, n);
	for (unsigned k = 0; k < 4; k++) {
		unsigned w = iter++ % FUZZ_WORKERS;
		__u32 zero = 0;
		struct pl_counters *c;
		struct pl_buf b = { .data = buf, .len = (uint32_t)n, .ifindex = 1 };
		uint64_t rx, sum = 0;
		uint32_t out = 0;
		int v;

		memcpy(buf, data, n);
		configure(k);
		pl_worker_set(w);
		c = pl_table_lookup(pl_table_find("pl_counters"), &zero);
		MUST(c);
		rx = c->c[PL_CNT_RX_PACKETS];
		v = pl_core_process(&b, &out);
		MUST(v >= 0 && v < PL_VERDICT__MAX && v != PL_ABORTED);
		MUST(b.data == buf && b.len == n);
		MUST(c->c[PL_CNT_RX_PACKETS] == rx + 1);
		for (int i = PL_CNT_V_DROP; i <= PL_CNT_V_ABORTED; i++)
			sum += c->c[i];
		MUST(sum == c->c[PL_CNT_RX_PACKETS]);
		if (v == PL_REDIRECT)
			MUST(out == 2 && k == 1);
		if (k == 2)
			MUST(v == PL_PASS); /* count-only changes nothing */
		if (v == PL_TX && k == 0 && n >= 12)
			MUST(!memcmp(buf, data + 6, 6) && !memcmp(buf + 6, data, 6));
		if (n > 12)
			MUST(!memcmp(buf + 12, data + 12, n - 12)); /* only MACs are rewritten */
	}
	pl_worker_set(0);
	free(buf);
	return 0;
}
