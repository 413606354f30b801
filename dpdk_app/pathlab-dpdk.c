/* SPDX-License-Identifier: MIT */
/* pathlab-dpdk: the pathlab core in a DPDK application.
 *
 * Every port (net_af_xdp from --iface, any --vdev, PCI devices bound to
 * vfio-pci) gets Q queues with RSS; worker w polls queue w of every port,
 * runs the core on each mbuf in place and acts on the verdict: DROP frees,
 * TX goes back out the receiving port and queue, REDIRECT out another port,
 * PASS to the host through the port's net_tap exception port (--pass-tap),
 * USER is counted. TX is buffered per port and sent at the end of each pass.
 * The main lcore prints the stats; signals only set a flag. */
#include "pl_dpdk_app.h"
#include "plt_bpf.h"
#include "plt_ctlsock.h"
#include "plt_opts.h"
#include "plt_replay.h"
#include "plt_sample.h"
#include "plt_xdp.h"

volatile bool pl_quit;
struct pl_dpdk_opts opts;
struct pl_dpdk_port ports[PL_DPDK_PORTS_MAX];
struct pl_dpdk_wstats wstats[PL_DPDK_QUEUES_MAX];
struct rte_eth_dev_tx_buffer *txb[PL_DPDK_QUEUES_MAX][PL_DPDK_PORTS_MAX];
struct pl_ctl *uctl;
struct pl_ctl *kctl[PL_DPDK_PORTS_MAX];
unsigned nworkers;
static struct rte_mempool *pool;
/* The ports a worker polls and flushes, in port id order: the hot loop walks
 * this array. RTE_ETH_FOREACH_DEV scans every ethdev slot on each step
 * (rte_eth_find_next_owned_by): under callgrind 99 % of a worker's
 * instructions, ~560 per pass over two ports. */
static uint16_t poll_pid[PL_DPDK_PORTS_MAX];
static unsigned npoll;

/* SIGINT/SIGTERM: only set the flag. */
static void pl_dpdk_signal(int sig)
{
	(void)sig;
	pl_quit = true;
}

/* ---- Ports -------------------------------------------------------------------- */

/* Policy port names -> (receiving-interface key, out_port = DPDK port id). */
static int pl_dpdk_resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		if (!ports[pid].used)
			continue;
		if (!strcmp(ports[pid].iface, name) || !strcmp(ports[pid].name, name)) {
			*ifindex = ports[pid].ifindex;
			*out_port = pid;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- Workers ---------------------------------------------------------------------- */

/* Run the core on a burst of n mbufs received on port pid, queue q, in
 * place: one call of the core for the burst (one worker mark, one
 * configuration bank); v[i] the verdict, out[i] the REDIRECT port. An mbuf
 * chain (a frame longer than one mbuf's data room: net_pcap, net_tap,
 * virtio_user at a jumbo MTU) is the core's multi-buffer frame: the first
 * segment is the linear part the core reads (the headers), the other
 * segments are frags_len; the head may move, the tail stays where it is. */
static inline void pl_dpdk_core(unsigned w, uint16_t pid, uint16_t q, struct rte_mbuf **pkts, uint16_t n, int *v,
				uint32_t *out)
{
	struct pl_buf b[64];

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		b[i] = (struct pl_buf){ .data = rte_pktmbuf_mtod(m, uint8_t *), .len = m->data_len,
					.headroom = rte_pktmbuf_headroom(m), .ifindex = ports[pid].ifindex,
					.rx_queue = q };
		if (unlikely(m->nb_segs > 1)) {
			wstats[w].c[PL_DPDK_C_rx_chained]++;
			b[i].frags_len = m->pkt_len - m->data_len;
		} else {
			b[i].tailroom = rte_pktmbuf_tailroom(m);
		}
	}
	/* --hybrid on net_af_xdp: the frames left the core's XDP program with
	 * its decision just before each (XDP metadata); the PMD's mbufs are the
	 * UMEM's frames, so those bytes are the end of the mbuf's headroom */
	pl_core_process_burst(b, n, v, out, opts.hybrid && ports[pid].iface[0]);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		m->data_off = (uint16_t)(b[i].data - (uint8_t *)m->buf_addr);
		m->data_len = (uint16_t)b[i].len;
		m->pkt_len = b[i].len + b[i].frags_len;
	}
}

