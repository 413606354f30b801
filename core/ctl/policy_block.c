// SPDX-License-Identifier: MIT
/* Policy keyword of the block stage (block lists, core/stages/block.h):
 *   block src FILE    drop frames whose source address is in FILE's prefixes
 *   block dst FILE    drop frames whose destination address is in them
 * FILE holds one IPv4 or IPv6 address or prefix per line; '#' starts a
 * comment, blank lines are skipped; an error names FILE:LINE. A relative
 * FILE is read from the policy file's directory. A list may be given in
 * several files; prefixes named twice count once.
 * Apply writes the prefixes that are not in the tables yet, sets the list's
 * enable bit with the configuration, then removes the prefixes the policy no
 * longer names: a frame sees each prefix in the list or not, and a list
 * that was off is whole before its bit is set. Prefixes already in the
 * tables are not written again, so re-applying a policy with a changed
 * list costs its changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_int.h"
#include "stages/block.h"

struct block_list {
	unsigned n4, n6, cap4, cap6;
	struct pl_route_key4 *k4;
	struct pl_route_key6 *k6;
};

struct block_data {
	struct block_list list[2]; /* src, dst */
	unsigned files;
};

static int push(struct pl_parse *ps, void **arr, unsigned *n, unsigned *cap, size_t sz, const void *k)
{
	if (*n == *cap) {
		unsigned c = *cap ? *cap * 2 : 256;
		void *m = realloc(*arr, (size_t)c * sz);

		if (!m)
			return pl_parse_fail(ps, "out of memory");
		*arr = m;
		*cap = c;
	}
	memcpy((char *)*arr + (size_t)*n * sz, k, sz);
	(*n)++;
	return 0;
}

/* One prefix line of a list file into l. */
static int block_line(struct pl_parse *ps, struct block_list *l, const char *word)
{
	struct pl_addr net, mask;
	unsigned bits = 0;
	__u8 family;
	int err;

	if (!strcmp(word, "any"))
		return pl_parse_fail(ps, "'any' names no family (write 0.0.0.0/0 or ::/0)");
	err = pl_parse_prefix(ps, word, "block prefix", &net, &mask, &family);
	if (err)
		return err;
	for (unsigned i = 0; i < 16; i++)
		bits += (unsigned)__builtin_popcount(mask.b[i]);
	if (family == 4) {
		struct pl_route_key4 k = { .prefixlen = bits - 96 };

		memcpy(k.addr, &net.b[12], 4);
		if (l->n4 >= PL_BLOCK_MAX / 2)
			return pl_parse_fail(ps, "more than %d IPv4 prefixes in one list (the table holds two lists' worth, %d)",
					     PL_BLOCK_MAX / 2, PL_BLOCK_MAX);
		return push(ps, (void **)&l->k4, &l->n4, &l->cap4, sizeof(k), &k);
	} else {
		struct pl_route_key6 k = { .prefixlen = bits };

		memcpy(k.addr, net.b, 16);
		if (l->n6 >= PL_BLOCK_MAX / 2)
			return pl_parse_fail(ps, "more than %d IPv6 prefixes in one list (the table holds two lists' worth, %d)",
					     PL_BLOCK_MAX / 2, PL_BLOCK_MAX);
		return push(ps, (void **)&l->k6, &l->n6, &l->cap6, sizeof(k), &k);
	}
}

/* The list file's path: relative to the policy file's directory. */
static void list_path(const struct pl_parse *ps, const char *file, char *out, size_t len)
{
	const char *slash = strrchr(ps->file, '/');

	if (file[0] == '/' || !slash)
		snprintf(out, len, "%s", file);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - ps->file), ps->file, file);
}

