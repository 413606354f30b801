// SPDX-License-Identifier: MIT
/* Fuzz target for the parser and the whole pipeline, every stage on.
 *
 * An input is a 5-byte header and a frame:
 *   h[0]  policy: one of fuzz_policies[] (below), parsed and applied to the
 *         user-space tables by libpathlab-ctl when it differs from the live one
 *   h[1]  bits 0-5 flip the policy's rl / syn / resp / lb / steer / src_stats
 *         switch; bits 6-7 forwarding: the policy's, none, reflect, redirect
 *   h[2]  bits 0-1 mode: the policy's, count-only, pass-all, drop-all;
 *         bits 2-4 malformed verdict, 5-7 default verdict: 0 the policy's,
 *         k the value k - 1 (6 is past the verdicts: the core must clamp it)
 *   h[3]  bits 0-1 runs - 1 (the frame is processed 1-4 times: rate limits
 *         and SYN budgets run out, known LB flows are found); bit 2 worker;
 *         bits 3-4 head room (0, 20, 40, 256 bytes), bits 5-7 tail room
 *         (0, 1, 8, 64, 256, 600, 1500, 4096 bytes)
 *   h[4]  clock step between runs: 1 us << (h[4] % 24)
 * A header of zeros runs the frame once under policy 0 as written, so frames
 * of the parity corpus (pl-mkcorpus --seeds) become seeds by prefixing five
 * zero bytes. State an input leaves behind (rate-limit and SYN buckets, LB
 * connections) is removed after it, so an input gives the same result in a
 * fresh process (a saved crash reproduces).
 *
 * The frame sits in a buffer of exactly head room + frame + tail room bytes
 * (ASan reports any access outside it); the room is filled with a pattern
 * that must still be there outside the final frame. After every run:
 * the verdict is one the configuration allows, data/len/headroom/tailroom
 * describe the same buffer, the frame changed length only when the
 * responder or IP-in-IP did it, a REDIRECT names a resolved port, rx and
 * rx_bytes grew by the frame, the verdict counters sum to rx (per worker and
 * summed by libpathlab-ctl), count-only/pass-all/drop-all change nothing,
 * every responder answer is a well-formed TCP segment with correct
 * checksums, every IP-in-IP frame parses with a correct outer checksum, and
 * IPv4 header and TCP/UDP checksums that were correct stay correct (NAT's
 * RFC 1624 updates). Any failure aborts (the fuzzer saves the input). */
#include "pl_parse.h"
#include "pl_stages.h"
#include "pl_user.h"
#include "pl_ctl.h"
#include "fuzz_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define FUZZ_WORKERS 2
#define FUZZ_HDR 5
#define FUZZ_FRAME_MAX 9000
#define FUZZ_PATTERN 0xa5


/* ---- policies ------------------------------------------------------------- */

/* Blocks the policies share. Responder and LB match the parity corpus's
 * responder and lb classes (same addresses, same cookie key), so its frames
 * reach the answers, the NAT rewrites and the encapsulations. */
#define P_RESPONDER                                                                  \
	"responder listen any-destination 8080\n"                                                \
	"responder listen 10.70.0.2 80\n"                                            \
	"responder listen fd70::2 80\n"                                              \
	"responder key 00112233445566778899aabbccddeeff\n"                           \
	"route /custom 200 text/plain a route from the fuzz policy\n"                \
	"route /big 200 text/plain " P_BIG "\n"                                      \
	"route unknown 404 text/html <h1>nothing here</h1>\n"                        \
	"route method 405 text/plain no\n"
#define P_BIG32 "0123456789abcdefghijklmnopqrstuv"
#define P_BIG P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 \
	P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 \
	P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32 P_BIG32
