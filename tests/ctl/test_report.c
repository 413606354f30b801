// SPDX-License-Identifier: MIT
/* The report a running datapath gives (pathlab-policy show/top, the
 * Prometheus tables' series), with exact values: a known set of frames
 * from known sources through the user-space core's two workers, then
 *   - the top sources by packets and by bytes (summed over both workers),
 *   - hits per ACL rule with the rule written out,
 *   - rate-limit and SYN-guard drops per source,
 *   - LB service and backend packets and new flows (and the down backend),
 *   - responses per responder route,
 * read through libpathlab-ctl, printed, and rendered as metrics with the
 * instance / ifname / xdp_mode labels. Then the walk of a per-worker table
 * while a worker thread fills it far past its size (evictions, rebuilds).
 * Usage: test-ctl-report */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#define PL_CHECK_MAIN
#include "../stages/stages_test.h"
#include "stages/count.h"
#include "pl_user.h"
#include "pl_ctl.h"

#define HEADROOM 256
static __u8 mem[HEADROOM + 4096];

static const char policy[] =
	"mode policy\n"
	"count sources on\n"
	"acl drop proto udp dport 9\n"
	"acl pass proto udp dport 53 from 10.1.0.0/16\n"
	"acl default pass\n"
	"ratelimit pps 1 burst 10\n"
	"synguard per-source 1 3\n"
	"responder listen 10.0.0.2 8080\n"
	"responder key 000102030405060708090a0b0c0d0e0f\n"
	"route /hello 200 text/plain hi\n"
	"lb service web 10.0.0.100 80 tcp mode dsr size 251\n"
	"lb backend web 10.0.1.2 mac 02:00:00:00:01:02 via tx\n"
	"lb backend web 10.0.2.2 mac 02:00:00:00:02:02 state down via tx\n";

/* Run frame f on worker w; the output stays in mem. */
static int run(unsigned w, const __u8 *f, size_t len, __u8 **out, size_t *olen)
{
	struct pl_buf b = { .data = mem + HEADROOM, .len = (uint32_t)len, .headroom = HEADROOM,
			    .tailroom = (uint32_t)(sizeof(mem) - HEADROOM - len) };
	__u32 port;
	int v;

	pl_worker_set(w);
	memcpy(mem + HEADROOM, f, len);
	v = pl_core_process(&b, &port);
	if (out) {
		*out = b.data;
		*olen = b.len;
	}
	return v;
}

/* A UDP frame from src to dst:dport with n payload bytes; its length. */
static size_t udp(__u8 *f, const char *src, const char *dst, __u16 dport, unsigned n)
{
	static __u8 zeros[2048];
	struct pl_pkt_ip4 ip = { 0 };
	struct pl_pkt p;
	struct in_addr a;

	pl_pkt_init(&p);
	pl_pkt_eth(&p, PL_PKT_MAC_B, PL_PKT_MAC_A);
	inet_pton(AF_INET, src, &a);
	ip.saddr = ntohl(a.s_addr);
	inet_pton(AF_INET, dst, &a);
	ip.daddr = ntohl(a.s_addr);
	pl_pkt_ipv4(&p, &ip);
	pl_pkt_udp(&p, 4000, dport);
	pl_pkt_payload(&p, zeros, n);
	pl_pkt_finish(&p);
	memcpy(f, p.b, p.len);
	return p.len;
}

static __u64 bytes_of[8]; /* per source index below */

/* Send n UDP frames from src on worker w; remember their bytes. */
static void send_udp(int idx, unsigned w, const char *src, __u16 dport, unsigned n, unsigned payload)
{
	__u8 f[2048];

	for (unsigned i = 0; i < n; i++) {
		size_t len = udp(f, src, "10.0.0.9", dport, payload);

		run(w, f, len, NULL, NULL);
		bytes_of[idx] += len;
	}
}

/* A TCP frame from src; remembers its bytes. */
static int send_tcp(int idx, unsigned w, const char *src, const char *dst, __u16 sport, __u16 dport,
		    __u8 flags, __u32 seq, __u32 ack, const char *payload, __u8 **o, size_t *olen)
{
	__u8 f[2048];
	size_t len = st_tcp_frame(f, 0, src, dst, sport, dport, flags, seq, ack, flags & PL_TCP_SYN ? 1460 : 0,
				  payload);

	bytes_of[idx] += len;
	return run(w, f, len, o, olen);
}

