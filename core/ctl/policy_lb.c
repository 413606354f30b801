// SPDX-License-Identifier: MIT
/* Policy keyword of the lb stage:
 *   lb service NAME VIP PORT tcp|udp [mode dsr|ipip|nat] [size PRIME] [encap-src ADDR]
 *   lb backend NAME ADDR [port N] [weight N] [state up|draining|down]
 *              [mac MAC] [src-mac MAC] [via IFACE|tx|pass]
 *   lb seed N   (the flow hash seed; default: random, kept across reloads)
 * A backend names its service (declared before it). Apply writes the
 * services, the backends, each service's Maglev table (built from its
 * backends that are up, by weight) and the reverse-NAT entries; the per-CPU
 * connection table is left alone, so re-applying with a changed state
 * drains or removes a backend while running. */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "policy_int.h"
#include "stages/lb.h"

struct lb_svc_ent {
	char name[32];
	struct pl_lb_svc_key k;
	struct pl_lb_svc v;
	__u8 family;
	unsigned line;
};

struct lb_be_ent {
	unsigned svc;
	struct pl_lb_backend b;
	char via[IF_NAMESIZE]; /* "" with out_port set to TX or PASS */
	unsigned line;
};

struct lb_data {
	unsigned nsvc, nbe;
	__u32 seed;       /* 0: not given */
	unsigned seed_line;
	struct lb_svc_ent svc[PL_LB_SVC_MAX];
	struct lb_be_ent be[PL_LB_BACKEND_MAX];
};

static int is_prime(unsigned long n)
{
	if (n < 2)
		return 0;
	for (unsigned long i = 2; i * i <= n; i++)
		if (n % i == 0)
			return 0;
	return 1;
}

static int lb_service(struct pl_parse *ps, struct lb_data *d, int argc, char **argv)
{
	static const char *const modes[] = { "dsr", "ipip", "nat" };
	struct lb_svc_ent s = { .line = ps->line };
	unsigned long n;
	__u8 fam;

	if (argc < 6)
		return pl_parse_fail(ps, "lb service takes NAME VIP PORT tcp|udp (usage: %s)", ps->usage);
	if (strlen(argv[2]) >= sizeof(s.name))
		return pl_parse_fail(ps, "service name longer than %zu characters", sizeof(s.name) - 1);
	strcpy(s.name, argv[2]);
	if (pl_parse_addr(ps, argv[3], "service VIP", &s.k.vip, &s.family) ||
	    pl_parse_uint(ps, argv[4], 1, 65535, "service port", &n))
		return -EINVAL;
	s.k.family = s.family;
	s.k.port = (__u16)n;
	if (!strcmp(argv[5], "tcp"))
		s.k.proto = IPPROTO_TCP;
	else if (!strcmp(argv[5], "udp"))
		s.k.proto = IPPROTO_UDP;
	else
		return pl_parse_fail(ps, "service protocol '%s': use tcp or udp", argv[5]);
	s.v.ring_size = PL_LB_RING;
	for (int i = 6; i < argc; i += 2) {
		if (i + 1 >= argc)
			return pl_parse_fail(ps, "'%s' needs a value (usage: %s)", argv[i], ps->usage);
		if (!strcmp(argv[i], "mode")) {
			int m = pl_parse_choice(ps, argv[i + 1], "lb mode", modes, 3);

			if (m < 0)
				return m;
			s.v.mode = (__u32)m;
		} else if (!strcmp(argv[i], "size")) {
			if (pl_parse_uint(ps, argv[i + 1], 3, PL_LB_RING, "Maglev table size", &n))
				return -EINVAL;
			if (!is_prime(n))
				return pl_parse_fail(ps, "Maglev table size %lu is not prime (try 251, 4093, 65537)", n);
			s.v.ring_size = (__u32)n;
		} else if (!strcmp(argv[i], "encap-src")) {
			if (pl_parse_addr(ps, argv[i + 1], "encap-src", &s.v.encap_src, &fam))
				return -EINVAL;
			if (fam != s.family)
				return pl_parse_fail(ps, "encap-src must be IPv%u like the VIP", s.family);
		} else {
			return pl_parse_fail(ps, "unexpected '%s' (usage: %s)", argv[i], ps->usage);
		}
	}
	if (s.v.mode == PL_LB_IPIP && !s.v.encap_src.w[0] && !s.v.encap_src.w[3])
		return pl_parse_fail(ps, "mode ipip needs 'encap-src ADDR' (the outer source address)");
	for (unsigned i = 0; i < d->nsvc; i++) {
		if (!strcmp(d->svc[i].name, s.name))
			return pl_parse_fail(ps, "service %s already declared at line %u", s.name, d->svc[i].line);
		if (!memcmp(&d->svc[i].k, &s.k, sizeof(s.k)))
			return pl_parse_fail(ps, "same VIP, port and protocol as service %s (line %u)",
					     d->svc[i].name, d->svc[i].line);
	}
	if (d->nsvc >= PL_LB_SVC_MAX)
		return pl_parse_fail(ps, "more than %d services", PL_LB_SVC_MAX);
	s.v.id = d->nsvc;
	d->svc[d->nsvc++] = s;
	return 0;
}

