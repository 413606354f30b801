// SPDX-License-Identifier: MIT
/* libpathlab-ctl: backend-independent operations (counters, configuration,
 * mode switch). Every table is reached through struct pl_ctl_ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pl_ctl.h"
#include "ctl_int.h"

/* Configuration banks (PL_CONFIG_BANKS in core/pl_ctx.h, which needs a
 * platform). */
#define PL_CONFIG_BANKS_CTL 2

/* Which bank of pl_config is live. */
static int live_bank(struct pl_ctl *c, __u32 *bank)
{
	__u32 zero = 0;
	int err = pl_ctl_lookup(c, "pl_config_live", &zero, bank);

	*bank %= PL_CONFIG_BANKS_CTL;
	return err;
}

/* Close a backend; accepts NULL. */
void pl_ctl_close(struct pl_ctl *c)
{
	if (!c)
		return;
	if (c->ops && c->ops->close)
		c->ops->close(c);
	free(c);
}

/* Write one entry (per-CPU tables: the same value into every copy). */
int pl_ctl_update(struct pl_ctl *c, const char *table, const void *key, const void *val)
{
	if (!c || !c->ops->update)
		return -EINVAL;
	return c->ops->update(c, table, key, val);
}

/* Read one entry of a shared table (per-CPU tables: use lookup_percpu). */
int pl_ctl_lookup(struct pl_ctl *c, const char *table, const void *key, void *val)
{
	if (!c || !c->ops->lookup)
		return -EINVAL;
	return c->ops->lookup(c, table, key, val);
}

/* Read every copy of a per-CPU entry, PL_CTL_PERCPU_STRIDE apart. */
int pl_ctl_lookup_percpu(struct pl_ctl *c, const char *table, const void *key, void *vals)
{
	if (!c || !c->ops->lookup_percpu)
		return -EINVAL;
	return c->ops->lookup_percpu(c, table, key, vals);
}

/* Remove one entry. */
int pl_ctl_remove(struct pl_ctl *c, const char *table, const void *key)
{
	if (!c || !c->ops->remove)
		return -EINVAL;
	return c->ops->remove(c, table, key);
}

/* Iterate keys: key NULL gives the first; -ENOENT at the end. */
int pl_ctl_next_key(struct pl_ctl *c, const char *table, const void *key, void *next)
{
	if (!c || !c->ops->next_key)
		return -EINVAL;
	return c->ops->next_key(c, table, key, next);
}

/* Every (key, copy) of a hash table. */
int pl_ctl_walk(struct pl_ctl *c, const char *table, pl_ctl_walk_fn fn, void *arg)
{
	if (!c || !c->ops->walk)
		return -EINVAL;
	return c->ops->walk(c, table, fn, arg);
}

/* Number of per-CPU / per-worker copies the backend keeps. */
unsigned pl_ctl_ncopies(struct pl_ctl *c)
{
	return c && c->ops->ncopies ? c->ops->ncopies(c) : 1;
}

/* Sum every copy of one per-CPU entry made of u64 fields. */
int pl_ctl_sum_percpu_u64(struct pl_ctl *c, const char *table, const void *key, __u64 *sum,
			  size_t n)
{
	unsigned ncopies = pl_ctl_ncopies(c);
	size_t stride = PL_CTL_PERCPU_STRIDE(n * sizeof(__u64));
	uint8_t *buf = calloc(ncopies, stride);
	int err;

	if (!buf)
		return -ENOMEM;
	err = pl_ctl_lookup_percpu(c, table, key, buf);
	if (!err) {
		memset(sum, 0, n * sizeof(*sum));
		for (unsigned i = 0; i < ncopies; i++) {
			const __u64 *v = (const __u64 *)(buf + i * stride);

			for (size_t j = 0; j < n; j++)
				sum[j] += v[j];
		}
	}
	free(buf);
	return err;
}

/* Counters summed over every CPU / worker. */
int pl_ctl_read_counters(struct pl_ctl *c, struct pl_counters *sum)
{
	__u32 zero = 0;

	return pl_ctl_sum_percpu_u64(c, "pl_counters", &zero, sum->c, PL_CNT__MAX);
}

/* Hits per rule of the live ACL bank, summed over CPUs / workers, and that
 * bank's rules (rule[i].line names the policy line). */
