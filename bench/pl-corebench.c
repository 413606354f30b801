// SPDX-License-Identifier: MIT
/* pl-corebench: the speed of the core's in-process builds, next to empty
 * baselines: ns/packet of the BPF program under BPF_PROG_TEST_RUN and of
 * the native core (libpathlab-core) on a 64-byte UDP frame and on a pcap
 * (default), or instructions/packet of the native core under valgrind
 * (--callgrind N). The builds are pathlab-replay's (replay/plr_builds.h),
 * set up the same way: policy, ports, replay buffer geometry, pinned to one
 * CPU. Prefix pcb_. Method and figures: docs/performance.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_pcap.h"
#include "plt_replay.h"
#include "plt_time.h"
#include "plr_builds.h"

struct pcb_opts {
	struct plr_env env;
	struct plr_buildset builds;
	const char *policy;
	const char *pcap;
	unsigned long repeat;
	unsigned long native_repeat;
	unsigned long rounds;
	unsigned long bench_frames;
	unsigned long callgrind;
	unsigned long native_loop; /* PCB_OFF: off */
	int verifier;
	int native_fn;             /* 0 core, 1 empty */
	unsigned long burst;       /* frames per call of the native core; 1: pl_core_process */
	int quiet, verbose;
};
#define PCB_OFF (~0ul)
#define PCB_BURST_MAX 64

static const char *const pcb_fn_names[] = { "core", "empty", NULL };

