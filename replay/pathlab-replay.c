// SPDX-License-Identifier: MIT
/* pathlab-replay: differential replay of a pcap through the builds of the
 * pathlab core.
 *
 * Every frame of the pcap runs through the native core (libpathlab-core)
 * and through the BPF object (BPF_PROG_TEST_RUN on program `pathlab`), both
 * loaded with the same policy through libpathlab-ctl. Before frame i both
 * set cfg.clock_ns = PL_REPLAY_CLOCK_NS(i). The BPF object is loaded with
 * the rodata global pl_record_result = 1, so it records the core's own
 * verdict and out_port in pl_last_result (test_run alone shows only the XDP
 * action). The process is pinned to one CPU so every test_run uses the same
 * per-CPU state, and the native build runs as worker 0.
 *
 * It prints per frame the verdict and out_port of each build and whether the
 * output bytes are equal, every disagreement with a hex diff, and a summary;
 * it can write the results (plres, TEAM.md), compare with a plres file
 * written by another build (AF_XDP, DPDK), write the output frames as pcap,
 * and measure ns/packet (--bench) or instructions/packet (--callgrind).
 *
 * Exit: 0 all builds agree, 1 a disagreement, 2 usage, input or set-up
 * error. */
#include "pl_user.h"
#include "pl_ctl_bpf.h"
#include "pl_opts.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#ifndef PL_BPF_OBJ_BUILD
#define PL_BPF_OBJ_BUILD "build/xdp/pathlab.bpf.o"
#endif
#ifndef PL_BPF_OBJ_INSTALL
#define PL_BPF_OBJ_INSTALL "/usr/local/lib/pathlab/pathlab.bpf.o"
#endif

/* The frame layout BPF_PROG_TEST_RUN gives an XDP program (one page:
 * XDP_PACKET_HEADROOM, the frame, then skb_shared_info). The native build
 * gets the same headroom and tailroom, so head/tail adjustments succeed or
 * fail alike. */
#define PLR_HEADROOM 256u
#define PLR_SHINFO   320u /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), x86_64 */
#define PLR_PAGE     4096u
#define PLR_MAX_DATA (PLR_PAGE - PLR_HEADROOM - PLR_SHINFO) /* 3520 */
#define PLR_MIN_DATA 14u  /* ETH_HLEN: test_run refuses shorter frames */
#define PLR_SNAP_MAX 262144u

#define PLR_EXIT_OK       0
#define PLR_EXIT_DISAGREE 1
#define PLR_EXIT_USAGE    2

/* ---- Logging (stderr; the report goes to stdout) -------------------------- */
static int plr_verbosity = 1; /* 0 -q: warnings, 1: info, 2 -v: debug, 3 -vv: libbpf debug */

/* Print a log line at level (0 warn, 1 info, 2 debug). */
static void __attribute__((format(printf, 2, 3))) plr_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > plr_verbosity)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
#define pr_warn(...)  plr_log(0, "pathlab-replay: " __VA_ARGS__)
#define pr_info(...)  plr_log(1, "pathlab-replay: " __VA_ARGS__)
#define pr_debug(...) plr_log(2, "pathlab-replay: " __VA_ARGS__)

/* libbpf's messages, one level lower than libbpf rates them. */
static int plr_libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	int level = lvl == LIBBPF_WARN ? 1 : lvl == LIBBPF_INFO ? 2 : 3;

	if (level > plr_verbosity)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- Options: one table drives parsing and --help -------------------------- */
enum {
	O_RESULTS_OUT = 256,
	O_AGAINST,
	O_PCAP_OUT,
	O_PCAP_OUT_VERDICT,
	O_IN_PORT,
	O_RX_QUEUE,
	O_PORT,
	O_CPU,
	O_BENCH,
	O_REPEAT,
	O_NATIVE_REPEAT,
	O_ROUNDS,
	O_BENCH_FRAMES,
	O_CALLGRIND,
	O_NATIVE_LOOP,
	O_NATIVE_FN,
};

struct plr_opt_def {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
	unsigned long min, max; /* max != 0: a number in [min, max], checked by the parser */
};

static const struct plr_opt_def plr_opt_table[] = {
	{ "policy", required_argument, 'p', "FILE",
	  "policy for every build (docs/policy.md); default: the built-in defaults" },
	{ "builds", required_argument, 'b', "LIST",
	  "builds to run, comma-separated: native, bpf (default native,bpf);\n"
	  "the first one is the reference the others are compared with" },
	{ "obj", required_argument, 'o', "FILE",
	  "BPF object (default " PL_BPF_OBJ_BUILD ",\nthen " PL_BPF_OBJ_INSTALL ")" },
	{ "results-out", required_argument, O_RESULTS_OUT, "FILE",
	  "write the reference build's results as a plres file" },
	{ "against", required_argument, O_AGAINST, "FILE",
	  "compare the reference build with a plres file another build\n"
	  "wrote (AF_XDP, DPDK); default builds then: native only" },
	{ "pcap-out", required_argument, O_PCAP_OUT, "FILE",
	  "write the reference build's output frames as pcap" },
	{ "pcap-out-verdict", required_argument, O_PCAP_OUT_VERDICT, "LIST",
	  "with --pcap-out: only frames given these verdicts (e.g. tx,redirect)" },
	{ "in-port", required_argument, O_IN_PORT, "IF",
	  "receiving interface, name or ifindex (default lo, as test_run)" },
	{ "rx-queue", required_argument, O_RX_QUEUE, "N", "receiving queue (default 0)", 0, UINT32_MAX },
	{ "port", required_argument, O_PORT, "NAME=IFINDEX",
	  "resolve a port name of the policy to IFINDEX (repeatable);\n"
	  "other names are looked up in this network namespace, and\n"
	  "NAME * stands for every name not found there (e.g. --port '*=1')" },
	{ "cpu", required_argument, O_CPU, "N", "pin to CPU N (default: the CPU it starts on)", 0, CPU_SETSIZE - 1 },
	{ "quiet", no_argument, 'q', NULL, "print only disagreements and the summary" },
	{ "verbose", no_argument, 'v', NULL, "more messages (twice: libbpf's debug output too)" },
	{ "bench", no_argument, O_BENCH, NULL,
	  "measure ns/packet of the BPF program and of the native core, each\n"
	  "next to an empty baseline, on a 64-byte UDP frame and on PCAP" },
	{ "repeat", required_argument, O_REPEAT, "N",
	  "--bench: test_run repeat per BPF figure (default 1000000)", 1, UINT32_MAX },
	{ "native-repeat", required_argument, O_NATIVE_REPEAT, "N",
	  "--bench: packets per native figure (default 10000000)", 1, 1ul << 40 },
	{ "rounds", required_argument, O_ROUNDS, "N",
	  "--bench: measurements per figure, median shown (default 5)", 1, 1000 },
	{ "bench-frames", required_argument, O_BENCH_FRAMES, "N",
	  "--bench: at most N frames of PCAP, evenly spaced (default 64; each\n"
	  "test_run with a repeat swaps the XDP dispatcher and waits for RCU)", 1, 1000000 },
	{ "callgrind", required_argument, O_CALLGRIND, "N",
	  "instructions/packet of the native core: runs itself under\n"
	  "valgrind --tool=callgrind with N packets and with 0, and divides", 1, 1ul << 32 },
	{ "native-loop", required_argument, O_NATIVE_LOOP, "N",
	  "run only the native core N times over the frames, print nothing\n"
	  "(what --callgrind runs under valgrind)", 0, 1ul << 40 },
	{ "native-fn", required_argument, O_NATIVE_FN, "core|empty",
	  "with --native-loop: the core (default) or the empty baseline" },
	{ "help", no_argument, 'h', NULL, "this text" },
};
#define PLR_NOPTS (sizeof(plr_opt_table) / sizeof(plr_opt_table[0]))

enum plr_build { B_NATIVE, B_BPF, B__MAX };
static const char *const plr_build_names[B__MAX] = { "native", "bpf" };

struct plr_portmap {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
};

struct plr_opts {
	const char *pcap;
	const char *policy;
	const char *obj;
	const char *results_out;
	const char *against;
	const char *pcap_out;
	unsigned verdict_mask; /* --pcap-out-verdict; 0 = all */
	enum plr_build build[B__MAX];
	unsigned nbuilds;
	bool builds_given;
	const char *in_port;
	uint32_t ifindex;
	uint32_t rx_queue;
	struct plr_portmap port[PL_PORTS_MAX];
	unsigned nports;
	int cpu;
	bool bench;
	unsigned long repeat;
	unsigned long native_repeat;
	unsigned rounds;
	unsigned bench_frames;
	unsigned long callgrind;
	long native_loop; /* -1: off */
	bool native_fn_empty;
};

