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
#include "plt_xdp.h"
#include "pl_gen.h"

/* AF_XDP transmit (copy mode) from the precomputed frames; paced in user
 * space. A frame longer than a UMEM frame (a jumbo frame: live frames
 * refuse those) goes as a chain of descriptors on a socket bound with
 * XDP_USE_SG. */
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
	uint32_t segs = (uint32_t)((flen + FSIZE - 1) / FSIZE); /* descriptors per frame */
	double t0, deadline, now;
	void *area;

	area = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&umem, area, (size_t)NFRAMES * FSIZE, &fq, &cq, &ucfg);
	if (err)
		goto unmap;
	if (segs > 1)
		xcfg.bind_flags |= XDP_USE_SG;
	err = xsk_socket__create(&xsk, o->dev, 0, umem, NULL, &tx, &xcfg);
	if (err) {
		pr_warn("AF_XDP socket on %s queue 0: %s%s\n", o->dev, strerror(-err),
			segs > 1 ? " (frames above 2048 bytes need AF_XDP multi-buffer, XDP_USE_SG: kernel 6.6+)" : "");
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
		if (want * segs > (uint32_t)nfree)
			want = (uint32_t)nfree / segs;
		if (!want || xsk_ring_prod__reserve(&tx, want * segs, &idx) != want * segs) {
			sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
			continue;
		}
		for (k = 0; k < want; k++, seq++) {
			const uint8_t *src = frames + (size_t)(seq % n_entries) * flen;
			struct pl_probe_stamp s = { 0 };
			bool probe = o->probe_every && seq % o->probe_every == 0;

			if (probe) {
				struct timespec ts;

				s = (struct pl_probe_stamp){ htonl(PL_PROBE_MAGIC), (uint32_t)r->probes++, 0 };
				clock_gettime(CLOCK_MONOTONIC, &ts);
				s.ts_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
				src = probe_frame;
			}
			for (uint32_t g = 0; g < segs; g++) {
				struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx, idx + k * segs + g);
				size_t off = (size_t)g * FSIZE, l = flen - off < FSIZE ? flen - off : FSIZE;
				uint8_t *f;

				d->addr = free_stack[--nfree];
				d->len = (uint32_t)l;
				d->options = g + 1 < segs ? XDP_PKT_CONTD : 0;
				f = xsk_umem__get_data(area, d->addr);
				memcpy(f, src + off, l);
				/* the stamp is in the headers, in the first buffer */
				if (probe && g == 0)
					memcpy(f + probe_off, &s, sizeof(s));
			}
		}
		xsk_ring_prod__submit(&tx, want * segs);
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
			(NFRAMES - nfree) / (int)segs);
	r->packets = seq - (uint64_t)(NFRAMES - nfree) / segs;
	r->seconds = plt_now() - t0;
	r->mode = "afxdp-copy";
	xsk_socket__delete(xsk);
delete_umem:
	xsk_umem__delete(umem);
unmap:
	munmap(area, (size_t)NFRAMES * FSIZE);
	return err;
}
