// SPDX-License-Identifier: MIT
/* What a running datapath does, read back from the core's tables: its
 * configuration, counters, hits per ACL rule (with the rule written out),
 * per LB service and backend, per responder route, and the top sources by
 * packets, bytes and rate-limit / SYN-guard drops (top-N only: bounded
 * output whatever the tables hold). One reader for every backend (BPF maps,
 * user-space tables, while the datapath runs), one text form for
 * `pathlab-policy show/top` and one Prometheus form. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "pl_user.h" /* first: brings pl_platform.h before linux/ headers */
#include "pl_ctl.h"
#include "ctl_int.h"
#include "stages/count.h"
#include "stages/lb.h"
#include "stages/ratelimit.h"
#include "stages/responder.h"

_Static_assert(sizeof(((struct pl_report_route *)0)->path) == PL_RESP_PATH_MAX + 1,
	       "route path holds a whole key");

/* ---- aggregation of per-copy entries by key ---- */

struct agg_ent {
	struct pl_addr addr;
	__u32 family;
	__u32 used;
	__u64 a, b;
};

struct agg {
	struct agg_ent *e;
	size_t mask, n;
	int bucket; /* 1: values are struct pl_bucket (a = drops), else pl_src_stats */
};

static size_t agg_hash(const struct pl_addr *a, __u32 fam)
{
	__u64 h = 1469598103934665603ull ^ fam;

	for (int i = 0; i < 4; i++)
		h = (h ^ a->w[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static int agg_grow(struct agg *g)
{
	size_t cap = g->e ? (g->mask + 1) * 2 : 1024;
	struct agg_ent *ne = calloc(cap, sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	for (size_t i = 0; g->e && i <= g->mask; i++) {
		size_t j;

		if (!g->e[i].used)
			continue;
		for (j = agg_hash(&g->e[i].addr, g->e[i].family) & (cap - 1); ne[j].used; j = (j + 1) & (cap - 1))
			;
		ne[j] = g->e[i];
	}
	free(g->e);
	g->e = ne;
	g->mask = cap - 1;
	return 0;
}

static int agg_add(struct agg *g, const struct pl_addr *a, __u32 fam, __u64 x, __u64 y)
{
	size_t j;

	if (!x && !y)
		return 0;
	if (!g->e || 2 * (g->n + 1) > g->mask + 1) {
		int err = agg_grow(g);

		if (err)
			return err;
	}
	for (j = agg_hash(a, fam) & g->mask; g->e[j].used; j = (j + 1) & g->mask) {
		if (g->e[j].family == fam && !memcmp(&g->e[j].addr, a, sizeof(*a))) {
			g->e[j].a += x;
			g->e[j].b += y;
			return 0;
		}
	}
	g->e[j] = (struct agg_ent){ *a, fam, 1, x, y };
	g->n++;
	return 0;
}

/* The family of a v4-mapped address (::ffff:a.b.c.d) is 4. */
static __u32 addr_family(const struct pl_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == htonl(0xffff) ? 4 : 6;
}

static int walk_src(const void *key, const void *val, void *arg)
{
	const struct pl_src_stats *s = val;

	return agg_add(arg, key, addr_family(key), s->packets, s->bytes);
}

static int walk_bucket(const void *key, const void *val, void *arg)
{
	const struct pl_src_key *k = key;
	const struct pl_bucket *b = val;

	if (!k->family)
		return 0; /* the one bucket of every source (aggregate, global SYN): no source */
	return agg_add(arg, &k->addr, k->family, b->drops, 0);
}

/* The n largest by a (by_b: by b), largest first, ties by address. */
static unsigned agg_top(const struct agg *g, int by_b, struct pl_report_src *out, unsigned n)
{
	unsigned k = 0;

	for (size_t i = 0; g->e && i <= g->mask; i++) {
		const struct agg_ent *e = &g->e[i];
		__u64 v = by_b ? e->b : e->a;
		unsigned j;

		if (!e->used)
			continue;
		for (j = k; j > 0; j--) {
			__u64 w = by_b ? out[j - 1].bytes : out[j - 1].packets;

			if (w > v || (w == v && memcmp(&out[j - 1].addr, &e->addr, sizeof(e->addr)) < 0))
				break;
		}
		if (j >= n)
			continue;
		if (k < n)
			k++;
		memmove(&out[j + 1], &out[j], (k - 1 - j) * sizeof(*out));
		out[j] = (struct pl_report_src){ e->addr, e->family, e->a, e->b };
	}
	return k;
}

/* Walk a per-source table (and a second one, shared, when given: its
 * values start with a struct pl_bucket) into the top-N lists. */
static int read_top(struct pl_ctl *c, const char *table, const char *shared, int bucket,
		    struct pl_report_src *by_a, unsigned *na, struct pl_report_src *by_b, unsigned *nb,
		    unsigned n)
{
	struct agg g = { .bucket = bucket };
	int err = pl_ctl_walk(c, table, bucket ? walk_bucket : walk_src, &g);

	if (err == -ESRCH)
		err = 0; /* a build without that stage */
	if (!err && shared) {
		err = pl_ctl_walk(c, shared, walk_bucket, &g);
		if (err == -ESRCH)
			err = 0;
	}
	if (!err) {
		*na = agg_top(&g, 0, by_a, n);
		if (by_b)
			*nb = agg_top(&g, 1, by_b, n);
	}
	free(g.e);
	return err;
}

/* ---- shared tables ---- */

static int read_lb(struct pl_ctl *c, struct pl_report *r)
{
	struct pl_lb_svc_key k, prev;
	struct pl_lb_svc s;
	struct pl_lb_stats st;
	int err, first = 1;

	while (r->nsvc < PL_REPORT_SVC_MAX &&
	       !(err = pl_ctl_next_key(c, "pl_lb_services", first ? NULL : &prev, &k))) {
		struct pl_report_svc *o = &r->svc[r->nsvc];

		first = 0;
		prev = k;
		if (pl_ctl_lookup(c, "pl_lb_services", &k, &s))
			continue;
		o->vip = k.vip;
		o->family = k.family;
		o->port = k.port;
		o->proto = k.proto;
		o->id = s.id;
		o->mode = s.mode;
		if (!pl_ctl_sum_percpu_u64(c, "pl_lb_svc_stats", &s.id, (__u64 *)&st, 4)) {
			o->packets = st.packets;
			o->new_flows = st.new_flows;
			o->no_backend = st.no_backend;
		}
		r->nsvc++;
	}
	if (err && err != -ENOENT && err != -ESRCH)
		return err;
	for (__u32 id = 0; id < PL_LB_BACKEND_MAX && r->nbe < PL_REPORT_BE_MAX; id++) {
		struct pl_lb_backend b;
		struct pl_report_be *o = &r->be[r->nbe];
		static const struct pl_addr none;
		int in_svc = 0;

		if (pl_ctl_lookup(c, "pl_lb_backends", &id, &b))
			break;
		if (!memcmp(&b.addr, &none, sizeof(none)) && !b.weight)
			continue; /* never written */
		for (unsigned i = 0; i < r->nsvc; i++)
			in_svc |= r->svc[i].id == b.svc;
		if (!in_svc)
			continue; /* left over from a removed service */
		memset(&st, 0, sizeof(st));
		pl_ctl_sum_percpu_u64(c, "pl_lb_be_stats", &id, (__u64 *)&st, 4);
		o->id = id;
		o->svc = b.svc;
		o->state = b.state;
		o->addr = b.addr;
		o->family = addr_family(&b.addr);
		o->port = b.port;
		o->packets = st.packets;
		o->new_flows = st.new_flows;
		r->nbe++;
	}
	return 0;
}

static int read_routes(struct pl_ctl *c, struct pl_report *r)
{
	struct pl_resp_path k, prev;
	struct pl_resp_route *v = malloc(sizeof(*v));
	int err, first = 1;

	if (!v)
		return -ENOMEM;
	while (r->nroute < PL_REPORT_ROUTE_MAX &&
	       !(err = pl_ctl_next_key(c, "pl_resp_routes", first ? NULL : &prev, &k))) {
		struct pl_report_route *o = &r->route[r->nroute];
		__u32 id;

		first = 0;
		prev = k;
		if (pl_ctl_lookup(c, "pl_resp_routes", &k, v))
			continue;
		id = v->id;
		memcpy(o->path, k.p, PL_RESP_PATH_MAX);
		o->path[PL_RESP_PATH_MAX] = '\0';
		o->status = 0;
		sscanf((const char *)v->data, "HTTP/1.1 %u", &o->status);
		o->hits = 0;
		pl_ctl_sum_percpu_u64(c, "pl_resp_hits", &id, &o->hits, 1);
		r->nroute++;
	}
	free(v);
	return err == -ENOENT || err == -ESRCH ? 0 : err;
}

int pl_report_read(struct pl_ctl *c, unsigned topn, struct pl_report *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	if (topn > PL_REPORT_TOP_MAX)
		topn = PL_REPORT_TOP_MAX;
	r->topn = topn;
	err = pl_ctl_get_config(c, &r->cfg);
	if (!err)
		err = pl_ctl_read_counters(c, &r->cnt);
	if (err)
		return err;
	r->have_acl = !pl_ctl_read_acl(c, &r->acl, r->acl_hits);
	err = read_top(c, "pl_src", NULL, 0, r->src_pkts, &r->nsrc, r->src_bytes, &r->nsrc, topn);
	if (!err)
		err = read_top(c, "pl_rl_buckets", "pl_rl_shared", 1, r->rl_drops, &r->nrl, NULL, NULL,
			       topn);
	if (!err)
		err = read_top(c, "pl_syn_buckets", "pl_syn_shared", 1, r->syn_drops, &r->nsyn, NULL,
			       NULL, topn);
	if (!err)
		err = read_lb(c, r);
	if (!err)
		err = read_routes(c, r);
	return err;
}

/* ---- text ---- */

void pl_addr_format(const struct pl_addr *a, unsigned family, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family == 4)
		inet_ntop(AF_INET, &a->b[12], tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, a->b, tmp, sizeof(tmp));
	snprintf(buf, len, "%s", tmp);
}

/* Prefix length of a mask (the ACL's masks are contiguous). */
static unsigned mask_len(const struct pl_addr *m)
{
	unsigned n = 0;

	for (int i = 0; i < 16; i++)
		n += (unsigned)__builtin_popcount(m->b[i]);
	return n;
}

static size_t fmt_prefix(char *p, size_t len, const char *kw, const struct pl_addr *a,
			 const struct pl_addr *m, unsigned fam)
{
	char s[INET6_ADDRSTRLEN];
	unsigned l = mask_len(m);

	if (!l)
		return 0;
	if (fam == 4)
		l = l > 96 ? l - 96 : l;
	pl_addr_format(a, fam == 4 ? 4 : 6, s, sizeof(s));
	return (size_t)snprintf(p, len, " %s %s/%u", kw, s, l);
}

static size_t fmt_ports(char *p, size_t len, const char *kw, unsigned lo, unsigned hi)
{
	if (lo == 0 && hi == 65535)
		return 0;
	if (lo == hi)
		return (size_t)snprintf(p, len, " %s %u", kw, lo);
	return (size_t)snprintf(p, len, " %s %u-%u", kw, lo, hi);
}

void pl_acl_rule_format(const struct pl_acl_rule *r, char *buf, size_t len)
{
	static const char *const act[] = { "drop", "pass", "user" };
	size_t o;

	o = (size_t)snprintf(buf, len, "acl %s", r->action < 3 ? act[r->action] : "?");
	if (o < len && r->family)
		o += (size_t)snprintf(buf + o, len - o, " ipv%u", r->family);
	if (o < len && r->proto) {
		const char *pn = r->proto == 6 ? "tcp" : r->proto == 17 ? "udp" : r->proto == 1 ? "icmp"
			       : r->proto == 58 ? "icmpv6" : NULL;

		if (pn)
			o += (size_t)snprintf(buf + o, len - o, " proto %s", pn);
		else
			o += (size_t)snprintf(buf + o, len - o, " proto %u", r->proto);
	}
	if (o < len)
		o += fmt_prefix(buf + o, len - o, "from", &r->src, &r->src_mask, r->family);
	if (o < len)
		o += fmt_prefix(buf + o, len - o, "to", &r->dst, &r->dst_mask, r->family);
	if (o < len)
		o += fmt_ports(buf + o, len - o, "sport", r->sport_lo, r->sport_hi);
	if (o < len)
		fmt_ports(buf + o, len - o, "dport", r->dport_lo, r->dport_hi);
}

void pl_report_svc_name(const struct pl_report_svc *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	pl_addr_format(&s->vip, s->family, a, sizeof(a));
	snprintf(buf, len, s->family == 6 ? "[%s]:%u/%s" : "%s:%u/%s", a, s->port,
		 s->proto == 6 ? "tcp" : s->proto == 17 ? "udp" : "?");
}

void pl_report_be_name(const struct pl_report_be *b, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	pl_addr_format(&b->addr, b->family, a, sizeof(a));
	if (b->port)
		snprintf(buf, len, b->family == 6 ? "[%s]:%u" : "%s:%u", a, b->port);
	else
		snprintf(buf, len, "%s", a);
}

const char *pl_lb_state_name(unsigned s)
{
	return s == 0 ? "up" : s == 1 ? "draining" : s == 2 ? "down" : "?";
}

/* The service a backend belongs to, by id, or NULL. */
static const struct pl_report_svc *svc_of(const struct pl_report *r, unsigned id)
{
	for (unsigned i = 0; i < r->nsvc; i++)
		if (r->svc[i].id == id)
			return &r->svc[i];
	return NULL;
}

static void print_top(FILE *f, const char *title, const struct pl_report_src *t, unsigned n,
		      int drops)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s:%s\n", title, n ? "" : " none");
	for (unsigned i = 0; i < n; i++) {
		pl_addr_format(&t[i].addr, t[i].family, a, sizeof(a));
		if (drops)
			fprintf(f, "  %-40s drops=%llu\n", a, (unsigned long long)t[i].packets);
		else
			fprintf(f, "  %-40s packets=%llu bytes=%llu\n", a, (unsigned long long)t[i].packets,
				(unsigned long long)t[i].bytes);
	}
}

void pl_report_print(FILE *f, const struct pl_report *r, int what)
{
	char name[160];

	if (what & PL_REPORT_CONFIG) {
		const struct pl_config *cfg = &r->cfg;

		fprintf(f, "mode=%s malformed=%s default=%s acl_bank=%u acl_default=%s fwd_mode=%u "
			   "steer=%u src_stats=%u ratelimit=%u synguard=%u responder=%u lb=%u clock_ns=%llu\n",
			pl_mode_name(cfg->mode), pl_verdict_name(cfg->malformed_verdict),
			pl_verdict_name(cfg->default_verdict), cfg->acl_bank, pl_verdict_name(cfg->acl_default),
			cfg->fwd_mode, cfg->steer_enabled, cfg->src_stats, cfg->rl_enabled, cfg->syn_enabled,
			cfg->resp_enabled, cfg->lb_enabled, (unsigned long long)cfg->clock_ns);
	}
	if (what & (PL_REPORT_COUNTERS | PL_REPORT_ALL_COUNTERS))
		for (int i = 0; i < PL_CNT__MAX; i++)
			if (r->cnt.c[i] || (what & PL_REPORT_ALL_COUNTERS))
				fprintf(f, "%-22s %llu\n", pl_counter_name(i), (unsigned long long)r->cnt.c[i]);
	if ((what & PL_REPORT_TABLES) && r->have_acl)
		for (__u32 i = 0; i < r->acl.count && i < PL_ACL_MAX; i++) {
			pl_acl_rule_format(&r->acl.rule[i], name, sizeof(name));
			fprintf(f, "acl rule %-2u (policy line %u) %llu hits: %s\n", i, r->acl.rule[i].line,
				(unsigned long long)r->acl_hits[i], name);
		}
	if (what & PL_REPORT_TABLES) {
		for (unsigned i = 0; i < r->nsvc; i++) {
			pl_report_svc_name(&r->svc[i], name, sizeof(name));
			fprintf(f, "lb service %s (id %u): packets=%llu new_flows=%llu no_backend=%llu\n", name,
				r->svc[i].id, (unsigned long long)r->svc[i].packets,
				(unsigned long long)r->svc[i].new_flows, (unsigned long long)r->svc[i].no_backend);
		}
		for (unsigned i = 0; i < r->nbe; i++) {
			const struct pl_report_svc *s = svc_of(r, r->be[i].svc);
			char sn[80] = "?";

			if (s)
				pl_report_svc_name(s, sn, sizeof(sn));
			pl_report_be_name(&r->be[i], name, sizeof(name));
			fprintf(f, "lb backend %s of %s (id %u, %s): packets=%llu new_flows=%llu\n", name, sn,
				r->be[i].id, pl_lb_state_name(r->be[i].state),
				(unsigned long long)r->be[i].packets, (unsigned long long)r->be[i].new_flows);
		}
		for (unsigned i = 0; i < r->nroute; i++)
			fprintf(f, "responder route %s (status %u): %llu responses\n", r->route[i].path,
				r->route[i].status, (unsigned long long)r->route[i].hits);
	}
	if (what & PL_REPORT_TOP) {
		print_top(f, "top sources by packets", r->src_pkts, r->nsrc, 0);
		print_top(f, "top sources by bytes", r->src_bytes, r->nsrc, 0);
		print_top(f, "top sources by rate-limit drops", r->rl_drops, r->nrl, 1);
		print_top(f, "top sources by SYN-guard drops", r->syn_drops, r->nsyn, 1);
	}
}
