// SPDX-License-Identifier: MIT
/* Unit tests of the issue-3 stages on the user-space core: cookies,
 * responder segments (bytes and checksums), token buckets, SYN guard,
 * Maglev placement and disruption, LB rewrite / encapsulation bytes and
 * connection persistence while draining. */
#define PL_CHECK_MAIN
#include "stages_test.h"
#include "stages/ratelimit.h"
#include "stages/synguard.h"
#include "stages/route.h"
#include "stages/block.h"
#include "stages/sample.h"
#include "stages/steer.h"
#include "pl_pipeline.h" /* the stage indexes (struct pl_meta) */
#include "pl_user.h"
#include <errno.h>
#include <pthread.h>

#define FRAME_ROOM 4096
#define HEADROOM 256

static __u8 mem[HEADROOM + FRAME_ROOM];
static int no_tailroom; /* 1: like a veth's small skb, only the headroom can grow */

/* Run the core on frame f (len bytes); the output lands in out. */
static int run(const __u8 *f, size_t len, __u8 **out, size_t *olen, __u32 *port)
{
	struct pl_buf b = { .data = mem + HEADROOM, .len = (uint32_t)len, .headroom = HEADROOM,
			    .tailroom = no_tailroom ? 0 : (uint32_t)(FRAME_ROOM - len) };
	__u32 p = 0;
	int v;

	memcpy(mem + HEADROOM, f, len);
	v = pl_core_process(&b, &p);
	*out = b.data;
	*olen = b.len;
	if (port)
		*port = p;
	return v;
}

static struct pl_config *cfg(void)
{
	return pl_core_config();
}

static __u64 counter(enum pl_counter i)
{
	__u32 zero = 0;
	struct pl_counters *c = pl_table_lookup_worker(&pl_counters, &zero, 0);

	return c ? c->c[i] : 0;
}

static void resp_setup(void)
{
	struct pl_resp_params p = { .key = { 0x0123456789abcdefull, 0xfedcba9876543210ull } };
	struct pl_resp_listen_key lk = { .port = 8080 };
	__u32 zero = 0, one = 1;
	size_t i;

	pl_table_update(&pl_resp_params, &zero, &p, PL_UPDATE_ANY);
	pl_table_update(&pl_resp_listen, &lk, &one, PL_UPDATE_ANY);
	for (i = 0; i < sizeof(st_default_routes) / sizeof(st_default_routes[0]); i++) {
		const struct st_route *r = &st_default_routes[i];
		struct pl_resp_route v;
		struct pl_resp_path k;

		pl_resp_path_key(&k, r->path);
		pl_resp_route_make(&v, r->status, r->ctype, r->body, strlen(r->body));
		pl_table_update(&pl_resp_routes, &k, &v, PL_UPDATE_ANY);
	}
	cfg()->resp_enabled = 1;
}

static __u32 be32(const __u8 *p) { return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* One request over v4 or v6: handshake, request, check the answer. */
static void resp_exchange(int v6, const char *method, const char *path, const char *want_status,
			  const char *want_body, int head)
{
	const char *cli = v6 ? "fd00::1" : "10.0.0.1", *srv = v6 ? "fd00::2" : "10.0.0.2";
	size_t l3 = v6 ? 40 : 20, len, olen;
	__u8 f[2048], *o;
	char req[256];
	__u32 isn, csn = 1000;
	int v;

	len = st_tcp_frame(f, v6, cli, srv, 40000, 8080, PL_TCP_SYN, csn, 0, 1460, NULL);
	v = run(f, len, &o, &olen, NULL);
	CHECK(v == PL_TX, "SYN -> %d", v);
	CHECK(olen == 14 + l3 + 24, "SYN-ACK length %zu", olen);
	CHECK(o[14 + l3 + 13] == (PL_TCP_SYN | PL_TCP_ACK), "SYN-ACK flags %#x", o[14 + l3 + 13]);
	CHECK(be32(o + 14 + l3 + 8) == csn + 1, "SYN-ACK ack");
	CHECK(o[14 + l3 + 20] == 2 && o[14 + l3 + 21] == 4, "MSS option");
	CHECK(memcmp(o, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12) == 0, "MACs swapped");
	CHECK(st_verify_csums(o, olen) == 0, "SYN-ACK checksums %d", st_verify_csums(o, olen));
	isn = be32(o + 14 + l3 + 4);
	CHECK((isn & 0xfff) == 0, "cookie low bits");

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n",
		 method, path);
	for (int rep = 0; rep < 2; rep++) { /* the second is a retransmission */
		size_t hl;
		const char *body;

		len = st_tcp_frame(f, v6, cli, srv, 40000, 8080, PL_TCP_ACK | PL_TCP_PSH, csn + 1,
				   isn + 1, 0, req);
		v = run(f, len, &o, &olen, NULL);
		CHECK(v == PL_TX, "request -> %d", v);
		CHECK(o[14 + l3 + 13] == (PL_TCP_ACK | PL_TCP_PSH | PL_TCP_FIN), "reply flags %#x",
		      o[14 + l3 + 13]);
		CHECK(be32(o + 14 + l3 + 4) == isn + 1, "reply seq");
		CHECK(be32(o + 14 + l3 + 8) == csn + 1 + strlen(req), "reply ack");
		CHECK(st_verify_csums(o, olen) == 0, "reply checksums %d (%s %s v6=%d)",
		      st_verify_csums(o, olen), method, path, v6);
		hl = 14 + l3 + 20;
		{
			unsigned iplen = v6 ? 40u + (unsigned)(o[18] << 8 | o[19])
					    : (unsigned)(o[16] << 8 | o[17]);
			size_t plen = iplen - l3 - 20;
			char text[2048];

			memcpy(text, o + hl, plen);
			text[plen] = 0;
			CHECK(strncmp(text, want_status, strlen(want_status)) == 0, "status: %s", text);
			CHECK(strstr(text, "Connection: close\r\n"), "Connection: close");
			body = strstr(text, "\r\n\r\n");
			CHECK(body != NULL, "blank line");
			if (body && head)
				CHECK(body[4] == 0, "HEAD has no body: %s", body + 4);
			if (body && !head)
				CHECK(strcmp(body + 4, want_body) == 0, "body '%s' want '%s'", body + 4,
				      want_body);
		}
	}
	/* client FIN after reading: ACKed */
	len = st_tcp_frame(f, v6, cli, srv, 40000, 8080, PL_TCP_ACK | PL_TCP_FIN,
			   csn + 1 + (__u32)strlen(req), isn + 200, 0, NULL);
	v = run(f, len, &o, &olen, NULL);
	CHECK(v == PL_TX && o[14 + l3 + 13] == PL_TCP_ACK, "FIN -> ACK (%d)", v);
	CHECK(be32(o + 14 + l3 + 8) == csn + 2 + strlen(req), "FIN acked");
	CHECK(st_verify_csums(o, olen) == 0, "ACK checksums");
	/* pure ACK: absorbed */
	len = st_tcp_frame(f, v6, cli, srv, 40000, 8080, PL_TCP_ACK, csn + 1, isn + 1, 0, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_DROP, "pure ACK absorbed");
	/* a forged ACK: RST */
	len = st_tcp_frame(f, v6, cli, srv, 40000, 8080, PL_TCP_ACK, csn + 1, isn + 1 + 0x10000, 0,
			   "GET / HTTP/1.1\r\n\r\n");
	v = run(f, len, &o, &olen, NULL);
	CHECK(v == PL_TX && o[14 + l3 + 13] == PL_TCP_RST, "bad cookie -> RST (%d)", v);
	CHECK(st_verify_csums(o, olen) == 0, "RST checksums");
}

/* Handshake with dst:port, then send payload (with trail extra bytes
 * after the IP datagram, as Ethernet padding). Returns the verdict of the
 * request and its answer's first line in status ("" when not answered). */
static int resp_raw(int v6, const char *dst, __u16 port, const char *payload, size_t trail,
		    char *status, size_t slen)
{
	const char *cli = v6 ? "fd00::1" : "10.0.0.1";
	size_t l3 = v6 ? 40 : 20, len, olen, n;
	__u8 f[2048], *o;
	__u32 isn;
	int v;

	status[0] = 0;
	len = st_tcp_frame(f, v6, cli, dst, 40001, port, PL_TCP_SYN, 5000, 0, 1460, NULL);
	v = run(f, len, &o, &olen, NULL);
	if (v != PL_TX)
		return v;
	isn = be32(o + 14 + l3 + 4);
	len = st_tcp_frame(f, v6, cli, dst, 40001, port, PL_TCP_ACK | PL_TCP_PSH, 5001, isn + 1, 0,
			   payload);
	memset(f + len, 'x', trail);
	v = run(f, len + trail, &o, &olen, NULL);
	if (v != PL_TX || olen <= 14 + l3 + 20)
		return v;
	n = strcspn((const char *)o + 14 + l3 + 20, "\r");
	n = n < slen - 1 ? n : slen - 1;
	n = n < olen - 14 - l3 - 20 ? n : olen - 14 - l3 - 20;
	memcpy(status, o + 14 + l3 + 20, n);
	status[n] = 0;
	return v;
}

