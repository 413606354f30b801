/* SPDX-License-Identifier: MIT */
/* What each build (or a plres file) said about every frame, and the
 * comparison report of pathlab-replay (prefix plr_). */
#ifndef PLR_REPORT_H
#define PLR_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "pl_ctl.h"
#include "plt_pcap.h"

enum plr_state { PLR_NONE = 0, PLR_DONE, PLR_SKIPPED };

struct plr_result {
	uint8_t state;
	int verdict;
	uint32_t out_port;
	int xdp_action; /* BPF only; -1 elsewhere */
	uint32_t len;
	uint8_t *data;  /* output frame */
};

/* What one build (or one plres file) said about every frame. */
struct plr_side {
	char name[64];
	struct plr_result *r;
	size_t n;
	unsigned long vcount[PL_VERDICT__MAX];
};

/* Results for n frames; 0 or -ENOMEM. */
int plr_side_init(struct plr_side *s, const char *name, size_t n);
/* Free; accepts a zeroed side. */
void plr_side_free(struct plr_side *s);
/* Record frame i's result (copies the bytes). */
int plr_side_set(struct plr_side *s, size_t i, int verdict, uint32_t out_port, const uint8_t *data,
		 uint32_t len, int xdp_action);
/* Write a side as a plres file (toolkit/plt_replay.h). */
int plr_side_write(const struct plr_side *s, const char *path, const char *policy, const char *pcap);
/* Read a plres file another build wrote into s (named BUILD@FILE). */
int plr_side_load(struct plr_side *s, const char *path, size_t nframes);

struct plr_summary {
	size_t compared;
	size_t skipped;
	size_t not_compared;
	size_t disagreements;
	size_t notes;
};

/* The per-frame header line (quiet: none) and column width. */
void plr_report_header(const struct plr_side *sides, unsigned nsides, int quiet);
/* Compare frame i of every side with the reference (side 0); print its
 * line (quiet: only when they disagree) and the details. */
void plr_compare_frame(size_t i, uint32_t in_len, const struct plr_side *sides, unsigned nsides,
		       const char *skip_why, int quiet, struct plr_summary *sum);
/* Compare the counters of the native and BPF builds; prints every
 * difference, returns their number. */
size_t plr_compare_counters(struct pl_ctl *n, struct pl_ctl *b);
/* The summary lines. */
void plr_report_summary(const struct plr_side *sides, unsigned nsides, size_t nframes,
			const struct plr_summary *sum, size_t ncounter_diff);

#endif
