// SPDX-License-Identifier: MIT
/* pathlab-afxdp's options: one table drives getopt_long and --help, and
 * the sizes are checked before the kernel sees them. */
#include "afxdp.h"


/* The one option table: drives getopt_long and --help. */
struct afx_opt_def {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
};

enum {
	O_HELP = 'h', O_IFACE = 'i', O_QUEUES = 'q', O_CPUS = 'c', O_POLICY = 'p',
	O_VERBOSE = 'v', O_DURATION = 'd',
	O_ZC = 256, O_XDP_MODE, O_NO_WAKEUP, O_BUSY_POLL, O_BUSY_BUDGET, O_HUGE, O_FRAME,
	O_RX, O_TX, O_FILL, O_COMP, O_RING, O_BATCH, O_FRAMES, O_PLACEMENT, O_BPF_OBJ,
	O_REDIR_OBJ, O_TAP_PREFIX, O_NO_TAP, O_USER_TAP, O_METRICS, O_INTERVAL, O_CHECK,
	O_SPIN, O_QUIET, O_REPLAY, O_RESULTS, O_TX_BUDGET,
};

static const struct afx_opt_def afx_opt_table[] = {
	{ "iface", 1, O_IFACE, "IF", "interface to open (repeat for more ports; port N = N-th -i)" },
	{ "queues", 1, O_QUEUES, "LIST", "receive queues to open, e.g. 0,1 (default: all of each port)" },
	{ "cpus", 1, O_CPUS, "LIST", "CPU for each worker, in queue order, e.g. 1,0 (default: not pinned)" },
	{ "placement", 1, O_PLACEMENT, "user|hybrid", "where the core runs (default user)" },
	{ "policy", 1, O_POLICY, "FILE", "policy file (docs/policy.md); loaded into every copy of the core" },
	{ "zero-copy", 1, O_ZC, "auto|on|off", "AF_XDP zero-copy: auto tries it and falls back to copy (default auto)" },
	{ "xdp-mode", 1, O_XDP_MODE, "native|generic", "how the XDP program is attached (default native)" },
	{ "no-need-wakeup", 0, O_NO_WAKEUP, NULL, "do not use XDP_USE_NEED_WAKEUP (kick on every batch)" },
	{ "busy-poll", 1, O_BUSY_POLL, "USEC", "SO_PREFER_BUSY_POLL + SO_BUSY_POLL=USEC (0: off, default)" },
	{ "busy-poll-budget", 1, O_BUSY_BUDGET, "N", "SO_BUSY_POLL_BUDGET (default: the batch size)" },
	{ "hugepages", 0, O_HUGE, NULL, "put the UMEM on 2 MB hugepages (reserve them first)" },
	{ "frame-size", 1, O_FRAME, "BYTES", "UMEM frame size, 2048 or 4096 (default 4096)" },
	{ "ring-size", 1, O_RING, "N", "rx, tx, fill and completion ring size (default 2048)" },
	{ "rx-size", 1, O_RX, "N", "rx ring size (power of two)" },
	{ "tx-size", 1, O_TX, "N", "tx ring size (power of two)" },
	{ "fill-size", 1, O_FILL, "N", "fill ring size (power of two)" },
	{ "comp-size", 1, O_COMP, "N", "completion ring size (power of two)" },
	{ "batch", 1, O_BATCH, "N", "frames per rx/tx/fill batch (default 32, max 256)" },
	{ "tx-budget", 1, O_TX_BUDGET, "N", "copy mode: frames one sendto() kick may send (XDP_MAX_TX_SKB_BUDGET, "
	  "kernel 6.17+; 32..tx ring; default: the batch if above 32, else the kernel's 32)" },
	{ "frames", 1, O_FRAMES, "N", "UMEM frames per worker (default 4 x ring size x ports)" },
	{ "bpf-obj", 1, O_BPF_OBJ, "FILE", "the core's BPF object for --placement hybrid (default: the build's, then the installed one)" },
	{ "redirect-obj", 1, O_REDIR_OBJ, "FILE", "the redirect-all object for --placement user (default: the build's, then the installed one)" },
	{ "tap-prefix", 1, O_TAP_PREFIX, "NAME", "PASS goes to TAP NAME<port> (default pl-tap)" },
	{ "no-tap", 0, O_NO_TAP, NULL, "no TAP devices: PASS frames are counted and dropped" },
	{ "user-to-tap", 0, O_USER_TAP, NULL, "USER frames go to the TAP too (default: the port consumes them)" },
	{ "metrics", 1, O_METRICS, "ADDR:PORT", "serve Prometheus metrics on http://ADDR:PORT/metrics" },
	{ "duration", 1, O_DURATION, "SEC", "stop after SEC seconds (default: until SIGINT/SIGTERM)" },
	{ "interval", 1, O_INTERVAL, "SEC", "stats interval (default 1)" },
	{ "check-every", 1, O_CHECK, "N", "check frame accounting every N batches (default 1024 in debug builds, 0 otherwise)" },
	{ "spin", 0, O_SPIN, NULL, "never sleep in poll() when idle (100% CPU per worker)" },
	{ "quiet", 0, O_QUIET, NULL, "no per-second stats lines" },
	{ "replay", 1, O_REPLAY, "PCAP", "no sockets: feed PCAP through the worker's batch code and exit" },
	{ "results-out", 1, O_RESULTS, "FILE", "with --replay: write the plres results file here" },
	{ "verbose", 0, O_VERBOSE, NULL, "more messages (twice: libbpf/libxdp info too)" },
	{ "help", 0, O_HELP, NULL, "this text" },
};
#define AFX_NOPTS (sizeof(afx_opt_table) / sizeof(afx_opt_table[0]))

