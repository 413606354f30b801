// SPDX-License-Identifier: MIT
/* Loading a parsed policy into a backend, all or nothing.
 *
 * 1. prepare: read the live configuration, run every stage's prepare hook
 *    (in keyword-table order); they resolve interface names and queue
 *    writes. Nothing is written yet; any error stops here.
 * 2. commit: once no frame started under an older configuration is still
 *    running (pl_ctl_sync), the queued writes in order (the ACL goes into
 *    the idle bank, which the data path does not read), each after saving
 *    the value it replaces; then the configuration (pl_ctl_set_config: the
 *    idle configuration bank, then the index; this flips acl_bank and
 *    switches every stage at once); then the removal of entries the new
 *    policy does not name.
 * 3. if a write fails, every write already made is undone in reverse order
 *    (old value put back, new entry removed) and the error says whether the
 *    previous state was fully restored. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "policy_int.h"

enum op_kind { OP_PUT, OP_DEL };

struct pl_op {
	const char *table;
	enum op_kind kind;
	unsigned line;
	size_t ksz, vsz;
	uint8_t *key, *val, *old; /* one allocation, key first */
	int had_old;
	int known_new; /* the caller knows the key is absent (LPM tables) */
};

/* Fail with "file:line: message" (or "file: message" for line 0). */
int pl_apply_fail(struct pl_apply *a, unsigned line, int err, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(a->err->msg, sizeof(a->err->msg), "%s:%u: %s", a->p->name, line, what);
	else
		snprintf(a->err->msg, sizeof(a->err->msg), "%s: %s", a->p->name, what);
	return err ? err : -EINVAL;
}

/* Append one op with room for key, value and the saved old value. */
static int op_add(struct pl_apply *a, const char *table, enum op_kind kind, const void *key,
		  size_t ksz, const void *val, size_t vsz, unsigned line)
{
	struct pl_op *op;

	if (a->nops == a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 64;
		struct pl_op *n = realloc(a->ops, cap * sizeof(*n));

		if (!n)
			return pl_apply_fail(a, 0, -ENOMEM, "out of memory");
		a->ops = n;
		a->cap = cap;
	}
	op = &a->ops[a->nops];
	memset(op, 0, sizeof(*op));
	op->key = calloc(1, ksz + 2 * vsz);
	if (!op->key)
		return pl_apply_fail(a, 0, -ENOMEM, "out of memory");
	op->table = table;
	op->kind = kind;
	op->line = line;
	op->ksz = ksz;
	op->vsz = vsz;
	op->val = op->key + ksz;
	op->old = op->val + vsz;
	memcpy(op->key, key, ksz);
	if (val)
		memcpy(op->val, val, vsz);
	a->nops++;
	return 0;
}

/* Queue a write. */
int pl_apply_put(struct pl_apply *a, const char *table, const void *key, size_t ksz,
		 const void *val, size_t vsz, unsigned line)
{
	return op_add(a, table, OP_PUT, key, ksz, val, vsz, line);
}

/* Queue a write of a key the caller knows is absent (undone by removing
 * it). For LPM tables, whose lookup finds a covering prefix. */
int pl_apply_put_new(struct pl_apply *a, const char *table, const void *key, size_t ksz,
		     const void *val, size_t vsz, unsigned line)
{
	int err = op_add(a, table, OP_PUT, key, ksz, val, vsz, line);

	if (!err)
		a->ops[a->nops - 1].known_new = 1;
	return err;
}

/* Is key written by a queued op on table? */
static int queued(const struct pl_apply *a, const char *table, const void *key, size_t ksz)
{
	for (unsigned i = 0; i < a->nops; i++)
		if (a->ops[i].kind == OP_PUT && !strcmp(a->ops[i].table, table) &&
		    a->ops[i].ksz == ksz && !memcmp(a->ops[i].key, key, ksz))
			return 1;
	return 0;
}

/* Queue removal of every other key of table. */
int pl_apply_sync(struct pl_apply *a, const char *table, size_t ksz, size_t vsz)
{
	uint8_t *cur = calloc(2, ksz);
	uint8_t *next = cur + ksz;
	unsigned guard = 0;
	int err, first = 1;

	if (!cur)
		return pl_apply_fail(a, 0, -ENOMEM, "out of memory");
	for (;;) {
		err = pl_ctl_next_key(a->c, table, first ? NULL : cur, next);
		if (err == -ENOENT || err == -ESRCH) {
			err = 0; /* end, or the backend has no such table */
			break;
		}
		if (err) {
			err = pl_apply_fail(a, 0, err, "cannot list %s: %s", table, strerror(-err));
			break;
		}
		if (++guard > (1u << 20)) {
			err = pl_apply_fail(a, 0, -ELOOP, "listing %s does not end", table);
			break;
		}
		if (!queued(a, table, next, ksz)) {
			err = op_add(a, table, OP_DEL, next, ksz, NULL, vsz, 0);
			if (err)
				break;
		}
		memcpy(cur, next, ksz);
		first = 0;
	}
	free(cur);
	return err;
}

