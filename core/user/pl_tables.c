// SPDX-License-Identifier: MIT
/* User-space tables with the semantics of the BPF maps they stand for.
 *
 * HASH / LRU_HASH / PERCPU_LRU_HASH: open addressing with linear probing in
 * a power-of-two slot array at least twice max_entries. HASH refuses an
 * insert past max_entries (-E2BIG, as BPF); the LRU kinds evict the least
 * recently used entry of a bounded probe window instead, so an insert always
 * succeeds (the kernel's LRU is approximate too).
 * LPM: an array of prefixes searched for the longest match (small tables).
 * ARRAY / PERCPU_ARRAY / DEVMAP / XSKMAP: a value array indexed by a u32.
 *
 * PERCPU kinds keep one whole copy per worker, used only by that worker's
 * thread, so the data path needs no locks. Shared kinds are written by the
 * control plane only: a slot is published with a release store of its state
 * after key and value are written, and read with an acquire load; a shared
 * array entry is replaced copy-on-write (array_replace), a 4-byte one by one
 * atomic store; storage a frame may still read is freed only after
 * pl_core_quiesce(). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pl_user.h"

#define SLOT_EMPTY 0
#define SLOT_USED  1
#define SLOT_DEAD  2
#define LRU_WINDOW 8

struct pl_hash {
	uint32_t mask;      /* slots - 1 */
	uint32_t count;     /* used slots */
	uint32_t dead;      /* tombstones (SLOT_DEAD) */
	uint32_t stride;    /* bytes per slot */
	uint64_t tick;      /* LRU clock */
	uint8_t *slots;     /* [state:4][pad:4][stamp:8][key][value] */
};

struct pl_lpm {
	uint32_t count;
	uint32_t stride;
	uint8_t *ents;      /* [key][value] */
};

struct pl_tstore {
	unsigned copies;    /* 1, or nworkers for PERCPU kinds */
	void *copy[PL_WORKERS_MAX];
};

extern struct pl_table *const __start_pl_tables[];
extern struct pl_table *const __stop_pl_tables[];

__thread uint32_t pl_worker_id;
static unsigned nworkers_;

#define HDR 16u

static inline uint32_t *slot_state(uint8_t *s) { return (uint32_t *)s; }
static inline uint64_t *slot_stamp(uint8_t *s) { return (uint64_t *)(s + 8); }
static inline uint8_t *slot_key(uint8_t *s) { return s + HDR; }

static uint32_t hash_bytes(const void *p, uint32_t n)
{
	/* FNV-1a over 32-bit words (keys are small, fixed-size and mostly a
	 * multiple of 4 bytes), bytes for the rest, then a final avalanche. */
	const uint8_t *b = p;
	uint32_t h = 2166136261u, i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, b + i, 4);
		h = (h ^ w) * 16777619u;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	return h;
}

static int is_hash(enum pl_table_kind k)
{
	return k == PL_KIND_HASH || k == PL_KIND_LRU_HASH || k == PL_KIND_PERCPU_LRU_HASH;
}

static int is_lru(enum pl_table_kind k)
{
	return k == PL_KIND_LRU_HASH || k == PL_KIND_PERCPU_LRU_HASH;
}

int pl_table_is_percpu(const struct pl_table *t)
{
	return t->kind == PL_KIND_PERCPU_ARRAY || t->kind == PL_KIND_PERCPU_LRU_HASH;
}

static void *copy_alloc(const struct pl_table *t)
{
	if (is_hash(t->kind)) {
		struct pl_hash *h = calloc(1, sizeof(*h));
		uint32_t slots = 1;

		if (!h)
			return NULL;
		while (slots < 2 * t->max_entries)
			slots <<= 1;
		h->mask = slots - 1;
		h->stride = (HDR + t->key_size + t->value_size + 7) & ~7u;
		h->slots = calloc(slots, h->stride);
		if (!h->slots) {
			free(h);
			return NULL;
		}
		return h;
	}
	if (t->kind == PL_KIND_LPM) {
		struct pl_lpm *l = calloc(1, sizeof(*l));

		if (!l)
			return NULL;
		l->stride = t->key_size + t->value_size;
		l->ents = calloc(t->max_entries, l->stride);
		if (!l->ents) {
			free(l);
			return NULL;
		}
		return l;
	}
	return calloc(t->max_entries, t->value_size);
}

