// SPDX-License-Identifier: MIT
/* Policy keyword of the ratelimit stage:
 *   ratelimit pps N [burst N] [bytes N] [byte-burst N] [prefix4 N] [prefix6 N]
 *             [aggregate] [shared]
 * One statement per policy; without it the stage is off. burst defaults to
 * pps (one second), byte-burst to bytes (at least 1518, one full frame,
 * which is also the smallest byte-burst accepted); prefixes default to
 * 32 / 128 (one bucket per address and family); aggregate is one bucket for
 * every source (no prefixes then); shared makes each bucket one for every
 * CPU instead of one per CPU (docs/stages.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "policy_int.h"
#include "stages/ratelimit.h"

struct rl_data {
	int on;
	unsigned line;
	struct pl_rl_params p;
};

#define RL_RATE_MAX 4000000000ul
/* The smallest byte burst: one full Ethernet frame (1518 bytes with the
 * FCS). A smaller bucket could never hold a full-size frame. */
#define RL_BYTE_BURST_MIN 1518ul

/* One number in [lo, hi] into *out. */
static int rl_num(struct pl_parse *ps, const char *v, unsigned long lo, unsigned long hi,
		  const char *what, __u64 *out)
{
	unsigned long n;
	int err = pl_parse_uint(ps, v, lo, hi, what, &n);

	*out = n;
	return err;
}

static int rl_pps(struct pl_parse *ps, void *ctx, const char *v)
{
	return rl_num(ps, v, 1, RL_RATE_MAX, "ratelimit pps", &((struct pl_rl_params *)ctx)->pps.rate);
}

static int rl_burst(struct pl_parse *ps, void *ctx, const char *v)
{
	return rl_num(ps, v, 1, 1000000000ul, "ratelimit burst", &((struct pl_rl_params *)ctx)->pps.burst);
}

static int rl_bytes(struct pl_parse *ps, void *ctx, const char *v)
{
	return rl_num(ps, v, 1, RL_RATE_MAX, "ratelimit bytes (per second)",
		      &((struct pl_rl_params *)ctx)->bps.rate);
}

static int rl_bburst(struct pl_parse *ps, void *ctx, const char *v)
{
	unsigned long n;

	/* Checked here rather than by the range of pl_parse_uint, so the
	 * message can say why. */
	if (pl_parse_uint(ps, v, 1, 10000000000ul, "ratelimit byte-burst", &n))
		return -EINVAL;
	if (n < RL_BYTE_BURST_MIN)
		return pl_parse_fail(ps, "ratelimit byte-burst %lu is below one full frame: give at least %lu bytes (or leave it out: it defaults to the byte rate)",
				     n, RL_BYTE_BURST_MIN);
	((struct pl_rl_params *)ctx)->bps.burst = n;
	return 0;
}

/* "prefix4 N" / "prefix6 N". */
static int rl_prefix(struct pl_parse *ps, __u8 *out, const char *v, unsigned long max)
{
	unsigned long n;
	int err;

	if (!strcmp(v, "0"))
		return pl_parse_fail(ps, "%s 0 would put every source in one bucket: write 'aggregate' for one bucket for all sources (IPv4 and IPv6), or give a prefix length 1-%lu",
				     max == 32 ? "prefix4" : "prefix6", max);
	err = pl_parse_uint(ps, v, 1, max, max == 32 ? "prefix4" : "prefix6", &n);

	*out = (__u8)n;
	return err;
}

static int rl_p4(struct pl_parse *ps, void *ctx, const char *v)
{
	return rl_prefix(ps, &((struct pl_rl_params *)ctx)->prefix4, v, 32);
}

static int rl_p6(struct pl_parse *ps, void *ctx, const char *v)
{
	return rl_prefix(ps, &((struct pl_rl_params *)ctx)->prefix6, v, 128);
}

static int rl_aggregate(struct pl_parse *ps, void *ctx, const char *v)
{
	(void)ps;
	(void)v;
	((struct pl_rl_params *)ctx)->flags |= PL_BUDGET_AGGREGATE;
	return 0;
}

static int rl_shared(struct pl_parse *ps, void *ctx, const char *v)
{
	(void)ps;
	(void)v;
	((struct pl_rl_params *)ctx)->flags |= PL_BUDGET_SHARED;
	return 0;
}

/* ratelimit pps N [burst N] [bytes N] [byte-burst N] [prefix4 N] [prefix6 N]
 *           [aggregate] [shared] */
int pl_kw_ratelimit(struct pl_parse *ps, void *data, int argc, char **argv)
{
	static const struct pl_parse_opt opts[] = {
		{ "pps", 1, rl_pps }, { "burst", 1, rl_burst }, { "bytes", 1, rl_bytes },
		{ "byte-burst", 1, rl_bburst }, { "prefix4", 1, rl_p4 }, { "prefix6", 1, rl_p6 },
		{ "aggregate", 0, rl_aggregate }, { "shared", 0, rl_shared },
	};
	struct rl_data *d = data;
	struct pl_rl_params p = { .prefix4 = 0, .prefix6 = 0 };
	int err = pl_parse_options(ps, argc - 1, argv + 1, opts, sizeof(opts) / sizeof(opts[0]), &p);

	if (err)
		return err;
	if (!p.pps.rate)
		return pl_parse_fail(ps, "ratelimit needs 'pps N' (usage: %s)", ps->usage);
	if ((p.flags & PL_BUDGET_AGGREGATE) && (p.prefix4 || p.prefix6))
		return pl_parse_fail(ps, "'aggregate' is one bucket for every source: it takes no '%s' (drop it, or drop 'aggregate' for a bucket per prefix)",
				     p.prefix4 ? "prefix4" : "prefix6");
	if (!p.prefix4)
		p.prefix4 = 32;
	if (!p.prefix6)
		p.prefix6 = 128;
	if (!p.pps.burst)
		p.pps.burst = p.pps.rate;
	if (p.bps.burst && !p.bps.rate)
		return pl_parse_fail(ps, "byte-burst without 'bytes N' (the byte budget per second)");
	if (p.bps.rate && !p.bps.burst)
		p.bps.burst = p.bps.rate > RL_BYTE_BURST_MIN ? p.bps.rate : RL_BYTE_BURST_MIN;
	d->on = 1;
	d->line = ps->line;
	d->p = p;
	return 0;
}

static int rl_finish(struct pl_parse *ps, void *data)
{
	pl_parse_cfg(ps)->rl_enabled = ((struct rl_data *)data)->on;
	return 0;
}

static int rl_prepare(struct pl_apply *a, const void *data)
{
	const struct rl_data *d = data;
	__u32 zero = 0;

	if (!d->on)
		return 0; /* off in the configuration; the parameters stay unused */
	return pl_apply_put(a, "pl_rl_params", &zero, sizeof(zero), &d->p, sizeof(d->p), d->line);
}

static void rl_summary(const void *data, char *buf, size_t len)
{
	const struct rl_data *d = data;

	if (d->on)
		snprintf(buf, len, "ratelimit=%llupps%s%s", (unsigned long long)d->p.pps.rate,
			 d->p.flags & PL_BUDGET_AGGREGATE ? ",aggregate" : "",
			 d->p.flags & PL_BUDGET_SHARED ? ",shared" : "");
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_ratelimit = {
	.name = "ratelimit",
	.size = sizeof(struct rl_data),
	.finish = rl_finish,
	.prepare = rl_prepare,
	.summary = rl_summary,
};
