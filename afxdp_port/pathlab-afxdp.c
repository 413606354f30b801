// SPDX-License-Identifier: MIT
/* pathlab-afxdp: the pathlab core behind AF_XDP sockets.
 *
 * One UMEM per worker; a worker owns receive queue q of every port (one
 * AF_XDP socket per port and queue, created with xsk_socket__create_shared
 * so all of a worker's sockets share its UMEM). REDIRECT between ports is
 * therefore a descriptor move, never a copy, and never crosses threads.
 * The XDP program is ours, loaded and attached with libbpf; libxdp is used
 * only for the xsk API (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD). See
 * docs/afxdp.md. */
#include "pl_user.h" /* core headers first (pl_platform.h before linux/) */
#include "pl_ctl.h"
#include "pl_ctl_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H 1
#include <pcap/pcap.h>

#include "pl_frame_pool.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9 /* uapi if_xdp.h, kernel 6.17+ */
#endif
#ifndef PL_BPF_OBJ
#define PL_BPF_OBJ "build/xdp/pathlab.bpf.o"
#endif
#ifndef PL_REDIRECT_OBJ
#define PL_REDIRECT_OBJ "build/afxdp_port/redirect_all.bpf.o"
#endif

/* Defaults, and why (docs/afxdp.md repeats this):
 * - frame 4096: one page per frame, the only size every zero-copy driver
 *   takes, and room for a 1500-byte MTU frame plus XDP headroom.
 * - rings 2048: Open vSwitch's choice; deep enough to absorb one scheduling
 *   gap of a worker at ~1 Mpps without rx_ring_full drops, small enough that
 *   the rings stay in L2. Rings must be powers of two (the kernel indexes
 *   them with a mask).
 * - batch 32: the burst OVS and DPDK use; large enough to amortise the ring
 *   barriers and syscalls, small enough to keep latency and cache footprint
 *   low (veth NAPI delivers at most 64 per poll).
 * - frames per worker: 4 x ring size per port (fill + rx + tx + completion
 *   can all be full at once). */
#define PL_DEF_FRAME 4096u
#define PL_DEF_RING 2048u
#define PL_DEF_BATCH 32u
#define PL_BATCH_MAX 256u
#define PL_TX_KICK_RETRIES 8
#define PL_IDLE_SPINS 2000u
#define PL_DEBUG_CHECK_EVERY 1024u
#if (PL_DEF_RING & (PL_DEF_RING - 1)) || (PL_DEF_BATCH > PL_BATCH_MAX)
#error "default ring size must be a power of two and the batch within PL_BATCH_MAX"
#endif

/* ---- Logging ------------------------------------------------------------ */
static int pl_verbose;
#define pr_warn(...) fprintf(stderr, "pathlab-afxdp: " __VA_ARGS__)
#define pr_info(...) fprintf(stderr, "pathlab-afxdp: " __VA_ARGS__)
#define pr_debug(...) do { if (pl_verbose) fprintf(stderr, "pathlab-afxdp: " __VA_ARGS__); } while (0)

/* libbpf's messages, demoted one level (warnings show as info, and so on). */
static int pl_libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG || (lvl == LIBBPF_INFO && pl_verbose < 2) ||
	    (lvl == LIBBPF_WARN && !pl_verbose))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* libxdp's messages, demoted one level likewise. */
static int pl_libxdp_print(enum libxdp_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBXDP_DEBUG || (lvl == LIBXDP_INFO && pl_verbose < 2) ||
	    (lvl == LIBXDP_WARN && !pl_verbose))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- Options -------------------------------------------------------------- */
enum pl_copy_mode { PL_ZC_AUTO, PL_ZC_ON, PL_ZC_OFF };
enum pl_placement { PL_PLACE_USER, PL_PLACE_HYBRID };

struct pl_opts {
	const char *ifname[PL_PORTS_MAX];
	unsigned nports;
	int queue[PL_WORKERS_MAX];
	unsigned nqueues;
	int cpu[PL_WORKERS_MAX];
	unsigned ncpus;
	enum pl_copy_mode copy;
	bool generic;
	bool need_wakeup;
	int busy_poll_us;
	int busy_budget;
	bool hugepages;
	uint32_t frame_size, rx_size, tx_size, fill_size, comp_size, batch, frames;
	uint32_t tx_budget;
	enum pl_placement placement;
	const char *policy;
	const char *bpf_obj, *redirect_obj;
	const char *tap_prefix;
	bool no_tap;
	bool user_to_tap;
	const char *metrics;
	double duration;
	double interval;
	unsigned check_every;
	bool spin;
	bool quiet;
	const char *replay, *results_out;
};