/* The path ends at a delimiter inside the IP datagram; without one (a
 * request line split across segments) the answer is 400. */
static void test_responder_path_bounds(void)
{
	static const struct { const char *req; size_t trail; const char *want; } cases[] = {
		{ "GET /api", 0, "HTTP/1.1 400 Bad Request" },  /* split request line */
		{ "GET /api", 12, "HTTP/1.1 400 Bad Request" }, /* then Ethernet padding */
		{ "GET /api HTTP/1.0", 0, "HTTP/1.1 200 OK" },
		{ "GET /api\r\n", 6, "HTTP/1.1 200 OK" },
		{ "GET /api\n", 0, "HTTP/1.1 200 OK" },
		{ "HEAD /", 0, "HTTP/1.1 400 Bad Request" },
	};
	char st[64];

	for (int v6 = 0; v6 < 2; v6++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			__u64 c400 = counter(PL_CNT_RESP_400);
			int v = resp_raw(v6, v6 ? "fd00::2" : "10.0.0.2", 8080, cases[i].req,
					 cases[i].trail, st, sizeof(st));
			int is400 = strstr(cases[i].want, " 400 ") != NULL;

			CHECK(v == PL_TX && !strcmp(st, cases[i].want), "'%s' + %zu bytes (v6=%d): '%s'",
			      cases[i].req, cases[i].trail, v6, st);
			CHECK(counter(PL_CNT_RESP_400) == c400 + (__u64)is400, "resp_400 for '%s'",
			      cases[i].req);
		}
}

/* Listen keys carry the address family: an IPv6 frame to ::ffff:a.b.c.d
 * does not reach an IPv4 listener on a.b.c.d, nor the other way round. */
static void test_responder_family(void)
{
	struct pl_resp_listen_key any = { .port = 8080 }, k4 = { .port = 80, .family = 4 };
	__u32 one = 1;
	char st[64];

	pl_table_delete(&pl_resp_listen, &any);
	pl_addr_set_v4(&k4.addr, htonl(0x0a000002));
	pl_table_update(&pl_resp_listen, &k4, &one, PL_UPDATE_ANY);
	CHECK(resp_raw(0, "10.0.0.2", 80, "GET / HTTP/1.0\r\n\r\n", 0, st, sizeof(st)) == PL_TX &&
		      !strcmp(st, "HTTP/1.1 200 OK"),
	      "IPv4 listener answers IPv4: '%s'", st);
	CHECK(resp_raw(1, "::ffff:10.0.0.2", 80, "GET / HTTP/1.0\r\n\r\n", 0, st, sizeof(st)) ==
		      PL_PASS,
	      "IPv6 to ::ffff:10.0.0.2 is not the IPv4 listener's ('%s')", st);
	pl_table_delete(&pl_resp_listen, &k4);
	/* the wildcard (family 0) takes both */
	pl_table_update(&pl_resp_listen, &any, &one, PL_UPDATE_ANY);
	CHECK(resp_raw(1, "::ffff:10.0.0.2", 8080, "GET / HTTP/1.0\r\n\r\n", 0, st, sizeof(st)) ==
		      PL_TX,
	      "any-destination answers every address");
}

static void test_responder(void)
{
	__u8 f[256], *o;
	size_t len, olen;

	resp_setup();
	cfg()->clock_ns = 5ull << 36;
	for (int v6 = 0; v6 < 2; v6++) {
		resp_exchange(v6, "GET", "/", "HTTP/1.1 200 OK", "Hello from XDP!", 0);
		resp_exchange(v6, "GET", "/api", "HTTP/1.1 200 OK", "{\"status\":\"ok\"}", 0);
		resp_exchange(v6, "GET", "/health?x=1", "HTTP/1.1 200 OK", "OK", 0);
		resp_exchange(v6, "GET", "/nope", "HTTP/1.1 404 Not Found", "Not Found", 0);
		resp_exchange(v6, "HEAD", "/", "HTTP/1.1 200 OK", "", 1);
		resp_exchange(v6, "POST", "/", "HTTP/1.1 405 Method Not Allowed",
			      "Method Not Allowed", 0);
		no_tailroom = 1; /* the reply grows at the head instead */
		resp_exchange(v6, "GET", "/api", "HTTP/1.1 200 OK", "{\"status\":\"ok\"}", 0);
		no_tailroom = 0;
	}
	/* other ports are not ours */
	len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.2", 40000, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_PASS, "port 80 passes");
	cfg()->resp_enabled = 0;
	len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.2", 40000, 8080, PL_TCP_SYN, 1, 0, 1460, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_PASS, "responder off passes");
	cfg()->resp_enabled = 1;
	test_responder_path_bounds();
	test_responder_family();
	cfg()->clock_ns = 0;
}

static void test_cookies(void)
{
	struct pl_resp_params p = { .key = { 1, 2 } };
	struct pl_hdrs h = {}, h2;
	__u64 t = 1000ull << 36;
	__u32 c, mss = 0;

	pl_addr_set_v4(&h.saddr, htonl(0x0a000001));
	pl_addr_set_v4(&h.daddr, htonl(0x0a000002));
	h.sport = 40000;
	h.dport = 8080;
	c = pl_cookie_make(&p, &h, t, 1460);
	CHECK(pl_cookie_check(&p, &h, t, c, &mss) == 0 && mss == 1460, "cookie now");
	CHECK(pl_cookie_check(&p, &h, t, c + 77, &mss) == 77, "cookie + k");
	CHECK(pl_cookie_check(&p, &h, t + (1ull << 36), c, &mss) == 0, "cookie next slice");
	CHECK(pl_cookie_check(&p, &h, t + (2ull << 36), c, &mss) < 0, "cookie expired");
	c = pl_cookie_make(&p, &h, t, 1300);
	CHECK(pl_cookie_check(&p, &h, t, c, &mss) == 0 && mss == 1220, "MSS 1300 -> 1220");
	h2 = h;
	h2.sport++;
	CHECK(pl_cookie_check(&p, &h2, t, c, &mss) < 0, "other tuple");
	p.key[0] = 3;
	CHECK(pl_cookie_check(&p, &h, t, c, &mss) < 0, "other key");
	p.prev_key[0] = 1;
	p.prev_key[1] = 2;
	CHECK(pl_cookie_check(&p, &h, t, c, &mss) == 0, "cookie of the previous key (rotation)");
}

