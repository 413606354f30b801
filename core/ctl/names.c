// SPDX-License-Identifier: MIT
/* Names of verdicts, modes and counters (from the X-macros in pl_types.h)
 * and the one stats line format every datapath prints. */
#include <string.h>
#include "pl_ctl.h"

_Static_assert(PL_CNT_V_ABORTED - PL_CNT_V_DROP == PL_ABORTED - PL_DROP,
	       "verdict counters follow the verdict order");

static const char *const verdict_names[] = {
#define PL_X(n, s) s,
	PL_VERDICTS(PL_X)
#undef PL_X
};

static const char *const mode_names[] = {
#define PL_X(n, s) s,
	PL_MODES(PL_X)
#undef PL_X
};

static const char *const counter_names[] = {
#define PL_X(n, s, d) s,
	PL_COUNTERS(PL_X)
#undef PL_X
};

static const char *const counter_helps[] = {
#define PL_X(n, s, d) d,
	PL_COUNTERS(PL_X)
#undef PL_X
};

/* "drop", "pass", ...; "?" when out of range. */
const char *pl_verdict_name(int v)
{
	return v >= 0 && v < PL_VERDICT__MAX ? verdict_names[v] : "?";
}

/* Index of s in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* Verdict by name, or -1. */
int pl_verdict_parse(const char *s)
{
	return name_index(verdict_names, PL_VERDICT__MAX, s);
}

/* "policy", "pass-all", ...; "?" when out of range. */
const char *pl_mode_name(int m)
{
	return m >= 0 && m < PL_MODE__MAX ? mode_names[m] : "?";
}

/* Mode by name, or -1. */
int pl_mode_parse(const char *s)
{
	return name_index(mode_names, PL_MODE__MAX, s);
}

/* "rx_packets", ...; "?" when out of range. */
const char *pl_counter_name(int i)
{
	return i >= 0 && i < PL_CNT__MAX ? counter_names[i] : "?";
}

/* One-line description of a counter. */
const char *pl_counter_help(int i)
{
	return i >= 0 && i < PL_CNT__MAX ? counter_helps[i] : "?";
}

/* Rate of counter i between prev and cur (0 when it went backwards, e.g.
 * after a reset). */
static double rate(const struct pl_counters *prev, const struct pl_counters *cur, int i,
		   double interval)
{
	__u64 a = prev ? prev->c[i] : 0, b = cur->c[i];

	return b >= a && interval > 0 ? (double)(b - a) / interval : 0.0;
}

/* One stats line:
 *   [path] t=SECONDS rx=PPS drop=PPS pass=PPS tx=PPS redirect=PPS user=PPS aborted=PPS
 * then, with verbose, an indented line with every other counter whose rate
 * is non-zero (name=PER_SECOND). prev may be NULL (rates since zero). */
void pl_stats_print(FILE *f, const char *path, double t_sec, const struct pl_counters *prev,
		    const struct pl_counters *cur, double interval_sec, int verbose)
{
	int extra = 0;

	fprintf(f, "[%s] t=%.1f rx=%.0f", path, t_sec,
		rate(prev, cur, PL_CNT_RX_PACKETS, interval_sec));
	for (int v = 0; v < PL_VERDICT__MAX; v++)
		fprintf(f, " %s=%.0f", verdict_names[v],
			rate(prev, cur, PL_CNT_V_DROP + v, interval_sec));
	fputc('\n', f);
	for (int i = 0; verbose && i < PL_CNT__MAX; i++) {
		double r;

		if (i == PL_CNT_RX_PACKETS || (i >= PL_CNT_V_DROP && i < PL_CNT_V_DROP + PL_VERDICT__MAX))
			continue;
		r = rate(prev, cur, i, interval_sec);
		if (r == 0.0)
			continue;
		fprintf(f, "%s%s=%.0f", extra++ ? " " : "    ", counter_names[i], r);
	}
	if (extra)
		fputc('\n', f);
	fflush(f);
}
