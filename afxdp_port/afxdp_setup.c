// SPDX-License-Identifier: MIT
/* pathlab-afxdp's set-up: the XDP program per port, the UMEM per worker,
 * the AF_XDP sockets and their options; and their teardown. */
#include "afxdp.h"

/* ---- Setup ---------------------------------------------------------------- */
/* Number of receive queues of ifname (sysfs queues/rx-*). */
unsigned afx_setup_if_nqueues(const char *ifname)
{
	char path[128];
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n ? n : 1;
}

/* Find and load the XDP program of port p (plt_bpf: in hybrid every port's
 * copy of the core shares the first one's tables except xsks_map, which is
 * keyed by queue and so must be per interface); attaching is
 * afx_setup_port_attach's, once the sockets are in xsks_map and the policy
 * is in the maps. */
int afx_setup_port_load(struct afx_app *app, struct afx_port *p)
{
	bool hybrid = app->o.placement == AFX_PLACE_HYBRID;
	char buf[PATH_MAX];
	int err;

	err = plt_bpf_load(&p->bpf, &(struct plt_bpf_opts){
		.path = hybrid ? plt_bpf_find(app->o.bpf_obj, PLT_CORE_OBJ, buf, sizeof(buf))
			       : plt_bpf_find(app->o.redirect_obj, AFX_REDIRECT_OBJ, buf, sizeof(buf)),
		.obj_opt = hybrid ? "--bpf-obj" : "--redirect-obj",
		.prog = hybrid ? PLT_CORE_PROG : AFX_REDIRECT_PROG,
		.share = hybrid && p != &app->port[0] ? app->port[0].bpf.obj : NULL,
		.no_share = (const char *const[]){ "xsks_map", NULL },
		/* --no-xdp-meta: USER frames leave XDP without its decision */
		.rodata = (struct plt_bpf_rodata[]){ { "pl_user_meta", 0 } },
		.nrodata = hybrid && app->o.no_xdp_meta ? 1 : 0,
	});
	if (err)
		return err;
	p->xsks_map_fd = plt_bpf_map_fd(&p->bpf, "xsks_map");
	if (p->xsks_map_fd < 0) {
		pr_warn("%s has no XSKMAP named xsks_map (wrong %s?)\n", p->bpf.path,
			hybrid ? "--bpf-obj" : "--redirect-obj");
		return -ENOENT;
	}
	return 0;
}

/* Attach p's loaded program with a bpf_link (plt_xdp): the link lives as
 * long as our file descriptor, so the kernel detaches the program when the
 * process ends however it ends (kill -9, OOM kill), and a restart finds the
 * interface free. */
int afx_setup_port_attach(struct afx_app *app, struct afx_port *p)
{
	int err = plt_xdp_attach(&p->link, p->ifname, bpf_program__fd(p->bpf.prog), app->o.xdp_mode);
	char driver[64];

	if (err)
		return err;
	if (app->o.xdp_mode == PLT_XDP_AUTO && p->link.mode == PLT_XDP_GENERIC) {
		/* The driver has no native XDP (r8169, or an MTU above its limit):
		 * generic XDP delivers to copy-mode sockets only. */
		plt_if_driver(p->ifname, driver, sizeof(driver));
		if (app->zc_any) {
			pr_warn("%s (driver %s): native XDP refused and the sockets are zero-copy, which needs "
				"it: use --zero-copy off\n", p->ifname, driver);
			plt_xdp_detach(&p->link);
			return -EOPNOTSUPP;
		}
		pr_warn("%s (driver %s): no native XDP, running on generic XDP (AF_XDP copy mode; "
			"--xdp-mode native makes this an error)\n", p->ifname, driver);
		app->o.generic = true;
	}
	p->prog_id = (int)plt_bpf_prog_id(bpf_program__fd(p->bpf.prog));
	pr_debug("%s: %s attached (%s XDP, bpf_link, prog id %d)\n", p->ifname,
		 bpf_program__name(p->bpf.prog), app->o.generic ? "generic" : "native", p->prog_id);
	return 0;
}

