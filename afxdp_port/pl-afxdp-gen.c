// SPDX-License-Identifier: MIT
/* pl-afxdp-gen: a small live-frames generator and XDP sink for
 * bench/afxdp-vs-testpmd.sh, used while bench/pl-gen does not exist.
 *   pl-afxdp-gen gen  IF DST_MAC SECONDS   send 64-byte UDP (256 flows) out of IF
 *   pl-afxdp-gen sink IF SECONDS           count and drop on IF; print Mpps
 * gen stops at SECONDS or on SIGINT (the kernel ends test_run on a signal). */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef PL_GEN_OBJ
#define PL_GEN_OBJ "pl_gen.bpf.o"
#endif

static volatile sig_atomic_t stop;

/* Signals only set the flag. */
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

/* Build the 60-byte UDP frame the generator sends. */
static void mk_frame(unsigned char *f, const unsigned char dst[6], const unsigned char src[6])
{
	static const unsigned char ip[] = { 0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0,
					    10, 78, 0, 1, 10, 78, 0, 2 };
	unsigned sum = 0;

	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	memcpy(f + 14, ip, sizeof(ip));
	for (int i = 0; i < 20; i += 2)
		sum += (f[14 + i] << 8) | f[15 + i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~(sum + (sum >> 16)) & 0xffff;
	f[24] = sum >> 8;
	f[25] = sum & 0xff;
	f[34] = 0x9c; f[35] = 0x40; /* sport 40000 (low byte varies) */
	f[36] = 0x10; f[37] = 0x92; /* dport 4242 */
	f[38] = 0; f[39] = 26;
}

/* Sum the per-CPU counter. */
static unsigned long long count(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long v[256] = { 0 }, s = 0;
	__u32 zero = 0;

	if (ncpu > 256 || bpf_map_lookup_elem(fd, &zero, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

/* Monotonic time in seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* gen: one long live-frames test_run; sink: attach, count, detach. */
int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	const char *objpath = getenv("PL_GEN_OBJ") ? getenv("PL_GEN_OBJ") : PL_GEN_OBJ;
	int gen, ifindex, err, mapfd;
	double secs;

	if (argc < 4 || (strcmp(argv[1], "gen") && strcmp(argv[1], "sink")) ||
	    (!strcmp(argv[1], "gen") && argc < 5)) {
		fprintf(stderr, "usage: pl-afxdp-gen gen IF DST_MAC SECONDS | sink IF SECONDS\n");
		return 2;
	}
	gen = !strcmp(argv[1], "gen");
	ifindex = (int)if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "pl-afxdp-gen: no interface %s\n", argv[2]);
		return 2;
	}
	secs = atof(argv[gen ? 4 : 3]);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	obj = bpf_object__open_file(objpath, NULL);
	if (!obj) {
		fprintf(stderr, "pl-afxdp-gen: cannot open %s\n", objpath);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, gen ? "pl_gen" : "pl_sink");
	bpf_program__set_autoload(bpf_object__find_program_by_name(obj, gen ? "pl_sink" : "pl_gen"), false);
	if (gen) {
		unsigned char f[60], dst[6], src[6] = { 0x02, 0x78, 0, 0, 0, 1 };
		struct bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata");
		size_t sz;
		struct { __u32 out; unsigned char t[60]; } *rod;

		if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3],
			   &dst[4], &dst[5]) != 6) {
			fprintf(stderr, "pl-afxdp-gen: bad MAC %s\n", argv[3]);
			return 2;
		}
		mk_frame(f, dst, src);
		rod = (void *)bpf_map__initial_value(ro, &sz);
		if (!rod || sz < sizeof(*rod)) {
			fprintf(stderr, "pl-afxdp-gen: unexpected .rodata layout\n");
			return 1;
		}
		rod->out = (__u32)ifindex;
		memcpy(rod->t, f, 60);
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "pl-afxdp-gen: load failed: %s\n", strerror(-err));
		return 1;
	}
	mapfd = bpf_map__fd(bpf_object__find_map_by_name(obj, "pl_gen_count"));
	if (gen) {
		unsigned char f[60] = { 0 };
		struct xdp_md ctx = { .data_end = 60, .ingress_ifindex = (__u32)ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = 60, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .repeat = (__u32)(secs * 8e6 > 4e9 ? 4e9 : secs * 8e6), .batch_size = 256);
		double t0 = now();

		alarm((unsigned)secs + 1);
		signal(SIGALRM, on_sig);
		err = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
		if (err && errno != EINTR)
			fprintf(stderr, "pl-afxdp-gen: test_run: %s\n", strerror(errno));
		printf("gen: %.3f Mpps offered for %.1f s\n", count(mapfd) / (now() - t0) / 1e6, now() - t0);
		bpf_object__close(obj);
		return 0;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "pl-afxdp-gen: attach sink: %s\n", strerror(-err));
		return 1;
	}
	{
		double t0 = now(), t = t0;
		unsigned long long c0 = count(mapfd), c = c0;

		while (!stop && now() - t0 < secs) {
			usleep(200000);
			t = now();
			c = count(mapfd);
		}
		printf("sink: %.4f Mpps over %.2f s (%llu frames)\n", (c - c0) / (t - t0) / 1e6, t - t0,
		       c - c0);
	}
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(obj);
	return 0;
}
