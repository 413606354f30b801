// SPDX-License-Identifier: MIT
/* Policy parser and apply into the user-space backend:
 *   - every example file parses;
 *   - each kind of bad input fails with the expected file:line message and
 *     leaves no policy;
 *   - apply writes the expected table contents (read with pl_table_lookup),
 *     removes what an older policy left, and the core then gives the
 *     verdicts the policy asks for;
 *   - the ACL goes into the idle bank, which becomes live only with the
 *     configuration write, the last one (checked by a backend that watches
 *     every write);
 *   - a write failing midway is undone and nothing is half loaded.
 * Usage: test-ctl-policy EXAMPLES_DIR */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"
#include "stages/acl.h"
#include "stages/steer.h"
#include "stages/forward.h"
#include "pl_ctl.h"
#include "policy_int.h" /* the helpers stage keyword files use */
#define PL_CHECK_MAIN
#include "ctl_test.h"
#include "pl_pkt.h"

static const char *examples_dir;

/* Names the tests use: plt-c0 -> ifindex 100 / port 1, plt-c1 -> 101 / 2,
 * plt-a0/plt-b0 (forward-redirect.policy) -> 110/3, 111/4. */
static int test_resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	static const struct { const char *n; uint32_t i, p; } ports[] = {
		{ "plt-c0", 100, 1 }, { "plt-c1", 101, 2 }, { "plt-a0", 110, 3 }, { "plt-b0", 111, 4 },
	};

	(*(int *)arg)++;
	for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++)
		if (!strcmp(name, ports[k].n)) {
			*ifindex = ports[k].i;
			*out_port = ports[k].p;
			return 0;
		}
	return -ENOENT;
}

/* Parse text; expect failure with a message containing want. */
static void expect_error(const char *text, const char *want)
{
	struct pl_policy *p = (void *)1;
	struct pl_err err;
	int ret = pl_policy_parse_string(text, "t.policy", &p, &err);

	CHECK(ret < 0, "accepted bad input: %s", text);
	CHECK(p == NULL, "policy left behind after error");
	CHECK(strstr(err.msg, want) != NULL, "message\n   got: %s\n  want: %s", err.msg, want);
	pl_policy_free(ret ? NULL : p);
}

/* Every example parses. */
static void test_examples(void)
{
	static const char *const files[] = {
		"acl.policy", "forward-reflect.policy", "forward-redirect.policy",
		"steer.policy", "count-only.policy", "full.policy",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], sum[256];
		struct pl_policy *p;
		struct pl_err err;
		int ret;

		snprintf(path, sizeof(path), "%s/%s", examples_dir, files[i]);
		ret = pl_policy_parse_file(path, &p, &err);
		CHECK(ret == 0, "%s: %s", files[i], err.msg);
		if (ret)
			continue;
		pl_policy_summary(p, sum, sizeof(sum));
		printf("  %-24s %s\n", files[i], sum);
		pl_policy_free(p);
	}
}

