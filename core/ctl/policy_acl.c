// SPDX-License-Identifier: MIT
/* Policy keywords of the acl stage:
 *   acl drop|pass|user [ipv4|ipv6] [proto P] [from PREFIX] [to PREFIX]
 *                      [sport N[-M]] [dport N[-M]]
 *   acl default pass|drop
 * Rules are kept in file order (first match wins). Apply writes the whole
 * rule set into the idle bank of pl_acl and the configuration write that
 * comes last makes it live. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "policy_int.h"

_Static_assert(PL_ACL_DROP == 0 && PL_ACL_PASS == 1 && PL_ACL_USER == 2,
	       "pl_kw_acl's action words follow enum pl_acl_action");

struct acl_data {
	struct pl_acl_set set;
	unsigned default_line;
};

/* Per-rule parse state. */
struct acl_rule_ctx {
	struct pl_acl_rule *r;
	int have_proto, have_ports;
	__u8 src_family, dst_family;
};

/* ipv4 / ipv6 */
static int set_family(struct pl_parse *ps, struct acl_rule_ctx *x, __u8 family)
{
	if (x->r->family && x->r->family != family)
		return pl_parse_fail(ps, "a rule is IPv4 or IPv6, not both (drop one of ipv4/ipv6)");
	x->r->family = family;
	return 0;
}

/* option ipv4 */
static int opt_family4(struct pl_parse *ps, void *ctx, const char *val)
{
	return set_family(ps, ctx, 4);
}

/* option ipv6 */
static int opt_family6(struct pl_parse *ps, void *ctx, const char *val)
{
	return set_family(ps, ctx, 6);
}

/* proto P */
static int opt_proto(struct pl_parse *ps, void *ctx, const char *val)
{
	struct acl_rule_ctx *x = ctx;

	x->have_proto = 1;
	return pl_parse_proto(ps, val, &x->r->proto);
}

/* from PREFIX */
static int opt_from(struct pl_parse *ps, void *ctx, const char *val)
{
	struct acl_rule_ctx *x = ctx;

	return pl_parse_prefix(ps, val, "source", &x->r->src, &x->r->src_mask, &x->src_family);
}

/* to PREFIX */
static int opt_to(struct pl_parse *ps, void *ctx, const char *val)
{
	struct acl_rule_ctx *x = ctx;

	return pl_parse_prefix(ps, val, "destination", &x->r->dst, &x->r->dst_mask, &x->dst_family);
}

/* sport N[-M] */
static int opt_sport(struct pl_parse *ps, void *ctx, const char *val)
{
	struct acl_rule_ctx *x = ctx;

	x->have_ports = 1;
	return pl_parse_ports(ps, val, "source port", &x->r->sport_lo, &x->r->sport_hi);
}

/* dport N[-M] */
static int opt_dport(struct pl_parse *ps, void *ctx, const char *val)
{
	struct acl_rule_ctx *x = ctx;

	x->have_ports = 1;
	return pl_parse_ports(ps, val, "destination port", &x->r->dport_lo, &x->r->dport_hi);
}

static const struct pl_parse_opt acl_opts[] = {
	{ "ipv4", 0, opt_family4 },
	{ "ipv6", 0, opt_family6 },
	{ "proto", 1, opt_proto },
	{ "from", 1, opt_from },
	{ "to", 1, opt_to },
	{ "sport", 1, opt_sport },
	{ "dport", 1, opt_dport },
};