int pl_ctl_read_acl(struct pl_ctl *c, struct pl_acl_set *set, __u64 hits[PL_ACL_MAX])
{
	struct pl_config cfg;
	__u32 bank;
	int err = pl_ctl_get_config(c, &cfg);

	if (err)
		return err;
	bank = cfg.acl_bank & 1;
	err = pl_ctl_lookup(c, "pl_acl", &bank, set);
	for (__u32 i = 0; !err && i < PL_ACL_MAX; i++)
		err = pl_ctl_sum_percpu_u64(c, "pl_acl_hits", &i, &hits[i], 1);
	return err;
}

/* The live configuration bank. */
int pl_ctl_get_config(struct pl_ctl *c, struct pl_config *cfg)
{
	__u32 bank;
	int err = live_bank(c, &bank);

	return err ? err : pl_ctl_lookup(c, "pl_config", &bank, cfg);
}

/* Wait for the frames in flight (nothing to wait for without a sync op). */
int pl_ctl_sync(struct pl_ctl *c)
{
	if (!c)
		return -EINVAL;
	return c->ops->sync ? c->ops->sync(c) : 0;
}

/* The idle bank, then the index (see pl_ctl.h). */
int pl_ctl_set_config(struct pl_ctl *c, const struct pl_config *cfg)
{
	struct pl_config cur, a = *cfg;
	__u32 zero = 0, bank, idle;
	int err = live_bank(c, &bank);

	if (!err)
		err = pl_ctl_lookup(c, "pl_config", &bank, &cur);
	if (err)
		return err;
	a.clock_ns = cur.clock_ns;
	if (!memcmp(&a, &cur, sizeof(a)))
		return pl_ctl_update(c, "pl_config", &bank, cfg); /* clock_ns alone */
	/* A frame that read the index before the last flip may still use the
	 * idle bank: wait for it before writing there. */
	err = pl_ctl_sync(c);
	if (err)
		return err;
	idle = (bank + 1) % PL_CONFIG_BANKS_CTL;
	err = pl_ctl_lookup(c, "pl_config", &idle, &cur);
	if (!err)
		err = pl_ctl_update(c, "pl_config", &idle, cfg);
	if (err)
		return err;
	err = pl_ctl_update(c, "pl_config_live", &zero, &idle);
	if (err)
		pl_ctl_update(c, "pl_config", &idle, &cur); /* as it was: nothing changed */
	return err;
}

/* Write the default configuration (a freshly loaded BPF object's pl_config
 * is all zeros: mode pass-all, so nothing runs until this or a policy). */
int pl_ctl_init_config(struct pl_ctl *c)
{
	const struct pl_config def = PL_CONFIG_DEFAULT;

	return pl_ctl_set_config(c, &def);
}

/* Flip the mode switch: read, change one field, write. */
int pl_ctl_set_mode(struct pl_ctl *c, enum pl_mode mode)
{
	struct pl_config cfg;
	int err;

	if ((unsigned)mode >= PL_MODE__MAX)
		return -EINVAL;
	err = pl_ctl_get_config(c, &cfg);
	if (err)
		return err;
	cfg.mode = mode;
	return pl_ctl_set_config(c, &cfg);
}

/* Zero the counters and the per-rule ACL hits (the latter when present). */
int pl_ctl_reset_counters(struct pl_ctl *c)
{
	struct pl_counters zero_cnt;
	__u64 zero64 = 0;
	__u32 key = 0;
	int err;

	memset(&zero_cnt, 0, sizeof(zero_cnt));
	err = pl_ctl_update(c, "pl_counters", &key, &zero_cnt);
	if (err)
		return err;
	for (key = 0; key < PL_ACL_MAX; key++) {
		err = pl_ctl_update(c, "pl_acl_hits", &key, &zero64);
		if (err == -ESRCH)
			break; /* this build has no ACL hit table */
		if (err)
			return err;
	}
	for (key = 0;; key++) { /* every route id, up to the end of the array */
		err = pl_ctl_update(c, "pl_resp_hits", &key, &zero64);
		if (err == -ESRCH || (err == -E2BIG && key))
			return 0;
		if (err)
			return err;
	}
}

/* Allocate a backend handle. */
struct pl_ctl *pl_ctl_alloc(const struct pl_ctl_ops *ops, void *priv)
{
	struct pl_ctl *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ops = ops;
	c->priv = priv;
	return c;
}
