// SPDX-License-Identifier: MIT
/* pl-stages-run: the stage system tests' attach helper (until pathlab-xdp
 * lands). Loads the pathlab BPF object with libbpf, attaches program
 * `pathlab` to the given interfaces (native XDP; libbpf, not libxdp, since
 * the responder and the encapsulation adjust head/tail), applies a policy,
 * and runs until SIGINT/SIGTERM, then detaches. SIGHUP re-reads and
 * re-applies the policy (backend state changes while running); SIGUSR1 and
 * exit print the non-zero counters as "name value" lines. */
#include "pl_ctl.h"
#include "pl_ctl_bpf.h"
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#define MAX_IFACES 8

static const struct option_desc {
	struct option opt;
	const char *arg, *help;
} opts[] = {
	{ { "obj", required_argument, NULL, 'o' }, "FILE", "BPF object (build/xdp/pathlab.bpf.o)" },
	{ { "dev", required_argument, NULL, 'd' }, "IFACE", "attach to IFACE (repeatable)" },
	{ { "policy", required_argument, NULL, 'p' }, "FILE", "policy to apply" },
	{ { "generic", no_argument, NULL, 'g' }, NULL, "attach in generic (skb) mode" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this text" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static volatile sig_atomic_t stop, reload, dump;

/* Record the signal for the main loop. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else if (sig == SIGUSR1)
		dump = 1;
	else
		stop = 1;
}

/* Usage from the option table. */
static void usage(FILE *f)
{
	fprintf(f, "usage: pl-stages-run --obj FILE --dev IFACE [--dev IFACE...] --policy FILE [--generic]\n");
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(f, "  --%s%s%-8s %s\n", opts[i].opt.name, opts[i].arg ? " " : "",
			opts[i].arg ? opts[i].arg : "", opts[i].help);
}

/* Parse and apply the policy file. */
static int apply(struct pl_ctl *ctl, const char *path)
{
	struct pl_policy *p = NULL;
	struct pl_err err;
	int e = pl_policy_parse_file(path, &p, &err);

	if (!e)
		e = pl_policy_apply(ctl, p, NULL, NULL, &err);
	if (e)
		fprintf(stderr, "pl-stages-run: %s\n", err.msg);
	pl_policy_free(p);
	return e;
}

/* Print every non-zero counter. */
static void print_counters(struct pl_ctl *ctl)
{
	struct pl_counters sum;

	if (pl_ctl_read_counters(ctl, &sum))
		return;
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (sum.c[i])
			printf("%s %llu\n", pl_counter_name(i), (unsigned long long)sum.c[i]);
	printf("--\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct option lopts[NOPTS + 1] = { 0 };
	const char *obj_path = NULL, *policy = NULL, *dev[MAX_IFACES];
	unsigned ndev = 0, ifindex[MAX_IFACES] = { 0 }, attached = 0;
	__u32 flags = XDP_FLAGS_DRV_MODE;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct pl_ctl *ctl = NULL;
	int c, err = 1;

	for (size_t i = 0; i < NOPTS; i++)
		lopts[i] = opts[i].opt;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': obj_path = optarg; break;
		case 'p': policy = optarg; break;
		case 'g': flags = XDP_FLAGS_SKB_MODE; break;
		case 'd':
			if (ndev == MAX_IFACES) {
				fprintf(stderr, "pl-stages-run: at most %d --dev\n", MAX_IFACES);
				return 2;
			}
			dev[ndev++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!obj_path || !policy || !ndev) {
		fprintf(stderr, "pl-stages-run: --obj, --policy and at least one --dev are required\n");
		usage(stderr);
		return 2;
	}
	for (unsigned i = 0; i < ndev; i++) {
		ifindex[i] = if_nametoindex(dev[i]);
		if (!ifindex[i]) {
			fprintf(stderr, "pl-stages-run: no interface '%s' in this network namespace\n", dev[i]);
			return 2;
		}
	}
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		fprintf(stderr, "pl-stages-run: cannot open %s: %s\n", obj_path, strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "pl-stages-run: loading %s failed (verifier log above)\n", obj_path);
		goto out_obj;
	}
	prog = bpf_object__find_program_by_name(obj, "pathlab");
	ctl = pl_ctl_open_bpf_obj(obj);
	if (!prog || !ctl) {
		fprintf(stderr, "pl-stages-run: program 'pathlab' or its maps not found in %s\n", obj_path);
		goto out_obj;
	}
	if (pl_ctl_init_config(ctl) || apply(ctl, policy))
		goto out_ctl;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGUSR1, on_signal);
	for (attached = 0; attached < ndev; attached++) {
		int e = bpf_xdp_attach((int)ifindex[attached], bpf_program__fd(prog), flags, NULL);

		if (e) {
			fprintf(stderr, "pl-stages-run: attaching to %s (%s mode) failed: %s (try --generic)\n",
				dev[attached], flags == XDP_FLAGS_DRV_MODE ? "native" : "generic",
				strerror(-e));
			goto out_detach;
		}
	}
	printf("ready prog_id=%u\n", bpf_program__fd(prog) >= 0 ?
	       ({ struct bpf_prog_info info = {}; __u32 l = sizeof(info);
		  bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &l); info.id; }) : 0);
	fflush(stdout);
	while (!stop) {
		pause();
		if (reload) {
			reload = 0;
			if (!apply(ctl, policy))
				printf("reloaded\n");
			fflush(stdout);
		}
		if (dump) {
			dump = 0;
			print_counters(ctl);
		}
	}
	print_counters(ctl);
	err = 0;
out_detach:
	while (attached--)
		bpf_xdp_detach((int)ifindex[attached], flags, NULL);
out_ctl:
	pl_ctl_close(ctl);
out_obj:
	bpf_object__close(obj);
	return err;
}
