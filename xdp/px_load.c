// SPDX-License-Identifier: MIT
/* pathlab-xdp: load the core, write its ports and policy, attach it. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "plt_log.h"
#include "plt_policy.h"
#include "px.h"

const char *px_obj_path(struct px_opts *o)
{
	return plt_bpf_find(o->obj, PLT_CORE_OBJ, o->objbuf, sizeof(o->objbuf));
}

int px_policy_load(struct pl_ctl *c, const char *path)
{
	struct plt_tx_ports tp = { .ctl = c };

	return plt_policy_load(c, path, plt_tx_ports_resolve, &tp);
}

/* The ifindex of veth ifname's peer when the peer is in this namespace
 * (its iflink points back), else 0; the peer's name in peer. */
static int px_veth_peer(const char *ifname, char *peer)
{
	int idx = (int)if_nametoindex(ifname), iflink = 0, back = 0;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", ifname);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &iflink) != 1)
			iflink = 0;
		fclose(f);
	}
	if (!iflink || iflink == idx || !if_indextoname(iflink, peer))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", peer);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &back) != 1)
			back = 0;
		fclose(f);
	}
	return back == idx ? iflink : 0;
}

/* Warn when a veth REDIRECT target cannot receive redirected frames: its
 * peer needs an XDP program or GRO on (else frames are dropped silently). */
static void px_check_veth_targets(char **ifnames, int n)
{
	for (int i = 0; i < n; i++) {
		char driver[64], peer[IF_NAMESIZE] = "";
		struct plt_xdp_info a;
		int peer_idx;

		plt_if_driver(ifnames[i], driver, sizeof(driver));
		if (strcmp(driver, "veth"))
			continue;
		peer_idx = px_veth_peer(ifnames[i], peer);
		if (!peer_idx) {
			pr_warn("REDIRECT to veth %s reaches its peer (in another namespace) only if the peer has "
				"an XDP program or GRO on: e.g. `ip netns exec NS ethtool -K PEER gro on`\n",
				ifnames[i]);
			continue;
		}
		if (!plt_xdp_query(peer_idx, &a) || plt_if_ethtool_get(peer, ETHTOOL_GGRO) > 0)
			continue;
		pr_warn("REDIRECT to veth %s will drop frames: its peer %s has no XDP program and GRO off "
			"(try `ethtool -K %s gro on`)\n", ifnames[i], peer, peer);
	}
}

/* Parse a CPU list ("0,1", "0-3,6") into cpus (ascending, no repeats):
 * the count, or -EINVAL after saying what is wrong (what names it). */
static int px_cpulist(const char *list, const char *what, int *cpus, int max)
{
	char seen[PX_SPREAD_MAX] = { 0 };
	const char *p = list;
	int n = 0;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				goto bad;
		}
		if (b >= PX_SPREAD_MAX) {
			pr_warn("%s: CPU %ld is beyond the %d the cpumap holds\n", what, b, PX_SPREAD_MAX);
			return -EINVAL;
		}
		for (long c = a; c <= b; c++)
			seen[c] = 1;
		p = end;
		if (*p == ',' || *p == '\n')
			p++;
		else if (*p)
			goto bad;
	}
	for (int c = 0; c < PX_SPREAD_MAX; c++)
		if (seen[c] && n < max)
			cpus[n++] = c;
	if (!n)
		goto bad;
	return n;
bad:
	pr_warn("%s: '%s' is not a CPU list (e.g. 0,1 or 0-3,6)\n", what, list);
	return -EINVAL;
}

/* --spread: the online CPUs of the list in cpus, their count; -EINVAL
 * after saying which CPU is wrong. */
int px_spread_cpus(const char *list, int *cpus)
{
	int n = px_cpulist(list, "--spread", cpus, PX_SPREAD_MAX), on[PX_SPREAD_MAX], non;
	char buf[1024] = "";
	FILE *f;

	if (n < 0)
		return n;
	f = fopen("/sys/devices/system/cpu/online", "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		pr_warn("--spread: cannot read /sys/devices/system/cpu/online: %s\n", strerror(errno));
		return -EINVAL;
	}
	fclose(f);
	non = px_cpulist(buf, "/sys/devices/system/cpu/online", on, PX_SPREAD_MAX);
	if (non < 0)
		return non;
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (int j = 0; j < non && !found; j++)
			found = on[j] == cpus[i];
		if (!found) {
			pr_warn("--spread: CPU %d is not online (online: %.*s); pick CPUs from that list\n", cpus[i],
				(int)strcspn(buf, "\n"), buf);
			return -EINVAL;
		}
	}
	return n;
}

