/* SPDX-License-Identifier: MIT */
/* The XDP metadata of the hybrid placements: what the XDP build of the core
 * already decided about a frame it hands to user space (verdict USER), so
 * that the user-space build resumes there instead of running the pipeline
 * again (pl_run_resume, core/pl_pipeline.h).
 *
 * The XDP program writes it with bpf_xdp_adjust_meta just before the frame
 * (data - sizeof(struct pl_meta) .. data); AF_XDP copies data_meta..data_end
 * into the UMEM, so user space finds it right before the frame's first byte.
 * 32 bytes: the most bpf_xdp_adjust_meta allows, a multiple of 4. The magic
 * and version are its last word, next to the frame. The scalar part of the
 * parser's struct pl_hdrs is carried as it is; the addresses (the rest of
 * pl_hdrs) are re-read from the frame at l3_off.
 *
 * Bytes before a frame are stale when the program wrote none (a driver
 * without metadata support), so the reader accepts a struct only when the
 * magic, the version and the whole frame's length match, and clears the
 * magic once read (pl_meta_take): each struct is used at most once. */
#ifndef PL_META_H
#define PL_META_H

#include "pl_parse.h"

#define PL_META_MAGIC   0x706c /* "pl" */
#define PL_META_VERSION 1
#define PL_META_HDRS    24     /* the scalar part of struct pl_hdrs: up to saddr */
#define PL_META_NO_STAGE 0xff  /* decided outside the stages (malformed, default verdict) */

struct pl_meta {
	__u8 hdrs[PL_META_HDRS]; /* struct pl_hdrs up to saddr, as the kernel's parser left it */
	__u16 len;               /* the whole frame's length (all buffers), a check against stale bytes */
	__u8 stage;              /* index in PL_STAGES of the stage that decided, or PL_META_NO_STAGE */
	__u8 verdict;            /* what that stage decided (PL_USER); PL_CONTINUE: run the rest */
	__u8 flags;              /* none defined in version 1: 0 */
	__u8 version;            /* PL_META_VERSION */
	__u16 magic;             /* PL_META_MAGIC, next to the frame's first byte */
};

_Static_assert(sizeof(struct pl_meta) == 32, "struct pl_meta: 32 bytes (bpf_xdp_adjust_meta's most)");
_Static_assert(__builtin_offsetof(struct pl_hdrs, saddr) == PL_META_HDRS,
	       "struct pl_hdrs: the scalars first, the addresses last");

/* Fill m (in the metadata area): the frame of len bytes parsed into h,
 * decided v at stage. */
PL_INLINE void pl_meta_fill(struct pl_meta *m, const struct pl_hdrs *h, __u32 len, __u32 stage, int v)
{
	__builtin_memcpy(m->hdrs, h, PL_META_HDRS);
	m->len = (__u16)len;
	m->stage = (__u8)stage;
	m->verdict = (__u8)v;
	m->flags = 0;
	m->version = PL_META_VERSION;
	m->magic = PL_META_MAGIC;
}

/* Is m a struct this build reads, written for a frame of len bytes? */
PL_INLINE int pl_meta_valid(const struct pl_meta *m, __u32 len)
{
	return m->magic == PL_META_MAGIC && m->version == PL_META_VERSION && !m->flags &&
	       m->len == (__u16)len && len <= 0xffff;
}

/* The parse results of m into h: the scalars, then the addresses from the
 * frame (data..data_end, the first buffer). Returns 0, or -1 when the
 * offsets do not fit the frame (then the caller parses). */
PL_INLINE int pl_meta_hdrs(const struct pl_meta *m, void *data, void *data_end, struct pl_hdrs *h)
{
	__u32 v4[2];
	__u8 *a;

	__builtin_memcpy(h, m->hdrs, PL_META_HDRS);
	__builtin_memset(&h->saddr, 0, sizeof(h->saddr));
	__builtin_memset(&h->daddr, 0, sizeof(h->daddr));
	if (h->bad)
		return -1;
	if (h->family == 4) {
		a = pl_ptr(data, data_end, h->l3_off, 20);
		if (!a)
			return -1;
		__builtin_memcpy(v4, a + 12, 8);
		pl_addr_set_v4(&h->saddr, v4[0]);
		pl_addr_set_v4(&h->daddr, v4[1]);
	} else if (h->family == 6) {
		a = pl_ptr(data, data_end, h->l3_off, 40);
		if (!a)
			return -1;
		__builtin_memcpy(h->saddr.b, a + 8, 16);
		__builtin_memcpy(h->daddr.b, a + 24, 16);
	}
	return 0;
}

#endif