/* The one option table: drives getopt_long and --help. */
struct pl_opt {
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

static const struct pl_opt pl_opt_table[] = {
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
	{ "bpf-obj", 1, O_BPF_OBJ, "FILE", "the core's BPF object for --placement hybrid (default " PL_BPF_OBJ ")" },
	{ "redirect-obj", 1, O_REDIR_OBJ, "FILE", "the redirect-all object for --placement user (default " PL_REDIRECT_OBJ ")" },
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
#define PL_NOPTS (sizeof(pl_opt_table) / sizeof(pl_opt_table[0]))

/* Print the usage text from the option table. */
static void pl_usage(FILE *f)
{
	fprintf(f, "usage: pathlab-afxdp -i IF [-i IF2 ...] [options]\n"
		   "       pathlab-afxdp --replay PCAP --results-out FILE [--policy FILE]\n\n"
		   "The pathlab core behind AF_XDP sockets. Per-second stats on stdout.\n\n");
	for (size_t i = 0; i < PL_NOPTS; i++) {
		const struct pl_opt *o = &pl_opt_table[i];
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
static int pl_parse_list(const char *s, int *out, unsigned max)
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
static uint32_t pl_parse_u32(const char *name, const char *s)
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
static int pl_parse_choice(const char *opt, const char *arg, const char *const *names)
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
static unsigned pl_parse_list_opt(const char *opt, const char *what, const char *arg, int *out)
{
	int n = pl_parse_list(arg, out, PL_WORKERS_MAX);

	if (n < 0) {
		pr_warn("--%s: '%s' is not a list of %s numbers like 1,0\n", opt, arg, what);
		exit(2);
	}
	return (unsigned)n;
}

/* Fill o from argv. Returns 0, or exits with status 2 on a usage error. */
static int pl_parse_args(int argc, char **argv, struct pl_opts *o)
{
	struct option lo[PL_NOPTS + 1];
	char shorts[64] = "";
	size_t ns = 0;
	int c;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < PL_NOPTS; i++) {
		lo[i].name = pl_opt_table[i].name;
		lo[i].has_arg = pl_opt_table[i].has_arg;
		lo[i].val = pl_opt_table[i].val;
		if (pl_opt_table[i].val < 256) {
			shorts[ns++] = (char)pl_opt_table[i].val;
			if (pl_opt_table[i].has_arg)
				shorts[ns++] = ':';
		}
	}
	*o = (struct pl_opts){
		.copy = PL_ZC_AUTO, .need_wakeup = true, .frame_size = PL_DEF_FRAME,
		.rx_size = PL_DEF_RING, .tx_size = PL_DEF_RING, .fill_size = PL_DEF_RING,
		.comp_size = PL_DEF_RING, .batch = PL_DEF_BATCH, .bpf_obj = PL_BPF_OBJ,
		.redirect_obj = PL_REDIRECT_OBJ, .tap_prefix = "pl-tap", .interval = 1.0,
#ifndef NDEBUG
		.check_every = PL_DEBUG_CHECK_EVERY,
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
			o->nqueues = pl_parse_list_opt("queues", "queue", optarg, o->queue);
			break;
		case O_CPUS:
			o->ncpus = pl_parse_list_opt("cpus", "CPU", optarg, o->cpu);
			break;
		case O_PLACEMENT:
			o->placement = (enum pl_placement)pl_parse_choice("placement", optarg,
				(const char *const[]){ "user", "hybrid", NULL });
			break;
		case O_POLICY: o->policy = optarg; break;
		case O_ZC:
			o->copy = (enum pl_copy_mode)pl_parse_choice("zero-copy", optarg,
				(const char *const[]){ "auto", "on", "off", NULL });
			break;
		case O_XDP_MODE:
			o->generic = pl_parse_choice("xdp-mode", optarg,
				(const char *const[]){ "native", "generic", NULL }) == 1;
			break;
		case O_NO_WAKEUP: o->need_wakeup = false; break;
		case O_BUSY_POLL: o->busy_poll_us = (int)pl_parse_u32("busy-poll", optarg); break;
		case O_BUSY_BUDGET: o->busy_budget = (int)pl_parse_u32("busy-poll-budget", optarg); break;
		case O_HUGE: o->hugepages = true; break;
		case O_FRAME: o->frame_size = pl_parse_u32("frame-size", optarg); break;
		case O_RING:
			o->rx_size = o->tx_size = o->fill_size = o->comp_size =
				pl_parse_u32("ring-size", optarg);
			break;
		case O_RX: o->rx_size = pl_parse_u32("rx-size", optarg); break;
		case O_TX: o->tx_size = pl_parse_u32("tx-size", optarg); break;
		case O_FILL: o->fill_size = pl_parse_u32("fill-size", optarg); break;
		case O_COMP: o->comp_size = pl_parse_u32("comp-size", optarg); break;
		case O_BATCH: o->batch = pl_parse_u32("batch", optarg); break;
		case O_TX_BUDGET: o->tx_budget = pl_parse_u32("tx-budget", optarg); break;
		case O_FRAMES: o->frames = pl_parse_u32("frames", optarg); break;
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
		case O_CHECK: o->check_every = pl_parse_u32("check-every", optarg); break;
		case O_SPIN: o->spin = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_REPLAY: o->replay = optarg; break;
		case O_RESULTS: o->results_out = optarg; break;
		case O_VERBOSE: pl_verbose++; break;
		case O_HELP: pl_usage(stdout); exit(0);
		default: pl_usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s' (interfaces go with -i)\n", argv[optind]);
		exit(2);
	}
	return 0;
}

/* Check sizes the kernel would refuse later with a less helpful EINVAL. */
static int pl_check_sizes(const struct pl_opts *o)
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
	if (!o->batch || o->batch > PL_BATCH_MAX || o->batch > o->fill_size || o->batch > o->tx_size) {
		pr_warn("--batch %u: must be 1..%u and not above the fill and tx ring sizes\n", o->batch,
			PL_BATCH_MAX);
		return -EINVAL;
	}
	return 0;
}

/* ---- Data structures ------------------------------------------------------- */
/* Per-socket counters (written by the worker, read by the stats thread). */
#define PL_XSK_COUNTERS(X)                                                      \
	X(rx, "frames received")                                                \
	X(tx, "frames put on the tx ring")                                      \
	X(tx_done, "tx completions")                                            \
	X(tx_ring_full, "frames dropped because the tx ring was full")          \
	X(tx_kicks, "sendto() kicks")                                           \
	X(tx_kick_err, "kicks that failed with an error other than EAGAIN/EBUSY") \
	X(rx_wakeups, "fill-ring wakeups (recvfrom)")                           \
	X(fill_short, "refills skipped: pool had less than a batch")            \
	X(tap_tx, "frames written to the TAP (PASS)")                           \
	X(tap_err, "TAP writes that failed")                                    \
	X(tap_rx, "frames read from the TAP and sent out the port")             \
	X(redirect_noport, "REDIRECT to a port without this queue (dropped)")   \
	X(rx_drained, "frames left on the rx ring at exit, recycled unprocessed")

enum pl_xsk_cnt {
#define PL_X(n, d) PL_XC_##n,
	PL_XSK_COUNTERS(PL_X)
#undef PL_X
	PL_XC__MAX,
};

static const char *const pl_xsk_cnt_name[] = {
#define PL_X(n, d) #n,
	PL_XSK_COUNTERS(PL_X)
#undef PL_X
};

struct pl_port;

/* One AF_XDP socket: (port, queue), owned by one worker. */
struct pl_xsk {
	struct pl_port *port;
	uint32_t queue;
	struct xsk_socket *xsk;
	int fd;
	struct xsk_ring_cons rx, comp;
	struct xsk_ring_prod tx, fill;
	/* Frame accounting: frames we handed to the kernel. */
	uint64_t out_fill; /* in the fill ring, in the kernel, or in the rx ring */
	uint64_t out_tx;   /* in the tx ring, in the kernel, or in the completion ring */
	uint64_t cnt[PL_XC__MAX];
	/* This batch's frames for this socket's tx ring. */
	struct xdp_desc txq[PL_BATCH_MAX * 2];
	uint32_t ntxq;
	bool zero_copy;
	bool busy_poll;   /* the busy-poll options were accepted */
};

/* One interface. */
struct pl_port {
	unsigned idx;
	const char *ifname;
	int ifindex;
	unsigned nqueues;
	struct bpf_object *obj;
	int prog_id;
	int xsks_map_fd;
	bool attached;
	char tap_name[IFNAMSIZ];
	int tap_fd;
	struct pl_worker *tap_owner; /* the worker that reads the TAP */
};

/* One worker thread: one UMEM, one frame pool, one socket per port. */
struct pl_worker {
	unsigned id;
	uint32_t queue;
	int cpu;
	pthread_t thread;
	bool started;
	void *umem_area;
	size_t umem_len;
	bool umem_huge;
	struct xsk_umem *umem;
	struct xsk_ring_prod umem_fill; /* rings given to xsk_umem__create */
	struct xsk_ring_cons umem_comp;
	uint32_t nframes;
	struct pl_frame_pool pool;
	uint64_t in_flight;       /* taken from rx/pool, not yet placed */
	struct pl_xsk *xsk[PL_PORTS_MAX]; /* by port index; NULL: port lacks this queue */
	unsigned nxsk;
	uint64_t batches;
	uint64_t check_fail;
	uint64_t double_free;
	char last_check[256];
};

struct pl_app {
	struct pl_opts o;
	struct pl_port port[PL_PORTS_MAX];
	unsigned nports;
	struct pl_worker *worker[PL_WORKERS_MAX];
	unsigned nworkers;
	struct pl_ctl *ctl_user;
	struct pl_ctl *ctl_bpf;
	struct pl_metrics_server *metrics;
	bool zc_any, copy_any;
	bool busy_any, busy_refused;
	unsigned tx_budget;        /* XDP_MAX_TX_SKB_BUDGET in effect (0: kernel's 32) */
	bool tx_budget_warned;
};

static volatile sig_atomic_t pl_stop;

/* SIGINT/SIGTERM only set the flag; main and workers notice it. */
static void pl_on_signal(int sig)
{
	(void)sig;
	pl_stop = 1;
}

/* ---- The batch: shared by the socket path and --replay ------------------ */
/* What the core decided for one received frame. */
struct pl_act {
	uint64_t addr;     /* where the (possibly moved) frame starts in the UMEM */
	uint32_t len;
	uint32_t verdict;
	uint32_t out_port;
};

/* Run the core on n frames received on one port, in place in the UMEM
 * (umem: base of the UMEM area, frame_size: chunk size). The one function
 * both the worker and --replay go through. */
static void pl_batch_run(uint8_t *umem, uint32_t frame_size, int ifindex, uint32_t queue,
			 const struct xdp_desc *d, unsigned n, struct pl_act *act)
{
	/* The first read of each frame is a cache miss (the receive copy ran
	 * on another CPU): start them all at once, then parse. */
	for (unsigned i = 0; i < n; i++)
		__builtin_prefetch(umem + d[i].addr);
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = d[i].addr & (frame_size - 1);
		struct pl_buf b = {
			.data = umem + d[i].addr,
			.len = d[i].len,
			.headroom = (uint32_t)off,
			.tailroom = frame_size - (uint32_t)off - d[i].len,
			.ifindex = (uint32_t)ifindex,
			.rx_queue = queue,
		};
		uint32_t out = 0;
		int v = pl_core_process(&b, &out);

		act[i].addr = (uint64_t)(b.data - umem);
		act[i].len = b.len;
		act[i].verdict = (uint32_t)v;
		act[i].out_port = out;
	}
}

/* ---- Frame accounting ------------------------------------------------------ */
/* Entries in a ring as seen right now (producer - consumer). */
static uint32_t pl_ring_used(const uint32_t *prod, const uint32_t *cons)
{
	return __atomic_load_n(prod, __ATOMIC_ACQUIRE) - __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

/* Check that every frame of w's UMEM is in exactly one place, and describe
 * where they are in w->last_check. Returns 0 or -EFAULT (frames lost or
 * counted twice). Runs in the worker (or after it stopped). */
static int pl_frames_check(struct pl_worker *w)
{
	uint64_t fill = 0, tx = 0, fill_ring = 0, rx_ring = 0, tx_ring = 0, comp_ring = 0, sum;

	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct pl_xsk *x = w->xsk[p];

		if (!x)
			continue;
		fill += x->out_fill;
		tx += x->out_tx;
		fill_ring += pl_ring_used(x->fill.producer, x->fill.consumer);
		rx_ring += pl_ring_used(x->rx.producer, x->rx.consumer);
		tx_ring += pl_ring_used(x->tx.producer, x->tx.consumer);
		comp_ring += pl_ring_used(x->comp.producer, x->comp.consumer);
	}
	sum = w->pool.n + fill + tx + w->in_flight;
	snprintf(w->last_check, sizeof(w->last_check),
		 "worker %u: frames=%u pool=%u fill=%" PRIu64 " rx=%" PRIu64 " kernel-rx=%" PRId64
		 " tx=%" PRIu64 " completion=%" PRIu64 " kernel-tx=%" PRId64 " in-flight=%" PRIu64
		 " sum=%" PRIu64 " %s",
		 w->id, w->nframes, w->pool.n, fill_ring, rx_ring,
		 (int64_t)(fill - fill_ring - rx_ring), tx_ring, comp_ring,
		 (int64_t)(tx - tx_ring - comp_ring), w->in_flight, sum,
		 sum == w->nframes && !w->double_free ? "ok" : "MISMATCH");
	return sum == w->nframes && !w->double_free ? 0 : -EFAULT;
}

/* Return frames (any address inside a chunk) to the pool. */
static void pl_recycle(struct pl_worker *w, uint64_t addr, uint32_t frame_size)
{
	if (pl_pool_put1(&w->pool, addr & ~(uint64_t)(frame_size - 1)))
		w->double_free++;
}

/* ---- Worker ---------------------------------------------------------------- */
struct pl_wctx {
	struct pl_app *app;
	struct pl_worker *w;
};

static void pl_tx_kick(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x);

/* Move completed tx frames back to the pool, in batches. */
static void pl_complete_tx(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	uint32_t idx, n;

	if (!x->out_tx)
		return;
	n = xsk_ring_cons__peek(&x->comp, app->o.comp_size, &idx);
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		pl_recycle(w, *xsk_ring_cons__comp_addr(&x->comp, idx + i), app->o.frame_size);
	xsk_ring_cons__release(&x->comp, n);
	x->out_tx -= n;
	x->cnt[PL_XC_tx_done] += n;
}

/* Kick the kernel to send what is on x's tx ring: only when the ring asks
 * (need_wakeup) or need_wakeup is off; EAGAIN/EBUSY are retried after
 * reaping completions, a bounded number of times. */
static void pl_tx_kick(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	if (app->o.need_wakeup && !xsk_ring_prod__needs_wakeup(&x->tx))
		return;
	for (int retry = 0; retry < PL_TX_KICK_RETRIES; retry++) {
		x->cnt[PL_XC_tx_kicks]++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			return;
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
			x->cnt[PL_XC_tx_kick_err]++;
			return;
		}
		pl_complete_tx(app, w, x);
	}
}