/* Queue removal of one key (made after the configuration write). */
int pl_apply_del(struct pl_apply *a, const char *table, const void *key, size_t ksz, size_t vsz)
{
	return op_add(a, table, OP_DEL, key, ksz, NULL, vsz, 0);
}

static int key_cmp(const void *x, const void *y, void *ksz)
{
	return memcmp(x, y, *(size_t *)ksz);
}

/* The keys table holds now, sorted. */
int pl_apply_keys(struct pl_apply *a, const char *table, size_t ksz, struct pl_keyset *ks)
{
	size_t cap = 0;
	int err, first = 1;

	ks->k = NULL;
	ks->n = 0;
	ks->ksz = ksz;
	for (;;) {
		if (ks->n == cap) {
			uint8_t *n = realloc(ks->k, (cap = cap ? cap * 2 : 64) * ksz);

			if (!n)
				return pl_apply_fail(a, 0, -ENOMEM, "out of memory");
			ks->k = n;
		}
		err = pl_ctl_next_key(a->c, table, first ? NULL : ks->k + (ks->n - 1) * ksz, ks->k + ks->n * ksz);
		if (err == -ENOENT || err == -ESRCH)
			break;
		if (err)
			return pl_apply_fail(a, 0, err, "cannot list %s: %s", table, strerror(-err));
		ks->n++;
		first = 0;
	}
	qsort_r(ks->k, ks->n, ksz, key_cmp, &ks->ksz);
	return 0;
}

int pl_keyset_has(const struct pl_keyset *ks, const void *key)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = memcmp(key, ks->k + mid * ks->ksz, ks->ksz);

		if (!r)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Does the backend have this table? */
int pl_apply_has_table(struct pl_apply *a, const char *table, const void *any_key, size_t vsz)
{
	void *buf = calloc(1, vsz);
	int err;

	if (!buf)
		return 0;
	err = pl_ctl_lookup(a->c, table, any_key, buf);
	free(buf);
	return err != -ESRCH;
}

/* Resolve an interface name. */
int pl_apply_port(struct pl_apply *a, unsigned line, const char *name, uint32_t *ifindex,
		  uint32_t *out_port)
{
	int err = a->resolver(a->resolver_arg, name, ifindex, out_port);

	if (err == -ENOENT)
		return pl_apply_fail(a, line, err,
				     "unknown interface '%s' (check `ip link` in the network namespace the datapath runs in, and that the datapath serves it)",
				     name);
	if (err)
		return pl_apply_fail(a, line, err, "cannot use interface '%s': %s", name,
				     strerror(-err));
	return 0;
}

/* The stock resolver: ifindex from the kernel, out_port = ifindex (what a
 * devmap keyed by ifindex expects). */
int pl_port_resolve_ifname(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	unsigned idx = if_nametoindex(name);

	if (!idx)
		return -ENOENT;
	if (idx >= PL_PORTS_MAX)
		return -ERANGE;
	*ifindex = idx;
	*out_port = idx;
	return 0;
}

/* Undo ops[0..n) in reverse, then (if cfg_written) the configuration:
 * the old configuration live again and the other bank as it was.
 * Returns how many undo steps failed. */
static unsigned rollback(struct pl_apply *a, unsigned n, int cfg_written)
{
	unsigned failed = 0;

	if (cfg_written) {
		__u32 zero = 0, live;

		if (pl_ctl_set_config(a->c, &a->old_cfg))
			failed++;
		else if (a->cfg_flipped && !pl_ctl_lookup(a->c, "pl_config_live", &zero, &live)) {
			live = (live + 1) % 2;
			if (pl_ctl_update(a->c, "pl_config", &live, &a->idle_cfg))
				failed++;
		}
	}
	while (n--) {
		struct pl_op *op = &a->ops[n];
		int err;

		if (op->had_old)
			err = pl_ctl_update(a->c, op->table, op->key, op->old);
		else
			err = pl_ctl_remove(a->c, op->table, op->key);
		if (err && err != -ENOENT)
			failed++;
	}
	return failed;
}

