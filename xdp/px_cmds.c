// SPDX-License-Identifier: MIT
/* pathlab-xdp's commands that attach or change the running core: run,
 * attach, mode, policy, stats, and the Open vSwitch pre-filter's. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/libbpf.h>
#include "plt_log.h"
#include "plt_time.h"
#include "plo_prefilter.h"
#include "px.h"

/* A veth drops a frame sent to it by XDP_TX or XDP_REDIRECT unless its peer
 * can receive XDP frames (an XDP program, GRO or threaded NAPI on the peer),
 * and nothing but its `xdp_tx_errors` statistic says so: the responder's
 * SYN-ACKs and reflected frames vanish (a redirect into it fails the same
 * way: xdp_xmit_errors). Watch that statistic on the veths
 * among ifnames and say once per interface what to do. */
struct px_txwatch {
	int n;
	char **ifnames;
	bool veth[PX_MAX_IFACES];
	bool warned[PX_MAX_IFACES];
	__u64 ok[PX_MAX_IFACES], err[PX_MAX_IFACES];
};

/* The interface's tx_dropped (where a veth counts redirected frames it
 * could not hand to its peer at all), or 0. */
static __u64 px_tx_dropped(const char *ifname)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", ifname);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Frames the veth handed to its peer (ok) and could not (err): XDP_TX
 * (xdp_tx, xdp_tx_errors) and redirects into it (xdp_xmit, and
 * xdp_xmit_errors, tx_dropped, or a failed redirect in rx_queue_N_drops). */
static int px_veth_tx_counts(const char *ifname, __u64 *ok, __u64 *err)
{
	__u64 v[6];
	static const char *const names[6] = { "xdp_tx", "xdp_xmit", "xdp_tx_errors", "xdp_xmit_errors", "drops",
					      "xdp_drops" };

	for (int i = 0; i < 6; i++)
		if (plt_if_stat_sum(ifname, names[i], &v[i]))
			return -1;
	*ok = v[0] + v[1];
	/* rx_queue_N_drops (= "drops" - "xdp_drops"): failed redirects, e.g.
	 * into this veth after its peer turned GRO off (the kernel then takes
	 * away its ndo_xdp_xmit) */
	*err = v[2] + v[3] + (v[4] - v[5]) + px_tx_dropped(ifname);
	return 0;
}

static void px_txwatch_init(struct px_txwatch *w, int n, char **ifnames)
{
	char drv[32];

	memset(w, 0, sizeof(*w));
	w->n = n < PX_MAX_IFACES ? n : PX_MAX_IFACES;
	w->ifnames = ifnames;
	for (int i = 0; i < w->n; i++) {
		plt_if_driver(ifnames[i], drv, sizeof(drv));
		w->veth[i] = !strcmp(drv, "veth") && !px_veth_tx_counts(ifnames[i], &w->ok[i], &w->err[i]);
	}
}

/* Frames failed and none went through since the last check (a second): the
 * peer has no receive path (a full ring under load fails only some). */
static void px_txwatch_check(struct px_txwatch *w)
{
	for (int i = 0; i < w->n; i++) {
		__u64 ok, err, ok0 = w->ok[i], err0 = w->err[i];

		if (!w->veth[i] || w->warned[i] || px_veth_tx_counts(w->ifnames[i], &ok, &err))
			continue;
		w->ok[i] = ok;
		w->err[i] = err;
		if (err <= err0 || ok != ok0)
			continue;
		w->warned[i] = true;
		pr_warn("%s: %llu frames the program sent out of it (TX: responder, reflect; or REDIRECT) were "
			"dropped by the veth: its peer cannot receive XDP frames. Give the peer a receive path, "
			"in the peer's namespace: `ethtool -K PEER gro on` (or an XDP program, or threaded NAPI) "
			"(ethtool -S %s: xdp_tx_errors, xdp_xmit_errors, rx_queue_N_drops; ip -s link: TX dropped)\n",
			w->ifnames[i], (unsigned long long)(err - err0), w->ifnames[i]);
	}
}

