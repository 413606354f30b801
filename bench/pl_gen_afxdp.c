// SPDX-License-Identifier: MIT
/* pl-gen's fallback sender: AF_XDP transmit in copy mode (libxdp's xsk
 * API), paced in user space, for kernels without live frames. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>
#include <linux/if_link.h>
#include "plt_log.h"
#include "plt_time.h"
#include "pl_gen.h"

/* AF_XDP transmit (copy mode) from the precomputed frames; paced in user space. */
int pl_gen_afxdp(const struct pl_gen_opts *o, const uint8_t *frames, uint32_t n_entries,
			const uint8_t *probe_frame, size_t probe_off, size_t flen, struct pl_gen_result *r)
{
	enum { NFRAMES = 4096, FSIZE = 2048, BATCH = 64 };
	struct xsk_socket_config xcfg = { .rx_size = 0, .tx_size = 2048,
					  .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
					  .bind_flags = XDP_COPY };
	struct xsk_umem_config ucfg = { .fill_size = 2048, .comp_size = 2048, .frame_size = FSIZE };
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	uint64_t free_stack[NFRAMES], seq = 0;
	int nfree = NFRAMES, err, i;
	double t0, deadline, now;
	void *area;

	area = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&umem, area, (size_t)NFRAMES * FSIZE, &fq, &cq, &ucfg);
	if (err)
		goto unmap;
	err = xsk_socket__create(&xsk, o->dev, 0, umem, NULL, &tx, &xcfg);
	if (err) {
		pr_warn("AF_XDP socket on %s queue 0: %s\n", o->dev, strerror(-err));
		goto delete_umem;
	}
	for (i = 0; i < NFRAMES; i++)
		free_stack[i] = (uint64_t)i * FSIZE;
	t0 = plt_now();
	deadline = t0 + o->duration;
	while (!plt_stop && (now = plt_now()) < deadline && (!o->count || seq < o->count)) {
		uint32_t idx = 0, done, want = BATCH, k;

		done = xsk_ring_cons__peek(&cq, NFRAMES, &idx);
		for (k = 0; k < done; k++)
			free_stack[nfree++] = *xsk_ring_cons__comp_addr(&cq, idx + k);
		xsk_ring_cons__release(&cq, done);
		if (o->rate > 0) {
			double due = (now - t0) * o->rate - (double)seq;

			if (due < 1)
				continue;
			want = due < BATCH ? (uint32_t)due : BATCH;
		}
		if (o->count && seq + want > o->count)
			want = o->count - seq;
		if ((int)want > nfree)
			want = nfree;
		if (!want || xsk_ring_prod__reserve(&tx, want, &idx) != want) {
			sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
			continue;
		}
		for (k = 0; k < want; k++, seq++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx, idx + k);
			uint8_t *f;

			d->addr = free_stack[--nfree];
			d->len = flen;
			f = xsk_umem__get_data(area, d->addr);
			if (o->probe_every && seq % o->probe_every == 0) {
				struct pl_probe_stamp s = { htonl(PL_PROBE_MAGIC), (uint32_t)r->probes++, 0 };
				struct timespec ts;

				memcpy(f, probe_frame, flen);
				clock_gettime(CLOCK_MONOTONIC, &ts);
				s.ts_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
				memcpy(f + probe_off, &s, sizeof(s));
			} else {
				memcpy(f, frames + (size_t)(seq % n_entries) * flen, flen);
			}
		}
		xsk_ring_prod__submit(&tx, want);
		sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	}
	/* Copy mode sends a limited batch per sendto(): kick the TX ring until
	 * every submitted frame has completed (at most 1 s), so that frames still
	 * on the ring are not dropped by closing the socket and counted as sent. */
	deadline = plt_now() + 1.0;
	while (nfree < NFRAMES && plt_now() < deadline) {
		uint32_t idx = 0, done, k;

		sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
		done = xsk_ring_cons__peek(&cq, NFRAMES, &idx);
		for (k = 0; k < done; k++)
			free_stack[nfree++] = *xsk_ring_cons__comp_addr(&cq, idx + k);
		xsk_ring_cons__release(&cq, done);
	}
	if (nfree < NFRAMES)
		pr_warn("%d frames still on the AF_XDP TX ring after 1 s: not counted as sent\n",
			NFRAMES - nfree);
	r->packets = seq - (uint64_t)(NFRAMES - nfree);
	r->seconds = plt_now() - t0;
	r->mode = "afxdp-copy";
	xsk_socket__delete(xsk);
delete_umem:
	xsk_umem__delete(umem);
unmap:
	munmap(area, (size_t)NFRAMES * FSIZE);
	return err;
}
