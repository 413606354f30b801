// SPDX-License-Identifier: MIT
/* pathlab-afxdp's data path: receive a batch, run the core on it, act on
 * the verdicts (descriptor moves between rings), refill, complete, kick;
 * and the frame accounting that proves no frame is lost. */
#include "afxdp.h"

/* ---- The batch: shared by the socket path and --replay ------------------ */
/* Run the core on the frames of n descriptors received on one port, in
 * place in the UMEM (umem: base of the UMEM area, frame_size: chunk size,
 * room: the bytes of a chunk a frame may use, frame_size on sockets, the
 * replay contract's page in --replay). A multi-buffer frame is a chain of
 * descriptors (XDP_PKT_CONTD on all but the last): the core gets its first
 * buffer and the length of the rest (pl_buf.frags_len), as XDP gives it a
 * frame's linear part and fragments. Returns the frames (act[0..ret)) and in
 * *nused the descriptors they take; a chain the batch ends inside of is left
 * for the next batch. The one function both the worker and --replay go
 * through. meta (the hybrid placement): the frames come from the core's XDP
 * program, which put its decision in front of each (pl_core_process_meta). */
unsigned afx_dp_batch_run(uint8_t *umem, uint32_t frame_size, uint32_t room, int ifindex,
			  uint32_t queue, const struct xdp_desc *d, unsigned n, struct afx_act *act,
			  unsigned *nused, bool meta)
{
	struct pl_buf b[AFX_BATCH_MAX];
	uint32_t out[AFX_BATCH_MAX];
	int v[AFX_BATCH_MAX];
	unsigned nf = 0, i = 0;

	/* The first read of each frame is a cache miss (the receive copy ran
	 * on another CPU): start them all at once, then parse. */
	for (unsigned k = 0; k < n; k++)
		if (!k || !(d[k - 1].options & XDP_PKT_CONTD))
			__builtin_prefetch(umem + d[k].addr);
	while (i < n && nf < AFX_BATCH_MAX) {
		uint64_t off = d[i].addr & (frame_size - 1);
		uint32_t frags = 0;
		unsigned j = i;

		while (j < n && (d[j].options & XDP_PKT_CONTD))
			j++;
		if (j == n) /* the chain goes on in descriptors not yet peeked */
			break;
		for (unsigned k = i + 1; k <= j; k++)
			frags += d[k].len;
		b[nf] = (struct pl_buf){
			.data = umem + d[i].addr,
			.len = d[i].len,
			.headroom = (uint32_t)off,
			.tailroom = j > i ? 0 : room - (uint32_t)off - d[i].len,
			.ifindex = (uint32_t)ifindex,
			.rx_queue = queue,
			.frags_len = frags,
		};
		act[nf].seg = i;
		act[nf].nseg = j - i + 1;
		nf++;
		i = j + 1;
	}
	/* the whole batch through the core in one call (one worker mark, one
	 * configuration bank for all its frames) */
	pl_core_process_burst(b, nf, v, out, meta);
	for (unsigned k = 0; k < nf; k++) {
		act[k].addr = (uint64_t)(b[k].data - umem);
		act[k].len = b[k].len;
		act[k].verdict = (uint32_t)v[k];
		act[k].out_port = out[k];
	}
	*nused = i;
	return nf;
}

