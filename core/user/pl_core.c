// SPDX-License-Identifier: MIT
/* The one user-space translation unit that includes the pipeline: it defines
 * the tables (PL_TABLE) and exports pl_core_process(). */
#define PL_DEFINE_TABLES 1
#include <errno.h>
#include <stdbool.h>
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

/* One frame on a context whose tables pl_run_tables took. meta: the frame
 * may carry the XDP build's decision in front of it (pl_core_process_meta).
 * The pipeline is inlined once per setting of meta. */
static inline __attribute__((always_inline)) int pl_core_frame(struct pl_ctx *c, struct pl_buf *b, bool meta)
{
	pl_run_frame_open(c, b);
	if (meta) {
		struct pl_meta m, *mp = (struct pl_meta *)(b->data - sizeof(m));

		if (b->headroom >= sizeof(m)) {
			memcpy(&m, mp, sizeof(m));
			if (pl_meta_valid(&m, b->len + b->frags_len)) {
				int v;

				mp->magic = 0; /* used once: never taken for a later frame's */
				v = pl_run_resume(c, &m);
				if (v >= 0)
					return v;
			}
		}
		pl_count(c, PL_CNT_META_MISSING);
	}
	return pl_run_frame(c);
}

/* The frames of a burst under one worker mark and one configuration bank;
 * each frame otherwise as if it came alone. */
static inline __attribute__((always_inline)) void pl_core_burst(struct pl_buf *b, unsigned n, int *verdict,
								 uint32_t *out_port, bool meta)
{
	struct pl_ctx c;

	pl_worker_enter_inline();
	if (pl_run_tables(&c)) {
		for (unsigned i = 0; i < n; i++) {
			verdict[i] = PL_ABORTED;
			out_port[i] = 0;
		}
	} else {
		for (unsigned i = 0; i < n; i++) {
			verdict[i] = pl_core_frame(&c, &b[i], meta);
			out_port[i] = c.out_port;
		}
	}
	pl_worker_exit_inline();
}

static __attribute__((noinline)) void pl_core_burst_plain(struct pl_buf *b, unsigned n, int *verdict,
							  uint32_t *out_port)
{
	pl_core_burst(b, n, verdict, out_port, false);
}

static __attribute__((noinline)) void pl_core_burst_meta(struct pl_buf *b, unsigned n, int *verdict,
							 uint32_t *out_port)
{
	pl_core_burst(b, n, verdict, out_port, true);
}

void pl_core_process_burst(struct pl_buf *b, unsigned n, int *verdict, uint32_t *out_port, bool meta)
{
	if (meta)
		pl_core_burst_meta(b, n, verdict, out_port);
	else
		pl_core_burst_plain(b, n, verdict, out_port);
}

/* A frame alone: a burst of one. */
int pl_core_process(struct pl_buf *b, uint32_t *out_port)
{
	uint32_t port;
	int v;

	pl_core_burst_plain(b, 1, &v, &port);
	if (out_port)
		*out_port = port;
	return v;
}

int pl_core_process_meta(struct pl_buf *b, uint32_t *out_port)
{
	uint32_t port;
	int v;

	pl_core_burst_meta(b, 1, &v, &port);
	if (out_port)
		*out_port = port;
	return v;
}