/* before_load: load the cpumap program too (plt_bpf_load loads only .prog). */
static int px_spread_before_load(struct bpf_object *obj, void *arg)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, PX_CPUMAP_PROG);

	(void)arg;
	if (!p) {
		pr_warn("the BPF object has no program '%s': rebuild it (ninja -C build)\n", PX_CPUMAP_PROG);
		return -ENOENT;
	}
	return bpf_program__set_autoload(p, true);
}

/* Write the slots and the cpumap entries (queue size, pathlab_cpu). */
static int px_spread_setup(struct px_loaded *l, struct px_opts *o)
{
	int pfd = plt_bpf_prog_fd(&l->bpf, PX_CPUMAP_PROG), err;

	for (__u32 i = 0; i < (__u32)l->nspread; i++) {
		__u32 cpu = l->spread[i];
		struct bpf_cpumap_val v = { .qsize = (__u32)o->spread_queue, .bpf_prog.fd = pfd };

		err = pl_ctl_update(l->ctl, "pl_spread_cpus", &i, &cpu);
		if (err) {
			pr_warn("cannot write pl_spread_cpus[%u]: %s\n", i, strerror(-err));
			return err;
		}
		err = pl_ctl_update(l->ctl, "pl_cpumap", &cpu, &v);
		if (err) {
			pr_warn("cannot add CPU %u to the cpumap with program %s: %s%s\n", cpu, PX_CPUMAP_PROG,
				strerror(-err),
				err == -EINVAL || err == -EOPNOTSUPP
					? " (the kernel needs cpumap programs, Linux 5.9+: run without --spread)"
					: err == -ENODEV ? " (CPU not possible on this machine)" : "");
			return err;
		}
	}
	return 0;
}

/* Load the object (offload: bound to the one interface), write the default
 * configuration and the ports, apply the policy. */
static int px_object_load(struct px_loaded *l, struct px_opts *o)
{
	int offload = o->mode == PLT_XDP_OFFLOAD, err;
	struct pl_config cfg;
	__u32 all_veth = !offload && l->nif > 0;
	char driver[64];

	/* TX as a redirect to the receiving port on veth (pathlab.bpf.c,
	 * pl_tx_as_redirect): the answer reaches a peer that has GRO on but
	 * no XDP program (a plain host namespace) */
	for (int i = 0; i < l->nif && all_veth; i++) {
		plt_if_driver(l->ifnames[i], driver, sizeof(driver));
		all_veth = !strcmp(driver, "veth");
	}
	err = plt_bpf_load(&l->bpf, &(struct plt_bpf_opts){
		.path = px_obj_path(o),
		.prog = PLT_CORE_PROG, /* not pathlab_empty, a benchmark baseline */
		.offload_ifindex = offload ? l->ifindex[0] : 0,
		.rodata = (const struct plt_bpf_rodata[]){ { "pl_tx_as_redirect", all_veth },
							   { "pl_spread_n", (__u32)l->nspread } },
		.nrodata = 2,
		.before_load = l->nspread ? px_spread_before_load : NULL,
	});
	if (err) {
		if (l->nspread)
			pr_warn("--spread loads a cpumap program (BPF_XDP_CPUMAP): the kernel needs Linux 5.9+ "
				"for it; without --spread the core runs on the receiving CPU\n");
		return err;
	}
	l->ctl = pl_ctl_open_bpf_obj(l->bpf.obj);
	if (!l->ctl) {
		err = -errno;
		pr_warn("cannot reach the maps of %s: %s\n", l->bpf.path, strerror(-err));
		goto err_close_obj;
	}
	err = pl_ctl_init_config(l->ctl);
	if (err) {
		pr_warn("cannot write pl_config: %s\n", strerror(-err));
		goto err_close_ctl;
	}
	for (int i = 0; i < l->nif && !offload; i++) {
		__u32 port = i, idx = l->ifindex[i];

		err = pl_ctl_update(l->ctl, "pl_tx_ports", &port, &idx);
		if (err) {
			pr_warn("cannot write pl_tx_ports[%u] = %s: %s\n", port, l->ifnames[i], strerror(-err));
			goto err_close_ctl;
		}
	}
	if (l->nspread) {
		err = px_spread_setup(l, o);
		if (err)
			goto err_close_ctl;
	}
	if (o->policy) {
		err = px_policy_load(l->ctl, o->policy);
		if (err)
			goto err_close_ctl;
		if (!pl_ctl_get_config(l->ctl, &cfg) && cfg.fwd_mode == PL_FWD_REDIRECT)
			px_check_veth_targets(l->ifnames, l->nif);
	}
	return 0;

err_close_ctl:
	pl_ctl_close(l->ctl);
	l->ctl = NULL;
err_close_obj:
	plt_bpf_close(&l->bpf);
	return err;
}

