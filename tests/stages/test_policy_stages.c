// SPDX-License-Identifier: MIT
/* The stage keywords through libpathlab-ctl into the user-space core:
 * parse, apply, read the tables back; and the errors naming file:line. */
#define PL_CHECK_MAIN
#include "stages_test.h"
#include "stages/ratelimit.h"
#include "stages/synguard.h"
#include "stages/route.h"
#include "stages/block.h"
#include <time.h>
#include <unistd.h>
#include "pl_user.h"
#include "pl_ctl.h"

static const char *good =
	"ratelimit pps 1000 burst 50 bytes 100000 prefix4 24\n"
	"synguard per-source 10 20 global 100 200\n"
	"responder listen any-destination\n"
	"responder listen fd00::2 80\n"
	"responder listen 10.0.0.2 80\n"
	"responder key 000102030405060708090a0b0c0d0e0f\n"
	"route /v 200 text/plain version one two\n"
	"route unknown 404 text/html gone\n"
	"lb service web 10.0.0.100 80 tcp mode nat size 251\n"
	"lb backend web 10.0.1.2 port 8080 weight 2 mac 02:00:00:00:00:01\n"
	"lb backend web 10.0.2.2 port 8080 state draining\n";

/* Parse text; returns the error message or NULL. */
static const char *parse_err(const char *text)
{
	static struct pl_err err;
	struct pl_policy *p = NULL;
	int e = pl_policy_parse_string(text, "t.policy", &p, &err);

	pl_policy_free(p);
	return e ? err.msg : NULL;
}

/* The id of the live (not unused) backend entry with this IPv4 address;
 * -1 if none. */
static int be_find(const char *addr)
{
	struct pl_addr a;

	pl_addr_set_v4(&a, inet_addr(addr));
	for (__u32 id = 0; id < PL_LB_BACKEND_MAX; id++) {
		struct pl_lb_backend *b = pl_table_lookup(&pl_lb_backends, &id);

		if (b && b->state != PL_LB_DOWN && !memcmp(&b->addr, &a, sizeof(a)))
			return (int)id;
	}
	return -1;
}

/* Run one TCP segment from 10.9.0.1:sport to VIP:80 through the core;
 * the last byte of the (NAT) destination address it leaves with, -1 if
 * it is not forwarded. */
static int lb_send(const char *vip, __u16 sport, __u8 flags)
{
	static __u8 mem[256 + 2048];
	__u8 f[256];
	size_t len = st_tcp_frame(f, 0, "10.9.0.1", vip, sport, 80, flags, 1, flags & PL_TCP_ACK ? 1 : 0,
				  1460, NULL);
	struct pl_buf b = { .data = mem + 256, .len = (uint32_t)len, .headroom = 256,
			    .tailroom = (uint32_t)(2048 - len) };
	__u32 port = 0;

	memcpy(mem + 256, f, len);
	if (pl_core_process(&b, &port) != PL_TX)
		return -1;
	return b.data[14 + 19];
}