/* Each kind of bad input: its file:line message, no policy left. */
static void test_bad_input(void)
{
	char many[64 * 40 + 200];
	size_t off = 0;

	expect_error("acl drop proto tcp dport 22\ndorp tcp\n",
		     "t.policy:2: unknown keyword 'dorp' (keywords: mode, malformed, default, count, acl, steer, forward, ratelimit, synguard, responder, route, lb, block, sample; see docs/policy.md)");
	expect_error("acl drop from 10.0.0.0/33", "t.policy:1: source '10.0.0.0/33' has a bad prefix length (0-32 for IPv4)");
	expect_error("acl drop to 2001:db8::/129", "t.policy:1: destination '2001:db8::/129' has a bad prefix length (0-128 for IPv6)");
	expect_error("acl drop from 10.0.0.0/x", "t.policy:1: source '10.0.0.0/x' has a bad prefix length");
	expect_error("acl drop from 10.0.0.1/8", "t.policy:1: source '10.0.0.1/8' has bits set past the prefix length (did you mean 10.0.0.0/8?)");
	expect_error("\n# c\nacl drop to 10.0.0.300", "t.policy:3: destination '10.0.0.300' is not a valid IPv4 address");
	expect_error("acl pass from 2001:db8::g/32", "t.policy:1: source '2001:db8::g' is not a valid IPv6 address");
	expect_error("acl drop proto tcp dport 70000", "t.policy:1: destination port 70000 out of range (0-65535)");
	expect_error("acl drop proto tcp dport 8o", "t.policy:1: destination port '8o' is not a number");
	/* Numbers are decimal: a leading zero (octal-looking) or 0x is refused,
	 * with the line, for every keyword that takes a number. */
	expect_error("mode policy\nacl drop proto tcp dport 022", "t.policy:2: destination port '022' has a leading zero (numbers are decimal: write 22)");
	expect_error("acl drop proto tcp dport 0x16", "t.policy:1: destination port '0x16' is not a number");
	expect_error("acl drop proto udp sport 1000-02000", "t.policy:1: source port '02000' has a leading zero");
	expect_error("acl drop proto 06", "t.policy:1: protocol '06' has a leading zero");
	expect_error("acl drop from 10.0.0.0/08", "t.policy:1: source '10.0.0.0/08' has a leading zero in its prefix length (numbers are decimal: write /8)");
	expect_error("steer udp 04242 user", "t.policy:1: ");
	expect_error("steer udp 04242 user", "has a leading zero");
	expect_error("ratelimit pps 0100", "t.policy:1: ");
	expect_error("ratelimit pps 0100", "'0100' has a leading zero");
	expect_error("synguard per-source 010 20 global 100 200", "'010' has a leading zero");
	expect_error("\nresponder listen 10.0.0.1 080", "t.policy:2: responder port '080' has a leading zero");
	expect_error("route / 0200 text/plain x", "t.policy:1: HTTP status '0200' has a leading zero");
	expect_error("lb service w 10.0.0.1 080 tcp", "t.policy:1: ");
	expect_error("lb service w 10.0.0.1 080 tcp", "'080' has a leading zero");
	expect_error("acl drop proto udp sport 2000-1000", "t.policy:1: source port range 2000-1000 is inverted (write 1000-2000)");
	expect_error("acl drop proto icmp dport 5", "t.policy:1: protocol icmp has no ports (ports need proto tcp or proto udp)");
	expect_error("acl drop proto 47 sport 5", "t.policy:1: protocol 47 has no ports");
	expect_error("acl drop dport 22", "t.policy:1: ports need a protocol (add proto tcp or proto udp");
	expect_error("acl drop proto tcp port 22", "t.policy:1: unexpected 'port' (expected one of: ipv4, ipv6, proto, from, to, sport, dport;");
	expect_error("acl drop proto tcp dport", "t.policy:1: 'dport' needs a value");
	expect_error("acl drop proto tcp dport 1 dport 2", "t.policy:1: 'dport' given twice in one statement");
	expect_error("acl deny proto tcp", "t.policy:1: unknown acl action 'deny' (one of: drop, pass, user, default)");
	expect_error("acl drop from 10.0.0.0/8 to 2001:db8::/32", "t.policy:1: source is IPv4 but destination is IPv6");
	expect_error("acl drop proto icmp from 2001:db8::/32", "t.policy:1: proto icmp is IPv4's; for IPv6 write proto icmpv6");
	expect_error("acl default user", "t.policy:1: unknown acl default verdict 'user' (one of: drop, pass)");
	expect_error("acl default pass\nacl default drop", "t.policy:2: 'acl default' already given at line 1");
	for (int i = 0; i < PL_ACL_MAX + 1; i++)
		off += snprintf(many + off, sizeof(many) - off, "acl drop proto tcp dport %d\n", i + 1);
	expect_error(many, "t.policy:65: more than 64 acl rules (the table holds 64;");
	expect_error("steer udp 4242 user\nsteer udp 4240-4245 drop", "t.policy:2: udp port 4242 is already steered at line 1 (keep one entry per port)");
	expect_error("steer udp 1-300 user", "t.policy:1: more than 256 steer entries");
	expect_error("steer sctp 5 user", "t.policy:1: unknown steer protocol 'sctp' (one of: tcp, udp)");
	expect_error("steer udp 4242 tx", "t.policy:1: unknown steer action 'tx' (one of: drop, pass, user)");
	expect_error("steer udp 4242", "t.policy:1: steer takes 3 words");
	expect_error("mode policy\nmode drop-all", "t.policy:2: 'mode' already given at line 1 (keep one)");
	expect_error("mode fast", "t.policy:1: unknown mode 'fast' (one of: pass-all, policy, drop-all, count-only)");
	expect_error("default redirect", "t.policy:1: unknown default verdict 'redirect' (one of: drop, pass, tx, user, aborted)");
	expect_error("count sources maybe", "t.policy:1: unknown per-source counting 'maybe' (one of: off, on)");
	expect_error("forward reflect\nforward redirect from a to b", "t.policy:2: forward redirect conflicts with forward reflect at line 1");
	expect_error("forward redirect from a", "t.policy:1: forward redirect needs both 'from IFACE' and 'to IFACE'");
	expect_error("forward redirect from a to b dst-mac 02:00:00:00:00:01", "t.policy:1: give both dst-mac and src-mac");
	expect_error("forward redirect from a to b dst-mac 02:00:00:00:00 src-mac 02:00:00:00:00:01", "t.policy:1: dst-mac '02:00:00:00:00' is not a MAC address");
	expect_error("forward redirect from a to b\nforward redirect from a to c", "t.policy:2: frames from a are already redirected at line 1");
	expect_error("forward redirect from averyveryverylongname to b", "is not an interface name");
	expect_error("sample every 0", "t.policy:1: sample every (1 in N) 0 out of range");
	expect_error("sample snap 257", "t.policy:1: sample snap (bytes) 257 out of range");
	expect_error("sample verdict drop,dorp", "t.policy:1:");
	expect_error("sample every", "t.policy:1: 'every' needs a value");
	expect_error("sample from 10.0.0.0/8 to fd00::/8", "t.policy:1: source is IPv4 but destination is IPv6");
	expect_error("sample dport 80", "t.policy:1: ports need a protocol");
	expect_error("sample\nsample every 2", "t.policy:2:");

	{
		struct pl_policy *p = (void *)1;
		struct pl_err err;
		int ret = pl_policy_parse_file("/nonexistent/x.policy", &p, &err);

		CHECK(ret == -ENOENT && p == NULL, "missing file: %d", ret);
		CHECK(strstr(err.msg, "/nonexistent/x.policy: cannot open: No such file or directory") != NULL,
		      "%s", err.msg);
	}
}