static int lb_backend(struct pl_parse *ps, struct lb_data *d, int argc, char **argv)
{
	static const char *const states[] = { "up", "draining", "down" };
	struct lb_be_ent e = { .line = ps->line };
	unsigned long n;
	unsigned si;
	__u8 fam;

	if (argc < 4)
		return pl_parse_fail(ps, "lb backend takes SERVICE ADDR (usage: %s)", ps->usage);
	for (si = 0; si < d->nsvc; si++)
		if (!strcmp(d->svc[si].name, argv[2]))
			break;
	if (si == d->nsvc)
		return pl_parse_fail(ps, "unknown service '%s' (declare it with 'lb service' first)", argv[2]);
	e.svc = si;
	if (pl_parse_addr(ps, argv[3], "backend address", &e.b.addr, &fam))
		return -EINVAL;
	if (fam != d->svc[si].family)
		return pl_parse_fail(ps, "backend must be IPv%u like the VIP of %s", d->svc[si].family,
				     argv[2]);
	e.b.weight = 1;
	e.b.out_port = PL_LB_OUT_TX;
	for (int i = 4; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return pl_parse_fail(ps, "'%s' needs a value (usage: %s)", argv[i], ps->usage);
		if (!strcmp(argv[i], "port")) {
			if (pl_parse_uint(ps, v, 1, 65535, "backend port", &n))
				return -EINVAL;
			e.b.port = (__u16)n;
		} else if (!strcmp(argv[i], "weight")) {
			if (pl_parse_uint(ps, v, 0, 1000, "backend weight", &n))
				return -EINVAL;
			e.b.weight = (__u32)n;
		} else if (!strcmp(argv[i], "state")) {
			int s = pl_parse_choice(ps, v, "backend state", states, 3);

			if (s < 0)
				return s;
			e.b.state = (__u8)s;
		} else if (!strcmp(argv[i], "mac")) {
			if (pl_parse_mac(ps, v, "backend mac", e.b.mac))
				return -EINVAL;
		} else if (!strcmp(argv[i], "src-mac")) {
			if (pl_parse_mac(ps, v, "backend src-mac", e.b.smac))
				return -EINVAL;
		} else if (!strcmp(argv[i], "via")) {
			if (!strcmp(v, "tx"))
				e.b.out_port = PL_LB_OUT_TX;
			else if (!strcmp(v, "pass"))
				e.b.out_port = PL_LB_OUT_PASS;
			else if (strlen(v) >= IF_NAMESIZE)
				return pl_parse_fail(ps, "'%s' is not an interface name", v);
			else
				strcpy(e.via, v);
		} else {
			return pl_parse_fail(ps, "unexpected '%s' (usage: %s)", argv[i], ps->usage);
		}
	}
	/* Replies of a NAT backend are told apart by their source address,
	 * port and protocol alone (pl_lb_rnat): two NAT services cannot
	 * share one. */
	if (d->svc[si].v.mode == PL_LB_NAT) {
		__u16 port = e.b.port ? e.b.port : d->svc[si].k.port;

		for (unsigned i = 0; i < d->nbe; i++) {
			const struct lb_svc_ent *o = &d->svc[d->be[i].svc];

			if (d->be[i].svc == si || o->v.mode != PL_LB_NAT || o->k.proto != d->svc[si].k.proto ||
			    o->family != d->svc[si].family ||
			    (d->be[i].b.port ? d->be[i].b.port : o->k.port) != port ||
			    memcmp(&d->be[i].b.addr, &e.b.addr, sizeof(e.b.addr)))
				continue;
			return pl_parse_fail(ps,
					     "NAT backend %s port %u %s is already a backend of NAT service %s (line %u): "
					     "its replies could not be told apart; give one of them another port",
					     argv[3], port, d->svc[si].k.proto == IPPROTO_TCP ? "tcp" : "udp",
					     o->name, d->be[i].line);
		}
	}
	if (d->nbe >= PL_LB_BACKEND_MAX)
		return pl_parse_fail(ps, "more than %d backends", PL_LB_BACKEND_MAX);
	d->be[d->nbe++] = e;
	return 0;
}