/* Act on a verdict: buffer for TX on the right port and queue (true), or
 * leave the mbuf to be freed with the burst's others (false). */
static inline bool pl_dpdk_act(unsigned w, uint16_t pid, uint16_t q, struct rte_mbuf *m, int v,
			       uint32_t out)
{
	struct pl_dpdk_wstats *ws = &wstats[w];

	switch (v) {
	case PL_TX:
		pl_dpdk_send(w, pid, q, m);
		return true;
	case PL_REDIRECT:
		if (likely(out < PL_DPDK_PORTS_MAX && ports[out].used)) {
			pl_dpdk_send(w, (uint16_t)out, q, m);
			return true;
		}
		ws->c[PL_DPDK_C_redirect_badport]++;
		break;
	case PL_PASS:
		if (ports[pid].tap >= 0) {
			ws->c[PL_DPDK_C_pass_host]++;
			pl_dpdk_send(w, (uint16_t)ports[pid].tap, q, m);
			return true;
		}
		ws->c[PL_DPDK_C_pass_nohost]++;
		break;
	default: /* DROP, USER (counted by the core), ABORTED */
		break;
	}
	return false;
}

/* Send what a pass over the ports left in w's TX buffers. */
static inline void pl_dpdk_flush(unsigned w)
{
	for (unsigned i = 0; i < npoll; i++) {
		uint16_t pid = poll_pid[i];

		if (txb[w][pid] && txb[w][pid]->length)
			wstats[w].c[PL_DPDK_C_tx_sent] += rte_eth_tx_buffer_flush(pid, (uint16_t)w, txb[w][pid]);
	}
}

/* The worker loop: poll queue w of every port, process, then send what the
 * pass queued (one TX burst per port and pass, as testpmd's io mode sends
 * each received burst: nothing waits for a timer). After opts.idle_yield
 * empty passes in a row the worker yields its CPU once: when it shares the
 * CPU with the kernel thread that fills its rings (veth receive NAPI, the
 * AF_XDP copy), that thread runs at once instead of at the end of the
 * worker's time slice; alone on its CPU, sched_yield returns at once. */
