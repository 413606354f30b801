// SPDX-License-Identifier: MIT
/* plt_sample: sample records into pcap (plt_sample.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "plt_log.h"
#include "plt_sample.h"
#include "stages/sample.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int plt_sample_create(struct plt_sample_out *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	return plt_pcap_create(&o->w, path);
}

int plt_sample_write(struct plt_sample_out *o, const void *rec, size_t size)
{
	const struct pl_sample_rec *r = rec;
	int err;

	if (size < sizeof(r->h) || r->h.cap_len == 0 || r->h.cap_len > PL_SAMPLE_SNAP_MAX ||
	    size < sizeof(r->h) + r->h.cap_len) {
		o->bad++;
		return 0;
	}
	err = plt_pcap_write_snap(&o->w, r->data, r->h.cap_len, r->h.frame_len,
				  (uint64_t)((int64_t)r->h.ts_ns + o->mono_to_real_ns));
	if (err) {
		pr_warn("%s: write failed: %s\n", o->w.path, strerror(-err));
		return err;
	}
	o->written++;
	if (r->h.verdict < sizeof(o->verdicts) / sizeof(o->verdicts[0]))
		o->verdicts[r->h.verdict]++;
	return 0;
}

int plt_sample_finish(struct plt_sample_out *o)
{
	return plt_pcap_finish(&o->w);
}