static void copy_free(const struct pl_table *t, void *c)
{
	if (!c)
		return;
	if (is_hash(t->kind))
		free(((struct pl_hash *)c)->slots);
	else if (t->kind == PL_KIND_LPM)
		free(((struct pl_lpm *)c)->ents);
	free(c);
}

static void *copy_of(struct pl_table *t, unsigned worker)
{
	struct pl_tstore *st = t->impl;

	if (!st)
		return NULL;
	/* worker is below copies on the data path: no division there. The
	 * acquire pairs with the release that publishes a shared array's new
	 * storage (array_replace). */
	return __atomic_load_n(&st->copy[worker < st->copies ? worker : worker % st->copies],
			       __ATOMIC_ACQUIRE);
}

/* Write entry idx of a shared array without changing what a running frame
 * reads: a copy of the whole array with the entry replaced is published
 * with one release store, and the old storage is freed once every frame
 * that may hold it has ended. Values of shared arrays are written by the
 * control plane only (stage parameters, ACL banks, configuration banks). */
static long array_replace(struct pl_table *t, uint32_t idx, const void *val)
{
	struct pl_tstore *st = t->impl;
	size_t sz = (size_t)t->max_entries * t->value_size;
	uint8_t *old = st->copy[0], *fresh = malloc(sz);

	if (!fresh)
		return -ENOMEM;
	memcpy(fresh, old, sz);
	memcpy(fresh + (size_t)idx * t->value_size, val, t->value_size);
	__atomic_store_n(&st->copy[0], fresh, __ATOMIC_RELEASE);
	pl_core_quiesce();
	free(old);
	return 0;
}

/* ---- hash ---- */

/* Key equality without a libc call for the usual small sizes. */
static inline int key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t x, y, x2, y2;

	switch (n) {
	case 4:
		return !memcmp(a, b, 4);
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	case 16:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&x2, a + 8, 8);
		memcpy(&y2, b + 8, 8);
		return ((x ^ y) | (x2 ^ y2)) == 0;
	default:
		return !memcmp(a, b, n);
	}
}

/* The slot holding key, or NULL; *probes (when given) counts the slots
 * examined. The slot array is loaded once, with acquire: a shared table's
 * array is replaced whole when its tombstones are reclaimed. */
static inline uint8_t *hash_probe(const struct pl_table *t, struct pl_hash *h, const void *key,
				  uint32_t *probes)
{
	uint8_t *slots = __atomic_load_n(&h->slots, __ATOMIC_ACQUIRE);
	uint32_t i = hash_bytes(key, t->key_size) & h->mask;

	for (uint32_t n = 0; n <= h->mask; n++, i = (i + 1) & h->mask) {
		uint8_t *s = slots + (size_t)i * h->stride;
		uint32_t st = __atomic_load_n(slot_state(s), __ATOMIC_ACQUIRE);

		if (probes)
			*probes = n + 1;
		if (st == SLOT_EMPTY)
			return NULL;
		if (st == SLOT_USED && key_eq(slot_key(s), key, t->key_size))
			return s;
	}
	return NULL;
}

static uint8_t *hash_find(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	return hash_probe(t, h, key, NULL);
}

static uint8_t *hash_free_slot(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	uint32_t i = hash_bytes(key, t->key_size) & h->mask;

	for (uint32_t n = 0; n <= h->mask; n++, i = (i + 1) & h->mask) {
		uint8_t *s = h->slots + (size_t)i * h->stride;

		if (*slot_state(s) != SLOT_USED)
			return s;
	}
	return NULL;
}

/* Evict the least recently used entry among a window of used slots starting
 * where the new key hashes. */