static void test_ratelimit(void)
{
	struct pl_rl_params rp = { .pps = { 100, 10 }, .prefix4 = 24, .prefix6 = 64 };
	struct pl_syn_params sp = { .per_src = { 10, 2 }, .global = { 1000, 3 } };
	__u8 f[256], *o;
	size_t len, olen;
	__u32 zero = 0;
	int pass = 0;
	__u64 drops0;

	pl_table_update(&pl_rl_params, &zero, &rp, PL_UPDATE_ANY);
	cfg()->rl_enabled = 1;
	cfg()->clock_ns = 1000000000ull;
	drops0 = counter(PL_CNT_RL_DROP);
	len = st_tcp_frame(f, 0, "10.1.1.1", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	for (int i = 0; i < 50; i++)
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	CHECK(pass == 10, "burst 10, passed %d", pass);
	CHECK(counter(PL_CNT_RL_DROP) - drops0 == 40, "drops counted");
	/* same /24: same bucket; other /24: own bucket */
	len = st_tcp_frame(f, 0, "10.1.1.2", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_DROP, "same prefix shares the bucket");
	len = st_tcp_frame(f, 0, "10.1.2.1", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_PASS, "other prefix");
	/* 100 ms later: 10 more tokens; over 1 s at 1 frame/ms, ~100 pass */
	len = st_tcp_frame(f, 0, "10.1.1.1", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	cfg()->clock_ns += 100000000ull;
	pass = 0;
	for (int i = 0; i < 20; i++)
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	CHECK(pass == 10, "refill 100 ms -> 10, got %d", pass);
	pass = 0;
	for (int i = 0; i < 1000; i++) {
		cfg()->clock_ns += 1000000ull;
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	}
	CHECK(pass >= 99 && pass <= 101, "100 pps over 1 s, got %d", pass);
	/* byte budget: 1000 B/s, burst 200 B: 54-byte frames -> 3 */
	rp.bps.rate = 1000;
	rp.bps.burst = 200;
	pl_table_update(&pl_rl_params, &zero, &rp, PL_UPDATE_ANY);
	pass = 0;
	len = st_tcp_frame(f, 0, "10.9.9.9", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	for (int i = 0; i < 10; i++)
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	CHECK(pass == 3, "byte burst 200 / %zu B -> 3, got %d", len, pass);
	cfg()->rl_enabled = 0;

	/* SYN guard: per source burst 2, global burst 3 */
	pl_table_update(&pl_syn_params, &zero, &sp, PL_UPDATE_ANY);
	cfg()->syn_enabled = 1;
	pass = 0;
	len = st_tcp_frame(f, 0, "10.2.0.1", "10.0.0.2", 1, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
	for (int i = 0; i < 5; i++)
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	CHECK(pass == 2, "SYN per source burst 2, got %d", pass);
	len = st_tcp_frame(f, 0, "10.2.0.1", "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
	CHECK(run(f, len, &o, &olen, NULL) == PL_PASS, "ACKs unaffected");
	pass = 0;
	for (int s = 2; s < 6; s++) {
		char a[32];

		snprintf(a, sizeof(a), "10.2.0.%d", s);
		len = st_tcp_frame(f, 0, a, "10.0.0.2", 1, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
		pass += run(f, len, &o, &olen, NULL) == PL_PASS;
	}
	CHECK(pass == 1, "global SYN burst 3 (2 used), got %d", pass);
	CHECK(counter(PL_CNT_SYN_DROP_SRC) == 3 && counter(PL_CNT_SYN_DROP_GLOBAL) == 3,
	      "SYN counters %llu %llu", (unsigned long long)counter(PL_CNT_SYN_DROP_SRC),
	      (unsigned long long)counter(PL_CNT_SYN_DROP_GLOBAL));
	cfg()->syn_enabled = 0;
	cfg()->clock_ns = 0;
}

/* Run the core on frame f as worker w (its own buffer: threads call it). */
static int run_worker(unsigned w, const __u8 *f, size_t len)
{
	static __thread __u8 wm[HEADROOM + FRAME_ROOM];
	struct pl_buf b = { .data = wm + HEADROOM, .len = (uint32_t)len, .headroom = HEADROOM,
			    .tailroom = (uint32_t)(FRAME_ROOM - len) };
	__u32 p = 0;

	pl_worker_set(w);
	memcpy(wm + HEADROOM, f, len);
	return pl_core_process(&b, &p);
}

static __u64 counter_all(enum pl_counter i)
{
	__u32 zero = 0;
	__u64 n = 0;

	for (unsigned w = 0; w < pl_core_nworkers(); w++) {
		struct pl_counters *c = pl_table_lookup_worker(&pl_counters, &zero, w);

		n += c ? c->c[i] : 0;
	}
	return n;
}

/* One source's frames alternating between two workers: per-CPU, each
 * worker has its own bucket (twice the burst passes); shared, one bucket
 * (the burst once). Aggregate: every source in one bucket. */
static int alternate(const char *src, const char *src2, __u16 flags, int n)
{
	__u8 f[256];
	int pass = 0;

	for (int i = 0; i < n; i++) {
		size_t len = st_tcp_frame(f, 0, (i & 2) && src2 ? src2 : src, "10.0.0.2", 1, 80, flags,
					  1, flags == PL_TCP_SYN ? 0 : 1, 0, NULL);

		pass += run_worker(i & 1, f, len) == PL_PASS;
	}
	pl_worker_set(0);
	return pass;
}

struct flood_arg {
	unsigned w;
	int pass, n;
};

/* Frames from 4096 sources, then 20000 from one, on one worker. */
static void *flood(void *arg)
{
	struct flood_arg *a = arg;
	__u8 f[256];

	for (int i = 0; i < a->n; i++) {
		char src[32];
		size_t len;

		if (i < 4096)
			snprintf(src, sizeof(src), "10.%u.%d.%d", 100 + a->w, (i >> 8) & 255, i & 255);
		else
			snprintf(src, sizeof(src), "10.99.0.1");
		len = st_tcp_frame(f, 0, src, "10.0.0.2", 1, 80, PL_TCP_ACK, 1, 1, 0, NULL);
		a->pass += run_worker(a->w, f, len) == PL_PASS && i >= 4096;
	}
	return NULL;
}

static int check_unique(const void *key, const void *val, void *arg)
{
	static struct pl_src_key seen[8192];
	static unsigned n;
	unsigned *dups = arg;

	(void)val;
	for (unsigned i = 0; i < n; i++)
		*dups += !memcmp(&seen[i], key, sizeof(seen[i]));
	if (n < 8192)
		memcpy(&seen[n++], key, sizeof(seen[0]));
	return 0;
}

/* Set the ratelimit's flags and run alternate() with ACKs. */
static int rl_scope(struct pl_rl_params *rp, __u8 flags, const char *src, const char *src2, int n)
{
	__u32 zero = 0;

	rp->flags = flags;
	pl_table_update(&pl_rl_params, &zero, rp, PL_UPDATE_ANY);
	return alternate(src, src2, PL_TCP_ACK, n);
}

/* Set synguard's parameters and run alternate() with SYNs. */
static int syn_scope(const struct pl_syn_params *sp, const char *src, const char *src2, int n)
{
	__u32 zero = 0;

	pl_table_update(&pl_syn_params, &zero, sp, PL_UPDATE_ANY);
	return alternate(src, src2, PL_TCP_SYN, n);
}

static void test_budget_scope(void)
{
	struct pl_rl_params rp = { .pps = { 100, 10 }, .prefix4 = 32, .prefix6 = 128 };
	struct pl_syn_params sp = { .per_src = { 10, 2 }, .prefix4 = 32, .prefix6 = 128 };
	struct flood_arg fa[2] = { { 0, 0, 24096 }, { 1, 0, 24096 } };
	pthread_t th[2];
	unsigned dups = 0;
	int pass;

	CHECK(pl_core_nworkers() == 2, "two workers");
	cfg()->clock_ns = 5000000000ull;
	cfg()->rl_enabled = 1;
	pass = rl_scope(&rp, 0, "10.3.0.1", NULL, 60);
	CHECK(pass == 20, "per-CPU: a burst of 10 per worker, passed %d", pass);
	pass = rl_scope(&rp, PL_BUDGET_SHARED, "10.3.0.2", NULL, 60);
	CHECK(pass == 10, "shared: one burst of 10 for both workers, passed %d", pass);
	pass = rl_scope(&rp, PL_BUDGET_AGGREGATE, "10.3.0.3", "10.4.0.3", 60);
	CHECK(pass == 20, "aggregate per-CPU: two sources, one bucket per worker, passed %d", pass);
	pass = rl_scope(&rp, PL_BUDGET_AGGREGATE | PL_BUDGET_SHARED, "10.3.0.4", "fd00::4", 60);
	pass += alternate("10.3.0.5", NULL, PL_TCP_ACK, 10);
	CHECK(pass == 10, "aggregate shared: one bucket for all sources, passed %d", pass);
	/* 100 ms later: 10 tokens more, for every source together */
	cfg()->clock_ns += 100000000ull;
	pass = alternate("10.3.0.6", "10.3.0.7", PL_TCP_ACK, 40);
	CHECK(pass == 10, "aggregate shared refill, passed %d", pass);

	/* Two threads at once on a shared table: concurrent inserts of
	 * 8192 sources and one source's 40000 frames at a frozen clock get
	 * one burst (or pass uncharged, counted as busy), and no key twice. */
	rl_scope(&rp, PL_BUDGET_SHARED, "10.3.0.8", NULL, 0);
	cfg()->clock_ns += 10000000000ull;
	{
		__u64 busy0 = counter_all(PL_CNT_BUDGET_BUSY);

		for (int i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, flood, &fa[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pl_worker_set(0);
		CHECK(fa[0].pass + fa[1].pass >= 10 &&
			      (__u64)(fa[0].pass + fa[1].pass) <= 10 + counter_all(PL_CNT_BUDGET_BUSY) - busy0,
		      "two threads, one shared bucket: passed %d + %d (burst 10, busy %llu)", fa[0].pass,
		      fa[1].pass, (unsigned long long)(counter_all(PL_CNT_BUDGET_BUSY) - busy0));
	}
	pl_table_walk_worker(&pl_rl_shared, 0, check_unique, &dups);
	CHECK(dups == 0, "no key twice in the shared table (%u)", dups);
	CHECK(pl_table_count(&pl_rl_shared, 0) <= PL_RL_MAX, "count %u",
	      pl_table_count(&pl_rl_shared, 0));
	cfg()->rl_enabled = 0;

	/* synguard: per-source and global budgets, per CPU and shared */
	cfg()->syn_enabled = 1;
	pass = syn_scope(&sp, "10.5.0.1", NULL, 10);
	CHECK(pass == 4, "SYN per source per-CPU: burst 2 per worker, passed %d", pass);
	sp.flags = PL_BUDGET_SHARED;
	pass = syn_scope(&sp, "10.5.0.2", NULL, 10);
	CHECK(pass == 2, "SYN per source shared: burst 2, passed %d", pass);
	sp.per_src.rate = 0;
	sp.global = (struct pl_rl_rate){ 1000, 3 };
	sp.flags = 0;
	pass = syn_scope(&sp, "10.5.1.1", "10.5.1.2", 12);
	CHECK(pass == 6, "SYN global per-CPU: burst 3 per worker, passed %d", pass);
	sp.flags = PL_BUDGET_SHARED;
	pass = syn_scope(&sp, "10.5.2.1", "10.5.2.2", 12);
	CHECK(pass == 3, "SYN global shared: burst 3, passed %d", pass);
	cfg()->syn_enabled = 0;
	cfg()->clock_ns = 0;
}

/* Maglev: weights respected, and removing one of N backends moves only
 * (about) its share of slots. */
static void test_maglev(void)
{
	enum { N = 10, M = 65537 };
	struct pl_lb_maglev_in in[N];
	static __u32 a[M], b[M];
	unsigned cnt[N] = { 0 }, moved = 0, i;

	for (i = 0; i < N; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].id = i;
		in[i].weight = 1;
		in[i].key[0] = 0x0a000000 + i;
		in[i].key[1] = 80;
	}
	CHECK(pl_lb_maglev_build(a, M, in, N) == 0, "build");
	for (i = 0; i < M; i++)
		cnt[a[i] - 1]++;
	for (i = 0; i < N; i++)
		CHECK(cnt[i] > M / N - M / N / 50 && cnt[i] < M / N + M / N / 50, "slot share %u", cnt[i]);
	/* remove backend 3 */
	memmove(&in[3], &in[4], sizeof(in[0]) * (N - 4));
	CHECK(pl_lb_maglev_build(b, M, in, N - 1) == 0, "rebuild");
	for (i = 0; i < M; i++)
		moved += a[i] != b[i];
	{
		double frac = (double)moved / M, ideal = 1.0 / N;

		printf("maglev: N=%d M=%d removing one backend moved %.4f of flows (ideal %.4f, ratio %.3f)\n",
		       N, M, frac, ideal, frac / ideal);
		CHECK(frac <= ideal * 1.15, "moved %.4f > 1.15 x ideal", frac);
	}
	/* weights 3:1 */
	for (i = 0; i < 2; i++) {
		in[i].id = i;
		in[i].weight = i ? 1 : 3;
	}
	pl_lb_maglev_build(a, 4099, in, 2);
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < 4099; i++)
		cnt[a[i] - 1]++;
	CHECK(cnt[0] > 3 * cnt[1] - 60 && cnt[0] < 3 * cnt[1] + 60, "3:1 -> %u:%u", cnt[0], cnt[1]);
}

static void lb_service(int v6, __u32 mode, __u32 nback, __u32 state1)
{
	struct pl_lb_svc_key k = { .port = 80, .proto = IPPROTO_TCP, .family = v6 ? 6 : 4 };
	struct pl_lb_svc s = { .id = 1, .ring_size = 251, .mode = mode };
	struct pl_lb_maglev_in in[2];
	static __u32 ring[251];
	unsigned n = 0;

	if (v6) {
		inet_pton(AF_INET6, "fd00::99", k.vip.b);
		inet_pton(AF_INET6, "fd00::fe", s.encap_src.b);
	} else {
		pl_addr_set_v4(&k.vip, htonl(0x0a000063));
		pl_addr_set_v4(&s.encap_src, htonl(0x0a0000fe));
	}
	pl_table_update(&pl_lb_services, &k, &s, PL_UPDATE_ANY);
	for (__u32 i = 0; i < nback; i++) {
		struct pl_lb_backend b = { .port = 8000, .out_port = 5 + i, .weight = 1, .svc = 1,
					   .state = i == 1 ? state1 : PL_LB_UP };

		if (v6) {
			char a[32];

			snprintf(a, sizeof(a), "fd00::%x", 10 + i);
			inet_pton(AF_INET6, a, b.addr.b);
		} else {
			pl_addr_set_v4(&b.addr, htonl(0x0a00000a + i));
		}
		memcpy(b.mac, "\x02\xbb\x00\x00\x00", 5);
		b.mac[5] = (__u8)i;
		pl_table_update(&pl_lb_backends, &i, &b, PL_UPDATE_ANY);
		if (b.state == PL_LB_UP) {
			memset(&in[n], 0, sizeof(in[n]));
			in[n].id = i;
			in[n].weight = 1;
			in[n].key[0] = i + 1;
			n++;
		}
	}
	pl_lb_maglev_build(ring, 251, in, n);
	for (__u32 i = 0; i < 251; i++) {
		__u32 slot = 1 * PL_LB_RING + i;

		pl_table_update(&pl_lb_ring, &slot, &ring[i], PL_UPDATE_ANY);
	}
}

static void test_lb(void)
{
	__u8 f[256], *o;
	size_t len, olen;
	__u32 port, seen[2] = { 0 }, first_be[64];
	int v;

	cfg()->lb_enabled = 1;
	for (int v6 = 0; v6 < 2; v6++) {
		const char *cli = v6 ? "fd00::1" : "10.0.0.1", *vip = v6 ? "fd00::99" : "10.0.0.99";
		size_t l3 = v6 ? 40 : 20;

		/* DSR: MACs rewritten, nothing else */
		lb_service(v6, PL_LB_DSR, 2, PL_LB_UP);
		len = st_tcp_frame(f, v6, cli, vip, 1234, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_REDIRECT && (port == 5 || port == 6), "DSR -> %d port %u", v, port);
		CHECK(o[0] == 0x02 && o[1] == 0xbb && o[5] == port - 5, "DSR dst MAC");
		CHECK(memcmp(o + 6, f, 6) == 0, "DSR src MAC = old dst");
		CHECK(olen == len && memcmp(o + 12, f + 12, len - 12) == 0, "DSR keeps L3");

		/* NAT: destination rewritten, checksums valid */
		lb_service(v6, PL_LB_NAT, 2, PL_LB_UP);
		len = st_tcp_frame(f, v6, cli, vip, 1235, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_REDIRECT, "NAT -> %d", v);
		CHECK(st_verify_csums(o, olen) == 0, "NAT checksums (v6=%d) %d", v6, st_verify_csums(o, olen));
		CHECK(o[14 + l3 + 2] == 8000 >> 8 && o[14 + l3 + 3] == (8000 & 255), "NAT port");
		if (!v6)
			CHECK(o[14 + 19] == 10 + port - 5, "NAT v4 address %u", o[14 + 19]);
		else
			CHECK(o[14 + 39] == 10 + port - 5, "NAT v6 address");
		{
			/* the backend's reply gets the VIP back */
			struct pl_lb_rnat_key rk = { .port = 8000, .proto = IPPROTO_TCP, .family = v6 ? 6 : 4 };
			struct pl_lb_rnat_val rv = { .port = 80 };
			char be[32];
			__u8 g[256];
			size_t gl;

			if (v6) snprintf(be, sizeof(be), "fd00::%x", 10 + port - 5); else snprintf(be, sizeof(be), "10.0.0.%u", 10 + port - 5);
			if (v6) {
				inet_pton(AF_INET6, be, rk.addr.b);
				inet_pton(AF_INET6, vip, rv.vip.b);
			} else {
				__u32 a4, b4;

				inet_pton(AF_INET, be, &a4);
				inet_pton(AF_INET, vip, &b4);
				pl_addr_set_v4(&rk.addr, a4);
				pl_addr_set_v4(&rv.vip, b4);
			}
			pl_table_update(&pl_lb_rnat, &rk, &rv, PL_UPDATE_ANY);
			gl = st_tcp_frame(g, v6, be, cli, 8000, 1235, PL_TCP_SYN | PL_TCP_ACK, 1, 2, 0, NULL);
			v = run(g, gl, &o, &olen, &port);
			CHECK(v == PL_PASS, "reverse NAT continues (%d)", v);
			CHECK(st_verify_csums(o, olen) == 0, "reverse NAT checksums");
			CHECK(o[14 + l3] == 0 && o[14 + l3 + 1] == 80, "reverse NAT port");
			CHECK(memcmp(o + 14 + (v6 ? 8 : 12), f + 14 + (v6 ? 24 : 16), v6 ? 16 : 4) == 0,
			      "reverse NAT address = VIP");
			pl_table_delete(&pl_lb_rnat, &rk);
		}

		/* IP-in-IP: outer header, inner untouched */
		lb_service(v6, PL_LB_IPIP, 2, PL_LB_UP);
		len = st_tcp_frame(f, v6, cli, vip, 1236, 80, PL_TCP_SYN, 1, 0, 1460, NULL);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_REDIRECT && olen == len + l3, "IPIP -> %d len %zu", v, olen);
		CHECK(memcmp(o + 14 + l3, f + 14, len - 14) == 0, "inner packet intact");
		CHECK(memcmp(o + 12, f + 12, 2) == 0, "ethertype kept");
		if (!v6) {
			CHECK(o[14] == 0x45 && o[14 + 9] == 4, "outer v4 proto 4");
			CHECK(pl_pkt_csum(o + 14, 20) == 0, "outer v4 checksum");
			CHECK((size_t)(o[16] << 8 | o[17]) == len - 14 + 20, "outer tot_len");
			CHECK(o[14 + 15] == 0xfe && o[14 + 19] == 10 + port - 5, "outer addresses");
		} else {
			CHECK(o[14] == 0x60 && o[14 + 6] == 41, "outer v6 next header 41");
			CHECK((size_t)(o[18] << 8 | o[19]) == len - 14, "outer payload length");
			CHECK(o[14 + 23] == 0xfe && o[14 + 39] == 10 + port - 5, "outer addresses");
		}
	}

	/* An IPv6 packet to the v4-mapped form of an IPv4 VIP is not that
	 * service's, nor is an IPv6 reply from the v4-mapped form of an IPv4
	 * NAT backend given the VIP back. */
	lb_service(0, PL_LB_DSR, 2, PL_LB_UP);
	len = st_tcp_frame(f, 1, "fd00::1", "::ffff:10.0.0.99", 1240, 80, PL_TCP_SYN, 1, 0, 0, NULL);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && olen == len && memcmp(o, f, len) == 0,
	      "IPv6 to ::ffff:10.0.0.99 left alone by the IPv4 service (%d)", v);
	{
		struct pl_lb_rnat_key rk = { .port = 8000, .proto = IPPROTO_TCP };
		struct pl_lb_rnat_val rv = { .port = 80 };

		pl_addr_set_v4(&rk.addr, htonl(0x0a00000a));
		pl_addr_set_v4(&rv.vip, htonl(0x0a000063));
		rk.family = 4;
		pl_table_update(&pl_lb_rnat, &rk, &rv, PL_UPDATE_ANY);
		len = st_tcp_frame(f, 1, "::ffff:10.0.0.10", "fd00::1", 8000, 1240, PL_TCP_SYN | PL_TCP_ACK, 1, 2,
				   0, NULL);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_PASS && olen == len && memcmp(o, f, len) == 0,
		      "IPv6 reply from ::ffff:10.0.0.10 not reverse-NATed (%d)", v);
		pl_table_delete(&pl_lb_rnat, &rk);
	}

	/* A TCP segment of an unknown flow (not a SYN) is forwarded where the
	 * Maglev table says and leaves no connection entry; a SYN and a UDP
	 * datagram of an unknown flow create one. */
	lb_service(0, PL_LB_DSR, 2, PL_LB_UP);
	{
		struct pl_lb_flow fk = { .sport = 1250, .dport = 80, .proto = IPPROTO_TCP, .family = 4 };
		__u64 nf = counter(PL_CNT_LB_NEW_FLOW);

		pl_addr_set_v4(&fk.saddr, htonl(0x0a000001));
		pl_addr_set_v4(&fk.daddr, htonl(0x0a000063));
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", 1250, 80, PL_TCP_ACK, 5, 9, 0, NULL);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_REDIRECT && (port == 5 || port == 6), "unknown ACK forwarded (%d, port %u)", v, port);
		CHECK(pl_table_lookup(&pl_lb_conns, &fk) == NULL, "unknown ACK left no connection entry");
		CHECK(counter(PL_CNT_LB_NEW_FLOW) == nf, "unknown ACK is not a new flow");
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", 1250, 80, PL_TCP_SYN, 5, 0, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(pl_table_lookup(&pl_lb_conns, &fk) != NULL, "SYN created the connection entry");
		CHECK(counter(PL_CNT_LB_NEW_FLOW) == nf + 1, "SYN is a new flow");
	}

	/* The flow hash is seeded by the configuration: another seed places
	 * some of 64 new flows differently. */
	{
		__u32 a[64], moved = 0;

		for (int round = 0; round < 2; round++) {
			cfg()->lb_seed = round ? 0x1234567u : 1;
			for (int i = 0; i < 64; i++) {
				len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(4000 + i), 80, PL_TCP_SYN, 1,
						   0, 0, NULL);
				run(f, len, &o, &olen, &port);
				if (round)
					moved += port != a[i];
				else
					a[i] = port;
			}
		}
		CHECK(moved >= 8, "seed change moved %u of 64 flows", moved);
		cfg()->lb_seed = 0;
	}

	/* A known flow whose backend id now belongs to another service (the
	 * lines were reordered by a reload) is placed again. */
	lb_service(0, PL_LB_DSR, 2, PL_LB_UP);
	{
		__u32 id, hit;
		struct pl_lb_backend *be;

		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", 1260, 80, PL_TCP_SYN, 1, 0, 0, NULL);
		run(f, len, &o, &olen, &port);
		id = port - 5;
		be = pl_table_lookup(&pl_lb_backends, &id);
		CHECK(be != NULL, "backend %u", id);
		if (be)
			be->svc = 2;
		hit = (__u32)counter(PL_CNT_LB_CT_HIT);
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", 1260, 80, PL_TCP_ACK, 2, 1, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(counter(PL_CNT_LB_CT_HIT) == hit, "entry naming another service's backend not used");
		if (be)
			be->svc = 1;
	}

	/* spread and persistence: 64 flows on 2 backends; drain backend 1:
	 * its flows stay, no new flow goes there */
	lb_service(0, PL_LB_DSR, 2, PL_LB_UP);
	for (int i = 0; i < 64; i++) {
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(2000 + i), 80, PL_TCP_SYN, 1, 0, 0, NULL);
		run(f, len, &o, &olen, &port);
		first_be[i] = port;
		seen[port - 5]++;
	}
	CHECK(seen[0] > 16 && seen[1] > 16, "64 flows spread %u/%u", seen[0], seen[1]);
	lb_service(0, PL_LB_DSR, 2, PL_LB_DRAINING);
	for (int i = 0; i < 64; i++) {
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(2000 + i), 80, PL_TCP_ACK, 2, 1, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(port == first_be[i], "flow %d stayed (%u -> %u)", i, first_be[i], port);
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(3000 + i), 80, PL_TCP_SYN, 1, 0, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(port == 5, "new flow %d avoids the draining backend", i);
		/* a new connection reusing an old 5-tuple (client port reuse):
		 * its SYN is placed anew, not by the old entry */
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(2000 + i), 80, PL_TCP_SYN, 7, 0, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(port == 5, "SYN reusing flow %d's 5-tuple avoids the draining backend", i);
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(2000 + i), 80, PL_TCP_ACK, 8, 1, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(port == 5, "and its connection stays there (%u)", port);
	}
	/* down: flows of backend 1 move */
	lb_service(0, PL_LB_DSR, 2, PL_LB_DOWN);
	for (int i = 0; i < 64; i++) {
		len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.99", (__u16)(2000 + i), 80, PL_TCP_ACK, 2, 1, 0, NULL);
		run(f, len, &o, &olen, &port);
		CHECK(port == 5, "flow %d left the down backend", i);
	}
	{
		__u32 id = 1;
		struct pl_lb_stats *st = pl_table_lookup_worker(&pl_lb_svc_stats, &id, 0);

		CHECK(st && st->packets >= 256 && st->new_flows >= 128 + seen[1], "service counters %llu %llu", st ? (unsigned long long)st->packets : 0ull, st ? (unsigned long long)st->new_flows : 0ull);
	}
	cfg()->lb_enabled = 0;
}


/* ---- route ---- */

/* A route for the prefix of family AF_INET / AF_INET6; next hop MACs end in port. */
static void route_add(int af, const char *pfx, unsigned plen, __u32 action, __u32 port)
{
	struct pl_route_key6 k = { .prefixlen = plen };
	struct pl_route_val v = { .action = action, .out_port = port,
				  .dst_mac = { 2, 0, 0, 0, 0xd, (__u8)port },
				  .src_mac = { 2, 0, 0, 0, 0x5, (__u8)port } };

	inet_pton(af, pfx, k.addr); /* the v4 key is the first 8 bytes of this one */
	CHECK(pl_table_update(af == AF_INET ? &pl_route4 : &pl_route6, &k, &v, PL_UPDATE_ANY) == 0,
	      "route %s/%u", pfx, plen);
}
#define route4(...) route_add(AF_INET, __VA_ARGS__)
#define route6(...) route_add(AF_INET6, __VA_ARGS__)

/* A TCP frame to dst with the given TTL / hop limit (IPv4 checksum fixed). */
static size_t route_frame(__u8 *f, int v6, const char *dst, __u8 ttl)
{
	size_t len = st_tcp_frame(f, v6, v6 ? "fd00::1" : "192.0.2.1", dst, 1234, 80, PL_TCP_ACK, 1, 1, 0,
				  "x");

	if (v6) {
		f[14 + 7] = ttl;
	} else {
		f[14 + 8] = ttl;
		f[14 + 10] = f[14 + 11] = 0;
		{
			__u16 c = pl_pkt_csum(f + 14, 20);

			f[14 + 10] = (__u8)(c >> 8);
			f[14 + 11] = (__u8)c;
		}
	}
	return len;
}

static void test_route(void)
{
	__u8 f[2048], *o;
	size_t len, olen;
	__u32 port;
	__u64 before;
	int v;

	pl_table_clear(&pl_route4);
	pl_table_clear(&pl_route6);
	cfg()->route_enabled = 1;
	route4("10.0.0.0", 8, PL_ROUTE_FWD, 7);
	route4("10.1.0.0", 16, PL_ROUTE_FWD, 8);
	route4("10.9.0.0", 16, PL_ROUTE_DROP, 0);
	route4("10.1.2.0", 24, PL_ROUTE_PASS, 0);
	route6("2001:db8::", 32, PL_ROUTE_FWD, 9);

	/* TTL 64 -> 63, checksum right, next hop's MACs, out port of /8 */
	before = counter(PL_CNT_ROUTE_FWD);
	len = route_frame(f, 0, "10.200.0.1", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_REDIRECT && port == 7, "10.200.0.1 routed by 10.0.0.0/8 (%d, port %u)", v, port);
	CHECK(o[14 + 8] == 63, "TTL decremented (%u)", o[14 + 8]);
	CHECK(st_verify_csums(o, olen) == 0, "IPv4 and TCP checksums right after the decrement");
	CHECK(o[0] == 2 && o[4] == 0xd && o[5] == 7 && o[10] == 5 && o[11] == 7, "next hop's MACs");
	CHECK(counter(PL_CNT_ROUTE_FWD) == before + 1, "route_fwd counted");
	/* longest prefix */
	len = route_frame(f, 0, "10.1.3.4", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_REDIRECT && port == 8, "10.1.3.4 routed by 10.1.0.0/16 (%d, port %u)", v, port);
	len = route_frame(f, 0, "10.1.2.3", 64);
	before = counter(PL_CNT_ROUTE_PASS);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && counter(PL_CNT_ROUTE_PASS) == before + 1, "10.1.2.3: pass route /24 (%d)", v);
	len = route_frame(f, 0, "10.9.0.1", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_DROP && counter(PL_CNT_ROUTE_DROP) >= 1, "10.9.0.1: drop route (%d)", v);
	/* TTL 2 -> 1: still forwarded */
	len = route_frame(f, 0, "10.200.0.1", 2);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_REDIRECT && o[14 + 8] == 1 && st_verify_csums(o, olen) == 0,
	      "TTL 2 forwarded with TTL 1 and a right checksum (%d, ttl %u)", v, o[14 + 8]);
	/* TTL 1 and 0: to the stack, untouched */
	for (__u8 ttl = 0; ttl <= 1; ttl++) {
		before = counter(PL_CNT_ROUTE_TTL);
		len = route_frame(f, 0, "10.200.0.1", ttl);
		v = run(f, len, &o, &olen, &port);
		CHECK(v == PL_PASS && counter(PL_CNT_ROUTE_TTL) == before + 1 && !memcmp(o, f, len),
		      "TTL %u passed to the stack unchanged (%d)", ttl, v);
	}
	/* every TTL: the incremental update equals a full recomputation */
	for (unsigned ttl = 2; ttl < 256; ttl++) {
		len = route_frame(f, 0, "10.200.0.1", (__u8)ttl);
		f[14 + 4] = (__u8)(ttl * 7); /* vary the id: other checksum values */
		f[14 + 10] = f[14 + 11] = 0;
		{
			__u16 c = pl_pkt_csum(f + 14, 20);

			f[14 + 10] = (__u8)(c >> 8);
			f[14 + 11] = (__u8)c;
		}
		run(f, len, &o, &olen, &port);
		if (pl_pkt_csum(o + 14, 20) != 0) {
			CHECK(0, "IPv4 header checksum wrong after TTL %u -> %u", ttl, ttl - 1);
			break;
		}
	}
	/* no route: to the stack */
	before = counter(PL_CNT_ROUTE_NONE);
	len = route_frame(f, 0, "192.0.2.77", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && counter(PL_CNT_ROUTE_NONE) == before + 1 && !memcmp(o, f, len),
	      "no route: passed unchanged (%d)", v);
	/* Ethernet broadcast / multicast destinations are not routed */
	len = route_frame(f, 0, "10.200.0.1", 64);
	memset(f, 0xff, 6);
	before = counter(PL_CNT_ROUTE_FWD) + counter(PL_CNT_ROUTE_NONE);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && counter(PL_CNT_ROUTE_FWD) + counter(PL_CNT_ROUTE_NONE) == before,
	      "broadcast MAC: not routed (%d)", v);
	/* IPv6: hop limit */
	len = route_frame(f, 1, "2001:db8::5", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_REDIRECT && port == 9 && o[14 + 7] == 63 && st_verify_csums(o, olen) == 0,
	      "IPv6 routed, hop limit 63, TCP checksum still right (%d, port %u, hl %u)", v, port, o[14 + 7]);
	len = route_frame(f, 1, "2001:db8::5", 2);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_REDIRECT && o[14 + 7] == 1, "IPv6 hop limit 2 forwarded with 1 (%d)", v);
	len = route_frame(f, 1, "2001:db8::5", 1);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && !memcmp(o, f, len), "IPv6 hop limit 1 passed unchanged (%d)", v);
	len = route_frame(f, 1, "2001:db9::5", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS, "IPv6 no route: passed (%d)", v);
	/* a v4 route never matches v6 and the other way round */
	route6("::", 0, PL_ROUTE_FWD, 11);
	len = route_frame(f, 0, "192.0.2.77", 64);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS, "::/0 does not route IPv4 (%d)", v);
	/* off: no routing at all */
	cfg()->route_enabled = 0;
	len = route_frame(f, 0, "10.200.0.1", 64);
	before = counter(PL_CNT_ROUTE_FWD);
	v = run(f, len, &o, &olen, &port);
	CHECK(v == PL_PASS && counter(PL_CNT_ROUTE_FWD) == before, "route off: default verdict (%d)", v);
	pl_table_clear(&pl_route4);
	pl_table_clear(&pl_route6);
}

