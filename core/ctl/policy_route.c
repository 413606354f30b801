// SPDX-License-Identifier: MIT
/* Policy keyword of the route stage (an IP router, core/stages/route.h):
 *   route PREFIX dev IFACE mac MAC [src-mac MAC] [via ADDR]
 *       forward: out IFACE, Ethernet destination MAC (the next hop's),
 *       source src-mac (default: IFACE's own address, read at apply time);
 *       via names the next hop for people (it must be of PREFIX's family)
 *   route PREFIX pass      to the host stack (local addresses, on-link nets)
 *   route PREFIX drop      blackhole
 *   route kernel           routing on, with the tables filled by a mirror of
 *                          the kernel's routing and neighbour tables
 *                          (toolkit/plt_routes.h) instead of the policy
 * PREFIX is IPv4 or IPv6 ("0.0.0.0/0", "::/0" for default routes). The
 * same keyword carries the responder's HTTP routes: a first word starting
 * with '/' or one of unknown, method, bad-request is handed to the
 * responder (policy_responder.c).
 * Apply writes pl_route4 / pl_route6 and, when the backend has the devmap
 * pl_tx_ports, the out port's ifindex there, then removes the entries an
 * older policy left (not under `route kernel`: the mirror owns them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "policy_int.h"
#include "stages/route.h"

struct route_rule {
	struct pl_addr net;
	unsigned plen; /* within the family: 0-32 or 0-128 */
	__u8 family;
	__u8 action;   /* enum pl_route_action */
	int have_mac, have_src, have_via;
	char dev[IF_NAMESIZE];
	__u8 dst_mac[6], src_mac[6];
	struct pl_addr via;
	__u8 via_family;
	unsigned line;
};

extern const struct pl_policy_stage pl_policy_stage_route;

struct route_data {
	unsigned kernel_line; /* `route kernel` */
	unsigned n, cap, n4, n6;
	struct route_rule *rule;
};

/* dev IFACE */
static int opt_dev(struct pl_parse *ps, void *ctx, const char *val)
{
	return pl_parse_ifname(ps, val, ((struct route_rule *)ctx)->dev);
}

/* mac MAC */
static int opt_mac(struct pl_parse *ps, void *ctx, const char *val)
{
	struct route_rule *r = ctx;

	r->have_mac = 1;
	return pl_parse_mac(ps, val, "mac", r->dst_mac);
}

/* src-mac MAC */
static int opt_src_mac(struct pl_parse *ps, void *ctx, const char *val)
{
	struct route_rule *r = ctx;

	r->have_src = 1;
	return pl_parse_mac(ps, val, "src-mac", r->src_mac);
}

/* via ADDR */
static int opt_via(struct pl_parse *ps, void *ctx, const char *val)
{
	struct route_rule *r = ctx;

	r->have_via = 1;
	return pl_parse_addr(ps, val, "via", &r->via, &r->via_family);
}

static const struct pl_parse_opt fwd_opts[] = {
	{ "dev", 1, opt_dev },
	{ "mac", 1, opt_mac },
	{ "src-mac", 1, opt_src_mac },
	{ "via", 1, opt_via },
};

/* Is this the responder's form of the keyword? */
static int is_http_route(int argc, char **argv)
{
	return argc >= 2 && (argv[1][0] == '/' || !strcmp(argv[1], "unknown") ||
			     !strcmp(argv[1], "method") || !strcmp(argv[1], "bad-request"));
}

static int same_prefix(const struct route_rule *a, const struct route_rule *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(&a->net, &b->net, sizeof(a->net));
}