/* Print the usage text from the option table. */
static void afx_opt_usage(FILE *f)
{
	fprintf(f, "usage: pathlab-afxdp -i IF [-i IF2 ...] [options]\n"
		   "       pathlab-afxdp --replay PCAP --results-out FILE [--policy FILE]\n\n"
		   "The pathlab core behind AF_XDP sockets. Per-second stats on stdout.\n\n");
	for (size_t i = 0; i < AFX_NOPTS; i++) {
		const struct afx_opt_def *o = &afx_opt_table[i];
		char left[64];

		if (o->val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-34s %s\n", left, o->help);
	}
}

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

/* Parse an unsigned option value; exits with a message when bad. */
static uint32_t afx_opt_u32(const char *name, const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (end == s || *end || v > UINT32_MAX) {
		pr_warn("--%s: '%s' is not a number\n", name, s);
		exit(2);
	}
	return (uint32_t)v;
}

/* Index of arg in the NULL-terminated names; exits with a message naming
 * the choices when it is none of them. */
static int afx_opt_choice(const char *opt, const char *arg, const char *const *names)
{
	char all[128] = "";

	for (int i = 0; names[i]; i++) {
		if (!strcmp(arg, names[i]))
			return i;
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "", names[i]);
	}
	pr_warn("--%s: '%s' unknown (%s)\n", opt, arg, all);
	exit(2);
}

/* A comma-separated list option (--queues, --cpus); exits when bad. */
static unsigned afx_opt_list_arg(const char *opt, const char *what, const char *arg, int *out)
{
	int n = afx_opt_list(arg, out, PL_WORKERS_MAX);

	if (n < 0) {
		pr_warn("--%s: '%s' is not a list of %s numbers like 1,0\n", opt, arg, what);
		exit(2);
	}
	return (unsigned)n;
}