/* Comments, blank lines, tabs, CRLF. */
static void test_lexing(void)
{
	struct pl_policy *p;
	struct pl_err err;
	int ret = pl_policy_parse_string("# only a comment\r\n\n\t mode\tdrop-all # trailing\r\n"
					 "acl drop proto tcp dport 22#no space\n",
					 "t.policy", &p, &err);

	CHECK(ret == 0, "%s", err.msg);
	if (!ret) {
		CHECK(pl_policy_config(p)->mode == PL_MODE_DROP_ALL, "mode %u", pl_policy_config(p)->mode);
		pl_policy_free(p);
	}
}

/* The value parsers a new stage's keywords build on. */
static void test_helpers(void)
{
	struct pl_err err;
	struct pl_parse ps = { .file = "h.policy", .line = 7, .err = &err };
	struct pl_addr a;
	unsigned long v;
	__u8 fam, mac[6];

	CHECK(pl_parse_addr(&ps, "192.0.2.1", "backend", &a, &fam) == 0 && fam == 4 &&
		      a.b[10] == 0xff && a.b[15] == 1,
	      "addr v4");
	CHECK(pl_parse_addr(&ps, "2001:db8::1", "backend", &a, &fam) == 0 && fam == 6 && a.b[15] == 1,
	      "addr v6");
	CHECK(pl_parse_addr(&ps, "10.0.0.0/8", "backend", &a, &fam) == -EINVAL &&
		      !strcmp(err.msg, "h.policy:7: backend '10.0.0.0/8' must be one address (e.g. 192.0.2.1 or 2001:db8::1)"),
	      "%s", err.msg);
	CHECK(pl_parse_uint(&ps, "0x10", 0, 100, "rate", &v) == -EINVAL &&
		      !strcmp(err.msg, "h.policy:7: rate '0x10' is not a number (decimal digits only)"),
	      "hex refused: %s", err.msg);
	CHECK(pl_parse_uint(&ps, "022", 0, 100, "rate", &v) == -EINVAL &&
		      !strcmp(err.msg, "h.policy:7: rate '022' has a leading zero (numbers are decimal: write 22)"),
	      "leading zero refused: %s", err.msg);
	CHECK(pl_parse_uint(&ps, "0", 0, 100, "rate", &v) == 0 && v == 0, "zero");
	CHECK(pl_parse_uint(&ps, "100", 0, 100, "rate", &v) == 0 && v == 100, "decimal");
	CHECK(pl_parse_uint(&ps, "-1", 0, 100, "rate", &v) == -EINVAL &&
		      strstr(err.msg, "rate '-1' is not a number"),
	      "%s", err.msg);
	CHECK(pl_parse_uint(&ps, "99999999999999999999999", 0, 100, "rate", &v) == -EINVAL &&
		      strstr(err.msg, "out of range (0-100)"),
	      "%s", err.msg);
	CHECK(pl_parse_mac(&ps, "02:00:00:00:00:0a", "mac", mac) == 0 && mac[5] == 10, "mac");
	CHECK(pl_parse_mac(&ps, "02:00:00:00:00:0a:ff", "mac", mac) == -EINVAL, "mac too long");
	CHECK(pl_parse_onoff(&ps, "on", "x") == 1 && pl_parse_onoff(&ps, "off", "x") == 0, "on/off");
}