/* The user-space LPM against a linear search: random prefixes of every
 * length, random addresses, then half the prefixes deleted. */
static __u32 lcg(void)
{
	static __u32 s = 12345;

	s = s * 1103515245u + 12345u;
	return s ^ (s >> 16);
}

static int ref_lookup(const __u32 *net, const __u8 *plen, const __u8 *live, unsigned n, __u32 a)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++) {
		__u32 m = plen[i] ? ~0u << (32 - plen[i]) : 0;

		if (live[i] && (a & m) == net[i] && (best < 0 || plen[i] > plen[best]))
			best = (int)i;
	}
	return best;
}

static void test_route_lpm(void)
{
	enum { N = 3000, Q = 4000 };
	static __u32 net[N];
	static __u8 plen[N], live[N];
	unsigned bad = 0;

	pl_table_clear(&pl_route4);
	for (unsigned i = 0; i < N; i++) {
		struct pl_route_key4 k;
		struct pl_route_val v = { .out_port = i };
		__u32 m;

		plen[i] = (__u8)(lcg() % 33);
		m = plen[i] ? ~0u << (32 - plen[i]) : 0;
		net[i] = (lcg() & 0xff0fffffu) & m; /* 16 top bits often shared */
		live[i] = 1;
		for (unsigned j = 0; j < i; j++)
			if (live[j] && plen[j] == plen[i] && net[j] == net[i])
				live[j] = 0; /* replaced */
		k.prefixlen = plen[i];
		k.addr[0] = (__u8)(net[i] >> 24), k.addr[1] = (__u8)(net[i] >> 16);
		k.addr[2] = (__u8)(net[i] >> 8), k.addr[3] = (__u8)net[i];
		pl_table_update(&pl_route4, &k, &v, PL_UPDATE_ANY);
	}
	for (int round = 0; round < 2; round++) {
		for (unsigned q = 0; q < Q; q++) {
			__u32 a = lcg() & 0xff0fffffu;
			struct pl_route_key4 k = { .prefixlen = 32,
						   .addr = { (__u8)(a >> 24), (__u8)(a >> 16), (__u8)(a >> 8), (__u8)a } };
			struct pl_route_val *v = pl_table_lookup(&pl_route4, &k);
			int r = ref_lookup(net, plen, live, N, a);

			if ((r < 0) != !v || (v && plen[v->out_port] != plen[r]))
				bad++;
		}
		CHECK(bad == 0, "LPM round %d: %u of %u lookups disagree with a linear search", round, bad, Q);
		for (unsigned i = 0; i < N; i += 2) { /* delete half */
			struct pl_route_key4 k = { .prefixlen = plen[i],
						   .addr = { (__u8)(net[i] >> 24), (__u8)(net[i] >> 16),
							     (__u8)(net[i] >> 8), (__u8)net[i] } };

			if (live[i])
				CHECK(pl_table_delete(&pl_route4, &k) == 0, "delete prefix %u", i);
			live[i] = 0;
		}
	}
	pl_table_clear(&pl_route4);
}

