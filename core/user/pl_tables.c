// SPDX-License-Identifier: MIT
/* User-space tables with the semantics of the BPF maps they stand for.
 *
 * HASH / LRU_HASH / PERCPU_LRU_HASH: open addressing with linear probing in
 * a power-of-two slot array at least twice max_entries. HASH refuses an
 * insert past max_entries (-E2BIG, as BPF); the LRU kinds evict the least
 * recently used entry of a bounded probe window instead, so an insert always
 * succeeds (the kernel's LRU is approximate too).
 * LPM: a shared hash keyed by the prefix (bits past its length zeroed), and a
 * count of prefixes per length (and a bitmap of the lengths in use); a
 * lookup tries the lengths in use, longest first, one hash probe each (at most 33 for IPv4, 129 for IPv6), so it
 * scales to hundreds of thousands of prefixes and is updated like any
 * shared hash (copy on write, below) while workers read it.
 * ARRAY / PERCPU_ARRAY / DEVMAP / XSKMAP: a value array indexed by a u32.
 * SHARED_LRU_HASH: one hash that every worker inserts into and whose values
 * (in the slots) the data path updates in place with the shim's atomics;
 * shared_update below has its rules.
 *
 * PERCPU kinds keep one whole copy per worker, written only by that worker's
 * thread, so the data path needs no locks; the control plane reads them (and
 * zeroes counters) word by word with relaxed atomics.
 *
 * Shared kinds (HASH, LRU_HASH, LPM, ARRAY, DEVMAP, XSKMAP) are written by the
 * control plane while workers read them, so they never change memory a
 * frame in flight may still read (copy on write, as RCU does for BPF maps):
 *  - a value lives in its own buffer, found through a pointer (in the hash
 *    slot, or per array index); an update writes a new buffer and publishes
 *    its pointer, and the old buffer is retired;
 *  - a deleted hash slot keeps its key until a grace period has passed, and
 *    only then may an insert reuse it;
 *  - retired buffers are freed after a grace period.
 * A grace period (pl_core_quiesce) is over when every worker has been
 * between two frames at least once since it began: pl_core_process marks
 * each frame's start and end in the worker's sequence number (odd while in
 * a frame), so a worker idle between frames (blocked in poll, or done)
 * never delays it. Published pointers and slot states are written and read
 * with sequentially consistent atomics, paired with the frame-start mark:
 * a frame that starts after the writer saw its worker between frames reads
 * the new pointers. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pl_user.h"

#define SLOT_EMPTY PL_SLOT_EMPTY
#define SLOT_USED  PL_SLOT_USED
#define SLOT_DEAD  PL_SLOT_DEAD
#define LRU_WINDOW 8

/* Prefix data of at most 16 bytes (IPv6): lengths 0..128. */
#define LPM_DATA_MAX 16
struct pl_lpm {
	struct pl_hash h;   /* first: the hash code takes a struct pl_hash * */
	uint32_t dlen;      /* bytes of prefix data (key_size - 4) */
	uint32_t lens[LPM_DATA_MAX * 8 + 1]; /* prefixes per length */
	uint64_t used[3];   /* bit n: some prefix of length n (lens[n] != 0) */
};

extern const struct pl_table *const __start_pl_tables[];
extern const struct pl_table *const __stop_pl_tables[];

__thread uint32_t pl_worker_id;
static unsigned nworkers_;


/* Grace periods completed; a shared hash's tombstone records the count at
 * its deletion in its stamp and may be reused once the count has moved. */
static uint64_t grace_done;

/* Buffers replaced or deleted, freed after the next grace period: at the
 * latest when there are RETIRED_MAX of them or RETIRED_BYTES_MAX bytes. */
#define RETIRED_MAX 16384
#define RETIRED_BYTES_MAX (4u << 20)
static void *retired[RETIRED_MAX];
/* Control-plane walks of per-worker hash copies in progress
 * (pl_table_walk_worker): while there are any, a worker that rebuilds its
 * copy keeps the old slot array instead of freeing it. */
static int walkers;
static unsigned nretired;
static size_t retired_bytes;

#define HDR PL_SLOT_HDR
#define slot_state pl_slot_state
#define slot_stamp pl_slot_stamp
#define slot_key   pl_slot_key
#define slot_vptr  pl_slot_vptr
#define slot_gen   pl_slot_gen
#define SLOT_BUSY  PL_SLOT_BUSY
#define hash_bytes pl_key_hash
#define hash_probe pl_hash_probe

_Static_assert((PL_WORKERS_MAX & (PL_WORKERS_MAX - 1)) == 0, "PL_WORKERS_MAX: a power of two");