#define O(f) offsetof(struct pcb_opts, f)
static const struct plt_opt pcb_opt_table[] = {
	{ "policy", 'p', PLT_OPT_STR, O(policy), "FILE",
	  "policy for every build (docs/policy.md); default: the built-in defaults" },
	{ "builds", 'b', PLT_OPT_FUNC, O(builds), "LIST", "builds to measure: native, bpf (default native,bpf)",
	  .fn = plr_buildset_opt },
	PLR_ENV_OPTS(struct pcb_opts, env),
	{ "repeat", 0, PLT_OPT_UINT, O(repeat), "N", "test_run repeat per BPF figure (default 1000000)",
	  .min = 1, .max = UINT32_MAX },
	{ "native-repeat", 0, PLT_OPT_UINT, O(native_repeat), "N",
	  "packets per native figure (default 10000000)", .min = 1, .max = 1ul << 40 },
	{ "rounds", 0, PLT_OPT_UINT, O(rounds), "N", "measurements per figure, median shown (default 5)",
	  .min = 1, .max = 1000 },
	{ "bench-frames", 0, PLT_OPT_UINT, O(bench_frames), "N",
	  "at most N frames of PCAP, evenly spaced (default 64; each\n"
	  "test_run with a repeat swaps the XDP dispatcher and waits for RCU)", .min = 1, .max = 1000000 },
	{ "callgrind", 0, PLT_OPT_UINT, O(callgrind), "N",
	  "instructions/packet of the native core instead: runs itself under\n"
	  "valgrind --tool=callgrind with N packets and with 0, and divides", .min = 1, .max = 1ul << 32 },
	{ "native-loop", 0, PLT_OPT_UINT, O(native_loop), "N",
	  "run only the native core N times over the frames, print nothing\n"
	  "(what --callgrind runs under valgrind)", .max = 1ul << 40 },
	{ "verifier", 0, PLT_OPT_FLAG, O(verifier), NULL,
	  "the verifier's statistics of each program of the BPF object instead\n"
	  "(processed instructions, of at most 1000000; states; stack depth),\n"
	  "loaded with the settings each use sets before load" },
	{ "burst", 0, PLT_OPT_UINT, O(burst), "N",
	  "frames per call of the native core (default 32, as pathlab-afxdp and\n"
	  "pathlab-dpdk call pl_core_process_burst; 1: pl_core_process per frame)",
	  .min = 1, .max = PCB_BURST_MAX },
	{ "native-fn", 0, PLT_OPT_ENUM, O(native_fn), "core|empty",
	  "with --native-loop: the core (default) or the empty baseline", .names = pcb_fn_names },
	{ "quiet", 'q', PLT_OPT_QUIET, O(quiet), NULL, "warnings only" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages (twice: libbpf's debug output too)" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void pcb_intro(FILE *f)
{
	fprintf(f, "\nns/packet of the BPF program (BPF_PROG_TEST_RUN) and of the native core, each next to\n"
		   "an empty baseline, on a 64-byte UDP frame and on PCAP (pcap or pcapng); with\n"
		   "--callgrind N, instructions/packet of the native core. Needs root for the BPF build.\n");
}

static const struct plt_tool pcb_tool = {
	.name = "pl-corebench",
	.usage = "[OPTIONS] [PCAP]",
	.intro = pcb_intro,
	.opts = pcb_opt_table,
	.nopts = PLT_ARRAY_SIZE(pcb_opt_table),
	.width = 30,
	.max_args = 1,
};

/* The 64-byte UDP frame of the benchmark (60 bytes + the 4-byte FCS the
 * wire adds): 02:..:01 -> 02:..:02, 10.0.0.1:1024 -> 10.0.0.2:9, TTL 64,
 * IPv4 checksum valid, no UDP checksum, 18 zero bytes of payload. */
static const uint8_t pcb_udp64[60] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x26, 0xbd,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x04, 0x00, 0x00, 0x09, 0x00, 0x1a, 0x00, 0x00,
};
static const struct plt_pcap_frame pcb_udp = { .data = pcb_udp64, .len = sizeof(pcb_udp64), .wire_len = 64 };

struct pcb_workload {
	char name[96];
	const struct plt_pcap_frame *f;
	size_t n;
};

/* Median of n values (sorts them). */
static double pcb_median(double *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ns/packet of one BPF program over the workload: test_run with repeat
 * spread over the frames, each frame weighted equally (the kernel's own
 * per-run average, which leaves out time the task was descheduled). */
static int pcb_bench_bpf(int fd, const struct pcb_workload *w, const struct pcb_opts *o, double *ns)
{
	unsigned long per = o->repeat / w->n ? o->repeat / w->n : 1;
	double total = 0;
	size_t used = 0;

	for (size_t i = 0; i < w->n; i++) {
		uint32_t d = 0;
		int err;

		if (plt_replay_skip_reason(w->f[i].len))
			continue;
		err = plr_bpf_test_run(fd, w->f[i].data, w->f[i].len, &o->env, per, NULL, NULL, NULL, &d);
		if (err) {
			pr_warn("frame %zu: BPF_PROG_TEST_RUN failed: %s\n", i, strerror(-err));
			return err;
		}
		total += d;
		used++;
	}
	*ns = used ? total / (double)used : 0;
	return 0;
}

/* Per-frame native buffers laid out by the replay contract. */
struct pcb_nbufs {
	uint8_t *mem;
	struct pl_buf *b;
	size_t n;
};

/* Prepare native buffers for the workload (frames test_run skips left out,
 * so both builds measure the same frames). */
static int pcb_nbufs_init(struct pcb_nbufs *nb, const struct pcb_workload *w, const struct pcb_opts *o)
{
	nb->mem = calloc(w->n ? w->n : 1, PLT_REPLAY_BUF_SIZE);
	nb->b = calloc(w->n ? w->n : 1, sizeof(*nb->b));
	nb->n = 0;
	if (!nb->mem || !nb->b)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		if (plt_replay_skip_reason(w->f[i].len))
			continue;
		nb->b[nb->n] = plt_replay_buf(nb->mem + nb->n * PLT_REPLAY_BUF_SIZE, w->f[i].data, w->f[i].len,
					      o->env.ifindex, (uint32_t)o->env.rx_queue);
		nb->n++;
	}
	return 0;
}

static void pcb_nbufs_free(struct pcb_nbufs *nb)
{
	free(nb->mem);
	free(nb->b);
}

/* The function the native loop calls, read through a volatile so the
 * compiler calls the core and the empty baseline the same way: per frame
 * (burst 1), or per burst of up to pcb_burst frames. */
static plr_process_fn volatile pcb_fn;
static plr_burst_fn volatile pcb_burst_fn;
static unsigned pcb_burst = 1;
static volatile int pcb_sink;

/* Run the function over the buffers until `packets` frames have been
 * processed, each frame from a copy of its buffer (the core may move its
 * head). */
static void pcb_native_loop(const struct pcb_nbufs *nb, unsigned long packets)
{
	plr_process_fn fn = pcb_fn;
	plr_burst_fn bfn = pcb_burst_fn;
	struct pl_buf b[PCB_BURST_MAX];
	uint32_t out[PCB_BURST_MAX];
	int v[PCB_BURST_MAX], acc = 0;
	size_t next = 0;

	if (!nb->n)
		return;
	if (pcb_burst <= 1) {
		for (unsigned long done = 0; done < packets;) {
			for (size_t i = 0; i < nb->n && done < packets; i++, done++) {
				b[0] = nb->b[i];
				acc += fn(&b[0], &out[0]);
			}
		}
	} else {
		for (unsigned long done = 0; done < packets;) {
			unsigned k = 0;

			for (; k < pcb_burst && done < packets; k++, done++) {
				b[k] = nb->b[next];
				next = next + 1 < nb->n ? next + 1 : 0;
			}
			bfn(b, k, v, out, false);
			for (unsigned i = 0; i < k; i++)
				acc += v[i];
		}
	}
	pcb_sink = acc;
}

/* ns/packet of the native core (empty: its baseline) over the buffers. */
static double pcb_bench_native(const struct pcb_nbufs *nb, bool empty, unsigned long packets)
{
	uint64_t t0;

	pcb_fn = empty ? plr_empty_process : pl_core_process;
	pcb_burst_fn = empty ? plr_empty_burst : pl_core_process_burst;
	t0 = plt_now_ns();
	pcb_native_loop(nb, packets);
	return (double)(plt_now_ns() - t0) / (double)packets;
}

/* Print one row of the speed table. */
static void pcb_row(const char *wname, const char *build, double *empty, double *full, unsigned rounds)
{
	double e, f, emin = 1e18, emax = 0, fmin = 1e18, fmax = 0;

	for (unsigned i = 0; i < rounds; i++) {
		emin = empty[i] < emin ? empty[i] : emin;
		emax = empty[i] > emax ? empty[i] : emax;
		fmin = full[i] < fmin ? full[i] : fmin;
		fmax = full[i] > fmax ? full[i] : fmax;
	}
	e = pcb_median(empty, rounds);
	f = pcb_median(full, rounds);
	printf("%-32s %-7s %7.1f (%5.1f-%5.1f) %8.1f (%5.1f-%5.1f) %7.2fx %8.1f\n", wname, build, e, emin, emax, f,
	       fmin, fmax, e > 0 ? f / e : 0, f - e);
}

/* The workloads: udp64, and an evenly spaced sample of the frames of the
 * pcap test_run takes (*sample: to free). Returns their number. */
static unsigned pcb_workloads(const struct pcb_opts *o, const struct plt_pcap_file *pc, struct pcb_workload *w,
			      struct plt_pcap_frame **sample)
{
	size_t usable = 0, m = 0;
	const char *base;
	unsigned nw = 0;

	snprintf(w[nw].name, sizeof(w[0].name), "udp64 (60 B + FCS)");
	w[nw].f = &pcb_udp;
	w[nw++].n = 1;
	*sample = NULL;
	if (!pc->n)
		return nw;
	*sample = calloc(o->bench_frames, sizeof(**sample));
	if (!*sample)
		return nw;
	for (size_t i = 0; i < pc->n; i++)
		usable += !plt_replay_skip_reason(pc->f[i].len);
	for (size_t i = 0, k = 0; i < pc->n && m < o->bench_frames; i++) {
		if (plt_replay_skip_reason(pc->f[i].len))
			continue;
		if (k++ * o->bench_frames >= m * usable)
			(*sample)[m++] = pc->f[i];
	}
	base = strrchr(pc->path, '/');
	snprintf(w[nw].name, sizeof(w[0].name), "%.32s (%zu of %zu)", base ? base + 1 : pc->path, m, pc->n);
	w[nw].f = *sample;
	w[nw++].n = m;
	return nw;
}

/* ns/packet of both builds next to their empty baselines. */
static int pcb_bench(struct pcb_opts *o, const struct pl_policy *policy, const struct plt_pcap_file *pc)
{
	struct pcb_workload w[2];
	struct plr_native nat = { 0 };
	struct plr_bpf *bpf = calloc(1, sizeof(*bpf));
	struct plt_pcap_frame *sample;
	unsigned nw, rounds = (unsigned)o->rounds;
	bool do_bpf = plr_buildset_has(&o->builds, PLR_BPF), do_nat = plr_buildset_has(&o->builds, PLR_NATIVE);
	double *res;
	int ret = 2;

	nw = pcb_workloads(o, pc, w, &sample);
	res = calloc(4 * nw * rounds, sizeof(*res));
	if (!res || !bpf)
		goto free_res;
	if (do_nat && plr_native_open(&nat, policy, &o->env))
		goto free_res;
	if (do_bpf && plr_bpf_open(bpf, policy, &o->env, false))
		goto close_builds;

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < nw; i++) {
			double *row = res + (size_t)4 * i * rounds;
			struct pcb_nbufs nb;

			if (do_bpf && (pcb_bench_bpf(bpf->empty_fd, &w[i], o, &row[0 * rounds + r]) ||
				       pcb_bench_bpf(bpf->prog_fd, &w[i], o, &row[1 * rounds + r])))
				goto close_builds;
			if (!do_nat)
				continue;
			if (pcb_nbufs_init(&nb, &w[i], o)) {
				pcb_nbufs_free(&nb);
				goto close_builds;
			}
			row[2 * rounds + r] = pcb_bench_native(&nb, true, o->native_repeat);
			row[3 * rounds + r] = pcb_bench_native(&nb, false, o->native_repeat);
			pcb_nbufs_free(&nb);
		}
	}

	printf("pl-corebench: ns/packet, median of %u rounds (min-max), pinned to CPU %d\n", rounds, o->env.cpu);
	printf("policy %s; BPF: test_run repeat %lu per figure (spread over the frames); native: %lu packets per figure,\nbursts of %lu frames\n",
	       o->policy ? o->policy : "none (built-in defaults)", o->repeat, o->native_repeat, o->burst);
	printf("%-32s %-7s %21s %22s %8s %8s\n", "workload", "build", "empty ns/pkt", "pathlab ns/pkt", "ratio",
	       "net ns");
	for (unsigned i = 0; i < nw; i++) {
		double *row = res + (size_t)4 * i * rounds;

		if (do_bpf)
			pcb_row(w[i].name, "bpf", &row[0], &row[rounds], rounds);
		if (do_nat)
			pcb_row(w[i].name, "native", &row[2 * rounds], &row[3 * rounds], rounds);
	}
	printf("empty: bpf = program pathlab_empty under the same test_run; native = an empty function\n"
	       "called through the same function pointer and loop as the core. A pcap workload:\n"
	       "an evenly spaced sample of its frames test_run takes, each weighted equally.\n");
	ret = 0;
close_builds:
	plr_bpf_close(bpf);
	plr_native_close(&nat);
free_res:
	free(bpf);
	free(res);
	free(sample);
	return ret;
}

