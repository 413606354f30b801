/* SPDX-License-Identifier: MIT */
/* Stage "acl": ordered rules, first match wins. A rule matches on family,
 * protocol, source/destination prefix and source/destination port ranges.
 * Actions: drop (DROP, final), user (USER, final), pass (accepted: later
 * stages still run). No match: the configured default (pass or drop).
 *
 * The rule set lives in two banks of one table; the control plane writes the
 * idle bank whole, then flips cfg->acl_bank, so a reload is never seen half
 * applied. Later fragments carry no ports: they match only port-less rules. */
#ifndef PL_STAGE_ACL_H
#define PL_STAGE_ACL_H

#include "../pl_ctx.h"

PL_TABLE(pl_acl, ARRAY, __u32, struct pl_acl_set, 2);
/* Hits per rule index of the live bank (per CPU). */
PL_TABLE(pl_acl_hits, PERCPU_ARRAY, __u32, __u64, PL_ACL_MAX);

PL_INLINE int pl_addr_match(const struct pl_addr *a, const struct pl_addr *net,
			    const struct pl_addr *mask)
{
	return ((a->w[0] & mask->w[0]) == net->w[0]) & ((a->w[1] & mask->w[1]) == net->w[1]) &
	       ((a->w[2] & mask->w[2]) == net->w[2]) & ((a->w[3] & mask->w[3]) == net->w[3]);
}

PL_INLINE int pl_acl_rule_match(const struct pl_acl_rule *r, const struct pl_hdrs *h)
{
	/* the protocol first: it tells most rules apart */
	if (r->proto && r->proto != h->l4_proto)
		return 0;
	if (r->family && r->family != h->family)
		return 0;
	if (h->sport < r->sport_lo || h->sport > r->sport_hi)
		return 0;
	if (h->dport < r->dport_lo || h->dport > r->dport_hi)
		return 0;
	return pl_addr_match(&h->saddr, &r->src, &r->src_mask) &&
	       pl_addr_match(&h->daddr, &r->dst, &r->dst_mask);
}

/* The first rule of bank's set that h matches: its index | its action <<
 * 8, or -1. Verified on its own in BPF (PL_STAGE_FN): the loop over up to
 * PL_ACL_MAX rules is walked once, not once per state the stages before it
 * leave. */
PL_STAGE_FN int pl_acl_scan(const struct pl_hdrs *h, __u32 bank)
{
	struct pl_acl_set *set;
	__u32 i, n;

	if (!h)
		return -1;
	bank &= 1;
	set = pl_table_lookup(&pl_acl, &bank);
	if (!set)
		return -1;
	n = set->count < PL_ACL_MAX ? set->count : PL_ACL_MAX;
	PL_LOOP
	for (i = 0; i < n; i++) {
		const struct pl_acl_rule *r = &set->rule[i];

		if (pl_acl_rule_match(r, h))
			return (int)(i | (__u32)r->action << 8);
	}
	return -1;
}

PL_INLINE int pl_stage_acl(struct pl_ctx *c)
{
	__u32 i, action;
	__u64 *hits;
	int m;

	if (!c->h.family)
		return PL_CONTINUE; /* ACLs speak of IP only */
	/* no rules (the defaults): no scan, the default decides */
	m = c->cfg->acl_rules ? pl_acl_scan(&c->h, c->cfg->acl_bank) : -1;
	if (m < 0) {
		pl_count(c, PL_CNT_ACL_DEFAULT);
		return c->cfg->acl_default == PL_DROP ? PL_DROP : PL_CONTINUE;
	}
	i = (__u32)m & 0xff;
	action = ((__u32)m >> 8) & 0xff;
	hits = pl_table_lookup(&pl_acl_hits, &i);
	if (hits)
		pl_stat_add(hits, 1);
	if (action == PL_ACL_DROP) {
		pl_count(c, PL_CNT_ACL_DROP);
		return PL_DROP;
	}
	if (action == PL_ACL_USER) {
		pl_count(c, PL_CNT_ACL_USER);
		return PL_USER;
	}
	pl_count(c, PL_CNT_ACL_PASS);
	return PL_CONTINUE;
}

#endif
