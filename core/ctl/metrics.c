// SPDX-License-Identifier: MIT
/* Counters for dashboards: a Prometheus text-format (0.0.4) renderer and a
 * tiny HTTP/1.1 server thread that serves it at /metrics.
 *
 * Metric names are the same for every datapath; the `path` label says which
 * one ("xdp", "afxdp", "dpdk", ...):
 *   pathlab_packets_total{path,verdict}   frames per verdict
 *   pathlab_rx_packets_total{path}        frames the core saw
 *   pathlab_rx_bytes_total{path}          bytes the core saw
 *   pathlab_<counter>_total{path}         every other counter of PL_COUNTERS
 *   pathlab_up{path}                      1 when the counters could be read
 * (docs/metrics.md lists the path values and the hybrid accounting.)
 *
 * The server is deliberately small: an accepting thread and one short-lived
 * thread per connection (at most MAX_CONNS at once; more are answered 503),
 * so idle or slow clients do not hold up a scrape; requests bounded in size
 * (8 KiB) and time (2 s), always `Connection: close`; GET and HEAD of / and /metrics; 400 for a malformed request, 404
 * for another path, 405 for another method, 431 when the headers are too
 * large, 408 when it does not arrive within 2 s, 503 when the counters cannot be read. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "pl_ctl.h"

#define REQ_MAX 8192
#define REQ_TIMEOUT_MS 2000
/* Connections served at once. Each holds a thread for at most
 * REQ_TIMEOUT_MS plus the time to send the answer. */
#define MAX_CONNS 32

/* ---- rendering ---- */

struct out {
	char *buf;
	size_t len, off;
	int overflow;
};

/* Append formatted text; remembers overflow. */
static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off) {
		o->overflow = 1;
		return;
	}
	o->off += (size_t)n;
}

/* A label value with \\, \" and \n escaped. */
static void escape_label(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (; *in && j + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[j++] = '\\';
			out[j++] = *in;
		} else if (*in == '\n') {
			out[j++] = '\\';
			out[j++] = 'n';
		} else {
			out[j++] = *in;
		}
	}
	out[j] = '\0';
}

/* The labels every series carries: path="..." and, with info, instance,
 * ifname and xdp_mode (escaped). */
static void base_labels(char *out, size_t len, const char *path_label,
			const struct pl_metrics_info *info)
{
	char p[128], i[192], f[192], m[64];

	escape_label(path_label ? path_label : "", p, sizeof(p));
	if (!info) {
		snprintf(out, len, "path=\"%s\"", p);
		return;
	}
	escape_label(info->instance, i, sizeof(i));
	escape_label(info->ifname, f, sizeof(f));
	escape_label(info->xdp_mode, m, sizeof(m));
	snprintf(out, len, "path=\"%s\",instance=\"%s\",ifname=\"%s\",xdp_mode=\"%s\"", p, i, f, m);
}

