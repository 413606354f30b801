// SPDX-License-Identifier: MIT
/* Policy keyword of the steer stage:
 *   steer tcp|udp PORT[-PORT] user|pass|drop
 * Each (protocol, destination port) pair appears once. Apply writes every
 * entry of pl_steer, enables steering in the configuration when there is at
 * least one entry, and removes entries an older policy left. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "policy_int.h"
#include "stages/steer.h" /* PL_STEER_MAX */

struct steer_ent {
	struct pl_steer_key k;
	struct pl_steer_val v;
	unsigned line;
};

struct steer_data {
	unsigned n;
	struct steer_ent ent[PL_STEER_MAX];
};

/* steer tcp|udp PORT[-PORT] user|pass|drop */
int pl_kw_steer(struct pl_parse *ps, void *data, int argc, char **argv)
{
	static const char *const protos[] = { "tcp", "udp" };
	struct steer_data *d = data;
	__u16 lo, hi;
	int p, v;

	if (argc != 4)
		return pl_parse_fail(ps, "steer takes 3 words (usage: %s)", ps->usage);
	p = pl_parse_choice(ps, argv[1], "steer protocol", protos, 2);
	if (p < 0)
		return p;
	if (pl_parse_ports(ps, argv[2], "steer port", &lo, &hi))
		return -EINVAL;
	if (!lo)
		return pl_parse_fail(ps, "steer port 0 never matches (the core steers by a non-zero destination port)");
	v = pl_parse_verdict(ps, argv[3], (1u << PL_USER) | (1u << PL_PASS) | (1u << PL_DROP),
			     "steer action");
	if (v < 0)
		return v;
	for (unsigned port = lo; port <= hi; port++) {
		struct steer_ent e = { .line = ps->line };

		e.k.proto = p ? IPPROTO_UDP : IPPROTO_TCP;
		e.k.port = (__u16)port;
		e.v.action = (__u32)v;
		for (unsigned i = 0; i < d->n; i++)
			if (!memcmp(&d->ent[i].k, &e.k, sizeof(e.k)))
				return pl_parse_fail(ps, "%s port %u is already steered at line %u (keep one entry per port)",
						     protos[p], port, d->ent[i].line);
		if (d->n >= PL_STEER_MAX)
			return pl_parse_fail(ps, "more than %d steer entries (the table holds %d; each port of a range is one entry)",
					     PL_STEER_MAX, PL_STEER_MAX);
		d->ent[d->n++] = e;
	}
	return 0;
}

/* Steering is on exactly when there are entries. */
static int steer_finish(struct pl_parse *ps, void *data)
{
	const struct steer_data *d = data;

	pl_parse_cfg(ps)->steer_enabled = d->n > 0;
	return 0;
}

/* Write every entry; remove the rest. */
static int steer_prepare(struct pl_apply *a, const void *data)
{
	const struct steer_data *d = data;

	for (unsigned i = 0; i < d->n; i++) {
		int err = pl_apply_put(a, "pl_steer", &d->ent[i].k, sizeof(d->ent[i].k), &d->ent[i].v,
				       sizeof(d->ent[i].v), d->ent[i].line);

		if (err)
			return err;
	}
	return pl_apply_sync(a, "pl_steer", sizeof(struct pl_steer_key), sizeof(struct pl_steer_val));
}

/* "steer=N" */
static void steer_summary(const void *data, char *buf, size_t len)
{
	const struct steer_data *d = data;

	if (d->n)
		snprintf(buf, len, "steer=%u", d->n);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_steer = {
	.name = "steer",
	.size = sizeof(struct steer_data),
	.finish = steer_finish,
	.prepare = steer_prepare,
	.summary = steer_summary,
};