/* Put the queued descriptors of x on its tx ring and kick. Frames that do
 * not fit (ring full) are counted and recycled. */
static void pl_tx_flush(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	uint32_t idx, n;

	if (!x->ntxq)
		return;
	n = xsk_ring_prod__reserve(&x->tx, x->ntxq, &idx); /* all or nothing */
	if (!n) {
		/* Make room once, then send what fits and drop the rest. */
		pl_complete_tx(app, w, x);
		n = xsk_prod_nb_free(&x->tx, x->ntxq);
		if (n > x->ntxq)
			n = x->ntxq;
		if (n)
			n = xsk_ring_prod__reserve(&x->tx, n, &idx);
	}
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__tx_desc(&x->tx, idx + i) = x->txq[i];
	if (n)
		xsk_ring_prod__submit(&x->tx, n);
	for (uint32_t i = n; i < x->ntxq; i++) {
		x->cnt[PL_XC_tx_ring_full]++;
		pl_recycle(w, x->txq[i].addr, app->o.frame_size);
	}
	x->out_tx += n;
	w->in_flight -= x->ntxq;
	x->cnt[PL_XC_tx] += n;
	x->ntxq = 0;
	if (n)
		pl_tx_kick(app, w, x);
}

/* Refill x's fill ring from the pool, only in whole batches. */
static void pl_refill(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	uint32_t b = app->o.batch;
	uint64_t addrs[PL_BATCH_MAX];
	uint32_t idx;

	while (xsk_prod_nb_free(&x->fill, b) >= b) {
		if (pl_pool_get(&w->pool, addrs, b)) {
			x->cnt[PL_XC_fill_short]++;
			return;
		}
		if (xsk_ring_prod__reserve(&x->fill, b, &idx) != b) {
			pl_pool_put(&w->pool, addrs, b);
			return;
		}
		for (uint32_t i = 0; i < b; i++)
			*xsk_ring_prod__fill_addr(&x->fill, idx + i) = addrs[i];
		xsk_ring_prod__submit(&x->fill, b);
		x->out_fill += b;
	}
}

/* Queue one frame for x's tx ring; flushes first when the queue is full
 * (several ports can redirect into one port within one loop). */
static void pl_txq_push(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x, uint64_t addr,
			uint32_t len)
{
	if (x->ntxq == sizeof(x->txq) / sizeof(x->txq[0]))
		pl_tx_flush(app, w, x);
	x->txq[x->ntxq++] = (struct xdp_desc){ .addr = addr, .len = len };
}

/* Write a PASS (or USER) frame to the port's TAP; the frame is recycled. */
static void pl_to_tap(struct pl_app *app, struct pl_xsk *x, const uint8_t *data, uint32_t len)
{
	struct pl_port *p = x->port;

	if (p->tap_fd < 0)
		return;
	if (write(p->tap_fd, data, len) == (ssize_t)len)
		x->cnt[PL_XC_tap_tx]++;
	else
		x->cnt[PL_XC_tap_err]++;
}

/* Out-port (as the policy resolver gave it: our port index) to the
 * worker's socket on that port. */
static struct pl_xsk *pl_out_xsk(struct pl_worker *w, uint32_t out_port)
{
	return out_port < PL_PORTS_MAX ? w->xsk[out_port] : NULL;
}

/* Act on the core's verdicts for one rx batch of x. */
static void pl_batch_dispatch(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x,
			      const struct pl_act *act, unsigned n)
{
	uint8_t *umem = w->umem_area;

	for (unsigned i = 0; i < n; i++) {
		const struct pl_act *a = &act[i];
		struct pl_xsk *out;

		switch (a->verdict) {
		case PL_TX:
			pl_txq_push(app, w, x, a->addr, a->len);
			continue;
		case PL_REDIRECT:
			out = pl_out_xsk(w, a->out_port);
			if (out) {
				pl_txq_push(app, w, out, a->addr, a->len);
				continue;
			}
			x->cnt[PL_XC_redirect_noport]++;
			break;
		case PL_PASS:
			pl_to_tap(app, x, umem + a->addr, a->len);
			break;
		case PL_USER:
			if (app->o.user_to_tap)
				pl_to_tap(app, x, umem + a->addr, a->len);
			break;
		default: /* DROP, ABORTED */
			break;
		}
		pl_recycle(w, a->addr, app->o.frame_size);
		w->in_flight--;
	}
}

/* Receive one batch on x, run the core, act. Returns frames received. */
static unsigned pl_rx_batch(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	struct xdp_desc d[PL_BATCH_MAX];
	struct pl_act act[PL_BATCH_MAX];
	uint32_t idx, n;

	n = xsk_ring_cons__peek(&x->rx, app->o.batch, &idx);
	if (!n) {
		if (x->busy_poll || !app->o.need_wakeup ||
		    xsk_ring_prod__needs_wakeup(&x->fill)) {
			x->cnt[PL_XC_rx_wakeups]++;
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		}
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		d[i] = *xsk_ring_cons__rx_desc(&x->rx, idx + i);
	xsk_ring_cons__release(&x->rx, n);
	x->out_fill -= n;
	w->in_flight += n;
	x->cnt[PL_XC_rx] += n;

	pl_batch_run(w->umem_area, app->o.frame_size, x->port->ifindex, x->queue, d, n, act);
	pl_batch_dispatch(app, w, x, act, n);
	return n;
}

/* Frames the host stack sent into the port's TAP go out the port. */
static unsigned pl_tap_rx(struct pl_app *app, struct pl_worker *w, struct pl_xsk *x)
{
	struct pl_port *p = x->port;
	unsigned n = 0;
	uint32_t room = app->o.frame_size - XDP_PACKET_HEADROOM;

	if (p->tap_fd < 0 || p->tap_owner != w)
		return 0;
	while (n < app->o.batch) {
		uint64_t addr;
		ssize_t len;

		if (pl_pool_get(&w->pool, &addr, 1))
			break;
		len = read(p->tap_fd, (uint8_t *)w->umem_area + addr + XDP_PACKET_HEADROOM, room);
		if (len <= 0) {
			pl_pool_put1(&w->pool, addr);
			break;
		}
		w->in_flight++;
		pl_txq_push(app, w, x, addr + XDP_PACKET_HEADROOM, (uint32_t)len);
		x->cnt[PL_XC_tap_rx]++;
		n++;
	}
	return n;
}

/* Sleep in poll() until a socket or TAP of w has something, or 100 ms. */
static void pl_idle_wait(struct pl_app *app, struct pl_worker *w)
{
	struct pollfd pfd[PL_PORTS_MAX * 2];
	unsigned n = 0;

	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct pl_xsk *x = w->xsk[p];

		if (!x)
			continue;
		pfd[n++] = (struct pollfd){ .fd = x->fd, .events = POLLIN };
		if (x->port->tap_fd >= 0 && x->port->tap_owner == w)
			pfd[n++] = (struct pollfd){ .fd = x->port->tap_fd, .events = POLLIN };
	}
	poll(pfd, n, 100);
}

