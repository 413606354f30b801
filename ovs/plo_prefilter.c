// SPDX-License-Identifier: MIT
/* The pre-filter in front of an Open vSwitch afxdp port.
 *
 * OVS 3.1 removes any XDP program when it adds a type=afxdp port and loads
 * its own (libxdp's xsk_def_prog: redirect to the socket of the receiving
 * queue through an XSKMAP). plo_attach loads the core's entry named like
 * that program (PLT_CORE_XSK_PROG) with its xsks_map reusing OVS's very
 * XSKMAP (found by map id among the program's maps) and pl_pass_to_xsk
 * set, so PASS and USER reach OVS's sockets while DROP, TX and REDIRECT
 * happen in XDP. It then takes OVS's program off (only if it is still the
 * one attached) and attaches the core with a bpf_link pinned under
 * PLT_PIN_ROOT/ovs-IFACE/, beside the core's other maps and OVS's program
 * (ovs_prog, kept for detach). From then on the core owns the hook: when
 * OVS reconfigures the port, its netlink detach fails (a link-held program
 * cannot be detached over netlink) and libxdp, creating the new sockets,
 * finds a program named xsk_def_prog with an xsks_map and binds them there:
 * no frame reaches OVS without the core. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include "pl_ctl_bpf.h"
#include "plt_bpf.h"
#include "plt_log.h"
#include "plt_policy.h"
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

/* XDP_ATTACHED_* -> the toolkit's mode. */
static enum plt_xdp_mode plo_mode(__u8 attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB ? PLT_XDP_GENERIC : PLT_XDP_NATIVE;
}

/* Take the hook from OVS: its netlink-attached program (ovs_fd) off, only if
 * it is still the one attached, and the core (prog_fd) on through a bpf_link
 * pinned at link_path. Between the two the interface has no program for a
 * moment: frames then go to the kernel stack, never to OVS's sockets. On
 * failure OVS's program is put back. 0 or -errno after saying why. */
static int plo_take_hook(const char *ifname, int idx, int prog_fd, int ovs_fd, __u8 attach_mode,
			 const char *link_path)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo, .old_prog_fd = ovs_fd);
	__u32 flags = plt_xdp_attached_flags(attach_mode);
	struct plt_xdp_link l;
	int err;

	if (bpf_xdp_detach(idx, flags | XDP_FLAGS_REPLACE, &xo)) {
		err = -errno;
		pr_warn("cannot take OVS's program off %s: %s%s\n", ifname, strerror(-err),
			err == -EEXIST ? " (OVS replaced it meanwhile: try again)" : "");
		return err;
	}
	err = plt_xdp_attach(&l, ifname, prog_fd, plo_mode(attach_mode));
	if (!err) {
		err = plt_xdp_link_pin(&l, link_path);
		if (err)
			plt_xdp_detach(&l);
		else
			plt_xdp_release(&l);
	}
	if (err && bpf_xdp_attach(idx, ovs_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL))
		pr_warn("and cannot put OVS's program back on %s (%s): remove the port from OVS and add it "
			"again\n", ifname, strerror(errno));
	return err;
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
	if (plt_xdp_is_core(&a)) {
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
		.prog = PLT_CORE_XSK_PROG,
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
	/* The hook: only if OVS's program is still the one attached. */
	snprintf(path, sizeof(path), "%s/link", dir);
	unlink(path);
	err = plo_take_hook(ifname, idx, bpf_program__fd(b.prog), ovs_fd, a.attach_mode, path);
	if (err)
		goto err_unpin;
	*reapplied = !fresh;
	printf("%s: pathlab (id %u) in front of Open vSwitch through a pinned bpf_link: replaced %s id %u "
	       "(%s mode), sharing its XSKMAP id %u, where libxdp binds OVS's sockets from now on; "
	       "DROP/TX/REDIRECT in XDP, PASS and USER to OVS's sockets%s\n",
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

/* Make OVS's pinned program (ovs_fd) pass frames to its sockets again.
 * libxdp's program returns XDP_PASS for everything while the reference
 * count in its .data (the first int, counting the sockets created with it)
 * is 0, and libxdp drops it to 0 when OVS deletes the last socket created
 * with that program, as OVS does when it reconfigures the port; the sockets
 * it then creates use the core, and count nowhere. Set it back to 1 (the
 * program is in use again); OVS detaches it itself when it next
 * reconfigures or removes the port. */
static void plo_ovs_prog_revive(int ovs_fd)
{
	struct bpf_map_info mi;
	int fd = pl_ctl_bpf_prog_map_by_type(ovs_fd, BPF_MAP_TYPE_ARRAY, &mi);
	__u32 zero = 0;
	char val[256];

	if (fd < 0)
		return;
	if (strstr(mi.name, ".data") && mi.value_size >= sizeof(int) && mi.value_size <= sizeof(val) &&
	    !bpf_map_lookup_elem(fd, &zero, val) && !*(int *)val) {
		*(int *)val = 1;
		if (bpf_map_update_elem(fd, &zero, val, BPF_ANY))
			pr_warn("cannot reset the socket count of OVS's program (%s): OVS's program passes every "
				"frame to the kernel until OVS reconfigures the port\n", strerror(errno));
	}
	close(fd);
}

/* Put OVS's pinned program back if the core is still attached, remove the pins. */
static int plo_detach_locked(const char *ifname, int idx)
{
	char path[PATH_MAX];
	struct plt_xdp_info a;
	int ovs_fd, cur_fd, err;

	err = plt_xdp_query(idx, &a);
	if (err == -ENOENT || (!err && !plt_xdp_is_core(&a))) {
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
	if (ovs_fd < 0) {
		pr_warn("cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (a.link_id) {
		/* the core's link off, then OVS's program on over netlink as OVS
		 * had it (a moment without program: frames go to the kernel) */
		plo_ovs_prog_revive(ovs_fd);
		plo_pin_path(path, sizeof(path), ifname, "link");
		err = plt_xdp_detach_pinned(path);
		if (!err)
			err = bpf_xdp_attach(idx, ovs_fd, plt_xdp_attached_flags(a.attach_mode) |
						       XDP_FLAGS_UPDATE_IF_NOEXIST, NULL) ? -errno : 0;
	} else {
		cur_fd = bpf_prog_get_fd_by_id(a.prog_id);
		err = cur_fd < 0 ? -errno : plt_xdp_replace(idx, ovs_fd, cur_fd, a.attach_mode);
		if (cur_fd >= 0)
			close(cur_fd);
	}
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
