/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk's options: one plt_opts table drives the parsing and the
 * usage text. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pl_ctl.h"
#include "plt_opts.h"
#include "pl_dpdk.h"

int pl_dpdk_verbose;

/* --iface IF, repeatable (field: the whole struct pl_dpdk_opts). */
static int pl_dpdk_opt_iface(void *field, const char *arg)
{
	struct pl_dpdk_opts *o = field;

	if (o->niface == PL_DPDK_IFACES_MAX) {
		pr_warn("--iface: at most %d interfaces\n", PL_DPDK_IFACES_MAX);
		return -EINVAL;
	}
	o->iface[o->niface++] = arg;
	return 0;
}

/* --pass-tap NAME, repeatable (field: the whole struct pl_dpdk_opts). */
static int pl_dpdk_opt_pass_tap(void *field, const char *arg)
{
	struct pl_dpdk_opts *o = field;

	if (o->npass_tap == PL_DPDK_IFACES_MAX) {
		pr_warn("--pass-tap: at most %d\n", PL_DPDK_IFACES_MAX);
		return -EINVAL;
	}
	o->pass_tap[o->npass_tap++] = arg;
	return 0;
}

/* --metrics ADDR:PORT, checked before the EAL starts (field: const char *). */
static int pl_dpdk_opt_metrics(void *field, const char *arg)
{
	struct pl_err err;

	if (pl_metrics_check_addr(arg, &err)) {
		pr_warn("--metrics: %s\n", err.msg);
		return -EINVAL;
	}
	*(const char **)field = arg;
	return 0;
}

/* --busy-budget N */
static int pl_dpdk_opt_busy(void *field, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 65535) {
		pr_warn("--busy-budget: '%s' is not a number from 0 to 65535 (0: no busy polling)\n", arg);
		return -EINVAL;
	}
	*(int *)field = (int)v;
	return 0;
}

#define O(f) offsetof(struct pl_dpdk_opts, f)
static const struct plt_opt pl_dpdk_table[] = {
	{ "iface", 0, PLT_OPT_FUNC, 0, "IF",
	  "a net_af_xdp port on interface IF (repeatable; builds the --vdev for you)",
	  .fn = pl_dpdk_opt_iface },
	{ "queues", 0, PLT_OPT_U32, O(queues), "N",
	  "queues per port, one worker lcore each, RSS spreads flows (default 1)",
	  .min = 1, .max = PL_DPDK_QUEUES_MAX },
	{ "hybrid", 0, PLT_OPT_FLAG, O(hybrid), NULL,
	  "net_af_xdp ports run our BPF object as xdp_prog: DROP/TX/REDIRECT/PASS\n"
	  "in the kernel, only USER frames reach DPDK (needs --iface)" },
	{ "bpf-obj", 0, PLT_OPT_STR, O(bpf_obj), "FILE",
	  "the BPF object for --hybrid (default: the build's, then the installed one)" },
	{ "policy", 0, PLT_OPT_STR, O(policy), "FILE",
	  "load this policy (docs/policy.md); default: the built-in configuration" },
	{ "pass-tap", 0, PLT_OPT_FUNC, 0, "NAME",
	  "exception path: a net_tap port NAME for the Nth port (repeatable, in port\n"
	  "order); PASS frames go to the host through it, its frames go out the port",
	  .fn = pl_dpdk_opt_pass_tap },
	{ "replay", 0, PLT_OPT_FLAG, O(replay), NULL,
	  "parity mode: one port (net_pcap), one lcore, every frame with the replay\n"
	  "clock; TX/REDIRECT frames are written to the port's tx_pcap" },
	{ "results-out", 0, PLT_OPT_STR, O(results_out), "FILE",
	  "--replay: write the plres file (pathlab-replay --against FILE)" },
	{ "pcap-name", 0, PLT_OPT_STR, O(pcap_name), "FILE", "--replay: the pcap named in the plres header" },
	{ "in-ifindex", 0, PLT_OPT_U32, O(in_ifindex), "N",
	  "--replay: receiving interface key the core sees (default 1, lo, as pathlab-replay)" },
	{ "stats-interval", 0, PLT_OPT_DOUBLE, O(interval), "SEC",
	  "print the stats line every SEC seconds (default 1, 0: never)", .max = 3600 },
	{ "duration", 0, PLT_OPT_DOUBLE, O(duration), "SEC",
	  "stop after SEC seconds (default: at SIGINT/SIGTERM)", .max = 10000000 },
	{ "xstats", 0, PLT_OPT_FLAG, O(xstats), NULL,
	  "also print every port's non-zero ethdev extended stats with each stats line" },
	{ "metrics", 0, PLT_OPT_FUNC, O(metrics), "ADDR:PORT", "serve Prometheus metrics on http://ADDR:PORT/metrics",
	  .fn = pl_dpdk_opt_metrics },
	{ "burst", 0, PLT_OPT_U32, O(burst), "N", "receive burst size (default 32, at most 64)", .min = 1, .max = 64 },
	{ "rx-desc", 0, PLT_OPT_U32, O(rx_desc), "N",
	  "receive descriptors per queue (default: the PMD's recommended ring size,\n"
	  "net_af_xdp 2048; else 1024)", .max = 32768 },
	{ "tx-desc", 0, PLT_OPT_U32, O(tx_desc), "N",
	  "transmit descriptors per queue (default: as --rx-desc)", .max = 32768 },
	{ "idle-yield", 0, PLT_OPT_U32, O(idle_yield), "N",
	  "after N passes in a row that received nothing, the worker yields its CPU\n"
	  "once (sched_yield: a kernel thread sharing the CPU, such as the veth receive\n"
	  "doing the AF_XDP copy, runs); default 64, 0: never", .max = 1000000 },
	{ "busy-budget", 0, PLT_OPT_FUNC, O(busy_budget), "N",
	  "net_af_xdp's busy_budget for the --iface ports: N > 0 busy-polls (the socket\n"
	  "gets SO_PREFER_BUSY_POLL and every empty poll calls recvfrom), 0 never does\n"
	  "(default: the PMD's, 64). On veth the sockets get no NAPI id, so the kernel\n"
	  "busy-polls nothing and each such recvfrom does nothing", .fn = pl_dpdk_opt_busy },
	{ "sample-out", 0, PLT_OPT_STR, O(sample_out), "FILE",
	  "write the frames the policy samples (`sample every N ...`) in the user-space\n"
	  "core, every worker's, to a pcap file (--hybrid: the XDP programs' samples are\n"
	  "read by `pathlab-xdp sample`)" },
	{ "verbose", 0, PLT_OPT_VERBOSE, O(verbose), NULL, "more messages" },
	{ "help", 0, PLT_OPT_HELP, 0, NULL, "this text" },
};