/* --native-loop N: the native core (or the empty function) N times over the
 * frames, nothing printed: what --callgrind measures under valgrind. */
static int pcb_native_loop_only(struct pcb_opts *o, const struct pl_policy *policy, const struct plt_pcap_file *pc)
{
	struct pcb_workload w = { .f = pc->n ? pc->f : &pcb_udp, .n = pc->n ? pc->n : 1 };
	struct plr_native nat = { 0 };
	struct pcb_nbufs nb;
	int ret = 2;

	if (plr_native_open(&nat, policy, &o->env))
		return ret;
	if (!pcb_nbufs_init(&nb, &w, o)) {
		pcb_fn = o->native_fn ? plr_empty_process : pl_core_process;
		pcb_burst_fn = o->native_fn ? plr_empty_burst : pl_core_process_burst;
		pcb_native_loop(&nb, o->native_loop);
		ret = 0;
	}
	pcb_nbufs_free(&nb);
	plr_native_close(&nat);
	return ret;
}

/* --verifier: load every program of the core's object with the verifier's
 * statistics on (log level 4) and print its summary lines. */
#define PCB_VLOG_SIZE (256 * 1024)
#define PCB_VPROGS 8

struct pcb_vlogs {
	char buf[PCB_VPROGS][PCB_VLOG_SIZE];
	const char *name[PCB_VPROGS];
	unsigned n;
	unsigned level; /* 4: statistics; 5: and the instructions (the log keeps its end) */
};