/* Parse text that must be valid. */
static struct pl_policy *parse_or_die(const char *text, const char *name)
{
	struct pl_policy *p;
	struct pl_err err;

	if (pl_policy_parse_string(text, name, &p, &err)) {
		fprintf(stderr, "FATAL: %s\n", err.msg);
		exit(1);
	}
	return p;
}

/* Parse an example file that must be valid. */
static struct pl_policy *parse_example(const char *file)
{
	return t_parse_example(examples_dir, file);
}

/* The user core's live configuration. */
static struct pl_config *live_cfg(void)
{
	return pl_core_config();
}

/* An Ethernet + IPv4 + TCP (no flags, window 0) or UDP frame from saddr
 * (network order) to 10.0.0.2 port dport, built with the test packet
 * builder. */
static uint32_t make_frame(uint8_t *f, uint8_t proto, uint32_t saddr, uint16_t dport)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	struct pl_pkt p;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, dst, src);
	pl_pkt_ipv4(&p, &(struct pl_pkt_ip4){ .saddr = ntohl(saddr), .daddr = PL_PKT_IP4(10, 0, 0, 2) });
	if (proto == 6)
		pl_pkt_tcp(&p, &(struct pl_pkt_tcp){ .sport = 12345, .dport = dport });
	else
		pl_pkt_udp(&p, 12345, dport);
	pl_pkt_finish(&p);
	if (proto == 6) {
		unsigned l4 = pl_pkt_off(&p, PL_PK_TCP);

		pl_pkt_put8(&p, l4 + 13, 0);
		pl_pkt_put16(&p, l4 + 14, 0);
		pl_pkt_recsum(&p);
	}
	memcpy(f, p.b, p.len);
	return p.len;
}

/* One frame through the user core; returns the verdict. */
static int run_frame(uint8_t proto, const char *src, uint16_t dport, uint32_t ifindex,
		     uint32_t *out_port)
{
	uint8_t buf[128];
	uint32_t saddr;
	struct pl_buf b = { 0 };

	inet_pton(AF_INET, src, &saddr);
	b.data = buf;
	b.len = make_frame(buf, proto, saddr, dport);
	b.headroom = b.tailroom = 0;
	b.ifindex = ifindex;
	b.rx_queue = 0;
	return pl_core_process(&b, out_port);
}