/* One family's HELP and TYPE lines. */
static void family(struct out *o, const char *name, const char *type, const char *help)
{
	emit(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A top-N source list as one family with a source label. */
static void render_sources(struct out *o, const char *name, const char *help, const char *base,
			   const struct pl_report_src *t, unsigned n, int bytes)
{
	char a[64];

	family(o, name, "counter", help);
	for (unsigned i = 0; i < n; i++) {
		pl_addr_format(&t[i].addr, t[i].family, a, sizeof(a));
		emit(o, "%s{%s,source=\"%s\"} %llu\n", name, base, a,
		     (unsigned long long)(bytes ? t[i].bytes : t[i].packets));
	}
}

/* The series read from the tables (top-N, rules, services, routes). */
static void render_report(struct out *o, const char *base, const struct pl_report *r)
{
	char txt[256], esc[512], svc[96], be[96];

	render_sources(o, "pathlab_source_packets_total",
		       "Frames per source address (the top N sources by frames)", base, r->src_pkts,
		       r->nsrc, 0);
	render_sources(o, "pathlab_source_bytes_total",
		       "Bytes per source address (the top N sources by bytes)", base, r->src_bytes, r->nsrc,
		       1);
	render_sources(o, "pathlab_ratelimit_source_drops_total",
		       "Frames the rate limiter dropped per source prefix (the top N)", base, r->rl_drops,
		       r->nrl, 0);
	render_sources(o, "pathlab_synguard_source_drops_total",
		       "SYNs the SYN guard dropped per source prefix (the top N)", base, r->syn_drops,
		       r->nsyn, 0);
	family(o, "pathlab_acl_rule_hits_total", "counter",
	       "Frames that matched each ACL rule of the live policy (rule index, policy line, text)");
	for (__u32 i = 0; r->have_acl && i < r->acl.count && i < PL_ACL_MAX; i++) {
		pl_acl_rule_format(&r->acl.rule[i], txt, sizeof(txt));
		escape_label(txt, esc, sizeof(esc));
		emit(o, "pathlab_acl_rule_hits_total{%s,rule=\"%u\",line=\"%u\",text=\"%s\"} %llu\n", base, i,
		     r->acl.rule[i].line, esc, (unsigned long long)r->acl_hits[i]);
	}
	family(o, "pathlab_lb_service_packets_total", "counter", "Frames per load-balancer service");
	for (unsigned i = 0; i < r->nsvc; i++) {
		pl_report_svc_name(&r->svc[i], svc, sizeof(svc));
		emit(o, "pathlab_lb_service_packets_total{%s,service=\"%s\"} %llu\n", base, svc,
		     (unsigned long long)r->svc[i].packets);
	}
	family(o, "pathlab_lb_service_new_flows_total", "counter",
	       "Flows placed per load-balancer service");
	for (unsigned i = 0; i < r->nsvc; i++) {
		pl_report_svc_name(&r->svc[i], svc, sizeof(svc));
		emit(o, "pathlab_lb_service_new_flows_total{%s,service=\"%s\"} %llu\n", base, svc,
		     (unsigned long long)r->svc[i].new_flows);
	}
	for (int k = 0; k < 3; k++) {
		static const char *const names[] = { "pathlab_lb_backend_packets_total",
						     "pathlab_lb_backend_new_flows_total",
						     "pathlab_lb_backend_up" };
		static const char *const helps[] = {
			"Frames sent to each load-balancer backend", "Flows placed on each load-balancer backend",
			"1 when the backend takes new flows (state up), 0 draining or down (state label)"
		};

		family(o, names[k], k == 2 ? "gauge" : "counter", helps[k]);
		for (unsigned i = 0; i < r->nbe; i++) {
			const struct pl_report_be *b = &r->be[i];

			strcpy(svc, "?");
			for (unsigned j = 0; j < r->nsvc; j++)
				if (r->svc[j].id == b->svc)
					pl_report_svc_name(&r->svc[j], svc, sizeof(svc));
			pl_report_be_name(b, be, sizeof(be));
			if (k == 2)
				emit(o, "%s{%s,service=\"%s\",backend=\"%s\",state=\"%s\"} %d\n", names[k], base,
				     svc, be, pl_lb_state_name(b->state), b->state == 0);
			else
				emit(o, "%s{%s,service=\"%s\",backend=\"%s\"} %llu\n", names[k], base, svc, be,
				     (unsigned long long)(k ? b->new_flows : b->packets));
		}
	}
	family(o, "pathlab_responder_route_responses_total", "counter",
	       "Responses the responder sent per route (#400, #404, #405: the error answers)");
	for (unsigned i = 0; i < r->nroute; i++) {
		escape_label(r->route[i].path, esc, sizeof(esc));
		emit(o, "pathlab_responder_route_responses_total{%s,route=\"%s\",status=\"%u\"} %llu\n", base,
		     esc, r->route[i].status, (unsigned long long)r->route[i].hits);
	}
}

/* Render counters (NULL: only pathlab_up 0), with info's labels on every
 * series when given, and the report's series when given. */
int pl_metrics_render_ex(char *buf, size_t len, const char *path_label, const struct pl_metrics_info *info,
			 const struct pl_counters *c, const struct pl_report *r)
{
	struct out o = { buf, len, 0, 0 };
	char base[768];

	if (!len)
		return -ENOSPC;
	base_labels(base, sizeof(base), path_label, info);
	emit(&o, "# HELP pathlab_up 1 when the datapath's counters could be read\n"
		 "# TYPE pathlab_up gauge\npathlab_up{%s} %d\n", base, c ? 1 : 0);
	if (!c)
		goto out;
	emit(&o, "# HELP pathlab_packets_total Frames per verdict\n"
		 "# TYPE pathlab_packets_total counter\n");
	for (int v = 0; v < PL_VERDICT__MAX; v++)
		emit(&o, "pathlab_packets_total{%s,verdict=\"%s\"} %llu\n", base,
		     pl_verdict_name(v), (unsigned long long)c->c[PL_CNT_V_DROP + v]);
	for (int i = 0; i < PL_CNT__MAX; i++) {
		const char *name = pl_counter_name(i);

		if (i >= PL_CNT_V_DROP && i < PL_CNT_V_DROP + PL_VERDICT__MAX)
			continue;
		emit(&o, "# HELP pathlab_%s_total %s\n# TYPE pathlab_%s_total counter\n"
			 "pathlab_%s_total{%s} %llu\n",
		     name, pl_counter_help(i), name, name, base, (unsigned long long)c->c[i]);
	}
	if (r)
		render_report(&o, base, r);
out:
	return o.overflow ? -ENOSPC : (int)o.off;
}

/* A front end's series (pl_metrics_set_extra), HELP/TYPE once per family. */
static void render_extra(struct out *o, const char *base, const struct pl_metrics_sample *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!i || strcmp(x[i].name, x[i - 1].name))
			family(o, x[i].name, x[i].type, x[i].help);
		emit(o, "%s{%s%s%s} %llu\n", x[i].name, base, x[i].labels[0] ? "," : "", x[i].labels,
		     x[i].value);
	}
}