/* Print stats of c every interval until a signal or --duration; check the
 * veths among ifnames for dropped XDP_TX frames every second. */
static int px_stats_loop(struct pl_ctl *c, const struct px_opts *o, const char *label, int n,
			 char **ifnames)
{
	struct pl_counters prev, cur;
	double t0 = plt_now(), next = t0, tprev = t0;
	struct px_txwatch w;
	int err;

	err = pl_ctl_read_counters(c, &prev);
	if (err) {
		pr_warn("cannot read pl_counters: %s\n", strerror(-err));
		return err;
	}
	px_txwatch_init(&w, n, ifnames);
	while (!plt_stop) {
		double t;

		next += o->interval;
		if (o->duration > 0 && next > t0 + o->duration)
			next = t0 + o->duration;
		for (t = plt_now(); !plt_stop && t < next; t = plt_now()) {
			plt_sleep_until(t + 1.0 < next ? t + 1.0 : next);
			px_txwatch_check(&w);
		}
		t = plt_now();
		err = pl_ctl_read_counters(c, &cur);
		if (err) {
			pr_warn("cannot read pl_counters: %s (was the program detached?)\n", strerror(-err));
			return err;
		}
		if (t - tprev > 1e-3)
			pl_stats_print(stdout, label, t - t0, &prev, &cur, t - tprev, o->verbose || o->extended);
		fflush(stdout);
		prev = cur;
		tprev = t;
		if (o->duration > 0 && t >= t0 + o->duration - 1e-6)
			break;
	}
	return 0;
}

/* Start the metrics server if --metrics was given: the counters and tables
 * of c, labelled instance="xdp:IFACE" (the first interface), ifname (all of
 * them) and xdp_mode. */
static int px_metrics_start(const struct px_opts *o, struct pl_ctl *c, int n, char **ifnames,
			    const char *mode, struct pl_metrics_server **srv)
{
	struct pl_metrics_info info = { .instance = "" };
	struct pl_err err;

	*srv = NULL;
	if (!o->metrics)
		return 0;
	if (pl_metrics_serve(o->metrics, "xdp", pl_metrics_read_ctl, c, srv, &err)) {
		pr_warn("%s\n", err.msg);
		return -EINVAL;
	}
	snprintf(info.instance, sizeof(info.instance), "xdp:%s", ifnames[0]);
	for (int i = 0; i < n; i++)
		snprintf(info.ifname + strlen(info.ifname), sizeof(info.ifname) - strlen(info.ifname), "%s%s",
			 i ? "," : "", ifnames[i]);
	snprintf(info.xdp_mode, sizeof(info.xdp_mode), "%s", mode);
	pl_metrics_set_info(*srv, &info);
	pl_metrics_set_report(*srv, pl_metrics_report_ctl, c, 10);
	pr_info("metrics: GET /metrics on port %u (--metrics %s)\n", pl_metrics_port(*srv), o->metrics);
	return 0;
}

/* run IFACE...: attach (links not pinned), stats until stopped, detach. */
int px_cmd_run(void *opts, int n, char **ifnames)
{
	struct px_opts *o = opts;
	struct pl_metrics_server *srv;
	struct px_loaded l;
	int err;

	memset(&l, 0, sizeof(l));
	plt_stop_on_signals();
	if (px_load_and_attach(&l, o, n, ifnames))
		return 1;
	for (int i = 0; i < n; i++)
		printf("%s: attached in %s mode, port %d, program id %u\n", ifnames[i],
		       plt_xdp_mode_names[l.link[i].mode], i, plt_bpf_prog_id(bpf_program__fd(l.bpf.prog)));
	fflush(stdout);
	err = px_metrics_start(o, l.ctl, n, ifnames, plt_xdp_mode_names[l.link[0].mode], &srv);
	if (!err)
		err = px_stats_loop(l.ctl, o, "xdp", n, ifnames);
	pl_metrics_stop(srv);
	px_loaded_destroy(&l);
	printf("detached from %d interface%s\n", n, n == 1 ? "" : "s");
	return err ? 1 : 0;
}

