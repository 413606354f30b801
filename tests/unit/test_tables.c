// SPDX-License-Identifier: MIT
/* The user-space tables (core/user/pl_tables.c) keep the BPF map semantics
 * the core relies on: update flags, the HASH size limit (-E2BIG), arrays
 * (bounds, no delete), key iteration, the LRU evicting instead of failing,
 * per-worker copies, value pointers that stay where they are while other
 * keys come and go (the data path holds them during a frame while the
 * control plane updates the same table), shared values written copy on
 * write, and grace periods that wait for frames in flight only. */
#include "tunit.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

/* HASH: update flags, delete, the size limit, iteration. */
static void hash_semantics(void)
{
	struct pl_table *t = pl_table_find("pl_steer");
	struct pl_steer_key k = { .proto = IPPROTO_UDP };
	struct pl_steer_val v = { .action = PL_USER }, *p;
	unsigned n = 0;
	int rc;

	pl_check_context = "hash (pl_steer)";
	tu_reset();
	CHECK(t != NULL, "pl_steer registered");
	k.port = 1;
	CHECK_EQ(pl_table_update(t, &k, &v, PL_UPDATE_EXIST), (unsigned long long)-ENOENT);
	CHECK_EQ(pl_table_update(t, &k, &v, PL_UPDATE_NOEXIST), 0);
	CHECK_EQ(pl_table_update(t, &k, &v, PL_UPDATE_NOEXIST), (unsigned long long)-EEXIST);
	v.action = PL_DROP;
	CHECK_EQ(pl_table_update(t, &k, &v, PL_UPDATE_EXIST), 0);
	p = pl_table_lookup(t, &k);
	CHECK(p && p->action == PL_DROP, "updated in place");
	CHECK_EQ(pl_table_delete(t, &k), 0);
	CHECK(pl_table_lookup(t, &k) == NULL, "deleted");
	CHECK_EQ(pl_table_delete(t, &k), (unsigned long long)-ENOENT);
	/* full at max_entries: -E2BIG, as BPF_MAP_TYPE_HASH */
	for (k.port = 1; k.port <= t->max_entries; k.port++)
		CHECK_EQ(pl_table_update(t, &k, &v, PL_UPDATE_ANY), 0);
	rc = (int)pl_table_update(t, &k, &v, PL_UPDATE_ANY);
	CHECK_EQ(rc, -E2BIG);
	CHECK_EQ(pl_table_count(t, 0), t->max_entries);
	/* iteration sees every key once */
	{
		struct pl_steer_key cur, next;
		int first = 1;

		while (!pl_table_next_key(t, 0, first ? NULL : &cur, &next)) {
			first = 0;
			cur = next;
			n++;
			if (n > 2 * t->max_entries)
				break;
		}
	}
	CHECK_EQ(n, t->max_entries);
	pl_check_context = "";
}

/* ARRAY: bounds, no delete, NOEXIST refused. */
static void array_semantics(void)
{
	struct pl_table *t = pl_table_find("pl_acl");
	static struct pl_acl_set set;
	__u32 k;

	pl_check_context = "array (pl_acl)";
	k = 2;
	CHECK(pl_table_lookup(t, &k) == NULL, "key past max_entries");
	CHECK_EQ(pl_table_update(t, &k, &set, PL_UPDATE_ANY), (unsigned long long)-E2BIG);
	k = 1;
	CHECK(pl_table_lookup(t, &k) != NULL, "array entries always exist");
	CHECK_EQ(pl_table_delete(t, &k), (unsigned long long)-EINVAL);
	CHECK_EQ(pl_table_update(t, &k, &set, PL_UPDATE_NOEXIST), (unsigned long long)-EEXIST);
	pl_check_context = "";
}

/* A value pointer from lookup stays valid and in place while other keys
 * of a shared table are added and removed (BPF hash elements do not move;
 * the control plane churns pl_steer on every policy apply). */
static void stable_values(void)
{
	struct pl_table *t = pl_table_find("pl_steer");
	struct pl_steer_key a = { .proto = IPPROTO_UDP, .port = 4242 }, k = { .proto = IPPROTO_TCP };
	struct pl_steer_val v = { .action = PL_USER }, *p;

	pl_check_context = "stable value pointers";
	tu_reset();
	CHECK_EQ(pl_table_update(t, &a, &v, PL_UPDATE_ANY), 0);
	p = pl_table_lookup(t, &a);
	for (int round = 0; round < 8; round++) {
		for (k.port = 1; k.port <= 200; k.port++)
			pl_table_update(t, &k, &v, PL_UPDATE_ANY);
		for (k.port = 1; k.port <= 200; k.port++)
			pl_table_delete(t, &k);
	}
	CHECK(pl_table_lookup(t, &a) == p, "entry moved (a reader holding it would read freed memory)");
	CHECK(p->action == PL_USER, "value intact");
	pl_check_context = "";
}

