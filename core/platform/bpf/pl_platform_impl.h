/* SPDX-License-Identifier: MIT */
/* pathlab platform shim: BPF side (clang -target bpf).
 *
 * The core never calls bpf_* helpers itself; it calls the pl_* names below.
 * This header is chosen by the include path (-Icore/platform/bpf) and refuses
 * to compile anywhere else. */
#ifndef PL_PLATFORM_IMPL_H
#define PL_PLATFORM_IMPL_H

#ifndef __bpf__
#error "core/platform/bpf is for clang -target bpf; user-space builds use -Icore/platform/user"
#endif

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PL_TARGET_BPF 1
#define PL_INLINE static __always_inline
#define PL_UNUSED __attribute__((unused))

/* Byte order. */
#define pl_htons(x) bpf_htons(x)
#define pl_ntohs(x) bpf_ntohs(x)
#define pl_htonl(x) bpf_htonl(x)
#define pl_ntohl(x) bpf_ntohl(x)

#define pl_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define pl_memset(d, c, n) __builtin_memset((d), (c), (n))

/* The hardware context a datapath hands the core. */
typedef struct xdp_md pl_hw_ctx;

/* ---- Tables ------------------------------------------------------------
 * PL_TABLE(name, KIND, key_type, value_type, max_entries) declares a table.
 * Here it is a BPF map of the matching type, named `name` in the object so
 * the control plane finds it by that name; user space gets a table with the
 * same semantics (platform/user). Kinds: HASH, LRU_HASH, PERCPU_LRU_HASH,
 * SHARED_LRU_HASH, LPM, ARRAY, PERCPU_ARRAY, DEVMAP, XSKMAP. SHARED_LRU_HASH
 * is one LRU hash that the data path of every CPU inserts into and updates
 * in place, with the atomics below (here a plain LRU hash: the kernel's is
 * safe for concurrent inserts). */
#define PL_MAPTYPE_HASH            BPF_MAP_TYPE_HASH
#define PL_MAPTYPE_LRU_HASH        BPF_MAP_TYPE_LRU_HASH
#define PL_MAPTYPE_PERCPU_LRU_HASH BPF_MAP_TYPE_LRU_PERCPU_HASH
#define PL_MAPTYPE_SHARED_LRU_HASH BPF_MAP_TYPE_LRU_HASH
#define PL_MAPTYPE_LPM             BPF_MAP_TYPE_LPM_TRIE
#define PL_MAPTYPE_ARRAY           BPF_MAP_TYPE_ARRAY
#define PL_MAPTYPE_PERCPU_ARRAY    BPF_MAP_TYPE_PERCPU_ARRAY
#define PL_MAPTYPE_DEVMAP          BPF_MAP_TYPE_DEVMAP
#define PL_MAPTYPE_XSKMAP          BPF_MAP_TYPE_XSKMAP

#define PL_MAPFLAGS_HASH            0
#define PL_MAPFLAGS_LRU_HASH        0
#define PL_MAPFLAGS_PERCPU_LRU_HASH 0
#define PL_MAPFLAGS_SHARED_LRU_HASH 0
#define PL_MAPFLAGS_LPM             BPF_F_NO_PREALLOC
#define PL_MAPFLAGS_ARRAY           0
#define PL_MAPFLAGS_PERCPU_ARRAY    0
#define PL_MAPFLAGS_DEVMAP          0
#define PL_MAPFLAGS_XSKMAP          0

/* Built with -DPL_PIN_MAPS (xdp/pathlab-pinned.bpf.o), every table is
 * pinned by name: a loader that opens the object without options (DPDK's
 * net_af_xdp with xdp_prog=) reuses tables already pinned under its bpffs
 * root, so they can be filled before the program is loaded and attached. */
#ifdef PL_PIN_MAPS
#define PL_TABLE_PINNING __uint(pinning, LIBBPF_PIN_BY_NAME);
#else
#define PL_TABLE_PINNING
#endif

