/* SPDX-License-Identifier: MIT */
/* User-space tables: the layouts core/user/pl_tables.c keeps, and the
 * lookup the data path calls (pl_table_lookup), inline so that each call
 * site is specialised for its table. The pipeline's tables are constant
 * descriptors defined in the translation unit that runs it
 * (core/user/pl_core.c): there the compiler knows each table's kind and key
 * size at the call, keeps only that kind's branch, and hashes and compares
 * a key of known size without a loop or a library call. Elsewhere (tests,
 * the control plane) the same code chooses at run time. Included by
 * platform/user/pl_platform_impl.h only. */
#ifndef PL_TABLES_IMPL_H
#define PL_TABLES_IMPL_H

#define PL_SLOT_EMPTY 0
#define PL_SLOT_USED  1
#define PL_SLOT_DEAD  2
#define PL_SLOT_BUSY  3 /* SHARED_LRU_HASH: a worker is writing the slot */
#define PL_SLOT_HDR   16u

/* Open addressing with linear probing (pl_tables.c describes the rest). */
struct pl_hash {
	uint32_t mask;      /* slots - 1 */
	uint32_t count;     /* used slots */
	uint32_t dead;      /* tombstones (PL_SLOT_DEAD) */
	uint32_t stride;    /* bytes per slot */
	uint32_t voff;      /* offset of the value (per worker) or its pointer (shared) */
	uint64_t tick;      /* LRU clock */
	uint8_t *slots;     /* [state:4][pad:4][stamp:8][key][value or value pointer] */
	uint8_t *stale;     /* per-worker copy: a replaced slot array a walker may still read */
	__u64 wlock;        /* SHARED_LRU_HASH: held by the one worker inserting or deleting */
};

/* A shared array: a pointer per index, first into `base`, then to buffers
 * of their own once written. */
struct pl_sarray {
	void **ptr;
	uint8_t *base;
};

PL_INLINE uint32_t *pl_slot_state(uint8_t *s) { return (uint32_t *)s; }
PL_INLINE uint64_t *pl_slot_stamp(uint8_t *s) { return (uint64_t *)(s + 8); }
/* SHARED_LRU_HASH: the slot's generation (the header's pad word), moved
 * on every claim of the slot so a reader sees a key rewritten under it. */
PL_INLINE uint32_t *pl_slot_gen(uint8_t *s) { return (uint32_t *)(s + 4); }
PL_INLINE uint8_t *pl_slot_key(uint8_t *s) { return s + PL_SLOT_HDR; }
PL_INLINE void **pl_slot_vptr(const struct pl_hash *h, uint8_t *s) { return (void **)(s + h->voff); }

PL_INLINE int pl_kind_percpu(enum pl_table_kind k)
{
	return k == PL_KIND_PERCPU_ARRAY || k == PL_KIND_PERCPU_LRU_HASH;
}

PL_INLINE int pl_kind_hash(enum pl_table_kind k)
{
	return k == PL_KIND_HASH || k == PL_KIND_LRU_HASH || k == PL_KIND_PERCPU_LRU_HASH ||
	       k == PL_KIND_SHARED_LRU_HASH;
}

/* One step of the key hash: the 128-bit product of x and an odd constant,
 * its halves folded together (every bit of x reaches every bit of the
 * result; a 64-bit product alone would leave x's top bits out of the low
 * bits the table's mask keeps). One multiply per 8 bytes of key. */
PL_INLINE uint64_t pl_hash_mix(uint64_t x)
{
	unsigned __int128 m = (unsigned __int128)x * 0x9fb21c651e98df25ull;

	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* Keys are small and of fixed size, mostly a multiple of 4 bytes: 8 bytes
 * at a time, then 4, then single bytes, each through pl_hash_mix. */
PL_INLINE uint32_t pl_key_hash_body(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x243f6a8885a308d3ull ^ n, w;
	uint32_t i = 0, u;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = pl_hash_mix(h ^ w);
	}
	if (i + 4 <= n) {
		memcpy(&u, b + i, 4);
		h = pl_hash_mix(h ^ u);
		i += 4;
	}
	for (; i < n; i++)
		h = pl_hash_mix(h ^ b[i]);
	return (uint32_t)h; /* its low half already depends on every key bit */
}

/* pl_key_hash_body out of line (pl_tables.c), for a size not known where
 * it is called. */
uint32_t pl_key_hash_any(const void *p, uint32_t n);

/* A key's hash: inline where the size is a constant (the data path's
 * tables), so only that size's steps are compiled. */
PL_INLINE uint32_t pl_key_hash(const void *p, uint32_t n)
{
	if (!__builtin_constant_p(n))
		return pl_key_hash_any(p, n);
	return pl_key_hash_body(p, n);
}

/* Key equality without a libc call for the usual small sizes, when the
 * size is known where it is inlined (the data path's tables). */
PL_INLINE int pl_key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t x, y, x2, y2;
	uint32_t u, v;

	if (!__builtin_constant_p(n))
		return !memcmp(a, b, n);
	switch (n) {
	case 4:
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
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
	case 20:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&x2, a + 8, 8);
		memcpy(&y2, b + 8, 8);
		memcpy(&u, a + 16, 4);
		memcpy(&v, b + 16, 4);
		return ((x ^ y) | (x2 ^ y2) | (uint64_t)(u ^ v)) == 0;
	default:
		return !memcmp(a, b, n);
	}
}

/* The slot holding key, or NULL; *probes (when given) counts the slots
 * examined. The slot array is loaded once (sequentially consistent): a
 * shared table's array is replaced whole when its tombstones are reclaimed. */