/* Shared tables are copy on write: a value a frame in flight holds keeps
 * what it read while the control plane replaces or deletes the entry (a
 * reader must never see half-old, half-new values or another key's), and
 * is freed only after a grace period. */
static void copy_on_write(void)
{
	struct pl_table *t = pl_table_find("pl_steer"), *rl = pl_table_find("pl_rl_params");
	struct pl_steer_key a = { .proto = IPPROTO_UDP, .port = 4242 };
	struct pl_steer_val v = { .action = PL_USER }, *p, *q;
	struct pl_rl_params rp = { .prefix4 = 24 }, *r, *r2;
	__u32 zero = 0;

	pl_check_context = "copy on write";
	tu_reset();
	CHECK_EQ(pl_table_update(t, &a, &v, PL_UPDATE_ANY), 0);
	p = pl_table_lookup(t, &a);
	v.action = PL_DROP;
	CHECK_EQ(pl_table_update(t, &a, &v, PL_UPDATE_ANY), 0);
	CHECK(p && p->action == PL_USER, "hash value held by a reader rewritten under it");
	q = pl_table_lookup(t, &a);
	CHECK(q && q->action == PL_DROP, "hash update not visible to the next lookup");
	CHECK_EQ(pl_table_delete(t, &a), 0);
	CHECK(q->action == PL_DROP, "deleted value changed before a grace period");
	CHECK(pl_table_lookup(t, &a) == NULL, "deleted");

	CHECK_EQ(pl_table_update(rl, &zero, &rp, PL_UPDATE_ANY), 0);
	r = pl_table_lookup(rl, &zero);
	rp.prefix4 = 16;
	CHECK_EQ(pl_table_update(rl, &zero, &rp, PL_UPDATE_ANY), 0);
	CHECK(r && r->prefix4 == 24, "array value held by a reader rewritten under it");
	r2 = pl_table_lookup(rl, &zero);
	CHECK(r2 && r2->prefix4 == 16, "array update not visible to the next lookup");
	CHECK_EQ(pl_core_reclaim(), 0);
	CHECK(pl_table_lookup(rl, &zero) == r2 && r2->prefix4 == 16, "live value kept by reclaim");
	pl_check_context = "";
}

/* A thread standing for a worker: inside one frame until told to leave. */
static int holder_in, holder_leave, holder_left;

static void *holder(void *arg)
{
	pl_worker_set((unsigned)(uintptr_t)arg);
	pl_worker_enter();
	__atomic_store_n(&holder_in, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&holder_leave, __ATOMIC_ACQUIRE))
		usleep(1000);
	__atomic_store_n(&holder_left, 1, __ATOMIC_RELEASE);
	pl_worker_exit();
	return NULL;
}

/* A grace period waits for a worker inside a frame, not for workers
 * between frames, and gives up with -ETIMEDOUT on a frame that never
 * ends. */
static void grace_periods(void)
{
	pthread_t th;
	int err;

	pl_check_context = "grace periods";
	tu_reset();
	CHECK_EQ(pl_core_quiesce(), 0, "idle workers: nothing to wait for");
	holder_in = holder_leave = holder_left = 0;
	CHECK_EQ(pthread_create(&th, NULL, holder, (void *)(uintptr_t)1), 0);
	while (!__atomic_load_n(&holder_in, __ATOMIC_ACQUIRE))
		sched_yield();
	err = pl_core_quiesce(); /* the frame never ends: bounded wait */
	CHECK_EQ(err, -ETIMEDOUT, "a frame that does not end");
	CHECK(!__atomic_load_n(&holder_left, __ATOMIC_ACQUIRE), "returned only after the timeout");
	__atomic_store_n(&holder_leave, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pl_core_quiesce(), 0);
	CHECK(__atomic_load_n(&holder_left, __ATOMIC_ACQUIRE), "returned before the frame in flight ended");
	pthread_join(th, NULL);
	pl_check_context = "";
}

/* The per-source LRU (per worker) never refuses an insert: past its size it
 * evicts old entries; recent ones stay; the other worker is untouched. */