/* ---- block ---- */

static void block_put(const struct pl_table *t, int af, const char *pfx, unsigned plen, int del)
{
	struct pl_route_key6 k = { .prefixlen = plen };
	struct pl_block_val v = { 0 };

	inet_pton(af, pfx, k.addr); /* the v4 key is the first 8 bytes of this one */
	if (del)
		CHECK(pl_table_delete(t, &k) == 0, "delete %s/%u", pfx, plen);
	else
		CHECK(pl_table_update(t, &k, &v, PL_UPDATE_NOEXIST) == 0, "block %s/%u", pfx, plen);
}

/* The verdict of a TCP frame src -> dst. */
static int block_send(int v6, const char *src, const char *dst)
{
	__u8 f[512], *o;
	size_t olen, len = st_tcp_frame(f, v6, src, dst, 1234, 80, PL_TCP_ACK, 1, 1, 0, "x");

	return run(f, len, &o, &olen, NULL);
}

static void test_block(void)
{
	__u64 b0 = counter(PL_CNT_BLOCKED), s0 = counter(PL_CNT_BLOCK_SRC), d0 = counter(PL_CNT_BLOCK_DST);

	pl_table_clear(&pl_block_src4);
	pl_table_clear(&pl_block_src6);
	pl_table_clear(&pl_block_dst4);
	pl_table_clear(&pl_block_dst6);
	block_put(&pl_block_src4, AF_INET, "10.0.0.0", 8, 0);
	block_put(&pl_block_src4, AF_INET, "10.1.0.0", 16, 0);
	block_put(&pl_block_src4, AF_INET, "192.0.2.7", 32, 0);
	block_put(&pl_block_src6, AF_INET6, "2001:db8::", 32, 0);
	block_put(&pl_block_dst4, AF_INET, "198.51.100.0", 24, 0);
	block_put(&pl_block_dst6, AF_INET6, "fd00:bad::", 48, 0);

	/* off: nothing is looked up */
	cfg()->block_enabled = 0;
	CHECK(block_send(0, "10.2.3.4", "10.0.0.2") == PL_PASS, "block off: listed source passes");
	CHECK(counter(PL_CNT_BLOCKED) == b0, "block off: no hits");

	cfg()->block_enabled = PL_BLOCK_SRC;
	CHECK(block_send(0, "10.2.3.4", "10.0.0.2") == PL_DROP, "10.2.3.4 in 10.0.0.0/8");
	CHECK(block_send(0, "10.1.3.4", "10.0.0.2") == PL_DROP, "10.1.3.4 in 10.1.0.0/16");
	CHECK(block_send(0, "11.0.0.1", "10.0.0.2") == PL_PASS, "11.0.0.1 listed nowhere");
	CHECK(block_send(0, "192.0.2.7", "10.0.0.2") == PL_DROP, "host entry 192.0.2.7");
	CHECK(block_send(0, "192.0.2.8", "10.0.0.2") == PL_PASS, "192.0.2.8 beside the host entry");
	CHECK(block_send(1, "2001:db8:1::5", "fd00::2") == PL_DROP, "2001:db8:1::5 in 2001:db8::/32");
	CHECK(block_send(1, "2001:db9::5", "fd00::2") == PL_PASS, "2001:db9::5 listed nowhere");
	CHECK(block_send(1, "::ffff:10.2.3.4", "fd00::2") == PL_PASS, "IPv6 frames never match the IPv4 list");
	CHECK(block_send(0, "11.0.0.1", "198.51.100.9") == PL_PASS, "dst list off: listed destination passes");
	CHECK(counter(PL_CNT_BLOCK_SRC) == s0 + 4 && counter(PL_CNT_BLOCKED) == b0 + 4,
	      "4 source hits (%llu)", (unsigned long long)(counter(PL_CNT_BLOCK_SRC) - s0));

	/* longest prefix: without the /8, 10.1/16 still covers 10.1.x, not 10.2.x */
	block_put(&pl_block_src4, AF_INET, "10.0.0.0", 8, 1);
	CHECK(block_send(0, "10.1.3.4", "10.0.0.2") == PL_DROP, "10.1.3.4 still in 10.1.0.0/16");
	CHECK(block_send(0, "10.2.3.4", "10.0.0.2") == PL_PASS, "10.2.3.4 passes once 10.0.0.0/8 is removed");

	cfg()->block_enabled = PL_BLOCK_SRC | PL_BLOCK_DST;
	CHECK(block_send(0, "11.0.0.1", "198.51.100.9") == PL_DROP, "198.51.100.9 in the dst list");
	CHECK(block_send(1, "fd00::1", "fd00:bad:0:1::2") == PL_DROP, "fd00:bad:0:1::2 in the dst list");
	CHECK(block_send(1, "fd00::1", "fd00:bad:1::2") == PL_PASS, "fd00:bad:1::2 outside fd00:bad::/48");
	CHECK(block_send(0, "198.51.100.9", "11.0.0.1") == PL_PASS, "a dst-list address as source passes");
	CHECK(counter(PL_CNT_BLOCK_DST) == d0 + 2, "2 destination hits");
	CHECK(counter(PL_CNT_BLOCKED) == b0 + 7 && counter(PL_CNT_BLOCK_SRC) == s0 + 5,
	      "blocked = source + destination hits");

	cfg()->block_enabled = 0;
	pl_table_clear(&pl_block_src4);
	pl_table_clear(&pl_block_src6);
	pl_table_clear(&pl_block_dst4);
	pl_table_clear(&pl_block_dst6);
}