/* Render counters with the path label only. */
int pl_metrics_render(char *buf, size_t len, const char *path_label, const struct pl_counters *c)
{
	return pl_metrics_render_ex(buf, len, path_label, NULL, c, NULL);
}

/* Adapter: read counters from a struct pl_ctl passed as arg. */
int pl_metrics_read_ctl(void *ctl, struct pl_counters *sum)
{
	return pl_ctl_read_counters(ctl, sum);
}

/* Adapter: the tables of a struct pl_ctl passed as arg. */
int pl_metrics_report_ctl(void *ctl, unsigned n, struct pl_report *r)
{
	return pl_report_read(ctl, n, r);
}

/* Hybrid: kernel counters, its USER verdicts replaced by the user core's,
 * and the user core's count of frames resumed from the kernel's decision
 * or run again without it (the kernel never counts those two). */
void pl_metrics_merge_hybrid(const struct pl_counters *kernel, const struct pl_counters *user,
			     struct pl_counters *out)
{
	*out = *kernel;
	out->c[PL_CNT_V_USER] = 0;
	for (int v = 0; v < PL_VERDICT__MAX; v++)
		out->c[PL_CNT_V_DROP + v] += user->c[PL_CNT_V_DROP + v];
	out->c[PL_CNT_META_USED] = user->c[PL_CNT_META_USED];
	out->c[PL_CNT_META_MISSING] = user->c[PL_CNT_META_MISSING];
}

/* ---- the server ---- */

struct pl_metrics_server {
	int lfd;
	int stop_pipe[2];
	uint16_t port;
	char path[64];
	pl_metrics_read_fn read;
	void *arg;
	pthread_t thread;
	int running; /* thread started */
	unsigned long requests;
	/* The connections being served: guarded by lock; conn_fd[i] is -1 when
	 * free. pl_metrics_stop shuts them down and waits for nconns == 0. */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int conn_fd[MAX_CONNS];
	int nconns;
	/* Serialises the counter read (the read callback need not be reentrant). */
	pthread_mutex_t read_lock;
	/* Under read_lock: the labels and the report source (pl_metrics_set_*). */
	int have_info;
	struct pl_metrics_info info;
	pl_metrics_report_fn report;
	void *report_arg;
	unsigned topn;
	pl_metrics_extra_fn extra;
	void *extra_arg;
};

