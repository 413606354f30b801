// SPDX-License-Identifier: MIT
/* The metrics renderer and server, answered to a real HTTP client (curl):
 *   - the rendered text has the agreed names, labels and values;
 *   - GET /metrics through curl returns 200 with them, HEAD works;
 *   - another path is 404, another method 405, garbage 400, an oversized
 *     request 431, a failing counter read 503;
 *   - an incomplete request is answered 408 after the 2 s bound;
 *   - idle connections held open do not block a scrape;
 *   - stop joins the thread and frees the port.
 * Also the stats line format and the name tables.
 * Usage: test-ctl-metrics */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "pl_ctl.h"
#define PL_CHECK_MAIN
#include "ctl_test.h"

static int fail_read;

/* Fixed counters: rx 10, drop 3, pass 7, proto_udp 4. */
static int read_fixed(void *arg, struct pl_counters *sum)
{
	if (fail_read)
		return -EIO;
	memset(sum, 0, sizeof(*sum));
	sum->c[PL_CNT_RX_PACKETS] = 10;
	sum->c[PL_CNT_V_DROP] = 3;
	sum->c[PL_CNT_V_PASS] = 7;
	sum->c[PL_CNT_P_UDP] = 4;
	(*(int *)arg)++;
	return 0;
}

/* Run a shell command, return its stdout (static buffer). */
static const char *run(const char *cmd)
{
	static char out[65536];
	size_t n = 0;
	FILE *f = popen(cmd, "r");

	out[0] = '\0';
	if (!f)
		return out;
	while (n < sizeof(out) - 1) {
		size_t r = fread(out + n, 1, sizeof(out) - 1 - n, f);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	pclose(f);
	return out;
}

/* Send raw bytes, return the status line's code (or -1). */
static int raw_request(uint16_t port, const char *data, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[256] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
	struct timeval tv = { 5, 0 };
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		if (len)
			(void)!send(fd, data, len, MSG_NOSIGNAL);
		n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL);
		if (n > 12 && !strncmp(buf, "HTTP/1.1 ", 9))
			code = atoi(buf + 9);
		else if (n == 0)
			code = 0; /* closed without answer */
	}
	close(fd);
	return code;
}

/* Rendered text: names, labels, values, escaping, overflow. */
static void test_render(void)
{
	struct pl_counters c;
	char buf[16384], small[64];
	int reads = 0, n;

	read_fixed(&reads, &c);
	n = pl_metrics_render(buf, sizeof(buf), "xdp", &c);
	CHECK(n > 0 && (size_t)n == strlen(buf), "render length %d", n);
	CHECK(strstr(buf, "pathlab_packets_total{path=\"xdp\",verdict=\"drop\"} 3\n") != NULL, "drop");
	CHECK(strstr(buf, "pathlab_packets_total{path=\"xdp\",verdict=\"pass\"} 7\n") != NULL, "pass");
	CHECK(strstr(buf, "pathlab_packets_total{path=\"xdp\",verdict=\"aborted\"} 0\n") != NULL, "aborted");
	CHECK(strstr(buf, "pathlab_rx_packets_total{path=\"xdp\"} 10\n") != NULL, "rx");
	CHECK(strstr(buf, "# TYPE pathlab_proto_udp_total counter\npathlab_proto_udp_total{path=\"xdp\"} 4\n") != NULL,
	      "udp");
	CHECK(strstr(buf, "# HELP pathlab_acl_drop_total dropped by an ACL rule\n") != NULL, "help");
	CHECK(strstr(buf, "pathlab_up{path=\"xdp\"} 1\n") != NULL, "up");
	CHECK(strstr(buf, "verdict_drop") == NULL, "verdict counters only under pathlab_packets_total");
	CHECK(pl_metrics_render(small, sizeof(small), "xdp", &c) == -ENOSPC, "small buffer");
	n = pl_metrics_render(buf, sizeof(buf), "a\"b\\c\nd", &c);
	CHECK(n > 0 && strstr(buf, "path=\"a\\\"b\\\\c\\nd\"") != NULL, "label escaping");
	n = pl_metrics_render(buf, sizeof(buf), "xdp", NULL);
	CHECK(n > 0 && strstr(buf, "pathlab_up{path=\"xdp\"} 0\n") && !strstr(buf, "packets_total"),
	      "down");
}

/* The one stats line format, and the names behind it. */
static void test_stats_and_names(void)
{
	struct pl_counters a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.c[PL_CNT_RX_PACKETS] = 2000;
	b.c[PL_CNT_V_DROP] = 500;
	b.c[PL_CNT_V_PASS] = 1500;
	b.c[PL_CNT_P_UDP] = 2000;
	pl_stats_print(f, "xdp", 3.0, &a, &b, 2.0, 0);
	pl_stats_print(f, "xdp", 3.0, &a, &b, 2.0, 1);
	fclose(f);
	CHECK(!strcmp(text, "[xdp] t=3.0 rx=1000 drop=250 pass=750 tx=0 redirect=0 user=0 aborted=0\n"
			    "[xdp] t=3.0 rx=1000 drop=250 pass=750 tx=0 redirect=0 user=0 aborted=0\n"
			    "    proto_udp=1000\n"),
	      "stats lines:\n%s", text);
	free(text);
	for (int m = 0; m < PL_MODE__MAX; m++)
		CHECK(pl_mode_parse(pl_mode_name(m)) == m, "mode %d round trip", m);
	for (int v = 0; v < PL_VERDICT__MAX; v++)
		CHECK(pl_verdict_parse(pl_verdict_name(v)) == v, "verdict %d round trip", v);
	CHECK(pl_mode_parse("fast") == -1 && !strcmp(pl_verdict_name(99), "?"), "unknown names");
	CHECK(!strcmp(pl_counter_name(PL_CNT_ACL_DROP), "acl_drop"), "counter name");
}

