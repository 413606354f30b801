/* SPDX-License-Identifier: MIT */
/* pathlab platform shim: user-space side (gcc/clang, any front end).
 *
 * Same names as platform/bpf with user-space meanings. Tables are
 * descriptors registered in the `pl_tables` linker section so the control
 * plane can find them by name (see core/user/pl_tables.c). State the data
 * path writes (PERCPU_* kinds) is per worker: each worker thread sets its id
 * with pl_worker_set() and gets its own copy. */
#ifndef PL_PLATFORM_IMPL_H
#define PL_PLATFORM_IMPL_H

#ifdef __bpf__
#error "core/platform/user is for user-space builds; BPF builds use -Icore/platform/bpf"
#endif

#include <stdint.h>
#include <stddef.h>
#include <string.h>
/* glibc's netinet/in.h before any linux/ UAPI header: linux/libc-compat.h
 * then leaves the shared definitions to glibc. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/types.h>

#define PL_TARGET_USER 1
#define PL_INLINE static inline __attribute__((always_inline))
#define PL_UNUSED __attribute__((unused))

#define pl_htons(x) htons(x)
#define pl_ntohs(x) ntohs(x)
#define pl_htonl(x) htonl(x)
#define pl_ntohl(x) ntohl(x)

#define pl_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define pl_memset(d, c, n) __builtin_memset((d), (c), (n))

/* The buffer a user-space datapath hands the core: one frame with room
 * around it for head/tail adjustment. A multi-buffer frame (a chain of
 * AF_XDP descriptors, a chain of mbufs) is described as XDP describes it:
 * data/len is the first buffer, which holds the headers and is all the core
 * reads; frags_len counts the bytes in the buffers after it, which the core
 * only counts (verdicts, byte counters and rate budgets are over the whole
 * frame). */
struct pl_buf {
	uint8_t *data;      /* first byte of the frame */
	uint32_t len;       /* bytes in the first buffer (the linear part) */
	uint32_t headroom;  /* bytes writable before data */
	uint32_t tailroom;  /* bytes writable after data + len (0 when frags_len) */
	uint32_t ifindex;   /* receiving interface (informational) */
	uint32_t rx_queue;  /* receiving queue */
	uint32_t frags_len; /* bytes in further buffers of a multi-buffer frame */
};
typedef struct pl_buf pl_hw_ctx;

enum pl_table_kind {
	PL_KIND_HASH,
	PL_KIND_LRU_HASH,
	PL_KIND_PERCPU_LRU_HASH,
	PL_KIND_SHARED_LRU_HASH,
	PL_KIND_LPM,
	PL_KIND_ARRAY,
	PL_KIND_PERCPU_ARRAY,
	PL_KIND_DEVMAP,
	PL_KIND_XSKMAP,
};

#ifndef PL_WORKERS_MAX
#define PL_WORKERS_MAX 64
#endif

/* Where a table's storage is: one copy, or one per worker for PERCPU kinds
 * (copies is 0 before pl_core_init); the layouts live in core/user. */
struct pl_table_store {
	uint32_t copies;
	void *copy[PL_WORKERS_MAX];
};

/* A table descriptor: constant (the data path's lookups are specialised
 * by its kind and sizes, platform/user/pl_tables_impl.h); its storage is
 * found through `store`. */
struct pl_table {
	const char *name;
	enum pl_table_kind kind;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	struct pl_table_store *store;
};

/* Only the one translation unit that runs the pipeline (core/user/pl_core.c)
 * defines PL_DEFINE_TABLES and so the tables; everywhere else (the control
 * plane including a stage header for its structs) PL_TABLE only declares. */