uint32_t pl_key_hash_any(const void *p, uint32_t n)
{
	return pl_key_hash_body(p, n);
}

static int is_hash(enum pl_table_kind k)
{
	return pl_kind_hash(k);
}

static int is_lru(enum pl_table_kind k)
{
	return k == PL_KIND_LRU_HASH || k == PL_KIND_PERCPU_LRU_HASH || k == PL_KIND_SHARED_LRU_HASH;
}

/* One copy written by every worker's data path (SHARED_LRU_HASH). */
static int is_conc(const struct pl_table *t)
{
	return t->kind == PL_KIND_SHARED_LRU_HASH;
}

int pl_table_is_percpu(const struct pl_table *t)
{
	return t->kind == PL_KIND_PERCPU_ARRAY || t->kind == PL_KIND_PERCPU_LRU_HASH;
}

/* Kept in hash slots (LPM: one hash of every prefix). */
static int is_hashed(const struct pl_table *t)
{
	return is_hash(t->kind) || t->kind == PL_KIND_LPM;
}

/* Written by the control plane while workers read it (copy on write). */
static int is_shared(const struct pl_table *t)
{
	return !pl_table_is_percpu(t) && !is_conc(t);
}

static int is_shared_array(const struct pl_table *t)
{
	return is_shared(t) && !is_hashed(t);
}

static void *copy_alloc(const struct pl_table *t)
{
	if (is_hashed(t)) {
		int lpm = t->kind == PL_KIND_LPM;
		struct pl_hash *h;
		uint32_t slots = 1;

		if (lpm && (t->key_size < 5 || t->key_size - 4 > LPM_DATA_MAX))
			return NULL;
		h = calloc(1, lpm ? sizeof(struct pl_lpm) : sizeof(*h));
		if (!h)
			return NULL;
		if (lpm)
			((struct pl_lpm *)h)->dlen = t->key_size - 4;
		while (slots < 2 * t->max_entries)
			slots <<= 1;
		h->mask = slots - 1;
		if (is_shared(t)) {
			h->voff = (HDR + t->key_size + 7) & ~7u;
			h->stride = h->voff + (uint32_t)sizeof(void *);
		} else if (is_conc(t)) {
			/* Values 8-aligned: the data path's atomics work on them. */
			h->voff = (HDR + t->key_size + 7) & ~7u;
			h->stride = (h->voff + t->value_size + 7) & ~7u;
		} else {
			h->voff = HDR + t->key_size;
			h->stride = (HDR + t->key_size + t->value_size + 7) & ~7u;
		}
		h->slots = calloc(slots, h->stride);
		if (!h->slots) {
			free(h);
			return NULL;
		}
		return h;
	}
	if (is_shared_array(t)) {
		struct pl_sarray *a = calloc(1, sizeof(*a));

		if (!a)
			return NULL;
		a->ptr = calloc(t->max_entries, sizeof(void *));
		a->base = calloc(t->max_entries, t->value_size);
		if (!a->ptr || !a->base) {
			free(a->ptr);
			free(a->base);
			free(a);
			return NULL;
		}
		for (uint32_t i = 0; i < t->max_entries; i++)
			a->ptr[i] = a->base + (size_t)i * t->value_size;
		return a;
	}
	return calloc(t->max_entries, t->value_size);
}

static int in_base(const struct pl_table *t, const struct pl_sarray *a, const void *p)
{
	return (const uint8_t *)p >= a->base &&
	       (const uint8_t *)p < a->base + (size_t)t->max_entries * t->value_size;
}

/* Free the value buffers of a shared table (no worker may be running). */
static void shared_values_free(const struct pl_table *t, void *c)
{
	if (is_hashed(t)) {
		struct pl_hash *h = c;

		for (uint32_t i = 0; i <= h->mask; i++) {
			uint8_t *s = h->slots + (size_t)i * h->stride;

			if (*slot_state(s) == SLOT_USED)
				free(*slot_vptr(h, s));
			*slot_vptr(h, s) = NULL;
		}
	} else {
		struct pl_sarray *a = c;

		for (uint32_t i = 0; i < t->max_entries; i++) {
			if (!in_base(t, a, a->ptr[i]))
				free(a->ptr[i]);
			a->ptr[i] = a->base + (size_t)i * t->value_size;
		}
	}
}

static void copy_free(const struct pl_table *t, void *c)
{
	if (!c)
		return;
	if (is_shared(t))
		shared_values_free(t, c);
	if (is_hashed(t)) {
		free(((struct pl_hash *)c)->slots);
		free(((struct pl_hash *)c)->stale);
	} else if (is_shared_array(t)) {
		free(((struct pl_sarray *)c)->ptr);
		free(((struct pl_sarray *)c)->base);
	}
	free(c);
}

