// SPDX-License-Identifier: MIT
/* pathlab-replay: differential replay of a pcap through the builds of the
 * pathlab core.
 *
 * Every frame of the pcap runs through the native core (libpathlab-core)
 * and through the BPF object (BPF_PROG_TEST_RUN on program `pathlab`), both
 * loaded with the same policy through libpathlab-ctl (plr_builds.c), under
 * the replay contract (toolkit/plt_replay.h: buffer geometry, clock). The
 * BPF object is loaded with the rodata global pl_record_result = 1, so it
 * records the core's own verdict and out_port in pl_last_result (test_run
 * alone shows only the XDP action).
 *
 * It prints per frame the verdict and out_port of each build and whether the
 * output bytes are equal, every disagreement with a hex diff, and a summary
 * (plr_report.c); it can write the results (plres), compare with a plres
 * file written by another build (AF_XDP, DPDK), and write the output frames
 * as pcap. The speed of the builds is measured by bench/pl-corebench.
 *
 * Exit: 0 all builds agree, 1 a disagreement, 2 usage, input or set-up
 * error. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_pcap.h"
#include "plt_replay.h"
#include "plr_builds.h"
#include "plr_report.h"

#define PLR_EXIT_OK       0
#define PLR_EXIT_DISAGREE 1
#define PLR_EXIT_USAGE    2

struct plr_opts {
	struct plr_env env;
	struct plr_buildset builds;
	const char *pcap;
	const char *policy;
	const char *results_out;
	const char *against;
	const char *pcap_out;
	unsigned verdict_mask; /* --pcap-out-verdict; 0 = all */
	int quiet, verbose;
};

/* --pcap-out-verdict: a comma-separated verdict list into a bit mask. */
static int plr_verdicts_opt(void *field, const char *s)
{
	unsigned *maskp = field;
	char buf[256], *tok, *save;
	unsigned mask = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = pl_verdict_parse(tok);

		if (v < 0) {
			mask = 0;
			break;
		}
		mask |= 1u << v;
	}
	if (!mask) {
		pr_warn("--pcap-out-verdict '%s': a comma-separated list of drop, pass, tx, redirect, user, aborted\n", s);
		return -EINVAL;
	}
	*maskp = mask;
	return 0;
}

