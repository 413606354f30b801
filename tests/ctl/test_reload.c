// SPDX-License-Identifier: MIT
/* Reloads into the user-space backend that must keep state or must fit:
 *   - swapping a full steer / forward / responder policy for another full
 *     one (old and new entries are in the tables at once during the swap);
 *   - the SYN-cookie key survives a reload that names none, and a policy
 *     naming a new key keeps the old one valid as the previous key;
 *   - token buckets saturate instead of wrapping at large byte rates, and a
 *     byte burst below one full frame is refused by the parser;
 *   - a v4-mapped IPv6 source (::ffff:a.b.c.d) does not share the bucket of
 *     the IPv4 source a.b.c.d (rate limit and SYN guard);
 *   - after many reloads, a miss in a shared hash table still examines a
 *     bounded number of slots (tombstones are reclaimed).
 * Usage: test-ctl-reload */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"
#include "stages/steer.h"
#include "stages/forward.h"
#include "stages/responder.h"
#include "pl_ctl.h"
#define PL_CHECK_MAIN
#include "ctl_test.h"
#include "reload_text.h"

static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	(void)arg;
	return rt_resolve(name, 7, ifindex, out_port);
}

static struct pl_policy *parse(const char *text)
{
	struct pl_policy *p;
	struct pl_err err;

	if (pl_policy_parse_string(text, "t.policy", &p, &err)) {
		fprintf(stderr, "FATAL: %s\n", err.msg);
		exit(1);
	}
	return p;
}

/* Parse and apply; returns apply's result, the message in msg. */
static int apply_text(struct pl_ctl *c, const char *text, char *msg, size_t len)
{
	struct pl_policy *p = parse(text);
	struct pl_err err;
	int ret = pl_policy_apply(c, p, resolver, NULL, &err);

	snprintf(msg, len, "%s", ret ? err.msg : "");
	pl_policy_free(p);
	return ret;
}

static struct pl_config *live_cfg(void)
{
	return pl_core_config();
}

/* One full table set swapped for the other, twice. */
static void test_full_swaps(struct pl_ctl *c)
{
	static char text[16384];
	char msg[600];
	void (*gen[3])(char *, size_t, int) = { rt_steer, rt_fwd, rt_resp };
	const char *name[3] = { "steer", "forward", "responder" };

	for (int g = 0; g < 3; g++) {
		for (int round = 0; round < 3; round++) {
			int set = round & 1;

			gen[g](text, sizeof(text), set);
			CHECK(apply_text(c, text, msg, sizeof(msg)) == 0, "%s set %d (round %d): %s",
			      name[g], set, round, msg);
		}
	}
	/* The last apply (responder set 0) left exactly its own entries. */
	CHECK(pl_table_count(&pl_steer, 0) == 0 && pl_table_count(&pl_fwd, 0) == 0,
	      "steer/forward emptied: %u/%u", pl_table_count(&pl_steer, 0), pl_table_count(&pl_fwd, 0));
	CHECK(pl_table_count(&pl_resp_listen, 0) == RT_LISTEN &&
		      pl_table_count(&pl_resp_routes, 0) == RT_ROUTES + RT_DEFAULT_ROUTES,
	      "responder entries %u listen, %u routes", pl_table_count(&pl_resp_listen, 0),
	      pl_table_count(&pl_resp_routes, 0));
}

static int params_key(__u64 key[2], __u64 prev[2])
{
	__u32 zero = 0;
	struct pl_resp_params *p = pl_table_lookup(&pl_resp_params, &zero);

	if (!p)
		return -1;
	memcpy(key, p->key, 16);
	memcpy(prev, p->prev_key, 16);
	return 0;
}