/* Detach p's program (the link: exactly ours, never a program someone else
 * attached since), close the object and the TAP. */
void afx_setup_port_unload(struct afx_port *p)
{
	plt_xdp_detach(&p->link);
	plt_bpf_close(&p->bpf);
	if (p->tap_fd >= 0)
		close(p->tap_fd); /* a non-persistent TAP disappears with its fd */
	p->tap_fd = -1;
}

/* Allocate w's UMEM area (hugepages or normal pages) and register it. */
int afx_setup_umem(struct afx_app *app, struct afx_worker *w)
{
	struct xsk_umem_config cfg = {
		.fill_size = app->o.fill_size,
		.comp_size = app->o.comp_size,
		.frame_size = app->o.frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	size_t len = (size_t)w->nframes * app->o.frame_size;
	int err;

	if (app->o.hugepages) {
		len = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
		w->umem_area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (w->umem_area == MAP_FAILED) {
			err = -errno;
			pr_warn("UMEM of %zu MB on hugepages failed: %s (reserve %zu 2 MB pages: "
				"echo %zu > /proc/sys/vm/nr_hugepages, or drop --hugepages)\n",
				len >> 20, strerror(errno), (len >> 21) * app->nworkers,
				(len >> 21) * app->nworkers);
			w->umem_area = NULL;
			return err;
		}
		w->umem_huge = true;
	} else {
		w->umem_area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (w->umem_area == MAP_FAILED) {
			err = -errno;
			pr_warn("UMEM of %zu MB: %s (try fewer --frames)\n", len >> 20, strerror(errno));
			w->umem_area = NULL;
			return err;
		}
	}
	w->umem_len = len;
	err = xsk_umem__create(&w->umem, w->umem_area, (uint64_t)w->nframes * app->o.frame_size,
			       &w->umem_fill, &w->umem_comp, &cfg);
	if (err) {
		pr_warn("registering the UMEM failed: %s%s\n", strerror(-err),
			err == -ENOMEM || err == -EPERM ? " (raise RLIMIT_MEMLOCK: ulimit -l unlimited)" : "");
		w->umem = NULL;
		return err;
	}
	err = pl_pool_init(&w->pool, w->nframes);
	if (err)
		return err;
	for (uint32_t i = 0; i < w->nframes; i++)
		pl_pool_put1(&w->pool, (uint64_t)i * app->o.frame_size);
	return 0;
}

/* Set the busy-poll socket options on x, one at a time. A refusal is not
 * fatal: it is reported (which option, why, what to try) and the socket
 * runs without busy polling (x->busy_poll stays false). Returns 0. */
static int afx_setup_busy_poll(struct afx_app *app, struct afx_xsk *x)
{
	int one = 1, us = (int)app->o.busy_poll_us;
	int budget = (int)(app->o.busy_budget ? app->o.busy_budget : app->o.batch);
	const struct { int opt; const char *name; int *val; } so[] = {
		{ SO_PREFER_BUSY_POLL, "SO_PREFER_BUSY_POLL", &one },
		{ SO_BUSY_POLL, "SO_BUSY_POLL", &us },
		{ SO_BUSY_POLL_BUDGET, "SO_BUSY_POLL_BUDGET", &budget },
	};

	if (!us)
		return 0;
	for (size_t i = 0; i < sizeof(so) / sizeof(so[0]); i++) {
		if (!setsockopt(x->fd, SOL_SOCKET, so[i].opt, so[i].val, sizeof(int)))
			continue;
		pr_warn("%s q%u: %s=%d refused: %s (%s); continuing without busy polling on this socket\n",
			x->port->ifname, x->queue, so[i].name, *so[i].val, strerror(errno),
			errno == ENOPROTOOPT ? "the kernel predates 5.11"
			: errno == EPERM     ? "needs CAP_NET_ADMIN, or a budget within net.core.busy_poll_budget"
			: errno == EINVAL    ? "the budget must be 1..65535: try --busy-poll-budget 64"
					     : "drop --busy-poll");
		/* Undo what was set, so the socket is plainly not busy-polled. */
		us = 0;
		one = 0;
		setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one));
		setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us));
		app->busy_refused = true;
		return 0;
	}
	x->busy_poll = true;
	app->busy_any = true;
	return 0;
}

