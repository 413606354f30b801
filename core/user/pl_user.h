/* SPDX-License-Identifier: MIT */
/* The core as a user-space library (libpathlab-core): what the AF_XDP port,
 * the DPDK application and pathlab-replay link against. */
#ifndef PL_USER_H
#define PL_USER_H

#include <stdbool.h>
#include <stdint.h>
#include "pl_platform.h"
#include "pl_types.h"


/* Allocate every table for nworkers workers (1..PL_WORKERS_MAX) and write
 * the default configuration. Returns 0 or -errno. */
int pl_core_init(unsigned nworkers);
/* Free every table. Safe to call when not initialised. */
void pl_core_fini(void);
unsigned pl_core_nworkers(void);

/* Select the calling thread's per-worker state. Each thread that runs
 * frames needs an id of its own (below PL_WORKERS_MAX). */
void pl_worker_set(unsigned id);

/* Mark the calling worker as running a frame / done with it
 * (pl_core_process does both around every frame). */
void pl_worker_enter(void);
void pl_worker_exit(void);

/* Each worker's mark is odd while it runs a frame or a burst
 * (pl_worker_enter/exit around it); the control plane, after publishing a
 * change, waits for every odd mark it sees to move on. Entering is a sequentially consistent
 * store, and a frame reads published pointers, slot states and the
 * configuration index with sequentially consistent loads, so a frame either
 * is seen running there or sees what was published before the wait.
 * Inline for pl_core_process and pl_core_process_burst. */
struct pl_worker_mark {
	uint64_t seq;
	uint8_t pad[56]; /* one cache line per worker */
};
extern struct pl_worker_mark pl_worker_marks[PL_WORKERS_MAX];

static inline void pl_worker_enter_inline(void)
{
	struct pl_worker_mark *m = &pl_worker_marks[pl_worker_id & (PL_WORKERS_MAX - 1)];

	__atomic_store_n(&m->seq, __atomic_load_n(&m->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_SEQ_CST);
}

static inline void pl_worker_exit_inline(void)
{
	struct pl_worker_mark *m = &pl_worker_marks[pl_worker_id & (PL_WORKERS_MAX - 1)];

	__atomic_store_n(&m->seq, __atomic_load_n(&m->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}
/* Wait until every frame that was running when this was called has ended
 * (a grace period: the control plane waits for one before it rewrites state
 * a frame may hold, such as the idle configuration bank or the idle ACL
 * bank; shared-table writes wait for one themselves before they free or
 * reuse memory a frame may still read). Workers that are not inside a frame
 * (idle, blocked in poll, finished) are not waited for. Returns 0, or
 * -ETIMEDOUT when a worker stayed inside one frame for PL_GRACE_TIMEOUT_NS
 * (a worker stopped in a debugger, or a thread that shares another's
 * worker id). */
#define PL_GRACE_TIMEOUT_NS 2000000000ull
int pl_core_quiesce(void);
/* Free the buffers shared-table writes replaced or deleted, after a grace
 * period (otherwise they are freed in batches as writes go on). 0 or
 * -ETIMEDOUT. */
int pl_core_reclaim(void);
/* The live configuration bank (for single-threaded drivers such as replay
 * loops that set clock_ns between frames; others use pl_ctl_set_config). */
struct pl_config *pl_core_config(void);

/* Run the core on one frame. b->data/len may change (head/tail adjust).
 * Returns an enum pl_verdict; *out_port is set for PL_REDIRECT. */
int pl_core_process(struct pl_buf *b, uint32_t *out_port);
/* The same for a frame the XDP build handed to user space (the hybrid
 * placements): with the XDP program's decision in the metadata right before
 * b->data (struct pl_meta, core/pl_meta.h, within b->headroom), the core
 * resumes there (pl_run_resume: meta_used); without it, or with one that
 * does not match the frame, the whole pipeline runs (meta_missing). */
int pl_core_process_meta(struct pl_buf *b, uint32_t *out_port);
/* The n frames of a burst (b[0..n)), as pl_core_process (meta: as
 * pl_core_process_meta) runs each, in order: verdict[i] and out_port[i] for
 * frame i. The burst runs under one worker mark and one configuration bank,
 * which it takes once: a change the control plane publishes applies from
 * the next burst on, and its grace period waits for the burst to end. What
 * a front end that receives bursts calls (pathlab-afxdp, pathlab-dpdk): the
 * per-frame cost of the mark and the configuration is a burst's divided by
 * its frames. */
void pl_core_process_burst(struct pl_buf *b, unsigned n, int *verdict, uint32_t *out_port, bool meta);

/* Drain up to max records of ring r (PL_RING), every worker's, oldest
 * first per worker: fn(record, size, arg) for each; a non-zero return stops
 * (that record is consumed). One reader at a time, while workers run.
 * Returns the records handed to fn, or fn's negative return. */
long pl_ring_consume(struct pl_ring *r, long max, int (*fn)(const void *rec, uint32_t size, void *arg),
		     void *arg);
/* Free r's per-worker rings (not while workers run); pl_rings_free: every
 * ring's (pl_core_fini calls it). pl_ring_find: a ring by its PL_RING name. */
void pl_ring_free(struct pl_ring *r);
void pl_rings_free(void);
struct pl_ring *pl_ring_find(const char *name);

/* Table registry (by the names PL_TABLE gave them). */
struct pl_table *pl_table_find(const char *name);
/* Call fn for every registered table; stops at a non-zero return. */
int pl_table_for_each(int (*fn)(struct pl_table *t, void *arg), void *arg);
/* Does this kind keep one copy per worker? */
int pl_table_is_percpu(const struct pl_table *t);

/* Control-plane access to one worker's copy (worker ignored for shared
 * kinds). Lookup returns a pointer into the table or NULL. */
void *pl_table_lookup_worker(const struct pl_table *t, const void *key, unsigned worker);
long pl_table_update_worker(const struct pl_table *t, const void *key, const void *val,
			    uint64_t flags, unsigned worker);
/* Iterate keys: key NULL gives the first; returns 0, or -ENOENT at the end. */
int pl_table_next_key(const struct pl_table *t, unsigned worker, const void *key, void *next);
/* Copy a value found by pl_table_lookup_worker to out; a per-worker value
 * (counters a running worker increments) is read word by word with relaxed
 * atomics. */
void pl_table_read_worker(const struct pl_table *t, const void *val, void *out);
/* Call fn(key, value, arg) for every entry of one worker's copy of a hash
 * table while that worker may be writing it (the control plane's read of
 * per-worker statistics: per-source counters, buckets). Values are copied
 * word by word with relaxed atomics; an entry evicted while it was copied
 * is skipped; the worker keeps a slot array it replaces while a walk runs.
 * Stops at fn's first non-zero return and returns it; -EINVAL for a table
 * that is not a hash. Does not touch the LRU order. */
int pl_table_walk_worker(const struct pl_table *t, unsigned worker,
			 int (*fn)(const void *key, const void *val, void *arg), void *arg);
/* Slots a lookup of key examines in a hash table (the calling worker's
 * copy): tests bound it to check that tombstones are reclaimed. */
uint32_t pl_table_probe_len(const struct pl_table *t, const void *key);
/* Number of entries in use (for a worker's copy). */
uint32_t pl_table_count(const struct pl_table *t, unsigned worker);
/* Remove every entry (arrays: zero every value). Not while workers run. */
void pl_table_clear(const struct pl_table *t);

#endif