/* --help from the option table. */
static void plr_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS] PCAP\n"
		"       %s --bench [OPTIONS] [PCAP]\n"
		"       %s --callgrind N [OPTIONS] [PCAP]\n"
		"\n"
		"Replays every frame of PCAP (Ethernet, pcap format) through the native pathlab core\n"
		"and through the BPF object (BPF_PROG_TEST_RUN), with the same policy, and reports per\n"
		"frame (numbered from 0) the verdict and out_port of each build and whether the output\n"
		"bytes are equal, with a hex diff of every disagreement. Frames that test_run refuses\n"
		"(shorter than 14 or longer than %u bytes) are skipped for every build and reported.\n"
		"Before frame i every build sets clock_ns = PL_REPLAY_CLOCK_NS(i). Loading BPF needs\n"
		"root (or CAP_BPF and CAP_NET_ADMIN). Exit status: 0 all builds agree, 1 a disagreement,\n"
		"2 a usage, input or set-up error.\n"
		"\nOptions:\n",
		prog, prog, prog, PLR_MAX_DATA);
	for (size_t i = 0; i < PLR_NOPTS; i++) {
		const struct plr_opt_def *d = &plr_opt_table[i];
		char left[64];
		const char *h = d->help;

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", d->val < 128 ? "-" : " ",
			 d->val < 128 ? d->val : ' ', d->val < 128 ? ", " : "  ", d->name,
			 d->arg ? " " : "", d->arg ? d->arg : "");
		pl_opts_print_entry(f, left, 30, h);
	}
	fprintf(f,
		"\nplres files (--results-out, --against): a first line\n"
		"  # pathlab-results v1 build=NAME policy=FILE pcap=FILE\n"
		"then one line per frame: INDEX<TAB>VERDICT<TAB>OUT_PORT<TAB>OUTPUT BYTES IN LOWERCASE HEX.\n"
		"A frame one side lacks is a disagreement (unless shorter than 14 bytes).\n"
		"The speed figures and how they were taken: docs/performance.md.\n");
}

/* Parse an unsigned number; false if s is not one (or is above max). */
static bool plr_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max) {
		/* allow 1e6 style for repeat counts */
		double d = strtod(s, &end);

		if (*end || d < 0 || d > (double)max || d != (double)(unsigned long)d)
			return false;
		v = (unsigned long)d;
	}
	*out = v;
	return true;
}

/* Parse a comma-separated verdict list into a bit mask; 0 on error. */
static unsigned plr_parse_verdicts(const char *s)
{
	char buf[256], *tok, *save;
	unsigned mask = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = pl_verdict_parse(tok);

		if (v < 0)
			return 0;
		mask |= 1u << v;
	}
	return mask;
}

/* Parse --builds: names in order, each once. */
static bool plr_parse_builds(const char *s, struct plr_opts *o)
{
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", s);
	o->nbuilds = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned b;

		for (b = 0; b < B__MAX && strcmp(tok, plr_build_names[b]); b++)
			;
		if (b == B__MAX) {
			pr_warn("--builds: unknown build '%s' (known: native, bpf; AF_XDP and DPDK results come in with --against)\n",
				tok);
			return false;
		}
		for (unsigned i = 0; i < o->nbuilds; i++)
			if (o->build[i] == b) {
				pr_warn("--builds: '%s' named twice\n", tok);
				return false;
			}
		o->build[o->nbuilds++] = b;
	}
	if (!o->nbuilds)
		pr_warn("--builds: empty list\n");
	return o->nbuilds > 0;
}

/* Does the run include build b? */
static bool plr_has_build(const struct plr_opts *o, enum plr_build b)
{
	for (unsigned i = 0; i < o->nbuilds; i++)
		if (o->build[i] == b)
			return true;
	return false;
}