/* Copy mode: let one sendto() send up to the tx budget instead of the
 * kernel's 32 (XDP_MAX_TX_SKB_BUDGET, 6.17+), so a batch above 32 costs one
 * kick. Older kernels refuse (ENOPROTOOPT): said once, kernel default kept. */
static void afx_setup_tx_budget(struct afx_app *app, struct afx_xsk *x)
{
	unsigned int budget = app->o.tx_budget ? app->o.tx_budget : app->o.batch;

	if (x->zero_copy || budget <= 32)
		return;
	if (!setsockopt(x->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget))) {
		app->tx_budget = budget;
		return;
	}
	if (!app->tx_budget_warned)
		pr_warn("%s q%u: XDP_MAX_TX_SKB_BUDGET=%u refused: %s (%s); a kick sends at most 32 frames\n",
			x->port->ifname, x->queue, budget, strerror(errno),
			errno == ENOPROTOOPT ? "needs kernel 6.17+" : "32..tx ring size");
	app->tx_budget_warned = true;
}

/* The driver's name of ifname (ethtool -i), or "unknown driver". */
static const char *afx_setup_if_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(buf, len, "unknown driver");
	if (s < 0)
		return buf;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(s, SIOCETHTOOL, &ifr))
		snprintf(buf, len, "%s", info.driver);
	close(s);
	return buf;
}

/* Create w's socket on port p (its first socket uses the UMEM's own fill
 * and completion rings, later ones get their own: xsk_socket__create_shared),
 * insert it into the port's xsks_map and prime its fill ring. */