/* ---- sample ---- */

struct sample_got {
	unsigned n;
	struct pl_sample_rec last;
};

static int sample_take(const void *rec, uint32_t size, void *arg)
{
	struct sample_got *g = arg;

	CHECK(size == sizeof(struct pl_sample_rec), "record size %u", size);
	memcpy(&g->last, rec, sizeof(g->last));
	g->n++;
	return 0;
}

static void test_sample(void)
{
	struct pl_sample_params p = { .every = 3, .snap = 40 };
	struct sample_got g = { 0 };
	__u8 f[512], *o;
	size_t olen, len;
	__u32 zero = 0;
	__u64 s0 = counter(PL_CNT_SAMPLED), l0 = counter(PL_CNT_SAMPLE_LOST);

	/* only TCP to port 80 */
	p.match = 1;
	p.rule.proto = IPPROTO_TCP;
	p.rule.sport_hi = 65535;
	p.rule.dport_lo = p.rule.dport_hi = 80;
	CHECK(pl_table_update(&pl_sample_params, &zero, &p, PL_UPDATE_ANY) == 0, "sample params");
	cfg()->sample_enabled = 1;
	len = st_tcp_frame(f, 0, "10.9.0.1", "10.9.0.2", 1234, 80, PL_TCP_ACK, 1, 1, 0, "sampled?");
	for (int i = 0; i < 7; i++)
		CHECK(run(f, len, &o, &olen, NULL) == PL_PASS, "sampling changes no verdict (frame %d)", i);
	len = st_tcp_frame(f, 0, "10.9.0.1", "10.9.0.2", 1234, 81, PL_TCP_ACK, 1, 1, 0, "not this");
	for (int i = 0; i < 4; i++)
		run(f, len, &o, &olen, NULL);
	CHECK(pl_ring_consume(&pl_sample_ring, 100, sample_take, &g) == 3, "frames 1, 4, 7 of port 80 (%u)", g.n);
	CHECK(counter(PL_CNT_SAMPLED) == s0 + 3, "sampled +3");
	CHECK(g.last.h.cap_len == 40 && g.last.h.frame_len == (__u32)st_tcp_frame(f, 0, "10.9.0.1", "10.9.0.2",
										 1234, 80, PL_TCP_ACK, 1, 1, 0,
										 "sampled?"),
	      "snap 40 of the whole frame (cap %u, len %u)", g.last.h.cap_len, g.last.h.frame_len);
	CHECK(memcmp(g.last.data, f, 40) == 0 && g.last.h.verdict == PL_PASS, "the frame's bytes and its verdict");

	/* verdict filter: only drops; a block-listed source is sampled with DROP */
	p = (struct pl_sample_params){ .every = 1, .snap = 256, .verdicts = 1u << PL_DROP };
	pl_table_update(&pl_sample_params, &zero, &p, PL_UPDATE_ANY);
	block_put(&pl_block_src4, AF_INET, "10.66.0.0", 16, 0);
	cfg()->block_enabled = PL_BLOCK_SRC;
	g.n = 0;
	CHECK(block_send(0, "10.66.1.1", "10.9.0.2") == PL_DROP, "blocked with sampling on");
	CHECK(block_send(0, "10.67.1.1", "10.9.0.2") == PL_PASS, "not blocked with sampling on");
	CHECK(pl_ring_consume(&pl_sample_ring, 100, sample_take, &g) == 1 && g.last.h.verdict == PL_DROP,
	      "only the dropped frame is sampled (%u)", g.n);
	cfg()->block_enabled = 0;
	pl_table_clear(&pl_block_src4);

	/* a full ring loses samples, never frames */
	for (int i = 0; i < PL_SAMPLE_RING_RECS + 5; i++)
		CHECK(block_send(0, "10.67.1.1", "10.9.0.2") == PL_PASS, "full ring: frame %d passes", i);
	p.verdicts = 0;
	pl_table_update(&pl_sample_params, &zero, &p, PL_UPDATE_ANY);
	for (int i = 0; i < PL_SAMPLE_RING_RECS + 5; i++)
		CHECK(block_send(0, "10.67.1.1", "10.9.0.2") == PL_PASS, "full ring: frame %d passes", i);
	CHECK(counter(PL_CNT_SAMPLE_LOST) == l0 + 5, "5 lost (%llu)",
	      (unsigned long long)(counter(PL_CNT_SAMPLE_LOST) - l0));
	g.n = 0;
	CHECK(pl_ring_consume(&pl_sample_ring, 1000000, sample_take, &g) == PL_SAMPLE_RING_RECS, "ring drained");

	/* off: nothing */
	cfg()->sample_enabled = 0;
	block_send(0, "10.67.1.1", "10.9.0.2");
	CHECK(pl_ring_consume(&pl_sample_ring, 100, sample_take, &g) == 0, "sampling off: no record");
}


