// SPDX-License-Identifier: MIT
/* pl-gen: the lab's traffic generator. Frames are written by pl_gen.bpf.c and
 * injected with BPF_PROG_TEST_RUN in live-frames mode (kernel 5.18+): one
 * large repeat per call, XDP_REDIRECT through a devmap into the target
 * interface (or XDP_TX). Falls back to AF_XDP transmit (copy mode, libxdp;
 * pl_gen_afxdp.c) when live frames are unavailable. The frames come from
 * pl_gen_frames.c. Prints what it sent. */
#include "pl_bench_util.h"
#include "pl_gen.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_opts.h"
#include "plt_pcap.h"
#include "plt_time.h"

static const char *const pl_proto_names[PL_P_MAX] = { "udp", "tcp", "syn", "icmp" };

/* Parse "12.5M", "100k" into a number. */
static int pl_parse_num(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1e9, end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}


/* Parse the protocol mix. */
static int pl_parse_mix(const char *s, unsigned int *mix)
{
	char buf[128], *tok, *save = NULL;
	int p;

	memset(mix, 0, sizeof(unsigned int) * PL_P_MAX);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		unsigned int w = 1;

		if (colon) {
			*colon = 0;
			w = strtoul(colon + 1, NULL, 10);
			if (!w || w > 64)
				return -EINVAL;
		}
		for (p = 0; p < PL_P_MAX; p++)
			if (!strcmp(tok, pl_proto_names[p]))
				break;
		if (p == PL_P_MAX)
			return -EINVAL;
		mix[p] += w;
	}
	return 0;
}