/* block src|dst FILE */
int pl_kw_block(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct block_data *d = data;
	struct block_list *l;
	struct pl_parse lps = *ps;
	char path[4096], line[512];
	FILE *f;
	int err = 0;

	if (argc != 3 || (strcmp(argv[1], "src") && strcmp(argv[1], "dst")))
		return pl_parse_fail(ps, "block takes src or dst and a file of prefixes (usage: %s)", ps->usage);
	l = &d->list[argv[1][0] == 'd'];
	list_path(ps, argv[2], path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return pl_parse_fail(ps, "cannot read block list '%s': %s (one prefix per line; a relative name is read from the policy file's directory)",
				     path, strerror(errno));
	lps.file = path;
	lps.line = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		char *s = line, *e, *hash = strchr(line, '#');

		lps.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			err = pl_parse_fail(&lps, "line longer than %zu characters", sizeof(line) - 2);
			break;
		}
		if (hash)
			*hash = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			*--e = '\0';
		if (!*s)
			continue;
		if (strpbrk(s, " \t")) {
			err = pl_parse_fail(&lps, "'%s': one prefix per line (e.g. 192.0.2.0/24, 2001:db8::/32)", s);
			break;
		}
		err = block_line(&lps, l, s);
	}
	if (!err && ferror(f))
		err = pl_parse_fail(&lps, "cannot read: %s", strerror(errno));
	fclose(f);
	d->files++;
	return err;
}

static int k4_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct pl_route_key4));
}

static int k6_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct pl_route_key6));
}

/* Sorted, each prefix once. */
static unsigned uniq(void *arr, unsigned n, size_t sz, int (*cmp)(const void *, const void *))
{
	unsigned j = 0;

	if (!n)
		return 0;
	qsort(arr, n, sz, cmp);
	for (unsigned i = 1; i < n; i++)
		if (memcmp((char *)arr + (size_t)i * sz, (char *)arr + (size_t)j * sz, sz))
			memcpy((char *)arr + (size_t)++j * sz, (char *)arr + (size_t)i * sz, sz);
	return j + 1;
}

static int block_finish(struct pl_parse *ps, void *data)
{
	struct block_data *d = data;

	for (unsigned i = 0; i < 2; i++) {
		struct block_list *l = &d->list[i];

		l->n4 = uniq(l->k4, l->n4, sizeof(*l->k4), k4_cmp);
		l->n6 = uniq(l->k6, l->n6, sizeof(*l->k6), k6_cmp);
	}
	pl_parse_cfg(ps)->block_enabled = (__u8)((d->list[0].n4 || d->list[0].n6 ? PL_BLOCK_SRC : 0) |
						 (d->list[1].n4 || d->list[1].n6 ? PL_BLOCK_DST : 0));
	return 0;
}

/* Write what table lacks of keys[0..n) (sorted), then remove what it has
 * beyond them. */
static int block_table(struct pl_apply *a, const char *table, const void *keys, unsigned n, size_t ksz)
{
	struct pl_block_val v = { 0 };
	struct pl_keyset have, want = { (uint8_t *)keys, n, ksz };
	int err = pl_apply_keys(a, table, ksz, &have);

	for (unsigned i = 0; !err && i < n; i++) {
		const void *k = (const char *)keys + (size_t)i * ksz;

		if (!pl_keyset_has(&have, k))
			err = pl_apply_put_new(a, table, k, ksz, &v, sizeof(v), 0);
	}
	for (size_t i = 0; !err && i < have.n; i++)
		if (!pl_keyset_has(&want, have.k + i * ksz))
			err = pl_apply_del(a, table, have.k + i * ksz, ksz, sizeof(v));
	free(have.k);
	return err;
}

static int block_prepare(struct pl_apply *a, const void *data)
{
	static const char *const t4[2] = { "pl_block_src4", "pl_block_dst4" };
	static const char *const t6[2] = { "pl_block_src6", "pl_block_dst6" };
	const struct block_data *d = data;
	int err = 0;

	for (unsigned i = 0; !err && i < 2; i++) {
		err = block_table(a, t4[i], d->list[i].k4, d->list[i].n4, sizeof(struct pl_route_key4));
		if (!err)
			err = block_table(a, t6[i], d->list[i].k6, d->list[i].n6, sizeof(struct pl_route_key6));
	}
	return err;
}

