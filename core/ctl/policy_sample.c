// SPDX-License-Identifier: MIT
/* Policy keyword of the sample stage:
 *   sample [every N] [snap BYTES] [verdict V[,V...]] [ipv4|ipv6] [proto P]
 *          [from PREFIX] [to PREFIX] [sport N[-M]] [dport N[-M]]
 * One statement per policy; without it sampling is off. Defaults: every 1,
 * snap 128, every verdict, every frame (the match words are the ACL's). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "policy_int.h"
#include "stages/sample.h"

struct sample_data {
	int on;
	unsigned line;
	struct pl_sample_params p;
};

/* "drop,pass" -> a mask of (1 << verdict). */
static int sample_verdicts(struct pl_parse *ps, const char *list, __u32 *mask)
{
	char buf[128], *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return pl_parse_fail(ps, "verdict list too long: '%s'", list);
	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int v = pl_parse_verdict(ps, w, (1u << PL_VERDICT__MAX) - 1, "sample verdict");

		if (v < 0)
			return v;
		*mask |= 1u << v;
	}
	if (!*mask)
		return pl_parse_fail(ps, "'verdict' needs one or more of drop,pass,tx,redirect,user,aborted");
	return 0;
}

int pl_kw_sample(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct sample_data *d = data;
	struct pl_sample_params p = { .every = 1, .snap = 128 };
	char *rest[PL_POLICY_ARGS_MAX];
	int nrest = 0, err;
	unsigned long n;

	for (int i = 1; i < argc; i++) {
		int every = !strcmp(argv[i], "every"), snap = !strcmp(argv[i], "snap");

		if (every || snap || !strcmp(argv[i], "verdict")) {
			if (i + 1 >= argc)
				return pl_parse_fail(ps, "'%s' needs a value (usage: %s)", argv[i], ps->usage);
			i++;
			if (every && pl_parse_uint(ps, argv[i], 1, 1000000000ul, "sample every (1 in N)", &n))
				return -EINVAL;
			if (every)
				p.every = (__u32)n;
			if (snap && pl_parse_uint(ps, argv[i], 1, PL_SAMPLE_SNAP_MAX, "sample snap (bytes)", &n))
				return -EINVAL;
			if (snap)
				p.snap = (__u32)n;
			if (!every && !snap && sample_verdicts(ps, argv[i], &p.verdicts))
				return -EINVAL;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	err = pl_parse_match(ps, nrest, rest, &p.rule);
	if (err)
		return err;
	p.match = nrest > 0;
	d->on = 1;
	d->line = ps->line;
	d->p = p;
	return 0;
}

static int sample_finish(struct pl_parse *ps, void *data)
{
	pl_parse_cfg(ps)->sample_enabled = ((struct sample_data *)data)->on;
	return 0;
}

static int sample_prepare(struct pl_apply *a, const void *data)
{
	const struct sample_data *d = data;
	__u32 zero = 0;

	if (!d->on)
		return 0; /* off in the configuration; the parameters stay unused */
	return pl_apply_put(a, "pl_sample_params", &zero, sizeof(zero), &d->p, sizeof(d->p), d->line);
}

static void sample_summary(const void *data, char *buf, size_t len)
{
	const struct sample_data *d = data;

	if (d->on)
		snprintf(buf, len, "sample=1/%u", d->p.every);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_sample = {
	.name = "sample",
	.size = sizeof(struct sample_data),
	.finish = sample_finish,
	.prepare = sample_prepare,
	.summary = sample_summary,
};
