// SPDX-License-Identifier: MIT
/* The one user-space translation unit that includes the pipeline: it defines
 * the tables (PL_TABLE) and exports pl_core_process(). */
#define PL_DEFINE_TABLES 1
#include <errno.h>
#include <string.h>
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
	/* bank 0 live (pl_config_live starts zeroed) */
	return (int)pl_table_update(&pl_config, &zero, &cfg, PL_UPDATE_ANY);
}

int pl_core_process(struct pl_buf *b, uint32_t *out_port)
{
	struct pl_ctx c;
	int v;

	pl_worker_enter_inline();
	v = pl_run(&c, b);
	pl_worker_exit_inline();
	if (out_port)
		*out_port = c.out_port;
	return v;
}

int pl_core_process_meta(struct pl_buf *b, uint32_t *out_port)
{
	struct pl_meta m, *mp = (struct pl_meta *)(b->data - sizeof(m));
	struct pl_ctx c;
	int v;

	pl_worker_enter_inline();
	if (b->headroom >= sizeof(m)) {
		memcpy(&m, mp, sizeof(m));
		if (pl_meta_valid(&m, b->len + b->frags_len)) {
			mp->magic = 0; /* used once: never taken for a later frame's */
			v = pl_run_resume(&c, b, &m);
			goto out;
		}
	}
	c.cnt = NULL;
	v = pl_run(&c, b);
	if (c.cnt)
		pl_count(&c, PL_CNT_META_MISSING);
out:
	pl_worker_exit_inline();
	if (out_port)
		*out_port = c.out_port;
	return v;
}
