// SPDX-License-Identifier: MIT
/* Policy keyword of the synguard stage:
 *   synguard [per-source PPS BURST] [global PPS BURST] [prefix4 N] [prefix6 N] [shared]
 * One statement per policy (at least one budget); without it the stage is
 * off. Both budgets are per CPU unless shared (see docs/stages.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "policy_int.h"
#include "stages/synguard.h"

struct syn_data {
	int on;
	unsigned line;
	struct pl_syn_params p;
};

/* "PPS BURST" at argv[i + 1], argv[i + 2]. */
static int syn_budget(struct pl_parse *ps, int argc, char **argv, int i, struct pl_rl_rate *r)
{
	unsigned long rate, burst;

	if (i + 2 >= argc)
		return pl_parse_fail(ps, "'%s' needs a rate and a burst (usage: %s)", argv[i], ps->usage);
	if (pl_parse_uint(ps, argv[i + 1], 1, 4000000000ul, "SYN rate (per second)", &rate) ||
	    pl_parse_uint(ps, argv[i + 2], 1, 1000000000ul, "SYN burst", &burst))
		return -EINVAL;
	r->rate = rate;
	r->burst = burst;
	return 0;
}

/* synguard [per-source PPS BURST] [global PPS BURST] [prefix4 N] [prefix6 N] */
int pl_kw_synguard(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct syn_data *d = data;
	struct pl_syn_params p = { .prefix4 = 32, .prefix6 = 128 };
	unsigned long n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "shared")) {
			if (p.flags & PL_BUDGET_SHARED)
				return pl_parse_fail(ps, "'shared' given twice in one statement");
			p.flags |= PL_BUDGET_SHARED;
		} else if (!strcmp(argv[i], "aggregate")) {
			return pl_parse_fail(ps, "synguard has no 'aggregate': its 'global PPS BURST' budget is the one bucket for every source");
		} else if (!strcmp(argv[i], "per-source") || !strcmp(argv[i], "global")) {
			if (syn_budget(ps, argc, argv, i, argv[i][0] == 'g' ? &p.global : &p.per_src))
				return -EINVAL;
			i += 2;
		} else if (!strcmp(argv[i], "prefix4") || !strcmp(argv[i], "prefix6")) {
			int v4 = argv[i][6] == '4';

			if (i + 1 >= argc)
				return pl_parse_fail(ps, "'%s' needs a value", argv[i]);
			if (!strcmp(argv[i + 1], "0"))
				return pl_parse_fail(ps, "%s 0 would put every source in one bucket: that is the 'global PPS BURST' budget (or give a prefix length 1-%d)",
						     argv[i], v4 ? 32 : 128);
			if (pl_parse_uint(ps, argv[++i], 1, v4 ? 32 : 128, v4 ? "prefix4" : "prefix6", &n))
				return -EINVAL;
			*(v4 ? &p.prefix4 : &p.prefix6) = (__u8)n;
		} else {
			return pl_parse_fail(ps, "unexpected '%s' (usage: %s)", argv[i], ps->usage);
		}
	}
	if (!p.per_src.rate && !p.global.rate)
		return pl_parse_fail(ps, "synguard needs a 'per-source' or 'global' budget (usage: %s)",
				     ps->usage);
	d->on = 1;
	d->line = ps->line;
	d->p = p;
	return 0;
}

static int syn_finish(struct pl_parse *ps, void *data)
{
	pl_parse_cfg(ps)->syn_enabled = ((struct syn_data *)data)->on;
	return 0;
}

static int syn_prepare(struct pl_apply *a, const void *data)
{
	const struct syn_data *d = data;
	__u32 zero = 0;

	if (!d->on)
		return 0; /* off in the configuration; the parameters stay unused */
	return pl_apply_put(a, "pl_syn_params", &zero, sizeof(zero), &d->p, sizeof(d->p), d->line);
}

static void syn_summary(const void *data, char *buf, size_t len)
{
	const struct syn_data *d = data;

	if (d->on)
		snprintf(buf, len, "synguard=on%s", d->p.flags & PL_BUDGET_SHARED ? ",shared" : "");
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_synguard = {
	.name = "synguard",
	.size = sizeof(struct syn_data),
	.finish = syn_finish,
	.prepare = syn_prepare,
	.summary = syn_summary,
};
