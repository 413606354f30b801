// SPDX-License-Identifier: MIT
/* pathlab-xdp: load the pathlab core (pathlab.bpf.o) as an XDP program,
 * attach it, load a policy, flip the mode switch and show live statistics.
 * The commands and options are the tables below (they drive parsing and
 * --help); the commands live in px_cmds.c and px_status.c, loading and
 * attaching in px_load.c, the Open vSwitch pre-filter in ovs/.
 *
 * Why libbpf and not libxdp: libxdp 1.3.1 (Debian 12) attaches through its
 * multi-program dispatcher, which on kernels 6.14+ cannot chain a program
 * that calls bpf_xdp_adjust_head/tail (fixed in libxdp 1.5.5), and its
 * tracepoint-based helpers fail on 6.16+. We attach with a bpf_link
 * (plt_xdp.h): a link belongs to the file descriptors that reference it,
 * so for `run` (link not pinned) the kernel detaches the program when the
 * process exits, even on SIGKILL; `attach` pins the link in bpffs, which
 * keeps it after exit. libxdp stays the tool for AF_XDP sockets. */
#include <stddef.h>
#include <stdio.h>
#include "plt_log.h"
#include "plt_opts.h"
#include "px.h"

#define O(f) offsetof(struct px_opts, f)
static const struct plt_opt px_opt_table[] = {
	PLT_XDP_MODE_OPTS("mode", 'm', O(mode),
		"attach mode: auto (native, else generic; the default), native (drv),\n"
		"generic (skb) or offload (hw: refused, the core's devmap and XSKMAP\n"
		"stay on the host)"),
	{ "policy", 'p', PLT_OPT_STR, O(policy), "FILE",
	  "policy to load at attach (run, attach, attach-ovs); docs/policy.md" },
	{ "interval", 'i', PLT_OPT_SECONDS, O(interval), "SEC",
	  "stats interval in seconds (run, stats; default 1)" },
	{ "duration", 'd', PLT_OPT_SECONDS, O(duration), "SEC",
	  "stop after SEC seconds (run, stats, sample; default: until SIGINT/SIGTERM)" },
	{ "obj", 'o', PLT_OPT_STR, O(obj), "PATH",
	  "BPF object (default: the build tree's, then the installed lib/pathlab/pathlab.bpf.o)" },
	{ "metrics", 'M', PLT_OPT_STR, O(metrics), "ADDR:PORT",
	  "serve Prometheus metrics at http://ADDR:PORT/metrics (run, stats)" },
	{ "extended", 'e', PLT_OPT_FLAG, O(extended), NULL,
	  "run, stats: after each line, every non-zero counter (per stage and protocol: acl_drop, proto_udp...)" },
	{ "spread", 's', PLT_OPT_STR, O(spread), "CPULIST",
	  "run, attach: hash each flow to one CPU of CPULIST (e.g. 0,1 or 0-3) and run the\n"
	  "stages there (a cpumap redirect; for single-queue NICs and veth; docs/xdp.md)" },
	{ "spread-queue", 0, PLT_OPT_UINT, O(spread_queue), "N",
	  "--spread: frames queued per target CPU (default 2048)", .min = 1, .max = 16384 },
	{ "out", 'w', PLT_OPT_STR, O(out), "FILE", "sample: the pcap file to write" },
	{ "count", 'c', PLT_OPT_UINT, O(count), "N", "sample: stop after N frames", .min = 1 },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL,
	  "debug messages, libbpf's too (twice: libbpf's debug output); implies --extended;\n"
	  "status: zero counters too" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static const struct plt_cmd px_cmd_table[] = {
	{ "run", "IFACE [IFACE...]",
	  "attach, print live stats until SIGINT/SIGTERM or --duration,\n"
	  "detach on exit (the kernel detaches too if it dies)", 1, -1, px_cmd_run },
	{ "attach", "IFACE [IFACE...]", "attach and pin under " PLT_PIN_ROOT "/IFACE (stays after exit)", 1, -1,
	  px_cmd_attach },
	{ "detach", "IFACE",
	  "detach what `attach` left (or any netlink-attached program);\n"
	  "after attach-ovs: put Open vSwitch's own program back", 1, 1, px_cmd_detach },
	{ "status", "[IFACE]", "attached program, mode, configuration and counters", 0, 1, px_cmd_status },
	{ "mode", "IFACE MODE", "flip the mode switch: pass-all, drop-all, count-only, policy", 2, 2,
	  px_cmd_mode },
	{ "policy", "IFACE FILE", "load a policy into the attached program (no reload)", 2, 2, px_cmd_policy },
	{ "stats", "IFACE", "live stats of the attached program", 1, 1, px_cmd_stats },
	{ "attach-ovs", "IFACE",
	  "put the core in front of an Open vSwitch type=afxdp port: load it\n"
	  "sharing OVS's XSKMAP (PASS and USER go to OVS's sockets) and take\n"
	  "the XDP hook with a bpf_link OVS cannot detach, where libxdp binds\n"
	  "OVS's sockets when it reconfigures the port (pinned under\n"
	  PLT_PIN_ROOT "/ovs-IFACE; ovs/README.md)", 1, 1, px_cmd_attach_ovs },
	{ "sample", "IFACE",
	  "write the frames the policy samples (`sample every N ...`) to a pcap\n"
	  "file (--out) until --count, --duration or SIGINT/SIGTERM", 1, 1, px_cmd_sample },
};

static void px_outro(FILE *f)
{
	fprintf(f, "\nInterfaces given to run/attach are REDIRECT ports 0, 1, ... in that order.\n");
}

static const struct plt_tool px_tool = {
	.name = "pathlab-xdp",
	.usage = "COMMAND [options] ARGS",
	.opts = px_opt_table,
	.nopts = PLT_ARRAY_SIZE(px_opt_table),
	.cmds = px_cmd_table,
	.ncmds = PLT_ARRAY_SIZE(px_cmd_table),
	.outro = px_outro,
	.width = 24,
};

int main(int argc, char **argv)
{
	static struct px_opts o = { .mode = PLT_XDP_AUTO, .interval = 1.0, .spread_queue = 2048 };

	return plt_cmd_main(&px_tool, argc, argv, &o);
}
