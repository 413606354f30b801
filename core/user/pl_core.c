// SPDX-License-Identifier: MIT
/* The one user-space translation unit that includes the pipeline: it defines
 * the tables (PL_TABLE) and exports pl_core_process(). */
#define PL_DEFINE_TABLES 1
#include <errno.h>
#include "pl_pipeline.h"
#include "pl_user.h"

int pl_tables_alloc(unsigned nworkers);

/* Defaults both builds start from; the BPF loader writes the same struct. */
int pl_core_init(unsigned nworkers)
{
	struct pl_config cfg = PL_CONFIG_DEFAULT;
	__u32 zero = 0;
	int err = pl_tables_alloc(nworkers);

	if (err)
		return err;
	return (int)pl_table_update(&pl_config, &zero, &cfg, PL_UPDATE_ANY);
}

/* Each frame runs between two marks of the worker's sequence number (odd
 * inside): the start is sequentially consistent, so the frame's reads of
 * shared tables come after it in the order the control plane's grace
 * periods see; the end is a release, so they come before it. */
int pl_core_process(struct pl_buf *b, uint32_t *out_port)
{
	uint64_t *seq = &pl_worker_seq[pl_worker_id & (PL_WORKERS_MAX - 1)].seq;
	uint64_t n = __atomic_load_n(seq, __ATOMIC_RELAXED);
	struct pl_ctx c;
	int v;

	__atomic_store_n(seq, n + 1, __ATOMIC_SEQ_CST);
	v = pl_run(&c, b);
	__atomic_store_n(seq, n + 2, __ATOMIC_RELEASE);
	if (out_port)
		*out_port = c.out_port;
	return v;
}
