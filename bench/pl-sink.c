// SPDX-License-Identifier: MIT
/* pl-sink: attach pl_sink.bpf.c to the sink interface, count what arrives per
 * flow class, record the one-way delay of pl-gen's latency probes, and print
 * a summary (counts, rates, p50/p90/p99/p99.9/max) when it stops: after
 * --duration, after --idle seconds without frames, or on SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT; on SIGUSR1 it prints the running totals of the probes'
 * delay histogram as one JSON line and goes on (a long-running sink serves
 * many latency trials: their histograms are differences of two such lines).
 * --counts FILE: what it received so far (packets, bytes) and when it read
 * its counters (CLOCK_MONOTONIC ns), rewritten at every poll: the harness's
 * delivered count, the same on a veth and on any NIC driver.
 * The program is attached through a bpf_link that only this process holds
 * (plt_xdp_attach), so it is detached on every exit path, SIGKILL included. */
#include "pl_bench_util.h"
#include "pl_bench.h"
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_time.h"
#include "plt_xdp.h"

static const char *const pl_class_names[PL_CLASS_MAX] = {
#define PL_X(n, s) s,
	PL_SINK_CLASSES(PL_X)
#undef PL_X
};

struct pl_sink_opts {
	const char *dev;
	const char *topo;
	double duration, idle, interval;
	int action; /* index in pl_sink_actions: XDP action - 1 */
	unsigned long probe_port;
	int mode, json, verbose; /* mode: enum plt_xdp_mode */
	const char *ready_file, *counts;
	char devbuf[IF_NAMESIZE];
};

struct pl_sink_totals {
	struct pl_sink_count cls[PL_CLASS_MAX];
	uint64_t packets, bytes;
	struct pl_sink_lat lat;
	uint64_t hist[PL_HIST_BUCKETS];
};

static const char *const pl_sink_actions[] = { "drop", "pass", "tx", NULL };