static int pcb_verifier_logs(struct bpf_object *obj, void *arg)
{
	struct pcb_vlogs *v = arg;
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		if (v->n == PCB_VPROGS)
			break;
		v->name[v->n] = bpf_program__name(prog);
		bpf_program__set_log_buf(prog, v->buf[v->n], PCB_VLOG_SIZE);
		bpf_program__set_log_level(prog, v->level);
		v->n++;
	}
	return 0;
}

/* The settings the object is loaded with (rodata globals set before load
 * change what the verifier walks): as attached, under pathlab-replay, in
 * front of Open vSwitch, on veth-only ports. */
static const struct {
	const char *what;
	struct plt_bpf_rodata rodata;
} pcb_vvariants[] = {
	{ "as attached", { "pl_record_result", 0 } },
	{ "pl_record_result=1 (replay)", { "pl_record_result", 1 } },
	{ "pl_pass_to_xsk=1 (attach-ovs)", { "pl_pass_to_xsk", 1 } },
	{ "pl_tx_as_redirect=1 (veth ports)", { "pl_tx_as_redirect", 1 } },
};

static int pcb_verifier(struct pcb_opts *o)
{
	const char *path = plt_bpf_find(o->env.obj, PLT_CORE_OBJ, o->env.objbuf, sizeof(o->env.objbuf));
	int ret = 0;

	printf("pl-corebench --verifier: %s, the verifier's statistics per program and setting\n", path);
	for (size_t k = 0; k < PLT_ARRAY_SIZE(pcb_vvariants); k++) {
		struct pcb_vlogs *v = calloc(1, sizeof(*v));
		struct plt_bpf b = { 0 };
		int err;

		if (!v)
			return 2;
		v->level = o->verbose ? 5 : 4;
		err = plt_bpf_load(&b, &(struct plt_bpf_opts){
			.path = path,
			.rodata = &pcb_vvariants[k].rodata,
			.nrodata = 1,
			.before_load = pcb_verifier_logs,
			.arg = v,
		});
		printf("%s:\n", pcb_vvariants[k].what);
		for (unsigned i = 0; !err && i < v->n; i++) {
			char *line = strstr(v->buf[i], "processed "), *stack = strstr(v->buf[i], "stack depth ");

			printf("  %-14s %s", v->name[i], line ? line : "(no statistics)\n");
			if (stack)
				printf("  %-14s %.*s (bytes per frame; at most 512 in all)\n", "",
				       (int)strcspn(stack, "\n"), stack);
		}
		for (unsigned i = 0; err && i < v->n; i++) {
			size_t len = strlen(v->buf[i]);

			/* a refused program's log: its end says why */
			if (len && (v->level > 4 || !strstr(v->buf[i], "processed ")))
				printf("  %s refused; the verifier's log ends:\n%s\n", v->name[i],
				       v->buf[i] + (len > 3000 ? len - 3000 : 0));
		}
		if (err)
			ret = 2;
		plt_bpf_close(&b);
		free(v);
	}
	return ret;
}

