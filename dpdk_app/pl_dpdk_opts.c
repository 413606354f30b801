/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk's options: one table drives getopt_long and the usage text. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pl_ctl.h"
#include "pl_opts.h"
#include "pl_dpdk.h"

int pl_dpdk_verbose;

enum {
	O_IFACE = 256, O_PASS_TAP, O_QUEUES, O_HYBRID, O_BPF_OBJ, O_POLICY, O_REPLAY,
	O_RESULTS_OUT, O_PCAP_NAME, O_IN_IFINDEX, O_INTERVAL, O_DURATION, O_XSTATS,
	O_METRICS, O_BURST, O_VERBOSE, O_HELP,
};

struct pl_dpdk_opt {
	const char *name;
	int has_arg;
	int id;
	const char *arg;
	const char *help;
};

static const struct pl_dpdk_opt pl_dpdk_table[] = {
	{ "iface", required_argument, O_IFACE, "IF",
	  "a net_af_xdp port on interface IF (repeatable; builds the --vdev for you)" },
	{ "queues", required_argument, O_QUEUES, "N",
	  "queues per port, one worker lcore each, RSS spreads flows (default 1)" },
	{ "hybrid", no_argument, O_HYBRID, NULL,
	  "net_af_xdp ports run our BPF object as xdp_prog: DROP/TX/REDIRECT/PASS\n"
	  "in the kernel, only USER frames reach DPDK (needs --iface)" },
	{ "bpf-obj", required_argument, O_BPF_OBJ, "FILE",
	  "the BPF object for --hybrid (default: the build's, then the installed one)" },
	{ "policy", required_argument, O_POLICY, "FILE",
	  "load this policy (docs/policy.md); default: the built-in configuration" },
	{ "pass-tap", required_argument, O_PASS_TAP, "NAME",
	  "exception path: a net_tap port NAME for the Nth port (repeatable, in port\n"
	  "order); PASS frames go to the host through it, its frames go out the port" },
	{ "replay", no_argument, O_REPLAY, NULL,
	  "parity mode: one port (net_pcap), one lcore, every frame with the replay\n"
	  "clock; TX/REDIRECT frames are written to the port's tx_pcap" },
	{ "results-out", required_argument, O_RESULTS_OUT, "FILE",
	  "--replay: write the plres file (pathlab-replay --against FILE)" },
	{ "pcap-name", required_argument, O_PCAP_NAME, "FILE",
	  "--replay: the pcap named in the plres header" },
	{ "in-ifindex", required_argument, O_IN_IFINDEX, "N",
	  "--replay: receiving interface key the core sees (default 1, lo, as pathlab-replay)" },
	{ "stats-interval", required_argument, O_INTERVAL, "SEC",
	  "print the stats line every SEC seconds (default 1, 0: never)" },
	{ "duration", required_argument, O_DURATION, "SEC",
	  "stop after SEC seconds (default: at SIGINT/SIGTERM)" },
	{ "xstats", no_argument, O_XSTATS, NULL,
	  "also print every port's non-zero ethdev extended stats with each stats line" },
	{ "metrics", required_argument, O_METRICS, "ADDR:PORT",
	  "serve Prometheus metrics on http://ADDR:PORT/metrics" },
	{ "burst", required_argument, O_BURST, "N", "receive burst size (default 32, at most 64)" },
	{ "verbose", no_argument, O_VERBOSE, NULL, "more messages" },
	{ "help", no_argument, O_HELP, NULL, "this text" },
};
#define PL_DPDK_NOPTS (sizeof(pl_dpdk_table) / sizeof(pl_dpdk_table[0]))

/* Print the usage text from the table. */
void pl_dpdk_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- [options]\n"
		"The pathlab core on DPDK ports: every port the EAL gives (--vdev, PCI\n"
		"devices bound to vfio-pci) plus one net_af_xdp port per --iface.\n\n"
		"Options:\n", prog);
	for (size_t i = 0; i < PL_DPDK_NOPTS; i++) {
		const struct pl_dpdk_opt *d = &pl_dpdk_table[i];
		const char *h = d->help;
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", d->name, d->arg ? " " : "",
			 d->arg ? d->arg : "");
		pl_opts_print_entry(f, left, 26, h);
	}
	fprintf(f,
		"\nExamples:\n"
		"  %s -l 0,1 --no-pci -- --iface eth1 --iface eth2 --policy examples/acl.policy\n"
		"  %s -l 0 --no-huge --no-pci --vdev net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap \\\n"
		"      -- --replay --policy P --results-out r.plres\n"
		"Hugepages: dpdk_app/hugepages.sh reserve 512 (or the EAL option --no-huge).\n"
		"Telemetry: dpdk-telemetry.py, then /pathlab/stats or /pathlab/counters.\n"
		"More: docs/dpdk.md.\n", prog, prog);
}