/* The worker loop: completions, refill, rx batches, TAP, tx flush. */
static void *pl_worker_main(void *arg)
{
	struct pl_wctx *wc = arg;
	struct pl_app *app = wc->app;
	struct pl_worker *w = wc->w;
	unsigned idle = 0;
	char name[16];

	snprintf(name, sizeof(name), "pl-afxdp-w%u", w->id);
	pthread_setname_np(pthread_self(), name); /* ps -L, perf, taskset -p */
	pl_worker_set(w->id);
	while (!pl_stop) {
		unsigned got = 0;

		for (unsigned p = 0; p < app->nports; p++) {
			struct pl_xsk *x = w->xsk[p];

			if (!x)
				continue;
			pl_complete_tx(app, w, x);
			pl_refill(app, w, x);
			got += pl_rx_batch(app, w, x);
			got += pl_tap_rx(app, w, x);
		}
		for (unsigned p = 0; p < app->nports; p++)
			if (w->xsk[p])
				pl_tx_flush(app, w, w->xsk[p]);
		if (got) {
			idle = 0;
			w->batches++;
			if (app->o.check_every && w->batches % app->o.check_every == 0 &&
			    pl_frames_check(w)) {
				w->check_fail++;
				pr_warn("frame accounting: %s\n", w->last_check);
			}
		} else if (!app->o.spin && ++idle >= PL_IDLE_SPINS) {
			pl_idle_wait(app, w);
			idle = 0;
		}
	}
	return NULL;
}

/* After the worker stopped: reap completions until every tx frame is back
 * (up to 200 ms), and take back what is left on the rx rings. */
static void pl_worker_drain(struct pl_app *app, struct pl_worker *w)
{
	for (int i = 0; i < 200; i++) {
		uint64_t out = 0;

		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct pl_xsk *x = w->xsk[p];

			if (!x)
				continue;
			if (x->out_tx)
				sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
			pl_complete_tx(app, w, x);
			out += x->out_tx;
		}
		if (!out)
			break;
		usleep(1000);
	}
	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct pl_xsk *x = w->xsk[p];
		uint32_t idx, n;

		if (!x)
			continue;
		while ((n = xsk_ring_cons__peek(&x->rx, app->o.batch, &idx))) {
			for (uint32_t i = 0; i < n; i++)
				pl_recycle(w, xsk_ring_cons__rx_desc(&x->rx, idx + i)->addr,
					   app->o.frame_size);
			xsk_ring_cons__release(&x->rx, n);
			x->out_fill -= n;
			x->cnt[PL_XC_rx_drained] += n;
		}
	}
}

/* ---- Setup ---------------------------------------------------------------- */
/* Number of receive queues of ifname (sysfs queues/rx-*). */
static unsigned pl_if_nqueues(const char *ifname)
{
	char path[128];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

/* Policy resolver: interface names are our ports; out_port = port index
 * (the worker's socket array index, and the key of pl_tx_ports in hybrid). */
static int pl_resolve_port(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct pl_app *app = arg;

	for (unsigned i = 0; i < app->nports; i++) {
		if (!strcmp(app->port[i].ifname, name)) {
			*ifindex = (uint32_t)app->port[i].ifindex;
			*out_port = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Create the TAP device for port p (non-blocking fd, link up). */
static int pl_tap_open(struct pl_app *app, struct pl_port *p)
{
	struct ifreq ifr = { 0 };
	int fd, s, err;

	p->tap_fd = -1;
	if (app->o.no_tap)
		return 0;
	snprintf(p->tap_name, sizeof(p->tap_name), "%s%u", app->o.tap_prefix, p->idx);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open /dev/net/tun for the PASS TAP: %s (load the tun module, or use --no-tap)\n",
			strerror(errno));
		return err;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, p->tap_name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		pr_warn("cannot create TAP %s: %s (is the name taken? try --tap-prefix)\n", p->tap_name,
			strerror(errno));
		close(fd);
		return err;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct ifreq hw = { 0 };

		/* The TAP takes the port's MAC: frames addressed to the port are
		 * addressed to the host behind it, and the host answers as the port. */
		strncpy(hw.ifr_name, p->ifname, IFNAMSIZ - 1);
		if (ioctl(s, SIOCGIFHWADDR, &hw) == 0) {
			strncpy(hw.ifr_name, p->tap_name, IFNAMSIZ - 1);
			if (ioctl(s, SIOCSIFHWADDR, &hw) < 0)
				pr_warn("TAP %s: cannot take the MAC of %s: %s\n", p->tap_name,
					p->ifname, strerror(errno));
		}
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
				pr_warn("TAP %s: cannot set it up: %s\n", p->tap_name, strerror(errno));
		}
		close(s);
	}
	p->tap_fd = fd;
	return 0;
}

/* Open, (share maps with the first port's object), load and attach the XDP
 * program of port p. */
static int pl_port_load(struct pl_app *app, struct pl_port *p)
{
	bool hybrid = app->o.placement == PL_PLACE_HYBRID;
	const char *path = hybrid ? app->o.bpf_obj : app->o.redirect_obj;
	const char *pname = hybrid ? "pathlab" : "pl_redirect_all";
	struct bpf_object *first = app->port[0].obj;
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	struct bpf_program *prog, *q;
	struct bpf_map *m;
	__u32 flags;
	int err;

	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		err = -errno;
		pr_warn("cannot open BPF object %s: %s (build it with ninja, or pass --%s)\n", path,
			strerror(-err), hybrid ? "bpf-obj" : "redirect-obj");
		return err;
	}
	/* Every port's copy of the core shares the first one's tables except
	 * xsks_map, which is keyed by queue and so must be per interface. */
	if (p != &app->port[0] && hybrid) {
		bpf_object__for_each_map(m, p->obj) {
			struct bpf_map *m0;

			if (bpf_map__is_internal(m) || !strcmp(bpf_map__name(m), "xsks_map"))
				continue;
			m0 = bpf_object__find_map_by_name(first, bpf_map__name(m));
			if (m0 && (err = bpf_map__reuse_fd(m, bpf_map__fd(m0)))) {
				pr_warn("%s: cannot share map %s: %s\n", p->ifname, bpf_map__name(m),
					strerror(-err));
				return err;
			}
		}
	}
	prog = bpf_object__find_program_by_name(p->obj, pname);
	if (!prog) {
		pr_warn("%s has no program %s (wrong --%s?)\n", path, pname,
			hybrid ? "bpf-obj" : "redirect-obj");
		return -ENOENT;
	}
	bpf_object__for_each_program(q, p->obj)
		bpf_program__set_autoload(q, q == prog);
	err = bpf_object__load(p->obj);
	if (err) {
		pr_warn("loading %s failed: %s (run with -vv for the verifier log)\n", path,
			strerror(-err));
		return err;
	}
	m = bpf_object__find_map_by_name(p->obj, "xsks_map");
	if (!m) {
		pr_warn("%s has no XSKMAP named xsks_map\n", path);
		return -ENOENT;
	}
	p->xsks_map_fd = bpf_map__fd(m);
	flags = XDP_FLAGS_UPDATE_IF_NOEXIST | (app->o.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	err = bpf_xdp_attach(p->ifindex, bpf_program__fd(prog), flags, NULL);
	if (err) {
		if (err == -EBUSY || err == -EEXIST)
			pr_warn("%s already has an XDP program: remove it first (ip link set dev %s xdp off)\n",
				p->ifname, p->ifname);
		else if (err == -EOPNOTSUPP && !app->o.generic)
			pr_warn("%s: the driver has no native XDP: try --xdp-mode generic\n", p->ifname);
		else
			pr_warn("attaching XDP to %s failed: %s\n", p->ifname, strerror(-err));
		return err;
	}
	p->attached = true;
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &ilen))
		p->prog_id = (int)info.id;
	pr_debug("%s: %s attached (%s XDP, prog id %d)\n", p->ifname, pname,
		 app->o.generic ? "generic" : "native", p->prog_id);
	return 0;
}

