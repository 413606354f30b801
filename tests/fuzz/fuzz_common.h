/* SPDX-License-Identifier: MIT */
/* What the fuzz targets and tsan-ctl share: the invariant check, the
 * verdict counter sum, the counter dump. Include after pl_ctl.h. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include "pl_user.h"
#include "pl_ctl.h"

/* Abort with a message: libFuzzer saves the input, the replay driver has
 * printed the file it runs. */
#define MUST(cond)                                                                     \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* A verdict of pl_core_process() under configuration cfg, and the buffer
 * it leaves: cap bytes at buf, the frame inside, head and tail room
 * describing the rest. */
static inline void fuzz_check_result(int v, const struct pl_config *cfg, const struct pl_buf *b,
				     const uint8_t *buf, size_t cap)
{
	MUST(v >= 0 && v < PL_VERDICT__MAX);
	if (v == PL_ABORTED)
		MUST(cfg->malformed_verdict == PL_ABORTED || cfg->default_verdict == PL_ABORTED);
	MUST(b->data >= buf && b->data + b->len <= buf + cap);
	MUST(b->headroom == (uint32_t)(b->data - buf));
	MUST(b->tailroom == (uint32_t)(buf + cap - (b->data + b->len)));
}

/* Sum of the verdict counters (equal to rx_packets when all is well). */
static inline uint64_t fuzz_verdict_sum(const struct pl_counters *c)
{
	uint64_t s = 0;

	for (int i = PL_CNT_V_DROP; i <= PL_CNT_V_ABORTED; i++)
		s += c->c[i];
	return s;
}

/* Every non-zero counter, summed over workers (which stages a corpus
 * reaches; printed at exit when FUZZ_STATS is set). */
static inline void fuzz_print_counters(struct pl_ctl *ctl)
{
	struct pl_counters sum;

	if (pl_ctl_read_counters(ctl, &sum))
		return;
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (sum.c[i])
			fprintf(stderr, "%-20s %llu\n", pl_counter_name(i), (unsigned long long)sum.c[i]);
}

#endif