/* The hybrid placements' resume (pl_core_process_meta): a frame with the
 * XDP build's decision in front of it is not parsed or staged again; a
 * struct that does not match the frame, or one already used, is not taken
 * and the whole pipeline runs (meta_missing). */
static void test_meta_resume(void)
{
	struct pl_steer_key k = { .proto = IPPROTO_TCP, .port = 7777 };
	struct pl_steer_val sv = { .action = PL_USER };
	struct pl_meta *m = (struct pl_meta *)(mem + HEADROOM - sizeof(*m));
	struct pl_buf b;
	struct pl_hdrs h;
	__u64 used, missing, steer, tcp, rx, user;
	__u8 f[256];
	size_t len;
	__u32 p;
	int v;

	pl_table_update(&pl_steer, &k, &sv, PL_UPDATE_ANY);
	cfg()->steer_enabled = 1;
	len = st_tcp_frame(f, 0, "10.0.0.1", "10.0.0.2", 40000, 7777, PL_TCP_ACK, 1, 1, 0, "x");
	memcpy(mem + HEADROOM, f, len);
	CHECK(pl_parse_frame(mem + HEADROOM, mem + HEADROOM + len, (__u32)len, &h) == 0, "parse");
	b = (struct pl_buf){ .data = mem + HEADROOM, .len = (uint32_t)len, .headroom = HEADROOM };

	/* the kernel steered it (USER at steer): the verdict, nothing rerun */
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_steer, PL_USER);
	used = counter(PL_CNT_META_USED), steer = counter(PL_CNT_STEER_USER);
	tcp = counter(PL_CNT_P_TCP), rx = counter(PL_CNT_RX_PACKETS), user = counter(PL_CNT_V_USER);
	v = pl_core_process_meta(&b, &p);
	CHECK(v == PL_USER, "resumed USER (%d)", v);
	CHECK(counter(PL_CNT_META_USED) == used + 1 && counter(PL_CNT_RX_PACKETS) == rx + 1 &&
		      counter(PL_CNT_V_USER) == user + 1,
	      "meta_used, rx and verdict_user counted once");
	CHECK(counter(PL_CNT_STEER_USER) == steer && counter(PL_CNT_P_TCP) == tcp,
	      "steer_user and proto_tcp not counted again");
	CHECK(m->magic == 0, "the struct is used once (magic cleared)");

	/* the same bytes again: no struct any more, the whole pipeline */
	missing = counter(PL_CNT_META_MISSING);
	v = pl_core_process_meta(&b, &p);
	CHECK(v == PL_USER && counter(PL_CNT_META_MISSING) == missing + 1 &&
		      counter(PL_CNT_STEER_USER) == steer + 1 && counter(PL_CNT_P_TCP) == tcp + 1,
	      "without a struct: meta_missing, the pipeline ran (%d)", v);

	/* a struct written for another frame length: not taken */
	pl_meta_fill(m, &h, (__u32)len + 1, PL_STAGE_ID_steer, PL_USER);
	v = pl_core_process_meta(&b, &p);
	CHECK(counter(PL_CNT_META_MISSING) == missing + 2 && counter(PL_CNT_META_USED) == used + 1,
	      "length mismatch: not taken");
	/* another version: not taken */
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_steer, PL_USER);
	m->version = PL_META_VERSION + 1;
	v = pl_core_process_meta(&b, &p);
	CHECK(counter(PL_CNT_META_MISSING) == missing + 3, "unknown version: not taken");
	/* no room before the frame for a struct: not read */
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_steer, PL_USER);
	b.headroom = sizeof(*m) - 1;
	v = pl_core_process_meta(&b, &p);
	CHECK(counter(PL_CNT_META_MISSING) == missing + 4 && m->magic == PL_META_MAGIC,
	      "headroom below the struct: not read");
	b.headroom = HEADROOM;

	/* CONTINUE after acl: the stages after it run (steer decides) */
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_acl, PL_CONTINUE);
	steer = counter(PL_CNT_STEER_USER), tcp = counter(PL_CNT_P_TCP);
	v = pl_core_process_meta(&b, &p);
	CHECK(v == PL_USER && counter(PL_CNT_STEER_USER) == steer + 1 && counter(PL_CNT_P_TCP) == tcp &&
		      counter(PL_CNT_META_USED) == used + 2,
	      "CONTINUE after acl: steer ran, the parse did not (%d)", v);
	/* CONTINUE after steer: the parse results carried, the rest decides */
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_steer, PL_CONTINUE);
	v = pl_core_process_meta(&b, &p);
	CHECK(v == (int)cfg()->default_verdict && counter(PL_CNT_STEER_USER) == steer + 1,
	      "CONTINUE after steer: default verdict (%d)", v);
	/* offsets that do not fit the frame: the whole pipeline */
	h.l3_off = 4000;
	pl_meta_fill(m, &h, (__u32)len, PL_STAGE_ID_steer, PL_USER);
	v = pl_core_process_meta(&b, &p);
	CHECK(v == PL_USER && counter(PL_CNT_META_MISSING) == missing + 5 &&
		      counter(PL_CNT_STEER_USER) == steer + 2,
	      "offsets past the frame: the whole pipeline");
	pl_table_delete(&pl_steer, &k);
	cfg()->steer_enabled = 0;
}

int main(void)
{
	int err = pl_core_init(2);

	if (err) {
		fprintf(stderr, "pl_core_init: %s\n", strerror(-err));
		return 1;
	}
	pl_worker_set(0);
	test_cookies();
	test_responder();
	test_ratelimit();
	test_budget_scope();
	test_maglev();
	test_lb();
	test_route();
	test_route_lpm();
	test_block();
	test_sample();
	test_meta_resume();
	pl_core_fini();
	return pl_check_done("stages");
}