/* Apply into the user backend; read tables and verdicts back. */
static void test_apply_user(void)
{
	struct pl_ctl *c = pl_ctl_open_user();
	struct pl_policy *full = parse_example("full.policy");
	struct pl_policy *acl = parse_example("acl.policy");
	struct pl_steer_key sk = { .proto = 17, .port = 4242 };
	struct pl_counters cnt;
	struct pl_acl_set *set;
	struct pl_steer_val *sv;
	struct pl_fwd_entry *fe;
	struct pl_err err;
	__u32 key, bank, port;
	int calls = 0, ret;

	CHECK(c != NULL, "open user backend");
	ret = pl_policy_apply(c, full, test_resolver, &calls, &err);
	CHECK(ret == 0, "apply full.policy: %s", err.msg);
	CHECK(calls == 4, "resolver called %d times", calls);
	CHECK(live_cfg()->mode == PL_MODE_POLICY && live_cfg()->src_stats == 1 &&
		      live_cfg()->steer_enabled == 1 && live_cfg()->fwd_mode == PL_FWD_REDIRECT &&
		      live_cfg()->acl_default == PL_PASS,
	      "config after full.policy");
	bank = live_cfg()->acl_bank;
	CHECK(bank == 1, "first apply goes to bank 1, got %u", bank);
	set = pl_table_lookup(&pl_acl, &bank);
	CHECK(set && set->count == 7, "7 acl rules, got %u", set ? set->count : 0);
	if (set && set->count == 7) {
		CHECK(set->rule[0].proto == 6 && set->rule[0].dport_lo == 22 &&
			      set->rule[0].dport_hi == 22 && set->rule[0].action == PL_ACL_DROP &&
			      set->rule[0].sport_lo == 0 && set->rule[0].sport_hi == 65535,
		      "rule 0");
		CHECK(set->rule[1].family == 4 && set->rule[1].src.b[10] == 0xff &&
			      set->rule[1].src.b[12] == 192 && set->rule[1].src.b[14] == 2 &&
			      set->rule[1].src_mask.b[14] == 0xff && set->rule[1].src_mask.b[15] == 0 &&
			      set->rule[1].src_mask.b[0] == 0xff,
		      "rule 1 prefix 192.0.2.0/24 (v4-mapped)");
		CHECK(set->rule[2].family == 6 && set->rule[2].src.b[0] == 0x20 &&
			      set->rule[2].src_mask.b[3] == 0xff && set->rule[2].src_mask.b[4] == 0,
		      "rule 2 prefix 2001:db8::/32");
		CHECK(set->rule[3].action == PL_ACL_USER && set->rule[3].sport_lo == 1024 &&
			      set->rule[3].dport_hi == 5009,
		      "rule 3 ranges");
		CHECK(set->rule[4].family == 4 && set->rule[4].dst_mask.b[15] == 0xff, "rule 4 host");
		CHECK(set->rule[5].family == 6 && set->rule[5].proto == 58, "rule 5 icmpv6");
		CHECK(set->rule[0].line == 12, "rule 0 line %u", set->rule[0].line);
	}
	CHECK(pl_table_count(&pl_steer, 0) == 6, "6 steer entries, got %u", pl_table_count(&pl_steer, 0));
	sv = pl_table_lookup(&pl_steer, &sk);
	CHECK(sv && sv->action == PL_USER, "udp 4242 -> user");
	sk.port = 9002;
	sv = pl_table_lookup(&pl_steer, &sk);
	CHECK(sv && sv->action == PL_DROP, "udp 9002 -> drop");
	key = 100;
	fe = pl_table_lookup(&pl_fwd, &key);
	CHECK(fe && fe->v.out_port == 2 && fe->v.flags == 0, "plt-c0 -> port 2");
	key = 101;
	fe = pl_table_lookup(&pl_fwd, &key);
	CHECK(fe && fe->v.out_port == 1 && fe->v.flags == PL_FWD_F_SET_MACS && fe->dst_mac[5] == 1 &&
		      fe->src_mac[5] == 2,
	      "plt-c1 -> port 1 with MACs");

	/* The core follows the policy. */
	pl_ctl_reset_counters(c);
	CHECK(run_frame(6, "10.9.9.9", 22, 100, NULL) == PL_DROP, "tcp 22 dropped");
	CHECK(run_frame(17, "10.9.9.9", 4242, 100, NULL) == PL_USER, "udp 4242 to user");
	port = 0;
	CHECK(run_frame(17, "10.9.9.9", 53, 100, &port) == PL_REDIRECT && port == 2,
	      "udp 53 redirected to port 2 (got port %u)", port);
	CHECK(run_frame(6, "203.0.113.5", 80, 100, NULL) == PL_DROP, "203.0.113.0/24 dropped");
	CHECK(pl_ctl_read_counters(c, &cnt) == 0 && cnt.c[PL_CNT_RX_PACKETS] == 4 &&
		      cnt.c[PL_CNT_V_DROP] == 2 && cnt.c[PL_CNT_ACL_DROP] == 2,
	      "counters rx=%llu drop=%llu", (unsigned long long)cnt.c[PL_CNT_RX_PACKETS],
	      (unsigned long long)cnt.c[PL_CNT_V_DROP]);

	/* A second policy replaces the first: other bank, old bank kept,
	 * steer and fwd entries removed, stage switches off. */
	ret = pl_policy_apply(c, acl, NULL, NULL, &err);
	CHECK(ret == 0, "apply acl.policy: %s", err.msg);
	CHECK(live_cfg()->acl_bank == 0, "second apply flips to bank 0");
	key = 1;
	set = pl_table_lookup(&pl_acl, &key);
	CHECK(set && set->count == 7, "old bank untouched");
	key = 0;
	set = pl_table_lookup(&pl_acl, &key);
	CHECK(set && set->count == 2 && set->rule[1].dport_lo == 80, "new bank has acl.policy");
	CHECK(pl_table_count(&pl_steer, 0) == 0, "steer emptied, %u left", pl_table_count(&pl_steer, 0));
	CHECK(pl_table_count(&pl_fwd, 0) == 0, "fwd emptied");
	CHECK(live_cfg()->steer_enabled == 0 && live_cfg()->fwd_mode == PL_FWD_NONE &&
		      live_cfg()->src_stats == 0,
	      "stage switches off");
	CHECK(run_frame(6, "10.9.9.9", 22, 100, NULL) == PL_DROP, "tcp 22 dropped");
	CHECK(run_frame(6, "10.9.9.9", 80, 100, NULL) == PL_PASS, "tcp 80 passes");
	CHECK(run_frame(17, "10.9.9.9", 4242, 100, NULL) == PL_PASS, "udp 4242 no longer steered");

	/* Mode switch and clock are runtime state: set_mode flips one field,
	 * apply keeps clock_ns. */
	{
		struct pl_config cfg;

		pl_ctl_get_config(c, &cfg);
		cfg.clock_ns = 12345;
		pl_ctl_set_config(c, &cfg);
		CHECK(pl_ctl_set_mode(c, PL_MODE_DROP_ALL) == 0, "set_mode");
		CHECK(run_frame(6, "10.9.9.9", 80, 100, NULL) == PL_DROP, "drop-all");
		CHECK(pl_policy_apply(c, acl, NULL, NULL, &err) == 0, "%s", err.msg);
		CHECK(live_cfg()->clock_ns == 12345 && live_cfg()->mode == PL_MODE_POLICY,
		      "clock kept, mode from the policy");
		CHECK(pl_ctl_set_mode(c, PL_MODE__MAX) == -EINVAL, "bad mode refused");
	}
	pl_policy_free(full);
	pl_policy_free(acl);
	pl_ctl_close(c);
}