#define O(f) offsetof(struct plr_opts, f)
static const struct plt_opt plr_opt_table[] = {
	{ "policy", 'p', PLT_OPT_STR, O(policy), "FILE",
	  "policy for every build (docs/policy.md); default: the built-in defaults" },
	{ "builds", 'b', PLT_OPT_FUNC, O(builds), "LIST",
	  "builds to run, comma-separated: native, bpf (default native,bpf);\n"
	  "the first one is the reference the others are compared with", .fn = plr_buildset_opt },
	{ "results-out", 0, PLT_OPT_STR, O(results_out), "FILE",
	  "write the reference build's results as a plres file" },
	{ "against", 0, PLT_OPT_STR, O(against), "FILE",
	  "compare the reference build with a plres file another build\n"
	  "wrote (AF_XDP, DPDK); default builds then: native only" },
	{ "pcap-out", 0, PLT_OPT_STR, O(pcap_out), "FILE", "write the reference build's output frames as pcap" },
	{ "pcap-out-verdict", 0, PLT_OPT_FUNC, O(verdict_mask), "LIST",
	  "with --pcap-out: only frames given these verdicts (e.g. tx,redirect)", .fn = plr_verdicts_opt },
	PLR_ENV_OPTS(struct plr_opts, env),
	{ "quiet", 'q', PLT_OPT_QUIET, O(quiet), NULL, "print only disagreements and the summary" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages (twice: libbpf's debug output too)" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void plr_intro(FILE *f)
{
	fprintf(f,
		"\nReplays every frame of PCAP (Ethernet; pcap or pcapng) through the native pathlab core\n"
		"and through the BPF object (BPF_PROG_TEST_RUN), with the same policy, and reports per\n"
		"frame (numbered from 0) the verdict and out_port of each build and whether the output\n"
		"bytes are equal, with a hex diff of every disagreement. Frames longer than %u bytes are\n"
		"multi-buffer frames (the rest in fragments, as test_run gives a frags-aware program).\n"
		"Frames shorter than %u or longer than %u bytes are skipped for every build and reported.\n"
		"Before frame i every build sets clock_ns = PL_REPLAY_CLOCK_NS(i). Loading BPF needs\n"
		"root (or CAP_BPF and CAP_NET_ADMIN). Exit status: 0 all builds agree, 1 a disagreement,\n"
		"2 a usage, input or set-up error.\n",
		PLT_REPLAY_MAX_DATA, PLT_REPLAY_MIN_DATA, PLT_REPLAY_MAX_FRAME);
}

static void plr_outro(FILE *f)
{
	fprintf(f,
		"\nplres files (--results-out, --against): a first line\n"
		"  # pathlab-results v1 build=NAME policy=FILE pcap=FILE\n"
		"(policy=none without a policy), then one line per frame:\n"
		"INDEX<TAB>VERDICT<TAB>OUT_PORT<TAB>OUTPUT BYTES IN LOWERCASE HEX.\n"
		"A frame one side lacks is a disagreement (unless shorter than 14 bytes).\n"
		"The speed of the builds: bench/pl-corebench, docs/performance.md.\n");
}

static const struct plt_tool plr_tool = {
	.name = "pathlab-replay",
	.usage = "[OPTIONS] PCAP",
	.intro = plr_intro,
	.opts = plr_opt_table,
	.nopts = PLT_ARRAY_SIZE(plr_opt_table),
	.outro = plr_outro,
	.width = 30,
	.min_args = 1,
	.max_args = 1,
};

/* Parse the command line into o: -1 to go on, else the exit status. */
static int plr_parse_args(int argc, char **argv, struct plr_opts *o)
{
	char **args;
	int nargs, err;

	err = plt_opts_main(&plr_tool, argc, argv, o, &nargs, &args);
	if (err >= 0)
		return err;
	o->pcap = args[0];
	if (o->against && !o->builds.given) {
		o->builds.b[0] = PLR_NATIVE;
		o->builds.n = 1;
	}
	if (o->verdict_mask && !o->pcap_out) {
		pr_warn("--pcap-out-verdict needs --pcap-out FILE\nTry '%s --help'.\n", plr_tool.name);
		return PLR_EXIT_USAGE;
	}
	return -1;
}

/* The output frames of the reference build as pcap (the input's times). */
static int plr_write_pcap(const struct plr_opts *o, const struct plr_side *s, const struct plt_pcap_file *pc)
{
	struct plt_pcap_writer w;
	size_t written = 0;
	int err;

	err = plt_pcap_create(&w, o->pcap_out);
	for (size_t i = 0; i < pc->n && !err; i++) {
		const struct plr_result *r = &s->r[i];

		if (r->state != PLR_DONE || (o->verdict_mask && !(o->verdict_mask & (1u << r->verdict))))
			continue;
		err = plt_pcap_write(&w, r->data, r->len, pc->f[i].ts_ns);
		written += !err;
	}
	if (plt_pcap_finish(&w) || err)
		return -EIO;
	pr_info("%s: %zu frames of the %s build written\n", o->pcap_out, written, s->name);
	return 0;
}

/* The replay: every frame through every build, compare, report. */
static int plr_replay(struct plr_opts *o, const struct pl_policy *policy, const struct plt_pcap_file *pc)
{
	struct plr_side sides[PLR_B__MAX + 1];
	struct plr_native nat = { 0 };
	struct plr_bpf *bpf = calloc(1, sizeof(*bpf));
	struct plr_summary sum = { 0 };
	unsigned nsides = 0, s_of[PLR_B__MAX];
	size_t ncounter_diff = 0;
	int err, ret = PLR_EXIT_USAGE;
	bool has_bpf = plr_buildset_has(&o->builds, PLR_BPF);

	memset(sides, 0, sizeof(sides));
	if (!bpf)
		return ret;
	for (unsigned i = 0; i < o->builds.n; i++) {
		s_of[o->builds.b[i]] = nsides;
		if (plr_side_init(&sides[nsides++], plr_build_names[o->builds.b[i]], pc->n))
			goto free_sides;
	}
	if (plr_buildset_has(&o->builds, PLR_NATIVE) && plr_native_open(&nat, policy, &o->env))
		goto free_sides;
	if (has_bpf && plr_bpf_open(bpf, policy, &o->env, true))
		goto close_builds;
	if (o->against && plr_side_load(&sides[nsides++], o->against, pc->n))
		goto close_builds;

	for (size_t i = 0; i < pc->n; i++) {
		const struct plt_pcap_frame *f = &pc->f[i];

		if (has_bpf && plt_replay_skip_reason(f->len)) {
			for (unsigned b = 0; b < o->builds.n; b++)
				sides[b].r[i].state = PLR_SKIPPED;
			continue;
		}
		for (unsigned b = 0; b < o->builds.n; b++) {
			struct plr_side *s = &sides[s_of[o->builds.b[b]]];
			struct plr_out out;

			err = o->builds.b[b] == PLR_NATIVE ? plr_native_run(&nat, f->data, f->len, i, &o->env, &out)
							: plr_bpf_run(bpf, f->data, f->len, i, &o->env, &out);
			if (!err)
				err = plr_side_set(s, i, out.verdict, out.out_port, out.data, out.len, out.xdp_action);
			if (err)
				goto close_builds;
		}
	}

	plr_report_header(sides, nsides, o->quiet);
	for (size_t i = 0; i < pc->n; i++) {
		const char *why = plt_replay_skip_reason(pc->f[i].len);

		plr_compare_frame(i, pc->f[i].len, sides, nsides, why ? why : "", o->quiet, &sum);
	}
	if (plr_buildset_has(&o->builds, PLR_NATIVE) && has_bpf)
		ncounter_diff = plr_compare_counters(nat.ctl, bpf->ctl);
	plr_report_summary(sides, nsides, pc->n, &sum, ncounter_diff);
	ret = sum.disagreements || ncounter_diff ? PLR_EXIT_DISAGREE : PLR_EXIT_OK;

	if (o->results_out && plr_side_write(&sides[0], o->results_out, o->policy, pc->path))
		ret = PLR_EXIT_USAGE;
	if (o->pcap_out && plr_write_pcap(o, &sides[0], pc))
		ret = PLR_EXIT_USAGE;
close_builds:
	plr_bpf_close(bpf);
	plr_native_close(&nat);
free_sides:
	for (unsigned s = 0; s < PLR_B__MAX + 1; s++)
		plr_side_free(&sides[s]);
	free(bpf);
	return ret;
}

int main(int argc, char **argv)
{
	static struct plr_opts o = { .env = PLR_ENV_INIT, .builds = PLR_BUILDSET_ALL };
	struct plt_pcap_file pc = { 0 };
	struct pl_policy *policy = NULL;
	int ret;

	ret = plr_parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (plt_pcap_load(o.pcap, &pc))
		return PLR_EXIT_USAGE;
	if (pc.shorter)
		pr_info("%s: %zu frames were captured shorter than on the wire (snaplen); their captured bytes are replayed\n",
			o.pcap, pc.shorter);
	ret = PLR_EXIT_USAGE;
	if (!plr_policy_parse(o.policy, &policy) && !plr_env_setup(&o.env))
		ret = plr_replay(&o, policy, &pc);
	pl_policy_free(policy);
	plt_pcap_free(&pc);
	return ret;
}