/* lb service ... | lb backend ... */
int pl_kw_lb(struct pl_parse *ps, void *data, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "service"))
		return lb_service(ps, data, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "backend"))
		return lb_backend(ps, data, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "seed")) {
		struct lb_data *d = data;
		unsigned long n;

		if (argc != 3)
			return pl_parse_fail(ps, "lb seed takes one number, 1-4294967295");
		if (d->seed_line)
			return pl_parse_fail(ps, "lb seed already given at line %u", d->seed_line);
		if (pl_parse_uint(ps, argv[2], 1, 0xffffffffu, "lb seed", &n))
			return -EINVAL;
		d->seed = (__u32)n;
		d->seed_line = ps->line;
		return 0;
	}
	return pl_parse_fail(ps, "lb takes 'service', 'backend' or 'seed' (usage: %s)", ps->usage);
}

static int lb_finish(struct pl_parse *ps, void *data)
{
	pl_parse_cfg(ps)->lb_enabled = ((struct lb_data *)data)->nsvc > 0;
	pl_parse_cfg(ps)->lb_seed = ((struct lb_data *)data)->seed; /* 0: chosen by the apply */
	return 0;
}

/* Resolve interfaces; queue services, backends, rings, reverse NAT. */
static int lb_prepare(struct pl_apply *a, const void *data)
{
	const struct lb_data *d = data;
	__u32 probe = 0, *ring = NULL;
	int has_devmap = pl_apply_has_table(a, "pl_tx_ports", &probe, sizeof(__u32));
	struct pl_lb_maglev_in *in = NULL;
	int err = 0;

	/* The flow hash seed: the policy's, else the one the datapath already
	 * has (a reload keeps flows where they are), else a random one. */
	a->cfg.lb_seed = d->seed ? d->seed : a->old_cfg.lb_seed;
	while (!a->cfg.lb_seed)
		if (getrandom(&a->cfg.lb_seed, sizeof(a->cfg.lb_seed), 0) != sizeof(a->cfg.lb_seed))
			return pl_apply_fail(a, 0, -EIO, "cannot read a random lb seed: %s (give 'lb seed N')",
					     strerror(errno));
	if (!d->nsvc)
		goto sync;
	ring = calloc(PL_LB_RING, sizeof(*ring));
	in = calloc(PL_LB_BACKEND_MAX, sizeof(*in));
	if (!ring || !in) {
		err = pl_apply_fail(a, 0, -ENOMEM, "out of memory building Maglev tables");
		goto out_free;
	}
	for (unsigned i = 0; i < d->nbe && !err; i++) {
		struct pl_lb_backend b = d->be[i].b;
		__u32 id = i, ifindex;

		b.svc = (__u8)d->svc[d->be[i].svc].v.id;

		if (d->be[i].via[0]) {
			err = pl_apply_port(a, d->be[i].line, d->be[i].via, &ifindex, &b.out_port);
			if (!err && has_devmap)
				err = pl_apply_put(a, "pl_tx_ports", &b.out_port, sizeof(__u32), &ifindex,
						   sizeof(ifindex), d->be[i].line);
		}
		if (!err)
			err = pl_apply_put(a, "pl_lb_backends", &id, sizeof(id), &b, sizeof(b), d->be[i].line);
		if (!err && d->svc[d->be[i].svc].v.mode == PL_LB_NAT) {
			const struct lb_svc_ent *s = &d->svc[d->be[i].svc];
			struct pl_lb_rnat_key rk = { .addr = b.addr, .proto = s->k.proto, .family = s->family };
			struct pl_lb_rnat_val rv = { .vip = s->k.vip, .port = s->k.port };

			rk.port = b.port ? b.port : s->k.port;
			err = pl_apply_put(a, "pl_lb_rnat", &rk, sizeof(rk), &rv, sizeof(rv), d->be[i].line);
		}
	}
	/* Ids no line uses are set down: a backend deleted by a reload keeps
	 * no flows (they are placed again). */
	for (__u32 id = d->nbe; id < PL_LB_BACKEND_MAX && !err; id++) {
		struct pl_lb_backend down = { .state = PL_LB_DOWN };

		err = pl_apply_put(a, "pl_lb_backends", &id, sizeof(id), &down, sizeof(down), 0);
	}
	for (unsigned s = 0; s < d->nsvc && !err; s++) {
		unsigned n = 0, m = d->svc[s].v.ring_size;

		for (unsigned i = 0; i < d->nbe; i++) {
			const struct pl_lb_backend *b = &d->be[i].b;

			if (d->be[i].svc != s || b->state != PL_LB_UP || !b->weight)
				continue;
			memset(&in[n], 0, sizeof(in[n]));
			in[n].id = i;
			in[n].weight = b->weight;
			memcpy(in[n].key, b->addr.b, 16);
			in[n].key[4] = b->port;
			n++;
		}
		err = pl_lb_maglev_build(ring, m, in, n);
		if (err) {
			err = pl_apply_fail(a, d->svc[s].line, err, "cannot build the Maglev table");
			break;
		}
		for (unsigned slot = 0; slot < m && !err; slot++) {
			__u32 key = s * PL_LB_RING + slot;

			err = pl_apply_put(a, "pl_lb_ring", &key, sizeof(key), &ring[slot], sizeof(__u32),
					   d->svc[s].line);
		}
		if (!err)
			err = pl_apply_put(a, "pl_lb_services", &d->svc[s].k, sizeof(d->svc[s].k), &d->svc[s].v,
					   sizeof(d->svc[s].v), d->svc[s].line);
	}
out_free:
	free(ring);
	free(in);
	if (err)
		return err;
sync:
	err = pl_apply_sync(a, "pl_lb_services", sizeof(struct pl_lb_svc_key), sizeof(struct pl_lb_svc));
	if (!err)
		err = pl_apply_sync(a, "pl_lb_rnat", sizeof(struct pl_lb_rnat_key),
				    sizeof(struct pl_lb_rnat_val));
	return err;
}

static void lb_summary(const void *data, char *buf, size_t len)
{
	const struct lb_data *d = data;

	if (d->nsvc)
		snprintf(buf, len, "lb=%u services,%u backends", d->nsvc, d->nbe);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_lb = {
	.name = "lb",
	.size = sizeof(struct lb_data),
	.finish = lb_finish,
	.prepare = lb_prepare,
	.summary = lb_summary,
};