/* "block=src:N,dst:M" */
static void block_summary(const void *data, char *buf, size_t len)
{
	const struct block_data *d = data;

	if (d->files)
		snprintf(buf, len, "block=src:%u,dst:%u", d->list[0].n4 + d->list[0].n6,
			 d->list[1].n4 + d->list[1].n6);
	else
		buf[0] = '\0';
}

static void block_free(void *data)
{
	struct block_data *d = data;

	for (unsigned i = 0; i < 2; i++) {
		free(d->list[i].k4);
		free(d->list[i].k6);
	}
}

const struct pl_policy_stage pl_policy_stage_block = {
	.name = "block",
	.size = sizeof(struct block_data),
	.finish = block_finish,
	.prepare = block_prepare,
	.summary = block_summary,
	.free = block_free,
};

/* ---- live changes (pl_ctl.h: pl_block_add / pl_block_del / pl_block_load) ---- */

static const char *const tname4[2] = { "pl_block_src4", "pl_block_dst4" };
static const char *const tname6[2] = { "pl_block_src6", "pl_block_dst6" };

/* Set or clear list's enable bit; the configuration is written (a bank
 * flip) only when the bit changes. */
static int block_bit(struct pl_ctl *c, int list, int on, struct pl_err *err)
{
	__u8 bit = list ? PL_BLOCK_DST : PL_BLOCK_SRC;
	struct pl_config cfg;
	int e = pl_ctl_get_config(c, &cfg);

	if (!e && !!(cfg.block_enabled & bit) != !!on) {
		cfg.block_enabled = (__u8)(on ? cfg.block_enabled | bit : cfg.block_enabled & ~bit);
		e = pl_ctl_set_config(c, &cfg);
	}
	if (e)
		snprintf(err->msg, sizeof(err->msg), "cannot write the configuration: %s", strerror(-e));
	return e;
}

static int block_key(const char *prefix, struct pl_route_key6 *k, int *v6, struct pl_err *err)
{
	struct pl_parse ps = { .file = "block", .line = 0, .err = err };
	struct block_list l = { 0 };
	int e = block_line(&ps, &l, prefix);

	if (e)
		return e;
	*v6 = l.n6 != 0;
	memset(k, 0, sizeof(*k));
	memcpy(k, l.n6 ? (void *)l.k6 : (void *)l.k4, l.n6 ? sizeof(*l.k6) : sizeof(*l.k4));
	free(l.k4);
	free(l.k6);
	return 0;
}

int pl_block_add(struct pl_ctl *c, int list, const char *prefix, struct pl_err *err)
{
	struct pl_block_val v = { 0 };
	struct pl_route_key6 k;
	int v6, e = block_key(prefix, &k, &v6, err);

	if (e)
		return e;
	e = pl_ctl_update(c, v6 ? tname6[!!list] : tname4[!!list], &k, &v);
	if (e) {
		snprintf(err->msg, sizeof(err->msg), "cannot add %s to the %s list: %s%s", prefix,
			 list ? "dst" : "src", strerror(-e),
			 e == -ENOSPC || e == -E2BIG ? " (the list is full)" : "");
		return e;
	}
	return block_bit(c, list, 1, err);
}

int pl_block_del(struct pl_ctl *c, int list, const char *prefix, struct pl_err *err)
{
	struct pl_route_key6 k;
	int v6, e = block_key(prefix, &k, &v6, err);

	if (e)
		return e;
	e = pl_ctl_remove(c, v6 ? tname6[!!list] : tname4[!!list], &k);
	if (e)
		snprintf(err->msg, sizeof(err->msg), "cannot remove %s from the %s list: %s", prefix,
			 list ? "dst" : "src",
			 e == -ENOENT ? "it is not in the list (prefixes are removed as they were added)"
				      : strerror(-e));
	return e;
}

/* One table of a list being loaded: the keys wanted (sorted) and held. */
struct block_sync {
	const char *table;
	struct pl_keyset want, have;
	unsigned added;
};

