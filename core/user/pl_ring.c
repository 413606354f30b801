// SPDX-License-Identifier: MIT
/* Rings to user space (PL_RING, platform/user): one single-producer,
 * single-consumer ring of fixed-size slots per worker. The worker is the
 * only producer of its ring (it allocates it at its first record and
 * publishes the pointer); one reader drains every worker's ring. Head and
 * tail count records; the producer publishes a record with a release store
 * of head, the reader frees slots with a release store of tail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pl_user.h"

_Static_assert(PL_RING_WORKERS == PL_WORKERS_MAX, "one ring per worker id");

struct pl_ring_w {
	uint64_t head; /* written by the worker */
	char pad1[56];
	uint64_t tail; /* written by the reader */
	char pad2[56];
	uint8_t slot[];
};

void *pl_ring_reserve(struct pl_ring *r, uint32_t size)
{
	uint32_t id = pl_worker_id;
	struct pl_ring_w *w;
	uint64_t head;

	if (id >= PL_RING_WORKERS || size > r->rec_size)
		return NULL;
	w = __atomic_load_n((struct pl_ring_w **)&r->w[id], __ATOMIC_ACQUIRE);
	if (!w) {
		w = calloc(1, sizeof(*w) + (size_t)r->nrec * r->rec_size);
		if (!w)
			return NULL;
		__atomic_store_n((struct pl_ring_w **)&r->w[id], w, __ATOMIC_RELEASE);
	}
	head = w->head;
	if (head - __atomic_load_n(&w->tail, __ATOMIC_ACQUIRE) >= r->nrec)
		return NULL; /* full */
	return w->slot + (size_t)(head & (r->nrec - 1)) * r->rec_size;
}

void pl_ring_submit(struct pl_ring *r, void *rec)
{
	struct pl_ring_w *w = r->w[pl_worker_id];

	(void)rec; /* the slot reserve gave: the one at head */
	__atomic_store_n(&w->head, w->head + 1, __ATOMIC_RELEASE);
}

long pl_ring_consume(struct pl_ring *r, long max, int (*fn)(const void *rec, uint32_t size, void *arg),
		     void *arg)
{
	long n = 0;

	for (unsigned id = 0; id < PL_RING_WORKERS && n < max; id++) {
		struct pl_ring_w *w = __atomic_load_n((struct pl_ring_w **)&r->w[id], __ATOMIC_ACQUIRE);
		uint64_t tail, head;

		if (!w)
			continue;
		tail = w->tail;
		head = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
		for (; tail != head && n < max; tail++, n++) {
			int err = fn(w->slot + (size_t)(tail & (r->nrec - 1)) * r->rec_size, r->rec_size, arg);

			if (err) {
				__atomic_store_n(&w->tail, tail + 1, __ATOMIC_RELEASE);
				return err < 0 ? err : n + 1;
			}
		}
		__atomic_store_n(&w->tail, tail, __ATOMIC_RELEASE);
	}
	return n;
}

void pl_ring_free(struct pl_ring *r)
{
	for (unsigned id = 0; id < PL_RING_WORKERS; id++) {
		free(r->w[id]);
		r->w[id] = NULL;
	}
}

/* Every ring PL_RING defined (the pl_rings linker section). */
extern struct pl_ring *const __start_pl_rings[] __attribute__((weak));
extern struct pl_ring *const __stop_pl_rings[] __attribute__((weak));

struct pl_ring *pl_ring_find(const char *name)
{
	for (struct pl_ring *const *p = __start_pl_rings; p < __stop_pl_rings; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

void pl_rings_free(void)
{
	for (struct pl_ring *const *p = __start_pl_rings; p < __stop_pl_rings; p++)
		pl_ring_free(*p);
}