static void hash_evict(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	uint32_t i = hash_bytes(key, t->key_size) & h->mask;
	uint8_t *victim = NULL;
	unsigned seen = 0;

	for (uint32_t n = 0; n <= h->mask && seen < LRU_WINDOW; n++, i = (i + 1) & h->mask) {
		uint8_t *s = h->slots + (size_t)i * h->stride;

		if (*slot_state(s) != SLOT_USED)
			continue;
		seen++;
		if (!victim || *slot_stamp(s) < *slot_stamp(victim))
			victim = s;
	}
	if (victim) {
		__atomic_store_n(slot_state(victim), SLOT_DEAD, __ATOMIC_RELEASE);
		h->count--;
		h->dead++;
	}
}

/* Too many tombstones make probes long (a miss ends only at an empty
 * slot): rebuild when a quarter of the slots are dead. The live entries are
 * copied into a new array, which is then published with one release store.
 * A per-worker copy has one reader, its writer, so the old array goes at
 * once. A shared table is read lock-free by every worker while the control
 * plane (its only writer) rebuilds it: the old array is freed only after
 * every frame that may still hold it has ended (pl_core_quiesce). */
static void hash_compact(const struct pl_table *t, struct pl_hash *h)
{
	uint32_t slots = h->mask + 1;
	uint8_t *old = h->slots, *fresh;
	struct pl_hash tmp;

	if (h->dead < slots / 4)
		return;
	fresh = calloc(slots, h->stride);
	if (!fresh)
		return; /* keep the tombstones; probes stay correct */
	tmp = *h;
	tmp.slots = fresh;
	for (uint32_t i = 0; i < slots; i++) {
		uint8_t *s = old + (size_t)i * h->stride;

		if (*slot_state(s) == SLOT_USED)
			memcpy(hash_free_slot(t, &tmp, slot_key(s)), s, h->stride);
	}
	__atomic_store_n(&h->slots, fresh, __ATOMIC_RELEASE);
	h->dead = 0;
	if (!pl_table_is_percpu(t))
		pl_core_quiesce();
	free(old);
}

static long hash_update(const struct pl_table *t, struct pl_hash *h, const void *key,
			const void *val, uint64_t flags)
{
	uint8_t *s = hash_find(t, h, key);

	if (s) {
		if (flags == PL_UPDATE_NOEXIST)
			return -EEXIST;
		memcpy(slot_key(s) + t->key_size, val, t->value_size);
		*slot_stamp(s) = ++h->tick;
		return 0;
	}
	if (flags == PL_UPDATE_EXIST)
		return -ENOENT;
	if (h->count >= t->max_entries) {
		if (!is_lru(t->kind))
			return -E2BIG;
		hash_evict(t, h, key);
	}
	hash_compact(t, h);
	s = hash_free_slot(t, h, key);
	if (!s)
		return -E2BIG;
	if (*slot_state(s) == SLOT_DEAD)
		h->dead--;
	memcpy(slot_key(s), key, t->key_size);
	memcpy(slot_key(s) + t->key_size, val, t->value_size);
	*slot_stamp(s) = ++h->tick;
	__atomic_store_n(slot_state(s), SLOT_USED, __ATOMIC_RELEASE);
	h->count++;
	return 0;
}

/* ---- LPM: key is { u32 prefixlen; u8 data[] } as for BPF_MAP_TYPE_LPM_TRIE ---- */