/* Detach our program from p (only if it is still ours) and close it. */
static void pl_port_unload(struct pl_port *p, bool generic)
{
	if (p->attached) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
		__u32 cur = 0;
		__u32 flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;

		if (!bpf_xdp_query_id(p->ifindex, flags, &cur) && cur == (__u32)p->prog_id)
			bpf_xdp_detach(p->ifindex, flags, NULL);
		else
			pr_warn("%s: the XDP program is no longer ours (id %u); left alone\n",
				p->ifname, cur);
		p->attached = false;
	}
	bpf_object__close(p->obj);
	p->obj = NULL;
	if (p->tap_fd >= 0)
		close(p->tap_fd); /* a non-persistent TAP disappears with its fd */
	p->tap_fd = -1;
}

/* Allocate w's UMEM area (hugepages or normal pages) and register it. */
static int pl_umem_create(struct pl_app *app, struct pl_worker *w)
{
	struct xsk_umem_config cfg = {
		.fill_size = app->o.fill_size,
		.comp_size = app->o.comp_size,
		.frame_size = app->o.frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	size_t len = (size_t)w->nframes * app->o.frame_size;
	int err;

	if (app->o.hugepages) {
		len = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
		w->umem_area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (w->umem_area == MAP_FAILED) {
			err = -errno;
			pr_warn("UMEM of %zu MB on hugepages failed: %s (reserve %zu 2 MB pages: "
				"echo %zu > /proc/sys/vm/nr_hugepages, or drop --hugepages)\n",
				len >> 20, strerror(errno), (len >> 21) * app->nworkers,
				(len >> 21) * app->nworkers);
			w->umem_area = NULL;
			return err;
		}
		w->umem_huge = true;
	} else {
		w->umem_area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (w->umem_area == MAP_FAILED) {
			err = -errno;
			pr_warn("UMEM of %zu MB: %s (try fewer --frames)\n", len >> 20, strerror(errno));
			w->umem_area = NULL;
			return err;
		}
	}
	w->umem_len = len;
	err = xsk_umem__create(&w->umem, w->umem_area, (uint64_t)w->nframes * app->o.frame_size,
			       &w->umem_fill, &w->umem_comp, &cfg);
	if (err) {
		pr_warn("registering the UMEM failed: %s%s\n", strerror(-err),
			err == -ENOMEM || err == -EPERM ? " (raise RLIMIT_MEMLOCK: ulimit -l unlimited)" : "");
		w->umem = NULL;
		return err;
	}
	err = pl_pool_init(&w->pool, w->nframes);
	if (err)
		return err;
	for (uint32_t i = 0; i < w->nframes; i++)
		pl_pool_put1(&w->pool, (uint64_t)i * app->o.frame_size);
	return 0;
}

/* Set the busy-poll socket options on x, one at a time. A refusal is not
 * fatal: it is reported (which option, why, what to try) and the socket
 * runs without busy polling (x->busy_poll stays false). Returns 0. */
static int pl_busy_poll(struct pl_app *app, struct pl_xsk *x)
{
	int one = 1, us = app->o.busy_poll_us;
	int budget = app->o.busy_budget ? app->o.busy_budget : (int)app->o.batch;
	const struct { int opt; const char *name; int *val; } so[] = {
		{ SO_PREFER_BUSY_POLL, "SO_PREFER_BUSY_POLL", &one },
		{ SO_BUSY_POLL, "SO_BUSY_POLL", &us },
		{ SO_BUSY_POLL_BUDGET, "SO_BUSY_POLL_BUDGET", &budget },
	};

	if (!us)
		return 0;
	for (size_t i = 0; i < sizeof(so) / sizeof(so[0]); i++) {
		if (!setsockopt(x->fd, SOL_SOCKET, so[i].opt, so[i].val, sizeof(int)))
			continue;
		pr_warn("%s q%u: %s=%d refused: %s (%s); continuing without busy polling on this socket\n",
			x->port->ifname, x->queue, so[i].name, *so[i].val, strerror(errno),
			errno == ENOPROTOOPT ? "the kernel predates 5.11"
			: errno == EPERM     ? "needs CAP_NET_ADMIN, or a budget within net.core.busy_poll_budget"
			: errno == EINVAL    ? "the budget must be 1..65535: try --busy-poll-budget 64"
					     : "drop --busy-poll");
		/* Undo what was set, so the socket is plainly not busy-polled. */
		us = 0;
		one = 0;
		setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one));
		setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us));
		app->busy_refused = true;
		return 0;
	}
	x->busy_poll = true;
	app->busy_any = true;
	return 0;
}

/* Copy mode: let one sendto() send up to the tx budget instead of the
 * kernel's 32 (XDP_MAX_TX_SKB_BUDGET, 6.17+), so a batch above 32 costs one
 * kick. Older kernels refuse (ENOPROTOOPT): said once, kernel default kept. */
static void pl_tx_budget(struct pl_app *app, struct pl_xsk *x)
{
	unsigned int budget = app->o.tx_budget ? app->o.tx_budget : app->o.batch;

	if (x->zero_copy || budget <= 32)
		return;
	if (!setsockopt(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget))) {
		app->tx_budget = budget;
		return;
	}
	if (!app->tx_budget_warned)
		pr_warn("%s q%u: XDP_MAX_TX_SKB_BUDGET=%u refused: %s (%s); a kick sends at most 32 frames\n",
			x->port->ifname, x->queue, budget, strerror(errno),
			errno == ENOPROTOOPT ? "needs kernel 6.17+" : "32..tx ring size");
	app->tx_budget_warned = true;
}

/* The driver's name of ifname (ethtool -i), or "unknown driver". */
static const char *pl_if_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(buf, len, "unknown driver");
	if (s < 0)
		return buf;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(s, SIOCETHTOOL, &ifr))
		snprintf(buf, len, "%s", info.driver);
	close(s);
	return buf;
}

/* Create w's socket on port p (its first socket uses the UMEM's own fill
 * and completion rings, later ones get their own: xsk_socket__create_shared),
 * insert it into the port's xsks_map and prime its fill ring. */
static int pl_xsk_open(struct pl_app *app, struct pl_worker *w, struct pl_port *p)
{
	struct pl_xsk *x = calloc(1, sizeof(*x));
	struct xsk_socket_config cfg = {
		.rx_size = app->o.rx_size,
		.tx_size = app->o.tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = app->o.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
	};
	bool first = w->nxsk == 0;
	int err = -EINVAL;
	__u32 q = w->queue;

	if (!x)
		return -ENOMEM;
	x->port = p;
	x->queue = w->queue;
	if (first) {
		x->fill = w->umem_fill;
		x->comp = w->umem_comp;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool zc = app->o.copy == PL_ZC_ON || (app->o.copy == PL_ZC_AUTO && attempt == 0);

		if (app->o.generic && zc) {
			if (app->o.copy == PL_ZC_ON) {
				pr_warn("zero-copy needs native XDP: drop --xdp-mode generic or use --zero-copy off\n");
				free(x);
				return -EINVAL;
			}
			continue;
		}
		cfg.bind_flags = (zc ? XDP_ZEROCOPY : XDP_COPY) |
				 (app->o.need_wakeup ? XDP_USE_NEED_WAKEUP : 0);
		if (first)
			err = xsk_socket__create_shared(&x->xsk, p->ifname, q, w->umem, &x->rx, &x->tx,
							&w->umem_fill, &w->umem_comp, &cfg);
		else
			err = xsk_socket__create_shared(&x->xsk, p->ifname, q, w->umem, &x->rx, &x->tx,
							&x->fill, &x->comp, &cfg);
		if (!err) {
			x->zero_copy = zc;
			break;
		}
		if (!zc || app->o.copy == PL_ZC_ON)
			break;
		pr_debug("%s q%u: zero-copy refused (%s), trying copy mode\n", p->ifname, q,
			 strerror(-err));
	}
	if (err) {
		const char *hint = "check the interface is up and the queue exists (ethtool -l)";
		char drv[64], zc[160];

		if (app->o.copy == PL_ZC_ON && (err == -EOPNOTSUPP || err == -EINVAL)) {
			snprintf(zc, sizeof(zc), "the driver (%s) has no AF_XDP zero-copy: use --zero-copy auto or off",
				 pl_if_driver(p->ifname, drv, sizeof(drv)));
			hint = zc;
		}
		else if (err == -EBUSY)
			hint = "another AF_XDP socket is bound to this queue";
		else if (err == -ENOMEM || err == -ENOBUFS)
			hint = "smaller rings (--ring-size) or ulimit -l unlimited";
		pr_warn("AF_XDP socket on %s queue %u failed: %s (%s)\n", p->ifname, q, strerror(-err),
			hint);
		free(x);
		return err;
	}
	if (first) {
		x->fill = w->umem_fill;
		x->comp = w->umem_comp;
	}
	x->fd = xsk_socket__fd(x->xsk);
	{
		/* The mode the kernel gave, not the one asked for: a socket sharing
		 * the worker's UMEM takes the UMEM's mode whatever its bind flags. */
		struct xdp_options xo = { 0 };
		socklen_t xl = sizeof(xo);

		if (!getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &xo, &xl))
			x->zero_copy = xo.flags & XDP_OPTIONS_ZEROCOPY;
	}
	if (app->o.copy == PL_ZC_ON && !x->zero_copy) {
		pr_warn("AF_XDP socket on %s queue %u is in copy mode although --zero-copy on (it shares a copy-mode UMEM): use --zero-copy auto or off\n",
			p->ifname, q);
		xsk_socket__delete(x->xsk);
		free(x);
		return -EOPNOTSUPP;
	}
	w->xsk[p->idx] = x;
	w->nxsk++;
	if (x->zero_copy)
		app->zc_any = true;
	else
		app->copy_any = true;
	err = pl_busy_poll(app, x);
	if (err)
		return err;
	pl_tx_budget(app, x);
	err = xsk_socket__update_xskmap(x->xsk, p->xsks_map_fd);
	if (err) {
		pr_warn("%s q%u: inserting the socket into xsks_map failed: %s\n", p->ifname, q,
			strerror(-err));
		return err;
	}
	pl_refill(app, w, x);
	x->cnt[PL_XC_fill_short] = 0;
	return 0;
}

