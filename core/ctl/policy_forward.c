// SPDX-License-Identifier: MIT
/* Policy keyword of the forward stage:
 *   forward reflect
 *   forward off
 *   forward redirect from IFACE to IFACE [dst-mac MAC src-mac MAC]
 * Interfaces are resolved at apply time through the datapath's
 * pl_port_resolver. Apply writes pl_fwd (keyed by the receiving ifindex),
 * and, when the backend has the devmap pl_tx_ports, the out port's ifindex
 * there; pl_fwd entries an older policy left are removed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include "policy_int.h"
#include "stages/forward.h"

struct fwd_rule {
	char from[IF_NAMESIZE], to[IF_NAMESIZE];
	int set_macs;
	__u8 dst_mac[6], src_mac[6];
	int have_dst, have_src;
	unsigned line;
};

struct fwd_data {
	__u32 mode; /* enum pl_fwd_mode */
	unsigned mode_line;
	unsigned n;
	struct fwd_rule rule[PL_PORTS_MAX];
};

/* from IFACE */
static int opt_from(struct pl_parse *ps, void *ctx, const char *val)
{
	return pl_parse_ifname(ps, val, ((struct fwd_rule *)ctx)->from);
}

/* to IFACE */
static int opt_to(struct pl_parse *ps, void *ctx, const char *val)
{
	return pl_parse_ifname(ps, val, ((struct fwd_rule *)ctx)->to);
}

/* dst-mac MAC */
static int opt_dst_mac(struct pl_parse *ps, void *ctx, const char *val)
{
	struct fwd_rule *r = ctx;

	r->have_dst = 1;
	return pl_parse_mac(ps, val, "dst-mac", r->dst_mac);
}

/* src-mac MAC */
static int opt_src_mac(struct pl_parse *ps, void *ctx, const char *val)
{
	struct fwd_rule *r = ctx;

	r->have_src = 1;
	return pl_parse_mac(ps, val, "src-mac", r->src_mac);
}

static const struct pl_parse_opt redirect_opts[] = {
	{ "from", 1, opt_from },
	{ "to", 1, opt_to },
	{ "dst-mac", 1, opt_dst_mac },
	{ "src-mac", 1, opt_src_mac },
};

/* Set the forwarding mode, refusing a second, different one. */
static int set_mode(struct pl_parse *ps, struct fwd_data *d, __u32 mode, const char *word)
{
	static const char *const names[] = { "off", "reflect", "redirect" };

	if (d->mode_line && d->mode != mode)
		return pl_parse_fail(ps, "forward %s conflicts with forward %s at line %u (one forwarding mode per policy)",
				     word, names[d->mode], d->mode_line);
	if (d->mode_line && mode != PL_FWD_REDIRECT)
		return pl_parse_fail(ps, "forward %s already given at line %u (keep one)", word,
				     d->mode_line);
	d->mode = mode;
	if (!d->mode_line)
		d->mode_line = ps->line;
	return 0;
}

/* forward reflect|off|redirect ... */
int pl_kw_forward(struct pl_parse *ps, void *data, int argc, char **argv)
{
	static const char *const words[] = { "off", "reflect", "redirect" };
	struct fwd_data *d = data;
	struct fwd_rule r;
	int m, err;

	if (argc < 2)
		return pl_parse_fail(ps, "forward needs a mode (usage: %s)", ps->usage);
	m = pl_parse_choice(ps, argv[1], "forward mode", words, 3);
	if (m < 0)
		return m;
	if (m != PL_FWD_REDIRECT) {
		if (argc != 2)
			return pl_parse_fail(ps, "forward %s takes no more words (usage: %s)", argv[1],
					     ps->usage);
		return set_mode(ps, d, (__u32)m, argv[1]);
	}
	memset(&r, 0, sizeof(r));
	r.line = ps->line;
	err = pl_parse_options(ps, argc - 2, argv + 2, redirect_opts,
			       sizeof(redirect_opts) / sizeof(redirect_opts[0]), &r);
	if (err)
		return err;
	if (!r.from[0] || !r.to[0])
		return pl_parse_fail(ps, "forward redirect needs both 'from IFACE' and 'to IFACE'");
	if (r.have_dst != r.have_src)
		return pl_parse_fail(ps, "give both dst-mac and src-mac, or neither (the forward stage rewrites both)");
	r.set_macs = r.have_dst;
	for (unsigned i = 0; i < d->n; i++)
		if (!strcmp(d->rule[i].from, r.from))
			return pl_parse_fail(ps, "frames from %s are already redirected at line %u (one rule per receiving interface)",
					     r.from, d->rule[i].line);
	if (d->n >= PL_PORTS_MAX)
		return pl_parse_fail(ps, "more than %d redirect rules (the table holds %d)", PL_PORTS_MAX,
				     PL_PORTS_MAX);
	err = set_mode(ps, d, PL_FWD_REDIRECT, "redirect");
	if (err)
		return err;
	d->rule[d->n++] = r;
	return 0;
}

/* The configuration's forwarding mode. */
static int fwd_finish(struct pl_parse *ps, void *data)
{
	const struct fwd_data *d = data;

	pl_parse_cfg(ps)->fwd_mode = d->mode;
	return 0;
}

/* Resolve both interfaces of every rule, queue pl_fwd (and pl_tx_ports)
 * writes, remove the other pl_fwd entries. */
static int fwd_prepare(struct pl_apply *a, const void *data)
{
	const struct fwd_data *d = data;
	__u32 probe = 0;
	int has_devmap = pl_apply_has_table(a, "pl_tx_ports", &probe, sizeof(__u32));

	for (unsigned i = 0; i < d->n; i++) {
		const struct fwd_rule *r = &d->rule[i];
		struct pl_fwd_entry e;
		__u32 in_ifindex, in_port, out_ifindex, out_port;
		int err;

		err = pl_apply_port(a, r->line, r->from, &in_ifindex, &in_port);
		if (!err)
			err = pl_apply_port(a, r->line, r->to, &out_ifindex, &out_port);
		if (err)
			return err;
		memset(&e, 0, sizeof(e));
		e.v.out_port = out_port;
		e.v.flags = r->set_macs ? PL_FWD_F_SET_MACS : 0;
		memcpy(e.dst_mac, r->dst_mac, 6);
		memcpy(e.src_mac, r->src_mac, 6);
		err = pl_apply_put(a, "pl_fwd", &in_ifindex, sizeof(in_ifindex), &e, sizeof(e), r->line);
		if (!err && has_devmap)
			err = pl_apply_put(a, "pl_tx_ports", &out_port, sizeof(out_port), &out_ifindex,
					   sizeof(out_ifindex), r->line);
		if (err)
			return err;
	}
	return pl_apply_sync(a, "pl_fwd", sizeof(__u32), sizeof(struct pl_fwd_entry));
}

/* "forward=reflect" / "forward=redirect(N)" */
static void fwd_summary(const void *data, char *buf, size_t len)
{
	const struct fwd_data *d = data;

	if (d->mode == PL_FWD_REFLECT)
		snprintf(buf, len, "forward=reflect");
	else if (d->mode == PL_FWD_REDIRECT)
		snprintf(buf, len, "forward=redirect(%u)", d->n);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_forward = {
	.name = "forward",
	.size = sizeof(struct fwd_data),
	.finish = fwd_finish,
	.prepare = fwd_prepare,
	.summary = fwd_summary,
};