/* route PREFIX dev IFACE mac MAC ... | route PREFIX pass|drop | route kernel */
int pl_kw_route(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct route_data *d = data;
	struct route_rule r;
	struct pl_addr mask;
	unsigned bits = 0;
	int err;

	if (is_http_route(argc, argv))
		return pl_kw_resp_route(ps, pl_policy_stage_data(ps->p, &pl_policy_stage_responder), argc,
					argv);
	if (argc < 2)
		return pl_parse_fail(ps, "route needs a prefix or 'kernel' (usage: %s)", ps->usage);
	if (strcmp(argv[1], "kernel") && !strchr(argv[1], ':') && !(argv[1][0] >= '0' && argv[1][0] <= '9') &&
	    strcmp(argv[1], "any") && strcmp(argv[1], "default"))
		return pl_parse_fail(ps, "route '%s': not a prefix (e.g. 10.0.0.0/8, 2001:db8::/32) nor 'kernel'; an HTTP route's path must start with '/' (or be 'unknown', 'method' or 'bad-request')",
				     argv[1]);
	if (!strcmp(argv[1], "kernel")) {
		if (argc != 2)
			return pl_parse_fail(ps, "route kernel takes no more words");
		if (d->kernel_line)
			return pl_parse_fail(ps, "route kernel already given at line %u (keep one)",
					     d->kernel_line);
		if (d->n)
			return pl_parse_fail(ps, "route kernel conflicts with the route at line %u (the kernel's tables or the policy's routes, not both)",
					     d->rule[0].line);
		d->kernel_line = ps->line;
		return 0;
	}
	if (d->kernel_line)
		return pl_parse_fail(ps, "a route in a policy with route kernel (line %u): the kernel's tables or the policy's routes, not both",
				     d->kernel_line);
	memset(&r, 0, sizeof(r));
	r.line = ps->line;
	if (!strcmp(argv[1], "any") || !strcmp(argv[1], "default"))
		return pl_parse_fail(ps, "route prefix '%s' names no family (write 0.0.0.0/0 or ::/0)", argv[1]);
	err = pl_parse_prefix(ps, argv[1], "route prefix", &r.net, &mask, &r.family);
	if (err)
		return err;
	for (unsigned i = 0; i < 16; i++)
		bits += (unsigned)__builtin_popcount(mask.b[i]);
	r.plen = r.family == 4 ? bits - 96 : bits;
	if (argc < 3)
		return pl_parse_fail(ps, "route %s needs what to do: dev IFACE mac MAC, pass or drop (usage: %s)",
				     argv[1], ps->usage);
	if (!strcmp(argv[2], "pass") || !strcmp(argv[2], "drop")) {
		if (argc != 3)
			return pl_parse_fail(ps, "route %s %s takes no more words", argv[1], argv[2]);
		r.action = argv[2][0] == 'p' ? PL_ROUTE_PASS : PL_ROUTE_DROP;
	} else {
		err = pl_parse_options(ps, argc - 2, argv + 2, fwd_opts,
				       sizeof(fwd_opts) / sizeof(fwd_opts[0]), &r);
		if (err)
			return err;
		if (!r.dev[0] || !r.have_mac)
			return pl_parse_fail(ps, "route %s needs 'dev IFACE' and 'mac MAC' (the next hop's address), or pass / drop",
					     argv[1]);
		if (r.have_via && r.via_family != r.family)
			return pl_parse_fail(ps, "via is IPv%u but the prefix %s is IPv%u", r.via_family,
					     argv[1], r.family);
		r.action = PL_ROUTE_FWD;
	}
	for (unsigned i = 0; i < d->n; i++)
		if (same_prefix(&d->rule[i], &r))
			return pl_parse_fail(ps, "route %s already given at line %u (one route per prefix)",
					     argv[1], d->rule[i].line);
	if ((r.family == 4 ? d->n4 : d->n6) >= PL_ROUTE_MAX / 2)
		return pl_parse_fail(ps, "more than %d IPv%u routes (the table holds two policies' worth, %d)",
				     PL_ROUTE_MAX / 2, r.family, PL_ROUTE_MAX);
	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 16;
		struct route_rule *n = realloc(d->rule, cap * sizeof(*n));

		if (!n)
			return pl_parse_fail(ps, "out of memory");
		d->rule = n;
		d->cap = cap;
	}
	d->rule[d->n++] = r;
	if (r.family == 4)
		d->n4++;
	else
		d->n6++;
	return 0;
}

static int route_finish(struct pl_parse *ps, void *data)
{
	const struct route_data *d = data;

	pl_parse_cfg(ps)->route_enabled = d->n || d->kernel_line;
	return 0;
}