/* ---- Frame accounting ------------------------------------------------------ */
/* Entries in a ring as seen right now (producer - consumer). */
static uint32_t afx_dp_ring_used(const uint32_t *prod, const uint32_t *cons)
{
	return __atomic_load_n(prod, __ATOMIC_ACQUIRE) - __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

/* Check that every frame of w's UMEM is in exactly one place, and describe
 * where they are in w->last_check. Returns 0 or -EFAULT (frames lost or
 * counted twice). Runs in the worker (or after it stopped). */
int afx_dp_frames_check(struct afx_worker *w)
{
	uint64_t fill = 0, tx = 0, fill_ring = 0, rx_ring = 0, tx_ring = 0, comp_ring = 0, sum;

	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct afx_xsk *x = w->xsk[p];

		if (!x)
			continue;
		fill += x->out_fill;
		tx += x->out_tx;
		fill_ring += afx_dp_ring_used(x->fill.producer, x->fill.consumer);
		rx_ring += afx_dp_ring_used(x->rx.producer, x->rx.consumer);
		tx_ring += afx_dp_ring_used(x->tx.producer, x->tx.consumer);
		comp_ring += afx_dp_ring_used(x->comp.producer, x->comp.consumer);
	}
	sum = w->pool.n + fill + tx + w->in_flight;
	snprintf(w->last_check, sizeof(w->last_check),
		 "worker %u: frames=%u pool=%u fill=%" PRIu64 " rx=%" PRIu64 " kernel-rx=%" PRId64
		 " tx=%" PRIu64 " completion=%" PRIu64 " kernel-tx=%" PRId64 " in-flight=%" PRIu64
		 " sum=%" PRIu64 " %s",
		 w->id, w->nframes, w->pool.n, fill_ring, rx_ring,
		 (int64_t)(fill - fill_ring - rx_ring), tx_ring, comp_ring,
		 (int64_t)(tx - tx_ring - comp_ring), w->in_flight, sum,
		 sum == w->nframes && !w->double_free ? "ok" : "MISMATCH");
	return sum == w->nframes && !w->double_free ? 0 : -EFAULT;
}

/* Return frames (any address inside a chunk) to the pool. */
void afx_dp_recycle(struct afx_worker *w, uint64_t addr, uint32_t frame_size)
{
	if (pl_pool_put1(&w->pool, addr & ~(uint64_t)(frame_size - 1)))
		w->double_free++;
}
/* Move completed tx frames back to the pool, in batches. */
static void afx_dp_complete_tx(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	uint32_t idx, n;

	if (!x->out_tx)
		return;
	n = xsk_ring_cons__peek(&x->comp, app->o.comp_size, &idx);
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		afx_dp_recycle(w, *xsk_ring_cons__comp_addr(&x->comp, idx + i), app->o.frame_size);
	xsk_ring_cons__release(&x->comp, n);
	x->out_tx -= n;
	x->cnt[AFX_XC_tx_done] += n;
}

/* Kick the kernel to send what is on x's tx ring: only when the ring asks
 * (need_wakeup) or need_wakeup is off; EAGAIN/EBUSY are retried after
 * reaping completions, a bounded number of times. When the retries run out
 * (copy mode sends at most the tx budget per kick) descriptors are still on
 * the ring: x->tx_stalled makes every later pass of the worker kick again
 * until the kernel took them all, with or without new traffic. */
static void afx_dp_tx_kick(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	x->tx_stalled = false;
	if (app->o.need_wakeup && !xsk_ring_prod__needs_wakeup(&x->tx))
		return;
	for (int retry = 0; retry < AFX_TX_KICK_RETRIES; retry++) {
		x->cnt[AFX_XC_tx_kicks]++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			return;
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
			x->cnt[AFX_XC_tx_kick_err]++;
			return;
		}
		afx_dp_complete_tx(app, w, x);
	}
	x->tx_stalled = true;
	x->cnt[AFX_XC_tx_stalls]++;
}

/* Put the queued descriptors of x on its tx ring and kick. Frames that do
 * not fit (ring full) are counted and recycled. */