static int pl_dpdk_worker(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	const uint64_t tick = rte_get_tsc_hz() / 1000; /* stats/duration checks: 1 ms */
	bool stats_here = rte_lcore_id() == rte_get_main_lcore();
	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), last_check = start, last_stats = start;
	struct pl_counters prev = { 0 };
	struct rte_mbuf *pkts[64];
	unsigned idle = 0;
	uint16_t pid;

	pl_worker_set(w);
	pr_debug("worker %u on lcore %u\n", w, rte_lcore_id());
	while (!pl_quit) {
		unsigned got = 0;

		for (unsigned i = 0; i < npoll; i++) {
			struct pl_dpdk_port *p;
			uint16_t n;

			pid = poll_pid[i];
			p = &ports[pid];
			if (p->used) {
				if (w >= p->nq)
					continue;
				n = rte_eth_rx_burst(pid, (uint16_t)w, pkts, (uint16_t)opts.burst);
				if (!n)
					continue;
				int v[64];
				uint32_t out[64];
				unsigned nfree;
				uint64_t t0 = rte_rdtsc(), t1;

				got += n;
				/* the first touch of each frame is a cache miss (the
				 * receive copy ran elsewhere): start them all, then run
				 * the core over the whole burst (timed: its cost per
				 * frame), then the verdicts (TX buffering; the frames to
				 * free are freed together) */
				for (uint16_t i = 0; i < n; i++)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
				pl_dpdk_core(w, pid, (uint16_t)w, pkts, n, v, out);
				t1 = rte_rdtsc();
				nfree = 0;
				for (uint16_t i = 0; i < n; i++)
					if (!pl_dpdk_act(w, pid, (uint16_t)w, pkts[i], v[i], out[i]))
						pkts[nfree++] = pkts[i]; /* i >= nfree: not read again */
				if (nfree)
					rte_pktmbuf_free_bulk(pkts, nfree);
				wstats[w].core_cycles += t1 - t0;
				wstats[w].proc_cycles += rte_rdtsc() - t0;
				wstats[w].proc_pkts += n;
			} else if (p->tap >= 0) {
				/* exception port: what the host sends goes out its data port */
				n = rte_eth_rx_burst(pid, (uint16_t)w, pkts, (uint16_t)opts.burst);
				got += n;
				for (uint16_t i = 0; i < n; i++) {
					wstats[w].c[PL_DPDK_C_host_out]++;
					pl_dpdk_send(w, (uint16_t)p->tap, (uint16_t)w, pkts[i]);
				}
			}
		}
		if (got) {
			pl_dpdk_flush(w);
			idle = 0;
		} else if (opts.idle_yield && ++idle >= opts.idle_yield) {
			wstats[w].yields++;
			sched_yield();
			idle = 0;
		}
		if (stats_here) {
			/* one lcore: this worker also prints the stats and ends the run */
			uint64_t now = rte_rdtsc();

			if (now - last_check > tick) {
				double t = (double)(now - start) / hz;

				last_check = now;
				if (opts.interval > 0 && now - last_stats >= opts.interval * hz) {
					pl_dpdk_stats_print(t, (double)(now - last_stats) / hz, &prev);
					last_stats = now;
				}
				if (opts.duration > 0 && t >= opts.duration)
					pl_quit = true;
			}
		}
	}
	RTE_ETH_FOREACH_DEV(pid) {
		if (txb[w][pid])
			rte_eth_tx_buffer_flush(pid, (uint16_t)w, txb[w][pid]);
	}
	return 0;
}

/* ---- Set-up ---------------------------------------------------------------------- */

/* The control socket (pathlab-policy --target dpdk:PREFIX, PREFIX the EAL's
 * --file-prefix): policies and mode switches go into the user-space core
 * and, with --hybrid, every port's BPF core; show/top read the core that
 * sees every frame (hybrid: the first port's kernel core). */
static struct plt_ctl_target ctl_target;
static struct plt_ctlsock *ctl_sock;

static int pl_dpdk_ctl_start(const char *path)
{
	const char *dir = rte_eal_get_runtime_dir(), *prefix = strrchr(dir, '/');
	char ifnames[128] = "";
	uint16_t pid;
	int err;

	for (unsigned i = 0; i < opts.niface; i++)
		snprintf(ifnames + strlen(ifnames), sizeof(ifnames) - strlen(ifnames), "%s%s", i ? "," : "",
			 opts.iface[i]);
	err = plt_ctl_target_init(&ctl_target, "dpdk", prefix ? prefix + 1 : dir, path, ifnames);
	if (err)
		return err;
	plt_ctl_target_add(&ctl_target, uctl, pl_dpdk_resolve, NULL);
	for (pid = 0; pid < PL_DPDK_PORTS_MAX; pid++) {
		if (!kctl[pid])
			continue;
		if (ctl_target.report_ctl == uctl)
			ctl_target.report_ctl = kctl[pid];
		plt_ctl_target_add(&ctl_target, kctl[pid], NULL, NULL);
	}
	ctl_target.read = pl_dpdk_stats_metrics_read;
	err = plt_ctl_target_policy(&ctl_target, opts.policy);
	if (!err)
		err = plt_ctlsock_start(&ctl_target, &ctl_sock);
	return err;
}

/* After rte_eal_cleanup: remove the EAL runtime directory (/var/run/dpdk/
 * PREFIX: config, fbarray_* - with --no-huge several MiB on a tmpfs) that
 * the EAL leaves behind. Only a primary process's, and only the files in it. */
static void pl_dpdk_rundir_remove(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0))
			pr_debug("%s/%s: %s\n", dir, e->d_name, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir))
		pr_debug("%s: %s\n", dir, strerror(errno));
}

