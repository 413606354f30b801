// SPDX-License-Identifier: MIT
/* pathlab-xdp sample IFACE --out FILE: drain the attached program's sample
 * ring (a BPF ring buffer, core/stages/sample.h) into a pcap file until
 * --count records, --duration or SIGINT/SIGTERM. Records sampled before it
 * started (left in the ring) are skipped. The policy decides what is
 * sampled (`sample every N ...`, docs/policy.md); one reader at a time (a
 * ring buffer has one consumer position). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "plt_log.h"
#include "plt_sample.h"
#include "plt_time.h"
#include "px.h"
#include "stages/sample.h"

struct px_sample_run {
	struct plt_sample_out out;
	unsigned long limit; /* 0: no limit */
	unsigned long stale; /* records sampled before the reader started */
	__u64 start_ns;      /* CLOCK_MONOTONIC, the clock records carry */
	int err;
};

static int px_sample_rec(void *ctx, void *data, size_t size)
{
	struct px_sample_run *s = ctx;

	if (s->limit && s->out.written >= s->limit)
		return 1; /* stop: ring_buffer__poll returns */
	/* What waited in the ring from before (an earlier reader's leftovers,
	 * an earlier policy's samples) is not this run's. */
	if (size >= sizeof(struct pl_sample_hdr) && ((const struct pl_sample_hdr *)data)->ts_ns < s->start_ns) {
		s->stale++;
		return 0;
	}
	s->err = plt_sample_write(&s->out, data, size);
	return s->err ? s->err : 0;
}

int px_cmd_sample(void *opts, int n, char **args)
{
	struct px_opts *o = opts;
	struct px_sample_run s = { .limit = o->count };
	struct ring_buffer *rb = NULL;
	struct pl_counters c0, c1;
	struct plt_xdp_info a;
	struct pl_config cfg;
	struct pl_ctl *c;
	int pfd = -1, mfd = -1, err = 1;
	double t0, end;

	(void)n;
	if (!o->out) {
		pr_warn("sample needs --out FILE (the pcap file to write; tcpdump -r FILE reads it)\n");
		return 2;
	}
	c = plt_xdp_open_core(args[0], &a);
	if (!c)
		return 1;
	if (pl_ctl_get_config(c, &cfg) == 0 && (!cfg.sample_enabled || cfg.mode != PL_MODE_POLICY))
		pr_warn("%s: %s; the file stays empty until a policy with `sample every N` is loaded "
			"(pathlab-xdp policy %s FILE)\n", args[0],
			cfg.mode != PL_MODE_POLICY ? "not in mode policy" : "the policy samples nothing",
			args[0]);
	pfd = bpf_prog_get_fd_by_id(a.prog_id);
	if (pfd < 0) {
		pr_warn("cannot open program %u: %s\n", a.prog_id, strerror(errno));
		goto out;
	}
	mfd = pl_ctl_bpf_prog_map_by_type(pfd, BPF_MAP_TYPE_RINGBUF, NULL);
	if (mfd < 0) {
		pr_warn("program %u on %s has no sample ring (a pathlab.bpf.o older than the sample stage? "
			"re-attach with this build's object)\n", a.prog_id, args[0]);
		goto out;
	}
	if (plt_sample_create(&s.out, o->out))
		goto out;
	rb = ring_buffer__new(mfd, px_sample_rec, &s, NULL);
	if (!rb) {
		pr_warn("cannot read the sample ring: %s\n", strerror(errno));
		goto out_file;
	}
	pl_ctl_read_counters(c, &c0);
	plt_stop_on_signals();
	t0 = plt_now();
	s.start_ns = plt_now_ns();
	end = o->duration > 0 ? t0 + o->duration : 0;
	while (!plt_stop && !s.err && (!s.limit || s.out.written < s.limit)) {
		double left = end ? end - plt_now() : 0.1;
		int r;

		if (end && left <= 0)
			break;
		r = ring_buffer__poll(rb, (int)((left < 0.1 ? left : 0.1) * 1000) + 1);
		if (r < 0 && r != -EINTR) {
			pr_warn("reading the sample ring: %s\n", strerror(-r));
			break;
		}
	}
	pl_ctl_read_counters(c, &c1);
	err = s.err ? 1 : 0;
	printf("%s: %lu frames written to %s in %.1f s (sampled %llu, lost %llu in the ring meanwhile)\n",
	       args[0], s.out.written, o->out, plt_now() - t0,
	       (unsigned long long)(c1.c[PL_CNT_SAMPLED] - c0.c[PL_CNT_SAMPLED]),
	       (unsigned long long)(c1.c[PL_CNT_SAMPLE_LOST] - c0.c[PL_CNT_SAMPLE_LOST]));
out_file:
	if (plt_sample_finish(&s.out))
		err = 1;
out:
	ring_buffer__free(rb);
	if (mfd >= 0)
		close(mfd);
	if (pfd >= 0)
		close(pfd);
	pl_ctl_close(c);
	return err;
}