/* A number in [lo, hi]; false if s is not one. */
static bool pl_dpdk_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Parse our options into *o. */
int pl_dpdk_parse(int argc, char **argv, struct pl_dpdk_opts *o)
{
	struct option lo[PL_DPDK_NOPTS + 1];
	double v;
	int c;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < PL_DPDK_NOPTS; i++)
		lo[i] = (struct option){ pl_dpdk_table[i].name, pl_dpdk_table[i].has_arg, NULL,
					 pl_dpdk_table[i].id };
	*o = (struct pl_dpdk_opts){ .queues = 1, .interval = 1, .burst = 32, .in_ifindex = 1 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_IFACE:
			if (o->niface == PL_DPDK_IFACES_MAX) {
				pr_warn("--iface: at most %d interfaces\n", PL_DPDK_IFACES_MAX);
				return -EINVAL;
			}
			o->iface[o->niface++] = optarg;
			break;
		case O_PASS_TAP:
			if (o->npass_tap == PL_DPDK_IFACES_MAX) {
				pr_warn("--pass-tap: at most %d\n", PL_DPDK_IFACES_MAX);
				return -EINVAL;
			}
			o->pass_tap[o->npass_tap++] = optarg;
			break;
		case O_QUEUES:
			if (!pl_dpdk_num(optarg, 1, PL_DPDK_QUEUES_MAX, &v) || v != (unsigned)v) {
				pr_warn("--queues '%s': a count from 1 to %d\n", optarg, PL_DPDK_QUEUES_MAX);
				return -EINVAL;
			}
			o->queues = (unsigned)v;
			break;
		case O_HYBRID: o->hybrid = true; break;
		case O_BPF_OBJ: o->bpf_obj = optarg; break;
		case O_POLICY: o->policy = optarg; break;
		case O_REPLAY: o->replay = true; break;
		case O_RESULTS_OUT: o->results_out = optarg; break;
		case O_PCAP_NAME: o->pcap_name = optarg; break;
		case O_IN_IFINDEX:
			if (!pl_dpdk_num(optarg, 0, UINT32_MAX, &v) || v != (uint32_t)v) {
				pr_warn("--in-ifindex '%s': an interface index\n", optarg);
				return -EINVAL;
			}
			o->in_ifindex = (uint32_t)v;
			break;
		case O_INTERVAL:
			if (!pl_dpdk_num(optarg, 0, 3600, &v)) {
				pr_warn("--stats-interval '%s': seconds from 0 to 3600\n", optarg);
				return -EINVAL;
			}
			o->interval = v;
			break;
		case O_DURATION:
			if (!pl_dpdk_num(optarg, 0, 1e7, &v)) {
				pr_warn("--duration '%s': seconds (0: until a signal)\n", optarg);
				return -EINVAL;
			}
			o->duration = v;
			break;
		case O_XSTATS: o->xstats = true; break;
		case O_METRICS: {
			struct pl_err err;

			if (pl_metrics_check_addr(optarg, &err)) {
				pr_warn("--metrics: %s\n", err.msg);
				return -EINVAL;
			}
			o->metrics = optarg;
			break;
		}
		case O_BURST:
			if (!pl_dpdk_num(optarg, 1, 64, &v) || v != (unsigned)v) {
				pr_warn("--burst '%s': a count from 1 to 64\n", optarg);
				return -EINVAL;
			}
			o->burst = (unsigned)v;
			break;
		case O_VERBOSE:
			pl_dpdk_verbose++;
			if (plt_log_get_level() < PLT_LOG_TRACE)
				plt_log_set_level(plt_log_get_level() + 1);
			break;
		case O_HELP:
			pl_dpdk_usage(stdout, "pathlab-dpdk");
			return 1;
		default:
			pr_warn("unknown or incomplete option '%s' (application options come after `--`; try -- --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s' (try -- --help)\n", argv[optind]);
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
