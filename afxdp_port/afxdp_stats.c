// SPDX-License-Identifier: MIT
/* pathlab-afxdp's statistics: per-interval event lines, the metrics
 * reader and the shutdown report. */
#include "afxdp.h"

const char *const afx_xsk_cnt_name[AFX_XC__MAX] = {
#define PL_X(n, d) #n,
	AFX_XSK_COUNTERS(PL_X)
#undef PL_X
};

/* ---- Stats ------------------------------------------------------------------ */
/* Sum a socket counter over every socket of every worker. */
static uint64_t afx_stats_sum(struct afx_app *app, int c)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < app->nworkers; i++)
		for (unsigned p = 0; p < PL_PORTS_MAX; p++)
			if (app->worker[i]->xsk[p])
				s += __atomic_load_n(&app->worker[i]->xsk[p]->cnt[c], __ATOMIC_RELAXED);
	return s;
}

/* The kernel's XDP_STATISTICS summed over all sockets. */
static void afx_stats_xdp(struct afx_app *app, struct xdp_statistics *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < app->nworkers; i++) {
		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct afx_xsk *x = app->worker[i]->xsk[p];
			struct xdp_statistics s = { 0 };
			socklen_t len = sizeof(s);

			if (!x || getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &s, &len))
				continue;
			sum->rx_dropped += s.rx_dropped;
			sum->rx_invalid_descs += s.rx_invalid_descs;
			sum->tx_invalid_descs += s.tx_invalid_descs;
			sum->rx_ring_full += s.rx_ring_full;
			sum->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
			sum->tx_ring_empty_descs += s.tx_ring_empty_descs;
		}
	}
}

/* ---- Metrics: per socket (interface, queue) ------------------------------------ */
static const char *const afx_xsk_cnt_help[AFX_XC__MAX] = {
#define PL_X(n, d) d,
	AFX_XSK_COUNTERS(PL_X)
#undef PL_X
};

/* Every socket's own counters and its XDP_STATISTICS, one series each
 * (labels iface, queue, worker): pathlab_afxdp_<counter>_total and
 * pathlab_afxdp_xdp_<field>_total. */
int afx_stats_metrics_extra(void *arg, struct pl_metrics_sample *out, unsigned max)
{
	struct afx_app *app = arg;
	unsigned nx = 0, n = 0, cap = app->nworkers * PL_PORTS_MAX;
	/* on the heap: the server's threads have small stacks */
	struct afx_xsk **xs = calloc(cap, sizeof(*xs));
	struct xdp_statistics *st = calloc(cap, sizeof(*st));
	unsigned *wk = calloc(cap, sizeof(*wk));

	if (!xs || !st || !wk) {
		free(xs);
		free(st);
		free(wk);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct afx_xsk *x = app->worker[i]->xsk[p];
			socklen_t len = sizeof(st[nx]);

			if (!x)
				continue;
			memset(&st[nx], 0, sizeof(st[nx]));
			if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &st[nx], &len))
				memset(&st[nx], 0, sizeof(st[nx]));
			wk[nx] = i;
			xs[nx++] = x;
		}
#define AFX_SAMPLE(nm, hlp, val)                                                                  \
	do {                                                                                      \
		if (n < max) {                                                                    \
			out[n] = (struct pl_metrics_sample){ .name = nm, .help = hlp, .type = "counter", \
							     .value = (val) };                    \
			snprintf(out[n].labels, sizeof(out[n].labels),                            \
				 "iface=\"%s\",queue=\"%u\",worker=\"%u\"", xs[k]->port->ifname,          \
				 xs[k]->queue, wk[k]);                                            \
			n++;                                                                      \
		}                                                                                 \
	} while (0)
	for (int c = 0; c < AFX_XC__MAX; c++) {
		static const char *const names[AFX_XC__MAX] = {
#define PL_X(nm, d) "pathlab_afxdp_" #nm "_total",
			AFX_XSK_COUNTERS(PL_X)
#undef PL_X
		};

		for (unsigned k = 0; k < nx; k++)
			AFX_SAMPLE(names[c], afx_xsk_cnt_help[c],
				   __atomic_load_n(&xs[k]->cnt[c], __ATOMIC_RELAXED));
	}
#define PL_X(f, hlp)                                                               \
	for (unsigned k = 0; k < nx; k++)                                          \
		AFX_SAMPLE("pathlab_afxdp_xdp_" #f "_total", "XDP_STATISTICS: " hlp, st[k].f);
	PLT_XDP_STATS(PL_X)
#undef PL_X
#undef AFX_SAMPLE
	free(xs);
	free(st);
	free(wk);
	return (int)n;
}

/* One events line: ring-full / fill-empty events and XDP_STATISTICS, as
 * per-interval deltas. */
