// SPDX-License-Identifier: MIT
/* pathlab-afxdp: the pathlab core behind AF_XDP sockets.
 *
 * One UMEM per worker; a worker owns receive queue q of every port (one
 * AF_XDP socket per port and queue, created with xsk_socket__create_shared
 * so all of a worker's sockets share its UMEM). REDIRECT between ports is
 * therefore a descriptor move, never a copy, and never crosses threads.
 * The XDP program is ours, loaded and attached with libbpf; libxdp is used
 * only for the xsk API (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD). See
 * docs/afxdp.md. */
#include "afxdp.h"
#include "plt_sample.h"

int afx_verbose;

/* Policy resolver: interface names are our ports; out_port = port index
 * (the worker's socket array index, and the key of pl_tx_ports in hybrid). */
static int afx_resolve_port(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct afx_app *app = arg;

	for (unsigned i = 0; i < app->nports; i++) {
		if (!strcmp(app->port[i].ifname, name)) {
			*ifindex = (uint32_t)app->port[i].ifindex;
			*out_port = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Resolver of the route mirror: the kernel's routes name the ports, or (in
 * user placement, where the host's addresses live on the TAPs) their TAPs. */
static int afx_resolve_route_port(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct afx_app *app = arg;

	for (unsigned i = 0; i < app->nports; i++) {
		if (!strcmp(app->port[i].ifname, name) ||
		    (app->port[i].tap_fd >= 0 && !strcmp(app->port[i].tap_name, name))) {
			*ifindex = (uint32_t)app->port[i].ifindex;
			*out_port = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* `route kernel`: follow the kernel's routes and neighbours into the
 * user-space core's route tables (and the BPF object's, in hybrid). */
static int afx_routes_start(struct afx_app *app)
{
	int err;

	if (!app->route_kernel)
		return 0;
	err = plt_routes_start(&app->routes_user, app->ctl_user, afx_resolve_route_port, app);
	if (!err && app->ctl_bpf)
		err = plt_routes_start(&app->routes_bpf, app->ctl_bpf, afx_resolve_route_port, app);
	if (err)
		pr_warn("route kernel: cannot mirror the kernel's routes: %s\n", strerror(-err));
	else
		pr_info("route kernel: mirroring the kernel's routes and neighbours\n");
	return err;
}

static void afx_routes_stop(struct afx_app *app)
{
	plt_routes_stop(app->routes_bpf);
	plt_routes_stop(app->routes_user);
	app->routes_bpf = app->routes_user = NULL;
}

/* ---- Main ----------------------------------------------------------------- */
/* Load the policy into the user-space core and, in hybrid, into the BPF
 * object's maps too. Without a policy, the BPF object gets the defaults. */
static int afx_load_policy(struct afx_app *app, pl_port_resolver resolver)
{
	struct pl_policy *pol = NULL;
	struct pl_err perr = { { 0 } };
	char sum[256];
	int err;

	if (app->ctl_bpf && (err = pl_ctl_init_config(app->ctl_bpf))) {
		pr_warn("writing the default configuration to the BPF maps failed: %s\n", strerror(-err));
		return err;
	}
	if (!app->o.policy)
		return 0;
	err = pl_policy_parse_file(app->o.policy, &pol, &perr);
	if (err) {
		pr_warn("%s\n", perr.msg);
		return err;
	}
	app->route_kernel = pl_policy_route_kernel(pol);
	err = pl_policy_apply(app->ctl_user, pol, resolver, app, &perr);
	if (!err && app->ctl_bpf)
		err = pl_policy_apply(app->ctl_bpf, pol, resolver, app, &perr);
	if (err)
		pr_warn("%s\n", perr.msg);
	else {
		pl_policy_summary(pol, sum, sizeof(sum));
		pr_info("policy %s: %s\n", app->o.policy, sum);
	}
	pl_policy_free(pol);
	return err;
}

/* The control socket (pathlab-policy --target afxdp:NAME): policies and
 * mode switches go into the user-space core and, in hybrid, the BPF one;
 * show/top read the core that sees every frame (hybrid: the kernel's). */
static int afx_ctl_start(struct afx_app *app, const char *path)
{
	char ifnames[128] = "";
	int err;

	for (unsigned i = 0; i < app->nports; i++)
		snprintf(ifnames + strlen(ifnames), sizeof(ifnames) - strlen(ifnames), "%s%s", i ? "," : "",
			 app->port[i].ifname);
	err = plt_ctl_target_init(&app->target, "afxdp", app->o.ctl_name ? app->o.ctl_name : app->port[0].ifname,
				  path, ifnames);
	if (err)
		return err;
	plt_ctl_target_add(&app->target, app->ctl_user, afx_resolve_port, app);
	if (app->ctl_bpf) {
		plt_ctl_target_add(&app->target, app->ctl_bpf, afx_resolve_port, app);
		app->target.report_ctl = app->ctl_bpf;
	}
	app->target.read = afx_stats_metrics_read;
	app->target.read_arg = app;
	err = plt_ctl_target_policy(&app->target, app->o.policy);
	if (!err)
		err = plt_ctlsock_start(&app->target, &app->ctlsock);
	return err;
}

/* Build workers: one per queue number; each opens that queue on every port
 * that has it. */
static int afx_setup_workers(struct afx_app *app)
{
	int qs[PL_WORKERS_MAX];
	unsigned nq = 0, maxq = 0;
	int err;

	for (unsigned p = 0; p < app->nports; p++)
		if (app->port[p].nqueues > maxq)
			maxq = app->port[p].nqueues;
	if (app->o.nqueues) {
		for (unsigned i = 0; i < app->o.nqueues; i++) {
			if ((unsigned)app->o.queue[i] >= maxq) {
				pr_warn("--queues: queue %d does not exist (the ports have %u; see ethtool -l)\n",
					app->o.queue[i], maxq);
				return -EINVAL;
			}
			qs[nq++] = app->o.queue[i];
		}
	} else {
		for (unsigned q = 0; q < maxq && q < PL_WORKERS_MAX; q++)
			qs[nq++] = (int)q;
	}
	if (app->o.ncpus && app->o.ncpus < nq) {
		pr_warn("--cpus names %u CPUs for %u workers (one per queue): name one per queue\n",
			app->o.ncpus, nq);
		return -EINVAL;
	}
	err = pl_core_init(nq);
	if (err) {
		pr_warn("initialising the core failed: %s\n", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < nq; i++) {
		struct afx_worker *w = calloc(1, sizeof(*w));
		unsigned ports_here = 0;

		if (!w)
			return -ENOMEM;
		app->worker[app->nworkers++] = w;
		w->id = i;
		w->queue = (uint32_t)qs[i];
		w->cpu = app->o.ncpus ? app->o.cpu[i] : -1;
		for (unsigned p = 0; p < app->nports; p++)
			if (w->queue < app->port[p].nqueues)
				ports_here++;
		w->nframes = app->o.frames ? app->o.frames
					   : 4 * ports_here *
						     (app->o.fill_size > app->o.tx_size ? app->o.fill_size
											: app->o.tx_size);
		if (w->nframes < ports_here * (app->o.fill_size + app->o.batch)) {
			pr_warn("--frames %u is too few: each worker needs at least %u (fill ring + a batch per port)\n",
				w->nframes, ports_here * (app->o.fill_size + app->o.batch));
			return -EINVAL;
		}
		err = afx_setup_umem(app, w);
		if (err)
			return err;
		for (unsigned p = 0; p < app->nports; p++) {
			if (w->queue >= app->port[p].nqueues)
				continue;
			err = afx_setup_xsk_open(app, w, &app->port[p]);
			if (err)
				return err;
			if (!app->port[p].tap_owner)
				app->port[p].tap_owner = w;
		}
	}
	return 0;
}

/* Start the worker threads, pinned where asked. */
static int afx_start_workers(struct afx_app *app, struct afx_wctx *wc)
{
	for (unsigned i = 0; i < app->nworkers; i++) {
		struct afx_worker *w = app->worker[i];
		int err;

		pthread_attr_t attr;
		cpu_set_t set;

		wc[i] = (struct afx_wctx){ app, w };
		pthread_attr_init(&attr);
		if (w->cpu >= 0) {
			/* Pinned from its first instruction, not after it started. */
			CPU_ZERO(&set);
			CPU_SET(w->cpu, &set);
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		}
		err = -pthread_create(&w->thread, &attr, afx_dp_worker, &wc[i]);
		pthread_attr_destroy(&attr);
		if (!err) {
			char name[16];

			/* Named here, so the name is there when this returns
			 * (ps -L, perf, taskset -p). */
			snprintf(name, sizeof(name), "pl-afxdp-w%u", w->id);
			pthread_setname_np(w->thread, name);
		}
		if (err) {
			if (w->cpu >= 0)
				pr_warn("cannot start worker %u pinned to CPU %d: %s (see nproc and --cpus)\n",
					i, w->cpu, strerror(-err));
			else
				pr_warn("cannot start worker %u: %s\n", i, strerror(-err));
			return err;
		}
		w->started = true;
	}
	return 0;
}
/* Parse, set up ports and workers, print stats until stopped, tear down. */
int main(int argc, char **argv)
{
	static struct plt_sample_out samples;
	static struct afx_app app_s;
	struct afx_app *app = &app_s;
	struct afx_wctx wc[PL_WORKERS_MAX];
	struct pl_counters prev_u = { { 0 } }, cur_u, prev_k = { { 0 } }, cur_k;
	uint64_t prev_ev[AFX_XC__MAX] = { 0 };
	struct xdp_statistics prev_ks = { 0 };
	const char *path;
	char busy[96];
	double t0, last;
	int err = 0;

	err = afx_opt_parse(argc, argv, &app->o); /* also plt_log_init */
	if (err >= 0)
		return err;
	err = 0;
	plt_log_use_libxdp();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (afx_opt_check(&app->o))
		return 2;
	/* SIGINT, SIGTERM, SIGHUP (a closed terminal) and SIGQUIT only set
	 * plt_stop: workers and main notice it and tear down the same way. */
	plt_stop_on_signals();
	signal(SIGPIPE, SIG_IGN);

	if (app->o.replay) {
		if (app->o.nports) {
			pr_warn("--replay uses no interfaces: drop -i\n");
			return 2;
		}
		err = pl_core_init(1);
		if (err)
			return 1;
		pl_worker_set(0);
		app->ctl_user = pl_ctl_open_user();
		/* Same resolver as the native replay: ports are ifindexes. */
		err = app->ctl_user ? afx_load_policy(app, NULL) : -ENOMEM;
		if (!err)
			err = afx_replay_run(app);
		pl_ctl_close(app->ctl_user);
		pl_core_fini();
		return err ? 1 : 0;
	}
	if (!app->o.nports) {
		pr_warn("no interface: pass -i IF (one per port); --help for more\n");
		return 2;
	}

	app->nports = app->o.nports;
	for (unsigned i = 0; i < app->nports; i++) {
		struct afx_port *p = &app->port[i];

		p->idx = i;
		p->ifname = app->o.ifname[i];
		p->tap_fd = -1;
		p->ifindex = (int)if_nametoindex(p->ifname);
		if (!p->ifindex) {
			pr_warn("no interface %s (ip link shows the names)\n", p->ifname);
			return 2;
		}
		for (unsigned j = 0; j < i; j++)
			if (app->port[j].ifindex == p->ifindex) {
				pr_warn("%s given twice\n", p->ifname);
				return 2;
			}
		p->nqueues = afx_setup_if_nqueues(p->ifname);
	}

	for (unsigned i = 0; i < app->nports; i++) {
		err = afx_setup_port_load(app, &app->port[i]);
		if (err)
			goto unload_ports;
		err = afx_tap_open(app, &app->port[i]);
		if (err)
			goto unload_ports;
	}
	err = afx_setup_workers(app);
	if (err)
		goto destroy_workers;
	app->ctl_user = pl_ctl_open_user();
	if (app->o.placement == AFX_PLACE_HYBRID)
		app->ctl_bpf = pl_ctl_open_bpf_obj(app->port[0].bpf.obj);
	if (!app->ctl_user || (app->o.placement == AFX_PLACE_HYBRID && !app->ctl_bpf)) {
		pr_warn("cannot open the control library on the core's tables\n");
		err = -ENOMEM;
		goto close_ctl;
	}
	err = afx_load_policy(app, afx_resolve_port);
	if (!err)
		err = afx_routes_start(app);
	if (err)
		goto close_ctl;
	/* Configured first (policy in the maps, sockets in xsks_map), attached
	 * last: the kernel side never sees a frame without its configuration. */
	for (unsigned i = 0; i < app->nports; i++) {
		err = afx_setup_port_attach(app, &app->port[i]);
		if (err)
			goto close_ctl;
	}
	path = app->o.placement == AFX_PLACE_HYBRID ? "afxdp-hybrid" : "afxdp-user";
	err = afx_ctl_start(app, path);
	if (err)
		goto close_ctl;
	if (app->o.metrics) {
		struct pl_err merr;

		err = pl_metrics_serve(app->o.metrics, path, plt_ctl_target_metrics_read, &app->target,
				       &app->metrics, &merr);
		if (err) {
			pr_warn("%s\n", merr.msg);
			goto close_ctl;
		}
		plt_ctl_target_metrics(&app->target, app->metrics, 10);
		pl_metrics_set_extra(app->metrics, afx_stats_metrics_extra, app);
		pr_info("metrics on http://%s/metrics (port %u)\n", app->o.metrics,
			pl_metrics_port(app->metrics));
	}
	/* The workers run (named and pinned) before the start-up lines: a
	 * reader that waits for them finds the datapath up. */
	if (app->o.sample_out && plt_sample_ring_open(&samples, app->o.sample_out, app->ctl_user))
		err = -EIO;
	if (!err)
		err = afx_start_workers(app, wc);
	if (err)
		goto stop_workers;
	if (!app->o.busy_poll_us)
		snprintf(busy, sizeof(busy), "off");
	else
		snprintf(busy, sizeof(busy), "%s%d us budget %d",
			 !app->busy_any ? "refused, off (asked " : app->busy_refused ? "partly refused, " : "",
			 (int)app->o.busy_poll_us, (int)(app->o.busy_budget ? app->o.busy_budget : app->o.batch));
	if (app->o.busy_poll_us && !app->busy_any)
		strncat(busy, ")", sizeof(busy) - strlen(busy) - 1);
	pr_info("%u port(s), %u worker(s), placement %s, %s mode, %s XDP, need_wakeup %s, busy poll %s, "
		"batch %u, tx budget %u, rings rx/tx/fill/comp %u/%u/%u/%u, frame %u, UMEM on %s\n",
		app->nports, app->nworkers, app->o.placement == AFX_PLACE_HYBRID ? "hybrid" : "user",
		app->zc_any && app->copy_any ? "mixed zero-copy/copy"
					     : app->zc_any ? "zero-copy" : "copy",
		app->o.generic ? "generic" : "native", app->o.need_wakeup ? "on" : "off", busy, app->o.batch,
		app->copy_any ? (app->tx_budget ? app->tx_budget : 32) : app->o.batch,
		app->o.rx_size, app->o.tx_size, app->o.fill_size, app->o.comp_size, app->o.frame_size,
		app->o.hugepages ? "hugepages" : "normal pages");
	for (unsigned i = 0; i < app->nports; i++)
		if (app->port[i].tap_fd >= 0)
			pr_info("%s: PASS goes to TAP %s\n", app->port[i].ifname, app->port[i].tap_name);
	for (unsigned i = 0; i < app->nworkers; i++) {
		struct afx_worker *w = app->worker[i];

		char cpu[16] = "not pinned";

		if (w->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "CPU %d", w->cpu);
		for (unsigned p = 0; p < app->nports; p++)
			if (w->xsk[p])
				pr_info("socket %s queue %u: worker %u, %s, %s mode%s\n",
					w->xsk[p]->port->ifname, w->queue, w->id, cpu,
					w->xsk[p]->zero_copy ? "zero-copy" : "copy",
					w->xsk[p]->busy_poll ? ", busy poll" : "");
	}
stop_workers:
	t0 = last = plt_now();
	while (!err && !plt_stop) {
		double now;

		usleep(50000);
		if (app->o.sample_out)
			plt_sample_ring_drain(&samples);
		now = plt_now();
		if (app->o.duration > 0 && now - t0 >= app->o.duration)
			break;
		if (now - last < app->o.interval)
			continue;
		if (!app->o.quiet) {
			pl_ctl_read_counters(app->ctl_user, &cur_u);
			if (app->ctl_bpf) {
				pl_ctl_read_counters(app->ctl_bpf, &cur_k);
				pl_stats_print(stdout, "afxdp-hybrid-xdp", now - t0, &prev_k, &cur_k,
					       now - last, afx_verbose);
				prev_k = cur_k;
				pl_stats_print(stdout, "afxdp-hybrid-user", now - t0, &prev_u, &cur_u,
					       now - last, afx_verbose);
			} else {
				pl_stats_print(stdout, path, now - t0, &prev_u, &cur_u, now - last,
					       afx_verbose);
			}
			prev_u = cur_u;
			afx_stats_events(app, now - t0, prev_ev, &prev_ks);
		}
		last = now;
	}
	plt_stop = 1;
	plt_ctlsock_stop(app->ctlsock);
	app->ctlsock = NULL;
	for (unsigned i = 0; i < app->nworkers; i++)
		if (app->worker[i]->started)
			pthread_join(app->worker[i]->thread, NULL);
	pl_metrics_stop(app->metrics);
	app->metrics = NULL;
	afx_routes_stop(app);
	{
		struct pl_counters fin_u, fin_k;

		/* Totals since start (rates over a 1 s "interval" = counts). */
		if (!pl_ctl_read_counters(app->ctl_user, &fin_u))
			pl_stats_print(stdout, app->ctl_bpf ? "afxdp-hybrid-user-total" : "afxdp-user-total",
				       plt_now() - t0, &(struct pl_counters){ { 0 } }, &fin_u, 1.0, 1);
		if (app->ctl_bpf && !pl_ctl_read_counters(app->ctl_bpf, &fin_k))
			pl_stats_print(stdout, "afxdp-hybrid-xdp-total", plt_now() - t0,
				       &(struct pl_counters){ { 0 } }, &fin_k, 1.0, 1);
	}
	pl_ctl_close(app->ctl_bpf);
	app->ctl_bpf = NULL;
	/* Detach first so nothing new arrives, then take every frame back. */
	for (unsigned i = 0; i < app->nports; i++)
		afx_setup_port_unload(&app->port[i]);
	for (unsigned i = 0; i < app->nworkers; i++)
		afx_dp_drain(app, app->worker[i]);
	if (afx_stats_report(app) && !err)
		err = -EFAULT;
	if (app->o.sample_out && plt_sample_ring_close(&samples, app->ctl_user) && !err)
		err = -EIO;
close_ctl:
	plt_ctlsock_stop(app->ctlsock);
	afx_routes_stop(app);
	pl_metrics_stop(app->metrics);
	plt_ctl_target_fini(&app->target);
	pl_ctl_close(app->ctl_bpf);
	pl_ctl_close(app->ctl_user);
destroy_workers:
	for (unsigned i = 0; i < app->nworkers; i++) {
		if (app->worker[i]->started && !plt_stop) {
			plt_stop = 1;
			pthread_join(app->worker[i]->thread, NULL);
		}
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		afx_setup_worker_destroy(app->worker[i]);
	pl_core_fini();
unload_ports:
	for (unsigned i = 0; i < app->nports; i++)
		afx_setup_port_unload(&app->port[i]);
	return err ? 1 : 0;
}