/* Cross-field checks of one rule: one family, ports only with TCP/UDP. */
static int rule_check(struct pl_parse *ps, struct acl_rule_ctx *x)
{
	struct pl_acl_rule *r = x->r;
	char pb[8];
	__u8 fam = r->family;

	if (x->src_family && x->dst_family && x->src_family != x->dst_family)
		return pl_parse_fail(ps, "source is IPv%u but destination is IPv%u (use one family per rule)",
				     x->src_family, x->dst_family);
	if (x->src_family | x->dst_family) {
		__u8 pf = x->src_family ? x->src_family : x->dst_family;

		if (fam && fam != pf)
			return pl_parse_fail(ps, "rule says ipv%u but its prefix is IPv%u (drop the family word)",
					     fam, pf);
		fam = pf;
	}
	if (r->proto == IPPROTO_ICMP && fam == 6)
		return pl_parse_fail(ps, "proto icmp is IPv4's; for IPv6 write proto icmpv6");
	if (r->proto == IPPROTO_ICMPV6 && fam == 4)
		return pl_parse_fail(ps, "proto icmpv6 is IPv6's; for IPv4 write proto icmp");
	if (r->proto == IPPROTO_ICMP)
		fam = 4;
	else if (r->proto == IPPROTO_ICMPV6)
		fam = 6;
	r->family = fam;
	if (x->have_ports && !r->proto)
		return pl_parse_fail(ps, "ports need a protocol (add proto tcp or proto udp; for both, write two rules)");
	if (x->have_ports && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return pl_parse_fail(ps, "protocol %s has no ports (ports need proto tcp or proto udp)",
				     pl_proto_name(r->proto, pb));
	return 0;
}

/* acl ACTION [options...] | acl default pass|drop */
int pl_kw_acl(struct pl_parse *ps, void *data, int argc, char **argv)
{
	static const char *const actions[] = { "drop", "pass", "user", "default" };
	struct acl_data *d = data;
	struct pl_acl_rule r;
	int a, err;

	if (argc < 2)
		return pl_parse_fail(ps, "acl needs an action (usage: %s)", ps->usage);
	/* The order of actions[] follows enum pl_acl_action. */
	a = pl_parse_choice(ps, argv[1], "acl action", actions, 4);
	if (a < 0)
		return a;
	if (a == 3) {
		int v;

		if (argc != 3)
			return pl_parse_fail(ps, "usage: acl default pass|drop");
		if (d->default_line)
			return pl_parse_fail(ps, "'acl default' already given at line %u (keep one)",
					     d->default_line);
		v = pl_parse_verdict(ps, argv[2], (1u << PL_PASS) | (1u << PL_DROP),
				     "acl default verdict");
		if (v < 0)
			return v;
		d->default_line = ps->line;
		pl_parse_cfg(ps)->acl_default = (__u32)v;
		return 0;
	}
	if (d->set.count >= PL_ACL_MAX)
		return pl_parse_fail(ps, "more than %d acl rules (the table holds %d; merge rules with wider prefixes or port ranges)",
				     PL_ACL_MAX, PL_ACL_MAX);
	err = pl_parse_match(ps, argc - 2, argv + 2, &r);
	if (err)
		return err;
	r.action = (__u8)a;
	d->set.rule[d->set.count++] = r;
	pl_parse_cfg(ps)->acl_rules = 1;
	return 0;
}

/* A rule's match words (the ACL's, also the sampler's filter) into r
 * (zeroed first: no word matches everything). */
int pl_parse_match(struct pl_parse *ps, int argc, char **argv, struct pl_acl_rule *r)
{
	struct acl_rule_ctx x = { 0 };
	int err;

	memset(r, 0, sizeof(*r));
	r->sport_hi = r->dport_hi = 65535;
	r->line = ps->line;
	x.r = r;
	err = pl_parse_options(ps, argc, argv, acl_opts, sizeof(acl_opts) / sizeof(acl_opts[0]), &x);
	return err ? err : rule_check(ps, &x);
}

/* Write the rule set into the idle bank; the configuration flips to it. */
static int acl_prepare(struct pl_apply *a, const void *data)
{
	const struct acl_data *d = data;
	__u32 bank = (a->old_cfg.acl_bank & 1) ^ 1;
	int err;

	err = pl_apply_put(a, "pl_acl", &bank, sizeof(bank), &d->set, sizeof(d->set), 0);
	if (!err)
		a->cfg.acl_bank = bank;
	return err;
}

/* "N acl rules, default pass" */
static void acl_summary(const void *data, char *buf, size_t len)
{
	const struct acl_data *d = data;

	if (d->set.count || d->default_line)
		snprintf(buf, len, "acl=%u", d->set.count);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_acl = {
	.name = "acl",
	.size = sizeof(struct acl_data),
	.prepare = acl_prepare,
	.summary = acl_summary,
};