/* The cookie key across reloads. */
static void test_cookie_key(struct pl_ctl *c)
{
	__u64 k0[2], k1[2], prev[2];
	char msg[600];

	CHECK(apply_text(c, "responder listen any-destination 8080\n", msg, sizeof(msg)) == 0, "%s", msg);
	params_key(k0, prev);
	CHECK(k0[0] | k0[1], "a key was drawn");
	CHECK(apply_text(c, "responder listen any-destination 8080\nroute /x 200 text/plain x\n", msg,
			 sizeof(msg)) == 0,
	      "%s", msg);
	params_key(k1, prev);
	CHECK(!memcmp(k0, k1, 16), "a reload without a key keeps the live one");
	CHECK(apply_text(c, "acl drop proto tcp dport 1\n", msg, sizeof(msg)) == 0, "%s", msg);
	CHECK(apply_text(c, "responder listen any-destination 8080\n", msg, sizeof(msg)) == 0, "%s", msg);
	params_key(k1, prev);
	CHECK(!memcmp(k0, k1, 16), "kept across a policy without the responder");
	CHECK(apply_text(c, "responder listen any-destination 8080\nresponder key 000102030405060708090a0b0c0d0e0f\n",
			 msg, sizeof(msg)) == 0,
	      "%s", msg);
	params_key(k1, prev);
	CHECK(k1[0] == 0x0001020304050607ull && k1[1] == 0x08090a0b0c0d0e0full,
	      "the named key is live");
	CHECK(!memcmp(prev, k0, 16), "the key it replaced stays valid as the previous key");
}

/* A frame of 14 + 20/40 + 20 bytes from src (IPv4 a.b.c.d, or IPv6) to
 * port 80 with TCP flags; padded to len. */