/* ---- a backend that watches (and can break) the user backend's writes ---- */
struct watch {
	struct pl_ctl *inner;
	int writes;     /* update/remove calls seen */
	int fail_at;    /* fail the Nth write (1-based), 0: never */
	int cfg_write;  /* index of the pl_config write */
	__u32 live_bank_at_start;
	struct pl_acl_set live_before;
	int live_changed_early;
};

static struct watch W;

/* Did the live bank change before the configuration write? */
static void watch_check_live(void)
{
	__u32 bank = W.live_bank_at_start;
	struct pl_acl_set *s = pl_table_lookup(&pl_acl, &bank);

	if (!W.cfg_write && (live_cfg()->acl_bank != W.live_bank_at_start ||
			     memcmp(s, &W.live_before, sizeof(*s))))
		W.live_changed_early = 1;
}

/* Count, maybe fail, check the live bank, pass on. */
static int watch_update(struct pl_ctl *c, const char *t, const void *k, const void *v)
{
	int err;

	if (++W.writes == W.fail_at)
		return -EIO;
	watch_check_live();
	err = pl_ctl_update(W.inner, t, k, v);
	/* The idle configuration bank; pl_config_live follows it. */
	if (!strcmp(t, "pl_config") && !W.cfg_write)
		W.cfg_write = W.writes;
	return err;
}

