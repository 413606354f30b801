// SPDX-License-Identifier: MIT
/* pathlab-replay's results and report: sides, plres in and out, the
 * per-frame comparison with hex diffs, counters, summary. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plt_log.h"
#include "plt_replay.h"
#include "plr_builds.h"
#include "plr_report.h"

/* Width of a build's column in the per-frame report. */
static int plr_colw = 14;

int plr_side_init(struct plr_side *s, const char *name, size_t n)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->r = calloc(n ? n : 1, sizeof(*s->r));
	s->n = n;
	return s->r ? 0 : -ENOMEM;
}

void plr_side_free(struct plr_side *s)
{
	if (!s->r)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->r[i].data);
	free(s->r);
	s->r = NULL;
}

int plr_side_set(struct plr_side *s, size_t i, int verdict, uint32_t out_port, const uint8_t *data,
		 uint32_t len, int xdp_action)
{
	struct plr_result *r = &s->r[i];

	r->data = malloc(len ? len : 1);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, data, len);
	r->len = len;
	r->state = PLR_DONE;
	r->verdict = verdict;
	r->out_port = out_port;
	r->xdp_action = xdp_action;
	if (verdict >= 0 && verdict < PL_VERDICT__MAX)
		s->vcount[verdict]++;
	return 0;
}

int plr_side_write(const struct plr_side *s, const char *path, const char *policy, const char *pcap)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		err = -errno;
		pr_warn("--results-out %s: cannot create: %s\n", path, strerror(errno));
		return err;
	}
	err = plt_plres_header(f, s->name, policy, pcap);
	for (size_t i = 0; i < s->n && !err; i++)
		if (s->r[i].state == PLR_DONE)
			err = plt_plres_frame(f, i, s->r[i].verdict, s->r[i].out_port, s->r[i].data, s->r[i].len);
	if (fclose(f) || err) {
		pr_warn("--results-out %s: write failed: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* plt_plres_fn into a side. */
static int plr_side_put(void *arg, uint64_t index, int verdict, uint32_t out_port, const uint8_t *data,
			uint32_t len)
{
	return plr_side_set(arg, index, verdict, out_port, data, len, -1);
}

int plr_side_load(struct plr_side *s, const char *path, size_t nframes)
{
	const char *base = strrchr(path, '/');
	char build[32];
	int err;

	/* "afxdp@run1.plres": the build, and which file said it (named once the header is read) */
	err = plr_side_init(s, "?", nframes);
	if (err)
		return err;
	err = plt_plres_load(path, nframes, build, sizeof(build), plr_side_put, s);
	snprintf(s->name, sizeof(s->name), "%.24s@%.32s", build[0] ? build : "?", base ? base + 1 : path);
	return err;
}

/* Print a hex window of both frames around the first differing byte. */
static void plr_hexdiff(const char *an, const struct plr_result *a, const char *bn,
			const struct plr_result *b)
{
	uint32_t min = a->len < b->len ? a->len : b->len, d = 0, start, end;
	int w = (int)(strlen(an) > strlen(bn) ? strlen(an) : strlen(bn));

	while (d < min && a->data[d] == b->data[d])
		d++;
	printf("        bytes differ at offset %u (0x%x): %s has %u bytes, %s %u\n", d, d, an, a->len, bn,
	       b->len);
	start = d & ~15u;
	end = start + 32;
	for (uint32_t row = start; row < end; row += 16) {
		const struct plr_result *side[2] = { a, b };
		const char *names[2] = { an, bn };
		char marks[16 * 3 + 1] = "";
		int last = -1;

		if (row >= a->len && row >= b->len)
			break;
		for (int s = 0; s < 2; s++) {
			printf("        %-*s %04x:", w, names[s], row);
			for (uint32_t j = row; j < row + 16; j++)
				if (j < side[s]->len)
					printf(" %02x", side[s]->data[j]);
				else
					printf("   ");
			printf("\n");
		}
		for (uint32_t j = row; j < row + 16; j++) {
			bool in_a = j < a->len, in_b = j < b->len;
			bool differ = in_a != in_b || (in_a && a->data[j] != b->data[j]);

			strcat(marks, differ ? " ^^" : "   ");
			if (differ)
				last = (int)(j - row);
		}
		if (last >= 0)
			printf("        %-*s      %.*s\n", w, "", 3 * (last + 1), marks);
	}
}

/* A result as "verdict" or "verdict:port". */
static const char *plr_fmt_result(const struct plr_result *r, char *buf, size_t len)
{
	if (r->state == PLR_SKIPPED)
		return "skipped";
	if (r->state != PLR_DONE)
		return "-";
	if (r->verdict == PL_REDIRECT || r->out_port)
		snprintf(buf, len, "%s:%u", pl_verdict_name(r->verdict), r->out_port);
	else
		snprintf(buf, len, "%s", pl_verdict_name(r->verdict));
	return buf;
}

void plr_report_header(const struct plr_side *sides, unsigned nsides, int quiet)
{
	for (unsigned s = 0; s < nsides; s++)
		if ((int)strlen(sides[s].name) > plr_colw)
			plr_colw = (int)strlen(sides[s].name);
	if (quiet)
		return;
	printf("%6s", "frame");
	for (unsigned s = 0; s < nsides; s++)
		printf("  %-*s", plr_colw, sides[s].name);
	printf("  %-6s\n", nsides > 1 ? "bytes" : "");
}

/* Print the details of frame i: notes on XDP actions, each side's
 * disagreement with the reference. */
static void plr_frame_details(size_t i, const struct plr_side *sides, unsigned nsides, bool disagree,
			      struct plr_summary *sum)
{
	const struct plr_result *ref = &sides[0].r[i];

	for (unsigned s = 0; s < nsides; s++) {
		const struct plr_result *r = &sides[s].r[i];

		if (r->state == PLR_DONE && r->xdp_action >= 0 &&
		    r->xdp_action != plr_expected_action(r->verdict)) {
			printf("        note: %s gave XDP action %s for verdict %s%s\n", sides[s].name,
			       plr_xdp_action_name(r->xdp_action), pl_verdict_name(r->verdict),
			       r->verdict == PL_REDIRECT ? " (no pl_tx_ports entry for that port?)" : "");
			sum->notes++;
		}
		if (!s || !disagree || r->state != PLR_DONE || ref->state != PLR_DONE)
			continue;
		if (r->verdict != ref->verdict || r->out_port != ref->out_port)
			printf("        %s: %s out_port %u; %s: %s out_port %u\n", sides[0].name,
			       pl_verdict_name(ref->verdict), ref->out_port, sides[s].name,
			       pl_verdict_name(r->verdict), r->out_port);
		if (r->len != ref->len || memcmp(r->data, ref->data, r->len))
			plr_hexdiff(sides[0].name, ref, sides[s].name, r);
	}
}

void plr_compare_frame(size_t i, uint32_t in_len, const struct plr_side *sides, unsigned nsides,
		       const char *skip_why, int quiet, struct plr_summary *sum)
{
	const struct plr_result *ref = &sides[0].r[i];
	char why[256] = "", buf[48];
	bool disagree = false, bytes_equal = true, any = false;

	for (unsigned s = 1; s < nsides; s++) {
		const struct plr_result *r = &sides[s].r[i];

		if (ref->state != PLR_DONE || r->state != PLR_DONE) {
			if (ref->state == PLR_DONE || r->state == PLR_DONE) {
				if (in_len < PLT_REPLAY_MIN_DATA)
					continue; /* no NIC path carries it either */
				disagree = true;
				snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s has no result",
					 why[0] ? "; " : "", ref->state == PLR_DONE ? sides[s].name : sides[0].name);
			}
			continue;
		}
		any = true;
		if (r->verdict != ref->verdict || r->out_port != ref->out_port) {
			disagree = true;
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s %s", why[0] ? "; " : "",
				 sides[s].name, r->verdict != ref->verdict ? "verdict" : "out_port");
		}
		if (r->len != ref->len || memcmp(r->data, ref->data, r->len)) {
			disagree = true;
			bytes_equal = false;
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s bytes", why[0] ? "; " : "",
				 sides[s].name);
		}
	}
	if (ref->state == PLR_SKIPPED)
		sum->skipped++;
	else if (any && !disagree)
		sum->compared++;
	else if (!any && !disagree && nsides > 1)
		sum->not_compared++;
	if (disagree) {
		sum->disagreements++;
		sum->compared += any;
	}
	if (!disagree && quiet)
		return;

	printf("%6zu", i);
	for (unsigned s = 0; s < nsides; s++)
		printf("  %-*s", plr_colw, plr_fmt_result(&sides[s].r[i], buf, sizeof(buf)));
	if (ref->state == PLR_SKIPPED)
		printf("  %-6s  skipped: %s\n", "-", skip_why);
	else if (nsides == 1 || !any)
		printf("  %-6s%s%s\n", "-", disagree ? "  DISAGREE: " : "", disagree ? why : "");
	else
		printf("  %-6s%s%s\n", bytes_equal ? "equal" : "differ", disagree ? "  DISAGREE: " : "",
		       disagree ? why : "");
	plr_frame_details(i, sides, nsides, disagree, sum);
}