#define P_LB                                                                         \
	"lb service web4 10.71.0.100 80 tcp mode dsr size 251\n"                     \
	"lb backend web4 10.71.1.2 mac 02:00:00:00:71:01 via lo weight 2\n"          \
	"lb backend web4 10.71.1.3 mac 02:00:00:00:71:02 src-mac 02:00:00:00:71:fe via tx\n" \
	"lb backend web4 10.71.1.4 mac 02:00:00:00:71:03 via tx state draining\n"    \
	"lb service nat4 10.71.0.100 81 tcp mode nat size 251\n"                     \
	"lb backend nat4 10.71.2.2 port 8081 mac 02:00:00:00:72:01 via p2\n"         \
	"lb backend nat4 10.71.2.3 port 8082 via pass\n"                             \
	"lb service dns4 10.71.0.100 53 udp mode nat size 13\n"                      \
	"lb backend dns4 10.71.3.2 port 5353 mac 02:00:00:00:73:01 via lo\n"         \
	"lb service tun4 10.71.0.101 80 tcp mode ipip size 251 encap-src 10.71.0.254\n" \
	"lb backend tun4 10.71.4.2 mac 02:00:00:00:74:01 via lo\n"                   \
	"lb backend tun4 10.71.4.3 mac 02:00:00:00:74:02 via tx weight 3\n"          \
	"lb service vx4 10.71.0.101 4790 udp mode ipip size 13 encap-src 10.71.0.254\n" \
	"lb backend vx4 10.71.4.4 mac 02:00:00:00:74:03 via pass\n"                  \
	"lb service web6 fd71::100 443 tcp mode dsr size 251\n"                      \
	"lb backend web6 fd71:1::2 mac 02:00:00:00:71:61 via tx\n"                   \
	"lb backend web6 fd71:1::3 mac 02:00:00:00:71:62 via lo\n"                   \
	"lb service dns6 fd71::100 53 udp mode nat size 13\n"                        \
	"lb backend dns6 fd71:3::2 port 5353 mac 02:00:00:00:73:61 via tx\n"         \
	"lb service tun6 fd71::101 80 tcp mode ipip size 251 encap-src fd71::fe\n"   \
	"lb backend tun6 fd71:4::2 mac 02:00:00:00:74:61 via tx\n"                   \
	"lb backend tun6 fd71:4::3 mac 02:00:00:00:74:62 via tx state draining\n"    \
	"lb service dead 10.71.0.102 80 tcp mode dsr size 13\n"                      \
	"lb backend dead 10.71.5.2 mac 02:00:00:00:75:01 via tx state down\n"
#define P_ACL                                                                        \
	"acl drop proto tcp dport 22\n"                                              \
	"acl pass proto tcp from 10.0.0.0/8 dport 80\n"                              \
	"acl user proto udp sport 1024-65535 dport 5000-5009\n"                      \
	"acl drop ipv6 from 2001:db8::/32\n"                                         \
	"acl drop proto icmp to 192.0.2.0/24\n"                                      \
	"acl pass proto icmpv6\n"
#define P_STEER "steer udp 4242 user\nsteer tcp 9000-9001 drop\nsteer udp 7 pass\n"

static const char *const fuzz_policies[] = {
	/* 0: every stage, budgets the corpus's floods run through, reflect */
	"mode policy\nmalformed drop\ndefault pass\ncount sources on\n"
	"ratelimit pps 200000 burst 10 bytes 2000000 byte-burst 3000 prefix6 64\n"
	"synguard per-source 100000 5 global 400000 20\n"
	P_ACL P_STEER P_RESPONDER P_LB "forward reflect\n",
	/* 1: every stage, tight budgets, redirect with MAC rewrite, allow list */
	"mode policy\nmalformed user\ndefault tx\ncount sources on\n"
	"ratelimit pps 1000 burst 1 prefix4 24 prefix6 48\n"
	"synguard per-source 1000 1 global 1000 2 prefix4 16\n"
	P_ACL "acl pass proto tcp\nacl pass proto udp\nacl default drop\n"
	P_STEER P_RESPONDER P_LB
	"forward redirect from lo to p2 dst-mac 02:00:00:00:00:0d src-mac 02:00:00:00:00:05\n"
	"forward redirect from p2 to p3\n",
	/* 2: responder and LB first (no ACL), byte budget, forwarding off */
	"mode policy\nmalformed pass\ndefault drop\n"
	"ratelimit pps 4000000000 bytes 1500 byte-burst 1518\n"
	"synguard global 10 3\n" P_RESPONDER P_LB "forward off\n",
};
#define FUZZ_NPOL (sizeof(fuzz_policies) / sizeof(fuzz_policies[0]))