static void afx_dp_tx_flush(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	uint32_t idx, n;

	if (!x->ntxq) {
		if (x->tx_stalled) /* left on the ring by the last kick: kick again */
			afx_dp_tx_kick(app, w, x);
		return;
	}
	n = xsk_ring_prod__reserve(&x->tx, x->ntxq, &idx); /* all or nothing */
	if (!n) {
		/* Make room once, then send the whole frames that fit (a chain
		 * is never cut) and drop the rest. */
		afx_dp_complete_tx(app, w, x);
		n = xsk_prod_nb_free(&x->tx, x->ntxq);
		if (n > x->ntxq)
			n = x->ntxq;
		while (n && (x->txq[n - 1].options & XDP_PKT_CONTD))
			n--;
		if (n)
			n = xsk_ring_prod__reserve(&x->tx, n, &idx);
	}
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__tx_desc(&x->tx, idx + i) = x->txq[i];
	if (n)
		xsk_ring_prod__submit(&x->tx, n);
	for (uint32_t i = n; i < x->ntxq; i++) {
		if (i == n || !(x->txq[i - 1].options & XDP_PKT_CONTD))
			x->cnt[AFX_XC_tx_ring_full]++; /* frames, not descriptors */
		afx_dp_recycle(w, x->txq[i].addr, app->o.frame_size);
	}
	x->out_tx += n;
	w->in_flight -= x->ntxq;
	x->cnt[AFX_XC_tx] += n;
	x->ntxq = 0;
	if (n)
		afx_dp_tx_kick(app, w, x);
}

/* Refill x's fill ring from the pool, only in whole batches. */
void afx_dp_refill(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	uint32_t b = app->o.batch;
	uint64_t addrs[AFX_BATCH_MAX];
	uint32_t idx;

	while (xsk_prod_nb_free(&x->fill, b) >= b) {
		if (pl_pool_get(&w->pool, addrs, b)) {
			x->cnt[AFX_XC_fill_short]++;
			return;
		}
		if (xsk_ring_prod__reserve(&x->fill, b, &idx) != b) {
			pl_pool_put(&w->pool, addrs, b);
			return;
		}
		for (uint32_t i = 0; i < b; i++)
			*xsk_ring_prod__fill_addr(&x->fill, idx + i) = addrs[i];
		xsk_ring_prod__submit(&x->fill, b);
		x->out_fill += b;
	}
}

/* Queue one frame for x's tx ring: its first buffer at addr/len and, for
 * a multi-buffer frame, the nmore descriptors of the rest of its chain
 * (XDP_PKT_CONTD on all but the last); flushes first when the chain does
 * not fit in the queue (several ports can redirect into one port within one
 * loop). */
void afx_dp_txq_push(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x, uint64_t addr,
		     uint32_t len, const struct xdp_desc *more, unsigned nmore)
{
	if (x->ntxq + 1 + nmore > sizeof(x->txq) / sizeof(x->txq[0]))
		afx_dp_tx_flush(app, w, x);
	x->txq[x->ntxq++] = (struct xdp_desc){ .addr = addr, .len = len,
					       .options = nmore ? XDP_PKT_CONTD : 0 };
	for (unsigned k = 0; k < nmore; k++)
		x->txq[x->ntxq++] = (struct xdp_desc){ .addr = more[k].addr, .len = more[k].len,
						       .options = k + 1 < nmore ? XDP_PKT_CONTD : 0 };
}

/* Out-port (as the policy resolver gave it: our port index) to the
 * worker's socket on that port. */
static struct afx_xsk *afx_dp_out_xsk(struct afx_worker *w, uint32_t out_port)
{
	return out_port < PL_PORTS_MAX ? w->xsk[out_port] : NULL;
}

/* Act on the core's verdicts for one rx batch of x (d: its descriptors,
 * for the rest of each multi-buffer frame's chain). */
static void afx_dp_dispatch(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x,
			    const struct xdp_desc *d, const struct afx_act *act, unsigned n)
{
	uint8_t *umem = w->umem_area;

	for (unsigned i = 0; i < n; i++) {
		const struct afx_act *a = &act[i];
		const struct xdp_desc *more = &d[a->seg + 1];
		struct afx_xsk *out;

		switch (a->verdict) {
		case PL_TX:
			afx_dp_txq_push(app, w, x, a->addr, a->len, more, a->nseg - 1);
			continue;
		case PL_REDIRECT:
			out = afx_dp_out_xsk(w, a->out_port);
			/* a chain only to a socket that takes chains */
			if (out && (a->nseg == 1 || out->sg)) {
				afx_dp_txq_push(app, w, out, a->addr, a->len, more, a->nseg - 1);
				continue;
			}
			x->cnt[AFX_XC_redirect_noport]++;
			break;
		case PL_PASS:
			afx_tap_write(app, x, umem, a, d);
			break;
		case PL_USER:
			if (app->o.user_to_tap)
				afx_tap_write(app, x, umem, a, d);
			break;
		default: /* DROP, ABORTED */
			break;
		}
		afx_dp_recycle(w, a->addr, app->o.frame_size);
		for (unsigned k = 0; k + 1 < a->nseg; k++)
			afx_dp_recycle(w, more[k].addr, app->o.frame_size);
		w->in_flight -= a->nseg;
	}
}