/* Handshake and one GET of path to the responder; the reply's status. */
static void get(const char *path, const char *want)
{
	char req[128];
	__u8 *o;
	size_t olen;
	__u32 isn;
	int v = send_tcp(5, 0, "10.4.0.1", "10.0.0.2", 40000, 8080, PL_TCP_SYN, 1000, 0, NULL, &o, &olen);

	CHECK(v == PL_TX, "SYN answered (%d)", v);
	isn = (__u32)o[14 + 20 + 4] << 24 | o[14 + 20 + 5] << 16 | o[14 + 20 + 6] << 8 | o[14 + 20 + 7];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	v = send_tcp(5, 0, "10.4.0.1", "10.0.0.2", 40000, 8080, PL_TCP_ACK | PL_TCP_PSH, 1001, isn + 1, req,
		     &o, &olen);
	CHECK(v == PL_TX && olen > 14 + 40 + 12 && !memcmp(o + 14 + 40, want, strlen(want)),
	      "GET %s answered %s (%d)", path, want, v);
}

static const struct pl_report_src *find_src(const struct pl_report_src *t, unsigned n, const char *a)
{
	char s[64];

	for (unsigned i = 0; i < n; i++) {
		pl_addr_format(&t[i].addr, t[i].family, s, sizeof(s));
		if (!strcmp(s, a))
			return &t[i];
	}
	return NULL;
}

/* ---- a walk while a worker fills the table ---- */
static volatile int filling;
static unsigned long inserted;

