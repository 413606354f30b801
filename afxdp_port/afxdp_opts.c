// SPDX-License-Identifier: MIT
/* pathlab-afxdp's options: one plt_opts table drives the parsing and
 * --help, and the sizes are checked before the kernel sees them. */
#include "afxdp.h"
#include "plt_opts.h"

/* Parse "1,2,5" into out[]; returns the count or -EINVAL. */
static int afx_opt_list(const char *s, int *out, unsigned max)
{
	unsigned n = 0;
	char *end;

	while (*s) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 0 || v > INT_MAX || n >= max)
			return -EINVAL;
		out[n++] = (int)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return n ? (int)n : -EINVAL;
}

/* -i IF: one more port (field: the whole struct afx_opts). */
static int afx_opt_iface(void *field, const char *arg)
{
	struct afx_opts *o = field;

	if (o->nports >= PL_PORTS_MAX) {
		pr_warn("at most %d ports\n", PL_PORTS_MAX);
		return -EINVAL;
	}
	o->ifname[o->nports++] = arg;
	return 0;
}

/* --queues LIST (field: the whole struct afx_opts). */
static int afx_opt_queues(void *field, const char *arg)
{
	struct afx_opts *o = field;
	int n = afx_opt_list(arg, o->queue, PL_WORKERS_MAX);

	if (n < 0) {
		pr_warn("--queues: '%s' is not a list of queue numbers like 1,0\n", arg);
		return -EINVAL;
	}
	o->nqueues = (unsigned)n;
	return 0;
}

/* --cpus LIST (field: the whole struct afx_opts). */
static int afx_opt_cpus(void *field, const char *arg)
{
	struct afx_opts *o = field;
	int n = afx_opt_list(arg, o->cpu, PL_WORKERS_MAX);

	if (n < 0) {
		pr_warn("--cpus: '%s' is not a list of CPU numbers like 1,0\n", arg);
		return -EINVAL;
	}
	o->ncpus = (unsigned)n;
	return 0;
}

/* --ring-size N: all four rings (field: the whole struct afx_opts). */
static int afx_opt_ring(void *field, const char *arg)
{
	struct afx_opts *o = field;
	unsigned long v;

	if (plt_parse_ulong(arg, UINT32_MAX, &v)) {
		pr_warn("--ring-size '%s': a number from 0 to %u\n", arg, UINT32_MAX);
		return -EINVAL;
	}
	o->rx_size = o->tx_size = o->fill_size = o->comp_size = (uint32_t)v;
	return 0;
}

static const char *const afx_placements[] = { "user", "hybrid", NULL };
static const char *const afx_copy_modes[] = { "auto", "on", "off", NULL };