/* --sample-out: a thread that is no worker (nor an lcore) drains the core's
 * sample ring, every worker's, into the pcap; workers never wait for it. */
static struct plt_sample_out samples;
static pthread_t sample_thread;
static volatile bool sample_run;
static long sample_err;

static void *pl_dpdk_sample_reader(void *arg)
{
	(void)arg;
	while (sample_run && sample_err >= 0) {
		sample_err = plt_sample_ring_drain(&samples);
		usleep(10000);
	}
	return NULL;
}

static int pl_dpdk_sample_start(void)
{
	int err;

	if (plt_sample_ring_open(&samples, opts.sample_out, uctl))
		return -1;
	sample_run = true;
	err = pthread_create(&sample_thread, NULL, pl_dpdk_sample_reader, NULL);
	if (err) {
		pr_warn("--sample-out: cannot start the reader thread: %s\n", strerror(err));
		sample_run = false;
		plt_sample_finish(&samples);
		return -1;
	}
	return 0;
}

/* After the workers stopped: the last records, the file closed, the counts. */
static int pl_dpdk_sample_stop(void)
{
	int err;

	sample_run = false;
	pthread_join(sample_thread, NULL);
	err = plt_sample_ring_close(&samples, uctl);
	return sample_err < 0 || err ? -1 : 0;
}

