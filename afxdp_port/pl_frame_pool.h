/* SPDX-License-Identifier: MIT */
/* The UMEM frame pool of one worker: a LIFO stack of frame base addresses
 * (the most recently freed frame is reused first, so it is still warm in
 * the cache), batch-first like Open vSwitch's netdev-afxdp-pool. The pool
 * belongs to exactly one thread: no locks. */
#ifndef PL_FRAME_POOL_H
#define PL_FRAME_POOL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct pl_frame_pool {
	uint64_t *addr;  /* stack of free frame base addresses */
	uint32_t n;      /* frames on the stack */
	uint32_t size;   /* capacity = frames in the UMEM */
};

/* Allocate a pool for size frames, initially empty. Returns 0 or -ENOMEM. */
static inline int pl_pool_init(struct pl_frame_pool *p, uint32_t size)
{
	p->addr = calloc(size, sizeof(*p->addr));
	p->n = 0;
	p->size = size;
	return p->addr ? 0 : -ENOMEM;
}

/* Free the stack; accepts a pool that was never initialised (zeroed). */
static inline void pl_pool_fini(struct pl_frame_pool *p)
{
	free(p->addr);
	p->addr = NULL;
	p->n = p->size = 0;
}

/* Push n frame base addresses. Returns -ENOSPC (nothing pushed) if that
 * would overflow: a double free, which the accounting then reports. */
static inline int pl_pool_put(struct pl_frame_pool *p, const uint64_t *addrs, uint32_t n)
{
	if (p->n + n > p->size)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++)
		p->addr[p->n + i] = addrs[i];
	p->n += n;
	return 0;
}

/* Push one frame. Returns 0 or -ENOSPC. */
static inline int pl_pool_put1(struct pl_frame_pool *p, uint64_t addr)
{
	if (p->n >= p->size)
		return -ENOSPC;
	p->addr[p->n++] = addr;
	return 0;
}

/* Pop exactly n frames into addrs, or none: returns 0 or -ENOBUFS. */
static inline int pl_pool_get(struct pl_frame_pool *p, uint64_t *addrs, uint32_t n)
{
	if (p->n < n)
		return -ENOBUFS;
	p->n -= n;
	for (uint32_t i = 0; i < n; i++)
		addrs[i] = p->addr[p->n + i];
	return 0;
}

#endif