/* Close w's sockets, UMEM and pool; accepts NULL. */
static void pl_worker_destroy(struct pl_worker *w)
{
	if (!w)
		return;
	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		if (!w->xsk[p])
			continue;
		xsk_socket__delete(w->xsk[p]->xsk);
		free(w->xsk[p]);
	}
	if (w->umem)
		xsk_umem__delete(w->umem);
	if (w->umem_area)
		munmap(w->umem_area, w->umem_len);
	pl_pool_fini(&w->pool);
	free(w);
}

/* ---- Stats ------------------------------------------------------------------ */
/* Monotonic time in seconds. */
static double pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sum a socket counter over every socket of every worker. */
static uint64_t pl_xsk_sum(struct pl_app *app, int c)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < app->nworkers; i++)
		for (unsigned p = 0; p < PL_PORTS_MAX; p++)
			if (app->worker[i]->xsk[p])
				s += __atomic_load_n(&app->worker[i]->xsk[p]->cnt[c], __ATOMIC_RELAXED);
	return s;
}

/* The kernel's XDP_STATISTICS summed over all sockets. */
static void pl_xdp_stats(struct pl_app *app, struct xdp_statistics *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < app->nworkers; i++) {
		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct pl_xsk *x = app->worker[i]->xsk[p];
			struct xdp_statistics s = { 0 };
			socklen_t len = sizeof(s);

			if (!x || getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &s, &len))
				continue;
			sum->rx_dropped += s.rx_dropped;
			sum->rx_invalid_descs += s.rx_invalid_descs;
			sum->tx_invalid_descs += s.tx_invalid_descs;
			sum->rx_ring_full += s.rx_ring_full;
			sum->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
			sum->tx_ring_empty_descs += s.tx_ring_empty_descs;
		}
	}
}

/* One events line: ring-full / fill-empty events and XDP_STATISTICS, as
 * per-interval deltas. */
static void pl_print_events(struct pl_app *app, double t, uint64_t *prev, struct xdp_statistics *pk)
{
	struct xdp_statistics k;
	uint64_t cur[PL_XC__MAX];

	for (int c = 0; c < PL_XC__MAX; c++)
		cur[c] = pl_xsk_sum(app, c);
	pl_xdp_stats(app, &k);
	printf("[afxdp-events] t=%.1f tx_ring_full=%" PRIu64 " fill_short=%" PRIu64
	       " tx_kicks=%" PRIu64 " rx_wakeups=%" PRIu64 " tap_tx=%" PRIu64 " tap_rx=%" PRIu64
	       " xdp_rx_dropped=%llu xdp_rx_ring_full=%llu xdp_fill_ring_empty=%llu"
	       " xdp_tx_invalid=%llu\n",
	       t, cur[PL_XC_tx_ring_full] - prev[PL_XC_tx_ring_full],
	       cur[PL_XC_fill_short] - prev[PL_XC_fill_short], cur[PL_XC_tx_kicks] - prev[PL_XC_tx_kicks],
	       cur[PL_XC_rx_wakeups] - prev[PL_XC_rx_wakeups], cur[PL_XC_tap_tx] - prev[PL_XC_tap_tx],
	       cur[PL_XC_tap_rx] - prev[PL_XC_tap_rx],
	       (unsigned long long)(k.rx_dropped - pk->rx_dropped),
	       (unsigned long long)(k.rx_ring_full - pk->rx_ring_full),
	       (unsigned long long)(k.rx_fill_ring_empty_descs - pk->rx_fill_ring_empty_descs),
	       (unsigned long long)(k.tx_invalid_descs - pk->tx_invalid_descs));
	memcpy(prev, cur, sizeof(cur));
	*pk = k;
	if (pl_verbose) {
		/* Where the frames are (read from another thread: approximate). */
		for (unsigned i = 0; i < app->nworkers; i++) {
			struct pl_worker *w = app->worker[i];
			uint64_t f = 0, tx = 0;

			for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
				if (!w->xsk[p])
					continue;
				f += __atomic_load_n(&w->xsk[p]->out_fill, __ATOMIC_RELAXED);
				tx += __atomic_load_n(&w->xsk[p]->out_tx, __ATOMIC_RELAXED);
			}
			printf("[afxdp-frames] t=%.1f worker %u: pool=%u fill+rx=%" PRIu64
			       " tx+completion=%" PRIu64 "\n", t, i,
			       __atomic_load_n(&w->pool.n, __ATOMIC_RELAXED), f, tx);
		}
	}
}

/* Metrics server reader: the user-space core's counters; in hybrid the
 * kernel's with its USER verdicts replaced by the user core's (each frame
 * counted once, pl_metrics_merge_hybrid). */
static int pl_metrics_read(void *arg, struct pl_counters *sum)
{
	struct pl_app *app = arg;
	struct pl_counters k, u;
	int err = pl_ctl_read_counters(app->ctl_user, app->ctl_bpf ? &u : sum);

	if (err || !app->ctl_bpf)
		return err;
	err = pl_ctl_read_counters(app->ctl_bpf, &k);
	if (err)
		return err;
	pl_metrics_merge_hybrid(&k, &u, sum);
	return 0;
}

/* ---- Replay: the worker's batch code without sockets ---------------------- */
/* Feed every frame of pcap through pl_batch_run (one frame per batch, since
 * the clock changes per frame) in a UMEM-like buffer, as received on lo
 * queue 0 (pathlab-replay's default), and write plres. */
static int pl_replay(struct pl_app *app)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pl_config *cfg;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint8_t *umem = NULL;
	FILE *out = NULL;
	pcap_t *pc;
	uint64_t i = 0;
	int rc, err = 0;
	/* Received on lo, queue 0: what pathlab-replay's builds use by default. */
	int ifindex = (int)if_nametoindex("lo");

	pc = pcap_open_offline(app->o.replay, errbuf);
	if (!pc) {
		pr_warn("cannot read %s: %s\n", app->o.replay, errbuf);
		return -EINVAL;
	}
	out = app->o.results_out ? fopen(app->o.results_out, "w") : stdout;
	if (!out) {
		err = -errno;
		pr_warn("cannot write %s: %s\n", app->o.results_out, strerror(errno));
		goto close_pcap;
	}
	umem = aligned_alloc(app->o.frame_size, app->o.frame_size);
	cfg = pl_core_config();
	if (!umem || !cfg) {
		err = -ENOMEM;
		goto close_out;
	}
	fprintf(out, "# pathlab-results v1 build=afxdp policy=%s pcap=%s\n",
		app->o.policy ? app->o.policy : "-", app->o.replay);
	while ((rc = pcap_next_ex(pc, &h, &pkt)) == 1) {
		uint32_t len = h->caplen;
		struct xdp_desc d = { .addr = XDP_PACKET_HEADROOM, .len = len };
		struct pl_act a;

		if (len > app->o.frame_size - XDP_PACKET_HEADROOM)
			len = d.len = app->o.frame_size - XDP_PACKET_HEADROOM;
		memcpy(umem + d.addr, pkt, len);
		cfg->clock_ns = PL_REPLAY_CLOCK_NS(i);
		pl_batch_run(umem, app->o.frame_size, ifindex, 0, &d, 1, &a);
		fprintf(out, "%" PRIu64 "\t%s\t%u\t", i, pl_verdict_name((int)a.verdict), a.out_port);
		for (uint32_t j = 0; j < a.len; j++)
			fprintf(out, "%02x", umem[a.addr + j]);
		fputc('\n', out);
		i++;
	}
	if (rc == -1) {
		pr_warn("%s: %s\n", app->o.replay, pcap_geterr(pc));
		err = -EIO;
	}
	pr_info("replayed %" PRIu64 " frames from %s\n", i, app->o.replay);
