/* SPDX-License-Identifier: MIT */
/* Definitions shared by the lab's generator (pl-gen, pl_gen.bpf.c) and sink
 * (pl-sink, pl_sink.bpf.c), on both sides of the kernel boundary. */
#ifndef PL_BENCH_H
#define PL_BENCH_H

#include <linux/types.h>

/* Largest header block the generator rewrites on every frame. */
#define PL_GEN_HDR_MAX 128
/* Most precomputed frames (flows x protocol mix). */
#define PL_GEN_ENTRIES_MAX 65536

/* Latency probe stamp, right after the UDP header of a probe frame. */
#define PL_PROBE_MAGIC 0x504c5052u /* "PLPR" */
#define PL_PROBE_PORT 9999         /* default UDP destination port of probes */
struct pl_probe_stamp {
	__u32 magic; /* PL_PROBE_MAGIC, network order */
	__u32 seq;
	__u64 ts_ns; /* bpf_ktime_get_ns() at send (CLOCK_MONOTONIC) */
};

/* Generator configuration: a const volatile global, set before load. */
struct pl_gen_cfg {
	__u32 copy_len;      /* bytes rewritten per frame: 60, 64, 80, 96 or 128 */
	__u32 n_entries;     /* frames in pl_gen_frames */
	__u32 probe_every;   /* every Nth frame is a probe (0: none) */
	__u32 probe_off;     /* offset of struct pl_probe_stamp in a probe frame */
	__u32 paced;         /* 1: send on the schedule below, else full speed */
	__u32 use_tx;        /* 1: XDP_TX instead of XDP_REDIRECT via the devmap */
	__u64 interval_fp;   /* ns between frames, 16.16 fixed point */
	__u64 max_lag_ns;    /* behind schedule by more than this: skip ahead */
};

/* Generator state: a global in .bss, read and written by user space. */
struct pl_gen_state {
	__u64 sent;        /* frames given to the redirect/TX */
	__u64 probes;      /* of which probes */
	__u64 limit;       /* stop sending (XDP_DROP) once sent reaches this */
	__u64 start_ns;    /* schedule origin (paced) */
	__u64 next_fp;     /* next send time, relative to start_ns, 16.16 fixed point */
	__u64 deadline_ns; /* stop sending after this time (full speed: checked every 256 frames) */
	__u64 skipped_ns;  /* schedule time given up after stalls (paced) */
	__u64 spins;       /* program runs that sent nothing (paced wait) */
	__u64 last_ns;     /* time of the last send (full speed: of the last check) */
	__u64 last_sent;   /* sent at last_ns */
	__u64 call_ns;     /* full speed: the first check of this test_run call (0: none yet) */
	__u64 call_sent;   /* sent at call_ns */
};

/* Sink flow classes. */
#define PL_SINK_CLASSES(X) \
	X(PROBE, "probe")  \
	X(UDP4, "udp4")    \
	X(TCP4, "tcp4")    \
	X(ICMP4, "icmp4")  \
	X(OTHER4, "other4") \
	X(UDP6, "udp6")    \
	X(TCP6, "tcp6")    \
	X(ICMP6, "icmp6")  \
	X(OTHER6, "other6") \
	X(NONIP, "non-ip")
enum pl_sink_class {
#define PL_X(n, s) PL_CLASS_##n,
	PL_SINK_CLASSES(PL_X)
#undef PL_X
	PL_CLASS_MAX
};

struct pl_sink_count {
	__u64 packets;
	__u64 bytes;
};

/* Latency histogram: log-linear, 8 sub-buckets per power of two of ns
 * (relative error of a bucket <= 12.5%). Bucket of delay d: d < 8 -> d;
 * else 8*(log2(d)-2) + ((d >> (log2(d)-3)) & 7). */
#define PL_HIST_SUB 8
#define PL_HIST_BUCKETS (8 * 62)

struct pl_sink_lat {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 min_ns;
	__u64 negative; /* stamps from the future (clock mismatch) */
	__u64 bad;      /* probe port but wrong magic or too short */
};

/* Sink configuration (const volatile, set before load). */
struct pl_sink_cfg {
	__u32 action;     /* XDP action returned for every frame */
	__u16 probe_port; /* network order */
	__u16 pad;
};

#endif