static void *filler(void *arg)
{
	__u8 f[2048];
	char src[32];

	(void)arg;
	for (unsigned i = 0; filling; i++) {
		size_t len;

		snprintf(src, sizeof(src), "10.%u.%u.%u", 100 + (i >> 16) % 100, (i >> 8) & 255, i & 255);
		len = udp(f, src, "10.0.0.9", 53, 10);
		run(1, f, len, NULL, NULL);
		__atomic_store_n(&inserted, i + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int count_walk(const void *key, const void *val, void *arg)
{
	const struct pl_src_stats *s = val;

	(void)key;
	if (s->packets > 1000000)
		return -EIO; /* garbage: a value read from freed memory */
	(*(unsigned long *)arg)++;
	return 0;
}

int main(void)
{
	struct pl_metrics_info info = { "afxdp:plt0", "plt0,plt1", "native" };
	struct pl_report *r = calloc(1, sizeof(*r));
	const struct pl_report_src *s;
	struct pl_policy *pol;
	struct pl_err err;
	struct pl_ctl *c;
	char *text = NULL, *m;
	size_t tlen = 0;
	FILE *f;
	int ret;

	CHECK(r && pl_core_init(2) == 0, "core with two workers");
	c = pl_ctl_open_user();
	CHECK(c != NULL, "ctl");
	pl_core_config()->clock_ns = 5000000000ull; /* fixed: no bucket refills */
	ret = pl_policy_parse_string(policy, "t.policy", &pol, &err);
	CHECK(ret == 0, "policy parses: %s", ret ? err.msg : "");
	ret = pl_policy_apply(c, pol, NULL, NULL, &err);
	CHECK(ret == 0, "policy applies: %s", ret ? err.msg : "");
	pl_policy_free(pol);

	/* 10.1.0.1: 5 to UDP 53 (3 on worker 0, 2 on worker 1), 2 to UDP 9 */
	send_udp(0, 0, "10.1.0.1", 53, 3, 20);
	send_udp(0, 1, "10.1.0.1", 53, 2, 20);
	send_udp(0, 1, "10.1.0.1", 9, 2, 20);
	send_udp(1, 0, "10.1.0.2", 53, 3, 20);
	send_udp(2, 1, "10.1.0.3", 53, 1, 1400);  /* few frames, most bytes */
	send_udp(3, 0, "10.2.0.1", 53, 15, 20);   /* 5 over the burst of 10 */
	for (int i = 0; i < 5; i++)               /* 2 over the SYN burst of 3 */
		send_tcp(4, 0, "10.3.0.1", "10.0.0.9", 1000 + i, 22, PL_TCP_SYN, 1, 0, NULL, NULL, NULL);
	get("/hello", "HTTP/1.1 200");
	get("/nope", "HTTP/1.1 404");
	for (int fl = 0; fl < 3; fl++)            /* 3 flows to the VIP: SYN, then ACK */
		for (int k = 0; k < 2; k++)
			send_tcp(6, 0, "10.5.0.1", "10.0.0.100", 2000 + fl, 80, k ? PL_TCP_ACK : PL_TCP_SYN, 1, k,
				 NULL, NULL, NULL);

	ret = pl_report_read(c, 5, r);
	CHECK(ret == 0, "report read: %d", ret);
	CHECK(r->nsrc == 5, "top 5 sources (%u)", r->nsrc);
	{
		static const char *const want[] = { "10.2.0.1", "10.1.0.1", "10.5.0.1", "10.3.0.1", "10.4.0.1" };
		static const __u64 pk[] = { 15, 7, 6, 5, 4 };
		static const int idx[] = { 3, 0, 6, 4, 5 };
		char a[64];

		for (int i = 0; i < 5; i++) {
			pl_addr_format(&r->src_pkts[i].addr, r->src_pkts[i].family, a, sizeof(a));
			CHECK(!strcmp(a, want[i]) && r->src_pkts[i].packets == pk[i] &&
				      r->src_pkts[i].bytes == bytes_of[idx[i]],
			      "top by packets #%d: %s %llu/%llu bytes (want %s %llu/%llu)", i, a,
			      (unsigned long long)r->src_pkts[i].packets, (unsigned long long)r->src_pkts[i].bytes,
			      want[i], (unsigned long long)pk[i], (unsigned long long)bytes_of[idx[i]]);
		}
		pl_addr_format(&r->src_bytes[0].addr, r->src_bytes[0].family, a, sizeof(a));
		CHECK(!strcmp(a, "10.1.0.3") && r->src_bytes[0].bytes == bytes_of[2] && r->src_bytes[0].packets == 1,
		      "top by bytes #0: %s %llu bytes", a, (unsigned long long)r->src_bytes[0].bytes);
	}
	CHECK(r->have_acl && r->acl.count == 2 && r->acl_hits[0] == 2 && r->acl_hits[1] == 9,
	      "ACL hits: rule 0 %llu (want 2), rule 1 %llu (want 9)", (unsigned long long)r->acl_hits[0],
	      (unsigned long long)r->acl_hits[1]);
	s = find_src(r->rl_drops, r->nrl, "10.2.0.1");
	CHECK(r->nrl == 1 && s && s->packets == 5, "rate-limit drops: 10.2.0.1 5 (%u sources)", r->nrl);
	s = find_src(r->syn_drops, r->nsyn, "10.3.0.1");
	CHECK(r->nsyn == 1 && s && s->packets == 2, "SYN-guard drops: 10.3.0.1 2 (%u sources)", r->nsyn);
	CHECK(r->nsvc == 1 && r->svc[0].packets == 6 && r->svc[0].new_flows == 3,
	      "LB service: packets %llu new flows %llu", (unsigned long long)r->svc[0].packets,
	      (unsigned long long)r->svc[0].new_flows);
	CHECK(r->nbe == 2, "two backends (%u)", r->nbe);
	for (unsigned i = 0; i < r->nbe; i++) {
		char a[64];

		pl_report_be_name(&r->be[i], a, sizeof(a));
		if (!strcmp(a, "10.0.1.2"))
			CHECK(r->be[i].packets == 6 && r->be[i].new_flows == 3 && r->be[i].state == 0,
			      "backend up: %llu packets, %llu flows", (unsigned long long)r->be[i].packets,
			      (unsigned long long)r->be[i].new_flows);
		else
			CHECK(!strcmp(a, "10.0.2.2") && r->be[i].packets == 0 && r->be[i].state == 2,
			      "backend down: %s %llu packets", a, (unsigned long long)r->be[i].packets);
	}
	for (unsigned i = 0; i < r->nroute; i++) {
		__u64 want = !strcmp(r->route[i].path, "/hello") || !strcmp(r->route[i].path, "#404") ? 1 : 0;

		CHECK(r->route[i].hits == want, "route %s: %llu responses (want %llu)", r->route[i].path,
		      (unsigned long long)r->route[i].hits, (unsigned long long)want);
	}
	CHECK(r->nroute == 7, "7 routes (/hello and the defaults): %u", r->nroute);

	f = open_memstream(&text, &tlen);
	pl_report_print(f, r, PL_REPORT_CONFIG | PL_REPORT_COUNTERS | PL_REPORT_TABLES | PL_REPORT_TOP);
	fclose(f);
	CHECK(strstr(text, "acl rule 0  (policy line 3) 2 hits: acl drop proto udp dport 9\n") != NULL,
	      "show: rule 0 with its text:\n%s", text);
	CHECK(strstr(text, "acl rule 1  (policy line 4) 9 hits: acl pass ipv4 proto udp from 10.1.0.0/16 dport 53\n"),
	      "show: rule 1 with its text");
	CHECK(strstr(text, "lb backend 10.0.1.2 of 10.0.0.100:80/tcp (id 0, up): packets=6 new_flows=3\n"),
	      "show: the backend");
	CHECK(strstr(text, "responder route /hello (status 200): 1 responses\n"), "show: the route");
	free(text);

	m = malloc(1 << 20);
	ret = pl_metrics_render_ex(m, 1 << 20, "afxdp-user", &info, &r->cnt, r);
	CHECK(ret > 0, "render: %d", ret);
#define L "path=\"afxdp-user\",instance=\"afxdp:plt0\",ifname=\"plt0,plt1\",xdp_mode=\"native\""
	CHECK(strstr(m, "pathlab_source_packets_total{" L ",source=\"10.2.0.1\"} 15\n"), "metric: top source");
	CHECK(strstr(m, "pathlab_ratelimit_source_drops_total{" L ",source=\"10.2.0.1\"} 5\n"), "metric: rl drops");
	CHECK(strstr(m, "pathlab_synguard_source_drops_total{" L ",source=\"10.3.0.1\"} 2\n"), "metric: syn drops");
	CHECK(strstr(m, "pathlab_acl_rule_hits_total{" L ",rule=\"0\",line=\"3\",text=\"acl drop proto udp dport 9\"} 2\n"),
	      "metric: rule hits");
	CHECK(strstr(m, "pathlab_lb_backend_packets_total{" L ",service=\"10.0.0.100:80/tcp\",backend=\"10.0.1.2\"} 6\n"),
	      "metric: backend packets");
	CHECK(strstr(m, "pathlab_lb_backend_up{" L ",service=\"10.0.0.100:80/tcp\",backend=\"10.0.2.2\",state=\"down\"} 0\n"),
	      "metric: backend down");
	CHECK(strstr(m, "pathlab_responder_route_responses_total{" L ",route=\"/hello\",status=\"200\"} 1\n"),
	      "metric: route");
	CHECK(strstr(m, "pathlab_up{" L "} 1\n"), "metric: up with every label");
	{
		/* top N only: 5 sources, never the 7 the table holds */
		int n = 0;

		for (char *p = m; (p = strstr(p, "\npathlab_source_packets_total{")); p++)
			n++;
		CHECK(n == 5, "5 source series (%d)", n);
	}
	free(m);

	/* A walk while worker 1 inserts far more sources than the table holds. */
	{
		pthread_t th;
		unsigned long total = 0;
		int werr = 0;

		filling = 1;
		CHECK(pthread_create(&th, NULL, filler, NULL) == 0, "filler thread");
		int walks = 0;

		/* until the worker has filled its table three times over */
		while (!werr && __atomic_load_n(&inserted, __ATOMIC_RELAXED) < 3ul * PL_SRC_MAX) {
			unsigned long n = 0;

			werr = pl_ctl_walk(c, "pl_src", count_walk, &n);
			total += n;
			walks++;
		}
		filling = 0;
		pthread_join(th, NULL);
		CHECK(werr == 0 && total > 0 && walks > 1, "%d walks during %lu inserts: %d, %lu entries seen", walks,
		      inserted, werr, total);
		CHECK(pl_table_count(&pl_src, 1) <= PL_SRC_MAX, "worker 1's table at its bound");
	}
	pl_ctl_close(c);
	pl_core_fini();
	free(r);
	return pl_check_done("test-ctl-report");
}
