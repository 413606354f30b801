/* SPDX-License-Identifier: MIT */
/* plt_replay: the replay contract every build honours, defined once, so
 * pathlab-replay, pathlab-afxdp --replay, pathlab-dpdk --replay and the
 * corpus agree byte for byte.
 *
 * Buffer geometry: BPF_PROG_TEST_RUN gives an XDP program one page:
 * PLT_REPLAY_HEADROOM (XDP_PACKET_HEADROOM) bytes, the frame, then room up
 * to the page minus skb_shared_info. Every user-space build lays the frame
 * out the same way (plt_replay_buf), so head/tail adjustments succeed or
 * fail alike: headroom 256, tailroom 3520 - len (PLT_REPLAY_MAX_DATA - len).
 * A longer frame (the program is frags-aware) is a multi-buffer frame: its
 * first 3520 bytes are the linear part, the rest is in fragments of up to a
 * page each, and there is no tailroom; user-space builds describe it with
 * pl_buf.frags_len (the AF_XDP build as a chain of descriptors, one per
 * page, as test_run lays it out). Frames shorter than 14 or longer than
 * PLT_REPLAY_MAX_FRAME (9216) bytes are not replayed (plt_replay_skip_reason).
 *
 * Clock: before frame i (numbered from 0) every build sets cfg.clock_ns =
 * PL_REPLAY_CLOCK_NS(i) (core/ctl/pl_ctl.h), so time-dependent stages agree;
 * the corpus stamps frame i with the same time (plt_replay_clock_ns).
 *
 * Results file (plres): a first line
 *   # pathlab-results v1 build=NAME policy=FILE pcap=FILE
 * (policy=none without a policy), then one line per replayed frame:
 *   INDEX<TAB>VERDICT<TAB>OUT_PORT<TAB>OUTPUT BYTES IN LOWERCASE HEX
 * Written with plt_plres_header/plt_plres_frame, read with plt_plres_load. */
#ifndef PLT_REPLAY_H
#define PLT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pl_ctl.h"
#include "pl_user.h" /* struct pl_buf */

#define PLT_REPLAY_HEADROOM 256u  /* XDP_PACKET_HEADROOM */
#define PLT_REPLAY_SHINFO   320u  /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), x86_64 */
#define PLT_REPLAY_PAGE     4096u
#define PLT_REPLAY_MAX_DATA (PLT_REPLAY_PAGE - PLT_REPLAY_HEADROOM - PLT_REPLAY_SHINFO) /* 3520 */
#define PLT_REPLAY_MIN_DATA 14u   /* ETH_HLEN: test_run refuses shorter frames */
/* The longest frame replayed: a 9000-byte MTU's frame (9018 bytes on the
 * wire, 9014 in a capture) with room to spare. */
#define PLT_REPLAY_MAX_FRAME 9216u
/* Bytes a replay buffer needs: headroom + the longest frame (a frame up to
 * PLT_REPLAY_MAX_DATA bytes and its tailroom fit in it). */
#define PLT_REPLAY_BUF_SIZE (PLT_REPLAY_HEADROOM + PLT_REPLAY_MAX_FRAME)
/* Tailroom of a frame of len bytes laid out by the contract. */
#define PLT_REPLAY_TAILROOM(len) ((len) < PLT_REPLAY_MAX_DATA ? PLT_REPLAY_MAX_DATA - (len) : 0u)
/* Bytes of a frame of len bytes in its linear part (the first buffer). */
#define PLT_REPLAY_LINEAR(len) ((len) < PLT_REPLAY_MAX_DATA ? (len) : PLT_REPLAY_MAX_DATA)

/* The replay clock of frame i. */
static inline uint64_t plt_replay_clock_ns(uint64_t i)
{
	return PL_REPLAY_CLOCK_NS(i);
}

/* Why a frame of len bytes is not replayed, or NULL. */
const char *plt_replay_skip_reason(uint32_t len);

/* Copy frame (len <= PLT_REPLAY_MAX_FRAME) into mem (PLT_REPLAY_BUF_SIZE
 * bytes) and describe it as the contract lays it out: a frame longer than
 * PLT_REPLAY_MAX_DATA is a multi-buffer frame (len: the linear part,
 * frags_len: the rest, which follows it in mem). */
struct pl_buf plt_replay_buf(uint8_t *mem, const uint8_t *frame, uint32_t len, uint32_t ifindex,
			     uint32_t rx_queue);

/* Set cfg.clock_ns of a backend to the replay clock of frame i. 0 or -errno. */
int plt_replay_set_clock(struct pl_ctl *c, uint64_t i);

/* ---- plres ---- */
/* The first line; policy NULL -> "none". 0 or -EIO. */
int plt_plres_header(FILE *f, const char *build, const char *policy, const char *pcap);
/* One frame's line. 0 or -EIO. */
int plt_plres_frame(FILE *f, uint64_t index, int verdict, uint32_t out_port, const uint8_t *data,
		    uint32_t len);

/* Called for each frame line of a plres file being read: 0 to go on, or
 * -errno to stop (the reader says nothing more). */
typedef int (*plt_plres_fn)(void *arg, uint64_t index, int verdict, uint32_t out_port,
			    const uint8_t *data, uint32_t len);
/* Read path: check the first line (build name into build, may be NULL),
 * then call fn per frame. Indexes must be below nframes and appear once.
 * Returns 0 or -errno after a warning naming path:line and what is wrong. */
int plt_plres_load(const char *path, uint64_t nframes, char *build, size_t buildlen, plt_plres_fn fn,
		   void *arg);

#endif
