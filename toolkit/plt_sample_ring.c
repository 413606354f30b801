// SPDX-License-Identifier: MIT
/* plt_sample_ring: the user-space core's sample ring into a pcap file
 * (plt_sample.h). Its own object: only the user-space front ends link it
 * (it reads the core's ring), the XDP build's reader does not. */
#include <errno.h>
#include <string.h>
#include "pl_ctl.h"
#include "pl_user.h"
#include "plt_log.h"
#include "plt_sample.h"
#include "stages/sample.h"

int plt_sample_ring_open(struct plt_sample_out *o, const char *path, struct pl_ctl *c)
{
	struct pl_config cfg;
	int err;

	err = plt_sample_create(o, path);
	if (err)
		return err;
	if (c && !pl_ctl_get_config(c, &cfg) && (!cfg.sample_enabled || cfg.mode != PL_MODE_POLICY))
		pr_warn("--sample-out %s: %s, the file stays empty until a policy with `mode policy` and "
			"`sample every N ...` is applied (docs/stages.md)\n", path,
			cfg.mode != PL_MODE_POLICY ? "not in mode policy" : "the policy has no `sample` statement");
	return 0;
}

static int plt_sample_ring_rec(const void *rec, uint32_t size, void *arg)
{
	return plt_sample_write(arg, rec, size);
}

long plt_sample_ring_drain(struct plt_sample_out *o)
{
	return pl_ring_consume(&pl_sample_ring, 1L << 20, plt_sample_ring_rec, o);
}

int plt_sample_ring_close(struct plt_sample_out *o, struct pl_ctl *c)
{
	struct pl_counters cnt = { { 0 } };
	long n = plt_sample_ring_drain(o);
	int err = plt_sample_finish(o);

	if (n < 0 && !err)
		err = (int)n;
	if (c)
		pl_ctl_read_counters(c, &cnt);
	pr_info("--sample-out %s: sampled=%llu sample_lost=%llu written=%lu%s\n", o->w.path,
		(unsigned long long)cnt.c[PL_CNT_SAMPLED], (unsigned long long)cnt.c[PL_CNT_SAMPLE_LOST],
		o->written, err ? " (the file is incomplete)" : "");
	return err;
}