/* --rate, --duration, --count: numbers with k/M/G suffixes. */
static int pl_opt_rate(void *field, const char *arg)
{
	if (pl_parse_num(arg, field)) {
		pr_warn("--rate '%s': a number of packets/s, e.g. 100k or 1.5M\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int pl_opt_duration(void *field, const char *arg)
{
	if (pl_parse_num(arg, field) || *(double *)field <= 0) {
		pr_warn("--duration '%s': seconds > 0\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int pl_opt_count(void *field, const char *arg)
{
	double v;

	if (pl_parse_num(arg, &v)) {
		pr_warn("--count '%s': a number\n", arg);
		return -EINVAL;
	}
	*(uint64_t *)field = (uint64_t)v;
	return 0;
}

static int pl_opt_mix(void *field, const char *arg)
{
	if (pl_parse_mix(arg, field)) {
		pr_warn("--proto '%s': use udp, tcp, syn, icmp or a mix like udp:3,tcp:1\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int pl_opt_mac(void *field, const char *arg)
{
	struct pl_mac *m = field;

	if (pl_parse_mac(arg, m->a)) {
		pr_warn("'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)\n", arg);
		return -EINVAL;
	}
	m->has = true;
	return 0;
}

static int pl_opt_size(void *field, const char *arg)
{
	struct pl_gen_opts *o = field;

	if (plt_parse_ulong(arg, PL_GEN_SIZE_MAX, &o->size)) {
		pr_warn("--size '%s': a number of bytes up to %u (a 9000-byte MTU's frame)\n", arg, PL_GEN_SIZE_MAX);
		return -EINVAL;
	}
	o->size_given = 1;
	return 0;
}

static int pl_opt_cpu(void *field, const char *arg)
{
	unsigned long v;

	if (plt_parse_ulong(arg, 1023, &v)) {
		pr_warn("--cpu '%s': a CPU number\n", arg);
		return -EINVAL;
	}
	*(int *)field = (int)v;
	return 0;
}

static int pl_opt_nice(void *field, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	(void)field;
	if (!*arg || *end || v < -20 || v > 19) {
		pr_warn("--nice '%s': a nice value from -20 to 19\n", arg);
		return -EINVAL;
	}
	if (setpriority(PRIO_PROCESS, 0, (int)v))
		pr_warn("cannot set nice %s: %s\n", arg, strerror(errno));
	return 0;
}

#define O(f) offsetof(struct pl_gen_opts, f)
static const struct plt_opt pl_gen_optv[] = {
	{ "dev", 'i', PLT_OPT_STR, O(dev), "IF", "target interface (default: GEN_IF of --topo)" },
	{ "topo", 'T', PLT_OPT_STR, O(topo), "NAME", "take interface, MACs and addresses from pl-topo info NAME" },
	{ "size", 's', PLT_OPT_FUNC, 0, "BYTES",
	  "frame size on the wire, with the 4-byte FCS (default 64; --pcap: its first frame's)", .fn = pl_opt_size },
	{ "flows", 'f', PLT_OPT_UINT, O(flows), "N", "flows: source port varies over N values (default 256)",
	  .min = 1, .max = 65535 },
	{ "src-addrs", 0, PLT_OPT_UINT, O(src_addrs), "K",
	  "source address also varies over K consecutive addresses (default 1)", .min = 1, .max = 1u << 24 },
	{ "proto", 'p', PLT_OPT_FUNC, O(mix), "MIX",
	  "udp, tcp (ACK), syn, icmp, or a mix like udp:3,tcp:1 (default udp)", .fn = pl_opt_mix },
	{ "ipv6", '6', PLT_OPT_FLAG, O(ipv6), NULL, "IPv6 instead of IPv4" },
	{ "rate", 'r', PLT_OPT_FUNC, O(rate), "PPS", "target rate in packets/s (suffix k, M); 0 or absent: full speed",
	  .fn = pl_opt_rate },
	{ "duration", 'd', PLT_OPT_FUNC, O(duration), "SEC", "how long to send (default 5)", .fn = pl_opt_duration },
	{ "count", 'n', PLT_OPT_FUNC, O(count), "N", "stop after exactly N frames", .fn = pl_opt_count },
	{ "pcap", 0, PLT_OPT_STR, O(pcap), "FILE",
	  "frames from this pcap/pcapng as templates (up to 65536; first 60-128 bytes of each)" },
	{ "src-mac", 0, PLT_OPT_FUNC, O(smac), "MAC", "source MAC", .fn = pl_opt_mac },
	{ "dst-mac", 0, PLT_OPT_FUNC, O(dmac), "MAC", "destination MAC (the DUT's)", .fn = pl_opt_mac },
	{ "src-ip", 0, PLT_OPT_STR, O(sip_arg), "ADDR", "first source address" },
	{ "dst-ip", 0, PLT_OPT_STR, O(dip_arg), "ADDR", "destination address" },
	{ "sport", 0, PLT_OPT_UINT, O(sport), "PORT", "first source port (default 1024)", .max = 65535 },
	{ "dport", 0, PLT_OPT_UINT, O(dport), "PORT", "destination port (default 7)", .max = 65535 },
	{ "probe-every", 0, PLT_OPT_UINT, O(probe_every), "N",
	  "every Nth frame is a timestamped latency probe (default 0: none)", .max = UINT32_MAX },
	{ "probe-port", 0, PLT_OPT_UINT, O(probe_port), "PORT", "UDP destination port of probes (default 9999)",
	  .max = 65535 },
	{ "batch", 'b', PLT_OPT_UINT, O(batch), "N", "live-frames batch size (default 256)", .min = 1, .max = 256 },
	{ "max-burst", 0, PLT_OPT_UINT, O(max_burst), "N",
	  "paced: frames it may send back to back to catch up (default 64)", .max = UINT32_MAX },
	{ "mode", 0, PLT_OPT_STR, O(mode), "M",
	  "redirect (default), tx (XDP_TX out of --dev), afxdp (AF_XDP copy mode)" },
	{ "cpu", 0, PLT_OPT_FUNC, O(cpu), "N", "pin the generator to CPU N", .fn = pl_opt_cpu },
	{ "nice", 0, PLT_OPT_FUNC, 0, "N",
	  "run at this nice value (e.g. -10: paced rates hold better on a busy machine)", .fn = pl_opt_nice },
	{ "json", 0, PLT_OPT_FLAG, O(json), NULL, "print the result as JSON" },
	{ "verbose", 'v', PLT_OPT_VERBOSE, O(verbose), NULL, "more messages (libbpf's too)" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void pl_gen_intro(FILE *f)
{
	fprintf(f, "(run it in the generator's namespace: ip netns exec NS pl-gen ...)\n"
		   "Sends frames into --dev with BPF_PROG_TEST_RUN live frames; prints packets, bytes, rate.\n");
}

static const struct plt_tool pl_gen_tool = {
	.name = "pl-gen",
	.usage = "[options]",
	.intro = pl_gen_intro,
	.opts = pl_gen_optv,
	.nopts = PLT_ARRAY_SIZE(pl_gen_optv),
	.width = 28,
};

/* SIGALRM ends a BPF_PROG_TEST_RUN call at the deadline: the kernel checks
 * for a pending signal between batches and returns EINTR. Without it the
 * call's remaining runs, which only drop (~100 ns each), ran on for up to a
 * third of the trial's length after the last frame was sent. */
static void pl_gen_on_alarm(int sig)
{
	(void)sig;
}

/* Arm (seconds > 0) or disarm the one-shot alarm. */
static void pl_gen_alarm(double seconds)
{
	struct itimerval it = { 0 };

	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6) + 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Print what was sent. */
static void pl_gen_report(const struct pl_gen_opts *o, const struct pl_gen_result *r)
{
	double pps = r->seconds > 0 ? r->packets / r->seconds : 0;
	double bytes = (double)r->packets * r->flen;

	if (o->json) {
		printf("{\"tool\":\"pl-gen\",\"mode\":\"%s\",\"dev\":\"%s\",\"size\":%lu,\"frame_len\":%zu,"
		       "\"flows\":%lu,\"ipv6\":%s,\"target_pps\":%.0f,\"packets\":%llu,\"bytes\":%.0f,"
		       "\"probes\":%llu,\"seconds\":%.6f,\"pps\":%.1f,\"mpps\":%.4f,\"gbps_wire\":%.4f,"
		       "\"schedule_skipped_ns\":%llu,\"wall_seconds\":%.6f,\"calls\":%u}\n",
		       r->mode, o->dev, o->size, r->flen, o->flows, o->ipv6 ? "true" : "false", o->rate,
		       (unsigned long long)r->packets, bytes, (unsigned long long)r->probes, r->seconds, pps,
		       pps / 1e6, pps * (r->flen + 24) * 8 / 1e9, (unsigned long long)r->skipped_ns,
		       r->wall_seconds ? r->wall_seconds : r->seconds, r->calls);
		return;
	}
	printf("pl-gen: mode=%s dev=%s size=%lu (frame %zu) flows=%lu %s target=%s\n", r->mode, o->dev,
	       o->size, r->flen, o->flows, o->ipv6 ? "ipv6" : "ipv4", o->rate > 0 ? "paced" : "full-speed");
	printf("sent %llu packets, %.0f bytes (probes %llu) in %.3f s: %.4f Mpps, %.3f Gbit/s on the wire\n",
	       (unsigned long long)r->packets, bytes, (unsigned long long)r->probes, r->seconds, pps / 1e6,
	       pps * (r->flen + 24) * 8 / 1e9);
	if (o->rate > 0)
		printf("target %.0f pps, achieved %.2f%% (schedule skipped %.3f ms after stalls)\n", o->rate,
		       100.0 * pps / o->rate, r->skipped_ns / 1e6);
}

/* Fill defaults from pl-topo info. */
static int pl_gen_from_topo(struct pl_gen_opts *o)
{
	char v[128], peer[64], key[80];
	const char *dst_keys[] = { o->ipv6 ? "VIP6" : "VIP4", o->ipv6 ? "SINK_IP6" : "SINK_IP4", NULL };
	int i;

	if (!o->dev && !pl_topo_get(o->topo, "GEN_IF", v, sizeof(v))) {
		snprintf(o->devbuf, sizeof(o->devbuf), "%.15s", v);
		o->dev = o->devbuf;
	}
	if (!o->dev) {
		pr_warn("topology '%s' is not up or has no GEN_IF (pl-topo info %s)\n", o->topo, o->topo);
		return -ENOENT;
	}
	if (!o->smac.has && !pl_topo_get(o->topo, "GEN_MAC", v, sizeof(v)))
		o->smac.has = !pl_parse_mac(v, o->smac.a);
	if (!pl_topo_get(o->topo, "GEN_PEER", peer, sizeof(peer))) {
		snprintf(key, sizeof(key), "%s_MAC", peer);
		if (!o->dmac.has && !pl_topo_get(o->topo, key, v, sizeof(v)))
			o->dmac.has = !pl_parse_mac(v, o->dmac.a);
		snprintf(key, sizeof(key), "%s_IP%c", peer, o->ipv6 ? '6' : '4');
		if (!o->dip[0] && !pl_topo_get(o->topo, key, v, sizeof(v)))
			snprintf(o->dip, sizeof(o->dip), "%.45s", v);
	}
	/* a sink or a VIP beats the DUT's own address (main restores an explicit --dst-ip) */
	for (i = 0; dst_keys[i]; i++)
		if (!pl_topo_get(o->topo, dst_keys[i], v, sizeof(v))) {
			snprintf(o->dip, sizeof(o->dip), "%.45s", v);
			break;
		}
	if (!o->sip[0] && !pl_topo_get(o->topo, o->ipv6 ? "GEN_IP6" : "GEN_IP4", v, sizeof(v)))
		snprintf(o->sip, sizeof(o->sip), "%.45s", v);
	return 0;
}

/* The generator's configuration into the object's .rodata, before load. */
static int pl_gen_configure(struct bpf_object *obj, void *arg)
{
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	struct pl_gen_cfg *cfg;
	size_t sz;

	if (!rodata || !(cfg = (void *)bpf_map__initial_value(rodata, &sz)) || sz < sizeof(*cfg)) {
		pr_warn("pl_gen.bpf.o has no .rodata configuration (rebuild it)\n");
		return -EINVAL;
	}
	*cfg = *(const struct pl_gen_cfg *)arg;
	return 0;
}

int main(int argc, char **argv)
{
	static struct pl_gen_opts o = { .size = 64, .flows = 256, .src_addrs = 1, .duration = 5, .sport = 1024,
					.dport = 7, .probe_port = PL_PROBE_PORT, .batch = 256, .max_burst = 64,
					.mode = "redirect", .cpu = -1, .mix = { [PL_P_UDP] = 1 } };
	char objpath[PATH_MAX], **args;
	struct plt_bpf b = { 0 };
	struct pl_gen_result r = { 0 };
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *frames_map, *tx_map, *bss;
	struct pl_gen_cfg gcfg = { 0 }, *cfg;
	struct pl_gen_state stv = { 0 }, *st = &stv;
	int bss_fd = -1;
	__u32 zero = 0;
	struct pl_addrs a = { 0 };
	uint8_t *frames = NULL, *probe_frame = NULL;
	uint32_t n_entries = 0, seq[PL_P_MAX * 64], nseq = 0, e, ifindex;
	size_t flen, need = 0, probe_off = 0;
	int err = 0, p, copy_len, prog_fd, nargs;

	err = plt_opts_main(&pl_gen_tool, argc, argv, &o, &nargs, &args);
	if (err >= 0)
		return err;
	err = 0;
	if (o.sip_arg)
		snprintf(o.sip, sizeof(o.sip), "%s", o.sip_arg);
	if (o.dip_arg)
		snprintf(o.dip, sizeof(o.dip), "%s", o.dip_arg);
	if (o.topo) {
		char keep[INET6_ADDRSTRLEN];

		snprintf(keep, sizeof(keep), "%s", o.dip);
		if (pl_gen_from_topo(&o))
			return 1;
		if (o.dip_arg)
			snprintf(o.dip, sizeof(o.dip), "%s", keep);
	}
	if (!o.dev) {
		pr_warn("no target interface: give --dev IF or --topo NAME\n");
		return 2;
	}
	if (strcmp(o.mode, "redirect") && strcmp(o.mode, "tx") && strcmp(o.mode, "afxdp")) {
		pr_warn("--mode '%s': redirect, tx or afxdp\n", o.mode);
		return 2;
	}
	if (!o.flows || o.flows > 65535 || !o.src_addrs || !o.batch || o.batch > 256 || o.sport > 65535 ||
	    o.dport > 65535 || o.probe_port > 65535 || o.size > PL_GEN_SIZE_MAX) {
		pr_warn("out of range: --flows 1-65535, --src-addrs >= 1, --batch 1-256, ports < 65536, --size <= %u\n",
			PL_GEN_SIZE_MAX);
		return 2;
	}
	ifindex = if_nametoindex(o.dev);
	if (!ifindex) {
		pr_warn("no interface '%s' in this namespace (run it with ip netns exec NS)\n", o.dev);
		return 1;
	}
	if (!o.sip[0])
		snprintf(o.sip, sizeof(o.sip), o.ipv6 ? "fd00:0:0:1::1" : "10.0.1.1");
	if (!o.dip[0])
		snprintf(o.dip, sizeof(o.dip), o.ipv6 ? "fd00:0:0:1::2" : "10.0.1.2");
	if (!o.smac.has) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", o.dev);
		f = fopen(path, "r");
		if (f) {
			char m[32] = "";

			if (fgets(m, sizeof(m), f))
				o.smac.has = !pl_parse_mac(m, o.smac.a);
			fclose(f);
		}
	}
	if (!o.dmac.has)
		memset(o.dmac.a, 0xff, 6), pr_info("no --dst-mac: sending to ff:ff:ff:ff:ff:ff\n");
	if ((!o.ipv6 && (inet_pton(AF_INET, o.sip, &a.s4) != 1 || inet_pton(AF_INET, o.dip, &a.d4) != 1)) ||
	    (o.ipv6 && (inet_pton(AF_INET6, o.sip, &a.s6) != 1 || inet_pton(AF_INET6, o.dip, &a.d6) != 1))) {
		pr_warn("bad %s source/destination address '%s' / '%s'\n", o.ipv6 ? "IPv6" : "IPv4", o.sip, o.dip);
		return 2;
	}
	if (o.pcap && !o.size_given) {
		/* frames as long as the pcap's first one */
		struct plt_pcap_reader rd;
		struct plt_pcap_frame f;

		if (!plt_pcap_open(&rd, o.pcap)) {
			if (plt_pcap_next(&rd, &f) == 1)
				o.size = (f.len < 60 ? 60 : f.len) + 4;
			plt_pcap_close(&rd);
		}
	}
	flen = o.size - 4;
	if (o.size < 64) {
		pr_warn("--size %lu: at least 64 (the wire minimum, FCS included)\n", o.size);
		return 2;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			pr_warn("cannot pin to CPU %d: %s\n", o.cpu, strerror(errno));
	}

	/* Frames: flows x protocol mix, or the pcap's frames. */
	for (p = 0; p < PL_P_MAX; p++)
		for (unsigned int w = 0; w < o.mix[p]; w++)
			seq[nseq++] = p;
	frames = calloc((size_t)PL_GEN_ENTRIES_MAX, flen);
	probe_frame = calloc(1, flen + 16);
	if (!frames || !probe_frame) {
		err = -ENOMEM;
		goto free_frames;
	}
	if (o.pcap) {
		size_t first = 0;
		int n = pl_read_templates(o.pcap, frames, flen, &first, PL_GEN_ENTRIES_MAX);

		if (n <= 0) {
			pr_warn("%s: no frames\n", o.pcap);
			err = -EINVAL;
			goto free_frames;
		}
		n_entries = n;
		for (e = 0; e < n_entries; e++)
			pl_fix_lengths(frames + (size_t)e * flen, flen);
		/* rewrite as much of each frame as the largest class that fits; the
		 * bytes beyond it come from the first frame */
		need = flen >= 128 ? 128 : flen >= 96 ? 96 : flen >= 80 ? 80 : flen >= 64 ? 64 : 60;
	} else {
		uint64_t total = (uint64_t)o.flows * nseq;

		n_entries = total > PL_GEN_ENTRIES_MAX ? PL_GEN_ENTRIES_MAX : total;
		for (e = 0; e < n_entries; e++) {
			size_t h = pl_build_frame(frames + (size_t)e * flen, flen, &o, &a, seq[e % nseq], (e / nseq) % o.flows, false);
			if (h > need)
				need = h;
		}
	}
	if (o.probe_every) {
		probe_off = pl_build_frame(probe_frame, flen, &o, &a, PL_P_UDP, 0, true);
		if (probe_off + sizeof(struct pl_probe_stamp) > need)
			need = probe_off + sizeof(struct pl_probe_stamp);
	}
	if (need > flen) {
		pr_warn("--size %lu is too small for these headers%s: need at least %zu\n", o.size,
			o.probe_every ? " and the probe stamp" : "", need + 4);
		err = -EINVAL;
		goto free_frames;
	}
	copy_len = pl_copy_class(need, flen);
	if (copy_len < 0) {
		/* frame shorter than the smallest class: still fine if it covers need */
		pr_warn("--size %lu: frames need at least 64 bytes without FCS for the rewrite (try --size %zu)\n",
			o.size, (size_t)68);
		err = -EINVAL;
		goto free_frames;
	}

	if (!strcmp(o.mode, "afxdp"))
		goto afxdp;
	if (flen > PL_GEN_LIVE_MAX) {
		pr_info("--size %lu: live frames carry at most %u bytes (one page); sending through AF_XDP (multi-buffer)\n",
			o.size, PL_GEN_LIVE_MAX);
		goto afxdp;
	}

	gcfg.copy_len = copy_len;
	gcfg.n_entries = n_entries;
	gcfg.probe_every = o.probe_every;
	gcfg.probe_off = probe_off;
	gcfg.paced = o.rate > 0;
	gcfg.use_tx = !strcmp(o.mode, "tx");
	if (o.rate > 0) {
		gcfg.interval_fp = (uint64_t)llround(65536.0 * 1e9 / o.rate);
		gcfg.max_lag_ns = (uint64_t)(o.max_burst * 1e9 / o.rate);
	}
	cfg = &gcfg;
	err = plt_bpf_load(&b, &(struct plt_bpf_opts){
		.path = plt_bpf_find(NULL, "bench/pl_gen.bpf.o", objpath, sizeof(objpath)),
		.prog = "pl_gen",
		.before_load = pl_gen_configure,
		.arg = &gcfg,
	});
	if (err)
		goto free_frames;
	obj = b.obj;
	prog = bpf_object__find_program_by_name(obj, "pl_gen");
	frames_map = bpf_object__find_map_by_name(obj, "pl_gen_frames");
	tx_map = bpf_object__find_map_by_name(obj, "pl_gen_tx");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (bss)
		bss_fd = bpf_map__fd(bss);
	if (!prog || !frames_map || !tx_map || bss_fd < 0 || bpf_map__value_size(bss) != sizeof(*st)) {
		pr_warn("%s lacks pl_gen, its maps or .bss (rebuild it)\n", objpath);
		err = -EINVAL;
		goto close_obj;
	}
	prog_fd = bpf_program__fd(prog);
	for (e = 0; e < n_entries; e++) {
		uint8_t blk[PL_GEN_HDR_MAX] = { 0 };

		memcpy(blk, frames + (size_t)e * flen, copy_len);
		bpf_map_update_elem(bpf_map__fd(frames_map), &e, blk, 0);
	}
	if (o.probe_every) {
		uint8_t blk[PL_GEN_HDR_MAX] = { 0 };

		e = PL_GEN_ENTRIES_MAX;
		memcpy(blk, probe_frame, copy_len);
		bpf_map_update_elem(bpf_map__fd(frames_map), &e, blk, 0);
	}
	e = 0;
	err = bpf_map_update_elem(bpf_map__fd(tx_map), &e, &ifindex, 0);
	if (err && !cfg->use_tx) {
		pr_warn("%s cannot be a devmap target: %s\n", o.dev, strerror(errno));
		goto close_obj;
	}

	/* Probe live frames with a run that sends nothing (limit 0). */
	{
		struct xdp_md ctx = { .ingress_ifindex = ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frames, .data_size_in = flen,
			    .ctx_in = cfg->use_tx ? &ctx : NULL, .ctx_size_in = cfg->use_tx ? sizeof(ctx) : 0, .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = o.batch);
		st->limit = 0;
		bpf_map_update_elem(bss_fd, &zero, st, 0);
		err = bpf_prog_test_run_opts(prog_fd, &t);
		if (err && cfg->use_tx) {
			err = -errno;
			pr_warn("--mode tx refused (%s): XDP_TX in live-frames mode needs a registered XDP "
				"receive queue on %s (veth: an XDP program attached or GRO on); try --mode redirect\n",
				strerror(errno), o.dev);
			goto close_obj;
		}
		if (err) {
			pr_warn("live frames (BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18+) unavailable: %s; "
				"falling back to AF_XDP transmit (copy mode)\n", strerror(errno));
			plt_bpf_close(&b);
			obj = NULL;
			goto afxdp;
		}
	}

	plt_stop_on_signals();
	{
		struct sigaction sa = { .sa_handler = pl_gen_on_alarm }; /* no SA_RESTART: the call returns EINTR */
		struct xdp_md ctx = { .ingress_ifindex = ifindex };
		double t0, now, deadline, iter_rate = 0;
		uint64_t iters_total = 0, active_ns = 0, active_sent = 0;
		struct timespec ts;

		st->sent = st->probes = st->skipped_ns = st->spins = 0;
		st->next_fp = 0;
		st->limit = o.count ? o.count : UINT64_MAX;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = plt_now();
		st->start_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		st->deadline_ns = st->start_ns + (uint64_t)(o.duration * 1e9);
		deadline = t0 + o.duration;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		while (!plt_stop && (now = plt_now()) < deadline && st->sent < st->limit) {
			/* One call for the whole remaining time (each call costs ~25 ms
			 * of set-up, and nothing is sent meanwhile): the program stops
			 * sending at the deadline, extra runs only drop (~100 ns each).
			 * The first call guesses the run rate (paced waits ~130 ns,
			 * sends 150-250 ns) generously, so that one call lasts the
			 * whole run; an alarm just after the deadline ends it (another
			 * call follows only if the guess was still too short). */
			double left = deadline - now;
			uint64_t rep = (uint64_t)((iter_rate > 0 ? iter_rate * 1.3 : (cfg->paced ? 8e6 : 20e6) * 3) * left) + 256;
			double c0 = now;
			int call_errno;

			if (o.count && !cfg->paced && rep > o.count - st->sent)
				rep = o.count - st->sent;
			if (rep > UINT32_MAX)
				rep = UINT32_MAX;
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frames, .data_size_in = flen,
				    .ctx_in = cfg->use_tx ? &ctx : NULL, .ctx_size_in = cfg->use_tx ? sizeof(ctx) : 0,
				    .repeat = (uint32_t)rep,
				    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = o.batch);
			/* the state lives in .bss: written before, read after each call */
			st->call_ns = 0;
			bpf_map_update_elem(bss_fd, &zero, st, 0);
			pl_gen_alarm(left + 0.002);
			err = bpf_prog_test_run_opts(prog_fd, &t);
			call_errno = errno;
			pl_gen_alarm(0);
			bpf_map_lookup_elem(bss_fd, &zero, st);
			r.calls++;
			/* full speed: the time this call sent frames, from its first
			 * clock check to its last (its ~25 ms of set-up sends nothing) */
			if (st->call_ns && st->last_ns > st->call_ns) {
				active_ns += st->last_ns - st->call_ns;
				active_sent += st->last_sent - st->call_sent;
			}
			if (err && call_errno == EINTR) {
				err = 0; /* the alarm at the deadline, or a stop signal: stop with what was sent */
				break;
			}
			if (err) {
				err = -call_errno;
				pr_warn("BPF_PROG_TEST_RUN failed: %s\n", strerror(call_errno));
				break;
			}
			iters_total += rep;
			iter_rate = rep / (plt_now() - c0);
		}
		r.seconds = r.wall_seconds = plt_now() - t0;
		/* paced: from the schedule origin to the last send (later runs only drop) */
		if (cfg->paced && st->sent)
			r.seconds = (st->last_ns - st->start_ns) / 1e9 + 1.0 / o.rate;
		else if (active_sent && active_ns)
			/* full speed: the rate while it sent (the calls' set-up and the
			 * runs after the deadline, which only drop, are not sending
			 * time; counting them made short trials look slower than
			 * long ones by the share of set-up in their length) */
			r.seconds = st->sent * (active_ns / 1e9) / active_sent;
		r.packets = st->sent;
		r.probes = st->probes;
		r.skipped_ns = st->skipped_ns;
		r.mode = cfg->use_tx ? "live-tx" : "live-redirect";
		pr_debug("%llu program runs, %llu paced waits\n", (unsigned long long)iters_total,
			 (unsigned long long)st->spins);
	}
	r.flen = flen;
	if (!err)
		pl_gen_report(&o, &r);
	goto close_obj;

afxdp:
#ifdef PL_HAVE_LIBXDP
	plt_stop_on_signals();
	err = pl_gen_afxdp(&o, frames, n_entries, probe_frame, probe_off, flen, &r);
	r.flen = flen;
	if (!err)
		pl_gen_report(&o, &r);
#else
	pr_warn("built without libxdp: no AF_XDP transmit mode\n");
	err = -EOPNOTSUPP;
#endif
close_obj:
	plt_bpf_close(&b);
free_frames:
	free(frames);
	free(probe_frame);
	return err ? 1 : 0;
}
