// SPDX-License-Identifier: MIT
/* pl-sink: attach pl_sink.bpf.c to the sink interface, count what arrives per
 * flow class, record the one-way delay of pl-gen's latency probes, and print
 * a summary (counts, rates, p50/p90/p99/p99.9/max) when it stops: after
 * --duration, after --idle seconds without frames, or on SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT. The program is attached through a bpf_link that only this
 * process holds, so it is detached on every exit path, SIGKILL included. */
#include "pl_bench_util.h"
#include "pl_bench.h"
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

static const char *const pl_class_names[PL_CLASS_MAX] = {
#define PL_X(n, s) s,
	PL_SINK_CLASSES(PL_X)
#undef PL_X
};

struct pl_sink_opts {
	char dev[IF_NAMESIZE];
	const char *topo;
	double duration, idle, interval;
	int action;
	unsigned int probe_port;
	bool generic, json;
	const char *ready_file;
};

struct pl_sink_totals {
	struct pl_sink_count cls[PL_CLASS_MAX];
	uint64_t packets, bytes;
	struct pl_sink_lat lat;
	uint64_t hist[PL_HIST_BUCKETS];
};

static volatile sig_atomic_t pl_stop;

/* SIGINT/SIGTERM/SIGHUP/SIGQUIT: stop, print, detach. */
static void pl_on_signal(int sig)
{
	pl_stop = 1;
}

enum { O_IDLE = 256, O_ACTION, O_PPORT, O_GENERIC, O_JSON, O_READY, O_INTERVAL };
static const struct pl_opt pl_sink_optv[] = {
	{ "dev", "IF", 'i', "sink interface (default: SINK_IF, else DUT_IN_IF of --topo)" },
	{ "topo", "NAME", 'T', "take the interface from pl-topo info NAME" },
	{ "duration", "SEC", 'd', "stop after SEC seconds (default 0: only --idle or a signal)" },
	{ "idle", "SEC", O_IDLE, "stop once frames have arrived and none came for SEC seconds" },
	{ "interval", "SEC", O_INTERVAL, "print a rate line every SEC seconds (stderr)" },
	{ "action", "A", O_ACTION, "drop (default), pass or tx" },
	{ "probe-port", "PORT", O_PPORT, "UDP destination port of latency probes (default 9999)" },
	{ "generic", NULL, O_GENERIC, "attach in generic (skb) mode instead of native" },
	{ "ready-file", "FILE", O_READY, "create FILE once the program is attached" },
	{ "json", NULL, O_JSON, "print the summary as JSON" },
	{ "verbose", NULL, 'v', "more messages (libbpf's too)" },
	{ "help", NULL, 'h', "this text" },
};
#define PL_NOPTS ((int)(sizeof(pl_sink_optv) / sizeof(pl_sink_optv[0])))

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