/* Extra series: two samples of one family, one of another. */
static int extra_two(void *arg, struct pl_metrics_sample *x, unsigned max)
{
	(void)arg;
	if (max < 3)
		return -ENOSPC;
	x[0] = (struct pl_metrics_sample){ .name = "pathlab_afxdp_tx_ring_full_total",
					   .help = "frames dropped, tx ring full", .type = "counter",
					   .labels = "iface=\"eth1\",queue=\"0\"", .value = 7 };
	x[1] = x[0];
	snprintf(x[1].labels, sizeof(x[1].labels), "iface=\"eth2\",queue=\"0\"");
	x[1].value = 9;
	x[2] = (struct pl_metrics_sample){ .name = "pathlab_afxdp_up", .help = "one", .type = "gauge",
					   .value = 1 };
	return 3;
}

/* The server, through curl and raw sockets. */
static void test_server(void)
{
	struct pl_metrics_server *s = NULL;
	struct pl_err err;
	char cmd[512], big[10000];
	const char *out;
	int reads = 0, ret;
	uint16_t port;

	ret = pl_metrics_serve("127.0.0.1:0", "afxdp", read_fixed, &reads, &s, &err);
	CHECK(ret == 0 && s, "serve: %s", err.msg);
	if (!s)
		return;
	port = pl_metrics_port(s);
	CHECK(port != 0, "port");

	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 -i http://127.0.0.1:%u/metrics 2>&1", port);
	out = run(cmd);
	CHECK(strstr(out, "HTTP/1.1 200 OK\r\n") != NULL, "curl status:\n%s", out);
	CHECK(strstr(out, "Content-Type: text/plain; version=0.0.4") != NULL, "content type");
	CHECK(strstr(out, "pathlab_packets_total{path=\"afxdp\",verdict=\"drop\"} 3\n") != NULL,
	      "curl body");
	CHECK(reads == 1, "one read per scrape, %d", reads);

	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 -I http://127.0.0.1:%u/metrics 2>&1", port);
	out = run(cmd);
	CHECK(strstr(out, "HTTP/1.1 200 OK") && !strstr(out, "pathlab_packets_total"), "HEAD:\n%s", out);

	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/nope", port);
	CHECK(!strcmp(run(cmd), "404"), "404: %s", run(cmd));
	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -o /dev/null -w '%%{http_code}' -X POST -d x=1 http://127.0.0.1:%u/metrics", port);
	CHECK(!strcmp(run(cmd), "405"), "405");
	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/", port);
	CHECK(!strcmp(run(cmd), "200"), "index");
	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -o /dev/null -w '%%{http_code}' 'http://127.0.0.1:%u/metrics?x=1'", port);
	CHECK(!strcmp(run(cmd), "200"), "query string ignored");

	CHECK(raw_request(port, "garbage\r\n\r\n", 11) == 400, "garbage -> 400");
	CHECK(raw_request(port, "GET metrics HTTP/1.1\r\n\r\n", 24) == 400, "relative target -> 400");
	CHECK(raw_request(port, "GET /metrics SPDY/3\r\n\r\n", 23) == 400, "bad version -> 400");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	CHECK(raw_request(port, big, sizeof(big)) == 431, "oversized -> 431");
	CHECK(raw_request(port, "GET /met", 8) == 408, "incomplete request -> 408 after 2 s");

	/* Idle connections (connected, nothing sent) must not hold up a scrape:
	 * served one at a time, 8 of them would cost 8 x 2 s. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
		int idle[8], n_idle = 0;

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		for (int i = 0; i < 8; i++) {
			idle[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (idle[i] >= 0 && connect(idle[i], (struct sockaddr *)&a, sizeof(a)) == 0)
				n_idle++;
		}
		CHECK(n_idle == 8, "8 idle connections, got %d", n_idle);
		usleep(100000); /* let the server accept them */
		snprintf(cmd, sizeof(cmd), "curl -s -m 5 -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/metrics", port);
		out = run(cmd);
		CHECK(!strcmp(out, "200"), "scrape with 8 idle connections held: '%s' (want 200 within 5 s)", out);
		for (int i = 0; i < 8; i++)
			if (idle[i] >= 0)
				close(idle[i]);
	}

	/* a front end's own series after the core's: HELP/TYPE once per
	 * family, the server's labels first, then the sample's */
	pl_metrics_set_extra(s, extra_two, NULL);
	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 http://127.0.0.1:%u/metrics 2>&1", port);
	out = run(cmd);
	CHECK(strstr(out, "# HELP pathlab_afxdp_tx_ring_full_total frames dropped, tx ring full\n"
			  "# TYPE pathlab_afxdp_tx_ring_full_total counter\n"
			  "pathlab_afxdp_tx_ring_full_total{path=\"afxdp\",iface=\"eth1\",queue=\"0\"} 7\n"
			  "pathlab_afxdp_tx_ring_full_total{path=\"afxdp\",iface=\"eth2\",queue=\"0\"} 9\n"
			  "# HELP pathlab_afxdp_up one\n# TYPE pathlab_afxdp_up gauge\npathlab_afxdp_up{path=\"afxdp\"} 1\n") &&
		      strstr(out, "pathlab_packets_total{path=\"afxdp\",verdict=\"drop\"} 3\n"),
	      "extra series:\n%s", out);
	pl_metrics_set_extra(s, NULL, NULL);

	fail_read = 1;
	snprintf(cmd, sizeof(cmd), "curl -s -m 5 -w '%%{http_code}' http://127.0.0.1:%u/metrics", port);
	out = run(cmd);
	CHECK(strstr(out, "pathlab_up{path=\"afxdp\"} 0") && strstr(out, "503"), "503:\n%s", out);
	fail_read = 0;

	pl_metrics_stop(s);
	snprintf(cmd, sizeof(cmd), "curl -s -m 2 -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/metrics", port);
	CHECK(!strcmp(run(cmd), "000"), "still answering after stop");

	CHECK(pl_metrics_serve("nonsense", "x", read_fixed, &reads, &s, &err) == -EINVAL &&
		      strstr(err.msg, "is not ADDR:PORT") && s == NULL,
	      "bad address: %s", err.msg);
	CHECK(pl_metrics_serve("127.0.0.1:99999", "x", read_fixed, &reads, &s, &err) == -EINVAL,
	      "port out of range");
	pl_metrics_stop(NULL);
}

