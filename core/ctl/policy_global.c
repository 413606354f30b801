// SPDX-License-Identifier: MIT
/* Policy keywords of the pipeline itself: mode switch, verdicts for
 * malformed frames and for frames no stage decided, per-source counting.
 * They only set configuration fields; the configuration is written last by
 * apply. */
#include <errno.h>
#include "policy_int.h"

/* Verdicts a configuration field may hold (REDIRECT needs a port). */
#define CFG_VERDICTS ((1u << PL_DROP) | (1u << PL_PASS) | (1u << PL_TX) | (1u << PL_USER) | \
		      (1u << PL_ABORTED))

/* Wrong number of words. */
static int bad_arity(struct pl_parse *ps, const char *word)
{
	return pl_parse_fail(ps, "'%s' takes other arguments (usage: %s)", word, ps->usage);
}

/* mode policy|pass-all|drop-all|count-only */
int pl_kw_mode(struct pl_parse *ps, void *data, int argc, char **argv)
{
	const char *words[PL_MODE__MAX];
	int m;

	if (argc != 2)
		return bad_arity(ps, argv[0]);
	for (int i = 0; i < PL_MODE__MAX; i++)
		words[i] = pl_mode_name(i);
	m = pl_parse_choice(ps, argv[1], "mode", words, PL_MODE__MAX);
	if (m < 0)
		return m;
	pl_parse_cfg(ps)->mode = (__u32)m;
	return 0;
}

/* KEYWORD VERDICT into one configuration field. */
static int cfg_verdict(struct pl_parse *ps, int argc, char **argv, const char *what, __u32 *field)
{
	int v;

	if (argc != 2)
		return bad_arity(ps, argv[0]);
	v = pl_parse_verdict(ps, argv[1], CFG_VERDICTS, what);
	if (v < 0)
		return v;
	*field = (__u32)v;
	return 0;
}

/* malformed VERDICT */
int pl_kw_malformed(struct pl_parse *ps, void *data, int argc, char **argv)
{
	return cfg_verdict(ps, argc, argv, "verdict for malformed frames",
			   &pl_parse_cfg(ps)->malformed_verdict);
}

/* default VERDICT */
int pl_kw_default(struct pl_parse *ps, void *data, int argc, char **argv)
{
	return cfg_verdict(ps, argc, argv, "default verdict", &pl_parse_cfg(ps)->default_verdict);
}

/* count sources on|off */
int pl_kw_count(struct pl_parse *ps, void *data, int argc, char **argv)
{
	static const char *const what[] = { "sources" };
	int on;

	if (argc != 3)
		return bad_arity(ps, argv[0]);
	if (pl_parse_choice(ps, argv[1], "thing to count", what, 1) < 0)
		return -EINVAL;
	on = pl_parse_onoff(ps, argv[2], "per-source counting");
	if (on < 0)
		return on;
	pl_parse_cfg(ps)->src_stats = (__u32)on;
	return 0;
}

const struct pl_policy_stage pl_policy_stage_global = {
	.name = "global",
};