PL_INLINE uint8_t *pl_hash_probe(const struct pl_table *t, struct pl_hash *h, const void *key,
				 uint32_t *probes)
{
	uint8_t *slots = __atomic_load_n(&h->slots, __ATOMIC_SEQ_CST);
	uint32_t i = pl_key_hash(key, t->key_size) & h->mask;

	for (uint32_t n = 0; n <= h->mask; n++, i = (i + 1) & h->mask) {
		uint8_t *s = slots + (size_t)i * h->stride;
		uint32_t st = __atomic_load_n(pl_slot_state(s), __ATOMIC_SEQ_CST);

		if (probes)
			*probes = n + 1;
		if (st == PL_SLOT_EMPTY)
			return NULL;
		if (st == PL_SLOT_USED && pl_key_eq(pl_slot_key(s), key, t->key_size))
			return s;
	}
	return NULL;
}

/* SHARED_LRU_HASH: the used slot holding key, or NULL. Workers insert
 * and evict while others probe (pl_tables.c, shared_update): a slot's key
 * is compared between two reads of its generation and state, and compared
 * again when either moved (a writer claimed the slot meanwhile). A slot
 * being written (BUSY) is not the key's yet; the probe goes on past it. */
PL_INLINE uint8_t *pl_shared_probe(const struct pl_table *t, struct pl_hash *h, const void *key)
{
	uint32_t i = pl_key_hash(key, t->key_size) & h->mask;

	for (uint32_t n = 0; n <= h->mask; n++, i = (i + 1) & h->mask) {
		uint8_t *s = h->slots + (size_t)i * h->stride;

		for (;;) {
			uint32_t g = __atomic_load_n(pl_slot_gen(s), __ATOMIC_SEQ_CST);
			uint32_t st = __atomic_load_n(pl_slot_state(s), __ATOMIC_SEQ_CST);
			int eq;

			if (st == PL_SLOT_EMPTY)
				return NULL;
			if (st != PL_SLOT_USED)
				break;
			eq = pl_key_eq(pl_slot_key(s), key, t->key_size);
			if (__atomic_load_n(pl_slot_gen(s), __ATOMIC_SEQ_CST) != g ||
			    __atomic_load_n(pl_slot_state(s), __ATOMIC_SEQ_CST) != st)
				continue; /* rewritten while compared: again */
			if (eq)
				return s;
			break;
		}
	}
	return NULL;
}

/* One worker's copy of a table (the only copy of a shared kind, worker 0);
 * NULL before pl_core_init. worker is below copies on the data path: the
 * division is for the rest. */
PL_INLINE void *pl_table_copy(const struct pl_table *t, uint32_t worker)
{
	const struct pl_table_store *st = t->store;

	if (__builtin_expect(worker >= st->copies, 0)) {
		if (!st->copies)
			return NULL;
		worker %= st->copies;
	}
	return st->copy[worker];
}

/* The copy of a shared kind: NULL before pl_core_init (pl_tables.c clears
 * the pointers when it frees them). */
PL_INLINE void *pl_table_shared(const struct pl_table *t)
{
	return t->store->copy[0];
}

/* The LPM search (out of line: pl_tables.c). */
void *pl_table_lookup_lpm(const struct pl_table *t, const void *key, unsigned worker);

/* The data path's lookup in the calling worker's copy, as
 * bpf_map_lookup_elem: a pointer to the value, or NULL. */
PL_INLINE void *pl_table_lookup(const struct pl_table *t, const void *key)
{
	void *c;

	switch (t->kind) {
	case PL_KIND_PERCPU_ARRAY: {
		uint32_t idx = *(const uint32_t *)key;

		c = pl_table_copy(t, pl_worker_id);
		if (!c || idx >= t->max_entries)
			return NULL;
		return (uint8_t *)c + (size_t)idx * t->value_size;
	}
	case PL_KIND_ARRAY:
	case PL_KIND_DEVMAP:
	case PL_KIND_XSKMAP: {
		uint32_t idx = *(const uint32_t *)key;
		struct pl_sarray *a = pl_table_shared(t);

		if (!a || idx >= t->max_entries)
			return NULL;
		return __atomic_load_n(&a->ptr[idx], __ATOMIC_SEQ_CST);
	}
	case PL_KIND_HASH:
	case PL_KIND_LRU_HASH: {
		struct pl_hash *h = pl_table_shared(t);
		uint8_t *s;

		if (!h)
			return NULL;
		s = pl_hash_probe(t, h, key, NULL);
		return s ? __atomic_load_n(pl_slot_vptr(h, s), __ATOMIC_SEQ_CST) : NULL;
	}
	case PL_KIND_PERCPU_LRU_HASH: {
		struct pl_hash *h = pl_table_copy(t, pl_worker_id);
		uint8_t *s;

		if (!h)
			return NULL;
		s = pl_hash_probe(t, h, key, NULL);
		if (!s)
			return NULL;
		*pl_slot_stamp(s) = ++h->tick;
		return s + h->voff;
	}
	case PL_KIND_SHARED_LRU_HASH: {
		struct pl_hash *h = pl_table_shared(t);
		uint64_t tick;
		uint8_t *s;

		if (!h)
			return NULL;
		s = pl_shared_probe(t, h, key);
		if (!s)
			return NULL;
		/* Recency without a shared counter per frame: the slot takes the
		 * table's insert count, written only when it moved. */
		tick = __atomic_load_n(&h->tick, __ATOMIC_RELAXED);
		if (__atomic_load_n(pl_slot_stamp(s), __ATOMIC_RELAXED) != tick)
			__atomic_store_n(pl_slot_stamp(s), tick, __ATOMIC_RELAXED);
		return s + h->voff;
	}
	default:
		return pl_table_lookup_lpm(t, key, pl_worker_id);
	}
}

#endif