/* Fill o from argv. Returns 0, or exits with status 2 on a usage error. */
int afx_opt_parse(int argc, char **argv, struct afx_opts *o)
{
	struct option lo[AFX_NOPTS + 1];
	char shorts[64] = "";
	size_t ns = 0;
	int c;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < AFX_NOPTS; i++) {
		lo[i].name = afx_opt_table[i].name;
		lo[i].has_arg = afx_opt_table[i].has_arg;
		lo[i].val = afx_opt_table[i].val;
		if (afx_opt_table[i].val < 256) {
			shorts[ns++] = (char)afx_opt_table[i].val;
			if (afx_opt_table[i].has_arg)
				shorts[ns++] = ':';
		}
	}
	*o = (struct afx_opts){
		.copy = AFX_ZC_AUTO, .need_wakeup = true, .frame_size = AFX_DEF_FRAME,
		.rx_size = AFX_DEF_RING, .tx_size = AFX_DEF_RING, .fill_size = AFX_DEF_RING,
		.comp_size = AFX_DEF_RING, .batch = AFX_DEF_BATCH, .tap_prefix = "pl-tap", .interval = 1.0,
#ifndef NDEBUG
		.check_every = AFX_DEBUG_CHECK_EVERY,
#endif
	};
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		switch (c) {
		case O_IFACE:
			if (o->nports >= PL_PORTS_MAX) {
				pr_warn("at most %d ports\n", PL_PORTS_MAX);
				exit(2);
			}
			o->ifname[o->nports++] = optarg;
			break;
		case O_QUEUES:
			o->nqueues = afx_opt_list_arg("queues", "queue", optarg, o->queue);
			break;
		case O_CPUS:
			o->ncpus = afx_opt_list_arg("cpus", "CPU", optarg, o->cpu);
			break;
		case O_PLACEMENT:
			o->placement = (enum afx_placement)afx_opt_choice("placement", optarg,
				(const char *const[]){ "user", "hybrid", NULL });
			break;
		case O_POLICY: o->policy = optarg; break;
		case O_ZC:
			o->copy = (enum afx_copy_mode)afx_opt_choice("zero-copy", optarg,
				(const char *const[]){ "auto", "on", "off", NULL });
			break;
		case O_XDP_MODE:
			o->generic = afx_opt_choice("xdp-mode", optarg,
				(const char *const[]){ "native", "generic", NULL }) == 1;
			break;
		case O_NO_WAKEUP: o->need_wakeup = false; break;
		case O_BUSY_POLL: o->busy_poll_us = (int)afx_opt_u32("busy-poll", optarg); break;
		case O_BUSY_BUDGET: o->busy_budget = (int)afx_opt_u32("busy-poll-budget", optarg); break;
		case O_HUGE: o->hugepages = true; break;
		case O_FRAME: o->frame_size = afx_opt_u32("frame-size", optarg); break;
		case O_RING:
			o->rx_size = o->tx_size = o->fill_size = o->comp_size =
				afx_opt_u32("ring-size", optarg);
			break;
		case O_RX: o->rx_size = afx_opt_u32("rx-size", optarg); break;
		case O_TX: o->tx_size = afx_opt_u32("tx-size", optarg); break;
		case O_FILL: o->fill_size = afx_opt_u32("fill-size", optarg); break;
		case O_COMP: o->comp_size = afx_opt_u32("comp-size", optarg); break;
		case O_BATCH: o->batch = afx_opt_u32("batch", optarg); break;
		case O_TX_BUDGET: o->tx_budget = afx_opt_u32("tx-budget", optarg); break;
		case O_FRAMES: o->frames = afx_opt_u32("frames", optarg); break;
		case O_BPF_OBJ: o->bpf_obj = optarg; break;
		case O_REDIR_OBJ: o->redirect_obj = optarg; break;
		case O_TAP_PREFIX: o->tap_prefix = optarg; break;
		case O_NO_TAP: o->no_tap = true; break;
		case O_USER_TAP: o->user_to_tap = true; break;
		case O_METRICS: o->metrics = optarg; break;
		case O_DURATION: o->duration = atof(optarg); break;
		case O_INTERVAL:
			o->interval = atof(optarg);
			if (o->interval <= 0) {
				pr_warn("--interval must be > 0\n");
				exit(2);
			}
			break;
		case O_CHECK: o->check_every = afx_opt_u32("check-every", optarg); break;
		case O_SPIN: o->spin = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_REPLAY: o->replay = optarg; break;
		case O_RESULTS: o->results_out = optarg; break;
		case O_VERBOSE:
			afx_verbose++;
			if (plt_log_get_level() < PLT_LOG_TRACE)
				plt_log_set_level(plt_log_get_level() + 1);
			break;
		case O_HELP: afx_opt_usage(stdout); exit(0);
		default: afx_opt_usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s' (interfaces go with -i)\n", argv[optind]);
		exit(2);
	}
	return 0;
}

/* Check sizes the kernel would refuse later with a less helpful EINVAL. */
int afx_opt_check(const struct afx_opts *o)
{
	const struct { const char *name; uint32_t v; } r[] = {
		{ "rx-size", o->rx_size }, { "tx-size", o->tx_size },
		{ "fill-size", o->fill_size }, { "comp-size", o->comp_size },
	};

	for (size_t i = 0; i < 4; i++) {
		if (!r[i].v || (r[i].v & (r[i].v - 1)) || r[i].v > 65536) {
			pr_warn("--%s %u: ring sizes must be a power of two between 1 and 65536 (try 2048)\n",
				r[i].name, r[i].v);
			return -EINVAL;
		}
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
