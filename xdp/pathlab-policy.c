// SPDX-License-Identifier: MIT
/* pathlab-policy: check a policy file, or load it into / switch the mode of
 * / read the state of any running pathlab datapath, addressed one way:
 *
 *   pathlab-policy check FILE...
 *   pathlab-policy apply --target xdp:IFACE|afxdp:NAME|dpdk:PREFIX FILE
 *   pathlab-policy mode  --target T policy|pass-all|drop-all|count-only
 *   pathlab-policy show  --target T
 *   pathlab-policy top   --target T [--top N]
 *   pathlab-policy routes --target xdp:IFACE [--once]
 *   pathlab-policy block --target xdp:IFACE add|del src|dst PREFIX...
 *   pathlab-policy block --target xdp:IFACE load src|dst FILE
 *
 * An XDP program is reached through its maps (libpathlab-ctl's BPF backend);
 * pathlab-afxdp and pathlab-dpdk through their control socket
 * (toolkit/plt_ctlsock.h), which runs the same library in their process.
 * The command and option tables (plt_opts.h) drive parsing and --help. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "pl_ctl_bpf.h"
#include "plt_ctlsock.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_policy.h"
#include "plt_routes.h"
#include "plt_time.h"
#include "plt_xdp.h"

struct opts {
	unsigned long prog_id;
	const char *target;
	unsigned long top;
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

/* Where a command goes: a BPF program (xdp:IFACE or --prog-id, reached
 * through its maps) or a process's control socket (afxdp:NAME, dpdk:PREFIX). */
struct dest {
	struct pl_ctl *ctl;      /* BPF: its maps */
	struct plt_xdp_info a;   /* BPF: what is attached */
	const char *ifname;      /* xdp:IFACE */
	char kind[16];           /* socket: "afxdp" / "dpdk" */
	const char *name;
};

/* Parse --target / --prog-id and open a BPF destination; 0, 1 failed, 2 usage. */
static int dest_open(const struct opts *o, struct dest *d)
{
	const char *colon;

	memset(d, 0, sizeof(*d));
	if (o->target && o->prog_id) {
		fprintf(stderr, "give --target or --prog-id, not both\n");
		return 2;
	}
	if (o->prog_id) {
		d->ctl = pl_ctl_open_bpf_prog((uint32_t)o->prog_id);
		if (!d->ctl) {
			fprintf(stderr, "cannot open program %lu: %s%s\n", o->prog_id, strerror(errno),
				errno == EPERM ? " (run as root)" : " (check the id with `bpftool prog show`)");
			return 1;
		}
		d->a.prog_id = (__u32)o->prog_id;
		return 0;
	}
	if (!o->target) {
		fprintf(stderr, "--target xdp:IFACE|afxdp:NAME|dpdk:PREFIX (or --prog-id ID) is required\n");
		return 2;
	}
	colon = strchr(o->target, ':');
	if (!colon || !colon[1] || (size_t)(colon - o->target) >= sizeof(d->kind)) {
		fprintf(stderr, "--target '%s' is not KIND:NAME (xdp:IFACE, afxdp:NAME, dpdk:PREFIX)\n", o->target);
		return 2;
	}
	memcpy(d->kind, o->target, (size_t)(colon - o->target));
	d->name = colon + 1;
	if (!strcmp(d->kind, "xdp")) {
		d->ifname = d->name;
		d->ctl = plt_xdp_open_core(d->ifname, &d->a);
		return d->ctl ? 0 : 1;
	}
	if (strcmp(d->kind, "afxdp") && strcmp(d->kind, "dpdk")) {
		fprintf(stderr, "--target '%s': unknown kind '%s' (xdp, afxdp or dpdk)\n", o->target, d->kind);
		return 2;
	}
	return 0;
}

/* A request over a control socket: its answer on stdout; exit status. */
static int dest_request(const struct dest *d, const char *line, const char *payload, size_t plen)
{
	struct pl_err err = { { 0 } };
	int ret = plt_ctlsock_request(d->kind, d->name, line, payload, plen, stdout, &err);

	if (ret)
		fprintf(stderr, "%s\n", err.msg);
	return ret ? 1 : 0;
}

/* The whole of a file (a policy: at most 4 MiB), NUL-terminated. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb || cap > (8u << 20)) {
				fprintf(stderr, "%s: %s\n", path, nb ? "larger than 4 MiB" : "out of memory");
				free(nb ? nb : buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* apply --target T FILE (or --prog-id ID FILE) */