#ifdef PL_DEFINE_TABLES
#define PL_TABLE(name, kind, ktype, vtype, max)                                \
	static struct pl_table_store pl__store_##name;                         \
	const struct pl_table name = { #name, PL_KIND_##kind, sizeof(ktype),   \
				       sizeof(vtype), (max), &pl__store_##name }; \
	static const struct pl_table *const pl__reg_##name                     \
		__attribute__((used, section("pl_tables"))) = &name
#else
#define PL_TABLE(name, kind, ktype, vtype, max) extern const struct pl_table name
#endif

#define PL_UPDATE_ANY     0
#define PL_UPDATE_NOEXIST 1
#define PL_UPDATE_EXIST   2

long pl_table_update(const struct pl_table *t, const void *key, const void *val, uint64_t flags);
long pl_table_delete(const struct pl_table *t, const void *key);
/* Another CPU's value of a per-CPU entry. In user space a worker's tables
 * hold only its own keys and each worker owns its queues' flows, so there
 * is nothing to find (and reading another worker's table would race). */
PL_INLINE void *pl_table_lookup_cpu(const struct pl_table *t, const void *key, uint32_t cpu)
{
	(void)t;
	(void)key;
	(void)cpu;
	return NULL;
}

/* Rings to user space (platform/bpf has the contract): nrec slots of one
 * record per worker (allocated at the worker's first record), filled only
 * by that worker, drained by one reader (pl_ring_consume, pl_user.h). */
#define PL_RING_WORKERS 64
struct pl_ring {
	const char *name;
	uint32_t rec_size;
	uint32_t nrec; /* a power of two */
	void *w[PL_RING_WORKERS];
};
#ifdef PL_DEFINE_TABLES
#define PL_RING(name, rec_type, nrec)                                          \
	_Static_assert(((nrec) & ((nrec) - 1)) == 0, #name ": nrec is a power of two"); \
	struct pl_ring name = { #name, sizeof(rec_type), (nrec), { 0 } };      \
	static struct pl_ring *const pl__ringreg_##name                        \
		__attribute__((used, section("pl_rings"))) = &name
#else
#define PL_RING(name, rec_type, nrec) extern struct pl_ring name
#endif
void *pl_ring_reserve(struct pl_ring *r, uint32_t size);
void pl_ring_submit(struct pl_ring *r, void *rec);
PL_INLINE void pl_ring_discard(struct pl_ring *r, void *rec)
{
	(void)r;
	(void)rec; /* not published: the slot is reserved again next time */
}

/* Worker identity: selects the per-worker copy of PERCPU_* tables. */
extern __thread uint32_t pl_worker_id;
PL_INLINE uint32_t pl_cpu_id(void) { return pl_worker_id; }

/* pl_table_lookup: inline, specialised per table. */
#include "pl_tables_impl.h"

/* Add to a statistic of this worker (a per-worker table's u64): the worker
 * is its only writer, and the control plane reads it while the worker
 * runs, so the write must be one store a reader sees whole. The __atomic
 * builtins give that (relaxed: plain moves on x86 and arm64), but the
 * compiler reloads around each of them whatever it held from memory (the
 * context, the configuration), a few instructions per counter. On x86-64
 * one add to memory is that store (an aligned 8-byte store is single-copy
 * atomic) and touches nothing else; ThreadSanitizer builds keep the
 * builtins, which it checks. */
#if defined(__SANITIZE_THREAD__)
#define PL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PL_TSAN 1
#endif
#endif
#if defined(__x86_64__) && !defined(PL_TSAN)
static inline __attribute__((always_inline)) void pl_stat_add_u64(__u64 *p, __u64 n)
{
	__asm__ __volatile__("addq %1, %0" : "+m"(*p) : "er"(n));
}
#define pl_stat_add(p, n) pl_stat_add_u64((p), (n))
#else
#define pl_stat_add(p, n)                                                      \
	__atomic_store_n((p), __atomic_load_n((p), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#endif

/* A lock word in a value every worker writes (SHARED_LRU_HASH): 0 free, 1
 * held (platform/bpf has the contract). Taking it is a compare-and-swap
 * with acquire order, freeing it a store with release order, so what the
 * holder wrote is seen by the next holder. */
PL_INLINE int pl_lock_try(__u64 *l)
{
	__u64 free_ = 0;

	return __atomic_compare_exchange_n(l, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
PL_INLINE void pl_lock_release(__u64 *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
/* Between two tries: a worker thread holding a lock can be descheduled;
 * give the CPU up rather than spin against it. */
void pl_lock_relax(unsigned n);

/* The live configuration bank's index, read once per frame: sequentially
 * consistent, paired with the control plane's store of the index and the
 * worker's activity mark (core/user/pl_tables.c). */
#define pl_config_bank_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)

uint64_t pl_platform_now_ns(void);
uint32_t pl_random_u32(void);

#define pl_hw_data(hw)     ((void *)(hw)->data)
#define pl_hw_data_end(hw) ((void *)((hw)->data + (hw)->len))
#define pl_hw_rx_queue(hw) ((hw)->rx_queue)
#define pl_hw_ifindex(hw)  ((hw)->ifindex)
#define pl_hw_frame_len(hw) ((hw)->len + (hw)->frags_len)

/* Copy len bytes of the first buffer from off into dst: 0, or -EFAULT
 * (-14, as bpf_xdp_load_bytes answers) past its end. */
PL_INLINE int pl_hw_load_bytes(pl_hw_ctx *hw, uint32_t off, void *dst, uint32_t len)
{
	if (off > hw->len || len > hw->len - off)
		return -14;
	memcpy(dst, hw->data + off, len);
	return 0;
}

/* Same contract as bpf_xdp_adjust_head/tail: negative delta grows. */
PL_INLINE int pl_hw_adjust_head(pl_hw_ctx *hw, int delta)
{
	if (delta < 0 ? (uint32_t)-delta > hw->headroom
		      : ((uint32_t)delta > hw->len || hw->len - (uint32_t)delta < 14))
		return -22; /* -EINVAL, as the kernel answers */
	hw->data += delta;
	hw->len -= delta;
	hw->headroom += delta;
	return 0;
}

/* The tail of a multi-buffer frame is in its last buffer, which the core
 * does not reach: refused (the only stage that moves the tail, the
 * responder, refuses multi-buffer frames before it gets here). */
PL_INLINE int pl_hw_adjust_tail(pl_hw_ctx *hw, int delta)
{
	if (hw->frags_len)
		return -22;
	if (delta > 0 ? (uint32_t)delta > hw->tailroom
		      : ((uint32_t)-delta > hw->len || hw->len - (uint32_t)-delta < 14))
		return -22;
	hw->len += delta;
	hw->tailroom -= delta;
	return 0;
}

/* A stage body that BPF verifies on its own (platform/bpf); here inline. */
#define PL_STAGE_FN PL_INLINE

#define PL_LOOP
#if defined(__clang__)
#define PL_UNROLL _Pragma("unroll")
#else
#define PL_UNROLL _Pragma("GCC unroll 16")
#endif

#endif
