/* SPDX-License-Identifier: MIT */
/* --hybrid: the kernel program of each net_af_xdp port, configured before
 * it is attached.
 *
 * net_af_xdp (DPDK 22.11) loads xdp_prog= when the port's first rx queue is
 * set up: bpf_object__open_file(FILE, NULL), bpf_object__load, attach the
 * first program over netlink, insert its sockets into `xsks_map`. Load and
 * attach are one step, so a program whose tables are filled afterwards
 * judges frames with an empty (all-zero: pass-all) configuration in the
 * meantime. Instead, pathlab-dpdk gives it xdp/pathlab-pinned.bpf.o, whose
 * tables are all pinned by name (LIBBPF_PIN_BY_NAME, under libbpf's default
 * root /sys/fs/bpf), and for each port, before rte_eth_dev_start:
 *
 *   1. mounts a fresh bpffs on /sys/fs/bpf, in a mount namespace of its own
 *      (made once, before the EAL starts threads; mounts private);
 *   2. loads the object itself (not attached): libbpf creates and pins every
 *      table there; applies the policy (or the built-in configuration) to
 *      those tables; unloads its program (the pinned tables stay);
 *   3. starts the port: net_af_xdp's libbpf finds the pinned tables and
 *      reuses them, so the program it attaches runs with the policy from its
 *      first frame;
 *   4. checks that the attached program's pl_config is the table it filled,
 *      opens the program's tables for the counters, and unmounts the bpffs
 *      (the tables live on with the program).
 *
 * Each port gets its own bpffs, so no table (xsks_map included) is shared
 * between ports, as before. The pins exist only in this process's mount
 * namespace: nothing is left in the host's /sys/fs/bpf, even after kill -9
 * (the namespace, and its bpffs with it, ends with the process). */
#include <sched.h>
#include <sys/mount.h>

#include "pl_dpdk_app.h"
#include "plt_bpf.h"

#define PL_DPDK_BPFFS "/sys/fs/bpf" /* libbpf's pin root for LIBBPF_PIN_BY_NAME */

static bool bpffs_mounted;

/* Where the object for --hybrid is: --bpf-obj, else the build's, else the installed one. */
const char *pl_dpdk_hybrid_obj(void)
{
	static char buf[PATH_MAX];

	return plt_bpf_find(opts.bpf_obj, "xdp/pathlab-pinned.bpf.o", buf, sizeof(buf));
}

/* Before the EAL: can the object be configured before it is attached (every
 * table pinned by name)? Then a private mount namespace for the bpffs
 * mounts. 0, or -errno after saying what is wrong. */
int pl_dpdk_hybrid_init(void)
{
	const char *path = pl_dpdk_hybrid_obj();
	struct bpf_object *obj;
	struct bpf_map *m;
	int err;

	obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(obj);
	if (err) {
		pr_warn("--hybrid: cannot open the BPF object %s: %s (build it, or give --bpf-obj FILE)\n",
			path, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m) || bpf_map__get_pin_path(m))
			continue;
		pr_warn("--hybrid: %s: table %s is not pinned by name, so pathlab-dpdk cannot configure it "
			"before net_af_xdp attaches the program; use pathlab-pinned.bpf.o (the core built with "
			"-DPL_PIN_MAPS)\n", path, bpf_map__name(m));
		bpf_object__close(obj);
		return -EINVAL;
	}
	bpf_object__close(obj);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		err = -errno;
		pr_warn("--hybrid: a private mount namespace for the pinned tables: %s (needs root)\n",
			strerror(errno));
		return err;
	}
	return 0;
}

/* The id of map `name` of program prog_id, or 0. */
static __u32 prog_map_id(__u32 prog_id, const char *name)
{
	__u32 ids[64], n = 0, found = 0, len;
	struct bpf_prog_info pi;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return 0;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 64;
	pi.map_ids = (__u64)(uintptr_t)ids;
	len = sizeof(pi);
	if (!bpf_obj_get_info_by_fd(fd, &pi, &len))
		n = pi.nr_map_ids < 64 ? pi.nr_map_ids : 64;
	close(fd);
	for (__u32 i = 0; i < n && !found; i++) {
		struct bpf_map_info mi;
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &len) && !strcmp(mi.name, name))
			found = ids[i];
		close(mfd);
	}
	return found;
}