/* Busy polling (--busy-poll): the recvfrom on an empty poll runs the
 * queue's NAPI in the worker only if the socket has a NAPI id, which the
 * kernel marks at its first received frame from the receive queue's
 * registration. Looked up once, after the first frames: without one (veth
 * on Linux 6.18 registers its queues with none) every such recvfrom would
 * be a system call that does nothing, so the worker makes none. */
static void afx_dp_napi_check(struct afx_xsk *x)
{
	unsigned int id = 0;
	socklen_t len = sizeof(id);
	bool failed = getsockopt(x->fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &id, &len) != 0;

	x->napi_checked = true;
	x->napi_ok = !failed && id != 0;
	if (!x->napi_ok)
		pr_info("%s q%u: busy poll cannot run: the kernel gave the socket no NAPI id (%s); "
			"the worker no longer calls recvfrom on an empty poll\n",
			x->port->ifname, x->queue,
			failed ? "SO_INCOMING_NAPI_ID refused" : "its receive queue has none");
	else
		pr_debug("%s q%u: busy polling NAPI %u\n", x->port->ifname, x->queue, id);
}

/* Receive one batch on x, run the core, act. Returns frames received. A
 * socket bound with XDP_USE_SG peeks up to a chain's length more than the
 * batch and keeps the batch's frames plus the rest of a chain that crosses
 * its end, so the batch ends on a whole frame; a chain the peek did not
 * reach the end of stays on the ring for the next batch. */
static unsigned afx_dp_rx_batch(struct afx_app *app, struct afx_worker *w, struct afx_xsk *x)
{
	struct xdp_desc d[AFX_BATCH_MAX + AFX_SEGS_MAX];
	struct afx_act act[AFX_BATCH_MAX + AFX_SEGS_MAX];
	uint32_t idx, n, nf;
	unsigned used;

	n = xsk_ring_cons__peek(&x->rx, app->o.batch + (x->sg ? AFX_SEGS_MAX - 1 : 0), &idx);
	if (n > app->o.batch) {
		/* the batch's frames, and the rest of a chain that crosses its end;
		 * what else the peek saw waits for the next batch (so a batch of
		 * single-buffer frames is --batch frames: one tx kick, not two) */
		uint32_t lim = app->o.batch;

		while (lim < n && (xsk_ring_cons__rx_desc(&x->rx, idx + lim - 1)->options & XDP_PKT_CONTD))
			lim++;
		xsk_ring_cons__cancel(&x->rx, n - lim);
		n = lim;
	}
	if (!n) {
		if (x->napi_ok || !app->o.need_wakeup || xsk_ring_prod__needs_wakeup(&x->fill)) {
			x->cnt[AFX_XC_rx_wakeups]++;
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		}
		return 0;
	}
	if (x->busy_poll && !x->napi_checked)
		afx_dp_napi_check(x);
	for (uint32_t i = 0; i < n; i++)
		d[i] = *xsk_ring_cons__rx_desc(&x->rx, idx + i);
	nf = afx_dp_batch_run(w->umem_area, app->o.frame_size, app->o.frame_size, x->port->ifindex,
			      x->queue, d, n, act, &used, app->o.placement == AFX_PLACE_HYBRID);
	if (used < n)
		xsk_ring_cons__cancel(&x->rx, n - used);
	xsk_ring_cons__release(&x->rx, used);
	x->out_fill -= used;
	w->in_flight += used;
	x->cnt[AFX_XC_rx] += nf;
	for (uint32_t i = 0; i < nf; i++)
		x->cnt[AFX_XC_rx_multibuf] += act[i].nseg > 1;
	afx_dp_dispatch(app, w, x, d, act, nf);
	return nf;
}