/* The total of instructions in a callgrind output file, or -1. */
static long long pcb_callgrind_total(const char *path)
{
	long long total = -1;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
			total = atoll(strchr(line, ':') + 1);
			if (line[0] == 's')
				break;
		}
	}
	free(line);
	fclose(f);
	return total;
}

/* Run this program under callgrind with --native-loop; the total number of
 * instructions it executed, or -1. */
static long long pcb_callgrind_run(const struct pcb_opts *o, unsigned long n, bool empty, const char *pcap)
{
	char self[4096], outfile[] = "/tmp/plt-r-callgrind.XXXXXX", outarg[64], nbuf[32], cpubuf[16];
	char rxq[24], burstbuf[24], portargs[PL_PORTS_MAX][IF_NAMESIZE + 16];
	const char *argv[32 + 2 * PL_PORTS_MAX];
	long long total = -1;
	ssize_t len;
	int argc = 0, status = 0, fd;
	pid_t pid;

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
	snprintf(cpubuf, sizeof(cpubuf), "%d", o->env.cpu);
	snprintf(rxq, sizeof(rxq), "%lu", o->env.rx_queue);
	snprintf(burstbuf, sizeof(burstbuf), "%lu", o->burst);
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
	argv[argc++] = o->env.in_port;
	argv[argc++] = "--rx-queue";
	argv[argc++] = rxq;
	argv[argc++] = "--burst";
	argv[argc++] = burstbuf;
	if (o->policy) {
		argv[argc++] = "--policy";
		argv[argc++] = o->policy;
	}
	for (unsigned i = 0; i < o->env.nports; i++) {
		snprintf(portargs[i], sizeof(portargs[i]), "%s=%u", o->env.port[i].name, o->env.port[i].ifindex);
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
			if (plt_log_get_level() < PLT_LOG_DEBUG)
				dup2(null, 2);
		}
		execvp("valgrind", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		pr_warn("callgrind: valgrind %s exited with %d%s\n", self, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (is valgrind installed?)" : " (rerun with -v)");
		goto unlink_out;
	}
	total = pcb_callgrind_total(outfile);
unlink_out:
	unlink(outfile);
	return total;
}

/* --callgrind N: instructions/packet of the native core (and of the empty
 * baseline), as (run with N packets - run with 0) / N, on the 64-byte UDP
 * frame and on PCAP. */
static int pcb_callgrind(struct pcb_opts *o, const struct plt_pcap_file *pc)
{
	const char *sets[2] = { NULL, pc->n ? pc->path : NULL };
	unsigned long n = o->callgrind;

	printf("pl-corebench --callgrind %lu: instructions/packet under valgrind --tool=callgrind\n", n);
	printf("(total instructions of a run with %lu packets minus a run with 0, divided by %lu; policy %s;\n"
	       " %s)\n", n, n, o->policy ? o->policy : "none",
	       o->burst > 1 ? "pl_core_process_burst, bursts of --burst frames" : "pl_core_process per frame");
	printf("%-32s %12s %12s %12s\n", "workload", "empty", "pathlab", "net");
	for (unsigned s = 0; s < (sets[1] ? 2u : 1u); s++) {
		long long i0 = pcb_callgrind_run(o, 0, false, sets[s]);
		long long ie = pcb_callgrind_run(o, n, true, sets[s]);
		long long ic = pcb_callgrind_run(o, n, false, sets[s]);
		const char *base = sets[s] ? strrchr(sets[s], '/') : NULL;
		char name[64];

		if (i0 < 0 || ie < 0 || ic < 0) {
			pr_warn("callgrind: a run failed (valgrind missing? try: apt-get install valgrind)\n");
			return 2;
		}
		if (sets[s])
			snprintf(name, sizeof(name), "%.40s (%zu fr)", base ? base + 1 : sets[s], pc->n);
		else
			snprintf(name, sizeof(name), "udp64 (60 B + FCS)");
		printf("%-32s %12.1f %12.1f %12.1f\n", name, (double)(ie - i0) / (double)n, (double)(ic - i0) / (double)n,
		       (double)(ic - ie) / (double)n);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct pcb_opts o = { .env = PLR_ENV_INIT, .builds = PLR_BUILDSET_ALL, .repeat = 1000000,
				     .native_repeat = 10000000, .rounds = 5, .bench_frames = 64,
				     .native_loop = PCB_OFF, .burst = 32 };
	struct plt_pcap_file pc = { .path = "" };
	struct pl_policy *policy = NULL;
	char **args;
	int nargs, ret;

	ret = plt_opts_main(&pcb_tool, argc, argv, &o, &nargs, &args);
	if (ret >= 0)
		return ret;
	pcb_burst = (unsigned)o.burst;
	if (nargs && plt_pcap_load(args[0], &pc))
		return 2;
	ret = 2;
	if (!plr_policy_parse(o.policy, &policy) && !plr_env_setup(&o.env)) {
		if (o.verifier)
			ret = pcb_verifier(&o);
		else if (o.native_loop != PCB_OFF)
			ret = pcb_native_loop_only(&o, policy, &pc);
		else if (o.callgrind)
			ret = pcb_callgrind(&o, &pc);
		else
			ret = pcb_bench(&o, policy, &pc);
	}
	pl_policy_free(policy);
	plt_pcap_free(&pc);
	return ret;
}