int afx_setup_xsk_open(struct afx_app *app, struct afx_worker *w, struct afx_port *p)
{
	struct afx_xsk *x = calloc(1, sizeof(*x));
	struct xsk_socket_config cfg = {
		.rx_size = app->o.rx_size,
		.tx_size = app->o.tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = app->o.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
	};
	bool first = w->nxsk == 0;
	bool sg = !app->o.no_sg;
	int err = -EINVAL;
	__u32 q = w->queue;

	if (!x)
		return -ENOMEM;
	x->port = p;
	x->queue = w->queue;
	if (first) {
		x->fill = w->umem_fill;
		x->comp = w->umem_comp;
	}
retry_sg:
	for (int attempt = 0; attempt < 2; attempt++) {
		bool zc = app->o.copy == AFX_ZC_ON || (app->o.copy == AFX_ZC_AUTO && attempt == 0);

		if (app->o.generic && zc) {
			if (app->o.copy == AFX_ZC_ON) {
				pr_warn("zero-copy needs native XDP: drop --xdp-mode generic or use --zero-copy off\n");
				free(x);
				return -EINVAL;
			}
			continue;
		}
		cfg.bind_flags = (zc ? XDP_ZEROCOPY : XDP_COPY) |
				 (app->o.need_wakeup ? XDP_USE_NEED_WAKEUP : 0) | (sg ? XDP_USE_SG : 0);
		if (first)
			err = xsk_socket__create_shared(&x->xsk, p->ifname, q, w->umem, &x->rx, &x->tx,
							&w->umem_fill, &w->umem_comp, &cfg);
		else
			err = xsk_socket__create_shared(&x->xsk, p->ifname, q, w->umem, &x->rx, &x->tx,
							&x->fill, &x->comp, &cfg);
		if (!err) {
			x->zero_copy = zc;
			break;
		}
		if (!zc || app->o.copy == AFX_ZC_ON)
			break;
		pr_debug("%s q%u: zero-copy refused (%s), trying copy mode\n", p->ifname, q,
			 strerror(-err));
	}
	if (err && sg && (err == -EINVAL || err == -EOPNOTSUPP)) {
		/* Multi-buffer refused (kernel before 6.6; in zero-copy, a
		 * driver without AF_XDP multi-buffer): bind without it. */
		pr_warn("%s q%u: AF_XDP multi-buffer (XDP_USE_SG) refused: %s (kernel 6.6+ and, for zero-copy, a driver with AF_XDP multi-buffer); "
			"frames longer than a UMEM frame (%u bytes less %u of headroom) are dropped by the kernel\n",
			p->ifname, q, strerror(-err), app->o.frame_size, XDP_PACKET_HEADROOM);
		app->sg_refused = true;
		sg = false;
		goto retry_sg;
	}
	if (err) {
		const char *hint = "check the interface is up and the queue exists (ethtool -l)";
		char drv[64], zc[160];

		if (app->o.copy == AFX_ZC_ON && (err == -EOPNOTSUPP || err == -EINVAL)) {
			snprintf(zc, sizeof(zc), "the driver (%s) has no AF_XDP zero-copy: use --zero-copy auto or off",
				 afx_setup_if_driver(p->ifname, drv, sizeof(drv)));
			hint = zc;
		}
		else if (err == -EBUSY)
			hint = "another AF_XDP socket is bound to this queue";
		else if (err == -ENOMEM || err == -ENOBUFS)
			hint = "smaller rings (--ring-size) or ulimit -l unlimited";
		pr_warn("AF_XDP socket on %s queue %u failed: %s (%s)\n", p->ifname, q, strerror(-err),
			hint);
		free(x);
		return err;
	}
	if (first) {
		x->fill = w->umem_fill;
		x->comp = w->umem_comp;
	}
	x->fd = xsk_socket__fd(x->xsk);
	x->sg = sg;
	{
		/* The mode the kernel gave, not the one asked for: a socket sharing
		 * the worker's UMEM takes the UMEM's mode whatever its bind flags. */
		struct xdp_options xo = { 0 };
		socklen_t xl = sizeof(xo);

		if (!getsockopt(x->fd, SOL_XDP, XDP_OPTIONS, &xo, &xl))
			x->zero_copy = xo.flags & XDP_OPTIONS_ZEROCOPY;
	}
	if (app->o.copy == AFX_ZC_ON && !x->zero_copy) {
		pr_warn("AF_XDP socket on %s queue %u is in copy mode although --zero-copy on (it shares a copy-mode UMEM): use --zero-copy auto or off\n",
			p->ifname, q);
		xsk_socket__delete(x->xsk);
		free(x);
		return -EOPNOTSUPP;
	}
	w->xsk[p->idx] = x;
	w->nxsk++;
	if (x->zero_copy)
		app->zc_any = true;
	else
		app->copy_any = true;
	err = afx_setup_busy_poll(app, x);
	if (err)
		return err;
	afx_setup_tx_budget(app, x);
	err = xsk_socket__update_xskmap(x->xsk, p->xsks_map_fd);
	if (err) {
		pr_warn("%s q%u: inserting the socket into xsks_map failed: %s\n", p->ifname, q,
			strerror(-err));
		return err;
	}
	afx_dp_refill(app, w, x);
	x->cnt[AFX_XC_fill_short] = 0;
	return 0;
}

/* Close w's sockets, UMEM and pool; accepts NULL. */
void afx_setup_worker_destroy(struct afx_worker *w)
{
	if (!w)
		return;
	for (unsigned p = 0; p < PL_PORTS_MAX; p++) {
		if (!w->xsk[p])
			continue;
		xsk_socket__delete(w->xsk[p]->xsk);
		free(w->xsk[p]);
	}
	if (w->umem)
		xsk_umem__delete(w->umem);
	if (w->umem_area)
		munmap(w->umem_area, w->umem_len);
	pl_pool_fini(&w->pool);
	free(w);
}