/* Ports the policies name: lo, p2, p3 (ifindex = out_port). */
static int fuzz_resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	static const char *const names[] = { "", "lo", "p2", "p3" };

	for (uint32_t i = 1; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*ifindex = *out_port = i;
			return 0;
		}
	return -ENOENT;
}

static struct pl_ctl *ctl;
static struct pl_policy *pol[FUZZ_NPOL];
static int live = -1;
static struct pl_config *cfg, live_cfg;

static void print_stats(void)
{
	fuzz_print_counters(ctl);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pl_err err;

	MUST(pl_core_init(FUZZ_WORKERS) == 0);
	ctl = pl_ctl_open_user();
	MUST(ctl);
	for (unsigned i = 0; i < FUZZ_NPOL; i++) {
		if (pl_policy_parse_string(fuzz_policies[i], "fuzz.policy", &pol[i], &err)) {
			fprintf(stderr, "policy %u: %s\n", i, err.msg);
			abort();
		}
	}
	cfg = pl_core_config();
	MUST(cfg);
	if (getenv("FUZZ_STATS"))
		atexit(print_stats);
	return 0;
}

/* ---- checks ------------------------------------------------------------------ */

/* RFC 1071 sum of n bytes (reference, independent of pl_csum.h). */
static uint32_t sum16(const uint8_t *d, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* IPv4 header checksum: 1 correct, 0 wrong, -1 not IPv4. */
static int ip4_ok(const uint8_t *f, const struct pl_hdrs *h)
{
	if (h->family != 4)
		return -1;
	return fold(sum16(f + h->l3_off, (f[h->l3_off] & 15) * 4u, 0)) == 0xffff;
}

/* TCP/UDP checksum over the whole segment: 1 correct, 0 wrong, -1 cannot
 * tell (not TCP/UDP, fragment, IPv6 extension headers, IPv4 UDP without a
 * checksum). */
static int l4_ok(const uint8_t *f, const struct pl_hdrs *h)
{
	uint32_t s = 0, len;

	if (!h->family || h->frag || !h->l4_off ||
	    (h->l4_proto != IPPROTO_TCP && h->l4_proto != IPPROTO_UDP) ||
	    (h->family == 6 && h->ip_opts))
		return -1;
	len = (uint32_t)h->l3_off + h->l3_len - h->l4_off;
	if (h->l4_proto == IPPROTO_UDP && h->family == 4 && !f[h->l4_off + 6] && !f[h->l4_off + 7])
		return -1;
	if (h->family == 4)
		s = sum16(f + h->l3_off + 12, 8, 0);
	else
		s = sum16(f + h->l3_off + 8, 32, 0);
	s += h->l4_proto + len;
	return fold(sum16(f + h->l4_off, len, s)) == 0xffff;
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

/* Make policy i live (once; inputs mostly keep the same one). */
static void use_policy(unsigned i)
{
	struct pl_err err;

	if ((int)i == live)
		return;
	if (pl_policy_apply(ctl, pol[i], fuzz_resolver, NULL, &err)) {
		fprintf(stderr, "applying policy %u: %s\n", i, err.msg);
		abort();
	}
	MUST(!pl_ctl_get_config(ctl, &live_cfg));
	cfg = pl_core_config(); /* the bank the apply made live */
	live = (int)i;
}

/* Remove what the frame left in the per-worker state of worker w. */
static void forget(const uint8_t *frame, size_t n, unsigned w)
{
	struct pl_rl_params *rp;
	struct pl_syn_params *sp;
	struct pl_bucket zb = { 0 };
	struct pl_hdrs h;
	struct pl_src_key key;
	__u32 zero = 0;

	pl_worker_set(w);
	MUST(!pl_table_update(&pl_syn_global, &zero, &zb, PL_UPDATE_ANY));
	if (pl_parse((void *)frame, (void *)(frame + n), &h) < 0 || !h.family)
		return;
	rp = pl_table_lookup(&pl_rl_params, &zero);
	sp = pl_table_lookup(&pl_syn_params, &zero);
	MUST(rp && sp);
	pl_src_key_of(&key, &h, rp->prefix4, rp->prefix6, rp->flags);
	pl_table_delete(&pl_rl_buckets, &key);
	pl_table_delete(&pl_rl_shared, &key);
	pl_src_key_of(&key, &h, sp->prefix4, sp->prefix6, 0);
	pl_table_delete(&pl_syn_buckets, &key);
	pl_table_delete(&pl_syn_shared, &key);
	pl_src_key_of(&key, &h, 0, 0, PL_BUDGET_AGGREGATE);
	pl_table_delete(&pl_syn_shared, &key);
	if (h.l4_proto == IPPROTO_TCP || h.l4_proto == IPPROTO_UDP) {
		struct pl_lb_flow f = { .saddr = h.saddr, .daddr = h.daddr, .sport = h.sport,
					.dport = h.dport, .proto = h.l4_proto };

		pl_table_delete(&pl_lb_conns, &f);
	}
}

static const uint32_t head_rooms[4] = { 0, 20, 40, 256 };
static const uint32_t tail_rooms[8] = { 0, 1, 8, 64, 256, 600, 1500, 4096 };

/* One run of the frame in a fresh buffer; the invariants. */
static void run_once(const uint8_t *frame, size_t n, uint32_t head, uint32_t tail, unsigned w)
{
	size_t cap = head + n + tail;
	uint8_t *buf = malloc(cap ? cap : 1);
	struct pl_buf b = { .headroom = head, .tailroom = tail, .ifindex = 1 + (w & 1), .rx_queue = w };
	struct pl_counters before, *cnt, sum;
	struct pl_hdrs in, out;
	int in_ok, v, changed, resp, out_rc;
	uint32_t port = 0xdeadbeef;
	__u32 zero = 0;

	MUST(buf);
	memset(buf, FUZZ_PATTERN, cap);
	memcpy(buf + head, frame, n);
	b.data = buf + head;
	b.len = (uint32_t)n;
	in_ok = pl_parse((void *)frame, (void *)(frame + n), &in) >= 0;

	pl_worker_set(w);
	cnt = pl_table_lookup(&pl_counters, &zero);
	MUST(cnt);
	before = *cnt;
	v = pl_core_process(&b, &port);

	/* the verdict and the buffer */
	fuzz_check_result(v, cfg, &b, buf, cap);
	if (v == PL_REDIRECT)
		MUST(port >= 1 && port <= 3);
	changed = b.len != n || b.data != buf + head;
	if (changed)
		MUST(b.len >= 14);
	for (uint8_t *p = buf; p < buf + head && p < b.data; p++)
		MUST(*p == FUZZ_PATTERN); /* nothing written before the frame */
	for (uint8_t *p = buf + head + n > b.data + b.len ? buf + head + n : b.data + b.len;
	     p < buf + cap; p++)
		MUST(*p == FUZZ_PATTERN); /* nor after it */
	/* the counters */
	MUST(cnt->c[PL_CNT_RX_PACKETS] == before.c[PL_CNT_RX_PACKETS] + 1);
	MUST(cnt->c[PL_CNT_RX_BYTES] == before.c[PL_CNT_RX_BYTES] + n);
	MUST(cnt->c[PL_CNT_V_DROP + v] == before.c[PL_CNT_V_DROP + v] + 1);
	MUST(fuzz_verdict_sum(cnt) == cnt->c[PL_CNT_RX_PACKETS]);
	MUST(!pl_ctl_read_counters(ctl, &sum));
	MUST(fuzz_verdict_sum(&sum) == sum.c[PL_CNT_RX_PACKETS]);
	resp = 0;
	for (int i = PL_CNT_RESP_SYNACK; i <= PL_CNT_RESP_TOO_BIG; i++)
		if (i != PL_CNT_RESP_404 && i != PL_CNT_RESP_405 && i != PL_CNT_RESP_ACK)
			resp += (int)(cnt->c[i] - before.c[i]);
	/* the frame */
	if (cfg->mode != PL_MODE_POLICY) {
		MUST(v == (cfg->mode == PL_MODE_DROP_ALL ? PL_DROP : PL_PASS));
		MUST(!changed && !memcmp(b.data, frame, n));
	}
	if (changed)
		MUST(resp || cnt->c[PL_CNT_LB_IPIP] > before.c[PL_CNT_LB_IPIP] ||
		     cnt->c[PL_CNT_ADJUST_FAIL] > before.c[PL_CNT_ADJUST_FAIL]);
	if (v == PL_DROP)
		goto out;
	out_rc = pl_parse(b.data, b.data + b.len, &out);
	if (v == PL_TX && resp) {
		/* an answer of ours: a whole TCP segment, checksums right */
		MUST(out_rc >= 0 && out.l4_proto == IPPROTO_TCP && !out.frag);
		MUST(ip4_ok(b.data, &out) != 0);
		MUST(l4_ok(b.data, &out) == 1);
		MUST(out.family == in.family && out.vlan_depth == in.vlan_depth);
		goto out;
	}
	if (cnt->c[PL_CNT_LB_IPIP] > before.c[PL_CNT_LB_IPIP]) {
		MUST(out_rc >= 0 && out.family == in.family);
		MUST(out.l4_proto == (in.family == 4 ? IPPROTO_IPIP : IPPROTO_IPV6));
		MUST(ip4_ok(b.data, &out) != 0);
		MUST(out.l3_len == in.l3_len + (in.family == 4 ? 20 : 40));
		goto out;
	}
	if (!in_ok)
		goto out;
	/* anything else keeps its headers' checksums right */
	MUST(out_rc >= 0 && out.family == in.family && out.l4_proto == in.l4_proto);
	if (ip4_ok(frame, &in) == 1)
		MUST(ip4_ok(b.data, &out) == 1);
	if (l4_ok(frame, &in) == 1)
		MUST(l4_ok(b.data, &out) == 1);
out:
	free(buf);
}

/* One input: the header configures, the frame runs 1-4 times. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *h = data, *frame = data + FUZZ_HDR;
	size_t n;
	unsigned runs, w, fwd, mode, mv, dv;
	uint64_t step;
	uint8_t flip;

	if (size < FUZZ_HDR || size - FUZZ_HDR > FUZZ_FRAME_MAX)
		return 0;
	n = size - FUZZ_HDR;
	check_parse(frame, n);
	use_policy(h[0] % FUZZ_NPOL);
	/* the policy's configuration, then the header's changes to it */
	*cfg = live_cfg;
	flip = h[1];
	cfg->rl_enabled ^= flip & 1;
	cfg->syn_enabled ^= (flip >> 1) & 1;
	cfg->resp_enabled ^= (flip >> 2) & 1;
	cfg->lb_enabled ^= (flip >> 3) & 1;
	cfg->steer_enabled ^= (flip >> 4) & 1;
	cfg->src_stats ^= (flip >> 5) & 1;
	fwd = flip >> 6;
	if (fwd)
		cfg->fwd_mode = fwd == 1 ? PL_FWD_NONE : fwd == 2 ? PL_FWD_REFLECT : PL_FWD_REDIRECT;
	mode = h[2] & 3;
	if (mode)
		cfg->mode = mode == 1 ? PL_MODE_COUNT_ONLY : mode == 2 ? PL_MODE_PASS_ALL : PL_MODE_DROP_ALL;
	mv = (h[2] >> 2) & 7;
	dv = h[2] >> 5;
	if (mv)
		cfg->malformed_verdict = mv - 1;
	if (dv)
		cfg->default_verdict = dv - 1;
	runs = 1 + (h[3] & 3);
	w = (h[3] >> 2) & 1;
	step = 1000ull << (h[4] % 24);
	cfg->clock_ns = PL_REPLAY_CLOCK_BASE_NS;
	for (unsigned r = 0; r < runs; r++) {
		run_once(frame, n, head_rooms[(h[3] >> 3) & 3], tail_rooms[h[3] >> 5], w);
		cfg->clock_ns += step;
	}
	forget(frame, n, w);
	pl_worker_set(0);
	return 0;
}