/* Write the prefixes the table lacks; count them in added. */
static int block_add_missing(struct pl_ctl *c, struct block_sync *t, struct pl_err *err)
{
	struct pl_block_val v = { 0 };
	struct pl_policy dummy = { .name = (char *)"block" };
	struct pl_apply a = { .c = c, .p = &dummy, .err = err };
	int e = pl_apply_keys(&a, t->table, t->want.ksz, &t->have);

	for (size_t i = 0; !e && i < t->want.n; i++) {
		const void *k = t->want.k + i * t->want.ksz;

		if (pl_keyset_has(&t->have, k))
			continue;
		e = pl_ctl_update(c, t->table, k, &v);
		if (e)
			snprintf(err->msg, sizeof(err->msg), "writing %s: %s%s", t->table, strerror(-e),
				 e == -ENOSPC || e == -E2BIG ? " (the list is full)" : "");
		else
			t->added++;
	}
	return e;
}

/* Remove what block_add_missing wrote (a failed load). */
static void block_undo(struct pl_ctl *c, struct block_sync *t)
{
	for (size_t i = 0; t->added && i < t->want.n; i++) {
		const void *k = t->want.k + i * t->want.ksz;

		if (!pl_keyset_has(&t->have, k) && !pl_ctl_remove(c, t->table, k))
			t->added--;
	}
}

/* Remove the prefixes held that are not wanted. */
static int block_remove_extra(struct pl_ctl *c, struct block_sync *t, struct pl_err *err)
{
	for (size_t i = 0; i < t->have.n; i++) {
		const void *k = t->have.k + i * t->have.ksz;
		int e;

		if (pl_keyset_has(&t->want, k))
			continue;
		e = pl_ctl_remove(c, t->table, k);
		if (e && e != -ENOENT) {
			snprintf(err->msg, sizeof(err->msg),
				 "removing an old prefix from %s: %s (the new list is in place, some old prefixes remain: load again)",
				 t->table, strerror(-e));
			return e;
		}
	}
	return 0;
}

long pl_block_load(struct pl_ctl *c, int list, const char *file, struct pl_err *err)
{
	struct block_data d;
	struct pl_parse ps = { .file = "block load", .line = 0, .err = err };
	char *argv[3] = { (char *)"block", (char *)(list ? "dst" : "src"), (char *)file };
	struct block_list *l = &d.list[!!list];
	struct block_sync t[2];
	int e;

	memset(&d, 0, sizeof(d));
	memset(t, 0, sizeof(t));
	err->msg[0] = '\0';
	e = pl_kw_block(&ps, &d, 3, argv);
	if (!e) {
		l->n4 = uniq(l->k4, l->n4, sizeof(*l->k4), k4_cmp);
		l->n6 = uniq(l->k6, l->n6, sizeof(*l->k6), k6_cmp);
		t[0] = (struct block_sync){ tname4[!!list], { (uint8_t *)l->k4, l->n4, sizeof(*l->k4) }, { 0 }, 0 };
		t[1] = (struct block_sync){ tname6[!!list], { (uint8_t *)l->k6, l->n6, sizeof(*l->k6) }, { 0 }, 0 };
		/* The new prefixes first (all of them, or none: undone on a
		 * failure), then the bit (a list that was off is whole before
		 * it is used), then the old prefixes out. */
		e = block_add_missing(c, &t[0], err);
		if (!e)
			e = block_add_missing(c, &t[1], err);
		if (e) {
			block_undo(c, &t[0]);
			block_undo(c, &t[1]);
			if (t[0].added || t[1].added)
				snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
					 "; %u new prefixes could not be removed again", t[0].added + t[1].added);
			else
				snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
					 "; the list is as it was");
		}
		if (!e && (l->n4 || l->n6))
			e = block_bit(c, list, 1, err);
		if (!e)
			e = block_remove_extra(c, &t[0], err);
		if (!e)
			e = block_remove_extra(c, &t[1], err);
		if (!e && !l->n4 && !l->n6)
			e = block_bit(c, list, 0, err);
	}
	free(t[0].have.k);
	free(t[1].have.k);
	block_free(&d);
	return e ? e : (long)(l->n4 + l->n6);
}
