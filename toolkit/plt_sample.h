/* SPDX-License-Identifier: MIT */
/* plt_sample: the sample stage's records (core/stages/sample.h) into a pcap
 * file tcpdump and Wireshark read: each record's bytes, its frame length as
 * the length on the wire, its timestamp moved from the monotonic clock the
 * data path stamps to the wall clock. Every reader writes through it (the
 * XDP build's ring buffer, the user-space builds' rings).
 *
 * API:  struct plt_sample_out o;
 *       plt_sample_create(&o, "out.pcap");
 *       plt_sample_write(&o, rec, size);   // per record: 0, or -errno
 *       err = plt_sample_finish(&o);       // o.written, o.bad
 * Records that are not whole (size or cap_len out of bounds) are counted in
 * o.bad and skipped.
 *
 * The user-space builds' reader (pathlab-afxdp, pathlab-dpdk --sample-out;
 * plt_sample_ring.c, which needs the user-space core): the core's sample
 * ring, every worker's, drained by one thread that is not a worker, so a
 * worker never waits for the file (a full ring loses the sample: sample_lost).
 *       plt_sample_ring_open(&o, "out.pcap", ctl); // ctl: the policy is in;
 *                                                  // warns if it samples nothing
 *       plt_sample_ring_drain(&o);      // now and then: records, or -errno
 *       err = plt_sample_ring_close(&o, ctl); // workers stopped: drains the
 *                      // rest, finishes the file, prints sampled/lost/written */
#ifndef PLT_SAMPLE_H
#define PLT_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "plt_pcap.h"

struct plt_sample_out {
	struct plt_pcap_writer w;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at create */
	unsigned long written, bad;
	unsigned long verdicts[8]; /* written, by verdict */
};

int plt_sample_create(struct plt_sample_out *o, const char *path);
int plt_sample_write(struct plt_sample_out *o, const void *rec, size_t size);
int plt_sample_finish(struct plt_sample_out *o);

struct pl_ctl;
int plt_sample_ring_open(struct plt_sample_out *o, const char *path, struct pl_ctl *c);
long plt_sample_ring_drain(struct plt_sample_out *o);
int plt_sample_ring_close(struct plt_sample_out *o, struct pl_ctl *c);

#endif
