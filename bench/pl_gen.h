/* SPDX-License-Identifier: MIT */
/* pl-gen's parts: its options, the frames it sends (pl_gen_frames.c), the
 * AF_XDP fallback sender (pl_gen_afxdp.c); pl-gen.c parses the options and
 * runs the live-frames sender. */
#ifndef PL_GEN_H
#define PL_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "pl_bench.h"

/* --size: up to a 9000-byte MTU's frame on the wire (9014 + FCS). Live
 * frames (BPF_PROG_TEST_RUN) carry at most one page's data, 3520 bytes
 * (4096 less the 256 of headroom and 320 of skb_shared_info); longer frames
 * go out through AF_XDP multi-buffer. */
#define PL_GEN_SIZE_MAX 9018u
#define PL_GEN_LIVE_MAX 3520u

enum pl_proto { PL_P_UDP, PL_P_TCP, PL_P_SYN, PL_P_ICMP, PL_P_MAX };

struct pl_mac {
	uint8_t a[6];
	bool has; /* given or found */
};

struct pl_gen_opts {
	const char *dev;
	const char *topo;
	unsigned long size;    /* wire size, with the 4-byte FCS */
	unsigned long flows;
	unsigned long src_addrs;
	unsigned int mix[PL_P_MAX];
	int ipv6;
	double rate;           /* 0: full speed */
	double duration;
	uint64_t count;        /* 0: no limit */
	const char *pcap;
	struct pl_mac smac, dmac;
	const char *sip_arg, *dip_arg;
	char sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	unsigned long sport, dport;
	unsigned long probe_every;
	unsigned long probe_port;
	unsigned long batch;
	unsigned long max_burst;
	const char *mode;      /* redirect, tx, afxdp */
	int cpu;
	int json, verbose;
	unsigned long size_given; /* --size given (not taken from --pcap) */
	char devbuf[IF_NAMESIZE];
};

struct pl_addrs {
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
};

struct pl_gen_result {
	const char *mode;
	uint64_t packets, probes, skipped_ns;
	double seconds;      /* the sending time the rate is over */
	double wall_seconds; /* from the first test_run call to the end of the last */
	unsigned calls;      /* BPF_PROG_TEST_RUN calls */
	size_t flen;
};

/* Parse a MAC address (aa:bb:cc:dd:ee:ff). */
int pl_parse_mac(const char *s, uint8_t *m);
/* Write one whole frame of flen bytes: flow `flow`, protocol p; a probe if
 * probe. Returns the length of its headers. */
size_t pl_build_frame(uint8_t *buf, size_t flen, const struct pl_gen_opts *o, const struct pl_addrs *a, int p,
		      unsigned int flow, bool probe);
/* Up to max frames of a pcap/pcapng as templates of flen bytes. */
int pl_read_templates(const char *file, uint8_t *tmpl, size_t flen, size_t *first_len, int max);
/* Make a template's IP/UDP lengths match flen (and its IPv4 checksum). */
void pl_fix_lengths(uint8_t *f, size_t flen);
/* The rewrite block: smallest class covering need, within the frame; -EINVAL. */
int pl_copy_class(size_t need, size_t flen);
/* AF_XDP transmit (copy mode) from the precomputed frames. */
int pl_gen_afxdp(const struct pl_gen_opts *o, const uint8_t *frames, uint32_t n_entries,
		 const uint8_t *probe_frame, size_t probe_off, size_t flen, struct pl_gen_result *r);

#endif