#define O(f) offsetof(struct pl_sink_opts, f)
static const struct plt_opt pl_sink_optv[] = {
	{ "dev", 'i', PLT_OPT_STR, O(dev), "IF", "sink interface (default: SINK_IF, else DUT_IN_IF of --topo)" },
	{ "topo", 'T', PLT_OPT_STR, O(topo), "NAME", "take the interface from pl-topo info NAME" },
	{ "duration", 'd', PLT_OPT_DOUBLE, O(duration), "SEC",
	  "stop after SEC seconds (default 0: only --idle or a signal)" },
	{ "idle", 0, PLT_OPT_DOUBLE, O(idle), "SEC", "stop once frames have arrived and none came for SEC seconds" },
	{ "interval", 0, PLT_OPT_DOUBLE, O(interval), "SEC", "print a rate line every SEC seconds (stderr)" },
	{ "action", 0, PLT_OPT_ENUM, O(action), "A", "drop (default), pass or tx", .names = pl_sink_actions },
	{ "probe-port", 0, PLT_OPT_UINT, O(probe_port), "PORT",
	  "UDP destination port of latency probes (default 9999)", .max = 65535 },
	PLT_XDP_MODE_OPTS("mode", 'm', O(mode), "XDP attach mode: auto (native, else generic; the default),\n"
		"native (drv), generic (skb), offload (hw)"),
	{ "generic", 0, PLT_OPT_SET, O(mode), NULL, "same as --mode generic", .min = PLT_XDP_GENERIC },
	{ "ready-file", 0, PLT_OPT_STR, O(ready_file), "FILE", "create FILE once the program is attached" },
	{ "counts", 0, PLT_OPT_STR, O(counts), "FILE",
	  "rewrite FILE at every poll (10 ms): packets, bytes, polled_ns (CLOCK_MONOTONIC)" },
	{ "json", 0, PLT_OPT_FLAG, O(json), NULL, "print the summary as JSON" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages (libbpf's too)" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void pl_sink_intro(FILE *f)
{
	fprintf(f, "(in the sink's namespace: ip netns exec NS pl-sink ...)\n"
		   "Counts frames per class on --dev with XDP and summarises latency probes. Stops after\n"
		   "--duration, --idle, or on SIGINT, SIGTERM, SIGHUP or SIGQUIT. SIGUSR1 prints the running\n"
		   "totals of the probes' delay histogram as a JSON line. The program is attached\n"
		   "with a bpf_link: it goes away when pl-sink does, even on SIGKILL.\n");
}

static const struct plt_tool pl_sink_tool = {
	.name = "pl-sink",
	.usage = "[options]",
	.intro = pl_sink_intro,
	.opts = pl_sink_optv,
	.nopts = PLT_ARRAY_SIZE(pl_sink_optv),
	.width = 28,
};

/* Sum the per-CPU maps into t. */
static int pl_sink_read(struct bpf_object *obj, struct pl_sink_totals *t)
{
	int ncpu = libbpf_num_possible_cpus(), i, k;
	int fc = bpf_map__fd(bpf_object__find_map_by_name(obj, "pl_sink_counts"));
	int fh = bpf_map__fd(bpf_object__find_map_by_name(obj, "pl_sink_hist"));
	int fl = bpf_map__fd(bpf_object__find_map_by_name(obj, "pl_sink_lat"));
	struct pl_sink_count cv[ncpu];
	struct pl_sink_lat lv[ncpu];
	uint64_t hv[ncpu];
	__u32 key;

	memset(t, 0, sizeof(*t));
	for (key = 0; key < PL_CLASS_MAX; key++) {
		if (bpf_map_lookup_elem(fc, &key, cv))
			return -errno;
		for (i = 0; i < ncpu; i++) {
			t->cls[key].packets += cv[i].packets;
			t->cls[key].bytes += cv[i].bytes;
		}
		t->packets += t->cls[key].packets;
		t->bytes += t->cls[key].bytes;
	}
	for (key = 0; key < PL_HIST_BUCKETS; key++) {
		if (bpf_map_lookup_elem(fh, &key, hv))
			return -errno;
		for (i = 0; i < ncpu; i++)
			t->hist[key] += hv[i];
	}
	key = 0;
	if (bpf_map_lookup_elem(fl, &key, lv))
		return -errno;
	for (i = 0; i < ncpu; i++) {
		t->lat.count += lv[i].count;
		t->lat.sum_ns += lv[i].sum_ns;
		t->lat.negative += lv[i].negative;
		t->lat.bad += lv[i].bad;
		if (lv[i].max_ns > t->lat.max_ns)
			t->lat.max_ns = lv[i].max_ns;
		if (lv[i].min_ns && (!t->lat.min_ns || lv[i].min_ns < t->lat.min_ns))
			t->lat.min_ns = lv[i].min_ns;
	}
	(void)k;
	return 0;
}

/* Upper bound (ns) of histogram bucket b. */
static uint64_t pl_bucket_hi(unsigned int b)
{
	unsigned int l, sub;

	if (b < 8)
		return b + 1;
	l = b / 8 + 2;
	sub = b % 8;
	return (uint64_t)(9 + sub) << (l - 3);
}

/* Delay at quantile q (0..1): the upper bound of its bucket, capped by the max. */
static uint64_t pl_quantile(const struct pl_sink_totals *t, double q)
{
	uint64_t want, acc = 0, total = 0;
	unsigned int b;

	for (b = 0; b < PL_HIST_BUCKETS; b++)
		total += t->hist[b];
	if (!total)
		return 0;
	want = (uint64_t)(q * total + 0.999999);
	if (!want)
		want = 1;
	for (b = 0; b < PL_HIST_BUCKETS; b++) {
		acc += t->hist[b];
		if (acc >= want)
			return pl_bucket_hi(b) < t->lat.max_ns ? pl_bucket_hi(b) : t->lat.max_ns;
	}
	return t->lat.max_ns;
}

/* Print the summary. */
static void pl_sink_print(const struct pl_sink_opts *o, const struct pl_sink_totals *t, double active_s,
			  const char *mode)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	static const char *const qn[] = { "p50", "p90", "p99", "p99.9" };
	double pps = active_s > 0 ? t->packets / active_s : 0;
	unsigned int i;
	bool first = true;

	if (o->json) {
		uint64_t l4 = t->packets - t->cls[PL_CLASS_OTHER4].packets - t->cls[PL_CLASS_OTHER6].packets -
			      t->cls[PL_CLASS_NONIP].packets;

		printf("{\"tool\":\"pl-sink\",\"dev\":\"%s\",\"mode\":\"%s\",\"packets\":%llu,\"bytes\":%llu,"
		       "\"l4_packets\":%llu,\"active_seconds\":%.6f,\"pps\":%.1f,\"classes\":{", o->dev, mode,
		       (unsigned long long)t->packets, (unsigned long long)t->bytes, (unsigned long long)l4,
		       active_s, pps);
		for (i = 0; i < PL_CLASS_MAX; i++) {
			if (!t->cls[i].packets)
				continue;
			printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", first ? "" : ",", pl_class_names[i],
			       (unsigned long long)t->cls[i].packets, (unsigned long long)t->cls[i].bytes);
			first = false;
		}
		printf("},\"latency_ns\":{\"probes\":%llu,\"bad\":%llu,\"negative\":%llu", (unsigned long long)t->lat.count,
		       (unsigned long long)t->lat.bad, (unsigned long long)t->lat.negative);
		if (t->lat.count) {
			printf(",\"min\":%llu,\"mean\":%.0f", (unsigned long long)t->lat.min_ns,
			       (double)t->lat.sum_ns / t->lat.count);
			for (i = 0; i < 4; i++)
				printf(",\"%s\":%llu", qn[i], (unsigned long long)pl_quantile(t, qs[i]));
			printf(",\"max\":%llu", (unsigned long long)t->lat.max_ns);
		}
		printf("}}\n");
		return;
	}
	printf("pl-sink: dev=%s mode=%s: %llu packets, %llu bytes, %.4f Mpps over %.3f s of arrivals\n", o->dev, mode,
	       (unsigned long long)t->packets, (unsigned long long)t->bytes, pps / 1e6, active_s);
	for (i = 0; i < PL_CLASS_MAX; i++)
		if (t->cls[i].packets)
			printf("  %-7s %12llu packets %14llu bytes\n", pl_class_names[i],
			       (unsigned long long)t->cls[i].packets, (unsigned long long)t->cls[i].bytes);
	if (t->lat.count) {
		printf("  one-way delay over %llu probes (ns; percentiles are bucket upper bounds, <= 12.5%% high):\n   "
		       " min %llu mean %.0f", (unsigned long long)t->lat.count, (unsigned long long)t->lat.min_ns,
		       (double)t->lat.sum_ns / t->lat.count);
		for (i = 0; i < 4; i++)
			printf(" %s %llu", qn[i], (unsigned long long)pl_quantile(t, qs[i]));
		printf(" max %llu\n", (unsigned long long)t->lat.max_ns);
	}
	if (t->lat.bad || t->lat.negative)
		printf("  probes rejected: %llu malformed, %llu stamped in the future\n", (unsigned long long)t->lat.bad,
		       (unsigned long long)t->lat.negative);
}

/* --counts: the running totals and the time of the reading they come from. */
static void pl_sink_write_counts(const char *path, const struct pl_sink_totals *t)
{
	static const char *const keys[] = { "packets", "bytes", "polled_ns" };
	const unsigned long long v[] = { t->packets, t->bytes, plt_now_ns() };
	static bool warned;

	if (pl_write_counters(path, keys, v, PLT_ARRAY_SIZE(keys)) && !warned) {
		pr_warn("cannot write %s: %s\n", path, strerror(errno));
		warned = true;
	}
}

static volatile sig_atomic_t pl_sink_dump;

static void pl_sink_on_usr1(int sig)
{
	(void)sig;
	pl_sink_dump = 1;
}

/* The running totals of the probes, for SIGUSR1: one JSON line with every
 * non-empty histogram bucket as [upper bound ns, count]. */
static void pl_sink_print_hist(const struct pl_sink_totals *t)
{
	bool first = true;

	printf("{\"tool\":\"pl-sink\",\"running\":true,\"packets\":%llu,\"probes\":%llu,\"bad\":%llu,"
	       "\"negative\":%llu,\"sum_ns\":%llu,\"hist\":[",
	       (unsigned long long)t->packets, (unsigned long long)t->lat.count, (unsigned long long)t->lat.bad,
	       (unsigned long long)t->lat.negative, (unsigned long long)t->lat.sum_ns);
	for (unsigned int b = 0; b < PL_HIST_BUCKETS; b++) {
		if (!t->hist[b])
			continue;
		printf("%s[%llu,%llu]", first ? "" : ",", (unsigned long long)pl_bucket_hi(b),
		       (unsigned long long)t->hist[b]);
		first = false;
	}
	printf("]}\n");
	fflush(stdout);
}

/* Write the configuration into the object's .rodata before it is loaded. */
static int pl_sink_configure(struct bpf_object *obj, void *arg)
{
	const struct pl_sink_opts *o = arg;
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	struct pl_sink_cfg *cfg;
	size_t sz;

	if (!rodata || !(cfg = (void *)bpf_map__initial_value(rodata, &sz)) || sz < sizeof(*cfg)) {
		pr_warn("pl_sink.bpf.o has no .rodata configuration (rebuild it)\n");
		return -EINVAL;
	}
	cfg->action = o->action + 1; /* XDP_DROP, XDP_PASS, XDP_TX */
	cfg->probe_port = htons((uint16_t)o->probe_port);
	return 0;
}

int main(int argc, char **argv)
{
	static struct pl_sink_opts o = { .probe_port = PL_PROBE_PORT };
	char objpath[PATH_MAX], **args;
	struct plt_xdp_link link = { .fd = -1 };
	struct plt_bpf b = { 0 };
	struct pl_sink_totals t;
	double t0, first = 0, last = 0, last_print;
	uint64_t prev = 0, prev_print = 0;
	int err, nargs;

	err = plt_opts_main(&pl_sink_tool, argc, argv, &o, &nargs, &args);
	if (err >= 0)
		return err;
	if (o.topo && !o.dev) {
		char v[64];

		if (!pl_topo_get(o.topo, "SINK_IF", v, sizeof(v)) || !pl_topo_get(o.topo, "DUT_IN_IF", v, sizeof(v))) {
			snprintf(o.devbuf, sizeof(o.devbuf), "%.15s", v);
			o.dev = o.devbuf;
		}
	}
	if (!o.dev || !o.dev[0]) {
		pr_warn("no interface: give --dev IF or --topo NAME\n");
		return 2;
	}
	if (!o.duration && !o.idle)
		pr_info("no --duration or --idle: runs until SIGINT, SIGTERM, SIGHUP or SIGQUIT\n");
	if (!if_nametoindex(o.dev)) {
		pr_warn("no interface '%s' in this namespace (run it with ip netns exec NS)\n", o.dev);
		return 1;
	}
	err = plt_bpf_load(&b, &(struct plt_bpf_opts){
		.path = plt_bpf_find(NULL, "bench/pl_sink.bpf.o", objpath, sizeof(objpath)),
		.prog = "pl_sink",
		.before_load = pl_sink_configure,
		.arg = &o,
	});
	if (err)
		return 1;
	err = plt_xdp_attach(&link, o.dev, bpf_program__fd(b.prog), o.mode);
	if (err)
		goto close_obj;
	plt_stop_on_signals();
	signal(SIGUSR1, pl_sink_on_usr1);
	if (o.counts && !pl_sink_read(b.obj, &t))
		pl_sink_write_counts(o.counts, &t);
	if (o.ready_file) {
		FILE *f = fopen(o.ready_file, "w");

		if (f)
			fclose(f);
		else
			pr_warn("cannot create %s: %s\n", o.ready_file, strerror(errno));
	}
	t0 = last_print = plt_now();
	while (!plt_stop) {
		char name[IF_NAMESIZE];
		double now;

		usleep(10000);
		now = plt_now();
		if (pl_sink_read(b.obj, &t))
			break;
		if (o.counts)
			pl_sink_write_counts(o.counts, &t);
		if (pl_sink_dump) {
			pl_sink_dump = 0;
			pl_sink_print_hist(&t);
		}
		if (t.packets != prev) {
			if (!prev)
				first = now - 0.005; /* mid-point of the poll that saw the first frame */
			last = now;
			prev = t.packets;
		}
		if (o.interval > 0 && now - last_print >= o.interval) {
			fprintf(stderr, "[pl-sink] t=%.1f rx=%.0f pps\n", now - t0,
				(t.packets - prev_print) / (now - last_print));
			prev_print = t.packets;
			last_print = now;
		}
		if (o.duration > 0 && now - t0 >= o.duration)
			break;
		if (!if_indextoname(link.ifindex, name)) {
			pr_warn("%s is gone (namespace deleted?): stopping\n", o.dev);
			break;
		}
		if (o.idle > 0 && prev && now - last >= o.idle)
			break;
	}
	if (!pl_sink_read(b.obj, &t) && o.counts)
		pl_sink_write_counts(o.counts, &t);
	plt_xdp_detach(&link);
	pl_sink_print(&o, &t, last > first ? last - first : 0,
		      link.mode == PLT_XDP_GENERIC ? "generic" : "native");
	err = 0;
close_obj:
	plt_bpf_close(&b);
	return err ? 1 : 0;
}
