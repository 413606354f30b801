// SPDX-License-Identifier: MIT
/* pathlab-xdp's commands that look at or remove what is attached: status
 * and detach. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/bpf.h>
#include "plt_log.h"
#include "plo_prefilter.h"
#include "px.h"

/* detach IFACE: the pinned link, else a netlink attachment. A link held
 * by a running `run` is left to that process. */
int px_cmd_detach(void *opts, int n, char **ifnames)
{
	char path[PATH_MAX];
	struct plt_xdp_info a;
	int idx, err;

	(void)opts;
	(void)n;
	idx = plt_ifindex(ifnames[0]);
	if (!idx)
		return 1;
	if (plo_pinned(ifnames[0]))
		return plo_detach(ifnames[0], idx);
	snprintf(path, sizeof(path), PLT_PIN_ROOT "/%s/link", ifnames[0]);
	err = plt_xdp_detach_pinned(path);
	if (err != -ENOENT) {
		if (err) {
			pr_warn("cannot detach the link pinned at %s: %s\n", path, strerror(-err));
			return 1;
		}
		px_pins_remove(ifnames[0]);
		printf("%s: detached (pinned link removed)\n", ifnames[0]);
		return 0;
	}
	err = plt_xdp_query(idx, &a);
	if (err == -ENOENT) {
		px_pins_remove(ifnames[0]);
		printf("%s: nothing attached\n", ifnames[0]);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifnames[0], strerror(-err));
		return 1;
	}
	if (a.link_id) {
		pr_warn("%s: program %u is held by link %u that is not pinned here (a running `pathlab-xdp run`, "
			"or another tool): stop that process (SIGINT) instead\n",
			ifnames[0], a.prog_id, a.link_id);
		return 1;
	}
	err = plt_xdp_detach_if_ours(idx, a.prog_id);
	if (err) {
		pr_warn("cannot detach program %u from %s: %s\n", a.prog_id, ifnames[0], strerror(-err));
		return 1;
	}
	printf("%s: detached program %u ('%s', attached over netlink)\n", ifnames[0], a.prog_id, a.name);
	return 0;
}

/* How the program on ifname is held, for status. */
static const char *px_how(const char *ifname, const struct plt_xdp_info *a, const char *pin)
{
	if (plo_pinned(ifname))
		return plt_xdp_is_core(a)
			       ? "in front of Open vSwitch's AF_XDP sockets (attach-ovs, a pinned bpf_link OVS cannot "
				 "detach: its sockets are bound into the core's xsks_map)"
			       : "Open vSwitch reloaded its own program: the pre-filter is NOT in "
				 "front any more (re-apply: `pathlab-xdp attach-ovs IFACE`)";
	if (!a->link_id)
		return "attached over netlink";
	if (!access(pin, F_OK))
		return "link pinned (pathlab-xdp attach)";
	if (!plt_bpffs_mounted())
		return "link (no bpffs at /sys/fs/bpf here: cannot tell whether it is pinned)";
	return "link held by a process (pathlab-xdp run)";
}

/* Where the core ran: the verdict counters of each CPU that saw frames. */
static void px_status_per_cpu(struct pl_ctl *c)
{
	size_t stride = PL_CTL_PERCPU_STRIDE(sizeof(struct pl_counters));
	unsigned n = pl_ctl_ncopies(c);
	__u32 zero = 0;
	char *buf = calloc(n ? n : 1, stride);

	if (!buf || pl_ctl_lookup_percpu(c, "pl_counters", &zero, buf)) {
		free(buf);
		return;
	}
	for (unsigned cpu = 0; cpu < n; cpu++) {
		const struct pl_counters *k = (const void *)(buf + cpu * stride);

		if (!k->c[PL_CNT_RX_PACKETS])
			continue;
		printf("  cpu %u:", cpu);
		printf(" %s %llu", pl_counter_name(PL_CNT_RX_PACKETS), (unsigned long long)k->c[PL_CNT_RX_PACKETS]);
		for (int v = PL_CNT_V_DROP; v <= PL_CNT_V_ABORTED; v++)
			printf(" %s %llu", pl_counter_name(v), (unsigned long long)k->c[v]);
		printf("\n");
	}
	free(buf);
}

/* The CPUs of pl_cpumap (--spread), when any. */
static void px_status_spread(struct pl_ctl *c)
{
	struct bpf_cpumap_val v;
	struct pl_counters cnt;
	char cpus[1024] = "";
	__u32 qsize = 0;
	size_t len = 0;

	for (__u32 cpu = 0; cpu < PX_SPREAD_MAX && len < sizeof(cpus) - 8; cpu++) {
		if (pl_ctl_lookup(c, "pl_cpumap", &cpu, &v))
			continue;
		len += snprintf(cpus + len, sizeof(cpus) - len, "%s%u", len ? "," : "", cpu);
		qsize = v.qsize;
	}
	if (!len)
		return;
	printf("  spread over CPUs %s (cpumap, queue %u per CPU; the stages run there)\n", cpus, qsize);
	if (!pl_ctl_read_counters(c, &cnt)) {
		__u64 q = cnt.c[PL_CNT_SPREAD_QUEUED], rx = cnt.c[PL_CNT_RX_PACKETS];

		printf("  spread: queued %llu, lost in the cpumap queues %llu\n", (unsigned long long)q,
		       (unsigned long long)(q > rx ? q - rx : 0));
	}
	px_status_per_cpu(c);
}