/* Report a failed write after rolling back. */
static int commit_fail(struct pl_apply *a, const struct pl_op *op, const char *what, int err,
		       unsigned done, int cfg_written)
{
	unsigned failed = rollback(a, done, cfg_written);
	unsigned steps = done + (cfg_written ? 1 : 0);
	char state[160];

	if (!failed)
		snprintf(state, sizeof(state), "%u earlier write%s undone; the previous policy is still in force",
			 steps, steps == 1 ? "" : "s");
	else
		snprintf(state, sizeof(state),
			 "%u of %u earlier writes could not be undone; the tables are mixed: apply a policy again",
			 failed, steps);
	return pl_apply_fail(a, op ? op->line : 0, err, "%s failed: %s (%s)", what, strerror(-err),
			     state);
}

/* Make one op, saving what it replaces. */
static int op_do(struct pl_apply *a, struct pl_op *op)
{
	int err = op->known_new ? -ENOENT : pl_ctl_lookup(a->c, op->table, op->key, op->old);

	if (err && err != -ENOENT)
		return err;
	op->had_old = !err;
	if (op->kind == OP_DEL) {
		err = pl_ctl_remove(a->c, op->table, op->key);
		return err == -ENOENT ? 0 : err;
	}
	return pl_ctl_update(a->c, op->table, op->key, op->val);
}

/* Puts, then the configuration, then removals; roll back on failure. */
static int commit(struct pl_apply *a)
{
	char what[96];
	unsigned done = 0;
	int err;

	/* Puts come first in the queue order; removals were queued with them,
	 * so make two passes and keep `done` as a prefix of a reordered list. */
	for (unsigned i = 0, j = 0; i < a->nops; i++)
		if (a->ops[i].kind == OP_PUT) {
			struct pl_op t = a->ops[i];

			memmove(&a->ops[j + 1], &a->ops[j], (i - j) * sizeof(t));
			a->ops[j++] = t;
		}
	/* The idle ACL bank was live before the last flip: let the frames
	 * that may still read it end before it is rewritten. */
	err = pl_ctl_sync(a->c);
	if (err)
		return pl_apply_fail(a, 0, err, "cannot wait for the frames in flight: %s", strerror(-err));
	for (; done < a->nops && a->ops[done].kind == OP_PUT; done++) {
		err = op_do(a, &a->ops[done]);
		if (err) {
			snprintf(what, sizeof(what), "writing %s", a->ops[done].table);
			return commit_fail(a, &a->ops[done], what, err, done, 0);
		}
	}
	{
		__u32 zero = 0, live0 = 0, live1 = 0, idle;

		pl_ctl_lookup(a->c, "pl_config_live", &zero, &live0);
		idle = (live0 + 1) % 2;
		pl_ctl_lookup(a->c, "pl_config", &idle, &a->idle_cfg);
		err = pl_ctl_set_config(a->c, &a->cfg);
		if (err)
			return commit_fail(a, NULL, "writing pl_config", err, done, 0);
		pl_ctl_lookup(a->c, "pl_config_live", &zero, &live1);
		a->cfg_flipped = live0 != live1;
	}
	for (; done < a->nops; done++) {
		err = op_do(a, &a->ops[done]);
		if (err) {
			snprintf(what, sizeof(what), "removing an old entry of %s", a->ops[done].table);
			return commit_fail(a, &a->ops[done], what, err, done, 1);
		}
	}
	return 0;
}

/* Load a parsed policy into the backend's tables, all or nothing. */
int pl_policy_apply(struct pl_ctl *c, const struct pl_policy *p, pl_port_resolver resolver,
		    void *resolver_arg, struct pl_err *err)
{
	struct pl_apply a = {
		.c = c,
		.p = p,
		.resolver = resolver ? resolver : pl_port_resolve_ifname,
		.resolver_arg = resolver_arg,
		.err = err,
	};
	int ret;

	err->msg[0] = '\0';
	ret = pl_ctl_get_config(c, &a.old_cfg);
	if (ret) {
		ret = pl_apply_fail(&a, 0, ret,
				    "cannot read pl_config through the %s backend: %s (is the datapath loaded?)",
				    c->ops->name, strerror(-ret));
		goto out;
	}
	a.cfg = p->cfg;
	a.cfg.clock_ns = a.old_cfg.clock_ns; /* time is the runner's, not the policy's */
	a.cfg.acl_bank = a.old_cfg.acl_bank; /* the acl stage flips it */
	for (unsigned i = 0; i < p->nstages; i++) {
		const struct pl_policy_stage *st = p->stage[i].st;

		if (st->prepare) {
			ret = st->prepare(&a, p->stage[i].data);
			if (ret)
				goto out;
		}
	}
	ret = commit(&a);
out:
	for (unsigned i = 0; i < a.nops; i++)
		free(a.ops[i].key);
	free(a.ops);
	return ret;
}
