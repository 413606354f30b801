/* SPDX-License-Identifier: MIT */
/* Bounds-checked packet access. Every read of packet memory in the core goes
 * through these: each is one compare against the frame end, which is the
 * form the BPF verifier accepts and costs a compare in user space. */
#ifndef PL_CURSOR_H
#define PL_CURSOR_H

#include "pl_platform.h"

struct pl_cursor {
	void *pos;
	void *end;
};

/* Take len bytes at the cursor and advance; NULL when they are not all in
 * the frame (the cursor does not move then). */
PL_INLINE void *pl_cursor_pull(struct pl_cursor *cur, __u32 len)
{
	void *p = cur->pos;

	if (p + len > cur->end)
		return (void *)0;
	cur->pos = p + len;
	return p;
}

#define PL_PULL(cur, type) ((type *)pl_cursor_pull((cur), sizeof(type)))

/* A pointer to len bytes at offset off from data, or NULL. */
PL_INLINE void *pl_ptr(void *data, void *data_end, __u32 off, __u32 len)
{
	void *p = data + (off & 0xffff);

	if (p + len > data_end)
		return (void *)0;
	return p;
}

#endif
