// SPDX-License-Identifier: MIT
/* The pre-filter in front of an Open vSwitch afxdp port.
 *
 * OVS 3.1 removes any XDP program when it adds a type=afxdp port and loads
 * its own (libxdp's xsk_def_prog: redirect to the socket of the receiving
 * queue through an XSKMAP). plo_attach loads the core with its xsks_map
 * reusing that very XSKMAP (found by map id among the program's maps) and
 * pl_pass_to_xsk set, so PASS and USER reach OVS's socket while DROP, TX
 * and REDIRECT happen in XDP, then swaps the programs in one netlink call
 * (XDP_FLAGS_REPLACE with OVS's program as the expected old one: if OVS
 * changed it meanwhile, nothing is replaced). The core's other maps are
 * pinned under PLT_PIN_ROOT/ovs-IFACE/ with OVS's program (ovs_prog, kept
 * for detach). When OVS reconfigures the port it loads a new program and
 * map: attach again (or watch) loads the core anew reusing the pinned maps
 * (policy and counters survive) and OVS's new XSKMAP. plo_watch does that
 * as soon as the kernel notifies a change of the interface's XDP program
 * (RTM_NEWLINK with IFLA_XDP on a NETLINK_ROUTE socket), not by polling. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_policy.h"
#include "plt_time.h"
#include "plt_xdp.h"
#include "plo_prefilter.h"

/* PLT_PIN_ROOT/ovs-IFACE[/file]. */
static void plo_pin_path(char *buf, size_t len, const char *ifname, const char *file)
{
	snprintf(buf, len, PLT_PIN_ROOT "/ovs-%s%s%s", ifname, file ? "/" : "", file ? file : "");
}

int plo_pinned(const char *ifname)
{
	char path[PATH_MAX];

	plo_pin_path(path, sizeof(path), ifname, "ovs_prog");
	return !access(path, F_OK);
}

/* Remove PLT_PIN_ROOT/ovs-IFACE and what is in it (and PLT_PIN_ROOT if then empty). */
static void plo_pins_remove(const char *ifname)
{
	char dir[PATH_MAX];

	plo_pin_path(dir, sizeof(dir), ifname, NULL);
	plt_pin_dir_remove(dir);
	rmdir(PLT_PIN_ROOT); /* when nothing else is pinned there */
}

/* Load a policy into the program attached as prog_id. */
static int plo_policy_into(__u32 prog_id, const char *policy)
{
	struct pl_ctl *c = pl_ctl_open_bpf_prog(prog_id);
	struct plt_tx_ports tp = { .ctl = c };
	int err;

	if (!c) {
		err = -errno;
		pr_warn("cannot open the maps of program %u: %s\n", prog_id, strerror(errno));
		return err;
	}
	err = plt_policy_load(c, policy, plt_tx_ports_resolve, &tp);
	pl_ctl_close(c);
	return err;
}

/* An fd of the XSKMAP among the maps of program prog_fd (*map_id set), or
 * -ENOENT. */
static int plo_prog_xskmap(int prog_fd, __u32 *map_id)
{
	struct bpf_map_info mi;
	int fd = pl_ctl_bpf_prog_map_by_type(prog_fd, BPF_MAP_TYPE_XSKMAP, &mi);

	if (fd >= 0)
		*map_id = mi.id;
	return fd;
}

/* Serialise attach / watch / detach (a watch and a manual re-apply racing
 * each other): an flock on the pin root directory, so nothing is left
 * behind. Returns the lock fd (close to release) or -1 when no lock could
 * be taken (then go on unlocked). */