close_out:
	free(umem);
	if (out != stdout && fclose(out) && !err)
		err = -EIO;
close_pcap:
	pcap_close(pc);
	return err;
}

/* ---- Main ----------------------------------------------------------------- */
/* Load the policy into the user-space core and, in hybrid, into the BPF
 * object's maps too. Without a policy, the BPF object gets the defaults. */
static int pl_load_policy(struct pl_app *app, pl_port_resolver resolver)
{
	struct pl_policy *pol = NULL;
	struct pl_err perr = { { 0 } };
	char sum[256];
	int err;

	if (app->ctl_bpf && (err = pl_ctl_init_config(app->ctl_bpf))) {
		pr_warn("writing the default configuration to the BPF maps failed: %s\n", strerror(-err));
		return err;
	}
	if (!app->o.policy)
		return 0;
	err = pl_policy_parse_file(app->o.policy, &pol, &perr);
	if (err) {
		pr_warn("%s\n", perr.msg);
		return err;
	}
	err = pl_policy_apply(app->ctl_user, pol, resolver, app, &perr);
	if (!err && app->ctl_bpf)
		err = pl_policy_apply(app->ctl_bpf, pol, resolver, app, &perr);
	if (err)
		pr_warn("%s\n", perr.msg);
	else {
		pl_policy_summary(pol, sum, sizeof(sum));
		pr_info("policy %s: %s\n", app->o.policy, sum);
	}
	pl_policy_free(pol);
	return err;
}

/* Build workers: one per queue number; each opens that queue on every port
 * that has it. */
