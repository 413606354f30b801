// SPDX-License-Identifier: MIT
/* Fuzz target for the policy parser and pl_policy_apply().
 *
 * Any text either fails to parse with a message naming the file, or parses
 * into a policy that is summarised and then applied to the user-space
 * tables of libpathlab-core (two workers) through a backend that can fail
 * on purpose: a hash of the text picks one table write (of the first 300)
 * that returns EIO, and interface names resolve or not by their length
 * (odd: unknown). After an apply:
 *   - success: the live configuration is the policy's (clock_ns and
 *     acl_bank aside), and every shared table is recorded;
 *   - failure: the message names the file, and every shared table (the
 *     configuration, both ACL banks, steering, forwarding, every stage's
 *     tables) is exactly as the last successful apply left it: all or
 *     nothing.
 * Built with ASan and UBSan: no crash, leak or out-of-bounds access. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"
#include "pl_ctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n);

#define MUST(cond)                                                                     \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* ---- a backend that fails one write ----------------------------------------- */

static struct pl_ctl *user;
static long writes, fail_at = -1;

static int fault(void)
{
	return writes++ == fail_at ? -EIO : 0;
}

static int f_update(struct pl_ctl *c, const char *t, const void *k, const void *v)
{
	return fault() ? -EIO : user->ops->update(user, t, k, v);
}

static int f_remove(struct pl_ctl *c, const char *t, const void *k)
{
	return fault() ? -EIO : user->ops->remove(user, t, k);
}

static int f_lookup(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return user->ops->lookup(user, t, k, v);
}

static int f_lookup_percpu(struct pl_ctl *c, const char *t, const void *k, void *v)
{
	return user->ops->lookup_percpu(user, t, k, v);
}

static int f_next_key(struct pl_ctl *c, const char *t, const void *k, void *n)
{
	return user->ops->next_key(user, t, k, n);
}

static unsigned f_ncopies(struct pl_ctl *c)
{
	return user->ops->ncopies(user);
}

static const struct pl_ctl_ops fault_ops = {
	.name = "user (failing one write)",
	.update = f_update,
	.lookup = f_lookup,
	.lookup_percpu = f_lookup_percpu,
	.remove = f_remove,
	.next_key = f_next_key,
	.ncopies = f_ncopies,
};
static struct pl_ctl fctl = { .ops = &fault_ops };

/* Names of odd length are unknown; others get a port 1..63. */
static int resolver(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	uint32_t h = 0;
	size_t n = strlen(name);

	if (n & 1)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + (unsigned char)name[i];
	*ifindex = *out_port = 1 + h % 63;
	return 0;
}

/* ---- the shared tables, recorded ----------------------------------------------- */

struct snap {
	struct pl_table *t;
	uint8_t *raw;   /* arrays: every value */
	uint64_t sum;   /* hashes: order-independent digest of key + value */
	uint32_t count;
};

#define SNAP_MAX 64
static struct snap good[SNAP_MAX], now[SNAP_MAX];
static unsigned nsnap;

static uint64_t fnv(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Record one shared table into s. */
static void record(struct pl_table *t, struct snap *s)
{
	uint8_t key[256], next[256];
	int first = 1;

	s->t = t;
	s->sum = 0;
	s->count = 0;
	if (t->kind == PL_KIND_ARRAY) {
		__u32 zero = 0;
		size_t sz = (size_t)t->max_entries * t->value_size;

		if (!s->raw)
			s->raw = malloc(sz);
		MUST(s->raw);
		memcpy(s->raw, pl_table_lookup_worker(t, &zero, 0), sz);
		return;
	}
	MUST(t->key_size <= sizeof(key));
	while (!pl_table_next_key(t, 0, first ? NULL : key, next)) {
		const uint8_t *v = pl_table_lookup_worker(t, next, 0);

		MUST(v);
		s->sum += fnv(v, t->value_size, fnv(next, t->key_size, 0xcbf29ce484222325ull));
		s->count++;
		memcpy(key, next, t->key_size);
		first = 0;
	}
}

static int shared(struct pl_table *t)
{
	return !pl_table_is_percpu(t) && t->kind != PL_KIND_DEVMAP && t->kind != PL_KIND_XSKMAP;
}

static int count_shared(struct pl_table *t, void *arg)
{
	if (shared(t)) {
		MUST(nsnap < SNAP_MAX);
		good[nsnap].t = now[nsnap].t = t;
		nsnap++;
	}
	return 0;
}

static void record_all(struct snap *s)
{
	for (unsigned i = 0; i < nsnap; i++)
		record(s[i].t, &s[i]);
}

/* Is every shared table as the last successful apply left it? */
static void check_unchanged(const char *msg)
{
	record_all(now);
	for (unsigned i = 0; i < nsnap; i++) {
		struct pl_table *t = good[i].t;
		int same = t->kind == PL_KIND_ARRAY
				   ? !memcmp(good[i].raw, now[i].raw, (size_t)t->max_entries * t->value_size)
				   : good[i].sum == now[i].sum && good[i].count == now[i].count;

		if (!same) {
			fprintf(stderr, "a failed apply changed table %s (%s)\n", t->name, msg);
			abort();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	MUST(pl_core_init(2) == 0);
	user = pl_ctl_open_user();
	MUST(user);
	pl_table_for_each(count_shared, NULL);
	record_all(good);
	return 0;
}

/* One input: NUL-terminate, parse, summarise, apply, check. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *text = malloc(n + 1);
	struct pl_policy *p;
	struct pl_err err;

	if (!text)
		return 0;
	memcpy(text, data, n);
	text[n] = '\0';
	if (!pl_policy_parse_string(text, "fuzz.policy", &p, &err)) {
		char sum[256];
		struct pl_config live;
		const struct pl_config *want = pl_policy_config(p);

		pl_policy_summary(p, sum, sizeof(sum));
		writes = 0;
		fail_at = (long)(fnv(data, n, 0xcbf29ce484222325ull) % 400);
		if (fail_at >= 300)
			fail_at = -1; /* a quarter of the inputs: no injected failure */
		if (pl_policy_apply(&fctl, p, resolver, NULL, &err)) {
			MUST(!strncmp(err.msg, "fuzz.policy", 11));
			check_unchanged(err.msg);
		} else {
			MUST(!pl_ctl_get_config(user, &live));
			live.clock_ns = want->clock_ns;
			live.acl_bank = want->acl_bank;
			MUST(!memcmp(&live, want, sizeof(live)));
			record_all(good);
		}
		pl_policy_free(p);
	} else {
		MUST(!strncmp(err.msg, "fuzz.policy", 11)); /* every parse error names the file */
	}
	free(text);
	return 0;
}