/* Write text into a file in dir; returns its path (static buffer). */
static const char *put_file(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* Parse and apply a policy file; returns the error message or NULL. */
static const char *apply_file(struct pl_ctl *ctl, const char *path)
{
	static struct pl_err err;
	struct pl_policy *p = NULL;
	int e = pl_policy_parse_file(path, &p, &err);

	if (!e)
		e = pl_policy_apply(ctl, p, NULL, NULL, &err);
	pl_policy_free(p);
	return e ? err.msg : NULL;
}

static int blocked4(const struct pl_table *t, __u8 a, __u8 b, __u8 c, __u8 d)
{
	struct pl_route_key4 k = { .prefixlen = 32, .addr = { a, b, c, d } };

	return pl_table_lookup(t, &k) != NULL;
}

/* Block lists through the policy: files, errors with FILE:LINE, reloads
 * that change the set, 100,000 prefixes. */
static void test_block_policy(struct pl_ctl *ctl)
{
	char dir[] = "/tmp/plt-block-XXXXXX", pol[600];
	const char *e;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	put_file(dir, "src.list", "# flood sources\n10.0.0.0/8\n\n  192.0.2.7   # one host\n2001:db8::/32\n10.0.0.0/8\n");
	put_file(dir, "dst.list", "198.51.100.0/24\n");
	snprintf(pol, sizeof(pol), "%s", put_file(dir, "b.policy", "block src src.list\nblock dst dst.list\n"));
	e = apply_file(ctl, pol);
	CHECK(!e, "apply: %s", e);
	CHECK(blocked4(&pl_block_src4, 10, 9, 9, 9) && blocked4(&pl_block_src4, 192, 0, 2, 7) &&
	      !blocked4(&pl_block_src4, 192, 0, 2, 8), "src list loaded");
	CHECK(blocked4(&pl_block_dst4, 198, 51, 100, 1) && !blocked4(&pl_block_src4, 198, 51, 100, 1),
	      "dst list loaded, separate from src");
	{
		struct pl_route_key6 k = { .prefixlen = 128, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } };

		CHECK(pl_table_lookup(&pl_block_src6, &k) != NULL, "IPv6 prefix loaded");
	}
	CHECK(pl_core_config()->block_enabled == (PL_BLOCK_SRC | PL_BLOCK_DST), "both lists on");
	/* a reload with a changed list: the new prefix in, the dropped ones out */
	put_file(dir, "src.list", "10.0.0.0/8\n203.0.113.0/24\n");
	put_file(dir, "b.policy", "block src src.list\n");
	e = apply_file(ctl, pol);
	CHECK(!e, "reload: %s", e);
	CHECK(blocked4(&pl_block_src4, 203, 0, 113, 5) && blocked4(&pl_block_src4, 10, 1, 1, 1) &&
	      !blocked4(&pl_block_src4, 192, 0, 2, 7), "reload: src list replaced");
	CHECK(!blocked4(&pl_block_dst4, 198, 51, 100, 1), "reload: dst list emptied");
	CHECK(pl_core_config()->block_enabled == PL_BLOCK_SRC, "reload: only the src list on");
	/* errors name the list's file and line */
	put_file(dir, "bad.list", "10.0.0.0/8\n# c\n10.0.0.300\n");
	put_file(dir, "b.policy", "block src bad.list\n");
	e = apply_file(ctl, pol);
	CHECK(e && strstr(e, "bad.list:3:") && strstr(e, "10.0.0.300"), "bad prefix: %s", e);
	CHECK(blocked4(&pl_block_src4, 203, 0, 113, 5), "a failed parse leaves the loaded list");
	put_file(dir, "bad.list", "10.0.0.0/8 10.1.0.0/16\n");
	e = apply_file(ctl, pol);
	CHECK(e && strstr(e, "bad.list:1:") && strstr(e, "one prefix per line"), "two words: %s", e);
	put_file(dir, "bad.list", "10.0.0.1/8\n");
	e = apply_file(ctl, pol);
	CHECK(e && strstr(e, "bad.list:1:"), "host bits: %s", e);
	put_file(dir, "b.policy", "block src missing.list\n");
	e = apply_file(ctl, pol);
	CHECK(e && strstr(e, "b.policy:1:") && strstr(e, "missing.list"), "missing file: %s", e);
	put_file(dir, "b.policy", "block from x.list\n");
	e = apply_file(ctl, pol);
	CHECK(e && strstr(e, "b.policy:1:") && strstr(e, "src or dst"), "bad direction: %s", e);
	/* 100,000 prefixes (/32 and /24 IPv4, /64 IPv6) */
	{
		char path[600];
		struct timespec t0, t1, t2;
		FILE *f;

		snprintf(path, sizeof(path), "%s/big.list", dir);
		f = fopen(path, "w");
		for (unsigned i = 0; f && i < 100000; i++) {
			if (i % 4 == 3)
				fprintf(f, "2001:db8:%x:%x::/64\n", i >> 16, i & 0xffff);
			else if (i % 4 == 2)
				fprintf(f, "100.%u.%u.0/24\n", (i >> 8) & 0x3f, i & 0xff);
			else
				fprintf(f, "172.%u.%u.%u\n", 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
		}
		if (f)
			fclose(f);
		put_file(dir, "b.policy", "block src big.list\n");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		e = apply_file(ctl, pol);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK(!e, "100,000 prefixes: %s", e);
		e = apply_file(ctl, pol);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		CHECK(!e, "100,000 prefixes again: %s", e);
		printf("block: 100,000 prefixes parsed and loaded in %.3f s; re-applied unchanged in %.3f s\n",
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		       (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
		CHECK(blocked4(&pl_block_src4, 172, 16, 0, 1) && blocked4(&pl_block_src4, 100, 0, 6, 9) &&
		      !blocked4(&pl_block_src4, 172, 16, 0, 2) && !blocked4(&pl_block_src4, 203, 0, 113, 5),
		      "big list: members and non-members");
		{
			struct pl_route_key6 k = { .prefixlen = 128,
						   .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0x86, 0x9f, 0, 0, 0, 0, 0, 0, 0, 9 } };

			CHECK(pl_table_lookup(&pl_block_src6, &k) != NULL, "big list: IPv6 member (prefix 99999)");
		}
		unlink(path);
	}
	/* live changes without a policy apply */
	{
		struct pl_err err = { { 0 } };
		char path[600];

		put_file(dir, "b.policy", "mode policy\n");
		e = apply_file(ctl, pol);
		CHECK(!e && pl_core_config()->block_enabled == 0, "lists emptied: %s", e ? e : "");
		CHECK(pl_block_add(ctl, 0, "192.0.2.9", &err) == 0, "add: %s", err.msg);
		CHECK(blocked4(&pl_block_src4, 192, 0, 2, 9) && pl_core_config()->block_enabled == PL_BLOCK_SRC,
		      "add: in the src list, the list on");
		CHECK(pl_block_add(ctl, 1, "2001:db8:5::/48", &err) == 0, "add v6 dst: %s", err.msg);
		CHECK(pl_core_config()->block_enabled == (PL_BLOCK_SRC | PL_BLOCK_DST), "add: the dst list on");
		CHECK(pl_block_add(ctl, 0, "192.0.2.300", &err) < 0 && strstr(err.msg, "192.0.2.300"),
		      "bad prefix: %s", err.msg);
		CHECK(pl_block_del(ctl, 0, "192.0.2.9", &err) == 0 && !blocked4(&pl_block_src4, 192, 0, 2, 9),
		      "del: %s", err.msg);
		CHECK(pl_block_del(ctl, 0, "192.0.2.9", &err) == -ENOENT && strstr(err.msg, "not in the list"),
		      "del of an absent prefix: %s", err.msg);
		snprintf(path, sizeof(path), "%s/src.list", dir);
		put_file(dir, "src.list", "10.0.0.0/8\n10.0.0.0/8\n198.18.0.0/15\n");
		CHECK(pl_block_add(ctl, 0, "192.0.2.10", &err) == 0, "add: %s", err.msg);
		CHECK(pl_block_load(ctl, 0, path, &err) == 2, "load: %s", err.msg);
		CHECK(blocked4(&pl_block_src4, 10, 2, 3, 4) && blocked4(&pl_block_src4, 198, 19, 0, 1) &&
		      !blocked4(&pl_block_src4, 192, 0, 2, 10), "load: the list is the file's");
		put_file(dir, "src.list", "# empty\n");
		CHECK(pl_block_load(ctl, 0, path, &err) == 0 && !blocked4(&pl_block_src4, 10, 2, 3, 4) &&
		      pl_core_config()->block_enabled == PL_BLOCK_DST, "load of an empty list: off (%s)", err.msg);
		put_file(dir, "src.list", "10.0.0.0/8\nnonsense\n");
		CHECK(pl_block_load(ctl, 0, path, &err) < 0 && strstr(err.msg, "src.list:2:"), "load error: %s",
		      err.msg);
		CHECK(pl_core_config()->block_enabled == PL_BLOCK_DST && !blocked4(&pl_block_src4, 10, 2, 3, 4),
		      "a list file with an error changes nothing");
		/* a load that does not fit is undone: 131072 + 1 prefixes held,
		 * 131072 others loaded, one more than the table holds */
		{
			char p1[600], p2[600];
			FILE *f1, *f2;

			snprintf(p1, sizeof(p1), "%s/l1.list", dir);
			snprintf(p2, sizeof(p2), "%s/l2.list", dir);
			f1 = fopen(p1, "w");
			f2 = fopen(p2, "w");
			for (unsigned i = 0; f1 && f2 && i < PL_BLOCK_MAX / 2; i++) {
				fprintf(f1, "100.%u.%u.%u\n", 64 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
				fprintf(f2, "101.%u.%u.%u\n", 64 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
			}
			if (f1)
				fclose(f1);
			if (f2)
				fclose(f2);
			CHECK(pl_block_load(ctl, 0, p1, &err) == PL_BLOCK_MAX / 2, "load l1: %s", err.msg);
			CHECK(pl_block_add(ctl, 0, "192.0.2.77", &err) == 0, "add: %s", err.msg);
			CHECK(pl_block_load(ctl, 0, p2, &err) < 0 && strstr(err.msg, "full") &&
			      strstr(err.msg, "as it was"), "over the limit: %s", err.msg);
			CHECK(blocked4(&pl_block_src4, 100, 64, 0, 1) && blocked4(&pl_block_src4, 192, 0, 2, 77) &&
			      !blocked4(&pl_block_src4, 101, 64, 0, 1) && !blocked4(&pl_block_src4, 101, 65, 255, 255),
			      "a load that did not fit left the list as it was");
			put_file(dir, "src.list", "# empty\n");
			CHECK(pl_block_load(ctl, 0, path, &err) == 0 && !blocked4(&pl_block_src4, 100, 64, 0, 1),
			      "emptied: %s", err.msg);
			unlink(p1);
			unlink(p2);
		}
	}
	put_file(dir, "b.policy", "mode policy\n");
	e = apply_file(ctl, pol);
	CHECK(!e && pl_core_config()->block_enabled == 0 && !blocked4(&pl_block_src4, 172, 16, 0, 1),
	      "a policy without block lists empties them: %s", e ? e : "");
	unlink(pol);
	snprintf(pol, sizeof(pol), "%s/src.list", dir);
	unlink(pol);
	snprintf(pol, sizeof(pol), "%s/dst.list", dir);
	unlink(pol);
	snprintf(pol, sizeof(pol), "%s/bad.list", dir);
	unlink(pol);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct pl_policy *p = NULL;
	struct pl_err err;
	struct pl_ctl *ctl;
	__u32 zero = 0;

	if (pl_core_init(1)) {
		fprintf(stderr, "pl_core_init failed\n");
		return 1;
	}
	ctl = pl_ctl_open_user();
	CHECK(ctl != NULL, "user backend");
	CHECK(pl_policy_parse_string(good, "t.policy", &p, &err) == 0, "%s", err.msg);
	if (p && ctl) {
		struct pl_rl_params *rl;
		struct pl_syn_params *sp;
		struct pl_resp_params *rp;
		struct pl_resp_listen_key lk = { .port = 8080 };
		struct pl_resp_path k;
		struct pl_resp_route *r;
		struct pl_lb_svc_key sk = { .port = 80, .proto = IPPROTO_TCP, .family = 4 };
		struct pl_lb_svc *s;
		struct pl_lb_backend *b;
		__u32 id = 1, ones = 0;
		const struct pl_config *cfg = pl_policy_config(p);

		CHECK(cfg->rl_enabled && cfg->syn_enabled && cfg->resp_enabled && cfg->lb_enabled,
		      "switches");
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		rl = pl_table_lookup(&pl_rl_params, &zero);
		CHECK(rl && rl->pps.rate == 1000 && rl->pps.burst == 50 && rl->bps.rate == 100000 &&
		      rl->prefix4 == 24 && rl->prefix6 == 128, "ratelimit params");
		sp = pl_table_lookup(&pl_syn_params, &zero);
		CHECK(sp && sp->per_src.rate == 10 && sp->global.burst == 200, "synguard params");
		CHECK(rl && rl->flags == 0 && sp && sp->flags == 0, "budgets per CPU by default");
		{
			struct pl_policy *p2 = NULL;

			CHECK(pl_policy_parse_string("ratelimit pps 10 aggregate shared\n"
						     "synguard global 5 5 shared\n",
						     "t.policy", &p2, &err) == 0, "%s", err.msg);
			CHECK(p2 && pl_policy_apply(ctl, p2, NULL, NULL, &err) == 0, "apply: %s", err.msg);
			rl = pl_table_lookup(&pl_rl_params, &zero);
			sp = pl_table_lookup(&pl_syn_params, &zero);
			CHECK(rl && rl->flags == (PL_BUDGET_SHARED | PL_BUDGET_AGGREGATE) &&
			      rl->prefix4 == 32 && rl->prefix6 == 128, "ratelimit aggregate shared");
			CHECK(sp && sp->flags == PL_BUDGET_SHARED, "synguard shared");
			pl_policy_free(p2);
			CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
			rl = pl_table_lookup(&pl_rl_params, &zero);
			sp = pl_table_lookup(&pl_syn_params, &zero);
		}
		rp = pl_table_lookup(&pl_resp_params, &zero);
		CHECK(rp && rp->key[0] == 0x0001020304050607ull && rp->key[1] == 0x08090a0b0c0d0e0full,
		      "cookie key");
		CHECK(pl_table_lookup(&pl_resp_listen, &lk) != NULL, "listen any-destination:8080");
		{
			struct pl_resp_listen_key k4 = { .port = 80, .family = 4 };
			struct pl_resp_listen_key k6 = { .port = 80, .family = 6 };

			pl_addr_set_v4(&k4.addr, htonl(0x0a000002));
			CHECK(pl_table_lookup(&pl_resp_listen, &k4) != NULL, "listen 10.0.0.2:80, family 4");
			k4.family = 6; /* the same bytes as ::ffff:10.0.0.2 */
			CHECK(pl_table_lookup(&pl_resp_listen, &k4) == NULL, "no v4-mapped alias");
			inet_pton(AF_INET6, "fd00::2", k6.addr.b);
			CHECK(pl_table_lookup(&pl_resp_listen, &k6) != NULL, "listen fd00::2:80, family 6");
		}
		pl_resp_path_key(&k, "/v");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "\r\n\r\nversion one two"), "route /v");
		pl_resp_path_key(&k, "/api");
		CHECK(pl_table_lookup(&pl_resp_routes, &k) != NULL, "default /api kept");
		pl_resp_path_key(&k, "#400");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "400 Bad Request"), "default 400 route");
		pl_resp_path_key(&k, "#404");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "404 Not Found") && strstr((char *)r->data, "gone"),
		      "404 route replaced");
		pl_addr_set_v4(&sk.vip, htonl(0x0a000064));
		s = pl_table_lookup(&pl_lb_services, &sk);
		CHECK(s && s->mode == PL_LB_NAT && s->ring_size == 251 && s->id == 0, "service");
		b = pl_table_lookup(&pl_lb_backends, &id);
		CHECK(b && b->state == PL_LB_DRAINING && b->port == 8080, "backend 1 draining");
		for (__u32 i = 0; i < 251; i++) {
			__u32 *e = pl_table_lookup(&pl_lb_ring, &i);

			ones += e && *e == 1;
		}
		CHECK(ones == 251, "ring: only the up backend (%u of 251)", ones);
		pl_policy_free(p);
		/* an empty policy turns them all off and empties the tables */
		p = NULL;
		CHECK(pl_policy_parse_string("mode policy\n", "e.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply empty: %s", err.msg);
		CHECK(pl_table_lookup(&pl_lb_services, &sk) == NULL, "service removed");
		CHECK(pl_table_lookup(&pl_resp_listen, &lk) == NULL, "listen removed");
	}
	pl_policy_free(p);

	/* a reload swapping a full set of services (and NAT backends) for
	 * another full set: old and new entries coexist until the old ones
	 * are removed */
	if (ctl) {
		char *txt[2];

		for (int v = 0; v < 2; v++) {
			size_t cap = 64 * 1024, o = 0;

			txt[v] = malloc(cap);
			for (int i = 0; i < PL_LB_SVC_MAX; i++) {
				o += (size_t)snprintf(txt[v] + o, cap - o, "lb service s%d 10.%d.0.%d 80 tcp mode nat size 13\n",
						      i, 60 + v, i + 1);
				for (int j = 0; j < PL_LB_BACKEND_MAX / PL_LB_SVC_MAX; j++)
					o += (size_t)snprintf(txt[v] + o, cap - o, "lb backend s%d 10.%d.%d.%d port 80\n", i,
							      70 + v, i, j + 1);
			}
		}
		for (int round = 0; round < 3; round++) {
			p = NULL;
			CHECK(pl_policy_parse_string(txt[round & 1], "full.policy", &p, &err) == 0, "%s", err.msg);
			CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "full swap %d: %s", round, err.msg);
			pl_policy_free(p);
		}
		free(txt[0]);
		free(txt[1]);
	}

	/* a backend line deleted by a reload: its id is set down (its known
	 * flows are placed again), not left up */
	if (ctl) {
		__u32 id1 = 1;
		struct pl_lb_backend *b1;

		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\nlb backend w 10.0.1.1\n"
					     "lb backend w 10.0.1.2\n", "d.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		b1 = pl_table_lookup(&pl_lb_backends, &id1);
		CHECK(b1 && b1->state == PL_LB_UP, "backend 1 up");
		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\nlb backend w 10.0.1.1\n",
					     "d.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		b1 = pl_table_lookup(&pl_lb_backends, &id1);
		CHECK(b1 && b1->state == PL_LB_DOWN, "deleted backend 1 is down (state %d)", b1 ? b1->state : -1);
	}

	/* ids are stable across reloads: services swapped, backends reversed
	 * and one deleted; every surviving backend keeps its id and service,
	 * the deleted one's id is down, and known flows stay where they are */
	if (ctl) {
		static const char *const be_addr[3] = { "10.0.5.1", "10.0.5.2", "10.0.6.1" };
		int id0[3], port_on[2] = { 0, 0 };
		__u8 svc0[3];

		p = NULL;
		CHECK(pl_policy_parse_string("lb seed 7\n"
					     "lb service A 10.0.0.10 80 tcp mode nat size 13\n"
					     "lb service B 10.0.0.20 80 tcp mode nat size 13\n"
					     "lb backend A 10.0.5.1 port 8080\n"
					     "lb backend A 10.0.5.2 port 8080\n"
					     "lb backend B 10.0.6.1 port 8080\n", "r.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		for (int i = 0; i < 3; i++) {
			__u32 id;

			id0[i] = be_find(be_addr[i]);
			CHECK(id0[i] >= 0, "backend %s placed", be_addr[i]);
			id = (__u32)(id0[i] < 0 ? 0 : id0[i]);
			svc0[i] = ((struct pl_lb_backend *)pl_table_lookup(&pl_lb_backends, &id))->svc;
		}
		/* a flow on a1 and one on a2 (SYN: entries in the connection table) */
		for (__u16 sport = 1000; sport < 1100 && !(port_on[0] && port_on[1]); sport++) {
			int last = lb_send("10.0.0.10", sport, PL_TCP_SYN);

			CHECK(last == 1 || last == 2, "flow to A lands on a1 or a2 (%d)", last);
			if ((last == 1 || last == 2) && !port_on[last - 1])
				port_on[last - 1] = sport;
		}
		CHECK(port_on[0] && port_on[1], "flows on both a1 and a2");
		p = NULL;
		CHECK(pl_policy_parse_string("lb seed 7\n"
					     "lb service B 10.0.0.20 80 tcp mode nat size 13\n"
					     "lb service A 10.0.0.10 80 tcp mode nat size 13\n"
					     "lb backend A 10.0.5.2 port 8080\n"
					     "lb backend A 10.0.5.1 port 8080\n", "r.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "reordered apply: %s", err.msg);
		pl_policy_free(p);
		for (int i = 0; i < 2; i++) {
			__u32 id = (__u32)(id0[i] < 0 ? 0 : id0[i]);
			struct pl_lb_backend *b = pl_table_lookup(&pl_lb_backends, &id);

			CHECK(be_find(be_addr[i]) == id0[i], "%s keeps id %d (now %d)", be_addr[i], id0[i],
			      be_find(be_addr[i]));
			CHECK(b && b->svc == svc0[i], "%s keeps service id %u (now %u)", be_addr[i], svc0[i],
			      b ? b->svc : 255);
		}
		{
			__u32 id = (__u32)(id0[2] < 0 ? 0 : id0[2]);
			struct pl_lb_backend *b = pl_table_lookup(&pl_lb_backends, &id);

			CHECK(b && b->state == PL_LB_DOWN && be_find(be_addr[2]) < 0, "deleted b1's id %u is down",
			      id);
		}
		CHECK(lb_send("10.0.0.10", (__u16)port_on[0], PL_TCP_ACK) == 1, "the flow on a1 stays on a1 (%d)",
		      lb_send("10.0.0.10", (__u16)port_on[0], PL_TCP_ACK));
		CHECK(lb_send("10.0.0.10", (__u16)port_on[1], PL_TCP_ACK) == 2, "the flow on a2 stays on a2 (%d)",
		      lb_send("10.0.0.10", (__u16)port_on[1], PL_TCP_ACK));
	}

	/* the LB flow hash seed: the policy's; without one, the datapath's
	 * current seed is kept; on a fresh datapath, a random one */
	if (ctl) {
		struct pl_config *c;
		__u32 kept;

		p = NULL;
		CHECK(pl_policy_parse_string("lb seed 4242\nlb service w 10.0.0.1 80 tcp size 13\n", "s.policy", &p,
					     &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply seed: %s", err.msg);
		pl_policy_free(p);
		c = pl_core_config(); /* the live bank: fetched again after every apply */
		CHECK(c && c->lb_seed == 4242, "lb seed 4242 -> %u", c ? c->lb_seed : 0);
		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\n", "s.policy", &p, &err) == 0,
		      "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		c = pl_core_config();
		CHECK(c && c->lb_seed == 4242, "reload without a seed keeps 4242 (%u)", c ? c->lb_seed : 0);
		c->lb_seed = 0; /* a fresh datapath */
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		c = pl_core_config();
		kept = c->lb_seed;
		CHECK(kept != 0, "a fresh datapath gets a random seed");
		c->lb_seed = 0;
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		c = pl_core_config();
		CHECK(c->lb_seed != 0 && c->lb_seed != kept, "and another one next time (%u, %u)", kept, c->lb_seed);
		pl_policy_free(p);
	}


	/* IP routes: into pl_route4 / pl_route6; a reload replaces them; under
	 * route kernel the tables are the mirror's and a reload keeps them */
	if (ctl) {
		struct pl_route_key4 k4 = { .prefixlen = 8, .addr = { 10 } };
		struct pl_route_key4 k4b = { .prefixlen = 24, .addr = { 192, 0, 2 } };
		struct pl_route_key6 k6 = { .prefixlen = 32, .addr = { 0x20, 0x01, 0x0d, 0xb8 } };
		struct pl_route_val *v;

		p = NULL;
		CHECK(pl_policy_parse_string("route 10.0.0.0/8 dev lo mac 02:00:00:00:0d:01 src-mac 02:00:00:00:05:01 via 10.255.0.1\n"
					     "route 192.0.2.0/24 drop\n"
					     "route 2001:db8::/32 dev lo mac 02:00:00:00:0d:02\n"
					     "route /hello 200 text/plain hi\nresponder listen 10.0.0.2 80\n",
					     "r.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		v = pl_table_lookup(&pl_route4, &k4);
		CHECK(v && v->action == PL_ROUTE_FWD && v->out_port == 1 && v->dst_mac[5] == 1 &&
		      v->src_mac[4] == 5, "10.0.0.0/8 via lo (port %u)", v ? v->out_port : 0);
		v = pl_table_lookup(&pl_route4, &k4b);
		CHECK(v && v->action == PL_ROUTE_DROP, "192.0.2.0/24 drop");
		v = pl_table_lookup(&pl_route6, &k6);
		CHECK(v && v->action == PL_ROUTE_FWD && v->dst_mac[5] == 2, "2001:db8::/32 (src-mac of lo read)");
		CHECK(pl_core_config()->route_enabled == 1, "routing on");
		{
			struct pl_resp_path rk;

			pl_resp_path_key(&rk, "/hello");
			CHECK(pl_table_lookup(&pl_resp_routes, &rk) != NULL, "the responder's route keyword still works");
		}
		p = NULL;
		CHECK(pl_policy_parse_string("route 10.0.0.0/8 pass\n", "r2.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		v = pl_table_lookup(&pl_route4, &k4);
		CHECK(v && v->action == PL_ROUTE_PASS, "reload: 10.0.0.0/8 now pass");
		CHECK(pl_table_lookup(&pl_route4, &k4b) == NULL && pl_table_lookup(&pl_route6, &k6) == NULL,
		      "reload: routes the new policy does not name are gone");
		p = NULL;
		CHECK(pl_policy_parse_string("route kernel\n", "r3.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_route_kernel(p), "route kernel reported to the front end");
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		CHECK(pl_table_lookup(&pl_route4, &k4) != NULL && pl_core_config()->route_enabled == 1,
		      "route kernel: the tables are left to the mirror, routing on");
		p = NULL;
		CHECK(pl_policy_parse_string("mode policy\n", "r4.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && !pl_policy_route_kernel(p) && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0,
		      "apply: %s", err.msg);
		pl_policy_free(p);
		CHECK(pl_table_lookup(&pl_route4, &k4) == NULL && pl_core_config()->route_enabled == 0,
		      "a policy without routes: routing off, tables emptied");
	}
	/* errors name file:line and what is wrong */
	{
		static const struct { const char *text, *want; } bad[] = {
			{ "lb service w 10.0.0.1 80 tcp size 100\n", "t.policy:1: Maglev table size 100 is not prime" },
			{ "lb backend w 10.0.0.1\n", "t.policy:1: unknown service 'w'" },
			{ "lb service w 10.0.0.1 80 tcp\nlb backend w fd00::1\n", "t.policy:2: backend must be IPv4" },
			{ "lb service w 10.0.0.1 80 tcp mode ipip\n", "needs 'encap-src" },
			{ "lb seed 0\n", "t.policy:1:" },
			{ "lb seed 1\nlb seed 2\n", "t.policy:2: lb seed already given at line 1" },
			{ "lb service a 10.0.0.1 80 tcp mode nat\nlb service b 10.0.0.2 80 tcp mode nat\n"
			  "lb backend a 10.0.1.1 port 8080\nlb backend b 10.0.1.1 port 8080\n",
			  "t.policy:4: NAT backend 10.0.1.1 port 8080 tcp is already a backend of NAT service a (line 3)" },
			{ "lb service a 10.0.0.1 80 udp mode nat\nlb service b 10.0.0.2 53 udp mode nat\n"
			  "lb backend a 10.0.1.1 port 53\nlb backend b 10.0.1.1\n",
			  "t.policy:4: NAT backend 10.0.1.1 port 53 udp" },
			{ "ratelimit burst 5\n", "t.policy:1: ratelimit needs 'pps N'" },
			{ "ratelimit pps 1\nratelimit pps 2\n", "t.policy:2:" },
			{ "synguard\n", "synguard needs" },
			{ "ratelimit pps 1 shared shared\n", "t.policy:1: 'shared' given twice in one statement" },
			{ "ratelimit pps 1 aggregate aggregate\n", "t.policy:1: 'aggregate' given twice" },
			{ "ratelimit pps 1 prefix4 0\n", "t.policy:1: prefix4 0 would put every source in one bucket: write 'aggregate'" },
			{ "ratelimit pps 1 prefix6 0\n", "t.policy:1: prefix6 0 would put every source in one bucket" },
			{ "ratelimit pps 1 aggregate prefix4 24\n", "t.policy:1: 'aggregate' is one bucket for every source: it takes no 'prefix4'" },
			{ "mode policy\nsynguard global 5 5 shared shared\n", "t.policy:2: 'shared' given twice in one statement" },
			{ "synguard per-source 5 5 prefix4 0\n", "t.policy:1: prefix4 0 would put every source in one bucket: that is the 'global PPS BURST' budget" },
			{ "synguard global 5 5 aggregate\n", "t.policy:1: synguard has no 'aggregate'" },
			{ "route api 200 text/plain x\n", "must start with '/'" },
			{ "responder key 1234\n", "32 hex digits" },
			{ "responder listen any-destination 70000\n", "t.policy:1:" },
			{ "responder listen any 80\n", "t.policy:1: responder listen 'any' is ambiguous" },
			{ "responder listen any\n", "write 'any-destination'" },
			{ "route bad 400 text/plain x\n", "or 'bad-request'" },
			{ "route 10.0.0.0/8\n", "t.policy:1: route 10.0.0.0/8 needs what to do" },
			{ "route 10.0.0.1/8 pass\n", "did you mean 10.0.0.0/8" },
			{ "route 10.0.0.0/33 pass\n", "bad prefix length (0-32" },
			{ "route 10.0.0.0/8 dev lo\n", "needs 'dev IFACE' and 'mac MAC'" },
			{ "route 10.0.0.0/8 dev lo mac 02:00:00:00:00:0g\n", "t.policy:1:" },
			{ "route 10.0.0.0/8 dev lo mac 02:00:00:00:00:01 via fd00::1\n", "via is IPv6 but the prefix" },
			{ "route 10.0.0.0/8 pass\nroute 10.0.0.0/8 drop\n", "t.policy:2: route 10.0.0.0/8 already given at line 1" },
			{ "route 10.0.0.0/8 pass\nroute kernel\n", "t.policy:2: route kernel conflicts with the route at line 1" },
			{ "route kernel\nroute ::/0 drop\n", "t.policy:2: a route in a policy with route kernel (line 1)" },
			{ "route default pass\n", "write 0.0.0.0/0 or ::/0" },
			{ "route 10.0.0.0/8 pass extra\n", "takes no more words" },
			{ "route 10.0.0.0/8 dev lo mac 02:00:00:00:00:01 metric 5\n", "unexpected 'metric'" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *m = parse_err(bad[i].text);

			CHECK(m && strstr(m, bad[i].want), "'%s' -> '%s' (want '%s')", bad[i].text,
			      m ? m : "accepted", bad[i].want);
		}
	}
	/* the examples parse and apply */
	for (int i = 1; i < argc && ctl; i++) {
		static const char *const ex[] = { "responder.policy", "lb.policy", "ratelimit.policy" };

		for (size_t j = 0; j < sizeof(ex) / sizeof(ex[0]); j++) {
			char path[512];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ex[j]);
			p = NULL;
			CHECK(pl_policy_parse_file(path, &p, &err) == 0, "%s", err.msg);
			CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "%s: %s", path, err.msg);
			pl_policy_free(p);
		}
	}
	if (ctl)
		test_block_policy(ctl);
	pl_ctl_close(ctl);
	pl_core_fini();
	return pl_check_done("stages-policy");
}