static void lru(void)
{
	struct pl_table *t = pl_table_find("pl_src");
	struct pl_src_stats s = { 1, 64 };
	const uint32_t total = t->max_entries + t->max_entries / 4;
	uint32_t fails = 0, recent = 0;
	struct pl_addr a;

	pl_check_context = "lru (pl_src)";
	tu_reset();
	memset(&a, 0, sizeof(a));
	for (uint32_t i = 0; i < total; i++) {
		a.w[3] = i;
		fails += pl_table_update_worker(t, &a, &s, PL_UPDATE_NOEXIST, 1) != 0;
	}
	CHECK_EQ(fails, 0, "inserts never fail");
	CHECK_EQ(pl_table_count(t, 1), t->max_entries);
	CHECK_EQ(pl_table_count(t, 0), 0);
	for (uint32_t i = total - 1000; i < total; i++) {
		a.w[3] = i;
		recent += pl_table_lookup_worker(t, &a, 1) != NULL;
	}
	CHECK(recent >= 990, "%u of the 1000 newest entries present", recent);
	pl_check_context = "";
}

/* SHARED_LRU_HASH: two threads insert past the size at once, as two
 * workers' data paths do; inserts do not fail, the count stays at the size,
 * no key is held twice, a key both threads insert is found, recent keys stay,
 * and delete works from the control plane. */
struct shared_arg {
	struct pl_table *t;
	uint32_t base, n, fails;
};

static void *shared_inserter(void *arg)
{
	struct shared_arg *a = arg;
	struct pl_shared_bucket b = { .b = { .drops = 1 } };
	struct pl_src_key k = { .family = 4 };

	for (uint32_t i = 0; i < a->n; i++) {
		long rc;

		/* every 16th key is inserted by both threads */
		k.addr.w[3] = i % 16 ? a->base + i : i;
		rc = pl_table_update(a->t, &k, &b, PL_UPDATE_NOEXIST);
		if (rc && rc != -EEXIST && !a->fails++)
			fprintf(stderr, "shared insert: %s\n", strerror((int)-rc));
	}
	return NULL;
}

static int shared_key_seen(const void *key, const void *val, void *arg)
{
	const struct pl_src_key *k = key;
	uint8_t *seen = arg;
	uint32_t w = k->addr.w[3];

	(void)val;
	if (w < (1u << 20))
		seen[w]++;
	return 0;
}

static void shared_lru(void)
{
	struct pl_table *t = pl_table_find("pl_rl_shared");
	struct shared_arg a[2];
	pthread_t th[2];
	static uint8_t seen[1u << 20];
	struct pl_src_key k = { .family = 4 };
	uint32_t twice = 0, recent = 0, n;

	pl_check_context = "shared lru (pl_rl_shared)";
	tu_reset();
	CHECK(t && t->kind == PL_KIND_SHARED_LRU_HASH && !pl_table_is_percpu(t), "registered, one copy");
	n = t->max_entries;
	for (int i = 0; i < 2; i++) {
		a[i] = (struct shared_arg){ t, (uint32_t)(i + 1) << 18, n, 0 };
		pthread_create(&th[i], NULL, shared_inserter, &a[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(a[0].fails + a[1].fails, 0, "inserts never fail");
	CHECK_EQ(pl_table_count(t, 0), t->max_entries);
	memset(seen, 0, sizeof(seen));
	pl_table_walk_worker(t, 0, shared_key_seen, seen);
	for (uint32_t i = 0; i < sizeof(seen); i++)
		twice += seen[i] > 1;
	CHECK_EQ(twice, 0, "no key held twice");
	/* then 1000 more from one thread: the newest stay */
	a[0] = (struct shared_arg){ t, 3u << 18, 1000, 0 };
	shared_inserter(&a[0]);
	for (uint32_t i = 0; i < 1000; i++) {
		k.addr.w[3] = i % 16 ? a[0].base + i : i;
		recent += pl_table_lookup(t, &k) != NULL;
	}
	CHECK(recent >= 990, "%u of the 1000 newest entries present", recent);
	k.addr.w[3] = a[0].base + 999;
	CHECK(pl_table_lookup(t, &k) != NULL, "the last insert is there");
	{
		uint32_t before = pl_table_count(t, 0);

		CHECK_EQ(pl_table_delete(t, &k), 0);
		CHECK(pl_table_lookup(t, &k) == NULL, "deleted");
		CHECK_EQ(pl_table_count(t, 0), before - 1);
	}
	pl_check_context = "";
}

/* The table group. */
void test_tables(void)
{
	hash_semantics();
	array_semantics();
	stable_values();
	copy_on_write();
	grace_periods();
	lru();
	shared_lru();
	tu_reset();
}