int main(int argc, char **argv)
{
	struct pl_sink_opts o = { .action = 1 /* XDP_DROP */, .probe_port = PL_PROBE_PORT };
	struct option lo[PL_NOPTS + 1];
	char so[2 * PL_NOPTS + 1], objpath[PATH_MAX];
	struct pl_sink_totals t;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *rodata;
	struct pl_sink_cfg *cfg;
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	struct sigaction sa = { .sa_handler = pl_on_signal };
	static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	int link_fd;
	double t0, first = 0, last = 0, last_print;
	uint64_t prev = 0, prev_print = 0;
	int c, err, ifindex, prog_fd;
	size_t sz;

	pl_opts_build(pl_sink_optv, PL_NOPTS, lo, so, sizeof(so));
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'i': snprintf(o.dev, sizeof(o.dev), "%s", optarg); break;
		case 'T': o.topo = optarg; break;
		case 'd': o.duration = atof(optarg); break;
		case O_IDLE: o.idle = atof(optarg); break;
		case O_INTERVAL: o.interval = atof(optarg); break;
		case O_ACTION:
			if (!strcmp(optarg, "drop"))
				o.action = 1;
			else if (!strcmp(optarg, "pass"))
				o.action = 2;
			else if (!strcmp(optarg, "tx"))
				o.action = 3;
			else {
				pr_warn("pl-sink: --action '%s': drop, pass or tx\n", optarg);
				return 2;
			}
			break;
		case O_PPORT: o.probe_port = strtoul(optarg, NULL, 0); break;
		case O_GENERIC: o.generic = true; break;
		case O_READY: o.ready_file = optarg; break;
		case O_JSON: o.json = true; break;
		case 'v': pl_verbose = 1; break;
		case 'h':
			printf("usage: pl-sink [options]   (in the sink's namespace: ip netns exec NS pl-sink ...)\n"
			       "Counts frames per class on --dev with XDP and summarises latency probes.\n");
			pl_opts_usage(stdout, pl_sink_optv, PL_NOPTS);
			return 0;
		default:
			pl_opts_usage(stderr, pl_sink_optv, PL_NOPTS);
			return 2;
		}
	}
	if (o.topo && !o.dev[0]) {
		char v[64];

		if (!pl_topo_get(o.topo, "SINK_IF", v, sizeof(v)) || !pl_topo_get(o.topo, "DUT_IN_IF", v, sizeof(v)))
			snprintf(o.dev, sizeof(o.dev), "%.15s", v);
	}
	if (!o.dev[0]) {
		pr_warn("pl-sink: no interface: give --dev IF or --topo NAME\n");
		return 2;
	}
	if (!o.duration && !o.idle)
		pr_info("pl-sink: no --duration or --idle: runs until SIGINT, SIGTERM, SIGHUP or SIGQUIT\n");
	ifindex = if_nametoindex(o.dev);
	if (!ifindex) {
		pr_warn("pl-sink: no interface '%s' in this namespace (run it with ip netns exec NS)\n", o.dev);
		return 1;
	}
	err = pl_bpf_obj_path("pl_sink.bpf.o", objpath, sizeof(objpath));
	if (err) {
		pr_warn("pl-sink: pl_sink.bpf.o not found (next to pl-sink or in $PL_BPF_DIR)\n");
		return 1;
	}
	pl_libbpf_logging();
	obj = bpf_object__open_file(objpath, NULL);
	if (!obj) {
		pr_warn("pl-sink: cannot open %s: %s\n", objpath, strerror(errno));
		return 1;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata || !(cfg = (void *)bpf_map__initial_value(rodata, &sz)) || sz < sizeof(*cfg)) {
		pr_warn("pl-sink: %s has no .rodata configuration (rebuild it)\n", objpath);
		err = -EINVAL;
		goto close_obj;
	}
	cfg->action = o.action;
	cfg->probe_port = htons(o.probe_port);
	err = bpf_object__load(obj);
	if (err) {
		pr_warn("pl-sink: loading %s failed: %s\n", objpath, strerror(-err));
		goto close_obj;
	}
	prog = bpf_object__find_program_by_name(obj, "pl_sink");
	prog_fd = bpf_program__fd(prog);
	/* A bpf_link, held only by this process: the kernel detaches it when the
	 * process goes, however it goes. */
	lopts.flags = o.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
	err = link_fd < 0 ? -errno : 0;
	if (err && !o.generic && err != -EBUSY && err != -EEXIST) {
		pr_warn("pl-sink: native XDP on %s refused (%s): using generic (skb) mode\n", o.dev, strerror(-err));
		lopts.flags = XDP_FLAGS_SKB_MODE;
		o.generic = true;
		link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
		err = link_fd < 0 ? -errno : 0;
	}
	if (err) {
		pr_warn("pl-sink: cannot attach to %s: %s%s\n", o.dev, strerror(-err),
			err == -EBUSY || err == -EEXIST ? " (another XDP program is attached: detach it first)" : "");
		goto close_obj;
	}
	sigemptyset(&sa.sa_mask);
	for (unsigned int i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigaction(stop_sigs[i], &sa, NULL);
	if (o.ready_file) {
		FILE *f = fopen(o.ready_file, "w");

		if (f)
			fclose(f);
		else
			pr_warn("pl-sink: cannot create %s: %s\n", o.ready_file, strerror(errno));
	}
	t0 = last_print = pl_now();
	while (!pl_stop) {
		char name[IF_NAMESIZE];
		double now;

		usleep(10000);
		now = pl_now();
		if (pl_sink_read(obj, &t))
			break;
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
		if (!if_indextoname(ifindex, name)) {
			pr_warn("pl-sink: %s is gone (namespace deleted?): stopping\n", o.dev);
			break;
		}
		if (o.idle > 0 && prev && now - last >= o.idle)
			break;
	}
	pl_sink_read(obj, &t);
	close(link_fd); /* detaches */
	pl_sink_print(&o, &t, last > first ? last - first : 0, o.generic ? "generic" : "native");
	err = 0;
close_obj:
	bpf_object__close(obj);
	return err ? 1 : 0;
}