/* One connection handed to its thread. */
struct conn {
	struct pl_metrics_server *s;
	int slot;
};

/* Milliseconds on the monotonic clock. */
long long pl_io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next connection on lfd (non-blocking, close-on-exec), or -1 once
 * stop_fd is readable (or poll fails for good). */
int pl_io_accept(int lfd, int stop_fd)
{
	for (;;) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { stop_fd, POLLIN, 0 } };
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents)
			return -1;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
	}
}

/* Send all of buf before the deadline. */
int pl_io_send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		struct pollfd p = { fd, POLLOUT, 0 };
		long long left = deadline - pl_io_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One response with a text body (omitted for HEAD). */
static void respond(int fd, int code, const char *reason, const char *ctype, const char *extra,
		    const char *body, size_t blen, int head, long long deadline)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 code, reason, ctype, blen, extra ? extra : "");

	if (pl_io_send_all(fd, hdr, (size_t)n, deadline) == 0 && !head && blen)
		pl_io_send_all(fd, body, blen, deadline);
}

/* A short plain-text error response. */
static void respond_error(int fd, int code, const char *reason, const char *extra, int head,
			  long long deadline)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	respond(fd, code, reason, "text/plain; charset=utf-8", extra, body, (size_t)n, head,
		deadline);
}

/* Read the request head (up to the blank line). Returns its length, 0 when
 * the peer closed early, -E2BIG when too large, -ETIMEDOUT. */
static int read_head(int fd, char *buf, size_t cap, long long deadline)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - pl_io_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return len ? -EPROTO : 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (int)len;
		if (len >= cap - 1)
			return -E2BIG;
	}
}