/* Sleep in poll() until a socket or TAP of w has something, or 100 ms
 * (1 ms while a tx ring holds frames a kick left behind). */
static void afx_dp_idle_wait(struct afx_app *app, struct afx_worker *w)
{
	struct pollfd pfd[PL_PORTS_MAX * 2];
	unsigned n = 0;
	bool stalled = false;

	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct afx_xsk *x = w->xsk[p];

		if (!x)
			continue;
		stalled |= x->tx_stalled;
		pfd[n++] = (struct pollfd){ .fd = x->fd, .events = POLLIN };
		if (x->port->tap_fd >= 0 && x->port->tap_owner == w)
			pfd[n++] = (struct pollfd){ .fd = x->port->tap_fd, .events = POLLIN };
	}
	/* frames still on a tx ring: back within 1 ms to kick again */
	poll(pfd, n, stalled ? 1 : 100);
}

/* The worker loop: completions, refill, rx batches, TAP, tx flush; when
 * idle, a yield every --idle-yield empty passes, and after AFX_IDLE_SPINS
 * of them a sleep in poll() (not with --spin). */
void *afx_dp_worker(void *arg)
{
	struct afx_wctx *wc = arg;
	struct afx_app *app = wc->app;
	struct afx_worker *w = wc->w;
	unsigned idle = 0;

	pl_worker_set(w->id);
	while (!plt_stop) {
		unsigned got = 0;

		for (unsigned p = 0; p < app->nports; p++) {
			struct afx_xsk *x = w->xsk[p];

			if (!x)
				continue;
			afx_dp_complete_tx(app, w, x);
			afx_dp_refill(app, w, x);
			got += afx_dp_rx_batch(app, w, x);
			if (x->port->tap_fd >= 0 && x->port->tap_owner == w)
				got += afx_tap_read(app, w, x);
		}
		for (unsigned p = 0; p < app->nports; p++)
			if (w->xsk[p])
				afx_dp_tx_flush(app, w, w->xsk[p]);
		if (got) {
			idle = 0;
			w->batches++;
			if (app->o.check_every && w->batches % app->o.check_every == 0 &&
			    afx_dp_frames_check(w)) {
				w->check_fail++;
				pr_warn("frame accounting: %s\n", w->last_check);
			}
		} else if (!app->o.spin && ++idle >= AFX_IDLE_SPINS) {
			afx_dp_idle_wait(app, w);
			idle = 0;
		} else if (app->o.idle_yield && (app->o.spin ? ++idle : idle) % app->o.idle_yield == 0) {
			/* a kernel thread sharing the CPU (the veth receive doing
			 * the copy into our rx ring) runs now, not at the end of
			 * our time slice; alone on the CPU this returns at once */
			sched_yield();
		}
	}
	return NULL;
}

/* After the worker stopped: reap completions until every tx frame is back
 * (up to 200 ms), and take back what is left on the rx rings. */
void afx_dp_drain(struct afx_app *app, struct afx_worker *w)
{
	for (int i = 0; i < 200; i++) {
		uint64_t out = 0;

		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct afx_xsk *x = w->xsk[p];

			if (!x)
				continue;
			if (x->out_tx)
				sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
			afx_dp_complete_tx(app, w, x);
			out += x->out_tx;
		}
		if (!out)
			break;
		usleep(1000);
	}
	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		struct afx_xsk *x = w->xsk[p];
		uint32_t idx, n;

		if (!x)
			continue;
		while ((n = xsk_ring_cons__peek(&x->rx, app->o.batch, &idx))) {
			for (uint32_t i = 0; i < n; i++)
				afx_dp_recycle(w, xsk_ring_cons__rx_desc(&x->rx, idx + i)->addr,
					   app->o.frame_size);
			xsk_ring_cons__release(&x->rx, n);
			x->out_fill -= n;
			x->cnt[AFX_XC_rx_drained] += n;
		}
	}
}