static int run_tcp(const char *src, uint8_t flags, uint32_t len)
{
	static uint8_t buf[2048];
	int v6 = strchr(src, ':') != NULL;
	uint32_t l3 = v6 ? 40 : 20, ip_len = len - 14;
	uint8_t *t = buf + 14 + l3;
	struct pl_buf b = { 0 };

	memset(buf, 0, len);
	memcpy(buf, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (v6) {
		buf[12] = 0x86;
		buf[13] = 0xdd;
		buf[14] = 0x60;
		buf[18] = (uint8_t)((ip_len - 40) >> 8);
		buf[19] = (uint8_t)(ip_len - 40);
		buf[20] = 6;
		buf[21] = 64;
		inet_pton(AF_INET6, src, buf + 22);
		inet_pton(AF_INET6, "2001:db8::2", buf + 38);
	} else {
		buf[12] = 0x08;
		buf[14] = 0x45;
		buf[16] = (uint8_t)(ip_len >> 8);
		buf[17] = (uint8_t)ip_len;
		buf[22] = 64;
		buf[23] = 6;
		inet_pton(AF_INET, src, buf + 26);
		memcpy(buf + 30, "\x0a\0\0\x02", 4);
	}
	t[0] = 0x30;
	t[1] = 0x39;
	t[3] = 80;
	t[12] = 5 << 4;
	t[13] = flags;
	b.data = buf;
	b.len = len;
	b.headroom = b.tailroom = 0;
	b.ifindex = 1;
	b.rx_queue = 0;
	return pl_core_process(&b, NULL);
}

static void set_clock(struct pl_ctl *c, __u64 ns)
{
	struct pl_config cfg;

	pl_ctl_get_config(c, &cfg);
	cfg.clock_ns = ns;
	pl_ctl_set_config(c, &cfg);
}

/* Token buckets at the limits. */
static void test_buckets(struct pl_ctl *c)
{
	struct pl_policy *p = (void *)1;
	struct pl_err err;
	char msg[600];

	CHECK(pl_policy_parse_string("ratelimit pps 100 bytes 100000 byte-burst 1000\n", "t.policy", &p,
				     &err) < 0 &&
		      strstr(err.msg, "t.policy:1:") && strstr(err.msg, "1518"),
	      "byte burst below one frame refused: %s", err.msg);
	CHECK(pl_policy_parse_string("ratelimit pps 100 bytes 1000\n", "t.policy", &p, &err) == 0,
	      "a small byte rate gets a burst of one frame: %s", err.msg);
	pl_policy_free(p);

	/* 4e9 bytes/s with a 1e10-byte burst: after the first frame the
	 * bucket holds (1e10 - 1514) bytes in units of 1e-9; 2.111686397 s
	 * idle adds just more than 2^64 minus that, so a wrapping sum would
	 * leave less than one frame. Saturated, the bucket is full. */
	CHECK(apply_text(c, "ratelimit pps 1000000 burst 1000000 bytes 4000000000 byte-burst 10000000000\n",
			 msg, sizeof(msg)) == 0,
	      "%s", msg);
	set_clock(c, 5000000000ull);
	CHECK(run_tcp("10.1.1.1", 0x10, 1514) == PL_PASS, "first frame");
	set_clock(c, 5000000000ull + 2111686397ull);
	CHECK(run_tcp("10.1.1.1", 0x10, 1514) == PL_PASS, "after 2.1 s idle: refilled, not wrapped");
	set_clock(c, 0);
}

/* IPv4 a.b.c.d and IPv6 ::ffff:a.b.c.d have buckets of their own. */
static void test_family_keys(struct pl_ctl *c)
{
	char msg[600];

	CHECK(apply_text(c, "ratelimit pps 1 burst 1\n", msg, sizeof(msg)) == 0, "%s", msg);
	set_clock(c, 7000000000ull);
	CHECK(run_tcp("10.2.2.2", 0x10, 64) == PL_PASS, "IPv4 source: its one token");
	CHECK(run_tcp("10.2.2.2", 0x10, 64) == PL_DROP, "IPv4 source: over budget");
	CHECK(run_tcp("::ffff:10.2.2.2", 0x10, 74) == PL_PASS,
	      "v4-mapped IPv6 source has a bucket of its own");
	CHECK(apply_text(c, "synguard per-source 1 1\n", msg, sizeof(msg)) == 0, "%s", msg);
	set_clock(c, 9000000000ull);
	CHECK(run_tcp("10.3.3.3", 0x02, 64) == PL_PASS, "IPv4 SYN: its one token");
	CHECK(run_tcp("10.3.3.3", 0x02, 64) == PL_DROP, "IPv4 SYN: over budget");
	CHECK(run_tcp("::ffff:10.3.3.3", 0x02, 74) == PL_PASS,
	      "v4-mapped IPv6 SYN has a bucket of its own");
	set_clock(c, 0);
}

/* 100 reloads of 256 steer entries, each replacing all of the last: the
 * table sees 25 600 removals. Misses must stay short. */
static void test_tombstones(struct pl_ctl *c)
{
	static char text[256];
	unsigned long total = 0;
	uint32_t worst = 0;
	char msg[600];

	for (int round = 0; round < 100; round++) {
		snprintf(text, sizeof(text), "steer udp %d-%d user\n", 1000 + (round % 50) * 1000,
			 1000 + (round % 50) * 1000 + RT_STEER - 1);
		if (apply_text(c, text, msg, sizeof(msg))) {
			CHECK(0, "reload %d: %s", round, msg);
			return;
		}
	}
	for (uint32_t p = 1; p <= 1000; p++) {
		struct pl_steer_key k = { .proto = IPPROTO_TCP, .port = (__u16)p };
		uint32_t n = pl_table_probe_len(&pl_steer, &k);

		total += n;
		worst = n > worst ? n : worst;
	}
	printf("  misses after 100 reloads: %.1f slots on average, %u at worst (of %u)\n",
	       (double)total / 1000, worst, 4 * PL_STEER_MAX);
	CHECK(total / 1000 <= 16 && worst <= 128,
	      "a miss probes %.1f slots on average, %u at worst: tombstones not reclaimed",
	      (double)total / 1000, worst);
	CHECK(pl_table_count(&pl_steer, 0) == RT_STEER, "entries: %u", pl_table_count(&pl_steer, 0));
}

int main(void)
{
	struct pl_ctl *c;

	if (pl_core_init(1)) {
		fprintf(stderr, "pl_core_init failed\n");
		return 1;
	}
	c = pl_ctl_open_user();
	CHECK(c != NULL, "open user backend");
	if (!c)
		return pl_check_done("test-ctl-reload");
	CHECK(live_cfg() != NULL, "config");
	test_full_swaps(c);
	test_cookie_key(c);
	test_buckets(c);
	test_family_keys(c);
	test_tombstones(c);
	pl_ctl_close(c);
	pl_core_fini();
	return pl_check_done("test-ctl-reload");
}