static int pl_setup_workers(struct pl_app *app)
{
	int qs[PL_WORKERS_MAX];
	unsigned nq = 0, maxq = 0;
	int err;

	for (unsigned p = 0; p < app->nports; p++)
		if (app->port[p].nqueues > maxq)
			maxq = app->port[p].nqueues;
	if (app->o.nqueues) {
		for (unsigned i = 0; i < app->o.nqueues; i++) {
			if ((unsigned)app->o.queue[i] >= maxq) {
				pr_warn("--queues: queue %d does not exist (the ports have %u; see ethtool -l)\n",
					app->o.queue[i], maxq);
				return -EINVAL;
			}
			qs[nq++] = app->o.queue[i];
		}
	} else {
		for (unsigned q = 0; q < maxq && q < PL_WORKERS_MAX; q++)
			qs[nq++] = (int)q;
	}
	if (app->o.ncpus && app->o.ncpus < nq) {
		pr_warn("--cpus names %u CPUs for %u workers (one per queue): name one per queue\n",
			app->o.ncpus, nq);
		return -EINVAL;
	}
	err = pl_core_init(nq);
	if (err) {
		pr_warn("initialising the core failed: %s\n", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < nq; i++) {
		struct pl_worker *w = calloc(1, sizeof(*w));
		unsigned ports_here = 0;

		if (!w)
			return -ENOMEM;
		app->worker[app->nworkers++] = w;
		w->id = i;
		w->queue = (uint32_t)qs[i];
		w->cpu = app->o.ncpus ? app->o.cpu[i] : -1;
		for (unsigned p = 0; p < app->nports; p++)
			if (w->queue < app->port[p].nqueues)
				ports_here++;
		w->nframes = app->o.frames ? app->o.frames
					   : 4 * ports_here *
						     (app->o.fill_size > app->o.tx_size ? app->o.fill_size
											: app->o.tx_size);
		if (w->nframes < ports_here * (app->o.fill_size + app->o.batch)) {
			pr_warn("--frames %u is too few: each worker needs at least %u (fill ring + a batch per port)\n",
				w->nframes, ports_here * (app->o.fill_size + app->o.batch));
			return -EINVAL;
		}
		err = pl_umem_create(app, w);
		if (err)
			return err;
		for (unsigned p = 0; p < app->nports; p++) {
			if (w->queue >= app->port[p].nqueues)
				continue;
			err = pl_xsk_open(app, w, &app->port[p]);
			if (err)
				return err;
			if (!app->port[p].tap_owner)
				app->port[p].tap_owner = w;
		}
	}
	return 0;
}

/* Start the worker threads, pinned where asked. */
static int pl_start_workers(struct pl_app *app, struct pl_wctx *wc)
{
	for (unsigned i = 0; i < app->nworkers; i++) {
		struct pl_worker *w = app->worker[i];
		int err;

		pthread_attr_t attr;
		cpu_set_t set;

		wc[i] = (struct pl_wctx){ app, w };
		pthread_attr_init(&attr);
		if (w->cpu >= 0) {
			/* Pinned from its first instruction, not after it started. */
			CPU_ZERO(&set);
			CPU_SET(w->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		err = -pthread_create(&w->thread, &attr, pl_worker_main, &wc[i]);
		pthread_attr_destroy(&attr);
		if (err) {
			if (w->cpu >= 0)
				pr_warn("cannot start worker %u pinned to CPU %d: %s (see nproc and --cpus)\n",
					i, w->cpu, strerror(-err));
			else
				pr_warn("cannot start worker %u: %s\n", i, strerror(-err));
			return err;
		}
		w->started = true;
	}
	return 0;
}

/* Print the shutdown report: per worker frame accounting and totals.
 * Returns 0 if every frame was accounted for. */
static int pl_report(struct pl_app *app)
{
	int bad = 0;

	for (unsigned i = 0; i < app->nworkers; i++) {
		struct pl_worker *w = app->worker[i];

		if (pl_frames_check(w) || w->check_fail)
			bad = 1;
		printf("[afxdp-frames] %s checks_failed=%" PRIu64 " double_free=%" PRIu64 "\n",
		       w->last_check, w->check_fail, w->double_free);
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct pl_xsk *x = app->worker[i]->xsk[p];

			if (!x)
				continue;
			printf("[afxdp-socket] %s queue=%u worker=%u cpu=%d", x->port->ifname, x->queue, i,
			       app->worker[i]->cpu);
			for (int c = 0; c < PL_XC__MAX; c++)
				printf(" %s=%" PRIu64, pl_xsk_cnt_name[c], x->cnt[c]);
			printf("\n");
		}
	printf("[afxdp-total]");
	for (int c = 0; c < PL_XC__MAX; c++)
		printf(" %s=%" PRIu64, pl_xsk_cnt_name[c], pl_xsk_sum(app, c));
	{
		struct xdp_statistics k;

		pl_xdp_stats(app, &k);
		printf(" xdp_rx_dropped=%llu xdp_rx_invalid=%llu xdp_rx_ring_full=%llu"
		       " xdp_fill_ring_empty=%llu xdp_tx_invalid=%llu xdp_tx_ring_empty=%llu",
		       (unsigned long long)k.rx_dropped, (unsigned long long)k.rx_invalid_descs,
		       (unsigned long long)k.rx_ring_full,
		       (unsigned long long)k.rx_fill_ring_empty_descs,
		       (unsigned long long)k.tx_invalid_descs, (unsigned long long)k.tx_ring_empty_descs);
	}
	printf("\n[afxdp-frames] %s\n", bad ? "MISMATCH: frames lost or counted twice" : "accounting ok");
	fflush(stdout);
	return bad ? -EFAULT : 0;
}

/* Parse, set up ports and workers, print stats until stopped, tear down. */
int main(int argc, char **argv)
{
	static struct pl_app app_s;
	struct pl_app *app = &app_s;
	struct pl_wctx wc[PL_WORKERS_MAX];
	struct pl_counters prev_u = { { 0 } }, cur_u, prev_k = { { 0 } }, cur_k;
	uint64_t prev_ev[PL_XC__MAX] = { 0 };
	struct xdp_statistics prev_ks = { 0 };
	struct sigaction sa = { .sa_handler = pl_on_signal };
	const char *path;
	char busy[96];
	double t0, last;
	int err = 0;

	pl_parse_args(argc, argv, &app->o);
	libbpf_set_print(pl_libbpf_print);
	libxdp_set_print(pl_libxdp_print);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pl_check_sizes(&app->o))
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (app->o.replay) {
		if (app->o.nports) {
			pr_warn("--replay uses no interfaces: drop -i\n");
			return 2;
		}
		err = pl_core_init(1);
		if (err)
			return 1;
		pl_worker_set(0);
		app->ctl_user = pl_ctl_open_user();
		/* Same resolver as the native replay: ports are ifindexes. */
		err = app->ctl_user ? pl_load_policy(app, NULL) : -ENOMEM;
		if (!err)
			err = pl_replay(app);
		pl_ctl_close(app->ctl_user);
		pl_core_fini();
		return err ? 1 : 0;
	}
	if (!app->o.nports) {
		pr_warn("no interface: pass -i IF (one per port); --help for more\n");
		return 2;
	}

	app->nports = app->o.nports;
	for (unsigned i = 0; i < app->nports; i++) {
		struct pl_port *p = &app->port[i];

		p->idx = i;
		p->ifname = app->o.ifname[i];
		p->tap_fd = -1;
		p->ifindex = (int)if_nametoindex(p->ifname);
		if (!p->ifindex) {
			pr_warn("no interface %s (ip link shows the names)\n", p->ifname);
			return 2;
		}
		for (unsigned j = 0; j < i; j++)
			if (app->port[j].ifindex == p->ifindex) {
				pr_warn("%s given twice\n", p->ifname);
				return 2;
			}
		p->nqueues = pl_if_nqueues(p->ifname);
	}

	for (unsigned i = 0; i < app->nports; i++) {
		err = pl_port_load(app, &app->port[i]);
		if (err)
			goto unload_ports;
		err = pl_tap_open(app, &app->port[i]);
		if (err)
			goto unload_ports;
	}
	err = pl_setup_workers(app);
	if (err)
		goto destroy_workers;
	app->ctl_user = pl_ctl_open_user();
	if (app->o.placement == PL_PLACE_HYBRID)
		app->ctl_bpf = pl_ctl_open_bpf_obj(app->port[0].obj);
	if (!app->ctl_user || (app->o.placement == PL_PLACE_HYBRID && !app->ctl_bpf)) {
		pr_warn("cannot open the control library on the core's tables\n");
		err = -ENOMEM;
		goto close_ctl;
	}
	err = pl_load_policy(app, pl_resolve_port);
	if (err)
		goto close_ctl;
	path = app->o.placement == PL_PLACE_HYBRID ? "afxdp-hybrid" : "afxdp-user";
	if (app->o.metrics) {
		struct pl_err merr;

		err = pl_metrics_serve(app->o.metrics, path, pl_metrics_read, app, &app->metrics, &merr);
		if (err) {
			pr_warn("%s\n", merr.msg);
			goto close_ctl;
		}
		pr_info("metrics on http://%s/metrics (port %u)\n", app->o.metrics,
			pl_metrics_port(app->metrics));
	}
	if (!app->o.busy_poll_us)
		snprintf(busy, sizeof(busy), "off");
	else
		snprintf(busy, sizeof(busy), "%s%d us budget %d",
			 !app->busy_any ? "refused, off (asked " : app->busy_refused ? "partly refused, " : "",
			 app->o.busy_poll_us, app->o.busy_budget ? app->o.busy_budget : (int)app->o.batch);
	if (app->o.busy_poll_us && !app->busy_any)
		strncat(busy, ")", sizeof(busy) - strlen(busy) - 1);
	pr_info("%u port(s), %u worker(s), placement %s, %s mode, %s XDP, need_wakeup %s, busy poll %s, "
		"batch %u, tx budget %u, rings rx/tx/fill/comp %u/%u/%u/%u, frame %u, UMEM on %s\n",
		app->nports, app->nworkers, app->o.placement == PL_PLACE_HYBRID ? "hybrid" : "user",
		app->zc_any && app->copy_any ? "mixed zero-copy/copy"
					     : app->zc_any ? "zero-copy" : "copy",
		app->o.generic ? "generic" : "native", app->o.need_wakeup ? "on" : "off", busy, app->o.batch,
		app->copy_any ? (app->tx_budget ? app->tx_budget : 32) : app->o.batch,
		app->o.rx_size, app->o.tx_size, app->o.fill_size, app->o.comp_size, app->o.frame_size,
		app->o.hugepages ? "hugepages" : "normal pages");
	for (unsigned i = 0; i < app->nports; i++)
		if (app->port[i].tap_fd >= 0)
			pr_info("%s: PASS goes to TAP %s\n", app->port[i].ifname, app->port[i].tap_name);
	for (unsigned i = 0; i < app->nworkers; i++) {
		struct pl_worker *w = app->worker[i];

		char cpu[16] = "not pinned";

		if (w->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "CPU %d", w->cpu);
		for (unsigned p = 0; p < app->nports; p++)
			if (w->xsk[p])
				pr_info("socket %s queue %u: worker %u, %s, %s mode%s\n",
					w->xsk[p]->port->ifname, w->queue, w->id, cpu,
					w->xsk[p]->zero_copy ? "zero-copy" : "copy",
					w->xsk[p]->busy_poll ? ", busy poll" : "");
	}

	err = pl_start_workers(app, wc);
	t0 = last = pl_now();
	while (!err && !pl_stop) {
		double now;

		usleep(50000);
		now = pl_now();
		if (app->o.duration > 0 && now - t0 >= app->o.duration)
			break;
		if (now - last < app->o.interval)
			continue;
		if (!app->o.quiet) {
			pl_ctl_read_counters(app->ctl_user, &cur_u);
			if (app->ctl_bpf) {
				pl_ctl_read_counters(app->ctl_bpf, &cur_k);
				pl_stats_print(stdout, "afxdp-hybrid-xdp", now - t0, &prev_k, &cur_k,
					       now - last, pl_verbose);
				prev_k = cur_k;
				pl_stats_print(stdout, "afxdp-hybrid-user", now - t0, &prev_u, &cur_u,
					       now - last, pl_verbose);
			} else {
				pl_stats_print(stdout, path, now - t0, &prev_u, &cur_u, now - last,
					       pl_verbose);
			}
			prev_u = cur_u;
			pl_print_events(app, now - t0, prev_ev, &prev_ks);
		}
		last = now;
	}
	pl_stop = 1;
	for (unsigned i = 0; i < app->nworkers; i++)
		if (app->worker[i]->started)
			pthread_join(app->worker[i]->thread, NULL);
	pl_metrics_stop(app->metrics);
	app->metrics = NULL;
	{
		struct pl_counters fin_u, fin_k;

		/* Totals since start (rates over a 1 s "interval" = counts). */
		if (!pl_ctl_read_counters(app->ctl_user, &fin_u))
			pl_stats_print(stdout, app->ctl_bpf ? "afxdp-hybrid-user-total" : "afxdp-user-total",
				       pl_now() - t0, &(struct pl_counters){ { 0 } }, &fin_u, 1.0, 1);
		if (app->ctl_bpf && !pl_ctl_read_counters(app->ctl_bpf, &fin_k))
			pl_stats_print(stdout, "afxdp-hybrid-xdp-total", pl_now() - t0,
				       &(struct pl_counters){ { 0 } }, &fin_k, 1.0, 1);
	}
	pl_ctl_close(app->ctl_bpf);
	app->ctl_bpf = NULL;
	/* Detach first so nothing new arrives, then take every frame back. */
	for (unsigned i = 0; i < app->nports; i++)
		pl_port_unload(&app->port[i], app->o.generic);
	for (unsigned i = 0; i < app->nworkers; i++)
		pl_worker_drain(app, app->worker[i]);
	if (pl_report(app) && !err)
		err = -EFAULT;
close_ctl:
	pl_metrics_stop(app->metrics);
	pl_ctl_close(app->ctl_bpf);
	pl_ctl_close(app->ctl_user);
destroy_workers:
	for (unsigned i = 0; i < app->nworkers; i++) {
		if (app->worker[i]->started && !pl_stop) {
			pl_stop = 1;
			pthread_join(app->worker[i]->thread, NULL);
		}
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		pl_worker_destroy(app->worker[i]);
	pl_core_fini();
unload_ports:
	for (unsigned i = 0; i < app->nports; i++)
		pl_port_unload(&app->port[i], app->o.generic);
	return err ? 1 : 0;
}