#define PL_TABLE(name, kind, ktype, vtype, max)                                \
	struct {                                                               \
		__uint(type, PL_MAPTYPE_##kind);                               \
		__uint(map_flags, PL_MAPFLAGS_##kind);                         \
		__type(key, ktype);                                            \
		__type(value, vtype);                                          \
		__uint(max_entries, max);                                      \
		PL_TABLE_PINNING                                               \
	} name SEC(".maps")

#define PL_UPDATE_ANY     BPF_ANY
#define PL_UPDATE_NOEXIST BPF_NOEXIST
#define PL_UPDATE_EXIST   BPF_EXIST

#define pl_table_lookup(tbl, key)           bpf_map_lookup_elem((tbl), (key))
#define pl_table_update(tbl, key, val, flg) bpf_map_update_elem((tbl), (key), (val), (flg))
#define pl_table_delete(tbl, key)           bpf_map_delete_elem((tbl), (key))
/* Another CPU's value of a per-CPU table entry (NULL past the last CPU). */
#define pl_table_lookup_cpu(tbl, key, cpu)  bpf_map_lookup_percpu_elem((tbl), (key), (cpu))
/* Add to a statistic of this CPU (a per-CPU map's u64). */
#define pl_stat_add(p, n) (*(p) += (n))

/* A lock word in a value every CPU writes (SHARED_LRU_HASH): 0 free, 1
 * held. pl_lock_try takes it or says it is held (one compare-and-swap,
 * BPF_CMPXCHG); pl_lock_release frees it (an exchange, BPF_XCHG: a full
 * barrier, so the holder's writes are seen before the lock is free). Taken
 * only around a few loads and stores, never across a helper call.
 * bpf_spin_lock is not used: the kernel refuses it in LRU maps, and a table
 * a flood of spoofed sources fills must evict. */
PL_INLINE int pl_lock_try(__u64 *l) { return __sync_val_compare_and_swap(l, 0, 1) == 0; }
PL_INLINE void pl_lock_release(__u64 *l) { __sync_lock_test_and_set(l, 0); }
/* Between two tries: XDP runs with bottom halves off, so a holder on
 * another CPU is never descheduled inside its few instructions. */
#define pl_lock_relax(n) ((void)(n))

/* ---- Rings to user space ------------------------------------------------
 * PL_RING(name, rec_type, nrec) declares a ring of records the data path
 * fills and a reader in user space drains: here a BPF ring buffer of
 * nrec * 512 bytes (a power of two: nrec is one, at least 8), in user space
 * nrec slots per worker. Records are reserved at a constant size, written in
 * place and submitted (or discarded); a full ring gives NULL. */
#define PL_RING(name, rec_type, nrec)                                          \
	_Static_assert(sizeof(rec_type) + 8 <= 512, #name ": records up to 504 bytes"); \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                            \
		__uint(max_entries, (nrec) * 512);                             \
		PL_TABLE_PINNING                                               \
	} name SEC(".maps")
#define pl_ring_reserve(ring, size) bpf_ringbuf_reserve((ring), (size), 0)
#define pl_ring_submit(ring, rec)   bpf_ringbuf_submit((rec), 0)
#define pl_ring_discard(ring, rec)  bpf_ringbuf_discard((rec), 0)

/* ---- Clock and randomness ---------------------------------------------- */
/* The live configuration bank's index, read once per frame. The control
 * plane writes the idle bank (a syscall) before it writes the index (a
 * later syscall), and waits for an RCU grace period before it writes a bank
 * that was live, so one volatile load is enough here. */
#define pl_config_bank_load(p) (*(volatile __u32 *)(p))

PL_INLINE __u64 pl_platform_now_ns(void) { return bpf_ktime_get_ns(); }
PL_INLINE __u32 pl_random_u32(void) { return bpf_get_prandom_u32(); }
PL_INLINE __u32 pl_cpu_id(void) { return bpf_get_smp_processor_id(); }

/* ---- Packet view -------------------------------------------------------- */
#define pl_hw_data(hw)     ((void *)(long)(hw)->data)
#define pl_hw_data_end(hw) ((void *)(long)(hw)->data_end)
#define pl_hw_rx_queue(hw) ((hw)->rx_queue_index)
#define pl_hw_ifindex(hw)  ((hw)->ingress_ifindex)
/* The whole frame's length: the linear part (data..data_end, what the core
 * reads) plus the fragments of a multi-buffer frame (the program is loaded
 * frags-aware, so a jumbo frame's payload may span several buffers). */
#define pl_hw_frame_len(hw) ((__u32)bpf_xdp_get_buff_len(hw))

/* Copy len bytes of the frame from off into dst (0 or -errno): len is
 * bounded (1 .. the size of dst) where the caller can prove it. */
#define pl_hw_load_bytes(hw, off, dst, len) bpf_xdp_load_bytes((hw), (off), (dst), (len))

/* Grow (delta < 0) or shrink (delta > 0) the frame at its head / tail.
 * Returns 0 or -errno; every packet pointer is invalid afterwards. */
PL_INLINE int pl_hw_adjust_head(pl_hw_ctx *hw, int delta) { return bpf_xdp_adjust_head(hw, delta); }
PL_INLINE int pl_hw_adjust_tail(pl_hw_ctx *hw, int delta) { return bpf_xdp_adjust_tail(hw, delta); }

/* A stage body the verifier checks once, on its own (a global function: its
 * arguments are the context, scalars and pointers to plain memory), rather
 * than once per state every earlier stage can leave; keeps the program under
 * the verifier's instruction budget as stages are added. */
#define PL_STAGE_FN __attribute__((noinline))

/* Bounded loops: clang must not unroll into something the verifier rejects;
 * kernels >= 5.3 verify bounded loops directly. */
#define PL_LOOP _Pragma("clang loop unroll(disable)")
#define PL_UNROLL _Pragma("unroll")

#endif