#define O(f) offsetof(struct afx_opts, f)
static const struct plt_opt afx_opt_table[] = {
	{ "iface", 'i', PLT_OPT_FUNC, 0, "IF", "interface to open (repeat for more ports; port N = N-th -i)",
	  .fn = afx_opt_iface },
	{ "queues", 'q', PLT_OPT_FUNC, 0, "LIST", "receive queues to open, e.g. 0,1 (default: all of each port)",
	  .fn = afx_opt_queues },
	{ "cpus", 'c', PLT_OPT_FUNC, 0, "LIST", "CPU for each worker, in queue order, e.g. 1,0 (default: not pinned)",
	  .fn = afx_opt_cpus },
	{ "placement", 0, PLT_OPT_ENUM, O(placement), "user|hybrid", "where the core runs (default user)",
	  .names = afx_placements },
	{ "policy", 'p', PLT_OPT_STR, O(policy), "FILE", "policy file (docs/policy.md); loaded into every copy of the core" },
	{ "zero-copy", 0, PLT_OPT_ENUM, O(copy), "auto|on|off",
	  "AF_XDP zero-copy: auto tries it and falls back to copy (default auto)", .names = afx_copy_modes },
	PLT_XDP_MODE_OPTS("xdp-mode", 0, O(xdp_mode), "how the XDP program is attached: auto (the default: native,\n"
		"else generic with a warning), native (drv) or generic (skb); not offload (hw): the XSKMAP stays on the host"),
	{ "no-need-wakeup", 0, PLT_OPT_FLAG, O(no_need_wakeup), NULL, "do not use XDP_USE_NEED_WAKEUP (kick on every batch)" },
	{ "busy-poll", 0, PLT_OPT_U32, O(busy_poll_us), "USEC", "SO_PREFER_BUSY_POLL + SO_BUSY_POLL=USEC (0: off, default); an empty poll calls recvfrom once the socket has a NAPI id (none on veth: then never)" },
	{ "busy-poll-budget", 0, PLT_OPT_U32, O(busy_budget), "N", "SO_BUSY_POLL_BUDGET (default: the batch size)" },
	{ "hugepages", 0, PLT_OPT_FLAG, O(hugepages), NULL, "put the UMEM on 2 MB hugepages (reserve them first)" },
	{ "frame-size", 0, PLT_OPT_U32, O(frame_size), "BYTES", "UMEM frame size, 2048 or 4096 (default 4096)" },
	{ "ring-size", 0, PLT_OPT_FUNC, 0, "N", "rx, tx, fill and completion ring size (default 2048)", .fn = afx_opt_ring },
	{ "rx-size", 0, PLT_OPT_U32, O(rx_size), "N", "rx ring size (power of two)" },
	{ "tx-size", 0, PLT_OPT_U32, O(tx_size), "N", "tx ring size (power of two)" },
	{ "fill-size", 0, PLT_OPT_U32, O(fill_size), "N", "fill ring size (power of two)" },
	{ "comp-size", 0, PLT_OPT_U32, O(comp_size), "N", "completion ring size (power of two)" },
	{ "batch", 0, PLT_OPT_U32, O(batch), "N", "frames per rx/tx/fill batch (default 32, max 256)" },
	{ "tx-budget", 0, PLT_OPT_U32, O(tx_budget), "N", "copy mode: frames one sendto() kick may send (XDP_MAX_TX_SKB_BUDGET, "
	  "kernel 6.17+; 32..tx ring; default: the batch if above 32, else the kernel's 32)" },
	{ "no-sg", 0, PLT_OPT_FLAG, O(no_sg), NULL,
	  "bind without XDP_USE_SG: no multi-buffer frames (longer ones are dropped by the kernel)" },
	{ "no-xdp-meta", 0, PLT_OPT_FLAG, O(no_xdp_meta), NULL,
	  "hybrid: USER frames reach the worker without the XDP program's decision (metadata), "
	  "so it runs the whole pipeline on them again (meta_missing)" },
	{ "frames", 0, PLT_OPT_U32, O(frames), "N", "UMEM frames per worker (default 4 x ring size x ports)" },
	{ "bpf-obj", 0, PLT_OPT_STR, O(bpf_obj), "FILE",
	  "the core's BPF object for --placement hybrid (default: the build's, then the installed one)" },
	{ "redirect-obj", 0, PLT_OPT_STR, O(redirect_obj), "FILE",
	  "the redirect-all object for --placement user (default: the build's, then the installed one)" },
	{ "tap-prefix", 0, PLT_OPT_STR, O(tap_prefix), "NAME", "PASS goes to TAP NAME<port> (default pl-tap)" },
	{ "no-tap", 0, PLT_OPT_FLAG, O(no_tap), NULL, "no TAP devices: PASS frames are counted and dropped" },
	{ "user-to-tap", 0, PLT_OPT_FLAG, O(user_to_tap), NULL, "USER frames go to the TAP too (default: the port consumes them)" },
	{ "metrics", 0, PLT_OPT_STR, O(metrics), "ADDR:PORT", "serve Prometheus metrics on http://ADDR:PORT/metrics" },
	{ "ctl-name", 0, PLT_OPT_STR, O(ctl_name), "NAME",
	  "control socket name: pathlab-policy --target afxdp:NAME (default: the first -i interface)" },
	{ "duration", 'd', PLT_OPT_DOUBLE, O(duration), "SEC", "stop after SEC seconds (default: until SIGINT/SIGTERM)" },
	{ "interval", 0, PLT_OPT_SECONDS, O(interval), "SEC", "stats interval (default 1)" },
	{ "check-every", 0, PLT_OPT_U32, O(check_every), "N",
	  "check frame accounting every N batches (default 1024 in debug builds, 0 otherwise)" },
	{ "spin", 0, PLT_OPT_FLAG, O(spin), NULL, "never sleep in poll() when idle (100% CPU per worker)" },
	{ "idle-yield", 0, PLT_OPT_U32, O(idle_yield), "N",
	  "when idle, sched_yield() every N empty passes (a kernel thread sharing the CPU, such as\n"
	  "the veth receive copying into the rx ring, runs at once; default 0: never)", .max = 1000000 },
	{ "sample-out", 0, PLT_OPT_STR, O(sample_out), "FILE",
	  "write the frames the policy samples (`sample every N ...`) in the user-space core to a\n"
	  "pcap file (hybrid: the XDP program's are read by `pathlab-xdp sample`)" },
	{ "quiet", 0, PLT_OPT_FLAG, O(quiet), NULL, "no per-second stats lines" },
	{ "replay", 0, PLT_OPT_STR, O(replay), "PCAP", "no sockets: feed PCAP through the worker's batch code and exit" },
	{ "results-out", 0, PLT_OPT_STR, O(results_out), "FILE", "with --replay: write the plres results file here" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages (twice: libbpf/libxdp info too)" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void afx_opt_intro(FILE *f)
{
	fprintf(f, "\nThe pathlab core behind AF_XDP sockets. Per-second stats on stdout.\n");
}

static const struct plt_tool afx_tool = {
	.name = "pathlab-afxdp",
	.usage = "-i IF [-i IF2 ...] [options]\n"
		 "       pathlab-afxdp --replay PCAP --results-out FILE [--policy FILE]",
	.intro = afx_opt_intro,
	.opts = afx_opt_table,
	.nopts = PLT_ARRAY_SIZE(afx_opt_table),
	.width = 34,
	.max_args = -1, /* operands are refused below, with a hint */
};

int afx_opt_parse(int argc, char **argv, struct afx_opts *o)
{
	char **args;
	int nargs, rc;

	*o = (struct afx_opts){
		.copy = AFX_ZC_AUTO, .frame_size = AFX_DEF_FRAME,
		.rx_size = AFX_DEF_RING, .tx_size = AFX_DEF_RING, .fill_size = AFX_DEF_RING,
		.comp_size = AFX_DEF_RING, .batch = AFX_DEF_BATCH, .tap_prefix = "pl-tap", .interval = 1.0,
		.xdp_mode = PLT_XDP_AUTO, .idle_yield = AFX_DEF_IDLE_YIELD,
#ifndef NDEBUG
		.check_every = AFX_DEBUG_CHECK_EVERY,
#endif
	};
	rc = plt_opts_main(&afx_tool, argc, argv, o, &nargs, &args);
	if (rc >= 0)
		return rc;
	if (nargs) {
		pr_warn("unexpected argument '%s' (interfaces go with -i)\n", args[0]);
		return 2;
	}
	if (o->xdp_mode == PLT_XDP_OFFLOAD) {
		pr_warn("--xdp-mode offload: %s; use auto, native (-N) or generic (-S)\n",
			"refused: the program redirects to AF_XDP sockets through an XSKMAP, "
			"which lives on the host, not on a NIC");
		fprintf(stderr, "Try 'pathlab-afxdp --help'.\n");
		return 2;
	}
	o->generic = o->xdp_mode == PLT_XDP_GENERIC;
	o->need_wakeup = !o->no_need_wakeup;
	afx_verbose = o->verbose;
	return -1;
}

/* Check sizes the kernel would refuse later with a less helpful EINVAL. */
int afx_opt_check(const struct afx_opts *o)
{
	const struct { const char *name; uint32_t v; } r[] = {
		{ "rx-size", o->rx_size }, { "tx-size", o->tx_size },
		{ "fill-size", o->fill_size }, { "comp-size", o->comp_size },
	};

	if (o->ctl_name && !plt_ctl_name_ok(o->ctl_name)) {
		pr_warn("--ctl-name '%s': use 1-%d letters, digits, '.', '_' or '-' (not starting with '.')\n",
			o->ctl_name, PLT_CTL_NAME_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < 4; i++) {
		if (!r[i].v || (r[i].v & (r[i].v - 1)) || r[i].v > 65536) {
			pr_warn("--%s %u: ring sizes must be a power of two between 1 and 65536 (try 2048)\n",
				r[i].name, r[i].v);
			return -EINVAL;
		}
	}
	if (o->no_xdp_meta && o->placement != AFX_PLACE_HYBRID) {
		pr_warn("--no-xdp-meta: only the hybrid placement has an XDP program that decides (add "
			"--placement hybrid)\n");
		return -EINVAL;
	}
	if (o->frame_size != 2048 && o->frame_size != 4096) {
		pr_warn("--frame-size %u: aligned UMEM chunks are 2048 or 4096 bytes (try 4096)\n",
			o->frame_size);
		return -EINVAL;
	}
	if (o->tx_budget && (o->tx_budget < 32 || o->tx_budget > o->tx_size)) {
		pr_warn("--tx-budget %u: the kernel takes 32 up to the tx ring size (%u)\n", o->tx_budget,
			o->tx_size);
		return -EINVAL;
	}
	if (!o->batch || o->batch > AFX_BATCH_MAX || o->batch > o->fill_size || o->batch > o->tx_size) {
		pr_warn("--batch %u: must be 1..%u and not above the fill and tx ring sizes\n", o->batch,
			AFX_BATCH_MAX);
		return -EINVAL;
	}
	return 0;
}