/* An interface's own MAC address (in the network namespace of the caller). */
int pl_ifname_mac(const char *name, __u8 mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* Queue every route and its out port's devmap slot. */
static int route_queue(struct pl_apply *a, const struct route_data *d, int has_devmap,
		       const struct pl_keyset *k4s, const struct pl_keyset *k6s)
{
	int err;

	for (unsigned i = 0; i < d->n; i++) {
		const struct route_rule *r = &d->rule[i];
		struct pl_route_val v = { .action = r->action };
		__u32 ifindex = 0, out_port = 0;

		if (r->action == PL_ROUTE_FWD) {
			err = pl_apply_port(a, r->line, r->dev, &ifindex, &out_port);
			if (err)
				return err;
			v.out_port = out_port;
			memcpy(v.dst_mac, r->dst_mac, 6);
			if (r->have_src)
				memcpy(v.src_mac, r->src_mac, 6);
			else if ((err = pl_ifname_mac(r->dev, v.src_mac)))
				return pl_apply_fail(a, r->line, err,
						     "cannot read the MAC address of %s: %s (give src-mac MAC)",
						     r->dev, strerror(-err));
		}
		if (r->family == 4) {
			struct pl_route_key4 k = { .prefixlen = r->plen };

			memcpy(k.addr, &r->net.b[12], 4);
			err = (pl_keyset_has(k4s, &k) ? pl_apply_put : pl_apply_put_new)(a, "pl_route4", &k, sizeof(k), &v,
										     sizeof(v), r->line);
		} else {
			struct pl_route_key6 k = { .prefixlen = r->plen };

			memcpy(k.addr, r->net.b, 16);
			err = (pl_keyset_has(k6s, &k) ? pl_apply_put : pl_apply_put_new)(a, "pl_route6", &k, sizeof(k), &v,
										     sizeof(v), r->line);
		}
		if (!err && has_devmap && r->action == PL_ROUTE_FWD)
			err = pl_apply_put(a, "pl_tx_ports", &out_port, sizeof(out_port), &ifindex,
					   sizeof(ifindex), r->line);
		if (err)
			return err;
	}
	return 0;
}

/* Queue every route (and its out port's devmap slot), then remove the
 * entries an older policy left unless the kernel's tables are mirrored. */
static int route_prepare(struct pl_apply *a, const void *data)
{
	const struct route_data *d = data;
	__u32 probe = 0;
	int has_devmap = pl_apply_has_table(a, "pl_tx_ports", &probe, sizeof(__u32));
	struct pl_keyset k4s = { 0 }, k6s = { 0 };
	int err;

	err = pl_apply_keys(a, "pl_route4", sizeof(struct pl_route_key4), &k4s);
	if (!err)
		err = pl_apply_keys(a, "pl_route6", sizeof(struct pl_route_key6), &k6s);
	if (!err)
		err = route_queue(a, d, has_devmap, &k4s, &k6s);
	free(k4s.k);
	free(k6s.k);
	if (err || d->kernel_line)
		return err;
	err = pl_apply_sync(a, "pl_route4", sizeof(struct pl_route_key4), sizeof(struct pl_route_val));
	if (!err)
		err = pl_apply_sync(a, "pl_route6", sizeof(struct pl_route_key6), sizeof(struct pl_route_val));
	return err;
}

/* "route=kernel" / "route=N" */
static void route_summary(const void *data, char *buf, size_t len)
{
	const struct route_data *d = data;

	if (d->kernel_line)
		snprintf(buf, len, "route=kernel");
	else if (d->n)
		snprintf(buf, len, "route=%u", d->n);
	else
		buf[0] = '\0';
}

static void route_free(void *data)
{
	free(((struct route_data *)data)->rule);
}

int pl_policy_route_kernel(const struct pl_policy *p)
{
	const struct route_data *d = pl_policy_stage_data(p, &pl_policy_stage_route);

	return d && d->kernel_line;
}

const struct pl_policy_stage pl_policy_stage_route = {
	.name = "route",
	.size = sizeof(struct route_data),
	.finish = route_finish,
	.prepare = route_prepare,
	.summary = route_summary,
	.free = route_free,
};