static int plo_lock(void)
{
	struct pl_err perr;
	int fd;

	if (pl_ctl_bpf_pin_dir(PLT_PIN_ROOT, &perr))
		return -1; /* attach refuses it with the reason */
	fd = open(PLT_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Release plo_lock's lock (fd may be -1). */
static void plo_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* What is on ifname, waiting while OVS reconfigures the port (no program
 * for a moment, then its new one); -errno after saying what is wrong. */
static int plo_query(const char *ifname, int idx, struct plt_xdp_info *a)
{
	int err = plt_xdp_query(idx, a);

	for (int i = 0; i < 50 && err == -ENOENT && plo_pinned(ifname); i++) {
		usleep(100000);
		err = plt_xdp_query(idx, a);
	}
	if (err == -ENOENT)
		pr_warn("no XDP program on %s: it is not an Open vSwitch afxdp port (add it first: "
			"`pl-ovs add-port %s`, or `ovs-vsctl add-port BR %s -- set interface %s type=afxdp`)\n",
			ifname, ifname, ifname, ifname);
	else if (err)
		pr_warn("cannot query XDP on %s: %s%s\n", ifname, strerror(-err),
			err == -EPERM ? " (run as root)" : "");
	return err;
}

/* Load the core sharing OVS's XSKMAP, pin, swap; see plo_attach. */
static int plo_attach_locked(const char *ifname, const char *obj, const char *policy, int *reapplied)
{
	static const char *const no_share[] = { "xsks_map", NULL };
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int idx = plt_ifindex(ifname), ovs_fd = -1, xsk_fd = -1, err, fresh;
	struct pl_ctl *ctl = NULL;
	struct plt_xdp_info a;
	struct plt_bpf b = { 0 };
	struct pl_err perr;
	__u32 xsk_id = 0;

	*reapplied = 0;
	if (!idx)
		return -ENODEV;
	err = plo_query(ifname, idx, &a);
	if (err)
		return err;
	if (!strcmp(a.name, PLT_CORE_PROG)) {
		if (!plo_pinned(ifname)) {
			pr_warn("%s has pathlab's program attached, but not by attach-ovs with this bpffs (pathlab-xdp "
				"run/attach, or attach-ovs under a bpffs that is gone, e.g. an earlier `ip netns exec`): "
				"`pathlab-xdp detach %s` first, or remove and add the port in OVS\n", ifname, ifname);
			return -EEXIST;
		}
		err = policy ? plo_policy_into(a.prog_id, policy) : 0;
		return err ? err : 1;
	}
	if (strcmp(a.name, PLO_OVS_PROG)) {
		pr_warn("the XDP program on %s is '%s' (id %u), not Open vSwitch's %s: is %s an OVS afxdp port "
			"(`ovs-vsctl list interface %s`)? Nothing attached.\n",
			ifname, a.name, a.prog_id, PLO_OVS_PROG, ifname, ifname);
		return -EINVAL;
	}
	if (plt_bpffs_check())
		return -ENOENT;
	ovs_fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (ovs_fd < 0) {
		err = -errno;
		pr_warn("cannot open OVS's program %u on %s: %s\n", a.prog_id, ifname, strerror(-err));
		return err;
	}
	xsk_fd = plo_prog_xskmap(ovs_fd, &xsk_id);
	if (xsk_fd < 0) {
		err = xsk_fd;
		pr_warn("OVS's program %u on %s has no XSKMAP (%s): not the AF_XDP program expected\n",
			a.prog_id, ifname, strerror(-err));
		goto out;
	}
	/* The core's maps: the pinned ones of an earlier attach, OVS's XSKMAP. */
	plo_pin_path(dir, sizeof(dir), ifname, NULL);
	err = plt_bpf_load(&b, &(struct plt_bpf_opts){
		.path = obj,
		.prog = PLT_CORE_PROG,
		.rodata = (const struct plt_bpf_rodata[]){ { "pl_pass_to_xsk", 1 } },
		.nrodata = 1,
		.reuse = (const struct plt_bpf_reuse[]){ { "xsks_map", xsk_fd } },
		.nreuse = 1,
		.pin_dir = dir,
		.no_share = no_share,
	});
	if (err)
		goto out;
	fresh = !b.reused_pins;
	ctl = pl_ctl_open_bpf_obj(b.obj);
	if (!ctl) {
		err = -errno;
		pr_warn("cannot reach the maps of %s: %s\n", obj, strerror(-err));
		goto out;
	}
	if (fresh) {
		err = pl_ctl_init_config(ctl);
		if (err) {
			pr_warn("cannot write pl_config: %s\n", strerror(-err));
			goto out;
		}
	}
	if (policy) {
		struct plt_tx_ports tp = { .ctl = ctl };

		err = plt_policy_load(ctl, policy, plt_tx_ports_resolve, &tp);
		if (err)
			goto out;
	}
	/* Pins: the core's maps (first time) and OVS's current program, only
	 * in directories no other user controls. */
	if ((err = pl_ctl_bpf_pin_dir(PLT_PIN_ROOT, &perr)) || (err = pl_ctl_bpf_pin_dir(dir, &perr))) {
		pr_warn("%s\n", perr.msg);
		goto out;
	}
	if (fresh) {
		err = plt_bpf_pin_maps(&b, dir, no_share);
		if (err)
			goto err_unpin;
	}
	snprintf(path, sizeof(path), "%s/ovs_prog", dir);
	unlink(path);
	if (bpf_obj_pin(ovs_fd, path)) {
		err = -errno;
		pr_warn("cannot pin %s: %s\n", path, strerror(-err));
		goto err_unpin;
	}
	/* The swap: only if OVS's program is still the one attached. */
	err = plt_xdp_replace(idx, bpf_program__fd(b.prog), ovs_fd, a.attach_mode);
	if (err) {
		pr_warn("cannot replace OVS's program %u on %s: %s%s\n", a.prog_id, ifname, strerror(-err),
			err == -EEXIST ? " (OVS replaced it meanwhile: try again)" : "");
		goto err_unpin;
	}
	*reapplied = !fresh;
	printf("%s: pathlab (id %u) in front of Open vSwitch: replaced %s id %u (%s mode), sharing its "
	       "XSKMAP id %u; DROP/TX/REDIRECT in XDP, PASS and USER to OVS's socket%s\n",
	       ifname, plt_bpf_prog_id(bpf_program__fd(b.prog)), PLO_OVS_PROG, a.prog_id,
	       plt_xdp_attached_name(a.attach_mode), xsk_id,
	       fresh ? "" : " (pinned maps reused: policy and counters kept)");
	err = 0;
	goto out;

err_unpin:
	if (fresh)
		plo_pins_remove(ifname);
out:
	pl_ctl_close(ctl);
	plt_bpf_close(&b); /* the attachment holds the program, the pins the maps */
	if (xsk_fd >= 0)
		close(xsk_fd);
	if (ovs_fd >= 0)
		close(ovs_fd);
	return err;
}

int plo_attach(const char *ifname, const char *obj, const char *policy, int *reapplied)
{
	int lk = plo_lock(), err;

	err = plo_attach_locked(ifname, obj, policy, reapplied);
	plo_unlock(lk);
	return err;
}

/* Put OVS's pinned program back if the core is still attached, remove the pins. */
static int plo_detach_locked(const char *ifname, int idx)
{
	char path[PATH_MAX];
	struct plt_xdp_info a;
	int ovs_fd, cur_fd, err;

	err = plt_xdp_query(idx, &a);
	if (err == -ENOENT || (!err && strcmp(a.name, PLT_CORE_PROG))) {
		plo_pins_remove(ifname);
		printf("%s: the pre-filter was not attached any more (%s); pins removed\n", ifname,
		       err ? "no XDP program" : a.name);
		return 0;
	}
	if (err) {
		pr_warn("cannot query XDP on %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	plo_pin_path(path, sizeof(path), ifname, "ovs_prog");
	ovs_fd = bpf_obj_get(path);
	cur_fd = bpf_prog_get_fd_by_id(a.prog_id);
	if (ovs_fd < 0 || cur_fd < 0) {
		pr_warn("cannot open %s: %s\n", ovs_fd < 0 ? path : "the attached program", strerror(errno));
		if (ovs_fd >= 0)
			close(ovs_fd);
		if (cur_fd >= 0)
			close(cur_fd);
		return 1;
	}
	err = plt_xdp_replace(idx, ovs_fd, cur_fd, a.attach_mode);
	close(cur_fd);
	close(ovs_fd);
	if (err) {
		pr_warn("cannot put OVS's program back on %s: %s (remove the port from OVS and add it again)\n",
			ifname, strerror(-err));
		return 1;
	}
	plo_pins_remove(ifname);
	printf("%s: pre-filter detached, Open vSwitch's own program is back\n", ifname);
	return 0;
}

int plo_detach(const char *ifname, int ifindex)
{
	int lk = plo_lock(), err;

	err = plo_detach_locked(ifname, ifindex);
	plo_unlock(lk);
	return err;
}

/* A NETLINK_ROUTE socket subscribed to link notifications (RTMGRP_LINK):
 * the kernel sends RTM_NEWLINK, with IFLA_XDP, whenever an XDP program is
 * attached to or removed from an interface through netlink (as libxdp,
 * OVS and plt_xdp_replace do). -errno on failure. */
static int plo_nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	int err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The program id in an IFLA_XDP attribute (0: none attached). */
static __u32 plo_nl_xdp_prog(struct rtattr *xdp)
{
	int len = RTA_PAYLOAD(xdp);

	for (struct rtattr *a = RTA_DATA(xdp); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_XDP_PROG_ID && RTA_PAYLOAD(a) >= sizeof(__u32))
			return *(__u32 *)RTA_DATA(a);
	return 0;
}

/* Drain the socket: *prog_id is the XDP program id of the last notification
 * about ifindex (left alone when none came). 1 when the socket overflowed
 * (notifications were lost: the caller asks the kernel), 0, or -errno. */
static int plo_nl_drain(int fd, int ifindex, __u32 *prog_id)
{
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int lost = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return lost;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = 1;
				continue;
			}
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			int len;

			if (h->nlmsg_type != RTM_NEWLINK || ifi->ifi_index != ifindex)
				continue;
			len = IFLA_PAYLOAD(h);
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if ((a->rta_type & ~NLA_F_NESTED) == IFLA_XDP)
					*prog_id = plo_nl_xdp_prog(a);
		}
	}
}

/* What to do about the program now on ifname: re-apply in front of OVS's. */
static void plo_watch_check(const char *ifname, int idx, const char *obj, unsigned long event, int *bad)
{
	struct plt_xdp_info a;
	int err = plt_xdp_query(idx, &a), re;

	if (!err && !strcmp(a.name, PLO_OVS_PROG)) {
		double t0 = plt_now();

		pr_info("%s: event %lu: Open vSwitch attached its program (id %u): re-applying the pre-filter\n",
			ifname, event, a.prog_id);
		/* no policy: the pinned maps keep it */
		if (plo_attach(ifname, obj, NULL, &re) < 0)
			(*bad)++;
		else
			pr_info("%s: event %lu: re-applied in %.1f ms\n", ifname, event, (plt_now() - t0) * 1e3);
	} else if (err == -ENOENT) {
		pr_info("%s: event %lu: no XDP program (Open vSwitch is reconfiguring or removed the port)\n",
			ifname, event);
	}
	fflush(stdout);
	fflush(stderr);
}

/* The id of the program attached to idx now (0: none). */
static __u32 plo_prog_now(int idx)
{
	struct plt_xdp_info a;

	return plt_xdp_query(idx, &a) ? 0 : a.prog_id;
}

int plo_watch(const char *ifname, const char *obj, double duration)
{
	double t0 = plt_now();
	unsigned long events = 0;
	int idx, bad = 0, fd;
	__u32 last = 0;

	idx = plt_ifindex(ifname);
	if (!idx)
		return 1;
	if (!plo_pinned(ifname)) {
		pr_warn("%s: no pre-filter to watch (attach it first: `pathlab-xdp attach-ovs %s --policy FILE`)\n",
			ifname, ifname);
		return 1;
	}
	fd = plo_nl_open();
	if (fd < 0) {
		pr_warn("cannot listen to link notifications (netlink): %s\n", strerror(-fd));
		return 1;
	}
	plt_stop_on_signals();
	printf("%s: watching the interface's XDP change notifications (netlink) for Open vSwitch reloading "
	       "its program\n", ifname);
	fflush(stdout);
	/* subscribed first, then looked: a change in between is in the socket */
	plo_watch_check(ifname, idx, obj, 0, &bad);
	last = plo_prog_now(idx);
	while (!plt_stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = -1, r;
		__u32 id = last;

		if (duration > 0) {
			double left = t0 + duration - plt_now();

			if (left <= 0)
				break;
			ms = (int)(left * 1e3) + 1;
		}
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno != EINTR) {
			pr_warn("poll: %s\n", strerror(errno));
			bad++;
			break;
		}
		if (r <= 0)
			continue;
		r = plo_nl_drain(fd, idx, &id);
		if (r < 0) {
			pr_warn("netlink: %s\n", strerror(-r));
			bad++;
			break;
		}
		if (r == 0 && id == last)
			continue; /* another interface, or nothing about XDP changed */
		events++;
		plo_watch_check(ifname, idx, obj, events, &bad);
		last = plo_prog_now(idx);
	}
	close(fd);
	return bad ? 1 : 0;
}