/* Count, maybe fail, check the live bank, pass on. */
static int watch_remove(struct pl_ctl *c, const char *t, const void *k)
{
	if (++W.writes == W.fail_at)
		return -EIO;
	watch_check_live();
	return pl_ctl_remove(W.inner, t, k);
}

/* Reads pass straight through. */
static int watch_lookup(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return pl_ctl_lookup(W.inner, t, k, v);
}

/* Reads pass straight through. */
static int watch_lookup_percpu(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return pl_ctl_lookup_percpu(W.inner, t, k, v);
}

/* Reads pass straight through. */
static int watch_next_key(struct pl_ctl *c, const char *t, const void *k, void *n)
{
	return pl_ctl_next_key(W.inner, t, k, n);
}

/* Copies of the inner backend. */
static unsigned watch_ncopies(struct pl_ctl *c)
{
	return pl_ctl_ncopies(W.inner);
}

static const struct pl_ctl_ops watch_ops = {
	.name = "watch",
	.update = watch_update,
	.lookup = watch_lookup,
	.lookup_percpu = watch_lookup_percpu,
	.remove = watch_remove,
	.next_key = watch_next_key,
	.ncopies = watch_ncopies,
};

/* Arm the watcher: remember the live bank, fail the Nth write. */
static void watch_start(struct pl_ctl *inner, int fail_at)
{
	__u32 bank;

	memset(&W, 0, sizeof(W));
	W.inner = inner;
	W.fail_at = fail_at;
	bank = W.live_bank_at_start = live_cfg()->acl_bank;
	memcpy(&W.live_before, pl_table_lookup(&pl_acl, &bank), sizeof(W.live_before));
}

/* Snapshot of everything a policy writes, to compare before/after. */
struct snap {
	struct pl_config cfg;
	struct pl_acl_set acl[2];
	unsigned nsteer, nfwd;
	struct pl_steer_val s4242;
	int has4242;
};

/* Record what a policy writes. */
static void take_snap(struct snap *s)
{
	struct pl_steer_key k = { .proto = 17, .port = 4242 };
	struct pl_steer_val *v;

	memset(s, 0, sizeof(*s));
	s->cfg = *live_cfg();
	for (__u32 b = 0; b < 2; b++)
		s->acl[b] = *(struct pl_acl_set *)pl_table_lookup(&pl_acl, &b);
	s->nsteer = pl_table_count(&pl_steer, 0);
	s->nfwd = pl_table_count(&pl_fwd, 0);
	v = pl_table_lookup(&pl_steer, &k);
	s->has4242 = v != NULL;
	if (v)
		s->s4242 = *v;
}

/* Same state? */
static int snap_equal(const struct snap *a, const struct snap *b)
{
	return !memcmp(&a->cfg, &b->cfg, sizeof(a->cfg)) && !memcmp(a->acl, b->acl, sizeof(a->acl)) &&
	       a->nsteer == b->nsteer && a->nfwd == b->nfwd && a->has4242 == b->has4242 &&
	       !memcmp(&a->s4242, &b->s4242, sizeof(a->s4242));
}

