/* SPDX-License-Identifier: MIT */
/* The core as a user-space library (libpathlab-core): what the AF_XDP port,
 * the DPDK application and pathlab-replay link against. */
#ifndef PL_USER_H
#define PL_USER_H

#include <stdint.h>
#include "pl_platform.h"
#include "pl_types.h"

#ifndef PL_WORKERS_MAX
#define PL_WORKERS_MAX 64
#endif

/* Allocate every table for nworkers workers (1..PL_WORKERS_MAX) and write
 * the default configuration. Returns 0 or -errno. */
int pl_core_init(unsigned nworkers);
/* Free every table. Safe to call when not initialised. */
void pl_core_fini(void);
unsigned pl_core_nworkers(void);

/* Select the calling thread's per-worker state. Each thread that runs
 * frames needs an id of its own (below PL_WORKERS_MAX). */
void pl_worker_set(unsigned id);

/* Grace periods. pl_core_process marks the start and end of each frame in
 * the worker's sequence number (odd inside a frame). The control plane,
 * after publishing a change to a shared table, waits with
 * pl_core_synchronize until every worker that was inside a frame has left
 * it; workers between frames (idle, blocked in poll) are not waited for.
 * Returns 0, or -ETIMEDOUT when a worker stayed in one frame longer than
 * timeout_ns. The table writes call it themselves when they must: memory a
 * frame may still read is freed or reused only after a grace period. */
struct pl_worker_seq {
	uint64_t seq;
} __attribute__((aligned(64)));
extern struct pl_worker_seq pl_worker_seq[PL_WORKERS_MAX];
#define PL_GRACE_TIMEOUT_NS 2000000000ull
int pl_core_synchronize(uint64_t timeout_ns);
/* Free what shared-table writes replaced or deleted (one grace period;
 * otherwise it is freed in batches as writes go on). 0 or -ETIMEDOUT. */
int pl_core_reclaim(void);

/* Run the core on one frame. b->data/len may change (head/tail adjust).
 * Returns an enum pl_verdict; *out_port is set for PL_REDIRECT. */
int pl_core_process(struct pl_buf *b, uint32_t *out_port);

/* Table registry (by the names PL_TABLE gave them). */
struct pl_table *pl_table_find(const char *name);
/* Call fn for every registered table; stops at a non-zero return. */
int pl_table_for_each(int (*fn)(struct pl_table *t, void *arg), void *arg);
/* Does this kind keep one copy per worker? */
int pl_table_is_percpu(const struct pl_table *t);

/* Control-plane access to one worker's copy (worker ignored for shared
 * kinds). Lookup returns a pointer into the table or NULL. */
void *pl_table_lookup_worker(struct pl_table *t, const void *key, unsigned worker);
long pl_table_update_worker(struct pl_table *t, const void *key, const void *val,
			    uint64_t flags, unsigned worker);
/* Iterate keys: key NULL gives the first; returns 0, or -ENOENT at the end. */
int pl_table_next_key(struct pl_table *t, unsigned worker, const void *key, void *next);
/* Copy a value found by pl_table_lookup_worker to out; a per-worker value
 * (counters a running worker increments) is read word by word with relaxed
 * atomics. */
void pl_table_read_worker(struct pl_table *t, const void *val, void *out);
/* Number of entries in use (for a worker's copy). */
uint32_t pl_table_count(struct pl_table *t, unsigned worker);
/* Remove every entry (arrays: zero every value). Not while workers run. */
void pl_table_clear(struct pl_table *t);

#endif
