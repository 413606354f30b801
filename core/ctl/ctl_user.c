// SPDX-License-Identifier: MIT
/* The user-space backend: the tables of libpathlab-core in this process,
 * found through its registry by the names PL_TABLE gave them. Per-worker
 * tables are read copy by copy and written into every copy, as the BPF
 * backend does with per-CPU maps. */
#include <errno.h>
#include <string.h>
#include "pl_user.h" /* first: brings pl_platform.h before linux/ headers */
#include "pl_ctl.h"
#include "ctl_int.h"

/* The table called name, or NULL. */
static struct pl_table *user_table(const char *name)
{
	return pl_table_find(name);
}

/* Number of copies a table keeps. */
static unsigned user_copies(const struct pl_table *t)
{
	unsigned n = pl_core_nworkers();

	return pl_table_is_percpu(t) && n ? n : 1;
}

/* Write key/val; per-worker tables get the value in every copy. */
static int user_update(struct pl_ctl *c, const char *table, const void *key, const void *val)
{
	struct pl_table *t = user_table(table);

	if (!t)
		return -ESRCH;
	for (unsigned w = 0; w < user_copies(t); w++) {
		long err = pl_table_update_worker(t, key, val, PL_UPDATE_ANY, w);

		if (err)
			return (int)err;
	}
	return 0;
}

/* Read a shared entry (worker 0's copy for per-worker tables). */
static int user_lookup(struct pl_ctl *c, const char *table, const void *key, void *val)
{
	struct pl_table *t = user_table(table);
	void *v;

	if (!t)
		return -ESRCH;
	v = pl_table_lookup_worker(t, key, 0);
	if (!v)
		return -ENOENT;
	pl_table_read_worker(t, v, val);
	return 0;
}

/* Read every worker's copy, PL_CTL_PERCPU_STRIDE apart. */
static int user_lookup_percpu(struct pl_ctl *c, const char *table, const void *key, void *vals)
{
	struct pl_table *t = user_table(table);
	size_t stride;
	unsigned n;

	if (!t)
		return -ESRCH;
	stride = PL_CTL_PERCPU_STRIDE(t->value_size);
	n = pl_core_nworkers() ? pl_core_nworkers() : 1;
	for (unsigned w = 0; w < n; w++) {
		void *v = pl_table_lookup_worker(t, key, w);

		if (!v)
			return -ENOENT;
		memset((char *)vals + w * stride, 0, stride);
		pl_table_read_worker(t, v, (char *)vals + w * stride);
	}
	return 0;
}

/* Remove key from every copy. */
static int user_remove(struct pl_ctl *c, const char *table, const void *key)
{
	struct pl_table *t = user_table(table);
	uint32_t saved = pl_worker_id;
	long err = 0;

	if (!t)
		return -ESRCH;
	/* pl_table_delete works on the calling worker's copy. */
	for (unsigned w = 0; w < user_copies(t) && !err; w++) {
		pl_worker_set(w);
		err = pl_table_delete(t, key);
	}
	pl_worker_set(saved);
	return (int)err;
}

/* Iterate the keys of worker 0's copy. */
static int user_next_key(struct pl_ctl *c, const char *table, const void *key, void *next)
{
	struct pl_table *t = user_table(table);

	if (!t)
		return -ESRCH;
	return pl_table_next_key(t, 0, key, next);
}

/* Every worker's copy, entry by entry, while the workers run (hash
 * tables through pl_table_walk_worker; arrays index by index). */
static int user_walk(struct pl_ctl *c, const char *table, pl_ctl_walk_fn fn, void *arg)
{
	struct pl_table *t = user_table(table);
	int err = 0;

	if (!t)
		return -ESRCH;
	for (unsigned w = 0; w < user_copies(t) && !err; w++)
		err = pl_table_walk_worker(t, w, fn, arg);
	return err;
}

/* Workers the core was initialised for. */
static unsigned user_ncopies(struct pl_ctl *c)
{
	return pl_core_nworkers() ? pl_core_nworkers() : 1;
}

/* Every worker inside a frame has left it. */
static int user_sync(struct pl_ctl *c)
{
	(void)c;
	return pl_core_quiesce();
}

static const struct pl_ctl_ops user_ops = {
	.sync = user_sync,
	.name = "user",
	.update = user_update,
	.lookup = user_lookup,
	.lookup_percpu = user_lookup_percpu,
	.remove = user_remove,
	.next_key = user_next_key,
	.walk = user_walk,
	.ncopies = user_ncopies,
};

/* The in-process core; NULL (errno set) if pl_core_init() has not run. */
struct pl_ctl *pl_ctl_open_user(void)
{
	if (!pl_core_nworkers()) {
		errno = ENODEV;
		return NULL;
	}
	return pl_ctl_alloc(&user_ops, NULL);
}