void px_loaded_destroy(struct px_loaded *l)
{
	for (int i = 0; i < l->nif; i++)
		plt_xdp_detach(&l->link[i]);
	pl_ctl_close(l->ctl);
	l->ctl = NULL;
	plt_bpf_close(&l->bpf);
}

#define PX_SPREAD_GENERIC \
	"--spread needs native XDP: in generic mode the frames a cpumap program passes reach the stack with a " \
	"broken IP header (Linux 6.18: IpInHdrErrors grows, ping unanswered); use --mode native, or run without --spread"

int px_load_and_attach(struct px_loaded *l, struct px_opts *o, int n, char **ifnames)
{
	int err;

	if (n > PX_MAX_IFACES) {
		pr_warn("at most %d interfaces (the size of pl_tx_ports)\n", PX_MAX_IFACES);
		return -E2BIG;
	}
	if (o->mode == PLT_XDP_OFFLOAD && n != 1) {
		pr_warn("--mode offload binds the program to one device: give one interface\n");
		return -EINVAL;
	}
	if (o->spread) {
		if (o->mode == PLT_XDP_OFFLOAD) {
			pr_warn("--spread needs the host's CPUs: not with --mode offload\n");
			return -EINVAL;
		}
		if (o->mode == PLT_XDP_GENERIC) {
			pr_warn("%s\n", PX_SPREAD_GENERIC);
			return -EOPNOTSUPP;
		}
		l->nspread = px_spread_cpus(o->spread, l->spread);
		if (l->nspread < 0)
			return l->nspread;
	}
	l->nif = n;
	l->ifnames = ifnames;
	for (int i = 0; i < n; i++) {
		l->link[i].fd = -1;
		l->ifindex[i] = plt_ifindex(ifnames[i]);
		if (!l->ifindex[i])
			return -ENODEV;
		for (int j = 0; j < i; j++)
			if (l->ifindex[j] == l->ifindex[i]) {
				pr_warn("%s is given twice\n", ifnames[i]);
				return -EINVAL;
			}
	}
	err = px_object_load(l, o);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		err = plt_xdp_attach(&l->link[i], ifnames[i], bpf_program__fd(l->bpf.prog), o->mode);
		if (!err && l->nspread && l->link[i].mode == PLT_XDP_GENERIC) {
			pr_warn("%s: native XDP refused; %s\n", ifnames[i], PX_SPREAD_GENERIC);
			err = -EOPNOTSUPP;
		}
		if (err) {
			px_loaded_destroy(l);
			return err;
		}
	}
	return 0;
}

void px_pins_remove(const char *ifname)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), PLT_PIN_ROOT "/%s", ifname);
	plt_pin_dir_remove(dir);
}

int px_pins_create(struct px_loaded *l, int i)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	int err;

	snprintf(dir, sizeof(dir), PLT_PIN_ROOT "/%s", l->ifnames[i]);
	err = plt_bpf_pin_maps(&l->bpf, dir, NULL);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/link", dir);
	return plt_xdp_link_pin(&l->link[i], path);
}