static int cmd_apply(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	struct pl_policy *p;
	struct pl_err err;
	struct dest d;
	char line[512];
	int ret, lock;

	(void)argc;
	if (pl_policy_parse_file(argv[0], &p, &err)) { /* every error found here, before anything is sent */
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	ret = dest_open(o, &d);
	if (ret) {
		pl_policy_free(p);
		return ret;
	}
	if (!d.ctl) {
		size_t len;
		char *text = slurp(argv[0], &len);

		pl_policy_free(p);
		if (!text)
			return 1;
		snprintf(line, sizeof(line), "apply %s", argv[0]);
		if (strchr(argv[0], ' ') || strchr(argv[0], '\n'))
			snprintf(line, sizeof(line), "apply policy");
		ret = dest_request(&d, line, text, len);
		free(text);
		return ret;
	}
	lock = plt_xdp_writer_lock();
	{
		struct plt_tx_ports tp = { .ctl = d.ctl };

		ret = pl_policy_apply(d.ctl, p, plt_tx_ports_resolve, &tp, &err);
	}
	plt_xdp_writer_unlock(lock);
	if (ret)
		fprintf(stderr, "%s\n", err.msg);
	else
		printf("%s: applied to program %u\n", argv[0], d.a.prog_id);
	pl_ctl_close(d.ctl);
	pl_policy_free(p);
	return ret ? 1 : 0;
}

/* mode --target T MODE */
static int cmd_mode(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	int m = pl_mode_parse(argv[0]), ret, lock;
	struct dest d;
	char line[64];

	(void)argc;
	if (m < 0) {
		fprintf(stderr, "unknown mode '%s' (policy, pass-all, drop-all, count-only)\n", argv[0]);
		return 2;
	}
	ret = dest_open(o, &d);
	if (ret)
		return ret;
	if (!d.ctl) {
		snprintf(line, sizeof(line), "mode %s", pl_mode_name(m));
		return dest_request(&d, line, NULL, 0);
	}
	lock = plt_xdp_writer_lock();
	ret = pl_ctl_set_mode(d.ctl, m);
	plt_xdp_writer_unlock(lock);
	pl_ctl_close(d.ctl);
	if (ret) {
		fprintf(stderr, "cannot set the mode of program %u: %s\n", d.a.prog_id, strerror(-ret));
		return 1;
	}
	printf("mode %s\n", pl_mode_name(m));
	return 0;
}

/* show / top: the same report, read here (BPF) or by the process. */
static int report(const struct opts *o, const char *cmd, int what)
{
	struct pl_report *r;
	struct dest d;
	char line[64];
	int ret = dest_open(o, &d);

	if (ret)
		return ret;
	if (!d.ctl) {
		snprintf(line, sizeof(line), "%s %lu", cmd, o->top);
		return dest_request(&d, line, NULL, 0);
	}
	r = malloc(sizeof(*r));
	ret = r ? pl_report_read(d.ctl, (unsigned)o->top, r) : -ENOMEM;
	if (ret) {
		fprintf(stderr, "program %u: cannot read its tables: %s (is it a pathlab program?)\n", d.a.prog_id,
			strerror(-ret));
	} else {
		if (d.ifname)
			printf("target=xdp:%s prog_id=%u xdp_mode=%s\n", d.ifname, d.a.prog_id,
			       plt_xdp_attached_name(d.a.attach_mode));
		pl_report_print(stdout, r, what);
	}
	free(r);
	pl_ctl_close(d.ctl);
	return ret ? 1 : 0;
}

/* show --target T */
static int cmd_show(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;

	(void)argc;
	(void)argv;
	return report(o, o->verbose ? "show-all" : "show",
		      PL_REPORT_CONFIG | (o->verbose ? PL_REPORT_ALL_COUNTERS : PL_REPORT_COUNTERS) |
			      PL_REPORT_TABLES | PL_REPORT_TOP);
}

/* top --target T [--top N] */
static int cmd_top(void *opts, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return report(opts, "top", PL_REPORT_TOP);
}

/* routes --target xdp:IFACE [--once] (or --prog-id ID): mirror the kernel's routing and neighbour
 * tables of this network namespace into the program's route tables (what a
 * policy's `route kernel` expects), until SIGINT/SIGTERM. */
static int cmd_routes(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	struct plt_tx_ports tp = { 0 };
	struct plt_routes *r;
	struct pl_config cfg;
	struct dest d;
	int err;

	(void)argc;
	(void)argv;
	err = dest_open(o, &d);
	if (err)
		return err;
	if (!d.ctl) {
		fprintf(stderr, "routes reaches an XDP program (xdp:IFACE or --prog-id); pathlab-afxdp and "
				"pathlab-dpdk mirror the kernel's routes themselves for a policy with `route kernel`\n");
		return 2;
	}
	tp.ctl = d.ctl;
	if (!pl_ctl_get_config(d.ctl, &cfg) && !cfg.route_enabled)
		fprintf(stderr, "note: routing is off in program %u: apply a policy with `route kernel` to use these routes\n",
			d.a.prog_id);
	err = plt_routes_open(&r, d.ctl, plt_tx_ports_resolve, &tp);
	if (err) {
		fprintf(stderr, "program %u: cannot open its route tables or netlink: %s (is it a pathlab program with the route stage?)\n",
			d.a.prog_id, strerror(-err));
		pl_ctl_close(d.ctl);
		return 1;
	}
	if (o->once) {
		err = plt_routes_sync(r);
		if (err >= 0)
			printf("%u routes mirrored into program %u (%d written or removed)\n", plt_routes_count(r),
			       d.a.prog_id, err);
	} else {
		plt_stop_on_signals();
		err = plt_routes_run(r, NULL);
	}
	if (err < 0)
		fprintf(stderr, "mirroring the kernel's routes failed: %s\n", strerror(-err));
	plt_routes_close(r);
	pl_ctl_close(d.ctl);
	return err < 0 ? 1 : 0;
}

/* block --prog-id ID add|del|load src|dst PREFIX...|FILE: change a block
 * list of the running program, nothing else of its policy. */
static int cmd_block(void *opts, int argc, char **argv)
{
	const struct opts *o = opts;
	struct pl_err err = { { 0 } };
	struct pl_ctl *c;
	__u32 prog_id;
	int list, bad = 0;

	if (strcmp(argv[0], "add") && strcmp(argv[0], "del") && strcmp(argv[0], "load")) {
		fprintf(stderr, "block: '%s' is not add, del or load\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "src") && strcmp(argv[1], "dst")) {
		fprintf(stderr, "block %s: '%s' is not src or dst (the list to change)\n", argv[0], argv[1]);
		return 2;
	}
	if (argc < 3 || (!strcmp(argv[0], "load") && argc != 3)) {
		fprintf(stderr, "block %s %s needs %s\n", argv[0], argv[1],
			!strcmp(argv[0], "load") ? "one FILE" : "one or more PREFIXes");
		return 2;
	}
	list = argv[1][0] == 'd';
	{
		struct dest d;
		int r = dest_open(o, &d);

		if (r)
			return r;
		if (!d.ctl) {
			fprintf(stderr, "block reaches an XDP program (xdp:IFACE or --prog-id); for pathlab-afxdp "
					"and pathlab-dpdk, change the policy's block lists and apply it\n");
			return 2;
		}
		c = d.ctl;
		prog_id = d.a.prog_id;
	}
	if (!strcmp(argv[0], "load")) {
		long n = pl_block_load(c, list, argv[2], &err);

		if (n < 0)
			fprintf(stderr, "%s\n", err.msg), bad = 1;
		else
			printf("%s list of program %u: %ld prefixes from %s\n", argv[1], prog_id, n, argv[2]);
	} else {
		for (int i = 2; i < argc; i++) {
			int e = argv[0][0] == 'a' ? pl_block_add(c, list, argv[i], &err)
						  : pl_block_del(c, list, argv[i], &err);

			if (e) {
				fprintf(stderr, "%s\n", err.msg);
				bad = 1;
			}
		}
	}
	pl_ctl_close(c);
	return bad;
}

#define O(f) offsetof(struct opts, f)
static const struct plt_opt opt_table[] = {
	{ "target", 't', PLT_OPT_STR, O(target), "KIND:NAME",
	  "the running datapath: xdp:IFACE, afxdp:NAME (its first -i, or --ctl-name), dpdk:PREFIX (its EAL --file-prefix, default rte)" },
	{ "prog-id", 'p', PLT_OPT_UINT, O(prog_id), "ID",
	  "a running BPF program by id instead of a target: see `bpftool prog show name pathlab`", .min = 1,
	  .max = 0xffffffffu },
	{ "top", 'n', PLT_OPT_UINT, O(top), "N", "sources in each top list (show, top; default 10)", .min = 1,
	  .max = PL_REPORT_TOP_MAX },
	{ "verbose", 'v', PLT_OPT_FLAG, O(verbose), NULL, "show: every counter, zeros too" },
	{ "once", '1', PLT_OPT_FLAG, O(once), NULL, "routes: one pass, then exit" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static const struct plt_cmd cmd_table[] = {
	{ "check", "FILE...", "parse and check policy files", 1, -1, cmd_check },
	{ "apply", "--target T FILE", "load a policy into a running datapath, all or nothing", 1, 1, cmd_apply },
	{ "mode", "--target T MODE", "flip its mode: policy, pass-all, drop-all, count-only", 1, 1, cmd_mode },
	{ "show", "--target T", "what it runs: configuration, counters, ACL rules, LB, routes, top sources", 0, 0,
	  cmd_show },
	{ "top", "--target T [--top N]", "the top-N sources by packets, bytes and drops", 0, 0, cmd_top },
	{ "routes", "--target xdp:IFACE [--once]",
	  "mirror the kernel's routes and neighbours into an XDP program's route tables, following changes until SIGINT/SIGTERM",
	  0, 0, cmd_routes },
	{ "block", "--target xdp:IFACE add|del|load src|dst PREFIX...|FILE",
	  "change a block list of the running program (nothing else of its policy): add or remove prefixes, or load a list file in place of the list",
	  2, -1, cmd_block },
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
	static struct opts o = { .top = 10 };

	return plt_cmd_main(&tool, argc, argv, &o);
}