static int lpm_covers(const uint8_t *pfx, uint32_t plen, const uint8_t *addr)
{
	uint32_t full = plen / 8, rem = plen % 8;

	if (memcmp(pfx, addr, full))
		return 0;
	if (!rem)
		return 1;
	return ((pfx[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

static uint8_t *lpm_exact(const struct pl_table *t, struct pl_lpm *l, const void *key)
{
	for (uint32_t i = 0; i < l->count; i++) {
		uint8_t *e = l->ents + (size_t)i * l->stride;

		if (!memcmp(e, key, t->key_size))
			return e;
	}
	return NULL;
}

/* Out of line: it keeps the array and hash lookups free of its register
 * pressure. */
__attribute__((noinline)) static void *lpm_lookup(const struct pl_table *t, struct pl_lpm *l, const void *key)
{
	uint32_t want = *(const uint32_t *)key, best_len = 0;
	uint32_t dlen = t->key_size - 4;
	uint8_t *best = NULL;

	for (uint32_t i = 0; i < l->count; i++) {
		uint8_t *e = l->ents + (size_t)i * l->stride;
		uint32_t plen = *(uint32_t *)e;

		if (plen > want || plen > dlen * 8 || (best && plen < best_len))
			continue;
		if (lpm_covers(e + 4, plen, (const uint8_t *)key + 4)) {
			best = e;
			best_len = plen;
		}
	}
	return best ? best + t->key_size : NULL;
}

/* ---- the shim API ---- */

void *pl_table_lookup_worker(struct pl_table *t, const void *key, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return NULL;
	if (is_hash(t->kind)) {
		struct pl_hash *h = c;
		uint8_t *s = hash_find(t, h, key);

		if (!s)
			return NULL;
		if (is_lru(t->kind) && pl_table_is_percpu(t))
			*slot_stamp(s) = ++h->tick;
		return slot_key(s) + t->key_size;
	}
	if (t->kind == PL_KIND_LPM)
		return lpm_lookup(t, c, key);
	{
		uint32_t idx = *(const uint32_t *)key;

		if (idx >= t->max_entries)
			return NULL;
		return (uint8_t *)c + (size_t)idx * t->value_size;
	}
}

long pl_table_update_worker(struct pl_table *t, const void *key, const void *val,
			    uint64_t flags, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return -ENODEV;
	if (is_hash(t->kind))
		return hash_update(t, c, key, val, flags);
	if (t->kind == PL_KIND_LPM) {
		struct pl_lpm *l = c;
		uint8_t *e = lpm_exact(t, l, key);

		if (*(const uint32_t *)key > (t->key_size - 4) * 8)
			return -EINVAL;
		if (e) {
			if (flags == PL_UPDATE_NOEXIST)
				return -EEXIST;
			memcpy(e + t->key_size, val, t->value_size);
			return 0;
		}
		if (flags == PL_UPDATE_EXIST)
			return -ENOENT;
		if (l->count >= t->max_entries)
			return -ENOSPC;
		e = l->ents + (size_t)l->count * l->stride;
		memcpy(e, key, t->key_size);
		memcpy(e + t->key_size, val, t->value_size);
		__atomic_store_n(&l->count, l->count + 1, __ATOMIC_RELEASE);
		return 0;
	}
	{
		uint32_t idx = *(const uint32_t *)key;

		if (idx >= t->max_entries)
			return -E2BIG;
		if (flags == PL_UPDATE_NOEXIST)
			return -EEXIST;
		if (t->value_size == 4 && !pl_table_is_percpu(t)) {
			/* A 4-byte value of a shared array is an index the
			 * control plane publishes (pl_config_live): one
			 * sequentially consistent store, after everything it
			 * names was written. */
			uint32_t v;

			memcpy(&v, val, 4);
			__atomic_store_n((uint32_t *)c + idx, v, __ATOMIC_SEQ_CST);
			return 0;
		}
		if (t->kind == PL_KIND_ARRAY)
			return array_replace(t, idx, val);
		memcpy((uint8_t *)c + (size_t)idx * t->value_size, val, t->value_size);
		return 0;
	}
}

void *pl_table_lookup(struct pl_table *t, const void *key)
{
	/* Arrays (the configuration, the counters, the ACL banks) are looked
	 * up on every frame: answer them here, without the generic path. */
	if (t->kind == PL_KIND_ARRAY || t->kind == PL_KIND_PERCPU_ARRAY) {
		uint32_t idx = *(const uint32_t *)key;
		void *c = copy_of(t, pl_worker_id);

		if (!c || idx >= t->max_entries)
			return NULL;
		return (uint8_t *)c + (size_t)idx * t->value_size;
	}
	return pl_table_lookup_worker(t, key, pl_worker_id);
}

long pl_table_update(struct pl_table *t, const void *key, const void *val, uint64_t flags)
{
	/* The data path writes its own copy; for shared kinds this is the
	 * control plane, and the copy index is ignored. */
	return pl_table_update_worker(t, key, val, flags, pl_worker_id);
}

static long delete_in(struct pl_table *t, void *c, const void *key)
{
	if (is_hash(t->kind)) {
		struct pl_hash *h = c;
		uint8_t *s = hash_find(t, h, key);

		if (!s)
			return -ENOENT;
		__atomic_store_n(slot_state(s), SLOT_DEAD, __ATOMIC_RELEASE);
		h->count--;
		h->dead++;
		/* Shared tables lose entries only here (their writer is the
		 * control plane): reclaim the tombstones of reload after
		 * reload. Per-worker copies reclaim on insert. */
		if (!pl_table_is_percpu(t))
			hash_compact(t, h);
		return 0;
	}
	if (t->kind == PL_KIND_LPM) {
		struct pl_lpm *l = c;
		uint8_t *e = lpm_exact(t, l, key);
		uint8_t *last;

		if (!e)
			return -ENOENT;
		last = l->ents + (size_t)(l->count - 1) * l->stride;
		if (e != last)
			memcpy(e, last, l->stride);
		l->count--;
		return 0;
	}
	return -EINVAL; /* arrays: as BPF */
}

long pl_table_delete(struct pl_table *t, const void *key)
{
	void *c = copy_of(t, pl_worker_id);

	return c ? delete_in(t, c, key) : -ENODEV;
}

int pl_table_next_key(struct pl_table *t, unsigned worker, const void *key, void *next)
{
	void *c = copy_of(t, worker);
	uint32_t start = 0;

	if (!c)
		return -ENODEV;
	if (is_hash(t->kind)) {
		struct pl_hash *h = c;

		if (key) {
			uint8_t *s = hash_find(t, h, key);

			start = s ? (uint32_t)((s - h->slots) / h->stride) + 1 : 0;
		}
		for (uint32_t i = start; i <= h->mask; i++) {
			uint8_t *s = h->slots + (size_t)i * h->stride;

			if (*slot_state(s) == SLOT_USED) {
				memcpy(next, slot_key(s), t->key_size);
				return 0;
			}
		}
		return -ENOENT;
	}
	if (t->kind == PL_KIND_LPM) {
		struct pl_lpm *l = c;

		if (key) {
			uint8_t *e = lpm_exact(t, l, key);

			start = e ? (uint32_t)((e - l->ents) / l->stride) + 1 : 0;
		}
		if (start >= l->count)
			return -ENOENT;
		memcpy(next, l->ents + (size_t)start * l->stride, t->key_size);
		return 0;
	}
	start = key ? *(const uint32_t *)key + 1 : 0;
	if (start >= t->max_entries)
		return -ENOENT;
	memcpy(next, &start, sizeof(start));
	return 0;
}

uint32_t pl_table_probe_len(struct pl_table *t, const void *key)
{
	void *c = copy_of(t, pl_worker_id);
	uint32_t n = 0;

	if (!c || !is_hash(t->kind))
		return 0;
	hash_probe(t, c, key, &n);
	return n;
}

uint32_t pl_table_count(struct pl_table *t, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return 0;
	if (is_hash(t->kind))
		return ((struct pl_hash *)c)->count;
	if (t->kind == PL_KIND_LPM)
		return ((struct pl_lpm *)c)->count;
	return t->max_entries;
}

void pl_table_clear(struct pl_table *t)
{
	struct pl_tstore *st = t->impl;

	if (!st)
		return;
	for (unsigned i = 0; i < st->copies; i++) {
		void *c = st->copy[i];

		if (is_hash(t->kind)) {
			struct pl_hash *h = c;

			memset(h->slots, 0, (size_t)(h->mask + 1) * h->stride);
			h->count = 0;
			h->dead = 0;
		} else if (t->kind == PL_KIND_LPM) {
			((struct pl_lpm *)c)->count = 0;
		} else {
			memset(c, 0, (size_t)t->max_entries * t->value_size);
		}
	}
}

struct pl_table *pl_table_find(const char *name)
{
	for (struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

int pl_table_for_each(int (*fn)(struct pl_table *t, void *arg), void *arg)
{
	for (struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++) {
		int r = fn(*p, arg);

		if (r)
			return r;
	}
	return 0;
}

static void store_free(struct pl_table *t)
{
	struct pl_tstore *st = t->impl;

	if (!st)
		return;
	for (unsigned i = 0; i < st->copies; i++)
		copy_free(t, st->copy[i]);
	free(st);
	t->impl = NULL;
}

void pl_core_fini(void)
{
	for (struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++)
		store_free(*p);
	nworkers_ = 0;
}

unsigned pl_core_nworkers(void)
{
	return nworkers_;
}

int pl_tables_alloc(unsigned nworkers)
{
	if (!nworkers || nworkers > PL_WORKERS_MAX)
		return -EINVAL;
	pl_core_fini();
	for (struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++) {
		struct pl_table *t = *p;
		struct pl_tstore *st = calloc(1, sizeof(*st));

		if (!st)
			goto nomem;
		t->impl = st;
		st->copies = pl_table_is_percpu(t) ? nworkers : 1;
		for (unsigned i = 0; i < st->copies; i++) {
			st->copy[i] = copy_alloc(t);
			if (!st->copy[i])
				goto nomem;
		}
	}
	nworkers_ = nworkers;
	return 0;
nomem:
	pl_core_fini();
	return -ENOMEM;
}

void pl_worker_set(unsigned id)
{
	pl_worker_id = id;
}

/* ---- quiescence: has every frame that started before now ended? ----
 * Each worker's mark is odd while it runs a frame (pl_worker_enter/exit
 * around pl_run); the control plane, after publishing a change, waits for
 * every odd mark it sees to move on. Entering is a sequentially consistent
 * store and the configuration index is read with a sequentially consistent
 * load, so a frame either is seen running here or sees the new index. */
struct pl_worker_mark {
	uint64_t seq;
	uint8_t pad[56]; /* one cache line per worker */
};
static struct pl_worker_mark marks_[PL_WORKERS_MAX];

void pl_worker_enter(void)
{
	struct pl_worker_mark *m = &marks_[pl_worker_id % PL_WORKERS_MAX];

	__atomic_store_n(&m->seq, __atomic_load_n(&m->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_SEQ_CST);
}

void pl_worker_exit(void)
{
	struct pl_worker_mark *m = &marks_[pl_worker_id % PL_WORKERS_MAX];

	__atomic_store_n(&m->seq, __atomic_load_n(&m->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

void pl_core_quiesce(void)
{
	for (unsigned w = 0; w < PL_WORKERS_MAX; w++) {
		uint64_t s = __atomic_load_n(&marks_[w].seq, __ATOMIC_SEQ_CST);

		if (!(s & 1))
			continue;
		while (__atomic_load_n(&marks_[w].seq, __ATOMIC_ACQUIRE) == s)
			sched_yield();
	}
}

struct pl_config *pl_core_config(void)
{
	__u32 zero = 0, *live = pl_table_lookup_worker(pl_table_find("pl_config_live"), &zero, 0);
	__u32 bank = live ? __atomic_load_n(live, __ATOMIC_ACQUIRE) & 1 : 0;

	return pl_table_lookup_worker(pl_table_find("pl_config"), &bank, 0);
}

uint64_t pl_platform_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t pl_random_u32(void)
{
	/* xorshift32 per thread, seeded from the clock and the worker. */
	static __thread uint32_t s;

	if (!s)
		s = ((uint32_t)pl_platform_now_ns() ^ (0x9e3779b9u * (pl_worker_id + 1))) | 1;
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}