/* Serve one connection. */
static void serve_conn(struct pl_metrics_server *s, int fd)
{
	long long deadline = pl_io_now_ms() + REQ_TIMEOUT_MS;
	char req[REQ_MAX];
	char method[16], target[1024], version[16];
	int n = read_head(fd, req, sizeof(req), deadline);
	int head;

	if (n == -E2BIG) {
		respond_error(fd, 431, "Request Header Fields Too Large", NULL, 0, deadline);
		return;
	}
	if (n == -ETIMEDOUT) {
		respond_error(fd, 408, "Request Timeout", NULL, 0, pl_io_now_ms() + 500);
		return;
	}
	if (n <= 0) {
		if (n == -EPROTO)
			respond_error(fd, 400, "Bad Request", NULL, 0, deadline);
		return;
	}
	if (sscanf(req, "%15[A-Z] %1023[^ \r\n] %15[^ \r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) || target[0] != '/' || req[strcspn(req, "\r\n")] == '\0') {
		respond_error(fd, 400, "Bad Request", NULL, 0, deadline);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond_error(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", 0, deadline);
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (!strcmp(target, "/")) {
		static const char idx[] = "pathlab metrics: see /metrics\n";

		respond(fd, 200, "OK", "text/plain; charset=utf-8", NULL, idx, sizeof(idx) - 1, head,
			deadline);
		return;
	}
	if (strcmp(target, "/metrics")) {
		respond_error(fd, 404, "Not Found", NULL, head, deadline);
		return;
	}
	{
		struct pl_counters cnt;
		struct pl_metrics_info info;
		struct pl_report *rep = NULL;
		struct pl_metrics_sample *xs = NULL;
		size_t cap = 16384;
		char *body = NULL;
		int len = -ENOSPC, ok, have_info, nx = 0;

		pthread_mutex_lock(&s->read_lock);
		ok = s->read(s->arg, &cnt) == 0;
		if (ok && s->report) {
			rep = malloc(sizeof(*rep));
			if (rep && s->report(s->report_arg, s->topn, rep)) {
				free(rep);
				rep = NULL;
			}
		}
		if (ok && s->extra) {
			xs = calloc(PL_METRICS_EXTRA_MAX, sizeof(*xs));
			nx = xs ? s->extra(s->extra_arg, xs, PL_METRICS_EXTRA_MAX) : 0;
			if (nx < 0)
				nx = 0;
		}
		have_info = s->have_info;
		info = s->info;
		s->requests++;
		pthread_mutex_unlock(&s->read_lock);

		while (len == -ENOSPC && cap <= (8u << 20)) {
			char *nb = realloc(body, cap);

			if (!nb)
				break;
			body = nb;
			len = pl_metrics_render_ex(body, cap, s->path, have_info ? &info : NULL,
						   ok ? &cnt : NULL, rep);
			if (len >= 0 && nx) {
				struct out o = { body, cap, (size_t)len, 0 };
				char base[768];

				base_labels(base, sizeof(base), s->path, have_info ? &info : NULL);
				render_extra(&o, base, xs, (unsigned)nx);
				len = o.overflow ? -ENOSPC : (int)o.off;
			}
			cap *= 2;
		}
		free(rep);
		free(xs);
		if (len < 0)
			respond_error(fd, 500, "Internal Server Error", NULL, head, deadline);
		else
			respond(fd, ok ? 200 : 503, ok ? "OK" : "Service Unavailable",
				"text/plain; version=0.0.4; charset=utf-8", NULL, body, (size_t)len, head,
				deadline);
		free(body);
	}
}

/* A connection's thread: serve it, close it, free its slot. */
static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct pl_metrics_server *s = c->s;
	int fd = s->conn_fd[c->slot]; /* set before the thread started */

	serve_conn(s, fd);
	shutdown(fd, SHUT_WR);
	pthread_mutex_lock(&s->lock);
	s->conn_fd[c->slot] = -1;
	close(fd); /* under the lock: pl_metrics_stop never shuts down a reused fd */
	if (--s->nconns == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	free(c);
	return NULL;
}

/* Hand connection fd to a thread of its own; at the cap (or without
 * memory for a thread) answer 503 at once, without waiting on the client. */
static void conn_start(struct pl_metrics_server *s, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; "
				   "charset=utf-8\r\nContent-Length: 22\r\nRetry-After: 1\r\n"
				   "Connection: close\r\n\r\n503 too many clients\n";
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c = NULL;
	int slot = -1;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < MAX_CONNS && slot < 0; i++)
		if (s->conn_fd[i] < 0)
			slot = i;
	if (slot >= 0 && (c = malloc(sizeof(*c)))) {
		c->s = s;
		c->slot = slot;
		s->conn_fd[slot] = fd;
		s->nconns++;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024); /* serve_conn needs ~10 KiB */
		if (pthread_create(&t, &attr, conn_thread, c)) {
			s->conn_fd[slot] = -1;
			s->nconns--;
			free(c);
			c = NULL;
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&s->lock);
	if (c)
		return;
	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	close(fd);
}

/* The accepting thread: until told to stop, give each connection a thread. */
static void *serve_loop(void *arg)
{
	struct pl_metrics_server *s = arg;
	int fd;

	while ((fd = pl_io_accept(s->lfd, s->stop_pipe[0])) >= 0)
		conn_start(s, fd);
	return NULL;
}

/* Split "ADDR:PORT", "[V6]:PORT" or ":PORT" (any address). */
static int split_addr(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= hlen)
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= hlen || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	if (!colon[1] || strlen(colon + 1) >= plen || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	strcpy(port, colon + 1);
	return atoi(port) <= 65535 ? 0 : -EINVAL;
}

/* Check "ADDR:PORT" (syntax and that ADDR is a numeric or known address). */
int pl_metrics_check_addr(const char *addr_port, struct pl_err *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char host[256], port[8];
	int gai;

	if (!addr_port || split_addr(addr_port, host, sizeof(host), port, sizeof(port))) {
		snprintf(err->msg, sizeof(err->msg),
			 "metrics address '%s' is not ADDR:PORT (e.g. 127.0.0.1:9100, [::1]:9100, :9100)",
			 addr_port ? addr_port : "");
		return -EINVAL;
	}
	gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (gai) {
		snprintf(err->msg, sizeof(err->msg), "metrics address '%s': %s", addr_port,
			 gai_strerror(gai));
		return -EINVAL;
	}
	freeaddrinfo(ai);
	return 0;
}

/* Stop the server thread and free it; accepts NULL. */
void pl_metrics_stop(struct pl_metrics_server *s)
{
	if (!s)
		return;
	if (s->running) {
		if (write(s->stop_pipe[1], "x", 1) < 0) {
			/* the pipe is ours and empty: cannot fail in practice */
		}
		pthread_join(s->thread, NULL);
		/* No new connections now; end the ones being served (their
		 * polls return at once) and wait for their threads. */
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < MAX_CONNS; i++)
			if (s->conn_fd[i] >= 0)
				shutdown(s->conn_fd[i], SHUT_RDWR);
		while (s->nconns > 0)
			pthread_cond_wait(&s->idle, &s->lock);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->read_lock);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	free(s);
}

/* Labels for every series from now on. */
void pl_metrics_set_info(struct pl_metrics_server *s, const struct pl_metrics_info *info)
{
	pthread_mutex_lock(&s->read_lock);
	s->info = *info;
	s->have_info = 1;
	pthread_mutex_unlock(&s->read_lock);
}

/* The tables' series (top n) from now on. */
void pl_metrics_set_report(struct pl_metrics_server *s, pl_metrics_report_fn fn, void *arg, unsigned n)
{
	pthread_mutex_lock(&s->read_lock);
	s->report = fn;
	s->report_arg = arg;
	s->topn = n;
	pthread_mutex_unlock(&s->read_lock);
}

/* A front end's own series from now on. */
void pl_metrics_set_extra(struct pl_metrics_server *s, pl_metrics_extra_fn fn, void *arg)
{
	pthread_mutex_lock(&s->read_lock);
	s->extra = fn;
	s->extra_arg = arg;
	pthread_mutex_unlock(&s->read_lock);
}

/* The TCP port the server listens on (useful with port 0). */
uint16_t pl_metrics_port(const struct pl_metrics_server *s)
{
	return s->port;
}

/* Start serving /metrics on addr_port in a thread. */
int pl_metrics_serve(const char *addr_port, const char *path_label, pl_metrics_read_fn read,
		     void *arg, struct pl_metrics_server **out, struct pl_err *err)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct pl_metrics_server *s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[8];
	struct addrinfo *ai = NULL;
	int one = 1, ret, gai;

	*out = NULL;
	ret = pl_metrics_check_addr(addr_port, err);
	if (ret)
		return ret;
	split_addr(addr_port, host, sizeof(host), port, sizeof(port)); /* checked above */
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	s->lfd = s->stop_pipe[0] = s->stop_pipe[1] = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		s->conn_fd[i] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_mutex_init(&s->read_lock, NULL);
	s->read = read;
	s->arg = arg;
	snprintf(s->path, sizeof(s->path), "%s", path_label ? path_label : "");
	gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (gai) {
		snprintf(err->msg, sizeof(err->msg), "metrics address '%s': %s", addr_port,
			 gai_strerror(gai));
		ret = -EINVAL;
		goto err_free;
	}
	s->lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto err_sys;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, ai->ai_addr, ai->ai_addrlen) || listen(s->lfd, 16))
		goto err_sys;
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl))
		goto err_sys;
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	if (pipe2(s->stop_pipe, O_CLOEXEC))
		goto err_sys;
	ret = -pthread_create(&s->thread, NULL, serve_loop, s);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "metrics server thread: %s", strerror(-ret));
		goto err_free;
	}
	s->running = 1;
	freeaddrinfo(ai);
	*out = s;
	return 0;
err_sys:
	ret = -errno;
	snprintf(err->msg, sizeof(err->msg), "metrics server on %s: %s%s", addr_port, strerror(-ret),
		 ret == -EADDRINUSE ? " (another process uses that port: pick another)" : "");
err_free:
	if (ai)
		freeaddrinfo(ai);
	pl_metrics_stop(s);
	return ret;
}