void afx_stats_events(struct afx_app *app, double t, uint64_t *prev, struct xdp_statistics *pk)
{
	struct xdp_statistics k;
	uint64_t cur[AFX_XC__MAX];

	for (int c = 0; c < AFX_XC__MAX; c++)
		cur[c] = afx_stats_sum(app, c);
	afx_stats_xdp(app, &k);
	printf("[afxdp-events] t=%.1f tx_ring_full=%" PRIu64 " fill_short=%" PRIu64
	       " tx_kicks=%" PRIu64 " rx_wakeups=%" PRIu64 " tap_tx=%" PRIu64 " tap_rx=%" PRIu64
	       " xdp_rx_dropped=%llu xdp_rx_ring_full=%llu xdp_fill_ring_empty=%llu"
	       " xdp_tx_invalid=%llu\n",
	       t, cur[AFX_XC_tx_ring_full] - prev[AFX_XC_tx_ring_full],
	       cur[AFX_XC_fill_short] - prev[AFX_XC_fill_short], cur[AFX_XC_tx_kicks] - prev[AFX_XC_tx_kicks],
	       cur[AFX_XC_rx_wakeups] - prev[AFX_XC_rx_wakeups], cur[AFX_XC_tap_tx] - prev[AFX_XC_tap_tx],
	       cur[AFX_XC_tap_rx] - prev[AFX_XC_tap_rx],
	       (unsigned long long)(k.rx_dropped - pk->rx_dropped),
	       (unsigned long long)(k.rx_ring_full - pk->rx_ring_full),
	       (unsigned long long)(k.rx_fill_ring_empty_descs - pk->rx_fill_ring_empty_descs),
	       (unsigned long long)(k.tx_invalid_descs - pk->tx_invalid_descs));
	memcpy(prev, cur, sizeof(cur));
	*pk = k;
	if (afx_verbose) {
		/* Where the frames are (read from another thread: approximate). */
		for (unsigned i = 0; i < app->nworkers; i++) {
			struct afx_worker *w = app->worker[i];
			uint64_t f = 0, tx = 0;

			for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
				if (!w->xsk[p])
					continue;
				f += __atomic_load_n(&w->xsk[p]->out_fill, __ATOMIC_RELAXED);
				tx += __atomic_load_n(&w->xsk[p]->out_tx, __ATOMIC_RELAXED);
			}
			printf("[afxdp-frames] t=%.1f worker %u: pool=%u fill+rx=%" PRIu64
			       " tx+completion=%" PRIu64 "\n", t, i,
			       __atomic_load_n(&w->pool.n, __ATOMIC_RELAXED), f, tx);
		}
	}
}

/* Metrics server reader: the user-space core's counters; in hybrid the
 * kernel's with its USER verdicts replaced by the user core's (each frame
 * counted once, pl_metrics_merge_hybrid). */
int afx_stats_metrics_read(void *arg, struct pl_counters *sum)
{
	struct afx_app *app = arg;
	struct pl_counters k, u;
	int err = pl_ctl_read_counters(app->ctl_user, app->ctl_bpf ? &u : sum);

	if (err || !app->ctl_bpf)
		return err;
	err = pl_ctl_read_counters(app->ctl_bpf, &k);
	if (err)
		return err;
	pl_metrics_merge_hybrid(&k, &u, sum);
	return 0;
}

/* Print the shutdown report: per worker frame accounting and totals.
 * Returns 0 if every frame was accounted for. */
int afx_stats_report(struct afx_app *app)
{
	int bad = 0;

	for (unsigned i = 0; i < app->nworkers; i++) {
		struct afx_worker *w = app->worker[i];

		if (afx_dp_frames_check(w) || w->check_fail)
			bad = 1;
		printf("[afxdp-frames] %s checks_failed=%" PRIu64 " double_free=%" PRIu64 "\n",
		       w->last_check, w->check_fail, w->double_free);
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
			struct afx_xsk *x = app->worker[i]->xsk[p];

			if (!x)
				continue;
			printf("[afxdp-socket] %s queue=%u worker=%u cpu=%d", x->port->ifname, x->queue, i,
			       app->worker[i]->cpu);
			for (int c = 0; c < AFX_XC__MAX; c++)
				printf(" %s=%" PRIu64, afx_xsk_cnt_name[c], x->cnt[c]);
			printf("\n");
		}
	printf("[afxdp-total]");
	for (int c = 0; c < AFX_XC__MAX; c++)
		printf(" %s=%" PRIu64, afx_xsk_cnt_name[c], afx_stats_sum(app, c));
	{
		struct xdp_statistics k;

		afx_stats_xdp(app, &k);
		printf(" xdp_rx_dropped=%llu xdp_rx_invalid=%llu xdp_rx_ring_full=%llu"
		       " xdp_fill_ring_empty=%llu xdp_tx_invalid=%llu xdp_tx_ring_empty=%llu",
		       (unsigned long long)k.rx_dropped, (unsigned long long)k.rx_invalid_descs,
		       (unsigned long long)k.rx_ring_full,
		       (unsigned long long)k.rx_fill_ring_empty_descs,
		       (unsigned long long)k.tx_invalid_descs, (unsigned long long)k.tx_ring_empty_descs);
	}
	printf("\n[afxdp-frames] %s\n", bad ? "MISMATCH: frames lost or counted twice" : "accounting ok");
	fflush(stdout);
	return bad ? -EFAULT : 0;
}