/* Parse, set up EAL, ports, core and policy; run; tear everything down. */
int main(int argc, char **argv)
{
	struct pl_policy *pol = NULL;
	struct pl_metrics_server *msrv = NULL;
	struct pl_err perr = { { 0 } };
	char rundir[PATH_MAX] = "";
	int eal_argc = argc, app_argc, nargc, ret, rc = 1;
	char **nargv, **app_argv;
	uint16_t pid, nports = 0;
	unsigned lcore, w, nmbufs;

	plt_log_init("pathlab-dpdk", PLT_LOG_INFO);

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			eal_argc = i;
			break;
		}
	for (int i = 1; i < eal_argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			pl_dpdk_usage(stdout);
			printf("\nEAL options (before `--`): the DPDK EAL documentation, or `dpdk-testpmd --help` (same EAL).\n");
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			plt_version("pathlab-dpdk", stdout);
			return 0;
		}
	/* our options first: every user error is reported before the EAL touches anything */
	if (pl_dpdk_check_eal_args(eal_argc, argv))
		return 2;
	app_argc = argc - eal_argc;
	app_argv = argv + eal_argc; /* argv[0] of this vector is "--" (or the end) */
	if (app_argc <= 0) {
		static char *none[] = { "pathlab-dpdk", NULL };

		app_argv = none;
		app_argc = 1;
	}
	ret = pl_dpdk_parse(app_argc, app_argv, &opts);
	if (ret)
		return ret > 0 ? 0 : 2;
	for (unsigned i = 0; i < opts.niface; i++) {
		if (!if_nametoindex(opts.iface[i])) {
			pr_warn("--iface %s: no such interface in this network namespace (ip link show; run inside its namespace with ip netns exec)\n",
				opts.iface[i]);
			return 2;
		}
		/* a program left by a killed run, before the PMD sees the interface */
		if (pl_dpdk_xdp_clear_stale(opts.iface[i]))
			return 1;
		pl_dpdk_warn_jumbo(opts.iface[i], opts.hybrid);
	}
	if (opts.policy && pl_policy_parse_file(opts.policy, &pol, &perr)) {
		pr_warn("--policy: %s\n", perr.msg);
		return 2;
	}
	if (!pl_dpdk_hugepages_ok(eal_argc, argv))
		goto free_policy;
	/* before the EAL's threads: the object checked, a mount namespace for
	 * the tables configured before attach (pl_dpdk_hybrid.c) */
	if (opts.hybrid && pl_dpdk_hybrid_init())
		goto free_policy;
	nargv = pl_dpdk_eal_argv(eal_argc, argv, &nargc);
	if (!nargv) {
		pr_warn("out of memory\n");
		goto free_policy;
	}
	/* from here a signal only sets the flag: set-up completes, then
	 * everything is torn down as after a normal run */
	signal(SIGINT, pl_dpdk_signal);
	signal(SIGTERM, pl_dpdk_signal);
	ret = rte_eal_init(nargc, nargv);
	if (ret < 0) {
		pr_warn("EAL initialisation failed: %s (see the EAL messages above; docs/dpdk.md)\n",
			rte_strerror(rte_errno));
		goto free_policy;
	}
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());

	/* ports: every ethdev; taps named by --pass-tap are exception ports */
	RTE_ETH_FOREACH_DEV(pid) {
		struct pl_dpdk_port *p = &ports[pid];

		rte_eth_dev_get_name_by_port(pid, p->name);
		p->tap = -1;
		p->used = strncmp(p->name, "net_tap_pl", 10) != 0;
		pl_dpdk_port_iface(pid);
		if (!p->ifindex)
			p->ifindex = PL_PORTS_MAX - 1 - pid; /* a key no kernel interface has here */
		if (p->used)
			nports++;
		if (npoll < PL_DPDK_PORTS_MAX)
			poll_pid[npoll++] = pid;
	}
	RTE_ETH_FOREACH_DEV(pid) {
		if (!strncmp(ports[pid].name, "net_tap_pl", 10)) {
			unsigned idx = (unsigned)atoi(ports[pid].name + 10), k = 0;
			uint16_t d;

			RTE_ETH_FOREACH_DEV(d) {
				if (ports[d].used && k++ == idx) {
					ports[d].tap = pid;
					ports[pid].tap = d;
				}
			}
		}
	}
	for (unsigned i = 0; i < opts.niface; i++) {
		bool found = false;

		RTE_ETH_FOREACH_DEV(pid)
			found |= !strcmp(ports[pid].iface, opts.iface[i]);
		if (!found) {
			pr_warn("--iface %s: net_af_xdp could not open it (the PMD's message above says why; more --queues than the interface's channels? ethtool -l %s)\n",
				opts.iface[i], opts.iface[i]);
			goto cleanup_eal;
		}
	}
	if (!nports) {
		pr_warn("no ports: give --iface IF (net_af_xdp), a --vdev before `--`, or bind a NIC to vfio-pci (docs/dpdk.md)\n");
		goto cleanup_eal;
	}
	if (opts.replay && nports != 1) {
		pr_warn("--replay needs exactly one port (net_pcap0,rx_pcap=IN,tx_pcap=OUT), %u given\n", nports);
		goto cleanup_eal;
	}
	nworkers = opts.queues;
	if (rte_lcore_count() > 1 && rte_lcore_count() - 1 < nworkers) {
		pr_warn("--queues %u needs %u worker lcores plus the main one (-l with %u cores)\n",
			nworkers, nworkers, nworkers + 1);
		goto cleanup_eal;
	}
	if (rte_lcore_count() == 1 && nworkers > 1) {
		pr_warn("--queues %u needs more lcores: -l with %u cores\n", nworkers, nworkers + 1);
		goto cleanup_eal;
	}
	/* --replay: one frame at a time, each in one mbuf whose data room
	 * holds the contract's longest frame (9216 bytes). */
	/* per port and queue: the PMD's fill ring (net_af_xdp: up to 4096,
	 * the rx ring's frames among them), a tx ring and its completions */
	{
		unsigned rxd = opts.rx_desc ? opts.rx_desc : 2048, txd = opts.tx_desc ? opts.tx_desc : rxd;

		nmbufs = opts.replay ? 4096 : (RTE_MAX(4096u, 2 * rxd) + 2 * txd) * nports * nworkers + 4096;
	}
	pool = rte_pktmbuf_pool_create("pl_mbufs", nmbufs, 256, 0,
				       opts.replay ? PLT_REPLAY_BUF_SIZE
						   : RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (!pool) {
		pr_warn("mbuf pool: %s (more hugepages: dpdk_app/hugepages.sh reserve 1024)\n",
			rte_strerror(rte_errno));
		goto cleanup_eal;
	}
	ret = pl_core_init(nworkers);
	if (ret) {
		pr_warn("core init: %s\n", strerror(-ret));
		goto cleanup_eal;
	}
	uctl = pl_ctl_open_user();
	if (!uctl) {
		pr_warn("ctl: %s\n", strerror(errno));
		goto fini_core;
	}
	if (pol) {
		ret = pl_policy_apply(uctl, pol, opts.replay ? NULL : pl_dpdk_resolve, NULL, &perr);
		if (ret) {
			pr_warn("--policy: %s\n", perr.msg[0] ? perr.msg : strerror(-ret));
			goto close_ctl;
		}
	}
	if (opts.sample_out && pl_dpdk_sample_start())
		goto close_ctl;
	for (w = 0; w < nworkers; w++) {
		RTE_ETH_FOREACH_DEV(pid) {
			txb[w][pid] = rte_zmalloc_socket("pl_txb", RTE_ETH_TX_BUFFER_SIZE(PL_DPDK_TX_BUF), 0,
							 rte_eth_dev_socket_id(pid));
			if (!txb[w][pid]) {
				pr_warn("out of memory for TX buffers\n");
				goto free_txb;
			}
			rte_eth_tx_buffer_init(txb[w][pid], PL_DPDK_TX_BUF);
			rte_eth_tx_buffer_set_err_callback(txb[w][pid], pl_dpdk_tx_lost, &wstats[w]);
		}
	}
	/* --hybrid: each port's tables are configured before net_af_xdp loads
	 * and attaches the program (at its first rx queue's set-up) */
	RTE_ETH_FOREACH_DEV(pid) {
		bool hybrid = opts.hybrid && ports[pid].iface[0];

		if (hybrid && pl_dpdk_hybrid_prepare(pid, pol))
			goto stop_ports;
		if (pl_dpdk_port_start(pid, (uint16_t)nworkers, pool)) {
			pl_dpdk_hybrid_unmount();
			goto stop_ports;
		}
		if (hybrid && pl_dpdk_hybrid_attach(pid))
			goto stop_ports;
	}
	pl_dpdk_stats_find_xsks();
	rte_telemetry_register_cmd("/pathlab/stats", pl_dpdk_stats_tel,
				   "pathlab verdict counters (frames seen, per verdict)");
	rte_telemetry_register_cmd("/pathlab/counters", pl_dpdk_stats_tel,
				   "every pathlab counter plus the application's own");
	if (opts.hybrid)
		rte_telemetry_register_cmd("/pathlab/xdp", pl_dpdk_stats_tel_xdp,
					   "--hybrid: the kernel programs' counters, all ports");
	if (!opts.replay && pl_dpdk_ctl_start(opts.hybrid ? "dpdk-hybrid" : "dpdk"))
		goto stop_ports;
	if (opts.metrics && pl_metrics_serve(opts.metrics, opts.hybrid ? "dpdk-hybrid" : "dpdk",
					 opts.replay ? pl_dpdk_stats_metrics_read : plt_ctl_target_metrics_read,
					 opts.replay ? NULL : &ctl_target, &msrv, &perr)) {
		pr_warn("--metrics: %s\n", perr.msg);
		goto stop_ports;
	}
	if (!opts.replay)
		plt_ctl_target_metrics(&ctl_target, msrv, 10);
	if (msrv && !opts.replay)
		pl_metrics_set_extra(msrv, pl_dpdk_stats_metrics_extra, NULL);
	if (msrv)
		pr_info("metrics on http://%s/metrics (port %u)\n", opts.metrics, pl_metrics_port(msrv));
	if (pol) {
		char sum[256];

		pl_policy_summary(pol, sum, sizeof(sum));
		pr_info("policy %s: %s\n", opts.policy, sum);
	}
	pr_info("%u port(s), %u queue(s) each, %u lcore(s); stats every %gs\n", nports, nworkers,
		rte_lcore_count(), opts.interval);

	if (opts.replay) {
		rc = pl_dpdk_replay_run(0) ? 1 : 0;
		goto stop_metrics;
	}
	w = 0;
	if (rte_lcore_count() == 1) {
		pl_dpdk_worker((void *)0);
	} else {
		RTE_LCORE_FOREACH_WORKER(lcore) {
			if (w < nworkers)
				rte_eal_remote_launch(pl_dpdk_worker, (void *)(uintptr_t)w++, lcore);
		}
		/* main lcore: stats only */
		{
			uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), last = start;
			struct pl_counters prev = { 0 };

			while (!pl_quit) {
				uint64_t now;

				rte_delay_us_sleep(10000);
				now = rte_rdtsc();
				if (opts.interval > 0 && now - last >= opts.interval * hz) {
					pl_dpdk_stats_print((double)(now - start) / hz, (double)(now - last) / hz, &prev);
					last = now;
				}
				if (opts.duration > 0 && (double)(now - start) / hz >= opts.duration)
					pl_quit = true;
			}
		}
		rte_eal_mp_wait_lcore();
	}
	rc = 0;
	{
		struct pl_counters c;
		uint64_t sent = 0, lost = 0, cyc = 0, pk = 0, ccyc = 0, yields = 0;

		for (w = 0; w < nworkers; w++) {
			sent += wstats[w].c[PL_DPDK_C_tx_sent];
			lost += wstats[w].c[PL_DPDK_C_tx_lost];
			cyc += wstats[w].proc_cycles;
			ccyc += wstats[w].core_cycles;
			pk += wstats[w].proc_pkts;
			yields += wstats[w].yields;
		}
		/* per-frame cost of processing a received burst (core + verdict
		 * handling + TX buffering, not the rx/tx syscalls of the PMD) */
		printf("[dpdk] process ns/packet=%.1f core ns/packet=%.1f over %" PRIu64 " frames (TSC %" PRIu64
		       " Hz) idle_yields=%" PRIu64 "\n",
		       pk ? (double)cyc * 1e9 / (double)rte_get_tsc_hz() / (double)pk : 0.0,
		       pk ? (double)ccyc * 1e9 / (double)rte_get_tsc_hz() / (double)pk : 0.0, pk,
		       rte_get_tsc_hz(), yields);
		if (!pl_ctl_read_counters(uctl, &c))
			printf("[dpdk] total rx=%llu drop=%llu pass=%llu tx=%llu redirect=%llu user=%llu aborted=%llu sent=%" PRIu64 " tx_lost=%" PRIu64 "\n",
			       (unsigned long long)c.c[PL_CNT_RX_PACKETS], (unsigned long long)c.c[PL_CNT_V_DROP],
			       (unsigned long long)c.c[PL_CNT_V_PASS], (unsigned long long)c.c[PL_CNT_V_TX],
			       (unsigned long long)c.c[PL_CNT_V_REDIRECT], (unsigned long long)c.c[PL_CNT_V_USER],
			       (unsigned long long)c.c[PL_CNT_V_ABORTED], sent, lost);
		pl_dpdk_stats_print_xsks();
		fflush(stdout);
	}
stop_metrics:
	pl_metrics_stop(msrv);
stop_ports:
	plt_ctlsock_stop(ctl_sock);
	ctl_sock = NULL;
	plt_ctl_target_fini(&ctl_target);
	pl_dpdk_ports_close();
	for (pid = 0; pid < PL_DPDK_PORTS_MAX; pid++)
		pl_ctl_close(kctl[pid]);
free_txb:
	for (w = 0; w < nworkers; w++)
		for (pid = 0; pid < PL_DPDK_PORTS_MAX; pid++)
			rte_free(txb[w][pid]);
	if (opts.sample_out && pl_dpdk_sample_stop())
		rc = 1;
close_ctl:
	pl_ctl_close(uctl);
	uctl = NULL;
fini_core:
	pl_core_fini();
cleanup_eal:
	rte_eal_cleanup();
	pl_dpdk_rundir_remove(rundir);
free_policy:
	pl_policy_free(pol);
	return rc;
}