/* attach IFACE...: attach and pin the links (they stay after exit). */
int px_cmd_attach(void *opts, int n, char **ifnames)
{
	struct px_opts *o = opts;
	struct px_loaded l;

	if (plt_bpffs_check())
		return 1;
	memset(&l, 0, sizeof(l));
	if (px_load_and_attach(&l, o, n, ifnames))
		return 1;
	for (int i = 0; i < n; i++) {
		if (px_pins_create(&l, i)) {
			for (int j = 0; j <= i; j++)
				px_pins_remove(ifnames[j]);
			px_loaded_destroy(&l);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		printf("%s: attached in %s mode, port %d, pinned at " PLT_PIN_ROOT "/%s\n", ifnames[i],
		       plt_xdp_mode_names[l.link[i].mode], i, ifnames[i]);
		plt_xdp_release(&l.link[i]); /* the pin holds it now */
	}
	pl_ctl_close(l.ctl);
	plt_bpf_close(&l.bpf);
	return 0;
}

/* mode IFACE MODE: flip the switch of the running program. */
int px_cmd_mode(void *opts, int n, char **args)
{
	struct plt_xdp_info a;
	struct pl_ctl *c;
	int m = pl_mode_parse(args[1]), err, lock;

	(void)opts;
	(void)n;
	if (m < 0) {
		pr_warn("unknown mode '%s' (pass-all, drop-all, count-only, policy)\n", args[1]);
		return 2;
	}
	c = plt_xdp_open_core(args[0], &a);
	if (!c)
		return 1;
	lock = plt_xdp_writer_lock();
	err = pl_ctl_set_mode(c, m);
	plt_xdp_writer_unlock(lock);
	pl_ctl_close(c);
	if (err) {
		pr_warn("cannot set the mode of program %u: %s\n", a.prog_id, strerror(-err));
		return 1;
	}
	printf("%s: mode %s\n", args[0], pl_mode_name(m));
	return 0;
}

/* policy IFACE FILE: reload the policy live. */
int px_cmd_policy(void *opts, int n, char **args)
{
	struct plt_xdp_info a;
	struct pl_ctl *c;
	int err, lock;

	(void)opts;
	(void)n;
	c = plt_xdp_open_core(args[0], &a);
	if (!c)
		return 1;
	lock = plt_xdp_writer_lock();
	err = px_policy_load(c, args[1]);
	plt_xdp_writer_unlock(lock);
	pl_ctl_close(c);
	if (!err)
		printf("%s: policy %s loaded into program %u\n", args[0], args[1], a.prog_id);
	return err ? 1 : 0;
}

/* stats IFACE: live stats of the attached program. */
int px_cmd_stats(void *opts, int n, char **args)
{
	struct px_opts *o = opts;
	struct pl_metrics_server *srv;
	struct plt_xdp_info a;
	struct pl_ctl *c;
	int err;

	(void)n;
	c = plt_xdp_open_core(args[0], &a);
	if (!c)
		return 1;
	plt_stop_on_signals();
	err = px_metrics_start(o, c, 1, args, plt_xdp_attached_name(a.attach_mode), &srv);
	if (!err)
		err = px_stats_loop(c, o, "xdp", 1, args);
	pl_metrics_stop(srv);
	pl_ctl_close(c);
	return err ? 1 : 0;
}

/* attach-ovs IFACE: put the core in front of OVS's afxdp port (or load the
 * policy into the one in front; ovs/plo_prefilter.c). */
int px_cmd_attach_ovs(void *opts, int n, char **args)
{
	struct px_opts *o = opts;
	int err, re;

	(void)n;
	err = plo_attach(args[0], px_obj_path(o), o->policy, &re);
	if (err == 1) {
		printf("%s: pathlab already in front of Open vSwitch%s%s\n", args[0],
		       o->policy ? ", policy loaded: " : "", o->policy ? o->policy : "");
		return 0;
	}
	return err ? 1 : 0;
}