/* Bank flip order, unknown interface, rollback at every write. */
static void test_bank_flip_and_rollback(void)
{
	struct pl_ctl *inner = pl_ctl_open_user();
	struct pl_ctl watch = { &watch_ops, NULL };
	struct pl_policy *full = parse_example("full.policy");
	/* udp 4242 is in full.policy too; tcp 1 is not, so applying full.policy
	 * over it removes one entry after the configuration write. */
	struct pl_policy *steer = parse_or_die("steer udp 4242 user\nsteer tcp 1 drop\n", "start.policy");
	struct pl_policy *badif = parse_or_die("steer udp 7 user\nacl drop proto tcp dport 1\n"
					       "forward redirect from plt-c0 to plt-nope\n",
					       "badif.policy");
	struct snap before, after;
	struct pl_err err;
	int calls = 0, ret, total;

	CHECK(pl_policy_apply(inner, steer, NULL, NULL, &err) == 0, "%s", err.msg);

	/* The live ACL bank and configuration do not change before the
	 * configuration write, and that write is the last put. */
	watch_start(inner, 0);
	ret = pl_policy_apply(&watch, full, test_resolver, &calls, &err);
	CHECK(ret == 0, "apply through watcher: %s", err.msg);
	CHECK(!W.live_changed_early, "live ACL bank changed before the configuration write");
	CHECK(W.cfg_write > 0, "configuration written");
	CHECK(W.cfg_write == 1 + 6 + 2 + 1, "config is write %d of %d (acl, 6 steer, 2 fwd, then cfg)",
	      W.cfg_write, W.writes);
	CHECK(W.writes == W.cfg_write + 2, "the live index, then one removal after the config (tcp 1; "
	      "writes=%d)", W.writes);
	total = W.writes;

	/* Unknown interface at apply time: error names file:line, nothing
	 * written at all. */
	take_snap(&before);
	watch_start(inner, 0);
	ret = pl_policy_apply(&watch, badif, test_resolver, &calls, &err);
	CHECK(ret == -ENOENT, "unknown interface: %d", ret);
	CHECK(strstr(err.msg, "badif.policy:3: unknown interface 'plt-nope' (check `ip link`") != NULL,
	      "%s", err.msg);
	CHECK(W.writes == 0, "%d writes made before the error", W.writes);
	take_snap(&after);
	CHECK(snap_equal(&before, &after), "tables changed by a failed apply");

	/* A write failing at every position of the sequence: everything is
	 * undone and the message says so. Starting point: start.policy live. */
	CHECK(pl_policy_apply(inner, steer, NULL, NULL, &err) == 0, "%s", err.msg);
	for (int k = 1; k <= total; k++) {
		take_snap(&before);
		watch_start(inner, k);
		ret = pl_policy_apply(&watch, full, test_resolver, &calls, &err);
		CHECK(ret == -EIO, "fail at write %d: ret %d", k, ret);
		CHECK(strstr(err.msg, "failed: Input/output error (") != NULL &&
			      strstr(err.msg, "the previous policy is still in force)") != NULL,
		      "fail at %d: %s", k, err.msg);
		take_snap(&after);
		CHECK(snap_equal(&before, &after), "fail at write %d left tables changed (%s)", k, err.msg);
	}
	printf("  rollback message: %s\n", err.msg);
	pl_policy_free(full);
	pl_policy_free(steer);
	pl_policy_free(badif);
	pl_ctl_close(inner);
}

/* Initialise a 2-worker core and run every test. */
int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	if (pl_core_init(2)) {
		fprintf(stderr, "pl_core_init failed\n");
		return 1;
	}
	test_examples();
	test_bad_input();
	test_lexing();
	test_helpers();
	test_apply_user();
	test_bank_flip_and_rollback();
	pl_core_fini();
	return pl_check_done("test-ctl-policy");
}