/* ---- grace periods: has every frame that started before now ended? ----
 * The worker marks are described in pl_user.h. */
struct pl_worker_mark pl_worker_marks[PL_WORKERS_MAX];
#define marks_ pl_worker_marks

void pl_worker_enter(void)
{
	pl_worker_enter_inline();
}

void pl_worker_exit(void)
{
	pl_worker_exit_inline();
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait for every worker inside a frame to leave it, at most timeout_ns
 * once the wait is more than a few spins. */
static int grace_wait(uint64_t timeout_ns)
{
	uint64_t snap[PL_WORKERS_MAX], deadline = 0;

	for (unsigned w = 0; w < PL_WORKERS_MAX; w++)
		snap[w] = __atomic_load_n(&marks_[w].seq, __ATOMIC_SEQ_CST);
	for (unsigned w = 0; w < PL_WORKERS_MAX; w++) {
		if (!(snap[w] & 1))
			continue; /* between frames: its next frame sees what is published */
		for (unsigned spin = 0;; spin++) {
			if (__atomic_load_n(&marks_[w].seq, __ATOMIC_ACQUIRE) != snap[w])
				break;
			if (spin < 64)
				continue;
			if (!deadline)
				deadline = mono_ns() + timeout_ns;
			else if (mono_ns() > deadline)
				return -ETIMEDOUT;
			sched_yield();
		}
	}
	__atomic_store_n(&grace_done, grace_done + 1, __ATOMIC_RELAXED);
	return 0;
}

int pl_core_quiesce(void)
{
	return grace_wait(PL_GRACE_TIMEOUT_NS);
}

/* Free every retired buffer after a grace period. */
static int reclaim(void)
{
	int err = pl_core_quiesce();

	if (err)
		return err;
	for (unsigned i = 0; i < nretired; i++)
		free(retired[i]);
	nretired = 0;
	retired_bytes = 0;
	return 0;
}

int pl_core_reclaim(void)
{
	return nretired ? reclaim() : 0;
}

/* Make room to retire one buffer (before anything is changed). */
static int retire_room(void)
{
	return nretired < RETIRED_MAX && retired_bytes < RETIRED_BYTES_MAX ? 0 : reclaim();
}

static void retire(void *p, size_t bytes)
{
	retired[nretired++] = p;
	retired_bytes += bytes;
}

/* A shared value's new buffer holding val, with room made to retire the
 * one it replaces (before anything is changed). */
static int value_new(const struct pl_table *t, const void *val, void **buf)
{
	int err = retire_room();

	if (err)
		return err;
	*buf = malloc(t->value_size);
	if (!*buf)
		return -ENOMEM;
	memcpy(*buf, val, t->value_size);
	return 0;
}

static void *copy_of(const struct pl_table *t, unsigned worker)
{
	return pl_table_copy(t, worker);
}

/* ---- hash ---- */

static uint8_t *hash_find(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	return is_conc(t) ? pl_shared_probe(t, h, key) : hash_probe(t, h, key, NULL);
}

/* The value of a used slot. */
static inline void *slot_val(const struct pl_table *t, const struct pl_hash *h, uint8_t *s)
{
	if (is_shared(t))
		return __atomic_load_n(slot_vptr(h, s), __ATOMIC_SEQ_CST);
	return s + h->voff;
}

/* May an insert take this slot? Empty, or dead: for a shared table, dead
 * since before the last completed grace period (a frame that started
 * earlier may still compare its key). */
static int slot_free(const struct pl_table *t, uint8_t *s)
{
	uint32_t st = *slot_state(s);

	if (st == SLOT_EMPTY)
		return 1;
	if (st != SLOT_DEAD)
		return 0;
	return !is_shared(t) || *slot_stamp(s) < __atomic_load_n(&grace_done, __ATOMIC_RELAXED);
}

static uint8_t *hash_free_slot(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	uint32_t i = hash_bytes(key, t->key_size) & h->mask;

	for (uint32_t n = 0; n <= h->mask; n++, i = (i + 1) & h->mask) {
		uint8_t *s = h->slots + (size_t)i * h->stride;

		if (slot_free(t, s))
			return s;
	}
	return NULL;
}

/* Turn a used slot into a tombstone (the caller made room to retire). */
static void slot_kill(const struct pl_table *t, struct pl_hash *h, uint8_t *s)
{
	__atomic_store_n(slot_state(s), SLOT_DEAD, __ATOMIC_SEQ_CST);
	if (is_shared(t)) {
		*slot_stamp(s) = __atomic_load_n(&grace_done, __ATOMIC_RELAXED);
		retire(*slot_vptr(h, s), t->value_size);
	}
	h->count--;
	h->dead++;
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
	if (victim)
		slot_kill(t, h, victim);
}

/* Too many tombstones make probes long (a miss ends only at an empty
 * slot): rebuild when a quarter of the slots are dead. The live entries are
 * copied into a new array, which is then published with one sequentially
 * consistent store (value pointers are copied: values do not move). A
 * per-worker copy has one reader, its writer, so the old array goes at
 * once. A shared table is read lock-free by every worker while the control
 * plane (its only writer) rebuilds it: the old array is retired, freed only
 * after every frame that may still hold it has ended. Between rebuilds, a
 * shared table's insert reuses a tombstone only once a grace period has
 * passed since its deletion (a frame may still compare its key). */
static void hash_compact(const struct pl_table *t, struct pl_hash *h)
{
	uint32_t slots = h->mask + 1;
	uint8_t *old = h->slots, *fresh;
	struct pl_hash tmp;

	if (h->dead < slots / 4 || (is_shared(t) && retire_room()))
		return; /* keep the tombstones; probes stay correct */
	if (!is_shared(t) && h->stale) {
		/* The array replaced last time is freed once no walk runs
		 * (a walk that began after it was replaced reads the new one). */
		if (__atomic_load_n(&walkers, __ATOMIC_SEQ_CST))
			return; /* keep the tombstones; probes stay correct */
		free(h->stale);
		h->stale = NULL;
	}
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
	__atomic_store_n(&h->slots, fresh, __ATOMIC_SEQ_CST);
	h->dead = 0;
	if (is_shared(t))
		retire(old, (size_t)slots * h->stride);
	else if (__atomic_load_n(&walkers, __ATOMIC_SEQ_CST))
		h->stale = old; /* a walk may be reading it: freed by the next rebuild */
	else
		free(old);
}

/* ---- SHARED_LRU_HASH: inserts from every worker at once ----
 * Lookups take no lock; inserts and deletes (new keys: a frame of a source
 * not seen yet) take the table's write lock, so one worker at a time
 * changes which key is in which slot. A slot being rewritten is BUSY (its
 * generation moved, then key and value written, then USED published):
 * probes skip it, and compare keys under the generation
 * (pl_shared_probe). An insert looks at the key's whole probe run (to its
 * EMPTY slot) and takes its first free slot (EMPTY or DEAD). At max_entries
 * it makes room first: it rewrites in place the least recently used of the
 * USED slots of its run (at most LRU_WINDOW), or, when its run has none,
 * evicts the least recently used of the next LRU_WINDOW USED slots after
 * its free slot: that slot becomes EMPTY when the slot after it is EMPTY
 * (no probe run goes through it), else DEAD (a tombstone, which a later
 * insert whose run crosses it takes). A frame of an evicted key that found
 * its slot just before may be charged to the key that took it (the memory
 * stays a valid value). Values are updated in place by the data path
 * without this lock (the stage's own per-value lock). */
static uint8_t *shared_slot(struct pl_hash *h, uint32_t i)
{
	return h->slots + (size_t)(i & h->mask) * h->stride;
}

static void shared_lock(struct pl_hash *h)
{
	for (unsigned n = 0; !pl_lock_try(&h->wlock); n++)
		pl_lock_relax(n);
}

/* Claim slot s (BUSY) for a rewrite; the writer holds the table's lock. */
static void shared_claim(uint8_t *s)
{
	__atomic_store_n(slot_state(s), SLOT_BUSY, __ATOMIC_SEQ_CST);
	__atomic_store_n(slot_gen(s), *slot_gen(s) + 1, __ATOMIC_SEQ_CST);
}

static void shared_fill(const struct pl_table *t, struct pl_hash *h, uint8_t *s, const void *key,
			const void *val)
{
	shared_claim(s);
	memcpy(slot_key(s), key, t->key_size);
	memcpy(s + h->voff, val, t->value_size);
	__atomic_store_n(slot_stamp(s), __atomic_add_fetch(&h->tick, 1, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(slot_state(s), SLOT_USED, __ATOMIC_SEQ_CST);
}

/* The less recently used of two USED slots (either may be NULL). */
static uint8_t *shared_older(uint8_t *a, uint8_t *b)
{
	if (!a || !b)
		return a ? a : b;
	return __atomic_load_n(slot_stamp(b), __ATOMIC_RELAXED) <
			       __atomic_load_n(slot_stamp(a), __ATOMIC_RELAXED) ? b : a;
}

/* Remove the key of USED slot index i: EMPTY when the next slot is EMPTY,
 * else a tombstone. */
static void shared_remove(struct pl_hash *h, uint32_t i)
{
	uint8_t *s = shared_slot(h, i);

	shared_claim(s);
	__atomic_store_n(slot_state(s),
			 *slot_state(shared_slot(h, i + 1)) == SLOT_EMPTY ? SLOT_EMPTY : SLOT_DEAD,
			 __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
}

/* Evict the least recently used of the LRU_WINDOW USED slots from index i on. */
static void shared_evict_after(struct pl_hash *h, uint32_t i)
{
	uint8_t *victim = NULL;
	uint32_t vi = 0;
	unsigned seen = 0;

	for (uint32_t n = 0; n <= h->mask && seen < LRU_WINDOW; n++, i++) {
		uint8_t *s = shared_slot(h, i);

		if (*slot_state(s) != SLOT_USED)
			continue;
		seen++;
		if (shared_older(victim, s) == s)
			victim = s, vi = i;
	}
	if (victim)
		shared_remove(h, vi);
}

static long shared_update_locked(const struct pl_table *t, struct pl_hash *h, const void *key,
				 const void *val, uint64_t flags)
{
	uint8_t *victim = NULL, *free_ = NULL;
	uint32_t free_i = 0, i = hash_bytes(key, t->key_size) & h->mask;
	unsigned seen = 0;

	for (uint32_t n = 0; n <= h->mask; n++, i++) {
		uint8_t *s = shared_slot(h, i);
		uint32_t st = *slot_state(s);

		if (st == SLOT_USED) {
			if (pl_key_eq(slot_key(s), key, t->key_size)) {
				if (flags == PL_UPDATE_NOEXIST)
					return -EEXIST;
				memcpy(s + h->voff, val, t->value_size);
				return 0;
			}
			if (seen++ < LRU_WINDOW)
				victim = shared_older(victim, s);
			continue;
		}
		if (!free_)
			free_ = s, free_i = i;
		if (st == SLOT_EMPTY)
			break; /* the key is in no later slot */
	}
	if (flags == PL_UPDATE_EXIST)
		return -ENOENT;
	if (h->count >= t->max_entries) {
		if (victim) {
			shared_fill(t, h, victim, key, val);
			return 0;
		}
		if (free_)
			shared_evict_after(h, free_i + 1);
	}
	if (!free_)
		return -E2BIG;
	shared_fill(t, h, free_, key, val);
	__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
	return 0;
}

static long shared_update(const struct pl_table *t, struct pl_hash *h, const void *key,
			  const void *val, uint64_t flags)
{
	long rc;

	shared_lock(h);
	rc = shared_update_locked(t, h, key, val, flags);
	pl_lock_release(&h->wlock);
	return rc;
}

/* Delete (the control plane). */
static long shared_delete(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	uint8_t *s;
	long rc = -ENOENT;

	shared_lock(h);
	s = pl_shared_probe(t, h, key);
	if (s) {
		shared_remove(h, (uint32_t)((s - h->slots) / h->stride));
		rc = 0;
	}
	pl_lock_release(&h->wlock);
	return rc;
}

static long hash_update(const struct pl_table *t, struct pl_hash *h, const void *key,
			const void *val, uint64_t flags)
{
	uint8_t *s;
	int shared = is_shared(t);
	void *buf = NULL;
	int err;

	if (is_conc(t))
		return shared_update(t, h, key, val, flags);
	s = hash_find(t, h, key);

	if (s && flags == PL_UPDATE_NOEXIST)
		return -EEXIST;
	if (!s && flags == PL_UPDATE_EXIST)
		return -ENOENT;
	if (!s && h->count >= t->max_entries && !is_lru(t->kind))
		return -E2BIG;
	if (shared) {
		err = value_new(t, val, &buf);
		if (err)
			return err;
	}
	if (s) {
		if (shared) {
			void *old = *slot_vptr(h, s);

			__atomic_store_n(slot_vptr(h, s), buf, __ATOMIC_SEQ_CST);
			retire(old, t->value_size);
		} else {
			memcpy(s + h->voff, val, t->value_size);
		}
		*slot_stamp(s) = ++h->tick;
		return 0;
	}
	if (h->count >= t->max_entries)
		hash_evict(t, h, key);
	hash_compact(t, h);
	s = hash_free_slot(t, h, key);
	if (!s && shared && h->dead) {
		/* Only tombstones too recent to reuse: wait for the readers. */
		err = pl_core_quiesce();
		if (err) {
			free(buf);
			return err;
		}
		s = hash_free_slot(t, h, key);
	}
	if (!s) {
		free(buf);
		return -E2BIG;
	}
	if (*slot_state(s) == SLOT_DEAD)
		h->dead--;
	memcpy(slot_key(s), key, t->key_size);
	if (shared)
		*slot_vptr(h, s) = buf;
	else
		memcpy(s + h->voff, val, t->value_size);
	*slot_stamp(s) = ++h->tick;
	__atomic_store_n(slot_state(s), SLOT_USED, __ATOMIC_SEQ_CST);
	h->count++;
	return 0;
}

/* ---- LPM: key is { u32 prefixlen; u8 data[] } as for BPF_MAP_TYPE_LPM_TRIE ---- */

/* key with its data cut to plen bits (prefixlen = plen) into out. */
static void lpm_mask(const struct pl_lpm *l, const void *key, uint32_t plen, uint8_t *out)
{
	const uint8_t *d = (const uint8_t *)key + 4;
	uint32_t full = plen / 8, rem = plen % 8;

	memcpy(out, &plen, 4);
	memset(out + 4, 0, l->dlen);
	memcpy(out + 4, d, full);
	if (rem)
		out[4 + full] = d[full] & (uint8_t)(0xff << (8 - rem));
}

/* The longest prefix covering the key's first prefixlen bits: the lengths
 * in use (a bitmap), longest first, one probe each. Out of line: it keeps
 * the array and hash lookups free of its register pressure. */
__attribute__((noinline)) static void *lpm_lookup(const struct pl_table *t, struct pl_lpm *l,
						  const void *key)
{
	uint32_t want = *(const uint32_t *)key;
	uint8_t mk[4 + LPM_DATA_MAX];

	if (want > l->dlen * 8)
		want = l->dlen * 8;
	for (int w = (int)(want / 64); w >= 0; w--) {
		uint64_t bits = __atomic_load_n(&l->used[w], __ATOMIC_RELAXED);

		if ((unsigned)w == want / 64 && want % 64 != 63)
			bits &= (2ull << (want % 64)) - 1; /* lengths <= want */
		while (bits) {
			uint32_t plen = (uint32_t)w * 64 + 63 - (uint32_t)__builtin_clzll(bits);
			uint8_t *s;

			bits &= ~(1ull << (plen % 64));
			lpm_mask(l, key, plen, mk);
			s = hash_find(t, &l->h, mk);
			if (s)
				return slot_val(t, &l->h, s);
		}
	}
	return NULL;
}

/* Count a prefix of length plen in or out (the control plane, one writer). */
static void lpm_len_add(struct pl_lpm *l, uint32_t plen, int delta)
{
	uint32_t n = l->lens[plen] + (uint32_t)delta;
	uint64_t bit = 1ull << (plen % 64), u = l->used[plen / 64];

	l->lens[plen] = n;
	__atomic_store_n(&l->used[plen / 64], n ? u | bit : u & ~bit, __ATOMIC_RELAXED);
}

static long lpm_update(const struct pl_table *t, struct pl_lpm *l, const void *key,
		       const void *val, uint64_t flags)
{
	uint32_t plen = *(const uint32_t *)key;
	uint8_t mk[4 + LPM_DATA_MAX];
	int existed;
	long err;

	if (plen > l->dlen * 8)
		return -EINVAL;
	lpm_mask(l, key, plen, mk);
	existed = hash_find(t, &l->h, mk) != NULL;
	err = hash_update(t, &l->h, mk, val, flags);
	if (err == -E2BIG)
		return -ENOSPC; /* what the kernel's trie answers when full */
	if (!err && !existed)
		lpm_len_add(l, plen, 1);
	return err;
}

/* ---- the shim API ---- */

void *pl_table_lookup_worker(const struct pl_table *t, const void *key, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return NULL;
	if (t->kind == PL_KIND_LPM)
		return lpm_lookup(t, c, key);
	if (is_hash(t->kind)) {
		struct pl_hash *h = c;
		uint8_t *s = hash_find(t, h, key);

		if (!s)
			return NULL;
		if (is_lru(t->kind) && pl_table_is_percpu(t))
			*slot_stamp(s) = ++h->tick;
		return slot_val(t, h, s);
	}
	{
		uint32_t idx = *(const uint32_t *)key;

		if (idx >= t->max_entries)
			return NULL;
		if (is_shared_array(t))
			return __atomic_load_n(&((struct pl_sarray *)c)->ptr[idx], __ATOMIC_SEQ_CST);
		return (uint8_t *)c + (size_t)idx * t->value_size;
	}
}

/* Copy between a per-worker value and the control plane: word by word
 * with relaxed atomics when the value is made of u64 (counters the worker
 * is incrementing), else plainly. */
static void copy_words(void *dst, const void *src, uint32_t n)
{
	if (!(n % 8) && !((uintptr_t)dst % 8) && !((uintptr_t)src % 8)) {
		for (uint32_t i = 0; i < n / 8; i++)
			__atomic_store_n((uint64_t *)dst + i,
					 __atomic_load_n((const uint64_t *)src + i, __ATOMIC_RELAXED),
					 __ATOMIC_RELAXED);
		return;
	}
	memcpy(dst, src, n);
}

void pl_table_read_worker(const struct pl_table *t, const void *val, void *out)
{
	if (pl_table_is_percpu(t) || is_conc(t))
		copy_words(out, val, t->value_size);
	else
		memcpy(out, val, t->value_size);
}

/* Write a shared array entry: a new buffer, published; the old one retired. */
static long sarray_update(const struct pl_table *t, struct pl_sarray *a, uint32_t idx,
			  const void *val)
{
	void *buf, *old;
	int err = value_new(t, val, &buf);

	if (err)
		return err;
	old = a->ptr[idx];
	__atomic_store_n(&a->ptr[idx], buf, __ATOMIC_SEQ_CST);
	if (!in_base(t, a, old))
		retire(old, t->value_size);
	return 0;
}

long pl_table_update_worker(const struct pl_table *t, const void *key, const void *val,
			    uint64_t flags, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return -ENODEV;
	if (is_hash(t->kind))
		return hash_update(t, c, key, val, flags);
	if (t->kind == PL_KIND_LPM)
		return lpm_update(t, c, key, val, flags);
	{
		uint32_t idx = *(const uint32_t *)key;

		if (idx >= t->max_entries)
			return -E2BIG;
		if (flags == PL_UPDATE_NOEXIST)
			return -EEXIST;
		if (is_shared_array(t))
			return sarray_update(t, c, idx, val);
		copy_words((uint8_t *)c + (size_t)idx * t->value_size, val, t->value_size);
		return 0;
	}
}

void *pl_table_lookup_lpm(const struct pl_table *t, const void *key, unsigned worker)
{
	return pl_table_lookup_worker(t, key, worker);
}

long pl_table_update(const struct pl_table *t, const void *key, const void *val, uint64_t flags)
{
	/* The data path writes its own copy; for shared kinds this is the
	 * control plane, and the copy index is ignored. */
	return pl_table_update_worker(t, key, val, flags, pl_worker_id);
}

static long delete_in(const struct pl_table *t, void *c, const void *key)
{
	if (is_conc(t))
		return shared_delete(t, c, key);
	if (is_hashed(t)) {
		struct pl_hash *h = c;
		uint8_t mk[4 + LPM_DATA_MAX];
		uint32_t plen = *(const uint32_t *)key;
		uint8_t *s;
		int err;

		if (t->kind == PL_KIND_LPM) {
			if (plen > ((struct pl_lpm *)c)->dlen * 8)
				return -EINVAL;
			lpm_mask(c, key, plen, mk);
			key = mk;
		}
		s = hash_find(t, h, key);
		if (!s)
			return -ENOENT;
		err = is_shared(t) ? retire_room() : 0;
		if (err)
			return err;
		slot_kill(t, h, s);
		if (t->kind == PL_KIND_LPM)
			lpm_len_add(c, plen, -1);
		/* Shared tables lose entries only here (their writer is the
		 * control plane): reclaim the tombstones of reload after
		 * reload. Per-worker copies reclaim on insert. */
		if (is_shared(t))
			hash_compact(t, h);
		return 0;
	}
	return -EINVAL; /* arrays: as BPF */
}

long pl_table_delete(const struct pl_table *t, const void *key)
{
	void *c = copy_of(t, pl_worker_id);

	return c ? delete_in(t, c, key) : -ENODEV;
}

int pl_table_next_key(const struct pl_table *t, unsigned worker, const void *key, void *next)
{
	void *c = copy_of(t, worker);
	uint32_t start = 0;

	if (!c)
		return -ENODEV;
	if (is_hashed(t)) {
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
	start = key ? *(const uint32_t *)key + 1 : 0;
	if (start >= t->max_entries)
		return -ENOENT;
	memcpy(next, &start, sizeof(start));
	return 0;
}

int pl_table_walk_worker(const struct pl_table *t, unsigned worker,
			 int (*fn)(const void *key, const void *val, void *arg), void *arg)
{
	void *c = copy_of(t, worker);
	uint8_t key[256], val[512];
	int ret = 0;

	if (!c)
		return -ENODEV;
	if (!is_hash(t->kind) || t->key_size > sizeof(key) || t->value_size > sizeof(val))
		return -EINVAL;
	/* Announced before the slot array is loaded: a worker that rebuilds
	 * its copy after this keeps the old array (hash_compact). */
	__atomic_add_fetch(&walkers, 1, __ATOMIC_SEQ_CST);
	{
		struct pl_hash *h = c;
		uint8_t *slots = __atomic_load_n(&h->slots, __ATOMIC_SEQ_CST);

		for (uint32_t i = 0; i <= h->mask && !ret; i++) {
			uint8_t *s = slots + (size_t)i * h->stride;

			if (__atomic_load_n(slot_state(s), __ATOMIC_SEQ_CST) != SLOT_USED)
				continue;
			memcpy(key, slot_key(s), t->key_size);
			if (is_shared(t))
				memcpy(val, slot_val(t, h, s), t->value_size);
			else
				copy_words(val, slot_val(t, h, s), t->value_size);
			/* Evicted and reused while copied: skip it. */
			if (__atomic_load_n(slot_state(s), __ATOMIC_SEQ_CST) != SLOT_USED)
				continue;
			ret = fn(key, val, arg);
		}
	}
	__atomic_sub_fetch(&walkers, 1, __ATOMIC_SEQ_CST);
	return ret;
}

uint32_t pl_table_probe_len(const struct pl_table *t, const void *key)
{
	void *c = copy_of(t, pl_worker_id);
	uint32_t n = 0;

	if (!c || !is_hash(t->kind))
		return 0;
	hash_probe(t, c, key, &n);
	return n;
}

uint32_t pl_table_count(const struct pl_table *t, unsigned worker)
{
	void *c = copy_of(t, worker);

	if (!c)
		return 0;
	if (is_hashed(t))
		return ((struct pl_hash *)c)->count;
	return t->max_entries;
}

void pl_table_clear(const struct pl_table *t)
{
	struct pl_table_store *st = t->store;

	for (unsigned i = 0; i < st->copies; i++) {
		void *c = st->copy[i];

		if (is_shared(t))
			shared_values_free(t, c);
		if (is_hashed(t)) {
			struct pl_hash *h = c;

			memset(h->slots, 0, (size_t)(h->mask + 1) * h->stride);
			h->count = 0;
			h->dead = 0;
			if (t->kind == PL_KIND_LPM) {
				memset(((struct pl_lpm *)c)->lens, 0, sizeof(((struct pl_lpm *)c)->lens));
				memset(((struct pl_lpm *)c)->used, 0, sizeof(((struct pl_lpm *)c)->used));
			}
		} else if (is_shared_array(t)) {
			memset(((struct pl_sarray *)c)->base, 0, (size_t)t->max_entries * t->value_size);
		} else {
			memset(c, 0, (size_t)t->max_entries * t->value_size);
		}
	}
}

/* The descriptors are constant; the API hands out plain pointers to them
 * (nothing writes through them: the storage is behind t->store). */
struct pl_table *pl_table_find(const char *name)
{
	for (const struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++)
		if (!strcmp((*p)->name, name))
			return (struct pl_table *)*p;
	return NULL;
}

int pl_table_for_each(int (*fn)(struct pl_table *t, void *arg), void *arg)
{
	for (const struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++) {
		int r = fn((struct pl_table *)*p, arg);

		if (r)
			return r;
	}
	return 0;
}

static void store_free(const struct pl_table *t)
{
	struct pl_table_store *st = t->store;

	for (unsigned i = 0; i < st->copies; i++) {
		copy_free(t, st->copy[i]);
		st->copy[i] = NULL;
	}
	st->copies = 0;
}

void pl_core_fini(void)
{
	for (const struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++)
		store_free(*p);
	for (unsigned i = 0; i < nretired; i++)
		free(retired[i]);
	nretired = 0;
	retired_bytes = 0;
	nworkers_ = 0;
	pl_rings_free();
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
	for (const struct pl_table *const *p = __start_pl_tables; p < __stop_pl_tables; p++) {
		const struct pl_table *t = *p;
		struct pl_table_store *st = t->store;

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

struct pl_config *pl_core_config(void)
{
	__u32 zero = 0, *live = pl_table_lookup_worker(pl_table_find("pl_config_live"), &zero, 0);
	__u32 bank = live ? __atomic_load_n(live, __ATOMIC_ACQUIRE) & 1 : 0;

	return pl_table_lookup_worker(pl_table_find("pl_config"), &bank, 0);
}

/* Between two tries of a lock or a slot another worker holds: pause a
 * few times (the holder is a few instructions from done), then give the
 * CPU up (the holder may be descheduled, perhaps on this CPU). */
void pl_lock_relax(unsigned n)
{
	if (n < 16) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	sched_yield();
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