/* Parse the command line into o; returns 0, 1 for --help, or -EINVAL. */
static int plr_parse_args(int argc, char **argv, struct plr_opts *o)
{
	struct option lopts[PLR_NOPTS + 1];
	char shorts[2 * PLR_NOPTS + 1], *sp = shorts;
	unsigned long v;
	int c;

	memset(lopts, 0, sizeof(lopts));
	for (size_t i = 0; i < PLR_NOPTS; i++) {
		lopts[i].name = plr_opt_table[i].name;
		lopts[i].has_arg = plr_opt_table[i].has_arg;
		lopts[i].val = plr_opt_table[i].val;
		if (plr_opt_table[i].val < 128) {
			*sp++ = (char)plr_opt_table[i].val;
			if (plr_opt_table[i].has_arg == required_argument)
				*sp++ = ':';
		}
	}
	*sp = 0;

	o->cpu = -1;
	o->repeat = 1000000;
	o->native_repeat = 10000000;
	o->rounds = 5;
	o->bench_frames = 64;
	o->native_loop = -1;
	o->in_port = "lo";
	o->build[0] = B_NATIVE;
	o->build[1] = B_BPF;
	o->nbuilds = 2;

	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		for (size_t i = 0; i < PLR_NOPTS; i++) {
			const struct plr_opt_def *d = &plr_opt_table[i];

			if (d->val != c || !d->max)
				continue;
			if (!plr_parse_ulong(optarg, d->max, &v) || v < d->min) {
				pr_warn("--%s '%s': a number from %lu to %lu\n", d->name, optarg, d->min,
					d->max);
				return -EINVAL;
			}
		}
		switch (c) {
		case 'p':
			o->policy = optarg;
			break;
		case 'b':
			if (!plr_parse_builds(optarg, o))
				return -EINVAL;
			o->builds_given = true;
			break;
		case 'o':
			o->obj = optarg;
			break;
		case O_RESULTS_OUT:
			o->results_out = optarg;
			break;
		case O_AGAINST:
			o->against = optarg;
			break;
		case O_PCAP_OUT:
			o->pcap_out = optarg;
			break;
		case O_PCAP_OUT_VERDICT:
			o->verdict_mask = plr_parse_verdicts(optarg);
			if (!o->verdict_mask) {
				pr_warn("--pcap-out-verdict '%s': a comma-separated list of drop, pass, tx, redirect, user, aborted\n",
					optarg);
				return -EINVAL;
			}
			break;
		case O_IN_PORT:
			o->in_port = optarg;
			break;
		case O_RX_QUEUE:
			o->rx_queue = (uint32_t)v;
			break;
		case O_PORT: {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || (size_t)(eq - optarg) >= IF_NAMESIZE ||
			    !plr_parse_ulong(eq + 1, PL_PORTS_MAX - 1, &v) || !v) {
				pr_warn("--port '%s': expected NAME=IFINDEX with a name shorter than %d characters and 1 <= IFINDEX < %d\n",
					optarg, IF_NAMESIZE, PL_PORTS_MAX);
				return -EINVAL;
			}
			if (o->nports == PL_PORTS_MAX) {
				pr_warn("--port: at most %d mappings\n", PL_PORTS_MAX);
				return -EINVAL;
			}
			snprintf(o->port[o->nports].name, IF_NAMESIZE, "%.*s", (int)(eq - optarg), optarg);
			o->port[o->nports++].ifindex = (uint32_t)v;
			break;
		}
		case O_CPU:
			o->cpu = (int)v;
			break;
		case 'q':
			plr_verbosity = 0;
			break;
		case 'v':
			plr_verbosity = plr_verbosity < 2 ? 2 : 3;
			break;
		case O_BENCH:
			o->bench = true;
			break;
		case O_REPEAT:
			o->repeat = v;
			break;
		case O_NATIVE_REPEAT:
			o->native_repeat = v;
			break;
		case O_ROUNDS:
			o->rounds = (unsigned)v;
			break;
		case O_BENCH_FRAMES:
			o->bench_frames = (unsigned)v;
			break;
		case O_CALLGRIND:
			o->callgrind = v;
			break;
		case O_NATIVE_LOOP:
			o->native_loop = (long)v;
			break;
		case O_NATIVE_FN:
			if (strcmp(optarg, "core") && strcmp(optarg, "empty")) {
				pr_warn("--native-fn '%s': core or empty\n", optarg);
				return -EINVAL;
			}
			o->native_fn_empty = !strcmp(optarg, "empty");
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		o->pcap = argv[optind++];
	if (optind < argc) {
		pr_warn("one PCAP only ('%s' is extra)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->against && !o->builds_given) {
		o->build[0] = B_NATIVE;
		o->nbuilds = 1;
	}
	if ((o->bench || o->callgrind || o->native_loop >= 0) &&
	    (o->results_out || o->against || o->pcap_out)) {
		pr_warn("--bench, --callgrind and --native-loop measure; they do not take --results-out, --against or --pcap-out\n");
		return -EINVAL;
	}
	if (!o->pcap && !o->bench && !o->callgrind && o->native_loop < 0) {
		pr_warn("no PCAP given (see --help)\n");
		return -EINVAL;
	}
	if (o->verdict_mask && !o->pcap_out) {
		pr_warn("--pcap-out-verdict needs --pcap-out FILE\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- pcap input and output -------------------------------------------------- */
struct plr_frame {
	uint8_t *data;     /* captured bytes: what every build runs */
	uint32_t len;
	uint32_t wire_len; /* length on the wire */
	uint32_t ts_sec, ts_frac;
};

struct plr_pcap {
	const char *path;
	uint8_t *file;
	bool nsec;
	struct plr_frame *f;
	size_t n;
};

/* A 32-bit field of the file, in the file's byte order. */
static uint32_t plr_rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* Read a whole file; NULL with errno set. */
static uint8_t *plr_slurp(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (!errno || S_ISDIR(st.st_mode))
			errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto close_fd;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto close_fd;
	while (off < (size_t)st.st_size && (got = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)got;
	close(fd);
	*size = off;
	return buf;
close_fd:
	close(fd);
	return NULL;
}

/* Load an Ethernet pcap file. Errors name the file and what is wrong. */
static int plr_pcap_load(const char *path, struct plr_pcap *pc)
{
	size_t size, off = 24, cap = 0, shorter = 0;
	uint32_t magic, linktype;
	bool swapped;
	uint8_t *p;

	memset(pc, 0, sizeof(*pc));
	pc->path = path;
	p = plr_slurp(path, &size);
	if (!p) {
		pr_warn("%s: cannot read: %s\n", path, strerror(errno));
		return -errno;
	}
	pc->file = p;
	if (size < 4) {
		pr_warn("%s: not a pcap file (%zu bytes)\n", path, size);
		return -EINVAL;
	}
	memcpy(&magic, p, 4);
	swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	pc->nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (magic == 0x0a0d0d0a) {
		pr_warn("%s: is pcapng, not pcap; convert it: tcpdump -r %s -w OUT.pcap\n", path, path);
		return -EINVAL;
	}
	if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
		pr_warn("%s: not a pcap file (magic 0x%08x; expected 0xa1b2c3d4 or 0xa1b23c4d)\n", path,
			magic);
		return -EINVAL;
	}
	if (size < 24) {
		pr_warn("%s: truncated pcap file header (%zu of 24 bytes)\n", path, size);
		return -EINVAL;
	}
	linktype = plr_rd32(p + 20, swapped) & 0x0fffffff;
	if (linktype != 1) {
		pr_warn("%s: link type %u, not Ethernet (1): pathlab replays Ethernet frames\n", path,
			linktype);
		return -EINVAL;
	}
	while (off < size) {
		uint32_t incl, orig;

		if (size - off < 16) {
			pr_warn("%s: frame %zu: truncated record header at byte offset %zu (%zu of 16 bytes)\n",
				path, pc->n, off, size - off);
			return -EINVAL;
		}
		incl = plr_rd32(p + off + 8, swapped);
		orig = plr_rd32(p + off + 12, swapped);
		if (incl > PLR_SNAP_MAX) {
			pr_warn("%s: frame %zu at byte offset %zu: captured length %u is not plausible (corrupt file?)\n",
				path, pc->n, off, incl);
			return -EINVAL;
		}
		if (size - off - 16 < incl) {
			pr_warn("%s: frame %zu at byte offset %zu: truncated record (header says %u bytes, the file has %zu)\n",
				path, pc->n, off, incl, size - off - 16);
			return -EINVAL;
		}
		if (pc->n == cap) {
			struct plr_frame *nf;

			cap = cap ? 2 * cap : 256;
			nf = realloc(pc->f, cap * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			pc->f = nf;
		}
		pc->f[pc->n] = (struct plr_frame){
			.data = p + off + 16,
			.len = incl,
			.wire_len = orig,
			.ts_sec = plr_rd32(p + off, swapped),
			.ts_frac = plr_rd32(p + off + 4, swapped),
		};
		shorter += orig > incl;
		pc->n++;
		off += 16 + incl;
	}
	if (shorter)
		pr_info("%s: %zu frames were captured shorter than on the wire (snaplen); their captured bytes are replayed\n",
			path, shorter);
	return 0;
}

/* Free what plr_pcap_load allocated. */
static void plr_pcap_free(struct plr_pcap *pc)
{
	free(pc->f);
	free(pc->file);
	pc->f = NULL;
	pc->file = NULL;
}

/* Create a pcap file (Ethernet, micro- or nanosecond timestamps). */
static FILE *plr_pcap_create(const char *path, bool nsec)
{
	uint32_t hdr[6] = { nsec ? 0xa1b23c4d : 0xa1b2c3d4, 2 | (4u << 16), 0, 0, PLR_SNAP_MAX, 1 };
	FILE *f = fopen(path, "wb");

	if (!f)
		return NULL;
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

/* Append one frame. */
static int plr_pcap_write(FILE *f, const struct plr_frame *in, const uint8_t *data, uint32_t len)
{
	uint32_t rec[4] = { in->ts_sec, in->ts_frac, len, len };

	if (fwrite(rec, sizeof(rec), 1, f) != 1 || (len && fwrite(data, len, 1, f) != 1))
		return -EIO;
	return 0;
}

/* ---- Results -------------------------------------------------------------------- */
enum plr_state { PLR_NONE = 0, PLR_DONE, PLR_SKIPPED };

struct plr_result {
	uint8_t state;
	int verdict;
	uint32_t out_port;
	int xdp_action; /* BPF only; -1 elsewhere */
	uint32_t len;
	uint8_t *data;  /* output frame */
};

/* What one build (or one plres file) said about every frame. */
struct plr_side {
	char name[64];
	struct plr_result *r;
	unsigned long vcount[PL_VERDICT__MAX];
};

/* Allocate results for n frames. */
static int plr_side_init(struct plr_side *s, const char *name, size_t n)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->r = calloc(n ? n : 1, sizeof(*s->r));
	return s->r ? 0 : -ENOMEM;
}

/* Free one side's results; accepts a zeroed side. */
static void plr_side_free(struct plr_side *s, size_t n)
{
	if (!s->r)
		return;
	for (size_t i = 0; i < n; i++)
		free(s->r[i].data);
	free(s->r);
	s->r = NULL;
}

/* Record one frame's result (copies the bytes). */
static int plr_side_set(struct plr_side *s, size_t i, int verdict, uint32_t out_port,
			const uint8_t *data, uint32_t len, int xdp_action)
{
	struct plr_result *r = &s->r[i];

	r->data = malloc(len ? len : 1);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, data, len);
	r->len = len;
	r->state = PLR_DONE;
	r->verdict = verdict;
	r->out_port = out_port;
	r->xdp_action = xdp_action;
	if (verdict >= 0 && verdict < PL_VERDICT__MAX)
		s->vcount[verdict]++;
	return 0;
}

/* Write a side's results as a plres file (TEAM.md). */
static int plr_plres_write(const char *path, const struct plr_side *s, const struct plr_pcap *pc,
			   const char *policy)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		pr_warn("--results-out %s: cannot create: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "# pathlab-results v1 build=%s policy=%s pcap=%s\n", s->name,
		policy ? policy : "none", pc->path);
	for (size_t i = 0; i < pc->n; i++) {
		const struct plr_result *r = &s->r[i];

		if (r->state != PLR_DONE)
			continue;
		fprintf(f, "%zu\t%s\t%u\t", i, pl_verdict_name(r->verdict), r->out_port);
		for (uint32_t j = 0; j < r->len; j++)
			fprintf(f, "%02x", r->data[j]);
		fputc('\n', f);
	}
	if (fclose(f)) {
		pr_warn("--results-out %s: write failed: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Value of a hex digit, or -1. */
static int plr_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read a plres file written by another build into s (frames of pc). */
static int plr_plres_load(const char *path, const struct plr_pcap *pc, struct plr_side *s)
{
	char *line = NULL, *b, *fields[4];
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int err = -EINVAL;
	FILE *f = fopen(path, "r");

	if (!f) {
		pr_warn("--against %s: cannot open: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		unsigned long idx, port;
		uint8_t *bytes;
		size_t hexlen, nf = 0;
		int v;

		lineno++;
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = 0;
		if (lineno == 1) {
			char name[64] = "";

			if (strncmp(line, "# pathlab-results v1", 20)) {
				pr_warn("%s:1: not a pathlab results file (the first line must be '# pathlab-results v1 build=NAME ...')\n",
					path);
				goto free_line;
			}
			const char *base = strrchr(path, '/');
			char side[64];

			b = strstr(line, " build=");
			if (b)
				sscanf(b + 7, "%24[^ ]", name);
			/* "afxdp@run1.plres": the build, and which file said it */
			snprintf(side, sizeof(side), "%s@%.32s", name[0] ? name : "?", base ? base + 1 : path);
			if (plr_side_init(s, side, pc->n)) {
				err = -ENOMEM;
				goto free_line;
			}
			continue;
		}
		if (!got || line[0] == '#')
			continue;
		/* split at tabs; the bytes field is empty for an empty frame */
		for (b = line; nf < 4; nf++) {
			fields[nf] = b;
			b = strchr(b, '\t');
			if (!b)
				break;
			*b++ = 0;
		}
		if (nf != 3 || b) {
			pr_warn("%s:%zu: expected 4 tab-separated fields: index, verdict, out_port, hex bytes\n",
				path, lineno);
			goto free_line;
		}
		if (!plr_parse_ulong(fields[0], ~0ul, &idx)) {
			pr_warn("%s:%zu: bad frame index '%s'\n", path, lineno, fields[0]);
			goto free_line;
		}
		if (idx >= pc->n) {
			pr_warn("%s:%zu: frame %lu, but %s has %zu frames (results of another pcap?)\n", path,
				lineno, idx, pc->path, pc->n);
			goto free_line;
		}
		if (s->r[idx].state) {
			pr_warn("%s:%zu: frame %lu listed twice\n", path, lineno, idx);
			goto free_line;
		}
		v = pl_verdict_parse(fields[1]);
		if (v < 0) {
			pr_warn("%s:%zu: unknown verdict '%s' (drop, pass, tx, redirect, user, aborted)\n", path,
				lineno, fields[1]);
			goto free_line;
		}
		if (!plr_parse_ulong(fields[2], UINT32_MAX, &port)) {
			pr_warn("%s:%zu: bad out_port '%s'\n", path, lineno, fields[2]);
			goto free_line;
		}
		hexlen = strlen(fields[3]);
		if (hexlen % 2) {
			pr_warn("%s:%zu: odd number of hex digits (%zu)\n", path, lineno, hexlen);
			goto free_line;
		}
		bytes = (uint8_t *)fields[3]; /* decoded in place: output is half the size */
		for (size_t j = 0; j < hexlen; j += 2) {
			int hi = plr_hexval(fields[3][j]), lo = plr_hexval(fields[3][j + 1]);

			if (hi < 0 || lo < 0) {
				pr_warn("%s:%zu: not a hex digit at byte %zu of the frame field\n", path,
					lineno, j + (hi < 0 ? 0 : 1));
				goto free_line;
			}
			bytes[j / 2] = (uint8_t)(hi << 4 | lo);
		}
		if (plr_side_set(s, idx, v, (uint32_t)port, bytes, (uint32_t)(hexlen / 2), -1)) {
			err = -ENOMEM;
			goto free_line;
		}
	}
	if (lineno == 0) {
		pr_warn("%s: empty file (not a pathlab results file)\n", path);
		goto free_line;
	}
	err = 0;
free_line:
	free(line);
	fclose(f);
	return err;
}

/* ---- Port names ---------------------------------------------------------------- */

/* Resolver for pl_policy_apply: --port mappings first, then the kernel's. */
static int plr_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	const struct plr_opts *o = arg;
	int err;

	for (unsigned i = 0; i < o->nports; i++)
		if (!strcmp(o->port[i].name, name)) {
			*ifindex = *out_port = o->port[i].ifindex;
			return 0;
		}
	err = pl_port_resolve_ifname(NULL, name, ifindex, out_port);
	if (err == -ENOENT)
		for (unsigned i = 0; i < o->nports; i++)
			if (!strcmp(o->port[i].name, "*")) {
				*ifindex = *out_port = o->port[i].ifindex;
				return 0;
			}
	return err;
}

/* --in-port: a --port name, an interface name, or an ifindex. */
static int plr_resolve_in_port(struct plr_opts *o)
{
	unsigned long v;
	uint32_t port;

	if (!plr_resolve(o, o->in_port, &o->ifindex, &port))
		return 0;
	o->ifindex = if_nametoindex(o->in_port);
	if (o->ifindex)
		return 0;
	if (plr_parse_ulong(o->in_port, UINT32_MAX, &v) && v) {
		o->ifindex = (uint32_t)v;
		return 0;
	}
	pr_warn("--in-port '%s': no such interface here (give a name from `ip link`, an ifindex, or map it with --port)\n",
		o->in_port);
	return -ENOENT;
}

/* Parse the policy (NULL when none was given). */
static int plr_policy_load(const struct plr_opts *o, struct pl_policy **p)
{
	struct pl_err err;

	*p = NULL;
	if (!o->policy)
		return 0;
	if (pl_policy_parse_file(o->policy, p, &err)) {
		pr_warn("policy error: %s\n", err.msg);
		return -EINVAL;
	}
	return 0;
}

/* Apply the policy through a backend; errors say file:line and what to try. */
static int plr_policy_apply(struct pl_ctl *c, const struct pl_policy *p, struct plr_opts *o,
			    const char *build)
{
	struct pl_err err;
	int ret;

	if (!p)
		return 0;
	ret = pl_policy_apply(c, p, plr_resolve, o, &err);
	if (ret)
		pr_warn("%s build: policy error: %s%s\n", build, err.msg,
			ret == -ENOENT ? " (for a replay, map a port name with --port NAME=IFINDEX)" : "");
	return ret;
}

/* ---- The native build ---------------------------------------------------------- */
typedef int (*plr_process_fn)(struct pl_buf *b, uint32_t *out_port);

struct plr_native {
	struct pl_ctl *ctl;
	uint8_t *buf;
	size_t bufsz;
};

/* Initialise the core with one worker (this thread) and apply the policy. */
static int plr_native_open(struct plr_native *n, const struct pl_policy *p, struct plr_opts *o)
{
	int err = pl_core_init(1);

	if (err) {
		pr_warn("native build: pl_core_init: %s\n", strerror(-err));
		return err;
	}
	pl_worker_set(0);
	n->ctl = pl_ctl_open_user();
	if (!n->ctl) {
		err = -errno;
		pr_warn("native build: cannot open the user-space tables: %s\n", strerror(errno));
		goto fini_core;
	}
	err = plr_policy_apply(n->ctl, p, o, "native");
	if (err)
		goto close_ctl;
	return 0;
close_ctl:
	pl_ctl_close(n->ctl);
	n->ctl = NULL;
fini_core:
	pl_core_fini();
	return err;
}

/* Undo plr_native_open; accepts a zeroed struct. */
static void plr_native_close(struct plr_native *n)
{
	if (!n->ctl)
		return;
	pl_ctl_close(n->ctl);
	n->ctl = NULL;
	free(n->buf);
	n->buf = NULL;
	pl_core_fini();
}

/* Set the configured "now" of a backend (replay clock). */
static int plr_set_clock(struct pl_ctl *c, uint64_t ns)
{
	struct pl_config cfg;
	int err = pl_ctl_get_config(c, &cfg);

	if (err)
		return err;
	cfg.clock_ns = ns;
	return pl_ctl_set_config(c, &cfg);
}

/* Lay a frame out as test_run does: headroom before, tailroom to the page. */
static struct pl_buf plr_native_buf(uint8_t *mem, const struct plr_frame *f, const struct plr_opts *o)
{
	uint32_t room = f->len > PLR_MAX_DATA ? f->len : PLR_MAX_DATA;

	memcpy(mem + PLR_HEADROOM, f->data, f->len);
	return (struct pl_buf){
		.data = mem + PLR_HEADROOM,
		.len = f->len,
		.headroom = PLR_HEADROOM,
		.tailroom = room - f->len,
		.ifindex = o->ifindex,
		.rx_queue = o->rx_queue,
	};
}

/* Run frame i through the native core and record the result. */
static int plr_native_run(struct plr_native *n, const struct plr_frame *f, size_t i,
			  const struct plr_opts *o, struct plr_side *s)
{
	size_t need = PLR_HEADROOM + (f->len > PLR_MAX_DATA ? f->len : PLR_MAX_DATA);
	struct pl_buf b;
	uint32_t port = 0;
	int v, err;

	if (need > n->bufsz) {
		uint8_t *nb = realloc(n->buf, need);

		if (!nb)
			return -ENOMEM;
		n->buf = nb;
		n->bufsz = need;
	}
	err = plr_set_clock(n->ctl, PL_REPLAY_CLOCK_NS(i));
	if (err) {
		pr_warn("native build: cannot set the replay clock: %s\n", strerror(-err));
		return err;
	}
	b = plr_native_buf(n->buf, f, o);
	v = pl_core_process(&b, &port);
	return plr_side_set(s, i, v, port, b.data, b.len, -1);
}

/* The native baseline: the same call path as pl_core_process, no work. */
static __attribute__((noinline)) int plr_empty_process(struct pl_buf *b, uint32_t *out_port)
{
	__asm__ volatile("" : : "r"(b), "r"(out_port) : "memory");
	return PL_PASS;
}

/* ---- The BPF build -------------------------------------------------------------- */
struct plr_bpf {
	struct bpf_object *obj;
	struct pl_ctl *ctl;
	int prog_fd;
	int empty_fd;
	int rec_fd;
	unsigned ncpus;
	int cpu;
	uint64_t seq;
	bool record;
};

/* The object path: --obj, else the build tree's, else the installed one. */
static const char *plr_obj_path(const struct plr_opts *o)
{
	if (o->obj)
		return o->obj;
	if (!access(PL_BPF_OBJ_BUILD, R_OK))
		return PL_BPF_OBJ_BUILD;
	if (!access(PL_BPF_OBJ_INSTALL, R_OK))
		return PL_BPF_OBJ_INSTALL;
	return NULL;
}

/* A program's fd by name, or -ENOENT. */
static int plr_prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

/* Open and load the BPF object (record: set pl_record_result), write the
 * default configuration and apply the policy. */
static int plr_bpf_open(struct plr_bpf *k, const struct pl_policy *p, struct plr_opts *o, bool record)
{
	const char *path = plr_obj_path(o);
	struct bpf_map *rec;
	int err;

	memset(k, 0, sizeof(*k));
	k->record = record;
	k->cpu = o->cpu;
	if (!path) {
		pr_warn("bpf build: no BPF object at %s or %s (build it with `ninja -C build`, or give --obj FILE, or replay with --builds native)\n",
			PL_BPF_OBJ_BUILD, PL_BPF_OBJ_INSTALL);
		return -ENOENT;
	}
	k->obj = bpf_object__open_file(path, NULL);
	if (!k->obj) {
		err = -errno;
		pr_warn("bpf build: cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	err = pl_ctl_bpf_set_rodata_u32(k->obj, "pl_record_result", record);
	if (err) {
		pr_warn("bpf build: %s has no rodata global pl_record_result (%s): not a pathlab object, or an old one\n",
			path, strerror(-err));
		goto close_obj;
	}
	err = bpf_object__load(k->obj);
	if (err == -EPERM || err == -EACCES) {
		pr_warn("bpf build: loading %s was refused (%s): loading BPF needs privileges; run as root, or give the binary CAP_BPF and CAP_NET_ADMIN (sudo setcap cap_bpf,cap_net_admin+ep pathlab-replay), or replay only the native build with --builds native\n",
			path, strerror(-err));
		goto close_obj;
	}
	if (err) {
		pr_warn("bpf build: loading %s failed: %s (the verifier's log is above; with -q it is hidden)\n",
			path, strerror(-err));
		goto close_obj;
	}
	k->prog_fd = plr_prog_fd(k->obj, "pathlab");
	k->empty_fd = plr_prog_fd(k->obj, "pathlab_empty");
	rec = bpf_object__find_map_by_name(k->obj, "pl_last_result");
	if (k->prog_fd < 0 || k->empty_fd < 0 || !rec) {
		pr_warn("bpf build: %s lacks program pathlab, pathlab_empty or map pl_last_result\n", path);
		err = -ENOENT;
		goto close_obj;
	}
	k->rec_fd = bpf_map__fd(rec);
	k->ncpus = (unsigned)libbpf_num_possible_cpus();
	k->ctl = pl_ctl_open_bpf_obj(k->obj);
	if (!k->ctl) {
		err = -errno;
		pr_warn("bpf build: cannot open the object's maps: %s\n", strerror(errno));
		goto close_obj;
	}
	err = pl_ctl_init_config(k->ctl);
	if (err) {
		pr_warn("bpf build: cannot write the default configuration: %s\n", strerror(-err));
		goto close_ctl;
	}
	err = plr_policy_apply(k->ctl, p, o, "bpf");
	if (err)
		goto close_ctl;
	pr_debug("bpf build: %s loaded (record=%d)\n", path, record);
	return 0;
close_ctl:
	pl_ctl_close(k->ctl);
	k->ctl = NULL;
close_obj:
	bpf_object__close(k->obj);
	k->obj = NULL;
	return err;
}

/* Undo plr_bpf_open; accepts a zeroed struct. */
static void plr_bpf_close(struct plr_bpf *k)
{
	pl_ctl_close(k->ctl);
	k->ctl = NULL;
	bpf_object__close(k->obj);
	k->obj = NULL;
}

/* test_run one frame on fd with repeat; fills the output and the XDP
 * action. Returns 0 or -errno. */
static int plr_bpf_test_run(int fd, const struct plr_frame *f, const struct plr_opts *o,
			    unsigned long repeat, uint8_t *out, uint32_t *out_len, int *action,
			    uint32_t *duration)
{
	struct xdp_md ctx = {
		.data_end = f->len,
		.ingress_ifindex = o->ifindex,
		.rx_queue_index = o->rx_queue,
	};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f->data, .data_size_in = f->len,
		    .data_out = out, .data_size_out = out ? PLR_PAGE : 0, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = (int)repeat);

	if (bpf_prog_test_run_opts(fd, &t))
		return -errno;
	if (out_len)
		*out_len = t.data_size_out;
	if (action)
		*action = (int)t.retval;
	if (duration)
		*duration = t.duration;
	return 0;
}

/* The XDP action names, for notes. */
static const char *plr_xdp_action_name(int a)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return a >= 0 && a < 5 ? names[a] : "XDP_?";
}

/* Run frame i through the BPF program and read the core's own verdict. */
static int plr_bpf_run(struct plr_bpf *k, const struct plr_frame *f, size_t i,
		       const struct plr_opts *o, struct plr_side *s)
{
	struct pl_result_rec *rec;
	uint8_t out[PLR_PAGE];
	uint32_t out_len = 0;
	int err, action = 0;

	err = plr_set_clock(k->ctl, PL_REPLAY_CLOCK_NS(i));
	if (err) {
		pr_warn("bpf build: cannot set the replay clock: %s\n", strerror(-err));
		return err;
	}
	err = plr_bpf_test_run(k->prog_fd, f, o, 1, out, &out_len, &action, NULL);
	if (err) {
		pr_warn("bpf build: frame %zu (%u bytes): BPF_PROG_TEST_RUN failed: %s\n", i, f->len,
			strerror(-err));
		return err;
	}
	rec = calloc(k->ncpus, PL_CTL_PERCPU_STRIDE(sizeof(*rec)));
	if (!rec)
		return -ENOMEM;
	err = bpf_map_lookup_elem(k->rec_fd, &(uint32_t){ 0 }, rec) ? -errno : 0;
	if (!err) {
		struct pl_result_rec r = rec[k->cpu];

		free(rec);
		if (r.seq != ++k->seq) {
			pr_warn("bpf build: frame %zu: pl_last_result on CPU %d has seq %llu, expected %llu (did the run move to another CPU?)\n",
				i, k->cpu, (unsigned long long)r.seq, (unsigned long long)k->seq);
			return -EIO;
		}
		return plr_side_set(s, i, (int)r.verdict, r.out_port, out, out_len, action);
	}
	free(rec);
	pr_warn("bpf build: cannot read pl_last_result: %s\n", strerror(-err));
	return err;
}

/* The XDP action pathlab.bpf.c gives verdict v (test_run, no AF_XDP socket,
 * a devmap entry for REDIRECT). */
static int plr_expected_action(int v)
{
	switch (v) {
	case PL_DROP: return 1;
	case PL_PASS: return 2;
	case PL_TX: return 3;
	case PL_REDIRECT: return 4;
	case PL_USER: return 2;
	default: return 0;
	}
}

/* ---- Comparison and report ------------------------------------------------------ */

/* Print a hex window of both frames around the first differing byte. */
static void plr_hexdiff(const char *an, const struct plr_result *a, const char *bn,
			const struct plr_result *b)
{
	uint32_t min = a->len < b->len ? a->len : b->len, d = 0, start, end;
	int w = (int)(strlen(an) > strlen(bn) ? strlen(an) : strlen(bn));

	while (d < min && a->data[d] == b->data[d])
		d++;
	printf("        bytes differ at offset %u (0x%x): %s has %u bytes, %s %u\n", d, d, an, a->len,
	       bn, b->len);
	start = d & ~15u;
	end = start + 32;
	for (uint32_t row = start; row < end; row += 16) {
		const struct plr_result *side[2] = { a, b };
		const char *names[2] = { an, bn };

		if (row >= a->len && row >= b->len)
			break;
		for (int s = 0; s < 2; s++) {
			printf("        %-*s %04x:", w, names[s], row);
			for (uint32_t j = row; j < row + 16; j++)
				if (j < side[s]->len)
					printf(" %02x", side[s]->data[j]);
				else
					printf("   ");
			printf("\n");
		}
		{
			char marks[16 * 3 + 1] = "";
			int last = -1;

			for (uint32_t j = row; j < row + 16; j++) {
				bool in_a = j < a->len, in_b = j < b->len;
				bool differ = in_a != in_b || (in_a && a->data[j] != b->data[j]);

				strcat(marks, differ ? " ^^" : "   ");
				if (differ)
					last = (int)(j - row);
			}
			if (last >= 0)
				printf("        %-*s      %.*s\n", w, "", 3 * (last + 1), marks);
		}
	}
}

/* A result as "verdict" or "verdict:port". */
static const char *plr_fmt_result(const struct plr_result *r, char *buf, size_t len)
{
	if (r->state == PLR_SKIPPED)
		return "skipped";
	if (r->state != PLR_DONE)
		return "-";
	if (r->verdict == PL_REDIRECT || r->out_port)
		snprintf(buf, len, "%s:%u", pl_verdict_name(r->verdict), r->out_port);
	else
		snprintf(buf, len, "%s", pl_verdict_name(r->verdict));
	return buf;
}

/* Width of a build's column in the per-frame report. */
static int plr_colw = 14;

struct plr_summary {
	size_t compared;
	size_t skipped;
	size_t not_compared;
	size_t disagreements;
	size_t notes;
};

/* Compare frame i of every side with the reference (side 0), print its
 * line and the details of any disagreement. */
static void plr_compare_frame(size_t i, const struct plr_frame *in, struct plr_side *sides,
			      unsigned nsides, const char *skip_why, struct plr_summary *sum)
{
	const struct plr_result *ref = &sides[0].r[i];
	char why[256] = "", buf[48];
	bool disagree = false, bytes_equal = true, any = false;

	for (unsigned s = 1; s < nsides; s++) {
		const struct plr_result *r = &sides[s].r[i];

		if (ref->state != PLR_DONE || r->state != PLR_DONE) {
			if (ref->state == PLR_DONE || r->state == PLR_DONE) {
				if (in->len < PLR_MIN_DATA)
					continue; /* no NIC path carries it either */
				disagree = true;
				snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s has no result",
					 why[0] ? "; " : "", ref->state == PLR_DONE ? sides[s].name : sides[0].name);
			}
			continue;
		}
		any = true;
		if (r->verdict != ref->verdict || r->out_port != ref->out_port) {
			disagree = true;
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s %s", why[0] ? "; " : "",
				 sides[s].name, r->verdict != ref->verdict ? "verdict" : "out_port");
		}
		if (r->len != ref->len || memcmp(r->data, ref->data, r->len)) {
			disagree = true;
			bytes_equal = false;
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s bytes", why[0] ? "; " : "",
				 sides[s].name);
		}
	}
	if (ref->state == PLR_SKIPPED)
		sum->skipped++;
	else if (any && !disagree)
		sum->compared++;
	else if (!any && !disagree && nsides > 1)
		sum->not_compared++;
	if (disagree) {
		sum->disagreements++;
		sum->compared += any;
	}
	if (!disagree && plr_verbosity == 0)
		return;

	printf("%6zu", i);
	for (unsigned s = 0; s < nsides; s++)
		printf("  %-*s", plr_colw, plr_fmt_result(&sides[s].r[i], buf, sizeof(buf)));
	if (ref->state == PLR_SKIPPED)
		printf("  %-6s  skipped: %s\n", "-", skip_why);
	else if (nsides == 1 || !any)
		printf("  %-6s%s%s\n", "-", disagree ? "  DISAGREE: " : "", disagree ? why : "");
	else
		printf("  %-6s%s%s\n", bytes_equal ? "equal" : "differ", disagree ? "  DISAGREE: " : "",
		       disagree ? why : "");

	/* Details: each side against the reference. */
	for (unsigned s = 0; s < nsides; s++) {
		const struct plr_result *r = &sides[s].r[i];

		if (r->state == PLR_DONE && r->xdp_action >= 0 &&
		    r->xdp_action != plr_expected_action(r->verdict)) {
			printf("        note: %s gave XDP action %s for verdict %s%s\n", sides[s].name,
			       plr_xdp_action_name(r->xdp_action), pl_verdict_name(r->verdict),
			       r->verdict == PL_REDIRECT ? " (no pl_tx_ports entry for that port?)" : "");
			sum->notes++;
		}
		if (!s || !disagree || r->state != PLR_DONE || ref->state != PLR_DONE)
			continue;
		if (r->verdict != ref->verdict || r->out_port != ref->out_port)
			printf("        %s: %s out_port %u; %s: %s out_port %u\n", sides[0].name,
			       pl_verdict_name(ref->verdict), ref->out_port, sides[s].name,
			       pl_verdict_name(r->verdict), r->out_port);
		if (r->len != ref->len || memcmp(r->data, ref->data, r->len))
			plr_hexdiff(sides[0].name, ref, sides[s].name, r);
	}
}

/* Compare the counters of the native and BPF builds (both saw the same
 * frames); prints every difference, returns their number. */
static size_t plr_compare_counters(struct pl_ctl *n, struct pl_ctl *b)
{
	struct pl_counters cn, cb;
	size_t diff = 0;

	if (pl_ctl_read_counters(n, &cn) || pl_ctl_read_counters(b, &cb)) {
		pr_warn("cannot read the counters back\n");
		return 1;
	}
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (cn.c[i] != cb.c[i]) {
			if (!diff)
				printf("counters DISAGREE:\n");
			printf("        %-20s native %llu  bpf %llu\n", pl_counter_name(i),
			       (unsigned long long)cn.c[i], (unsigned long long)cb.c[i]);
			diff++;
		}
	if (!diff)
		printf("counters: native and bpf equal (%d counters, rx_packets %llu)\n", PL_CNT__MAX,
		       (unsigned long long)cn.c[PL_CNT_RX_PACKETS]);
	return diff;
}

/* ---- CPU pinning ------------------------------------------------------------------ */

/* Pin the process to one CPU (o->cpu, or the one it is on). */
static int plr_pin(struct plr_opts *o)
{
	cpu_set_t set;

	if (o->cpu < 0)
		o->cpu = sched_getcpu();
	if (o->cpu < 0)
		o->cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(o->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		pr_warn("cannot pin to CPU %d: %s (choose an allowed one with --cpu; see taskset -p $$)\n",
			o->cpu, strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- Replay ------------------------------------------------------------------------ */

/* Why frame f cannot run through test_run, or NULL. */
static const char *plr_skip_reason(const struct plr_frame *f)
{
	if (f->len < PLR_MIN_DATA)
		return "shorter than an Ethernet header (14 bytes): BPF_PROG_TEST_RUN refuses it";
	if (f->len > PLR_MAX_DATA)
		return "longer than one page of test_run data (3520 bytes) and the program is not frags-aware";
	return NULL;
}

/* The replay: every frame through every build, compare, report. */
static int plr_replay(struct plr_opts *o, const struct pl_policy *policy, struct plr_pcap *pc)
{
	struct plr_side sides[B__MAX + 1];
	struct plr_native nat = { 0 };
	struct plr_bpf bpf = { 0 };
	struct plr_summary sum = { 0 };
	unsigned nsides = 0, s_of[B__MAX];
	size_t ncounter_diff = 0;
	int err, ret = PLR_EXIT_USAGE;
	bool has_bpf = plr_has_build(o, B_BPF);

	memset(sides, 0, sizeof(sides));
	for (unsigned i = 0; i < o->nbuilds; i++) {
		s_of[o->build[i]] = nsides;
		if (plr_side_init(&sides[nsides++], plr_build_names[o->build[i]], pc->n))
			goto free_sides;
	}
	if (plr_has_build(o, B_NATIVE) && plr_native_open(&nat, policy, o))
		goto free_sides;
	if (has_bpf && plr_bpf_open(&bpf, policy, o, true))
		goto close_builds;
	if (o->against && plr_plres_load(o->against, pc, &sides[nsides++]))
		goto close_builds;

	for (size_t i = 0; i < pc->n; i++) {
		const struct plr_frame *f = &pc->f[i];

		if (has_bpf && plr_skip_reason(f)) {
			for (unsigned b = 0; b < o->nbuilds; b++)
				sides[b].r[i].state = PLR_SKIPPED;
			continue;
		}
		for (unsigned b = 0; b < o->nbuilds; b++) {
			struct plr_side *s = &sides[s_of[o->build[b]]];

			err = o->build[b] == B_NATIVE ? plr_native_run(&nat, f, i, o, s)
						      : plr_bpf_run(&bpf, f, i, o, s);
			if (err)
				goto close_builds;
		}
	}

	for (unsigned s = 0; s < nsides; s++)
		if ((int)strlen(sides[s].name) > plr_colw)
			plr_colw = (int)strlen(sides[s].name);
	if (plr_verbosity > 0) {
		printf("%6s", "frame");
		for (unsigned s = 0; s < nsides; s++)
			printf("  %-*s", plr_colw, sides[s].name);
		printf("  %-6s\n", nsides > 1 ? "bytes" : "");
	}
	for (size_t i = 0; i < pc->n; i++) {
		const char *why = plr_skip_reason(&pc->f[i]);

		plr_compare_frame(i, &pc->f[i], sides, nsides, why ? why : "", &sum);
	}
	if (plr_has_build(o, B_NATIVE) && has_bpf)
		ncounter_diff = plr_compare_counters(nat.ctl, bpf.ctl);

	printf("summary: %zu frames, %zu compared, %zu skipped", pc->n, sum.compared, sum.skipped);
	if (sum.not_compared)
		printf(", %zu not compared (shorter than 14 bytes, absent from %s)", sum.not_compared,
		       sides[nsides - 1].name);
	printf("\n");
	for (unsigned s = 0; s < nsides; s++) {
		printf("  %-*s", plr_colw, sides[s].name);
		for (int v = 0; v < PL_VERDICT__MAX; v++)
			printf(" %s=%lu", pl_verdict_name(v), sides[s].vcount[v]);
		printf("\n");
	}
	if (sum.notes)
		printf("  notes: %zu (XDP action not the one the verdict maps to; see above)\n", sum.notes);
	printf("  disagreements: %zu frames%s\n", sum.disagreements,
	       ncounter_diff ? ", and the counters" : "");
	if (nsides < 2)
		printf("  (one build only: nothing compared)\n");
	ret = sum.disagreements || ncounter_diff ? PLR_EXIT_DISAGREE : PLR_EXIT_OK;

	if (o->results_out && plr_plres_write(o->results_out, &sides[0], pc, o->policy))
		ret = PLR_EXIT_USAGE;
	if (o->pcap_out) {
		FILE *f = plr_pcap_create(o->pcap_out, pc->nsec);
		size_t written = 0;

		if (!f) {
			pr_warn("--pcap-out %s: cannot create: %s\n", o->pcap_out, strerror(errno));
			ret = PLR_EXIT_USAGE;
		} else {
			for (size_t i = 0; i < pc->n; i++) {
				const struct plr_result *r = &sides[0].r[i];

				if (r->state != PLR_DONE ||
				    (o->verdict_mask && !(o->verdict_mask & (1u << r->verdict))))
					continue;
				if (plr_pcap_write(f, &pc->f[i], r->data, r->len))
					break;
				written++;
			}
			if (fclose(f)) {
				pr_warn("--pcap-out %s: write failed: %s\n", o->pcap_out, strerror(errno));
				ret = PLR_EXIT_USAGE;
			} else {
				pr_info("%s: %zu frames of the %s build written\n", o->pcap_out, written,
					sides[0].name);
			}
		}
	}
close_builds:
	plr_bpf_close(&bpf);
	plr_native_close(&nat);
free_sides:
	for (unsigned s = 0; s < B__MAX + 1; s++)
		plr_side_free(&sides[s], pc->n);
	return ret;
}

/* ---- Speed ---------------------------------------------------------------------------- */

/* The 64-byte UDP frame of the benchmark (60 bytes + the 4-byte FCS the
 * wire adds): 02:..:01 -> 02:..:02, 10.0.0.1:1024 -> 10.0.0.2:9, TTL 64,
 * IPv4 checksum valid, no UDP checksum, 18 zero bytes of payload. */
static uint8_t plr_udp64[60] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0xbd,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x04, 0x00, 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00,
};

struct plr_workload {
	char name[96];
	const struct plr_frame *f;
	size_t n;
};

/* Median of n values (sorts them). */
static double plr_median(double *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Monotonic time in ns. */
static uint64_t plr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ns/packet of one BPF program over the workload: test_run with repeat
 * spread over the frames, each frame weighted equally (the kernel's own
 * per-run average, which leaves out time the task was descheduled). */
static int plr_bench_bpf(int fd, const struct plr_workload *w, const struct plr_opts *o, double *ns)
{
	unsigned long per = o->repeat / w->n ? o->repeat / w->n : 1;
	double total = 0;
	size_t used = 0;

	for (size_t i = 0; i < w->n; i++) {
		uint32_t d = 0;
		int err;

		if (plr_skip_reason(&w->f[i]))
			continue;
		err = plr_bpf_test_run(fd, &w->f[i], o, per, NULL, NULL, NULL, &d);
		if (err) {
			pr_warn("bench: frame %zu: BPF_PROG_TEST_RUN failed: %s\n", i, strerror(-err));
			return err;
		}
		total += d;
		used++;
	}
	*ns = used ? total / (double)used : 0;
	return 0;
}

/* Per-frame native buffers laid out as test_run does. */
struct plr_nbufs {
	uint8_t *mem;
	struct pl_buf *b;
	size_t n;
};

/* Prepare native buffers for the workload (frames test_run skips left out,
 * so both builds measure the same frames). */
static int plr_nbufs_init(struct plr_nbufs *nb, const struct plr_workload *w, const struct plr_opts *o)
{
	size_t stride = PLR_HEADROOM + PLR_MAX_DATA;

	nb->mem = calloc(w->n ? w->n : 1, stride);
	nb->b = calloc(w->n ? w->n : 1, sizeof(*nb->b));
	nb->n = 0;
	if (!nb->mem || !nb->b)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		if (plr_skip_reason(&w->f[i]))
			continue;
		nb->b[nb->n] = plr_native_buf(nb->mem + nb->n * stride, &w->f[i], o);
		nb->n++;
	}
	return 0;
}

/* Free the native buffers. */
static void plr_nbufs_free(struct plr_nbufs *nb)
{
	free(nb->mem);
	free(nb->b);
}

/* The function the native loop calls, read through a volatile so the
 * compiler calls the core and the empty baseline the same way. */
static plr_process_fn volatile plr_fn;
static volatile int plr_sink;

/* Run fn over the buffers until `packets` frames have been processed. */
static void plr_native_loop(const struct plr_nbufs *nb, unsigned long packets)
{
	plr_process_fn fn = plr_fn;
	uint32_t port;
	int acc = 0;

	if (!nb->n)
		return;
	for (unsigned long done = 0; done < packets;) {
		for (size_t i = 0; i < nb->n && done < packets; i++, done++) {
			struct pl_buf b = nb->b[i];

			acc += fn(&b, &port);
		}
	}
	plr_sink = acc;
}

/* ns/packet of the native function over the buffers. */
static double plr_bench_native(const struct plr_nbufs *nb, plr_process_fn fn, unsigned long packets)
{
	uint64_t t0;

	plr_fn = fn;
	t0 = plr_now_ns();
	plr_native_loop(nb, packets);
	return (double)(plr_now_ns() - t0) / (double)packets;
}

/* Print one row of the speed table. */
static void plr_bench_row(const char *wname, const char *build, double *empty, double *full,
			  unsigned rounds)
{
	double e, f, emin = 1e18, emax = 0, fmin = 1e18, fmax = 0;

	for (unsigned i = 0; i < rounds; i++) {
		emin = empty[i] < emin ? empty[i] : emin;
		emax = empty[i] > emax ? empty[i] : emax;
		fmin = full[i] < fmin ? full[i] : fmin;
		fmax = full[i] > fmax ? full[i] : fmax;
	}
	e = plr_median(empty, rounds);
	f = plr_median(full, rounds);
	printf("%-32s %-7s %7.1f (%5.1f-%5.1f) %8.1f (%5.1f-%5.1f) %7.2fx %8.1f\n", wname, build, e,
	       emin, emax, f, fmin, fmax, e > 0 ? f / e : 0, f - e);
}

/* --bench: ns/packet of both builds next to their empty baselines. */
static int plr_bench(struct plr_opts *o, const struct pl_policy *policy, struct plr_pcap *pc)
{
	struct plr_frame udp = { .data = plr_udp64, .len = sizeof(plr_udp64), .wire_len = 64 };
	struct plr_workload w[2];
	struct plr_native nat = { 0 };
	struct plr_bpf bpf = { 0 };
	struct plr_frame *sample = NULL;
	size_t usable = 0;
	double *res;
	unsigned nw = 0, rounds = o->rounds;
	int ret = PLR_EXIT_USAGE;
	bool do_bpf = plr_has_build(o, B_BPF), do_nat = plr_has_build(o, B_NATIVE);

	snprintf(w[nw].name, sizeof(w[0].name), "udp64 (60 B + FCS)");
	w[nw].f = &udp;
	w[nw++].n = 1;
	if (pc->n) {
		const char *base = strrchr(pc->path, '/');
		size_t m = 0;

		/* An evenly spaced sample of the frames test_run takes. */
		sample = calloc(o->bench_frames, sizeof(*sample));
		if (!sample)
			return PLR_EXIT_USAGE;
		for (size_t i = 0; i < pc->n; i++)
			usable += !plr_skip_reason(&pc->f[i]);
		for (size_t i = 0, k = 0; i < pc->n && m < o->bench_frames; i++) {
			if (plr_skip_reason(&pc->f[i]))
				continue;
			if (k++ * o->bench_frames >= m * usable)
				sample[m++] = pc->f[i];
		}
		snprintf(w[nw].name, sizeof(w[0].name), "%.32s (%zu of %zu)", base ? base + 1 : pc->path,
			 m, pc->n);
		w[nw].f = sample;
		w[nw++].n = m;
	}
	res = calloc(4 * nw * rounds, sizeof(*res));
	if (!res) {
		free(sample);
		return PLR_EXIT_USAGE;
	}
	if (do_nat && plr_native_open(&nat, policy, o))
		goto free_res;
	if (do_bpf && plr_bpf_open(&bpf, policy, o, false))
		goto close_builds;

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < nw; i++) {
			double *row = res + (size_t)4 * (i * rounds + 0);

			if (do_bpf && (plr_bench_bpf(bpf.empty_fd, &w[i], o, &row[0 * rounds + r]) ||
				       plr_bench_bpf(bpf.prog_fd, &w[i], o, &row[1 * rounds + r])))
				goto close_builds;
			if (do_nat) {
				struct plr_nbufs nb;

				if (plr_nbufs_init(&nb, &w[i], o)) {
					plr_nbufs_free(&nb);
					goto close_builds;
				}
				row[2 * rounds + r] = plr_bench_native(&nb, plr_empty_process, o->native_repeat);
				row[3 * rounds + r] = plr_bench_native(&nb, pl_core_process, o->native_repeat);
				plr_nbufs_free(&nb);
			}
		}
	}

	printf("pathlab-replay --bench: ns/packet, median of %u rounds (min-max), pinned to CPU %d\n",
	       rounds, o->cpu);
	printf("policy %s; BPF: test_run repeat %lu per figure (spread over the frames); native: %lu packets per figure\n",
	       o->policy ? o->policy : "none (built-in defaults)", o->repeat, o->native_repeat);
	printf("%-32s %-7s %21s %22s %8s %8s\n", "workload", "build", "empty ns/pkt", "pathlab ns/pkt",
	       "ratio", "net ns");
	for (unsigned i = 0; i < nw; i++) {
		double *row = res + (size_t)4 * i * rounds;

		if (do_bpf)
			plr_bench_row(w[i].name, "bpf", &row[0], &row[rounds], rounds);
		if (do_nat)
			plr_bench_row(w[i].name, "native", &row[2 * rounds], &row[3 * rounds], rounds);
	}
	printf("empty: bpf = program pathlab_empty under the same test_run; native = an empty function\n"
	       "called through the same function pointer and loop as pl_core_process. A pcap workload:\n"
	       "an evenly spaced sample of its frames test_run takes, each weighted equally.\n");
	ret = PLR_EXIT_OK;
close_builds:
	plr_bpf_close(&bpf);
	plr_native_close(&nat);
free_res:
	free(res);
	free(sample);
	return ret;
}

/* --native-loop N: the native core (or the empty function) N times over the
 * frames, nothing printed: what --callgrind measures under valgrind. */
static int plr_native_loop_only(struct plr_opts *o, const struct pl_policy *policy, struct plr_pcap *pc)
{
	struct plr_frame udp = { .data = plr_udp64, .len = sizeof(plr_udp64), .wire_len = 64 };
	struct plr_workload w = { .f = pc->n ? pc->f : &udp, .n = pc->n ? pc->n : 1 };
	struct plr_native nat = { 0 };
	struct plr_nbufs nb;
	int ret = PLR_EXIT_USAGE;

	if (plr_native_open(&nat, policy, o))
		return ret;
	if (!plr_nbufs_init(&nb, &w, o)) {
		plr_fn = o->native_fn_empty ? plr_empty_process : pl_core_process;
		plr_native_loop(&nb, (unsigned long)o->native_loop);
		ret = PLR_EXIT_OK;
	}
	plr_nbufs_free(&nb);
	plr_native_close(&nat);
	return ret;
}

/* Run this program under callgrind with --native-loop; the total number of
 * instructions it executed, or -1. */
static long long plr_callgrind_run(const struct plr_opts *o, unsigned long n, bool empty, const char *pcap)
{
	char self[4096], outfile[] = "/tmp/plt-r-callgrind.XXXXXX", outarg[64], nbuf[32], cpubuf[16];
	char inport[64], rxq[16], *line = NULL;
	const char *argv[32 + 2 * PL_PORTS_MAX];
	char portargs[PL_PORTS_MAX][IF_NAMESIZE + 16];
	long long total = -1;
	size_t cap = 0;
	ssize_t len;
	int argc = 0, status, fd;
	pid_t pid;
	FILE *f;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return -1;
	self[len] = 0;
	fd = mkstemp(outfile);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", outfile);
	snprintf(nbuf, sizeof(nbuf), "%lu", n);
	snprintf(cpubuf, sizeof(cpubuf), "%d", o->cpu);
	snprintf(inport, sizeof(inport), "%s", o->in_port);
	snprintf(rxq, sizeof(rxq), "%u", o->rx_queue);
	argv[argc++] = "valgrind";
	argv[argc++] = "--tool=callgrind";
	argv[argc++] = outarg;
	argv[argc++] = self;
	argv[argc++] = "--quiet";
	argv[argc++] = "--builds=native";
	argv[argc++] = "--native-loop";
	argv[argc++] = nbuf;
	argv[argc++] = "--native-fn";
	argv[argc++] = empty ? "empty" : "core";
	argv[argc++] = "--cpu";
	argv[argc++] = cpubuf;
	argv[argc++] = "--in-port";
	argv[argc++] = inport;
	argv[argc++] = "--rx-queue";
	argv[argc++] = rxq;
	if (o->policy) {
		argv[argc++] = "--policy";
		argv[argc++] = o->policy;
	}
	for (unsigned i = 0; i < o->nports; i++) {
		snprintf(portargs[i], sizeof(portargs[i]), "%s=%u", o->port[i].name, o->port[i].ifindex);
		argv[argc++] = "--port";
		argv[argc++] = portargs[i];
	}
	if (pcap)
		argv[argc++] = pcap;
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0)
		goto unlink_out;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			if (plr_verbosity < 2)
				dup2(null, 2);
		}
		execvp("valgrind", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		pr_warn("callgrind: valgrind %s exited with %d%s\n", self,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (is valgrind installed?)" : " (rerun with -v)");
		goto unlink_out;
	}
	f = fopen(outfile, "r");
	if (!f)
		goto unlink_out;
	while (getline(&line, &cap, f) >= 0) {
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
			total = atoll(strchr(line, ':') + 1);
			if (line[0] == 's')
				break;
		}
	}
	free(line);
	fclose(f);
unlink_out:
	unlink(outfile);
	return total;
}

/* --callgrind N: instructions/packet of the native core (and of the empty
 * baseline), as (run with N packets - run with 0) / N, on the 64-byte UDP
 * frame and on PCAP. */
static int plr_callgrind(struct plr_opts *o, struct plr_pcap *pc)
{
	const char *sets[2] = { NULL, pc->n ? pc->path : NULL };
	unsigned long n = o->callgrind;

	printf("pathlab-replay --callgrind %lu: instructions/packet under valgrind --tool=callgrind\n", n);
	printf("(total instructions of a run with %lu packets minus a run with 0, divided by %lu; policy %s)\n",
	       n, n, o->policy ? o->policy : "none");
	printf("%-32s %12s %12s %12s\n", "workload", "empty", "pathlab", "net");
	for (unsigned s = 0; s < (sets[1] ? 2u : 1u); s++) {
		long long i0 = plr_callgrind_run(o, 0, false, sets[s]);
		long long ie = plr_callgrind_run(o, n, true, sets[s]);
		long long ic = plr_callgrind_run(o, n, false, sets[s]);
		const char *base = sets[s] ? strrchr(sets[s], '/') : NULL;
		char name[64];

		if (i0 < 0 || ie < 0 || ic < 0) {
			pr_warn("callgrind: a run failed (valgrind missing? try: apt-get install valgrind)\n");
			return PLR_EXIT_USAGE;
		}
		if (sets[s])
			snprintf(name, sizeof(name), "%.40s (%zu fr)", base ? base + 1 : sets[s], pc->n);
		else
			snprintf(name, sizeof(name), "udp64 (60 B + FCS)");
		printf("%-32s %12.1f %12.1f %12.1f\n", name, (double)(ie - i0) / (double)n,
		       (double)(ic - i0) / (double)n, (double)(ic - ie) / (double)n);
	}
	return PLR_EXIT_OK;
}

/* ---- main -------------------------------------------------------------------------- */
int main(int argc, char **argv)
{
	struct plr_opts o = { 0 };
	struct plr_pcap pc = { 0 };
	struct pl_policy *policy = NULL;
	int ret;

	ret = plr_parse_args(argc, argv, &o);
	if (ret == 1) {
		plr_usage(stdout, argv[0]);
		return PLR_EXIT_OK;
	}
	if (ret) {
		fprintf(stderr, "Try '%s --help'.\n", argv[0]);
		return PLR_EXIT_USAGE;
	}
	libbpf_set_print(plr_libbpf_print);
	if (o.pcap && plr_pcap_load(o.pcap, &pc)) {
		plr_pcap_free(&pc);
		return PLR_EXIT_USAGE;
	}
	if (!o.pcap)
		pc.path = "";
	ret = PLR_EXIT_USAGE;
	if (plr_policy_load(&o, &policy) || plr_resolve_in_port(&o) || plr_pin(&o))
		goto free_all;

	if (o.native_loop >= 0)
		ret = plr_native_loop_only(&o, policy, &pc);
	else if (o.callgrind)
		ret = plr_callgrind(&o, &pc);
	else if (o.bench)
		ret = plr_bench(&o, policy, &pc);
	else
		ret = plr_replay(&o, policy, &pc);
free_all:
	pl_policy_free(policy);
	plr_pcap_free(&pc);
	return ret;
}