/* The configuration, ports and counters of the pathlab program prog_id. */
static int px_status_core(__u32 prog_id, int verbose)
{
	struct pl_counters cnt;
	struct pl_config cfg;
	struct pl_ctl *c;
	int err;

	c = pl_ctl_open_bpf_prog(prog_id);
	if (!c) {
		err = -errno;
		pr_warn("cannot open the maps of program %u: %s\n", prog_id, strerror(errno));
		return err;
	}
	err = pl_ctl_get_config(c, &cfg);
	if (!err)
		err = pl_ctl_read_counters(c, &cnt);
	if (err) {
		pr_warn("cannot read pl_config/pl_counters of program %u: %s\n", prog_id, strerror(-err));
		pl_ctl_close(c);
		return err;
	}
	printf("  mode-switch %s, malformed %s, default %s, acl default %s, forward %s, steer %s\n",
	       pl_mode_name(cfg.mode), pl_verdict_name(cfg.malformed_verdict),
	       pl_verdict_name(cfg.default_verdict), pl_verdict_name(cfg.acl_default),
	       cfg.fwd_mode == PL_FWD_REFLECT ? "reflect" : cfg.fwd_mode == PL_FWD_REDIRECT ? "redirect" : "off",
	       cfg.steer_enabled ? "on" : "off");
	printf("  stages: ratelimit %s, synguard %s, responder %s, lb %s, sample %s\n", cfg.rl_enabled ? "on" : "off",
	       cfg.syn_enabled ? "on" : "off", cfg.resp_enabled ? "on" : "off", cfg.lb_enabled ? "on" : "off",
	       cfg.sample_enabled ? "on" : "off");
	for (__u32 p = 0; p < PL_PORTS_MAX; p++) {
		__u32 v;
		char nm[IF_NAMESIZE];

		if (!pl_ctl_lookup(c, "pl_tx_ports", &p, &v))
			printf("  port %u -> %s (ifindex %u)\n", p, if_indextoname(v, nm) ? nm : "?", v);
	}
	px_status_spread(c);
	for (int i = 0; i < PL_CNT__MAX; i++)
		if (cnt.c[i] || verbose || i <= PL_CNT_V_ABORTED)
			printf("  %-18s %llu\n", pl_counter_name(i), (unsigned long long)cnt.c[i]);
	pl_ctl_close(c);
	return 0;
}

/* Status of one interface; quiet: say nothing when nothing is attached. */
static int px_status_one(const char *ifname, int idx, int quiet, int verbose)
{
	char path[PATH_MAX], driver[64];
	struct plt_xdp_info a;
	int err = plt_xdp_query(idx, &a);

	if (err == -ENOENT) {
		if (!quiet)
			printf("%s: no XDP program\n", ifname);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return err;
	}
	plt_if_driver(ifname, driver, sizeof(driver));
	snprintf(path, sizeof(path), PLT_PIN_ROOT "/%s/link", ifname);
	printf("%s: driver %s, program '%s' id %u, %s mode, %s", ifname, driver, a.name, a.prog_id,
	       plt_xdp_attached_name(a.attach_mode), px_how(ifname, &a, path));
	if (a.link_id)
		printf(", link id %u", a.link_id);
	if (a.link_id && !access(path, F_OK))
		printf(", pin %s", path);
	printf("\n");
	if (!plt_xdp_is_core(&a))
		return 0;
	return px_status_core(a.prog_id, verbose);
}

/* status [IFACE]: one interface, or every interface with an XDP program. */
int px_cmd_status(void *opts, int n, char **ifnames)
{
	struct px_opts *o = opts;
	struct if_nameindex *all, *it;
	int bad = 0, shown = 0;

	if (n == 1) {
		int idx = plt_ifindex(ifnames[0]);

		return idx && !px_status_one(ifnames[0], idx, 0, o->verbose) ? 0 : 1;
	}
	all = if_nameindex();
	if (!all) {
		pr_warn("cannot list interfaces: %s\n", strerror(errno));
		return 1;
	}
	for (it = all; it->if_index; it++) {
		struct plt_xdp_info a;

		if (plt_xdp_query(it->if_index, &a))
			continue;
		shown++;
		if (px_status_one(it->if_name, it->if_index, 1, o->verbose))
			bad++;
	}
	if_freenameindex(all);
	if (!shown)
		printf("no XDP program on any interface of this network namespace\n");
	return bad ? 1 : 0;
}
