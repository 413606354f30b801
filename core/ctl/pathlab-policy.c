// SPDX-License-Identifier: MIT
/* pathlab-policy: check a policy file, or load it into / read the state of
 * a running pathlab XDP program, through libpathlab-ctl.
 *
 *   pathlab-policy check FILE...
 *   pathlab-policy apply --prog-id ID FILE
 *   pathlab-policy show --prog-id ID
 *
 * Options come from one table that drives both parsing and --help. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "pl_ctl_bpf.h"
#include "pl_opts.h"

struct opts {
	unsigned prog_id;
	int verbose;
};

static const struct pl_opt_def opt_table[] = {
	{ "prog-id", required_argument, 'p', "ID",
	  "the running program (apply, show): see `bpftool prog show name pathlab`" },
	{ "verbose", no_argument, 'v', NULL, "show: every counter, zeros too" },
	{ "help", no_argument, 'h', NULL, "this text" },
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* --help from the option table. */
static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s check FILE...             parse and check policy files\n"
		"       %s apply --prog-id ID FILE   load a policy into a running program\n"
		"       %s show --prog-id ID         its configuration and counters\n"
		"The policy format: docs/policy.md.\n",
		prog, prog, prog);
	pl_opts_usage(f, opt_table, NOPTS);
}

/* check FILE...: 0 when every file is valid. */
static int cmd_check(int argc, char **argv)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		struct pl_policy *p;
		struct pl_err err;
		char sum[256];

		if (pl_policy_parse_file(argv[i], &p, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			bad++;
			continue;
		}
		pl_policy_summary(p, sum, sizeof(sum));
		printf("%s: ok: %s\n", argv[i], sum);
		pl_policy_free(p);
	}
	return bad ? 1 : 0;
}

/* The running program's maps, or an error that says what to try. */
static struct pl_ctl *open_prog(const struct opts *o)
{
	struct pl_ctl *c;

	if (!o->prog_id) {
		fprintf(stderr, "--prog-id ID is required (find it with `bpftool prog show name pathlab`)\n");
		return NULL;
	}
	c = pl_ctl_open_bpf_prog(o->prog_id);
	if (!c)
		fprintf(stderr, "cannot open program %u: %s%s\n", o->prog_id, strerror(errno),
			errno == EPERM ? " (run as root)" : " (check the id with `bpftool prog show`)");
	return c;
}

/* apply --prog-id ID FILE */
static int cmd_apply(const struct opts *o, int argc, char **argv)
{
	struct pl_policy *p;
	struct pl_err err;
	struct pl_ctl *c;
	int ret;

	if (argc != 1) {
		fprintf(stderr, "apply takes one policy file\n");
		return 2;
	}
	if (pl_policy_parse_file(argv[0], &p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	c = open_prog(o);
	if (!c) {
		pl_policy_free(p);
		return 1;
	}
	ret = pl_policy_apply(c, p, NULL, NULL, &err);
	if (ret)
		fprintf(stderr, "%s\n", err.msg);
	else
		printf("%s: applied to program %u\n", argv[0], o->prog_id);
	pl_ctl_close(c);
	pl_policy_free(p);
	return ret ? 1 : 0;
}

/* show --prog-id ID */
static int cmd_show(const struct opts *o)
{
	__u64 hits[PL_ACL_MAX];
	struct pl_counters cnt;
	struct pl_acl_set set;
	struct pl_config cfg;
	struct pl_ctl *c = open_prog(o);
	int ret;

	if (!c)
		return 1;
	ret = pl_ctl_get_config(c, &cfg);
	if (!ret)
		ret = pl_ctl_read_counters(c, &cnt);
	if (ret) {
		fprintf(stderr, "program %u: cannot read pl_config/pl_counters: %s (is it a pathlab program?)\n",
			o->prog_id, strerror(-ret));
		pl_ctl_close(c);
		return 1;
	}
	printf("mode=%s malformed=%s default=%s acl_bank=%u acl_default=%s fwd_mode=%u "
	       "steer=%u src_stats=%u clock_ns=%llu\n",
	       pl_mode_name(cfg.mode), pl_verdict_name(cfg.malformed_verdict),
	       pl_verdict_name(cfg.default_verdict), cfg.acl_bank, pl_verdict_name(cfg.acl_default),
	       cfg.fwd_mode, cfg.steer_enabled, cfg.src_stats, (unsigned long long)cfg.clock_ns);
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (cnt.c[i] || o->verbose)
			printf("%-18s %llu\n", pl_counter_name(i), (unsigned long long)cnt.c[i]);
	if (!pl_ctl_read_acl(c, &set, hits))
		for (__u32 i = 0; i < set.count && i < PL_ACL_MAX; i++)
			printf("acl rule %-2u (policy line %u, %s): %llu hits\n", i, set.rule[i].line,
			       set.rule[i].action == PL_ACL_DROP   ? "drop"
			       : set.rule[i].action == PL_ACL_PASS ? "pass"
								   : "user",
			       (unsigned long long)hits[i]);
	pl_ctl_close(c);
	return 0;
}

/* Parse options (from opt_table) and run the subcommand. */
int main(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char sopts[2 * NOPTS + 1];
	struct opts o = { 0 };
	const char *cmd;
	int ch;

	pl_opts_build(opt_table, NOPTS, lopts, sopts);
	if (argc < 2) {
		usage(stderr, argv[0]);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout, argv[0]);
		return 0;
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		switch (ch) {
		case 'p': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || !v || v > 0xffffffffu) {
				fprintf(stderr, "--prog-id '%s' is not a program id (a positive number)\n", optarg);
				return 2;
			}
			o.prog_id = (unsigned)v;
			break;
		}
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (!strcmp(cmd, "check")) {
		if (optind >= argc) {
			fprintf(stderr, "check needs at least one policy file\n");
			return 2;
		}
		return cmd_check(argc - optind, argv + optind);
	}
	if (!strcmp(cmd, "apply"))
		return cmd_apply(&o, argc - optind, argv + optind);
	if (!strcmp(cmd, "show"))
		return cmd_show(&o);
	fprintf(stderr, "unknown command '%s' (check, apply, show; see --help)\n", cmd);
	return 2;
}