size_t plr_compare_counters(struct pl_ctl *n, struct pl_ctl *b)
{
	struct pl_counters cn, cb;
	size_t diff = 0;

	if (pl_ctl_read_counters(n, &cn) || pl_ctl_read_counters(b, &cb)) {
		pr_warn("cannot read the counters back\n");
		return 1;
	}
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (cn.c[i] != cb.c[i]) {
			if (!diff)
				printf("counters DISAGREE:\n");
			printf("        %-20s native %llu  bpf %llu\n", pl_counter_name(i),
			       (unsigned long long)cn.c[i], (unsigned long long)cb.c[i]);
			diff++;
		}
	if (!diff)
		printf("counters: native and bpf equal (%d counters, rx_packets %llu)\n", PL_CNT__MAX,
		       (unsigned long long)cn.c[PL_CNT_RX_PACKETS]);
	return diff;
}

void plr_report_summary(const struct plr_side *sides, unsigned nsides, size_t nframes,
			const struct plr_summary *sum, size_t ncounter_diff)
{
	printf("summary: %zu frames, %zu compared, %zu skipped", nframes, sum->compared, sum->skipped);
	if (sum->not_compared)
		printf(", %zu not compared (shorter than 14 bytes, absent from %s)", sum->not_compared,
		       sides[nsides - 1].name);
	printf("\n");
	for (unsigned s = 0; s < nsides; s++) {
		printf("  %-*s", plr_colw, sides[s].name);
		for (int v = 0; v < PL_VERDICT__MAX; v++)
			printf(" %s=%lu", pl_verdict_name(v), sides[s].vcount[v]);
		printf("\n");
	}
	if (sum->notes)
		printf("  notes: %zu (XDP action not the one the verdict maps to; see above)\n", sum->notes);
	printf("  disagreements: %zu frames%s\n", sum->disagreements, ncounter_diff ? ", and the counters" : "");
	if (nsides < 2)
		printf("  (one build only: nothing compared)\n");
}