static void pl_dpdk_intro(FILE *f)
{
	fprintf(f, "The pathlab core on DPDK ports: every port the EAL gives (--vdev, PCI\n"
		   "devices bound to vfio-pci) plus one net_af_xdp port per --iface.\n");
}

static void pl_dpdk_outro(FILE *f)
{
	fprintf(f,
		"\nExamples:\n"
		"  pathlab-dpdk -l 0,1 --no-pci -- --iface eth1 --iface eth2 --policy examples/acl.policy\n"
		"  pathlab-dpdk -l 0 --no-huge --no-pci --vdev net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap \\\n"
		"      -- --replay --policy P --results-out r.plres\n"
		"Hugepages: dpdk_app/hugepages.sh reserve 512 (or the EAL option --no-huge).\n"
		"Telemetry: dpdk-telemetry.py, then /pathlab/stats or /pathlab/counters.\n"
		"More: docs/dpdk.md.\n");
}

static const struct plt_tool pl_dpdk_tool = {
	.name = "pathlab-dpdk",
	.usage = "[EAL options] -- [options]",
	.intro = pl_dpdk_intro,
	.opts = pl_dpdk_table,
	.nopts = PLT_ARRAY_SIZE(pl_dpdk_table),
	.outro = pl_dpdk_outro,
	.width = 26,
	.unknown_hint = "options after `--` are pathlab-dpdk's (-- --help lists them); EAL options\n"
			"(-l, --vdev, --no-huge, --file-prefix, ...) go before `--`",
};

/* The EAL's part (argv[1..eal_argc), before `--`): a pathlab-dpdk option
 * there would reach the EAL, which says only "unrecognized option". */
int pl_dpdk_check_eal_args(int eal_argc, char **argv)
{
	for (int i = 1; i < eal_argc; i++) {
		const struct plt_opt *o = plt_opts_find(&pl_dpdk_tool, argv[i]);

		if (o) {
			pr_warn("'%s' is a pathlab-dpdk option: put it after `--` (before it, the EAL's)\n"
				"usage: pathlab-dpdk %s\n", argv[i], pl_dpdk_tool.usage);
			return -EINVAL;
		}
	}
	return 0;
}

void pl_dpdk_usage(FILE *f)
{
	plt_usage(&pl_dpdk_tool, f);
}

/* Parse our options into *o. */
int pl_dpdk_parse(int argc, char **argv, struct pl_dpdk_opts *o)
{
	char **args;
	int nargs, err;

	*o = (struct pl_dpdk_opts){ .queues = 1, .interval = 1, .burst = 32, .in_ifindex = 1,
				   .idle_yield = PL_DPDK_IDLE_YIELD, .busy_budget = -1 };
	err = plt_opts_parse(&pl_dpdk_tool, argc, argv, 1, o, &nargs, &args);
	if (err)
		return err == PLT_OPTS_HELP ? 1 : -EINVAL;
	pl_dpdk_verbose = o->verbose;
	if (nargs) {
		pr_warn("unexpected argument '%s' (try -- --help)\n", args[0]);
		return -EINVAL;
	}
	if (o->hybrid && !o->niface) {
		pr_warn("--hybrid needs --iface (it is a net_af_xdp placement)\n");
		return -EINVAL;
	}
	if (o->results_out && !o->replay) {
		pr_warn("--results-out needs --replay\n");
		return -EINVAL;
	}
	if (o->replay && (o->niface || o->queues != 1 || o->hybrid)) {
		pr_warn("--replay runs one net_pcap port on one queue (no --iface, --queues, --hybrid)\n");
		return -EINVAL;
	}
	return 0;
}
