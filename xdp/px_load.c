// SPDX-License-Identifier: MIT
/* pathlab-xdp: load the core, write its ports and policy, attach it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/ethtool.h>
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
		.rodata = (const struct plt_bpf_rodata[]){ { "pl_tx_as_redirect", all_veth } },
		.nrodata = 1,
	});
	if (err)
		return err;
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