/* Undo pl_dpdk_hybrid_prepare's mount (the pins go; tables in use stay). */
void pl_dpdk_hybrid_unmount(void)
{
	if (bpffs_mounted && umount2(PL_DPDK_BPFFS, MNT_DETACH))
		pr_debug("umount %s: %s\n", PL_DPDK_BPFFS, strerror(errno));
	bpffs_mounted = false;
}

/* Steps 1 and 2 for port pid: a fresh bpffs, the tables created, pinned
 * and configured. 0, or -errno after saying what is wrong. */
int pl_dpdk_hybrid_prepare(uint16_t pid, const struct pl_policy *pol)
{
	struct pl_dpdk_port *p = &ports[pid];
	struct plt_bpf_opts lo = { .path = pl_dpdk_hybrid_obj(), .obj_opt = "--bpf-obj",
				   .prog = PLT_CORE_PROG };
	struct pl_err err = { { 0 } };
	struct bpf_map_info mi;
	struct plt_bpf b = { 0 };
	struct pl_ctl *ctl;
	__u32 len = sizeof(mi);
	int r;

	if (mount("plt-dpdk", PL_DPDK_BPFFS, "bpf", 0, "mode=0700")) {
		r = -errno;
		pr_warn("--hybrid: mount a private bpffs on %s: %s\n", PL_DPDK_BPFFS, strerror(errno));
		return r;
	}
	bpffs_mounted = true;
	r = plt_bpf_load(&b, &lo);
	if (r)
		goto out;
	ctl = pl_ctl_open_bpf_obj(b.obj);
	if (!ctl) {
		r = -errno;
		pr_warn("--hybrid: the tables of %s: %s\n", lo.path, strerror(errno));
		goto out;
	}
	r = pol ? pl_policy_apply(ctl, pol, NULL, NULL, &err) : pl_ctl_init_config(ctl);
	pl_ctl_close(ctl);
	if (r) {
		pr_warn("--hybrid: policy into the tables for %s: %s\n", p->iface,
			err.msg[0] ? err.msg : strerror(-r));
		goto out;
	}
	memset(&mi, 0, sizeof(mi));
	r = plt_bpf_map_fd(&b, "pl_config");
	if (r < 0 || bpf_obj_get_info_by_fd(r, &mi, &len)) {
		r = r < 0 ? r : -errno;
		pr_warn("--hybrid: %s has no readable pl_config table\n", lo.path);
		goto out;
	}
	p->cfg_map_id = mi.id;
	r = 0;
out:
	plt_bpf_close(&b); /* our program goes; the pinned tables stay */
	if (r)
		pl_dpdk_hybrid_unmount();
	return r;
}

/* Step 4, after the port started: the program net_af_xdp attached must run
 * on the tables prepared for it; open them for the counters. */
int pl_dpdk_hybrid_attach(uint16_t pid)
{
	struct pl_dpdk_port *p = &ports[pid];
	__u32 id = 0, cfg;
	int r;

	r = bpf_xdp_query_id((int)p->ifindex, 0, &id);
	pl_dpdk_hybrid_unmount();
	if (r || !id) {
		pr_warn("--hybrid: no XDP program on %s after the port started (%s)\n", p->iface,
			r ? strerror(-r) : "none attached");
		return r ? r : -ENOENT;
	}
	cfg = prog_map_id(id, "pl_config");
	if (!cfg || cfg != p->cfg_map_id) {
		pr_warn("--hybrid: program %u on %s does not use the configured tables (its pl_config is "
			"map %u, not %u): is it pathlab-pinned.bpf.o?\n", id, p->iface, cfg, p->cfg_map_id);
		return -EINVAL;
	}
	kctl[pid] = pl_ctl_open_bpf_prog(id);
	if (!kctl[pid]) {
		r = -errno;
		pr_warn("--hybrid: cannot open the maps of program %u on %s: %s\n", id, p->iface,
			strerror(errno));
		return r;
	}
	p->bpf_prog_id = (int)id;
	pr_info("--hybrid: %s runs BPF program %u (pathlab), configured before it was attached; "
		"DPDK sees USER frames\n", p->iface, id);
	return 0;
}
