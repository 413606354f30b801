// SPDX-License-Identifier: MIT
/* pathlab-policy: check a policy file, or load it into / read the state of
 * a running pathlab XDP program, through libpathlab-ctl.
 *
 *   pathlab-policy check FILE...
 *   pathlab-policy apply --prog-id ID FILE
 *   pathlab-policy show --prog-id ID
 *   pathlab-policy routes --prog-id ID [--once]
 *
 * The command and option tables (plt_opts.h) drive parsing and --help. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "pl_ctl_bpf.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_policy.h"
#include "plt_routes.h"
#include "plt_time.h"

struct opts {
	unsigned long prog_id;
	int verbose;
	int once;
};

/* check FILE...: 0 when every file is valid. */
static int cmd_check(void *opts, int argc, char **argv)
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
	c = pl_ctl_open_bpf_prog((uint32_t)o->prog_id);
	if (!c)
		fprintf(stderr, "cannot open program %lu: %s%s\n", o->prog_id, strerror(errno),
			errno == EPERM ? " (run as root)" : " (check the id with `bpftool prog show`)");
	return c;
}

/* apply --prog-id ID FILE */
static int cmd_apply(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	struct pl_policy *p;
	struct pl_err err;
	struct pl_ctl *c;
	int ret;

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
		printf("%s: applied to program %lu\n", argv[0], o->prog_id);
	pl_ctl_close(c);
	pl_policy_free(p);
	return ret ? 1 : 0;
}

/* show --prog-id ID */
static int cmd_show(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
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
		fprintf(stderr, "program %lu: cannot read pl_config/pl_counters: %s (is it a pathlab program?)\n",
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

/* routes --prog-id ID [--once]: mirror the kernel's routing and neighbour
 * tables of this network namespace into the program's route tables (what a
 * policy's `route kernel` expects), until SIGINT/SIGTERM. */
static int cmd_routes(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	struct plt_tx_ports tp = { 0 };
	struct plt_routes *r;
	struct pl_config cfg;
	struct pl_ctl *c = open_prog(o);
	int err;

	(void)argc;
	(void)argv;
	if (!c)
		return 1;
	tp.ctl = c;
	if (!pl_ctl_get_config(c, &cfg) && !cfg.route_enabled)
		fprintf(stderr, "note: routing is off in program %lu: apply a policy with `route kernel` to use these routes\n",
			o->prog_id);
	err = plt_routes_open(&r, c, plt_tx_ports_resolve, &tp);
	if (err) {
		fprintf(stderr, "program %lu: cannot open its route tables or netlink: %s (is it a pathlab program with the route stage?)\n",
			o->prog_id, strerror(-err));
		pl_ctl_close(c);
		return 1;
	}
	if (o->once) {
		err = plt_routes_sync(r);
		if (err >= 0)
			printf("%u routes mirrored into program %lu (%d written or removed)\n", plt_routes_count(r),
			       o->prog_id, err);
	} else {
		plt_stop_on_signals();
		err = plt_routes_run(r, NULL);
	}
	if (err < 0)
		fprintf(stderr, "mirroring the kernel's routes failed: %s\n", strerror(-err));
	plt_routes_close(r);
	pl_ctl_close(c);
	return err < 0 ? 1 : 0;
}

#define O(f) offsetof(struct opts, f)
static const struct plt_opt opt_table[] = {
	{ "prog-id", 'p', PLT_OPT_UINT, O(prog_id), "ID",
	  "the running program (apply, show, routes): see `bpftool prog show name pathlab`", .min = 1,
	  .max = 0xffffffffu },
	{ "verbose", 'v', PLT_OPT_FLAG, O(verbose), NULL, "show: every counter, zeros too" },
	{ "once", '1', PLT_OPT_FLAG, O(once), NULL, "routes: one pass, then exit" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static const struct plt_cmd cmd_table[] = {
	{ "check", "FILE...", "parse and check policy files", 1, -1, cmd_check },
	{ "apply", "--prog-id ID FILE", "load a policy into a running program", 1, 1, cmd_apply },
	{ "show", "--prog-id ID", "its configuration and counters", 0, 0, cmd_show },
	{ "routes", "--prog-id ID [--once]",
	  "mirror the kernel's routes and neighbours into its route tables, following changes until SIGINT/SIGTERM",
	  0, 0, cmd_routes },
};

static void outro(FILE *f)
{
	fprintf(f, "\nThe policy format: docs/policy.md.\n");
}

static const struct plt_tool tool = {
	.name = "pathlab-policy",
	.usage = "COMMAND [options] ARGS",
	.opts = opt_table,
	.nopts = PLT_ARRAY_SIZE(opt_table),
	.cmds = cmd_table,
	.ncmds = PLT_ARRAY_SIZE(cmd_table),
	.outro = outro,
};

int main(int argc, char **argv)
{
	static struct opts o;

	return plt_cmd_main(&tool, argc, argv, &o);
}