/* Hybrid merge: each frame once (kernel, its USER replaced by the user
 * core's verdicts); the address check without binding. */
static void test_hybrid_and_addr(void)
{
	struct pl_counters k = { { 0 } }, u = { { 0 } }, m;
	struct pl_err err;

	k.c[PL_CNT_RX_PACKETS] = 100;
	k.c[PL_CNT_V_DROP] = 30;
	k.c[PL_CNT_V_REDIRECT] = 50;
	k.c[PL_CNT_V_USER] = 20;
	k.c[PL_CNT_P_UDP] = 100;
	u.c[PL_CNT_RX_PACKETS] = 18; /* two USER frames still in the socket ring */
	u.c[PL_CNT_V_USER] = 15;
	u.c[PL_CNT_V_TX] = 3;
	u.c[PL_CNT_P_UDP] = 18;
	u.c[PL_CNT_META_USED] = 17; /* resumed from the kernel's decision */
	u.c[PL_CNT_META_MISSING] = 1;
	k.c[PL_CNT_META_REFUSED] = 1;
	pl_metrics_merge_hybrid(&k, &u, &m);
	CHECK(m.c[PL_CNT_RX_PACKETS] == 100, "rx is the kernel's: %llu", (unsigned long long)m.c[PL_CNT_RX_PACKETS]);
	CHECK(m.c[PL_CNT_P_UDP] == 100, "stage counters are the kernel's");
	CHECK(m.c[PL_CNT_V_DROP] == 30 && m.c[PL_CNT_V_REDIRECT] == 50, "kernel verdicts kept");
	CHECK(m.c[PL_CNT_V_USER] == 15 && m.c[PL_CNT_V_TX] == 3, "USER replaced by the user core's verdicts");
	CHECK(m.c[PL_CNT_META_USED] == 17 && m.c[PL_CNT_META_MISSING] == 1 && m.c[PL_CNT_META_REFUSED] == 1,
	      "meta_used and meta_missing are the user core's, meta_refused the kernel's");
	CHECK(pl_metrics_check_addr("127.0.0.1:9100", &err) == 0, "v4");
	CHECK(pl_metrics_check_addr("[::1]:0", &err) == 0, "v6");
	CHECK(pl_metrics_check_addr(":9100", &err) == 0, "any");
	CHECK(pl_metrics_check_addr("nope", &err) == -EINVAL && strstr(err.msg, "ADDR:PORT"), "no port");
	CHECK(pl_metrics_check_addr("1.2.3.4:70000", &err) == -EINVAL, "port range");
	CHECK(pl_metrics_check_addr("999.1.1.1:80", &err) == -EINVAL, "bad address: %s", err.msg);
	CHECK(pl_metrics_check_addr(NULL, &err) == -EINVAL, "NULL");
}

/* Skip without curl; run the checks. */
int main(void)
{
	if (system("curl --version >/dev/null 2>&1")) {
		printf("SKIP: curl not installed (scripts/bootstrap.sh installs it)\n");
		return 77;
	}
	test_render();
	test_stats_and_names();
	test_server();
	test_hybrid_and_addr();
	return pl_check_done("test-ctl-metrics");
}
